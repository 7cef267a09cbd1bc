//! The agent's user agent: options, the Engine, answering and placing calls, the SDP it offers
//! and answers. Used by `main.rs`, and included by the SIPp interop tests and the call
//! benchmark (`#[path]`), so it only uses sip-core's public API and tokio.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use sip_core::digest::Credentials;
use sip_core::engine::{Engine, EngineConfig, NewDialog};
use sip_core::header::{Contact, FromHeader, NameAddr, Route, ToHeader};
use sip_core::invitation::{
    GotRequest, Invitation, InvitationState, InviteEvent, InviteParams, SubState,
};
use sip_core::message::StatusCode;
use sip_core::notification::NotificationCenter;
use sip_core::referral::IncomingReferral;
use sip_core::sdp::{Direction, SdpAttribute, SdpConnection, SdpMediaStream, SdpSession};
use sip_core::transaction::TransportKind;
use sip_core::transport::TlsOptions;
use sip_core::uri::Uri;

/// One-line usage, printed with a usage error.
pub const USAGE: &str = "usage: agent [--listen IP:PORT] [--transport udp|tcp|tls] \
[--answer [--ring-seconds N] [--answer-code CODE]] [--call URI [--hangup-after SECONDS] \
[--calls N]] [--user USER --password PASSWORD] [--route URI] [--max-calls N] \
[--duration SECONDS] [--quiet] (see --help)";

/// The `--help` text.
pub const HELP: &str = "\
agent: a scriptable SIP user agent (sipsimple-rs sip-core) for tests and benchmarks.

It starts an Engine, answers and/or places calls with a plain audio SDP (PCMU, no media is
sent), prints one line per notification and exits 0 when every call it took part in ended
normally (answered and hung up, or rejected with the code it was asked to answer with),
1 otherwise, 2 on bad usage. Within a call it accepts a REFER (202, NOTIFY `SIP/2.0 100
Trying`, then NOTIFY `SIP/2.0 200 OK`; the referred call is not placed) and answers INFO and
MESSAGE with 200.

Options:
  --listen IP:PORT        where the Engine listens (default 127.0.0.1:0, a free port; the
                          chosen address is printed as `listening <transport> IP:PORT`)
  --transport T           udp (default), tcp or tls, for the listener and the calls
  --tls-cert PEM          TLS certificate chain (needed to listen on tls)
  --tls-key PEM           its private key
  --tls-ca PEM            CA certificates trusted for outgoing TLS (default: system roots)
  --answer                answer incoming calls: 180 Ringing first, then --answer-code
  --ring-seconds N        seconds to ring before answering (default 0)
  --answer-code CODE      final response to send (default 200; e.g. 486 rejects)
  --call URI              call URI (its host must be an IP address unless --route is given)
  --calls N               number of calls to place one after the other (default 1)
  --hangup-after SECONDS  hang up placed calls after this long (default 1)
  --user USER             digest user name for challenged requests
  --password PASSWORD     digest password
  --route URI             outbound proxy: where requests go (e.g. sip:127.0.0.1:5060;lr)
  --max-calls N           exit after N incoming calls have ended
  --duration SECONDS      exit after this long (default: when the placed calls end, or never
                          for an answering agent without --max-calls)
  --quiet                 do not print notifications (for benchmarks); the summary is printed
  --help                  this text
";

/// What the agent does, from its command line.
#[derive(Debug, Clone)]
pub struct AgentOptions {
    /// Listener address (port 0: a free port).
    pub listen: SocketAddr,
    /// Transport of the listener and of placed calls.
    pub transport: TransportKind,
    /// TLS certificate, key and CA files.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub tls_ca: Option<PathBuf>,
    /// Answer incoming calls.
    pub answer: bool,
    /// Ring this long before the final answer.
    pub ring: Duration,
    /// The final answer's code.
    pub answer_code: u16,
    /// Whom to call.
    pub call: Option<Uri>,
    /// How many calls to place, in sequence.
    pub calls: u32,
    /// How long placed calls last.
    pub hangup_after: Duration,
    /// Digest credentials.
    pub user: Option<String>,
    pub password: Option<String>,
    /// Outbound proxy.
    pub route: Option<Uri>,
    /// Exit after this many incoming calls ended.
    pub max_calls: Option<u64>,
    /// Exit after this long.
    pub duration: Option<Duration>,
    /// No notification lines.
    pub quiet: bool,
}

impl Default for AgentOptions {
    fn default() -> Self {
        AgentOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            transport: TransportKind::Udp,
            tls_cert: None,
            tls_key: None,
            tls_ca: None,
            answer: false,
            ring: Duration::ZERO,
            answer_code: 200,
            call: None,
            calls: 1,
            hangup_after: Duration::from_secs(1),
            user: None,
            password: None,
            route: None,
            max_calls: None,
            duration: None,
            quiet: false,
        }
    }
}

fn seconds(flag: &str, value: &str) -> Result<Duration, String> {
    let s: f64 = value.parse().map_err(|e| format!("{flag} {value}: {e}"))?;
    Duration::try_from_secs_f64(s).map_err(|e| format!("{flag} {value}: {e}"))
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    value.parse().map_err(|e| format!("{flag} {value}: {e}"))
}

impl AgentOptions {
    /// Parses command-line arguments (without the program name).
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<AgentOptions, String> {
        let mut o = AgentOptions::default();
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            match flag.as_str() {
                "--answer" => {
                    o.answer = true;
                    continue;
                }
                "--quiet" => {
                    o.quiet = true;
                    continue;
                }
                _ => {}
            }
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            match flag.as_str() {
                "--listen" => o.listen = number(&flag, &value)?,
                "--transport" => {
                    o.transport = match value.to_ascii_lowercase().as_str() {
                        "udp" => TransportKind::Udp,
                        "tcp" => TransportKind::Tcp,
                        "tls" => TransportKind::Tls,
                        _ => return Err(format!("--transport {value}: udp, tcp or tls")),
                    }
                }
                "--tls-cert" => o.tls_cert = Some(value.into()),
                "--tls-key" => o.tls_key = Some(value.into()),
                "--tls-ca" => o.tls_ca = Some(value.into()),
                "--ring-seconds" => o.ring = seconds(&flag, &value)?,
                "--answer-code" => {
                    let code: u16 = number(&flag, &value)?;
                    if !(200..700).contains(&code) {
                        return Err(format!("--answer-code {code}: a final code, 200 to 699"));
                    }
                    o.answer_code = code;
                }
                "--call" => {
                    o.call = Some(Uri::parse(&value).map_err(|e| format!("--call {value}: {e}"))?)
                }
                "--calls" => o.calls = number(&flag, &value)?,
                "--hangup-after" => o.hangup_after = seconds(&flag, &value)?,
                "--user" => o.user = Some(value),
                "--password" => o.password = Some(value),
                "--route" => {
                    o.route = Some(Uri::parse(&value).map_err(|e| format!("--route {value}: {e}"))?)
                }
                "--max-calls" => o.max_calls = Some(number(&flag, &value)?),
                "--duration" => o.duration = Some(seconds(&flag, &value)?),
                _ => return Err(format!("unknown option {flag}")),
            }
        }
        if !o.answer && o.call.is_none() {
            return Err("nothing to do: give --answer and/or --call".to_owned());
        }
        if o.transport == TransportKind::Tls
            && o.listen.port() != 0
            && (o.tls_cert.is_none() || o.tls_key.is_none())
        {
            return Err("listening on tls needs --tls-cert and --tls-key".to_owned());
        }
        if o.user.is_some() != o.password.is_some() {
            return Err("--user and --password go together".to_owned());
        }
        Ok(o)
    }
}

/// Prints a notification line.
pub fn print_line(line: String) {
    println!("{line}");
}

/// Counts of what the agent saw.
#[derive(Debug, Default)]
pub struct Counters {
    /// Calls (either direction) that ended normally.
    pub normal: AtomicU64,
    /// Calls that failed or ended abnormally.
    pub failed: AtomicU64,
    /// Incoming calls that arrived.
    pub incoming_started: AtomicU64,
    /// Incoming calls that ended (normally or not).
    pub incoming_ended: AtomicU64,
}

/// What [`run_with`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// Calls that ended normally or not.
    pub summary: Summary,
    /// Incoming calls that arrived.
    pub incoming_started: u64,
    /// Incoming calls that ended.
    pub incoming_ended: u64,
}

/// The result of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Calls that ended normally.
    pub normal: u64,
    /// Calls that did not.
    pub failed: u64,
}

impl Summary {
    /// True when no call failed.
    pub fn all_normal(&self) -> bool {
        self.failed == 0
    }
}

impl Counters {
    fn summary(&self) -> Summary {
        Summary {
            normal: self.normal.load(Ordering::Acquire),
            failed: self.failed.load(Ordering::Acquire),
        }
    }
}

/// Starts the Engine the options ask for; returns it with its listening address.
pub async fn start_engine(
    options: &AgentOptions,
    center: &NotificationCenter,
) -> Result<(Engine, SocketAddr), Box<dyn std::error::Error>> {
    let port = Some(options.listen.port());
    let mut config = EngineConfig::new()
        .with_ip_address(options.listen.ip())
        .with_udp_port(None)
        .with_tcp_port(None)
        .with_user_agent("sipsimple-rs-agent".to_owned())
        // A benchmark keeps tens of thousands of transactions alive (Timers J, L and M).
        .with_max_transactions(400_000);
    match options.transport {
        TransportKind::Udp => config = config.with_udp_port(port),
        TransportKind::Tcp => config = config.with_tcp_port(port),
        _ => {
            config.tls_port = if options.tls_cert.is_some() {
                port
            } else {
                None
            };
            config.tls_options = TlsOptions {
                ca_file: options.tls_ca.clone(),
                cert_file: options.tls_cert.clone(),
                privkey_file: options.tls_key.clone(),
                ..TlsOptions::default()
            };
        }
    }
    let engine = Engine::start(config, center.clone()).await?;
    let port = engine.local_port(options.transport).await?.unwrap_or(0);
    Ok((engine, SocketAddr::new(options.listen.ip(), port)))
}

/// The audio offer: PCMU and telephone-event on `port` at `ip` (no media is sent).
pub fn audio_offer(ip: std::net::IpAddr, port: u16) -> SdpSession {
    let mut sdp = SdpSession::new(ip.to_string());
    sdp.connection = Some(SdpConnection::from_ip(ip));
    let mut audio = SdpMediaStream::new("audio", port, "RTP/AVP");
    audio.formats = vec!["0".to_owned(), "101".to_owned()];
    audio
        .attributes
        .push(SdpAttribute::new("rtpmap", "0 PCMU/8000"));
    audio
        .attributes
        .push(SdpAttribute::new("rtpmap", "101 telephone-event/8000"));
    audio.attributes.push(SdpAttribute::new("fmtp", "101 0-15"));
    sdp.media.push(audio);
    sdp
}

/// The answer to `offer`: every audio stream that offers PCMU is accepted with PCMU and the
/// mirrored direction (sendonly ↔ recvonly, so a hold is answered recvonly); everything else
/// is rejected with port 0.
pub fn audio_answer(offer: &SdpSession, ip: std::net::IpAddr, port: u16) -> SdpSession {
    let mut sdp = SdpSession::new(ip.to_string());
    sdp.connection = Some(SdpConnection::from_ip(ip));
    for (index, m) in offer.media.iter().enumerate() {
        let pcmu = m.formats.iter().any(|f| f == "0")
            || m.rtpmaps()
                .flatten()
                .any(|r| r.encoding.eq_ignore_ascii_case("PCMU"));
        if m.media != "audio" || m.port == 0 || !pcmu {
            let mut rejected = SdpMediaStream::new(m.media.clone(), 0, m.transport.clone());
            rejected.formats = m.formats.clone();
            sdp.media.push(rejected);
            continue;
        }
        let mut audio = SdpMediaStream::new("audio", port + 2 * index as u16, m.transport.clone());
        audio.formats = vec!["0".to_owned()];
        audio
            .attributes
            .push(SdpAttribute::new("rtpmap", "0 PCMU/8000"));
        let direction = match offer.media_direction(index).unwrap_or_default() {
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            Direction::Inactive => Direction::Inactive,
            Direction::SendRecv => Direction::SendRecv,
        };
        audio.set_direction(direction);
        sdp.media.push(audio);
    }
    sdp
}

/// The Contact of the agent at `addr` over `transport`.
pub fn contact_for(addr: SocketAddr, transport: TransportKind) -> Contact {
    let param = match transport {
        TransportKind::Udp => "",
        TransportKind::Tcp => ";transport=tcp",
        _ => ";transport=tls",
    };
    let uri = Uri::parse(&format!("sip:agent@{addr}{param}")).expect("a valid contact URI");
    Contact::new(NameAddr::new(uri))
}

/// One line for an Invitation event.
fn describe(call: &str, event: &InviteEvent) -> String {
    match event {
        InviteEvent::ChangedState(c) => {
            let mut line = format!(
                "{call} SIPInvitationChangedState {}/{} -> {}/{}",
                c.prev_state, c.prev_sub_state, c.state, c.sub_state
            );
            if let Some(method) = &c.method {
                line.push_str(&format!(" method={method}"));
            }
            if let Some(code) = c.code {
                line.push_str(&format!(
                    " code={code} reason={:?}",
                    c.reason.as_deref().unwrap_or("")
                ));
            }
            line
        }
        InviteEvent::GotSdpUpdate(u) => match &u.error {
            None => format!("{call} SIPInvitationGotSDPUpdate succeeded={}", u.succeeded),
            Some(e) => format!(
                "{call} SIPInvitationGotSDPUpdate succeeded={} error={e:?}",
                u.succeeded
            ),
        },
        _ => format!("{call} {event:?}"),
    }
}

/// How a call ended, from its events.
#[derive(Debug, Default)]
struct CallTrace {
    connected: bool,
    ended_normally: Option<bool>,
}

impl CallTrace {
    /// Notes a state change; `expected_rejection` is the code an answering agent was told to
    /// reject with.
    fn note(
        &mut self,
        change: &sip_core::invitation::ChangedState,
        expected_rejection: Option<u16>,
    ) {
        if change.state == InvitationState::Connected {
            self.connected = true;
        }
        if change.state != InvitationState::Disconnected {
            return;
        }
        let by_bye = change.method.as_ref().is_some_and(|m| m.as_str() == "BYE");
        let by_cancel = change
            .method
            .as_ref()
            .is_some_and(|m| m.as_str() == "CANCEL");
        let code = change.code;
        let normal = if self.connected {
            by_bye || code.is_some_and(|c| (200..300).contains(&c))
        } else {
            by_cancel
                || code == Some(487)
                || (expected_rejection.is_some() && code == expected_rejection)
        };
        self.ended_normally = Some(normal);
    }
}

/// Answers a new re-INVITE or UPDATE offer with the mirrored audio answer.
async fn answer_proposal(invitation: &Invitation, ip: std::net::IpAddr, port: u16) {
    let sdp = invitation.sdp();
    let answer = match &sdp.proposed_remote {
        Some(offer) => audio_answer(offer, ip, port),
        None => audio_offer(ip, port),
    };
    let _ = invitation
        .send_response(200, None, None, Some(answer.into()), Vec::new())
        .await;
}

/// Answers a request within a call: a REFER is accepted (202, NOTIFY `SIP/2.0 100 Trying`,
/// then NOTIFY `SIP/2.0 200 OK` ending the implicit subscription; the agent does not place
/// the referred call); INFO and MESSAGE get 200; a NOTIFY (no subscription of ours) 481;
/// anything else 403.
async fn in_call_request(
    invitation: &Invitation,
    center: &NotificationCenter,
    got: &GotRequest,
    call: &str,
    quiet: bool,
    out: fn(String),
) {
    let method = got.request.method().as_str().to_owned();
    if method != "REFER" {
        let code = match method.as_str() {
            "INFO" | "MESSAGE" => 200,
            "NOTIFY" => 481,
            _ => 403,
        };
        if !quiet {
            out(format!("{call} {method} in the call, answered {code}"));
        }
        let _ = invitation.answer_request(got, code, None, Vec::new()).await;
        return;
    }
    let refer_to = got
        .request
        .headers()
        .get(&sip_core::header::HeaderName::ReferTo)
        .map(|h| h.value().to_owned())
        .unwrap_or_default();
    let referral = match IncomingReferral::in_dialog(invitation, center, got).await {
        Ok(r) => r,
        Err(e) => {
            out(format!("{call} REFER in the call refused: {e}"));
            return;
        }
    };
    if !quiet {
        out(format!(
            "{call} REFER in the call, Refer-To: {refer_to}; accepting"
        ));
    }
    let mut events = center.add_observer(None, Some(referral.sender().id()));
    let call = call.to_owned();
    tokio::spawn(async move {
        if let Err(e) = referral.accept(202, 600) {
            out(format!("{call} cannot accept the REFER: {e}"));
            return;
        }
        if referral.state() == "terminated" {
            // `Refer-Sub: false`: no NOTIFYs.
            if !quiet {
                out(format!("{call} REFER accepted without subscription"));
            }
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        if let Err(e) = referral.send_notify(200, None) {
            out(format!("{call} cannot send the final NOTIFY: {e}"));
        }
        // Keep the referral until both NOTIFYs are answered (bounded).
        let until = Instant::now() + Duration::from_secs(10);
        let mut answered = 0;
        while let Ok(Ok(n)) = tokio::time::timeout_at(until, events.recv()).await {
            if !quiet {
                out(format!("{call} {}", n.name()));
            }
            match n.name() {
                "SIPIncomingReferralNotifyDidSucceed" => answered += 1,
                "SIPIncomingReferralNotifyDidFail" => break,
                _ => {}
            }
            if answered == 2 {
                break;
            }
        }
    });
}

/// Runs one incoming call as the options say: 180, ring, the final answer, then the events
/// until it ends. Returns whether it ended normally.
async fn answer_call(
    engine: Engine,
    center: NotificationCenter,
    new_dialog: NewDialog,
    options: Arc<AgentOptions>,
    addr: SocketAddr,
    out: fn(String),
) -> bool {
    let invitation = Invitation::incoming(&engine, &center, new_dialog);
    let call = invitation.call_id().unwrap_or_default();
    let contact = contact_for(addr, options.transport);
    let ip = addr.ip();
    let media_port = 40000;
    let expected_rejection = (options.answer_code >= 300).then_some(options.answer_code);
    let mut trace = CallTrace::default();
    let _ = Box::pin(invitation.send_response(180, None, Some(contact.clone()), None, Vec::new()))
        .await;
    let answer_at = Instant::now() + options.ring;
    let mut answered = false;
    loop {
        tokio::select! {
            event = invitation.next_event() => {
                let Some(event) = event else { break };
                if !options.quiet {
                    out(describe(&call, &event));
                }
                if let InviteEvent::GotRequest(got) = &event {
                    in_call_request(&invitation, &center, got, &call, options.quiet, out).await;
                }
                if let InviteEvent::ChangedState(change) = &event {
                    trace.note(change, expected_rejection);
                    if change.state == InvitationState::Disconnected {
                        break;
                    }
                    if change.sub_state == SubState::ReceivedProposal {
                        Box::pin(answer_proposal(&invitation, ip, media_port)).await;
                    }
                }
            }
            () = tokio::time::sleep_until(answer_at), if !answered => {
                answered = true;
                let code = options.answer_code;
                let sdp = if (200..300).contains(&code) {
                    let state = invitation.sdp();
                    Some(match &state.proposed_remote {
                        Some(offer) => audio_answer(offer, ip, media_port),
                        None => audio_offer(ip, media_port),
                    }.into())
                } else {
                    None
                };
                // Boxed: the call's task keeps only its waiting state between events.
                let sent = Box::pin(invitation.send_response(
                    code,
                    None,
                    Some(contact.clone()),
                    sdp,
                    Vec::new(),
                ))
                .await;
                if let Err(e) = sent
                    && !options.quiet
                {
                    out(format!("{call} cannot answer: {e}"));
                }
            }
        }
    }
    trace.ended_normally.unwrap_or(false)
}

/// Places one call and hangs it up after `hangup_after`. Returns whether it ended normally.
async fn place_call(
    engine: &Engine,
    center: &NotificationCenter,
    options: &AgentOptions,
    target: &Uri,
    addr: SocketAddr,
    out: fn(String),
) -> bool {
    let invitation = Invitation::new(engine, center);
    let from_uri = Uri::parse(&format!("sip:agent@{addr}")).expect("a valid From URI");
    let mut params = InviteParams::new(
        target.clone(),
        FromHeader::new(NameAddr::new(from_uri)),
        ToHeader::new(NameAddr::new(target.clone())),
        contact_for(addr, options.transport),
    )
    .with_sdp(audio_offer(addr.ip(), 41000).into());
    if let Some(route) = &options.route {
        params = params.with_route(Route::new(NameAddr::new(route.clone())));
    }
    if let (Some(user), Some(password)) = (&options.user, &options.password) {
        params = params.with_credentials(Credentials::new(user.as_str(), password.as_str()));
    }
    if let Err(e) = invitation.send_invite(params).await {
        out(format!("call to {target} failed to start: {e}"));
        return false;
    }
    let mut trace = CallTrace::default();
    let mut hangup_at: Option<Instant> = None;
    let mut call = String::new();
    loop {
        tokio::select! {
            event = invitation.next_event() => {
                let Some(event) = event else { break };
                if call.is_empty() {
                    call = invitation.call_id().unwrap_or_default();
                }
                if !options.quiet {
                    out(describe(&call, &event));
                }
                if let InviteEvent::GotRequest(got) = &event {
                    in_call_request(&invitation, center, got, &call, options.quiet, out).await;
                }
                if let InviteEvent::ChangedState(change) = &event {
                    trace.note(change, None);
                    if change.state == InvitationState::Connected && hangup_at.is_none() {
                        hangup_at = Some(Instant::now() + options.hangup_after);
                    }
                    if change.state == InvitationState::Disconnected {
                        break;
                    }
                    if change.sub_state == SubState::ReceivedProposal {
                        Box::pin(answer_proposal(&invitation, addr.ip(), 41000)).await;
                    }
                }
            }
            () = sleep_until_opt(hangup_at) => {
                hangup_at = None;
                let _ = invitation.end(Vec::new(), Some(Duration::from_secs(10))).await;
            }
        }
    }
    trace.ended_normally.unwrap_or(false)
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Runs the agent until its work is done (see [`HELP`]); `out` receives the notification
/// lines.
pub async fn run(
    options: AgentOptions,
    out: fn(String),
) -> Result<Summary, Box<dyn std::error::Error>> {
    let center = NotificationCenter::new();
    let (engine, addr) = start_engine(&options, &center).await?;
    let report = run_with(engine.clone(), center, addr, options, out).await;
    engine.stop().await?;
    Ok(report.summary)
}

/// [`run`] on a started Engine listening at `addr` (the benchmark starts its own).
pub async fn run_with(
    engine: Engine,
    center: NotificationCenter,
    addr: SocketAddr,
    options: AgentOptions,
    out: fn(String),
) -> Report {
    out(format!(
        "listening {} {addr}",
        options.transport.as_str().to_ascii_lowercase()
    ));
    let options = Arc::new(options);
    let counters = Arc::new(Counters::default());
    let deadline = options.duration.map(|d| Instant::now() + d);
    let mut new_dialogs = if options.answer {
        engine.take_new_dialogs().ok()
    } else {
        None
    };
    let (ended_tx, mut ended_rx) = tokio::sync::mpsc::unbounded_channel::<bool>();
    let mut placing = options.call.clone().map(|target| {
        let (engine, center, options, counters) = (
            engine.clone(),
            center.clone(),
            options.clone(),
            counters.clone(),
        );
        tokio::spawn(async move {
            for _ in 0..options.calls {
                let normal = place_call(&engine, &center, &options, &target, addr, out).await;
                let counter = if normal {
                    &counters.normal
                } else {
                    &counters.failed
                };
                counter.fetch_add(1, Ordering::AcqRel);
            }
        })
    });
    loop {
        let answering = new_dialogs.is_some();
        tokio::select! {
            new_dialog = recv_new(&mut new_dialogs) => {
                let Some(new_dialog) = new_dialog else {
                    new_dialogs = None;
                    continue;
                };
                if new_dialog.incoming.request.method().as_str() != "INVITE" {
                    // Only calls: subscriptions and referrals are refused.
                    let response = new_dialog
                        .incoming
                        .request
                        .response(StatusCode::FORBIDDEN)
                        .to_tag(&new_dialog.route.local_tag)
                        .build();
                    let _ = engine.respond(&new_dialog.incoming.key, response).await;
                    continue;
                }
                counters.incoming_started.fetch_add(1, Ordering::AcqRel);
                let (engine, center, options, ended) =
                    (engine.clone(), center.clone(), options.clone(), ended_tx.clone());
                tokio::spawn(async move {
                    let normal = answer_call(engine, center, new_dialog, options, addr, out).await;
                    let _ = ended.send(normal);
                });
            }
            Some(normal) = ended_rx.recv() => {
                let counter = if normal { &counters.normal } else { &counters.failed };
                counter.fetch_add(1, Ordering::AcqRel);
                let ended = counters.incoming_ended.fetch_add(1, Ordering::AcqRel) + 1;
                if options.max_calls.is_some_and(|max| ended >= max) {
                    break;
                }
            }
            done = join_opt(&mut placing) => {
                placing = None;
                if let Err(e) = done {
                    out(format!("the calling task failed: {e}"));
                    counters.failed.fetch_add(1, Ordering::AcqRel);
                }
                if !answering || (options.max_calls.is_none() && deadline.is_none()) {
                    break;
                }
            }
            () = sleep_until_opt(deadline) => break,
        }
    }
    let summary = counters.summary();
    out(format!(
        "summary: {} calls ended normally, {} did not",
        summary.normal, summary.failed
    ));
    Report {
        summary,
        incoming_started: counters.incoming_started.load(Ordering::Acquire),
        incoming_ended: counters.incoming_ended.load(Ordering::Acquire),
    }
}

async fn recv_new(
    new_dialogs: &mut Option<tokio::sync::mpsc::Receiver<NewDialog>>,
) -> Option<NewDialog> {
    match new_dialogs {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn join_opt(
    task: &mut Option<tokio::task::JoinHandle<()>>,
) -> Result<(), tokio::task::JoinError> {
    match task {
        Some(t) => t.await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod agent_option_tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<AgentOptions, String> {
        AgentOptions::parse(args.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn options_are_read_and_checked() {
        let o = parse(&[
            "--listen",
            "127.0.0.1:5070",
            "--transport",
            "tcp",
            "--answer",
            "--ring-seconds",
            "1.5",
            "--answer-code",
            "486",
            "--max-calls",
            "3",
            "--quiet",
        ])
        .unwrap();
        assert_eq!(o.listen, SocketAddr::from(([127, 0, 0, 1], 5070)));
        assert_eq!(o.transport, TransportKind::Tcp);
        assert!(o.answer && o.quiet);
        assert_eq!(o.ring, Duration::from_millis(1500));
        assert_eq!((o.answer_code, o.max_calls), (486, Some(3)));

        assert!(parse(&[]).unwrap_err().contains("nothing to do"));
        assert!(parse(&["--answer", "--answer-code", "180"]).is_err());
        assert!(parse(&["--call", "not a uri"]).is_err());
        assert!(parse(&["--answer", "--user", "alice"]).is_err());
        assert!(parse(&["--answer", "--bogus", "1"]).is_err());
        assert!(parse(&["--answer", "--ring-seconds"]).is_err());
    }

    #[test]
    fn hold_offer_is_answered_recvonly_and_unknown_media_rejected() {
        let ip: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        let mut offer = audio_offer(ip, 5000);
        offer.media[0].set_direction(Direction::SendOnly);
        offer
            .media
            .push(SdpMediaStream::new("video", 5002, "RTP/AVP"));
        let answer = audio_answer(&offer, ip, 6000);
        assert_eq!(answer.media_direction(0), Some(Direction::RecvOnly));
        assert_eq!(answer.media[0].formats, ["0"]);
        assert_eq!(answer.media[1].port, 0, "video is rejected");
    }
}
