//! SIP messages (RFC 3261 §7): requests and responses, their parser, printer and builders.
//!
//! [`SipMessage::parse`] takes the bytes of one datagram (or one frame cut by
//! [`framing::StreamFramer`]) and returns a message whose start line, header names and values are
//! zero-copy slices of that buffer. Header values are checked lazily: [`SipMessage::validate`]
//! and [`SipMessage::core_headers`] parse what a transaction layer needs.
//!
//! ```
//! use sip_core::message::{Method, Request, SipMessage, StatusCode};
//! use sip_core::header::{CSeq, CallId, FromHeader, ToHeader, Via, MaxForwards, NameAddr};
//! use sip_core::uri::{Host, SipUri};
//!
//! let uri: SipUri = "sip:bob@127.0.0.1:5060".parse().unwrap();
//! let mut from = FromHeader::new(NameAddr::new("sip:alice@127.0.0.1".parse::<SipUri>().unwrap()));
//! from.set_tag("9fxced76sl");
//! let req = Request::builder(Method::Options, uri.clone())
//!     .typed(&Via::new("UDP", Host::Ipv4([127, 0, 0, 1].into()), Some(5070), "z9hG4bK74bf9"))
//!     .typed(&MaxForwards(70))
//!     .typed(&from)
//!     .typed(&ToHeader::new(NameAddr::new(uri)))
//!     .typed(&CallId::new("3848276298220188511@127.0.0.1"))
//!     .typed(&CSeq::new(1, Method::Options))
//!     .build();
//! let wire = req.to_bytes();
//! let parsed = SipMessage::parse(wire).unwrap();
//! parsed.validate().unwrap();
//! let resp = parsed.as_request().unwrap().response(StatusCode::OK).build();
//! assert_eq!(resp.status().code(), 200);
//! assert!(resp.to_string().starts_with("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5070"));
//! ```

pub mod framing;
mod method;
mod parser;
mod status;

use std::fmt::{self, Write as _};

use bytes::{Bytes, BytesMut};
use bytestring::ByteString;

pub use method::Method;
pub use parser::ParseLimits;
pub use status::StatusCode;

use crate::error::{Element, ParseError, ParseErrorKind};
use crate::header::{
    CSeq, CallId, ContentLength, ContentType, FromHeader, Header, HeaderName, Headers, MaxForwards,
    ToHeader, TypedHeader, Via,
};
use crate::uri::Uri;

/// The SIP version of a start line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version {
    /// Major number.
    pub major: u8,
    /// Minor number.
    pub minor: u8,
}

impl Version {
    /// SIP/2.0.
    pub const SIP_2_0: Version = Version { major: 2, minor: 0 };
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SIP/{}.{}", self.major, self.minor)
    }
}

/// A SIP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    method: Method,
    uri: Uri,
    version: Version,
    headers: Headers,
    body: Bytes,
}

/// A SIP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    version: Version,
    status: StatusCode,
    reason: ByteString,
    headers: Headers,
    body: Bytes,
}

/// A request or a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SipMessage {
    /// A request.
    Request(Request),
    /// A response.
    Response(Response),
}

/// The typed headers every transaction needs, parsed in one pass by
/// [`SipMessage::core_headers`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreHeaders {
    /// All Via values, topmost first.
    pub via: Vec<Via>,
    /// From.
    pub from: FromHeader,
    /// To.
    pub to: ToHeader,
    /// Call-ID.
    pub call_id: CallId,
    /// CSeq.
    pub cseq: CSeq,
    /// Max-Forwards, when present.
    pub max_forwards: Option<MaxForwards>,
    /// Content-Length, when present.
    pub content_length: Option<ContentLength>,
}

impl Request {
    /// Starts building a request for `method` to `uri`.
    pub fn builder(method: Method, uri: impl Into<Uri>) -> RequestBuilder {
        RequestBuilder {
            req: Request {
                method,
                uri: uri.into(),
                version: Version::SIP_2_0,
                headers: Headers::with_capacity(10),
                body: Bytes::new(),
            },
        }
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The Request-URI.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// Replaces the Request-URI.
    pub fn set_uri(&mut self, uri: Uri) {
        self.uri = uri;
    }

    /// The version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The headers.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// Mutable headers.
    pub fn headers_mut(&mut self) -> &mut Headers {
        &mut self.headers
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Replaces the body and updates Content-Length.
    pub fn set_body(&mut self, body: Bytes) {
        set_body(&mut self.headers, &mut self.body, body);
    }

    /// Starts a response to this request (RFC 3261 §8.2.6): Via, From, To, Call-ID and CSeq
    /// are copied; the reason phrase is the code's default.
    pub fn response(&self, status: StatusCode) -> ResponseBuilder {
        let mut headers = Headers::with_capacity(8);
        for h in self.headers.iter() {
            if matches!(
                h.name(),
                HeaderName::Via
                    | HeaderName::From
                    | HeaderName::To
                    | HeaderName::CallId
                    | HeaderName::CSeq
            ) || (status.code() < 300 && h.name() == &HeaderName::RecordRoute)
            {
                headers.push(h.name().clone(), h.value_bytes().clone());
            }
        }
        ResponseBuilder {
            resp: Response {
                version: Version::SIP_2_0,
                status,
                reason: ByteString::from_static(status.default_reason()),
                headers,
                body: Bytes::new(),
            },
        }
    }

    /// The wire form.
    pub fn to_bytes(&self) -> Bytes {
        let mut head = String::with_capacity(64 + self.headers.len() * 48);
        let _ = write!(head, "{} {} {}\r\n", self.method, self.uri, self.version);
        finish(head, &self.headers, &self.body)
    }
}

impl Response {
    /// Starts building a response with `status` and its default reason phrase.
    pub fn builder(status: StatusCode) -> ResponseBuilder {
        ResponseBuilder {
            resp: Response {
                version: Version::SIP_2_0,
                status,
                reason: ByteString::from_static(status.default_reason()),
                headers: Headers::with_capacity(8),
                body: Bytes::new(),
            },
        }
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The reason phrase.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The headers.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// Mutable headers.
    pub fn headers_mut(&mut self) -> &mut Headers {
        &mut self.headers
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Replaces the body and updates Content-Length.
    pub fn set_body(&mut self, body: Bytes) {
        set_body(&mut self.headers, &mut self.body, body);
    }

    /// The wire form.
    pub fn to_bytes(&self) -> Bytes {
        let mut head = String::with_capacity(64 + self.headers.len() * 48);
        let _ = write!(
            head,
            "{} {} {}\r\n",
            self.version,
            self.status.code(),
            self.reason
        );
        finish(head, &self.headers, &self.body)
    }
}

fn set_body(headers: &mut Headers, slot: &mut Bytes, body: Bytes) {
    headers.set_typed(&ContentLength(body.len() as u32));
    *slot = body;
}

fn finish(mut head: String, headers: &Headers, body: &Bytes) -> Bytes {
    for h in headers.iter() {
        head.push_str(h.name().as_str());
        head.push_str(": ");
        head.push_str(h.value());
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let mut out = BytesMut::with_capacity(head.len() + body.len());
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(body);
    out.freeze()
}

impl fmt::Display for Request {
    /// The wire form; a body that is not UTF-8 is shown lossily.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

impl fmt::Display for Response {
    /// The wire form; a body that is not UTF-8 is shown lossily.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

impl fmt::Display for SipMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SipMessage::Request(r) => r.fmt(f),
            SipMessage::Response(r) => r.fmt(f),
        }
    }
}

/// Builds a [`Request`]; `build` adds Content-Length.
#[derive(Debug, Clone)]
#[must_use]
pub struct RequestBuilder {
    req: Request,
}

impl RequestBuilder {
    /// Appends a typed header.
    pub fn typed<T: TypedHeader>(mut self, value: &T) -> Self {
        self.req.headers.push_typed(value);
        self
    }

    /// Appends a raw header line.
    pub fn header(mut self, name: HeaderName, value: impl Into<ByteString>) -> Self {
        self.req.headers.push(name, value);
        self
    }

    /// Sets the body and its Content-Type.
    pub fn body(mut self, content_type: &str, body: impl Into<Bytes>) -> Self {
        self.req.headers.set(HeaderName::ContentType, content_type);
        self.req.body = body.into();
        self
    }

    /// The request, with a Content-Length matching the body.
    pub fn build(mut self) -> Request {
        let len = self.req.body.len() as u32;
        self.req.headers.set_typed(&ContentLength(len));
        self.req
    }
}

/// Builds a [`Response`]; `build` adds Content-Length.
#[derive(Debug, Clone)]
#[must_use]
pub struct ResponseBuilder {
    resp: Response,
}

impl ResponseBuilder {
    /// Sets the reason phrase.
    pub fn reason(mut self, reason: impl Into<ByteString>) -> Self {
        self.resp.reason = reason.into();
        self
    }

    /// Appends a typed header.
    pub fn typed<T: TypedHeader>(mut self, value: &T) -> Self {
        self.resp.headers.push_typed(value);
        self
    }

    /// Appends a raw header line.
    pub fn header(mut self, name: HeaderName, value: impl Into<ByteString>) -> Self {
        self.resp.headers.push(name, value);
        self
    }

    /// Adds a To tag if the To header has none (a UAS does this for non-100 responses).
    pub fn to_tag(mut self, tag: &str) -> Self {
        if let Ok(Some(mut to)) = self.resp.headers.typed_first::<ToHeader>()
            && to.tag().is_none()
        {
            to.set_tag(tag);
            self.resp.headers.set_typed(&to);
        }
        self
    }

    /// Sets the body and its Content-Type.
    pub fn body(mut self, content_type: &str, body: impl Into<Bytes>) -> Self {
        self.resp.headers.set(HeaderName::ContentType, content_type);
        self.resp.body = body.into();
        self
    }

    /// The response, with a Content-Length matching the body.
    pub fn build(mut self) -> Response {
        let len = self.resp.body.len() as u32;
        self.resp.headers.set_typed(&ContentLength(len));
        self.resp
    }
}

impl SipMessage {
    /// Parses one datagram (or one complete frame) with the default [`ParseLimits`].
    pub fn parse(buf: impl Into<Bytes>) -> Result<SipMessage, ParseError> {
        parser::parse(
            buf.into(),
            &ParseLimits::default(),
            parser::BodyMode::Datagram,
        )
    }

    /// Parses one datagram with explicit limits.
    pub fn parse_with(
        buf: impl Into<Bytes>,
        limits: &ParseLimits,
    ) -> Result<SipMessage, ParseError> {
        parser::parse(buf.into(), limits, parser::BodyMode::Datagram)
    }

    /// The request, if this is one.
    pub fn as_request(&self) -> Option<&Request> {
        match self {
            SipMessage::Request(r) => Some(r),
            SipMessage::Response(_) => None,
        }
    }

    /// The response, if this is one.
    pub fn as_response(&self) -> Option<&Response> {
        match self {
            SipMessage::Response(r) => Some(r),
            SipMessage::Request(_) => None,
        }
    }

    /// True for a request.
    pub fn is_request(&self) -> bool {
        matches!(self, SipMessage::Request(_))
    }

    /// The headers.
    pub fn headers(&self) -> &Headers {
        match self {
            SipMessage::Request(r) => &r.headers,
            SipMessage::Response(r) => &r.headers,
        }
    }

    /// Mutable headers.
    pub fn headers_mut(&mut self) -> &mut Headers {
        match self {
            SipMessage::Request(r) => &mut r.headers,
            SipMessage::Response(r) => &mut r.headers,
        }
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        match self {
            SipMessage::Request(r) => &r.body,
            SipMessage::Response(r) => &r.body,
        }
    }

    /// The version of the start line.
    pub fn version(&self) -> Version {
        match self {
            SipMessage::Request(r) => r.version,
            SipMessage::Response(r) => r.version,
        }
    }

    /// The wire form.
    pub fn to_bytes(&self) -> Bytes {
        match self {
            SipMessage::Request(r) => r.to_bytes(),
            SipMessage::Response(r) => r.to_bytes(),
        }
    }

    /// The Content-Type, parsed (the seed's `content_type`).
    pub fn content_type(&self) -> Result<Option<ContentType>, ParseError> {
        self.headers().typed_first()
    }

    /// Parses the headers a transaction layer needs: Via (all), From, To, Call-ID, CSeq,
    /// Max-Forwards and Content-Length. Missing or malformed ones are errors.
    pub fn core_headers(&self) -> Result<CoreHeaders, ParseError> {
        // One pass finds the lines; values are parsed afterwards in a fixed order so that the
        // reported error does not depend on header order.
        let mut slots: [Option<&Header>; 6] = [None; 6];
        let mut duplicate: [Option<&Header>; 6] = [None; 6];
        let mut vias = 0usize;
        for h in self.headers().iter() {
            let slot = match h.name() {
                HeaderName::Via => {
                    vias += 1;
                    continue;
                }
                HeaderName::From => 0,
                HeaderName::To => 1,
                HeaderName::CallId => 2,
                HeaderName::CSeq => 3,
                HeaderName::MaxForwards => 4,
                HeaderName::ContentLength => 5,
                _ => continue,
            };
            match slots[slot] {
                None => slots[slot] = Some(h),
                Some(first) => {
                    if duplicate[slot].is_none() && first.value().trim() != h.value().trim() {
                        duplicate[slot] = Some(h);
                    }
                }
            }
        }
        let mut via = Vec::with_capacity(vias);
        if vias > 0 {
            for h in self.headers().get_all(&HeaderName::Via) {
                crate::header::for_each_value::<Via>(h, |v| {
                    via.push(v);
                    true
                })?;
            }
        }
        if via.is_empty() {
            return Err(missing("Via"));
        }
        fn one<T: TypedHeader>(
            line: Option<&Header>,
            dup: Option<&Header>,
        ) -> Result<Option<T>, ParseError> {
            let Some(h) = line else {
                return Ok(None);
            };
            if let Some(d) = dup {
                return Err(ParseError::new(
                    Element::HeaderValue(T::NAME_STR),
                    ParseErrorKind::DuplicateHeader(T::NAME_STR),
                    d.offset(),
                ));
            }
            T::parse_value(h.value_bytes())
                .map(Some)
                .map_err(|e| e.shifted(h.offset()))
        }
        fn required<T: TypedHeader>(
            line: Option<&Header>,
            dup: Option<&Header>,
        ) -> Result<T, ParseError> {
            one(line, dup)?.ok_or_else(|| missing(T::NAME_STR))
        }
        Ok(CoreHeaders {
            via,
            from: required(slots[0], duplicate[0])?,
            to: required(slots[1], duplicate[1])?,
            call_id: required(slots[2], duplicate[2])?,
            cseq: required(slots[3], duplicate[3])?,
            max_forwards: one(slots[4], duplicate[4])?,
            content_length: one(slots[5], duplicate[5])?,
        })
    }

    /// Checks what RFC 3261 §8.2 and §8.1.3 ask of a message before a user agent acts on it:
    /// version 2.0, the mandatory headers present and well formed, the CSeq method equal to the
    /// request method, no URI headers in the Request-URI, and a Content-Type when there is a
    /// body. The error's [`ParseError::reason_phrase`] fits a 400 response (a version error
    /// calls for 505).
    pub fn validate(&self) -> Result<CoreHeaders, ParseError> {
        if self.version() != Version::SIP_2_0 {
            return Err(ParseError::new(
                Element::SipVersion,
                ParseErrorKind::UnsupportedVersion,
                0,
            ));
        }
        let core = self.core_headers()?;
        if let SipMessage::Request(r) = self {
            if core.cseq.method != r.method && r.method != Method::Ack && r.method != Method::Cancel
            {
                return Err(ParseError::new(
                    Element::HeaderValue("CSeq"),
                    ParseErrorKind::Inconsistent("CSeq method and request method"),
                    self.headers()
                        .get(&HeaderName::CSeq)
                        .map_or(0, |h| h.offset()),
                ));
            }
            if (r.method == Method::Ack || r.method == Method::Cancel)
                && core.cseq.method != r.method
            {
                return Err(ParseError::new(
                    Element::HeaderValue("CSeq"),
                    ParseErrorKind::Inconsistent("CSeq method and request method"),
                    self.headers()
                        .get(&HeaderName::CSeq)
                        .map_or(0, |h| h.offset()),
                ));
            }
        }
        // RFC 3261 §19.1.1 (Table 1): a Request-URI carries no URI headers.
        if let SipMessage::Request(r) = self
            && let Uri::Sip(u) = &r.uri
            && u.headers().next().is_some()
        {
            return Err(ParseError::syntax(
                Element::UriHeader,
                r.method.as_str().len() + 1,
            ));
        }
        if !self.body().is_empty() {
            match self.content_type()? {
                Some(_) => {}
                None => return Err(missing("Content-Type")),
            }
        }
        // Every other known header that the message carries must at least split cleanly.
        Ok(core)
    }
}

fn missing(name: &'static str) -> ParseError {
    ParseError::new(
        Element::HeaderValue(name),
        ParseErrorKind::MissingHeader(name),
        0,
    )
}

impl From<Request> for SipMessage {
    fn from(r: Request) -> Self {
        SipMessage::Request(r)
    }
}

impl From<Response> for SipMessage {
    fn from(r: Response) -> Self {
        SipMessage::Response(r)
    }
}
