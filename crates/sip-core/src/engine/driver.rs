//! The driver task: owns the transaction layer, the transports and the UAS helpers.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use bytes::Bytes;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::sync::mpsc;
use tracing::Instrument;

use crate::header::{ContentType, Event, FromHeader, HeaderName, ToHeader};
use crate::message::{Method, Request, Response, StatusCode};
use crate::notification::{
    GotMessageData, NotificationCenter, NotificationData, Sender, SipTraceData,
};
use crate::transaction::{
    Output, Target, TransactionConfig, TransactionEvent, TransactionKey, TransactionLayer,
    TransportKind,
};
use crate::transport::{self, TransportConfig, TransportEvent, TransportHandle};
use crate::uas::{self, MergedRequestDetector, OverloadGuard, RequestPolicy};

use super::config::invalid;
use super::{
    ClientEvent, ClientTransaction, Command, DialogEvent, DialogEvents, DialogRoute, EngineConfig,
    EngineError, IncomingRequest, NewDialog, ROUTE_CAPACITY, RouteKey, RouteSender,
};
use crate::mailbox::{Mailbox, PushError};

/// Binds the transports and spawns the driver; returns the command sender, the incoming
/// request stream and the running flag.
pub(super) async fn spawn(
    config: EngineConfig,
    center: NotificationCenter,
    sender: Sender,
) -> Result<
    (
        mpsc::Sender<Command>,
        mpsc::Receiver<IncomingRequest>,
        mpsc::Receiver<NewDialog>,
        Arc<AtomicBool>,
        Arc<AtomicBool>,
    ),
    EngineError,
> {
    let (transport, events) = transport::start(transport_config(&config)).await?;
    let tconfig = TransactionConfig::default()
        .with_t1(config.t1)
        .with_t2(config.t2)
        .with_t4(config.t4)
        .with_max_transactions(config.max_transactions);
    let policy = build_policy(&config)?;
    let overload = OverloadGuard::new(config.max_pending_requests, 5)
        .map_err(|e| invalid("max_pending_requests", e.to_string()))?;
    let (cmd_tx, commands) = mpsc::channel(config.channel_capacity);
    let (incoming_tx, incoming_rx) = mpsc::channel(config.channel_capacity);
    let (new_dialogs_tx, new_dialogs_rx) = mpsc::channel(config.channel_capacity);
    let new_dialogs_taken = Arc::new(AtomicBool::new(false));
    let running = Arc::new(AtomicBool::new(true));
    let driver = Driver {
        layer: TransactionLayer::with_rng(tconfig, StdRng::from_os_rng()),
        rng: StdRng::from_os_rng(),
        merged: MergedRequestDetector::with_t1(config.t1),
        overload,
        policy,
        transport,
        events,
        command_sender: cmd_tx.downgrade(),
        commands,
        incoming: incoming_tx,
        new_dialogs: new_dialogs_tx,
        new_dialogs_taken: new_dialogs_taken.clone(),
        routes: HashMap::new(),
        invite_routes: HashMap::new(),
        clients: HashMap::new(),
        send_failures: mpsc::channel(256),
        pending: HashSet::new(),
        center,
        sender,
        running: running.clone(),
        config,
    };
    let span = tracing::info_span!("sip_engine");
    let (center, sender, flag) = (
        driver.center.clone(),
        driver.sender.clone(),
        running.clone(),
    );
    let task = tokio::spawn(driver.run().instrument(span));
    // A panic in the driver is reported, as the seed's unexpected exception in the stack
    // thread: SIPEngineGotException, then SIPEngineDidFail and SIPEngineDidEnd.
    tokio::spawn(async move {
        let Err(e) = task.await else { return };
        if !e.is_panic() {
            return;
        }
        let payload = e.into_panic();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic payload".to_owned());
        tracing::error!(%message, "engine driver panicked");
        if flag.swap(false, Ordering::AcqRel) {
            let post = |data| center.post_notification(Some(&sender), data);
            post(NotificationData::EngineGotException(
                crate::notification::GotExceptionData {
                    error_type: "panic".to_owned(),
                    value: message.clone(),
                    traceback: String::new(),
                },
            ));
            post(NotificationData::EngineDidFail(
                crate::notification::EngineDidFailData {
                    reason: format!("the engine driver panicked: {message}"),
                },
            ));
            post(NotificationData::EngineDidEnd);
        }
    });
    Ok((
        cmd_tx,
        incoming_rx,
        new_dialogs_rx,
        new_dialogs_taken,
        running,
    ))
}

fn transport_config(config: &EngineConfig) -> TransportConfig {
    let addr = |port: Option<u16>| port.map(|p| SocketAddr::new(config.ip_address, p));
    TransportConfig {
        udp: addr(config.udp_port),
        tcp: addr(config.tcp_port),
        tls_listen: addr(config.tls_port),
        tls: config.tls_options.clone(),
        // Outgoing TLS works without a TLS listener of ours.
        tls_client: true,
        ..TransportConfig::default()
    }
}

/// Methods the Engine handles itself, plus the claimed ones; event packages from `events`.
fn build_policy(config: &EngineConfig) -> Result<RequestPolicy, EngineError> {
    // Dialog usages (INVITE sessions, subscriptions, referrals) take the rest.
    let mut policy = RequestPolicy::new()
        .allow_method(Method::Message)
        .allow_method(Method::Subscribe)
        .allow_method(Method::Notify)
        .allow_method(Method::Refer)
        .allow_method(Method::Update)
        .allow_method(Method::Prack)
        .allow_method(Method::Info);
    for tag in DIALOG_OPTION_TAGS {
        policy = policy
            .support_option_tag(tag)
            .map_err(|e| invalid("supported", e.to_string()))?;
    }
    for m in &config.incoming_requests {
        let m = Method::from(m.as_str());
        if !policy.methods().contains(&m) {
            policy = policy.allow_method(m);
        }
    }
    for tag in &config.supported {
        policy = policy
            .support_option_tag(tag)
            .map_err(|e| invalid("supported", e.to_string()))?;
    }
    for (package, types) in &config.events {
        let types: Vec<&str> = types.iter().map(String::as_str).collect();
        policy = policy
            .support_event(package, &types)
            .map_err(|e| invalid("events", e.to_string()))?;
    }
    Ok(policy)
}

/// Extensions the dialog usages implement: reliable provisional responses (RFC 3262),
/// session timers (RFC 4028), Replaces (RFC 3891) and REFER without subscription (RFC 4488).
const DIALOG_OPTION_TAGS: [&str; 4] = ["100rel", "timer", "replaces", "norefersub"];

/// A request the transport could not deliver: where to, and why.
type SendFailure = (Target, String);

struct Driver {
    layer: TransactionLayer,
    rng: StdRng,
    merged: MergedRequestDetector,
    overload: OverloadGuard,
    policy: RequestPolicy,
    transport: TransportHandle,
    events: mpsc::Receiver<TransportEvent>,
    commands: mpsc::Receiver<Command>,
    /// For the routes handed out with new dialogs (weak: dropping every Engine handle still
    /// stops the driver).
    command_sender: mpsc::WeakSender<Command>,
    incoming: mpsc::Sender<IncomingRequest>,
    new_dialogs: mpsc::Sender<NewDialog>,
    new_dialogs_taken: Arc<AtomicBool>,
    /// Dialog routes: Call-ID and local tag → owner.
    routes: HashMap<RouteKey, RouteSender>,
    /// INVITE server transactions delivered on a route, for their CANCELs.
    invite_routes: HashMap<TransactionKey, RouteKey>,
    clients: HashMap<TransactionKey, mpsc::Sender<ClientEvent>>,
    /// Failed sends of the tasks that open TCP/TLS connections, reported back to the loop.
    send_failures: (mpsc::Sender<SendFailure>, mpsc::Receiver<SendFailure>),
    /// Server transactions handed to the application and not yet finally answered.
    pending: HashSet<TransactionKey>,
    center: NotificationCenter,
    sender: Sender,
    running: Arc<AtomicBool>,
    config: EngineConfig,
}

impl Driver {
    async fn run(mut self) {
        let listening: Vec<String> = [TransportKind::Udp, TransportKind::Tcp, TransportKind::Tls]
            .into_iter()
            .filter_map(|k| {
                self.transport
                    .local_addr(k)
                    .map(|a| format!("{} {a}", k.as_str()))
            })
            .collect();
        self.log(
            3,
            "engine",
            format!("started, listening on {}", listening.join(", ")),
        );
        loop {
            self.flush().await;
            let deadline = self.layer.poll_timeout();
            tokio::select! {
                event = self.events.recv() => match event {
                    Some(event) => self.on_transport(event),
                    None => {
                        self.fail("the transport layer ended").await;
                        return;
                    }
                },
                command = self.commands.recv() => match command {
                    Some(Command::Stop(done)) => {
                        self.shutdown().await;
                        let _ = done.send(());
                        return;
                    }
                    Some(command) => self.on_command(command).await,
                    None => {
                        // Every handle was dropped without stop().
                        self.running.store(false, Ordering::Release);
                        self.shutdown().await;
                        return;
                    }
                },
                Some((target, reason)) = self.send_failures.1.recv() => {
                    self.log(
                        2,
                        "transport",
                        format!(
                            "send to {} over {} failed: {reason}",
                            target.addr,
                            target.transport.as_str()
                        ),
                    );
                    self.layer.handle_transport_error(target, &reason);
                }
                () = sleep_until(deadline), if deadline.is_some() => {
                    self.layer.handle_timeout(Instant::now());
                }
            }
        }
    }

    async fn shutdown(&mut self) {
        self.log(4, "engine", "stopping".to_owned());
        self.clients.clear();
        self.pending.clear();
        self.routes.clear();
        self.invite_routes.clear();
        self.transport.shutdown().await;
    }

    async fn fail(&mut self, reason: &str) {
        self.log(1, "engine", format!("failed: {reason}"));
        if self.running.swap(false, Ordering::AcqRel) {
            self.post(NotificationData::EngineDidFail(
                crate::notification::EngineDidFailData {
                    reason: reason.to_owned(),
                },
            ));
            self.shutdown().await;
            self.post(NotificationData::EngineDidEnd);
        }
    }

    fn post(&self, data: NotificationData) {
        self.center.post_notification(Some(&self.sender), data);
    }

    /// Logs `message` from stack module `module` at `level` (1 = most critical … 5): through
    /// `tracing`, and as `SIPEngineLog` when `level` is within the configured `log_level`.
    fn log(&self, level: u8, module: &str, message: String) {
        match level {
            0 | 1 => tracing::error!(module, "{message}"),
            2 => tracing::warn!(module, "{message}"),
            3 => tracing::info!(module, "{message}"),
            4 => tracing::debug!(module, "{message}"),
            _ => tracing::trace!(module, "{message}"),
        }
        if level <= self.config.log_level {
            self.post(NotificationData::EngineLog(
                crate::notification::EngineLogData {
                    sender: module.to_owned(),
                    level,
                    message,
                },
            ));
        }
    }

    fn tag(&mut self) -> String {
        uas::random_tag(&mut self.rng)
    }

    /// Sends every queued transmission and handles every queued event.
    async fn flush(&mut self) {
        while let Some(output) = self.layer.poll_output() {
            match output {
                Output::Transmit {
                    destination,
                    transport,
                    bytes,
                } => self.transmit(transport, destination, bytes).await,
                Output::Event(event) => self.on_transaction(event),
            }
        }
    }

    async fn transmit(&mut self, kind: TransportKind, destination: SocketAddr, bytes: Bytes) {
        if self.config.trace_sip
            && let Some(local) = self.transport.local_addr(kind)
        {
            self.post(NotificationData::EngineSipTrace(SipTraceData {
                received: false,
                source_ip: local.ip(),
                source_port: local.port(),
                destination_ip: destination.ip(),
                destination_port: destination.port(),
                data: bytes.clone(),
            }));
        }
        if kind == TransportKind::Udp {
            if let Err(e) = self.transport.send(kind, destination, None, bytes).await {
                self.log(2, "transport", format!("send to {destination} failed: {e}"));
                self.layer
                    .handle_transport_error(Target::new(destination, kind), &e.to_string());
            }
        } else {
            // A connection may have to be opened: do not block the driver on it.
            let transport = self.transport.clone();
            let failures = self.send_failures.0.clone();
            tokio::spawn(async move {
                if let Err(e) = transport.send(kind, destination, None, bytes).await {
                    // Full only under a flood of failures; those transactions time out.
                    let _ = failures.try_send((Target::new(destination, kind), e.to_string()));
                }
            });
        }
    }

    fn on_transport(&mut self, event: TransportEvent) {
        match event {
            TransportEvent::Received {
                message,
                source,
                local,
                transport,
            } => {
                if self.config.trace_sip {
                    self.post(NotificationData::EngineSipTrace(SipTraceData {
                        received: true,
                        source_ip: source.ip(),
                        source_port: source.port(),
                        destination_ip: local.ip(),
                        destination_port: local.port(),
                        data: message.to_bytes(),
                    }));
                }
                self.layer
                    .handle_message(Instant::now(), *message, source, transport);
            }
            TransportEvent::Malformed {
                source,
                transport,
                error,
                raw,
            } => {
                if self.config.trace_sip
                    && let Some(local) = self.transport.local_addr(transport)
                {
                    self.post(NotificationData::EngineSipTrace(SipTraceData {
                        received: true,
                        source_ip: source.ip(),
                        source_port: source.port(),
                        destination_ip: local.ip(),
                        destination_port: local.port(),
                        data: raw.clone(),
                    }));
                }
                self.log(
                    3,
                    "parser",
                    format!("malformed message from {source}: {error}"),
                );
                let tag = self.tag();
                if let Some(mut response) = uas::reject_malformed(&raw, &error, || tag) {
                    self.stamp(response.headers_mut());
                    self.layer
                        .send_stateless(Target::new(source, transport), response);
                }
            }
            _ => {}
        }
    }

    fn stamp(&self, headers: &mut crate::header::Headers) {
        if !headers.contains(&HeaderName::UserAgent) {
            headers.push(HeaderName::UserAgent, self.config.user_agent.clone());
        }
    }

    fn on_transaction(&mut self, event: TransactionEvent) {
        match event {
            TransactionEvent::Request {
                key,
                request,
                source,
            } => self.on_request(key, request, source),
            TransactionEvent::Cancel {
                key,
                invite,
                request,
                ..
            } => {
                if let Some(invite_key) = &invite
                    && let Some(route) = self.invite_routes.get(invite_key)
                    && let Some(owner) = self.routes.get(route)
                {
                    let event = DialogEvent::Cancel {
                        invite: invite_key.clone(),
                        request: Box::new(request.clone()),
                    };
                    if owner.0.push(event, ROUTE_CAPACITY).is_err() {
                        self.log(2, "engine", "a CANCEL could not be routed".to_owned());
                    }
                }
                let response = if invite.is_some() {
                    let tag = self.tag();
                    Some(request.response(StatusCode::OK).to_tag(&tag).build())
                } else {
                    let tag = self.tag();
                    uas::no_such_transaction(&request, || tag)
                };
                if let Some(response) = response {
                    self.answer(&key, response);
                }
            }
            TransactionEvent::Response { key, response } => {
                self.notify_client(&key, ClientEvent::Response(response));
            }
            TransactionEvent::Timeout { key } => self.notify_client(&key, ClientEvent::Timeout),
            TransactionEvent::TransportError { key, reason } => {
                self.notify_client(&key, ClientEvent::TransportError(reason));
            }
            TransactionEvent::Terminated { key } => {
                if let Some(tx) = self.clients.remove(&key) {
                    let _ = tx.try_send(ClientEvent::Terminated);
                }
                self.pending.remove(&key);
                self.invite_routes.remove(&key);
            }
            TransactionEvent::StrayAck { request, source } => self.route_ack(request, source),
            TransactionEvent::Overloaded {
                request, reply_to, ..
            } => {
                let tag = self.tag();
                let mut response = request
                    .response(StatusCode::SERVICE_UNAVAILABLE)
                    .to_tag(&tag)
                    .header(HeaderName::RetryAfter, "5")
                    .build();
                self.stamp(response.headers_mut());
                self.layer.send_stateless(reply_to, response);
            }
            TransactionEvent::Malformed {
                message,
                source,
                error,
            } if message.is_request() => {
                self.log(
                    3,
                    "parser",
                    format!("malformed message from {}: {error}", source.addr),
                );
                let tag = self.tag();
                if let Some(mut response) =
                    uas::reject_malformed(&message.to_bytes(), &error, || tag)
                {
                    self.stamp(response.headers_mut());
                    self.layer.send_stateless(source, response);
                }
            }
            _ => {}
        }
    }

    fn notify_client(&mut self, key: &TransactionKey, event: ClientEvent) {
        if let Some(tx) = self.clients.get(key)
            && tx.try_send(event).is_err()
        {
            tracing::debug!(?key, "client transaction event dropped");
        }
    }

    /// Sends `response` in server transaction `key`, with User-Agent.
    fn answer(&mut self, key: &TransactionKey, mut response: Response) {
        self.stamp(response.headers_mut());
        if let Err(e) = self.layer.send_response(Instant::now(), key, response) {
            self.log(2, "transaction", format!("cannot answer {key:?}: {e}"));
        }
    }

    fn on_request(&mut self, key: TransactionKey, request: Request, source: Target) {
        let now = Instant::now();
        let tag = self.tag();
        let mut checked = self.merged.check(now, &request, || tag.clone());
        if checked.is_ok() {
            checked = self.policy.check(&request, || tag.clone());
        }
        if let Err(response) = checked {
            self.answer(&key, response);
            return;
        }
        let method = request.method().clone();
        let claimed = self.config.incoming_requests.contains(method.as_str());
        let request = if claimed {
            request
        } else {
            match self.route_request(&key, request, source) {
                Some(request) => request,
                None => return,
            }
        };
        if claimed || method == Method::Subscribe {
            if method == Method::Subscribe && !self.subscription_accepted(&request) {
                let allow =
                    crate::uas::join(self.config.incoming_events.iter().map(String::as_str));
                let response = request
                    .response(StatusCode::BAD_EVENT)
                    .to_tag(&tag)
                    .header(HeaderName::AllowEvents, allow)
                    .build();
                self.answer(&key, response);
                return;
            }
            self.overload.set_pending(self.pending.len());
            if let Err(response) = self.overload.check(&request, || tag.clone()) {
                self.answer(&key, response);
                return;
            }
            let incoming = IncomingRequest {
                request,
                key: key.clone(),
                source,
            };
            match self.incoming.try_send(incoming) {
                Ok(()) => {
                    self.pending.insert(key);
                }
                Err(e) => {
                    let request = match e {
                        mpsc::error::TrySendError::Full(i)
                        | mpsc::error::TrySendError::Closed(i) => i.request,
                    };
                    let response = request
                        .response(StatusCode::SERVICE_UNAVAILABLE)
                        .to_tag(&tag)
                        .header(HeaderName::RetryAfter, "5")
                        .build();
                    self.answer(&key, response);
                }
            }
            return;
        }
        let response = match method {
            Method::Options => {
                let allow = crate::uas::join(self.policy.methods().iter().map(Method::as_str));
                let accept = crate::uas::join(self.config.accept.iter().map(String::as_str));
                let supported = crate::uas::join(self.config.supported.iter().map(String::as_str));
                let mut builder = request
                    .response(StatusCode::OK)
                    .to_tag(&tag)
                    .header(HeaderName::Allow, allow)
                    .header(HeaderName::Accept, accept)
                    .header(HeaderName::Supported, supported);
                if !self.config.incoming_events.is_empty() {
                    let events =
                        crate::uas::join(self.config.incoming_events.iter().map(String::as_str));
                    builder = builder.header(HeaderName::AllowEvents, events);
                }
                Some(builder.build())
            }
            Method::Message => {
                self.got_message(&request);
                Some(request.response(StatusCode::OK).to_tag(&tag).build())
            }
            // Nobody takes new dialogs (see Engine::take_new_dialogs).
            Method::Invite | Method::Refer => Some(
                request
                    .response(StatusCode::TEMPORARILY_UNAVAILABLE)
                    .to_tag(&tag)
                    .build(),
            ),
            // In-dialog requests (BYE, NOTIFY, …) with no dialog to match.
            _ => uas::no_such_transaction(&request, || tag),
        };
        if let Some(response) = response {
            self.answer(&key, response);
        }
    }

    /// Delivers a request that belongs to a dialog route, or that creates a dialog while the
    /// new-dialog stream is taken; returns it when it is for the Engine's other handlers.
    fn route_request(
        &mut self,
        key: &TransactionKey,
        request: Request,
        source: Target,
    ) -> Option<Request> {
        let method = request.method().clone();
        if matches!(method, Method::Options | Method::Message) {
            return Some(request);
        }
        let headers = request.headers();
        let (Ok(to), Ok(call_id)) = (
            headers.typed::<ToHeader>(),
            headers.typed::<crate::header::CallId>(),
        ) else {
            return Some(request);
        };
        let call_id = call_id.as_str().to_owned();
        if let Some(to_tag) = to.tag() {
            let route = (call_id, to_tag.to_owned());
            let Some(owner) = self.routes.get(&route) else {
                return Some(request);
            };
            let incoming = IncomingRequest {
                request,
                key: key.clone(),
                source,
            };
            match owner
                .0
                .push(DialogEvent::Request(Box::new(incoming)), ROUTE_CAPACITY)
            {
                Ok(()) => {
                    if method == Method::Invite {
                        self.invite_routes.insert(key.clone(), route);
                    }
                    self.pending.insert(key.clone());
                    None
                }
                Err(e) => {
                    let (event, status, gone) = match e {
                        PushError::Full(event) => (event, StatusCode::SERVICE_UNAVAILABLE, false),
                        PushError::Closed(event) => {
                            (event, StatusCode::CALL_OR_TRANSACTION_DOES_NOT_EXIST, true)
                        }
                    };
                    let DialogEvent::Request(incoming) = event else {
                        return None;
                    };
                    let request = incoming.request;
                    if gone {
                        self.routes.remove(&route);
                    }
                    let tag = self.tag();
                    let mut builder = request.response(status).to_tag(&tag);
                    if !gone {
                        builder = builder.header(HeaderName::RetryAfter, "1");
                    }
                    self.answer(key, builder.build());
                    None
                }
            }
        } else {
            let creates = match method {
                Method::Invite | Method::Refer => true,
                Method::Subscribe => self.subscription_accepted(&request),
                _ => false,
            };
            if !creates || !self.new_dialogs_taken.load(Ordering::Acquire) {
                return Some(request);
            }
            let Some(commands) = self.command_sender.upgrade() else {
                return Some(request);
            };
            let local_tag = self.tag();
            let route_key = (call_id.clone(), local_tag.clone());
            let mailbox = Arc::new(Mailbox::new());
            let new_dialog = NewDialog {
                incoming: IncomingRequest {
                    request,
                    key: key.clone(),
                    source,
                },
                route: DialogRoute {
                    call_id,
                    local_tag,
                    events: DialogEvents(mailbox.clone()),
                    commands,
                },
            };
            match self.new_dialogs.try_send(new_dialog) {
                Ok(()) => {
                    self.routes.insert(route_key.clone(), RouteSender(mailbox));
                    if method == Method::Invite {
                        self.invite_routes.insert(key.clone(), route_key);
                    }
                    self.pending.insert(key.clone());
                }
                Err(e) => {
                    let (mpsc::error::TrySendError::Full(n) | mpsc::error::TrySendError::Closed(n)) =
                        e;
                    let NewDialog { incoming, route } = n;
                    let status = if self.new_dialogs.is_closed() {
                        StatusCode::TEMPORARILY_UNAVAILABLE
                    } else {
                        StatusCode::SERVICE_UNAVAILABLE
                    };
                    let response = incoming
                        .request
                        .response(status)
                        .to_tag(&route.local_tag)
                        .header(HeaderName::RetryAfter, "5")
                        .build();
                    self.answer(key, response);
                }
            }
            None
        }
    }

    /// An ACK for a 2xx goes to its dialog's route; others are dropped.
    fn route_ack(&mut self, request: Request, source: Target) {
        let headers = request.headers();
        let route = match (
            headers.typed::<ToHeader>(),
            headers.typed::<crate::header::CallId>(),
        ) {
            (Ok(to), Ok(call_id)) => to
                .tag()
                .map(|t| (call_id.as_str().to_owned(), t.to_owned())),
            _ => None,
        };
        match route.and_then(|r| self.routes.get(&r)) {
            Some(owner) => {
                let ack = DialogEvent::Ack {
                    request: Box::new(request),
                    source,
                };
                if owner.0.push(ack, ROUTE_CAPACITY).is_err() {
                    self.log(4, "engine", "an ACK could not be routed".to_owned());
                }
            }
            None => self.log(4, "engine", "an ACK matched no dialog".to_owned()),
        }
    }

    fn subscription_accepted(&self, request: &Request) -> bool {
        match request.headers().typed_first::<Event>() {
            Ok(Some(event)) => self
                .config
                .incoming_events
                .iter()
                .any(|p| p.eq_ignore_ascii_case(&event.event_type)),
            _ => false,
        }
    }

    fn got_message(&self, request: &Request) {
        let headers = request.headers();
        let (Ok(from_header), Ok(to_header)) =
            (headers.typed::<FromHeader>(), headers.typed::<ToHeader>())
        else {
            return;
        };
        let body = request.body();
        self.post(NotificationData::EngineGotMessage(Box::new(
            GotMessageData {
                request_uri: request.uri().clone(),
                from_header,
                to_header,
                content_type: headers.typed_first::<ContentType>().ok().flatten(),
                headers: headers.clone(),
                body: (!body.is_empty()).then(|| body.clone()),
            },
        )));
    }

    async fn on_command(&mut self, command: Command) {
        match command {
            Command::LocalPort(kind, reply) => {
                let _ = reply.send(self.transport.local_addr(kind).map(|a| a.port()));
            }
            Command::SetPort(kind, port, reply) => {
                let mut config = self.config.clone();
                match kind {
                    TransportKind::Udp => config.udp_port = port,
                    TransportKind::Tcp => config.tcp_port = port,
                    TransportKind::Tls => config.tls_port = port,
                }
                let _ = reply.send(self.restart(config).await);
            }
            Command::SetTlsOptions(port, options, reply) => {
                let mut config = self.config.clone();
                config.tls_port = port;
                config.tls_options = options;
                let _ = reply.send(self.restart(config).await);
            }
            Command::AddIncomingRequest(method, reply) => {
                let mut config = self.config.clone();
                config.incoming_requests.insert(method);
                let _ = reply.send(self.reconfigure(config));
            }
            Command::RemoveIncomingRequest(method, reply) => {
                let mut config = self.config.clone();
                config.incoming_requests.remove(&method);
                let _ = reply.send(self.reconfigure(config));
            }
            Command::AddIncomingEvent(package, reply) => {
                let mut config = self.config.clone();
                config.incoming_events.insert(package);
                let _ = reply.send(self.reconfigure(config));
            }
            Command::RemoveIncomingEvent(package, reply) => {
                let mut config = self.config.clone();
                config.incoming_events.remove(&package);
                let _ = reply.send(self.reconfigure(config));
            }
            Command::AddEvent(package, types, reply) => {
                let mut config = self.config.clone();
                config.events.entry(package).or_insert(types);
                let _ = reply.send(self.reconfigure(config));
            }
            Command::SetTraceSip(enabled) => self.config.trace_sip = enabled,
            Command::SetLogLevel(level) => self.config.log_level = level,
            #[cfg(test)]
            Command::PanicForTest => panic!("panic requested by a test"),
            Command::SetUserAgent(user_agent) => self.config.user_agent = user_agent,
            Command::SendRequest(request, target, reply) => {
                let mut request = *request;
                self.stamp(request.headers_mut());
                let result = self
                    .layer
                    .send_request(Instant::now(), request, target)
                    .map_err(EngineError::from)
                    .map(|key| {
                        let (tx, events) = mpsc::channel(16);
                        self.clients.insert(key.clone(), tx);
                        ClientTransaction { key, events }
                    });
                let _ = reply.send(result);
            }
            Command::SendStateless(message, target, reply) => {
                let mut message = *message;
                if message.is_request() {
                    self.stamp(message.headers_mut());
                }
                self.layer.send_stateless(target, message);
                let _ = reply.send(Ok(()));
            }
            Command::AddDialogRoute(key, owner, reply) => {
                self.routes.insert(key, owner);
                let _ = reply.send(Ok(()));
            }
            Command::RemoveDialogRoute(call_id, local_tag) => {
                let key = (call_id, local_tag);
                if self.routes.get(&key).is_some_and(|r| r.0.is_closed()) {
                    self.routes.remove(&key);
                    self.invite_routes.retain(|_, r| *r != key);
                }
            }
            Command::Respond(key, response, reply) => {
                let mut response = *response;
                self.stamp(response.headers_mut());
                let is_final = response.status().is_final();
                let result = self
                    .layer
                    .send_response(Instant::now(), &key, response)
                    .map_err(EngineError::from);
                if result.is_ok() && is_final {
                    self.pending.remove(&key);
                }
                let _ = reply.send(result);
            }
            Command::Stop(done) => {
                // Handled in `run`.
                let _ = done.send(());
            }
        }
    }

    /// Applies a configuration change that does not touch the transports.
    fn reconfigure(&mut self, config: EngineConfig) -> Result<(), EngineError> {
        config.validate()?;
        self.policy = build_policy(&config)?;
        self.config = config;
        Ok(())
    }

    /// Restarts the transport layer with `config`'s ports and TLS options; on failure the
    /// previous transports are restored.
    async fn restart(&mut self, config: EngineConfig) -> Result<(), EngineError> {
        config.validate()?;
        self.transport.shutdown().await;
        match transport::start(transport_config(&config)).await {
            Ok((handle, events)) => {
                self.transport = handle;
                self.events = events;
                self.config = config;
                Ok(())
            }
            Err(e) => {
                match transport::start(transport_config(&self.config)).await {
                    Ok((handle, events)) => {
                        self.transport = handle;
                        self.events = events;
                    }
                    Err(e2) => {
                        self.log(
                            1,
                            "transport",
                            format!("cannot restore the transports: {e2}"),
                        );
                    }
                }
                Err(e.into())
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
        None => std::future::pending().await,
    }
}
