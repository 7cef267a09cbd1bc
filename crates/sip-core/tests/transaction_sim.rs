//! The RFC 3261 §17 transaction layer on virtual time: exact timer instants with a single layer,
//! and a UAC and a UAS exchanging datagrams over a seeded lossy, duplicating, reordering network.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sip_core::header::{CSeq, HeaderName, ToHeader, Via};
use sip_core::message::{Method, Request, Response, SipMessage, StatusCode};
use sip_core::transaction::{
    Output, Role, Target, TransactionConfig, TransactionError, TransactionEvent, TransactionKey,
    TransactionLayer, TransactionState, TransportKind,
};

const UAC: &str = "192.0.2.1:5060";
const UAS: &str = "192.0.2.2:5060";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A request from the UAC at 192.0.2.1:5060 with the given top-Via branch and parameters.
fn request(method: &str, branch: &str, via_params: &str, transport: &str) -> Request {
    let branch = if branch.is_empty() {
        String::new()
    } else {
        format!(";branch={branch}")
    };
    let raw = format!(
        "{method} sip:bob@192.0.2.2 SIP/2.0\r\n\
         Via: SIP/2.0/{transport} 192.0.2.1:5060{branch}{via_params}\r\n\
         Max-Forwards: 70\r\n\
         Route: <sip:proxy.example.com;lr>\r\n\
         To: <sip:bob@192.0.2.2>\r\n\
         From: <sip:alice@192.0.2.1>;tag=a1\r\n\
         Call-ID: call-1@192.0.2.1\r\n\
         CSeq: 1 {method}\r\n\
         Content-Length: 0\r\n\r\n"
    );
    match SipMessage::parse(raw).unwrap() {
        SipMessage::Request(r) => r,
        SipMessage::Response(_) => unreachable!(),
    }
}

fn udp_request(method: &str) -> Request {
    request(method, "", "", "UDP")
}

fn respond(req: &Request, status: StatusCode) -> Response {
    let b = req.response(status);
    if status == StatusCode::TRYING {
        b.build()
    } else {
        b.to_tag("b1").build()
    }
}

fn reparse(bytes: &Bytes) -> SipMessage {
    SipMessage::parse(bytes.clone()).unwrap()
}

/// Everything one layer produced, stamped with the instant it was drained.
#[derive(Default)]
struct Log {
    transmits: Vec<(Instant, SocketAddr, TransportKind, Bytes)>,
    events: Vec<(Instant, TransactionEvent)>,
}

fn drain(layer: &mut TransactionLayer, now: Instant, log: &mut Log) {
    while let Some(out) = layer.poll_output() {
        match out {
            Output::Transmit {
                destination,
                transport,
                bytes,
            } => log.transmits.push((now, destination, transport, bytes)),
            Output::Event(e) => log.events.push((now, e)),
            _ => {}
        }
    }
}

/// Runs one layer's timers alone until it is idle or `limit` passes.
fn run_alone(layer: &mut TransactionLayer, start: Instant, limit: Duration, log: &mut Log) {
    drain(layer, start, log);
    while let Some(at) = layer.poll_timeout() {
        if at > start + limit {
            break;
        }
        layer.handle_timeout(at);
        drain(layer, at, log);
    }
}

fn offsets(start: Instant, log: &Log) -> Vec<f64> {
    log.transmits
        .iter()
        .map(|(t, ..)| (*t - start).as_secs_f64())
        .collect()
}

fn event_time(start: Instant, log: &Log, f: impl Fn(&TransactionEvent) -> bool) -> Option<f64> {
    log.events
        .iter()
        .find(|(_, e)| f(e))
        .map(|(t, _)| (*t - start).as_secs_f64())
}

fn layer() -> TransactionLayer {
    TransactionLayer::new(TransactionConfig::default(), 1)
}

fn udp_target() -> Target {
    Target::new(addr(UAS), TransportKind::Udp)
}

#[test]
fn invite_client_retransmits_on_timer_a_and_times_out_on_timer_b() {
    let mut uac = layer();
    let start = Instant::now();
    let mut log = Log::default();
    let key = uac
        .send_request(start, udp_request("INVITE"), udp_target())
        .unwrap();
    assert_eq!(uac.state(&key), Some(TransactionState::Calling));
    run_alone(&mut uac, start, Duration::from_secs(100), &mut log);
    assert_eq!(offsets(start, &log), [0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]);
    let timeout = event_time(
        start,
        &log,
        |e| matches!(e, TransactionEvent::Timeout { key: k } if *k == key),
    );
    assert_eq!(timeout, Some(32.0));
    assert!(uac.is_empty());
}

#[test]
fn non_invite_client_retransmits_on_timer_e_capped_at_t2_and_times_out_on_timer_f() {
    let mut uac = layer();
    let start = Instant::now();
    let mut log = Log::default();
    uac.send_request(start, udp_request("OPTIONS"), udp_target())
        .unwrap();
    run_alone(&mut uac, start, Duration::from_secs(100), &mut log);
    assert_eq!(
        offsets(start, &log),
        [0.0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    );
    assert_eq!(
        event_time(start, &log, |e| matches!(
            e,
            TransactionEvent::Timeout { .. }
        )),
        Some(32.0)
    );
    assert!(matches!(
        log.events.last(),
        Some((_, TransactionEvent::Terminated { .. }))
    ));
}

#[test]
fn non_invite_client_retransmits_every_t2_once_proceeding() {
    let mut uac = layer();
    let start = Instant::now();
    let mut log = Log::default();
    uac.send_request(start, udp_request("OPTIONS"), udp_target())
        .unwrap();
    drain(&mut uac, start, &mut log);
    let sent = reparse(&log.transmits[0].3);
    let SipMessage::Request(sent) = sent else {
        panic!()
    };
    let at = start + Duration::from_millis(200);
    uac.handle_message(
        at,
        respond(&sent, StatusCode::TRYING).into(),
        addr(UAS),
        TransportKind::Udp,
    );
    drain(&mut uac, at, &mut log);
    run_alone(&mut uac, start, Duration::from_secs(100), &mut log);
    assert_eq!(
        offsets(start, &log),
        [0.0, 0.5, 4.5, 8.5, 12.5, 16.5, 20.5, 24.5, 28.5]
    );
}

#[test]
fn no_retransmissions_over_tcp() {
    let mut uac = layer();
    let start = Instant::now();
    let mut log = Log::default();
    let tcp = Target::new(addr(UAS), TransportKind::Tcp);
    uac.send_request(start, request("INVITE", "", "", "TCP"), tcp)
        .unwrap();
    uac.send_request(start, request("OPTIONS", "", "", "TCP"), tcp)
        .unwrap();
    run_alone(&mut uac, start, Duration::from_secs(100), &mut log);
    assert_eq!(offsets(start, &log), [0.0, 0.0]);
    let timeouts: Vec<f64> = log
        .events
        .iter()
        .filter(|(_, e)| matches!(e, TransactionEvent::Timeout { .. }))
        .map(|(t, _)| (*t - start).as_secs_f64())
        .collect();
    assert_eq!(timeouts, [32.0, 32.0]);
}

/// Feeds `req` to a fresh UAS layer from the UAC address and returns the new key.
fn uas_with(
    req: &Request,
    now: Instant,
    log: &mut Log,
    transport: TransportKind,
) -> (TransactionLayer, TransactionKey) {
    let mut uas = layer();
    uas.handle_message(now, req.clone().into(), addr(UAC), transport);
    drain(&mut uas, now, log);
    let key = log
        .events
        .iter()
        .find_map(|(_, e)| match e {
            TransactionEvent::Request { key, .. } => Some(key.clone()),
            _ => None,
        })
        .unwrap();
    (uas, key)
}

#[test]
fn invite_server_retransmits_final_on_timer_g_until_timer_h() {
    let start = Instant::now();
    let mut log = Log::default();
    let invite = request("INVITE", "z9hG4bKg1", "", "UDP");
    let (mut uas, key) = uas_with(&invite, start, &mut log, TransportKind::Udp);
    uas.send_response(start, &key, respond(&invite, StatusCode::BUSY_HERE))
        .unwrap();
    run_alone(&mut uas, start, Duration::from_secs(100), &mut log);
    assert_eq!(
        offsets(start, &log),
        [0.0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    );
    assert_eq!(
        event_time(start, &log, |e| matches!(
            e,
            TransactionEvent::AckTimeout { .. }
        )),
        Some(32.0)
    );
    assert!(uas.is_empty());
}

#[test]
fn invite_server_sends_100_trying_after_200_ms_without_tu_answer() {
    let start = Instant::now();
    let mut log = Log::default();
    let invite = request("INVITE", "z9hG4bKt1", "", "UDP");
    let (mut uas, key) = uas_with(&invite, start, &mut log, TransportKind::Udp);
    let at = uas.poll_timeout().unwrap();
    assert_eq!(at - start, Duration::from_millis(200));
    uas.handle_timeout(at);
    drain(&mut uas, at, &mut log);
    let SipMessage::Response(r) = reparse(&log.transmits[0].3) else {
        panic!()
    };
    assert_eq!(r.status(), StatusCode::TRYING);
    // A retransmitted INVITE gets the 100 again, with no new event.
    let events = log.events.len();
    uas.handle_message(at, invite.into(), addr(UAC), TransportKind::Udp);
    drain(&mut uas, at, &mut log);
    assert_eq!(log.transmits.len(), 2);
    assert_eq!(log.events.len(), events);
    assert_eq!(uas.state(&key), Some(TransactionState::Proceeding));
}

#[test]
fn server_absorbs_request_retransmissions_and_resends_last_response() {
    let start = Instant::now();
    let mut log = Log::default();
    let options = request("OPTIONS", "z9hG4bKo1", "", "UDP");
    let (mut uas, key) = uas_with(&options, start, &mut log, TransportKind::Udp);
    // Trying: absorbed silently.
    uas.handle_message(start, options.clone().into(), addr(UAC), TransportKind::Udp);
    drain(&mut uas, start, &mut log);
    assert!(log.transmits.is_empty());
    assert_eq!(log.events.len(), 1);
    uas.send_response(start, &key, respond(&options, StatusCode::OK))
        .unwrap();
    for _ in 0..3 {
        uas.handle_message(start, options.clone().into(), addr(UAC), TransportKind::Udp);
    }
    drain(&mut uas, start, &mut log);
    assert_eq!(log.transmits.len(), 4);
    assert!(log.transmits.iter().all(|t| t.3 == log.transmits[0].3));
    assert_eq!(log.events.len(), 1);
    // A second final response is refused.
    assert_eq!(
        uas.send_response(start, &key, respond(&options, StatusCode::OK)),
        Err(TransactionError::InvalidState)
    );
}

#[test]
fn timer_j_waits_64_t1_over_udp_and_zero_over_tcp() {
    for (transport, expect) in [
        (TransportKind::Udp, Some(32.0)),
        (TransportKind::Tcp, Some(0.0)),
    ] {
        let start = Instant::now();
        let mut log = Log::default();
        let options = request("OPTIONS", "z9hG4bKj1", "", transport.as_str());
        let (mut uas, key) = uas_with(&options, start, &mut log, transport);
        uas.send_response(start, &key, respond(&options, StatusCode::OK))
            .unwrap();
        run_alone(&mut uas, start, Duration::from_secs(100), &mut log);
        let done = event_time(start, &log, |e| {
            matches!(e, TransactionEvent::Terminated { .. })
        });
        assert_eq!(done, expect, "{transport:?}");
    }
}

/// Sends `req` from a UAC layer, answers it with `status` at 100 ms and returns the log.
fn client_gets(
    req: Request,
    transport: TransportKind,
    status: StatusCode,
) -> (Log, Instant, TransactionLayer) {
    let mut uac = layer();
    let start = Instant::now();
    let mut log = Log::default();
    uac.send_request(start, req, Target::new(addr(UAS), transport))
        .unwrap();
    drain(&mut uac, start, &mut log);
    let SipMessage::Request(sent) = reparse(&log.transmits[0].3) else {
        panic!()
    };
    let at = start + Duration::from_millis(100);
    uac.handle_message(at, respond(&sent, status).into(), addr(UAS), transport);
    drain(&mut uac, at, &mut log);
    run_alone(&mut uac, start, Duration::from_secs(100), &mut log);
    (log, start, uac)
}

#[test]
fn timer_k_waits_t4_over_udp_and_zero_over_tcp() {
    let (log, start, _) = client_gets(udp_request("OPTIONS"), TransportKind::Udp, StatusCode::OK);
    let done = event_time(start, &log, |e| {
        matches!(e, TransactionEvent::Terminated { .. })
    });
    assert_eq!(done, Some(5.1));
    let (log, start, _) = client_gets(
        request("OPTIONS", "", "", "TCP"),
        TransportKind::Tcp,
        StatusCode::OK,
    );
    let done = event_time(start, &log, |e| {
        matches!(e, TransactionEvent::Terminated { .. })
    });
    assert_eq!(done, Some(0.1));
}

#[test]
fn invite_client_acks_non_2xx_and_waits_timer_d() {
    let (log, start, _) = client_gets(
        udp_request("INVITE"),
        TransportKind::Udp,
        StatusCode::BUSY_HERE,
    );
    assert_eq!(offsets(start, &log), [0.0, 0.1]);
    let SipMessage::Request(invite) = reparse(&log.transmits[0].3) else {
        panic!()
    };
    let SipMessage::Request(ack) = reparse(&log.transmits[1].3) else {
        panic!()
    };
    assert_eq!(ack.method(), &Method::Ack);
    assert_eq!(ack.uri(), invite.uri());
    let inv_via: Via = invite.headers().typed().unwrap();
    let ack_vias: Vec<Via> = ack.headers().typed_all().unwrap();
    assert_eq!(ack_vias, [inv_via]);
    let cseq: CSeq = ack.headers().typed().unwrap();
    assert_eq!((cseq.seq, cseq.method), (1, Method::Ack));
    let to: ToHeader = ack.headers().typed().unwrap();
    assert_eq!(to.tag(), Some("b1"));
    assert_eq!(
        ack.headers().get_str(&HeaderName::Route),
        Some("<sip:proxy.example.com;lr>")
    );
    assert_eq!(
        ack.headers().get_str(&HeaderName::CallId),
        invite.headers().get_str(&HeaderName::CallId)
    );
    let done = event_time(start, &log, |e| {
        matches!(e, TransactionEvent::Terminated { .. })
    });
    assert_eq!(done, Some(32.1));
    // Over TCP, Timer D is zero.
    let (log, start, _) = client_gets(
        request("INVITE", "", "", "TCP"),
        TransportKind::Tcp,
        StatusCode::BUSY_HERE,
    );
    let done = event_time(start, &log, |e| {
        matches!(e, TransactionEvent::Terminated { .. })
    });
    assert_eq!(done, Some(0.1));
}

#[test]
fn invite_client_resends_ack_for_retransmitted_final_without_new_event() {
    let mut uac = layer();
    let start = Instant::now();
    let mut log = Log::default();
    let key = uac
        .send_request(start, udp_request("INVITE"), udp_target())
        .unwrap();
    drain(&mut uac, start, &mut log);
    let SipMessage::Request(sent) = reparse(&log.transmits[0].3) else {
        panic!()
    };
    let busy = respond(&sent, StatusCode::BUSY_HERE);
    for _ in 0..3 {
        uac.handle_message(start, busy.clone().into(), addr(UAS), TransportKind::Udp);
    }
    drain(&mut uac, start, &mut log);
    assert_eq!(log.transmits.len(), 4);
    let responses = log
        .events
        .iter()
        .filter(|(_, e)| matches!(e, TransactionEvent::Response { .. }))
        .count();
    assert_eq!(responses, 1);
    assert_eq!(uac.state(&key), Some(TransactionState::Completed));
}

#[test]
fn invite_server_absorbs_ack_for_non_2xx_and_waits_timer_i() {
    for (transport, linger) in [(TransportKind::Udp, 5.0), (TransportKind::Tls, 0.0)] {
        let start = Instant::now();
        let mut log = Log::default();
        let invite = request("INVITE", "z9hG4bKi1", "", transport.as_str());
        let (mut uas, key) = uas_with(&invite, start, &mut log, transport);
        uas.send_response(start, &key, respond(&invite, StatusCode::BUSY_HERE))
            .unwrap();
        let at = start + Duration::from_millis(100);
        let ack = request("ACK", "z9hG4bKi1", "", transport.as_str());
        uas.handle_message(at, ack.clone().into(), addr(UAC), transport);
        uas.handle_message(at, ack.into(), addr(UAC), transport);
        drain(&mut uas, at, &mut log);
        let acks = log
            .events
            .iter()
            .filter(|(_, e)| matches!(e, TransactionEvent::AckReceived { key: k, .. } if *k == key))
            .count();
        assert_eq!(acks, 1);
        run_alone(&mut uas, start, Duration::from_secs(100), &mut log);
        let done = event_time(start, &log, |e| {
            matches!(e, TransactionEvent::Terminated { .. })
        });
        assert_eq!(done, Some(0.1 + linger), "{transport:?}");
        assert!(
            !log.events
                .iter()
                .any(|(_, e)| matches!(e, TransactionEvent::AckTimeout { .. }))
        );
    }
}

#[test]
fn invite_2xx_enters_accepted_absorbs_retransmissions_and_ack_goes_to_dialog() {
    let start = Instant::now();
    let mut log = Log::default();
    let invite = request("INVITE", "z9hG4bKa1", "", "UDP");
    let (mut uas, key) = uas_with(&invite, start, &mut log, TransportKind::Udp);
    let ok = respond(&invite, StatusCode::OK);
    uas.send_response(start, &key, ok.clone()).unwrap();
    assert_eq!(uas.state(&key), Some(TransactionState::Accepted));
    // The TU retransmits the 2xx through the transaction; retransmitted INVITEs are absorbed.
    uas.send_response(start, &key, ok).unwrap();
    uas.handle_message(start, invite.into(), addr(UAC), TransportKind::Udp);
    // The ACK for a 2xx has its own branch and reaches the TU as a stray ACK.
    let ack = request("ACK", "z9hG4bKother", "", "UDP");
    uas.handle_message(start, ack.into(), addr(UAC), TransportKind::Udp);
    drain(&mut uas, start, &mut log);
    assert_eq!(log.transmits.len(), 2);
    assert!(matches!(
        log.events.last(),
        Some((_, TransactionEvent::StrayAck { .. }))
    ));
    run_alone(&mut uas, start, Duration::from_secs(100), &mut log);
    let done = event_time(start, &log, |e| {
        matches!(e, TransactionEvent::Terminated { .. })
    });
    assert_eq!(done, Some(32.0));

    // The client passes every 2xx up while Accepted (Timer M), and sends no ACK itself.
    let mut uac = layer();
    let mut log = Log::default();
    let key = uac
        .send_request(start, udp_request("INVITE"), udp_target())
        .unwrap();
    drain(&mut uac, start, &mut log);
    let SipMessage::Request(sent) = reparse(&log.transmits[0].3) else {
        panic!()
    };
    let ok = respond(&sent, StatusCode::OK);
    uac.handle_message(start, ok.clone().into(), addr(UAS), TransportKind::Udp);
    uac.handle_message(start, ok.into(), addr(UAS), TransportKind::Udp);
    drain(&mut uac, start, &mut log);
    assert_eq!(uac.state(&key), Some(TransactionState::Accepted));
    assert_eq!(log.transmits.len(), 1);
    let oks = log
        .events
        .iter()
        .filter(|(_, e)| matches!(e, TransactionEvent::Response { response, .. } if response.status() == StatusCode::OK))
        .count();
    assert_eq!(oks, 2);
    run_alone(&mut uac, start, Duration::from_secs(100), &mut log);
    assert_eq!(
        event_time(start, &log, |e| matches!(
            e,
            TransactionEvent::Terminated { .. }
        )),
        Some(32.0)
    );
}

#[test]
fn cancel_gets_its_own_transaction_and_names_the_invite() {
    let start = Instant::now();
    let mut log = Log::default();
    let invite = request("INVITE", "z9hG4bKc1", "", "UDP");
    let (mut uas, invite_key) = uas_with(&invite, start, &mut log, TransportKind::Udp);
    let cancel = request("CANCEL", "z9hG4bKc1", "", "UDP");
    uas.handle_message(start, cancel.clone().into(), addr(UAC), TransportKind::Udp);
    let stray_cancel = request("CANCEL", "z9hG4bKnone", "", "UDP");
    uas.handle_message(start, stray_cancel.into(), addr(UAC), TransportKind::Udp);
    drain(&mut uas, start, &mut log);
    let cancels: Vec<_> = log
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            TransactionEvent::Cancel { key, invite, .. } => Some((key.clone(), invite.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(cancels.len(), 2);
    assert_eq!(cancels[0].0.method(), &Method::Cancel);
    assert_ne!(cancels[0].0, invite_key);
    assert_eq!(cancels[0].1.as_ref(), Some(&invite_key));
    assert_eq!(cancels[1].1, None);
    uas.send_response(start, &cancels[0].0, respond(&cancel, StatusCode::OK))
        .unwrap();
    uas.send_response(
        start,
        &invite_key,
        respond(&invite, StatusCode::REQUEST_TERMINATED),
    )
    .unwrap();
    assert_eq!(uas.state(&invite_key), Some(TransactionState::Completed));

    // On the client side the CANCEL reuses the INVITE branch yet is a separate transaction.
    let mut uac = layer();
    let inv_key = uac
        .send_request(
            start,
            request("INVITE", "z9hG4bKc2", "", "UDP"),
            udp_target(),
        )
        .unwrap();
    let cancel_key = uac
        .send_request(
            start,
            request("CANCEL", "z9hG4bKc2", "", "UDP"),
            udp_target(),
        )
        .unwrap();
    assert_eq!(inv_key.id(), cancel_key.id());
    assert_ne!(inv_key, cancel_key);
    let cancel = request("CANCEL", "z9hG4bKc2", "", "UDP");
    uac.handle_message(
        start,
        respond(&cancel, StatusCode::OK).into(),
        addr(UAS),
        TransportKind::Udp,
    );
    assert_eq!(uac.state(&cancel_key), Some(TransactionState::Completed));
    assert_eq!(uac.state(&inv_key), Some(TransactionState::Calling));
}

#[test]
fn rfc2543_requests_match_without_magic_cookie() {
    let start = Instant::now();
    let mut log = Log::default();
    let invite = request("INVITE", "old1", "", "UDP");
    let (mut uas, key) = uas_with(&invite, start, &mut log, TransportKind::Udp);
    assert_eq!(key.role(), Role::Server);
    uas.send_response(start, &key, respond(&invite, StatusCode::NOT_FOUND))
        .unwrap();
    // The retransmitted INVITE matches and gets the 404 again.
    uas.handle_message(start, invite.clone().into(), addr(UAC), TransportKind::Udp);
    // A CANCEL matches the INVITE.
    uas.handle_message(
        start,
        request("CANCEL", "old1", "", "UDP").into(),
        addr(UAC),
        TransportKind::Udp,
    );
    // The ACK matches even though its To carries our tag.
    let mut ack = request("ACK", "old1", "", "UDP");
    let mut to: ToHeader = ack.headers().typed().unwrap();
    to.set_tag("b1");
    ack.headers_mut().set_typed(&to);
    uas.handle_message(start, ack.into(), addr(UAC), TransportKind::Udp);
    drain(&mut uas, start, &mut log);
    assert_eq!(log.transmits.len(), 2);
    assert!(
        log.events.iter().any(
            |(_, e)| matches!(e, TransactionEvent::Cancel { invite: Some(k), .. } if *k == key)
        )
    );
    assert!(
        log.events
            .iter()
            .any(|(_, e)| matches!(e, TransactionEvent::AckReceived { key: k, .. } if *k == key))
    );
    assert_eq!(uas.state(&key), Some(TransactionState::Confirmed));
    // Another Call-ID is another transaction.
    let mut other = request("INVITE", "old1", "", "UDP");
    other
        .headers_mut()
        .set(HeaderName::CallId, "different@192.0.2.1");
    uas.handle_message(start, other.into(), addr(UAC), TransportKind::Udp);
    drain(&mut uas, start, &mut log);
    assert!(matches!(
        log.events.last(),
        Some((_, TransactionEvent::Request { key: k, .. })) if *k != key
    ));
}

#[test]
fn responses_follow_via_received_and_rport() {
    // (Via parameters, transport, source, expected destination, expect received)
    let cases = [
        (
            "",
            TransportKind::Udp,
            "192.0.2.1:5060",
            "192.0.2.1:5060",
            false,
        ),
        (
            "",
            TransportKind::Udp,
            "198.51.100.7:40000",
            "198.51.100.7:5060",
            true,
        ),
        (
            ";rport",
            TransportKind::Udp,
            "198.51.100.7:40000",
            "198.51.100.7:40000",
            true,
        ),
        (
            ";rport",
            TransportKind::Udp,
            "192.0.2.1:6000",
            "192.0.2.1:6000",
            false,
        ),
        (
            "",
            TransportKind::Tcp,
            "198.51.100.7:40001",
            "198.51.100.7:40001",
            true,
        ),
        (
            "",
            TransportKind::Tls,
            "198.51.100.7:40002",
            "198.51.100.7:40002",
            true,
        ),
    ];
    for (params, transport, source, expect, received) in cases {
        let now = Instant::now();
        let mut uas = layer();
        let req = request("OPTIONS", "z9hG4bKr1", params, transport.as_str());
        uas.handle_message(now, req.into(), addr(source), transport);
        let Some(Output::Event(TransactionEvent::Request { key, request, .. })) = uas.poll_output()
        else {
            panic!()
        };
        let via: Via = request.headers().typed().unwrap();
        assert_eq!(via.received().is_some(), received, "{params} {source}");
        if params == ";rport" {
            assert_eq!(via.rport(), Some(Some(addr(source).port())));
        }
        uas.send_response(now, &key, respond(&request, StatusCode::OK))
            .unwrap();
        let Some(Output::Transmit {
            destination,
            transport: t,
            bytes,
        }) = uas.poll_output()
        else {
            panic!()
        };
        assert_eq!(
            (destination, t),
            (addr(expect), transport),
            "{params} {source}"
        );
        // The response echoes the stamped Via.
        let resp_via: Via = reparse(&bytes).headers().typed().unwrap();
        assert_eq!(resp_via, via);
    }
    // TLS without rport or received goes to sent-by's default port 5061.
    let mut uas = layer();
    let raw = "OPTIONS sips:bob@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/TLS 192.0.2.9;branch=z9hG4bKtls\r\n\
               To: <sips:bob@192.0.2.2>\r\nFrom: <sips:a@192.0.2.9>;tag=1\r\nCall-ID: t\r\n\
               CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    let msg = SipMessage::parse(raw).unwrap();
    let now = Instant::now();
    uas.handle_message(now, msg, addr("192.0.2.9:5061"), TransportKind::Udp);
    let Some(Output::Event(TransactionEvent::Request { key, request, .. })) = uas.poll_output()
    else {
        panic!()
    };
    uas.send_response(now, &key, respond(&request, StatusCode::OK))
        .unwrap();
    let Some(Output::Transmit { destination, .. }) = uas.poll_output() else {
        panic!()
    };
    assert_eq!(destination, addr("192.0.2.9:5060"));
}

#[test]
fn overload_refuses_new_client_requests_and_flags_new_server_requests() {
    let now = Instant::now();
    let mut l = TransactionLayer::new(TransactionConfig::default().with_max_transactions(1), 3);
    l.send_request(now, udp_request("OPTIONS"), udp_target())
        .unwrap();
    assert_eq!(
        l.send_request(now, udp_request("MESSAGE"), udp_target()),
        Err(TransactionError::Overloaded)
    );
    l.handle_message(
        now,
        request("INVITE", "z9hG4bKov", ";rport", "UDP").into(),
        addr("198.51.100.1:7000"),
        TransportKind::Udp,
    );
    let mut overloaded = None;
    while let Some(out) = l.poll_output() {
        if let Output::Event(TransactionEvent::Overloaded {
            request, reply_to, ..
        }) = out
        {
            overloaded = Some((request, reply_to));
        }
    }
    let (request, reply_to) = overloaded.unwrap();
    assert_eq!(
        reply_to,
        Target::new(addr("198.51.100.1:7000"), TransportKind::Udp)
    );
    assert_eq!(l.len(), 1);
    l.send_stateless(reply_to, respond(&request, StatusCode::SERVICE_UNAVAILABLE));
    assert!(
        matches!(l.poll_output(), Some(Output::Transmit { destination, .. }) if destination == reply_to.addr)
    );
}

#[test]
fn stray_responses_and_malformed_messages_are_reported() {
    let now = Instant::now();
    let mut l = layer();
    let req = request("OPTIONS", "z9hG4bKnobody", "", "UDP");
    l.handle_message(
        now,
        respond(&req, StatusCode::OK).into(),
        addr(UAS),
        TransportKind::Udp,
    );
    assert!(matches!(
        l.poll_output(),
        Some(Output::Event(TransactionEvent::StrayResponse { .. }))
    ));
    let mut bad = req.clone();
    bad.headers_mut().remove_all(&HeaderName::CSeq);
    l.handle_message(now, bad.into(), addr(UAC), TransportKind::Udp);
    assert!(matches!(
        l.poll_output(),
        Some(Output::Event(TransactionEvent::Malformed { .. }))
    ));
    assert!(l.is_empty());
    assert_eq!(
        l.send_request(now, udp_request("ACK"), udp_target()),
        Err(TransactionError::AckIsNotATransaction)
    );
}

#[test]
fn client_branches_come_from_the_seeded_rng() {
    let now = Instant::now();
    let branch = |seed| {
        let mut l = TransactionLayer::new(TransactionConfig::default(), seed);
        l.send_request(now, udp_request("OPTIONS"), udp_target())
            .unwrap()
            .id()
            .to_owned()
    };
    assert_eq!(branch(5), branch(5));
    assert_ne!(branch(5), branch(6));
    assert!(branch(5).starts_with("z9hG4bK"));
}

// ---- the lossy network simulation ----

struct Packet {
    at: Instant,
    from: SocketAddr,
    to: SocketAddr,
    transport: TransportKind,
    bytes: Bytes,
}

/// A seeded network: UDP datagrams are lost, duplicated and delayed by a random 5–200 ms (so
/// they reorder); TCP arrives after 10 ms, in order.
struct Network {
    rng: StdRng,
    loss: f64,
    dup: f64,
    in_flight: Vec<Packet>,
}

impl Network {
    fn send(
        &mut self,
        now: Instant,
        from: SocketAddr,
        to: SocketAddr,
        transport: TransportKind,
        bytes: Bytes,
    ) {
        if transport.is_reliable() {
            self.in_flight.push(Packet {
                at: now + Duration::from_millis(10),
                from,
                to,
                transport,
                bytes,
            });
            return;
        }
        let copies = if self.rng.random_bool(self.dup) { 2 } else { 1 };
        for _ in 0..copies {
            if self.rng.random_bool(self.loss) {
                continue;
            }
            let delay = Duration::from_millis(self.rng.random_range(5..200));
            self.in_flight.push(Packet {
                at: now + delay,
                from,
                to,
                transport,
                bytes: bytes.clone(),
            });
        }
    }

    fn next(&self) -> Option<Instant> {
        self.in_flight.iter().map(|p| p.at).min()
    }
}

/// A UAC and a UAS; the UAS answers every request at once with `answer(method)` (a
/// provisional then a final for INVITE) and answers CANCEL with 200.
struct Sim {
    now: Instant,
    uac: TransactionLayer,
    uas: TransactionLayer,
    net: Network,
    uac_events: Vec<TransactionEvent>,
    uas_events: Vec<TransactionEvent>,
    final_status: StatusCode,
    /// The UAS TU's 2xx retransmission (RFC 3261 §13.3.1.4): key, response, next instant,
    /// interval; stopped by the ACK.
    retransmit_2xx: Option<(TransactionKey, Response, Instant, Duration)>,
}

impl Sim {
    fn new(seed: u64, loss: f64, dup: f64, final_status: StatusCode) -> Self {
        Sim {
            now: Instant::now(),
            uac: TransactionLayer::new(TransactionConfig::default(), seed),
            uas: TransactionLayer::new(TransactionConfig::default(), seed ^ 0xffff),
            net: Network {
                rng: StdRng::seed_from_u64(seed),
                loss,
                dup,
                in_flight: Vec::new(),
            },
            uac_events: Vec::new(),
            uas_events: Vec::new(),
            final_status,
            retransmit_2xx: None,
        }
    }

    fn drain(&mut self) {
        let now = self.now;
        loop {
            let mut progressed = false;
            while let Some(out) = self.uac.poll_output() {
                progressed = true;
                match out {
                    Output::Transmit {
                        destination,
                        transport,
                        bytes,
                    } => self.net.send(now, addr(UAC), destination, transport, bytes),
                    Output::Event(e) => {
                        // The UAC TU acknowledges every 2xx to INVITE itself.
                        if let TransactionEvent::Response { response, .. } = &e
                            && response.status().is_success()
                            && response.headers().typed::<CSeq>().unwrap().method == Method::Invite
                        {
                            let mut ack = udp_request("ACK");
                            let mut via: Via = ack.headers().typed().unwrap();
                            via.params_mut().set("branch", Some("z9hG4bKack2xx"));
                            ack.headers_mut().set_typed(&via);
                            self.uac.send_stateless(udp_target(), ack);
                        }
                        self.uac_events.push(e)
                    }
                    _ => {}
                }
            }
            while let Some(out) = self.uas.poll_output() {
                progressed = true;
                match out {
                    Output::Transmit {
                        destination,
                        transport,
                        bytes,
                    } => self.net.send(now, addr(UAS), destination, transport, bytes),
                    Output::Event(TransactionEvent::Request { key, request, .. }) => {
                        if request.method() == &Method::Invite {
                            let _ = self.uas.send_response(
                                now,
                                &key,
                                respond(&request, StatusCode::RINGING),
                            );
                        }
                        let answer = respond(&request, self.final_status);
                        let _ = self.uas.send_response(now, &key, answer.clone());
                        if self.final_status.is_success() && request.method() == &Method::Invite {
                            let t1 = self.uas.config().t1;
                            self.retransmit_2xx = Some((key.clone(), answer, now + t1, t1));
                        }
                        self.uas_events.push(TransactionEvent::Request {
                            key,
                            request,
                            source: Target::new(addr(UAC), TransportKind::Udp),
                        });
                    }
                    Output::Event(e) => {
                        if matches!(e, TransactionEvent::StrayAck { .. }) {
                            self.retransmit_2xx = None;
                        }
                        self.uas_events.push(e)
                    }
                    _ => {}
                }
            }
            if !progressed {
                break;
            }
        }
    }

    /// Runs until both layers are idle and the network is empty, at most `limit` steps.
    fn run(&mut self, limit: usize) {
        self.drain();
        for _ in 0..limit {
            let next = [
                self.uac.poll_timeout(),
                self.uas.poll_timeout(),
                self.net.next(),
                self.retransmit_2xx.as_ref().map(|r| r.2),
            ]
            .into_iter()
            .flatten()
            .min();
            let Some(next) = next else { return };
            self.now = self.now.max(next);
            let now = self.now;
            let (due, rest): (Vec<Packet>, Vec<Packet>) = std::mem::take(&mut self.net.in_flight)
                .into_iter()
                .partition(|p| p.at <= now);
            self.net.in_flight = rest;
            for p in due {
                let msg = SipMessage::parse(p.bytes).unwrap();
                let layer = if p.to == addr(UAC) {
                    &mut self.uac
                } else {
                    &mut self.uas
                };
                layer.handle_message(now, msg, p.from, p.transport);
            }
            self.uac.handle_timeout(now);
            self.uas.handle_timeout(now);
            if self.retransmit_2xx.as_ref().is_some_and(|r| r.2 <= now)
                && let Some((key, ok, at, interval)) = self.retransmit_2xx.take()
            {
                // Doubling up to T2; stops when the transaction is gone (Timer L).
                let next = (interval * 2).min(self.uas.config().t2);
                if self.uas.send_response(now, &key, ok.clone()).is_ok() {
                    self.retransmit_2xx = Some((key, ok, at + next, next));
                }
            }
            self.drain();
        }
        panic!("simulation did not settle");
    }
}

fn final_response_seen(events: &[TransactionEvent], key: &TransactionKey) -> bool {
    events.iter().any(|e| matches!(e, TransactionEvent::Response { key: k, response } if k == key && response.status().is_final()))
}

#[test]
fn all_four_transaction_kinds_complete_over_a_lossy_reordering_network() {
    let mut completed = 0;
    for seed in 0..60u64 {
        for (method, status) in [
            ("OPTIONS", StatusCode::OK),
            ("INVITE", StatusCode::BUSY_HERE),
            ("INVITE", StatusCode::OK),
        ] {
            let loss = 0.2 + (seed % 3) as f64 * 0.05;
            let mut sim = Sim::new(seed, loss, 0.2, status);
            let key = sim
                .uac
                .send_request(sim.now, udp_request(method), udp_target())
                .unwrap();
            sim.run(10_000);
            assert!(
                sim.uac.is_empty() && sim.uas.is_empty(),
                "seed {seed} {method} {status} {:?} {:?}",
                sim.uac_events,
                sim.uas_events
            );
            let timed_out = sim
                .uac_events
                .iter()
                .any(|e| matches!(e, TransactionEvent::Timeout { .. }));
            if timed_out {
                // Eleven transmissions all lost is possible but should be rare.
                continue;
            }
            assert!(
                final_response_seen(&sim.uac_events, &key),
                "seed {seed} {method}"
            );
            // One request event however many copies arrived.
            let requests = sim
                .uas_events
                .iter()
                .filter(|e| matches!(e, TransactionEvent::Request { .. }))
                .count();
            assert_eq!(requests, 1, "seed {seed} {method}");
            if method == "INVITE" && status == StatusCode::BUSY_HERE {
                // The server saw the ACK or gave up on Timer H; with ACK retransmission on
                // every retransmitted 486, the ACK nearly always gets through.
                let acked = sim
                    .uas_events
                    .iter()
                    .any(|e| matches!(e, TransactionEvent::AckReceived { .. }));
                let gave_up = sim
                    .uas_events
                    .iter()
                    .any(|e| matches!(e, TransactionEvent::AckTimeout { .. }));
                assert!(acked || gave_up, "seed {seed}");
            }
            completed += 1;
        }
    }
    assert!(completed >= 170, "only {completed} of 180 completed");
}

#[test]
fn transactions_over_tcp_complete_without_retransmission() {
    let mut sim = Sim::new(9, 0.0, 0.0, StatusCode::BUSY_HERE);
    let tcp = Target::new(addr(UAS), TransportKind::Tcp);
    let key = sim
        .uac
        .send_request(sim.now, request("INVITE", "", "", "TCP"), tcp)
        .unwrap();
    let start = sim.now;
    sim.run(1000);
    assert!(final_response_seen(&sim.uac_events, &key));
    assert!(
        sim.uas_events
            .iter()
            .any(|e| matches!(e, TransactionEvent::AckReceived { .. }))
    );
    // Everything settled within a few network delays: Timers D and I are zero over TCP.
    assert!(sim.now - start < Duration::from_millis(100));
}

#[test]
fn timer_g_follows_configured_t1_and_t2() {
    let config = TransactionConfig::default()
        .with_t1(Duration::from_millis(100))
        .with_t2(Duration::from_millis(300));
    let mut uas = TransactionLayer::new(config, 2);
    let start = Instant::now();
    let mut log = Log::default();
    let invite = request("INVITE", "z9hG4bKcfg", "", "UDP");
    uas.handle_message(start, invite.clone().into(), addr(UAC), TransportKind::Udp);
    let key = match uas.poll_output() {
        Some(Output::Event(TransactionEvent::Request { key, .. })) => key,
        other => panic!("{other:?}"),
    };
    uas.send_response(start, &key, respond(&invite, StatusCode::NOT_FOUND))
        .unwrap();
    run_alone(&mut uas, start, Duration::from_secs(10), &mut log);
    let expected: Vec<f64> = [
        0, 100, 300, 600, 900, 1200, 1500, 1800, 2100, 2400, 2700, 3000,
    ]
    .iter()
    .chain(&[
        3300, 3600, 3900, 4200, 4500, 4800, 5100, 5400, 5700, 6000, 6300,
    ])
    .map(|ms| f64::from(*ms) / 1000.0)
    .collect();
    let got: Vec<f64> = offsets(start, &log)
        .iter()
        .map(|s| (s * 1000.0).round() / 1000.0)
        .collect();
    assert_eq!(got, expected);
    assert_eq!(
        event_time(start, &log, |e| matches!(
            e,
            TransactionEvent::AckTimeout { .. }
        )),
        Some(6.4)
    );
}

#[test]
fn late_timeout_call_fires_every_missed_retransmission_once() {
    let mut uac = layer();
    let start = Instant::now();
    let mut log = Log::default();
    uac.send_request(start, udp_request("INVITE"), udp_target())
        .unwrap();
    // The driver oversleeps to 10 s: the retransmissions due at 0.5, 1.5, 3.5 and 7.5 s all
    // go out now, and the next one stays at 15.5 s.
    let late = start + Duration::from_secs(10);
    uac.handle_timeout(late);
    drain(&mut uac, late, &mut log);
    assert_eq!(log.transmits.len(), 5);
    assert_eq!(
        uac.poll_timeout(),
        Some(start + Duration::from_millis(15_500))
    );
}

#[test]
fn send_request_rejects_duplicates_and_cseq_mismatch() {
    let now = Instant::now();
    let mut uac = layer();
    let req = request("OPTIONS", "z9hG4bKdup", "", "UDP");
    uac.send_request(now, req.clone(), udp_target()).unwrap();
    assert_eq!(
        uac.send_request(now, req, udp_target()),
        Err(TransactionError::DuplicateTransaction)
    );
    let mut bad = udp_request("OPTIONS");
    bad.headers_mut().set_typed(&CSeq::new(1, Method::Info));
    assert_eq!(
        uac.send_request(now, bad, udp_target()),
        Err(TransactionError::CSeqMismatch)
    );
    let mut no_via = udp_request("OPTIONS");
    no_via.headers_mut().remove_all(&HeaderName::Via);
    assert!(matches!(
        uac.send_request(now, no_via, udp_target()),
        Err(TransactionError::InvalidRequest(_))
    ));
    assert_eq!(uac.len(), 1);
}

#[test]
fn transport_error_ends_pending_client_transactions_to_that_target_only() {
    let mut uac = layer();
    let start = Instant::now();
    let mut log = Log::default();
    let tls = Target::new(addr(UAS), TransportKind::Tls);
    let other = Target::new(addr("127.0.0.1:5999"), TransportKind::Tls);
    let failed = uac
        .send_request(start, request("OPTIONS", "z9hG4bKte1", "", "TLS"), tls)
        .unwrap();
    let failed_invite = uac
        .send_request(start, request("INVITE", "z9hG4bKte2", "", "TLS"), tls)
        .unwrap();
    let untouched = uac
        .send_request(start, request("OPTIONS", "z9hG4bKte3", "", "TLS"), other)
        .unwrap();
    drain(&mut uac, start, &mut log);
    log.events.clear();

    uac.handle_transport_error(tls, "connection refused");
    drain(&mut uac, start, &mut log);
    let events: Vec<&TransactionEvent> = log.events.iter().map(|(_, e)| e).collect();
    for key in [&failed, &failed_invite] {
        assert!(events.iter().any(|e| matches!(
            e,
            TransactionEvent::TransportError { key: k, reason } if k == key && reason == "connection refused"
        )));
        assert!(
            events
                .iter()
                .any(|e| matches!(e, TransactionEvent::Terminated { key: k } if k == key))
        );
        assert_eq!(uac.state(key), None);
    }
    assert_eq!(uac.state(&untouched), Some(TransactionState::Trying));
    assert_eq!(uac.len(), 1);
}
