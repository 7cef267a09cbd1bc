//! `SettingsObject`: a typed, saved group of settings with an identity in the tree.

use std::fmt;
use std::ops::{Deref, DerefMut};

use crate::error::{ConfigError, SettingsError, ValueError};
use crate::manager::{
    ConfigNotification, ConfigNotificationData, ConfigurationManager, NotificationSender,
    SaveOperation,
};
use crate::setting::{SettingsGroup, diff, unflatten, validate_object_id};
use crate::value::{Group, Value, key_display};

/// Where objects of a type live in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// One object at this key (`SIPSimpleSettings`, `BonjourAccount`).
    Singleton(&'static [&'static str]),
    /// Objects identified by id under this key (`Accounts/<id>`).
    Collection(&'static [&'static str]),
}

/// A type of settings object.
pub trait SettingsObjectType: SettingsGroup {
    /// The type's name in notifications ("Account").
    const TYPE_NAME: &'static str;
    /// Where its objects live.
    const KIND: ObjectKind;

    /// Checks an object id (collections only); ids must also pass
    /// [`validate_object_id`](crate::setting::validate_object_id).
    fn validate_id(_id: &str) -> Result<(), ValueError> {
        Ok(())
    }

    /// Checks rules across settings (e.g. distinct TCP and TLS ports).
    fn validate(&self) -> Result<(), SettingsError> {
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    New,
    Active,
    Deleted,
}

/// A handle on one settings object: reads its saved state from the [`ConfigurationManager`],
/// collects changes (through `Deref`/`DerefMut` to the settings) and persists them with
/// [`save`](Self::save), which posts `CFGSettingsObjectWasCreated` or
/// `CFGSettingsObjectDidChange`. Changes are kept only once saved: dropping a handle
/// discards them.
///
/// Several handles on the same object may exist (python-sipsimple returns the same instance
/// for an id; here the manager is the single source of truth): `save` writes only the settings
/// this handle changed, on top of what is stored, so changes saved through another handle are
/// not undone.
pub struct SettingsObject<T: SettingsObjectType> {
    manager: ConfigurationManager,
    key: Vec<String>,
    id: Option<String>,
    state: State,
    saved: T,
    current: T,
}

impl<T: SettingsObjectType> fmt::Debug for SettingsObject<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SettingsObject")
            .field("type", &T::TYPE_NAME)
            .field("key", &self.key)
            .field("state", &self.state)
            .field("settings", &self.current)
            .finish()
    }
}

fn decode_object<T: SettingsObjectType>(value: &Value, key: &[String]) -> Result<T, ConfigError> {
    let settings_err = |source| ConfigError::Settings {
        object: key_display(key),
        source,
    };
    let t = T::decode(value, &T::default(), "").map_err(settings_err)?;
    t.validate().map_err(settings_err)?;
    Ok(t)
}

fn encode_object<T: SettingsObjectType>(t: &T) -> Value {
    t.encode(&T::default())
        .unwrap_or_else(|| Value::Group(Group::new()))
}

impl<T: SettingsObjectType> SettingsObject<T> {
    /// The singleton object of type `T`, with its defaults if it was never saved.
    pub fn get(manager: &ConfigurationManager) -> Result<Self, ConfigError> {
        let ObjectKind::Singleton(key) = T::KIND else {
            return Err(ConfigError::WrongKind {
                object_type: T::TYPE_NAME,
                expected: "singleton",
            });
        };
        let key: Vec<String> = key.iter().map(|s| (*s).to_owned()).collect();
        Self::open(manager, key, None, true)
    }

    /// The stored object `id` of collection type `T`.
    pub fn load(manager: &ConfigurationManager, id: &str) -> Result<Self, ConfigError> {
        let key = Self::collection_key(id)?;
        Self::open(manager, key, Some(id.to_owned()), false)
    }

    /// A new object `id` of collection type `T` with default settings; it is stored by
    /// [`save`](Self::save). Fails if `id` already exists.
    pub fn create(manager: &ConfigurationManager, id: &str) -> Result<Self, ConfigError> {
        let key = Self::collection_key(id)?;
        match manager.get(&key) {
            Ok(_) => return Err(ConfigError::DuplicateId(key_display(&key))),
            Err(ConfigError::ObjectNotFound(_)) => {}
            Err(e) => return Err(e),
        }
        Ok(SettingsObject {
            manager: manager.clone(),
            key,
            id: Some(id.to_owned()),
            state: State::New,
            saved: T::default(),
            current: T::default(),
        })
    }

    /// The ids of the stored objects of collection type `T`, sorted.
    pub fn ids(manager: &ConfigurationManager) -> Result<Vec<String>, ConfigError> {
        let ObjectKind::Collection(section) = T::KIND else {
            return Err(ConfigError::WrongKind {
                object_type: T::TYPE_NAME,
                expected: "collection",
            });
        };
        manager.get_names(section)
    }

    fn collection_key(id: &str) -> Result<Vec<String>, ConfigError> {
        let ObjectKind::Collection(section) = T::KIND else {
            return Err(ConfigError::WrongKind {
                object_type: T::TYPE_NAME,
                expected: "collection",
            });
        };
        validate_object_id(id)
            .and_then(|()| T::validate_id(id))
            .map_err(|reason| ConfigError::InvalidId {
                id: id.to_owned(),
                reason,
            })?;
        let mut key: Vec<String> = section.iter().map(|s| (*s).to_owned()).collect();
        key.push(id.to_owned());
        Ok(key)
    }

    fn open(
        manager: &ConfigurationManager,
        key: Vec<String>,
        id: Option<String>,
        default_if_missing: bool,
    ) -> Result<Self, ConfigError> {
        let (state, settings) = match manager.get(&key) {
            Ok(v) => (State::Active, decode_object::<T>(&v, &key)?),
            Err(ConfigError::ObjectNotFound(_)) if default_if_missing => (State::New, T::default()),
            Err(e) => return Err(e),
        };
        Ok(SettingsObject {
            manager: manager.clone(),
            key,
            id,
            state,
            saved: settings.clone(),
            current: settings,
        })
    }

    /// The object's id (collections) or `None` (singletons).
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The object's key in the tree.
    pub fn key(&self) -> &[String] {
        &self.key
    }

    /// Whether the object has not been stored yet.
    pub fn is_new(&self) -> bool {
        self.state == State::New
    }

    /// The settings as last saved or loaded (without unsaved changes).
    pub fn saved(&self) -> &T {
        &self.saved
    }

    /// Whether there are unsaved changes.
    pub fn is_dirty(&self) -> bool {
        self.saved != self.current
    }

    /// Discards unsaved changes.
    pub fn revert(&mut self) {
        self.current = self.saved.clone();
    }

    /// Re-reads the stored settings, discarding unsaved changes.
    pub fn reload(&mut self) -> Result<(), ConfigError> {
        match self.manager.get(&self.key) {
            Ok(v) => {
                let t = decode_object::<T>(&v, &self.key)?;
                self.saved = t.clone();
                self.current = t;
                if self.state == State::New {
                    self.state = State::Active;
                }
                Ok(())
            }
            Err(ConfigError::ObjectNotFound(_)) if self.state == State::New => {
                self.revert();
                Ok(())
            }
            Err(ConfigError::ObjectNotFound(_)) => {
                self.state = State::Deleted;
                Err(ConfigError::ObjectDeleted(key_display(&self.key)))
            }
            Err(e) => Err(e),
        }
    }

    fn sender(&self) -> NotificationSender {
        NotificationSender::SettingsObject {
            object_type: T::TYPE_NAME,
            key: self.key.clone(),
        }
    }

    fn report_failure(&self, operation: SaveOperation, error: &ConfigError) {
        if matches!(error, ConfigError::Storage(_)) {
            self.manager.post(ConfigNotification::new(
                NotificationSender::ConfigurationManager,
                ConfigNotificationData::ManagerSaveFailed {
                    object: self.sender(),
                    operation,
                    error: error.clone(),
                },
            ));
        }
    }

    /// Validates and persists the changes. A new object is stored and
    /// `CFGSettingsObjectWasCreated` posted; an existing one posts `CFGSettingsObjectDidChange`
    /// with the modified settings' old and new values (nothing is posted when nothing changed).
    /// If the storage fails, nothing is kept, `CFGManagerSaveFailed` is posted and the error
    /// returned; the unsaved changes stay in this handle.
    pub fn save(&mut self) -> Result<(), ConfigError> {
        let result = self.save_inner();
        if let Err(e) = &result {
            self.report_failure(SaveOperation::Save, e);
        }
        result
    }

    fn save_inner(&mut self) -> Result<(), ConfigError> {
        let key = self.key.clone();
        match self.state {
            State::Deleted => Err(ConfigError::ObjectDeleted(key_display(&key))),
            State::New => {
                let current = self.current.clone();
                current.validate().map_err(|source| ConfigError::Settings {
                    object: key_display(&key),
                    source,
                })?;
                let singleton = matches!(T::KIND, ObjectKind::Singleton(_));
                let created = self.manager.update_object(&key, |stored| match stored {
                    Some(_) if !singleton => Err(ConfigError::DuplicateId(key_display(&key))),
                    Some(_) => Ok(None),
                    None => Ok(Some((Some(encode_object(&current)), ()))),
                })?;
                if created.is_some() {
                    self.state = State::Active;
                    self.saved = current;
                    self.manager.post(ConfigNotification::new(
                        self.sender(),
                        ConfigNotificationData::SettingsObjectWasCreated,
                    ));
                    Ok(())
                } else {
                    // A singleton stored meanwhile through another handle: merge into it.
                    self.state = State::Active;
                    self.saved = T::default();
                    self.save_inner()
                }
            }
            State::Active => {
                let saved_flat = self.saved.flat();
                let changes = diff(&saved_flat, &self.current.flat());
                let outcome = self.manager.update_object(&key, |stored| {
                    let stored =
                        stored.ok_or_else(|| ConfigError::ObjectDeleted(key_display(&key)))?;
                    let stored: T = decode_object(stored, &key)?;
                    let stored_flat = stored.flat();
                    let mut merged_flat = stored_flat.clone();
                    for (name, change) in &changes {
                        match &change.new {
                            Some(v) => merged_flat.insert(name.clone(), v.clone()),
                            None => merged_flat.remove(name),
                        };
                    }
                    let merged: T = decode_object(&Value::Group(unflatten(&merged_flat)), &key)?;
                    let modified = diff(&stored_flat, &merged.flat());
                    if modified.is_empty() {
                        return Ok(None);
                    }
                    Ok(Some((Some(encode_object(&merged)), (merged, modified))))
                });
                let outcome = match outcome {
                    Err(ConfigError::ObjectDeleted(k)) => {
                        self.state = State::Deleted;
                        return Err(ConfigError::ObjectDeleted(k));
                    }
                    other => other?,
                };
                match outcome {
                    None => {
                        self.reload()?;
                    }
                    Some((merged, modified)) => {
                        self.saved = merged.clone();
                        self.current = merged;
                        self.manager.post(ConfigNotification::new(
                            self.sender(),
                            ConfigNotificationData::SettingsObjectDidChange { modified },
                        ));
                    }
                }
                Ok(())
            }
        }
    }

    /// Removes the object from storage and posts `CFGSettingsObjectWasDeleted`. Singletons
    /// cannot be deleted.
    pub fn delete(&mut self) -> Result<(), ConfigError> {
        if matches!(T::KIND, ObjectKind::Singleton(_)) {
            return Err(ConfigError::CannotDelete(key_display(&self.key)));
        }
        match self.state {
            State::Deleted => Ok(()),
            State::New => {
                self.state = State::Deleted;
                Ok(())
            }
            State::Active => {
                let result = self
                    .manager
                    .update_object(&self.key, |stored| Ok(stored.map(|_| (None, ()))));
                match result {
                    Ok(removed) => {
                        self.state = State::Deleted;
                        if removed.is_some() {
                            self.manager.post(ConfigNotification::new(
                                self.sender(),
                                ConfigNotificationData::SettingsObjectWasDeleted,
                            ));
                        }
                        Ok(())
                    }
                    Err(e) => {
                        self.report_failure(SaveOperation::Delete, &e);
                        Err(e)
                    }
                }
            }
        }
    }
}

impl<T: SettingsObjectType> Deref for SettingsObject<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.current
    }
}

impl<T: SettingsObjectType> DerefMut for SettingsObject<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.current
    }
}
