//! The Registration notifications of the seed, with the seed's data fields.

use crate::header::Contact;
use crate::transaction::Target;

/// Data of `SIPRegistrationDidSucceed`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegistrationDidSucceed {
    /// The response code from the registrar.
    pub code: u16,
    /// The reason phrase from the registrar.
    pub reason: String,
    /// The contact that was sent to the registrar.
    pub contact_header: Contact,
    /// Every contact registered for the address of record, ours included (from the 2xx).
    pub contact_header_list: Vec<Contact>,
    /// Seconds until this registration expires.
    pub expires_in: u32,
    /// The registrar the request went to (the seed's `route_header`).
    pub route_header: Target,
}

/// Data of `SIPRegistrationDidFail`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegistrationDidFail {
    /// The response code from the registrar, 408 on timeout, or 0 for an internal error.
    pub code: u16,
    /// The reason phrase from the registrar or the error text.
    pub reason: String,
    /// The registrar the request went to (the seed's `route_header`).
    pub route_header: Target,
}

/// Data of `SIPRegistrationWillExpire`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegistrationWillExpire {
    /// Seconds until the registration expires.
    pub expires: u32,
}

/// Data of `SIPRegistrationWillEnd` (no fields).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegistrationWillEnd {}

/// Data of `SIPRegistrationDidNotEnd`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegistrationDidNotEnd {
    /// The response code from the registrar, 408 on timeout, or 0 for an internal error.
    pub code: u16,
    /// The reason phrase from the registrar or the error text.
    pub reason: String,
}

/// Data of `SIPRegistrationDidEnd`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegistrationDidEnd {
    /// True when the registration ran out, false when [`end`](super::Registration::end)
    /// removed it.
    pub expired: bool,
}

/// A Registration notification, posted as
/// [`NotificationData::Custom`](crate::notification::NotificationData::Custom); downcast the
/// payload's `as_any()` to this type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistrationNotification {
    /// `SIPRegistrationDidSucceed`.
    DidSucceed(Box<RegistrationDidSucceed>),
    /// `SIPRegistrationDidFail`.
    DidFail(RegistrationDidFail),
    /// `SIPRegistrationWillExpire`.
    WillExpire(RegistrationWillExpire),
    /// `SIPRegistrationWillEnd`.
    WillEnd(RegistrationWillEnd),
    /// `SIPRegistrationDidNotEnd`.
    DidNotEnd(RegistrationDidNotEnd),
    /// `SIPRegistrationDidEnd`.
    DidEnd(RegistrationDidEnd),
}

impl RegistrationNotification {
    /// The seed name of the notification (`"SIPRegistrationDidSucceed"`).
    pub fn notification_name(&self) -> &'static str {
        match self {
            RegistrationNotification::DidSucceed(_) => "SIPRegistrationDidSucceed",
            RegistrationNotification::DidFail(_) => "SIPRegistrationDidFail",
            RegistrationNotification::WillExpire(_) => "SIPRegistrationWillExpire",
            RegistrationNotification::WillEnd(_) => "SIPRegistrationWillEnd",
            RegistrationNotification::DidNotEnd(_) => "SIPRegistrationDidNotEnd",
            RegistrationNotification::DidEnd(_) => "SIPRegistrationDidEnd",
        }
    }
}
