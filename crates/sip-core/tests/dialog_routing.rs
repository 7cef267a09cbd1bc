//! The Engine's dialog routing against a raw loopback peer: new dialogs, in-dialog requests,
//! ACKs for 2xx, CANCELs of routed INVITEs, and stateless sends.
#![cfg(feature = "runtime")]

use std::net::SocketAddr;
use std::time::Duration;

use sip_core::engine::{DialogEvent, Engine, EngineConfig, NewDialog};
use sip_core::header::{FromHeader, HeaderName, ToHeader};
use sip_core::message::{Method, SipMessage, StatusCode};
use sip_core::notification::NotificationCenter;
use sip_core::transaction::{Target, TransportKind};
use tokio::net::UdpSocket;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(5);

async fn start() -> (Engine, SocketAddr) {
    let config = EngineConfig::new()
        .with_ip_address("127.0.0.1".parse().unwrap())
        .with_udp_port(Some(0))
        .with_tcp_port(None);
    let engine = Engine::start(config, NotificationCenter::new())
        .await
        .unwrap();
    let port = engine
        .local_port(TransportKind::Udp)
        .await
        .unwrap()
        .unwrap();
    (engine, SocketAddr::from(([127, 0, 0, 1], port)))
}

/// A request from the raw peer `me`; `to_tag` makes it an in-dialog request.
fn request(
    method: &str,
    branch: &str,
    me: SocketAddr,
    call: &str,
    cseq: u32,
    to_tag: Option<&str>,
) -> String {
    let to_tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
    format!(
        "{method} sip:engine@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP {me};branch=z9hG4bK{branch}\r\n\
         Max-Forwards: 70\r\n\
         To: <sip:engine@127.0.0.1>{to_tag}\r\n\
         From: <sip:peer@127.0.0.1>;tag=p1\r\n\
         Call-ID: {call}\r\n\
         CSeq: {cseq} {method}\r\n\
         Contact: <sip:peer@{me}>\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

async fn recv(sock: &UdpSocket) -> SipMessage {
    let mut buf = vec![0u8; 65536];
    let (n, _) = timeout(WAIT, sock.recv_from(&mut buf))
        .await
        .expect("nothing received")
        .unwrap();
    SipMessage::parse(buf[..n].to_vec()).unwrap()
}

async fn recv_status(sock: &UdpSocket) -> (StatusCode, Option<String>) {
    let msg = recv(sock).await;
    let response = msg.as_response().expect("a response");
    let to: ToHeader = response.headers().typed().unwrap();
    (response.status(), to.tag().map(str::to_owned))
}

async fn next_dialog(new: &mut tokio::sync::mpsc::Receiver<NewDialog>) -> NewDialog {
    timeout(WAIT, new.recv())
        .await
        .expect("no new dialog")
        .unwrap()
}

async fn next_event(route: &mut sip_core::engine::DialogRoute) -> DialogEvent {
    timeout(WAIT, route.events.recv())
        .await
        .expect("no dialog event")
        .unwrap()
}

#[tokio::test]
async fn invite_without_a_taker_gets_480_and_refer_too() {
    let (engine, addr) = start().await;
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let me = sock.local_addr().unwrap();
    for (method, branch) in [("INVITE", "i0"), ("REFER", "r0")] {
        sock.send_to(
            request(method, branch, me, branch, 1, None).as_bytes(),
            addr,
        )
        .await
        .unwrap();
        // Skip the 100 Trying of the INVITE.
        let mut status = recv_status(&sock).await.0;
        if status == StatusCode::TRYING {
            status = recv_status(&sock).await.0;
        }
        assert_eq!(status, StatusCode::TEMPORARILY_UNAVAILABLE, "{method}");
    }
    engine.stop().await.unwrap();
}

#[tokio::test]
async fn new_invite_is_routed_with_its_cancel_and_in_dialog_requests() {
    let (engine, addr) = start().await;
    let mut new = engine.take_new_dialogs().unwrap();
    assert!(engine.take_new_dialogs().is_err(), "taken once");
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let me = sock.local_addr().unwrap();

    sock.send_to(
        request("INVITE", "inv1", me, "call-1", 1, None).as_bytes(),
        addr,
    )
    .await
    .unwrap();
    let NewDialog {
        incoming,
        mut route,
        ..
    } = next_dialog(&mut new).await;
    assert_eq!(incoming.request.method(), &Method::Invite);
    assert_eq!(route.call_id, "call-1");
    assert!(!route.local_tag.is_empty());
    let ringing = incoming
        .request
        .response(StatusCode::RINGING)
        .to_tag(&route.local_tag)
        .build();
    engine.respond(&incoming.key, ringing).await.unwrap();
    // 100 Trying may come first.
    let mut got = recv_status(&sock).await;
    if got.0 == StatusCode::TRYING {
        got = recv_status(&sock).await;
    }
    assert_eq!(got, (StatusCode::RINGING, Some(route.local_tag.clone())));

    // The CANCEL is answered 200 by the Engine and reported to the route's owner.
    sock.send_to(
        request("CANCEL", "inv1", me, "call-1", 1, None).as_bytes(),
        addr,
    )
    .await
    .unwrap();
    assert_eq!(recv_status(&sock).await.0, StatusCode::OK);
    let DialogEvent::Cancel {
        invite,
        request: cancel,
        ..
    } = next_event(&mut route).await
    else {
        panic!("expected a CANCEL")
    };
    assert_eq!(invite, incoming.key);
    assert_eq!(cancel.method(), &Method::Cancel);
    let terminated = incoming
        .request
        .response(StatusCode::REQUEST_TERMINATED)
        .to_tag(&route.local_tag)
        .build();
    engine.respond(&incoming.key, terminated).await.unwrap();
    assert_eq!(recv_status(&sock).await.0, StatusCode::REQUEST_TERMINATED);

    // An in-dialog request with our tag reaches the route; with another tag it gets 481.
    let tag = route.local_tag.clone();
    sock.send_to(
        request("BYE", "bye1", me, "call-1", 2, Some(&tag)).as_bytes(),
        addr,
    )
    .await
    .unwrap();
    let DialogEvent::Request(bye) = next_event(&mut route).await else {
        panic!("expected the BYE")
    };
    assert_eq!(bye.request.method(), &Method::Bye);
    engine
        .respond(&bye.key, bye.request.response(StatusCode::OK).build())
        .await
        .unwrap();
    assert_eq!(recv_status(&sock).await.0, StatusCode::OK);
    sock.send_to(
        request("BYE", "bye2", me, "call-1", 3, Some("other")).as_bytes(),
        addr,
    )
    .await
    .unwrap();
    assert_eq!(
        recv_status(&sock).await.0,
        StatusCode::CALL_OR_TRANSACTION_DOES_NOT_EXIST
    );

    // Once the route is dropped, its requests get 481 too.
    drop(route);
    sock.send_to(
        request("BYE", "bye3", me, "call-1", 4, Some(&tag)).as_bytes(),
        addr,
    )
    .await
    .unwrap();
    assert_eq!(
        recv_status(&sock).await.0,
        StatusCode::CALL_OR_TRANSACTION_DOES_NOT_EXIST
    );
    engine.stop().await.unwrap();
}

#[tokio::test]
async fn uac_route_receives_the_ack_and_send_stateless_reaches_the_peer() {
    let (engine, addr) = start().await;
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let me = sock.local_addr().unwrap();
    let mut route = engine.add_dialog_route("call-2", "ours").await.unwrap();

    // An ACK (for a 2xx: no transaction) with our tag is routed.
    sock.send_to(
        request("ACK", "ack1", me, "call-2", 1, Some("ours")).as_bytes(),
        addr,
    )
    .await
    .unwrap();
    let DialogEvent::Ack {
        request: ack,
        source,
        ..
    } = next_event(&mut route).await
    else {
        panic!("expected the ACK")
    };
    assert_eq!(ack.method(), &Method::Ack);
    assert_eq!(source.addr, me);

    // A stateless ACK of ours reaches the peer unchanged, with User-Agent added.
    let raw = ack
        .to_string()
        .replace("sip:engine@127.0.0.1", &format!("sip:peer@{me}"));
    let ours = SipMessage::parse(raw.into_bytes()).unwrap();
    engine
        .send_stateless(ours, Target::new(me, TransportKind::Udp))
        .await
        .unwrap();
    let got = recv(&sock).await;
    let got = got.as_request().expect("the ACK");
    assert_eq!(got.method(), &Method::Ack);
    assert!(got.headers().contains(&HeaderName::UserAgent));
    let from: FromHeader = got.headers().typed().unwrap();
    assert_eq!(from.tag(), Some("p1"));
    engine.stop().await.unwrap();
}

#[tokio::test]
async fn subscribe_creates_a_new_dialog_when_the_stream_is_taken() {
    let config = EngineConfig::new()
        .with_ip_address("127.0.0.1".parse().unwrap())
        .with_udp_port(Some(0))
        .with_tcp_port(None)
        .with_incoming_event("presence");
    let engine = Engine::start(config, NotificationCenter::new())
        .await
        .unwrap();
    let port = engine
        .local_port(TransportKind::Udp)
        .await
        .unwrap()
        .unwrap();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut new = engine.take_new_dialogs().unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let me = sock.local_addr().unwrap();
    let subscribe = request("SUBSCRIBE", "s1", me, "call-3", 1, None).replace(
        "Content-Length: 0",
        "Event: presence\r\nExpires: 60\r\nContent-Length: 0",
    );
    sock.send_to(subscribe.as_bytes(), addr).await.unwrap();
    let NewDialog {
        incoming, route, ..
    } = next_dialog(&mut new).await;
    assert_eq!(incoming.request.method(), &Method::Subscribe);
    let ok = incoming
        .request
        .response(StatusCode::ACCEPTED)
        .to_tag(&route.local_tag)
        .build();
    engine.respond(&incoming.key, ok).await.unwrap();
    assert_eq!(
        recv_status(&sock).await,
        (StatusCode::ACCEPTED, Some(route.local_tag.clone()))
    );
    engine.stop().await.unwrap();
}
