//! Framing of SIP over stream transports (TCP, TLS; RFC 3261 §18.3) and the CRLF keep-alives of
//! RFC 5626 §4.4.1.
//!
//! Bytes arrive in arbitrary pieces; the framer buffers them, cuts complete messages by their
//! Content-Length (mandatory on streams) and reports keep-alive pings (`CRLFCRLF`) and pongs
//! (`CRLF`). An error means the stream cannot be resynchronised: close the connection.
//!
//! ```
//! use sip_core::message::framing::{Frame, KeepAliveRole, StreamFramer};
//! use sip_core::message::ParseLimits;
//!
//! let mut framer = StreamFramer::new(ParseLimits::default(), KeepAliveRole::Server);
//! framer.push(b"\r\n\r\nOPTIONS sip:a@b SIP/2.0\r\nContent-Le").unwrap();
//! assert!(matches!(framer.next_frame(), Some(Ok(Frame::Ping))));
//! assert!(framer.next_frame().is_none()); // incomplete
//! framer.push(b"ngth: 0\r\n\r\n").unwrap();
//! assert!(matches!(framer.next_frame(), Some(Ok(Frame::Message(_)))));
//! ```

use bytes::{Buf, Bytes, BytesMut};

use super::SipMessage;
use super::parser::{BodyMode, ParseLimits, find_head_end, parse};
use crate::error::{Element, ParseError, ParseErrorKind};
use crate::header::HeaderName;

/// Which side of the keep-alive exchange this end is: servers answer pings, clients read pongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepAliveRole {
    /// A lone `CRLF` is taken as a pong at once.
    Client,
    /// A lone `CRLF` waits for a second one (a ping split across reads).
    Server,
}

/// What the framer cut from the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Frame {
    /// A complete message.
    Message(Box<SipMessage>),
    /// `CRLFCRLF`: the peer asks for a pong.
    Ping,
    /// `CRLF`: the answer to our ping.
    Pong,
    /// A complete frame (its Content-Length was read) that does not parse as a message. The
    /// stream stays in step: the caller can answer it (400) and go on reading.
    Malformed {
        /// The frame's bytes.
        raw: Bytes,
        /// Why it does not parse.
        error: ParseError,
    },
}

/// Reassembles SIP messages from a byte stream.
#[derive(Debug)]
pub struct StreamFramer {
    buf: BytesMut,
    limits: ParseLimits,
    role: KeepAliveRole,
}

impl StreamFramer {
    /// A framer with the given limits.
    pub fn new(limits: ParseLimits, role: KeepAliveRole) -> Self {
        StreamFramer {
            buf: BytesMut::with_capacity(4096),
            limits,
            role,
        }
    }

    /// Bytes buffered and not yet framed.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Appends received bytes. Fails when the buffer would exceed the message size limit by
    /// more than one message's worth, which only a peer that never sends a valid frame causes.
    pub fn push(&mut self, data: &[u8]) -> Result<(), ParseError> {
        if self.buf.len() + data.len() > self.limits.max_message_size.saturating_mul(2) {
            return Err(ParseError::new(
                Element::Message,
                ParseErrorKind::TooLarge {
                    limit: self.limits.max_message_size,
                },
                self.buf.len(),
            ));
        }
        self.buf.extend_from_slice(data);
        Ok(())
    }

    /// The next complete frame, `None` when more bytes are needed. An error means the stream
    /// cannot be framed any further (no usable Content-Length, or too large): close it.
    pub fn next_frame(&mut self) -> Option<Result<Frame, ParseError>> {
        if self.buf.starts_with(b"\r\n\r\n") {
            self.buf.advance(4);
            return Some(Ok(Frame::Ping));
        }
        if self.buf.starts_with(b"\r\n") {
            let ping_possible = self.buf.len() < 4 && (self.buf.len() == 2 || self.buf[2] == b'\r');
            if self.role == KeepAliveRole::Server && ping_possible {
                return None;
            }
            self.buf.advance(2);
            return Some(Ok(Frame::Pong));
        }
        let Some((head_end, term)) = find_head_end(&self.buf) else {
            if self.buf.len() > self.limits.max_message_size {
                return Some(Err(ParseError::new(
                    Element::Message,
                    ParseErrorKind::TooLarge {
                        limit: self.limits.max_message_size,
                    },
                    self.limits.max_message_size,
                )));
            }
            return None;
        };
        let body_start = head_end + term;
        let len = match content_length(&self.buf[..head_end]) {
            Ok(Some(n)) => n,
            Ok(None) => {
                return Some(Err(ParseError::new(
                    Element::HeaderValue("Content-Length"),
                    ParseErrorKind::MissingHeader("Content-Length"),
                    0,
                )));
            }
            Err(e) => return Some(Err(e)),
        };
        let total = body_start.saturating_add(len);
        if total > self.limits.max_message_size {
            return Some(Err(ParseError::new(
                Element::Message,
                ParseErrorKind::TooLarge {
                    limit: self.limits.max_message_size,
                },
                0,
            )));
        }
        if self.buf.len() < total {
            return None;
        }
        let frame = self.buf.split_to(total).freeze();
        Some(Ok(
            match parse(frame.clone(), &self.limits, BodyMode::Framed) {
                Ok(m) => Frame::Message(Box::new(m)),
                Err(error) => Frame::Malformed { raw: frame, error },
            },
        ))
    }
}

/// Finds Content-Length (or `l`) in a raw header block without a full parse.
fn content_length(head: &[u8]) -> Result<Option<usize>, ParseError> {
    let mut found = None;
    for (i, line) in head.split(|&c| c == b'\n').enumerate() {
        if i == 0 {
            continue;
        }
        let Some(colon) = line.iter().position(|&c| c == b':') else {
            continue;
        };
        let name = line[..colon].trim_ascii_end();
        let Ok(name) = std::str::from_utf8(name) else {
            continue;
        };
        if HeaderName::lookup(name) != Some(HeaderName::ContentLength) {
            continue;
        }
        let v = line[colon + 1..].trim_ascii();
        let n = std::str::from_utf8(v)
            .ok()
            .filter(|s| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
            .and_then(|s| s.parse::<usize>().ok())
            .ok_or(ParseError::syntax(
                Element::HeaderValue("Content-Length"),
                0,
            ))?;
        if found.is_some_and(|f| f != n) {
            return Err(ParseError::new(
                Element::HeaderValue("Content-Length"),
                ParseErrorKind::DuplicateHeader("Content-Length"),
                0,
            ));
        }
        found = Some(n);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"MESSAGE sip:a@b SIP/2.0\r\nl: 5\r\n\r\nhello";

    #[test]
    fn framed_but_unparseable_message_keeps_the_stream_in_step() {
        let mut f = StreamFramer::new(ParseLimits::default(), KeepAliveRole::Server);
        f.push(b"MESSAGE sip:a@b SIP/2.0\r\nnot a header\r\nl: 2\r\n\r\nhi")
            .unwrap();
        f.push(MSG).unwrap();
        match f.next_frame() {
            Some(Ok(Frame::Malformed { raw, error })) => {
                assert!(raw.ends_with(b"\r\n\r\nhi"));
                assert_eq!(error.status_code(), 400);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(f.next_frame(), Some(Ok(Frame::Message(_)))));
        assert!(f.next_frame().is_none());
    }

    #[test]
    fn byte_by_byte_reassembly() {
        let mut f = StreamFramer::new(ParseLimits::default(), KeepAliveRole::Client);
        let mut stream = MSG.to_vec();
        stream.extend_from_slice(MSG);
        let mut got = 0;
        for b in &stream {
            f.push(std::slice::from_ref(b)).unwrap();
            while let Some(frame) = f.next_frame() {
                match frame.unwrap() {
                    Frame::Message(m) => {
                        assert_eq!(&m.body()[..], b"hello");
                        got += 1;
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
        assert_eq!(got, 2);
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn keepalive_roles() {
        let mut c = StreamFramer::new(ParseLimits::default(), KeepAliveRole::Client);
        c.push(b"\r\n").unwrap();
        assert_eq!(c.next_frame(), Some(Ok(Frame::Pong)));
        let mut s = StreamFramer::new(ParseLimits::default(), KeepAliveRole::Server);
        s.push(b"\r\n").unwrap();
        assert_eq!(s.next_frame(), None);
        s.push(b"\r\n").unwrap();
        assert_eq!(s.next_frame(), Some(Ok(Frame::Ping)));
    }

    #[test]
    fn missing_or_bad_content_length_is_fatal() {
        let mut f = StreamFramer::new(ParseLimits::default(), KeepAliveRole::Client);
        f.push(b"OPTIONS sip:a@b SIP/2.0\r\n\r\n").unwrap();
        assert!(matches!(f.next_frame(), Some(Err(_))));
        let mut f = StreamFramer::new(ParseLimits::default(), KeepAliveRole::Client);
        f.push(b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 99999999999999999999999\r\n\r\n")
            .unwrap();
        assert!(matches!(f.next_frame(), Some(Err(_))));
    }

    #[test]
    fn oversized_declared_body_is_refused_early() {
        let limits = ParseLimits {
            max_message_size: 1000,
            max_headers: 10,
        };
        let mut f = StreamFramer::new(limits, KeepAliveRole::Client);
        f.push(b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 5000\r\n\r\n")
            .unwrap();
        assert!(
            matches!(f.next_frame(), Some(Err(e)) if matches!(e.kind, ParseErrorKind::TooLarge { .. }))
        );
    }
}
