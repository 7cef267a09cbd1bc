//! The error type shared by every payload parser.

use std::fmt;

/// Which limit of [`Limits`](crate::xml::Limits) a document went over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Limit {
    /// The document is larger than `max_document_size` bytes.
    DocumentSize,
    /// Elements are nested deeper than `max_depth`.
    Depth,
    /// The document has more than `max_elements` elements.
    Elements,
    /// An element has more than `max_attributes` attributes.
    Attributes,
    /// An attribute value is longer than `max_attribute_size` bytes.
    AttributeSize,
    /// A text node is longer than `max_text_size` bytes.
    TextSize,
    /// An element declares more than `max_namespace_declarations` namespaces.
    NamespaceDeclarations,
    /// A text body (message-summary) has more lines than allowed.
    Lines,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::DocumentSize => "document too large",
            Limit::Depth => "elements nested too deeply",
            Limit::Elements => "too many elements",
            Limit::Attributes => "too many attributes on one element",
            Limit::AttributeSize => "attribute value too long",
            Limit::TextSize => "text too long",
            Limit::NamespaceDeclarations => "too many namespace declarations on one element",
            Limit::Lines => "too many lines",
        })
    }
}

/// Why a payload could not be parsed.
///
/// Every variant names the document type (`"pidf"`, `"dialog-info"`, …). Errors found while
/// reading the XML carry the byte offset in the body; errors found while reading the typed
/// model carry the element path (`/presence/tuple[1]/status`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// The body is not well-formed XML.
    #[error("{document}: malformed XML at byte {position}: {reason}")]
    Syntax {
        /// Document type.
        document: &'static str,
        /// Byte offset in the body.
        position: u64,
        /// What the XML reader reported.
        reason: String,
    },
    /// The body is not valid UTF-8.
    #[error("{document}: body is not UTF-8 (byte {position})")]
    NotUtf8 {
        /// Document type.
        document: &'static str,
        /// Byte offset of the first invalid byte.
        position: u64,
    },
    /// The body went over one of the parser's limits.
    #[error("{document}: {limit} at byte {position}")]
    Limit {
        /// Document type.
        document: &'static str,
        /// Byte offset where the limit was hit.
        position: u64,
        /// The limit.
        limit: Limit,
    },
    /// The body has a DOCTYPE (entity declarations are never honoured) or an entity reference
    /// other than the five predefined ones and character references.
    #[error("{document}: {what} not allowed at byte {position}")]
    Forbidden {
        /// Document type.
        document: &'static str,
        /// Byte offset.
        position: u64,
        /// `"DOCTYPE"` or `"entity reference &name;"`.
        what: String,
    },
    /// A namespace prefix is used without a declaration.
    #[error("{document}: undeclared namespace prefix {prefix:?} at byte {position}")]
    UnboundPrefix {
        /// Document type.
        document: &'static str,
        /// Byte offset.
        position: u64,
        /// The prefix.
        prefix: String,
    },
    /// The root element is not the one this document type needs (name or namespace).
    #[error(
        "{document}: expected root element {{{namespace}}}{expected}, found {{{found_namespace}}}{found}"
    )]
    WrongRoot {
        /// Document type.
        document: &'static str,
        /// Expected local name.
        expected: &'static str,
        /// Expected namespace.
        namespace: &'static str,
        /// Local name found.
        found: String,
        /// Namespace found.
        found_namespace: String,
    },
    /// A required element is missing.
    #[error("{document}: {path}: missing element <{element}>")]
    MissingElement {
        /// Document type.
        document: &'static str,
        /// Path of the parent element.
        path: String,
        /// The missing element's local name.
        element: &'static str,
    },
    /// An element occurs more often than its schema allows.
    #[error("{document}: {path}: element <{element}> occurs more than once")]
    DuplicateElement {
        /// Document type.
        document: &'static str,
        /// Path of the parent element.
        path: String,
        /// The repeated element's local name.
        element: &'static str,
    },
    /// A required attribute is missing.
    #[error("{document}: {path}: missing attribute {attribute:?}")]
    MissingAttribute {
        /// Document type.
        document: &'static str,
        /// Path of the element.
        path: String,
        /// The attribute's name.
        attribute: &'static str,
    },
    /// An element's text or an attribute's value is not valid for its type.
    #[error("{document}: {path}: invalid value {value:?} (expected {expected})")]
    InvalidValue {
        /// Document type.
        document: &'static str,
        /// Path of the element (with `/@attribute` for attributes).
        path: String,
        /// The value found (cut to 64 characters).
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A line of a text body (message-summary) is malformed.
    #[error("{document}: line {line}: {reason}")]
    Line {
        /// Document type.
        document: &'static str,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A multipart/related RLS notification is inconsistent (no RLMI root, unknown part).
    #[error("{document}: {reason}")]
    Multipart {
        /// Document type.
        document: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
}

/// Result alias for this crate.
pub type Result<T, E = PayloadError> = std::result::Result<T, E>;
