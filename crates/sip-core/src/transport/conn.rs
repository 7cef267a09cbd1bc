//! The tasks: the UDP socket, the stream listeners and one per connection.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, WriteHalf};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_rustls::TlsAcceptor;
use tracing::Instrument;

use super::{CloseReason, ConnEntry, Shared, Slot, TaskGuard, TransportEvent, TransportKind};
use crate::message::SipMessage;
use crate::message::framing::{Frame, KeepAliveRole, StreamFramer};

/// Largest datagram we read.
const MAX_DATAGRAM: usize = 65_535;

/// Who a connection task serves.
#[derive(Debug, Clone, Copy)]
pub(super) struct ConnParams {
    pub(super) kind: TransportKind,
    pub(super) remote: std::net::SocketAddr,
    pub(super) local: std::net::SocketAddr,
    pub(super) role: KeepAliveRole,
    pub(super) id: u64,
}

/// Receives datagrams until shutdown.
pub(super) async fn run_udp(shared: Arc<Shared>, sock: Arc<UdpSocket>, _guard: TaskGuard) {
    let mut shutdown = shared.shutdown.subscribe();
    let local = shared.udp_local.unwrap_or_else(|| ([0, 0, 0, 0], 0).into());
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let (n, source) = tokio::select! {
            r = sock.recv_from(&mut buf) => match r {
                Ok(x) => x,
                Err(e) => {
                    // e.g. ICMP port unreachable reported on the next read: not fatal.
                    tracing::debug!(error = %e, "UDP receive error");
                    continue;
                }
            },
            _ = shut_down(&mut shutdown) => break,
        };
        let data = &buf[..n];
        if data.iter().all(|&c| c == b'\r' || c == b'\n') {
            tracing::trace!(%source, "UDP keep-alive ignored");
            continue;
        }
        let raw = Bytes::copy_from_slice(data);
        let event = match SipMessage::parse_with(raw.clone(), &shared.config.limits) {
            Ok(message) => {
                tracing::debug!(%source, len = n, "UDP message received");
                TransportEvent::Received {
                    message: Box::new(message),
                    source,
                    local,
                    transport: TransportKind::Udp,
                }
            }
            Err(error) => {
                tracing::debug!(%source, len = n, %error, "malformed UDP datagram");
                TransportEvent::Malformed {
                    source,
                    transport: TransportKind::Udp,
                    error,
                    raw,
                }
            }
        };
        if !emit(&shared, event).await {
            break;
        }
    }
    tracing::debug!("UDP task ended");
}

/// Accepts TCP (or, with an acceptor, TLS) connections until shutdown.
pub(super) async fn run_listener(
    shared: Arc<Shared>,
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    _guard: TaskGuard,
) {
    let kind = if tls.is_some() {
        TransportKind::Tls
    } else {
        TransportKind::Tcp
    };
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        let (stream, remote) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::debug!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            _ = shut_down(&mut shutdown) => break,
        };
        let Some(slot) = shared.reserve_slot() else {
            tracing::warn!(%remote, limit = shared.config.max_connections, "connection refused: too many connections");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let local = match stream.local_addr() {
            Ok(a) => a,
            Err(e) => {
                tracing::debug!(%remote, error = %e, "accepted socket unusable");
                continue;
            }
        };
        let params = ConnParams {
            kind,
            remote,
            local,
            role: KeepAliveRole::Server,
            id: shared.next_id.fetch_add(1, Ordering::Relaxed),
        };
        let guard = shared.task();
        let span = tracing::debug_span!("sip_connection", ?kind, %remote, outbound = false);
        match &tls {
            None => {
                let rx = register(&shared, params);
                tokio::spawn(
                    run_connection(shared.clone(), stream, params, rx, slot, guard)
                        .instrument(span),
                );
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let shared = shared.clone();
                let timeout = shared.config.tls.timeout;
                tokio::spawn(
                    async move {
                        let mut shutdown = shared.shutdown.subscribe();
                        let stream = tokio::select! {
                            r = tokio::time::timeout(timeout, acceptor.accept(stream)) => match r {
                                Ok(Ok(s)) => s,
                                Ok(Err(e)) => {
                                    tracing::debug!(error = %e, "TLS handshake failed");
                                    return;
                                }
                                Err(_) => {
                                    tracing::debug!("TLS handshake timed out");
                                    return;
                                }
                            },
                            _ = shut_down(&mut shutdown) => return,
                        };
                        let rx = register(&shared, params);
                        run_connection(shared, stream, params, rx, slot, guard).await;
                    }
                    .instrument(span),
                );
            }
        }
    }
    tracing::debug!("listener ended");
}

/// Delivers an event, waiting for room in the channel unless shutdown is requested meanwhile
/// (so a full channel never blocks shutdown). False when the event was not delivered.
async fn emit(shared: &Shared, event: TransportEvent) -> bool {
    let mut shutdown = shared.shutdown.subscribe();
    tokio::select! {
        r = shared.events.send(event) => r.is_ok(),
        _ = shut_down(&mut shutdown) => false,
    }
}

/// Completes when shutdown is requested (or the layer is gone).
async fn shut_down(rx: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

fn register(shared: &Shared, params: ConnParams) -> mpsc::Receiver<Bytes> {
    let (tx, rx) = mpsc::channel(64);
    shared.register(
        (params.kind, params.remote),
        ConnEntry { id: params.id, tx },
    );
    rx
}

/// Drives one connection: reads and frames, writes queued bytes, pings, idles out.
pub(super) async fn run_connection<S>(
    shared: Arc<Shared>,
    stream: S,
    p: ConnParams,
    mut rx: mpsc::Receiver<Bytes>,
    slot: Slot,
    guard: TaskGuard,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    tracing::debug!(local = %p.local, "connection opened");
    emit(
        &shared,
        TransportEvent::ConnectionOpened {
            remote: p.remote,
            local: p.local,
            transport: p.kind,
        },
    )
    .await;
    let (mut rd, mut wr) = tokio::io::split(stream);
    let mut framer = StreamFramer::new(shared.config.limits.clone(), p.role);
    let mut buf = vec![0u8; 16 * 1024];
    let idle = shared.config.idle_timeout;
    let mut deadline = Instant::now() + idle;
    let mut keepalive = match (p.role, shared.config.keepalive_interval) {
        (KeepAliveRole::Client, Some(period)) if !period.is_zero() => {
            let mut i = tokio::time::interval_at(Instant::now() + period, period);
            i.set_missed_tick_behavior(MissedTickBehavior::Delay);
            Some(i)
        }
        _ => None,
    };
    let mut shutdown = shared.shutdown.subscribe();
    let reason = loop {
        let ping_due = async {
            match keepalive.as_mut() {
                Some(i) => {
                    i.tick().await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            r = rd.read(&mut buf) => match r {
                Ok(0) => break CloseReason::PeerClosed,
                Ok(n) => {
                    deadline = Instant::now() + idle;
                    if let Err(e) = framer.push(&buf[..n]) {
                        break CloseReason::Framing(e);
                    }
                    if let Err(reason) = drain(&shared, &mut framer, &mut wr, p).await {
                        break reason;
                    }
                }
                Err(e) => break CloseReason::Io(Arc::new(e)),
            },
            out = rx.recv() => match out {
                Some(bytes) => {
                    deadline = Instant::now() + idle;
                    tracing::trace!(len = bytes.len(), "writing");
                    if let Err(e) = wr.write_all(&bytes).await {
                        break CloseReason::Io(Arc::new(e));
                    }
                }
                None => break CloseReason::Shutdown,
            },
            _ = ping_due => {
                tracing::trace!("keep-alive ping");
                if let Err(e) = wr.write_all(b"\r\n\r\n").await {
                    break CloseReason::Io(Arc::new(e));
                }
            }
            _ = tokio::time::sleep_until(deadline) => break CloseReason::IdleTimeout,
            _ = shut_down(&mut shutdown) => break CloseReason::Shutdown,
        }
    };
    shared.unregister((p.kind, p.remote), p.id);
    // Close our side cleanly (TLS close_notify, TCP FIN), without waiting forever.
    let _ = tokio::time::timeout(Duration::from_millis(500), wr.shutdown()).await;
    tracing::debug!(%reason, "connection closed");
    let event = TransportEvent::ConnectionClosed {
        remote: p.remote,
        transport: p.kind,
        reason,
    };
    if shared.is_shut_down() {
        let _ = shared.events.try_send(event);
    } else {
        emit(&shared, event).await;
    }
    drop(slot);
    drop(guard);
}

/// Hands every complete frame to its consumer.
async fn drain<W: AsyncWrite>(
    shared: &Shared,
    framer: &mut StreamFramer,
    wr: &mut WriteHalf<W>,
    p: ConnParams,
) -> Result<(), CloseReason> {
    while let Some(frame) = framer.next_frame() {
        match frame {
            Ok(Frame::Message(message)) => {
                tracing::debug!("message received");
                emit(
                    shared,
                    TransportEvent::Received {
                        message,
                        source: p.remote,
                        local: p.local,
                        transport: p.kind,
                    },
                )
                .await;
            }
            Ok(Frame::Ping) => {
                tracing::trace!("keep-alive ping answered");
                wr.write_all(b"\r\n")
                    .await
                    .map_err(|e| CloseReason::Io(Arc::new(e)))?;
            }
            Ok(Frame::Pong) => {
                emit(
                    shared,
                    TransportEvent::KeepAlivePong {
                        remote: p.remote,
                        transport: p.kind,
                    },
                )
                .await;
            }
            Ok(Frame::Malformed { raw, error }) => {
                tracing::debug!(%error, "malformed message on a stream");
                emit(
                    shared,
                    TransportEvent::Malformed {
                        source: p.remote,
                        transport: p.kind,
                        error,
                        raw,
                    },
                )
                .await;
            }
            Err(e) => return Err(CloseReason::Framing(e)),
        }
    }
    Ok(())
}
