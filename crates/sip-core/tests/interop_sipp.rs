//! Interop with SIPp (Debian `sip-tester`) on loopback: SIPp as UAC against our Engine and as
//! UAS for our Message. Each test starts SIPp as a child process on 127.0.0.1 with a free
//! port, bounds every wait, and kills the child (by its PID, through a guard) when done.
//!
//! Without `sipp` on PATH the tests fail (`.ci/run` installs `sip-tester`), unless
//! `SIPSIMPLE_SKIP_INTEROP=1` is set, in which case they are skipped with a note.
#![cfg(feature = "runtime")]

/// The agent example's user agent (answering and placing calls), run in this process.
#[path = "../examples/agent/ua.rs"]
mod ua;

use std::collections::HashSet;
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use sip_core::engine::{Engine, EngineConfig};
use sip_core::header::{Contact, FromHeader, NameAddr, Route, ToHeader};
use sip_core::notification::{Notification, NotificationCenter, NotificationData, Observer};
use sip_core::registration::{Registration, RegistrationNotification};
use sip_core::request::{Message, MessageDidFailData};
use sip_core::transaction::{Target, TransportKind};
use sip_core::uri::Uri;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(15);
/// Upper bound for a whole SIPp run (its own `-timeout` is 20 s).
const SIPP_RUN: Duration = Duration::from_secs(30);

/// The `sipp` binary, `None` when it is missing and `SIPSIMPLE_SKIP_INTEROP=1` (skip).
fn sipp() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("sipp"))
            .find(|p| p.is_file())
    });
    match found {
        Some(p) => Some(p),
        None if std::env::var("SIPSIMPLE_SKIP_INTEROP").as_deref() == Ok("1") => {
            eprintln!(
                "note: sipp not on PATH and SIPSIMPLE_SKIP_INTEROP=1: skipping SIPp interop test"
            );
            None
        }
        None => panic!(
            "sipp is not on PATH: install the Debian package `sip-tester` (.ci/run installs it), \
             or set SIPSIMPLE_SKIP_INTEROP=1 to skip the SIPp interop tests"
        ),
    }
}

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sipp")
        .join(name)
}

/// A UDP port on 127.0.0.1 that was free a moment ago.
fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// True once some socket is bound to UDP `port` on 127.0.0.1 (read from /proc, so the probe
/// never holds the port itself).
fn udp_port_bound(port: u16) -> bool {
    let needle = format!("0100007F:{port:04X}");
    std::fs::read_to_string("/proc/net/udp")
        .map(|table| {
            table
                .lines()
                .skip(1)
                .any(|l| l.split_whitespace().nth(1) == Some(needle.as_str()))
        })
        .unwrap_or(false)
}

/// A running SIPp; killed by PID (and reaped) on drop. Its output goes to a log file.
struct Sipp {
    child: Child,
    log: PathBuf,
    port: u16,
}

impl Sipp {
    /// Starts `sipp` with `scenario` on 127.0.0.1:`port` for `calls` calls, plus `extra`
    /// arguments (the remote host for a UAC).
    fn start(bin: &Path, scenario_file: &str, port: u16, calls: u32, extra: &[&str]) -> Sipp {
        let log = std::env::temp_dir().join(format!(
            "sipsimple-interop-sipp-{}-{port}.log",
            std::process::id()
        ));
        let out = std::fs::File::create(&log).unwrap();
        let err = out.try_clone().unwrap();
        let mut command = Command::new(bin);
        // An empty file name: a built-in scenario, chosen with `-sn` in `extra`.
        if !scenario_file.is_empty() {
            command.arg("-sf").arg(scenario(scenario_file));
        }
        let child = command
            .args(["-i", "127.0.0.1", "-p", &port.to_string()])
            .args(["-m", &calls.to_string()])
            .args(["-timeout", "20s", "-timeout_error", "-nostdin"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("cannot start sipp");
        Sipp { child, log, port }
    }

    /// SIPp's output so far, for failure messages.
    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until SIPp has bound its port (a UAS is then ready for requests).
    async fn ready(&mut self) {
        let deadline = Instant::now() + WAIT;
        while !udp_port_bound(self.port) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("sipp exited early ({status}):\n{}", self.output());
            }
            assert!(
                Instant::now() < deadline,
                "sipp did not bind 127.0.0.1:{} in time:\n{}",
                self.port,
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits (bounded) for SIPp to exit and returns its status.
    async fn exit_status(&mut self) -> ExitStatus {
        let deadline = Instant::now() + SIPP_RUN;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "sipp still running after {SIPP_RUN:?}:\n{}",
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Asserts that SIPp exits 0 (every call succeeded).
    async fn assert_success(&mut self) {
        let status = self.exit_status().await;
        assert!(
            status.success(),
            "sipp failed ({status}):\n{}",
            self.output()
        );
    }
}

impl Drop for Sipp {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

async fn engine() -> (Engine, NotificationCenter, SocketAddr) {
    engine_with(false).await
}

/// An Engine on 127.0.0.1 (UDP only, a random port), posting SIP traces when `trace_sip`.
async fn engine_with(trace_sip: bool) -> (Engine, NotificationCenter, SocketAddr) {
    let center = NotificationCenter::new();
    let config = EngineConfig::new()
        .with_ip_address("127.0.0.1".parse().unwrap())
        .with_udp_port(Some(0))
        .with_tcp_port(None)
        .with_trace_sip(trace_sip);
    let engine = Engine::start(config, center.clone()).await.unwrap();
    let port = engine
        .local_port(TransportKind::Udp)
        .await
        .unwrap()
        .unwrap();
    (engine, center, SocketAddr::from(([127, 0, 0, 1], port)))
}

async fn next(observer: &mut Observer) -> Notification {
    timeout(WAIT, observer.recv())
        .await
        .expect("no notification in time")
        .unwrap()
}

/// Sends a MESSAGE to a SIPp UAS on `port` and returns the outcome notification.
async fn message_to(engine: &Engine, center: &NotificationCenter, port: u16) -> Notification {
    let peer = SocketAddr::from(([127, 0, 0, 1], port));
    let message = Message::new(
        engine,
        center,
        FromHeader::new(NameAddr::new(Uri::parse("sip:alice@127.0.0.1").unwrap())),
        ToHeader::new(NameAddr::new(
            Uri::parse(&format!("sip:bob@{peer}")).unwrap(),
        )),
        Route::new(NameAddr::new(
            Uri::parse(&format!("sip:{peer};lr")).unwrap(),
        )),
        "text/plain",
        "hello sipp",
    );
    let mut observer = center.add_observer(None, Some(message.sender().id()));
    message.send(Some(Duration::from_secs(10))).unwrap();
    next(&mut observer).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_answers_sipp_options_with_200() {
    let Some(bin) = sipp() else { return };
    let (engine, center, addr) = engine_with(true).await;
    let mut trace = center.add_observer(Some("SIPEngineSIPTrace"), None);
    let remote = addr.to_string();
    let mut sipp = Sipp::start(
        &bin,
        "uac_options.xml",
        free_udp_port(),
        20,
        &["-r", "50", &remote],
    );
    sipp.assert_success().await;
    // Our side: 20 distinct OPTIONS received, each answered 200.
    let (mut requests, mut answers) = (HashSet::new(), HashSet::new());
    while let Ok(Ok(n)) = timeout(Duration::from_millis(300), trace.recv()).await {
        let NotificationData::EngineSipTrace(t) = n.data() else {
            continue;
        };
        let text = String::from_utf8_lossy(&t.data);
        let call_id = text
            .lines()
            .find_map(|l| l.strip_prefix("Call-ID:").or_else(|| l.strip_prefix("i:")))
            .map(|v| v.trim().to_owned())
            .unwrap_or_default();
        if t.received && text.starts_with("OPTIONS ") {
            requests.insert(call_id);
        } else if !t.received && text.starts_with("SIP/2.0 200") {
            answers.insert(call_id);
        }
    }
    assert_eq!(requests.len(), 20, "OPTIONS received:\n{}", sipp.output());
    assert_eq!(answers, requests);
    engine.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_accepts_sipp_message_and_posts_its_body() {
    let Some(bin) = sipp() else { return };
    let (engine, center, addr) = engine().await;
    let mut got = center.add_observer(Some("SIPEngineGotMessage"), None);
    let remote = addr.to_string();
    let mut sipp = Sipp::start(&bin, "uac_message.xml", free_udp_port(), 1, &[&remote]);
    sipp.assert_success().await;
    let n = next(&mut got).await;
    let NotificationData::EngineGotMessage(data) = n.data() else {
        panic!("unexpected {n:?}");
    };
    let body = String::from_utf8_lossy(data.body.as_deref().unwrap_or_default()).into_owned();
    assert_eq!(body.trim_end(), "Hello from SIPp");
    engine.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_to_sipp_uas_answering_200_succeeds() {
    let Some(bin) = sipp() else { return };
    let (engine, center, _) = engine().await;
    let port = free_udp_port();
    let mut sipp = Sipp::start(&bin, "uas_200.xml", port, 1, &[]);
    sipp.ready().await;
    let n = message_to(&engine, &center, port).await;
    assert_eq!(n.name(), "SIPMessageDidSucceed", "{n:?}\n{}", sipp.output());
    sipp.assert_success().await;
    engine.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_to_sipp_uas_answering_486_fails_with_486() {
    let Some(bin) = sipp() else { return };
    let (engine, center, _) = engine().await;
    let port = free_udp_port();
    let mut sipp = Sipp::start(&bin, "uas_486.xml", port, 1, &[]);
    sipp.ready().await;
    let n = message_to(&engine, &center, port).await;
    let failed = n
        .data()
        .downcast_ref::<MessageDidFailData>()
        .unwrap_or_else(|| panic!("unexpected {n:?}\n{}", sipp.output()));
    assert_eq!((failed.code, failed.reason.as_str()), (486, "Busy Here"));
    sipp.assert_success().await;
    engine.stop().await.unwrap();
}

/// The Registration notification in `n` (panics on anything else).
fn registration_event(n: &Notification) -> RegistrationNotification {
    n.data()
        .downcast_ref::<RegistrationNotification>()
        .unwrap_or_else(|| panic!("unexpected {n:?}"))
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_with_sipp_registrar_refreshes_and_ends() {
    let Some(bin) = sipp() else { return };
    let (engine, center, addr) = engine().await;
    let port = free_udp_port();
    // The scenario answers the REGISTER, one refresh and the unregistration.
    let mut sipp = Sipp::start(&bin, "uas_register.xml", port, 1, &[]);
    sipp.ready().await;
    let registration = Registration::new(
        &engine,
        &center,
        FromHeader::new(NameAddr::new(Uri::parse("sip:alice@127.0.0.1").unwrap())),
        None,
        2,
    );
    let mut observer = center.add_observer(None, Some(registration.sender().id()));
    let contact = Contact::new(NameAddr::new(
        Uri::parse(&format!("sip:alice@{addr}")).unwrap(),
    ));
    let registrar = Target::new(SocketAddr::from(([127, 0, 0, 1], port)), TransportKind::Udp);
    registration
        .register(contact, registrar, Some(Duration::from_secs(10)))
        .await;
    let mut successes = 0;
    while successes < 2 {
        match registration_event(&next(&mut observer).await) {
            RegistrationNotification::DidSucceed(ok) => {
                assert_eq!(ok.code, 200);
                successes += 1;
            }
            RegistrationNotification::WillExpire(_) => {}
            other => panic!("unexpected {other:?}\n{}", sipp.output()),
        }
    }
    registration.end(Some(Duration::from_secs(10))).await;
    loop {
        match registration_event(&next(&mut observer).await) {
            RegistrationNotification::DidEnd(end) => {
                assert!(!end.expired);
                break;
            }
            RegistrationNotification::WillEnd(_) | RegistrationNotification::WillExpire(_) => {}
            other => panic!("unexpected {other:?}\n{}", sipp.output()),
        }
    }
    sipp.assert_success().await;
    engine.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bye_in_an_unknown_dialog_gets_481_from_the_engine() {
    let Some(bin) = sipp() else { return };
    let (engine, _center, addr) = engine().await;
    let remote = addr.to_string();
    // Three BYEs with tags the Engine never gave out: each must be answered 481.
    let mut sipp = Sipp::start(&bin, "uac_bye_unknown.xml", free_udp_port(), 3, &[&remote]);
    sipp.assert_success().await;
    engine.stop().await.unwrap();
}

/// Notification lines of the in-process agent, shown with `--nocapture`.
fn agent_line(line: String) {
    eprintln!("agent: {line}");
}

/// An answering agent (180, `ring`, then `code`) on its own Engine; it stops after `calls`
/// incoming calls ended. Returns its address and the task giving (summary, calls ended).
async fn answering_agent(
    ring: Duration,
    code: u16,
    calls: u64,
) -> (SocketAddr, tokio::task::JoinHandle<ua::Report>, Engine) {
    let options = ua::AgentOptions {
        answer: true,
        ring,
        answer_code: code,
        max_calls: Some(calls),
        duration: Some(Duration::from_secs(40)),
        ..ua::AgentOptions::default()
    };
    let center = NotificationCenter::new();
    let (engine, addr) = ua::start_engine(&options, &center).await.unwrap();
    let task = tokio::spawn(ua::run_with(
        engine.clone(),
        center,
        addr,
        options,
        agent_line,
    ));
    (addr, task, engine)
}

/// Waits (bounded) for the agent task's result.
async fn agent_result(task: tokio::task::JoinHandle<ua::Report>) -> ua::Report {
    timeout(Duration::from_secs(45), task)
        .await
        .expect("the agent did not finish")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sipp_uac_calls_the_auto_answering_engine() {
    let Some(bin) = sipp() else { return };
    let (addr, agent, engine) = answering_agent(Duration::ZERO, 200, 10).await;
    let remote = addr.to_string();
    // SIPp's built-in uac: INVITE with SDP, 100/180 optional, 200, ACK, 300 ms, BYE, 200.
    let mut sipp = Sipp::start(
        &bin,
        "",
        free_udp_port(),
        10,
        &["-sn", "uac", "-r", "10", "-d", "300", &remote],
    );
    sipp.assert_success().await;
    let report = agent_result(agent).await;
    assert_eq!(report.incoming_ended, 10, "{}", sipp.output());
    assert_eq!(
        report.summary,
        ua::Summary {
            normal: 10,
            failed: 0
        }
    );
    engine.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_calls_sipp_uas_and_hangs_up() {
    let Some(bin) = sipp() else { return };
    let port = free_udp_port();
    // SIPp's built-in uas: 180, 200 with SDP, then waits for ACK and BYE.
    let mut sipp = Sipp::start(&bin, "", port, 3, &["-sn", "uas"]);
    sipp.ready().await;
    let options = ua::AgentOptions {
        call: Some(sip_core::uri::Uri::parse(&format!("sip:service@127.0.0.1:{port}")).unwrap()),
        calls: 3,
        hangup_after: Duration::from_millis(300),
        ..ua::AgentOptions::default()
    };
    let summary = timeout(Duration::from_secs(40), ua::run(options, agent_line))
        .await
        .expect("the calls did not end")
        .unwrap();
    assert_eq!(
        summary,
        ua::Summary {
            normal: 3,
            failed: 0
        },
        "{}",
        sipp.output()
    );
    sipp.assert_success().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_while_ringing_gets_200_and_487() {
    let Some(bin) = sipp() else { return };
    // The agent rings for 10 s, so SIPp's CANCEL (sent on 180) arrives while it rings.
    let (addr, agent, engine) = answering_agent(Duration::from_secs(10), 200, 1).await;
    let remote = addr.to_string();
    let mut sipp = Sipp::start(&bin, "uac_cancel.xml", free_udp_port(), 1, &[&remote]);
    sipp.assert_success().await;
    let report = agent_result(agent).await;
    let summary = report.summary;
    assert_eq!(
        (summary.normal, summary.failed, report.incoming_ended),
        (1, 0, 1)
    );
    engine.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_and_unhold_reinvites_are_answered_recvonly_then_sendrecv() {
    let Some(bin) = sipp() else { return };
    let (addr, agent, engine) = answering_agent(Duration::ZERO, 200, 1).await;
    let remote = addr.to_string();
    // The scenario checks a=recvonly in the answer to its hold and a=sendrecv to its unhold.
    let mut sipp = Sipp::start(&bin, "uac_reinvite.xml", free_udp_port(), 1, &[&remote]);
    sipp.assert_success().await;
    let report = agent_result(agent).await;
    let summary = report.summary;
    assert_eq!(
        (summary.normal, summary.failed, report.incoming_ended),
        (1, 0, 1)
    );
    engine.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retransmitted_invite_makes_one_call() {
    let Some(bin) = sipp() else { return };
    // Ringing for 1 s: the retransmission arrives while the INVITE is unanswered and is
    // absorbed by its server transaction, which repeats the 180.
    let (addr, agent, engine) = answering_agent(Duration::from_secs(1), 200, 1).await;
    let remote = addr.to_string();
    let mut sipp = Sipp::start(
        &bin,
        "uac_invite_retransmitted.xml",
        free_udp_port(),
        1,
        &[&remote],
    );
    sipp.assert_success().await;
    let report = agent_result(agent).await;
    // One call, not two: the retransmission created no second Invitation.
    assert_eq!(report.incoming_started, 1);
    assert_eq!((report.summary.normal, report.summary.failed), (1, 0));
    engine.stop().await.unwrap();
}
