//! Runtime tests on loopback: TCP and TLS sessions, a multi-megabyte transfer checked by its
//! SHA-1, CPIM chat both ways, two sessions sharing one connection, and back-pressure.
#![cfg(feature = "runtime")]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use sha1::{Digest, Sha1};
use sip_msrp::cpim::{CpimIdentity, CpimMessage};
use sip_msrp::runtime::{
    MsrpConnectionHandle, MsrpListener, SendOutcome, SessionHandle, TlsClient, connect,
};
use sip_msrp::{
    FailureReport, Limits, MsrpSession, MsrpUri, OutgoingMessage, SessionConfig, SessionEvent,
};

const GUARD: Duration = Duration::from_secs(60);

fn payload(n: usize) -> Bytes {
    (0..n)
        .map(|i| (i.wrapping_mul(131) ^ (i >> 9)) as u8)
        .collect::<Vec<u8>>()
        .into()
}

fn config() -> SessionConfig {
    SessionConfig {
        chunk_size: 64 * 1024 - 512,
        max_incoming_size: 16 * 1024 * 1024,
        ..SessionConfig::default()
    }
}

fn limits() -> Limits {
    Limits {
        max_body: 64 * 1024,
        ..Limits::default()
    }
}

/// Bob listens, Alice connects; returns (alice, bob, alice's connection, listener).
async fn pair(
    secure: bool,
    tls: Option<(TlsClient, Arc<rustls::ServerConfig>)>,
    n: u32,
) -> (
    SessionHandle,
    SessionHandle,
    MsrpConnectionHandle,
    MsrpListener,
) {
    let (client, server) = match tls {
        Some((c, s)) => (Some(c), Some(s)),
        None => (None, None),
    };
    let listener = MsrpListener::bind("127.0.0.1:0".parse().unwrap(), server, limits())
        .await
        .unwrap();
    let port = listener.local_addr().port();
    let a = MsrpUri::new(secure, "127.0.0.1", 50000, format!("alice{n}"));
    let b = MsrpUri::new(secure, "127.0.0.1", port, format!("bob{n}"));
    let bob = listener
        .expect_session(MsrpSession::new(config(), b.clone(), vec![a.clone()], 2))
        .unwrap();
    let conn = connect(listener.local_addr(), client, limits())
        .await
        .unwrap();
    let alice = conn
        .start_session(MsrpSession::new(config(), a, vec![b], 1))
        .await
        .unwrap();
    (alice, bob, conn, listener)
}

async fn transfer_and_check(alice: &SessionHandle, bob: &mut SessionHandle, size: usize) {
    let data = payload(size);
    let send = alice.send_queued(
        OutgoingMessage::new("application/octet-stream", data.clone()).with_success_report(true),
    );
    let fut = send.await.unwrap();
    let got = tokio::time::timeout(GUARD, async {
        match bob.next_event().await.expect("event") {
            SessionEvent::MessageReceived(m) => m,
            other => panic!("{other:?}"),
        }
    })
    .await
    .unwrap();
    let outcome = tokio::time::timeout(GUARD, fut).await.unwrap().unwrap();
    assert!(
        matches!(outcome, SendOutcome::Delivered { .. }),
        "{outcome:?}"
    );
    assert_eq!(got.size, size as u64);
    assert_eq!(Sha1::digest(&got.body), Sha1::digest(&data));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_session_transfers_megabytes_in_chunks() {
    let (alice, mut bob, _conn, _l) = pair(false, None, 1).await;
    transfer_and_check(&alice, &mut bob, 3 * 1024 * 1024 + 17).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cpim_chat_both_ways_with_reports() {
    let (mut alice, mut bob, _conn, _l) = pair(false, None, 2).await;
    let mut cpim = CpimMessage::new("text/plain", "Hello Bob");
    cpim.from = Some(CpimIdentity::new(Some("Alice"), "sip:alice@example.com"));
    cpim.to.push(CpimIdentity::new(None, "sip:bob@example.com"));
    cpim.datetime = Some("2026-11-22T23:00:00Z".into());
    let msg = OutgoingMessage::new("message/cpim", cpim.to_bytes())
        .with_success_report(true)
        .with_failure_report(FailureReport::Partial);
    let out = tokio::time::timeout(GUARD, alice.send(msg))
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(out, SendOutcome::Delivered { .. }));
    let SessionEvent::MessageReceived(m) = bob.next_event().await.unwrap() else {
        panic!()
    };
    assert_eq!(m.content_type.as_deref(), Some("message/cpim"));
    assert_eq!(CpimMessage::parse(&m.body).unwrap(), cpim);

    // And back, acknowledged by a 200 only.
    let out = bob
        .send(OutgoingMessage::new("text/plain", "Hi Alice"))
        .await
        .unwrap();
    assert!(matches!(out, SendOutcome::Acknowledged { .. }));
    let SessionEvent::MessageReceived(m) = alice.next_event().await.unwrap() else {
        panic!()
    };
    assert_eq!(&m.body[..], b"Hi Alice");
    // Failure-Report: no resolves when written.
    let out = bob
        .send(OutgoingMessage::new("text/plain", "bye").with_failure_report(FailureReport::No))
        .await
        .unwrap();
    assert!(matches!(out, SendOutcome::Sent { .. }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sessions_share_one_connection() {
    let (alice, mut bob, conn, listener) = pair(false, None, 3).await;
    let port = listener.local_addr().port();
    let a2 = MsrpUri::new(false, "127.0.0.1", 50000, "alice3second");
    let b2 = MsrpUri::new(false, "127.0.0.1", port, "bob3second");
    let mut bob2 = listener
        .expect_session(MsrpSession::new(config(), b2.clone(), vec![a2.clone()], 4))
        .unwrap();
    let alice2 = conn
        .start_session(MsrpSession::new(config(), a2, vec![b2], 3))
        .await
        .unwrap();
    let (r1, r2) = tokio::join!(
        transfer_and_check(&alice, &mut bob, 700_000),
        transfer_and_check(&alice2, &mut bob2, 900_000)
    );
    let _ = (r1, r2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_session_is_refused_with_481() {
    let listener = MsrpListener::bind("127.0.0.1:0".parse().unwrap(), None, limits())
        .await
        .unwrap();
    let port = listener.local_addr().port();
    let a = MsrpUri::new(false, "127.0.0.1", 50000, "alice4");
    let b = MsrpUri::new(false, "127.0.0.1", port, "nobodyhere");
    let conn = connect(listener.local_addr(), None, limits())
        .await
        .unwrap();
    let alice = conn
        .start_session(MsrpSession::new(config(), a, vec![b], 1))
        .await
        .unwrap();
    let err = tokio::time::timeout(
        GUARD,
        alice.send(OutgoingMessage::new("text/plain", "anyone?")),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert!(
        matches!(
            err,
            sip_msrp::runtime::MsrpError::DeliveryFailed { code: 481, .. }
        ),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_consumer_pushes_back_on_the_sender() {
    let (alice, mut bob, _conn, _l) = pair(false, None, 5).await;
    let mut pending = Vec::new();
    for i in 0..300u32 {
        let body = Bytes::from(vec![(i % 251) as u8; 16 * 1024]);
        pending.push(
            alice
                .send_queued(OutgoingMessage::new("text/plain", body))
                .await
                .unwrap(),
        );
    }
    let all = futures_all(pending);
    tokio::pin!(all);
    // Bob reads nothing: the sender cannot finish.
    assert!(
        tokio::time::timeout(Duration::from_millis(500), &mut all)
            .await
            .is_err()
    );
    // Bob drains; everything completes, in order.
    let reader = async {
        for i in 0..300u32 {
            let SessionEvent::MessageReceived(m) = bob.next_event().await.unwrap() else {
                panic!()
            };
            assert_eq!(m.body[0], (i % 251) as u8);
        }
    };
    let (results, ()) = tokio::time::timeout(GUARD, async { tokio::join!(&mut all, reader) })
        .await
        .unwrap();
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Ok(SendOutcome::Acknowledged { .. })))
    );
}

async fn futures_all<F: Future>(fs: Vec<F>) -> Vec<F::Output> {
    let mut out = Vec::with_capacity(fs.len());
    for f in fs {
        out.push(f.await);
    }
    out
}

fn tls_configs() -> (TlsClient, Arc<rustls::ServerConfig>) {
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let cert: CertificateDer<'static> = ck.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.key_pair.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (
        TlsClient {
            config: Arc::new(client),
            server_name: ServerName::try_from("localhost").unwrap(),
        },
        Arc::new(server),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_session_transfers_megabytes_in_chunks() {
    let (alice, mut bob, _conn, _l) = pair(true, Some(tls_configs()), 6).await;
    transfer_and_check(&alice, &mut bob, 2 * 1024 * 1024 + 5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_an_untrusted_certificate_fails() {
    let (_, server) = tls_configs();
    let (client, _) = tls_configs(); // trusts a different certificate
    let listener = MsrpListener::bind("127.0.0.1:0".parse().unwrap(), Some(server), limits())
        .await
        .unwrap();
    let r = connect(listener.local_addr(), Some(client), limits()).await;
    assert!(matches!(r, Err(sip_msrp::runtime::MsrpError::Io(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunk_mode_streams_a_large_file_in_64k_chunks() {
    let cfg = SessionConfig {
        chunk_size: 64 * 1024,
        incoming_mode: sip_msrp::IncomingMode::Chunks,
        ..SessionConfig::default()
    };
    let limits = Limits {
        max_body: 64 * 1024,
        ..Limits::default()
    };
    // The receiver drops its handle as soon as the message is complete: the 200 for the
    // last chunk must still go out.
    for round in 0..3u32 {
        let listener = MsrpListener::bind("127.0.0.1:0".parse().unwrap(), None, limits)
            .await
            .unwrap();
        let a = MsrpUri::new(false, "127.0.0.1", 50000, format!("alice7r{round}"));
        let b = MsrpUri::new(
            false,
            "127.0.0.1",
            listener.local_addr().port(),
            format!("bob7r{round}"),
        );
        let mut bob = listener
            .expect_session(MsrpSession::new(cfg.clone(), b.clone(), vec![a.clone()], 2))
            .unwrap();
        let conn = connect(listener.local_addr(), None, limits).await.unwrap();
        let alice = conn
            .start_session(MsrpSession::new(cfg.clone(), a, vec![b], 1))
            .await
            .unwrap();
        let data = payload(16 * 1024 * 1024);
        let expected = Sha1::digest(&data);
        let reader = tokio::spawn(async move {
            let mut h = Sha1::new();
            let mut next = 1u64;
            loop {
                match bob.next_event().await.expect("event") {
                    SessionEvent::ChunkReceived(c) => {
                        assert_eq!(c.start, next);
                        next += c.data.len() as u64;
                        h.update(&c.data);
                    }
                    SessionEvent::MessageReceived(m) => {
                        assert_eq!(m.size, next - 1);
                        break h.finalize();
                    }
                    other => panic!("{other:?}"),
                }
            }
        });
        let out = tokio::time::timeout(
            GUARD,
            alice.send(OutgoingMessage::new("application/octet-stream", data)),
        )
        .await
        .expect("in time")
        .unwrap();
        assert!(matches!(out, SendOutcome::Acknowledged { .. }));
        assert_eq!(
            tokio::time::timeout(GUARD, reader).await.unwrap().unwrap(),
            expected
        );
    }
}

/// After AUTH, the connection renews the relay reservation before its Expires runs out: a
/// relay on loopback grants 60 s and sees the refreshing AUTH (with credentials) 45 s later,
/// on virtual time.
#[tokio::test(start_paused = true)]
async fn relay_reservation_is_refreshed_before_expires() {
    use bytes::BytesMut;
    use sip_core::digest::Credentials;
    use sip_msrp::{DecodedFrame, Decoder, MsrpMessage, RelayAuth, StartLine};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::time::Instant;

    let relay_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = relay_listener.local_addr().unwrap().port();
    let relay_uri: MsrpUri = format!("msrp://127.0.0.1:{port};tcp").parse().unwrap();
    let relay_self = relay_uri.clone();
    // The relay: 401 to an AUTH without credentials, 200 (Expires 60) to one with them;
    // reports when each authorized AUTH arrived.
    let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel();
    let relay = tokio::spawn(async move {
        let (mut s, _) = relay_listener.accept().await.unwrap();
        let mut buf = BytesMut::new();
        let mut dec = Decoder::new(Limits::default());
        let mut n = 0u32;
        loop {
            while let Some(DecodedFrame::Message(m)) = dec.decode(&mut buf).unwrap() {
                if m.method().map(|m| m.as_str()) != Some("AUTH") {
                    continue;
                }
                let mut r;
                if m.headers.authorization.is_none() {
                    n += 1;
                    r = MsrpMessage::response_to(&m, 401, "Unauthorized", &relay_self);
                    r.headers.www_authenticate.push(format!(
                        r#"Digest realm="relay", nonce="nonce{n}", qop="auth""#
                    ));
                } else {
                    r = MsrpMessage::response_to(&m, 200, "OK", &relay_self);
                    r.headers.use_path = vec![relay_self.clone()];
                    r.headers.expires = Some(60);
                    let _ = seen_tx.send(Instant::now());
                }
                assert!(matches!(r.start, StartLine::Response { .. }));
                s.write_all(&r.to_bytes()).await.unwrap();
            }
            if s.read_buf(&mut buf).await.unwrap() == 0 {
                return;
            }
        }
    });
    let conn = connect(format!("127.0.0.1:{port}").parse().unwrap(), None, limits())
        .await
        .unwrap();
    let me = MsrpUri::new(false, "127.0.0.1", conn.local_addr().port(), "refresher1");
    let auth = RelayAuth::new(relay_uri.clone(), me, Credentials::new("alice", "pw"), 9);
    let (use_path, expires) = conn.authenticate(auth).await.unwrap();
    assert_eq!(use_path, vec![relay_uri]);
    assert_eq!(expires, Some(60));
    let granted = seen_rx.recv().await.unwrap();
    // Nothing else happens until the refresh, which comes well before the 60 s are over.
    let refreshed = tokio::time::timeout(Duration::from_secs(120), seen_rx.recv())
        .await
        .expect("no refreshing AUTH within 120 s")
        .expect("relay ended");
    let after = refreshed - granted;
    assert!(
        after >= Duration::from_secs(45) && after < Duration::from_secs(46),
        "refreshed after {after:?}"
    );
    // And again after the next grant.
    let again = tokio::time::timeout(Duration::from_secs(120), seen_rx.recv())
        .await
        .expect("no second refresh within 120 s")
        .expect("relay ended");
    assert!(
        again - refreshed >= Duration::from_secs(45) && again - refreshed < Duration::from_secs(46)
    );
    drop(conn);
    relay.abort();
}

/// A streamed file: read from its source while it is sent, received byte for byte; a source
/// that ends early aborts the message and fails the send.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_file_from_a_reader() {
    let (alice, mut bob, _conn, _l) = pair(false, None, 40).await;
    let data = payload(3 * 1024 * 1024 + 77);
    let expected = Sha1::digest(&data);
    let receiver = tokio::spawn(async move {
        let mut got = Vec::new();
        loop {
            match bob.next_event().await {
                Some(SessionEvent::MessageReceived(m)) => return (m.body, got, bob),
                Some(SessionEvent::ChunkReceived(c)) => got.push(c),
                Some(_) => {}
                None => panic!("session ended"),
            }
        }
    });
    let source = std::io::Cursor::new(data.to_vec());
    let msg = OutgoingMessage::streamed("application/octet-stream", data.len() as u64);
    let out = tokio::time::timeout(GUARD, alice.send_stream(msg, source))
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(out, SendOutcome::Acknowledged { .. }));
    let (body, _, mut bob) = tokio::time::timeout(GUARD, receiver)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(Sha1::digest(&body), expected);

    // A source shorter than the size it announced.
    let short = std::io::Cursor::new(data[..200_000].to_vec());
    let msg = OutgoingMessage::streamed("application/octet-stream", data.len() as u64);
    let err = tokio::time::timeout(GUARD, alice.send_stream(msg, short))
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(err, sip_msrp::runtime::MsrpError::Io(_)),
        "{err:?}"
    );
    let aborted = tokio::time::timeout(GUARD, async {
        loop {
            match bob.next_event().await {
                Some(SessionEvent::MessageAborted { .. }) => return true,
                Some(SessionEvent::MessageReceived(_)) => return false,
                Some(_) => {}
                None => return false,
            }
        }
    })
    .await
    .unwrap();
    assert!(aborted);
}
