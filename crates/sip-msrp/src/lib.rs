//! # sip-msrp
//!
//! MSRP for sipsimple-rs: the Message Session Relay Protocol (RFC 4975) with relays
//! (RFC 4976), the ground under the middleware's `ChatStream`, `FileTransferStream` and
//! `DesktopSharingStream`.
//!
//! ```text
//!  runtime (tokio, feature `runtime`)   MsrpListener, connect/connect_tls, SessionHandle
//!  ───────────────────────────────────────────────────────────────────────────────────
//!  sans-IO                              MsrpConnection (one transport, many sessions)
//!                                        └─ MsrpSession (chunking, reports, timeouts)
//!                                            └─ MsrpMessage / Decoder (codec), MsrpUri
//!  helpers                              RelayAuth (RFC 4976), setup (RFC 4975 §5.4, 6135),
//!                                       cpim (RFC 3862), composing (RFC 3994 timers),
//!                                       sdp (m=message, RFC 5547 attributes)
//! ```
//!
//! The driving loop of the sans-IO core, here two sessions joined by an in-memory pipe:
//!
//! ```
//! use std::time::Instant;
//! use bytes::BytesMut;
//! use sip_msrp::{ConnectionEvent, Limits, MsrpConnection, MsrpSession, MsrpUri,
//!     OutgoingMessage, SessionConfig, SessionEvent};
//!
//! let a_uri = MsrpUri::new(false, "127.0.0.1", 7000, "alice1");
//! let b_uri = MsrpUri::new(false, "127.0.0.1", 7001, "bob1");
//! let mut a = MsrpConnection::new(Limits::default());
//! let mut b = MsrpConnection::new(Limits::default());
//! a.add_session(MsrpSession::new(SessionConfig::default(), a_uri.clone(), vec![b_uri.clone()], 1));
//! b.add_session(MsrpSession::new(SessionConfig::default(), b_uri, vec![a_uri], 2));
//!
//! let id = a.session_mut("alice1").unwrap()
//!     .send_message(OutgoingMessage::new("text/plain", "hello").with_success_report(true))?;
//! let now = Instant::now();
//! let mut received = None;
//! let mut delivered = false;
//! for _ in 0..10 {
//!     let mut wire = BytesMut::new();
//!     while a.poll_transmit(now, &mut wire) {}
//!     b.handle_input(now, &mut wire)?;
//!     while b.poll_transmit(now, &mut wire) {}
//!     a.handle_input(now, &mut wire)?;
//!     while let Some(ConnectionEvent::Session { event, .. }) = b.poll_event() {
//!         if let SessionEvent::MessageReceived(m) = event { received = Some(m.body); }
//!     }
//!     while let Some(ConnectionEvent::Session { event, .. }) = a.poll_event() {
//!         if let SessionEvent::Delivered { message_id, complete: true, .. } = event {
//!             delivered = message_id == id;
//!         }
//!     }
//! }
//! assert_eq!(received.as_deref(), Some(&b"hello"[..]));
//! assert!(delivered);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

pub mod composing;
mod connection;
pub mod cpim;
mod error;
mod message;
mod relay;
#[cfg(feature = "runtime")]
pub mod runtime;
pub mod sdp;
mod session;
pub mod setup;
mod uri;

pub use connection::{ConnectionEvent, MsrpConnection, WriteQueue, is_addressed_to};
pub use error::{CodecError, SessionError, UriError};
pub use message::{
    ByteRange, Continuation, DecodedFrame, Decoder, FailureReport, Headers, Limits, Method,
    MsrpMessage, StartLine, Status,
};
pub use relay::{RelayAuth, RelayAuthStep};
pub use session::{
    IncomingChunk, IncomingMessage, IncomingMode, MsrpSession, OutgoingMessage,
    STREAM_WINDOW_CHUNKS, SessionConfig, SessionEvent, default_reason,
};
pub use uri::{DEFAULT_PORT, MsrpUri};
