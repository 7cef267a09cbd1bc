//! Immutable, cheaply clonable forms: [`FrozenSdpSession`] and [`FrozenSdpMediaStream`].

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use super::model::{SdpMediaStream, SdpSession};

macro_rules! frozen {
    ($(#[$doc:meta])* $frozen:ident, $inner:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $frozen(Arc<$inner>);

        impl $frozen {
            /// A mutable copy (the seed's `new(cls, other)` towards the mutable class).
            pub fn thaw(&self) -> $inner {
                (*self.0).clone()
            }

            /// The same as [`thaw`](Self::thaw).
            pub fn to_mutable(&self) -> $inner {
                self.thaw()
            }

            /// The inner value, without copying when this is the only handle.
            pub fn into_inner(self) -> $inner {
                Arc::try_unwrap(self.0).unwrap_or_else(|shared| (*shared).clone())
            }

            /// Whether two handles share the same value (no comparison of contents).
            pub fn ptr_eq(&self, other: &Self) -> bool {
                Arc::ptr_eq(&self.0, &other.0)
            }
        }

        impl Deref for $frozen {
            type Target = $inner;

            fn deref(&self) -> &$inner {
                &self.0
            }
        }

        impl AsRef<$inner> for $frozen {
            fn as_ref(&self) -> &$inner {
                &self.0
            }
        }

        impl From<$inner> for $frozen {
            fn from(value: $inner) -> Self {
                $frozen(Arc::new(value))
            }
        }

        impl From<&$frozen> for $inner {
            fn from(frozen: &$frozen) -> Self {
                frozen.thaw()
            }
        }

        impl PartialEq<$inner> for $frozen {
            fn eq(&self, other: &$inner) -> bool {
                *self.0 == *other
            }
        }

        impl PartialEq<$frozen> for $inner {
            fn eq(&self, other: &$frozen) -> bool {
                *self == *other.0
            }
        }

        impl fmt::Debug for $frozen {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($frozen)).field(&*self.0).finish()
            }
        }

        impl fmt::Display for $frozen {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&*self.0, f)
            }
        }
    };
}

frozen!(
    /// An immutable [`SdpSession`] behind an `Arc`: cloning is cheap, and it reads like the
    /// session through `Deref`. Get a mutable copy with [`thaw`](Self::thaw).
    ///
    /// ```
    /// use sip_core::sdp::{FrozenSdpSession, SdpSession};
    ///
    /// let frozen: FrozenSdpSession = SdpSession::with_ids("192.0.2.1", 1, 1).into();
    /// let copy = frozen.clone();
    /// assert!(copy.ptr_eq(&frozen));
    /// let mut edited = frozen.thaw();
    /// edited.increment_version();
    /// assert_eq!(frozen.version, 1);
    /// assert_ne!(edited, frozen);
    /// ```
    FrozenSdpSession,
    SdpSession
);

frozen!(
    /// An immutable [`SdpMediaStream`] behind an `Arc` (see [`FrozenSdpSession`]).
    FrozenSdpMediaStream,
    SdpMediaStream
);

impl FrozenSdpSession {
    /// Parses an SDP body straight into the frozen form.
    pub fn parse(text: &str) -> Result<FrozenSdpSession, super::SdpError> {
        SdpSession::parse(text).map(FrozenSdpSession::from)
    }

    /// The media section at `index`, frozen on its own.
    pub fn frozen_media(&self, index: usize) -> Option<FrozenSdpMediaStream> {
        self.media
            .get(index)
            .cloned()
            .map(FrozenSdpMediaStream::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdp::SdpMediaStream;

    #[test]
    fn freeze_thaw_and_compare() {
        let mut s = SdpSession::with_ids("h", 1, 1);
        s.media.push(SdpMediaStream::new("audio", 1, "RTP/AVP"));
        let frozen = s.clone().freeze();
        assert_eq!(frozen, s);
        assert_eq!(s, frozen);
        assert_eq!(frozen.thaw(), s);
        assert_eq!(frozen.to_mutable(), s);
        assert_eq!(SdpSession::from(&frozen), s);
        assert_eq!(frozen.as_ref(), &s);
        assert_eq!(frozen.to_string(), s.to_string());
        assert!(format!("{frozen:?}").starts_with("FrozenSdpSession(SdpSession {"));
        let other = FrozenSdpSession::from(s.clone());
        assert_eq!(other, frozen);
        assert!(!other.ptr_eq(&frozen));
        let media = frozen.frozen_media(0).unwrap();
        assert_eq!(media, s.media[0]);
        assert!(frozen.frozen_media(1).is_none());
        assert_eq!(media.clone().into_inner(), s.media[0]);
        let alone = s.media[0].clone().freeze();
        assert_eq!(alone.into_inner(), s.media[0]);
        let parsed = FrozenSdpSession::parse(&s.to_string()).unwrap();
        assert_eq!(parsed, frozen);
        assert!(FrozenSdpSession::parse("x").is_err());
    }
}
