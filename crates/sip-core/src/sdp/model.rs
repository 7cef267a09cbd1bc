//! The SDP data model: [`SdpSession`], [`SdpMediaStream`], [`SdpConnection`] and the smaller
//! line types.

use std::net::IpAddr;

use rand::{RngCore, TryRngCore};

use super::attribute::{SdpAttribute, SdpAttributeList};
use super::error::SdpAttributeError;
use super::frozen::FrozenSdpSession;
use super::typed::{
    AcceptTypes, AcceptWrappedTypes, Candidate, Crypto, Direction, FileSelector, Fmtp, MsrpPath,
    Rtcp, RtpMap, Setup,
};

/// A whole session description (RFC 4566): the session-level lines and the media sections.
///
/// The fields follow the lines in the order they are printed:
///
/// ```text
/// v=0
/// o=<user> <id> <version> <net_type> <address_type> <address>
/// s=<name>
/// i=<info>            u=<uri>            e=<emails>...      p=<phones>...
/// c=<connection>      b=<bandwidths>...  t=<times>... (each with its r= lines)
/// z=<time_zones>      k=<key>            a=<attributes>...
/// m=...               (media, each an SdpMediaStream)
/// ```
///
/// Lines the model does not interpret (unknown line types such as `x=`, or a second `i=`) are
/// kept in [`raw_lines`](Self::raw_lines) together with their position, so that printing a
/// parsed session gives back the text it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SdpSession {
    /// The user name of the `o=` line (`-` when there is none).
    pub user: String,
    /// The session id of the `o=` line.
    pub id: u64,
    /// The session version of the `o=` line.
    pub version: u64,
    /// The network type of the `o=` line (`IN`).
    pub net_type: String,
    /// The address type of the `o=` line (`IP4` or `IP6`).
    pub address_type: String,
    /// The unicast address of the `o=` line.
    pub address: String,
    /// The session name, the `s=` line.
    pub name: String,
    /// The session information, the `i=` line.
    pub info: Option<String>,
    /// The URI of the description, the `u=` line.
    pub uri: Option<String>,
    /// The `e=` lines.
    pub emails: Vec<String>,
    /// The `p=` lines.
    pub phones: Vec<String>,
    /// The session-level `c=` line.
    pub connection: Option<SdpConnection>,
    /// The session-level `b=` lines.
    pub bandwidths: Vec<SdpBandwidth>,
    /// The `t=` lines, each with its `r=` lines. Empty when the body had no `t=` line.
    pub times: Vec<SdpTime>,
    /// The `z=` line, kept as text.
    pub time_zones: Option<String>,
    /// The session-level `k=` line, kept as text.
    pub key: Option<String>,
    /// The session-level `a=` lines.
    pub attributes: SdpAttributeList,
    /// The media sections (`m=` lines and what follows each).
    pub media: Vec<SdpMediaStream>,
    /// Session-level lines that the model does not interpret, with their positions.
    pub raw_lines: Vec<SdpRawLine>,
}

impl SdpSession {
    /// A session with the seed's defaults: `o=- <id> <version> IN IP4 <address>`, `s= `,
    /// `t=0 0`, no connection, attributes or media.
    ///
    /// The id is drawn from the operating system's random generator (falling back to the
    /// clock); the version starts equal to the id. Ids stay below 2³¹ so that peers storing
    /// them in a signed 32-bit integer cope.
    pub fn new(address: impl Into<String>) -> Self {
        let id = match rand::rngs::OsRng.try_next_u64() {
            Ok(n) => n,
            Err(_) => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1),
        };
        let id = small_id(id);
        SdpSession::with_ids(address, id, id)
    }

    /// Like [`new`](Self::new) with the id (and version) drawn from `rng`.
    pub fn with_rng(address: impl Into<String>, rng: &mut impl RngCore) -> Self {
        let id = small_id(rng.next_u64());
        SdpSession::with_ids(address, id, id)
    }

    /// Like [`new`](Self::new) with the given id and version.
    pub fn with_ids(address: impl Into<String>, id: u64, version: u64) -> Self {
        SdpSession {
            user: "-".to_owned(),
            id,
            version,
            net_type: "IN".to_owned(),
            address_type: "IP4".to_owned(),
            address: address.into(),
            name: " ".to_owned(),
            info: None,
            uri: None,
            emails: Vec::new(),
            phones: Vec::new(),
            connection: None,
            bandwidths: Vec::new(),
            times: vec![SdpTime::new(0, 0)],
            time_zones: None,
            key: None,
            attributes: SdpAttributeList::new(),
            media: Vec::new(),
            raw_lines: Vec::new(),
        }
    }

    /// Makes the session immutable and cheap to clone.
    pub fn freeze(self) -> FrozenSdpSession {
        FrozenSdpSession::from(self)
    }

    /// The start time of the first `t=` line (0 when there is none).
    pub fn start_time(&self) -> u64 {
        self.times.first().map_or(0, |t| t.start)
    }

    /// The stop time of the first `t=` line (0 when there is none).
    pub fn stop_time(&self) -> u64 {
        self.times.first().map_or(0, |t| t.stop)
    }

    /// Sets the first `t=` line (adding it when there is none), keeping its `r=` lines.
    pub fn set_times(&mut self, start: u64, stop: u64) {
        match self.times.first_mut() {
            Some(time) => {
                time.start = start;
                time.stop = stop;
            }
            None => self.times.push(SdpTime::new(start, stop)),
        }
    }

    /// Adds one to the session version, as RFC 3264 asks for each changed offer or answer.
    pub fn increment_version(&mut self) {
        self.version = self.version.wrapping_add(1);
    }

    /// Whether the description proposes ICE: an `ice-ufrag`, `ice-pwd` or `candidate`
    /// attribute at session level or in any media section.
    pub fn has_ice_proposal(&self) -> bool {
        fn ice(attributes: &SdpAttributeList) -> bool {
            attributes
                .iter()
                .any(|a| matches!(a.name.as_str(), "ice-ufrag" | "ice-pwd" | "candidate"))
        }
        ice(&self.attributes) || self.media.iter().any(|m| ice(&m.attributes))
    }

    /// Whether the session-level `a=ice-lite` flag is present.
    pub fn is_ice_lite(&self) -> bool {
        self.attributes.contains("ice-lite")
    }

    /// The session-level `a=ice-ufrag` value.
    pub fn ice_ufrag(&self) -> Option<&str> {
        self.attributes.getfirst("ice-ufrag")
    }

    /// The session-level `a=ice-pwd` value.
    pub fn ice_pwd(&self) -> Option<&str> {
        self.attributes.getfirst("ice-pwd")
    }

    /// The session-level direction attribute, if there is one.
    pub fn direction(&self) -> Option<Direction> {
        Direction::find(&self.attributes)
    }

    /// Sets the session-level direction attribute (see [`SdpMediaStream::set_direction`]).
    pub fn set_direction(&mut self, direction: Direction) {
        direction.set_in(&mut self.attributes);
    }

    /// The direction of media section `index`: its own direction attribute, else the
    /// session-level one, else [`Direction::SendRecv`]. `None` when there is no such section.
    pub fn media_direction(&self, index: usize) -> Option<Direction> {
        let media = self.media.get(index)?;
        Some(
            media
                .direction_attribute()
                .or_else(|| self.direction())
                .unwrap_or_default(),
        )
    }
}

/// Maps a random number to an id in `1..=i32::MAX`.
fn small_id(n: u64) -> u64 {
    n % (i32::MAX as u64) + 1
}

/// A media section: the `m=` line and the lines after it up to the next `m=` line.
///
/// ```text
/// m=<media> <port>[/<port_count>] <transport> <formats>...
/// i=<info>   c=<connection>   b=<bandwidths>...   k=<key>   a=<attributes>...
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SdpMediaStream {
    /// The media type (`audio`, `video`, `message`, `application`, ...).
    pub media: String,
    /// The transport port; 0 rejects or disables the stream (RFC 3264).
    pub port: u16,
    /// The number of ports; printed only when it is not 1.
    pub port_count: u16,
    /// The transport protocol (`RTP/AVP`, `RTP/SAVP`, `TCP/MSRP`, `TCP/TLS/MSRP`, ...).
    pub transport: String,
    /// The media formats (RTP payload types, or `*` for MSRP).
    pub formats: Vec<String>,
    /// The media title, the `i=` line.
    pub info: Option<String>,
    /// The media-level `c=` line.
    pub connection: Option<SdpConnection>,
    /// The media-level `b=` lines.
    pub bandwidths: Vec<SdpBandwidth>,
    /// The media-level `k=` line, kept as text.
    pub key: Option<String>,
    /// The media-level `a=` lines.
    pub attributes: SdpAttributeList,
    /// Lines of this section that the model does not interpret, with their positions.
    pub raw_lines: Vec<SdpRawLine>,
}

impl SdpMediaStream {
    /// A media section `m=<media> <port> <transport>` with no formats, connection or
    /// attributes.
    pub fn new(media: impl Into<String>, port: u16, transport: impl Into<String>) -> Self {
        SdpMediaStream {
            media: media.into(),
            port,
            port_count: 1,
            transport: transport.into(),
            formats: Vec::new(),
            info: None,
            connection: None,
            bandwidths: Vec::new(),
            key: None,
            attributes: SdpAttributeList::new(),
            raw_lines: Vec::new(),
        }
    }

    /// Makes the media section immutable and cheap to clone.
    pub fn freeze(self) -> super::FrozenSdpMediaStream {
        super::FrozenSdpMediaStream::from(self)
    }

    /// Whether the port is 0 (a rejected or disabled stream).
    pub fn is_rejected(&self) -> bool {
        self.port == 0
    }

    /// The direction: the first `sendrecv`, `sendonly`, `recvonly` or `inactive` attribute,
    /// [`Direction::SendRecv`] when there is none.
    pub fn direction(&self) -> Direction {
        self.direction_attribute().unwrap_or_default()
    }

    /// The direction attribute of this section, if there is one.
    pub fn direction_attribute(&self) -> Option<Direction> {
        Direction::find(&self.attributes)
    }

    /// Sets the direction: the first direction attribute is replaced in place, any others
    /// are removed, and one is appended when there was none.
    pub fn set_direction(&mut self, direction: Direction) {
        direction.set_in(&mut self.attributes);
    }

    /// Whether both `a=ice-ufrag` and `a=ice-pwd` are present in this section.
    pub fn has_ice_attributes(&self) -> bool {
        self.attributes.contains("ice-ufrag") && self.attributes.contains("ice-pwd")
    }

    /// Whether this section has `a=candidate` lines.
    pub fn has_ice_candidates(&self) -> bool {
        self.attributes.contains("candidate")
    }

    /// The `a=rtpmap` attributes, parsed.
    pub fn rtpmaps(&self) -> impl Iterator<Item = Result<RtpMap, SdpAttributeError>> + '_ {
        self.attributes.typed()
    }

    /// The `a=rtpmap` attribute for `payload_type`, if there is a valid one.
    pub fn rtpmap(&self, payload_type: u8) -> Option<RtpMap> {
        self.rtpmaps()
            .filter_map(Result::ok)
            .find(|m| m.payload_type == payload_type)
    }

    /// The `a=fmtp` attributes, parsed.
    pub fn fmtps(&self) -> impl Iterator<Item = Result<Fmtp, SdpAttributeError>> + '_ {
        self.attributes.typed()
    }

    /// The `a=fmtp` attribute for `format`, if there is a valid one.
    pub fn fmtp(&self, format: &str) -> Option<Fmtp> {
        self.fmtps()
            .filter_map(Result::ok)
            .find(|f| f.format == format)
    }

    /// The `a=rtcp` attribute (RFC 3605), parsed.
    pub fn rtcp(&self) -> Result<Option<Rtcp>, SdpAttributeError> {
        self.attributes.typed_first()
    }

    /// The `a=crypto` attributes (RFC 4568), parsed.
    pub fn crypto(&self) -> impl Iterator<Item = Result<Crypto, SdpAttributeError>> + '_ {
        self.attributes.typed()
    }

    /// The `a=candidate` attributes (RFC 5245 / RFC 8839), parsed.
    pub fn candidates(&self) -> impl Iterator<Item = Result<Candidate, SdpAttributeError>> + '_ {
        self.attributes.typed()
    }

    /// The `a=ice-ufrag` value of this section.
    pub fn ice_ufrag(&self) -> Option<&str> {
        self.attributes.getfirst("ice-ufrag")
    }

    /// The `a=ice-pwd` value of this section.
    pub fn ice_pwd(&self) -> Option<&str> {
        self.attributes.getfirst("ice-pwd")
    }

    /// The `a=setup` attribute (RFC 4145), parsed.
    pub fn setup(&self) -> Result<Option<Setup>, SdpAttributeError> {
        self.attributes.typed_first()
    }

    /// The `a=path` attribute (RFC 4975), parsed.
    pub fn path(&self) -> Result<Option<MsrpPath>, SdpAttributeError> {
        self.attributes.typed_first()
    }

    /// The `a=accept-types` attribute (RFC 4975), parsed.
    pub fn accept_types(&self) -> Result<Option<AcceptTypes>, SdpAttributeError> {
        self.attributes.typed_first()
    }

    /// The `a=accept-wrapped-types` attribute (RFC 4975), parsed.
    pub fn accept_wrapped_types(&self) -> Result<Option<AcceptWrappedTypes>, SdpAttributeError> {
        self.attributes.typed_first()
    }

    /// The `a=file-selector` attribute (RFC 5547), parsed.
    pub fn file_selector(&self) -> Result<Option<FileSelector>, SdpAttributeError> {
        self.attributes.typed_first()
    }

    /// The `a=file-transfer-id` value (RFC 5547).
    pub fn file_transfer_id(&self) -> Option<&str> {
        self.attributes.getfirst("file-transfer-id")
    }

    /// Appends a typed attribute (`a=rtpmap`, `a=crypto`, ...).
    pub fn push_attribute(&mut self, attribute: &impl super::TypedAttribute) {
        self.attributes.push(attribute.to_attribute());
    }
}

/// A `c=` line: `c=<net_type> <address_type> <address>[/<ttl>][/<address_count>]`.
///
/// For `IP4` multicast the suffixes are the TTL and then the number of addresses; for `IP6`
/// the only suffix is the number of addresses (so `ttl` stays `None`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SdpConnection {
    /// The network type (`IN`).
    pub net_type: String,
    /// The address type (`IP4` or `IP6`).
    pub address_type: String,
    /// The address (or host name), without the multicast suffixes.
    pub address: String,
    /// The multicast TTL (IPv4 only).
    pub ttl: Option<u8>,
    /// The number of multicast addresses.
    pub address_count: Option<u32>,
}

impl SdpConnection {
    /// `c=IN IP4 <address>`, the seed's defaults.
    pub fn new(address: impl Into<String>) -> Self {
        SdpConnection {
            net_type: "IN".to_owned(),
            address_type: "IP4".to_owned(),
            address: address.into(),
            ttl: None,
            address_count: None,
        }
    }

    /// `c=IN IP4 <ip>` or `c=IN IP6 <ip>`, whichever fits the address.
    pub fn from_ip(ip: IpAddr) -> Self {
        let mut connection = SdpConnection::new(ip.to_string());
        if ip.is_ipv6() {
            connection.address_type = "IP6".to_owned();
        }
        connection
    }

    /// The address as an IP address, when it is one.
    pub fn ip(&self) -> Option<IpAddr> {
        self.address.parse().ok()
    }
}

/// A `b=<bw_type>:<bandwidth>` line (`AS`, `CT`, `TIAS`, `RS`, `RR`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SdpBandwidth {
    /// The bandwidth type.
    pub bw_type: String,
    /// The bandwidth (kilobits per second for `AS` and `CT`, bits per second for `TIAS`).
    pub bandwidth: u64,
}

impl SdpBandwidth {
    /// A new `b=` line.
    pub fn new(bw_type: impl Into<String>, bandwidth: u64) -> Self {
        SdpBandwidth {
            bw_type: bw_type.into(),
            bandwidth,
        }
    }
}

/// A `t=<start> <stop>` line with the `r=` lines that follow it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SdpTime {
    /// The start time (NTP seconds; 0 for an unbounded session).
    pub start: u64,
    /// The stop time (NTP seconds; 0 for an unbounded session).
    pub stop: u64,
    /// The `r=` lines after this `t=` line, kept as text.
    pub repeats: Vec<String>,
}

impl SdpTime {
    /// A `t=` line without `r=` lines.
    pub fn new(start: u64, stop: u64) -> Self {
        SdpTime {
            start,
            stop,
            repeats: Vec::new(),
        }
    }
}

/// The kinds of line that the model interprets, in the order they are printed.
///
/// A [`SdpRawLine`] uses them to say which line it follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SdpLineKind {
    /// `v=` (session only).
    Version,
    /// `o=` (session only).
    Origin,
    /// `s=` (session only).
    SessionName,
    /// `i=`.
    Info,
    /// `u=` (session only).
    Uri,
    /// `e=` (session only).
    Email,
    /// `p=` (session only).
    Phone,
    /// `c=`.
    Connection,
    /// `b=`.
    Bandwidth,
    /// `t=` (session only).
    Time,
    /// `r=` (session only; counted across all `t=` lines).
    Repeat,
    /// `z=` (session only).
    TimeZone,
    /// `k=`.
    Key,
    /// `a=`.
    Attribute,
    /// `m=` (media sections only: the section's own `m=` line).
    Media,
}

/// A line kept verbatim because the model does not interpret it: an unknown line type (such
/// as `y=` or `x=`), or a repeat of a line that may appear once (a second `i=` or `c=`).
///
/// It is printed right after the `index`-th (0-based) line of kind `after` in its section;
/// when that line is missing it is printed where such lines go. Raw lines with the same
/// position keep their order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SdpRawLine {
    /// The line type letter.
    pub kind: char,
    /// The text after `<kind>=`.
    pub value: String,
    /// The kind of the modelled line this line follows.
    pub after: SdpLineKind,
    /// Which line of that kind (0-based, in printing order) it follows.
    pub index: usize,
}

impl SdpRawLine {
    /// A raw line `<kind>=<value>` printed after the `index`-th line of kind `after`.
    pub fn new(kind: char, value: impl Into<String>, after: SdpLineKind, index: usize) -> Self {
        SdpRawLine {
            kind,
            value: value.into(),
            after,
            index,
        }
    }
}

impl Direction {
    /// The first direction attribute in `attributes`.
    pub(super) fn find(attributes: &SdpAttributeList) -> Option<Direction> {
        attributes.iter().find_map(Direction::from_attribute)
    }

    /// Replaces the direction attributes of `attributes` by `self`.
    pub(super) fn set_in(self, attributes: &mut SdpAttributeList) {
        match attributes
            .iter()
            .position(|a| Direction::from_attribute(a).is_some())
        {
            Some(first) => {
                let mut index = 0;
                attributes.retain(|a| {
                    let keep = index == first || Direction::from_attribute(a).is_none();
                    index += 1;
                    keep
                });
                attributes.remove(first);
                attributes.insert(first, SdpAttribute::flag(self.as_str()));
            }
            None => attributes.push(SdpAttribute::flag(self.as_str())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn session_defaults_follow_the_seed() {
        let s = SdpSession::new("192.0.2.1");
        assert_eq!(s.user, "-");
        assert_eq!(s.net_type, "IN");
        assert_eq!(s.address_type, "IP4");
        assert_eq!(s.address, "192.0.2.1");
        assert_eq!(s.name, " ");
        assert_eq!((s.start_time(), s.stop_time()), (0, 0));
        assert!(s.id >= 1 && s.id <= i32::MAX as u64);
        assert_eq!(s.version, s.id);
        assert!(s.info.is_none() && s.connection.is_none());
        assert!(s.attributes.is_empty() && s.media.is_empty());
    }

    #[test]
    fn ids_from_a_seeded_rng_are_repeatable() {
        let mut a = rand::rngs::StdRng::seed_from_u64(7);
        let mut b = rand::rngs::StdRng::seed_from_u64(7);
        let s1 = SdpSession::with_rng("h", &mut a);
        let s2 = SdpSession::with_rng("h", &mut b);
        assert_eq!(s1, s2);
        let s3 = SdpSession::with_ids("h", 5, 6);
        assert_eq!((s3.id, s3.version), (5, 6));
        assert_eq!(small_id(u64::MAX), u64::MAX % (i32::MAX as u64) + 1);
        assert_eq!(small_id(0), 1);
    }

    #[test]
    fn times_and_version() {
        let mut s = SdpSession::with_ids("h", 1, 1);
        s.set_times(10, 20);
        assert_eq!((s.start_time(), s.stop_time()), (10, 20));
        s.times.clear();
        assert_eq!((s.start_time(), s.stop_time()), (0, 0));
        s.set_times(3, 4);
        assert_eq!(s.times, vec![SdpTime::new(3, 4)]);
        s.increment_version();
        assert_eq!(s.version, 2);
        s.version = u64::MAX;
        s.increment_version();
        assert_eq!(s.version, 0);
    }

    #[test]
    fn ice_proposal_at_any_level() {
        let mut s = SdpSession::with_ids("h", 1, 1);
        assert!(!s.has_ice_proposal());
        s.media.push(SdpMediaStream::new("audio", 4000, "RTP/AVP"));
        assert!(!s.has_ice_proposal());
        s.media[0].attributes.push(SdpAttribute::new(
            "candidate",
            "1 1 UDP 1 192.0.2.1 4000 typ host",
        ));
        assert!(s.has_ice_proposal());
        assert!(s.media[0].has_ice_candidates());
        assert!(!s.media[0].has_ice_attributes());
        s.media[0].attributes.retain(|_| false);
        s.attributes.push(SdpAttribute::new("ice-pwd", "x"));
        assert!(s.has_ice_proposal());
        assert_eq!(s.ice_pwd(), Some("x"));
        assert_eq!(s.ice_ufrag(), None);
        assert!(!s.is_ice_lite());
        s.attributes.push(SdpAttribute::flag("ice-lite"));
        assert!(s.is_ice_lite());
        s.media[0]
            .attributes
            .push(SdpAttribute::new("ice-ufrag", "abcd"));
        s.media[0]
            .attributes
            .push(SdpAttribute::new("ice-pwd", "p"));
        assert!(s.media[0].has_ice_attributes());
        assert_eq!(s.media[0].ice_ufrag(), Some("abcd"));
        assert_eq!(s.media[0].ice_pwd(), Some("p"));
    }

    #[test]
    fn direction_defaults_and_setting() {
        let mut m = SdpMediaStream::new("audio", 4000, "RTP/AVP");
        assert_eq!(m.direction(), Direction::SendRecv);
        assert_eq!(m.direction_attribute(), None);
        m.attributes.push(SdpAttribute::new("ptime", "20"));
        m.set_direction(Direction::SendOnly);
        assert_eq!(m.direction(), Direction::SendOnly);
        assert_eq!(m.attributes[1], SdpAttribute::flag("sendonly"));
        m.attributes.push(SdpAttribute::flag("inactive"));
        m.attributes.push(SdpAttribute::new("maxptime", "40"));
        assert_eq!(m.direction(), Direction::SendOnly);
        m.set_direction(Direction::RecvOnly);
        let names: Vec<_> = m.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, vec!["ptime", "recvonly", "maxptime"]);

        let mut s = SdpSession::with_ids("h", 1, 1);
        s.media.push(m);
        s.media.push(SdpMediaStream::new("video", 0, "RTP/AVP"));
        assert_eq!(s.media_direction(0), Some(Direction::RecvOnly));
        assert_eq!(s.media_direction(1), Some(Direction::SendRecv));
        assert_eq!(s.media_direction(2), None);
        s.set_direction(Direction::Inactive);
        assert_eq!(s.direction(), Some(Direction::Inactive));
        assert_eq!(s.media_direction(1), Some(Direction::Inactive));
        assert_eq!(s.media_direction(0), Some(Direction::RecvOnly));
        assert!(s.media[1].is_rejected());
        assert!(!s.media[0].is_rejected());
    }

    #[test]
    fn connection_constructors() {
        let c = SdpConnection::new("192.0.2.1");
        assert_eq!(
            (c.net_type.as_str(), c.address_type.as_str()),
            ("IN", "IP4")
        );
        assert_eq!(c.ip(), Some("192.0.2.1".parse().unwrap()));
        let c6 = SdpConnection::from_ip("2001:db8::1".parse().unwrap());
        assert_eq!(c6.address_type, "IP6");
        assert_eq!(c6.address, "2001:db8::1");
        let c4 = SdpConnection::from_ip("10.0.0.1".parse().unwrap());
        assert_eq!(c4.address_type, "IP4");
        assert_eq!(SdpConnection::new("host.example").ip(), None);
        assert_eq!(SdpBandwidth::new("AS", 64).bw_type, "AS");
        assert_eq!(SdpRawLine::new('y', "1", SdpLineKind::Media, 0).kind, 'y');
    }
}
