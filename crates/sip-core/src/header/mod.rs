//! SIP headers: the ordered header list of a message and typed views of the values.
//!
//! A parsed message keeps each header line as a [`Header`]: its [`HeaderName`] and its value, a
//! zero-copy slice of the received buffer. Typed headers ([`Via`], [`CSeq`], [`Contact`]…) are
//! parsed on demand through [`TypedHeader`] and [`Headers::typed`], so a proxy that only reads
//! Via and CSeq never pays for the rest.
//!
//! ```
//! use sip_core::header::{Headers, HeaderName, CSeq, Via};
//! use sip_core::message::Method;
//!
//! let mut headers = Headers::new();
//! headers.push_typed(&CSeq::new(1, Method::Register));
//! headers.push(HeaderName::new("X-Trace"), "abc");
//! let cseq: CSeq = headers.typed().unwrap();
//! assert_eq!(cseq.method, Method::Register);
//! assert!(headers.typed_first::<Via>().unwrap().is_none());
//! ```

mod core;
mod extra;
mod name;
mod name_addr;

use std::fmt;

use bytestring::ByteString;

pub use self::core::{
    BRANCH_MAGIC_COOKIE, CSeq, CallId, Contact, ContentLength, ContentType, Expires, FromHeader,
    MaxForwards, MediaType, MinExpires, Path, RecordRoute, Route, ToHeader, Via,
};
pub use extra::*;
pub use name::HeaderName;
pub use name_addr::NameAddr;

use crate::error::{Element, ParseError, ParseErrorKind};
use crate::grammar::split_top_level;

/// One header line: a name and its raw value (LWS trimmed, folding replaced by a space).
/// Equality compares name and value, not where the value was found.
#[derive(Debug, Clone)]
pub struct Header {
    name: HeaderName,
    value: ByteString,
    /// Offset of the value in the parsed message, for error reports (0 when built).
    offset: u32,
}

impl PartialEq for Header {
    fn eq(&self, other: &Header) -> bool {
        self.name == other.name && self.value == other.value
    }
}

impl Eq for Header {}

impl Header {
    /// A header line from a name and a value written as it should appear on the wire.
    pub fn new(name: HeaderName, value: impl Into<ByteString>) -> Self {
        Header {
            name,
            value: value.into(),
            offset: 0,
        }
    }

    pub(crate) fn parsed(name: HeaderName, value: ByteString, offset: usize) -> Self {
        Header {
            name,
            value,
            offset: offset as u32,
        }
    }

    /// The name.
    pub fn name(&self) -> &HeaderName {
        &self.name
    }

    /// The value as received or set.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The value as a shared byte string.
    pub fn value_bytes(&self) -> &ByteString {
        &self.value
    }

    /// Byte offset of the value within the message it was parsed from.
    pub fn offset(&self) -> usize {
        self.offset as usize
    }
}

/// A typed header value. `parse_value` reads one value (one element of the comma list when
/// [`TypedHeader::LIST`] is true); `write_value` prints it canonically.
pub trait TypedHeader: Sized {
    /// The header this type is the value of.
    const NAME: HeaderName;
    /// `'static` name for error reports.
    const NAME_STR: &'static str;
    /// True when one header line may hold several comma-separated values of this type.
    const LIST: bool = false;
    /// Parses one value. `value` is a shared slice; implementations keep zero-copy slices of it.
    /// Error offsets are relative to the start of `value`.
    fn parse_value(value: &ByteString) -> Result<Self, ParseError>;
    /// Writes the value canonically.
    fn write_value(&self, out: &mut String);

    /// The value as a string.
    fn to_value_string(&self) -> String {
        let mut s = String::new();
        self.write_value(&mut s);
        s
    }
}

/// The ordered header lines of a message. Order is preserved on print; lookups are by
/// [`HeaderName`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    list: Vec<Header>,
}

impl Headers {
    /// No headers.
    pub fn new() -> Self {
        Headers { list: Vec::new() }
    }

    /// With room for `n` lines.
    pub fn with_capacity(n: usize) -> Self {
        Headers {
            list: Vec::with_capacity(n),
        }
    }

    /// Number of header lines.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// All lines in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Header> {
        self.list.iter()
    }

    /// Lines named `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a HeaderName) -> impl Iterator<Item = &'a Header> + 'a {
        self.list.iter().filter(move |h| &h.name == name)
    }

    /// The first line named `name`.
    pub fn get(&self, name: &HeaderName) -> Option<&Header> {
        self.list.iter().find(|h| &h.name == name)
    }

    /// The raw value of the first line named `name`.
    pub fn get_str(&self, name: &HeaderName) -> Option<&str> {
        self.get(name).map(Header::value)
    }

    /// True when a line named `name` exists.
    pub fn contains(&self, name: &HeaderName) -> bool {
        self.get(name).is_some()
    }

    /// Appends a raw line.
    pub fn push(&mut self, name: HeaderName, value: impl Into<ByteString>) {
        self.list.push(Header::new(name, value));
    }

    /// Appends a parsed line.
    pub(crate) fn push_header(&mut self, h: Header) {
        self.list.push(h);
    }

    /// Inserts a raw line at `index` (0 = top, as a proxy does for Via).
    pub fn insert(&mut self, index: usize, name: HeaderName, value: impl Into<ByteString>) {
        self.list
            .insert(index.min(self.list.len()), Header::new(name, value));
    }

    /// Removes every line named `name`; returns how many were removed.
    pub fn remove_all(&mut self, name: &HeaderName) -> usize {
        let before = self.list.len();
        self.list.retain(|h| &h.name != name);
        before - self.list.len()
    }

    /// Removes and returns the first line named `name`.
    pub fn remove_first(&mut self, name: &HeaderName) -> Option<Header> {
        let i = self.list.iter().position(|h| &h.name == name)?;
        Some(self.list.remove(i))
    }

    /// Replaces every line named `name` by one line with `value`, at the position of the first.
    pub fn set(&mut self, name: HeaderName, value: impl Into<ByteString>) {
        let value = value.into();
        match self.list.iter().position(|h| h.name == name) {
            Some(i) => {
                self.list[i] = Header::new(name.clone(), value);
                let mut seen = 0usize;
                self.list.retain(|h| {
                    if h.name == name {
                        seen += 1;
                        seen == 1
                    } else {
                        true
                    }
                });
            }
            None => self.list.push(Header::new(name, value)),
        }
    }

    /// Appends a typed value as a new line.
    pub fn push_typed<T: TypedHeader>(&mut self, value: &T) {
        self.push(T::NAME, value.to_value_string());
    }

    /// Inserts a typed value at `index`.
    pub fn insert_typed<T: TypedHeader>(&mut self, index: usize, value: &T) {
        self.insert(index, T::NAME, value.to_value_string());
    }

    /// Replaces all lines of `T`'s header by one holding `value`.
    pub fn set_typed<T: TypedHeader>(&mut self, value: &T) {
        self.set(T::NAME, value.to_value_string());
    }

    /// Every value of `T`'s header, in order, across lines and comma-separated elements.
    pub fn typed_all<T: TypedHeader>(&self) -> Result<Vec<T>, ParseError> {
        let mut out = Vec::new();
        for h in self.get_all(&T::NAME) {
            for_each_value::<T>(h, |v| {
                out.push(v);
                true
            })?;
        }
        Ok(out)
    }

    /// The first value of `T`'s header, `Ok(None)` when absent.
    pub fn typed_first<T: TypedHeader>(&self) -> Result<Option<T>, ParseError> {
        let Some(h) = self.get(&T::NAME) else {
            return Ok(None);
        };
        let mut first = None;
        for_each_value::<T>(h, |v| {
            first = Some(v);
            false
        })?;
        Ok(first)
    }

    /// The value of `T`'s header; an error names the header when it is missing.
    pub fn typed<T: TypedHeader>(&self) -> Result<T, ParseError> {
        self.typed_first()?.ok_or(ParseError::new(
            Element::HeaderValue(T::NAME_STR),
            ParseErrorKind::MissingHeader(T::NAME_STR),
            0,
        ))
    }

    /// The value of a header that must appear once: several lines with different values are an
    /// error ([`ParseErrorKind::DuplicateHeader`]).
    pub fn typed_single<T: TypedHeader>(&self) -> Result<T, ParseError> {
        let name = T::NAME;
        let mut lines = self.get_all(&name);
        let first = lines.next().ok_or(ParseError::new(
            Element::HeaderValue(T::NAME_STR),
            ParseErrorKind::MissingHeader(T::NAME_STR),
            0,
        ))?;
        for other in lines {
            if other.value.trim() != first.value.trim() {
                return Err(ParseError::new(
                    Element::HeaderValue(T::NAME_STR),
                    ParseErrorKind::DuplicateHeader(T::NAME_STR),
                    other.offset(),
                ));
            }
        }
        T::parse_value(&first.value).map_err(|e| e.shifted(first.offset()))
    }
}

pub(crate) fn for_each_value<T: TypedHeader>(
    h: &Header,
    mut f: impl FnMut(T) -> bool,
) -> Result<(), ParseError> {
    if T::LIST {
        for (off, piece) in split_top_level(&h.value, b',') {
            if piece.is_empty() {
                // `#rule` lists tolerate empty elements.
                continue;
            }
            let v = T::parse_value(&h.value.slice_ref(piece))
                .map_err(|e| e.shifted(h.offset() + off))?;
            if !f(v) {
                break;
            }
        }
        Ok(())
    } else {
        let v = T::parse_value(&h.value).map_err(|e| e.shifted(h.offset()))?;
        f(v);
        Ok(())
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = &'a Header;
    type IntoIter = std::slice::Iter<'a, Header>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

impl fmt::Display for Headers {
    /// Writes `Name: value\r\n` for each line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for h in &self.list {
            write!(f, "{}: {}\r\n", h.name, h.value)?;
        }
        Ok(())
    }
}

/// Defines a typed header that is a plain string value (Call-ID, Subject, User-Agent…).
macro_rules! text_header {
    ($(#[$doc:meta])* $ty:ident, $name:ident, $name_str:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $ty(pub bytestring::ByteString);

        impl $ty {
            /// A value from a string.
            pub fn new(value: impl Into<bytestring::ByteString>) -> Self {
                $ty(value.into())
            }

            /// The value.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl $crate::header::TypedHeader for $ty {
            const NAME: $crate::header::HeaderName = $crate::header::HeaderName::$name;
            const NAME_STR: &'static str = $name_str;
            fn parse_value(
                value: &bytestring::ByteString,
            ) -> Result<Self, $crate::error::ParseError> {
                let v = $crate::grammar::trim_lws(value);
                let check: fn(&str) -> bool = $check;
                if !check(v) {
                    return Err($crate::error::ParseError::syntax(
                        $crate::error::Element::HeaderValue($name_str),
                        0,
                    ));
                }
                Ok($ty(value.slice_ref(v)))
            }
            fn write_value(&self, out: &mut String) {
                out.push_str(&self.0);
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
pub(crate) use text_header;

/// Defines a header that is a name-addr with parameters.
macro_rules! name_addr_header {
    ($(#[$doc:meta])* $ty:ident, $name:ident, $name_str:literal, $list:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $ty {
            /// The display name and URI.
            pub addr: $crate::header::NameAddr,
            /// The header parameters.
            pub params: $crate::param::Params,
        }

        impl $ty {
            /// A value from a name-addr and no parameters.
            pub fn new(addr: $crate::header::NameAddr) -> Self {
                $ty { addr, params: $crate::param::Params::new() }
            }

            /// The URI.
            pub fn uri(&self) -> &crate::uri::Uri {
                self.addr.uri()
            }
        }

        impl $crate::header::TypedHeader for $ty {
            const NAME: $crate::header::HeaderName = $crate::header::HeaderName::$name;
            const NAME_STR: &'static str = $name_str;
            const LIST: bool = $list;

            fn parse_value(
                value: &bytestring::ByteString,
            ) -> Result<Self, $crate::error::ParseError> {
                let (addr, params) =
                    $crate::header::NameAddr::parse_with_params(
                        value,
                        value,
                        $crate::error::Element::HeaderValue($name_str),
                    )?;
                Ok($ty { addr, params })
            }

            fn write_value(&self, out: &mut String) {
                use std::fmt::Write as _;
                let _ = write!(out, "{}{}", self.addr, self.params);
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}{}", self.addr, self.params)
            }
        }
    };
}

pub(crate) use name_addr_header;

/// Defines a typed header whose value is one unsigned integer (Max-Forwards, Expires…).
macro_rules! int_header {
    ($(#[$doc:meta])* $ty:ident, $int:ty, $name:ident, $name_str:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $ty(pub $int);

        impl $crate::header::TypedHeader for $ty {
            const NAME: $crate::header::HeaderName = $crate::header::HeaderName::$name;
            const NAME_STR: &'static str = $name_str;
            fn parse_value(
                value: &bytestring::ByteString,
            ) -> Result<Self, $crate::error::ParseError> {
                $crate::header::parse_uint::<$int>(value, $name_str).map($ty)
            }
            fn write_value(&self, out: &mut String) {
                use std::fmt::Write;
                let _ = write!(out, "{}", self.0);
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}
pub(crate) use int_header;

/// Parses a whole value as an unsigned decimal integer.
pub(crate) fn parse_uint<T: std::str::FromStr>(
    value: &str,
    name: &'static str,
) -> Result<T, ParseError> {
    let v = crate::grammar::trim_lws(value);
    let lead = value.len() - value.trim_start_matches([' ', '\t']).len();
    if v.is_empty() || !v.bytes().all(|c| c.is_ascii_digit()) {
        return Err(ParseError::syntax(Element::HeaderValue(name), lead));
    }
    v.parse::<T>()
        .map_err(|_| ParseError::new(Element::HeaderValue(name), ParseErrorKind::OutOfRange, lead))
}
