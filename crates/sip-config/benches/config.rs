//! Load and save a configuration with 100 accounts and 10,000 contacts through FileStorage.
//! Goal (issue 7): load under 50 ms, save under 100 ms.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use sip_config::addressbook::ContactUriSettings;
use sip_config::datatypes::{ContactPolicy, Password};
use sip_config::{
    AccountSettings, ConfigurationManager, ContactSettings, FileStorage, Group, MemoryStorage,
    SettingsObject, Storage,
};

const ACCOUNTS: usize = 100;
const CONTACTS: usize = 10_000;

/// Builds the configuration through the typed API and returns the tree.
fn build_tree() -> Group {
    let storage = MemoryStorage::new();
    let manager = ConfigurationManager::new();
    manager.start(&storage).unwrap();
    for i in 0..ACCOUNTS {
        let mut a =
            SettingsObject::<AccountSettings>::create(&manager, &format!("user{i}@example.com"))
                .unwrap();
        a.enabled = true;
        a.display_name = Some(format!("User {i}"));
        a.auth.password = Password::new(format!("password-{i}"));
        a.sip.outbound_proxy = Some("proxy.example.com:5061;transport=tls".parse().unwrap());
        a.sip.register_interval = std::time::Duration::from_secs(600);
        a.nat_traversal.stun_server_list = Some(vec!["stun.example.com".parse().unwrap()]);
        a.presence.enabled = true;
        a.save().unwrap();
    }
    for i in 0..CONTACTS {
        let mut c = SettingsObject::<ContactSettings>::create(&manager, &format!("contact-{i:05}"))
            .unwrap();
        c.name = format!("Contact number {i}");
        let mut uri = ContactUriSettings::default();
        uri.uri = format!("sip:contact{i}@example.com");
        uri.r#type = Some("SIP".into());
        c.uris.insert("u1", uri.clone()).unwrap();
        uri.uri = format!("tel:+1555{i:07}");
        uri.r#type = Some("Mobile".into());
        c.uris.insert("u2", uri).unwrap();
        c.presence.policy = ContactPolicy::Allow;
        c.presence.subscribe = true;
        c.save().unwrap();
    }
    storage.configuration_backend().load().unwrap()
}

fn bench(c: &mut Criterion) {
    let tree = build_tree();
    let dir = tempfile::tempdir().unwrap();
    let storage = FileStorage::new(dir.path()).unwrap();
    let backend = storage.configuration_backend();
    backend.save(&tree).unwrap();
    let size = std::fs::metadata(dir.path().join("config.toml"))
        .unwrap()
        .len();
    eprintln!("config.toml: {size} bytes, {ACCOUNTS} accounts, {CONTACTS} contacts");

    let mut group = c.benchmark_group("config_100_accounts_10000_contacts");
    group.sample_size(20);
    group.bench_function("load_file", |b| {
        b.iter(|| black_box(backend.load().unwrap()))
    });
    group.bench_function("load_typed", |b| {
        b.iter(|| {
            let manager = ConfigurationManager::new();
            manager.start(&storage).unwrap();
            let mut n = 0;
            for id in SettingsObject::<AccountSettings>::ids(&manager).unwrap() {
                n += usize::from(
                    SettingsObject::<AccountSettings>::load(&manager, &id)
                        .unwrap()
                        .enabled,
                );
            }
            for id in SettingsObject::<ContactSettings>::ids(&manager).unwrap() {
                n += SettingsObject::<ContactSettings>::load(&manager, &id)
                    .unwrap()
                    .uris
                    .len();
            }
            assert_eq!(n, ACCOUNTS + 2 * CONTACTS);
        })
    });
    group.bench_function("save_file", |b| {
        b.iter(|| backend.save(black_box(&tree)).unwrap())
    });
    let manager = ConfigurationManager::new();
    manager.start_with_backend(Arc::clone(&backend)).unwrap();
    group.bench_function("save_one_contact_change", |b| {
        let mut contact =
            SettingsObject::<ContactSettings>::load(&manager, "contact-00042").unwrap();
        let mut flip = false;
        b.iter(|| {
            flip = !flip;
            contact.presence.subscribe = flip;
            contact.save().unwrap();
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
