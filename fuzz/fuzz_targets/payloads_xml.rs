//! Fuzzes sip-payloads' XML layer: parsing never panics and stays within its limits; a tree
//! that parses writes out as a document that parses back to the same tree and writes the same.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sip_payloads::Element;

fuzz_target!(|data: &[u8]| {
    let Ok(el) = Element::parse("fuzz", data) else {
        return;
    };
    let xml = el.to_xml();
    let again = Element::parse("fuzz", xml.as_bytes())
        .unwrap_or_else(|e| panic!("written tree does not parse: {e}\n{xml}"));
    assert_eq!(el, again, "tree changed through {xml}");
    assert_eq!(xml, again.to_xml(), "writing is not stable");
});
