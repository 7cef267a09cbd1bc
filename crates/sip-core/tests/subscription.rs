//! Subscription / IncomingSubscription and Referral / IncomingReferral between two Engines on
//! loopback.
#![cfg(feature = "runtime")]

use std::time::Duration;

use sip_core::engine::{Engine, EngineConfig, NewDialog};
use sip_core::header::{
    Contact, FromHeader, Header, HeaderName, NameAddr, ReferSub, ReferTo, ToHeader,
};
use sip_core::notification::{NotificationCenter, NotificationData, Observer};
use sip_core::referral::{
    IncomingReferral, IncomingReferralNotification, Referral, ReferralNotification,
};
use sip_core::subscription::{
    Content, IncomingSubscription, IncomingSubscriptionNotification, NotifierConfig, Subscription,
    SubscriptionNotification,
};
use sip_core::transaction::{Target, TransportKind};
use sip_core::uri::Uri;
use tokio::sync::mpsc;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);
const PIDF: &str = "application/pidf+xml";

struct Peer {
    engine: Engine,
    center: NotificationCenter,
    observer: Observer,
    port: u16,
    dialogs: Option<mpsc::Receiver<NewDialog>>,
}

async fn peer(notifier: bool) -> Peer {
    let center = NotificationCenter::new();
    let observer = center.add_observer(None, None);
    let mut config = EngineConfig::new()
        .with_ip_address("127.0.0.1".parse().unwrap())
        .with_udp_port(Some(0))
        .with_tcp_port(None)
        .with_event("presence", &[PIDF]);
    if notifier {
        config = config.with_incoming_event("presence");
    }
    let engine = Engine::start(config, center.clone()).await.unwrap();
    let port = engine
        .local_port(TransportKind::Udp)
        .await
        .unwrap()
        .unwrap();
    let dialogs = notifier.then(|| engine.take_new_dialogs().unwrap());
    Peer {
        engine,
        center,
        observer,
        port,
        dialogs,
    }
}

impl Peer {
    async fn new_dialog(&mut self) -> NewDialog {
        timeout(WAIT, self.dialogs.as_mut().unwrap().recv())
            .await
            .expect("no new dialog")
            .unwrap()
    }

    async fn incoming_subscription(
        &mut self,
        config: NotifierConfig,
    ) -> Result<IncomingSubscription, sip_core::subscription::SubscriptionError> {
        let d = self.new_dialog().await;
        IncomingSubscription::new(&self.engine, &self.center, d, config)
    }

    async fn incoming_referral(&mut self) -> IncomingReferral {
        let d = self.new_dialog().await;
        IncomingReferral::new(&self.engine, &self.center, d).unwrap()
    }

    fn target(&self) -> Target {
        Target::new(
            format!("127.0.0.1:{}", self.port).parse().unwrap(),
            TransportKind::Udp,
        )
    }

    fn uri(&self, user: &str) -> Uri {
        Uri::parse(&format!("sip:{user}@127.0.0.1:{}", self.port)).unwrap()
    }
}

/// The next notification whose payload is a `T`.
async fn next<T: Clone + 'static>(observer: &mut Observer) -> T {
    loop {
        let n = timeout(WAIT, observer.recv())
            .await
            .expect("no notification")
            .unwrap();
        if let NotificationData::Custom(p) = n.data()
            && let Some(t) = p.as_any().downcast_ref::<T>()
        {
            return t.clone();
        }
    }
}

/// Notifications of type `T` until `stop` matches one (included).
async fn until<T: Clone + std::fmt::Debug + 'static>(
    observer: &mut Observer,
    stop: impl Fn(&T) -> bool,
) -> Vec<T> {
    let mut seen = Vec::new();
    loop {
        let n = next::<T>(observer).await;
        let done = stop(&n);
        seen.push(n);
        if done {
            return seen;
        }
    }
}

/// Notifications of type `T` until both `a` and `b` matched one.
async fn until_both<T: Clone + 'static>(
    observer: &mut Observer,
    a: impl Fn(&T) -> bool,
    b: impl Fn(&T) -> bool,
) -> Vec<T> {
    let mut seen = Vec::new();
    while !(seen.iter().any(&a) && seen.iter().any(&b)) {
        seen.push(next::<T>(observer).await);
    }
    seen
}

fn subscription(alice: &Peer, bob: &Peer, refresh: u32) -> Subscription {
    Subscription::new(
        &alice.engine,
        &alice.center,
        bob.uri("bob"),
        FromHeader::new(NameAddr::new(alice.uri("alice"))),
        ToHeader::new(NameAddr::new(bob.uri("bob"))),
        Contact::new(NameAddr::new(alice.uri("alice"))),
        "presence",
        bob.target(),
        None,
        refresh,
    )
}

fn curi(c: &Contact) -> Uri {
    c.addr.as_ref().unwrap().uri().clone()
}

fn pidf(s: &str) -> Content {
    Content::new(PIDF, s.as_bytes().to_vec())
}

fn low_limits() -> NotifierConfig {
    NotifierConfig::default()
        .with_min_expires(1)
        .with_default_expires(600)
}

fn got_notify_body(n: &SubscriptionNotification) -> Option<String> {
    match n {
        SubscriptionNotification::GotNotify(g) => g
            .body
            .as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned()),
        _ => None,
    }
}

#[tokio::test]
async fn subscribe_accept_notify_refresh_and_unsubscribe() {
    let mut alice = peer(false).await;
    let mut bob = peer(true).await;
    let sub = subscription(&alice, &bob, 2);
    assert_eq!(sub.state(), "NULL");
    sub.subscribe(Vec::new(), None, Some(WAIT)).unwrap();
    assert_eq!(
        next::<SubscriptionNotification>(&mut alice.observer).await,
        SubscriptionNotification::WillStart
    );

    let incoming = bob.incoming_subscription(low_limits()).await.unwrap();
    assert!(matches!(
        next::<IncomingSubscriptionNotification>(&mut bob.observer).await,
        IncomingSubscriptionNotification::GotSubscribe(r) if r.method.as_str() == "SUBSCRIBE"
    ));
    assert_eq!(incoming.state(), "incoming");
    assert_eq!(incoming.event(), "presence");
    incoming.accept(Some(pidf("<open/>"))).unwrap();
    // The NOTIFY may overtake the 200.
    let seen = until_both(
        &mut alice.observer,
        |n| *n == SubscriptionNotification::DidStart,
        |n| got_notify_body(n).is_some(),
    )
    .await;
    let notify = seen.iter().find(|n| got_notify_body(n).is_some()).unwrap();
    assert_eq!(got_notify_body(notify).unwrap(), "<open/>");
    match notify {
        SubscriptionNotification::GotNotify(g) => {
            assert_eq!(g.content_type.as_deref(), Some(PIDF));
            assert_eq!(g.event.as_ref().unwrap().event_type, "presence");
        }
        _ => unreachable!(),
    }
    assert_eq!(sub.state(), "ACTIVE");
    let bob_seen = until::<IncomingSubscriptionNotification>(&mut bob.observer, |n| {
        matches!(n, IncomingSubscriptionNotification::NotifyDidSucceed(_))
    })
    .await;
    assert!(bob_seen.iter().any(|n| matches!(
        n,
        IncomingSubscriptionNotification::AnsweredSubscribe(r) if r.code == 200
    )));
    assert!(
        bob_seen
            .iter()
            .any(|n| matches!(n, IncomingSubscriptionNotification::SentNotify(_)))
    );

    // Attributes of both sides.
    assert_eq!(sub.event(), "presence");
    assert_eq!(sub.refresh(), 2);
    assert_eq!(sub.route_header(), bob.target());
    assert_eq!(sub.peer_address(), Some(bob.target().addr));
    assert_eq!(sub.to_header().uri(), &bob.uri("bob"));
    assert!(sub.from_header().tag().is_some());
    assert_eq!(curi(&sub.contact_header()), alice.uri("alice"));
    assert!(sub.credentials().is_none());
    assert_eq!(incoming.content_type().as_deref(), Some(PIDF));
    assert_eq!(incoming.content().as_deref(), Some(&b"<open/>"[..]));
    assert_eq!(incoming.peer_address().port(), alice.port);

    // subscribe() while active stores the arguments and refreshes at once with them.
    sub.subscribe(
        vec![Header::new(HeaderName::new("X-Filter"), "status")],
        Some(Content::new("text/plain", &b"filter"[..])),
        Some(WAIT),
    )
    .unwrap();
    let refreshed = until::<IncomingSubscriptionNotification>(&mut bob.observer, |n| {
        matches!(
            n,
            IncomingSubscriptionNotification::GotRefreshingSubscribe(_)
        )
    })
    .await;
    match refreshed.last().unwrap() {
        IncomingSubscriptionNotification::GotRefreshingSubscribe(r) => {
            assert_eq!(
                r.headers.get_str(&HeaderName::new("X-Filter")),
                Some("status")
            );
            assert_eq!(r.body.as_deref(), Some(&b"filter"[..]));
        }
        _ => unreachable!(),
    }
    assert_eq!(sub.extra_headers().len(), 1);
    assert_eq!(sub.content_type().as_deref(), Some("text/plain"));
    assert_eq!(sub.body().as_deref(), Some(&b"filter"[..]));
    until::<SubscriptionNotification>(&mut alice.observer, |n| got_notify_body(n).is_some()).await;

    // push_content reaches the subscriber.
    incoming.push_content(pidf("<closed/>")).unwrap();
    let seen =
        until::<SubscriptionNotification>(&mut alice.observer, |n| got_notify_body(n).is_some())
            .await;
    assert_eq!(got_notify_body(seen.last().unwrap()).unwrap(), "<closed/>");

    // The subscription (2 s) refreshes itself after 1 s; the refresh brings the latest content.
    until::<IncomingSubscriptionNotification>(&mut bob.observer, |n| {
        matches!(
            n,
            IncomingSubscriptionNotification::GotRefreshingSubscribe(_)
        )
    })
    .await;
    let seen =
        until::<SubscriptionNotification>(&mut alice.observer, |n| got_notify_body(n).is_some())
            .await;
    assert_eq!(got_notify_body(seen.last().unwrap()).unwrap(), "<closed/>");
    assert_eq!(incoming.state(), "active");

    // Unsubscribe.
    sub.end(Some(WAIT)).unwrap();
    until::<SubscriptionNotification>(&mut alice.observer, |n| {
        *n == SubscriptionNotification::DidEnd
    })
    .await;
    assert_eq!(sub.state(), "TERMINATED");
    let bob_seen = until::<IncomingSubscriptionNotification>(&mut bob.observer, |n| {
        *n == IncomingSubscriptionNotification::DidEnd
    })
    .await;
    assert!(
        bob_seen
            .iter()
            .any(|n| matches!(n, IncomingSubscriptionNotification::GotUnsubscribe(_)))
    );
    assert_eq!(incoming.state(), "terminated");
    assert!(sub.subscribe(Vec::new(), None, None).is_err());
}

#[tokio::test]
async fn accept_pending_then_accept() {
    let mut alice = peer(false).await;
    let mut bob = peer(true).await;
    let sub = subscription(&alice, &bob, 600);
    sub.subscribe(Vec::new(), None, Some(WAIT)).unwrap();
    let incoming = bob.incoming_subscription(low_limits()).await.unwrap();
    incoming.accept_pending().unwrap();
    assert_eq!(incoming.state(), "pending");
    until_both(
        &mut alice.observer,
        |n| *n == SubscriptionNotification::DidStart,
        |n| matches!(n, SubscriptionNotification::ChangedState(c) if c.state == "PENDING"),
    )
    .await;
    assert_eq!(sub.state(), "PENDING");
    assert!(incoming.push_content(pidf("x")).is_err());
    incoming.accept(Some(pidf("<ok/>"))).unwrap();
    let seen =
        until::<SubscriptionNotification>(&mut alice.observer, |n| got_notify_body(n).is_some())
            .await;
    assert_eq!(got_notify_body(seen.last().unwrap()).unwrap(), "<ok/>");
    until::<SubscriptionNotification>(
        &mut alice.observer,
        |n| matches!(n, SubscriptionNotification::ChangedState(c) if c.state == "ACTIVE"),
    )
    .await;
    let answered = until::<IncomingSubscriptionNotification>(&mut bob.observer, |n| {
        matches!(n, IncomingSubscriptionNotification::AnsweredSubscribe(_))
    })
    .await;
    assert!(matches!(
        answered.last(),
        Some(IncomingSubscriptionNotification::AnsweredSubscribe(r)) if r.code == 202
    ));
}

#[tokio::test]
async fn rejected_subscription_fails_with_the_code() {
    let mut alice = peer(false).await;
    let mut bob = peer(true).await;
    let sub = subscription(&alice, &bob, 600);
    sub.subscribe(Vec::new(), None, Some(WAIT)).unwrap();
    let incoming = bob.incoming_subscription(low_limits()).await.unwrap();
    assert!(incoming.reject(200).is_err());
    incoming.reject(403).unwrap();
    let seen = until::<SubscriptionNotification>(&mut alice.observer, |n| {
        matches!(n, SubscriptionNotification::DidFail(_))
    })
    .await;
    match seen.last().unwrap() {
        SubscriptionNotification::DidFail(f) => {
            assert_eq!((f.code, f.reason.as_str()), (403, "Forbidden"));
            assert_eq!(f.min_expires, None);
        }
        _ => unreachable!(),
    }
    assert_eq!(sub.state(), "TERMINATED");
    assert_eq!(incoming.state(), "terminated");
}

#[tokio::test]
async fn interval_too_brief_is_retried_with_min_expires() {
    let mut alice = peer(false).await;
    let mut bob = peer(true).await;
    let sub = subscription(&alice, &bob, 10);
    sub.subscribe(Vec::new(), None, Some(WAIT)).unwrap();
    // The first SUBSCRIBE (Expires: 10) is answered 423 Min-Expires: 60.
    let err = bob
        .incoming_subscription(NotifierConfig::default())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        sip_core::subscription::SubscriptionError::Rejected(423)
    );
    let second = bob.new_dialog().await;
    assert_eq!(
        second
            .incoming
            .request
            .headers()
            .get_str(&HeaderName::Expires),
        Some("60")
    );
    let incoming =
        IncomingSubscription::new(&bob.engine, &bob.center, second, NotifierConfig::default())
            .unwrap();
    incoming.accept(None).unwrap();
    until::<SubscriptionNotification>(
        &mut alice.observer,
        |n| matches!(n, SubscriptionNotification::ChangedState(c) if c.state == "ACTIVE"),
    )
    .await;
}

#[tokio::test]
async fn incoming_subscription_expires_when_not_refreshed() {
    let mut alice = peer(false).await;
    let mut bob = peer(true).await;
    let sub = subscription(&alice, &bob, 1);
    sub.subscribe(Vec::new(), None, Some(WAIT)).unwrap();
    let incoming = bob.incoming_subscription(low_limits()).await.unwrap();
    incoming.accept(None).unwrap();
    until::<SubscriptionNotification>(&mut alice.observer, |n| {
        matches!(n, SubscriptionNotification::GotNotify(_))
    })
    .await;
    // The subscriber goes away without unsubscribing: the subscription runs out after 1 s.
    drop(sub);
    let seen = until::<IncomingSubscriptionNotification>(&mut bob.observer, |n| {
        *n == IncomingSubscriptionNotification::DidEnd
    })
    .await;
    let last_notify = seen
        .iter()
        .rev()
        .find_map(|n| match n {
            IncomingSubscriptionNotification::SentNotify(r) => Some(r.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        last_notify.headers.get_str(&HeaderName::SubscriptionState),
        Some("terminated;reason=timeout")
    );
    assert_eq!(incoming.state(), "terminated");
    // The subscriber's dialog is gone: its Engine answers 481.
    let failed = until::<IncomingSubscriptionNotification>(&mut bob.observer, |n| {
        matches!(n, IncomingSubscriptionNotification::NotifyDidFail(_))
    })
    .await;
    match failed.last().unwrap() {
        IncomingSubscriptionNotification::NotifyDidFail(f) => {
            assert_eq!(f.code, 481);
            assert!(f.headers.is_some());
        }
        _ => unreachable!(),
    }
}

fn referral(alice: &Peer, bob: &Peer) -> Referral {
    Referral::new(
        &alice.engine,
        &alice.center,
        bob.uri("bob"),
        FromHeader::new(NameAddr::new(alice.uri("alice"))),
        ToHeader::new(NameAddr::new(bob.uri("bob"))),
        ReferTo::new(NameAddr::new(Uri::parse("sip:carol@example.com").unwrap())),
        Contact::new(NameAddr::new(alice.uri("alice"))),
        bob.target(),
        None,
    )
}

fn sipfrag(n: &ReferralNotification) -> Option<String> {
    match n {
        ReferralNotification::GotNotify(g) => {
            assert_eq!(
                g.content_type.as_deref(),
                Some("message/sipfrag;version=2.0")
            );
            g.body
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).trim_end().to_owned())
        }
        _ => None,
    }
}

#[tokio::test]
async fn referral_reports_sipfrag_progress_to_the_final_response() {
    let mut alice = peer(false).await;
    let mut bob = peer(true).await;
    let refer = referral(&alice, &bob);
    refer.send_refer(true, Vec::new(), Some(WAIT)).unwrap();
    assert_eq!(
        next::<ReferralNotification>(&mut alice.observer).await,
        ReferralNotification::WillStart
    );
    let incoming = bob.incoming_referral().await;
    match next::<IncomingReferralNotification>(&mut bob.observer).await {
        IncomingReferralNotification::GotRefer(r) => {
            assert_eq!(
                r.refer_to.unwrap().uri().to_string(),
                "sip:carol@example.com"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(incoming.send_notify(180, None).is_err());
    incoming.accept(202, 180).unwrap();
    let seen = until_both(
        &mut alice.observer,
        |n| *n == ReferralNotification::DidStart,
        |n| sipfrag(n).is_some(),
    )
    .await;
    assert_eq!(seen.iter().find_map(sipfrag).unwrap(), "SIP/2.0 100 Trying");
    assert_eq!(refer.state(), "ACTIVE");
    assert_eq!(refer.refresh_interval(), Some(180));
    assert_eq!(
        refer.refer_to_header().uri().to_string(),
        "sip:carol@example.com"
    );
    assert_eq!(refer.remote_contact_header(), Some(bob.uri("bob")));
    assert_eq!(curi(&refer.local_contact_header()), alice.uri("alice"));
    assert_eq!(refer.peer_address(), Some(bob.target().addr));
    assert_eq!(curi(&incoming.local_contact_header()), bob.uri("bob"));
    assert_eq!(
        curi(&incoming.remote_contact_header().unwrap()),
        alice.uri("alice")
    );
    assert_eq!(incoming.peer_address().port(), alice.port);
    assert_eq!(incoming.state(), "active");

    incoming.send_notify(180, None).unwrap();
    let seen = until::<ReferralNotification>(&mut alice.observer, |n| sipfrag(n).is_some()).await;
    assert_eq!(
        sipfrag(seen.last().unwrap()).unwrap(),
        "SIP/2.0 180 Ringing"
    );
    incoming.send_notify(200, Some("Call Answered")).unwrap();
    let seen =
        until::<ReferralNotification>(&mut alice.observer, |n| *n == ReferralNotification::DidEnd)
            .await;
    let last = seen.iter().rev().find_map(sipfrag).unwrap();
    assert_eq!(last, "SIP/2.0 200 Call Answered");
    assert_eq!(refer.state(), "TERMINATED");
    let bob_seen = until::<IncomingReferralNotification>(&mut bob.observer, |n| {
        *n == IncomingReferralNotification::DidEnd
    })
    .await;
    assert!(bob_seen.iter().any(|n| matches!(
        n,
        IncomingReferralNotification::AnsweredRefer(r) if r.code == 202
    )));
    assert_eq!(incoming.state(), "terminated");
}

#[tokio::test]
async fn referral_without_subscription_ends_with_the_answer() {
    let mut alice = peer(false).await;
    let mut bob = peer(true).await;
    let refer = referral(&alice, &bob);
    refer.send_refer(false, Vec::new(), Some(WAIT)).unwrap();
    let new_dialog = bob.new_dialog().await;
    assert_eq!(
        new_dialog
            .incoming
            .request
            .headers()
            .typed::<ReferSub>()
            .unwrap(),
        ReferSub::new(false)
    );
    let incoming = IncomingReferral::new(&bob.engine, &bob.center, new_dialog).unwrap();
    incoming.accept(202, 180).unwrap();
    assert_eq!(incoming.state(), "terminated");
    let seen =
        until::<ReferralNotification>(&mut alice.observer, |n| *n == ReferralNotification::DidEnd)
            .await;
    assert!(seen.contains(&ReferralNotification::DidStart));
    assert!(
        !seen
            .iter()
            .any(|n| matches!(n, ReferralNotification::GotNotify(_)))
    );
    let bob_seen = until::<IncomingReferralNotification>(&mut bob.observer, |n| {
        matches!(n, IncomingReferralNotification::AnsweredRefer(_))
    })
    .await;
    match bob_seen.last().unwrap() {
        IncomingReferralNotification::AnsweredRefer(r) => {
            assert_eq!(r.code, 202);
            assert_eq!(r.headers.get_str(&HeaderName::ReferSub), Some("false"));
        }
        _ => unreachable!(),
    }
    assert!(
        !bob_seen
            .iter()
            .any(|n| matches!(n, IncomingReferralNotification::SentNotify(_)))
    );
}

#[tokio::test]
async fn referral_refresh_end_and_reject() {
    let mut alice = peer(false).await;
    let mut bob = peer(true).await;
    let refer = referral(&alice, &bob);
    assert!(refer.end(None).is_err());
    refer.send_refer(true, Vec::new(), Some(WAIT)).unwrap();
    let incoming = bob.incoming_referral().await;
    incoming.accept(202, 180).unwrap();
    until_both(
        &mut alice.observer,
        |n| *n == ReferralNotification::DidStart,
        |n| sipfrag(n).is_some(),
    )
    .await;
    // A manual refresh: SUBSCRIBE Event: refer, answered with the latest sipfrag.
    let new_contact = Contact::new(NameAddr::new(alice.uri("alice2")));
    refer
        .refresh(Some(new_contact), Vec::new(), Some(WAIT))
        .unwrap();
    let seen = until::<IncomingReferralNotification>(&mut bob.observer, |n| {
        matches!(n, IncomingReferralNotification::GotRefreshingSubscribe(_))
    })
    .await;
    match seen.last().unwrap() {
        IncomingReferralNotification::GotRefreshingSubscribe(r) => {
            assert_eq!(r.method.as_str(), "SUBSCRIBE");
            assert_eq!(r.headers.get_str(&HeaderName::Event), Some("refer"));
            assert!(
                r.headers
                    .get_str(&HeaderName::Contact)
                    .unwrap()
                    .contains("alice2")
            );
        }
        _ => unreachable!(),
    }
    let seen = until::<ReferralNotification>(&mut alice.observer, |n| sipfrag(n).is_some()).await;
    assert_eq!(sipfrag(seen.last().unwrap()).unwrap(), "SIP/2.0 100 Trying");
    // end(): SUBSCRIBE Expires: 0.
    refer.end(Some(WAIT)).unwrap();
    until::<ReferralNotification>(&mut alice.observer, |n| *n == ReferralNotification::DidEnd)
        .await;
    let seen = until::<IncomingReferralNotification>(&mut bob.observer, |n| {
        *n == IncomingReferralNotification::DidEnd
    })
    .await;
    assert!(
        seen.iter()
            .any(|n| matches!(n, IncomingReferralNotification::GotUnsubscribe(_)))
    );
    assert_eq!(refer.state(), "TERMINATED");
    assert_eq!(incoming.state(), "terminated");

    // A rejected REFER fails the referral.
    let refer = referral(&alice, &bob);
    refer.send_refer(true, Vec::new(), Some(WAIT)).unwrap();
    let incoming = bob.incoming_referral().await;
    incoming.reject(603).unwrap();
    let seen = until::<ReferralNotification>(&mut alice.observer, |n| {
        matches!(n, ReferralNotification::DidFail(_))
    })
    .await;
    match seen.last().unwrap() {
        ReferralNotification::DidFail(f) => {
            assert_eq!((f.code, f.reason.as_str()), (603, "Decline"))
        }
        _ => unreachable!(),
    }
    assert_eq!(incoming.state(), "terminated");
}

#[tokio::test]
async fn incoming_referral_end_and_a_failed_notify_end_the_referral() {
    let mut alice = peer(false).await;
    let mut bob = peer(true).await;

    // end() by the receiver of the REFER: a terminated NOTIFY, the referral ends.
    let refer = referral(&alice, &bob);
    refer.send_refer(true, Vec::new(), Some(WAIT)).unwrap();
    let incoming = bob.incoming_referral().await;
    incoming.accept(202, 180).unwrap();
    until_both(
        &mut alice.observer,
        |n| *n == ReferralNotification::DidStart,
        |n| sipfrag(n).is_some(),
    )
    .await;
    incoming.end();
    until::<ReferralNotification>(&mut alice.observer, |n| *n == ReferralNotification::DidEnd)
        .await;
    until::<IncomingReferralNotification>(&mut bob.observer, |n| {
        *n == IncomingReferralNotification::DidEnd
    })
    .await;
    assert_eq!(incoming.state(), "terminated");
    assert_eq!(refer.state(), "TERMINATED");

    // The referrer goes away: its dialog route is gone, so the next NOTIFY gets 481, which
    // IncomingReferral reports as NotifyDidFail before it ends.
    let refer = referral(&alice, &bob);
    refer.send_refer(true, Vec::new(), Some(WAIT)).unwrap();
    let incoming = bob.incoming_referral().await;
    incoming.accept(202, 180).unwrap();
    until::<ReferralNotification>(&mut alice.observer, |n| sipfrag(n).is_some()).await;
    // Dropping it stops its task, whose dialog route closes as it goes.
    drop(refer);
    // A progress NOTIFY (not the final one, which ends the subscription anyway).
    incoming.send_notify(180, None).unwrap();
    let seen = until::<IncomingReferralNotification>(&mut bob.observer, |n| {
        *n == IncomingReferralNotification::DidEnd
    })
    .await;
    let failed = seen
        .iter()
        .find_map(|n| match n {
            IncomingReferralNotification::NotifyDidFail(f) => Some(f.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("NotifyDidFail before DidEnd: {seen:?}"));
    assert_eq!(failed.code, 481);
    assert_eq!(incoming.state(), "terminated");
}

#[tokio::test]
async fn subscribe_needs_a_registered_event_and_sends_its_accept_types() {
    let alice = peer(false).await;
    let mut bob = peer(true).await;
    // Not in the Engine's events: refused before anything is sent.
    let unknown = Subscription::new(
        &alice.engine,
        &alice.center,
        bob.uri("bob"),
        FromHeader::new(NameAddr::new(alice.uri("alice"))),
        ToHeader::new(NameAddr::new(bob.uri("bob"))),
        Contact::new(NameAddr::new(alice.uri("alice"))),
        "no-such-package",
        bob.target(),
        None,
        60,
    );
    assert!(matches!(
        unknown.subscribe(Vec::new(), None, Some(WAIT)),
        Err(sip_core::subscription::SubscriptionError::UnknownEvent(p)) if p == "no-such-package"
    ));
    // A registered one carries its content types as Accept.
    let sub = subscription(&alice, &bob, 60);
    sub.subscribe(Vec::new(), None, Some(WAIT)).unwrap();
    let new_dialog = bob.new_dialog().await;
    let accept = new_dialog
        .incoming
        .request
        .headers()
        .get_str(&HeaderName::Accept)
        .map(str::to_owned);
    assert_eq!(accept.as_deref(), Some(PIDF));
    let incoming =
        IncomingSubscription::new(&bob.engine, &bob.center, new_dialog, low_limits()).unwrap();
    incoming.reject(403).unwrap();
}
