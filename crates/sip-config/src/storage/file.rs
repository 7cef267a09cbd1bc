//! FileStorage: a directory holding `config.toml` and an `xcap/` cache.
//!
//! ```text
//! <directory>/config.toml         the configuration (TOML, mode 0600)
//! <directory>/config.toml.lock    held (flock) while a process saves
//! <directory>/config.toml.tmp     the next version, while it is being written
//! <directory>/config.toml.unreadable-<time>   a file that could not be read, kept aside
//! <directory>/xcap/<account id>/<document>   cached XCAP documents ("etag: …" line + body)
//! ```
//!
//! Saving writes the whole file to `config.toml.tmp`, flushes it to disk (fsync), renames it
//! over `config.toml` and flushes the directory, all under an exclusive lock on
//! `config.toml.lock`: after a crash at any point the file holds the old or the new version,
//! and two processes saving at once take turns. A file that cannot be loaded (bad TOML, bad
//! UTF-8, too large) is left untouched and reported with its path, line and reason; if the
//! application then saves anyway, the unreadable file is first renamed aside, never
//! overwritten.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use zeroize::Zeroizing;

use super::toml_codec::{from_toml, to_toml};
use super::{
    ConfigurationBackend, Storage, XcapDocument, XcapStorage, XcapStorageFactory, check_account_id,
    check_document_name, check_etag,
};
use crate::error::StorageError;
use crate::value::Group;

/// Name of the configuration file inside a [`FileStorage`] directory.
pub const CONFIG_FILE_NAME: &str = "config.toml";
/// Largest configuration file loaded (64 MiB).
pub const MAX_CONFIG_SIZE: u64 = 64 * 1024 * 1024;
/// Largest cached XCAP document loaded (16 MiB).
pub const MAX_XCAP_DOCUMENT_SIZE: u64 = 16 * 1024 * 1024;

/// Storage in a directory (seed: `FileStorage`).
#[derive(Debug, Clone)]
pub struct FileStorage {
    directory: PathBuf,
    backend: Arc<FileConfigurationBackend>,
    xcap: Arc<FileXcapStorageFactory>,
}

impl FileStorage {
    /// Storage in `directory`, which is created (mode 0700) if missing.
    pub fn new(directory: impl Into<PathBuf>) -> Result<Self, StorageError> {
        let directory = directory.into();
        create_private_dir(&directory)?;
        Ok(FileStorage {
            backend: Arc::new(FileConfigurationBackend::new(
                directory.join(CONFIG_FILE_NAME),
            )),
            xcap: Arc::new(FileXcapStorageFactory::new(directory.join("xcap"))),
            directory,
        })
    }

    /// The directory.
    pub fn directory(&self) -> &Path {
        &self.directory
    }
}

impl Storage for FileStorage {
    fn configuration_backend(&self) -> Arc<dyn ConfigurationBackend> {
        self.backend.clone()
    }

    fn xcap_storage_factory(&self) -> Arc<dyn XcapStorageFactory> {
        self.xcap.clone()
    }
}

fn create_private_dir(dir: &Path) -> Result<(), StorageError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| StorageError::io("create directory", dir, e))
}

fn private_file_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Reads a whole file of at most `limit` bytes; `None` if it does not exist.
fn read_limited(path: &Path, limit: u64) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StorageError::io("open", path, e)),
    };
    let size = file
        .metadata()
        .map_err(|e| StorageError::io("stat", path, e))?
        .len();
    if size > limit {
        return Err(StorageError::TooLarge {
            path: path.to_owned(),
            size,
            limit,
        });
    }
    let mut buf = Zeroizing::new(Vec::with_capacity(size as usize));
    // The file may grow while we read: never read past the limit.
    Read::by_ref(&mut file)
        .take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| StorageError::io("read", path, e))?;
    if buf.len() as u64 > limit {
        return Err(StorageError::TooLarge {
            path: path.to_owned(),
            size: buf.len() as u64,
            limit,
        });
    }
    Ok(Some(buf))
}

/// Takes the exclusive lock of `lock_path` (blocking); released when the file is dropped.
fn lock_exclusive(lock_path: &Path) -> Result<File, StorageError> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options
        .open(lock_path)
        .map_err(|e| StorageError::io("open lock", lock_path, e))?;
    file.lock()
        .map_err(|e| StorageError::io("lock", lock_path, e))?;
    Ok(file)
}

/// Writes `bytes` to `tmp`, fsyncs it, renames it to `path` and fsyncs the directory.
/// The caller holds the lock.
fn write_atomically(
    path: &Path,
    tmp: &Path,
    bytes: &[u8],
    fire_hooks: bool,
) -> Result<(), StorageError> {
    let _ = fire_hooks;
    let mut file = private_file_options()
        .open(tmp)
        .map_err(|e| StorageError::io("create", tmp, e))?;
    let (first, second) = bytes.split_at(bytes.len() / 2);
    file.write_all(first)
        .map_err(|e| StorageError::io("write", tmp, e))?;
    #[cfg(test)]
    if fire_hooks {
        file.flush().ok();
        test_hook::fire(test_hook::SaveStage::PartiallyWritten);
    }
    file.write_all(second)
        .map_err(|e| StorageError::io("write", tmp, e))?;
    file.sync_all()
        .map_err(|e| StorageError::io("fsync", tmp, e))?;
    drop(file);
    #[cfg(test)]
    if fire_hooks {
        test_hook::fire(test_hook::SaveStage::Written);
    }
    fs::rename(tmp, path).map_err(|e| StorageError::io("rename", tmp, e))?;
    sync_parent(path)?;
    #[cfg(test)]
    if fire_hooks {
        test_hook::fire(test_hook::SaveStage::Renamed);
    }
    Ok(())
}

fn sync_parent(path: &Path) -> Result<(), StorageError> {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| StorageError::io("fsync directory", dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// The configuration in one TOML file, saved atomically under a lock.
#[derive(Debug)]
pub struct FileConfigurationBackend {
    path: PathBuf,
    lock_path: PathBuf,
    tmp_path: PathBuf,
    max_size: u64,
    /// Set when the last load failed: the next save keeps the file aside first.
    unreadable: Mutex<bool>,
}

impl FileConfigurationBackend {
    /// A backend for the file `path` (its lock and temporary files go beside it).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        FileConfigurationBackend {
            lock_path: with_suffix(&path, ".lock"),
            tmp_path: with_suffix(&path, ".tmp"),
            path,
            max_size: MAX_CONFIG_SIZE,
            unreadable: Mutex::new(false),
        }
    }

    /// Changes the largest file accepted by `load`.
    pub fn with_max_size(mut self, max_size: u64) -> Self {
        self.max_size = max_size;
        self
    }

    /// The configuration file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn load_inner(&self) -> Result<Group, StorageError> {
        let Some(bytes) = read_limited(&self.path, self.max_size)? else {
            return Ok(Group::new());
        };
        let text = std::str::from_utf8(&bytes).map_err(|e| {
            let valid = &bytes[..e.valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
            StorageError::Parse {
                path: self.path.clone(),
                line,
                column: e.valid_up_to() - line_start + 1,
                reason: "invalid UTF-8".into(),
            }
        })?;
        from_toml(text, &self.path)
    }

    /// Renames the unreadable file to `config.toml.unreadable-<unix time>[-n]`.
    fn keep_aside(&self) -> Result<Option<PathBuf>, StorageError> {
        if !self.path.exists() {
            return Ok(None);
        }
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        for n in 0..1000u32 {
            let suffix = if n == 0 {
                format!(".unreadable-{secs}")
            } else {
                format!(".unreadable-{secs}-{n}")
            };
            let aside = with_suffix(&self.path, &suffix);
            if aside.exists() {
                continue;
            }
            fs::rename(&self.path, &aside)
                .map_err(|e| StorageError::io("rename", &self.path, e))?;
            tracing::warn!(
                file = %self.path.display(),
                kept_as = %aside.display(),
                "configuration file could not be read; kept aside before saving"
            );
            return Ok(Some(aside));
        }
        Err(StorageError::io(
            "rename",
            &self.path,
            io::Error::new(
                io::ErrorKind::AlreadyExists,
                "no free name to keep the unreadable file aside",
            ),
        ))
    }
}

impl ConfigurationBackend for FileConfigurationBackend {
    fn load(&self) -> Result<Group, StorageError> {
        let result = self.load_inner();
        *self
            .unreadable
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = matches!(
            result,
            Err(StorageError::Parse { .. }
                | StorageError::UnsupportedValue { .. }
                | StorageError::TooLarge { .. })
        );
        result
    }

    fn save(&self, data: &Group) -> Result<(), StorageError> {
        let text = Zeroizing::new(to_toml(data)?);
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir)?;
        }
        let _lock = lock_exclusive(&self.lock_path)?;
        #[cfg(test)]
        test_hook::fire(test_hook::SaveStage::Locked);
        let mut unreadable = self
            .unreadable
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if *unreadable {
            self.keep_aside()?;
            *unreadable = false;
        }
        drop(unreadable);
        write_atomically(&self.path, &self.tmp_path, text.as_bytes(), true)
    }
}

/// Creates a [`FileXcapStorage`] per account under `<directory>/<account id>/`.
#[derive(Debug)]
pub struct FileXcapStorageFactory {
    directory: PathBuf,
}

impl FileXcapStorageFactory {
    /// A factory rooted at `directory`.
    pub fn new(directory: impl Into<PathBuf>) -> Self {
        FileXcapStorageFactory {
            directory: directory.into(),
        }
    }
}

impl XcapStorageFactory for FileXcapStorageFactory {
    fn xcap_storage(&self, account_id: &str) -> Result<Arc<dyn XcapStorage>, StorageError> {
        check_account_id(account_id)?;
        let directory = self.directory.join(account_id);
        create_private_dir(&directory)?;
        Ok(Arc::new(FileXcapStorage { directory }))
    }
}

/// The XCAP documents of one account, one file each: a first line `etag: <etag>` followed by
/// the document. Each save is atomic (temporary file, fsync, rename) under the directory's
/// lock.
#[derive(Debug)]
pub struct FileXcapStorage {
    directory: PathBuf,
}

const ETAG_PREFIX: &str = "etag: ";

impl FileXcapStorage {
    fn lock(&self) -> Result<File, StorageError> {
        lock_exclusive(&self.directory.join(".lock"))
    }
}

impl XcapStorage for FileXcapStorage {
    fn load(&self, name: &str) -> Result<Option<XcapDocument>, StorageError> {
        check_document_name(name)?;
        let path = self.directory.join(name);
        let Some(bytes) = read_limited(&path, MAX_XCAP_DOCUMENT_SIZE)? else {
            return Ok(None);
        };
        let malformed = |reason| StorageError::MalformedDocument {
            path: path.clone(),
            reason,
        };
        let newline = bytes
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| malformed("no etag line"))?;
        let first = std::str::from_utf8(&bytes[..newline])
            .map_err(|_| malformed("etag line is not UTF-8"))?;
        let etag = first
            .strip_prefix(ETAG_PREFIX)
            .ok_or_else(|| malformed("first line does not start with \"etag: \""))?;
        Ok(Some(XcapDocument {
            etag: etag.to_owned(),
            content: bytes[newline + 1..].to_vec(),
        }))
    }

    fn save(&self, name: &str, document: &XcapDocument) -> Result<(), StorageError> {
        check_document_name(name)?;
        check_etag(&document.etag)?;
        let mut bytes = Vec::with_capacity(
            ETAG_PREFIX.len() + document.etag.len() + 1 + document.content.len(),
        );
        bytes.extend_from_slice(ETAG_PREFIX.as_bytes());
        bytes.extend_from_slice(document.etag.as_bytes());
        bytes.push(b'\n');
        bytes.extend_from_slice(&document.content);
        let _lock = self.lock()?;
        let path = self.directory.join(name);
        let tmp = self.directory.join(format!(".tmp-{name}"));
        write_atomically(&path, &tmp, &bytes, false)
    }

    fn delete(&self, name: &str) -> Result<(), StorageError> {
        check_document_name(name)?;
        let _lock = self.lock()?;
        let path = self.directory.join(name);
        match fs::remove_file(&path) {
            Ok(()) => sync_parent(&path),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StorageError::io("remove", &path, e)),
        }
    }

    fn purge(&self) -> Result<(), StorageError> {
        let _lock = self.lock()?;
        for name in self.names()? {
            let path = self.directory.join(&name);
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(StorageError::io("remove", &path, e)),
            }
        }
        sync_parent(&self.directory.join("x"))
    }

    fn names(&self) -> Result<Vec<String>, StorageError> {
        let entries = match fs::read_dir(&self.directory) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(StorageError::io("list", &self.directory, e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| StorageError::io("list", &self.directory, e))?;
            if let Some(name) = entry.file_name().to_str()
                && check_document_name(name).is_ok()
            {
                names.push(name.to_owned());
            }
        }
        names.sort();
        Ok(names)
    }
}

/// Test-only pause points inside a save, so a test can kill a process in the middle of one.
#[cfg(test)]
pub(crate) mod test_hook {
    use std::sync::Mutex;

    /// Where in a save the hook is called.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum SaveStage {
        /// The lock is held.
        Locked,
        /// Half the temporary file is written.
        PartiallyWritten,
        /// The temporary file is complete and flushed, not yet renamed.
        Written,
        /// Renamed over the configuration file; the lock is still held.
        Renamed,
    }

    type Hook = Box<dyn Fn(SaveStage) + Send>;
    static HOOK: Mutex<Option<Hook>> = Mutex::new(None);

    pub(crate) fn set(hook: impl Fn(SaveStage) + Send + 'static) {
        *HOOK.lock().unwrap() = Some(Box::new(hook));
    }

    pub(crate) fn fire(stage: SaveStage) {
        if let Some(hook) = HOOK.lock().unwrap().as_ref() {
            hook(stage);
        }
    }
}

#[cfg(test)]
mod tests;
