//! Fuzzes the SIP message parser and what is built on it: validation, the typed Via, Contact and
//! Route values, the printer and the stream framer. Nothing may panic; whatever parses must print
//! to a form that parses back to an equal message, and printing must be a fixed point; a stream
//! cut in two pieces must frame exactly as the whole.

#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use sip_core::ParseError;
use sip_core::header::{Contact, Headers, Route, TypedHeader, Via};
use sip_core::message::framing::{Frame, KeepAliveRole, StreamFramer};
use sip_core::message::{ParseLimits, SipMessage};

/// Every value of `T` that parses prints to a form that parses back to an equal value.
fn typed_round_trip<T: TypedHeader + PartialEq + std::fmt::Debug>(m: &SipMessage) {
    let Ok(values) = m.headers().typed_all::<T>() else {
        return;
    };
    for v in values {
        let printed = v.to_value_string();
        let mut h = Headers::new();
        h.push(T::NAME, printed.as_str());
        let again = h
            .typed_all::<T>()
            .unwrap_or_else(|e| panic!("{} value {printed:?} does not parse: {e}", T::NAME_STR));
        assert_eq!(again.len(), 1, "{} value {printed:?} splits", T::NAME_STR);
        assert_eq!(
            again[0],
            v,
            "{} value changed through {printed:?}",
            T::NAME_STR
        );
    }
}

/// Feeds `pieces` to a framer and collects the frames up to the first error.
fn frames(role: KeepAliveRole, pieces: &[&[u8]]) -> Vec<Result<Frame, ParseError>> {
    let mut framer = StreamFramer::new(ParseLimits::default(), role);
    let mut out = Vec::new();
    for piece in pieces {
        if let Err(e) = framer.push(piece) {
            out.push(Err(e));
            return out;
        }
        while let Some(frame) = framer.next_frame() {
            let failed = frame.is_err();
            out.push(frame);
            if failed {
                return out;
            }
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = SipMessage::parse(Bytes::copy_from_slice(data)) {
        let verdict = msg.validate().map(|_| ()).map_err(|e| (e.element, e.kind));
        let _ = msg.content_type();
        let _ = msg.headers().typed_all::<Via>();
        let _ = msg.headers().typed_all::<Contact>();
        let _ = msg.headers().typed_all::<Route>();
        typed_round_trip::<Via>(&msg);
        typed_round_trip::<Contact>(&msg);
        typed_round_trip::<Route>(&msg);

        let printed = msg.to_bytes();
        let again = SipMessage::parse(printed.clone())
            .unwrap_or_else(|e| panic!("the printed message does not parse: {e}\n{msg:?}"));
        assert!(
            again == msg,
            "parse(print(parse(x))) != parse(x)\nfirst:  {msg:?}\nsecond: {again:?}"
        );
        assert_eq!(again.to_bytes(), printed, "printing is not a fixed point");
        let again_verdict = again
            .validate()
            .map(|_| ())
            .map_err(|e| (e.element, e.kind));
        assert_eq!(again_verdict, verdict, "printing changed validation");
    }

    // A stream cut in two pieces frames exactly as the whole stream (for a server, which waits
    // for a second CRLF before taking a lone one as a pong).
    let cut = data
        .first()
        .map_or(0, |&b| usize::from(b) % (data.len() + 1));
    let whole = frames(KeepAliveRole::Server, &[data]);
    let split = frames(KeepAliveRole::Server, &[&data[..cut], &data[cut..]]);
    assert_eq!(
        whole, split,
        "framing depends on where the stream was cut (at {cut})"
    );
    let _ = frames(KeepAliveRole::Client, &[&data[..cut], &data[cut..]]);
});
