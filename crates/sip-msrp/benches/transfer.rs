//! Sends a 32 MiB file between two MSRP sessions over loopback TCP in 64 KiB chunks, and, in
//! the same process, copies the same bytes over a plain tokio TCP connection with the same
//! write size. The receiver takes the file chunk by chunk (`IncomingMode::Chunks`), so its
//! memory stays bounded; the sender holds the file once (chunks are slices of it). Peak RSS
//! is printed at the end, after paired rounds (one transfer of each kind back to back, 30
//! times) that give the MSRP/TCP ratio with less noise from a changing machine load.
//!
//! Run: `cargo bench -p sip-msrp --bench transfer`

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sip_msrp::runtime::{MsrpListener, SendOutcome, connect};
use sip_msrp::{
    FailureReport, IncomingMode, Limits, MsrpSession, MsrpUri, OutgoingMessage, SessionConfig,
    SessionEvent,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;

const SIZE: usize = 32 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;

fn config() -> SessionConfig {
    SessionConfig {
        chunk_size: CHUNK,
        incoming_mode: IncomingMode::Chunks,
        max_incoming_size: u64::MAX,
        ..SessionConfig::default()
    }
}

fn limits() -> Limits {
    Limits {
        max_body: CHUNK,
        ..Limits::default()
    }
}

async fn msrp_transfer(data: Bytes, n: u32, failure_report: FailureReport) {
    let listener = MsrpListener::bind("127.0.0.1:0".parse().unwrap(), None, limits())
        .await
        .unwrap();
    let a = MsrpUri::new(false, "127.0.0.1", 9, format!("benchalice{n}"));
    let b = MsrpUri::new(
        false,
        "127.0.0.1",
        listener.local_addr().port(),
        format!("benchbob{n}"),
    );
    let mut bob = listener
        .expect_session(MsrpSession::new(config(), b.clone(), vec![a.clone()], 2))
        .unwrap();
    let conn = connect(listener.local_addr(), None, limits())
        .await
        .unwrap();
    let alice = conn
        .start_session(MsrpSession::new(config(), a, vec![b], 1))
        .await
        .unwrap();
    let reader = tokio::spawn(async move {
        let mut got = 0usize;
        while let Some(ev) = bob.next_event().await {
            match ev {
                SessionEvent::ChunkReceived(c) => got += c.data.len(),
                SessionEvent::MessageReceived(_) => break,
                _ => {}
            }
        }
        got
    });
    let out = alice
        .send(
            OutgoingMessage::new("application/octet-stream", data)
                .with_failure_report(failure_report)
                .with_success_report(failure_report == FailureReport::Partial),
        )
        .await
        .unwrap();
    assert!(matches!(
        out,
        SendOutcome::Acknowledged { .. } | SendOutcome::Delivered { .. }
    ));
    assert_eq!(reader.await.unwrap(), SIZE);
}

async fn tcp_copy(data: Bytes) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let reader = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 128 * 1024];
        let mut got = 0usize;
        loop {
            let n = s.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            got += n;
        }
        got
    });
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.set_nodelay(true).unwrap();
    for chunk in data.chunks(CHUNK) {
        s.write_all(chunk).await.unwrap();
    }
    s.shutdown().await.unwrap();
    assert_eq!(reader.await.unwrap(), SIZE);
}

/// User plus system CPU time of the process so far, in seconds (from `/proc/self/stat`, in
/// clock ticks of 10 ms: meaningful summed over many transfers).
fn cpu_secs() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which is in parentheses): utime and stime are the
    // 12th and 13th of them.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Criterion measures each function for 20 s one after the other, so on a shared machine a
/// change of load between them moves the ratio. These rounds time one transfer of each kind
/// back to back, many times, and report the ratio of each round's pair and their median.
fn paired_rounds(rt: &Runtime, data: &Bytes, n: &mut u32) {
    // MSRP_BENCH_ROUNDS=0 skips them (when profiling one function).
    let rounds: usize = std::env::var("MSRP_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    if rounds == 0 {
        return;
    }
    let gib = |d: Duration| SIZE as f64 / d.as_secs_f64() / (1u64 << 30) as f64;
    let mut yes = Vec::new();
    let mut partial = Vec::new();
    let (mut t_tcp, mut t_yes, mut t_partial) = (Vec::new(), Vec::new(), Vec::new());
    let mut cpu = [0.0f64; 3];
    for _ in 0..rounds {
        let c = cpu_secs();
        let t = Instant::now();
        rt.block_on(tcp_copy(data.clone()));
        let tcp = t.elapsed();
        let c1 = cpu_secs();
        *n += 1;
        let t = Instant::now();
        rt.block_on(msrp_transfer(data.clone(), *n, FailureReport::Yes));
        let y = t.elapsed();
        let c2 = cpu_secs();
        *n += 1;
        let t = Instant::now();
        rt.block_on(msrp_transfer(data.clone(), *n, FailureReport::Partial));
        let p = t.elapsed();
        let c3 = cpu_secs();
        cpu[0] += c1 - c;
        cpu[1] += c2 - c1;
        cpu[2] += c3 - c2;
        yes.push(tcp.as_secs_f64() / y.as_secs_f64());
        partial.push(tcp.as_secs_f64() / p.as_secs_f64());
        t_tcp.push(gib(tcp));
        t_yes.push(gib(y));
        t_partial.push(gib(p));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let range = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[0], v[v.len() - 1])
    };
    eprintln!("paired rounds ({rounds}, each: TCP copy, MSRP Failure-Report yes, MSRP partial):");
    eprintln!(
        "  throughput median GiB/s: TCP {:.2}, MSRP yes {:.2}, MSRP partial {:.2}",
        median(&mut t_tcp),
        median(&mut t_yes),
        median(&mut t_partial)
    );
    eprintln!(
        "  CPU time (user + system, whole process) per 32 MiB: TCP {:.1} ms, MSRP yes {:.1} ms, MSRP partial {:.1} ms",
        cpu[0] * 1000.0 / rounds as f64,
        cpu[1] * 1000.0 / rounds as f64,
        cpu[2] * 1000.0 / rounds as f64
    );
    let (ylo, yhi) = range(&mut yes);
    let (plo, phi) = range(&mut partial);
    eprintln!(
        "  MSRP/TCP ratio, Failure-Report yes: median {:.0}% (min {:.0}%, max {:.0}%)",
        median(&mut yes) * 100.0,
        ylo * 100.0,
        yhi * 100.0
    );
    eprintln!(
        "  MSRP/TCP ratio, Failure-Report partial + success report: median {:.0}% (min {:.0}%, max {:.0}%)",
        median(&mut partial) * 100.0,
        plo * 100.0,
        phi * 100.0
    );
}

fn bench(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let data: Bytes = (0..SIZE)
        .map(|i| (i.wrapping_mul(31) >> 3) as u8)
        .collect::<Vec<u8>>()
        .into();
    let mut g = c.benchmark_group("loopback_32MiB_64KiB_writes");
    g.throughput(Throughput::Bytes(SIZE as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function("tokio_tcp_copy", |b| {
        b.iter(|| rt.block_on(tcp_copy(data.clone())))
    });
    let mut n = 0;
    // A 200 for every chunk (Failure-Report: yes).
    g.bench_function("msrp_session_failure_report_yes", |b| {
        b.iter(|| {
            n += 1;
            rt.block_on(msrp_transfer(data.clone(), n, FailureReport::Yes))
        })
    });
    // The seed's ChatStream settings: no 200s, one success REPORT for the whole file.
    g.bench_function("msrp_session_failure_report_partial", |b| {
        b.iter(|| {
            n += 1;
            rt.block_on(msrp_transfer(data.clone(), n, FailureReport::Partial))
        })
    });
    g.finish();
    paired_rounds(&rt, &data, &mut n);
    if let Some(kib) = peak_rss_kib() {
        eprintln!(
            "peak RSS (VmHWM): {} MiB (the 32 MiB payload is held once)",
            kib / 1024
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
