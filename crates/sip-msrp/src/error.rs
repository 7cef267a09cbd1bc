//! Error types.

use thiserror::Error;

/// A malformed MSRP URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum UriError {
    /// The scheme is not `msrp://` or `msrps://`.
    #[error("MSRP URI: scheme is not msrp or msrps")]
    Scheme,
    /// The host is missing or malformed.
    #[error("MSRP URI: bad host")]
    Host,
    /// The port is not a number up to 65535.
    #[error("MSRP URI: bad port")]
    Port,
    /// The user part has characters not allowed there.
    #[error("MSRP URI: bad user part")]
    User,
    /// The session ID is empty or has characters not allowed there.
    #[error("MSRP URI: bad session ID")]
    SessionId,
    /// The `;transport` part is missing or malformed.
    #[error("MSRP URI: missing or bad transport")]
    MissingTransport,
    /// A URI parameter is malformed.
    #[error("MSRP URI: bad parameter")]
    Parameter,
    /// The URI is longer than 1024 bytes.
    #[error("MSRP URI: too long")]
    TooLong,
    /// A path header has no URI.
    #[error("MSRP path: no URI")]
    EmptyPath,
}

/// Why an MSRP frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The first line is not `MSRP <transaction-id> <method>` or `MSRP <transaction-id> <code>`.
    #[error("MSRP: bad start line")]
    StartLine,
    /// The transaction ID is not 4 to 32 identifier characters.
    #[error("MSRP: bad transaction ID")]
    TransactionId,
    /// A header line is malformed (no colon, bad name, not UTF-8).
    #[error("MSRP: malformed header line {line}")]
    HeaderLine {
        /// The 1-based line number after the start line.
        line: usize,
    },
    /// A known header has a value that does not parse.
    #[error("MSRP: bad {name} header value")]
    HeaderValue {
        /// The header name.
        name: &'static str,
    },
    /// A header that must be present is missing.
    #[error("MSRP: missing {0} header")]
    MissingHeader(&'static str),
    /// A bad URI in a path header.
    #[error("MSRP: bad URI in {name}: {source}")]
    Uri {
        /// The header name.
        name: &'static str,
        /// What was wrong.
        source: UriError,
    },
    /// The start line and headers exceed the limit.
    #[error("MSRP: header block over {limit} bytes")]
    HeadTooLarge {
        /// The limit.
        limit: usize,
    },
    /// More header lines than the limit.
    #[error("MSRP: more than {limit} headers")]
    TooManyHeaders {
        /// The limit.
        limit: usize,
    },
    /// The body exceeds the limit.
    #[error("MSRP: body over {limit} bytes")]
    BodyTooLarge {
        /// The limit.
        limit: usize,
    },
    /// The end-line does not follow where it must, or has a bad continuation flag.
    #[error("MSRP: bad end-line")]
    EndLine,
    /// The frame is not complete (only from [`MsrpMessage::parse`](crate::MsrpMessage::parse)).
    #[error("MSRP: incomplete frame")]
    Incomplete,
}

impl CodecError {
    /// Whether the stream can continue after this error: never for a framing error (the
    /// decoder cannot know where the next frame starts); a bad header inside a complete frame
    /// is reported by [`Decoder`](crate::Decoder) as [`DecodedFrame::Malformed`](crate::DecodedFrame::Malformed) instead.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            CodecError::StartLine
                | CodecError::TransactionId
                | CodecError::HeadTooLarge { .. }
                | CodecError::TooManyHeaders { .. }
                | CodecError::BodyTooLarge { .. }
                | CodecError::EndLine
        )
    }
}

/// Why a session command failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SessionError {
    /// Too many outgoing messages are queued; try again after some were sent.
    #[error("MSRP session: outgoing queue full ({limit} messages)")]
    QueueFull {
        /// The limit.
        limit: usize,
    },
    /// No outgoing message has this Message-ID (it finished or never existed).
    #[error("MSRP session: no outgoing message {0}")]
    UnknownMessage(String),
    /// The content type is empty or has line breaks.
    #[error("MSRP session: bad content type")]
    ContentType,
    /// The session was closed.
    #[error("MSRP session: closed")]
    Closed,
    /// More bytes were fed to a streamed message than it takes now.
    #[error("MSRP session: streamed message takes {wanted} more bytes now")]
    StreamFull {
        /// How many it takes now.
        wanted: usize,
    },
}
