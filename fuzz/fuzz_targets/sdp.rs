//! Fuzzes the SDP parser and printer. Parsing must never panic; whatever parses must print in
//! canonical form, and that form must parse back to an equal session and print identically.
//! The typed attribute helpers are exercised on every attribute too (they must not panic, and
//! a value they accept must build back into text they accept as the same value).

#![no_main]

use libfuzzer_sys::fuzz_target;
use sip_core::sdp::{
    AcceptTypes, AcceptWrappedTypes, Candidate, Crypto, FileSelector, Fmtp, IcePwd, IceUfrag,
    MsrpPath, Rtcp, RtpMap, SdpAttribute, SdpSession, Setup, TypedAttribute,
};

/// Parses `attribute` as `T` when the name fits and checks that the value builds back.
fn check_typed<T: TypedAttribute + PartialEq + std::fmt::Debug>(attribute: &SdpAttribute) {
    if attribute.name != T::NAME {
        return;
    }
    if let Ok(value) = T::from_attribute(attribute) {
        let rebuilt = value.to_attribute();
        let again = T::from_attribute(&rebuilt)
            .unwrap_or_else(|e| panic!("built a={} value does not parse: {e}", T::NAME));
        assert_eq!(value, again, "a={} value changed when rebuilt", T::NAME);
    }
}

fn check_attributes<'a>(attributes: impl Iterator<Item = &'a SdpAttribute>) {
    for attribute in attributes {
        check_typed::<RtpMap>(attribute);
        check_typed::<Fmtp>(attribute);
        check_typed::<Rtcp>(attribute);
        check_typed::<Crypto>(attribute);
        check_typed::<Candidate>(attribute);
        check_typed::<IceUfrag>(attribute);
        check_typed::<IcePwd>(attribute);
        check_typed::<Setup>(attribute);
        check_typed::<MsrpPath>(attribute);
        check_typed::<AcceptTypes>(attribute);
        check_typed::<AcceptWrappedTypes>(attribute);
        check_typed::<FileSelector>(attribute);
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(session) = SdpSession::parse_bytes(data) else {
        return;
    };
    let printed = session.to_string();
    let again = SdpSession::parse(&printed)
        .unwrap_or_else(|e| panic!("canonical SDP {printed:?} does not parse: {e}"));
    assert_eq!(session, again, "session changed through {printed:?}");
    assert_eq!(printed, again.to_string(), "printing is not stable");

    let _ = session.has_ice_proposal();
    check_attributes(session.attributes.iter());
    for (index, media) in session.media.iter().enumerate() {
        let _ = session.media_direction(index);
        check_attributes(media.attributes.iter());
    }
});
