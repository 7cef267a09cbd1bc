//! URIs: `sip:` and `sips:` (RFC 3261 §19.1), `tel:` (RFC 3966), and other absolute URIs kept
//! opaque.
//!
//! ```
//! use sip_core::uri::{Uri, SipUri};
//!
//! let uri: SipUri = "sip:alice@example.org:54321;transport=tls".parse().unwrap();
//! assert_eq!(uri.user().as_deref(), Some("alice"));
//! assert_eq!(uri.port(), Some(54321));
//! assert_eq!(uri.param("transport"), Some("tls"));
//! assert!(uri.matches("alice@example.org"));
//! // RFC 3261 §19.1.4: the host compares case-insensitively.
//! assert_eq!(uri, "sip:alice@EXAMPLE.org:54321;transport=TLS".parse::<SipUri>().unwrap());
//! assert!(matches!(Uri::parse("tel:+1-201-555-0123").unwrap(), Uri::Tel(_)));
//! ```

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use bytestring::ByteString;

use crate::error::{Element, ParseError, ParseErrorKind};
use crate::grammar::{self, escapes_valid, is_unreserved, percent_decode, percent_encode};
use crate::param::{Param, Params, is_uri_param_char};

/// The host of a SIP URI or Via.
#[derive(Debug, Clone, Eq)]
pub enum Host {
    /// A domain name (compared case-insensitively).
    Domain(ByteString),
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address (written as an IPv6 reference in brackets).
    Ipv6(Ipv6Addr),
}

impl Host {
    /// Parses a `host`: hostname, IPv4address or IPv6reference (`[...]`).
    pub fn parse(s: &str) -> Result<Host, ParseError> {
        let src = ByteString::from(s);
        Host::parse_in(&src, &src)
    }

    pub(crate) fn parse_in(src: &ByteString, s: &str) -> Result<Host, ParseError> {
        let err = |o| ParseError::syntax(Element::Host, o);
        if let Some(inner) = s.strip_prefix('[') {
            let inner = inner.strip_suffix(']').ok_or_else(|| err(s.len()))?;
            return inner.parse().map(Host::Ipv6).map_err(|_| err(1));
        }
        if s.is_empty() {
            return Err(err(0));
        }
        // One forward scan: IPv4 when only digits and three dots; otherwise hostname =
        // *( domainlabel "." ) toplabel [ "." ], where every label starts and ends with an
        // alphanumeric (underscores are tolerated inside, as seen in the wild).
        let b = s.as_bytes();
        let mut digits_and_dots = true;
        let mut dots = 0;
        let mut label_start = 0;
        for (i, &c) in b.iter().enumerate() {
            if c == b'.' {
                dots += 1;
                let last = i + 1 == b.len();
                if i == label_start || !b[i - 1].is_ascii_alphanumeric() {
                    return Err(err(label_start));
                }
                if last && digits_and_dots {
                    return Err(err(i));
                }
                label_start = i + 1;
            } else if c.is_ascii_alphanumeric() {
                if !c.is_ascii_digit() {
                    digits_and_dots = false;
                }
            } else if c == b'-' || c == b'_' {
                digits_and_dots = false;
                if i == label_start {
                    return Err(err(label_start));
                }
            } else {
                return Err(err(label_start));
            }
        }
        if digits_and_dots && dots == 3 {
            return s.parse().map(Host::Ipv4).map_err(|_| err(0));
        }
        if label_start < b.len() && !b[b.len() - 1].is_ascii_alphanumeric() {
            return Err(err(label_start));
        }
        Ok(Host::Domain(src.slice_ref(s)))
    }

    /// The IP address, when the host is one.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Host::Domain(_) => None,
            Host::Ipv4(a) => Some(IpAddr::V4(*a)),
            Host::Ipv6(a) => Some(IpAddr::V6(*a)),
        }
    }
}

impl From<IpAddr> for Host {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(a) => Host::Ipv4(a),
            IpAddr::V6(a) => Host::Ipv6(a),
        }
    }
}

impl PartialEq for Host {
    fn eq(&self, other: &Host) -> bool {
        match (self, other) {
            (Host::Domain(a), Host::Domain(b)) => a
                .trim_end_matches('.')
                .eq_ignore_ascii_case(b.trim_end_matches('.')),
            (Host::Ipv4(a), Host::Ipv4(b)) => a == b,
            (Host::Ipv6(a), Host::Ipv6(b)) => a == b,
            _ => false,
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => f.write_str(d),
            Host::Ipv4(a) => write!(f, "{a}"),
            Host::Ipv6(a) => write!(f, "[{a}]"),
        }
    }
}

/// A `sip:` or `sips:` URI (the seed's SIPURI / FrozenSIPURI).
///
/// The user, password, parameters and headers are stored as written (escapes kept), so a parsed
/// URI prints back unchanged; the accessors decode. `==` follows RFC 3261 §19.1.4; use
/// [`SipUri::identical`] for a field-by-field comparison.
#[derive(Debug, Clone)]
pub struct SipUri {
    secure: bool,
    user: Option<ByteString>,
    password: Option<ByteString>,
    host: Host,
    port: Option<u16>,
    params: Params,
    headers: Vec<(ByteString, ByteString)>,
}

fn is_user_char(c: u8) -> bool {
    is_unreserved(c)
        || matches!(
            c,
            b'%' | b'&' | b'=' | b'+' | b'$' | b',' | b';' | b'?' | b'/'
        )
}

fn is_password_char(c: u8) -> bool {
    is_unreserved(c) || matches!(c, b'%' | b'&' | b'=' | b'+' | b'$' | b',')
}

fn is_hnv_char(c: u8) -> bool {
    is_unreserved(c) || matches!(c, b'%' | b'[' | b']' | b'/' | b'?' | b':' | b'+' | b'$')
}

impl SipUri {
    /// A URI with only a host (`sip:host`).
    pub fn new(host: Host) -> Self {
        SipUri {
            secure: false,
            user: None,
            password: None,
            host,
            port: None,
            params: Params::new(),
            headers: Vec::new(),
        }
    }

    /// Parses a `sip:` or `sips:` URI.
    pub fn parse(s: &str) -> Result<SipUri, ParseError> {
        let src = ByteString::from(s);
        SipUri::parse_in(&src, &src)
    }

    /// Parses `s`, a slice of `src`, keeping zero-copy slices of `src`.
    pub(crate) fn parse_in(src: &ByteString, s: &str) -> Result<SipUri, ParseError> {
        let err = |o| ParseError::syntax(Element::Uri, o);
        let (secure, body_off) = if starts_with_ci(s, "sip:") {
            (false, 4)
        } else if starts_with_ci(s, "sips:") {
            (true, 5)
        } else {
            return Err(err(0));
        };
        let body = &s[body_off..];
        // The user part may hold `;`, `?` and `/`, but never `@`: the first `@` ends it.
        let (userinfo, hostpart, host_off) = match body.find('@') {
            Some(at) => (Some(&body[..at]), &body[at + 1..], body_off + at + 1),
            None => (None, body, body_off),
        };
        let (mut user, mut password) = (None, None);
        if let Some(ui) = userinfo {
            let (u, p) = match ui.find(':') {
                Some(c) => (&ui[..c], Some(&ui[c + 1..])),
                None => (ui, None),
            };
            if u.is_empty() || !u.bytes().all(is_user_char) || !escapes_valid(u) {
                return Err(err(body_off));
            }
            if let Some(p) = p {
                if !p.bytes().all(is_password_char) || !escapes_valid(p) {
                    return Err(err(body_off + u.len() + 1));
                }
                password = Some(src.slice_ref(p));
            }
            user = Some(src.slice_ref(u));
        }
        // hostport ends at `;` (parameters) or `?` (headers).
        let hp_end = hostpart.find([';', '?']).unwrap_or(hostpart.len());
        let hostport = &hostpart[..hp_end];
        let (host_str, port) = split_host_port(hostport).map_err(|o| err(host_off + o))?;
        let host = Host::parse_in(src, host_str).map_err(|e| e.shifted(host_off))?;
        let mut rest = &hostpart[hp_end..];
        let rest_off = |r: &str| s.len() - r.len();
        let mut params = Params::new();
        if rest.starts_with(';') {
            let (p, r) = Params::parse(src, rest, false, is_uri_param_char)
                .map_err(|o| ParseError::syntax(Element::Parameter, rest_off(rest) + o))?;
            for prm in p.iter() {
                if !escapes_valid(prm.name()) || !prm.raw_value().is_none_or(escapes_valid) {
                    return Err(ParseError::new(
                        Element::Escape,
                        ParseErrorKind::Syntax,
                        rest_off(rest),
                    ));
                }
            }
            params = p;
            rest = r;
        }
        let mut headers = Vec::new();
        if let Some(h) = rest.strip_prefix('?') {
            for (i, pair) in h.split('&').enumerate() {
                let (n, v) = pair.split_once('=').unwrap_or((pair, ""));
                if n.is_empty()
                    || !n.bytes().all(is_hnv_char)
                    || !v.bytes().all(is_hnv_char)
                    || !escapes_valid(n)
                    || !escapes_valid(v)
                {
                    return Err(ParseError::syntax(Element::UriHeader, rest_off(h) + i));
                }
                headers.push((src.slice_ref(n), src.slice_ref(v)));
            }
            rest = "";
        }
        if !rest.is_empty() {
            return Err(err(rest_off(rest)));
        }
        Ok(SipUri {
            secure,
            user,
            password,
            host,
            port,
            params,
            headers,
        })
    }

    /// `true` for `sips:` (the seed's `secure`).
    pub fn secure(&self) -> bool {
        self.secure
    }

    /// Sets the scheme to `sips:` (true) or `sip:`.
    pub fn set_secure(&mut self, secure: bool) {
        self.secure = secure;
    }

    /// The user part, unescaped.
    pub fn user(&self) -> Option<Cow<'_, str>> {
        self.user
            .as_deref()
            .map(|u| percent_decode(u).unwrap_or(Cow::Borrowed(u)))
    }

    /// The user part as written (escapes kept).
    pub fn raw_user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// Sets the user part; characters not allowed there are escaped.
    pub fn set_user(&mut self, user: Option<&str>) {
        self.user = user.map(|u| {
            let mut s = String::with_capacity(u.len());
            percent_encode(&mut s, u, |c| is_user_char(c) && c != b'%');
            ByteString::from(s)
        });
    }

    /// Builder form of [`SipUri::set_user`].
    #[must_use]
    pub fn with_user(mut self, user: &str) -> Self {
        self.set_user(Some(user));
        self
    }

    /// The password, unescaped.
    pub fn password(&self) -> Option<Cow<'_, str>> {
        self.password
            .as_deref()
            .map(|p| percent_decode(p).unwrap_or(Cow::Borrowed(p)))
    }

    /// Sets the password; characters not allowed there are escaped.
    pub fn set_password(&mut self, password: Option<&str>) {
        self.password = password.map(|p| {
            let mut s = String::new();
            percent_encode(&mut s, p, |c| is_password_char(c) && c != b'%');
            ByteString::from(s)
        });
    }

    /// The host.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// Replaces the host.
    pub fn set_host(&mut self, host: Host) {
        self.host = host;
    }

    /// The explicit port, if any (`None` for the seed's `port=None/0`).
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// Sets or clears the port.
    pub fn set_port(&mut self, port: Option<u16>) {
        self.port = port;
    }

    /// Builder form of [`SipUri::set_port`].
    #[must_use]
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// The URI parameters (`;transport=tcp;lr`).
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Mutable access to the URI parameters.
    pub fn params_mut(&mut self) -> &mut Params {
        &mut self.params
    }

    /// The raw value of a URI parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.raw_value(name)
    }

    /// Sets a URI parameter (value escaped as needed); builder form.
    #[must_use]
    pub fn with_param(mut self, name: &str, value: Option<&str>) -> Self {
        let esc = |s: &str| {
            let mut o = String::new();
            percent_encode(&mut o, s, |c| is_uri_param_char(c) && c != b'%');
            o
        };
        let v = value.map(esc);
        self.params.set(&esc(name), v.as_deref());
        self
    }

    /// The `transport` parameter, lower-cased.
    pub fn transport(&self) -> Option<String> {
        self.param("transport").map(|t| t.to_ascii_lowercase())
    }

    /// The URI headers (`?subject=x&priority=urgent`), raw name and value pairs.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers.iter().map(|(n, v)| (&**n, &**v))
    }

    /// Appends a URI header (name and value escaped as needed).
    pub fn push_header(&mut self, name: &str, value: &str) {
        let esc = |s: &str| {
            let mut o = String::new();
            percent_encode(&mut o, s, |c| is_hnv_char(c) && c != b'%');
            ByteString::from(o)
        };
        self.headers.push((esc(name), esc(value)));
    }

    /// Field-by-field equality, as written (not the RFC's URI equivalence).
    pub fn identical(&self, other: &SipUri) -> bool {
        self.secure == other.secure
            && self.user == other.user
            && self.password == other.password
            && match (&self.host, &other.host) {
                (Host::Domain(a), Host::Domain(b)) => a == b,
                (a, b) => a == b,
            }
            && self.port == other.port
            && self.params == other.params
            && self.headers == other.headers
    }

    /// The seed's `matches(address)`: true when `address` (a SIP address with or without scheme,
    /// e.g. `alice@example.org` or `sips:alice@example.org;transport=tls`) names only components
    /// that `self` has with the same values.
    pub fn matches(&self, address: &str) -> bool {
        let lower = address
            .get(..5)
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let owned;
        let full = if lower.starts_with("sip:") || lower.starts_with("sips:") {
            address
        } else {
            owned = format!("sip:{address}");
            &owned
        };
        let Ok(other) = SipUri::parse(full) else {
            return false;
        };
        let scheme_given = lower.starts_with("sip:") || lower.starts_with("sips:");
        if scheme_given && other.secure != self.secure {
            return false;
        }
        if other.user.is_some() && other.user() != self.user() {
            return false;
        }
        if other.password.is_some() && other.password() != self.password() {
            return false;
        }
        if other.host != self.host {
            return false;
        }
        if other.port.is_some() && other.port != self.port {
            return false;
        }
        let param_eq = |p: &Param| match find_param(&self.params, p.name()) {
            Some(mine) => {
                eq_escaped_ci(mine.raw_value().unwrap_or(""), p.raw_value().unwrap_or(""))
            }
            None => false,
        };
        if !other.params.iter().all(param_eq) {
            return false;
        }
        other.headers().all(|(n, v)| {
            self.headers()
                .any(|(mn, mv)| eq_escaped_ci(mn, n) && eq_escaped(mv, v))
        })
    }
}

/// True when `s` starts with the ASCII `prefix`, ignoring case (never slices inside a
/// multi-byte character).
fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.as_bytes()
        .get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// The bytes `s` stands for once its `%HH` escapes are decoded (a malformed escape is kept
/// as written). Bytes, not text: escapes of invalid UTF-8 must not collapse into one
/// replacement character, or `%FE` would equal `%FF`.
fn decoded(s: &str) -> Cow<'_, [u8]> {
    if !s.contains('%') {
        return Cow::Borrowed(s.as_bytes());
    }
    let b = s.as_bytes();
    let hex = |i: usize| b.get(i).and_then(|&c| (c as char).to_digit(16));
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match (b[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

fn eq_escaped(a: &str, b: &str) -> bool {
    a == b || decoded(a) == decoded(b)
}

fn eq_escaped_ci(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b) || decoded(a).eq_ignore_ascii_case(&decoded(b))
}

/// The first parameter whose name, unescaped, equals `name` ignoring case (`;%6C%72` is `;lr`).
fn find_param<'a>(params: &'a Params, name: &str) -> Option<&'a Param> {
    params.iter().find(|p| eq_escaped_ci(p.name(), name))
}

/// Splits `host[:port]`, honouring IPv6 references. Returns the failing offset on error.
pub(crate) fn split_host_port(hp: &str) -> Result<(&str, Option<u16>), usize> {
    let (host, port_str) = if hp.starts_with('[') {
        let close = hp.find(']').ok_or(hp.len())?;
        let after = &hp[close + 1..];
        match after.strip_prefix(':') {
            Some(p) => (&hp[..=close], Some((p, close + 2))),
            None if after.is_empty() => (&hp[..=close], None),
            None => return Err(close + 1),
        }
    } else {
        match hp.rfind(':') {
            Some(c) => (&hp[..c], Some((&hp[c + 1..], c + 1))),
            None => (hp, None),
        }
    };
    let port = match port_str {
        None => None,
        Some((p, off)) => {
            if p.is_empty() || p.len() > 5 || !p.bytes().all(|c| c.is_ascii_digit()) {
                return Err(off);
            }
            Some(p.parse::<u16>().map_err(|_| off)?)
        }
    };
    Ok((host, port))
}

impl PartialEq for SipUri {
    /// URI equivalence of RFC 3261 §19.1.4.
    fn eq(&self, other: &SipUri) -> bool {
        if self.secure != other.secure
            || self.host != other.host
            || self.port != other.port
            || self.user.as_deref().map(decoded) != other.user.as_deref().map(decoded)
            || self.password.as_deref().map(decoded) != other.password.as_deref().map(decoded)
        {
            return false;
        }
        // user, ttl, method and maddr must agree when either side has them; any other
        // parameter present on both sides must agree; the rest are ignored.
        for special in ["user", "ttl", "method", "maddr"] {
            match (
                find_param(&self.params, special),
                find_param(&other.params, special),
            ) {
                (None, None) => {}
                (Some(a), Some(b)) => {
                    if !eq_escaped_ci(a.raw_value().unwrap_or(""), b.raw_value().unwrap_or("")) {
                        return false;
                    }
                }
                _ => return false,
            }
        }
        // A name repeated on one side agrees when one of its values does, so that every URI
        // equals itself.
        let agree = |a: &Params, b: &Params| {
            a.iter().all(|p| {
                let mut same = b
                    .iter()
                    .filter(|q| eq_escaped_ci(q.name(), p.name()))
                    .peekable();
                let v = p.raw_value().unwrap_or("");
                same.peek().is_none() || same.any(|q| eq_escaped_ci(v, q.raw_value().unwrap_or("")))
            })
        };
        if !agree(&self.params, &other.params) || !agree(&other.params, &self.params) {
            return false;
        }
        // Headers are never ignored: the same set on both sides.
        let contains_all = |a: &SipUri, b: &SipUri| {
            a.headers().all(|(n, v)| {
                b.headers()
                    .any(|(bn, bv)| eq_escaped_ci(n, bn) && eq_escaped(v, bv))
            })
        };
        contains_all(self, other) && contains_all(other, self)
    }
}

impl Eq for SipUri {}

impl fmt::Display for SipUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.secure { "sips:" } else { "sip:" })?;
        if let Some(u) = &self.user {
            f.write_str(u)?;
            if let Some(p) = &self.password {
                write!(f, ":{p}")?;
            }
            f.write_str("@")?;
        }
        write!(f, "{}", self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        write!(f, "{}", self.params)?;
        for (i, (n, v)) in self.headers.iter().enumerate() {
            f.write_str(if i == 0 { "?" } else { "&" })?;
            write!(f, "{n}={v}")?;
        }
        Ok(())
    }
}

impl FromStr for SipUri {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        SipUri::parse(s)
    }
}

/// A `tel:` URI (RFC 3966).
#[derive(Debug, Clone)]
pub struct TelUri {
    number: ByteString,
    params: Params,
}

fn is_tel_param_char(c: u8) -> bool {
    is_unreserved(c) || matches!(c, b'%' | b'[' | b']' | b'/' | b':' | b'&' | b'+' | b'$')
}

impl TelUri {
    /// Parses a `tel:` URI.
    pub fn parse(s: &str) -> Result<TelUri, ParseError> {
        let src = ByteString::from(s);
        TelUri::parse_in(&src, &src)
    }

    pub(crate) fn parse_in(src: &ByteString, s: &str) -> Result<TelUri, ParseError> {
        let err = |o| ParseError::syntax(Element::Uri, o);
        if !starts_with_ci(s, "tel:") {
            return Err(err(0));
        }
        let body = &s[4..];
        let end = body.find(';').unwrap_or(body.len());
        let number = &body[..end];
        let global = number.starts_with('+');
        let digits = if global { &number[1..] } else { number };
        let is_visual = |c: u8| matches!(c, b'-' | b'.' | b'(' | b')');
        let ok = digits
            .bytes()
            .any(|c| c.is_ascii_hexdigit() || c == b'*' || c == b'#')
            && digits.bytes().all(|c| {
                if global {
                    c.is_ascii_digit() || is_visual(c)
                } else {
                    c.is_ascii_hexdigit() || c == b'*' || c == b'#' || is_visual(c)
                }
            });
        if !ok {
            return Err(err(4));
        }
        let params = Params::parse_all(src, &body[end..], false, is_tel_param_char)
            .map_err(|o| ParseError::syntax(Element::Parameter, 4 + end + o))?;
        if !global && !params.contains("phone-context") {
            return Err(ParseError::new(
                Element::Uri,
                ParseErrorKind::MissingHeader("phone-context"),
                4,
            ));
        }
        Ok(TelUri {
            number: src.slice_ref(number),
            params,
        })
    }

    /// The number as written (`+1-201-555-0123`).
    pub fn number(&self) -> &str {
        &self.number
    }

    /// True for a global number (`+…`).
    pub fn is_global(&self) -> bool {
        self.number.starts_with('+')
    }

    /// The number without visual separators (`+12015550123`).
    pub fn digits(&self) -> String {
        self.number
            .chars()
            .filter(|c| !matches!(c, '-' | '.' | '(' | ')'))
            .collect::<String>()
            .to_ascii_uppercase()
    }

    /// The parameters (`;phone-context=…;ext=…`).
    pub fn params(&self) -> &Params {
        &self.params
    }
}

impl PartialEq for TelUri {
    /// RFC 3966 §4: numbers compare without visual separators, parameters in any order.
    fn eq(&self, other: &TelUri) -> bool {
        // Every parameter of each side has an equal one on the other (names may repeat).
        let within = |a: &Params, b: &Params| {
            a.iter().all(|p| {
                b.iter().any(|q| {
                    eq_escaped_ci(p.name(), q.name())
                        && eq_escaped_ci(p.raw_value().unwrap_or(""), q.raw_value().unwrap_or(""))
                })
            })
        };
        self.digits() == other.digits()
            && self.params.len() == other.params.len()
            && within(&self.params, &other.params)
            && within(&other.params, &self.params)
    }
}

impl Eq for TelUri {}

impl fmt::Display for TelUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tel:{}{}", self.number, self.params)
    }
}

/// Any URI: SIP/SIPS, tel, or another absolute URI kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uri {
    /// `sip:` or `sips:`.
    Sip(SipUri),
    /// `tel:`.
    Tel(TelUri),
    /// Another scheme (`http:`, `urn:`, `im:`, …), kept opaque.
    Other(AbsoluteUri),
}

/// An absolute URI of a scheme this crate does not interpret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbsoluteUri {
    raw: ByteString,
    scheme_len: usize,
}

impl AbsoluteUri {
    /// The scheme (before the first `:`).
    pub fn scheme(&self) -> &str {
        &self.raw[..self.scheme_len]
    }

    /// The whole URI as written.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

impl Uri {
    /// Parses any URI.
    pub fn parse(s: &str) -> Result<Uri, ParseError> {
        let src = ByteString::from(s);
        Uri::parse_in(&src, &src)
    }

    /// Parses `s`, a slice of `src`, keeping zero-copy slices of `src`.
    pub(crate) fn parse_in(src: &ByteString, s: &str) -> Result<Uri, ParseError> {
        let colon = s.find(':').ok_or(ParseError::syntax(Element::Uri, 0))?;
        let scheme = &s[..colon];
        if scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips") {
            return SipUri::parse_in(src, s).map(Uri::Sip);
        }
        if scheme.eq_ignore_ascii_case("tel") {
            return TelUri::parse_in(src, s).map(Uri::Tel);
        }
        // absoluteURI = scheme ":" ( hier-part / opaque-part )
        let scheme_ok = scheme
            .as_bytes()
            .first()
            .is_some_and(u8::is_ascii_alphabetic)
            && scheme
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
        let rest = &s[colon + 1..];
        let rest_ok = !rest.is_empty()
            && rest.bytes().all(|c| {
                grammar::is_unreserved(c)
                    || matches!(
                        c,
                        b'%' | b';'
                            | b'?'
                            | b':'
                            | b'@'
                            | b'&'
                            | b'='
                            | b'+'
                            | b'$'
                            | b','
                            | b'/'
                            | b'#'
                            | b'['
                            | b']'
                    )
            })
            && escapes_valid(rest);
        if !scheme_ok {
            return Err(ParseError::syntax(Element::Uri, 0));
        }
        if !rest_ok {
            return Err(ParseError::syntax(Element::Uri, colon + 1));
        }
        Ok(Uri::Other(AbsoluteUri {
            raw: src.slice_ref(s),
            scheme_len: colon,
        }))
    }

    /// The SIP URI, if this is one.
    pub fn as_sip(&self) -> Option<&SipUri> {
        match self {
            Uri::Sip(u) => Some(u),
            _ => None,
        }
    }

    /// The scheme, lower-case for the known ones.
    pub fn scheme(&self) -> &str {
        match self {
            Uri::Sip(u) if u.secure() => "sips",
            Uri::Sip(_) => "sip",
            Uri::Tel(_) => "tel",
            Uri::Other(a) => a.scheme(),
        }
    }
}

impl From<SipUri> for Uri {
    fn from(u: SipUri) -> Self {
        Uri::Sip(u)
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Uri::Sip(u) => u.fmt(f),
            Uri::Tel(u) => u.fmt(f),
            Uri::Other(u) => f.write_str(&u.raw),
        }
    }
}

impl FromStr for Uri {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Uri::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sip(s: &str) -> SipUri {
        SipUri::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_all_parts() {
        let u = sip(
            "sips:alice:secret@[2001:db8::10]:5061;transport=tcp;lr?subject=project%20x&priority=urgent",
        );
        assert!(u.secure());
        assert_eq!(u.user().as_deref(), Some("alice"));
        assert_eq!(u.password().as_deref(), Some("secret"));
        assert_eq!(u.host(), &Host::Ipv6("2001:db8::10".parse().unwrap()));
        assert_eq!(u.port(), Some(5061));
        assert_eq!(u.param("transport"), Some("tcp"));
        assert!(u.params().contains("lr"));
        assert_eq!(u.headers().count(), 2);
        assert_eq!(
            u.to_string(),
            "sips:alice:secret@[2001:db8::10]:5061;transport=tcp;lr?subject=project%20x&priority=urgent"
        );
    }

    #[test]
    fn user_may_hold_semicolons() {
        let u = sip("sip:+1-212-555-1212:1234@gateway.com;user=phone");
        assert_eq!(u.password().as_deref(), Some("1234"));
        assert_eq!(u.host(), &Host::Domain("gateway.com".into()));
        let u = sip("sip:user;par=u%40example.net@example.com");
        assert_eq!(u.user().as_deref(), Some("user;par=u@example.net"));
    }

    #[test]
    fn rejects_bad_input() {
        for bad in [
            "sip:",
            "sip:@host",
            "sip:host:99999",
            "sip:host:",
            "sip:ho st",
            "sip:[::1",
            "sip:a%zz@host",
            "sip:-host-",
            "http//x",
            "sip:host;=x",
        ] {
            assert!(SipUri::parse(bad).is_err(), "{bad} should fail");
        }
    }

    #[test]
    fn rfc3261_19_1_4_equal_pairs() {
        let pairs = [
            (
                "sip:%61lice@atlanta.com;transport=TCP",
                "sip:alice@AtLanTa.CoM;Transport=tcp",
            ),
            ("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"),
            ("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"),
            (
                "sip:carol@chicago.com;newparam=5",
                "sip:carol@chicago.com;security=on",
            ),
            (
                "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
                "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com",
            ),
            (
                "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
                "sip:alice@atlanta.com?priority=urgent&subject=project%20x",
            ),
        ];
        for (a, b) in pairs {
            assert_eq!(sip(a), sip(b), "{a} == {b}");
        }
    }

    #[test]
    fn rfc3261_19_1_4_unequal_pairs() {
        let pairs = [
            (
                "SIP:ALICE@AtLanTa.CoM;Transport=udp",
                "sip:alice@AtLanTa.CoM;Transport=UDP",
            ),
            ("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"),
            (
                "sip:bob@biloxi.com",
                "sip:bob@biloxi.com;transport=udp;user=phone",
            ),
            (
                "sip:carol@chicago.com",
                "sip:carol@chicago.com?Subject=next%20meeting",
            ),
            ("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"),
            (
                "sip:carol@chicago.com;security=on",
                "sip:carol@chicago.com;security=off",
            ),
        ];
        for (a, b) in pairs {
            assert_ne!(sip(a), sip(b), "{a} != {b}");
        }
    }

    #[test]
    fn escaped_parameter_names_and_bytes() {
        // `;%6C%72` is `;lr` and `k%65y` is `key`: compared after unescaping.
        let esc = sip("sip:h.test;%6C%72;k%65y=v");
        assert_eq!(esc, sip("sip:h.test;lr;key=v"));
        assert_ne!(esc, sip("sip:h.test;key=w"));
        assert_ne!(sip("sip:h.test;m%61ddr=a.test"), sip("sip:h.test"));
        // Escapes of bytes that are not UTF-8 stay distinct.
        assert_ne!(sip("sip:%FE@h.test"), sip("sip:%FF@h.test"));
        assert_eq!(sip("sip:%fe@h.test"), sip("sip:%FE@h.test"));
    }

    #[test]
    fn equality_is_reflexive_with_repeated_parameters() {
        let u = sip("sip:h.test;x=1;x=2");
        assert_eq!(u, u.clone());
        assert_eq!(u, sip("sip:h.test;x=2;x=1"));
        assert_ne!(u, sip("sip:h.test;x=3"));
        let t = TelUri::parse("tel:+1-555;a=1;a=2").unwrap();
        assert_eq!(t, t.clone());
    }

    #[test]
    fn no_panic_on_multibyte_scheme() {
        assert!(SipUri::parse("sip\u{e9}x").is_err());
        assert!(SipUri::parse("sips\u{e9}").is_err());
        assert!(TelUri::parse("tel\u{e9}").is_err());
    }

    #[test]
    fn seed_matches_examples() {
        let u = sip("sip:alice@example.org:54321;transport=tls");
        assert!(u.matches("alice@example.org"));
        assert!(u.matches("sip:alice@example.org:54321"));
        assert!(!u.matches("bob@example.org"));
        let u = sip("sip:alice@example.org;transport=tls");
        assert!(!u.matches("sips:alice@example.org"));
    }

    #[test]
    fn builder_escapes() {
        let u = SipUri::new(Host::Domain("example.com".into()))
            .with_user("a b@c")
            .with_port(5070)
            .with_param("transport", Some("tcp"));
        assert_eq!(
            u.to_string(),
            "sip:a%20b%40c@example.com:5070;transport=tcp"
        );
        assert_eq!(u.user().as_deref(), Some("a b@c"));
    }

    #[test]
    fn tel_uris() {
        let a = TelUri::parse("tel:+1-201-555-0123").unwrap();
        let b = TelUri::parse("tel:+1(201)5550123").unwrap();
        assert_eq!(a, b);
        assert!(TelUri::parse("tel:7042;phone-context=example.com").is_ok());
        assert!(TelUri::parse("tel:7042").is_err());
        assert!(TelUri::parse("tel:+").is_err());
    }

    #[test]
    fn other_schemes_kept() {
        let u = Uri::parse("nobodyKnowsThisScheme:totallyopaquecontent").unwrap();
        assert_eq!(u.scheme(), "nobodyKnowsThisScheme");
        assert_eq!(u.to_string(), "nobodyKnowsThisScheme:totallyopaquecontent");
        assert!(Uri::parse("1abc:x").is_err());
        assert!(Uri::parse("noscheme").is_err());
    }
}
