//! The `m=message` media description of MSRP (RFC 4975 §8) and the file-transfer attributes
//! of RFC 5547, on sip-core's SDP model.
//!
//! sip-core types `a=path`, `a=accept-types`, `a=accept-wrapped-types`, `a=setup` and
//! `a=file-selector`; this module adds [`FileTransferId`], [`FileRange`] and
//! [`FileDisposition`] as [`TypedAttribute`]s and [`MessageMedia`], which builds and reads a
//! whole MSRP media description.
//!
//! ```
//! use sip_core::sdp::{FileHash, FileSelector, Setup};
//! use sip_msrp::sdp::{FileRange, MessageMedia};
//! use sip_msrp::MsrpUri;
//!
//! let mut media = MessageMedia::new(MsrpUri::new(true, "192.0.2.1", 2855, "jshA7weztas"));
//! media.accept_types = vec!["*".into()];
//! media.setup = Some(Setup::ActPass);
//! media.file_selector = Some(FileSelector {
//!     name: Some("report.pdf".into()),
//!     media_type: Some("application/pdf".into()),
//!     size: Some(268_759),
//!     hash: Some(FileHash::from_bytes("sha-1", &[0x60, 0xa1])),
//! });
//! media.file_range = Some(FileRange { start: 1, stop: None });
//! let m = media.to_media_stream();
//! assert_eq!(m.transport, "TCP/TLS/MSRP");
//! assert_eq!(m.attributes.getfirst("path"), Some("msrps://192.0.2.1:2855/jshA7weztas;tcp"));
//! assert_eq!(m.attributes.getfirst("file-range"), Some("1-*"));
//! assert_eq!(MessageMedia::from_media_stream(&m)?, media);
//! # Ok::<(), sip_msrp::sdp::MessageMediaError>(())
//! ```

use std::fmt;
use std::io::Read;

use sha1::{Digest, Sha1};
use sip_core::sdp::{
    AcceptTypes, AcceptWrappedTypes, Direction, FileHash, FileSelector, MsrpPath, SdpAttribute,
    SdpAttributeError, SdpMediaStream, Setup, TypedAttribute,
};
use thiserror::Error;

use crate::uri::MsrpUri;

/// `a=file-transfer-id` (RFC 5547 §6): identifies one transfer across re-offers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileTransferId(pub String);

impl TypedAttribute for FileTransferId {
    const NAME: &'static str = "file-transfer-id";

    fn parse_value(value: &str) -> Result<Self, SdpAttributeError> {
        let v = value.trim();
        if v.is_empty() || v.contains(char::is_whitespace) {
            return Err(SdpAttributeError::new(Self::NAME, "empty or has spaces"));
        }
        Ok(FileTransferId(v.to_owned()))
    }

    fn to_value(&self) -> String {
        self.0.clone()
    }
}

/// `a=file-range:<start>-<stop>` (RFC 5547 §6): the 1-based octets to transfer; `stop` is
/// `None` for `*` (to the end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileRange {
    /// The first octet, from 1.
    pub start: u64,
    /// The last octet, or `None` for the end of the file.
    pub stop: Option<u64>,
}

impl TypedAttribute for FileRange {
    const NAME: &'static str = "file-range";

    fn parse_value(value: &str) -> Result<Self, SdpAttributeError> {
        let err = |why| SdpAttributeError::new(Self::NAME, why);
        let (a, b) = value.trim().split_once('-').ok_or_else(|| err("no dash"))?;
        let num = |s: &str| {
            (!s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u64>().ok())
                .flatten()
        };
        let start = num(a).filter(|s| *s >= 1).ok_or_else(|| err("bad start"))?;
        let stop = if b == "*" {
            None
        } else {
            Some(
                num(b)
                    .filter(|s| *s >= start)
                    .ok_or_else(|| err("bad stop"))?,
            )
        };
        Ok(FileRange { start, stop })
    }

    fn to_value(&self) -> String {
        match self.stop {
            Some(s) => format!("{}-{s}", self.start),
            None => format!("{}-*", self.start),
        }
    }
}

/// `a=file-disposition` (RFC 5547 §6): `render`, `attachment` or another token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileDisposition(pub String);

impl TypedAttribute for FileDisposition {
    const NAME: &'static str = "file-disposition";

    fn parse_value(value: &str) -> Result<Self, SdpAttributeError> {
        let v = value.trim();
        if v.is_empty()
            || !v
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.!%*+`'~".contains(&b))
        {
            return Err(SdpAttributeError::new(Self::NAME, "not a token"));
        }
        Ok(FileDisposition(v.to_owned()))
    }

    fn to_value(&self) -> String {
        self.0.clone()
    }
}

/// Why an `m=` section is not a usable MSRP media description.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MessageMediaError {
    /// The transport is not `TCP/MSRP` or `TCP/TLS/MSRP`.
    #[error("SDP: transport {0} is not MSRP")]
    Transport(String),
    /// No `a=path`.
    #[error("SDP: MSRP media without a=path")]
    MissingPath,
    /// An `a=path` URI does not parse.
    #[error("SDP: bad MSRP URI in a=path: {0}")]
    PathUri(crate::UriError),
    /// An attribute value does not parse.
    #[error("SDP: {0}")]
    Attribute(#[from] SdpAttributeError),
}

/// An MSRP media description: what an `m=message` (or `m=application`) section says. See the
/// [module documentation](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageMedia {
    /// The media type: `message` (chat, file transfer) or `application` (desktop sharing).
    pub media: String,
    /// The port of the `m=` line (the port of the last path URI when building).
    pub port: u16,
    /// TLS (`TCP/TLS/MSRP`).
    pub secure: bool,
    /// `a=path`: relays first, the endpoint's URI last.
    pub path: Vec<MsrpUri>,
    /// `a=accept-types`.
    pub accept_types: Vec<String>,
    /// `a=accept-wrapped-types`.
    pub accept_wrapped_types: Vec<String>,
    /// `a=setup` (RFC 6135).
    pub setup: Option<Setup>,
    /// The direction attribute, when present.
    pub direction: Option<Direction>,
    /// `a=max-size` (RFC 4975 §8.6), in octets.
    pub max_size: Option<u64>,
    /// `a=file-selector`.
    pub file_selector: Option<FileSelector>,
    /// `a=file-transfer-id`.
    pub file_transfer_id: Option<FileTransferId>,
    /// `a=file-range`.
    pub file_range: Option<FileRange>,
    /// `a=file-disposition`.
    pub file_disposition: Option<FileDisposition>,
}

impl MessageMedia {
    /// A chat description for `local` (`m=message`, accept-types `message/cpim text/*
    /// application/im-iscomposing+xml`, accept-wrapped-types `*`, as the seed's ChatStream).
    pub fn new(local: MsrpUri) -> Self {
        MessageMedia {
            media: "message".into(),
            port: local.port_or_default(),
            secure: local.secure,
            path: vec![local],
            accept_types: vec![
                "message/cpim".into(),
                "text/*".into(),
                "application/im-iscomposing+xml".into(),
            ],
            accept_wrapped_types: vec!["*".into()],
            setup: None,
            direction: None,
            max_size: None,
            file_selector: None,
            file_transfer_id: None,
            file_range: None,
            file_disposition: None,
        }
    }

    /// The endpoint's URI (the last of the path).
    pub fn endpoint(&self) -> Option<&MsrpUri> {
        self.path.last()
    }

    /// Builds the `m=` section (no `c=` line; the caller sets the connection address).
    pub fn to_media_stream(&self) -> SdpMediaStream {
        let transport = if self.secure {
            "TCP/TLS/MSRP"
        } else {
            "TCP/MSRP"
        };
        let mut m = SdpMediaStream::new(self.media.clone(), self.port, transport);
        m.formats = vec!["*".into()];
        if let Some(d) = self.direction {
            m.set_direction(d);
        }
        if !self.accept_types.is_empty() {
            m.push_attribute(&AcceptTypes {
                types: self.accept_types.clone(),
            });
        }
        if !self.accept_wrapped_types.is_empty() {
            m.push_attribute(&AcceptWrappedTypes {
                types: self.accept_wrapped_types.clone(),
            });
        }
        if let Some(s) = self.max_size {
            m.attributes
                .push(SdpAttribute::new("max-size", s.to_string()));
        }
        m.push_attribute(&MsrpPath {
            uris: self.path.iter().map(ToString::to_string).collect(),
        });
        if let Some(s) = &self.setup {
            m.push_attribute(s);
        }
        if let Some(f) = &self.file_selector {
            m.push_attribute(f);
        }
        if let Some(f) = &self.file_transfer_id {
            m.push_attribute(f);
        }
        if let Some(f) = &self.file_range {
            m.push_attribute(f);
        }
        if let Some(f) = &self.file_disposition {
            m.push_attribute(f);
        }
        m
    }

    /// Reads an MSRP `m=` section.
    pub fn from_media_stream(m: &SdpMediaStream) -> Result<MessageMedia, MessageMediaError> {
        let secure = match m.transport.to_ascii_uppercase().as_str() {
            "TCP/MSRP" => false,
            "TCP/TLS/MSRP" => true,
            _ => return Err(MessageMediaError::Transport(m.transport.clone())),
        };
        let path = m.path()?.ok_or(MessageMediaError::MissingPath)?;
        let path = path
            .uris
            .iter()
            .map(|u| MsrpUri::parse(u))
            .collect::<Result<Vec<_>, _>>()
            .map_err(MessageMediaError::PathUri)?;
        let typed = |name: &'static str| m.attributes.iter().find(|a| a.name == name);
        Ok(MessageMedia {
            media: m.media.clone(),
            port: m.port,
            secure,
            path,
            accept_types: m.accept_types()?.map(|a| a.types).unwrap_or_default(),
            accept_wrapped_types: m
                .accept_wrapped_types()?
                .map(|a| a.types)
                .unwrap_or_default(),
            setup: m.setup()?,
            direction: m.direction_attribute(),
            max_size: typed("max-size")
                .map(|a| {
                    a.value_str()
                        .trim()
                        .parse::<u64>()
                        .map_err(|_| SdpAttributeError::new("max-size", "not a number"))
                })
                .transpose()?,
            file_selector: m.file_selector()?,
            file_transfer_id: typed(FileTransferId::NAME)
                .map(|a| a.parse_as())
                .transpose()?,
            file_range: typed(FileRange::NAME).map(|a| a.parse_as()).transpose()?,
            file_disposition: typed(FileDisposition::NAME)
                .map(|a| a.parse_as())
                .transpose()?,
        })
    }
}

impl fmt::Display for FileRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_value())
    }
}

/// The SHA-1 of everything `reader` yields, as the `hash:sha-1:` selector of
/// `a=file-selector`.
pub fn sha1_file_hash(mut reader: impl Read) -> std::io::Result<FileHash> {
    let mut h = Sha1::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(FileHash::from_bytes("sha-1", &h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sip_core::sdp::SdpSession;

    const RFC5547_OFFER: &str = "v=0\r\n\
o=alice 2890844526 2890844526 IN IP4 host.atlanta.example.com\r\n\
s=-\r\n\
c=IN IP4 host.atlanta.example.com\r\n\
t=0 0\r\n\
m=message 7654 TCP/MSRP *\r\n\
i=This is my latest picture\r\n\
a=sendonly\r\n\
a=accept-types:message/cpim\r\n\
a=accept-wrapped-types:*\r\n\
a=path:msrp://atlanta.example.com:7654/jshA7we;tcp\r\n\
a=file-selector:name:\"My cool picture.jpg\" type:image/jpeg size:32349 hash:sha-1:72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E\r\n\
a=file-transfer-id:vBnG916bdberum2fFEABR1FR3ExZMUrd\r\n\
a=file-disposition:render\r\n\
a=file-date:creation:\"Mon, 15 May 2006 15:01:31 +0300\"\r\n";

    #[test]
    fn reads_the_rfc_5547_offer() {
        let sdp = SdpSession::parse(RFC5547_OFFER).unwrap();
        let m = MessageMedia::from_media_stream(&sdp.media[0]).unwrap();
        assert_eq!(m.media, "message");
        assert!(!m.secure);
        assert_eq!(m.direction, Some(Direction::SendOnly));
        assert_eq!(m.path[0].session_id.as_deref(), Some("jshA7we"));
        let fs = m.file_selector.clone().unwrap();
        assert_eq!(fs.name.as_deref(), Some("My cool picture.jpg"));
        assert_eq!(fs.size, Some(32349));
        assert_eq!(fs.hash.unwrap().bytes().unwrap().len(), 20);
        assert_eq!(
            m.file_transfer_id,
            Some(FileTransferId("vBnG916bdberum2fFEABR1FR3ExZMUrd".into()))
        );
        assert_eq!(m.file_disposition, Some(FileDisposition("render".into())));
        assert_eq!(m.file_range, None);
        // Built again, it reads back the same.
        assert_eq!(
            MessageMedia::from_media_stream(&m.to_media_stream()).unwrap(),
            m
        );
    }

    #[test]
    fn file_range_values() {
        assert_eq!(
            FileRange::parse_value("1-*").unwrap(),
            FileRange {
                start: 1,
                stop: None
            }
        );
        assert_eq!(FileRange::parse_value("10-20").unwrap().to_value(), "10-20");
        for bad in ["0-5", "5-4", "a-b", "1", "-5", "1-"] {
            assert!(FileRange::parse_value(bad).is_err(), "{bad}");
        }
        assert!(FileTransferId::parse_value("a b").is_err());
        assert!(FileDisposition::parse_value("").is_err());
    }

    #[test]
    fn rejects_non_msrp_media() {
        let mut m = SdpMediaStream::new("audio", 4000, "RTP/AVP");
        assert!(matches!(
            MessageMedia::from_media_stream(&m),
            Err(MessageMediaError::Transport(_))
        ));
        m.transport = "TCP/MSRP".into();
        assert_eq!(
            MessageMedia::from_media_stream(&m),
            Err(MessageMediaError::MissingPath)
        );
        m.attributes.push(SdpAttribute::new("path", "http://x"));
        assert!(matches!(
            MessageMedia::from_media_stream(&m),
            Err(MessageMediaError::PathUri(_))
        ));
    }

    #[test]
    fn sha1_of_a_file() {
        let h = sha1_file_hash(&b"abc"[..]).unwrap();
        assert_eq!(h.algorithm, "sha-1");
        assert_eq!(
            h.value,
            "A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:D0:D8:9D"
        );
    }
}
