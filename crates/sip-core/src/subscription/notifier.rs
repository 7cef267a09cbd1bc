//! The notifier side of an event subscription (RFC 6665 §4.2), sans-IO.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{Content, SubscriptionError};
use crate::dialog::{Dialog, DialogError};
use crate::header::{
    Contact, Event, Expires, HeaderName, MinExpires, ReferSub, ReferTo, SubscriptionState,
};
use crate::message::{Method, Request, Response, StatusCode};

/// The state of a notifier (the seed's `IncomingSubscription.state` /
/// `IncomingReferral.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotifierState {
    /// The SUBSCRIBE/REFER is not answered yet.
    Incoming,
    /// Accepted as pending (202 and NOTIFY `pending`).
    Pending,
    /// Accepted (NOTIFY `active`).
    Active,
    /// Ended.
    Terminated,
}

impl NotifierState {
    /// The seed's state string: `incoming`, `pending`, `active`, `terminated`.
    pub fn as_str(self) -> &'static str {
        match self {
            NotifierState::Incoming => "incoming",
            NotifierState::Pending => "pending",
            NotifierState::Active => "active",
            NotifierState::Terminated => "terminated",
        }
    }
}

impl std::fmt::Display for NotifierState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Limits on the subscription duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct NotifierConfig {
    /// Shorter non-zero durations are answered 423 with this Min-Expires (default 60 s).
    pub min_expires: u32,
    /// Longer durations are cut to this (default 3600 s).
    pub max_expires: u32,
    /// The duration of a SUBSCRIBE without Expires (default 600 s), and of a REFER's
    /// implicit subscription unless [`Notifier::set_duration`] changes it.
    pub default_expires: u32,
}

impl Default for NotifierConfig {
    fn default() -> Self {
        NotifierConfig {
            min_expires: 60,
            max_expires: 3600,
            default_expires: 600,
        }
    }
}

impl NotifierConfig {
    /// Builder: the minimum duration.
    #[must_use]
    pub fn with_min_expires(mut self, secs: u32) -> Self {
        self.min_expires = secs;
        self
    }

    /// Builder: the maximum duration.
    #[must_use]
    pub fn with_max_expires(mut self, secs: u32) -> Self {
        self.max_expires = secs;
        self
    }

    /// Builder: the default duration.
    #[must_use]
    pub fn with_default_expires(mut self, secs: u32) -> Self {
        self.default_expires = secs;
        self
    }
}

/// What happened, for the owner to report.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotifierEvent {
    /// The state changed.
    ChangedState {
        /// The state before.
        prev_state: NotifierState,
        /// The state now.
        state: NotifierState,
    },
    /// A refreshing SUBSCRIBE arrived (answered 200; a NOTIFY follows).
    GotRefreshingSubscribe(Box<Request>),
    /// A SUBSCRIBE with `Expires: 0` arrived (answered 200; the terminating NOTIFY follows).
    GotUnsubscribe(Box<Request>),
    /// The subscription reached `terminated`.
    DidEnd,
}

/// What the owner must do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotifierOutput {
    /// Answer the initial SUBSCRIBE/REFER with this final response.
    Respond(Box<Response>),
    /// Send this NOTIFY in a new client transaction (add the top Via) to
    /// [`Notifier::next_hop`]; pass its outcome to [`Notifier::handle_notify_response`] or
    /// [`Notifier::handle_notify_failure`].
    Notify(Box<Request>),
    /// Report this.
    Event(NotifierEvent),
}

/// The notifier side of one subscription: created from the SUBSCRIBE (or REFER, whose
/// implicit subscription has the event `refer`), answers it when the owner decides, sends
/// the NOTIFYs one at a time (a change while one is in flight is sent after it, with the
/// latest state), answers refreshes and unsubscribes, and ends the subscription at expiry
/// (`terminated;reason=timeout`) or when a NOTIFY fails.
///
/// Driving loop as for [`Subscriber`](super::Subscriber).
#[derive(Debug)]
pub struct Notifier {
    config: NotifierConfig,
    state: NotifierState,
    request: Request,
    dialog: Dialog,
    local_tag: String,
    event: Event,
    /// The duration granted (0 for a fetch).
    expires: u32,
    expires_at: Option<Instant>,
    /// The time of the last call, for the remaining duration in NOTIFYs.
    now: Instant,
    content: Option<Content>,
    /// Referral without implicit subscription (RFC 4488).
    no_subscription: bool,
    term_reason: Option<String>,
    notify_in_flight: Option<Request>,
    notify_dirty: bool,
    final_notify_sent: bool,
    did_end_posted: bool,
    outputs: VecDeque<NotifierOutput>,
}

impl Notifier {
    /// A notifier for the dialog-creating `request` (SUBSCRIBE or REFER) that answers with
    /// `local_tag` in the To header and `local_contact` as Contact. A request that cannot be
    /// accepted gives the response to send instead: 400 (malformed, missing Event or
    /// Refer-To), 423 (Expires below the minimum, with Min-Expires), 405 (another method).
    pub fn new(
        now: Instant,
        request: &Request,
        local_tag: &str,
        local_contact: &Contact,
        config: NotifierConfig,
    ) -> Result<Notifier, Box<Response>> {
        let reply = |code: StatusCode, why: &str| {
            let mut b = request.response(code).to_tag(local_tag);
            if !why.is_empty() {
                b = b.reason(why.to_owned());
            }
            Box::new(b.build())
        };
        let headers = request.headers();
        let (event, expires, no_subscription) = match request.method() {
            Method::Subscribe => {
                let event = match headers.typed_first::<Event>() {
                    Ok(Some(e)) => e,
                    _ => return Err(reply(StatusCode::BAD_REQUEST, "Missing or bad Event")),
                };
                let expires = match headers.typed_first::<Expires>() {
                    Ok(e) => e.map_or(config.default_expires, |e| e.0),
                    Err(_) => return Err(reply(StatusCode::BAD_REQUEST, "Bad Expires")),
                };
                if expires > 0 && expires < config.min_expires {
                    let mut r = reply(StatusCode::INTERVAL_TOO_BRIEF, "");
                    r.headers_mut().push_typed(&MinExpires(config.min_expires));
                    return Err(r);
                }
                (event, expires.min(config.max_expires), false)
            }
            Method::Refer => {
                match headers.typed_all::<ReferTo>() {
                    Ok(v) if v.len() == 1 => {}
                    _ => return Err(reply(StatusCode::BAD_REQUEST, "Missing or bad Refer-To")),
                }
                let no_sub = match headers.typed_first::<ReferSub>() {
                    Ok(r) => r.is_some_and(|r| !r.value),
                    Err(_) => return Err(reply(StatusCode::BAD_REQUEST, "Bad Refer-Sub")),
                };
                (
                    Event::new("refer"),
                    config.default_expires.min(config.max_expires),
                    no_sub,
                )
            }
            _ => {
                return Err(Box::new(
                    request
                        .response(StatusCode::METHOD_NOT_ALLOWED)
                        .to_tag(local_tag)
                        .header(HeaderName::Allow, "SUBSCRIBE, REFER")
                        .build(),
                ));
            }
        };
        let dialog = Dialog::uas(request, local_tag, local_contact)
            .map_err(|e| reply(StatusCode::BAD_REQUEST, &e.to_string()))?;
        Ok(Notifier {
            now,
            config,
            state: NotifierState::Incoming,
            request: request.clone(),
            dialog,
            local_tag: local_tag.to_owned(),
            event,
            expires,
            expires_at: None,
            content: None,
            no_subscription,
            term_reason: None,
            notify_in_flight: None,
            notify_dirty: false,
            final_notify_sent: false,
            did_end_posted: false,
            outputs: VecDeque::new(),
        })
    }

    /// The current state.
    pub fn state(&self) -> NotifierState {
        self.state
    }

    /// The request that created the subscription.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// The event (`refer` for a REFER).
    pub fn event(&self) -> &Event {
        &self.event
    }

    /// The dialog.
    pub fn dialog(&self) -> &Dialog {
        &self.dialog
    }

    /// Where NOTIFYs go first.
    pub fn next_hop(&self) -> &crate::uri::Uri {
        self.dialog.next_hop()
    }

    /// The last content set.
    pub fn content(&self) -> Option<&Content> {
        self.content.as_ref()
    }

    /// The subscription duration granted, in seconds.
    pub fn expires(&self) -> u32 {
        self.expires
    }

    /// True for a REFER with `Refer-Sub: false` (no implicit subscription, RFC 4488).
    pub fn is_without_subscription(&self) -> bool {
        self.no_subscription
    }

    /// Sets the duration granted by the answer (the IncomingReferral's `duration`); only in
    /// `incoming`.
    pub fn set_duration(&mut self, secs: u32) -> Result<(), SubscriptionError> {
        if self.state != NotifierState::Incoming {
            return Err(self.invalid("set_duration"));
        }
        self.expires = secs;
        Ok(())
    }

    /// Accepts: in `incoming` answers `code` (200 for SUBSCRIBE, 202 for REFER) then sends a
    /// NOTIFY `active` with `content` (or the content set before); in `pending` only sends
    /// the NOTIFY. A REFER without subscription is answered (with `Refer-Sub: false`) and
    /// ends at once.
    pub fn accept(
        &mut self,
        now: Instant,
        code: u16,
        content: Option<Content>,
    ) -> Result<(), SubscriptionError> {
        if !(200..300).contains(&code) {
            return Err(SubscriptionError::InvalidCode(code));
        }
        if content.is_some() {
            self.content = content;
        }
        self.now = now;
        match self.state {
            NotifierState::Incoming => {
                self.respond(now, code);
                if self.no_subscription {
                    self.terminate(None);
                    return Ok(());
                }
                self.set_state(NotifierState::Active);
                self.after_answer(now);
            }
            NotifierState::Pending => {
                self.set_state(NotifierState::Active);
                self.send_notify();
            }
            _ => return Err(self.invalid("accept")),
        }
        Ok(())
    }

    /// Answers 202 and sends a NOTIFY `pending`; only in `incoming`.
    pub fn accept_pending(&mut self, now: Instant) -> Result<(), SubscriptionError> {
        if self.state != NotifierState::Incoming {
            return Err(self.invalid("accept_pending"));
        }
        self.respond(now, 202);
        if self.no_subscription {
            self.terminate(None);
            return Ok(());
        }
        self.set_state(NotifierState::Pending);
        self.after_answer(now);
        Ok(())
    }

    /// Rejects with `code` (300–699); only in `incoming`.
    pub fn reject(&mut self, code: u16) -> Result<(), SubscriptionError> {
        if self.state != NotifierState::Incoming {
            return Err(self.invalid("reject"));
        }
        let status = match StatusCode::new(code) {
            Some(s) if (300..700).contains(&code) => s,
            _ => return Err(SubscriptionError::InvalidCode(code)),
        };
        let response = self
            .request
            .response(status)
            .to_tag(&self.local_tag)
            .build();
        self.outputs
            .push_back(NotifierOutput::Respond(Box::new(response)));
        self.final_notify_sent = true;
        self.terminate(None);
        Ok(())
    }

    /// Stores `content` and sends it in a NOTIFY; only in `active`.
    pub fn push_content(
        &mut self,
        now: Instant,
        content: Content,
    ) -> Result<(), SubscriptionError> {
        if self.state != NotifierState::Active {
            return Err(self.invalid("push_content"));
        }
        self.now = now;
        self.content = Some(content);
        self.send_notify();
        Ok(())
    }

    /// Stores `content` and ends the subscription with a NOTIFY
    /// `terminated;reason=<reason>` carrying it (the final NOTIFY of a referral); only in
    /// `active` or `pending`.
    pub fn push_final_content(
        &mut self,
        now: Instant,
        content: Content,
        reason: &str,
    ) -> Result<(), SubscriptionError> {
        if !matches!(self.state, NotifierState::Active | NotifierState::Pending) {
            return Err(self.invalid("push_final_content"));
        }
        self.now = now;
        self.content = Some(content);
        self.terminate(Some(reason));
        self.send_notify();
        Ok(())
    }

    /// Ends the subscription: NOTIFY `terminated;reason=<reason>` (`noresource` when
    /// `None`) in `active`/`pending`; a 480 answer in `incoming`; nothing when terminated.
    pub fn end(&mut self, now: Instant, reason: Option<&str>) {
        self.now = now;
        match self.state {
            NotifierState::Incoming => {
                let _ = self.reject(480);
            }
            NotifierState::Pending | NotifierState::Active => {
                self.terminate(Some(reason.unwrap_or("noresource")));
                self.send_notify();
            }
            NotifierState::Terminated => {}
        }
    }

    /// Takes the next output.
    pub fn poll_output(&mut self) -> Option<NotifierOutput> {
        let output = self.outputs.pop_front();
        if output.is_none() {
            // A long-lived session keeps no queue buffer between bursts of outputs.
            self.outputs = VecDeque::new();
        }
        output
    }

    /// When [`handle_timeout`](Self::handle_timeout) is due next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.expires_at
    }

    /// The subscription expired: NOTIFY `terminated;reason=timeout`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        if self.expires_at.is_some_and(|t| now >= t) {
            self.expires_at = None;
            if matches!(self.state, NotifierState::Active | NotifierState::Pending) {
                self.terminate(Some("timeout"));
                self.send_notify();
            }
        }
    }

    /// A request in the dialog: a refreshing SUBSCRIBE (200, then a NOTIFY with the latest
    /// content) or an unsubscribe (200, then the terminating NOTIFY). Returns the response:
    /// also 481 when terminated or not answered yet, 489 for another event, 423 for a too
    /// brief Expires, 400 for bad headers, 500 for an old CSeq, 405 for other methods.
    pub fn handle_request(&mut self, now: Instant, request: &Request) -> Response {
        self.now = now;
        let answer = |code: StatusCode| request.response(code).build();
        if request.method() != &Method::Subscribe {
            return request
                .response(StatusCode::METHOD_NOT_ALLOWED)
                .header(HeaderName::Allow, "SUBSCRIBE")
                .build();
        }
        if matches!(
            self.state,
            NotifierState::Incoming | NotifierState::Terminated
        ) {
            return answer(StatusCode::CALL_OR_TRANSACTION_DOES_NOT_EXIST);
        }
        match self.dialog.receive_request(request) {
            Ok(()) => {}
            Err(DialogError::CSeqOutOfOrder { .. }) => {
                return answer(StatusCode::SERVER_INTERNAL_ERROR);
            }
            Err(DialogError::Mismatch) => {
                return answer(StatusCode::CALL_OR_TRANSACTION_DOES_NOT_EXIST);
            }
            Err(_) => return answer(StatusCode::BAD_REQUEST),
        }
        match request.headers().typed_first::<Event>() {
            Ok(Some(e))
                if e.event_type.eq_ignore_ascii_case(&self.event.event_type)
                    && e.id() == self.event.id() => {}
            Ok(Some(_)) => return answer(StatusCode::BAD_EVENT),
            _ => return answer(StatusCode::BAD_REQUEST),
        }
        let expires = match request.headers().typed_first::<Expires>() {
            Ok(e) => e.map_or(self.config.default_expires, |e| e.0),
            Err(_) => return answer(StatusCode::BAD_REQUEST),
        };
        if expires > 0 && expires < self.config.min_expires {
            return request
                .response(StatusCode::INTERVAL_TOO_BRIEF)
                .typed(&MinExpires(self.config.min_expires))
                .build();
        }
        let expires = expires.min(self.config.max_expires);
        let response = request
            .response(StatusCode::OK)
            .typed(self.dialog.local_contact())
            .typed(&Expires(expires))
            .build();
        if expires == 0 {
            self.push(NotifierEvent::GotUnsubscribe(Box::new(request.clone())));
            self.terminate(Some("timeout"));
        } else {
            self.push(NotifierEvent::GotRefreshingSubscribe(Box::new(
                request.clone(),
            )));
            self.expires = expires;
            self.expires_at = Some(now + Duration::from_secs(u64::from(expires)));
        }
        self.send_notify();
        response
    }

    /// The final response to the NOTIFY in flight: a non-2xx ends the subscription (RFC 6665
    /// §4.2.2).
    pub fn handle_notify_response(&mut self, now: Instant, response: &Response) {
        self.now = now;
        let code = response.status().code();
        if code >= 200 {
            self.notify_done(code);
        }
    }

    /// The NOTIFY in flight failed without a response (408 timeout, 503 transport error,
    /// 0 internal): the subscription ends.
    pub fn handle_notify_failure(&mut self, now: Instant, code: u16) {
        self.now = now;
        self.notify_done(code);
    }

    // --- internals ---------------------------------------------------------------------------

    fn invalid(&self, operation: &'static str) -> SubscriptionError {
        SubscriptionError::InvalidState {
            operation,
            state: self.state.as_str().to_owned(),
        }
    }

    fn push(&mut self, event: NotifierEvent) {
        self.outputs.push_back(NotifierOutput::Event(event));
    }

    fn set_state(&mut self, state: NotifierState) {
        if state != self.state {
            let prev_state = self.state;
            self.state = state;
            self.push(NotifierEvent::ChangedState { prev_state, state });
        }
    }

    /// Ends in `terminated`. With a `reason` the terminating NOTIFY follows (the caller sends
    /// it) and DidEnd is reported after it; without, DidEnd is reported now.
    fn terminate(&mut self, reason: Option<&str>) {
        if self.state == NotifierState::Terminated {
            return;
        }
        self.term_reason = reason.map(str::to_owned);
        self.expires_at = None;
        self.set_state(NotifierState::Terminated);
        if reason.is_none() {
            self.final_notify_sent = true;
            self.post_did_end();
        }
    }

    fn post_did_end(&mut self) {
        if !self.did_end_posted {
            self.did_end_posted = true;
            self.push(NotifierEvent::DidEnd);
        }
    }

    fn respond(&mut self, now: Instant, code: u16) {
        self.now = now;
        let status = StatusCode::new(code).unwrap_or(StatusCode::OK);
        let mut b = self
            .request
            .response(status)
            .to_tag(&self.local_tag)
            .typed(self.dialog.local_contact());
        if self.request.method() == &Method::Subscribe {
            b = b.typed(&Expires(self.expires));
        } else if self.no_subscription {
            b = b.typed(&ReferSub::new(false));
        }
        self.outputs
            .push_back(NotifierOutput::Respond(Box::new(b.build())));
    }

    fn after_answer(&mut self, now: Instant) {
        if self.expires == 0 {
            // A fetch: one NOTIFY, terminated.
            self.terminate(Some("timeout"));
        } else {
            self.expires_at = Some(now + Duration::from_secs(u64::from(self.expires)));
        }
        self.send_notify();
    }

    /// Sends a NOTIFY with the current state, or marks one to follow the one in flight.
    fn send_notify(&mut self) {
        if self.final_notify_sent {
            return;
        }
        if self.notify_in_flight.is_some() {
            self.notify_dirty = true;
            return;
        }
        let sub_state = match self.state {
            NotifierState::Incoming => return,
            NotifierState::Pending => SubscriptionState::pending(self.remaining()),
            NotifierState::Active => SubscriptionState::active(self.remaining()),
            NotifierState::Terminated => {
                self.final_notify_sent = true;
                SubscriptionState::terminated(self.term_reason.as_deref())
            }
        };
        let mut builder = self
            .dialog
            .request(Method::Notify)
            .typed(&self.event)
            .typed(&sub_state);
        // A pending subscription reveals no state (RFC 6665 §4.2.1.2) unless it is a referral.
        let with_body =
            self.state != NotifierState::Pending || self.request.method() == &Method::Refer;
        if with_body && let Some(c) = &self.content {
            builder = builder.body(&c.content_type, c.body.clone());
        }
        let notify = builder.build();
        self.notify_in_flight = Some(notify.clone());
        self.outputs
            .push_back(NotifierOutput::Notify(Box::new(notify)));
        if self.final_notify_sent {
            self.post_did_end();
        }
    }

    fn remaining(&self) -> u32 {
        match self.expires_at {
            Some(at) => {
                u32::try_from(at.saturating_duration_since(self.now).as_secs()).unwrap_or(u32::MAX)
            }
            None => self.expires,
        }
    }

    fn notify_done(&mut self, code: u16) {
        if self.notify_in_flight.take().is_none() {
            return;
        }
        if !(200..300).contains(&code) {
            self.final_notify_sent = true;
            if self.state == NotifierState::Terminated {
                self.post_did_end();
            } else {
                self.terminate(None);
            }
            return;
        }
        if std::mem::take(&mut self.notify_dirty) {
            self.send_notify();
        }
    }
}
