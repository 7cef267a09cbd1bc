//! The sans-IO audio stream: the media half of the seed's `AudioTransport`. As a mixer
//! [`AudioPort`] it encodes and packetises the mix it receives (sending through its
//! [`PacketSink`]) and plays received RTP through the jitter buffer, decoder and concealment.
//! It sends and receives RFC 4733 DTMF, keeps the RTCP session, and reports the seed's
//! `RTPAudioTransportGotDTMF` and `RTPAudioTransportDidNotGetRTP`.
//!
//! Nothing is allocated per packet: the packet, payload and PCM buffers are made once.

use std::any::Any;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

use sip_core::sdp::Direction;

use crate::codec::{Codec, Decoder, Encoder};
use crate::dsp::is_silence;
use crate::jitter::{JitterBuffer, JitterBufferConfig, Playout};
use crate::mixer::AudioPort;
use crate::negotiation::NegotiatedAudio;
use crate::plc::Concealer;
use crate::rtp::{
    RtpError, RtpPacket, RtpSession, RtpSessionConfig, RtpSessionOutput, RtpStatistics,
};
use crate::telephone_event::{TelephoneEventReceiver, TelephoneEventSender, digit_to_event};

/// Where an [`AudioStream`] sends its packets (a socket in the runtime, a queue in tests).
pub trait PacketSink: Send + 'static {
    /// Sends an RTP packet to the peer.
    fn send_rtp(&mut self, packet: &[u8]);
    /// Sends an RTCP packet to the peer.
    fn send_rtcp(&mut self, packet: &[u8]);
}

/// Events of an [`AudioStream`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AudioStreamEvent {
    /// `RTPAudioTransportGotDTMF`: a telephone-event digit arrived.
    GotDtmf(char),
    /// `RTPAudioTransportDidNotGetRTP`: no RTP within the timeout or the check interval.
    DidNotGetRtp {
        /// Whether any RTP was ever received.
        got_any: bool,
    },
}

/// Errors of an [`AudioStream`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// Not a DTMF digit.
    #[error("{0:?} is not a DTMF digit")]
    InvalidDigit(char),
    /// The peer did not negotiate telephone-event.
    #[error("telephone-event was not negotiated")]
    NoTelephoneEvent,
    /// Too many digits queued.
    #[error("DTMF queue full")]
    DtmfQueueFull,
}

/// Settings of an [`AudioStream`] beyond the negotiation.
#[derive(Debug, Clone)]
pub struct AudioStreamConfig {
    /// The RTP session settings (clock rate is taken from the codec).
    pub session: RtpSessionConfig,
    /// Stop sending during silence (voice activity detection).
    pub silence_detection: bool,
    /// Post `DidNotGetRtp(got_any = false)` when nothing arrived this long after start;
    /// zero disables every check.
    pub no_media_timeout: Duration,
    /// After that, check every interval for RTP; zero disables the interval checks.
    pub media_check_interval: Duration,
    /// Duration of a DTMF digit sent with [`AudioStream::send_dtmf`].
    pub dtmf_duration: Duration,
}

impl Default for AudioStreamConfig {
    fn default() -> Self {
        Self {
            session: RtpSessionConfig::default(),
            silence_detection: false,
            no_media_timeout: Duration::from_secs(10),
            media_check_interval: Duration::from_secs(30),
            dtmf_duration: Duration::from_millis(100),
        }
    }
}

const MAX_PACKET: usize = 1500;
const MAX_DTMF_QUEUE: usize = 64;
/// Mean absolute amplitude under which a frame counts as silence.
const SILENCE_THRESHOLD: u32 = 40;

/// One RTP audio stream; see the [module documentation](self).
pub struct AudioStream {
    codec: Codec,
    encoder: Encoder,
    decoder: Decoder,
    session: RtpSession,
    jitter: JitterBuffer,
    concealer: Concealer,
    negotiated: NegotiatedAudio,
    direction: Direction,
    config: AudioStreamConfig,
    sink: Box<dyn PacketSink>,
    media_time: u32,
    talkspurt: bool,
    packet: Vec<u8>,
    payload: Vec<u8>,
    pcm: Vec<i16>,
    decoded: VecDeque<i16>,
    dtmf: Option<TelephoneEventSender>,
    dtmf_queue: VecDeque<char>,
    dtmf_receiver: TelephoneEventReceiver,
    events: VecDeque<AudioStreamEvent>,
    started: Instant,
    got_any: bool,
    got_since_check: bool,
    next_check: Option<Instant>,
    frame_units: u32,
}

impl std::fmt::Debug for AudioStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioStream")
            .field("codec", &self.codec)
            .field("direction", &self.direction)
            .field("ssrc", &self.session.ssrc())
            .finish()
    }
}

impl AudioStream {
    /// A stream for a negotiated codec, starting at `now`.
    pub fn new(
        negotiated: NegotiatedAudio,
        mut config: AudioStreamConfig,
        sink: Box<dyn PacketSink>,
        now: Instant,
    ) -> Self {
        let codec = negotiated.codec;
        config.session.clock_rate = codec.rtp_clock_rate();
        let frame_units = codec.rtp_clock_rate() / 50;
        let frame_samples = (codec.sample_rate() / 50) as usize;
        let jitter = JitterBuffer::new(JitterBufferConfig {
            clock_rate: codec.rtp_clock_rate(),
            frame_duration: frame_units,
            ..JitterBufferConfig::default()
        });
        let next_check =
            (!config.no_media_timeout.is_zero()).then(|| now + config.no_media_timeout);
        Self {
            codec,
            encoder: codec.encoder(),
            decoder: codec.decoder(),
            session: RtpSession::new(config.session.clone(), now),
            jitter,
            concealer: Concealer::new(codec.sample_rate()),
            direction: negotiated.direction,
            negotiated,
            config,
            sink,
            media_time: 0,
            talkspurt: true,
            packet: vec![0; MAX_PACKET],
            payload: vec![0; MAX_PACKET],
            pcm: vec![0; 8 * frame_samples],
            decoded: VecDeque::with_capacity(16 * frame_samples),
            dtmf: None,
            dtmf_queue: VecDeque::with_capacity(MAX_DTMF_QUEUE),
            dtmf_receiver: TelephoneEventReceiver::new(),
            events: VecDeque::new(),
            started: now,
            got_any: false,
            got_since_check: false,
            next_check,
            frame_units,
        }
    }

    /// The negotiated codec.
    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// The current direction.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// Applies a renegotiated direction (hold and unhold).
    pub fn update_direction(&mut self, direction: Direction) {
        if direction.sends() && !self.direction.sends() {
            self.talkspurt = true;
        }
        self.direction = direction;
    }

    /// The RTP/RTCP statistics.
    pub fn statistics(&self) -> RtpStatistics {
        self.session.statistics()
    }

    /// The jitter buffer's counters.
    pub fn jitter_statistics(&self) -> crate::jitter::JitterBufferStatistics {
        self.jitter.statistics()
    }

    /// Queues a DTMF digit to send as telephone-event.
    pub fn send_dtmf(&mut self, digit: char) -> Result<(), StreamError> {
        if digit_to_event(digit).is_none() {
            return Err(StreamError::InvalidDigit(digit));
        }
        if self.negotiated.send_telephone_event.is_none() {
            return Err(StreamError::NoTelephoneEvent);
        }
        if self.dtmf_queue.len() >= MAX_DTMF_QUEUE {
            return Err(StreamError::DtmfQueueFull);
        }
        self.dtmf_queue.push_back(digit);
        Ok(())
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<AudioStreamEvent> {
        self.events.pop_front()
    }

    /// Handles a received RTP datagram.
    pub fn handle_rtp(&mut self, now: Instant, data: &[u8]) -> Result<(), RtpError> {
        let packet = RtpPacket::parse(data)?;
        self.got_any = true;
        self.got_since_check = true;
        self.session.handle_rtp(now, &packet);
        let header = packet.header();
        if Some(header.payload_type) == self.negotiated.receive_telephone_event {
            if let Some(digit) = self
                .dtmf_receiver
                .handle(header.timestamp, packet.payload())
            {
                self.events.push_back(AudioStreamEvent::GotDtmf(digit));
            }
        } else if header.payload_type == self.negotiated.receive_payload_type
            && self.direction.receives()
        {
            let units = self.codec.payload_duration(packet.payload());
            self.jitter
                .push(now, header.timestamp, units, packet.payload());
        }
        Ok(())
    }

    /// Handles a received RTCP datagram.
    pub fn handle_rtcp(&mut self, now: Instant, data: &[u8]) -> Result<(), RtpError> {
        self.session.handle_rtcp(now, data)
    }

    /// Sends the final RTCP BYE.
    pub fn close(&mut self, now: Instant) {
        self.session.close(now, None);
        self.drain_session();
    }

    fn drain_session(&mut self) {
        loop {
            match self.session.poll_output() {
                RtpSessionOutput::Transmit(data) => self.sink.send_rtcp(&data),
                RtpSessionOutput::Event(_) => {}
                _ => break,
            }
        }
    }

    fn run_timers(&mut self, now: Instant) {
        self.session.handle_timeout(now);
        self.drain_session();
        if let Some(at) = self.next_check
            && now >= at
        {
            let first = at <= self.started + self.config.no_media_timeout;
            if first && !self.got_any {
                self.events
                    .push_back(AudioStreamEvent::DidNotGetRtp { got_any: false });
            } else if !first && !self.got_since_check {
                self.events.push_back(AudioStreamEvent::DidNotGetRtp {
                    got_any: self.got_any,
                });
            }
            self.got_since_check = false;
            self.next_check = (!self.config.media_check_interval.is_zero())
                .then(|| now + self.config.media_check_interval);
        }
    }

    fn send_payload(
        &mut self,
        now: Instant,
        payload_type: u8,
        marker: bool,
        media_time: u32,
        len: usize,
    ) {
        if let Ok(n) = self.session.write_rtp(
            now,
            payload_type,
            marker,
            media_time,
            &self.payload[..len],
            &mut self.packet,
        ) {
            self.sink.send_rtp(&self.packet[..n]);
        }
    }

    fn send_dtmf_packet(&mut self, now: Instant) -> bool {
        if self.dtmf.is_none()
            && let Some(digit) = self.dtmf_queue.pop_front()
        {
            let duration = (self.config.dtmf_duration.as_millis() as u32)
                * (self.codec.rtp_clock_rate() / 1000);
            self.dtmf =
                TelephoneEventSender::new(digit, self.media_time, duration, self.frame_units);
        }
        let Some(sender) = self.dtmf.as_mut() else {
            return false;
        };
        let Some(packet) = sender.next_packet() else {
            self.dtmf = None;
            return false;
        };
        if sender.is_done() {
            self.dtmf = None;
        }
        let pt = self.negotiated.send_telephone_event.unwrap_or(101);
        self.payload[..4].copy_from_slice(&packet.payload);
        self.send_payload(now, pt, packet.marker, packet.media_time, 4);
        true
    }
}

impl AudioPort for AudioStream {
    fn sample_rate(&self) -> u32 {
        self.codec.sample_rate()
    }

    fn get_frame(&mut self, now: Instant, out: &mut [i16]) -> bool {
        self.run_timers(now);
        if !self.direction.receives() {
            return false;
        }
        let mut produced = false;
        while self.decoded.len() < out.len() {
            match self.jitter.pop(now) {
                Playout::Frame { payload, .. } => {
                    let n = self.decoder.decode(payload, &mut self.pcm);
                    self.concealer.good_frame(&mut self.pcm[..n]);
                    self.decoded.extend(&self.pcm[..n]);
                    produced = true;
                }
                Playout::Conceal => {
                    let n = out.len();
                    self.concealer.conceal(&mut self.pcm[..n]);
                    self.decoded.extend(&self.pcm[..n]);
                    produced = true;
                }
                _ => break,
            }
        }
        if self.decoded.len() < out.len() {
            self.decoded.clear();
            return false;
        }
        for sample in out.iter_mut() {
            *sample = self.decoded.pop_front().unwrap_or(0);
        }
        produced || !self.decoded.is_empty()
    }

    fn always_clocked(&self) -> bool {
        true
    }

    fn put_frame(&mut self, now: Instant, frame: &[i16]) {
        self.run_timers(now);
        let media_time = self.media_time;
        self.media_time = self.media_time.wrapping_add(self.frame_units);
        if !self.direction.sends() {
            return;
        }
        if self.send_dtmf_packet(now) {
            return;
        }
        if self.config.silence_detection && is_silence(frame, SILENCE_THRESHOLD) {
            self.talkspurt = true;
            return;
        }
        let len = self.encoder.encode(frame, &mut self.payload);
        let marker = std::mem::take(&mut self.talkspurt);
        let pt = self.negotiated.send_payload_type;
        self.send_payload(now, pt, marker, media_time, len);
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::{dominant_frequency, level_dbfs};
    use std::sync::{Arc, Mutex};

    type Sent = (Vec<Vec<u8>>, Vec<Vec<u8>>);

    #[derive(Clone, Default)]
    struct Queue(Arc<Mutex<Sent>>);

    impl PacketSink for Queue {
        fn send_rtp(&mut self, packet: &[u8]) {
            self.0.lock().unwrap().0.push(packet.to_vec());
        }
        fn send_rtcp(&mut self, packet: &[u8]) {
            self.0.lock().unwrap().1.push(packet.to_vec());
        }
    }

    impl Queue {
        fn take_rtp(&self) -> Vec<Vec<u8>> {
            std::mem::take(&mut self.0.lock().unwrap().0)
        }
    }

    fn negotiated(codec: Codec) -> NegotiatedAudio {
        NegotiatedAudio {
            codec,
            send_payload_type: codec.static_payload_type(),
            receive_payload_type: codec.static_payload_type(),
            send_telephone_event: Some(101),
            receive_telephone_event: Some(101),
            direction: Direction::SendRecv,
            remote_rtp: "127.0.0.1:4000".parse().unwrap(),
            remote_rtcp: "127.0.0.1:4001".parse().unwrap(),
            ptime: None,
        }
    }

    fn pair(
        codec: Codec,
        config: AudioStreamConfig,
    ) -> (AudioStream, Queue, AudioStream, Queue, Instant) {
        let t0 = Instant::now();
        let (qa, qb) = (Queue::default(), Queue::default());
        let a = AudioStream::new(negotiated(codec), config.clone(), Box::new(qa.clone()), t0);
        let b = AudioStream::new(
            negotiated(codec),
            AudioStreamConfig {
                session: RtpSessionConfig {
                    seed: 7,
                    ..config.session.clone()
                },
                ..config
            },
            Box::new(qb.clone()),
            t0,
        );
        (a, qa, b, qb, t0)
    }

    #[test]
    fn tone_crosses_a_stream_pair_for_every_codec() {
        for codec in [Codec::Pcmu, Codec::Pcma, Codec::G722] {
            let (mut a, qa, mut b, _qb, t0) = pair(codec, AudioStreamConfig::default());
            let rate = codec.sample_rate();
            let frame = (rate / 50) as usize;
            let mut received = Vec::new();
            let mut out = vec![0i16; frame];
            for i in 0..100u64 {
                let now = t0 + Duration::from_millis(20 * i);
                let input: Vec<i16> = (0..frame)
                    .map(|n| {
                        let t = (i as usize * frame + n) as f64 / f64::from(rate);
                        (10000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as i16
                    })
                    .collect();
                a.put_frame(now, &input);
                for packet in qa.take_rtp() {
                    b.handle_rtp(now + Duration::from_millis(5), &packet)
                        .unwrap();
                }
                if b.get_frame(now + Duration::from_millis(10), &mut out) {
                    received.extend_from_slice(&out);
                }
            }
            assert!(received.len() >= 90 * frame, "{codec}: {}", received.len());
            let tail = &received[received.len() - 50 * frame..];
            assert_eq!(
                dominant_frequency(tail, rate, &[300.0, 440.0, 1000.0]),
                Some(440.0),
                "{codec}"
            );
            let level = level_dbfs(tail);
            assert!(
                (level - level_dbfs(&[10000, -10000])).abs() < 4.0,
                "{codec}: {level}"
            );
            assert_eq!(b.statistics().packets_lost, 0);
            assert_eq!(b.jitter_statistics().concealed, 0, "{codec}");
        }
    }

    #[test]
    fn dtmf_is_sent_instead_of_audio_and_reported_once() {
        let (mut a, qa, mut b, _qb, t0) = pair(Codec::Pcmu, AudioStreamConfig::default());
        a.send_dtmf('#').unwrap();
        a.send_dtmf('1').unwrap();
        assert_eq!(a.send_dtmf('z'), Err(StreamError::InvalidDigit('z')));
        let silence = [0i16; 160];
        let mut te_packets = 0;
        for i in 0..30u64 {
            let now = t0 + Duration::from_millis(20 * i);
            a.put_frame(now, &silence);
            for packet in qa.take_rtp() {
                if RtpPacket::parse(&packet).unwrap().header().payload_type == 101 {
                    te_packets += 1;
                }
                b.handle_rtp(now, &packet).unwrap();
            }
        }
        // Two digits of 100 ms: 5 packets each (the 5th is the first end packet), + 2 more
        // end packets each.
        assert_eq!(te_packets, 14);
        let events: Vec<_> = std::iter::from_fn(|| b.poll_event()).collect();
        assert_eq!(
            events,
            vec![
                AudioStreamEvent::GotDtmf('#'),
                AudioStreamEvent::GotDtmf('1')
            ]
        );
        let mut no_te = negotiated(Codec::Pcmu);
        no_te.send_telephone_event = None;
        let mut c = AudioStream::new(
            no_te,
            AudioStreamConfig::default(),
            Box::new(Queue::default()),
            t0,
        );
        assert_eq!(c.send_dtmf('1'), Err(StreamError::NoTelephoneEvent));
    }

    #[test]
    fn silence_detection_hold_and_no_rtp_notifications() {
        let config = AudioStreamConfig {
            silence_detection: true,
            no_media_timeout: Duration::from_secs(2),
            media_check_interval: Duration::from_secs(1),
            ..AudioStreamConfig::default()
        };
        let (mut a, qa, mut b, _qb, t0) = pair(Codec::Pcma, config);
        let mut out = [0i16; 160];
        // Silence is not sent.
        a.put_frame(t0, &[0; 160]);
        assert!(qa.take_rtp().is_empty());
        let loud = [3000i16; 160];
        a.put_frame(t0, &loud);
        let sent = qa.take_rtp();
        assert_eq!(sent.len(), 1);
        assert!(RtpPacket::parse(&sent[0]).unwrap().header().marker);
        // On hold (recvonly for A): nothing is sent.
        a.update_direction(Direction::RecvOnly);
        a.put_frame(t0, &loud);
        assert!(qa.take_rtp().is_empty());
        // B gets nothing for 2 s: got_any = false once; then per interval.
        for ms in (0..=2000).step_by(20) {
            b.get_frame(t0 + Duration::from_millis(ms), &mut out);
        }
        assert_eq!(
            b.poll_event(),
            Some(AudioStreamEvent::DidNotGetRtp { got_any: false })
        );
        assert_eq!(b.poll_event(), None);
        b.handle_rtp(t0 + Duration::from_millis(2100), &sent[0])
            .unwrap();
        for ms in (2020..=3000).step_by(20) {
            b.get_frame(t0 + Duration::from_millis(ms), &mut out);
        }
        assert_eq!(b.poll_event(), None, "RTP arrived in the interval");
        for ms in (3020..=4000).step_by(20) {
            b.get_frame(t0 + Duration::from_millis(ms), &mut out);
        }
        assert_eq!(
            b.poll_event(),
            Some(AudioStreamEvent::DidNotGetRtp { got_any: true })
        );
    }
}
