//! Request, Message and IncomingRequest between two Engines on loopback.
#![cfg(feature = "runtime")]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use sip_core::digest::{StoredSecret, verify};
use sip_core::engine::{Engine, EngineConfig};
use sip_core::header::{
    AuthCredentials, Authorization, CSeq, FromHeader, Header, HeaderName, NameAddr, Route, ToHeader,
};
use sip_core::message::Method;
use sip_core::notification::{Notification, NotificationCenter, NotificationData, Observer};
use sip_core::request::{
    IncomingRequest, IncomingRequestSentResponseData, Message, MessageDidFailData, Request,
    RequestDidFailData, RequestDidSucceedData, RequestError, RequestGotProvisionalResponseData,
    RequestState,
};
use sip_core::transaction::TransportKind;
use sip_core::uri::Uri;
use tokio::sync::mpsc;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(5);

fn config() -> EngineConfig {
    EngineConfig::new()
        .with_ip_address("127.0.0.1".parse().unwrap())
        .with_udp_port(Some(0))
        .with_tcp_port(None)
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

fn from() -> FromHeader {
    FromHeader::new(NameAddr::new(Uri::parse("sip:alice@127.0.0.1").unwrap()))
}

fn to(peer: SocketAddr) -> ToHeader {
    ToHeader::new(NameAddr::new(
        Uri::parse(&format!("sip:bob@{peer}")).unwrap(),
    ))
}

fn route(peer: SocketAddr) -> Route {
    Route::new(NameAddr::new(
        Uri::parse(&format!("sip:{peer};lr")).unwrap(),
    ))
}

fn options(engine: &Engine, center: &NotificationCenter, peer: SocketAddr) -> Request {
    Request::new(
        engine,
        center,
        Method::Options,
        Uri::parse(&format!("sip:bob@{peer}")).unwrap(),
        from(),
        to(peer),
        route(peer),
    )
}

async fn next(observer: &mut Observer) -> Notification {
    timeout(WAIT, observer.recv())
        .await
        .expect("no notification in time")
        .unwrap()
}

/// Runs a UAS that hands each claimed request to `handle` and reports its CSeq numbers.
fn serve<F, Fut>(
    engine: &Engine,
    center: &NotificationCenter,
    handle: F,
) -> mpsc::UnboundedReceiver<u32>
where
    F: Fn(IncomingRequest) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let mut incoming = engine.incoming_requests().unwrap();
    let (engine, center) = (engine.clone(), center.clone());
    let (seen, seen_rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(req) = IncomingRequest::receive(&engine, &center, &mut incoming).await {
            let cseq: CSeq = req.headers().typed_first().unwrap().unwrap();
            let _ = seen.send(cseq.seq);
            tokio::spawn(handle(req));
        }
    });
    seen_rx
}

#[tokio::test]
async fn message_is_delivered_and_acknowledged() {
    let (a, center_a, _) = start(config()).await;
    let (b, center_b, addr_b) = start(config()).await;
    let mut got = center_b.add_observer(Some("SIPEngineGotMessage"), None);
    let message = Message::new(
        &a,
        &center_a,
        from(),
        to(addr_b),
        route(addr_b),
        "text/plain",
        "hello bob",
    );
    let mut observer = center_a.add_observer(None, Some(message.sender().id()));
    assert!(!message.is_sent());
    message.send(None).unwrap();
    assert!(message.is_sent());
    assert_eq!(next(&mut observer).await.name(), "SIPMessageDidSucceed");
    let n = next(&mut got).await;
    let NotificationData::EngineGotMessage(data) = n.data() else {
        panic!("unexpected {n:?}");
    };
    assert_eq!(data.body.as_deref(), Some(&b"hello bob"[..]));
    assert!(!message.in_progress());
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

#[tokio::test]
async fn request_reports_provisional_then_success_then_end() {
    let (a, center_a, _) = start(config()).await;
    let (b, center_b, addr_b) = start(config().with_incoming_request("OPTIONS")).await;
    let mut sent = center_b.add_observer(Some("SIPIncomingRequestSentResponse"), None);
    let mut got = center_b.add_observer(Some("SIPIncomingRequestGotRequest"), None);
    serve(&b, &center_b, |req| async move {
        req.answer_provisional(180, None).await.unwrap();
        req.answer(
            200,
            Some("Fine"),
            &[Header::new(HeaderName::Subject, "ok")],
            None,
        )
        .await
        .unwrap();
        assert!(req.answer(200, None, &[], None).await.is_err());
    });
    let request = options(&a, &center_a, addr_b).with_call_id("call-1@test");
    let mut observer = center_a.add_observer(None, Some(request.sender().id()));
    assert_eq!(request.state(), RequestState::Init);
    request.send(Some(WAIT)).unwrap();
    assert!(matches!(
        request.send(None),
        Err(RequestError::InvalidState(_))
    ));

    let n = next(&mut observer).await;
    let p = n
        .data()
        .downcast_ref::<RequestGotProvisionalResponseData>()
        .unwrap_or_else(|| panic!("unexpected {n:?}"));
    assert_eq!(p.code, 180);
    let n = next(&mut observer).await;
    let ok = n
        .data()
        .downcast_ref::<RequestDidSucceedData>()
        .unwrap_or_else(|| panic!("unexpected {n:?}"));
    assert_eq!((ok.code, ok.reason.as_str(), ok.expires), (200, "Fine", 0));
    assert_eq!(ok.headers.get_str(&HeaderName::Subject), Some("ok"));
    assert_eq!(next(&mut observer).await.name(), "SIPRequestDidEnd");
    assert_eq!(request.state(), RequestState::Terminated);
    assert_eq!(request.call_id(), "call-1@test");
    assert_eq!(request.peer_address(), Some(addr_b));

    assert_eq!(next(&mut got).await.name(), "SIPIncomingRequestGotRequest");
    let codes: Vec<u16> = [next(&mut sent).await, next(&mut sent).await]
        .iter()
        .map(|n| {
            n.data()
                .downcast_ref::<IncomingRequestSentResponseData>()
                .unwrap()
                .code
        })
        .collect();
    assert_eq!(codes, [180, 200]);
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

#[tokio::test]
async fn request_fails_with_the_final_code_and_reason() {
    let (a, center_a, _) = start(config()).await;
    let (b, center_b, addr_b) = start(config().with_incoming_request("OPTIONS")).await;
    serve(&b, &center_b, |req| async move {
        req.answer(486, None, &[], None).await.unwrap();
    });
    let request = options(&a, &center_a, addr_b);
    let mut observer = center_a.add_observer(None, Some(request.sender().id()));
    request.send(None).unwrap();
    let n = next(&mut observer).await;
    let fail = n
        .data()
        .downcast_ref::<RequestDidFailData>()
        .unwrap_or_else(|| panic!("unexpected {n:?}"));
    assert_eq!((fail.code, fail.reason.as_str()), (486, "Busy Here"));
    assert!(fail.headers.is_some());
    assert_eq!(next(&mut observer).await.name(), "SIPRequestDidEnd");
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

/// A UAS challenging requests without valid credentials for `alice` / `secret`.
async fn challenge_or_accept(req: IncomingRequest) {
    let credentials = req
        .headers()
        .typed_first::<Authorization>()
        .unwrap()
        .map(|a| a.0);
    match credentials {
        Some(AuthCredentials::Digest(d))
            if verify(&d, StoredSecret::Password("secret"), "OPTIONS", None) =>
        {
            req.answer(200, None, &[], None).await.unwrap();
        }
        _ => {
            let challenge = Header::new(
                HeaderName::WwwAuthenticate,
                r#"Digest realm="test", nonce="n1", qop="auth""#,
            );
            req.answer(401, None, &[challenge], None).await.unwrap();
        }
    }
}

#[tokio::test]
async fn digest_challenge_is_answered_once_with_the_next_cseq() {
    let (a, center_a, _) = start(config()).await;
    let (b, center_b, addr_b) = start(config().with_incoming_request("OPTIONS")).await;
    let mut seen = serve(&b, &center_b, challenge_or_accept);
    let request = options(&a, &center_a, addr_b)
        .with_cseq(7)
        .with_credentials(sip_core::digest::Credentials::new("alice", "secret"));
    let mut observer = center_a.add_observer(None, Some(request.sender().id()));
    request.send(None).unwrap();
    let n = next(&mut observer).await;
    let ok = n
        .data()
        .downcast_ref::<RequestDidSucceedData>()
        .unwrap_or_else(|| panic!("unexpected {n:?}"));
    assert_eq!(ok.code, 200);
    assert_eq!(seen.recv().await, Some(7));
    assert_eq!(seen.recv().await, Some(8));
    assert!(seen.try_recv().is_err());
    assert_eq!(request.cseq(), 8);
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

#[tokio::test]
async fn wrong_password_fails_with_401_after_one_retry() {
    let (a, center_a, _) = start(config()).await;
    let (b, center_b, addr_b) = start(config().with_incoming_request("OPTIONS")).await;
    let mut seen = serve(&b, &center_b, challenge_or_accept);
    let request = options(&a, &center_a, addr_b)
        .with_credentials(sip_core::digest::Credentials::new("alice", "wrong"));
    let mut observer = center_a.add_observer(None, Some(request.sender().id()));
    request.send(None).unwrap();
    let n = next(&mut observer).await;
    let fail = n
        .data()
        .downcast_ref::<RequestDidFailData>()
        .unwrap_or_else(|| panic!("unexpected {n:?}"));
    assert_eq!(fail.code, 401);
    let first = seen.recv().await.unwrap();
    assert_eq!(seen.recv().await, Some(first + 1));
    assert!(seen.try_recv().is_err());
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

#[tokio::test]
async fn unanswered_request_fails_with_408_when_timer_f_fires() {
    let (a, center_a, _) = start(config().with_t1(Duration::from_millis(10))).await;
    // Bound, but nobody reads or answers.
    let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let peer = silent.local_addr().unwrap();
    let message = Message::new(
        &a,
        &center_a,
        from(),
        to(peer),
        route(peer),
        "text/plain",
        "x",
    );
    let mut observer = center_a.add_observer(None, Some(message.sender().id()));
    message.send(None).unwrap();
    let n = next(&mut observer).await;
    let fail = n
        .data()
        .downcast_ref::<MessageDidFailData>()
        .unwrap_or_else(|| panic!("unexpected {n:?}"));
    assert_eq!(fail.code, 408);
    a.stop().await.unwrap();
}

#[tokio::test]
async fn send_timeout_fails_with_408() {
    let (a, center_a, _) = start(config()).await;
    let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let peer = silent.local_addr().unwrap();
    let request = options(&a, &center_a, peer);
    let mut observer = center_a.add_observer(None, Some(request.sender().id()));
    request.send(Some(Duration::from_millis(100))).unwrap();
    let n = next(&mut observer).await;
    let fail = n.data().downcast_ref::<RequestDidFailData>().unwrap();
    assert_eq!(fail.code, 408);
    assert!(fail.headers.is_none());
    a.stop().await.unwrap();
}

#[tokio::test]
async fn dropped_incoming_request_answers_500() {
    let (a, center_a, _) = start(config()).await;
    let (b, center_b, addr_b) = start(config().with_incoming_request("OPTIONS")).await;
    let mut sent = center_b.add_observer(Some("SIPIncomingRequestSentResponse"), None);
    serve(&b, &center_b, |req| async move { drop(req) });
    let request = options(&a, &center_a, addr_b);
    let mut observer = center_a.add_observer(None, Some(request.sender().id()));
    request.send(None).unwrap();
    let n = next(&mut observer).await;
    let fail = n
        .data()
        .downcast_ref::<RequestDidFailData>()
        .unwrap_or_else(|| panic!("unexpected {n:?}"));
    assert_eq!(fail.code, 500);
    let n = next(&mut sent).await;
    assert_eq!(
        n.data()
            .downcast_ref::<IncomingRequestSentResponseData>()
            .unwrap()
            .code,
        500
    );
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

#[tokio::test]
async fn end_in_progress_fails_with_code_0() {
    let (a, center_a, _) = start(config()).await;
    let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let peer = silent.local_addr().unwrap();
    let request = options(&a, &center_a, peer);
    let mut observer = center_a.add_observer(None, Some(request.sender().id()));
    request.end(); // Init: nothing happens.
    assert_eq!(request.state(), RequestState::Init);
    request.send(None).unwrap();
    request.end();
    let n = next(&mut observer).await;
    assert_eq!(
        n.data().downcast_ref::<RequestDidFailData>().unwrap().code,
        0
    );
    assert_eq!(next(&mut observer).await.name(), "SIPRequestDidEnd");
    a.stop().await.unwrap();
}

#[tokio::test]
async fn route_without_an_ip_address_or_an_invite_is_rejected() {
    let (a, center_a, _) = start(config()).await;
    let request = Request::new(
        &a,
        &center_a,
        Method::Options,
        Uri::parse("sip:bob@example.com").unwrap(),
        from(),
        ToHeader::new(NameAddr::new(Uri::parse("sip:bob@example.com").unwrap())),
        Route::new(NameAddr::new(
            Uri::parse("sip:proxy.example.com;lr").unwrap(),
        )),
    )
    .with_body("text/plain", Bytes::from_static(b"x"));
    assert!(matches!(
        request.send(None),
        Err(RequestError::InvalidArgument(_))
    ));
    assert_eq!(request.peer_address(), None);
    assert_eq!(request.state(), RequestState::Init);
    let invite = Request::new(
        &a,
        &center_a,
        Method::Invite,
        Uri::parse("sip:bob@127.0.0.1").unwrap(),
        from(),
        to("127.0.0.1:5060".parse().unwrap()),
        route("127.0.0.1:5060".parse().unwrap()),
    );
    assert!(matches!(
        invite.send(None),
        Err(RequestError::InvalidArgument(_))
    ));
    a.stop().await.unwrap();
}

#[tokio::test]
async fn expiring_success_warns_before_expiry_and_end_terminates() {
    let (a, center_a, _) = start(config()).await;
    let (b, center_b, addr_b) = start(config().with_incoming_request("OPTIONS")).await;
    serve(&b, &center_b, |req| async move {
        let expires = Header::new(HeaderName::Expires, "60");
        req.answer(200, None, &[expires], None).await.unwrap();
    });
    let request = options(&a, &center_a, addr_b).with_expire_warning_time(Duration::from_secs(59));
    let mut observer = center_a.add_observer(None, Some(request.sender().id()));
    request.send(None).unwrap();
    let n = next(&mut observer).await;
    let ok = n
        .data()
        .downcast_ref::<RequestDidSucceedData>()
        .unwrap_or_else(|| panic!("unexpected {n:?}"));
    assert_eq!(ok.expires, 60);
    assert_eq!(request.state(), RequestState::Expiring);
    assert!((58..=60).contains(&request.expires_in()));
    // Warned at least 59 s before the expiry, i.e. about 1 s after the response.
    let n = next(&mut observer).await;
    let warn = n
        .data()
        .downcast_ref::<sip_core::request::RequestWillExpireData>()
        .unwrap_or_else(|| panic!("unexpected {n:?}"));
    assert!((58..=59).contains(&warn.expires));
    request.end();
    assert_eq!(next(&mut observer).await.name(), "SIPRequestDidEnd");
    assert_eq!(request.state(), RequestState::Terminated);
    assert_eq!(request.expires_in(), 0);
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}
