//! The notifications of `Subscription` and `IncomingSubscription`, with the seed's data
//! fields, and the data shapes the referral notifications share.

use std::any::Any;

use bytes::Bytes;

use crate::header::{Event, FromHeader, Headers, ToHeader};
use crate::message::{Method, Request, Response};
use crate::notification::NotificationPayload;
use crate::uri::Uri;

/// `prev_state` and `state` of a `…ChangedState` notification.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChangedState {
    /// The state before.
    pub prev_state: String,
    /// The state now.
    pub state: String,
}

/// A NOTIFY received (`SIPSubscriptionGotNotify`, `SIPReferralGotNotify`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GotNotify {
    /// The Request-URI.
    pub request_uri: Uri,
    /// The From header.
    pub from_header: Option<FromHeader>,
    /// The To header.
    pub to_header: Option<ToHeader>,
    /// The Content-Type, `None` without body.
    pub content_type: Option<String>,
    /// The Event header.
    pub event: Option<Event>,
    /// All headers.
    pub headers: Headers,
    /// The body, `None` when empty.
    pub body: Option<Bytes>,
}

impl GotNotify {
    pub(crate) fn of(request: &Request) -> Self {
        let h = request.headers();
        let body = (!request.body().is_empty()).then(|| request.body().clone());
        GotNotify {
            request_uri: request.uri().clone(),
            from_header: h.typed().ok(),
            to_header: h.typed().ok(),
            content_type: body
                .as_ref()
                .and_then(|_| h.get_str(&crate::header::HeaderName::ContentType))
                .map(str::to_owned),
            event: h.typed_first().ok().flatten(),
            headers: h.clone(),
            body,
        }
    }
}

/// A request received or sent (`method`, `request_uri`, `headers`, `body`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestData {
    /// The method.
    pub method: Method,
    /// The Request-URI.
    pub request_uri: Uri,
    /// All headers.
    pub headers: Headers,
    /// The body, `None` when empty.
    pub body: Option<Bytes>,
}

impl RequestData {
    pub(crate) fn of(request: &Request) -> Self {
        RequestData {
            method: request.method().clone(),
            request_uri: request.uri().clone(),
            headers: request.headers().clone(),
            body: (!request.body().is_empty()).then(|| request.body().clone()),
        }
    }
}

/// A response received or sent (`code`, `reason`, `headers`, `body`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseData {
    /// The status code.
    pub code: u16,
    /// The reason phrase.
    pub reason: String,
    /// All headers.
    pub headers: Headers,
    /// The body, `None` when empty.
    pub body: Option<Bytes>,
}

impl ResponseData {
    pub(crate) fn of(response: &Response) -> Self {
        ResponseData {
            code: response.status().code(),
            reason: response.reason().to_owned(),
            headers: response.headers().clone(),
            body: (!response.body().is_empty()).then(|| response.body().clone()),
        }
    }
}

/// A NOTIFY that failed: `code` (0 for an internal error, 408 for a timeout), `reason`, and
/// `headers`/`body` when a response caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NotifyDidFail {
    /// The status code.
    pub code: u16,
    /// The reason.
    pub reason: String,
    /// The response's headers.
    pub headers: Option<Headers>,
    /// The response's body.
    pub body: Option<Bytes>,
}

/// Data of `SIPSubscriptionDidFail`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubscriptionDidFail {
    /// The response code, 408 for a timeout, 0 for an internal error or a termination by the
    /// notifier.
    pub code: u16,
    /// The reason phrase or a description.
    pub reason: String,
    /// The Min-Expires of the response, if any.
    pub min_expires: Option<u32>,
}

/// A `Subscription` notification, posted as
/// [`NotificationData::Custom`](crate::notification::NotificationData::Custom); downcast the
/// payload's `as_any()` to this type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubscriptionNotification {
    /// `SIPSubscriptionChangedState`.
    ChangedState(ChangedState),
    /// `SIPSubscriptionWillStart`.
    WillStart,
    /// `SIPSubscriptionDidStart`.
    DidStart,
    /// `SIPSubscriptionGotNotify`.
    GotNotify(Box<GotNotify>),
    /// `SIPSubscriptionDidFail`.
    DidFail(SubscriptionDidFail),
    /// `SIPSubscriptionDidEnd`.
    DidEnd,
}

impl SubscriptionNotification {
    /// The seed name.
    pub fn notification_name(&self) -> &'static str {
        match self {
            SubscriptionNotification::ChangedState(_) => "SIPSubscriptionChangedState",
            SubscriptionNotification::WillStart => "SIPSubscriptionWillStart",
            SubscriptionNotification::DidStart => "SIPSubscriptionDidStart",
            SubscriptionNotification::GotNotify(_) => "SIPSubscriptionGotNotify",
            SubscriptionNotification::DidFail(_) => "SIPSubscriptionDidFail",
            SubscriptionNotification::DidEnd => "SIPSubscriptionDidEnd",
        }
    }
}

/// An `IncomingSubscription` notification (a
/// [`NotificationData::Custom`](crate::notification::NotificationData::Custom) payload).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IncomingSubscriptionNotification {
    /// `SIPIncomingSubscriptionChangedState`.
    ChangedState(ChangedState),
    /// `SIPIncomingSubscriptionGotSubscribe`.
    GotSubscribe(RequestData),
    /// `SIPIncomingSubscriptionGotRefreshingSubscribe`.
    GotRefreshingSubscribe(RequestData),
    /// `SIPIncomingSubscriptionGotUnsubscribe`.
    GotUnsubscribe(RequestData),
    /// `SIPIncomingSubscriptionAnsweredSubscribe`.
    AnsweredSubscribe(ResponseData),
    /// `SIPIncomingSubscriptionSentNotify`.
    SentNotify(RequestData),
    /// `SIPIncomingSubscriptionNotifyDidSucceed`.
    NotifyDidSucceed(ResponseData),
    /// `SIPIncomingSubscriptionNotifyDidFail`.
    NotifyDidFail(NotifyDidFail),
    /// `SIPIncomingSubscriptionDidEnd`.
    DidEnd,
}

impl IncomingSubscriptionNotification {
    /// The seed name.
    pub fn notification_name(&self) -> &'static str {
        use IncomingSubscriptionNotification as N;
        match self {
            N::ChangedState(_) => "SIPIncomingSubscriptionChangedState",
            N::GotSubscribe(_) => "SIPIncomingSubscriptionGotSubscribe",
            N::GotRefreshingSubscribe(_) => "SIPIncomingSubscriptionGotRefreshingSubscribe",
            N::GotUnsubscribe(_) => "SIPIncomingSubscriptionGotUnsubscribe",
            N::AnsweredSubscribe(_) => "SIPIncomingSubscriptionAnsweredSubscribe",
            N::SentNotify(_) => "SIPIncomingSubscriptionSentNotify",
            N::NotifyDidSucceed(_) => "SIPIncomingSubscriptionNotifyDidSucceed",
            N::NotifyDidFail(_) => "SIPIncomingSubscriptionNotifyDidFail",
            N::DidEnd => "SIPIncomingSubscriptionDidEnd",
        }
    }
}

impl NotificationPayload for SubscriptionNotification {
    fn name(&self) -> &'static str {
        self.notification_name()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl NotificationPayload for IncomingSubscriptionNotification {
    fn name(&self) -> &'static str {
        self.notification_name()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
