//! The auth-param list lexer shared by challenges, credentials and Authentication-Info, and the
//! canonical parameter writer.
//!
//! Grammar (RFC 7235 §2.1, RFC 3261 §25.1, tolerant of real-world variations):
//!
//! ```text
//! challenges  = challenge *( *LWS "," *LWS challenge )      ; only in list mode
//! challenge   = auth-scheme [ 1*LWS ( token68 / param-list ) ]
//! param-list  = [ auth-param ] *( *LWS "," *LWS [ auth-param ] )
//! auth-param  = token *LWS "=" *LWS ( quoted-string / bare-value )
//! bare-value  = 1*( any char but LWS, CTL, "," and DQUOTE )
//! ```
//!
//! LWS here is SP, HTAB, CR and LF (folded header lines). A bare value need not be a strict token:
//! servers send unquoted nonces with `/` or `=` in them.

use std::borrow::Cow;
use std::fmt;

use crate::error::{Element, ParseError, ParseErrorKind};
use crate::grammar::{is_token, is_token_char, quoted_string, unquote};

/// One `name=value` pair as lexed, with the byte offsets of its parts in the input.
#[derive(Debug)]
pub(super) struct RawParam<'a> {
    pub(super) name: &'a str,
    pub(super) name_at: usize,
    pub(super) value: Cow<'a, str>,
    /// The value was quoted, or is not a token and so must be quoted when printed.
    pub(super) quoted: bool,
    pub(super) value_at: usize,
}

/// What follows an auth-scheme.
#[derive(Debug)]
pub(super) enum RawBody<'a> {
    /// A token68 (`Basic dXNlcjpwYXNz`).
    Token68(&'a str),
    /// A (possibly empty) auth-param list.
    Params(Vec<RawParam<'a>>),
}

/// One challenge or credentials value as lexed.
#[derive(Debug)]
pub(super) struct RawChallenge<'a> {
    pub(super) scheme: &'a str,
    pub(super) scheme_at: usize,
    pub(super) body: RawBody<'a>,
    /// Offset just past the last byte of this challenge (for "missing parameter" errors).
    pub(super) end: usize,
}

fn is_lws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_bare_value_char(c: u8) -> bool {
    !(c.is_ascii_control() || c == b' ' || c == b',' || c == b'"')
}

fn is_token68_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
}

pub(super) fn syntax(at: usize) -> ParseError {
    ParseError::syntax(Element::Digest, at)
}

pub(super) fn incomplete(at: usize) -> ParseError {
    ParseError::new(Element::Digest, ParseErrorKind::Incomplete, at)
}

struct Lexer<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn peek_at(&self, i: usize) -> Option<u8> {
        self.s.as_bytes().get(i).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    /// Skips LWS; true when anything was skipped.
    fn skip_lws(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(is_lws) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// Skips LWS and commas (empty list elements).
    fn skip_lws_and_commas(&mut self) {
        while self.peek().is_some_and(|c| is_lws(c) || c == b',') {
            self.pos += 1;
        }
    }

    fn token(&mut self) -> Option<&'a str> {
        let start = self.pos;
        while self.peek().is_some_and(is_token_char) {
            self.pos += 1;
        }
        (self.pos > start).then(|| &self.s[start..self.pos])
    }

    /// End of the token starting at `i`, without consuming.
    fn token_end_from(&self, mut i: usize) -> usize {
        while self.peek_at(i).is_some_and(is_token_char) {
            i += 1;
        }
        i
    }

    /// First non-LWS position at or after `i`.
    fn skip_lws_from(&self, mut i: usize) -> usize {
        while self.peek_at(i).is_some_and(is_lws) {
            i += 1;
        }
        i
    }

    /// A token68 that fills the rest of the challenge: followed by LWS and then the end of
    /// input, or (in list mode) a comma.
    fn try_token68(&mut self, list: bool) -> Option<&'a str> {
        let start = self.pos;
        let mut i = start;
        while self.peek_at(i).is_some_and(is_token68_char) {
            i += 1;
        }
        if i == start {
            return None;
        }
        while self.peek_at(i) == Some(b'=') {
            i += 1;
        }
        let after = self.skip_lws_from(i);
        let ends = match self.peek_at(after) {
            None => true,
            Some(b',') => list,
            Some(_) => false,
        };
        if !ends {
            return None;
        }
        self.pos = i;
        Some(&self.s[start..i])
    }

    /// In list mode, whether the element at the current position starts a new challenge
    /// (`scheme` followed by LWS and something other than `=`, or by a comma or the end) rather
    /// than being an auth-param of the current one.
    fn starts_new_challenge(&self) -> bool {
        let end = self.token_end_from(self.pos);
        if end == self.pos {
            return false;
        }
        let next = self.skip_lws_from(end);
        self.peek_at(next) != Some(b'=')
    }

    fn param(&mut self) -> Result<RawParam<'a>, ParseError> {
        let name_at = self.pos;
        let name = self.token().ok_or_else(|| syntax(name_at))?;
        self.skip_lws();
        if self.peek() != Some(b'=') {
            return Err(if self.at_end() {
                incomplete(self.pos)
            } else {
                syntax(self.pos)
            });
        }
        self.pos += 1;
        self.skip_lws();
        let value_at = self.pos;
        match self.peek() {
            None => Err(incomplete(self.pos)),
            Some(b'"') => {
                let (q, _) = quoted_string(&self.s[self.pos..]).ok_or_else(|| syntax(value_at))?;
                self.pos += q.len();
                Ok(RawParam {
                    name,
                    name_at,
                    value: unquote(q),
                    quoted: true,
                    value_at,
                })
            }
            Some(_) => {
                while self.peek().is_some_and(is_bare_value_char) {
                    self.pos += 1;
                }
                if self.pos == value_at {
                    return Err(syntax(value_at));
                }
                let v = &self.s[value_at..self.pos];
                Ok(RawParam {
                    name,
                    name_at,
                    value: Cow::Borrowed(v),
                    quoted: !is_token(v),
                    value_at,
                })
            }
        }
    }
}

/// Lexes a bare auth-param list (the Authentication-Info value). Empty input is an empty list.
pub(super) fn parse_param_list(s: &str) -> Result<Vec<RawParam<'_>>, ParseError> {
    let mut lx = Lexer { s, pos: 0 };
    let mut out = Vec::new();
    loop {
        lx.skip_lws_and_commas();
        if lx.at_end() {
            return Ok(out);
        }
        out.push(lx.param()?);
        lx.skip_lws();
        match lx.peek() {
            None => return Ok(out),
            Some(b',') => {}
            Some(_) => return Err(syntax(lx.pos)),
        }
    }
}

/// Lexes one challenge (`list == false`, the whole input must be one) or a comma-separated list
/// of challenges (`list == true`, as HTTP allows in one WWW-Authenticate field).
pub(super) fn parse_challenges(s: &str, list: bool) -> Result<Vec<RawChallenge<'_>>, ParseError> {
    let mut lx = Lexer { s, pos: 0 };
    let mut out = Vec::new();
    if list {
        lx.skip_lws_and_commas();
    } else {
        lx.skip_lws();
    }
    while !lx.at_end() {
        let scheme_at = lx.pos;
        let scheme = lx.token().ok_or_else(|| syntax(scheme_at))?;
        let mut end = lx.pos;
        let had_lws = lx.skip_lws();
        match lx.peek() {
            None => {
                out.push(RawChallenge {
                    scheme,
                    scheme_at,
                    body: RawBody::Params(Vec::new()),
                    end,
                });
                break;
            }
            Some(b',') if list => {
                out.push(RawChallenge {
                    scheme,
                    scheme_at,
                    body: RawBody::Params(Vec::new()),
                    end,
                });
                lx.skip_lws_and_commas();
                continue;
            }
            Some(_) if !had_lws => return Err(syntax(lx.pos)),
            Some(_) => {}
        }
        if let Some(t) = lx.try_token68(list) {
            out.push(RawChallenge {
                scheme,
                scheme_at,
                body: RawBody::Token68(t),
                end: lx.pos,
            });
            lx.skip_lws_and_commas();
            continue;
        }
        let mut params = Vec::new();
        loop {
            params.push(lx.param()?);
            end = lx.pos;
            lx.skip_lws();
            match lx.peek() {
                None => break,
                Some(b',') => {}
                Some(_) => return Err(syntax(lx.pos)),
            }
            lx.skip_lws_and_commas();
            if lx.at_end() || (list && lx.starts_new_challenge()) {
                break;
            }
        }
        out.push(RawChallenge {
            scheme,
            scheme_at,
            body: RawBody::Params(params),
            end,
        });
    }
    if out.is_empty() {
        return Err(incomplete(s.len()));
    }
    Ok(out)
}

/// Writes a comma-separated parameter list in canonical form.
pub(super) struct ParamWriter<'f, 'b> {
    f: &'f mut fmt::Formatter<'b>,
    first: bool,
}

impl<'f, 'b> ParamWriter<'f, 'b> {
    /// A writer whose first parameter follows `prefix` (`"Digest "`, or `""`).
    pub(super) fn new(f: &'f mut fmt::Formatter<'b>, prefix: &str) -> Result<Self, fmt::Error> {
        f.write_str(prefix)?;
        Ok(ParamWriter { f, first: true })
    }

    fn sep(&mut self) -> fmt::Result {
        if !self.first {
            self.f.write_str(", ")?;
        }
        self.first = false;
        Ok(())
    }

    /// `name="value"`, escaping `"` and `\`. CR and LF are dropped so that a value can never
    /// break the header line (parsed values never contain them).
    pub(super) fn quoted(&mut self, name: &str, value: &str) -> fmt::Result {
        self.sep()?;
        self.f.write_str(name)?;
        self.f.write_str("=\"")?;
        let mut rest = value;
        while let Some(i) = rest.find(['"', '\\', '\r', '\n']) {
            self.f.write_str(&rest[..i])?;
            match rest.as_bytes()[i] {
                b'"' => self.f.write_str("\\\"")?,
                b'\\' => self.f.write_str("\\\\")?,
                _ => {}
            }
            rest = &rest[i + 1..];
        }
        self.f.write_str(rest)?;
        self.f.write_str("\"")
    }

    /// `name=value` when the value is a token, `name="value"` otherwise.
    pub(super) fn token_or_quoted(&mut self, name: &str, value: &str) -> fmt::Result {
        if is_token(value) {
            self.sep()?;
            self.f.write_str(name)?;
            self.f.write_str("=")?;
            self.f.write_str(value)
        } else {
            self.quoted(name, value)
        }
    }

    /// `name=value` written as given (the caller guarantees a safe value).
    pub(super) fn raw(&mut self, name: &str, value: fmt::Arguments<'_>) -> fmt::Result {
        self.sep()?;
        self.f.write_str(name)?;
        self.f.write_str("=")?;
        self.f.write_fmt(value)
    }

    /// An extension parameter, quoted when it was quoted or must be.
    pub(super) fn param(&mut self, name: &str, value: &str, quoted: bool) -> fmt::Result {
        if quoted {
            self.quoted(name, value)
        } else {
            self.token_or_quoted(name, value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(body: &RawBody<'_>) -> Vec<(String, String, bool)> {
        match body {
            RawBody::Params(p) => p
                .iter()
                .map(|p| (p.name.to_owned(), p.value.to_string(), p.quoted))
                .collect(),
            RawBody::Token68(t) => vec![("#t68".into(), (*t).to_owned(), false)],
        }
    }

    #[test]
    fn lexes_params_with_offsets() {
        let s = r#"Digest realm = "a,b" ,, nonce=abc/def== , x="q\"z""#;
        let v = parse_challenges(s, false).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].scheme, "Digest");
        let RawBody::Params(p) = &v[0].body else {
            panic!()
        };
        assert_eq!(p[0].name_at, 7);
        assert_eq!(p[0].value_at, 15);
        assert_eq!(
            names(&v[0].body),
            vec![
                ("realm".into(), "a,b".into(), true),
                ("nonce".into(), "abc/def==".into(), true),
                ("x".into(), "q\"z".into(), true),
            ]
        );
    }

    #[test]
    fn token68_and_lists() {
        let v = parse_challenges("Basic dXNlcjpw==", false).unwrap();
        assert_eq!(names(&v[0].body)[0].1, "dXNlcjpw==");
        let v = parse_challenges(
            r#"Newauth realm="apps", type=1, title="Login", Basic realm="simple", Negotiate, Bearer abc=="#,
            true,
        )
        .unwrap();
        let schemes: Vec<_> = v.iter().map(|c| c.scheme).collect();
        assert_eq!(schemes, ["Newauth", "Basic", "Negotiate", "Bearer"]);
        assert_eq!(names(&v[0].body).len(), 3);
        assert_eq!(names(&v[3].body)[0].1, "abc==");
        // Not a list in single mode.
        assert!(parse_challenges(r#"Basic realm="a", Digest realm="b""#, false).is_err());
    }

    #[test]
    fn errors_carry_offsets() {
        assert_eq!(parse_challenges("", false).unwrap_err().offset, 0);
        assert_eq!(parse_param_list("realm").unwrap_err().offset, 5);
        assert_eq!(
            parse_challenges("Digest a=1, realm", false)
                .unwrap_err()
                .offset,
            17
        );
        assert_eq!(
            parse_challenges("Digest realm=\"x", false)
                .unwrap_err()
                .offset,
            13
        );
        assert_eq!(
            parse_challenges("Digest a=b c=d", false)
                .unwrap_err()
                .offset,
            11
        );
        assert_eq!(parse_challenges("Digest,a=b", false).unwrap_err().offset, 6);
        assert_eq!(
            parse_challenges("Digest x=1, a=", false)
                .unwrap_err()
                .offset,
            14
        );
        assert_eq!(parse_param_list("a=1, =2").unwrap_err().offset, 5);
        assert_eq!(parse_param_list(" , ").unwrap().len(), 0);
    }
}
