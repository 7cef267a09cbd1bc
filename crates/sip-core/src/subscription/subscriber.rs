//! The subscriber side of an event subscription (RFC 6665 §4.1), sans-IO.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};

use super::{Content, SubscriptionError, refresh_delay};
use crate::dialog::{Dialog, DialogError, DialogId};
use crate::header::{
    CSeq, CallId, Contact, Event, Expires, FromHeader, Header, HeaderName, MaxForwards, MinExpires,
    RecordRoute, ReferSub, ReferTo, SubState, SubscriptionState, ToHeader,
};
use crate::message::{Method, Request, Response, StatusCode};
use crate::uri::Uri;

/// How many times one request is re-sent after a 423 Interval Too Brief.
const MAX_INTERVAL_RETRIES: u8 = 2;

/// The state of a subscriber (the seed's `Subscription.state` / `Referral.state`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SubscriberState {
    /// Created, nothing sent.
    Null,
    /// The initial SUBSCRIBE (or REFER) is sent, no answer yet.
    Sent,
    /// The initial request got a 2xx, no NOTIFY yet.
    Accepted,
    /// A NOTIFY said `pending`.
    Pending,
    /// A NOTIFY said `active`.
    Active,
    /// Ended.
    Terminated,
    /// A NOTIFY carried another Subscription-State value: this is it, as written.
    Other(String),
}

impl SubscriberState {
    /// The seed's state string: `NULL`, `SENT`, `ACCEPTED`, `PENDING`, `ACTIVE`,
    /// `TERMINATED`, or the Subscription-State value as received.
    pub fn as_str(&self) -> &str {
        match self {
            SubscriberState::Null => "NULL",
            SubscriberState::Sent => "SENT",
            SubscriberState::Accepted => "ACCEPTED",
            SubscriberState::Pending => "PENDING",
            SubscriberState::Active => "ACTIVE",
            SubscriberState::Terminated => "TERMINATED",
            SubscriberState::Other(s) => s,
        }
    }
}

impl std::fmt::Display for SubscriberState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The request that creates the subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitialRequest {
    /// A SUBSCRIBE for the configured event package (RFC 6665).
    Subscribe,
    /// A REFER (RFC 3515) asking the peer to contact `refer_to`. With `create_subscription`
    /// false the REFER carries `Refer-Sub: false` (RFC 4488): no NOTIFYs follow and its 2xx
    /// ends the referral.
    Refer {
        /// The Refer-To header.
        refer_to: Box<ReferTo>,
        /// Whether the implicit subscription is wanted.
        create_subscription: bool,
    },
}

/// What a [`Subscriber`] is created with.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SubscriberConfig {
    /// The Request-URI of the initial request.
    pub request_uri: Uri,
    /// Our From header; its tag is replaced by a fresh one.
    pub from_header: FromHeader,
    /// The To header of the initial request.
    pub to_header: ToHeader,
    /// Our Contact.
    pub contact_header: Contact,
    /// The event package (`presence`, …; `refer` for a REFER).
    pub event: String,
    /// The subscription duration asked for, in seconds (the seed's `refresh`).
    pub refresh: u32,
    /// Accept header values sent with SUBSCRIBE requests (none by default).
    pub accept: Vec<String>,
    /// SUBSCRIBE or REFER.
    pub initial: InitialRequest,
    /// T1; a NOTIFY must follow the 2xx within 64·T1 (RFC 6665 §4.1.2.4).
    pub t1: Duration,
}

impl SubscriberConfig {
    /// A SUBSCRIBE configuration with a refresh of 300 s and T1 of 500 ms.
    pub fn new(
        request_uri: Uri,
        from_header: FromHeader,
        to_header: ToHeader,
        contact_header: Contact,
        event: &str,
    ) -> Self {
        SubscriberConfig {
            request_uri,
            from_header,
            to_header,
            contact_header,
            event: event.to_owned(),
            refresh: 300,
            accept: Vec::new(),
            initial: InitialRequest::Subscribe,
            t1: Duration::from_millis(500),
        }
    }

    /// Builder: the duration asked for.
    #[must_use]
    pub fn with_refresh(mut self, refresh: u32) -> Self {
        self.refresh = refresh;
        self
    }

    /// Builder: the Accept values.
    #[must_use]
    pub fn with_accept(mut self, accept: Vec<String>) -> Self {
        self.accept = accept;
        self
    }

    /// Builder: T1.
    #[must_use]
    pub fn with_t1(mut self, t1: Duration) -> Self {
        self.t1 = t1;
        self
    }

    /// Builder: a REFER instead of a SUBSCRIBE (event `refer`).
    #[must_use]
    pub fn refer(mut self, refer_to: ReferTo, create_subscription: bool) -> Self {
        self.event = "refer".to_owned();
        self.initial = InitialRequest::Refer {
            refer_to: Box::new(refer_to),
            create_subscription,
        };
        self
    }
}

/// What happened, for the owner to report.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubscriberEvent {
    /// The state changed.
    ChangedState {
        /// The state before.
        prev_state: SubscriberState,
        /// The state now.
        state: SubscriberState,
    },
    /// The initial request is sent.
    WillStart,
    /// The initial request got a 2xx.
    DidStart,
    /// A NOTIFY of this subscription arrived (it was answered 200).
    GotNotify(Box<Request>),
    /// The subscription failed and is terminated: a request was rejected (`code`, `reason`
    /// and `min_expires` from the response), timed out (408), or the notifier ended it
    /// (`code` 0, `reason` the Subscription-State reason).
    DidFail {
        /// The response code, 408 for timeouts, 0 for other failures.
        code: u16,
        /// The reason phrase or a description.
        reason: String,
        /// The Min-Expires of a 423.
        min_expires: Option<u32>,
    },
    /// The subscription ended normally (unsubscribed; for a referral also the NOTIFY with
    /// `reason=noresource` or the 2xx of a REFER without subscription).
    DidEnd,
}

/// What the owner must do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubscriberOutput {
    /// Send this request in a new client transaction (add the top Via and any
    /// authorization), to [`Subscriber::next_hop`] or, without one, to the configured route.
    /// Pass its final response to [`Subscriber::handle_response`].
    Request(Box<Request>),
    /// Report this.
    Event(SubscriberEvent),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Initial,
    Refresh,
    Unsubscribe,
}

#[derive(Debug, Clone)]
struct InFlight {
    kind: Kind,
    request: Request,
}

/// The subscriber side of one subscription (a `Subscription` or a `Referral`): builds the
/// SUBSCRIBE/REFER requests, follows their responses and the NOTIFYs, refreshes before
/// expiry and reports in [`SubscriberEvent`]s.
///
/// Driving loop: call the command methods ([`subscribe`](Self::subscribe),
/// [`end`](Self::end)) and the `handle_*` methods with the current time, then drain
/// [`poll_output`](Self::poll_output) and wake up at [`poll_timeout`](Self::poll_timeout)
/// to call [`handle_timeout`](Self::handle_timeout).
#[derive(Debug)]
pub struct Subscriber {
    config: SubscriberConfig,
    state: SubscriberState,
    rng: StdRng,
    call_id: String,
    from_tag: String,
    /// The CSeq of the next request sent outside the dialog.
    cseq: u32,
    dialog: Option<Dialog>,
    /// The initial request of the current dialog attempt.
    initial_request: Option<Request>,
    extra_headers: Vec<Header>,
    content: Option<Content>,
    expires: u32,
    in_flight: Option<InFlight>,
    queued: Option<Kind>,
    interval_retries: u8,
    got_2xx: bool,
    got_notify: bool,
    end_requested: bool,
    /// DidEnd or DidFail was reported.
    finished: bool,
    /// The subscription duration the notifier granted last.
    granted: Option<u32>,
    refresh_at: Option<Instant>,
    expires_at: Option<Instant>,
    notify_deadline: Option<Instant>,
    resubscribe_at: Option<Instant>,
    outputs: VecDeque<SubscriberOutput>,
}

impl Subscriber {
    /// A subscriber in NULL. Tags and the Call-ID come from an RNG seeded with `seed`.
    pub fn new(config: SubscriberConfig, seed: u64) -> Subscriber {
        let mut rng = StdRng::seed_from_u64(seed);
        let call_id = format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64());
        let from_tag = format!("{:016x}", rng.next_u64());
        let expires = config.refresh;
        Subscriber {
            config,
            state: SubscriberState::Null,
            rng,
            call_id,
            from_tag,
            cseq: 1,
            dialog: None,
            initial_request: None,
            extra_headers: Vec::new(),
            content: None,
            expires,
            in_flight: None,
            queued: None,
            interval_retries: 0,
            got_2xx: false,
            got_notify: false,
            end_requested: false,
            finished: false,
            granted: None,
            refresh_at: None,
            expires_at: None,
            notify_deadline: None,
            resubscribe_at: None,
            outputs: VecDeque::new(),
        }
    }

    /// The current state.
    pub fn state(&self) -> &SubscriberState {
        &self.state
    }

    /// The configuration.
    pub fn config(&self) -> &SubscriberConfig {
        &self.config
    }

    /// The Call-ID and our From tag of the current attempt (they change when the subscriber
    /// subscribes again after a `deactivated`/`timeout`/`probation` termination).
    pub fn local_id(&self) -> (&str, &str) {
        (&self.call_id, &self.from_tag)
    }

    /// The dialog, once a 2xx or a NOTIFY formed it.
    pub fn dialog(&self) -> Option<&Dialog> {
        self.dialog.as_ref()
    }

    /// Where the next request goes first: the dialog's next hop, `None` before the dialog
    /// exists (then the configured route).
    pub fn next_hop(&self) -> Option<&Uri> {
        self.dialog.as_ref().map(Dialog::next_hop)
    }

    /// The extra headers of the last [`subscribe`](Self::subscribe).
    pub fn extra_headers(&self) -> &[Header] {
        &self.extra_headers
    }

    /// The body of the last [`subscribe`](Self::subscribe).
    pub fn content(&self) -> Option<&Content> {
        self.content.as_ref()
    }

    /// The subscription duration granted by the notifier (2xx Expires or the NOTIFY's
    /// `expires`), `None` before.
    pub fn granted_expires(&self) -> Option<u32> {
        self.granted
    }

    /// Makes the initial request a REFER to `refer_to` (event `refer`); only in NULL.
    pub fn set_refer(
        &mut self,
        refer_to: ReferTo,
        create_subscription: bool,
    ) -> Result<(), SubscriptionError> {
        if self.state != SubscriberState::Null {
            return Err(self.invalid("set_refer"));
        }
        self.config = self.config.clone().refer(refer_to, create_subscription);
        Ok(())
    }

    /// Replaces our Contact for the next requests.
    pub fn set_contact(&mut self, contact: Contact) {
        if let Some(d) = &mut self.dialog {
            d.set_local_contact(contact.clone());
        }
        self.config.contact_header = contact;
    }

    /// Sends the initial request (NULL), or stores `extra_headers` and `content` for the
    /// refreshes and sends a refresh now (while subscribed). Fails in TERMINATED.
    pub fn subscribe(
        &mut self,
        now: Instant,
        extra_headers: Vec<Header>,
        content: Option<Content>,
    ) -> Result<(), SubscriptionError> {
        if self.state == SubscriberState::Terminated {
            return Err(self.invalid("subscribe"));
        }
        self.extra_headers = extra_headers;
        self.content = content;
        if self.state == SubscriberState::Null {
            self.send(now, Kind::Initial);
            self.push(SubscriberEvent::WillStart);
            self.set_state(SubscriberState::Sent);
        } else if self.end_requested {
            return Err(self.invalid("subscribe"));
        } else {
            self.send(now, Kind::Refresh);
        }
        Ok(())
    }

    /// Sends a refreshing SUBSCRIBE now with the stored arguments (the Referral's manual
    /// refresh). Fails in NULL and TERMINATED.
    pub fn refresh(&mut self, now: Instant) -> Result<(), SubscriptionError> {
        match self.state {
            SubscriberState::Null | SubscriberState::Terminated => Err(self.invalid("refresh")),
            _ if self.end_requested => Err(self.invalid("refresh")),
            _ => {
                self.send(now, Kind::Refresh);
                Ok(())
            }
        }
    }

    /// Unsubscribes (SUBSCRIBE with `Expires: 0`); does nothing when no longer subscribed.
    /// Fails in NULL.
    pub fn end(&mut self, now: Instant) -> Result<(), SubscriptionError> {
        match self.state {
            SubscriberState::Null => return Err(self.invalid("end")),
            SubscriberState::Terminated => return Ok(()),
            _ => {}
        }
        if self.end_requested {
            return Ok(());
        }
        self.end_requested = true;
        self.resubscribe_at = None;
        if self.dialog.is_some() {
            self.send(now, Kind::Unsubscribe);
        } else if !self
            .in_flight
            .as_ref()
            .is_some_and(|f| f.kind == Kind::Initial)
        {
            // Nothing to unsubscribe from (waiting to subscribe again).
            self.terminate(SubscriberEvent::DidEnd);
        }
        // Otherwise the unsubscribe follows the 2xx of the initial request.
        Ok(())
    }

    /// Takes the next output.
    pub fn poll_output(&mut self) -> Option<SubscriberOutput> {
        let output = self.outputs.pop_front();
        if output.is_none() {
            // A long-lived session keeps no queue buffer between bursts of outputs.
            self.outputs = VecDeque::new();
        }
        output
    }

    /// When [`handle_timeout`](Self::handle_timeout) is due next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.refresh_at,
            self.expires_at,
            self.notify_deadline,
            self.resubscribe_at,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Runs the timers due at `now`: refresh, expiry, the NOTIFY deadline after the 2xx,
    /// subscribing again after a `retry-after`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.notify_deadline.is_some_and(|t| now >= t) {
            self.notify_deadline = None;
            if !self.got_notify && self.state != SubscriberState::Terminated {
                self.fail(408, "No NOTIFY received".to_owned(), None);
                return;
            }
        }
        if self.expires_at.is_some_and(|t| now >= t) {
            self.expires_at = None;
            self.refresh_at = None;
            if self.state != SubscriberState::Terminated {
                self.fail(408, "Subscription expired".to_owned(), None);
                return;
            }
        }
        if self.refresh_at.is_some_and(|t| now >= t) {
            self.refresh_at = None;
            if self.state != SubscriberState::Terminated && !self.end_requested {
                self.send(now, Kind::Refresh);
            }
        }
        if self.resubscribe_at.is_some_and(|t| now >= t) {
            self.resubscribe_at = None;
            self.restart(now);
        }
    }

    /// A request to re-send after a 401/407: the request in flight with the next CSeq (add
    /// the credentials and send it instead). `None` when nothing is in flight.
    pub fn retry_request(&mut self) -> Option<Request> {
        let flight = self.in_flight.as_mut()?;
        let mut request = flight.request.clone();
        let seq = match (&mut self.dialog, flight.kind) {
            (Some(d), Kind::Refresh | Kind::Unsubscribe) => {
                let seq = d.next_local_seq();
                // Advances the dialog's CSeq past the number taken.
                let _ = d.request(Method::Subscribe);
                seq
            }
            _ => {
                let seq = self.cseq;
                self.cseq += 1;
                seq
            }
        };
        let method = request.method().clone();
        request.headers_mut().set_typed(&CSeq::new(seq, method));
        request.headers_mut().remove_all(&HeaderName::Authorization);
        request
            .headers_mut()
            .remove_all(&HeaderName::ProxyAuthorization);
        flight.request = request.clone();
        Some(request)
    }

    /// The final response to the request in flight (responses to other requests are
    /// ignored).
    pub fn handle_response(&mut self, now: Instant, response: &Response) {
        let code = response.status().code();
        if code < 200 {
            return;
        }
        let Some(flight) = self.in_flight.take() else {
            return;
        };
        if !same_transaction(&flight.request, response) {
            self.in_flight = Some(flight);
            return;
        }
        let min_expires = response
            .headers()
            .typed_first::<MinExpires>()
            .ok()
            .flatten()
            .map(|m| m.0);
        if (200..300).contains(&code) {
            self.interval_retries = 0;
            self.on_success(now, flight, response);
        } else if code == 423
            && flight.kind != Kind::Unsubscribe
            && self.interval_retries < MAX_INTERVAL_RETRIES
            && min_expires.is_some_and(|m| m > 0)
        {
            self.interval_retries += 1;
            self.expires = min_expires.unwrap_or(self.expires).max(self.expires);
            self.send(now, flight.kind);
        } else {
            self.interval_retries = 0;
            self.on_failure(flight.kind, code, response.reason().to_owned(), min_expires);
        }
        self.send_queued(now);
    }

    /// The request in flight failed without a response: `code` 408 for a timeout, 503 for a
    /// transport error, 0 for an internal error.
    pub fn handle_request_failure(&mut self, now: Instant, code: u16, reason: &str) {
        let Some(flight) = self.in_flight.take() else {
            return;
        };
        self.on_failure(flight.kind, code, reason.to_owned(), None);
        self.send_queued(now);
    }

    /// A request received for this subscription (a NOTIFY): returns the response to send
    /// (200, or 481 for another dialog or fork, 489 for another event, 400 for a malformed
    /// NOTIFY, 500 for an old CSeq, 405 for other methods).
    pub fn handle_request(&mut self, now: Instant, request: &Request) -> Response {
        let answer = |code: u16| {
            request
                .response(StatusCode::new(code).unwrap_or(StatusCode::SERVER_INTERNAL_ERROR))
                .build()
        };
        if request.method() != &Method::Notify {
            return request
                .response(StatusCode::METHOD_NOT_ALLOWED)
                .header(HeaderName::Allow, "NOTIFY")
                .build();
        }
        let Some(id) = DialogId::of_received_request(request) else {
            return answer(481);
        };
        if id.call_id != self.call_id
            || id.local_tag != self.from_tag
            || self.state == SubscriberState::Null
        {
            return answer(481);
        }
        match request.headers().typed_first::<Event>() {
            Ok(Some(e)) if e.event_type.eq_ignore_ascii_case(&self.config.event) => {}
            Ok(Some(_)) => return answer(489),
            Ok(None) | Err(_) => return answer(400),
        }
        let sub_state = match request.headers().typed_first::<SubscriptionState>() {
            Ok(Some(s)) => s,
            Ok(None) | Err(_) => return answer(400),
        };
        match &mut self.dialog {
            Some(d) if d.id().remote_tag != id.remote_tag => return answer(481),
            Some(d) => match d.receive_request(request) {
                Ok(()) => {}
                Err(DialogError::CSeqOutOfOrder { .. }) => return answer(500),
                Err(DialogError::Mismatch) => return answer(481),
                Err(_) => return answer(400),
            },
            None => match self.dialog_from_notify(request) {
                Some(d) => self.dialog = Some(d),
                None => return answer(400),
            },
        }
        let ok = answer(200);
        self.push(SubscriberEvent::GotNotify(Box::new(request.clone())));
        if self.finished {
            return ok;
        }
        self.got_notify = true;
        self.notify_deadline = None;
        match &sub_state.state {
            SubState::Active | SubState::Pending => {
                if let Some(e) = sub_state.expires() {
                    self.granted = Some(e);
                    self.set_timers(now, e);
                }
                let state = if sub_state.state == SubState::Active {
                    SubscriberState::Active
                } else {
                    SubscriberState::Pending
                };
                if !self.end_requested {
                    self.set_state(state);
                }
            }
            SubState::Terminated => self.on_terminated(now, &sub_state),
            SubState::Other(s) => {
                if !self.end_requested {
                    self.set_state(SubscriberState::Other(s.to_string()));
                }
            }
        }
        ok
    }

    // --- internals ---------------------------------------------------------------------------

    fn invalid(&self, operation: &'static str) -> SubscriptionError {
        SubscriptionError::InvalidState {
            operation,
            state: self.state.as_str().to_owned(),
        }
    }

    fn push(&mut self, event: SubscriberEvent) {
        self.outputs.push_back(SubscriberOutput::Event(event));
    }

    fn set_state(&mut self, state: SubscriberState) {
        if state != self.state {
            let prev_state = std::mem::replace(&mut self.state, state.clone());
            self.push(SubscriberEvent::ChangedState { prev_state, state });
        }
    }

    fn set_timers(&mut self, now: Instant, expires: u32) {
        self.expires_at = Some(now + Duration::from_secs(u64::from(expires)));
        self.refresh_at = Some(now + refresh_delay(expires));
    }

    fn clear_timers(&mut self) {
        self.refresh_at = None;
        self.expires_at = None;
        self.notify_deadline = None;
        self.resubscribe_at = None;
    }

    /// Ends in TERMINATED with `event` (DidEnd or DidFail), once.
    fn terminate(&mut self, event: SubscriberEvent) {
        self.clear_timers();
        self.queued = None;
        self.set_state(SubscriberState::Terminated);
        if !self.finished {
            self.finished = true;
            self.push(event);
        }
    }

    fn fail(&mut self, code: u16, reason: String, min_expires: Option<u32>) {
        self.terminate(SubscriberEvent::DidFail {
            code,
            reason,
            min_expires,
        });
    }

    fn is_refer(&self) -> bool {
        matches!(self.config.initial, InitialRequest::Refer { .. })
    }

    fn send(&mut self, _now: Instant, kind: Kind) {
        if self.in_flight.is_some() {
            // One request at a time; an unsubscribe replaces a queued refresh.
            if self.queued != Some(Kind::Unsubscribe) {
                self.queued = Some(kind);
            }
            return;
        }
        let request = self.build(kind);
        if kind == Kind::Initial {
            self.initial_request = Some(request.clone());
        }
        self.in_flight = Some(InFlight {
            kind,
            request: request.clone(),
        });
        self.outputs
            .push_back(SubscriberOutput::Request(Box::new(request)));
    }

    fn send_queued(&mut self, now: Instant) {
        if self.in_flight.is_none()
            && self.state != SubscriberState::Terminated
            && let Some(kind) = self.queued.take()
            && (self.dialog.is_some() || kind == Kind::Initial)
        {
            self.send(now, kind);
        }
    }

    fn build(&mut self, kind: Kind) -> Request {
        let refer = kind == Kind::Initial && self.is_refer();
        let method = if refer {
            Method::Refer
        } else {
            Method::Subscribe
        };
        let mut builder = match (&mut self.dialog, kind) {
            (Some(d), Kind::Refresh | Kind::Unsubscribe) => d.request(Method::Subscribe),
            _ => {
                let seq = self.cseq;
                self.cseq += 1;
                let mut from = self.config.from_header.clone();
                from.set_tag(&self.from_tag);
                let mut to = self.config.to_header.clone();
                to.params.remove("tag");
                Request::builder(method.clone(), self.config.request_uri.clone())
                    .typed(&MaxForwards(70))
                    .typed(&from)
                    .typed(&to)
                    .typed(&CallId::new(self.call_id.clone()))
                    .typed(&CSeq::new(seq, method))
                    .typed(&self.config.contact_header)
            }
        };
        if let (
            true,
            InitialRequest::Refer {
                refer_to,
                create_subscription,
            },
        ) = (refer, &self.config.initial)
        {
            builder = builder.typed(refer_to.as_ref());
            if !create_subscription {
                builder = builder
                    .typed(&ReferSub::new(false))
                    .header(HeaderName::Supported, "norefersub");
            }
        } else {
            builder = builder.typed(&Event::new(self.config.event.clone()));
            let expires = if kind == Kind::Unsubscribe {
                0
            } else {
                self.expires
            };
            builder = builder.typed(&Expires(expires));
            for accept in &self.config.accept {
                builder = builder.header(HeaderName::Accept, accept.clone());
            }
        }
        for h in &self.extra_headers {
            builder = builder.header(h.name().clone(), h.value_bytes().clone());
        }
        if !refer && let Some(c) = &self.content {
            builder = builder.body(&c.content_type, c.body.clone());
        }
        builder.build()
    }

    fn on_success(&mut self, now: Instant, flight: InFlight, response: &Response) {
        match &mut self.dialog {
            Some(d) => {
                // A 2xx from another fork than the NOTIFY's dialog changes nothing.
                let _ = d.receive_response(&Method::Subscribe, response);
            }
            None if flight.kind == Kind::Initial => {
                self.dialog = Dialog::uac(&flight.request, response).ok();
            }
            None => {}
        }
        if flight.kind == Kind::Unsubscribe {
            self.terminate(SubscriberEvent::DidEnd);
            return;
        }
        if self.state == SubscriberState::Terminated {
            return;
        }
        let no_subscription = match &self.config.initial {
            InitialRequest::Refer {
                create_subscription,
                ..
            } if flight.kind == Kind::Initial => {
                !create_subscription
                    || response
                        .headers()
                        .typed_first::<ReferSub>()
                        .ok()
                        .flatten()
                        .is_some_and(|r| !r.value)
            }
            _ => false,
        };
        if flight.kind == Kind::Initial {
            self.got_2xx = true;
            if self.state == SubscriberState::Sent {
                self.set_state(SubscriberState::Accepted);
            }
            self.push(SubscriberEvent::DidStart);
            if no_subscription {
                self.terminate(SubscriberEvent::DidEnd);
                return;
            }
            if !self.got_notify {
                self.notify_deadline = Some(now + self.config.t1 * 64);
            }
        }
        // The 2xx Expires is authoritative for SUBSCRIBE; a REFER's duration comes with the
        // NOTIFY (RFC 3515 §2.4.4), unless the 2xx to a refresh says it.
        let granted = response
            .headers()
            .typed_first::<Expires>()
            .ok()
            .flatten()
            .map(|e| e.0);
        let granted = match (flight.request.method(), granted) {
            (&Method::Subscribe, None) => Some(self.expires),
            (_, g) => g,
        };
        if let Some(e) = granted {
            self.granted = Some(e);
            self.set_timers(now, e);
        }
        if self.end_requested {
            self.send(now, Kind::Unsubscribe);
        }
    }

    fn on_failure(&mut self, kind: Kind, code: u16, reason: String, min_expires: Option<u32>) {
        if kind == Kind::Unsubscribe || (self.end_requested && kind == Kind::Initial) {
            // No longer subscribed either way.
            self.terminate(SubscriberEvent::DidEnd);
        } else {
            self.fail(code, reason, min_expires);
        }
    }

    /// A NOTIFY said `terminated` (RFC 6665 §4.1.3).
    fn on_terminated(&mut self, now: Instant, sub_state: &SubscriptionState) {
        if self.end_requested {
            self.set_state(SubscriberState::Terminated);
            self.clear_timers();
            if self.in_flight.is_none() {
                self.terminate(SubscriberEvent::DidEnd);
            }
            return;
        }
        let reason = sub_state.reason().map(str::to_ascii_lowercase);
        let retry_after = sub_state.retry_after();
        let again_after = match reason.as_deref() {
            _ if self.is_refer() => None,
            Some("deactivated" | "timeout") => Some(retry_after.unwrap_or(0)),
            Some("probation") => retry_after,
            _ => None,
        };
        match again_after {
            Some(secs) => {
                self.clear_timers();
                self.in_flight = None;
                self.queued = None;
                if secs == 0 {
                    self.restart(now);
                } else {
                    self.resubscribe_at = Some(now + Duration::from_secs(u64::from(secs)));
                    self.set_state(SubscriberState::Terminated);
                }
            }
            None => match reason.as_deref() {
                None | Some("noresource") if self.is_refer() || reason.is_none() => {
                    self.terminate(SubscriberEvent::DidEnd)
                }
                _ => {
                    let why = reason.unwrap_or_default();
                    self.fail(0, format!("Subscription terminated: {why}"), None);
                }
            },
        }
    }

    /// Subscribes again in a new dialog (after `deactivated`, `timeout` or `probation`).
    fn restart(&mut self, now: Instant) {
        self.clear_timers();
        self.dialog = None;
        self.in_flight = None;
        self.queued = None;
        self.got_2xx = false;
        self.got_notify = false;
        self.call_id = format!("{:016x}{:016x}", self.rng.next_u64(), self.rng.next_u64());
        self.from_tag = format!("{:016x}", self.rng.next_u64());
        self.cseq = 1;
        self.expires = self.config.refresh;
        self.send(now, Kind::Initial);
        self.set_state(SubscriberState::Sent);
    }

    /// The dialog a NOTIFY forms when it comes before the 2xx (RFC 6665 §4.1.2.4): as if the
    /// 2xx had come with the NOTIFY's From tag, Contact and (reversed) Record-Route.
    fn dialog_from_notify(&self, notify: &Request) -> Option<Dialog> {
        let initial = self.initial_request.as_ref()?;
        let from: FromHeader = notify.headers().typed().ok()?;
        let tag = from.tag()?;
        let contact = notify.headers().typed_first::<Contact>().ok().flatten()?;
        let mut builder = initial.response(StatusCode::OK).to_tag(tag).typed(&contact);
        let mut rr = notify.headers().typed_all::<RecordRoute>().ok()?;
        rr.reverse();
        for r in &rr {
            builder = builder.typed(r);
        }
        let mut dialog = Dialog::uac(initial, &builder.build()).ok()?;
        dialog.receive_request(notify).ok()?;
        Some(dialog)
    }
}

/// True when `response` answers `request` (same Call-ID and CSeq).
fn same_transaction(request: &Request, response: &Response) -> bool {
    let seq = |h: &crate::header::Headers| h.typed::<CSeq>().ok().map(|c| c.seq);
    let cid = |h: &crate::header::Headers| h.typed::<CallId>().ok().map(|c| c.as_str().to_owned());
    seq(request.headers()) == seq(response.headers())
        && cid(request.headers()) == cid(response.headers())
}
