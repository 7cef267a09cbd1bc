//! Registration and Publication against a loopback registrar / presence agent built from a
//! second Engine.
#![cfg(feature = "runtime")]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use sip_core::digest::{Credentials, DigestResponse, StoredSecret, verify};
use sip_core::engine::{Engine, EngineConfig};
use sip_core::header::{CSeq, Contact, Expires, FromHeader, HeaderName, NameAddr};
use sip_core::message::{Request, Response, StatusCode};
use sip_core::notification::{NotificationCenter, NotificationData, Observer};
use sip_core::publication::{Publication, PublicationError, PublicationNotification};
use sip_core::registration::{Registration, RegistrationNotification};
use sip_core::transaction::{Target, TransportKind};
use sip_core::uri::Uri;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);
const NONCE: &str = "abcdef0123456789";

fn config() -> EngineConfig {
    EngineConfig::new()
        .with_ip_address("127.0.0.1".parse().unwrap())
        .with_udp_port(Some(0))
        .with_tcp_port(None)
        .with_user_agent("registration-test/1".to_owned())
}

type Script = Box<dyn Fn(&Request, usize) -> Response + Send>;

/// A registrar: answers every REGISTER with `script(request, index)` and records requests.
struct Registrar {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    _engine: Engine,
}

async fn registrar(script: Script) -> Registrar {
    let center = NotificationCenter::new();
    let engine = Engine::start(
        config()
            .with_incoming_request("REGISTER")
            .with_incoming_request("PUBLISH"),
        center,
    )
    .await
    .unwrap();
    let port = engine
        .local_port(TransportKind::Udp)
        .await
        .unwrap()
        .unwrap();
    let mut incoming = engine.incoming_requests().unwrap();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (e, r) = (engine.clone(), requests.clone());
    tokio::spawn(async move {
        while let Some(inc) = incoming.recv().await {
            let n = {
                let mut r = r.lock().unwrap();
                r.push(inc.request.clone());
                r.len() - 1
            };
            let response = script(&inc.request, n);
            let _ = e.respond(&inc.key, response).await;
        }
    });
    Registrar {
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        requests,
        _engine: engine,
    }
}

struct Client {
    registration: Registration,
    observer: Observer,
    _engine: Engine,
}

async fn client(credentials: Option<Arc<RwLock<Credentials>>>, duration: u32) -> Client {
    let center = NotificationCenter::new();
    let engine = Engine::start(config(), center.clone()).await.unwrap();
    let from = FromHeader::new(NameAddr::new(Uri::parse("sip:alice@127.0.0.1").unwrap()));
    let registration = Registration::new(&engine, &center, from, credentials, duration);
    let observer = center.add_observer(None, Some(registration.sender().id()));
    Client {
        registration,
        observer,
        _engine: engine,
    }
}

fn contact() -> Contact {
    Contact::new(NameAddr::new(
        Uri::parse("sip:alice@127.0.0.1:5099").unwrap(),
    ))
}

fn target(r: &Registrar) -> Target {
    Target::new(r.addr, TransportKind::Udp)
}

async fn next(observer: &mut Observer) -> RegistrationNotification {
    let n = timeout(WAIT, observer.recv())
        .await
        .expect("no notification")
        .unwrap();
    match n.data() {
        NotificationData::Custom(p) => p
            .as_any()
            .downcast_ref::<RegistrationNotification>()
            .expect("a registration notification")
            .clone(),
        other => panic!("unexpected {other:?}"),
    }
}

fn requested_expires(req: &Request) -> u32 {
    let contact: Contact = req.headers().typed_first().unwrap().unwrap();
    contact
        .expires()
        .unwrap_or_else(|| req.headers().typed_first::<Expires>().unwrap().unwrap().0)
}

/// A 200 that echoes the request's contact with its expires and adds another binding.
fn ok(req: &Request) -> Response {
    let mut ours: Contact = req.headers().typed_first().unwrap().unwrap();
    let expires = requested_expires(req);
    ours.set_expires(expires);
    let mut other = Contact::new(NameAddr::new(
        Uri::parse("sip:alice@192.0.2.7:5060").unwrap(),
    ));
    other.set_expires(1800);
    req.response(StatusCode::OK)
        .to_tag("reg")
        .typed(&ours)
        .typed(&other)
        .build()
}

fn challenge(req: &Request) -> Response {
    req.response(StatusCode::new(401).unwrap())
        .to_tag("reg")
        .header(
            HeaderName::WwwAuthenticate,
            format!("Digest realm=\"test\", nonce=\"{NONCE}\", qop=\"auth\""),
        )
        .build()
}

/// 401 without valid credentials for password `password`, else 200.
fn digest_script(password: &'static str) -> Script {
    Box::new(move |req, _| {
        let Some(auth) = req.headers().get_str(&HeaderName::Authorization) else {
            return challenge(req);
        };
        let response: DigestResponse = auth.parse().unwrap();
        if response.nonce == NONCE
            && verify(
                &response,
                StoredSecret::Password(password),
                "REGISTER",
                None,
            )
        {
            ok(req)
        } else {
            challenge(req)
        }
    })
}

fn cseq(req: &Request) -> u32 {
    req.headers().typed_first::<CSeq>().unwrap().unwrap().seq
}

fn call_id(req: &Request) -> String {
    req.headers()
        .get_str(&HeaderName::CallId)
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn register_reports_the_contact_list_and_expires() {
    let reg = registrar(Box::new(|req, _| ok(req))).await;
    let mut c = client(None, 600).await;
    c.registration
        .register(contact(), target(&reg), Some(WAIT))
        .await;
    match next(&mut c.observer).await {
        RegistrationNotification::DidSucceed(d) => {
            assert_eq!(d.code, 200);
            assert_eq!(d.expires_in, 600);
            assert_eq!(d.contact_header_list.len(), 2);
            assert_eq!(d.route_header.addr, reg.addr);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(c.registration.is_registered());
    assert!(c.registration.expires_in() > 590);
    assert_eq!(c.registration.peer_address(), Some(reg.addr));
    assert!(c.registration.contact_header().is_some());
    let req = reg.requests.lock().unwrap()[0].clone();
    assert_eq!(req.uri().to_string(), "sip:127.0.0.1");
    assert_eq!(requested_expires(&req), 600);
}

#[tokio::test]
async fn digest_challenge_is_answered_with_verifiable_credentials() {
    let reg = registrar(digest_script("secret")).await;
    let creds = Arc::new(RwLock::new(Credentials::new("alice", "secret")));
    let mut c = client(Some(creds), 300).await;
    c.registration
        .register(contact(), target(&reg), Some(WAIT))
        .await;
    match next(&mut c.observer).await {
        RegistrationNotification::DidSucceed(d) => assert_eq!(d.code, 200),
        other => panic!("unexpected {other:?}"),
    }
    let requests = reg.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 2);
    assert_eq!(call_id(&requests[0]), call_id(&requests[1]));
    assert!(cseq(&requests[1]) > cseq(&requests[0]));
}

#[tokio::test]
async fn wrong_password_fails_with_401() {
    let reg = registrar(digest_script("secret")).await;
    let creds = Arc::new(RwLock::new(Credentials::new("alice", "wrong")));
    let mut c = client(Some(creds), 300).await;
    c.registration
        .register(contact(), target(&reg), Some(WAIT))
        .await;
    match next(&mut c.observer).await {
        RegistrationNotification::DidFail(d) => {
            assert_eq!(d.code, 401);
            assert_eq!(d.route_header.addr, reg.addr);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(!c.registration.is_registered());
    assert_eq!(c.registration.expires_in(), 0);
}

#[tokio::test]
async fn updated_credentials_apply_to_the_next_register() {
    let reg = registrar(digest_script("secret")).await;
    let creds = Arc::new(RwLock::new(Credentials::new("alice", "wrong")));
    let mut c = client(Some(creds.clone()), 300).await;
    c.registration
        .register(contact(), target(&reg), Some(WAIT))
        .await;
    assert!(matches!(
        next(&mut c.observer).await,
        RegistrationNotification::DidFail(_)
    ));
    creds.write().unwrap().set_password("secret");
    c.registration
        .register(contact(), target(&reg), Some(WAIT))
        .await;
    match next(&mut c.observer).await {
        RegistrationNotification::DidSucceed(d) => assert_eq!(d.code, 200),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn interval_too_brief_is_retried_with_min_expires() {
    let reg = registrar(Box::new(|req, _| {
        if requested_expires(req) < 900 {
            req.response(StatusCode::new(423).unwrap())
                .to_tag("reg")
                .header(HeaderName::MinExpires, "900")
                .build()
        } else {
            ok(req)
        }
    }))
    .await;
    let mut c = client(None, 60).await;
    c.registration
        .register(contact(), target(&reg), Some(WAIT))
        .await;
    match next(&mut c.observer).await {
        RegistrationNotification::DidSucceed(d) => assert_eq!(d.expires_in, 900),
        other => panic!("unexpected {other:?}"),
    }
    let requests = reg.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 2);
    assert_eq!(requested_expires(&requests[0]), 60);
    assert_eq!(requested_expires(&requests[1]), 900);
    assert_eq!(c.registration.duration(), 900);
}

#[tokio::test]
async fn registration_refreshes_itself_before_expiry() {
    let reg = registrar(Box::new(|req, _| ok(req))).await;
    let mut c = client(None, 2).await;
    c.registration
        .register(contact(), target(&reg), Some(WAIT))
        .await;
    assert!(matches!(
        next(&mut c.observer).await,
        RegistrationNotification::DidSucceed(_)
    ));
    match next(&mut c.observer).await {
        RegistrationNotification::WillExpire(d) => assert!(d.expires <= 2),
        other => panic!("unexpected {other:?}"),
    }
    match next(&mut c.observer).await {
        RegistrationNotification::DidSucceed(d) => assert_eq!(d.expires_in, 2),
        other => panic!("unexpected {other:?}"),
    }
    assert!(c.registration.is_registered());
    let requests = reg.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 2);
    assert_eq!(call_id(&requests[0]), call_id(&requests[1]));
    assert_eq!(cseq(&requests[1]), cseq(&requests[0]) + 1);
}

#[tokio::test]
async fn end_sends_expires_zero_and_posts_did_end() {
    let reg = registrar(Box::new(|req, _| ok(req))).await;
    let mut c = client(None, 600).await;
    c.registration
        .register(contact(), target(&reg), Some(WAIT))
        .await;
    assert!(matches!(
        next(&mut c.observer).await,
        RegistrationNotification::DidSucceed(_)
    ));
    c.registration.end(Some(WAIT)).await;
    assert!(matches!(
        next(&mut c.observer).await,
        RegistrationNotification::WillEnd(_)
    ));
    match next(&mut c.observer).await {
        RegistrationNotification::DidEnd(d) => assert!(!d.expired),
        other => panic!("unexpected {other:?}"),
    }
    assert!(!c.registration.is_registered());
    let requests = reg.requests.lock().unwrap().clone();
    let last = requests.last().unwrap();
    assert_eq!(requested_expires(last), 0);
    assert_eq!(
        last.headers().typed_first::<Expires>().unwrap(),
        Some(Expires(0))
    );
}

#[tokio::test]
async fn end_when_not_registered_does_nothing() {
    let c = client(None, 600).await;
    c.registration.end(Some(WAIT)).await;
    let mut observer = c.observer;
    assert!(observer.try_recv().is_err());
}

#[tokio::test]
async fn rejected_unregister_posts_did_not_end() {
    let reg = registrar(Box::new(|req, n| {
        if n == 0 {
            ok(req)
        } else {
            req.response(StatusCode::new(500).unwrap())
                .to_tag("reg")
                .build()
        }
    }))
    .await;
    let mut c = client(None, 600).await;
    c.registration
        .register(contact(), target(&reg), Some(WAIT))
        .await;
    assert!(matches!(
        next(&mut c.observer).await,
        RegistrationNotification::DidSucceed(_)
    ));
    c.registration.end(Some(WAIT)).await;
    assert!(matches!(
        next(&mut c.observer).await,
        RegistrationNotification::WillEnd(_)
    ));
    match next(&mut c.observer).await {
        RegistrationNotification::DidNotEnd(d) => assert_eq!(d.code, 500),
        other => panic!("unexpected {other:?}"),
    }
    assert!(c.registration.is_registered());
}

struct Publisher {
    publication: Publication,
    observer: Observer,
    _engine: Engine,
}

async fn publisher() -> Publisher {
    let center = NotificationCenter::new();
    let engine = Engine::start(config(), center.clone()).await.unwrap();
    let from = FromHeader::new(NameAddr::new(Uri::parse("sip:alice@127.0.0.1").unwrap()));
    let publication = Publication::new(
        &engine,
        &center,
        from,
        "presence",
        "application/pidf+xml",
        None,
        600,
    );
    let observer = center.add_observer(None, Some(publication.sender().id()));
    Publisher {
        publication,
        observer,
        _engine: engine,
    }
}

async fn next_publication(observer: &mut Observer) -> PublicationNotification {
    let n = timeout(WAIT, observer.recv())
        .await
        .expect("no notification")
        .unwrap();
    match n.data() {
        NotificationData::Custom(p) => p
            .as_any()
            .downcast_ref::<PublicationNotification>()
            .expect("a publication notification")
            .clone(),
        other => panic!("unexpected {other:?}"),
    }
}

fn if_match(req: &Request) -> Option<String> {
    req.headers()
        .get_str(&HeaderName::SipIfMatch)
        .map(str::to_owned)
}

fn published(req: &Request, etag: &str) -> Response {
    req.response(StatusCode::OK)
        .to_tag("pa")
        .header(HeaderName::SipETag, etag.to_owned())
        .header(HeaderName::Expires, "600")
        .build()
}

const PIDF: &[u8] = b"<presence/>";

#[tokio::test]
async fn publish_gets_an_etag_and_refresh_carries_if_match_without_body() {
    let agent = registrar(Box::new(|req, n| published(req, &format!("e{n}")))).await;
    let mut p = publisher().await;
    p.publication
        .publish(
            Some(bytes::Bytes::from_static(PIDF)),
            target(&agent),
            Some(WAIT),
        )
        .await
        .unwrap();
    match next_publication(&mut p.observer).await {
        PublicationNotification::DidSucceed(d) => {
            assert_eq!(d.code, 200);
            assert_eq!(d.expires_in, 600);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(p.publication.is_published());
    p.publication
        .publish(None, target(&agent), Some(WAIT))
        .await
        .unwrap();
    assert!(matches!(
        next_publication(&mut p.observer).await,
        PublicationNotification::DidSucceed(_)
    ));
    let requests = agent.requests.lock().unwrap().clone();
    assert_eq!(
        requests[0].headers().get_str(&HeaderName::Event),
        Some("presence")
    );
    assert_eq!(
        requests[0].headers().get_str(&HeaderName::ContentType),
        Some("application/pidf+xml")
    );
    assert_eq!(&requests[0].body()[..], PIDF);
    assert_eq!(if_match(&requests[0]), None);
    assert_eq!(if_match(&requests[1]).as_deref(), Some("e0"));
    assert!(requests[1].body().is_empty());
}

#[tokio::test]
async fn conditional_request_failed_starts_over_with_a_fresh_publish() {
    let agent = registrar(Box::new(|req, n| {
        if n == 1 {
            req.response(StatusCode::new(412).unwrap())
                .to_tag("pa")
                .build()
        } else {
            published(req, &format!("e{n}"))
        }
    }))
    .await;
    let mut p = publisher().await;
    p.publication
        .publish(
            Some(bytes::Bytes::from_static(PIDF)),
            target(&agent),
            Some(WAIT),
        )
        .await
        .unwrap();
    assert!(matches!(
        next_publication(&mut p.observer).await,
        PublicationNotification::DidSucceed(_)
    ));
    p.publication
        .publish(None, target(&agent), Some(WAIT))
        .await
        .unwrap();
    assert!(matches!(
        next_publication(&mut p.observer).await,
        PublicationNotification::DidSucceed(_)
    ));
    let requests = agent.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 3);
    assert_eq!(if_match(&requests[1]).as_deref(), Some("e0"));
    assert_eq!(if_match(&requests[2]), None);
    assert_eq!(&requests[2].body()[..], PIDF);
    assert!(p.publication.is_published());
}

#[tokio::test]
async fn end_publication_sends_expires_zero_and_posts_did_end() {
    let agent = registrar(Box::new(|req, n| published(req, &format!("e{n}")))).await;
    let mut p = publisher().await;
    assert_eq!(
        p.publication
            .publish(None, target(&agent), Some(WAIT))
            .await,
        Err(PublicationError::NoBody)
    );
    assert_eq!(
        p.publication.end(Some(WAIT)).await,
        Err(PublicationError::NotPublished)
    );
    p.publication
        .publish(
            Some(bytes::Bytes::from_static(PIDF)),
            target(&agent),
            Some(WAIT),
        )
        .await
        .unwrap();
    assert!(matches!(
        next_publication(&mut p.observer).await,
        PublicationNotification::DidSucceed(_)
    ));
    p.publication.end(Some(WAIT)).await.unwrap();
    assert!(matches!(
        next_publication(&mut p.observer).await,
        PublicationNotification::WillEnd(_)
    ));
    match next_publication(&mut p.observer).await {
        PublicationNotification::DidEnd(d) => assert!(!d.expired),
        other => panic!("unexpected {other:?}"),
    }
    assert!(!p.publication.is_published());
    let requests = agent.requests.lock().unwrap().clone();
    let last = requests.last().unwrap();
    assert_eq!(
        last.headers().typed_first::<Expires>().unwrap(),
        Some(Expires(0))
    );
    assert_eq!(if_match(last).as_deref(), Some("e0"));
    assert!(last.body().is_empty());
}

#[tokio::test]
async fn failed_refresh_lets_the_registration_expire() {
    let reg = registrar(Box::new(|req, n| {
        if n == 0 {
            ok(req)
        } else {
            req.response(StatusCode::new(503).unwrap())
                .to_tag("reg")
                .build()
        }
    }))
    .await;
    let mut c = client(None, 2).await;
    c.registration
        .register(contact(), target(&reg), Some(WAIT))
        .await;
    assert!(matches!(
        next(&mut c.observer).await,
        RegistrationNotification::DidSucceed(_)
    ));
    assert!(matches!(
        next(&mut c.observer).await,
        RegistrationNotification::WillExpire(_)
    ));
    match next(&mut c.observer).await {
        RegistrationNotification::DidFail(d) => assert_eq!(d.code, 503),
        other => panic!("unexpected {other:?}"),
    }
    match next(&mut c.observer).await {
        RegistrationNotification::DidEnd(d) => assert!(d.expired),
        other => panic!("unexpected {other:?}"),
    }
    assert!(!c.registration.is_registered());
}

/// A second register() while the first REGISTER waits for its answer pre-empts it: only the
/// second reports, and the late answer to the first changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_pre_empts_a_register_in_flight() {
    let server = Engine::start(
        config().with_incoming_request("REGISTER"),
        NotificationCenter::new(),
    )
    .await
    .unwrap();
    let port = server
        .local_port(TransportKind::Udp)
        .await
        .unwrap()
        .unwrap();
    let mut incoming = server.incoming_requests().unwrap();
    let registrar = Target::new(SocketAddr::from(([127, 0, 0, 1], port)), TransportKind::Udp);
    let Client {
        registration,
        mut observer,
        _engine,
    } = client(None, 600).await;
    let registration = Arc::new(registration);

    let r = registration.clone();
    let first = tokio::spawn(async move { r.register(contact(), registrar, Some(WAIT)).await });
    // the first REGISTER arrives and is left unanswered
    let held = timeout(WAIT, incoming.recv()).await.unwrap().unwrap();
    let r = registration.clone();
    let second = tokio::spawn(async move { r.register(contact(), registrar, Some(WAIT)).await });
    let fresh = timeout(WAIT, incoming.recv()).await.unwrap().unwrap();
    assert_eq!(call_id(&fresh.request), call_id(&held.request));
    assert!(cseq(&fresh.request) > cseq(&held.request));
    // the pre-empted call has returned without an outcome of its own
    timeout(WAIT, first).await.unwrap().unwrap();
    assert!(observer.try_recv().is_err());

    server
        .respond(&fresh.key, ok(&fresh.request))
        .await
        .unwrap();
    timeout(WAIT, second).await.unwrap().unwrap();
    assert!(matches!(
        next(&mut observer).await,
        RegistrationNotification::DidSucceed(_)
    ));
    // a late answer to the pre-empted REGISTER posts nothing
    server.respond(&held.key, ok(&held.request)).await.unwrap();
    assert!(
        timeout(Duration::from_millis(300), observer.recv())
            .await
            .is_err()
    );
    assert!(registration.is_registered());
    server.stop().await.unwrap();
}
