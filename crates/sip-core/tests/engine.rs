//! The Engine against raw loopback peers.
#![cfg(feature = "runtime")]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use sip_core::engine::{ClientEvent, Engine, EngineConfig, EngineError};
use sip_core::header::HeaderName;
use sip_core::message::{Method, Request, Response, SipMessage, StatusCode};
use sip_core::notification::{NotificationCenter, NotificationData, Observer};
use sip_core::transaction::{Target, TransportKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(5);

fn config() -> EngineConfig {
    EngineConfig::new()
        .with_ip_address("127.0.0.1".parse().unwrap())
        .with_udp_port(Some(0))
        .with_tcp_port(None)
        .with_user_agent("engine-test/1".to_owned())
}

async fn start(config: EngineConfig) -> (Engine, NotificationCenter, SocketAddr) {
    let center = NotificationCenter::new();
    let engine = Engine::start(config, center.clone()).await.unwrap();
    let port = engine
        .local_port(TransportKind::Udp)
        .await
        .unwrap()
        .unwrap();
    (engine, center, SocketAddr::from(([127, 0, 0, 1], port)))
}

async fn peer() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").await.unwrap()
}

fn request(method: &str, branch: &str, peer: SocketAddr, extra: &str, body: &str) -> String {
    format!(
        "{method} sip:engine@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP {peer};branch=z9hG4bK{branch}\r\n\
         Max-Forwards: 70\r\n\
         To: <sip:engine@127.0.0.1>\r\n\
         From: <sip:peer@127.0.0.1>;tag=p1\r\n\
         Call-ID: {branch}@test\r\n\
         CSeq: 1 {method}\r\n\
         {extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

async fn recv_response(sock: &UdpSocket) -> (Response, Bytes) {
    let mut buf = vec![0u8; 65536];
    let (n, _) = timeout(WAIT, sock.recv_from(&mut buf))
        .await
        .expect("no response")
        .unwrap();
    let raw = Bytes::copy_from_slice(&buf[..n]);
    match SipMessage::parse(raw.clone()).unwrap() {
        SipMessage::Response(r) => (r, raw),
        SipMessage::Request(r) => panic!("expected a response, got {r}"),
    }
}

async fn ask(sock: &UdpSocket, to: SocketAddr, msg: &str) -> Response {
    sock.send_to(msg.as_bytes(), to).await.unwrap();
    recv_response(sock).await.0
}

async fn next(observer: &mut Observer) -> sip_core::notification::Notification {
    timeout(WAIT, observer.recv())
        .await
        .expect("no notification")
        .unwrap()
}

#[tokio::test]
async fn start_and_stop_post_the_seed_notifications_in_order() {
    let center = NotificationCenter::new();
    let mut all = center.add_observer(None, None);
    let engine = Engine::start(config(), center.clone()).await.unwrap();
    assert!(engine.is_running());
    engine.stop().await.unwrap();
    let mut names = Vec::new();
    let mut logs = 0;
    while let Ok(n) = all.try_recv() {
        // SIPEngineLog lines (start, stop) come between the others
        if n.name() == "SIPEngineLog" {
            logs += 1;
        } else {
            names.push(n.name());
        }
    }
    assert!(
        logs >= 2,
        "the start and stop lines are logged at the default level 5"
    );
    assert_eq!(
        names,
        [
            "SIPEngineWillStart",
            "SIPEngineDidStart",
            "SIPEngineWillEnd",
            "SIPEngineDidEnd"
        ]
    );
}

#[tokio::test]
async fn failed_start_posts_did_fail_with_the_reason() {
    let center = NotificationCenter::new();
    let mut all = center.add_observer(None, None);
    let bad = config().with_incoming_request("INVITE");
    let err = Engine::start(bad, center.clone()).await.unwrap_err();
    assert!(matches!(err, EngineError::InvalidConfig { .. }));
    assert_eq!(all.try_recv().unwrap().name(), "SIPEngineWillStart");
    let failed = all.try_recv().unwrap();
    match failed.data() {
        NotificationData::EngineDidFail(d) => assert!(d.reason.contains("INVITE")),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn options_is_answered_with_allow_accept_supported_and_user_agent() {
    let (engine, _c, addr) = start(config()).await;
    let sock = peer().await;
    let me = sock.local_addr().unwrap();
    let resp = ask(&sock, addr, &request("OPTIONS", "opt1", me, "", "")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let h = resp.headers();
    assert!(h.get_str(&HeaderName::Allow).unwrap().contains("MESSAGE"));
    assert!(
        h.get_str(&HeaderName::Accept)
            .unwrap()
            .contains("application/sdp")
    );
    assert!(h.contains(&HeaderName::Supported));
    assert_eq!(h.get_str(&HeaderName::UserAgent), Some("engine-test/1"));
    engine.stop().await.unwrap();
}

#[tokio::test]
async fn options_over_tcp_is_answered() {
    let (engine, _c, _) = start(config().with_tcp_port(Some(0))).await;
    let port = engine
        .local_port(TransportKind::Tcp)
        .await
        .unwrap()
        .unwrap();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let me = stream.local_addr().unwrap();
    let msg = request("OPTIONS", "tcp1", me, "", "").replace("SIP/2.0/UDP", "SIP/2.0/TCP");
    stream.write_all(msg.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = timeout(WAIT, stream.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "connection closed");
        buf.extend_from_slice(&chunk[..n]);
    }
    let resp = SipMessage::parse(Bytes::from(buf)).unwrap();
    assert_eq!(resp.as_response().unwrap().status(), StatusCode::OK);
    engine.stop().await.unwrap();
}

#[tokio::test]
async fn message_is_answered_200_and_posts_got_message() {
    let (engine, center, addr) = start(config()).await;
    let mut got = center.add_observer(Some("SIPEngineGotMessage"), None);
    let sock = peer().await;
    let me = sock.local_addr().unwrap();
    let msg = request(
        "MESSAGE",
        "msg1",
        me,
        "Content-Type: text/plain\r\n",
        "hello",
    );
    let resp = ask(&sock, addr, &msg).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let n = next(&mut got).await;
    let NotificationData::EngineGotMessage(data) = n.data() else {
        panic!("unexpected {:?}", n.data());
    };
    assert_eq!(data.body.as_deref(), Some(&b"hello"[..]));
    assert_eq!(
        data.content_type.as_ref().unwrap().0.to_string(),
        "text/plain"
    );
    assert_eq!(data.from_header.tag(), Some("p1"));
    engine.stop().await.unwrap();
}

#[tokio::test]
async fn unknown_method_gets_405_with_allow() {
    let (engine, _c, addr) = start(config()).await;
    let sock = peer().await;
    let me = sock.local_addr().unwrap();
    let resp = ask(&sock, addr, &request("FOO", "foo1", me, "", "")).await;
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        resp.headers()
            .get_str(&HeaderName::Allow)
            .unwrap()
            .contains("OPTIONS")
    );
    assert!(resp.headers().contains(&HeaderName::UserAgent));
    engine.stop().await.unwrap();
}

#[tokio::test]
async fn subscribe_for_unknown_package_gets_489() {
    let (engine, _c, addr) = start(config()).await;
    let sock = peer().await;
    let me = sock.local_addr().unwrap();
    let msg = request("SUBSCRIBE", "sub1", me, "Event: no-such-package\r\n", "");
    assert_eq!(ask(&sock, addr, &msg).await.status(), StatusCode::BAD_EVENT);
    // A known package that is not accepted for incoming subscriptions is refused too.
    let msg = request("SUBSCRIBE", "sub2", me, "Event: presence\r\n", "");
    assert_eq!(ask(&sock, addr, &msg).await.status(), StatusCode::BAD_EVENT);
    engine.stop().await.unwrap();
}

#[tokio::test]
async fn accepted_subscription_package_reaches_the_incoming_stream() {
    let (engine, _c, addr) = start(config()).await;
    engine.add_incoming_event("presence").await.unwrap();
    let mut incoming = engine.incoming_requests().unwrap();
    let sock = peer().await;
    let me = sock.local_addr().unwrap();
    let msg = request("SUBSCRIBE", "sub3", me, "Event: presence\r\n", "");
    sock.send_to(msg.as_bytes(), addr).await.unwrap();
    let req = timeout(WAIT, incoming.recv()).await.unwrap().unwrap();
    assert_eq!(req.request.method(), &Method::Subscribe);
    engine.remove_incoming_event("presence").await.unwrap();
    let msg = request("SUBSCRIBE", "sub4", me, "Event: presence\r\n", "");
    sock.send_to(msg.as_bytes(), addr).await.unwrap();
    // The first SUBSCRIBE awaits the application; only the second is answered (489).
    assert_eq!(recv_response(&sock).await.0.status(), StatusCode::BAD_EVENT);
    engine.stop().await.unwrap();
}

#[tokio::test]
async fn malformed_datagram_gets_400_naming_the_fault() {
    let (engine, _c, addr) = start(config()).await;
    let sock = peer().await;
    let me = sock.local_addr().unwrap();
    let msg = request("OPTIONS", "bad1", me, "", "").replace("CSeq: 1 OPTIONS", "CSeq: x OPTIONS");
    let resp = ask(&sock, addr, &msg).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.reason().contains("CSeq"), "reason {:?}", resp.reason());
    engine.stop().await.unwrap();
}

#[tokio::test]
async fn retransmitted_options_gets_the_same_response() {
    let (engine, _c, addr) = start(config()).await;
    let sock = peer().await;
    let me = sock.local_addr().unwrap();
    let msg = request("OPTIONS", "rtx1", me, "", "");
    sock.send_to(msg.as_bytes(), addr).await.unwrap();
    let (_, first) = recv_response(&sock).await;
    sock.send_to(msg.as_bytes(), addr).await.unwrap();
    let (_, second) = recv_response(&sock).await;
    assert_eq!(first, second);
    engine.stop().await.unwrap();
}

#[tokio::test]
async fn trace_sip_posts_received_and_sent_messages() {
    let (engine, center, addr) = start(config().with_trace_sip(true)).await;
    let mut traces = center.add_observer(Some("SIPEngineSIPTrace"), None);
    let sock = peer().await;
    let me = sock.local_addr().unwrap();
    ask(&sock, addr, &request("OPTIONS", "trc1", me, "", "")).await;
    let mut seen = Vec::new();
    for _ in 0..2 {
        let n = next(&mut traces).await;
        let NotificationData::EngineSipTrace(t) = n.data() else {
            panic!("unexpected {:?}", n.data());
        };
        seen.push(t.clone());
    }
    let rx = seen.iter().find(|t| t.received).expect("received trace");
    assert_eq!((rx.source_ip, rx.source_port), (me.ip(), me.port()));
    assert_eq!(rx.destination_port, addr.port());
    assert!(rx.data.starts_with(b"OPTIONS "));
    let tx = seen.iter().find(|t| !t.received).expect("sent trace");
    assert_eq!(
        (tx.destination_ip, tx.destination_port),
        (me.ip(), me.port())
    );
    assert!(tx.data.starts_with(b"SIP/2.0 200"));
    engine.stop().await.unwrap();
}

#[tokio::test]
async fn claimed_method_arrives_on_the_incoming_stream_and_respond_answers_it() {
    let (engine, _c, addr) = start(config().with_incoming_request("INFO")).await;
    let mut incoming = engine.incoming_requests().unwrap();
    assert!(matches!(
        engine.incoming_requests(),
        Err(EngineError::IncomingTaken)
    ));
    let sock = peer().await;
    let me = sock.local_addr().unwrap();
    sock.send_to(request("INFO", "info1", me, "", "").as_bytes(), addr)
        .await
        .unwrap();
    let req = timeout(WAIT, incoming.recv()).await.unwrap().unwrap();
    assert_eq!(req.request.method(), &Method::Info);
    assert_eq!(req.source.addr, me);
    let resp = req
        .request
        .response(StatusCode::ACCEPTED)
        .to_tag("x")
        .build();
    engine.respond(&req.key, resp).await.unwrap();
    let (resp, _) = recv_response(&sock).await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    assert_eq!(
        resp.headers().get_str(&HeaderName::UserAgent),
        Some("engine-test/1")
    );
    // Claiming OPTIONS at runtime turns off the built-in answer.
    engine.add_incoming_request("OPTIONS").await.unwrap();
    sock.send_to(request("OPTIONS", "opt9", me, "", "").as_bytes(), addr)
        .await
        .unwrap();
    let req = timeout(WAIT, incoming.recv()).await.unwrap().unwrap();
    assert_eq!(req.request.method(), &Method::Options);
    engine.stop().await.unwrap();
}

#[tokio::test]
async fn send_request_delivers_the_final_response() {
    let (engine, _c, _) = start(config()).await;
    let sock = peer().await;
    let peer_addr = sock.local_addr().unwrap();
    let port = engine
        .local_port(TransportKind::Udp)
        .await
        .unwrap()
        .unwrap();
    let options = Request::builder(
        Method::Options,
        sip_core::uri::Uri::parse("sip:peer@127.0.0.1").unwrap(),
    )
    .header(HeaderName::Via, format!("SIP/2.0/UDP 127.0.0.1:{port}"))
    .header(HeaderName::MaxForwards, "70")
    .header(HeaderName::To, "<sip:peer@127.0.0.1>")
    .header(HeaderName::From, "<sip:engine@127.0.0.1>;tag=e1")
    .header(HeaderName::CallId, "out1@test")
    .header(HeaderName::CSeq, "1 OPTIONS")
    .build();
    let mut tx = engine
        .send_request(options, Target::new(peer_addr, TransportKind::Udp))
        .await
        .unwrap();
    let mut buf = vec![0u8; 65536];
    let (n, from) = timeout(WAIT, sock.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let SipMessage::Request(req) = SipMessage::parse(Bytes::copy_from_slice(&buf[..n])).unwrap()
    else {
        panic!("expected a request");
    };
    assert_eq!(
        req.headers().get_str(&HeaderName::UserAgent),
        Some("engine-test/1")
    );
    let ok = req.response(StatusCode::OK).to_tag("p2").build();
    sock.send_to(&ok.to_bytes(), from).await.unwrap();
    let event = timeout(WAIT, tx.events.recv()).await.unwrap().unwrap();
    match event {
        ClientEvent::Response(r) => assert_eq!(r.status(), StatusCode::OK),
        other => panic!("unexpected {other:?}"),
    }
    engine.stop().await.unwrap();
}

#[tokio::test]
async fn set_udp_port_rebinds_the_listener() {
    let (engine, _c, old) = start(config()).await;
    let free = peer().await;
    let wanted = free.local_addr().unwrap().port();
    drop(free);
    engine.set_udp_port(Some(wanted)).await.unwrap();
    assert_eq!(
        engine.local_port(TransportKind::Udp).await.unwrap(),
        Some(wanted)
    );
    assert_ne!(old.port(), wanted);
    let sock = peer().await;
    let me = sock.local_addr().unwrap();
    let to = SocketAddr::from(([127, 0, 0, 1], wanted));
    assert_eq!(
        ask(&sock, to, &request("OPTIONS", "rb1", me, "", ""))
            .await
            .status(),
        StatusCode::OK
    );
    engine.set_udp_port(None).await.unwrap();
    assert_eq!(engine.local_port(TransportKind::Udp).await.unwrap(), None);
    engine.stop().await.unwrap();
}

#[tokio::test]
async fn after_stop_methods_return_not_running_and_the_port_is_closed() {
    let (engine, _c, addr) = start(config()).await;
    let clone = engine.clone();
    engine.stop().await.unwrap();
    assert!(!clone.is_running());
    assert!(matches!(
        clone.local_port(TransportKind::Udp).await,
        Err(EngineError::NotRunning)
    ));
    assert!(matches!(
        clone.add_incoming_request("INFO").await,
        Err(EngineError::NotRunning)
    ));
    assert!(matches!(
        clone.set_udp_port(Some(0)).await,
        Err(EngineError::NotRunning)
    ));
    assert!(matches!(
        clone.incoming_requests(),
        Err(EngineError::NotRunning)
    ));
    assert!(matches!(clone.stop().await, Err(EngineError::NotRunning)));
    // The port is free again.
    UdpSocket::bind(addr).await.unwrap();
}

#[tokio::test]
async fn cancel_for_an_unknown_transaction_gets_481() {
    let (engine, _c, addr) = start(config()).await;
    let sock = peer().await;
    let me = sock.local_addr().unwrap();
    let resp = ask(&sock, addr, &request("CANCEL", "cxl1", me, "", "")).await;
    assert_eq!(
        resp.status(),
        StatusCode::CALL_OR_TRANSACTION_DOES_NOT_EXIST
    );
    engine.stop().await.unwrap();
}

#[tokio::test]
async fn requests_beyond_the_pending_limit_get_503() {
    let cfg = config()
        .with_incoming_request("INFO")
        .with_max_pending_requests(1);
    let (engine, _c, addr) = start(cfg).await;
    let mut incoming = engine.incoming_requests().unwrap();
    let sock = peer().await;
    let me = sock.local_addr().unwrap();
    sock.send_to(request("INFO", "ovl1", me, "", "").as_bytes(), addr)
        .await
        .unwrap();
    timeout(WAIT, incoming.recv()).await.unwrap().unwrap();
    let resp = ask(&sock, addr, &request("INFO", "ovl2", me, "", "")).await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(resp.headers().contains(&HeaderName::RetryAfter));
    engine.stop().await.unwrap();
}

#[tokio::test]
async fn runtime_setters_change_user_agent_trace_and_claimed_methods() {
    let (engine, center, addr) = start(config().with_incoming_request("PUBLISH")).await;
    let mut incoming = engine.incoming_requests().unwrap();
    let sock = peer().await;
    let me = sock.local_addr().unwrap();

    engine.set_user_agent("changed/2").await.unwrap();
    let resp = ask(&sock, addr, &request("OPTIONS", "rt1", me, "", "")).await;
    assert_eq!(
        resp.headers().get_str(&HeaderName::UserAgent),
        Some("changed/2")
    );

    // trace_sip turned on at run time: both directions are posted from then on
    let mut traces = center.add_observer(Some("SIPEngineSIPTrace"), None);
    engine.set_trace_sip(true).await.unwrap();
    ask(&sock, addr, &request("OPTIONS", "rt2", me, "", "")).await;
    let mut seen = Vec::new();
    for _ in 0..2 {
        let n = next(&mut traces).await;
        let NotificationData::EngineSipTrace(t) = n.data() else {
            panic!("unexpected {n:?}")
        };
        seen.push(t.received);
    }
    assert_eq!(seen, [true, false]);
    engine.set_trace_sip(false).await.unwrap();
    ask(&sock, addr, &request("OPTIONS", "rt3", me, "", "")).await;
    assert!(traces.try_recv().is_err(), "no trace once turned off");

    // an unclaimed PUBLISH is no longer handed to the application: 405 with Allow
    engine.remove_incoming_request("PUBLISH").await.unwrap();
    let resp = ask(&sock, addr, &request("PUBLISH", "rt4", me, "", "")).await;
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        !resp
            .headers()
            .get_str(&HeaderName::Allow)
            .unwrap()
            .contains("PUBLISH")
    );
    assert!(incoming.try_recv().is_err());
    engine.stop().await.unwrap();
}

#[tokio::test]
async fn add_event_makes_a_new_package_acceptable_for_incoming_subscriptions() {
    let (engine, _c, addr) = start(config()).await;
    let sock = peer().await;
    let me = sock.local_addr().unwrap();
    let msg = request("SUBSCRIBE", "ev1", me, "Event: x-test-pkg\r\n", "");
    assert_eq!(ask(&sock, addr, &msg).await.status(), StatusCode::BAD_EVENT);
    engine
        .add_event("x-test-pkg", &["application/x-test+xml"])
        .await
        .unwrap();
    engine.add_incoming_event("x-test-pkg").await.unwrap();
    let mut incoming = engine.incoming_requests().unwrap();
    let msg = request("SUBSCRIBE", "ev2", me, "Event: x-test-pkg\r\n", "");
    sock.send_to(msg.as_bytes(), addr).await.unwrap();
    let req = timeout(WAIT, incoming.recv()).await.unwrap().unwrap();
    assert_eq!(
        req.request.headers().get_str(&HeaderName::Event),
        Some("x-test-pkg")
    );
    engine.stop().await.unwrap();
}

#[tokio::test]
async fn set_tcp_port_opens_and_closes_the_tcp_listener() {
    let (engine, _c, _) = start(config()).await;
    assert_eq!(engine.local_port(TransportKind::Tcp).await.unwrap(), None);
    engine.set_tcp_port(Some(0)).await.unwrap();
    let port = engine
        .local_port(TransportKind::Tcp)
        .await
        .unwrap()
        .expect("TCP listening");
    TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    engine.set_tcp_port(None).await.unwrap();
    assert_eq!(engine.local_port(TransportKind::Tcp).await.unwrap(), None);
    assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err());
    engine.stop().await.unwrap();
}

/// OPTIONS from `from` to `to` over `kind` through `Engine::send_request`; the final status.
async fn options_between(from: &Engine, to: SocketAddr, kind: TransportKind) -> ClientEvent {
    let options = Request::builder(
        Method::Options,
        sip_core::uri::Uri::parse(&format!("sip:{to}")).unwrap(),
    )
    .header(
        HeaderName::Via,
        format!("SIP/2.0/{kind:?} 127.0.0.1").to_uppercase(),
    )
    .header(HeaderName::MaxForwards, "70")
    .header(HeaderName::To, format!("<sip:{to}>"))
    .header(HeaderName::From, "<sip:engine@127.0.0.1>;tag=t1")
    .header(HeaderName::CallId, format!("tls-{}@test", to.port()))
    .header(HeaderName::CSeq, "1 OPTIONS")
    .build();
    let mut tx = from
        .send_request(options, Target::new(to, kind))
        .await
        .unwrap();
    loop {
        match timeout(WAIT, tx.events.recv()).await.unwrap().unwrap() {
            ClientEvent::Response(r) if r.status().is_provisional() => {}
            other => return other,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_tls_options_starts_a_verified_tls_listener_at_run_time() {
    let dir = interop_support::RunDir::new("engine-tls").unwrap();
    let ca = interop_support::TestCa::generate(dir.path()).unwrap();
    let (server, _c, _) = start(config()).await;
    assert_eq!(server.local_port(TransportKind::Tls).await.unwrap(), None);
    let tls = sip_core::transport::TlsOptions {
        cert_file: Some(ca.server_pem.clone()),
        privkey_file: Some(ca.server_key.clone()),
        ..Default::default()
    };
    server.set_tls_options(Some(0), tls).await.unwrap();
    let port = server
        .local_port(TransportKind::Tls)
        .await
        .unwrap()
        .expect("TLS listening");
    let to = SocketAddr::from(([127, 0, 0, 1], port));

    // a client that trusts the test CA gets its OPTIONS answered over TLS
    let trusting = sip_core::transport::TlsOptions {
        ca_file: Some(ca.ca_pem.clone()),
        ..Default::default()
    };
    let (client, _c2, _) = start(config().with_tls_options(trusting)).await;
    match options_between(&client, to, TransportKind::Tls).await {
        ClientEvent::Response(r) => assert_eq!(r.status(), StatusCode::OK),
        other => panic!("unexpected {other:?}"),
    }

    // one that does not (system roots only) fails at once with a transport error
    let (stranger, _c3, _) = start(config()).await;
    match options_between(&stranger, to, TransportKind::Tls).await {
        ClientEvent::TransportError(e) => assert!(e.contains("certificate"), "{e}"),
        other => panic!("unexpected {other:?}"),
    }
    for e in [server, client, stranger] {
        e.stop().await.unwrap();
    }
}

/// Reads one response from a stream.
async fn read_response(stream: &mut TcpStream) -> Response {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse().unwrap())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                let rest = buf.split_off(end + 4 + len);
                assert!(rest.is_empty(), "one response at a time");
                let m = SipMessage::parse(Bytes::from(buf)).unwrap();
                return m.as_response().unwrap().clone();
            }
        }
        let n = timeout(WAIT, stream.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "connection closed");
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// A framed message that does not parse gets a 400 on its connection, which stays open for
/// the next request.
#[tokio::test]
async fn malformed_message_on_tcp_gets_400_and_the_connection_stays_usable() {
    let (engine, _c, _) = start(config().with_tcp_port(Some(0))).await;
    let port = engine
        .local_port(TransportKind::Tcp)
        .await
        .unwrap()
        .unwrap();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let me = stream.local_addr().unwrap();
    let bad = request("OPTIONS", "tcpbad", me, "this line is not a header\r\n", "")
        .replace("SIP/2.0/UDP", "SIP/2.0/TCP");
    stream.write_all(bad.as_bytes()).await.unwrap();
    let resp = read_response(&mut stream).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let good = request("OPTIONS", "tcpgood", me, "", "").replace("SIP/2.0/UDP", "SIP/2.0/TCP");
    stream.write_all(good.as_bytes()).await.unwrap();
    assert_eq!(read_response(&mut stream).await.status(), StatusCode::OK);
    engine.stop().await.unwrap();
}
