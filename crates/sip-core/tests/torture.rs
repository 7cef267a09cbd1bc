//! RFC 4475 torture tests.
//!
//! `tests/torture/` holds this project's own corpus: one message per RFC 4475 case (§3.1.1 valid
//! messages, §3.1.2 invalid ones, §3.2 transaction-layer and §3.3 application-layer cases),
//! written for this crate with the same defect or feature as the RFC's message but its own
//! hosts, tags and values. Each case has an expected outcome in [`CASES`], decided from the
//! RFC's text, and most have a check of the element the case is about.
//!
//! A second test runs the byte-exact copies of the RFC's messages when `SIPSIMPLE_RFC4475_DIR`
//! names their folder (`cargo xtask` sets it), and a third feeds every corpus file, truncated at
//! every byte offset, to the parser and the stream framer (nothing may panic).

use std::path::{Path, PathBuf};

use bytes::Bytes;
use sip_core::header::{
    BRANCH_MAGIC_COOKIE, CSeq, Contact, ContentLength, ContentType, FromHeader, HeaderName,
    MaxForwards, RecordRoute, Route, ToHeader, Via,
};
use sip_core::message::framing::{KeepAliveRole, StreamFramer};
use sip_core::message::{Method, ParseLimits, SipMessage};
use sip_core::uri::{Host, SipUri, Uri};
use sip_core::{Element, ParseError, ParseErrorKind};

/// What a user agent does with a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Parses and validates, [`ua_verdict`] accepts it, and the case's check holds.
    Valid,
    /// Parsing, validation or a header a UA parses fails, on this element (a 400 for a request).
    ParseError(Element),
    /// Parsing, validation or a header a UA parses fails (a 400 for a request); the element is
    /// not pinned because the RFC's copy fails elsewhere than ours.
    Invalid400,
    /// Parses, but the version calls for 505 Version Not Supported.
    Version505,
    /// Parses; the application layer refuses it with this status code.
    AppLevel(u16),
    /// A response that parses and validates but that a UA silently discards.
    Discard,
}

use Expect::*;

/// One corpus case.
struct Case {
    /// The file stem in `tests/torture/` (the RFC's short name).
    name: &'static str,
    /// The file stem of the byte-exact copy, when one exists.
    dat: Option<&'static str>,
    /// The RFC 4475 section.
    section: &'static str,
    /// The expected outcome, for both our message and the RFC's copy.
    expect: Expect,
    /// Checks of our own message (its values), run whenever it parses.
    check: fn(&SipMessage),
}

const fn case(
    name: &'static str,
    section: &'static str,
    expect: Expect,
    check: fn(&SipMessage),
) -> Case {
    Case {
        name,
        dat: Some(name),
        section,
        expect,
        check,
    }
}

fn nothing(_: &SipMessage) {}

/// Every case. The outcomes follow the RFC's text for each section.
const CASES: &[Case] = &[
    // §3.1.1 Valid messages: parsers must accept them.
    case("wsinv", "3.1.1.1", Valid, check_wsinv),
    case("intmeth", "3.1.1.2", Valid, check_intmeth),
    case("esc01", "3.1.1.3", Valid, check_esc01),
    case("escnull", "3.1.1.4", Valid, check_escnull),
    case("esc02", "3.1.1.5", Valid, check_esc02),
    case("lwsdisp", "3.1.1.6", Valid, check_lwsdisp),
    case("longreq", "3.1.1.7", Valid, check_longreq),
    case("dblreq", "3.1.1.8", Valid, check_dblreq),
    case("semiuri", "3.1.1.9", Valid, check_semiuri),
    case("transports", "3.1.1.10", Valid, check_transports),
    case("mpart01", "3.1.1.11", Valid, check_mpart01),
    case("unreason", "3.1.1.12", Valid, check_unreason),
    case("noreason", "3.1.1.13", Valid, check_noreason),
    // §3.1.2 Invalid messages: a 400 (responses are dropped), and nothing breaks.
    // Empty Via and Contact parameters.
    case(
        "badinv01",
        "3.1.2.1",
        ParseError(Element::Parameter),
        check_badinv01,
    ),
    // Content-Length beyond the datagram.
    case("clerr", "3.1.2.2", ParseError(Element::Body), nothing),
    case(
        "ncl",
        "3.1.2.3",
        ParseError(Element::HeaderValue("Content-Length")),
        nothing,
    ),
    // CSeq beyond 2^31 (the first fault; Max-Forwards and the expiries are out of range too).
    case(
        "scalar02",
        "3.1.2.4",
        ParseError(Element::HeaderValue("CSeq")),
        check_scalar02,
    ),
    case(
        "scalarlg",
        "3.1.2.5",
        ParseError(Element::HeaderValue("CSeq")),
        nothing,
    ),
    case(
        "quotbal",
        "3.1.2.6",
        ParseError(Element::HeaderValue("To")),
        nothing,
    ),
    case("ltgtruri", "3.1.2.7", ParseError(Element::Uri), nothing),
    // `sip:host; lr`: the URI ends at the SP with an empty parameter.
    case(
        "lwsruri",
        "3.1.2.8",
        ParseError(Element::Parameter),
        nothing,
    ),
    case(
        "lwsstart",
        "3.1.2.9",
        ParseError(Element::RequestLine),
        nothing,
    ),
    case(
        "trws",
        "3.1.2.10",
        ParseError(Element::RequestLine),
        nothing,
    ),
    // RFC 3261 §19.1.1: no URI headers in a Request-URI.
    case(
        "escruri",
        "3.1.2.11",
        ParseError(Element::UriHeader),
        nothing,
    ),
    // A non-GMT Date: syntactically a header we keep raw; an element may answer 400.
    case("baddate", "3.1.2.12", AppLevel(400), check_baddate),
    // An addr-spec with URI headers must be in name-addr form.
    case(
        "regbadct",
        "3.1.2.13",
        ParseError(Element::HeaderValue("Contact")),
        nothing,
    ),
    // `< sip:... >`: the URI inside the brackets starts with a space.
    case("badaspec", "3.1.2.14", ParseError(Element::Uri), nothing),
    // Unquoted display names with commas. The RFC's copy also lacks the final empty line, so
    // it fails as an incomplete message; ours fails on From.
    case("baddn", "3.1.2.15", Invalid400, check_baddn),
    case("badvers", "3.1.2.16", Version505, nothing),
    case(
        "mismatch01",
        "3.1.2.17",
        ParseError(Element::HeaderValue("CSeq")),
        nothing,
    ),
    case(
        "mismatch02",
        "3.1.2.18",
        ParseError(Element::HeaderValue("CSeq")),
        nothing,
    ),
    case(
        "bigcode",
        "3.1.2.19",
        ParseError(Element::StatusCode),
        nothing,
    ),
    // §3.2 Transaction layer: a branch that is the magic cookie alone identifies nothing.
    case("badbranch", "3.2.1", AppLevel(400), check_badbranch),
    // §3.3 Application layer: syntactically fine, refused (or handled) by the application.
    case("insuf", "3.3.1", AppLevel(400), check_insuf),
    case("unkscm", "3.3.2", AppLevel(416), check_unkscm),
    case("novelsc", "3.3.3", AppLevel(416), check_novelsc),
    // A registrar refuses an AOR that is not a SIP or SIPS URI.
    case("unksm2", "3.3.4", AppLevel(400), check_unksm2),
    case("bext01", "3.3.5", AppLevel(420), check_bext01),
    case("invut", "3.3.6", AppLevel(415), check_invut),
    // A registrar that authenticates challenges again with a scheme it knows.
    case("regaut01", "3.3.7", AppLevel(401), check_regaut01),
    case("multi01", "3.3.8", AppLevel(400), check_multi01),
    case(
        "mcl01",
        "3.3.9",
        ParseError(Element::HeaderValue("Content-Length")),
        nothing,
    ),
    // A response with more than one Via (here a broadcast one) is discarded.
    case("bcast", "3.3.10", Discard, check_bcast),
    // A proxy answers 483; an endpoint processes the request.
    case("zeromf", "3.3.11", Valid, check_zeromf),
    case("cparam01", "3.3.12", Valid, check_cparam01),
    case("cparam02", "3.3.13", Valid, check_cparam02),
    case("regescrt", "3.3.14", Valid, check_regescrt),
    // Accept without application/sdp on an INVITE: 406 (a 400 would also do).
    case("sdp01", "3.3.15", AppLevel(406), check_sdp01),
    // RFC 2543 style: no branch, no From tag, no Max-Forwards, no Content-Length.
    case("inv2543", "3.3.16", Valid, check_inv2543),
    // Not an RFC 4475 case: the copies' folder also holds `test.dat`, a Request-Line without
    // SIP-Version (and a header line without colon further down).
    Case {
        name: "noversion",
        dat: Some("test"),
        section: "-",
        expect: ParseError(Element::RequestLine),
        check: nothing,
    },
];

// ---------------------------------------------------------------------------------------------
// The user agent's view.

/// What a UA does with a message it parsed, beyond [`SipMessage::validate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Processes it.
    Accept,
    /// Answers with this status code.
    Reject(u16),
    /// Drops it silently (responses).
    Drop,
}

/// The header values a UA parses before acting on a request or response: what
/// [`SipMessage::validate`] checks plus the routing headers. The first error, if any.
fn ua_parse(msg: &SipMessage) -> Result<(), ParseError> {
    msg.validate()?;
    let h = msg.headers();
    h.typed_all::<Contact>()?;
    h.typed_all::<Route>()?;
    h.typed_all::<RecordRoute>()?;
    Ok(())
}

/// Option tags this UA implements.
const SUPPORTED: &[&str] = &["100rel", "timer", "replaces", "path", "outbound", "gruu"];
/// Body types this UA understands.
const UNDERSTOOD: &[&str] = &[
    "application/sdp",
    "multipart/mixed",
    "multipart/alternative",
    "multipart/related",
    "text/plain",
    "message/sipfrag",
    "application/pidf+xml",
];

/// A small user agent's decisions, rule by rule from RFC 3261 (and RFC 4475's advice), for a
/// message that parsed.
fn ua_verdict(msg: &SipMessage) -> Verdict {
    let reject = |code| match msg {
        SipMessage::Request(_) => Verdict::Reject(code),
        SipMessage::Response(_) => Verdict::Drop,
    };
    if let Err(e) = ua_parse(msg) {
        return reject(if e.kind == ParseErrorKind::UnsupportedVersion {
            505
        } else {
            400
        });
    }
    let h = msg.headers();
    let vias: Vec<Via> = h.typed_all().unwrap();
    // §8.1.3.3: a response with more than one Via is discarded.
    if !msg.is_request() && vias.len() > 1 {
        return Verdict::Drop;
    }
    // A branch that claims RFC 3261 style but holds nothing after the cookie.
    if vias[0].branch() == Some(BRANCH_MAGIC_COOKIE) {
        return reject(400);
    }
    // RFC 3261 §20.17: SIP-date is GMT only.
    if let Some(d) = h.get_str(&HeaderName::Date)
        && !d.ends_with(" GMT")
    {
        return reject(400);
    }
    let SipMessage::Request(req) = msg else {
        return Verdict::Accept;
    };
    // §8.2.2.1: a scheme the UA does not know.
    if !matches!(req.uri(), Uri::Sip(_) | Uri::Tel(_)) {
        return Verdict::Reject(416);
    }
    // §8.2.2.3: Require names an extension the UA lacks.
    for r in h.get_all(&HeaderName::Require) {
        if r.value()
            .split(',')
            .map(str::trim)
            .any(|t| !SUPPORTED.contains(&t))
        {
            return Verdict::Reject(420);
        }
    }
    // §8.2.3: a body type the UA does not understand.
    if !req.body().is_empty() {
        let ct = msg.content_type().unwrap().unwrap();
        if !UNDERSTOOD.contains(&ct.0.essence().as_str()) {
            return Verdict::Reject(415);
        }
    }
    // §8.2.3 / §13.3.1: an INVITE whose Accept rules out the session description.
    if req.method() == &Method::Invite
        && let Some(accept) = h.get_str(&HeaderName::Accept)
        && !accept.split(',').map(str::trim).any(|t| {
            let t = t
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            matches!(t.as_str(), "application/sdp" | "application/*" | "*/*")
        })
    {
        return Verdict::Reject(406);
    }
    if req.method() == &Method::Register {
        // §10.3: the To of a REGISTER is an AOR, a SIP or SIPS URI.
        let to: ToHeader = h.typed().unwrap();
        if !matches!(to.uri(), Uri::Sip(_)) {
            return Verdict::Reject(400);
        }
        // §22: a registrar that authenticates challenges credentials of an unknown scheme.
        if let Some(auth) = h.get_str(&HeaderName::Authorization)
            && !auth
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("digest ")
        {
            return Verdict::Reject(401);
        }
    }
    Verdict::Accept
}

/// Runs one message against its expected outcome; `ours` runs the case's own checks too.
fn assert_outcome(c: &Case, raw: &[u8], ours: bool) -> Result<(), String> {
    let what = if ours {
        c.name
    } else {
        c.dat.unwrap_or(c.name)
    };
    let tag = format!("{what} (RFC 4475 §{}, expected {:?})", c.section, c.expect);
    let parsed = SipMessage::parse(Bytes::copy_from_slice(raw));
    if ours && let Ok(m) = &parsed {
        (c.check)(m);
    }
    let first_error = match &parsed {
        Err(e) => Some(e.clone()),
        Ok(m) => ua_parse(m).err(),
    };
    let ok = match (c.expect, &parsed) {
        (ParseError(el), _) => first_error.as_ref().is_some_and(|e| e.element == el),
        (Invalid400, _) => first_error.as_ref().is_some_and(|e| {
            e.kind != ParseErrorKind::UnsupportedVersion && e.element != Element::SipVersion
        }),
        (Version505, Ok(m)) => {
            matches!(m.validate(), Err(e) if e.kind == ParseErrorKind::UnsupportedVersion)
                && ua_verdict(m) == Verdict::Reject(505)
        }
        (Valid, Ok(m)) => first_error.is_none() && ua_verdict(m) == Verdict::Accept,
        (AppLevel(code), Ok(m)) => ua_verdict(m) == Verdict::Reject(code),
        (Discard, Ok(m)) => first_error.is_none() && ua_verdict(m) == Verdict::Drop,
        (_, Err(_)) => false,
    };
    if ok {
        return Ok(());
    }
    Err(match &parsed {
        Err(e) => format!("{tag}: parse failed: {e} ({:?})", e.element),
        Ok(m) => format!(
            "{tag}: parsed; first error {:?}; verdict {:?}",
            first_error.map(|e| (e.element, e.kind, e.offset)),
            ua_verdict(m)
        ),
    })
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/torture")
}

fn read_case(name: &str) -> Vec<u8> {
    let path = corpus_dir().join(format!("{name}.sip"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn corpus_outcomes() {
    let mut failures = Vec::new();
    for c in CASES {
        if let Err(f) = assert_outcome(c, &read_case(c.name), true) {
            failures.push(f);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn corpus_has_every_case_and_nothing_else() {
    let mut names: Vec<String> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sip"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut table: Vec<String> = CASES.iter().map(|c| c.name.to_owned()).collect();
    table.sort();
    assert_eq!(names, table);
    // CRLF line ends survived checkout (see .gitattributes).
    let wsinv = read_case("wsinv");
    assert!(wsinv.windows(2).filter(|w| w == b"\r\n").count() > 30);
    assert!(!wsinv.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r'));
}

/// The byte-exact copies of the RFC's messages, when `SIPSIMPLE_RFC4475_DIR` names their folder.
#[test]
fn rfc4475_copies() {
    let Some(dir) = std::env::var_os("SIPSIMPLE_RFC4475_DIR") else {
        println!("note: SIPSIMPLE_RFC4475_DIR is not set; the RFC 4475 copies were not run");
        return;
    };
    let dir = PathBuf::from(dir);
    let mut failures = Vec::new();
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "dat") {
            continue;
        }
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let Some(c) = CASES.iter().find(|c| c.dat == Some(stem.as_str())) else {
            failures.push(format!("{stem}.dat has no expected outcome in the table"));
            continue;
        };
        seen += 1;
        let raw = std::fs::read(&path).unwrap();
        if let Err(f) = assert_outcome(c, &raw, false) {
            failures.push(f);
        }
        no_panic_on_prefixes(&raw);
    }
    for c in CASES {
        if let Some(d) = c.dat
            && !dir.join(format!("{d}.dat")).exists()
        {
            failures.push(format!(
                "{d}.dat is in the table but not in {}",
                dir.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!("{seen} RFC 4475 copies checked");
}

/// Every prefix of a message through the datagram parser and the stream framer, and the
/// whole message through the framer cut in two at every offset.
fn no_panic_on_prefixes(raw: &[u8]) {
    let drain = |f: &mut StreamFramer| {
        while let Some(r) = f.next_frame() {
            if r.is_err() {
                break;
            }
        }
    };
    for cut in 0..=raw.len() {
        if let Ok(m) = SipMessage::parse(Bytes::copy_from_slice(&raw[..cut])) {
            let _ = ua_parse(&m);
            let _ = m.to_bytes();
        }
        for role in [KeepAliveRole::Client, KeepAliveRole::Server] {
            let mut f = StreamFramer::new(ParseLimits::default(), role);
            if f.push(&raw[..cut]).is_ok() {
                drain(&mut f);
            }
            let mut f = StreamFramer::new(ParseLimits::default(), role);
            if f.push(&raw[..cut]).is_ok() {
                drain(&mut f);
                if f.push(&raw[cut..]).is_ok() {
                    drain(&mut f);
                }
            }
        }
    }
}

#[test]
fn truncated_corpus_never_panics() {
    for c in CASES {
        no_panic_on_prefixes(&read_case(c.name));
    }
}

// ---------------------------------------------------------------------------------------------
// Checks of our own messages.

fn sip(s: &str) -> SipUri {
    SipUri::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn ruri(m: &SipMessage) -> &Uri {
    m.as_request().expect("a request").uri()
}

fn from(m: &SipMessage) -> FromHeader {
    m.headers().typed().unwrap()
}

fn to(m: &SipMessage) -> ToHeader {
    m.headers().typed().unwrap()
}

fn contacts(m: &SipMessage) -> Vec<Contact> {
    m.headers().typed_all().unwrap()
}

fn vias(m: &SipMessage) -> Vec<Via> {
    m.headers().typed_all().unwrap()
}

fn raw<'a>(m: &'a SipMessage, name: &str) -> &'a str {
    m.headers()
        .get_str(&HeaderName::new(name))
        .unwrap_or_else(|| panic!("no {name} header"))
}

fn body_length_matches(m: &SipMessage) {
    let cl: ContentLength = m.headers().typed().unwrap();
    assert_eq!(cl.0 as usize, m.body().len());
}

fn check_wsinv(m: &SipMessage) {
    // Folded, oddly spaced and oddly cased headers unfold to their values.
    let t = to(m);
    assert_eq!(t.uri(), &Uri::Sip(sip("sip:carol@wsinv.example.test")));
    assert_eq!(t.tag(), Some("77wsinv01"));
    let f = from(m);
    assert_eq!(f.addr.display_name().unwrap(), r#"Dave Q. \""#);
    assert_eq!(f.tag(), Some("5tg93x"));
    assert_eq!(m.headers().typed::<MaxForwards>().unwrap().0, 42);
    assert_eq!(
        m.headers().typed::<CSeq>().unwrap(),
        CSeq::new(17, Method::Invite)
    );
    let v = vias(m);
    let transports: Vec<&str> = v.iter().map(Via::transport).collect();
    assert_eq!(transports, ["UDP", "TCP", "UDP"]);
    assert_eq!(v[0].branch(), Some("wsinv-old-style-7"));
    assert!(!v[0].has_rfc3261_branch());
    assert_eq!(v[1].host(), &Host::Domain("relay.example.test".into()));
    assert_eq!(v[2].branch(), Some("z9hG4bKws0002"));
    assert_eq!(v[2].host(), &Host::Ipv4([198, 51, 100, 77].into()));
    assert_eq!(m.headers().get_str(&HeaderName::Subject), Some(""));
    assert_eq!(raw(m, "X-Wrapped-Thing"), "first part second part");
    assert_eq!(raw(m, "X-Punctuation-Only"), ";,;;,,;");
    let route: Route = m.headers().typed().unwrap();
    assert!(route.is_loose());
    let ru = route.uri().as_sip().unwrap();
    assert_eq!(ru.param("oddity"), Some("yes"));
    assert!(ru.params().contains("bare-flag"));
    let c = &contacts(m)[0];
    assert_eq!(
        c.addr.as_ref().unwrap().display_name().unwrap(),
        r#"Say "hi""#
    );
    assert_eq!(c.params.raw_value("fresh"), Some("value1"));
    assert!(c.params.contains("flagparam"));
    assert_eq!(c.q(), Some(500));
    assert!(ruri(m).as_sip().unwrap().params().contains("oddparam"));
    body_length_matches(m);
}

fn check_intmeth(m: &SipMessage) {
    let method = "x-Wacky!Method_2024*+`.%'~";
    let req = m.as_request().unwrap();
    assert_eq!(req.method(), &Method::Extension(method.into()));
    assert_eq!(req.method().as_str(), method);
    assert_eq!(m.headers().typed::<CSeq>().unwrap().method, *req.method());
    let u = req.uri().as_sip().unwrap();
    assert_eq!(
        u.user().as_deref(),
        Some("we!rd_us~er(for-sure)&don't+do$/this?,/;;*")
    );
    assert_eq!(
        u.password().as_deref(),
        Some("&pass+is=3,strange!*pa$~_.(right)")
    );
    assert_eq!(u.host(), &Host::Domain("example.test".into()));
    assert!(u.params().is_empty());
    assert_eq!(vias(m)[0].branch(), Some("z9hG4bK-.!%77*_+`'~"));
    // Quoted pairs of control characters in a display name.
    let t = to(m);
    assert_eq!(
        t.addr.display_name().unwrap(),
        "ctl: \u{7} nul: \u{0} del: \u{7f}"
    );
    let f = from(m);
    assert_eq!(f.addr.display_name().unwrap(), "tok1~` tok2'+_ tok3*%!.-");
    assert_eq!(f.params.value("xParam''~+*_!.-%").unwrap(), "данные");
    assert_eq!(f.tag(), Some("_tg~7'+`*%!-."));
    assert_eq!(raw(m, "Call-ID"), r#"intmeth.w%ZQ-!.*_+'@w`~)(><:\/"][?}{"#);
    assert_eq!(raw(m, "x-ext-!.%*+_`'~"), "\u{feff}漢字テスト");
}

fn check_esc01(m: &SipMessage) {
    // Escaped URIs equal their unescaped forms (RFC 3261 §19.1.4).
    let r = ruri(m).as_sip().unwrap();
    assert_eq!(r.user().as_deref(), Some("sips:eve@example.test"));
    assert_eq!(r.host(), &Host::Domain("esc.example.test".into()));
    assert_eq!(to(m).uri(), &Uri::Sip(sip("sip:fred@example.test")));
    let f = from(m);
    assert_eq!(
        f.uri().as_sip().unwrap().user().as_deref(),
        Some("with some spaces")
    );
    let c = contacts(m)[0]
        .addr
        .as_ref()
        .unwrap()
        .uri()
        .as_sip()
        .unwrap()
        .clone();
    // `v%61l%25%34%32` is `val%42` once unescaped, which `val%2542` also is.
    assert_eq!(c, sip("sip:fred@host7.esc.example.test;lr;key=val%2542"));
    assert_ne!(c, sip("sip:fred@host7.esc.example.test;lr;key=val%42"));
    assert_ne!(c, sip("sip:fred@host7.esc.example.test;key=other"));
    assert_eq!(
        m.content_type().unwrap().unwrap().0.essence(),
        "application/sdp"
    );
    body_length_matches(m);
}

fn check_escnull(m: &SipMessage) {
    let t = to(m);
    assert_eq!(
        t.uri().as_sip().unwrap().user().as_deref(),
        Some("zero-\0-byte")
    );
    assert_eq!(from(m).uri(), t.uri());
    let c = contacts(m);
    assert_eq!(c.len(), 2);
    let users: Vec<String> = c
        .iter()
        .map(|c| {
            c.addr
                .as_ref()
                .unwrap()
                .uri()
                .as_sip()
                .unwrap()
                .user()
                .unwrap()
                .into_owned()
        })
        .collect();
    assert_eq!(users, ["\0", "\0\0"]);
    assert_ne!(c[0].addr, c[1].addr);
}

fn check_esc02(m: &SipMessage) {
    // Escapes mean nothing in a method or a header name.
    let req = m.as_request().unwrap();
    assert_eq!(req.method(), &Method::Extension("RE%47IST%45R".into()));
    assert_ne!(req.method(), &Method::Register);
    assert_eq!(contacts(m).len(), 2);
    assert_eq!(raw(m, "C%6Fntact"), "<sip:two@h2.example.test>");
    assert!(matches!(HeaderName::new("C%6Fntact"), HeaderName::Other(_)));
    assert_eq!(to(m).addr.display_name().unwrap(), "%Z%45");
    assert_eq!(vias(m)[0].branch(), Some("z9hG4bK77%zzq1"));
}

fn check_lwsdisp(m: &SipMessage) {
    let f = from(m);
    assert_eq!(f.addr.display_name().unwrap(), "caller");
    assert_eq!(f.uri(), &Uri::Sip(sip("sip:gina@example.test")));
    assert_eq!(f.tag(), Some("lw5"));
}

fn check_longreq(m: &SipMessage) {
    let t = to(m);
    let display = t.addr.display_name().unwrap();
    assert!(display.len() > 120 && display.contains(&"huge".repeat(30)));
    let tu = t.uri().as_sip().unwrap();
    assert_eq!(tu.port(), Some(6060));
    assert_eq!(tu.param("longparamvalue").unwrap().len(), 200);
    assert_eq!(tu.param(&"p".repeat(150)), Some("short"));
    assert!(tu.params().contains(&"flag".repeat(40)));
    let f = from(m);
    assert_eq!(f.tag().unwrap(), "31415926".repeat(30));
    assert_eq!(
        f.params.raw_value(&"hp".repeat(60)),
        Some("hv".repeat(60).as_str())
    );
    assert!(f.params.contains(&"lonelyflag".repeat(12)));
    assert_eq!(
        f.uri().as_sip().unwrap().user().unwrap(),
        "enormous".repeat(20)
    );
    assert_eq!(raw(m, "Call-ID"), format!("longreq.{}", "call".repeat(40)));
    let x = raw(m, &format!("X-{}-Header", "Long".repeat(25)));
    assert!(x.starts_with("value-value-") && x.ends_with(&"pv".repeat(40)));
    let v = vias(m);
    assert_eq!(v.len(), 25);
    assert_eq!(v[0].host(), &Host::Domain("relay24.example.test".into()));
    assert_eq!(v[24].branch().unwrap().len(), 7 + 220);
    assert_eq!(v[24].received(), Some("192.0.2.99"));
    body_length_matches(m);
}

fn check_dblreq(m: &SipMessage) {
    // Only the first message of the datagram counts.
    assert_eq!(m.as_request().unwrap().method(), &Method::Register);
    assert!(m.body().is_empty());
    assert_eq!(
        m.headers().typed::<CSeq>().unwrap(),
        CSeq::new(12, Method::Register)
    );
    assert!(!m.headers().iter().any(|h| h.value().contains("jack")));
}

fn check_semiuri(m: &SipMessage) {
    // The `;` is in the user part, so the Request-URI has no parameters.
    let u = ruri(m).as_sip().unwrap();
    assert_eq!(
        u.user().as_deref(),
        Some("henry;tel=u@elsewhere.example.test")
    );
    assert_eq!(u.host(), &Host::Domain("example.test".into()));
    assert!(u.params().is_empty());
    // In an addr-spec, what follows the URI is header parameters.
    let f = from(m);
    assert!(f.uri().as_sip().unwrap().params().is_empty());
    assert_eq!(f.tag(), Some("s3m1"));
    let accept = m.headers().get_str(&HeaderName::Accept).unwrap();
    assert_eq!(accept.split(',').count(), 5);
    assert!(!accept.contains('\r') && !accept.contains('\n'));
}

fn check_transports(m: &SipMessage) {
    let v = vias(m);
    let t: Vec<&str> = v.iter().map(Via::transport).collect();
    assert_eq!(t, ["UDP", "SCTP", "TLS", "FANCYNEW", "TCP"]);
    assert!(v.iter().all(Via::has_rfc3261_branch));
    assert_eq!(
        m.headers()
            .typed::<sip_core::header::CallId>()
            .unwrap()
            .as_str(),
        "transports.p0o9i8u7y6"
    );
}

fn check_mpart01(m: &SipMessage) {
    body_length_matches(m);
    let ct: ContentType = m.headers().typed().unwrap();
    assert!(ct.0.is("multipart/mixed"));
    let boundary = ct.0.param("boundary").unwrap().into_owned();
    let body = m.body();
    // The binary part holds CR, LF, NUL and bytes that are not UTF-8.
    assert!(std::str::from_utf8(body).is_err());
    assert!(body.contains(&0));
    let delim = format!("--{boundary}");
    let count = body
        .windows(delim.len())
        .filter(|w| *w == delim.as_bytes())
        .count();
    assert_eq!(count, 3);
    assert!(body.ends_with(format!("--{boundary}--\r\n").as_bytes()));
    assert_eq!(vias(m)[0].rport(), Some(None));
}

fn check_unreason(m: &SipMessage) {
    let r = m.as_response().unwrap();
    assert_eq!(r.status().code(), 200);
    assert_eq!(r.reason(), "= 6 * 7 это ответ — 答えは四十二 ✓");
    body_length_matches(m);
}

fn check_noreason(m: &SipMessage) {
    let r = m.as_response().unwrap();
    assert_eq!(r.status().code(), 100);
    assert_eq!(r.reason(), "");
}

fn check_badinv01(m: &SipMessage) {
    // Both the Via and the Contact are broken.
    assert!(m.headers().typed_all::<Via>().is_err());
    assert!(m.headers().typed_all::<Contact>().is_err());
}

fn check_scalar02(m: &SipMessage) {
    let e = m.validate().unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::OutOfRange);
    assert!(m.headers().typed::<MaxForwards>().is_err());
    // Expiry values saturate (RFC 3261 §10.2.1.1 treats them as very large).
    assert_eq!(
        m.headers().typed::<sip_core::header::Expires>().unwrap().0,
        u32::MAX
    );
    assert_eq!(contacts(m)[0].expires(), Some(u32::MAX));
}

fn check_baddate(m: &SipMessage) {
    m.validate().unwrap();
    assert_eq!(raw(m, "Date"), "Mon, 04 Mar 2030 09:30:00 PST");
}

fn check_baddn(m: &SipMessage) {
    for (name, e) in [
        ("From", m.headers().typed::<FromHeader>().map(|_| ())),
        ("To", m.headers().typed::<ToHeader>().map(|_| ())),
    ] {
        assert_eq!(e.unwrap_err().element, Element::HeaderValue(name));
    }
}

fn check_badbranch(m: &SipMessage) {
    m.validate().unwrap();
    assert_eq!(vias(m)[0].branch(), Some(BRANCH_MAGIC_COOKIE));
}

fn check_insuf(m: &SipMessage) {
    let e = m.validate().unwrap_err();
    assert!(matches!(e.kind, ParseErrorKind::MissingHeader(_)));
    for name in [
        HeaderName::From,
        HeaderName::To,
        HeaderName::CallId,
        HeaderName::MaxForwards,
    ] {
        assert!(!m.headers().contains(&name));
    }
}

fn check_unkscm(m: &SipMessage) {
    m.validate().unwrap();
    let Uri::Other(u) = ruri(m) else {
        panic!("an opaque URI")
    };
    assert_eq!(u.scheme(), "zzNeverHeardOfIt");
    assert_eq!(u.as_str(), "zzNeverHeardOfIt:opaque-stuff-42");
}

fn check_novelsc(m: &SipMessage) {
    m.validate().unwrap();
    assert_eq!(ruri(m).scheme(), "soap.beep");
    assert_eq!(ruri(m).to_string(), "soap.beep://198.51.100.9:3012");
}

fn check_unksm2(m: &SipMessage) {
    m.validate().unwrap();
    assert_eq!(to(m).uri().scheme(), "isbn");
    assert_eq!(from(m).uri().scheme(), "http");
    assert_eq!(from(m).tag(), Some("u2a1"));
    assert_eq!(
        contacts(m)[0].addr.as_ref().unwrap().uri().to_string(),
        "name:Rita_Example"
    );
}

fn check_bext01(m: &SipMessage) {
    m.validate().unwrap();
    assert_eq!(
        m.headers().get_str(&HeaderName::Require),
        Some("nobodyImplementsThis, noneOfThemEither")
    );
    assert!(m.headers().contains(&HeaderName::ProxyRequire));
}

fn check_invut(m: &SipMessage) {
    m.validate().unwrap();
    assert!(
        m.content_type()
            .unwrap()
            .unwrap()
            .0
            .is("application/x-never-seen-format")
    );
    body_length_matches(m);
}

fn check_regaut01(m: &SipMessage) {
    m.validate().unwrap();
    assert_eq!(raw(m, "Authorization"), "MadeUpScheme opaque-thing=yes");
}

fn check_multi01(m: &SipMessage) {
    let e = m.validate().unwrap_err();
    assert!(matches!(e.kind, ParseErrorKind::DuplicateHeader(_)));
    for name in [
        HeaderName::CSeq,
        HeaderName::CallId,
        HeaderName::To,
        HeaderName::From,
    ] {
        assert_eq!(m.headers().get_all(&name).count(), 2, "{name:?}");
    }
}

fn check_bcast(m: &SipMessage) {
    let v = vias(m);
    assert_eq!(v.len(), 2);
    assert_eq!(v[1].host(), &Host::Ipv4([255, 255, 255, 255].into()));
}

fn check_zeromf(m: &SipMessage) {
    assert_eq!(m.validate().unwrap().max_forwards, Some(MaxForwards(0)));
}

fn check_cparam01(m: &SipMessage) {
    // Without angle brackets the parameter belongs to the Contact, not the URI.
    let c = &contacts(m)[0];
    assert!(c.params.contains("novelparam"));
    let u = c.addr.as_ref().unwrap().uri().as_sip().unwrap();
    assert!(u.params().is_empty());
    assert_eq!(u.user().as_deref(), Some("+15555550100"));
}

fn check_cparam02(m: &SipMessage) {
    // Inside the angle brackets it belongs to the URI.
    let c = &contacts(m)[0];
    assert!(c.params.is_empty());
    let u = c.addr.as_ref().unwrap().uri().as_sip().unwrap();
    assert!(u.params().contains("novelparam"));
}

fn check_regescrt(m: &SipMessage) {
    let c = &contacts(m)[0];
    let u = c.addr.as_ref().unwrap().uri().as_sip().unwrap();
    let headers: Vec<(&str, &str)> = u.headers().collect();
    assert_eq!(headers, [("Route", "%3Csip:edge.example.test%3E")]);
    assert_eq!(
        sip_core::percent_decode(headers[0].1).unwrap(),
        "<sip:edge.example.test>"
    );
}

fn check_sdp01(m: &SipMessage) {
    m.validate().unwrap();
    assert_eq!(
        m.headers().get_str(&HeaderName::Accept),
        Some("text/neverHeardOfThis")
    );
    assert!(m.content_type().unwrap().unwrap().0.is("application/sdp"));
}

fn check_inv2543(m: &SipMessage) {
    let core = m.validate().unwrap();
    assert_eq!(core.via[0].branch(), None);
    assert_eq!(core.from.tag(), None);
    assert_eq!(core.max_forwards, None);
    assert_eq!(core.content_length, None);
    // Without Content-Length, the body is the rest of the datagram.
    assert!(m.body().starts_with(b"v=0\r\n") && m.body().ends_with(b"H264/90000\r\n"));
    let rr: RecordRoute = m.headers().typed().unwrap();
    assert_eq!(
        rr.uri().as_sip().unwrap().param("maddr"),
        Some("ss9.example.test")
    );
    // An addr-spec's `;user=phone` is a To parameter, not a URI one.
    let t = to(m);
    assert_eq!(t.params.raw_value("user"), Some("phone"));
    assert!(t.uri().as_sip().unwrap().params().is_empty());
}
