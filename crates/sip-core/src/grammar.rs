//! Shared lexical rules of RFC 3261 §25.1 (tokens, quoted strings, separators, escapes), used by
//! the URI, header, SDP and digest parsers.

use std::borrow::Cow;

use nom::{IResult, Parser, bytes::complete::take_while1};

/// `token` characters: alphanum and `-.!%*_+`'~`.
pub(crate) fn is_token_char(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
        )
}

/// `unreserved` = alphanum / mark.
pub(crate) fn is_unreserved(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
        )
}

/// Trims SP/HTAB (and stray CR/LF left by folding) from both ends.
pub(crate) fn trim_lws(s: &str) -> &str {
    s.trim_matches(|c| c == ' ' || c == '\t' || c == '\r' || c == '\n')
}

/// Parses one `token`.
pub(crate) fn token(input: &str) -> IResult<&str, &str> {
    take_while1(|c: char| c.is_ascii() && is_token_char(c as u8)).parse(input)
}

/// True when the whole string is a non-empty token.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_char)
}

/// Parses a `quoted-string` starting at the opening `"`, returning the whole quoted text
/// (quotes included) and the rest. Backslash escapes any character but CR and LF.
pub(crate) fn quoted_string(input: &str) -> Option<(&str, &str)> {
    let bytes = input.as_bytes();
    if bytes.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return Some((&input[..=i], &input[i + 1..])),
            b'\\' => {
                if i + 1 >= bytes.len() || matches!(bytes[i + 1], b'\r' | b'\n') {
                    return None;
                }
                i += 2;
            }
            b'\r' | b'\n' => return None,
            _ => i += 1,
        }
    }
    None
}

/// Removes the quotes and backslash escapes of a quoted-string; returns other text unchanged.
pub fn unquote(s: &str) -> Cow<'_, str> {
    let Some(inner) = s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return Cow::Borrowed(s);
    };
    if !inner.contains('\\') {
        return Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Writes `s` as a quoted-string, escaping `"` and `\`.
pub fn write_quoted(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// Splits `s` at top-level occurrences of `sep`: not inside a quoted-string and not inside
/// `<...>`. Yields `(offset, piece)` with the piece's LWS trimmed; the offset is the piece's start
/// within `s`. Empty pieces are yielded as empty strings (callers decide whether that is an
/// error; RFC 7230-style `#rule` lists tolerate them).
pub(crate) fn split_top_level(s: &str, sep: u8) -> TopLevelSplit<'_> {
    TopLevelSplit {
        s,
        pos: 0,
        done: false,
        sep,
    }
}

/// Iterator of [`split_top_level`].
pub(crate) struct TopLevelSplit<'a> {
    s: &'a str,
    pos: usize,
    done: bool,
    sep: u8,
}

impl<'a> Iterator for TopLevelSplit<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let bytes = self.s.as_bytes();
        let start = self.pos;
        let mut i = start;
        let mut in_quote = false;
        let mut in_angle = false;
        while i < bytes.len() {
            let c = bytes[i];
            if in_quote {
                if c == b'\\' {
                    i += 2;
                    continue;
                }
                if c == b'"' {
                    in_quote = false;
                }
            } else if c == b'"' {
                in_quote = true;
            } else if c == b'<' {
                in_angle = true;
            } else if c == b'>' {
                in_angle = false;
            } else if c == self.sep && !in_angle {
                break;
            }
            i += 1;
        }
        let end = i.min(bytes.len());
        if end >= bytes.len() {
            self.done = true;
        } else {
            self.pos = end + 1;
        }
        let raw = &self.s[start..end];
        let lead = raw.len() - raw.trim_start_matches([' ', '\t', '\r', '\n']).len();
        Some((start + lead, trim_lws(raw)))
    }
}

/// Decodes `%HH` escapes. Returns `None` when an escape is malformed.
pub fn percent_decode(s: &str) -> Option<Cow<'_, str>> {
    if !s.contains('%') {
        return Some(Cow::Borrowed(s));
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hi = (hex[0] as char).to_digit(16)?;
            let lo = (hex[1] as char).to_digit(16)?;
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    })
}

/// Percent-encodes every byte of `s` for which `keep` is false.
pub fn percent_encode(out: &mut String, s: &str, keep: impl Fn(u8) -> bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        if keep(b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
}

/// True when every `%` in `s` starts a valid `%HH` escape.
pub(crate) fn escapes_valid(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            match b.get(i + 1..i + 3) {
                Some(h) if h[0].is_ascii_hexdigit() && h[1].is_ascii_hexdigit() => i += 3,
                _ => return false,
            }
        } else {
            i += 1;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_stops_at_separator() {
        assert_eq!(token("abc-1.x;y"), Ok((";y", "abc-1.x")));
        assert!(token(";x").is_err());
    }

    #[test]
    fn quoted_string_with_escapes() {
        let (q, rest) = quoted_string(r#""a \"b\" c" <x>"#).unwrap();
        assert_eq!(q, r#""a \"b\" c""#);
        assert_eq!(rest, " <x>");
        assert_eq!(unquote(q), r#"a "b" c"#);
        assert!(quoted_string("\"open").is_none());
    }

    #[test]
    fn write_quoted_round_trips() {
        let mut s = String::new();
        write_quoted(&mut s, r#"a"b\c"#);
        assert_eq!(unquote(&s), r#"a"b\c"#);
    }

    #[test]
    fn split_respects_quotes_and_angles() {
        let parts: Vec<_> = split_top_level(r#""a,b" <sip:x,y>;p=1 , <sip:z>"#, b',').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].1, r#""a,b" <sip:x,y>;p=1"#);
        assert_eq!(parts[1].1, "<sip:z>");
        assert_eq!(&r#""a,b" <sip:x,y>;p=1 , <sip:z>"#[parts[1].0..], "<sip:z>");
    }

    #[test]
    fn percent_round_trip() {
        assert_eq!(percent_decode("a%20b").unwrap(), "a b");
        assert!(percent_decode("a%2").is_none());
        assert!(percent_decode("a%zz").is_none());
        let mut s = String::new();
        percent_encode(&mut s, "a b", is_unreserved);
        assert_eq!(s, "a%20b");
        assert!(escapes_valid("a%20b"));
        assert!(!escapes_valid("a%2"));
    }
}
