//! The configuration file format: TOML.
//!
//! Groups are tables, strings/integers/booleans are themselves, lists are arrays. Floats and
//! dates have no place in the tree and are rejected with the key that holds them.

use std::path::Path;

use crate::error::StorageError;
use crate::value::{Group, Value};

/// The comment at the top of every saved file.
pub(crate) const HEADER: &str = "\
# sipsimple-rs configuration (written by sip-config).
# Edit only while no application uses it; settings left out take their defaults.
# An optional setting that is not set is written as \"\".

";

/// Parses a configuration file's text. Errors name `path`, the line and column, and the reason.
pub fn from_toml(text: &str, path: &Path) -> Result<Group, StorageError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        let (line, column) = match e.span() {
            Some(span) => line_column(text, span.start),
            None => (0, 0),
        };
        StorageError::Parse {
            path: path.to_owned(),
            line,
            column,
            reason: e.message().trim().to_owned(),
        }
    })?;
    let mut key = Vec::new();
    convert_table(table, path, &mut key)
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

fn convert_table(
    table: toml::Table,
    path: &Path,
    key: &mut Vec<String>,
) -> Result<Group, StorageError> {
    let mut group = Group::new();
    for (k, v) in table {
        key.push(k);
        let value = convert_value(v, path, key)?;
        let k = key.pop().expect("pushed above");
        group.insert(k, value);
    }
    Ok(group)
}

fn convert_value(
    value: toml::Value,
    path: &Path,
    key: &mut Vec<String>,
) -> Result<Value, StorageError> {
    let unsupported = |kind, key: &[String]| StorageError::UnsupportedValue {
        path: path.to_owned(),
        key: key.join("/"),
        kind,
    };
    Ok(match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::Integer(i),
        toml::Value::Boolean(b) => Value::Boolean(b),
        toml::Value::Float(_) => return Err(unsupported("float", key)),
        toml::Value::Datetime(_) => return Err(unsupported("date-time", key)),
        toml::Value::Array(items) => {
            let mut list = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                key.push(i.to_string());
                list.push(convert_value(item, path, key)?);
                key.pop();
            }
            Value::List(list)
        }
        toml::Value::Table(t) => Value::Group(convert_table(t, path, key)?),
    })
}

/// Renders a tree as a configuration file's text (with a header comment).
pub fn to_toml(data: &Group) -> Result<String, StorageError> {
    let table = to_table(data);
    let body = toml::to_string(&table).map_err(|e| StorageError::Serialize(e.to_string()))?;
    let mut out = String::with_capacity(HEADER.len() + body.len());
    out.push_str(HEADER);
    out.push_str(&body);
    Ok(out)
}

fn to_table(group: &Group) -> toml::Table {
    group
        .iter()
        .map(|(k, v)| (k.clone(), to_value(v)))
        .collect()
}

fn to_value(value: &Value) -> toml::Value {
    match value {
        Value::String(s) => toml::Value::String(s.clone()),
        Value::Secret(s) => toml::Value::String(s.expose().to_owned()),
        Value::Integer(i) => toml::Value::Integer(*i),
        Value::Boolean(b) => toml::Value::Boolean(*b),
        Value::List(l) => toml::Value::Array(l.iter().map(to_value).collect()),
        Value::Group(g) => toml::Value::Table(to_table(g)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::SecretString;

    #[test]
    fn round_trip_keeps_every_kind() {
        let mut inner = Group::new();
        inner.insert("enabled".into(), Value::Boolean(true));
        inner.insert(
            "password".into(),
            Value::Secret(SecretString::new("pw \"quoted\"\n")),
        );
        inner.insert("n".into(), Value::Integer(-5));
        inner.insert(
            "list".into(),
            Value::List(vec![Value::String("a".into()), Value::String("b".into())]),
        );
        inner.insert("empty".into(), Value::Group(Group::new()));
        let mut accounts = Group::new();
        accounts.insert("alice@example.com".into(), Value::Group(inner));
        let mut root = Group::new();
        root.insert("Accounts".into(), Value::Group(accounts));
        root.insert("SIPSimpleSettings".into(), Value::Group(Group::new()));

        let text = to_toml(&root).unwrap();
        assert!(text.starts_with("# sipsimple-rs configuration"));
        let back = from_toml(&text, Path::new("c.toml")).unwrap();
        // secrets come back as plain strings
        let a = back["Accounts"].as_group().unwrap()["alice@example.com"]
            .as_group()
            .unwrap();
        assert_eq!(a["password"].as_str(), Some("pw \"quoted\"\n"));
        assert_eq!(a["n"], Value::Integer(-5));
        assert_eq!(a["empty"], Value::Group(Group::new()));
        assert_eq!(back["SIPSimpleSettings"], Value::Group(Group::new()));
    }

    #[test]
    fn parse_errors_name_file_line_and_reason() {
        let text = "[a]\nx = 1\ny = = 2\n";
        let err = from_toml(text, Path::new("/tmp/conf.toml")).unwrap_err();
        let StorageError::Parse {
            path,
            line,
            column,
            reason,
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(path, Path::new("/tmp/conf.toml"));
        assert_eq!(*line, 3);
        assert!(*column >= 4, "{column}");
        assert!(!reason.is_empty());
        let shown = err.to_string();
        assert!(shown.starts_with("/tmp/conf.toml:3:"), "{shown}");
    }

    #[test]
    fn floats_and_dates_are_rejected_with_their_key() {
        let err = from_toml("[a]\nb = [1.5]\n", Path::new("f")).unwrap_err();
        assert!(
            matches!(&err, StorageError::UnsupportedValue { key, kind: "float", .. } if key == "a/b/0"),
            "{err:?}"
        );
        let err = from_toml("d = 1979-05-27\n", Path::new("f")).unwrap_err();
        assert!(matches!(
            err,
            StorageError::UnsupportedValue {
                kind: "date-time",
                ..
            }
        ));
    }
}
