//! Errors of the configuration layer.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

/// Why a stored value was rejected by a setting's type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// The value has the wrong kind (e.g. a string where an integer is expected).
    #[error("expected {expected}, found {found}")]
    WrongType {
        /// What the setting takes.
        expected: &'static str,
        /// What was found.
        found: &'static str,
    },
    /// An integer outside the setting's range.
    #[error("{value} is out of range {min}..={max}")]
    OutOfRange {
        /// The value found.
        value: i64,
        /// Smallest allowed.
        min: i64,
        /// Largest allowed.
        max: i64,
    },
    /// A string that is not one of the allowed words.
    #[error("{value:?} is not one of {allowed}")]
    NotAllowed {
        /// The value found.
        value: String,
        /// The allowed values, comma-separated.
        allowed: &'static str,
    },
    /// A malformed value of a structured type (address, host name, port range, URL…).
    #[error("invalid {what} {value:?}: {reason}")]
    Invalid {
        /// The type (e.g. "SIP address").
        what: &'static str,
        /// The value found.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A list contains the same entry twice.
    #[error("duplicate entry {0:?}")]
    Duplicate(String),
    /// A list or string is longer than allowed.
    #[error("too long: {len} > {max}")]
    TooLong {
        /// The length found.
        len: usize,
        /// The limit.
        max: usize,
    },
}

/// A setting that failed to decode or validate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("setting {key}: {reason}")]
pub struct SettingsError {
    /// The dotted setting name (e.g. `sip.register_interval`).
    pub key: String,
    /// Why it was rejected.
    pub reason: ValueError,
}

/// An error of a storage backend.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// An I/O operation on a file or directory failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done ("read", "write", "rename", "lock", …).
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: Arc<io::Error>,
    },
    /// The configuration file is not valid TOML. The file is left as it was.
    #[error("{}:{line}:{column}: {reason}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What the parser rejected.
        reason: String,
    },
    /// The configuration file holds a value of a kind the configuration tree has no place for
    /// (a float or a date).
    #[error("{}: key {key}: unsupported {kind} value", path.display())]
    UnsupportedValue {
        /// The file.
        path: PathBuf,
        /// The key path, `/`-separated.
        key: String,
        /// The TOML kind found.
        kind: &'static str,
    },
    /// A file is larger than the backend accepts.
    #[error("{}: {size} bytes is larger than the limit of {limit}", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A name (account id, document name) that cannot be used as a storage key.
    #[error("invalid {what} {name:?}: {reason}")]
    InvalidName {
        /// What the name is ("account id", "document name", "etag").
        what: &'static str,
        /// The name.
        name: String,
        /// Why it is rejected.
        reason: &'static str,
    },
    /// A cached XCAP document file does not have the expected layout.
    #[error("{}: malformed XCAP cache file: {reason}", path.display())]
    MalformedDocument {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: &'static str,
    },
    /// The tree could not be rendered as TOML.
    #[error("cannot serialize the configuration: {0}")]
    Serialize(String),
}

impl StorageError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        StorageError::Io {
            op,
            path: path.into(),
            source: Arc::new(source),
        }
    }
}

/// An error of the [`ConfigurationManager`](crate::ConfigurationManager) or a settings object.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The manager was used before `start()`.
    #[error("the ConfigurationManager is not started")]
    NotStarted,
    /// `start()` was called twice.
    #[error("the ConfigurationManager is already started")]
    AlreadyStarted,
    /// An empty key path was given.
    #[error("empty key")]
    EmptyKey,
    /// Nothing is stored under the key.
    #[error("object {0} does not exist")]
    ObjectNotFound(String),
    /// The key path runs through a value that is not a group.
    #[error("key {0} runs through a value that is not a group")]
    NotAGroup(String),
    /// An object with this id already exists.
    #[error("object {0} already exists")]
    DuplicateId(String),
    /// The object id is not valid for its type.
    #[error("invalid id {id:?}: {reason}")]
    InvalidId {
        /// The id given.
        id: String,
        /// Why it is rejected.
        reason: ValueError,
    },
    /// The settings object was deleted.
    #[error("object {0} was deleted")]
    ObjectDeleted(String),
    /// A singleton type was used as a collection or the other way round.
    #[error("{object_type} is not a {expected} settings object")]
    WrongKind {
        /// The settings object type.
        object_type: &'static str,
        /// "singleton" or "collection".
        expected: &'static str,
    },
    /// Singletons (SIPSimpleSettings, BonjourAccount) cannot be deleted.
    #[error("object {0} cannot be deleted")]
    CannotDelete(String),
    /// Stored settings failed validation.
    #[error("stored object {object}: {source}")]
    Settings {
        /// The object's key, `/`-separated.
        object: String,
        /// The setting at fault.
        #[source]
        source: SettingsError,
    },
    /// The storage backend failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}
