//! One transport connection shared by several sessions (RFC 4975 §5.4), sans-IO.
//!
//! [`MsrpConnection`] decodes the byte stream, routes each frame to the session whose URI is
//! the first of its To-Path (session matching by path), answers requests for unknown sessions
//! with 481, and multiplexes the sessions' outgoing frames round robin.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::{Buf, Bytes, BytesMut};

use crate::error::CodecError;
use crate::message::{DecodedFrame, Decoder, FailureReport, Limits, MsrpMessage, StartLine};
use crate::session::{MsrpSession, SessionEvent, default_reason};
use crate::uri::{MsrpUri, parse_path};

/// What a [`MsrpConnection`] reports besides session events.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionEvent {
    /// A session produced an event; `session` is the session ID of its local URI.
    Session {
        /// The local session ID.
        session: String,
        /// The event.
        event: SessionEvent,
    },
    /// A request arrived for a session ID that is not (yet) on this connection. The runtime
    /// can attach the session and feed the message again with
    /// [`MsrpConnection::handle_message`]; if it does not, answer with
    /// [`MsrpConnection::reject_unknown`].
    UnknownSession {
        /// The frame.
        message: Box<MsrpMessage>,
    },
    /// A response for no session on this connection (an answer to `AUTH`, for instance).
    UnmatchedResponse {
        /// The frame.
        message: Box<MsrpMessage>,
    },
    /// A frame with bad headers was dropped (answered with 400 when possible).
    Malformed {
        /// What was wrong.
        error: CodecError,
    },
}

/// A connection multiplexing sessions. See the module documentation.
#[derive(Debug)]
pub struct MsrpConnection {
    decoder: Decoder,
    sessions: Vec<(String, MsrpSession)>,
    next: usize,
    control: VecDeque<MsrpMessage>,
    events: VecDeque<ConnectionEvent>,
}

impl MsrpConnection {
    /// A connection decoding with these limits.
    pub fn new(limits: Limits) -> Self {
        MsrpConnection {
            decoder: Decoder::new(limits),
            sessions: Vec::new(),
            next: 0,
            control: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// Adds a session; its key is the session ID of its local URI. Returns `false` (and
    /// drops it) when a session with that ID is already here or the URI has no session ID.
    pub fn add_session(&mut self, session: MsrpSession) -> bool {
        let Some(id) = session.local_uri().session_id.clone() else {
            return false;
        };
        if self.sessions.iter().any(|(k, _)| *k == id) {
            return false;
        }
        self.sessions.push((id, session));
        true
    }

    /// Removes a session; the responses and reports it had queued are still sent.
    pub fn remove_session(&mut self, session_id: &str) -> Option<MsrpSession> {
        let i = self.sessions.iter().position(|(k, _)| k == session_id)?;
        let mut session = self.sessions.remove(i).1;
        // Responses and reports it still owes go out on the connection.
        self.control.extend(session.take_control());
        Some(session)
    }

    /// A session by local session ID.
    pub fn session_mut(&mut self, session_id: &str) -> Option<&mut MsrpSession> {
        self.sessions
            .iter_mut()
            .find(|(k, _)| k == session_id)
            .map(|(_, s)| s)
    }

    /// The session IDs on this connection.
    pub fn session_ids(&self) -> impl Iterator<Item = &str> {
        self.sessions.iter().map(|(k, _)| k.as_str())
    }

    /// Decodes every complete frame at the front of `buf` and routes it. An error means the
    /// stream is broken (bad framing or a limit exceeded): close the connection.
    pub fn handle_input(&mut self, now: Instant, buf: &mut BytesMut) -> Result<(), CodecError> {
        while let Some(frame) = self.decoder.decode(buf)? {
            match frame {
                DecodedFrame::Message(m) => self.handle_message(now, m),
                DecodedFrame::Malformed {
                    transaction_id,
                    is_request,
                    from_path,
                    to_path,
                    error,
                } => {
                    let paths = from_path
                        .and_then(|f| parse_path(&f).ok())
                        .zip(to_path.and_then(|t| parse_path(&t).ok()));
                    if let (true, Some((from, to))) = (is_request, paths) {
                        let mut req = MsrpMessage::request(
                            transaction_id,
                            crate::Method::Send,
                            to.clone(),
                            from,
                        );
                        req.headers.failure_report = Some(FailureReport::Yes);
                        self.control.push_back(MsrpMessage::response_to(
                            &req,
                            400,
                            default_reason(400),
                            &to[0],
                        ));
                    }
                    self.events.push_back(ConnectionEvent::Malformed { error });
                }
            }
            self.collect_events();
        }
        Ok(())
    }

    /// Routes one decoded frame.
    pub fn handle_message(&mut self, now: Instant, msg: MsrpMessage) {
        let target = msg
            .headers
            .to_path
            .first()
            .and_then(|u| u.session_id.clone());
        let session = target
            .as_deref()
            .and_then(|id| self.sessions.iter_mut().find(|(k, _)| k == id));
        match session {
            Some((_, s)) => s.handle_message(now, msg),
            None => {
                if matches!(msg.start, StartLine::Request(_)) {
                    self.events.push_back(ConnectionEvent::UnknownSession {
                        message: Box::new(msg),
                    });
                } else {
                    self.events.push_back(ConnectionEvent::UnmatchedResponse {
                        message: Box::new(msg),
                    });
                }
            }
        }
        self.collect_events();
    }

    /// Answers a request for an unknown session with 481 (when its Failure-Report allows).
    pub fn reject_unknown(&mut self, msg: &MsrpMessage) {
        if msg.headers.failure_report.unwrap_or_default() == FailureReport::No
            || !matches!(msg.start, StartLine::Request(crate::Method::Send))
        {
            return;
        }
        if let Some(to) = msg.headers.to_path.first() {
            self.control
                .push_back(MsrpMessage::response_to(msg, 481, default_reason(481), to));
        }
    }

    fn collect_events(&mut self) {
        for (id, s) in &mut self.sessions {
            while let Some(event) = s.poll_event() {
                self.events.push_back(ConnectionEvent::Session {
                    session: id.clone(),
                    event,
                });
            }
        }
    }

    /// Queues a frame that belongs to no session (an `AUTH` request).
    pub fn send_raw(&mut self, msg: MsrpMessage) {
        self.control.push_back(msg);
    }

    /// Encodes the next frame to write into `out`; `false` when nothing is ready.
    pub fn poll_transmit(&mut self, now: Instant, out: &mut BytesMut) -> bool {
        match self.next_frame(now) {
            Some(m) => {
                m.encode(out);
                true
            }
            None => false,
        }
    }

    /// Queues the next frame to write on `queue` without copying its body (when the body is
    /// large enough to be worth a segment of its own); `false` when nothing is ready.
    pub fn poll_transmit_queue(&mut self, now: Instant, queue: &mut WriteQueue) -> bool {
        match self.next_frame(now) {
            Some(m) => {
                queue.push_message(&m);
                true
            }
            None => false,
        }
    }

    fn next_frame(&mut self, now: Instant) -> Option<MsrpMessage> {
        if let Some(m) = self.control.pop_front() {
            return Some(m);
        }
        let n = self.sessions.len();
        for k in 0..n {
            let i = (self.next + k) % n;
            if let Some(m) = self.sessions[i].1.poll_transmit(now) {
                self.next = (i + 1) % n;
                self.collect_events();
                return Some(m);
            }
        }
        None
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<ConnectionEvent> {
        self.collect_events();
        self.events.pop_front()
    }

    /// The earliest session timer.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.sessions
            .iter()
            .filter_map(|(_, s)| s.poll_timeout())
            .min()
    }

    /// Runs the session timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        for (_, s) in &mut self.sessions {
            s.handle_timeout(now);
        }
        self.collect_events();
    }
}

/// Whether the frame is addressed to `uri` (its first To-Path URI matches).
pub fn is_addressed_to(msg: &MsrpMessage, uri: &MsrpUri) -> bool {
    msg.headers.to_path.first().is_some_and(|u| u.matches(uri))
}

/// Bodies at least this large are queued as their own segment instead of being copied.
const BODY_SEGMENT_MIN: usize = 2048;

/// Encoded frames waiting to be written, as a [`Buf`] of segments: heads, end-lines and small
/// frames are copied into a shared buffer, large bodies are kept as the [`Bytes`] the session
/// handed out (slices of the message being sent), so writing them is one vectored write of
/// head, body and end-line with no copy of the body.
#[derive(Debug, Default)]
pub struct WriteQueue {
    /// Complete segments, oldest first.
    segments: VecDeque<Bytes>,
    /// Bytes after the last segment (heads and end-lines being gathered).
    tail: BytesMut,
    /// Bytes queued in total.
    len: usize,
}

impl WriteQueue {
    /// An empty queue.
    pub fn new() -> Self {
        WriteQueue::default()
    }

    /// Encodes `msg` onto the end of the queue.
    pub fn push_message(&mut self, msg: &MsrpMessage) {
        let before = self.tail.len();
        if msg.body.len() < BODY_SEGMENT_MIN {
            msg.encode(&mut self.tail);
            self.len += self.tail.len() - before;
            return;
        }
        if self.tail.capacity() - self.tail.len() < 512 {
            self.tail.reserve(8 * 1024);
        }
        msg.encode_head(&mut self.tail);
        self.len += self.tail.len() - before + msg.body.len();
        self.segments.push_back(self.tail.split().freeze());
        self.segments.push_back(msg.body.clone());
        let before = self.tail.len();
        msg.encode_tail(&mut self.tail);
        self.len += self.tail.len() - before;
    }

    /// Appends raw bytes.
    pub fn push_bytes(&mut self, bytes: Bytes) {
        if bytes.is_empty() {
            return;
        }
        self.len += bytes.len();
        if bytes.len() < BODY_SEGMENT_MIN {
            self.tail.extend_from_slice(&bytes);
        } else {
            if !self.tail.is_empty() {
                self.segments.push_back(self.tail.split().freeze());
            }
            self.segments.push_back(bytes);
        }
    }

    /// Bytes queued.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Buf for WriteQueue {
    fn remaining(&self) -> usize {
        self.len
    }

    fn chunk(&self) -> &[u8] {
        match self.segments.front() {
            Some(s) => s,
            None => &self.tail,
        }
    }

    fn chunks_vectored<'a>(&'a self, dst: &mut [std::io::IoSlice<'a>]) -> usize {
        let mut n = 0;
        for s in &self.segments {
            if n == dst.len() {
                return n;
            }
            if !s.is_empty() {
                dst[n] = std::io::IoSlice::new(s);
                n += 1;
            }
        }
        if n < dst.len() && !self.tail.is_empty() {
            dst[n] = std::io::IoSlice::new(&self.tail);
            n += 1;
        }
        n
    }

    fn advance(&mut self, mut cnt: usize) {
        cnt = cnt.min(self.len);
        self.len -= cnt;
        while cnt > 0 {
            match self.segments.front_mut() {
                Some(s) if s.len() <= cnt => {
                    cnt -= s.len();
                    self.segments.pop_front();
                }
                Some(s) => {
                    s.advance(cnt);
                    cnt = 0;
                }
                None => {
                    self.tail.advance(cnt.min(self.tail.len()));
                    cnt = 0;
                }
            }
        }
    }
}
