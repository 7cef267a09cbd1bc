//! Tests of the sans-IO INVITE session on virtual time: two sessions wired back to back
//! through a tiny simulated transaction layer.

use super::*;
use crate::header::NameAddr;
use crate::message::SipMessage;
use crate::sdp::{Direction as MediaDirection, SdpMediaStream, SdpSession};

const A: usize = 0;
const B: usize = 1;

fn uri(s: &str) -> Uri {
    Uri::parse(s).expect("uri")
}

fn sdp(address: &str, id: u64, version: u64, dir: MediaDirection) -> FrozenSdpSession {
    let mut s = SdpSession::with_ids(address, id, version);
    let mut m = SdpMediaStream::new("audio", 4000, "RTP/AVP");
    m.formats = vec!["0".into()];
    m.set_direction(dir);
    s.media.push(m);
    s.freeze()
}

fn offer_a() -> FrozenSdpSession {
    sdp("127.0.0.1", 11, 1, MediaDirection::SendRecv)
}

fn answer_b() -> FrozenSdpSession {
    sdp("127.0.0.2", 22, 1, MediaDirection::SendRecv)
}

fn params() -> InviteParams {
    InviteParams::new(
        uri("sip:bob@127.0.0.2"),
        FromHeader::new(NameAddr::new(uri("sip:alice@127.0.0.1"))),
        ToHeader::new(NameAddr::new(uri("sip:bob@127.0.0.2"))),
        Contact::new(NameAddr::new(uri("sip:alice@127.0.0.1:5060"))),
    )
}

fn contact_b() -> Contact {
    Contact::new(NameAddr::new(uri("sip:bob@127.0.0.2:5062")))
}

/// What a side sent, for assertions.
#[derive(Debug, Clone)]
enum Wire {
    Request(Request),
    Response(Response),
    Ack(Request),
    Cancel,
}

/// Two sessions and a loss-free network between them (unless told to drop).
struct Net {
    now: Instant,
    sides: [Option<InviteSession>; 2],
    configs: [SessionConfig; 2],
    events: [Vec<InviteEvent>; 2],
    wire: [Vec<(Instant, Wire)>; 2],
    /// (sender side, client tx, receiver's server tx, request).
    txs: Vec<(usize, ClientTxId, ServerTxId, Request)>,
    next_stx: u64,
    /// Outputs of these kinds from a side are dropped.
    drop_acks: [bool; 2],
    drop_all: [bool; 2],
    drop_prack: [bool; 2],
    /// Held outputs (not delivered until `release`).
    hold: [bool; 2],
    held: [Vec<Output>; 2],
}

impl Net {
    fn new(a: SessionConfig, b: SessionConfig) -> Net {
        Net {
            now: Instant::now(),
            sides: [Some(InviteSession::new(a.clone(), 1)), None],
            configs: [a, b],
            events: [Vec::new(), Vec::new()],
            wire: [Vec::new(), Vec::new()],
            txs: Vec::new(),
            next_stx: 1,
            drop_acks: [false; 2],
            drop_all: [false; 2],
            drop_prack: [false; 2],
            hold: [false; 2],
            held: [Vec::new(), Vec::new()],
        }
    }

    fn default() -> Net {
        Net::new(SessionConfig::default(), SessionConfig::default())
    }

    fn s(&mut self, side: usize) -> &mut InviteSession {
        self.sides[side].as_mut().expect("session")
    }

    fn states(&self, side: usize) -> Vec<(InvitationState, SubState)> {
        self.events[side]
            .iter()
            .filter_map(|e| match e {
                InviteEvent::ChangedState(c) => Some((c.state, c.sub_state)),
                _ => None,
            })
            .collect()
    }

    fn changes(&self, side: usize) -> Vec<ChangedState> {
        self.events[side]
            .iter()
            .filter_map(|e| match e {
                InviteEvent::ChangedState(c) => Some((**c).clone()),
                _ => None,
            })
            .collect()
    }

    fn sdp_updates(&self, side: usize) -> Vec<SdpUpdate> {
        self.events[side]
            .iter()
            .filter_map(|e| match e {
                InviteEvent::GotSdpUpdate(u) => Some(u.clone()),
                _ => None,
            })
            .collect()
    }

    fn requests(&self, side: usize, method: Method) -> Vec<Request> {
        self.wire[side]
            .iter()
            .filter_map(|(_, w)| match w {
                Wire::Request(r) if *r.method() == method => Some(r.clone()),
                _ => None,
            })
            .collect()
    }

    fn responses(&self, side: usize, code: u16) -> Vec<(Instant, Response)> {
        self.wire[side]
            .iter()
            .filter_map(|(t, w)| match w {
                Wire::Response(r) if r.status().code() == code => Some((*t, r.clone())),
                _ => None,
            })
            .collect()
    }

    fn acks(&self, side: usize) -> Vec<Request> {
        self.wire[side]
            .iter()
            .filter_map(|(_, w)| match w {
                Wire::Ack(r) => Some(r.clone()),
                _ => None,
            })
            .collect()
    }

    /// Delivers every output until both sides are quiet.
    fn pump(&mut self) {
        loop {
            let mut progressed = false;
            for side in [A, B] {
                while let Some(out) = self.sides[side].as_mut().and_then(|s| s.poll_output()) {
                    progressed = true;
                    if self.hold[side] && !matches!(out, Output::Event(_)) {
                        self.held[side].push(out);
                        continue;
                    }
                    self.deliver(side, out);
                }
            }
            if !progressed {
                break;
            }
        }
    }

    fn release(&mut self, side: usize) {
        self.hold[side] = false;
        let held = std::mem::take(&mut self.held[side]);
        for out in held {
            self.deliver(side, out);
        }
        self.pump();
    }

    fn deliver(&mut self, side: usize, out: Output) {
        let other = 1 - side;
        let now = self.now;
        match out {
            Output::Event(e) => self.events[side].push(e),
            Output::Send { tx, request, .. } => {
                self.wire[side].push((now, Wire::Request(request.clone())));
                if self.drop_all[side]
                    || (self.drop_prack[side] && *request.method() == Method::Prack)
                {
                    return;
                }
                let stx = ServerTxId(self.next_stx);
                self.next_stx += 1;
                self.txs.push((side, tx, stx, request.clone()));
                let initial = *request.method() == Method::Invite
                    && request
                        .headers()
                        .typed::<ToHeader>()
                        .map(|t| t.tag().is_none())
                        .unwrap_or(false);
                let fresh = self.sides[other]
                    .as_ref()
                    .is_none_or(|s| s.state() == InvitationState::Disconnected);
                if initial && fresh {
                    let s = InviteSession::incoming(
                        self.configs[other].clone(),
                        2,
                        now,
                        stx,
                        request,
                        "btag",
                    );
                    self.sides[other] = Some(s);
                } else if let Some(s) = self.sides[other].as_mut() {
                    s.handle_request(now, stx, request);
                }
            }
            Output::Respond { tx, response } => {
                self.wire[side].push((now, Wire::Response(response.clone())));
                if self.drop_all[side] {
                    return;
                }
                let found = self
                    .txs
                    .iter()
                    .find(|(s, _, stx, _)| *s == other && *stx == tx)
                    .map(|(_, ctx, _, _)| *ctx);
                if let (Some(ctx), Some(s)) = (found, self.sides[other].as_mut()) {
                    s.handle_response(now, ctx, response);
                }
            }
            Output::Ack { request, .. } => {
                self.wire[side].push((now, Wire::Ack(request.clone())));
                if self.drop_acks[side] || self.drop_all[side] {
                    return;
                }
                if let Some(s) = self.sides[other].as_mut() {
                    s.handle_ack(now, request);
                }
            }
            Output::Cancel { invite } => {
                self.wire[side].push((now, Wire::Cancel));
                if self.drop_all[side] {
                    return;
                }
                let found = self
                    .txs
                    .iter()
                    .find(|(s, ctx, _, _)| *s == side && *ctx == invite)
                    .map(|(_, _, stx, req)| (*stx, req.clone()));
                if let (Some((stx, req)), Some(s)) = (found, self.sides[other].as_mut()) {
                    s.handle_cancel(now, stx, cancel_for(&req));
                }
            }
        }
    }

    /// Runs the timers of both sides up to `until`.
    fn advance(&mut self, by: Duration) {
        let until = self.now + by;
        loop {
            let next = [A, B]
                .iter()
                .filter_map(|&i| self.sides[i].as_ref().and_then(|s| s.poll_timeout()))
                .min();
            match next {
                Some(t) if t <= until => {
                    self.now = self.now.max(t);
                    let now = self.now;
                    for side in [A, B] {
                        if let Some(s) = self.sides[side].as_mut() {
                            s.handle_timeout(now);
                        }
                    }
                    self.pump();
                }
                _ => break,
            }
        }
        self.now = until;
    }

    /// A calls B with an offer; B rings and answers.
    fn connect(&mut self) {
        let now = self.now;
        self.s(A)
            .send_invite(now, params().with_sdp(offer_a()))
            .unwrap();
        self.pump();
        self.s(B)
            .send_response(now, 180, None, Some(contact_b()), None, vec![])
            .unwrap();
        self.pump();
        self.s(B)
            .send_response(now, 200, None, None, Some(answer_b()), vec![])
            .unwrap();
        self.pump();
        assert_eq!(self.s(A).state(), InvitationState::Connected);
        assert_eq!(self.s(B).state(), InvitationState::Connected);
    }
}

use InvitationState as St;
use SubState as Sub;

#[test]
fn call_with_offer_answer_then_bye_from_caller() {
    let mut net = Net::default();
    net.connect();
    assert_eq!(
        net.states(A),
        [
            (St::Calling, Sub::Normal),
            (St::Early, Sub::Normal),
            (St::Connecting, Sub::Normal),
            (St::Connected, Sub::Normal)
        ]
    );
    assert_eq!(
        net.states(B),
        [
            (St::Incoming, Sub::Normal),
            (St::Early, Sub::Normal),
            (St::Connecting, Sub::Normal),
            (St::Connected, Sub::Normal)
        ]
    );
    // Seed data fields: B's incoming change carries the INVITE; A's early change the 180.
    let b = net.changes(B);
    assert_eq!(b[0].prev_state, St::Null);
    assert_eq!(b[0].method, Some(Method::Invite));
    assert_eq!(b[0].request_uri, Some(uri("sip:bob@127.0.0.2")));
    assert!(b[0].body.is_some());
    assert_eq!(b[3].method, Some(Method::Ack));
    let a = net.changes(A);
    assert_eq!(
        (a[1].code, a[1].reason.as_deref()),
        (Some(180), Some("Ringing"))
    );
    assert_eq!(a[2].code, Some(200));
    assert!(a[2].headers.is_some());

    // Offer/answer completed on both sides with the same SDPs.
    let ua = net.sdp_updates(A);
    let ub = net.sdp_updates(B);
    assert_eq!(ua.len(), 1);
    assert_eq!(ub.len(), 1);
    assert!(ua[0].succeeded && ub[0].succeeded);
    assert_eq!(ua[0].local_sdp, Some(offer_a()));
    assert_eq!(ua[0].remote_sdp, Some(answer_b()));
    assert_eq!(ub[0].local_sdp, Some(answer_b()));
    assert_eq!(net.s(A).sdp().active_remote, Some(answer_b()));
    assert_eq!(net.s(B).sdp().active_remote, Some(offer_a()));
    assert!(net.s(A).sdp().proposed_local.is_none());
    let call_id = net.s(A).call_id().map(str::to_owned);
    assert_eq!(call_id.as_deref(), net.s(B).call_id());
    assert_eq!(net.s(B).direction(), Direction::Incoming);

    let now = net.now;
    net.s(A).end(now, vec![], None).unwrap();
    net.pump();
    assert_eq!(net.requests(A, Method::Bye).len(), 1);
    assert_eq!(
        net.states(A)[4..],
        [
            (St::Disconnecting, Sub::Normal),
            (St::Disconnected, Sub::Normal)
        ]
    );
    let last = net.changes(B).pop().unwrap();
    assert_eq!(
        (last.state, last.method),
        (St::Disconnected, Some(Method::Bye))
    );
    assert_eq!(net.s(A).call_id(), None);
}

#[test]
fn bye_from_callee() {
    let mut net = Net::default();
    net.connect();
    let now = net.now;
    net.s(B).end(now, vec![], None).unwrap();
    net.pump();
    assert_eq!(net.s(A).state(), St::Disconnected);
    assert_eq!(net.s(B).state(), St::Disconnected);
    // B's BYE goes to A's Contact with the tags swapped.
    let bye = net.requests(B, Method::Bye).pop().unwrap();
    assert_eq!(bye.uri(), &uri("sip:alice@127.0.0.1:5060"));
    let to: ToHeader = bye.headers().typed().unwrap();
    assert_eq!(to.tag(), Some(net.s(A).local_tag()));
}

#[test]
fn late_offer_in_2xx_answered_in_ack() {
    let mut net = Net::default();
    let now = net.now;
    net.s(A).send_invite(now, params()).unwrap();
    net.pump();
    assert!(net.s(B).sdp().proposed_remote.is_none());
    // B offers in its 2xx; hold A's ACK to put the answer in it by hand (a UAC without local
    // SDP cannot answer: that path is covered below). A's BYE is lost as well.
    net.drop_all[A] = true;
    net.s(B)
        .send_response(now, 200, None, Some(contact_b()), Some(answer_b()), vec![])
        .unwrap();
    net.pump();
    assert_eq!(net.s(B).state(), St::Connecting);
    assert_eq!(net.s(B).sdp().proposed_local, Some(answer_b()));
    assert!(net.sdp_updates(B).is_empty());
    // The UAC without SDP reports the failed negotiation and hangs up.
    let ua = net.sdp_updates(A);
    assert_eq!(ua.len(), 1);
    assert!(!ua[0].succeeded);
    let mut ack = net.acks(A).pop().unwrap();
    ack.headers_mut()
        .set(HeaderName::ContentType, "application/sdp");
    ack.set_body(Bytes::from(offer_a().to_string()));
    net.s(B).handle_ack(now, ack);
    net.pump();
    let ub = net.sdp_updates(B);
    assert_eq!(ub.len(), 1);
    assert!(ub[0].succeeded);
    assert_eq!(ub[0].local_sdp, Some(answer_b()));
    assert_eq!(ub[0].remote_sdp, Some(offer_a()));
    assert!(net.states(B).contains(&(St::Connected, Sub::Normal)));
}

#[test]
fn ack_without_answer_to_late_offer_fails_and_hangs_up() {
    let mut net = Net::default();
    let now = net.now;
    net.s(A).send_invite(now, params()).unwrap();
    net.pump();
    net.s(B)
        .send_response(now, 200, None, Some(contact_b()), Some(answer_b()), vec![])
        .unwrap();
    net.pump();
    let ub = net.sdp_updates(B);
    assert_eq!(ub.len(), 1);
    assert!(!ub[0].succeeded);
    assert_eq!(
        net.requests(B, Method::Bye).len() + net.requests(A, Method::Bye).len(),
        2
    );
    assert_eq!(net.s(B).state(), St::Disconnected);
}

fn hold(id: u64, version: u64, address: &str) -> FrozenSdpSession {
    sdp(address, id, version, MediaDirection::SendOnly)
}

#[test]
fn reinvite_hold_and_unhold_in_both_directions() {
    let mut net = Net::default();
    net.connect();
    for (caller, callee, address, id) in [(A, B, "127.0.0.1", 11), (B, A, "127.0.0.2", 22)] {
        let now = net.now;
        let before = net.sdp_updates(caller).len();
        // Hold.
        net.s(caller)
            .send_reinvite(now, None, Some(hold(id, 2, address)), vec![])
            .unwrap();
        assert_eq!(net.s(caller).sub_state(), Sub::SentProposal);
        assert_eq!(
            net.s(caller).sdp().proposed_local,
            Some(hold(id, 2, address))
        );
        net.pump();
        assert_eq!(net.s(callee).sub_state(), Sub::ReceivedProposal);
        assert_eq!(
            net.s(callee).sdp().proposed_remote,
            Some(hold(id, 2, address))
        );
        let recv_only = sdp("127.0.0.9", 99, 2, MediaDirection::RecvOnly);
        net.s(callee)
            .send_response(now, 200, None, None, Some(recv_only.clone()), vec![])
            .unwrap();
        net.pump();
        assert_eq!(net.s(caller).sub_state(), Sub::Normal);
        assert_eq!(net.s(callee).sub_state(), Sub::Normal);
        let u = net.sdp_updates(caller);
        assert_eq!(u.len(), before + 1);
        assert_eq!(u.last().unwrap().remote_sdp, Some(recv_only.clone()));
        assert_eq!(
            net.s(callee).sdp().active_remote,
            Some(hold(id, 2, address))
        );
        // Unhold.
        let resume = sdp(address, id, 3, MediaDirection::SendRecv);
        net.s(caller)
            .send_reinvite(now, None, Some(resume.clone()), vec![])
            .unwrap();
        net.pump();
        net.s(callee)
            .send_response(now, 200, None, None, Some(answer_b()), vec![])
            .unwrap();
        net.pump();
        assert_eq!(net.s(caller).sdp().active_local, Some(resume));
        assert_eq!(net.s(caller).state(), St::Connected);
        assert!(
            net.s(callee).poll_timeout().is_none(),
            "ACK stopped the 2xx retransmission"
        );
    }
    // Sub-state trail on A: sent_proposal → normal twice, then received_proposal → normal twice.
    let subs: Vec<Sub> = net.states(A)[4..].iter().map(|s| s.1).collect();
    assert_eq!(
        subs,
        [
            Sub::SentProposal,
            Sub::Normal,
            Sub::SentProposal,
            Sub::Normal,
            Sub::ReceivedProposal,
            Sub::Normal,
            Sub::ReceivedProposal,
            Sub::Normal
        ]
    );
}

#[test]
fn reinvite_rejected_keeps_the_session_and_reports_failed_negotiation() {
    let mut net = Net::default();
    net.connect();
    let now = net.now;
    net.s(A)
        .send_reinvite(now, None, Some(hold(11, 2, "127.0.0.1")), vec![])
        .unwrap();
    net.pump();
    net.s(B)
        .send_response(now, 488, None, None, None, vec![])
        .unwrap();
    net.pump();
    assert_eq!(net.s(A).state(), St::Connected);
    assert_eq!(net.s(A).sub_state(), Sub::Normal);
    assert!(!net.sdp_updates(A).last().unwrap().succeeded);
    assert_eq!(net.s(A).sdp().active_local, Some(offer_a()));
    assert!(net.s(A).sdp().proposed_local.is_none());
}

#[test]
fn reinvite_without_sdp_gets_offer_in_2xx_and_answers_in_ack() {
    let mut net = Net::default();
    net.connect();
    let now = net.now;
    net.s(A).send_reinvite(now, None, None, vec![]).unwrap();
    net.pump();
    net.s(B)
        .send_response(now, 200, None, None, None, vec![])
        .unwrap();
    net.pump();
    // B offered its current SDP; A answered with its own in the ACK.
    let ack = net.acks(A).pop().unwrap();
    assert_eq!(ack.body().as_ref(), offer_a().to_string().as_bytes());
    assert!(net.sdp_updates(B).last().unwrap().succeeded);
    assert_eq!(net.s(B).sub_state(), Sub::Normal);
}

#[test]
fn reinvite_glare_gets_491_and_retries_after_the_section_14_interval() {
    let mut net = Net::default();
    net.connect();
    let now = net.now;
    net.hold = [true, true];
    net.s(A)
        .send_reinvite(now, None, Some(hold(11, 2, "127.0.0.1")), vec![])
        .unwrap();
    net.s(B)
        .send_reinvite(now, None, Some(hold(22, 2, "127.0.0.2")), vec![])
        .unwrap();
    net.pump();
    net.release(A);
    net.release(B);
    assert_eq!(net.responses(A, 491).len(), 1);
    assert_eq!(net.responses(B, 491).len(), 1);
    assert_eq!(net.s(A).sub_state(), Sub::Normal);
    assert_eq!(net.s(B).sub_state(), Sub::Normal);
    // A owns the Call-ID: 2.1-4 s; B: 0-2 s.
    let ta = net.s(A).poll_timeout().unwrap() - now;
    let tb = net.s(B).poll_timeout().unwrap() - now;
    assert!(
        ta >= Duration::from_millis(2100) && ta <= Duration::from_secs(4),
        "{ta:?}"
    );
    assert!(tb <= Duration::from_secs(2), "{tb:?}");
    // B retries first; A answers it; then A retries.
    net.advance(Duration::from_millis(2050));
    assert_eq!(net.requests(B, Method::Invite).len(), 2);
    assert_eq!(net.s(A).sub_state(), Sub::ReceivedProposal);
    let n = net.now;
    net.s(A)
        .send_response(n, 200, None, None, Some(offer_a()), vec![])
        .unwrap();
    net.pump();
    net.advance(Duration::from_secs(2));
    assert_eq!(net.requests(A, Method::Invite).len(), 3); // initial, glare, retry
    assert_eq!(net.s(B).sub_state(), Sub::ReceivedProposal);
    let n = net.now;
    net.s(B)
        .send_response(n, 200, None, None, Some(answer_b()), vec![])
        .unwrap();
    net.pump();
    assert_eq!(net.s(A).sub_state(), Sub::Normal);
    assert_eq!(net.s(A).sdp().active_local, Some(hold(11, 2, "127.0.0.1")));
}

#[test]
fn uas_retransmits_2xx_until_ack_and_hangs_up_after_64_t1() {
    let mut net = Net::default();
    net.drop_acks[A] = true;
    let start = net.now;
    net.s(A)
        .send_invite(start, params().with_sdp(offer_a()))
        .unwrap();
    net.pump();
    net.s(B)
        .send_response(
            start,
            200,
            None,
            Some(contact_b()),
            Some(answer_b()),
            vec![],
        )
        .unwrap();
    net.pump();
    net.advance(Duration::from_secs(40));
    let sent: Vec<Duration> = net
        .responses(B, 200)
        .iter()
        .filter(|(_, r)| cseq_of(r.headers()).unwrap().method == Method::Invite)
        .map(|(t, _)| *t - start)
        .collect();
    let ms: Vec<u128> = sent.iter().map(|d| d.as_millis()).collect();
    // 0, T1, 3T1, 7T1, 15T1, then every T2 until 64·T1 = 32 s.
    assert_eq!(
        ms,
        [
            0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
        ]
    );
    // Every 2xx got an ACK from A (which the network lost).
    assert_eq!(net.acks(A).len(), ms.len());
    // No ACK in 64·T1: BYE and disconnected with 408.
    assert_eq!(net.requests(B, Method::Bye).len(), 1);
    let last = net.changes(B).pop().unwrap();
    assert_eq!((last.state, last.code), (St::Disconnected, Some(408)));
}

#[test]
fn ack_stops_2xx_retransmission_on_time() {
    let mut net = Net::default();
    net.connect();
    net.advance(Duration::from_secs(40));
    let invite_oks = net
        .responses(B, 200)
        .iter()
        .filter(|(_, r)| cseq_of(r.headers()).unwrap().method == Method::Invite)
        .count();
    assert_eq!(invite_oks, 1);
    assert_eq!(net.s(B).state(), St::Connected);
}

fn ok_from(invite: &Request, tag: &str, contact: &str) -> Response {
    invite
        .response(StatusCode::OK)
        .to_tag(tag)
        .typed(&Contact::new(NameAddr::new(uri(contact))))
        .body("application/sdp", answer_b().to_string())
        .build()
}

#[test]
fn forked_2xx_is_acked_and_hung_up() {
    let mut s = InviteSession::new(SessionConfig::default(), 5);
    let now = Instant::now();
    s.send_invite(now, params().with_sdp(offer_a())).unwrap();
    let (tx, invite) = match s.poll_output() {
        Some(Output::Send { tx, request, .. }) => (tx, request),
        other => panic!("{other:?}"),
    };
    while s.poll_output().is_some() {}
    s.handle_response(now, tx, ok_from(&invite, "f1", "sip:b1@127.0.0.5"));
    let outs: Vec<Output> = std::iter::from_fn(|| s.poll_output()).collect();
    assert!(outs.iter().any(|o| matches!(o, Output::Ack { .. })));
    assert_eq!(s.state(), St::Connected);
    // A second fork answers: ACK it and BYE it, the session stays with the first.
    s.handle_response(now, tx, ok_from(&invite, "f2", "sip:b2@127.0.0.6"));
    let outs: Vec<Output> = std::iter::from_fn(|| s.poll_output()).collect();
    let ack = outs.iter().find_map(|o| match o {
        Output::Ack { request, .. } => Some(request.clone()),
        _ => None,
    });
    let bye = outs.iter().find_map(|o| match o {
        Output::Send { request, .. } if *request.method() == Method::Bye => Some(request.clone()),
        _ => None,
    });
    let ack = ack.expect("ACK for the fork");
    let bye = bye.expect("BYE for the fork");
    assert_eq!(ack.uri(), &uri("sip:b2@127.0.0.6"));
    assert_eq!(bye.headers().typed::<ToHeader>().unwrap().tag(), Some("f2"));
    assert!(!outs.iter().any(|o| matches!(o, Output::Event(_))));
    assert_eq!(s.dialog().unwrap().id().remote_tag, "f1");
    // A retransmitted 2xx of the first fork gets the same ACK again.
    s.handle_response(now, tx, ok_from(&invite, "f1", "sip:b1@127.0.0.5"));
    let outs: Vec<Output> = std::iter::from_fn(|| s.poll_output()).collect();
    assert_eq!(outs.len(), 1);
    assert!(
        matches!(&outs[0], Output::Ack { request, .. } if request.uri() == &uri("sip:b1@127.0.0.5"))
    );
}

#[test]
fn cancel_waits_for_a_provisional_response_then_gets_487() {
    let mut net = Net::default();
    let now = net.now;
    net.s(A)
        .send_invite(now, params().with_sdp(offer_a()))
        .unwrap();
    net.pump();
    net.s(A).end(now, vec![], None).unwrap();
    net.pump();
    assert_eq!(net.s(A).state(), St::Disconnecting);
    assert!(
        !net.wire[A].iter().any(|(_, w)| matches!(w, Wire::Cancel)),
        "no CANCEL before a provisional response (RFC 3261 §9.1)"
    );
    net.s(B)
        .send_response(now, 180, None, Some(contact_b()), None, vec![])
        .unwrap();
    net.pump();
    assert!(net.wire[A].iter().any(|(_, w)| matches!(w, Wire::Cancel)));
    assert_eq!(net.responses(B, 487).len(), 1);
    let a = net.changes(A).pop().unwrap();
    assert_eq!((a.state, a.code), (St::Disconnected, Some(487)));
    let b = net.changes(B).pop().unwrap();
    assert_eq!(
        (b.state, b.method),
        (St::Disconnected, Some(Method::Cancel))
    );
}

#[test]
fn cancel_crossing_the_2xx_acks_and_hangs_up() {
    let mut net = Net::default();
    let now = net.now;
    net.s(A)
        .send_invite(now, params().with_sdp(offer_a()))
        .unwrap();
    net.pump();
    net.s(B)
        .send_response(now, 180, None, Some(contact_b()), None, vec![])
        .unwrap();
    net.pump();
    // A's CANCEL is held in the network while B answers.
    net.hold[A] = true;
    net.s(A).end(now, vec![], None).unwrap();
    net.pump();
    net.s(B)
        .send_response(now, 200, None, None, Some(answer_b()), vec![])
        .unwrap();
    net.pump();
    net.hold[A] = false;
    net.held[A].retain(|o| !matches!(o, Output::Cancel { .. }));
    net.release(A);
    assert_eq!(net.acks(A).len(), 1);
    assert_eq!(net.requests(A, Method::Bye).len(), 1);
    assert_eq!(net.s(A).state(), St::Disconnected);
    assert_eq!(net.s(B).state(), St::Disconnected);
}

#[test]
fn end_on_unanswered_incoming_call_declines_with_603() {
    let mut net = Net::default();
    let now = net.now;
    net.s(A)
        .send_invite(now, params().with_sdp(offer_a()))
        .unwrap();
    net.pump();
    net.s(B).end(now, vec![], None).unwrap();
    net.pump();
    assert_eq!(net.responses(B, 603).len(), 1);
    assert_eq!(net.s(B).state(), St::Disconnected);
    let a = net.changes(A).pop().unwrap();
    assert_eq!((a.state, a.code), (St::Disconnected, Some(603)));
}

#[test]
fn busy_response_ends_the_call() {
    let mut net = Net::default();
    let now = net.now;
    net.s(A).send_invite(now, params()).unwrap();
    net.pump();
    net.s(B)
        .send_response(now, 486, Some("Busy Here"), Some(contact_b()), None, vec![])
        .unwrap();
    net.pump();
    let a = net.changes(A).pop().unwrap();
    assert_eq!(
        (a.state, a.code, a.reason.as_deref()),
        (St::Disconnected, Some(486), Some("Busy Here"))
    );
}

#[test]
fn send_invite_timeout_cancels_and_reports_408() {
    let mut net = Net::default();
    let now = net.now;
    net.s(A)
        .send_invite(now, params().with_timeout(Duration::from_secs(5)))
        .unwrap();
    net.pump();
    net.s(B)
        .send_response(now, 180, None, Some(contact_b()), None, vec![])
        .unwrap();
    net.pump();
    net.advance(Duration::from_secs(4));
    assert_eq!(net.s(A).state(), St::Early);
    net.advance(Duration::from_secs(2));
    assert!(net.wire[A].iter().any(|(_, w)| matches!(w, Wire::Cancel)));
    let a = net.changes(A).pop().unwrap();
    assert_eq!((a.state, a.code), (St::Disconnected, Some(408)));
    assert_eq!(net.s(B).state(), St::Disconnected);
}

#[test]
fn transaction_timeout_disconnects_with_408() {
    let mut s = InviteSession::new(SessionConfig::default(), 5);
    let now = Instant::now();
    s.send_invite(now, params()).unwrap();
    let tx = match s.poll_output() {
        Some(Output::Send { tx, .. }) => tx,
        other => panic!("{other:?}"),
    };
    s.handle_transaction_timeout(now, tx);
    assert_eq!(s.state(), St::Disconnected);
    let last = std::iter::from_fn(|| s.poll_output())
        .filter_map(|o| match o {
            Output::Event(InviteEvent::ChangedState(c)) => Some(c),
            _ => None,
        })
        .last()
        .unwrap();
    assert_eq!(last.code, Some(408));
}

#[test]
fn reliable_provisional_is_pracked_and_retransmitted_until_prack() {
    let mut net = Net::default();
    let now = net.now;
    net.s(A)
        .send_invite(now, params().with_sdp(offer_a()))
        .unwrap();
    net.pump();
    let invite = net.requests(A, Method::Invite).pop().unwrap();
    assert!(has_option(invite.headers(), false, "100rel"));
    // The first PRACK is lost: B retransmits the 180 at T1, 3·T1 …
    net.drop_prack[A] = true;
    net.s(B)
        .send_response(now, 180, None, Some(contact_b()), None, vec![])
        .unwrap();
    net.pump();
    let ringing = net.responses(B, 180);
    assert!(has_option(ringing[0].1.headers(), true, "100rel"));
    let rseq = ringing[0].1.headers().typed::<RSeq>().unwrap().0;
    let prack = net.requests(A, Method::Prack).pop().expect("PRACK");
    let rack: RAck = prack.headers().typed().unwrap();
    let invite_seq = cseq_of(invite.headers()).unwrap().seq;
    assert_eq!((rack.rseq, rack.cseq), (rseq, invite_seq));
    net.advance(Duration::from_millis(1600));
    let times: Vec<u128> = net
        .responses(B, 180)
        .iter()
        .map(|(t, _)| (*t - now).as_millis())
        .collect();
    assert_eq!(times, [0, 500, 1500]);
    // A retransmission is not PRACKed again.
    assert_eq!(net.requests(A, Method::Prack).len(), 1);
    // The PRACK gets through (the client transaction's own retransmission, here by hand).
    net.drop_prack[A] = false;
    let n = net.now;
    net.s(B).handle_request(n, ServerTxId(900), prack);
    net.pump();
    assert!(
        net.responses(B, 200)
            .iter()
            .any(|(_, r)| cseq_of(r.headers()).unwrap().method == Method::Prack)
    );
    net.advance(Duration::from_secs(10));
    assert_eq!(
        net.responses(B, 180).len(),
        3,
        "no retransmission after the PRACK"
    );
    // Then the call completes; the INVITE continues the CSeq after the PRACK.
    let n = net.now;
    net.s(B)
        .send_response(n, 200, None, None, Some(answer_b()), vec![])
        .unwrap();
    net.pump();
    assert_eq!(net.s(A).state(), St::Connected);
    assert_eq!(net.s(B).state(), St::Connected);
    let bye_seq = {
        let n = net.now;
        net.s(A).end(n, vec![], None).unwrap();
        net.pump();
        cseq_of(net.requests(A, Method::Bye)[0].headers())
            .unwrap()
            .seq
    };
    assert_eq!(bye_seq, invite_seq + 2);
    assert_eq!(net.s(B).state(), St::Disconnected);
}

#[test]
fn reliable_provisional_without_prack_fails_the_invite_after_64_t1() {
    let mut net = Net::default();
    net.drop_prack[A] = true;
    let now = net.now;
    net.s(A).send_invite(now, params()).unwrap();
    net.pump();
    net.s(B)
        .send_response(now, 183, None, Some(contact_b()), None, vec![])
        .unwrap();
    net.pump();
    net.advance(Duration::from_secs(33));
    assert_eq!(net.responses(B, 504).len(), 1);
    assert_eq!(net.s(B).state(), St::Disconnected);
    assert_eq!(net.s(A).state(), St::Disconnected);
}

#[test]
fn update_with_offer_is_answered_with_the_current_local_sdp() {
    let mut net = Net::default();
    net.connect();
    let now = net.now;
    let mut dialog = net.s(A).dialog().unwrap().clone();
    let new_offer = sdp("127.0.0.1", 11, 2, MediaDirection::SendOnly);
    let update = dialog
        .request(Method::Update)
        .body("application/sdp", new_offer.to_string())
        .build();
    net.s(B).handle_request(now, ServerTxId(777), update);
    let outs: Vec<Output> = std::iter::from_fn(|| net.s(B).poll_output()).collect();
    let resp = outs
        .iter()
        .find_map(|o| match o {
            Output::Respond { tx, response } if *tx == ServerTxId(777) => Some(response.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.body().as_ref(), answer_b().to_string().as_bytes());
    let update = outs
        .iter()
        .find_map(|o| match o {
            Output::Event(InviteEvent::GotSdpUpdate(u)) => Some(u.clone()),
            _ => None,
        })
        .unwrap();
    assert!(update.succeeded);
    assert_eq!(update.remote_sdp, Some(new_offer.clone()));
    assert_eq!(net.s(B).sdp().active_remote, Some(new_offer));
    assert_eq!(net.s(B).sub_state(), Sub::Normal);
}

#[test]
fn in_dialog_errors_get_their_protocol_answers() {
    let mut net = Net::default();
    net.connect();
    let now = net.now;
    let mut dialog = net.s(A).dialog().unwrap().clone();
    let respond = |s: &mut InviteSession, req: Request| -> u16 {
        s.handle_request(now, ServerTxId(500), req);
        std::iter::from_fn(|| s.poll_output())
            .find_map(|o| match o {
                Output::Respond { response, .. } => Some(response.status().code()),
                _ => None,
            })
            .unwrap()
    };
    // Unknown dialog.
    let mut bye = dialog.request(Method::Info).build();
    bye.headers_mut().set(HeaderName::CallId, "other");
    assert_eq!(respond(net.s(B), bye), 481);
    // Bad SDP in a re-INVITE.
    let bad = dialog
        .request(Method::Invite)
        .body("application/sdp", "v=0\r\nbogus")
        .build();
    assert_eq!(respond(net.s(B), bad), 488);
    // A lower CSeq.
    let mut old = dialog.request(Method::Options).build();
    old.headers_mut().set_typed(&CSeq::new(1, Method::Options));
    assert_eq!(respond(net.s(B), old), 500);
    // Unsupported in-dialog method.
    let publish = dialog.request(Method::Publish).build();
    assert_eq!(respond(net.s(B), publish), 405);
    // INFO is handed to the owner, who answers it.
    let info = dialog.request(Method::Info).build();
    net.s(B).handle_request(now, ServerTxId(501), info);
    let got = std::iter::from_fn(|| net.s(B).poll_output())
        .find_map(|o| match o {
            Output::Event(InviteEvent::GotRequest(g)) => Some(g),
            Output::Respond { .. } => panic!("the session answered the INFO itself"),
            _ => None,
        })
        .unwrap();
    assert_eq!(got.tx, ServerTxId(501));
    assert_eq!(got.request.method(), &Method::Info);
    assert!(net.s(B).answer_request(got.tx, 100, None, vec![]).is_err());
    net.s(B).answer_request(got.tx, 200, None, vec![]).unwrap();
    let code = std::iter::from_fn(|| net.s(B).poll_output()).find_map(|o| match o {
        Output::Respond { tx, response } if tx == got.tx => Some(response.status().code()),
        _ => None,
    });
    assert_eq!(code, Some(200));
    assert!(net.s(B).answer_request(got.tx, 200, None, vec![]).is_err());
    assert_eq!(net.s(B).state(), St::Connected);
    // A PRACK for nothing.
    let prack = dialog
        .request(Method::Prack)
        .typed(&RAck::new(1, 1, Method::Invite))
        .build();
    assert_eq!(respond(net.s(B), prack), 481);
}

#[test]
fn reinvite_while_one_is_pending_gets_500_with_retry_after() {
    let mut net = Net::default();
    net.connect();
    let now = net.now;
    net.s(A)
        .send_reinvite(now, None, Some(hold(11, 2, "127.0.0.1")), vec![])
        .unwrap();
    net.pump();
    let mut dialog = net.s(A).dialog().unwrap().clone();
    let second = dialog.request(Method::Invite).build();
    net.s(B).handle_request(now, ServerTxId(600), second);
    let resp = std::iter::from_fn(|| net.s(B).poll_output())
        .find_map(|o| match o {
            Output::Respond { response, .. } => Some(response),
            _ => None,
        })
        .unwrap();
    assert_eq!(resp.status().code(), 500);
    assert!(resp.headers().contains(&HeaderName::RetryAfter));
}

#[test]
fn incoming_invite_with_bad_sdp_gets_488() {
    let raw = "INVITE sip:bob@127.0.0.2 SIP/2.0\r\n\
        Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1\r\n\
        From: <sip:alice@127.0.0.1>;tag=a\r\n\
        To: <sip:bob@127.0.0.2>\r\n\
        Call-ID: c\r\n\
        CSeq: 1 INVITE\r\n\
        Contact: <sip:alice@127.0.0.1>\r\n\
        Content-Type: application/sdp\r\n\
        Content-Length: 5\r\n\r\nhello";
    let req = SipMessage::parse(raw.as_bytes().to_vec())
        .unwrap()
        .as_request()
        .unwrap()
        .clone();
    let mut s = InviteSession::incoming(
        SessionConfig::default(),
        1,
        Instant::now(),
        ServerTxId(1),
        req.clone(),
        "t",
    );
    let outs: Vec<Output> = std::iter::from_fn(|| s.poll_output()).collect();
    assert!(
        outs.iter().any(
            |o| matches!(o, Output::Respond { response, .. } if response.status().code() == 488)
        )
    );
    assert_eq!(s.state(), St::Disconnected);
    // Without a Contact: 400.
    let mut no_contact = req;
    no_contact.headers_mut().remove_all(&HeaderName::Contact);
    let mut s = InviteSession::incoming(
        SessionConfig::default(),
        1,
        Instant::now(),
        ServerTxId(1),
        no_contact,
        "t",
    );
    let outs: Vec<Output> = std::iter::from_fn(|| s.poll_output()).collect();
    assert!(
        outs.iter().any(
            |o| matches!(o, Output::Respond { response, .. } if response.status().code() == 400)
        )
    );
}

#[test]
fn session_timer_refreshes_at_half_interval_and_expires_without_refresh() {
    let cfg_a = SessionConfig::default().with_session_expires(Some(120));
    let mut net = Net::new(cfg_a, SessionConfig::default());
    net.connect();
    let start = net.now;
    // A supports timer and asked for 120 s: B made A the refresher.
    assert_eq!(net.s(A).session_timer(), Some((120, true)));
    assert_eq!(net.s(B).session_timer(), Some((120, false)));
    net.advance(Duration::from_secs(59));
    assert!(net.requests(A, Method::Update).is_empty());
    net.advance(Duration::from_secs(2));
    // B allows UPDATE: the refresh is an UPDATE at 60 s, with no state change.
    let updates = net.requests(A, Method::Update);
    assert_eq!(updates.len(), 1);
    assert!(updates[0].headers().contains(&HeaderName::SessionExpires));
    assert_eq!(net.states(A).len(), 4);
    // A goes silent: B hangs up at 120 − 32 s after the last refresh.
    net.drop_all[A] = true;
    net.advance(Duration::from_secs(86));
    assert_eq!(net.s(B).state(), St::Connected);
    net.advance(Duration::from_secs(2));
    assert_eq!(net.requests(B, Method::Bye).len(), 1);
    assert_eq!(net.s(B).state(), St::Disconnecting);
    assert!(net.now - start >= Duration::from_secs(148));
}

#[test]
fn session_refresh_by_reinvite_when_update_is_not_allowed() {
    let cfg_a = SessionConfig::default().with_session_expires(Some(100));
    let mut net = Net::new(cfg_a, SessionConfig::default());
    net.connect();
    net.s(A).peer_allows_update = false;
    net.advance(Duration::from_secs(51));
    let invites = net.requests(A, Method::Invite);
    assert_eq!(invites.len(), 2);
    // Same SDP, no sub-state change on either side, session timer restarted on both.
    assert_eq!(invites[1].body().as_ref(), offer_a().to_string().as_bytes());
    assert_eq!(net.states(A).len(), 4);
    assert_eq!(net.states(B).len(), 4);
    net.advance(Duration::from_secs(300));
    assert_eq!(net.s(B).state(), St::Connected);
    assert!(net.requests(A, Method::Invite).len() >= 7);
}

#[test]
fn session_interval_too_small_is_retried_with_min_se() {
    let cfg_a = SessionConfig::default()
        .with_session_expires(Some(60))
        .with_min_se(30);
    let cfg_b = SessionConfig::default().with_min_se(120);
    let mut net = Net::new(cfg_a, cfg_b);
    let now = net.now;
    // The first INVITE creates B (which answers 422 and ends); a fresh B takes the retry.
    net.s(A)
        .send_invite(now, params().with_sdp(offer_a()))
        .unwrap();
    net.pump();
    assert_eq!(net.responses(B, 422).len(), 1);
    assert_eq!(net.s(B).state(), St::Incoming);
    let invites = net.requests(A, Method::Invite);
    assert_eq!(invites.len(), 2);
    let se: SessionExpires = invites[1].headers().typed().unwrap();
    assert_eq!(se.delta, 120);
    let min: MinSe = invites[1].headers().typed().unwrap();
    assert_eq!(min.delta, 120);
    assert_eq!(
        cseq_of(invites[1].headers()).unwrap().seq,
        cseq_of(invites[0].headers()).unwrap().seq + 1
    );
    assert_eq!(net.s(A).state(), St::Calling);
}

#[test]
fn digest_challenge_is_answered_with_a_new_cseq_and_the_same_call_id() {
    let mut s = InviteSession::new(SessionConfig::default(), 9);
    let now = Instant::now();
    s.send_invite(
        now,
        params()
            .with_sdp(offer_a())
            .with_credentials(Credentials::new("alice", "secret")),
    )
    .unwrap();
    let (tx, invite) = match s.poll_output() {
        Some(Output::Send { tx, request, .. }) => (tx, request),
        other => panic!("{other:?}"),
    };
    while s.poll_output().is_some() {}
    let challenge = invite
        .response(StatusCode::PROXY_AUTHENTICATION_REQUIRED)
        .to_tag("p")
        .header(
            HeaderName::ProxyAuthenticate,
            r#"Digest realm="example.com", nonce="abc", qop="auth""#,
        )
        .build();
    s.handle_response(now, tx, challenge.clone());
    let (tx2, retry) = match s.poll_output() {
        Some(Output::Send { tx, request, .. }) => (tx, request),
        other => panic!("{other:?}"),
    };
    assert_ne!(tx, tx2);
    assert_eq!(s.state(), St::Calling);
    let auth = retry
        .headers()
        .get_str(&HeaderName::ProxyAuthorization)
        .unwrap();
    assert!(auth.contains("username=\"alice\"") && auth.contains("realm=\"example.com\""));
    assert_eq!(
        retry.headers().typed::<CallId>().unwrap(),
        invite.headers().typed::<CallId>().unwrap()
    );
    assert_eq!(
        cseq_of(retry.headers()).unwrap().seq,
        cseq_of(invite.headers()).unwrap().seq + 1
    );
    assert_eq!(retry.body(), invite.body());
    // The same challenge again (credentials rejected): the call fails with the 407.
    let mut again = challenge;
    again.headers_mut().set_typed(&CSeq::new(
        cseq_of(retry.headers()).unwrap().seq,
        Method::Invite,
    ));
    s.handle_response(now, tx2, again);
    assert_eq!(s.state(), St::Disconnected);
}

#[test]
fn end_in_connected_with_timeout_forces_disconnected() {
    let mut net = Net::default();
    net.connect();
    net.drop_all[B] = true;
    let now = net.now;
    net.s(A)
        .end(now, vec![], Some(Duration::from_secs(2)))
        .unwrap();
    net.pump();
    net.advance(Duration::from_secs(1));
    assert_eq!(net.s(A).state(), St::Disconnecting);
    net.advance(Duration::from_secs(2));
    let a = net.changes(A).pop().unwrap();
    assert_eq!((a.state, a.code), (St::Disconnected, Some(408)));
}

#[test]
fn commands_out_of_state_are_refused() {
    let mut s = InviteSession::new(SessionConfig::default(), 1);
    let now = Instant::now();
    assert!(matches!(
        s.send_reinvite(now, None, None, vec![]),
        Err(InviteError::InvalidState { .. })
    ));
    assert!(s.send_response(now, 200, None, None, None, vec![]).is_err());
    assert!(s.send_response(now, 99, None, None, None, vec![]).is_err());
    s.send_invite(now, params()).unwrap();
    assert!(s.send_invite(now, params()).is_err());
    assert!(s.cancel_reinvite(now).is_err());
}

#[test]
fn cancel_reinvite_after_provisional_gets_487_and_keeps_the_call() {
    let mut net = Net::default();
    net.connect();
    let now = net.now;
    net.s(A)
        .send_reinvite(now, None, Some(hold(11, 2, "127.0.0.1")), vec![])
        .unwrap();
    net.pump();
    net.s(A).cancel_reinvite(now).unwrap();
    net.pump();
    assert!(!net.wire[A].iter().any(|(_, w)| matches!(w, Wire::Cancel)));
    net.s(B)
        .send_response(now, 100 + 80, None, None, None, vec![])
        .unwrap();
    net.pump();
    assert!(net.wire[A].iter().any(|(_, w)| matches!(w, Wire::Cancel)));
    assert_eq!(net.responses(B, 487).len(), 1);
    assert_eq!(net.s(A).sub_state(), Sub::Normal);
    assert_eq!(net.s(B).sub_state(), Sub::Normal);
    assert_eq!(net.s(A).state(), St::Connected);
    assert_eq!(net.s(A).sdp().active_local, Some(offer_a()));
}

#[test]
fn prack_crossing_the_2xx_is_still_answered_200() {
    let mut net = Net::default();
    let now = net.now;
    net.s(A)
        .send_invite(now, params().with_sdp(offer_a()))
        .unwrap();
    net.pump();
    // A's PRACK is held while B answers the INVITE.
    net.hold[A] = true;
    net.s(B)
        .send_response(now, 180, None, Some(contact_b()), None, vec![])
        .unwrap();
    net.pump();
    net.s(B)
        .send_response(now, 200, None, None, Some(answer_b()), vec![])
        .unwrap();
    net.pump();
    net.release(A);
    let prack_answers: Vec<u16> = net.wire[B]
        .iter()
        .filter_map(|(_, w)| match w {
            Wire::Response(r) if cseq_of(r.headers()).unwrap().method == Method::Prack => {
                Some(r.status().code())
            }
            _ => None,
        })
        .collect();
    assert_eq!(prack_answers, [200]);
    assert_eq!(net.s(A).state(), St::Connected);
    assert_eq!(net.s(B).state(), St::Connected);
}

#[test]
fn early_answer_in_a_provisional_response_is_not_taken_as_an_offer_in_the_2xx() {
    let mut net = Net::default();
    let now = net.now;
    net.s(A)
        .send_invite(now, params().with_sdp(offer_a()))
        .unwrap();
    net.pump();
    // Early media: the answer in a 183, repeated in the 200.
    net.s(B)
        .send_response(now, 183, None, Some(contact_b()), Some(answer_b()), vec![])
        .unwrap();
    net.pump();
    assert_eq!(net.sdp_updates(A).len(), 1);
    assert_eq!(net.s(A).sdp().active_remote, Some(answer_b()));
    net.s(B)
        .send_response(now, 200, None, None, Some(answer_b()), vec![])
        .unwrap();
    net.pump();
    assert_eq!(net.s(A).state(), St::Connected);
    assert_eq!(net.s(B).state(), St::Connected);
    // No second negotiation, and the ACK carries no SDP.
    assert_eq!(net.sdp_updates(A).len(), 1);
    assert!(net.acks(A)[0].body().is_empty());
    // A different SDP in the 2xx (after a preview) replaces the early one.
    let mut net = Net::new(
        SessionConfig::default().with_100rel(false),
        SessionConfig::default(),
    );
    let now = net.now;
    net.s(A)
        .send_invite(now, params().with_sdp(offer_a()))
        .unwrap();
    net.pump();
    net.s(B)
        .send_response(now, 183, None, Some(contact_b()), Some(answer_b()), vec![])
        .unwrap();
    net.pump();
    let final_answer = sdp("127.0.0.2", 22, 2, MediaDirection::SendRecv);
    net.s(B)
        .send_response(now, 200, None, None, Some(final_answer.clone()), vec![])
        .unwrap();
    net.pump();
    let updates = net.sdp_updates(A);
    assert_eq!(updates.len(), 2);
    assert_eq!(updates[1].remote_sdp, Some(final_answer));
    assert!(net.acks(A)[0].body().is_empty());
}

#[test]
fn update_in_an_early_dialog_is_answered_by_the_caller() {
    let mut net = Net::default();
    let now = net.now;
    net.s(A)
        .send_invite(now, params().with_sdp(offer_a()))
        .unwrap();
    net.pump();
    net.s(B)
        .send_response(now, 183, None, Some(contact_b()), Some(answer_b()), vec![])
        .unwrap();
    net.pump();
    assert_eq!(net.s(A).state(), St::Early);
    // B changes the early media with an UPDATE in the early dialog.
    let mut dialog = net.s(B).dialog().unwrap().clone();
    let new_offer = sdp("127.0.0.2", 22, 2, MediaDirection::SendOnly);
    let update = dialog
        .request(Method::Update)
        .body("application/sdp", new_offer.to_string())
        .build();
    net.s(A).handle_request(now, ServerTxId(321), update);
    let outs: Vec<Output> = std::iter::from_fn(|| net.s(A).poll_output()).collect();
    let resp = outs
        .iter()
        .find_map(|o| match o {
            Output::Respond { tx, response } if *tx == ServerTxId(321) => Some(response.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.body().as_ref(), offer_a().to_string().as_bytes());
    assert_eq!(net.s(A).sdp().active_remote, Some(new_offer));
    // A request for an unknown early dialog still gets 481.
    let mut other = dialog.request(Method::Update).build();
    other.headers_mut().set(HeaderName::CallId, "nope");
    net.s(A).handle_request(now, ServerTxId(322), other);
    let code = std::iter::from_fn(|| net.s(A).poll_output())
        .find_map(|o| match o {
            Output::Respond { response, .. } => Some(response.status().code()),
            _ => None,
        })
        .unwrap();
    assert_eq!(code, 481);
}

#[test]
fn dialog_request_is_stamped_with_the_dialog_and_its_next_cseq() {
    let mut net = Net::default();
    // Not before the dialog is confirmed.
    let template = Request::builder(Method::Notify, uri("sip:ignored@192.0.2.9"))
        .header(HeaderName::Event, "refer")
        .header(HeaderName::SubscriptionState, "active;expires=600")
        .header(HeaderName::CSeq, "77 NOTIFY")
        .body("message/sipfrag;version=2.0", "SIP/2.0 100 Trying\r\n")
        .build();
    let mut fresh = InviteSession::new(SessionConfig::default(), 1);
    assert!(fresh.dialog_request(&template).is_err());
    net.connect();
    let call_id = net.s(B).call_id().unwrap().to_owned();
    let tag = net.s(B).local_tag().to_owned();
    let (first, destination) = net.s(B).dialog_request(&template).unwrap();
    let (second, _) = net.s(B).dialog_request(&template).unwrap();
    assert!(matches!(destination, Destination::Uri(_)));
    let h = first.headers();
    assert_eq!(
        h.get(&HeaderName::CallId).map(|h| h.value()),
        Some(call_id.as_str())
    );
    assert_eq!(h.typed::<FromHeader>().unwrap().tag(), Some(tag.as_str()));
    let c1 = h.typed::<CSeq>().unwrap();
    let c2 = second.headers().typed::<CSeq>().unwrap();
    assert_eq!(c1.method, Method::Notify);
    assert_eq!(c2.seq, c1.seq + 1);
    assert_eq!(h.get(&HeaderName::Event).map(|h| h.value()), Some("refer"));
    assert_eq!(
        h.get(&HeaderName::ContentType).map(|h| h.value()),
        Some("message/sipfrag;version=2.0")
    );
    assert_eq!(&first.body()[..], b"SIP/2.0 100 Trying\r\n");
    assert!(h.contains(&HeaderName::Contact));
    // Requests the session sends itself are refused.
    let bye = Request::builder(Method::Bye, uri("sip:x@192.0.2.9")).build();
    assert!(net.s(B).dialog_request(&bye).is_err());
}

#[test]
fn requests_left_unanswered_get_500_then_487_at_disconnect() {
    let mut net = Net::default();
    net.connect();
    let now = net.now;
    let mut dialog = net.s(A).dialog().unwrap().clone();
    let s = net.s(B);
    while s.poll_output().is_some() {}
    s.handle_request(now, ServerTxId(600), dialog.request(Method::Info).build());
    let due = s.poll_timeout().unwrap();
    assert!(due <= now + Duration::from_secs(16));
    s.handle_request(
        due,
        ServerTxId(601),
        dialog.request(Method::Message).build(),
    );
    s.handle_timeout(due);
    let answered: Vec<(ServerTxId, u16)> = std::iter::from_fn(|| s.poll_output())
        .filter_map(|o| match o {
            Output::Respond { tx, response } => Some((tx, response.status().code())),
            _ => None,
        })
        .collect();
    assert_eq!(answered, [(ServerTxId(600), 500)]);
    // The MESSAGE is still pending: the BYE answers it 487.
    s.handle_request(due, ServerTxId(602), dialog.request(Method::Bye).build());
    let answered: Vec<(ServerTxId, u16)> = std::iter::from_fn(|| s.poll_output())
        .filter_map(|o| match o {
            Output::Respond { tx, response } => Some((tx, response.status().code())),
            _ => None,
        })
        .collect();
    assert!(answered.contains(&(ServerTxId(601), 487)), "{answered:?}");
    assert!(answered.contains(&(ServerTxId(602), 200)), "{answered:?}");
    assert_eq!(s.state(), St::Disconnected);
}
