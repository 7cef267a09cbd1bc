//! Publication of event state at a presence agent (RFC 3903), the seed's `Publication`.
//!
//! A [`Publication`] sends PUBLISH requests for one event package through an [`Engine`]. The
//! first request carries the body; the 2xx gives an entity tag (SIP-ETag) that the following
//! requests quote in SIP-If-Match. Calling [`publish`](Publication::publish) with no body
//! refreshes the published state (a PUBLISH without body); with a body it modifies it. When
//! the presence agent answers 412 Conditional Request Failed, the publication starts over
//! with a fresh PUBLISH of the last body (no SIP-If-Match). Digest challenges are answered
//! with the credentials held by reference ([`SharedCredentials`]).
//!
//! Like [`Registration`](crate::registration::Registration), a publication refreshes itself:
//! at the refresh time (see [`refresh_delay`]) it posts `SIPPublicationWillExpire` and sends
//! a refreshing PUBLISH; when the state runs out, `SIPPublicationDidEnd` is posted with
//! `expired: true`. Notifications are [`NotificationData::Custom`] payloads
//! ([`PublicationNotification`]).
//!
//! ```no_run
//! use bytes::Bytes;
//! use sip_core::engine::{Engine, EngineConfig};
//! use sip_core::header::{FromHeader, NameAddr};
//! use sip_core::notification::NotificationCenter;
//! use sip_core::publication::Publication;
//! use sip_core::transaction::{Target, TransportKind};
//! use sip_core::uri::Uri;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let center = NotificationCenter::new();
//! let engine = Engine::start(EngineConfig::new(), center.clone()).await?;
//! let from = FromHeader::new(NameAddr::new(Uri::parse("sip:alice@example.com")?));
//! let publication =
//!     Publication::new(&engine, &center, from, "presence", "application/pidf+xml", None, 600);
//! let agent = Target::new("192.0.2.1:5060".parse()?, TransportKind::Udp);
//! publication
//!     .publish(Some(Bytes::from_static(b"<presence/>")), agent, None)
//!     .await?;
//! if publication.is_published() {
//!     publication.end(None).await?;
//! }
//! # Ok(())
//! # }
//! ```

mod notifications;

use std::any::Any;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use bytes::Bytes;
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::client_exchange::{Outcome, exchange, failure, outcome_of, via_sent_by};
use crate::digest::{AuthDecision, RequestAuthenticator};
use crate::engine::Engine;
use crate::header::{Expires, FromHeader, HeaderName, SipETag, TypedHeader};
use crate::message::{Method, Request};
use crate::notification::{NotificationCenter, NotificationData, NotificationPayload, Sender};
use crate::registration::{SharedCredentials, refresh_delay};
use crate::transaction::Target;

pub use notifications::{
    PublicationDidEnd, PublicationDidFail, PublicationDidNotEnd, PublicationDidSucceed,
    PublicationNotification, PublicationWillEnd, PublicationWillExpire,
};

/// How many times one PUBLISH may be re-sent after a challenge or a 412.
const MAX_RETRIES: u32 = 3;

/// What [`Publication`] refuses to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PublicationError {
    /// A refresh (no body) was asked for, but nothing was published yet.
    #[error("no body was published yet: the first PUBLISH needs a body")]
    NoBody,
    /// A refresh (no body) was asked for after the previous refresh hit an entity-tag error
    /// (412): publish a body again.
    #[error("the last refresh failed with an entity-tag error: publish a body again")]
    EtagError,
    /// `end()` was called while nothing is published.
    #[error("nothing is published")]
    NotPublished,
    /// The content type is not of the `type/subtype` form.
    #[error("invalid content type {0:?}")]
    InvalidContentType(String),
}

#[derive(Debug)]
struct State {
    from_header: FromHeader,
    event: String,
    content_type: String,
    duration: u32,
    call_id: String,
    cseq: u32,
    published: bool,
    etag: Option<String>,
    etag_error: bool,
    body: Option<Bytes>,
    target: Option<Target>,
    expires_at: Option<Instant>,
    refresh_at: Option<Instant>,
    auth: RequestAuthenticator,
}

#[derive(Debug)]
struct Inner {
    engine: Engine,
    center: NotificationCenter,
    sender: Sender,
    credentials: RwLock<Option<SharedCredentials>>,
    state: Mutex<State>,
    op: tokio::sync::Mutex<()>,
    wake: Notify,
    refresher: Mutex<Option<JoinHandle<()>>>,
}

/// The publication of one event package's state for one address (the seed's `Publication`).
///
/// Dropping it stops the automatic refresh (it does not unpublish: call
/// [`end`](Self::end) first).
#[derive(Debug)]
pub struct Publication {
    inner: Arc<Inner>,
}

impl Drop for Publication {
    fn drop(&mut self) {
        if let Some(h) = self.inner.lock_refresher().take() {
            h.abort();
        }
    }
}

/// What one PUBLISH carries.
#[derive(Clone, Copy)]
enum Kind {
    /// The body (initial or modify).
    Body,
    /// No body: a refresh.
    Refresh,
    /// Expires: 0.
    Remove,
}

impl Publication {
    /// A publication of `event` state with bodies of `content_type` for `from_header`'s
    /// address, valid for `duration` seconds, answering challenges with `credentials` (kept
    /// by reference). Notifications are posted on `center` as [`sender`](Self::sender).
    pub fn new(
        engine: &Engine,
        center: &NotificationCenter,
        mut from_header: FromHeader,
        event: &str,
        content_type: &str,
        credentials: Option<SharedCredentials>,
        duration: u32,
    ) -> Publication {
        let mut rng = StdRng::from_os_rng();
        from_header.set_tag(&format!("{:016x}", rng.next_u64()));
        let state = State {
            from_header,
            event: event.to_owned(),
            content_type: content_type.to_owned(),
            duration,
            call_id: format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64()),
            cseq: 0,
            published: false,
            etag: None,
            etag_error: false,
            body: None,
            target: None,
            expires_at: None,
            refresh_at: None,
            auth: RequestAuthenticator::from_entropy(MAX_RETRIES),
        };
        Publication {
            inner: Arc::new(Inner {
                engine: engine.clone(),
                center: center.clone(),
                sender: center.new_sender("Publication"),
                credentials: RwLock::new(credentials),
                state: Mutex::new(state),
                op: tokio::sync::Mutex::new(()),
                wake: Notify::new(),
                refresher: Mutex::new(None),
            }),
        }
    }

    /// The sender of this publication's notifications.
    pub fn sender(&self) -> &Sender {
        &self.inner.sender
    }

    /// The From header the PUBLISH requests carry.
    pub fn from_header(&self) -> FromHeader {
        self.inner.lock_state().from_header.clone()
    }

    /// The event package published for.
    pub fn event(&self) -> String {
        self.inner.lock_state().event.clone()
    }

    /// The Content-Type of the bodies.
    pub fn content_type(&self) -> String {
        self.inner.lock_state().content_type.clone()
    }

    /// Changes the Content-Type of the next bodies; it must be of the `type/subtype` form.
    pub fn set_content_type(&self, content_type: &str) -> Result<(), PublicationError> {
        match content_type.split_once('/') {
            Some((t, s)) if !t.is_empty() && !s.is_empty() => {
                self.inner.lock_state().content_type = content_type.to_owned();
                Ok(())
            }
            _ => Err(PublicationError::InvalidContentType(
                content_type.to_owned(),
            )),
        }
    }

    /// The credentials handle, if any.
    pub fn credentials(&self) -> Option<SharedCredentials> {
        self.inner
            .credentials
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replaces the credentials handle used for the next request.
    pub fn set_credentials(&self, credentials: Option<SharedCredentials>) {
        *self
            .inner
            .credentials
            .write()
            .unwrap_or_else(|e| e.into_inner()) = credentials;
    }

    /// The validity in seconds asked for.
    pub fn duration(&self) -> u32 {
        self.inner.lock_state().duration
    }

    /// Changes the validity asked for by the next PUBLISH.
    pub fn set_duration(&self, duration: u32) {
        self.inner.lock_state().duration = duration;
    }

    /// Whether state is currently published.
    pub fn is_published(&self) -> bool {
        self.inner.lock_state().published
    }

    /// Seconds until the publication expires, 0 when not published.
    pub fn expires_in(&self) -> u32 {
        let s = self.inner.lock_state();
        match (s.published, s.expires_at) {
            (true, Some(at)) => {
                u32::try_from(at.saturating_duration_since(Instant::now()).as_secs())
                    .unwrap_or(u32::MAX)
            }
            _ => 0,
        }
    }

    /// The presence agent's address, once a PUBLISH was sent.
    pub fn peer_address(&self) -> Option<SocketAddr> {
        self.inner.lock_state().target.map(|t| t.addr)
    }

    /// Publishes `body` (or, with `None`, refreshes the last body without resending it) at
    /// `route` and waits for the outcome, posted as `SIPPublicationDidSucceed` or
    /// `SIPPublicationDidFail`. Fails without sending when `body` is `None` and nothing was
    /// published ([`PublicationError::NoBody`]) or the last refresh hit a 412
    /// ([`PublicationError::EtagError`]).
    pub async fn publish(
        &self,
        body: Option<Bytes>,
        route: Target,
        timeout: Option<Duration>,
    ) -> Result<(), PublicationError> {
        let _guard = self.inner.op.lock().await;
        let kind = {
            let mut s = self.inner.lock_state();
            match body {
                Some(b) => {
                    s.body = Some(b);
                    s.etag_error = false;
                    Kind::Body
                }
                None if s.etag_error => return Err(PublicationError::EtagError),
                None if s.body.is_none() => return Err(PublicationError::NoBody),
                None if s.etag.is_none() => Kind::Body,
                None => Kind::Refresh,
            }
        };
        self.inner.do_publish(kind, route, timeout).await;
        self.ensure_refresher();
        Ok(())
    }

    /// Removes the published state (PUBLISH with `Expires: 0` to the last presence agent):
    /// posts `SIPPublicationWillEnd`, then `SIPPublicationDidEnd` (`expired: false`) or
    /// `SIPPublicationDidNotEnd`. Fails with [`PublicationError::NotPublished`] when nothing
    /// is published.
    pub async fn end(&self, timeout: Option<Duration>) -> Result<(), PublicationError> {
        let _guard = self.inner.op.lock().await;
        let target = {
            let s = self.inner.lock_state();
            match (s.published, s.target) {
                (true, Some(t)) => t,
                _ => return Err(PublicationError::NotPublished),
            }
        };
        self.inner
            .post(PublicationNotification::WillEnd(PublicationWillEnd {}));
        let out = self.inner.transact(Kind::Remove, target, timeout).await;
        if (200..300).contains(&out.code) {
            self.inner.clear();
            self.inner
                .post(PublicationNotification::DidEnd(PublicationDidEnd {
                    expired: false,
                }));
        } else {
            self.inner
                .post(PublicationNotification::DidNotEnd(PublicationDidNotEnd {
                    code: out.code,
                    reason: out.reason,
                }));
        }
        Ok(())
    }

    fn ensure_refresher(&self) {
        let mut slot = self.inner.lock_refresher();
        if slot.is_none() {
            *slot = Some(tokio::spawn(refresher(Arc::downgrade(&self.inner))));
        } else {
            self.inner.wake.notify_one();
        }
    }
}

/// The background task refreshing a publication and noticing its expiry.
async fn refresher(weak: Weak<Inner>) {
    loop {
        let Some(inner) = weak.upgrade() else { return };
        let (deadline, refresh) = {
            let s = inner.lock_state();
            match (s.published, s.refresh_at, s.expires_at) {
                (true, Some(r), _) => (Some(r), true),
                (true, None, Some(e)) => (Some(e), false),
                _ => (None, false),
            }
        };
        let Some(deadline) = deadline else {
            // The task is aborted when the Publication is dropped.
            inner.wake.notified().await;
            continue;
        };
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => {}
            () = inner.wake.notified() => continue,
        }
        let _guard = inner.op.lock().await;
        let now = Instant::now();
        let (refresh, expired, left, target) = {
            let s = inner.lock_state();
            if !s.published {
                continue;
            }
            let refresh = refresh && s.refresh_at.is_some_and(|r| now >= r);
            let expired = s.expires_at.is_some_and(|e| now >= e);
            let left = s
                .expires_at
                .map_or(0, |e| e.saturating_duration_since(now).as_secs());
            (refresh, expired, left, s.target)
        };
        if refresh {
            inner.post(PublicationNotification::WillExpire(PublicationWillExpire {
                expires: u32::try_from(left).unwrap_or(u32::MAX),
            }));
            inner.lock_state().refresh_at = None;
            if let Some(target) = target {
                inner.do_publish(Kind::Refresh, target, None).await;
            }
        } else if expired {
            inner.clear();
            inner.post(PublicationNotification::DidEnd(PublicationDidEnd {
                expired: true,
            }));
        }
    }
}

impl Inner {
    fn lock_state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_refresher(&self) -> std::sync::MutexGuard<'_, Option<JoinHandle<()>>> {
        self.refresher.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn post(&self, n: PublicationNotification) {
        let payload: Arc<dyn NotificationPayload> = Arc::new(n);
        self.center
            .post_notification(Some(&self.sender), NotificationData::Custom(payload));
    }

    fn clear(&self) {
        {
            let mut s = self.lock_state();
            s.published = false;
            s.etag = None;
            s.expires_at = None;
            s.refresh_at = None;
        }
        self.wake.notify_one();
    }

    async fn do_publish(&self, kind: Kind, target: Target, timeout: Option<Duration>) {
        let out = self.transact(kind, target, timeout).await;
        let Some(response) = out.response.filter(|_| (200..300).contains(&out.code)) else {
            self.lock_state().refresh_at = None;
            self.wake.notify_one();
            self.post(PublicationNotification::DidFail(PublicationDidFail {
                code: out.code,
                reason: out.reason,
                route_header: target,
            }));
            return;
        };
        let etag = response
            .headers()
            .typed_first::<SipETag>()
            .ok()
            .flatten()
            .map(|e| e.as_str().to_owned());
        let now = Instant::now();
        let expires = {
            let mut s = self.lock_state();
            let expires = response
                .headers()
                .typed_first::<Expires>()
                .ok()
                .flatten()
                .map_or(s.duration, |e| e.0);
            s.published = expires > 0;
            s.etag = etag;
            s.target = Some(target);
            s.expires_at = Some(now + Duration::from_secs(u64::from(expires)));
            s.refresh_at = Some(now + refresh_delay(expires));
            expires
        };
        self.wake.notify_one();
        self.post(PublicationNotification::DidSucceed(PublicationDidSucceed {
            code: out.code,
            reason: out.reason,
            route_header: target,
            expires_in: expires,
        }));
    }

    /// One PUBLISH exchange with its retries after challenges and 412.
    async fn transact(&self, mut kind: Kind, target: Target, timeout: Option<Duration>) -> Outcome {
        let work = async {
            self.lock_state().auth.reset_attempts();
            loop {
                let request = match self.build_request(kind, target).await {
                    Ok(r) => r,
                    Err(reason) => return failure(0, reason),
                };
                let response = match exchange(&self.engine, request, target).await {
                    Ok(r) => r,
                    Err(out) => return out,
                };
                let code = response.status().code();
                let reason = response.reason().to_owned();
                match code {
                    401 | 407 => {
                        let has_credentials = self
                            .credentials
                            .read()
                            .unwrap_or_else(|e| e.into_inner())
                            .is_some();
                        let decision = self
                            .lock_state()
                            .auth
                            .handle_response(&response, has_credentials);
                        if let AuthDecision::GiveUp { reason } = decision {
                            return outcome_of(response, code, reason);
                        }
                    }
                    412 => {
                        // The entity tag is unknown: start over with a fresh PUBLISH.
                        let mut s = self.lock_state();
                        s.etag = None;
                        s.published = false;
                        if s.auth.has_attempts_left()
                            && !matches!(kind, Kind::Remove)
                            && s.body.is_some()
                        {
                            kind = Kind::Body;
                            s.auth.count_attempt();
                        } else {
                            s.etag_error = true;
                            return outcome_of(response, code, reason);
                        }
                    }
                    _ => return outcome_of(response, code, reason),
                }
            }
        };
        match timeout {
            Some(t) => tokio::time::timeout(t, work)
                .await
                .unwrap_or_else(|_| failure(408, "Request Timeout".to_owned())),
            None => work.await,
        }
    }

    async fn build_request(&self, kind: Kind, target: Target) -> Result<Request, String> {
        let credentials = self
            .credentials
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let local_ip = match target.addr {
            SocketAddr::V4(a) if a.ip().is_loopback() => "127.0.0.1".to_owned(),
            SocketAddr::V6(a) if a.ip().is_loopback() => "[::1]".to_owned(),
            _ => "0.0.0.0".to_owned(),
        };
        let sent_by = via_sent_by(&self.engine, target, &local_ip).await?;
        let mut s = self.lock_state();
        let uri = s.from_header.uri().clone();
        s.cseq += 1;
        let transport = format!("{:?}", target.transport).to_ascii_uppercase();
        let mut builder = Request::builder(Method::from("PUBLISH"), uri.clone())
            .header(
                HeaderName::Via,
                format!("SIP/2.0/{transport} {sent_by};rport"),
            )
            .header(HeaderName::MaxForwards, "70")
            .header(HeaderName::From, s.from_header.to_value_string())
            .header(HeaderName::To, format!("<{uri}>"))
            .header(HeaderName::CallId, s.call_id.clone())
            .header(HeaderName::CSeq, format!("{} PUBLISH", s.cseq))
            .header(HeaderName::Event, s.event.clone());
        if let Some(etag) = &s.etag {
            builder = builder.header(HeaderName::SipIfMatch, etag.clone());
        }
        let expires = if matches!(kind, Kind::Remove) {
            0
        } else {
            s.duration
        };
        builder = builder.typed(&Expires(expires));
        let body = match (kind, &s.body) {
            (Kind::Body, Some(b)) => Some(b.clone()),
            // Without an entity tag a refresh can only resend the state.
            (Kind::Refresh, Some(b)) if s.etag.is_none() => Some(b.clone()),
            _ => None,
        };
        if let Some(b) = &body {
            builder = builder.body(&s.content_type, b.clone());
        }
        let mut request = builder.build();
        if let Some(credentials) = credentials {
            let credentials = credentials
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            // The body as given, an empty one too (`authorize` would leave that out).
            let headers = s
                .auth
                .authorization_headers(&credentials, "PUBLISH", &uri.to_string(), body.as_deref())
                .map_err(|e| e.to_string())?;
            for (name, value) in headers {
                request.headers_mut().push(name, value);
            }
        }
        Ok(request)
    }
}

impl NotificationPayload for PublicationNotification {
    fn name(&self) -> &'static str {
        self.notification_name()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
