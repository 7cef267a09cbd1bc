//! The sans-IO INVITE session: the seed's Invitation state machine, SDP offer/answer
//! (RFC 3264), 2xx retransmission and ACK (RFC 3261 §13), CANCEL, re-INVITE glare (§14.1),
//! UPDATE (RFC 3311), PRACK (RFC 3262) and session timers (RFC 4028).
//!
//! [`InviteSession`] never touches a socket or a clock. The driver feeds it commands
//! ([`send_invite`](InviteSession::send_invite), [`send_response`](InviteSession::send_response),
//! [`send_reinvite`](InviteSession::send_reinvite), [`end`](InviteSession::end) …) and network
//! input (`handle_*`), each with the current `now`, then drains
//! [`poll_output`](InviteSession::poll_output) and sleeps until
//! [`poll_timeout`](InviteSession::poll_timeout), when it calls
//! [`handle_timeout`](InviteSession::handle_timeout).
//!
//! Transactions live below it (the Engine's transaction layer): the session asks for a request
//! to be sent in a new client transaction ([`Output::Send`], identified by a [`ClientTxId`] the
//! session chooses), for a CANCEL of one of them ([`Output::Cancel`]), for an ACK to a 2xx sent
//! outside any transaction ([`Output::Ack`]), and for a response on a server transaction
//! ([`Output::Respond`], identified by the [`ServerTxId`] the driver gave with the request).
//! Requests come without a top Via: the driver adds it.
//!
//! Choices where the RFCs or the seed leave room:
//!
//! - `end()` on an unanswered incoming INVITE answers it with
//!   [`SessionConfig::end_code`] (603 Decline by default, as PJSIP does) and goes straight to
//!   disconnected: there is no response to wait for.
//! - A UAS 2xx is retransmitted on unreliable transports at T1, doubling up to T2; after 64·T1
//!   without ACK the session sends BYE and is disconnected (code 408).
//! - An UPDATE with an offer is answered with the current local SDP (the seed's behaviour); an
//!   UPDATE without SDP (a session refresh) gets a plain 200.
//! - Session timers are honoured when the peer asks for them; the session asks for them itself
//!   only when [`SessionConfig::session_expires`] is set. Refreshes use UPDATE when the peer
//!   allows it, otherwise a re-INVITE with the unchanged local SDP; neither changes the
//!   sub-state.
//! - When our INVITE carries no SDP and the 2xx brings an offer, the ACK answers it with the
//!   current local SDP when there is one (a re-INVITE), and otherwise without a body (the
//!   negotiation is reported as failed).

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};

use crate::dialog::{Dialog, DialogError, DialogId, DialogState};
use crate::digest::{AuthDecision, Credentials, DigestClient, RequestAuthenticator};
use crate::header::{
    Allow, CSeq, CallId, Contact, ContentType, FromHeader, Header, HeaderName, Headers,
    MaxForwards, MinSe, RAck, RSeq, Refresher, Require, Route, Server, SessionExpires, Supported,
    ToHeader, UserAgent,
};
use crate::message::{Method, Request, Response, ResponseBuilder, StatusCode};
use crate::sdp::FrozenSdpSession;
use crate::uri::Uri;

/// The methods an INVITE session answers, listed in Allow.
pub const ALLOW: &str = "INVITE, ACK, BYE, CANCEL, UPDATE, PRACK, OPTIONS";

/// Most digest retries (and 422 retries) of one INVITE.
const MAX_RETRIES: u32 = 3;

/// The state of an INVITE session (the seed's `state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvitationState {
    /// Created, nothing sent or received yet.
    Null,
    /// Our INVITE is sent, no provisional response yet.
    Calling,
    /// An INVITE was received and is not answered yet.
    Incoming,
    /// A provisional response was received (outgoing) or sent (incoming).
    Early,
    /// A 2xx was sent, waiting for the ACK.
    Connecting,
    /// The session is established.
    Connected,
    /// `end()` sent a CANCEL or BYE; waiting for its outcome.
    Disconnecting,
    /// The session is over.
    Disconnected,
}

impl InvitationState {
    /// The seed's state string (`"connected"`).
    pub fn as_str(self) -> &'static str {
        match self {
            InvitationState::Null => "null",
            InvitationState::Calling => "calling",
            InvitationState::Incoming => "incoming",
            InvitationState::Early => "early",
            InvitationState::Connecting => "connecting",
            InvitationState::Connected => "connected",
            InvitationState::Disconnecting => "disconnecting",
            InvitationState::Disconnected => "disconnected",
        }
    }
}

impl fmt::Display for InvitationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The sub-state (meaningful in connected): whether a re-INVITE is in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubState {
    /// No re-INVITE in progress.
    Normal,
    /// We sent a re-INVITE and wait for its final response.
    SentProposal,
    /// The peer sent a re-INVITE that we have not answered yet.
    ReceivedProposal,
}

impl SubState {
    /// The seed's sub-state string (`"sent_proposal"`).
    pub fn as_str(self) -> &'static str {
        match self {
            SubState::Normal => "normal",
            SubState::SentProposal => "sent_proposal",
            SubState::ReceivedProposal => "received_proposal",
        }
    }
}

impl fmt::Display for SubState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the session started with our INVITE or the peer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The peer called us.
    Incoming,
    /// We called the peer.
    Outgoing,
}

impl Direction {
    /// `"incoming"` or `"outgoing"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Incoming => "incoming",
            Direction::Outgoing => "outgoing",
        }
    }
}

/// A client transaction the session asked for (its own numbering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientTxId(pub u64);

/// A server transaction, numbered by the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerTxId(pub u64);

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// The initial destination: the outbound proxy or peer given to `send_invite`, or, for an
    /// incoming session, where the INVITE came from.
    Initial,
    /// The dialog's next hop ([`Dialog::next_hop`]); the driver turns it into an address, or
    /// falls back to [`Initial`](Self::Initial) when it cannot without DNS.
    Uri(Uri),
}

/// What the session asks the driver to do, or reports.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Output {
    /// Send `request` (add a top Via) in a new client transaction and report what happens to it
    /// with `handle_response` / `handle_transaction_timeout` / `handle_transport_error`.
    Send {
        /// The session's name for the transaction.
        tx: ClientTxId,
        /// The request.
        request: Request,
        /// Where it goes.
        destination: Destination,
    },
    /// Send the CANCEL of the INVITE sent as `invite` (build it with [`cancel_for`] from the
    /// INVITE as sent, with its Via) to the INVITE's destination. Its response needs no
    /// reporting.
    Cancel {
        /// The INVITE's transaction.
        invite: ClientTxId,
    },
    /// Send this ACK for a 2xx outside any transaction (add a top Via).
    Ack {
        /// The ACK.
        request: Request,
        /// Where it goes.
        destination: Destination,
    },
    /// Send `response` on the server transaction `tx`.
    Respond {
        /// The server transaction.
        tx: ServerTxId,
        /// The response.
        response: Response,
    },
    /// Something to tell the application.
    Event(InviteEvent),
}

/// What the application learns (the seed's notifications).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum InviteEvent {
    /// `SIPInvitationChangedState`.
    ChangedState(Box<ChangedState>),
    /// `SIPInvitationGotSDPUpdate`.
    GotSdpUpdate(SdpUpdate),
    /// A request within the confirmed dialog that the session does not handle itself (REFER,
    /// INFO, NOTIFY, MESSAGE, SUBSCRIBE; RFC 5057 dialog usages). The owner must answer it with
    /// [`InviteSession::answer_request`] or claim it with [`InviteSession::take_request`] (for
    /// example to answer a REFER through an `IncomingReferral`). A request still unanswered
    /// after 32·T1 (16 s) is answered 500, and any left when the session disconnects 487.
    GotRequest(GotRequest),
}

/// Data of [`InviteEvent::GotRequest`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GotRequest {
    /// The server transaction to answer it on.
    pub tx: ServerTxId,
    /// The request.
    pub request: Box<Request>,
}

/// Data of `SIPInvitationChangedState`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ChangedState {
    /// The state before.
    pub prev_state: InvitationState,
    /// The sub-state before.
    pub prev_sub_state: SubState,
    /// The state now (may equal `prev_state`).
    pub state: InvitationState,
    /// The sub-state now.
    pub sub_state: SubState,
    /// The method of the request that caused the change, if a request did.
    pub method: Option<Method>,
    /// The Request-URI of that request.
    pub request_uri: Option<Uri>,
    /// The code of the response (or internal timeout or error) that caused the change.
    pub code: Option<u16>,
    /// Its reason phrase.
    pub reason: Option<String>,
    /// The headers of the request or response that caused the change.
    pub headers: Option<Headers>,
    /// Its body, `None` when it had none.
    pub body: Option<Bytes>,
}

/// Data of `SIPInvitationGotSDPUpdate`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SdpUpdate {
    /// Whether the negotiation succeeded.
    pub succeeded: bool,
    /// Why it failed.
    pub error: Option<String>,
    /// The local SDP negotiated.
    pub local_sdp: Option<FrozenSdpSession>,
    /// The remote SDP negotiated.
    pub remote_sdp: Option<FrozenSdpSession>,
}

/// The offer/answer state (the seed's `sdp.proposed_local` … `sdp.active_remote`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SdpState {
    /// Our offer in progress.
    pub proposed_local: Option<FrozenSdpSession>,
    /// The peer's offer in progress.
    pub proposed_remote: Option<FrozenSdpSession>,
    /// Our SDP of the last successful negotiation.
    pub active_local: Option<FrozenSdpSession>,
    /// The peer's SDP of the last successful negotiation.
    pub active_remote: Option<FrozenSdpSession>,
}

/// Timers and policies of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionConfig {
    /// T1 (default 500 ms).
    pub t1: Duration,
    /// T2 (default 4 s).
    pub t2: Duration,
    /// True on TCP/TLS: the 2xx is not retransmitted (the ACK wait still applies).
    pub reliable_transport: bool,
    /// Send provisional responses reliably when the peer supports 100rel (they always are
    /// when it requires it); also lists 100rel in our Supported. Default true.
    pub use_100rel: bool,
    /// The session interval we ask for (Session-Expires) as UAC and insert as UAS; `None`
    /// (default) asks for none but honours the peer's.
    pub session_expires: Option<u32>,
    /// The smallest session interval we accept (Min-SE, default 90 s).
    pub min_se: u32,
    /// The final response `end()` sends to an unanswered INVITE (default 603).
    pub end_code: u16,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            reliable_transport: false,
            use_100rel: true,
            session_expires: None,
            min_se: 90,
            end_code: 603,
        }
    }
}

impl SessionConfig {
    /// Sets T1.
    pub fn with_t1(mut self, t1: Duration) -> Self {
        self.t1 = t1;
        self
    }

    /// Sets whether the transport is reliable.
    pub fn with_reliable_transport(mut self, reliable: bool) -> Self {
        self.reliable_transport = reliable;
        self
    }

    /// Sets the session interval asked for.
    pub fn with_session_expires(mut self, interval: Option<u32>) -> Self {
        self.session_expires = interval;
        self
    }

    /// Sets Min-SE.
    pub fn with_min_se(mut self, min_se: u32) -> Self {
        self.min_se = min_se;
        self
    }

    /// Sets whether provisional responses are sent reliably when the peer supports it.
    pub fn with_100rel(mut self, on: bool) -> Self {
        self.use_100rel = on;
        self
    }

    /// Sets the final response of `end()` on an unanswered INVITE.
    pub fn with_end_code(mut self, code: u16) -> Self {
        self.end_code = code;
        self
    }
}

/// The parameters of [`InviteSession::send_invite`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct InviteParams {
    /// The Request-URI.
    pub request_uri: Uri,
    /// Our identity (its tag is replaced by a fresh one).
    pub from_header: FromHeader,
    /// The callee (a tag is removed).
    pub to_header: ToHeader,
    /// A pre-loaded Route (the outbound proxy), added to the INVITE when given.
    pub route_header: Option<Route>,
    /// Our Contact.
    pub contact_header: Contact,
    /// The offer, or `None` for a late offer.
    pub sdp: Option<FrozenSdpSession>,
    /// Credentials for digest challenges.
    pub credentials: Option<Credentials>,
    /// Extra headers for the INVITE.
    pub extra_headers: Vec<Header>,
    /// Give up (CANCEL, disconnected with 408) when no final response came in this time.
    pub timeout: Option<Duration>,
    /// The Call-ID to use (a fresh one when `None`).
    pub call_id: Option<String>,
}

impl InviteParams {
    /// The parameters without SDP, route, credentials, extra headers or timeout.
    pub fn new(
        request_uri: Uri,
        from_header: FromHeader,
        to_header: ToHeader,
        contact_header: Contact,
    ) -> Self {
        InviteParams {
            request_uri,
            from_header,
            to_header,
            route_header: None,
            contact_header,
            sdp: None,
            credentials: None,
            extra_headers: Vec::new(),
            timeout: None,
            call_id: None,
        }
    }

    /// Sets the offer.
    pub fn with_sdp(mut self, sdp: FrozenSdpSession) -> Self {
        self.sdp = Some(sdp);
        self
    }

    /// Sets the pre-loaded route.
    pub fn with_route(mut self, route: Route) -> Self {
        self.route_header = Some(route);
        self
    }

    /// Sets the credentials.
    pub fn with_credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Sets the extra headers.
    pub fn with_extra_headers(mut self, headers: Vec<Header>) -> Self {
        self.extra_headers = headers;
        self
    }

    /// Sets the timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets the Call-ID.
    pub fn with_call_id(mut self, call_id: impl Into<String>) -> Self {
        self.call_id = Some(call_id.into());
        self
    }
}

/// How many T1 the owner has to answer a request handed out with [`InviteEvent::GotRequest`]
/// before the session answers 500 itself (half the peer's Timer F).
const UNANSWERED_T1: u32 = 32;

/// Why a command cannot be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InviteError {
    /// The command does not fit the current state.
    #[error("{command} is not possible in state {state}/{sub_state}")]
    InvalidState {
        /// The command.
        command: &'static str,
        /// The state.
        state: InvitationState,
        /// The sub-state.
        sub_state: SubState,
    },
    /// An argument is not usable.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

/// What a client transaction of the session is for.
#[derive(Debug, Clone)]
enum Purpose {
    /// The initial INVITE.
    Invite,
    /// A re-INVITE; `refresh` when a session-timer refresh (no sub-state change).
    Reinvite { refresh: bool },
    /// An UPDATE we sent (session refresh).
    Update,
    /// The BYE of `end()` or of a session failure; its outcome ends the session.
    Bye,
    /// A BYE whose outcome does not matter (an unwanted fork, a late 2xx).
    StrayBye,
    /// A PRACK.
    Prack,
}

/// Our INVITE in progress (initial INVITE).
#[derive(Debug)]
struct OutgoingInvite {
    params: InviteParams,
    request: Request,
    tx: ClientTxId,
    cseq: u32,
    got_provisional: bool,
    cancel_pending: bool,
    cancelled: bool,
    /// Digest state and the retries (401/407 and 422) of this INVITE.
    auth: RequestAuthenticator,
    session_expires: Option<u32>,
    min_se: Option<u32>,
}

/// Our re-INVITE in progress.
#[derive(Debug)]
struct LocalReinvite {
    tx: ClientTxId,
    cseq: u32,
    offered: bool,
    refresh: bool,
    got_provisional: bool,
    cancel_pending: bool,
    args: ReinviteArgs,
}

#[derive(Debug, Clone)]
struct ReinviteArgs {
    contact: Option<Contact>,
    sdp: Option<FrozenSdpSession>,
    extra_headers: Vec<Header>,
}

/// A 2xx we retransmit until the ACK.
#[derive(Debug)]
struct OkRetransmit {
    tx: ServerTxId,
    cseq: u32,
    response: Response,
    next: Option<Instant>,
    interval: Duration,
    give_up: Instant,
}

/// A reliable provisional response waiting for its PRACK.
#[derive(Debug)]
struct Reliable {
    rseq: u32,
    response: Response,
    next: Instant,
    interval: Duration,
    give_up: Instant,
}

/// The negotiated session timer.
#[derive(Debug, Clone, Copy)]
struct SessionTimer {
    interval: u32,
    we_refresh: bool,
    refresh_at: Option<Instant>,
    expire_at: Instant,
}

/// A response refusing an incoming INVITE: code, reason, extra headers.
type Rejection = (u16, String, Vec<(HeaderName, String)>);

/// What caused a state change.
enum Cause<'a> {
    Local,
    Request(&'a Request),
    Response(&'a Response),
    Internal(u16, &'a str),
}

/// The INVITE session state machine (see the [module documentation](self)).
#[derive(Debug)]
pub struct InviteSession {
    config: SessionConfig,
    rng: StdRng,
    direction: Direction,
    state: InvitationState,
    sub_state: SubState,
    outputs: VecDeque<Output>,
    next_tx: u64,
    txs: Vec<(ClientTxId, Purpose)>,
    from_header: Option<FromHeader>,
    to_header: Option<ToHeader>,
    call_id: Option<String>,
    local_tag: String,
    local_contact: Option<Contact>,
    remote_contact: Option<Contact>,
    remote_user_agent: Option<String>,
    dialog: Option<Dialog>,
    early: Vec<Dialog>,
    sdp: SdpState,
    // UAC side of the initial INVITE.
    invite: Option<Box<OutgoingInvite>>,
    /// ACKs sent: (INVITE CSeq, remote tag, ACK), re-sent for 2xx retransmissions.
    acks: Vec<(u32, String, Request)>,
    /// Forks answered with ACK and BYE (remote tags).
    stray_forks: Vec<String>,
    /// Highest RSeq acknowledged per early dialog (remote tag).
    prack_rseq: Vec<(String, u32)>,
    // UAS side of the initial INVITE.
    incoming_invite: Option<Box<(ServerTxId, Request)>>,
    /// In-dialog requests handed to the owner ([`InviteEvent::GotRequest`]), unanswered, with
    /// the time the session answers them itself.
    pending_requests: Vec<(ServerTxId, Request, Instant)>,
    peer_requires_100rel: bool,
    peer_supports_100rel: bool,
    peer_supports_timer: bool,
    peer_session_expires: Option<SessionExpires>,
    reliable: Option<Box<Reliable>>,
    reliable_queue: VecDeque<Response>,
    /// (RSeq, INVITE CSeq) of every reliable provisional response sent.
    reliable_sent: Vec<(u32, u32)>,
    next_rseq: u32,
    // re-INVITEs.
    remote_reinvite: Option<Box<(ServerTxId, Request)>>,
    local_reinvite: Option<Box<LocalReinvite>>,
    glare_retry: Option<Box<(Instant, ReinviteArgs)>>,
    ok_retransmit: Option<Box<OkRetransmit>>,
    /// Our offer sent in a 2xx (late offer); the ACK carries the answer.
    offer_in_2xx: bool,
    // Timers.
    session_timer: Option<SessionTimer>,
    peer_allows_update: bool,
    invite_deadline: Option<Instant>,
    end_deadline: Option<Instant>,
}

/// The CANCEL for `invite` as it was sent (RFC 3261 §9.1): same Request-URI, top Via, Route,
/// From, To, Call-ID and CSeq number.
pub fn cancel_for(invite: &Request) -> Request {
    let headers = invite.headers();
    let mut b = Request::builder(Method::Cancel, invite.uri().clone());
    if let Some(via) = headers.get(&HeaderName::Via) {
        b = b.header(HeaderName::Via, via.value_bytes().clone());
    }
    for route in headers.get_all(&HeaderName::Route) {
        b = b.header(HeaderName::Route, route.value_bytes().clone());
    }
    b = b.typed(&MaxForwards(70));
    for name in [HeaderName::From, HeaderName::To, HeaderName::CallId] {
        if let Some(h) = headers.get(&name) {
            b = b.header(name, h.value_bytes().clone());
        }
    }
    let seq = headers.typed::<CSeq>().map(|c| c.seq).unwrap_or(1);
    b.typed(&CSeq::new(seq, Method::Cancel)).build()
}

fn non_empty(body: &Bytes) -> Option<Bytes> {
    (!body.is_empty()).then(|| body.clone())
}

/// The SDP a message carries: `Ok(None)` without a body (or with a body of another type),
/// `Err` when an SDP body does not parse.
fn sdp_of(headers: &Headers, body: &Bytes) -> Result<Option<FrozenSdpSession>, String> {
    if body.is_empty() {
        return Ok(None);
    }
    match headers.typed_first::<ContentType>() {
        Ok(Some(ct)) if !ct.0.is("application/sdp") => return Ok(None),
        Err(e) => return Err(format!("Content-Type: {e}")),
        _ => {}
    }
    let text = std::str::from_utf8(body).map_err(|_| "the SDP is not UTF-8".to_owned())?;
    FrozenSdpSession::parse(text)
        .map(Some)
        .map_err(|e| e.to_string())
}

fn has_option(headers: &Headers, require: bool, tag: &str) -> bool {
    if require {
        headers
            .typed_all::<Require>()
            .unwrap_or_default()
            .iter()
            .any(|r| r.as_str().eq_ignore_ascii_case(tag))
    } else {
        headers
            .typed_all::<Supported>()
            .unwrap_or_default()
            .iter()
            .any(|r| r.as_str().eq_ignore_ascii_case(tag))
    }
}

fn allows_update(headers: &Headers) -> bool {
    headers
        .typed_all::<Allow>()
        .unwrap_or_default()
        .iter()
        .any(|a| a.0 == Method::Update)
}

fn cseq_of(headers: &Headers) -> Option<CSeq> {
    headers.typed::<CSeq>().ok()
}

fn user_agent_of(headers: &Headers, server: bool) -> Option<String> {
    if server && let Ok(Some(s)) = headers.typed_first::<Server>() {
        return Some(s.as_str().to_owned());
    }
    headers
        .typed_first::<UserAgent>()
        .ok()
        .flatten()
        .map(|u| u.as_str().to_owned())
}

fn session_expires_of(headers: &Headers) -> Option<SessionExpires> {
    headers.typed_first::<SessionExpires>().ok().flatten()
}

impl InviteSession {
    /// An outgoing session in state null; `seed` drives its tags, Call-ID and glare intervals.
    pub fn new(config: SessionConfig, seed: u64) -> InviteSession {
        let mut rng = StdRng::seed_from_u64(seed);
        let local_tag = format!("{:016x}", rng.next_u64());
        let next_rseq = rng.random_range(1..=0x7fff_ffff);
        InviteSession {
            config,
            rng,
            direction: Direction::Outgoing,
            state: InvitationState::Null,
            sub_state: SubState::Normal,
            outputs: VecDeque::new(),
            next_tx: 1,
            txs: Vec::new(),
            from_header: None,
            to_header: None,
            call_id: None,
            local_tag,
            local_contact: None,
            remote_contact: None,
            remote_user_agent: None,
            dialog: None,
            early: Vec::new(),
            sdp: SdpState::default(),
            invite: None,
            acks: Vec::new(),
            stray_forks: Vec::new(),
            prack_rseq: Vec::new(),
            incoming_invite: None,
            pending_requests: Vec::new(),
            peer_requires_100rel: false,
            peer_supports_100rel: false,
            peer_supports_timer: false,
            peer_session_expires: None,
            reliable: None,
            reliable_queue: VecDeque::new(),
            reliable_sent: Vec::new(),
            next_rseq,
            remote_reinvite: None,
            local_reinvite: None,
            glare_retry: None,
            ok_retransmit: None,
            offer_in_2xx: false,
            session_timer: None,
            peer_allows_update: false,
            invite_deadline: None,
            end_deadline: None,
        }
    }

    /// An incoming session for `request` (an INVITE without To tag, on server transaction
    /// `tx`), answered with `local_tag` in the To tag. It reports null → incoming (trigger 3);
    /// a request it cannot accept is answered at once (400, 420, 422, 488) and the session goes
    /// on to disconnected.
    pub fn incoming(
        config: SessionConfig,
        seed: u64,
        _now: Instant,
        tx: ServerTxId,
        request: Request,
        local_tag: &str,
    ) -> InviteSession {
        let mut s = InviteSession::new(config, seed);
        s.direction = Direction::Incoming;
        s.local_tag = local_tag.to_owned();
        let headers = request.headers();
        s.from_header = headers.typed::<FromHeader>().ok();
        s.to_header = headers.typed::<ToHeader>().ok();
        s.call_id = headers
            .typed::<CallId>()
            .ok()
            .map(|c| c.as_str().to_owned());
        s.remote_contact = headers.typed_first::<Contact>().ok().flatten();
        s.remote_user_agent = user_agent_of(headers, false);
        s.peer_requires_100rel = has_option(headers, true, "100rel");
        s.peer_supports_100rel = s.peer_requires_100rel || has_option(headers, false, "100rel");
        s.peer_supports_timer = has_option(headers, false, "timer");
        s.peer_session_expires = session_expires_of(headers);
        s.peer_allows_update = allows_update(headers);
        s.incoming_invite = Some(Box::new((tx, request.clone())));
        s.set_state(
            InvitationState::Incoming,
            SubState::Normal,
            Cause::Request(&request),
        );

        // What cannot be accepted is answered now.
        let dummy = Contact::new(crate::header::NameAddr::new(request.uri().clone()));
        let rejection: Option<Rejection> = if let Err(e) = Dialog::uas(&request, local_tag, &dummy)
        {
            Some((400, format!("Bad Request ({e})"), Vec::new()))
        } else if let Some(bad) = headers
            .typed_all::<Require>()
            .unwrap_or_default()
            .iter()
            .find(|r| {
                !["100rel", "timer"]
                    .iter()
                    .any(|t| r.as_str().eq_ignore_ascii_case(t))
            })
        {
            Some((
                420,
                "Bad Extension".to_owned(),
                vec![(HeaderName::Unsupported, bad.as_str().to_owned())],
            ))
        } else if let Some(se) = &s.peer_session_expires
            && se.delta < s.config.min_se
        {
            Some((
                422,
                "Session Interval Too Small".to_owned(),
                vec![(HeaderName::MinSe, s.config.min_se.to_string())],
            ))
        } else {
            match sdp_of(headers, request.body()) {
                Ok(offer) => {
                    s.sdp.proposed_remote = offer;
                    None
                }
                Err(e) => Some((488, format!("Not Acceptable Here ({e})"), Vec::new())),
            }
        };
        if let Some((code, reason, extra)) = rejection {
            let mut b = s.uas_response(&request, code).reason(reason.clone());
            for (name, value) in extra {
                b = b.header(name, value);
            }
            s.push(Output::Respond {
                tx,
                response: b.build(),
            });
            s.incoming_invite = None;
            s.disconnect(Cause::Internal(code, &reason));
        }
        s
    }

    // ----------------------------------------------------------------------------------------
    // Accessors
    // ----------------------------------------------------------------------------------------

    /// The state.
    pub fn state(&self) -> InvitationState {
        self.state
    }

    /// The sub-state.
    pub fn sub_state(&self) -> SubState {
        self.sub_state
    }

    /// Incoming or outgoing.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// The From header of the initial INVITE (with the caller's tag).
    pub fn from_header(&self) -> Option<&FromHeader> {
        self.from_header.as_ref()
    }

    /// The To header of the initial INVITE.
    pub fn to_header(&self) -> Option<&ToHeader> {
        self.to_header.as_ref()
    }

    /// The Call-ID; `None` in null and disconnected (as in the seed).
    pub fn call_id(&self) -> Option<&str> {
        match self.state {
            InvitationState::Null | InvitationState::Disconnected => None,
            _ => self.call_id.as_deref(),
        }
    }

    /// The Call-ID, whatever the state.
    pub fn dialog_call_id(&self) -> Option<&str> {
        self.call_id.as_deref()
    }

    /// Our tag (From tag when outgoing, To tag when incoming).
    pub fn local_tag(&self) -> &str {
        &self.local_tag
    }

    /// The Contact we sent last.
    pub fn local_contact(&self) -> Option<&Contact> {
        self.local_contact.as_ref()
    }

    /// The peer's Contact.
    pub fn remote_contact(&self) -> Option<&Contact> {
        self.remote_contact.as_ref()
    }

    /// The peer's User-Agent (or Server, for an outgoing session).
    pub fn remote_user_agent(&self) -> Option<&str> {
        self.remote_user_agent.as_deref()
    }

    /// The confirmed dialog, once there is one.
    pub fn dialog(&self) -> Option<&Dialog> {
        self.dialog.as_ref()
    }

    /// The offer/answer state.
    pub fn sdp(&self) -> &SdpState {
        &self.sdp
    }

    /// The negotiated session interval and whether we refresh, when session timers run.
    pub fn session_timer(&self) -> Option<(u32, bool)> {
        self.session_timer.map(|t| (t.interval, t.we_refresh))
    }

    /// Sets whether the transport is reliable (TCP/TLS: the 2xx is not retransmitted); a
    /// driver that learns the transport when the INVITE goes out calls this first.
    pub fn set_reliable_transport(&mut self, reliable: bool) {
        self.config.reliable_transport = reliable;
    }

    /// True once disconnected.
    pub fn is_terminated(&self) -> bool {
        self.state == InvitationState::Disconnected
    }

    // ----------------------------------------------------------------------------------------
    // Driving
    // ----------------------------------------------------------------------------------------

    /// The next output, `None` when drained.
    pub fn poll_output(&mut self) -> Option<Output> {
        let output = self.outputs.pop_front();
        if output.is_none() {
            // A long-lived session keeps no queue buffer between bursts of outputs.
            self.outputs = VecDeque::new();
        }
        output
    }

    /// The earliest timer, `None` when no timer runs.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut t: Option<Instant> = None;
        let mut consider = |x: Option<Instant>| {
            if let Some(x) = x {
                t = Some(t.map_or(x, |t| t.min(x)));
            }
        };
        if let Some(ok) = &self.ok_retransmit {
            consider(ok.next);
            consider(Some(ok.give_up));
        }
        if let Some(r) = &self.reliable {
            consider(Some(r.next));
            consider(Some(r.give_up));
        }
        consider(self.glare_retry.as_ref().map(|g| g.0));
        if let Some(st) = &self.session_timer {
            consider(st.refresh_at);
            consider(Some(st.expire_at));
        }
        consider(self.invite_deadline);
        consider(self.end_deadline);
        consider(self.pending_requests.iter().map(|(_, _, d)| *d).min());
        t
    }

    /// Fires the timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        // Requests of the dialog the owner left unanswered.
        if self.pending_requests.iter().any(|(_, _, d)| now >= *d) {
            let (late, keep) = std::mem::take(&mut self.pending_requests)
                .into_iter()
                .partition::<Vec<_>, _>(|(_, _, d)| now >= *d);
            self.pending_requests = keep;
            for (tx, request, _) in late {
                self.reply(
                    tx,
                    &request,
                    500,
                    Some("Server Internal Error (not answered)"),
                );
            }
        }
        // 2xx retransmission and ACK wait.
        if let Some(ok) = &mut self.ok_retransmit {
            if now >= ok.give_up {
                self.ok_retransmit = None;
                self.send_bye(now, Purpose::StrayBye, Vec::new());
                self.disconnect(Cause::Internal(408, "No ACK received"));
                return;
            }
            if let Some(next) = ok.next
                && now >= next
            {
                ok.interval = (ok.interval * 2).min(self.config.t2);
                ok.next = Some(now + ok.interval);
                let out = Output::Respond {
                    tx: ok.tx,
                    response: ok.response.clone(),
                };
                self.push(out);
            }
        }
        // Reliable provisional retransmission.
        if let Some(r) = &mut self.reliable {
            if now >= r.give_up {
                self.reliable = None;
                self.reliable_queue.clear();
                if let Some((tx, req)) = self.incoming_invite.take().map(|b| *b) {
                    let resp = self
                        .uas_response(&req, 504)
                        .reason("Server Time-out (no PRACK)")
                        .build();
                    self.push(Output::Respond { tx, response: resp });
                }
                self.disconnect(Cause::Internal(408, "No PRACK received"));
                return;
            }
            if now >= r.next {
                r.interval *= 2;
                r.next = now + r.interval;
                let resp = r.response.clone();
                if let Some((tx, _)) = self.incoming_invite.as_deref() {
                    let tx = *tx;
                    self.push(Output::Respond { tx, response: resp });
                }
            }
        }
        // INVITE timeout (send_invite's timeout).
        if let Some(d) = self.invite_deadline
            && now >= d
        {
            self.invite_deadline = None;
            if matches!(
                self.state,
                InvitationState::Calling | InvitationState::Early
            ) {
                self.cancel_invite();
                self.disconnect(Cause::Internal(408, "Request Timeout"));
            }
        }
        // end()'s timeout.
        if let Some(d) = self.end_deadline
            && now >= d
        {
            self.end_deadline = None;
            if self.state == InvitationState::Disconnecting {
                self.disconnect(Cause::Internal(408, "Request Timeout"));
            }
        }
        // Glare retry.
        if let Some(retry) = &self.glare_retry
            && now >= retry.0
        {
            self.try_glare_retry(now);
        }
        // Session timers.
        if let Some(st) = self.session_timer {
            if now >= st.expire_at {
                self.session_timer = None;
                if matches!(
                    self.state,
                    InvitationState::Connected | InvitationState::Connecting
                ) {
                    self.send_bye(now, Purpose::Bye, Vec::new());
                    self.set_state(
                        InvitationState::Disconnecting,
                        SubState::Normal,
                        Cause::Internal(408, "Session Timer Expired"),
                    );
                }
            } else if let Some(r) = st.refresh_at
                && now >= r
            {
                if let Some(t) = &mut self.session_timer {
                    t.refresh_at = None;
                }
                self.refresh_session(now);
            }
        }
    }

    fn push(&mut self, output: Output) {
        self.outputs.push_back(output);
    }

    fn new_tx(&mut self, purpose: Purpose) -> ClientTxId {
        let id = ClientTxId(self.next_tx);
        self.next_tx += 1;
        self.txs.push((id, purpose));
        id
    }

    fn purpose(&self, tx: ClientTxId) -> Option<Purpose> {
        self.txs
            .iter()
            .find(|(t, _)| *t == tx)
            .map(|(_, p)| p.clone())
    }

    fn forget_tx(&mut self, tx: ClientTxId) {
        self.txs.retain(|(t, _)| *t != tx);
    }

    fn set_state(&mut self, state: InvitationState, sub_state: SubState, cause: Cause<'_>) {
        let mut data = ChangedState {
            prev_state: self.state,
            prev_sub_state: self.sub_state,
            state,
            sub_state,
            method: None,
            request_uri: None,
            code: None,
            reason: None,
            headers: None,
            body: None,
        };
        match cause {
            Cause::Local => {}
            Cause::Request(r) => {
                data.method = Some(r.method().clone());
                data.request_uri = Some(r.uri().clone());
                data.headers = Some(r.headers().clone());
                data.body = non_empty(r.body());
            }
            Cause::Response(r) => {
                data.code = Some(r.status().code());
                data.reason = Some(r.reason().to_owned());
                data.headers = Some(r.headers().clone());
                data.body = non_empty(r.body());
            }
            Cause::Internal(code, reason) => {
                data.code = Some(code);
                data.reason = Some(reason.to_owned());
            }
        }
        self.state = state;
        self.sub_state = sub_state;
        self.push(Output::Event(InviteEvent::ChangedState(Box::new(data))));
    }

    fn set_sub_state(&mut self, sub_state: SubState, cause: Cause<'_>) {
        let state = self.state;
        self.set_state(state, sub_state, cause);
    }

    /// Goes to disconnected and stops every timer.
    fn disconnect(&mut self, cause: Cause<'_>) {
        if self.state == InvitationState::Disconnected {
            return;
        }
        self.ok_retransmit = None;
        self.reliable = None;
        self.reliable_queue.clear();
        self.glare_retry = None;
        self.session_timer = None;
        self.invite_deadline = None;
        self.end_deadline = None;
        self.local_reinvite = None;
        for (tx, request, _) in std::mem::take(&mut self.pending_requests) {
            self.reply(tx, &request, 487, None);
        }
        self.set_state(InvitationState::Disconnected, SubState::Normal, cause);
    }

    fn sdp_succeeded(&mut self, local: FrozenSdpSession, remote: FrozenSdpSession) {
        self.sdp.proposed_local = None;
        self.sdp.proposed_remote = None;
        self.sdp.active_local = Some(local.clone());
        self.sdp.active_remote = Some(remote.clone());
        self.push(Output::Event(InviteEvent::GotSdpUpdate(SdpUpdate {
            succeeded: true,
            error: None,
            local_sdp: Some(local),
            remote_sdp: Some(remote),
        })));
    }

    fn sdp_failed(&mut self, error: impl Into<String>) {
        self.sdp.proposed_local = None;
        self.sdp.proposed_remote = None;
        self.push(Output::Event(InviteEvent::GotSdpUpdate(SdpUpdate {
            succeeded: false,
            error: Some(error.into()),
            local_sdp: None,
            remote_sdp: None,
        })));
    }

    /// A peer's answer to our offer arrived (or did not).
    fn receive_answer(&mut self, answer: Result<Option<FrozenSdpSession>, String>) -> bool {
        let Some(offer) = self.sdp.proposed_local.clone() else {
            return true;
        };
        match answer {
            Ok(Some(answer)) => {
                self.sdp_succeeded(offer, answer);
                true
            }
            Ok(None) => {
                self.sdp_failed("the answer carries no SDP");
                false
            }
            Err(e) => {
                self.sdp_failed(format!("the answer is not valid SDP: {e}"));
                false
            }
        }
    }

    fn uas_response(&self, request: &Request, code: u16) -> ResponseBuilder {
        let status = StatusCode::new(code).unwrap_or(StatusCode::SERVER_INTERNAL_ERROR);
        let b = request.response(status);
        if code > 100 {
            b.to_tag(&self.local_tag)
        } else {
            b
        }
    }

    fn supported_value(&self) -> &'static str {
        if self.config.use_100rel {
            "100rel, timer"
        } else {
            "timer"
        }
    }

    // ----------------------------------------------------------------------------------------
    // Commands
    // ----------------------------------------------------------------------------------------

    fn invalid(&self, command: &'static str) -> InviteError {
        InviteError::InvalidState {
            command,
            state: self.state,
            sub_state: self.sub_state,
        }
    }

    /// Sends the initial INVITE (trigger 2: null → calling).
    pub fn send_invite(&mut self, now: Instant, params: InviteParams) -> Result<(), InviteError> {
        if self.state != InvitationState::Null || self.direction != Direction::Outgoing {
            return Err(self.invalid("send_invite"));
        }
        let mut from = params.from_header.clone();
        from.set_tag(&self.local_tag);
        let mut to = params.to_header.clone();
        to.params.remove("tag");
        let call_id = params
            .call_id
            .clone()
            .unwrap_or_else(|| format!("{:016x}{:016x}", self.rng.next_u64(), self.rng.next_u64()));
        self.from_header = Some(from);
        self.to_header = Some(to);
        self.call_id = Some(call_id);
        self.local_contact = Some(params.contact_header.clone());
        self.sdp.proposed_local = params.sdp.clone();
        let cseq = self.rng.random_range(1..=10_000u32);
        let session_expires = self.config.session_expires;
        let min_se = session_expires.map(|_| self.config.min_se);
        self.invite_deadline = params.timeout.map(|t| now + t);
        let tx = self.new_tx(Purpose::Invite);
        let digest = DigestClient::new(StdRng::seed_from_u64(self.rng.next_u64()));
        // One challenge per header line, as the typed headers read them.
        let auth = RequestAuthenticator::new(digest, MAX_RETRIES).strict_challenges();
        let request = self.compose_invite(&params, cseq, session_expires, min_se, &[]);
        self.invite = Some(Box::new(OutgoingInvite {
            params,
            request: request.clone(),
            tx,
            cseq,
            got_provisional: false,
            cancel_pending: false,
            cancelled: false,
            auth,
            session_expires,
            min_se,
        }));
        self.push(Output::Send {
            tx,
            request,
            destination: Destination::Initial,
        });
        self.set_state(InvitationState::Calling, SubState::Normal, Cause::Local);
        Ok(())
    }

    fn compose_invite(
        &self,
        p: &InviteParams,
        cseq: u32,
        session_expires: Option<u32>,
        min_se: Option<u32>,
        auth: &[(HeaderName, String)],
    ) -> Request {
        let mut b = Request::builder(Method::Invite, p.request_uri.clone()).typed(&MaxForwards(70));
        if let Some(route) = &p.route_header {
            b = b.typed(route);
        }
        if let Some(from) = &self.from_header {
            b = b.typed(from);
        }
        if let Some(to) = &self.to_header {
            b = b.typed(to);
        }
        b = b
            .typed(&CallId::new(self.call_id.clone().unwrap_or_default()))
            .typed(&CSeq::new(cseq, Method::Invite))
            .typed(&p.contact_header)
            .header(HeaderName::Allow, ALLOW)
            .header(HeaderName::Supported, self.supported_value());
        if let Some(se) = session_expires {
            b = b.typed(&SessionExpires::new(se, None));
            if let Some(min) = min_se {
                b = b.typed(&MinSe::new(min));
            }
        }
        for (name, value) in auth {
            b = b.header(name.clone(), value.clone());
        }
        for h in &p.extra_headers {
            b = b.header(h.name().clone(), h.value_bytes().clone());
        }
        if let Some(sdp) = &p.sdp {
            b = b.body("application/sdp", sdp.to_string());
        }
        b.build()
    }

    /// Answers the initial INVITE (triggers 5 and 7) or a re-INVITE (trigger 13): 1xx, 2xx
    /// (with `sdp` as offer or answer) or a final failure. `contact_header` is our Contact
    /// (required for the first 1xx/2xx of an incoming session unless set before).
    pub fn send_response(
        &mut self,
        now: Instant,
        code: u16,
        reason: Option<&str>,
        contact_header: Option<Contact>,
        sdp: Option<FrozenSdpSession>,
        extra_headers: Vec<Header>,
    ) -> Result<(), InviteError> {
        if !(101..=699).contains(&code) {
            return Err(InviteError::InvalidArgument(format!(
                "status code {code} is not 101-699"
            )));
        }
        if let Some(c) = contact_header {
            self.local_contact = Some(c);
        }
        if self.sub_state == SubState::ReceivedProposal && self.remote_reinvite.is_some() {
            return self.answer_reinvite(now, code, reason, sdp, extra_headers);
        }
        let Some((tx, request)) = self.incoming_invite.clone().map(|b| *b) else {
            return Err(self.invalid("send_response"));
        };
        if !matches!(
            self.state,
            InvitationState::Incoming | InvitationState::Early
        ) {
            return Err(self.invalid("send_response"));
        }
        let Some(contact) = self.local_contact.clone() else {
            return Err(InviteError::InvalidArgument(
                "a Contact is needed to answer the INVITE".into(),
            ));
        };
        if self.dialog.is_none() {
            let dialog = Dialog::uas(&request, &self.local_tag, &contact)
                .map_err(|e| InviteError::InvalidArgument(e.to_string()))?;
            self.dialog = Some(dialog);
        }
        let mut b = self.uas_response(&request, code);
        if let Some(r) = reason {
            b = b.reason(r.to_owned());
        }
        if code < 300 {
            b = b
                .typed(&contact)
                .header(HeaderName::Allow, ALLOW)
                .header(HeaderName::Supported, self.supported_value());
        }
        for h in &extra_headers {
            b = b.header(h.name().clone(), h.value_bytes().clone());
        }
        if code < 200 {
            let reliable =
                self.peer_requires_100rel || (self.peer_supports_100rel && self.config.use_100rel);
            if let Some(sdp) = &sdp {
                b = b.body("application/sdp", sdp.to_string());
            }
            let response;
            if reliable {
                let rseq = self.next_rseq;
                self.next_rseq = self.next_rseq.wrapping_add(1).max(1);
                let invite_seq = cseq_of(request.headers()).map_or(0, |c| c.seq);
                self.reliable_sent.push((rseq, invite_seq));
                b = b.header(HeaderName::Require, "100rel").typed(&RSeq(rseq));
                response = b.build();
                if self.reliable.is_some() {
                    self.reliable_queue.push_back(response);
                } else {
                    self.reliable = Some(Box::new(Reliable {
                        rseq,
                        response: response.clone(),
                        next: now + self.config.t1,
                        interval: self.config.t1,
                        give_up: now + self.config.t1 * 64,
                    }));
                    self.push(Output::Respond { tx, response });
                }
                // An SDP in a reliable 1xx is an answer (or an offer) like in a 2xx.
                if let Some(sdp) = sdp {
                    self.local_sdp_sent(sdp);
                }
            } else {
                response = b.build();
                self.push(Output::Respond { tx, response });
            }
            if let Some(d) = &mut self.dialog {
                d.set_state(DialogState::Early);
            }
            self.set_state(InvitationState::Early, SubState::Normal, Cause::Local);
            return Ok(());
        }
        self.incoming_invite = None;
        self.reliable = None;
        self.reliable_queue.clear();
        if code >= 300 {
            let response = b.build();
            self.push(Output::Respond { tx, response });
            self.disconnect(Cause::Local);
            return Ok(());
        }
        // 2xx: session timer, SDP.
        let timer = self.uas_session_timer();
        if let Some((interval, refresher)) = timer {
            b = b.typed(&SessionExpires::new(interval, Some(refresher)));
            if refresher == Refresher::Uac {
                b = b.header(HeaderName::Require, "timer");
            }
        }
        let sdp = sdp.or_else(|| {
            self.sdp
                .active_local
                .clone()
                .filter(|_| self.sdp.proposed_remote.is_some())
        });
        if let Some(sdp) = &sdp {
            b = b.body("application/sdp", sdp.to_string());
        }
        let response = b.build();
        match sdp {
            // The SDP of a 2xx after a negotiation completed in a reliable provisional
            // response repeats the answer; otherwise it answers, or offers (late offer).
            Some(sdp) if self.sdp.proposed_remote.is_some() || self.sdp.active_local.is_none() => {
                self.local_sdp_sent(sdp);
            }
            Some(_) => {}
            None if self.sdp.proposed_remote.is_some() => {
                self.sdp_failed("the 2xx carries no answer");
            }
            None => {}
        }
        if let Some(d) = &mut self.dialog {
            d.set_state(DialogState::Confirmed);
        }
        let cseq = cseq_of(request.headers()).map_or(0, |c| c.seq);
        self.start_ok_retransmit(now, tx, cseq, response.clone());
        self.push(Output::Respond { tx, response });
        if let Some((interval, refresher)) = timer {
            self.start_session_timer(now, interval, refresher == Refresher::Uas);
        }
        self.set_state(InvitationState::Connecting, SubState::Normal, Cause::Local);
        Ok(())
    }

    /// We sent `sdp` in a response: an answer to the peer's offer, or our offer (late offer).
    fn local_sdp_sent(&mut self, sdp: FrozenSdpSession) {
        if let Some(offer) = self.sdp.proposed_remote.clone() {
            self.sdp_succeeded(sdp, offer);
            self.offer_in_2xx = false;
        } else {
            self.sdp.proposed_local = Some(sdp);
            self.offer_in_2xx = true;
        }
    }

    /// The session interval and refresher of our 2xx to an INVITE (RFC 4028 §9).
    fn uas_session_timer(&self) -> Option<(u32, Refresher)> {
        match &self.peer_session_expires {
            Some(se) => {
                let refresher = se.refresher().unwrap_or(if self.peer_supports_timer {
                    Refresher::Uac
                } else {
                    Refresher::Uas
                });
                Some((se.delta.max(self.config.min_se), refresher))
            }
            None => self.config.session_expires.map(|i| {
                (
                    i.max(self.config.min_se),
                    if self.peer_supports_timer {
                        Refresher::Uac
                    } else {
                        Refresher::Uas
                    },
                )
            }),
        }
    }

    fn start_ok_retransmit(&mut self, now: Instant, tx: ServerTxId, cseq: u32, response: Response) {
        self.ok_retransmit = Some(Box::new(OkRetransmit {
            tx,
            cseq,
            response,
            next: (!self.config.reliable_transport).then(|| now + self.config.t1),
            interval: self.config.t1,
            give_up: now + self.config.t1 * 64,
        }));
    }

    fn start_session_timer(&mut self, now: Instant, interval: u32, we_refresh: bool) {
        // RFC 4028's floor (90 s) up to a day: a peer's extreme value cannot make the timer
        // fire in a loop or overflow the clock.
        let interval = interval.clamp(90, 86_400);
        let full = Duration::from_secs(u64::from(interval));
        let (refresh_at, expire_at) = if we_refresh {
            (Some(now + full / 2), now + full)
        } else {
            let margin = Duration::from_secs(u64::from((interval / 3).min(32)));
            (None, now + full - margin)
        };
        self.session_timer = Some(SessionTimer {
            interval,
            we_refresh,
            refresh_at,
            expire_at,
        });
    }

    /// Sends a re-INVITE (trigger 10: sub-state sent_proposal), changing our Contact and/or
    /// offering `sdp` (`None`: the peer makes the offer in its 2xx).
    pub fn send_reinvite(
        &mut self,
        now: Instant,
        contact_header: Option<Contact>,
        sdp: Option<FrozenSdpSession>,
        extra_headers: Vec<Header>,
    ) -> Result<(), InviteError> {
        if self.state != InvitationState::Connected || self.sub_state != SubState::Normal {
            return Err(self.invalid("send_reinvite"));
        }
        if self.local_reinvite.is_some() {
            return Err(self.invalid("send_reinvite"));
        }
        self.glare_retry = None;
        self.start_reinvite(
            now,
            ReinviteArgs {
                contact: contact_header,
                sdp,
                extra_headers,
            },
            false,
        );
        Ok(())
    }

    fn start_reinvite(&mut self, _now: Instant, args: ReinviteArgs, refresh: bool) {
        let supported = self.supported_value();
        let timer = self.session_timer;
        let Some(dialog) = self.dialog.as_mut() else {
            return;
        };
        if let Some(c) = &args.contact {
            dialog.set_local_contact(c.clone());
            self.local_contact = Some(c.clone());
        }
        let cseq = dialog.next_local_seq();
        let mut b = dialog
            .request(Method::Invite)
            .header(HeaderName::Allow, ALLOW)
            .header(HeaderName::Supported, supported);
        if let Some(st) = &timer {
            b = b.typed(&SessionExpires::new(
                st.interval,
                Some(if st.we_refresh {
                    Refresher::Uac
                } else {
                    Refresher::Uas
                }),
            ));
        }
        for h in &args.extra_headers {
            b = b.header(h.name().clone(), h.value_bytes().clone());
        }
        if let Some(sdp) = &args.sdp {
            b = b.body("application/sdp", sdp.to_string());
        }
        let destination = Destination::Uri(dialog.next_hop().clone());
        let request = b.build();
        self.sdp.proposed_local = args.sdp.clone();
        let offered = args.sdp.is_some();
        let tx = self.new_tx(Purpose::Reinvite { refresh });
        self.local_reinvite = Some(Box::new(LocalReinvite {
            tx,
            cseq,
            offered,
            refresh,
            got_provisional: false,
            cancel_pending: false,
            args,
        }));
        self.push(Output::Send {
            tx,
            request,
            destination,
        });
        if !refresh {
            self.set_sub_state(SubState::SentProposal, Cause::Local);
        }
    }

    /// Cancels our pending re-INVITE (sent once a provisional response arrived).
    pub fn cancel_reinvite(&mut self, _now: Instant) -> Result<(), InviteError> {
        let Some(r) = self.local_reinvite.as_mut().filter(|r| !r.refresh) else {
            return Err(self.invalid("cancel_reinvite"));
        };
        if r.got_provisional {
            let tx = r.tx;
            self.push(Output::Cancel { invite: tx });
        } else {
            r.cancel_pending = true;
        }
        Ok(())
    }

    /// Ends the session (trigger 14): CANCEL while calling/early (outgoing), a final response
    /// ([`SessionConfig::end_code`]) to an unanswered INVITE (incoming), BYE once a 2xx went
    /// out or came in. `timeout` forces disconnected when the peer does not answer in time.
    pub fn end(
        &mut self,
        now: Instant,
        extra_headers: Vec<Header>,
        timeout: Option<Duration>,
    ) -> Result<(), InviteError> {
        match self.state {
            InvitationState::Null => {
                self.disconnect(Cause::Local);
            }
            InvitationState::Disconnecting | InvitationState::Disconnected => {}
            InvitationState::Incoming | InvitationState::Early
                if self.direction == Direction::Incoming =>
            {
                let code = self.config.end_code;
                if let Some((tx, request)) = self.incoming_invite.take().map(|b| *b) {
                    let mut b = self.uas_response(&request, code);
                    for h in &extra_headers {
                        b = b.header(h.name().clone(), h.value_bytes().clone());
                    }
                    self.push(Output::Respond {
                        tx,
                        response: b.build(),
                    });
                }
                self.disconnect(Cause::Local);
            }
            InvitationState::Calling | InvitationState::Early => {
                self.cancel_invite();
                self.end_deadline = timeout.map(|t| now + t);
                self.set_state(
                    InvitationState::Disconnecting,
                    SubState::Normal,
                    Cause::Local,
                );
            }
            InvitationState::Incoming => {
                self.disconnect(Cause::Local);
            }
            InvitationState::Connecting | InvitationState::Connected => {
                self.ok_retransmit = None;
                self.glare_retry = None;
                self.session_timer = None;
                if let Some((tx, req)) = self.remote_reinvite.take().map(|b| *b) {
                    let resp = self.uas_response(&req, 487).build();
                    self.push(Output::Respond { tx, response: resp });
                }
                self.send_bye(now, Purpose::Bye, extra_headers);
                self.end_deadline = timeout.map(|t| now + t);
                self.set_state(
                    InvitationState::Disconnecting,
                    SubState::Normal,
                    Cause::Local,
                );
            }
        }
        Ok(())
    }

    /// CANCELs our INVITE now or, before any provisional response, once one arrives.
    fn cancel_invite(&mut self) {
        if let Some(inv) = &mut self.invite {
            if inv.cancelled {
                return;
            }
            inv.cancelled = true;
            if inv.got_provisional {
                let tx = inv.tx;
                self.push(Output::Cancel { invite: tx });
            } else {
                inv.cancel_pending = true;
            }
        }
    }

    fn send_bye(&mut self, _now: Instant, purpose: Purpose, extra_headers: Vec<Header>) {
        let Some(dialog) = self.dialog.as_mut() else {
            return;
        };
        let mut b = dialog.request(Method::Bye);
        for h in &extra_headers {
            b = b.header(h.name().clone(), h.value_bytes().clone());
        }
        let destination = Destination::Uri(dialog.next_hop().clone());
        let request = b.build();
        let tx = self.new_tx(purpose);
        self.push(Output::Send {
            tx,
            request,
            destination,
        });
    }

    // ----------------------------------------------------------------------------------------
    // Responses to our requests
    // ----------------------------------------------------------------------------------------

    /// A response to the client transaction `tx`.
    pub fn handle_response(&mut self, now: Instant, tx: ClientTxId, response: Response) {
        let Some(purpose) = self.purpose(tx) else {
            // A 2xx retransmission after the transaction was forgotten still gets its ACK.
            self.resend_ack(&response);
            return;
        };
        let code = response.status().code();
        match purpose {
            Purpose::Invite => self.invite_response(now, tx, response),
            Purpose::Reinvite { refresh } => self.reinvite_response(now, tx, refresh, response),
            Purpose::Update => {
                if code >= 200 {
                    self.forget_tx(tx);
                    if (200..300).contains(&code) {
                        self.timer_from_response(now, &response);
                    }
                }
            }
            Purpose::Bye => {
                if code >= 200 {
                    self.forget_tx(tx);
                    if matches!(
                        self.state,
                        InvitationState::Disconnecting
                            | InvitationState::Connected
                            | InvitationState::Connecting
                    ) {
                        self.disconnect(Cause::Response(&response));
                    }
                }
            }
            Purpose::StrayBye | Purpose::Prack => {
                if code >= 200 {
                    self.forget_tx(tx);
                }
            }
        }
    }

    /// Re-sends the ACK of a retransmitted 2xx; true when it was one.
    fn resend_ack(&mut self, response: &Response) -> bool {
        if !response.status().is_success() {
            return false;
        }
        let Some(cseq) = cseq_of(response.headers()) else {
            return false;
        };
        if cseq.method != Method::Invite {
            return false;
        }
        let tag = response
            .headers()
            .typed::<ToHeader>()
            .ok()
            .and_then(|t| t.tag().map(str::to_owned));
        let Some(tag) = tag else { return false };
        let found = self
            .acks
            .iter()
            .find(|(seq, t, _)| *seq == cseq.seq && *t == tag)
            .map(|(_, _, ack)| ack.clone());
        match found {
            Some(ack) => {
                let destination = self.dialog_destination();
                self.push(Output::Ack {
                    request: ack,
                    destination,
                });
                true
            }
            None => false,
        }
    }

    fn dialog_destination(&self) -> Destination {
        self.dialog.as_ref().map_or(Destination::Initial, |d| {
            Destination::Uri(d.next_hop().clone())
        })
    }

    fn send_ack(&mut self, dialog: &Dialog, cseq: u32, sdp: Option<&FrozenSdpSession>) {
        let mut b = dialog.ack(cseq);
        if let Some(sdp) = sdp {
            b = b.body("application/sdp", sdp.to_string());
        }
        let ack = b.build();
        self.acks
            .push((cseq, dialog.id().remote_tag.clone(), ack.clone()));
        if self.acks.len() > 4 {
            self.acks.remove(0);
        }
        self.push(Output::Ack {
            request: ack,
            destination: Destination::Uri(dialog.next_hop().clone()),
        });
    }

    fn early_dialog(&mut self, response: &Response) -> Option<&mut Dialog> {
        let tag = response
            .headers()
            .typed::<ToHeader>()
            .ok()?
            .tag()?
            .to_owned();
        let request = self.invite.as_ref()?.request.clone();
        if !self.early.iter().any(|d| d.id().remote_tag == tag) {
            let d = Dialog::uac(&request, response).ok()?;
            self.early.push(d);
        }
        self.early.iter_mut().find(|d| d.id().remote_tag == tag)
    }

    fn invite_response(&mut self, now: Instant, tx: ClientTxId, response: Response) {
        let code = response.status().code();
        if response.status().is_provisional() {
            self.invite_provisional(now, tx, response);
            return;
        }
        if response.status().is_success() {
            self.invite_success(now, response);
            return;
        }
        // A final failure: the transaction layer ACKs it.
        self.forget_tx(tx);
        if matches!(code, 401 | 407 | 422)
            && matches!(
                self.state,
                InvitationState::Calling | InvitationState::Early
            )
            && self.retry_invite(&response)
        {
            return;
        }
        self.invite_deadline = None;
        if matches!(
            self.state,
            InvitationState::Calling | InvitationState::Early | InvitationState::Disconnecting
        ) {
            self.disconnect(Cause::Response(&response));
        }
    }

    fn invite_provisional(&mut self, _now: Instant, tx: ClientTxId, response: Response) {
        let code = response.status().code();
        let Some(inv) = self.invite.as_mut() else {
            return;
        };
        if inv.tx != tx {
            return;
        }
        inv.got_provisional = true;
        let invite_cseq = inv.cseq;
        if inv.cancel_pending {
            inv.cancel_pending = false;
            self.push(Output::Cancel { invite: tx });
        }
        if code == 100 {
            return;
        }
        // 100rel: PRACK a new reliable provisional response.
        let reliable = has_option(response.headers(), true, "100rel");
        let rseq = response.headers().typed_first::<RSeq>().ok().flatten();
        let mut duplicate = false;
        if reliable && let Some(RSeq(rseq)) = rseq {
            let supported = self.config.use_100rel;
            let acked = self.prack_rseq.clone();
            if let Some(d) = self.early_dialog(&response) {
                let tag = d.id().remote_tag.clone();
                let last = acked.iter().find(|(t, _)| *t == tag).map(|(_, r)| *r);
                if last.is_some_and(|l| rseq <= l) {
                    duplicate = true;
                } else if supported {
                    let request = d
                        .request(Method::Prack)
                        .typed(&RAck::new(rseq, invite_cseq, Method::Invite))
                        .build();
                    let destination = Destination::Uri(d.next_hop().clone());
                    self.prack_rseq.retain(|(t, _)| *t != tag);
                    self.prack_rseq.push((tag, rseq));
                    let ptx = self.new_tx(Purpose::Prack);
                    self.push(Output::Send {
                        tx: ptx,
                        request,
                        destination,
                    });
                }
            }
        } else {
            let _ = self.early_dialog(&response);
        }
        if duplicate {
            return;
        }
        if let Ok(Some(c)) = response.headers().typed_first::<Contact>() {
            self.remote_contact = Some(c);
        }
        // Early media: an SDP answer in a provisional response.
        if self.sdp.proposed_local.is_some()
            && let Ok(Some(answer)) = sdp_of(response.headers(), response.body())
            && let Some(offer) = self.sdp.proposed_local.clone()
        {
            self.sdp_succeeded(offer, answer);
        }
        if matches!(
            self.state,
            InvitationState::Calling | InvitationState::Early
        ) {
            self.set_state(
                InvitationState::Early,
                SubState::Normal,
                Cause::Response(&response),
            );
        }
    }

    fn invite_success(&mut self, now: Instant, response: Response) {
        if self.resend_ack(&response) {
            return;
        }
        let Some(inv) = self.invite.as_ref() else {
            return;
        };
        let request = inv.request.clone();
        let invite_cseq = inv.cseq;
        let offered = inv.params.sdp.is_some();
        let tag = response
            .headers()
            .typed::<ToHeader>()
            .ok()
            .and_then(|t| t.tag().map(str::to_owned));
        let Some(tag) = tag else {
            return;
        };
        // A fork answering after the session is set up (or after we gave up): ACK and BYE it.
        let fork = self.dialog.is_some() || self.state == InvitationState::Disconnected;
        let dialog = match self.early.iter().position(|d| d.id().remote_tag == tag) {
            Some(i) if !fork => {
                let mut d = self.early.remove(i);
                if d.receive_response(&Method::Invite, &response).is_err() {
                    return;
                }
                d
            }
            _ => match Dialog::uac(&request, &response) {
                Ok(d) => d,
                Err(_) => return,
            },
        };
        if fork {
            if self.stray_forks.contains(&tag) {
                return;
            }
            self.stray_forks.push(tag);
            self.send_ack(&dialog, invite_cseq, None);
            let mut dialog = dialog;
            let bye = dialog.request(Method::Bye).build();
            let destination = Destination::Uri(dialog.next_hop().clone());
            let tx = self.new_tx(Purpose::StrayBye);
            self.push(Output::Send {
                tx,
                request: bye,
                destination,
            });
            return;
        }
        self.invite_deadline = None;
        self.early.clear();
        if let Ok(Some(c)) = response.headers().typed_first::<Contact>() {
            self.remote_contact = Some(c);
        }
        self.remote_user_agent = user_agent_of(response.headers(), true);
        self.peer_allows_update = allows_update(response.headers());
        let cancelled = self.state == InvitationState::Disconnecting;
        // SDP: the answer to our offer, or an offer (our INVITE had none).
        let body = sdp_of(response.headers(), response.body());
        let mut ack_sdp = None;
        let mut sdp_ok = true;
        if offered {
            if self.sdp.proposed_local.is_some() {
                sdp_ok = self.receive_answer(body);
            } else {
                // Answered already in a provisional response: the 2xx may repeat the answer,
                // or (after an unreliable preview) change it.
                match body {
                    Ok(Some(answer)) if self.sdp.active_remote.as_ref() != Some(&answer) => {
                        if let Some(local) = self.sdp.active_local.clone() {
                            self.sdp_succeeded(local, answer);
                        }
                    }
                    Err(e) => {
                        self.sdp_failed(format!("the 2xx carries invalid SDP: {e}"));
                        sdp_ok = false;
                    }
                    _ => {}
                }
            }
        } else {
            match body {
                Ok(Some(offer)) => {
                    if let Some(answer) = self.sdp.active_local.clone() {
                        ack_sdp = Some(answer.clone());
                        self.sdp_succeeded(answer, offer);
                    } else {
                        self.sdp_failed("the 2xx carries an offer and no local SDP can answer it");
                        sdp_ok = false;
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    self.sdp_failed(format!("the 2xx carries invalid SDP: {e}"));
                    sdp_ok = false;
                }
            }
        }
        self.send_ack(&dialog, invite_cseq, ack_sdp.as_ref());
        self.dialog = Some(dialog);
        if cancelled {
            // The 2xx crossed our CANCEL: the session was set up anyway; end it.
            self.send_bye(now, Purpose::Bye, Vec::new());
            return;
        }
        self.timer_from_response(now, &response);
        self.set_state(
            InvitationState::Connecting,
            SubState::Normal,
            Cause::Response(&response),
        );
        self.set_state(InvitationState::Connected, SubState::Normal, Cause::Local);
        if !sdp_ok {
            // An unusable answer: the session cannot work (RFC 3261 §13.2.2.4).
            self.send_bye(now, Purpose::Bye, Vec::new());
            self.set_state(
                InvitationState::Disconnecting,
                SubState::Normal,
                Cause::Internal(488, "Not Acceptable Here"),
            );
        }
    }

    /// The session timer a 2xx to one of our INVITE/UPDATE requests sets (RFC 4028 §7.2).
    fn timer_from_response(&mut self, now: Instant, response: &Response) {
        match session_expires_of(response.headers()) {
            Some(se) => {
                let we_refresh = se.refresher() != Some(Refresher::Uas);
                self.start_session_timer(now, se.delta, we_refresh);
            }
            None => self.session_timer = None,
        }
    }

    /// Retries the INVITE after a 401/407 (credentials) or 422 (larger interval); false when
    /// it cannot.
    fn retry_invite(&mut self, response: &Response) -> bool {
        let Some(mut inv) = self.invite.take() else {
            return false;
        };
        if !inv.auth.has_attempts_left() || inv.cancelled {
            self.invite = Some(inv);
            return false;
        }
        let mut auth = Vec::new();
        match response.status().code() {
            422 => {
                let Some(min) = response.headers().typed_first::<MinSe>().ok().flatten() else {
                    self.invite = Some(inv);
                    return false;
                };
                inv.session_expires = Some(inv.session_expires.unwrap_or(0).max(min.delta));
                inv.min_se = Some(min.delta);
                inv.auth.count_attempt();
            }
            _ => {
                let headers = match &inv.params.credentials {
                    Some(credentials)
                        if matches!(
                            inv.auth.handle_response(response, true),
                            AuthDecision::Retry { .. }
                        ) =>
                    {
                        let uri = inv.params.request_uri.to_string();
                        let body = inv.params.sdp.as_ref().map(|s| s.to_string());
                        let body = body.as_deref().map(str::as_bytes);
                        inv.auth
                            .authorization_headers(credentials, "INVITE", &uri, body)
                            .ok()
                    }
                    _ => None,
                };
                let Some(headers) = headers else {
                    self.invite = Some(inv);
                    return false;
                };
                auth = headers;
            }
        }
        inv.cseq += 1;
        inv.got_provisional = false;
        inv.request = self.compose_invite(
            &inv.params,
            inv.cseq,
            inv.session_expires,
            inv.min_se,
            &auth,
        );
        let tx = self.new_tx(Purpose::Invite);
        inv.tx = tx;
        let request = inv.request.clone();
        self.invite = Some(inv);
        self.early.clear();
        self.push(Output::Send {
            tx,
            request,
            destination: Destination::Initial,
        });
        true
    }

    fn reinvite_response(
        &mut self,
        now: Instant,
        tx: ClientTxId,
        refresh: bool,
        response: Response,
    ) {
        let status = response.status();
        if status.is_provisional() {
            if let Some(r) = self.local_reinvite.as_mut().filter(|r| r.tx == tx) {
                r.got_provisional = true;
                if r.cancel_pending {
                    r.cancel_pending = false;
                    self.push(Output::Cancel { invite: tx });
                }
            }
            return;
        }
        if status.is_success() {
            if self.resend_ack(&response) {
                return;
            }
            let Some(local) = self.local_reinvite.take().filter(|r| r.tx == tx) else {
                return;
            };
            let Some(mut dialog) = self.dialog.take() else {
                return;
            };
            let same_dialog = dialog.receive_response(&Method::Invite, &response).is_ok();
            if same_dialog && let Ok(Some(c)) = response.headers().typed_first::<Contact>() {
                self.remote_contact = Some(c);
            }
            let body = sdp_of(response.headers(), response.body());
            let mut ack_sdp = None;
            if local.offered {
                if refresh
                    && let Ok(Some(b)) = &body
                    && self.sdp.active_remote.as_ref() == Some(b)
                {
                    self.sdp.proposed_local = None;
                } else {
                    self.receive_answer(body);
                }
            } else if let Ok(Some(offer)) = body
                && let Some(answer) = self.sdp.active_local.clone()
            {
                ack_sdp = Some(answer.clone());
                self.sdp_succeeded(answer, offer);
            }
            self.send_ack(&dialog, local.cseq, ack_sdp.as_ref());
            self.dialog = Some(dialog);
            self.timer_from_response(now, &response);
            if !refresh && self.sub_state == SubState::SentProposal {
                self.set_sub_state(SubState::Normal, Cause::Response(&response));
            }
            return;
        }
        // A final failure.
        self.forget_tx(tx);
        let Some(local) = self.local_reinvite.take().filter(|r| r.tx == tx) else {
            return;
        };
        let code = status.code();
        if local.offered && !refresh {
            self.sdp_failed(format!(
                "the re-INVITE was rejected: {code} {}",
                response.reason()
            ));
        } else {
            self.sdp.proposed_local = None;
        }
        if code == 491 {
            // Glare (RFC 3261 §14.1): retry after a random interval.
            let ms = if self.direction == Direction::Outgoing {
                self.rng.random_range(210..=400u64) * 10
            } else {
                self.rng.random_range(0..=200u64) * 10
            };
            self.glare_retry = Some(Box::new((
                now + Duration::from_millis(ms),
                local.args.clone(),
            )));
        }
        if !refresh && self.sub_state == SubState::SentProposal {
            self.set_sub_state(SubState::Normal, Cause::Response(&response));
        }
        if matches!(code, 408 | 481) && self.state == InvitationState::Connected {
            // The dialog is gone (RFC 3261 §12.2.1.2).
            if code == 408 {
                self.send_bye(now, Purpose::StrayBye, Vec::new());
            }
            self.disconnect(Cause::Response(&response));
        }
    }

    fn try_glare_retry(&mut self, now: Instant) {
        if self.state != InvitationState::Connected {
            self.glare_retry = None;
            return;
        }
        if self.sub_state != SubState::Normal || self.local_reinvite.is_some() {
            // Retried when the exchange in progress ends.
            return;
        }
        if let Some(retry) = self.glare_retry.take() {
            let (_, args) = *retry;
            self.start_reinvite(now, args, false);
        }
    }

    fn refresh_session(&mut self, now: Instant) {
        if self.state != InvitationState::Connected
            || self.sub_state != SubState::Normal
            || self.local_reinvite.is_some()
        {
            return;
        }
        let Some(st) = self.session_timer else { return };
        if self.peer_allows_update {
            let Some(dialog) = self.dialog.as_mut() else {
                return;
            };
            let request = dialog
                .request(Method::Update)
                .header(HeaderName::Supported, "timer")
                .typed(&SessionExpires::new(st.interval, Some(Refresher::Uac)))
                .build();
            let destination = Destination::Uri(dialog.next_hop().clone());
            let tx = self.new_tx(Purpose::Update);
            self.push(Output::Send {
                tx,
                request,
                destination,
            });
        } else {
            let sdp = self.sdp.active_local.clone();
            self.start_reinvite(
                now,
                ReinviteArgs {
                    contact: None,
                    sdp,
                    extra_headers: Vec::new(),
                },
                true,
            );
        }
    }

    /// The client transaction `tx` timed out (Timer B/F): a 408.
    pub fn handle_transaction_timeout(&mut self, now: Instant, tx: ClientTxId) {
        self.transaction_failed(now, tx, 408, "Request Timeout");
    }

    /// The request of `tx` could not be delivered: a 503 (RFC 3261 §17.1.4).
    pub fn handle_transport_error(&mut self, now: Instant, tx: ClientTxId, error: &str) {
        let reason = format!("Service Unavailable ({error})");
        self.transaction_failed(now, tx, 503, &reason);
    }

    fn transaction_failed(&mut self, now: Instant, tx: ClientTxId, code: u16, reason: &str) {
        let Some(purpose) = self.purpose(tx) else {
            return;
        };
        self.forget_tx(tx);
        match purpose {
            Purpose::Invite => {
                if self.invite.as_ref().is_some_and(|i| i.tx == tx)
                    && matches!(
                        self.state,
                        InvitationState::Calling
                            | InvitationState::Early
                            | InvitationState::Disconnecting
                    )
                    && self.dialog.is_none()
                {
                    self.disconnect(Cause::Internal(code, reason));
                }
            }
            Purpose::Reinvite { refresh } => {
                if self.local_reinvite.as_ref().is_some_and(|r| r.tx == tx) {
                    self.local_reinvite = None;
                    self.sdp.proposed_local = None;
                    if !refresh {
                        self.set_sub_state(SubState::Normal, Cause::Internal(code, reason));
                    }
                    if self.state == InvitationState::Connected {
                        self.send_bye(now, Purpose::StrayBye, Vec::new());
                        self.disconnect(Cause::Internal(code, reason));
                    }
                }
            }
            Purpose::Bye => {
                if self.state != InvitationState::Disconnected {
                    self.disconnect(Cause::Internal(code, reason));
                }
            }
            Purpose::Update | Purpose::StrayBye | Purpose::Prack => {}
        }
    }

    // ----------------------------------------------------------------------------------------
    // Requests from the peer
    // ----------------------------------------------------------------------------------------

    /// An ACK (for a 2xx; the transaction layer absorbs the others).
    pub fn handle_ack(&mut self, now: Instant, request: Request) {
        let Some(cseq) = cseq_of(request.headers()) else {
            return;
        };
        let Some(ok) = &self.ok_retransmit else {
            return;
        };
        if ok.cseq != cseq.seq {
            return;
        }
        if let Some(d) = &mut self.dialog {
            let _ = d.receive_request(&request);
        }
        self.ok_retransmit = None;
        let mut bye = false;
        if self.offer_in_2xx {
            self.offer_in_2xx = false;
            let answer = sdp_of(request.headers(), request.body());
            bye = !self.receive_answer(answer);
        }
        if self.state == InvitationState::Connecting {
            self.set_state(
                InvitationState::Connected,
                SubState::Normal,
                Cause::Request(&request),
            );
        }
        if bye && self.state == InvitationState::Connected {
            self.send_bye(now, Purpose::Bye, Vec::new());
            self.set_state(
                InvitationState::Disconnecting,
                SubState::Normal,
                Cause::Internal(488, "Not Acceptable Here"),
            );
        }
        self.try_glare_retry(now);
    }

    /// A CANCEL for the INVITE of server transaction `invite` (the transaction layer answered
    /// the CANCEL itself): the INVITE gets 487 (trigger 16 for the initial INVITE).
    pub fn handle_cancel(&mut self, _now: Instant, invite: ServerTxId, request: Request) {
        if let Some((tx, req)) = self.incoming_invite.clone().map(|b| *b)
            && tx == invite
        {
            self.incoming_invite = None;
            let resp = self.uas_response(&req, 487).build();
            self.push(Output::Respond { tx, response: resp });
            self.disconnect(Cause::Request(&request));
            return;
        }
        if let Some((tx, req)) = self.remote_reinvite.clone().map(|b| *b)
            && tx == invite
        {
            self.remote_reinvite = None;
            let resp = self.uas_response(&req, 487).build();
            self.push(Output::Respond { tx, response: resp });
            self.sdp_failed("the re-INVITE was cancelled");
            self.set_sub_state(SubState::Normal, Cause::Request(&request));
        }
    }

    /// A request within the dialog (or one of its early dialogs), on server transaction `tx`.
    /// ACK and CANCEL go to [`handle_ack`](Self::handle_ack) /
    /// [`handle_cancel`](Self::handle_cancel).
    pub fn handle_request(&mut self, now: Instant, tx: ServerTxId, request: Request) {
        let method = request.method().clone();
        if method == Method::Ack {
            self.handle_ack(now, request);
            return;
        }
        if self.state == InvitationState::Disconnected {
            self.reply(tx, &request, 481, None);
            return;
        }
        // Identify the dialog and check the CSeq.
        let id = DialogId::of_received_request(&request);
        let confirmed = matches!((&self.dialog, &id), (Some(d), Some(id)) if d.id() == id);
        if !confirmed {
            let early = id
                .as_ref()
                .and_then(|id| self.early.iter().position(|d| d.id() == id));
            match early {
                Some(i) => self.early_dialog_request(now, tx, i, request),
                None => self.reply(tx, &request, 481, None),
            }
            return;
        }
        let Some(dialog) = self.dialog.as_mut() else {
            return;
        };
        match dialog.receive_request(&request) {
            Ok(()) => {}
            Err(DialogError::CSeqOutOfOrder { .. }) => {
                self.reply(
                    tx,
                    &request,
                    500,
                    Some("Server Internal Error (CSeq out of order)"),
                );
                return;
            }
            Err(DialogError::Mismatch) | Err(DialogError::NoRemoteTag) => {
                self.reply(tx, &request, 481, None);
                return;
            }
            Err(e) => {
                let reason = format!("Bad Request ({e})");
                self.reply(tx, &request, 400, Some(&reason));
                return;
            }
        }
        if let Ok(Some(c)) = request.headers().typed_first::<Contact>()
            && crate::dialog::is_target_refresh(&method)
        {
            self.remote_contact = Some(c);
        }
        match method {
            Method::Invite => self.receive_reinvite(now, tx, request),
            Method::Update => self.receive_update(now, tx, request),
            Method::Prack => self.receive_prack(now, tx, request),
            Method::Bye => {
                self.reply(tx, &request, 200, None);
                if let Some((itx, ireq)) = self.incoming_invite.take().map(|b| *b) {
                    let resp = self.uas_response(&ireq, 487).build();
                    self.push(Output::Respond {
                        tx: itx,
                        response: resp,
                    });
                }
                if let Some((rtx, rreq)) = self.remote_reinvite.take().map(|b| *b) {
                    let resp = self.uas_response(&rreq, 487).build();
                    self.push(Output::Respond {
                        tx: rtx,
                        response: resp,
                    });
                }
                self.disconnect(Cause::Request(&request));
            }
            Method::Options => {
                let resp = self
                    .uas_response(&request, 200)
                    .header(HeaderName::Allow, ALLOW)
                    .header(HeaderName::Supported, self.supported_value())
                    .build();
                self.push(Output::Respond { tx, response: resp });
            }
            Method::Refer | Method::Info | Method::Notify | Method::Message | Method::Subscribe => {
                let deadline = now + self.config.t1 * UNANSWERED_T1;
                self.pending_requests.push((tx, request.clone(), deadline));
                self.push(Output::Event(InviteEvent::GotRequest(GotRequest {
                    tx,
                    request: Box::new(request),
                })));
            }
            _ => {
                let resp = self
                    .uas_response(&request, 405)
                    .header(HeaderName::Allow, ALLOW)
                    .build();
                self.push(Output::Respond { tx, response: resp });
            }
        }
    }

    /// Answers a request handed out with [`InviteEvent::GotRequest`] with the final response
    /// `code` (200–699), `reason` (`None`: the standard phrase) and `extra_headers`.
    pub fn answer_request(
        &mut self,
        tx: ServerTxId,
        code: u16,
        reason: Option<&str>,
        extra_headers: Vec<Header>,
    ) -> Result<(), InviteError> {
        if !(200..700).contains(&code) {
            return Err(InviteError::InvalidArgument(format!(
                "{code} is not a final response code"
            )));
        }
        let request = self.take_request(tx).ok_or_else(|| {
            InviteError::InvalidArgument(format!("no unanswered request on transaction {}", tx.0))
        })?;
        let mut b = self.uas_response(&request, code);
        if let Some(r) = reason {
            b = b.reason(r.to_owned());
        }
        for h in &extra_headers {
            b = b.header(h.name().clone(), h.value_bytes().clone());
        }
        self.push(Output::Respond {
            tx,
            response: b.build(),
        });
        Ok(())
    }

    /// Claims a request handed out with [`InviteEvent::GotRequest`]: the session forgets it and
    /// the caller answers it on its server transaction. `None` when it was answered already.
    pub fn take_request(&mut self, tx: ServerTxId) -> Option<Request> {
        let i = self
            .pending_requests
            .iter()
            .position(|(t, _, _)| *t == tx)?;
        Some(self.pending_requests.remove(i).1)
    }

    /// A request within the confirmed dialog made from `template`: its method, the dialog's
    /// Request-URI, Route, From, To, Call-ID, next local CSeq, Max-Forwards and (for target
    /// refresh methods) our Contact, then every other header of the template and its body.
    /// Used for requests of other dialog usages, such as the NOTIFYs of a REFER received in
    /// the call. The caller adds the Via and sends it in its own client transaction to the
    /// returned destination. Only while connected; not for INVITE, ACK, CANCEL, BYE, PRACK
    /// or UPDATE, which the session sends itself.
    pub fn dialog_request(
        &mut self,
        template: &Request,
    ) -> Result<(Request, Destination), InviteError> {
        let method = template.method().clone();
        if matches!(
            method,
            Method::Invite
                | Method::Ack
                | Method::Cancel
                | Method::Bye
                | Method::Prack
                | Method::Update
        ) {
            return Err(InviteError::InvalidArgument(format!(
                "{method} is sent by the session itself"
            )));
        }
        let (state, sub_state) = (self.state, self.sub_state);
        let dialog = match self.dialog.as_mut() {
            Some(d) if state == InvitationState::Connected => d,
            _ => {
                return Err(InviteError::InvalidState {
                    command: "dialog_request",
                    state,
                    sub_state,
                });
            }
        };
        let mut request = dialog.request(method).build();
        let skip = [
            HeaderName::Via,
            HeaderName::From,
            HeaderName::To,
            HeaderName::CallId,
            HeaderName::CSeq,
            HeaderName::Route,
            HeaderName::MaxForwards,
            HeaderName::Contact,
            HeaderName::ContentLength,
        ];
        for h in template.headers().iter() {
            if skip.contains(h.name()) {
                continue;
            }
            if h.name() == &HeaderName::ContentType {
                request
                    .headers_mut()
                    .set(h.name().clone(), h.value_bytes().clone());
            } else {
                request
                    .headers_mut()
                    .push(h.name().clone(), h.value_bytes().clone());
            }
        }
        request.set_body(template.body().clone());
        let destination = Destination::Uri(
            self.dialog
                .as_ref()
                .map_or_else(|| request.uri().clone(), |d| d.next_hop().clone()),
        );
        Ok((request, destination))
    }

    /// A request in one of our early dialogs (outgoing session, before the 2xx): UPDATE
    /// (RFC 3311 allows it there), OPTIONS; a BYE ends that early dialog only.
    fn early_dialog_request(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        index: usize,
        request: Request,
    ) {
        match self.early[index].receive_request(&request) {
            Ok(()) => {}
            Err(DialogError::CSeqOutOfOrder { .. }) => {
                self.reply(
                    tx,
                    &request,
                    500,
                    Some("Server Internal Error (CSeq out of order)"),
                );
                return;
            }
            Err(_) => {
                self.reply(tx, &request, 481, None);
                return;
            }
        }
        match request.method() {
            Method::Update => self.receive_update(now, tx, request),
            Method::Bye => {
                self.early.remove(index);
                self.reply(tx, &request, 200, None);
            }
            Method::Options => self.reply(tx, &request, 200, None),
            _ => {
                let resp = self
                    .uas_response(&request, 405)
                    .header(HeaderName::Allow, ALLOW)
                    .build();
                self.push(Output::Respond { tx, response: resp });
            }
        }
    }

    fn reply(&mut self, tx: ServerTxId, request: &Request, code: u16, reason: Option<&str>) {
        let mut b = self.uas_response(request, code);
        if let Some(r) = reason {
            b = b.reason(r.to_owned());
        }
        self.push(Output::Respond {
            tx,
            response: b.build(),
        });
    }

    fn reply_retry_after(&mut self, tx: ServerTxId, request: &Request, code: u16) {
        let secs = self.rng.random_range(0..=10u32);
        let resp = self
            .uas_response(request, code)
            .header(HeaderName::RetryAfter, secs.to_string())
            .build();
        self.push(Output::Respond { tx, response: resp });
    }

    fn receive_reinvite(&mut self, now: Instant, tx: ServerTxId, request: Request) {
        if self.state == InvitationState::Connecting || self.incoming_invite.is_some() {
            // An INVITE before the ACK of the previous one (RFC 3261 §14.2).
            self.reply_retry_after(tx, &request, 500);
            return;
        }
        if self.state != InvitationState::Connected {
            self.reply(tx, &request, 491, None);
            return;
        }
        match self.sub_state {
            SubState::SentProposal => {
                self.reply(tx, &request, 491, None);
                return;
            }
            SubState::ReceivedProposal => {
                self.reply_retry_after(tx, &request, 500);
                return;
            }
            SubState::Normal => {}
        }
        if self.local_reinvite.is_some() {
            // Our refresh re-INVITE is in progress: glare as well.
            self.reply(tx, &request, 491, None);
            return;
        }
        let offer = match sdp_of(request.headers(), request.body()) {
            Ok(o) => o,
            Err(e) => {
                let reason = format!("Not Acceptable Here ({e})");
                self.reply(tx, &request, 488, Some(&reason));
                return;
            }
        };
        self.peer_session_expires = session_expires_of(request.headers());
        self.peer_supports_timer = has_option(request.headers(), false, "timer");
        // A session refresh (same SDP version, or no SDP) is answered at once, without
        // troubling the application, when a session timer runs.
        let is_refresh = self.session_timer.is_some()
            && self.peer_session_expires.is_some()
            && match &offer {
                None => false,
                Some(o) => self
                    .sdp
                    .active_remote
                    .as_ref()
                    .is_some_and(|a| a.id == o.id && a.version == o.version),
            };
        if is_refresh {
            let local = self.sdp.active_local.clone();
            self.remote_reinvite = Some(Box::new((tx, request)));
            self.sdp.proposed_remote = offer;
            self.finish_reinvite_ok(now, 200, None, local, Vec::new(), true);
            return;
        }
        self.sdp.proposed_remote = offer;
        self.remote_reinvite = Some(Box::new((tx, request.clone())));
        self.set_sub_state(SubState::ReceivedProposal, Cause::Request(&request));
    }

    fn answer_reinvite(
        &mut self,
        now: Instant,
        code: u16,
        reason: Option<&str>,
        sdp: Option<FrozenSdpSession>,
        extra_headers: Vec<Header>,
    ) -> Result<(), InviteError> {
        if code < 200 {
            let Some((tx, req)) = self.remote_reinvite.clone().map(|b| *b) else {
                return Err(self.invalid("send_response"));
            };
            let mut b = self.uas_response(&req, code);
            if let Some(r) = reason {
                b = b.reason(r.to_owned());
            }
            for h in &extra_headers {
                b = b.header(h.name().clone(), h.value_bytes().clone());
            }
            self.push(Output::Respond {
                tx,
                response: b.build(),
            });
            return Ok(());
        }
        if code >= 300 {
            let Some((tx, req)) = self.remote_reinvite.take().map(|b| *b) else {
                return Err(self.invalid("send_response"));
            };
            let mut b = self.uas_response(&req, code);
            if let Some(r) = reason {
                b = b.reason(r.to_owned());
            }
            for h in &extra_headers {
                b = b.header(h.name().clone(), h.value_bytes().clone());
            }
            self.push(Output::Respond {
                tx,
                response: b.build(),
            });
            if self.sdp.proposed_remote.is_some() {
                self.sdp_failed(format!("the re-INVITE was rejected with {code}"));
            }
            self.set_sub_state(SubState::Normal, Cause::Local);
            self.try_glare_retry(now);
            return Ok(());
        }
        self.finish_reinvite_ok(now, code, reason, sdp, extra_headers, false);
        Ok(())
    }

    fn finish_reinvite_ok(
        &mut self,
        now: Instant,
        code: u16,
        reason: Option<&str>,
        sdp: Option<FrozenSdpSession>,
        extra_headers: Vec<Header>,
        silent: bool,
    ) {
        let Some((tx, req)) = self.remote_reinvite.take().map(|b| *b) else {
            return;
        };
        let mut b = self.uas_response(&req, code);
        if let Some(r) = reason {
            b = b.reason(r.to_owned());
        }
        if let Some(c) = &self.local_contact {
            if let Some(d) = &mut self.dialog {
                d.set_local_contact(c.clone());
            }
            b = b.typed(c);
        }
        b = b
            .header(HeaderName::Allow, ALLOW)
            .header(HeaderName::Supported, self.supported_value());
        let timer = self.peer_session_expires.as_ref().map(|se| {
            let refresher = se.refresher().unwrap_or(if self.peer_supports_timer {
                Refresher::Uac
            } else {
                Refresher::Uas
            });
            (se.delta.max(self.config.min_se), refresher)
        });
        if let Some((interval, refresher)) = timer {
            b = b.typed(&SessionExpires::new(interval, Some(refresher)));
            if refresher == Refresher::Uac {
                b = b.header(HeaderName::Require, "timer");
            }
        }
        for h in &extra_headers {
            b = b.header(h.name().clone(), h.value_bytes().clone());
        }
        // The answer, or (re-INVITE without SDP) our offer: the given SDP, else the current.
        let sdp = sdp.or_else(|| self.sdp.active_local.clone());
        if let Some(sdp) = &sdp {
            b = b.body("application/sdp", sdp.to_string());
        }
        let response = b.build();
        if silent {
            self.sdp.proposed_remote = None;
        } else if let Some(sdp) = sdp {
            self.local_sdp_sent(sdp);
        } else if self.sdp.proposed_remote.is_some() {
            self.sdp_failed("the 2xx carries no answer");
        }
        let cseq = cseq_of(req.headers()).map_or(0, |c| c.seq);
        self.start_ok_retransmit(now, tx, cseq, response.clone());
        self.push(Output::Respond { tx, response });
        match timer {
            Some((interval, refresher)) => {
                self.start_session_timer(now, interval, refresher == Refresher::Uas);
            }
            None => self.session_timer = None,
        }
        if !silent {
            self.set_sub_state(SubState::Normal, Cause::Local);
        }
    }

    fn receive_update(&mut self, now: Instant, tx: ServerTxId, request: Request) {
        let offer = match sdp_of(request.headers(), request.body()) {
            Ok(o) => o,
            Err(e) => {
                let reason = format!("Not Acceptable Here ({e})");
                self.reply(tx, &request, 488, Some(&reason));
                return;
            }
        };
        let mut b = self.uas_response(&request, 200);
        if let Some(offer) = offer {
            if self.sdp.proposed_local.is_some() {
                self.reply(tx, &request, 491, None);
                return;
            }
            if self.sdp.proposed_remote.is_some() {
                self.reply_retry_after(tx, &request, 500);
                return;
            }
            let Some(local) = self.sdp.active_local.clone() else {
                self.reply(tx, &request, 488, None);
                return;
            };
            b = b.body("application/sdp", local.to_string());
            self.sdp_succeeded(local, offer);
        }
        if let Some(c) = &self.local_contact {
            b = b.typed(c);
        }
        match session_expires_of(request.headers()) {
            Some(se) if se.delta < self.config.min_se => {
                let resp = self
                    .uas_response(&request, 422)
                    .typed(&MinSe::new(self.config.min_se))
                    .build();
                self.push(Output::Respond { tx, response: resp });
                return;
            }
            Some(se) => {
                let peer_timer = has_option(request.headers(), false, "timer");
                let refresher = se.refresher().unwrap_or(if peer_timer {
                    Refresher::Uac
                } else {
                    Refresher::Uas
                });
                b = b.typed(&SessionExpires::new(se.delta, Some(refresher)));
                if refresher == Refresher::Uac {
                    b = b.header(HeaderName::Require, "timer");
                }
                if matches!(
                    self.state,
                    InvitationState::Connected | InvitationState::Connecting
                ) {
                    self.start_session_timer(now, se.delta, refresher == Refresher::Uas);
                }
            }
            None => {}
        }
        self.push(Output::Respond {
            tx,
            response: b.build(),
        });
    }

    fn receive_prack(&mut self, now: Instant, tx: ServerTxId, request: Request) {
        let rack = request.headers().typed_first::<RAck>().ok().flatten();
        let invite_cseq = self
            .incoming_invite
            .as_deref()
            .and_then(|(_, r)| cseq_of(r.headers()))
            .map(|c| c.seq);
        let matches = match (&self.reliable, &rack, invite_cseq) {
            (Some(r), Some(rack), Some(seq)) => {
                rack.rseq == r.rseq && rack.cseq == seq && rack.method == Method::Invite
            }
            _ => false,
        };
        if !matches {
            // A PRACK that crossed our final response still acknowledges a response we sent.
            let late = rack.is_some_and(|rack| {
                rack.method == Method::Invite
                    && self.reliable_sent.contains(&(rack.rseq, rack.cseq))
            });
            let code = if late { 200 } else { 481 };
            self.reply(tx, &request, code, None);
            return;
        }
        self.reliable = None;
        // An answer to an offer we made in the reliable provisional response.
        if self.offer_in_2xx
            && let Ok(Some(answer)) = sdp_of(request.headers(), request.body())
        {
            self.offer_in_2xx = false;
            self.receive_answer(Ok(Some(answer)));
        }
        self.reply(tx, &request, 200, None);
        // The next queued reliable provisional response.
        if let Some(next) = self.reliable_queue.pop_front()
            && let Some((itx, _)) = self.incoming_invite.clone().map(|b| *b)
        {
            let rseq = next
                .headers()
                .typed_first::<RSeq>()
                .ok()
                .flatten()
                .map_or(0, |r| r.0);
            self.reliable = Some(Box::new(Reliable {
                rseq,
                response: next.clone(),
                next: now + self.config.t1,
                interval: self.config.t1,
                give_up: now + self.config.t1 * 64,
            }));
            self.push(Output::Respond {
                tx: itx,
                response: next,
            });
        }
    }
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
