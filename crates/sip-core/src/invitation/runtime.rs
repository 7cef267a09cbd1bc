//! The tokio driver of an [`InviteSession`]: the seed's `Invitation`.

use std::any::Any;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rand::RngCore;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tracing::{Instrument, debug, warn};

use super::session::{
    ChangedState, ClientTxId, Destination, Direction, GotRequest, InvitationState, InviteError,
    InviteEvent, InviteParams, InviteSession, Output, SdpState, SdpUpdate, ServerTxId,
    SessionConfig, SubState, cancel_for,
};
use crate::digest::Credentials;
use crate::engine::{ClientEvent, DialogEvent, DialogRoute, Engine, EngineError, NewDialog};
use crate::header::{Contact, FromHeader, Header, Route, ToHeader, Via};
use crate::mailbox::Mailbox;
use crate::message::{Request, Response, StatusCode};
use crate::notification::{NotificationCenter, NotificationData, NotificationPayload, Sender};
use crate::sdp::FrozenSdpSession;
use crate::transaction::{Target, TransactionKey, TransportKind};
use crate::uri::Host;

/// Why an [`Invitation`] command failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum InvitationError {
    /// The session refused the command (wrong state, bad argument).
    #[error(transparent)]
    Session(#[from] InviteError),
    /// The Engine refused (stopped, route registration failed).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// An argument cannot be used (for example a route whose host is not an IP address).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The Invitation's task has ended.
    #[error("the invitation has ended")]
    Ended,
}

/// An Invitation notification, posted as [`NotificationData::Custom`]; downcast the payload's
/// `as_any()` to this type.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum InvitationNotification {
    /// `SIPInvitationChangedState`.
    ChangedState(Box<ChangedState>),
    /// `SIPInvitationGotSDPUpdate`.
    GotSdpUpdate(SdpUpdate),
    /// `SIPInvitationGotRequest` (not in the seed, where PJSIP handled these itself): a request
    /// within the dialog for the application to answer ([`Invitation::answer_request`]) or, for
    /// a REFER, to hand to [`IncomingReferral::in_dialog`](crate::referral::IncomingReferral::in_dialog).
    GotRequest(GotRequest),
}

impl InvitationNotification {
    /// The seed name of the notification.
    pub fn notification_name(&self) -> &'static str {
        match self {
            InvitationNotification::ChangedState(_) => "SIPInvitationChangedState",
            InvitationNotification::GotSdpUpdate(_) => "SIPInvitationGotSDPUpdate",
            InvitationNotification::GotRequest(_) => "SIPInvitationGotRequest",
        }
    }
}

impl NotificationPayload for InvitationNotification {
    fn name(&self) -> &'static str {
        self.notification_name()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// What the getters read: refreshed by the task after every step.
#[derive(Debug, Clone)]
struct Snapshot {
    state: InvitationState,
    sub_state: SubState,
    direction: Direction,
    from_header: Option<FromHeader>,
    to_header: Option<ToHeader>,
    call_id: Option<String>,
    local_contact: Option<Contact>,
    remote_contact: Option<Contact>,
    remote_user_agent: Option<String>,
    sdp: SdpState,
    credentials: Option<Credentials>,
    route_header: Option<Route>,
    peer: Option<Target>,
}

impl Snapshot {
    fn of(
        session: &InviteSession,
        credentials: Option<Credentials>,
        route: Option<Route>,
        peer: Option<Target>,
    ) -> Snapshot {
        Snapshot {
            state: session.state(),
            sub_state: session.sub_state(),
            direction: session.direction(),
            from_header: session.from_header().cloned(),
            to_header: session.to_header().cloned(),
            call_id: session.call_id().map(str::to_owned),
            local_contact: session.local_contact().cloned(),
            remote_contact: session.remote_contact().cloned(),
            remote_user_agent: session.remote_user_agent().map(str::to_owned),
            sdp: session.sdp().clone(),
            credentials,
            route_header: route,
            peer,
        }
    }
}

type Reply = oneshot::Sender<Result<(), InvitationError>>;

#[derive(Debug)]
enum Command {
    SendInvite(Box<InviteParams>, Reply),
    SendResponse {
        code: u16,
        reason: Option<String>,
        contact: Option<Contact>,
        sdp: Option<FrozenSdpSession>,
        extra_headers: Vec<Header>,
        reply: Reply,
    },
    SendReinvite {
        contact: Option<Contact>,
        sdp: Option<FrozenSdpSession>,
        extra_headers: Vec<Header>,
        reply: Reply,
    },
    CancelReinvite(Reply),
    End {
        extra_headers: Vec<Header>,
        timeout: Option<Duration>,
        reply: Reply,
    },
    AnswerRequest {
        tx: ServerTxId,
        code: u16,
        reason: Option<String>,
        extra_headers: Vec<Header>,
        reply: Reply,
    },
    ClaimRequest {
        tx: ServerTxId,
        reply: oneshot::Sender<Result<ClaimedRequest, InvitationError>>,
    },
    DialogRequest {
        template: Box<Request>,
        reply: oneshot::Sender<Result<SentInDialog, InvitationError>>,
    },
}

/// A request of the dialog claimed from the Invitation (its owner answers it).
#[derive(Debug)]
pub(crate) struct ClaimedRequest {
    pub(crate) request: Request,
    pub(crate) key: TransactionKey,
    pub(crate) source: Target,
    pub(crate) engine: Engine,
    pub(crate) local_contact: Option<Contact>,
    pub(crate) call_id: String,
}

/// A request sent in the Invitation's dialog.
#[derive(Debug)]
pub(crate) struct SentInDialog {
    /// As sent (with Via and the dialog's CSeq).
    pub(crate) request: Request,
    pub(crate) target: Target,
    pub(crate) events: mpsc::Receiver<ClientEvent>,
}

/// Sends requests of another dialog usage (the NOTIFYs of a REFER received in the call)
/// through an Invitation's dialog. Holds the Invitation weakly: it does not keep the task
/// alive, and fails once the Invitation has ended.
#[derive(Debug, Clone)]
pub(crate) struct DialogRequester(std::sync::Weak<Mailbox<Command>>);

impl DialogRequester {
    /// Builds the request from `template` in the dialog ([`InviteSession::dialog_request`])
    /// and sends it in a new client transaction.
    pub(crate) async fn send(&self, template: Request) -> Result<SentInDialog, InvitationError> {
        let commands = self.0.upgrade().ok_or(InvitationError::Ended)?;
        let (tx, rx) = oneshot::channel();
        let command = Command::DialogRequest {
            template: Box::new(template),
            reply: tx,
        };
        commands
            .push(command, usize::MAX)
            .map_err(|_| InvitationError::Ended)?;
        rx.await.map_err(|_| InvitationError::Ended)?
    }
}

#[derive(Debug)]
struct Inner {
    sender: Sender,
    snapshot: Mutex<Snapshot>,
    /// Commands to the task; closed when the last handle goes (see `Drop`). Mailboxes rather
    /// than channels: they live as long as the call and hold nothing while empty.
    commands: Arc<Mailbox<Command>>,
    /// Events from the task, closed when it ends.
    events: Arc<Mailbox<InviteEvent>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Every handle is gone: the task hangs up if needed.
        self.commands.close();
    }
}

/// An INVITE session (the seed's `Invitation`): a cheap [`Clone`] handle to the task that
/// drives it. See the [module documentation](super).
///
/// When every handle is dropped before the session ended, the task ends it (as
/// [`end`](Self::end) would). The task of an incoming session stops at disconnected; that of
/// an outgoing one a few seconds later (it still ACKs late 2xx retransmissions).
#[derive(Debug, Clone)]
pub struct Invitation {
    inner: Arc<Inner>,
}

impl Invitation {
    /// An outgoing Invitation in state null (trigger 1), with the default [`SessionConfig`].
    /// Must be called within a tokio runtime.
    pub fn new(engine: &Engine, center: &NotificationCenter) -> Invitation {
        Invitation::with_config(engine, center, SessionConfig::default())
    }

    /// An outgoing Invitation with its timers and policies.
    pub fn with_config(
        engine: &Engine,
        center: &NotificationCenter,
        config: SessionConfig,
    ) -> Invitation {
        let seed = random_u64();
        let session = InviteSession::new(config, seed);
        Invitation::spawn(engine, center, session, None, None, HashMap::new(), None)
    }

    /// The Invitation of a new incoming INVITE (from [`Engine::take_new_dialogs`]): state
    /// incoming, with `SIPInvitationChangedState` null → incoming posted (trigger 3). A 100
    /// Trying is sent at once. Over TCP/TLS the 2xx is not retransmitted.
    pub fn incoming(
        engine: &Engine,
        center: &NotificationCenter,
        new_dialog: NewDialog,
    ) -> Invitation {
        let reliable = new_dialog.incoming.source.transport.is_reliable();
        Invitation::incoming_with_config(
            engine,
            center,
            new_dialog,
            SessionConfig::default().with_reliable_transport(reliable),
        )
    }

    /// [`incoming`](Self::incoming) with explicit timers and policies.
    pub fn incoming_with_config(
        engine: &Engine,
        center: &NotificationCenter,
        new_dialog: NewDialog,
        config: SessionConfig,
    ) -> Invitation {
        let NewDialog {
            incoming, route, ..
        } = new_dialog;
        let seed = random_u64();
        let stx = ServerTxId(0);
        let trying = incoming.request.response(StatusCode::TRYING).build();
        let session = InviteSession::incoming(
            config,
            seed,
            Instant::now().into_std(),
            stx,
            incoming.request,
            &route.local_tag,
        );
        let mut keys = HashMap::new();
        keys.insert(stx.0, incoming.key.clone());
        // The 100 goes before anything the session says on that transaction.
        let first = Some((incoming.key, trying, engine.clone()));
        Invitation::spawn(
            engine,
            center,
            session,
            Some(route),
            Some(incoming.source),
            keys,
            first,
        )
    }

    fn spawn(
        engine: &Engine,
        center: &NotificationCenter,
        session: InviteSession,
        route: Option<DialogRoute>,
        peer: Option<Target>,
        keys: HashMap<u64, TransactionKey>,
        first: Option<(TransactionKey, Response, Engine)>,
    ) -> Invitation {
        let commands = Arc::new(Mailbox::new());
        let events = Arc::new(Mailbox::new());
        let snapshot = Snapshot::of(&session, None, None, peer);
        let inner = Arc::new(Inner {
            sender: center.new_sender("Invitation"),
            snapshot: Mutex::new(snapshot),
            commands: commands.clone(),
            events: events.clone(),
        });
        let span = tracing::debug_span!(
            "invitation",
            call_id = session.dialog_call_id().unwrap_or(""),
            direction = session.direction().as_str()
        );
        // Boxed: the task's future then holds a pointer, not a second copy of the driver.
        let driver = Box::new(Driver {
            engine: engine.clone(),
            center: center.clone(),
            inner: Arc::downgrade(&inner),
            sender: inner.sender.clone(),
            session,
            route,
            initial: peer,
            credentials: None,
            route_header: None,
            keys,
            sources: HashMap::new(),
            next_stx: 1,
            sent: HashMap::new(),
            via_cache: HashMap::new(),
            events,
        });
        tokio::spawn(
            async move {
                if let Some((key, trying, engine)) = first {
                    let _ = Box::pin(engine.respond(&key, trying)).await;
                }
                driver.run(commands).await;
            }
            .instrument(span),
        );
        Invitation { inner }
    }

    fn snapshot(&self) -> MutexGuard<'_, Snapshot> {
        self.inner
            .snapshot
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    async fn command(&self, make: impl FnOnce(Reply) -> Command) -> Result<(), InvitationError> {
        let (tx, rx) = oneshot::channel();
        self.inner
            .commands
            .push(make(tx), usize::MAX)
            .map_err(|_| InvitationError::Ended)?;
        rx.await.map_err(|_| InvitationError::Ended)?
    }

    /// The sender of this Invitation's notifications.
    pub fn sender(&self) -> &Sender {
        &self.inner.sender
    }

    /// The next state change or SDP update, in order and without loss; `None` once the
    /// Invitation's task has ended (after disconnected).
    pub async fn next_event(&self) -> Option<InviteEvent> {
        self.inner.events.recv().await
    }

    /// Sends the initial INVITE (null → calling). The INVITE goes to `params.route_header`'s
    /// URI, or to the Request-URI without a route; the host must be an IP address.
    pub async fn send_invite(&self, params: InviteParams) -> Result<(), InvitationError> {
        self.command(|reply| Command::SendInvite(Box::new(params), reply))
            .await
    }

    /// Answers the INVITE or a re-INVITE: 1xx, 2xx (with `sdp` as answer, or offer when the
    /// INVITE had none) or a failure. `contact_header` is needed for the first 1xx/2xx of an
    /// incoming session.
    pub async fn send_response(
        &self,
        code: u16,
        reason: Option<&str>,
        contact_header: Option<Contact>,
        sdp: Option<FrozenSdpSession>,
        extra_headers: Vec<Header>,
    ) -> Result<(), InvitationError> {
        let reason = reason.map(str::to_owned);
        self.command(|reply| Command::SendResponse {
            code,
            reason,
            contact: contact_header,
            sdp,
            extra_headers,
            reply,
        })
        .await
    }

    /// Sends a re-INVITE (sub-state sent_proposal).
    pub async fn send_reinvite(
        &self,
        contact_header: Option<Contact>,
        sdp: Option<FrozenSdpSession>,
        extra_headers: Vec<Header>,
    ) -> Result<(), InvitationError> {
        self.command(|reply| Command::SendReinvite {
            contact: contact_header,
            sdp,
            extra_headers,
            reply,
        })
        .await
    }

    /// Answers a request of the dialog handed out with [`InviteEvent::GotRequest`] (INFO,
    /// NOTIFY, MESSAGE, REFER…) with the final response `code`. Fails when it was answered
    /// already (or claimed by an `IncomingReferral`).
    pub async fn answer_request(
        &self,
        request: &GotRequest,
        code: u16,
        reason: Option<&str>,
        extra_headers: Vec<Header>,
    ) -> Result<(), InvitationError> {
        let reason = reason.map(str::to_owned);
        let tx = request.tx;
        self.command(|reply| Command::AnswerRequest {
            tx,
            code,
            reason,
            extra_headers,
            reply,
        })
        .await
    }

    /// Takes a request handed out with [`InviteEvent::GotRequest`] away from the session.
    pub(crate) async fn claim_request(
        &self,
        tx: ServerTxId,
    ) -> Result<ClaimedRequest, InvitationError> {
        let (reply, rx) = oneshot::channel();
        self.inner
            .commands
            .push(Command::ClaimRequest { tx, reply }, usize::MAX)
            .map_err(|_| InvitationError::Ended)?;
        rx.await.map_err(|_| InvitationError::Ended)?
    }

    /// A handle that sends requests in this Invitation's dialog.
    pub(crate) fn dialog_requester(&self) -> DialogRequester {
        DialogRequester(Arc::downgrade(&self.inner.commands))
    }

    /// Cancels our pending re-INVITE.
    pub async fn cancel_reinvite(&self) -> Result<(), InvitationError> {
        self.command(Command::CancelReinvite).await
    }

    /// Ends the session: CANCEL, BYE or a final response (603) depending on the state;
    /// `timeout` forces disconnected when the peer does not answer in time.
    pub async fn end(
        &self,
        extra_headers: Vec<Header>,
        timeout: Option<Duration>,
    ) -> Result<(), InvitationError> {
        self.command(|reply| Command::End {
            extra_headers,
            timeout,
            reply,
        })
        .await
    }

    /// The state.
    pub fn state(&self) -> InvitationState {
        self.snapshot().state
    }

    /// The sub-state.
    pub fn sub_state(&self) -> SubState {
        self.snapshot().sub_state
    }

    /// Incoming or outgoing.
    pub fn direction(&self) -> Direction {
        self.snapshot().direction
    }

    /// The credentials of an outgoing session (`None` for incoming ones).
    pub fn credentials(&self) -> Option<Credentials> {
        self.snapshot().credentials.clone()
    }

    /// The From header (ours when outgoing, the caller's when incoming).
    pub fn from_header(&self) -> Option<FromHeader> {
        self.snapshot().from_header.clone()
    }

    /// The To header.
    pub fn to_header(&self) -> Option<ToHeader> {
        self.snapshot().to_header.clone()
    }

    /// Our identity: the To header when incoming, the From header when outgoing.
    pub fn local_identity(&self) -> Option<NameAddrHeader> {
        let s = self.snapshot();
        match s.direction {
            Direction::Incoming => s.to_header.clone().map(NameAddrHeader::To),
            Direction::Outgoing => s.from_header.clone().map(NameAddrHeader::From),
        }
    }

    /// The peer's identity: the From header when incoming, the To header when outgoing.
    pub fn remote_identity(&self) -> Option<NameAddrHeader> {
        let s = self.snapshot();
        match s.direction {
            Direction::Incoming => s.from_header.clone().map(NameAddrHeader::From),
            Direction::Outgoing => s.to_header.clone().map(NameAddrHeader::To),
        }
    }

    /// The outbound route of an outgoing session (`None` for incoming ones).
    pub fn route_header(&self) -> Option<Route> {
        self.snapshot().route_header.clone()
    }

    /// The Call-ID; `None` in null and disconnected.
    pub fn call_id(&self) -> Option<String> {
        self.snapshot().call_id.clone()
    }

    /// `"udp"`, `"tcp"` or `"tls"`, once known.
    pub fn transport(&self) -> Option<&'static str> {
        self.snapshot().peer.map(|t| match t.transport {
            TransportKind::Udp => "udp",
            TransportKind::Tcp => "tcp",
            _ => "tls",
        })
    }

    /// Our Contact.
    pub fn local_contact_header(&self) -> Option<Contact> {
        self.snapshot().local_contact.clone()
    }

    /// The peer's Contact.
    pub fn remote_contact_header(&self) -> Option<Contact> {
        self.snapshot().remote_contact.clone()
    }

    /// The peer's User-Agent (or Server).
    pub fn remote_user_agent(&self) -> Option<String> {
        self.snapshot().remote_user_agent.clone()
    }

    /// The offer/answer state (`sdp.proposed_local` … `sdp.active_remote`).
    pub fn sdp(&self) -> SdpState {
        self.snapshot().sdp.clone()
    }

    /// The peer's address: the initial destination (outgoing) or where the INVITE came from.
    pub fn peer_address(&self) -> Option<SocketAddr> {
        self.snapshot().peer.map(|t| t.addr)
    }
}

/// A From or To header (the seed's local/remote identity is one or the other).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameAddrHeader {
    /// A From header.
    From(FromHeader),
    /// A To header.
    To(ToHeader),
}

/// The task's state.
struct Driver {
    engine: Engine,
    center: NotificationCenter,
    inner: std::sync::Weak<Inner>,
    sender: Sender,
    session: InviteSession,
    route: Option<DialogRoute>,
    /// The initial destination (route target, or where the INVITE came from).
    initial: Option<Target>,
    credentials: Option<Credentials>,
    route_header: Option<Route>,
    keys: HashMap<u64, TransactionKey>,
    /// Where the requests of the dialog handed to the application came from.
    sources: HashMap<u64, Target>,
    next_stx: u64,
    /// INVITEs as sent (with Via) and where, for CANCEL.
    sent: HashMap<ClientTxId, (Request, Target)>,
    /// Local IP and listener port per destination IP and transport, for the Via.
    via_cache: HashMap<(IpAddr, TransportKind), (IpAddr, Option<u16>)>,
    /// The events for `Invitation::next_event`.
    events: Arc<Mailbox<InviteEvent>>,
}

/// The events of the session's client transactions, forwarded to its task.
type ClientEvents = Arc<Mailbox<(ClientTxId, ClientEvent)>>;

impl Drop for Driver {
    fn drop(&mut self) {
        // `next_event` returns `None` once the queued events are read.
        self.events.close();
    }
}

fn random_u64() -> u64 {
    use rand::SeedableRng;
    rand::rngs::StdRng::from_os_rng().next_u64()
}

fn now_std() -> std::time::Instant {
    Instant::now().into_std()
}

/// How long the task of an outgoing session stays after disconnected, to ACK late 2xx
/// retransmissions (and forks) that its INVITE transaction still passes up. An incoming
/// session ends at once: the transaction layer absorbs retransmitted requests.
const LINGER: Duration = Duration::from_secs(5);

impl Driver {
    async fn run(mut self: Box<Self>, commands: Arc<Mailbox<Command>>) {
        let mut commands = Some(commands);
        let tx_events: ClientEvents = Arc::new(Mailbox::new());
        let mut linger_until: Option<Instant> = None;
        loop {
            // Boxed sub-futures: the task keeps only the waiting state between events, which
            // keeps an established call's memory small.
            Box::pin(self.flush(&tx_events)).await;
            if self.session.is_terminated() && linger_until.is_none() {
                if self.session.direction() == Direction::Incoming {
                    break;
                }
                linger_until = Some(Instant::now() + LINGER);
            }
            let deadline = match (
                self.session.poll_timeout().map(Instant::from_std),
                linger_until,
            ) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let route_events = async {
                match self.route.as_mut() {
                    Some(r) => r.events.recv().await,
                    None => std::future::pending().await,
                }
            };
            let next_command = async {
                match commands.as_ref() {
                    Some(c) => c.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                command = next_command => match command {
                    Some(c) => Box::pin(self.command(c)).await,
                    None => {
                        // Every handle is gone: hang up if needed, then stay for the linger.
                        if !self.session.is_terminated() && linger_until.is_none() {
                            let _ = self.session.end(now_std(), Vec::new(), None);
                        }
                        commands = None;
                    }
                },
                event = route_events => match event {
                    Some(e) => self.dialog_event(e),
                    None => self.route = None,
                },
                Some((tx, event)) = tx_events.recv() => {
                    self.client_event(tx, event);
                }
                () = async {
                    match deadline {
                        Some(d) => tokio::time::sleep_until(d).await,
                        None => std::future::pending().await,
                    }
                } => {
                    if linger_until.is_some_and(|l| Instant::now() >= l) {
                        break;
                    }
                    self.session.handle_timeout(now_std());
                }
            }
        }
        debug!("invitation task ended");
    }

    async fn command(&mut self, command: Command) {
        let now = now_std();
        match command {
            Command::SendInvite(params, reply) => {
                let result = self.send_invite(*params).await;
                let _ = reply.send(result);
            }
            Command::SendResponse {
                code,
                reason,
                contact,
                sdp,
                extra_headers,
                reply,
            } => {
                let contact = match contact {
                    None if self.session.local_contact().is_none() => self.default_contact().await,
                    c => c,
                };
                let r = self.session.send_response(
                    now,
                    code,
                    reason.as_deref(),
                    contact,
                    sdp,
                    extra_headers,
                );
                let _ = reply.send(r.map_err(Into::into));
            }
            Command::SendReinvite {
                contact,
                sdp,
                extra_headers,
                reply,
            } => {
                let r = self.session.send_reinvite(now, contact, sdp, extra_headers);
                let _ = reply.send(r.map_err(Into::into));
            }
            Command::CancelReinvite(reply) => {
                let _ = reply.send(self.session.cancel_reinvite(now).map_err(Into::into));
            }
            Command::End {
                extra_headers,
                timeout,
                reply,
            } => {
                let r = self.session.end(now, extra_headers, timeout);
                let _ = reply.send(r.map_err(Into::into));
            }
            Command::AnswerRequest {
                tx,
                code,
                reason,
                extra_headers,
                reply,
            } => {
                let r = self
                    .session
                    .answer_request(tx, code, reason.as_deref(), extra_headers);
                self.sources.remove(&tx.0);
                let _ = reply.send(r.map_err(Into::into));
            }
            Command::ClaimRequest { tx, reply } => {
                let source = self.sources.remove(&tx.0).or(self.initial);
                let r = match (self.session.take_request(tx), self.keys.get(&tx.0), source) {
                    (Some(request), Some(key), Some(source)) => Ok(ClaimedRequest {
                        request,
                        key: key.clone(),
                        source,
                        engine: self.engine.clone(),
                        local_contact: self.session.local_contact().cloned(),
                        call_id: self.session.dialog_call_id().unwrap_or_default().to_owned(),
                    }),
                    _ => Err(InvitationError::InvalidArgument(format!(
                        "no unanswered request on transaction {}",
                        tx.0
                    ))),
                };
                let _ = reply.send(r);
            }
            Command::DialogRequest { template, reply } => {
                let r = self.dialog_request(&template).await;
                let _ = reply.send(r);
            }
        }
    }

    async fn dialog_request(
        &mut self,
        template: &Request,
    ) -> Result<SentInDialog, InvitationError> {
        let (mut request, destination) = self.session.dialog_request(template)?;
        let target = self.resolve(&destination).ok_or_else(|| {
            InvitationError::InvalidArgument("no destination for the request".to_owned())
        })?;
        let via = self.via_for(target).await;
        request.headers_mut().insert_typed(0, &via);
        let ct = self.engine.send_request(request.clone(), target).await?;
        Ok(SentInDialog {
            request,
            target,
            events: ct.events,
        })
    }

    async fn send_invite(&mut self, params: InviteParams) -> Result<(), InvitationError> {
        let destination_uri = params
            .route_header
            .as_ref()
            .map_or_else(|| params.request_uri.clone(), |r| r.uri().clone());
        let target =
            Target::from_uri(&destination_uri).map_err(InvitationError::InvalidArgument)?;
        if self.session.state() != InvitationState::Null {
            return Err(InviteError::InvalidState {
                command: "send_invite",
                state: self.session.state(),
                sub_state: self.session.sub_state(),
            }
            .into());
        }
        self.initial = Some(target);
        self.session
            .set_reliable_transport(target.transport.is_reliable());
        self.credentials = params.credentials.clone();
        self.route_header = params.route_header.clone();
        self.session.send_invite(now_std(), params)?;
        // The route goes in before the INVITE, so that every fork's requests reach us.
        let call_id = self.session.dialog_call_id().unwrap_or_default().to_owned();
        let tag = self.session.local_tag().to_owned();
        match self.engine.add_dialog_route(&call_id, &tag).await {
            Ok(route) => self.route = Some(route),
            Err(e) => {
                warn!(error = %e, "cannot register the dialog route");
                return Err(e.into());
            }
        }
        Ok(())
    }

    /// The Contact of an incoming session answered without one: the user part of the
    /// Request-URI at the address and port the INVITE reached.
    async fn default_contact(&mut self) -> Option<Contact> {
        let source = self.initial?;
        let via = self.via_for(source).await;
        let user = self.session.to_header().and_then(|t| {
            t.addr
                .uri()
                .as_sip()
                .and_then(|u| u.user().map(|u| u.into_owned()))
        });
        let mut uri = crate::uri::SipUri::new(via.host().clone());
        if let Some(user) = user {
            uri = uri.with_user(&user);
        }
        if let Some(port) = via.port() {
            uri = uri.with_port(port);
        }
        if source.transport != TransportKind::Udp {
            uri = uri.with_param(
                "transport",
                Some(&source.transport.as_str().to_ascii_lowercase()),
            );
        }
        Some(Contact::new(crate::header::NameAddr::new(uri)))
    }

    fn dialog_event(&mut self, event: DialogEvent) {
        let now = now_std();
        match event {
            DialogEvent::Request(incoming) => {
                let stx = ServerTxId(self.next_stx);
                self.next_stx += 1;
                self.keys.insert(stx.0, incoming.key);
                self.sources.insert(stx.0, incoming.source);
                self.session.handle_request(now, stx, incoming.request);
            }
            DialogEvent::Ack { request, .. } => self.session.handle_ack(now, *request),
            DialogEvent::Cancel { invite, request } => {
                if let Some(stx) = self
                    .keys
                    .iter()
                    .find(|(_, k)| **k == invite)
                    .map(|(id, _)| ServerTxId(*id))
                {
                    self.session.handle_cancel(now, stx, *request);
                }
            }
        }
    }

    fn client_event(&mut self, tx: ClientTxId, event: ClientEvent) {
        let now = now_std();
        match event {
            ClientEvent::Response(r) => self.session.handle_response(now, tx, r),
            ClientEvent::Timeout => self.session.handle_transaction_timeout(now, tx),
            ClientEvent::TransportError(e) => self.session.handle_transport_error(now, tx, &e),
            _ => {}
        }
    }

    fn resolve(&self, destination: &Destination) -> Option<Target> {
        match destination {
            Destination::Initial => self.initial,
            Destination::Uri(uri) => match Target::from_uri(uri) {
                Ok(mut target) => {
                    // A URI without transport parameter stays on the session's transport.
                    if let Some(initial) = self.initial
                        && uri
                            .as_sip()
                            .is_some_and(|u| u.transport().is_none() && !u.secure())
                        && initial.transport != target.transport
                    {
                        target.transport = initial.transport;
                        if uri.as_sip().is_some_and(|u| u.port().is_none()) {
                            target.addr.set_port(initial.transport.default_port());
                        }
                    }
                    Some(target)
                }
                Err(_) => self.initial,
            },
        }
    }

    /// A top Via with a fresh branch of our own (a CANCEL reuses its INVITE's).
    async fn via_for(&mut self, target: Target) -> Via {
        let key = (target.addr.ip(), target.transport);
        let (ip, port) = match self.via_cache.get(&key) {
            Some(v) => *v,
            None => {
                let port = self
                    .engine
                    .local_port(target.transport)
                    .await
                    .ok()
                    .flatten();
                let ip = crate::client_exchange::local_ip_for(target.addr).await;
                self.via_cache.insert(key, (ip, port));
                (ip, port)
            }
        };
        let branch = format!(
            "{}{:016x}{:08x}",
            crate::header::BRANCH_MAGIC_COOKIE,
            random_u64(),
            random_u64() as u32
        );
        let mut via = Via::new(target.transport.as_str(), Host::from(ip), port, &branch);
        via.params_mut().set("rport", None);
        via
    }

    /// Carries out every output of the session.
    async fn flush(&mut self, tx_events: &ClientEvents) {
        while let Some(output) = self.session.poll_output() {
            match output {
                Output::Event(event) => self.publish(event),
                Output::Send {
                    tx,
                    request,
                    destination,
                } => {
                    let Some(target) = self.resolve(&destination) else {
                        self.session
                            .handle_transport_error(now_std(), tx, "no destination");
                        continue;
                    };
                    let mut request = request;
                    let via = self.via_for(target).await;
                    request.headers_mut().insert_typed(0, &via);
                    match self.engine.send_request(request.clone(), target).await {
                        Ok(mut ct) => {
                            if request.method() == &crate::message::Method::Invite {
                                self.sent.insert(tx, (request, target));
                            }
                            let events = tx_events.clone();
                            tokio::spawn(async move {
                                while let Some(e) = ct.events.recv().await {
                                    let end = matches!(e, ClientEvent::Terminated);
                                    if events.push((tx, e), usize::MAX).is_err() || end {
                                        break;
                                    }
                                }
                            });
                        }
                        Err(e) => {
                            self.session
                                .handle_transport_error(now_std(), tx, &e.to_string());
                        }
                    }
                }
                Output::Cancel { invite } => {
                    if let Some((request, target)) = self.sent.get(&invite) {
                        let cancel = cancel_for(request);
                        if let Err(e) = self.engine.send_request(cancel, *target).await {
                            warn!(error = %e, "cannot send the CANCEL");
                        }
                    }
                }
                Output::Ack {
                    request,
                    destination,
                } => {
                    let Some(target) = self.resolve(&destination) else {
                        continue;
                    };
                    let mut request = request;
                    let via = self.via_for(target).await;
                    request.headers_mut().insert_typed(0, &via);
                    if let Err(e) = self.engine.send_stateless(request, target).await {
                        warn!(error = %e, "cannot send the ACK");
                    }
                }
                Output::Respond { tx, response } => {
                    if let Some(key) = self.keys.get(&tx.0)
                        && let Err(e) = self.engine.respond(key, response).await
                    {
                        debug!(error = %e, "cannot send a response");
                    }
                }
            }
        }
        self.refresh_snapshot();
    }

    fn publish(&mut self, event: InviteEvent) {
        // Keep the getters in step with the event: a reader of `next_event` sees the state
        // that event left.
        self.refresh_snapshot();
        let _ = self.events.push(event.clone(), usize::MAX);
        let payload = match event {
            InviteEvent::ChangedState(c) => InvitationNotification::ChangedState(c),
            InviteEvent::GotSdpUpdate(u) => InvitationNotification::GotSdpUpdate(u),
            InviteEvent::GotRequest(r) => InvitationNotification::GotRequest(r),
        };
        // Keep the getters in step with the notification.
        self.refresh_snapshot();
        let payload: Arc<dyn NotificationPayload> = Arc::new(payload);
        self.center
            .post_notification(Some(&self.sender), NotificationData::Custom(payload));
    }

    fn refresh_snapshot(&self) {
        if let Some(inner) = self.inner.upgrade() {
            let snapshot = Snapshot::of(
                &self.session,
                self.credentials.clone(),
                self.route_header.clone(),
                self.initial,
            );
            *inner.snapshot.lock().unwrap_or_else(|e| e.into_inner()) = snapshot;
        }
    }
}
