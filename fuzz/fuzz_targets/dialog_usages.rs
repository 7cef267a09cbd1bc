//! Fuzzes what a dialog does with what the network sends it: `Dialog` creation and in-dialog
//! requests and responses, and an incoming `InviteSession` fed arbitrary requests, responses,
//! answers of its own and time. The input is split at `|||` into SIP messages; the first that is
//! an INVITE starts the session. Nothing may panic, every output must be drained, and no timer
//! may be left overdue after `handle_timeout`.

#![no_main]

use std::time::{Duration, Instant};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use sip_core::dialog::Dialog;
use sip_core::header::{Contact, NameAddr};
use sip_core::invitation::{ClientTxId, InviteSession, ServerTxId, SessionConfig};
use sip_core::message::{Method, SipMessage};
use sip_core::sdp::FrozenSdpSession;
use sip_core::uri::Uri;

const ANSWER: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

fn drain(session: &mut InviteSession) {
    let mut n = 0;
    while session.poll_output().is_some() {
        n += 1;
        assert!(n < 10_000, "the session keeps producing outputs");
    }
}

fuzz_target!(|data: &[u8]| {
    let mut parts = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i + 3 <= data.len() {
        if &data[i..i + 3] == b"|||" {
            parts.push(&data[start..i]);
            start = i + 3;
            i += 3;
        } else {
            i += 1;
        }
    }
    parts.push(&data[start..]);
    let messages: Vec<SipMessage> = parts
        .into_iter()
        .filter_map(|p| SipMessage::parse(Bytes::copy_from_slice(p)).ok())
        .collect();
    let contact = Contact::new(NameAddr::new(
        Uri::parse("sip:us@127.0.0.1:5060").expect("a valid URI"),
    ));

    // Dialogs made from whatever pairs up.
    let mut dialogs = Vec::new();
    for pair in messages.windows(2) {
        if let (Some(req), Some(resp)) = (pair[0].as_request(), pair[1].as_response()) {
            if let Ok(d) = Dialog::uac(req, resp) {
                dialogs.push(d);
            }
        }
        if let Some(req) = pair[0].as_request()
            && let Ok(d) = Dialog::uas(req, "ours", &contact)
        {
            dialogs.push(d);
        }
    }
    for d in &mut dialogs {
        for m in &messages {
            match m {
                SipMessage::Request(r) => {
                    let _ = d.receive_request(r);
                }
                SipMessage::Response(r) => {
                    let _ = d.receive_response(&Method::Invite, r);
                }
            }
        }
        let _ = d.request(Method::Bye).build();
        let _ = d.ack(1).build();
    }

    // An incoming INVITE session driven by the rest.
    let Some(first) = messages
        .iter()
        .position(|m| m.as_request().is_some_and(|r| r.method() == &Method::Invite))
    else {
        return;
    };
    let invite = messages[first].as_request().expect("a request").clone();
    let mut now = Instant::now();
    let mut session = InviteSession::incoming(
        SessionConfig::default(),
        7,
        now,
        ServerTxId(0),
        invite,
        "ours",
    );
    drain(&mut session);
    let answer = FrozenSdpSession::parse(ANSWER).expect("a valid SDP");
    for (i, m) in messages[first + 1..].iter().enumerate() {
        let step = data.get(i).copied().unwrap_or(0);
        now += Duration::from_millis(u64::from(step) * 37);
        match step % 5 {
            0 => {
                let code = [180u16, 183, 200, 486, 603][usize::from(step / 5) % 5];
                let _ = session.send_response(
                    now,
                    code,
                    None,
                    Some(contact.clone()),
                    Some(answer.clone()),
                    Vec::new(),
                );
            }
            1 => {
                let _ = session.end(now, Vec::new(), None);
            }
            _ => {}
        }
        match m {
            SipMessage::Request(r) if r.method() == &Method::Ack => session.handle_ack(now, r.clone()),
            SipMessage::Request(r) if r.method() == &Method::Cancel => {
                session.handle_cancel(now, ServerTxId(0), r.clone())
            }
            SipMessage::Request(r) => session.handle_request(now, ServerTxId(i as u64 + 1), r.clone()),
            SipMessage::Response(r) => {
                session.handle_response(now, ClientTxId(u64::from(step % 4)), r.clone())
            }
        }
        drain(&mut session);
        if let Some(at) = session.poll_timeout() {
            let at = at.max(now);
            session.handle_timeout(at);
            now = at;
            drain(&mut session);
            if let Some(next) = session.poll_timeout() {
                assert!(next > at, "a timer is overdue after handle_timeout");
            }
        }
    }
});
