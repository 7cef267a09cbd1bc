//! SIP transports over tokio: UDP, TCP and TLS (RFC 3261 §18) with the CRLF keep-alives of
//! RFC 5626 §4.4.1.
//!
//! [`start`] binds the configured listeners and returns a cheap [`TransportHandle`] and a bounded
//! channel of [`TransportEvent`]s. Each listener and each connection is driven by its own tokio
//! task, which owns its socket and its [`StreamFramer`](crate::message::framing::StreamFramer);
//! the handle only looks up the connection to use and queues bytes for its task.
//!
//! ```no_run
//! use sip_core::transport::{start, TransportConfig, TransportEvent};
//! use sip_core::transaction::TransportKind;
//!
//! # async fn run() -> Result<(), sip_core::transport::TransportError> {
//! let config = TransportConfig {
//!     udp: Some("127.0.0.1:0".parse().unwrap()),
//!     tcp: Some("127.0.0.1:0".parse().unwrap()),
//!     ..TransportConfig::default()
//! };
//! let (handle, mut events) = start(config).await?;
//! let peer = "127.0.0.1:5060".parse().unwrap();
//! handle
//!     .send(TransportKind::Udp, peer, None, bytes::Bytes::from_static(b"OPTIONS ..."))
//!     .await?;
//! while let Some(event) = events.recv().await {
//!     if let TransportEvent::Received { message, source, .. } = event {
//!         println!("{} bytes from {source}", message.body().len());
//!     }
//! }
//! handle.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod conn;
mod tls;

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{Notify, mpsc, watch};
use tracing::Instrument;

use crate::error::ParseError;
use crate::message::framing::KeepAliveRole;
use crate::message::{ParseLimits, SipMessage};
pub use crate::transaction::TransportKind;

/// RFC 3261 §18.1.1: whether a request of `message_len` bytes must go over a congestion-controlled
/// transport (TCP) instead of UDP, given the path MTU (`None` = the RFC's 1500 default path,
/// i.e. an effective limit of 1300 bytes).
///
/// True when the message is larger than 1300 bytes or within 200 bytes of the path MTU.
///
/// ```
/// use sip_core::transport::should_use_tcp;
/// assert!(!should_use_tcp(1000, None));
/// assert!(should_use_tcp(1301, None));
/// assert!(should_use_tcp(900, Some(1000)));
/// ```
pub fn should_use_tcp(message_len: usize, path_mtu: Option<usize>) -> bool {
    const LIMIT: usize = 1300;
    let mtu = path_mtu.unwrap_or(1500);
    message_len > LIMIT || message_len.saturating_add(200) > mtu
}

/// The lowest TLS protocol version accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsVersion {
    /// TLS 1.2 and 1.3.
    #[default]
    Tls12,
    /// TLS 1.3 only.
    Tls13,
}

/// TLS settings, for both the listener and outgoing connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsOptions {
    /// The lowest protocol version accepted.
    pub min_version: TlsVersion,
    /// Verify the server's certificate chain and name on outgoing connections (default: true).
    pub verify_server: bool,
    /// PEM file of trusted CA certificates; `None` uses the system roots.
    pub ca_file: Option<PathBuf>,
    /// PEM certificate chain: the listener's certificate, also presented as the client
    /// certificate on outgoing connections when `privkey_file` is set too.
    pub cert_file: Option<PathBuf>,
    /// PEM private key matching `cert_file`.
    pub privkey_file: Option<PathBuf>,
    /// Require clients of the TLS listener to present a certificate signed by a CA of
    /// `ca_file` (default: false; needs `ca_file`).
    pub verify_client: bool,
    /// Time allowed for a TLS handshake.
    pub timeout: Duration,
}

impl Default for TlsOptions {
    fn default() -> Self {
        TlsOptions {
            min_version: TlsVersion::Tls12,
            verify_server: true,
            ca_file: None,
            cert_file: None,
            privkey_file: None,
            verify_client: false,
            timeout: Duration::from_secs(10),
        }
    }
}

/// Configuration of [`start`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportConfig {
    /// UDP address to bind (IPv4 or IPv6; port 0 picks one); `None` disables UDP.
    pub udp: Option<SocketAddr>,
    /// TCP listen address; `None` disables TCP.
    pub tcp: Option<SocketAddr>,
    /// TLS listen address; `None` disables the TLS listener. Needs `tls.cert_file` and
    /// `tls.privkey_file`. Implies `tls_client`.
    pub tls_listen: Option<SocketAddr>,
    /// Allow outgoing TLS connections even without a TLS listener (default: false).
    pub tls_client: bool,
    /// Limits applied to every received message.
    pub limits: ParseLimits,
    /// Most TCP and TLS connections open at once, in both directions.
    pub max_connections: usize,
    /// A connection with no traffic for this long is closed.
    pub idle_timeout: Duration,
    /// Interval of the CRLFCRLF keep-alive pings on connections we opened; `None` sends none.
    pub keepalive_interval: Option<Duration>,
    /// Time allowed to establish an outgoing TCP connection.
    pub connect_timeout: Duration,
    /// Capacity of the event channel.
    pub event_capacity: usize,
    /// TLS settings.
    pub tls: TlsOptions,
}

impl Default for TransportConfig {
    /// All transports disabled, 1024 connections, 10 min idle timeout, 90 s keep-alives.
    fn default() -> Self {
        TransportConfig {
            udp: None,
            tcp: None,
            tls_listen: None,
            tls_client: false,
            limits: ParseLimits::default(),
            max_connections: 1024,
            idle_timeout: Duration::from_secs(600),
            keepalive_interval: Some(Duration::from_secs(90)),
            connect_timeout: Duration::from_secs(10),
            event_capacity: 1024,
            tls: TlsOptions::default(),
        }
    }
}

/// What can go wrong in the transport layer.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The transport is not configured.
    #[error("the {0:?} transport is disabled")]
    Disabled(TransportKind),
    /// A socket operation failed.
    #[error("I/O error: {0}")]
    Io(Arc<io::Error>),
    /// Binding a listener failed.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: Arc<io::Error>,
    },
    /// The TCP connection (or TLS handshake) was not established in time.
    #[error("connecting to {0} timed out")]
    ConnectTimeout(SocketAddr),
    /// The connection limit is reached.
    #[error("too many open connections (limit {0})")]
    TooManyConnections(usize),
    /// The peer's certificate failed verification.
    #[error("TLS certificate verification of {peer} failed: {reason}")]
    CertificateVerification {
        /// The peer.
        peer: SocketAddr,
        /// Why the certificate was refused.
        reason: rustls::CertificateError,
    },
    /// A TLS protocol error.
    #[error("TLS error: {0}")]
    Tls(rustls::Error),
    /// The server name given for SNI is not a valid DNS name or IP address.
    #[error("invalid TLS server name {0:?}")]
    InvalidServerName(String),
    /// A certificate, key or CA file could not be used.
    #[error("bad certificate file {}: {reason}", file.display())]
    BadCertificate {
        /// The file.
        file: PathBuf,
        /// Why.
        reason: String,
    },
    /// The configuration is inconsistent.
    #[error("invalid transport configuration: {0}")]
    Config(&'static str),
    /// The transport layer was shut down.
    #[error("the transport layer is shut down")]
    Shutdown,
}

impl From<io::Error> for TransportError {
    fn from(e: io::Error) -> Self {
        TransportError::Io(Arc::new(e))
    }
}

/// Why a connection closed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum CloseReason {
    /// The peer closed the connection.
    #[error("closed by peer")]
    PeerClosed,
    /// No traffic for the idle timeout.
    #[error("idle timeout")]
    IdleTimeout,
    /// The peer sent bytes that cannot be framed (e.g. no Content-Length).
    #[error("framing error: {0}")]
    Framing(ParseError),
    /// A read or write failed.
    #[error("I/O error: {0}")]
    Io(Arc<io::Error>),
    /// The transport layer is shutting down.
    #[error("shutdown")]
    Shutdown,
}

/// What the transport layer reports.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum TransportEvent {
    /// A message arrived.
    Received {
        /// The message.
        message: Box<SipMessage>,
        /// Where it came from.
        source: SocketAddr,
        /// The local address it arrived on.
        local: SocketAddr,
        /// The transport.
        transport: TransportKind,
    },
    /// A datagram that does not parse; the owner may answer 400 when it can.
    Malformed {
        /// Where it came from.
        source: SocketAddr,
        /// The transport.
        transport: TransportKind,
        /// Why it does not parse.
        error: ParseError,
        /// The datagram.
        raw: Bytes,
    },
    /// A TCP or TLS connection was established (either direction).
    ConnectionOpened {
        /// The peer.
        remote: SocketAddr,
        /// Our end.
        local: SocketAddr,
        /// TCP or TLS.
        transport: TransportKind,
    },
    /// A TCP or TLS connection closed.
    ConnectionClosed {
        /// The peer.
        remote: SocketAddr,
        /// TCP or TLS.
        transport: TransportKind,
        /// Why.
        reason: CloseReason,
    },
    /// The peer answered our keep-alive ping (RFC 5626 §4.4.1).
    KeepAlivePong {
        /// The peer.
        remote: SocketAddr,
        /// TCP or TLS.
        transport: TransportKind,
    },
}

/// Connections are keyed by transport and peer address.
type ConnKey = (TransportKind, SocketAddr);

/// Serialises connection attempts to one destination.
type ConnectGate = Arc<tokio::sync::Mutex<()>>;

/// A queued connection: its id and the sender of bytes to write.
#[derive(Debug, Clone)]
struct ConnEntry {
    id: u64,
    tx: mpsc::Sender<Bytes>,
}

/// State shared by the handle and the tasks. Protocol state (framers, sockets) lives in the
/// tasks; this is only the routing table and counters.
#[derive(Debug)]
struct Shared {
    config: TransportConfig,
    events: mpsc::Sender<TransportEvent>,
    udp: Option<Arc<UdpSocket>>,
    udp_local: Option<SocketAddr>,
    tcp_local: Option<SocketAddr>,
    tls_local: Option<SocketAddr>,
    tls_client: Option<Arc<rustls::ClientConfig>>,
    conns: Mutex<HashMap<ConnKey, ConnEntry>>,
    connecting: Mutex<HashMap<ConnKey, ConnectGate>>,
    open: AtomicUsize,
    next_id: AtomicU64,
    shutdown: watch::Sender<bool>,
    tasks: AtomicUsize,
    tasks_done: Notify,
}

impl Shared {
    fn is_shut_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Reserves a connection slot, released when the returned guard drops.
    fn reserve_slot(self: &Arc<Self>) -> Option<Slot> {
        let max = self.config.max_connections;
        self.open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot(self.clone()))
    }

    fn task(self: &Arc<Self>) -> TaskGuard {
        self.tasks.fetch_add(1, Ordering::AcqRel);
        TaskGuard(self.clone())
    }

    fn lookup(&self, key: (TransportKind, SocketAddr)) -> Option<ConnEntry> {
        self.conns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned()
    }

    fn register(&self, key: (TransportKind, SocketAddr), entry: ConnEntry) {
        self.conns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, entry);
    }

    fn unregister(&self, key: (TransportKind, SocketAddr), id: u64) {
        let mut conns = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        if conns.get(&key).is_some_and(|e| e.id == id) {
            conns.remove(&key);
        }
    }
}

/// A reserved connection slot.
#[derive(Debug)]
struct Slot(Arc<Shared>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Counts a running task so that shutdown can wait for all of them.
#[derive(Debug)]
struct TaskGuard(Arc<Shared>);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        self.0.tasks.fetch_sub(1, Ordering::AcqRel);
        self.0.tasks_done.notify_waiters();
    }
}

/// A cheap, cloneable handle to the transport layer.
#[derive(Debug, Clone)]
pub struct TransportHandle {
    shared: Arc<Shared>,
}

/// Binds the configured listeners and starts their tasks.
///
/// Must be called within a tokio runtime. Fails on a bind error or an unusable TLS setup.
pub async fn start(
    config: TransportConfig,
) -> Result<(TransportHandle, mpsc::Receiver<TransportEvent>), TransportError> {
    if config.max_connections == 0 && (config.tcp.is_some() || config.tls_listen.is_some()) {
        return Err(TransportError::Config("max_connections must be at least 1"));
    }
    let tls_server = match config.tls_listen {
        Some(_) => Some(tls::server_acceptor(&config.tls)?),
        None => None,
    };
    let tls_client = if config.tls_client || config.tls_listen.is_some() {
        Some(tls::client_config(&config.tls)?)
    } else {
        None
    };
    let bind_err = |addr| {
        move |e| TransportError::Bind {
            addr,
            source: Arc::new(e),
        }
    };
    let udp = match config.udp {
        Some(addr) => Some(Arc::new(
            UdpSocket::bind(addr).await.map_err(bind_err(addr))?,
        )),
        None => None,
    };
    let tcp = match config.tcp {
        Some(addr) => Some(TcpListener::bind(addr).await.map_err(bind_err(addr))?),
        None => None,
    };
    let tls_listener = match config.tls_listen {
        Some(addr) => Some(TcpListener::bind(addr).await.map_err(bind_err(addr))?),
        None => None,
    };
    let (events, events_rx) = mpsc::channel(config.event_capacity.max(1));
    let shared = Arc::new(Shared {
        udp_local: udp.as_ref().map(|s| s.local_addr()).transpose()?,
        tcp_local: tcp.as_ref().map(|s| s.local_addr()).transpose()?,
        tls_local: tls_listener.as_ref().map(|s| s.local_addr()).transpose()?,
        udp: udp.clone(),
        config,
        events,
        tls_client,
        conns: Mutex::new(HashMap::new()),
        connecting: Mutex::new(HashMap::new()),
        open: AtomicUsize::new(0),
        next_id: AtomicU64::new(1),
        shutdown: watch::channel(false).0,
        tasks: AtomicUsize::new(0),
        tasks_done: Notify::new(),
    });
    if let Some(sock) = udp {
        let guard = shared.task();
        let span = tracing::debug_span!("sip_udp", local = ?shared.udp_local);
        tokio::spawn(conn::run_udp(shared.clone(), sock, guard).instrument(span));
    }
    if let Some(listener) = tcp {
        let guard = shared.task();
        let span = tracing::debug_span!("sip_tcp_listener", local = ?shared.tcp_local);
        tokio::spawn(conn::run_listener(shared.clone(), listener, None, guard).instrument(span));
    }
    if let Some(listener) = tls_listener {
        let guard = shared.task();
        let span = tracing::debug_span!("sip_tls_listener", local = ?shared.tls_local);
        tokio::spawn(
            conn::run_listener(shared.clone(), listener, tls_server, guard).instrument(span),
        );
    }
    Ok((TransportHandle { shared }, events_rx))
}

impl TransportHandle {
    /// The bound address of a transport's listener, `None` when disabled.
    pub fn local_addr(&self, kind: TransportKind) -> Option<SocketAddr> {
        match kind {
            TransportKind::Udp => self.shared.udp_local,
            TransportKind::Tcp => self.shared.tcp_local,
            TransportKind::Tls => self.shared.tls_local,
        }
    }

    /// Number of TCP and TLS connections currently open (or being established).
    pub fn open_connections(&self) -> usize {
        self.shared.open.load(Ordering::Acquire)
    }

    /// Sends `bytes` to `destination`.
    ///
    /// UDP sends one datagram. TCP and TLS reuse an open connection to that address (whichever
    /// side opened it) or open a new one; `server_name` is the TLS server name (SNI and the name
    /// verified in the certificate; the IP address when `None`). Returns once the bytes are
    /// queued on the connection.
    pub async fn send(
        &self,
        kind: TransportKind,
        destination: SocketAddr,
        server_name: Option<String>,
        bytes: Bytes,
    ) -> Result<(), TransportError> {
        let shared = &self.shared;
        if shared.is_shut_down() {
            return Err(TransportError::Shutdown);
        }
        match kind {
            TransportKind::Udp => {
                let sock = shared
                    .udp
                    .as_ref()
                    .ok_or(TransportError::Disabled(TransportKind::Udp))?;
                sock.send_to(&bytes, destination).await?;
                Ok(())
            }
            TransportKind::Tcp | TransportKind::Tls => {
                let enabled = match kind {
                    TransportKind::Tcp => shared.tcp_local.is_some(),
                    _ => shared.tls_client.is_some(),
                };
                if !enabled {
                    return Err(TransportError::Disabled(kind));
                }
                let mut bytes = bytes;
                if let Some(entry) = shared.lookup((kind, destination)) {
                    match entry.tx.send(bytes).await {
                        Ok(()) => return Ok(()),
                        Err(mpsc::error::SendError(b)) => bytes = b,
                    }
                }
                // One connection attempt per destination at a time: concurrent senders wait for
                // it and then reuse the connection.
                let key = (kind, destination);
                let gate = shared
                    .connecting
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .entry(key)
                    .or_default()
                    .clone();
                let result = {
                    let _turn = gate.lock().await;
                    match shared.lookup(key).filter(|e| !e.tx.is_closed()) {
                        Some(entry) => Ok(entry),
                        None => self.connect(kind, destination, server_name).await,
                    }
                };
                {
                    let mut connecting =
                        shared.connecting.lock().unwrap_or_else(|e| e.into_inner());
                    // Drop the gate once nobody else holds it (the map's copy and ours remain).
                    if connecting
                        .get(&key)
                        .is_some_and(|g| Arc::ptr_eq(g, &gate) && Arc::strong_count(g) == 2)
                    {
                        connecting.remove(&key);
                    }
                }
                result?
                    .tx
                    .send(bytes)
                    .await
                    .map_err(|_| TransportError::Io(Arc::new(io::ErrorKind::BrokenPipe.into())))
            }
        }
    }

    async fn connect(
        &self,
        kind: TransportKind,
        destination: SocketAddr,
        server_name: Option<String>,
    ) -> Result<ConnEntry, TransportError> {
        let shared = &self.shared;
        let slot = shared
            .reserve_slot()
            .ok_or(TransportError::TooManyConnections(
                shared.config.max_connections,
            ))?;
        let tcp = tokio::time::timeout(
            shared.config.connect_timeout,
            TcpStream::connect(destination),
        )
        .await
        .map_err(|_| TransportError::ConnectTimeout(destination))??;
        let _ = tcp.set_nodelay(true);
        let local = tcp.local_addr()?;
        let guard = shared.task();
        let (tx, rx) = mpsc::channel(64);
        let entry = ConnEntry {
            id: shared.next_id.fetch_add(1, Ordering::Relaxed),
            tx,
        };
        let params = conn::ConnParams {
            kind,
            remote: destination,
            local,
            role: KeepAliveRole::Client,
            id: entry.id,
        };
        let span =
            tracing::debug_span!("sip_connection", ?kind, remote = %destination, outbound = true);
        if kind == TransportKind::Tls {
            let connector = tokio_rustls::TlsConnector::from(
                shared
                    .tls_client
                    .clone()
                    .ok_or(TransportError::Disabled(kind))?,
            );
            let name = tls::server_name(server_name, destination)?;
            let stream =
                tokio::time::timeout(shared.config.tls.timeout, connector.connect(name, tcp))
                    .await
                    .map_err(|_| TransportError::ConnectTimeout(destination))?
                    .map_err(|e| tls::handshake_error(e, destination))?;
            shared.register((kind, destination), entry.clone());
            tokio::spawn(
                conn::run_connection(shared.clone(), stream, params, rx, slot, guard)
                    .instrument(span),
            );
        } else {
            shared.register((kind, destination), entry.clone());
            tokio::spawn(
                conn::run_connection(shared.clone(), tcp, params, rx, slot, guard).instrument(span),
            );
        }
        Ok(entry)
    }

    /// Closes the listeners and every connection (TLS connections send close_notify), and waits
    /// for their tasks to end. Later sends fail with [`TransportError::Shutdown`].
    pub async fn shutdown(&self) {
        let shared = &self.shared;
        shared.shutdown.send_replace(true);
        loop {
            let notified = shared.tasks_done.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if shared.tasks.load(Ordering::Acquire) == 0 {
                break;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_requests_stay_on_udp() {
        assert!(!should_use_tcp(0, None));
        assert!(!should_use_tcp(1300, None));
        assert!(!should_use_tcp(1300, Some(1500)));
    }

    #[test]
    fn requests_over_1300_bytes_need_tcp() {
        assert!(should_use_tcp(1301, None));
        assert!(should_use_tcp(65_000, Some(9000)));
    }

    #[test]
    fn requests_within_200_bytes_of_the_mtu_need_tcp() {
        assert!(should_use_tcp(801, Some(1000)));
        assert!(!should_use_tcp(800, Some(1000)));
        assert!(should_use_tcp(1, Some(100)));
    }

    #[test]
    fn errors_are_clone_and_say_what_happened() {
        let e = TransportError::from(io::Error::other("boom"));
        assert!(e.clone().to_string().contains("boom"));
        assert!(
            TransportError::Disabled(TransportKind::Tls)
                .to_string()
                .contains("Tls")
        );
    }
}
