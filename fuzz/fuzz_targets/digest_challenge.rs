//! Fuzzes the digest parsers: WWW-Authenticate / Proxy-Authenticate challenges, Authorization
//! credentials and Authentication-Info values. Parsing must never panic, and whatever parses
//! must print in a canonical form that re-parses to an equal value.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sip_core::digest::{AuthenticationInfo, Challenge, DigestResponse};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };

    if let Ok(challenge) = Challenge::parse(s) {
        let printed = challenge.to_string();
        let again = Challenge::parse(&printed)
            .unwrap_or_else(|e| panic!("canonical challenge {printed:?} does not parse: {e}"));
        assert_eq!(challenge, again, "challenge changed through {printed:?}");
        assert_eq!(printed, again.to_string());
    }

    if let Ok(list) = Challenge::parse_list(s) {
        for challenge in list {
            let printed = challenge.to_string();
            let again = Challenge::parse(&printed)
                .unwrap_or_else(|e| panic!("canonical challenge {printed:?} does not parse: {e}"));
            assert_eq!(challenge, again, "challenge changed through {printed:?}");
        }
    }

    if let Ok(response) = DigestResponse::parse(s) {
        let printed = response.to_string();
        let again = DigestResponse::parse(&printed)
            .unwrap_or_else(|e| panic!("canonical credentials {printed:?} do not parse: {e}"));
        assert_eq!(response, again, "credentials changed through {printed:?}");
        assert_eq!(printed, again.to_string());
    }

    if let Ok(info) = AuthenticationInfo::parse(s) {
        let printed = info.to_string();
        let again = AuthenticationInfo::parse(&printed).unwrap_or_else(|e| {
            panic!("canonical Authentication-Info {printed:?} does not parse: {e}")
        });
        assert_eq!(
            info, again,
            "Authentication-Info changed through {printed:?}"
        );
    }
});
