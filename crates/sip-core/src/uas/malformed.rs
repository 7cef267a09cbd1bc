//! 400 (505, 513) for requests that failed to parse or validate (RFC 3261 §8.2, §16.3 style
//! salvage of the lines a response needs).

use bytestring::ByteString;

use crate::error::ParseError;
use crate::grammar::is_token_char;
use crate::header::{HeaderName, ToHeader, TypedHeader};
use crate::message::{ParseLimits, Response, StatusCode};

/// Builds the error response to a request that failed [`SipMessage::parse`] or
/// [`SipMessage::validate`] with `error`: status [`ParseError::status_code`] (400, 505 for a
/// SIP version other than 2.0, 513 for an oversized message) and reason
/// [`ParseError::reason_phrase`], which names the faulty element.
///
/// The Via, From, To, Call-ID and CSeq lines are recovered from `raw` and copied as written
/// (folded lines unfolded), so a fault elsewhere (a bad Content-Length, Contact, Request-URI or
/// version) still gets an answer the client can match. When the To header parses and has no
/// tag, `tag` supplies one. Only the first [`ParseLimits::default`] `max_message_size` bytes
/// and `max_headers` lines are looked at.
///
/// Returns `None` when no response can be formed: `raw` is a response (never answered), an
/// ACK (never answered), not a request line at all, or lacks one of the five lines.
///
/// [`SipMessage::parse`]: crate::message::SipMessage::parse
/// [`SipMessage::validate`]: crate::message::SipMessage::validate
pub fn reject_malformed(
    raw: &[u8],
    error: &ParseError,
    tag: impl FnOnce() -> String,
) -> Option<Response> {
    let limits = ParseLimits::default();
    let raw = &raw[..raw.len().min(limits.max_message_size)];
    let start = raw.iter().position(|&c| c != b'\r' && c != b'\n')?;
    let raw = &raw[start..];
    let head_end = head_end(raw);
    let mut lines = raw[..head_end].split(|&c| c == b'\n').map(|l| match l {
        [rest @ .., b'\r'] => rest,
        l => l,
    });
    if !is_request_line(lines.next()?) {
        return None;
    }

    // The wanted lines in message order: Via (all of them) and the first From, To, Call-ID
    // and CSeq. `current` is the index in `kept` of the line a continuation would extend.
    let mut kept: Vec<(HeaderName, String)> = Vec::with_capacity(8);
    let mut seen = [false; 4];
    let mut current: Option<usize> = None;
    for line in lines.take(limits.max_headers) {
        if let [b' ' | b'\t', ..] = line {
            if let Some(i) = current {
                let Some(cont) = clean_value(line) else {
                    kept.remove(i);
                    current = None;
                    continue;
                };
                if !cont.is_empty() {
                    kept[i].1.push(' ');
                    kept[i].1.push_str(cont);
                }
            }
            continue;
        }
        current = None;
        let name_len = line.iter().take_while(|&&c| is_token_char(c)).count();
        let mut colon = name_len;
        while matches!(line.get(colon), Some(b' ' | b'\t')) {
            colon += 1;
        }
        if name_len == 0 || line.get(colon) != Some(&b':') {
            continue;
        }
        let Ok(name) = std::str::from_utf8(&line[..name_len]) else {
            continue;
        };
        let name = HeaderName::new(name);
        let slot = match name {
            HeaderName::Via => None,
            HeaderName::From => Some(0),
            HeaderName::To => Some(1),
            HeaderName::CallId => Some(2),
            HeaderName::CSeq => Some(3),
            _ => continue,
        };
        if slot.is_some_and(|s| seen[s]) {
            continue;
        }
        let Some(value) = clean_value(&line[colon + 1..]) else {
            continue;
        };
        if let Some(s) = slot {
            seen[s] = true;
        }
        current = Some(kept.len());
        kept.push((name, value.to_owned()));
    }
    kept.retain(|(_, v)| !v.is_empty());
    let has = |n: &HeaderName| kept.iter().any(|(k, _)| k == n);
    if ![
        HeaderName::Via,
        HeaderName::From,
        HeaderName::To,
        HeaderName::CallId,
        HeaderName::CSeq,
    ]
    .iter()
    .all(has)
    {
        return None;
    }

    let status = StatusCode::new(error.status_code())?;
    let reason: String = error
        .reason_phrase()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut builder = Response::builder(status).reason(reason);
    let mut tag = Some(tag);
    for (name, mut value) in kept {
        if name == HeaderName::To && status != StatusCode::TRYING {
            let untagged = ToHeader::parse_value(&ByteString::from(value.as_str()))
                .is_ok_and(|to| to.tag().is_none());
            if untagged && let Some(tag) = tag.take() {
                value.push_str(";tag=");
                value.push_str(&tag());
            }
        }
        builder = builder.header(name, value);
    }
    Some(builder.build())
}

/// The length of the header section: up to the empty line (CRLF or bare LF), or all of `raw`.
fn head_end(raw: &[u8]) -> usize {
    let mut i = 0;
    while let Some(pos) = memchr::memchr(b'\n', &raw[i..]) {
        let nl = i + pos;
        match raw.get(nl + 1..) {
            Some([b'\n', ..] | [b'\r', b'\n', ..]) => return nl + 1,
            _ => i = nl + 1,
        }
    }
    raw.len()
}

/// True for `Method SP … SP SIP/…`: a method token (not ACK) and a version-looking last word.
/// Responses (`SIP/2.0 200 OK`) and garbage are false.
fn is_request_line(line: &[u8]) -> bool {
    if line.len() >= 4 && line[..4].eq_ignore_ascii_case(b"SIP/") {
        return false;
    }
    let method_len = line.iter().take_while(|&&c| is_token_char(c)).count();
    if method_len == 0 || line.get(method_len) != Some(&b' ') || &line[..method_len] == b"ACK" {
        return false;
    }
    let rest = &line[method_len + 1..];
    let Some(sp) = rest.iter().rposition(|&c| c == b' ') else {
        return false;
    };
    let version = &rest[sp + 1..];
    sp > 0 && version.len() >= 4 && version[..4].eq_ignore_ascii_case(b"SIP/")
}

/// The value trimmed of linear white space; `None` when it is not UTF-8 or holds control
/// characters other than HTAB (it could not be copied into a response safely).
fn clean_value(value: &[u8]) -> Option<&str> {
    let value = std::str::from_utf8(value).ok()?;
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return None;
    }
    Some(value.trim_matches([' ', '\t']))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Element, ParseErrorKind};

    fn syntax() -> ParseError {
        ParseError::syntax(Element::HeaderValue("Contact"), 10)
    }

    #[test]
    fn request_lines_are_told_from_status_lines_and_garbage() {
        assert!(is_request_line(b"INVITE sip:bob@example.com SIP/2.0"));
        assert!(is_request_line(b"INVITE sip:bob@example.com SIP/3.0"));
        assert!(is_request_line(b"INVITE <bad uri> SIP/2.0"));
        assert!(!is_request_line(b"ACK sip:bob@example.com SIP/2.0"));
        assert!(!is_request_line(b"SIP/2.0 200 OK"));
        assert!(!is_request_line(b"hello world"));
        assert!(!is_request_line(b"INVITE SIP/2.0"));
        assert!(!is_request_line(b""));
    }

    #[test]
    fn folded_lines_are_unfolded_and_compact_names_recognised() {
        let raw = b"OPTIONS sip:x@example.com SIP/2.0\r\n\
v: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n\
f: <sip:a@example.com>\r\n  ;tag=abc\r\n\
t: <sip:x@example.com>;tag=xyz\r\n\
i: 1@h\r\n\
CSeq: 1 OPTIONS\r\n\r\n";
        let resp = reject_malformed(raw, &syntax(), || unreachable!("has a To tag")).unwrap();
        assert_eq!(
            resp.headers().get_str(&HeaderName::From),
            Some("<sip:a@example.com> ;tag=abc")
        );
        assert_eq!(resp.headers().get_str(&HeaderName::CallId), Some("1@h"));
    }

    #[test]
    fn control_characters_in_a_needed_line_prevent_a_response() {
        let raw = b"OPTIONS sip:x@example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n\
From: <sip:a@example.com>;tag=a\x00b\r\n\
To: <sip:x@example.com>\r\n\
Call-ID: 1@h\r\n\
CSeq: 1 OPTIONS\r\n\r\n";
        assert!(reject_malformed(raw, &syntax(), || "t".into()).is_none());
    }

    #[test]
    fn oversized_requests_get_513() {
        let err = ParseError::new(Element::Message, ParseErrorKind::TooLarge { limit: 10 }, 10);
        let raw = b"MESSAGE sip:x@example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n\
From: <sip:a@example.com>;tag=a\r\n\
To: <sip:x@example.com>\r\n\
Call-ID: 1@h\r\n\
CSeq: 1 MESSAGE\r\n\r\n";
        let resp = reject_malformed(raw, &err, || "t1".into()).unwrap();
        assert_eq!(resp.status().code(), 513);
        assert_eq!(
            resp.headers().get_str(&HeaderName::To),
            Some("<sip:x@example.com>;tag=t1")
        );
    }
}
