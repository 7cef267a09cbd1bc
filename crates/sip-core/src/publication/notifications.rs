//! The Publication notifications of the seed, with the seed's data fields.

use crate::transaction::Target;

/// Data of `SIPPublicationDidSucceed`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PublicationDidSucceed {
    /// The response code from the presence agent.
    pub code: u16,
    /// The reason phrase from the presence agent.
    pub reason: String,
    /// Seconds until this publication expires.
    pub expires_in: u32,
    /// The presence agent the request went to (the seed's `route_header`).
    pub route_header: Target,
}

/// Data of `SIPPublicationDidFail`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PublicationDidFail {
    /// The response code from the presence agent, 408 on timeout, or 0 for an internal error.
    pub code: u16,
    /// The reason phrase from the presence agent or the error text.
    pub reason: String,
    /// The presence agent the request went to (the seed's `route_header`).
    pub route_header: Target,
}

/// Data of `SIPPublicationWillExpire`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PublicationWillExpire {
    /// Seconds until the publication expires.
    pub expires: u32,
}

/// Data of `SIPPublicationWillEnd` (no fields).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PublicationWillEnd {}

/// Data of `SIPPublicationDidNotEnd`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PublicationDidNotEnd {
    /// The response code from the presence agent, 408 on timeout, or 0 for an internal error.
    pub code: u16,
    /// The reason phrase from the presence agent or the error text.
    pub reason: String,
}

/// Data of `SIPPublicationDidEnd`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PublicationDidEnd {
    /// True when the published state ran out, false when [`end`](super::Publication::end)
    /// removed it.
    pub expired: bool,
}

/// A Publication notification, posted as
/// [`NotificationData::Custom`](crate::notification::NotificationData::Custom); downcast the
/// payload's `as_any()` to this type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublicationNotification {
    /// `SIPPublicationDidSucceed`.
    DidSucceed(PublicationDidSucceed),
    /// `SIPPublicationDidFail`.
    DidFail(PublicationDidFail),
    /// `SIPPublicationWillExpire`.
    WillExpire(PublicationWillExpire),
    /// `SIPPublicationWillEnd`.
    WillEnd(PublicationWillEnd),
    /// `SIPPublicationDidNotEnd`.
    DidNotEnd(PublicationDidNotEnd),
    /// `SIPPublicationDidEnd`.
    DidEnd(PublicationDidEnd),
}

impl PublicationNotification {
    /// The seed name of the notification (`"SIPPublicationDidSucceed"`).
    pub fn notification_name(&self) -> &'static str {
        match self {
            PublicationNotification::DidSucceed(_) => "SIPPublicationDidSucceed",
            PublicationNotification::DidFail(_) => "SIPPublicationDidFail",
            PublicationNotification::WillExpire(_) => "SIPPublicationWillExpire",
            PublicationNotification::WillEnd(_) => "SIPPublicationWillEnd",
            PublicationNotification::DidNotEnd(_) => "SIPPublicationDidNotEnd",
            PublicationNotification::DidEnd(_) => "SIPPublicationDidEnd",
        }
    }
}
