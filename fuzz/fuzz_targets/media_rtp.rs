//! Fuzzes sip-media's RTP and RTCP readers and the RTP session fed with arbitrary datagrams,
//! plus the jitter buffer and the telephone-event reader on the parsed payloads. Nothing may
//! panic; a parsed RTP packet's header written back must parse to the same header and
//! payload; a parsed compound RTCP packet written back must parse to the same packets.

#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use sip_media::jitter::{JitterBuffer, JitterBufferConfig};
use sip_media::rtp::{RtcpPacket, RtpHeader, RtpPacket, RtpSession, RtpSessionConfig};
use sip_media::telephone_event::{TelephoneEvent, TelephoneEventReceiver};

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
        // The payload as audio (jitter buffer) and as a telephone-event.
        let mut jitter = JitterBuffer::new(JitterBufferConfig::default());
        for (i, chunk) in packet.payload().chunks(8).enumerate() {
            let ts = header.timestamp.wrapping_add(u32::from(chunk[0]) * 160);
            jitter.push(t0 + Duration::from_millis(i as u64 * 7), ts, 160, chunk);
            let _ = jitter.pop(t0 + Duration::from_millis(i as u64 * 20));
        }
        if let Some(event) = TelephoneEvent::parse(packet.payload()) {
            assert_eq!(TelephoneEvent::parse(&event.to_bytes()), Some(event));
        }
        let _ = TelephoneEventReceiver::new().handle(header.timestamp, packet.payload());
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
