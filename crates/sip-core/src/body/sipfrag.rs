//! `message/sipfrag` bodies (RFC 3420): a start line, header lines and a body, each optional.
//!
//! The NOTIFYs of a REFER subscription (RFC 3515 §2.4.5) carry the status line of the
//! referred request's response as a sipfrag.
//!
//! ```
//! use bytes::Bytes;
//! use sip_core::body::SipFrag;
//! use sip_core::message::StatusCode;
//!
//! let frag = SipFrag::parse(Bytes::from_static(b"SIP/2.0 100 Trying"))?;
//! assert_eq!(frag.status_code(), Some(StatusCode::TRYING));
//! assert_eq!(frag.reason(), Some("Trying"));
//!
//! let notify_body = SipFrag::from_status(StatusCode::OK, "OK");
//! assert_eq!(&notify_body.to_bytes()[..], b"SIP/2.0 200 OK\r\n");
//! assert_eq!(SipFrag::CONTENT_TYPE, "message/sipfrag;version=2.0");
//! # Ok::<(), sip_core::ParseError>(())
//! ```

use std::fmt;

use bytes::{Bytes, BytesMut};
use bytestring::ByteString;

use super::{find_blank_line, parse_header_block, same_headers, utf8};
use crate::error::{Element, ParseError, ParseErrorKind};
use crate::grammar::is_token_char;
use crate::header::{HeaderName, Headers};
use crate::message::{Method, Request, Response, StatusCode, Version};
use crate::uri::Uri;

/// The start line of a fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    /// `Method SP Request-URI SP SIP-Version`.
    Request {
        /// The method.
        method: Method,
        /// The Request-URI.
        uri: Uri,
        /// The version.
        version: Version,
    },
    /// `SIP-Version SP Status-Code SP Reason-Phrase`.
    Status {
        /// The version.
        version: Version,
        /// The status code.
        code: StatusCode,
        /// The reason phrase (may be empty).
        reason: ByteString,
    },
}

impl fmt::Display for StartLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartLine::Request {
                method,
                uri,
                version,
            } => write!(f, "{method} {uri} {version}"),
            StartLine::Status {
                version,
                code,
                reason,
            } => write!(f, "{version} {} {reason}", code.code()),
        }
    }
}

/// A `message/sipfrag` body.
///
/// `PartialEq` compares headers by names and values, so a parsed fragment equals the re-parse
/// of its [`SipFrag::to_bytes`].
#[derive(Debug, Clone)]
pub struct SipFrag {
    /// The start line, if the fragment has one.
    pub start_line: Option<StartLine>,
    /// The header lines.
    pub headers: Headers,
    /// The body (after the blank line), possibly empty.
    pub body: Bytes,
}

impl PartialEq for SipFrag {
    fn eq(&self, other: &SipFrag) -> bool {
        self.start_line == other.start_line
            && same_headers(&self.headers, &other.headers)
            && self.body == other.body
    }
}

impl Eq for SipFrag {}

fn err(element: Element, offset: usize) -> ParseError {
    ParseError::syntax(element, offset)
}

/// Parses `SIP/<major>.<minor>` (1–3 digits each) from the start of `s`; returns the version
/// and the length consumed.
fn version(s: &str) -> Option<(Version, usize)> {
    s.get(..4).filter(|p| p.eq_ignore_ascii_case("SIP/"))?;
    let after = s.get(4..)?;
    let major_len = after.bytes().take_while(u8::is_ascii_digit).count();
    let minor_part = after.get(major_len..)?.strip_prefix('.')?;
    let minor_len = minor_part.bytes().take_while(u8::is_ascii_digit).count();
    if !(1..=3).contains(&major_len) || !(1..=3).contains(&minor_len) {
        return None;
    }
    let major = after.get(..major_len)?.parse().ok()?;
    let minor = minor_part.get(..minor_len)?.parse().ok()?;
    Some((Version { major, minor }, 4 + major_len + 1 + minor_len))
}

fn is_reason_text(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() && c != '\t')
}

/// Parses a start line; `base` is its offset in the fragment.
fn parse_start_line(text: &ByteString, line: &str, base: usize) -> Result<StartLine, ParseError> {
    let at = |s: &str| base + (s.as_ptr() as usize).saturating_sub(line.as_ptr() as usize);
    if line
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("SIP/"))
    {
        let (version, n) = version(line).ok_or_else(|| err(Element::SipVersion, base))?;
        let rest = line.get(n..).unwrap_or("");
        let rest = rest
            .strip_prefix(' ')
            .ok_or_else(|| err(Element::StatusLine, at(rest)))?;
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits != 3 {
            return Err(err(Element::StatusCode, at(rest)));
        }
        let code = rest
            .get(..3)
            .and_then(|d| d.parse::<u16>().ok())
            .and_then(StatusCode::new)
            .ok_or_else(|| {
                ParseError::new(Element::StatusCode, ParseErrorKind::OutOfRange, at(rest))
            })?;
        let after = rest.get(3..).unwrap_or("");
        let reason = match after.strip_prefix(' ') {
            Some(r) => r,
            None if after.is_empty() => after,
            None => return Err(err(Element::StatusLine, at(after))),
        };
        if !is_reason_text(reason) {
            return Err(err(Element::ReasonPhrase, at(reason)));
        }
        return Ok(StartLine::Status {
            version,
            code,
            reason: text.slice_ref(reason),
        });
    }
    let mlen = line.bytes().take_while(|&c| is_token_char(c)).count();
    if mlen == 0 {
        return Err(err(Element::Method, base));
    }
    let method = line.get(..mlen).unwrap_or("");
    let rest = line.get(mlen..).unwrap_or("");
    let rest = rest
        .strip_prefix(' ')
        .ok_or_else(|| err(Element::RequestLine, at(rest)))?;
    let sp = rest
        .find(' ')
        .ok_or_else(|| err(Element::RequestLine, at(rest)))?;
    let uri_str = rest.get(..sp).unwrap_or("");
    let uri = Uri::parse_in(text, uri_str).map_err(|e| e.shifted(at(uri_str)))?;
    let vstr = rest.get(sp + 1..).unwrap_or("");
    let (version, n) = version(vstr).ok_or_else(|| err(Element::SipVersion, at(vstr)))?;
    if n != vstr.len() {
        return Err(err(Element::RequestLine, at(vstr) + n));
    }
    Ok(StartLine::Request {
        method: Method::from_slice_of(text, method),
        uri,
        version,
    })
}

/// True when `line` is a header line (`token *WSP ":"`), not a start line.
fn is_header_line(line: &str) -> bool {
    let n = line.bytes().take_while(|&c| is_token_char(c)).count();
    n > 0
        && line
            .get(n..)
            .is_some_and(|r| r.trim_start_matches([' ', '\t']).starts_with(':'))
}

impl SipFrag {
    /// The Content-Type of a sipfrag body.
    pub const CONTENT_TYPE: &'static str = "message/sipfrag;version=2.0";

    /// A fragment holding only a status line, as a REFER notification does
    /// (`SIP/2.0 180 Ringing`).
    pub fn from_status(code: StatusCode, reason: impl Into<ByteString>) -> Self {
        SipFrag {
            start_line: Some(StartLine::Status {
                version: Version::SIP_2_0,
                code,
                reason: reason.into(),
            }),
            headers: Headers::new(),
            body: Bytes::new(),
        }
    }

    /// A fragment holding only a request line.
    pub fn from_request_line(method: Method, uri: Uri) -> Self {
        SipFrag {
            start_line: Some(StartLine::Request {
                method,
                uri,
                version: Version::SIP_2_0,
            }),
            headers: Headers::new(),
            body: Bytes::new(),
        }
    }

    /// The whole of a response (status line, headers, body) as a fragment.
    pub fn from_response(resp: &Response) -> Self {
        SipFrag {
            start_line: Some(StartLine::Status {
                version: resp.version(),
                code: resp.status(),
                reason: ByteString::from(resp.reason()),
            }),
            headers: resp.headers().clone(),
            body: resp.body().clone(),
        }
    }

    /// The whole of a request as a fragment.
    pub fn from_request(req: &Request) -> Self {
        SipFrag {
            start_line: Some(StartLine::Request {
                method: req.method().clone(),
                uri: req.uri().clone(),
                version: req.version(),
            }),
            headers: req.headers().clone(),
            body: req.body().clone(),
        }
    }

    /// Builder: appends a header line.
    #[must_use]
    pub fn header(mut self, name: HeaderName, value: impl Into<ByteString>) -> Self {
        self.headers.push(name, value);
        self
    }

    /// Parses a fragment: `[ start-line ] *( header CRLF ) [ CRLF [ body ] ]`.
    ///
    /// Lenient: bare LF line ends, and a last line (start line or header) without a line end.
    /// The first line is a start line unless it looks like `name:`. Errors carry byte offsets
    /// into `input`.
    pub fn parse(input: Bytes) -> Result<SipFrag, ParseError> {
        let (text_end, body_start) = if input.starts_with(b"\r\n") {
            (0, 2)
        } else if input.starts_with(b"\n") {
            (0, 1)
        } else {
            find_blank_line(&input).unwrap_or((input.len(), input.len()))
        };
        let body = input.slice(body_start.min(input.len())..);
        if text_end == 0 {
            return Ok(SipFrag {
                start_line: None,
                headers: Headers::new(),
                body,
            });
        }
        let text = utf8(input.slice(..text_end), 0, Element::Body)?;
        let s: &str = &text;
        let first_end = s.find('\n').unwrap_or(s.len());
        let first = s.get(..first_end).unwrap_or("");
        let first = first.strip_suffix('\r').unwrap_or(first);
        let (start_line, headers_from) = if is_header_line(first) {
            (None, 0)
        } else {
            let line = parse_start_line(&text, first, 0)?;
            (Some(line), (first_end + 1).min(s.len()))
        };
        let headers = if headers_from >= s.len() {
            Headers::new()
        } else {
            let block = text.slice_ref(s.get(headers_from..).unwrap_or(""));
            parse_header_block(&block, headers_from)?
        };
        Ok(SipFrag {
            start_line,
            headers,
            body,
        })
    }

    /// The status code, when the start line is a status line.
    pub fn status_code(&self) -> Option<StatusCode> {
        match &self.start_line {
            Some(StartLine::Status { code, .. }) => Some(*code),
            _ => None,
        }
    }

    /// The reason phrase, when the start line is a status line.
    pub fn reason(&self) -> Option<&str> {
        match &self.start_line {
            Some(StartLine::Status { reason, .. }) => Some(reason),
            _ => None,
        }
    }

    /// The method, when the start line is a request line.
    pub fn method(&self) -> Option<&Method> {
        match &self.start_line {
            Some(StartLine::Request { method, .. }) => Some(method),
            _ => None,
        }
    }

    /// The canonical wire form: the start line and headers each ending in CRLF, then, when
    /// there is a body, an empty line and the body.
    pub fn to_bytes(&self) -> Bytes {
        let mut head = String::with_capacity(64 + self.headers.len() * 40);
        if let Some(l) = &self.start_line {
            use std::fmt::Write as _;
            let _ = write!(head, "{l}\r\n");
        }
        for h in self.headers.iter() {
            head.push_str(h.name().as_str());
            head.push_str(": ");
            head.push_str(h.value());
            head.push_str("\r\n");
        }
        let mut out = BytesMut::with_capacity(head.len() + self.body.len() + 2);
        out.extend_from_slice(head.as_bytes());
        if !self.body.is_empty() {
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(&self.body);
        }
        out.freeze()
    }
}

impl fmt::Display for SipFrag {
    /// The wire form; a body that is not UTF-8 is shown lossily.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(b: &'static [u8]) -> SipFrag {
        SipFrag::parse(Bytes::from_static(b)).unwrap_or_else(|e| panic!("{e}"))
    }

    fn round_trip(f: &SipFrag) {
        assert_eq!(&SipFrag::parse(f.to_bytes()).unwrap(), f);
    }

    #[test]
    fn status_lines() {
        let f = parse(b"SIP/2.0 100 Trying\r\n");
        assert_eq!(
            (f.status_code(), f.reason()),
            (Some(StatusCode::TRYING), Some("Trying"))
        );
        assert!(f.headers.is_empty() && f.body.is_empty());
        assert_eq!(&f.to_bytes()[..], b"SIP/2.0 100 Trying\r\n");
        let g = parse(b"SIP/2.0 100 Trying");
        assert_eq!(f, g);
        let f = parse(b"SIP/2.0 603 ");
        assert_eq!(f.reason(), Some(""));
        let f = parse(b"SIP/2.0 180");
        assert_eq!(f.status_code().map(StatusCode::code), Some(180));
        round_trip(&f);
    }

    #[test]
    fn status_line_with_headers_and_body() {
        let f = parse(b"SIP/2.0 200 OK\r\nContent-Type: application/sdp\r\nl: 4\r\n\r\nv=0\n");
        assert_eq!(f.headers.len(), 2);
        assert_eq!(f.headers.get_str(&HeaderName::ContentLength), Some("4"));
        assert_eq!(&f.body[..], b"v=0\n");
        assert_eq!(
            &f.to_bytes()[..],
            b"SIP/2.0 200 OK\r\nContent-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n"
        );
        round_trip(&f);
    }

    #[test]
    fn request_line_and_header_only_fragments() {
        let f = parse(
            b"INVITE sip:alice@atlanta.com SIP/2.0\r\nContact: <sip:alice@pc33.atlanta.com>\r\n",
        );
        assert_eq!(f.method(), Some(&Method::Invite));
        assert_eq!(f.status_code(), None);
        round_trip(&f);
        let f = parse(b"From: <sip:a@b>;tag=1\nSubject: hi\n");
        assert!(f.start_line.is_none());
        assert_eq!(f.headers.len(), 2);
        round_trip(&f);
        let f = parse(b"\r\nonly a body");
        assert!(f.start_line.is_none() && f.headers.is_empty());
        assert_eq!(&f.body[..], b"only a body");
        round_trip(&f);
        let f = parse(b"");
        assert!(f.start_line.is_none() && f.body.is_empty());
        assert!(f.to_bytes().is_empty());
    }

    #[test]
    fn malformed() {
        for (bad, element) in [
            (&b"SIP/2.0 99 Low"[..], Element::StatusCode),
            (b"SIP/2.0 1000 Big", Element::StatusCode),
            (b"SIP/2.0  200 OK", Element::StatusCode),
            (b"SIP/2.0 200OK", Element::StatusLine),
            (b"SIP/x 200 OK", Element::SipVersion),
            (b"INVITE sip:a@b", Element::RequestLine),
            (b"INVITE sip:a@b SIP/2.0 x", Element::RequestLine),
            (b"INVITE sip:a@b HTTP/1.1", Element::SipVersion),
            (b"<html>", Element::Method),
            (b"SIP/2.0 200 OK\r\nbroken line\r\n", Element::HeaderLine),
            (b"SIP/2.0 200 \x01", Element::ReasonPhrase),
        ] {
            let e = SipFrag::parse(Bytes::from_static(bad)).unwrap_err();
            assert_eq!(e.element, element, "{:?}", String::from_utf8_lossy(bad));
        }
        let e = SipFrag::parse(Bytes::from_static(b"SIP/2.0 700 Nope")).unwrap_err();
        assert_eq!((e.kind, e.offset), (ParseErrorKind::OutOfRange, 8));
        let e = SipFrag::parse(Bytes::from_static(b"SIP/2.0 200 OK\r\nX: \xff")).unwrap_err();
        assert_eq!((e.kind, e.offset), (ParseErrorKind::InvalidUtf8, 19));
        let e = SipFrag::parse(Bytes::from_static(
            b"SIP/2.0 200 OK\r\nX: 1\r\n y\r\nBad\r\n",
        ))
        .unwrap_err();
        assert_eq!((e.element, e.offset), (Element::HeaderLine, 26));
    }

    #[test]
    fn builders() {
        let f = SipFrag::from_status(StatusCode::new(503).unwrap(), "Service Unavailable")
            .header(HeaderName::RetryAfter, "30");
        assert_eq!(
            &f.to_bytes()[..],
            b"SIP/2.0 503 Service Unavailable\r\nRetry-After: 30\r\n"
        );
        assert_eq!(
            f.to_string(),
            "SIP/2.0 503 Service Unavailable\r\nRetry-After: 30\r\n"
        );
        round_trip(&f);
        let f = SipFrag::from_request_line(Method::Refer, Uri::parse("sip:b@c").unwrap());
        assert_eq!(&f.to_bytes()[..], b"REFER sip:b@c SIP/2.0\r\n");
        round_trip(&f);
        let resp = Response::builder(StatusCode::OK)
            .header(HeaderName::CallId, "x@y")
            .build();
        let f = SipFrag::from_response(&resp);
        assert_eq!(
            &f.to_bytes()[..],
            b"SIP/2.0 200 OK\r\nCall-ID: x@y\r\nContent-Length: 0\r\n"
        );
        let req = Request::builder(
            Method::Message,
            crate::uri::SipUri::parse("sip:a@b").unwrap(),
        )
        .body("text/plain", "hi")
        .build();
        let f = SipFrag::from_request(&req);
        assert_eq!(&f.body[..], b"hi");
        round_trip(&f);
    }
}
