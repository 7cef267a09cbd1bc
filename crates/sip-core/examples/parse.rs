//! Parses a SIP message from a file and shows what sip-core makes of it.
//!
//! ```text
//! cargo run -p sip-core --example parse -- crates/sip-core/examples/invite.sip
//! ```
//!
//! Prints the start line, every header (typed for the core ones, raw for the rest), a summary
//! of the body (the media lines of an SDP body) and whether the message passes
//! `SipMessage::validate`. A message that does not parse is reported with the byte offset and
//! the line at fault, and the exit status is 1.

use std::fmt::Write as _;
use std::process::ExitCode;

use bytes::Bytes;
use sip_core::header::{
    CSeq, CallId, Contact, ContentLength, ContentType, FromHeader, Header, HeaderName, Headers,
    MaxForwards, NameAddr, ToHeader, TypedHeader, Via,
};
use sip_core::message::SipMessage;
use sip_core::param::Params;
use sip_core::sdp::SdpSession;
use sip_core::{ParseError, ParseErrorKind};

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(path), None) = (args.next(), args.next()) else {
        eprintln!("usage: parse FILE");
        return ExitCode::from(2);
    };
    let raw = match std::fs::read(&path) {
        Ok(raw) => raw,
        Err(e) => {
            eprintln!("{}: {e}", path.to_string_lossy());
            return ExitCode::from(2);
        }
    };
    match SipMessage::parse(Bytes::from(raw.clone())) {
        Ok(msg) => {
            print!("{}", describe(&msg, &raw));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprint!("{}", locate(&raw, &e));
            ExitCode::from(1)
        }
    }
}

/// The report for a message that parsed.
fn describe(msg: &SipMessage, raw: &[u8]) -> String {
    let mut out = String::new();
    match msg {
        SipMessage::Request(r) => {
            let _ = writeln!(out, "Request: {} {} {}", r.method(), r.uri(), r.version());
            let _ = writeln!(out, "  Request-URI scheme: {}", r.uri().scheme());
        }
        SipMessage::Response(r) => {
            let _ = writeln!(
                out,
                "Response: {} {} {}",
                r.version(),
                r.status().code(),
                r.reason()
            );
        }
    }
    let _ = writeln!(out, "\nHeaders ({}):", msg.headers().len());
    for h in msg.headers() {
        out.push_str(&header_line(h));
    }
    out.push_str(&body_summary(msg));
    out.push_str("\nValidation: ");
    match msg.validate() {
        Ok(core) => {
            let _ = writeln!(
                out,
                "ok ({} Via, CSeq {} {})",
                core.via.len(),
                core.cseq.seq,
                core.cseq.method
            );
        }
        Err(e) => {
            let code = e.status_code();
            let _ = writeln!(out, "failed: {e}");
            if !matches!(e.kind, ParseErrorKind::MissingHeader(_)) {
                out.push_str(&context(raw, e.offset));
            }
            if msg.is_request() {
                let reason = e.reason_phrase();
                let _ = writeln!(out, "  a UAS would answer: {code} {reason}");
            } else {
                let _ = writeln!(out, "  a UAC would discard this response");
            }
        }
    }
    out
}

/// The values of one header line, typed (several for list headers such as Via and Contact).
fn typed_values<T: TypedHeader>(h: &Header) -> Result<Vec<T>, ParseError> {
    let mut one = Headers::new();
    one.push(h.name().clone(), h.value_bytes().clone());
    // Errors count from the start of the message, as the parser's do.
    one.typed_all().map_err(|e| e.shifted(h.offset()))
}

/// One header: its canonical name, then a typed rendering for the core headers.
fn header_line(h: &Header) -> String {
    let name = h.name().as_str();
    let typed = match h.name() {
        HeaderName::Via => render::<Via>(h, |v| {
            let mut s = format!(
                "transport={} sent-by={}{}",
                v.transport(),
                v.host(),
                v.port().map(|p| format!(":{p}")).unwrap_or_default()
            );
            match v.branch() {
                Some(b) if v.has_rfc3261_branch() => {
                    let _ = write!(s, " branch={b}");
                }
                Some(b) => {
                    let _ = write!(s, " branch={b} (not RFC 3261)");
                }
                None => s.push_str(" (no branch)"),
            }
            if let Some(r) = v.received() {
                let _ = write!(s, " received={r}");
            }
            match v.rport() {
                Some(Some(p)) => {
                    let _ = write!(s, " rport={p}");
                }
                Some(None) => s.push_str(" rport (requested)"),
                None => {}
            }
            s
        }),
        HeaderName::From => render::<FromHeader>(h, |f| address(&f.addr, &f.params)),
        HeaderName::To => render::<ToHeader>(h, |t| address(&t.addr, &t.params)),
        HeaderName::CallId => render::<CallId>(h, |c| format!("id={}", c.as_str())),
        HeaderName::CSeq => render::<CSeq>(h, |c| format!("seq={} method={}", c.seq, c.method)),
        HeaderName::Contact => render::<Contact>(h, |c| match &c.addr {
            None => format!("* (all bindings){}", c.params),
            Some(a) => {
                let mut s = address(a, &c.params);
                if let Some(e) = c.expires() {
                    let _ = write!(s, " expires={e}s");
                }
                if let Some(q) = c.q() {
                    let _ = write!(s, " q={}.{:03}", q / 1000, q % 1000);
                }
                s
            }
        }),
        HeaderName::MaxForwards => render::<MaxForwards>(h, |m| format!("hops={}", m.0)),
        HeaderName::ContentType => render::<ContentType>(h, |c| {
            let mut s = format!("type={}", c.0.essence());
            for p in &c.0.params {
                let _ = write!(s, " {}={}", p.name(), p.value().unwrap_or_default());
            }
            s
        }),
        HeaderName::ContentLength => render::<ContentLength>(h, |c| format!("bytes={}", c.0)),
        _ => Vec::new(),
    };
    let mut out = format!("  {name}: {}\n", h.value());
    for t in typed {
        let _ = writeln!(out, "      -> {t}");
    }
    out
}

/// Typed renderings of each value of the line, or the parse error.
fn render<T: TypedHeader>(h: &Header, f: impl Fn(&T) -> String) -> Vec<String> {
    match typed_values::<T>(h) {
        Ok(values) => values.iter().map(f).collect(),
        Err(e) => vec![format!("INVALID: {e}")],
    }
}

/// A display name, URI and tag (and other parameters).
fn address(a: &NameAddr, params: &Params) -> String {
    let mut s = String::new();
    if let Some(d) = a.display_name() {
        let _ = write!(s, "display={d:?} ");
    }
    let _ = write!(s, "uri={}", a.uri());
    if let Some(u) = a.uri().as_sip()
        && let Some(user) = u.user()
        && Some(&*user) != u.raw_user()
    {
        let _ = write!(s, " (user unescaped: {user:?})");
    }
    for p in params {
        match p.raw_value() {
            Some(v) => {
                let _ = write!(s, " {}={v}", p.name());
            }
            None => {
                let _ = write!(s, " {}", p.name());
            }
        }
    }
    s
}

/// Length, type and a look at the body.
fn body_summary(msg: &SipMessage) -> String {
    let body = msg.body();
    let mut out = format!("\nBody: {} bytes", body.len());
    if body.is_empty() {
        out.push('\n');
        return out;
    }
    let ct = msg.content_type().ok().flatten();
    match &ct {
        Some(ct) => {
            let _ = writeln!(out, ", {}", ct.0.essence());
        }
        None => out.push_str(", no Content-Type\n"),
    }
    if ct.as_ref().is_some_and(|c| c.0.is("application/sdp")) {
        match SdpSession::parse_bytes(body) {
            Ok(sdp) => {
                let _ = writeln!(
                    out,
                    "  SDP: origin {} {} {}, {} media stream(s)",
                    sdp.user,
                    sdp.id,
                    sdp.address,
                    sdp.media.len()
                );
                for m in &sdp.media {
                    let _ = writeln!(
                        out,
                        "  m={} {} {} {}",
                        m.media,
                        m.port,
                        m.transport,
                        m.formats.join(" ")
                    );
                    for map in m.rtpmaps().flatten() {
                        let channels = map.channels.map(|c| format!("/{c}")).unwrap_or_default();
                        let _ = writeln!(
                            out,
                            "      payload {} = {}/{}{channels}",
                            map.payload_type, map.encoding, map.clock_rate
                        );
                    }
                }
                return out;
            }
            Err(e) => {
                let _ = writeln!(out, "  SDP does not parse: {e}");
            }
        }
    }
    match std::str::from_utf8(body) {
        Ok(text) => {
            for line in text.lines().take(6) {
                let _ = writeln!(out, "  | {line}");
            }
            if text.lines().count() > 6 {
                out.push_str("  | ...\n");
            }
        }
        Err(_) => {
            let printable = body
                .iter()
                .filter(|b| b.is_ascii_graphic() || **b == b' ')
                .count();
            let _ = writeln!(out, "  binary ({printable} printable bytes)");
        }
    }
    out
}

/// The error, and the line it points into.
fn locate(raw: &[u8], e: &ParseError) -> String {
    let mut out = format!("parse error: {e}\n");
    out.push_str(&context(raw, e.offset));
    let start = raw
        .iter()
        .position(|&c| c != b'\r' && c != b'\n')
        .unwrap_or(0);
    if raw[start..].starts_with(b"SIP/") {
        out.push_str("  a UAC would discard this response\n");
    } else {
        let _ = writeln!(
            out,
            "  a UAS would answer: {} {}",
            e.status_code(),
            e.reason_phrase()
        );
    }
    out
}

/// The line holding byte `offset`, with a caret under that byte.
fn context(raw: &[u8], offset: usize) -> String {
    let at = offset.min(raw.len());
    let start = raw[..at]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |p| p + 1);
    let end = raw[at..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(raw.len(), |p| at + p);
    let line_no = raw[..start].iter().filter(|&&c| c == b'\n').count() + 1;
    let line = String::from_utf8_lossy(&raw[start..end]);
    let line = line.trim_end_matches('\r');
    let column = String::from_utf8_lossy(&raw[start..at]).chars().count();
    let mut out = format!("  line {line_no}, column {}:\n", column + 1);
    let _ = writeln!(out, "  | {line}");
    let _ = writeln!(out, "  | {}^", " ".repeat(column));
    out
}
