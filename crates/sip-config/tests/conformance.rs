//! One conformance suite for every Storage backend (DESIGN.md §5): each check is a generic
//! function over a fixture, instantiated below for FileStorage and MemoryStorage.

use std::sync::Arc;

use sip_config::datatypes::Password;
use sip_config::storage::XcapDocument;
use sip_config::{
    AccountSettings, ConfigurationManager, FileStorage, Group, MemoryStorage, SecretString,
    SettingsObject, Storage, StorageError, Value,
};

/// Makes a storage, and reopens the same underlying store (a new process would).
trait Fixture {
    fn storage(&self) -> Arc<dyn Storage>;
    fn reopen(&self) -> Arc<dyn Storage>;
}

struct MemoryFixture(MemoryStorage);

impl MemoryFixture {
    fn new() -> Self {
        MemoryFixture(MemoryStorage::new())
    }
}

impl Fixture for MemoryFixture {
    fn storage(&self) -> Arc<dyn Storage> {
        Arc::new(self.0.clone())
    }
    fn reopen(&self) -> Arc<dyn Storage> {
        Arc::new(self.0.clone())
    }
}

struct FileFixture(tempfile::TempDir);

impl FileFixture {
    fn new() -> Self {
        FileFixture(tempfile::tempdir().unwrap())
    }
}

impl Fixture for FileFixture {
    fn storage(&self) -> Arc<dyn Storage> {
        Arc::new(FileStorage::new(self.0.path().join("store")).unwrap())
    }
    fn reopen(&self) -> Arc<dyn Storage> {
        self.storage()
    }
}

/// Secrets may come back as plain strings (the file has no type for them).
fn normalize(v: &Value) -> Value {
    match v {
        Value::Secret(s) => Value::String(s.expose().to_owned()),
        Value::List(l) => Value::List(l.iter().map(normalize).collect()),
        Value::Group(g) => Value::Group(g.iter().map(|(k, v)| (k.clone(), normalize(v))).collect()),
        other => other.clone(),
    }
}

fn sample_tree() -> Group {
    let mut account = Group::new();
    account.insert("enabled".into(), Value::Boolean(true));
    account.insert(
        "display_name".into(),
        Value::String("Alice \"A\" Ünicode\n".into()),
    );
    account.insert("password".into(), Value::Secret(SecretString::new("pa$$")));
    account.insert("interval".into(), Value::Integer(-42));
    account.insert(
        "list".into(),
        Value::List(vec![Value::String("tls".into()), Value::Integer(3)]),
    );
    account.insert("empty".into(), Value::Group(Group::new()));
    let mut accounts = Group::new();
    accounts.insert("alice@example.com".into(), Value::Group(account));
    accounts.insert("bob.smith@example.org".into(), Value::Group(Group::new()));
    let mut root = Group::new();
    root.insert("Accounts".into(), Value::Group(accounts));
    root.insert("top".into(), Value::String(String::new()));
    root
}

mod suite {
    use super::*;

    pub(super) fn empty_store_loads_empty(f: &dyn Fixture) {
        assert!(
            f.storage()
                .configuration_backend()
                .load()
                .unwrap()
                .is_empty()
        );
    }

    pub(super) fn saved_tree_loads_back(f: &dyn Fixture) {
        let tree = sample_tree();
        f.storage().configuration_backend().save(&tree).unwrap();
        let loaded = f.reopen().configuration_backend().load().unwrap();
        assert_eq!(
            normalize(&Value::Group(loaded)),
            normalize(&Value::Group(tree))
        );
    }

    pub(super) fn save_replaces_the_whole_tree(f: &dyn Fixture) {
        let backend = f.storage().configuration_backend();
        backend.save(&sample_tree()).unwrap();
        let mut small = Group::new();
        small.insert("only".into(), Value::Boolean(false));
        backend.save(&small).unwrap();
        assert_eq!(f.reopen().configuration_backend().load().unwrap(), small);
    }

    pub(super) fn concurrent_saves_leave_one_whole_tree(f: &dyn Fixture) {
        let backend = f.storage().configuration_backend();
        let trees: Vec<Group> = (0..4)
            .map(|t| {
                let mut g = Group::new();
                for i in 0..200 {
                    g.insert(format!("k{i}"), Value::Integer(t));
                }
                g
            })
            .collect();
        std::thread::scope(|s| {
            for tree in &trees {
                let backend = backend.clone();
                s.spawn(move || {
                    for _ in 0..10 {
                        backend.save(tree).unwrap();
                    }
                });
            }
        });
        let loaded = f.reopen().configuration_backend().load().unwrap();
        assert!(trees.contains(&loaded));
    }

    pub(super) fn settings_survive_a_restart(f: &dyn Fixture) {
        let manager = ConfigurationManager::new();
        manager.start(&*f.storage()).unwrap();
        let mut account =
            SettingsObject::<AccountSettings>::create(&manager, "alice@example.com").unwrap();
        account.enabled = true;
        account.auth.password = Password::new("s3cret");
        account.sip.outbound_proxy = Some("proxy.example.com:5061;transport=tls".parse().unwrap());
        account.save().unwrap();

        let restarted = ConfigurationManager::new();
        restarted.start(&*f.reopen()).unwrap();
        assert_eq!(
            SettingsObject::<AccountSettings>::ids(&restarted).unwrap(),
            vec!["alice@example.com".to_owned()]
        );
        let loaded =
            SettingsObject::<AccountSettings>::load(&restarted, "alice@example.com").unwrap();
        assert!(loaded.enabled);
        assert_eq!(loaded.auth.password.expose(), "s3cret");
        assert_eq!(loaded.sip.outbound_proxy.as_ref().unwrap().port, 5061);
        assert_eq!(*loaded, *account);
    }

    pub(super) fn xcap_documents_round_trip(f: &dyn Fixture) {
        let factory = f.storage().xcap_storage_factory();
        let xcap = factory.xcap_storage("alice@example.com").unwrap();
        assert_eq!(xcap.load("pres-rules").unwrap(), None);
        assert!(xcap.names().unwrap().is_empty());
        let doc = XcapDocument {
            etag: "\"abc123\"".into(),
            content: b"<?xml version=\"1.0\"?>\n<ruleset/>\n\0\xff".to_vec(),
        };
        xcap.save("pres-rules", &doc).unwrap();
        let other = XcapDocument {
            etag: String::new(),
            content: Vec::new(),
        };
        xcap.save("resource-lists", &other).unwrap();
        let reopened = f
            .reopen()
            .xcap_storage_factory()
            .xcap_storage("alice@example.com")
            .unwrap();
        assert_eq!(reopened.load("pres-rules").unwrap(), Some(doc.clone()));
        assert_eq!(reopened.load("resource-lists").unwrap(), Some(other));
        assert_eq!(
            reopened.names().unwrap(),
            vec!["pres-rules", "resource-lists"]
        );

        let newer = XcapDocument {
            etag: "v2".into(),
            content: b"<ruleset/>".to_vec(),
        };
        xcap.save("pres-rules", &newer).unwrap();
        assert_eq!(reopened.load("pres-rules").unwrap(), Some(newer));

        // accounts are separate
        let bob = factory.xcap_storage("bob@example.com").unwrap();
        assert_eq!(bob.load("pres-rules").unwrap(), None);

        xcap.delete("pres-rules").unwrap();
        xcap.delete("pres-rules").unwrap();
        assert_eq!(xcap.load("pres-rules").unwrap(), None);
        xcap.purge().unwrap();
        assert!(reopened.names().unwrap().is_empty());
    }

    pub(super) fn bad_names_are_rejected(f: &dyn Fixture) {
        let factory = f.storage().xcap_storage_factory();
        for id in ["", "..", ".hidden", "a/b", "a\\b", "a\nb"] {
            assert!(
                matches!(
                    factory.xcap_storage(id),
                    Err(StorageError::InvalidName { .. })
                ),
                "{id:?}"
            );
        }
        let xcap = factory.xcap_storage("alice@example.com").unwrap();
        let doc = XcapDocument {
            etag: "e".into(),
            content: vec![1],
        };
        for name in ["", "../config.toml", ".lock", "a b", "x/y"] {
            assert!(
                matches!(xcap.save(name, &doc), Err(StorageError::InvalidName { .. })),
                "{name:?}"
            );
            assert!(
                matches!(xcap.load(name), Err(StorageError::InvalidName { .. })),
                "{name:?}"
            );
        }
        let bad_etag = XcapDocument {
            etag: "a\nb".into(),
            content: vec![],
        };
        assert!(matches!(
            xcap.save("doc", &bad_etag),
            Err(StorageError::InvalidName { .. })
        ));
    }
}

macro_rules! conformance {
    ($module:ident, $fixture:expr) => {
        mod $module {
            use super::*;

            #[test]
            fn empty_store_loads_empty() {
                suite::empty_store_loads_empty(&$fixture);
            }
            #[test]
            fn saved_tree_loads_back() {
                suite::saved_tree_loads_back(&$fixture);
            }
            #[test]
            fn save_replaces_the_whole_tree() {
                suite::save_replaces_the_whole_tree(&$fixture);
            }
            #[test]
            fn concurrent_saves_leave_one_whole_tree() {
                suite::concurrent_saves_leave_one_whole_tree(&$fixture);
            }
            #[test]
            fn settings_survive_a_restart() {
                suite::settings_survive_a_restart(&$fixture);
            }
            #[test]
            fn xcap_documents_round_trip() {
                suite::xcap_documents_round_trip(&$fixture);
            }
            #[test]
            fn bad_names_are_rejected() {
                suite::bad_names_are_rejected(&$fixture);
            }
        }
    };
}

conformance!(memory_storage, MemoryFixture::new());
conformance!(file_storage, FileFixture::new());
