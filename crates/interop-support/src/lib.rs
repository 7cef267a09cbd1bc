//! # interop-support
//!
//! Shared helpers for the interop tests of the sipsimple-rs crates. They start real peers on
//! loopback, wait until they answer (never a blind sleep), and stop them by PID when dropped.
//!
//! - [`Kamailio`]: Kamailio 5.6 from the templates in `interop/kamailio/` (registrar with digest
//!   authentication, proxy, presence server, MSRP relay) on free loopback ports, with a fresh
//!   [`TestCa`] for its TLS listeners.
//! - [`Pjua`]: the headless PJSUA2 user agent `interop/pjsua2/pjua.py`, run by the Python
//!   interpreter of a venv that has `pjsua2-python` installed.
//!
//! Each peer is looked up first; when it is missing the helpers panic with the install hint,
//! unless `SIPSIMPLE_SKIP_INTEROP=1` is set, in which case they return `None` and the test
//! returns early (see [`skip_interop`]).
//!
//! ```no_run
//! let Some(kamailio) = interop_support::Kamailio::start(Default::default()) else { return };
//! println!("registrar at 127.0.0.1:{}", kamailio.sip_port());
//! ```

use std::collections::VecDeque;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Users known to the Kamailio registrar (`interop/kamailio/db/subscriber`): (user, password).
pub const KAMAILIO_USERS: [(&str, &str); 3] = [
    ("alice", "alice123"),
    ("bob", "bob123"),
    ("carol", "carol123"),
];

/// How long a peer may take to answer its first probe.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// True when `SIPSIMPLE_SKIP_INTEROP=1`: tests whose peer is missing are skipped, not failed.
pub fn skip_interop() -> bool {
    std::env::var("SIPSIMPLE_SKIP_INTEROP").as_deref() == Ok("1")
}

/// Decides what happens when a peer is missing: `None` (skip, with a note) under
/// `SIPSIMPLE_SKIP_INTEROP=1`, a panic naming `hint` otherwise.
fn missing_peer<T>(what: &str, hint: &str) -> Option<T> {
    if skip_interop() {
        eprintln!("note: {what} is not available and SIPSIMPLE_SKIP_INTEROP=1: skipping");
        None
    } else {
        panic!(
            "{what} is not available: {hint} (.ci/run installs it), or set \
             SIPSIMPLE_SKIP_INTEROP=1 to skip the interop tests"
        )
    }
}

/// The repository's `interop/` folder with the peer templates.
pub fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../interop")
}

/// A program on `PATH` (or in the usual sbin folders, where Debian puts kamailio).
pub fn find_program(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from));
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

/// A fresh folder under the system temp dir, removed on drop unless `SIPSIMPLE_KEEP_INTEROP=1`
/// (then its path is printed, for reading peer logs after a failure).
#[derive(Debug)]
pub struct RunDir(PathBuf);

impl RunDir {
    /// Creates `$TMPDIR/sipsimple-<label>-<pid>-<n>`.
    pub fn new(label: &str) -> std::io::Result<Self> {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "sipsimple-{label}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&dir)?;
        Ok(RunDir(dir))
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if std::env::var("SIPSIMPLE_KEEP_INTEROP").as_deref() == Ok("1") {
            eprintln!("note: interop run folder kept: {}", self.0.display());
        } else {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}

/// A port that is free, a moment ago, for UDP and TCP on 127.0.0.1 and on ::1 (when the host
/// has IPv6 loopback), so a peer can listen on all four.
pub fn free_port() -> u16 {
    for _ in 0..200 {
        let Ok(tcp) = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)) else {
            continue;
        };
        let Ok(addr) = tcp.local_addr() else { continue };
        let port = addr.port();
        let udp_ok = UdpSocket::bind((Ipv4Addr::LOCALHOST, port)).is_ok();
        let v6_ok = match TcpListener::bind(("::1", port)) {
            Ok(_) => UdpSocket::bind(("::1", port)).is_ok(),
            // no IPv6 loopback on this host: nothing to collide with
            Err(e) => e.kind() == std::io::ErrorKind::AddrNotAvailable,
        };
        if udp_ok && v6_ok {
            return port;
        }
    }
    panic!("no free loopback port found in 200 attempts")
}

/// A test certificate authority ("Test CA") and a server certificate it signed for
/// `localhost`, `127.0.0.1` and `::1`, as PEM files in a folder.
#[derive(Debug)]
pub struct TestCa {
    /// The CA certificate (trust anchor for clients).
    pub ca_pem: PathBuf,
    /// The server certificate.
    pub server_pem: PathBuf,
    /// The server's private key (PKCS#8 PEM).
    pub server_key: PathBuf,
    /// Certificate followed by key, for peers that want one file.
    pub server_combined: PathBuf,
}

impl TestCa {
    /// Generates the CA and server certificate into `dir` (created if needed).
    pub fn generate(dir: &Path) -> std::io::Result<TestCa> {
        Self::generate_inner(dir).map_err(std::io::Error::other)?
    }

    fn generate_inner(dir: &Path) -> Result<std::io::Result<TestCa>, rcgen::Error> {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
        let ca_key = KeyPair::generate()?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Test CA");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params.self_signed(&ca_key)?;

        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ])?;
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        let cert = params.signed_by(&key, &ca_cert, &ca_key)?;

        let ca = TestCa {
            ca_pem: dir.join("ca.pem"),
            server_pem: dir.join("server.pem"),
            server_key: dir.join("server.key"),
            server_combined: dir.join("server-combined.pem"),
        };
        let written = (|| {
            fs::create_dir_all(dir)?;
            fs::write(&ca.ca_pem, ca_cert.pem())?;
            fs::write(&ca.server_pem, cert.pem())?;
            fs::write(&ca.server_key, key.serialize_pem())?;
            fs::write(
                &ca.server_combined,
                format!("{}{}", cert.pem(), key.serialize_pem()),
            )?;
            Ok(ca)
        })();
        Ok(written)
    }
}

/// Options of [`Kamailio::start`] (the `-A` defines of the configuration).
#[derive(Debug, Clone, Copy, Default)]
pub struct KamailioOptions {
    /// `WITH_PROXYAUTH`: also challenge (407) initial INVITE, MESSAGE, SUBSCRIBE, PUBLISH and
    /// REFER from local users.
    pub proxy_auth: bool,
    /// `MSRP_NO_HOP_200`: the MSRP relay does not answer SEND itself; only the far end's 200 is
    /// relayed.
    pub msrp_no_hop_200: bool,
}

/// A running Kamailio on loopback, stopped (its whole process group) on drop.
///
/// Listeners: SIP over UDP and TCP on `127.0.0.1:sip_port` and `[::1]:sip_port`, TLS on
/// `127.0.0.1:tls_port`, the MSRP relay on `msrp://127.0.0.1:msrp_port;tcp` and
/// `msrps://127.0.0.1:msrps_port;tcp`. Domain `127.0.0.1`; users [`KAMAILIO_USERS`].
#[derive(Debug)]
pub struct Kamailio {
    child: Child,
    sip_port: u16,
    tls_port: u16,
    msrp_port: u16,
    msrps_port: u16,
    ca: TestCa,
    log: PathBuf,
    db: PathBuf,
    // last: removed after the process is gone
    _dir: RunDir,
}

impl Kamailio {
    /// Starts Kamailio and waits until it answers an OPTIONS over UDP and accepts TCP
    /// connections on every listener. `None` when kamailio is missing and
    /// `SIPSIMPLE_SKIP_INTEROP=1`; panics on any other failure, with its log.
    pub fn start(options: KamailioOptions) -> Option<Kamailio> {
        let Some(binary) = find_program("kamailio") else {
            return missing_peer(
                "kamailio",
                "install the Debian packages kamailio kamailio-presence-modules \
                 kamailio-tls-modules kamailio-utils-modules kamailio-xml-modules",
            );
        };
        let dir = RunDir::new("kamailio").expect("create kamailio run folder");
        let base = dir.path().to_path_buf();
        let ca = TestCa::generate(&base.join("certs")).expect("generate test certificates");
        let (sip_port, tls_port, msrp_port, msrps_port) =
            (free_port(), free_port(), free_port(), free_port());

        let templates = interop_dir().join("kamailio");
        let kdir = base.join("kamailio");
        let db = kdir.join("db");
        fs::create_dir_all(&db).expect("create kamailio db folder");
        for entry in fs::read_dir(templates.join("db")).expect("read interop/kamailio/db") {
            let entry = entry.expect("read db entry");
            fs::copy(entry.path(), db.join(entry.file_name())).expect("copy db table");
        }
        let substitute = |text: String| {
            text.replace("@BASE@", &base.display().to_string())
                .replace("@SIP_PORT@", &sip_port.to_string())
                .replace("@TLS_PORT@", &tls_port.to_string())
                .replace("@MSRP_PORT@", &msrp_port.to_string())
                .replace("@MSRPS_PORT@", &msrps_port.to_string())
        };
        for (template, out) in [
            ("kamailio.cfg.in", "kamailio.cfg"),
            ("tls.cfg.in", "tls.cfg"),
        ] {
            let text = fs::read_to_string(templates.join(template))
                .unwrap_or_else(|e| panic!("read interop/kamailio/{template}: {e}"));
            fs::write(kdir.join(out), substitute(text)).expect("write kamailio config");
        }

        let log = kdir.join("kamailio.log");
        let log_file = fs::File::create(&log).expect("create kamailio.log");
        let mut cmd = Command::new(binary);
        // -A must come before -f, or Kamailio ignores it.
        if options.proxy_auth {
            cmd.args(["-A", "WITH_PROXYAUTH"]);
        }
        if options.msrp_no_hop_200 {
            cmd.args(["-A", "MSRP_NO_HOP_200"]);
        }
        cmd.arg("-f")
            .arg(kdir.join("kamailio.cfg"))
            .arg("-P")
            .arg(kdir.join("kamailio.pid"))
            .args(["-E", "-DD"])
            .current_dir(&kdir)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("clone log handle"))
            .stderr(log_file)
            // its own process group, so drop can stop the workers it forks
            .process_group(0);
        let child = cmd.spawn().expect("spawn kamailio");
        let kamailio = Kamailio {
            child,
            sip_port,
            tls_port,
            msrp_port,
            msrps_port,
            ca,
            log,
            db,
            _dir: dir,
        };
        kamailio.wait_ready();
        Some(kamailio)
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + READY_TIMEOUT;
        let tcp_ports = [
            self.sip_port,
            self.tls_port,
            self.msrp_port,
            self.msrps_port,
        ];
        let probe = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind probe socket");
        probe
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("set probe timeout");
        let mut n = 0;
        loop {
            n += 1;
            let tcp_up = tcp_ports.iter().all(|p| {
                TcpStream::connect_timeout(
                    &SocketAddr::from((Ipv4Addr::LOCALHOST, *p)),
                    Duration::from_millis(200),
                )
                .is_ok()
            });
            if tcp_up && udp_options_answered(&probe, self.sip_port, n) {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "kamailio did not become ready within {READY_TIMEOUT:?}; log:\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIP port (UDP and TCP, on 127.0.0.1 and ::1).
    pub fn sip_port(&self) -> u16 {
        self.sip_port
    }

    /// SIP over TLS port on 127.0.0.1.
    pub fn tls_port(&self) -> u16 {
        self.tls_port
    }

    /// MSRP relay port (TCP).
    pub fn msrp_port(&self) -> u16 {
        self.msrp_port
    }

    /// MSRP relay port (TLS).
    pub fn msrps_port(&self) -> u16 {
        self.msrps_port
    }

    /// The SIP address `127.0.0.1:sip_port`.
    pub fn sip_addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.sip_port))
    }

    /// The certificates its TLS listeners use; `ca.ca_pem` verifies them.
    pub fn ca(&self) -> &TestCa {
        &self.ca
    }

    /// The folder of its db_text tables (`presentity`, `subscriber`, …).
    pub fn db_dir(&self) -> &Path {
        &self.db
    }

    /// Everything Kamailio has logged so far (requests and replies at INFO level).
    pub fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Kamailio {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

/// Sends an OPTIONS without a user part to `127.0.0.1:port` and waits briefly for any answer.
fn udp_options_answered(probe: &UdpSocket, port: u16, n: u32) -> bool {
    let local = match probe.local_addr() {
        Ok(a) => a,
        Err(_) => return false,
    };
    let msg = format!(
        "OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {local};branch=z9hG4bKprobe{n}x{pid};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:probe@127.0.0.1>;tag=probe{n}\r\n\
         To: <sip:127.0.0.1:{port}>\r\n\
         Call-ID: probe-{n}-{pid}@127.0.0.1\r\n\
         CSeq: {n} OPTIONS\r\n\
         Content-Length: 0\r\n\r\n",
        pid = std::process::id()
    );
    if probe
        .send_to(msg.as_bytes(), (Ipv4Addr::LOCALHOST, port))
        .is_err()
    {
        return false;
    }
    let mut buf = [0u8; 4096];
    matches!(probe.recv_from(&mut buf), Ok((len, _)) if buf[..len].starts_with(b"SIP/2.0 "))
}

/// SIGTERM to the child's process group, SIGKILL after 3 s, then reap.
fn kill_group(child: &mut Child) {
    let pgid = format!("-{}", child.id());
    let _ = Command::new("kill")
        .args(["-TERM", "--", &pgid])
        .stderr(Stdio::null())
        .status();
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = Command::new("kill")
        .args(["-KILL", "--", &pgid])
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

/// The Python interpreter of a venv with `pjsua2-python`: `$SIPSIMPLE_PJSUA2_PYTHON`, else
/// `${XDG_CACHE_HOME:-~/.cache}/sipsimple-rs/pjsua2-venv/bin/python` (where `.ci/run` makes it).
/// `None` when missing and `SIPSIMPLE_SKIP_INTEROP=1`.
pub fn pjsua2_python() -> Option<PathBuf> {
    let candidate = std::env::var_os("SIPSIMPLE_PJSUA2_PYTHON")
        .map(PathBuf::from)
        .or_else(|| {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
            Some(cache.join("sipsimple-rs/pjsua2-venv/bin/python"))
        });
    match candidate {
        Some(p) if p.is_file() => Some(p),
        _ => missing_peer(
            "pjsua2 (Python venv with pjsua2-python)",
            "run `python3 -m venv ~/.cache/sipsimple-rs/pjsua2-venv && \
             ~/.cache/sipsimple-rs/pjsua2-venv/bin/pip install pjsua2-python==2.15.1.post1` \
             or set SIPSIMPLE_PJSUA2_PYTHON",
        ),
    }
}

/// A running `pjua.py` (headless PJSUA2 UA). Its stdout and stderr lines are collected; the
/// process is killed by PID on drop.
#[derive(Debug)]
pub struct Pjua {
    child: Child,
    port: u16,
    lines: Arc<(Mutex<VecDeque<String>>, Condvar)>,
    all: Arc<Mutex<Vec<String>>>,
}

impl Pjua {
    /// Starts `pjua.py --ip 127.0.0.1 --port <free port> <args>`; `certs` are used for
    /// `--transport tls` (`--cert-dir`). `None` when pjsua2 is missing and
    /// `SIPSIMPLE_SKIP_INTEROP=1`. Waits until it logs that it listens.
    pub fn spawn(args: &[&str], certs: Option<&TestCa>) -> Option<Pjua> {
        let python = pjsua2_python()?;
        let port = free_port();
        let script = interop_dir().join("pjsua2/pjua.py");
        let mut cmd = Command::new(python);
        cmd.arg("-u")
            .arg(script)
            .args(["--ip", "127.0.0.1", "--port", &port.to_string()])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        if let Some(ca) = certs {
            let dir = ca.ca_pem.parent().expect("certificate folder");
            cmd.arg("--cert-dir").arg(dir);
        }
        let mut child = cmd.spawn().expect("spawn pjua.py");
        let lines = Arc::new((Mutex::new(VecDeque::new()), Condvar::new()));
        let all = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let lines = Arc::clone(&lines);
            let all = Arc::clone(&all);
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    all.lock().expect("lines lock").push(line.clone());
                    let (queue, cv) = &*lines;
                    queue.lock().expect("lines lock").push_back(line);
                    cv.notify_all();
                }
            });
        }
        let pjua = Pjua {
            child,
            port,
            lines,
            all,
        };
        if pjua
            .wait_for(|l| l.contains("listening"), READY_TIMEOUT)
            .is_none()
        {
            panic!("pjua.py did not start; output:\n{}", pjua.output());
        }
        Some(pjua)
    }

    /// Its SIP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its SIP address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// Waits for the next output line (not consumed before) that satisfies `pred`, consuming
    /// the lines before it. `None` on timeout or when the process has ended without one.
    pub fn wait_for(&self, pred: impl Fn(&str) -> bool, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        let (queue, cv) = &*self.lines;
        let mut q = queue.lock().expect("lines lock");
        loop {
            while let Some(line) = q.pop_front() {
                if pred(&line) {
                    return Some(line);
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            q = cv
                .wait_timeout(q, (deadline - now).min(Duration::from_millis(200)))
                .expect("lines lock")
                .0;
        }
    }

    /// All output so far, one line per line.
    pub fn output(&self) -> String {
        self.all.lock().expect("lines lock").join("\n")
    }

    /// Waits up to `timeout` for the process to exit; true when it did.
    pub fn wait_exit(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Pjua {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

/// Writes `text` to `path` (a small helper for scenario files in run folders).
pub fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    let mut f = fs::File::create(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_port_is_bindable_on_udp_and_tcp() {
        let port = free_port();
        assert_ne!(port, 0);
        UdpSocket::bind((Ipv4Addr::LOCALHOST, port)).expect("udp");
        TcpListener::bind((Ipv4Addr::LOCALHOST, port)).expect("tcp");
    }

    #[test]
    fn test_ca_writes_pem_files() {
        let dir = RunDir::new("ca-test").unwrap();
        let ca = TestCa::generate(dir.path()).unwrap();
        let ca_text = fs::read_to_string(&ca.ca_pem).unwrap();
        assert!(ca_text.starts_with("-----BEGIN CERTIFICATE-----"));
        let key = fs::read_to_string(&ca.server_key).unwrap();
        assert!(key.contains("PRIVATE KEY"));
        let combined = fs::read_to_string(&ca.server_combined).unwrap();
        assert!(combined.contains("CERTIFICATE") && combined.contains("PRIVATE KEY"));
    }

    #[test]
    fn kamailio_starts_and_answers_options() {
        let Some(k) = Kamailio::start(KamailioOptions::default()) else {
            return;
        };
        let probe = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        probe
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        assert!(udp_options_answered(&probe, k.sip_port(), 999));
        assert!(k.log_text().contains("OPTIONS"), "log: {}", k.log_text());
    }
}
