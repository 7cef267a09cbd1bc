//! The RTP session (RFC 3550): sender state (SSRC, sequence numbers, timestamps), reception
//! statistics of the remote source (loss, jitter), round-trip time from reception reports, and
//! the RTCP schedule. Sans-IO: time comes in as `now`, RTCP datagrams come out of
//! [`RtpSession::poll_output`].

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::RtpError;
use super::packet::{RtpHeader, RtpPacket};
use super::rtcp::{ReportBlock, RtcpPacket, SenderInfo};

const MAX_DROPOUT: u16 = 3000;
const MAX_MISORDER: u16 = 100;
/// Seconds between 1900-01-01 (NTP epoch) and 1970-01-01 (Unix epoch).
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// Configuration of an [`RtpSession`].
#[derive(Debug, Clone)]
pub struct RtpSessionConfig {
    /// The RTP clock rate of the media (8000 for G.711; 8000 for G.722 as RFC 3551 says).
    pub clock_rate: u32,
    /// The canonical name sent in SDES.
    pub cname: String,
    /// The mean interval between RTCP reports (RFC 3550 suggests 5 s).
    pub rtcp_interval: Duration,
    /// Seed of the session's random numbers (SSRC, initial sequence number and timestamp,
    /// RTCP interval randomisation).
    pub seed: u64,
    /// Wall-clock time at `epoch`, as a Unix time, for the NTP timestamps of sender reports.
    pub wallclock_at_epoch: Duration,
}

impl Default for RtpSessionConfig {
    fn default() -> Self {
        Self {
            clock_rate: 8000,
            cname: "sipsimple-rs".into(),
            rtcp_interval: Duration::from_secs(5),
            seed: 0,
            wallclock_at_epoch: Duration::ZERO,
        }
    }
}

/// Reception and transmission statistics of a session.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RtpStatistics {
    /// RTP packets sent.
    pub packets_sent: u32,
    /// Payload octets sent.
    pub octets_sent: u32,
    /// RTP packets received from the remote source (duplicates included).
    pub packets_received: u32,
    /// Packets expected minus packets received since the start (RFC 3550 A.3).
    pub packets_lost: i64,
    /// Fraction lost in the last report interval, 0.0–1.0.
    pub fraction_lost: f64,
    /// Interarrival jitter (RFC 3550 A.8) in timestamp units.
    pub jitter: u32,
    /// Round-trip time from the last reception report about us (RFC 3550 §6.4.1).
    pub round_trip_time: Option<Duration>,
    /// Loss the remote side reported about our stream (cumulative).
    pub remote_packets_lost: Option<i32>,
    /// Jitter the remote side reported about our stream.
    pub remote_jitter: Option<u32>,
}

/// What the session asks its driver to do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtpSessionOutput {
    /// Send this compound RTCP packet to the peer's RTCP address.
    Transmit(Vec<u8>),
    /// Something happened.
    Event(RtpSessionEvent),
    /// Call [`RtpSession::handle_timeout`] at this instant.
    Timeout(Instant),
}

/// Events of an [`RtpSession`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtpSessionEvent {
    /// Media from a new remote SSRC (the first, or a change); statistics restarted.
    NewSource {
        /// The new source.
        ssrc: u32,
    },
    /// The remote source sent its CNAME.
    SourceDescription {
        /// The source.
        ssrc: u32,
        /// Its CNAME.
        cname: String,
    },
    /// The remote source said BYE.
    Goodbye {
        /// The source.
        ssrc: u32,
        /// Its reason, if given.
        reason: Option<String>,
    },
}

/// How a received RTP packet was classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reception {
    /// An in-order or slightly reordered packet, with its extended sequence number.
    Accepted {
        /// The 32-bit extended sequence number (cycles × 65536 + sequence number).
        extended_sequence: u32,
    },
    /// A large jump in sequence numbers (more than 3000 ahead or 100 behind): dropped until
    /// the next packet confirms it (RFC 3550 A.1 `bad_seq`).
    Jump,
}

#[derive(Debug, Clone)]
struct Source {
    ssrc: u32,
    base_seq: u32,
    max_seq: u16,
    cycles: u32,
    bad_seq: u32,
    received: u32,
    expected_prior: u32,
    received_prior: u32,
    fraction: u8,
    transit: Option<i64>,
    jitter_q4: u64,
    last_sr: Option<(u32, Instant)>,
}

impl Source {
    fn new(ssrc: u32, seq: u16) -> Self {
        Self {
            ssrc,
            base_seq: u32::from(seq),
            max_seq: seq,
            cycles: 0,
            bad_seq: u32::MAX,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            fraction: 0,
            transit: None,
            jitter_q4: 0,
            last_sr: None,
        }
    }

    fn extended_max(&self) -> u32 {
        self.cycles.wrapping_add(u32::from(self.max_seq))
    }

    fn expected(&self) -> u32 {
        self.extended_max()
            .wrapping_sub(self.base_seq)
            .wrapping_add(1)
    }

    fn lost(&self) -> i64 {
        i64::from(self.expected()) - i64::from(self.received)
    }

    /// RFC 3550 A.1 `update_seq`, without the probation phase.
    fn update_seq(&mut self, seq: u16) -> Reception {
        let delta = seq.wrapping_sub(self.max_seq);
        if delta < MAX_DROPOUT {
            if seq < self.max_seq {
                self.cycles = self.cycles.wrapping_add(1 << 16);
            }
            self.max_seq = seq;
        } else if delta <= u16::MAX - MAX_MISORDER {
            if u32::from(seq) == self.bad_seq {
                // Two sequential packets after a jump: the source restarted.
                *self = Source {
                    last_sr: self.last_sr,
                    ..Source::new(self.ssrc, seq)
                };
            } else {
                self.bad_seq = u32::from(seq.wrapping_add(1));
                return Reception::Jump;
            }
        } else {
            // Reordered or duplicate, within MAX_MISORDER behind the highest.
            self.received += 1;
            let ext = if seq > self.max_seq {
                self.cycles.wrapping_sub(1 << 16)
            } else {
                self.cycles
            }
            .wrapping_add(u32::from(seq));
            return Reception::Accepted {
                extended_sequence: ext,
            };
        }
        self.received += 1;
        Reception::Accepted {
            extended_sequence: self.extended_max(),
        }
    }

    fn report_block(&mut self, now: Instant) -> ReportBlock {
        let expected = self.expected();
        let expected_interval = expected.wrapping_sub(self.expected_prior);
        let received_interval = self.received.wrapping_sub(self.received_prior);
        self.expected_prior = expected;
        self.received_prior = self.received;
        let lost_interval = i64::from(expected_interval) - i64::from(received_interval);
        self.fraction = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / i64::from(expected_interval)).min(255) as u8
        };
        let (last_sr, delay) = match self.last_sr {
            Some((lsr, at)) => (lsr, duration_to_q16(now.saturating_duration_since(at))),
            None => (0, 0),
        };
        ReportBlock {
            ssrc: self.ssrc,
            fraction_lost: self.fraction,
            cumulative_lost: self.lost().clamp(-0x80_0000, 0x7f_ffff) as i32,
            extended_highest_sequence: self.extended_max(),
            jitter: (self.jitter_q4 >> 4) as u32,
            last_sr,
            delay_since_last_sr: delay,
        }
    }
}

fn duration_to_q16(d: Duration) -> u32 {
    ((d.as_secs() << 16) + ((u64::from(d.subsec_nanos()) << 16) / 1_000_000_000)) as u32
}

/// The RTP session of one media stream: one local source and one remote source.
#[derive(Debug)]
pub struct RtpSession {
    config: RtpSessionConfig,
    epoch: Instant,
    rng: StdRng,
    ssrc: u32,
    sequence: u16,
    timestamp_base: u32,
    last_sent: Option<(Instant, u32)>,
    sent_since_report: bool,
    stats: RtpStatistics,
    remote: Option<Source>,
    next_report: Instant,
    outputs: VecDeque<RtpSessionOutput>,
    closed: bool,
}

impl RtpSession {
    /// Creates a session whose clock starts at `now`.
    pub fn new(config: RtpSessionConfig, now: Instant) -> Self {
        let mut rng = StdRng::seed_from_u64(config.seed);
        let ssrc = rng.random();
        let sequence = rng.random::<u16>() & 0x7fff;
        let timestamp_base = rng.random();
        let mut session = Self {
            epoch: now,
            rng,
            ssrc,
            sequence,
            timestamp_base,
            last_sent: None,
            sent_since_report: false,
            stats: RtpStatistics::default(),
            remote: None,
            next_report: now,
            outputs: VecDeque::new(),
            closed: false,
            config,
        };
        // The first report goes out after half the interval (RFC 3550 §6.2 "initial").
        session.next_report = now + session.randomized_interval() / 2;
        session
    }

    fn randomized_interval(&mut self) -> Duration {
        let factor: f64 = self.rng.random_range(0.5..1.5);
        self.config.rtcp_interval.mul_f64(factor)
    }

    /// Our SSRC.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The remote SSRC, once media arrived.
    pub fn remote_ssrc(&self) -> Option<u32> {
        self.remote.as_ref().map(|r| r.ssrc)
    }

    /// The statistics so far.
    pub fn statistics(&self) -> RtpStatistics {
        let mut stats = self.stats;
        if let Some(remote) = &self.remote {
            stats.packets_lost = remote.lost();
            stats.fraction_lost = f64::from(remote.fraction) / 256.0;
            stats.jitter = (remote.jitter_q4 >> 4) as u32;
        }
        stats
    }

    /// The sequence number the next packet will carry.
    pub fn next_sequence_number(&self) -> u16 {
        self.sequence
    }

    /// Writes an RTP packet with the next sequence number into `out` and returns its length.
    /// `media_time` counts clock-rate units from the start of the stream (the session adds its
    /// random base). No allocation.
    pub fn write_rtp(
        &mut self,
        now: Instant,
        payload_type: u8,
        marker: bool,
        media_time: u32,
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<usize, RtpError> {
        let timestamp = self.timestamp_base.wrapping_add(media_time);
        let header = RtpHeader {
            payload_type,
            marker,
            sequence_number: self.sequence,
            timestamp,
            ssrc: self.ssrc,
        };
        let len = header.write_packet(payload, out)?;
        self.sequence = self.sequence.wrapping_add(1);
        self.last_sent = Some((now, timestamp));
        self.sent_since_report = true;
        self.stats.packets_sent = self.stats.packets_sent.wrapping_add(1);
        self.stats.octets_sent = self.stats.octets_sent.wrapping_add(payload.len() as u32);
        Ok(len)
    }

    fn media_units(&self, now: Instant) -> i64 {
        let d = now.saturating_duration_since(self.epoch);
        (d.as_nanos() * u128::from(self.config.clock_rate) / 1_000_000_000) as i64
    }

    fn ntp(&self, now: Instant) -> u64 {
        let wall = self.config.wallclock_at_epoch + now.saturating_duration_since(self.epoch);
        let secs = wall.as_secs() + NTP_UNIX_OFFSET;
        let frac = (u64::from(wall.subsec_nanos()) << 32) / 1_000_000_000;
        (secs << 32) | frac
    }

    /// Accounts a received RTP packet (sequence tracking, loss, jitter). Packets from a new
    /// SSRC restart the statistics and emit [`RtpSessionEvent::NewSource`].
    pub fn handle_rtp(&mut self, now: Instant, packet: &RtpPacket<'_>) -> Reception {
        let header = packet.header();
        self.stats.packets_received = self.stats.packets_received.wrapping_add(1);
        if self.remote.as_ref().map(|r| r.ssrc) != Some(header.ssrc) {
            self.remote = Some(Source::new(header.ssrc, header.sequence_number));
            self.outputs
                .push_back(RtpSessionOutput::Event(RtpSessionEvent::NewSource {
                    ssrc: header.ssrc,
                }));
            // Make the first packet count as received via the in-order path.
            if let Some(r) = self.remote.as_mut() {
                r.max_seq = header.sequence_number.wrapping_sub(1);
                r.base_seq = u32::from(header.sequence_number);
                if header.sequence_number == 0 {
                    // max_seq wrapped below zero: keep the cycle count at zero.
                    r.cycles = 0u32.wrapping_sub(1 << 16);
                }
            }
        }
        let arrival = self.media_units(now);
        let remote = self.remote.as_mut().expect("set above");
        let reception = remote.update_seq(header.sequence_number);
        if let Reception::Accepted { .. } = reception {
            let transit = arrival - i64::from(header.timestamp as i32);
            if let Some(previous) = remote.transit {
                // Timestamps wrap: take the difference modulo 2^32 as a signed value.
                let d = i64::from((transit - previous) as i32).unsigned_abs();
                let j = remote.jitter_q4 as i64;
                remote.jitter_q4 = (j + d as i64 - ((j + 8) >> 4)).max(0) as u64;
            }
            remote.transit = Some(transit);
        }
        reception
    }

    /// Handles a received RTCP datagram: sender reports (for LSR/DLSR), reception reports
    /// about us (round-trip time, remote loss and jitter), SDES and BYE.
    pub fn handle_rtcp(&mut self, now: Instant, data: &[u8]) -> Result<(), RtpError> {
        let packets = RtcpPacket::parse_compound(data)?;
        for packet in packets {
            match packet {
                RtcpPacket::SenderReport {
                    ssrc,
                    info,
                    reports,
                } => {
                    if let Some(remote) = self.remote.as_mut().filter(|r| r.ssrc == ssrc) {
                        remote.last_sr = Some(((info.ntp_timestamp >> 16) as u32, now));
                    }
                    self.handle_blocks(now, &reports);
                }
                RtcpPacket::ReceiverReport { reports, .. } => self.handle_blocks(now, &reports),
                RtcpPacket::SourceDescription { cnames } => {
                    for (ssrc, cname) in cnames {
                        self.outputs.push_back(RtpSessionOutput::Event(
                            RtpSessionEvent::SourceDescription { ssrc, cname },
                        ));
                    }
                }
                RtcpPacket::Goodbye { sources, reason } => {
                    for ssrc in sources {
                        self.outputs
                            .push_back(RtpSessionOutput::Event(RtpSessionEvent::Goodbye {
                                ssrc,
                                reason: reason.clone(),
                            }));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn handle_blocks(&mut self, now: Instant, reports: &[ReportBlock]) {
        for block in reports.iter().filter(|b| b.ssrc == self.ssrc) {
            self.stats.remote_packets_lost = Some(block.cumulative_lost);
            self.stats.remote_jitter = Some(block.jitter);
            if block.last_sr != 0 {
                let arrival = (self.ntp(now) >> 16) as u32;
                let rtt = arrival
                    .wrapping_sub(block.last_sr)
                    .wrapping_sub(block.delay_since_last_sr);
                // A negative value (clock skew, bogus report) shows up as a huge u32.
                if rtt < 0x8000_0000 {
                    let nanos = (u64::from(rtt) * 1_000_000_000) >> 16;
                    self.stats.round_trip_time = Some(Duration::from_nanos(nanos));
                }
            }
        }
    }

    /// Builds and queues the periodic RTCP report if it is due.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.closed || now < self.next_report {
            return;
        }
        let report = self.build_report(now, None);
        self.outputs.push_back(RtpSessionOutput::Transmit(report));
        self.next_report = now + self.randomized_interval();
    }

    /// Queues a final report with a BYE (RFC 3550 §6.6) and stops the RTCP schedule.
    pub fn close(&mut self, now: Instant, reason: Option<&str>) {
        if self.closed {
            return;
        }
        self.closed = true;
        let report = self.build_report(now, Some(reason.map(str::to_owned)));
        self.outputs.push_back(RtpSessionOutput::Transmit(report));
    }

    fn build_report(&mut self, now: Instant, bye: Option<Option<String>>) -> Vec<u8> {
        let reports: Vec<ReportBlock> = self
            .remote
            .as_mut()
            .map(|r| r.report_block(now))
            .into_iter()
            .collect();
        let first = if self.sent_since_report {
            let (sent_at, sent_ts) = self.last_sent.unwrap_or((now, self.timestamp_base));
            let elapsed = now.saturating_duration_since(sent_at);
            let advance =
                (elapsed.as_nanos() * u128::from(self.config.clock_rate) / 1_000_000_000) as u32;
            RtcpPacket::SenderReport {
                ssrc: self.ssrc,
                info: SenderInfo {
                    ntp_timestamp: self.ntp(now),
                    rtp_timestamp: sent_ts.wrapping_add(advance),
                    packet_count: self.stats.packets_sent,
                    octet_count: self.stats.octets_sent,
                },
                reports,
            }
        } else {
            RtcpPacket::ReceiverReport {
                ssrc: self.ssrc,
                reports,
            }
        };
        self.sent_since_report = false;
        let mut out = Vec::with_capacity(128);
        let sdes = RtcpPacket::SourceDescription {
            cnames: vec![(self.ssrc, self.config.cname.clone())],
        };
        // Our own packets are always well formed (≤ 1 report block, one chunk).
        for packet in [Some(first), Some(sdes)].into_iter().flatten() {
            let _ = packet.write(&mut out);
        }
        if let Some(reason) = bye {
            let _ = RtcpPacket::Goodbye {
                sources: vec![self.ssrc],
                reason,
            }
            .write(&mut out);
        }
        out
    }

    /// The next output: queued transmits and events first, then the next timeout.
    pub fn poll_output(&mut self) -> RtpSessionOutput {
        if let Some(output) = self.outputs.pop_front() {
            return output;
        }
        if self.closed {
            // Nothing more is scheduled; a far-away timeout keeps the contract simple.
            return RtpSessionOutput::Timeout(self.next_report + Duration::from_secs(86_400));
        }
        RtpSessionOutput::Timeout(self.next_report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(seq: u16, ts: u32, ssrc: u32) -> Vec<u8> {
        let mut buf = vec![0u8; 12 + 160];
        RtpHeader {
            payload_type: 0,
            marker: false,
            sequence_number: seq,
            timestamp: ts,
            ssrc,
        }
        .write_packet(&[0xff; 160], &mut buf)
        .unwrap();
        buf
    }

    fn drain(session: &mut RtpSession) -> (Vec<Vec<u8>>, Vec<RtpSessionEvent>, Instant) {
        let mut transmits = Vec::new();
        let mut events = Vec::new();
        loop {
            match session.poll_output() {
                RtpSessionOutput::Transmit(t) => transmits.push(t),
                RtpSessionOutput::Event(e) => events.push(e),
                RtpSessionOutput::Timeout(at) => return (transmits, events, at),
            }
        }
    }

    fn receive(session: &mut RtpSession, now: Instant, seq: u16, ts: u32) -> Reception {
        let data = packet(seq, ts, 77);
        session.handle_rtp(now, &RtpPacket::parse(&data).unwrap())
    }

    #[test]
    fn loss_and_reordering_statistics() {
        let t0 = Instant::now();
        let mut s = RtpSession::new(RtpSessionConfig::default(), t0);
        // 100 packets, 20 ms apart, sequence numbers wrapping through 65535.
        let mut now = t0;
        let mut received = 0;
        for i in 0u16..100 {
            now += Duration::from_millis(20);
            if i % 10 == 3 {
                continue; // 10 lost
            }
            let seq = 65500u16.wrapping_add(i);
            assert!(matches!(
                receive(&mut s, now, seq, u32::from(i) * 160),
                Reception::Accepted { .. }
            ));
            received += 1;
        }
        // Perfectly paced packets: no jitter.
        assert_eq!(s.statistics().jitter, 0);
        // One late packet arrives out of order (it was "lost" before).
        assert_eq!(
            receive(&mut s, now, 65500u16.wrapping_add(93), 93 * 160),
            Reception::Accepted {
                extended_sequence: 65500 + 93
            }
        );
        received += 1;
        let stats = s.statistics();
        assert_eq!(stats.packets_received, received);
        assert_eq!(stats.packets_lost, 9);
        let (_, events, _) = drain(&mut s);
        assert_eq!(events, vec![RtpSessionEvent::NewSource { ssrc: 77 }]);
        // Packets far behind or far ahead are jumps, dropped until confirmed.
        assert_eq!(receive(&mut s, now, 65400, 0), Reception::Jump);
        assert_eq!(receive(&mut s, now, 30000, 0), Reception::Jump);
        assert!(matches!(
            receive(&mut s, now, 30001, 160),
            Reception::Accepted { .. }
        ));
    }

    #[test]
    fn jitter_follows_rfc3550_estimator() {
        let t0 = Instant::now();
        let mut s = RtpSession::new(RtpSessionConfig::default(), t0);
        // Packets every 20 ms but arrivals alternate 10 ms early/late: |D| = 20 ms = 160 units
        // after the first pair; J converges toward 160.
        for i in 0u32..400 {
            let skew = if i % 2 == 0 { 0 } else { 20 };
            let now = t0 + Duration::from_millis(u64::from(i) * 20 + skew);
            receive(&mut s, now, i as u16, i * 160);
        }
        let jitter = s.statistics().jitter;
        assert!((150..=160).contains(&jitter), "jitter {jitter}");
    }

    #[test]
    fn sender_report_then_rtt_from_peer_report() {
        let t0 = Instant::now();
        let config = RtpSessionConfig {
            wallclock_at_epoch: Duration::from_secs(1_700_000_000),
            ..RtpSessionConfig::default()
        };
        let mut a = RtpSession::new(config.clone(), t0);
        let mut b = RtpSession::new(RtpSessionConfig { seed: 1, ..config }, t0);
        assert_ne!(a.ssrc(), b.ssrc());
        // A sends media to B.
        let mut buf = [0u8; 200];
        for i in 0..50u32 {
            let now = t0 + Duration::from_millis(u64::from(i) * 20);
            let len = a
                .write_rtp(now, 0, i == 0, i * 160, &[0xd5; 160], &mut buf)
                .unwrap();
            b.handle_rtp(now, &RtpPacket::parse(&buf[..len]).unwrap());
        }
        let (_, _, due) = drain(&mut a);
        assert!(due >= t0 + Duration::from_millis(1250) && due <= t0 + Duration::from_millis(3750));
        a.handle_timeout(due);
        let (reports, _, _) = drain(&mut a);
        assert_eq!(reports.len(), 1);
        let parsed = RtcpPacket::parse_compound(&reports[0]).unwrap();
        match &parsed[0] {
            RtcpPacket::SenderReport { ssrc, info, .. } => {
                assert_eq!(*ssrc, a.ssrc());
                assert_eq!(info.packet_count, 50);
                assert_eq!(info.octet_count, 8000);
            }
            other => panic!("expected SR, got {other:?}"),
        }
        // The SR reaches B 30 ms later; B answers 200 ms after that; A gets it 30 ms later.
        b.handle_rtcp(due + Duration::from_millis(30), &reports[0])
            .unwrap();
        let (_, events, _) = drain(&mut b);
        assert!(events.contains(&RtpSessionEvent::SourceDescription {
            ssrc: a.ssrc(),
            cname: "sipsimple-rs".into()
        }));
        let b_report_at = due + Duration::from_millis(230);
        b.next_report = b_report_at;
        b.handle_timeout(b_report_at);
        let (rr, _, _) = drain(&mut b);
        let parsed = RtcpPacket::parse_compound(&rr[0]).unwrap();
        assert!(matches!(parsed[0], RtcpPacket::ReceiverReport { .. }));
        a.handle_rtcp(b_report_at + Duration::from_millis(30), &rr[0])
            .unwrap();
        let rtt = a.statistics().round_trip_time.unwrap();
        assert!(
            rtt >= Duration::from_micros(59_900) && rtt <= Duration::from_micros(60_100),
            "rtt {rtt:?}"
        );
        assert_eq!(a.statistics().remote_packets_lost, Some(0));
    }

    #[test]
    fn bye_is_sent_once_and_received() {
        let t0 = Instant::now();
        let mut a = RtpSession::new(RtpSessionConfig::default(), t0);
        a.close(t0, Some("hangup"));
        a.close(t0, Some("again"));
        let (out, _, _) = drain(&mut a);
        assert_eq!(out.len(), 1);
        let parsed = RtcpPacket::parse_compound(&out[0]).unwrap();
        assert_eq!(
            parsed.last(),
            Some(&RtcpPacket::Goodbye {
                sources: vec![a.ssrc()],
                reason: Some("hangup".into())
            })
        );
        let mut b = RtpSession::new(
            RtpSessionConfig {
                seed: 9,
                ..Default::default()
            },
            t0,
        );
        b.handle_rtcp(t0, &out[0]).unwrap();
        let (_, events, _) = drain(&mut b);
        assert!(events.contains(&RtpSessionEvent::Goodbye {
            ssrc: a.ssrc(),
            reason: Some("hangup".into())
        }));
        // After close no periodic reports.
        a.handle_timeout(t0 + Duration::from_secs(60));
        assert!(matches!(a.poll_output(), RtpSessionOutput::Timeout(_)));
    }
}
