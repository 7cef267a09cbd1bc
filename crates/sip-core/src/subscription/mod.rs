//! Event subscriptions (RFC 6665): the subscriber and notifier machines, sans-IO, and (with
//! the `runtime` feature) the seed's `Subscription` and `IncomingSubscription`.
//!
//! - [`Subscriber`] is the subscriber side (RFC 6665 §4.1), also used for the implicit
//!   subscription of a REFER ([`crate::referral`]): it builds the initial SUBSCRIBE (or
//!   REFER), follows the 2xx and the NOTIFYs (Subscription-State `active`, `pending`,
//!   `terminated` with `reason` and `retry-after`), refreshes before expiry, retries a 423
//!   with the Min-Expires, ends with `Expires: 0`, and fails when no NOTIFY follows the 2xx
//!   within 64·T1.
//! - [`Notifier`] is the notifier side (§4.2): accept (200 + NOTIFY `active`), accept as
//!   pending (202 + NOTIFY `pending`), reject, push content, refreshes, unsubscribes, expiry
//!   (`terminated;reason=timeout`) and NOTIFY failures.
//!
//! Both are driven the same way: commands and `handle_*` calls take the current time, the
//! machine queues outputs (requests to send, responses, events) drained with
//! `poll_output()`, and `poll_timeout()` says when to call `handle_timeout()`.
//!
//! ```
//! use std::time::Instant;
//! use sip_core::header::{Contact, FromHeader, NameAddr, ToHeader};
//! use sip_core::subscription::{Subscriber, SubscriberConfig, SubscriberOutput};
//! use sip_core::uri::Uri;
//!
//! let uri = Uri::parse("sip:bob@example.com").unwrap();
//! let config = SubscriberConfig::new(
//!     uri.clone(),
//!     FromHeader::new(NameAddr::new(Uri::parse("sip:alice@example.com").unwrap())),
//!     ToHeader::new(NameAddr::new(uri)),
//!     Contact::new(NameAddr::new(Uri::parse("sip:alice@192.0.2.1").unwrap())),
//!     "presence",
//! );
//! let mut subscriber = Subscriber::new(config, 7);
//! subscriber.subscribe(Instant::now(), Vec::new(), None).unwrap();
//! let mut sent = None;
//! while let Some(output) = subscriber.poll_output() {
//!     if let SubscriberOutput::Request(r) = output {
//!         sent = Some(r);
//!     }
//! }
//! let subscribe = sent.unwrap();
//! assert_eq!(subscribe.headers().get_str(&sip_core::header::HeaderName::Event), Some("presence"));
//! assert_eq!(subscriber.state().as_str(), "SENT");
//! ```

#[cfg(feature = "runtime")]
pub(crate) mod driver;
#[cfg(feature = "runtime")]
mod notifications;
mod notifier;
#[cfg(feature = "runtime")]
pub(crate) mod runtime;
mod subscriber;

use std::time::Duration;

use bytes::Bytes;

#[cfg(feature = "runtime")]
pub use notifications::{
    ChangedState, GotNotify, IncomingSubscriptionNotification, NotifyDidFail, RequestData,
    ResponseData, SubscriptionDidFail, SubscriptionNotification,
};
pub use notifier::{Notifier, NotifierConfig, NotifierEvent, NotifierOutput, NotifierState};
#[cfg(feature = "runtime")]
pub use runtime::{IncomingSubscription, Subscription};
pub use subscriber::{
    InitialRequest, Subscriber, SubscriberConfig, SubscriberEvent, SubscriberOutput,
    SubscriberState,
};

/// A body with its Content-Type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    /// The Content-Type value (`application/pidf+xml`).
    pub content_type: String,
    /// The body.
    pub body: Bytes,
}

impl Content {
    /// A body of `content_type`.
    pub fn new(content_type: &str, body: impl Into<Bytes>) -> Self {
        Content {
            content_type: content_type.to_owned(),
            body: body.into(),
        }
    }
}

/// What a subscription object refuses to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubscriptionError {
    /// The operation is not allowed in the current state.
    #[error("{operation} is not allowed in state {state}")]
    InvalidState {
        /// The operation.
        operation: &'static str,
        /// The state.
        state: String,
    },
    /// The status code does not fit the operation.
    #[error("invalid status code {0}")]
    InvalidCode(u16),
    /// The request was answered with this error code (400, 423…) instead of creating the
    /// object.
    #[error("the request was rejected with {0}")]
    Rejected(u16),
    /// The event package is not registered with the Engine (`EngineConfig::events` or
    /// `Engine::add_event`).
    #[error("the event package {0:?} is not registered with the Engine (see Engine::add_event)")]
    UnknownEvent(String),
}

/// When to refresh a subscription that lasts `expires` seconds: 30 s before expiry, or at
/// half of it for durations of a minute or less (at least 500 ms).
pub fn refresh_delay(expires: u32) -> Duration {
    let secs = u64::from(expires);
    let delay_ms = if secs > 60 {
        (secs - 30) * 1000
    } else {
        secs * 500
    };
    Duration::from_millis(delay_ms.max(500))
}

#[cfg(test)]
mod tests;
