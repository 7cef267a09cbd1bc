//! Referrals (RFC 3515 REFER, RFC 4488 `Refer-Sub`): the sans-IO pieces, and (with the
//! `runtime` feature) the seed's `Referral` and `IncomingReferral`.
//!
//! The REFER sender is a [`Subscriber`](crate::subscription::Subscriber) configured with
//! [`SubscriberConfig::refer`](crate::subscription::SubscriberConfig::refer); the receiver a
//! [`Notifier`](crate::subscription::Notifier) created from the REFER, whose NOTIFYs carry
//! `message/sipfrag` bodies made by [`sipfrag_content`].
//!
//! ```
//! use sip_core::referral::sipfrag_content;
//!
//! let content = sipfrag_content(180, None);
//! assert_eq!(content.content_type, "message/sipfrag;version=2.0");
//! assert_eq!(&content.body[..], b"SIP/2.0 180 Ringing\r\n");
//! ```

#[cfg(feature = "runtime")]
mod runtime;

use crate::body::SipFrag;
use crate::message::StatusCode;
use crate::subscription::Content;

#[cfg(feature = "runtime")]
pub use runtime::{
    GotRefer, IncomingReferral, IncomingReferralNotification, Referral, ReferralDidFail,
    ReferralNotification,
};

/// The `message/sipfrag` body of a REFER progress NOTIFY: the status line `SIP/2.0 <code>
/// <status>` (`status` `None`: the code's standard reason phrase). Codes outside 100–699 are
/// written as 500.
pub fn sipfrag_content(code: u16, status: Option<&str>) -> Content {
    let code = StatusCode::new(code).unwrap_or(StatusCode::SERVER_INTERNAL_ERROR);
    let reason = status.map_or_else(|| code.default_reason().to_owned(), str::to_owned);
    let frag = SipFrag::from_status(code, reason);
    Content::new(SipFrag::CONTENT_TYPE, frag.to_bytes())
}
