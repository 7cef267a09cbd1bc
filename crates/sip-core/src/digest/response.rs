//! Credentials sent by the client (Authorization / Proxy-Authorization) and the server's
//! Authentication-Info.

use std::fmt;
use std::str::FromStr;

use crate::error::ParseError;
use crate::grammar::percent_encode;

use super::challenge::{AuthParam, DEFAULT_ALGORITHM, check_duplicate, flag};
use super::params::{ParamWriter, RawBody, incomplete, parse_challenges, parse_param_list, syntax};
use super::{Algorithm, Qop};

/// How the `username` of a [`DigestResponse`] travels (RFC 7616 §3.4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum UsernameEncoding {
    /// `username="…"`, the name itself in a quoted-string.
    #[default]
    Plain,
    /// `username*=UTF-8''…` (RFC 5987 extended notation), for names a quoted-string cannot
    /// carry. [`DigestResponse::username`] holds the decoded name.
    Extended,
    /// `username="<hex>", userhash=true`: [`DigestResponse::username`] holds
    /// `H(username ":" realm)`.
    Hashed,
}

/// A digest Authorization or Proxy-Authorization value (RFC 7616 §3.4, RFC 2617 §3.2.2).
///
/// `Display` prints `Digest username="…", realm="…", uri="…", algorithm=…, nonce="…",
/// nc=…, cnonce="…", qop=…, response="…", opaque="…", userhash=true, <extensions>`, omitting
/// absent parameters; it re-parses to an equal value. Build one with
/// [`DigestResponse::compute`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DigestResponse {
    /// The username, its decoded `username*`, or its hash; see [`username_encoding`].
    ///
    /// [`username_encoding`]: DigestResponse::username_encoding
    pub username: String,
    /// How `username` is sent.
    pub username_encoding: UsernameEncoding,
    /// The realm of the challenge.
    pub realm: String,
    /// The nonce of the challenge.
    pub nonce: String,
    /// The digest-uri (`uri`): the Request-URI (SIP) or request-target (HTTP).
    pub uri: String,
    /// The request digest, lowercase hex when computed here.
    pub response: String,
    /// The algorithm as written; `None` means MD5.
    pub algorithm: Option<Algorithm>,
    /// The client nonce (`cnonce`), present with a qop or a `-sess` algorithm.
    pub cnonce: Option<String>,
    /// The challenge's `opaque`, echoed.
    pub opaque: Option<String>,
    /// The chosen quality of protection; `None` for RFC 2069 compatibility.
    pub qop: Option<Qop>,
    /// The nonce count (`nc`, printed as 8 lowercase hex digits), present with a qop.
    pub nc: Option<u32>,
    /// Extension parameters, in order.
    pub params: Vec<AuthParam>,
}

/// Characters of RFC 5987 `attr-char` (kept as is in `username*`).
fn is_attr_char(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
        )
}

/// Decodes an RFC 5987 ext-value (`charset'lang'pct-encoded`); UTF-8 and ISO-8859-1 only.
fn decode_ext_value(v: &str) -> Option<String> {
    let mut parts = v.splitn(3, '\'');
    let charset = parts.next()?;
    let _language = parts.next()?;
    let encoded = parts.next()?;
    let b = encoded.as_bytes();
    let mut bytes = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b.get(i + 1..i + 3)?;
            let hi = (hex[0] as char).to_digit(16)?;
            let lo = (hex[1] as char).to_digit(16)?;
            bytes.push((hi * 16 + lo) as u8);
            i += 3;
        } else if is_attr_char(b[i]) {
            bytes.push(b[i]);
            i += 1;
        } else {
            return None;
        }
    }
    if charset.eq_ignore_ascii_case("UTF-8") {
        String::from_utf8(bytes).ok()
    } else if charset.eq_ignore_ascii_case("ISO-8859-1") {
        Some(bytes.into_iter().map(char::from).collect())
    } else {
        None
    }
}

/// Parses an `nc` value: exactly 8 hex digits.
fn parse_nc(v: &str, at: usize) -> Result<u32, ParseError> {
    if v.len() != 8 || !v.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(syntax(at));
    }
    u32::from_str_radix(v, 16).map_err(|_| syntax(at))
}

/// True when a quoted-string cannot carry `s` (control characters other than HTAB).
pub(super) fn needs_extended(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && c != '\t')
}

impl DigestResponse {
    /// Parses a `Digest …` credentials value. `username` (or `username*`), `realm`, `nonce`,
    /// `uri` and `response` are required; `nc` must be 8 hex digits. Errors carry byte offsets
    /// into `s`.
    pub fn parse(s: &str) -> Result<DigestResponse, ParseError> {
        let raw = parse_challenges(s, false)?;
        let Some(r) = raw.into_iter().next() else {
            return Err(incomplete(s.len()));
        };
        if !r.scheme.eq_ignore_ascii_case("Digest") {
            return Err(syntax(r.scheme_at));
        }
        let RawBody::Params(params) = r.body else {
            return Err(syntax(r.scheme_at + r.scheme.len() + 1));
        };
        let mut d = DigestResponse {
            username: String::new(),
            username_encoding: UsernameEncoding::Plain,
            realm: String::new(),
            nonce: String::new(),
            uri: String::new(),
            response: String::new(),
            algorithm: None,
            cnonce: None,
            opaque: None,
            qop: None,
            nc: None,
            params: Vec::new(),
        };
        let mut seen = Vec::new();
        let mut userhash: Option<usize> = None;
        for p in &params {
            let v = &*p.value;
            let known = |name: &str| p.name.eq_ignore_ascii_case(name);
            let at = p.name_at;
            if known("username") {
                check_duplicate(&mut seen, "username", at)?;
                if seen.contains(&"username*") {
                    return Err(syntax(at));
                }
                d.username = v.to_owned();
            } else if known("username*") {
                check_duplicate(&mut seen, "username*", at)?;
                if seen.contains(&"username") {
                    return Err(syntax(at));
                }
                d.username = decode_ext_value(v).ok_or_else(|| syntax(p.value_at))?;
                d.username_encoding = UsernameEncoding::Extended;
            } else if known("realm") {
                check_duplicate(&mut seen, "realm", at)?;
                d.realm = v.to_owned();
            } else if known("nonce") {
                check_duplicate(&mut seen, "nonce", at)?;
                d.nonce = v.to_owned();
            } else if known("uri") {
                check_duplicate(&mut seen, "uri", at)?;
                d.uri = v.to_owned();
            } else if known("response") {
                check_duplicate(&mut seen, "response", at)?;
                d.response = v.to_owned();
            } else if known("algorithm") {
                check_duplicate(&mut seen, "algorithm", at)?;
                d.algorithm = Some(Algorithm::parse(v));
            } else if known("cnonce") {
                check_duplicate(&mut seen, "cnonce", at)?;
                d.cnonce = Some(v.to_owned());
            } else if known("opaque") {
                check_duplicate(&mut seen, "opaque", at)?;
                d.opaque = Some(v.to_owned());
            } else if known("qop") {
                check_duplicate(&mut seen, "qop", at)?;
                d.qop = Some(Qop::parse(v));
            } else if known("nc") {
                check_duplicate(&mut seen, "nc", at)?;
                d.nc = Some(parse_nc(v, p.value_at)?);
            } else if known("userhash") {
                check_duplicate(&mut seen, "userhash", at)?;
                if flag(v) {
                    userhash = Some(at);
                }
            } else {
                d.params.push(AuthParam::from_raw(p));
            }
        }
        for required in ["realm", "nonce", "uri", "response"] {
            if !seen.contains(&required) {
                return Err(incomplete(r.end));
            }
        }
        if !seen.contains(&"username") && !seen.contains(&"username*") {
            return Err(incomplete(r.end));
        }
        if let Some(at) = userhash {
            // RFC 7616 §3.4.4: a hashed username is never sent as username*.
            if d.username_encoding == UsernameEncoding::Extended {
                return Err(syntax(at));
            }
            d.username_encoding = UsernameEncoding::Hashed;
        }
        Ok(d)
    }

    /// The algorithm in force: the one named, or MD5.
    pub fn algorithm(&self) -> &Algorithm {
        self.algorithm.as_ref().unwrap_or(&DEFAULT_ALGORITHM)
    }

    /// The `nc` value as sent (8 lowercase hex digits).
    pub fn nc_string(&self) -> Option<String> {
        self.nc.map(|n| format!("{n:08x}"))
    }

    /// The value of an extension parameter (case-insensitive name).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.value.as_str())
    }
}

impl fmt::Display for DigestResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = ParamWriter::new(f, "Digest ")?;
        if self.username_encoding == UsernameEncoding::Extended {
            let mut enc = String::from("UTF-8''");
            percent_encode(&mut enc, &self.username, is_attr_char);
            w.raw("username*", format_args!("{enc}"))?;
        } else {
            w.quoted("username", &self.username)?;
        }
        w.quoted("realm", &self.realm)?;
        w.quoted("uri", &self.uri)?;
        if let Some(a) = &self.algorithm {
            w.token_or_quoted("algorithm", a.as_str())?;
        }
        w.quoted("nonce", &self.nonce)?;
        if let Some(nc) = self.nc {
            w.raw("nc", format_args!("{nc:08x}"))?;
        }
        if let Some(c) = &self.cnonce {
            w.quoted("cnonce", c)?;
        }
        if let Some(q) = &self.qop {
            w.token_or_quoted("qop", q.as_str())?;
        }
        w.quoted("response", &self.response)?;
        if let Some(o) = &self.opaque {
            w.quoted("opaque", o)?;
        }
        if self.username_encoding == UsernameEncoding::Hashed {
            w.raw("userhash", format_args!("true"))?;
        }
        for p in &self.params {
            w.param(&p.name, &p.value, p.quoted)?;
        }
        Ok(())
    }
}

impl FromStr for DigestResponse {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DigestResponse::parse(s)
    }
}

/// An Authentication-Info (or Proxy-Authentication-Info) value (RFC 7615, RFC 2617 §3.2.3).
///
/// `Display` prints `nextnonce="…", qop=…, rspauth="…", cnonce="…", nc=…, <extensions>`; it
/// re-parses to an equal value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthenticationInfo {
    /// The nonce to use for the next request (`nextnonce`).
    pub nextnonce: Option<String>,
    /// The qop of the request being answered.
    pub qop: Option<Qop>,
    /// The response digest proving that the server knows the password (`rspauth`).
    pub rspauth: Option<String>,
    /// The `cnonce` of the request, echoed.
    pub cnonce: Option<String>,
    /// The `nc` of the request, echoed.
    pub nc: Option<u32>,
    /// Extension parameters, in order.
    pub params: Vec<AuthParam>,
}

impl AuthenticationInfo {
    /// Parses an Authentication-Info value (a bare parameter list; empty is allowed).
    pub fn parse(s: &str) -> Result<AuthenticationInfo, ParseError> {
        let mut a = AuthenticationInfo::default();
        let mut seen = Vec::new();
        for p in parse_param_list(s)? {
            let v = &*p.value;
            let known = |name: &str| p.name.eq_ignore_ascii_case(name);
            let at = p.name_at;
            if known("nextnonce") {
                check_duplicate(&mut seen, "nextnonce", at)?;
                a.nextnonce = Some(v.to_owned());
            } else if known("qop") {
                check_duplicate(&mut seen, "qop", at)?;
                a.qop = Some(Qop::parse(v));
            } else if known("rspauth") {
                check_duplicate(&mut seen, "rspauth", at)?;
                a.rspauth = Some(v.to_owned());
            } else if known("cnonce") {
                check_duplicate(&mut seen, "cnonce", at)?;
                a.cnonce = Some(v.to_owned());
            } else if known("nc") {
                check_duplicate(&mut seen, "nc", at)?;
                a.nc = Some(parse_nc(v, p.value_at)?);
            } else {
                a.params.push(AuthParam::from_raw(&p));
            }
        }
        Ok(a)
    }
}

impl fmt::Display for AuthenticationInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = ParamWriter::new(f, "")?;
        if let Some(n) = &self.nextnonce {
            w.quoted("nextnonce", n)?;
        }
        if let Some(q) = &self.qop {
            w.token_or_quoted("qop", q.as_str())?;
        }
        if let Some(r) = &self.rspauth {
            w.quoted("rspauth", r)?;
        }
        if let Some(c) = &self.cnonce {
            w.quoted("cnonce", c)?;
        }
        if let Some(nc) = self.nc {
            w.raw("nc", format_args!("{nc:08x}"))?;
        }
        for p in &self.params {
            w.param(&p.name, &p.value, p.quoted)?;
        }
        Ok(())
    }
}

impl FromStr for AuthenticationInfo {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AuthenticationInfo::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ext_values() {
        assert_eq!(decode_ext_value("UTF-8''a%20b").as_deref(), Some("a b"));
        assert_eq!(decode_ext_value("utf-8'en'%C3%A4").as_deref(), Some("ä"));
        assert_eq!(decode_ext_value("ISO-8859-1''%E4").as_deref(), Some("ä"));
        assert_eq!(decode_ext_value("UTF-8''%E4"), None);
        assert_eq!(decode_ext_value("UTF-8''a b"), None);
        assert_eq!(decode_ext_value("UTF-8'a"), None);
        assert_eq!(decode_ext_value("UTF-8''%4"), None);
        assert_eq!(decode_ext_value("KOI8-R''a"), None);
    }

    #[test]
    fn nc_and_username_rules() {
        assert_eq!(parse_nc("0000000a", 3), Ok(10));
        assert_eq!(parse_nc("FFFFFFFF", 3), Ok(u32::MAX));
        assert_eq!(parse_nc("+0000001", 3).unwrap_err().offset, 3);
        assert_eq!(parse_nc("1", 3).unwrap_err().offset, 3);
        assert!(!needs_extended("Jäsøn Doe\t"));
        assert!(needs_extended("a\u{1}b"));
        assert!(needs_extended("a\u{7f}"));
    }
}
