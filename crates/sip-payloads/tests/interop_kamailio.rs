//! Interop through Kamailio's presence server (interop-support starts it on free loopback
//! ports, users alice/bob with digest authentication) with pjsua2 (PJSIP) as the other side:
//!
//! - the PIDF that pjsua2 PUBLISHes arrives in the NOTIFY of our SUBSCRIBE and parses;
//! - the PIDF we build is accepted by Kamailio (PUBLISH with sip-core's Publication) and a
//!   pjsua2 watcher shows its note.
//!
//! Without Kamailio or the pjsua2 venv the tests fail with the install hint, unless
//! `SIPSIMPLE_SKIP_INTEROP=1` is set (then they are skipped with a note). Every wait is
//! bounded; the peers are stopped by PID when dropped.

use std::time::{Duration, Instant};

use bytes::Bytes;
use interop_support::{Kamailio, KamailioOptions, Pjua};
use sip_core::digest::Credentials;
use sip_core::engine::{Engine, EngineConfig};
use sip_core::header::{Contact, FromHeader, Header, HeaderName, NameAddr, Route, ToHeader};
use sip_core::message::{Method, StatusCode};
use sip_core::notification::{NotificationCenter, NotificationData};
use sip_core::publication::{Publication, PublicationNotification};
use sip_core::request::Request;
use sip_core::transaction::{Target, TransportKind};
use sip_core::uri::Uri;
use sip_payloads::Document;
use sip_payloads::pidf::{Basic, Person, Presence, RpidValues, Tuple};
use sip_payloads::{Note, pidf};

const WAIT: Duration = Duration::from_secs(20);

fn engine_config() -> EngineConfig {
    EngineConfig::new()
        .with_ip_address("127.0.0.1".parse().unwrap())
        .with_udp_port(Some(0))
        .with_tcp_port(None)
        .with_incoming_request("NOTIFY")
        .with_user_agent("sip-payloads-interop/1".to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pjsua2_pidf_published_through_kamailio_parses() {
    let Some(kamailio) = Kamailio::start(KamailioOptions::default()) else {
        return;
    };
    let registrar = format!("sip:127.0.0.1:{}", kamailio.sip_port());
    let Some(alice) = Pjua::spawn(
        &[
            "--user",
            "alice",
            "--password",
            "alice123",
            "--registrar",
            &registrar,
            "--publish",
            "--duration",
            "40",
        ],
        None,
    ) else {
        return;
    };
    alice
        .wait_for(|l| l.contains("PUBLISH online/busy sent"), WAIT)
        .unwrap_or_else(|| panic!("pjsua2 did not publish:\n{}", alice.output()));

    let center = NotificationCenter::new();
    let engine = Engine::start(engine_config(), center.clone())
        .await
        .unwrap();
    let mut incoming = engine.incoming_requests().unwrap();
    let port = engine
        .local_port(TransportKind::Udp)
        .await
        .unwrap()
        .expect("udp port");
    let contact = Contact::new(NameAddr::new(
        Uri::parse(&format!("sip:bob@127.0.0.1:{port}")).unwrap(),
    ));
    let route = Route::new(NameAddr::new(
        Uri::parse(&format!("sip:127.0.0.1:{};lr", kamailio.sip_port())).unwrap(),
    ));

    // Subscribe (again, while the publication may still be on its way) until a NOTIFY carries
    // pjsua2's open status.
    let deadline = Instant::now() + WAIT;
    let mut last_body = String::new();
    let presence = 'outer: loop {
        assert!(
            Instant::now() < deadline,
            "no NOTIFY with pjsua2's PIDF; last body:\n{last_body}\nkamailio log:\n{}",
            kamailio.log_text()
        );
        let subscribe = Request::new(
            &engine,
            &center,
            Method::Subscribe,
            Uri::parse("sip:alice@127.0.0.1").unwrap(),
            FromHeader::new(NameAddr::new(Uri::parse("sip:bob@127.0.0.1").unwrap())),
            ToHeader::new(NameAddr::new(Uri::parse("sip:alice@127.0.0.1").unwrap())),
            route.clone(),
        )
        .with_credentials(Credentials::new("bob", "bob123"))
        .with_contact(contact.clone())
        .with_extra_headers(vec![
            Header::new(HeaderName::new("Event"), "presence"),
            Header::new(HeaderName::new("Accept"), "application/pidf+xml"),
            Header::new(HeaderName::new("Expires"), "30"),
        ]);
        let mut observer = center.add_observer(None, Some(subscribe.sender().id()));
        subscribe.send(Some(Duration::from_secs(10))).unwrap();
        // The outcome of the SUBSCRIBE (a 2xx, after the digest challenge).
        let outcome = tokio::time::timeout(WAIT, observer.recv())
            .await
            .expect("no SUBSCRIBE outcome")
            .unwrap();
        assert_eq!(
            outcome.name(),
            "SIPRequestDidSucceed",
            "{:?}",
            outcome.data()
        );
        // NOTIFYs for this subscription.
        let round_end = Instant::now() + Duration::from_secs(3);
        while Instant::now() < round_end {
            let left = round_end.saturating_duration_since(Instant::now());
            let Ok(Some(notify)) = tokio::time::timeout(left, incoming.recv()).await else {
                break;
            };
            let ok = notify
                .request
                .response(StatusCode::new(200).unwrap())
                .to_tag("bobtag")
                .build();
            engine.respond(&notify.key, ok).await.unwrap();
            let body = notify.request.body().clone();
            if body.is_empty() {
                continue;
            }
            last_body = String::from_utf8_lossy(&body).into_owned();
            let presence = Presence::parse(&body)
                .unwrap_or_else(|e| panic!("pjsua2's PIDF does not parse: {e}\n{last_body}"));
            if presence
                .tuples
                .iter()
                .any(|t| t.status.basic == Some(Basic::Open))
            {
                break 'outer presence;
            }
        }
        subscribe.end();
    };
    eprintln!("pjsua2's PIDF as Kamailio notified it:\n{last_body}");
    // pjsua2 published "online", activity busy, note "In a meeting".
    assert!(presence.entity.contains("alice"), "{last_body}");
    let notes: Vec<&str> = presence
        .tuples
        .iter()
        .flat_map(|t| t.notes.iter())
        .chain(presence.persons.iter().flat_map(|p| p.notes.iter()))
        .chain(presence.notes.iter())
        .map(|n| n.text.as_str())
        .collect();
    assert!(
        notes.contains(&"In a meeting"),
        "notes {notes:?} in\n{last_body}"
    );
    let activities: Vec<&str> = presence
        .persons
        .iter()
        .filter_map(|p| p.activities.as_ref())
        .flat_map(|a| a.values.iter().map(String::as_str))
        .collect();
    assert!(
        activities.contains(&"busy"),
        "activities {activities:?} in\n{last_body}"
    );
    // And what we parsed serializes and parses back the same.
    assert_eq!(
        Presence::parse(presence.to_xml().as_bytes()).unwrap(),
        presence
    );
    drop(alice);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_pidf_is_accepted_by_kamailio_and_shown_to_a_pjsua2_watcher() {
    let Some(kamailio) = Kamailio::start(KamailioOptions::default()) else {
        return;
    };
    let center = NotificationCenter::new();
    let engine = Engine::start(engine_config(), center.clone())
        .await
        .unwrap();

    let mut presence = Presence::new("sip:alice@127.0.0.1");
    let mut tuple = Tuple::new("sipsimple-rs-1", Basic::Open);
    tuple.contact = Some(pidf::Contact::new("sip:alice@127.0.0.1"));
    tuple.notes.push(Note::new("Hello from sipsimple-rs"));
    presence.tuples.push(tuple);
    let mut person = Person::new("p1");
    person.activities = Some(RpidValues::new(["on-the-phone"]));
    person.notes.push(Note::new("Hello from sipsimple-rs"));
    presence.persons.push(person);
    let body = presence.to_xml();

    let credentials = std::sync::Arc::new(std::sync::RwLock::new(Credentials::new(
        "alice", "alice123",
    )));
    let publication = Publication::new(
        &engine,
        &center,
        FromHeader::new(NameAddr::new(Uri::parse("sip:alice@127.0.0.1").unwrap())),
        "presence",
        Presence::CONTENT_TYPE,
        Some(credentials),
        120,
    );
    let mut observer = center.add_observer(None, Some(publication.sender().id()));
    let agent = Target::new(kamailio.sip_addr(), TransportKind::Udp);
    publication
        .publish(Some(Bytes::from(body.clone())), agent, Some(WAIT))
        .await
        .unwrap();
    let n = tokio::time::timeout(WAIT, observer.recv())
        .await
        .expect("no publication outcome")
        .unwrap();
    match n.data() {
        NotificationData::Custom(p) => match p.as_any().downcast_ref::<PublicationNotification>() {
            Some(PublicationNotification::DidSucceed(d)) => assert_eq!(d.code, 200),
            other => panic!(
                "PUBLISH of our PIDF failed: {other:?}\n{body}\nkamailio log:\n{}",
                kamailio.log_text()
            ),
        },
        other => panic!("unexpected {other:?}"),
    }

    let registrar = format!("sip:127.0.0.1:{}", kamailio.sip_port());
    let Some(bob) = Pjua::spawn(
        &[
            "--user",
            "bob",
            "--password",
            "bob123",
            "--registrar",
            &registrar,
            "--subscribe",
            "sip:alice@127.0.0.1",
            "--duration",
            "20",
        ],
        None,
    ) else {
        return;
    };
    let line = bob
        .wait_for(
            |l| l.contains("buddy state:") && l.contains("Hello from sipsimple-rs"),
            WAIT,
        )
        .unwrap_or_else(|| {
            panic!(
                "pjsua2 never showed our note; its output:\n{}\nkamailio log:\n{}",
                bob.output(),
                kamailio.log_text()
            )
        });
    eprintln!("pjsua2 watcher: {line}");
    assert!(line.contains("sip:alice@127.0.0.1"), "{line}");
    let _ = publication.end(Some(Duration::from_secs(5))).await;
}
