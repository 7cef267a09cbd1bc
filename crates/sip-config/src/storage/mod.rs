//! The Storage API (seed: `ISIPSimpleStorage`): where the configuration and the per-account
//! XCAP document caches are kept.
//!
//! A [`Storage`] supplies a [`ConfigurationBackend`] (load and save the configuration tree)
//! and an [`XcapStorageFactory`] (one [`XcapStorage`] per account). Two implementations:
//! [`FileStorage`] (a directory: a TOML file and an `xcap/` cache) and [`MemoryStorage`]. Both
//! pass the same conformance suite (`tests/conformance.rs`).

use std::fmt;
use std::sync::Arc;

use crate::error::StorageError;
use crate::value::Group;

mod file;
mod memory;
mod toml_codec;

pub use file::{
    CONFIG_FILE_NAME, FileConfigurationBackend, FileStorage, FileXcapStorage,
    FileXcapStorageFactory, MAX_CONFIG_SIZE, MAX_XCAP_DOCUMENT_SIZE,
};
pub use memory::{
    MemoryConfigurationBackend, MemoryStorage, MemoryXcapStorage, MemoryXcapStorageFactory,
};
pub use toml_codec::{from_toml, to_toml};

/// The seed's `ISIPSimpleStorage`: supplies the storage backends of the middleware.
pub trait Storage: Send + Sync + fmt::Debug {
    /// The backend that persists the configuration (seed: `configuration_backend`).
    fn configuration_backend(&self) -> Arc<dyn ConfigurationBackend>;
    /// The factory of per-account XCAP document storages (seed: `xcap_storage_factory`).
    fn xcap_storage_factory(&self) -> Arc<dyn XcapStorageFactory>;
}

/// Loads and saves the whole configuration tree (python-sipsimple `IConfigurationBackend`).
pub trait ConfigurationBackend: Send + Sync + fmt::Debug {
    /// The stored tree (empty when nothing was saved yet).
    fn load(&self) -> Result<Group, StorageError>;
    /// Replaces the stored tree. Either the whole new tree is stored or the old one stays.
    fn save(&self, data: &Group) -> Result<(), StorageError>;
}

/// Creates the XCAP document storage of an account.
pub trait XcapStorageFactory: Send + Sync + fmt::Debug {
    /// The storage for `account_id` (created if needed).
    fn xcap_storage(&self, account_id: &str) -> Result<Arc<dyn XcapStorage>, StorageError>;
}

/// A cached XCAP document and its entity tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XcapDocument {
    /// The ETag the server gave the document.
    pub etag: String,
    /// The document body.
    pub content: Vec<u8>,
}

/// The XCAP document cache of one account (python-sipsimple `IXCAPStorage`).
pub trait XcapStorage: Send + Sync + fmt::Debug {
    /// The cached document `name` ("pres-rules", "resource-lists", …), if any.
    fn load(&self, name: &str) -> Result<Option<XcapDocument>, StorageError>;
    /// Caches `document` under `name`, replacing what was there.
    fn save(&self, name: &str, document: &XcapDocument) -> Result<(), StorageError>;
    /// Removes the document `name` (no error if absent).
    fn delete(&self, name: &str) -> Result<(), StorageError>;
    /// Removes every document of this account.
    fn purge(&self) -> Result<(), StorageError>;
    /// The names of the cached documents, sorted.
    fn names(&self) -> Result<Vec<String>, StorageError>;
}

/// Longest accepted XCAP document name.
pub const MAX_DOCUMENT_NAME_LEN: usize = 128;
/// Longest accepted ETag.
pub const MAX_ETAG_LEN: usize = 1024;

/// Checks an XCAP document name: 1–128 of `A-Z a-z 0-9 . _ -`, not starting with `.`.
pub(crate) fn check_document_name(name: &str) -> Result<(), StorageError> {
    let bad = |reason| {
        Err(StorageError::InvalidName {
            what: "document name",
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() || name.len() > MAX_DOCUMENT_NAME_LEN {
        return bad("must be 1 to 128 characters");
    }
    if name.starts_with('.') {
        return bad("must not start with '.'");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return bad("only letters, digits, '.', '_' and '-' are allowed");
    }
    Ok(())
}

/// Checks an ETag: at most 1024 bytes, no control characters.
pub(crate) fn check_etag(etag: &str) -> Result<(), StorageError> {
    if etag.len() > MAX_ETAG_LEN || etag.chars().any(char::is_control) {
        return Err(StorageError::InvalidName {
            what: "etag",
            name: etag.chars().take(64).collect(),
            reason: "at most 1024 bytes without control characters",
        });
    }
    Ok(())
}

/// Checks an account id used as a directory name.
pub(crate) fn check_account_id(id: &str) -> Result<(), StorageError> {
    let bad = |reason| {
        Err(StorageError::InvalidName {
            what: "account id",
            name: id.to_owned(),
            reason,
        })
    };
    if id.is_empty() || id.len() > 255 {
        return bad("must be 1 to 255 bytes");
    }
    if id == "." || id == ".." || id.starts_with('.') {
        return bad("must not start with '.'");
    }
    if id.contains(['/', '\\']) || id.chars().any(char::is_control) {
        return bad("must not contain '/', '\\' or control characters");
    }
    Ok(())
}
