//! What the SIPp benchmarks share (`benches/sipp_message.rs`, `benches/sipp_call.rs`): free
//! loopback ports, process CPU time and peak memory from `/proc`, a child process killed by
//! PID on drop, and one SIPp UAC run read back from its statistics file.

use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An environment variable as a number, or `default`.
pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A SIPp scenario file of `crates/sip-core/tests/sipp/`.
pub fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/sip-core/tests/sipp")
        .join(name)
}

/// A UDP port on 127.0.0.1 that was free a moment ago.
pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// True when `sipp` can be run.
pub fn sipp_installed() -> bool {
    Command::new("sipp")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// CPU time (user + system) of a process in seconds, from `/proc/<pid>/stat`.
pub fn cpu_seconds(pid: u32) -> f64 {
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

/// A line of /proc/<pid>/status in KiB (`VmHWM:` peak, `VmRSS:` current).
fn status_kib(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// Peak resident set size of a process in KiB (VmHWM).
pub fn peak_rss_kib(pid: u32) -> u64 {
    status_kib(pid, "VmHWM:")
}

/// Current resident set size of a process in KiB (VmRSS).
pub fn rss_kib(pid: u32) -> u64 {
    status_kib(pid, "VmRSS:")
}

/// A child process, killed by PID and reaped on drop.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a SIPp UAS (`scenario` is a file name under the scenario folder, or `-sn NAME` for
/// a built-in one when it starts with `builtin:`) on 127.0.0.1:`port`, in `dir`.
pub fn start_uas(scenario_name: &str, port: u16, dir: &Path) -> KillOnDrop {
    let mut command = Command::new("sipp");
    match scenario_name.strip_prefix("builtin:") {
        Some(name) => command.args(["-sn", name]),
        None => command.arg("-sf").arg(scenario(scenario_name)),
    };
    let child = command
        .args(["-i", "127.0.0.1", "-p", &port.to_string()])
        .args(["-buff_size", "8388608", "-nostdin"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sipp uas");
    std::thread::sleep(Duration::from_millis(500));
    KillOnDrop(child)
}

/// What one SIPp UAC run measured.
#[derive(Debug, Clone)]
pub struct UacRun {
    /// Successful calls (transactions, for MESSAGE).
    pub successful: u64,
    /// Failed calls.
    pub failed: u64,
    /// Wall time of the run.
    pub wall: Duration,
    /// Response times in milliseconds of the `rtd="true"` step of each call, when asked.
    pub response_times_ms: Vec<f64>,
}

impl UacRun {
    /// The `p`-th percentile (0–100) of the response times, or `None` without any.
    pub fn percentile_ms(&self, p: f64) -> Option<f64> {
        if self.response_times_ms.is_empty() {
            return None;
        }
        let mut sorted = self.response_times_ms.clone();
        sorted.sort_by(f64::total_cmp);
        let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
        sorted.get(rank.min(sorted.len() - 1)).copied()
    }
}

/// One SIPp UAC run: `scenario_name` as in [`start_uas`], `calls` calls at `rate` per second
/// to `target`, at most `limit` simultaneous calls, each lasting `call_ms` (the `-d` of the
/// built-in scenarios). With `rtt`, every call's response time is recorded.
#[allow(clippy::too_many_arguments)]
pub fn run_uac(
    scenario_name: &str,
    target: SocketAddr,
    rate: u64,
    calls: u64,
    limit: u64,
    call_ms: u64,
    rtt: bool,
    dir: &Path,
) -> UacRun {
    let port = free_udp_port();
    let stats = dir.join(format!("uac_stats_{port}.csv"));
    let started = Instant::now();
    let mut command = Command::new("sipp");
    command.arg(target.to_string());
    match scenario_name.strip_prefix("builtin:") {
        Some(name) => command.args(["-sn", name]),
        None => command.arg("-sf").arg(scenario(scenario_name)),
    };
    command
        .args(["-i", "127.0.0.1", "-p", &port.to_string()])
        .args(["-r", &rate.to_string(), "-m", &calls.to_string()])
        .args(["-l", &limit.to_string(), "-d", &call_ms.to_string()])
        .args(["-buff_size", "8388608"])
        .args(["-timeout", &format!("{}s", calls / rate.max(1) + 90)])
        .args(["-nostdin", "-trace_stat", "-fd", "1", "-stf"])
        .arg(&stats);
    if rtt {
        command.args(["-trace_rtt", "-rtt_freq", "100"]);
    }
    let _ = command
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run sipp uac");
    let wall = started.elapsed();
    let csv = std::fs::read_to_string(&stats).expect("sipp statistics file");
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
    let response_times_ms = if rtt { read_rtt(dir) } else { Vec::new() };
    UacRun {
        successful: column("SuccessfulCall(C)"),
        failed: column("FailedCall(C)"),
        wall,
        response_times_ms,
    }
}

/// Reads and removes SIPp's `*_rtt.csv` files in `dir` (`date_ms;date_sec;rtd_no;rtd_value`
/// or `date;response_time;rtd_no`, depending on the version): the response times in ms.
fn read_rtt(dir: &Path) -> Vec<f64> {
    let mut times = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return times;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.to_string_lossy().ends_with("_rtt.csv") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap_or("").split(';').collect();
        let column = header
            .iter()
            .position(|h| h.contains("response_time") || h.contains("rtd_value"))
            .unwrap_or(1);
        times.extend(lines.filter_map(|l| {
            l.split(';')
                .nth(column)
                .and_then(|v| v.trim().parse::<f64>().ok())
        }));
        let _ = std::fs::remove_file(&path);
    }
    times
}
