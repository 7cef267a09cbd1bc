//! Settings objects over the ConfigurationManager: defaults, validation, notifications, the
//! "kept only once saved" rule, and secrets.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use sip_config::account::BONJOUR_ACCOUNT_ID;
use sip_config::addressbook::ContactUriSettings;
use sip_config::datatypes::{
    AudioCodec, MsrpConnectionModel, MsrpTransport, Password, SampleRate, SipTransport,
    SrtpKeyNegotiation,
};
use sip_config::storage::{FileStorage, MemoryConfigurationBackend, MemoryXcapStorageFactory};
use sip_config::{
    AccountSettings, BonjourAccountSettings, ConfigError, ConfigNotification,
    ConfigNotificationData, ConfigurationBackend, ConfigurationManager, ContactSettings, Group,
    MemoryStorage, NotificationSender, SaveOperation, SettingsObject, SipSimpleSettings, Storage,
    StorageError, Value, XcapStorageFactory,
};

fn started() -> (ConfigurationManager, mpsc::Receiver<ConfigNotification>) {
    let manager = ConfigurationManager::new();
    manager.start(&MemoryStorage::new()).unwrap();
    let rx = manager.add_observer();
    (manager, rx)
}

fn drain(rx: &mpsc::Receiver<ConfigNotification>) -> Vec<ConfigNotification> {
    rx.try_iter().collect()
}

#[test]
fn defaults_follow_python_sipsimple_and_the_seeds() {
    let s = SipSimpleSettings::default();
    assert_eq!(s.audio.alert_device.as_deref(), Some("system_default"));
    assert_eq!(s.audio.input_device.as_deref(), Some("system_default"));
    assert_eq!(s.audio.output_device.as_deref(), Some("system_default"));
    assert_eq!(s.audio.sample_rate.hz(), 44100);
    assert!(s.audio.echo_canceller.enabled);
    assert_eq!(s.rtp.port_range.start(), 50000);
    assert_eq!(s.rtp.port_range.end(), 50500);
    assert_eq!(s.rtp.audio_codec_list[0], AudioCodec::Opus);
    assert_eq!(
        s.sip.transport_list,
        vec![SipTransport::Tls, SipTransport::Tcp, SipTransport::Udp]
    );
    assert!(s.tls.verify_server, "TLS verification is on by default");
    assert_eq!(s.default_account.as_deref(), Some(BONJOUR_ACCOUNT_ID));

    let a = AccountSettings::default();
    assert!(!a.enabled);
    assert!(a.sip.register.enabled);
    assert_eq!(a.sip.register_interval, Duration::from_secs(3600));
    assert_eq!(
        a.rtp.encryption.key_negotiation,
        SrtpKeyNegotiation::Opportunistic
    );
    assert_eq!(a.rtp.timeout, Duration::from_secs(30));
    assert_eq!(a.msrp.transport, MsrpTransport::Tls);
    assert_eq!(a.msrp.connection_model, MsrpConnectionModel::Relay);
    assert!(!a.presence.enabled && !a.message_summary.enabled && !a.xcap.enabled);
    assert!(a.nat_traversal.stun_server_list.is_none());

    let b = BonjourAccountSettings::default();
    assert!(!b.enabled);
}

#[test]
fn singleton_is_new_until_saved_then_created() {
    let (m, rx) = started();
    let mut s = SettingsObject::<SipSimpleSettings>::get(&m).unwrap();
    assert!(s.is_new());
    assert!(m.get(&["SIPSimpleSettings"]).is_err());
    s.save().unwrap();
    let n = drain(&rx);
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].name(), "CFGSettingsObjectWasCreated");
    assert_eq!(
        n[0].sender,
        NotificationSender::SettingsObject {
            object_type: "SIPSimpleSettings",
            key: vec!["SIPSimpleSettings".into()]
        }
    );
    // Stored with nothing but defaults: an empty group.
    assert_eq!(
        m.get(&["SIPSimpleSettings"]).unwrap(),
        Value::Group(Group::new())
    );
    assert!(matches!(s.delete(), Err(ConfigError::CannotDelete(_))));
}

#[test]
fn save_reports_modified_settings_with_old_and_new_values() {
    let (m, rx) = started();
    let mut s = SettingsObject::<SipSimpleSettings>::get(&m).unwrap();
    s.save().unwrap();
    drain(&rx);

    s.audio.sample_rate = SampleRate::new(48000).unwrap();
    s.audio.input_device = None;
    s.rtp.audio_codec_list = vec![AudioCodec::Pcma];
    s.save().unwrap();
    let n = drain(&rx);
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].name(), "CFGSettingsObjectDidChange");
    let ConfigNotificationData::SettingsObjectDidChange { modified } = &n[0].data else {
        panic!("{:?}", n[0].data)
    };
    let keys: Vec<&str> = modified.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "audio.input_device",
            "audio.sample_rate",
            "rtp.audio_codec_list"
        ]
    );
    assert_eq!(
        modified["audio.sample_rate"].old,
        Some(Value::Integer(44100))
    );
    assert_eq!(
        modified["audio.sample_rate"].new,
        Some(Value::Integer(48000))
    );
    assert_eq!(
        modified["audio.input_device"].old,
        Some(Value::String("system_default".into()))
    );
    assert_eq!(
        modified["audio.input_device"].new,
        Some(Value::String(String::new()))
    );

    // Saving again with no change posts nothing.
    s.save().unwrap();
    assert!(drain(&rx).is_empty());
    // Setting a value back to its default removes it from storage.
    s.audio.sample_rate = SampleRate::new(44100).unwrap();
    s.save().unwrap();
    let stored = m.get(&["SIPSimpleSettings", "audio"]).unwrap();
    assert!(!stored.as_group().unwrap().contains_key("sample_rate"));
}

#[test]
fn a_change_is_kept_only_once_saved() {
    let (m, rx) = started();
    let mut a = SettingsObject::<AccountSettings>::create(&m, "alice@example.com").unwrap();
    a.save().unwrap();
    a.enabled = true;
    assert!(a.is_dirty());
    // Another reader sees the saved state only.
    let other = SettingsObject::<AccountSettings>::load(&m, "alice@example.com").unwrap();
    assert!(!other.enabled);
    a.revert();
    assert!(!a.enabled);
    {
        let mut dropped = SettingsObject::<AccountSettings>::load(&m, "alice@example.com").unwrap();
        dropped.display_name = Some("never saved".into());
    }
    let again = SettingsObject::<AccountSettings>::load(&m, "alice@example.com").unwrap();
    assert_eq!(again.display_name, None);
    assert_eq!(drain(&rx).len(), 1, "only WasCreated");
}

#[test]
fn two_handles_do_not_undo_each_other() {
    let (m, rx) = started();
    let mut first = SettingsObject::<AccountSettings>::create(&m, "alice@example.com").unwrap();
    first.save().unwrap();
    let mut second = SettingsObject::<AccountSettings>::load(&m, "alice@example.com").unwrap();
    first.enabled = true;
    first.save().unwrap();
    second.display_name = Some("Alice".into());
    second.save().unwrap();
    let n = drain(&rx);
    let ConfigNotificationData::SettingsObjectDidChange { modified } = &n.last().unwrap().data
    else {
        panic!()
    };
    assert_eq!(modified.keys().collect::<Vec<_>>(), ["display_name"]);
    assert!(second.enabled, "the handle now shows what the other saved");
    let stored = SettingsObject::<AccountSettings>::load(&m, "alice@example.com").unwrap();
    assert!(stored.enabled);
    assert_eq!(stored.display_name.as_deref(), Some("Alice"));
}

#[test]
fn create_and_delete_post_the_seed_notifications() {
    let (m, rx) = started();
    for not_canonical in ["sip:bob@example.com", "bob@Example.com"] {
        assert!(matches!(
            SettingsObject::<AccountSettings>::create(&m, not_canonical),
            Err(ConfigError::InvalidId { .. })
        ));
    }
    let mut a = SettingsObject::<AccountSettings>::create(&m, "bob@example.com").unwrap();
    a.save().unwrap();
    assert!(matches!(
        SettingsObject::<AccountSettings>::create(&m, "bob@example.com"),
        Err(ConfigError::DuplicateId(_))
    ));
    a.delete().unwrap();
    let names: Vec<_> = drain(&rx).iter().map(ConfigNotification::name).collect();
    assert_eq!(
        names,
        ["CFGSettingsObjectWasCreated", "CFGSettingsObjectWasDeleted"]
    );
    assert!(
        SettingsObject::<AccountSettings>::ids(&m)
            .unwrap()
            .is_empty()
    );
    assert!(matches!(a.save(), Err(ConfigError::ObjectDeleted(_))));
    assert!(matches!(
        SettingsObject::<AccountSettings>::load(&m, "bob@example.com"),
        Err(ConfigError::ObjectNotFound(_))
    ));
}

#[test]
fn deleted_elsewhere_is_reported_on_save() {
    let (m, _rx) = started();
    let mut a = SettingsObject::<AccountSettings>::create(&m, "bob@example.com").unwrap();
    a.save().unwrap();
    let mut b = SettingsObject::<AccountSettings>::load(&m, "bob@example.com").unwrap();
    a.delete().unwrap();
    b.enabled = true;
    assert!(matches!(b.save(), Err(ConfigError::ObjectDeleted(_))));
}

#[test]
fn ids_and_kinds_are_checked() {
    let (m, _rx) = started();
    for bad in ["alice", "", "a/b@example.com", "alice@bad host"] {
        assert!(
            matches!(
                SettingsObject::<AccountSettings>::create(&m, bad),
                Err(ConfigError::InvalidId { .. })
            ),
            "{bad:?}"
        );
    }
    assert!(matches!(
        SettingsObject::<AccountSettings>::get(&m),
        Err(ConfigError::WrongKind { .. })
    ));
    assert!(matches!(
        SettingsObject::<SipSimpleSettings>::ids(&m),
        Err(ConfigError::WrongKind { .. })
    ));
}

#[test]
fn cross_setting_validation_rejects_equal_tcp_and_tls_ports() {
    let (m, rx) = started();
    let mut s = SettingsObject::<SipSimpleSettings>::get(&m).unwrap();
    s.sip.tcp_port = 5061;
    s.sip.tls_port = 5061;
    let err = s.save().unwrap_err();
    assert!(
        matches!(&err, ConfigError::Settings { source, .. } if source.key == "sip.tls_port"),
        "{err:?}"
    );
    assert!(m.get(&["SIPSimpleSettings"]).is_err());
    assert!(drain(&rx).is_empty());
}

#[test]
fn bad_stored_values_name_the_object_and_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "[Accounts.\"alice@example.com\".sip]\nregister_interval = \"often\"\n\
         [Accounts.\"bob@example.com\".rtp]\naudio_codec_list = [\"opus\", \"mp3\"]\n\
         [Accounts.\"carol@example.com\".sip]\noutbound_proxy = \"proxy:99999\"\n",
    )
    .unwrap();
    let m = ConfigurationManager::new();
    m.start(&FileStorage::new(dir.path()).unwrap()).unwrap();
    for (id, key) in [
        ("alice@example.com", "sip.register_interval"),
        ("bob@example.com", "rtp.audio_codec_list"),
        ("carol@example.com", "sip.outbound_proxy"),
    ] {
        let err = SettingsObject::<AccountSettings>::load(&m, id).unwrap_err();
        let ConfigError::Settings { object, source } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(object, &format!("Accounts/{id}"));
        assert_eq!(source.key, key);
        assert!(err.to_string().contains(key), "{err}");
    }
}

#[test]
fn hand_written_file_in_the_documented_format_loads() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        r#"
[SIPSimpleSettings.audio]
sample_rate = 48000
recordings_directory = "/home/alice/recordings"

[Accounts."alice@example.com"]
enabled = true
display_name = "Alice"

[Accounts."alice@example.com".auth]
password = "secret"

[Accounts."alice@example.com".sip]
outbound_proxy = "proxy.example.com:5061;transport=tls"
register_interval = 600          # seconds

[Addressbook.Contacts.c1]
name = "Bob"
uris.u1 = { uri = "sip:bob@example.com", type = "SIP" }
"#,
    )
    .unwrap();
    let m = ConfigurationManager::new();
    m.start(&FileStorage::new(dir.path()).unwrap()).unwrap();
    let s = SettingsObject::<SipSimpleSettings>::get(&m).unwrap();
    assert_eq!(s.audio.sample_rate.hz(), 48000);
    assert_eq!(
        s.audio.recordings_directory.as_deref(),
        Some(Path::new("/home/alice/recordings"))
    );
    let a = SettingsObject::<AccountSettings>::load(&m, "alice@example.com").unwrap();
    assert!(a.enabled);
    assert_eq!(a.auth.password.expose(), "secret");
    assert_eq!(a.sip.register_interval, Duration::from_secs(600));
    let proxy = a.sip.outbound_proxy.clone().unwrap();
    assert_eq!(
        (proxy.host.as_str(), proxy.port, proxy.transport),
        ("proxy.example.com", 5061, SipTransport::Tls)
    );
    let c = SettingsObject::<ContactSettings>::load(&m, "c1").unwrap();
    assert_eq!(c.uris.get("u1").unwrap().r#type.as_deref(), Some("SIP"));
}

#[test]
fn contact_uris_are_reported_per_item() {
    let (m, rx) = started();
    let mut c = SettingsObject::<ContactSettings>::create(&m, "c1").unwrap();
    c.name = "Bob".into();
    c.save().unwrap();
    drain(&rx);
    let mut uri = ContactUriSettings::default();
    uri.uri = "sip:bob@example.com".into();
    c.uris.insert("u1", uri).unwrap();
    assert!(
        c.uris
            .insert("bad.id", ContactUriSettings::default())
            .is_err()
    );
    c.save().unwrap();
    let n = drain(&rx);
    let ConfigNotificationData::SettingsObjectDidChange { modified } = &n[0].data else {
        panic!()
    };
    assert_eq!(modified["uris.u1.uri"].old, None);
    assert_eq!(
        modified["uris.u1.uri"].new,
        Some(Value::String("sip:bob@example.com".into()))
    );
    c.uris.remove("u1");
    c.save().unwrap();
    let n = drain(&rx);
    let ConfigNotificationData::SettingsObjectDidChange { modified } = &n[0].data else {
        panic!()
    };
    assert_eq!(modified["uris.u1.uri"].new, None);
    let stored = SettingsObject::<ContactSettings>::load(&m, "c1").unwrap();
    assert!(stored.uris.is_empty());
}

#[test]
fn passwords_stay_out_of_debug_output_but_reach_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let m = ConfigurationManager::new();
    m.start(&FileStorage::new(dir.path()).unwrap()).unwrap();
    let rx = m.add_observer();
    let mut a = SettingsObject::<AccountSettings>::create(&m, "alice@example.com").unwrap();
    a.save().unwrap();
    a.auth.password = Password::new("correct horse");
    assert!(!format!("{a:?}").contains("correct horse"));
    a.save().unwrap();
    for n in drain(&rx) {
        assert!(!format!("{n:?}").contains("correct horse"));
        if let ConfigNotificationData::SettingsObjectDidChange { modified } = &n.data {
            assert!(modified.contains_key("auth.password"));
            assert!(
                !format!("{}", modified["auth.password"].new.as_ref().unwrap()).contains("correct")
            );
        }
    }
    let text = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    assert!(text.contains("password = \"correct horse\""));
}

/// A storage whose configuration backend can be made to fail.
#[derive(Debug, Default)]
struct FlakyStorage {
    inner: Arc<MemoryConfigurationBackend>,
    fail: Arc<AtomicBool>,
    xcap: Arc<MemoryXcapStorageFactory>,
}

#[derive(Debug)]
struct FlakyBackend {
    inner: Arc<MemoryConfigurationBackend>,
    fail: Arc<AtomicBool>,
}

impl ConfigurationBackend for FlakyBackend {
    fn load(&self) -> Result<Group, StorageError> {
        self.inner.load()
    }
    fn save(&self, data: &Group) -> Result<(), StorageError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(StorageError::Io {
                op: "write",
                path: "/full/disk".into(),
                source: Arc::new(std::io::Error::other("disk full")),
            });
        }
        self.inner.save(data)
    }
}

impl Storage for FlakyStorage {
    fn configuration_backend(&self) -> Arc<dyn ConfigurationBackend> {
        Arc::new(FlakyBackend {
            inner: self.inner.clone(),
            fail: self.fail.clone(),
        })
    }
    fn xcap_storage_factory(&self) -> Arc<dyn XcapStorageFactory> {
        self.xcap.clone()
    }
}

#[test]
fn a_failed_save_keeps_nothing_and_posts_manager_save_failed() {
    let storage = FlakyStorage::default();
    let m = ConfigurationManager::new();
    m.start(&storage).unwrap();
    let rx = m.add_observer();
    let mut a = SettingsObject::<AccountSettings>::create(&m, "alice@example.com").unwrap();
    a.save().unwrap();
    drain(&rx);

    storage.fail.store(true, Ordering::SeqCst);
    a.enabled = true;
    assert!(matches!(a.save(), Err(ConfigError::Storage(_))));
    let n = drain(&rx);
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].name(), "CFGManagerSaveFailed");
    assert!(matches!(
        n[0].data,
        ConfigNotificationData::ManagerSaveFailed {
            operation: SaveOperation::Save,
            ..
        }
    ));
    // Not kept, neither in memory nor in storage; the handle still holds the change.
    assert!(
        !SettingsObject::<AccountSettings>::load(&m, "alice@example.com")
            .unwrap()
            .enabled
    );
    assert!(a.is_dirty());
    assert!(matches!(a.delete(), Err(ConfigError::Storage(_))));
    assert!(SettingsObject::<AccountSettings>::load(&m, "alice@example.com").is_ok());

    storage.fail.store(false, Ordering::SeqCst);
    a.save().unwrap();
    assert!(
        SettingsObject::<AccountSettings>::load(&m, "alice@example.com")
            .unwrap()
            .enabled
    );
    let restarted = ConfigurationManager::new();
    restarted.start(&storage).unwrap();
    assert!(
        SettingsObject::<AccountSettings>::load(&restarted, "alice@example.com")
            .unwrap()
            .enabled
    );
}

#[test]
fn a_corrupt_file_stops_the_manager_from_starting() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "[Accounts\nenabled = true\n",
    )
    .unwrap();
    let m = ConfigurationManager::new();
    let err = m.start(&FileStorage::new(dir.path()).unwrap()).unwrap_err();
    assert!(
        matches!(
            &err,
            ConfigError::Storage(StorageError::Parse { line: 1, .. })
        ),
        "{err:?}"
    );
    assert!(!m.is_started());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("config.toml")).unwrap(),
        "[Accounts\nenabled = true\n"
    );
}

#[test]
fn bonjour_account_is_a_singleton() {
    let (m, rx) = started();
    let mut b = SettingsObject::<BonjourAccountSettings>::get(&m).unwrap();
    b.enabled = true;
    b.save().unwrap();
    assert_eq!(drain(&rx)[0].name(), "CFGSettingsObjectWasCreated");
    let again = SettingsObject::<BonjourAccountSettings>::get(&m).unwrap();
    assert!(again.enabled);
    assert_eq!(
        m.get(&["BonjourAccount", "enabled"]).unwrap(),
        Value::Boolean(true)
    );
}

#[test]
fn dropped_observers_are_forgotten() {
    let (m, rx) = started();
    drop(rx);
    let kept = m.add_observer();
    let mut s = SettingsObject::<SipSimpleSettings>::get(&m).unwrap();
    s.save().unwrap();
    assert_eq!(drain(&kept).len(), 1);
}
