//! Typed notification payloads: the sip-core (Engine) notifications of the seed, and the
//! [`NotificationPayload`] extension point for higher layers.

use std::any::Any;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use bytes::Bytes;

use crate::header::{ContentType, FromHeader, Headers, ToHeader};
use crate::uri::Uri;

/// A notification payload defined outside sip-core (for example sip-middleware's
/// `SIPSessionDidStart`), carried by [`NotificationData::Custom`].
///
/// Implementors give the exact seed name of the notification and a way to downcast to the
/// concrete data type:
///
/// ```
/// use std::any::Any;
/// use sip_core::notification::NotificationPayload;
///
/// #[derive(Debug)]
/// struct SessionDidStart {
///     streams: usize,
/// }
///
/// impl NotificationPayload for SessionDidStart {
///     fn name(&self) -> &'static str {
///         "SIPSessionDidStart"
///     }
///     fn as_any(&self) -> &dyn Any {
///         self
///     }
/// }
/// ```
pub trait NotificationPayload: fmt::Debug + Send + Sync + 'static {
    /// The notification name, exactly as in the seed documents (`"SIPSessionDidStart"`).
    fn name(&self) -> &'static str;

    /// The payload as [`Any`], so observers can downcast it to its concrete type.
    fn as_any(&self) -> &dyn Any;
}

/// The data of a notification. Each variant is one seed notification, with the seed's data
/// fields as typed Rust fields (the seed's `timestamp` field lives on the
/// [`Notification`](super::Notification) itself).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum NotificationData {
    /// `SIPEngineWillStart`: the Engine is about to start.
    EngineWillStart,
    /// `SIPEngineDidStart`: the Engine has just started.
    EngineDidStart,
    /// `SIPEngineDidFail`: a fatal failure; the Engine cannot start or is about to stop.
    EngineDidFail(EngineDidFailData),
    /// `SIPEngineWillEnd`: `stop()` was called; delayed results may never arrive.
    EngineWillEnd,
    /// `SIPEngineDidEnd`: the Engine stopped, on failure or on request.
    EngineDidEnd,
    /// `SIPEngineLog`: a log line of the SIP stack.
    EngineLog(EngineLogData),
    /// `SIPEngineSIPTrace`: a SIP message as sent or received on the wire (only when tracing is
    /// enabled).
    EngineSipTrace(SipTraceData),
    /// `SIPEngineGotException`: an unexpected error inside the Engine's driver; not always
    /// fatal (if it is, `SIPEngineDidFail` follows).
    EngineGotException(GotExceptionData),
    /// `SIPEngineGotMessage`: a MESSAGE request accepted by the Engine's internal handler.
    EngineGotMessage(Box<GotMessageData>),
    /// A notification defined by a higher layer; see [`NotificationPayload`].
    Custom(Arc<dyn NotificationPayload>),
}

impl NotificationData {
    /// The exact seed name of this notification (`"SIPEngineDidStart"`), or the payload's own
    /// name for [`Custom`](Self::Custom).
    pub fn name(&self) -> &'static str {
        match self {
            Self::EngineWillStart => "SIPEngineWillStart",
            Self::EngineDidStart => "SIPEngineDidStart",
            Self::EngineDidFail(_) => "SIPEngineDidFail",
            Self::EngineWillEnd => "SIPEngineWillEnd",
            Self::EngineDidEnd => "SIPEngineDidEnd",
            Self::EngineLog(_) => "SIPEngineLog",
            Self::EngineSipTrace(_) => "SIPEngineSIPTrace",
            Self::EngineGotException(_) => "SIPEngineGotException",
            Self::EngineGotMessage(_) => "SIPEngineGotMessage",
            Self::Custom(payload) => payload.name(),
        }
    }

    /// Wraps a higher layer's payload as [`Custom`](Self::Custom).
    pub fn custom<P: NotificationPayload>(payload: P) -> Self {
        Self::Custom(Arc::new(payload))
    }

    /// The [`Custom`](Self::Custom) payload downcast to `P`, or `None` if this is another
    /// variant or another payload type.
    pub fn downcast_ref<P: NotificationPayload>(&self) -> Option<&P> {
        match self {
            Self::Custom(payload) => payload.as_any().downcast_ref::<P>(),
            _ => None,
        }
    }
}

/// Data of `SIPEngineDidFail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineDidFailData {
    /// Why the Engine failed.
    pub reason: String,
}

/// Data of `SIPEngineLog`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineLogData {
    /// The stack module that produced the line (the seed's `sender` data field; not the
    /// notification's [`Sender`](super::Sender), which is the Engine).
    pub sender: String,
    /// The level, 1 through 5, 1 being the most critical.
    pub level: u8,
    /// The log message.
    pub message: String,
}

/// Data of `SIPEngineSIPTrace`.
///
/// The seed lists `source_port` twice; the second one is `destination_port` (seed inventory
/// §6.6). For received messages `destination_ip` may be unreliable, for sent messages
/// `source_ip` may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipTraceData {
    /// `true` if the message was received, `false` if it was sent.
    pub received: bool,
    /// The source IP address.
    pub source_ip: IpAddr,
    /// The source port.
    pub source_port: u16,
    /// The destination IP address.
    pub destination_ip: IpAddr,
    /// The destination port.
    pub destination_port: u16,
    /// The message exactly as it was on the wire.
    pub data: Bytes,
}

/// Data of `SIPEngineGotException`: the Rust equivalent of the seed's exception traceback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GotExceptionData {
    /// The kind of error (the type name of the error or `"panic"`).
    pub error_type: String,
    /// The error's message (its `Display` output, or the panic message).
    pub value: String,
    /// The error's source chain or a captured backtrace, one frame or cause a line (the seed's
    /// `traceback`); may be empty.
    pub traceback: String,
}

/// Data of `SIPEngineGotMessage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GotMessageData {
    /// The Request-URI of the MESSAGE.
    pub request_uri: Uri,
    /// The From header.
    pub from_header: FromHeader,
    /// The To header.
    pub to_header: ToHeader,
    /// The Content-Type, if the request had one.
    pub content_type: Option<ContentType>,
    /// All header lines of the request, in order.
    pub headers: Headers,
    /// The body, or `None` if the request had none.
    pub body: Option<Bytes>,
}
