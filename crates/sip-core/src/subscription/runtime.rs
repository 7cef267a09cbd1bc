//! The seed's `Subscription` and `IncomingSubscription` on the Engine.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rand::{RngCore, SeedableRng};
use tokio::task::JoinHandle;

use super::driver::{
    NotifierPost, NotifierShared, NotifyPath, SubscriberShared, lock, spawn_notifier,
    spawn_subscriber,
};
use super::notifications::{
    ChangedState, GotNotify, IncomingSubscriptionNotification, NotifyDidFail, RequestData,
    ResponseData, SubscriptionDidFail, SubscriptionNotification,
};
use super::{
    Content, Notifier, NotifierConfig, NotifierEvent, Subscriber, SubscriberConfig,
    SubscriberEvent, SubscriptionError,
};
use crate::engine::{Engine, NewDialog};
use crate::header::{Contact, FromHeader, Header, NameAddr, ToHeader};
use crate::notification::{NotificationCenter, NotificationData, NotificationPayload, Sender};
use crate::registration::SharedCredentials;
use crate::transaction::Target;
use crate::uri::Uri;

fn post_on(center: &NotificationCenter, sender: &Sender, payload: Arc<dyn NotificationPayload>) {
    center.post_notification(Some(sender), NotificationData::Custom(payload));
}

fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
}

/// A subscription to one event package of one URI (the seed's `Subscription`, RFC 6665).
///
/// [`subscribe`](Self::subscribe) sends the SUBSCRIBE; the subscription then refreshes
/// itself before expiry with the stored arguments, surfaces every NOTIFY as
/// `SIPSubscriptionGotNotify`, follows the Subscription-State (subscribing again after a
/// `deactivated` or `timeout` termination, or after `retry-after` for `probation`), answers
/// digest challenges and retries a 423 with the Min-Expires. [`end`](Self::end)
/// unsubscribes. Notifications are [`SubscriptionNotification`] payloads.
///
/// Dropping it stops the task without unsubscribing.
#[derive(Debug)]
pub struct Subscription {
    shared: Arc<SubscriberShared>,
    sender: Sender,
    route_header: Target,
    credentials: Option<SharedCredentials>,
    task: JoinHandle<()>,
    /// The event package when the Engine does not know it: `subscribe` refuses.
    unknown_event: Option<String>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Subscription {
    /// A subscription in NULL to `event` of `request_uri`, sent through `route_header` (the
    /// outbound proxy or the notifier itself). `refresh` is the duration asked for.
    /// Must be called within a tokio runtime.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        engine: &Engine,
        center: &NotificationCenter,
        request_uri: Uri,
        from_header: FromHeader,
        to_header: ToHeader,
        contact_header: Contact,
        event: &str,
        route_header: Target,
        credentials: Option<SharedCredentials>,
        refresh: u32,
    ) -> Subscription {
        // The seed's rule: the package and its content types come from the Engine's `events`.
        let accept = engine.event_content_types(event);
        let unknown_event = accept.is_none().then(|| event.to_owned());
        let config =
            SubscriberConfig::new(request_uri, from_header, to_header, contact_header, event)
                .with_refresh(refresh)
                .with_accept(accept.unwrap_or_default());
        let core = Subscriber::new(config, rand::rngs::StdRng::from_os_rng().next_u64());
        let span = tracing::debug_span!("subscription", event, call_id = core.local_id().0);
        let shared = SubscriberShared::new(core);
        let sender = center.new_sender("Subscription");
        let (c, s) = (center.clone(), sender.clone());
        let post = Box::new(move |event: SubscriberEvent| {
            if let Some(n) = subscription_notification(event) {
                post_on(&c, &s, Arc::new(n));
            }
        });
        let task = spawn_subscriber(
            engine.clone(),
            shared.clone(),
            route_header,
            credentials.clone(),
            post,
            span,
        );
        Subscription {
            shared,
            sender,
            route_header,
            credentials,
            task,
            unknown_event,
        }
    }

    /// The sender of this subscription's notifications.
    pub fn sender(&self) -> &Sender {
        &self.sender
    }

    /// Fails with [`SubscriptionError::UnknownEvent`] when the event package is not
    /// registered with the Engine (its content types go in the Accept header).
    ///
    /// Sends the initial SUBSCRIBE (NULL), or stores `extra_headers` and `content` for the
    /// refreshes and sends a refresh now. `timeout` bounds the requests sent from now on
    /// (an internal 408). Fails in TERMINATED.
    pub fn subscribe(
        &self,
        extra_headers: Vec<Header>,
        content: Option<Content>,
        timeout: Option<Duration>,
    ) -> Result<(), SubscriptionError> {
        if let Some(event) = &self.unknown_event {
            return Err(SubscriptionError::UnknownEvent(event.clone()));
        }
        lock(&self.shared.core).subscribe(now(), extra_headers, content)?;
        *lock(&self.shared.timeout) = timeout;
        self.shared.wake.notify_one();
        Ok(())
    }

    /// Unsubscribes (SUBSCRIBE with `Expires: 0`); does nothing when no longer subscribed;
    /// fails in NULL.
    pub fn end(&self, timeout: Option<Duration>) -> Result<(), SubscriptionError> {
        lock(&self.shared.core).end(now())?;
        *lock(&self.shared.timeout) = timeout;
        self.shared.wake.notify_one();
        Ok(())
    }

    /// The state: `NULL`, `SENT`, `ACCEPTED`, `PENDING`, `ACTIVE`, `TERMINATED` or the
    /// Subscription-State value received.
    pub fn state(&self) -> String {
        lock(&self.shared.core).state().as_str().to_owned()
    }

    /// The From header (with our tag).
    pub fn from_header(&self) -> FromHeader {
        let core = lock(&self.shared.core);
        let mut from = core.config().from_header.clone();
        from.set_tag(core.local_id().1);
        from
    }

    /// The To header.
    pub fn to_header(&self) -> ToHeader {
        lock(&self.shared.core).config().to_header.clone()
    }

    /// Our Contact.
    pub fn contact_header(&self) -> Contact {
        lock(&self.shared.core).config().contact_header.clone()
    }

    /// The event package.
    pub fn event(&self) -> String {
        lock(&self.shared.core).config().event.clone()
    }

    /// Where requests go before the dialog exists.
    pub fn route_header(&self) -> Target {
        self.route_header
    }

    /// The credentials.
    pub fn credentials(&self) -> Option<SharedCredentials> {
        self.credentials.clone()
    }

    /// The duration asked for, in seconds.
    pub fn refresh(&self) -> u32 {
        lock(&self.shared.core).config().refresh
    }

    /// The extra headers of the last `subscribe`.
    pub fn extra_headers(&self) -> Vec<Header> {
        lock(&self.shared.core).extra_headers().to_vec()
    }

    /// The Content-Type of the last `subscribe`'s body.
    pub fn content_type(&self) -> Option<String> {
        lock(&self.shared.core)
            .content()
            .map(|c| c.content_type.clone())
    }

    /// The body of the last `subscribe`.
    pub fn body(&self) -> Option<bytes::Bytes> {
        lock(&self.shared.core).content().map(|c| c.body.clone())
    }

    /// The address the last request went to.
    pub fn peer_address(&self) -> Option<SocketAddr> {
        *lock(&self.shared.peer)
    }
}

fn subscription_notification(event: SubscriberEvent) -> Option<SubscriptionNotification> {
    use SubscriptionNotification as N;
    Some(match event {
        SubscriberEvent::ChangedState { prev_state, state } => N::ChangedState(ChangedState {
            prev_state: prev_state.as_str().to_owned(),
            state: state.as_str().to_owned(),
        }),
        SubscriberEvent::WillStart => N::WillStart,
        SubscriberEvent::DidStart => N::DidStart,
        SubscriberEvent::GotNotify(r) => N::GotNotify(Box::new(GotNotify::of(&r))),
        SubscriberEvent::DidFail {
            code,
            reason,
            min_expires,
        } => N::DidFail(SubscriptionDidFail {
            code,
            reason,
            min_expires,
        }),
        SubscriberEvent::DidEnd => N::DidEnd,
        #[allow(unreachable_patterns)]
        _ => return None,
    })
}

/// An incoming subscription (the seed's `IncomingSubscription`): made from a [`NewDialog`]
/// carrying a SUBSCRIBE; the application [`accept`](Self::accept)s,
/// [`accept_pending`](Self::accept_pending)s or [`reject`](Self::reject)s it, then
/// [`push_content`](Self::push_content)s state changes and [`end`](Self::end)s it.
/// Refreshes are answered with a NOTIFY of the latest content; the subscription ends at
/// expiry (`terminated;reason=timeout`) or when a NOTIFY fails. Notifications are
/// [`IncomingSubscriptionNotification`] payloads.
///
/// Dropping it ends the subscription (a 480 answer when still `incoming`).
#[derive(Debug)]
pub struct IncomingSubscription {
    shared: Arc<NotifierShared>,
    sender: Sender,
}

impl Drop for IncomingSubscription {
    fn drop(&mut self) {
        lock(&self.shared.core).end(now(), None);
        self.shared.wake.notify_one();
    }
}

/// Builds the notifier of a new dialog, or answers the request with the error response.
pub(crate) fn notifier_for(
    engine: &Engine,
    new_dialog: &NewDialog,
    config: NotifierConfig,
) -> Result<Notifier, SubscriptionError> {
    let request = &new_dialog.incoming.request;
    let contact = Contact::new(NameAddr::new(request.uri().clone()));
    Notifier::new(
        now(),
        request,
        &new_dialog.route.local_tag,
        &contact,
        config,
    )
    .map_err(|response| {
        let code = response.status().code();
        let (engine, key) = (engine.clone(), new_dialog.incoming.key.clone());
        tokio::spawn(async move {
            let _ = engine.respond(&key, *response).await;
        });
        SubscriptionError::Rejected(code)
    })
}

impl IncomingSubscription {
    /// The incoming subscription of `new_dialog` (a SUBSCRIBE), in `incoming`; posts
    /// `SIPIncomingSubscriptionGotSubscribe`. Our Contact is the SUBSCRIBE's Request-URI.
    /// A malformed SUBSCRIBE (or a duration below `config.min_expires`) is answered
    /// (400/423) and gives [`SubscriptionError::Rejected`]. Must be called within a tokio
    /// runtime.
    pub fn new(
        engine: &Engine,
        center: &NotificationCenter,
        new_dialog: NewDialog,
        config: NotifierConfig,
    ) -> Result<IncomingSubscription, SubscriptionError> {
        if new_dialog.incoming.request.method() != &crate::message::Method::Subscribe {
            return Err(SubscriptionError::InvalidState {
                operation: "IncomingSubscription::new",
                state: new_dialog.incoming.request.method().to_string(),
            });
        }
        let core = notifier_for(engine, &new_dialog, config)?;
        let sender = center.new_sender("IncomingSubscription");
        post_on(
            center,
            &sender,
            Arc::new(IncomingSubscriptionNotification::GotSubscribe(
                RequestData::of(&new_dialog.incoming.request),
            )),
        );
        let span = tracing::debug_span!(
            "incoming_subscription",
            event = %core.event().event_type,
            call_id = %new_dialog.route.call_id
        );
        let shared = Arc::new(NotifierShared {
            core: std::sync::Mutex::new(core),
            wake: tokio::sync::Notify::new(),
            peer: new_dialog.incoming.source.addr,
        });
        let (c, s) = (center.clone(), sender.clone());
        let post = Box::new(move |p: NotifierPost| {
            if let Some(n) = incoming_subscription_notification(p) {
                post_on(&c, &s, Arc::new(n));
            }
        });
        let NewDialog {
            incoming, route, ..
        } = new_dialog;
        spawn_notifier(
            engine.clone(),
            shared.clone(),
            incoming.key,
            NotifyPath::Own {
                route,
                source: incoming.source,
            },
            post,
            span,
        );
        Ok(IncomingSubscription { shared, sender })
    }

    /// The sender of this subscription's notifications.
    pub fn sender(&self) -> &Sender {
        &self.sender
    }

    fn with_core<T>(
        &self,
        f: impl FnOnce(&mut Notifier) -> Result<T, SubscriptionError>,
    ) -> Result<T, SubscriptionError> {
        let r = f(&mut lock(&self.shared.core));
        self.shared.wake.notify_one();
        r
    }

    /// Rejects with `code` (300–699); only in `incoming`.
    pub fn reject(&self, code: u16) -> Result<(), SubscriptionError> {
        self.with_core(|c| c.reject(code))
    }

    /// Answers 202 and sends a NOTIFY `pending`; only in `incoming`.
    pub fn accept_pending(&self) -> Result<(), SubscriptionError> {
        self.with_core(|c| c.accept_pending(now()))
    }

    /// Answers 200 (in `incoming`) and sends a NOTIFY `active` with `content`; also from
    /// `pending`.
    pub fn accept(&self, content: Option<Content>) -> Result<(), SubscriptionError> {
        self.with_core(|c| c.accept(now(), 200, content))
    }

    /// Stores `content` and sends it in a NOTIFY; only in `active`.
    pub fn push_content(&self, content: Content) -> Result<(), SubscriptionError> {
        self.with_core(|c| c.push_content(now(), content))
    }

    /// Ends the subscription (NOTIFY `terminated;reason=noresource`).
    pub fn end(&self) {
        let _ = self.with_core(|c| {
            c.end(now(), None);
            Ok(())
        });
    }

    /// `incoming`, `pending`, `active` or `terminated`.
    pub fn state(&self) -> &'static str {
        lock(&self.shared.core).state().as_str()
    }

    /// The event package.
    pub fn event(&self) -> String {
        lock(&self.shared.core).event().event_type.to_string()
    }

    /// The Content-Type of the last content.
    pub fn content_type(&self) -> Option<String> {
        lock(&self.shared.core)
            .content()
            .map(|c| c.content_type.clone())
    }

    /// The last content.
    pub fn content(&self) -> Option<bytes::Bytes> {
        lock(&self.shared.core).content().map(|c| c.body.clone())
    }

    /// Where the SUBSCRIBE came from.
    pub fn peer_address(&self) -> SocketAddr {
        self.shared.peer
    }
}

pub(crate) fn notify_did_fail(
    code: u16,
    reason: String,
    response: Option<crate::message::Response>,
) -> NotifyDidFail {
    NotifyDidFail {
        code,
        reason,
        headers: response.as_ref().map(|r| r.headers().clone()),
        body: response
            .as_ref()
            .filter(|r| !r.body().is_empty())
            .map(|r| r.body().clone()),
    }
}

fn incoming_subscription_notification(p: NotifierPost) -> Option<IncomingSubscriptionNotification> {
    use IncomingSubscriptionNotification as N;
    Some(match p {
        NotifierPost::Core(NotifierEvent::ChangedState { prev_state, state }) => {
            N::ChangedState(ChangedState {
                prev_state: prev_state.as_str().to_owned(),
                state: state.as_str().to_owned(),
            })
        }
        NotifierPost::Core(NotifierEvent::GotRefreshingSubscribe(r)) => {
            N::GotRefreshingSubscribe(RequestData::of(&r))
        }
        NotifierPost::Core(NotifierEvent::GotUnsubscribe(r)) => {
            N::GotUnsubscribe(RequestData::of(&r))
        }
        NotifierPost::Core(NotifierEvent::DidEnd) => N::DidEnd,
        NotifierPost::Answered(r) => N::AnsweredSubscribe(ResponseData::of(&r)),
        NotifierPost::SentNotify(r) => N::SentNotify(RequestData::of(&r)),
        NotifierPost::NotifySucceeded(r) => N::NotifyDidSucceed(ResponseData::of(&r)),
        NotifierPost::NotifyFailed {
            code,
            reason,
            response,
        } => N::NotifyDidFail(notify_did_fail(code, reason, response)),
        #[allow(unreachable_patterns)]
        _ => return None,
    })
}
