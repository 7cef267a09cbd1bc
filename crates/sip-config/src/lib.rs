//! # sip-config
//!
//! The configuration of sipsimple-rs: typed settings objects, the [`ConfigurationManager`] that
//! holds them, and the Storage API (seed: `ISIPSimpleStorage`) with a file and a memory backend.
//!
//! ```text
//!  ┌─────────────────────────────────────────────────────────────────────┐
//!  │ SettingsObject<T>  typed handle: defaults, validation, save/delete, │
//!  │                    CFGSettingsObjectWasCreated/DidChange/WasDeleted │
//!  │   T = SipSimpleSettings | AccountSettings | BonjourAccountSettings  │
//!  │       | ContactSettings | GroupSettings | PolicySettings            │
//!  ├─────────────────────────────────────────────────────────────────────┤
//!  │ ConfigurationManager  the tree (Group of Values) by key path;       │
//!  │                       start(storage), get/set/delete/rename, save,  │
//!  │                       add_observer (notifications)                  │
//!  ├─────────────────────────────────────────────────────────────────────┤
//!  │ Storage: configuration_backend() + xcap_storage_factory()           │
//!  │   FileStorage (TOML, atomic save, lock)  │  MemoryStorage           │
//!  └─────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! This crate depends on no other crate of the workspace; the middleware forwards its
//! [`ConfigNotification`]s (whose [`name`](ConfigNotification::name) is the seed's string) into
//! its NotificationCenter.
//!
//! ## The file format
//!
//! [`FileStorage`] keeps the configuration in `<directory>/config.toml`. Each settings object is
//! a TOML table at its key; only settings that differ from their defaults are written, so a
//! hand-written file can be short:
//!
//! ```toml
//! [SIPSimpleSettings.audio]
//! sample_rate = 48000
//! recordings_directory = "/home/alice/recordings"
//!
//! [Accounts."alice@example.com"]
//! enabled = true
//! display_name = "Alice"
//!
//! [Accounts."alice@example.com".auth]
//! password = "secret"
//!
//! [Accounts."alice@example.com".sip]
//! outbound_proxy = "proxy.example.com:5061;transport=tls"
//! register_interval = 600          # seconds
//!
//! [Addressbook.Contacts.c1]
//! name = "Bob"
//! uris.u1 = { uri = "sip:bob@example.com", type = "SIP" }
//! ```
//!
//! Durations are whole seconds; optional settings that are not set are written as `""`; lists
//! are arrays. A file that cannot be read is reported with its path, line and reason and is
//! never overwritten (see [`FileStorage`]).
//!
//! ## Example
//!
//! ```
//! use sip_config::{AccountSettings, ConfigurationManager, MemoryStorage, SettingsObject};
//!
//! let manager = ConfigurationManager::new();
//! manager.start(&MemoryStorage::new()).unwrap();
//! let notifications = manager.add_observer();
//!
//! let mut account = SettingsObject::<AccountSettings>::create(&manager, "alice@example.com").unwrap();
//! account.enabled = true;
//! account.save().unwrap(); // CFGSettingsObjectWasCreated
//!
//! account.sip.register.enabled = false;
//! account.save().unwrap(); // CFGSettingsObjectDidChange
//!
//! let names: Vec<_> = notifications.try_iter().map(|n| n.name()).collect();
//! assert_eq!(names, ["CFGSettingsObjectWasCreated", "CFGSettingsObjectDidChange"]);
//! ```
#![forbid(unsafe_code)]

pub mod account;
pub mod addressbook;
pub mod datatypes;
pub mod error;
mod manager;
mod object;
pub mod setting;
pub mod settings;
pub mod storage;
pub mod value;

pub use account::{AccountSettings, BonjourAccountSettings};
pub use addressbook::{ContactSettings, GroupSettings, PolicySettings};
pub use error::{ConfigError, SettingsError, StorageError, ValueError};
pub use manager::{
    ConfigNotification, ConfigNotificationData, ConfigurationManager, NotificationSender,
    SaveOperation,
};
pub use object::{ObjectKind, SettingsObject, SettingsObjectType};
pub use setting::ModifiedValue;
pub use settings::SipSimpleSettings;
pub use storage::{
    ConfigurationBackend, FileStorage, MemoryStorage, Storage, XcapDocument, XcapStorage,
    XcapStorageFactory,
};
pub use value::{Group, SecretString, Value};
