//! The message parser: start line, header lines (with folding), body by Content-Length.

use bytes::Bytes;
use bytestring::ByteString;
use nom::{
    IResult, Parser,
    bytes::complete::{tag_no_case, take_while_m_n, take_while1},
    character::complete::char,
    combinator::map_res,
    sequence::separated_pair,
};

use super::{Method, Request, Response, SipMessage, StatusCode, Version};
use crate::error::{Element, ParseError, ParseErrorKind};
use crate::grammar::{is_token_char, trim_lws};
use crate::header::{Header, HeaderName, Headers};
use crate::uri::Uri;

/// Bounds on what the parser accepts from the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseLimits {
    /// Largest message (start line, headers and body) in bytes.
    pub max_message_size: usize,
    /// Most header lines.
    pub max_headers: usize,
}

impl Default for ParseLimits {
    /// 256 KiB and 256 header lines.
    fn default() -> Self {
        ParseLimits {
            max_message_size: 256 * 1024,
            max_headers: 256,
        }
    }
}

/// How the body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyMode {
    /// A datagram: Content-Length optional; extra bytes are dropped (RFC 3261 §18.3).
    Datagram,
    /// A stream frame cut by the framer: the body is exactly the rest.
    Framed,
}

/// Finds the end of the header section: the index of the empty line's first byte and the
/// length of the blank-line terminator. Bare LF line ends are accepted.
pub(crate) fn find_head_end(buf: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while let Some(pos) = memchr::memchr(b'\n', &buf[i..]) {
        let nl = i + pos;
        match buf.get(nl + 1) {
            Some(b'\n') => return Some((nl + 1, 1)),
            Some(b'\r') if buf.get(nl + 2) == Some(&b'\n') => return Some((nl + 1, 2)),
            _ => {}
        }
        i = nl + 1;
    }
    None
}

fn version(input: &str) -> IResult<&str, Version> {
    if let Some(rest) = input.strip_prefix("SIP/2.0")
        && !rest.starts_with(|c: char| c.is_ascii_digit())
    {
        return Ok((rest, Version::SIP_2_0));
    }
    let num = |i| {
        map_res(
            take_while_m_n(1, 3, |c: char| c.is_ascii_digit()),
            |d: &str| d.parse::<u8>(),
        )
        .parse(i)
    };
    let (rest, _) = tag_no_case("SIP/").parse(input)?;
    let (rest, (major, minor)) = separated_pair(num, char('.'), num).parse(rest)?;
    Ok((rest, Version { major, minor }))
}

fn method_token(input: &str) -> IResult<&str, &str> {
    take_while1(|c: char| c.is_ascii() && is_token_char(c as u8)).parse(input)
}

pub(crate) fn parse(
    buf: Bytes,
    limits: &ParseLimits,
    mode: BodyMode,
) -> Result<SipMessage, ParseError> {
    if buf.len() > limits.max_message_size {
        return Err(ParseError::new(
            Element::Message,
            ParseErrorKind::TooLarge {
                limit: limits.max_message_size,
            },
            limits.max_message_size,
        ));
    }
    // RFC 3261 §7.5: ignore CRLFs before the start line.
    let start = buf
        .iter()
        .position(|&c| c != b'\r' && c != b'\n')
        .ok_or(ParseError::new(
            Element::Message,
            ParseErrorKind::Incomplete,
            0,
        ))?;
    let (head_end, term_len) = find_head_end(&buf[start..])
        .map(|(e, t)| (start + e, t))
        .ok_or(ParseError::new(
            Element::Message,
            ParseErrorKind::Incomplete,
            buf.len(),
        ))?;
    let body_start = head_end + term_len;
    let head = ByteString::try_from(buf.slice(start..head_end)).map_err(|_| {
        let valid = std::str::from_utf8(&buf[start..head_end])
            .err()
            .map_or(0, |e| e.valid_up_to());
        ParseError::new(Element::Message, ParseErrorKind::InvalidUtf8, start + valid)
    })?;
    let text: &str = &head;
    let at = |s: &str| start + (s.as_ptr() as usize - text.as_ptr() as usize);

    // Split lines with memchr; the start line first, so that its errors are reported before
    // later ones.
    let bytes = text.as_bytes();
    let mut line_start = 0usize;
    let mut next_line = || -> Option<&str> {
        if line_start > bytes.len() {
            return None;
        }
        let end =
            memchr::memchr(b'\n', &bytes[line_start..]).map_or(bytes.len(), |p| line_start + p);
        let mut line_end = end;
        if line_end > line_start && bytes[line_end - 1] == b'\r' {
            line_end -= 1;
        }
        // Splitting at ASCII bytes keeps char boundaries.
        let line = &text[line_start..line_end];
        line_start = end + 1;
        Some(line)
    };
    let start_line = next_line().unwrap_or("");
    let first = parse_start_line(&head, start_line, start, &at)?;
    let mut headers = Headers::with_capacity(16);
    // The header being read: (name, offset of its value, value) and, once a continuation line
    // is seen, its unfolded text.
    let mut pending: Option<(&str, usize, &str)> = None;
    let mut folded: Option<String> = None;
    let mut count = 0usize;

    let flush = |pending: &mut Option<(&str, usize, &str)>,
                 folded: &mut Option<String>,
                 headers: &mut Headers| {
        if let Some((name, off, value)) = pending.take() {
            let v = match folded.take() {
                Some(f) => ByteString::from(f),
                None => head.slice_ref(value),
            };
            headers.push_header(Header::parsed(
                HeaderName::from_slice_of(&head, name),
                v,
                off,
            ));
        }
    };

    while let Some(line) = next_line() {
        let lb = line.as_bytes();
        let Some(&first_byte) = lb.first() else {
            continue;
        };
        if first_byte == b' ' || first_byte == b'\t' {
            // Folded continuation: LWS = [*WSP CRLF] 1*WSP, replaced by one space.
            let Some((_, _, first)) = pending else {
                return Err(ParseError::syntax(Element::HeaderLine, at(line)));
            };
            let cont = trim_lws(line);
            let f = folded.get_or_insert_with(|| first.to_owned());
            if !cont.is_empty() {
                if !f.is_empty() {
                    f.push(' ');
                }
                f.push_str(cont);
            }
            continue;
        }
        flush(&mut pending, &mut folded, &mut headers);
        count += 1;
        if count > limits.max_headers {
            return Err(ParseError::new(
                Element::HeaderLine,
                ParseErrorKind::TooManyHeaders {
                    limit: limits.max_headers,
                },
                at(line),
            ));
        }
        // field-name = token, then optional WSP, then the colon.
        let name_len = lb.iter().take_while(|&&c| is_token_char(c)).count();
        let mut colon = name_len;
        while colon < lb.len() && (lb[colon] == b' ' || lb[colon] == b'\t') {
            colon += 1;
        }
        if colon >= lb.len() || lb[colon] != b':' {
            let element = if memchr::memchr(b':', lb).is_some() {
                Element::HeaderName
            } else {
                Element::HeaderLine
            };
            return Err(ParseError::syntax(element, at(line)));
        }
        if name_len == 0 {
            return Err(ParseError::syntax(Element::HeaderName, at(line)));
        }
        let value = trim_lws(&line[colon + 1..]);
        pending = Some((&line[..name_len], at(value), value));
    }
    flush(&mut pending, &mut folded, &mut headers);

    // Body.
    let available = buf.len() - body_start;
    let mut body_len = available;
    let mut cl_seen: Option<(&str, usize)> = None;
    for h in headers.get_all(&HeaderName::ContentLength) {
        let v = h.value().trim();
        if let Some((prev, _)) = cl_seen
            && prev != v
        {
            return Err(ParseError::new(
                Element::HeaderValue("Content-Length"),
                ParseErrorKind::DuplicateHeader("Content-Length"),
                h.offset(),
            ));
        }
        cl_seen = Some((v, h.offset()));
    }
    if let Some((v, off)) = cl_seen {
        if v.is_empty() || !v.bytes().all(|c| c.is_ascii_digit()) {
            return Err(ParseError::syntax(
                Element::HeaderValue("Content-Length"),
                off,
            ));
        }
        let declared: usize = v.parse().map_err(|_| {
            ParseError::new(
                Element::HeaderValue("Content-Length"),
                ParseErrorKind::OutOfRange,
                off,
            )
        })?;
        if declared > available || (mode == BodyMode::Framed && declared != available) {
            return Err(ParseError::new(
                Element::Body,
                ParseErrorKind::ContentLengthMismatch {
                    declared,
                    available,
                },
                body_start,
            ));
        }
        body_len = declared;
    } else if mode == BodyMode::Framed {
        return Err(ParseError::new(
            Element::HeaderValue("Content-Length"),
            ParseErrorKind::MissingHeader("Content-Length"),
            start,
        ));
    }
    let body = buf.slice(body_start..body_start + body_len);

    Ok(match first {
        StartLine::Response {
            version,
            status,
            reason,
        } => SipMessage::Response(Response {
            version,
            status,
            reason,
            headers,
            body,
        }),
        StartLine::Request {
            method,
            uri,
            version,
        } => SipMessage::Request(Request {
            method,
            uri,
            version,
            headers,
            body,
        }),
    })
}

/// A parsed start line, before the headers and body are attached.
enum StartLine {
    Request {
        method: Method,
        uri: Uri,
        version: Version,
    },
    Response {
        version: Version,
        status: StatusCode,
        reason: ByteString,
    },
}

/// Parses the start line (a slice of `head`); `at` maps a slice of `head` to its offset in the
/// message and `sl_off` is the start line's own offset.
fn parse_start_line(
    head: &ByteString,
    start_line: &str,
    sl_off: usize,
    at: &dyn Fn(&str) -> usize,
) -> Result<StartLine, ParseError> {
    if start_line
        .as_bytes()
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/"))
    {
        // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
        let (rest, version) =
            version(start_line).map_err(|_| ParseError::syntax(Element::SipVersion, sl_off))?;
        let rest = rest
            .strip_prefix(' ')
            .ok_or(ParseError::syntax(Element::StatusLine, at(rest)))?;
        let code_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let code = (code_len == 3)
            .then(|| rest[..3].parse::<u16>().ok())
            .flatten()
            .and_then(StatusCode::new)
            .ok_or(ParseError::syntax(Element::StatusCode, at(rest)))?;
        let after = &rest[code_len..];
        let reason = match after.strip_prefix(' ') {
            Some(r) => r,
            None if after.is_empty() => "",
            None => return Err(ParseError::syntax(Element::StatusLine, at(after))),
        };
        if reason.bytes().any(|c| c < 0x20 && c != b'\t' || c == 0x7f) {
            return Err(ParseError::syntax(Element::ReasonPhrase, at(reason)));
        }
        return Ok(StartLine::Response {
            version,
            status: code,
            reason: head.slice_ref(reason),
        });
    }
    // Request-Line = Method SP Request-URI SP SIP-Version
    let (rest, method) =
        method_token(start_line).map_err(|_| ParseError::syntax(Element::Method, sl_off))?;
    let rest = rest
        .strip_prefix(' ')
        .ok_or(ParseError::syntax(Element::RequestLine, at(rest)))?;
    let sp = rest
        .find(' ')
        .ok_or(ParseError::syntax(Element::RequestLine, at(rest)))?;
    let uri_str = &rest[..sp];
    if uri_str.is_empty() {
        // Two SPs in a row: the elements are separated by exactly one.
        return Err(ParseError::syntax(Element::RequestLine, at(rest)));
    }
    let uri = Uri::parse_in(head, uri_str).map_err(|e| e.shifted(at(uri_str)))?;
    let vstr = &rest[sp + 1..];
    let (tail, version) =
        version(vstr).map_err(|_| ParseError::syntax(Element::SipVersion, at(vstr)))?;
    if !tail.is_empty() {
        return Err(ParseError::syntax(Element::RequestLine, at(tail)));
    }
    Ok(StartLine::Request {
        method: Method::from_slice_of(head, method),
        uri,
        version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::{CSeq, Via};

    const INVITE: &[u8] = b"INVITE sip:bob@biloxi.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.com>\r\n\
From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:alice@pc33.atlanta.com>\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 4\r\n\
\r\n\
v=0\n";

    #[test]
    fn parses_request_zero_copy() {
        let buf = Bytes::from_static(INVITE);
        let msg = SipMessage::parse(buf.clone()).unwrap();
        let req = msg.as_request().unwrap();
        assert_eq!(req.method(), &Method::Invite);
        assert_eq!(req.headers().len(), 9);
        assert_eq!(&req.body()[..], b"v=0\n");
        // The header value points into the received buffer.
        let cid = req.headers().get(&HeaderName::CallId).unwrap();
        let p = cid.value().as_ptr() as usize;
        assert!(p >= buf.as_ptr() as usize && p < buf.as_ptr() as usize + buf.len());
        assert_eq!(&INVITE[cid.offset()..cid.offset() + 5], b"a84b4");
        let core = msg.validate().unwrap();
        assert_eq!(core.cseq, CSeq::new(314159, Method::Invite));
        assert_eq!(core.via[0].branch(), Some("z9hG4bK776asdhds"));
    }

    #[test]
    fn round_trip_is_identity_for_canonical_input() {
        let msg = SipMessage::parse(Bytes::from_static(INVITE)).unwrap();
        assert_eq!(&msg.to_bytes()[..], INVITE);
    }

    #[test]
    fn folding_and_compact_forms() {
        let raw = b"OPTIONS sip:x@y SIP/2.0\r\nv: SIP/2.0/UDP a;branch=z9hG4bK1,\r\n SIP/2.0/UDP b;branch=z9hG4bK2\r\nSubject: hello\r\n\tworld\r\nl: 0\r\n\r\n";
        let msg = SipMessage::parse(&raw[..]).unwrap();
        let vias: Vec<Via> = msg.headers().typed_all().unwrap();
        assert_eq!(vias.len(), 2);
        assert_eq!(
            msg.headers().get_str(&HeaderName::Subject),
            Some("hello world")
        );
        assert!(
            msg.to_bytes()
                .starts_with(b"OPTIONS sip:x@y SIP/2.0\r\nVia: ")
        );
    }

    #[test]
    fn response_line_variants() {
        let m = SipMessage::parse(&b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"[..]).unwrap();
        assert_eq!(m.as_response().unwrap().status(), StatusCode::OK);
        let m = SipMessage::parse(&b"SIP/2.0 100\r\n\r\n"[..]).unwrap();
        assert_eq!(m.as_response().unwrap().reason(), "");
        for bad in [
            &b"SIP/2.0 4294967301 Big\r\n\r\n"[..],
            b"SIP/2.0 099 Low\r\n\r\n",
            b"SIP/2.0 700 High\r\n\r\n",
            b"SIP/2.0  200 OK\r\n\r\n",
        ] {
            assert!(SipMessage::parse(bad).is_err());
        }
    }

    #[test]
    fn request_line_errors_have_offsets() {
        let e = SipMessage::parse(&b"INVITE  sip:a@b SIP/2.0\r\n\r\n"[..]).unwrap_err();
        assert_eq!(e.offset, 7);
        let e = SipMessage::parse(&b"INVITE sip:a@b SIP/2.0 \r\n\r\n"[..]).unwrap_err();
        assert_eq!(e.element, Element::RequestLine);
        let e =
            SipMessage::parse(&b"INVITE sip:a@b SIP/2.0\r\nBad Header\r\n\r\n"[..]).unwrap_err();
        assert_eq!((e.element, e.offset), (Element::HeaderLine, 24));
    }

    #[test]
    fn start_line_errors_come_first() {
        // The Request-Line lacks its version; the bad header line after it is not reported.
        let e = SipMessage::parse(&b"INVITE sip:a@b\r\nBad Header\r\n\r\n"[..]).unwrap_err();
        assert_eq!((e.element, e.offset), (Element::RequestLine, 7));
        let e = SipMessage::parse(&b"INVITE  sip:a@b SIP/2.0\r\n\r\n"[..]).unwrap_err();
        assert_eq!(e.element, Element::RequestLine);
        // A multi-byte character where `SIP/` would end is no panic.
        assert!(SipMessage::parse("SIP\u{e9} 200 OK\r\n\r\n".as_bytes()).is_err());
    }

    #[test]
    fn content_length_rules() {
        let short = b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 10\r\n\r\nabc";
        let e = SipMessage::parse(&short[..]).unwrap_err();
        assert!(matches!(
            e.kind,
            ParseErrorKind::ContentLengthMismatch {
                declared: 10,
                available: 3
            }
        ));
        let extra = b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 2\r\n\r\nabc";
        assert_eq!(&SipMessage::parse(&extra[..]).unwrap().body()[..], b"ab");
        let neg = b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: -2\r\n\r\n";
        assert!(SipMessage::parse(&neg[..]).is_err());
    }

    #[test]
    fn limits() {
        let mut raw = b"OPTIONS sip:a@b SIP/2.0\r\n".to_vec();
        for i in 0..300 {
            raw.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
        }
        raw.extend_from_slice(b"\r\n");
        let e = SipMessage::parse(raw.clone()).unwrap_err();
        assert!(matches!(
            e.kind,
            ParseErrorKind::TooManyHeaders { limit: 256 }
        ));
        let small = ParseLimits {
            max_message_size: 100,
            max_headers: 10,
        };
        let e = SipMessage::parse_with(raw, &small).unwrap_err();
        assert!(matches!(e.kind, ParseErrorKind::TooLarge { limit: 100 }));
    }

    #[test]
    fn non_utf8_header_rejected_with_offset() {
        let raw = b"OPTIONS sip:a@b SIP/2.0\r\nSubject: \xff\r\n\r\n";
        let e = SipMessage::parse(&raw[..]).unwrap_err();
        assert_eq!((e.kind, e.offset), (ParseErrorKind::InvalidUtf8, 34));
    }
}
