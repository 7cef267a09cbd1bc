//! Fuzzes the PIDF model (with RPID, CIPID, caps and the data model): whatever parses
//! serializes to a document that parses back to the same model.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sip_payloads::Document;
use sip_payloads::pidf::Presence;

fuzz_target!(|data: &[u8]| {
    let Ok(p) = Presence::parse(data) else {
        return;
    };
    let xml = p.to_xml();
    let again = Presence::parse(xml.as_bytes())
        .unwrap_or_else(|e| panic!("serialized PIDF does not parse: {e}\n{xml}"));
    assert_eq!(p, again, "PIDF changed through {xml}");
});
