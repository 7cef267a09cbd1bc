//! Message bodies: multipart (RFC 2046, RFC 2387) and message/sipfrag (RFC 3420), parsed from
//! whole SIP messages, printed, rebuilt, and fed malformed input.

use bytes::Bytes;
use proptest::prelude::*;
use sip_core::body::{Multipart, Part, SipFrag, StartLine};
use sip_core::header::{
    ContentDisposition, ContentId, ContentType, HeaderName, Headers, MediaType, MimeVersion,
};
use sip_core::message::{Method, SipMessage, StatusCode};
use sip_core::{Element, ParseErrorKind};

/// A MESSAGE in the style of RFC 4475 §3.1.1.11 (mpart01): a multipart/mixed body with a text
/// part, an SDP part and a binary part whose bytes include CR, LF, NUL and non-UTF-8 octets.
fn mpart_message() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(
        b"--7a9cbec02ceef655\r\n\
Content-Type: text/plain\r\n\
Content-Transfer-Encoding: binary\r\n\
\r\n\
Hello, this is the text part.\r\n\
--7a9cbec02ceef655\r\n\
Content-Type: application/sdp\r\n\
Content-Disposition: session;handling=required\r\n\
\r\n\
v=0\r\n\
o=alice 2890844526 2890844526 IN IP4 192.0.2.1\r\n\
s=-\r\n\
c=IN IP4 192.0.2.1\r\n\
t=0 0\r\n\
m=audio 49170 RTP/AVP 0\r\n\
\r\n\
--7a9cbec02ceef655\r\n\
Content-Type: application/octet-stream\r\n\
Content-Transfer-Encoding: binary\r\n\
\r\n",
    );
    body.extend_from_slice(&binary_blob());
    body.extend_from_slice(b"\r\n--7a9cbec02ceef655--\r\n");
    let mut msg = format!(
        "MESSAGE sip:kumiko@example.org SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw380234\r\n\
Max-Forwards: 70\r\n\
To: <sip:kumiko@example.org>\r\n\
From: <sip:fluffy@example.com>;tag=384ruiw\r\n\
Call-ID: ksdqkn9238r@192.0.2.15\r\n\
CSeq: 1 MESSAGE\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed;boundary=7a9cbec02ceef655\r\n\
Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    msg.extend_from_slice(&body);
    msg
}

fn binary_blob() -> Vec<u8> {
    let mut v: Vec<u8> = (0u8..=255).collect();
    v.extend_from_slice(b"\r\n-- not a boundary\r\n\0\xff\xfe");
    v
}

#[test]
fn rfc4475_style_multipart_in_a_message() {
    let raw = Bytes::from(mpart_message());
    let msg = SipMessage::parse(raw.clone()).unwrap();
    msg.validate().unwrap();
    assert_eq!(
        msg.headers().typed::<MimeVersion>().unwrap(),
        MimeVersion::V1_0
    );
    let ct = msg.content_type().unwrap().unwrap();
    let mp = Multipart::parse(msg.body().clone(), &ct.0).unwrap();
    assert_eq!(&*mp.subtype, "mixed");
    assert_eq!(&*mp.boundary, "7a9cbec02ceef655");
    assert!(mp.preamble.is_empty() && mp.epilogue.is_empty());
    assert_eq!(mp.parts.len(), 3);

    let text = &mp.parts[0];
    assert!(text.content_type().unwrap().unwrap().is("text/plain"));
    assert_eq!(&text.body[..], b"Hello, this is the text part.");

    let sdp = &mp.parts[1];
    assert!(sdp.content_type().unwrap().unwrap().is("application/sdp"));
    let disp: ContentDisposition = sdp.headers.typed().unwrap();
    assert!(disp.is("session") && !disp.is_optional());
    assert!(sdp.body.starts_with(b"v=0\r\n") && sdp.body.ends_with(b"RTP/AVP 0\r\n"));

    let bin = &mp.parts[2];
    assert_eq!(&bin.body[..], &binary_blob()[..]);
    assert_eq!(
        bin.headers.get_str(&HeaderName::ContentTransferEncoding),
        Some("binary")
    );

    // Part bodies are slices of the received datagram.
    let lo = raw.as_ptr() as usize;
    let p = bin.body.as_ptr() as usize;
    assert!(p > lo && p < lo + raw.len());

    // The canonical form is byte-identical here and re-parses to the same value.
    assert_eq!(&mp.to_bytes()[..], &msg.body()[..]);
    assert_eq!(
        Multipart::parse(mp.to_bytes(), &mp.content_type()).unwrap(),
        mp
    );
    assert!(mp.parts.iter().all(|p| p.multipart().unwrap().is_none()));
}

/// An RLMI notification (RFC 4662 style): multipart/related whose root is the RLMI document,
/// with a PIDF part and a nested multipart/related for a sub-list.
const RLMI_BODY: &[u8] = b"--50UBfW7LSCVLtggUPe5z\r\n\
Content-Transfer-Encoding: binary\r\n\
Content-ID: <nXYxAE@pres.vancouver.example.com>\r\n\
Content-Type: application/rlmi+xml;charset=\"UTF-8\"\r\n\
\r\n\
<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n\
<list xmlns=\"urn:ietf:params:xml:ns:rlmi\" uri=\"sip:adam-friends@pres.vancouver.example.com\" version=\"1\" fullState=\"true\">\r\n\
  <resource uri=\"sip:bob@vancouver.example.com\"><instance id=\"JMhr\" state=\"active\" cid=\"bUZBsM@pres.vancouver.example.com\"/></resource>\r\n\
  <resource uri=\"sip:ed-friends@pres.vancouver.example.com\"><instance id=\"hqzs\" state=\"active\" cid=\"ZvSvkz@pres.vancouver.example.com\"/></resource>\r\n\
</list>\r\n\
--50UBfW7LSCVLtggUPe5z\r\n\
Content-Transfer-Encoding: binary\r\n\
Content-ID: <bUZBsM@pres.vancouver.example.com>\r\n\
Content-Type: application/pidf+xml;charset=\"UTF-8\"\r\n\
\r\n\
<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n\
<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:bob@vancouver.example.com\">\r\n\
  <tuple id=\"sg89ae\"><status><basic>open</basic></status></tuple>\r\n\
</presence>\r\n\
--50UBfW7LSCVLtggUPe5z\r\n\
Content-Transfer-Encoding: binary\r\n\
Content-ID: <ZvSvkz@pres.vancouver.example.com>\r\n\
Content-Type: multipart/related;type=\"application/rlmi+xml\";\r\n\
\x20    start=\"<cKMsRW@pres.vancouver.example.com>\";\r\n\
\x20    boundary=\"TfZxoxgAvLqgj4wRWPDL\"\r\n\
\r\n\
--TfZxoxgAvLqgj4wRWPDL\r\n\
Content-Transfer-Encoding: binary\r\n\
Content-ID: <cKMsRW@pres.vancouver.example.com>\r\n\
Content-Type: application/rlmi+xml;charset=\"UTF-8\"\r\n\
\r\n\
<list xmlns=\"urn:ietf:params:xml:ns:rlmi\" uri=\"sip:ed-friends@pres.vancouver.example.com\" version=\"9\" fullState=\"true\"/>\r\n\
--TfZxoxgAvLqgj4wRWPDL\r\n\
Content-Transfer-Encoding: binary\r\n\
Content-ID: <JHAkdc@pres.vancouver.example.com>\r\n\
Content-Type: application/pidf+xml;charset=\"UTF-8\"\r\n\
\r\n\
<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:ed@dallas.example.com\"/>\r\n\
--TfZxoxgAvLqgj4wRWPDL--\r\n\
\r\n\
--50UBfW7LSCVLtggUPe5z--\r\n";

const RLMI_TYPE: &str = "multipart/related;type=\"application/rlmi+xml\";\
start=\"<nXYxAE@pres.vancouver.example.com>\";boundary=\"50UBfW7LSCVLtggUPe5z\"";

#[test]
fn rlmi_related_with_nested_list() {
    let ct = MediaType::parse(RLMI_TYPE).unwrap();
    let mp = Multipart::parse(Bytes::from_static(RLMI_BODY), &ct).unwrap();
    assert!(mp.is_related());
    assert_eq!(mp.related_type().unwrap(), "application/rlmi+xml");
    assert_eq!(mp.start().unwrap(), "<nXYxAE@pres.vancouver.example.com>");
    assert_eq!(mp.parts.len(), 3);
    let root = mp.root().unwrap();
    assert_eq!(root.id(), Some("nXYxAE@pres.vancouver.example.com"));
    assert!(
        root.content_type()
            .unwrap()
            .unwrap()
            .is("application/rlmi+xml")
    );
    assert!(root.body.ends_with(b"</list>"));

    // The RLMI `cid` attributes name the other parts.
    let bob = mp
        .part_by_content_id("bUZBsM@pres.vancouver.example.com")
        .unwrap();
    assert!(bob.body.starts_with(b"<?xml"));
    assert_eq!(
        bob.content_type()
            .unwrap()
            .unwrap()
            .param("charset")
            .unwrap(),
        "UTF-8"
    );
    let sub = mp
        .part_by_content_id("<ZvSvkz@pres.vancouver.example.com>")
        .unwrap();
    let id: ContentId = sub.headers.typed().unwrap();
    assert_eq!(id.id(), "ZvSvkz@pres.vancouver.example.com");

    // The folded Content-Type of the nested list is one value.
    let nested = sub.multipart().unwrap().unwrap();
    assert!(nested.is_related());
    assert_eq!(&*nested.boundary, "TfZxoxgAvLqgj4wRWPDL");
    assert_eq!(nested.parts.len(), 2);
    assert_eq!(
        nested.root().unwrap().id(),
        Some("cKMsRW@pres.vancouver.example.com")
    );
    assert!(nested.parts[1].body.starts_with(b"<presence"));
    assert!(
        nested
            .parts
            .iter()
            .all(|p| p.multipart().unwrap().is_none())
    );
    // The nested body ends with an extra CRLF before the outer delimiter.
    assert!(sub.body.ends_with(b"--TfZxoxgAvLqgj4wRWPDL--\r\n"));
    assert!(nested.epilogue.is_empty());

    let again = Multipart::parse(mp.to_bytes(), &mp.content_type()).unwrap();
    assert_eq!(again, mp);
    assert_eq!(
        again.parts[2].multipart().unwrap().unwrap(),
        nested,
        "nested part survives printing"
    );
}

#[test]
fn related_root_without_start_is_first_part_and_missing_start_is_none() {
    let body =
        b"--b\r\nContent-ID: <one@x>\r\n\r\n1\r\n--b\r\nContent-ID: <two@x>\r\n\r\n2\r\n--b--\r\n";
    let ct = MediaType::parse("multipart/related;type=\"text/plain\";boundary=b").unwrap();
    let mp = Multipart::parse(Bytes::from_static(body), &ct).unwrap();
    assert_eq!(&mp.root().unwrap().body[..], b"1");
    let ct = MediaType::parse("multipart/related;boundary=b;start=\"<two@x>\"").unwrap();
    let mp = Multipart::parse(Bytes::from_static(body), &ct).unwrap();
    assert_eq!(&mp.root().unwrap().body[..], b"2");
    let ct = MediaType::parse("multipart/related;boundary=b;start=\"<three@x>\"").unwrap();
    let mp = Multipart::parse(Bytes::from_static(body), &ct).unwrap();
    assert!(mp.root().is_none());
}

const PIDF: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n\
<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"pres:alice@example.com\">\r\n\
  <tuple id=\"a1\"><status><basic>open</basic></status></tuple>\r\n\
</presence>\r\n";

#[test]
fn pidf_and_sipfrag_in_a_notify() {
    let frag = SipFrag::from_status(StatusCode::new(180).unwrap(), "Ringing");
    let body = Multipart::builder("mixed")
        .part(Part::new("application/pidf+xml", PIDF))
        .part(Part::new(SipFrag::CONTENT_TYPE, frag.to_bytes()))
        .build();
    let ct = body.content_type();
    let raw = format!(
        "NOTIFY sip:bob@192.0.2.4 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKnotify1\r\n\
Max-Forwards: 70\r\n\
To: <sip:bob@example.com>;tag=1\r\n\
From: <sip:alice@example.com>;tag=2\r\n\
Call-ID: notify-1@192.0.2.1\r\n\
CSeq: 2 NOTIFY\r\n\
Event: refer;id=93809824\r\n\
Subscription-State: active;expires=60\r\n\
Content-Type: {ct}\r\n\
Content-Length: {}\r\n\r\n",
        body.to_bytes().len()
    );
    let mut wire = raw.into_bytes();
    wire.extend_from_slice(&body.to_bytes());
    let msg = SipMessage::parse(wire).unwrap();
    msg.validate().unwrap();
    let ct = msg.content_type().unwrap().unwrap();
    let mp = Multipart::parse(msg.body().clone(), &ct.0).unwrap();
    assert_eq!(mp, body);
    assert_eq!(std::str::from_utf8(&mp.parts[0].body).unwrap(), PIDF);
    let sf_type = mp.parts[1].content_type().unwrap().unwrap();
    assert!(sf_type.is("message/sipfrag"));
    assert_eq!(sf_type.param("version").unwrap(), "2.0");
    let parsed = SipFrag::parse(mp.parts[1].body.clone()).unwrap();
    assert_eq!(parsed, frag);
    assert_eq!(parsed.status_code().map(StatusCode::code), Some(180));
}

#[test]
fn sipfrag_variants() {
    let f = SipFrag::parse(Bytes::from_static(b"SIP/2.0 100 Trying\r\n")).unwrap();
    assert_eq!(f.status_code(), Some(StatusCode::TRYING));
    let f = SipFrag::parse(Bytes::from_static(b"SIP/2.0 100 Trying")).unwrap();
    assert_eq!(f.reason(), Some("Trying"));
    let f = SipFrag::parse(Bytes::from_static(
        b"SIP/2.0 200 OK\r\nContent-Type: application/sdp\r\nContent-Length: 10\r\n\r\nv=0\r\ns=-\r\n",
    ))
    .unwrap();
    assert_eq!(
        f.headers.typed::<ContentType>().unwrap().0.essence(),
        "application/sdp"
    );
    assert_eq!(&f.body[..], b"v=0\r\ns=-\r\n");
    assert_eq!(SipFrag::parse(f.to_bytes()).unwrap(), f);

    let f = SipFrag::parse(Bytes::from_static(
        b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\nVia: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK1\r\n",
    ))
    .unwrap();
    match &f.start_line {
        Some(StartLine::Request { method, uri, .. }) => {
            assert_eq!(method, &Method::Invite);
            assert_eq!(uri.to_string(), "sip:bob@biloxi.example.com");
        }
        other => panic!("{other:?}"),
    }
    // Headers only (RFC 3420 §2 allows any subset).
    let f = SipFrag::parse(Bytes::from_static(
        b"To: <sip:alice@atlanta.example.com>\r\nFrom: <sip:bob@biloxi.example.com>;tag=abc\r\n",
    ))
    .unwrap();
    assert!(f.start_line.is_none());
    assert_eq!(f.headers.len(), 2);
}

#[test]
fn malformed_multiparts() {
    let mixed = |s: &str| MediaType::parse(s).unwrap();
    let cases: [(&'static [u8], &str, ParseErrorKind, usize); 6] = [
        (
            b"--b\r\n\r\nx\r\n--b--",
            "multipart/mixed",
            ParseErrorKind::Syntax,
            0,
        ),
        (
            b"no boundary at all",
            "multipart/mixed;boundary=b",
            ParseErrorKind::Syntax,
            0,
        ),
        (
            b"--b\r\n\r\nunterminated",
            "multipart/mixed;boundary=b",
            ParseErrorKind::Incomplete,
            19,
        ),
        (
            b"x--b\r\n",
            "multipart/mixed;boundary=b",
            ParseErrorKind::Syntax,
            0,
        ),
        (
            b"--b--\r\n",
            "multipart/mixed;boundary=b",
            ParseErrorKind::Syntax,
            0,
        ),
        (
            b"--bx\r\n\r\nx\r\n--bx--",
            "multipart/mixed;boundary=b",
            ParseErrorKind::Syntax,
            0,
        ),
    ];
    for (body, ct, kind, offset) in cases {
        let e = Multipart::parse(Bytes::from_static(body), &mixed(ct)).unwrap_err();
        assert_eq!(
            (e.element, e.kind.clone(), e.offset),
            (Element::Multipart, kind, offset),
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
    // A bad header inside a part is reported at its offset in the body.
    let e = Multipart::parse(
        Bytes::from_static(b"--b\r\nContent-Type: text/plain\r\n: x\r\n\r\nbody\r\n--b--"),
        &mixed("multipart/mixed;boundary=b"),
    )
    .unwrap_err();
    assert_eq!((e.element, e.offset), (Element::HeaderName, 31));
    // A part whose Content-Type is malformed fails only when asked for.
    let mp = Multipart::parse(
        Bytes::from_static(b"--b\r\nContent-Type: text\r\n\r\nbody\r\n--b--"),
        &mixed("multipart/mixed;boundary=b"),
    )
    .unwrap();
    assert!(mp.parts[0].content_type().is_err());
    assert!(mp.parts[0].multipart().is_err());
    // Lenient: no CRLF after the close delimiter, and text after it on the same line.
    let mp = Multipart::parse(
        Bytes::from_static(b"--b\r\n\r\nbody\r\n--b-- trailing\r\nepilogue"),
        &mixed("multipart/mixed;boundary=b"),
    )
    .unwrap();
    assert_eq!(&mp.epilogue[..], b"epilogue");
}

#[test]
fn builder_with_headers_and_binary() {
    let mut headers = Headers::new();
    headers.push(HeaderName::ContentType, "application/octet-stream");
    headers.push(
        HeaderName::ContentDisposition,
        "attachment;filename=\"a b.bin\"",
    );
    // The content contains likely boundary strings; the builder must avoid them.
    let blob = Bytes::from_static(b"--sipsimple-\r\n--boundary\r\n\x00\x01");
    let mp = Multipart::builder("mixed")
        .boundary("boundary")
        .part(Part::with_headers(headers, blob.clone()))
        .part(Part::new("text/plain", "").content_id("t@x"))
        .build();
    assert_ne!(&*mp.boundary, "boundary");
    let again = Multipart::parse(mp.to_bytes(), &mp.content_type()).unwrap();
    assert_eq!(again, mp);
    assert_eq!(again.parts[0].body, blob);
    assert!(again.parts[1].body.is_empty());
    assert_eq!(again.parts[1].id(), Some("t@x"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn built_bodies_round_trip(
        bodies in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 1..5),
        preamble in "[a-z \r\n]{0,20}",
        epilogue in prop::collection::vec(any::<u8>(), 0..20),
    ) {
        let mut b = Multipart::builder("mixed").preamble(preamble).epilogue(epilogue);
        for body in bodies {
            b = b.part(Part::new("application/octet-stream", body));
        }
        let mp = b.build();
        let again = Multipart::parse(mp.to_bytes(), &mp.content_type()).unwrap();
        prop_assert_eq!(again, mp);
    }

    #[test]
    fn arbitrary_input_never_panics(data in prop::collection::vec(any::<u8>(), 0..200)) {
        let ct = MediaType::parse("multipart/mixed;boundary=b").unwrap();
        if let Ok(mp) = Multipart::parse(Bytes::from(data.clone()), &ct) {
            for p in &mp.parts {
                let _ = p.content_type();
                let _ = p.multipart();
            }
            let _ = mp.to_bytes();
        }
        if let Ok(f) = SipFrag::parse(Bytes::from(data)) {
            let again = SipFrag::parse(f.to_bytes());
            prop_assert!(again.is_ok());
        }
    }
}
