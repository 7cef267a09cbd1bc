//! The printer and the parser agree: for every message `x` that parses,
//! `parse(print(parse(x))) == parse(x)`, and printing is a fixed point after one pass.
//!
//! Checked on every message of the torture corpus (`tests/torture/`, and the RFC 4475 copies
//! when `SIPSIMPLE_RFC4475_DIR` names them), and on requests and responses that proptest builds
//! with random headers: tokens, quoted display names, parameters, IPv6 hosts, folded values.

use std::net::Ipv6Addr;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use proptest::prelude::*;
use sip_core::header::{
    CSeq, CallId, Contact, FromHeader, HeaderName, Headers, MaxForwards, NameAddr, ToHeader, Via,
};
use sip_core::message::{Method, Request, Response, SipMessage, StatusCode};
use sip_core::uri::{Host, SipUri, Uri};

/// Checks the round-trip property for `raw`, if it parses; returns whether it did.
fn assert_round_trip(what: &str, raw: &[u8]) -> bool {
    let Ok(first) = SipMessage::parse(Bytes::copy_from_slice(raw)) else {
        return false;
    };
    let printed = first.to_bytes();
    let second = SipMessage::parse(printed.clone())
        .unwrap_or_else(|e| panic!("{what}: the printed form does not parse: {e}\n{first}"));
    assert!(
        second == first,
        "{what}: parse(print(parse(x))) != parse(x)\nfirst:  {first:?}\nsecond: {second:?}"
    );
    // Request-URIs compare by RFC 3261 equivalence; the printed bytes show they are identical.
    let reprinted = second.to_bytes();
    assert!(
        reprinted == printed,
        "{what}: printing is not a fixed point\nonce:  {:?}\ntwice: {:?}",
        String::from_utf8_lossy(&printed),
        String::from_utf8_lossy(&reprinted)
    );
    // Printing changes neither the body nor whether (and why) the message validates.
    assert_eq!(second.body(), first.body(), "{what}: body");
    let verdict = |m: &SipMessage| m.validate().map(|_| ()).map_err(|e| (e.element, e.kind));
    assert_eq!(verdict(&second), verdict(&first), "{what}: validation");
    true
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    v.sort();
    v
}

#[test]
fn torture_corpus_round_trips() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/torture");
    let mut parsed = 0;
    for path in files(&dir, "sip") {
        let raw = std::fs::read(&path).unwrap();
        if assert_round_trip(&path.display().to_string(), &raw) {
            parsed += 1;
        }
    }
    // The messages that fail are the ones RFC 4475 breaks at the parser level.
    assert!(parsed >= 40, "only {parsed} corpus messages parsed");
}

#[test]
fn rfc4475_copies_round_trip() {
    let Some(dir) = std::env::var_os("SIPSIMPLE_RFC4475_DIR") else {
        println!("note: SIPSIMPLE_RFC4475_DIR is not set; the RFC 4475 copies were not run");
        return;
    };
    for path in files(Path::new(&dir), "dat") {
        let raw = std::fs::read(&path).unwrap();
        assert_round_trip(&path.display().to_string(), &raw);
    }
}

#[test]
fn builder_output_is_canonical() {
    // What the builders print is already the printer's fixed point.
    let uri: SipUri = "sip:bob@[2001:db8::7]:5070;transport=tcp".parse().unwrap();
    let mut from = FromHeader::new(NameAddr::new(uri.clone()).with_display("Alice \"A\", Esq."));
    from.set_tag("x1");
    let req = Request::builder(Method::Message, uri.clone())
        .typed(&Via::new(
            "TCP",
            Host::Ipv6("2001:db8::1".parse().unwrap()),
            None,
            "z9hG4bKa",
        ))
        .typed(&MaxForwards(70))
        .typed(&from)
        .typed(&ToHeader::new(NameAddr::new(uri)))
        .typed(&CallId::new("c1@example.test"))
        .typed(&CSeq::new(1, Method::Message))
        .body("text/plain;charset=utf-8", "hé")
        .build();
    let wire = req.to_bytes();
    let again = SipMessage::parse(wire.clone()).unwrap();
    assert_eq!(again.to_bytes(), wire);
    again.validate().unwrap();
    assert_eq!(
        again
            .headers()
            .typed::<FromHeader>()
            .unwrap()
            .addr
            .display_name()
            .unwrap(),
        "Alice \"A\", Esq."
    );
}

// ---------------------------------------------------------------------------------------------
// Random messages from the builders.

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9.!%*_+`'~-]{0,11}"
}

fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?"
}

fn host() -> impl Strategy<Value = Host> {
    prop_oneof![
        prop::collection::vec(label(), 1..4)
            .prop_map(|l| Host::Domain(format!("{}.test", l.join(".")).into())),
        any::<[u8; 4]>().prop_map(|a| Host::Ipv4(a.into())),
        any::<[u16; 8]>().prop_map(|a| Host::Ipv6(Ipv6Addr::from(a))),
        Just(Host::Ipv6(Ipv6Addr::LOCALHOST)),
    ]
}

/// Text for display names and parameter values: printable ASCII, specials, UTF-8.
fn text() -> impl Strategy<Value = String> {
    "[ -~éß漢\u{1F600}]{0,16}"
}

fn sip_uri() -> impl Strategy<Value = SipUri> {
    (
        any::<bool>(),
        prop::option::of("[ -~é]{1,10}"),
        host(),
        prop::option::of(1u16..),
        prop::collection::vec((token(), prop::option::of("[ -~é]{1,8}")), 0..3),
        prop::collection::vec((token(), "[ -~]{0,8}"), 0..2),
    )
        .prop_map(|(secure, user, host, port, params, headers)| {
            let mut u = SipUri::new(host);
            u.set_secure(secure);
            u.set_user(user.as_deref());
            u.set_port(port);
            for (n, v) in &params {
                u = u.with_param(n, v.as_deref());
            }
            for (n, v) in &headers {
                u.push_header(n, v);
            }
            u
        })
}

fn uri() -> impl Strategy<Value = Uri> {
    prop_oneof![
        4 => sip_uri().prop_map(Uri::Sip),
        1 => "\\+[0-9]{1,3}-[0-9]{3}-[0-9]{4}".prop_map(|n| Uri::parse(&format!("tel:{n}")).unwrap()),
        1 => "[a-z][a-z0-9+.-]{0,6}:[a-z0-9]{1,8}"
            .prop_filter("a scheme this crate interprets", |s| {
                !["sip:", "sips:", "tel:"].iter().any(|p| s.starts_with(p))
            })
            .prop_map(|s| Uri::parse(&s).unwrap()),
    ]
}

fn name_addr() -> impl Strategy<Value = NameAddr> {
    (uri(), prop::option::of(text())).prop_map(|(u, d)| {
        let mut na = NameAddr::new(u);
        na.set_display_name(d.as_deref());
        na
    })
}

/// A header parameter value: a token, or a quoted string of any text.
fn param_value() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        token().prop_map(Some),
        text().prop_map(|t| {
            let mut q = String::new();
            sip_core::write_quoted(&mut q, &t);
            Some(q)
        }),
    ]
}

fn contact() -> impl Strategy<Value = Contact> {
    let name = token().prop_filter("expires is set below", |n| {
        !n.eq_ignore_ascii_case("expires")
    });
    (
        name_addr(),
        prop::collection::vec((name, param_value()), 0..3),
        prop::option::of(0u32..),
    )
        .prop_map(|(na, params, expires)| {
            let mut c = Contact::new(na);
            for (n, v) in &params {
                c.params.set(n, v.as_deref());
            }
            if let Some(e) = expires {
                c.set_expires(e);
            }
            c
        })
}

fn via() -> impl Strategy<Value = Via> {
    (
        prop::sample::select(vec!["UDP", "TCP", "TLS", "SCTP", "WS", "WSS"]),
        host(),
        prop::option::of(1u16..),
        token(),
        any::<Option<u16>>(),
    )
        .prop_map(|(t, h, p, b, rport)| {
            let mut v = Via::new(t, h, p, &format!("z9hG4bK{b}"));
            if let Some(r) = rport {
                v.set_rport(r);
                v.set_received(std::net::IpAddr::V4([192, 0, 2, 1].into()));
            }
            v
        })
}

/// An extension header: a token name and a value of words, some lines folded.
fn extension() -> impl Strategy<Value = (HeaderName, String)> {
    (
        "X-[A-Za-z0-9-]{1,10}",
        prop::collection::vec(
            (
                "[!-~é]{1,8}",
                prop::sample::select(vec![" ", "\r\n ", "\r\n\t", " \r\n  "]),
            ),
            0..5,
        ),
    )
        .prop_map(|(name, words)| {
            let mut v = String::new();
            for (i, (w, sep)) in words.iter().enumerate() {
                if i > 0 {
                    v.push_str(sep);
                }
                v.push_str(w);
            }
            (HeaderName::new(&name), v)
        })
}

/// The headers every message carries, with random values.
#[derive(Debug, Clone)]
struct Common {
    vias: Vec<Via>,
    from: FromHeader,
    to: ToHeader,
    call_id: String,
    seq: u32,
    contacts: Vec<Contact>,
    extensions: Vec<(HeaderName, String)>,
    body: Option<Vec<u8>>,
}

fn common() -> impl Strategy<Value = Common> {
    (
        prop::collection::vec(via(), 1..4),
        (name_addr(), token(), name_addr(), prop::option::of(token())),
        "[A-Za-z0-9.!%*_+`'~()<>:\\\\\"/\\[\\]?{}-]{1,20}(@[a-z0-9.]{1,10})?",
        0u32..(1 << 31),
        prop::collection::vec(contact(), 0..3),
        prop::collection::vec(extension(), 0..4),
        prop::option::of(prop::collection::vec(any::<u8>(), 0..64)),
    )
        .prop_map(
            |(vias, (fa, ftag, ta, ttag), call_id, seq, contacts, extensions, body)| {
                let mut from = FromHeader::new(fa);
                from.set_tag(&ftag);
                let mut to = ToHeader::new(ta);
                if let Some(t) = ttag {
                    to.set_tag(&t);
                }
                Common {
                    vias,
                    from,
                    to,
                    call_id,
                    seq,
                    contacts,
                    extensions,
                    body,
                }
            },
        )
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        prop::sample::select(vec![
            Method::Invite,
            Method::Register,
            Method::Options,
            Method::Message,
            Method::Subscribe,
        ]),
        "[A-Z][A-Z0-9_-]{0,9}".prop_map(|m| Method::from(m.as_str())),
    ]
}

/// Adds the common headers in order, through any builder.
macro_rules! add_common {
    ($b:expr, $c:expr, $method:expr) => {{
        let c = $c;
        let mut b = $b;
        for v in &c.vias {
            b = b.typed(v);
        }
        b = b
            .typed(&c.from)
            .typed(&c.to)
            .typed(&CallId::new(c.call_id.as_str()))
            .typed(&CSeq::new(c.seq, $method));
        for ct in &c.contacts {
            b = b.typed(ct);
        }
        for (n, v) in &c.extensions {
            b = b.header(n.clone(), v.as_str());
        }
        if let Some(body) = &c.body {
            b = b.body("application/octet-stream", body.clone());
        }
        b
    }};
}

fn request() -> impl Strategy<Value = Request> {
    (method(), uri(), common(), prop::option::of(0u8..)).prop_map(|(m, u, c, mf)| {
        let mut b = Request::builder(m.clone(), u);
        if let Some(mf) = mf {
            b = b.typed(&MaxForwards(mf));
        }
        add_common!(b, &c, m).build()
    })
}

fn response() -> impl Strategy<Value = Response> {
    (
        100u16..700,
        prop::option::of("[ -~\té漢]{0,20}"),
        method(),
        common(),
    )
        .prop_map(|(code, reason, m, c)| {
            let mut b = Response::builder(StatusCode::new(code).unwrap());
            if let Some(r) = reason {
                b = b.reason(r);
            }
            add_common!(b, &c, m).build()
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 384,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn built_requests_round_trip(req in request()) {
        let wire = req.to_bytes();
        prop_assert!(assert_round_trip("request", &wire), "built request does not parse:\n{req}");
        // The headers a UA needs come back with their values.
        let m = SipMessage::parse(wire).unwrap();
        if let Ok(core) = m.validate() {
            let from: FromHeader = req.headers().typed().unwrap();
            prop_assert_eq!(core.from.tag(), from.tag());
            prop_assert_eq!(core.via.len(), req.headers().typed_all::<Via>().unwrap().len());
        }
        prop_assert_eq!(m.body(), req.body());
    }

    #[test]
    fn built_responses_round_trip(resp in response()) {
        let wire = resp.to_bytes();
        prop_assert!(assert_round_trip("response", &wire), "built response does not parse:\n{resp}");
    }

    #[test]
    fn typed_values_survive_printing(c in contact(), v in via(), na in name_addr()) {
        // A typed value printed into a message parses back to an equal value.
        let mut h = Headers::new();
        h.push_typed(&c);
        h.push_typed(&v);
        h.push_typed(&ToHeader::new(na.clone()));
        let raw = format!("OPTIONS sip:x.test SIP/2.0\r\n{h}\r\n");
        let m = SipMessage::parse(Bytes::from(raw)).unwrap();
        prop_assert_eq!(m.headers().typed::<Contact>().unwrap(), c);
        prop_assert_eq!(m.headers().typed::<Via>().unwrap(), v);
        prop_assert_eq!(m.headers().typed::<ToHeader>().unwrap().addr, na);
    }
}
