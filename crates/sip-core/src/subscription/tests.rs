//! The subscriber and notifier machines talking to each other on virtual time.

use std::time::{Duration, Instant};

use super::*;
use crate::header::{
    CSeq, Contact, Expires, FromHeader, HeaderName, MinExpires, NameAddr, ReferSub, ReferTo,
    SubscriptionState, ToHeader,
};
use crate::message::{Method, Request, Response};
use crate::referral::sipfrag_content;
use crate::uri::Uri;

fn uri(s: &str) -> Uri {
    Uri::parse(s).unwrap()
}

fn config() -> SubscriberConfig {
    SubscriberConfig::new(
        uri("sip:bob@192.0.2.2"),
        FromHeader::new(NameAddr::new(uri("sip:alice@example.com"))),
        ToHeader::new(NameAddr::new(uri("sip:bob@example.com"))),
        Contact::new(NameAddr::new(uri("sip:alice@192.0.2.1"))),
        "presence",
    )
    .with_refresh(600)
}

fn bob_contact() -> Contact {
    Contact::new(NameAddr::new(uri("sip:bob@192.0.2.2")))
}

#[derive(Default, Debug)]
struct SubOut {
    requests: Vec<Request>,
    events: Vec<SubscriberEvent>,
}

fn drain_sub(s: &mut Subscriber) -> SubOut {
    let mut out = SubOut::default();
    while let Some(o) = s.poll_output() {
        match o {
            SubscriberOutput::Request(r) => out.requests.push(*r),
            SubscriberOutput::Event(e) => out.events.push(e),
        }
    }
    out
}

#[derive(Default, Debug)]
struct NotOut {
    responses: Vec<Response>,
    notifies: Vec<Request>,
    events: Vec<NotifierEvent>,
}

fn drain_not(n: &mut Notifier) -> NotOut {
    let mut out = NotOut::default();
    while let Some(o) = n.poll_output() {
        match o {
            NotifierOutput::Respond(r) => out.responses.push(*r),
            NotifierOutput::Notify(r) => out.notifies.push(*r),
            NotifierOutput::Event(e) => out.events.push(e),
        }
    }
    out
}

fn sub_state(r: &Request) -> SubscriptionState {
    r.headers().typed().unwrap()
}

fn expires_of(r: &Request) -> u32 {
    r.headers().typed::<Expires>().unwrap().0
}

fn pidf(s: &str) -> Content {
    Content::new("application/pidf+xml", s.as_bytes().to_vec())
}

/// A subscriber whose SUBSCRIBE reached a new notifier (answer not sent yet).
fn start(now: Instant, sub_config: SubscriberConfig) -> (Subscriber, Notifier, Request) {
    let mut sub = Subscriber::new(sub_config, 1);
    sub.subscribe(now, Vec::new(), None).unwrap();
    let out = drain_sub(&mut sub);
    assert_eq!(
        out.events,
        [
            SubscriberEvent::WillStart,
            SubscriberEvent::ChangedState {
                prev_state: SubscriberState::Null,
                state: SubscriberState::Sent
            }
        ]
    );
    let subscribe = out.requests.into_iter().next().unwrap();
    let notifier = Notifier::new(
        now,
        &subscribe,
        "bobtag",
        &bob_contact(),
        NotifierConfig::default(),
    )
    .unwrap();
    (sub, notifier, subscribe)
}

#[test]
fn subscribe_accept_notify_refresh_and_unsubscribe() {
    let t0 = Instant::now();
    let (mut sub, mut not, subscribe) = start(t0, config());
    assert_eq!(subscribe.method(), &Method::Subscribe);
    assert_eq!(expires_of(&subscribe), 600);
    assert_eq!(not.state().as_str(), "incoming");

    not.accept(t0, 200, Some(pidf("<open/>"))).unwrap();
    let out = drain_not(&mut not);
    assert_eq!(out.responses[0].status().code(), 200);
    assert_eq!(
        out.responses[0].headers().typed::<Expires>().unwrap(),
        Expires(600)
    );
    assert_eq!(not.state(), NotifierState::Active);
    let notify = &out.notifies[0];
    assert_eq!(sub_state(notify), SubscriptionState::active(600));
    assert_eq!(&notify.body()[..], b"<open/>");

    sub.handle_response(t0, &out.responses[0]);
    let ev = drain_sub(&mut sub).events;
    assert!(ev.contains(&SubscriberEvent::DidStart));
    assert_eq!(sub.state(), &SubscriberState::Accepted);
    let answer = sub.handle_request(t0, notify);
    assert_eq!(answer.status().code(), 200);
    let ev = drain_sub(&mut sub).events;
    assert!(matches!(&ev[0], SubscriberEvent::GotNotify(n) if n.body() == notify.body()));
    assert_eq!(sub.state(), &SubscriberState::Active);
    not.handle_notify_response(t0, &answer);

    // Refresh 30 s before expiry, with a NOTIFY of the latest content.
    assert_eq!(sub.poll_timeout(), Some(t0 + Duration::from_secs(570)));
    not.push_content(t0, pidf("<closed/>")).unwrap();
    let n2 = drain_not(&mut not).notifies.remove(0);
    not.handle_notify_response(t0, &sub.handle_request(t0, &n2));
    let t1 = t0 + Duration::from_secs(570);
    sub.handle_timeout(t1);
    let refresh = drain_sub(&mut sub).requests.remove(0);
    assert_eq!(refresh.headers().typed::<CSeq>().unwrap().seq, 2);
    assert_eq!(expires_of(&refresh), 600);
    let ok = not.handle_request(t1, &refresh);
    assert_eq!(ok.status().code(), 200);
    let out = drain_not(&mut not);
    assert!(matches!(
        &out.events[0],
        NotifierEvent::GotRefreshingSubscribe(_)
    ));
    assert_eq!(&out.notifies[0].body()[..], b"<closed/>");
    sub.handle_response(t1, &ok);
    assert_eq!(sub.poll_timeout(), Some(t1 + Duration::from_secs(570)));
    not.handle_notify_response(t1, &sub.handle_request(t1, &out.notifies[0]));

    // Unsubscribe.
    sub.end(t1).unwrap();
    let unsub = drain_sub(&mut sub).requests.remove(0);
    assert_eq!(expires_of(&unsub), 0);
    let ok = not.handle_request(t1, &unsub);
    let out = drain_not(&mut not);
    assert!(matches!(&out.events[0], NotifierEvent::GotUnsubscribe(_)));
    assert!(out.events.contains(&NotifierEvent::DidEnd));
    assert_eq!(
        sub_state(&out.notifies[0]),
        SubscriptionState::terminated(Some("timeout"))
    );
    sub.handle_response(t1, &ok);
    let ev = drain_sub(&mut sub).events;
    assert_eq!(ev.last(), Some(&SubscriberEvent::DidEnd));
    assert_eq!(sub.state(), &SubscriberState::Terminated);
    assert_eq!(
        sub.handle_request(t1, &out.notifies[0]).status().code(),
        200
    );
    assert!(sub.subscribe(t1, Vec::new(), None).is_err());
    assert_eq!(sub.poll_timeout(), None);
}

#[test]
fn notify_before_the_2xx_forms_the_dialog() {
    let t0 = Instant::now();
    let (mut sub, mut not, _) = start(t0, config());
    not.accept(t0, 200, Some(pidf("x"))).unwrap();
    let out = drain_not(&mut not);
    assert_eq!(
        sub.handle_request(t0, &out.notifies[0]).status().code(),
        200
    );
    assert_eq!(sub.state(), &SubscriberState::Active);
    assert_eq!(sub.dialog().unwrap().id().remote_tag, "bobtag");
    sub.handle_response(t0, &out.responses[0]);
    let ev = drain_sub(&mut sub).events;
    assert!(ev.contains(&SubscriberEvent::DidStart));
    // Still active: the late 2xx does not move it back to ACCEPTED.
    assert_eq!(sub.state(), &SubscriberState::Active);
}

#[test]
fn accept_pending_then_accept() {
    let t0 = Instant::now();
    let (mut sub, mut not, _) = start(t0, config());
    not.accept_pending(t0).unwrap();
    let out = drain_not(&mut not);
    assert_eq!(out.responses[0].status().code(), 202);
    assert_eq!(sub_state(&out.notifies[0]).state.as_str(), "pending");
    sub.handle_response(t0, &out.responses[0]);
    not.handle_notify_response(t0, &sub.handle_request(t0, &out.notifies[0]));
    assert_eq!(sub.state(), &SubscriberState::Pending);
    assert!(not.push_content(t0, pidf("x")).is_err());
    not.accept(t0, 200, Some(pidf("<ok/>"))).unwrap();
    let out = drain_not(&mut not);
    assert!(out.responses.is_empty());
    assert_eq!(&out.notifies[0].body()[..], b"<ok/>");
    sub.handle_request(t0, &out.notifies[0]);
    assert_eq!(sub.state(), &SubscriberState::Active);
}

#[test]
fn rejected_subscribe_fails_with_the_code() {
    let t0 = Instant::now();
    let (mut sub, mut not, _) = start(t0, config());
    assert_eq!(not.reject(200), Err(SubscriptionError::InvalidCode(200)));
    not.reject(403).unwrap();
    let out = drain_not(&mut not);
    assert_eq!(out.responses[0].status().code(), 403);
    assert!(out.notifies.is_empty());
    assert_eq!(out.events.last(), Some(&NotifierEvent::DidEnd));
    sub.handle_response(t0, &out.responses[0]);
    let ev = drain_sub(&mut sub).events;
    assert_eq!(
        ev.last(),
        Some(&SubscriberEvent::DidFail {
            code: 403,
            reason: "Forbidden".into(),
            min_expires: None
        })
    );
    assert_eq!(sub.state(), &SubscriberState::Terminated);
}

#[test]
fn interval_too_brief_is_retried_with_min_expires() {
    let t0 = Instant::now();
    let mut sub = Subscriber::new(config().with_refresh(30), 1);
    sub.subscribe(t0, Vec::new(), None).unwrap();
    let first = drain_sub(&mut sub).requests.remove(0);
    let err =
        Notifier::new(t0, &first, "b", &bob_contact(), NotifierConfig::default()).unwrap_err();
    assert_eq!(err.status().code(), 423);
    assert_eq!(err.headers().typed::<MinExpires>().unwrap(), MinExpires(60));
    sub.handle_response(t0, &err);
    let second = drain_sub(&mut sub).requests.remove(0);
    assert_eq!(expires_of(&second), 60);
    assert_eq!(second.headers().typed::<CSeq>().unwrap().seq, 2);
    assert!(Notifier::new(t0, &second, "b", &bob_contact(), NotifierConfig::default()).is_ok());
}

#[test]
fn no_notify_after_the_2xx_ends_the_subscription() {
    let t0 = Instant::now();
    let (mut sub, mut not, _) = start(t0, config());
    not.accept(t0, 200, None).unwrap();
    let out = drain_not(&mut not);
    sub.handle_response(t0, &out.responses[0]);
    drain_sub(&mut sub);
    let deadline = t0 + Duration::from_secs(32);
    assert_eq!(sub.poll_timeout(), Some(deadline));
    sub.handle_timeout(deadline);
    let ev = drain_sub(&mut sub).events;
    assert!(matches!(
        ev.last(),
        Some(SubscriberEvent::DidFail { code: 408, .. })
    ));
}

#[test]
fn terminated_reasons_decide_whether_to_subscribe_again() {
    let t0 = Instant::now();
    // deactivated: at once, in a new dialog.
    let (mut sub, mut not, _) = start(t0, config());
    not.accept(t0, 200, None).unwrap();
    let out = drain_not(&mut not);
    sub.handle_response(t0, &out.responses[0]);
    sub.handle_request(t0, &out.notifies[0]);
    let old = sub.local_id().0.to_owned();
    not.handle_notify_response(
        t0,
        &out.notifies[0]
            .response(crate::message::StatusCode::OK)
            .build(),
    );
    not.end(t0, Some("deactivated"));
    let n = drain_not(&mut not).notifies.remove(0);
    assert_eq!(sub.handle_request(t0, &n).status().code(), 200);
    let out = drain_sub(&mut sub);
    assert_eq!(out.requests.len(), 1);
    assert_ne!(sub.local_id().0, old);
    assert_eq!(sub.state(), &SubscriberState::Sent);
    assert!(
        !out.events
            .iter()
            .any(|e| matches!(e, SubscriberEvent::DidFail { .. }))
    );

    // probation with retry-after: later.
    let (mut sub, mut not, _) = start(t0, config());
    not.accept(t0, 200, None).unwrap();
    let out = drain_not(&mut not);
    sub.handle_response(t0, &out.responses[0]);
    let mut n = out.notifies[0].clone();
    n.headers_mut().set(
        HeaderName::SubscriptionState,
        "terminated;reason=probation;retry-after=20",
    );
    sub.handle_request(t0, &n);
    assert!(drain_sub(&mut sub).requests.is_empty());
    assert_eq!(sub.poll_timeout(), Some(t0 + Duration::from_secs(20)));
    sub.handle_timeout(t0 + Duration::from_secs(20));
    assert_eq!(drain_sub(&mut sub).requests.len(), 1);

    // rejected: the end.
    let (mut sub, mut not, _) = start(t0, config());
    not.accept(t0, 200, None).unwrap();
    let out = drain_not(&mut not);
    sub.handle_response(t0, &out.responses[0]);
    let mut n = out.notifies[0].clone();
    n.headers_mut()
        .set(HeaderName::SubscriptionState, "terminated;reason=rejected");
    sub.handle_request(t0, &n);
    let out = drain_sub(&mut sub);
    assert!(out.requests.is_empty());
    assert!(matches!(
        out.events.last(),
        Some(SubscriberEvent::DidFail { code: 0, .. })
    ));
    assert_eq!(sub.state(), &SubscriberState::Terminated);
}

#[test]
fn extension_state_is_kept_as_written() {
    let t0 = Instant::now();
    let (mut sub, mut not, _) = start(t0, config());
    not.accept(t0, 200, None).unwrap();
    let out = drain_not(&mut not);
    sub.handle_response(t0, &out.responses[0]);
    let mut n = out.notifies[0].clone();
    n.headers_mut()
        .set(HeaderName::SubscriptionState, "waiting;expires=60");
    assert_eq!(sub.handle_request(t0, &n).status().code(), 200);
    assert_eq!(sub.state().as_str(), "waiting");
}

#[test]
fn bad_notifies_get_the_protocol_answer() {
    let t0 = Instant::now();
    let (mut sub, mut not, _) = start(t0, config());
    not.accept(t0, 200, None).unwrap();
    let out = drain_not(&mut not);
    sub.handle_response(t0, &out.responses[0]);
    let n = &out.notifies[0];
    let with = |name: HeaderName, value: &str| {
        let mut r = n.clone();
        r.headers_mut().set(name, value.to_owned());
        r
    };
    // A fork (other To tag of the SUBSCRIBE = From tag of the NOTIFY).
    let from = n
        .headers()
        .get_str(&HeaderName::From)
        .unwrap()
        .replace("bobtag", "fork2");
    assert_eq!(
        sub.handle_request(t0, &with(HeaderName::From, &from))
            .status()
            .code(),
        481
    );
    assert_eq!(
        sub.handle_request(t0, &with(HeaderName::CallId, "other"))
            .status()
            .code(),
        481
    );
    assert_eq!(
        sub.handle_request(t0, &with(HeaderName::Event, "dialog"))
            .status()
            .code(),
        489
    );
    let mut no_state = n.clone();
    no_state
        .headers_mut()
        .remove_all(&HeaderName::SubscriptionState);
    assert_eq!(sub.handle_request(t0, &no_state).status().code(), 400);
    assert_eq!(sub.handle_request(t0, n).status().code(), 200);
    assert_eq!(
        sub.handle_request(t0, &with(HeaderName::CSeq, "0 NOTIFY"))
            .status()
            .code(),
        500
    );
    let mut msg = n.clone();
    msg.headers_mut().set(HeaderName::CSeq, "9 MESSAGE");
    let msg = Request::builder(Method::Message, msg.uri().clone()).build();
    assert_eq!(sub.handle_request(t0, &msg).status().code(), 405);
    // Nothing of this moved the state.
    assert_eq!(sub.state(), &SubscriberState::Active);
}

#[test]
fn notifier_expiry_and_notify_failure_terminate() {
    let t0 = Instant::now();
    let (mut sub, mut not, _) = start(t0, config());
    not.accept(t0, 200, None).unwrap();
    let out = drain_not(&mut not);
    sub.handle_response(t0, &out.responses[0]);
    not.handle_notify_response(t0, &sub.handle_request(t0, &out.notifies[0]));
    assert_eq!(not.poll_timeout(), Some(t0 + Duration::from_secs(600)));
    not.handle_timeout(t0 + Duration::from_secs(600));
    let out = drain_not(&mut not);
    assert_eq!(
        sub_state(&out.notifies[0]),
        SubscriptionState::terminated(Some("timeout"))
    );
    assert_eq!(not.state(), NotifierState::Terminated);

    let (_, mut not, _) = start(t0, config());
    not.accept(t0, 200, None).unwrap();
    let out = drain_not(&mut not);
    let gone = out.notifies[0]
        .response(crate::message::StatusCode::CALL_OR_TRANSACTION_DOES_NOT_EXIST)
        .build();
    not.handle_notify_response(t0, &gone);
    assert_eq!(not.state(), NotifierState::Terminated);
    assert_eq!(
        drain_not(&mut not).events.last(),
        Some(&NotifierEvent::DidEnd)
    );

    let (_, mut not, _) = start(t0, config());
    not.accept(t0, 200, None).unwrap();
    drain_not(&mut not);
    not.handle_notify_failure(t0, 408);
    assert_eq!(not.state(), NotifierState::Terminated);
}

#[test]
fn content_pushed_during_a_notify_follows_it() {
    let t0 = Instant::now();
    let (mut sub, mut not, _) = start(t0, config());
    not.accept(t0, 200, Some(pidf("1"))).unwrap();
    let first = drain_not(&mut not).notifies.remove(0);
    not.push_content(t0, pidf("2")).unwrap();
    not.push_content(t0, pidf("3")).unwrap();
    assert!(drain_not(&mut not).notifies.is_empty());
    not.handle_notify_response(t0, &sub.handle_request(t0, &first));
    let next = drain_not(&mut not).notifies;
    assert_eq!(next.len(), 1);
    assert_eq!(&next[0].body()[..], b"3");
    assert!(
        next[0].headers().typed::<CSeq>().unwrap().seq
            > first.headers().typed::<CSeq>().unwrap().seq
    );
}

#[test]
fn refresh_rejected_fails_and_unanswered_subscription_expires() {
    let t0 = Instant::now();
    let (mut sub, mut not, _) = start(t0, config().with_refresh(120));
    not.accept(t0, 200, None).unwrap();
    let out = drain_not(&mut not);
    sub.handle_response(t0, &out.responses[0]);
    sub.handle_request(t0, &out.notifies[0]);
    drain_sub(&mut sub);
    let t1 = t0 + Duration::from_secs(90);
    sub.handle_timeout(t1);
    let refresh = drain_sub(&mut sub).requests.remove(0);
    // The refresh times out: terminated with 408.
    sub.handle_request_failure(t1, 408, "Request Timeout");
    let ev = drain_sub(&mut sub).events;
    assert!(matches!(
        ev.last(),
        Some(SubscriberEvent::DidFail { code: 408, .. })
    ));
    let _ = refresh;
}

#[test]
fn referral_with_sipfrag_progress_to_the_final_notify() {
    let t0 = Instant::now();
    let refer_to = ReferTo::new(NameAddr::new(uri("sip:carol@example.com")));
    let mut sub = Subscriber::new(config().refer(refer_to, true), 3);
    sub.subscribe(t0, Vec::new(), None).unwrap();
    let refer = drain_sub(&mut sub).requests.remove(0);
    assert_eq!(refer.method(), &Method::Refer);
    assert_eq!(
        refer.headers().get_str(&HeaderName::ReferTo),
        Some("<sip:carol@example.com>")
    );
    assert!(!refer.headers().contains(&HeaderName::ReferSub));
    let mut not =
        Notifier::new(t0, &refer, "b", &bob_contact(), NotifierConfig::default()).unwrap();
    not.set_duration(180).unwrap();
    not.accept(t0, 202, Some(sipfrag_content(100, None)))
        .unwrap();
    let out = drain_not(&mut not);
    assert_eq!(out.responses[0].status().code(), 202);
    let n = &out.notifies[0];
    assert_eq!(n.headers().get_str(&HeaderName::Event), Some("refer"));
    assert_eq!(sub_state(n), SubscriptionState::active(180));
    assert_eq!(&n.body()[..], b"SIP/2.0 100 Trying\r\n");
    sub.handle_response(t0, &out.responses[0]);
    not.handle_notify_response(t0, &sub.handle_request(t0, n));
    assert_eq!(sub.state(), &SubscriberState::Active);
    assert_eq!(sub.granted_expires(), Some(180));

    not.push_content(t0, sipfrag_content(180, None)).unwrap();
    let n = drain_not(&mut not).notifies.remove(0);
    not.handle_notify_response(t0, &sub.handle_request(t0, &n));
    not.push_final_content(t0, sipfrag_content(200, Some("Fine")), "noresource")
        .unwrap();
    let out = drain_not(&mut not);
    let n = &out.notifies[0];
    assert_eq!(&n.body()[..], b"SIP/2.0 200 Fine\r\n");
    assert_eq!(
        sub_state(n),
        SubscriptionState::terminated(Some("noresource"))
    );
    assert_eq!(sub.handle_request(t0, n).status().code(), 200);
    let ev = drain_sub(&mut sub).events;
    assert_eq!(ev.last(), Some(&SubscriberEvent::DidEnd));
    assert_eq!(sub.state(), &SubscriberState::Terminated);

    // A referral's refresh is a SUBSCRIBE with Event: refer.
    let refer_to = ReferTo::new(NameAddr::new(uri("sip:carol@example.com")));
    let mut sub = Subscriber::new(config().refer(refer_to, true), 4);
    sub.subscribe(t0, Vec::new(), None).unwrap();
    let refer = drain_sub(&mut sub).requests.remove(0);
    let mut not =
        Notifier::new(t0, &refer, "b", &bob_contact(), NotifierConfig::default()).unwrap();
    not.accept(t0, 202, Some(sipfrag_content(100, None)))
        .unwrap();
    let out = drain_not(&mut not);
    sub.handle_response(t0, &out.responses[0]);
    not.handle_notify_response(t0, &sub.handle_request(t0, &out.notifies[0]));
    drain_sub(&mut sub);
    sub.refresh(t0).unwrap();
    let refresh = drain_sub(&mut sub).requests.remove(0);
    assert_eq!(refresh.method(), &Method::Subscribe);
    assert_eq!(refresh.headers().get_str(&HeaderName::Event), Some("refer"));
    assert_eq!(not.handle_request(t0, &refresh).status().code(), 200);
    assert_eq!(
        &drain_not(&mut not).notifies[0].body()[..],
        b"SIP/2.0 100 Trying\r\n"
    );
}

#[test]
fn referral_without_subscription_ends_with_the_2xx() {
    let t0 = Instant::now();
    let refer_to = ReferTo::new(NameAddr::new(uri("sip:carol@example.com")));
    let mut sub = Subscriber::new(config().refer(refer_to, false), 5);
    sub.subscribe(t0, Vec::new(), None).unwrap();
    let refer = drain_sub(&mut sub).requests.remove(0);
    assert_eq!(
        refer.headers().typed::<ReferSub>().unwrap(),
        ReferSub::new(false)
    );
    let mut not =
        Notifier::new(t0, &refer, "b", &bob_contact(), NotifierConfig::default()).unwrap();
    assert!(not.is_without_subscription());
    not.accept(t0, 202, Some(sipfrag_content(100, None)))
        .unwrap();
    let out = drain_not(&mut not);
    assert!(out.notifies.is_empty());
    assert_eq!(
        out.responses[0].headers().typed::<ReferSub>().unwrap(),
        ReferSub::new(false)
    );
    assert_eq!(not.state(), NotifierState::Terminated);
    sub.handle_response(t0, &out.responses[0]);
    let ev = drain_sub(&mut sub).events;
    assert!(ev.contains(&SubscriberEvent::DidStart));
    assert_eq!(ev.last(), Some(&SubscriberEvent::DidEnd));
    assert_eq!(sub.poll_timeout(), None);
}

#[test]
fn bad_initial_requests_get_the_protocol_answer() {
    let t0 = Instant::now();
    let mut sub = Subscriber::new(config(), 1);
    sub.subscribe(t0, Vec::new(), None).unwrap();
    let subscribe = drain_sub(&mut sub).requests.remove(0);
    let mut no_event = subscribe.clone();
    no_event.headers_mut().remove_all(&HeaderName::Event);
    let r = Notifier::new(
        t0,
        &no_event,
        "b",
        &bob_contact(),
        NotifierConfig::default(),
    )
    .unwrap_err();
    assert_eq!(r.status().code(), 400);
    let mut no_contact = subscribe.clone();
    no_contact.headers_mut().remove_all(&HeaderName::Contact);
    let r = Notifier::new(
        t0,
        &no_contact,
        "b",
        &bob_contact(),
        NotifierConfig::default(),
    )
    .unwrap_err();
    assert_eq!(r.status().code(), 400);
    let refer_to = ReferTo::new(NameAddr::new(uri("sip:carol@example.com")));
    let mut rs = Subscriber::new(config().refer(refer_to, true), 2);
    rs.subscribe(t0, Vec::new(), None).unwrap();
    let mut refer = drain_sub(&mut rs).requests.remove(0);
    refer.headers_mut().remove_all(&HeaderName::ReferTo);
    let r = Notifier::new(t0, &refer, "b", &bob_contact(), NotifierConfig::default()).unwrap_err();
    assert_eq!(r.status().code(), 400);
}

#[test]
fn challenged_requests_are_resent_with_the_next_cseq() {
    let t0 = Instant::now();
    let (mut sub, mut not, subscribe) = start(t0, config());
    // The initial SUBSCRIBE again, with CSeq 2 (outside the dialog).
    let retry = sub.retry_request().unwrap();
    assert_eq!(retry.headers().typed::<CSeq>().unwrap().seq, 2);
    assert_eq!(
        retry.headers().get_str(&HeaderName::CallId),
        subscribe.headers().get_str(&HeaderName::CallId)
    );
    // The answer to the first attempt is not the answer to the request in flight.
    not.accept(t0, 200, None).unwrap();
    let out = drain_not(&mut not);
    sub.handle_response(t0, &out.responses[0]);
    assert_eq!(sub.state(), &SubscriberState::Sent);
    let not2 = Notifier::new(t0, &retry, "b2", &bob_contact(), NotifierConfig::default());
    let mut not2 = not2.unwrap();
    not2.accept(t0, 200, None).unwrap();
    let out = drain_not(&mut not2);
    sub.handle_response(t0, &out.responses[0]);
    assert_eq!(sub.state(), &SubscriberState::Accepted);
    // In the dialog, a retried refresh takes the dialog's next number.
    sub.refresh(t0).unwrap();
    let refresh = drain_sub(&mut sub).requests.pop().unwrap();
    let seq = refresh.headers().typed::<CSeq>().unwrap().seq;
    let retry = sub.retry_request().unwrap();
    assert_eq!(retry.headers().typed::<CSeq>().unwrap().seq, seq + 1);
    assert!(sub.refresh(t0).is_ok());
    assert!(Subscriber::new(config(), 9).refresh(t0).is_err());
    assert!(Subscriber::new(config(), 9).end(t0).is_err());
}

#[test]
fn repeated_interval_too_brief_fails_with_min_expires() {
    let t0 = Instant::now();
    let mut sub = Subscriber::new(config().with_refresh(30), 1);
    sub.subscribe(t0, Vec::new(), None).unwrap();
    let strict = NotifierConfig::default()
        .with_min_expires(7200)
        .with_max_expires(7200);
    for _ in 0..3 {
        let request = drain_sub(&mut sub).requests.remove(0);
        let err = Notifier::new(t0, &request, "b", &bob_contact(), strict).unwrap_err();
        // Min-Expires grows each time: 7200, then more than we retry for.
        let mut err = *err;
        let min = expires_of(&request).max(60) * 2;
        err.headers_mut().set_typed(&MinExpires(min));
        sub.handle_response(t0, &err);
    }
    let ev = drain_sub(&mut sub).events;
    assert!(matches!(
        ev.last(),
        Some(SubscriberEvent::DidFail {
            code: 423,
            min_expires: Some(_),
            ..
        })
    ));
}
