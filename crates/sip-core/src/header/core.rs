//! The headers every transaction reads: Via, From, To, Call-ID, CSeq, Max-Forwards, Contact,
//! Route, Record-Route, Path, Content-Length, Content-Type, Expires and Min-Expires.

use std::fmt::{self, Write};

use bytestring::ByteString;

use super::{
    HeaderName, NameAddr, TypedHeader, int_header, name_addr_header, parse_uint, text_header,
};
use crate::error::{Element, ParseError, ParseErrorKind};
use crate::grammar::{self, trim_lws};
use crate::message::Method;
use crate::param::{Params, is_header_param_char};
use crate::uri::{Host, split_host_port};

/// The RFC 3261 magic cookie that starts every compliant branch parameter.
pub const BRANCH_MAGIC_COOKIE: &str = "z9hG4bK";

/// One Via value (RFC 3261 §20.42, RFC 3581 rport).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    protocol: ByteString,
    transport: ByteString,
    host: Host,
    port: Option<u16>,
    params: Params,
}

impl Via {
    /// A `SIP/2.0/<transport>` Via for `host[:port]` with a branch parameter.
    pub fn new(transport: &str, host: Host, port: Option<u16>, branch: &str) -> Self {
        let mut params = Params::new();
        params.set("branch", Some(branch));
        Via {
            protocol: ByteString::from_static("SIP/2.0"),
            transport: ByteString::from(transport.to_ascii_uppercase()),
            host,
            port,
            params,
        }
    }

    /// The protocol name and version (`SIP/2.0`).
    pub fn protocol(&self) -> &str {
        &self.protocol
    }

    /// The transport (`UDP`, `TCP`, `TLS`, `SCTP`, `WS`…), as written.
    pub fn transport(&self) -> &str {
        &self.transport
    }

    /// The sent-by host.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The sent-by port.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The parameters.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Mutable parameters.
    pub fn params_mut(&mut self) -> &mut Params {
        &mut self.params
    }

    /// The branch parameter.
    pub fn branch(&self) -> Option<&str> {
        self.params.raw_value("branch")
    }

    /// True when the branch starts with the RFC 3261 magic cookie.
    pub fn has_rfc3261_branch(&self) -> bool {
        self.branch()
            .is_some_and(|b| b.starts_with(BRANCH_MAGIC_COOKIE))
    }

    /// The received parameter.
    pub fn received(&self) -> Option<&str> {
        self.params.raw_value("received")
    }

    /// Sets the received parameter (RFC 3261 §18.2.1).
    pub fn set_received(&mut self, ip: std::net::IpAddr) {
        self.params.set("received", Some(&ip.to_string()));
    }

    /// The rport parameter: `None` when absent, `Some(None)` when present without value (a
    /// request for symmetric response routing), `Some(Some(port))` when filled in.
    pub fn rport(&self) -> Option<Option<u16>> {
        let p = self.params.get("rport")?;
        Some(p.raw_value().and_then(|v| v.parse().ok()))
    }

    /// Fills in rport (RFC 3581 §4).
    pub fn set_rport(&mut self, port: u16) {
        self.params.set("rport", Some(&port.to_string()));
    }

    /// The maddr parameter.
    pub fn maddr(&self) -> Option<&str> {
        self.params.raw_value("maddr")
    }

    /// The ttl parameter (0–255).
    pub fn ttl(&self) -> Option<u8> {
        self.params.raw_value("ttl").and_then(|v| v.parse().ok())
    }
}

impl TypedHeader for Via {
    const NAME: HeaderName = HeaderName::Via;
    const NAME_STR: &'static str = "Via";
    const LIST: bool = true;

    fn parse_value(value: &ByteString) -> Result<Self, ParseError> {
        let el = Element::HeaderValue("Via");
        let s: &str = value;
        let off = |r: &str| s.len() - r.len();
        // sent-protocol = protocol-name SLASH protocol-version SLASH transport (LWS around
        // slashes allowed).
        let mut rest = s.trim_start_matches([' ', '\t']);
        let mut parts = [""; 3];
        for (i, part) in parts.iter_mut().enumerate() {
            if i > 0 {
                rest = rest.trim_start_matches([' ', '\t']);
                rest = rest
                    .strip_prefix('/')
                    .ok_or(ParseError::syntax(el, off(rest)))?;
                rest = rest.trim_start_matches([' ', '\t']);
            }
            let (r, tok) = grammar::token(rest).map_err(|_| ParseError::syntax(el, off(rest)))?;
            *part = tok;
            rest = r;
        }
        let pos = |p: &str| p.as_ptr() as usize - s.as_ptr() as usize;
        let protocol_start = pos(parts[0]);
        let protocol_end = pos(parts[1]) + parts[1].len();
        let protocol =
            if parts[1].as_ptr() as usize == parts[0].as_ptr() as usize + parts[0].len() + 1 {
                value.slice_ref(&s[protocol_start..protocol_end])
            } else {
                ByteString::from(format!("{}/{}", parts[0], parts[1]))
            };
        // sent-by after LWS
        let after = rest.trim_start_matches([' ', '\t']);
        if after.len() == rest.len() {
            return Err(ParseError::syntax(el, off(rest)));
        }
        let end = after.find([';', ' ', '\t']).unwrap_or(after.len());
        let sent_by = &after[..end];
        let (host_str, port) =
            split_host_port(sent_by).map_err(|o| ParseError::syntax(el, off(after) + o))?;
        let host = Host::parse_in(value, host_str).map_err(|e| e.shifted(off(after)))?;
        let pstr = &after[end..];
        let params = Params::parse_all(value, pstr, true, is_header_param_char)
            .map_err(|o| ParseError::syntax(Element::Parameter, off(pstr) + o))?;
        if let Some(b) = params.get("branch")
            && b.raw_value().is_none_or(|v| !grammar::is_token(v))
        {
            return Err(ParseError::syntax(el, off(pstr)));
        }
        if let Some(p) = params.get("rport")
            && let Some(v) = p.raw_value()
            && v.parse::<u16>().is_err()
        {
            return Err(ParseError::syntax(el, off(pstr)));
        }
        if let Some(v) = params.raw_value("ttl")
            && v.parse::<u8>().is_err()
        {
            return Err(ParseError::new(el, ParseErrorKind::OutOfRange, off(pstr)));
        }
        if let Some(v) = params.raw_value("received")
            && v.parse::<std::net::IpAddr>().is_err()
            && Host::parse(v).is_err()
        {
            return Err(ParseError::syntax(el, off(pstr)));
        }
        Ok(Via {
            protocol,
            transport: value.slice_ref(parts[2]),
            host,
            port,
            params,
        })
    }

    fn write_value(&self, out: &mut String) {
        let _ = write!(out, "{}", self);
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{} {}", self.protocol, self.transport, self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        write!(f, "{}", self.params)
    }
}

name_addr_header!(
    /// The From header (the seed's FromHeader): originator and tag.
    FromHeader, From, "From", false
);
name_addr_header!(
    /// The To header (the seed's ToHeader): target and tag.
    ToHeader, To, "To", false
);
name_addr_header!(
    /// One Route value (the seed's RouteHeader).
    Route, Route, "Route", true
);
name_addr_header!(
    /// One Record-Route value.
    RecordRoute, RecordRoute, "Record-Route", true
);
name_addr_header!(
    /// One Path value (RFC 3327).
    Path, Path, "Path", true
);

impl FromHeader {
    /// The tag parameter.
    pub fn tag(&self) -> Option<&str> {
        self.params.raw_value("tag")
    }

    /// Sets the tag parameter.
    pub fn set_tag(&mut self, tag: &str) {
        self.params.set("tag", Some(tag));
    }
}

impl ToHeader {
    /// The tag parameter.
    pub fn tag(&self) -> Option<&str> {
        self.params.raw_value("tag")
    }

    /// Sets the tag parameter.
    pub fn set_tag(&mut self, tag: &str) {
        self.params.set("tag", Some(tag));
    }
}

impl Route {
    /// True when the route URI has the `lr` parameter (a loose router).
    pub fn is_loose(&self) -> bool {
        self.uri()
            .as_sip()
            .is_some_and(|u| u.params().contains("lr"))
    }
}

/// One Contact value (the seed's ContactHeader), or the `*` of a REGISTER that removes all
/// bindings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// The address; `None` for `*`.
    pub addr: Option<NameAddr>,
    /// The contact parameters (`expires`, `q`, `+sip.instance`, `pub-gruu`…).
    pub params: Params,
}

impl Contact {
    /// A contact for an address.
    pub fn new(addr: NameAddr) -> Self {
        Contact {
            addr: Some(addr),
            params: Params::new(),
        }
    }

    /// The `*` contact.
    pub fn wildcard() -> Self {
        Contact {
            addr: None,
            params: Params::new(),
        }
    }

    /// True for `*`.
    pub fn is_wildcard(&self) -> bool {
        self.addr.is_none()
    }

    /// The expires parameter, saturated at 2³²−1 as RFC 3261 §10.2.1.1 asks.
    pub fn expires(&self) -> Option<u32> {
        self.params.raw_value("expires").and_then(saturating_delta)
    }

    /// Sets the expires parameter.
    pub fn set_expires(&mut self, secs: u32) {
        self.params.set("expires", Some(&secs.to_string()));
    }

    /// The q parameter in thousandths (`q=0.7` → 700).
    pub fn q(&self) -> Option<u16> {
        let v = self.params.raw_value("q")?;
        let (int, frac) = v.split_once('.').unwrap_or((v, ""));
        if !(int == "0" || int == "1")
            || frac.len() > 3
            || !frac.bytes().all(|c| c.is_ascii_digit())
        {
            return None;
        }
        let mut thousandths: u16 = if int == "1" { 1000 } else { 0 };
        for (i, c) in frac.bytes().enumerate() {
            thousandths += u16::from(c - b'0') * [100, 10, 1][i];
        }
        (thousandths <= 1000).then_some(thousandths)
    }

    /// The `+sip.instance` parameter, unquoted (RFC 5626).
    pub fn sip_instance(&self) -> Option<String> {
        self.params.value("+sip.instance").map(|v| v.into_owned())
    }

    /// The `pub-gruu` parameter, unquoted (RFC 5627).
    pub fn pub_gruu(&self) -> Option<String> {
        self.params.value("pub-gruu").map(|v| v.into_owned())
    }

    /// The `temp-gruu` parameter, unquoted (RFC 5627).
    pub fn temp_gruu(&self) -> Option<String> {
        self.params.value("temp-gruu").map(|v| v.into_owned())
    }

    /// True when the `isfocus` feature tag is present (RFC 4579).
    pub fn is_focus(&self) -> bool {
        self.params.contains("isfocus")
    }
}

fn saturating_delta(v: &str) -> Option<u32> {
    if v.is_empty() || !v.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(v.parse::<u32>().unwrap_or(u32::MAX))
}

impl TypedHeader for Contact {
    const NAME: HeaderName = HeaderName::Contact;
    const NAME_STR: &'static str = "Contact";
    const LIST: bool = true;

    fn parse_value(value: &ByteString) -> Result<Self, ParseError> {
        let t = trim_lws(value);
        // `*` alone (parameters tolerated); `* <sip:...>` is a name-addr whose display name is
        // the token `*`.
        if let Some(after) = t.strip_prefix('*')
            && matches!(trim_lws(after).bytes().next(), None | Some(b';'))
        {
            let params = Params::parse_all(value, after, true, is_header_param_char)
                .map_err(|o| ParseError::syntax(Element::HeaderValue("Contact"), o + 1))?;
            return Ok(Contact { addr: None, params });
        }
        let (addr, params) =
            NameAddr::parse_with_params(value, value, Element::HeaderValue("Contact"))?;
        if let Some(v) = params.raw_value("expires")
            && saturating_delta(v).is_none()
        {
            return Err(ParseError::syntax(Element::HeaderValue("Contact"), 0));
        }
        Ok(Contact {
            addr: Some(addr),
            params,
        })
    }

    fn write_value(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl fmt::Display for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.addr {
            Some(a) => write!(f, "{a}{}", self.params),
            None => write!(f, "*{}", self.params),
        }
    }
}

text_header!(
    /// The Call-ID header: `word [ "@" word ]`.
    CallId, CallId, "Call-ID", |v: &str| {
        !v.is_empty()
            && v.bytes().all(|c| c.is_ascii_graphic())
            && v.bytes().filter(|&c| c == b'@').count() <= 1
            && !v.starts_with('@')
            && !v.ends_with('@')
    }
);

/// The CSeq header: sequence number and method.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CSeq {
    /// The sequence number (below 2³¹, RFC 3261 §8.1.1.5).
    pub seq: u32,
    /// The method.
    pub method: Method,
}

impl CSeq {
    /// A CSeq value.
    pub fn new(seq: u32, method: Method) -> Self {
        CSeq { seq, method }
    }
}

impl TypedHeader for CSeq {
    const NAME: HeaderName = HeaderName::CSeq;
    const NAME_STR: &'static str = "CSeq";

    fn parse_value(value: &ByteString) -> Result<Self, ParseError> {
        let el = Element::HeaderValue("CSeq");
        let t = trim_lws(value);
        let lead = value.len() - value.trim_start_matches([' ', '\t']).len();
        let digits = t.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits == t.len() {
            return Err(ParseError::syntax(el, lead));
        }
        let seq: u32 = t[..digits]
            .parse()
            .ok()
            .filter(|&n| n < 1u32 << 31)
            .ok_or(ParseError::new(el, ParseErrorKind::OutOfRange, lead))?;
        let rest = &t[digits..];
        let m = rest.trim_start_matches([' ', '\t']);
        if m.len() == rest.len() {
            return Err(ParseError::syntax(el, lead + digits));
        }
        if !grammar::is_token(m) {
            return Err(ParseError::syntax(el, lead + t.len() - m.len()));
        }
        Ok(CSeq {
            seq,
            method: Method::from_slice_of(value, m),
        })
    }

    fn write_value(&self, out: &mut String) {
        let _ = write!(out, "{} {}", self.seq, self.method);
    }
}

impl fmt::Display for CSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

int_header!(
    /// Max-Forwards (0–255).
    MaxForwards, u8, MaxForwards, "Max-Forwards"
);
int_header!(
    /// Content-Length in bytes.
    ContentLength, u32, ContentLength, "Content-Length"
);
int_header!(
    /// Min-Expires in seconds.
    MinExpires, u32, MinExpires, "Min-Expires"
);

/// Expires in seconds; values above 2³²−1 saturate (RFC 3261 §10.2.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Expires(pub u32);

impl TypedHeader for Expires {
    const NAME: HeaderName = HeaderName::Expires;
    const NAME_STR: &'static str = "Expires";

    fn parse_value(value: &ByteString) -> Result<Self, ParseError> {
        match parse_uint::<u32>(value, "Expires") {
            Ok(v) => Ok(Expires(v)),
            Err(e) if e.kind == ParseErrorKind::OutOfRange => Ok(Expires(u32::MAX)),
            Err(e) => Err(e),
        }
    }

    fn write_value(&self, out: &mut String) {
        let _ = write!(out, "{}", self.0);
    }
}

/// A media type with parameters (`application/sdp`, `multipart/mixed;boundary=x`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaType {
    /// The top-level type (`application`).
    pub mtype: ByteString,
    /// The subtype (`sdp`).
    pub subtype: ByteString,
    /// The parameters.
    pub params: Params,
}

impl MediaType {
    /// A media type without parameters.
    pub fn new(mtype: &str, subtype: &str) -> Self {
        MediaType {
            mtype: ByteString::from(mtype),
            subtype: ByteString::from(subtype),
            params: Params::new(),
        }
    }

    /// True when type and subtype equal `essence` (`"application/sdp"`), ignoring case.
    pub fn is(&self, essence: &str) -> bool {
        essence.split_once('/').is_some_and(|(t, s)| {
            self.mtype.eq_ignore_ascii_case(t) && self.subtype.eq_ignore_ascii_case(s)
        })
    }

    /// `type/subtype` in lower case.
    pub fn essence(&self) -> String {
        format!("{}/{}", self.mtype, self.subtype).to_ascii_lowercase()
    }

    /// A parameter value, unquoted (`boundary`, `charset`).
    pub fn param(&self, name: &str) -> Option<std::borrow::Cow<'_, str>> {
        self.params.value(name)
    }

    /// Parses `type "/" subtype *( ";" m-parameter )` from a slice of `src`.
    pub(crate) fn parse_in(
        src: &ByteString,
        s: &str,
        el: Element,
    ) -> Result<MediaType, ParseError> {
        let off = |r: &str| s.len() - r.len();
        let t = s.trim_start_matches([' ', '\t']);
        let (r, mtype) = grammar::token(t).map_err(|_| ParseError::syntax(el, off(t)))?;
        let r = r.trim_start_matches([' ', '\t']);
        let r = r.strip_prefix('/').ok_or(ParseError::syntax(el, off(r)))?;
        let r = r.trim_start_matches([' ', '\t']);
        let (r, subtype) = grammar::token(r).map_err(|_| ParseError::syntax(el, off(r)))?;
        let params = Params::parse_all(src, r, true, is_header_param_char)
            .map_err(|o| ParseError::syntax(Element::Parameter, off(r) + o))?;
        Ok(MediaType {
            mtype: src.slice_ref(mtype),
            subtype: src.slice_ref(subtype),
            params,
        })
    }

    /// Parses a media type.
    pub fn parse(s: &str) -> Result<MediaType, ParseError> {
        let src = ByteString::from(s);
        MediaType::parse_in(&src, &src, Element::HeaderValue("Content-Type"))
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}{}", self.mtype, self.subtype, self.params)
    }
}

/// The Content-Type header (the seed's ContentType).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentType(pub MediaType);

impl TypedHeader for ContentType {
    const NAME: HeaderName = HeaderName::ContentType;
    const NAME_STR: &'static str = "Content-Type";

    fn parse_value(value: &ByteString) -> Result<Self, ParseError> {
        MediaType::parse_in(value, value, Element::HeaderValue("Content-Type")).map(ContentType)
    }

    fn write_value(&self, out: &mut String) {
        let _ = write!(out, "{}", self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::Headers;

    fn p<T: TypedHeader>(s: &str) -> T {
        T::parse_value(&ByteString::from(s)).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn bad<T: TypedHeader + fmt::Debug>(s: &str) {
        assert!(
            T::parse_value(&ByteString::from(s)).is_err(),
            "{s} should fail"
        );
    }

    #[test]
    fn via_parts() {
        let v: Via = p(
            "SIP / 2.0 / UDP [2001:db8::9:1]:5070;branch=z9hG4bKas3-111;received=192.0.2.1;rport=5071;ttl=16;maddr=224.2.0.1",
        );
        assert_eq!(v.transport(), "UDP");
        assert_eq!(v.protocol(), "SIP/2.0");
        assert_eq!(v.port(), Some(5070));
        assert!(v.has_rfc3261_branch());
        assert_eq!(v.received(), Some("192.0.2.1"));
        assert_eq!(v.rport(), Some(Some(5071)));
        assert_eq!(v.ttl(), Some(16));
        assert_eq!(v.maddr(), Some("224.2.0.1"));
        let v: Via = p("SIP/2.0/TCP client.biloxi.example.com;rport;branch=z9hG4bKnashds7");
        assert_eq!(v.rport(), Some(None));
        assert_eq!(
            v.to_value_string(),
            "SIP/2.0/TCP client.biloxi.example.com;rport;branch=z9hG4bKnashds7"
        );
        bad::<Via>("SIP/2.0/UDP");
        bad::<Via>("SIP/2.0 UDP host");
        bad::<Via>("SIP/2.0/UDP host;branch");
        bad::<Via>("SIP/2.0/UDP host:70000");
        bad::<Via>("SIP/2.0/UDP host;ttl=300");
    }

    #[test]
    fn via_list_across_lines() {
        let mut h = Headers::new();
        h.push(
            HeaderName::Via,
            "SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2",
        );
        h.push(HeaderName::Via, "SIP/2.0/UDP c;branch=z9hG4bK3");
        let vias: Vec<Via> = h.typed_all().unwrap();
        assert_eq!(vias.len(), 3);
        assert_eq!(vias[2].branch(), Some("z9hG4bK3"));
    }

    #[test]
    fn cseq_and_numbers() {
        let c: CSeq = p("  4711   INVITE ");
        assert_eq!((c.seq, c.method.clone()), (4711, Method::Invite));
        bad::<CSeq>("INVITE");
        bad::<CSeq>("1");
        bad::<CSeq>("2147483648 INVITE");
        bad::<CSeq>("1INVITE");
        let m: MaxForwards = p("70");
        assert_eq!(m.0, 70);
        bad::<MaxForwards>("300");
        bad::<MaxForwards>("-1");
        let e: Expires = p("10000000000000000");
        assert_eq!(e.0, u32::MAX);
        bad::<Expires>("1 2");
        bad::<ContentLength>("abc");
    }

    #[test]
    fn from_to_contact() {
        let f: FromHeader = p("\"Alice\" <sip:alice@atlanta.com>;tag=1928301774");
        assert_eq!(f.tag(), Some("1928301774"));
        let t: ToHeader = p("sip:bob@biloxi.com");
        assert!(t.tag().is_none());
        let c: Contact = p(
            "<sip:alice@pc33.atlanta.com>;expires=3600;q=0.7;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>\";pub-gruu=\"sip:a@b;gr=x\"",
        );
        assert_eq!(c.expires(), Some(3600));
        assert_eq!(c.q(), Some(700));
        assert_eq!(
            c.sip_instance().unwrap(),
            "<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>"
        );
        assert_eq!(c.pub_gruu().unwrap(), "sip:a@b;gr=x");
        let star: Contact = p("*");
        assert!(star.is_wildcard());
        let starry: Contact = p("* <sip:a@b>;q=0.5");
        assert_eq!(starry.addr.as_ref().unwrap().display_name().unwrap(), "*");
        assert_eq!(starry.to_value_string(), "* <sip:a@b>;q=0.5");
        assert_eq!(star.to_value_string(), "*");
        bad::<Contact>("<sip:a@b>;expires=soon");
        let mut h = Headers::new();
        h.push(HeaderName::Contact, "<sip:a@b>;q=0.1, \"x,y\" <sip:c@d>");
        assert_eq!(h.typed_all::<Contact>().unwrap().len(), 2);
    }

    #[test]
    fn content_type_and_call_id() {
        let ct: ContentType = p("multipart/mixed ; boundary=\"unique-boundary-1\"");
        assert!(ct.0.is("Multipart/Mixed"));
        assert_eq!(ct.0.param("boundary").unwrap(), "unique-boundary-1");
        bad::<ContentType>("application");
        let id: CallId = p(" a84b4c76e66710@pc33.atlanta.com ");
        assert_eq!(id.as_str(), "a84b4c76e66710@pc33.atlanta.com");
        bad::<CallId>("a b");
        bad::<CallId>("");
    }

    #[test]
    fn route_loose() {
        let r: Route = p("<sip:p1.example.com;lr>");
        assert!(r.is_loose());
    }
}
