//! Parse and print benchmarks: sipsimple-rs (`sip-core`) against rsip and ezk-sip-types.
//!
//! Each iteration handles the whole corpus (six messages), and the throughput is declared as
//! six elements, so criterion reports messages per second. Groups:
//!
//! * `parse_typed`: parse, then typed access to every Via, From, To, Call-ID, CSeq,
//!   Max-Forwards and Content-Length (what a transaction layer reads);
//! * `parse_raw`: parse only;
//! * `print`: serialise an already parsed message back to bytes.
//!
//! Run with `cargo bench -p sipsimple-bench` (or `cargo xtask bench`); see
//! `docs/benchmarks.md` for the results.

use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput};
use sipsimple_bench::{CORPUS, corpus_bytes, ezk_peer, ours, rsip_peer};

fn configure<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(CORPUS.len() as u64));
    g.sample_size(30);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(3));
    g
}

fn parse_typed(c: &mut Criterion) {
    let bufs: Vec<Bytes> = corpus_bytes();
    let mut g = configure(c, "parse_typed");
    g.bench_function("sipsimple", |b| {
        b.iter(|| {
            for buf in &bufs {
                black_box(ours::parse_typed(black_box(buf.clone())).expect("parses"));
            }
        });
    });
    g.bench_function("rsip", |b| {
        b.iter(|| {
            for m in &CORPUS {
                black_box(rsip_peer::parse_typed(black_box(m.bytes)).expect("parses"));
            }
        });
    });
    g.bench_function("ezk-sip-types", |b| {
        b.iter(|| {
            for buf in &bufs {
                black_box(ezk_peer::parse_typed(black_box(buf.clone())).expect("parses"));
            }
        });
    });
    g.finish();
}

fn parse_raw(c: &mut Criterion) {
    let bufs: Vec<Bytes> = corpus_bytes();
    let mut g = configure(c, "parse_raw");
    g.bench_function("sipsimple", |b| {
        b.iter(|| {
            for buf in &bufs {
                black_box(ours::parse_raw(black_box(buf.clone())).expect("parses"));
            }
        });
    });
    g.bench_function("rsip", |b| {
        b.iter(|| {
            for m in &CORPUS {
                black_box(rsip_peer::parse_raw(black_box(m.bytes)).expect("parses"));
            }
        });
    });
    g.bench_function("ezk-sip-types", |b| {
        b.iter(|| {
            for buf in &bufs {
                black_box(ezk_peer::parse_raw(black_box(buf.clone())).expect("parses"));
            }
        });
    });
    g.finish();
}

fn print(c: &mut Criterion) {
    let bufs: Vec<Bytes> = corpus_bytes();
    let ours_msgs: Vec<_> = bufs
        .iter()
        .map(|b| ours::parse_raw(b.clone()).expect("parses"))
        .collect();
    let rsip_msgs: Vec<_> = CORPUS
        .iter()
        .map(|m| rsip_peer::parse_raw(m.bytes).expect("parses"))
        .collect();
    let ezk_msgs: Vec<_> = bufs
        .iter()
        .map(|b| ezk_peer::parse_raw(b.clone()).expect("parses"))
        .collect();
    let mut g = configure(c, "print");
    g.bench_function("sipsimple", |b| {
        b.iter(|| {
            for m in &ours_msgs {
                black_box(ours::print(black_box(m)));
            }
        });
    });
    g.bench_function("rsip", |b| {
        b.iter(|| {
            for m in &rsip_msgs {
                black_box(rsip_peer::print(black_box(m)));
            }
        });
    });
    g.bench_function("ezk-sip-types", |b| {
        b.iter(|| {
            for m in &ezk_msgs {
                black_box(ezk_peer::print(black_box(m)));
            }
        });
    });
    g.finish();
}

// What `criterion_group!`/`criterion_main!` expand to, written out so that no undocumented
// `pub fn` is generated.
fn main() {
    let mut c = Criterion::default().configure_from_args();
    parse_typed(&mut c);
    print(&mut c);
    parse_raw(&mut c);
    c.final_summary();
}
