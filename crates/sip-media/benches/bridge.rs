//! Benchmarks of sip-media's data path.

use std::hint::black_box;
use std::time::Instant;

use criterion::Criterion;
use sip_media::rtp::{RtpPacket, RtpSession, RtpSessionConfig};

fn rtp_packetize(c: &mut Criterion) {
    let now = Instant::now();
    let mut session = RtpSession::new(RtpSessionConfig::default(), now);
    let payload = [0xd5u8; 160];
    let mut buf = [0u8; 1500];
    let mut media_time = 0u32;
    c.bench_function("rtp_write_parse_160", |b| {
        b.iter(|| {
            media_time = media_time.wrapping_add(160);
            let len = session
                .write_rtp(now, 0, false, media_time, black_box(&payload), &mut buf)
                .unwrap();
            black_box(RtpPacket::parse(&buf[..len]).unwrap().payload().len())
        })
    });
}

// What `criterion_group!`/`criterion_main!` expand to, without an undocumented `pub fn`.
fn main() {
    let mut c = Criterion::default().configure_from_args();
    rtp_packetize(&mut c);
    c.final_summary();
}
