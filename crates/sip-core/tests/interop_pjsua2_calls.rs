//! Call interop with pjsua2 (PJSIP 2.15) on loopback: calls in both directions with SDP
//! offer/answer, hold and unhold re-INVITEs from each side, BYE from each side, CANCEL while
//! ringing from each side, and a REFER from pjsua2 within the call. Our side drives
//! [`Invitation`] directly; pjsua2 runs as `interop/pjsua2/pjua.py` (killed by PID when the
//! test ends) and its log lines are checked too.
//!
//! Without the pjsua2 venv the tests fail, unless `SIPSIMPLE_SKIP_INTEROP=1` is set (then
//! skipped).
#![cfg(feature = "runtime")]

#[path = "../examples/agent/ua.rs"]
mod ua;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use interop_support::Pjua;
use sip_core::engine::{Engine, EngineConfig, NewDialog};
use sip_core::header::{FromHeader, NameAddr, ToHeader};
use sip_core::invitation::{
    ChangedState, GotRequest, Invitation, InvitationState as St, InviteEvent, InviteParams,
    SdpUpdate, SubState as Sub,
};
use sip_core::message::Method;
use sip_core::notification::{NotificationCenter, Observer};
use sip_core::referral::IncomingReferral;
use sip_core::sdp::{Direction, FrozenSdpSession};
use sip_core::transaction::TransportKind;
use sip_core::uri::Uri;
use tokio::sync::mpsc;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(20);

struct Us {
    engine: Engine,
    center: NotificationCenter,
    addr: SocketAddr,
}

async fn us() -> Us {
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
    Us {
        engine,
        center,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
    }
}

/// Starts pjua.py with `args` (`None`: pjsua2 missing and interop skipped).
async fn pjua(args: &[&str]) -> Option<Arc<Pjua>> {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        Pjua::spawn(&refs, None).map(Arc::new)
    })
    .await
    .unwrap()
}

/// The next pjsua2 line containing `needle` (lines before it are consumed).
async fn pj_line(pj: &Arc<Pjua>, needle: &str) -> String {
    let (p, n) = (pj.clone(), needle.to_owned());
    let line = tokio::task::spawn_blocking(move || p.wait_for(|l| l.contains(&n), WAIT))
        .await
        .unwrap();
    line.unwrap_or_else(|| panic!("pjsua2 never logged {needle:?}:\n{}", pj.output()))
}

/// The first pjsua2 line so far, or to come, containing `needle` (nothing is consumed).
async fn pj_seen(pj: &Arc<Pjua>, needle: &str) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(line) = pj.output().lines().find(|l| l.contains(needle)) {
            return line.to_owned();
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("pjsua2 never logged {needle:?}:\n{}", pj.output());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Reads our events until a state change into `state`/`sub`; returns everything read.
async fn until(inv: &Invitation, pj: &Pjua, state: St, sub: Sub) -> Vec<InviteEvent> {
    let mut seen = Vec::new();
    loop {
        let e = timeout(WAIT, inv.next_event())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "no {state}/{sub} in time; saw {seen:#?}\npjsua2:\n{}",
                    pj.output()
                )
            })
            .unwrap_or_else(|| panic!("task ended before {state}/{sub}; saw {seen:#?}"));
        let hit =
            matches!(&e, InviteEvent::ChangedState(c) if c.state == state && c.sub_state == sub);
        seen.push(e);
        if hit {
            return seen;
        }
    }
}

/// Reads our events until a request within the dialog.
async fn next_request(inv: &Invitation, pj: &Pjua) -> GotRequest {
    loop {
        let e = timeout(WAIT, inv.next_event())
            .await
            .unwrap_or_else(|_| panic!("no request in the call; pjsua2:\n{}", pj.output()))
            .expect("the call ended first");
        if let InviteEvent::GotRequest(g) = e {
            return g;
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

/// The single successful SDP update among `events`.
fn negotiated(events: &[InviteEvent]) -> SdpUpdate {
    let updates = sdp_updates(events);
    assert_eq!(updates.len(), 1, "{updates:#?}");
    assert!(updates[0].succeeded, "{:?}", updates[0]);
    updates[0].clone()
}

fn direction(sdp: &Option<FrozenSdpSession>) -> Direction {
    sdp.as_ref()
        .and_then(|s| s.thaw().media_direction(0))
        .expect("an audio stream")
}

/// PCMU (payload type 0) first in the audio stream.
fn assert_pcmu(sdp: &Option<FrozenSdpSession>) {
    let s = sdp.as_ref().expect("an SDP").thaw();
    let audio = &s.media[0];
    assert_eq!(audio.media, "audio", "{s}");
    assert_ne!(audio.port, 0, "{s}");
    assert_eq!(audio.formats.first().map(String::as_str), Some("0"), "{s}");
}

/// PCMU among the offered formats of the audio stream.
fn assert_offers_pcmu(sdp: &FrozenSdpSession) {
    let s = sdp.thaw();
    let audio = &s.media[0];
    assert_eq!(audio.media, "audio", "{s}");
    assert!(audio.formats.iter().any(|f| f == "0"), "{s}");
}

/// Our active SDP with the next version and the audio direction `dir`.
fn our_sdp(inv: &Invitation, dir: Direction) -> FrozenSdpSession {
    let mut s = inv.sdp().active_local.expect("an active SDP").thaw();
    s.increment_version();
    s.media[0].set_direction(dir);
    s.freeze()
}

/// Answers the peer's pending offer (re-INVITE) with the mirrored direction.
async fn answer_offer(inv: &Invitation) {
    let offer = inv.sdp().proposed_remote.expect("an offer").thaw();
    let dir = match offer.media_direction(0).unwrap_or_default() {
        Direction::SendOnly => Direction::RecvOnly,
        Direction::RecvOnly => Direction::SendOnly,
        d => d,
    };
    let answer = our_sdp(inv, dir);
    inv.send_response(200, None, None, Some(answer), vec![])
        .await
        .unwrap();
}

fn pj_uri(pj: &Pjua) -> Uri {
    Uri::parse(&format!("sip:pj@{}", pj.addr())).unwrap()
}

/// We call pjsua2 with a PCMU offer.
async fn call_pjsua2(us: &Us, pj: &Pjua) -> Invitation {
    let inv = Invitation::new(&us.engine, &us.center);
    let target = pj_uri(pj);
    let from = Uri::parse(&format!("sip:agent@{}", us.addr)).unwrap();
    let params = InviteParams::new(
        target.clone(),
        FromHeader::new(NameAddr::new(from)),
        ToHeader::new(NameAddr::new(target)),
        ua::contact_for(us.addr, TransportKind::Udp),
    )
    .with_sdp(ua::audio_offer(us.addr.ip(), 41000).into());
    inv.send_invite(params).await.unwrap();
    inv
}

/// We call pjsua2 (`--answer`) and it answers: checks the offer/answer and pjsua2's
/// CONFIRMED call with active media.
async fn connected_to_pjsua2(us: &Us, pj: &Arc<Pjua>) -> Invitation {
    let inv = call_pjsua2(us, pj).await;
    let events = until(&inv, pj, St::Connected, Sub::Normal).await;
    let states: Vec<St> = changes(&events).iter().map(|c| c.state).collect();
    assert_eq!(states.first(), Some(&St::Calling), "{states:?}");
    let u = negotiated(&events);
    assert_pcmu(&u.local_sdp);
    assert_pcmu(&u.remote_sdp);
    assert_eq!(direction(&u.remote_sdp), Direction::SendRecv);
    pj_line(pj, "media status: ACTIVE dir: sendrecv").await;
    pj_seen(pj, "call state: CONFIRMED").await;
    inv
}

/// Every incoming INVITE of `us`.
fn incoming(us: &Us) -> mpsc::Receiver<NewDialog> {
    us.engine.take_new_dialogs().unwrap()
}

/// pjsua2's INVITE as an Invitation, rung (180) and in state early.
async fn ringing(us: &Us, pj: &Arc<Pjua>, dialogs: &mut mpsc::Receiver<NewDialog>) -> Invitation {
    let d = timeout(WAIT, dialogs.recv())
        .await
        .unwrap_or_else(|_| panic!("no INVITE from pjsua2:\n{}", pj.output()))
        .unwrap();
    assert_eq!(d.incoming.request.method(), &Method::Invite);
    let inv = Invitation::incoming(&us.engine, &us.center, d);
    until(&inv, pj, St::Incoming, Sub::Normal).await;
    inv.send_response(
        180,
        None,
        Some(ua::contact_for(us.addr, TransportKind::Udp)),
        None,
        vec![],
    )
    .await
    .unwrap();
    until(&inv, pj, St::Early, Sub::Normal).await;
    pj_seen(pj, "call state: EARLY 180").await;
    inv
}

/// pjsua2 calls us; we ring and answer its PCMU offer with PCMU.
async fn answered_from_pjsua2(
    us: &Us,
    pj: &Arc<Pjua>,
    dialogs: &mut mpsc::Receiver<NewDialog>,
) -> Invitation {
    let inv = ringing(us, pj, dialogs).await;
    let offer = inv
        .sdp()
        .proposed_remote
        .expect("pjsua2 offers in its INVITE");
    assert_offers_pcmu(&offer);
    assert_eq!(direction(&Some(offer.clone())), Direction::SendRecv);
    let answer = ua::audio_answer(&offer.thaw(), us.addr.ip(), 40000);
    inv.send_response(200, None, None, Some(answer.into()), vec![])
        .await
        .unwrap();
    let events = until(&inv, pj, St::Connected, Sub::Normal).await;
    let u = negotiated(&events);
    assert_eq!(u.remote_sdp.as_ref(), Some(&offer));
    assert_pcmu(&u.local_sdp);
    assert_eq!(direction(&u.local_sdp), Direction::SendRecv);
    pj_line(pj, "media status: ACTIVE dir: sendrecv").await;
    pj_seen(pj, "call state: CONFIRMED").await;
    inv
}

/// Waits for our side to be disconnected; returns the change.
async fn disconnected(inv: &Invitation, pj: &Pjua) -> ChangedState {
    let events = until(inv, pj, St::Disconnected, Sub::Normal).await;
    changes(&events).pop().unwrap()
}

/// pjsua2 calls us with an offer; we ring, answer PCMU and hang up (BYE from us, callee).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pjsua2_calls_us_and_we_answer_its_offer() {
    let us = us().await;
    let mut dialogs = incoming(&us);
    let target = format!("sip:agent@{}", us.addr);
    let Some(pj) = pjua(&["--call", &target, "--duration", "15", "--loglevel", "1"]).await else {
        return;
    };
    let inv = answered_from_pjsua2(&us, &pj, &mut dialogs).await;
    let caller = inv
        .remote_identity()
        .map(|h| match h {
            sip_core::invitation::NameAddrHeader::From(f) => f.uri().to_string(),
            sip_core::invitation::NameAddrHeader::To(t) => t.uri().to_string(),
        })
        .unwrap_or_default();
    assert!(caller.starts_with("sip:pj@127.0.0.1"), "{caller}");
    inv.end(vec![], Some(WAIT)).await.unwrap();
    let end = disconnected(&inv, &pj).await;
    assert_eq!(end.code, Some(200), "{end:?}");
    let line = pj_seen(&pj, "call state: DISCONNECTED").await;
    assert!(line.contains("BYE") || line.contains("200"), "{line}");
    us.engine.stop().await.unwrap();
}

/// We call pjsua2 (`--answer`) with a PCMU offer; it answers PCMU sendrecv; we hang up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn we_call_pjsua2_and_it_answers_our_offer() {
    let us = us().await;
    let Some(pj) = pjua(&["--answer", "--duration", "15", "--loglevel", "1"]).await else {
        return;
    };
    let inv = connected_to_pjsua2(&us, &pj).await;
    assert_eq!(inv.peer_address(), Some(pj.addr()));
    inv.end(vec![], Some(WAIT)).await.unwrap();
    let end = disconnected(&inv, &pj).await;
    assert_eq!(end.code, Some(200), "{end:?}");
    pj_seen(&pj, "call state: DISCONNECTED").await;
    us.engine.stop().await.unwrap();
}

/// pjsua2 (`--reinvite`) puts our call on hold (sendonly offer, we answer recvonly), then
/// takes it off hold (sendrecv).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pjsua2_holds_and_unholds_the_call() {
    let us = us().await;
    let Some(pj) = pjua(&[
        "--answer",
        "--reinvite",
        "--duration",
        "15",
        "--loglevel",
        "1",
    ])
    .await
    else {
        return;
    };
    let inv = connected_to_pjsua2(&us, &pj).await;
    for (offered, answered, pj_status) in [
        (Direction::SendOnly, Direction::RecvOnly, "LOCAL_HOLD"),
        (Direction::SendRecv, Direction::SendRecv, "ACTIVE"),
    ] {
        let events = until(&inv, &pj, St::Connected, Sub::ReceivedProposal).await;
        let proposal = changes(&events).pop().unwrap();
        assert_eq!(proposal.method, Some(Method::Invite));
        assert_eq!(
            direction(&inv.sdp().proposed_remote),
            offered,
            "{:?}",
            inv.sdp()
        );
        answer_offer(&inv).await;
        let events = until(&inv, &pj, St::Connected, Sub::Normal).await;
        let u = negotiated(&events);
        assert_eq!(direction(&u.remote_sdp), offered);
        assert_eq!(direction(&u.local_sdp), answered);
        assert_offers_pcmu(u.remote_sdp.as_ref().unwrap());
        pj_line(&pj, &format!("media status: {pj_status}")).await;
    }
    inv.end(vec![], Some(WAIT)).await.unwrap();
    disconnected(&inv, &pj).await;
    pj_seen(&pj, "call state: DISCONNECTED").await;
    us.engine.stop().await.unwrap();
}

/// We put pjsua2 on hold (re-INVITE sendonly, it answers recvonly), then take it off hold
/// (sendrecv both ways).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn we_hold_and_unhold_pjsua2() {
    let us = us().await;
    let Some(pj) = pjua(&["--answer", "--duration", "15", "--loglevel", "1"]).await else {
        return;
    };
    let inv = connected_to_pjsua2(&us, &pj).await;
    for (ours, theirs, pj_status) in [
        (Direction::SendOnly, Direction::RecvOnly, "REMOTE_HOLD"),
        (
            Direction::SendRecv,
            Direction::SendRecv,
            "ACTIVE dir: sendrecv",
        ),
    ] {
        inv.send_reinvite(None, Some(our_sdp(&inv, ours)), vec![])
            .await
            .unwrap();
        let events = until(&inv, &pj, St::Connected, Sub::Normal).await;
        let subs: Vec<Sub> = changes(&events).iter().map(|c| c.sub_state).collect();
        assert_eq!(subs, [Sub::SentProposal, Sub::Normal]);
        let done = changes(&events).pop().unwrap();
        assert_eq!(done.code, Some(200), "{done:?}");
        let u = negotiated(&events);
        assert_eq!(direction(&u.local_sdp), ours);
        assert_eq!(direction(&u.remote_sdp), theirs);
        assert_pcmu(&u.remote_sdp);
        pj_line(&pj, &format!("media status: {pj_status}")).await;
    }
    inv.end(vec![], Some(WAIT)).await.unwrap();
    disconnected(&inv, &pj).await;
    us.engine.stop().await.unwrap();
}

/// pjsua2 (`--hangup-after`) ends the call we placed with a BYE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bye_from_pjsua2_ends_our_call() {
    let us = us().await;
    let Some(pj) = pjua(&[
        "--answer",
        "--hangup-after",
        "1",
        "--duration",
        "15",
        "--loglevel",
        "1",
    ])
    .await
    else {
        return;
    };
    let inv = connected_to_pjsua2(&us, &pj).await;
    let end = disconnected(&inv, &pj).await;
    assert_eq!(end.method, Some(Method::Bye), "{end:?}");
    assert_eq!(end.prev_state, St::Connected);
    pj_seen(&pj, "BYE sent").await;
    let line = pj_seen(&pj, "call state: DISCONNECTED").await;
    assert!(line.contains("200"), "{line}");
    us.engine.stop().await.unwrap();
}

/// We end pjsua2's call with a BYE (we are the callee); pjsua2 reports the disconnection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bye_from_us_ends_pjsua2s_call() {
    let us = us().await;
    let mut dialogs = incoming(&us);
    let target = format!("sip:agent@{}", us.addr);
    let Some(pj) = pjua(&["--call", &target, "--duration", "15", "--loglevel", "1"]).await else {
        return;
    };
    let inv = answered_from_pjsua2(&us, &pj, &mut dialogs).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    inv.end(vec![], Some(WAIT)).await.unwrap();
    let end = disconnected(&inv, &pj).await;
    assert_eq!(end.prev_state, St::Disconnecting, "{end:?}");
    assert_eq!(end.code, Some(200), "{end:?}");
    let line = pj_seen(&pj, "call state: DISCONNECTED").await;
    assert!(!line.contains(" 487 "), "{line}");
    us.engine.stop().await.unwrap();
}

/// pjsua2 (`--cancel-after`) cancels its call while we ring: we see disconnected by the
/// CANCEL, pjsua2 gets our 487.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_from_pjsua2_while_we_ring() {
    let us = us().await;
    let mut dialogs = incoming(&us);
    let target = format!("sip:agent@{}", us.addr);
    let Some(pj) = pjua(&[
        "--call",
        &target,
        "--cancel-after",
        "2",
        "--duration",
        "15",
        "--loglevel",
        "1",
    ])
    .await
    else {
        return;
    };
    let inv = ringing(&us, &pj, &mut dialogs).await;
    let end = disconnected(&inv, &pj).await;
    assert_eq!(end.method, Some(Method::Cancel), "{end:?}");
    assert_eq!(end.prev_state, St::Early);
    pj_seen(&pj, "CANCEL sent").await;
    let line = pj_seen(&pj, "call state: DISCONNECTED").await;
    assert!(line.contains("487"), "{line}");
    us.engine.stop().await.unwrap();
}

/// We cancel our call while pjsua2 (no `--answer`) rings: 487, and pjsua2 reports the
/// cancelled call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_from_us_while_pjsua2_rings() {
    let us = us().await;
    let Some(pj) = pjua(&["--duration", "15", "--loglevel", "1"]).await else {
        return;
    };
    let inv = call_pjsua2(&us, &pj).await;
    let events = until(&inv, &pj, St::Early, Sub::Normal).await;
    assert_eq!(changes(&events).pop().unwrap().code, Some(180));
    pj_seen(&pj, "incoming call from").await;
    inv.end(vec![], Some(WAIT)).await.unwrap();
    let end = disconnected(&inv, &pj).await;
    assert_eq!(end.code, Some(487), "{end:?}");
    let line = pj_seen(&pj, "call state: DISCONNECTED").await;
    assert!(line.contains("487"), "{line}");
    us.engine.stop().await.unwrap();
}

async fn referral_event(events: &mut Observer, name: &str, pj: &Pjua) {
    loop {
        let n = timeout(WAIT, events.recv())
            .await
            .unwrap_or_else(|_| panic!("no {name}; pjsua2:\n{}", pj.output()))
            .unwrap();
        assert_ne!(n.name(), "SIPIncomingReferralNotifyDidFail", "{n:?}");
        if n.name() == name {
            return;
        }
    }
}

/// pjsua2 (`--transfer-to`) sends a REFER within our call: we accept it through an
/// IncomingReferral bound to the call (202, NOTIFY 100 Trying, NOTIFY 200 OK) and pjsua2
/// reports the acceptance and both NOTIFYs (the last as final); the call goes on and we
/// end it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refer_from_pjsua2_is_accepted_with_notifies() {
    let us = us().await;
    let Some(pj) = pjua(&[
        "--answer",
        "--transfer-to",
        "sip:carol@127.0.0.1:5999",
        "--duration",
        "15",
        "--loglevel",
        "1",
    ])
    .await
    else {
        return;
    };
    let inv = connected_to_pjsua2(&us, &pj).await;
    let got = next_request(&inv, &pj).await;
    assert_eq!(got.request.method(), &Method::Refer);
    let refer_to = got
        .request
        .headers()
        .get_str(&sip_core::header::HeaderName::ReferTo)
        .unwrap_or_default()
        .to_owned();
    assert!(refer_to.contains("sip:carol@127.0.0.1:5999"), "{refer_to}");
    let referral = IncomingReferral::in_dialog(&inv, &us.center, &got)
        .await
        .unwrap();
    let mut events = us.center.add_observer(None, Some(referral.sender().id()));
    referral.accept(202, 600).unwrap();
    referral_event(&mut events, "SIPIncomingReferralNotifyDidSucceed", &pj).await;
    // PJSUA reports the 202 as status 100 "Accepted", then the sipfrag of each NOTIFY.
    pj_line(&pj, "transfer status: 100 Accepted").await;
    pj_line(&pj, "transfer status: 100 Trying").await;
    referral.send_notify(200, None).unwrap();
    referral_event(&mut events, "SIPIncomingReferralNotifyDidSucceed", &pj).await;
    assert_eq!(referral.state(), "terminated");
    let done = pj_line(&pj, "transfer status: 200").await;
    assert!(done.contains("final"), "{done}");
    // The call is unaffected.
    assert_eq!(inv.state(), St::Connected);
    inv.end(vec![], Some(WAIT)).await.unwrap();
    let end = disconnected(&inv, &pj).await;
    assert_eq!(end.code, Some(200), "{end:?}");
    us.engine.stop().await.unwrap();
}

/// The agent (ua.rs) answers pjsua2's call and accepts its in-call REFER: pjsua2 reports
/// the final transfer status 200.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_accepts_a_refer_from_pjsua2() {
    let center = NotificationCenter::new();
    let options = ua::AgentOptions {
        answer: true,
        max_calls: Some(1),
        duration: Some(Duration::from_secs(20)),
        ..ua::AgentOptions::default()
    };
    let (engine, addr) = ua::start_engine(&options, &center).await.unwrap();
    let agent = tokio::spawn(ua::run_with(
        engine.clone(),
        center,
        addr,
        options,
        |line| println!("agent: {line}"),
    ));
    let target = format!("sip:agent@{addr}");
    let Some(pj) = pjua(&[
        "--call",
        &target,
        "--transfer-to",
        "sip:carol@127.0.0.1:5999",
        "--hangup-after",
        "4",
        "--duration",
        "15",
        "--loglevel",
        "1",
    ])
    .await
    else {
        agent.abort();
        engine.stop().await.unwrap();
        return;
    };
    pj_seen(&pj, "REFER sent").await;
    let done = pj_line(&pj, "transfer status: 200").await;
    assert!(done.contains("final"), "{done}");
    pj_seen(&pj, "call state: DISCONNECTED").await;
    let report = timeout(WAIT, agent).await.unwrap().unwrap();
    assert_eq!(report.summary.normal, 1, "pjsua2:\n{}", pj.output());
    assert_eq!(report.summary.failed, 0);
    engine.stop().await.unwrap();
}
