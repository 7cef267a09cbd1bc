//! Simulation: two sessions over an in-memory connection on virtual time, with reordering,
//! aborted messages, failure reports, timeouts and duplicates.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use sip_msrp::{
    ConnectionEvent, DecodedFrame, Decoder, FailureReport, IncomingMode, Limits, Method,
    MsrpConnection, MsrpMessage, MsrpSession, MsrpUri, OutgoingMessage, SessionConfig,
    SessionEvent,
};

fn uris() -> (MsrpUri, MsrpUri) {
    (
        MsrpUri::new(false, "127.0.0.1", 7000, "alicesession"),
        MsrpUri::new(false, "127.0.0.1", 7001, "bobsession"),
    )
}

fn payload(n: usize) -> Bytes {
    (0..n)
        .map(|i| (i.wrapping_mul(31) ^ (i >> 8)) as u8)
        .collect::<Vec<u8>>()
        .into()
}

struct Sim {
    a: MsrpConnection,
    b: MsrpConnection,
    now: Instant,
    a_events: Vec<SessionEvent>,
    b_events: Vec<SessionEvent>,
    a_other: Vec<ConnectionEvent>,
    b_other: Vec<ConnectionEvent>,
    /// Frames written by b (after decoding), for inspection.
    b_wire: Vec<MsrpMessage>,
    a_wire: Vec<MsrpMessage>,
}

impl Sim {
    fn new(a_cfg: SessionConfig, b_cfg: SessionConfig) -> Sim {
        let (au, bu) = uris();
        let mut a = MsrpConnection::new(Limits::default());
        let mut b = MsrpConnection::new(Limits::default());
        assert!(a.add_session(MsrpSession::new(a_cfg, au.clone(), vec![bu.clone()], 1)));
        assert!(b.add_session(MsrpSession::new(b_cfg, bu, vec![au], 2)));
        Sim {
            a,
            b,
            now: Instant::now(),
            a_events: Vec::new(),
            b_events: Vec::new(),
            a_other: Vec::new(),
            b_other: Vec::new(),
            b_wire: Vec::new(),
            a_wire: Vec::new(),
        }
    }

    fn alice(&mut self) -> &mut MsrpSession {
        self.a.session_mut("alicesession").unwrap()
    }

    fn frames(conn: &mut MsrpConnection, now: Instant, limit: usize) -> Vec<MsrpMessage> {
        let mut out = BytesMut::new();
        let mut n = 0;
        while n < limit && conn.poll_transmit(now, &mut out) {
            n += 1;
        }
        let mut d = Decoder::new(Limits::default());
        let mut frames = Vec::new();
        while let Some(DecodedFrame::Message(m)) = d.decode(&mut out).unwrap() {
            frames.push(m);
        }
        assert!(out.is_empty());
        frames
    }

    fn drain(&mut self) {
        while let Some(e) = self.a.poll_event() {
            match e {
                ConnectionEvent::Session { event, .. } => self.a_events.push(event),
                other => self.a_other.push(other),
            }
        }
        while let Some(e) = self.b.poll_event() {
            match e {
                ConnectionEvent::Session { event, .. } => self.b_events.push(event),
                other => self.b_other.push(other),
            }
        }
    }

    /// One round: a's frames to b (possibly shuffled or filtered), b's frames back to a.
    fn round(&mut self, shuffle: Option<&mut StdRng>, deliver_to_a: bool) -> usize {
        let mut fa = Self::frames(&mut self.a, self.now, usize::MAX);
        if let Some(rng) = shuffle {
            fa.shuffle(rng);
        }
        let n = fa.len();
        for f in fa {
            self.a_wire.push(f.clone());
            self.b.handle_message(self.now, f);
        }
        let fb = Self::frames(&mut self.b, self.now, usize::MAX);
        let m = fb.len();
        for f in fb {
            self.b_wire.push(f.clone());
            if deliver_to_a {
                self.a.handle_message(self.now, f);
            }
        }
        self.drain();
        n + m
    }

    fn run(&mut self, rounds: usize) {
        for _ in 0..rounds {
            if self.round(None, true) == 0 {
                break;
            }
        }
    }
}

fn received(events: &[SessionEvent]) -> Vec<&sip_msrp::IncomingMessage> {
    events
        .iter()
        .filter_map(|e| match e {
            SessionEvent::MessageReceived(m) => Some(m),
            _ => None,
        })
        .collect()
}

#[test]
fn multi_megabyte_payload_in_chunks_with_success_report() {
    let cfg = SessionConfig {
        chunk_size: 64 * 1024,
        ..SessionConfig::default()
    };
    let mut sim = Sim::new(cfg.clone(), cfg);
    let data = payload(5 * 1024 * 1024 + 123);
    let id = sim
        .alice()
        .send_message(
            OutgoingMessage::new("application/octet-stream", data.clone())
                .with_success_report(true),
        )
        .unwrap();
    sim.run(1000);
    let got = received(&sim.b_events);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].message_id, id);
    assert_eq!(got[0].body, data);
    assert_eq!(got[0].size, data.len() as u64);
    let chunks = sim
        .a_wire
        .iter()
        .filter(|m| m.method() == Some(&Method::Send))
        .count();
    assert_eq!(chunks, data.len().div_ceil(64 * 1024));
    assert!(sim.a_wire.iter().all(|m| m.body.len() <= 64 * 1024));
    assert!(sim.a_events.contains(&SessionEvent::MessageSent {
        message_id: id.clone()
    }));
    assert!(sim.a_events.contains(&SessionEvent::MessageAcknowledged {
        message_id: id.clone()
    }));
    assert!(sim.a_events.iter().any(|e| matches!(e,
        SessionEvent::Delivered { message_id, complete: true, range } if *message_id == id && range.total == Some(data.len() as u64))));
    assert_eq!(sim.alice().pending_transactions(), 0);
    assert_eq!(sim.alice().poll_timeout(), None);
}

#[test]
fn chunks_arriving_in_any_order_are_reassembled() {
    let cfg = SessionConfig {
        chunk_size: 1000,
        ..SessionConfig::default()
    };
    let mut sim = Sim::new(cfg.clone(), cfg);
    let data = payload(100_000);
    let data2 = payload(33_333).slice(7..);
    sim.alice()
        .send_message(OutgoingMessage::new("text/plain", data.clone()))
        .unwrap();
    sim.alice()
        .send_message(OutgoingMessage::new("text/plain", data2.clone()))
        .unwrap();
    let mut rng = StdRng::seed_from_u64(42);
    for _ in 0..100 {
        if sim.round(Some(&mut rng), true) == 0 {
            break;
        }
    }
    let got = received(&sim.b_events);
    assert_eq!(got.len(), 2);
    let mut bodies: Vec<Bytes> = got.iter().map(|m| m.body.clone()).collect();
    bodies.sort_by_key(|b| b.len());
    assert_eq!(bodies, vec![data2, data]);
    // The chunks really were out of order on the wire.
    let starts: Vec<u64> = sim
        .a_wire
        .iter()
        .filter_map(|m| m.headers.byte_range.map(|r| r.start))
        .collect();
    assert!(starts.windows(2).any(|w| w[0] > w[1]));
}

#[test]
fn chunks_of_several_messages_are_interleaved() {
    let cfg = SessionConfig {
        chunk_size: 100,
        ..SessionConfig::default()
    };
    let mut sim = Sim::new(cfg.clone(), cfg);
    let id1 = sim
        .alice()
        .send_message(OutgoingMessage::new("text/plain", payload(500)))
        .unwrap();
    let id2 = sim
        .alice()
        .send_message(OutgoingMessage::new("text/plain", payload(300)))
        .unwrap();
    let now = sim.now;
    let frames = Sim::frames(&mut sim.a, now, 6);
    let ids: Vec<&str> = frames
        .iter()
        .map(|m| m.headers.message_id.as_deref().unwrap())
        .collect();
    assert_eq!(ids, vec![&id1[..], &id2, &id1, &id2, &id1, &id2]);
    assert_eq!(frames[5].continuation, sip_msrp::Continuation::End);
    assert_eq!(frames[4].continuation, sip_msrp::Continuation::More);
}

#[test]
fn aborted_message_is_dropped_by_the_receiver() {
    let cfg = SessionConfig {
        chunk_size: 1000,
        ..SessionConfig::default()
    };
    let mut sim = Sim::new(cfg.clone(), cfg);
    let id = sim
        .alice()
        .send_message(OutgoingMessage::new("text/plain", payload(10_000)).with_success_report(true))
        .unwrap();
    let now = sim.now;
    for f in Sim::frames(&mut sim.a, now, 3) {
        sim.b.handle_message(now, f);
    }
    sim.alice().abort(&id).unwrap();
    sim.run(10);
    let abort: Vec<&MsrpMessage> = sim
        .a_wire
        .iter()
        .filter(|m| m.continuation == sip_msrp::Continuation::Abort)
        .collect();
    assert_eq!(abort.len(), 1);
    assert!(sim.b_events.contains(&SessionEvent::MessageAborted {
        message_id: id.clone()
    }));
    assert!(received(&sim.b_events).is_empty());
    assert!(
        !sim.a_events
            .iter()
            .any(|e| matches!(e, SessionEvent::Delivered { .. }))
    );
    assert_eq!(sim.alice().queued_messages(), 0);
    // Aborting a message that was never sent just drops it.
    let id2 = sim
        .alice()
        .send_message(OutgoingMessage::new("text/plain", "x"))
        .unwrap();
    sim.alice().abort(&id2).unwrap();
    assert_eq!(sim.alice().queued_messages(), 0);
    assert!(sim.alice().abort("nosuchmessage").is_err());
}

#[test]
fn unsupported_type_fails_with_415_and_stops_sending() {
    let a_cfg = SessionConfig {
        chunk_size: 100,
        max_pending_transactions: 1,
        ..SessionConfig::default()
    };
    let b_cfg = SessionConfig {
        accept_types: vec!["text/*".into(), "message/cpim".into()],
        ..SessionConfig::default()
    };
    let mut sim = Sim::new(a_cfg, b_cfg);
    let id = sim
        .alice()
        .send_message(OutgoingMessage::new("image/png", payload(1000)))
        .unwrap();
    sim.run(20);
    assert!(sim.a_events.contains(&SessionEvent::DeliveryFailed {
        message_id: id,
        code: 415,
        reason: "Unsupported Media Type".into()
    }));
    assert_eq!(sim.a_wire.len(), 1, "the rest of the message is not sent");
    assert!(received(&sim.b_events).is_empty());
    assert!(
        sim.b_events
            .iter()
            .any(|e| matches!(e, SessionEvent::RequestRejected { code: 415, .. }))
    );
}

#[test]
fn too_large_message_gets_413_and_a_failure_report() {
    let a_cfg = SessionConfig {
        chunk_size: 1000,
        ..SessionConfig::default()
    };
    let b_cfg = SessionConfig {
        max_incoming_size: 2500,
        ..SessionConfig::default()
    };
    let mut sim = Sim::new(a_cfg, b_cfg);
    // A message whose total is not announced: the sender streams it (Byte-Range n-*/*).
    let id = sim
        .alice()
        .send_message(OutgoingMessage::new("text/plain", payload(5000)))
        .unwrap();
    let now = sim.now;
    let mut frames = Sim::frames(&mut sim.a, now, 5);
    for f in &mut frames {
        if let Some(r) = &mut f.headers.byte_range {
            r.total = None;
        }
    }
    for f in frames {
        sim.b.handle_message(now, f);
    }
    let fb = Sim::frames(&mut sim.b, now, usize::MAX);
    let codes: Vec<Option<u16>> = fb
        .iter()
        .filter(|m| m.code().is_some())
        .map(|m| m.code())
        .collect();
    assert_eq!(
        codes,
        vec![Some(200), Some(200), Some(413), Some(413), Some(413)]
    );
    let report = fb
        .iter()
        .find(|m| m.method() == Some(&Method::Report))
        .expect("failure REPORT");
    assert_eq!(report.headers.status.as_ref().map(|s| s.code), Some(413));
    assert_eq!(report.headers.message_id.as_deref(), Some(id.as_str()));
    for f in fb {
        sim.a.handle_message(now, f);
    }
    sim.drain();
    let failures: Vec<&SessionEvent> = sim
        .a_events
        .iter()
        .filter(|e| matches!(e, SessionEvent::DeliveryFailed { .. }))
        .collect();
    assert_eq!(failures.len(), 1, "one failure per message: {failures:?}");
}

#[test]
fn transaction_timeout_is_a_local_408_on_virtual_time() {
    let cfg = SessionConfig {
        chunk_size: 100,
        ..SessionConfig::default()
    };
    let mut sim = Sim::new(cfg.clone(), cfg);
    let t0 = sim.now;
    let id = sim
        .alice()
        .send_message(OutgoingMessage::new("text/plain", payload(250)))
        .unwrap();
    sim.round(None, false); // b's responses are lost
    assert_eq!(sim.alice().pending_transactions(), 3);
    assert_eq!(sim.a.poll_timeout(), Some(t0 + Duration::from_secs(30)));
    sim.a.handle_timeout(t0 + Duration::from_millis(29_999));
    sim.drain();
    assert!(
        sim.a_events
            .iter()
            .all(|e| !matches!(e, SessionEvent::DeliveryFailed { .. }))
    );
    sim.a.handle_timeout(t0 + Duration::from_secs(30));
    sim.drain();
    let failed: Vec<&SessionEvent> = sim
        .a_events
        .iter()
        .filter(|e| matches!(e, SessionEvent::DeliveryFailed { .. }))
        .collect();
    assert_eq!(
        failed,
        vec![&SessionEvent::DeliveryFailed {
            message_id: id,
            code: 408,
            reason: "Request Timeout".into()
        }]
    );
    assert_eq!(sim.alice().pending_transactions(), 0);
    assert_eq!(sim.a.poll_timeout(), None);
}

#[test]
fn pending_transactions_bound_the_sending_window() {
    let cfg = SessionConfig {
        chunk_size: 10,
        max_pending_transactions: 4,
        ..SessionConfig::default()
    };
    let mut sim = Sim::new(cfg.clone(), cfg);
    sim.alice()
        .send_message(OutgoingMessage::new("text/plain", payload(100)))
        .unwrap();
    let now = sim.now;
    assert_eq!(Sim::frames(&mut sim.a, now, usize::MAX).len(), 4);
    assert_eq!(Sim::frames(&mut sim.a, now, usize::MAX).len(), 0);
    // Failure-Report: partial needs no responses, so no window.
    sim.alice()
        .send_message(
            OutgoingMessage::new("text/plain", payload(100))
                .with_failure_report(FailureReport::Partial),
        )
        .unwrap();
    assert_eq!(
        Sim::frames(&mut sim.a, now, usize::MAX).len(),
        0,
        "still blocked by the first"
    );
}

#[test]
fn failure_report_partial_and_no_suppress_200_responses() {
    let mut sim = Sim::new(SessionConfig::default(), SessionConfig::default());
    let id = sim
        .alice()
        .send_message(
            OutgoingMessage::new("text/plain", "hi")
                .with_failure_report(FailureReport::Partial)
                .with_success_report(true),
        )
        .unwrap();
    sim.alice()
        .send_message(
            OutgoingMessage::new("text/plain", "ho").with_failure_report(FailureReport::No),
        )
        .unwrap();
    sim.run(10);
    assert_eq!(received(&sim.b_events).len(), 2);
    assert!(
        sim.b_wire.iter().all(|m| m.code().is_none()),
        "no responses at all"
    );
    assert_eq!(sim.b_wire.len(), 1, "one success REPORT");
    assert!(sim.a_events.iter().any(|e| matches!(e, SessionEvent::Delivered { message_id, complete: true, .. } if *message_id == id)));
    assert_eq!(
        sim.a.poll_timeout(),
        None,
        "no timer without expected responses"
    );
}

#[test]
fn duplicate_requests_are_answered_but_delivered_once() {
    let mut sim = Sim::new(SessionConfig::default(), SessionConfig::default());
    sim.alice()
        .send_message(OutgoingMessage::new("text/plain", "once"))
        .unwrap();
    let now = sim.now;
    let frames = Sim::frames(&mut sim.a, now, usize::MAX);
    assert_eq!(frames.len(), 1);
    sim.b.handle_message(now, frames[0].clone());
    sim.b.handle_message(now, frames[0].clone());
    // The same message again under a new transaction (a relay retrying).
    let mut again = frames[0].clone();
    again.transaction_id = "retry0001".into();
    sim.b.handle_message(now, again);
    let fb = Sim::frames(&mut sim.b, now, usize::MAX);
    assert_eq!(fb.iter().filter(|m| m.code() == Some(200)).count(), 3);
    sim.drain();
    assert_eq!(received(&sim.b_events).len(), 1);
}

#[test]
fn session_matching_by_path() {
    let mut sim = Sim::new(SessionConfig::default(), SessionConfig::default());
    let now = sim.now;
    let (au, bu) = uris();
    // To an unknown session on b's connection.
    let mut unknown = MsrpMessage::request(
        "tx000001",
        Method::Send,
        vec![MsrpUri::new(false, "127.0.0.1", 7001, "nobody")],
        vec![au.clone()],
    );
    unknown.headers.message_id = Some("m0000001".into());
    sim.b.handle_message(now, unknown.clone());
    sim.drain();
    let ConnectionEvent::UnknownSession { message } = sim.b_other.pop().unwrap() else {
        panic!()
    };
    sim.b.reject_unknown(&message);
    let fb = Sim::frames(&mut sim.b, now, usize::MAX);
    assert_eq!(fb[0].code(), Some(481));
    assert_eq!(fb[0].headers.to_path, vec![au.clone()]);
    // From someone who is not the session's peer.
    let stranger = MsrpUri::new(false, "127.0.0.1", 9999, "mallory1");
    let mut forged =
        MsrpMessage::request("tx000002", Method::Send, vec![bu.clone()], vec![stranger]);
    forged.headers.message_id = Some("m0000002".into());
    forged.headers.content_type = Some("text/plain".into());
    forged.body = Bytes::from_static(b"evil");
    sim.b.handle_message(now, forged);
    let fb = Sim::frames(&mut sim.b, now, usize::MAX);
    assert_eq!(fb[0].code(), Some(403));
    sim.drain();
    assert!(received(&sim.b_events).is_empty());
    // An unknown method.
    let mut other =
        MsrpMessage::request("tx000003", Method::Other("FOO".into()), vec![bu], vec![au]);
    other.headers.message_id = Some("m0000003".into());
    sim.b.handle_message(now, other);
    assert_eq!(
        Sim::frames(&mut sim.b, now, usize::MAX)[0].code(),
        Some(501)
    );
}

#[test]
fn chunk_mode_with_per_chunk_success_reports() {
    let a_cfg = SessionConfig {
        chunk_size: 4096,
        ..SessionConfig::default()
    };
    let b_cfg = SessionConfig {
        incoming_mode: IncomingMode::Chunks,
        success_report_per_chunk: true,
        ..SessionConfig::default()
    };
    let mut sim = Sim::new(a_cfg, b_cfg);
    let data = payload(20_000);
    let id = sim
        .alice()
        .send_message(
            OutgoingMessage::new("application/octet-stream", data.clone())
                .with_success_report(true),
        )
        .unwrap();
    sim.run(50);
    let mut rebuilt = Vec::new();
    for e in &sim.b_events {
        if let SessionEvent::ChunkReceived(c) = e {
            assert_eq!(c.start as usize, rebuilt.len() + 1);
            assert_eq!(c.total, Some(20_000));
            rebuilt.extend_from_slice(&c.data);
        }
    }
    assert_eq!(rebuilt, data);
    let done = received(&sim.b_events);
    assert_eq!(done.len(), 1);
    assert!(done[0].body.is_empty());
    assert_eq!(done[0].size, 20_000);
    let delivered: Vec<bool> = sim
        .a_events
        .iter()
        .filter_map(|e| match e {
            SessionEvent::Delivered {
                message_id,
                complete,
                ..
            } if *message_id == id => Some(*complete),
            _ => None,
        })
        .collect();
    assert_eq!(delivered, vec![false, false, false, false, true]);
}

#[test]
fn bodiless_send_binds_without_an_event() {
    let mut sim = Sim::new(SessionConfig::default(), SessionConfig::default());
    sim.alice().send_bodiless().unwrap();
    sim.run(5);
    assert_eq!(sim.a_wire.len(), 1);
    assert!(sim.a_wire[0].body.is_empty());
    assert!(sim.b_events.is_empty());
    assert!(sim.b_wire.is_empty(), "Failure-Report: no");
}

#[test]
fn closing_fails_queued_messages() {
    let mut sim = Sim::new(SessionConfig::default(), SessionConfig::default());
    let id = sim
        .alice()
        .send_message(OutgoingMessage::new("text/plain", "late"))
        .unwrap();
    sim.alice().close();
    assert!(
        sim.alice()
            .send_message(OutgoingMessage::new("text/plain", "x"))
            .is_err()
    );
    sim.drain();
    assert_eq!(
        sim.a_events,
        vec![SessionEvent::DeliveryFailed {
            message_id: id,
            code: 481,
            reason: "Session closed".into()
        }]
    );
}

#[test]
fn removing_a_session_still_sends_its_queued_responses() {
    let mut sim = Sim::new(SessionConfig::default(), SessionConfig::default());
    sim.alice()
        .send_message(OutgoingMessage::new("text/plain", "last words"))
        .unwrap();
    let now = sim.now;
    for f in Sim::frames(&mut sim.a, now, usize::MAX) {
        sim.b.handle_message(now, f);
    }
    // Bob's application drops the session before the 200 was written.
    let mut bob = sim.b.remove_session("bobsession").unwrap();
    bob.close();
    let fb = Sim::frames(&mut sim.b, now, usize::MAX);
    assert_eq!(fb.len(), 1);
    assert_eq!(fb[0].code(), Some(200));
    for f in fb {
        sim.a.handle_message(now, f);
    }
    sim.drain();
    assert!(
        sim.a_events
            .iter()
            .any(|e| matches!(e, SessionEvent::MessageAcknowledged { .. }))
    );
}

/// A message whose chunks stop arriving is dropped after `incoming_timeout` (virtual time),
/// its memory freed, the sender told with a 408 failure REPORT; a message that keeps coming
/// is not.
#[test]
fn incomplete_incoming_message_expires_on_virtual_time() {
    let a_cfg = SessionConfig {
        chunk_size: 100,
        ..SessionConfig::default()
    };
    let b_cfg = SessionConfig {
        incoming_timeout: Some(Duration::from_secs(10)),
        ..SessionConfig::default()
    };
    let mut sim = Sim::new(a_cfg, b_cfg);
    let t0 = sim.now;
    let id = sim
        .alice()
        .send_message(OutgoingMessage::new("text/plain", payload(1000)))
        .unwrap();
    // Only the first three chunks get through; the rest are lost.
    let frames = Sim::frames(&mut sim.a, t0, usize::MAX);
    assert_eq!(frames.len(), 10);
    for f in frames.into_iter().take(3) {
        sim.b.handle_message(t0, f);
    }
    sim.drain();
    let bob = sim.b.session_mut("bobsession").unwrap();
    assert_eq!(bob.incoming_in_progress(), 1);
    assert_eq!(bob.incoming_buffered_bytes(), 300);
    assert_eq!(sim.b.poll_timeout(), Some(t0 + Duration::from_secs(10)));
    // Not yet.
    sim.b.handle_timeout(t0 + Duration::from_millis(9_999));
    sim.drain();
    assert_eq!(
        sim.b
            .session_mut("bobsession")
            .unwrap()
            .incoming_in_progress(),
        1
    );
    sim.b.handle_timeout(t0 + Duration::from_secs(10));
    sim.drain();
    let bob = sim.b.session_mut("bobsession").unwrap();
    assert_eq!(bob.incoming_in_progress(), 0);
    assert_eq!(bob.incoming_buffered_bytes(), 0);
    assert_eq!(sim.b.poll_timeout(), None);
    assert!(sim.b_events.contains(&SessionEvent::IncomingExpired {
        message_id: id.clone(),
        received: 300
    }));
    // The sender learns it with a failure REPORT (408) for the message.
    let out = Sim::frames(&mut sim.b, t0 + Duration::from_secs(10), usize::MAX);
    let report = out
        .iter()
        .find(|m| m.method() == Some(&Method::Report))
        .expect("failure REPORT");
    assert_eq!(report.headers.message_id.as_deref(), Some(id.as_str()));
    assert_eq!(report.headers.status.as_ref().map(|s| s.code), Some(408));
    for f in out {
        sim.a.handle_message(t0 + Duration::from_secs(10), f);
    }
    sim.drain();
    assert!(sim.a_events.iter().any(|e| matches!(
        e,
        SessionEvent::DeliveryFailed { message_id, code: 408, .. } if *message_id == id
    )));
}

/// Each new chunk restarts the incoming timer, so a slow but steady message completes.
#[test]
fn incoming_timer_restarts_with_every_chunk() {
    let a_cfg = SessionConfig {
        chunk_size: 100,
        ..SessionConfig::default()
    };
    let b_cfg = SessionConfig {
        incoming_timeout: Some(Duration::from_secs(10)),
        ..SessionConfig::default()
    };
    let mut sim = Sim::new(a_cfg, b_cfg);
    let t0 = sim.now;
    sim.alice()
        .send_message(OutgoingMessage::new("text/plain", payload(500)))
        .unwrap();
    let frames = Sim::frames(&mut sim.a, t0, usize::MAX);
    for (k, f) in frames.into_iter().enumerate() {
        let now = t0 + Duration::from_secs(8 * k as u64);
        sim.b.handle_timeout(now);
        sim.b.handle_message(now, f);
    }
    sim.drain();
    assert!(
        !sim.b_events
            .iter()
            .any(|e| matches!(e, SessionEvent::IncomingExpired { .. }))
    );
    assert_eq!(received(&sim.b_events).len(), 1);
    assert_eq!(received(&sim.b_events)[0].body, payload(500));
}

/// A streamed message: the session holds at most STREAM_WINDOW_CHUNKS chunks of it, sends only
/// what was fed, and the receiver gets the same bytes as from a whole body.
#[test]
fn streamed_message_is_sent_as_fed_with_bounded_memory() {
    let cfg = SessionConfig {
        chunk_size: 100,
        ..SessionConfig::default()
    };
    let mut sim = Sim::new(cfg.clone(), cfg);
    let data = payload(1234);
    let id = sim
        .alice()
        .send_message(OutgoingMessage::streamed("application/octet-stream", 1234))
        .unwrap();
    // Nothing fed: nothing to send.
    assert_eq!(sim.round(None, true), 0);
    let window = sip_msrp::STREAM_WINDOW_CHUNKS * 100;
    assert_eq!(sim.alice().stream_wanted(&id), Some(window));
    let mut fed = 0;
    let mut rounds = 0;
    while fed < data.len() {
        // Feed in odd-sized pieces, as much as the session takes.
        let wanted = sim.alice().stream_wanted(&id).unwrap();
        assert!(wanted <= window);
        let n = wanted.min(37).min(data.len() - fed);
        if n > 0 {
            sim.alice().feed(&id, data.slice(fed..fed + n)).unwrap();
            fed += n;
        }
        assert!(sim.alice().stream_buffered_bytes() <= window);
        // More than it takes is refused.
        let over = sim.alice().stream_wanted(&id).unwrap() + 1;
        if fed + over <= data.len() {
            assert!(sim.alice().feed(&id, data.slice(fed..fed + over)).is_err());
        }
        sim.round(None, true);
        rounds += 1;
        assert!(rounds < 1000);
    }
    sim.run(10);
    assert_eq!(sim.alice().stream_wanted(&id), None);
    let got = received(&sim.b_events);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body, data);
    assert!(
        sim.a_events
            .contains(&SessionEvent::MessageAcknowledged { message_id: id })
    );
}
