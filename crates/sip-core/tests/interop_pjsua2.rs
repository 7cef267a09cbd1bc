//! Interop with pjsua2 (PJSIP 2.15, the library the original SDK wrapped): MESSAGE in both
//! directions on loopback. pjsua2 runs as `interop/pjsua2/pjua.py` under the venv that
//! `.ci/run` makes; the process is killed by PID when the test ends.
//!
//! Without the venv the tests fail, unless `SIPSIMPLE_SKIP_INTEROP=1` is set (then skipped).
#![cfg(feature = "runtime")]

use std::net::SocketAddr;
use std::time::Duration;

use interop_support::Pjua;
use sip_core::engine::{Engine, EngineConfig};
use sip_core::header::{FromHeader, NameAddr, Route, ToHeader};
use sip_core::notification::{NotificationCenter, NotificationData};
use sip_core::request::Message;
use sip_core::transaction::TransportKind;
use sip_core::uri::Uri;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(20);

async fn engine() -> (Engine, NotificationCenter, SocketAddr) {
    let center = NotificationCenter::new();
    let config = EngineConfig::new()
        .with_ip_address("127.0.0.1".parse().unwrap())
        .with_udp_port(Some(0))
        .with_tcp_port(None);
    let engine = Engine::start(config, center.clone()).await.unwrap();
    let port = engine
        .local_port(TransportKind::Udp)
        .await
        .unwrap()
        .unwrap();
    (engine, center, SocketAddr::from(([127, 0, 0, 1], port)))
}

/// pjsua2 sends a MESSAGE to our Engine, which posts SIPEngineGotMessage with its body and
/// answers 200, and pjsua2 reports the 200.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pjsua2_message_reaches_the_engine() {
    let (engine, center, addr) = engine().await;
    let mut got = center.add_observer(Some("SIPEngineGotMessage"), None);
    let target = format!("sip:bob@{addr}");
    let Some(pjua) = tokio::task::spawn_blocking(move || {
        Pjua::spawn(
            &[
                "--message",
                &target,
                "hello from pjsua2",
                "--duration",
                "6",
                "--loglevel",
                "1",
            ],
            None,
        )
    })
    .await
    .unwrap() else {
        return;
    };
    let n = timeout(WAIT, got.recv())
        .await
        .unwrap_or_else(|_| panic!("no MESSAGE; pjua output:\n{}", pjua.output()))
        .unwrap();
    let NotificationData::EngineGotMessage(data) = n.data() else {
        panic!("unexpected {n:?}")
    };
    assert_eq!(data.body.as_deref(), Some(&b"hello from pjsua2"[..]));
    assert_eq!(
        data.content_type.as_ref().map(|c| c.0.essence()),
        Some("text/plain".to_owned())
    );
    assert!(
        data.from_header
            .uri()
            .to_string()
            .starts_with("sip:pj@127.0.0.1")
    );
    let status = tokio::task::spawn_blocking(move || {
        let line = pjua.wait_for(|l| l.contains("MESSAGE status"), WAIT);
        (line, pjua.output())
    })
    .await
    .unwrap();
    let (line, output) = status;
    let line = line.unwrap_or_else(|| panic!("pjsua2 reported no status:\n{output}"));
    assert!(line.contains("MESSAGE status 200"), "{line}");
    engine.stop().await.unwrap();
}

/// Our Message reaches pjsua2, which shows its body and answers 200 (SIPMessageDidSucceed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_message_reaches_pjsua2() {
    let (engine, center, _) = engine().await;
    let Some(pjua) =
        tokio::task::spawn_blocking(|| Pjua::spawn(&["--duration", "10", "--loglevel", "1"], None))
            .await
            .unwrap()
    else {
        return;
    };
    let peer = pjua.addr();
    let message = Message::new(
        &engine,
        &center,
        FromHeader::new(NameAddr::new(Uri::parse("sip:alice@127.0.0.1").unwrap())),
        ToHeader::new(NameAddr::new(
            Uri::parse(&format!("sip:pj@{peer}")).unwrap(),
        )),
        Route::new(NameAddr::new(
            Uri::parse(&format!("sip:{peer};lr")).unwrap(),
        )),
        "text/plain",
        "hello pjsua2, from sipsimple-rs",
    );
    let mut outcome = center.add_observer(None, Some(message.sender().id()));
    message.send(Some(WAIT)).unwrap();
    let n = timeout(WAIT, outcome.recv()).await.unwrap().unwrap();
    assert_eq!(n.name(), "SIPMessageDidSucceed", "{n:?}");
    let (line, output) = tokio::task::spawn_blocking(move || {
        let line = pjua.wait_for(|l| l.contains("MESSAGE from"), WAIT);
        (line, pjua.output())
    })
    .await
    .unwrap();
    let line = line.unwrap_or_else(|| panic!("pjsua2 did not show the MESSAGE:\n{output}"));
    assert!(line.contains("sip:alice@127.0.0.1"), "{line}");
    assert!(line.contains("text/plain"), "{line}");
    assert!(
        line.contains("body: hello pjsua2, from sipsimple-rs"),
        "{line}"
    );
    engine.stop().await.unwrap();
}
