//! The tokio tasks that drive a [`Subscriber`] or a [`Notifier`] through the Engine: one task
//! per object, timers with `tokio::time` (so tests can pause time).

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;
use tracing::Instrument;

use super::{
    Notifier, NotifierEvent, NotifierOutput, Subscriber, SubscriberEvent, SubscriberOutput,
};
use crate::client_exchange::{transport_error_reason, via_sent_by};
use crate::digest::{AuthDecision, RequestAuthenticator};
use crate::engine::{ClientEvent, DialogEvent, DialogRoute, Engine};
use crate::header::HeaderName;
use crate::message::{Method, Request, Response};
use crate::registration::SharedCredentials;
use crate::transaction::{Target, TransactionKey};

/// How many times one request is re-sent after a digest challenge.
const MAX_AUTH_RETRIES: u32 = 3;

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn now() -> std::time::Instant {
    Instant::now().into_std()
}

fn host_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => format!("[{a}]"),
    }
}

/// Where a request with first hop `hop` goes: the hop when its host is an IP address,
/// otherwise `fallback` (the core does no DNS).
fn destination(hop: Option<&crate::uri::Uri>, fallback: Target) -> Target {
    hop.and_then(|u| Target::from_uri(u).ok())
        .unwrap_or(fallback)
}

/// A client transaction in flight.
struct Flight {
    events: mpsc::Receiver<ClientEvent>,
    deadline: Option<Instant>,
    target: Target,
}

/// Adds the top Via and sends `request` to `target`.
async fn send(
    engine: &Engine,
    mut request: Request,
    target: Target,
) -> Result<mpsc::Receiver<ClientEvent>, (u16, String)> {
    let ip = host_of(crate::client_exchange::local_ip_for(target.addr).await);
    let sent_by = via_sent_by(engine, target, &ip).await.map_err(|e| (0, e))?;
    request.headers_mut().insert(
        0,
        HeaderName::Via,
        format!("SIP/2.0/{} {sent_by};rport", target.transport.as_str()),
    );
    engine
        .send_request(request, target)
        .await
        .map(|tx| tx.events)
        .map_err(|e| (0, e.to_string()))
}

async fn recv_route(route: &mut Option<DialogRoute>) -> Option<DialogEvent> {
    match route {
        Some(r) => r.events.recv().await,
        None => std::future::pending().await,
    }
}

async fn recv_flight(flight: &mut Option<Flight>) -> Option<ClientEvent> {
    match flight {
        Some(f) => f.events.recv().await,
        None => std::future::pending().await,
    }
}

async fn sleep_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

// --- subscriber ------------------------------------------------------------------------------

/// What a subscriber object shares with its task.
#[derive(Debug)]
pub(crate) struct SubscriberShared {
    pub(crate) core: Mutex<Subscriber>,
    pub(crate) wake: Notify,
    /// The timeout of the requests sent next (the `timeout` argument of the last call).
    pub(crate) timeout: Mutex<Option<Duration>>,
    pub(crate) peer: Mutex<Option<SocketAddr>>,
}

impl SubscriberShared {
    pub(crate) fn new(core: Subscriber) -> Arc<Self> {
        Arc::new(SubscriberShared {
            core: Mutex::new(core),
            wake: Notify::new(),
            timeout: Mutex::new(None),
            peer: Mutex::new(None),
        })
    }
}

pub(crate) type SubscriberPost = Box<dyn Fn(SubscriberEvent) + Send + Sync>;

/// Spawns the task of a subscriber: `route` is where requests go before the dialog exists
/// (and when its next hop has no IP address).
pub(crate) fn spawn_subscriber(
    engine: Engine,
    shared: Arc<SubscriberShared>,
    route: Target,
    credentials: Option<SharedCredentials>,
    post: SubscriberPost,
    span: tracing::Span,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(subscriber_task(engine, shared, route, credentials, post).instrument(span))
}

async fn subscriber_task(
    engine: Engine,
    shared: Arc<SubscriberShared>,
    fallback: Target,
    credentials: Option<SharedCredentials>,
    post: SubscriberPost,
) {
    let mut route: Option<DialogRoute> = None;
    let mut flight: Option<Flight> = None;
    let mut auth = RequestAuthenticator::from_entropy(MAX_AUTH_RETRIES);
    loop {
        // The route of the current identity exists before any request of it is sent.
        let (call_id, tag) = {
            let core = lock(&shared.core);
            let (c, t) = core.local_id();
            (c.to_owned(), t.to_owned())
        };
        if route
            .as_ref()
            .is_none_or(|r| r.call_id != call_id || r.local_tag != tag)
        {
            match engine.add_dialog_route(&call_id, &tag).await {
                Ok(r) => route = Some(r),
                Err(e) => tracing::warn!("cannot route the subscription's dialog: {e}"),
            }
        }
        let outputs: Vec<SubscriberOutput> = {
            let mut core = lock(&shared.core);
            std::iter::from_fn(|| core.poll_output()).collect()
        };
        if !outputs.is_empty() {
            for output in outputs {
                match output {
                    SubscriberOutput::Request(request) => {
                        let target = destination(lock(&shared.core).next_hop(), fallback);
                        auth.reset_attempts();
                        let request = authorize(*request, &credentials, &mut auth);
                        tracing::debug!(method = %request.method(), %target.addr, "sending");
                        match send(&engine, request, target).await {
                            Ok(events) => {
                                *lock(&shared.peer) = Some(target.addr);
                                let deadline = lock(&shared.timeout).map(|t| Instant::now() + t);
                                flight = Some(Flight {
                                    events,
                                    deadline,
                                    target,
                                });
                            }
                            Err((code, reason)) => {
                                flight = None;
                                lock(&shared.core).handle_request_failure(now(), code, &reason);
                            }
                        }
                    }
                    SubscriberOutput::Event(event) => post(event),
                }
            }
            continue;
        }
        let (timer, deadline) = (
            lock(&shared.core).poll_timeout().map(Instant::from_std),
            flight.as_ref().and_then(|f| f.deadline),
        );
        tokio::select! {
            () = shared.wake.notified() => {}
            event = recv_route(&mut route) => match event {
                Some(DialogEvent::Request(incoming)) => {
                    let response = lock(&shared.core).handle_request(now(), &incoming.request);
                    if let Err(e) = engine.respond(&incoming.key, response).await {
                        tracing::warn!("cannot answer {}: {e}", incoming.request.method());
                    }
                }
                Some(_) => {}
                None => route = None,
            },
            event = recv_flight(&mut flight) => {
                let Some(mut f) = flight.take() else { continue };
                match event {
                    Some(ClientEvent::Response(r)) if r.status().code() < 200 => flight = Some(f),
                    Some(ClientEvent::Response(r)) => {
                        let code = r.status().code();
                        let retry = matches!(code, 401 | 407)
                            && matches!(auth.handle_response(&r, credentials.is_some()), AuthDecision::Retry { .. });
                        let again = if retry { lock(&shared.core).retry_request() } else { None };
                        if let Some(request) = again {
                            let request = authorize(request, &credentials, &mut auth);
                            match send(&engine, request, f.target).await {
                                Ok(events) => {
                                    f.events = events;
                                    flight = Some(f);
                                }
                                Err((code, reason)) => {
                                    lock(&shared.core).handle_request_failure(now(), code, &reason);
                                }
                            }
                            continue;
                        }
                        lock(&shared.core).handle_response(now(), &r);
                    }
                    Some(ClientEvent::Timeout) => {
                        lock(&shared.core).handle_request_failure(now(), 408, "Request Timeout");
                    }
                    Some(ClientEvent::TransportError(e)) => {
                        lock(&shared.core).handle_request_failure(now(), 503, &transport_error_reason(&e));
                    }
                    Some(_) | None => {
                        lock(&shared.core).handle_request_failure(now(), 0, "transaction ended without a response");
                    }
                }
            }
            () = sleep_opt(timer) => lock(&shared.core).handle_timeout(now()),
            () = sleep_opt(deadline) => {
                flight = None;
                lock(&shared.core).handle_request_failure(now(), 408, "Request Timeout");
            }
        }
    }
}

/// Adds the Authorization headers the digest client has challenges for (none when they
/// cannot be computed).
fn authorize(
    mut request: Request,
    credentials: &Option<SharedCredentials>,
    auth: &mut RequestAuthenticator,
) -> Request {
    if let Some(c) = credentials {
        let c = c.read().unwrap_or_else(|e| e.into_inner()).clone();
        // On error the request goes without credentials, as before the first challenge.
        let _ = auth.authorize(&mut request, &c);
    }
    request
}

// --- notifier --------------------------------------------------------------------------------

/// What a notifier object shares with its task.
#[derive(Debug)]
pub(crate) struct NotifierShared {
    pub(crate) core: Mutex<Notifier>,
    pub(crate) wake: Notify,
    pub(crate) peer: SocketAddr,
}

/// What the notifier task reports besides the core's events.
#[derive(Debug)]
pub(crate) enum NotifierPost {
    Core(NotifierEvent),
    /// A final response to a SUBSCRIBE or REFER was sent.
    Answered(Response),
    SentNotify(Request),
    NotifySucceeded(Response),
    NotifyFailed {
        code: u16,
        reason: String,
        response: Option<Response>,
    },
}

pub(crate) type NotifierPostFn = Box<dyn Fn(NotifierPost) + Send + Sync>;

/// Spawns the task of a notifier made from the request of server transaction `key`.
pub(crate) fn spawn_notifier(
    engine: Engine,
    shared: Arc<NotifierShared>,
    key: TransactionKey,
    path: NotifyPath,
    post: NotifierPostFn,
    span: tracing::Span,
) {
    tokio::spawn(notifier_task(engine, shared, key, path, post).instrument(span));
}

/// Where a notifier's dialog lives, hence how its NOTIFYs go.
pub(crate) enum NotifyPath {
    /// Its own dialog (a SUBSCRIBE or an out-of-dialog REFER): requests of the dialog arrive
    /// on `route`; NOTIFYs go to the dialog's next hop, or to `source` (where the request came
    /// from) when that is not an IP address.
    Own { route: DialogRoute, source: Target },
    /// The INVITE dialog a REFER came in: the Invitation builds each NOTIFY in its dialog
    /// (next local CSeq) and sends it; other requests of the dialog go to the Invitation.
    Invitation(crate::invitation::DialogRequester),
}

async fn notifier_task(
    engine: Engine,
    shared: Arc<NotifierShared>,
    key: TransactionKey,
    path: NotifyPath,
    post: NotifierPostFn,
) {
    let (mut route, source, requester) = match path {
        NotifyPath::Own { route, source } => (Some(route), Some(source), None),
        NotifyPath::Invitation(r) => (None, None, Some(r)),
    };
    let mut flight: Option<Flight> = None;
    loop {
        let outputs: Vec<NotifierOutput> = {
            let mut core = lock(&shared.core);
            std::iter::from_fn(|| core.poll_output()).collect()
        };
        if !outputs.is_empty() {
            for output in outputs {
                match output {
                    NotifierOutput::Respond(response) => {
                        if let Err(e) = engine.respond(&key, (*response).clone()).await {
                            tracing::warn!("cannot answer the request: {e}");
                        }
                        post(NotifierPost::Answered(*response));
                    }
                    NotifierOutput::Notify(request) => {
                        let sent = match (&requester, source) {
                            (Some(r), _) => r
                                .send(*request)
                                .await
                                .map(|s| (s.events, s.request, s.target))
                                .map_err(|e| (0, e.to_string())),
                            (None, Some(source)) => {
                                let target =
                                    destination(Some(lock(&shared.core).next_hop()), source);
                                send(&engine, (*request).clone(), target)
                                    .await
                                    .map(|events| (events, *request, target))
                            }
                            (None, None) => Err((0, "no way to send the NOTIFY".to_owned())),
                        };
                        match sent {
                            Ok((events, request, target)) => {
                                post(NotifierPost::SentNotify(request));
                                flight = Some(Flight {
                                    events,
                                    deadline: None,
                                    target,
                                });
                            }
                            Err((code, reason)) => {
                                lock(&shared.core).handle_notify_failure(now(), code);
                                post(NotifierPost::NotifyFailed {
                                    code,
                                    reason,
                                    response: None,
                                });
                            }
                        }
                    }
                    NotifierOutput::Event(event) => post(NotifierPost::Core(event)),
                }
            }
            continue;
        }
        if flight.is_none() && lock(&shared.core).state() == super::NotifierState::Terminated {
            // Done: dropping the route makes later requests of the dialog get 481.
            return;
        }
        let timer = lock(&shared.core).poll_timeout().map(Instant::from_std);
        tokio::select! {
            () = shared.wake.notified() => {}
            event = recv_route(&mut route) => match event {
                Some(DialogEvent::Request(incoming)) => {
                    let response = lock(&shared.core).handle_request(now(), &incoming.request);
                    if let Err(e) = engine.respond(&incoming.key, response.clone()).await {
                        tracing::warn!("cannot answer {}: {e}", incoming.request.method());
                    }
                    if incoming.request.method() == &Method::Subscribe {
                        post(NotifierPost::Answered(response));
                    }
                }
                Some(_) => {}
                None => route = None,
            },
            event = recv_flight(&mut flight) => {
                let Some(f) = flight.take() else { continue };
                match event {
                    Some(ClientEvent::Response(r)) if r.status().code() < 200 => flight = Some(f),
                    Some(ClientEvent::Response(r)) => {
                        lock(&shared.core).handle_notify_response(now(), &r);
                        if r.status().is_success() {
                            post(NotifierPost::NotifySucceeded(r));
                        } else {
                            post(NotifierPost::NotifyFailed {
                                code: r.status().code(),
                                reason: r.reason().to_owned(),
                                response: Some(r),
                            });
                        }
                    }
                    other => {
                        let (code, reason) = match other {
                            Some(ClientEvent::Timeout) => (408, "Request Timeout".to_owned()),
                            Some(ClientEvent::TransportError(e)) => (503, transport_error_reason(&e)),
                            _ => (0, "transaction ended without a response".to_owned()),
                        };
                        lock(&shared.core).handle_notify_failure(now(), code);
                        post(NotifierPost::NotifyFailed { code, reason, response: None });
                    }
                }
            }
            () = sleep_opt(timer) => lock(&shared.core).handle_timeout(now()),
        }
    }
}
