//! Invitation (INVITE sessions) between Engines on 127.0.0.1.
#![cfg(feature = "runtime")]

use std::net::SocketAddr;
use std::time::Duration;

use sip_core::digest::Credentials;
use sip_core::engine::{Engine, EngineConfig};
use sip_core::header::{CSeq, Contact, FromHeader, HeaderName, NameAddr, Route, ToHeader};
use sip_core::invitation::{
    ChangedState, GotRequest, Invitation, InvitationNotification, InvitationState as St,
    InviteEvent, InviteParams, SdpUpdate, SubState as Sub,
};
use sip_core::message::{Method, SipMessage, StatusCode};
use sip_core::notification::{NotificationCenter, NotificationData};
use sip_core::referral::IncomingReferral;
use sip_core::sdp::{Direction, FrozenSdpSession, SdpMediaStream, SdpSession};
use sip_core::transaction::TransportKind;
use sip_core::uri::Uri;
use tokio::sync::mpsc;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

fn uri(s: &str) -> Uri {
    Uri::parse(s).unwrap()
}

fn sdp(id: u64, version: u64, dir: Direction) -> FrozenSdpSession {
    let mut s = SdpSession::with_ids("127.0.0.1", id, version);
    let mut m = SdpMediaStream::new("audio", 4000 + id as u16, "RTP/AVP");
    m.formats = vec!["0".into()];
    m.set_direction(dir);
    s.media.push(m);
    s.freeze()
}

struct Ua {
    engine: Engine,
    center: NotificationCenter,
    port: u16,
    user: &'static str,
}

impl Ua {
    async fn start(user: &'static str, trace: bool) -> Ua {
        let center = NotificationCenter::new();
        let config = EngineConfig::new()
            .with_ip_address("127.0.0.1".parse().unwrap())
            .with_udp_port(Some(0))
            .with_tcp_port(None)
            .with_trace_sip(trace);
        let engine = Engine::start(config, center.clone()).await.unwrap();
        let port = engine
            .local_port(TransportKind::Udp)
            .await
            .unwrap()
            .unwrap();
        Ua {
            engine,
            center,
            port,
            user,
        }
    }

    fn aor(&self) -> Uri {
        uri(&format!("sip:{}@127.0.0.1:{}", self.user, self.port))
    }

    fn contact(&self) -> Contact {
        Contact::new(NameAddr::new(self.aor()))
    }

    fn call(&self, callee: &Ua, sdp: Option<FrozenSdpSession>) -> InviteParams {
        let p = InviteParams::new(
            callee.aor(),
            FromHeader::new(NameAddr::new(self.aor())),
            ToHeader::new(NameAddr::new(callee.aor())),
            self.contact(),
        );
        match sdp {
            Some(s) => p.with_sdp(s),
            None => p,
        }
    }

    /// Every incoming INVITE as an Invitation.
    fn answerer(&self) -> mpsc::UnboundedReceiver<Invitation> {
        let mut dialogs = self.engine.take_new_dialogs().unwrap();
        let (tx, rx) = mpsc::unbounded_channel();
        let (engine, center) = (self.engine.clone(), self.center.clone());
        tokio::spawn(async move {
            while let Some(d) = dialogs.recv().await {
                let _ = tx.send(Invitation::incoming(&engine, &center, d));
            }
        });
        rx
    }
}

/// Reads events until a state change into `state`/`sub`; returns everything read.
async fn until(inv: &Invitation, state: St, sub: Sub) -> Vec<InviteEvent> {
    let mut seen = Vec::new();
    loop {
        let e = timeout(WAIT, inv.next_event())
            .await
            .unwrap_or_else(|_| panic!("no {state}/{sub} in time; saw {seen:#?}"))
            .unwrap_or_else(|| panic!("task ended before {state}/{sub}; saw {seen:#?}"));
        let hit =
            matches!(&e, InviteEvent::ChangedState(c) if c.state == state && c.sub_state == sub);
        seen.push(e);
        if hit {
            return seen;
        }
    }
}

fn changes(events: &[InviteEvent]) -> Vec<ChangedState> {
    events
        .iter()
        .filter_map(|e| match e {
            InviteEvent::ChangedState(c) => Some((**c).clone()),
            _ => None,
        })
        .collect()
}

fn sdp_updates(events: &[InviteEvent]) -> Vec<SdpUpdate> {
    events
        .iter()
        .filter_map(|e| match e {
            InviteEvent::GotSdpUpdate(u) => Some(u.clone()),
            _ => None,
        })
        .collect()
}

async fn next_call(rx: &mut mpsc::UnboundedReceiver<Invitation>) -> Invitation {
    timeout(WAIT, rx.recv()).await.unwrap().unwrap()
}

/// Alice calls Bob with an offer; Bob rings and answers. Returns both sides, connected.
async fn connected(
    alice: &Ua,
    bob: &Ua,
) -> (Invitation, Invitation, Vec<InviteEvent>, Vec<InviteEvent>) {
    let mut calls = bob.answerer();
    let a = Invitation::new(&alice.engine, &alice.center);
    a.send_invite(alice.call(bob, Some(sdp(1, 1, Direction::SendRecv))))
        .await
        .unwrap();
    let b = next_call(&mut calls).await;
    let mut eb = until(&b, St::Incoming, Sub::Normal).await;
    b.send_response(180, None, Some(bob.contact()), None, vec![])
        .await
        .unwrap();
    let mut ea = until(&a, St::Early, Sub::Normal).await;
    b.send_response(
        200,
        None,
        None,
        Some(sdp(2, 1, Direction::SendRecv)),
        vec![],
    )
    .await
    .unwrap();
    ea.extend(until(&a, St::Connected, Sub::Normal).await);
    eb.extend(until(&b, St::Connected, Sub::Normal).await);
    drop(calls);
    (a, b, ea, eb)
}

#[tokio::test]
async fn call_with_offer_answer_hold_unhold_both_ways_and_bye_from_caller() {
    let alice = Ua::start("alice", false).await;
    let bob = Ua::start("bob", false).await;
    let mut observer = alice
        .center
        .add_observer(Some("SIPInvitationGotSDPUpdate"), None);
    let (a, b, ea, eb) = connected(&alice, &bob).await;

    let states: Vec<St> = changes(&ea).iter().map(|c| c.state).collect();
    assert_eq!(
        states,
        [St::Calling, St::Early, St::Connecting, St::Connected]
    );
    let bc = changes(&eb);
    assert_eq!(bc[0].method, Some(Method::Invite));
    assert_eq!(bc.last().unwrap().method, Some(Method::Ack));
    let ua = sdp_updates(&ea);
    assert!(ua[0].succeeded);
    assert_eq!(ua[0].remote_sdp, Some(sdp(2, 1, Direction::SendRecv)));
    assert_eq!(
        sdp_updates(&eb)[0].remote_sdp,
        Some(sdp(1, 1, Direction::SendRecv))
    );
    assert_eq!(a.call_id(), b.call_id());
    assert!(a.call_id().is_some());
    assert_eq!(b.peer_address().unwrap().port(), alice.port);
    assert_eq!(a.transport(), Some("udp"));
    assert_eq!(
        b.remote_contact_header().unwrap().addr.unwrap().uri(),
        &alice.aor()
    );
    assert!(a.remote_user_agent().is_some());

    // The notification is posted with the Invitation as sender.
    let n = timeout(WAIT, observer.recv()).await.unwrap().unwrap();
    assert_eq!(n.sender().map(|s| s.id()), Some(a.sender().id()));
    let NotificationData::Custom(_) = n.data() else {
        panic!("not a custom payload")
    };
    assert!(matches!(
        n.data().downcast_ref::<InvitationNotification>(),
        Some(InvitationNotification::GotSdpUpdate(u)) if u.succeeded
    ));

    // Alice holds, Bob answers; Bob holds, Alice answers; both unhold.
    for (caller, callee, id) in [(&a, &b, 1u64), (&b, &a, 2u64)] {
        for (version, dir, answer_dir) in [
            (2, Direction::SendOnly, Direction::RecvOnly),
            (3, Direction::SendRecv, Direction::SendRecv),
        ] {
            let offer = sdp(id, version + u64::from(id == 2) * 10, dir);
            caller
                .send_reinvite(None, Some(offer.clone()), vec![])
                .await
                .unwrap();
            until(callee, St::Connected, Sub::ReceivedProposal).await;
            assert_eq!(callee.sdp().proposed_remote, Some(offer.clone()));
            let answer = sdp(3 - id, version + 20, answer_dir);
            callee
                .send_response(200, None, None, Some(answer.clone()), vec![])
                .await
                .unwrap();
            until(callee, St::Connected, Sub::Normal).await;
            let ev = until(caller, St::Connected, Sub::Normal).await;
            let upd = sdp_updates(&ev);
            assert!(upd.last().unwrap().succeeded);
            assert_eq!(upd.last().unwrap().remote_sdp, Some(answer.clone()));
            assert_eq!(caller.sdp().active_local, Some(offer.clone()));
            assert_eq!(callee.sdp().active_remote, Some(offer));
        }
    }

    a.end(vec![], None).await.unwrap();
    until(&a, St::Disconnected, Sub::Normal).await;
    let eb = until(&b, St::Disconnected, Sub::Normal).await;
    assert_eq!(changes(&eb).last().unwrap().method, Some(Method::Bye));
    assert_eq!(a.call_id(), None);
}

#[tokio::test]
async fn bye_from_callee_ends_both_sides() {
    let alice = Ua::start("alice", false).await;
    let bob = Ua::start("bob", false).await;
    let (a, b, _, _) = connected(&alice, &bob).await;
    b.end(vec![], None).await.unwrap();
    let eb = until(&b, St::Disconnected, Sub::Normal).await;
    assert_eq!(
        changes(&eb).first().unwrap().state,
        St::Disconnecting,
        "BYE first puts the callee in disconnecting"
    );
    assert_eq!(changes(&eb).last().unwrap().code, Some(200));
    let ea = until(&a, St::Disconnected, Sub::Normal).await;
    assert_eq!(changes(&ea).last().unwrap().method, Some(Method::Bye));
}

#[tokio::test]
async fn cancel_while_ringing_gets_487() {
    let alice = Ua::start("alice", false).await;
    let bob = Ua::start("bob", false).await;
    let mut calls = bob.answerer();
    let a = Invitation::new(&alice.engine, &alice.center);
    a.send_invite(alice.call(&bob, Some(sdp(1, 1, Direction::SendRecv))))
        .await
        .unwrap();
    let b = next_call(&mut calls).await;
    b.send_response(180, None, Some(bob.contact()), None, vec![])
        .await
        .unwrap();
    until(&a, St::Early, Sub::Normal).await;
    a.end(vec![], None).await.unwrap();
    let ea = until(&a, St::Disconnected, Sub::Normal).await;
    let last = changes(&ea).pop().unwrap();
    assert_eq!(last.code, Some(487));
    assert_eq!(last.prev_state, St::Disconnecting);
    let eb = until(&b, St::Disconnected, Sub::Normal).await;
    assert_eq!(changes(&eb).pop().unwrap().method, Some(Method::Cancel));
}

#[tokio::test]
async fn declined_call_reports_the_callees_code() {
    let alice = Ua::start("alice", false).await;
    let bob = Ua::start("bob", false).await;
    let mut calls = bob.answerer();
    let a = Invitation::new(&alice.engine, &alice.center);
    a.send_invite(alice.call(&bob, None)).await.unwrap();
    let b = next_call(&mut calls).await;
    b.end(vec![], None).await.unwrap();
    let ea = until(&a, St::Disconnected, Sub::Normal).await;
    let last = changes(&ea).pop().unwrap();
    assert_eq!(
        (last.code, last.reason.as_deref()),
        (Some(603), Some("Decline"))
    );
}

#[tokio::test]
async fn reliable_provisional_response_is_pracked() {
    let alice = Ua::start("alice", false).await;
    let bob = Ua::start("bob", true).await;
    let mut trace = bob.center.add_observer(Some("SIPEngineSIPTrace"), None);
    let (a, _b, _, _) = connected(&alice, &bob).await;
    a.end(vec![], None).await.unwrap();
    until(&a, St::Disconnected, Sub::Normal).await;
    let mut sent_180_rel = false;
    let mut got_prack = false;
    let mut prack_ok = false;
    while let Ok(Ok(n)) = timeout(Duration::from_millis(200), trace.recv()).await {
        let NotificationData::EngineSipTrace(t) = n.data() else {
            continue;
        };
        let text = String::from_utf8_lossy(&t.data).to_string();
        let msg = SipMessage::parse(t.data.clone()).unwrap();
        if !t.received && text.starts_with("SIP/2.0 180") {
            sent_180_rel = msg.headers().contains(&HeaderName::RSeq)
                && msg.headers().get_str(&HeaderName::Require) == Some("100rel");
        }
        if t.received && text.starts_with("PRACK ") {
            got_prack = msg.headers().contains(&HeaderName::RAck);
        }
        if !t.received
            && text.starts_with("SIP/2.0 200")
            && msg.headers().typed::<CSeq>().unwrap().method == Method::Prack
        {
            prack_ok = true;
        }
    }
    assert!(sent_180_rel, "the 180 was sent reliably");
    assert!(got_prack, "Alice PRACKed it");
    assert!(prack_ok, "Bob answered the PRACK");
}

#[tokio::test]
async fn late_offer_from_a_raw_uac_is_answered_in_the_ack() {
    let bob = Ua::start("bob", false).await;
    let mut calls = bob.answerer();
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let me = sock.local_addr().unwrap();
    let invite = format!(
        "INVITE sip:bob@127.0.0.1:{bp} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {me};branch=z9hG4bKlate1;rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:raw@{me}>;tag=raw1\r\n\
         To: <sip:bob@127.0.0.1:{bp}>\r\n\
         Call-ID: late-offer-1\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:raw@{me}>\r\n\
         Content-Length: 0\r\n\r\n",
        bp = bob.port
    );
    let bob_addr: SocketAddr = format!("127.0.0.1:{}", bob.port).parse().unwrap();
    sock.send_to(invite.as_bytes(), bob_addr).await.unwrap();
    let b = next_call(&mut calls).await;
    until(&b, St::Incoming, Sub::Normal).await;
    let offer = sdp(2, 1, Direction::SendRecv);
    b.send_response(200, None, Some(bob.contact()), Some(offer.clone()), vec![])
        .await
        .unwrap();
    // Read until the 200 (a 100 comes first).
    let mut buf = vec![0u8; 65535];
    let ok = loop {
        let (n, _) = timeout(WAIT, sock.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        let msg = SipMessage::parse(buf[..n].to_vec()).unwrap();
        if msg
            .as_response()
            .is_some_and(|r| r.status() == StatusCode::OK)
        {
            break msg;
        }
    };
    assert_eq!(ok.body().as_ref(), offer.to_string().as_bytes());
    let to = ok.headers().get_str(&HeaderName::To).unwrap().to_owned();
    let answer = sdp(9, 1, Direction::SendRecv).to_string();
    let ack = format!(
        "ACK sip:bob@127.0.0.1:{bp} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {me};branch=z9hG4bKlate2;rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:raw@{me}>;tag=raw1\r\n\
         To: {to}\r\n\
         Call-ID: late-offer-1\r\n\
         CSeq: 1 ACK\r\n\
         Content-Type: application/sdp\r\n\
         Content-Length: {len}\r\n\r\n{answer}",
        bp = bob.port,
        len = answer.len()
    );
    sock.send_to(ack.as_bytes(), bob_addr).await.unwrap();
    let eb = until(&b, St::Connected, Sub::Normal).await;
    let u = sdp_updates(&eb);
    assert_eq!(u.len(), 1);
    assert!(u[0].succeeded);
    assert_eq!(u[0].local_sdp, Some(offer));
    assert_eq!(u[0].remote_sdp, Some(sdp(9, 1, Direction::SendRecv)));
}

#[tokio::test]
async fn digest_challenged_invite_is_retried_with_credentials() {
    let alice = Ua::start("alice", false).await;
    let proxy = Ua::start("bob", false).await;
    let mut dialogs = proxy.engine.take_new_dialogs().unwrap();
    let (engine, center) = (proxy.engine.clone(), proxy.center.clone());
    let (seen_tx, mut seen) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut calls = Vec::new();
        while let Some(d) = dialogs.recv().await {
            let req = d.incoming.request.clone();
            let auth = req
                .headers()
                .get_str(&HeaderName::Authorization)
                .map(str::to_owned);
            let _ = seen_tx.send((req.headers().typed::<CSeq>().unwrap().seq, auth.clone()));
            if auth.is_none() {
                let challenge = req
                    .response(StatusCode::UNAUTHORIZED)
                    .to_tag(&d.route.local_tag)
                    .header(
                        HeaderName::WwwAuthenticate,
                        r#"Digest realm="test", nonce="n0nce", qop="auth""#,
                    )
                    .build();
                engine.respond(&d.incoming.key, challenge).await.unwrap();
            } else {
                let inv = Invitation::incoming(&engine, &center, d);
                let contact = Contact::new(NameAddr::new(uri("sip:bob@127.0.0.1")));
                inv.send_response(
                    200,
                    None,
                    Some(contact),
                    Some(sdp(2, 1, Direction::SendRecv)),
                    vec![],
                )
                .await
                .unwrap();
                calls.push(inv);
            }
        }
    });
    let a = Invitation::new(&alice.engine, &alice.center);
    let params = alice
        .call(&proxy, Some(sdp(1, 1, Direction::SendRecv)))
        .with_credentials(Credentials::new("alice", "secret"));
    a.send_invite(params).await.unwrap();
    until(&a, St::Connected, Sub::Normal).await;
    let (seq1, auth1) = seen.recv().await.unwrap();
    let (seq2, auth2) = seen.recv().await.unwrap();
    assert!(auth1.is_none());
    let auth2 = auth2.expect("the retry carries Authorization");
    assert!(auth2.contains(r#"username="alice""#) && auth2.contains(r#"realm="test""#));
    assert_eq!(seq2, seq1 + 1);
    assert_eq!(a.credentials().unwrap().username(), "alice");
}

#[tokio::test(start_paused = true)]
async fn unanswered_invite_times_out_with_408() {
    let alice = Ua::start("alice", false).await;
    // A peer that never answers.
    let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let target = uri(&format!("sip:nobody@127.0.0.1:{port}"));
    let params = InviteParams::new(
        target.clone(),
        FromHeader::new(NameAddr::new(alice.aor())),
        ToHeader::new(NameAddr::new(target.clone())),
        alice.contact(),
    )
    .with_route(Route::new(NameAddr::new(uri(&format!(
        "sip:127.0.0.1:{port};lr"
    )))))
    .with_timeout(Duration::from_secs(3));
    let a = Invitation::new(&alice.engine, &alice.center);
    let start = tokio::time::Instant::now();
    a.send_invite(params).await.unwrap();
    let ea = until(&a, St::Disconnected, Sub::Normal).await;
    let last = changes(&ea).pop().unwrap();
    assert_eq!(last.code, Some(408));
    let took = start.elapsed();
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(4),
        "{took:?}"
    );
    assert_eq!(a.peer_address().unwrap().port(), port);
    assert!(a.route_header().is_some());
    drop(silent);
}

#[tokio::test]
async fn reinvite_glare_is_resolved_by_the_491_retry() {
    let alice = Ua::start("alice", false).await;
    let bob = Ua::start("bob", false).await;
    let (a, b, _, _) = connected(&alice, &bob).await;
    let (oa, ob) = (
        sdp(1, 5, Direction::SendOnly),
        sdp(2, 5, Direction::SendOnly),
    );
    let (ra, rb) = tokio::join!(
        a.send_reinvite(None, Some(oa.clone()), vec![]),
        b.send_reinvite(None, Some(ob.clone()), vec![])
    );
    ra.unwrap();
    rb.unwrap();
    // Each side answers the other's (retried) re-INVITE when it arrives.
    let answer = |inv: Invitation, answer: FrozenSdpSession| async move {
        let mut failed = 0;
        let mut answered = false;
        let mut settled = false;
        while !(answered && settled) {
            let e = timeout(WAIT, inv.next_event()).await.unwrap().unwrap();
            match e {
                InviteEvent::ChangedState(c) if c.sub_state == Sub::ReceivedProposal => {
                    inv.send_response(200, None, None, Some(answer.clone()), vec![])
                        .await
                        .unwrap();
                    answered = true;
                }
                InviteEvent::ChangedState(c)
                    if c.prev_sub_state == Sub::SentProposal && c.sub_state == Sub::Normal =>
                {
                    if c.code == Some(491) {
                        failed += 1;
                    } else {
                        settled = c.code == Some(200);
                    }
                }
                _ => {}
            }
        }
        failed
    };
    let (fa, fb) = tokio::join!(
        answer(a.clone(), sdp(1, 6, Direction::RecvOnly)),
        answer(b.clone(), sdp(2, 6, Direction::RecvOnly))
    );
    assert_eq!((fa, fb), (1, 1), "each side got one 491");
    // Both negotiations went through and both sides agree on the result.
    assert_eq!(a.sdp().active_local, b.sdp().active_remote);
    assert_eq!(a.sdp().active_remote, b.sdp().active_local);
    assert!(a.sdp().active_local.is_some());
    assert_eq!(a.state(), St::Connected);
    assert_eq!(b.state(), St::Connected);
}

#[tokio::test]
async fn answer_without_contact_uses_the_address_the_invite_reached() {
    let alice = Ua::start("alice", false).await;
    let bob = Ua::start("bob", false).await;
    let mut calls = bob.answerer();
    let a = Invitation::new(&alice.engine, &alice.center);
    a.send_invite(alice.call(&bob, Some(sdp(1, 1, Direction::SendRecv))))
        .await
        .unwrap();
    let b = next_call(&mut calls).await;
    b.send_response(
        200,
        None,
        None,
        Some(sdp(2, 1, Direction::SendRecv)),
        vec![],
    )
    .await
    .unwrap();
    until(&a, St::Connected, Sub::Normal).await;
    let contact = a.remote_contact_header().unwrap();
    assert_eq!(contact.addr.unwrap().uri(), &bob.aor());
    assert_eq!(
        b.local_contact_header().unwrap().addr.unwrap().uri(),
        &bob.aor()
    );
    // Alice's BYE reaches Bob through that Contact.
    a.end(vec![], None).await.unwrap();
    until(&b, St::Disconnected, Sub::Normal).await;
}

#[tokio::test]
async fn call_over_tcp() {
    async fn start(user: &'static str) -> (Engine, NotificationCenter, u16, Uri) {
        let center = NotificationCenter::new();
        let config = EngineConfig::new()
            .with_ip_address("127.0.0.1".parse().unwrap())
            .with_udp_port(None)
            .with_tcp_port(Some(0));
        let engine = Engine::start(config, center.clone()).await.unwrap();
        let port = engine
            .local_port(TransportKind::Tcp)
            .await
            .unwrap()
            .unwrap();
        let aor = uri(&format!("sip:{user}@127.0.0.1:{port};transport=tcp"));
        (engine, center, port, aor)
    }
    let (ae, ac, _, a_aor) = start("alice").await;
    let (be, bc, _, b_aor) = start("bob").await;
    let mut dialogs = be.take_new_dialogs().unwrap();
    let a = Invitation::new(&ae, &ac);
    let params = InviteParams::new(
        b_aor.clone(),
        FromHeader::new(NameAddr::new(a_aor.clone())),
        ToHeader::new(NameAddr::new(b_aor.clone())),
        Contact::new(NameAddr::new(a_aor)),
    )
    .with_sdp(sdp(1, 1, Direction::SendRecv));
    a.send_invite(params).await.unwrap();
    let d = timeout(WAIT, dialogs.recv()).await.unwrap().unwrap();
    let b = Invitation::incoming(&be, &bc, d);
    assert_eq!(b.transport(), Some("tcp"));
    b.send_response(
        200,
        None,
        Some(Contact::new(NameAddr::new(b_aor))),
        Some(sdp(2, 1, Direction::SendRecv)),
        vec![],
    )
    .await
    .unwrap();
    until(&a, St::Connected, Sub::Normal).await;
    until(&b, St::Connected, Sub::Normal).await;
    assert_eq!(a.transport(), Some("tcp"));
    // A re-INVITE and the BYE travel in the dialog over TCP too.
    b.send_reinvite(None, Some(sdp(2, 2, Direction::SendOnly)), vec![])
        .await
        .unwrap();
    until(&a, St::Connected, Sub::ReceivedProposal).await;
    a.send_response(
        200,
        None,
        None,
        Some(sdp(1, 2, Direction::RecvOnly)),
        vec![],
    )
    .await
    .unwrap();
    until(&b, St::Connected, Sub::Normal).await;
    b.end(vec![], None).await.unwrap();
    until(&a, St::Disconnected, Sub::Normal).await;
    until(&b, St::Disconnected, Sub::Normal).await;
}

/// A raw UDP peer for requests within a call.
struct RawPeer {
    sock: tokio::net::UdpSocket,
    to: SocketAddr,
    buf: Vec<u8>,
}

impl RawPeer {
    async fn send(&self, text: &str) {
        self.sock.send_to(text.as_bytes(), self.to).await.unwrap();
    }

    /// The next message for which `pred` holds (others, such as 2xx retransmissions and 100s,
    /// are skipped).
    async fn recv(&mut self, what: &str, pred: impl Fn(&SipMessage) -> bool) -> SipMessage {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let (n, _) = tokio::time::timeout_at(deadline, self.sock.recv_from(&mut self.buf))
                .await
                .unwrap_or_else(|_| panic!("no {what} in time"))
                .unwrap();
            let msg = SipMessage::parse(self.buf[..n].to_vec()).unwrap();
            if pred(&msg) {
                return msg;
            }
        }
    }

    /// The final response to our request with CSeq `seq`.
    async fn response(&mut self, seq: u32) -> SipMessage {
        self.recv(&format!("final response to CSeq {seq}"), |m| {
            m.as_response().is_some_and(|r| {
                r.status().code() >= 200
                    && r.headers().typed::<CSeq>().is_ok_and(|c| c.seq == seq)
                    && r.headers()
                        .typed::<CSeq>()
                        .is_ok_and(|c| c.method != Method::Invite)
            })
        })
        .await
    }

    /// The next request of `method`.
    async fn request(&mut self, method: Method) -> SipMessage {
        self.recv(&format!("{method}"), |m| {
            m.as_request().is_some_and(|r| r.method() == &method)
        })
        .await
    }

    /// Answers `request` with `code`.
    async fn answer(&self, request: &SipMessage, code: u16) {
        let r = request.as_request().unwrap();
        let resp = r.response(StatusCode::new(code).unwrap()).build();
        self.sock.send_to(&resp.to_bytes(), self.to).await.unwrap();
    }
}

fn header(m: &SipMessage, name: HeaderName) -> String {
    m.headers().get_str(&name).unwrap_or_default().to_owned()
}

/// REFER within a call (RFC 3515 §2.4): Bob's Invitation hands it out as GotRequest, an
/// IncomingReferral bound to the call's dialog answers 202 and sends NOTIFY `active` with
/// `SIP/2.0 100 Trying`, then NOTIFY `terminated;reason=noresource` with `SIP/2.0 200 OK`,
/// both in the call's dialog (its Call-ID and tags) with the dialog's CSeq numbers, which
/// Bob's BYE then continues. INFO is answered through `answer_request`; a REFER with
/// `Refer-Sub: false` gets 202 without NOTIFYs; a rejected REFER gets the code given.
#[tokio::test]
async fn refer_within_a_call_is_handled_by_an_incoming_referral() {
    let bob = Ua::start("bob", false).await;
    let mut calls = bob.answerer();
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let me = sock.local_addr().unwrap();
    let bob_addr: SocketAddr = format!("127.0.0.1:{}", bob.port).parse().unwrap();
    let mut raw = RawPeer {
        sock,
        to: bob_addr,
        buf: vec![0u8; 65535],
    };
    let offer = sdp(9, 1, Direction::SendRecv).to_string();
    let bp = bob.port;
    raw.send(&format!(
        "INVITE sip:bob@127.0.0.1:{bp} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {me};branch=z9hG4bKrefer1;rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:raw@{me}>;tag=raw1\r\n\
         To: <sip:bob@127.0.0.1:{bp}>\r\n\
         Call-ID: refer-in-call-1\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:raw@{me}>\r\n\
         Content-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{offer}",
        offer.len()
    ))
    .await;
    let b = next_call(&mut calls).await;
    until(&b, St::Incoming, Sub::Normal).await;
    b.send_response(
        200,
        None,
        Some(bob.contact()),
        Some(sdp(2, 1, Direction::SendRecv)),
        vec![],
    )
    .await
    .unwrap();
    let ok = raw
        .recv("200 to the INVITE", |m| {
            m.as_response()
                .is_some_and(|r| r.status() == StatusCode::OK)
        })
        .await;
    let to = header(&ok, HeaderName::To);
    let bob_tag = to.split("tag=").nth(1).unwrap().to_owned();
    let dialog_headers = format!(
        "Max-Forwards: 70\r\nFrom: <sip:raw@{me}>;tag=raw1\r\nTo: {to}\r\nCall-ID: refer-in-call-1\r\n"
    );
    raw.send(&format!(
        "ACK sip:bob@127.0.0.1:{bp} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bKrefer2;rport\r\n\
         {dialog_headers}CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n"
    ))
    .await;
    until(&b, St::Connected, Sub::Normal).await;

    // INFO: handed out, answered by the application.
    raw.send(&format!(
        "INFO sip:bob@127.0.0.1:{bp} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bKinfo2;rport\r\n\
         {dialog_headers}CSeq: 2 INFO\r\nContent-Length: 0\r\n\r\n"
    ))
    .await;
    let got = next_request(&b).await;
    assert_eq!(got.request.method(), &Method::Info);
    b.answer_request(&got, 200, None, vec![]).await.unwrap();
    assert!(b.answer_request(&got, 200, None, vec![]).await.is_err());
    let r = raw.response(2).await;
    assert_eq!(r.as_response().unwrap().status().code(), 200);
    assert_eq!(header(&r, HeaderName::To), to);

    // REFER with the implicit subscription.
    let refer = |seq: u32, branch: &str, extra: &str| {
        format!(
            "REFER sip:bob@127.0.0.1:{bp} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch={branch};rport\r\n\
             {dialog_headers}CSeq: {seq} REFER\r\nContact: <sip:raw@{me}>\r\n\
             Refer-To: <sip:carol@127.0.0.1:5999>\r\n{extra}Content-Length: 0\r\n\r\n"
        )
    };
    raw.send(&refer(3, "z9hG4bKrefer3", "")).await;
    let got = next_request(&b).await;
    assert_eq!(got.request.method(), &Method::Refer);
    let referral = IncomingReferral::in_dialog(&b, &bob.center, &got)
        .await
        .unwrap();
    assert_eq!(referral.state(), "incoming");
    // Claimed: the Invitation no longer answers it.
    assert!(b.answer_request(&got, 200, None, vec![]).await.is_err());
    let mut referral_events = bob.center.add_observer(None, Some(referral.sender().id()));
    referral.accept(202, 600).unwrap();
    let accepted = raw.response(3).await;
    assert_eq!(accepted.as_response().unwrap().status().code(), 202);
    assert_eq!(header(&accepted, HeaderName::To), to);
    let notify1 = raw.request(Method::Notify).await;
    assert_eq!(header(&notify1, HeaderName::CallId), "refer-in-call-1");
    assert!(header(&notify1, HeaderName::From).contains(&format!("tag={bob_tag}")));
    assert!(header(&notify1, HeaderName::To).contains("tag=raw1"));
    assert_eq!(header(&notify1, HeaderName::Event), "refer");
    assert!(header(&notify1, HeaderName::SubscriptionState).starts_with("active"));
    assert_eq!(
        header(&notify1, HeaderName::ContentType),
        "message/sipfrag;version=2.0"
    );
    assert_eq!(notify1.body().as_ref(), b"SIP/2.0 100 Trying\r\n");
    let seq1 = notify1.headers().typed::<CSeq>().unwrap().seq;
    raw.answer(&notify1, 200).await;
    // Wait for the answer to reach the referral before the final NOTIFY.
    wait_referral(&mut referral_events, "SIPIncomingReferralNotifyDidSucceed").await;
    referral.send_notify(200, None).unwrap();
    let notify2 = raw.request(Method::Notify).await;
    assert_eq!(
        header(&notify2, HeaderName::SubscriptionState),
        "terminated;reason=noresource"
    );
    assert_eq!(notify2.body().as_ref(), b"SIP/2.0 200 OK\r\n");
    assert_eq!(notify2.headers().typed::<CSeq>().unwrap().seq, seq1 + 1);
    raw.answer(&notify2, 200).await;
    wait_referral(&mut referral_events, "SIPIncomingReferralNotifyDidSucceed").await;
    assert_eq!(referral.state(), "terminated");

    // REFER without subscription (RFC 4488): 202 with Refer-Sub: false, no NOTIFY.
    raw.send(&refer(4, "z9hG4bKrefer4", "Refer-Sub: false\r\n"))
        .await;
    let got = next_request(&b).await;
    let quiet = IncomingReferral::in_dialog(&b, &bob.center, &got)
        .await
        .unwrap();
    quiet.accept(202, 600).unwrap();
    let accepted = raw.response(4).await;
    assert_eq!(accepted.as_response().unwrap().status().code(), 202);
    assert_eq!(header(&accepted, HeaderName::ReferSub), "false");
    assert_eq!(quiet.state(), "terminated");

    // A rejected REFER.
    raw.send(&refer(5, "z9hG4bKrefer5", "")).await;
    let got = next_request(&b).await;
    let refused = IncomingReferral::in_dialog(&b, &bob.center, &got)
        .await
        .unwrap();
    refused.reject(603).unwrap();
    let rejected = raw.response(5).await;
    assert_eq!(rejected.as_response().unwrap().status().code(), 603);

    // Bob hangs up: his BYE continues the dialog's CSeq after the NOTIFYs (no NOTIFY came
    // for the REFER without subscription).
    b.end(vec![], None).await.unwrap();
    let next = raw
        .recv("BYE or NOTIFY", |m| {
            m.as_request()
                .is_some_and(|r| matches!(r.method(), Method::Bye | Method::Notify))
        })
        .await;
    assert_eq!(next.as_request().unwrap().method(), &Method::Bye);
    assert_eq!(next.headers().typed::<CSeq>().unwrap().seq, seq1 + 2);
    raw.answer(&next, 200).await;
    until(&b, St::Disconnected, Sub::Normal).await;
}

/// Reads events until a GotRequest.
async fn next_request(inv: &Invitation) -> GotRequest {
    loop {
        match timeout(WAIT, inv.next_event()).await.unwrap().unwrap() {
            InviteEvent::GotRequest(g) => return g,
            _ => continue,
        }
    }
}

async fn wait_referral(events: &mut sip_core::notification::Observer, name: &str) {
    loop {
        let n = timeout(WAIT, events.recv())
            .await
            .unwrap_or_else(|_| panic!("no {name}"))
            .unwrap();
        if n.name() == name {
            return;
        }
        assert_ne!(n.name(), "SIPIncomingReferralNotifyDidFail", "{n:?}");
    }
}
