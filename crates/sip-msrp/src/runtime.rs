//! The tokio driver (feature `runtime`): MSRP over TCP and TLS.
//!
//! * [`connect`] opens a connection (the active end) and returns an [`MsrpConnectionHandle`];
//!   [`MsrpConnectionHandle::start_session`] puts a session on it (sending the bodiless SEND
//!   that binds it) and several sessions can share one connection;
//!   [`MsrpConnectionHandle::authenticate`] runs the RFC 4976 AUTH exchange with a relay.
//! * [`MsrpListener`] accepts connections (the passive end); [`MsrpListener::expect_session`]
//!   registers a session, which becomes live when the peer's first request for it arrives.
//! * A [`SessionHandle`] sends messages ([`SessionHandle::send`] resolves with the delivery
//!   report, or the 200 responses, or the hand-over to the socket, depending on what the
//!   message asked for) and yields incoming messages and chunks through
//!   [`SessionHandle::next_event`] from a bounded channel: while it is full the connection
//!   stops reading from the socket, so a slow consumer slows the sender down.
//!
//! One task owns each connection and its [`MsrpConnection`], and both reads and writes the
//! socket: it waits for whichever is ready, so reading never waits for writing. Frames go out
//! through a [`WriteQueue`] of at most about 256 KiB, in vectored writes that take chunk
//! bodies straight from the message being sent.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use rustls::pki_types::ServerName;
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_rustls::{TlsAcceptor, TlsConnector};

use crate::connection::{ConnectionEvent, MsrpConnection, WriteQueue};
use crate::error::SessionError;
use crate::message::{FailureReport, Limits};
use crate::relay::{RelayAuth, RelayAuthStep};
use crate::session::{MsrpSession, OutgoingMessage, SessionEvent};
use crate::uri::MsrpUri;

/// Capacity of each session's event channel.
const EVENT_CAPACITY: usize = 16;
/// Bytes of encoded frames queued for the socket before the sessions are asked for more.
const WRITE_HIGH_WATER: usize = 256 * 1024;
/// Size of the read buffer, and the free space below which it is renewed.
const READ_BUFFER: usize = 512 * 1024;
const READ_MIN_SPARE: usize = 64 * 1024;

/// How a sent message ended well.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendOutcome {
    /// A success REPORT covering the whole message arrived (`Success-Report: yes`).
    Delivered {
        /// The Message-ID.
        message_id: String,
    },
    /// Every chunk got a 200 from the next hop (`Failure-Report: yes`, no success report).
    Acknowledged {
        /// The Message-ID.
        message_id: String,
    },
    /// The last chunk was handed to the socket (`Failure-Report: no` or `partial`, no
    /// success report).
    Sent {
        /// The Message-ID.
        message_id: String,
    },
}

impl SendOutcome {
    /// The Message-ID.
    pub fn message_id(&self) -> &str {
        match self {
            SendOutcome::Delivered { message_id }
            | SendOutcome::Acknowledged { message_id }
            | SendOutcome::Sent { message_id } => message_id,
        }
    }
}

/// Why a send, a session or a connection failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MsrpError {
    /// The message was not delivered: an error response, a failure REPORT or a timeout (408).
    #[error("MSRP message {message_id} failed: {code} {reason}")]
    DeliveryFailed {
        /// The Message-ID.
        message_id: String,
        /// The status code.
        code: u16,
        /// The reason.
        reason: String,
    },
    /// The session refused the command.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The connection is closed.
    #[error("MSRP connection closed")]
    ConnectionClosed,
    /// Relay authentication failed.
    #[error("MSRP relay AUTH failed: {code} {reason}")]
    RelayAuth {
        /// The status code.
        code: u16,
        /// The reason.
        reason: String,
    },
    /// An I/O or TLS error, as text (errors that travel in events are `Clone`).
    #[error("MSRP I/O: {0}")]
    Io(String),
}

type AuthReply = oneshot::Sender<Result<(Vec<MsrpUri>, Option<u32>), MsrpError>>;
type SendReply = oneshot::Sender<Result<SendOutcome, MsrpError>>;

enum Command {
    AddSession {
        session: Box<MsrpSession>,
        events: mpsc::Sender<SessionEvent>,
        cmds: mpsc::Receiver<SessionCommand>,
        bind: bool,
    },
    Session(String, SessionCommand),
    Auth {
        auth: Box<RelayAuth>,
        reply: AuthReply,
    },
}

/// The pieces of a streamed message's body, read by a feeder task.
type FeedSource = mpsc::Receiver<io::Result<Bytes>>;

enum SessionCommand {
    Send {
        msg: OutgoingMessage,
        reply: SendReply,
        source: Option<FeedSource>,
    },
    Abort {
        message_id: String,
    },
    Close,
}

/// A session on a connection. Dropping it (or [`close`](Self::close)) ends the session.
#[derive(Debug)]
pub struct SessionHandle {
    local: MsrpUri,
    cmds: mpsc::Sender<SessionCommand>,
    events: mpsc::Receiver<SessionEvent>,
}

impl SessionHandle {
    /// Our URI.
    pub fn local_uri(&self) -> &MsrpUri {
        &self.local
    }

    /// Queues a message and waits for its outcome (see [`SendOutcome`]).
    pub async fn send(&self, msg: OutgoingMessage) -> Result<SendOutcome, MsrpError> {
        self.send_queued(msg).await?.await
    }

    /// Queues a message and returns a future of its outcome, so that several messages can be
    /// in flight (and interleave) at once.
    pub async fn send_queued(
        &self,
        msg: OutgoingMessage,
    ) -> Result<impl Future<Output = Result<SendOutcome, MsrpError>> + use<>, MsrpError> {
        let (reply, rx) = oneshot::channel();
        self.cmds
            .send(SessionCommand::Send {
                msg,
                reply,
                source: None,
            })
            .await
            .map_err(|_| MsrpError::ConnectionClosed)?;
        Ok(async move { rx.await.unwrap_or(Err(MsrpError::ConnectionClosed)) })
    }

    /// Sends a streamed message ([`OutgoingMessage::streamed`]) whose body is read from
    /// `source` while it is sent: a feeder task reads pieces of up to 64 KiB as the session
    /// asks for them (it holds at most [`crate::STREAM_WINDOW_CHUNKS`] chunks, plus two pieces
    /// in flight), so a large file is never wholly in memory. Resolves like
    /// [`send`](Self::send); if `source` fails or ends before `stream_total` bytes, the
    /// message is aborted and the send fails with [`MsrpError::Io`]. Bytes after
    /// `stream_total` are not read.
    pub async fn send_stream<R>(
        &self,
        msg: OutgoingMessage,
        mut source: R,
    ) -> Result<SendOutcome, MsrpError>
    where
        R: AsyncRead + Unpin + Send + 'static,
    {
        let Some(total) = msg.stream_total else {
            return Err(MsrpError::Io(
                "send_stream needs a message made with OutgoingMessage::streamed".into(),
            ));
        };
        let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(2);
        let feeder = tokio::spawn(async move {
            let mut left = total;
            while left > 0 {
                let piece = left.min(FEED_PIECE as u64);
                let mut buf = BytesMut::with_capacity(piece as usize);
                let mut limited = (&mut source).take(piece);
                loop {
                    match limited.read_buf(&mut buf).await {
                        Ok(0) => break,
                        Ok(_) => {}
                        Err(e) => {
                            let _ = tx.send(Err(e)).await;
                            return;
                        }
                    }
                }
                if buf.is_empty() {
                    // Ended early: the closed channel tells the connection task.
                    return;
                }
                left -= buf.len() as u64;
                if tx.send(Ok(buf.freeze())).await.is_err() {
                    return;
                }
            }
        });
        let (reply, out) = oneshot::channel();
        let sent = self
            .cmds
            .send(SessionCommand::Send {
                msg,
                reply,
                source: Some(rx),
            })
            .await;
        let result = match sent {
            Ok(()) => out.await.unwrap_or(Err(MsrpError::ConnectionClosed)),
            Err(_) => Err(MsrpError::ConnectionClosed),
        };
        feeder.abort();
        result
    }

    /// Aborts an outgoing message.
    pub async fn abort(&self, message_id: &str) -> Result<(), MsrpError> {
        self.cmds
            .send(SessionCommand::Abort {
                message_id: message_id.to_owned(),
            })
            .await
            .map_err(|_| MsrpError::ConnectionClosed)
    }

    /// The next incoming event: [`SessionEvent::MessageReceived`],
    /// [`SessionEvent::ChunkReceived`], [`SessionEvent::MessageAborted`] or
    /// [`SessionEvent::IncomingExpired`]; `None` when the
    /// session or its connection ended. (The outcomes of sent messages come from
    /// [`send`](Self::send).)
    pub async fn next_event(&mut self) -> Option<SessionEvent> {
        self.events.recv().await
    }

    /// Ends the session (queued messages fail).
    pub async fn close(self) {
        let _ = self.cmds.send(SessionCommand::Close).await;
    }
}

/// A connection (active end) that sessions can be started on.
#[derive(Debug, Clone)]
pub struct MsrpConnectionHandle {
    cmds: mpsc::Sender<Command>,
    local_addr: SocketAddr,
}

impl MsrpConnectionHandle {
    /// Puts `session` on this connection and sends a bodiless SEND to bind it at the passive
    /// end (RFC 4975 §5.4).
    pub async fn start_session(&self, session: MsrpSession) -> Result<SessionHandle, MsrpError> {
        add_session(&self.cmds, session, true).await
    }

    /// Runs the AUTH exchange with the relay at the other end of this connection; returns the
    /// Use-Path and the Expires the relay granted. The connection then keeps the reservation:
    /// it sends a refreshing AUTH at three quarters of each granted Expires (answering new
    /// challenges), for as long as it lives.
    pub async fn authenticate(
        &self,
        auth: RelayAuth,
    ) -> Result<(Vec<MsrpUri>, Option<u32>), MsrpError> {
        let (reply, rx) = oneshot::channel();
        self.cmds
            .send(Command::Auth {
                auth: Box::new(auth),
                reply,
            })
            .await
            .map_err(|_| MsrpError::ConnectionClosed)?;
        rx.await.unwrap_or(Err(MsrpError::ConnectionClosed))
    }

    /// The local address of the TCP connection. Use it in our MSRP URI when talking to a relay
    /// that routes to the last hop by the URI's address (Kamailio).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Whether the connection task ended.
    pub fn is_closed(&self) -> bool {
        self.cmds.is_closed()
    }
}

async fn add_session(
    cmds: &mpsc::Sender<Command>,
    session: MsrpSession,
    bind: bool,
) -> Result<SessionHandle, MsrpError> {
    let local = session.local_uri().clone();
    let (ev_tx, ev_rx) = mpsc::channel(EVENT_CAPACITY);
    let (cmd_tx, cmd_rx) = mpsc::channel(16);
    cmds.send(Command::AddSession {
        session: Box::new(session),
        events: ev_tx,
        cmds: cmd_rx,
        bind,
    })
    .await
    .map_err(|_| MsrpError::ConnectionClosed)?;
    Ok(SessionHandle {
        local,
        cmds: cmd_tx,
        events: ev_rx,
    })
}

/// TLS settings for [`connect`]: the client configuration and the name to verify.
#[derive(Debug, Clone)]
pub struct TlsClient {
    /// The rustls client configuration (roots, versions).
    pub config: Arc<rustls::ClientConfig>,
    /// The server name (DNS name or IP address) the certificate must match.
    pub server_name: ServerName<'static>,
}

/// Connects to `addr` over TCP, or TLS when `tls` is given, and starts the connection task.
pub async fn connect(
    addr: SocketAddr,
    tls: Option<TlsClient>,
    limits: Limits,
) -> Result<MsrpConnectionHandle, MsrpError> {
    let tcp = TcpStream::connect(addr)
        .await
        .map_err(|e| MsrpError::Io(e.to_string()))?;
    let _ = tcp.set_nodelay(true);
    let local_addr = tcp.local_addr().map_err(|e| MsrpError::Io(e.to_string()))?;
    let (tx, rx) = mpsc::channel(64);
    match tls {
        None => {
            tokio::spawn(drive(tcp, rx, None, limits));
        }
        Some(t) => {
            let stream = TlsConnector::from(t.config)
                .connect(t.server_name, tcp)
                .await
                .map_err(|e| MsrpError::Io(e.to_string()))?;
            tokio::spawn(drive(stream, rx, None, limits));
        }
    }
    Ok(MsrpConnectionHandle {
        cmds: tx,
        local_addr,
    })
}

type Registry = Arc<Mutex<HashMap<String, PendingSession>>>;

#[derive(Debug)]
struct PendingSession {
    session: MsrpSession,
    events: mpsc::Sender<SessionEvent>,
    cmds: mpsc::Receiver<SessionCommand>,
}

/// Accepts MSRP connections (the passive end). Dropping it stops accepting; connections
/// already accepted go on.
#[derive(Debug)]
pub struct MsrpListener {
    local_addr: SocketAddr,
    registry: Registry,
    task: JoinHandle<()>,
}

impl Drop for MsrpListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl MsrpListener {
    /// Listens on `addr`, with TLS when `tls` is given.
    pub async fn bind(
        addr: SocketAddr,
        tls: Option<Arc<rustls::ServerConfig>>,
        limits: Limits,
    ) -> io::Result<MsrpListener> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let registry: Registry = Arc::default();
        let reg = registry.clone();
        let acceptor = tls.map(TlsAcceptor::from);
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _peer)) = listener.accept().await else {
                    continue;
                };
                let _ = tcp.set_nodelay(true);
                let reg = reg.clone();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // No handle for an accepted connection: it lives while its sessions do.
                    let (_, rx) = mpsc::channel(1);
                    match acceptor {
                        None => drive(tcp, rx, Some(reg), limits).await,
                        Some(a) => {
                            if let Ok(s) = a.accept(tcp).await {
                                drive(s, rx, Some(reg), limits).await;
                            }
                        }
                    }
                });
            }
        });
        Ok(MsrpListener {
            local_addr,
            registry,
            task,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Registers a session that the peer will connect to; it becomes live when the first
    /// request addressed to its URI arrives on any accepted connection.
    pub fn expect_session(&self, session: MsrpSession) -> Result<SessionHandle, MsrpError> {
        let local = session.local_uri().clone();
        let id = local
            .session_id
            .clone()
            .ok_or(MsrpError::Session(SessionError::Closed))?;
        let (ev_tx, ev_rx) = mpsc::channel(EVENT_CAPACITY);
        let (cmd_tx, cmd_rx) = mpsc::channel(16);
        self.registry
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                id,
                PendingSession {
                    session,
                    events: ev_tx,
                    cmds: cmd_rx,
                },
            );
        Ok(SessionHandle {
            local,
            cmds: cmd_tx,
            events: ev_rx,
        })
    }
}

/// A streamed message being fed from its source.
struct Feed {
    session: String,
    message_id: String,
    source: FeedSource,
    /// A piece received and not yet (wholly) given to the session; `Some(None)`: the source
    /// is finished.
    received: Option<Option<io::Result<Bytes>>>,
}

/// Largest piece a feeder reads at once.
const FEED_PIECE: usize = 64 * 1024;

struct SessionLink {
    events: mpsc::Sender<SessionEvent>,
    waiting: HashMap<String, (SendReply, bool, FailureReport)>,
}

struct Driver {
    conn: MsrpConnection,
    links: HashMap<String, SessionLink>,
    stash: VecDeque<(String, SessionEvent)>,
    auth: Option<(Box<RelayAuth>, AuthReply)>,
    /// The relay reservation to refresh before it expires (after a successful AUTH).
    refresh: Option<Box<RelayAuth>>,
    /// Streamed messages being fed.
    feeds: Vec<Feed>,
    registry: Option<Registry>,
    self_tx: mpsc::Sender<Command>,
    ever_attached: bool,
}

impl Driver {
    fn attach(
        &mut self,
        session: MsrpSession,
        events: mpsc::Sender<SessionEvent>,
        cmds: mpsc::Receiver<SessionCommand>,
    ) {
        let Some(id) = session.local_uri().session_id.clone() else {
            return;
        };
        if !self.conn.add_session(session) {
            return;
        }
        self.ever_attached = true;
        self.links.insert(
            id.clone(),
            SessionLink {
                events,
                waiting: HashMap::new(),
            },
        );
        // Forward the session's commands into this connection's command channel.
        let tx = self.self_tx.clone();
        let mut cmds = cmds;
        tokio::spawn(async move {
            while let Some(c) = cmds.recv().await {
                if tx.send(Command::Session(id.clone(), c)).await.is_err() {
                    return;
                }
            }
            let _ = tx.send(Command::Session(id, SessionCommand::Close)).await;
        });
    }

    fn handle_command(&mut self, cmd: Command) {
        match cmd {
            Command::AddSession {
                mut session,
                events,
                cmds,
                bind,
            } => {
                if bind {
                    let _ = session.send_bodiless();
                }
                self.attach(*session, events, cmds);
            }
            Command::Session(id, c) => {
                let Some(link) = self.links.get_mut(&id) else {
                    if let SessionCommand::Send { reply, .. } = c {
                        let _ = reply.send(Err(MsrpError::ConnectionClosed));
                    }
                    return;
                };
                let Some(session) = self.conn.session_mut(&id) else {
                    return;
                };
                match c {
                    SessionCommand::Send { msg, reply, source } => {
                        let (sr, fr) = (msg.success_report, msg.failure_report);
                        match session.send_message(msg) {
                            Ok(mid) => {
                                if let Some(source) = source {
                                    self.feeds.push(Feed {
                                        session: id.clone(),
                                        message_id: mid.clone(),
                                        source,
                                        received: None,
                                    });
                                }
                                link.waiting.insert(mid, (reply, sr, fr));
                            }
                            Err(e) => {
                                let _ = reply.send(Err(e.into()));
                            }
                        }
                    }
                    SessionCommand::Abort { message_id } => {
                        let _ = session.abort(&message_id);
                        if let Some((reply, ..)) = link.waiting.remove(&message_id) {
                            let _ = reply.send(Err(MsrpError::DeliveryFailed {
                                message_id,
                                code: 0,
                                reason: "aborted".into(),
                            }));
                        }
                    }
                    SessionCommand::Close => {
                        session.close();
                        self.dispatch();
                        self.conn.remove_session(&id);
                        self.links.remove(&id);
                    }
                }
            }
            Command::Auth { mut auth, reply } => {
                self.refresh = None;
                let m = auth.start();
                self.conn.send_raw(m);
                self.auth = Some((auth, reply));
            }
        }
    }

    /// Gives streamed messages the pieces their feeders read, as far as the sessions take
    /// them; a source that failed or ended early aborts its message. Returns the indices of
    /// the feeds that want more and have nothing received.
    fn pump_feeds(&mut self) -> Vec<usize> {
        let mut hungry = Vec::new();
        let mut i = 0;
        while i < self.feeds.len() {
            let f = &mut self.feeds[i];
            let Some(session) = self.conn.session_mut(&f.session) else {
                self.feeds.swap_remove(i);
                continue;
            };
            let mut failure = None;
            let mut done = false;
            loop {
                let Some(wanted) = session.stream_wanted(&f.message_id) else {
                    // Sent, aborted or failed: nothing more to feed.
                    done = true;
                    break;
                };
                if wanted == 0 {
                    break;
                }
                let piece = match f.received.take() {
                    Some(p) => p,
                    None => match f.source.try_recv() {
                        Ok(p) => Some(p),
                        Err(mpsc::error::TryRecvError::Empty) => {
                            hungry.push(i);
                            break;
                        }
                        Err(mpsc::error::TryRecvError::Disconnected) => None,
                    },
                };
                match piece {
                    Some(Ok(mut b)) => {
                        let now = b.split_to(wanted.min(b.len()));
                        if !b.is_empty() {
                            f.received = Some(Some(Ok(b)));
                        }
                        if session.feed(&f.message_id, now).is_err() {
                            failure = Some("streamed message refused its bytes".to_owned());
                            break;
                        }
                    }
                    Some(Err(e)) => {
                        failure = Some(e.to_string());
                        break;
                    }
                    None => {
                        failure = Some("the source ended before the message size".to_owned());
                        break;
                    }
                }
            }
            if let Some(reason) = failure {
                let _ = session.abort(&f.message_id);
                let f = self.feeds.swap_remove(i);
                hungry.retain(|&h| h != i);
                if let Some((reply, ..)) = self
                    .links
                    .get_mut(&f.session)
                    .and_then(|l| l.waiting.remove(&f.message_id))
                {
                    let _ = reply.send(Err(MsrpError::Io(reason)));
                }
                continue;
            }
            if done {
                self.feeds.swap_remove(i);
                continue;
            }
            i += 1;
        }
        hungry
    }

    /// Routes connection events: outcomes to waiting senders, incoming data to the session
    /// channels (stashed when a channel is full).
    fn dispatch(&mut self) {
        while let Some(ev) = self.conn.poll_event() {
            match ev {
                ConnectionEvent::Session { session, event } => self.session_event(session, event),
                ConnectionEvent::UnknownSession { message } => {
                    let id = message
                        .headers
                        .to_path
                        .first()
                        .and_then(|u| u.session_id.clone());
                    // Frames decoded in the same read as the one that attached the session
                    // were routed before it was attached.
                    if id
                        .as_deref()
                        .is_some_and(|id| self.conn.session_mut(id).is_some())
                    {
                        self.conn.handle_message(now(), *message);
                        continue;
                    }
                    let pending = match (&self.registry, id) {
                        (Some(r), Some(id)) => {
                            r.lock().unwrap_or_else(|e| e.into_inner()).remove(&id)
                        }
                        _ => None,
                    };
                    match pending {
                        Some(p) => {
                            self.attach(p.session, p.events, p.cmds);
                            self.conn.handle_message(now(), *message);
                        }
                        None => self.conn.reject_unknown(&message),
                    }
                }
                ConnectionEvent::UnmatchedResponse { message } => {
                    let now = now();
                    if let Some((mut auth, reply)) = self.auth.take() {
                        match auth.handle_response_at(now, &message) {
                            RelayAuthStep::Send(m) => {
                                self.conn.send_raw(*m);
                                self.auth = Some((auth, reply));
                            }
                            RelayAuthStep::Authenticated { use_path, expires } => {
                                let _ = reply.send(Ok((use_path, expires)));
                                if auth.poll_timeout().is_some() {
                                    self.refresh = Some(auth);
                                }
                            }
                            RelayAuthStep::Failed { code, reason } => {
                                let _ = reply.send(Err(MsrpError::RelayAuth { code, reason }));
                            }
                            _ => self.auth = Some((auth, reply)),
                        }
                    } else if let Some(mut refresh) = self.refresh.take() {
                        // A response to a refreshing AUTH: answer a new challenge, keep the
                        // next refresh time; a refusal ends the refreshing.
                        match refresh.handle_response_at(now, &message) {
                            RelayAuthStep::Send(m) => {
                                self.conn.send_raw(*m);
                                self.refresh = Some(refresh);
                            }
                            RelayAuthStep::Failed { .. } => {}
                            _ => self.refresh = Some(refresh),
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn session_event(&mut self, session: String, event: SessionEvent) {
        let Some(link) = self.links.get_mut(&session) else {
            return;
        };
        let resolve = |link: &mut SessionLink, id: &str, r: Result<SendOutcome, MsrpError>| {
            if let Some((reply, ..)) = link.waiting.remove(id) {
                let _ = reply.send(r);
            }
        };
        match event {
            SessionEvent::MessageSent { message_id } => {
                if let Some((_, sr, fr)) = link.waiting.get(&message_id)
                    && !sr
                    && *fr != FailureReport::Yes
                {
                    resolve(
                        link,
                        &message_id.clone(),
                        Ok(SendOutcome::Sent { message_id }),
                    );
                }
            }
            SessionEvent::MessageAcknowledged { message_id }
                if link.waiting.get(&message_id).is_some_and(|(_, sr, _)| !sr) =>
            {
                resolve(
                    link,
                    &message_id.clone(),
                    Ok(SendOutcome::Acknowledged { message_id }),
                );
            }
            SessionEvent::Delivered {
                message_id,
                complete: true,
                ..
            } => resolve(
                link,
                &message_id.clone(),
                Ok(SendOutcome::Delivered { message_id }),
            ),
            SessionEvent::DeliveryFailed {
                message_id,
                code,
                reason,
            } => resolve(
                link,
                &message_id.clone(),
                Err(MsrpError::DeliveryFailed {
                    message_id,
                    code,
                    reason,
                }),
            ),
            e @ (SessionEvent::MessageReceived(_)
            | SessionEvent::ChunkReceived(_)
            | SessionEvent::MessageAborted { .. }
            | SessionEvent::IncomingExpired { .. }) => {
                if !self.stash.is_empty() {
                    self.stash.push_back((session, e));
                } else if let Err(mpsc::error::TrySendError::Full(e)) = link.events.try_send(e) {
                    self.stash.push_back((session, e));
                }
            }
            _ => {}
        }
    }
}

/// The current time for the sans-IO cores, from tokio's clock (so that the timers run on
/// virtual time when it is paused, as in tests).
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// What the socket future of the connection task did.
enum Io {
    Read(io::Result<usize>),
    /// A write (`Some(bytes)`) or a flush (`None`).
    Write(io::Result<Option<usize>>),
}

/// Reads in a row before a pending write goes first.
const READ_BURST: usize = 4;

/// The read buffer and a few spent ones kept for reuse. Incoming bodies are handed out as
/// slices of the buffer they were read into, so a buffer can be written again only when the
/// application has dropped them all; reusing buffers then (instead of allocating fresh ones)
/// saves the page faults of new memory on every buffer's worth of input.
struct ReadBuffers {
    current: BytesMut,
    spent: Vec<BytesMut>,
}

/// How many spent read buffers a connection keeps at most (while the application holds on to
/// what was read; one is let go whenever the current buffer can be reused in place).
const READ_SPARES: usize = 16;

impl ReadBuffers {
    fn new() -> Self {
        ReadBuffers {
            current: BytesMut::with_capacity(READ_BUFFER),
            spent: Vec::new(),
        }
    }

    /// Makes sure the next read has room for [`READ_MIN_SPARE`] bytes. The bytes not yet
    /// decoded (the start of a frame) stay in front.
    fn make_room(&mut self) {
        if self.current.capacity() - self.current.len() >= READ_MIN_SPARE {
            return;
        }
        // Everything read into it is gone: start again at its beginning. The application
        // keeps up, so the spares are not needed: let one go.
        if self.current.try_reclaim(READ_MIN_SPARE) {
            self.spent.pop();
            return;
        }
        let need = self.current.len() + READ_MIN_SPARE;
        let next = match self.spent.iter_mut().position(|b| b.try_reclaim(need)) {
            Some(i) => self.spent.swap_remove(i),
            None => BytesMut::with_capacity(READ_BUFFER.max(need)),
        };
        let mut old = std::mem::replace(&mut self.current, next);
        self.current.extend_from_slice(&old);
        old.clear();
        if self.spent.len() < READ_SPARES {
            self.spent.push(old);
        }
    }
}

async fn drive<S: AsyncRead + AsyncWrite + Send + 'static>(
    stream: S,
    mut cmds: mpsc::Receiver<Command>,
    registry: Option<Registry>,
    limits: Limits,
) {
    // Session handles' commands come through their forwarders on this channel; `cmds` is the
    // connection handle's. The task ends when the connection handle is gone (for an accepted
    // connection: when its first sessions came and went) and no session is left.
    let (self_tx, mut session_cmds) = mpsc::channel(64);
    let passive = registry.is_some();
    let mut handle_gone = false;
    let (mut reader, mut writer) = tokio::io::split(stream);
    // Frames waiting for the socket; chunk bodies are not copied into it (see WriteQueue).
    let mut wq = WriteQueue::new();
    let mut need_flush = false;
    let mut reads_in_a_row = 0usize;
    let mut d = Driver {
        conn: MsrpConnection::new(limits),
        links: HashMap::new(),
        stash: VecDeque::new(),
        auth: None,
        refresh: None,
        feeds: Vec::new(),
        registry,
        self_tx,
        ever_attached: false,
    };
    let mut rbufs = ReadBuffers::new();
    loop {
        if handle_gone && d.links.is_empty() && d.auth.is_none() && (!passive || d.ever_attached) {
            // Send what is queued (responses owed by closed sessions), then close.
            while d.conn.poll_transmit_queue(now(), &mut wq) {}
            if writer.write_all_buf(&mut wq).await.is_ok() {
                let _ = writer.shutdown().await;
            }
            return;
        }
        // Events first: they can queue responses (481, or a session attached just now).
        d.dispatch();
        let hungry = d.pump_feeds();
        // Take frames while the write queue is short: the sessions keep the rest, so memory
        // stays bounded when the peer reads slowly.
        while wq.len() < WRITE_HIGH_WATER && d.conn.poll_transmit_queue(now(), &mut wq) {}
        d.dispatch();
        // Deliver stashed events while their channels have room.
        while let Some((sid, _)) = d.stash.front() {
            let Some(link) = d.links.get(sid) else {
                d.stash.pop_front();
                continue;
            };
            match link.events.try_reserve() {
                Ok(permit) => {
                    if let Some((_, e)) = d.stash.pop_front() {
                        permit.send(e);
                    }
                }
                Err(mpsc::error::TrySendError::Closed(())) => {
                    d.stash.pop_front();
                }
                Err(mpsc::error::TrySendError::Full(())) => break,
            }
        }
        let stash_target = d
            .stash
            .front()
            .and_then(|(sid, _)| d.links.get(sid))
            .map(|l| l.events.clone());
        let deadline = match (
            d.conn.poll_timeout(),
            d.refresh.as_ref().and_then(|r| r.poll_timeout()),
        ) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        // One task reads and writes the socket, through one future that polls both (so
        // reading never waits for writing). Reading goes first for a few reads in a row, so
        // that the responses to several chunks go out together in one write; then writing
        // goes first once, so a peer that never stops sending cannot hold our frames back.
        let can_read = d.stash.is_empty();
        let want_write = need_flush || !wq.is_empty();
        let read_first = reads_in_a_row < READ_BURST;
        tokio::select! {
            io = std::future::poll_fn(|cx| {
                for read_turn in [read_first, !read_first] {
                    if read_turn && can_read {
                        let read = std::pin::pin!(reader.read_buf(&mut rbufs.current)).poll(cx);
                        if let Poll::Ready(r) = read {
                            return Poll::Ready(Io::Read(r));
                        }
                    }
                    if !read_turn && want_write {
                        let written = if wq.is_empty() {
                            std::pin::pin!(writer.flush()).poll(cx).map_ok(|()| None)
                        } else {
                            std::pin::pin!(writer.write_buf(&mut wq)).poll(cx).map_ok(Some)
                        };
                        if let Poll::Ready(w) = written {
                            return Poll::Ready(Io::Write(w));
                        }
                    }
                }
                Poll::Pending
            }), if can_read || want_write => match io {
                Io::Read(Ok(0) | Err(_)) => break,
                Io::Read(Ok(_)) => {
                    reads_in_a_row += 1;
                    if d.conn.handle_input(now(), &mut rbufs.current).is_err() {
                        break;
                    }
                    rbufs.make_room();
                }
                Io::Write(w) => {
                    reads_in_a_row = 0;
                    match w {
                        Ok(Some(0)) | Err(_) => break,
                        Ok(Some(_)) => need_flush = true,
                        Ok(None) => need_flush = false,
                    }
                }
            },
            () = std::future::poll_fn(|cx| {
                for &i in &hungry {
                    if let Some(f) = d.feeds.get_mut(i)
                        && let Poll::Ready(p) = f.source.poll_recv(cx)
                    {
                        f.received = Some(p);
                        return Poll::Ready(());
                    }
                }
                Poll::Pending
            }), if !hungry.is_empty() => {}
            c = cmds.recv(), if !handle_gone => match c {
                Some(c) => d.handle_command(c),
                None => handle_gone = true,
            },
            Some(c) = session_cmds.recv() => d.handle_command(c),
            p = async { stash_target.as_ref().expect("guarded").reserve().await }, if stash_target.is_some() => {
                if let (Ok(permit), Some((_, e))) = (p, d.stash.pop_front()) {
                    permit.send(e);
                }
            }
            _ = async { tokio::time::sleep_until(deadline.expect("guarded").into()).await }, if deadline.is_some() => {
                let now = now();
                d.conn.handle_timeout(now);
                if let Some(m) = d.refresh.as_mut().and_then(|r| r.handle_timeout(now)) {
                    d.conn.send_raw(m);
                }
            }
        }
    }
    // Fail everything still waiting.
    for (_, link) in d.links.drain() {
        for (_, (reply, ..)) in link.waiting {
            let _ = reply.send(Err(MsrpError::ConnectionClosed));
        }
    }
    if let Some((_, reply)) = d.auth.take() {
        let _ = reply.send(Err(MsrpError::ConnectionClosed));
    }
}
