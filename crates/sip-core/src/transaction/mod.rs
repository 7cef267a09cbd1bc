//! The RFC 3261 §17 transaction layer, sans-IO.
//!
//! A [`TransactionLayer`] owns every client and server transaction of an endpoint, their
//! timers (RFC 3261 Timers A–K, RFC 6026 Timers L and M) and an output queue. It never touches a
//! socket or a clock: the caller feeds it input through `send_request`, `send_response`,
//! `handle_message` and `handle_timeout`, each given the current `now`, and then drains
//! [`TransactionLayer::poll_output`] until it returns `None` and sleeps until
//! [`TransactionLayer::poll_timeout`].
//!
//! ```text
//!  TU (dialogs, UAS answers)         ▲ Output::Event(TransactionEvent)
//!        │ send_request/send_response │
//!  ┌─────▼────────────────────────────┴──────────────────────────────┐
//!  │ TransactionLayer: client INVITE, client non-INVITE,             │
//!  │                   server INVITE, server non-INVITE machines     │
//!  └─────▲────────────────────────────┬──────────────────────────────┘
//!        │ handle_message/timeout     ▼ Output::Transmit { destination, transport, bytes }
//! ```
//!
//! Choices made here:
//!
//! - **Branches.** `send_request` keeps a top-Via branch that already starts with the magic
//!   cookie (a CANCEL reuses its INVITE's branch) and otherwise writes a fresh branch drawn from
//!   the layer's seeded RNG. The request must carry a top Via.
//! - **Client timeouts.** Timer B/F expiry is reported as [`TransactionEvent::Timeout`], not
//!   as a synthetic 408.
//! - **2xx to INVITE (RFC 6026).** A server INVITE transaction that sends a 2xx enters
//!   `Accepted` for Timer L = 64·T1: it absorbs retransmitted INVITEs and forwards further 2xx
//!   retransmissions that the TU hands it. A client INVITE transaction that receives a 2xx enters
//!   `Accepted` for Timer M = 64·T1 and passes every 2xx (retransmissions, forked answers) up as
//!   [`TransactionEvent::Response`]. An ACK for a 2xx is its own transaction-less request: it
//!   comes up as [`TransactionEvent::StrayAck`], and is sent with
//!   [`TransactionLayer::send_stateless`].
//! - **State machines.** Each machine is an enum whose variants are the RFC states and carry
//!   the timers valid in them (Timer A only exists in Calling); every input consumes the old
//!   state and yields the new one. Deadlines are data; [`TransactionLayer::poll_timeout`] is the
//!   earliest over all transactions (a scan, bounded by `max_transactions`).
//! - **RFC 2543 fallback.** When the top-Via branch lacks the magic cookie, a server
//!   transaction is identified by Request-URI, From tag, Call-ID, CSeq number and top-Via
//!   sent-by and branch. The To tag is not part of the key, so that the ACK (which carries the
//!   tag of our response) matches its INVITE.
//! - **Overload.** Beyond [`TransactionConfig::max_transactions`], new requests are reported as
//!   [`TransactionEvent::Overloaded`] (the TU answers 503 statelessly) and `send_request` fails
//!   with [`TransactionError::Overloaded`].
//!
//! The driving loop:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sip_core::message::{Method, Request, SipMessage};
//! use sip_core::header::{CSeq, CallId, FromHeader, ToHeader, Via, NameAddr};
//! use sip_core::uri::{Host, SipUri, Uri};
//! use sip_core::transaction::{
//!     Output, Target, TransactionConfig, TransactionEvent, TransactionLayer, TransportKind,
//! };
//!
//! let uri = Uri::parse("sip:bob@192.0.2.2").unwrap();
//! let mut from = FromHeader::new(NameAddr::new(Uri::parse("sip:alice@192.0.2.1").unwrap()));
//! from.set_tag("a1");
//! let request = Request::builder(Method::Options, uri.clone())
//!     .typed(&Via::new("UDP", Host::parse("192.0.2.1").unwrap(), Some(5060), "1"))
//!     .typed(&from)
//!     .typed(&ToHeader::new(NameAddr::new(uri)))
//!     .typed(&CallId::new("call-1"))
//!     .typed(&CSeq::new(1, Method::Options))
//!     .build();
//!
//! let mut layer = TransactionLayer::new(TransactionConfig::default(), 7);
//! let mut now = Instant::now();
//! let target = Target::new("192.0.2.2:5060".parse().unwrap(), TransportKind::Udp);
//! let key = layer.send_request(now, request, target).unwrap();
//!
//! let mut transmissions = 0;
//! let mut timed_out = false;
//! loop {
//!     while let Some(output) = layer.poll_output() {
//!         match output {
//!             Output::Transmit { .. } => transmissions += 1, // write to the socket here
//!             Output::Event(TransactionEvent::Timeout { key: k }) => {
//!                 assert_eq!(k, key);
//!                 timed_out = true;
//!             }
//!             _ => {}
//!         }
//!     }
//!     // A real driver also waits for datagrams and calls `handle_message`.
//!     let Some(deadline) = layer.poll_timeout() else { break };
//!     now = deadline;
//!     layer.handle_timeout(now);
//! }
//! // Nobody answered: the initial send and 10 Timer E retransmissions, then Timer F.
//! assert_eq!(transmissions, 11);
//! assert!(timed_out);
//! ```

mod layer;
mod machine;
mod routing;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;

use crate::ParseError;
use crate::message::{Method, Request, Response, SipMessage};

pub use layer::TransactionLayer;

/// The transport a message travels on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportKind {
    /// UDP (unreliable: the transaction layer retransmits).
    Udp,
    /// TCP (reliable).
    Tcp,
    /// TLS over TCP (reliable).
    Tls,
}

impl TransportKind {
    /// True for TCP and TLS, where the transaction layer does not retransmit.
    pub fn is_reliable(self) -> bool {
        !matches!(self, TransportKind::Udp)
    }

    /// The default port for this transport (5060, or 5061 for TLS).
    pub fn default_port(self) -> u16 {
        match self {
            TransportKind::Tls => 5061,
            _ => 5060,
        }
    }

    /// The Via transport token (`UDP`, `TCP`, `TLS`).
    pub fn as_str(self) -> &'static str {
        match self {
            TransportKind::Udp => "UDP",
            TransportKind::Tcp => "TCP",
            TransportKind::Tls => "TLS",
        }
    }
}

/// Where a message goes: a remote address and a transport. For TCP and TLS the address names
/// the connection (its remote end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Target {
    /// The remote address.
    pub addr: SocketAddr,
    /// The transport.
    pub transport: TransportKind,
}

impl Target {
    /// A target at `addr` over `transport`.
    pub fn new(addr: SocketAddr, transport: TransportKind) -> Self {
        Target { addr, transport }
    }

    /// Where a SIP URI points without DNS (the core never resolves names, seed CORE-ASYNC-06):
    /// its IP, its port (5060, or 5061 for TLS) and its transport (`transport=` parameter, or
    /// TLS for `sips:`). Fails when the URI is not `sip:`/`sips:` or its host is not an IP
    /// address; the error says which.
    pub fn from_uri(uri: &crate::uri::Uri) -> Result<Target, String> {
        let sip = uri
            .as_sip()
            .ok_or_else(|| format!("{uri} is not a SIP URI"))?;
        let ip = sip
            .host()
            .ip()
            .ok_or_else(|| format!("the host of {uri} is not an IP address"))?;
        let transport = match sip.transport().as_deref() {
            Some("tcp") if sip.secure() => TransportKind::Tls,
            Some("tcp") => TransportKind::Tcp,
            Some("tls") => TransportKind::Tls,
            _ if sip.secure() => TransportKind::Tls,
            _ => TransportKind::Udp,
        };
        Ok(Target::new(
            SocketAddr::new(ip, sip.port().unwrap_or(transport.default_port())),
            transport,
        ))
    }
}

/// Timer values and limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransactionConfig {
    /// T1, the RTT estimate (default 500 ms).
    pub t1: Duration,
    /// T2, the maximum retransmit interval for non-INVITE requests and INVITE responses
    /// (default 4 s).
    pub t2: Duration,
    /// T4, the maximum time a message stays in the network (default 5 s).
    pub t4: Duration,
    /// Timer D on unreliable transports (default 32 s, at least 64·T1 would also do).
    pub timer_d: Duration,
    /// How long a server INVITE transaction waits for the TU before sending 100 Trying itself
    /// (default 200 ms, RFC 3261 §17.2.1).
    pub trying_delay: Duration,
    /// The most transactions alive at once (default 10 000).
    pub max_transactions: usize,
}

impl Default for TransactionConfig {
    fn default() -> Self {
        TransactionConfig {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            timer_d: Duration::from_secs(32),
            trying_delay: Duration::from_millis(200),
            max_transactions: 10_000,
        }
    }
}

impl TransactionConfig {
    /// Sets T1.
    pub fn with_t1(mut self, t1: Duration) -> Self {
        self.t1 = t1;
        self
    }

    /// Sets T2.
    pub fn with_t2(mut self, t2: Duration) -> Self {
        self.t2 = t2;
        self
    }

    /// Sets T4.
    pub fn with_t4(mut self, t4: Duration) -> Self {
        self.t4 = t4;
        self
    }

    /// Sets the transaction limit.
    pub fn with_max_transactions(mut self, max: usize) -> Self {
        self.max_transactions = max;
        self
    }
}

/// Which side of a transaction we are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// We sent the request.
    Client,
    /// We received the request.
    Server,
}

/// Identifies a transaction (RFC 3261 §17.1.3 / §17.2.3).
///
/// For a client transaction: the branch and the CSeq method. For a server transaction: the
/// branch, the top-Via sent-by and the method (ACK counts as INVITE), or the RFC 2543 fallback
/// identity when the branch lacks the magic cookie.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TransactionKey {
    role: Role,
    id: String,
    method: Method,
}

impl TransactionKey {
    pub(crate) fn new(role: Role, id: String, method: Method) -> Self {
        TransactionKey { role, id, method }
    }

    /// Client or server.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The method of the request that created the transaction.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The branch (client) or the matching identity string (server).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The same transaction identity with another method (CANCEL finds its INVITE this way).
    pub fn with_method(&self, method: Method) -> Self {
        TransactionKey {
            role: self.role,
            id: self.id.clone(),
            method,
        }
    }
}

/// The RFC 3261 / RFC 6026 state of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransactionState {
    /// Client INVITE: request sent, no response yet.
    Calling,
    /// Non-INVITE: request sent (client) or received (server), no response yet.
    Trying,
    /// A provisional response was received or sent.
    Proceeding,
    /// A final response (non-2xx for INVITE) was received or sent.
    Completed,
    /// Server INVITE: the ACK for the non-2xx final response arrived.
    Confirmed,
    /// INVITE with a 2xx (RFC 6026).
    Accepted,
    /// Finished; the transaction is about to be removed.
    Terminated,
}

/// What the transaction layer tells the TU.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransactionEvent {
    /// A new request created a server transaction; answer with
    /// [`TransactionLayer::send_response`].
    Request {
        /// The new server transaction.
        key: TransactionKey,
        /// The request, its top Via completed with `received`/`rport`.
        request: Request,
        /// Where it came from.
        source: Target,
    },
    /// A CANCEL created its own non-INVITE server transaction (RFC 3261 §9.2).
    Cancel {
        /// The CANCEL's server transaction (answer it with 200 or 481).
        key: TransactionKey,
        /// The INVITE server transaction it cancels, when one exists.
        invite: Option<TransactionKey>,
        /// The CANCEL request.
        request: Request,
        /// Where it came from.
        source: Target,
    },
    /// A response for a client transaction (provisional or final).
    Response {
        /// The client transaction.
        key: TransactionKey,
        /// The response.
        response: Response,
    },
    /// Timer B or F fired: no final response arrived.
    Timeout {
        /// The client transaction.
        key: TransactionKey,
    },
    /// A server INVITE transaction received the ACK for its non-2xx final response.
    AckReceived {
        /// The server INVITE transaction.
        key: TransactionKey,
        /// The ACK.
        ack: Request,
    },
    /// The transport could not deliver the request of a client transaction (a connection
    /// that could not be opened or broke, RFC 3261 §17.1.4): treat it as a 503. The
    /// transaction is gone; `Terminated` follows.
    TransportError {
        /// The client transaction.
        key: TransactionKey,
        /// What the transport reported.
        reason: String,
    },
    /// Timer H fired: the ACK for a non-2xx final response never came.
    AckTimeout {
        /// The server INVITE transaction.
        key: TransactionKey,
    },
    /// An ACK that belongs to no transaction (the ACK for a 2xx, RFC 3261 §17.2.3): for the
    /// dialog layer.
    StrayAck {
        /// The ACK, its top Via completed with `received`/`rport`.
        request: Request,
        /// Where it came from.
        source: Target,
    },
    /// A response matched no client transaction and was dropped.
    StrayResponse {
        /// The response.
        response: Response,
        /// Where it came from.
        source: Target,
    },
    /// A new request arrived while [`TransactionConfig::max_transactions`] are alive; no
    /// transaction was created. Answer 503 with [`TransactionLayer::send_stateless`] to
    /// `reply_to`.
    Overloaded {
        /// The request, its top Via completed with `received`/`rport`.
        request: Request,
        /// Where it came from.
        source: Target,
        /// Where a response goes (RFC 3261 §18.2.2, RFC 3581).
        reply_to: Target,
    },
    /// A message lacked or had malformed Via, From, To, Call-ID or CSeq; it was dropped. A
    /// request may still deserve a stateless 400.
    Malformed {
        /// The message.
        message: SipMessage,
        /// Where it came from.
        source: Target,
        /// What was wrong.
        error: ParseError,
    },
    /// A transaction ended and was removed.
    Terminated {
        /// The transaction.
        key: TransactionKey,
    },
}

/// Something the driver must do.
// Events are as common as transmissions; boxing them would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Output {
    /// Send `bytes` to `destination` over `transport` (for TCP/TLS, over the connection whose
    /// remote end is `destination`).
    Transmit {
        /// The remote address.
        destination: SocketAddr,
        /// The transport.
        transport: TransportKind,
        /// The serialized message.
        bytes: Bytes,
    },
    /// Tell the TU.
    Event(TransactionEvent),
}

/// Why a command to the transaction layer failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransactionError {
    /// [`TransactionConfig::max_transactions`] are alive.
    #[error("too many pending transactions")]
    Overloaded,
    /// The request lacks a well-formed Via, From, To, Call-ID or CSeq.
    #[error("invalid request: {0}")]
    InvalidRequest(ParseError),
    /// The CSeq method differs from the request method.
    #[error("CSeq method does not match the request method")]
    CSeqMismatch,
    /// An ACK is not sent through a transaction; use `send_stateless`.
    #[error("ACK does not create a client transaction")]
    AckIsNotATransaction,
    /// A transaction with this key already exists.
    #[error("a transaction with this branch already exists")]
    DuplicateTransaction,
    /// No transaction has this key.
    #[error("no such transaction")]
    UnknownTransaction,
    /// The transaction cannot send this response in its state (a final response was already
    /// sent, or it is a client transaction).
    #[error("response not allowed in this transaction state")]
    InvalidState,
}
