//! One transport connection shared by several sessions (RFC 4975 §5.4), sans-IO.
//!
//! [`MsrpConnection`] decodes the byte stream, routes each frame to the session whose URI is
//! the first of its To-Path (session matching by path), answers requests for unknown sessions
//! with 481, and multiplexes the sessions' outgoing frames round robin.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::BytesMut;

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

    /// Removes a session.
    pub fn remove_session(&mut self, session_id: &str) -> Option<MsrpSession> {
        let i = self.sessions.iter().position(|(k, _)| k == session_id)?;
        Some(self.sessions.remove(i).1)
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
        if let Some(m) = self.control.pop_front() {
            m.encode(out);
            return true;
        }
        let n = self.sessions.len();
        for k in 0..n {
            let i = (self.next + k) % n;
            if let Some(m) = self.sessions[i].1.poll_transmit(now) {
                self.next = (i + 1) % n;
                m.encode(out);
                self.collect_events();
                return true;
            }
        }
        false
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
