//! The SDP parser.
//!
//! The body is read line by line. Each line is `<type>=<value>`; CRLF and bare LF line ends
//! are both accepted, and empty lines at the very end are ignored. The rules:
//!
//! * strict: the first line is `v=0`; `o=` and `s=` appear before the first `m=`; `o=`, `c=`,
//!   `b=`, `t=` and `m=` must be well formed; `o=` and `v=` appear once; session-only lines
//!   (`o= s= u= e= p= t= r= z=`) never appear inside a media section; `r=` follows a `t=`.
//! * lenient: `t=` may be missing; the lines of one section may come in any order (they are
//!   printed back in the RFC 4566 order); a repeated single line (a second `i=`, `c=`, `s=`,
//!   `u=`, `z=` or `k=` in the same section) and lines of unknown type (`x=`, `y=`) are kept
//!   verbatim as [`SdpRawLine`]s at their position; text values are not checked.

use super::attribute::SdpAttribute;
use super::error::{SdpError, SdpErrorReason};
use super::model::{
    SdpBandwidth, SdpConnection, SdpLineKind, SdpMediaStream, SdpRawLine, SdpSession, SdpTime,
};
use super::print::{Layout, media_layout, session_layout};
use super::typed::parse_digits;

/// Bounds on the work the parser does for one body.
///
/// ```
/// use sip_core::sdp::{SdpLimits, SdpSession};
///
/// let limits = SdpLimits::default().with_max_media(1);
/// let body = "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\n\
///             m=audio 4000 RTP/AVP 0\r\nm=video 4002 RTP/AVP 31\r\n";
/// let err = SdpSession::parse_with_limits(body.as_bytes(), &limits).unwrap_err();
/// assert_eq!(err.line(), 6);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SdpLimits {
    /// The largest body in bytes (default 64 KiB).
    pub max_size: usize,
    /// The most lines (default 4096).
    pub max_lines: usize,
    /// The most `m=` sections (default 64).
    pub max_media: usize,
    /// Whether lines of an unknown type are kept (the default) rather than rejected with
    /// [`SdpErrorReason::UnknownLineType`].
    pub keep_unknown_lines: bool,
}

impl Default for SdpLimits {
    fn default() -> Self {
        SdpLimits {
            max_size: 64 * 1024,
            max_lines: 4096,
            max_media: 64,
            keep_unknown_lines: true,
        }
    }
}

impl SdpLimits {
    /// The same limits with another maximum size in bytes.
    #[must_use]
    pub fn with_max_size(mut self, max_size: usize) -> Self {
        self.max_size = max_size;
        self
    }

    /// The same limits with another maximum number of lines.
    #[must_use]
    pub fn with_max_lines(mut self, max_lines: usize) -> Self {
        self.max_lines = max_lines;
        self
    }

    /// The same limits with another maximum number of media sections.
    #[must_use]
    pub fn with_max_media(mut self, max_media: usize) -> Self {
        self.max_media = max_media;
        self
    }

    /// The same limits, keeping or rejecting lines of unknown type.
    #[must_use]
    pub fn with_keep_unknown_lines(mut self, keep: bool) -> Self {
        self.keep_unknown_lines = keep;
        self
    }
}

impl SdpSession {
    /// Parses an SDP body with the default [`SdpLimits`].
    pub fn parse(text: &str) -> Result<SdpSession, SdpError> {
        SdpSession::parse_with_limits(text.as_bytes(), &SdpLimits::default())
    }

    /// Parses an SDP body given as bytes (a SIP message body) with the default limits.
    /// A line that is not UTF-8 is an error naming that line.
    pub fn parse_bytes(bytes: &[u8]) -> Result<SdpSession, SdpError> {
        SdpSession::parse_with_limits(bytes, &SdpLimits::default())
    }

    /// Parses an SDP body within `limits`.
    pub fn parse_with_limits(input: &[u8], limits: &SdpLimits) -> Result<SdpSession, SdpError> {
        if input.len() > limits.max_size {
            return Err(SdpError::new(
                0,
                "",
                SdpErrorReason::TooLarge {
                    size: input.len(),
                    limit: limits.max_size,
                },
            ));
        }
        let mut parser = Parser::new(limits);
        let mut blank: Option<usize> = None;
        let mut number = 0;
        for raw in input.split(|&b| b == b'\n') {
            number += 1;
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            if raw.is_empty() {
                blank.get_or_insert(number);
                continue;
            }
            if let Some(blank) = blank {
                return Err(SdpError::new(blank, "", SdpErrorReason::MalformedLine));
            }
            if number > limits.max_lines {
                return Err(SdpError::new(
                    number,
                    &String::from_utf8_lossy(raw),
                    SdpErrorReason::TooManyLines {
                        limit: limits.max_lines,
                    },
                ));
            }
            let text = std::str::from_utf8(raw).map_err(|_| {
                SdpError::new(
                    number,
                    &String::from_utf8_lossy(raw),
                    SdpErrorReason::NonUtf8,
                )
            })?;
            parser
                .line(text)
                .map_err(|reason| SdpError::new(number, text, reason))?;
        }
        parser
            .finish()
            .map_err(|reason| SdpError::new(parser.lines + 1, "", reason))
    }
}

impl std::str::FromStr for SdpSession {
    type Err = SdpError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        SdpSession::parse(text)
    }
}

/// The position of the last modelled line, which the next raw line follows.
type Cursor = (SdpLineKind, usize);

struct Parser<'l> {
    limits: &'l SdpLimits,
    session: SdpSession,
    /// Lines seen so far.
    lines: usize,
    has_origin: bool,
    has_name: bool,
    /// Whether the parser is inside a media section (the last of `session.media`).
    in_media: bool,
    cursor: Cursor,
    repeats: usize,
}

impl<'l> Parser<'l> {
    fn new(limits: &'l SdpLimits) -> Self {
        let mut session = SdpSession::with_ids(String::new(), 0, 0);
        session.user.clear();
        session.net_type.clear();
        session.address_type.clear();
        session.name.clear();
        session.times.clear();
        Parser {
            limits,
            session,
            lines: 0,
            has_origin: false,
            has_name: false,
            in_media: false,
            cursor: (SdpLineKind::Version, 0),
            repeats: 0,
        }
    }

    fn line(&mut self, text: &str) -> Result<(), SdpErrorReason> {
        self.lines += 1;
        if self.lines == 1 {
            return match text.strip_prefix("v=") {
                Some("0") => Ok(()),
                Some(_) => Err(SdpErrorReason::BadVersion),
                None => Err(SdpErrorReason::MissingVersion),
            };
        }
        if text.contains('\r') {
            return Err(SdpErrorReason::ControlCharacter);
        }
        let bytes = text.as_bytes();
        if bytes.len() < 2 || bytes[1] != b'=' {
            return Err(SdpErrorReason::MalformedLine);
        }
        let kind = bytes[0] as char;
        let value = &text[2..];
        if !kind.is_ascii_alphabetic() {
            return Err(SdpErrorReason::UnknownLineType(kind));
        }
        if kind == 'm' {
            return self.media_line(value);
        }
        if self.in_media {
            self.media_section_line(kind, value)
        } else {
            self.session_line(kind, value)
        }
    }

    fn session_line(&mut self, kind: char, value: &str) -> Result<(), SdpErrorReason> {
        let s = &mut self.session;
        match kind {
            'v' => return Err(SdpErrorReason::DuplicateLine('v')),
            'o' => {
                if self.has_origin {
                    return Err(SdpErrorReason::DuplicateLine('o'));
                }
                parse_origin(s, value)?;
                self.has_origin = true;
                self.cursor = (SdpLineKind::Origin, 0);
            }
            's' => {
                if self.has_name {
                    self.raw_duplicate(kind, value, SdpLineKind::SessionName);
                } else {
                    s.name = value.to_owned();
                    self.has_name = true;
                    self.cursor = (SdpLineKind::SessionName, 0);
                }
            }
            'i' => self.single(kind, value, SdpLineKind::Info, |s| &mut s.info),
            'u' => self.single(kind, value, SdpLineKind::Uri, |s| &mut s.uri),
            'z' => self.single(kind, value, SdpLineKind::TimeZone, |s| &mut s.time_zones),
            'k' => self.single(kind, value, SdpLineKind::Key, |s| &mut s.key),
            'e' => {
                s.emails.push(value.to_owned());
                self.cursor = (SdpLineKind::Email, s.emails.len() - 1);
            }
            'p' => {
                s.phones.push(value.to_owned());
                self.cursor = (SdpLineKind::Phone, s.phones.len() - 1);
            }
            'c' => {
                if s.connection.is_some() {
                    self.raw_duplicate(kind, value, SdpLineKind::Connection);
                } else {
                    s.connection =
                        Some(parse_connection(value).map_err(SdpErrorReason::BadConnection)?);
                    self.cursor = (SdpLineKind::Connection, 0);
                }
            }
            'b' => {
                s.bandwidths.push(parse_bandwidth(value)?);
                self.cursor = (SdpLineKind::Bandwidth, s.bandwidths.len() - 1);
            }
            't' => {
                s.times.push(parse_time(value)?);
                self.cursor = (SdpLineKind::Time, s.times.len() - 1);
            }
            'r' => {
                let time = s
                    .times
                    .last_mut()
                    .ok_or(SdpErrorReason::LineOrder("r= before any t= line"))?;
                time.repeats.push(value.to_owned());
                self.cursor = (SdpLineKind::Repeat, self.repeats);
                self.repeats += 1;
            }
            'a' => {
                s.attributes.push(parse_attribute(value)?);
                self.cursor = (SdpLineKind::Attribute, s.attributes.len() - 1);
            }
            other => self.unknown(other, value)?,
        }
        Ok(())
    }

    fn media_section_line(&mut self, kind: char, value: &str) -> Result<(), SdpErrorReason> {
        let Some(m) = self.session.media.last_mut() else {
            return Err(SdpErrorReason::LineOrder(
                "media line outside a media section",
            ));
        };
        match kind {
            'i' => {
                if m.info.is_some() {
                    self.raw_duplicate(kind, value, SdpLineKind::Info);
                } else {
                    m.info = Some(value.to_owned());
                    self.cursor = (SdpLineKind::Info, 0);
                }
            }
            'k' => {
                if m.key.is_some() {
                    self.raw_duplicate(kind, value, SdpLineKind::Key);
                } else {
                    m.key = Some(value.to_owned());
                    self.cursor = (SdpLineKind::Key, 0);
                }
            }
            'c' => {
                if m.connection.is_some() {
                    self.raw_duplicate(kind, value, SdpLineKind::Connection);
                } else {
                    m.connection =
                        Some(parse_connection(value).map_err(SdpErrorReason::BadConnection)?);
                    self.cursor = (SdpLineKind::Connection, 0);
                }
            }
            'b' => {
                m.bandwidths.push(parse_bandwidth(value)?);
                self.cursor = (SdpLineKind::Bandwidth, m.bandwidths.len() - 1);
            }
            'a' => {
                m.attributes.push(parse_attribute(value)?);
                self.cursor = (SdpLineKind::Attribute, m.attributes.len() - 1);
            }
            'v' | 'o' | 's' | 'u' | 'e' | 'p' | 't' | 'r' | 'z' => {
                return Err(SdpErrorReason::LineOrder(
                    "session-level line inside a media section",
                ));
            }
            other => self.unknown(other, value)?,
        }
        Ok(())
    }

    fn media_line(&mut self, value: &str) -> Result<(), SdpErrorReason> {
        if !self.in_media {
            self.check_session()?;
        }
        if self.session.media.len() >= self.limits.max_media {
            return Err(SdpErrorReason::TooManyMedia {
                limit: self.limits.max_media,
            });
        }
        let media = parse_media(value)?;
        self.close_section();
        self.session.media.push(media);
        self.in_media = true;
        self.cursor = (SdpLineKind::Media, 0);
        Ok(())
    }

    /// Sets a single-valued session line, or keeps a repeat of it raw.
    fn single(
        &mut self,
        kind: char,
        value: &str,
        line_kind: SdpLineKind,
        field: impl FnOnce(&mut SdpSession) -> &mut Option<String>,
    ) {
        let slot = field(&mut self.session);
        if slot.is_some() {
            self.raw_duplicate(kind, value, line_kind);
        } else {
            *slot = Some(value.to_owned());
            self.cursor = (line_kind, 0);
        }
    }

    /// Keeps a repeat of a single line raw, right after the first one.
    fn raw_duplicate(&mut self, kind: char, value: &str, after: SdpLineKind) {
        self.push_raw(SdpRawLine::new(kind, value, after, 0));
    }

    fn unknown(&mut self, kind: char, value: &str) -> Result<(), SdpErrorReason> {
        if !self.limits.keep_unknown_lines {
            return Err(SdpErrorReason::UnknownLineType(kind));
        }
        let (after, index) = self.cursor;
        self.push_raw(SdpRawLine::new(kind, value, after, index));
        Ok(())
    }

    fn push_raw(&mut self, raw: SdpRawLine) {
        match (self.in_media, self.session.media.last_mut()) {
            (true, Some(m)) => m.raw_lines.push(raw),
            _ => self.session.raw_lines.push(raw),
        }
    }

    fn check_session(&self) -> Result<(), SdpErrorReason> {
        if !self.has_origin {
            return Err(SdpErrorReason::MissingOrigin);
        }
        if !self.has_name {
            return Err(SdpErrorReason::MissingSessionName);
        }
        Ok(())
    }

    /// Puts the raw lines of the section just finished in printing order.
    fn close_section(&mut self) {
        match (self.in_media, self.session.media.last_mut()) {
            (true, Some(m)) => {
                if m.raw_lines.len() > 1 {
                    let layout = media_layout(m);
                    sort_raw_lines(&mut m.raw_lines, &layout);
                }
            }
            _ => {
                if self.session.raw_lines.len() > 1 {
                    let layout = session_layout(&self.session);
                    sort_raw_lines(&mut self.session.raw_lines, &layout);
                }
            }
        }
    }

    fn finish(&mut self) -> Result<SdpSession, SdpErrorReason> {
        if self.lines == 0 {
            return Err(SdpErrorReason::MissingVersion);
        }
        if !self.in_media {
            self.check_session()?;
        }
        self.close_section();
        Ok(std::mem::replace(
            &mut self.session,
            SdpSession::with_ids(String::new(), 0, 0),
        ))
    }
}

/// Stable-sorts raw lines by the position they are printed at.
fn sort_raw_lines(raw_lines: &mut [SdpRawLine], layout: &Layout) {
    raw_lines.sort_by_cached_key(|raw| layout.position(raw));
}

fn parse_origin(s: &mut SdpSession, value: &str) -> Result<(), SdpErrorReason> {
    let fields: Vec<&str> = value.split_ascii_whitespace().collect();
    let [user, id, version, net_type, address_type, address] = fields[..] else {
        return Err(SdpErrorReason::BadOrigin("expected 6 fields"));
    };
    s.id = parse_digits(id).ok_or(SdpErrorReason::BadOrigin("bad session id"))?;
    s.version = parse_digits(version).ok_or(SdpErrorReason::BadOrigin("bad session version"))?;
    s.user = user.to_owned();
    s.net_type = net_type.to_owned();
    s.address_type = address_type.to_owned();
    s.address = address.to_owned();
    Ok(())
}

/// Parses connection data: `<net type> <address type> <address>[/<ttl>][/<count>]`.
pub(super) fn parse_connection(value: &str) -> Result<SdpConnection, &'static str> {
    let fields: Vec<&str> = value.split_ascii_whitespace().collect();
    let [net_type, address_type, address] = fields[..] else {
        return Err("expected <net type> <address type> <address>");
    };
    let mut parts = address.split('/');
    let address = parts.next().unwrap_or("");
    if address.is_empty() {
        return Err("empty address");
    }
    let first = parts.next();
    let second = parts.next();
    if parts.next().is_some() {
        return Err("too many address suffixes");
    }
    let (ttl, count) = if address_type.eq_ignore_ascii_case("IP6") {
        if second.is_some() {
            return Err("an IP6 address has no TTL");
        }
        (None, first)
    } else {
        let ttl = match first {
            Some(t) => Some(parse_digits::<u8>(t).ok_or("bad TTL")?),
            None => None,
        };
        (ttl, second)
    };
    let address_count = match count {
        Some(c) => Some(parse_digits::<u32>(c).ok_or("bad number of addresses")?),
        None => None,
    };
    Ok(SdpConnection {
        net_type: net_type.to_owned(),
        address_type: address_type.to_owned(),
        address: address.to_owned(),
        ttl,
        address_count,
    })
}

fn parse_bandwidth(value: &str) -> Result<SdpBandwidth, SdpErrorReason> {
    let (bw_type, bandwidth) = value.split_once(':').ok_or(SdpErrorReason::BadBandwidth)?;
    if bw_type.is_empty() || bw_type.contains(|c: char| c.is_ascii_whitespace()) {
        return Err(SdpErrorReason::BadBandwidth);
    }
    let bandwidth = parse_digits(bandwidth).ok_or(SdpErrorReason::BadBandwidth)?;
    Ok(SdpBandwidth::new(bw_type, bandwidth))
}

fn parse_time(value: &str) -> Result<SdpTime, SdpErrorReason> {
    let fields: Vec<&str> = value.split_ascii_whitespace().collect();
    let [start, stop] = fields[..] else {
        return Err(SdpErrorReason::BadTime);
    };
    match (parse_digits(start), parse_digits(stop)) {
        (Some(start), Some(stop)) => Ok(SdpTime::new(start, stop)),
        _ => Err(SdpErrorReason::BadTime),
    }
}

fn parse_attribute(value: &str) -> Result<SdpAttribute, SdpErrorReason> {
    let attribute = match value.split_once(':') {
        Some((name, value)) => SdpAttribute::new(name, value),
        None => SdpAttribute::flag(value),
    };
    if attribute.name.is_empty() {
        return Err(SdpErrorReason::BadAttribute);
    }
    Ok(attribute)
}

fn parse_media(value: &str) -> Result<SdpMediaStream, SdpErrorReason> {
    let mut fields = value.split_ascii_whitespace();
    let (Some(media), Some(port), Some(transport)) = (fields.next(), fields.next(), fields.next())
    else {
        return Err(SdpErrorReason::BadMedia(
            "expected <media> <port> <transport> <formats>",
        ));
    };
    let (port, count) = match port.split_once('/') {
        Some((port, count)) => (port, Some(count)),
        None => (port, None),
    };
    let mut stream = SdpMediaStream::new(
        media,
        parse_digits(port).ok_or(SdpErrorReason::BadMediaPort)?,
        transport,
    );
    if let Some(count) = count {
        stream.port_count = parse_digits(count).ok_or(SdpErrorReason::BadMediaPort)?;
    }
    stream.formats = fields.map(str::to_owned).collect();
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\n";

    fn parse(text: &str) -> SdpSession {
        SdpSession::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn error(text: &str) -> SdpError {
        SdpSession::parse(text).unwrap_err()
    }

    fn round_trip(text: &str) -> SdpSession {
        let s = parse(text);
        assert_eq!(s.to_string(), text);
        assert_eq!(parse(&s.to_string()), s);
        s
    }

    #[test]
    fn minimal_session() {
        let s = round_trip(
            "v=0\r\no=alice 2890844526 2890842807 IN IP4 10.47.16.5\r\ns=-\r\nt=0 0\r\n",
        );
        assert_eq!(s.user, "alice");
        assert_eq!(s.id, 2_890_844_526);
        assert_eq!(s.version, 2_890_842_807);
        assert_eq!(
            (
                s.net_type.as_str(),
                s.address_type.as_str(),
                s.address.as_str()
            ),
            ("IN", "IP4", "10.47.16.5")
        );
        assert_eq!(s.name, "-");
        assert_eq!(s.times, vec![SdpTime::new(0, 0)]);
        assert!(s.media.is_empty());
    }

    #[test]
    fn every_session_line_type() {
        let text = "v=0\r\n\
            o=jdoe 2890844526 2890842807 IN IP4 10.47.16.5\r\n\
            s=SDP Seminar\r\n\
            i=A Seminar on the session description protocol\r\n\
            u=http://www.example.com/seminars/sdp.pdf\r\n\
            e=j.doe@example.com (Jane Doe)\r\n\
            e=second@example.com\r\n\
            p=+1 617 555-6011\r\n\
            c=IN IP4 224.2.17.12/127\r\n\
            b=CT:128\r\n\
            b=AS:64\r\n\
            t=2873397496 2873404696\r\n\
            r=7d 1h 0 25h\r\n\
            r=604800 3600 0 90000\r\n\
            t=2873397497 0\r\n\
            z=2882844526 -1h 2898848070 0\r\n\
            k=clear:secret\r\n\
            a=recvonly\r\n\
            a=tool:x\r\n";
        let s = round_trip(text);
        assert_eq!(
            s.info.as_deref(),
            Some("A Seminar on the session description protocol")
        );
        assert_eq!(
            s.uri.as_deref(),
            Some("http://www.example.com/seminars/sdp.pdf")
        );
        assert_eq!(s.emails.len(), 2);
        assert_eq!(s.phones, vec!["+1 617 555-6011"]);
        let c = s.connection.as_ref().unwrap();
        assert_eq!(
            (c.address.as_str(), c.ttl, c.address_count),
            ("224.2.17.12", Some(127), None)
        );
        assert_eq!(
            s.bandwidths,
            vec![SdpBandwidth::new("CT", 128), SdpBandwidth::new("AS", 64)]
        );
        assert_eq!(s.times.len(), 2);
        assert_eq!(s.times[0].repeats.len(), 2);
        assert!(s.times[1].repeats.is_empty());
        assert_eq!(s.time_zones.as_deref(), Some("2882844526 -1h 2898848070 0"));
        assert_eq!(s.key.as_deref(), Some("clear:secret"));
        assert_eq!(s.attributes.len(), 2);
        assert_eq!(s.attributes.getfirst("tool"), Some("x"));
    }

    #[test]
    fn every_media_line_type() {
        let text = format!(
            "{HEAD}t=0 0\r\n\
            m=video 51372/2 RTP/AVP 99 100\r\n\
            i=main camera\r\n\
            c=IN IP6 FF15::101/3\r\n\
            b=AS:512\r\n\
            b=TIAS:512000\r\n\
            k=prompt\r\n\
            a=rtpmap:99 h263-1998/90000\r\n\
            a=empty:\r\n\
            m=application 0 TCP/MSRP\r\n"
        );
        let s = round_trip(&text);
        let m = &s.media[0];
        assert_eq!(
            (m.media.as_str(), m.port, m.port_count),
            ("video", 51372, 2)
        );
        assert_eq!(m.transport, "RTP/AVP");
        assert_eq!(m.formats, vec!["99", "100"]);
        assert_eq!(m.info.as_deref(), Some("main camera"));
        let c = m.connection.as_ref().unwrap();
        assert_eq!(
            (c.address_type.as_str(), c.ttl, c.address_count),
            ("IP6", None, Some(3))
        );
        assert_eq!(m.bandwidths.len(), 2);
        assert_eq!(m.key.as_deref(), Some("prompt"));
        assert_eq!(m.attributes[1], SdpAttribute::new("empty", ""));
        assert!(s.media[1].formats.is_empty());
        assert!(s.media[1].is_rejected());
    }

    #[test]
    fn connection_forms() {
        for (text, ttl, count) in [
            ("IN IP4 224.2.1.1/127/3", Some(127), Some(3)),
            ("IN IP4 224.2.1.1/127", Some(127), None),
            ("IN IP4 host.example.com", None, None),
            ("IN IP6 ::1", None, None),
            ("IN IP6 FF15::101/3", None, Some(3)),
        ] {
            let c = parse_connection(text).unwrap();
            assert_eq!((c.ttl, c.address_count), (ttl, count), "{text}");
            assert_eq!(c.to_string(), text);
        }
        for bad in [
            "IN IP4",
            "IN IP4 a b",
            "IN IP4 /1",
            "IN IP4 a/x",
            "IN IP4 a/1/x",
            "IN IP4 a/1/2/3",
            "IN IP4 a/300",
            "IN IP6 a/1/2",
            "",
        ] {
            assert!(parse_connection(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lf_line_ends_and_trailing_blank_lines() {
        let s = parse("v=0\no=- 1 2 IN IP4 h\ns=x\nt=0 0\n\n\n");
        assert_eq!(s.to_string(), "v=0\r\no=- 1 2 IN IP4 h\r\ns=x\r\nt=0 0\r\n");
        let s = parse("v=0\r\no=- 1 2 IN IP4 h\r\ns=x");
        assert_eq!(s.name, "x");
        let e = error("v=0\r\n\r\no=- 1 2 IN IP4 h\r\ns=x\r\n");
        assert_eq!((e.line(), e.reason()), (2, &SdpErrorReason::MalformedLine));
    }

    #[test]
    fn missing_t_line_is_accepted() {
        let s = round_trip(HEAD);
        assert!(s.times.is_empty());
        assert_eq!(s.start_time(), 0);
    }

    #[test]
    fn empty_s_line_is_kept() {
        let s = round_trip("v=0\r\no=- 1 2 IN IP4 h\r\ns=\r\n");
        assert_eq!(s.name, "");
    }

    #[test]
    fn unknown_lines_are_kept_in_place() {
        let text = "v=0\r\nx=after-v\r\no=- 1 2 IN IP4 h\r\ns=-\r\nt=0 0\r\ny=after-t\r\n\
                    a=one\r\nX=upper\r\na=two\r\n\
                    m=video 9 RTP/AVP 96\r\ny=0102\r\nc=IN IP4 0.0.0.0\r\na=x\r\nf=v/2///a///\r\n";
        let s = round_trip(text);
        assert_eq!(s.raw_lines.len(), 3);
        assert_eq!(
            s.raw_lines[0],
            SdpRawLine::new('x', "after-v", SdpLineKind::Version, 0)
        );
        assert_eq!(
            s.raw_lines[1],
            SdpRawLine::new('y', "after-t", SdpLineKind::Time, 0)
        );
        assert_eq!(
            s.raw_lines[2],
            SdpRawLine::new('X', "upper", SdpLineKind::Attribute, 0)
        );
        let m = &s.media[0];
        assert_eq!(
            m.raw_lines[0],
            SdpRawLine::new('y', "0102", SdpLineKind::Media, 0)
        );
        assert_eq!(
            m.raw_lines[1],
            SdpRawLine::new('f', "v/2///a///", SdpLineKind::Attribute, 0)
        );
        let strict = SdpLimits::default().with_keep_unknown_lines(false);
        let e = SdpSession::parse_with_limits(text.as_bytes(), &strict).unwrap_err();
        assert_eq!(
            (e.line(), e.reason()),
            (2, &SdpErrorReason::UnknownLineType('x'))
        );
    }

    #[test]
    fn repeated_single_lines_are_kept_raw() {
        let text = format!(
            "{HEAD}i=one\r\ni=two\r\nu=a\r\nu=b\r\nc=IN IP4 h\r\nc=IN IP4 second\r\nt=0 0\r\n\
             z=1 2\r\nz=3 4\r\nk=a\r\nk=b\r\ns=again\r\n\
             m=audio 1 RTP/AVP 0\r\ni=a\r\ni=b\r\nc=IN IP4 a\r\nc=IN IP4 b\r\nk=x\r\nk=y\r\n"
        );
        let s = parse(&text);
        assert_eq!(s.info.as_deref(), Some("one"));
        assert_eq!(s.raw_lines.len(), 6);
        assert_eq!(
            s.raw_lines[0],
            SdpRawLine::new('s', "again", SdpLineKind::SessionName, 0)
        );
        assert_eq!(
            s.raw_lines[1],
            SdpRawLine::new('i', "two", SdpLineKind::Info, 0)
        );
        assert_eq!(s.media[0].raw_lines.len(), 3);
        let printed = s.to_string();
        assert!(printed.starts_with(
            "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\ns=again\r\ni=one\r\ni=two\r\n"
        ));
        assert_eq!(parse(&printed), s);
        assert_eq!(parse(&printed).to_string(), printed);
    }

    #[test]
    fn out_of_order_lines_are_accepted_and_printed_in_order() {
        let text = format!(
            "{HEAD}a=tool:x\r\nt=0 0\r\nc=IN IP4 h\r\nm=audio 1 RTP/AVP 0\r\na=sendonly\r\n\
             c=IN IP4 m\r\nb=AS:1\r\nq=raw\r\ni=late\r\n"
        );
        let s = parse(&text);
        let printed = s.to_string();
        assert_eq!(
            printed,
            format!(
                "{HEAD}c=IN IP4 h\r\nt=0 0\r\na=tool:x\r\nm=audio 1 RTP/AVP 0\r\ni=late\r\n\
                 c=IN IP4 m\r\nb=AS:1\r\nq=raw\r\na=sendonly\r\n"
            )
        );
        assert_eq!(parse(&printed), s);
    }

    #[test]
    fn raw_lines_are_sorted_by_printed_position() {
        let text =
            format!("{HEAD}m=audio 1 RTP/AVP 0\r\nc=IN IP4 a\r\na=q\r\nx=a\r\nc=IN IP4 b\r\n");
        let s = parse(&text);
        let kinds: Vec<char> = s.media[0].raw_lines.iter().map(|r| r.kind).collect();
        assert_eq!(kinds, vec!['c', 'x']);
        assert_eq!(parse(&s.to_string()), s);
    }

    #[test]
    fn repeat_lines_follow_their_time() {
        let text = format!("{HEAD}t=1 2\r\nr=a\r\nx=1\r\nt=3 4\r\nr=b\r\nx=2\r\nr=c\r\n");
        let s = round_trip(&text);
        assert_eq!(s.times[0].repeats, vec!["a"]);
        assert_eq!(s.times[1].repeats, vec!["b", "c"]);
        assert_eq!(
            s.raw_lines[0],
            SdpRawLine::new('x', "1", SdpLineKind::Repeat, 0)
        );
        assert_eq!(
            s.raw_lines[1],
            SdpRawLine::new('x', "2", SdpLineKind::Repeat, 1)
        );
    }

    fn check(text: &str, line: usize, reason: SdpErrorReason) {
        let e = error(text);
        assert_eq!((e.line(), e.reason()), (line, &reason), "{text:?}: {e}");
    }

    #[test]
    fn structural_errors_name_the_line() {
        check("", 1, SdpErrorReason::MissingVersion);
        check("\r\n\r\n", 1, SdpErrorReason::MissingVersion);
        check("o=- 1 2 IN IP4 h\r\n", 1, SdpErrorReason::MissingVersion);
        check("v=1\r\n", 1, SdpErrorReason::BadVersion);
        check("v=0\r\ns=-\r\n", 3, SdpErrorReason::MissingOrigin);
        check(
            "v=0\r\ns=-\r\nm=audio 1 RTP/AVP 0\r\n",
            3,
            SdpErrorReason::MissingOrigin,
        );
        check(
            "v=0\r\no=- 1 2 IN IP4 h\r\n",
            3,
            SdpErrorReason::MissingSessionName,
        );
        check(
            "v=0\r\no=- 1 2 IN IP4 h\r\nv=0\r\n",
            3,
            SdpErrorReason::DuplicateLine('v'),
        );
        check(
            "v=0\r\no=- 1 2 IN IP4 h\r\no=- 1 2 IN IP4 h\r\n",
            3,
            SdpErrorReason::DuplicateLine('o'),
        );
        check(
            &format!("{HEAD}r=1 2 3\r\n"),
            4,
            SdpErrorReason::LineOrder("r= before any t= line"),
        );
        check(
            &format!("{HEAD}m=audio 1 RTP/AVP 0\r\nt=0 0\r\n"),
            5,
            SdpErrorReason::LineOrder("session-level line inside a media section"),
        );
        check(&format!("{HEAD}junk\r\n"), 4, SdpErrorReason::MalformedLine);
        check(&format!("{HEAD}a\r\n"), 4, SdpErrorReason::MalformedLine);
        check(&format!("{HEAD} a=x\r\n"), 4, SdpErrorReason::MalformedLine);
        check(
            &format!("{HEAD}1=x\r\n"),
            4,
            SdpErrorReason::UnknownLineType('1'),
        );
        check(
            &format!("{HEAD}a=x\ry\r\n"),
            4,
            SdpErrorReason::ControlCharacter,
        );
        check(&format!("{HEAD}a=\r\n"), 4, SdpErrorReason::BadAttribute);
        check(&format!("{HEAD}a=:v\r\n"), 4, SdpErrorReason::BadAttribute);
    }

    #[test]
    fn field_errors_name_the_line() {
        let o = |o: &str| format!("v=0\r\no={o}\r\ns=-\r\n");
        check(
            &o("- 1 2 IN IP4"),
            2,
            SdpErrorReason::BadOrigin("expected 6 fields"),
        );
        check(
            &o("- 1 2 IN IP4 h x"),
            2,
            SdpErrorReason::BadOrigin("expected 6 fields"),
        );
        check(
            &o("- x 2 IN IP4 h"),
            2,
            SdpErrorReason::BadOrigin("bad session id"),
        );
        check(
            &o("- -1 2 IN IP4 h"),
            2,
            SdpErrorReason::BadOrigin("bad session id"),
        );
        check(
            &o("- 1 99999999999999999999 IN IP4 h"),
            2,
            SdpErrorReason::BadOrigin("bad session version"),
        );
        check(
            &format!("{HEAD}c=IN IP4\r\n"),
            4,
            SdpErrorReason::BadConnection("expected <net type> <address type> <address>"),
        );
        check(
            &format!("{HEAD}m=audio 1 RTP/AVP 0\r\nc=IN IP4 a/x\r\n"),
            5,
            SdpErrorReason::BadConnection("bad TTL"),
        );
        check(&format!("{HEAD}b=AS\r\n"), 4, SdpErrorReason::BadBandwidth);
        check(&format!("{HEAD}b=:1\r\n"), 4, SdpErrorReason::BadBandwidth);
        check(
            &format!("{HEAD}b=AS:x\r\n"),
            4,
            SdpErrorReason::BadBandwidth,
        );
        check(
            &format!("{HEAD}m=audio 1 RTP/AVP 0\r\nb=A S:1\r\n"),
            5,
            SdpErrorReason::BadBandwidth,
        );
        check(&format!("{HEAD}t=0\r\n"), 4, SdpErrorReason::BadTime);
        check(&format!("{HEAD}t=0 x\r\n"), 4, SdpErrorReason::BadTime);
        check(
            &format!("{HEAD}m=audio 70000 RTP/AVP 0\r\n"),
            4,
            SdpErrorReason::BadMediaPort,
        );
        check(
            &format!("{HEAD}m=audio x RTP/AVP 0\r\n"),
            4,
            SdpErrorReason::BadMediaPort,
        );
        check(
            &format!("{HEAD}m=audio 1/x RTP/AVP 0\r\n"),
            4,
            SdpErrorReason::BadMediaPort,
        );
        check(
            &format!("{HEAD}m=audio 1\r\n"),
            4,
            SdpErrorReason::BadMedia("expected <media> <port> <transport> <formats>"),
        );
    }

    #[test]
    fn non_utf8_names_the_line() {
        let mut body = HEAD.as_bytes().to_vec();
        body.extend_from_slice(b"a=caf\xe9\r\n");
        let e = SdpSession::parse_bytes(&body).unwrap_err();
        assert_eq!((e.line(), e.reason()), (4, &SdpErrorReason::NonUtf8));
        assert_eq!(e.text(), "a=caf\u{fffd}");
    }

    #[test]
    fn limits() {
        let body = format!("{HEAD}t=0 0\r\n");
        let small = SdpLimits::default().with_max_size(10);
        let e = SdpSession::parse_with_limits(body.as_bytes(), &small).unwrap_err();
        assert_eq!(e.line(), 0);
        assert!(matches!(
            e.reason(),
            SdpErrorReason::TooLarge { limit: 10, .. }
        ));
        let few = SdpLimits::default().with_max_lines(3);
        let e = SdpSession::parse_with_limits(body.as_bytes(), &few).unwrap_err();
        assert_eq!(
            (e.line(), e.reason()),
            (4, &SdpErrorReason::TooManyLines { limit: 3 })
        );
        let big = "a".repeat(70 * 1024);
        assert!(matches!(
            SdpSession::parse(&big).unwrap_err().reason(),
            SdpErrorReason::TooLarge { .. }
        ));
        let limits = SdpLimits::default();
        assert_eq!(
            (limits.max_size, limits.max_lines, limits.max_media),
            (65536, 4096, 64)
        );
    }

    #[test]
    fn from_str_works() {
        let s: SdpSession = format!("{HEAD}t=0 0\r\n").parse().unwrap();
        assert_eq!(s.name, "-");
    }
}
