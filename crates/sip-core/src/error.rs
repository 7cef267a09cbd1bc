//! Errors of the message layer.

use std::fmt;

/// The grammar element that a parse error is about (RFC 3261 §25 names where they exist).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Element {
    /// The whole message.
    Message,
    /// A Request-Line.
    RequestLine,
    /// A Status-Line.
    StatusLine,
    /// A Method token.
    Method,
    /// The SIP-Version.
    SipVersion,
    /// A Status-Code.
    StatusCode,
    /// A Reason-Phrase.
    ReasonPhrase,
    /// A header line (name, colon, value).
    HeaderLine,
    /// A header field name.
    HeaderName,
    /// The value of the named header.
    HeaderValue(&'static str),
    /// A URI (SIP, SIPS, tel or absolute).
    Uri,
    /// The host part of a URI.
    Host,
    /// The port of a URI or Via.
    Port,
    /// A URI parameter or header parameter.
    Parameter,
    /// A URI header (`?name=value`).
    UriHeader,
    /// A name-addr or addr-spec.
    NameAddr,
    /// A quoted-string.
    QuotedString,
    /// A percent escape.
    Escape,
    /// The message body.
    Body,
    /// A multipart body.
    Multipart,
    /// A line of an SDP body.
    SdpLine,
    /// A digest challenge or credentials.
    Digest,
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Element::Message => "message",
            Element::RequestLine => "Request-Line",
            Element::StatusLine => "Status-Line",
            Element::Method => "Method",
            Element::SipVersion => "SIP-Version",
            Element::StatusCode => "Status-Code",
            Element::ReasonPhrase => "Reason-Phrase",
            Element::HeaderLine => "header line",
            Element::HeaderName => "header name",
            Element::HeaderValue(name) => return write!(f, "{name} header"),
            Element::Uri => "URI",
            Element::Host => "host",
            Element::Port => "port",
            Element::Parameter => "parameter",
            Element::UriHeader => "URI header",
            Element::NameAddr => "name-addr",
            Element::QuotedString => "quoted-string",
            Element::Escape => "escape",
            Element::Body => "body",
            Element::Multipart => "multipart body",
            Element::SdpLine => "SDP line",
            Element::Digest => "digest parameters",
        };
        f.write_str(s)
    }
}

/// What was wrong.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The input does not follow the grammar.
    Syntax,
    /// The input ended before the element was complete.
    Incomplete,
    /// A number is out of its range.
    OutOfRange,
    /// Bytes that are not valid UTF-8 where text was expected.
    InvalidUtf8,
    /// The message is larger than the configured limit.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The message has more header lines than the configured limit.
    TooManyHeaders {
        /// The limit.
        limit: usize,
    },
    /// A header that the message must carry is absent.
    MissingHeader(&'static str),
    /// A header that may appear once appears several times with different values.
    DuplicateHeader(&'static str),
    /// Content-Length does not agree with the received body.
    ContentLengthMismatch {
        /// The Content-Length value.
        declared: usize,
        /// The bytes actually available.
        available: usize,
    },
    /// Two headers disagree (CSeq method vs request method, for example).
    Inconsistent(&'static str),
    /// An unsupported protocol version.
    UnsupportedVersion,
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseErrorKind::Syntax => f.write_str("syntax error"),
            ParseErrorKind::Incomplete => f.write_str("incomplete input"),
            ParseErrorKind::OutOfRange => f.write_str("value out of range"),
            ParseErrorKind::InvalidUtf8 => f.write_str("invalid UTF-8"),
            ParseErrorKind::TooLarge { limit } => {
                write!(f, "larger than the limit of {limit} bytes")
            }
            ParseErrorKind::TooManyHeaders { limit } => {
                write!(f, "more than {limit} header lines")
            }
            ParseErrorKind::MissingHeader(h) => write!(f, "missing {h} header"),
            ParseErrorKind::DuplicateHeader(h) => write!(f, "conflicting {h} headers"),
            ParseErrorKind::ContentLengthMismatch {
                declared,
                available,
            } => write!(
                f,
                "Content-Length {declared} but {available} body bytes available"
            ),
            ParseErrorKind::Inconsistent(what) => write!(f, "inconsistent {what}"),
            ParseErrorKind::UnsupportedVersion => f.write_str("unsupported version"),
        }
    }
}

/// A parse error: which element, what was wrong, and the byte offset where it was found.
///
/// Offsets count from the start of the input handed to the parser (for a message, the first byte
/// of the datagram or stream frame).
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[error("invalid {element} at byte {offset}: {kind}")]
pub struct ParseError {
    /// The element being parsed.
    pub element: Element,
    /// What was wrong with it.
    pub kind: ParseErrorKind,
    /// Byte offset of the fault.
    pub offset: usize,
}

impl ParseError {
    /// A new error.
    pub fn new(element: Element, kind: ParseErrorKind, offset: usize) -> Self {
        ParseError {
            element,
            kind,
            offset,
        }
    }

    /// A syntax error in `element` at `offset`.
    pub fn syntax(element: Element, offset: usize) -> Self {
        ParseError::new(element, ParseErrorKind::Syntax, offset)
    }

    /// The same error with its offset moved by `base` (for errors found in a sub-slice).
    #[must_use]
    pub fn shifted(mut self, base: usize) -> Self {
        self.offset += base;
        self
    }

    /// The status code a user agent answers a request with this fault: 505 for a SIP version
    /// other than 2.0, 513 for a message over the size limit, 400 for everything else
    /// (RFC 3261 §8.2, §21.5.14, §21.5.20).
    pub fn status_code(&self) -> u16 {
        match self.kind {
            ParseErrorKind::UnsupportedVersion => 505,
            ParseErrorKind::TooLarge { .. } => 513,
            _ => 400,
        }
    }

    /// A reason phrase for the response that [`ParseError::status_code`] names, saying what was
    /// wrong (`Bad Request - invalid Via header at byte 52: syntax error`).
    pub fn reason_phrase(&self) -> String {
        let prefix = match self.status_code() {
            505 => "Version Not Supported",
            513 => "Message Too Large",
            _ => "Bad Request",
        };
        format!(
            "{prefix} - invalid {} at byte {}: {}",
            self.element, self.offset, self.kind
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_and_reasons() {
        let e = ParseError::syntax(Element::HeaderValue("Via"), 52);
        assert_eq!(e.status_code(), 400);
        assert_eq!(
            e.reason_phrase(),
            "Bad Request - invalid Via header at byte 52: syntax error"
        );
        let v = ParseError::new(Element::SipVersion, ParseErrorKind::UnsupportedVersion, 0);
        assert_eq!(v.status_code(), 505);
        assert!(v.reason_phrase().starts_with("Version Not Supported"));
        let big = ParseError::new(Element::Message, ParseErrorKind::TooLarge { limit: 10 }, 10);
        assert_eq!(big.status_code(), 513);
        assert_eq!(e.to_string(), "invalid Via header at byte 52: syntax error");
    }
}
