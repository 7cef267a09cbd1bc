//! The MSRP session machine (RFC 4975 §5–§7), sans-IO.
//!
//! A [`MsrpSession`] is one MSRP session between a local URI and a remote path. It splits
//! outgoing messages into chunks of [`SessionConfig::chunk_size`] bytes and interleaves the
//! chunks of several messages, tracks the transactions that expect a response (30 s timeout by
//! default, then a local failure), answers incoming requests as their `Failure-Report` asks,
//! reassembles incoming chunks that arrive in any order, honours aborts (`#`), sends success
//! REPORTs when asked (and failure REPORTs for messages it accepted in part and then had to
//! drop), and recognises duplicates.
//!
//! Driving: feed decoded frames with [`handle_message`](MsrpSession::handle_message), take
//! frames to write with [`poll_transmit`](MsrpSession::poll_transmit) (responses and reports
//! first, then chunks while fewer than [`SessionConfig::max_pending_transactions`] await a
//! response), events with [`poll_event`](MsrpSession::poll_event), and call
//! [`handle_timeout`](MsrpSession::handle_timeout) at [`poll_timeout`](MsrpSession::poll_timeout).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};

use crate::error::SessionError;
use crate::message::{
    ByteRange, Continuation, FailureReport, Method, MsrpMessage, StartLine, Status,
};
use crate::uri::MsrpUri;

/// How incoming messages are handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IncomingMode {
    /// Reassemble each message and deliver it whole in [`SessionEvent::MessageReceived`]
    /// (bounded by [`SessionConfig::max_incoming_size`]).
    #[default]
    Reassemble,
    /// Deliver every chunk as it arrives in [`SessionEvent::ChunkReceived`] (file transfer),
    /// then a [`SessionEvent::MessageReceived`] with an empty body when all bytes arrived.
    Chunks,
}

/// Session settings.
/// Build it with struct update syntax from `SessionConfig::default()`.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Largest chunk body sent, in bytes (default 16 KiB; Kamailio's relay takes frames up to
    /// 64 KiB).
    pub chunk_size: usize,
    /// How long a request waits for its response (default 30 s, RFC 4975 §7.1.1).
    pub transaction_timeout: Duration,
    /// How many requests may await a response before sending pauses (default 64).
    pub max_pending_transactions: usize,
    /// How many outgoing messages may be queued (default 1024).
    pub max_queued_messages: usize,
    /// Largest incoming message reassembled or accepted, in bytes (default 64 MiB).
    pub max_incoming_size: u64,
    /// How many incoming messages may be in progress at once (default 32).
    pub max_incoming_in_progress: usize,
    /// How long an incomplete incoming message may go without a new chunk before it is
    /// dropped and its memory freed (default 120 s; `None`: never). The sender gets a 408
    /// failure REPORT when it asked for failure reports, the application a
    /// [`SessionEvent::IncomingExpired`].
    pub incoming_timeout: Option<Duration>,
    /// How incoming messages are handed over.
    pub incoming_mode: IncomingMode,
    /// Send a success REPORT for every chunk (not only for the whole message) when the sender
    /// asked for success reports.
    pub success_report_per_chunk: bool,
    /// Media types accepted in SEND bodies (`*` and `type/*` wildcards); empty accepts all.
    pub accept_types: Vec<String>,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            chunk_size: 16 * 1024,
            transaction_timeout: Duration::from_secs(30),
            max_pending_transactions: 64,
            max_queued_messages: 1024,
            max_incoming_size: 64 * 1024 * 1024,
            max_incoming_in_progress: 32,
            incoming_timeout: Some(Duration::from_secs(120)),
            incoming_mode: IncomingMode::Reassemble,
            success_report_per_chunk: false,
            accept_types: Vec::new(),
        }
    }
}

/// A message to send.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OutgoingMessage {
    /// The MSRP Content-Type (`message/cpim`, `text/plain`, ...).
    pub content_type: String,
    /// The whole body; chunks are zero-copy slices of it.
    pub body: Bytes,
    /// Ask for a success REPORT (`Success-Report: yes`).
    pub success_report: bool,
    /// The `Failure-Report` value.
    pub failure_report: FailureReport,
    /// Extra headers for every chunk (`Content-Disposition`, ...).
    pub headers: Vec<(String, String)>,
    /// For a streamed message ([`OutgoingMessage::streamed`]): its size. The body is then
    /// empty and the bytes come through [`MsrpSession::feed`] as they are needed.
    pub stream_total: Option<u64>,
}

impl OutgoingMessage {
    /// A message with `Success-Report: no` and `Failure-Report: yes`.
    pub fn new(content_type: impl Into<String>, body: impl Into<Bytes>) -> Self {
        OutgoingMessage {
            content_type: content_type.into(),
            body: body.into(),
            success_report: false,
            failure_report: FailureReport::Yes,
            headers: Vec::new(),
            stream_total: None,
        }
    }

    /// A message of `total` bytes whose body is fed piece by piece with
    /// [`MsrpSession::feed`] (a file read as it is sent): the session holds at most
    /// [`STREAM_WINDOW_CHUNKS`] chunks of it at a time ([`MsrpSession::stream_wanted`] says how
    /// much more it takes).
    pub fn streamed(content_type: impl Into<String>, total: u64) -> Self {
        OutgoingMessage {
            stream_total: Some(total),
            ..OutgoingMessage::new(content_type, Bytes::new())
        }
    }

    /// Sets `Success-Report`.
    pub fn with_success_report(mut self, yes: bool) -> Self {
        self.success_report = yes;
        self
    }

    /// Sets `Failure-Report`.
    pub fn with_failure_report(mut self, value: FailureReport) -> Self {
        self.failure_report = value;
        self
    }

    /// Adds a header to every chunk.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// A whole incoming message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IncomingMessage {
    /// Its Message-ID.
    pub message_id: String,
    /// Its Content-Type (absent for a bodiless SEND).
    pub content_type: Option<String>,
    /// The body; empty in [`IncomingMode::Chunks`], where the chunks carried it.
    pub body: Bytes,
    /// The size in bytes.
    pub size: u64,
    /// The extension headers of the first chunk received.
    pub headers: Vec<(String, String)>,
}

/// One incoming chunk ([`IncomingMode::Chunks`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IncomingChunk {
    /// The Message-ID.
    pub message_id: String,
    /// The Content-Type.
    pub content_type: Option<String>,
    /// The 1-based position of the first byte.
    pub start: u64,
    /// The size of the whole message, when known.
    pub total: Option<u64>,
    /// The bytes.
    pub data: Bytes,
}

/// What happened in a session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEvent {
    /// A whole message arrived.
    MessageReceived(IncomingMessage),
    /// A chunk arrived ([`IncomingMode::Chunks`]).
    ChunkReceived(IncomingChunk),
    /// The sender aborted a message in progress (`#`); its partial data was dropped.
    MessageAborted {
        /// The Message-ID.
        message_id: String,
    },
    /// The last chunk of an outgoing message was handed out for sending.
    MessageSent {
        /// The Message-ID.
        message_id: String,
    },
    /// Every chunk of a message with `Failure-Report: yes` got a 200 from the next hop.
    MessageAcknowledged {
        /// The Message-ID.
        message_id: String,
    },
    /// A success REPORT arrived.
    Delivered {
        /// The Message-ID.
        message_id: String,
        /// The bytes it covers.
        range: ByteRange,
        /// Whether the bytes reported so far cover the whole message.
        complete: bool,
    },
    /// The message failed: an error response, a failure REPORT or a transaction timeout
    /// (code 408). Reported once per message; its remaining chunks are not sent.
    DeliveryFailed {
        /// The Message-ID.
        message_id: String,
        /// The status code.
        code: u16,
        /// The reason phrase or status comment.
        reason: String,
    },
    /// An incomplete incoming message got no new chunk for
    /// [`SessionConfig::incoming_timeout`]: it was dropped (the chunks delivered before in
    /// [`IncomingMode::Chunks`] are all there will be).
    IncomingExpired {
        /// The Message-ID.
        message_id: String,
        /// The bytes received before it was dropped.
        received: u64,
    },
    /// An incoming request was refused with this code (for logging).
    RequestRejected {
        /// The transaction ID.
        transaction_id: String,
        /// The response code sent (or that would have been sent).
        code: u16,
    },
}

struct Sending {
    message_id: String,
    msg: OutgoingMessage,
    offset: usize,
    abort: bool,
    /// A streamed message's bytes fed and not yet sent.
    fed: VecDeque<Bytes>,
    fed_len: usize,
}

/// How many chunks of a streamed message a session holds at most.
pub const STREAM_WINDOW_CHUNKS: usize = 4;

impl Sending {
    fn total(&self) -> usize {
        match self.msg.stream_total {
            Some(t) => usize::try_from(t).unwrap_or(usize::MAX),
            None => self.msg.body.len(),
        }
    }

    /// Whether its next frame can go out now.
    fn ready(&self, chunk_size: usize) -> bool {
        self.abort
            || self.msg.stream_total.is_none()
            || self.fed_len >= (self.total() - self.offset).min(chunk_size)
    }

    /// The bytes `offset..offset + len` of the body.
    fn take(&mut self, len: usize) -> Bytes {
        if self.msg.stream_total.is_none() {
            return self.msg.body.slice(self.offset..self.offset + len);
        }
        self.fed_len -= len;
        match self.fed.front_mut() {
            Some(front) if front.len() >= len => {
                let b = front.split_to(len);
                if front.is_empty() {
                    self.fed.pop_front();
                }
                b
            }
            _ => {
                let mut out = BytesMut::with_capacity(len);
                while out.len() < len {
                    let Some(front) = self.fed.front_mut() else {
                        break;
                    };
                    let k = front.len().min(len - out.len());
                    out.extend_from_slice(&front.split_to(k));
                    if front.is_empty() {
                        self.fed.pop_front();
                    }
                }
                out.freeze()
            }
        }
    }
}

struct Sent {
    total: u64,
    failure_report: FailureReport,
    success_report: bool,
    /// Chunks awaiting a 200 (Failure-Report yes).
    unacked: usize,
    /// All chunks were handed out.
    all_sent: bool,
    /// Bytes covered by success reports.
    reported: Ranges,
    failed: bool,
}

struct Transaction {
    message_id: String,
    deadline: Option<Instant>,
}

/// A set of 1-based closed byte ranges, kept merged.
#[derive(Debug, Default, Clone)]
struct Ranges(BTreeMap<u64, u64>);

impl Ranges {
    fn insert(&mut self, start: u64, end: u64) {
        if end < start {
            return;
        }
        let (mut s, mut e) = (start, end);
        // Merge with every range that overlaps or touches [s, e], from the last one that
        // starts at or before e + 1 backwards (the ranges are disjoint and sorted).
        while let Some((&os, &oe)) = self.0.range(..=e.saturating_add(1)).next_back() {
            if oe.saturating_add(1) < s {
                break;
            }
            self.0.remove(&os);
            s = s.min(os);
            e = e.max(oe);
        }
        self.0.insert(s, e);
    }

    fn covers(&self, start: u64, end: u64) -> bool {
        self.0
            .range(..=start)
            .next_back()
            .is_some_and(|(_, &e)| e >= end)
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

struct Receiving {
    content_type: Option<String>,
    headers: Vec<(String, String)>,
    total: Option<u64>,
    chunks: BTreeMap<u64, Bytes>,
    covered: Ranges,
    bytes: u64,
    /// The sender's From-Path and report wishes, for REPORTs.
    from_path: Vec<MsrpUri>,
    success_report: bool,
    failure_report: FailureReport,
    /// When its last new chunk arrived.
    last_chunk: Instant,
}

/// How many remembered IDs (transactions answered, messages completed, messages sent).
const HISTORY: usize = 512;

/// One MSRP session (sans-IO). See the module documentation.
pub struct MsrpSession {
    config: SessionConfig,
    local: MsrpUri,
    to_path: Vec<MsrpUri>,
    rng: StdRng,
    control: VecDeque<MsrpMessage>,
    outgoing: VecDeque<Sending>,
    transactions: HashMap<String, Transaction>,
    transaction_order: VecDeque<String>,
    /// The deadlines of the transactions awaiting a response, earliest first.
    deadlines: BTreeSet<(Instant, String)>,
    sent: HashMap<String, Sent>,
    sent_order: VecDeque<String>,
    incoming: HashMap<String, Receiving>,
    completed: HashSet<String>,
    completed_order: VecDeque<String>,
    answered: HashMap<String, Option<u16>>,
    answered_order: VecDeque<String>,
    events: VecDeque<SessionEvent>,
    closed: bool,
}

impl std::fmt::Debug for MsrpSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MsrpSession")
            .field("local", &self.local.to_string())
            .field("to_path", &self.to_path.len())
            .field("queued", &self.outgoing.len())
            .field("pending", &self.deadlines.len())
            .finish_non_exhaustive()
    }
}

fn random_ident(rng: &mut StdRng, len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..len)
        .map(|_| ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char)
        .collect()
}

fn remember<K: Clone + Eq + std::hash::Hash, V>(
    map: &mut HashMap<K, V>,
    order: &mut VecDeque<K>,
    key: K,
    value: V,
) {
    if map.insert(key.clone(), value).is_none() {
        order.push_back(key);
    }
    while order.len() > HISTORY {
        if let Some(old) = order.pop_front() {
            map.remove(&old);
        }
    }
}

fn accepts(patterns: &[String], content_type: &str) -> bool {
    if patterns.is_empty() {
        return true;
    }
    let base = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    patterns.iter().any(|p| {
        let p = p.to_ascii_lowercase();
        p == "*"
            || p == base
            || p.strip_suffix("/*")
                .is_some_and(|top| base.split('/').next() == Some(top))
    })
}

impl MsrpSession {
    /// A session from `local` (our URI, the last of our SDP path) to the remote endpoint
    /// through `to_path` (our relays' Use-Path, then the remote SDP path). `seed` seeds the
    /// generator of transaction and message IDs.
    pub fn new(
        config: SessionConfig,
        local: MsrpUri,
        to_path: Vec<MsrpUri>,
        seed: u64,
    ) -> MsrpSession {
        MsrpSession {
            config,
            local,
            to_path,
            rng: StdRng::seed_from_u64(seed),
            control: VecDeque::new(),
            outgoing: VecDeque::new(),
            transactions: HashMap::new(),
            transaction_order: VecDeque::new(),
            deadlines: BTreeSet::new(),
            sent: HashMap::new(),
            sent_order: VecDeque::new(),
            incoming: HashMap::new(),
            completed: HashSet::new(),
            completed_order: VecDeque::new(),
            answered: HashMap::new(),
            answered_order: VecDeque::new(),
            events: VecDeque::new(),
            closed: false,
        }
    }

    /// Our URI.
    pub fn local_uri(&self) -> &MsrpUri {
        &self.local
    }

    /// The To-Path of outgoing requests.
    pub fn to_path(&self) -> &[MsrpUri] {
        &self.to_path
    }

    /// The remote endpoint's URI (the last of the To-Path).
    pub fn remote_uri(&self) -> Option<&MsrpUri> {
        self.to_path.last()
    }

    /// The settings.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Queues a message; returns its Message-ID.
    pub fn send_message(&mut self, msg: OutgoingMessage) -> Result<String, SessionError> {
        if self.closed {
            return Err(SessionError::Closed);
        }
        if self.outgoing.len() >= self.config.max_queued_messages {
            return Err(SessionError::QueueFull {
                limit: self.config.max_queued_messages,
            });
        }
        if msg.content_type.trim().is_empty()
            || msg.content_type.contains(['\r', '\n'])
            || !msg.content_type.contains('/')
        {
            return Err(SessionError::ContentType);
        }
        let message_id = random_ident(&mut self.rng, 16);
        self.outgoing.push_back(Sending {
            message_id: message_id.clone(),
            msg,
            offset: 0,
            abort: false,
            fed: VecDeque::new(),
            fed_len: 0,
        });
        Ok(message_id)
    }

    /// Queues a bodiless SEND, which the active end sends first so that the passive end can
    /// bind the connection to the session (RFC 4975 §5.4). Returns its Message-ID.
    pub fn send_bodiless(&mut self) -> Result<String, SessionError> {
        if self.closed {
            return Err(SessionError::Closed);
        }
        let message_id = random_ident(&mut self.rng, 16);
        let tid = random_ident(&mut self.rng, 12);
        let mut m = MsrpMessage::request(
            tid.clone(),
            Method::Send,
            self.to_path.clone(),
            vec![self.local.clone()],
        );
        m.headers.message_id = Some(message_id.clone());
        m.headers.byte_range = Some(ByteRange {
            start: 1,
            end: Some(0),
            total: Some(0),
        });
        m.headers.failure_report = Some(FailureReport::No);
        self.control.push_back(m);
        Ok(message_id)
    }

    /// Aborts an outgoing message: when part of it was sent, the next frame ends it with `#`;
    /// when none was, it is dropped from the queue.
    pub fn abort(&mut self, message_id: &str) -> Result<(), SessionError> {
        let pos = self
            .outgoing
            .iter()
            .position(|s| s.message_id == message_id)
            .ok_or_else(|| SessionError::UnknownMessage(message_id.to_owned()))?;
        if self.outgoing[pos].offset == 0 {
            self.outgoing.remove(pos);
        } else {
            self.outgoing[pos].abort = true;
            // Move it to the front so the abort goes out next.
            if let Some(s) = self.outgoing.remove(pos) {
                self.outgoing.push_front(s);
            }
        }
        Ok(())
    }

    /// Gives the next bytes of a streamed message ([`OutgoingMessage::streamed`]). More than
    /// its size in all is refused, and so is more than [`stream_wanted`](Self::stream_wanted)
    /// allows ([`SessionError::StreamFull`]): the caller reads its source only as fast as the
    /// chunks go out.
    pub fn feed(&mut self, message_id: &str, data: Bytes) -> Result<(), SessionError> {
        let wanted = self
            .stream_wanted(message_id)
            .ok_or_else(|| SessionError::UnknownMessage(message_id.to_owned()))?;
        if data.len() > wanted {
            return Err(SessionError::StreamFull { wanted });
        }
        let Some(s) = self
            .outgoing
            .iter_mut()
            .find(|s| s.message_id == message_id)
        else {
            return Err(SessionError::UnknownMessage(message_id.to_owned()));
        };
        if !data.is_empty() {
            s.fed_len += data.len();
            s.fed.push_back(data);
        }
        Ok(())
    }

    /// How many more bytes the streamed message takes now: what is left of it, at most
    /// [`STREAM_WINDOW_CHUNKS`] chunks held at once. `None` when no streamed message with this
    /// ID is queued (it was fully sent, aborted or failed).
    pub fn stream_wanted(&self, message_id: &str) -> Option<usize> {
        let s = self
            .outgoing
            .iter()
            .find(|s| s.message_id == message_id && s.msg.stream_total.is_some())?;
        let left = s.total() - s.offset - s.fed_len;
        let window = STREAM_WINDOW_CHUNKS * self.config.chunk_size.max(1);
        Some(left.min(window.saturating_sub(s.fed_len)))
    }

    /// Bytes of streamed messages held (fed, not yet sent).
    pub fn stream_buffered_bytes(&self) -> usize {
        self.outgoing.iter().map(|s| s.fed_len).sum()
    }

    /// Stops the session: queued messages are dropped and fail with 481, incoming messages
    /// in progress are dropped. Responses and reports already queued are still sent.
    pub fn close(&mut self) {
        self.closed = true;
        for s in std::mem::take(&mut self.outgoing) {
            self.events.push_back(SessionEvent::DeliveryFailed {
                message_id: s.message_id,
                code: 481,
                reason: "Session closed".into(),
            });
        }
        self.incoming.clear();
    }

    /// Takes the responses and reports not yet sent (when the session is being removed, so
    /// that they still go out).
    pub(crate) fn take_control(&mut self) -> VecDeque<MsrpMessage> {
        std::mem::take(&mut self.control)
    }

    /// Messages queued or in progress (not yet fully handed out).
    pub fn queued_messages(&self) -> usize {
        self.outgoing.len()
    }

    /// Incoming messages in progress (some chunks received, not complete).
    pub fn incoming_in_progress(&self) -> usize {
        self.incoming.len()
    }

    /// Bytes held for incoming messages in progress (chunks kept for reassembly).
    pub fn incoming_buffered_bytes(&self) -> u64 {
        self.incoming
            .values()
            .map(|r| r.chunks.values().map(|c| c.len() as u64).sum::<u64>())
            .sum()
    }

    /// Requests awaiting a response.
    pub fn pending_transactions(&self) -> usize {
        self.deadlines.len()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must run next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let transactions = self.deadlines.first().map(|(d, _)| *d);
        let incoming = self
            .config
            .incoming_timeout
            .and_then(|t| self.incoming.values().map(|r| r.last_chunk + t).min());
        match (transactions, incoming) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Fails the transactions whose response did not come in time (a local 408 failure for
    /// their message).
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some((deadline, _)) = self.deadlines.first()
            && *deadline <= now
        {
            let Some((_, tid)) = self.deadlines.pop_first() else {
                break;
            };
            if let Some(t) = self.transactions.remove(&tid) {
                self.fail(&t.message_id, 408, "Request Timeout");
            }
        }
        if let Some(timeout) = self.config.incoming_timeout {
            let mut expired: Vec<String> = self
                .incoming
                .iter()
                .filter(|(_, r)| r.last_chunk + timeout <= now)
                .map(|(id, _)| id.clone())
                .collect();
            expired.sort();
            for id in expired {
                if let Some(r) = self.incoming.remove(&id) {
                    let received = r.bytes;
                    self.failure_report_for(&id, r, 408);
                    self.events.push_back(SessionEvent::IncomingExpired {
                        message_id: id,
                        received,
                    });
                }
            }
        }
    }

    fn fail(&mut self, message_id: &str, code: u16, reason: &str) {
        self.outgoing.retain(|s| s.message_id != message_id);
        let first = match self.sent.get_mut(message_id) {
            Some(s) if s.failed => false,
            Some(s) => {
                s.failed = true;
                true
            }
            None => true,
        };
        if first {
            if !self.sent.contains_key(message_id) {
                remember(
                    &mut self.sent,
                    &mut self.sent_order,
                    message_id.to_owned(),
                    Sent {
                        total: 0,
                        failure_report: FailureReport::Yes,
                        success_report: false,
                        unacked: 0,
                        all_sent: true,
                        reported: Ranges::default(),
                        failed: true,
                    },
                );
            }
            self.events.push_back(SessionEvent::DeliveryFailed {
                message_id: message_id.to_owned(),
                code,
                reason: reason.to_owned(),
            });
        }
    }

    /// The next frame to write: responses and reports first, then the next chunk (round
    /// robin over the queued messages) unless [`SessionConfig::max_pending_transactions`]
    /// requests already await a response.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<MsrpMessage> {
        if let Some(m) = self.control.pop_front() {
            return Some(m);
        }
        if self.deadlines.len() >= self.config.max_pending_transactions {
            return None;
        }
        // The first queued message that can send (a streamed one may wait for its bytes).
        let chunk_size = self.config.chunk_size.max(1);
        let i = self.outgoing.iter().position(|s| s.ready(chunk_size))?;
        let mut s = self.outgoing.remove(i)?;
        let tid = random_ident(&mut self.rng, 12);
        let total = s.total();
        let mut m = MsrpMessage::request(
            tid.clone(),
            Method::Send,
            self.to_path.clone(),
            vec![self.local.clone()],
        );
        m.headers.message_id = Some(s.message_id.clone());
        m.headers.success_report = s.msg.success_report.then_some(true);
        m.headers.failure_report =
            (s.msg.failure_report != FailureReport::Yes).then_some(s.msg.failure_report);
        if s.abort {
            m.headers.byte_range = Some(ByteRange {
                start: s.offset as u64 + 1,
                end: Some(s.offset as u64),
                total: Some(total as u64),
            });
            m.continuation = Continuation::Abort;
            m.headers.failure_report = Some(FailureReport::No);
            return Some(m);
        }
        let len = (total - s.offset).min(self.config.chunk_size.max(1));
        m.headers.byte_range = Some(ByteRange {
            start: s.offset as u64 + 1,
            end: Some((s.offset + len) as u64),
            total: Some(total as u64),
        });
        m.headers.extensions = s.msg.headers.clone();
        m.headers.content_type = Some(s.msg.content_type.clone());
        m.body = s.take(len);
        s.offset += len;
        let done = s.offset >= total;
        m.continuation = if done {
            Continuation::End
        } else {
            Continuation::More
        };

        let entry = self
            .sent
            .entry(s.message_id.clone())
            .or_insert_with(|| Sent {
                total: total as u64,
                failure_report: s.msg.failure_report,
                success_report: s.msg.success_report,
                unacked: 0,
                all_sent: false,
                reported: Ranges::default(),
                failed: false,
            });
        let deadline = match s.msg.failure_report {
            FailureReport::Yes => {
                entry.unacked += 1;
                Some(now + self.config.transaction_timeout)
            }
            _ => None,
        };
        if s.offset == len {
            self.sent_order.push_back(s.message_id.clone());
            while self.sent_order.len() > HISTORY {
                if let Some(old) = self.sent_order.pop_front() {
                    self.sent.remove(&old);
                }
            }
        }
        if s.msg.failure_report != FailureReport::No {
            let t = Transaction {
                message_id: s.message_id.clone(),
                deadline,
            };
            match self.transactions.insert(tid.clone(), t) {
                Some(old) => {
                    if let Some(d) = old.deadline {
                        self.deadlines.remove(&(d, tid.clone()));
                    }
                }
                None => self.transaction_order.push_back(tid.clone()),
            }
            if let Some(d) = deadline {
                self.deadlines.insert((d, tid));
            }
            // Forget the oldest; a pending one forgotten no longer counts as pending.
            while self.transaction_order.len() > HISTORY {
                if let Some(old) = self.transaction_order.pop_front()
                    && let Some(t) = self.transactions.remove(&old)
                    && let Some(d) = t.deadline
                {
                    self.deadlines.remove(&(d, old));
                }
            }
        }
        if done {
            if let Some(e) = self.sent.get_mut(&s.message_id) {
                e.all_sent = true;
            }
            self.events.push_back(SessionEvent::MessageSent {
                message_id: s.message_id.clone(),
            });
        } else {
            self.outgoing.push_back(s);
        }
        Some(m)
    }

    /// Takes a frame addressed to this session (requests and responses).
    pub fn handle_message(&mut self, now: Instant, msg: MsrpMessage) {
        match msg.start.clone() {
            StartLine::Response { code, comment } => self.handle_response(&msg, code, comment),
            StartLine::Request(method) => self.handle_request(now, msg, method),
        }
    }

    fn handle_response(&mut self, msg: &MsrpMessage, code: u16, comment: Option<String>) {
        let Some(t) = self.transactions.remove(&msg.transaction_id) else {
            return;
        };
        if let Some(d) = t.deadline {
            self.deadlines.remove(&(d, msg.transaction_id.clone()));
        }
        if code == 200 {
            if let Some(s) = self.sent.get_mut(&t.message_id) {
                if t.deadline.is_some() {
                    s.unacked = s.unacked.saturating_sub(1);
                }
                if s.all_sent
                    && s.unacked == 0
                    && !s.failed
                    && s.failure_report == FailureReport::Yes
                {
                    self.events.push_back(SessionEvent::MessageAcknowledged {
                        message_id: t.message_id,
                    });
                }
            }
        } else {
            let reason = comment.unwrap_or_else(|| default_reason(code).to_owned());
            self.fail(&t.message_id, code, &reason);
        }
    }

    fn respond(&mut self, req: &MsrpMessage, code: u16) {
        let fr = req.headers.failure_report.unwrap_or_default();
        remember(
            &mut self.answered,
            &mut self.answered_order,
            req.transaction_id.clone(),
            Some(code),
        );
        if code != 200 {
            self.events.push_back(SessionEvent::RequestRejected {
                transaction_id: req.transaction_id.clone(),
                code,
            });
        }
        let send = match fr {
            FailureReport::Yes => true,
            FailureReport::Partial => code != 200,
            FailureReport::No => false,
        };
        if send && !req.headers.from_path.is_empty() {
            self.control.push_back(MsrpMessage::response_to(
                req,
                code,
                default_reason(code),
                &self.local,
            ));
        }
    }

    fn report(&mut self, message_id: &str, from_path: Vec<MsrpUri>, range: ByteRange, code: u16) {
        let tid = random_ident(&mut self.rng, 12);
        let mut r = MsrpMessage::request(tid, Method::Report, from_path, vec![self.local.clone()]);
        r.headers.message_id = Some(message_id.to_owned());
        r.headers.byte_range = Some(range);
        r.headers.status = Some(Status {
            namespace: 0,
            code,
            comment: Some(default_reason(code).to_owned()),
        });
        self.control.push_back(r);
    }

    fn handle_request(&mut self, now: Instant, msg: MsrpMessage, method: Method) {
        if self.closed {
            return;
        }
        if !msg
            .headers
            .to_path
            .first()
            .is_some_and(|u| u.matches(&self.local))
        {
            return self.respond(&msg, 481);
        }
        let from_ok = match (msg.headers.from_path.last(), self.to_path.last()) {
            (Some(a), Some(b)) => a.matches(b),
            _ => false,
        };
        match method {
            Method::Send => {
                if !from_ok {
                    return self.respond(&msg, 403);
                }
                if let Some(code) = self.answered.get(&msg.transaction_id).copied() {
                    // A duplicate transaction: answer again, do not process.
                    if let Some(code) = code {
                        let fr = msg.headers.failure_report.unwrap_or_default();
                        if fr == FailureReport::Yes || (fr == FailureReport::Partial && code != 200)
                        {
                            self.control.push_back(MsrpMessage::response_to(
                                &msg,
                                code,
                                default_reason(code),
                                &self.local,
                            ));
                        }
                    }
                    return;
                }
                self.handle_send(now, msg);
            }
            Method::Report => {
                if from_ok {
                    self.handle_report(&msg);
                }
            }
            _ => self.respond(&msg, 501),
        }
    }

    fn handle_report(&mut self, msg: &MsrpMessage) {
        let (Some(id), Some(status)) = (&msg.headers.message_id, &msg.headers.status) else {
            return;
        };
        let Some(sent) = self.sent.get_mut(id) else {
            return;
        };
        if status.code == 200 {
            let range = msg.headers.byte_range.unwrap_or(ByteRange {
                start: 1,
                end: Some(sent.total),
                total: Some(sent.total),
            });
            let end = range.end.unwrap_or(sent.total);
            sent.reported.insert(range.start, end);
            let complete = sent.total == 0 || sent.reported.covers(1, sent.total);
            if sent.success_report || complete {
                self.events.push_back(SessionEvent::Delivered {
                    message_id: id.clone(),
                    range,
                    complete,
                });
            }
        } else {
            let reason = status
                .comment
                .clone()
                .unwrap_or_else(|| default_reason(status.code).to_owned());
            let id = id.clone();
            self.fail(&id, status.code, &reason);
        }
    }

    fn handle_send(&mut self, now: Instant, msg: MsrpMessage) {
        let Some(message_id) = msg.headers.message_id.clone() else {
            return self.respond(&msg, 400);
        };
        let len = msg.body.len() as u64;
        let range = msg.headers.byte_range.unwrap_or(ByteRange {
            start: 1,
            end: Some(len),
            total: (msg.continuation == Continuation::End).then_some(len),
        });
        if msg.continuation == Continuation::Abort {
            self.respond(&msg, 200);
            if self.incoming.remove(&message_id).is_some() || len > 0 {
                self.events
                    .push_back(SessionEvent::MessageAborted { message_id });
            }
            return;
        }
        let start = range.start;
        let end = start + len - 1; // inclusive; start - 1 when empty
        if range.end.is_some_and(|e| len > 0 && e != end) {
            return self.respond(&msg, 400);
        }
        let total = match (range.total, msg.continuation) {
            (Some(t), _) => Some(t),
            (None, Continuation::End) => Some(end),
            (None, _) => None,
        };
        if total.is_some_and(|t| end > t) {
            return self.respond(&msg, 400);
        }
        if self.completed.contains(&message_id) {
            return self.respond(&msg, 200);
        }
        if len == 0 && total == Some(0) {
            // A bodiless SEND (connection binding): nothing to deliver.
            return self.respond(&msg, 200);
        }
        if let Some(ct) = &msg.headers.content_type
            && !accepts(&self.config.accept_types, ct)
        {
            return self.respond(&msg, 415);
        }
        if total.unwrap_or(end) > self.config.max_incoming_size
            || end > self.config.max_incoming_size
        {
            if let Some(r) = self.incoming.remove(&message_id) {
                self.failure_report_for(&message_id, r, 413);
            }
            return self.respond(&msg, 413);
        }
        if !self.incoming.contains_key(&message_id)
            && self.incoming.len() >= self.config.max_incoming_in_progress
        {
            return self.respond(&msg, 413);
        }
        let mode = self.config.incoming_mode;
        let r = self
            .incoming
            .entry(message_id.clone())
            .or_insert_with(|| Receiving {
                content_type: msg.headers.content_type.clone(),
                headers: msg.headers.extensions.clone(),
                total: None,
                chunks: BTreeMap::new(),
                covered: Ranges::default(),
                bytes: 0,
                from_path: msg.headers.from_path.clone(),
                success_report: msg.headers.success_report.unwrap_or(false),
                failure_report: msg.headers.failure_report.unwrap_or_default(),
                last_chunk: now,
            });
        if let Some(t) = total {
            if r.total.is_some_and(|old| old != t) {
                let r = self.incoming.remove(&message_id).expect("entry");
                self.failure_report_for(&message_id, r, 400);
                return self.respond(&msg, 400);
            }
            r.total = Some(t);
        }
        if len > 0 && !r.covered.covers(start, end) {
            r.last_chunk = now;
            r.covered.insert(start, end);
            r.bytes += len;
            if r.covered.len() > 4096 {
                let r = self.incoming.remove(&message_id).expect("entry");
                self.failure_report_for(&message_id, r, 413);
                return self.respond(&msg, 413);
            }
            match mode {
                IncomingMode::Reassemble => {
                    r.chunks.insert(start, msg.body.clone());
                }
                IncomingMode::Chunks => {
                    self.events
                        .push_back(SessionEvent::ChunkReceived(IncomingChunk {
                            message_id: message_id.clone(),
                            content_type: r.content_type.clone(),
                            start,
                            total: r.total,
                            data: msg.body.clone(),
                        }))
                }
            }
        }
        let per_chunk = self.config.success_report_per_chunk && r.success_report && len > 0;
        let from_path = per_chunk.then(|| r.from_path.clone());
        let complete = r.total.is_some_and(|t| r.covered.covers(1, t));
        self.respond(&msg, 200);
        if let Some(from_path) = from_path {
            self.report(
                &message_id,
                from_path,
                ByteRange {
                    start,
                    end: Some(end),
                    total: total.or(Some(end)),
                },
                200,
            );
        }
        if complete {
            let r = self.incoming.remove(&message_id).expect("entry");
            let total = r.total.unwrap_or(0);
            let body = match mode {
                IncomingMode::Reassemble => assemble(r.chunks, total),
                IncomingMode::Chunks => Bytes::new(),
            };
            if r.success_report && !per_chunk {
                self.report(
                    &message_id,
                    r.from_path,
                    ByteRange {
                        start: 1,
                        end: Some(total),
                        total: Some(total),
                    },
                    200,
                );
            }
            remember_set(
                &mut self.completed,
                &mut self.completed_order,
                message_id.clone(),
            );
            self.events
                .push_back(SessionEvent::MessageReceived(IncomingMessage {
                    message_id,
                    content_type: r.content_type,
                    body,
                    size: total,
                    headers: r.headers,
                }));
        }
    }

    fn failure_report_for(&mut self, message_id: &str, r: Receiving, code: u16) {
        if r.failure_report != FailureReport::No && r.bytes > 0 {
            let total = r.total;
            self.report(
                message_id,
                r.from_path,
                ByteRange {
                    start: 1,
                    end: total,
                    total,
                },
                code,
            );
        }
    }
}

fn remember_set(set: &mut HashSet<String>, order: &mut VecDeque<String>, key: String) {
    if set.insert(key.clone()) {
        order.push_back(key);
    }
    while order.len() > HISTORY {
        if let Some(old) = order.pop_front() {
            set.remove(&old);
        }
    }
}

/// Joins chunks that cover `1..=total` without gaps (overlaps are trimmed).
fn assemble(chunks: BTreeMap<u64, Bytes>, total: u64) -> Bytes {
    if chunks.len() == 1
        && let Some((1, b)) = chunks.iter().next().map(|(s, b)| (*s, b.clone()))
        && b.len() as u64 == total
    {
        return b;
    }
    let mut out = BytesMut::with_capacity(total as usize);
    for (start, data) in chunks {
        let have = out.len() as u64;
        let skip = (have + 1).saturating_sub(start) as usize;
        if skip < data.len() {
            out.extend_from_slice(&data[skip..]);
        }
    }
    out.truncate(total as usize);
    out.freeze()
}

/// The reason phrase used for a status code.
pub fn default_reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        408 => "Request Timeout",
        413 => "Message Too Large",
        415 => "Unsupported Media Type",
        423 => "Interval Out-of-Bounds",
        481 => "Session Does Not Exist",
        501 => "Not Implemented",
        506 => "Wrong Connection",
        _ => "Error",
    }
}
