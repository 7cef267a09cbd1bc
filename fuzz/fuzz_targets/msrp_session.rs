//! Fuzzes the MSRP session machine with arbitrary sequences of commands, network input and
//! time steps on two connected endpoints. Nothing may panic, and the counters must stay
//! consistent.

#![no_main]

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use sip_msrp::{
    ConnectionEvent, FailureReport, IncomingMode, Limits, MsrpConnection, MsrpSession, MsrpUri, OutgoingMessage,
    SessionConfig, SessionEvent,
};

fuzz_target!(|data: &[u8]| {
    let a_uri = MsrpUri::new(false, "127.0.0.1", 7000, "aaaa");
    let b_uri = MsrpUri::new(false, "127.0.0.1", 7001, "bbbb");
    let limits = Limits {
        max_head: 2048,
        max_headers: 16,
        max_body: 2048,
    };
    let cfg = |mode| SessionConfig {
        chunk_size: 7,
        max_pending_transactions: 3,
        max_queued_messages: 8,
        max_incoming_size: 4096,
        max_incoming_in_progress: 4,
        incoming_mode: mode,
        success_report_per_chunk: data.len() % 2 == 0,
        accept_types: vec!["text/*".into()],
        ..SessionConfig::default()
    };
    let mut a = MsrpConnection::new(limits);
    let mut b = MsrpConnection::new(limits);
    a.add_session(MsrpSession::new(cfg(IncomingMode::Reassemble), a_uri.clone(), vec![b_uri.clone()], 1));
    b.add_session(MsrpSession::new(cfg(IncomingMode::Chunks), b_uri, vec![a_uri], 2));
    let mut now = Instant::now();
    let mut ids: Vec<String> = Vec::new();
    let mut a_buf = BytesMut::new();
    let mut b_buf = BytesMut::new();
    let mut b_broken = false;
    let mut i = 0;
    while i < data.len() {
        let op = data[i];
        i += 1;
        let arg = data.get(i).copied().unwrap_or(0);
        match op % 8 {
            0 => {
                i += 1;
                let body = Bytes::from(vec![b'x'; arg as usize]);
                let fr = match arg % 3 {
                    0 => FailureReport::Yes,
                    1 => FailureReport::Partial,
                    _ => FailureReport::No,
                };
                let ct = if arg % 5 == 0 { "image/png" } else { "text/plain" };
                let msg = OutgoingMessage::new(ct, body).with_failure_report(fr).with_success_report(arg % 2 == 0);
                if let Ok(id) = a.session_mut("aaaa").unwrap().send_message(msg) {
                    ids.push(id);
                }
            }
            1 => {
                // a → b, possibly dropping some frames.
                let mut out = BytesMut::new();
                let mut n = 0;
                while n < 16 && a.poll_transmit(now, &mut out) {
                    n += 1;
                }
                if arg % 4 != 0 && !b_broken {
                    b_buf.extend_from_slice(&out);
                    b_broken = b.handle_input(now, &mut b_buf).is_err();
                }
            }
            2 => {
                let mut out = BytesMut::new();
                let mut n = 0;
                while n < 16 && b.poll_transmit(now, &mut out) {
                    n += 1;
                }
                a_buf.extend_from_slice(&out);
                let _ = a.handle_input(now, &mut a_buf);
            }
            3 => {
                // Raw hostile bytes into b.
                i += 1;
                let len = (arg as usize).min(data.len() - i.min(data.len()));
                if !b_broken {
                    b_buf.extend_from_slice(&data[i.min(data.len())..(i + len).min(data.len())]);
                    b_broken = b.handle_input(now, &mut b_buf).is_err();
                }
                i += len;
            }
            4 => {
                i += 1;
                now += Duration::from_secs(u64::from(arg));
                a.handle_timeout(now);
                b.handle_timeout(now);
            }
            5 => {
                i += 1;
                if let Some(id) = ids.get(arg as usize % ids.len().max(1)) {
                    let _ = a.session_mut("aaaa").unwrap().abort(id);
                }
            }
            6 => {
                while let Some(e) = b.poll_event() {
                    if let ConnectionEvent::UnknownSession { message } = e {
                        b.reject_unknown(&message);
                    }
                }
            }
            _ => {
                while let Some(e) = a.poll_event() {
                    if let ConnectionEvent::Session {
                        event: SessionEvent::MessageReceived(m),
                        ..
                    } = e
                    {
                        assert!(m.size <= 4096);
                    }
                }
            }
        }
        let s = a.session_mut("aaaa").unwrap();
        assert!(s.pending_transactions() <= 3);
        if s.pending_transactions() > 0 {
            assert!(a.poll_timeout().is_some());
        }
    }
});
