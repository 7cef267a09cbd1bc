//! Message bodies: multipart (RFC 2046, RFC 2387) and message/sipfrag (RFC 3420).
//!
//! Both parsers take the body as a [`bytes::Bytes`] and keep zero-copy slices of it: part bodies
//! are slices of the multipart body, header values slices of the header text (only folded
//! lines are copied). Printing is canonical (`CRLF` line ends, canonical header names) and
//! re-parses to an equal value.
//!
//! * [`Multipart`]: `multipart/mixed`, `multipart/related` (with the root part found through
//!   `start` and Content-ID), `multipart/alternative` and other subtypes; nested multiparts are
//!   parsed on demand with [`Part::multipart`], with bounded depth.
//! * [`SipFrag`]: a start line, headers and body, any of which may be missing, as REFER
//!   notifications carry.
//!
//! ```
//! use bytes::Bytes;
//! use sip_core::body::{Multipart, Part, SipFrag};
//! use sip_core::message::StatusCode;
//!
//! // A NOTIFY body for a REFER subscription, wrapped with a text part in multipart/mixed.
//! let frag = SipFrag::from_status(StatusCode::OK, "OK");
//! let body = Multipart::builder("mixed")
//!     .part(Part::new("message/sipfrag;version=2.0", frag.to_bytes()))
//!     .part(Part::new("text/plain", "transfer done"))
//!     .build();
//! let wire = body.to_bytes();
//!
//! let parsed = Multipart::parse(wire, &body.content_type())?;
//! assert_eq!(parsed, body);
//! let first = SipFrag::parse(parsed.parts[0].body.clone())?;
//! assert_eq!(first.status_code(), Some(StatusCode::OK));
//! # Ok::<(), sip_core::ParseError>(())
//! ```

pub mod multipart;
pub mod sipfrag;

pub use multipart::{Multipart, MultipartBuilder, Part};
pub use sipfrag::{SipFrag, StartLine};

use bytestring::ByteString;

use crate::error::{Element, ParseError, ParseErrorKind};
use crate::grammar::{is_token_char, trim_lws};
use crate::header::{Header, HeaderName, Headers};

/// Most header lines in one part or fragment.
const MAX_HEADERS: usize = 256;

/// Finds the blank line that ends a header section starting at `buf[0]`: returns the index of
/// the line end before it (where the header text stops) and the index where the body starts.
/// Bare LF line ends are accepted.
fn find_blank_line(buf: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while let Some(pos) = buf.get(i..).and_then(|b| memchr::memchr(b'\n', b)) {
        let nl = i + pos;
        let text_end = if nl > 0 && buf.get(nl - 1) == Some(&b'\r') {
            nl - 1
        } else {
            nl
        };
        match (buf.get(nl + 1), buf.get(nl + 2)) {
            (Some(b'\n'), _) => return Some((text_end, nl + 2)),
            (Some(b'\r'), Some(b'\n')) => return Some((text_end, nl + 3)),
            _ => {}
        }
        i = nl + 1;
    }
    None
}

/// The text of `buf` as a shared string, or an [`ParseErrorKind::InvalidUtf8`] error at
/// `base` plus the offset of the first bad byte.
fn utf8(buf: bytes::Bytes, base: usize, element: Element) -> Result<ByteString, ParseError> {
    let bad_at = std::str::from_utf8(&buf).err().map(|e| e.valid_up_to());
    ByteString::try_from(buf).map_err(|_| {
        ParseError::new(
            element,
            ParseErrorKind::InvalidUtf8,
            base + bad_at.unwrap_or(0),
        )
    })
}

/// Parses header lines (`name: value`, continuation lines folded into one space) from all of
/// `block`. Values are zero-copy slices of `block` unless folded. Error offsets and header
/// offsets are `base` plus the position in `block`.
fn parse_header_block(block: &ByteString, base: usize) -> Result<Headers, ParseError> {
    let text: &str = block;
    let at = |s: &str| base + (s.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
    let mut headers = Headers::new();
    // (name, value, folded copy)
    let mut pending: Option<(&str, &str, Option<String>)> = None;
    let flush = |pending: &mut Option<(&str, &str, Option<String>)>, headers: &mut Headers| {
        if let Some((name, value, folded)) = pending.take() {
            let v = match folded {
                Some(f) => ByteString::from(f),
                None => block.slice_ref(value),
            };
            headers.push_header(Header::parsed(
                HeaderName::from_slice_of(block, name),
                v,
                at(value),
            ));
        }
    };
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            let Some((_, first, folded)) = pending.as_mut() else {
                return Err(ParseError::syntax(Element::HeaderLine, at(line)));
            };
            let cont = trim_lws(line);
            if !cont.is_empty() {
                let f = folded.get_or_insert_with(|| (*first).to_owned());
                if !f.is_empty() {
                    f.push(' ');
                }
                f.push_str(cont);
            }
            continue;
        }
        flush(&mut pending, &mut headers);
        if headers.len() >= MAX_HEADERS {
            return Err(ParseError::new(
                Element::HeaderLine,
                ParseErrorKind::TooManyHeaders { limit: MAX_HEADERS },
                at(line),
            ));
        }
        let colon = line
            .find(':')
            .ok_or_else(|| ParseError::syntax(Element::HeaderLine, at(line)))?;
        let name = line
            .get(..colon)
            .unwrap_or("")
            .trim_end_matches([' ', '\t']);
        if name.is_empty() || !name.bytes().all(is_token_char) {
            return Err(ParseError::syntax(Element::HeaderName, at(line)));
        }
        let value = trim_lws(line.get(colon + 1..).unwrap_or(""));
        pending = Some((name, value, None));
    }
    flush(&mut pending, &mut headers);
    Ok(headers)
}

/// Header lists compared by names and values (not by the offsets they were parsed at).
fn same_headers(a: &Headers, b: &Headers) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b.iter())
            .all(|(x, y)| x.name() == y.name() && x.value() == y.value())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_line_variants() {
        assert_eq!(find_blank_line(b"A: b\r\n\r\nbody"), Some((4, 8)));
        assert_eq!(find_blank_line(b"A: b\n\nbody"), Some((4, 6)));
        assert_eq!(find_blank_line(b"A: b\n\r\nbody"), Some((4, 7)));
        assert_eq!(find_blank_line(b"A: b\r\n"), None);
        assert_eq!(find_blank_line(b""), None);
        assert_eq!(find_blank_line(b"\n"), None);
    }

    #[test]
    fn header_block_folding_and_errors() {
        let block =
            ByteString::from("Content-Type: text/plain;\r\n charset=utf-8\r\nX-A:1\r\nc: a/b");
        let h = parse_header_block(&block, 10).unwrap();
        assert_eq!(h.len(), 3);
        assert_eq!(
            h.get_str(&HeaderName::ContentType),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(h.iter().nth(1).unwrap().offset(), 10 + 47);
        assert_eq!(h.iter().nth(2).unwrap().name(), &HeaderName::ContentType);
        let e = parse_header_block(&ByteString::from(" folded"), 5).unwrap_err();
        assert_eq!((e.element, e.offset), (Element::HeaderLine, 5));
        let e = parse_header_block(&ByteString::from("A: b\r\nno colon"), 0).unwrap_err();
        assert_eq!((e.element, e.offset), (Element::HeaderLine, 6));
        let e = parse_header_block(&ByteString::from("A b: c"), 0).unwrap_err();
        assert_eq!(e.element, Element::HeaderName);
        let many: String = (0..300).map(|i| format!("X-{i}: v\r\n")).collect();
        let e = parse_header_block(&ByteString::from(many), 0).unwrap_err();
        assert!(matches!(e.kind, ParseErrorKind::TooManyHeaders { .. }));
    }
}
