//! RFC 4733 telephone-events (DTMF over RTP): the 4-byte payload, a sender that spreads one
//! digit over packets, and a receiver that reports each digit once.

/// Event codes 0–15 as digits: 0–9, `*`, `#`, A–D.
const DIGITS: &[u8; 16] = b"0123456789*#ABCD";

/// The event code of a DTMF digit (case-insensitive).
pub fn digit_to_event(digit: char) -> Option<u8> {
    let upper = digit.to_ascii_uppercase();
    DIGITS
        .iter()
        .position(|&d| char::from(d) == upper)
        .map(|p| p as u8)
}

/// The digit of an event code 0–15.
pub fn event_to_digit(event: u8) -> Option<char> {
    DIGITS.get(usize::from(event)).map(|&d| char::from(d))
}

/// One telephone-event payload (RFC 4733 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// The event code.
    pub event: u8,
    /// The E bit: this is (a retransmission of) the last packet of the event.
    pub end: bool,
    /// The volume in -dBm0 (0–63).
    pub volume: u8,
    /// The duration so far, in timestamp units.
    pub duration: u16,
}

impl TelephoneEvent {
    /// Reads a payload; `None` when shorter than 4 bytes.
    pub fn parse(payload: &[u8]) -> Option<Self> {
        let b: &[u8; 4] = payload.get(..4)?.try_into().ok()?;
        Some(Self {
            event: b[0],
            end: b[1] & 0x80 != 0,
            volume: b[1] & 0x3f,
            duration: u16::from_be_bytes([b[2], b[3]]),
        })
    }

    /// The 4-byte payload.
    pub fn to_bytes(self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            (u8::from(self.end) << 7) | (self.volume & 0x3f),
            d[0],
            d[1],
        ]
    }
}

/// A packet for the sender's RTP session to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPacket {
    /// The payload.
    pub payload: [u8; 4],
    /// The marker bit (set on the first packet of the event).
    pub marker: bool,
    /// The media time of the event start (the RTP timestamp of every packet of the event).
    pub media_time: u32,
}

/// Sends one event: call [`next_packet`](Self::next_packet) every packet interval.
#[derive(Debug, Clone)]
pub struct TelephoneEventSender {
    event: u8,
    start: u32,
    total: u32,
    step: u32,
    elapsed: u32,
    end_sent: u8,
}

impl TelephoneEventSender {
    /// Sends `digit` starting at `media_time`, lasting `duration` timestamp units, one packet
    /// every `step` units. `None` for a non-DTMF character.
    pub fn new(digit: char, media_time: u32, duration: u32, step: u32) -> Option<Self> {
        Some(Self {
            event: digit_to_event(digit)?,
            start: media_time,
            total: duration.clamp(step.max(1), u32::from(u16::MAX)),
            step: step.max(1),
            elapsed: 0,
            end_sent: 0,
        })
    }

    /// True once the three end packets went out.
    pub fn is_done(&self) -> bool {
        self.end_sent >= 3
    }

    /// The next packet: updates with growing duration, then the end packet three times
    /// (RFC 4733 §2.5.1.4).
    pub fn next_packet(&mut self) -> Option<EventPacket> {
        if self.is_done() {
            return None;
        }
        let first = self.elapsed == 0;
        self.elapsed = (self.elapsed + self.step).min(self.total);
        let end = self.elapsed >= self.total;
        if end {
            self.end_sent += 1;
        }
        Some(EventPacket {
            payload: TelephoneEvent {
                event: self.event,
                end,
                volume: 10,
                duration: self.elapsed as u16,
            }
            .to_bytes(),
            marker: first,
            media_time: self.start,
        })
    }
}

/// Reports each received event once, by its RTP timestamp.
#[derive(Debug, Clone, Default)]
pub struct TelephoneEventReceiver {
    last: Option<(u32, u8)>,
}

impl TelephoneEventReceiver {
    /// A receiver that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Handles a telephone-event packet; returns the digit the first time an event (a new
    /// RTP timestamp or code) is seen.
    pub fn handle(&mut self, timestamp: u32, payload: &[u8]) -> Option<char> {
        let event = TelephoneEvent::parse(payload)?;
        let digit = event_to_digit(event.event)?;
        if self.last == Some((timestamp, event.event)) {
            return None;
        }
        self.last = Some((timestamp, event.event));
        Some(digit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_known_bytes() {
        // Digit 5, end bit, volume 10, duration 800.
        let e = TelephoneEvent {
            event: 5,
            end: true,
            volume: 10,
            duration: 800,
        };
        assert_eq!(e.to_bytes(), [5, 0x8a, 0x03, 0x20]);
        assert_eq!(TelephoneEvent::parse(&[5, 0x8a, 0x03, 0x20]), Some(e));
        assert_eq!(TelephoneEvent::parse(&[5, 0x8a, 0x03]), None);
        assert_eq!(digit_to_event('#'), Some(11));
        assert_eq!(digit_to_event('d'), Some(15));
        assert_eq!(digit_to_event('x'), None);
        assert_eq!(event_to_digit(10), Some('*'));
        assert_eq!(event_to_digit(16), None);
    }

    #[test]
    fn sender_sequence_and_receiver_dedup() {
        // 100 ms at 8 kHz in 20 ms steps: 4 updates, then 3 end packets.
        let mut tx = TelephoneEventSender::new('7', 4000, 800, 160).unwrap();
        let mut packets = Vec::new();
        while let Some(p) = tx.next_packet() {
            packets.push(p);
        }
        assert_eq!(packets.len(), 7);
        assert!(packets[0].marker && packets[1..].iter().all(|p| !p.marker));
        assert!(packets.iter().all(|p| p.media_time == 4000));
        let parsed: Vec<TelephoneEvent> = packets
            .iter()
            .map(|p| TelephoneEvent::parse(&p.payload).unwrap())
            .collect();
        assert_eq!(
            parsed.iter().map(|e| e.duration).collect::<Vec<_>>(),
            vec![160, 320, 480, 640, 800, 800, 800]
        );
        assert_eq!(parsed.iter().filter(|e| e.end).count(), 3);
        let mut rx = TelephoneEventReceiver::new();
        let digits: Vec<char> = packets
            .iter()
            .filter_map(|p| rx.handle(p.media_time, &p.payload))
            .collect();
        assert_eq!(digits, vec!['7']);
        // The same digit again, as a new event (new timestamp), is reported again.
        assert_eq!(rx.handle(5000, &packets[0].payload), Some('7'));
        assert_eq!(rx.handle(5000, &[200, 0, 0, 0]), None);
    }
}
