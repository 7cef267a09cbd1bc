//! Typed settings: how a Rust value becomes a node of the configuration tree and back.
//!
//! * [`SettingValue`] is implemented by leaf types (booleans, integers, strings, SIP addresses,
//!   port ranges, codec lists, …): one value each, validated when decoded.
//! * [`SettingNode`] is implemented by every leaf and by settings groups (structs declared with
//!   `settings_group!`, a crate-internal macro): it encodes only what differs from the defaults,
//!   decodes with defaults for what is missing, and flattens to dotted names
//!   (`sip.register_interval`) for change reports.
//! * [`ItemMap`] is a group of sub-groups identified by id (a contact's URIs).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::error::{SettingsError, ValueError};
use crate::value::{Group, Value};

/// Effective values of an object's settings by dotted name.
pub type FlatSettings = BTreeMap<String, Value>;

/// A leaf setting type: converts to and from one [`Value`], validating on the way in.
pub trait SettingValue: Clone + PartialEq + fmt::Debug + Sized {
    /// The stored form.
    fn to_value(&self) -> Value;
    /// Parses and validates the stored form.
    fn from_value(value: &Value) -> Result<Self, ValueError>;
}

/// A node of a settings object: a leaf setting or a nested group.
pub trait SettingNode: Clone + PartialEq + fmt::Debug + Sized {
    /// The stored form of what differs from `default`, or `None` when nothing does.
    fn encode(&self, default: &Self) -> Option<Value>;
    /// Decodes a stored node; what is missing takes its value from `default`. `key` is the
    /// dotted name, used in errors.
    fn decode(value: &Value, default: &Self, key: &str) -> Result<Self, SettingsError>;
    /// Adds the effective value of every leaf under `key` to `out`.
    fn flatten(&self, key: &str, out: &mut FlatSettings);
}

impl<T: SettingValue> SettingNode for T {
    fn encode(&self, default: &Self) -> Option<Value> {
        (self != default).then(|| self.to_value())
    }

    fn decode(value: &Value, _default: &Self, key: &str) -> Result<Self, SettingsError> {
        T::from_value(value).map_err(|reason| SettingsError {
            key: key.to_owned(),
            reason,
        })
    }

    fn flatten(&self, key: &str, out: &mut FlatSettings) {
        out.insert(key.to_owned(), self.to_value());
    }
}

/// The stored name of a field (`r#type` is stored as `type`).
pub(crate) fn setting_name(field: &'static str) -> &'static str {
    field.strip_prefix("r#").unwrap_or(field)
}

/// Joins a dotted prefix and a name.
pub(crate) fn join_key(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        let mut s = String::with_capacity(prefix.len() + 1 + name.len());
        s.push_str(prefix);
        s.push('.');
        s.push_str(name);
        s
    }
}

/// The group inside `value`, or a typed error naming `key`.
pub(crate) fn expect_group<'a>(value: &'a Value, key: &str) -> Result<&'a Group, SettingsError> {
    value.as_group().ok_or_else(|| SettingsError {
        key: if key.is_empty() {
            "(root)".into()
        } else {
            key.to_owned()
        },
        reason: ValueError::WrongType {
            expected: "group",
            found: value.kind(),
        },
    })
}

/// Rebuilds a tree from dotted names (the inverse of [`SettingNode::flatten`]).
pub(crate) fn unflatten(flat: &FlatSettings) -> Group {
    let mut root = Group::new();
    for (key, value) in flat {
        let mut group = &mut root;
        let mut parts = key.split('.').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                group.insert(part.to_owned(), value.clone());
            } else {
                let entry = group
                    .entry(part.to_owned())
                    .or_insert_with(|| Value::Group(Group::new()));
                if !matches!(entry, Value::Group(_)) {
                    *entry = Value::Group(Group::new());
                }
                let Value::Group(g) = entry else {
                    unreachable!("just made a group")
                };
                group = g;
            }
        }
    }
    root
}

/// The old and new value of a changed setting, as reported by `CFGSettingsObjectDidChange`.
/// `None` means absent (an item of an [`ItemMap`] added or removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModifiedValue {
    /// The value before the change.
    pub old: Option<Value>,
    /// The value after the change.
    pub new: Option<Value>,
}

/// Dotted names whose effective values differ between `old` and `new`.
pub fn diff(old: &FlatSettings, new: &FlatSettings) -> BTreeMap<String, ModifiedValue> {
    let mut out = BTreeMap::new();
    for (k, v) in old {
        match new.get(k) {
            Some(n) if n == v => {}
            n => {
                out.insert(
                    k.clone(),
                    ModifiedValue {
                        old: Some(v.clone()),
                        new: n.cloned(),
                    },
                );
            }
        }
    }
    for (k, v) in new {
        if !old.contains_key(k) {
            out.insert(
                k.clone(),
                ModifiedValue {
                    old: None,
                    new: Some(v.clone()),
                },
            );
        }
    }
    out
}

/// A settings group: a struct of settings with defaults.
pub trait SettingsGroup: SettingNode + Default {
    /// Every setting's effective value by dotted name.
    fn flat(&self) -> FlatSettings {
        let mut out = FlatSettings::new();
        self.flatten("", &mut out);
        out
    }
}

/// Declares a settings group: a struct whose fields are settings or nested groups, each with
/// its default.
macro_rules! settings_group {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $default:expr ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Debug)]
        #[non_exhaustive]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                Self { $( $field: $default, )* }
            }
        }

        impl $crate::setting::SettingNode for $name {
            fn encode(&self, default: &Self) -> Option<$crate::value::Value> {
                let mut group = $crate::value::Group::new();
                $(
                    if let Some(v) = $crate::setting::SettingNode::encode(&self.$field, &default.$field) {
                        group.insert($crate::setting::setting_name(stringify!($field)).to_owned(), v);
                    }
                )*
                if group.is_empty() { None } else { Some($crate::value::Value::Group(group)) }
            }

            fn decode(
                value: &$crate::value::Value,
                default: &Self,
                key: &str,
            ) -> Result<Self, $crate::error::SettingsError> {
                let group = $crate::setting::expect_group(value, key)?;
                for name in group.keys() {
                    if ![$($crate::setting::setting_name(stringify!($field))),*].contains(&name.as_str()) {
                        tracing::debug!(key, name = name.as_str(), "ignoring unknown setting");
                    }
                }
                Ok(Self {
                    $(
                        $field: match group.get($crate::setting::setting_name(stringify!($field))) {
                            Some(v) => $crate::setting::SettingNode::decode(
                                v,
                                &default.$field,
                                &$crate::setting::join_key(key, $crate::setting::setting_name(stringify!($field))),
                            )?,
                            None => default.$field.clone(),
                        },
                    )*
                })
            }

            fn flatten(&self, key: &str, out: &mut $crate::setting::FlatSettings) {
                $(
                    $crate::setting::SettingNode::flatten(
                        &self.$field,
                        &$crate::setting::join_key(key, $crate::setting::setting_name(stringify!($field))),
                        out,
                    );
                )*
            }
        }

        impl $crate::setting::SettingsGroup for $name {}
    };
}
pub(crate) use settings_group;

/// Longest id accepted in an [`ItemMap`] or as an object id.
pub const MAX_ID_LEN: usize = 256;

/// Checks an [`ItemMap`] id: an object id ([`validate_object_id`]) without `.` (item ids
/// become part of dotted setting names).
pub fn validate_item_id(id: &str) -> Result<(), ValueError> {
    validate_object_id(id)?;
    if id.contains('.') {
        return Err(ValueError::Invalid {
            what: "id",
            value: id.to_owned(),
            reason: "contains '.'",
        });
    }
    Ok(())
}

/// Checks an object id (an account's SIP address, a contact id): non-empty, at most
/// [`MAX_ID_LEN`] bytes, no `/`, control characters or surrounding white space.
pub fn validate_object_id(id: &str) -> Result<(), ValueError> {
    let invalid = |reason| {
        Err(ValueError::Invalid {
            what: "id",
            value: id.to_owned(),
            reason,
        })
    };
    if id.is_empty() {
        return invalid("empty");
    }
    if id.len() > MAX_ID_LEN {
        return Err(ValueError::TooLong {
            len: id.len(),
            max: MAX_ID_LEN,
        });
    }
    if id.contains('/') {
        return invalid("contains '/'");
    }
    if id.chars().any(char::is_control) || id.trim() != id {
        return invalid("contains control characters or surrounding white space");
    }
    Ok(())
}

/// Sub-groups identified by id (e.g. a contact's URIs by URI id). Ids are checked with
/// [`validate_item_id`].
#[derive(Clone, PartialEq, Debug)]
pub struct ItemMap<T>(BTreeMap<String, T>);

impl<T> Default for ItemMap<T> {
    fn default() -> Self {
        ItemMap(BTreeMap::new())
    }
}

impl<T> ItemMap<T> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Inserts or replaces the item `id`.
    pub fn insert(&mut self, id: impl Into<String>, item: T) -> Result<Option<T>, ValueError> {
        let id = id.into();
        validate_item_id(&id)?;
        Ok(self.0.insert(id, item))
    }

    /// Removes the item `id`.
    pub fn remove(&mut self, id: &str) -> Option<T> {
        self.0.remove(id)
    }

    /// The item `id`.
    pub fn get(&self, id: &str) -> Option<&T> {
        self.0.get(id)
    }

    /// The item `id`, mutably.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut T> {
        self.0.get_mut(id)
    }

    /// Items in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<T: SettingsGroup> SettingNode for ItemMap<T> {
    fn encode(&self, _default: &Self) -> Option<Value> {
        if self.0.is_empty() {
            return None;
        }
        let base = T::default();
        let group = self
            .0
            .iter()
            .map(|(id, item)| {
                let v = item.encode(&base).unwrap_or(Value::Group(Group::new()));
                (id.clone(), v)
            })
            .collect();
        Some(Value::Group(group))
    }

    fn decode(value: &Value, _default: &Self, key: &str) -> Result<Self, SettingsError> {
        let group = expect_group(value, key)?;
        let base = T::default();
        let mut map = BTreeMap::new();
        for (id, v) in group {
            let item_key = join_key(key, id);
            validate_item_id(id).map_err(|reason| SettingsError {
                key: item_key.clone(),
                reason,
            })?;
            map.insert(id.clone(), T::decode(v, &base, &item_key)?);
        }
        Ok(ItemMap(map))
    }

    fn flatten(&self, key: &str, out: &mut FlatSettings) {
        for (id, item) in &self.0 {
            item.flatten(&join_key(key, id), out);
        }
    }
}

/// Checks that a list has no duplicate entries.
pub(crate) fn check_unique<T: Ord + fmt::Debug>(items: &[T]) -> Result<(), ValueError> {
    let mut seen = BTreeSet::new();
    for item in items {
        if !seen.insert(item) {
            return Err(ValueError::Duplicate(format!("{item:?}")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unflatten_inverts_flatten_paths() {
        let mut flat = FlatSettings::new();
        flat.insert("a.b.c".into(), Value::Integer(1));
        flat.insert("a.d".into(), Value::Boolean(true));
        flat.insert("e".into(), Value::String("x".into()));
        let g = unflatten(&flat);
        let a = g["a"].as_group().unwrap();
        assert_eq!(a["d"], Value::Boolean(true));
        assert_eq!(a["b"].as_group().unwrap()["c"], Value::Integer(1));
        assert_eq!(g["e"], Value::String("x".into()));
    }

    #[test]
    fn diff_reports_changes_additions_and_removals() {
        let mut old = FlatSettings::new();
        old.insert("x".into(), Value::Integer(1));
        old.insert("y".into(), Value::Integer(2));
        let mut new = FlatSettings::new();
        new.insert("x".into(), Value::Integer(1));
        new.insert("y".into(), Value::Integer(3));
        new.insert("z".into(), Value::Integer(4));
        let d = diff(&old, &new);
        assert_eq!(d.len(), 2);
        assert_eq!(d["y"].old, Some(Value::Integer(2)));
        assert_eq!(d["y"].new, Some(Value::Integer(3)));
        assert_eq!(d["z"].old, None);
        let back = diff(&new, &old);
        assert_eq!(back["z"].new, None);
    }

    #[test]
    fn item_ids_are_checked() {
        assert!(validate_item_id("u1").is_ok());
        assert!(validate_item_id("").is_err());
        assert!(validate_item_id("a.b").is_err());
        assert!(validate_item_id("a/b").is_err());
        assert!(validate_item_id(" a").is_err());
        assert!(validate_item_id(&"x".repeat(MAX_ID_LEN + 1)).is_err());
    }
}
