//! The steady media path allocates nothing: after warm-up, 30 cycles of 20 bridged G.711 and
//! G.722 calls (RTP parse, jitter buffer, decode, mix, encode, packetise) make no heap
//! allocation. (RTCP reports, every few seconds per stream, do allocate; they are kept out of
//! this window with a long report interval.)

#[path = "../benches/common/mod.rs"]
#[allow(dead_code)]
mod common;

use std::time::Duration;

use sip_media::codec::Codec;

#[test]
fn bridged_calls_do_not_allocate_per_packet() {
    for codec in [Codec::Pcmu, Codec::G722] {
        let mut farm = common::CallFarm::new(20, codec, Duration::from_secs(3600));
        for _ in 0..30 {
            farm.cycle();
        }
        let info = allocation_counter::measure(|| {
            for _ in 0..30 {
                farm.cycle();
            }
        });
        assert_eq!(info.count_total, 0, "{codec}: {info:?}");
    }
}
