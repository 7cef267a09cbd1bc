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
