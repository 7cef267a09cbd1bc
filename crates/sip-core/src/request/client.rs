//! [`Request`] and [`Message`]: client transactions with digest retry and expiry.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::{
    MessageDidFailData, MessageDidSucceedData, RequestDidEndData, RequestDidFailData,
    RequestDidSucceedData, RequestError, RequestGotProvisionalResponseData, RequestWillExpireData,
    non_empty,
};
use crate::client_exchange::transport_error_reason;
use crate::digest::{AuthDecision, Credentials, RequestAuthenticator};
use crate::engine::{ClientEvent, Engine};
use crate::header::{
    CSeq, CallId, Contact, Expires, FromHeader, Header, HeaderName, MaxForwards, Route, ToHeader,
    Via,
};
use crate::message::{Method, Request as SipRequest, Response};
use crate::notification::{NotificationCenter, NotificationData, Sender};
use crate::transaction::{Target, TransportKind};
use crate::uri::{Host, Uri};

/// The default `expire_warning_time`: `SIPRequestWillExpire` comes at least this long before
/// the expiry (30 s, as in the seed).
pub const DEFAULT_EXPIRE_WARNING_TIME: Duration = Duration::from_secs(30);

/// Most authentication retries of one request (stale nonces included), a guard against servers
/// that keep challenging.
const MAX_AUTH_RETRIES: u32 = 5;

/// The state of a [`Request`], as in the seed's lifetime diagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestState {
    /// Created, not sent yet.
    Init,
    /// Sent, waiting for the final response.
    InProgress,
    /// Succeeded with an expiring result; waiting for the expiry.
    Expiring,
    /// Finished; the object can no longer be used.
    Terminated,
}

impl RequestState {
    /// The seed's state string: `INIT`, `IN_PROGRESS`, `EXPIRING` or `TERMINATED`.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Init => "INIT",
            RequestState::InProgress => "IN_PROGRESS",
            RequestState::Expiring => "EXPIRING",
            RequestState::Terminated => "TERMINATED",
        }
    }
}

/// Which notifications the driver posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Request,
    Message,
}

#[derive(Debug)]
struct Shared {
    state: RequestState,
    cseq: u32,
    expires_at: Option<Instant>,
}

#[derive(Debug)]
struct Inner {
    engine: Engine,
    center: NotificationCenter,
    sender: Sender,
    kind: Kind,
    method: Method,
    request_uri: Uri,
    from_header: FromHeader,
    to_header: ToHeader,
    route_header: Route,
    credentials: Option<Credentials>,
    contact_header: Option<Contact>,
    call_id: String,
    extra_headers: Vec<Header>,
    content_type: Option<String>,
    body: Option<Bytes>,
    expire_warning_time: Duration,
    shared: Mutex<Shared>,
    ended: Notify,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set_state(&self, state: RequestState) {
        self.lock().state = state;
    }

    fn post<P: crate::notification::NotificationPayload>(&self, payload: P) {
        self.center
            .post_notification(Some(&self.sender), NotificationData::custom(payload));
    }
}

/// A single SIP client transaction (the seed's `Request`): sends the request, posts
/// `SIPRequestGotProvisionalResponse` for each 1xx, then `SIPRequestDidSucceed` or
/// `SIPRequestDidFail`, answers one 401/407 challenge per realm with the credentials (CSeq + 1;
/// a `stale=true` challenge is retried as well), and for expiring results (an Expires header, or
/// an `expires` parameter on the matching Contact) posts `SIPRequestWillExpire` before the
/// expiry and `SIPRequestDidEnd` on entering [`RequestState::Terminated`].
///
/// The transaction is driven by a tokio task spawned by [`send`](Self::send); dropping the
/// handle does not stop it (call [`end`](Self::end)). The `with_*` methods configure the
/// request before it is sent and have no effect afterwards. INVITE, ACK and CANCEL need a
/// dialog or an INVITE transaction and are refused.
#[derive(Debug)]
pub struct Request {
    inner: Arc<Inner>,
}

fn random_token() -> String {
    format!("{:016x}", super::random_u64())
}

impl Request {
    /// A request in [`RequestState::Init`]. `route_header`'s URI says where the request goes
    /// (its host must be an IP address; port and `transport` parameter are optional) and is
    /// also sent as the Route header. The Call-ID and CSeq are generated; change them and the
    /// optional parts with the `with_*` methods before [`send`](Self::send).
    pub fn new(
        engine: &Engine,
        center: &NotificationCenter,
        method: Method,
        request_uri: Uri,
        from_header: FromHeader,
        to_header: ToHeader,
        route_header: Route,
    ) -> Request {
        Request::build(
            Kind::Request,
            engine,
            center,
            method,
            request_uri,
            from_header,
            to_header,
            route_header,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn build(
        kind: Kind,
        engine: &Engine,
        center: &NotificationCenter,
        method: Method,
        request_uri: Uri,
        mut from_header: FromHeader,
        to_header: ToHeader,
        route_header: Route,
    ) -> Request {
        if from_header.tag().is_none() {
            from_header.set_tag(&random_token());
        }
        let label = match kind {
            Kind::Request => "Request",
            Kind::Message => "Message",
        };
        Request {
            inner: Arc::new(Inner {
                engine: engine.clone(),
                center: center.clone(),
                sender: center.new_sender(label),
                kind,
                method,
                request_uri,
                from_header,
                to_header,
                route_header,
                credentials: None,
                contact_header: None,
                call_id: format!("{}{}", random_token(), random_token()),
                extra_headers: Vec::new(),
                content_type: None,
                body: None,
                expire_warning_time: DEFAULT_EXPIRE_WARNING_TIME,
                shared: Mutex::new(Shared {
                    state: RequestState::Init,
                    cseq: (super::random_u64() % 10_000) as u32 + 1,
                    expires_at: None,
                }),
                ended: Notify::new(),
            }),
        }
    }

    fn edit(mut self, f: impl FnOnce(&mut Inner)) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            f(inner);
        }
        self
    }

    /// Sets the credentials used when challenged.
    pub fn with_credentials(self, credentials: Credentials) -> Self {
        self.edit(|i| i.credentials = Some(credentials))
    }

    /// Sets the Contact header.
    pub fn with_contact(self, contact: Contact) -> Self {
        self.edit(|i| i.contact_header = Some(contact))
    }

    /// Sets the Call-ID instead of the generated one.
    pub fn with_call_id(self, call_id: impl Into<String>) -> Self {
        let call_id = call_id.into();
        self.edit(|i| i.call_id = call_id)
    }

    /// Sets the CSeq number instead of the generated one.
    pub fn with_cseq(self, cseq: u32) -> Self {
        self.edit(|i| i.lock().cseq = cseq)
    }

    /// Sets the extra headers added to the request.
    pub fn with_extra_headers(self, headers: Vec<Header>) -> Self {
        self.edit(|i| i.extra_headers = headers)
    }

    /// Sets the body and its Content-Type.
    pub fn with_body(self, content_type: impl Into<String>, body: impl Into<Bytes>) -> Self {
        let (content_type, body) = (content_type.into(), body.into());
        self.edit(|i| {
            i.content_type = Some(content_type);
            i.body = Some(body);
        })
    }

    /// Sets how long before the expiry `SIPRequestWillExpire` comes at least (the seed's
    /// `expire_warning_time`, default [`DEFAULT_EXPIRE_WARNING_TIME`]).
    pub fn with_expire_warning_time(self, warning: Duration) -> Self {
        self.edit(|i| i.expire_warning_time = warning)
    }

    /// The notification sender this request posts as.
    pub fn sender(&self) -> &Sender {
        &self.inner.sender
    }

    /// The current state.
    pub fn state(&self) -> RequestState {
        self.inner.lock().state
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.inner.method
    }

    /// The Request-URI.
    pub fn request_uri(&self) -> &Uri {
        &self.inner.request_uri
    }

    /// The From header (with the tag used on the wire).
    pub fn from_header(&self) -> &FromHeader {
        &self.inner.from_header
    }

    /// The To header.
    pub fn to_header(&self) -> &ToHeader {
        &self.inner.to_header
    }

    /// The Route header (the destination).
    pub fn route_header(&self) -> &Route {
        &self.inner.route_header
    }

    /// The credentials, if any.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.inner.credentials.as_ref()
    }

    /// The Contact header, if any.
    pub fn contact_header(&self) -> Option<&Contact> {
        self.inner.contact_header.as_ref()
    }

    /// The Call-ID (the generated one when none was given).
    pub fn call_id(&self) -> &str {
        &self.inner.call_id
    }

    /// The CSeq number of the last request sent (it grows by one on each authentication
    /// retry).
    pub fn cseq(&self) -> u32 {
        self.inner.lock().cseq
    }

    /// The extra headers.
    pub fn extra_headers(&self) -> &[Header] {
        &self.inner.extra_headers
    }

    /// The Content-Type, `None` without a body.
    pub fn content_type(&self) -> Option<&str> {
        self.inner.content_type.as_deref()
    }

    /// The body, if any.
    pub fn body(&self) -> Option<&Bytes> {
        self.inner.body.as_ref()
    }

    /// Seconds until expiry while [`RequestState::Expiring`], otherwise 0.
    pub fn expires_in(&self) -> u64 {
        let shared = self.inner.lock();
        match (shared.state, shared.expires_at) {
            (RequestState::Expiring, Some(at)) => {
                at.saturating_duration_since(Instant::now()).as_secs()
            }
            _ => 0,
        }
    }

    /// The remote address the request is sent to, from the Route header; `None` when its host
    /// is not an IP address.
    pub fn peer_address(&self) -> Option<SocketAddr> {
        destination(self.inner.route_header.uri())
            .ok()
            .map(|t| t.addr)
    }

    /// Sends the request ([`RequestState::Init`] → [`RequestState::InProgress`]) from a
    /// spawned tokio task. With `timeout`, no final response within it fails the request with
    /// an internal 408 (the transaction timeout still applies too).
    ///
    /// Fails when not in `Init`, for INVITE, ACK and CANCEL, when the Route header has no IP
    /// address, or outside a tokio runtime.
    pub fn send(&self, timeout: Option<Duration>) -> Result<(), RequestError> {
        if matches!(
            self.inner.method,
            Method::Invite | Method::Ack | Method::Cancel
        ) {
            return Err(RequestError::InvalidArgument(format!(
                "{} cannot be sent as a generic request",
                self.inner.method.as_str()
            )));
        }
        let target = destination(self.inner.route_header.uri())?;
        let handle = tokio::runtime::Handle::try_current().map_err(|_| RequestError::NoRuntime)?;
        {
            let mut shared = self.inner.lock();
            if shared.state != RequestState::Init {
                return Err(RequestError::InvalidState("the request was already sent"));
            }
            shared.state = RequestState::InProgress;
        }
        let inner = self.inner.clone();
        handle.spawn(async move {
            let deadline = timeout.map(|t| Instant::now() + t);
            run(inner, target, deadline).await;
        });
        Ok(())
    }

    /// Ends the request in whatever state it is: while in progress it fails with code 0;
    /// while expiring it ends at once. Does nothing in `Init` or `Terminated`.
    pub fn end(&self) {
        let state = self.state();
        if matches!(state, RequestState::InProgress | RequestState::Expiring) {
            self.inner.ended.notify_one();
        }
    }
}

/// Where a Route URI points: its IP, port (5060, or 5061 for TLS) and transport.
fn destination(uri: &Uri) -> Result<Target, RequestError> {
    Target::from_uri(uri).map_err(|e| RequestError::InvalidArgument(format!("the route: {e}")))
}

/// How a transaction attempt ended.
enum Attempt {
    Final(Response),
    Timeout,
    TransportError(String),
    Ended,
    Error(String),
}

fn compose(inner: &Inner, via: &Via, cseq: u32, auth: &[(HeaderName, String)]) -> SipRequest {
    let mut b = SipRequest::builder(inner.method.clone(), inner.request_uri.clone())
        .typed(via)
        .typed(&MaxForwards(70))
        .typed(&inner.route_header)
        .typed(&inner.from_header)
        .typed(&inner.to_header)
        .typed(&CallId::new(inner.call_id.clone()))
        .typed(&CSeq::new(cseq, inner.method.clone()));
    if let Some(contact) = &inner.contact_header {
        b = b.typed(contact);
    }
    for (name, value) in auth {
        b = b.header(name.clone(), value.clone());
    }
    for h in &inner.extra_headers {
        b = b.header(h.name().clone(), h.value_bytes().clone());
    }
    if let (Some(ct), Some(body)) = (&inner.content_type, &inner.body) {
        b = b.body(ct, body.clone());
    }
    b.build()
}

/// Runs one client transaction: posts provisional responses and returns how it ended.
async fn attempt(
    inner: &Inner,
    request: SipRequest,
    target: Target,
    deadline: Option<Instant>,
) -> Attempt {
    let mut tx = match inner.engine.send_request(request, target).await {
        Ok(tx) => tx,
        Err(e) => return Attempt::Error(e.to_string()),
    };
    loop {
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            event = tx.events.recv() => match event {
                Some(ClientEvent::Response(r)) if r.status().is_provisional() => {
                    if inner.kind == Kind::Request && r.status().code() > 100 {
                        inner.post(RequestGotProvisionalResponseData {
                            code: r.status().code(),
                            reason: r.reason().to_owned(),
                            headers: r.headers().clone(),
                            body: non_empty(r.body()),
                        });
                    }
                }
                Some(ClientEvent::Response(r)) => return Attempt::Final(r),
                Some(ClientEvent::Timeout) => return Attempt::Timeout,
                Some(ClientEvent::TransportError(e)) => return Attempt::TransportError(e),
                Some(ClientEvent::Terminated) | None => {
                    return Attempt::Error("the transaction ended without a final response".into())
                }
            },
            _ = sleep => return Attempt::Timeout,
            _ = inner.ended.notified() => return Attempt::Ended,
        }
    }
}

fn fail(inner: &Inner, code: u16, reason: String, response: Option<&Response>) {
    inner.set_state(RequestState::Terminated);
    match inner.kind {
        Kind::Request => {
            inner.post(RequestDidFailData {
                code,
                reason,
                headers: response.map(|r| r.headers().clone()),
                body: response.and_then(|r| non_empty(r.body())),
            });
            inner.post(RequestDidEndData);
        }
        Kind::Message => inner.post(MessageDidFailData { code, reason }),
    }
}

/// The expiry a 2xx response grants: the `expires` parameter of the Contact matching ours,
/// else the Expires header; 0 when none.
fn granted_expiry(inner: &Inner, response: &Response) -> u32 {
    if let Some(ours) = inner.contact_header.as_ref().and_then(|c| c.addr.as_ref())
        && let Ok(contacts) = response.headers().typed_all::<Contact>()
        && let Some(e) = contacts
            .iter()
            .filter(|c| c.addr.as_ref().is_some_and(|a| a.uri() == ours.uri()))
            .find_map(Contact::expires)
    {
        return e;
    }
    response
        .headers()
        .typed_first::<Expires>()
        .ok()
        .flatten()
        .map_or(0, |e| e.0)
}

/// Answers a 401/407 with the credentials; returns the headers for the retry, or `None` when
/// the challenge cannot or should not be answered.
fn challenge(
    inner: &Inner,
    auth: &mut RequestAuthenticator,
    response: &Response,
) -> Option<Vec<(HeaderName, String)>> {
    let credentials = inner.credentials.as_ref()?;
    let AuthDecision::Retry { .. } = auth.handle_response(response, true) else {
        return None;
    };
    let uri = inner.request_uri.to_string();
    auth.authorization_headers(
        credentials,
        inner.method.as_str(),
        &uri,
        inner.body.as_deref(),
    )
    .ok()
}

async fn run(inner: Arc<Inner>, target: Target, deadline: Option<Instant>) {
    let port = match inner.engine.local_port(target.transport).await {
        Ok(Some(port)) => Some(port),
        // TCP and TLS answer on the connection we open: no listener needed (RFC 3261 §18.2.2).
        Ok(None) if target.transport != TransportKind::Udp => None,
        Ok(None) => return fail(&inner, 0, "the UDP transport is disabled".to_owned(), None),
        Err(e) => return fail(&inner, 0, e.to_string(), None),
    };
    let local = crate::client_exchange::local_ip_for(target.addr).await;
    let mut via = Via::new(target.transport.as_str(), Host::from(local), port, "");
    via.params_mut().set("rport", None);
    // One challenge per header line, as the typed headers read them.
    let mut authenticator =
        RequestAuthenticator::from_entropy(MAX_AUTH_RETRIES).strict_challenges();
    let mut auth: Vec<(HeaderName, String)> = Vec::new();
    let response = loop {
        let cseq = inner.lock().cseq;
        let mut via = via.clone();
        via.params_mut().remove("branch");
        let request = compose(&inner, &via, cseq, &auth);
        match attempt(&inner, request, target, deadline).await {
            Attempt::Final(r) => {
                if let Some(headers) = challenge(&inner, &mut authenticator, &r) {
                    auth = headers;
                    inner.lock().cseq = cseq.wrapping_add(1);
                    continue;
                }
                break r;
            }
            Attempt::Timeout => return fail(&inner, 408, "Request Timeout".into(), None),
            Attempt::TransportError(e) => {
                return fail(&inner, 503, transport_error_reason(&e), None);
            }
            Attempt::Ended => return fail(&inner, 0, "the request was ended".into(), None),
            Attempt::Error(e) => return fail(&inner, 0, e, None),
        }
    };
    let code = response.status().code();
    if !response.status().is_success() {
        return fail(&inner, code, response.reason().to_owned(), Some(&response));
    }
    if inner.kind == Kind::Message {
        inner.set_state(RequestState::Terminated);
        return inner.post(MessageDidSucceedData);
    }
    let expires = granted_expiry(&inner, &response);
    let now = Instant::now();
    let expires_at = now + Duration::from_secs(u64::from(expires));
    {
        let mut shared = inner.lock();
        shared.state = if expires > 0 {
            RequestState::Expiring
        } else {
            RequestState::Terminated
        };
        shared.expires_at = (expires > 0).then_some(expires_at);
    }
    inner.post(RequestDidSucceedData {
        code,
        reason: response.reason().to_owned(),
        headers: response.headers().clone(),
        body: non_empty(response.body()),
        expires,
    });
    if expires > 0 {
        let total = Duration::from_secs(u64::from(expires));
        let warn_after = (total / 2).min(total.saturating_sub(inner.expire_warning_time));
        let ended = tokio::select! {
            _ = tokio::time::sleep_until(now + warn_after) => false,
            _ = inner.ended.notified() => true,
        };
        if !ended {
            let left = expires_at.saturating_duration_since(Instant::now());
            inner.post(RequestWillExpireData {
                expires: u32::try_from(left.as_secs()).unwrap_or(u32::MAX),
            });
            tokio::select! {
                _ = tokio::time::sleep_until(expires_at) => {}
                _ = inner.ended.notified() => {}
            }
        }
        inner.set_state(RequestState::Terminated);
    }
    inner.post(RequestDidEndData);
}

/// A MESSAGE request (RFC 3428, the seed's `Message`): a one-shot wrapper around a
/// [`Request`] whose Request-URI is the To URI. Posts `SIPMessageDidSucceed` on a 2xx, or
/// `SIPMessageDidFail` with the code and reason (408 for a timeout, 0 for an internal error);
/// 401/407 challenges are answered with the credentials as for [`Request`].
#[derive(Debug)]
pub struct Message {
    request: Request,
}

impl Message {
    /// A MESSAGE with any content type; sent to `route_header`'s address (see
    /// [`Request::new`]).
    pub fn new(
        engine: &Engine,
        center: &NotificationCenter,
        from_header: FromHeader,
        to_header: ToHeader,
        route_header: Route,
        content_type: impl Into<String>,
        body: impl Into<Bytes>,
    ) -> Message {
        let uri = to_header.uri().clone();
        let request = Request::build(
            Kind::Message,
            engine,
            center,
            Method::Message,
            uri,
            from_header,
            to_header,
            route_header,
        )
        .with_body(content_type, body);
        Message { request }
    }

    /// Sets the credentials used when challenged.
    pub fn with_credentials(self, credentials: Credentials) -> Self {
        Message {
            request: self.request.with_credentials(credentials),
        }
    }

    /// Sets extra headers added to the MESSAGE.
    pub fn with_extra_headers(self, headers: Vec<Header>) -> Self {
        Message {
            request: self.request.with_extra_headers(headers),
        }
    }

    /// The notification sender this message posts as.
    pub fn sender(&self) -> &Sender {
        self.request.sender()
    }

    /// The From header.
    pub fn from_header(&self) -> &FromHeader {
        self.request.from_header()
    }

    /// The To header.
    pub fn to_header(&self) -> &ToHeader {
        self.request.to_header()
    }

    /// The Route header (the destination).
    pub fn route_header(&self) -> &Route {
        self.request.route_header()
    }

    /// The Content-Type.
    pub fn content_type(&self) -> &str {
        self.request.content_type().unwrap_or_default()
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        static EMPTY: Bytes = Bytes::new();
        self.request.body().unwrap_or(&EMPTY)
    }

    /// The credentials, if any.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.request.credentials()
    }

    /// Whether the MESSAGE was sent.
    pub fn is_sent(&self) -> bool {
        self.request.state() != RequestState::Init
    }

    /// Whether the MESSAGE waits for its final response.
    pub fn in_progress(&self) -> bool {
        self.request.state() == RequestState::InProgress
    }

    /// The remote address, from the Route header.
    pub fn peer_address(&self) -> Option<SocketAddr> {
        self.request.peer_address()
    }

    /// Sends the MESSAGE; `timeout` as in [`Request::send`].
    pub fn send(&self, timeout: Option<Duration>) -> Result<(), RequestError> {
        self.request.send(timeout)
    }

    /// Stops trying to send (`SIPMessageDidFail` with code 0 follows); does nothing if not
    /// sent yet.
    pub fn end(&self) {
        self.request.end();
    }
}
