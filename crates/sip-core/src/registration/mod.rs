//! Registration of a contact at a SIP registrar (RFC 3261 §10), the seed's `Registration`.
//!
//! A [`Registration`] sends REGISTER requests through an [`Engine`], keeping one Call-ID for
//! all of them and incrementing the CSeq. It answers digest challenges (401/407) with the
//! credentials it holds *by reference* ([`SharedCredentials`]): updating them applies to the
//! next request. A 423 Interval Too Brief is retried once with the registrar's Min-Expires.
//!
//! Unlike the seed, a registration refreshes itself: at the refresh time (half the granted
//! expiry, but no earlier than 30 s before expiry when the expiry is longer than a minute) it
//! posts `SIPRegistrationWillExpire` and re-sends REGISTER to the same peer with the same
//! contact. If the refresh fails and the registration runs out, `SIPRegistrationDidEnd` is
//! posted with `expired: true`. Calling [`Registration::register`] again at any time (for
//! example after a new DNS lookup) is still allowed.
//!
//! Notifications are posted on the [`NotificationCenter`] given at creation, as
//! [`NotificationData::Custom`] payloads (see [`RegistrationNotification`]).
//!
//! ```no_run
//! use std::sync::{Arc, RwLock};
//! use sip_core::digest::Credentials;
//! use sip_core::engine::{Engine, EngineConfig};
//! use sip_core::header::{Contact, FromHeader, NameAddr};
//! use sip_core::notification::NotificationCenter;
//! use sip_core::registration::Registration;
//! use sip_core::transaction::{Target, TransportKind};
//! use sip_core::uri::Uri;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let center = NotificationCenter::new();
//! let engine = Engine::start(EngineConfig::new(), center.clone()).await?;
//! let from = FromHeader::new(NameAddr::new(Uri::parse("sip:alice@example.com")?));
//! let credentials = Arc::new(RwLock::new(Credentials::new("alice", "secret")));
//! let registration = Registration::new(&engine, &center, from, Some(credentials), 600);
//! let contact = Contact::new(NameAddr::new(Uri::parse("sip:alice@192.0.2.10:5060")?));
//! let registrar = Target::new("192.0.2.1:5060".parse()?, TransportKind::Udp);
//! registration.register(contact, registrar, None).await;
//! if registration.is_registered() {
//!     println!("registered for {} s", registration.expires_in());
//! }
//! registration.end(None).await;
//! # Ok(())
//! # }
//! ```

mod notifications;

use std::any::Any;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::client_exchange::{Outcome, exchange, failure, outcome_of, via_sent_by};
use crate::digest::{AuthDecision, Credentials, RequestAuthenticator};
use crate::engine::Engine;
use crate::header::{Contact, Expires, FromHeader, HeaderName, MinExpires, TypedHeader};
use crate::message::{Method, Request};
use crate::notification::{NotificationCenter, NotificationData, NotificationPayload, Sender};
use crate::transaction::Target;
use crate::uri::{SipUri, Uri};

pub use notifications::{
    RegistrationDidEnd, RegistrationDidFail, RegistrationDidNotEnd, RegistrationDidSucceed,
    RegistrationNotification, RegistrationWillEnd, RegistrationWillExpire,
};

/// Credentials shared by reference: the seed's Registration keeps a reference to its
/// credentials, so a change made through this handle applies to the next request.
pub type SharedCredentials = Arc<RwLock<Credentials>>;

/// How many times one REGISTER may be re-sent after a challenge or a 423.
const MAX_RETRIES: u32 = 3;

/// The refresh delay for a granted expiry: half of it, but no earlier than 30 s before expiry
/// for expiries over a minute (a 3600 s registration refreshes after 3570 s).
pub fn refresh_delay(expires: u32) -> Duration {
    let secs = u64::from(expires);
    let delay_ms = if secs > 60 {
        (secs - 30) * 1000
    } else {
        secs * 500
    };
    Duration::from_millis(delay_ms.max(500))
}

#[derive(Debug)]
struct State {
    from_header: FromHeader,
    duration: u32,
    call_id: String,
    cseq: u32,
    registered: bool,
    contact: Option<Contact>,
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
    /// Counts `register()`/`end()` calls; a REGISTER in flight gives way when it changes.
    generation: AtomicU64,
    /// Wakes the REGISTER in flight when a newer call pre-empts it.
    preempt: Notify,
    wake: Notify,
    refresher: Mutex<Option<JoinHandle<()>>>,
}

/// A registration of one address of record at a registrar (the seed's `Registration`).
///
/// Dropping it stops the automatic refresh (it does not unregister: call
/// [`end`](Self::end) first).
#[derive(Debug)]
pub struct Registration {
    inner: Arc<Inner>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(h) = self.inner.lock_refresher().take() {
            h.abort();
        }
    }
}

impl Registration {
    /// A registration of `from_header`'s address (its tag is replaced by a fresh one), which
    /// asks for `duration` seconds and answers challenges with `credentials` (kept by
    /// reference). Notifications are posted on `center` with a sender of its own
    /// ([`sender`](Self::sender)).
    pub fn new(
        engine: &Engine,
        center: &NotificationCenter,
        mut from_header: FromHeader,
        credentials: Option<SharedCredentials>,
        duration: u32,
    ) -> Registration {
        let mut rng = StdRng::from_os_rng();
        from_header.set_tag(&format!("{:016x}", rng.next_u64()));
        let call_id = format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64());
        let state = State {
            from_header,
            duration,
            call_id,
            cseq: 0,
            registered: false,
            contact: None,
            target: None,
            expires_at: None,
            refresh_at: None,
            auth: RequestAuthenticator::from_entropy(MAX_RETRIES),
        };
        Registration {
            inner: Arc::new(Inner {
                engine: engine.clone(),
                center: center.clone(),
                sender: center.new_sender("Registration"),
                credentials: RwLock::new(credentials),
                state: Mutex::new(state),
                op: tokio::sync::Mutex::new(()),
                generation: AtomicU64::new(0),
                preempt: Notify::new(),
                wake: Notify::new(),
                refresher: Mutex::new(None),
            }),
        }
    }

    /// The sender of this registration's notifications (filter observers on its id).
    pub fn sender(&self) -> &Sender {
        &self.inner.sender
    }

    /// The From header the REGISTER requests carry.
    pub fn from_header(&self) -> FromHeader {
        self.inner.lock_state().from_header.clone()
    }

    /// The Call-ID shared by all REGISTER requests of this registration.
    pub fn call_id(&self) -> String {
        self.inner.lock_state().call_id.clone()
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

    /// The expiry in seconds asked for.
    pub fn duration(&self) -> u32 {
        self.inner.lock_state().duration
    }

    /// Changes the expiry asked for by the next REGISTER.
    pub fn set_duration(&self, duration: u32) {
        self.inner.lock_state().duration = duration;
    }

    /// Whether the contact is currently registered.
    pub fn is_registered(&self) -> bool {
        self.inner.lock_state().registered
    }

    /// The contact last registered, `None` when not registered.
    pub fn contact_header(&self) -> Option<Contact> {
        let s = self.inner.lock_state();
        if s.registered {
            s.contact.clone()
        } else {
            None
        }
    }

    /// Seconds until the registration expires, 0 when not registered.
    pub fn expires_in(&self) -> u32 {
        let s = self.inner.lock_state();
        match (s.registered, s.expires_at) {
            (true, Some(at)) => {
                u32::try_from(at.saturating_duration_since(Instant::now()).as_secs())
                    .unwrap_or(u32::MAX)
            }
            _ => 0,
        }
    }

    /// The registrar's address, once a REGISTER was sent.
    pub fn peer_address(&self) -> Option<SocketAddr> {
        self.inner.lock_state().target.map(|t| t.addr)
    }

    /// Sends a REGISTER for `contact_header` to `route` (the registrar) and waits for the
    /// outcome, posted as `SIPRegistrationDidSucceed` or `SIPRegistrationDidFail`. `timeout`
    /// bounds the whole exchange (a 408 failure when it runs out). A REGISTER already in
    /// flight (of an earlier call or of the automatic refresh) is pre-empted: its outcome is
    /// no longer waited for and posts nothing.
    pub async fn register(
        &self,
        contact_header: Contact,
        route: Target,
        timeout: Option<Duration>,
    ) {
        self.inner.preempt_in_flight();
        let _guard = self.inner.op.lock().await;
        self.inner.do_register(contact_header, route, timeout).await;
        self.ensure_refresher();
    }

    /// Unregisters (REGISTER with `Expires: 0` to the last registrar) when registered: posts
    /// `SIPRegistrationWillEnd`, then `SIPRegistrationDidEnd` (`expired: false`) or
    /// `SIPRegistrationDidNotEnd`. Does nothing when not registered. Pre-empts a REGISTER in
    /// flight, as [`register`](Self::register) does.
    pub async fn end(&self, timeout: Option<Duration>) {
        self.inner.preempt_in_flight();
        let _guard = self.inner.op.lock().await;
        let (contact, target) = {
            let s = self.inner.lock_state();
            match (s.registered, s.contact.clone(), s.target) {
                (true, Some(c), Some(t)) => (c, t),
                _ => return,
            }
        };
        self.inner
            .post(RegistrationNotification::WillEnd(RegistrationWillEnd {}));
        let mut contact = contact;
        contact.set_expires(0);
        let Some(out) = self.inner.transact(&contact, target, 0, timeout).await else {
            return;
        };
        if (200..300).contains(&out.code) {
            {
                let mut s = self.inner.lock_state();
                s.registered = false;
                s.expires_at = None;
                s.refresh_at = None;
            }
            self.inner.wake.notify_one();
            self.inner
                .post(RegistrationNotification::DidEnd(RegistrationDidEnd {
                    expired: false,
                }));
        } else {
            self.inner
                .post(RegistrationNotification::DidNotEnd(RegistrationDidNotEnd {
                    code: out.code,
                    reason: out.reason,
                }));
        }
    }

    fn ensure_refresher(&self) {
        let mut slot = self.inner.lock_refresher();
        if slot.is_none() {
            let weak = Arc::downgrade(&self.inner);
            *slot = Some(tokio::spawn(refresher(weak)));
        } else {
            self.inner.wake.notify_one();
        }
    }
}

/// The background task refreshing a registration and noticing its expiry.
async fn refresher(weak: Weak<Inner>) {
    loop {
        let (inner, deadline, refresh) = {
            let Some(inner) = weak.upgrade() else { return };
            let s = inner.lock_state();
            let (deadline, refresh) = match (s.registered, s.refresh_at, s.expires_at) {
                (true, Some(r), _) => (Some(r), true),
                (true, None, Some(e)) => (Some(e), false),
                _ => (None, false),
            };
            drop(s);
            (inner, deadline, refresh)
        };
        let Some(deadline) = deadline else {
            // The task is aborted when the Registration is dropped.
            inner.wake.notified().await;
            continue;
        };
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => {}
            () = inner.wake.notified() => continue,
        }
        let _guard = inner.op.lock().await;
        let (contact, target, expires_left, refresh) = {
            let s = inner.lock_state();
            if !s.registered {
                continue;
            }
            // Re-read: a register() may have rescheduled while this task waited for `op`.
            let refresh = refresh && s.refresh_at.is_some_and(|r| Instant::now() >= r);
            let left = s
                .expires_at
                .map(|e| e.saturating_duration_since(Instant::now()).as_secs())
                .unwrap_or(0);
            (s.contact.clone(), s.target, left, refresh)
        };
        if refresh {
            inner.post(RegistrationNotification::WillExpire(
                RegistrationWillExpire {
                    expires: u32::try_from(expires_left).unwrap_or(u32::MAX),
                },
            ));
            inner.lock_state().refresh_at = None;
            if let (Some(contact), Some(target)) = (contact, target) {
                let mut contact = contact;
                contact.params.remove("expires");
                inner.do_register(contact, target, None).await;
            }
        } else if !refresh {
            let expired = {
                let mut s = inner.lock_state();
                let expired = s.expires_at.is_some_and(|e| Instant::now() >= e);
                if expired {
                    s.registered = false;
                    s.expires_at = None;
                }
                expired
            };
            if expired {
                inner.post(RegistrationNotification::DidEnd(RegistrationDidEnd {
                    expired: true,
                }));
            }
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

    fn post(&self, n: RegistrationNotification) {
        let payload: Arc<dyn NotificationPayload> = Arc::new(n);
        self.center
            .post_notification(Some(&self.sender), NotificationData::Custom(payload));
    }

    async fn do_register(&self, contact: Contact, target: Target, timeout: Option<Duration>) {
        let duration = self.lock_state().duration;
        let Some(out) = self.transact(&contact, target, duration, timeout).await else {
            // pre-empted by a newer register() or end(): that call reports
            return;
        };
        let Some(response) = out.response.filter(|_| (200..300).contains(&out.code)) else {
            {
                let mut s = self.lock_state();
                // The registration (if any) stays until it expires; the refresher notices.
                s.refresh_at = None;
            }
            self.wake.notify_one();
            self.post(RegistrationNotification::DidFail(RegistrationDidFail {
                code: out.code,
                reason: out.reason,
                route_header: target,
            }));
            return;
        };
        let list: Vec<Contact> = response.headers().typed_all().unwrap_or_default();
        let header_expires = response
            .headers()
            .typed_first::<Expires>()
            .ok()
            .flatten()
            .map(|e| e.0);
        let ours = list.iter().find(|c| same_contact(c, &contact));
        let expires = ours
            .and_then(Contact::expires)
            .or(header_expires)
            .unwrap_or(duration);
        let now = Instant::now();
        {
            let mut s = self.lock_state();
            s.registered = expires > 0;
            s.contact = Some(contact.clone());
            s.target = Some(target);
            s.expires_at = Some(now + Duration::from_secs(u64::from(expires)));
            s.refresh_at = Some(now + refresh_delay(expires));
        }
        self.wake.notify_one();
        self.post(RegistrationNotification::DidSucceed(Box::new(
            RegistrationDidSucceed {
                code: out.code,
                reason: out.reason,
                contact_header: contact,
                contact_header_list: list,
                expires_in: expires,
                route_header: target,
            },
        )));
    }

    /// Makes the REGISTER in flight, if any, give way to the caller.
    fn preempt_in_flight(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.preempt.notify_waiters();
    }

    /// One REGISTER exchange with its retries after challenges and 423; `None` when a newer
    /// `register()`/`end()` pre-empted it.
    async fn transact(
        &self,
        contact: &Contact,
        target: Target,
        expires: u32,
        timeout: Option<Duration>,
    ) -> Option<Outcome> {
        let generation = self.generation.load(Ordering::Acquire);
        let preempted = async {
            loop {
                let notified = self.preempt.notified();
                if self.generation.load(Ordering::Acquire) != generation {
                    return;
                }
                notified.await;
            }
        };
        tokio::select! {
            out = self.transact_until_final(contact, target, expires, timeout) => Some(out),
            () = preempted => None,
        }
    }

    async fn transact_until_final(
        &self,
        contact: &Contact,
        target: Target,
        mut expires: u32,
        timeout: Option<Duration>,
    ) -> Outcome {
        let work = async {
            self.lock_state().auth.reset_attempts();
            loop {
                let request = match self.build_request(contact, target, expires).await {
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
                        match decision {
                            AuthDecision::Retry { .. } => continue,
                            AuthDecision::GiveUp { reason } => {
                                return outcome_of(response, code, reason);
                            }
                        }
                    }
                    423 if self.lock_state().auth.has_attempts_left() => {
                        match response.headers().typed_first::<MinExpires>() {
                            Ok(Some(MinExpires(min))) if min > expires => {
                                expires = min;
                                let mut s = self.lock_state();
                                s.duration = min;
                                s.auth.count_attempt();
                                continue;
                            }
                            _ => return outcome_of(response, code, reason),
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

    async fn build_request(
        &self,
        contact: &Contact,
        target: Target,
        expires: u32,
    ) -> Result<Request, String> {
        let via_host = contact
            .addr
            .as_ref()
            .and_then(|a| a.uri().as_sip())
            .map(|u| u.host().to_string())
            .unwrap_or_else(|| "127.0.0.1".to_owned());
        let sent_by = via_sent_by(&self.engine, target, &via_host).await?;
        let credentials = self
            .credentials
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut s = self.lock_state();
        let from_uri = s.from_header.uri().clone();
        let request_uri: Uri = match from_uri.as_sip() {
            Some(sip) => {
                let mut r = SipUri::new(sip.host().clone());
                r.set_port(sip.port());
                r.set_secure(sip.secure());
                r.into()
            }
            None => return Err("the From URI is not a SIP URI".to_owned()),
        };
        s.cseq += 1;
        let mut contact = contact.clone();
        contact.set_expires(expires);
        let mut request = Request::builder(Method::Register, request_uri)
            .header(
                HeaderName::Via,
                format!("SIP/2.0/{} {sent_by};rport", target.transport.as_str()),
            )
            .header(HeaderName::MaxForwards, "70")
            .header(HeaderName::From, s.from_header.to_value_string())
            .header(HeaderName::To, format!("<{from_uri}>"))
            .header(HeaderName::CallId, s.call_id.clone())
            .header(HeaderName::CSeq, format!("{} REGISTER", s.cseq))
            .typed(&contact)
            .typed(&Expires(expires))
            .build();
        if let Some(credentials) = credentials {
            let credentials = credentials
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            s.auth
                .authorize(&mut request, &credentials)
                .map_err(|e| e.to_string())?;
        }
        Ok(request)
    }
}

fn same_contact(a: &Contact, b: &Contact) -> bool {
    match (&a.addr, &b.addr) {
        (Some(x), Some(y)) => match (x.uri().as_sip(), y.uri().as_sip()) {
            (Some(u), Some(v)) => u.matches(&v.to_string()) || u.identical(v),
            _ => x.uri() == y.uri(),
        },
        _ => false,
    }
}

impl NotificationPayload for RegistrationNotification {
    fn name(&self) -> &'static str {
        self.notification_name()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::refresh_delay;
    use std::time::Duration;

    #[test]
    fn refresh_delay_is_half_or_thirty_seconds_before_expiry() {
        assert_eq!(refresh_delay(2), Duration::from_secs(1));
        assert_eq!(refresh_delay(60), Duration::from_secs(30));
        assert_eq!(refresh_delay(3600), Duration::from_secs(3570));
        assert_eq!(refresh_delay(0), Duration::from_millis(500));
    }
}
