//! Codec tests: the examples of RFC 4975 §7 and RFC 4976 §5, streaming, limits, bad input,
//! and the round-trip property.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use sip_msrp::{
    ByteRange, CodecError, Continuation, DecodedFrame, Decoder, FailureReport, Limits, Method,
    MsrpMessage, MsrpUri, StartLine, Status,
};

fn crlf(s: &str) -> Vec<u8> {
    s.replace('\n', "\r\n").into_bytes()
}

const SEND: &str = "MSRP a786hjs2 SEND
To-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp
From-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp
Message-ID: 87652491
Byte-Range: 1-25/25
Content-Type: text/plain

Hey Bob, are you there?
-------a786hjs2$
";

const OK: &str = "MSRP a786hjs2 200 OK
To-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp
From-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp
-------a786hjs2$
";

const REPORT: &str = "MSRP dkei38sd REPORT
To-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp
From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp
Message-ID: 12339sdqwer
Byte-Range: 1-106/106
Status: 000 200 OK
-------dkei38sd$
";

const CHUNK1: &str = "MSRP dkei38sd SEND
To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp
From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp
Message-ID: 12339sdqwer
Success-Report: yes
Byte-Range: 1-16/35
Content-Type: text/plain

Hi, I'm Alice! I
-------dkei38sd+
";

const AUTH: &str = "MSRP 49fh AUTH
To-Path: msrps://alice@intra.example.com;tcp
From-Path: msrps://alice.example.com:9892/98cjs;tcp
-------49fh$
";

const AUTH_401: &str = "MSRP 49fh 401 Unauthorized
To-Path: msrps://alice.example.com:9892/98cjs;tcp
From-Path: msrps://alice@intra.example.com;tcp
WWW-Authenticate: Digest realm=\"intra.example.com\", qop=\"auth\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\"
-------49fh$
";

const AUTH_200: &str = "MSRP 49fi 200 OK
To-Path: msrps://alice.example.com:9892/98cjs;tcp
From-Path: msrps://alice@intra.example.com;tcp
Use-Path: msrps://intra.example.com;tcp
Expires: 900
-------49fi$
";

#[test]
fn rfc4975_send_and_response() {
    let m = MsrpMessage::parse(&crlf(SEND)).unwrap();
    assert_eq!(m.transaction_id, "a786hjs2");
    assert_eq!(m.method(), Some(&Method::Send));
    assert_eq!(m.headers.message_id.as_deref(), Some("87652491"));
    assert_eq!(
        m.headers.byte_range,
        Some(ByteRange {
            start: 1,
            end: Some(25),
            total: Some(25)
        })
    );
    assert_eq!(m.headers.content_type.as_deref(), Some("text/plain"));
    assert_eq!(&m.body[..], b"Hey Bob, are you there?");
    assert_eq!(m.continuation, Continuation::End);
    assert_eq!(m.to_bytes(), Bytes::from(crlf(SEND)));

    let local: MsrpUri = "msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp"
        .parse()
        .unwrap();
    let r = MsrpMessage::response_to(&m, 200, "OK", &local);
    assert_eq!(r.to_bytes(), Bytes::from(crlf(OK)));
    let parsed = MsrpMessage::parse(&crlf(OK)).unwrap();
    assert_eq!(parsed.code(), Some(200));
    assert_eq!(parsed, r);
}

#[test]
fn rfc4975_report_and_chunk() {
    let r = MsrpMessage::parse(&crlf(REPORT)).unwrap();
    assert_eq!(r.method(), Some(&Method::Report));
    assert_eq!(
        r.headers.status,
        Some(Status {
            namespace: 0,
            code: 200,
            comment: Some("OK".into())
        })
    );
    assert_eq!(r.to_bytes(), Bytes::from(crlf(REPORT)));

    let c = MsrpMessage::parse(&crlf(CHUNK1)).unwrap();
    assert_eq!(c.continuation, Continuation::More);
    assert_eq!(c.headers.success_report, Some(true));
    assert_eq!(&c.body[..], b"Hi, I'm Alice! I");
    assert_eq!(c.to_bytes(), Bytes::from(crlf(CHUNK1)));
}

#[test]
fn rfc4976_auth_exchange() {
    let a = MsrpMessage::parse(&crlf(AUTH)).unwrap();
    assert_eq!(a.method(), Some(&Method::Auth));
    assert_eq!(a.headers.to_path[0].user.as_deref(), Some("alice"));
    assert_eq!(a.headers.to_path[0].session_id, None);
    assert!(a.body.is_empty());
    assert_eq!(a.to_bytes(), Bytes::from(crlf(AUTH)));

    let c = MsrpMessage::parse(&crlf(AUTH_401)).unwrap();
    assert_eq!(c.code(), Some(401));
    assert_eq!(c.headers.www_authenticate.len(), 1);
    assert!(c.headers.www_authenticate[0].starts_with("Digest realm="));
    assert_eq!(c.to_bytes(), Bytes::from(crlf(AUTH_401)));

    let ok = MsrpMessage::parse(&crlf(AUTH_200)).unwrap();
    assert_eq!(
        ok.headers.use_path[0].to_string(),
        "msrps://intra.example.com;tcp"
    );
    assert_eq!(ok.headers.expires, Some(900));
    assert_eq!(ok.to_bytes(), Bytes::from(crlf(AUTH_200)));
}

#[test]
fn decoder_reads_frames_split_at_every_byte() {
    let mut stream = Vec::new();
    for s in [SEND, OK, CHUNK1, REPORT, AUTH, AUTH_401, AUTH_200] {
        stream.extend(crlf(s));
    }
    let whole: Vec<MsrpMessage> = {
        let mut d = Decoder::default();
        let mut buf = BytesMut::from(&stream[..]);
        let mut out = Vec::new();
        while let Some(DecodedFrame::Message(m)) = d.decode(&mut buf).unwrap() {
            out.push(m);
        }
        assert!(buf.is_empty());
        out
    };
    assert_eq!(whole.len(), 7);
    let mut d = Decoder::default();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for b in &stream {
        buf.extend_from_slice(&[*b]);
        while let Some(f) = d.decode(&mut buf).unwrap() {
            match f {
                DecodedFrame::Message(m) => out.push(m),
                other => panic!("{other:?}"),
            }
        }
    }
    assert_eq!(out, whole);
}

#[test]
fn body_may_contain_a_false_end_line() {
    let text = "MSRP abcd1 SEND
To-Path: msrp://b.example/s1;tcp
From-Path: msrp://a.example/s2;tcp
Message-ID: mid00001
Content-Type: text/plain

line
-------abcd1x not the end
-------abcd1
-------abcd1$
";
    let m = MsrpMessage::parse(&crlf(text)).unwrap();
    assert_eq!(
        &m.body[..],
        &crlf("line\n-------abcd1x not the end\n-------abcd1")[..]
    );
    assert_eq!(MsrpMessage::parse(&m.to_bytes()).unwrap(), m);
}

#[test]
fn aborted_and_bodiless_frames() {
    let text = "MSRP abcd1 SEND
To-Path: msrp://b.example/s1;tcp
From-Path: msrp://a.example/s2;tcp
Message-ID: mid00001
Byte-Range: 5-4/10
-------abcd1#
";
    let m = MsrpMessage::parse(&crlf(text)).unwrap();
    assert_eq!(m.continuation, Continuation::Abort);
    assert!(m.body.is_empty());
    assert_eq!(m.headers.content_type, None);
    assert_eq!(m.to_bytes(), Bytes::from(crlf(text)));
}

#[test]
fn extension_and_mime_headers_are_kept() {
    let text = "MSRP abcd1 SEND
To-Path: msrp://b.example/s1;tcp
From-Path: msrp://a.example/s2;tcp
Message-ID: mid00001
Failure-Report: partial
X-Custom: some value
Content-Disposition: attachment; filename=\"a.txt\"
Content-Type: text/plain

x
-------abcd1$
";
    let m = MsrpMessage::parse(&crlf(text)).unwrap();
    assert_eq!(m.headers.failure_report, Some(FailureReport::Partial));
    assert_eq!(m.headers.extension("x-custom"), Some("some value"));
    assert_eq!(
        m.headers.extension("Content-Disposition"),
        Some("attachment; filename=\"a.txt\"")
    );
    assert_eq!(m.to_bytes(), Bytes::from(crlf(text)));
}

#[test]
fn framing_errors_are_fatal() {
    let cases: Vec<(Vec<u8>, CodecError)> = vec![
        (crlf("HTTP/1.1 200 OK\n\n"), CodecError::StartLine),
        (crlf("MSRP ab SEND\n"), CodecError::TransactionId),
        (crlf("MSRP abcd SEND extra\n"), CodecError::StartLine),
        (crlf("MSRP abcd 20 OK\n"), CodecError::StartLine),
        (
            crlf(
                "MSRP abcd SEND\nTo-Path: msrp://a/b;tcp\nFrom-Path: msrp://a/c;tcp\n-------abcd!\n",
            ),
            CodecError::EndLine,
        ),
    ];
    for (input, want) in cases {
        let mut d = Decoder::default();
        let mut buf = BytesMut::from(&input[..]);
        let got = d.decode(&mut buf).unwrap_err();
        assert_eq!(got, want, "{}", String::from_utf8_lossy(&input));
        assert!(got.is_fatal());
    }
}

#[test]
fn bad_headers_in_a_complete_frame_do_not_stop_the_stream() {
    let bad = crlf(
        "MSRP abcd1 SEND
To-Path: msrp://b.example/s1;tcp
From-Path: msrp://a.example/s2;tcp
Message-ID: mid00001
Byte-Range: 0-1/1
Content-Type: text/plain

x
-------abcd1$
",
    );
    let mut stream = bad.clone();
    stream.extend(crlf(SEND));
    let mut d = Decoder::default();
    let mut buf = BytesMut::from(&stream[..]);
    match d.decode(&mut buf).unwrap() {
        Some(DecodedFrame::Malformed {
            transaction_id,
            is_request,
            from_path,
            error,
            ..
        }) => {
            assert_eq!(transaction_id, "abcd1");
            assert!(is_request);
            assert_eq!(from_path.as_deref(), Some("msrp://a.example/s2;tcp"));
            assert_eq!(error, CodecError::HeaderValue { name: "Byte-Range" });
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        d.decode(&mut buf).unwrap(),
        Some(DecodedFrame::Message(_))
    ));

    let missing = crlf("MSRP abcd1 SEND\nFrom-Path: msrp://a.example/s2;tcp\n-------abcd1$\n");
    let mut buf = BytesMut::from(&missing[..]);
    assert!(matches!(
        Decoder::default().decode(&mut buf).unwrap(),
        Some(DecodedFrame::Malformed {
            error: CodecError::MissingHeader("To-Path"),
            ..
        })
    ));
}

#[test]
fn limits_bound_memory() {
    let limits = Limits {
        max_head: 200,
        max_headers: 3,
        max_body: 16,
    };
    // A head that never ends.
    let mut d = Decoder::new(limits);
    let mut buf = BytesMut::from(&b"MSRP abcd SEND\r\nTo-Path: "[..]);
    buf.extend_from_slice(&[b'x'; 300]);
    assert_eq!(
        d.decode(&mut buf),
        Err(CodecError::HeadTooLarge { limit: 200 })
    );
    // Too many headers.
    let mut d = Decoder::new(limits);
    let mut buf = BytesMut::from(&crlf("MSRP abcd SEND\nA: 1\nB: 2\nC: 3\nD: 4\n")[..]);
    assert_eq!(
        d.decode(&mut buf),
        Err(CodecError::TooManyHeaders { limit: 3 })
    );
    // A body that never ends, fed in pieces.
    let mut d = Decoder::new(limits);
    let mut buf = BytesMut::from(
        &crlf(
            "MSRP abcd SEND\nTo-Path: msrp://a/b;tcp\nFrom-Path: msrp://a/c;tcp\nContent-Type: a/b\n\n",
        )[..],
    );
    let mut err = None;
    for _ in 0..10 {
        buf.extend_from_slice(b"0123456789");
        if let Err(e) = d.decode(&mut buf) {
            err = Some(e);
            break;
        }
    }
    assert_eq!(err, Some(CodecError::BodyTooLarge { limit: 16 }));
}

#[test]
fn bad_values_are_rejected() {
    for (header, name) in [
        ("Byte-Range: 5-3/10", "Byte-Range"),
        ("Byte-Range: 1-20/10", "Byte-Range"),
        ("Byte-Range: x-1/1", "Byte-Range"),
        ("Success-Report: maybe", "Success-Report"),
        ("Failure-Report: sometimes", "Failure-Report"),
        ("Status: 0 200", "Status"),
        ("Message-ID: a", "Message-ID"),
        ("Expires: -1", "Expires"),
        ("Content-Type: plain", "Content-Type"),
    ] {
        let text = format!(
            "MSRP abcd SEND\nTo-Path: msrp://a/b;tcp\nFrom-Path: msrp://a/c;tcp\n{header}\n-------abcd$\n"
        );
        assert_eq!(
            MsrpMessage::parse(&crlf(&text)),
            Err(CodecError::HeaderValue { name }),
            "{header}"
        );
    }
    let text = "MSRP abcd SEND\nTo-Path: http://a/b\nFrom-Path: msrp://a/c;tcp\n-------abcd$\n";
    assert!(matches!(
        MsrpMessage::parse(&crlf(text)),
        Err(CodecError::Uri {
            name: "To-Path",
            ..
        })
    ));
}

fn arb_ident() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9.+=-]{3,20}"
}

fn arb_uri() -> impl Strategy<Value = MsrpUri> {
    (
        any::<bool>(),
        "[a-z][a-z0-9]{0,8}(\\.[a-z]{2,4})?",
        proptest::option::of(1u16..),
        proptest::option::of("[a-zA-Z0-9]{1,12}"),
    )
        .prop_map(|(secure, host, port, sid)| MsrpUri {
            secure,
            user: None,
            host,
            port,
            session_id: sid,
            transport: "tcp".into(),
            params: Vec::new(),
        })
}

fn arb_message() -> impl Strategy<Value = MsrpMessage> {
    let start = prop_oneof![
        Just(StartLine::Request(Method::Send)),
        Just(StartLine::Request(Method::Report)),
        Just(StartLine::Request(Method::Auth)),
        "[A-Z]{1,8}".prop_map(|m| StartLine::Request(match m.as_str() {
            "SEND" | "REPORT" | "AUTH" => Method::Send,
            _ => Method::Other(m),
        })),
        (
            100u16..1000,
            proptest::option::of("[a-zA-Z][a-zA-Z ]{0,10}[a-zA-Z]")
        )
            .prop_map(|(code, comment)| StartLine::Response { code, comment }),
    ];
    let cont = prop_oneof![
        Just(Continuation::End),
        Just(Continuation::More),
        Just(Continuation::Abort)
    ];
    (
        arb_ident(),
        start,
        proptest::collection::vec(arb_uri(), 1..4),
        proptest::collection::vec(arb_uri(), 1..4),
        proptest::option::of(arb_ident()),
        proptest::option::of((
            1u64..1000,
            proptest::option::of(0u64..1000),
            proptest::option::of(0u64..1000),
        )),
        proptest::option::of(any::<bool>()),
        proptest::option::of(prop_oneof![
            Just(FailureReport::Yes),
            Just(FailureReport::No),
            Just(FailureReport::Partial)
        ]),
        proptest::option::of("(text|image)/[a-z]{1,8}"),
        proptest::collection::vec(any::<u8>(), 0..200),
        cont,
        proptest::collection::vec(("X-[A-Za-z]{1,8}", "[!-~]([ -~]{0,20}[!-~])?"), 0..3),
    )
        .prop_map(
            |(tid, start, to, from, mid, br, sr, fr, ct, body, continuation, ext)| {
                let mut m = MsrpMessage::request(tid, Method::Send, to, from);
                m.start = start;
                m.headers.message_id = mid;
                m.headers.byte_range = br.map(|(start, end, total)| {
                    let end = end.map(|e| e.max(start - 1));
                    let total = match (end, total) {
                        (Some(e), Some(t)) => Some(t.max(e)),
                        (_, t) => t,
                    };
                    ByteRange { start, end, total }
                });
                m.headers.success_report = sr;
                m.headers.failure_report = fr;
                m.headers.content_type = ct;
                m.body = Bytes::from(body);
                m.continuation = continuation;
                m.headers.extensions = ext;
                m
            },
        )
}

proptest! {
    #[test]
    fn encode_then_decode_is_identity(m in arb_message()) {
        let bytes = m.to_bytes();
        let back = MsrpMessage::parse(&bytes);
        // A body that happens to contain its own end-line cannot be framed; skip those.
        let mut end = b"\r\n-------".to_vec();
        end.extend_from_slice(m.transaction_id.as_bytes());
        prop_assume!(memchr::memmem::find(&m.body, &end).is_none());
        let back = back.unwrap();
        prop_assert_eq!(&back, &m);
        prop_assert_eq!(back.to_bytes(), bytes);
    }

    #[test]
    fn decoder_never_panics(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut d = Decoder::default();
        let mut buf = BytesMut::from(&data[..]);
        for _ in 0..10 {
            match d.decode(&mut buf) {
                Ok(Some(_)) => continue,
                _ => break,
            }
        }
    }
}

/// The write queue gives the same bytes as `encode`, with a large body as a segment of its own
/// (not copied), across partial writes of any size.
#[test]
fn write_queue_matches_encode_across_partial_writes() {
    use bytes::Buf;
    use sip_msrp::WriteQueue;
    let (a, b) = (
        MsrpUri::new(false, "127.0.0.1", 7000, "alice1"),
        MsrpUri::new(false, "127.0.0.1", 7001, "bob1"),
    );
    let big: Bytes = (0..70_000u32)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<u8>>()
        .into();
    let mut frames = Vec::new();
    for (i, body) in [big.clone(), Bytes::from_static(b"hi"), big.slice(5..9000)]
        .into_iter()
        .enumerate()
    {
        let mut m = MsrpMessage::request(
            format!("tid{i:04}"),
            Method::Send,
            vec![b.clone()],
            vec![a.clone()],
        );
        m.headers.message_id = Some("msg00001".into());
        m.headers.content_type = Some("application/octet-stream".into());
        m.continuation = Continuation::More;
        m.body = body;
        frames.push(m);
    }
    let mut ok = MsrpMessage::response_to(&frames[1], 200, "OK", &b);
    ok.body = Bytes::new();
    frames.push(ok);
    let mut expected = BytesMut::new();
    for f in &frames {
        f.encode(&mut expected);
    }
    for step in [1usize, 7, 4096, 65_536, 1 << 20] {
        let mut q = WriteQueue::new();
        for f in &frames {
            q.push_message(f);
        }
        assert_eq!(q.len(), expected.len());
        // The large body is handed out as it is: one of the slices is exactly its bytes.
        {
            let mut slices = [std::io::IoSlice::new(&[]); 16];
            let n = q.chunks_vectored(&mut slices);
            assert!(
                slices[..n]
                    .iter()
                    .any(|s| s.as_ptr() == big.as_ptr() && s.len() == big.len())
            );
        }
        let mut out = Vec::new();
        while q.has_remaining() {
            let mut slices = [std::io::IoSlice::new(&[]); 16];
            let n = q.chunks_vectored(&mut slices);
            let mut take = step;
            for s in &slices[..n] {
                let k = take.min(s.len());
                out.extend_from_slice(&s[..k]);
                take -= k;
                if take == 0 {
                    break;
                }
            }
            let written = step.min(q.remaining());
            q.advance(written);
        }
        assert_eq!(out, expected.as_ref(), "step {step}");
        assert!(q.is_empty());
    }
}
