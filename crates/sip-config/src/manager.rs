//! The ConfigurationManager and the configuration notifications.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use crate::error::ConfigError;
use crate::setting::ModifiedValue;
use crate::storage::{ConfigurationBackend, Storage};
use crate::value::{Group, Value, key_display};

/// Holds the configuration tree, loads it from and saves it to a [`Storage`]'s configuration
/// backend, and delivers the configuration notifications to its observers.
///
/// A cheap `Clone` handle: the application creates one and passes it to whatever needs the
/// configuration (python-sipsimple's singleton becomes an owned handle, DESIGN.md §6). Keys are
/// paths of names: `["SIPSimpleSettings"]`, `["Accounts", "alice@example.com"]`.
#[derive(Clone, Default)]
pub struct ConfigurationManager {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    state: Mutex<State>,
    observers: Mutex<Vec<mpsc::Sender<ConfigNotification>>>,
}

#[derive(Default)]
struct State {
    backend: Option<Arc<dyn ConfigurationBackend>>,
    data: Group,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl fmt::Debug for ConfigurationManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigurationManager")
            .field("started", &self.is_started())
            .finish_non_exhaustive()
    }
}

impl ConfigurationManager {
    /// A manager that is not started yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads the configuration from `storage.configuration_backend()`. Load errors (a corrupt
    /// file: file, line and reason) are returned and the manager stays stopped.
    pub fn start(&self, storage: &dyn Storage) -> Result<(), ConfigError> {
        self.start_with_backend(storage.configuration_backend())
    }

    /// Like [`start`](Self::start), with a backend directly.
    pub fn start_with_backend(
        &self,
        backend: Arc<dyn ConfigurationBackend>,
    ) -> Result<(), ConfigError> {
        let mut state = lock(&self.inner.state);
        if state.backend.is_some() {
            return Err(ConfigError::AlreadyStarted);
        }
        let data = backend.load()?;
        tracing::debug!(sections = data.len(), "configuration loaded");
        state.data = data;
        state.backend = Some(backend);
        Ok(())
    }

    /// Whether [`start`](Self::start) succeeded.
    pub fn is_started(&self) -> bool {
        lock(&self.inner.state).backend.is_some()
    }

    /// A copy of the value under `key`.
    pub fn get<S: AsRef<str>>(&self, key: &[S]) -> Result<Value, ConfigError> {
        let state = self.started()?;
        check_key(key)?;
        get_at(&state.data, key)
            .cloned()
            .ok_or_else(|| ConfigError::ObjectNotFound(key_display(key)))
    }

    /// The names directly under `key` (empty when nothing is there).
    pub fn get_names<S: AsRef<str>>(&self, key: &[S]) -> Result<Vec<String>, ConfigError> {
        let state = self.started()?;
        check_key(key)?;
        Ok(match get_at(&state.data, key) {
            Some(Value::Group(g)) => g.keys().cloned().collect(),
            _ => Vec::new(),
        })
    }

    /// Stores `value` under `key`, creating the groups on the way. Kept in memory until
    /// [`save`](Self::save).
    pub fn set<S: AsRef<str>>(&self, key: &[S], value: Value) -> Result<(), ConfigError> {
        let mut state = self.started()?;
        check_key(key)?;
        set_at(&mut state.data, key, value)
    }

    /// Removes what is under `key` (and groups left empty); returns whether something was
    /// there. Kept in memory until [`save`](Self::save).
    pub fn delete<S: AsRef<str>>(&self, key: &[S]) -> Result<bool, ConfigError> {
        let mut state = self.started()?;
        check_key(key)?;
        Ok(remove_at(&mut state.data, key).is_some())
    }

    /// Moves what is under `old_key` to `new_key`.
    pub fn rename<S: AsRef<str>, U: AsRef<str>>(
        &self,
        old_key: &[S],
        new_key: &[U],
    ) -> Result<(), ConfigError> {
        let mut state = self.started()?;
        check_key(old_key)?;
        check_key(new_key)?;
        if get_at(&state.data, new_key).is_some() {
            return Err(ConfigError::DuplicateId(key_display(new_key)));
        }
        let value = remove_at(&mut state.data, old_key)
            .ok_or_else(|| ConfigError::ObjectNotFound(key_display(old_key)))?;
        if let Err(e) = set_at(&mut state.data, new_key, value.clone()) {
            set_at(&mut state.data, old_key, value)?;
            return Err(e);
        }
        Ok(())
    }

    /// Writes the whole tree to the backend.
    pub fn save(&self) -> Result<(), ConfigError> {
        let state = self.started()?;
        let backend = state.backend.as_ref().ok_or(ConfigError::NotStarted)?;
        backend.save(&state.data)?;
        Ok(())
    }

    /// Registers an observer: every notification posted from now on is sent to the returned
    /// receiver. Drain it (the middleware forwards these into its NotificationCenter); dropping
    /// it unregisters the observer.
    pub fn add_observer(&self) -> mpsc::Receiver<ConfigNotification> {
        let (tx, rx) = mpsc::channel();
        lock(&self.inner.observers).push(tx);
        rx
    }

    pub(crate) fn post(&self, notification: ConfigNotification) {
        tracing::trace!(name = notification.name(), "configuration notification");
        let mut observers = lock(&self.inner.observers);
        observers.retain(|tx| tx.send(notification.clone()).is_ok());
    }

    /// Runs `f` on the value under `key`; when it returns a replacement (`Some(None)` removes),
    /// stores it and saves the tree. If the save fails the old value is put back, so a change is
    /// kept only once saved.
    pub(crate) fn update_object<R>(
        &self,
        key: &[String],
        f: impl FnOnce(Option<&Value>) -> Result<Option<(Option<Value>, R)>, ConfigError>,
    ) -> Result<Option<R>, ConfigError> {
        let mut state = self.started()?;
        let current = get_at(&state.data, key).cloned();
        let Some((new, result)) = f(current.as_ref())? else {
            return Ok(None);
        };
        match new {
            Some(v) => set_at(&mut state.data, key, v)?,
            None => {
                remove_at(&mut state.data, key);
            }
        }
        let backend = state.backend.clone().ok_or(ConfigError::NotStarted)?;
        if let Err(e) = backend.save(&state.data) {
            match current {
                Some(v) => set_at(&mut state.data, key, v)?,
                None => {
                    remove_at(&mut state.data, key);
                }
            }
            return Err(e.into());
        }
        Ok(Some(result))
    }

    fn started(&self) -> Result<MutexGuard<'_, State>, ConfigError> {
        let state = lock(&self.inner.state);
        if state.backend.is_none() {
            return Err(ConfigError::NotStarted);
        }
        Ok(state)
    }
}

fn check_key<S: AsRef<str>>(key: &[S]) -> Result<(), ConfigError> {
    if key.is_empty() || key.iter().any(|k| k.as_ref().is_empty()) {
        return Err(ConfigError::EmptyKey);
    }
    Ok(())
}

fn get_at<'a, S: AsRef<str>>(data: &'a Group, key: &[S]) -> Option<&'a Value> {
    let (last, path) = key.split_last()?;
    let mut group = data;
    for k in path {
        group = group.get(k.as_ref())?.as_group()?;
    }
    group.get(last.as_ref())
}

fn set_at<S: AsRef<str>>(data: &mut Group, key: &[S], value: Value) -> Result<(), ConfigError> {
    let (last, path) = key.split_last().ok_or(ConfigError::EmptyKey)?;
    let mut group = data;
    for (i, k) in path.iter().enumerate() {
        let entry = group
            .entry(k.as_ref().to_owned())
            .or_insert_with(|| Value::Group(Group::new()));
        group = match entry {
            Value::Group(g) => g,
            _ => return Err(ConfigError::NotAGroup(key_display(&key[..=i]))),
        };
    }
    group.insert(last.as_ref().to_owned(), value);
    Ok(())
}

fn remove_at<S: AsRef<str>>(data: &mut Group, key: &[S]) -> Option<Value> {
    match key {
        [] => None,
        [last] => data.remove(last.as_ref()),
        [first, rest @ ..] => {
            let Some(Value::Group(g)) = data.get_mut(first.as_ref()) else {
                return None;
            };
            let removed = remove_at(g, rest);
            if removed.is_some() && g.is_empty() {
                data.remove(first.as_ref());
            }
            removed
        }
    }
}

/// Who posted a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotificationSender {
    /// The ConfigurationManager.
    ConfigurationManager,
    /// A settings object.
    SettingsObject {
        /// Its type ("Account", "SIPSimpleSettings", "Contact", …).
        object_type: &'static str,
        /// Its key (`["Accounts", "alice@example.com"]`).
        key: Vec<String>,
    },
}

/// What was being done when a save failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SaveOperation {
    /// `SettingsObject::save`.
    Save,
    /// `SettingsObject::delete`.
    Delete,
}

/// The data of a configuration notification.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ConfigNotificationData {
    /// `CFGSettingsObjectWasCreated`: a new object was saved for the first time.
    SettingsObjectWasCreated,
    /// `CFGSettingsObjectWasDeleted`.
    SettingsObjectWasDeleted,
    /// `CFGSettingsObjectDidChange`: `modified` maps dotted setting names to their old and new
    /// values (secrets stay redacted in `Debug`).
    SettingsObjectDidChange {
        /// The changed settings.
        modified: BTreeMap<String, ModifiedValue>,
    },
    /// `CFGManagerSaveFailed`: a settings object's save or delete could not be persisted; the
    /// change was not kept.
    ManagerSaveFailed {
        /// The object concerned.
        object: NotificationSender,
        /// What was being done.
        operation: SaveOperation,
        /// The error.
        error: ConfigError,
    },
}

/// A configuration notification, named as in python-sipsimple.
#[derive(Debug, Clone)]
pub struct ConfigNotification {
    /// Who posted it.
    pub sender: NotificationSender,
    /// When.
    pub timestamp: SystemTime,
    /// What happened.
    pub data: ConfigNotificationData,
}

impl ConfigNotification {
    pub(crate) fn new(sender: NotificationSender, data: ConfigNotificationData) -> Self {
        ConfigNotification {
            sender,
            timestamp: SystemTime::now(),
            data,
        }
    }

    /// The seed's notification name (`"CFGSettingsObjectDidChange"`, …).
    pub fn name(&self) -> &'static str {
        match self.data {
            ConfigNotificationData::SettingsObjectWasCreated => "CFGSettingsObjectWasCreated",
            ConfigNotificationData::SettingsObjectWasDeleted => "CFGSettingsObjectWasDeleted",
            ConfigNotificationData::SettingsObjectDidChange { .. } => "CFGSettingsObjectDidChange",
            ConfigNotificationData::ManagerSaveFailed { .. } => "CFGManagerSaveFailed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemoryStorage;

    #[test]
    fn key_operations() {
        let m = ConfigurationManager::new();
        assert!(matches!(m.get(&["x"]), Err(ConfigError::NotStarted)));
        m.start(&MemoryStorage::new()).unwrap();
        assert!(matches!(
            m.start(&MemoryStorage::new()),
            Err(ConfigError::AlreadyStarted)
        ));
        m.set(&["Accounts", "a@b.com", "enabled"], Value::Boolean(true))
            .unwrap();
        assert_eq!(
            m.get(&["Accounts", "a@b.com", "enabled"]).unwrap(),
            Value::Boolean(true)
        );
        assert_eq!(
            m.get_names(&["Accounts"]).unwrap(),
            vec!["a@b.com".to_owned()]
        );
        assert!(matches!(
            m.set(&["Accounts", "a@b.com", "enabled", "x"], Value::Integer(1)),
            Err(ConfigError::NotAGroup(k)) if k == "Accounts/a@b.com/enabled"
        ));
        m.rename(&["Accounts", "a@b.com"], &["Accounts", "c@d.com"])
            .unwrap();
        assert!(matches!(
            m.get(&["Accounts", "a@b.com"]),
            Err(ConfigError::ObjectNotFound(_))
        ));
        assert!(m.delete(&["Accounts", "c@d.com"]).unwrap());
        // empty parent groups go away
        assert!(m.get_names(&["Accounts"]).unwrap().is_empty());
        assert!(matches!(
            m.get(&["Accounts"]),
            Err(ConfigError::ObjectNotFound(_))
        ));
        assert!(!m.delete(&["Accounts", "c@d.com"]).unwrap());
        assert!(matches!(m.get::<&str>(&[]), Err(ConfigError::EmptyKey)));
    }
}
