//! The remaining typed headers of RFC 3261 §20 and the SIP extensions the SDK uses: content
//! negotiation (Accept, Allow, Supported…), authentication, events (RFC 6665), REFER (RFC 3515,
//! RFC 3891, RFC 3892, RFC 4488), reliable provisional responses (RFC 3262), session timers
//! (RFC 4028), publication (RFC 3903) and the informational headers (Date, Warning, Reason…).
//!
//! ```
//! use sip_core::header::{Event, Headers, HeaderName, SubscriptionState, Supported};
//!
//! let mut headers = Headers::new();
//! headers.push(HeaderName::new("o"), "presence;id=7");
//! headers.push(HeaderName::Supported, "100rel, timer");
//! headers.push(HeaderName::SubscriptionState, "active;expires=600");
//! let event: Event = headers.typed().unwrap();
//! assert_eq!((event.package(), event.id()), ("presence", Some("7")));
//! let supported: Vec<Supported> = headers.typed_all().unwrap();
//! assert_eq!(supported[1].as_str(), "timer");
//! let state: SubscriptionState = headers.typed().unwrap();
//! assert_eq!(state.expires(), Some(600));
//! ```

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use bytestring::ByteString;

use super::{HeaderName, MediaType, NameAddr, TypedHeader, name_addr_header};
use crate::digest::{AuthenticationInfo, Challenge, DigestResponse};
use crate::error::{Element, ParseError, ParseErrorKind};
use crate::grammar::{self, percent_decode, quoted_string, trim_lws, unquote, write_quoted};
use crate::message::Method;
use crate::param::{Params, is_header_param_char};
use crate::uri::{Host, SipUri, Uri, split_host_port};

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

fn syntax(name: &'static str, at: usize) -> ParseError {
    ParseError::syntax(Element::HeaderValue(name), at)
}

fn out_of_range(name: &'static str, at: usize) -> ParseError {
    ParseError::new(Element::HeaderValue(name), ParseErrorKind::OutOfRange, at)
}

/// Offset of `sub`, a sub-slice of `base`, within `base`.
fn at(base: &str, sub: &str) -> usize {
    (sub.as_ptr() as usize).saturating_sub(base.as_ptr() as usize)
}

/// Strips leading LWS (SP, HTAB and stray CR/LF of folding).
fn trim_start(s: &str) -> &str {
    s.trim_start_matches([' ', '\t', '\r', '\n'])
}

fn is_lws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())
}

/// Text without control characters other than HTAB (Subject, Organization…).
fn is_text(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() && c != '\t')
}

/// A quoted-string for `s`.
fn quote(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    write_quoted(&mut o, s);
    o
}

/// `s` as written when it is a token, quoted otherwise.
fn token_or_quote(s: &str) -> String {
    if grammar::is_token(s) {
        s.to_owned()
    } else {
        quote(s)
    }
}

/// Parses the header parameters in `rest`, a slice of `value` that must be all parameters.
fn params_after(value: &ByteString, rest: &str) -> Result<Params, ParseError> {
    Params::parse_all(value, rest, true, is_header_param_char)
        .map_err(|o| ParseError::syntax(Element::Parameter, at(value, rest) + o))
}

/// `token *( SEMI generic-param )`.
fn token_then_params<'a>(
    value: &'a ByteString,
    name: &'static str,
) -> Result<(&'a str, Params), ParseError> {
    let s: &str = value;
    let t = trim_start(s);
    let (rest, tok) = grammar::token(t).map_err(|_| syntax(name, at(s, t)))?;
    Ok((tok, params_after(value, rest)?))
}

/// `delta-seconds` (`1*DIGIT`) as a `u32`; larger numbers are [`ParseErrorKind::OutOfRange`].
fn delta_seconds(s: &str, name: &'static str, off: usize) -> Result<u32, ParseError> {
    if !is_digits(s) {
        return Err(syntax(name, off));
    }
    s.parse().map_err(|_| out_of_range(name, off))
}

/// `delta-seconds *( SEMI generic-param )`.
fn delta_then_params(value: &ByteString, name: &'static str) -> Result<(u32, Params), ParseError> {
    let s: &str = value;
    let t = trim_start(s);
    let n = t.bytes().take_while(u8::is_ascii_digit).count();
    let digits = t.get(..n).unwrap_or("");
    let secs = delta_seconds(digits, name, at(s, t))?;
    let rest = t.get(n..).unwrap_or("");
    Ok((secs, params_after(value, rest)?))
}

/// Checks that a parameter, when it has a value, is a delta-seconds.
fn check_delta_param(
    value: &ByteString,
    params: &Params,
    param: &str,
    name: &'static str,
) -> Result<(), ParseError> {
    if let Some(p) = params.get(param) {
        let off = p.raw_value().map_or(0, |v| at(value, v));
        delta_seconds(p.raw_value().unwrap_or(""), name, off)?;
    }
    Ok(())
}

/// A `qvalue` (`0.7`, `1`, `1.000`) in thousandths.
fn qvalue(v: &str) -> Option<u16> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut q: u16 = match int {
        "0" => 0,
        "1" => 1000,
        _ => return None,
    };
    for (c, scale) in frac.bytes().zip([100u16, 10, 1]) {
        q += u16::from(c - b'0') * scale;
    }
    (q <= 1000).then_some(q)
}

/// Checks the `q` parameter, when present.
fn check_q(value: &ByteString, params: &Params, name: &'static str) -> Result<(), ParseError> {
    if let Some(p) = params.get("q") {
        let v = p.raw_value().unwrap_or("");
        if qvalue(v).is_none() {
            let off = if v.is_empty() { 0 } else { at(value, v) };
            return Err(out_of_range(name, off));
        }
    }
    Ok(())
}

/// `word [ "@" word ]` of Call-ID, In-Reply-To and Replaces.
fn is_call_id(v: &str) -> bool {
    !v.is_empty()
        && v.bytes()
            .all(|c| c.is_ascii_graphic() && c != b';' && c != b',')
        && v.bytes().filter(|&c| c == b'@').count() <= 1
        && !v.starts_with('@')
        && !v.ends_with('@')
}

/// A language tag or range: `1*8ALPHA *( "-" 1*8alphanum )`.
fn is_language(v: &str) -> bool {
    let mut parts = v.split('-');
    let primary_ok = parts
        .next()
        .is_some_and(|p| (1..=8).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_alphabetic()));
    primary_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_alphanumeric()))
}

/// `event-type = event-package *( "." event-template )`, each part a token without dots.
fn is_event_type(v: &str) -> bool {
    grammar::is_token(v) && v.split('.').all(|p| !p.is_empty())
}

/// Parses a comment starting at `(`; returns its inner text and the rest.
fn comment(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    if b.first() != Some(&b'(') {
        return None;
    }
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                i += 2;
                continue;
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some((s.get(1..i)?, s.get(i + 1..)?));
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Defines a header whose value is one string checked by a predicate.
macro_rules! simple_header {
    ($(#[$doc:meta])* $ty:ident, $name:ident, $name_str:literal, list = $list:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $ty(pub ByteString);

        impl $ty {
            /// A value from a string, written as given.
            pub fn new(value: impl Into<ByteString>) -> Self {
                $ty(value.into())
            }

            /// The value.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TypedHeader for $ty {
            const NAME: HeaderName = HeaderName::$name;
            const NAME_STR: &'static str = $name_str;
            const LIST: bool = $list;

            fn parse_value(value: &ByteString) -> Result<Self, ParseError> {
                let v = trim_lws(value);
                let check: fn(&str) -> bool = $check;
                if !check(v) {
                    return Err(syntax($name_str, at(value, v)));
                }
                Ok($ty(value.slice_ref(v)))
            }

            fn write_value(&self, out: &mut String) {
                out.push_str(&self.0);
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// Defines a header whose value is `token *( SEMI generic-param )`.
macro_rules! token_params_header {
    ($(#[$doc:meta])* $ty:ident, $field:ident, $name:ident, $name_str:literal, list = $list:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $ty {
            /// The token, as written.
            pub $field: ByteString,
            /// The parameters.
            pub params: Params,
        }

        impl $ty {
            /// A value without parameters.
            pub fn new($field: impl Into<ByteString>) -> Self {
                $ty {
                    $field: $field.into(),
                    params: Params::new(),
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}{}", self.$field, self.params)
            }
        }

        impl TypedHeader for $ty {
            const NAME: HeaderName = HeaderName::$name;
            const NAME_STR: &'static str = $name_str;
            const LIST: bool = $list;

            fn parse_value(value: &ByteString) -> Result<Self, ParseError> {
                let (tok, params) = token_then_params(value, $name_str)?;
                let v = $ty {
                    $field: value.slice_ref(tok),
                    params,
                };
                v.check(value)?;
                Ok(v)
            }

            fn write_value(&self, out: &mut String) {
                let _ = write!(out, "{self}");
            }
        }
    };
}

/// Defines a header whose value is `"<" absoluteURI ">" *( SEMI generic-param )`.
macro_rules! info_header {
    ($(#[$doc:meta])* $ty:ident, $name:ident, $name_str:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $ty {
            /// The URI between the angle brackets.
            pub uri: Uri,
            /// The parameters.
            pub params: Params,
        }

        impl $ty {
            /// A value for `uri`, without parameters.
            pub fn new(uri: Uri) -> Self {
                $ty {
                    uri,
                    params: Params::new(),
                }
            }
        }

        impl TypedHeader for $ty {
            const NAME: HeaderName = HeaderName::$name;
            const NAME_STR: &'static str = $name_str;
            const LIST: bool = true;

            fn parse_value(value: &ByteString) -> Result<Self, ParseError> {
                let (uri, params) = parse_info(value, $name_str)?;
                Ok($ty { uri, params })
            }

            fn write_value(&self, out: &mut String) {
                let _ = write!(out, "{self}");
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "<{}>{}", self.uri, self.params)
            }
        }
    };
}

fn parse_info(value: &ByteString, name: &'static str) -> Result<(Uri, Params), ParseError> {
    let s: &str = value;
    let t = trim_start(s);
    let inner = t.strip_prefix('<').ok_or_else(|| syntax(name, at(s, t)))?;
    let gt = inner.find('>').ok_or_else(|| syntax(name, s.len()))?;
    let uri_str = inner.get(..gt).unwrap_or("");
    let uri = Uri::parse_in(value, uri_str).map_err(|e| e.shifted(at(s, uri_str)))?;
    let rest = inner.get(gt + 1..).unwrap_or("");
    Ok((uri, params_after(value, rest)?))
}

// ---------------------------------------------------------------------------------------------
// Content description and negotiation
// ---------------------------------------------------------------------------------------------

simple_header!(
    /// One Content-Encoding value (`gzip`; compact form `e`).
    ContentEncoding, ContentEncoding, "Content-Encoding", list = true, grammar::is_token
);

simple_header!(
    /// One Content-Language value, a language tag (`en`, `fr-CA`).
    ContentLanguage, ContentLanguage, "Content-Language", list = true, is_language
);

token_params_header!(
    /// The Content-Disposition header (RFC 3261 §20.11): `session`, `render`, `icon`, `alert`,
    /// `signal`, `by-reference`… with `handling` and other parameters.
    ContentDisposition, disposition, ContentDisposition, "Content-Disposition", list = false
);

impl ContentDisposition {
    /// `session`: the body describes a session (SDP).
    pub fn session() -> Self {
        ContentDisposition::new("session")
    }

    /// `render`: the body is shown to the user.
    pub fn render() -> Self {
        ContentDisposition::new("render")
    }

    /// True when the disposition type is `disposition` (ASCII case-insensitive).
    pub fn is(&self, disposition: &str) -> bool {
        self.disposition.eq_ignore_ascii_case(disposition)
    }

    /// The `handling` parameter (`optional` or `required`).
    pub fn handling(&self) -> Option<&str> {
        self.params.raw_value("handling")
    }

    /// True when `handling=optional`: a recipient that does not understand the body may
    /// ignore it (the default is `required`).
    pub fn is_optional(&self) -> bool {
        self.handling()
            .is_some_and(|h| h.eq_ignore_ascii_case("optional"))
    }

    /// Sets the `handling` parameter.
    pub fn set_handling(&mut self, handling: &str) {
        self.params.set("handling", Some(handling));
    }

    fn check(&self, value: &ByteString) -> Result<(), ParseError> {
        match self.params.get("handling") {
            Some(p) if !p.raw_value().is_some_and(grammar::is_token) => Err(syntax(
                "Content-Disposition",
                p.raw_value().map_or(0, |v| at(value, v)),
            )),
            _ => Ok(()),
        }
    }
}

/// The Allow header: one method per element.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Allow(pub Method);

impl TypedHeader for Allow {
    const NAME: HeaderName = HeaderName::Allow;
    const NAME_STR: &'static str = "Allow";
    const LIST: bool = true;

    fn parse_value(value: &ByteString) -> Result<Self, ParseError> {
        let v = trim_lws(value);
        if !grammar::is_token(v) {
            return Err(syntax("Allow", at(value, v)));
        }
        Ok(Allow(Method::from_bytestring(value.slice_ref(v))))
    }

    fn write_value(&self, out: &mut String) {
        out.push_str(self.0.as_str());
    }
}

impl fmt::Display for Allow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

simple_header!(
    /// One Supported option tag (`100rel`, `timer`, `replaces`; compact form `k`).
    Supported, Supported, "Supported", list = true, grammar::is_token
);
simple_header!(
    /// One Require option tag.
    Require, Require, "Require", list = true, grammar::is_token
);
simple_header!(
    /// One Proxy-Require option tag.
    ProxyRequire, ProxyRequire, "Proxy-Require", list = true, grammar::is_token
);
simple_header!(
    /// One Unsupported option tag (in a 420 response).
    Unsupported, Unsupported, "Unsupported", list = true, grammar::is_token
);

/// One Accept value: a media range (`application/sdp`, `text/*`, `*/*`) with parameters,
/// among them the `q` weight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accept(pub MediaType);

impl Accept {
    /// A media range without parameters (`"application/sdp"`, `"*/*"`).
    pub fn new(mtype: &str, subtype: &str) -> Self {
        Accept(MediaType::new(mtype, subtype))
    }

    /// The `q` weight in thousandths (`q=0.5` → 500); `None` when absent (meaning 1000).
    pub fn q(&self) -> Option<u16> {
        self.0.params.raw_value("q").and_then(qvalue)
    }

    /// True when the range covers `media` (wildcards included; parameters ignored).
    pub fn matches(&self, media: &MediaType) -> bool {
        let r = &self.0;
        (&*r.mtype == "*" || r.mtype.eq_ignore_ascii_case(&media.mtype))
            && (&*r.subtype == "*" || r.subtype.eq_ignore_ascii_case(&media.subtype))
    }
}

impl TypedHeader for Accept {
    const NAME: HeaderName = HeaderName::Accept;
    const NAME_STR: &'static str = "Accept";
    const LIST: bool = true;

    fn parse_value(value: &ByteString) -> Result<Self, ParseError> {
        let m = MediaType::parse_in(value, value, Element::HeaderValue("Accept"))?;
        if &*m.mtype == "*" && &*m.subtype != "*" {
            return Err(syntax("Accept", at(value, &m.subtype)));
        }
        check_q(value, &m.params, "Accept")?;
        Ok(Accept(m))
    }

    fn write_value(&self, out: &mut String) {
        let _ = write!(out, "{}", self.0);
    }
}

impl fmt::Display for Accept {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

token_params_header!(
    /// One Accept-Encoding value: a content coding or `*`, with an optional `q`.
    AcceptEncoding, coding, AcceptEncoding, "Accept-Encoding", list = true
);

impl AcceptEncoding {
    /// The `q` weight in thousandths; `None` when absent.
    pub fn q(&self) -> Option<u16> {
        self.params.raw_value("q").and_then(qvalue)
    }

    fn check(&self, value: &ByteString) -> Result<(), ParseError> {
        check_q(value, &self.params, "Accept-Encoding")
    }
}

token_params_header!(
    /// One Accept-Language value: a language range (`da`, `en-gb`, `*`) with an optional `q`.
    AcceptLanguage, range, AcceptLanguage, "Accept-Language", list = true
);

impl AcceptLanguage {
    /// The `q` weight in thousandths; `None` when absent.
    pub fn q(&self) -> Option<u16> {
        self.params.raw_value("q").and_then(qvalue)
    }

    fn check(&self, value: &ByteString) -> Result<(), ParseError> {
        if &*self.range != "*" && !is_language(&self.range) {
            return Err(syntax("Accept-Language", at(value, &self.range)));
        }
        check_q(value, &self.params, "Accept-Language")
    }
}

// ---------------------------------------------------------------------------------------------
// Authentication
// ---------------------------------------------------------------------------------------------

/// Credentials of an Authorization or Proxy-Authorization value: digest credentials, or
/// another scheme kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthCredentials {
    /// `Digest …` credentials.
    Digest(DigestResponse),
    /// Another scheme (`Basic`, `Bearer`…), kept as written.
    Other {
        /// The auth-scheme.
        scheme: ByteString,
        /// What follows the scheme (token68 or parameters), LWS trimmed; may be empty.
        rest: ByteString,
    },
}

impl AuthCredentials {
    /// The auth-scheme (`Digest` for digest credentials).
    pub fn scheme(&self) -> &str {
        match self {
            AuthCredentials::Digest(_) => "Digest",
            AuthCredentials::Other { scheme, .. } => scheme,
        }
    }

    /// The digest credentials, if these are.
    pub fn as_digest(&self) -> Option<&DigestResponse> {
        match self {
            AuthCredentials::Digest(d) => Some(d),
            AuthCredentials::Other { .. } => None,
        }
    }

    fn parse_in(value: &ByteString, name: &'static str) -> Result<Self, ParseError> {
        let s: &str = value;
        let t = trim_start(s);
        let (rest, scheme) = grammar::token(t).map_err(|_| syntax(name, at(s, t)))?;
        if scheme.eq_ignore_ascii_case("Digest") {
            return DigestResponse::parse(s).map(AuthCredentials::Digest);
        }
        if !rest.is_empty() && !rest.starts_with(is_lws) {
            return Err(syntax(name, at(s, rest)));
        }
        Ok(AuthCredentials::Other {
            scheme: value.slice_ref(scheme),
            rest: value.slice_ref(trim_lws(rest)),
        })
    }
}

impl fmt::Display for AuthCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthCredentials::Digest(d) => d.fmt(f),
            AuthCredentials::Other { scheme, rest } if rest.is_empty() => f.write_str(scheme),
            AuthCredentials::Other { scheme, rest } => write!(f, "{scheme} {rest}"),
        }
    }
}

impl From<DigestResponse> for AuthCredentials {
    fn from(d: DigestResponse) -> Self {
        AuthCredentials::Digest(d)
    }
}

macro_rules! auth_header {
    ($(#[$doc:meta])* $ty:ident, $inner:ty, $name:ident, $name_str:literal, $parse:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $ty(pub $inner);

        impl TypedHeader for $ty {
            const NAME: HeaderName = HeaderName::$name;
            const NAME_STR: &'static str = $name_str;

            fn parse_value(value: &ByteString) -> Result<Self, ParseError> {
                let parse: fn(&ByteString) -> Result<$inner, ParseError> = $parse;
                parse(value).map($ty)
            }

            fn write_value(&self, out: &mut String) {
                let _ = write!(out, "{}", self.0);
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$inner> for $ty {
            fn from(v: $inner) -> Self {
                $ty(v)
            }
        }
    };
}

auth_header!(
    /// The Authorization header: credentials for the UAS or registrar.
    Authorization, AuthCredentials, Authorization, "Authorization",
    |v| AuthCredentials::parse_in(v, "Authorization")
);
auth_header!(
    /// The Proxy-Authorization header: credentials for a proxy.
    ProxyAuthorization, AuthCredentials, ProxyAuthorization, "Proxy-Authorization",
    |v| AuthCredentials::parse_in(v, "Proxy-Authorization")
);
auth_header!(
    /// The WWW-Authenticate header: one challenge per header line (its commas separate the
    /// challenge's parameters, so it is not split as a list).
    WwwAuthenticate, Challenge, WwwAuthenticate, "WWW-Authenticate",
    |v| Challenge::parse(v)
);
auth_header!(
    /// The Proxy-Authenticate header: one challenge per header line.
    ProxyAuthenticate, Challenge, ProxyAuthenticate, "Proxy-Authenticate",
    |v| Challenge::parse(v)
);

/// The Authentication-Info header is the digest module's [`AuthenticationInfo`].
impl TypedHeader for AuthenticationInfo {
    const NAME: HeaderName = HeaderName::AuthenticationInfo;
    const NAME_STR: &'static str = "Authentication-Info";

    fn parse_value(value: &ByteString) -> Result<Self, ParseError> {
        AuthenticationInfo::parse(value)
    }

    fn write_value(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

// ---------------------------------------------------------------------------------------------
// Events (RFC 6665)
// ---------------------------------------------------------------------------------------------

token_params_header!(
    /// The Event header (compact form `o`): an event type (`presence`, `dialog`,
    /// `presence.winfo`) with an `id` and other parameters.
    Event, event_type, Event, "Event", list = false
);

impl Event {
    /// Builder: sets the `id` parameter.
    #[must_use]
    pub fn with_id(mut self, id: &str) -> Self {
        self.params.set("id", Some(&token_or_quote(id)));
        self
    }

    /// The event package (the part before the first `.`).
    pub fn package(&self) -> &str {
        self.event_type.split('.').next().unwrap_or("")
    }

    /// The event templates (`winfo` of `presence.winfo`).
    pub fn templates(&self) -> impl Iterator<Item = &str> {
        self.event_type.split('.').skip(1)
    }

    /// The `id` parameter.
    pub fn id(&self) -> Option<&str> {
        self.params.raw_value("id")
    }

    fn check(&self, value: &ByteString) -> Result<(), ParseError> {
        if !is_event_type(&self.event_type) {
            return Err(syntax("Event", at(value, &self.event_type)));
        }
        Ok(())
    }
}

simple_header!(
    /// One Allow-Events value, an event type (compact form `u`).
    AllowEvents, AllowEvents, "Allow-Events", list = true, is_event_type
);

/// The state of a subscription.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SubState {
    /// `active`.
    Active,
    /// `pending`.
    Pending,
    /// `terminated`.
    Terminated,
    /// An extension state, as written.
    Other(ByteString),
}

impl SubState {
    /// The state token.
    pub fn as_str(&self) -> &str {
        match self {
            SubState::Active => "active",
            SubState::Pending => "pending",
            SubState::Terminated => "terminated",
            SubState::Other(s) => s,
        }
    }

    fn from_token(src: &ByteString, t: &str) -> SubState {
        if t.eq_ignore_ascii_case("active") {
            SubState::Active
        } else if t.eq_ignore_ascii_case("pending") {
            SubState::Pending
        } else if t.eq_ignore_ascii_case("terminated") {
            SubState::Terminated
        } else {
            SubState::Other(src.slice_ref(t))
        }
    }
}

impl fmt::Display for SubState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Subscription-State header (RFC 6665 §8.2.3): the state with `reason`, `expires` and
/// `retry-after` parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionState {
    /// The state.
    pub state: SubState,
    /// The parameters.
    pub params: Params,
}

impl SubscriptionState {
    /// `active;expires=<secs>`.
    pub fn active(expires: u32) -> Self {
        let mut params = Params::new();
        params.set("expires", Some(&expires.to_string()));
        SubscriptionState {
            state: SubState::Active,
            params,
        }
    }

    /// `pending;expires=<secs>`.
    pub fn pending(expires: u32) -> Self {
        let mut s = SubscriptionState::active(expires);
        s.state = SubState::Pending;
        s
    }

    /// `terminated[;reason=<reason>]` (`timeout`, `rejected`, `noresource`…).
    pub fn terminated(reason: Option<&str>) -> Self {
        let mut params = Params::new();
        if let Some(r) = reason {
            params.set("reason", Some(r));
        }
        SubscriptionState {
            state: SubState::Terminated,
            params,
        }
    }

    /// True for `terminated`.
    pub fn is_terminated(&self) -> bool {
        self.state == SubState::Terminated
    }

    /// The `reason` parameter (`deactivated`, `probation`, `rejected`, `timeout`, `giveup`,
    /// `noresource`, `invariant`).
    pub fn reason(&self) -> Option<&str> {
        self.params.raw_value("reason")
    }

    /// The `expires` parameter in seconds.
    pub fn expires(&self) -> Option<u32> {
        self.params
            .raw_value("expires")
            .and_then(|v| v.parse().ok())
    }

    /// The `retry-after` parameter in seconds.
    pub fn retry_after(&self) -> Option<u32> {
        self.params
            .raw_value("retry-after")
            .and_then(|v| v.parse().ok())
    }
}

impl TypedHeader for SubscriptionState {
    const NAME: HeaderName = HeaderName::SubscriptionState;
    const NAME_STR: &'static str = "Subscription-State";

    fn parse_value(value: &ByteString) -> Result<Self, ParseError> {
        let name = "Subscription-State";
        let (tok, params) = token_then_params(value, name)?;
        check_delta_param(value, &params, "expires", name)?;
        check_delta_param(value, &params, "retry-after", name)?;
        Ok(SubscriptionState {
            state: SubState::from_token(value, tok),
            params,
        })
    }

    fn write_value(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl fmt::Display for SubscriptionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.state, self.params)
    }
}

// ---------------------------------------------------------------------------------------------
// REFER (RFC 3515, RFC 3891, RFC 3892, RFC 4488)
// ---------------------------------------------------------------------------------------------

name_addr_header!(
    /// The Refer-To header (compact form `r`). The URI may carry a `?Replaces=` header for
    /// attended transfer; see [`ReferTo::replaces`].
    ReferTo, ReferTo, "Refer-To", false
);

impl ReferTo {
    /// A Refer-To for `target` whose URI carries `replaces` as its `Replaces` header (attended
    /// transfer, RFC 3891 §7).
    pub fn with_replaces(mut target: SipUri, replaces: &Replaces) -> Self {
        target.push_header("Replaces", &replaces.to_string());
        ReferTo::new(NameAddr::new(target))
    }

    /// The `Replaces` header embedded in the URI, decoded and parsed; `None` when absent.
    pub fn replaces(&self) -> Option<Result<Replaces, ParseError>> {
        let sip = self.uri().as_sip()?;
        let (_, raw) = sip
            .headers()
            .find(|(n, _)| n.eq_ignore_ascii_case("Replaces"))?;
        Some(match percent_decode(raw) {
            Some(decoded) => Replaces::parse_value(&ByteString::from(decoded.into_owned())),
            None => Err(ParseError::syntax(Element::Escape, 0)),
        })
    }
}

name_addr_header!(
    /// The Referred-By header (RFC 3892; compact form `b`).
    ReferredBy, ReferredBy, "Referred-By", false
);

impl ReferredBy {
    /// The `cid` parameter (the Content-ID of the signed Referred-By token), unquoted.
    pub fn cid(&self) -> Option<Cow<'_, str>> {
        self.params.value("cid")
    }
}

/// The Replaces header (RFC 3891): the dialog to replace, by Call-ID, tags and `early-only`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaces {
    /// The Call-ID of the dialog.
    pub call_id: ByteString,
    /// `to-tag`, `from-tag`, `early-only` and extension parameters.
    pub params: Params,
}

impl Replaces {
    /// `call-id;to-tag=…;from-tag=…`.
    pub fn new(call_id: &str, to_tag: &str, from_tag: &str) -> Self {
        let mut params = Params::new();
        params.set("to-tag", Some(to_tag));
        params.set("from-tag", Some(from_tag));
        Replaces {
            call_id: ByteString::from(call_id),
            params,
        }
    }

    /// Builder: adds the `early-only` flag.
    #[must_use]
    pub fn with_early_only(mut self) -> Self {
        self.params.set("early-only", None);
        self
    }

    /// The `to-tag` parameter.
    pub fn to_tag(&self) -> &str {
        self.params.raw_value("to-tag").unwrap_or("")
    }

    /// The `from-tag` parameter.
    pub fn from_tag(&self) -> &str {
        self.params.raw_value("from-tag").unwrap_or("")
    }

    /// True when `early-only` is present.
    pub fn early_only(&self) -> bool {
        self.params.contains("early-only")
    }
}

impl TypedHeader for Replaces {
    const NAME: HeaderName = HeaderName::Replaces;
    const NAME_STR: &'static str = "Replaces";

    fn parse_value(value: &ByteString) -> Result<Self, ParseError> {
        let s: &str = value;
        let t = trim_start(s);
        let end = t.find([';', ' ', '\t']).unwrap_or(t.len());
        let call_id = t.get(..end).unwrap_or("");
        if !is_call_id(call_id) {
            return Err(syntax("Replaces", at(s, t)));
        }
        let rest = t.get(end..).unwrap_or("");
        let params = params_after(value, rest)?;
        for tag in ["to-tag", "from-tag"] {
            if params.raw_value(tag).is_none_or(str::is_empty) {
                return Err(syntax("Replaces", at(s, rest)));
            }
        }
        Ok(Replaces {
            call_id: value.slice_ref(call_id),
            params,
        })
    }

    fn write_value(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl fmt::Display for Replaces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.call_id, self.params)
    }
}

/// The Refer-Sub header (RFC 4488): `false` asks for a REFER without implicit subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferSub {
    /// The value.
    pub value: bool,
    /// Extension parameters.
    pub params: Params,
}

impl ReferSub {
    /// A value without parameters.
    pub fn new(value: bool) -> Self {
        ReferSub {
            value,
            params: Params::new(),
        }
    }
}

impl TypedHeader for ReferSub {
    const NAME: HeaderName = HeaderName::ReferSub;
    const NAME_STR: &'static str = "Refer-Sub";

    fn parse_value(value: &ByteString) -> Result<Self, ParseError> {
        let (tok, params) = token_then_params(value, "Refer-Sub")?;
        let v = if tok.eq_ignore_ascii_case("true") {
            true
        } else if tok.eq_ignore_ascii_case("false") {
            false
        } else {
            return Err(syntax("Refer-Sub", at(value, tok)));
        };
        Ok(ReferSub { value: v, params })
    }

    fn write_value(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl fmt::Display for ReferSub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.value, self.params)
    }
}

// ---------------------------------------------------------------------------------------------
// Publication (RFC 3903)
// ---------------------------------------------------------------------------------------------

simple_header!(
    /// The SIP-ETag header: the entity tag a PUBLISH created or refreshed.
    SipETag, SipETag, "SIP-ETag", list = false, grammar::is_token
);
simple_header!(
    /// The SIP-If-Match header: the entity tag a PUBLISH refreshes, modifies or removes.
    SipIfMatch, SipIfMatch, "SIP-If-Match", list = false, grammar::is_token
);

// ---------------------------------------------------------------------------------------------
// Informational text headers
// ---------------------------------------------------------------------------------------------

/// One element of a User-Agent or Server value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerVal<'a> {
    /// `product [ "/" product-version ]`.
    Product {
        /// The product name.
        name: &'a str,
        /// The version, if given.
        version: Option<&'a str>,
    },
    /// A parenthesized comment, without the outer parentheses.
    Comment(&'a str),
}

/// Splits a User-Agent or Server value into products and comments (best effort: text that is
/// not well formed is returned as products split at whitespace).
fn server_vals(s: &str) -> Vec<ServerVal<'_>> {
    let mut out = Vec::new();
    let mut rest = trim_start(s);
    while !rest.is_empty() {
        if rest.starts_with('(') {
            match comment(rest) {
                Some((inner, after)) => {
                    out.push(ServerVal::Comment(inner));
                    rest = after;
                }
                None => {
                    out.push(ServerVal::Comment(rest.get(1..).unwrap_or("")));
                    rest = "";
                }
            }
        } else {
            let end = rest
                .find([' ', '\t', '\r', '\n', '('])
                .unwrap_or(rest.len());
            let word = rest.get(..end).unwrap_or("");
            let (name, version) = match word.split_once('/') {
                Some((n, v)) => (n, Some(v)),
                None => (word, None),
            };
            out.push(ServerVal::Product { name, version });
            rest = rest.get(end..).unwrap_or("");
        }
        rest = trim_start(rest);
    }
    out
}

simple_header!(
    /// The User-Agent header, as free text; [`UserAgent::products`] splits it.
    UserAgent, UserAgent, "User-Agent", list = false, |v| !v.is_empty() && is_text(v)
);
simple_header!(
    /// The Server header, as free text; [`Server::products`] splits it.
    Server, Server, "Server", list = false, |v| !v.is_empty() && is_text(v)
);

impl UserAgent {
    /// The product tokens and comments (`sipsimple/5.0 (Linux)`).
    pub fn products(&self) -> Vec<ServerVal<'_>> {
        server_vals(&self.0)
    }
}

impl Server {
    /// The product tokens and comments.
    pub fn products(&self) -> Vec<ServerVal<'_>> {
        server_vals(&self.0)
    }
}

simple_header!(
    /// The Subject header (compact form `s`); may be empty.
    Subject, Subject, "Subject", list = false, is_text
);
simple_header!(
    /// The Organization header; may be empty.
    Organization, Organization, "Organization", list = false, is_text
);
simple_header!(
    /// One In-Reply-To value: the Call-ID of a call being returned.
    InReplyTo, InReplyTo, "In-Reply-To", list = true, is_call_id
);
simple_header!(
    /// The Content-ID header (RFC 2045 `msg-id`, `<id@host>`), referenced by `cid:` URIs and
    /// the `start` parameter of multipart/related.
    ContentId, ContentId, "Content-ID", list = false, |v| {
        let ok_chars = !v.is_empty() && v.bytes().all(|c| c.is_ascii_graphic());
        let bracketed = v.starts_with('<') == v.ends_with('>') && v != "<>" && v != "<" && v != ">";
        ok_chars && bracketed
    }
);

impl ContentId {
    /// A Content-ID for `id`, written within angle brackets.
    pub fn from_id(id: &str) -> Self {
        ContentId(ByteString::from(format!("<{id}>")))
    }

    /// The id without angle brackets.
    pub fn id(&self) -> &str {
        strip_angles(&self.0)
    }
}

/// `id` without the angle brackets of a `msg-id` (and without quotes around it).
pub(crate) fn strip_angles(id: &str) -> &str {
    let id = id.trim();
    id.strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .unwrap_or(id)
}

/// The MIME-Version header (`1.0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MimeVersion {
    /// Major number.
    pub major: u32,
    /// Minor number.
    pub minor: u32,
}

impl MimeVersion {
    /// `1.0`.
    pub const V1_0: MimeVersion = MimeVersion { major: 1, minor: 0 };
}

impl TypedHeader for MimeVersion {
    const NAME: HeaderName = HeaderName::MimeVersion;
    const NAME_STR: &'static str = "MIME-Version";

    fn parse_value(value: &ByteString) -> Result<Self, ParseError> {
        let name = "MIME-Version";
        let v = trim_lws(value);
        let (ma, mi) = v
            .split_once('.')
            .ok_or_else(|| syntax(name, at(value, v)))?;
        Ok(MimeVersion {
            major: delta_seconds(ma, name, at(value, ma))?,
            minor: delta_seconds(mi, name, at(value, mi))?,
        })
    }

    fn write_value(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl fmt::Display for MimeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

// ---------------------------------------------------------------------------------------------
// Date and Timestamp
// ---------------------------------------------------------------------------------------------

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Weekday {
    /// Monday.
    Mon,
    /// Tuesday.
    Tue,
    /// Wednesday.
    Wed,
    /// Thursday.
    Thu,
    /// Friday.
    Fri,
    /// Saturday.
    Sat,
    /// Sunday.
    Sun,
}

const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl Weekday {
    /// The three-letter name (`Mon`).
    pub fn as_str(self) -> &'static str {
        match self {
            Weekday::Mon => "Mon",
            Weekday::Tue => "Tue",
            Weekday::Wed => "Wed",
            Weekday::Thu => "Thu",
            Weekday::Fri => "Fri",
            Weekday::Sat => "Sat",
            Weekday::Sun => "Sun",
        }
    }

    fn from_abbr(s: &str) -> Option<Weekday> {
        WEEKDAYS
            .into_iter()
            .find(|w| w.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for Weekday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let (m, d) = (i64::from(month), i64::from(day));
    let y = if m <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let shifted_month = (m + 9) % 12; // March = 0
    let day_of_year = (153 * shifted_month + 2) / 5 + d - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month as u8, day as u8)
}

fn weekday_of(days: i64) -> Weekday {
    // 1970-01-01 was a Thursday (index 3 from Monday).
    WEEKDAYS[(days + 3).rem_euclid(7) as usize]
}

/// The Date header (RFC 3261 §20.17): an RFC 1123 date in GMT, `Sat, 13 Nov 2010 23:29:00 GMT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Date {
    /// The day of the week, as written.
    pub weekday: Weekday,
    /// Day of the month, 1–31.
    pub day: u8,
    /// Month, 1 (January) – 12.
    pub month: u8,
    /// Year (four digits).
    pub year: u16,
    /// Hour, 0–23.
    pub hour: u8,
    /// Minute, 0–59.
    pub minute: u8,
    /// Second, 0–60 (60 for a leap second).
    pub second: u8,
}

impl Date {
    /// A date from its fields (the weekday is computed); `None` when a field is out of range.
    pub fn new(year: u16, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Option<Date> {
        if year > 9999
            || !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return None;
        }
        Some(Date {
            weekday: weekday_of(days_from_civil(i64::from(year), month, day)),
            day,
            month,
            year,
            hour,
            minute,
            second,
        })
    }

    /// The date of a Unix time (seconds since 1970-01-01T00:00:00Z); `None` past year 9999.
    pub fn from_unix(secs: u64) -> Option<Date> {
        let days = i64::try_from(secs / 86_400).ok()?;
        let rem = secs % 86_400;
        let (year, month, day) = civil_from_days(days);
        Date::new(
            u16::try_from(year).ok()?,
            month,
            day,
            (rem / 3600) as u8,
            (rem % 3600 / 60) as u8,
            (rem % 60) as u8,
        )
    }

    /// The Unix time of this date (a leap second counts as the next second).
    pub fn to_unix(&self) -> i64 {
        days_from_civil(i64::from(self.year), self.month, self.day) * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// The date of a system time; `None` before 1970 or past year 9999.
    pub fn from_system_time(t: std::time::SystemTime) -> Option<Date> {
        let secs = t.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
        Date::from_unix(secs)
    }

    /// The current date.
    pub fn now() -> Option<Date> {
        Date::from_system_time(std::time::SystemTime::now())
    }

    /// This date as a system time; `None` before 1970.
    pub fn to_system_time(&self) -> Option<std::time::SystemTime> {
        let secs = u64::try_from(self.to_unix()).ok()?;
        std::time::UNIX_EPOCH.checked_add(std::time::Duration::from_secs(secs))
    }

    /// True when the written weekday is the weekday of the date.
    pub fn weekday_is_consistent(&self) -> bool {
        self.weekday == weekday_of(days_from_civil(i64::from(self.year), self.month, self.day))
    }

    /// The three-letter month name (`Nov`).
    pub fn month_name(&self) -> &'static str {
        MONTHS
            .get(usize::from(self.month).wrapping_sub(1))
            .copied()
            .unwrap_or("???")
    }
}

fn fixed_digits(s: &str, min: usize, max: usize) -> Option<u16> {
    if s.len() < min || s.len() > max || !is_digits(s) {
        return None;
    }
    s.parse().ok()
}

impl TypedHeader for Date {
    const NAME: HeaderName = HeaderName::Date;
    const NAME_STR: &'static str = "Date";

    fn parse_value(value: &ByteString) -> Result<Self, ParseError> {
        let name = "Date";
        let s: &str = value;
        let t = trim_lws(s);
        let comma = t.find(',').ok_or_else(|| syntax(name, at(s, t)))?;
        let wk = t.get(..comma).unwrap_or("");
        let weekday = Weekday::from_abbr(wk).ok_or_else(|| syntax(name, at(s, t)))?;
        let rest = t.get(comma + 1..).unwrap_or("");
        if !rest.starts_with([' ', '\t']) {
            return Err(syntax(name, at(s, rest)));
        }
        let fields: Vec<&str> = rest.split_ascii_whitespace().collect();
        let [day_s, mon_s, year_s, time_s, zone] = fields[..] else {
            return Err(syntax(name, at(s, rest)));
        };
        let day = fixed_digits(day_s, 1, 2).ok_or_else(|| syntax(name, at(s, day_s)))?;
        let month = MONTHS
            .iter()
            .position(|m| m.eq_ignore_ascii_case(mon_s))
            .ok_or_else(|| syntax(name, at(s, mon_s)))?;
        let year = fixed_digits(year_s, 4, 4).ok_or_else(|| syntax(name, at(s, year_s)))?;
        let hms: Vec<&str> = time_s.split(':').collect();
        let [h, m, sec] = hms[..] else {
            return Err(syntax(name, at(s, time_s)));
        };
        let mut clock = [0u16; 3];
        for (slot, part) in clock.iter_mut().zip([h, m, sec]) {
            *slot = fixed_digits(part, 2, 2).ok_or_else(|| syntax(name, at(s, part)))?;
        }
        if zone != "GMT" {
            return Err(syntax(name, at(s, zone)));
        }
        let narrow = |v: u16| u8::try_from(v).unwrap_or(u8::MAX);
        let date = Date::new(
            year,
            month as u8 + 1,
            narrow(day),
            narrow(clock[0]),
            narrow(clock[1]),
            narrow(clock[2]),
        )
        .ok_or_else(|| out_of_range(name, at(s, day_s)))?;
        Ok(Date { weekday, ..date })
    }

    fn write_value(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
            self.weekday,
            self.day,
            self.month_name(),
            self.year,
            self.hour,
            self.minute,
            self.second
        )
    }
}

/// Checks `1*DIGIT [ "." *DIGIT ]` (or `*DIGIT [ "." *DIGIT ]` when `int_optional`); the
/// integer part must fit a `u64`.
fn check_decimal(
    s: &str,
    int_optional: bool,
    name: &'static str,
    off: usize,
) -> Result<(), ParseError> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits_ok = |d: &str| d.bytes().all(|c| c.is_ascii_digit());
    if (int.is_empty() && !int_optional) || !digits_ok(int) || !digits_ok(frac) {
        return Err(syntax(name, off));
    }
    if !int.is_empty() && int.parse::<u64>().is_err() {
        return Err(out_of_range(name, off));
    }
    Ok(())
}

/// The Timestamp header (RFC 3261 §20.38): the request time with an optional delay, both
/// decimal numbers of seconds kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timestamp {
    /// The time, as written (`54.16`).
    pub time: ByteString,
    /// The delay, as written, if any.
    pub delay: Option<ByteString>,
}

impl Timestamp {
    /// A timestamp in seconds, written with millisecond precision (negative or non-finite
    /// values become 0, values above 10¹⁸ are clamped).
    pub fn from_secs(secs: f64) -> Self {
        Timestamp {
            time: ByteString::from(format_decimal(secs)),
            delay: None,
        }
    }

    /// Builder: sets the delay in seconds.
    #[must_use]
    pub fn with_delay(mut self, secs: f64) -> Self {
        self.delay = Some(ByteString::from(format_decimal(secs)));
        self
    }

    /// The time in seconds.
    pub fn time_secs(&self) -> f64 {
        decimal_value(&self.time)
    }

    /// The delay in seconds.
    pub fn delay_secs(&self) -> Option<f64> {
        self.delay.as_deref().map(decimal_value)
    }
}

fn format_decimal(secs: f64) -> String {
    // Clamped so that the integer part always fits the `u64` the parser accepts.
    let v = if secs.is_finite() && secs > 0.0 {
        secs.min(1e18)
    } else {
        0.0
    };
    format!("{v:.3}")
}

fn decimal_value(s: &str) -> f64 {
    if s.starts_with('.') {
        format!("0{s}").parse().unwrap_or(0.0)
    } else {
        s.parse().unwrap_or(0.0)
    }
}

impl TypedHeader for Timestamp {
    const NAME: HeaderName = HeaderName::Timestamp;
    const NAME_STR: &'static str = "Timestamp";

    fn parse_value(value: &ByteString) -> Result<Self, ParseError> {
        let name = "Timestamp";
        let t = trim_lws(value);
        let end = t.find(is_lws).unwrap_or(t.len());
        let time = t.get(..end).unwrap_or("");
        check_decimal(time, false, name, at(value, t))?;
        let delay = trim_lws(t.get(end..).unwrap_or(""));
        let delay = if delay.is_empty() {
            None
        } else {
            check_decimal(delay, true, name, at(value, delay))?;
            Some(value.slice_ref(delay))
        };
        Ok(Timestamp {
            time: value.slice_ref(time),
            delay,
        })
    }

    fn write_value(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.time)?;
        if let Some(d) = &self.delay {
            write!(f, " {d}")?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Retry-After, Warning, Reason, Priority
// ---------------------------------------------------------------------------------------------

/// The Retry-After header (RFC 3261 §20.33): seconds, an optional comment and a `duration`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryAfter {
    /// Seconds to wait.
    pub seconds: u32,
    /// The comment without its parentheses, as written.
    pub comment: Option<ByteString>,
    /// The parameters (`duration` and others).
    pub params: Params,
}

impl RetryAfter {
    /// A value of `seconds`, without comment or parameters.
    pub fn new(seconds: u32) -> Self {
        RetryAfter {
            seconds,
            comment: None,
            params: Params::new(),
        }
    }

    /// The `duration` parameter in seconds: how long the callee will be available.
    pub fn duration(&self) -> Option<u32> {
        self.params
            .raw_value("duration")
            .and_then(|v| v.parse().ok())
    }
}

impl TypedHeader for RetryAfter {
    const NAME: HeaderName = HeaderName::RetryAfter;
    const NAME_STR: &'static str = "Retry-After";

    fn parse_value(value: &ByteString) -> Result<Self, ParseError> {
        let name = "Retry-After";
        let s: &str = value;
        let t = trim_start(s);
        let n = t.bytes().take_while(u8::is_ascii_digit).count();
        let seconds = delta_seconds(t.get(..n).unwrap_or(""), name, at(s, t))?;
        let mut rest = t.get(n..).unwrap_or("");
        let mut com = None;
        let r = trim_start(rest);
        if r.starts_with('(') {
            let (inner, after) = comment(r).ok_or_else(|| syntax(name, at(s, r)))?;
            com = Some(value.slice_ref(inner));
            rest = after;
        }
        let params = params_after(value, rest)?;
        check_delta_param(value, &params, "duration", name)?;
        Ok(RetryAfter {
            seconds,
            comment: com,
            params,
        })
    }

    fn write_value(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl fmt::Display for RetryAfter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.seconds)?;
        if let Some(c) = &self.comment {
            write!(f, " ({c})")?;
        }
        write!(f, "{}", self.params)
    }
}

/// One Warning value (RFC 3261 §20.43): code, agent and text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Warning {
    /// The three-digit warn-code (`301`–`399` in RFC 3261).
    pub code: u16,
    /// The warn-agent: `host[:port]` or a pseudonym.
    pub agent: ByteString,
    /// The warn-text as written, a quoted-string; see [`Warning::text`].
    pub quoted_text: ByteString,
}

impl Warning {
    /// A warning; `text` is quoted for you.
    pub fn new(code: u16, agent: &str, text: &str) -> Self {
        Warning {
            code,
            agent: ByteString::from(agent),
            quoted_text: ByteString::from(quote(text)),
        }
    }

    /// The warn-text, unquoted.
    pub fn text(&self) -> Cow<'_, str> {
        unquote(&self.quoted_text)
    }
}

impl TypedHeader for Warning {
    const NAME: HeaderName = HeaderName::Warning;
    const NAME_STR: &'static str = "Warning";
    const LIST: bool = true;

    fn parse_value(value: &ByteString) -> Result<Self, ParseError> {
        let name = "Warning";
        let s: &str = value;
        let t = trim_start(s);
        let n = t.bytes().take_while(u8::is_ascii_digit).count();
        if n > 3 {
            return Err(out_of_range(name, at(s, t)));
        }
        let code_s = t.get(..n).unwrap_or("");
        if n != 3 {
            return Err(syntax(name, at(s, t)));
        }
        let code: u16 = code_s.parse().map_err(|_| syntax(name, at(s, t)))?;
        let rest = t.get(n..).unwrap_or("");
        let r = trim_start(rest);
        if r.len() == rest.len() {
            return Err(syntax(name, at(s, rest)));
        }
        let end = r.find(is_lws).ok_or_else(|| syntax(name, s.len()))?;
        let agent = r.get(..end).unwrap_or("");
        let host_ok = split_host_port(agent)
            .ok()
            .is_some_and(|(h, _)| Host::parse(h).is_ok());
        if !host_ok && !grammar::is_token(agent) {
            return Err(syntax(name, at(s, agent)));
        }
        let after = trim_start(r.get(end..).unwrap_or(""));
        let (q, tail) = quoted_string(after).ok_or_else(|| syntax(name, at(s, after)))?;
        if !trim_lws(tail).is_empty() {
            return Err(syntax(name, at(s, tail)));
        }
        Ok(Warning {
            code,
            agent: value.slice_ref(agent),
            quoted_text: value.slice_ref(q),
        })
    }

    fn write_value(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03} {} {}", self.code, self.agent, self.quoted_text)
    }
}

token_params_header!(
    /// One Reason value (RFC 3326): a protocol (`SIP`, `Q.850`) with `cause` and `text`
    /// parameters.
    Reason, protocol, Reason, "Reason", list = true
);

impl Reason {
    /// `SIP;cause=<code>;text="<text>"`.
    pub fn sip(code: u16, text: Option<&str>) -> Self {
        Reason::with_cause("SIP", code, text)
    }

    /// `Q.850;cause=<cause>;text="<text>"`.
    pub fn q850(cause: u16, text: Option<&str>) -> Self {
        Reason::with_cause("Q.850", cause, text)
    }

    fn with_cause(protocol: &'static str, cause: u16, text: Option<&str>) -> Self {
        let mut r = Reason::new(ByteString::from_static(protocol));
        r.params.set("cause", Some(&cause.to_string()));
        if let Some(t) = text {
            r.params.set("text", Some(&quote(t)));
        }
        r
    }

    /// The `cause` parameter.
    pub fn cause(&self) -> Option<u16> {
        self.params.raw_value("cause").and_then(|v| v.parse().ok())
    }

    /// The `text` parameter, unquoted.
    pub fn text(&self) -> Option<Cow<'_, str>> {
        self.params.value("text")
    }

    fn check(&self, value: &ByteString) -> Result<(), ParseError> {
        if let Some(p) = self.params.get("cause") {
            let v = p.raw_value().unwrap_or("");
            let off = if v.is_empty() { 0 } else { at(value, v) };
            if !is_digits(v) {
                return Err(syntax("Reason", off));
            }
            if v.parse::<u16>().is_err() {
                return Err(out_of_range("Reason", off));
            }
        }
        Ok(())
    }
}

/// The Priority header (RFC 3261 §20.26).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Priority {
    /// `emergency`.
    Emergency,
    /// `urgent`.
    Urgent,
    /// `normal`.
    Normal,
    /// `non-urgent`.
    NonUrgent,
    /// Another priority token, as written.
    Other(ByteString),
}

impl Priority {
    /// The token.
    pub fn as_str(&self) -> &str {
        match self {
            Priority::Emergency => "emergency",
            Priority::Urgent => "urgent",
            Priority::Normal => "normal",
            Priority::NonUrgent => "non-urgent",
            Priority::Other(s) => s,
        }
    }
}

impl TypedHeader for Priority {
    const NAME: HeaderName = HeaderName::Priority;
    const NAME_STR: &'static str = "Priority";

    fn parse_value(value: &ByteString) -> Result<Self, ParseError> {
        let v = trim_lws(value);
        if !grammar::is_token(v) {
            return Err(syntax("Priority", at(value, v)));
        }
        Ok(match v.to_ascii_lowercase().as_str() {
            "emergency" => Priority::Emergency,
            "urgent" => Priority::Urgent,
            "normal" => Priority::Normal,
            "non-urgent" => Priority::NonUrgent,
            _ => Priority::Other(value.slice_ref(v)),
        })
    }

    fn write_value(&self, out: &mut String) {
        out.push_str(self.as_str());
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// ---------------------------------------------------------------------------------------------
// Reliable provisional responses (RFC 3262) and session timers (RFC 4028)
// ---------------------------------------------------------------------------------------------

/// Largest RSeq and CSeq number: 2³¹−1.
const MAX_SEQ: u32 = (1 << 31) - 1;

fn parse_seq(s: &str, name: &'static str, off: usize, min: u32) -> Result<u32, ParseError> {
    if !is_digits(s) {
        return Err(syntax(name, off));
    }
    s.parse::<u32>()
        .ok()
        .filter(|n| (min..=MAX_SEQ).contains(n))
        .ok_or_else(|| out_of_range(name, off))
}

/// The RSeq header: the sequence number of a reliable provisional response, 1–2³¹−1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RSeq(pub u32);

impl TypedHeader for RSeq {
    const NAME: HeaderName = HeaderName::RSeq;
    const NAME_STR: &'static str = "RSeq";

    fn parse_value(value: &ByteString) -> Result<Self, ParseError> {
        let v = trim_lws(value);
        parse_seq(v, "RSeq", at(value, v), 1).map(RSeq)
    }

    fn write_value(&self, out: &mut String) {
        let _ = write!(out, "{}", self.0);
    }
}

impl fmt::Display for RSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The RAck header (RFC 3262 §7.2): the RSeq, CSeq number and method being acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RAck {
    /// The RSeq of the acknowledged response.
    pub rseq: u32,
    /// The CSeq number of the acknowledged response.
    pub cseq: u32,
    /// The CSeq method of the acknowledged response.
    pub method: Method,
}

impl RAck {
    /// A RAck value.
    pub fn new(rseq: u32, cseq: u32, method: Method) -> Self {
        RAck { rseq, cseq, method }
    }
}

impl TypedHeader for RAck {
    const NAME: HeaderName = HeaderName::RAck;
    const NAME_STR: &'static str = "RAck";

    fn parse_value(value: &ByteString) -> Result<Self, ParseError> {
        let name = "RAck";
        let s: &str = value;
        let parts: Vec<&str> = s.split_ascii_whitespace().collect();
        let [r, c, m] = parts[..] else {
            return Err(syntax(name, at(s, trim_start(s))));
        };
        let rseq = parse_seq(r, name, at(s, r), 1)?;
        let cseq = parse_seq(c, name, at(s, c), 0)?;
        if !grammar::is_token(m) {
            return Err(syntax(name, at(s, m)));
        }
        Ok(RAck {
            rseq,
            cseq,
            method: Method::from_bytestring(value.slice_ref(m)),
        })
    }

    fn write_value(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl fmt::Display for RAck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.rseq, self.cseq, self.method)
    }
}

/// Which side refreshes a session (RFC 4028 `refresher`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refresher {
    /// `uac`: the caller.
    Uac,
    /// `uas`: the callee.
    Uas,
}

impl Refresher {
    /// The token.
    pub fn as_str(self) -> &'static str {
        match self {
            Refresher::Uac => "uac",
            Refresher::Uas => "uas",
        }
    }
}

impl fmt::Display for Refresher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Session-Expires header (RFC 4028; compact form `x`): the session interval and who
/// refreshes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionExpires {
    /// The session interval in seconds.
    pub delta: u32,
    /// The parameters (`refresher` and extensions).
    pub params: Params,
}

impl SessionExpires {
    /// A value of `delta` seconds with an optional refresher.
    pub fn new(delta: u32, refresher: Option<Refresher>) -> Self {
        let mut params = Params::new();
        if let Some(r) = refresher {
            params.set("refresher", Some(r.as_str()));
        }
        SessionExpires { delta, params }
    }

    /// The `refresher` parameter.
    pub fn refresher(&self) -> Option<Refresher> {
        let v = self.params.raw_value("refresher")?;
        if v.eq_ignore_ascii_case("uac") {
            Some(Refresher::Uac)
        } else if v.eq_ignore_ascii_case("uas") {
            Some(Refresher::Uas)
        } else {
            None
        }
    }

    /// Sets the `refresher` parameter.
    pub fn set_refresher(&mut self, refresher: Refresher) {
        self.params.set("refresher", Some(refresher.as_str()));
    }
}

impl TypedHeader for SessionExpires {
    const NAME: HeaderName = HeaderName::SessionExpires;
    const NAME_STR: &'static str = "Session-Expires";

    fn parse_value(value: &ByteString) -> Result<Self, ParseError> {
        let (delta, params) = delta_then_params(value, "Session-Expires")?;
        let v = SessionExpires { delta, params };
        if let Some(p) = v.params.get("refresher")
            && v.refresher().is_none()
        {
            let off = p.raw_value().map_or(0, |r| at(value, r));
            return Err(syntax("Session-Expires", off));
        }
        Ok(v)
    }

    fn write_value(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl fmt::Display for SessionExpires {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.delta, self.params)
    }
}

/// The Min-SE header (RFC 4028): the smallest session interval accepted, in seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinSe {
    /// Seconds.
    pub delta: u32,
    /// Extension parameters.
    pub params: Params,
}

impl MinSe {
    /// A value without parameters.
    pub fn new(delta: u32) -> Self {
        MinSe {
            delta,
            params: Params::new(),
        }
    }
}

impl TypedHeader for MinSe {
    const NAME: HeaderName = HeaderName::MinSe;
    const NAME_STR: &'static str = "Min-SE";

    fn parse_value(value: &ByteString) -> Result<Self, ParseError> {
        let (delta, params) = delta_then_params(value, "Min-SE")?;
        Ok(MinSe { delta, params })
    }

    fn write_value(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl fmt::Display for MinSe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.delta, self.params)
    }
}

// ---------------------------------------------------------------------------------------------
// Addresses and URIs
// ---------------------------------------------------------------------------------------------

name_addr_header!(
    /// The Reply-To header: where the user would like replies to go.
    ReplyTo, ReplyTo, "Reply-To", false
);
name_addr_header!(
    /// One Service-Route value (RFC 3608): a route the registrar asks to be used.
    ServiceRoute, ServiceRoute, "Service-Route", true
);

info_header!(
    /// One Call-Info value: a URI with additional information about the caller or callee,
    /// with a `purpose` (`icon`, `info`, `card`…).
    CallInfo, CallInfo, "Call-Info"
);
info_header!(
    /// One Alert-Info value: an alternative ring tone.
    AlertInfo, AlertInfo, "Alert-Info"
);
info_header!(
    /// One Error-Info value: a pointer to more information about an error.
    ErrorInfo, ErrorInfo, "Error-Info"
);

impl CallInfo {
    /// The `purpose` parameter.
    pub fn purpose(&self) -> Option<&str> {
        self.params.raw_value("purpose")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Qop;
    use crate::header::Headers;

    fn p<T: TypedHeader>(s: &str) -> T {
        T::parse_value(&ByteString::from(s)).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err<T: TypedHeader + fmt::Debug>(s: &str) -> ParseError {
        match T::parse_value(&ByteString::from(s)) {
            Ok(v) => panic!("{s:?} should fail, got {v:?}"),
            Err(e) => e,
        }
    }

    /// Parses, prints canonically, and checks that the print re-parses to an equal value.
    fn canon<T: TypedHeader + PartialEq + fmt::Debug>(s: &str, expect: &str) -> T {
        let v: T = p(s);
        let printed = v.to_value_string();
        assert_eq!(printed, expect, "canonical form of {s:?}");
        assert_eq!(p::<T>(&printed), v, "re-parse of {printed:?}");
        v
    }

    fn all<T: TypedHeader>(name: &str, lines: &[&str]) -> Vec<T> {
        let mut h = Headers::new();
        for l in lines {
            h.push(HeaderName::new(name), *l);
        }
        h.typed_all().unwrap_or_else(|e| panic!("{lines:?}: {e}"))
    }

    #[test]
    fn content_encoding_language_disposition() {
        let v: Vec<ContentEncoding> = all("e", &["gzip, deflate", "br"]);
        assert_eq!(
            v.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
            ["gzip", "deflate", "br"]
        );
        err::<ContentEncoding>("gz ip");
        let v: Vec<ContentLanguage> = all("Content-Language", &["fr, en-GB", "x-klingon"]);
        assert_eq!(v[1].as_str(), "en-GB");
        assert_eq!(v.len(), 3);
        err::<ContentLanguage>("toolongtag");
        err::<ContentLanguage>("en-");
        err::<ContentLanguage>("1en");

        let d: ContentDisposition = canon("session", "session");
        assert!(d.is("SESSION") && !d.is_optional() && d.handling().is_none());
        let d: ContentDisposition = canon(
            " render ; handling = optional ;x=\"y z\"",
            "render;handling=optional;x=\"y z\"",
        );
        assert!(d.is_optional());
        let mut d = ContentDisposition::session();
        d.set_handling("required");
        assert_eq!(d.to_string(), "session;handling=required");
        assert_eq!(ContentDisposition::render().to_string(), "render");
        err::<ContentDisposition>("");
        err::<ContentDisposition>("session;handling=\"opt ional\"");
        err::<ContentDisposition>("session handling");
        err::<ContentDisposition>("session;");
    }

    #[test]
    fn allow_and_option_tags() {
        let v: Vec<Allow> = all("Allow", &["INVITE, ACK,OPTIONS , CANCEL", "BYE,REFER,FOO"]);
        assert_eq!(v.len(), 7);
        assert_eq!(v[0], Allow(Method::Invite));
        assert_eq!(v[6].0.as_str(), "FOO");
        assert_eq!(v[5].to_string(), "REFER");
        err::<Allow>("INV ITE");
        err::<Allow>("<INVITE>");
        let v: Vec<Supported> = all("k", &["100rel, timer", "", "replaces"]);
        assert_eq!(v.len(), 3);
        assert_eq!(v[2].as_str(), "replaces");
        let v: Vec<Require> = all("Require", &["100rel"]);
        assert_eq!(v[0], Require::new("100rel"));
        let v: Vec<ProxyRequire> = all("Proxy-Require", &["foo, bar"]);
        assert_eq!(v[1].to_value_string(), "bar");
        let v: Vec<Unsupported> = all("Unsupported", &["baz", "qux"]);
        assert_eq!(v.len(), 2);
        err::<Supported>("a b");
        err::<Unsupported>("a/b");
    }

    #[test]
    fn accept_family() {
        let v: Vec<Accept> = all(
            "Accept",
            &[
                "application/sdp;level=1, text/*;q=0.5",
                "*/*;q=0",
                "multipart/mixed",
            ],
        );
        assert_eq!(v.len(), 4);
        assert_eq!(v[0].q(), None);
        assert_eq!(v[1].q(), Some(500));
        assert_eq!(v[2].q(), Some(0));
        let sdp = MediaType::new("application", "sdp");
        assert!(v[0].matches(&sdp) && v[2].matches(&sdp) && !v[1].matches(&sdp));
        assert!(v[1].matches(&MediaType::new("TEXT", "html")));
        assert_eq!(v[0].to_string(), "application/sdp;level=1");
        canon::<Accept>("text/plain ; q=1.000", "text/plain;q=1.000");
        err::<Accept>("*/sdp");
        err::<Accept>("text/plain;q=1.5");
        err::<Accept>("text/plain;q=0.1234");
        err::<Accept>("text");
        let e = err::<Accept>("text/plain;q=2");
        assert_eq!(e.kind, ParseErrorKind::OutOfRange);

        let v: Vec<AcceptEncoding> =
            all("Accept-Encoding", &["gzip;q=1.0, identity; q=0.5", "*;q=0"]);
        assert_eq!(v.len(), 3);
        assert_eq!(
            (v[0].q(), v[1].q(), v[2].q()),
            (Some(1000), Some(500), Some(0))
        );
        assert_eq!(v[1].to_string(), "identity;q=0.5");
        err::<AcceptEncoding>("gzip;q=x");
        let v: Vec<AcceptLanguage> =
            all("Accept-Language", &["da, en-gb;q=0.8, en;q=0.7", "*;q=0.1"]);
        assert_eq!(v.len(), 4);
        assert_eq!(&*v[1].range, "en-gb");
        assert_eq!(v[3].q(), Some(100));
        assert_eq!(AcceptLanguage::new("fr").to_string(), "fr");
        err::<AcceptLanguage>("englishlanguage;q=1");
        err::<AcceptLanguage>("en_GB");
        err::<AcceptLanguage>("en;q=1.1");
    }

    #[test]
    fn authorization_headers() {
        let a: Authorization = p(
            r#"Digest username="bob", realm="biloxi.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="sip:bob@biloxi.com", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
        );
        let d = a.0.as_digest().unwrap();
        assert_eq!((d.username.as_str(), d.nc), ("bob", Some(1)));
        assert_eq!(a.0.scheme(), "Digest");
        assert_eq!(p::<Authorization>(&a.to_value_string()), a);
        let b: ProxyAuthorization = canon(
            "Basic  QWxhZGRpbjpvcGVuIHNlc2FtZQ== ",
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
        );
        assert_eq!(b.0.scheme(), "Basic");
        assert!(b.0.as_digest().is_none());
        canon::<Authorization>("Bearer", "Bearer");
        err::<Authorization>("");
        err::<Authorization>("Digest realm=\"x\"");
        err::<Authorization>("Basic/x");
        err::<ProxyAuthorization>("Digest username=");

        let c: WwwAuthenticate = p(
            r#"Digest realm="atlanta.com", nonce="84a4cc6f3082121f32b42a2187831a9e", qop="auth,auth-int", algorithm=MD5"#,
        );
        let dc = c.0.as_digest().unwrap();
        assert_eq!(dc.realm, "atlanta.com");
        assert_eq!(p::<WwwAuthenticate>(&c.to_value_string()), c);
        let mut h = Headers::new();
        h.push(
            HeaderName::ProxyAuthenticate,
            r#"Digest realm="a", nonce="1""#,
        );
        h.push(
            HeaderName::ProxyAuthenticate,
            r#"Digest realm="b", nonce="2", algorithm=SHA-256"#,
        );
        let all: Vec<ProxyAuthenticate> = h.typed_all().unwrap();
        assert_eq!(all.len(), 2, "commas inside a challenge do not split it");
        assert_eq!(all[1].0.as_digest().unwrap().realm, "b");
        err::<WwwAuthenticate>("");
        err::<ProxyAuthenticate>("Digest realm=\"unterminated");

        let i: AuthenticationInfo = p(
            r#"nextnonce="47364c23432d2e131a5fb210812c", qop=auth, rspauth="abc", cnonce="0a4f113b", nc=00000001"#,
        );
        assert_eq!(i.nextnonce.as_deref(), Some("47364c23432d2e131a5fb210812c"));
        assert_eq!(i.qop, Some(Qop::Auth));
        assert_eq!(p::<AuthenticationInfo>(&i.to_value_string()), i);
        err::<AuthenticationInfo>("nc=xyz");
    }

    #[test]
    fn event_headers() {
        let mut h = Headers::new();
        h.push(HeaderName::new("o"), "presence.winfo;id=123;other=\"x y\"");
        let e: Event = h.typed().unwrap();
        assert_eq!(e.package(), "presence");
        assert_eq!(e.templates().collect::<Vec<_>>(), ["winfo"]);
        assert_eq!(e.id(), Some("123"));
        assert_eq!(e.to_string(), "presence.winfo;id=123;other=\"x y\"");
        canon::<Event>(" refer ;id = 93809824 ", "refer;id=93809824");
        assert_eq!(
            Event::new("dialog").with_id("a b").to_string(),
            "dialog;id=\"a b\""
        );
        err::<Event>("presence..winfo");
        err::<Event>(".presence");
        err::<Event>("presence id=1");
        err::<Event>("");

        let v: Vec<AllowEvents> = all("u", &["presence, dialog", "message-summary,presence.winfo"]);
        assert_eq!(v.len(), 4);
        assert_eq!(v[3].as_str(), "presence.winfo");
        err::<AllowEvents>("presence.");

        let s: SubscriptionState = canon("active;expires=3600", "active;expires=3600");
        assert_eq!(
            (s.state.clone(), s.expires()),
            (SubState::Active, Some(3600))
        );
        let s: SubscriptionState = canon(
            "Terminated ; reason=noresource;retry-after=60",
            "terminated;reason=noresource;retry-after=60",
        );
        assert!(s.is_terminated());
        assert_eq!(
            (s.reason(), s.retry_after()),
            (Some("noresource"), Some(60))
        );
        let s: SubscriptionState = p("waiting;x=1");
        assert_eq!(s.state, SubState::Other(ByteString::from("waiting")));
        assert_eq!(
            SubscriptionState::pending(30).to_string(),
            "pending;expires=30"
        );
        assert_eq!(
            SubscriptionState::terminated(Some("timeout")).to_string(),
            "terminated;reason=timeout"
        );
        assert_eq!(SubscriptionState::active(1).state.as_str(), "active");
        assert_eq!(
            err::<SubscriptionState>("active;expires=99999999999").kind,
            ParseErrorKind::OutOfRange
        );
        err::<SubscriptionState>("active;expires=soon");
        err::<SubscriptionState>("active;expires");
        err::<SubscriptionState>("pending;retry-after=-1");
        err::<SubscriptionState>(";expires=1");
    }

    #[test]
    fn refer_headers() {
        let r: ReferTo = p(
            "<sip:dave@denver.example.org?Replaces=12345%40192.168.118.3%3Bto-tag%3D12345%3Bfrom-tag%3D5FFE-3994>",
        );
        let rep = r.replaces().unwrap().unwrap();
        assert_eq!(&*rep.call_id, "12345@192.168.118.3");
        assert_eq!(
            (rep.to_tag(), rep.from_tag(), rep.early_only()),
            ("12345", "5FFE-3994", false)
        );
        let r2 =
            ReferTo::with_replaces(SipUri::parse("sip:dave@denver.example.org").unwrap(), &rep);
        assert_eq!(r2.replaces().unwrap().unwrap(), rep);
        assert_eq!(p::<ReferTo>(&r2.to_value_string()), r2);
        let r: ReferTo = canon(
            "r <sip:carol@example.com>;method=INVITE",
            "r <sip:carol@example.com>;method=INVITE",
        );
        assert!(r.replaces().is_none());
        let mut h = Headers::new();
        h.push(HeaderName::new("r"), "sip:x@y");
        assert_eq!(h.typed::<ReferTo>().unwrap().uri().to_string(), "sip:x@y");
        let bad: ReferTo = p("<sip:a@b?Replaces=nocallid>");
        assert!(bad.replaces().unwrap().is_err());
        err::<ReferTo>("<sip:a@b");

        let b: ReferredBy =
            p("<sip:referrer@referrer.example>;cid=\"20398823.2UWQFN309shb3@referrer.example\"");
        assert_eq!(b.cid().unwrap(), "20398823.2UWQFN309shb3@referrer.example");
        assert_eq!(p::<ReferredBy>(&b.to_value_string()), b);
        err::<ReferredBy>("\"x\" sip:a@b");

        let rep: Replaces = canon(
            "425928@bobster.example.org;to-tag=7743;from-tag=6472;early-only",
            "425928@bobster.example.org;to-tag=7743;from-tag=6472;early-only",
        );
        assert!(rep.early_only());
        assert_eq!(
            Replaces::new("a@b", "1", "2").with_early_only().to_string(),
            "a@b;to-tag=1;from-tag=2;early-only"
        );
        err::<Replaces>("a@b;to-tag=1");
        err::<Replaces>("a@b;from-tag=1;to-tag");
        err::<Replaces>(";to-tag=1;from-tag=2");
        err::<Replaces>("a b;to-tag=1;from-tag=2");

        assert!(!canon::<ReferSub>("false", "false").value);
        assert!(canon::<ReferSub>(" TRUE;x=1", "true;x=1").value);
        assert_eq!(ReferSub::new(false).to_string(), "false");
        err::<ReferSub>("yes");
        err::<ReferSub>("");
    }

    #[test]
    fn publication_and_text() {
        assert_eq!(
            canon::<SipETag>(" dx200xyz ", "dx200xyz").as_str(),
            "dx200xyz"
        );
        canon::<SipIfMatch>("kwj449x", "kwj449x");
        err::<SipETag>("a b");
        err::<SipIfMatch>("");

        let ua: UserAgent = canon(
            "sipsimple/5.3.0 (Linux; x86_64) libfoo",
            "sipsimple/5.3.0 (Linux; x86_64) libfoo",
        );
        assert_eq!(
            ua.products(),
            [
                ServerVal::Product {
                    name: "sipsimple",
                    version: Some("5.3.0")
                },
                ServerVal::Comment("Linux; x86_64"),
                ServerVal::Product {
                    name: "libfoo",
                    version: None
                },
            ]
        );
        let s: Server = p("HomeServer v2 (a (nested) c)");
        assert_eq!(s.products()[2], ServerVal::Comment("a (nested) c"));
        assert_eq!(
            Server::new("x (open").products()[1],
            ServerVal::Comment("open")
        );
        err::<UserAgent>("");
        err::<Server>("a\u{1}b");

        assert_eq!(
            canon::<Subject>("Need more boxes", "Need more boxes").as_str(),
            "Need more boxes"
        );
        assert_eq!(p::<Subject>("").as_str(), "");
        let mut h = Headers::new();
        h.push(HeaderName::new("s"), "Tech Support ünicode");
        assert_eq!(
            h.typed::<Subject>().unwrap().as_str(),
            "Tech Support ünicode"
        );
        canon::<Organization>("Boxes by Bob", "Boxes by Bob");
        assert_eq!(p::<Organization>(" ").as_str(), "");
        err::<Subject>("bell\u{7}");

        let v: Vec<InReplyTo> = all(
            "In-Reply-To",
            &[
                "70710@saturn.bell-tel.com, 17320@saturn.bell-tel.com",
                "abc",
            ],
        );
        assert_eq!(v.len(), 3);
        assert_eq!(v[1].as_str(), "17320@saturn.bell-tel.com");
        err::<InReplyTo>("a@b@c");

        let c: ContentId = canon("<root.part@example.com>", "<root.part@example.com>");
        assert_eq!(c.id(), "root.part@example.com");
        assert_eq!(ContentId::from_id("x@y").as_str(), "<x@y>");
        assert_eq!(p::<ContentId>("bare@id").id(), "bare@id");
        err::<ContentId>("<open@id");
        err::<ContentId>("<>");
        err::<ContentId>("a b");

        assert_eq!(canon::<MimeVersion>(" 1.0 ", "1.0"), MimeVersion::V1_0);
        err::<MimeVersion>("1");
        err::<MimeVersion>("1.x");
        assert_eq!(
            err::<MimeVersion>("1.99999999999").kind,
            ParseErrorKind::OutOfRange
        );
    }

    #[test]
    fn date_header() {
        let d: Date = canon(
            "Sat, 13 Nov 2010 23:29:00 GMT",
            "Sat, 13 Nov 2010 23:29:00 GMT",
        );
        assert_eq!(
            (d.weekday, d.day, d.month, d.year),
            (Weekday::Sat, 13, 11, 2010)
        );
        assert_eq!((d.hour, d.minute, d.second), (23, 29, 0));
        assert!(d.weekday_is_consistent());
        assert_eq!(d.to_unix(), 1_289_690_940);
        assert_eq!(Date::from_unix(1_289_690_940), Some(d));
        assert_eq!(
            Date::from_unix(0).unwrap().to_string(),
            "Thu, 01 Jan 1970 00:00:00 GMT"
        );
        assert_eq!(
            Date::from_unix(951_782_400).unwrap().to_string(),
            "Tue, 29 Feb 2000 00:00:00 GMT"
        );
        let rt = Date::from_system_time(d.to_system_time().unwrap()).unwrap();
        assert_eq!(rt, d);
        assert!(Date::now().is_some());
        let d: Date = canon(
            "thu, 1 jan 1970 00:00:00 GMT",
            "Thu, 01 Jan 1970 00:00:00 GMT",
        );
        assert_eq!(d.to_unix(), 0);
        // A wrong (but well-named) weekday parses and is reported.
        let d: Date = p("Mon, 13 Nov 2010 23:29:00 GMT");
        assert!(!d.weekday_is_consistent());
        assert_eq!(Date::new(2023, 2, 29, 0, 0, 0), None);
        assert_eq!(
            Date::new(2024, 2, 29, 0, 0, 0).unwrap().weekday,
            Weekday::Thu
        );
        for bad in [
            "Sab, 13 Nov 2010 23:29:00 GMT",
            "Saturday, 13 Nov 2010 23:29:00 GMT",
            "Sat, 13 Nov 2010 23:29:00 UTC",
            "Sat, 13 Nov 2010 23:29:00 +0000",
            "Sat, 13 Nov 2010 23:29:00",
            "Sat, 13 Foo 2010 23:29:00 GMT",
            "Sat, 13 Nov 10 23:29:00 GMT",
            "Sat, 13 Nov 2010 23:29 GMT",
            "Sat, 13 Nov 2010 23:29:0 GMT",
            "Sat,13 Nov 2010 23:29:00 GMT",
            "Sat 13 Nov 2010 23:29:00 GMT",
            "",
            "Sat, 13 Nov 2010 23:29:00 GMT extra",
        ] {
            assert_eq!(err::<Date>(bad).kind, ParseErrorKind::Syntax, "{bad}");
        }
        for bad in [
            "Sat, 31 Nov 2010 23:29:00 GMT",
            "Sat, 00 Nov 2010 23:29:00 GMT",
            "Sat, 13 Nov 2010 24:00:00 GMT",
            "Sat, 13 Nov 2010 23:60:00 GMT",
            "Sat, 13 Nov 2010 23:00:61 GMT",
        ] {
            assert_eq!(err::<Date>(bad).kind, ParseErrorKind::OutOfRange, "{bad}");
        }
    }

    #[test]
    fn timestamp_header() {
        let t: Timestamp = canon("54", "54");
        assert_eq!((t.time_secs(), t.delay_secs()), (54.0, None));
        let t: Timestamp = canon(" 54.16   0.5 ", "54.16 0.5");
        assert_eq!(t.delay_secs(), Some(0.5));
        let t: Timestamp = p("1. .25");
        assert_eq!((t.time_secs(), t.delay_secs()), (1.0, Some(0.25)));
        assert_eq!(
            Timestamp::from_secs(1.5).with_delay(0.25).to_string(),
            "1.500 0.250"
        );
        assert_eq!(Timestamp::from_secs(f64::NAN).to_string(), "0.000");
        let huge = Timestamp::from_secs(1e300);
        assert_eq!(p::<Timestamp>(&huge.to_string()), huge);
        err::<Timestamp>("");
        err::<Timestamp>(".5");
        err::<Timestamp>("1.2.3");
        err::<Timestamp>("12 x");
        err::<Timestamp>("12 1 2");
        assert_eq!(
            err::<Timestamp>("123456789012345678901234567890").kind,
            ParseErrorKind::OutOfRange
        );
    }

    #[test]
    fn retry_after_warning_reason_priority() {
        let r: RetryAfter = canon("18000;duration=3600", "18000;duration=3600");
        assert_eq!((r.seconds, r.duration()), (18000, Some(3600)));
        let r: RetryAfter = canon(
            "120 (I'm in a (long) meeting) ;x=y",
            "120 (I'm in a (long) meeting);x=y",
        );
        assert_eq!(r.comment.as_deref(), Some("I'm in a (long) meeting"));
        assert_eq!(RetryAfter::new(5).to_string(), "5");
        err::<RetryAfter>("soon");
        err::<RetryAfter>("120 (unterminated");
        err::<RetryAfter>("120;duration=x");
        err::<RetryAfter>("120 x");
        assert_eq!(
            err::<RetryAfter>("99999999999").kind,
            ParseErrorKind::OutOfRange
        );

        let v: Vec<Warning> = all(
            "Warning",
            &[
                r#"307 isi.edu "Session parameter 'foo' not understood""#,
                r#"301 isi.edu "Incompatible network address type 'E.164'", 399 [2001:db8::1]:5060 "a, \"b\"""#,
            ],
        );
        assert_eq!(v.len(), 3);
        assert_eq!((v[0].code, &*v[0].agent), (307, "isi.edu"));
        assert_eq!(v[0].text(), "Session parameter 'foo' not understood");
        assert_eq!(v[2].text(), "a, \"b\"");
        assert_eq!(v[2].to_string(), r#"399 [2001:db8::1]:5060 "a, \"b\"""#);
        assert_eq!(
            Warning::new(370, "example.com:5061", "Insufficient \"bw\"").to_string(),
            r#"370 example.com:5061 "Insufficient \"bw\"""#
        );
        canon::<Warning>(r#"399   host   "t" "#, r#"399 host "t""#);
        err::<Warning>(r#"30 isi.edu "x""#);
        assert_eq!(
            err::<Warning>(r#"3070 isi.edu "x""#).kind,
            ParseErrorKind::OutOfRange
        );
        err::<Warning>(r#"307isi.edu "x""#);
        err::<Warning>(r#"307 isi.edu x"#);
        err::<Warning>(r#"307 "x""#);
        err::<Warning>(r#"307 isi.edu "x" y"#);
        err::<Warning>(r#"307 is/i "x""#);

        let v: Vec<Reason> = all(
            "Reason",
            &[
                "SIP ;cause=200 ;text=\"Call completed elsewhere\"",
                "Q.850;cause=16;text=\"Terminated\", preemption ;cause=1",
            ],
        );
        assert_eq!(v.len(), 3);
        assert_eq!((&*v[0].protocol, v[0].cause()), ("SIP", Some(200)));
        assert_eq!(v[0].text().unwrap(), "Call completed elsewhere");
        assert_eq!(v[1].to_string(), "Q.850;cause=16;text=\"Terminated\"");
        assert_eq!(v[2].cause(), Some(1));
        assert_eq!(
            Reason::sip(487, Some("Request \"terminated\"")).to_string(),
            r#"SIP;cause=487;text="Request \"terminated\"""#
        );
        assert_eq!(Reason::q850(16, None).to_string(), "Q.850;cause=16");
        err::<Reason>("SIP;cause=abc");
        err::<Reason>("SIP;cause");
        assert_eq!(
            err::<Reason>("SIP;cause=70000").kind,
            ParseErrorKind::OutOfRange
        );
        err::<Reason>("SIP cause=1");

        assert_eq!(p::<Priority>("emergency"), Priority::Emergency);
        assert_eq!(p::<Priority>(" Urgent "), Priority::Urgent);
        assert_eq!(p::<Priority>("normal"), Priority::Normal);
        assert_eq!(
            canon::<Priority>("non-urgent", "non-urgent"),
            Priority::NonUrgent
        );
        assert_eq!(
            canon::<Priority>("x-low", "x-low"),
            Priority::Other(ByteString::from("x-low"))
        );
        err::<Priority>("very urgent");
        err::<Priority>("");
    }

    #[test]
    fn rseq_rack_timers() {
        assert_eq!(canon::<RSeq>(" 988789 ", "988789"), RSeq(988789));
        assert_eq!(p::<RSeq>("2147483647"), RSeq(MAX_SEQ));
        assert_eq!(err::<RSeq>("0").kind, ParseErrorKind::OutOfRange);
        assert_eq!(err::<RSeq>("2147483648").kind, ParseErrorKind::OutOfRange);
        assert_eq!(
            err::<RSeq>("99999999999999999999").kind,
            ParseErrorKind::OutOfRange
        );
        assert_eq!(err::<RSeq>("-1").kind, ParseErrorKind::Syntax);
        err::<RSeq>("");

        let r: RAck = canon("776656  1   INVITE", "776656 1 INVITE");
        assert_eq!(r, RAck::new(776656, 1, Method::Invite));
        err::<RAck>("776656 1");
        err::<RAck>("776656 1 INVITE x");
        err::<RAck>("0 1 INVITE");
        err::<RAck>("1 x INVITE");
        err::<RAck>("1 1 IN/VITE");
        let e = err::<RAck>("1 2147483648 INVITE");
        assert_eq!((e.kind, e.offset), (ParseErrorKind::OutOfRange, 2));

        let mut h = Headers::new();
        h.push(HeaderName::new("x"), "1800;refresher=uas");
        let s: SessionExpires = h.typed().unwrap();
        assert_eq!((s.delta, s.refresher()), (1800, Some(Refresher::Uas)));
        canon::<SessionExpires>("4000 ; refresher=UAC;foo", "4000;refresher=UAC;foo");
        let mut s = SessionExpires::new(90, None);
        assert_eq!(s.to_string(), "90");
        s.set_refresher(Refresher::Uac);
        assert_eq!(s.to_string(), "90;refresher=uac");
        assert_eq!(
            SessionExpires::new(90, Some(Refresher::Uas)).to_string(),
            "90;refresher=uas"
        );
        err::<SessionExpires>("1800;refresher=both");
        err::<SessionExpires>("1800;refresher");
        err::<SessionExpires>("abc");
        assert_eq!(
            err::<SessionExpires>("99999999999").kind,
            ParseErrorKind::OutOfRange
        );

        assert_eq!(canon::<MinSe>("90", "90"), MinSe::new(90));
        assert_eq!(p::<MinSe>("90;x=1").params.raw_value("x"), Some("1"));
        err::<MinSe>("");
        err::<MinSe>("1 2");
    }

    #[test]
    fn addresses_and_info() {
        let r: ReplyTo = canon("Bob <sip:bob@biloxi.com>", "Bob <sip:bob@biloxi.com>");
        assert_eq!(r.uri().to_string(), "sip:bob@biloxi.com");
        err::<ReplyTo>("<sip:bob@biloxi.com");
        let v: Vec<ServiceRoute> = all(
            "Service-Route",
            &[
                "<sip:P2.HOME.EXAMPLE.COM;lr>,<sip:HSP.HOME.EXAMPLE.COM;lr>",
                "<sip:x.example.com;lr>",
            ],
        );
        assert_eq!(v.len(), 3);
        assert_eq!(v[1].to_string(), "<sip:HSP.HOME.EXAMPLE.COM;lr>");

        let v: Vec<CallInfo> = all(
            "Call-Info",
            &[
                "<http://wwww.example.com/alice/photo.jpg> ;purpose=icon, <http://www.example.com/alice/> ;purpose=info",
            ],
        );
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].purpose(), Some("icon"));
        assert_eq!(v[0].uri.scheme(), "http");
        assert_eq!(
            v[1].to_string(),
            "<http://www.example.com/alice/>;purpose=info"
        );
        let v: Vec<AlertInfo> = all(
            "Alert-Info",
            &[
                "<http://www.example.com/sounds/moo.wav>",
                "<urn:alert:service:normal>",
            ],
        );
        assert_eq!(v.len(), 2);
        let e: ErrorInfo = canon(
            "<sip:not-in-service-recording@atlanta.com>",
            "<sip:not-in-service-recording@atlanta.com>",
        );
        assert!(e.uri.as_sip().is_some());
        assert_eq!(
            ErrorInfo::new(Uri::parse("sip:a@b").unwrap()).to_string(),
            "<sip:a@b>"
        );
        err::<CallInfo>("http://example.com/x");
        err::<CallInfo>("<http://example.com/x");
        err::<AlertInfo>("<not a uri>");
        err::<ErrorInfo>("<sip:a@b> junk");
    }

    #[test]
    fn values_are_zero_copy() {
        let src = ByteString::from("presence;id=1");
        let e = Event::parse_value(&src).unwrap();
        let base = src.as_ptr() as usize;
        let p = e.event_type.as_ptr() as usize;
        assert!(p >= base && p < base + src.len());
    }

    #[test]
    fn never_panics_on_odd_input() {
        let samples = [
            "",
            " ",
            ";",
            ",",
            "\"",
            "(",
            ")",
            "<",
            ">",
            "<>",
            "\\",
            "é",
            "€;é=€",
            "1 (",
            "1 (\\",
            "1 (é\\",
            "999 é \"",
            "Mon,",
            ",,,",
            "1.",
            ".",
            "0 0 0",
            "\u{0}",
            "a;b=\"",
            "*/*;q=",
            "Digest",
            "Digest ,",
            "<sip:",
            "sip:a@b?Replaces=%",
            "日本, 1 2 3",
        ];
        for s in samples {
            let v = ByteString::from(s);
            let _ = ContentEncoding::parse_value(&v);
            let _ = ContentLanguage::parse_value(&v);
            let _ = ContentDisposition::parse_value(&v);
            let _ = Allow::parse_value(&v);
            let _ = Accept::parse_value(&v);
            let _ = AcceptEncoding::parse_value(&v);
            let _ = AcceptLanguage::parse_value(&v);
            let _ = Authorization::parse_value(&v);
            let _ = WwwAuthenticate::parse_value(&v);
            let _ = AuthenticationInfo::parse_value(&v);
            let _ = Event::parse_value(&v);
            let _ = SubscriptionState::parse_value(&v);
            if let Ok(r) = ReferTo::parse_value(&v) {
                let _ = r.replaces();
            }
            let _ = ReferredBy::parse_value(&v);
            let _ = Replaces::parse_value(&v);
            let _ = ReferSub::parse_value(&v);
            if let Ok(u) = UserAgent::parse_value(&v) {
                let _ = u.products();
            }
            let _ = Date::parse_value(&v);
            let _ = Timestamp::parse_value(&v);
            let _ = RetryAfter::parse_value(&v);
            let _ = Warning::parse_value(&v);
            let _ = Reason::parse_value(&v);
            let _ = Priority::parse_value(&v);
            let _ = RSeq::parse_value(&v);
            let _ = RAck::parse_value(&v);
            let _ = SessionExpires::parse_value(&v);
            let _ = MinSe::parse_value(&v);
            let _ = CallInfo::parse_value(&v);
            let _ = MimeVersion::parse_value(&v);
            let _ = ContentId::parse_value(&v);
        }
    }
}
