//! Fuzzes the sans-IO transaction layer (RFC 3261 §17) with arbitrary sequences of what can
//! happen to it: requests sent by the TU, messages from the network (arbitrary bytes, or
//! responses and retransmissions built from what the layer sent), responses from the TU,
//! transport errors and the passing of time.
//!
//! Nothing may panic; no timer is overdue once `handle_timeout(now)` ran; the number of live
//! transactions stays within the configured limit; and once time runs out every client
//! transaction has ended.

#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use sip_core::message::{Method, Request, SipMessage, StatusCode};
use sip_core::transaction::{
    Output, Target, TransactionConfig, TransactionEvent, TransactionKey, TransactionLayer,
    TransactionState, TransportKind,
};

const METHODS: [&str; 6] = ["INVITE", "OPTIONS", "MESSAGE", "REGISTER", "CANCEL", "ACK"];
const STATUSES: [u16; 8] = [100, 180, 183, 200, 202, 404, 486, 503];
const PEERS: [&str; 2] = ["127.0.0.1:5070", "127.0.0.1:5080"];
const TRANSPORTS: [TransportKind; 3] = [TransportKind::Udp, TransportKind::Tcp, TransportKind::Tls];
const MAX_TRANSACTIONS: usize = 64;

/// Reads the input a byte at a time; zeros once exhausted.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    fn bytes(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.byte() as usize % items.len()]
    }
}

fn request(method: &str, branch: u8, transport: TransportKind) -> Request {
    let via = match transport {
        TransportKind::Udp => "UDP",
        TransportKind::Tcp => "TCP",
        _ => "TLS",
    };
    let raw = format!(
        "{method} sip:bob@127.0.0.1:5070 SIP/2.0\r\n\
         Via: SIP/2.0/{via} 127.0.0.1:5060;branch=z9hG4bKfuzz{branch}\r\n\
         Max-Forwards: 70\r\n\
         To: <sip:bob@127.0.0.1>\r\n\
         From: <sip:alice@127.0.0.1>;tag=f{branch}\r\n\
         Call-ID: fuzz-{branch}@127.0.0.1\r\n\
         CSeq: 1 {method}\r\n\
         Content-Length: 0\r\n\r\n"
    );
    match SipMessage::parse(Bytes::from(raw)) {
        Ok(SipMessage::Request(r)) => r,
        _ => unreachable!("the template parses"),
    }
}

struct State {
    layer: TransactionLayer,
    now: Instant,
    /// Requests the layer transmitted (client side), to answer them from "the network".
    sent: Vec<(Target, Bytes)>,
    /// Server transactions to answer from the TU, with the request that created them.
    server: Vec<(TransactionKey, Request)>,
    clients: Vec<TransactionKey>,
}

impl State {
    fn drain(&mut self) {
        while let Some(out) = self.layer.poll_output() {
            match out {
                Output::Transmit {
                    destination,
                    transport,
                    bytes,
                } => {
                    if self.sent.len() < 32 {
                        self.sent.push((Target::new(destination, transport), bytes));
                    }
                }
                Output::Event(TransactionEvent::Request { key, request, .. }) => {
                    if self.server.len() < 32 {
                        self.server.push((key, request));
                    }
                }
                Output::Event(_) => {}
                _ => {}
            }
        }
        assert!(self.layer.len() <= MAX_TRANSACTIONS);
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let config = TransactionConfig::default().with_max_transactions(MAX_TRANSACTIONS);
    let mut s = State {
        layer: TransactionLayer::new(config, u64::from(input.byte())),
        now: Instant::now(),
        sent: Vec::new(),
        server: Vec::new(),
        clients: Vec::new(),
    };
    for _ in 0..200 {
        if input.0.is_empty() {
            break;
        }
        match input.byte() % 7 {
            0 => {
                // time passes: fire the timers, then none may be overdue
                let step = Duration::from_millis(u64::from(input.byte()) * 37);
                s.now += step;
                s.layer.handle_timeout(s.now);
                if let Some(at) = s.layer.poll_timeout() {
                    assert!(
                        at > s.now,
                        "a timer at or before now survived handle_timeout"
                    );
                }
            }
            1 => {
                let method = input.pick(&METHODS);
                let branch = input.byte() % 8;
                let transport = input.pick(&TRANSPORTS);
                let peer: SocketAddr = input.pick(&PEERS).parse().unwrap();
                if let Ok(key) = s.layer.send_request(
                    s.now,
                    request(method, branch, transport),
                    Target::new(peer, transport),
                ) {
                    s.clients.push(key);
                }
            }
            2 => {
                // arbitrary bytes from the network
                let len = usize::from(input.byte()) * 4;
                let raw = Bytes::copy_from_slice(input.bytes(len));
                if let Ok(msg) = SipMessage::parse(raw) {
                    let peer: SocketAddr = input.pick(&PEERS).parse().unwrap();
                    let transport = input.pick(&TRANSPORTS);
                    s.layer.handle_message(s.now, msg, peer, transport);
                }
            }
            3 => {
                // a response from the peer to something the layer sent
                if s.sent.is_empty() {
                    continue;
                }
                let i = usize::from(input.byte()) % s.sent.len();
                let (target, bytes) = s.sent[i].clone();
                let status = input.pick(&STATUSES);
                if let Ok(SipMessage::Request(r)) = SipMessage::parse(bytes) {
                    let response = r
                        .response(StatusCode::new(status).unwrap())
                        .to_tag("p")
                        .build();
                    s.layer
                        .handle_message(s.now, response.into(), target.addr, target.transport);
                }
            }
            4 => {
                // the TU answers a server transaction
                if s.server.is_empty() {
                    continue;
                }
                let i = usize::from(input.byte()) % s.server.len();
                let (key, request) = s.server[i].clone();
                let status = input.pick(&STATUSES);
                let response = request
                    .response(StatusCode::new(status).unwrap())
                    .to_tag("t")
                    .build();
                let _ = s.layer.send_response(s.now, &key, response);
            }
            5 => {
                // a request arriving from a peer (new or retransmitted)
                let method = input.pick(&METHODS);
                let branch = input.byte() % 8;
                let transport = input.pick(&TRANSPORTS);
                let peer: SocketAddr = input.pick(&PEERS).parse().unwrap();
                s.layer.handle_message(
                    s.now,
                    request(method, branch, transport).into(),
                    peer,
                    transport,
                );
            }
            _ => {
                let peer: SocketAddr = input.pick(&PEERS).parse().unwrap();
                let transport = input.pick(&TRANSPORTS);
                s.layer
                    .handle_transport_error(Target::new(peer, transport), "fuzzed failure");
            }
        }
        s.drain();
    }
    // Run out the clock: every transaction ends.
    for _ in 0..1000 {
        let Some(at) = s.layer.poll_timeout() else {
            break;
        };
        assert!(at >= s.now);
        s.now = at;
        s.layer.handle_timeout(at);
        s.drain();
    }
    // Client transactions run a timer (B, D, F or K) in every state but one, so none
    // outlives the clock: an INVITE client in Proceeding waits for its final response
    // without a timer (RFC 3261 §17.1.1.2; ending it is the TU's job, with CANCEL).
    for key in &s.clients {
        let state = s.layer.state(key);
        let waits_for_tu =
            key.method() == &Method::Invite && state == Some(TransactionState::Proceeding);
        assert!(
            state.is_none() || waits_for_tu,
            "client transaction {key:?} stuck in {state:?}"
        );
    }
});
