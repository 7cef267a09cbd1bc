//! Multipart bodies (RFC 2046 §5.1; RFC 2387 multipart/related).
//!
//! [`Multipart::parse`] splits a body at the boundary of its Content-Type, keeping the
//! preamble, the parts (their MIME headers parsed like SIP header lines, their bodies as
//! zero-copy slices) and the epilogue. [`Multipart::to_bytes`] prints the canonical form,
//! [`Multipart::builder`] assembles one with a boundary that appears in no part.
//!
//! ```
//! use bytes::Bytes;
//! use sip_core::body::Multipart;
//! use sip_core::header::MediaType;
//!
//! let ct = MediaType::parse(
//!     r#"multipart/related;type="application/rlmi+xml";start="<nXYxAE@example.com>";boundary=50UBfW7LSCVLtggUPe5z"#,
//! )?;
//! let body = Bytes::from_static(
//!     b"--50UBfW7LSCVLtggUPe5z\r\n\
//!       Content-Transfer-Encoding: binary\r\n\
//!       Content-ID: <nXYxAE@example.com>\r\n\
//!       Content-Type: application/rlmi+xml;charset=\"UTF-8\"\r\n\
//!       \r\n\
//!       <list/>\r\n\
//!       --50UBfW7LSCVLtggUPe5z\r\n\
//!       Content-ID: <bUZBsM@example.com>\r\n\
//!       Content-Type: application/pidf+xml\r\n\
//!       \r\n\
//!       <presence/>\r\n\
//!       --50UBfW7LSCVLtggUPe5z--\r\n",
//! );
//! let mp = Multipart::parse(body, &ct)?;
//! assert_eq!(mp.parts.len(), 2);
//! assert_eq!(mp.related_type().as_deref(), Some("application/rlmi+xml"));
//! let root = mp.root().unwrap();
//! assert_eq!(&root.body[..], b"<list/>");
//! assert!(mp.part_by_content_id("bUZBsM@example.com").is_some());
//! // The canonical form re-parses to the same value.
//! assert_eq!(Multipart::parse(mp.to_bytes(), &mp.content_type())?, mp);
//! # Ok::<(), sip_core::ParseError>(())
//! ```

use std::borrow::Cow;
use std::fmt;

use bytes::{Bytes, BytesMut};
use bytestring::ByteString;

use super::{find_blank_line, parse_header_block, same_headers, utf8};
use crate::error::{Element, ParseError, ParseErrorKind};
use crate::grammar::{self, write_quoted};
use crate::header::{ContentId, ContentType, HeaderName, Headers, MediaType};
use crate::param::Params;

/// One body part: its MIME headers and its body.
#[derive(Debug, Clone)]
pub struct Part {
    /// The part headers (Content-Type, Content-ID, Content-Disposition…).
    pub headers: Headers,
    /// The part body, a zero-copy slice of the multipart body when parsed.
    pub body: Bytes,
    /// Nesting depth of the multipart this part belongs to (0 for the outermost).
    depth: u8,
}

impl PartialEq for Part {
    /// Headers are compared by names and values (not parse offsets), bodies byte for byte.
    fn eq(&self, other: &Part) -> bool {
        same_headers(&self.headers, &other.headers) && self.body == other.body
    }
}

impl Eq for Part {}

impl Part {
    /// A part with a Content-Type header and a body.
    pub fn new(content_type: &str, body: impl Into<Bytes>) -> Self {
        let mut headers = Headers::new();
        headers.push(HeaderName::ContentType, content_type);
        Part::with_headers(headers, body)
    }

    /// A part with the given headers and body.
    pub fn with_headers(headers: Headers, body: impl Into<Bytes>) -> Self {
        Part {
            headers,
            body: body.into(),
            depth: 0,
        }
    }

    /// Builder: appends a header line.
    #[must_use]
    pub fn header(mut self, name: HeaderName, value: impl Into<ByteString>) -> Self {
        self.headers.push(name, value);
        self
    }

    /// Builder: sets the Content-ID (given without angle brackets).
    #[must_use]
    pub fn content_id(mut self, id: &str) -> Self {
        self.headers.set_typed(&ContentId::from_id(id));
        self
    }

    /// The parsed Content-Type, `Ok(None)` when the part has none (RFC 2046 then implies
    /// `text/plain;charset=us-ascii`).
    pub fn content_type(&self) -> Result<Option<MediaType>, ParseError> {
        Ok(self.headers.typed_first::<ContentType>()?.map(|c| c.0))
    }

    /// The Content-ID without angle brackets, if the part has one.
    pub fn id(&self) -> Option<&str> {
        self.headers
            .get_str(&HeaderName::ContentId)
            .map(crate::header::strip_angles)
    }

    /// The part as a nested multipart: `Ok(None)` when its Content-Type is not `multipart/*`.
    /// Nesting deeper than [`Multipart::MAX_DEPTH`] is an error
    /// ([`ParseErrorKind::OutOfRange`]).
    pub fn multipart(&self) -> Result<Option<Multipart>, ParseError> {
        let Some(ct) = self.content_type()? else {
            return Ok(None);
        };
        if !ct.mtype.eq_ignore_ascii_case("multipart") {
            return Ok(None);
        }
        Multipart::parse_at_depth(self.body.clone(), &ct, self.depth.saturating_add(1)).map(Some)
    }

    fn write(&self, out: &mut BytesMut) {
        for h in self.headers.iter() {
            out.extend_from_slice(h.name().as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(h.value().as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
    }
}

/// A multipart body.
///
/// `PartialEq` compares headers by names and values, so a parsed body equals the re-parse of
/// its [`Multipart::to_bytes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Multipart {
    /// The subtype (`mixed`, `related`, `alternative`…), as written.
    pub subtype: ByteString,
    /// The Content-Type parameters other than `boundary` (`type` and `start` of
    /// multipart/related, for example).
    pub params: Params,
    /// The boundary, unquoted.
    pub boundary: ByteString,
    /// Text before the first boundary (ignored by recipients).
    pub preamble: Bytes,
    /// The parts, in order.
    pub parts: Vec<Part>,
    /// Text after the last boundary (ignored by recipients).
    pub epilogue: Bytes,
}

/// Outcome of looking at the bytes right after `--boundary`.
struct Delimiter {
    /// `--boundary--`.
    close: bool,
    /// Bytes after `--boundary` up to and including the line end.
    len: usize,
}

/// Checks what follows `--boundary` at a candidate position: `--` (close), then optional
/// transport padding (SP/HTAB) and a line end or the end of the body. A close delimiter may be
/// followed by anything on its line (lenient).
fn delimiter_after(rest: &[u8]) -> Option<Delimiter> {
    let close = rest.starts_with(b"--");
    let mut i = if close { 2 } else { 0 };
    while matches!(rest.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    match (rest.get(i), rest.get(i + 1)) {
        (None, _) => Some(Delimiter { close, len: i }),
        (Some(b'\n'), _) => Some(Delimiter { close, len: i + 1 }),
        (Some(b'\r'), Some(b'\n')) => Some(Delimiter { close, len: i + 2 }),
        _ if close => {
            let eol = memchr::memchr(b'\n', rest.get(i..)?).map_or(rest.len(), |p| i + p + 1);
            Some(Delimiter { close, len: eol })
        }
        _ => None,
    }
}

/// Finds the next `--boundary` at the start of a line, at or after `from`.
fn find_delimiter(buf: &[u8], from: usize, dash: &[u8]) -> Option<(usize, Delimiter)> {
    let finder = memchr::memmem::Finder::new(dash);
    let mut i = from;
    while let Some(p) = buf.get(i..).and_then(|b| finder.find(b)) {
        let pos = i + p;
        let line_start = pos == 0 || buf.get(pos - 1) == Some(&b'\n');
        if line_start && let Some(d) = buf.get(pos + dash.len()..).and_then(delimiter_after) {
            return Some((pos, d));
        }
        i = pos + 1;
    }
    None
}

/// `end` moved back over the line end (CRLF or LF) that belongs to the delimiter at `end`,
/// never before `start`.
fn before_line_end(buf: &[u8], start: usize, end: usize) -> usize {
    let mut e = end;
    if e > start && buf.get(e - 1) == Some(&b'\n') {
        e -= 1;
        if e > start && buf.get(e - 1) == Some(&b'\r') {
            e -= 1;
        }
    }
    e
}

/// RFC 2046 `bchars`: the characters a boundary may hold.
fn is_bchar(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'\''
                | b'('
                | b')'
                | b'+'
                | b'_'
                | b','
                | b'-'
                | b'.'
                | b'/'
                | b':'
                | b'='
                | b'?'
                | b' '
        )
}

fn is_valid_boundary(b: &str) -> bool {
    (1..=70).contains(&b.len()) && b.bytes().all(is_bchar) && !b.ends_with(' ')
}

fn error(kind: ParseErrorKind, offset: usize) -> ParseError {
    ParseError::new(Element::Multipart, kind, offset)
}

impl Multipart {
    /// Most parts in one multipart body.
    pub const MAX_PARTS: usize = 256;
    /// Deepest nesting of multiparts within multiparts accepted by [`Part::multipart`].
    pub const MAX_DEPTH: u8 = 8;

    /// Parses a multipart body; `content_type` must be `multipart/*` with a `boundary`
    /// parameter (quoted or not).
    ///
    /// Errors ([`Element::Multipart`] unless in a part's headers) carry byte offsets into
    /// `body`: a missing or invalid boundary (offset 0), no opening delimiter (offset 0), no
    /// part before the close delimiter, a missing close delimiter ([`ParseErrorKind::Incomplete`]
    /// at the end), more than [`Multipart::MAX_PARTS`] parts ([`ParseErrorKind::OutOfRange`]),
    /// part headers that are not UTF-8 or not header lines. A missing CRLF after the close
    /// delimiter and bare LF line ends are accepted.
    pub fn parse(body: Bytes, content_type: &MediaType) -> Result<Multipart, ParseError> {
        Multipart::parse_at_depth(body, content_type, 0)
    }

    fn parse_at_depth(
        body: Bytes,
        content_type: &MediaType,
        depth: u8,
    ) -> Result<Multipart, ParseError> {
        if depth > Multipart::MAX_DEPTH {
            return Err(error(ParseErrorKind::OutOfRange, 0));
        }
        if !content_type.mtype.eq_ignore_ascii_case("multipart") {
            return Err(error(ParseErrorKind::Syntax, 0));
        }
        let boundary = content_type
            .param("boundary")
            .ok_or_else(|| error(ParseErrorKind::Syntax, 0))?;
        // Lenient about length and characters, but a boundary must be one line of text.
        if boundary.is_empty() || boundary.len() > 200 || boundary.chars().any(|c| c.is_control()) {
            return Err(error(ParseErrorKind::Syntax, 0));
        }
        let mut dash = Vec::with_capacity(boundary.len() + 2);
        dash.extend_from_slice(b"--");
        dash.extend_from_slice(boundary.as_bytes());
        let buf: &[u8] = &body;

        let (first, d) =
            find_delimiter(buf, 0, &dash).ok_or_else(|| error(ParseErrorKind::Syntax, 0))?;
        if d.close {
            return Err(error(ParseErrorKind::Syntax, first));
        }
        let preamble = body.slice(..before_line_end(buf, 0, first));
        let mut pos = first + dash.len() + d.len;
        let mut parts = Vec::new();
        loop {
            let (next, d) = find_delimiter(buf, pos, &dash)
                .ok_or_else(|| error(ParseErrorKind::Incomplete, buf.len()))?;
            if parts.len() >= Multipart::MAX_PARTS {
                return Err(error(ParseErrorKind::OutOfRange, pos));
            }
            let end = before_line_end(buf, pos, next);
            parts.push(parse_part(body.slice(pos..end), pos, depth)?);
            pos = next + dash.len() + d.len;
            if d.close {
                break;
            }
        }
        let mut params = content_type.params.clone();
        params.remove("boundary");
        Ok(Multipart {
            subtype: content_type.subtype.clone(),
            params,
            boundary: ByteString::from(boundary.into_owned()),
            preamble,
            parts,
            epilogue: body.slice(pos.min(body.len())..),
        })
    }

    /// Starts building a `multipart/<subtype>` body.
    pub fn builder(subtype: &str) -> MultipartBuilder {
        MultipartBuilder {
            subtype: subtype.to_owned(),
            params: Params::new(),
            boundary: None,
            preamble: Bytes::new(),
            epilogue: Bytes::new(),
            parts: Vec::new(),
        }
    }

    /// Starts building a `multipart/related` body (RFC 2387) whose root part has media type
    /// `root_type` (the required `type` parameter).
    pub fn related(root_type: &str) -> MultipartBuilder {
        Multipart::builder("related").param("type", root_type)
    }

    /// The Content-Type of this body: `multipart/<subtype>` with the parameters and the
    /// boundary (quoted when it is not a token).
    pub fn content_type(&self) -> MediaType {
        let mut params = self.params.clone();
        params.remove("boundary");
        params.set("boundary", Some(&quote_if_needed(&self.boundary)));
        MediaType {
            mtype: ByteString::from_static("multipart"),
            subtype: self.subtype.clone(),
            params,
        }
    }

    /// True for `multipart/related`.
    pub fn is_related(&self) -> bool {
        self.subtype.eq_ignore_ascii_case("related")
    }

    /// The `type` parameter of multipart/related: the media type of the root part.
    pub fn related_type(&self) -> Option<Cow<'_, str>> {
        self.params.value("type")
    }

    /// The `start` parameter of multipart/related: the Content-ID of the root part (as
    /// written, usually with angle brackets).
    pub fn start(&self) -> Option<Cow<'_, str>> {
        self.params.value("start")
    }

    /// The part whose Content-ID is `id` (angle brackets optional).
    pub fn part_by_content_id(&self, id: &str) -> Option<&Part> {
        let id = crate::header::strip_angles(id);
        self.parts.iter().find(|p| p.id() == Some(id))
    }

    /// The root part of multipart/related (RFC 2387 §3.2): the one named by `start`, or the
    /// first part when there is no `start`. `None` when `start` names no part.
    pub fn root(&self) -> Option<&Part> {
        match self.start() {
            Some(start) => self.part_by_content_id(&start),
            None => self.parts.first(),
        }
    }

    /// The canonical wire form: the preamble and a CRLF (when there is a preamble), each
    /// part as `--boundary CRLF headers CRLF body CRLF`, then `--boundary-- CRLF` and the
    /// epilogue.
    pub fn to_bytes(&self) -> Bytes {
        let b = self.boundary.as_bytes();
        let size = self.preamble.len()
            + self.epilogue.len()
            + self
                .parts
                .iter()
                .map(|p| p.body.len() + p.headers.len() * 40 + b.len() + 8)
                .sum::<usize>()
            + b.len()
            + 8;
        let mut out = BytesMut::with_capacity(size);
        if !self.preamble.is_empty() {
            out.extend_from_slice(&self.preamble);
            out.extend_from_slice(b"\r\n");
        }
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"--");
            out.extend_from_slice(b);
            out.extend_from_slice(b"\r\n");
            part.write(&mut out);
        }
        if !self.parts.is_empty() {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"--");
        out.extend_from_slice(b);
        out.extend_from_slice(b"--\r\n");
        out.extend_from_slice(&self.epilogue);
        out.freeze()
    }
}

impl fmt::Display for Multipart {
    /// The wire form; bytes that are not UTF-8 are shown lossily.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

fn quote_if_needed(v: &str) -> String {
    if grammar::is_token(v) {
        v.to_owned()
    } else {
        let mut s = String::with_capacity(v.len() + 2);
        write_quoted(&mut s, v);
        s
    }
}

/// Parses one part (`headers [CRLF body]`); `base` is its offset in the multipart body.
fn parse_part(content: Bytes, base: usize, depth: u8) -> Result<Part, ParseError> {
    let (text_end, body_start) = if content.starts_with(b"\r\n") {
        (0, 2)
    } else if content.starts_with(b"\n") {
        (0, 1)
    } else {
        find_blank_line(&content).unwrap_or((content.len(), content.len()))
    };
    let headers = if text_end == 0 {
        Headers::new()
    } else {
        let text = utf8(content.slice(..text_end), base, Element::Multipart)?;
        parse_header_block(&text, base)?
    };
    Ok(Part {
        headers,
        body: content.slice(body_start.min(content.len())..),
        depth,
    })
}

/// Builds a [`Multipart`]; see [`Multipart::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct MultipartBuilder {
    subtype: String,
    params: Params,
    boundary: Option<String>,
    preamble: Bytes,
    epilogue: Bytes,
    parts: Vec<Part>,
}

impl MultipartBuilder {
    /// Sets a Content-Type parameter (the value is quoted when it is not a token).
    pub fn param(mut self, name: &str, value: &str) -> Self {
        self.params.set(name, Some(&quote_if_needed(value)));
        self
    }

    /// Sets the `start` parameter of multipart/related to the Content-ID `id` (given without
    /// angle brackets).
    pub fn start(self, id: &str) -> Self {
        let v = format!("<{}>", crate::header::strip_angles(id));
        self.param("start", &v)
    }

    /// Asks for a boundary. It is used when it is a valid RFC 2046 boundary that occurs in no
    /// part; otherwise one is generated.
    pub fn boundary(mut self, boundary: &str) -> Self {
        self.boundary = Some(boundary.to_owned());
        self
    }

    /// Sets the preamble.
    pub fn preamble(mut self, preamble: impl Into<Bytes>) -> Self {
        self.preamble = preamble.into();
        self
    }

    /// Sets the epilogue.
    pub fn epilogue(mut self, epilogue: impl Into<Bytes>) -> Self {
        self.epilogue = epilogue.into();
        self
    }

    /// Appends a part.
    pub fn part(mut self, part: Part) -> Self {
        self.parts.push(part);
        self
    }

    /// The multipart body, with a boundary that appears in no part, preamble or epilogue.
    pub fn build(self) -> Multipart {
        let occurs = |candidate: &str| {
            let finder = memchr::memmem::Finder::new(candidate.as_bytes());
            let found = |b: &[u8]| finder.find(b).is_some();
            found(&self.preamble)
                || found(&self.epilogue)
                || self.parts.iter().any(|p| {
                    found(&p.body)
                        || p.headers.iter().any(|h| {
                            found(h.value().as_bytes()) || found(h.name().as_str().as_bytes())
                        })
                })
        };
        let boundary = match self.boundary {
            Some(b) if is_valid_boundary(&b) && !occurs(&b) => b,
            _ => {
                // Deterministic: derived from the content, then stepped until unused.
                let mut seed = fnv1a(0xcbf2_9ce4_8422_2325, &self.preamble);
                for p in &self.parts {
                    seed = fnv1a(seed, &p.body);
                }
                let mut attempt = 0u64;
                loop {
                    let n = seed.wrapping_add(attempt.wrapping_mul(0x9e37_79b9_7f4a_7c15));
                    let candidate = format!("sipsimple-{n:016x}");
                    if !occurs(&candidate) {
                        break candidate;
                    }
                    attempt += 1;
                }
            }
        };
        Multipart {
            subtype: ByteString::from(self.subtype),
            params: self.params,
            boundary: ByteString::from(boundary),
            preamble: self.preamble,
            parts: self.parts,
            epilogue: self.epilogue,
        }
    }
}

fn fnv1a(mut h: u64, data: &[u8]) -> u64 {
    for &b in data {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ct(s: &str) -> MediaType {
        MediaType::parse(s).unwrap()
    }

    fn parse(body: &'static [u8], content_type: &str) -> Result<Multipart, ParseError> {
        Multipart::parse(Bytes::from_static(body), &ct(content_type))
    }

    #[test]
    fn simple_mixed_with_preamble_and_epilogue() {
        let mp = parse(
            b"This is the preamble.\r\n--simple boundary\r\n\r\nimplicitly typed\r\n--simple boundary\r\nContent-type: text/plain; charset=us-ascii\r\n\r\nexplicitly typed\r\n\r\n--simple boundary--\r\nThis is the epilogue.\r\n",
            "multipart/mixed; boundary=\"simple boundary\"",
        )
        .unwrap();
        assert_eq!(&mp.preamble[..], b"This is the preamble.");
        assert_eq!(&mp.epilogue[..], b"This is the epilogue.\r\n");
        assert_eq!(mp.parts.len(), 2);
        assert!(mp.parts[0].headers.is_empty());
        assert_eq!(&mp.parts[0].body[..], b"implicitly typed");
        assert_eq!(&mp.parts[1].body[..], b"explicitly typed\r\n");
        let t = mp.parts[1].content_type().unwrap().unwrap();
        assert!(t.is("text/plain"));
        assert_eq!(&*mp.boundary, "simple boundary");
        assert_eq!(
            mp.content_type().to_string(),
            "multipart/mixed;boundary=\"simple boundary\""
        );
        let again = Multipart::parse(mp.to_bytes(), &mp.content_type()).unwrap();
        assert_eq!(again, mp);
    }

    #[test]
    fn delimiter_must_start_a_line_and_end_it() {
        let mp = parse(
            b"--b\r\n\r\nx --b y\r\n--bb\r\n--b \t\r\n\r\nz\r\n--b--",
            "multipart/mixed;boundary=b",
        )
        .unwrap();
        assert_eq!(mp.parts.len(), 2);
        assert_eq!(&mp.parts[0].body[..], b"x --b y\r\n--bb");
        assert_eq!(&mp.parts[1].body[..], b"z");
        assert!(mp.epilogue.is_empty());
    }

    #[test]
    fn lf_only_and_empty_parts() {
        let mp = parse(
            b"--b\nA: 1\n\nbody\n--b\n--b--\n",
            "multipart/mixed;boundary=b",
        )
        .unwrap();
        assert_eq!(mp.parts.len(), 2);
        assert_eq!(
            mp.parts[0].headers.get_str(&HeaderName::new("a")),
            Some("1")
        );
        assert_eq!(&mp.parts[0].body[..], b"body");
        assert!(mp.parts[1].body.is_empty() && mp.parts[1].headers.is_empty());
    }

    #[test]
    fn errors() {
        let e = parse(b"--b\r\n\r\nx\r\n--b--", "multipart/mixed").unwrap_err();
        assert_eq!((e.element, e.offset), (Element::Multipart, 0));
        let e = parse(b"--b\r\n\r\nx\r\n--b--", "text/plain;boundary=b").unwrap_err();
        assert_eq!(e.element, Element::Multipart);
        let e = parse(b"no delimiter here", "multipart/mixed;boundary=b").unwrap_err();
        assert_eq!((e.kind, e.offset), (ParseErrorKind::Syntax, 0));
        let e = parse(b"--b\r\n\r\nx\r\n", "multipart/mixed;boundary=b").unwrap_err();
        assert_eq!((e.kind, e.offset), (ParseErrorKind::Incomplete, 10));
        let e = parse(b"pre\r\n--b--\r\n", "multipart/mixed;boundary=b").unwrap_err();
        assert_eq!((e.kind, e.offset), (ParseErrorKind::Syntax, 5));
        let e = parse(
            b"--b\r\nBad header\r\n\r\nx\r\n--b--",
            "multipart/mixed;boundary=b",
        )
        .unwrap_err();
        assert_eq!((e.element, e.offset), (Element::HeaderLine, 5));
        let e = Multipart::parse(
            Bytes::from_static(b"--b\r\nA: \xff\r\n\r\nx\r\n--b--"),
            &ct("multipart/mixed;boundary=b"),
        )
        .unwrap_err();
        assert_eq!((e.kind, e.offset), (ParseErrorKind::InvalidUtf8, 8));
        let e = parse(b"--\r\n", "multipart/mixed;boundary=\"\"").unwrap_err();
        assert_eq!(e.element, Element::Multipart);
    }

    #[test]
    fn part_limit() {
        let mut raw = Vec::new();
        for _ in 0..=Multipart::MAX_PARTS {
            raw.extend_from_slice(b"--b\r\n\r\nx\r\n");
        }
        raw.extend_from_slice(b"--b--\r\n");
        let e = Multipart::parse(Bytes::from(raw), &ct("multipart/mixed;boundary=b")).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::OutOfRange);
    }

    #[test]
    fn nesting_depth_is_bounded() {
        // Each level wraps the previous one in a part of a multipart with a new boundary.
        let mut body = b"leaf".to_vec();
        let mut content_type = String::from("text/plain");
        for level in 0..12 {
            let b = format!("level{level}");
            let mut next = format!("--{b}\r\nContent-Type: {content_type}\r\n\r\n").into_bytes();
            next.extend_from_slice(&body);
            next.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
            body = next;
            content_type = format!("multipart/mixed;boundary={b}");
        }
        let mut mp = Multipart::parse(Bytes::from(body), &ct(&content_type)).unwrap();
        let mut levels = 1;
        let err = loop {
            match mp.parts[0].multipart() {
                Ok(Some(inner)) => {
                    mp = inner;
                    levels += 1;
                }
                Ok(None) => panic!("reached the leaf"),
                Err(e) => break e,
            }
        };
        assert_eq!(levels, usize::from(Multipart::MAX_DEPTH) + 1);
        assert_eq!(err.kind, ParseErrorKind::OutOfRange);
    }

    #[test]
    fn builder_avoids_boundary_in_content() {
        let mp = Multipart::builder("alternative")
            .boundary("x")
            .part(Part::new("text/plain", "contains x"))
            .part(Part::new("text/html", "<p>x</p>"))
            .build();
        assert_ne!(&*mp.boundary, "x");
        assert!(mp.boundary.starts_with("sipsimple-"));
        let again = Multipart::parse(mp.to_bytes(), &mp.content_type()).unwrap();
        assert_eq!(again, mp);
        let mp2 = Multipart::builder("mixed")
            .boundary("good-boundary")
            .part(Part::new("text/plain", "hello"))
            .build();
        assert_eq!(&*mp2.boundary, "good-boundary");
        let bad = Multipart::builder("mixed")
            .boundary("bad\r\nboundary")
            .build();
        assert!(bad.boundary.starts_with("sipsimple-"));
    }

    #[test]
    fn builder_output_is_canonical() {
        let mp = Multipart::related("application/sdp")
            .start("root@x")
            .boundary("BB")
            .preamble("pre")
            .epilogue("epi")
            .part(Part::new("application/sdp", "v=0\r\n").content_id("root@x"))
            .part(Part::with_headers(Headers::new(), "raw"))
            .build();
        assert_eq!(
            mp.content_type().to_string(),
            "multipart/related;type=\"application/sdp\";start=\"<root@x>\";boundary=BB"
        );
        assert_eq!(
            &mp.to_bytes()[..],
            b"pre\r\n--BB\r\nContent-Type: application/sdp\r\nContent-ID: <root@x>\r\n\r\nv=0\r\n\r\n--BB\r\n\r\nraw\r\n--BB--\r\nepi"
        );
        assert!(mp.is_related());
        assert_eq!(mp.root().unwrap().id(), Some("root@x"));
        assert_eq!(
            Multipart::parse(mp.to_bytes(), &mp.content_type()).unwrap(),
            mp
        );
    }
}
