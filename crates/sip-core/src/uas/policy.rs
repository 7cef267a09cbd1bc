//! Request inspection in the order of RFC 3261 §8.2: method (405), Request-URI scheme (416),
//! Require (420), then the event package (489, RFC 6665 §7.2.1, RFC 3903 §6) and the body's
//! media type (415).

use crate::error::{Element, ParseError};
use crate::grammar::is_token;
use crate::header::{Event, HeaderName, Require};
use crate::message::{Method, Request, Response, StatusCode};

use super::{UasConfigError, join, respond};

/// An event package this user agent handles, with the body types its NOTIFY and PUBLISH
/// requests may carry.
#[derive(Debug, Clone, PartialEq, Eq)]
struct EventPackage {
    event_type: String,
    content_types: Vec<String>,
}

/// What a user agent server accepts: methods, option tags, Request-URI schemes and event
/// packages. [`RequestPolicy::check`] turns a request outside the policy into the response
/// RFC 3261 §8.2 prescribes.
///
/// Option tags, schemes, event types and media types compare ASCII case-insensitively
/// (RFC 3261 §7.3.1: tokens are case-insensitive); methods compare case-sensitively (§7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPolicy {
    methods: Vec<Method>,
    option_tags: Vec<String>,
    uri_schemes: Vec<String>,
    event_packages: Vec<EventPackage>,
}

impl Default for RequestPolicy {
    /// The same as [`RequestPolicy::new`].
    fn default() -> Self {
        RequestPolicy::new()
    }
}

impl RequestPolicy {
    /// INVITE, ACK, CANCEL, BYE and OPTIONS; the `sip` and `sips` schemes; no option tags and
    /// no event packages.
    pub fn new() -> Self {
        RequestPolicy {
            methods: vec![
                Method::Invite,
                Method::Ack,
                Method::Cancel,
                Method::Bye,
                Method::Options,
            ],
            option_tags: Vec::new(),
            uri_schemes: vec!["sip".to_owned(), "sips".to_owned()],
            event_packages: Vec::new(),
        }
    }

    /// Also allows `method` (listed in the Allow header of a 405).
    #[must_use]
    pub fn allow_method(mut self, method: Method) -> Self {
        if !self.methods.contains(&method) {
            self.methods.push(method);
        }
        self
    }

    /// Also supports the option tag `tag` (`100rel`, `timer`…) when a request requires it.
    pub fn support_option_tag(mut self, tag: &str) -> Result<Self, UasConfigError> {
        if !is_token(tag) {
            return Err(invalid("option tag", tag));
        }
        if !contains(&self.option_tags, tag) {
            self.option_tags.push(tag.to_owned());
        }
        Ok(self)
    }

    /// Also accepts Request-URIs of `scheme` (`tel`, `im`…).
    pub fn accept_uri_scheme(mut self, scheme: &str) -> Result<Self, UasConfigError> {
        let valid = scheme
            .bytes()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && scheme
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
        if !valid {
            return Err(invalid("URI scheme", scheme));
        }
        if !contains(&self.uri_schemes, scheme) {
            self.uri_schemes.push(scheme.to_ascii_lowercase());
        }
        Ok(self)
    }

    /// Also supports the event type `event_type` (`presence`, `presence.winfo`, `dialog`),
    /// whose NOTIFY and PUBLISH bodies may be of `content_types` (`application/pidf+xml`;
    /// empty for no check). Add SUBSCRIBE, NOTIFY or PUBLISH with
    /// [`RequestPolicy::allow_method`] as well.
    pub fn support_event(
        mut self,
        event_type: &str,
        content_types: &[&str],
    ) -> Result<Self, UasConfigError> {
        if !is_token(event_type) {
            return Err(invalid("event type", event_type));
        }
        for ct in content_types {
            let media = ct
                .split_once('/')
                .filter(|(t, s)| is_token(t) && is_token(s));
            if media.is_none() {
                return Err(invalid("media type", ct));
            }
        }
        let content_types = content_types.iter().map(|c| (*c).to_owned()).collect();
        match self
            .event_packages
            .iter_mut()
            .find(|p| p.event_type.eq_ignore_ascii_case(event_type))
        {
            Some(p) => p.content_types = content_types,
            None => self.event_packages.push(EventPackage {
                event_type: event_type.to_owned(),
                content_types,
            }),
        }
        Ok(self)
    }

    /// The allowed methods, in the order of the Allow header.
    pub fn methods(&self) -> &[Method] {
        &self.methods
    }

    /// The supported option tags.
    pub fn option_tags(&self) -> &[String] {
        &self.option_tags
    }

    /// The accepted Request-URI schemes (lower case).
    pub fn uri_schemes(&self) -> &[String] {
        &self.uri_schemes
    }

    /// The supported event types, in the order of the Allow-Events header.
    pub fn event_types(&self) -> impl Iterator<Item = &str> {
        self.event_packages.iter().map(|p| p.event_type.as_str())
    }

    /// Inspects `request` in the order of RFC 3261 §8.2 and returns the response that rejects
    /// it, or `Ok(())` when it may go on to the transaction and dialog layers:
    ///
    /// 1. 405 Method Not Allowed with Allow for a method outside the policy (§8.2.1);
    /// 2. 416 Unsupported URI Scheme for a Request-URI scheme outside it (§8.2.2.1);
    /// 3. 420 Bad Extension with Unsupported listing each required option tag it lacks, except
    ///    for CANCEL (§8.2.2.3); 400 for a malformed Require;
    /// 4. for SUBSCRIBE, NOTIFY and PUBLISH: 400 for a missing (SUBSCRIBE, NOTIFY) or malformed
    ///    Event, 489 Bad Event with Allow-Events for an event type outside the policy
    ///    (RFC 6665 §7.2.1; a PUBLISH without Event too, RFC 3903 §6);
    /// 5. 415 Unsupported Media Type with Accept for a NOTIFY or PUBLISH body whose type is not
    ///    one of the package's.
    ///
    /// An ACK always gets `Ok(())`: it is never answered (§17.2.1). `tag` supplies the To tag
    /// when the request has none. The request is expected to have passed
    /// [`SipMessage::validate`](crate::message::SipMessage::validate).
    pub fn check(&self, request: &Request, tag: impl FnOnce() -> String) -> Result<(), Response> {
        let method = request.method();
        if *method == Method::Ack {
            return Ok(());
        }
        if !self.methods.contains(method) {
            let allow = join(self.methods.iter().map(Method::as_str));
            return Err(respond(request, StatusCode::METHOD_NOT_ALLOWED, tag)
                .header(HeaderName::Allow, allow)
                .build());
        }
        if !contains(&self.uri_schemes, request.uri().scheme()) {
            return Err(respond(request, StatusCode::UNSUPPORTED_URI_SCHEME, tag).build());
        }
        if *method != Method::Cancel {
            let required = match request.headers().typed_all::<Require>() {
                Ok(r) => r,
                Err(e) => return Err(bad_request(request, header_fault("Require", &e), tag)),
            };
            let mut unknown: Vec<&str> = Vec::new();
            for r in &required {
                let t = r.as_str();
                if !contains(&self.option_tags, t)
                    && !unknown.iter().any(|u| u.eq_ignore_ascii_case(t))
                {
                    unknown.push(t);
                }
            }
            if !unknown.is_empty() {
                return Err(respond(request, StatusCode::BAD_EXTENSION, tag)
                    .header(HeaderName::Unsupported, join(unknown))
                    .build());
            }
        }
        if matches!(method, Method::Subscribe | Method::Notify | Method::Publish) {
            return self.check_event(request, tag);
        }
        Ok(())
    }

    fn check_event(&self, request: &Request, tag: impl FnOnce() -> String) -> Result<(), Response> {
        let event = match request.headers().typed_first::<Event>() {
            Ok(Some(e)) => e,
            Ok(None) if *request.method() != Method::Publish => {
                return Err(bad_request(
                    request,
                    "Bad Request - missing Event header".to_owned(),
                    tag,
                ));
            }
            Ok(None) => return Err(self.bad_event(request, tag)),
            Err(e) => return Err(bad_request(request, header_fault("Event", &e), tag)),
        };
        let Some(package) = self
            .event_packages
            .iter()
            .find(|p| p.event_type.eq_ignore_ascii_case(&event.event_type))
        else {
            return Err(self.bad_event(request, tag));
        };
        if *request.method() == Method::Subscribe
            || request.body().is_empty()
            || package.content_types.is_empty()
        {
            return Ok(());
        }
        let media = request
            .headers()
            .get_str(&HeaderName::ContentType)
            .map(|v| v.split(';').next().unwrap_or("").trim());
        if media.is_some_and(|m| contains(&package.content_types, m)) {
            return Ok(());
        }
        let accept = join(package.content_types.iter().map(String::as_str));
        Err(respond(request, StatusCode::UNSUPPORTED_MEDIA_TYPE, tag)
            .header(HeaderName::Accept, accept)
            .build())
    }

    fn bad_event(&self, request: &Request, tag: impl FnOnce() -> String) -> Response {
        let mut builder = respond(request, StatusCode::BAD_EVENT, tag);
        if !self.event_packages.is_empty() {
            builder = builder.header(HeaderName::AllowEvents, join(self.event_types()));
        }
        builder.build()
    }
}

fn bad_request(request: &Request, reason: String, tag: impl FnOnce() -> String) -> Response {
    let reason: String = reason
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    respond(request, StatusCode::BAD_REQUEST, tag)
        .reason(reason)
        .build()
}

/// A 400 reason for a malformed `name` header that names it even when the fault is in a
/// parameter or URI inside it.
fn header_fault(name: &str, error: &ParseError) -> String {
    match error.element {
        Element::HeaderValue(_) => error.reason_phrase(),
        element => format!(
            "Bad Request - invalid {name} header: invalid {element} at byte {}: {}",
            error.offset, error.kind
        ),
    }
}

fn contains(list: &[String], value: &str) -> bool {
    list.iter().any(|v| v.eq_ignore_ascii_case(value))
}

fn invalid(what: &'static str, value: &str) -> UasConfigError {
    UasConfigError::InvalidToken {
        what,
        value: value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::SipMessage;

    fn subscribe(extra: &str) -> Request {
        let raw = format!(
            "SUBSCRIBE sips:bob@example.com SIP/2.0\r\n\
Via: SIP/2.0/TLS h.example.com;branch=z9hG4bK1\r\n\
To: <sips:bob@example.com>\r\n\
From: <sips:alice@example.com>;tag=f1\r\n\
Call-ID: c@h\r\n\
CSeq: 1 SUBSCRIBE\r\n{extra}\r\n"
        );
        SipMessage::parse(raw.into_bytes())
            .unwrap()
            .as_request()
            .unwrap()
            .clone()
    }

    #[test]
    fn tokens_compare_case_insensitively() {
        let policy = RequestPolicy::new()
            .allow_method(Method::Subscribe)
            .support_option_tag("EventList")
            .unwrap()
            .support_event("Presence", &[])
            .unwrap();
        let req = subscribe("Require: eventlist\r\nEvent: presence\r\n");
        assert!(policy.check(&req, || "t".into()).is_ok());
    }

    #[test]
    fn duplicate_configuration_is_kept_once() {
        let policy = RequestPolicy::new()
            .allow_method(Method::Invite)
            .accept_uri_scheme("SIP")
            .unwrap()
            .support_option_tag("timer")
            .unwrap()
            .support_option_tag("TIMER")
            .unwrap()
            .support_event("dialog", &["application/dialog-info+xml"])
            .unwrap()
            .support_event("dialog", &[])
            .unwrap();
        assert_eq!(policy.methods().len(), 5);
        assert_eq!(policy.uri_schemes(), ["sip", "sips"]);
        assert_eq!(policy.option_tags(), ["timer"]);
        assert_eq!(policy.event_types().collect::<Vec<_>>(), ["dialog"]);
    }

    #[test]
    fn bad_event_without_packages_has_no_allow_events() {
        let policy = RequestPolicy::new().allow_method(Method::Subscribe);
        let resp = policy
            .check(&subscribe("Event: presence\r\n"), || "t".into())
            .unwrap_err();
        assert_eq!(resp.status().code(), 489);
        assert!(!resp.headers().contains(&HeaderName::AllowEvents));
    }

    #[test]
    fn malformed_event_gets_400() {
        let policy = RequestPolicy::new().allow_method(Method::Subscribe);
        let resp = policy
            .check(&subscribe("Event: pres/ence\r\n"), || "t".into())
            .unwrap_err();
        assert_eq!(resp.status().code(), 400);
        assert!(resp.reason().contains("Event"), "{}", resp.reason());
    }
}
