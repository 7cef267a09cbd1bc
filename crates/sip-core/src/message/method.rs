//! Request methods.

use std::fmt;

use bytestring::ByteString;

/// A request method. Methods are case-sensitive (RFC 3261 §7.1): `invite` is an extension
/// method, not INVITE.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// INVITE (RFC 3261)
    Invite,
    /// ACK (RFC 3261)
    Ack,
    /// BYE (RFC 3261)
    Bye,
    /// CANCEL (RFC 3261)
    Cancel,
    /// REGISTER (RFC 3261)
    Register,
    /// OPTIONS (RFC 3261)
    Options,
    /// INFO (RFC 6086)
    Info,
    /// MESSAGE (RFC 3428)
    Message,
    /// NOTIFY (RFC 6665)
    Notify,
    /// SUBSCRIBE (RFC 6665)
    Subscribe,
    /// PUBLISH (RFC 3903)
    Publish,
    /// REFER (RFC 3515)
    Refer,
    /// PRACK (RFC 3262)
    Prack,
    /// UPDATE (RFC 3311)
    Update,
    /// Any other method token, as written.
    Extension(ByteString),
}

impl Method {
    /// The method from its token (case-sensitive).
    pub fn from_bytestring(s: ByteString) -> Method {
        match Method::known(&s) {
            Some(m) => m,
            None => Method::Extension(s),
        }
    }

    /// The method named by `s`, a slice of `src`; only an extension method takes a slice.
    pub(crate) fn from_slice_of(src: &ByteString, s: &str) -> Method {
        match Method::known(s) {
            Some(m) => m,
            None => Method::Extension(src.slice_ref(s)),
        }
    }

    fn known(s: &str) -> Option<Method> {
        Some(match s.as_bytes() {
            b"INVITE" => Method::Invite,
            b"ACK" => Method::Ack,
            b"BYE" => Method::Bye,
            b"CANCEL" => Method::Cancel,
            b"REGISTER" => Method::Register,
            b"OPTIONS" => Method::Options,
            b"INFO" => Method::Info,
            b"MESSAGE" => Method::Message,
            b"NOTIFY" => Method::Notify,
            b"SUBSCRIBE" => Method::Subscribe,
            b"PUBLISH" => Method::Publish,
            b"REFER" => Method::Refer,
            b"PRACK" => Method::Prack,
            b"UPDATE" => Method::Update,
            _ => return None,
        })
    }

    /// The method token.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Register => "REGISTER",
            Method::Options => "OPTIONS",
            Method::Info => "INFO",
            Method::Message => "MESSAGE",
            Method::Notify => "NOTIFY",
            Method::Subscribe => "SUBSCRIBE",
            Method::Publish => "PUBLISH",
            Method::Refer => "REFER",
            Method::Prack => "PRACK",
            Method::Update => "UPDATE",
            Method::Extension(s) => s,
        }
    }
}

impl From<&str> for Method {
    fn from(s: &str) -> Self {
        Method::from_bytestring(ByteString::from(s))
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
