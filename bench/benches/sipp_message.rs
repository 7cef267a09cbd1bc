//! MESSAGE throughput of an Engine-based responder against SIPp, with SIPp itself as the
//! reference responder, in the same run.
//!
//! For each responder, a SIPp UAC sends MESSAGE requests over UDP on loopback at a fixed rate
//! for a fixed time (`SIPSIMPLE_BENCH_RATE`, default 2000/s; `SIPSIMPLE_BENCH_SECS`, default
//! 30 s). The responders are:
//!
//! 1. the reference: SIPp as UAS (`crates/sip-core/tests/sipp/uas_200.xml`, 200 to each MESSAGE),
//!    a separate process;
//! 2. sip-core's `Engine`, in this process, answering MESSAGE itself (200 and
//!    `SIPEngineGotMessage`).
//!
//! Reported per responder: successful and failed transactions (from SIPp's final statistics),
//! the achieved rate, the responder's CPU time (utime + stime from /proc) per 1,000 messages and
//! its peak RSS (VmHWM). The ratio is the Engine's achieved rate over the reference's. Run with
//! `cargo bench -p sipsimple-bench --bench sipp_message` (needs `sipp`, Debian `sip-tester`).
//! Traffic stays on 127.0.0.1; SIPp processes are killed by PID.

use std::net::SocketAddr;

use sip_core::engine::{Engine, EngineConfig};
use sip_core::notification::NotificationCenter;
use sip_core::transaction::TransportKind;
use sipsimple_bench::sipp::{
    UacRun, cpu_seconds, env_u64, free_udp_port, peak_rss_kib, run_uac, sipp_installed, start_uas,
};

/// One MESSAGE run of `rate`/s for `secs` against `target`.
fn run_messages(target: SocketAddr, rate: u64, secs: u64, dir: &std::path::Path) -> UacRun {
    run_uac(
        "uac_message.xml",
        target,
        rate,
        rate * secs,
        rate * 4,
        0,
        false,
        dir,
    )
}

struct Report {
    name: &'static str,
    run: UacRun,
    cpu: f64,
    rss_kib: u64,
}

impl Report {
    fn rate(&self) -> f64 {
        self.run.successful as f64 / self.run.wall.as_secs_f64()
    }

    fn print(&self) {
        println!(
            "{:<22} successful {:>7}  failed {:>5}  wall {:>6.1} s  rate {:>7.0}/s  CPU {:>6.2} s \
             ({:.3} ms per 1000 msgs)  peak RSS {:>6} KiB",
            self.name,
            self.run.successful,
            self.run.failed,
            self.run.wall.as_secs_f64(),
            self.rate(),
            self.cpu,
            self.cpu * 1_000_000.0 / (self.run.successful.max(1) as f64),
            self.rss_kib
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` would run us too: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    if !sipp_installed() {
        eprintln!("sipp is not installed (Debian package sip-tester): skipping sipp_message");
        return;
    }
    let rate = env_u64("SIPSIMPLE_BENCH_RATE", 2000);
    let secs = env_u64("SIPSIMPLE_BENCH_SECS", 30);
    let dir = std::env::temp_dir().join(format!("sipsimple-bench-sipp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("bench folder");
    println!("MESSAGE over UDP, SIPp UAC at {rate}/s for {secs} s per responder");

    // 1. the reference: SIPp as UAS
    let uas_port = free_udp_port();
    let uas = start_uas("uas_200.xml", uas_port, &dir);
    let uas_pid = uas.0.id();
    let cpu0 = cpu_seconds(uas_pid);
    let run = run_messages(
        SocketAddr::from(([127, 0, 0, 1], uas_port)),
        rate,
        secs,
        &dir,
    );
    let reference = Report {
        name: "sipp uas (reference)",
        run,
        cpu: cpu_seconds(uas_pid) - cpu0,
        rss_kib: peak_rss_kib(uas_pid),
    };
    drop(uas);
    reference.print();

    // 2. the Engine, in this process
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let (engine, addr) = runtime.block_on(async {
        let config = EngineConfig::new()
            .with_ip_address("127.0.0.1".parse().unwrap())
            .with_udp_port(Some(0))
            .with_tcp_port(None)
            // Non-INVITE server transactions live 32 s after their answer over UDP
            // (Timer J), so a steady rate R needs room for about 32·R of them.
            .with_max_transactions((rate * 40) as usize);
        let engine = Engine::start(config, NotificationCenter::new())
            .await
            .expect("engine");
        let port = engine
            .local_port(TransportKind::Udp)
            .await
            .expect("port")
            .expect("udp");
        (engine, SocketAddr::from(([127, 0, 0, 1], port)))
    });
    let me = std::process::id();
    let cpu0 = cpu_seconds(me);
    let run = run_messages(addr, rate, secs, &dir);
    let ours = Report {
        name: "sip-core Engine",
        run,
        cpu: cpu_seconds(me) - cpu0,
        rss_kib: peak_rss_kib(me),
    };
    ours.print();
    runtime.block_on(async { engine.stop().await.expect("stop") });

    let ratio = ours.rate() / reference.rate();
    println!(
        "ratio (Engine rate / reference rate): {ratio:.3}; failed transactions: Engine {}, reference {}",
        ours.run.failed, reference.run.failed
    );
    let _ = std::fs::remove_dir_all(&dir);
}
