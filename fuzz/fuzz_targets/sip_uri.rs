//! Fuzzes the URI parsers (`sip:`, `sips:`, `tel:`, other absolute URIs, hosts) and name-addr.
//! Nothing may panic; whatever parses prints to a form that parses back to an equal value
//! (RFC 3261 §19.1.4 / RFC 3966 equality), and printing is a fixed point.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sip_core::header::NameAddr;
use sip_core::uri::{Host, SipUri, TelUri, Uri};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };

    if let Ok(uri) = Uri::parse(s) {
        assert_eq!(uri, uri.clone(), "URI equality is not reflexive for {s:?}");
        let printed = uri.to_string();
        let again = Uri::parse(&printed)
            .unwrap_or_else(|e| panic!("printed URI {printed:?} (from {s:?}) does not parse: {e}"));
        assert_eq!(again, uri, "URI changed through {printed:?}");
        assert_eq!(
            again.to_string(),
            printed,
            "URI printing is not a fixed point"
        );
        assert_eq!(again.scheme(), uri.scheme());
    }

    if let Ok(sip) = SipUri::parse(s) {
        let printed = sip.to_string();
        let again = SipUri::parse(&printed)
            .unwrap_or_else(|e| panic!("printed SIP URI {printed:?} does not parse: {e}"));
        assert!(
            again.identical(&sip),
            "SIP URI {printed:?} re-parses differently"
        );
        assert_eq!(again, sip);
        // The decoded accessors agree with what was parsed.
        assert_eq!(again.user(), sip.user());
        assert_eq!(again.password(), sip.password());
        assert_eq!(again.port(), sip.port());
    }

    if let Ok(tel) = TelUri::parse(s) {
        let printed = tel.to_string();
        let again = TelUri::parse(&printed)
            .unwrap_or_else(|e| panic!("printed tel URI {printed:?} does not parse: {e}"));
        assert_eq!(again, tel);
        assert_eq!(again.to_string(), printed);
    }

    if let Ok(host) = Host::parse(s) {
        let printed = host.to_string();
        let again = Host::parse(&printed)
            .unwrap_or_else(|e| panic!("printed host {printed:?} does not parse: {e}"));
        assert_eq!(again, host);
    }

    if let Ok(na) = NameAddr::parse(s) {
        let printed = na.to_string();
        let again = NameAddr::parse(&printed)
            .unwrap_or_else(|e| panic!("printed name-addr {printed:?} does not parse: {e}"));
        assert_eq!(again, na, "name-addr changed through {printed:?}");
        assert_eq!(again.display_name(), na.display_name());
        assert_eq!(again.to_string(), printed);
    }
});
