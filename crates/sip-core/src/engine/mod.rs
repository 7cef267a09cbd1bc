//! The SIP Engine: one tokio task that owns the transaction layer and the transports, answers
//! what a user agent answers on its own, and posts the `SIPEngine*` notifications.
//!
//! [`Engine`] is a cheap [`Clone`] handle; every method sends a command over a bounded channel
//! to the driver task (DESIGN §3), which `select!`s over transport events, commands and the
//! transaction timers.
//!
//! Built in, unless the application claims the method with
//! [`EngineConfig::incoming_requests`]: OPTIONS is answered 200 with Allow, Accept and
//! Supported; MESSAGE is answered 200 and posts `SIPEngineGotMessage`. Methods outside the
//! policy get 405 with Allow, SUBSCRIBE for a package not in
//! [`EngineConfig::incoming_events`] gets 489, unparsable requests 400/505, merged requests
//! 482, CANCEL without a transaction 481, and overload 503. Every response and request the
//! Engine builds or forwards carries User-Agent.
//!
//! Dialogs: requests that create one (INVITE, REFER, and SUBSCRIBE for an accepted package,
//! without a To tag) go to [`Engine::take_new_dialogs`] with a fresh local tag and their
//! route registered; until that stream is taken, INVITE and REFER get 480. Requests within a
//! dialog (To tag) go to the [`DialogRoute`] registered for their Call-ID and To tag, with the
//! ACKs for 2xx and the CANCELs of routed INVITEs; without one they get 481.
//!
//! ```no_run
//! use sip_core::engine::{Engine, EngineConfig};
//! use sip_core::notification::NotificationCenter;
//!
//! # async fn run() -> Result<(), sip_core::engine::EngineError> {
//! let center = NotificationCenter::new();
//! let mut observer = center.add_observer(Some("SIPEngineDidStart"), None);
//! let config = EngineConfig::new()
//!     .with_ip_address("127.0.0.1".parse().unwrap())
//!     .with_udp_port(Some(0))
//!     .with_tcp_port(None);
//! let engine = Engine::start(config, center.clone()).await?;
//! let started = observer.recv().await.unwrap();
//! assert_eq!(started.name(), "SIPEngineDidStart");
//! println!("UDP port {:?}", engine.local_port(sip_core::transaction::TransportKind::Udp).await?);
//! engine.stop().await?;
//! # Ok(())
//! # }
//! ```

mod config;
mod driver;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

use crate::mailbox::Mailbox;
use crate::message::{Request, Response, SipMessage};
use crate::notification::{NotificationCenter, NotificationData};
use crate::transaction::{Target, TransactionError, TransactionKey, TransportKind};
use crate::transport::{TlsOptions, TransportError};

pub use config::EngineConfig;

/// What can go wrong with the Engine.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The Engine is stopped (or never started): the seed's invalid-state error.
    #[error("the SIP engine is not running")]
    NotRunning,
    /// A transport could not be started or used.
    #[error("transport error: {0}")]
    Transport(#[from] TransportError),
    /// The transaction layer refused the command.
    #[error("transaction error: {0}")]
    Transaction(#[from] TransactionError),
    /// An option has an invalid value.
    #[error("invalid option {option}: {reason}")]
    InvalidConfig {
        /// The option.
        option: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// The incoming-request stream was already taken.
    #[error("the incoming request stream was already taken")]
    IncomingTaken,
}

/// A request for a claimed method (or a SUBSCRIBE for an accepted package); answer it with
/// [`Engine::respond`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IncomingRequest {
    /// The request, its top Via completed with `received`/`rport`.
    pub request: Request,
    /// Its server transaction.
    pub key: TransactionKey,
    /// Where it came from.
    pub source: Target,
}

/// What happens to a client transaction started with [`Engine::send_request`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// A provisional or final response.
    Response(Response),
    /// Timer B or F fired: no final response.
    Timeout,
    /// The request could not be delivered (connection refused, TLS handshake failed, …):
    /// to be treated as a 503 (RFC 3261 §17.1.4). `Terminated` follows.
    TransportError(String),
    /// The transaction ended; no more events follow.
    Terminated,
}

/// A client transaction started with [`Engine::send_request`].
#[derive(Debug)]
#[non_exhaustive]
pub struct ClientTransaction {
    /// The transaction key.
    pub key: TransactionKey,
    /// Its events, ending with [`ClientEvent::Terminated`] (or the channel closing when the
    /// Engine stops).
    pub events: mpsc::Receiver<ClientEvent>,
}

/// What the Engine routes to the owner of a dialog (see [`Engine::add_dialog_route`]).
/// Messages are boxed: a route's queue holds its slots for as long as the dialog lasts, so
/// they are kept small.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum DialogEvent {
    /// A request whose Call-ID and To tag match the route (BYE, re-INVITE, UPDATE, PRACK,
    /// INFO, NOTIFY, a refreshing SUBSCRIBE, REFER, MESSAGE…). Its server transaction is
    /// open: answer it with [`Engine::respond`].
    Request(Box<IncomingRequest>),
    /// An ACK that matched no transaction (the ACK for a 2xx, RFC 3261 §13.3.1.4).
    Ack {
        /// The ACK.
        request: Box<Request>,
        /// Where it came from.
        source: Target,
    },
    /// A CANCEL matched an INVITE server transaction that arrived on this route. The Engine
    /// has answered the CANCEL with 200; the owner answers the INVITE `invite` with 487.
    Cancel {
        /// The INVITE's server transaction.
        invite: TransactionKey,
        /// The CANCEL.
        request: Box<Request>,
    },
}

/// A dialog route: requests with this Call-ID and To tag go to [`events`](Self::events).
/// Dropping it removes the route (later requests get 481).
#[derive(Debug)]
pub struct DialogRoute {
    /// The Call-ID.
    pub call_id: String,
    /// Our tag.
    pub local_tag: String,
    /// The routed requests.
    pub events: DialogEvents,
    commands: mpsc::Sender<Command>,
}

impl Drop for DialogRoute {
    fn drop(&mut self) {
        // Closed first, so that the Engine, seeing it closed, removes its entry. If the command
        // queue is full, the entry goes when a request finds the stream closed.
        self.events.0.close();
        let _ = self.commands.try_send(Command::RemoveDialogRoute(
            std::mem::take(&mut self.call_id),
            std::mem::take(&mut self.local_tag),
        ));
    }
}

/// The stream of a [`DialogRoute`]: [`recv`](Self::recv) the next [`DialogEvent`].
///
/// Its queue lives as long as the dialog, so it is a small mailbox queue that holds no
/// buffer while empty; an idle route costs about a hundred bytes.
#[derive(Debug)]
pub struct DialogEvents(Arc<Mailbox<DialogEvent>>);

impl DialogEvents {
    /// The next routed event; `None` once the Engine stopped or dropped the route.
    pub async fn recv(&mut self) -> Option<DialogEvent> {
        self.0.recv().await
    }

    /// The next routed event if one is queued.
    pub fn try_recv(&mut self) -> Option<DialogEvent> {
        self.0.try_recv()
    }
}

impl Drop for DialogEvents {
    fn drop(&mut self) {
        // The Engine sees the route's owner gone.
        self.0.close();
    }
}

/// The Engine's end of a route: closes the route's stream when the Engine drops it.
#[derive(Debug)]
struct RouteSender(Arc<Mailbox<DialogEvent>>);

impl Drop for RouteSender {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// A route's queue takes at most this many events the owner has not read yet.
const ROUTE_CAPACITY: usize = 32;

/// A request that creates a dialog (an INVITE, a SUBSCRIBE for an accepted package or a REFER,
/// each without a To tag), delivered with its route already registered under a fresh local
/// tag: every response to it carries [`route.local_tag`](DialogRoute::local_tag) as To tag.
#[derive(Debug)]
#[non_exhaustive]
pub struct NewDialog {
    /// The request and its server transaction.
    pub incoming: IncomingRequest,
    /// The dialog's route.
    pub route: DialogRoute,
}

/// The key of a dialog route: Call-ID and local tag.
type RouteKey = (String, String);

/// A command to the driver task.
#[derive(Debug)]
enum Command {
    LocalPort(TransportKind, oneshot::Sender<Option<u16>>),
    SetPort(TransportKind, Option<u16>, Reply<()>),
    SetTlsOptions(Option<u16>, TlsOptions, Reply<()>),
    AddIncomingRequest(String, Reply<()>),
    RemoveIncomingRequest(String, Reply<()>),
    AddIncomingEvent(String, Reply<()>),
    RemoveIncomingEvent(String, Reply<()>),
    AddEvent(String, Vec<String>, Reply<()>),
    SetTraceSip(bool),
    SetLogLevel(u8),
    /// Makes the driver panic (tests of the SIPEngineGotException path).
    #[cfg(test)]
    PanicForTest,
    SetUserAgent(String),
    SendRequest(Box<Request>, Target, Reply<ClientTransaction>),
    SendStateless(Box<SipMessage>, Target, Reply<()>),
    AddDialogRoute(RouteKey, RouteSender, Reply<()>),
    RemoveDialogRoute(String, String),
    Respond(TransactionKey, Box<Response>, Reply<()>),
    Stop(oneshot::Sender<()>),
}

type Reply<T> = oneshot::Sender<Result<T, EngineError>>;

#[derive(Debug)]
struct Inner {
    commands: mpsc::Sender<Command>,
    running: Arc<AtomicBool>,
    incoming: Mutex<Option<mpsc::Receiver<IncomingRequest>>>,
    new_dialogs: Mutex<Option<mpsc::Receiver<NewDialog>>>,
    /// Whether the new-dialog stream was taken (read by the driver).
    new_dialogs_taken: Arc<AtomicBool>,
    /// The event packages and their content types (the seed's `events`), readable without
    /// a round trip to the driver.
    events: Mutex<std::collections::BTreeMap<String, Vec<String>>>,
    center: NotificationCenter,
    sender: crate::notification::Sender,
}

/// A handle to a running SIP Engine. Cloning is cheap; all clones drive the same task.
#[derive(Debug, Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl Engine {
    /// Validates `config`, binds the transports and spawns the driver task. Posts
    /// `SIPEngineWillStart`, then `SIPEngineDidStart` or (with the reason) `SIPEngineDidFail`.
    ///
    /// Must be called within a tokio runtime.
    pub async fn start(
        config: EngineConfig,
        center: NotificationCenter,
    ) -> Result<Engine, EngineError> {
        let sender = center.new_sender("Engine");
        center.post_notification(Some(&sender), NotificationData::EngineWillStart);
        let events = config.events.clone();
        let started = async {
            config.validate()?;
            driver::spawn(config.clone(), center.clone(), sender.clone()).await
        }
        .await;
        let (commands, incoming, new_dialogs, new_dialogs_taken, running) = match started {
            Ok(parts) => parts,
            Err(e) => {
                center.post_notification(
                    Some(&sender),
                    NotificationData::EngineDidFail(crate::notification::EngineDidFailData {
                        reason: e.to_string(),
                    }),
                );
                return Err(e);
            }
        };
        center.post_notification(Some(&sender), NotificationData::EngineDidStart);
        Ok(Engine {
            inner: Arc::new(Inner {
                commands,
                running,
                incoming: Mutex::new(Some(incoming)),
                new_dialogs: Mutex::new(Some(new_dialogs)),
                new_dialogs_taken,
                events: Mutex::new(events),
                center,
                sender,
            }),
        })
    }

    /// Whether the Engine is running (started and not stopped).
    pub fn is_running(&self) -> bool {
        self.inner.running.load(Ordering::Acquire)
    }

    /// The notification sender the Engine posts as (filter observers on its id).
    pub fn notification_sender(&self) -> &crate::notification::Sender {
        &self.inner.sender
    }

    async fn send(&self, command: Command) -> Result<(), EngineError> {
        if !self.is_running() {
            return Err(EngineError::NotRunning);
        }
        self.inner
            .commands
            .send(command)
            .await
            .map_err(|_| EngineError::NotRunning)
    }

    async fn call<T>(&self, make: impl FnOnce(Reply<T>) -> Command) -> Result<T, EngineError> {
        let (tx, rx) = oneshot::channel();
        self.send(make(tx)).await?;
        rx.await.map_err(|_| EngineError::NotRunning)?
    }

    /// The local port of a transport, `None` when it is disabled.
    pub async fn local_port(&self, kind: TransportKind) -> Result<Option<u16>, EngineError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::LocalPort(kind, tx)).await?;
        rx.await.map_err(|_| EngineError::NotRunning)
    }

    /// Rebinds UDP to `port` (`Some(0)`: random; `None`: disables UDP). Implemented as a
    /// restart of the transport layer, which also closes open TCP/TLS connections.
    pub async fn set_udp_port(&self, port: Option<u16>) -> Result<(), EngineError> {
        self.call(|r| Command::SetPort(TransportKind::Udp, port, r))
            .await
    }

    /// Rebinds the TCP listener, like [`set_udp_port`](Self::set_udp_port).
    pub async fn set_tcp_port(&self, port: Option<u16>) -> Result<(), EngineError> {
        self.call(|r| Command::SetPort(TransportKind::Tcp, port, r))
            .await
    }

    /// Restarts TLS with `options` on `port` (`None` disables TLS), like
    /// [`set_udp_port`](Self::set_udp_port).
    pub async fn set_tls_options(
        &self,
        port: Option<u16>,
        options: TlsOptions,
    ) -> Result<(), EngineError> {
        self.call(|r| Command::SetTlsOptions(port, options, r))
            .await
    }

    /// Claims `method`: its requests go to [`incoming_requests`](Self::incoming_requests).
    pub async fn add_incoming_request(&self, method: &str) -> Result<(), EngineError> {
        config::check_claimable(method)?;
        let m = method.to_owned();
        self.call(|r| Command::AddIncomingRequest(m, r)).await
    }

    /// Stops claiming `method`.
    pub async fn remove_incoming_request(&self, method: &str) -> Result<(), EngineError> {
        let m = method.to_owned();
        self.call(|r| Command::RemoveIncomingRequest(m, r)).await
    }

    /// Accepts SUBSCRIBEs for `package` (which must have been added with
    /// [`add_event`](Self::add_event) or be in the start options).
    pub async fn add_incoming_event(&self, package: &str) -> Result<(), EngineError> {
        let p = package.to_owned();
        self.call(|r| Command::AddIncomingEvent(p, r)).await
    }

    /// Stops accepting SUBSCRIBEs for `package`; later ones get 489.
    pub async fn remove_incoming_event(&self, package: &str) -> Result<(), EngineError> {
        let p = package.to_owned();
        self.call(|r| Command::RemoveIncomingEvent(p, r)).await
    }

    /// Binds the event package `package` to its accepted content types. An existing binding
    /// is not modified (the seed's rule).
    pub async fn add_event(
        &self,
        package: &str,
        content_types: &[&str],
    ) -> Result<(), EngineError> {
        let p = package.to_owned();
        let c: Vec<String> = content_types.iter().map(|s| (*s).to_owned()).collect();
        let types = c.clone();
        self.call(|r| Command::AddEvent(p, c, r)).await?;
        self.inner
            .events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(package.to_owned())
            .or_insert(types);
        Ok(())
    }

    /// The content types registered for the event package `package` (the seed's `events`),
    /// `None` when it is not registered. A [`Subscription`](crate::subscription::Subscription)
    /// sends them as Accept and refuses to subscribe to an unregistered package.
    pub fn event_content_types(&self, package: &str) -> Option<Vec<String>> {
        self.inner
            .events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|(p, _)| p.eq_ignore_ascii_case(package))
            .map(|(_, types)| types.clone())
    }

    /// Turns `SIPEngineSIPTrace` notifications on or off.
    pub async fn set_trace_sip(&self, enabled: bool) -> Result<(), EngineError> {
        self.send(Command::SetTraceSip(enabled)).await
    }

    /// Changes the highest level (1 = most critical … 5) posted as `SIPEngineLog`; 0 posts
    /// none. Everything is also logged through `tracing`, whatever this level.
    pub async fn set_log_level(&self, level: u8) -> Result<(), EngineError> {
        self.send(Command::SetLogLevel(level)).await
    }

    /// Changes the User-Agent header value.
    pub async fn set_user_agent(&self, user_agent: &str) -> Result<(), EngineError> {
        self.send(Command::SetUserAgent(user_agent.to_owned()))
            .await
    }

    /// Takes the stream of incoming requests for claimed methods (once; later calls fail with
    /// [`EngineError::IncomingTaken`]). While nobody holds it, claimed requests get 503.
    pub fn incoming_requests(&self) -> Result<mpsc::Receiver<IncomingRequest>, EngineError> {
        if !self.is_running() {
            return Err(EngineError::NotRunning);
        }
        self.inner
            .incoming
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .ok_or(EngineError::IncomingTaken)
    }

    /// Takes the stream of dialog-creating requests (once; later calls fail with
    /// [`EngineError::IncomingTaken`]): INVITEs, SUBSCRIBEs for packages in
    /// [`EngineConfig::incoming_events`] and REFERs, each without a To tag, with their route
    /// registered. Until it is taken an INVITE is answered 480 and a REFER 405, and
    /// SUBSCRIBEs go to [`incoming_requests`](Self::incoming_requests).
    pub fn take_new_dialogs(&self) -> Result<mpsc::Receiver<NewDialog>, EngineError> {
        if !self.is_running() {
            return Err(EngineError::NotRunning);
        }
        let taken = self
            .inner
            .new_dialogs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .ok_or(EngineError::IncomingTaken)?;
        self.inner.new_dialogs_taken.store(true, Ordering::Release);
        Ok(taken)
    }

    /// Routes requests with `call_id` whose To tag is `local_tag`, the ACKs for our 2xx and
    /// the CANCELs of INVITEs that came on the route to the returned stream, until it is
    /// dropped. A UAC registers its route (Call-ID and its From tag) before sending the
    /// request that creates the dialog, so that a NOTIFY overtaking the 2xx, and requests from
    /// every fork, arrive on it. Registering a route that exists replaces it.
    pub async fn add_dialog_route(
        &self,
        call_id: &str,
        local_tag: &str,
    ) -> Result<DialogRoute, EngineError> {
        let mailbox = Arc::new(Mailbox::new());
        let key = (call_id.to_owned(), local_tag.to_owned());
        let sender = RouteSender(mailbox.clone());
        self.call(|r| Command::AddDialogRoute(key, sender, r))
            .await?;
        Ok(DialogRoute {
            call_id: call_id.to_owned(),
            local_tag: local_tag.to_owned(),
            events: DialogEvents(mailbox),
            commands: self.inner.commands.clone(),
        })
    }

    /// Sends `message` to `target` outside any transaction: the ACK for a 2xx
    /// (RFC 3261 §13.2.2.4). User-Agent is added to requests when missing.
    pub async fn send_stateless(
        &self,
        message: impl Into<SipMessage>,
        target: Target,
    ) -> Result<(), EngineError> {
        let message = Box::new(message.into());
        self.call(|r| Command::SendStateless(message, target, r))
            .await
    }

    /// Answers the incoming request of server transaction `key` (User-Agent is added when
    /// missing).
    pub async fn respond(
        &self,
        key: &TransactionKey,
        response: Response,
    ) -> Result<(), EngineError> {
        let k = key.clone();
        self.call(|r| Command::Respond(k, Box::new(response), r))
            .await
    }

    /// Sends `request` to `target` in a new client transaction. The request needs a top Via
    /// (a fresh branch is added when it lacks an RFC 3261 one) and the other core headers;
    /// User-Agent is added when missing.
    pub async fn send_request(
        &self,
        request: Request,
        target: Target,
    ) -> Result<ClientTransaction, EngineError> {
        self.call(|r| Command::SendRequest(Box::new(request), target, r))
            .await
    }

    /// Stops the Engine: posts `SIPEngineWillEnd`, drops every transaction, closes the
    /// listeners and connections, then posts `SIPEngineDidEnd`. Afterwards every method
    /// returns [`EngineError::NotRunning`]; a stopped Engine cannot be restarted.
    pub async fn stop(&self) -> Result<(), EngineError> {
        let inner = &self.inner;
        if !inner.running.swap(false, Ordering::AcqRel) {
            return Err(EngineError::NotRunning);
        }
        inner
            .center
            .post_notification(Some(&inner.sender), NotificationData::EngineWillEnd);
        let (tx, rx) = oneshot::channel();
        let sent = inner.commands.send(Command::Stop(tx)).await;
        if sent.is_ok() {
            // The driver posts nothing further; an Err means it already ended.
            let _ = rx.await;
        }
        inner
            .center
            .post_notification(Some(&inner.sender), NotificationData::EngineDidEnd);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::notification::{Notification, Observer};

    async fn next(observer: &mut Observer) -> Notification {
        tokio::time::timeout(Duration::from_secs(5), observer.recv())
            .await
            .expect("a notification in time")
            .expect("observer open")
    }

    fn loopback_config() -> EngineConfig {
        EngineConfig::new()
            .with_ip_address("127.0.0.1".parse().unwrap())
            .with_udp_port(Some(0))
            .with_tcp_port(None)
    }

    #[tokio::test]
    async fn a_panicking_driver_posts_got_exception_then_did_fail_and_did_end() {
        let center = NotificationCenter::new();
        let engine = Engine::start(loopback_config(), center.clone())
            .await
            .unwrap();
        let mut observer = center.add_observer(None, Some(engine.notification_sender().id()));
        engine.send(Command::PanicForTest).await.unwrap();
        let mut names = Vec::new();
        loop {
            let n = next(&mut observer).await;
            if let NotificationData::EngineGotException(data) = n.data() {
                assert_eq!(data.error_type, "panic");
                assert_eq!(data.value, "panic requested by a test");
            }
            if let NotificationData::EngineDidFail(data) = n.data() {
                assert!(data.reason.contains("panic requested by a test"));
            }
            if n.name() != "SIPEngineLog" {
                names.push(n.name());
            }
            if n.name() == "SIPEngineDidEnd" {
                break;
            }
        }
        assert_eq!(
            names,
            [
                "SIPEngineGotException",
                "SIPEngineDidFail",
                "SIPEngineDidEnd"
            ]
        );
        assert!(!engine.is_running());
        assert!(matches!(
            engine.set_trace_sip(true).await,
            Err(EngineError::NotRunning)
        ));
    }

    #[tokio::test]
    async fn log_lines_are_posted_up_to_the_log_level() {
        let center = NotificationCenter::new();
        let mut logs = center.add_observer(Some("SIPEngineLog"), None);
        let engine = Engine::start(loopback_config().with_log_level(3), center.clone())
            .await
            .unwrap();
        let n = next(&mut logs).await;
        let NotificationData::EngineLog(data) = n.data() else {
            panic!("unexpected {n:?}")
        };
        assert_eq!((data.level, data.sender.as_str()), (3, "engine"));
        assert!(
            data.message
                .starts_with("started, listening on UDP 127.0.0.1:")
        );

        // A malformed datagram is logged at level 3 by the parser module.
        let port = engine
            .local_port(TransportKind::Udp)
            .await
            .unwrap()
            .unwrap();
        let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        socket
            .send_to(
                b"INVITE sip:x SIP/2.0\r\nVia: broken\r\n\r\n",
                ("127.0.0.1", port),
            )
            .await
            .unwrap();
        let n = next(&mut logs).await;
        let NotificationData::EngineLog(data) = n.data() else {
            panic!("unexpected {n:?}")
        };
        assert_eq!((data.level, data.sender.as_str()), (3, "parser"));
        assert!(data.message.contains("malformed message from 127.0.0.1:"));

        // Level 2 keeps level-3 lines back; the stop line (level 4) never shows.
        engine.set_log_level(2).await.unwrap();
        // a round trip through the driver: the new level is in force before the datagram
        engine.local_port(TransportKind::Udp).await.unwrap();
        socket
            .send_to(
                b"INVITE sip:x SIP/2.0\r\nVia: broken\r\n\r\n",
                ("127.0.0.1", port),
            )
            .await
            .unwrap();
        engine.stop().await.unwrap();
        assert!(matches!(
            logs.try_recv(),
            Err(crate::notification::TryRecvError::Empty)
        ));
    }
}
