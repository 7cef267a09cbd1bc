//! The MSRP message model and its codec (RFC 4975 §7 and §9, RFC 4976 §5).
//!
//! [`MsrpMessage`] is one frame: a request (`SEND`, `REPORT`, `AUTH` or an extension method)
//! or a response, its headers and its body, closed by the end-line
//! `-------<transaction-id><flag>` whose flag says whether the message continues in a later
//! chunk (`+`), ends here (`$`) or is aborted (`#`). [`Decoder`] reads frames from a byte
//! stream (the body is a zero-copy slice of the received buffer) under [`Limits`], and
//! [`MsrpMessage::encode`] writes one.

use std::fmt;

use bytes::{Buf, Bytes, BytesMut};
use memchr::memmem;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while_m_n, take_while1};
use nom::combinator::{map, opt, rest};
use nom::sequence::preceded;
use nom::{IResult, Parser};

use crate::error::{CodecError, UriError};
use crate::uri::{MsrpUri, parse_path};

/// The request method.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// `SEND`: carries a message or a chunk of one.
    Send,
    /// `REPORT`: a success or failure report.
    Report,
    /// `AUTH`: authentication to a relay (RFC 4976).
    Auth,
    /// Any other method (upper-case letters).
    Other(String),
}

impl Method {
    /// The method name.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Send => "SEND",
            Method::Report => "REPORT",
            Method::Auth => "AUTH",
            Method::Other(m) => m,
        }
    }

    fn from_name(name: &str) -> Method {
        match name {
            "SEND" => Method::Send,
            "REPORT" => Method::Report,
            "AUTH" => Method::Auth,
            other => Method::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the first line says: a request with its method, or a response with its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    /// A request.
    Request(Method),
    /// A response: a three-digit status code and an optional comment.
    Response {
        /// The status code (200, 400, 403, 408, 413, 415, 423, 481, 501, 506, 401...).
        code: u16,
        /// The comment after the code.
        comment: Option<String>,
    },
}

/// The end-line flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Continuation {
    /// `$`: the last (or only) chunk.
    #[default]
    End,
    /// `+`: more chunks follow.
    More,
    /// `#`: the message is aborted.
    Abort,
}

impl Continuation {
    /// The flag character.
    pub fn as_byte(self) -> u8 {
        match self {
            Continuation::End => b'$',
            Continuation::More => b'+',
            Continuation::Abort => b'#',
        }
    }

    fn from_byte(b: u8) -> Option<Continuation> {
        match b {
            b'$' => Some(Continuation::End),
            b'+' => Some(Continuation::More),
            b'#' => Some(Continuation::Abort),
            _ => None,
        }
    }
}

/// `Byte-Range: <start>-<end>/<total>`; `end` and `total` may be unknown (`*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ByteRange {
    /// The 1-based position of the first byte of this chunk.
    pub start: u64,
    /// The position of the last byte, if known.
    pub end: Option<u64>,
    /// The size of the whole message, if known.
    pub total: Option<u64>,
}

impl ByteRange {
    fn parse(s: &str) -> Option<ByteRange> {
        let (range, total) = s.trim().split_once('/')?;
        let (start, end) = range.split_once('-')?;
        let num = |t: &str| -> Option<Option<u64>> {
            if t == "*" {
                Some(None)
            } else if !t.is_empty() && t.len() <= 19 && t.bytes().all(|b| b.is_ascii_digit()) {
                t.parse().ok().map(Some)
            } else {
                None
            }
        };
        let start = num(start)??;
        if start == 0 {
            return None;
        }
        let end = num(end)?;
        let total = num(total)?;
        if let Some(e) = end {
            if e + 1 < start {
                return None;
            }
            if total.is_some_and(|t| e > t) {
                return None;
            }
        }
        Some(ByteRange { start, end, total })
    }
}

impl fmt::Display for ByteRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-", self.start)?;
        match self.end {
            Some(e) => write!(f, "{e}/")?,
            None => f.write_str("*/")?,
        }
        match self.total {
            Some(t) => write!(f, "{t}"),
            None => f.write_str("*"),
        }
    }
}

/// `Failure-Report: yes | no | partial`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FailureReport {
    /// Responses to every request and failure REPORTs (the default when absent).
    #[default]
    Yes,
    /// Neither responses nor failure reports.
    No,
    /// Failure reports and negative responses only: no 200 responses.
    Partial,
}

impl FailureReport {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureReport::Yes => "yes",
            FailureReport::No => "no",
            FailureReport::Partial => "partial",
        }
    }
}

/// `Status: <namespace> <code> [<comment>]` in a REPORT.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Status {
    /// The namespace, 000 for MSRP status codes.
    pub namespace: u16,
    /// The status code.
    pub code: u16,
    /// The comment.
    pub comment: Option<String>,
}

impl Status {
    fn parse(s: &str) -> Option<Status> {
        let mut it = s.trim().splitn(3, ' ');
        let ns = it.next()?;
        let code = it.next()?;
        let three = |t: &str| {
            (t.len() == 3 && t.bytes().all(|b| b.is_ascii_digit())).then(|| t.parse().ok())?
        };
        Some(Status {
            namespace: three(ns)?,
            code: three(code)?,
            comment: it
                .next()
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty()),
        })
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03} {:03}", self.namespace, self.code)?;
        if let Some(c) = &self.comment {
            write!(f, " {c}")?;
        }
        Ok(())
    }
}

/// The headers of a frame. Path headers and the others that MSRP defines are typed; every
/// other header is kept in [`extensions`](Headers::extensions) in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    /// `To-Path`: the hops toward the destination, first hop first.
    pub to_path: Vec<MsrpUri>,
    /// `From-Path`: the hops back to the sender, previous hop first.
    pub from_path: Vec<MsrpUri>,
    /// `Message-ID`.
    pub message_id: Option<String>,
    /// `Byte-Range`.
    pub byte_range: Option<ByteRange>,
    /// `Success-Report: yes|no` (absent means no).
    pub success_report: Option<bool>,
    /// `Failure-Report` (absent means yes).
    pub failure_report: Option<FailureReport>,
    /// `Status` (REPORT requests).
    pub status: Option<Status>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Use-Path` (RFC 4976, in a 200 response to AUTH).
    pub use_path: Vec<MsrpUri>,
    /// `Expires` (RFC 4976), seconds.
    pub expires: Option<u32>,
    /// `Min-Expires` (RFC 4976), seconds.
    pub min_expires: Option<u32>,
    /// `Max-Expires` (RFC 4976), seconds.
    pub max_expires: Option<u32>,
    /// `WWW-Authenticate` values (RFC 4976, in a 401 to AUTH).
    pub www_authenticate: Vec<String>,
    /// `Authorization` value (RFC 4976, in AUTH).
    pub authorization: Option<String>,
    /// `Authentication-Info` value.
    pub authentication_info: Option<String>,
    /// Every other header as (name, value), in order (MIME headers such as `Content-ID`
    /// belong after the others; they are written in the order given, before `Content-Type`).
    pub extensions: Vec<(String, String)>,
}

impl Headers {
    /// The first extension header with this name (case-insensitive).
    pub fn extension(&self, name: &str) -> Option<&str> {
        self.extensions
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One MSRP frame: a request or response with its headers, body and end-line flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsrpMessage {
    /// The transaction ID (4 to 32 identifier characters).
    pub transaction_id: String,
    /// Request method or response status.
    pub start: StartLine,
    /// The headers.
    pub headers: Headers,
    /// The body (empty when the frame has none).
    pub body: Bytes,
    /// The end-line flag.
    pub continuation: Continuation,
}

/// Size limits for decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Start line plus headers, in bytes (default 16 KiB).
    pub max_head: usize,
    /// Number of header lines (default 64).
    pub max_headers: usize,
    /// Body of one frame, in bytes (default 1 MiB).
    pub max_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head: 16 * 1024,
            max_headers: 64,
            max_body: 1024 * 1024,
        }
    }
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+' | b'%' | b'=')
}

/// Whether `s` is an MSRP `ident` (transaction and message IDs): 4 to 32 characters, the first
/// alphanumeric.
pub(crate) fn is_ident(s: &str) -> bool {
    (4..=32).contains(&s.len())
        && s.as_bytes()[0].is_ascii_alphanumeric()
        && s.bytes().all(is_ident_char)
}

// ----------------------------------------------------------------------------------------
// nom parsers for the start line and header lines

enum RawStart<'a> {
    Request(&'a str),
    Response(u16, Option<&'a str>),
}

fn start_line(i: &[u8]) -> IResult<&[u8], (&[u8], RawStart<'_>)> {
    let (i, _) = tag(&b"MSRP "[..]).parse(i)?;
    let (i, tid) = take_while1(is_ident_char).parse(i)?;
    let (i, _) = tag(&b" "[..]).parse(i)?;
    let response = map(
        (
            take_while_m_n(3, 3, |b: u8| b.is_ascii_digit()),
            opt(preceded(tag(&b" "[..]), rest)),
        ),
        |(code, comment): (&[u8], Option<&[u8]>)| {
            let code = std::str::from_utf8(code)
                .ok()
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            RawStart::Response(code, comment.and_then(|c| std::str::from_utf8(c).ok()))
        },
    );
    let request = map(
        (
            take_while1(|b: u8| b.is_ascii_uppercase()),
            nom::combinator::eof,
        ),
        |(m, _): (&[u8], &[u8])| RawStart::Request(std::str::from_utf8(m).unwrap_or("")),
    );
    let (i, start) = alt((request, response)).parse(i)?;
    let (i, _) = nom::combinator::eof(i)?;
    Ok((i, (tid, start)))
}

fn header_line(i: &[u8]) -> IResult<&[u8], (&[u8], &[u8])> {
    let (i, name) = take_while1(|b: u8| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'_' | b'.' | b'!' | b'%' | b'*' | b'+' | b'`' | b'\'' | b'~'
            )
    })
    .parse(i)?;
    let (i, _) = tag(&b":"[..]).parse(i)?;
    let (i, _) = take_while(|b: u8| b == b' ' || b == b'\t').parse(i)?;
    let (i, value) = rest(i)?;
    Ok((i, (name, value)))
}

/// The parsed head of a frame: where the body starts, or that there is none.
struct Head {
    transaction_id: String,
    start: StartLine,
    headers: ParsedHeaders,
    /// Offset of the first body byte; `None` when the head ended with the end-line.
    body_start: Option<usize>,
    /// Offset just past the whole frame when it has no body.
    frame_end: usize,
    continuation: Continuation,
}

/// The position of the first CRLF in `buf` (a search for LF: cheaper per line than building a
/// substring searcher).
fn find_crlf(buf: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'\n', &buf[from..]) {
        let at = from + i;
        if at > 0 && buf[at - 1] == b'\r' {
            return Some(at - 1);
        }
        from = at + 1;
    }
    None
}

/// Parses the head of the frame at the start of `buf`. `Ok(None)`: more bytes are needed.
fn parse_head(buf: &[u8], limits: &Limits) -> Result<Option<Head>, CodecError> {
    let Some(first_end) = find_crlf(buf) else {
        if buf.len() > limits.max_head {
            return Err(CodecError::HeadTooLarge {
                limit: limits.max_head,
            });
        }
        if buf.len() >= 5 && !buf.starts_with(b"MSRP ") {
            return Err(CodecError::StartLine);
        }
        return Ok(None);
    };
    let (_, (tid, start)) = start_line(&buf[..first_end]).map_err(|_| CodecError::StartLine)?;
    let tid = std::str::from_utf8(tid).map_err(|_| CodecError::TransactionId)?;
    if !is_ident(tid) {
        return Err(CodecError::TransactionId);
    }
    let start = match start {
        RawStart::Request(m) => StartLine::Request(Method::from_name(m)),
        RawStart::Response(code, comment) => {
            if !(100..=999).contains(&code) {
                return Err(CodecError::StartLine);
            }
            StartLine::Response {
                code,
                comment: comment.map(str::to_owned).filter(|c| !c.is_empty()),
            }
        }
    };
    let mut pos = first_end + 2;
    let mut parser = HeaderParser::default();
    let mut count = 0;
    let mut end_line = Vec::with_capacity(7 + tid.len());
    end_line.extend_from_slice(b"-------");
    end_line.extend_from_slice(tid.as_bytes());
    loop {
        if pos > limits.max_head {
            return Err(CodecError::HeadTooLarge {
                limit: limits.max_head,
            });
        }
        let Some(len) = find_crlf(&buf[pos..]) else {
            if buf.len() - pos > limits.max_head {
                return Err(CodecError::HeadTooLarge {
                    limit: limits.max_head,
                });
            }
            return Ok(None);
        };
        let line = &buf[pos..pos + len];
        let next = pos + len + 2;
        if line.is_empty() {
            return Ok(Some(Head {
                transaction_id: tid.to_owned(),
                start,
                headers: parser.finish(),
                body_start: Some(next),
                frame_end: next,
                continuation: Continuation::End,
            }));
        }
        if line.len() == end_line.len() + 1 && line.starts_with(&end_line) {
            let flag = Continuation::from_byte(line[end_line.len()]).ok_or(CodecError::EndLine)?;
            return Ok(Some(Head {
                transaction_id: tid.to_owned(),
                start,
                headers: parser.finish(),
                body_start: None,
                frame_end: next,
                continuation: flag,
            }));
        }
        if count >= limits.max_headers {
            return Err(CodecError::TooManyHeaders {
                limit: limits.max_headers,
            });
        }
        count += 1;
        let line_no = count;
        let (_, (name, value)) =
            header_line(line).map_err(|_| CodecError::HeaderLine { line: line_no })?;
        let name =
            std::str::from_utf8(name).map_err(|_| CodecError::HeaderLine { line: line_no })?;
        let value =
            std::str::from_utf8(value).map_err(|_| CodecError::HeaderLine { line: line_no })?;
        parser.line(name, value.trim_end());
        pos = next;
    }
}

/// Parses one header line into `h`.
fn apply_header(h: &mut Headers, name: &str, value: &str) -> Result<(), CodecError> {
    let path = |name: &'static str, v: &str| {
        parse_path(v).map_err(|source: UriError| CodecError::Uri { name, source })
    };
    let seconds = |name: &'static str, v: &str| {
        let v = v.trim();
        if v.is_empty() || v.len() > 10 || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodecError::HeaderValue { name });
        }
        v.parse::<u32>()
            .map_err(|_| CodecError::HeaderValue { name })
    };
    // Header names are matched case-insensitively without allocating.
    let mut lower_buf = [0u8; 24];
    let lower = match lower_buf.get_mut(..name.len()) {
        Some(l) => {
            l.copy_from_slice(name.as_bytes());
            l.make_ascii_lowercase();
            std::str::from_utf8(l).unwrap_or("")
        }
        None => "",
    };
    {
        match lower {
            "to-path" => h.to_path = path("To-Path", value)?,
            "from-path" => h.from_path = path("From-Path", value)?,
            "use-path" => h.use_path = path("Use-Path", value)?,
            "message-id" => {
                let v = value.trim();
                if !is_ident(v) {
                    return Err(CodecError::HeaderValue { name: "Message-ID" });
                }
                h.message_id = Some(v.to_owned());
            }
            "byte-range" => {
                h.byte_range = Some(
                    ByteRange::parse(value)
                        .ok_or(CodecError::HeaderValue { name: "Byte-Range" })?,
                );
            }
            "success-report" => {
                h.success_report = Some(match value.trim() {
                    "yes" => true,
                    "no" => false,
                    _ => {
                        return Err(CodecError::HeaderValue {
                            name: "Success-Report",
                        });
                    }
                });
            }
            "failure-report" => {
                h.failure_report = Some(match value.trim() {
                    "yes" => FailureReport::Yes,
                    "no" => FailureReport::No,
                    "partial" => FailureReport::Partial,
                    _ => {
                        return Err(CodecError::HeaderValue {
                            name: "Failure-Report",
                        });
                    }
                });
            }
            "status" => {
                h.status =
                    Some(Status::parse(value).ok_or(CodecError::HeaderValue { name: "Status" })?);
            }
            "content-type" => {
                let v = value.trim();
                if v.is_empty() || !v.contains('/') {
                    return Err(CodecError::HeaderValue {
                        name: "Content-Type",
                    });
                }
                h.content_type = Some(v.to_owned());
            }
            "expires" => h.expires = Some(seconds("Expires", value)?),
            "min-expires" => h.min_expires = Some(seconds("Min-Expires", value)?),
            "max-expires" => h.max_expires = Some(seconds("Max-Expires", value)?),
            "www-authenticate" => h.www_authenticate.push(value.to_owned()),
            "authorization" => h.authorization = Some(value.to_owned()),
            "authentication-info" => h.authentication_info = Some(value.to_owned()),
            _ => h.extensions.push((name.to_owned(), value.to_owned())),
        }
    }
    Ok(())
}

/// The headers of a frame, or why they are bad with the raw paths (for a 400 response).
type ParsedHeaders = Result<Headers, BadHeaders>;

#[derive(Debug)]
struct BadHeaders {
    error: CodecError,
    from_path: Option<String>,
    to_path: Option<String>,
}

/// Parses header lines one by one; the first bad one decides the error, and the raw paths are
/// kept for the answer.
#[derive(Default)]
struct HeaderParser<'a> {
    headers: Headers,
    error: Option<CodecError>,
    from_raw: Option<&'a str>,
    to_raw: Option<&'a str>,
}

impl<'a> HeaderParser<'a> {
    fn line(&mut self, name: &'a str, value: &'a str) {
        if self.from_raw.is_none() && name.eq_ignore_ascii_case("From-Path") {
            self.from_raw = Some(value);
        }
        if self.to_raw.is_none() && name.eq_ignore_ascii_case("To-Path") {
            self.to_raw = Some(value);
        }
        if self.error.is_none()
            && let Err(e) = apply_header(&mut self.headers, name, value)
        {
            self.error = Some(e);
        }
    }

    fn finish(self) -> ParsedHeaders {
        let h = self.headers;
        let error = self.error.or(if h.to_path.is_empty() {
            Some(CodecError::MissingHeader("To-Path"))
        } else if h.from_path.is_empty() {
            Some(CodecError::MissingHeader("From-Path"))
        } else {
            None
        });
        match error {
            None => Ok(h),
            Some(error) => Err(BadHeaders {
                error,
                from_path: self.from_raw.map(str::to_owned),
                to_path: self.to_raw.map(str::to_owned),
            }),
        }
    }
}

/// What [`Decoder::decode`] read.
// The common variant is the large one; boxing it would cost an allocation per frame.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodedFrame {
    /// A well-formed frame.
    Message(MsrpMessage),
    /// A complete frame whose headers did not parse; the stream continues after it. The raw
    /// paths allow a 400 response when they parse.
    Malformed {
        /// The transaction ID.
        transaction_id: String,
        /// Whether it was a request (a response to a malformed response is never sent).
        is_request: bool,
        /// The raw `From-Path` value, if present.
        from_path: Option<String>,
        /// The raw `To-Path` value, if present.
        to_path: Option<String>,
        /// What was wrong.
        error: CodecError,
    },
}

/// A streaming decoder: feed it a buffer that received bytes are appended to, and take
/// complete frames off its front.
///
/// It remembers how far it searched for the end-line, so a large chunk arriving in many
/// small reads is scanned once.
#[derive(Debug, Default)]
pub struct Decoder {
    limits: Limits,
    pending: Option<PendingBody>,
}

#[derive(Debug)]
struct PendingBody {
    transaction_id: String,
    start: StartLine,
    headers: ParsedHeaders,
    body_start: usize,
    scan_from: usize,
    /// `CRLF -------<transaction-id>`, and its searcher.
    end_pattern: Vec<u8>,
    finder: memmem::Finder<'static>,
}

impl Decoder {
    /// A decoder with these limits.
    pub fn new(limits: Limits) -> Self {
        Decoder {
            limits,
            pending: None,
        }
    }

    /// The limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Takes the next complete frame off the front of `buf`. `Ok(None)`: more bytes are
    /// needed. An error means the stream cannot be resynchronised; close the connection.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<DecodedFrame>, CodecError> {
        if self.pending.is_none() {
            let Some(head) = parse_head(buf, &self.limits)? else {
                return Ok(None);
            };
            match head.body_start {
                None => {
                    buf.advance(head.frame_end);
                    return Ok(Some(finish(
                        head.transaction_id,
                        head.start,
                        head.headers,
                        Bytes::new(),
                        head.continuation,
                    )));
                }
                Some(body_start) => {
                    let mut end_pattern = Vec::with_capacity(9 + head.transaction_id.len());
                    end_pattern.extend_from_slice(b"\r\n-------");
                    end_pattern.extend_from_slice(head.transaction_id.as_bytes());
                    let finder = memmem::Finder::new(&end_pattern).into_owned();
                    self.pending = Some(PendingBody {
                        finder,
                        transaction_id: head.transaction_id,
                        start: head.start,
                        headers: head.headers,
                        body_start,
                        scan_from: body_start,
                        end_pattern,
                    });
                }
            }
        }
        let Some(p) = self.pending.as_mut() else {
            return Ok(None);
        };
        loop {
            let Some(found) = p.finder.find(&buf[p.scan_from..]) else {
                let body_len = buf.len() - p.body_start;
                if body_len > self.limits.max_body + p.end_pattern.len() + 3 {
                    return Err(CodecError::BodyTooLarge {
                        limit: self.limits.max_body,
                    });
                }
                p.scan_from = buf
                    .len()
                    .saturating_sub(p.end_pattern.len())
                    .max(p.body_start);
                return Ok(None);
            };
            let at = p.scan_from + found;
            let after = at + p.end_pattern.len();
            if buf.len() < after + 3 {
                p.scan_from = at;
                return Ok(None);
            }
            let flag = Continuation::from_byte(buf[after]);
            if flag.is_none() || &buf[after + 1..after + 3] != b"\r\n" {
                // The pattern inside the body without a valid flag: keep searching.
                p.scan_from = at + 1;
                continue;
            }
            let body_len = at - p.body_start;
            if body_len > self.limits.max_body {
                return Err(CodecError::BodyTooLarge {
                    limit: self.limits.max_body,
                });
            }
            let p = self.pending.take().expect("pending body");
            let mut frame = buf.split_to(after + 3);
            frame.advance(p.body_start);
            frame.truncate(body_len);
            return Ok(Some(finish(
                p.transaction_id,
                p.start,
                p.headers,
                frame.freeze(),
                flag.unwrap_or_default(),
            )));
        }
    }
}

fn finish(
    transaction_id: String,
    start: StartLine,
    headers: ParsedHeaders,
    body: Bytes,
    continuation: Continuation,
) -> DecodedFrame {
    let is_request = matches!(start, StartLine::Request(_));
    match headers {
        Ok(headers) => DecodedFrame::Message(MsrpMessage {
            transaction_id,
            start,
            headers,
            body,
            continuation,
        }),
        Err(bad) => DecodedFrame::Malformed {
            transaction_id,
            is_request,
            from_path: bad.from_path,
            to_path: bad.to_path,
            error: bad.error,
        },
    }
}

impl MsrpMessage {
    /// A request with the given paths and no other header.
    pub fn request(
        transaction_id: impl Into<String>,
        method: Method,
        to_path: Vec<MsrpUri>,
        from_path: Vec<MsrpUri>,
    ) -> MsrpMessage {
        MsrpMessage {
            transaction_id: transaction_id.into(),
            start: StartLine::Request(method),
            headers: Headers {
                to_path,
                from_path,
                ..Headers::default()
            },
            body: Bytes::new(),
            continuation: Continuation::End,
        }
    }

    /// A response to `request` from the endpoint `local`: the To-Path is the request's whole
    /// From-Path (the way back to the sender), the From-Path is `local`.
    ///
    /// On a direct connection the From-Path has one URI, the previous hop, as RFC 4975 §7.2
    /// asks. Through relays the whole path is kept: a relay that keeps transaction state
    /// (RFC 4976 §7.3) sends the response to the previous hop anyway, and one that does not,
    /// such as Kamailio's `msrp` module, forwards responses along their To-Path and drops a
    /// response whose To-Path has only its own URI.
    pub fn response_to(
        request: &MsrpMessage,
        code: u16,
        comment: &str,
        local: &MsrpUri,
    ) -> MsrpMessage {
        MsrpMessage {
            transaction_id: request.transaction_id.clone(),
            start: StartLine::Response {
                code,
                comment: (!comment.is_empty()).then(|| comment.to_owned()),
            },
            headers: Headers {
                to_path: request.headers.from_path.clone(),
                from_path: vec![local.clone()],
                ..Headers::default()
            },
            body: Bytes::new(),
            continuation: Continuation::End,
        }
    }

    /// Parses exactly one complete frame (with the default limits); trailing bytes are an
    /// error.
    pub fn parse(input: &[u8]) -> Result<MsrpMessage, CodecError> {
        let mut buf = BytesMut::from(input);
        let mut d = Decoder::default();
        match d.decode(&mut buf)? {
            Some(DecodedFrame::Message(m)) if buf.is_empty() => Ok(m),
            Some(DecodedFrame::Message(_)) => Err(CodecError::EndLine),
            Some(DecodedFrame::Malformed { error, .. }) => Err(error),
            None => Err(CodecError::Incomplete),
        }
    }

    /// The method, for a request.
    pub fn method(&self) -> Option<&Method> {
        match &self.start {
            StartLine::Request(m) => Some(m),
            StartLine::Response { .. } => None,
        }
    }

    /// The status code, for a response.
    pub fn code(&self) -> Option<u16> {
        match &self.start {
            StartLine::Response { code, .. } => Some(*code),
            StartLine::Request(_) => None,
        }
    }

    /// The number of bytes [`encode`](Self::encode) writes.
    pub fn encoded_len_hint(&self) -> usize {
        256 + self.body.len()
    }

    /// Writes the frame.
    pub fn encode(&self, out: &mut BytesMut) {
        out.reserve(self.body.len() + 64);
        self.encode_head(out);
        out.extend_from_slice(&self.body);
        self.encode_tail(out);
    }

    /// Whether the frame has a body section (a Content-Type or body bytes): then a blank line
    /// follows the headers and a CRLF the body.
    fn has_body(&self) -> bool {
        self.headers.content_type.is_some() || !self.body.is_empty()
    }

    /// Writes the part of the frame before the body: the start line, the headers and, when
    /// there is a body, the blank line. [`encode_head`](Self::encode_head), then the body,
    /// then [`encode_tail`](Self::encode_tail) is [`encode`](Self::encode); a writer can send
    /// the body from its own buffer (vectored I/O) instead of copying it.
    pub fn encode_head(&self, out: &mut BytesMut) {
        use std::fmt::Write as _;
        // Writes into the BytesMut directly (its fmt::Write never fails).
        let _ = write!(out, "MSRP {} ", self.transaction_id);
        match &self.start {
            StartLine::Request(m) => out.extend_from_slice(m.as_str().as_bytes()),
            StartLine::Response { code, comment } => {
                let _ = write!(out, "{code:03}");
                if let Some(c) = comment {
                    let _ = write!(out, " {c}");
                }
            }
        }
        out.extend_from_slice(b"\r\n");
        let h = &self.headers;
        out.extend_from_slice(b"To-Path: ");
        write_path(out, &h.to_path);
        out.extend_from_slice(b"\r\nFrom-Path: ");
        write_path(out, &h.from_path);
        out.extend_from_slice(b"\r\n");
        if let Some(v) = &h.message_id {
            header(out, "Message-ID", v);
        }
        if let Some(v) = h.success_report {
            header(out, "Success-Report", if v { "yes" } else { "no" });
        }
        if let Some(v) = h.failure_report {
            header(out, "Failure-Report", v.as_str());
        }
        if let Some(v) = &h.byte_range {
            let _ = write!(out, "Byte-Range: {v}\r\n");
        }
        if let Some(v) = &h.status {
            let _ = write!(out, "Status: {v}\r\n");
        }
        if !h.use_path.is_empty() {
            out.extend_from_slice(b"Use-Path: ");
            write_path(out, &h.use_path);
            out.extend_from_slice(b"\r\n");
        }
        for (name, v) in [
            ("Expires", h.expires),
            ("Min-Expires", h.min_expires),
            ("Max-Expires", h.max_expires),
        ] {
            if let Some(v) = v {
                let _ = write!(out, "{name}: {v}\r\n");
            }
        }
        for v in &h.www_authenticate {
            header(out, "WWW-Authenticate", v);
        }
        if let Some(v) = &h.authorization {
            header(out, "Authorization", v);
        }
        if let Some(v) = &h.authentication_info {
            header(out, "Authentication-Info", v);
        }
        for (n, v) in &h.extensions {
            header(out, n, v);
        }
        if let Some(ct) = &h.content_type {
            header(out, "Content-Type", ct);
        }
        if self.has_body() {
            out.extend_from_slice(b"\r\n");
        }
    }

    /// Writes the part of the frame after the body: the CRLF that closes a body, and the
    /// end-line.
    pub fn encode_tail(&self, out: &mut BytesMut) {
        if self.has_body() {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"-------");
        out.extend_from_slice(self.transaction_id.as_bytes());
        out.extend_from_slice(&[self.continuation.as_byte(), b'\r', b'\n']);
    }

    /// The encoded frame.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(self.encoded_len_hint());
        self.encode(&mut out);
        out.freeze()
    }
}

fn header(out: &mut BytesMut, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

fn write_path(out: &mut BytesMut, path: &[MsrpUri]) {
    use std::fmt::Write as _;
    for (i, u) in path.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b" ");
        }
        let _ = write!(out, "{u}");
    }
}

impl fmt::Display for MsrpMessage {
    /// The encoded frame, with a non-UTF-8 body shown lossily.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}
