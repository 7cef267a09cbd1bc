//! Fuzzes the configuration file reader of sip-config (`storage::from_toml`: a fast reader for
//! what the writer writes, falling back to the `toml` crate). Reading must never panic, and
//! whatever reads must be written by `storage::to_toml` into text that reads back to the same
//! tree (and is written the same way again).

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sip_config::storage::{from_toml, to_toml};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("fuzz/config.toml");
    let Ok(tree) = from_toml(text, path) else {
        return;
    };
    let saved = to_toml(&tree).expect("a loaded tree can be saved");
    let again = from_toml(&saved, path)
        .unwrap_or_else(|e| panic!("saved text does not load: {e}\n{saved}"));
    assert_eq!(tree, again, "tree changed through\n{saved}");
    assert_eq!(saved, to_toml(&again).expect("saved again"));
});
