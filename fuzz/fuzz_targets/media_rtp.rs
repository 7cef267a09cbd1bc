//! Fuzzes sip-media's RTP and RTCP readers and the RTP session fed with arbitrary datagrams.
//! Nothing may panic; a parsed RTP packet's header written back must parse to the same header
//! and payload; a parsed compound RTCP packet written back must parse to the same packets.

#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use sip_media::rtp::{RtcpPacket, RtpHeader, RtpPacket, RtpSession, RtpSessionConfig};

fuzz_target!(|data: &[u8]| {
    let t0 = Instant::now();
    let mut session = RtpSession::new(RtpSessionConfig::default(), t0);
    if let Ok(packet) = RtpPacket::parse(data) {
        let mut buf = vec![0u8; data.len() + 12];
        let header: RtpHeader = packet.header();
        let len = header.write_packet(packet.payload(), &mut buf).unwrap();
        let again = RtpPacket::parse(&buf[..len]).unwrap();
        assert_eq!(again.header(), header);
        assert_eq!(again.payload(), packet.payload());
        session.handle_rtp(t0, &packet);
    }
    if let Ok(packets) = RtcpPacket::parse_compound(data) {
        let mut out = Vec::new();
        let writable: Vec<_> = packets
            .into_iter()
            .filter(|p| !matches!(p, RtcpPacket::Other { .. }))
            .collect();
        for p in &writable {
            p.write(&mut out).unwrap();
        }
        if !writable.is_empty() {
            assert_eq!(RtcpPacket::parse_compound(&out).unwrap(), writable);
        }
    }
    let _ = session.handle_rtcp(t0 + Duration::from_millis(10), data);
    session.handle_timeout(t0 + Duration::from_secs(10));
    session.close(t0 + Duration::from_secs(11), Some("fuzz"));
    while let sip_media::rtp::RtpSessionOutput::Transmit(_) | sip_media::rtp::RtpSessionOutput::Event(_) =
        session.poll_output()
    {}
});
