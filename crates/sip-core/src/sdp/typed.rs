//! Typed views of well-known attributes: each parses an attribute value and builds it back.
//!
//! | attribute | type | RFC |
//! |---|---|---|
//! | `sendrecv` `sendonly` `recvonly` `inactive` | [`Direction`] | 3264, 4566 |
//! | `rtpmap` | [`RtpMap`] | 4566 |
//! | `fmtp` | [`Fmtp`] | 4566 |
//! | `rtcp` | [`Rtcp`] | 3605 |
//! | `crypto` | [`Crypto`] | 4568 |
//! | `candidate` | [`Candidate`] | 5245, 8839 |
//! | `ice-ufrag`, `ice-pwd` | [`IceUfrag`], [`IcePwd`] | 5245, 8839 |
//! | `setup` | [`Setup`] | 4145 |
//! | `path` | [`MsrpPath`] | 4975 |
//! | `accept-types`, `accept-wrapped-types` | [`AcceptTypes`], [`AcceptWrappedTypes`] | 4975 |
//! | `file-selector` | [`FileSelector`] | 5547 |
//!
//! Parsing a typed value never changes the attribute list: the text stays in the
//! [`SdpAttribute`], so a value this module rejects is still printed as it came.

use std::fmt;
use std::str::FromStr;

use zeroize::Zeroize;

use super::attribute::{SdpAttribute, TypedAttribute};
use super::error::SdpAttributeError;
use super::model::SdpConnection;
use super::parse::parse_connection;

/// Parses a decimal number made only of ASCII digits (no sign, not empty).
pub(super) fn parse_digits<T: FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Implements `FromStr` and `Display` through the `TypedAttribute` value methods.
macro_rules! value_text {
    ($ty:ty) => {
        impl FromStr for $ty {
            type Err = SdpAttributeError;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                <$ty as TypedAttribute>::parse_value(value)
            }
        }

        impl fmt::Display for $ty {
            /// Writes the attribute value (the text after `a=<name>:`).
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&TypedAttribute::to_value(self))
            }
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Direction

/// The direction of a media stream (RFC 3264 §5.1): the flag attributes `a=sendrecv`,
/// `a=sendonly`, `a=recvonly` and `a=inactive`. The default is `SendRecv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// Send and receive (the default).
    #[default]
    SendRecv,
    /// Send only.
    SendOnly,
    /// Receive only.
    RecvOnly,
    /// Neither send nor receive.
    Inactive,
}

impl Direction {
    /// The attribute name: `sendrecv`, `sendonly`, `recvonly` or `inactive`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The direction named `name`, if it is one of the four.
    pub fn from_name(name: &str) -> Option<Direction> {
        match name {
            "sendrecv" => Some(Direction::SendRecv),
            "sendonly" => Some(Direction::SendOnly),
            "recvonly" => Some(Direction::RecvOnly),
            "inactive" => Some(Direction::Inactive),
            _ => None,
        }
    }

    /// The direction an attribute states, if it is a direction attribute.
    pub fn from_attribute(attribute: &SdpAttribute) -> Option<Direction> {
        Direction::from_name(&attribute.name)
    }

    /// The flag attribute for this direction.
    pub fn to_attribute(self) -> SdpAttribute {
        SdpAttribute::flag(self.as_str())
    }

    /// The direction from sending and receiving flags.
    pub fn from_flags(send: bool, receive: bool) -> Direction {
        match (send, receive) {
            (true, true) => Direction::SendRecv,
            (true, false) => Direction::SendOnly,
            (false, true) => Direction::RecvOnly,
            (false, false) => Direction::Inactive,
        }
    }

    /// Whether media is sent in this direction.
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    /// Whether media is received in this direction.
    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }

    /// The direction as the peer sees it: `sendonly` and `recvonly` swap (RFC 3264 §6.1).
    pub fn reverse(self) -> Direction {
        Direction::from_flags(self.receives(), self.sends())
    }
}

impl FromStr for Direction {
    type Err = SdpAttributeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Direction::from_name(s)
            .ok_or_else(|| SdpAttributeError::new("direction", "not a direction"))
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// ---------------------------------------------------------------------------------------------
// rtpmap

/// `a=rtpmap:<payload type> <encoding>/<clock rate>[/<channels>]` (RFC 4566 §6).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RtpMap {
    /// The RTP payload type (0..=127).
    pub payload_type: u8,
    /// The encoding name (`PCMU`, `opus`, `telephone-event`, ...).
    pub encoding: String,
    /// The clock rate in Hz.
    pub clock_rate: u32,
    /// The number of audio channels, when given.
    pub channels: Option<u16>,
}

impl RtpMap {
    /// A mapping without a channel count.
    pub fn new(payload_type: u8, encoding: impl Into<String>, clock_rate: u32) -> Self {
        RtpMap {
            payload_type,
            encoding: encoding.into(),
            clock_rate,
            channels: None,
        }
    }
}

impl TypedAttribute for RtpMap {
    const NAME: &'static str = "rtpmap";

    fn parse_value(value: &str) -> Result<Self, SdpAttributeError> {
        let err = |why| SdpAttributeError::new(Self::NAME, why);
        let (pt, rest) = value
            .trim()
            .split_once(|c: char| c.is_ascii_whitespace())
            .ok_or_else(|| err("missing encoding"))?;
        let payload_type = parse_digits::<u8>(pt)
            .filter(|pt| *pt <= 127)
            .ok_or_else(|| err("bad payload type"))?;
        let mut parts = rest.trim().split('/');
        let encoding = parts.next().unwrap_or("");
        if encoding.is_empty() || encoding.contains(|c: char| c.is_ascii_whitespace()) {
            return Err(err("bad encoding name"));
        }
        let clock_rate = parts
            .next()
            .and_then(parse_digits)
            .ok_or_else(|| err("bad clock rate"))?;
        let channels = match parts.next() {
            Some(c) => Some(parse_digits(c).ok_or_else(|| err("bad channel count"))?),
            None => None,
        };
        if parts.next().is_some() {
            return Err(err("too many parts"));
        }
        Ok(RtpMap {
            payload_type,
            encoding: encoding.to_owned(),
            clock_rate,
            channels,
        })
    }

    fn to_value(&self) -> String {
        let mut out = format!(
            "{} {}/{}",
            self.payload_type, self.encoding, self.clock_rate
        );
        if let Some(channels) = self.channels {
            out.push_str(&format!("/{channels}"));
        }
        out
    }
}
value_text!(RtpMap);

// ---------------------------------------------------------------------------------------------
// fmtp

/// One parameter of an `a=fmtp` line: `name=value`, or a bare `name` (such as `0-15` for
/// telephone-event).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FmtpParam {
    /// The parameter name (or the whole text when there is no `=`).
    pub name: String,
    /// The value after `=`.
    pub value: Option<String>,
}

/// `a=fmtp:<format> <parameters>` (RFC 4566 §6), with the parameters split at `;` and `=`.
///
/// Spaces around parameters are dropped, so `mode=20; x=1` builds back as `mode=20;x=1`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fmtp {
    /// The format (payload type) the parameters are for.
    pub format: String,
    /// The parameters, in order.
    pub params: Vec<FmtpParam>,
}

impl Fmtp {
    /// An `a=fmtp` for `format` without parameters.
    pub fn new(format: impl Into<String>) -> Self {
        Fmtp {
            format: format.into(),
            params: Vec::new(),
        }
    }

    /// Adds a `name=value` parameter (a bare `name` when `value` is `None`).
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, value: Option<&str>) -> Self {
        self.params.push(FmtpParam {
            name: name.into(),
            value: value.map(str::to_owned),
        });
        self
    }

    /// The value of parameter `name` (names compare without case; a bare name gives `""`).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.value.as_deref().unwrap_or(""))
    }
}

impl TypedAttribute for Fmtp {
    const NAME: &'static str = "fmtp";

    fn parse_value(value: &str) -> Result<Self, SdpAttributeError> {
        let value = value.trim();
        let (format, rest) = value
            .split_once(|c: char| c.is_ascii_whitespace())
            .unwrap_or((value, ""));
        if format.is_empty() {
            return Err(SdpAttributeError::new(Self::NAME, "missing format"));
        }
        let params = rest
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((name, value)) => FmtpParam {
                    name: name.trim().to_owned(),
                    value: Some(value.trim().to_owned()),
                },
                None => FmtpParam {
                    name: p.to_owned(),
                    value: None,
                },
            })
            .collect();
        Ok(Fmtp {
            format: format.to_owned(),
            params,
        })
    }

    fn to_value(&self) -> String {
        let mut out = self.format.clone();
        for (i, param) in self.params.iter().enumerate() {
            out.push(if i == 0 { ' ' } else { ';' });
            out.push_str(&param.name);
            if let Some(value) = &param.value {
                out.push('=');
                out.push_str(value);
            }
        }
        out
    }
}
value_text!(Fmtp);

// ---------------------------------------------------------------------------------------------
// rtcp

/// `a=rtcp:<port>[ <net type> <address type> <address>]` (RFC 3605).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rtcp {
    /// The RTCP port.
    pub port: u16,
    /// The RTCP address, when it differs from the media address.
    pub connection: Option<SdpConnection>,
}

impl TypedAttribute for Rtcp {
    const NAME: &'static str = "rtcp";

    fn parse_value(value: &str) -> Result<Self, SdpAttributeError> {
        let value = value.trim();
        let (port, rest) = value
            .split_once(|c: char| c.is_ascii_whitespace())
            .unwrap_or((value, ""));
        let port =
            parse_digits(port).ok_or_else(|| SdpAttributeError::new(Self::NAME, "bad port"))?;
        let rest = rest.trim();
        let connection = if rest.is_empty() {
            None
        } else {
            Some(parse_connection(rest).map_err(|why| SdpAttributeError::new(Self::NAME, why))?)
        };
        Ok(Rtcp { port, connection })
    }

    fn to_value(&self) -> String {
        match &self.connection {
            Some(c) => format!("{} {}", self.port, c),
            None => self.port.to_string(),
        }
    }
}
value_text!(Rtcp);

// ---------------------------------------------------------------------------------------------
// crypto

/// `a=crypto:<tag> <crypto-suite> <key-params> [<session-params>...]` (RFC 4568 SDES).
///
/// ```
/// use sip_core::sdp::{Crypto, TypedAttribute};
///
/// let c: Crypto = "1 AES_CM_128_HMAC_SHA1_80 \
///     inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32"
///     .parse()
///     .unwrap();
/// assert_eq!(c.tag, 1);
/// assert_eq!(c.key_params[0].key_salt, "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Crypto {
    /// The tag that the answer echoes.
    pub tag: u32,
    /// The crypto suite (`AES_CM_128_HMAC_SHA1_80`, ...).
    pub suite: String,
    /// The key parameters (at least one).
    pub key_params: Vec<CryptoKeyParam>,
    /// The session parameters (`KDR=1`, `UNENCRYPTED_SRTCP`, ...), kept as text.
    pub session_params: Vec<String>,
}

/// One key parameter of `a=crypto`: `inline:<key||salt>[|<lifetime>][|<mki>:<length>]`.
///
/// For methods other than `inline` the whole text after the colon is kept in `key_salt`.
/// The key is wiped from memory when the value is dropped and is not shown by `Debug`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CryptoKeyParam {
    /// The key method (`inline`).
    pub method: String,
    /// The base64 key and salt.
    pub key_salt: String,
    /// The master key lifetime.
    pub lifetime: Option<CryptoLifetime>,
    /// The master key identifier and its length.
    pub mki: Option<CryptoMki>,
}

impl CryptoKeyParam {
    /// An `inline:` key parameter without lifetime or MKI.
    pub fn inline(key_salt: impl Into<String>) -> Self {
        CryptoKeyParam {
            method: "inline".to_owned(),
            key_salt: key_salt.into(),
            lifetime: None,
            mki: None,
        }
    }
}

impl fmt::Debug for CryptoKeyParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CryptoKeyParam")
            .field("method", &self.method)
            .field("key_salt", &"<redacted>")
            .field("lifetime", &self.lifetime)
            .field("mki", &self.mki)
            .finish()
    }
}

impl Drop for CryptoKeyParam {
    fn drop(&mut self) {
        self.key_salt.zeroize();
    }
}

/// The master key lifetime of a crypto key parameter, in packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CryptoLifetime {
    /// `2^<n>` packets.
    PowerOfTwo(u8),
    /// A decimal number of packets.
    Packets(u64),
}

impl fmt::Display for CryptoLifetime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CryptoLifetime::PowerOfTwo(n) => write!(f, "2^{n}"),
            CryptoLifetime::Packets(n) => write!(f, "{n}"),
        }
    }
}

/// The master key identifier of a crypto key parameter: `<value>:<length in bytes>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CryptoMki {
    /// The MKI value.
    pub value: u64,
    /// The MKI length in bytes (1..=128).
    pub length: u8,
}

impl Crypto {
    /// An `a=crypto` with one inline key and no session parameters.
    pub fn new(tag: u32, suite: impl Into<String>, key_salt: impl Into<String>) -> Self {
        Crypto {
            tag,
            suite: suite.into(),
            key_params: vec![CryptoKeyParam::inline(key_salt)],
            session_params: Vec::new(),
        }
    }
}

fn parse_key_param(text: &str) -> Result<CryptoKeyParam, SdpAttributeError> {
    let err = |why| SdpAttributeError::new(Crypto::NAME, why);
    let (method, info) = text
        .split_once(':')
        .ok_or_else(|| err("key parameter without method"))?;
    if method.is_empty() || info.is_empty() {
        return Err(err("empty key parameter"));
    }
    if !method.eq_ignore_ascii_case("inline") {
        return Ok(CryptoKeyParam {
            method: method.to_owned(),
            key_salt: info.to_owned(),
            lifetime: None,
            mki: None,
        });
    }
    let mut parts = info.split('|');
    let key_salt = parts.next().unwrap_or("");
    if key_salt.is_empty() {
        return Err(err("empty key"));
    }
    let mut lifetime = None;
    let mut mki = None;
    for part in parts {
        if let Some((value, length)) = part.split_once(':') {
            if mki.is_some() {
                return Err(err("two MKIs"));
            }
            let value = parse_digits(value).ok_or_else(|| err("bad MKI value"))?;
            let length = parse_digits::<u8>(length)
                .filter(|l| (1..=128).contains(l))
                .ok_or_else(|| err("bad MKI length"))?;
            mki = Some(CryptoMki { value, length });
        } else {
            if lifetime.is_some() || mki.is_some() {
                return Err(err("misplaced lifetime"));
            }
            lifetime = Some(if let Some(exp) = part.strip_prefix("2^") {
                CryptoLifetime::PowerOfTwo(parse_digits(exp).ok_or_else(|| err("bad lifetime"))?)
            } else {
                CryptoLifetime::Packets(parse_digits(part).ok_or_else(|| err("bad lifetime"))?)
            });
        }
    }
    Ok(CryptoKeyParam {
        method: method.to_owned(),
        key_salt: key_salt.to_owned(),
        lifetime,
        mki,
    })
}

impl TypedAttribute for Crypto {
    const NAME: &'static str = "crypto";

    fn parse_value(value: &str) -> Result<Self, SdpAttributeError> {
        let err = |why| SdpAttributeError::new(Self::NAME, why);
        let mut tokens = value.split_ascii_whitespace();
        let tag = tokens
            .next()
            .filter(|t| t.len() <= 9)
            .and_then(parse_digits)
            .ok_or_else(|| err("bad tag"))?;
        let suite = tokens.next().ok_or_else(|| err("missing crypto suite"))?;
        let key_params = tokens
            .next()
            .ok_or_else(|| err("missing key parameters"))?
            .split(';')
            .map(parse_key_param)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Crypto {
            tag,
            suite: suite.to_owned(),
            key_params,
            session_params: tokens.map(str::to_owned).collect(),
        })
    }

    fn to_value(&self) -> String {
        let mut out = format!("{} {} ", self.tag, self.suite);
        for (i, kp) in self.key_params.iter().enumerate() {
            if i > 0 {
                out.push(';');
            }
            out.push_str(&kp.method);
            out.push(':');
            out.push_str(&kp.key_salt);
            if let Some(lifetime) = kp.lifetime {
                out.push_str(&format!("|{lifetime}"));
            }
            if let Some(mki) = kp.mki {
                out.push_str(&format!("|{}:{}", mki.value, mki.length));
            }
        }
        for param in &self.session_params {
            out.push(' ');
            out.push_str(param);
        }
        out
    }
}
value_text!(Crypto);

// ---------------------------------------------------------------------------------------------
// candidate

/// The type of an ICE candidate (`typ` in `a=candidate`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CandidateType {
    /// `host`.
    Host,
    /// `srflx`, server reflexive.
    ServerReflexive,
    /// `prflx`, peer reflexive.
    PeerReflexive,
    /// `relay`, relayed through a TURN server.
    Relayed,
    /// Another type token, kept as text.
    Other(String),
}

impl CandidateType {
    /// The type token.
    pub fn as_str(&self) -> &str {
        match self {
            CandidateType::Host => "host",
            CandidateType::ServerReflexive => "srflx",
            CandidateType::PeerReflexive => "prflx",
            CandidateType::Relayed => "relay",
            CandidateType::Other(other) => other,
        }
    }

    fn from_token(token: &str) -> CandidateType {
        match token {
            "host" => CandidateType::Host,
            "srflx" => CandidateType::ServerReflexive,
            "prflx" => CandidateType::PeerReflexive,
            "relay" => CandidateType::Relayed,
            other => CandidateType::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for CandidateType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>
/// [raddr <address>] [rport <port>] *(<name> <value>)` (RFC 5245 §15.1, RFC 8839 §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Candidate {
    /// The foundation.
    pub foundation: String,
    /// The component id (1 for RTP, 2 for RTCP).
    pub component: u16,
    /// The transport (`UDP`, `TCP`).
    pub transport: String,
    /// The priority.
    pub priority: u32,
    /// The connection address.
    pub address: String,
    /// The port.
    pub port: u16,
    /// The candidate type.
    pub candidate_type: CandidateType,
    /// The related address (`raddr`).
    pub related_address: Option<String>,
    /// The related port (`rport`).
    pub related_port: Option<u16>,
    /// The extension attributes (`generation 0`, `tcptype active`, ...), in order.
    pub extensions: Vec<(String, String)>,
}

impl TypedAttribute for Candidate {
    const NAME: &'static str = "candidate";

    fn parse_value(value: &str) -> Result<Self, SdpAttributeError> {
        let err = |why| SdpAttributeError::new(Self::NAME, why);
        let mut tokens = value.split_ascii_whitespace();
        let mut next = |what| tokens.next().ok_or_else(|| err(what));
        let foundation = next("missing foundation")?.to_owned();
        let component =
            parse_digits(next("missing component")?).ok_or_else(|| err("bad component"))?;
        let transport = next("missing transport")?.to_owned();
        let priority =
            parse_digits(next("missing priority")?).ok_or_else(|| err("bad priority"))?;
        let address = next("missing address")?.to_owned();
        let port = parse_digits(next("missing port")?).ok_or_else(|| err("bad port"))?;
        if next("missing typ")? != "typ" {
            return Err(err("missing typ"));
        }
        let candidate_type = CandidateType::from_token(next("missing candidate type")?);
        let mut candidate = Candidate {
            foundation,
            component,
            transport,
            priority,
            address,
            port,
            candidate_type,
            related_address: None,
            related_port: None,
            extensions: Vec::new(),
        };
        while let Some(name) = tokens.next() {
            let value = tokens
                .next()
                .ok_or_else(|| err("extension without value"))?;
            match name {
                "raddr" if candidate.related_address.is_none() => {
                    candidate.related_address = Some(value.to_owned());
                }
                "rport" if candidate.related_port.is_none() => {
                    candidate.related_port =
                        Some(parse_digits(value).ok_or_else(|| err("bad rport"))?);
                }
                "raddr" | "rport" => return Err(err("repeated raddr or rport")),
                _ => candidate
                    .extensions
                    .push((name.to_owned(), value.to_owned())),
            }
        }
        Ok(candidate)
    }

    fn to_value(&self) -> String {
        let mut out = format!(
            "{} {} {} {} {} {} typ {}",
            self.foundation,
            self.component,
            self.transport,
            self.priority,
            self.address,
            self.port,
            self.candidate_type
        );
        if let Some(raddr) = &self.related_address {
            out.push_str(" raddr ");
            out.push_str(raddr);
        }
        if let Some(rport) = self.related_port {
            out.push_str(&format!(" rport {rport}"));
        }
        for (name, value) in &self.extensions {
            out.push(' ');
            out.push_str(name);
            out.push(' ');
            out.push_str(value);
        }
        out
    }
}
value_text!(Candidate);

// ---------------------------------------------------------------------------------------------
// ice-ufrag / ice-pwd

/// Whether `s` is made of ICE characters (`ALPHA / DIGIT / "+" / "/"`).
fn ice_chars(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// `a=ice-ufrag:<ufrag>`: 4 to 256 ICE characters (RFC 8839 §5.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IceUfrag(pub String);

impl TypedAttribute for IceUfrag {
    const NAME: &'static str = "ice-ufrag";

    fn parse_value(value: &str) -> Result<Self, SdpAttributeError> {
        if !(4..=256).contains(&value.len()) || !ice_chars(value) {
            return Err(SdpAttributeError::new(
                Self::NAME,
                "not 4 to 256 ICE characters",
            ));
        }
        Ok(IceUfrag(value.to_owned()))
    }

    fn to_value(&self) -> String {
        self.0.clone()
    }
}
value_text!(IceUfrag);

/// `a=ice-pwd:<password>`: 22 to 256 ICE characters (RFC 8839 §5.4).
///
/// The password is wiped from memory when dropped and is not shown by `Debug`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IcePwd(pub String);

impl fmt::Debug for IcePwd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IcePwd(<redacted>)")
    }
}

impl Drop for IcePwd {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl TypedAttribute for IcePwd {
    const NAME: &'static str = "ice-pwd";

    fn parse_value(value: &str) -> Result<Self, SdpAttributeError> {
        if !(22..=256).contains(&value.len()) || !ice_chars(value) {
            return Err(SdpAttributeError::new(
                Self::NAME,
                "not 22 to 256 ICE characters",
            ));
        }
        Ok(IcePwd(value.to_owned()))
    }

    fn to_value(&self) -> String {
        self.0.clone()
    }
}

impl FromStr for IcePwd {
    type Err = SdpAttributeError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        IcePwd::parse_value(value)
    }
}

// ---------------------------------------------------------------------------------------------
// setup

/// `a=setup` (RFC 4145 §4): which end opens the TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setup {
    /// `active`: this end connects.
    Active,
    /// `passive`: this end accepts.
    Passive,
    /// `actpass`: either (offers only).
    ActPass,
    /// `holdconn`: no connection for now.
    HoldConn,
}

impl Setup {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Setup::Active => "active",
            Setup::Passive => "passive",
            Setup::ActPass => "actpass",
            Setup::HoldConn => "holdconn",
        }
    }
}

impl TypedAttribute for Setup {
    const NAME: &'static str = "setup";

    fn parse_value(value: &str) -> Result<Self, SdpAttributeError> {
        match value.trim() {
            "active" => Ok(Setup::Active),
            "passive" => Ok(Setup::Passive),
            "actpass" => Ok(Setup::ActPass),
            "holdconn" => Ok(Setup::HoldConn),
            _ => Err(SdpAttributeError::new(Self::NAME, "unknown role")),
        }
    }

    fn to_value(&self) -> String {
        self.as_str().to_owned()
    }
}
value_text!(Setup);

// ---------------------------------------------------------------------------------------------
// MSRP: path, accept-types, accept-wrapped-types

/// Splits a space-separated list that must not be empty.
fn word_list(name: &'static str, value: &str) -> Result<Vec<String>, SdpAttributeError> {
    let words: Vec<String> = value.split_ascii_whitespace().map(str::to_owned).collect();
    if words.is_empty() {
        return Err(SdpAttributeError::new(name, "empty list"));
    }
    Ok(words)
}

/// `a=path:<MSRP URI> ...` (RFC 4975 §8.2): the URIs from the first hop to the endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MsrpPath {
    /// The MSRP URIs, in order.
    pub uris: Vec<String>,
}

impl TypedAttribute for MsrpPath {
    const NAME: &'static str = "path";

    fn parse_value(value: &str) -> Result<Self, SdpAttributeError> {
        Ok(MsrpPath {
            uris: word_list(Self::NAME, value)?,
        })
    }

    fn to_value(&self) -> String {
        self.uris.join(" ")
    }
}
value_text!(MsrpPath);

/// Whether a media-type pattern (`*`, `text/*`, `text/plain`) matches a content type.
fn type_matches(pattern: &str, content_type: &str) -> bool {
    let base = |s: &str| {
        s.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    };
    let (pattern, content_type) = (base(pattern), base(content_type));
    if pattern == "*" || pattern == content_type {
        return true;
    }
    match pattern.strip_suffix("/*") {
        Some(top) => content_type.split('/').next() == Some(top),
        None => false,
    }
}

/// `a=accept-types:<type> ...` (RFC 4975 §8.6): the media types the endpoint accepts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AcceptTypes {
    /// The media types, possibly with `*` wildcards.
    pub types: Vec<String>,
}

impl AcceptTypes {
    /// Whether `content_type` matches one of the types (`*` and `type/*` match as wildcards;
    /// parameters are ignored).
    pub fn accepts(&self, content_type: &str) -> bool {
        self.types.iter().any(|t| type_matches(t, content_type))
    }
}

impl TypedAttribute for AcceptTypes {
    const NAME: &'static str = "accept-types";

    fn parse_value(value: &str) -> Result<Self, SdpAttributeError> {
        Ok(AcceptTypes {
            types: word_list(Self::NAME, value)?,
        })
    }

    fn to_value(&self) -> String {
        self.types.join(" ")
    }
}
value_text!(AcceptTypes);

/// `a=accept-wrapped-types:<type> ...` (RFC 4975 §8.6): the types accepted inside wrappers
/// such as `message/cpim`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AcceptWrappedTypes {
    /// The media types, possibly with `*` wildcards.
    pub types: Vec<String>,
}

impl AcceptWrappedTypes {
    /// Whether `content_type` matches one of the types (as [`AcceptTypes::accepts`]).
    pub fn accepts(&self, content_type: &str) -> bool {
        self.types.iter().any(|t| type_matches(t, content_type))
    }
}

impl TypedAttribute for AcceptWrappedTypes {
    const NAME: &'static str = "accept-wrapped-types";

    fn parse_value(value: &str) -> Result<Self, SdpAttributeError> {
        Ok(AcceptWrappedTypes {
            types: word_list(Self::NAME, value)?,
        })
    }

    fn to_value(&self) -> String {
        self.types.join(" ")
    }
}
value_text!(AcceptWrappedTypes);

// ---------------------------------------------------------------------------------------------
// file-selector

/// The `hash:` selector of `a=file-selector`: an algorithm and colon-separated hex bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileHash {
    /// The hash algorithm (`sha-1`).
    pub algorithm: String,
    /// The hash as colon-separated hex bytes (`72:24:5F:...`).
    pub value: String,
}

impl FileHash {
    /// A hash from raw bytes, written as upper-case hex bytes separated by colons.
    pub fn from_bytes(algorithm: impl Into<String>, bytes: &[u8]) -> Self {
        let value = bytes
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":");
        FileHash {
            algorithm: algorithm.into(),
            value,
        }
    }

    /// The hash bytes, or `None` when the value is not colon-separated hex bytes.
    pub fn bytes(&self) -> Option<Vec<u8>> {
        self.value
            .split(':')
            .map(|h| {
                if h.len() == 2 {
                    u8::from_str_radix(h, 16).ok()
                } else {
                    None
                }
            })
            .collect()
    }
}

/// `a=file-selector` (RFC 5547 §6): `name:"<name>" type:<type> size:<bytes>
/// hash:<algorithm>:<hex>`, each selector optional but at least one present.
///
/// The name is unquoted and its `%XX` escapes decoded; building escapes `"`, `%`, CR, LF and
/// NUL again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct FileSelector {
    /// The file name.
    pub name: Option<String>,
    /// The media type of the file (`image/jpeg`).
    pub media_type: Option<String>,
    /// The size in bytes.
    pub size: Option<u64>,
    /// The hash of the file.
    pub hash: Option<FileHash>,
}

/// The value of one hex digit.
fn hex_value(digit: u8) -> Option<u8> {
    (digit as char).to_digit(16).map(|v| v as u8)
}

/// Decodes `%XX` escapes; a `%` not followed by two hex digits stays as it is.
fn percent_decode_name(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let escaped = match bytes.get(i + 1..i + 3) {
            Some(&[h, l]) if b == b'%' => hex_value(h).zip(hex_value(l)).map(|(h, l)| h << 4 | l),
            _ => None,
        };
        match escaped {
            Some(v) => {
                out.push(v);
                i += 3;
            }
            None => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Escapes the bytes that may not appear inside the quoted file name.
fn percent_encode_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' | '%' | '\r' | '\n' | '\0' => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

impl TypedAttribute for FileSelector {
    const NAME: &'static str = "file-selector";

    fn parse_value(value: &str) -> Result<Self, SdpAttributeError> {
        let err = |why| SdpAttributeError::new(Self::NAME, why);
        let mut selector = FileSelector::default();
        let mut rest = value.trim_start();
        if rest.is_empty() {
            return Err(err("no selector"));
        }
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix("name:") {
                let quoted = after
                    .strip_prefix('"')
                    .ok_or_else(|| err("name not quoted"))?;
                let end = quoted.find('"').ok_or_else(|| err("unterminated name"))?;
                if selector.name.is_some() {
                    return Err(err("two names"));
                }
                selector.name =
                    Some(percent_decode_name(&quoted[..end]).ok_or_else(|| err("name not UTF-8"))?);
                rest = &quoted[end + 1..];
            } else {
                // A token runs to the next space outside double quotes.
                let mut in_quotes = false;
                let end = rest
                    .char_indices()
                    .find(|&(_, c)| {
                        if c == '"' {
                            in_quotes = !in_quotes;
                        }
                        c == ' ' && !in_quotes
                    })
                    .map_or(rest.len(), |(i, _)| i);
                let token = &rest[..end];
                if token.matches('"').count() % 2 == 1 {
                    return Err(err("unterminated quote"));
                }
                rest = &rest[end..];
                if let Some(t) = token.strip_prefix("type:") {
                    if t.is_empty() || selector.media_type.is_some() {
                        return Err(err("bad type"));
                    }
                    selector.media_type = Some(t.to_owned());
                } else if let Some(size) = token.strip_prefix("size:") {
                    if selector.size.is_some() {
                        return Err(err("two sizes"));
                    }
                    selector.size = Some(parse_digits(size).ok_or_else(|| err("bad size"))?);
                } else if let Some(hash) = token.strip_prefix("hash:") {
                    let (algorithm, value) = hash.split_once(':').ok_or_else(|| err("bad hash"))?;
                    if algorithm.is_empty() || value.is_empty() || selector.hash.is_some() {
                        return Err(err("bad hash"));
                    }
                    selector.hash = Some(FileHash {
                        algorithm: algorithm.to_owned(),
                        value: value.to_owned(),
                    });
                } else {
                    return Err(err("unknown selector"));
                }
            }
            let trimmed = rest.trim_start_matches(' ');
            if trimmed.len() == rest.len() && !rest.is_empty() {
                return Err(err("selectors not separated by a space"));
            }
            rest = trimmed;
        }
        Ok(selector)
    }

    fn to_value(&self) -> String {
        let mut parts = Vec::new();
        if let Some(name) = &self.name {
            parts.push(format!("name:\"{}\"", percent_encode_name(name)));
        }
        if let Some(t) = &self.media_type {
            parts.push(format!("type:{t}"));
        }
        if let Some(size) = self.size {
            parts.push(format!("size:{size}"));
        }
        if let Some(hash) = &self.hash {
            parts.push(format!("hash:{}:{}", hash.algorithm, hash.value));
        }
        parts.join(" ")
    }
}
value_text!(FileSelector);

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: TypedAttribute + fmt::Debug + PartialEq>(text: &str) -> T {
        let value = T::parse_value(text).unwrap();
        assert_eq!(value.to_value(), text, "canonical text builds back");
        let attr = value.to_attribute();
        assert_eq!(attr.name, T::NAME);
        assert_eq!(T::from_attribute(&attr).unwrap(), value);
        value
    }

    fn rejects<T: TypedAttribute + fmt::Debug>(text: &str) {
        let e = T::parse_value(text).err();
        assert!(e.is_some(), "{text:?} accepted");
        assert_eq!(e.unwrap().attribute(), T::NAME);
    }

    #[test]
    fn digits_only() {
        assert_eq!(parse_digits::<u8>("12"), Some(12));
        assert_eq!(parse_digits::<u8>("+1"), None);
        assert_eq!(parse_digits::<u8>(""), None);
        assert_eq!(parse_digits::<u8>("256"), None);
        assert_eq!(parse_digits::<u64>(" 1"), None);
    }

    #[test]
    fn direction() {
        for d in [
            Direction::SendRecv,
            Direction::SendOnly,
            Direction::RecvOnly,
            Direction::Inactive,
        ] {
            assert_eq!(d.as_str().parse::<Direction>().unwrap(), d);
            assert_eq!(Direction::from_attribute(&d.to_attribute()), Some(d));
            assert_eq!(d.reverse().reverse(), d);
            assert_eq!(Direction::from_flags(d.sends(), d.receives()), d);
            assert_eq!(d.to_string(), d.as_str());
        }
        assert_eq!(Direction::SendOnly.reverse(), Direction::RecvOnly);
        assert_eq!(Direction::Inactive.reverse(), Direction::Inactive);
        assert_eq!(Direction::default(), Direction::SendRecv);
        assert!("SENDRECV".parse::<Direction>().is_err());
        assert_eq!(
            Direction::from_attribute(&SdpAttribute::flag("ptime")),
            None
        );
    }

    #[test]
    fn rtpmap() {
        let m: RtpMap = round_trip("0 PCMU/8000");
        assert_eq!(m, RtpMap::new(0, "PCMU", 8000));
        let m: RtpMap = round_trip("111 opus/48000/2");
        assert_eq!(m.channels, Some(2));
        let m: RtpMap = round_trip("101 telephone-event/8000");
        assert_eq!(m.encoding, "telephone-event");
        assert_eq!("96  H264/90000".parse::<RtpMap>().unwrap().payload_type, 96);
        rejects::<RtpMap>("");
        rejects::<RtpMap>("0");
        rejects::<RtpMap>("128 X/8000");
        rejects::<RtpMap>("x PCMU/8000");
        rejects::<RtpMap>("0 PCMU");
        rejects::<RtpMap>("0 /8000");
        rejects::<RtpMap>("0 PCMU/x");
        rejects::<RtpMap>("0 PCMU/8000/x");
        rejects::<RtpMap>("0 PCMU/8000/1/2");
        rejects::<RtpMap>("0 PC MU/8000");
        assert!(
            SdpAttribute::new("fmtp", "0 PCMU/8000")
                .parse_as::<RtpMap>()
                .is_err()
        );
        assert!(SdpAttribute::flag("rtpmap").parse_as::<RtpMap>().is_err());
    }

    #[test]
    fn fmtp() {
        let f: Fmtp = round_trip("101 0-15");
        assert_eq!(f.params[0].name, "0-15");
        assert_eq!(f.get("0-15"), Some(""));
        let f: Fmtp = round_trip("96 profile-level-id=42e01f;packetization-mode=1");
        assert_eq!(f.get("PACKETIZATION-MODE"), Some("1"));
        assert_eq!(f.get("x"), None);
        let f: Fmtp = "18 annexb=no; x = 2 ;".parse().unwrap();
        assert_eq!(f.to_string(), "18 annexb=no;x=2");
        let f: Fmtp = round_trip("99");
        assert!(f.params.is_empty());
        assert_eq!(
            Fmtp::new("97")
                .with("mode", Some("20"))
                .with("dtx", None)
                .to_value(),
            "97 mode=20;dtx"
        );
        rejects::<Fmtp>("");
        rejects::<Fmtp>("   ");
    }

    #[test]
    fn rtcp() {
        let r: Rtcp = round_trip("53020");
        assert_eq!(r.port, 53020);
        assert!(r.connection.is_none());
        let r: Rtcp = round_trip("53020 IN IP4 126.16.64.4");
        assert_eq!(r.connection.unwrap().address, "126.16.64.4");
        let r: Rtcp = round_trip("9 IN IP6 2001:2345:6789:ABCD:EF01:2345:6789:ABCD");
        assert_eq!(r.connection.unwrap().address_type, "IP6");
        rejects::<Rtcp>("");
        rejects::<Rtcp>("70000");
        rejects::<Rtcp>("1 IN IP4");
        rejects::<Rtcp>("1 IN IP4 1.2.3.4 x");
    }

    #[test]
    fn crypto() {
        let c: Crypto = round_trip(
            "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4",
        );
        assert_eq!(c.suite, "AES_CM_128_HMAC_SHA1_80");
        let kp = &c.key_params[0];
        assert_eq!(kp.method, "inline");
        assert_eq!(kp.lifetime, Some(CryptoLifetime::PowerOfTwo(20)));
        assert_eq!(
            kp.mki,
            Some(CryptoMki {
                value: 1,
                length: 4
            })
        );
        assert!(!format!("{kp:?}").contains("PS1u"));
        let c: Crypto = round_trip(
            "2 F8_128_HMAC_SHA1_80 inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm|2^20|1:4;inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5|2^20|2:4 FEC_ORDER=FEC_SRTP",
        );
        assert_eq!(c.key_params.len(), 2);
        assert_eq!(c.session_params, vec!["FEC_ORDER=FEC_SRTP"]);
        let c: Crypto =
            round_trip("3 AES_CM_128_HMAC_SHA1_32 inline:abc|1048576 KDR=1 UNENCRYPTED_SRTCP");
        assert_eq!(
            c.key_params[0].lifetime,
            Some(CryptoLifetime::Packets(1_048_576))
        );
        assert_eq!(c.session_params.len(), 2);
        let c: Crypto = round_trip("4 AES_CM_128_HMAC_SHA1_80 inline:abc|7:2");
        assert_eq!(c.key_params[0].lifetime, None);
        let c: Crypto = round_trip("5 X other:anything|goes");
        assert_eq!(c.key_params[0].key_salt, "anything|goes");
        assert_eq!(
            Crypto::new(1, "AES_CM_128_HMAC_SHA1_80", "a2V5").to_value(),
            "1 AES_CM_128_HMAC_SHA1_80 inline:a2V5"
        );
        rejects::<Crypto>("");
        rejects::<Crypto>("x AES inline:a");
        rejects::<Crypto>("1234567890 AES inline:a");
        rejects::<Crypto>("1 AES");
        rejects::<Crypto>("1 AES inline");
        rejects::<Crypto>("1 AES inline:");
        rejects::<Crypto>("1 AES :abc");
        rejects::<Crypto>("1 AES inline:|2^20");
        rejects::<Crypto>("1 AES inline:a|2^x");
        rejects::<Crypto>("1 AES inline:a|x");
        rejects::<Crypto>("1 AES inline:a|1:0");
        rejects::<Crypto>("1 AES inline:a|1:200");
        rejects::<Crypto>("1 AES inline:a|x:4");
        rejects::<Crypto>("1 AES inline:a|1:4|2^20");
        rejects::<Crypto>("1 AES inline:a|1:4|2:4");
        rejects::<Crypto>("1 AES inline:a|2^20|2^20");
    }

    #[test]
    fn candidate() {
        let c: Candidate = round_trip("1 1 UDP 2130706431 10.0.1.1 8998 typ host");
        assert_eq!(c.candidate_type, CandidateType::Host);
        assert_eq!(c.component, 1);
        assert_eq!(c.priority, 2_130_706_431);
        let c: Candidate =
            round_trip("2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998");
        assert_eq!(c.candidate_type, CandidateType::ServerReflexive);
        assert_eq!(c.related_address.as_deref(), Some("10.0.1.1"));
        assert_eq!(c.related_port, Some(8998));
        let c: Candidate = round_trip(
            "842163049 1 tcp 1518280447 192.168.1.2 9 typ host tcptype active generation 0",
        );
        assert_eq!(
            c.extensions,
            vec![
                ("tcptype".to_owned(), "active".to_owned()),
                ("generation".to_owned(), "0".to_owned())
            ]
        );
        let c: Candidate =
            round_trip("3 2 UDP 1 198.51.100.1 5000 typ relay raddr 0.0.0.0 rport 0");
        assert_eq!(c.candidate_type, CandidateType::Relayed);
        let c: Candidate = round_trip("4 1 UDP 1 198.51.100.1 5000 typ prflx");
        assert_eq!(c.candidate_type, CandidateType::PeerReflexive);
        let c: Candidate = round_trip("5 1 UDP 1 198.51.100.1 5000 typ newtype");
        assert_eq!(c.candidate_type.as_str(), "newtype");
        rejects::<Candidate>("");
        rejects::<Candidate>("1 x UDP 1 a 1 typ host");
        rejects::<Candidate>("1 1 UDP x a 1 typ host");
        rejects::<Candidate>("1 1 UDP 1 a 70000 typ host");
        rejects::<Candidate>("1 1 UDP 1 a 1 type host");
        rejects::<Candidate>("1 1 UDP 1 a 1 typ");
        rejects::<Candidate>("1 1 UDP 1 a 1 typ host raddr");
        rejects::<Candidate>("1 1 UDP 1 a 1 typ host rport x");
        rejects::<Candidate>("1 1 UDP 1 a 1 typ host raddr a raddr b");
        rejects::<Candidate>("1 1 UDP 1 a 1");
    }

    #[test]
    fn ice_credentials() {
        let u: IceUfrag = round_trip("8hhY");
        assert_eq!(u.0, "8hhY");
        let p: IcePwd = round_trip("asd88fgpdd777uzjYhagZg");
        assert_eq!(format!("{p:?}"), "IcePwd(<redacted>)");
        assert_eq!("asd88fgpdd777uzjYhagZg".parse::<IcePwd>().unwrap(), p);
        rejects::<IceUfrag>("abc");
        rejects::<IceUfrag>("ab-cd");
        rejects::<IcePwd>("short");
        rejects::<IcePwd>("asd88fgpdd777uzjYhagZg!");
    }

    #[test]
    fn setup() {
        for (text, role) in [
            ("active", Setup::Active),
            ("passive", Setup::Passive),
            ("actpass", Setup::ActPass),
            ("holdconn", Setup::HoldConn),
        ] {
            assert_eq!(round_trip::<Setup>(text), role);
            assert_eq!(role.to_string(), text);
        }
        rejects::<Setup>("server");
    }

    #[test]
    fn msrp_lists() {
        let p: MsrpPath =
            round_trip("msrp://relay.example.com:2855/1234;tcp msrp://192.0.2.4:7777/abcd;tcp");
        assert_eq!(p.uris.len(), 2);
        rejects::<MsrpPath>(" ");
        let t: AcceptTypes = round_trip("message/cpim text/plain text/html");
        assert!(t.accepts("text/plain; charset=utf-8"));
        assert!(t.accepts("Message/CPIM"));
        assert!(!t.accepts("image/png"));
        let w: AcceptWrappedTypes = round_trip("text/* image/png");
        assert!(w.accepts("text/html"));
        assert!(w.accepts("image/png"));
        assert!(!w.accepts("image/jpeg"));
        let any: AcceptWrappedTypes = round_trip("*");
        assert!(any.accepts("application/octet-stream"));
        rejects::<AcceptTypes>("");
        rejects::<AcceptWrappedTypes>("");
    }

    #[test]
    fn file_selector() {
        let text = "name:\"My cool picture.jpg\" type:image/jpeg size:32349 \
                    hash:sha-1:72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E";
        let f: FileSelector = round_trip(text);
        assert_eq!(f.name.as_deref(), Some("My cool picture.jpg"));
        assert_eq!(f.media_type.as_deref(), Some("image/jpeg"));
        assert_eq!(f.size, Some(32349));
        let hash = f.hash.unwrap();
        assert_eq!(hash.algorithm, "sha-1");
        let bytes = hash.bytes().unwrap();
        assert_eq!(bytes.len(), 20);
        assert_eq!(FileHash::from_bytes("sha-1", &bytes), hash);
        let f: FileSelector = round_trip("size:1");
        assert_eq!(f.name, None);
        let f: FileSelector = round_trip("name:\"100%25 \u{e9}t\u{e9} %22q%22.txt\"");
        assert_eq!(f.name.as_deref(), Some("100% \u{e9}t\u{e9} \"q\".txt"));
        let f: FileSelector = "name:\"50% off\"".parse().unwrap();
        assert_eq!(f.name.as_deref(), Some("50% off"));
        let f: FileSelector = round_trip("type:text/plain;charset=\"a b\" size:3");
        assert_eq!(f.media_type.as_deref(), Some("text/plain;charset=\"a b\""));
        assert_eq!(
            FileHash {
                algorithm: "sha-1".into(),
                value: "zz".into()
            }
            .bytes(),
            None
        );
        rejects::<FileSelector>("");
        rejects::<FileSelector>("name:noquotes");
        rejects::<FileSelector>("name:\"open");
        rejects::<FileSelector>("name:\"a\"size:1");
        rejects::<FileSelector>("name:\"a\" name:\"b\"");
        rejects::<FileSelector>("name:\"%FF\"");
        rejects::<FileSelector>("size:x");
        rejects::<FileSelector>("size:1 size:2");
        rejects::<FileSelector>("type:");
        rejects::<FileSelector>("hash:sha-1");
        rejects::<FileSelector>("hash::AB");
        rejects::<FileSelector>("color:red");
        rejects::<FileSelector>("size:1 type:a\"");
        rejects::<FileSelector>("hash:sha-1:\"AB");
    }
}
