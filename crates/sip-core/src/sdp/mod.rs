//! The SDP model (RFC 4566), with its parser and printer, for offer/answer (RFC 3264).
//!
//! * [`SdpSession`] is a whole body: the `o=`, `s=`, `t=` ... lines, session-level
//!   [`SdpAttribute`]s and a list of [`SdpMediaStream`]s (one per `m=` line). Its fields are
//!   public; [`FrozenSdpSession`] is the immutable, cheaply clonable form (the seed's
//!   `FrozenSDPSession`).
//! * [`SdpSession::parse`] reads a body (CRLF or LF line ends) and
//!   [`Display`](std::fmt::Display) prints it back in canonical form with CRLF. A body written
//!   in canonical form prints back byte for byte: lines the model does not interpret are kept
//!   as [`SdpRawLine`]s at their position. Bad input gives an [`SdpError`] naming the line;
//!   input size and line counts are bounded by [`SdpLimits`].
//! * Typed helpers parse and build well-known attribute values: [`RtpMap`], [`Fmtp`],
//!   [`Rtcp`], [`Crypto`], [`Candidate`], [`IceUfrag`], [`IcePwd`], [`Setup`], [`MsrpPath`],
//!   [`AcceptTypes`], [`AcceptWrappedTypes`], [`FileSelector`] and [`Direction`]; see
//!   [`TypedAttribute`].
//!
//! What the parser accepts: the first line must be `v=0`; `o=` and `s=` are required before
//! the first `m=`; `o=`, `c=`, `b=`, `t=` and `m=` lines must be well formed. It is lenient
//! where deployed peers are: a missing `t=` line, lines of a section in a different order
//! (printed back in RFC order), repeated single lines and unknown line types (kept raw).
//!
//! ```
//! use sip_core::sdp::{Direction, RtpMap, SdpAttribute, SdpSession};
//!
//! let offer = "v=0\r\n\
//!     o=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\n\
//!     s=-\r\n\
//!     c=IN IP4 192.0.2.10\r\n\
//!     t=0 0\r\n\
//!     m=audio 49170 RTP/AVP 0 101\r\n\
//!     a=rtpmap:0 PCMU/8000\r\n\
//!     a=rtpmap:101 telephone-event/8000\r\n\
//!     a=fmtp:101 0-15\r\n";
//! let mut sdp = SdpSession::parse(offer).unwrap();
//! assert_eq!(sdp.to_string(), offer);
//!
//! // Read it.
//! let audio = &sdp.media[0];
//! assert_eq!(audio.port, 49170);
//! assert_eq!(audio.direction(), Direction::SendRecv);
//! let pcmu: RtpMap = audio.rtpmap(0).unwrap();
//! assert_eq!((pcmu.encoding.as_str(), pcmu.clock_rate), ("PCMU", 8000));
//! assert_eq!(audio.attributes.getfirst("fmtp"), Some("101 0-15"));
//!
//! // Put the call on hold and print the new offer.
//! sdp.media[0].set_direction(Direction::SendOnly);
//! sdp.media[0].attributes.push(SdpAttribute::new("ptime", "20"));
//! sdp.increment_version();
//! let text = sdp.to_string();
//! assert!(text.contains("o=alice 2890844526 2890844527 IN IP4 192.0.2.10\r\n"));
//! assert!(text.ends_with("a=sendonly\r\na=ptime:20\r\n"));
//!
//! // Freeze it to share it cheaply.
//! let frozen = sdp.freeze();
//! assert_eq!(frozen.media[0].direction(), Direction::SendOnly);
//! ```

mod attribute;
mod error;
mod frozen;
mod model;
mod parse;
mod print;
mod typed;

pub use attribute::{SdpAttribute, SdpAttributeList, TypedAttribute};
pub use error::{SdpAttributeError, SdpError, SdpErrorReason};
pub use frozen::{FrozenSdpMediaStream, FrozenSdpSession};
pub use model::{
    SdpBandwidth, SdpConnection, SdpLineKind, SdpMediaStream, SdpRawLine, SdpSession, SdpTime,
};
pub use parse::SdpLimits;
pub use typed::{
    AcceptTypes, AcceptWrappedTypes, Candidate, CandidateType, Crypto, CryptoKeyParam,
    CryptoLifetime, CryptoMki, Direction, FileHash, FileSelector, Fmtp, FmtpParam, IcePwd,
    IceUfrag, MsrpPath, Rtcp, RtpMap, Setup,
};
