//! The answers a user agent server owes before any dialog logic (RFC 3261 §8.2, §21;
//! RFC 6665 §7.2.1; RFC 3903 §6). Everything here is sans-IO: time comes in as `now`, To tags
//! come from a caller-supplied closure (see [`random_tag`] for one over a seeded RNG).
//!
//! - [`reject_malformed`] gives 400 (505, 513) for a request that failed to parse or validate,
//!   built from the raw Via, From, To, Call-ID and CSeq lines; nothing for responses or garbage.
//! - [`RequestPolicy::check`] gives 405 with Allow, 416, 420 with Unsupported, 489 with
//!   Allow-Events, 415 with Accept, in the order of RFC 3261 §8.2.
//! - [`no_such_transaction`] gives 481.
//! - [`MergedRequestDetector`] gives 482 Loop Detected for merged requests (§8.2.2.2).
//! - [`OverloadGuard`] gives 503 with Retry-After beyond a pending-transaction limit (§21.5.4).
//!
//! No function here ever answers an ACK. Every response carries Content-Length and, unless it
//! is a 100 or the request already had one, a To tag.
//!
//! ```
//! use rand::SeedableRng;
//! use sip_core::message::{Method, SipMessage};
//! use sip_core::uas::{random_tag, reject_malformed, RequestPolicy};
//!
//! let mut rng = rand::rngs::StdRng::seed_from_u64(7);
//! let policy = RequestPolicy::new().allow_method(Method::Message);
//!
//! // A well-formed SUBSCRIBE that this policy does not allow: 405 with Allow.
//! let raw = b"SUBSCRIBE sip:bob@example.com SIP/2.0\r\n\
//!     Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds\r\n\
//!     Max-Forwards: 70\r\n\
//!     To: <sip:bob@example.com>\r\n\
//!     From: <sip:alice@example.com>;tag=1928301774\r\n\
//!     Call-ID: a84b4c76e66710\r\n\
//!     CSeq: 1 SUBSCRIBE\r\n\
//!     Event: presence\r\n\
//!     Content-Length: 0\r\n\r\n";
//! let msg = SipMessage::parse(&raw[..]).unwrap();
//! msg.validate().unwrap();
//! let answer = policy
//!     .check(msg.as_request().unwrap(), || random_tag(&mut rng))
//!     .unwrap_err();
//! assert_eq!(answer.status().code(), 405);
//! assert!(answer.headers().get_str(&sip_core::header::HeaderName::Allow).unwrap().contains("MESSAGE"));
//!
//! // The same request with a broken Content-Length: 400 naming the fault.
//! let broken = String::from_utf8_lossy(raw).replace("Content-Length: 0", "Content-Length: zero");
//! let err = SipMessage::parse(broken.clone().into_bytes()).unwrap_err();
//! let answer = reject_malformed(broken.as_bytes(), &err, || random_tag(&mut rng)).unwrap();
//! assert_eq!(answer.status().code(), 400);
//! assert!(answer.reason().contains("Content-Length"));
//! ```

mod malformed;
mod merged;
mod overload;
mod policy;

use rand::RngCore;

use crate::header::ToHeader;
use crate::message::{Method, Request, ResponseBuilder, StatusCode};

pub use malformed::reject_malformed;
pub use merged::MergedRequestDetector;
pub use overload::OverloadGuard;
pub use policy::RequestPolicy;

/// A configuration value that the UAS helpers cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UasConfigError {
    /// An option tag, URI scheme, event type or media type that is not a valid token.
    #[error("invalid {what}: {value:?} is not a token")]
    InvalidToken {
        /// What the value was meant to be (`option tag`, `URI scheme`…).
        what: &'static str,
        /// The value as given.
        value: String,
    },
    /// A capacity or limit of zero, which would reject or forget everything.
    #[error("{0} must be at least 1")]
    Zero(&'static str),
}

/// A fresh To tag from `rng`: 16 lowercase hex digits (64 random bits, RFC 3261 §19.3 asks for
/// at least 32). Pass a seeded RNG for reproducible tags.
pub fn random_tag<R: RngCore + ?Sized>(rng: &mut R) -> String {
    format!("{:016x}", rng.next_u64())
}

/// Starts the response `status` to `request`, with a To tag from `tag` when the request has
/// none and the status is not 100 (RFC 3261 §8.2.6.2).
pub(crate) fn respond(
    request: &Request,
    status: StatusCode,
    tag: impl FnOnce() -> String,
) -> ResponseBuilder {
    let builder = request.response(status);
    if status == StatusCode::TRYING || has_to_tag(request) {
        builder
    } else {
        builder.to_tag(&tag())
    }
}

fn has_to_tag(request: &Request) -> bool {
    matches!(
        request.headers().typed_first::<ToHeader>(),
        Ok(Some(to)) if to.tag().is_some()
    )
}

/// 481 Call/Transaction Does Not Exist (RFC 3261 §12.2.2, §9.2) for a request that matches no
/// dialog or transaction; `None` for an ACK, which is never answered.
pub fn no_such_transaction(
    request: &Request,
    tag: impl FnOnce() -> String,
) -> Option<crate::message::Response> {
    if *request.method() == Method::Ack {
        return None;
    }
    Some(respond(request, StatusCode::CALL_OR_TRANSACTION_DOES_NOT_EXIST, tag).build())
}

/// Joins values into one comma-separated header value.
pub(crate) fn join<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for v in values {
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(v);
    }
    out
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn random_tags_are_reproducible_hex() {
        let mut a = rand::rngs::StdRng::seed_from_u64(1);
        let mut b = rand::rngs::StdRng::seed_from_u64(1);
        let t = random_tag(&mut a);
        assert_eq!(t.len(), 16);
        assert!(t.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(t, random_tag(&mut b));
        assert_ne!(t, random_tag(&mut a));
    }

    #[test]
    fn joins_values_with_commas() {
        assert_eq!(join(["INVITE", "ACK"]), "INVITE, ACK");
        assert_eq!(join([]), "");
    }
}
