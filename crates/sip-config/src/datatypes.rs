//! Value types of settings, each validated when set from text or loaded from storage.
//!
//! Stored forms: booleans and integers as themselves; durations as integer seconds; everything
//! else as strings (`"alice@example.com"`, `"50000-50500"`, `"proxy.example.com:5061;transport=tls"`)
//! or lists of strings. An optional setting that is not set is stored as the empty string.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::error::ValueError;
use crate::setting::{SettingValue, check_unique};
use crate::value::{SecretString, Value};

/// Longest string setting accepted.
pub const MAX_STRING_LEN: usize = 4096;
/// Longest list setting accepted.
pub const MAX_LIST_LEN: usize = 100_000;

fn wrong_type(expected: &'static str, found: &Value) -> ValueError {
    ValueError::WrongType {
        expected,
        found: found.kind(),
    }
}

fn invalid(what: &'static str, value: &str, reason: &'static str) -> ValueError {
    ValueError::Invalid {
        what,
        value: value.to_owned(),
        reason,
    }
}

fn string_of(value: &Value) -> Result<&str, ValueError> {
    let s = value.as_str().ok_or_else(|| wrong_type("string", value))?;
    if s.len() > MAX_STRING_LEN {
        return Err(ValueError::TooLong {
            len: s.len(),
            max: MAX_STRING_LEN,
        });
    }
    Ok(s)
}

impl SettingValue for bool {
    fn to_value(&self) -> Value {
        Value::Boolean(*self)
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        match value {
            Value::Boolean(b) => Ok(*b),
            other => Err(wrong_type("boolean", other)),
        }
    }
}

impl SettingValue for String {
    fn to_value(&self) -> Value {
        Value::String(self.clone())
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        string_of(value).map(str::to_owned)
    }
}

fn integer_in(value: &Value, min: i64, max: i64) -> Result<i64, ValueError> {
    match value {
        Value::Integer(i) if (min..=max).contains(i) => Ok(*i),
        Value::Integer(i) => Err(ValueError::OutOfRange {
            value: *i,
            min,
            max,
        }),
        other => Err(wrong_type("integer", other)),
    }
}

impl SettingValue for u16 {
    fn to_value(&self) -> Value {
        Value::Integer(i64::from(*self))
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        integer_in(value, 0, i64::from(u16::MAX)).map(|i| i as u16)
    }
}

impl SettingValue for u32 {
    fn to_value(&self) -> Value {
        Value::Integer(i64::from(*self))
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        integer_in(value, 0, i64::from(u32::MAX)).map(|i| i as u32)
    }
}

/// Durations are stored as whole seconds, at most about 68 years (`i32::MAX`).
impl SettingValue for Duration {
    fn to_value(&self) -> Value {
        Value::Integer(self.as_secs().min(i32::MAX as u64) as i64)
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        integer_in(value, 0, i64::from(i32::MAX)).map(|i| Duration::from_secs(i as u64))
    }
}

/// A file-system path, stored as a string. Empty paths and NUL bytes are rejected.
impl SettingValue for PathBuf {
    fn to_value(&self) -> Value {
        Value::String(self.to_string_lossy().into_owned())
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        let s = string_of(value)?;
        if s.is_empty() {
            return Err(invalid("path", s, "empty"));
        }
        if s.contains('\0') {
            return Err(invalid("path", s, "contains NUL"));
        }
        Ok(PathBuf::from(s))
    }
}

/// `None` is stored as the empty string; the inner type never stores an empty string.
impl<T: SettingValue> SettingValue for Option<T> {
    fn to_value(&self) -> Value {
        match self {
            Some(v) => v.to_value(),
            None => Value::String(String::new()),
        }
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        match value.as_str() {
            Some("") => Ok(None),
            _ => T::from_value(value).map(Some),
        }
    }
}

/// Lists: no duplicates, at most [`MAX_LIST_LEN`] entries.
impl<T: SettingValue + Ord + ListEntry> SettingValue for Vec<T> {
    fn to_value(&self) -> Value {
        Value::List(self.iter().map(SettingValue::to_value).collect())
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        let Value::List(items) = value else {
            return Err(wrong_type("list", value));
        };
        if items.len() > MAX_LIST_LEN {
            return Err(ValueError::TooLong {
                len: items.len(),
                max: MAX_LIST_LEN,
            });
        }
        let list = items
            .iter()
            .map(T::from_value)
            .collect::<Result<Vec<_>, _>>()?;
        check_unique(&list)?;
        Ok(list)
    }
}

/// Marks the types that can be entries of a list setting.
pub trait ListEntry {}
impl ListEntry for String {}

/// Declares an enum stored as one of a fixed set of words.
macro_rules! word_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $word:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum $name { $( $(#[$vmeta])* $variant ),+ }

        impl $name {
            /// The stored word.
            pub fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $word ),+ }
            }
        }

        impl FromStr for $name {
            type Err = ValueError;
            fn from_str(s: &str) -> Result<Self, ValueError> {
                $( if s.eq_ignore_ascii_case($word) { return Ok($name::$variant); } )+
                Err(ValueError::NotAllowed {
                    value: s.to_owned(),
                    allowed: concat!($( $word, " " ),+),
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl SettingValue for $name {
            fn to_value(&self) -> Value {
                Value::String(self.as_str().to_owned())
            }
            fn from_value(value: &Value) -> Result<Self, ValueError> {
                string_of(value)?.parse()
            }
        }

        impl ListEntry for $name {}
    };
}

word_enum! {
    /// A SIP transport.
    pub enum SipTransport {
        /// UDP.
        Udp = "udp",
        /// TCP.
        Tcp = "tcp",
        /// TLS over TCP.
        Tls = "tls",
    }
}

word_enum! {
    /// An audio codec name, as in python-sipsimple's `AudioCodecList`.
    pub enum AudioCodec {
        /// Opus (RFC 6716).
        Opus = "opus",
        /// G.722.
        G722 = "G722",
        /// Speex.
        Speex = "speex",
        /// G.711 µ-law.
        Pcmu = "PCMU",
        /// G.711 A-law.
        Pcma = "PCMA",
        /// iLBC.
        Ilbc = "iLBC",
        /// GSM 06.10.
        Gsm = "GSM",
    }
}

word_enum! {
    /// How SRTP keys are negotiated (python-sipsimple `SRTPKeyNegotiation`).
    pub enum SrtpKeyNegotiation {
        /// Offer SDES keys, accept plain RTP.
        Opportunistic = "opportunistic",
        /// SDES optional.
        SdesOptional = "sdes_optional",
        /// SDES mandatory: fail without SRTP.
        SdesMandatory = "sdes_mandatory",
        /// ZRTP.
        Zrtp = "zrtp",
    }
}

word_enum! {
    /// MSRP transport.
    pub enum MsrpTransport {
        /// MSRP over TLS (msrps).
        Tls = "tls",
        /// MSRP over TCP.
        Tcp = "tcp",
    }
}

word_enum! {
    /// MSRP connection model: through a relay (RFC 4976) or with connection negotiation
    /// (RFC 6135, ACM).
    pub enum MsrpConnectionModel {
        /// Use an MSRP relay.
        Relay = "relay",
        /// Alternative connection model.
        Acm = "acm",
    }
}

word_enum! {
    /// An addressbook policy (allow, block or leave to the default).
    pub enum ContactPolicy {
        /// Allow.
        Allow = "allow",
        /// Block.
        Block = "block",
        /// The default policy.
        Default = "default",
    }
}

/// An audio sample rate the media engine supports: 8000, 16000, 32000, 44100 or 48000 Hz.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SampleRate(u32);

impl SampleRate {
    /// The rates accepted.
    pub const ALLOWED: [u32; 5] = [8000, 16000, 32000, 44100, 48000];

    /// A checked sample rate.
    pub fn new(hz: u32) -> Result<Self, ValueError> {
        if Self::ALLOWED.contains(&hz) {
            Ok(SampleRate(hz))
        } else {
            Err(ValueError::NotAllowed {
                value: hz.to_string(),
                allowed: "8000 16000 32000 44100 48000",
            })
        }
    }

    /// Hz.
    pub fn hz(self) -> u32 {
        self.0
    }
}

impl SettingValue for SampleRate {
    fn to_value(&self) -> Value {
        Value::Integer(i64::from(self.0))
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        let i = integer_in(value, 0, i64::from(u32::MAX))?;
        SampleRate::new(i as u32)
    }
}

/// A port range for RTP: `start` and `end` even, `0 < start < end`. Stored as `"start-end"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortRange {
    start: u16,
    end: u16,
}

impl PortRange {
    /// A checked range.
    pub fn new(start: u16, end: u16) -> Result<Self, ValueError> {
        let text = format!("{start}-{end}");
        if start == 0 || start >= end {
            return Err(invalid("port range", &text, "needs 0 < start < end"));
        }
        if !start.is_multiple_of(2) || !end.is_multiple_of(2) {
            return Err(invalid("port range", &text, "RTP ports must be even"));
        }
        Ok(PortRange { start, end })
    }

    /// First port.
    pub fn start(self) -> u16 {
        self.start
    }

    /// Last port (exclusive).
    pub fn end(self) -> u16 {
        self.end
    }
}

impl FromStr for PortRange {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, ValueError> {
        let (a, b) = s
            .split_once('-')
            .ok_or_else(|| invalid("port range", s, "expected start-end"))?;
        let a = a
            .trim()
            .parse()
            .map_err(|_| invalid("port range", s, "bad start port"))?;
        let b = b
            .trim()
            .parse()
            .map_err(|_| invalid("port range", s, "bad end port"))?;
        PortRange::new(a, b)
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

impl SettingValue for PortRange {
    fn to_value(&self) -> Value {
        Value::String(self.to_string())
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        string_of(value)?.parse()
    }
}

/// A host name (RFC 1123 labels), an IPv4 address or an IPv6 address (without brackets).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hostname(String);

impl Hostname {
    /// The host as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn valid_dns_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.trim_end_matches('.').split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

impl FromStr for Hostname {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, ValueError> {
        if s.parse::<Ipv4Addr>().is_ok() || s.parse::<Ipv6Addr>().is_ok() || valid_dns_name(s) {
            Ok(Hostname(s.to_ascii_lowercase()))
        } else {
            Err(invalid("host name", s, "not a DNS name or IP address"))
        }
    }
}

impl fmt::Display for Hostname {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl SettingValue for Hostname {
    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        string_of(value)?.parse()
    }
}

impl ListEntry for Hostname {}

/// A SIP address `user@domain` (python-sipsimple `SIPAddress`); a leading `sip:` is accepted
/// and dropped.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SipAddress {
    text: String,
    at: usize,
}

impl SipAddress {
    /// The user part.
    pub fn username(&self) -> &str {
        &self.text[..self.at]
    }

    /// The domain part.
    pub fn domain(&self) -> &str {
        &self.text[self.at + 1..]
    }

    /// `user@domain`.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl FromStr for SipAddress {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, ValueError> {
        let bare = s
            .strip_prefix("sip:")
            .or_else(|| s.strip_prefix("SIP:"))
            .unwrap_or(s);
        let at = bare
            .rfind('@')
            .ok_or_else(|| invalid("SIP address", s, "expected user@domain"))?;
        let (user, domain) = (&bare[..at], &bare[at + 1..]);
        if user.is_empty() {
            return Err(invalid("SIP address", s, "empty user part"));
        }
        if user.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '@' | ':' | '<' | '>' | ';' | '"')
        }) {
            return Err(invalid("SIP address", s, "bad character in the user part"));
        }
        if domain.parse::<Hostname>().is_err() {
            return Err(invalid("SIP address", s, "domain is not a host name"));
        }
        Ok(SipAddress {
            text: format!("{user}@{}", domain.to_ascii_lowercase()),
            at: user.len(),
        })
    }
}

impl fmt::Display for SipAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl SettingValue for SipAddress {
    fn to_value(&self) -> Value {
        Value::String(self.text.clone())
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        string_of(value)?.parse()
    }
}

impl ListEntry for SipAddress {}

/// Parses `host[:port][;transport=t]`, with IPv6 hosts in brackets.
fn parse_host_port<'a>(
    what: &'static str,
    s: &'a str,
) -> Result<(Hostname, Option<u16>, Option<&'a str>), ValueError> {
    let (hostport, params) = match s.split_once(';') {
        Some((h, p)) => (h, Some(p)),
        None => (s, None),
    };
    let transport = match params {
        None => None,
        Some(p) => Some(
            p.strip_prefix("transport=")
                .ok_or_else(|| invalid(what, s, "only the transport parameter is allowed"))?,
        ),
    };
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let (h, after) = rest
            .split_once(']')
            .ok_or_else(|| invalid(what, s, "unclosed '['"))?;
        if h.parse::<Ipv6Addr>().is_err() {
            return Err(invalid(what, s, "bad IPv6 address"));
        }
        match after {
            "" => (h, None),
            p => (
                h,
                Some(
                    p.strip_prefix(':')
                        .ok_or_else(|| invalid(what, s, "junk after ']'"))?,
                ),
            ),
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    let host = host
        .parse::<Hostname>()
        .map_err(|_| invalid(what, s, "bad host"))?;
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(p) if p > 0 => Some(p),
            _ => return Err(invalid(what, s, "bad port")),
        },
    };
    Ok((host, port, transport))
}

fn write_host(f: &mut fmt::Formatter<'_>, host: &Hostname) -> fmt::Result {
    if host.0.contains(':') {
        write!(f, "[{}]", host.0)
    } else {
        f.write_str(&host.0)
    }
}

/// Declares a `host[:port][;transport=t]` address type.
macro_rules! host_port_type {
    ($(#[$meta:meta])* $name:ident, $what:literal, $transport:ty, $default_port:expr, $default_transport:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name {
            /// Host name or address.
            pub host: Hostname,
            /// Port.
            pub port: u16,
            /// Transport.
            pub transport: $transport,
        }

        impl FromStr for $name {
            type Err = ValueError;
            fn from_str(s: &str) -> Result<Self, ValueError> {
                let (host, port, transport) = parse_host_port($what, s)?;
                let transport = match transport {
                    Some(t) => t.parse::<$transport>()?,
                    None => $default_transport,
                };
                Ok($name { host, port: port.unwrap_or($default_port), transport })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_host(f, &self.host)?;
                write!(f, ":{};transport={}", self.port, self.transport)
            }
        }

        impl SettingValue for $name {
            fn to_value(&self) -> Value {
                Value::String(self.to_string())
            }
            fn from_value(value: &Value) -> Result<Self, ValueError> {
                string_of(value)?.parse()
            }
        }

        impl ListEntry for $name {}
    };
}

host_port_type!(
    /// An outbound proxy: `host[:port][;transport=udp|tcp|tls]` (port 5060, UDP by default).
    SipProxyAddress, "SIP proxy address", SipTransport, 5060, SipTransport::Udp
);
host_port_type!(
    /// An MSRP relay: `host[:port][;transport=tls|tcp]` (port 2855, TLS by default).
    MsrpRelayAddress, "MSRP relay address", MsrpTransport, 2855, MsrpTransport::Tls
);

/// A STUN server: `host[:port]` (port 3478 by default).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StunServerAddress {
    /// Host name or address.
    pub host: Hostname,
    /// Port.
    pub port: u16,
}

impl FromStr for StunServerAddress {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, ValueError> {
        let (host, port, transport) = parse_host_port("STUN server address", s)?;
        if transport.is_some() {
            return Err(invalid(
                "STUN server address",
                s,
                "no transport parameter allowed",
            ));
        }
        Ok(StunServerAddress {
            host,
            port: port.unwrap_or(3478),
        })
    }
}

impl fmt::Display for StunServerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_host(f, &self.host)?;
        write!(f, ":{}", self.port)
    }
}

impl SettingValue for StunServerAddress {
    fn to_value(&self) -> Value {
        Value::String(self.to_string())
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        string_of(value)?.parse()
    }
}

impl ListEntry for StunServerAddress {}

/// An XCAP root URL (`http://` or `https://` followed by a host).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct XcapRoot(String);

impl XcapRoot {
    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for XcapRoot {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, ValueError> {
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .ok_or_else(|| invalid("XCAP root", s, "expected an http:// or https:// URL"))?;
        let authority = rest.split('/').next().unwrap_or("");
        let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        parse_host_port("XCAP root", authority).map_err(|_| invalid("XCAP root", s, "bad host"))?;
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("XCAP root", s, "white space in URL"));
        }
        Ok(XcapRoot(s.to_owned()))
    }
}

impl fmt::Display for XcapRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl SettingValue for XcapRoot {
    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        string_of(value)?.parse()
    }
}

/// A password: zeroed on drop, never printed. Stored as a [`Value::Secret`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Password(SecretString);

impl Password {
    /// Wraps a password.
    pub fn new(s: impl Into<String>) -> Self {
        Password(SecretString::new(s))
    }

    /// The password itself. Do not log it.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// Whether no password is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(********)")
    }
}

impl SettingValue for Password {
    fn to_value(&self) -> Value {
        Value::Secret(self.0.clone())
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        Ok(Password(SecretString::new(string_of(value)?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip<T: SettingValue>(v: &T) {
        assert_eq!(&T::from_value(&v.to_value()).unwrap(), v);
    }

    #[test]
    fn sip_address_parts_and_validation() {
        let a: SipAddress = "sip:Alice@Example.COM".parse().unwrap();
        assert_eq!(a.username(), "Alice");
        assert_eq!(a.domain(), "example.com");
        assert_eq!(a.as_str(), "Alice@example.com");
        roundtrip(&a);
        for bad in [
            "alice",
            "@example.com",
            "alice@",
            "al ice@example.com",
            "alice@exa mple.com",
            "a<b@x.com",
        ] {
            assert!(bad.parse::<SipAddress>().is_err(), "{bad}");
        }
    }

    #[test]
    fn port_range_rules() {
        let r: PortRange = "50000-50500".parse().unwrap();
        assert_eq!((r.start(), r.end()), (50000, 50500));
        roundtrip(&r);
        for bad in [
            "50001-50500",
            "50500-50000",
            "0-100",
            "x-2",
            "1000",
            "1000-70000",
        ] {
            assert!(bad.parse::<PortRange>().is_err(), "{bad}");
        }
    }

    #[test]
    fn hostnames() {
        for good in [
            "example.com",
            "a-b.example.com.",
            "127.0.0.1",
            "::1",
            "localhost",
        ] {
            good.parse::<Hostname>().unwrap();
        }
        for bad in ["", "-a.com", "a..b", "a b", "ex@mple.com", &"a".repeat(64)] {
            assert!(bad.parse::<Hostname>().is_err(), "{bad}");
        }
    }

    #[test]
    fn host_port_addresses() {
        let p: SipProxyAddress = "proxy.example.com".parse().unwrap();
        assert_eq!((p.port, p.transport), (5060, SipTransport::Udp));
        let p: SipProxyAddress = "[::1]:5061;transport=tls".parse().unwrap();
        assert_eq!(p.host.as_str(), "::1");
        assert_eq!(p.to_string(), "[::1]:5061;transport=tls");
        roundtrip(&p);
        assert!("proxy:0".parse::<SipProxyAddress>().is_err());
        assert!("proxy;transport=sctp".parse::<SipProxyAddress>().is_err());
        assert!("proxy;lr".parse::<SipProxyAddress>().is_err());
        let r: MsrpRelayAddress = "relay.example.com".parse().unwrap();
        assert_eq!((r.port, r.transport), (2855, MsrpTransport::Tls));
        let s: StunServerAddress = "stun.example.com".parse().unwrap();
        assert_eq!(s.port, 3478);
        assert!(
            "stun.example.com;transport=udp"
                .parse::<StunServerAddress>()
                .is_err()
        );
    }

    #[test]
    fn lists_reject_duplicates_and_bad_entries() {
        let v = Value::List(vec![
            Value::String("udp".into()),
            Value::String("UDP".into()),
        ]);
        assert!(matches!(
            Vec::<SipTransport>::from_value(&v),
            Err(ValueError::Duplicate(_))
        ));
        let v = Value::List(vec![
            Value::String("opus".into()),
            Value::String("mp3".into()),
        ]);
        assert!(matches!(
            Vec::<AudioCodec>::from_value(&v),
            Err(ValueError::NotAllowed { .. })
        ));
        roundtrip(&vec![AudioCodec::Opus, AudioCodec::Pcma]);
    }

    #[test]
    fn options_store_none_as_empty_string() {
        let none: Option<SipAddress> = None;
        assert_eq!(none.to_value(), Value::String(String::new()));
        roundtrip(&none);
        roundtrip(&Some("a@b.com".parse::<SipAddress>().unwrap()));
    }

    #[test]
    fn integers_and_durations_are_range_checked() {
        assert!(u16::from_value(&Value::Integer(70000)).is_err());
        assert!(Duration::from_value(&Value::Integer(-1)).is_err());
        assert!(bool::from_value(&Value::String("true".into())).is_err());
        assert_eq!(
            Duration::from_value(&Value::Integer(30)).unwrap(),
            Duration::from_secs(30)
        );
        assert!(SampleRate::from_value(&Value::Integer(44100)).is_ok());
        assert!(SampleRate::from_value(&Value::Integer(44101)).is_err());
    }

    #[test]
    fn xcap_roots() {
        "https://xcap.example.com/xcap-root"
            .parse::<XcapRoot>()
            .unwrap();
        "http://[::1]:8080/".parse::<XcapRoot>().unwrap();
        assert!("ftp://x.com".parse::<XcapRoot>().is_err());
        assert!("https://bad host/".parse::<XcapRoot>().is_err());
    }

    #[test]
    fn passwords_do_not_print() {
        let p = Password::new("s3cret");
        assert!(!format!("{p:?}").contains("s3cret"));
        assert!(!format!("{:?}", p.to_value()).contains("s3cret"));
        roundtrip(&p);
    }
}
