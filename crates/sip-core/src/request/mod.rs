//! Generic client and server transactions for applications: [`Request`] (the seed's
//! `sipsimple.core.Request`), [`Message`] (RFC 3428 MESSAGE) and [`IncomingRequest`] (a claimed
//! incoming request answered by the application).
//!
//! Each object posts its seed notifications through the [`NotificationCenter`](crate::notification::NotificationCenter) with itself as
//! the sender ([`Request::sender`], [`Message::sender`], [`IncomingRequest::sender`]); the data
//! are the [`NotificationData::Custom`](crate::notification::NotificationData::Custom) payloads
//! of this module, downcast with
//! [`NotificationData::downcast_ref`](crate::notification::NotificationData::downcast_ref).
//!
//! The core never resolves names: the Route header's URI must carry an IP address (and
//! optionally a port and a `transport` parameter), which is where the request is sent.
//!
//! ```no_run
//! use sip_core::engine::{Engine, EngineConfig};
//! use sip_core::header::{FromHeader, NameAddr, Route, ToHeader};
//! use sip_core::notification::NotificationCenter;
//! use sip_core::request::Message;
//! use sip_core::uri::Uri;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let center = NotificationCenter::new();
//! let engine = Engine::start(EngineConfig::new(), center.clone()).await?;
//! let message = Message::new(
//!     &engine,
//!     &center,
//!     FromHeader::new(NameAddr::new(Uri::parse("sip:alice@example.com")?)),
//!     ToHeader::new(NameAddr::new(Uri::parse("sip:bob@example.com")?)),
//!     Route::new(NameAddr::new(Uri::parse("sip:192.0.2.10:5060;lr")?)),
//!     "text/plain",
//!     "Hello",
//! );
//! let mut observer = center.add_observer(None, Some(message.sender().id()));
//! message.send(None)?;
//! let outcome = observer.recv().await?;
//! println!("{}", outcome.name()); // SIPMessageDidSucceed or SIPMessageDidFail
//! # Ok(())
//! # }
//! ```

mod client;
mod incoming;

use std::any::Any;

use bytes::Bytes;

use crate::engine::EngineError;
use crate::header::Headers;
use crate::uri::Uri;

pub use client::{DEFAULT_EXPIRE_WARNING_TIME, Message, Request, RequestState};
pub use incoming::{IncomingRequest, IncomingRequestState};

/// What can go wrong with a [`Request`], [`Message`] or [`IncomingRequest`].
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The operation is not allowed in the object's current state (for example `send` twice,
    /// or answering twice).
    #[error("invalid state: {0}")]
    InvalidState(&'static str),
    /// An argument is invalid (a status code out of range, a Route without an IP address…).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// No tokio runtime is running on this thread.
    #[error("no tokio runtime is running")]
    NoRuntime,
    /// The Engine refused the command.
    #[error("engine error: {0}")]
    Engine(#[from] EngineError),
}

macro_rules! payload {
    ($ty:ty, $name:literal) => {
        impl crate::notification::NotificationPayload for $ty {
            fn name(&self) -> &'static str {
                $name
            }
            fn as_any(&self) -> &dyn Any {
                self
            }
        }
    };
}

/// Data of `SIPRequestGotProvisionalResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestGotProvisionalResponseData {
    /// The 1xx status code.
    pub code: u16,
    /// The reason phrase.
    pub reason: String,
    /// The response headers.
    pub headers: Headers,
    /// The body, `None` when empty.
    pub body: Option<Bytes>,
}
payload!(
    RequestGotProvisionalResponseData,
    "SIPRequestGotProvisionalResponse"
);

/// Data of `SIPRequestDidSucceed`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestDidSucceedData {
    /// The 2xx status code.
    pub code: u16,
    /// The reason phrase.
    pub reason: String,
    /// The response headers.
    pub headers: Headers,
    /// The body, `None` when empty.
    pub body: Option<Bytes>,
    /// Seconds until the request expires; 0 when it does not expire.
    pub expires: u32,
}
payload!(RequestDidSucceedData, "SIPRequestDidSucceed");

/// Data of `SIPRequestDidFail`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestDidFailData {
    /// The final status code, an internal one (408 for a timeout), or 0 for an internal error.
    pub code: u16,
    /// The reason phrase or a description of the error.
    pub reason: String,
    /// The response headers; `None` when no response was received.
    pub headers: Option<Headers>,
    /// The response body; `None` when no response was received or it was empty.
    pub body: Option<Bytes>,
}
payload!(RequestDidFailData, "SIPRequestDidFail");

/// Data of `SIPRequestWillExpire`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestWillExpireData {
    /// Seconds from now until the request expires.
    pub expires: u32,
}
payload!(RequestWillExpireData, "SIPRequestWillExpire");

/// Data of `SIPRequestDidEnd` (only the notification's timestamp).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RequestDidEndData;
payload!(RequestDidEndData, "SIPRequestDidEnd");

/// Data of `SIPMessageDidSucceed` (none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct MessageDidSucceedData;
payload!(MessageDidSucceedData, "SIPMessageDidSucceed");

/// Data of `SIPMessageDidFail`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MessageDidFailData {
    /// The final status code, an internal one (408 for a timeout), or 0 for an internal error.
    pub code: u16,
    /// The reason phrase or a description of the error.
    pub reason: String,
}
payload!(MessageDidFailData, "SIPMessageDidFail");

/// Data of `SIPIncomingRequestGotRequest`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IncomingRequestGotRequestData {
    /// The request method.
    pub method: String,
    /// The Request-URI.
    pub request_uri: Uri,
    /// The request headers.
    pub headers: Headers,
    /// The body, `None` when empty.
    pub body: Option<Bytes>,
}
payload!(
    IncomingRequestGotRequestData,
    "SIPIncomingRequestGotRequest"
);

/// Data of `SIPIncomingRequestSentResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IncomingRequestSentResponseData {
    /// The status code sent.
    pub code: u16,
    /// The reason phrase sent.
    pub reason: String,
    /// The response headers.
    pub headers: Headers,
    /// Always `None`, as in the seed.
    pub body: Option<Bytes>,
}
payload!(
    IncomingRequestSentResponseData,
    "SIPIncomingRequestSentResponse"
);

/// A random 64-bit value from an OS-seeded generator (tags, Call-IDs, CSeq).
fn random_u64() -> u64 {
    use rand::{RngCore, SeedableRng};
    rand::rngs::StdRng::from_os_rng().next_u64()
}

fn non_empty(body: &Bytes) -> Option<Bytes> {
    (!body.is_empty()).then(|| body.clone())
}
