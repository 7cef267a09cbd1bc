//! Fuzzes every other XML document model. The first byte picks the model, the rest is the body:
//! parsing never panics, and whatever parses round-trips. Conference-info documents are also
//! merged into each other with `apply`, which must never panic either.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sip_payloads::Document;
use sip_payloads::conference_info::ConferenceInfo;
use sip_payloads::dialog_info::DialogInfo;
use sip_payloads::imdn::Imdn;
use sip_payloads::is_composing::IsComposing;
use sip_payloads::policy::Ruleset;
use sip_payloads::resource_lists::{ResourceLists, RlsServices};
use sip_payloads::rlmi::RlmiList;
use sip_payloads::watcher_info::WatcherInfo;
use sip_payloads::xcap::{XcapCaps, XcapError};
use sip_payloads::xcap_diff::XcapDiff;

fn check<T: Document + PartialEq + std::fmt::Debug>(body: &[u8]) -> Option<T> {
    let doc = T::parse(body).ok()?;
    let xml = doc.to_xml();
    let again = T::parse(xml.as_bytes())
        .unwrap_or_else(|e| panic!("serialized {} does not parse: {e}\n{xml}", T::DOCUMENT));
    assert_eq!(doc, again, "{} changed through {xml}", T::DOCUMENT);
    Some(doc)
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    match selector % 12 {
        0 => {
            check::<DialogInfo>(body);
        }
        1 => {
            // Two documents separated by a NUL: the second is applied to the first.
            let mut halves = body.splitn(2, |&b| b == 0);
            let first = halves.next().unwrap_or_default();
            let second = halves.next().unwrap_or_default();
            if let (Some(mut a), Some(b)) = (check::<ConferenceInfo>(first), check::<ConferenceInfo>(second)) {
                let before = a.clone();
                if a.apply(&b).is_err() {
                    assert_eq!(a, before, "a refused update changed the state");
                }
                let _ = a.to_xml();
            }
        }
        2 => {
            check::<WatcherInfo>(body);
        }
        3 => {
            check::<ResourceLists>(body);
        }
        4 => {
            check::<RlsServices>(body);
        }
        5 => {
            check::<RlmiList>(body);
        }
        6 => {
            check::<XcapDiff>(body);
        }
        7 => {
            check::<Ruleset>(body);
        }
        8 => {
            check::<IsComposing>(body);
        }
        9 => {
            check::<Imdn>(body);
        }
        10 => {
            check::<XcapCaps>(body);
        }
        _ => {
            check::<XcapError>(body);
        }
    }
});
