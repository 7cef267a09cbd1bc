//! Fuzzes the message-summary (RFC 3842) text parser: never panics; whatever parses prints as a
//! body that parses back to the same summary.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sip_payloads::message_summary::MessageSummary;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = MessageSummary::parse(data) else {
        return;
    };
    let text = s.to_string();
    let again = MessageSummary::parse(text.as_bytes())
        .unwrap_or_else(|e| panic!("printed summary does not parse: {e}\n{text}"));
    assert_eq!(s, again, "summary changed through {text}");
});
