//! Subscriptions against real peers (interop-support starts them on free loopback ports):
//!
//! - our `Subscription` to alice's presence at Kamailio's presence server (users with digest
//!   authentication) receives the PIDF that our `Publication` published there;
//! - our `IncomingSubscription` answers a pjsua2 watcher. Kamailio's configuration sends every
//!   initial SUBSCRIBE to its own presence server, so a watcher SUBSCRIBE can never reach a
//!   registered contact through it: pjsua2 (without registrar or proxy) subscribes to our
//!   Engine's address directly, and its buddy shows the note of the PIDF we notify.
//!
//! Without Kamailio or the pjsua2 venv the tests fail with the install hint, unless
//! `SIPSIMPLE_SKIP_INTEROP=1` is set (then they are skipped with a note, see
//! `interop_support::skip_interop`).
#![cfg(feature = "runtime")]

use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;
use interop_support::{Kamailio, KamailioOptions, Pjua};
use sip_core::digest::Credentials;
use sip_core::engine::{Engine, EngineConfig};
use sip_core::header::{Contact, FromHeader, NameAddr, ToHeader};
use sip_core::notification::{NotificationCenter, NotificationData, Observer};
use sip_core::publication::{Publication, PublicationNotification};
use sip_core::subscription::{
    Content, IncomingSubscription, IncomingSubscriptionNotification, NotifierConfig, Subscription,
    SubscriptionNotification,
};
use sip_core::transaction::{Target, TransportKind};
use sip_core::uri::Uri;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(20);
const PIDF: &str = "application/pidf+xml";

fn pidf(entity: &str, note: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"{entity}\">\n\
         <tuple id=\"t1\"><status><basic>open</basic></status>\
         <contact>{entity}</contact><note>{note}</note></tuple>\n\
         </presence>\n"
    )
}

fn uri(s: &str) -> Uri {
    Uri::parse(s).unwrap()
}

async fn engine(incoming_presence: bool) -> (Engine, NotificationCenter, u16) {
    let center = NotificationCenter::new();
    let mut config = EngineConfig::new()
        .with_ip_address("127.0.0.1".parse().unwrap())
        .with_udp_port(Some(0))
        .with_tcp_port(None)
        .with_event("presence", &[PIDF])
        .with_user_agent("sip-core-presence-interop/1".to_owned());
    if incoming_presence {
        config = config.with_incoming_event("presence");
    }
    let engine = Engine::start(config, center.clone()).await.unwrap();
    let port = engine
        .local_port(TransportKind::Udp)
        .await
        .unwrap()
        .unwrap();
    (engine, center, port)
}

async fn next<T: Clone + 'static>(
    observer: &mut Observer,
    what: &str,
    log: &dyn Fn() -> String,
) -> T {
    loop {
        let n = match timeout(WAIT, observer.recv()).await {
            Ok(n) => n.unwrap(),
            Err(_) => panic!("no {what}; peer log:\n{}", log()),
        };
        if let NotificationData::Custom(p) = n.data()
            && let Some(t) = p.as_any().downcast_ref::<T>()
        {
            return t.clone();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_subscription_receives_the_pidf_our_publication_published() {
    publish_then_subscribe(KamailioOptions::default()).await;
}

/// Kamailio also challenges the initial SUBSCRIBE (407): the Subscription answers it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscription_answers_the_proxy_challenge() {
    publish_then_subscribe(KamailioOptions {
        proxy_auth: true,
        ..KamailioOptions::default()
    })
    .await;
}

async fn publish_then_subscribe(options: KamailioOptions) {
    let Some(kamailio) = Kamailio::start(options) else {
        return;
    };
    let log = || kamailio.log_text();
    let server = Target::new(kamailio.sip_addr(), TransportKind::Udp);

    // Alice publishes.
    let (alice_engine, alice_center, _) = engine(false).await;
    let note = "Published by sipsimple-rs";
    let body = pidf("sip:alice@127.0.0.1", note);
    let publication = Publication::new(
        &alice_engine,
        &alice_center,
        FromHeader::new(NameAddr::new(uri("sip:alice@127.0.0.1"))),
        "presence",
        PIDF,
        Some(Arc::new(RwLock::new(Credentials::new("alice", "alice123")))),
        120,
    );
    let mut pub_observer = alice_center.add_observer(None, Some(publication.sender().id()));
    publication
        .publish(Some(Bytes::from(body)), server, Some(WAIT))
        .await
        .unwrap();
    match next::<PublicationNotification>(&mut pub_observer, "publication outcome", &log).await {
        PublicationNotification::DidSucceed(_) => {}
        other => panic!("PUBLISH failed: {other:?}\nkamailio log:\n{}", log()),
    }

    // Bob subscribes to alice's presence.
    let (bob_engine, bob_center, bob_port) = engine(false).await;
    let subscription = Subscription::new(
        &bob_engine,
        &bob_center,
        uri("sip:alice@127.0.0.1"),
        FromHeader::new(NameAddr::new(uri("sip:bob@127.0.0.1"))),
        ToHeader::new(NameAddr::new(uri("sip:alice@127.0.0.1"))),
        Contact::new(NameAddr::new(uri(&format!("sip:bob@127.0.0.1:{bob_port}")))),
        "presence",
        server,
        Some(Arc::new(RwLock::new(Credentials::new("bob", "bob123")))),
        120,
    );
    let mut observer = bob_center.add_observer(None, Some(subscription.sender().id()));
    subscription
        .subscribe(Vec::new(), None, Some(WAIT))
        .unwrap();
    let mut started = false;
    let body = loop {
        match next::<SubscriptionNotification>(&mut observer, "NOTIFY with the PIDF", &log).await {
            SubscriptionNotification::DidStart => started = true,
            SubscriptionNotification::GotNotify(n) => {
                assert_eq!(n.event.as_ref().unwrap().event_type, "presence");
                if let Some(body) = &n.body {
                    let text = String::from_utf8_lossy(body).into_owned();
                    if text.contains(note) {
                        assert_eq!(n.content_type.as_deref(), Some(PIDF));
                        break text;
                    }
                }
            }
            SubscriptionNotification::DidFail(f) => {
                panic!("subscription failed: {f:?}\nkamailio log:\n{}", log())
            }
            _ => {}
        }
    };
    assert!(body.contains("<basic>open</basic>"), "{body}");
    // The state follows the NOTIFY; DidStart may come after it.
    while !started {
        if let SubscriptionNotification::DidStart =
            next::<SubscriptionNotification>(&mut observer, "DidStart", &log).await
        {
            started = true;
        }
    }
    assert_eq!(subscription.state(), "ACTIVE");
    assert_eq!(
        subscription.peer_address().map(|a| a.port()),
        Some(kamailio.sip_port())
    );

    // Unsubscribe: the presence server answers, the subscription ends.
    subscription.end(Some(WAIT)).unwrap();
    loop {
        match next::<SubscriptionNotification>(&mut observer, "DidEnd", &log).await {
            SubscriptionNotification::DidEnd => break,
            SubscriptionNotification::DidFail(f) => {
                panic!("unsubscribe failed: {f:?}\nkamailio log:\n{}", log())
            }
            _ => {}
        }
    }
    assert_eq!(subscription.state(), "TERMINATED");
    publication.end(Some(WAIT)).await.unwrap();
    if options.proxy_auth {
        // The challenged SUBSCRIBE and its authorized retry.
        let text = log();
        let initial = text
            .lines()
            .filter(|l| l.contains("REQ SUBSCRIBE sip:alice@127.0.0.1 "))
            .count();
        assert!(initial >= 2, "no challenged SUBSCRIBE:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incoming_subscription_answers_a_pjsua2_watcher() {
    let (engine, center, port) = engine(true).await;
    let mut dialogs = engine.take_new_dialogs().unwrap();
    let carol = format!("sip:carol@127.0.0.1:{port}");
    let Some(watcher) = Pjua::spawn(
        &["--user", "dave", "--subscribe", &carol, "--duration", "20"],
        None,
    ) else {
        return;
    };
    let log = || watcher.output();
    let new_dialog = match timeout(WAIT, dialogs.recv()).await {
        Ok(Some(d)) => d,
        _ => panic!("no SUBSCRIBE from pjsua2:\n{}", log()),
    };
    let mut observer = center.add_observer(None, None);
    let incoming =
        IncomingSubscription::new(&engine, &center, new_dialog, NotifierConfig::default()).unwrap();
    assert_eq!(incoming.event(), "presence");
    let note = "Carol is here (sipsimple-rs)";
    incoming
        .accept(Some(Content::new(PIDF, pidf(&carol, note).into_bytes())))
        .unwrap();
    let line = watcher
        .wait_for(|l| l.contains("buddy state:") && l.contains(note), WAIT)
        .unwrap_or_else(|| panic!("pjsua2 did not show our note:\n{}", log()));
    assert!(line.contains("ACTIVE"), "{line}");
    loop {
        match next::<IncomingSubscriptionNotification>(&mut observer, "NOTIFY outcome", &log).await
        {
            IncomingSubscriptionNotification::NotifyDidSucceed(r) => {
                assert_eq!(r.code, 200);
                break;
            }
            IncomingSubscriptionNotification::NotifyDidFail(f) => {
                panic!("NOTIFY failed: {f:?}\n{}", log())
            }
            _ => {}
        }
    }
    assert_eq!(incoming.state(), "active");

    // An update reaches the watcher, then the end.
    let update = "Carol left (sipsimple-rs)";
    incoming
        .push_content(Content::new(PIDF, pidf(&carol, update).into_bytes()))
        .unwrap();
    watcher
        .wait_for(|l| l.contains("buddy state:") && l.contains(update), WAIT)
        .unwrap_or_else(|| panic!("pjsua2 did not show the update:\n{}", log()));
    incoming.end();
    watcher
        .wait_for(
            |l| l.contains("buddy state:") && l.contains("TERMINATED"),
            WAIT,
        )
        .unwrap_or_else(|| panic!("pjsua2 did not see the end:\n{}", log()));
    assert_eq!(incoming.state(), "terminated");
}
