//! # sip-core
//!
//! The SIP core of sipsimple-rs. Everything here is sans-IO: no sockets, no clock, no global
//! state (the tokio Engine and transports arrive behind the `runtime` feature).
//!
//! ```text
//!  ┌──────────────────────────────────────────────────────────────┐
//!  │ transaction  RFC 3261 §17 client/server transactions         │
//!  │ uas          answers a UAS owes (400, 405, 420, 482…)        │
//!  ├──────────────────────────────────────────────────────────────┤
//!  │ message  Request / Response, parser, printer, builders       │
//!  │   ├── header   typed headers (Via, From, CSeq, Contact, …)   │
//!  │   ├── uri      sip:, sips:, tel: URIs, name-addr             │
//!  │   ├── body     multipart bodies, message/sipfrag             │
//!  │   └── framing  stream-transport framing and limits           │
//!  │ sdp      SDP session model, parser and printer (RFC 4566)    │
//!  │ digest   digest authentication (RFC 2617, 7616, 8760)        │
//!  └──────────────────────────────────────────────────────────────┘
//! ```
//!
//! Messages are parsed from a [`bytes::Bytes`] buffer without copying: the start line, header
//! names and values are slices of the received buffer, and typed headers are parsed on demand.
//!
//! ```
//! use sip_core::message::SipMessage;
//! use sip_core::header::{CSeq, Via};
//!
//! let raw = bytes::Bytes::from_static(
//!     b"OPTIONS sip:bob@example.com SIP/2.0\r\n\
//!       Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds\r\n\
//!       Max-Forwards: 70\r\n\
//!       To: <sip:bob@example.com>\r\n\
//!       From: Alice <sip:alice@example.com>;tag=1928301774\r\n\
//!       Call-ID: a84b4c76e66710\r\n\
//!       CSeq: 63104 OPTIONS\r\n\
//!       Content-Length: 0\r\n\r\n",
//! );
//! let msg = SipMessage::parse(raw).unwrap();
//! let via: Via = msg.headers().typed_first().unwrap().unwrap();
//! assert_eq!(via.branch(), Some("z9hG4bK776asdhds"));
//! let cseq: CSeq = msg.headers().typed_first().unwrap().unwrap();
//! assert_eq!(cseq.seq, 63104);
//! ```
#![forbid(unsafe_code)]

pub mod body;
#[cfg(feature = "runtime")]
mod client_exchange;
pub mod dialog;
pub mod digest;
#[cfg(feature = "runtime")]
pub mod engine;
pub mod error;
mod grammar;
pub mod header;
pub mod invitation;
#[cfg(feature = "runtime")]
mod mailbox;
pub mod message;
pub mod notification;
pub mod param;
#[cfg(feature = "runtime")]
pub mod publication;
pub mod referral;
#[cfg(feature = "runtime")]
pub mod registration;
#[cfg(feature = "runtime")]
pub mod request;
pub mod sdp;
pub mod subscription;
pub mod transaction;
#[cfg(feature = "runtime")]
pub mod transport;
pub mod uas;
pub mod uri;

pub use error::{Element, ParseError, ParseErrorKind};
pub use grammar::{percent_decode, percent_encode, unquote, write_quoted};
