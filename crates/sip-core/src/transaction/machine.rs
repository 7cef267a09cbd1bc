//! The four RFC 3261 §17 state machines. Each state is a variant carrying the timers and data
//! valid in it; every input consumes the old state and returns the new one, pushing what must
//! happen (send bytes, tell the TU) onto an effect list for the layer to carry out.

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::header::{CSeq, HeaderName, MaxForwards, Via};
use crate::message::{Method, Request, Response, StatusCode};

use super::{TransactionConfig, TransactionState};

/// What a transition asks the layer to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Effect {
    /// Send these bytes to the transaction's peer.
    Send(Bytes),
    /// Pass the response that caused the transition to the TU.
    PassUp,
    /// Timer B or F fired.
    Timeout,
    /// Timer H fired.
    AckTimeout,
    /// The ACK for our non-2xx final response arrived.
    AckReceived,
    /// An ACK the transaction does not absorb (an ACK for a 2xx): the TU's business.
    StrayAck,
}

/// What a transition may read.
pub(super) struct Context<'a> {
    pub(super) config: &'a TransactionConfig,
    pub(super) reliable: bool,
    /// The request that created the transaction.
    pub(super) request: &'a Request,
    /// Client: the request as sent, for retransmission.
    pub(super) request_bytes: &'a Bytes,
}

impl Context<'_> {
    fn timer_64_t1(&self, now: Instant) -> Instant {
        now + 64 * self.config.t1
    }

    /// The first retransmission timer (A, E or G): T1 on unreliable transports, none otherwise.
    fn first_retransmit(&self, now: Instant) -> Option<Retransmit> {
        (!self.reliable).then_some(Retransmit {
            at: now + self.config.t1,
            interval: self.config.t1,
        })
    }
}

/// A retransmission timer: its deadline and the interval that led to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Retransmit {
    at: Instant,
    interval: Duration,
}

impl Retransmit {
    fn then(self, interval: Duration) -> Retransmit {
        Retransmit {
            at: self.at + interval,
            interval,
        }
    }

    /// Due at `now` and not later than the transaction timeout that would end it.
    fn due(self, now: Instant, timeout: Instant) -> bool {
        self.at <= now && self.at <= timeout
    }
}

/// RFC 3261 §17.1.1 with RFC 6026's Accepted state.
#[derive(Debug)]
pub(super) enum InviteClient {
    Calling {
        timer_a: Option<Retransmit>,
        timer_b: Instant,
    },
    Proceeding,
    Completed {
        ack: Bytes,
        timer_d: Instant,
    },
    Accepted {
        timer_m: Instant,
    },
    Terminated,
}

/// RFC 3261 §17.1.2.
#[derive(Debug)]
pub(super) enum NonInviteClient {
    Trying {
        timer_e: Option<Retransmit>,
        timer_f: Instant,
    },
    Proceeding {
        timer_e: Option<Retransmit>,
        timer_f: Instant,
    },
    Completed {
        timer_k: Instant,
    },
    Terminated,
}

/// RFC 3261 §17.2.1 with RFC 6026's Accepted state.
#[derive(Debug)]
pub(super) enum InviteServer {
    Proceeding {
        last: Option<Bytes>,
        trying_at: Option<Instant>,
    },
    Completed {
        response: Bytes,
        timer_g: Option<Retransmit>,
        timer_h: Instant,
    },
    Confirmed {
        timer_i: Instant,
    },
    Accepted {
        timer_l: Instant,
    },
    Terminated,
}

/// RFC 3261 §17.2.2.
#[derive(Debug)]
pub(super) enum NonInviteServer {
    Trying,
    Proceeding { last: Bytes },
    Completed { response: Bytes, timer_j: Instant },
    Terminated,
}

/// One of the four machines.
#[derive(Debug)]
pub(super) enum Machine {
    InviteClient(InviteClient),
    NonInviteClient(NonInviteClient),
    InviteServer(InviteServer),
    NonInviteServer(NonInviteServer),
}

impl Machine {
    /// A client machine that has just sent its request.
    pub(super) fn new_client(now: Instant, ctx: &Context<'_>) -> Machine {
        if ctx.request.method() == &Method::Invite {
            Machine::InviteClient(InviteClient::Calling {
                timer_a: ctx.first_retransmit(now),
                timer_b: ctx.timer_64_t1(now),
            })
        } else {
            Machine::NonInviteClient(NonInviteClient::Trying {
                timer_e: ctx.first_retransmit(now),
                timer_f: ctx.timer_64_t1(now),
            })
        }
    }

    /// A server machine for a request just received.
    pub(super) fn new_server(now: Instant, ctx: &Context<'_>) -> Machine {
        if ctx.request.method() == &Method::Invite {
            Machine::InviteServer(InviteServer::Proceeding {
                last: None,
                trying_at: Some(now + ctx.config.trying_delay),
            })
        } else {
            Machine::NonInviteServer(NonInviteServer::Trying)
        }
    }

    pub(super) fn state(&self) -> TransactionState {
        use TransactionState as S;
        match self {
            Machine::InviteClient(s) => match s {
                InviteClient::Calling { .. } => S::Calling,
                InviteClient::Proceeding => S::Proceeding,
                InviteClient::Completed { .. } => S::Completed,
                InviteClient::Accepted { .. } => S::Accepted,
                InviteClient::Terminated => S::Terminated,
            },
            Machine::NonInviteClient(s) => match s {
                NonInviteClient::Trying { .. } => S::Trying,
                NonInviteClient::Proceeding { .. } => S::Proceeding,
                NonInviteClient::Completed { .. } => S::Completed,
                NonInviteClient::Terminated => S::Terminated,
            },
            Machine::InviteServer(s) => match s {
                InviteServer::Proceeding { .. } => S::Proceeding,
                InviteServer::Completed { .. } => S::Completed,
                InviteServer::Confirmed { .. } => S::Confirmed,
                InviteServer::Accepted { .. } => S::Accepted,
                InviteServer::Terminated => S::Terminated,
            },
            Machine::NonInviteServer(s) => match s {
                NonInviteServer::Trying => S::Trying,
                NonInviteServer::Proceeding { .. } => S::Proceeding,
                NonInviteServer::Completed { .. } => S::Completed,
                NonInviteServer::Terminated => S::Terminated,
            },
        }
    }

    /// The earliest running timer.
    pub(super) fn deadline(&self) -> Option<Instant> {
        let with_retransmit = |r: &Option<Retransmit>, timeout: Instant| {
            Some(r.map_or(timeout, |r| r.at.min(timeout)))
        };
        match self {
            Machine::InviteClient(s) => match s {
                InviteClient::Calling { timer_a, timer_b } => with_retransmit(timer_a, *timer_b),
                InviteClient::Completed { timer_d, .. } => Some(*timer_d),
                InviteClient::Accepted { timer_m } => Some(*timer_m),
                InviteClient::Proceeding | InviteClient::Terminated => None,
            },
            Machine::NonInviteClient(s) => match s {
                NonInviteClient::Trying { timer_e, timer_f }
                | NonInviteClient::Proceeding { timer_e, timer_f } => {
                    with_retransmit(timer_e, *timer_f)
                }
                NonInviteClient::Completed { timer_k } => Some(*timer_k),
                NonInviteClient::Terminated => None,
            },
            Machine::InviteServer(s) => match s {
                InviteServer::Proceeding { trying_at, .. } => *trying_at,
                InviteServer::Completed {
                    timer_g, timer_h, ..
                } => with_retransmit(timer_g, *timer_h),
                InviteServer::Confirmed { timer_i } => Some(*timer_i),
                InviteServer::Accepted { timer_l } => Some(*timer_l),
                InviteServer::Terminated => None,
            },
            Machine::NonInviteServer(s) => match s {
                NonInviteServer::Completed { timer_j, .. } => Some(*timer_j),
                _ => None,
            },
        }
    }

    /// Fires the timers due at `now`.
    pub(super) fn on_timer(self, now: Instant, ctx: &Context<'_>, fx: &mut Vec<Effect>) -> Machine {
        let t2 = ctx.config.t2;
        match self {
            Machine::InviteClient(s) => Machine::InviteClient(match s {
                InviteClient::Calling {
                    timer_a: Some(a),
                    timer_b,
                } if a.due(now, timer_b) => {
                    fx.push(Effect::Send(ctx.request_bytes.clone()));
                    InviteClient::Calling {
                        timer_a: Some(a.then(a.interval * 2)),
                        timer_b,
                    }
                }
                InviteClient::Calling { timer_b, .. } if timer_b <= now => {
                    fx.push(Effect::Timeout);
                    InviteClient::Terminated
                }
                InviteClient::Completed { timer_d, .. } if timer_d <= now => {
                    InviteClient::Terminated
                }
                InviteClient::Accepted { timer_m } if timer_m <= now => InviteClient::Terminated,
                s => s,
            }),
            Machine::NonInviteClient(s) => Machine::NonInviteClient(match s {
                NonInviteClient::Trying {
                    timer_e: Some(e),
                    timer_f,
                } if e.due(now, timer_f) => {
                    fx.push(Effect::Send(ctx.request_bytes.clone()));
                    NonInviteClient::Trying {
                        timer_e: Some(e.then((e.interval * 2).min(t2))),
                        timer_f,
                    }
                }
                NonInviteClient::Proceeding {
                    timer_e: Some(e),
                    timer_f,
                } if e.due(now, timer_f) => {
                    fx.push(Effect::Send(ctx.request_bytes.clone()));
                    NonInviteClient::Proceeding {
                        timer_e: Some(e.then(t2)),
                        timer_f,
                    }
                }
                NonInviteClient::Trying { timer_f, .. }
                | NonInviteClient::Proceeding { timer_f, .. }
                    if timer_f <= now =>
                {
                    fx.push(Effect::Timeout);
                    NonInviteClient::Terminated
                }
                NonInviteClient::Completed { timer_k } if timer_k <= now => {
                    NonInviteClient::Terminated
                }
                s => s,
            }),
            Machine::InviteServer(s) => Machine::InviteServer(match s {
                InviteServer::Proceeding {
                    last,
                    trying_at: Some(at),
                } if at <= now => {
                    // RFC 3261 §17.2.1: the TU did not answer within 200 ms.
                    let last = last.unwrap_or_else(|| {
                        let trying = ctx.request.response(StatusCode::TRYING).build().to_bytes();
                        fx.push(Effect::Send(trying.clone()));
                        trying
                    });
                    InviteServer::Proceeding {
                        last: Some(last),
                        trying_at: None,
                    }
                }
                InviteServer::Completed {
                    response,
                    timer_g: Some(g),
                    timer_h,
                } if g.due(now, timer_h) => {
                    fx.push(Effect::Send(response.clone()));
                    InviteServer::Completed {
                        response,
                        timer_g: Some(g.then((g.interval * 2).min(t2))),
                        timer_h,
                    }
                }
                InviteServer::Completed { timer_h, .. } if timer_h <= now => {
                    fx.push(Effect::AckTimeout);
                    InviteServer::Terminated
                }
                InviteServer::Confirmed { timer_i } if timer_i <= now => InviteServer::Terminated,
                InviteServer::Accepted { timer_l } if timer_l <= now => InviteServer::Terminated,
                s => s,
            }),
            Machine::NonInviteServer(s) => Machine::NonInviteServer(match s {
                NonInviteServer::Completed { timer_j, .. } if timer_j <= now => {
                    NonInviteServer::Terminated
                }
                s => s,
            }),
        }
    }

    /// A response for a client machine.
    pub(super) fn on_response(
        self,
        response: &Response,
        now: Instant,
        ctx: &Context<'_>,
        fx: &mut Vec<Effect>,
    ) -> Machine {
        let status = response.status();
        match self {
            Machine::InviteClient(s) => Machine::InviteClient(match s {
                InviteClient::Calling { .. } | InviteClient::Proceeding => {
                    fx.push(Effect::PassUp);
                    if status.is_success() {
                        InviteClient::Accepted {
                            timer_m: ctx.timer_64_t1(now),
                        }
                    } else if status.is_final() {
                        let ack = build_ack(ctx.request, response).to_bytes();
                        fx.push(Effect::Send(ack.clone()));
                        if ctx.reliable {
                            InviteClient::Terminated
                        } else {
                            InviteClient::Completed {
                                ack,
                                timer_d: now + ctx.config.timer_d,
                            }
                        }
                    } else {
                        InviteClient::Proceeding
                    }
                }
                InviteClient::Accepted { timer_m } => {
                    if status.is_success() {
                        fx.push(Effect::PassUp);
                    }
                    InviteClient::Accepted { timer_m }
                }
                InviteClient::Completed { ack, timer_d } => {
                    if status.is_final() && !status.is_success() {
                        fx.push(Effect::Send(ack.clone()));
                    }
                    InviteClient::Completed { ack, timer_d }
                }
                s => s,
            }),
            Machine::NonInviteClient(s) => Machine::NonInviteClient(match s {
                NonInviteClient::Trying { timer_e, timer_f }
                | NonInviteClient::Proceeding { timer_e, timer_f } => {
                    fx.push(Effect::PassUp);
                    if !status.is_final() {
                        NonInviteClient::Proceeding { timer_e, timer_f }
                    } else if ctx.reliable {
                        NonInviteClient::Terminated
                    } else {
                        NonInviteClient::Completed {
                            timer_k: now + ctx.config.t4,
                        }
                    }
                }
                s => s,
            }),
            server => server,
        }
    }

    /// A retransmitted request, or an ACK, for a server machine.
    pub(super) fn on_request(
        self,
        is_ack: bool,
        now: Instant,
        ctx: &Context<'_>,
        fx: &mut Vec<Effect>,
    ) -> Machine {
        match self {
            Machine::InviteServer(s) => Machine::InviteServer(match s {
                InviteServer::Completed { .. } if is_ack => {
                    fx.push(Effect::AckReceived);
                    if ctx.reliable {
                        InviteServer::Terminated
                    } else {
                        InviteServer::Confirmed {
                            timer_i: now + ctx.config.t4,
                        }
                    }
                }
                s @ InviteServer::Confirmed { .. } => s,
                s if is_ack => {
                    fx.push(Effect::StrayAck);
                    s
                }
                InviteServer::Proceeding {
                    last: Some(last),
                    trying_at,
                } => {
                    fx.push(Effect::Send(last.clone()));
                    InviteServer::Proceeding {
                        last: Some(last),
                        trying_at,
                    }
                }
                InviteServer::Completed {
                    response,
                    timer_g,
                    timer_h,
                } => {
                    fx.push(Effect::Send(response.clone()));
                    InviteServer::Completed {
                        response,
                        timer_g,
                        timer_h,
                    }
                }
                s => s,
            }),
            Machine::NonInviteServer(s) => Machine::NonInviteServer(match s {
                NonInviteServer::Proceeding { last } => {
                    fx.push(Effect::Send(last.clone()));
                    NonInviteServer::Proceeding { last }
                }
                NonInviteServer::Completed { response, timer_j } => {
                    fx.push(Effect::Send(response.clone()));
                    NonInviteServer::Completed { response, timer_j }
                }
                s => s,
            }),
            client => client,
        }
    }

    /// The TU's response for a server machine; `Err` gives the machine back unchanged when
    /// the state does not allow it.
    pub(super) fn send_response(
        self,
        bytes: Bytes,
        status: StatusCode,
        now: Instant,
        ctx: &Context<'_>,
        fx: &mut Vec<Effect>,
    ) -> Result<Machine, Machine> {
        match self {
            Machine::InviteServer(InviteServer::Proceeding { .. }) => {
                fx.push(Effect::Send(bytes.clone()));
                Ok(Machine::InviteServer(if status.is_success() {
                    InviteServer::Accepted {
                        timer_l: ctx.timer_64_t1(now),
                    }
                } else if status.is_final() {
                    InviteServer::Completed {
                        response: bytes,
                        timer_g: ctx.first_retransmit(now),
                        timer_h: ctx.timer_64_t1(now),
                    }
                } else {
                    InviteServer::Proceeding {
                        last: Some(bytes),
                        trying_at: None,
                    }
                }))
            }
            // RFC 6026: the TU's 2xx retransmissions go through the Accepted transaction.
            Machine::InviteServer(InviteServer::Accepted { timer_l }) if status.is_success() => {
                fx.push(Effect::Send(bytes));
                Ok(Machine::InviteServer(InviteServer::Accepted { timer_l }))
            }
            Machine::NonInviteServer(
                NonInviteServer::Trying | NonInviteServer::Proceeding { .. },
            ) => {
                fx.push(Effect::Send(bytes.clone()));
                Ok(Machine::NonInviteServer(if !status.is_final() {
                    NonInviteServer::Proceeding { last: bytes }
                } else if ctx.reliable {
                    NonInviteServer::Terminated
                } else {
                    NonInviteServer::Completed {
                        response: bytes,
                        timer_j: ctx.timer_64_t1(now),
                    }
                }))
            }
            other => Err(other),
        }
    }
}

/// The ACK for a non-2xx final response (RFC 3261 §17.1.1.3): the original Request-URI, top
/// Via, Route headers, From, Call-ID and CSeq number, and the response's To.
fn build_ack(request: &Request, response: &Response) -> Request {
    let mut builder = Request::builder(Method::Ack, request.uri().clone());
    let headers = request.headers();
    if let Ok(Some(via)) = headers.typed_first::<Via>() {
        builder = builder.typed(&via);
    }
    builder = builder.typed(&MaxForwards(70));
    for route in headers.get_all(&HeaderName::Route) {
        builder = builder.header(HeaderName::Route, route.value_bytes().clone());
    }
    if let Some(from) = headers.get(&HeaderName::From) {
        builder = builder.header(HeaderName::From, from.value_bytes().clone());
    }
    if let Some(to) = response.headers().get(&HeaderName::To) {
        builder = builder.header(HeaderName::To, to.value_bytes().clone());
    }
    if let Some(call_id) = headers.get(&HeaderName::CallId) {
        builder = builder.header(HeaderName::CallId, call_id.value_bytes().clone());
    }
    if let Ok(cseq) = headers.typed::<CSeq>() {
        builder = builder.typed(&CSeq::new(cseq.seq, Method::Ack));
    }
    builder.build()
}
