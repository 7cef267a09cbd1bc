//! The seed's `Referral` and `IncomingReferral` on the Engine.

use std::any::Any;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rand::{RngCore, SeedableRng};
use tokio::task::JoinHandle;

use super::sipfrag_content;
use crate::engine::{Engine, NewDialog};
use crate::header::{Contact, FromHeader, Header, HeaderName, NameAddr, ReferTo, ToHeader};
use crate::invitation::ClaimedRequest;
use crate::invitation::{GotRequest, Invitation};
use crate::message::Method;
use crate::notification::{NotificationCenter, NotificationData, NotificationPayload, Sender};
use crate::registration::SharedCredentials;
use crate::subscription::driver::{
    NotifierPost, NotifierShared, NotifyPath, SubscriberShared, lock, spawn_notifier,
    spawn_subscriber,
};
use crate::subscription::runtime::{notifier_for, notify_did_fail};
use crate::subscription::{
    ChangedState, GotNotify, Notifier, NotifierConfig, NotifierEvent, NotifyDidFail, RequestData,
    ResponseData, Subscriber, SubscriberConfig, SubscriberEvent, SubscriptionError,
};
use crate::transaction::Target;
use crate::uri::Uri;

fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
}

fn post_on(center: &NotificationCenter, sender: &Sender, payload: Arc<dyn NotificationPayload>) {
    center.post_notification(Some(sender), NotificationData::Custom(payload));
}

/// Data of `SIPReferralDidFail`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReferralDidFail {
    /// The response code, 408 for a timeout, 0 for an internal error or a termination by the
    /// notifier.
    pub code: u16,
    /// The reason phrase or a description.
    pub reason: String,
}

/// A `Referral` notification (a
/// [`NotificationData::Custom`](crate::notification::NotificationData::Custom) payload).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReferralNotification {
    /// `SIPReferralChangedState`.
    ChangedState(ChangedState),
    /// `SIPReferralWillStart`.
    WillStart,
    /// `SIPReferralDidStart`.
    DidStart,
    /// `SIPReferralGotNotify` (the body is usually `message/sipfrag`).
    GotNotify(Box<GotNotify>),
    /// `SIPReferralDidFail`.
    DidFail(ReferralDidFail),
    /// `SIPReferralDidEnd`.
    DidEnd,
}

impl ReferralNotification {
    /// The seed name.
    pub fn notification_name(&self) -> &'static str {
        match self {
            ReferralNotification::ChangedState(_) => "SIPReferralChangedState",
            ReferralNotification::WillStart => "SIPReferralWillStart",
            ReferralNotification::DidStart => "SIPReferralDidStart",
            ReferralNotification::GotNotify(_) => "SIPReferralGotNotify",
            ReferralNotification::DidFail(_) => "SIPReferralDidFail",
            ReferralNotification::DidEnd => "SIPReferralDidEnd",
        }
    }
}

/// Data of `SIPIncomingReferralGotRefer`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GotRefer {
    /// The method (REFER).
    pub method: Method,
    /// The Request-URI.
    pub request_uri: Uri,
    /// The Refer-To header.
    pub refer_to: Option<ReferTo>,
    /// All headers.
    pub headers: crate::header::Headers,
    /// The body, `None` when empty.
    pub body: Option<bytes::Bytes>,
}

/// An `IncomingReferral` notification (a
/// [`NotificationData::Custom`](crate::notification::NotificationData::Custom) payload).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IncomingReferralNotification {
    /// `SIPIncomingReferralChangedState`.
    ChangedState(ChangedState),
    /// `SIPIncomingReferralGotRefer`.
    GotRefer(Box<GotRefer>),
    /// `SIPIncomingReferralGotRefreshingSubscribe` (no data in the seed; the request is
    /// given).
    GotRefreshingSubscribe(RequestData),
    /// `SIPIncomingReferralGotUnsubscribe` (no data in the seed; the request is given).
    GotUnsubscribe(RequestData),
    /// `SIPIncomingReferralAnsweredRefer`.
    AnsweredRefer(ResponseData),
    /// `SIPIncomingReferralSentNotify`.
    SentNotify(RequestData),
    /// `SIPIncomingReferralNotifyDidSucceed`.
    NotifyDidSucceed(ResponseData),
    /// `SIPIncomingReferralNotifyDidFail`.
    NotifyDidFail(NotifyDidFail),
    /// `SIPIncomingReferralDidEnd`.
    DidEnd,
}

impl IncomingReferralNotification {
    /// The seed name.
    pub fn notification_name(&self) -> &'static str {
        use IncomingReferralNotification as N;
        match self {
            N::ChangedState(_) => "SIPIncomingReferralChangedState",
            N::GotRefer(_) => "SIPIncomingReferralGotRefer",
            N::GotRefreshingSubscribe(_) => "SIPIncomingReferralGotRefreshingSubscribe",
            N::GotUnsubscribe(_) => "SIPIncomingReferralGotUnsubscribe",
            N::AnsweredRefer(_) => "SIPIncomingReferralAnsweredRefer",
            N::SentNotify(_) => "SIPIncomingReferralSentNotify",
            N::NotifyDidSucceed(_) => "SIPIncomingReferralNotifyDidSucceed",
            N::NotifyDidFail(_) => "SIPIncomingReferralNotifyDidFail",
            N::DidEnd => "SIPIncomingReferralDidEnd",
        }
    }
}

impl NotificationPayload for ReferralNotification {
    fn name(&self) -> &'static str {
        self.notification_name()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl NotificationPayload for IncomingReferralNotification {
    fn name(&self) -> &'static str {
        self.notification_name()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A REFER and its implicit subscription (the seed's `Referral`, RFC 3515; RFC 4488 without
/// subscription). NOTIFYs (`message/sipfrag` progress) are posted as `SIPReferralGotNotify`;
/// a NOTIFY `terminated;reason=noresource` ends it with `SIPReferralDidEnd`. Notifications
/// are [`ReferralNotification`] payloads. Dropping it stops its task.
#[derive(Debug)]
pub struct Referral {
    shared: Arc<SubscriberShared>,
    sender: Sender,
    refer_to: ReferTo,
    route_header: Target,
    credentials: Option<SharedCredentials>,
    task: JoinHandle<()>,
}

impl Drop for Referral {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Referral {
    /// A referral in NULL asking `to_header`'s user (at `request_uri`) to contact
    /// `refer_to_header`, sent through `route_header`. Must be called within a tokio runtime.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        engine: &Engine,
        center: &NotificationCenter,
        request_uri: Uri,
        from_header: FromHeader,
        to_header: ToHeader,
        refer_to_header: ReferTo,
        contact_header: Contact,
        route_header: Target,
        credentials: Option<SharedCredentials>,
    ) -> Referral {
        let config =
            SubscriberConfig::new(request_uri, from_header, to_header, contact_header, "refer")
                .refer(refer_to_header.clone(), true);
        let core = Subscriber::new(config, rand::rngs::StdRng::from_os_rng().next_u64());
        let span = tracing::debug_span!("referral", call_id = core.local_id().0);
        let shared = SubscriberShared::new(core);
        let sender = center.new_sender("Referral");
        let (c, s) = (center.clone(), sender.clone());
        let post = Box::new(move |event: SubscriberEvent| {
            if let Some(n) = referral_notification(event) {
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
        Referral {
            shared,
            sender,
            refer_to: refer_to_header,
            route_header,
            credentials,
            task,
        }
    }

    /// The sender of this referral's notifications.
    pub fn sender(&self) -> &Sender {
        &self.sender
    }

    /// Sends the REFER (`Refer-Sub: false` when `create_subscription` is false). The extra
    /// headers are kept for the refreshes. Fails unless in NULL.
    pub fn send_refer(
        &self,
        create_subscription: bool,
        extra_headers: Vec<Header>,
        timeout: Option<Duration>,
    ) -> Result<(), SubscriptionError> {
        {
            let mut core = lock(&self.shared.core);
            core.set_refer(self.refer_to.clone(), create_subscription)?;
            core.subscribe(now(), extra_headers, None)?;
        }
        *lock(&self.shared.timeout) = timeout;
        self.shared.wake.notify_one();
        Ok(())
    }

    /// Sends a refreshing SUBSCRIBE (`Event: refer`) now, with `contact_header` as our new
    /// Contact when given. Fails in NULL and TERMINATED.
    pub fn refresh(
        &self,
        contact_header: Option<Contact>,
        extra_headers: Vec<Header>,
        timeout: Option<Duration>,
    ) -> Result<(), SubscriptionError> {
        {
            let mut core = lock(&self.shared.core);
            if matches!(
                core.state(),
                crate::subscription::SubscriberState::Null
                    | crate::subscription::SubscriberState::Terminated
            ) {
                return core.refresh(now());
            }
            if let Some(c) = contact_header {
                core.set_contact(c);
            }
            core.subscribe(now(), extra_headers, None)?;
        }
        *lock(&self.shared.timeout) = timeout;
        self.shared.wake.notify_one();
        Ok(())
    }

    /// Ends the implicit subscription (SUBSCRIBE `Event: refer` with `Expires: 0`); does
    /// nothing when not subscribed; fails in NULL.
    pub fn end(&self, timeout: Option<Duration>) -> Result<(), SubscriptionError> {
        lock(&self.shared.core).end(now())?;
        *lock(&self.shared.timeout) = timeout;
        self.shared.wake.notify_one();
        Ok(())
    }

    /// The state (as for a `Subscription`).
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

    /// The Refer-To header.
    pub fn refer_to_header(&self) -> ReferTo {
        self.refer_to.clone()
    }

    /// Our Contact.
    pub fn local_contact_header(&self) -> Contact {
        lock(&self.shared.core).config().contact_header.clone()
    }

    /// The peer's Contact URI, once the dialog exists.
    pub fn remote_contact_header(&self) -> Option<Uri> {
        lock(&self.shared.core)
            .dialog()
            .map(|d| d.remote_target().clone())
    }

    /// Where requests go before the dialog exists.
    pub fn route_header(&self) -> Target {
        self.route_header
    }

    /// The credentials.
    pub fn credentials(&self) -> Option<SharedCredentials> {
        self.credentials.clone()
    }

    /// The implicit subscription's duration, set by the NOTIFYs (`None` before).
    pub fn refresh_interval(&self) -> Option<u32> {
        lock(&self.shared.core).granted_expires()
    }

    /// The extra headers of the last request.
    pub fn extra_headers(&self) -> Vec<Header> {
        lock(&self.shared.core).extra_headers().to_vec()
    }

    /// The address the last request went to.
    pub fn peer_address(&self) -> Option<SocketAddr> {
        *lock(&self.shared.peer)
    }
}

fn referral_notification(event: SubscriberEvent) -> Option<ReferralNotification> {
    use ReferralNotification as N;
    Some(match event {
        SubscriberEvent::ChangedState { prev_state, state } => N::ChangedState(ChangedState {
            prev_state: prev_state.as_str().to_owned(),
            state: state.as_str().to_owned(),
        }),
        SubscriberEvent::WillStart => N::WillStart,
        SubscriberEvent::DidStart => N::DidStart,
        SubscriberEvent::GotNotify(r) => N::GotNotify(Box::new(GotNotify::of(&r))),
        SubscriberEvent::DidFail { code, reason, .. } => {
            N::DidFail(ReferralDidFail { code, reason })
        }
        SubscriberEvent::DidEnd => N::DidEnd,
        #[allow(unreachable_patterns)]
        _ => return None,
    })
}

/// An incoming REFER (the seed's `IncomingReferral`): made from a [`NewDialog`] carrying a
/// REFER; the application [`accept`](Self::accept)s (202 and a NOTIFY `SIP/2.0 100 Trying`)
/// or [`reject`](Self::reject)s it, reports progress with [`send_notify`](Self::send_notify)
/// (a final code ends the subscription with `reason=noresource`), and may
/// [`end`](Self::end) it. A REFER with `Refer-Sub: false` (RFC 4488) gets no NOTIFYs: its
/// answer carries `Refer-Sub: false` and it ends at once. Notifications are
/// [`IncomingReferralNotification`] payloads. Dropping it ends it.
#[derive(Debug)]
pub struct IncomingReferral {
    shared: Arc<NotifierShared>,
    sender: Sender,
    remote_contact: Option<Contact>,
}

impl Drop for IncomingReferral {
    fn drop(&mut self) {
        lock(&self.shared.core).end(now(), None);
        self.shared.wake.notify_one();
    }
}

impl IncomingReferral {
    /// The incoming referral of `new_dialog` (a REFER), in `incoming`; posts
    /// `SIPIncomingReferralGotRefer`. A REFER without a single valid Refer-To is answered 400
    /// and gives [`SubscriptionError::Rejected`]. Must be called within a tokio runtime.
    pub fn new(
        engine: &Engine,
        center: &NotificationCenter,
        new_dialog: NewDialog,
    ) -> Result<IncomingReferral, SubscriptionError> {
        let request = &new_dialog.incoming.request;
        if request.method() != &Method::Refer {
            return Err(SubscriptionError::InvalidState {
                operation: "IncomingReferral::new",
                state: request.method().to_string(),
            });
        }
        let core = notifier_for(engine, &new_dialog, NotifierConfig::default())?;
        let sender = center.new_sender("IncomingReferral");
        post_on(
            center,
            &sender,
            Arc::new(IncomingReferralNotification::GotRefer(Box::new(GotRefer {
                method: request.method().clone(),
                request_uri: request.uri().clone(),
                refer_to: request.headers().typed_first().ok().flatten(),
                headers: request.headers().clone(),
                body: (!request.body().is_empty()).then(|| request.body().clone()),
            }))),
        );
        let remote_contact = request.headers().typed_first::<Contact>().ok().flatten();
        let span = tracing::debug_span!("incoming_referral", call_id = %new_dialog.route.call_id);
        let shared = Arc::new(NotifierShared {
            core: std::sync::Mutex::new(core),
            wake: tokio::sync::Notify::new(),
            peer: new_dialog.incoming.source.addr,
        });
        let (c, s) = (center.clone(), sender.clone());
        let post = Box::new(move |p: NotifierPost| {
            if let Some(n) = incoming_referral_notification(p) {
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
        Ok(IncomingReferral {
            shared,
            sender,
            remote_contact,
        })
    }

    /// The incoming referral of a REFER received within a call (RFC 3515 §2.4.3), handed out
    /// by `invitation` as [`InviteEvent::GotRequest`](crate::invitation::InviteEvent::GotRequest):
    /// it claims the request from the Invitation and shares its dialog (same Call-ID and
    /// tags). Its NOTIFYs are built and sent by the Invitation, with the dialog's next local
    /// CSeq; its answers use the call's Contact. Posts `SIPIncomingReferralGotRefer`. Other
    /// requests of the dialog (a refreshing SUBSCRIBE) still reach the Invitation. A REFER
    /// without a single valid Refer-To is answered 400 and gives
    /// [`SubscriptionError::Rejected`]; a request that is not a REFER, or was answered already,
    /// gives [`SubscriptionError::InvalidState`].
    pub async fn in_dialog(
        invitation: &Invitation,
        center: &NotificationCenter,
        request: &GotRequest,
    ) -> Result<IncomingReferral, SubscriptionError> {
        if request.request.method() != &Method::Refer {
            return Err(SubscriptionError::InvalidState {
                operation: "IncomingReferral::in_dialog",
                state: request.request.method().to_string(),
            });
        }
        let claimed = invitation.claim_request(request.tx).await.map_err(|e| {
            SubscriptionError::InvalidState {
                operation: "IncomingReferral::in_dialog",
                state: e.to_string(),
            }
        })?;
        let ClaimedRequest {
            mut request,
            key,
            source,
            engine,
            local_contact,
            call_id,
        } = claimed;
        let local_tag = request
            .headers()
            .typed::<ToHeader>()
            .ok()
            .and_then(|t| t.tag().map(str::to_owned))
            .unwrap_or_default();
        let local_contact =
            local_contact.unwrap_or_else(|| Contact::new(NameAddr::new(request.uri().clone())));
        // The dialog's remote target may be refreshed by the REFER; without a Contact the
        // notifier still needs one (its NOTIFYs are rebuilt in the call's dialog anyway).
        if !request.headers().contains(&HeaderName::Contact)
            && let Some(c) = invitation.remote_contact_header()
        {
            request.headers_mut().push_typed(&c);
        }
        let core = Notifier::new(
            now(),
            &request,
            &local_tag,
            &local_contact,
            NotifierConfig::default(),
        )
        .map_err(|response| {
            let code = response.status().code();
            let (engine, key) = (engine.clone(), key.clone());
            tokio::spawn(async move {
                let _ = engine.respond(&key, *response).await;
            });
            SubscriptionError::Rejected(code)
        })?;
        let sender = center.new_sender("IncomingReferral");
        post_on(
            center,
            &sender,
            Arc::new(IncomingReferralNotification::GotRefer(Box::new(GotRefer {
                method: request.method().clone(),
                request_uri: request.uri().clone(),
                refer_to: request.headers().typed_first().ok().flatten(),
                headers: request.headers().clone(),
                body: (!request.body().is_empty()).then(|| request.body().clone()),
            }))),
        );
        let remote_contact = request.headers().typed_first::<Contact>().ok().flatten();
        let span = tracing::debug_span!("incoming_referral", call_id = %call_id, in_dialog = true);
        let shared = Arc::new(NotifierShared {
            core: std::sync::Mutex::new(core),
            wake: tokio::sync::Notify::new(),
            peer: source.addr,
        });
        let (c, s) = (center.clone(), sender.clone());
        let post = Box::new(move |p: NotifierPost| {
            if let Some(n) = incoming_referral_notification(p) {
                post_on(&c, &s, Arc::new(n));
            }
        });
        spawn_notifier(
            engine,
            shared.clone(),
            key,
            NotifyPath::Invitation(invitation.dialog_requester()),
            post,
            span,
        );
        Ok(IncomingReferral {
            shared,
            sender,
            remote_contact,
        })
    }

    /// The sender of this referral's notifications.
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

    /// Answers `code` (2xx; the seed's default is 202) and, unless the REFER asked for no
    /// subscription, sends a NOTIFY `active;expires=<duration>` with the sipfrag
    /// `SIP/2.0 100 Trying`; only in `incoming`.
    pub fn accept(&self, code: u16, duration: u32) -> Result<(), SubscriptionError> {
        self.with_core(|c| {
            c.set_duration(duration)?;
            c.accept(now(), code, Some(sipfrag_content(100, None)))
        })
    }

    /// Sends a NOTIFY whose sipfrag is `SIP/2.0 <code> <status>` (`status` `None`: the
    /// standard reason phrase); a final code (≥ 200) ends the subscription
    /// (`terminated;reason=noresource`). Only in `active`.
    pub fn send_notify(&self, code: u16, status: Option<&str>) -> Result<(), SubscriptionError> {
        self.with_core(|c| {
            if c.state() != crate::subscription::NotifierState::Active {
                return Err(SubscriptionError::InvalidState {
                    operation: "send_notify",
                    state: c.state().as_str().to_owned(),
                });
            }
            let content = sipfrag_content(code, status);
            if code >= 200 {
                c.push_final_content(now(), content, "noresource")
            } else {
                c.push_content(now(), content)
            }
        })
    }

    /// Ends the subscription (NOTIFY `terminated;reason=noresource` with the last sipfrag).
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

    /// Our Contact (the REFER's Request-URI).
    pub fn local_contact_header(&self) -> Contact {
        lock(&self.shared.core).dialog().local_contact().clone()
    }

    /// The Contact of the REFER.
    pub fn remote_contact_header(&self) -> Option<Contact> {
        self.remote_contact.clone()
    }

    /// Where the REFER came from.
    pub fn peer_address(&self) -> SocketAddr {
        self.shared.peer
    }
}

fn incoming_referral_notification(p: NotifierPost) -> Option<IncomingReferralNotification> {
    use IncomingReferralNotification as N;
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
        NotifierPost::Answered(r)
            if r.headers()
                .typed::<crate::header::CSeq>()
                .is_ok_and(|c| c.method == Method::Refer) =>
        {
            N::AnsweredRefer(ResponseData::of(&r))
        }
        NotifierPost::Answered(_) => return None,
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
