//! The answers a user agent server owes before dialog logic: 400/505, 405, 416, 420, 489, 415,
//! 481, 482 and 503, from realistic raw requests.

use std::time::{Duration, Instant};

use sip_core::ParseError;
use sip_core::header::{HeaderName, RetryAfter};
use sip_core::message::{Method, Request, Response, SipMessage};
use sip_core::uas::{
    MergedRequestDetector, OverloadGuard, RequestPolicy, UasConfigError, no_such_transaction,
    reject_malformed,
};

const VIA: &str = "SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8";
const FROM: &str = "Alice <sip:alice@atlanta.example.com>;tag=1928301774";
const TO: &str = "Bob <sip:bob@biloxi.example.com>";
const CALL_ID: &str = "a84b4c76e66710@pc33.atlanta.example.com";

/// A request with the given start line, extra header lines (each ending in CRLF) and body.
fn raw_request(start: &str, method: &str, extra: &str, body: &str) -> String {
    format!(
        "{start}\r\n\
Via: {VIA}\r\n\
Max-Forwards: 70\r\n\
To: {TO}\r\n\
From: {FROM}\r\n\
Call-ID: {CALL_ID}\r\n\
CSeq: 314159 {method}\r\n\
Contact: <sip:alice@pc33.atlanta.example.com>\r\n\
{extra}\
Content-Length: {}\r\n\
\r\n\
{body}",
        body.len()
    )
}

fn request(method: &str, extra: &str) -> Request {
    let raw = raw_request(
        &format!("{method} sip:bob@biloxi.example.com SIP/2.0"),
        method,
        extra,
        "",
    );
    parse_valid(&raw)
}

fn parse_valid(raw: &str) -> Request {
    let msg = SipMessage::parse(raw.to_owned().into_bytes()).expect("request parses");
    msg.validate().expect("request is valid");
    msg.as_request().expect("a request").clone()
}

fn tag() -> String {
    "uas-tag-77".to_owned()
}

fn no_tag() -> String {
    panic!("a To tag was asked for although the request has one")
}

/// The error that parsing and validating `raw` reports.
fn fault(raw: &[u8]) -> ParseError {
    match SipMessage::parse(raw.to_vec()) {
        Err(e) => e,
        Ok(msg) => msg.validate().expect_err("the message is malformed"),
    }
}

/// The response on the wire, parsed back.
fn reparse(resp: &Response) -> SipMessage {
    let wire = resp.to_bytes();
    let msg = SipMessage::parse(wire).expect("generated response parses");
    assert!(!msg.is_request());
    assert_eq!(msg.headers().get_str(&HeaderName::ContentLength), Some("0"));
    msg
}

/// Parses and validates the response, and checks its To tag.
fn assert_wire_valid(resp: &Response, expected_tag: &str) {
    let msg = reparse(resp);
    let core = msg.validate().expect("generated response validates");
    assert_eq!(core.to.tag(), Some(expected_tag));
}

fn header(resp: &Response, name: HeaderName) -> &str {
    resp.headers()
        .get_str(&name)
        .unwrap_or_else(|| panic!("{name} is present"))
}

/// The lines Via, From, Call-ID and CSeq appear byte for byte; To starts with the raw value.
fn assert_core_lines_copied(resp: &Response, via: &str, cseq: &str) {
    let wire = String::from_utf8(resp.to_bytes().to_vec()).unwrap();
    for line in [
        format!("\r\nVia: {via}\r\n"),
        format!("\r\nFrom: {FROM}\r\n"),
        format!("\r\nCall-ID: {CALL_ID}\r\n"),
        format!("\r\nCSeq: {cseq}\r\n"),
        format!("\r\nTo: {TO};tag=uas-tag-77\r\n"),
    ] {
        assert!(wire.contains(&line), "{line:?} missing from {wire}");
    }
}

// ---------------------------------------------------------------------------------------------
// 400 / 505 for malformed requests
// ---------------------------------------------------------------------------------------------

#[test]
fn malformed_via_gets_400_naming_via_with_lines_copied() {
    let bad_via = "SIP/2.0 pc33.atlanta.example.com;branch=z9hG4bKnashds8";
    let raw = raw_request(
        "INVITE sip:bob@biloxi.example.com SIP/2.0",
        "INVITE",
        "",
        "",
    )
    .replace(VIA, bad_via);
    let err = fault(raw.as_bytes());
    let resp = reject_malformed(raw.as_bytes(), &err, tag).expect("answered");
    assert_eq!(resp.status().code(), 400);
    assert!(
        resp.reason().starts_with("Bad Request - "),
        "{}",
        resp.reason()
    );
    assert!(resp.reason().contains("Via header"), "{}", resp.reason());
    assert_core_lines_copied(&resp, bad_via, "314159 INVITE");
    // The response parses; it repeats the client's Via, so it cannot validate better than the
    // request did.
    let back = reparse(&resp);
    assert_eq!(back.validate().unwrap_err().element, err.element);
}

#[test]
fn bad_content_length_gets_400_naming_content_length() {
    let raw = raw_request(
        "MESSAGE sip:bob@biloxi.example.com SIP/2.0",
        "MESSAGE",
        "",
        "",
    )
    .replace("Content-Length: 0", "Content-Length: 12abc");
    let err = SipMessage::parse(raw.clone().into_bytes()).unwrap_err();
    let resp = reject_malformed(raw.as_bytes(), &err, tag).expect("answered");
    assert_eq!(resp.status().code(), 400);
    assert_eq!(
        resp.reason(),
        format!(
            "Bad Request - invalid Content-Length header at byte {}: syntax error",
            err.offset
        )
    );
    assert_core_lines_copied(&resp, VIA, "314159 MESSAGE");
    assert_wire_valid(&resp, "uas-tag-77");
}

#[test]
fn content_length_beyond_the_datagram_gets_400() {
    let raw = raw_request(
        "MESSAGE sip:bob@biloxi.example.com SIP/2.0",
        "MESSAGE",
        "",
        "",
    )
    .replace("Content-Length: 0", "Content-Length: 500");
    let err = SipMessage::parse(raw.clone().into_bytes()).unwrap_err();
    let resp = reject_malformed(raw.as_bytes(), &err, tag).expect("answered");
    assert_eq!(resp.status().code(), 400);
    assert!(
        resp.reason().contains("Content-Length 500"),
        "{}",
        resp.reason()
    );
    assert_wire_valid(&resp, "uas-tag-77");
}

#[test]
fn bad_cseq_gets_400_naming_cseq_with_cseq_copied() {
    let raw = raw_request(
        "OPTIONS sip:bob@biloxi.example.com SIP/2.0",
        "OPTIONS",
        "",
        "",
    )
    .replace("CSeq: 314159 OPTIONS", "CSeq: OPTIONS 314159");
    let err = fault(raw.as_bytes());
    let resp = reject_malformed(raw.as_bytes(), &err, tag).expect("answered");
    assert_eq!(resp.status().code(), 400);
    assert!(resp.reason().contains("CSeq header"), "{}", resp.reason());
    assert_core_lines_copied(&resp, VIA, "OPTIONS 314159");
    reparse(&resp);
}

#[test]
fn cseq_method_mismatch_gets_400_that_validates() {
    let raw = raw_request("BYE sip:bob@biloxi.example.com SIP/2.0", "INVITE", "", "");
    let err = fault(raw.as_bytes());
    let resp = reject_malformed(raw.as_bytes(), &err, tag).expect("answered");
    assert_eq!(resp.status().code(), 400);
    assert!(
        resp.reason().contains("inconsistent CSeq method"),
        "{}",
        resp.reason()
    );
    assert_wire_valid(&resp, "uas-tag-77");
}

#[test]
fn malformed_request_uri_still_gets_400() {
    let raw = raw_request("INVITE sip:bob@[::1 SIP/2.0", "INVITE", "", "");
    let err = fault(raw.as_bytes());
    let resp = reject_malformed(raw.as_bytes(), &err, tag).expect("answered");
    assert_eq!(resp.status().code(), 400);
    assert_core_lines_copied(&resp, VIA, "314159 INVITE");
    assert_wire_valid(&resp, "uas-tag-77");
}

#[test]
fn sip_3_0_gets_505() {
    let raw = raw_request(
        "INVITE sip:bob@biloxi.example.com SIP/3.0",
        "INVITE",
        "",
        "",
    );
    let err = fault(raw.as_bytes());
    assert_eq!(err.status_code(), 505);
    let resp = reject_malformed(raw.as_bytes(), &err, tag).expect("answered");
    assert_eq!(resp.status().code(), 505);
    assert!(resp.reason().starts_with("Version Not Supported"));
    assert!(resp.to_bytes().starts_with(b"SIP/2.0 505 "));
    assert_wire_valid(&resp, "uas-tag-77");
}

#[test]
fn garbage_gets_no_response() {
    let cases: [&[u8]; 5] = [
        b"",
        b"\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        b"hello world\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
    ];
    for raw in cases {
        let err = SipMessage::parse(raw.to_vec()).unwrap_err();
        assert!(reject_malformed(raw, &err, tag).is_none(), "{raw:?}");
    }
}

#[test]
fn request_without_via_gets_no_response() {
    let raw = raw_request(
        "OPTIONS sip:bob@biloxi.example.com SIP/2.0",
        "OPTIONS",
        "",
        "",
    )
    .replace(&format!("Via: {VIA}\r\n"), "");
    let err = fault(raw.as_bytes());
    assert!(reject_malformed(raw.as_bytes(), &err, tag).is_none());
}

#[test]
fn malformed_responses_get_no_response() {
    let raw = format!(
        "SIP/2.0 2OO OK\r\nVia: {VIA}\r\nTo: {TO};tag=8321234356\r\nFrom: {FROM}\r\n\
Call-ID: {CALL_ID}\r\nCSeq: 314159 INVITE\r\nContent-Length: 0\r\n\r\n"
    );
    let err = SipMessage::parse(raw.clone().into_bytes()).unwrap_err();
    assert!(reject_malformed(raw.as_bytes(), &err, tag).is_none());
    let bad_cl = raw
        .replace("2OO", "200")
        .replace("Content-Length: 0", "Content-Length: x");
    let err = SipMessage::parse(bad_cl.clone().into_bytes()).unwrap_err();
    assert!(reject_malformed(bad_cl.as_bytes(), &err, tag).is_none());
}

#[test]
fn malformed_ack_gets_no_response() {
    let raw = raw_request("ACK sip:bob@biloxi.example.com SIP/2.0", "ACK", "", "")
        .replace("Content-Length: 0", "Content-Length: zero");
    let err = SipMessage::parse(raw.clone().into_bytes()).unwrap_err();
    assert!(reject_malformed(raw.as_bytes(), &err, tag).is_none());
}

#[test]
fn malformed_in_dialog_request_keeps_its_to_tag() {
    let raw = raw_request("BYE sip:bob@biloxi.example.com SIP/2.0", "BYE", "", "")
        .replace(&format!("To: {TO}"), &format!("To: {TO};tag=a6c85cf"))
        .replace("Content-Length: 0", "Content-Length: -1");
    let err = SipMessage::parse(raw.clone().into_bytes()).unwrap_err();
    let resp = reject_malformed(raw.as_bytes(), &err, no_tag).expect("answered");
    assert_eq!(header(&resp, HeaderName::To), format!("{TO};tag=a6c85cf"));
    assert_wire_valid(&resp, "a6c85cf");
}

// ---------------------------------------------------------------------------------------------
// RequestPolicy: 405, 416, 420, 489, 415
// ---------------------------------------------------------------------------------------------

fn presence_policy() -> RequestPolicy {
    RequestPolicy::new()
        .allow_method(Method::Subscribe)
        .allow_method(Method::Notify)
        .allow_method(Method::Publish)
        .support_option_tag("100rel")
        .unwrap()
        .support_event("presence", &["application/pidf+xml"])
        .unwrap()
        .support_event("presence.winfo", &["application/watcherinfo+xml"])
        .unwrap()
}

#[test]
fn unknown_method_gets_405_with_allow() {
    let resp = RequestPolicy::new()
        .check(&request("MESSAGE", ""), tag)
        .unwrap_err();
    assert_eq!(resp.status().code(), 405);
    assert_eq!(resp.reason(), "Method Not Allowed");
    assert_eq!(
        header(&resp, HeaderName::Allow),
        "INVITE, ACK, CANCEL, BYE, OPTIONS"
    );
    assert_wire_valid(&resp, "uas-tag-77");
}

#[test]
fn allowed_request_passes() {
    let policy = presence_policy();
    assert!(
        policy
            .check(&request("INVITE", "Require: 100rel\r\n"), tag)
            .is_ok()
    );
    assert!(
        policy
            .check(&request("SUBSCRIBE", "Event: presence;id=1\r\n"), tag)
            .is_ok()
    );
}

#[test]
fn unsupported_uri_scheme_gets_416() {
    let raw = raw_request(
        "MESSAGE im:bob@biloxi.example.com SIP/2.0",
        "MESSAGE",
        "",
        "",
    );
    let req = parse_valid(&raw);
    let policy = RequestPolicy::new().allow_method(Method::Message);
    let resp = policy.check(&req, tag).unwrap_err();
    assert_eq!(resp.status().code(), 416);
    assert_wire_valid(&resp, "uas-tag-77");
    let policy = policy.accept_uri_scheme("im").unwrap();
    assert!(policy.check(&req, tag).is_ok());
}

#[test]
fn method_is_checked_before_uri_scheme() {
    let raw = raw_request(
        "MESSAGE im:bob@biloxi.example.com SIP/2.0",
        "MESSAGE",
        "",
        "",
    );
    let resp = RequestPolicy::new()
        .check(&parse_valid(&raw), tag)
        .unwrap_err();
    assert_eq!(resp.status().code(), 405);
}

#[test]
fn unknown_required_option_tags_get_420_with_unsupported() {
    let req = request("INVITE", "Require: 100rel, foo\r\nRequire: bar, foo\r\n");
    let resp = presence_policy().check(&req, tag).unwrap_err();
    assert_eq!(resp.status().code(), 420);
    assert_eq!(resp.reason(), "Bad Extension");
    assert_eq!(header(&resp, HeaderName::Unsupported), "foo, bar");
    assert_wire_valid(&resp, "uas-tag-77");
}

#[test]
fn cancel_and_ack_never_get_420() {
    let policy = RequestPolicy::new();
    assert!(
        policy
            .check(&request("CANCEL", "Require: foo\r\n"), tag)
            .is_ok()
    );
    assert!(
        policy
            .check(&request("ACK", "Require: foo\r\n"), tag)
            .is_ok()
    );
}

#[test]
fn malformed_require_gets_400_naming_require() {
    let resp = RequestPolicy::new()
        .check(&request("INVITE", "Require: a/b\r\n"), tag)
        .unwrap_err();
    assert_eq!(resp.status().code(), 400);
    assert!(resp.reason().contains("Require"), "{}", resp.reason());
    assert_wire_valid(&resp, "uas-tag-77");
}

#[test]
fn unsupported_event_package_gets_489_with_allow_events() {
    let policy = presence_policy();
    for method in ["SUBSCRIBE", "NOTIFY", "PUBLISH"] {
        let resp = policy
            .check(&request(method, "Event: dialog\r\n"), tag)
            .unwrap_err();
        assert_eq!(resp.status().code(), 489, "{method}");
        assert_eq!(resp.reason(), "Bad Event");
        assert_eq!(
            header(&resp, HeaderName::AllowEvents),
            "presence, presence.winfo"
        );
        assert_wire_valid(&resp, "uas-tag-77");
    }
}

#[test]
fn publish_without_event_gets_489() {
    let resp = presence_policy()
        .check(&request("PUBLISH", ""), tag)
        .unwrap_err();
    assert_eq!(resp.status().code(), 489);
}

#[test]
fn subscribe_without_event_gets_400() {
    let resp = presence_policy()
        .check(&request("SUBSCRIBE", ""), tag)
        .unwrap_err();
    assert_eq!(resp.status().code(), 400);
    assert_eq!(resp.reason(), "Bad Request - missing Event header");
    assert_wire_valid(&resp, "uas-tag-77");
}

#[test]
fn notify_body_of_a_foreign_type_gets_415_with_accept() {
    let start = "NOTIFY sip:alice@pc33.atlanta.example.com SIP/2.0";
    let wrong = raw_request(
        start,
        "NOTIFY",
        "Event: presence\r\nSubscription-State: active;expires=600\r\nContent-Type: text/plain\r\n",
        "open",
    );
    let resp = presence_policy()
        .check(&parse_valid(&wrong), tag)
        .unwrap_err();
    assert_eq!(resp.status().code(), 415);
    assert_eq!(header(&resp, HeaderName::Accept), "application/pidf+xml");
    assert_wire_valid(&resp, "uas-tag-77");
    let right = wrong.replace("text/plain", "application/PIDF+xml;charset=utf-8");
    assert!(presence_policy().check(&parse_valid(&right), tag).is_ok());
}

#[test]
fn policy_rejects_invalid_configuration() {
    assert!(matches!(
        RequestPolicy::new().support_option_tag("a b"),
        Err(UasConfigError::InvalidToken { .. })
    ));
    assert!(RequestPolicy::new().accept_uri_scheme("1x").is_err());
    assert!(
        RequestPolicy::new()
            .support_event("presence", &["pidf"])
            .is_err()
    );
}

// ---------------------------------------------------------------------------------------------
// 481
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_transaction_gets_481() {
    let resp = no_such_transaction(&request("CANCEL", ""), tag).expect("answered");
    assert_eq!(resp.status().code(), 481);
    assert_eq!(resp.reason(), "Call/Transaction Does Not Exist");
    assert_wire_valid(&resp, "uas-tag-77");
}

#[test]
fn in_dialog_481_keeps_the_to_tag() {
    let raw = raw_request("BYE sip:bob@biloxi.example.com SIP/2.0", "BYE", "", "")
        .replace(&format!("To: {TO}"), &format!("To: {TO};tag=a6c85cf"));
    let resp = no_such_transaction(&parse_valid(&raw), no_tag).expect("answered");
    assert_wire_valid(&resp, "a6c85cf");
}

// ---------------------------------------------------------------------------------------------
// 482
// ---------------------------------------------------------------------------------------------

fn forked(branch: &str, call_id: &str) -> Request {
    let raw = raw_request(
        "INVITE sip:bob@biloxi.example.com SIP/2.0",
        "INVITE",
        "",
        "",
    )
    .replace("z9hG4bKnashds8", branch)
    .replace(CALL_ID, call_id);
    parse_valid(&raw)
}

#[test]
fn forked_duplicate_within_window_gets_482() {
    let t0 = Instant::now();
    let mut detector = MergedRequestDetector::default();
    assert!(
        detector
            .check(t0, &forked("z9hG4bKa", CALL_ID), tag)
            .is_ok()
    );
    // A retransmission over the same path passes (the transaction layer absorbs it).
    let t1 = t0 + Duration::from_millis(500);
    assert!(
        detector
            .check(t1, &forked("z9hG4bKa", CALL_ID), tag)
            .is_ok()
    );
    let resp = detector
        .check(t1, &forked("z9hG4bKb", CALL_ID), tag)
        .unwrap_err();
    assert_eq!(resp.status().code(), 482);
    assert_eq!(resp.reason(), "Loop Detected");
    assert_wire_valid(&resp, "uas-tag-77");
}

#[test]
fn forked_duplicate_after_expiry_passes() {
    let t0 = Instant::now();
    let mut detector = MergedRequestDetector::new(Duration::from_secs(32), 16).unwrap();
    assert!(
        detector
            .check(t0, &forked("z9hG4bKa", CALL_ID), tag)
            .is_ok()
    );
    let later = t0 + Duration::from_secs(32);
    assert!(
        detector
            .check(later, &forked("z9hG4bKb", CALL_ID), tag)
            .is_ok()
    );
    // The late copy is now the remembered one.
    let resp = detector.check(later, &forked("z9hG4bKa", CALL_ID), tag);
    assert_eq!(resp.unwrap_err().status().code(), 482);
}

#[test]
fn window_follows_t1() {
    let detector = MergedRequestDetector::with_t1(Duration::from_millis(250));
    assert_eq!(detector.window(), Duration::from_secs(16));
}

#[test]
fn in_dialog_requests_are_not_merged() {
    let t0 = Instant::now();
    let mut detector = MergedRequestDetector::default();
    let in_dialog = |branch: &str| {
        let raw = raw_request(
            "INVITE sip:bob@biloxi.example.com SIP/2.0",
            "INVITE",
            "",
            "",
        )
        .replace("z9hG4bKnashds8", branch)
        .replace(&format!("To: {TO}"), &format!("To: {TO};tag=a6c85cf"));
        parse_valid(&raw)
    };
    assert!(detector.check(t0, &in_dialog("z9hG4bKa"), tag).is_ok());
    assert!(detector.check(t0, &in_dialog("z9hG4bKb"), tag).is_ok());
    assert!(detector.is_empty());
}

#[test]
fn detector_memory_is_bounded_oldest_first() {
    let t0 = Instant::now();
    let mut detector = MergedRequestDetector::new(Duration::from_secs(32), 3).unwrap();
    for i in 0..10 {
        let r = forked("z9hG4bKa", &format!("call-{i}@example.com"));
        assert!(detector.check(t0, &r, tag).is_ok());
        assert!(detector.len() <= 3);
    }
    // The oldest keys were forgotten; the newest is remembered.
    assert!(
        detector
            .check(t0, &forked("z9hG4bKb", "call-0@example.com"), tag)
            .is_ok()
    );
    assert!(
        detector
            .check(t0, &forked("z9hG4bKb", "call-9@example.com"), tag)
            .is_err()
    );
}

#[test]
fn purge_forgets_expired_keys() {
    let t0 = Instant::now();
    let mut detector = MergedRequestDetector::default();
    for i in 0..5 {
        let r = forked("z9hG4bKa", &format!("call-{i}@example.com"));
        detector.check(t0, &r, tag).unwrap();
    }
    detector.purge(t0 + Duration::from_secs(31));
    assert_eq!(detector.len(), 5);
    detector.purge(t0 + MergedRequestDetector::DEFAULT_WINDOW);
    assert!(detector.is_empty());
    assert!(MergedRequestDetector::new(Duration::from_secs(1), 0).is_err());
}

// ---------------------------------------------------------------------------------------------
// 503
// ---------------------------------------------------------------------------------------------

#[test]
fn requests_beyond_the_pending_limit_get_503_with_retry_after() {
    let mut guard = OverloadGuard::new(2, 30).unwrap();
    let invite = request("INVITE", "");
    guard.started();
    assert!(guard.check(&invite, tag).is_ok());
    guard.started();
    let resp = guard.check(&invite, tag).unwrap_err();
    assert_eq!(resp.status().code(), 503);
    assert_eq!(resp.reason(), "Service Unavailable");
    let retry: RetryAfter = resp.headers().typed_first().unwrap().unwrap();
    assert_eq!(retry.seconds, 30);
    assert_wire_valid(&resp, "uas-tag-77");
    // CANCEL still passes; finishing a transaction admits again.
    assert!(guard.check(&request("CANCEL", ""), tag).is_ok());
    guard.finished();
    assert!(guard.check(&invite, tag).is_ok());
    guard.set_pending(7);
    assert!(guard.check(&invite, tag).is_err());
    assert!(OverloadGuard::new(0, 30).is_err());
}

// ---------------------------------------------------------------------------------------------
// ACK
// ---------------------------------------------------------------------------------------------

#[test]
fn ack_is_never_answered() {
    let ack = request("ACK", "Require: foo\r\n");
    let raw = raw_request("ACK sip:bob@biloxi.example.com SIP/2.0", "ACK", "", "");
    let t0 = Instant::now();
    assert!(RequestPolicy::new().check(&ack, no_tag).is_ok());
    assert!(
        RequestPolicy::new()
            .accept_uri_scheme("im")
            .unwrap()
            .check(&ack, no_tag)
            .is_ok()
    );
    assert!(no_such_transaction(&ack, no_tag).is_none());
    let mut detector = MergedRequestDetector::default();
    assert!(detector.check(t0, &ack, no_tag).is_ok());
    assert!(detector.is_empty());
    let mut guard = OverloadGuard::new(1, 5).unwrap();
    guard.started();
    assert!(guard.check(&ack, no_tag).is_ok());
    let err = ParseError::syntax(sip_core::Element::HeaderValue("Contact"), 0);
    assert!(reject_malformed(raw.as_bytes(), &err, no_tag).is_none());
}

// ---------------------------------------------------------------------------------------------
// Arbitrary input
// ---------------------------------------------------------------------------------------------

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_and_answers_parse(
        raw in proptest::collection::vec(proptest::num::u8::ANY, 0..512)
    ) {
        if let Err(err) = SipMessage::parse(raw.clone())
            && let Some(resp) = reject_malformed(&raw, &err, tag)
        {
            reparse(&resp);
        }
    }

    #[test]
    fn damaged_requests_get_answers_that_parse(cut in 0usize..400, byte in proptest::num::u8::ANY) {
        let mut raw = raw_request("INVITE sip:bob@biloxi.example.com SIP/2.0", "INVITE", "", "")
            .into_bytes();
        let at = cut % raw.len();
        raw[at] = byte;
        let err = match SipMessage::parse(raw.clone()) {
            Err(e) => e,
            Ok(msg) => match msg.validate() {
                Err(e) => e,
                Ok(_) => return Ok(()),
            },
        };
        if let Some(resp) = reject_malformed(&raw, &err, tag) {
            proptest::prop_assert!(resp.status().code() >= 400);
            reparse(&resp);
        }
    }
}
