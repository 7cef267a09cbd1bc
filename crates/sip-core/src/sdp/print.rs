//! The SDP printer: canonical RFC 4566 line order, CRLF line ends.
//!
//! Raw lines ([`SdpRawLine`]) are printed right after the line they follow. Carriage returns
//! and line feeds inside values are printed as spaces, so that no value can add lines.

use std::fmt::{self, Write as _};

use bytes::Bytes;

use super::model::{
    SdpBandwidth, SdpConnection, SdpLineKind, SdpMediaStream, SdpRawLine, SdpSession, SdpTime,
};

/// Number of [`SdpLineKind`] variants.
const KINDS: usize = SdpLineKind::Media as usize + 1;

/// Receives each modelled line of a section: its kind, type letter and value.
type Visit<'a> = dyn FnMut(SdpLineKind, char, &dyn fmt::Display) -> fmt::Result + 'a;

/// Visits the session-level lines in printing order.
fn walk_session(s: &SdpSession, visit: &mut Visit<'_>) -> fmt::Result {
    visit(SdpLineKind::Version, 'v', &"0")?;
    visit(SdpLineKind::Origin, 'o', &OriginLine(s))?;
    visit(SdpLineKind::SessionName, 's', &s.name)?;
    if let Some(info) = &s.info {
        visit(SdpLineKind::Info, 'i', info)?;
    }
    if let Some(uri) = &s.uri {
        visit(SdpLineKind::Uri, 'u', uri)?;
    }
    for email in &s.emails {
        visit(SdpLineKind::Email, 'e', email)?;
    }
    for phone in &s.phones {
        visit(SdpLineKind::Phone, 'p', phone)?;
    }
    if let Some(connection) = &s.connection {
        visit(SdpLineKind::Connection, 'c', connection)?;
    }
    for bandwidth in &s.bandwidths {
        visit(SdpLineKind::Bandwidth, 'b', bandwidth)?;
    }
    for time in &s.times {
        visit(SdpLineKind::Time, 't', time)?;
        for repeat in &time.repeats {
            visit(SdpLineKind::Repeat, 'r', repeat)?;
        }
    }
    if let Some(zones) = &s.time_zones {
        visit(SdpLineKind::TimeZone, 'z', zones)?;
    }
    if let Some(key) = &s.key {
        visit(SdpLineKind::Key, 'k', key)?;
    }
    for attribute in s.attributes.iter() {
        visit(SdpLineKind::Attribute, 'a', attribute)?;
    }
    Ok(())
}

/// Visits the lines of a media section in printing order.
fn walk_media(m: &SdpMediaStream, visit: &mut Visit<'_>) -> fmt::Result {
    visit(SdpLineKind::Media, 'm', &MediaLine(m))?;
    if let Some(info) = &m.info {
        visit(SdpLineKind::Info, 'i', info)?;
    }
    if let Some(connection) = &m.connection {
        visit(SdpLineKind::Connection, 'c', connection)?;
    }
    for bandwidth in &m.bandwidths {
        visit(SdpLineKind::Bandwidth, 'b', bandwidth)?;
    }
    if let Some(key) = &m.key {
        visit(SdpLineKind::Key, 'k', key)?;
    }
    for attribute in m.attributes.iter() {
        visit(SdpLineKind::Attribute, 'a', attribute)?;
    }
    Ok(())
}

/// Where each modelled line of a section is printed (its ordinal), by kind and index.
pub(super) struct Layout {
    ordinals: [Vec<usize>; KINDS],
    in_media: bool,
}

impl Layout {
    fn new(in_media: bool) -> Self {
        Layout {
            ordinals: Default::default(),
            in_media,
        }
    }

    fn rank(&self, kind: SdpLineKind) -> usize {
        match kind {
            SdpLineKind::Media if self.in_media => 0,
            SdpLineKind::Repeat => SdpLineKind::Time as usize + 1,
            other => other as usize + 1,
        }
    }

    /// The ordinal of the modelled line a raw line is printed after: the line it names, or
    /// when that line does not exist, the last line of an earlier-or-equal kind.
    pub(super) fn position(&self, raw: &SdpRawLine) -> usize {
        if let Some(&ordinal) = self.ordinals[raw.after as usize].get(raw.index) {
            return ordinal;
        }
        let rank = self.rank(raw.after);
        self.ordinals
            .iter()
            .enumerate()
            .filter(|(kind, _)| self.rank(KIND_LIST[*kind]) <= rank)
            .filter_map(|(_, ordinals)| ordinals.last().copied())
            .max()
            .unwrap_or(0)
    }
}

/// The kinds, indexed by their discriminant.
const KIND_LIST: [SdpLineKind; KINDS] = [
    SdpLineKind::Version,
    SdpLineKind::Origin,
    SdpLineKind::SessionName,
    SdpLineKind::Info,
    SdpLineKind::Uri,
    SdpLineKind::Email,
    SdpLineKind::Phone,
    SdpLineKind::Connection,
    SdpLineKind::Bandwidth,
    SdpLineKind::Time,
    SdpLineKind::Repeat,
    SdpLineKind::TimeZone,
    SdpLineKind::Key,
    SdpLineKind::Attribute,
    SdpLineKind::Media,
];

fn layout(in_media: bool, walk: impl FnOnce(&mut Visit<'_>) -> fmt::Result) -> Layout {
    let mut layout = Layout::new(in_media);
    let mut next = 0;
    let _ = walk(&mut |kind, _, _| {
        layout.ordinals[kind as usize].push(next);
        next += 1;
        Ok(())
    });
    layout
}

/// The layout of the session-level lines.
pub(super) fn session_layout(s: &SdpSession) -> Layout {
    layout(false, |visit| walk_session(s, visit))
}

/// The layout of a media section.
pub(super) fn media_layout(m: &SdpMediaStream) -> Layout {
    layout(true, |visit| walk_media(m, visit))
}

/// A writer that turns CR and LF into spaces.
struct OneLine<'a, 'b>(&'a mut fmt::Formatter<'b>);

impl fmt::Write for OneLine<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if !s.contains(['\r', '\n']) {
            return self.0.write_str(s);
        }
        for (i, piece) in s.split(['\r', '\n']).enumerate() {
            if i > 0 {
                self.0.write_char(' ')?;
            }
            self.0.write_str(piece)?;
        }
        Ok(())
    }
}

fn write_line(f: &mut fmt::Formatter<'_>, kind: char, value: &dyn fmt::Display) -> fmt::Result {
    let kind = if kind == '\r' || kind == '\n' {
        ' '
    } else {
        kind
    };
    f.write_char(kind)?;
    f.write_char('=')?;
    write!(OneLine(f), "{value}")?;
    f.write_str("\r\n")
}

/// Writes a section, placing its raw lines after the lines they follow.
fn write_section(
    f: &mut fmt::Formatter<'_>,
    raw_lines: &[SdpRawLine],
    layout: impl FnOnce() -> Layout,
    walk: impl FnOnce(&mut Visit<'_>) -> fmt::Result,
) -> fmt::Result {
    if raw_lines.is_empty() {
        return walk(&mut |_, kind, value| write_line(f, kind, value));
    }
    let layout = layout();
    let mut order: Vec<(usize, &SdpRawLine)> = raw_lines
        .iter()
        .map(|raw| (layout.position(raw), raw))
        .collect();
    order.sort_by_key(|(position, _)| *position);
    let mut pending = order.into_iter().peekable();
    let mut ordinal = 0;
    walk(&mut |_, kind, value| {
        write_line(f, kind, value)?;
        while let Some((_, raw)) = pending.next_if(|(position, _)| *position == ordinal) {
            write_line(f, raw.kind, &raw.value)?;
        }
        ordinal += 1;
        Ok(())
    })?;
    for (_, raw) in pending {
        write_line(f, raw.kind, &raw.value)?;
    }
    Ok(())
}

struct OriginLine<'a>(&'a SdpSession);

impl fmt::Display for OriginLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        write!(
            f,
            "{} {} {} {} {} {}",
            s.user, s.id, s.version, s.net_type, s.address_type, s.address
        )
    }
}

struct MediaLine<'a>(&'a SdpMediaStream);

impl fmt::Display for MediaLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(f, "{} {}", m.media, m.port)?;
        if m.port_count != 1 {
            write!(f, "/{}", m.port_count)?;
        }
        write!(f, " {}", m.transport)?;
        for format in &m.formats {
            write!(f, " {format}")?;
        }
        Ok(())
    }
}

impl fmt::Display for SdpSession {
    /// Writes the whole body, every line ending in CRLF.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_section(
            f,
            &self.raw_lines,
            || session_layout(self),
            |visit| walk_session(self, visit),
        )?;
        for media in &self.media {
            fmt::Display::fmt(media, f)?;
        }
        Ok(())
    }
}

impl fmt::Display for SdpMediaStream {
    /// Writes the media section (`m=` line and the lines under it), each ending in CRLF.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_section(
            f,
            &self.raw_lines,
            || media_layout(self),
            |visit| walk_media(self, visit),
        )
    }
}

impl fmt::Display for SdpConnection {
    /// Writes the connection data as it appears after `c=`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.net_type, self.address_type, self.address
        )?;
        if let Some(ttl) = self.ttl {
            write!(f, "/{ttl}")?;
        }
        if let Some(count) = self.address_count {
            write!(f, "/{count}")?;
        }
        Ok(())
    }
}

impl fmt::Display for SdpBandwidth {
    /// Writes the bandwidth as it appears after `b=`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.bw_type, self.bandwidth)
    }
}

impl fmt::Display for SdpTime {
    /// Writes the times as they appear after `t=` (without the `r=` lines).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.start, self.stop)
    }
}

impl SdpSession {
    /// The body as bytes, ready to be a SIP message body (`application/sdp`).
    pub fn to_bytes(&self) -> Bytes {
        Bytes::from(self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdp::{Direction, SdpAttribute};

    #[test]
    fn builds_a_session_from_scratch() {
        let mut s = SdpSession::with_ids("192.0.2.1", 10, 11);
        s.connection = Some(SdpConnection::new("192.0.2.1"));
        let mut audio = SdpMediaStream::new("audio", 4000, "RTP/AVP");
        audio.formats = vec!["0".into(), "101".into()];
        audio
            .attributes
            .push(SdpAttribute::new("rtpmap", "0 PCMU/8000"));
        audio.set_direction(Direction::SendRecv);
        s.media.push(audio);
        let mut chat = SdpMediaStream::new("message", 2855, "TCP/MSRP");
        chat.port_count = 2;
        chat.formats = vec!["*".into()];
        s.media.push(chat);
        let text = "v=0\r\no=- 10 11 IN IP4 192.0.2.1\r\ns= \r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
                    m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n\
                    m=message 2855/2 TCP/MSRP *\r\n";
        assert_eq!(s.to_string(), text);
        assert_eq!(s.to_bytes(), Bytes::from(text));
        assert_eq!(SdpSession::parse(text).unwrap(), s);
        assert_eq!(s.media[1].to_string(), "m=message 2855/2 TCP/MSRP *\r\n");
    }

    #[test]
    fn values_cannot_add_lines() {
        let mut s = SdpSession::with_ids("h", 1, 1);
        s.name = "evil\r\na=injected".into();
        s.attributes.push(SdpAttribute::new("x", "1\n2"));
        s.raw_lines
            .push(SdpRawLine::new('\n', "q\r", SdpLineKind::Version, 0));
        let text = s.to_string();
        assert_eq!(
            text,
            "v=0\r\n =q \r\no=- 1 1 IN IP4 h\r\ns=evil  a=injected\r\nt=0 0\r\na=x:1 2\r\n"
        );
    }

    #[test]
    fn orphaned_raw_lines_print_where_their_kind_goes() {
        let mut s = SdpSession::with_ids("h", 1, 1);
        s.raw_lines
            .push(SdpRawLine::new('x', "1", SdpLineKind::Attribute, 5));
        s.raw_lines
            .push(SdpRawLine::new('x', "2", SdpLineKind::Info, 0));
        s.raw_lines
            .push(SdpRawLine::new('x', "3", SdpLineKind::Repeat, 0));
        s.raw_lines
            .push(SdpRawLine::new('x', "4", SdpLineKind::Media, 0));
        s.attributes.push(SdpAttribute::flag("a"));
        assert_eq!(
            s.to_string(),
            "v=0\r\no=- 1 1 IN IP4 h\r\ns= \r\nx=2\r\nt=0 0\r\nx=3\r\na=a\r\nx=1\r\nx=4\r\n"
        );
        let mut m = SdpMediaStream::new("audio", 1, "RTP/AVP");
        m.raw_lines
            .push(SdpRawLine::new('y', "1", SdpLineKind::Key, 0));
        m.raw_lines
            .push(SdpRawLine::new('y', "0", SdpLineKind::Version, 0));
        m.connection = Some(SdpConnection::new("a"));
        assert_eq!(
            m.to_string(),
            "m=audio 1 RTP/AVP\r\ny=0\r\nc=IN IP4 a\r\ny=1\r\n"
        );
    }
}
