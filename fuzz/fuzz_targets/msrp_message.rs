//! Fuzzes the MSRP decoder and encoder. Decoding a byte stream must never panic; every frame
//! it yields must encode to bytes that decode to an equal frame and encode identically.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use sip_msrp::{DecodedFrame, Decoder, Limits, MsrpMessage, MsrpUri};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_head: 4096,
        max_headers: 32,
        max_body: 4096,
    };
    let mut decoder = Decoder::new(limits);
    // Feed the input in two pieces to exercise the resumable end-line search.
    let split = data.first().map_or(0, |b| *b as usize).min(data.len());
    let mut buf = BytesMut::from(&data[..split]);
    let mut fed_rest = false;
    for _ in 0..64 {
        match decoder.decode(&mut buf) {
            Ok(Some(DecodedFrame::Message(m))) => {
                let bytes = m.to_bytes();
                let mut end = b"\r\n-------".to_vec();
                end.extend_from_slice(m.transaction_id.as_bytes());
                if memchr_find(&m.body, &end) {
                    continue;
                }
                let again = MsrpMessage::parse(&bytes)
                    .unwrap_or_else(|e| panic!("encoded frame does not decode: {e}: {bytes:?}"));
                assert_eq!(again, m);
                assert_eq!(again.to_bytes(), bytes);
            }
            Ok(Some(DecodedFrame::Malformed { .. })) => {}
            Ok(None) if !fed_rest => {
                buf.extend_from_slice(&data[split..]);
                fed_rest = true;
            }
            Ok(None) | Err(_) => break,
        }
    }
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(uri) = MsrpUri::parse(s) {
            let again = MsrpUri::parse(&uri.to_string()).expect("printed URI parses");
            assert_eq!(again, uri);
        }
    }
});

fn memchr_find(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
