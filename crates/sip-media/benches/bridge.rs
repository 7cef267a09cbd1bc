//! Benchmarks of sip-media's data path: N two-party G.711 calls through one conference bridge
//! (decode, mix, encode and RTP packetisation every 20 ms), and codec throughput.
//!
//! `cargo bench -p sip-media --bench bridge`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use sip_media::codec::Codec;
use sip_media::rtp::{RtpPacket, RtpSession, RtpSessionConfig};

mod common;
use common::CallFarm;

fn bridge_calls(c: &mut Criterion) {
    let mut group = c.benchmark_group("bridge_g711_cycle");
    group.measurement_time(Duration::from_secs(4));
    for calls in [50usize, 250, 500, 1000] {
        let mut farm = CallFarm::new(calls, Codec::Pcmu, Duration::from_secs(5));
        for _ in 0..20 {
            farm.cycle();
        }
        group.throughput(Throughput::Elements(2 * calls as u64));
        group.bench_with_input(BenchmarkId::from_parameter(calls), &calls, |b, _| {
            b.iter(|| farm.cycle())
        });
    }
    group.finish();
    // The largest real-time N: one cycle must take less than 20 ms of one core.
    let mut farm = CallFarm::new(1000, Codec::Pcmu, Duration::from_secs(5));
    for _ in 0..20 {
        farm.cycle();
    }
    let cycles = 100;
    let start = Instant::now();
    for _ in 0..cycles {
        farm.cycle();
    }
    let per_cycle = start.elapsed() / cycles;
    let per_stream = per_cycle / 2000;
    let streams = Duration::from_millis(20).as_nanos() / per_stream.as_nanos().max(1);
    println!(
        "bridge: {per_cycle:?} per 20 ms cycle for 1000 calls; {per_stream:?} CPU per stream per \
         20 ms ({:.3}% of a core per stream); about {streams} streams ({} calls) in real time on one core",
        per_stream.as_secs_f64() / 0.020 * 100.0,
        streams / 2
    );
}

fn codecs(c: &mut Criterion) {
    let mut group = c.benchmark_group("codec_20ms");
    for codec in [Codec::Pcmu, Codec::Pcma, Codec::G722] {
        let samples = (codec.sample_rate() / 50) as usize;
        let pcm: Vec<i16> = (0..samples)
            .map(|n| ((n as f64 * 0.2).sin() * 9000.0) as i16)
            .collect();
        let mut encoder = codec.encoder();
        let mut decoder = codec.decoder();
        let mut bytes = vec![0u8; codec.encoded_len(samples)];
        let mut out = vec![0i16; samples];
        group.throughput(Throughput::Elements(samples as u64));
        group.bench_function(format!("encode_{codec}"), |b| {
            b.iter(|| encoder.encode(black_box(&pcm), &mut bytes))
        });
        group.bench_function(format!("decode_{codec}"), |b| {
            b.iter(|| decoder.decode(black_box(&bytes), &mut out))
        });
    }
    group.finish();
}

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
    bridge_calls(&mut c);
    codecs(&mut c);
    rtp_packetize(&mut c);
    c.final_summary();
}
