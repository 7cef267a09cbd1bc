//! Interop with Kamailio (registrar with digest authentication, proxy and presence server) on
//! loopback. Each test starts its own Kamailio on free ports through `interop-support`, which
//! stops it by PID when the test ends.
//!
//! Without kamailio the tests fail (`.ci/run` installs it), unless `SIPSIMPLE_SKIP_INTEROP=1`
//! is set, in which case they are skipped with a note.
#![cfg(feature = "runtime")]

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;
use interop_support::{Kamailio, KamailioOptions};
use sip_core::digest::Credentials;
use sip_core::engine::{Engine, EngineConfig};
use sip_core::header::{Contact, FromHeader, NameAddr, Route, ToHeader};
use sip_core::notification::{Notification, NotificationCenter, NotificationData, Observer};
use sip_core::publication::{Publication, PublicationNotification};
use sip_core::registration::{Registration, RegistrationNotification, SharedCredentials};
use sip_core::request::Message;
use sip_core::transaction::{Target, TransportKind};
use sip_core::transport::TlsOptions;
use sip_core::uri::Uri;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(20);

fn uri(s: &str) -> Uri {
    Uri::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn from(user: &str) -> FromHeader {
    FromHeader::new(NameAddr::new(uri(&format!("sip:{user}@127.0.0.1"))))
}

fn credentials(user: &str, password: &str) -> SharedCredentials {
    Arc::new(RwLock::new(Credentials::new(user, password)))
}

/// An Engine on 127.0.0.1 with UDP and TCP on random ports; TLS client connections trust the
/// Kamailio test CA when `ca` is given.
async fn engine(kamailio: &Kamailio, trust_test_ca: bool) -> (Engine, NotificationCenter) {
    let mut tls = TlsOptions::default();
    if trust_test_ca {
        tls.ca_file = Some(kamailio.ca().ca_pem.clone());
    }
    let config = EngineConfig::new()
        .with_ip_address("127.0.0.1".parse().unwrap())
        .with_udp_port(Some(0))
        .with_tcp_port(Some(0))
        .with_tls_options(tls);
    let center = NotificationCenter::new();
    let engine = Engine::start(config, center.clone()).await.unwrap();
    (engine, center)
}

async fn local_port(engine: &Engine, kind: TransportKind) -> u16 {
    engine.local_port(kind).await.unwrap().unwrap()
}

async fn next(observer: &mut Observer, kamailio: &Kamailio) -> Notification {
    match timeout(WAIT, observer.recv()).await {
        Ok(n) => n.unwrap(),
        Err(_) => panic!(
            "no notification in time; kamailio log:\n{}",
            kamailio.log_text()
        ),
    }
}

fn registration_event(n: &Notification) -> RegistrationNotification {
    n.data()
        .downcast_ref::<RegistrationNotification>()
        .unwrap_or_else(|| panic!("unexpected {n:?}"))
        .clone()
}

fn publication_event(n: &Notification) -> PublicationNotification {
    n.data()
        .downcast_ref::<PublicationNotification>()
        .unwrap_or_else(|| panic!("unexpected {n:?}"))
        .clone()
}

/// The registrar target for `kind` (TLS on its own port).
fn registrar(kamailio: &Kamailio, kind: TransportKind) -> Target {
    let port = match kind {
        TransportKind::Tls => kamailio.tls_port(),
        _ => kamailio.sip_port(),
    };
    Target::new(SocketAddr::from(([127, 0, 0, 1], port)), kind)
}

/// Our contact for `user` on `kind`.
async fn contact(engine: &Engine, user: &str, kind: TransportKind) -> Contact {
    let text = match kind {
        TransportKind::Udp => format!(
            "sip:{user}@127.0.0.1:{}",
            local_port(engine, TransportKind::Udp).await
        ),
        TransportKind::Tcp => format!(
            "sip:{user}@127.0.0.1:{};transport=tcp",
            local_port(engine, TransportKind::Tcp).await
        ),
        // No TLS listener of ours: Kamailio answers on the connection we opened.
        _ => format!(
            "sip:{user}@127.0.0.1:{};transport=tls",
            local_port(engine, TransportKind::Tcp).await
        ),
    };
    Contact::new(NameAddr::new(uri(&text)))
}

/// Registers alice over `kind`, checks the 2xx data, then unregisters.
async fn register_and_end(kind: TransportKind) {
    let Some(kamailio) = Kamailio::start(KamailioOptions::default()) else {
        return;
    };
    let (engine, center) = engine(&kamailio, true).await;
    let registration = Registration::new(
        &engine,
        &center,
        from("alice"),
        Some(credentials("alice", "alice123")),
        600,
    );
    let mut observer = center.add_observer(None, Some(registration.sender().id()));
    let our_contact = contact(&engine, "alice", kind).await;
    registration
        .register(our_contact.clone(), registrar(&kamailio, kind), Some(WAIT))
        .await;
    match registration_event(&next(&mut observer, &kamailio).await) {
        RegistrationNotification::DidSucceed(ok) => {
            assert_eq!(ok.code, 200, "{ok:?}");
            assert!(
                ok.expires_in > 0 && ok.expires_in <= 600,
                "expires_in {}",
                ok.expires_in
            );
            // The registrar lists our binding among the contacts of the address of record.
            let uri_of = |c: &Contact| c.addr.as_ref().map(|a| a.uri().to_string());
            let ours = uri_of(&our_contact);
            assert!(
                ok.contact_header_list.iter().any(|c| uri_of(c) == ours),
                "our contact {ours:?} not in {:?}",
                ok.contact_header_list
            );
            assert_eq!(ok.route_header, registrar(&kamailio, kind));
        }
        other => panic!(
            "unexpected {other:?}; kamailio log:\n{}",
            kamailio.log_text()
        ),
    }
    assert!(registration.is_registered());
    registration.end(Some(WAIT)).await;
    loop {
        match registration_event(&next(&mut observer, &kamailio).await) {
            RegistrationNotification::WillEnd(_) => {}
            RegistrationNotification::DidEnd(end) => {
                assert!(!end.expired);
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(!registration.is_registered());
    engine.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_with_digest_over_udp() {
    register_and_end(TransportKind::Udp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_with_digest_over_tcp() {
    register_and_end(TransportKind::Tcp).await;
}

/// TLS to Kamailio with its certificate verified against the test CA (verify_server is on by
/// default).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_with_digest_over_tls_verifying_the_server() {
    register_and_end(TransportKind::Tls).await;
}

/// Without the test CA among the trusted roots the TLS handshake is refused, and the
/// registration fails instead of talking to an unverified server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_over_tls_fails_when_the_server_certificate_is_untrusted() {
    let Some(kamailio) = Kamailio::start(KamailioOptions::default()) else {
        return;
    };
    let (engine, center) = engine(&kamailio, false).await;
    let registration = Registration::new(
        &engine,
        &center,
        from("alice"),
        Some(credentials("alice", "alice123")),
        600,
    );
    let mut observer = center.add_observer(None, Some(registration.sender().id()));
    let c = contact(&engine, "alice", TransportKind::Tls).await;
    let started = std::time::Instant::now();
    registration
        .register(c, registrar(&kamailio, TransportKind::Tls), Some(WAIT))
        .await;
    match registration_event(&next(&mut observer, &kamailio).await) {
        RegistrationNotification::DidFail(fail) => {
            // a transport error counts as 503 (RFC 3261 §17.1.4), reported at once
            assert_eq!(fail.code, 503, "{fail:?}");
            assert!(
                fail.reason.contains("transport error") && fail.reason.contains("certificate"),
                "reason: {}",
                fail.reason
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the failure must not wait for Timer F"
    );
    assert!(
        !kamailio.log_text().contains("REQ REGISTER"),
        "the REGISTER must not reach the server over an unverified connection"
    );
    engine.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_fails_with_the_code_and_a_clear_reason() {
    let Some(kamailio) = Kamailio::start(KamailioOptions::default()) else {
        return;
    };
    let (engine, center) = engine(&kamailio, true).await;
    let registration = Registration::new(
        &engine,
        &center,
        from("alice"),
        Some(credentials("alice", "not-the-password")),
        600,
    );
    let mut observer = center.add_observer(None, Some(registration.sender().id()));
    let c = contact(&engine, "alice", TransportKind::Udp).await;
    registration
        .register(c, registrar(&kamailio, TransportKind::Udp), Some(WAIT))
        .await;
    match registration_event(&next(&mut observer, &kamailio).await) {
        RegistrationNotification::DidFail(fail) => {
            assert_eq!(fail.code, 401, "{fail:?}");
            assert!(
                fail.reason.contains("credentials rejected") && fail.reason.contains("127.0.0.1"),
                "reason: {}",
                fail.reason
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(!registration.is_registered());
    // Exactly two REGISTERs reached Kamailio: the first and one authenticated retry.
    let registers = kamailio.log_text().matches("REQ REGISTER").count();
    assert_eq!(registers, 2, "kamailio log:\n{}", kamailio.log_text());
    engine.stop().await.unwrap();
}

/// A short registration is refreshed automatically; after the refresh the binding still
/// routes: a MESSAGE from bob to alice's address of record reaches alice's Engine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_keeps_the_binding() {
    let Some(kamailio) = Kamailio::start(KamailioOptions::default()) else {
        return;
    };
    let (alice, alice_center) = engine(&kamailio, true).await;
    let registration = Registration::new(
        &alice,
        &alice_center,
        from("alice"),
        Some(credentials("alice", "alice123")),
        10, // Kamailio's min_expires: refreshed after 5 s
    );
    let mut observer = alice_center.add_observer(None, Some(registration.sender().id()));
    let c = contact(&alice, "alice", TransportKind::Udp).await;
    registration
        .register(c, registrar(&kamailio, TransportKind::Udp), Some(WAIT))
        .await;
    let mut successes = 0;
    while successes < 2 {
        match registration_event(&next(&mut observer, &kamailio).await) {
            RegistrationNotification::DidSucceed(ok) => {
                assert_eq!(ok.code, 200);
                assert!(ok.expires_in <= 10 && ok.expires_in > 0);
                successes += 1;
            }
            RegistrationNotification::WillExpire(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(kamailio.log_text().matches("REQ REGISTER").count(), 3);

    let mut got = alice_center.add_observer(Some("SIPEngineGotMessage"), None);
    let (bob, bob_center) = engine(&kamailio, true).await;
    let message = Message::new(
        &bob,
        &bob_center,
        from("bob"),
        ToHeader::new(NameAddr::new(uri("sip:alice@127.0.0.1"))),
        Route::new(NameAddr::new(uri(&format!(
            "sip:127.0.0.1:{};lr",
            kamailio.sip_port()
        )))),
        "text/plain",
        "still registered?",
    );
    let mut outcome = bob_center.add_observer(None, Some(message.sender().id()));
    message.send(Some(WAIT)).unwrap();
    let n = next(&mut got, &kamailio).await;
    let NotificationData::EngineGotMessage(data) = n.data() else {
        panic!("unexpected {n:?}")
    };
    assert_eq!(data.body.as_deref(), Some(&b"still registered?"[..]));
    assert_eq!(
        next(&mut outcome, &kamailio).await.name(),
        "SIPMessageDidSucceed"
    );

    registration.end(Some(WAIT)).await;
    bob.stop().await.unwrap();
    alice.stop().await.unwrap();
}

fn pidf(entity: &str, note: &str) -> Bytes {
    Bytes::from(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"{entity}\">\n\
         <tuple id=\"t1\"><status><basic>open</basic></status>\
         <contact>{entity}</contact></tuple>\n\
         <note>{note}</note>\n\
         </presence>\n"
    ))
}

/// Kamailio's presence server accepts our PIDF (200 with a SIP-ETag), accepts the refresh that
/// carries only SIP-If-Match (so it kept our entity tag), and removes the state on end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publication_of_pidf_is_accepted_refreshed_and_removed() {
    let Some(kamailio) = Kamailio::start(KamailioOptions::default()) else {
        return;
    };
    let (engine, center) = engine(&kamailio, true).await;
    let publication = Publication::new(
        &engine,
        &center,
        from("alice"),
        "presence",
        "application/pidf+xml",
        Some(credentials("alice", "alice123")),
        600,
    );
    let mut observer = center.add_observer(None, Some(publication.sender().id()));
    let target = registrar(&kamailio, TransportKind::Udp);
    for body in [Some(pidf("sip:alice@127.0.0.1", "at my desk")), None] {
        publication.publish(body, target, Some(WAIT)).await.unwrap();
        match publication_event(&next(&mut observer, &kamailio).await) {
            PublicationNotification::DidSucceed(ok) => {
                assert_eq!(ok.code, 200, "{ok:?}");
                assert!(ok.expires_in > 0);
            }
            other => panic!(
                "unexpected {other:?}; kamailio log:\n{}",
                kamailio.log_text()
            ),
        }
    }
    assert!(publication.is_published());
    assert_eq!(kamailio.log_text().matches("REQ PUBLISH").count(), 2);
    publication.end(Some(WAIT)).await.unwrap();
    loop {
        match publication_event(&next(&mut observer, &kamailio).await) {
            PublicationNotification::WillEnd(_) => {}
            PublicationNotification::DidEnd(end) => {
                assert!(!end.expired);
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    engine.stop().await.unwrap();
}

/// With proxy authentication on, Kamailio challenges our MESSAGE with 407; the Message
/// answers with Proxy-Authorization and succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_through_an_authenticating_proxy_answers_407() {
    let Some(kamailio) = Kamailio::start(KamailioOptions {
        proxy_auth: true,
        ..KamailioOptions::default()
    }) else {
        return;
    };
    // bob registers so that the MESSAGE has somewhere to go
    let (bob, bob_center) = engine(&kamailio, true).await;
    let registration = Registration::new(
        &bob,
        &bob_center,
        from("bob"),
        Some(credentials("bob", "bob123")),
        600,
    );
    let mut reg_observer = bob_center.add_observer(None, Some(registration.sender().id()));
    let c = contact(&bob, "bob", TransportKind::Udp).await;
    registration
        .register(c, registrar(&kamailio, TransportKind::Udp), Some(WAIT))
        .await;
    assert!(matches!(
        registration_event(&next(&mut reg_observer, &kamailio).await),
        RegistrationNotification::DidSucceed(_)
    ));
    let mut got = bob_center.add_observer(Some("SIPEngineGotMessage"), None);

    let (alice, alice_center) = engine(&kamailio, true).await;
    let message = Message::new(
        &alice,
        &alice_center,
        from("alice"),
        ToHeader::new(NameAddr::new(uri("sip:bob@127.0.0.1"))),
        Route::new(NameAddr::new(uri(&format!(
            "sip:127.0.0.1:{};lr",
            kamailio.sip_port()
        )))),
        "text/plain",
        "through the proxy",
    )
    .with_credentials(Credentials::new("alice", "alice123"));
    let mut outcome = alice_center.add_observer(None, Some(message.sender().id()));
    message.send(Some(WAIT)).unwrap();
    assert_eq!(
        next(&mut outcome, &kamailio).await.name(),
        "SIPMessageDidSucceed"
    );
    let n = next(&mut got, &kamailio).await;
    let NotificationData::EngineGotMessage(data) = n.data() else {
        panic!("unexpected {n:?}")
    };
    assert_eq!(data.body.as_deref(), Some(&b"through the proxy"[..]));
    // the first MESSAGE was challenged, the second carried Proxy-Authorization
    assert_eq!(kamailio.log_text().matches("REQ MESSAGE").count(), 2);

    registration.end(Some(WAIT)).await;
    alice.stop().await.unwrap();
    bob.stop().await.unwrap();
}
