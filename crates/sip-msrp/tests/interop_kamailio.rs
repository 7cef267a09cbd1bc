//! Interop with Kamailio's MSRP relay (RFC 4976) on loopback, started by `interop-support`:
//! two of our endpoints, each authenticated to the relay with digest (alice/alice123,
//! bob/bob123), exchange chat messages with success reports and a multi-megabyte file in
//! chunks of 8 KiB (the relay relays frames of at most 14,338 bytes), over TCP and over TLS, checked
//! byte for byte by its SHA-1.
//!
//! Without kamailio installed the tests fail (`.ci/run` installs it), unless
//! `SIPSIMPLE_SKIP_INTEROP=1` is set, in which case they are skipped with a note.
#![cfg(feature = "runtime")]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use interop_support::{Kamailio, KamailioOptions};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use sha1::{Digest, Sha1};
use sip_core::digest::Credentials;
use sip_msrp::runtime::{MsrpConnectionHandle, SendOutcome, SessionHandle, TlsClient, connect};
use sip_msrp::{
    FailureReport, Limits, MsrpSession, MsrpUri, OutgoingMessage, RelayAuth, SessionConfig,
    SessionEvent,
};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(60);

fn config() -> SessionConfig {
    SessionConfig {
        // Kamailio's msrp module relays frames of at most 14,338 bytes (4 KiB of headers and
        // 10 KiB of body, MSRP_MAX_FRAME_SIZE); its TCP reader drops larger ones as a
        // "buffer overrun". 8 KiB chunks leave room for the path headers the relays grow.
        chunk_size: 8 * 1024,
        max_incoming_size: 16 * 1024 * 1024,
        ..SessionConfig::default()
    }
}

fn tls_client(kamailio: &Kamailio) -> TlsClient {
    let ca = CertificateDer::from_pem_file(&kamailio.ca().ca_pem).expect("CA PEM");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    TlsClient {
        config: Arc::new(config),
        server_name: ServerName::try_from("localhost").unwrap(),
    }
}

/// The relay's MSRP and error lines, for failure messages.
fn relay_log(kamailio: &Kamailio) -> String {
    kamailio
        .log_text()
        .lines()
        .filter(|l| l.contains("MSRP") || l.contains("ERROR") || l.contains("WARNING"))
        .collect::<Vec<_>>()
        .join("\n")
}

struct Endpoint {
    conn: MsrpConnectionHandle,
    uri: MsrpUri,
    use_path: Vec<MsrpUri>,
}

impl Endpoint {
    /// Our SDP a=path: the relay's Use-Path, then our URI.
    fn sdp_path(&self) -> Vec<MsrpUri> {
        let mut p = self.use_path.clone();
        p.push(self.uri.clone());
        p
    }
}

async fn endpoint(
    kamailio: &Kamailio,
    secure: bool,
    user: &str,
    password: &str,
    local_port: u16,
) -> Endpoint {
    let port = if secure {
        kamailio.msrps_port()
    } else {
        kamailio.msrp_port()
    };
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let tls = secure.then(|| tls_client(kamailio));
    let limits = Limits {
        max_body: 64 * 1024,
        ..Limits::default()
    };
    let conn = connect(addr, tls, limits)
        .await
        .expect("connect to the relay");
    let relay = MsrpUri {
        secure,
        user: None,
        host: "127.0.0.1".into(),
        port: Some(port),
        session_id: None,
        transport: "tcp".into(),
        params: Vec::new(),
    };
    // Kamailio sends responses for the last hop to the address in our URI: make it the
    // address of our connection to it.
    let uri = MsrpUri::with_random_session(
        secure,
        "127.0.0.1",
        conn.local_addr().port(),
        &mut <rand::rngs::StdRng as rand::SeedableRng>::from_os_rng(),
    );
    let mut auth = RelayAuth::new(
        relay,
        uri.clone(),
        Credentials::new(user, password),
        u64::from(local_port),
    );
    auth.set_expires(Some(600));
    let (use_path, expires) = timeout(WAIT, conn.authenticate(auth))
        .await
        .expect("AUTH answered in time")
        .unwrap_or_else(|e| {
            panic!(
                "AUTH as {user}: {e}\nkamailio log:\n{}",
                relay_log(kamailio)
            )
        });
    assert!(!use_path.is_empty());
    assert!(
        expires.is_some_and(|e| e > 0),
        "Expires granted: {expires:?}"
    );
    Endpoint {
        conn,
        uri,
        use_path,
    }
}

/// Alice and Bob through the relay; returns their sessions.
async fn sessions(kamailio: &Kamailio, secure: bool) -> (SessionHandle, SessionHandle) {
    let alice = endpoint(kamailio, secure, "alice", "alice123", 41001).await;
    let bob = endpoint(kamailio, secure, "bob", "bob123", 41002).await;
    // To-Path: our relay, then the peer's SDP path.
    let mut a_to = alice.use_path.clone();
    a_to.extend(bob.sdp_path());
    let mut b_to = bob.use_path.clone();
    b_to.extend(alice.sdp_path());
    let b = bob
        .conn
        .start_session(MsrpSession::new(config(), bob.uri.clone(), b_to, 2))
        .await
        .unwrap();
    let a = alice
        .conn
        .start_session(MsrpSession::new(config(), alice.uri.clone(), a_to, 1))
        .await
        .unwrap();
    (a, b)
}

async fn receive(s: &mut SessionHandle, kamailio: &Kamailio) -> sip_msrp::IncomingMessage {
    loop {
        let ev = timeout(WAIT, s.next_event())
            .await
            .unwrap_or_else(|_| {
                panic!("no message in time; kamailio log:\n{}", relay_log(kamailio))
            })
            .expect("session open");
        if let SessionEvent::MessageReceived(m) = ev {
            return m;
        }
    }
}

async fn chat_and_file(secure: bool) {
    let Some(kamailio) = Kamailio::start(KamailioOptions {
        msrp_no_hop_200: true,
        ..KamailioOptions::default()
    }) else {
        return;
    };
    let (mut alice, mut bob) = sessions(&kamailio, secure).await;

    // Chat both ways with success reports (Failure-Report: partial, as the seed's ChatStream).
    let out = timeout(
        WAIT,
        alice.send(
            OutgoingMessage::new("text/plain", "Hello Bob, through the relay")
                .with_success_report(true)
                .with_failure_report(FailureReport::Partial),
        ),
    )
    .await
    .expect("report in time")
    .unwrap_or_else(|e| panic!("{e}\nkamailio log:\n{}", relay_log(&kamailio)));
    assert!(matches!(out, SendOutcome::Delivered { .. }), "{out:?}");
    let m = receive(&mut bob, &kamailio).await;
    assert_eq!(&m.body[..], b"Hello Bob, through the relay");
    let out = timeout(
        WAIT,
        bob.send(OutgoingMessage::new("text/plain", "Hi Alice").with_success_report(true)),
    )
    .await
    .expect("report in time")
    .unwrap();
    assert!(matches!(out, SendOutcome::Delivered { .. }), "{out:?}");
    assert_eq!(&receive(&mut alice, &kamailio).await.body[..], b"Hi Alice");

    // A 4 MiB file in chunks of 8 KiB.
    let data: Bytes = (0..4 * 1024 * 1024 + 99)
        .map(|i: usize| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect::<Vec<u8>>()
        .into();
    let pending = alice
        .send_queued(
            OutgoingMessage::new("application/octet-stream", data.clone())
                .with_success_report(true),
        )
        .await
        .unwrap();
    let got = receive(&mut bob, &kamailio).await;
    let out = timeout(WAIT, pending)
        .await
        .expect("file report in time")
        .unwrap();
    assert!(matches!(out, SendOutcome::Delivered { .. }), "{out:?}");
    assert_eq!(got.size, data.len() as u64);
    assert_eq!(
        Sha1::digest(&got.body),
        Sha1::digest(&data),
        "SHA-1 of the received file"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kamailio_relay_chat_and_file_over_tcp() {
    chat_and_file(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kamailio_relay_chat_and_file_over_tls() {
    chat_and_file(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kamailio_relay_rejects_a_wrong_password() {
    let Some(kamailio) = Kamailio::start(KamailioOptions::default()) else {
        return;
    };
    let addr: SocketAddr = ([127, 0, 0, 1], kamailio.msrp_port()).into();
    let conn = connect(addr, None, Limits::default()).await.unwrap();
    let relay: MsrpUri = format!("msrp://127.0.0.1:{};tcp", kamailio.msrp_port())
        .parse()
        .unwrap();
    let me = MsrpUri::new(false, "127.0.0.1", 41003, "wrongpassword1");
    let auth = RelayAuth::new(relay, me, Credentials::new("alice", "not-her-password"), 9);
    let r = timeout(WAIT, conn.authenticate(auth))
        .await
        .expect("answered in time");
    assert!(
        matches!(r, Err(sip_msrp::runtime::MsrpError::RelayAuth { .. })),
        "{r:?}"
    );
}
