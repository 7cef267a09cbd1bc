//! The trait every document model implements.

use crate::error::Result;
use crate::xml::{Element, Limits};

/// A typed XML payload: parsed from and serialized to a body.
pub trait Document: Sized {
    /// Name of the document type used in errors (`"pidf"`).
    const DOCUMENT: &'static str;
    /// The MIME type of the body (`"application/pidf+xml"`).
    const CONTENT_TYPE: &'static str;

    /// Reads the model from a parsed tree, checking the root's name and namespace.
    fn from_element(root: Element) -> Result<Self>;

    /// Builds the tree for this model.
    fn to_element(&self) -> Element;

    /// Parses a body with the default [`Limits`].
    fn parse(body: &[u8]) -> Result<Self> {
        Self::parse_with_limits(body, &Limits::default())
    }

    /// Parses a body under `limits`.
    fn parse_with_limits(body: &[u8], limits: &Limits) -> Result<Self> {
        Self::from_element(Element::parse_with_limits(Self::DOCUMENT, body, limits)?)
    }

    /// Serializes to a UTF-8 XML document.
    fn to_xml(&self) -> String {
        self.to_element().to_xml()
    }
}

/// Why a notification could not be merged into the state held (RFC 4575 §4.6, RFC 4235 §4.1,
/// RFC 3857 §4.4).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApplyError {
    /// The notification is not newer than the state held; it is ignored.
    #[error("version {received} is not newer than {current}")]
    Stale {
        /// Version held.
        current: u32,
        /// Version received.
        received: u32,
    },
    /// A partial notification skips versions: one was lost and the subscriber should refresh
    /// the subscription to get a full document.
    #[error("partial version {received} does not follow {current}")]
    Gap {
        /// Version held.
        current: u32,
        /// Version received.
        received: u32,
    },
    /// The notification is about another conference.
    #[error("document for {received:?}, not {current:?}")]
    EntityMismatch {
        /// Entity held.
        current: String,
        /// Entity received.
        received: String,
    },
    /// A partial notification cannot start the state; a full one is needed first.
    #[error("partial document without a full one before it")]
    NoFullState,
}

/// Checks the version rules shared by the event packages: a newer version is needed, and a
/// partial update must carry exactly the next one.
pub(crate) fn check_version(current: u32, received: u32, partial: bool) -> Result<(), ApplyError> {
    if received <= current {
        return Err(ApplyError::Stale { current, received });
    }
    if partial && received != current.wrapping_add(1) {
        return Err(ApplyError::Gap { current, received });
    }
    Ok(())
}
