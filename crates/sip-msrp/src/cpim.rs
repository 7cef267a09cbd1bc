//! `Message/CPIM` (RFC 3862): the wrapper the seed's ChatStream puts around chat messages.
//!
//! A CPIM message has message headers (`From`, `To`, `cc`, `DateTime`, `Subject`, `NS`,
//! `Require` and extension headers named `<prefix>.<name>` after an `NS` declaration), a
//! blank line, the MIME headers of the content (`Content-Type` and others), a blank line
//! and the content.
//!
//! ```
//! use sip_msrp::cpim::{CpimIdentity, CpimMessage};
//!
//! let mut m = CpimMessage::new("text/plain", "Hello");
//! m.from = Some(CpimIdentity::new(Some("Alice"), "sip:alice@example.com"));
//! m.to.push(CpimIdentity::new(None, "sip:bob@example.com"));
//! m.datetime = Some("2026-11-22T23:00:00Z".into());
//! m.add_namespace("MyFeatures", "mid:MessageFeatures@id.foo.com");
//! m.add_header(Some("MyFeatures"), "VitalMessageOption", "Confirmation-requested");
//! let bytes = m.to_bytes();
//! let back = CpimMessage::parse(&bytes)?;
//! assert_eq!(back, m);
//! assert_eq!(back.header("MyFeatures", "VitalMessageOption"), Some("Confirmation-requested"));
//! # Ok::<(), sip_msrp::cpim::CpimError>(())
//! ```

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use memchr::memmem;
use thiserror::Error;

/// Why a CPIM message could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CpimError {
    /// No blank line after the message headers or after the content headers.
    #[error("CPIM: missing blank line after the {0} headers")]
    MissingBlankLine(&'static str),
    /// A header line without `: ` or with a bad name.
    #[error("CPIM: malformed header line {line}")]
    HeaderLine {
        /// The 1-based line number.
        line: usize,
    },
    /// A `From`, `To` or `cc` value that is not `[name] <uri>`.
    #[error("CPIM: bad identity in {0}")]
    Identity(&'static str),
    /// The headers are not UTF-8.
    #[error("CPIM: headers are not UTF-8")]
    Utf8,
    /// More than 128 header lines or headers over 64 KiB.
    #[error("CPIM: too many or too large headers")]
    TooLarge,
    /// No `Content-Type` among the content headers.
    #[error("CPIM: missing Content-Type")]
    MissingContentType,
}

/// A `From`, `To` or `cc` value: an optional display name and a URI in angle brackets.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CpimIdentity {
    /// The display name.
    pub display_name: Option<String>,
    /// The URI (`sip:alice@example.com`, `im:...`).
    pub uri: String,
}

impl CpimIdentity {
    /// An identity.
    pub fn new(display_name: Option<&str>, uri: impl Into<String>) -> Self {
        CpimIdentity {
            display_name: display_name.map(str::to_owned),
            uri: uri.into(),
        }
    }

    /// Parses `Name <uri>`, `"Name" <uri>` or `<uri>`.
    pub fn parse(s: &str) -> Option<CpimIdentity> {
        let s = s.trim();
        let open = s.rfind('<')?;
        let uri = s[open + 1..].strip_suffix('>')?;
        if uri.is_empty() || uri.contains(['<', '>', ' ']) {
            return None;
        }
        let name = s[..open].trim();
        let name = name
            .strip_prefix('"')
            .and_then(|n| n.strip_suffix('"'))
            .map(|n| n.replace("\\\"", "\"").replace("\\\\", "\\"))
            .unwrap_or_else(|| name.to_owned());
        Some(CpimIdentity {
            display_name: (!name.is_empty()).then_some(name),
            uri: uri.to_owned(),
        })
    }
}

impl fmt::Display for CpimIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(n) = &self.display_name {
            let plain = n
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b"-.!%*_+`'~".contains(&b));
            if plain {
                write!(f, "{n} ")?;
            } else {
                write!(f, "\"{}\" ", n.replace('\\', "\\\\").replace('"', "\\\""))?;
            }
        }
        write!(f, "<{}>", self.uri)
    }
}

/// A message header that has no field of its own: `[prefix.]name: value`, with the
/// parameters after the colon (`;lang=fr`) kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CpimHeader {
    /// The namespace prefix declared by `NS` (None for the base namespace).
    pub prefix: Option<String>,
    /// The name.
    pub name: String,
    /// The value.
    pub value: String,
}

/// A subject, optionally in a language (`Subject:;lang=fr text`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CpimSubject {
    /// The language tag.
    pub lang: Option<String>,
    /// The text.
    pub text: String,
}

/// A CPIM message. See the module documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpimMessage {
    /// `From`.
    pub from: Option<CpimIdentity>,
    /// `To` headers.
    pub to: Vec<CpimIdentity>,
    /// `cc` headers.
    pub cc: Vec<CpimIdentity>,
    /// `DateTime` (RFC 3339), as written.
    pub datetime: Option<String>,
    /// `Subject` headers.
    pub subject: Vec<CpimSubject>,
    /// `NS` declarations: (prefix, URI).
    pub namespaces: Vec<(String, String)>,
    /// `Require` values.
    pub require: Vec<String>,
    /// Other message headers, in order.
    pub headers: Vec<CpimHeader>,
    /// The content type (the wrapped payload's type).
    pub content_type: String,
    /// Other content headers (`Content-ID`, `Content-Disposition`...), in order.
    pub content_headers: Vec<(String, String)>,
    /// The content.
    pub body: Bytes,
}

impl CpimMessage {
    /// A message with only a content type and a body.
    pub fn new(content_type: impl Into<String>, body: impl Into<Bytes>) -> Self {
        CpimMessage {
            from: None,
            to: Vec::new(),
            cc: Vec::new(),
            datetime: None,
            subject: Vec::new(),
            namespaces: Vec::new(),
            require: Vec::new(),
            headers: Vec::new(),
            content_type: content_type.into(),
            content_headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Declares a namespace prefix (`NS: prefix <uri>`).
    pub fn add_namespace(&mut self, prefix: impl Into<String>, uri: impl Into<String>) {
        self.namespaces.push((prefix.into(), uri.into()));
    }

    /// Adds a message header.
    pub fn add_header(
        &mut self,
        prefix: Option<&str>,
        name: impl Into<String>,
        value: impl Into<String>,
    ) {
        self.headers.push(CpimHeader {
            prefix: prefix.map(str::to_owned),
            name: name.into(),
            value: value.into(),
        });
    }

    /// The first message header with this prefix (`""` for none) and name.
    pub fn header(&self, prefix: &str, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| {
                h.prefix.as_deref().unwrap_or("") == prefix && h.name.eq_ignore_ascii_case(name)
            })
            .map(|h| h.value.as_str())
    }

    /// Sets `DateTime` to `time` in UTC (`2026-11-22T23:00:00Z`).
    pub fn set_datetime(&mut self, time: SystemTime) {
        self.datetime = Some(format_datetime(time));
    }

    /// Parses a CPIM message.
    pub fn parse(input: &[u8]) -> Result<CpimMessage, CpimError> {
        const MAX_HEAD: usize = 64 * 1024;
        let (msg_head, rest) = split_block(input).ok_or(CpimError::MissingBlankLine("message"))?;
        let (content_head, body) =
            split_block(rest).ok_or(CpimError::MissingBlankLine("content"))?;
        if msg_head.len() + content_head.len() > MAX_HEAD {
            return Err(CpimError::TooLarge);
        }
        let mut m = CpimMessage::new(String::new(), Bytes::copy_from_slice(body));
        let lines = header_lines(msg_head)?;
        for (line_no, (name, value)) in lines.into_iter().enumerate() {
            let (prefix, name) = match name.split_once('.') {
                Some((p, n)) => (Some(p), n),
                None => (None, name),
            };
            if prefix.is_some_and(|p| p.is_empty()) || name.is_empty() {
                return Err(CpimError::HeaderLine { line: line_no + 1 });
            }
            match (prefix, name.to_ascii_lowercase().as_str()) {
                (None, "from") => {
                    m.from = Some(CpimIdentity::parse(value).ok_or(CpimError::Identity("From"))?)
                }
                (None, "to") => {
                    m.to.push(CpimIdentity::parse(value).ok_or(CpimError::Identity("To"))?)
                }
                (None, "cc") => {
                    m.cc.push(CpimIdentity::parse(value).ok_or(CpimError::Identity("cc"))?)
                }
                (None, "datetime") => m.datetime = Some(value.trim().to_owned()),
                (None, "subject") => {
                    let (lang, text) = match value.strip_prefix(";lang=") {
                        Some(r) => match r.split_once(' ') {
                            Some((l, t)) => (Some(l.to_owned()), t.to_owned()),
                            None => (Some(r.to_owned()), String::new()),
                        },
                        None => (None, value.to_owned()),
                    };
                    m.subject.push(CpimSubject { lang, text });
                }
                (None, "ns") => {
                    let id = CpimIdentity::parse(value).ok_or(CpimError::Identity("NS"))?;
                    m.namespaces
                        .push((id.display_name.unwrap_or_default(), id.uri));
                }
                (None, "require") => m.require.push(value.trim().to_owned()),
                _ => m.headers.push(CpimHeader {
                    prefix: prefix.map(str::to_owned),
                    name: name.to_owned(),
                    value: value.to_owned(),
                }),
            }
        }
        let mut content_type = None;
        for (name, value) in header_lines(content_head)? {
            if name.eq_ignore_ascii_case("content-type") {
                content_type = Some(value.trim().to_owned());
            } else {
                m.content_headers.push((name.to_owned(), value.to_owned()));
            }
        }
        m.content_type = content_type.ok_or(CpimError::MissingContentType)?;
        Ok(m)
    }

    /// Writes the message.
    pub fn to_bytes(&self) -> Bytes {
        use std::fmt::Write as _;
        let mut s = String::with_capacity(256);
        if let Some(f) = &self.from {
            let _ = write!(s, "From: {f}\r\n");
        }
        for t in &self.to {
            let _ = write!(s, "To: {t}\r\n");
        }
        for c in &self.cc {
            let _ = write!(s, "cc: {c}\r\n");
        }
        if let Some(d) = &self.datetime {
            let _ = write!(s, "DateTime: {d}\r\n");
        }
        for sub in &self.subject {
            match &sub.lang {
                Some(l) => {
                    let _ = write!(s, "Subject:;lang={l} {}\r\n", sub.text);
                }
                None => {
                    let _ = write!(s, "Subject: {}\r\n", sub.text);
                }
            }
        }
        for (p, u) in &self.namespaces {
            let _ = write!(s, "NS: {p} <{u}>\r\n");
        }
        for r in &self.require {
            let _ = write!(s, "Require: {r}\r\n");
        }
        for h in &self.headers {
            match &h.prefix {
                Some(p) => {
                    let _ = write!(s, "{p}.{}: {}\r\n", h.name, h.value);
                }
                None => {
                    let _ = write!(s, "{}: {}\r\n", h.name, h.value);
                }
            }
        }
        let _ = write!(s, "\r\nContent-Type: {}\r\n", self.content_type);
        for (n, v) in &self.content_headers {
            let _ = write!(s, "{n}: {v}\r\n");
        }
        s.push_str("\r\n");
        let mut out = Vec::with_capacity(s.len() + self.body.len());
        out.extend_from_slice(s.as_bytes());
        out.extend_from_slice(&self.body);
        out.into()
    }
}

/// Splits at the first blank line: (header lines with their final CRLF, the rest).
fn split_block(input: &[u8]) -> Option<(&[u8], &[u8])> {
    if let Some(rest) = input.strip_prefix(b"\r\n") {
        return Some((&[], rest));
    }
    let at = memmem::find(input, b"\r\n\r\n")?;
    Some((&input[..at + 2], &input[at + 4..]))
}

fn header_lines(block: &[u8]) -> Result<Vec<(&str, &str)>, CpimError> {
    let text = std::str::from_utf8(block).map_err(|_| CpimError::Utf8)?;
    let mut out = Vec::new();
    for (i, line) in text.split("\r\n").filter(|l| !l.is_empty()).enumerate() {
        if i >= 128 {
            return Err(CpimError::TooLarge);
        }
        let (name, value) = line
            .split_once(':')
            .ok_or(CpimError::HeaderLine { line: i + 1 })?;
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return Err(CpimError::HeaderLine { line: i + 1 });
        }
        let value = value.strip_prefix(' ').unwrap_or(value);
        out.push((name, value));
    }
    Ok(out)
}

/// Formats a time as RFC 3339 in UTC with whole seconds.
pub fn format_datetime(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const RFC3862_EXAMPLE: &str = "From: MR SANDERS <im:piglet@100akerwood.com>\r\n\
To: Depressed Donkey <im:eeyore@100akerwood.com>\r\n\
DateTime: 2000-12-13T13:40:00-08:00\r\n\
Subject: the weather will be fine today\r\n\
Subject:;lang=fr beau temps prevu pour aujourd'hui\r\n\
NS: MyFeatures <mid:MessageFeatures@id.foo.com>\r\n\
Require: MyFeatures.VitalMessageOption\r\n\
MyFeatures.VitalMessageOption: Confirmation-requested\r\n\
MyFeatures.WackyMessageOption: Use-silly-font\r\n\
\r\n\
Content-Type: text/xml; charset=utf-8\r\n\
Content-ID: <1234567890@foo.com>\r\n\
\r\n\
<body>\r\nHere is the text of my message.\r\n</body>";

    #[test]
    fn parses_the_rfc_3862_example() {
        let m = CpimMessage::parse(RFC3862_EXAMPLE.as_bytes()).unwrap();
        assert_eq!(
            m.from,
            Some(CpimIdentity::new(
                Some("MR SANDERS"),
                "im:piglet@100akerwood.com"
            ))
        );
        assert_eq!(m.to[0].display_name.as_deref(), Some("Depressed Donkey"));
        assert_eq!(m.datetime.as_deref(), Some("2000-12-13T13:40:00-08:00"));
        assert_eq!(m.subject.len(), 2);
        assert_eq!(m.subject[1].lang.as_deref(), Some("fr"));
        assert_eq!(m.subject[1].text, "beau temps prevu pour aujourd'hui");
        assert_eq!(
            m.namespaces,
            vec![("MyFeatures".into(), "mid:MessageFeatures@id.foo.com".into())]
        );
        assert_eq!(m.require, vec!["MyFeatures.VitalMessageOption".to_owned()]);
        assert_eq!(
            m.header("MyFeatures", "WackyMessageOption"),
            Some("Use-silly-font")
        );
        assert_eq!(m.content_type, "text/xml; charset=utf-8");
        assert_eq!(
            m.content_headers,
            vec![("Content-ID".into(), "<1234567890@foo.com>".into())]
        );
        assert!(m.body.starts_with(b"<body>"));
        assert_eq!(m.to_bytes(), Bytes::from(RFC3862_EXAMPLE));
    }

    #[test]
    fn quoted_names_round_trip() {
        let mut m = CpimMessage::new("text/plain", "x");
        m.from = Some(CpimIdentity::new(
            Some("Doe, \"J\" <x>"),
            "sip:j@example.com",
        ));
        let back = CpimMessage::parse(&m.to_bytes()).unwrap();
        assert_eq!(back, m);
        assert_eq!(CpimIdentity::parse("<sip:a@b>").unwrap().display_name, None);
    }

    #[test]
    fn rejects_malformed_input() {
        assert_eq!(
            CpimMessage::parse(b"From: <a:b>\r\n"),
            Err(CpimError::MissingBlankLine("message"))
        );
        assert_eq!(
            CpimMessage::parse(b"From: <a:b>\r\n\r\nContent-Type: text/plain\r\n"),
            Err(CpimError::MissingBlankLine("content"))
        );
        assert_eq!(
            CpimMessage::parse(b"From: nobody\r\n\r\nContent-Type: a/b\r\n\r\n"),
            Err(CpimError::Identity("From"))
        );
        assert_eq!(
            CpimMessage::parse(b"bad line\r\n\r\nContent-Type: a/b\r\n\r\n"),
            Err(CpimError::HeaderLine { line: 1 })
        );
        assert_eq!(
            CpimMessage::parse(b"\r\nX: y\r\n\r\n"),
            Err(CpimError::MissingContentType)
        );
        let ok = CpimMessage::parse(b"\r\nContent-Type: text/plain\r\n\r\nhi").unwrap();
        assert_eq!(&ok.body[..], b"hi");
    }

    #[test]
    fn datetime_is_rfc3339_utc() {
        assert_eq!(format_datetime(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(951_782_400 + 3661); // 2000-02-29 01:01:01
        assert_eq!(format_datetime(t), "2000-02-29T01:01:01Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_795_388_400);
        assert_eq!(format_datetime(t), "2026-11-22T23:00:00Z");
    }
}
