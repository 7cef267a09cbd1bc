//! Call throughput of an auto-answering Engine against SIPp, with SIPp's own UAS as the
//! reference, in the same run; then the memory one established dialog costs.
//!
//! The memory phase runs first, so that its baseline is not inflated by the heap the
//! throughput runs grew.
//!
//! 1. **Throughput.** SIPp's built-in `uac` scenario (INVITE with SDP, 100/180 optional, 200,
//!    ACK, BYE, 200; no media) calls over UDP on loopback at a fixed rate
//!    (`SIPSIMPLE_BENCH_CPS`, default 3000 calls/s) for a fixed time (`SIPSIMPLE_BENCH_SECS`,
//!    default 60 s):
//!    - the reference: SIPp's built-in `uas` scenario, a separate process;
//!    - ours: the agent example's user agent (`crates/sip-core/examples/agent/ua.rs`) in this
//!      process, answering every call with 180 and 200 with an SDP answer, each call an
//!      `Invitation` on sip-core's `Engine`.
//!
//!    Reported per responder: successful and failed calls (SIPp's final statistics), the
//!    achieved rate, p50/p99 call setup time (INVITE to 200, SIPp's response-time trace), the
//!    responder's CPU time per 1,000 calls and its peak RSS. The ratio is our achieved rate over
//!    the reference's.
//! 2. **Memory per established dialog.** SIPp places `SIPSIMPLE_BENCH_DIALOGS` (default
//!    10,000) calls that last 70 s, at 500 calls/s. Once every INVITE transaction has ended
//!    (their RFC 6026 Timer L is 32 s) and all calls are still up, the growth of this process's
//!    resident memory since before the phase, divided by the number of established dialogs, is
//!    the memory per dialog (no media). With `--features count-allocations` it is measured as
//!    live heap bytes (the Engine then runs on the measuring thread, in a current-thread
//!    runtime); the growth of resident memory is printed too, but it keeps what the ended
//!    transactions freed, so it overstates the dialogs' share.
//!
//! Run with `cargo bench -p sipsimple-bench --features count-allocations --bench sipp_call`
//! (needs `sipp`, Debian `sip-tester`). Traffic stays on 127.0.0.1; SIPp processes are killed by PID.

#[path = "../../crates/sip-core/examples/agent/ua.rs"]
mod ua;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use sip_core::engine::Engine;
use sip_core::notification::NotificationCenter;
use sipsimple_bench::sipp::{
    UacRun, cpu_seconds, env_u64, free_udp_port, peak_rss_kib, rss_kib, run_uac, sipp_installed,
    start_uas,
};

/// Discards the agent's lines (it runs with `quiet`; only its summary line comes here).
fn ignore_line(_: String) {}

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
            "{:<22} successful {:>7}  failed {:>5}  wall {:>6.1} s  rate {:>7.0}/s  setup p50 \
             {:>5.2} ms p99 {:>6.2} ms  CPU {:>6.2} s ({:.1} ms per 1000 calls)  peak RSS {:>7} KiB",
            self.name,
            self.run.successful,
            self.run.failed,
            self.run.wall.as_secs_f64(),
            self.rate(),
            self.run.percentile_ms(50.0).unwrap_or(f64::NAN),
            self.run.percentile_ms(99.0).unwrap_or(f64::NAN),
            self.cpu,
            self.cpu * 1_000_000.0 / (self.run.successful.max(1) as f64),
            self.rss_kib
        );
    }
}

/// An answering agent on its own Engine in `runtime`; returns the Engine and its address.
fn start_agent(runtime: &tokio::runtime::Runtime) -> (Engine, SocketAddr) {
    runtime.block_on(async {
        let options = ua::AgentOptions {
            answer: true,
            quiet: true,
            ..ua::AgentOptions::default()
        };
        let center = NotificationCenter::new();
        let (engine, addr) = ua::start_engine(&options, &center).await.expect("engine");
        tokio::spawn(ua::run_with(
            engine.clone(),
            center,
            addr,
            options,
            ignore_line,
        ));
        (engine, addr)
    })
}

fn throughput(rate: u64, secs: u64, dir: &Path) {
    println!(
        "INVITE/180/200/ACK/BYE/200 over UDP, SIPp uac at {rate} calls/s for {secs} s per responder"
    );
    let calls = rate * secs;
    let limit = rate * 10;

    // 1. the reference: SIPp's built-in uas
    let uas_port = free_udp_port();
    let uas = start_uas("builtin:uas", uas_port, dir);
    let uas_pid = uas.0.id();
    let cpu0 = cpu_seconds(uas_pid);
    let run = run_uac(
        "builtin:uac",
        SocketAddr::from(([127, 0, 0, 1], uas_port)),
        rate,
        calls,
        limit,
        0,
        true,
        dir,
    );
    let reference = Report {
        name: "sipp uas (reference)",
        run,
        cpu: cpu_seconds(uas_pid) - cpu0,
        rss_kib: peak_rss_kib(uas_pid),
    };
    drop(uas);
    reference.print();

    // 2. the agent on the Engine, in this process (two workers: the Engine's driver task and
    //    the calls' tasks may run side by side, as they would in an application)
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(env_u64("SIPSIMPLE_BENCH_WORKERS", 2) as usize)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let (engine, addr) = start_agent(&runtime);
    let me = std::process::id();
    let cpu0 = cpu_seconds(me);
    let run = run_uac("builtin:uac", addr, rate, calls, limit, 0, true, dir);
    let ours = Report {
        name: "sip-core Invitation",
        run,
        cpu: cpu_seconds(me) - cpu0,
        rss_kib: peak_rss_kib(me),
    };
    ours.print();
    runtime.block_on(async { engine.stop().await.expect("stop") });
    drop(runtime);

    let ratio = ours.rate() / reference.rate();
    println!(
        "ratio (ours / reference): {ratio:.3}; failed calls: ours {}, reference {}",
        ours.run.failed, reference.run.failed
    );
}

/// Live heap bytes allocated and not freed by `f` on this thread, when counting is built in.
#[cfg(feature = "count-allocations")]
fn live_bytes_of(f: impl FnOnce()) -> Option<i64> {
    Some(allocation_counter::measure(f).bytes_current)
}

#[cfg(not(feature = "count-allocations"))]
fn live_bytes_of(f: impl FnOnce()) -> Option<i64> {
    f();
    None
}

fn memory_per_dialog(dialogs: u64, dir: &Path) {
    let rate = 500;
    let call_ms = 70_000;
    println!(
        "memory: {dialogs} calls of {} s at {rate} calls/s, measured once the INVITE transactions \
         are gone",
        call_ms / 1000
    );
    // One thread runs everything of ours, so that the allocation counter sees it all.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let (engine, addr) = start_agent(&runtime);
    let me = std::process::id();
    runtime.block_on(async { tokio::time::sleep(Duration::from_millis(500)).await });
    let before = rss_kib(me);
    let dir_owned = dir.to_path_buf();
    let uac = std::thread::spawn(move || {
        run_uac(
            "builtin:uac",
            addr,
            rate,
            dialogs,
            dialogs + 10,
            call_ms,
            false,
            &dir_owned,
        )
    });
    // All calls are placed after dialogs/rate seconds; the last INVITE transaction ends 32 s
    // later (Timer L); the first calls end at 70 s.
    let placed = Duration::from_secs(dialogs / rate);
    let live = live_bytes_of(|| {
        runtime.block_on(async { tokio::time::sleep(placed + Duration::from_secs(36)).await });
    });
    let during = rss_kib(me);
    // Keep the Engine running until SIPp has ended every call.
    while !uac.is_finished() {
        runtime.block_on(async { tokio::time::sleep(Duration::from_millis(200)).await });
    }
    let run = uac.join().expect("uac thread");
    let rss_per_dialog = during.saturating_sub(before) as f64 / dialogs as f64;
    match live {
        Some(bytes) => println!(
            "live heap of {dialogs} established dialogs: {:.1} KiB per dialog",
            bytes as f64 / 1024.0 / dialogs as f64
        ),
        None => println!("live heap not measured (build with --features count-allocations)"),
    }
    println!(
        "RSS before {before} KiB, with {dialogs} established dialogs {during} KiB ({rss_per_dialog:.1} \
         KiB per dialog); calls successful {}, failed {}",
        run.successful, run.failed
    );
    runtime.block_on(async { engine.stop().await.expect("stop") });
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` would run us too: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    if !sipp_installed() {
        eprintln!("sipp is not installed (Debian package sip-tester): skipping sipp_call");
        return;
    }
    let rate = env_u64("SIPSIMPLE_BENCH_CPS", 3000);
    let secs = env_u64("SIPSIMPLE_BENCH_SECS", 60);
    let dialogs = env_u64("SIPSIMPLE_BENCH_DIALOGS", 10_000);
    let dir = std::env::temp_dir().join(format!("sipsimple-bench-call-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("bench folder");
    // Memory first, while the heap has not yet been grown by the throughput runs.
    if dialogs > 0 {
        memory_per_dialog(dialogs, &dir);
    }
    throughput(rate, secs, &dir);
    let _ = std::fs::remove_dir_all(&dir);
}
