//! Transport layer on real loopback sockets (127.0.0.1 and ::1) with short real timeouts.
#![cfg(feature = "runtime")]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use bytes::Bytes;
use sip_core::transaction::TransportKind;
use sip_core::transport::{
    CloseReason, TlsOptions, TlsVersion, TransportConfig, TransportError, TransportEvent,
    TransportHandle, start,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc::Receiver;

const WAIT: Duration = Duration::from_secs(5);

fn message(body: &str) -> Bytes {
    Bytes::from(format!(
        "MESSAGE sip:bob@example.com SIP/2.0\r\n\
         Via: SIP/2.0/TCP client.example.com;branch=z9hG4bK{body}\r\n\
         Max-Forwards: 70\r\n\
         To: <sip:bob@example.com>\r\n\
         From: <sip:alice@example.com>;tag=1\r\n\
         Call-ID: {body}@client\r\n\
         CSeq: 1 MESSAGE\r\n\
         Content-Type: text/plain\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    ))
}

fn local(port_addr: &str) -> Option<SocketAddr> {
    Some(port_addr.parse().unwrap())
}

fn tcp_config() -> TransportConfig {
    TransportConfig {
        tcp: local("127.0.0.1:0"),
        keepalive_interval: None,
        ..TransportConfig::default()
    }
}

/// The next event matching `pred`, skipping others; panics after [`WAIT`].
async fn wait_for(
    rx: &mut Receiver<TransportEvent>,
    what: &str,
    mut pred: impl FnMut(&TransportEvent) -> bool,
) -> TransportEvent {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(ev)) if pred(&ev) => return ev,
            Ok(Some(_)) => continue,
            Ok(None) => panic!("event channel closed while waiting for {what}"),
            Err(_) => panic!("timed out waiting for {what}"),
        }
    }
}

async fn received_body(rx: &mut Receiver<TransportEvent>) -> (String, SocketAddr, TransportKind) {
    match wait_for(rx, "a message", |e| {
        matches!(e, TransportEvent::Received { .. })
    })
    .await
    {
        TransportEvent::Received {
            message,
            source,
            transport,
            ..
        } => (
            String::from_utf8(message.body().to_vec()).unwrap(),
            source,
            transport,
        ),
        _ => unreachable!(),
    }
}

async fn closed_reason(rx: &mut Receiver<TransportEvent>) -> CloseReason {
    match wait_for(rx, "a closed connection", |e| {
        matches!(e, TransportEvent::ConnectionClosed { .. })
    })
    .await
    {
        TransportEvent::ConnectionClosed { reason, .. } => reason,
        _ => unreachable!(),
    }
}

fn addr(h: &TransportHandle, kind: TransportKind) -> SocketAddr {
    h.local_addr(kind).unwrap()
}

#[tokio::test]
async fn udp_message_is_received_over_ipv4() {
    let cfg = TransportConfig {
        udp: local("127.0.0.1:0"),
        ..TransportConfig::default()
    };
    let (a, _a_rx) = start(cfg.clone()).await.unwrap();
    let (b, mut b_rx) = start(cfg).await.unwrap();
    a.send(
        TransportKind::Udp,
        addr(&b, TransportKind::Udp),
        None,
        message("hello"),
    )
    .await
    .unwrap();
    let (body, source, kind) = received_body(&mut b_rx).await;
    assert_eq!(body, "hello");
    assert_eq!(source, addr(&a, TransportKind::Udp));
    assert_eq!(kind, TransportKind::Udp);
}

#[tokio::test]
async fn udp_message_is_received_over_ipv6() {
    let cfg = TransportConfig {
        udp: local("[::1]:0"),
        ..TransportConfig::default()
    };
    let (a, _a_rx) = match start(cfg.clone()).await {
        Ok(x) => x,
        Err(e) => {
            println!("skipping IPv6 test: cannot bind ::1 ({e})");
            return;
        }
    };
    let (b, mut b_rx) = start(cfg).await.unwrap();
    a.send(
        TransportKind::Udp,
        addr(&b, TransportKind::Udp),
        None,
        message("six"),
    )
    .await
    .unwrap();
    let (body, source, _) = received_body(&mut b_rx).await;
    assert_eq!(body, "six");
    assert!(source.is_ipv6());
}

#[tokio::test]
async fn malformed_datagram_is_reported_with_its_bytes() {
    let (b, mut b_rx) = start(TransportConfig {
        udp: local("127.0.0.1:0"),
        ..TransportConfig::default()
    })
    .await
    .unwrap();
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    sock.send_to(b"this is not SIP\r\n\r\n", addr(&b, TransportKind::Udp))
        .await
        .unwrap();
    match wait_for(&mut b_rx, "Malformed", |e| {
        matches!(e, TransportEvent::Malformed { .. })
    })
    .await
    {
        TransportEvent::Malformed {
            source,
            raw,
            transport,
            ..
        } => {
            assert_eq!(source, sock.local_addr().unwrap());
            assert_eq!(&raw[..], b"this is not SIP\r\n\r\n");
            assert_eq!(transport, TransportKind::Udp);
        }
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn udp_keepalive_datagram_is_ignored_and_oversized_datagram_is_malformed() {
    let (b, mut b_rx) = start(TransportConfig {
        udp: local("127.0.0.1:0"),
        limits: sip_core::message::ParseLimits {
            max_message_size: 400,
            max_headers: 32,
        },
        ..TransportConfig::default()
    })
    .await
    .unwrap();
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let b_addr = addr(&b, TransportKind::Udp);
    sock.send_to(b"\r\n\r\n", b_addr).await.unwrap();
    sock.send_to(&message(&"x".repeat(500)), b_addr)
        .await
        .unwrap();
    sock.send_to(&message("small"), b_addr).await.unwrap();
    let first = tokio::time::timeout(WAIT, b_rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(first, TransportEvent::Malformed { ref raw, .. } if raw.len() > 500),
        "{first:?}"
    );
    let second = tokio::time::timeout(WAIT, b_rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(second, TransportEvent::Received { ref message, .. } if &message.body()[..] == b"small"),
        "{second:?}"
    );
}

#[tokio::test]
async fn send_on_a_disabled_transport_fails() {
    let (a, _rx) = start(tcp_config()).await.unwrap();
    let dest: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let err = a
        .send(TransportKind::Udp, dest, None, message("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Disabled(TransportKind::Udp)));
}

#[tokio::test]
async fn tcp_two_messages_in_one_write_are_framed_separately() {
    let (b, mut b_rx) = start(tcp_config()).await.unwrap();
    let mut s = TcpStream::connect(addr(&b, TransportKind::Tcp))
        .await
        .unwrap();
    let mut both = message("one").to_vec();
    both.extend_from_slice(&message("two"));
    s.write_all(&both).await.unwrap();
    assert_eq!(received_body(&mut b_rx).await.0, "one");
    assert_eq!(received_body(&mut b_rx).await.0, "two");
}

#[tokio::test]
async fn tcp_message_split_over_many_writes_is_reassembled() {
    let (b, mut b_rx) = start(tcp_config()).await.unwrap();
    let mut s = TcpStream::connect(addr(&b, TransportKind::Tcp))
        .await
        .unwrap();
    s.set_nodelay(true).unwrap();
    for chunk in message("split-body").chunks(7) {
        s.write_all(chunk).await.unwrap();
        s.flush().await.unwrap();
        tokio::task::yield_now().await;
    }
    let (body, source, kind) = received_body(&mut b_rx).await;
    assert_eq!(body, "split-body");
    assert_eq!(source, s.local_addr().unwrap());
    assert_eq!(kind, TransportKind::Tcp);
}

#[tokio::test]
async fn tcp_connection_is_reused_in_both_directions() {
    let (a, mut a_rx) = start(tcp_config()).await.unwrap();
    let (b, mut b_rx) = start(tcp_config()).await.unwrap();
    let b_addr = addr(&b, TransportKind::Tcp);
    a.send(TransportKind::Tcp, b_addr, None, message("first"))
        .await
        .unwrap();
    a.send(TransportKind::Tcp, b_addr, None, message("second"))
        .await
        .unwrap();
    // Count every ConnectionOpened seen while waiting for the messages.
    let mut b_opened = 0;
    let mut bodies = Vec::new();
    let mut source = None;
    while bodies.len() < 2 {
        let ev = wait_for(&mut b_rx, "messages", |e| {
            b_opened += usize::from(matches!(e, TransportEvent::ConnectionOpened { .. }));
            matches!(e, TransportEvent::Received { .. })
        })
        .await;
        if let TransportEvent::Received {
            message, source: s, ..
        } = ev
        {
            bodies.push(String::from_utf8(message.body().to_vec()).unwrap());
            source = Some(s);
        }
    }
    assert_eq!(bodies, ["first", "second"]);
    // B answers to the source of the requests: the inbound connection is reused.
    b.send(TransportKind::Tcp, source.unwrap(), None, message("reply"))
        .await
        .unwrap();
    let mut a_opened = 0;
    wait_for(&mut a_rx, "the reply", |e| {
        a_opened += usize::from(matches!(e, TransportEvent::ConnectionOpened { .. }));
        matches!(e, TransportEvent::Received { .. })
    })
    .await;
    assert_eq!((a_opened, b_opened), (1, 1));
    assert_eq!(a.open_connections(), 1);
    assert_eq!(b.open_connections(), 1);
    while let Ok(e) = a_rx.try_recv() {
        assert!(!matches!(e, TransportEvent::ConnectionOpened { .. }));
    }
    while let Ok(e) = b_rx.try_recv() {
        assert!(!matches!(e, TransportEvent::ConnectionOpened { .. }));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_sends_share_one_connection() {
    let (a, mut a_rx) = start(tcp_config()).await.unwrap();
    let (b, mut b_rx) = start(tcp_config()).await.unwrap();
    let b_addr = addr(&b, TransportKind::Tcp);
    let sends = (0..8).map(|i| {
        let a = a.clone();
        tokio::spawn(async move {
            a.send(TransportKind::Tcp, b_addr, None, message(&format!("m{i}")))
                .await
        })
    });
    for send in sends.collect::<Vec<_>>() {
        send.await.unwrap().unwrap();
    }
    let mut opened = 0;
    for _ in 0..8 {
        wait_for(&mut b_rx, "messages", |e| {
            opened += usize::from(matches!(e, TransportEvent::ConnectionOpened { .. }));
            matches!(e, TransportEvent::Received { .. })
        })
        .await;
    }
    assert_eq!(opened, 1);
    assert_eq!(a.open_connections(), 1);
    assert!(matches!(
        a_rx.try_recv(),
        Ok(TransportEvent::ConnectionOpened { .. })
    ));
    assert!(a_rx.try_recv().is_err());
}

#[tokio::test]
async fn server_answers_a_crlfcrlf_ping_with_crlf() {
    let (b, _b_rx) = start(tcp_config()).await.unwrap();
    let mut s = TcpStream::connect(addr(&b, TransportKind::Tcp))
        .await
        .unwrap();
    s.write_all(b"\r\n\r\n").await.unwrap();
    let mut pong = [0u8; 2];
    tokio::time::timeout(WAIT, s.read_exact(&mut pong))
        .await
        .expect("no pong")
        .unwrap();
    assert_eq!(&pong, b"\r\n");
}

#[tokio::test]
async fn client_keepalive_pings_are_answered_with_pongs() {
    let (a, mut a_rx) = start(TransportConfig {
        keepalive_interval: Some(Duration::from_millis(100)),
        ..tcp_config()
    })
    .await
    .unwrap();
    let (b, _b_rx) = start(tcp_config()).await.unwrap();
    let b_addr = addr(&b, TransportKind::Tcp);
    a.send(TransportKind::Tcp, b_addr, None, message("hi"))
        .await
        .unwrap();
    match wait_for(&mut a_rx, "KeepAlivePong", |e| {
        matches!(e, TransportEvent::KeepAlivePong { .. })
    })
    .await
    {
        TransportEvent::KeepAlivePong { remote, transport } => {
            assert_eq!(remote, b_addr);
            assert_eq!(transport, TransportKind::Tcp);
        }
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn missing_content_length_closes_the_connection_with_a_framing_reason() {
    let (b, mut b_rx) = start(tcp_config()).await.unwrap();
    let mut s = TcpStream::connect(addr(&b, TransportKind::Tcp))
        .await
        .unwrap();
    s.write_all(b"OPTIONS sip:bob@example.com SIP/2.0\r\nCall-ID: x\r\n\r\n")
        .await
        .unwrap();
    let reason = closed_reason(&mut b_rx).await;
    assert!(matches!(reason, CloseReason::Framing(_)), "{reason:?}");
    assert!(reason.to_string().contains("Content-Length"), "{reason}");
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(WAIT, s.read(&mut buf))
        .await
        .expect("connection not closed");
    assert!(matches!(n, Ok(0) | Err(_)));
}

#[tokio::test]
async fn idle_connection_is_closed_after_the_idle_timeout() {
    let (b, mut b_rx) = start(TransportConfig {
        idle_timeout: Duration::from_millis(300),
        ..tcp_config()
    })
    .await
    .unwrap();
    let started = tokio::time::Instant::now();
    let mut s = TcpStream::connect(addr(&b, TransportKind::Tcp))
        .await
        .unwrap();
    let reason = closed_reason(&mut b_rx).await;
    assert!(matches!(reason, CloseReason::IdleTimeout), "{reason:?}");
    assert!(started.elapsed() >= Duration::from_millis(300));
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(WAIT, s.read(&mut buf)).await.unwrap();
    assert!(matches!(n, Ok(0) | Err(_)));
    assert_eq!(b.open_connections(), 0);
}

#[tokio::test]
async fn connections_beyond_the_limit_are_refused() {
    let (b, mut b_rx) = start(TransportConfig {
        max_connections: 1,
        ..tcp_config()
    })
    .await
    .unwrap();
    let b_addr = addr(&b, TransportKind::Tcp);
    let _first = TcpStream::connect(b_addr).await.unwrap();
    wait_for(&mut b_rx, "ConnectionOpened", |e| {
        matches!(e, TransportEvent::ConnectionOpened { .. })
    })
    .await;
    let mut second = TcpStream::connect(b_addr).await.unwrap();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(WAIT, second.read(&mut buf))
        .await
        .expect("second connection not refused");
    assert!(matches!(n, Ok(0) | Err(_)));
    assert_eq!(b.open_connections(), 1);
    // Outgoing connections count against the same limit.
    let (other, _other_rx) = start(tcp_config()).await.unwrap();
    let err = b
        .send(
            TransportKind::Tcp,
            addr(&other, TransportKind::Tcp),
            None,
            message("x"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, TransportError::TooManyConnections(1)),
        "{err}"
    );
}

#[tokio::test]
async fn shutdown_closes_listeners_and_connections() {
    let (a, mut a_rx) = start(tcp_config()).await.unwrap();
    let (b, mut b_rx) = start(TransportConfig {
        udp: local("127.0.0.1:0"),
        ..tcp_config()
    })
    .await
    .unwrap();
    let b_addr = addr(&b, TransportKind::Tcp);
    a.send(TransportKind::Tcp, b_addr, None, message("bye"))
        .await
        .unwrap();
    received_body(&mut b_rx).await;
    tokio::time::timeout(WAIT, b.shutdown())
        .await
        .expect("shutdown hangs");
    assert!(matches!(
        closed_reason(&mut b_rx).await,
        CloseReason::Shutdown
    ));
    assert!(matches!(
        closed_reason(&mut a_rx).await,
        CloseReason::PeerClosed | CloseReason::Io(_)
    ));
    assert!(
        TcpStream::connect(b_addr).await.is_err(),
        "listener still open"
    );
    assert_eq!(b.open_connections(), 0);
    let err = b
        .send(TransportKind::Udp, b_addr, None, message("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Shutdown));
}

// ---------------------------------------------------------------------------------------------
// TLS

struct Pki {
    dir: PathBuf,
}

impl Pki {
    /// A CA, a `localhost` server certificate and a client certificate signed by it, and an
    /// unrelated CA; all as PEM files in a fresh temporary directory.
    fn new() -> Pki {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "sip-core-transport-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let make_ca = |name: &str| {
            let key = KeyPair::generate().unwrap();
            let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            p.distinguished_name.push(DnType::CommonName, name);
            p.key_usages = vec![
                KeyUsagePurpose::KeyCertSign,
                KeyUsagePurpose::CrlSign,
                KeyUsagePurpose::DigitalSignature,
            ];
            let cert = p.self_signed(&key).unwrap();
            (cert, key)
        };
        let (ca, ca_key) = make_ca("sip-core test CA");
        let (other_ca, _) = make_ca("unrelated CA");
        let leaf = |names: Vec<String>| {
            let key = KeyPair::generate().unwrap();
            let cert = CertificateParams::new(names)
                .unwrap()
                .signed_by(&key, &ca, &ca_key)
                .unwrap();
            (cert.pem(), key.serialize_pem())
        };
        let (server_pem, server_key) = leaf(vec!["localhost".into()]);
        let (client_pem, client_key) = leaf(vec!["client.localhost".into()]);
        let write = |name: &str, data: &str| std::fs::write(dir.join(name), data).unwrap();
        write("ca.pem", &ca.pem());
        write("other-ca.pem", &other_ca.pem());
        write("server.pem", &server_pem);
        write("server.key", &server_key);
        write("client.pem", &client_pem);
        write("client.key", &client_key);
        Pki { dir }
    }

    fn path(&self, name: &str) -> Option<PathBuf> {
        Some(self.dir.join(name))
    }

    fn config(&self, ca: &str, who: &str) -> TransportConfig {
        TransportConfig {
            tls_listen: local("127.0.0.1:0"),
            keepalive_interval: None,
            tls: TlsOptions {
                ca_file: self.path(ca),
                cert_file: self.path(&format!("{who}.pem")),
                privkey_file: self.path(&format!("{who}.key")),
                timeout: Duration::from_secs(5),
                ..TlsOptions::default()
            },
            ..TransportConfig::default()
        }
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn tls_message_is_delivered_when_the_server_certificate_verifies() {
    let pki = Pki::new();
    let (b, mut b_rx) = start(pki.config("ca.pem", "server")).await.unwrap();
    let (a, _a_rx) = start(pki.config("ca.pem", "client")).await.unwrap();
    a.send(
        TransportKind::Tls,
        addr(&b, TransportKind::Tls),
        Some("localhost".into()),
        message("secret"),
    )
    .await
    .unwrap();
    let (body, _, kind) = received_body(&mut b_rx).await;
    assert_eq!(body, "secret");
    assert_eq!(kind, TransportKind::Tls);
}

#[tokio::test]
async fn tls_fails_verification_when_the_ca_is_not_trusted() {
    let pki = Pki::new();
    let (b, _b_rx) = start(pki.config("ca.pem", "server")).await.unwrap();
    let (a, _a_rx) = start(pki.config("other-ca.pem", "client")).await.unwrap();
    let err = a
        .send(
            TransportKind::Tls,
            addr(&b, TransportKind::Tls),
            Some("localhost".into()),
            message("x"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, TransportError::CertificateVerification { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("verification"), "{err}");
    assert_eq!(a.open_connections(), 0);
}

#[tokio::test]
async fn tls_fails_verification_for_a_wrong_server_name() {
    let pki = Pki::new();
    let (b, _b_rx) = start(pki.config("ca.pem", "server")).await.unwrap();
    let (a, _a_rx) = start(pki.config("ca.pem", "client")).await.unwrap();
    let err = a
        .send(
            TransportKind::Tls,
            addr(&b, TransportKind::Tls),
            Some("sip.example.org".into()),
            message("x"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            TransportError::CertificateVerification {
                reason: rustls::CertificateError::NotValidForName
                    | rustls::CertificateError::NotValidForNameContext { .. },
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn tls_client_certificate_is_presented_when_the_server_requires_one() {
    let pki = Pki::new();
    let mut server = pki.config("ca.pem", "server");
    server.tls.verify_client = true;
    server.tls.min_version = TlsVersion::Tls13;
    let (b, mut b_rx) = start(server).await.unwrap();
    let (a, _a_rx) = start(pki.config("ca.pem", "client")).await.unwrap();
    a.send(
        TransportKind::Tls,
        addr(&b, TransportKind::Tls),
        Some("localhost".into()),
        message("mutual"),
    )
    .await
    .unwrap();
    assert_eq!(received_body(&mut b_rx).await.0, "mutual");
}

#[tokio::test]
async fn tls_setup_with_a_missing_ca_file_names_the_file() {
    let cfg = TransportConfig {
        tls_client: true,
        tls: TlsOptions {
            ca_file: Some(PathBuf::from("/nonexistent/ca.pem")),
            ..TlsOptions::default()
        },
        ..TransportConfig::default()
    };
    let err = start(cfg).await.unwrap_err();
    assert!(
        matches!(err, TransportError::BadCertificate { ref file, .. } if file.ends_with("ca.pem")),
        "{err:?}"
    );
}

#[tokio::test]
async fn tls_listener_without_a_certificate_is_a_configuration_error() {
    let pki = Pki::new();
    let mut cfg = pki.config("ca.pem", "server");
    cfg.tls.cert_file = None;
    cfg.tls.privkey_file = None;
    let err = start(cfg).await.unwrap_err();
    assert!(matches!(err, TransportError::Config(_)), "{err:?}");
}

#[tokio::test]
async fn tls_client_without_a_listener_connects_and_verifies() {
    let pki = Pki::new();
    let (b, mut b_rx) = start(pki.config("ca.pem", "server")).await.unwrap();
    let (a, _a_rx) = start(TransportConfig {
        tls_client: true,
        tls: TlsOptions {
            ca_file: pki.path("ca.pem"),
            ..TlsOptions::default()
        },
        ..TransportConfig::default()
    })
    .await
    .unwrap();
    assert_eq!(a.local_addr(TransportKind::Tls), None);
    a.send(
        TransportKind::Tls,
        addr(&b, TransportKind::Tls),
        Some("localhost".into()),
        message("client-only"),
    )
    .await
    .unwrap();
    assert_eq!(received_body(&mut b_rx).await.0, "client-only");
}

#[tokio::test]
async fn tls_is_disabled_without_listener_or_client_flag() {
    let (a, _a_rx) = start(tcp_config()).await.unwrap();
    let err = a
        .send(
            TransportKind::Tls,
            "127.0.0.1:5061".parse().unwrap(),
            None,
            message("x"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Disabled(TransportKind::Tls)));
}
