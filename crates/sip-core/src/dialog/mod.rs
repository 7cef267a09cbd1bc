//! SIP dialogs (RFC 3261 §12), sans-IO.
//!
//! A [`Dialog`] is the peer-to-peer relationship an INVITE, SUBSCRIBE or REFER creates: its
//! identity ([`DialogId`]: Call-ID, local tag, remote tag), the local and remote sequence
//! numbers, the local and remote URIs, the remote target (the peer's Contact), the route set
//! (from Record-Route) and the secure flag.
//!
//! - **Creation.** A UAC creates it from its request and a response with a To tag: a 1xx makes
//!   an *early* dialog, a 2xx a *confirmed* one ([`Dialog::uac`]). A UAS creates it from the
//!   request it answers with a To tag ([`Dialog::uas`]).
//! - **Requests within the dialog.** [`Dialog::request`] builds one with the dialog's
//!   Call-ID, tags and next CSeq, its Request-URI and Route headers per §12.2.1.1 (loose routing,
//!   and strict routing for a first route without `lr`); the caller adds the top Via.
//!   [`Dialog::ack`] builds the ACK for a 2xx (same CSeq number as the INVITE).
//! - **Requests received.** [`Dialog::receive_request`] checks the remote CSeq (a lower one
//!   gets a 500, §12.2.2) and applies target refreshes.
//! - **Where to send.** [`Dialog::next_hop`] is the URI the request goes to first; turning it
//!   into an address is the caller's job (the core does no DNS).
//!
//! Forking: every 2xx with a new To tag is a new dialog of the same request; several may exist
//! for one INVITE (the UA ACKs and BYEs the ones it does not want).
//!
//! ```
//! use sip_core::dialog::{Dialog, DialogState};
//! use sip_core::header::{Contact, NameAddr};
//! use sip_core::message::{Method, SipMessage, StatusCode};
//! use sip_core::uri::Uri;
//!
//! let invite = SipMessage::parse(
//!     &b"INVITE sip:bob@192.0.2.2 SIP/2.0\r\n\
//!        Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n\
//!        From: <sip:alice@example.com>;tag=a1\r\n\
//!        To: <sip:bob@example.com>\r\n\
//!        Call-ID: c1\r\n\
//!        CSeq: 7 INVITE\r\n\
//!        Contact: <sip:alice@192.0.2.1:5060>\r\n\
//!        Content-Length: 0\r\n\r\n"[..],
//! )
//! .unwrap()
//! .as_request()
//! .unwrap()
//! .clone();
//! let contact = Contact::new(NameAddr::new(Uri::parse("sip:bob@192.0.2.2:5062").unwrap()));
//! let mut dialog = Dialog::uas(&invite, "b2", &contact).unwrap();
//! assert_eq!(dialog.state(), DialogState::Confirmed);
//! assert_eq!(dialog.id().remote_tag, "a1");
//!
//! // The BYE goes to Alice's Contact, with the tags swapped.
//! let bye = dialog.request(Method::Bye).build();
//! assert_eq!(bye.uri().to_string(), "sip:alice@192.0.2.1:5060");
//! ```

use std::fmt;

use crate::header::{
    CSeq, CallId, Contact, FromHeader, MaxForwards, NameAddr, RecordRoute, Route, ToHeader,
};
use crate::message::{Method, Request, RequestBuilder, Response};
use crate::uri::Uri;

/// Why a dialog cannot be made from a message, or a request does not fit it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DialogError {
    /// A header the dialog needs is missing or malformed.
    #[error("cannot form a dialog: {0}")]
    Malformed(String),
    /// The response has no To tag, so it creates no dialog.
    #[error("the response has no To tag")]
    NoRemoteTag,
    /// The message belongs to another dialog.
    #[error("the message does not belong to this dialog")]
    Mismatch,
    /// The request's CSeq is lower than the last one received (answer 500, RFC 3261
    /// §12.2.2).
    #[error("CSeq {received} is lower than the last one in the dialog ({last})")]
    CSeqOutOfOrder {
        /// The CSeq number received.
        received: u32,
        /// The highest CSeq number seen before.
        last: u32,
    },
}

/// The identity of a dialog: Call-ID, local tag and remote tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DialogId {
    /// The Call-ID.
    pub call_id: String,
    /// Our tag (From tag of requests we send, To tag of requests we receive).
    pub local_tag: String,
    /// The peer's tag.
    pub remote_tag: String,
}

impl DialogId {
    /// The identity a request received within a dialog points to (Call-ID, To tag as local,
    /// From tag as remote); `None` when a header or a tag is missing.
    pub fn of_received_request(request: &Request) -> Option<DialogId> {
        let headers = request.headers();
        let call_id = headers.typed::<CallId>().ok()?;
        let to = headers.typed::<ToHeader>().ok()?;
        let from = headers.typed::<FromHeader>().ok()?;
        Some(DialogId {
            call_id: call_id.as_str().to_owned(),
            local_tag: to.tag()?.to_owned(),
            remote_tag: from.tag()?.to_owned(),
        })
    }

    /// The identity a response to one of our requests points to (Call-ID, From tag as local,
    /// To tag as remote); `None` when a header or a tag is missing.
    pub fn of_received_response(response: &Response) -> Option<DialogId> {
        let headers = response.headers();
        let call_id = headers.typed::<CallId>().ok()?;
        let to = headers.typed::<ToHeader>().ok()?;
        let from = headers.typed::<FromHeader>().ok()?;
        Some(DialogId {
            call_id: call_id.as_str().to_owned(),
            local_tag: from.tag()?.to_owned(),
            remote_tag: to.tag()?.to_owned(),
        })
    }
}

impl fmt::Display for DialogId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{};local-tag={};remote-tag={}",
            self.call_id, self.local_tag, self.remote_tag
        )
    }
}

/// Early (made by a 1xx with a To tag) or confirmed (made by a 2xx, or by a request the UAS
/// answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogState {
    /// Created by a provisional response.
    Early,
    /// Created or confirmed by a 2xx.
    Confirmed,
}

/// One dialog's state (RFC 3261 §12.1): see the [module documentation](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    id: DialogId,
    state: DialogState,
    /// The next CSeq number we send (already incremented past the creating request).
    local_seq: u32,
    /// The highest CSeq number received, `None` before the peer sent a request in the dialog.
    remote_seq: Option<u32>,
    /// Our From (with our tag) for requests we send.
    local: FromHeader,
    /// Our To (with the peer's tag) for requests we send.
    remote: ToHeader,
    remote_target: Uri,
    route_set: Vec<Route>,
    secure: bool,
    local_contact: Contact,
}

fn malformed(what: impl fmt::Display) -> DialogError {
    DialogError::Malformed(what.to_string())
}

/// The Contact URI of a message (the remote target), if there is exactly a usable one.
fn contact_uri(headers: &crate::header::Headers) -> Option<Uri> {
    headers
        .typed_first::<Contact>()
        .ok()
        .flatten()
        .and_then(|c| c.addr.map(|a| a.uri().clone()))
}

/// Record-Route values as routes, in message order.
fn record_routes(headers: &crate::header::Headers) -> Result<Vec<Route>, DialogError> {
    let rr = headers
        .typed_all::<RecordRoute>()
        .map_err(|e| malformed(format!("Record-Route: {e}")))?;
    Ok(rr
        .into_iter()
        .map(|r| Route {
            addr: r.addr,
            params: r.params,
        })
        .collect())
}

impl Dialog {
    /// The dialog a UAC forms from its `request` and a `response` carrying a To tag (1xx:
    /// early; 2xx: confirmed). The route set is the response's Record-Route, reversed
    /// (§12.1.2); the remote target its Contact.
    pub fn uac(request: &Request, response: &Response) -> Result<Dialog, DialogError> {
        let req = request.headers();
        let resp = response.headers();
        let call_id = req
            .typed::<CallId>()
            .map_err(|e| malformed(format!("Call-ID: {e}")))?;
        let local = req
            .typed::<FromHeader>()
            .map_err(|e| malformed(format!("From: {e}")))?;
        let local_tag = local
            .tag()
            .ok_or_else(|| malformed("the request's From has no tag"))?
            .to_owned();
        let remote = resp
            .typed::<ToHeader>()
            .map_err(|e| malformed(format!("To: {e}")))?;
        let remote_tag = remote.tag().ok_or(DialogError::NoRemoteTag)?.to_owned();
        let cseq = req
            .typed::<CSeq>()
            .map_err(|e| malformed(format!("CSeq: {e}")))?;
        let local_contact = req
            .typed_first::<Contact>()
            .ok()
            .flatten()
            .ok_or_else(|| malformed("the request has no Contact"))?;
        // Without a Contact (some 1xx) the target stays the Request-URI until one arrives.
        let remote_target = contact_uri(resp).unwrap_or_else(|| request.uri().clone());
        let mut route_set = record_routes(resp)?;
        route_set.reverse();
        let secure = request.uri().as_sip().is_some_and(|u| u.secure());
        let state = if response.status().is_success() {
            DialogState::Confirmed
        } else {
            DialogState::Early
        };
        Ok(Dialog {
            id: DialogId {
                call_id: call_id.as_str().to_owned(),
                local_tag,
                remote_tag,
            },
            state,
            local_seq: cseq.seq.saturating_add(1),
            remote_seq: None,
            local,
            remote,
            remote_target,
            route_set,
            secure,
            local_contact,
        })
    }

    /// The dialog a UAS forms when it answers `request` with `local_tag` in the To header and
    /// `local_contact` as its Contact (§12.1.1). The route set is the request's Record-Route
    /// in order; the remote target its Contact. Created confirmed; a UAS that answers with a
    /// 1xx first may [`set_state`](Self::set_state) it to early.
    pub fn uas(
        request: &Request,
        local_tag: &str,
        local_contact: &Contact,
    ) -> Result<Dialog, DialogError> {
        let req = request.headers();
        let call_id = req
            .typed::<CallId>()
            .map_err(|e| malformed(format!("Call-ID: {e}")))?;
        let from = req
            .typed::<FromHeader>()
            .map_err(|e| malformed(format!("From: {e}")))?;
        let remote_tag = from
            .tag()
            .ok_or_else(|| malformed("the request's From has no tag"))?
            .to_owned();
        let to = req
            .typed::<ToHeader>()
            .map_err(|e| malformed(format!("To: {e}")))?;
        let cseq = req
            .typed::<CSeq>()
            .map_err(|e| malformed(format!("CSeq: {e}")))?;
        let remote_target =
            contact_uri(req).ok_or_else(|| malformed("the request has no usable Contact"))?;
        let route_set = record_routes(req)?;
        let secure = request.uri().as_sip().is_some_and(|u| u.secure())
            && req
                .typed_first::<crate::header::Via>()
                .ok()
                .flatten()
                .is_some_and(|v| v.transport().eq_ignore_ascii_case("TLS"));
        // Our From is their To with our tag; our To is their From.
        let mut local = FromHeader::new(to.addr.clone());
        local.params = to.params.clone();
        local.set_tag(local_tag);
        let remote = ToHeader {
            addr: from.addr.clone(),
            params: from.params.clone(),
        };
        Ok(Dialog {
            id: DialogId {
                call_id: call_id.as_str().to_owned(),
                local_tag: local_tag.to_owned(),
                remote_tag,
            },
            state: DialogState::Confirmed,
            local_seq: 1,
            remote_seq: Some(cseq.seq),
            local,
            remote,
            remote_target,
            route_set,
            secure,
            local_contact: local_contact.clone(),
        })
    }

    /// The dialog's identity.
    pub fn id(&self) -> &DialogId {
        &self.id
    }

    /// Early or confirmed.
    pub fn state(&self) -> DialogState {
        self.state
    }

    /// Sets early or confirmed (a UAS whose dialog starts with a 1xx, then a 2xx).
    pub fn set_state(&mut self, state: DialogState) {
        self.state = state;
    }

    /// Our From header (with our tag) for requests we send.
    pub fn local_header(&self) -> &FromHeader {
        &self.local
    }

    /// Our To header (with the peer's tag) for requests we send.
    pub fn remote_header(&self) -> &ToHeader {
        &self.remote
    }

    /// The peer's Contact URI (where requests go when there is no route set).
    pub fn remote_target(&self) -> &Uri {
        &self.remote_target
    }

    /// The route set, in the order requests carry it.
    pub fn route_set(&self) -> &[Route] {
        &self.route_set
    }

    /// True when the dialog was formed over TLS with a `sips:` Request-URI.
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The Contact we send.
    pub fn local_contact(&self) -> &Contact {
        &self.local_contact
    }

    /// Replaces our Contact (sent in the next target refresh request).
    pub fn set_local_contact(&mut self, contact: Contact) {
        self.local_contact = contact;
    }

    /// The CSeq number the next request we send will carry.
    pub fn next_local_seq(&self) -> u32 {
        self.local_seq
    }

    /// The highest CSeq number received from the peer.
    pub fn remote_seq(&self) -> Option<u32> {
        self.remote_seq
    }

    /// The URI a request in this dialog goes to first: the first route if it is a loose
    /// router, otherwise (strict router) that route too, or the remote target when the route
    /// set is empty.
    pub fn next_hop(&self) -> &Uri {
        match self.route_set.first() {
            Some(route) => route.uri(),
            None => &self.remote_target,
        }
    }

    /// A request in this dialog, without Via (the caller adds it): Request-URI and Route per
    /// §12.2.1.1, From/To with the tags, Call-ID, the next CSeq (ACK and CANCEL take no new
    /// number; build those with [`ack`](Self::ack) or from the INVITE), Max-Forwards and, for
    /// target-refresh methods (INVITE, UPDATE, SUBSCRIBE, NOTIFY, REFER), our Contact.
    pub fn request(&mut self, method: Method) -> RequestBuilder {
        let seq = self.local_seq;
        self.local_seq = self.local_seq.saturating_add(1);
        self.build(method, seq)
    }

    /// The ACK for the 2xx of the INVITE with CSeq number `invite_seq` (§13.2.2.4).
    pub fn ack(&self, invite_seq: u32) -> RequestBuilder {
        self.build(Method::Ack, invite_seq)
    }

    fn build(&self, method: Method, seq: u32) -> RequestBuilder {
        let (uri, routes): (Uri, Vec<&Route>) = match self.route_set.first() {
            Some(first) if !first.is_loose() => {
                // Strict router: it becomes the Request-URI, the remote target the last route.
                let mut uri = first.uri().clone();
                if let Uri::Sip(sip) = &mut uri {
                    sip.params_mut().remove("method");
                }
                (uri, self.route_set[1..].iter().collect())
            }
            _ => (self.remote_target.clone(), self.route_set.iter().collect()),
        };
        let strict = self.route_set.first().is_some_and(|r| !r.is_loose());
        let is_refresh = matches!(
            method,
            Method::Invite | Method::Update | Method::Subscribe | Method::Notify | Method::Refer
        );
        let mut builder = Request::builder(method.clone(), uri);
        for route in routes {
            builder = builder.typed(route);
        }
        if strict {
            builder = builder.typed(&Route::new(NameAddr::new(self.remote_target.clone())));
        }
        builder = builder
            .typed(&MaxForwards(70))
            .typed(&self.local)
            .typed(&self.remote)
            .typed(&CallId::new(self.id.call_id.clone()))
            .typed(&CSeq::new(seq, method));
        if is_refresh {
            builder = builder.typed(&self.local_contact);
        }
        builder
    }

    /// Accepts a request received in this dialog: checks the identity, that its CSeq is not
    /// lower than the last one (§12.2.2; the caller answers 500 on
    /// [`DialogError::CSeqOutOfOrder`]) and, for target-refresh requests, takes the new remote
    /// target from its Contact.
    pub fn receive_request(&mut self, request: &Request) -> Result<(), DialogError> {
        if DialogId::of_received_request(request).as_ref() != Some(&self.id) {
            return Err(DialogError::Mismatch);
        }
        let cseq = request
            .headers()
            .typed::<CSeq>()
            .map_err(|e| malformed(format!("CSeq: {e}")))?;
        let is_ack_or_cancel = matches!(request.method(), Method::Ack | Method::Cancel);
        if !is_ack_or_cancel {
            if let Some(last) = self.remote_seq
                && cseq.seq < last
            {
                return Err(DialogError::CSeqOutOfOrder {
                    received: cseq.seq,
                    last,
                });
            }
            self.remote_seq = Some(cseq.seq);
        }
        if is_target_refresh(request.method())
            && let Some(uri) = contact_uri(request.headers())
        {
            self.remote_target = uri;
        }
        Ok(())
    }

    /// Updates the dialog from a response to a request we sent in it (or to the request that
    /// created it): a 2xx confirms an early dialog, and the route set is taken again from the
    /// 2xx that confirms it (§13.2.2.4); a 2xx to a target-refresh request updates the remote
    /// target from its Contact.
    pub fn receive_response(
        &mut self,
        method: &Method,
        response: &Response,
    ) -> Result<(), DialogError> {
        if DialogId::of_received_response(response).as_ref() != Some(&self.id) {
            return Err(DialogError::Mismatch);
        }
        if response.status().is_success() {
            if self.state == DialogState::Early {
                self.state = DialogState::Confirmed;
                let mut route_set = record_routes(response.headers())?;
                route_set.reverse();
                self.route_set = route_set;
            }
            if is_target_refresh(method)
                && let Some(uri) = contact_uri(response.headers())
            {
                self.remote_target = uri;
            }
        } else if self.state == DialogState::Early
            && let Some(uri) = contact_uri(response.headers())
        {
            self.remote_target = uri;
        }
        Ok(())
    }

    /// The value for a `Replaces` header naming this dialog (RFC 3891), as the peer sees it.
    pub fn replaces_value(&self) -> String {
        format!(
            "{};to-tag={};from-tag={}",
            self.id.call_id, self.id.remote_tag, self.id.local_tag
        )
    }
}

/// Methods whose requests and 2xx responses replace the remote target (RFC 3261 §12.2,
/// RFC 3311, RFC 6665 §4.1.2.1, RFC 3515).
pub fn is_target_refresh(method: &Method) -> bool {
    matches!(
        method,
        Method::Invite | Method::Update | Method::Subscribe | Method::Notify | Method::Refer
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::HeaderName;
    use crate::message::{SipMessage, StatusCode};

    fn request(raw: &str) -> Request {
        SipMessage::parse(raw.replace('\n', "\r\n").into_bytes())
            .unwrap()
            .as_request()
            .unwrap()
            .clone()
    }

    fn response(raw: &str) -> Response {
        SipMessage::parse(raw.replace('\n', "\r\n").into_bytes())
            .unwrap()
            .as_response()
            .unwrap()
            .clone()
    }

    const INVITE: &str = "INVITE sip:bob@192.0.2.2 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1
Max-Forwards: 70
From: Alice <sip:alice@example.com>;tag=a1
To: Bob <sip:bob@example.com>
Call-ID: c1
CSeq: 7 INVITE
Contact: <sip:alice@192.0.2.1:5060>
Record-Route: <sip:p2.example.com;lr>
Record-Route: <sip:p1.example.com;lr>
Content-Length: 0

";

    fn ok(tag: &str, contact: &str) -> Response {
        response(&format!(
            "SIP/2.0 200 OK
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1
From: Alice <sip:alice@example.com>;tag=a1
To: Bob <sip:bob@example.com>;tag={tag}
Call-ID: c1
CSeq: 7 INVITE
Contact: <{contact}>
Record-Route: <sip:p2.example.com;lr>
Record-Route: <sip:p1.example.com;lr>
Content-Length: 0

"
        ))
    }

    #[test]
    fn uac_dialog_reverses_the_record_route_and_targets_the_contact() {
        let invite = request(INVITE);
        let mut dialog = Dialog::uac(&invite, &ok("b1", "sip:bob@192.0.2.2:5062")).unwrap();
        assert_eq!(dialog.state(), DialogState::Confirmed);
        assert_eq!(
            dialog.id(),
            &DialogId {
                call_id: "c1".into(),
                local_tag: "a1".into(),
                remote_tag: "b1".into()
            }
        );
        assert_eq!(dialog.next_hop().to_string(), "sip:p1.example.com;lr");
        let bye = dialog.request(Method::Bye).build();
        assert_eq!(bye.uri().to_string(), "sip:bob@192.0.2.2:5062");
        let routes: Vec<String> = bye
            .headers()
            .get_all(&HeaderName::Route)
            .map(|h| h.value().to_owned())
            .collect();
        assert_eq!(
            routes,
            ["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]
        );
        let cseq: CSeq = bye.headers().typed().unwrap();
        assert_eq!(cseq, CSeq::new(8, Method::Bye));
        let to: ToHeader = bye.headers().typed().unwrap();
        assert_eq!(to.tag(), Some("b1"));
        assert!(!bye.headers().contains(&HeaderName::Contact));
        // The ACK reuses the INVITE's number; the next request continues the count.
        let ack: CSeq = dialog.ack(7).build().headers().typed().unwrap();
        assert_eq!(ack, CSeq::new(7, Method::Ack));
        let reinvite = dialog.request(Method::Invite).build();
        assert_eq!(reinvite.headers().typed::<CSeq>().unwrap().seq, 9);
        assert!(reinvite.headers().contains(&HeaderName::Contact));
    }

    #[test]
    fn early_dialog_is_confirmed_by_the_2xx_with_the_new_route_set() {
        let invite = request(INVITE);
        let ringing = response(
            "SIP/2.0 180 Ringing
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1
From: <sip:alice@example.com>;tag=a1
To: <sip:bob@example.com>;tag=b1
Call-ID: c1
CSeq: 7 INVITE
Contact: <sip:bob@192.0.2.9>
Content-Length: 0

",
        );
        let mut dialog = Dialog::uac(&invite, &ringing).unwrap();
        assert_eq!(dialog.state(), DialogState::Early);
        assert!(dialog.route_set().is_empty());
        dialog
            .receive_response(&Method::Invite, &ok("b1", "sip:bob@192.0.2.2:5062"))
            .unwrap();
        assert_eq!(dialog.state(), DialogState::Confirmed);
        assert_eq!(dialog.route_set().len(), 2);
        assert_eq!(dialog.remote_target().to_string(), "sip:bob@192.0.2.2:5062");
        // A 2xx of another fork is another dialog.
        assert_eq!(
            dialog.receive_response(&Method::Invite, &ok("b2", "sip:x@192.0.2.3")),
            Err(DialogError::Mismatch)
        );
    }

    #[test]
    fn response_without_to_tag_makes_no_dialog() {
        let invite = request(INVITE);
        let trying = response(
            "SIP/2.0 100 Trying
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1
From: <sip:alice@example.com>;tag=a1
To: <sip:bob@example.com>
Call-ID: c1
CSeq: 7 INVITE
Content-Length: 0

",
        );
        assert_eq!(Dialog::uac(&invite, &trying), Err(DialogError::NoRemoteTag));
    }

    #[test]
    fn uas_dialog_swaps_the_tags_and_checks_the_remote_cseq() {
        let invite = request(INVITE);
        let contact = Contact::new(NameAddr::new(Uri::parse("sip:bob@192.0.2.2").unwrap()));
        let mut dialog = Dialog::uas(&invite, "b9", &contact).unwrap();
        let bye = dialog.request(Method::Bye).build();
        let from: FromHeader = bye.headers().typed().unwrap();
        let to: ToHeader = bye.headers().typed().unwrap();
        assert_eq!((from.tag(), to.tag()), (Some("b9"), Some("a1")));
        assert_eq!(bye.uri().to_string(), "sip:alice@192.0.2.1:5060");
        // UAS route set is the Record-Route in order.
        assert_eq!(dialog.next_hop().to_string(), "sip:p2.example.com;lr");

        let in_dialog = |seq: u32, method: &str, contact: &str| {
            request(&format!(
                "{method} sip:bob@192.0.2.2 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK{seq}
From: <sip:alice@example.com>;tag=a1
To: <sip:bob@example.com>;tag=b9
Call-ID: c1
CSeq: {seq} {method}
Contact: <{contact}>
Content-Length: 0

"
            ))
        };
        dialog
            .receive_request(&in_dialog(8, "INVITE", "sip:alice@192.0.2.7"))
            .unwrap();
        assert_eq!(dialog.remote_target().to_string(), "sip:alice@192.0.2.7");
        assert_eq!(
            dialog.receive_request(&in_dialog(5, "BYE", "sip:alice@192.0.2.7")),
            Err(DialogError::CSeqOutOfOrder {
                received: 5,
                last: 8
            })
        );
        // Not a target refresh: the Contact of an INFO does not move the target.
        dialog
            .receive_request(&in_dialog(9, "INFO", "sip:elsewhere@192.0.2.8"))
            .unwrap();
        assert_eq!(dialog.remote_target().to_string(), "sip:alice@192.0.2.7");
        let mut other = in_dialog(10, "BYE", "sip:a@192.0.2.1");
        other.headers_mut().set(HeaderName::CallId, "c2");
        assert_eq!(dialog.receive_request(&other), Err(DialogError::Mismatch));
    }

    #[test]
    fn strict_router_becomes_the_request_uri() {
        let invite = request(&INVITE.replace(
            "Record-Route: <sip:p2.example.com;lr>\nRecord-Route: <sip:p1.example.com;lr>\n",
            "Record-Route: <sip:strict.example.com>\n",
        ));
        let mut dialog =
            Dialog::uac(&invite, &response(&ok("b1", "sip:bob@192.0.2.2").to_string().replace(
                "Record-Route: <sip:p2.example.com;lr>\r\nRecord-Route: <sip:p1.example.com;lr>\r\n",
                "Record-Route: <sip:strict.example.com>\r\n",
            ).replace("\r\n", "\n")))
            .unwrap();
        let bye = dialog.request(Method::Bye).build();
        assert_eq!(bye.uri().to_string(), "sip:strict.example.com");
        let routes: Vec<&str> = bye
            .headers()
            .get_all(&HeaderName::Route)
            .map(|h| h.value())
            .collect();
        assert_eq!(routes, ["<sip:bob@192.0.2.2>"]);
        let _ = StatusCode::OK;
    }

    #[test]
    fn ids_of_received_messages() {
        let invite = request(INVITE);
        assert_eq!(DialogId::of_received_request(&invite), None);
        let id = DialogId::of_received_response(&ok("b1", "sip:b@192.0.2.2")).unwrap();
        assert_eq!(id.to_string(), "c1;local-tag=a1;remote-tag=b1");
    }
}
