//! The untyped configuration tree that storage backends load and save.
//!
//! A [`Group`] maps names to [`Value`]s; groups nest. Typed settings (see [`crate::setting`])
//! encode to and decode from this tree, and backends persist it (the file backend as TOML).

use std::collections::BTreeMap;
use std::fmt;

use zeroize::Zeroizing;

/// A group of named values: one level of the configuration tree.
pub type Group = BTreeMap<String, Value>;

/// One node of the configuration tree.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Value {
    /// A string.
    String(String),
    /// An integer.
    Integer(i64),
    /// A boolean.
    Boolean(bool),
    /// An ordered list.
    List(Vec<Value>),
    /// A nested group.
    Group(Group),
    /// A secret string (a password): zeroed when dropped and redacted by `Debug`. Backends
    /// persist it as a plain string.
    Secret(SecretString),
}

impl Value {
    /// A short name of the value's kind, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::String(_) => "string",
            Value::Integer(_) => "integer",
            Value::Boolean(_) => "boolean",
            Value::List(_) => "list",
            Value::Group(_) => "group",
            Value::Secret(_) => "string",
        }
    }

    /// The string, if this is a string or a secret.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            Value::Secret(s) => Some(s.expose()),
            _ => None,
        }
    }

    /// The group, if this is a group.
    pub fn as_group(&self) -> Option<&Group> {
        match self {
            Value::Group(g) => Some(g),
            _ => None,
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) => fmt::Debug::fmt(s, f),
            Value::Integer(i) => fmt::Debug::fmt(i, f),
            Value::Boolean(b) => fmt::Debug::fmt(b, f),
            Value::List(l) => f.debug_list().entries(l).finish(),
            Value::Group(g) => f.debug_map().entries(g).finish(),
            Value::Secret(s) => fmt::Debug::fmt(s, f),
        }
    }
}

impl fmt::Display for Value {
    /// Human-readable rendering; secrets print as `"********"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) => write!(f, "{s:?}"),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Boolean(b) => write!(f, "{b}"),
            Value::List(l) => {
                f.write_str("[")?;
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Value::Group(g) => {
                f.write_str("{")?;
                for (i, (k, v)) in g.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k} = {v}")?;
                }
                f.write_str("}")
            }
            Value::Secret(_) => f.write_str("\"********\""),
        }
    }
}

/// A string that is zeroed when dropped and never printed by `Debug` or `Display`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Wraps a string.
    pub fn new(s: impl Into<String>) -> Self {
        SecretString(Zeroizing::new(s.into()))
    }

    /// The secret itself. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(********)")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("********")
    }
}

/// Renders a key path as `a/b/c`, the form used in error messages.
pub(crate) fn key_display<S: AsRef<str>>(key: &[S]) -> String {
    let mut out = String::new();
    for (i, k) in key.iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(k.as_ref());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let v = Value::Secret(SecretString::new("hunter2"));
        assert!(!format!("{v:?}").contains("hunter2"));
        assert!(!format!("{v}").contains("hunter2"));
        let mut g = Group::new();
        g.insert("password".into(), v.clone());
        let g = Value::Group(g);
        assert!(!format!("{g:?}").contains("hunter2"));
        assert!(!format!("{g}").contains("hunter2"));
        assert_eq!(v.as_str(), Some("hunter2"));
    }
}
