//! # sipsimple-bench
//!
//! Benchmarks of the sipsimple-rs SIP message layer (`sip-core`) against other Rust SIP
//! crates: [`rsip`] and [`ezk_sip_types`]. This package is not published; it exists to back the
//! numbers in `docs/benchmarks.md`.
//!
//! The library part holds what the benchmark (`benches/parse.rs`) and its cross-check test
//! share:
//!
//! * [`CORPUS`]: six realistic SIP messages (CRLF line ends) — an INVITE with an SDP offer, a
//!   180 Ringing, a 200 OK with an SDP answer, a REGISTER with a digest Authorization, a NOTIFY
//!   with a PIDF body and a BYE;
//! * one module per library ([`ours`], [`rsip_peer`], [`ezk_peer`]), each with the same three
//!   operations: `parse_raw` (parse only), `parse_typed` (parse, then typed access to every
//!   header a transaction layer needs: all Via values, From, To, Call-ID, CSeq, Max-Forwards
//!   and Content-Length) and `print` (serialise a parsed message back to bytes);
//! * [`TxnFields`], the library-neutral summary of a typed parse, which the unit test compares
//!   across libraries so that the benchmark compares equal work.

pub mod sipp;

use bytes::Bytes;

/// One message of the corpus.
#[derive(Debug, Clone, Copy)]
pub struct CorpusMessage {
    /// Short name (the file stem under `bench/corpus/`).
    pub name: &'static str,
    /// The wire bytes.
    pub bytes: &'static [u8],
}

macro_rules! corpus_message {
    ($name:literal) => {
        CorpusMessage {
            name: $name,
            bytes: include_bytes!(concat!("../corpus/", $name, ".sip")),
        }
    };
}

/// The benchmark corpus: typical messages of a call, a registration and a presence
/// notification.
pub const CORPUS: [CorpusMessage; 6] = [
    corpus_message!("invite"),
    corpus_message!("ringing"),
    corpus_message!("ok_sdp"),
    corpus_message!("register"),
    corpus_message!("notify_pidf"),
    corpus_message!("bye"),
];

/// The corpus as heap-allocated shared buffers, as a transport hands a received datagram to a
/// parser. (Not `Bytes::from_static`: slicing a static `Bytes` costs no reference count, which
/// would flatter the zero-copy parsers.)
pub fn corpus_bytes() -> Vec<Bytes> {
    CORPUS
        .iter()
        .map(|m| Bytes::copy_from_slice(m.bytes))
        .collect()
}

/// What a transaction layer reads from a message, in owned, library-neutral form. Only the
/// cross-check test builds it; the benchmark keeps each library's own typed values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnFields {
    /// Number of Via values.
    pub via_count: usize,
    /// The branch parameter of the topmost Via.
    pub top_branch: String,
    /// The From tag.
    pub from_tag: Option<String>,
    /// The To tag.
    pub to_tag: Option<String>,
    /// The Call-ID.
    pub call_id: String,
    /// The CSeq sequence number.
    pub cseq_seq: u32,
    /// The CSeq method.
    pub cseq_method: String,
    /// Max-Forwards, when present.
    pub max_forwards: Option<u32>,
    /// Content-Length, when present.
    pub content_length: Option<u32>,
    /// The body length the parser kept.
    pub body_len: usize,
}

/// sipsimple-rs (`sip-core`).
pub mod ours {
    use bytes::Bytes;
    use sip_core::error::ParseError;
    use sip_core::message::{CoreHeaders, SipMessage};

    use super::TxnFields;

    /// A parsed message with its typed core headers.
    #[derive(Debug)]
    pub struct Typed {
        /// The message (header values are zero-copy slices of the input).
        pub msg: SipMessage,
        /// Via (all), From, To, Call-ID, CSeq, Max-Forwards and Content-Length, typed.
        pub core: CoreHeaders,
    }

    /// Parses a datagram: start line, header lines, body by Content-Length.
    pub fn parse_raw(buf: Bytes) -> Result<SipMessage, ParseError> {
        SipMessage::parse(buf)
    }

    /// Parses, then types the headers a transaction layer needs (`core_headers`).
    pub fn parse_typed(buf: Bytes) -> Result<Typed, ParseError> {
        let msg = SipMessage::parse(buf)?;
        let core = msg.core_headers()?;
        Ok(Typed { msg, core })
    }

    /// Serialises a message to its wire form.
    pub fn print(msg: &SipMessage) -> Bytes {
        msg.to_bytes()
    }

    /// The neutral summary of a typed parse.
    pub fn fields(t: &Typed) -> TxnFields {
        let c = &t.core;
        TxnFields {
            via_count: c.via.len(),
            top_branch: c.via[0].branch().unwrap_or_default().to_owned(),
            from_tag: c.from.tag().map(str::to_owned),
            to_tag: c.to.tag().map(str::to_owned),
            call_id: c.call_id.as_str().to_owned(),
            cseq_seq: c.cseq.seq,
            cseq_method: c.cseq.method.to_string(),
            max_forwards: c.max_forwards.map(|m| u32::from(m.0)),
            content_length: c.content_length.map(|l| l.0),
            body_len: t.msg.body().len(),
        }
    }
}

/// [`rsip`] 0.4.
pub mod rsip_peer {
    use rsip::prelude::*;
    use rsip::{Header, SipMessage, typed};

    use super::TxnFields;

    /// A parsed message with its typed core headers.
    #[derive(Debug)]
    pub struct Typed {
        /// The message (every header value is an owned `String`).
        pub msg: SipMessage,
        /// All Via values, typed, topmost first.
        pub via: Vec<typed::Via>,
        /// From, typed.
        pub from: typed::From,
        /// To, typed.
        pub to: typed::To,
        /// CSeq, typed.
        pub cseq: typed::CSeq,
        /// Max-Forwards, when present.
        pub max_forwards: Option<u32>,
        /// Content-Length, when present.
        pub content_length: Option<u32>,
    }

    /// Parses a message (`SipMessage::try_from(&[u8])`).
    pub fn parse_raw(buf: &[u8]) -> Result<SipMessage, rsip::Error> {
        SipMessage::try_from(buf)
    }

    /// Parses, then types the same headers as [`super::ours::parse_typed`] through rsip's
    /// accessors (`via_header()`, `from_header()?.typed()`…).
    pub fn parse_typed(buf: &[u8]) -> Result<Typed, rsip::Error> {
        let msg = SipMessage::try_from(buf)?;
        let mut via = Vec::with_capacity(2);
        let mut content_length = None;
        for h in msg.headers().iter() {
            match h {
                Header::Via(v) => via.push(v.typed()?),
                Header::ContentLength(l) => content_length = Some(l.length()?),
                _ => {}
            }
        }
        if via.is_empty() {
            return Err(rsip::Error::MissingHeader("Via".into()));
        }
        let from = msg.from_header()?.typed()?;
        let to = msg.to_header()?.typed()?;
        // rsip has no typed Call-ID: the untyped value is the Call-ID.
        let call_id = msg.call_id_header()?;
        if call_id.value().is_empty() {
            return Err(rsip::Error::InvalidParam("empty Call-ID".into()));
        }
        let cseq = msg.cseq_header()?.typed()?;
        let max_forwards = match msg.max_forwards_header() {
            Ok(m) => Some(m.num()?),
            Err(_) => None,
        };
        Ok(Typed {
            msg,
            via,
            from,
            to,
            cseq,
            max_forwards,
            content_length,
        })
    }

    /// Serialises a message to its wire form (rsip's `Display`).
    pub fn print(msg: &SipMessage) -> Vec<u8> {
        msg.to_string().into_bytes()
    }

    /// The neutral summary of a typed parse.
    pub fn fields(t: &Typed) -> TxnFields {
        TxnFields {
            via_count: t.via.len(),
            top_branch: t.via[0].branch().map(|b| b.to_string()).unwrap_or_default(),
            from_tag: t.from.tag().map(|t| t.to_string()),
            to_tag: t.to.tag().map(|t| t.to_string()),
            call_id: t
                .msg
                .call_id_header()
                .map(|c| c.value().to_owned())
                .unwrap_or_default(),
            cseq_seq: t.cseq.seq,
            cseq_method: t.cseq.method.to_string(),
            max_forwards: t.max_forwards,
            content_length: t.content_length,
            body_len: t.msg.body().len(),
        }
    }
}

/// [`ezk_sip_types`] 0.6. The crate has the building blocks (a line splitter, start-line and
/// header-line parsers, a header map, typed headers) but no whole-message parser: that lives
/// in `ezk-sip-core`, with the tokio transports. [`ezk_peer::parse_raw`] assembles them the way
/// `ezk-sip-core`'s datagram path does.
pub mod ezk_peer {
    use std::fmt::{self, Write as _};

    use bytes::{Bytes, BytesMut};
    use ezk_sip_types::header::HeaderError;
    use ezk_sip_types::header::typed::{CSeq, CallID, ContentLength, FromTo, MaxForwards, Via};
    use ezk_sip_types::msg::{Line, MessageLine, PullParser};
    use ezk_sip_types::parse::Parse;
    use ezk_sip_types::print::{AppendCtx, PrintCtx};
    use ezk_sip_types::{Headers, Name};

    use super::TxnFields;

    /// Why a message did not parse.
    #[derive(Debug)]
    pub enum Error {
        /// The head ends before its blank line.
        Incomplete,
        /// A line is not UTF-8.
        Utf8,
        /// The start line did not parse.
        StartLine,
        /// A header line did not parse.
        HeaderLine,
        /// Content-Length exceeds the bytes after the head.
        Body,
        /// A header is missing or malformed.
        Header(HeaderError),
    }

    impl fmt::Display for Error {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                Error::Header(e) => write!(f, "header: {e}"),
                other => write!(f, "{other:?}"),
            }
        }
    }

    impl std::error::Error for Error {}

    impl From<HeaderError> for Error {
        fn from(e: HeaderError) -> Self {
            Error::Header(e)
        }
    }

    /// A parsed message: start line, header map (values are zero-copy slices), body.
    #[derive(Debug)]
    pub struct Message {
        /// The request or status line.
        pub line: MessageLine,
        /// The headers.
        pub headers: Headers,
        /// The body.
        pub body: Bytes,
    }

    /// A parsed message with its typed core headers.
    #[derive(Debug)]
    pub struct Typed {
        /// The message.
        pub msg: Message,
        /// All Via values, typed, topmost first.
        pub via: Vec<Via>,
        /// From, typed.
        pub from: FromTo,
        /// To, typed.
        pub to: FromTo,
        /// Call-ID.
        pub call_id: CallID,
        /// CSeq, typed.
        pub cseq: CSeq,
        /// Max-Forwards, when present.
        pub max_forwards: Option<MaxForwards>,
        /// Content-Length, when present.
        pub content_length: Option<ContentLength>,
    }

    /// Parses a datagram: lines, start line, header lines into the header map, body by
    /// Content-Length (the rest of the datagram when there is none).
    pub fn parse_raw(buf: Bytes) -> Result<Message, Error> {
        let mut lines = PullParser::new(&buf, 0);
        let mut line = None;
        let mut headers = Headers::with_capacity(16);
        for item in &mut lines {
            let raw = item.map_err(|_| Error::Incomplete)?;
            let text = std::str::from_utf8(raw).map_err(|_| Error::Utf8)?;
            if line.is_none() {
                let (_, l) = MessageLine::parse(&buf)(text).map_err(|_| Error::StartLine)?;
                line = Some(l);
            } else {
                let (_, l) = Line::parse(&buf, text).map_err(|_| Error::HeaderLine)?;
                headers.insert(l.name, l.value);
            }
        }
        let line = line.ok_or(Error::StartLine)?;
        let head_end = lines.head_end();
        let body = match headers.try_get_named::<ContentLength>() {
            Some(len) => {
                let len = len?.0;
                if head_end + len > buf.len() {
                    return Err(Error::Body);
                }
                buf.slice(head_end..head_end + len)
            }
            None => buf.slice(head_end..),
        };
        Ok(Message {
            line,
            headers,
            body,
        })
    }

    /// Parses, then types the same headers as [`super::ours::parse_typed`] through the header
    /// map (`get_named`, `get`).
    pub fn parse_typed(buf: Bytes) -> Result<Typed, Error> {
        let msg = parse_raw(buf)?;
        let h = &msg.headers;
        let via: Vec<Via> = h.get_named()?;
        if via.is_empty() {
            return Err(Error::Header(HeaderError::missing(Name::VIA)));
        }
        let from: FromTo = h.get(Name::FROM)?;
        let to: FromTo = h.get(Name::TO)?;
        let call_id: CallID = h.get_named()?;
        let cseq: CSeq = h.get_named()?;
        let max_forwards = h.try_get_named::<MaxForwards>().transpose()?;
        let content_length = h.try_get_named::<ContentLength>().transpose()?;
        Ok(Typed {
            msg,
            via,
            from,
            to,
            call_id,
            cseq,
            max_forwards,
            content_length,
        })
    }

    /// Serialises a message to its wire form: start line, header map, blank line, body.
    pub fn print(msg: &Message) -> Bytes {
        let mut head = String::with_capacity(64 + msg.headers.printed_len());
        let ctx = PrintCtx {
            method: msg.line.request_method(),
            uri: None,
        };
        let _ = write!(head, "{}\r\n{}\r\n", msg.line.print_ctx(ctx), msg.headers);
        let mut out = BytesMut::with_capacity(head.len() + msg.body.len());
        out.extend_from_slice(head.as_bytes());
        out.extend_from_slice(&msg.body);
        out.freeze()
    }

    /// The neutral summary of a typed parse.
    pub fn fields(t: &Typed) -> TxnFields {
        TxnFields {
            via_count: t.via.len(),
            top_branch: t.via[0]
                .params
                .get_val("branch")
                .map(|b| b.to_string())
                .unwrap_or_default(),
            from_tag: t.from.tag.as_ref().map(|t| t.to_string()),
            to_tag: t.to.tag.as_ref().map(|t| t.to_string()),
            call_id: t.call_id.0.to_string(),
            cseq_seq: t.cseq.cseq,
            cseq_method: t.cseq.method.to_string(),
            max_forwards: t.max_forwards.as_ref().map(|m| u32::from(m.0)),
            content_length: t
                .content_length
                .as_ref()
                .map(|l| u32::try_from(l.0).unwrap_or(u32::MAX)),
            body_len: t.msg.body.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_len_of(raw: &[u8]) -> usize {
        let head_end = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("corpus message has a head")
            + 4;
        raw.len() - head_end
    }

    #[test]
    fn corpus_is_crlf_and_content_length_is_exact() {
        for m in CORPUS {
            let text = std::str::from_utf8(m.bytes).expect("corpus is UTF-8");
            for (i, b) in text.bytes().enumerate() {
                if b == b'\n' {
                    assert!(
                        i > 0 && m.bytes[i - 1] == b'\r',
                        "{}: bare LF at {i}",
                        m.name
                    );
                }
            }
            let declared = text
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .expect("Content-Length present")
                .trim()
                .parse::<usize>()
                .expect("numeric Content-Length");
            assert_eq!(declared, body_len_of(m.bytes), "{}", m.name);
        }
        let invite_body = body_len_of(CORPUS[0].bytes);
        assert!(
            (750..=900).contains(&invite_body),
            "INVITE SDP is {invite_body} bytes"
        );
    }

    #[test]
    fn all_libraries_extract_the_same_values() {
        for m in CORPUS {
            let buf = Bytes::from_static(m.bytes);
            let ours = ours::fields(
                &ours::parse_typed(buf.clone()).unwrap_or_else(|e| panic!("ours {}: {e}", m.name)),
            );
            let rsip = rsip_peer::fields(
                &rsip_peer::parse_typed(m.bytes).unwrap_or_else(|e| panic!("rsip {}: {e}", m.name)),
            );
            let ezk = ezk_peer::fields(
                &ezk_peer::parse_typed(buf).unwrap_or_else(|e| panic!("ezk {}: {e}", m.name)),
            );
            assert_eq!(ours, rsip, "ours vs rsip on {}", m.name);
            assert_eq!(ours, ezk, "ours vs ezk-sip-types on {}", m.name);
            // Sanity: the values are the ones written in the corpus.
            assert!(ours.top_branch.starts_with("z9hG4bK"), "{}", m.name);
            assert!(ours.from_tag.is_some(), "{}", m.name);
            assert_eq!(ours.body_len, body_len_of(m.bytes), "{}", m.name);
        }
    }

    #[test]
    fn expected_values_for_the_invite_and_the_ringing() {
        let invite = ours::fields(&ours::parse_typed(corpus_bytes()[0].clone()).unwrap());
        assert_eq!(invite.top_branch, "z9hG4bK.Yy8nQbX1k");
        assert_eq!(invite.from_tag.as_deref(), Some("9fxced76sl"));
        assert_eq!(invite.to_tag, None);
        assert_eq!(invite.call_id, "3848276298220188511@atlanta.example.com");
        assert_eq!(
            (invite.cseq_seq, invite.cseq_method.as_str()),
            (20, "INVITE")
        );
        assert_eq!(invite.max_forwards, Some(70));
        let ringing = ours::fields(&ours::parse_typed(corpus_bytes()[1].clone()).unwrap());
        assert_eq!(ringing.via_count, 2);
        assert_eq!(ringing.top_branch, "z9hG4bK.pr0xy2a7c");
        assert_eq!(ringing.to_tag.as_deref(), Some("8321234356"));
        assert_eq!(ringing.max_forwards, None);
    }

    #[test]
    fn every_library_prints_what_it_parsed() {
        for (m, buf) in CORPUS.iter().zip(corpus_bytes()) {
            let ours = ours::print(&ours::parse_raw(buf.clone()).unwrap());
            let rsip = rsip_peer::print(&rsip_peer::parse_raw(m.bytes).unwrap());
            let ezk = ezk_peer::print(&ezk_peer::parse_raw(buf).unwrap());
            // Each printout parses again to the same transaction fields.
            let again = ours::fields(&ours::parse_typed(ours.clone()).unwrap());
            let orig = ours::fields(&ours::parse_typed(Bytes::from_static(m.bytes)).unwrap());
            assert_eq!(again, orig, "{}", m.name);
            assert_eq!(
                &ours[..],
                m.bytes,
                "ours round-trips {} byte for byte",
                m.name
            );
            assert!(!rsip.is_empty() && !ezk.is_empty());
            for printed in [&rsip[..], &ezk[..]] {
                let f = ours::fields(
                    &ours::parse_typed(Bytes::copy_from_slice(printed)).unwrap_or_else(|e| {
                        panic!("{}: {e}\n{}", m.name, String::from_utf8_lossy(printed))
                    }),
                );
                assert_eq!(f, orig, "{}", m.name);
            }
        }
    }
}
