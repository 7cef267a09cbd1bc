//! Errors of the SDP parser and of the typed attribute helpers.

use std::fmt;

/// The most characters of an offending line that an [`SdpError`] keeps.
const MAX_LINE_TEXT: usize = 80;

/// An SDP body that could not be parsed.
///
/// It names the line: [`line`](SdpError::line) is the 1-based line number (0 when the error is
/// about the input as a whole, such as its size), [`text`](SdpError::text) the start of that
/// line, and [`reason`](SdpError::reason) what was wrong with it. Lines that carry keying
/// material (`k=`, `a=crypto`, `a=ice-pwd`, `a=key-mgmt`) are cut after their name so that
/// secrets never reach logs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub struct SdpError {
    line: usize,
    text: String,
    reason: SdpErrorReason,
}

impl SdpError {
    /// A new error about line `line` (1-based) whose text is `text`.
    ///
    /// The text is shortened to about 80 characters, and redacted when it carries a key.
    pub fn new(line: usize, text: &str, reason: SdpErrorReason) -> Self {
        SdpError {
            line,
            text: excerpt(text),
            reason,
        }
    }

    /// The 1-based number of the offending line; 0 when the error is about the whole input.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The start of the offending line (at most about 80 characters, keys redacted).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// What was wrong.
    pub fn reason(&self) -> &SdpErrorReason {
        &self.reason
    }

    /// A short reason phrase for a 488 response, for example
    /// `Not Acceptable Here - bad SDP line 3: bad c= line`.
    pub fn reason_phrase(&self) -> String {
        if self.line == 0 {
            format!("Not Acceptable Here - bad SDP: {}", self.reason)
        } else {
            format!(
                "Not Acceptable Here - bad SDP line {}: {}",
                self.line, self.reason
            )
        }
    }
}

impl fmt::Display for SdpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "invalid SDP: {}", self.reason)
        } else {
            write!(
                f,
                "invalid SDP line {} {:?}: {}",
                self.line, self.text, self.reason
            )
        }
    }
}

/// Cuts a line for an error message and hides keying material.
fn excerpt(text: &str) -> String {
    const SECRET_PREFIXES: [&str; 4] = ["k=", "a=crypto:", "a=ice-pwd:", "a=key-mgmt:"];
    for prefix in SECRET_PREFIXES {
        if text.len() > prefix.len() && text.starts_with(prefix) {
            return format!("{prefix}<redacted>");
        }
    }
    if text.chars().count() <= MAX_LINE_TEXT {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(MAX_LINE_TEXT).collect();
    out.push_str("...");
    out
}

/// Why an SDP body was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SdpErrorReason {
    /// The input is larger than the configured limit.
    TooLarge {
        /// The size of the input in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The input has more lines than the configured limit.
    TooManyLines {
        /// The limit.
        limit: usize,
    },
    /// The input has more `m=` sections than the configured limit.
    TooManyMedia {
        /// The limit.
        limit: usize,
    },
    /// The line is not valid UTF-8.
    NonUtf8,
    /// The line contains a carriage return that does not end it.
    ControlCharacter,
    /// The line does not have the `<type>=<value>` form (this includes empty lines before the
    /// end of the body).
    MalformedLine,
    /// The line type is not a letter, or it is a letter the parser does not know while
    /// [`SdpLimits::keep_unknown_lines`](super::SdpLimits::keep_unknown_lines) is off.
    UnknownLineType(char),
    /// The body does not start with a `v=` line.
    MissingVersion,
    /// The `v=` line is not `v=0`.
    BadVersion,
    /// There is no `o=` line before the first `m=` line (or the end).
    MissingOrigin,
    /// A field of the `o=` line is invalid; the text names the field.
    BadOrigin(&'static str),
    /// There is no `s=` line before the first `m=` line (or the end).
    MissingSessionName,
    /// The `c=` line (or the connection part of `a=rtcp`) is invalid; the text says why.
    BadConnection(&'static str),
    /// The `b=` line is not `<type>:<number>`.
    BadBandwidth,
    /// The `t=` line is not two decimal numbers.
    BadTime,
    /// The port of an `m=` line (or its port count) is not a number in range.
    BadMediaPort,
    /// The `m=` line is invalid for another reason; the text says why.
    BadMedia(&'static str),
    /// The `a=` line has an empty name.
    BadAttribute,
    /// The line may not appear where it is (for example `t=` inside a media section, or `r=`
    /// before any `t=`); the text says why.
    LineOrder(&'static str),
    /// A line that may appear only once (`v=`, `o=`) appears again.
    DuplicateLine(char),
}

impl fmt::Display for SdpErrorReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SdpErrorReason::TooLarge { size, limit } => {
                write!(f, "{size} bytes is more than the limit of {limit}")
            }
            SdpErrorReason::TooManyLines { limit } => write!(f, "more than {limit} lines"),
            SdpErrorReason::TooManyMedia { limit } => {
                write!(f, "more than {limit} media sections")
            }
            SdpErrorReason::NonUtf8 => f.write_str("not valid UTF-8"),
            SdpErrorReason::ControlCharacter => f.write_str("carriage return inside the line"),
            SdpErrorReason::MalformedLine => f.write_str("not a <type>=<value> line"),
            SdpErrorReason::UnknownLineType(c) => write!(f, "unknown line type {c:?}"),
            SdpErrorReason::MissingVersion => f.write_str("the first line is not v="),
            SdpErrorReason::BadVersion => f.write_str("unsupported version (want v=0)"),
            SdpErrorReason::MissingOrigin => f.write_str("missing o= line"),
            SdpErrorReason::BadOrigin(why) => write!(f, "bad o= line: {why}"),
            SdpErrorReason::MissingSessionName => f.write_str("missing s= line"),
            SdpErrorReason::BadConnection(why) => write!(f, "bad connection data: {why}"),
            SdpErrorReason::BadBandwidth => f.write_str("bad b= line"),
            SdpErrorReason::BadTime => f.write_str("bad t= line"),
            SdpErrorReason::BadMediaPort => f.write_str("bad m= port"),
            SdpErrorReason::BadMedia(why) => write!(f, "bad m= line: {why}"),
            SdpErrorReason::BadAttribute => f.write_str("a= line without a name"),
            SdpErrorReason::LineOrder(why) => write!(f, "line out of place: {why}"),
            SdpErrorReason::DuplicateLine(c) => write!(f, "second {c}= line"),
        }
    }
}

/// An attribute value that the typed helpers (such as [`RtpMap`](super::RtpMap) or
/// [`Crypto`](super::Crypto)) could not parse.
///
/// The value itself is not kept, since some attributes carry keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[error("invalid a={attribute} value: {reason}")]
#[non_exhaustive]
pub struct SdpAttributeError {
    attribute: &'static str,
    reason: &'static str,
}

impl SdpAttributeError {
    /// A new error about attribute `attribute`.
    pub fn new(attribute: &'static str, reason: &'static str) -> Self {
        SdpAttributeError { attribute, reason }
    }

    /// The name of the attribute (`rtpmap`, `crypto`, ...).
    pub fn attribute(&self) -> &'static str {
        self.attribute
    }

    /// What was wrong with the value.
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_cut() {
        let long = "a=".to_owned() + &"x".repeat(200);
        let e = SdpError::new(4, &long, SdpErrorReason::BadAttribute);
        assert_eq!(e.text().chars().count(), MAX_LINE_TEXT + 3);
        assert!(e.text().ends_with("..."));
        assert_eq!(e.line(), 4);
    }

    #[test]
    fn keys_are_redacted() {
        let e = SdpError::new(
            7,
            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:secret\r",
            SdpErrorReason::ControlCharacter,
        );
        assert_eq!(e.text(), "a=crypto:<redacted>");
        assert!(!e.to_string().contains("secret"));
        let e = SdpError::new(7, "k=clear:pw", SdpErrorReason::ControlCharacter);
        assert_eq!(e.text(), "k=<redacted>");
    }

    #[test]
    fn display_names_the_line() {
        let e = SdpError::new(3, "c=IN IP4", SdpErrorReason::BadConnection("no address"));
        assert_eq!(
            e.to_string(),
            "invalid SDP line 3 \"c=IN IP4\": bad connection data: no address"
        );
        assert_eq!(
            e.reason_phrase(),
            "Not Acceptable Here - bad SDP line 3: bad connection data: no address"
        );
        let e = SdpError::new(0, "", SdpErrorReason::TooLarge { size: 10, limit: 5 });
        assert_eq!(
            e.to_string(),
            "invalid SDP: 10 bytes is more than the limit of 5"
        );
        let a = SdpAttributeError::new("rtpmap", "missing clock rate");
        assert_eq!(a.to_string(), "invalid a=rtpmap value: missing clock rate");
        assert_eq!(a.attribute(), "rtpmap");
        assert_eq!(a.reason(), "missing clock rate");
    }
}
