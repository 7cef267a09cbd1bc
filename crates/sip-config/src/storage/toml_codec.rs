//! The configuration file format: TOML.
//!
//! Groups are tables, strings/integers/booleans are themselves, lists are arrays. Floats and
//! dates have no place in the tree and are rejected with the key that holds them.

use std::fmt::Write as _;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::StorageError;
use crate::value::{Group, Value};

/// The comment at the top of every saved file.
pub(crate) const HEADER: &str = "\
# sipsimple-rs configuration (written by sip-config).
# Edit only while no application uses it; settings left out take their defaults.
# An optional setting that is not set is written as \"\".

";

/// Parses a configuration file's text. Errors name `path`, the line and column, and the reason.
///
/// Files in the form this crate writes are read by a fast reader; anything else by the `toml`
/// crate's parser.
pub fn from_toml(text: &str, path: &Path) -> Result<Group, StorageError> {
    if let Some(group) = super::fast_toml::parse(text) {
        return Ok(group);
    }
    from_toml_full(text, path)
}

/// [`from_toml`] through the `toml` crate only.
pub(crate) fn from_toml_full(text: &str, path: &Path) -> Result<Group, StorageError> {
    let table = DeTable::parse(text).map_err(|e| {
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
    Converter { text, path }.table(table.into_inner(), &mut key)
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

struct Converter<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Converter<'_> {
    fn table(&self, table: DeTable<'_>, key: &mut Vec<String>) -> Result<Group, StorageError> {
        let mut group = Group::new();
        for (k, v) in table {
            key.push(k.into_inner().into_owned());
            let value = self.value(v, key)?;
            let k = key.pop().expect("pushed above");
            group.insert(k, value);
        }
        Ok(group)
    }

    fn value(
        &self,
        value: Spanned<DeValue<'_>>,
        key: &mut Vec<String>,
    ) -> Result<Value, StorageError> {
        let span = value.span();
        let unsupported = |kind, key: &[String]| {
            let (line, _) = line_column(self.text, span.start);
            StorageError::UnsupportedValue {
                path: self.path.to_owned(),
                line,
                key: key.join("/"),
                kind,
            }
        };
        Ok(match value.into_inner() {
            DeValue::String(s) => Value::String(s.into_owned()),
            DeValue::Integer(i) => Value::Integer(
                i64::from_str_radix(i.as_str(), i.radix())
                    .map_err(|_| unsupported("out-of-range integer", key))?,
            ),
            DeValue::Boolean(b) => Value::Boolean(b),
            DeValue::Float(_) => return Err(unsupported("float", key)),
            DeValue::Datetime(_) => return Err(unsupported("date-time", key)),
            DeValue::Array(items) => {
                let mut list = Vec::new();
                for (i, item) in items.into_iter().enumerate() {
                    key.push(i.to_string());
                    list.push(self.value(item, key)?);
                    key.pop();
                }
                Value::List(list)
            }
            DeValue::Table(t) => Value::Group(self.table(t, key)?),
        })
    }
}

/// Renders a tree as a configuration file's text (with a header comment).
///
/// Small groups are written inline (`presence = { policy = "allow", subscribe = true }`);
/// the others get a `[dotted.path]` header. Lists are inline arrays. Strings are TOML basic
/// strings.
pub fn to_toml(data: &Group) -> Result<String, StorageError> {
    let mut out = String::with_capacity(HEADER.len() + 64 * data.len());
    out.push_str(HEADER);
    let mut header = String::new();
    write_group(&mut out, &mut header, data);
    Ok(out)
}

/// Groups whose inline form fits in this many bytes are written inline (`presence = { … }`).
const INLINE_LIMIT: usize = 100;

fn write_group(out: &mut String, header: &mut String, group: &Group) {
    for (k, v) in group {
        let inline = match v {
            Value::Group(g) => !g.is_empty() && inline_len(v, INLINE_LIMIT).is_some(),
            _ => true,
        };
        if inline {
            write_key(out, k);
            out.push_str(" = ");
            write_value(out, v);
            out.push('\n');
        }
    }
    for (k, v) in group {
        let Value::Group(child) = v else { continue };
        if !child.is_empty() && inline_len(v, INLINE_LIMIT).is_some() {
            continue;
        }
        let len = header.len();
        if !header.is_empty() {
            header.push('.');
        }
        write_key(header, k);
        let has_lines = child.is_empty()
            || child.values().any(|v| match v {
                Value::Group(g) => !g.is_empty() && inline_len(v, INLINE_LIMIT).is_some(),
                _ => true,
            });
        if has_lines {
            out.push_str("\n[");
            out.push_str(header);
            out.push_str("]\n");
        }
        write_group(out, header, child);
        header.truncate(len);
    }
}

/// An upper estimate of the inline length of `value`, or `None` past `budget`.
fn inline_len(value: &Value, budget: usize) -> Option<usize> {
    let len = match value {
        Value::String(s) => s.len() + 2,
        Value::Secret(s) => s.expose().len() + 2,
        Value::Integer(_) => 20,
        Value::Boolean(_) => 5,
        Value::List(items) => {
            let mut n = 2;
            for item in items {
                n += 2 + inline_len(item, budget.checked_sub(n)?)?;
            }
            n
        }
        Value::Group(g) => {
            let mut n = 4;
            for (k, v) in g {
                n += k.len() + 7 + inline_len(v, budget.checked_sub(n)?)?;
            }
            n
        }
    };
    (len <= budget).then_some(len)
}

fn write_key(out: &mut String, key: &str) {
    if !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        out.push_str(key);
    } else {
        write_string(out, key);
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    if s.chars().all(|c| !c.is_control() && c != '"' && c != '\\') {
        out.push_str(s);
    } else {
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                c if c.is_control() => {
                    let _ = write!(out, "\\u{:04X}", c as u32);
                }
                c => out.push(c),
            }
        }
    }
    out.push('"');
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::String(s) => write_string(out, s),
        Value::Secret(s) => write_string(out, s.expose()),
        Value::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Group(g) => {
            if g.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push_str("{ ");
            for (i, (k, v)) in g.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_key(out, k);
                out.push_str(" = ");
                write_value(out, v);
            }
            out.push_str(" }");
        }
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
    fn tricky_strings_keys_and_lists_round_trip() {
        let mut inner = Group::new();
        inner.insert(
            "a b".into(),
            Value::String("tab\tquote\" back\\ nl\n cr\r bell\u{7} del\u{7f} é 😀".into()),
        );
        inner.insert("".into(), Value::String(String::new()));
        inner.insert("dotted.key".into(), Value::Integer(i64::MIN));
        let mut g = Group::new();
        g.insert("x".into(), Value::Integer(1));
        inner.insert(
            "groups".into(),
            Value::List(vec![
                Value::Group(g),
                Value::Group(Group::new()),
                Value::List(vec![]),
            ]),
        );
        let mut deeper = Group::new();
        deeper.insert("only-groups".into(), Value::Group(inner.clone()));
        let mut root = Group::new();
        root.insert("\"quoted\"".into(), Value::Group(inner));
        root.insert("nest".into(), Value::Group(deeper));
        root.insert("n".into(), Value::Integer(i64::MAX));
        let text = to_toml(&root).unwrap();
        assert_eq!(from_toml(&text, Path::new("t")).unwrap(), root, "{text}");
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
