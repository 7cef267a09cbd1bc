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

use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sip_core::engine::{Engine, EngineConfig};
use sip_core::notification::NotificationCenter;
use sip_core::transaction::TransportKind;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/sip-core/tests/sipp")
        .join(name)
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// CPU time (user + system) of a process in seconds, from /proc/<pid>/stat.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|i| fields.get(*i).and_then(|f| f.parse::<f64>().ok()))
        .sum();
    // USER_HZ is 100 on Linux.
    ticks / 100.0
}

/// Peak resident set size of a process in KiB (VmHWM).
fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What one SIPp UAC run measured.
struct UacRun {
    successful: u64,
    failed: u64,
    wall: Duration,
}

/// Runs the SIPp UAC against `target` at `rate` for `secs` and reads its final counters.
fn run_uac(target: SocketAddr, rate: u64, secs: u64, dir: &Path) -> UacRun {
    let port = free_udp_port();
    let started = Instant::now();
    let output = Command::new("sipp")
        .arg(target.to_string())
        .args(["-sf"])
        .arg(scenario("uac_message.xml"))
        .args(["-i", "127.0.0.1", "-p", &port.to_string()])
        .args(["-r", &rate.to_string(), "-m", &(rate * secs).to_string()])
        .args(["-l", &(rate * 4).to_string()])
        .args([
            "-buff_size",
            "8388608",
            "-timeout",
            &format!("{}s", secs + 60),
        ])
        .args(["-nostdin", "-trace_stat", "-fd", "1", "-stf"])
        .arg(dir.join("uac_stats.csv"))
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .expect("run sipp uac");
    let wall = started.elapsed();
    let _ = output;
    let csv = std::fs::read_to_string(dir.join("uac_stats.csv")).expect("sipp statistics file");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(';').collect();
    let last: Vec<&str> = lines
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or("")
        .split(';')
        .collect();
    let column = |name: &str| -> u64 {
        header
            .iter()
            .position(|h| *h == name)
            .and_then(|i| last.get(i))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    UacRun {
        successful: column("SuccessfulCall(C)"),
        failed: column("FailedCall(C)"),
        wall,
    }
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
    if Command::new("sipp")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_err()
    {
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
    let uas = Command::new("sipp")
        .args(["-sf"])
        .arg(scenario("uas_200.xml"))
        .args(["-i", "127.0.0.1", "-p", &uas_port.to_string()])
        .args(["-buff_size", "8388608", "-nostdin"])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sipp uas");
    let uas = KillOnDrop(uas);
    std::thread::sleep(Duration::from_millis(500));
    let uas_pid = uas.0.id();
    let cpu0 = cpu_seconds(uas_pid);
    let run = run_uac(
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
    let run = run_uac(addr, rate, secs, &dir);
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
