//! Challenges: WWW-Authenticate and Proxy-Authenticate values.

use std::fmt;
use std::str::FromStr;

use crate::error::ParseError;

use super::params::{ParamWriter, RawBody, RawParam, incomplete, parse_challenges, syntax};

/// A digest algorithm (RFC 7616 §3.3, RFC 8760 §2). Parsed case-insensitively. The default is
/// MD5, the algorithm assumed when none is named.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Algorithm {
    /// `MD5`, the RFC 2617 default (still required for compatibility, RFC 8760 §2.4).
    #[default]
    Md5,
    /// `MD5-sess`.
    Md5Sess,
    /// `SHA-256`.
    Sha256,
    /// `SHA-256-sess`.
    Sha256Sess,
    /// `SHA-512-256`.
    Sha512_256,
    /// `SHA-512-256-sess`.
    Sha512_256Sess,
    /// An algorithm this implementation does not know, as written (e.g. `AKAv1-MD5`). A
    /// challenge with one parses, but cannot be answered.
    Other(String),
}

/// The algorithm assumed when a challenge or response names none.
pub(super) static DEFAULT_ALGORITHM: Algorithm = Algorithm::Md5;

impl Algorithm {
    /// Parses an algorithm name, case-insensitively. Unknown names become [`Algorithm::Other`].
    pub fn parse(s: &str) -> Algorithm {
        const KNOWN: [(&str, Algorithm); 6] = [
            ("MD5", Algorithm::Md5),
            ("MD5-sess", Algorithm::Md5Sess),
            ("SHA-256", Algorithm::Sha256),
            ("SHA-256-sess", Algorithm::Sha256Sess),
            ("SHA-512-256", Algorithm::Sha512_256),
            ("SHA-512-256-sess", Algorithm::Sha512_256Sess),
        ];
        KNOWN
            .into_iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s))
            .map_or_else(|| Algorithm::Other(s.to_owned()), |(_, a)| a)
    }

    /// The canonical name (`MD5`, `SHA-256-sess`, …), or the text of an unknown algorithm.
    pub fn as_str(&self) -> &str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
            Algorithm::Sha512_256 => "SHA-512-256",
            Algorithm::Sha512_256Sess => "SHA-512-256-sess",
            Algorithm::Other(s) => s,
        }
    }

    /// True for the `-sess` variants, whose HA1 includes the nonce and cnonce.
    pub fn is_session(&self) -> bool {
        matches!(
            self,
            Algorithm::Md5Sess | Algorithm::Sha256Sess | Algorithm::Sha512_256Sess
        )
    }

    /// True when this implementation can compute it.
    pub fn is_supported(&self) -> bool {
        !matches!(self, Algorithm::Other(_))
    }

    /// Preference rank used to choose among challenges (RFC 8760 §2.4): SHA-512-256 (3) >
    /// SHA-256 (2) > MD5 (1); unsupported algorithms rank 0. `-sess` variants rank like their
    /// base hash.
    pub fn strength(&self) -> u8 {
        match self {
            Algorithm::Sha512_256 | Algorithm::Sha512_256Sess => 3,
            Algorithm::Sha256 | Algorithm::Sha256Sess => 2,
            Algorithm::Md5 | Algorithm::Md5Sess => 1,
            Algorithm::Other(_) => 0,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Algorithm::parse(s))
    }
}

/// A quality of protection (RFC 7616 §3.3). Parsed case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Qop {
    /// `auth`: authentication of the request line.
    Auth,
    /// `auth-int`: authentication with integrity protection of the body.
    AuthInt,
    /// A value this implementation does not know, as written.
    Other(String),
}

impl Qop {
    /// Parses one qop value, case-insensitively. Unknown values become [`Qop::Other`].
    pub fn parse(s: &str) -> Qop {
        if s.eq_ignore_ascii_case("auth") {
            Qop::Auth
        } else if s.eq_ignore_ascii_case("auth-int") {
            Qop::AuthInt
        } else {
            Qop::Other(s.to_owned())
        }
    }

    /// The canonical text (`auth`, `auth-int`), or the text of an unknown value.
    pub fn as_str(&self) -> &str {
        match self {
            Qop::Auth => "auth",
            Qop::AuthInt => "auth-int",
            Qop::Other(s) => s,
        }
    }

    /// True for [`Qop::Auth`] and [`Qop::AuthInt`].
    pub fn is_supported(&self) -> bool {
        !matches!(self, Qop::Other(_))
    }
}

impl fmt::Display for Qop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Qop {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Qop::parse(s))
    }
}

/// An auth-param that has no field of its own (an extension parameter), kept in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AuthParam {
    /// The parameter name, as written.
    pub name: String,
    /// The value, unquoted.
    pub value: String,
    /// Whether the value is printed as a quoted-string. Parsing sets it when the value was
    /// quoted or is not a token; a value that is not a token is always printed quoted.
    pub quoted: bool,
}

impl AuthParam {
    /// A parameter, quoted when `value` is not a token.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        let value = value.into();
        let quoted = !crate::grammar::is_token(&value);
        AuthParam {
            name: name.into(),
            value,
            quoted,
        }
    }

    /// A parameter that is always printed quoted.
    pub fn quoted(name: impl Into<String>, value: impl Into<String>) -> Self {
        AuthParam {
            name: name.into(),
            value: value.into(),
            quoted: true,
        }
    }

    pub(super) fn from_raw(p: &RawParam<'_>) -> Self {
        AuthParam {
            name: p.name.to_owned(),
            value: p.value.clone().into_owned(),
            quoted: p.quoted,
        }
    }
}

/// A WWW-Authenticate or Proxy-Authenticate value.
///
/// ```
/// use sip_core::digest::{Algorithm, Challenge};
///
/// let c = Challenge::parse(r#"Digest realm="atlanta.com", nonce="abc", algorithm=SHA-256"#)?;
/// let d = c.as_digest().unwrap();
/// assert_eq!(d.realm, "atlanta.com");
/// assert_eq!(d.algorithm, Some(Algorithm::Sha256));
/// assert_eq!(Challenge::parse(&c.to_string())?, c);
/// # Ok::<(), sip_core::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// A `Digest` challenge.
    Digest(DigestChallenge),
    /// A challenge of another scheme (`Basic`, `Bearer`, …), kept for display.
    Other {
        /// The auth-scheme, as written.
        scheme: String,
        /// The token68 that follows the scheme, if it has one instead of parameters.
        token68: Option<String>,
        /// The auth-params, in order.
        params: Vec<AuthParam>,
    },
}

impl Challenge {
    /// Parses one challenge. The scheme is matched case-insensitively; errors carry byte
    /// offsets into `s`.
    pub fn parse(s: &str) -> Result<Challenge, ParseError> {
        let raw = parse_challenges(s, false)?;
        match raw.into_iter().next() {
            Some(r) => Challenge::from_raw(r),
            None => Err(incomplete(s.len())),
        }
    }

    /// Parses a comma-separated list of challenges, as HTTP allows within one field
    /// (`Digest realm="a", nonce="n", Basic realm="a"`). A parameter belongs to the challenge
    /// before it; an element `token LWS …` that is not `name=value` starts a new challenge.
    pub fn parse_list(s: &str) -> Result<Vec<Challenge>, ParseError> {
        parse_challenges(s, true)?
            .into_iter()
            .map(Challenge::from_raw)
            .collect()
    }

    fn from_raw(r: super::params::RawChallenge<'_>) -> Result<Challenge, ParseError> {
        if r.scheme.eq_ignore_ascii_case("Digest") {
            let RawBody::Params(params) = r.body else {
                return Err(syntax(r.scheme_at + r.scheme.len() + 1));
            };
            return DigestChallenge::from_params(&params, r.end).map(Challenge::Digest);
        }
        Ok(match r.body {
            RawBody::Token68(t) => Challenge::Other {
                scheme: r.scheme.to_owned(),
                token68: Some(t.to_owned()),
                params: Vec::new(),
            },
            RawBody::Params(p) => Challenge::Other {
                scheme: r.scheme.to_owned(),
                token68: None,
                params: p.iter().map(AuthParam::from_raw).collect(),
            },
        })
    }

    /// The auth-scheme (`Digest` for digest challenges).
    pub fn scheme(&self) -> &str {
        match self {
            Challenge::Digest(_) => "Digest",
            Challenge::Other { scheme, .. } => scheme,
        }
    }

    /// The digest challenge, if this is one.
    pub fn as_digest(&self) -> Option<&DigestChallenge> {
        match self {
            Challenge::Digest(d) => Some(d),
            Challenge::Other { .. } => None,
        }
    }
}

impl fmt::Display for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Challenge::Digest(d) => d.fmt(f),
            Challenge::Other {
                scheme,
                token68,
                params,
            } => {
                f.write_str(scheme)?;
                if let Some(t) = token68 {
                    return write!(f, " {t}");
                }
                if params.is_empty() {
                    return Ok(());
                }
                let mut w = ParamWriter::new(f, " ")?;
                for p in params {
                    w.param(&p.name, &p.value, p.quoted)?;
                }
                Ok(())
            }
        }
    }
}

impl FromStr for Challenge {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Challenge::parse(s)
    }
}

impl From<DigestChallenge> for Challenge {
    fn from(d: DigestChallenge) -> Self {
        Challenge::Digest(d)
    }
}

/// A `Digest` challenge (RFC 7616 §3.3, RFC 2617 §3.2.1).
///
/// `Display` prints the canonical form `Digest realm="…", domain="…", nonce="…", opaque="…",
/// stale=true, algorithm=…, qop="…", charset=…, userhash=true, <extensions>`, omitting absent
/// or default parameters; it re-parses to an equal value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DigestChallenge {
    /// The protection space (`realm`, required).
    pub realm: String,
    /// The URIs of the protection space (`domain`, space-separated); empty when absent.
    pub domain: Vec<String>,
    /// The server nonce (`nonce`, required).
    pub nonce: String,
    /// Opaque data to return unchanged (`opaque`); `Some("")` is kept and echoed.
    pub opaque: Option<String>,
    /// `stale=true`: the previous nonce was stale, not the credentials wrong.
    pub stale: bool,
    /// The algorithm as written; `None` means the default, MD5.
    pub algorithm: Option<Algorithm>,
    /// The offered qop values (`qop="auth,auth-int"`); empty when the server sent none (RFC
    /// 2069 compatibility).
    pub qop: Vec<Qop>,
    /// `userhash=true` (RFC 7616 §3.4.4): the client should hash its username.
    pub userhash: bool,
    /// The `charset` (only `UTF-8` is defined).
    pub charset: Option<String>,
    /// Extension parameters, in order.
    pub params: Vec<AuthParam>,
}

/// Known digest parameter names, for duplicate detection.
pub(super) fn check_duplicate(
    seen: &mut Vec<&'static str>,
    name: &'static str,
    at: usize,
) -> Result<(), ParseError> {
    if seen.contains(&name) {
        return Err(syntax(at));
    }
    seen.push(name);
    Ok(())
}

/// True when a boolean flag value (`stale`, `userhash`) is `true`, case-insensitively. RFC 2617
/// treats every other value as false.
pub(super) fn flag(v: &str) -> bool {
    v.eq_ignore_ascii_case("true")
}

impl DigestChallenge {
    /// A challenge for `realm` with `nonce` and everything else absent.
    pub fn new(realm: impl Into<String>, nonce: impl Into<String>) -> Self {
        DigestChallenge {
            realm: realm.into(),
            domain: Vec::new(),
            nonce: nonce.into(),
            opaque: None,
            stale: false,
            algorithm: None,
            qop: Vec::new(),
            userhash: false,
            charset: None,
            params: Vec::new(),
        }
    }

    /// Parses a `Digest …` challenge. Other schemes are a syntax error at offset 0.
    pub fn parse(s: &str) -> Result<DigestChallenge, ParseError> {
        match Challenge::parse(s)? {
            Challenge::Digest(d) => Ok(d),
            Challenge::Other { .. } => Err(syntax(s.len() - s.trim_start().len())),
        }
    }

    /// The algorithm in force: the one named, or MD5.
    pub fn algorithm(&self) -> &Algorithm {
        self.algorithm.as_ref().unwrap_or(&DEFAULT_ALGORITHM)
    }

    /// The value of an extension parameter (case-insensitive name).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.value.as_str())
    }

    fn from_params(params: &[RawParam<'_>], end: usize) -> Result<DigestChallenge, ParseError> {
        let mut c = DigestChallenge::new("", "");
        let mut seen = Vec::new();
        let (mut realm, mut nonce) = (false, false);
        for p in params {
            let n = p.name;
            let v = &*p.value;
            let known = |name: &str| n.eq_ignore_ascii_case(name);
            if known("realm") {
                check_duplicate(&mut seen, "realm", p.name_at)?;
                c.realm = v.to_owned();
                realm = true;
            } else if known("nonce") {
                check_duplicate(&mut seen, "nonce", p.name_at)?;
                c.nonce = v.to_owned();
                nonce = true;
            } else if known("domain") {
                check_duplicate(&mut seen, "domain", p.name_at)?;
                c.domain = v.split_ascii_whitespace().map(str::to_owned).collect();
            } else if known("opaque") {
                check_duplicate(&mut seen, "opaque", p.name_at)?;
                c.opaque = Some(v.to_owned());
            } else if known("stale") {
                check_duplicate(&mut seen, "stale", p.name_at)?;
                c.stale = flag(v);
            } else if known("algorithm") {
                check_duplicate(&mut seen, "algorithm", p.name_at)?;
                c.algorithm = Some(Algorithm::parse(v));
            } else if known("qop") {
                check_duplicate(&mut seen, "qop", p.name_at)?;
                c.qop = v
                    .split(|ch: char| ch == ',' || ch.is_ascii_whitespace())
                    .filter(|q| !q.is_empty())
                    .map(Qop::parse)
                    .collect();
            } else if known("userhash") {
                check_duplicate(&mut seen, "userhash", p.name_at)?;
                c.userhash = flag(v);
            } else if known("charset") {
                check_duplicate(&mut seen, "charset", p.name_at)?;
                c.charset = Some(v.to_owned());
            } else {
                c.params.push(AuthParam::from_raw(p));
            }
        }
        if !realm || !nonce {
            return Err(incomplete(end));
        }
        Ok(c)
    }
}

impl fmt::Display for DigestChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = ParamWriter::new(f, "Digest ")?;
        w.quoted("realm", &self.realm)?;
        if !self.domain.is_empty() {
            w.quoted("domain", &self.domain.join(" "))?;
        }
        w.quoted("nonce", &self.nonce)?;
        if let Some(o) = &self.opaque {
            w.quoted("opaque", o)?;
        }
        if self.stale {
            w.raw("stale", format_args!("true"))?;
        }
        if let Some(a) = &self.algorithm {
            w.token_or_quoted("algorithm", a.as_str())?;
        }
        if !self.qop.is_empty() {
            let list: Vec<&str> = self.qop.iter().map(Qop::as_str).collect();
            w.quoted("qop", &list.join(","))?;
        }
        if let Some(cs) = &self.charset {
            w.token_or_quoted("charset", cs)?;
        }
        if self.userhash {
            w.raw("userhash", format_args!("true"))?;
        }
        for p in &self.params {
            w.param(&p.name, &p.value, p.quoted)?;
        }
        Ok(())
    }
}

impl FromStr for DigestChallenge {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DigestChallenge::parse(s)
    }
}
