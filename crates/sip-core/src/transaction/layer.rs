//! The transaction table and the four RFC 3261 §17 state machines.

use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::header::{BRANCH_MAGIC_COOKIE, CSeq, Via};
use crate::message::{Method, Request, Response, SipMessage};

use super::machine::{Context, Effect, Machine, NonInviteServer};

use super::routing::{client_key, replace_top_via, reply_target, server_key, stamp_top_via};
use super::{
    Output, Role, Target, TransactionConfig, TransactionError, TransactionEvent, TransactionKey,
    TransactionState, TransportKind,
};

#[derive(Debug)]
struct Transaction {
    machine: Machine,
    /// The request that created the transaction.
    request: Request,
    /// Client: the request as sent, for retransmission.
    request_bytes: Bytes,
    /// Client: the destination. Server: where responses go.
    peer: Target,
    /// The deadline last entered in the timer queue for this transaction.
    scheduled: Option<Instant>,
}

impl Transaction {
    /// Runs one transition: takes the machine out, feeds it, puts the result back.
    fn step(
        &mut self,
        config: &TransactionConfig,
        f: impl FnOnce(Machine, &Context<'_>, &mut Vec<Effect>) -> Machine,
    ) -> Vec<Effect> {
        let mut fx = Vec::new();
        let ctx = Context {
            config,
            reliable: self.peer.transport.is_reliable(),
            request: &self.request,
            request_bytes: &self.request_bytes,
        };
        let old = std::mem::replace(
            &mut self.machine,
            Machine::NonInviteServer(NonInviteServer::Terminated),
        );
        self.machine = f(old, &ctx, &mut fx);
        fx
    }
}

/// Owns every transaction of an endpoint, their timers and the output queue. See the
/// [module documentation](super) for the driving loop.
#[derive(Debug)]
pub struct TransactionLayer {
    config: TransactionConfig,
    rng: StdRng,
    transactions: HashMap<TransactionKey, Transaction>,
    /// Timer deadlines, earliest first. An entry whose instant is no longer its
    /// transaction's `scheduled` deadline is stale and skipped when it comes up.
    timers: BinaryHeap<TimerEntry>,
    /// Tie-breaker of timer entries: equal deadlines fire in the order they were set.
    timer_seq: u64,
    outputs: VecDeque<Output>,
}

/// One entry of the timer queue (a min-heap on `(at, seq)`).
#[derive(Debug)]
struct TimerEntry {
    at: Instant,
    seq: u64,
    key: TransactionKey,
}

impl PartialEq for TimerEntry {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for TimerEntry {}

impl PartialOrd for TimerEntry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for TimerEntry {
    // Reversed, so that `BinaryHeap` (a max-heap) pops the earliest deadline first.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

impl TransactionLayer {
    /// A layer with `config`, drawing branch ids from an RNG seeded with `seed`.
    pub fn new(config: TransactionConfig, seed: u64) -> Self {
        Self::with_rng(config, StdRng::seed_from_u64(seed))
    }

    /// A layer with `config` and the given RNG for branch ids.
    pub fn with_rng(config: TransactionConfig, rng: StdRng) -> Self {
        TransactionLayer {
            config,
            rng,
            transactions: HashMap::new(),
            timers: BinaryHeap::new(),
            timer_seq: 0,
            outputs: VecDeque::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &TransactionConfig {
        &self.config
    }

    /// The number of live transactions.
    pub fn len(&self) -> usize {
        self.transactions.len()
    }

    /// True when no transaction is alive.
    pub fn is_empty(&self) -> bool {
        self.transactions.is_empty()
    }

    /// The state of a live transaction.
    pub fn state(&self, key: &TransactionKey) -> Option<TransactionState> {
        self.transactions.get(key).map(|t| t.machine.state())
    }

    /// The next output, `None` when the queue is empty.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// The earliest timer deadline; call [`handle_timeout`](Self::handle_timeout) then.
    ///
    /// Constant time: the deadlines are kept in a priority queue whose head is always live.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.peek().map(|e| e.at)
    }

    /// Enters the current deadline of transaction `key` in the timer queue, unless it is
    /// already there.
    fn schedule(&mut self, key: &TransactionKey) {
        let Some(tx) = self.transactions.get_mut(key) else {
            return;
        };
        let deadline = tx.machine.deadline();
        if deadline == tx.scheduled {
            return;
        }
        tx.scheduled = deadline;
        if let Some(at) = deadline {
            self.timer_seq += 1;
            self.timers.push(TimerEntry {
                at,
                seq: self.timer_seq,
                key: key.clone(),
            });
        }
    }

    /// Sends `request` to `target` in a new client transaction and returns its key.
    ///
    /// The request must carry a top Via. A branch that starts with the magic cookie is kept
    /// (a CANCEL reuses its INVITE's branch); any other is replaced by a fresh one.
    pub fn send_request(
        &mut self,
        now: Instant,
        mut request: Request,
        target: Target,
    ) -> Result<TransactionKey, TransactionError> {
        if request.method() == &Method::Ack {
            return Err(TransactionError::AckIsNotATransaction);
        }
        if self.transactions.len() >= self.config.max_transactions {
            return Err(TransactionError::Overloaded);
        }
        let mut via = request
            .headers()
            .typed::<Via>()
            .map_err(TransactionError::InvalidRequest)?;
        let cseq = request
            .headers()
            .typed::<CSeq>()
            .map_err(TransactionError::InvalidRequest)?;
        if &cseq.method != request.method() {
            return Err(TransactionError::CSeqMismatch);
        }
        if !via.has_rfc3261_branch() {
            let branch = format!("{BRANCH_MAGIC_COOKIE}{:016x}", self.rng.random::<u64>());
            via.params_mut().set("branch", Some(&branch));
            replace_top_via(&mut request, &via);
        }
        let key = TransactionKey::new(
            Role::Client,
            via.branch().unwrap_or_default().to_owned(),
            cseq.method,
        );
        if self.transactions.contains_key(&key) {
            return Err(TransactionError::DuplicateTransaction);
        }
        let request_bytes = request.to_bytes();
        self.transmit(target, request_bytes.clone());
        let machine = Machine::new_client(
            now,
            &Context {
                config: &self.config,
                reliable: target.transport.is_reliable(),
                request: &request,
                request_bytes: &request_bytes,
            },
        );
        self.transactions.insert(
            key.clone(),
            Transaction {
                machine,
                request,
                request_bytes,
                peer: target,
                scheduled: None,
            },
        );
        self.schedule(&key);
        Ok(key)
    }

    /// Sends `response` in the server transaction `key`.
    ///
    /// An INVITE transaction takes provisional responses in Proceeding, a 2xx (moving to
    /// Accepted, where further 2xx retransmissions are also accepted) or a non-2xx final
    /// response (moving to Completed). A non-INVITE transaction takes responses in Trying and
    /// Proceeding.
    pub fn send_response(
        &mut self,
        now: Instant,
        key: &TransactionKey,
        response: Response,
    ) -> Result<(), TransactionError> {
        let config = self.config;
        let tx = self
            .transactions
            .get_mut(key)
            .ok_or(TransactionError::UnknownTransaction)?;
        let status = response.status();
        let bytes = response.to_bytes();
        let mut refused = false;
        let fx = tx.step(&config, |m, ctx, fx| {
            m.send_response(bytes, status, now, ctx, fx)
                .unwrap_or_else(|m| {
                    refused = true;
                    m
                })
        });
        if refused {
            return Err(TransactionError::InvalidState);
        }
        self.apply(key, fx, None);
        Ok(())
    }

    /// Queues a message outside any transaction: the ACK for a 2xx, or a stateless response
    /// (such as a 503 for [`TransactionEvent::Overloaded`]).
    pub fn send_stateless(&mut self, target: Target, message: impl Into<SipMessage>) {
        let bytes = message.into().to_bytes();
        self.transmit(target, bytes);
    }

    /// Feeds a message received from `source` over `transport`.
    pub fn handle_message(
        &mut self,
        now: Instant,
        message: SipMessage,
        source: SocketAddr,
        transport: TransportKind,
    ) {
        let source = Target::new(source, transport);
        let core = match message.core_headers() {
            Ok(core) => core,
            Err(error) => {
                self.event(TransactionEvent::Malformed {
                    message,
                    source,
                    error,
                });
                return;
            }
        };
        let config = self.config;
        match message {
            SipMessage::Response(response) => {
                let key = client_key(&core);
                let Some((key, tx)) = key
                    .as_ref()
                    .and_then(|k| self.transactions.get_mut(k).map(|tx| (k, tx)))
                else {
                    self.event(TransactionEvent::StrayResponse { response, source });
                    return;
                };
                let fx = tx.step(&config, |m, ctx, fx| m.on_response(&response, now, ctx, fx));
                let key = key.clone();
                self.apply(&key, fx, Some(Incoming::Response(response)));
            }
            SipMessage::Request(mut request) => {
                let key = server_key(&request, &core);
                let top = stamp_top_via(&mut request, &core.via[0], source.addr);
                let is_ack = request.method() == &Method::Ack;
                if let Some(tx) = self.transactions.get_mut(&key) {
                    let fx = tx.step(&config, |m, ctx, fx| m.on_request(is_ack, now, ctx, fx));
                    self.apply(&key, fx, Some(Incoming::Request(request, source)));
                } else if is_ack {
                    self.event(TransactionEvent::StrayAck { request, source });
                } else if self.transactions.len() >= self.config.max_transactions {
                    let reply_to = reply_target(&top, source);
                    self.event(TransactionEvent::Overloaded {
                        request,
                        source,
                        reply_to,
                    });
                } else {
                    self.new_server_transaction(now, key, request, &top, source);
                }
            }
        }
    }

    /// Reports a fatal transport error toward `target` (RFC 3261 §17.1.4): every client
    /// transaction to `target` that has no final response yet ends with
    /// [`TransactionEvent::TransportError`] and [`TransactionEvent::Terminated`]. Server
    /// transactions keep their timers (a response that cannot be delivered is retried or
    /// times out as usual).
    pub fn handle_transport_error(&mut self, target: Target, reason: &str) {
        let mut keys: Vec<TransactionKey> = self
            .transactions
            .iter()
            .filter(|(_, t)| {
                t.peer == target
                    && matches!(
                        t.machine,
                        Machine::InviteClient(_) | Machine::NonInviteClient(_)
                    )
                    && matches!(
                        t.machine.state(),
                        TransactionState::Calling
                            | TransactionState::Trying
                            | TransactionState::Proceeding
                    )
            })
            .map(|(k, _)| k.clone())
            .collect();
        keys.sort_by(|a, b| a.id().cmp(b.id()));
        for key in keys {
            self.transactions.remove(&key);
            self.event(TransactionEvent::TransportError {
                key: key.clone(),
                reason: reason.to_owned(),
            });
            self.event(TransactionEvent::Terminated { key });
        }
        self.prune_timers();
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        let config = self.config;
        while self.timers.peek().is_some_and(|e| e.at <= now) {
            let Some(entry) = self.timers.pop() else {
                break;
            };
            let key = entry.key;
            match self.transactions.get(&key) {
                Some(t) if t.scheduled == Some(entry.at) => {}
                // stale: the transaction is gone or its deadline moved
                _ => continue,
            }
            // Fire one deadline at a time, at its own instant, so that retransmission
            // schedules stay exact however late `now` is.
            while let Some((at, tx)) = self.transactions.get_mut(&key).and_then(|t| {
                let at = t.machine.deadline().filter(|at| *at <= now)?;
                Some((at, t))
            }) {
                // the queue entry is consumed: let `apply` enter the next deadline
                tx.scheduled = None;
                let fx = tx.step(&config, |m, ctx, fx| m.on_timer(at, ctx, fx));
                self.apply(&key, fx, None);
            }
        }
        self.prune_timers();
    }

    fn new_server_transaction(
        &mut self,
        now: Instant,
        key: TransactionKey,
        request: Request,
        top: &Via,
        source: Target,
    ) {
        let peer = reply_target(top, source);
        let request_bytes = Bytes::new();
        let machine = Machine::new_server(
            now,
            &Context {
                config: &self.config,
                reliable: peer.transport.is_reliable(),
                request: &request,
                request_bytes: &request_bytes,
            },
        );
        self.transactions.insert(
            key.clone(),
            Transaction {
                machine,
                request: request.clone(),
                request_bytes,
                peer,
                scheduled: None,
            },
        );
        self.schedule(&key);
        let event = if request.method() == &Method::Cancel {
            let invite_key = key.with_method(Method::Invite);
            let invite = self
                .transactions
                .contains_key(&invite_key)
                .then_some(invite_key);
            TransactionEvent::Cancel {
                key,
                invite,
                request,
                source,
            }
        } else {
            TransactionEvent::Request {
                key,
                request,
                source,
            }
        };
        self.event(event);
    }

    /// Carries out a transition's effects, then removes the transaction if it terminated.
    fn apply(&mut self, key: &TransactionKey, effects: Vec<Effect>, incoming: Option<Incoming>) {
        let Some(tx) = self.transactions.get(key) else {
            return;
        };
        let peer = tx.peer;
        let mut incoming = incoming;
        for effect in effects {
            let event = match effect {
                Effect::Send(bytes) => {
                    self.transmit(peer, bytes);
                    continue;
                }
                Effect::Timeout => TransactionEvent::Timeout { key: key.clone() },
                Effect::AckTimeout => TransactionEvent::AckTimeout { key: key.clone() },
                Effect::PassUp => match incoming.take() {
                    Some(Incoming::Response(response)) => TransactionEvent::Response {
                        key: key.clone(),
                        response,
                    },
                    _ => continue,
                },
                Effect::AckReceived => match incoming.take() {
                    Some(Incoming::Request(ack, _)) => TransactionEvent::AckReceived {
                        key: key.clone(),
                        ack,
                    },
                    _ => continue,
                },
                Effect::StrayAck => match incoming.take() {
                    Some(Incoming::Request(request, source)) => {
                        TransactionEvent::StrayAck { request, source }
                    }
                    _ => continue,
                },
            };
            self.event(event);
        }
        if self
            .transactions
            .get(key)
            .is_some_and(|t| t.machine.state() == TransactionState::Terminated)
        {
            self.transactions.remove(key);
            self.event(TransactionEvent::Terminated { key: key.clone() });
        } else {
            self.schedule(key);
        }
        self.prune_timers();
    }

    /// Drops stale entries from the head of the timer queue, so that
    /// [`poll_timeout`](Self::poll_timeout) names a live deadline.
    fn prune_timers(&mut self) {
        while let Some(top) = self.timers.peek() {
            let live = self
                .transactions
                .get(&top.key)
                .is_some_and(|t| t.scheduled == Some(top.at));
            if live {
                break;
            }
            self.timers.pop();
        }
    }

    fn transmit(&mut self, target: Target, bytes: Bytes) {
        self.outputs.push_back(Output::Transmit {
            destination: target.addr,
            transport: target.transport,
            bytes,
        });
    }

    fn event(&mut self, event: TransactionEvent) {
        self.outputs.push_back(Output::Event(event));
    }
}

/// The message that caused a transition, for the events that carry it.
// Lives on the stack for one call; boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
enum Incoming {
    Response(Response),
    Request(Request, Target),
}
