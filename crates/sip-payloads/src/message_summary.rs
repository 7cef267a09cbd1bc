//! Message waiting indication bodies (RFC 3842, `application/simple-message-summary`),
//! MW-PAY-04: what `SIPAccountGotMessageSummary` carries.
//!
//! ```
//! use sip_payloads::message_summary::MessageSummary;
//!
//! let body = b"Messages-Waiting: yes\r\nMessage-Account: sip:alice@vmail.example.com\r\n\
//!              Voice-Message: 2/8 (0/2)\r\n";
//! let summary = MessageSummary::parse(body).unwrap();
//! assert!(summary.messages_waiting);
//! assert_eq!(summary.summaries[0].new_messages, 2);
//! assert_eq!(MessageSummary::parse(summary.to_string().as_bytes()).unwrap(), summary);
//! ```

use crate::error::{Limit, PayloadError, Result};
use std::fmt;

const DOCUMENT: &str = "message-summary";
/// Largest body accepted (bytes).
pub const MAX_BODY_SIZE: usize = 64 * 1024;
/// Most lines accepted.
pub const MAX_LINES: usize = 512;

/// The MIME type of the body.
pub const CONTENT_TYPE: &str = "application/simple-message-summary";

/// A message-summary body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct MessageSummary {
    /// `Messages-Waiting: yes|no`.
    pub messages_waiting: bool,
    /// `Message-Account` URI.
    pub message_account: Option<String>,
    /// One line per message class.
    pub summaries: Vec<Summary>,
    /// Headers after the blank line (name, value), in order.
    pub headers: Vec<(String, String)>,
}

/// A `<class>: new/old (urgent new/urgent old)` line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Summary {
    /// Message context class as written (`Voice-Message`, `Fax-Message`, `Pager-Message`,
    /// `Multimedia-Message`, `Text-Message`, `None`).
    pub class: String,
    /// New messages.
    pub new_messages: u32,
    /// Old messages.
    pub old_messages: u32,
    /// New urgent messages, when given.
    pub new_urgent: Option<u32>,
    /// Old urgent messages, when given.
    pub old_urgent: Option<u32>,
}

impl Summary {
    /// A summary line without urgent counts.
    pub fn new(class: impl Into<String>, new_messages: u32, old_messages: u32) -> Self {
        Summary {
            class: class.into(),
            new_messages,
            old_messages,
            ..Default::default()
        }
    }
}

const CLASSES: &[&str] = &[
    "voice-message",
    "fax-message",
    "pager-message",
    "multimedia-message",
    "text-message",
    "none",
];

fn line_err(line: usize, reason: &'static str) -> PayloadError {
    PayloadError::Line {
        document: DOCUMENT,
        line,
        reason,
    }
}

fn parse_pair(s: &str, line: usize) -> Result<(u32, u32)> {
    let (a, b) = s
        .split_once('/')
        .ok_or_else(|| line_err(line, "expected new/old counts"))?;
    let a = a
        .trim()
        .parse()
        .map_err(|_| line_err(line, "count is not a number"))?;
    let b = b
        .trim()
        .parse()
        .map_err(|_| line_err(line, "count is not a number"))?;
    Ok((a, b))
}

impl MessageSummary {
    /// Parses a body.
    pub fn parse(body: &[u8]) -> Result<MessageSummary> {
        if body.len() > MAX_BODY_SIZE {
            return Err(PayloadError::Limit {
                document: DOCUMENT,
                position: 0,
                limit: Limit::DocumentSize,
            });
        }
        let text = std::str::from_utf8(body).map_err(|e| PayloadError::NotUtf8 {
            document: DOCUMENT,
            position: e.valid_up_to() as u64,
        })?;
        let mut out = MessageSummary::default();
        let mut status_seen = false;
        let mut in_headers = false;
        for (index, raw) in text.split('\n').enumerate() {
            let n = index + 1;
            if n > MAX_LINES {
                return Err(PayloadError::Limit {
                    document: DOCUMENT,
                    position: 0,
                    limit: Limit::Lines,
                });
            }
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            if line.trim().is_empty() {
                if status_seen {
                    in_headers = true;
                }
                continue;
            }
            if line.starts_with([' ', '\t']) {
                // Folded continuation of the previous optional header.
                match out.headers.last_mut() {
                    Some((_, value)) if in_headers => {
                        let more = line.trim();
                        if !value.is_empty() && !more.is_empty() {
                            value.push(' ');
                        }
                        value.push_str(more);
                        continue;
                    }
                    _ => return Err(line_err(n, "unexpected continuation line")),
                }
            }
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| line_err(n, "expected name: value"))?;
            let name = name.trim();
            let value = value.trim();
            if name.is_empty() || name.contains(char::is_whitespace) {
                return Err(line_err(n, "invalid header name"));
            }
            if in_headers {
                out.headers.push((name.to_owned(), value.to_owned()));
                continue;
            }
            let lower = name.to_ascii_lowercase();
            if !status_seen {
                if lower != "messages-waiting" {
                    return Err(line_err(n, "first line must be Messages-Waiting"));
                }
                out.messages_waiting = match value.to_ascii_lowercase().as_str() {
                    "yes" => true,
                    "no" => false,
                    _ => return Err(line_err(n, "Messages-Waiting must be yes or no")),
                };
                status_seen = true;
            } else if lower == "message-account" {
                if out.message_account.is_some() || !out.summaries.is_empty() {
                    return Err(line_err(n, "Message-Account repeated or after summaries"));
                }
                if !value.contains(':') {
                    return Err(line_err(n, "Message-Account is not an absolute URI"));
                }
                out.message_account = Some(value.to_owned());
            } else if CLASSES.contains(&lower.as_str()) {
                let (counts, urgent) = match value.split_once('(') {
                    Some((c, u)) => {
                        let u = u
                            .trim()
                            .strip_suffix(')')
                            .ok_or_else(|| line_err(n, "missing ')' after urgent counts"))?;
                        (c, Some(parse_pair(u, n)?))
                    }
                    None => (value, None),
                };
                let (new_messages, old_messages) = parse_pair(counts, n)?;
                out.summaries.push(Summary {
                    class: name.to_owned(),
                    new_messages,
                    old_messages,
                    new_urgent: urgent.map(|u| u.0),
                    old_urgent: urgent.map(|u| u.1),
                });
            } else {
                return Err(line_err(n, "unknown message context class"));
            }
        }
        if !status_seen {
            return Err(line_err(1, "missing Messages-Waiting"));
        }
        Ok(out)
    }
}

impl fmt::Display for MessageSummary {
    /// Writes the body with CRLF line ends.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Messages-Waiting: {}\r\n",
            if self.messages_waiting { "yes" } else { "no" }
        )?;
        if let Some(a) = &self.message_account {
            write!(f, "Message-Account: {a}\r\n")?;
        }
        for s in &self.summaries {
            write!(f, "{}: {}/{}", s.class, s.new_messages, s.old_messages)?;
            if s.new_urgent.is_some() || s.old_urgent.is_some() {
                write!(
                    f,
                    " ({}/{})",
                    s.new_urgent.unwrap_or(0),
                    s.old_urgent.unwrap_or(0)
                )?;
            }
            f.write_str("\r\n")?;
        }
        if !self.headers.is_empty() {
            f.write_str("\r\n")?;
            for (n, v) in &self.headers {
                write!(f, "{n}: {v}\r\n")?;
            }
        }
        Ok(())
    }
}
