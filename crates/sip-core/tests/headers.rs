//! Typed headers read from whole SIP messages: content negotiation, authentication, events,
//! REFER, timers and informational headers; compact forms; list values across lines; canonical
//! printing; error offsets.

use sip_core::digest::{AuthenticationInfo, DigestChallenge};
use sip_core::header::{
    Accept, AcceptEncoding, AcceptLanguage, AlertInfo, Allow, AllowEvents, AuthCredentials,
    Authorization, CallInfo, ContentDisposition, ContentEncoding, ContentId, ContentLanguage, Date,
    ErrorInfo, Event, HeaderName, Headers, InReplyTo, MediaType, MimeVersion, MinSe, NameAddr,
    Organization, Priority, ProxyAuthenticate, ProxyAuthorization, ProxyRequire, RAck, RSeq,
    Reason, ReferSub, ReferTo, ReferredBy, Refresher, Replaces, ReplyTo, Require, RetryAfter,
    Server, ServerVal, ServiceRoute, SessionExpires, SipETag, SipIfMatch, SubState, Subject,
    SubscriptionState, Supported, Timestamp, TypedHeader, Unsupported, UserAgent, Warning, Weekday,
    WwwAuthenticate,
};
use sip_core::message::{Method, Request, Response, SipMessage, StatusCode};
use sip_core::uri::{SipUri, Uri};
use sip_core::{Element, ParseErrorKind};

fn message(extra: &str) -> SipMessage {
    let raw = format!(
        "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
CSeq: 314159 INVITE\r\n\
{extra}\
Content-Length: 0\r\n\r\n"
    );
    SipMessage::parse(raw.into_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn negotiation_headers_from_a_message() {
    let msg = message(
        "Allow: INVITE, ACK, CANCEL,\r\n OPTIONS, BYE\r\n\
Allow: REFER, NOTIFY, SUBSCRIBE\r\n\
k: 100rel, timer\r\n\
Supported: replaces\r\n\
Require: 100rel\r\n\
Proxy-Require: sec-agree\r\n\
Accept: application/sdp;q=1, application/pidf+xml;q=0.5\r\n\
Accept: multipart/*;q=0.1\r\n\
Accept-Encoding: gzip;q=0.8, identity\r\n\
Accept-Language: en-US, fr;q=0.5\r\n\
e: gzip\r\n\
Content-Language: en\r\n\
Content-Disposition: session;handling=optional\r\n\
MIME-Version: 1.0\r\n",
    );
    let h = msg.headers();
    let allow: Vec<Allow> = h.typed_all().unwrap();
    assert_eq!(allow.len(), 8);
    assert_eq!(allow[3], Allow(Method::Options));
    assert_eq!(allow[7], Allow(Method::Subscribe));
    let supported: Vec<Supported> = h.typed_all().unwrap();
    let tags: Vec<&str> = supported.iter().map(Supported::as_str).collect();
    assert_eq!(tags, ["100rel", "timer", "replaces"]);
    assert_eq!(h.typed::<Require>().unwrap().as_str(), "100rel");
    assert_eq!(h.typed::<ProxyRequire>().unwrap().as_str(), "sec-agree");
    let accept: Vec<Accept> = h.typed_all().unwrap();
    assert_eq!(accept.len(), 3);
    assert_eq!(
        accept.iter().map(|a| a.q()).collect::<Vec<_>>(),
        [Some(1000), Some(500), Some(100)]
    );
    let related = MediaType::parse("multipart/related;boundary=x").unwrap();
    assert!(accept[2].matches(&related) && !accept[0].matches(&related));
    let enc: Vec<AcceptEncoding> = h.typed_all().unwrap();
    assert_eq!((&*enc[0].coding, enc[0].q()), ("gzip", Some(800)));
    assert_eq!(enc[1].q(), None);
    let lang: Vec<AcceptLanguage> = h.typed_all().unwrap();
    assert_eq!(lang[1].to_string(), "fr;q=0.5");
    assert_eq!(h.typed::<ContentEncoding>().unwrap().as_str(), "gzip");
    assert_eq!(h.typed::<ContentLanguage>().unwrap().as_str(), "en");
    assert!(h.typed::<ContentDisposition>().unwrap().is_optional());
    assert_eq!(h.typed::<MimeVersion>().unwrap(), MimeVersion::V1_0);
}

#[test]
fn typed_values_round_trip_through_headers() {
    fn check<T: TypedHeader + PartialEq + std::fmt::Debug>(v: T, wire: &str) {
        let mut h = Headers::new();
        h.push_typed(&v);
        assert_eq!(h.get_str(&T::NAME), Some(wire));
        assert_eq!(h.typed::<T>().unwrap(), v);
    }
    check(Event::new("presence").with_id("1"), "presence;id=1");
    check(
        SubscriptionState::terminated(Some("rejected")),
        "terminated;reason=rejected",
    );
    check(
        Replaces::new("abc@h", "t1", "f1").with_early_only(),
        "abc@h;to-tag=t1;from-tag=f1;early-only",
    );
    check(ReferSub::new(false), "false");
    check(RSeq(42), "42");
    check(RAck::new(42, 7, Method::Invite), "42 7 INVITE");
    check(
        SessionExpires::new(1800, Some(Refresher::Uac)),
        "1800;refresher=uac",
    );
    check(MinSe::new(90), "90");
    check(Priority::Urgent, "urgent");
    check(
        Reason::sip(200, Some("Call completed elsewhere")),
        "SIP;cause=200;text=\"Call completed elsewhere\"",
    );
    check(
        Warning::new(399, "proxy.example.com", "ok"),
        "399 proxy.example.com \"ok\"",
    );
    check(RetryAfter::new(30), "30");
    check(Timestamp::from_secs(12.25), "12.250");
    check(
        Date::from_unix(784_111_777).unwrap(),
        "Sun, 06 Nov 1994 08:49:37 GMT",
    );
    check(ContentId::from_id("a@b"), "<a@b>");
    check(SipETag::new("dx200xyz"), "dx200xyz");
    check(SipIfMatch::new("dx200xyz"), "dx200xyz");
    check(Subject::new(""), "");
    check(Organization::new("Example Inc."), "Example Inc.");
    check(ContentDisposition::session(), "session");
    check(Allow(Method::Prack), "PRACK");
    check(Accept::new("application", "sdp"), "application/sdp");
    check(
        CallInfo::new(Uri::parse("http://example.com/a.png").unwrap()),
        "<http://example.com/a.png>",
    );
    check(
        ReplyTo::new(NameAddr::new(SipUri::parse("sip:a@b").unwrap()).with_display("A")),
        "A <sip:a@b>",
    );
    check(
        WwwAuthenticate(DigestChallenge::new("example.com", "n0nce").into()),
        "Digest realm=\"example.com\", nonce=\"n0nce\"",
    );
}

#[test]
fn event_and_refer_headers_from_a_notify() {
    let raw = "NOTIFY sip:alice@pc33.atlanta.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKnashds9\r\n\
Max-Forwards: 70\r\n\
To: <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
From: <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n\
Call-ID: a84b4c76e66710\r\n\
CSeq: 73 NOTIFY\r\n\
o: refer;id=93809824\r\n\
u: presence, dialog\r\n\
Allow-Events: refer\r\n\
Subscription-State: active;expires=60\r\n\
r: <sip:carol@cleveland.example.org?Replaces=425928%40bobster.example.org%3Bto-tag%3D7743%3Bfrom-tag%3D6472>\r\n\
b: <sip:bob@biloxi.example.com>;cid=\"1234@biloxi.example.com\"\r\n\
Refer-Sub: false\r\n\
Content-Length: 0\r\n\r\n";
    let msg = SipMessage::parse(raw.as_bytes().to_vec()).unwrap();
    let h = msg.headers();
    let ev: Event = h.typed().unwrap();
    assert_eq!((&*ev.event_type, ev.id()), ("refer", Some("93809824")));
    let allow: Vec<AllowEvents> = h.typed_all().unwrap();
    assert_eq!(allow.len(), 3);
    let st: SubscriptionState = h.typed().unwrap();
    assert_eq!((&st.state, st.expires()), (&SubState::Active, Some(60)));
    let rt: ReferTo = h.typed().unwrap();
    let rep = rt.replaces().unwrap().unwrap();
    assert_eq!(
        (&*rep.call_id, rep.to_tag(), rep.from_tag()),
        ("425928@bobster.example.org", "7743", "6472")
    );
    let rb: ReferredBy = h.typed().unwrap();
    assert_eq!(rb.cid().unwrap(), "1234@biloxi.example.com");
    assert!(!h.typed::<ReferSub>().unwrap().value);
}

#[test]
fn authentication_headers() {
    let resp = Response::builder(StatusCode::new(407).unwrap())
        .header(
            HeaderName::ProxyAuthenticate,
            "Digest realm=\"atlanta.example.com\", qop=\"auth\",\r\n nonce=\"f84f1cec41e6cbe5aea9c8e88d359\", opaque=\"\", stale=FALSE, algorithm=MD5",
        )
        .header(HeaderName::WwwAuthenticate, "Digest realm=\"b.example.com\", nonce=\"x\"")
        .header(HeaderName::WwwAuthenticate, "Basic realm=\"legacy\"")
        .build();
    let msg = SipMessage::parse(resp.to_bytes()).unwrap();
    let pa: ProxyAuthenticate = msg.headers().typed().unwrap();
    let d = pa.0.as_digest().unwrap();
    assert_eq!(
        (d.realm.as_str(), d.nonce.as_str()),
        ("atlanta.example.com", "f84f1cec41e6cbe5aea9c8e88d359")
    );
    let www: Vec<WwwAuthenticate> = msg.headers().typed_all().unwrap();
    assert_eq!(www.len(), 2);
    assert_eq!(www[1].0.scheme(), "Basic");

    let req = Request::builder(Method::Register, SipUri::parse("sip:example.com").unwrap())
        .header(
            HeaderName::Authorization,
            "Digest username=\"alice\", realm=\"example.com\", nonce=\"abc\", uri=\"sip:example.com\", response=\"0123456789abcdef0123456789abcdef\"",
        )
        .header(HeaderName::ProxyAuthorization, "Bearer eyJhbGciOi.eyJzdWIiOi.sig")
        .header(HeaderName::AuthenticationInfo, "nextnonce=\"next\", qop=auth, rspauth=\"ff\", cnonce=\"c\", nc=00000002")
        .build();
    let h = req.headers();
    let auth: Authorization = h.typed().unwrap();
    assert_eq!(auth.0.as_digest().unwrap().username, "alice");
    let pa: ProxyAuthorization = h.typed().unwrap();
    assert_eq!(
        pa.0,
        AuthCredentials::Other {
            scheme: "Bearer".into(),
            rest: "eyJhbGciOi.eyJzdWIiOi.sig".into()
        }
    );
    let info: AuthenticationInfo = h.typed().unwrap();
    assert_eq!(
        (info.nextnonce.as_deref(), info.nc),
        (Some("next"), Some(2))
    );
}

#[test]
fn informational_headers_from_a_response() {
    let raw = "SIP/2.0 486 Busy Here\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n\
To: <sip:bob@biloxi.example.com>;tag=8321234356\r\n\
From: <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\n\
CSeq: 314159 INVITE\r\n\
Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n\
Retry-After: 120 (in a meeting);duration=1800\r\n\
Warning: 370 biloxi.example.com \"Insufficient bandwidth\", 399 192.0.2.7:5060 \"x\"\r\n\
Warning: 307 pseudonym \"Session parameter 'foo' not understood\"\r\n\
Reason: Q.850;cause=17;text=\"User busy\"\r\n\
Server: BiloxiPBX/2.1 (build 77)\r\n\
User-Agent: softphone/1.0\r\n\
Timestamp: 54 0.3\r\n\
Error-Info: <sip:busy-recording@biloxi.example.com>\r\n\
Alert-Info: <http://www.example.com/sounds/moo.wav>\r\n\
Call-Info: <http://www.example.com/bob/photo.jpg>;purpose=icon,\r\n <http://www.example.com/bob/>;purpose=info\r\n\
In-Reply-To: 70710@saturn.example.com, 17320@saturn.example.com\r\n\
s: Busy\r\n\
Organization: Biloxi Boxes\r\n\
Priority: non-urgent\r\n\
Reply-To: Bob <sip:bob@biloxi.example.com>\r\n\
Service-Route: <sip:orig@scscf.example.com;lr>, <sip:p2@pcscf.example.com;lr>\r\n\
SIP-ETag: dx200xyz\r\n\
SIP-If-Match: dx100xyz\r\n\
Unsupported: foo, bar\r\n\
RSeq: 988789\r\n\
RAck: 776656 1 INVITE\r\n\
x: 1800;refresher=uas\r\n\
Min-SE: 90\r\n\
Content-ID: <x@y>\r\n\
Content-Length: 0\r\n\r\n";
    let msg = SipMessage::parse(raw.as_bytes().to_vec()).unwrap();
    let h = msg.headers();
    let date: Date = h.typed().unwrap();
    assert_eq!(
        (date.weekday, date.year, date.to_unix()),
        (Weekday::Sat, 2010, 1_289_690_940)
    );
    let ra: RetryAfter = h.typed().unwrap();
    assert_eq!(
        (ra.seconds, ra.comment.as_deref(), ra.duration()),
        (120, Some("in a meeting"), Some(1800))
    );
    let w: Vec<Warning> = h.typed_all().unwrap();
    assert_eq!(
        w.iter().map(|w| w.code).collect::<Vec<_>>(),
        [370, 399, 307]
    );
    assert_eq!(&*w[1].agent, "192.0.2.7:5060");
    let reason: Vec<Reason> = h.typed_all().unwrap();
    assert_eq!(
        (reason[0].cause(), reason[0].text().unwrap().as_ref()),
        (Some(17), "User busy")
    );
    let server: Server = h.typed().unwrap();
    assert_eq!(server.products()[1], ServerVal::Comment("build 77"));
    assert_eq!(h.typed::<UserAgent>().unwrap().as_str(), "softphone/1.0");
    let ts: Timestamp = h.typed().unwrap();
    assert_eq!(ts.delay_secs(), Some(0.3));
    assert!(h.typed::<ErrorInfo>().unwrap().uri.as_sip().is_some());
    assert_eq!(h.typed::<AlertInfo>().unwrap().uri.scheme(), "http");
    let ci: Vec<CallInfo> = h.typed_all().unwrap();
    assert_eq!(
        ci.iter().map(|c| c.purpose().unwrap()).collect::<Vec<_>>(),
        ["icon", "info"]
    );
    assert_eq!(h.typed_all::<InReplyTo>().unwrap().len(), 2);
    assert_eq!(h.typed::<Subject>().unwrap().as_str(), "Busy");
    assert_eq!(h.typed::<Organization>().unwrap().as_str(), "Biloxi Boxes");
    assert_eq!(h.typed::<Priority>().unwrap(), Priority::NonUrgent);
    assert_eq!(
        h.typed::<ReplyTo>().unwrap().addr.display_name().unwrap(),
        "Bob"
    );
    assert_eq!(h.typed_all::<ServiceRoute>().unwrap().len(), 2);
    assert_eq!(h.typed::<SipETag>().unwrap().as_str(), "dx200xyz");
    assert_eq!(h.typed::<SipIfMatch>().unwrap().as_str(), "dx100xyz");
    assert_eq!(h.typed_all::<Unsupported>().unwrap().len(), 2);
    assert_eq!(h.typed::<RSeq>().unwrap(), RSeq(988789));
    assert_eq!(
        h.typed::<RAck>().unwrap(),
        RAck::new(776656, 1, Method::Invite)
    );
    let se: SessionExpires = h.typed().unwrap();
    assert_eq!((se.delta, se.refresher()), (1800, Some(Refresher::Uas)));
    assert_eq!(h.typed::<MinSe>().unwrap().delta, 90);
    assert_eq!(h.typed::<ContentId>().unwrap().id(), "x@y");
}

#[test]
fn errors_carry_message_offsets() {
    let msg = message(
        "RSeq: 0\r\nSubscription-State: active;expires=x\r\nDate: Sat, 13 Nov 2010 23:29:00 UTC\r\nWarning: 399 a \"ok\", 39 b \"bad\"\r\n",
    );
    let raw = msg.to_bytes();
    let h = msg.headers();
    let e = h.typed::<RSeq>().unwrap_err();
    assert_eq!(
        (e.kind.clone(), &raw[e.offset..e.offset + 1]),
        (ParseErrorKind::OutOfRange, &b"0"[..])
    );
    let e = h.typed::<SubscriptionState>().unwrap_err();
    assert_eq!(&raw[e.offset..e.offset + 1], b"x");
    let e = h.typed::<Date>().unwrap_err();
    assert_eq!(e.element, Element::HeaderValue("Date"));
    assert_eq!(&raw[e.offset..e.offset + 3], b"UTC");
    let e = h.typed_all::<Warning>().unwrap_err();
    assert_eq!(&raw[e.offset..e.offset + 4], b"39 b");
    assert!(h.typed::<Event>().unwrap_err().kind == ParseErrorKind::MissingHeader("Event"));
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn exercise<T: TypedHeader + PartialEq + std::fmt::Debug>(h: &Headers) {
        // Parsing never panics; whatever parses prints to something that parses again.
        if let Ok(values) = h.typed_all::<T>() {
            for v in values {
                let mut again = Headers::new();
                again.push_typed(&v);
                assert!(again.typed::<T>().is_ok(), "{v:?} printed unparseable");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn header_parsers_never_panic(value in "[ -~\t]{0,40}|[a-zA-Z0-9;=,<>:@\"()./ *-]{0,40}|\\PC{0,20}") {
            let mut h = Headers::new();
            for name in [
                "Accept", "Accept-Encoding", "Accept-Language", "Allow", "Supported", "Require",
                "Proxy-Require", "Unsupported", "Content-Encoding", "Content-Language",
                "Content-Disposition", "Authorization", "Proxy-Authorization", "WWW-Authenticate",
                "Proxy-Authenticate", "Authentication-Info", "Event", "Allow-Events",
                "Subscription-State", "Refer-To", "Referred-By", "Replaces", "Refer-Sub",
                "SIP-ETag", "SIP-If-Match", "User-Agent", "Server", "Subject", "Date",
                "Timestamp", "Retry-After", "Warning", "Reason", "Priority", "RSeq", "RAck",
                "Session-Expires", "Min-SE", "Reply-To", "Organization", "In-Reply-To",
                "Call-Info", "Alert-Info", "Error-Info", "MIME-Version", "Service-Route",
                "Content-ID",
            ] {
                h.push(HeaderName::new(name), value.clone());
            }
            exercise::<Accept>(&h);
            exercise::<AcceptEncoding>(&h);
            exercise::<AcceptLanguage>(&h);
            exercise::<Allow>(&h);
            exercise::<Supported>(&h);
            exercise::<Require>(&h);
            exercise::<ProxyRequire>(&h);
            exercise::<Unsupported>(&h);
            exercise::<ContentEncoding>(&h);
            exercise::<ContentLanguage>(&h);
            exercise::<ContentDisposition>(&h);
            exercise::<Authorization>(&h);
            exercise::<ProxyAuthorization>(&h);
            exercise::<WwwAuthenticate>(&h);
            exercise::<ProxyAuthenticate>(&h);
            exercise::<AuthenticationInfo>(&h);
            exercise::<Event>(&h);
            exercise::<AllowEvents>(&h);
            exercise::<SubscriptionState>(&h);
            exercise::<ReferTo>(&h);
            exercise::<ReferredBy>(&h);
            exercise::<Replaces>(&h);
            exercise::<ReferSub>(&h);
            exercise::<SipETag>(&h);
            exercise::<SipIfMatch>(&h);
            exercise::<UserAgent>(&h);
            exercise::<Server>(&h);
            exercise::<Subject>(&h);
            exercise::<Date>(&h);
            exercise::<Timestamp>(&h);
            exercise::<RetryAfter>(&h);
            exercise::<Warning>(&h);
            exercise::<Reason>(&h);
            exercise::<Priority>(&h);
            exercise::<RSeq>(&h);
            exercise::<RAck>(&h);
            exercise::<SessionExpires>(&h);
            exercise::<MinSe>(&h);
            exercise::<ReplyTo>(&h);
            exercise::<Organization>(&h);
            exercise::<InReplyTo>(&h);
            exercise::<CallInfo>(&h);
            exercise::<AlertInfo>(&h);
            exercise::<ErrorInfo>(&h);
            exercise::<MimeVersion>(&h);
            exercise::<ServiceRoute>(&h);
            exercise::<ContentId>(&h);
            if let Ok(Some(r)) = h.typed_first::<ReferTo>() {
                let _ = r.replaces();
            }
            if let Ok(Some(s)) = h.typed_first::<Server>() {
                let _ = s.products();
            }
        }
    }
}
