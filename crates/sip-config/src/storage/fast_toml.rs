//! A fast reader for the subset of TOML that [`to_toml`](super::to_toml) writes.
//!
//! It reads `[header]` lines, `key = value` lines, comments, basic strings, decimal integers,
//! booleans, single-line arrays and inline tables. On anything else — or anything the full
//! parser might reject (duplicate keys, redefined tables, unusual escapes) — it gives up and
//! returns `None`, and the file is read by the `toml` crate, which also reports the errors. So
//! it never accepts a file that the full parser would reject or read differently.

use std::collections::HashSet;

use crate::value::{Group, Value};

/// The tree, or `None` when the text is outside the fast subset.
pub(crate) fn parse(text: &str) -> Option<Group> {
    let mut root = Group::new();
    let mut current: Vec<String> = Vec::new();
    let mut inline_paths: HashSet<String> = HashSet::new();
    for line in text.split('\n') {
        let mut p = Cursor {
            s: line.as_bytes(),
            i: 0,
        };
        p.skip_ws();
        match p.peek() {
            None | Some(b'#') => {
                p.end_of_line()?;
                continue;
            }
            Some(b'[') => {
                p.i += 1;
                let mut path = Vec::new();
                loop {
                    path.push(p.key()?);
                    match p.next()? {
                        b'.' => continue,
                        b']' => break,
                        _ => return None,
                    }
                }
                p.end_of_line()?;
                // Navigate, creating implicit tables; never through an inline table, never
                // onto an existing table.
                let mut group = &mut root;
                let mut prefix = String::new();
                let (last, parents) = path.split_last()?;
                for k in parents {
                    prefix.push_str(k);
                    prefix.push('\0');
                    if inline_paths.contains(&prefix) {
                        return None;
                    }
                    let entry = group
                        .entry(k.clone())
                        .or_insert_with(|| Value::Group(Group::new()));
                    let Value::Group(g) = entry else { return None };
                    group = g;
                }
                if group.contains_key(last) {
                    return None;
                }
                group.insert(last.clone(), Value::Group(Group::new()));
                current = path;
            }
            Some(_) => {
                let key = p.key()?;
                p.skip_ws();
                if p.next()? != b'=' {
                    return None;
                }
                p.skip_ws();
                let value = p.value()?;
                p.end_of_line()?;
                let mut group = &mut root;
                for k in &current {
                    let Some(Value::Group(g)) = group.get_mut(k) else {
                        return None;
                    };
                    group = g;
                }
                if group.contains_key(&key) {
                    return None;
                }
                if matches!(value, Value::Group(_)) {
                    let mut path = String::new();
                    for k in current.iter().chain(std::iter::once(&key)) {
                        path.push_str(k);
                        path.push('\0');
                    }
                    inline_paths.insert(path);
                }
                group.insert(key, value);
            }
        }
    }
    Some(root)
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.i += 1;
        Some(b)
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    /// Optional white space and comment, then the end of the line.
    fn end_of_line(&mut self) -> Option<()> {
        self.skip_ws();
        match self.peek() {
            None => Some(()),
            Some(b'#') => {
                // Comments may not hold control characters other than tab.
                let rest = std::str::from_utf8(&self.s[self.i..]).ok()?;
                rest.chars()
                    .all(|c| c == '\t' || !c.is_control())
                    .then_some(())
            }
            Some(_) => None,
        }
    }

    fn key(&mut self) -> Option<String> {
        if self.peek()? == b'"' {
            let k = self.string()?;
            return Some(k);
        }
        let start = self.i;
        while matches!(self.peek(), Some(b) if b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            self.i += 1;
        }
        if self.i == start {
            return None;
        }
        String::from_utf8(self.s[start..self.i].to_vec()).ok()
    }

    fn string(&mut self) -> Option<String> {
        if self.next()? != b'"' {
            return None;
        }
        // Multi-line strings are outside the subset.
        if self.s[self.i..].starts_with(b"\"\"") {
            return None;
        }
        let start = self.i;
        let mut out: Option<String> = None;
        loop {
            let b = self.next()?;
            match b {
                b'"' => {
                    let tail = std::str::from_utf8(&self.s[start..self.i - 1]).ok()?;
                    return Some(match out {
                        Some(mut o) => {
                            o.push_str(tail);
                            o
                        }
                        None => tail.to_owned(),
                    });
                }
                b'\\' => {
                    // Slow path for escapes: decode the rest char by char.
                    let head = std::str::from_utf8(&self.s[start..self.i - 1]).ok()?;
                    let mut o = out.take().unwrap_or_default();
                    o.push_str(head);
                    self.i -= 1;
                    return self.string_escaped(o);
                }
                b'\t' => {}
                b if b < 0x20 || b == 0x7f => return None,
                _ => {}
            }
        }
    }

    fn string_escaped(&mut self, mut out: String) -> Option<String> {
        let rest = std::str::from_utf8(&self.s[self.i..]).ok()?;
        let mut chars = rest.char_indices();
        while let Some((pos, c)) = chars.next() {
            match c {
                '"' => {
                    self.i += pos + 1;
                    return Some(out);
                }
                '\\' => {
                    let (_, e) = chars.next()?;
                    match e {
                        'b' => out.push('\u{8}'),
                        't' => out.push('\t'),
                        'n' => out.push('\n'),
                        'f' => out.push('\u{c}'),
                        'r' => out.push('\r'),
                        '"' => out.push('"'),
                        '\\' => out.push('\\'),
                        'u' | 'U' => {
                            let n = if e == 'u' { 4 } else { 8 };
                            let mut code = 0u32;
                            for _ in 0..n {
                                let (_, h) = chars.next()?;
                                code = code * 16 + h.to_digit(16)?;
                            }
                            out.push(char::from_u32(code)?);
                        }
                        _ => return None,
                    }
                }
                '\t' => out.push(c),
                c if c.is_control() => return None,
                c => out.push(c),
            }
        }
        None
    }

    fn value(&mut self) -> Option<Value> {
        match self.peek()? {
            b'"' => self.string().map(Value::String),
            b't' if self.s[self.i..].starts_with(b"true") => {
                self.i += 4;
                self.delimited(Value::Boolean(true))
            }
            b'f' if self.s[self.i..].starts_with(b"false") => {
                self.i += 5;
                self.delimited(Value::Boolean(false))
            }
            b'-' | b'0'..=b'9' => {
                let start = self.i;
                if self.peek() == Some(b'-') {
                    self.i += 1;
                }
                let digits = self.i;
                while matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.i += 1;
                }
                let n = self.i - digits;
                if n == 0 || (n > 1 && self.s[digits] == b'0') {
                    return None;
                }
                let text = std::str::from_utf8(&self.s[start..self.i]).ok()?;
                let i: i64 = text.parse().ok()?;
                self.delimited(Value::Integer(i))
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    if self.peek()? == b']' {
                        self.i += 1;
                        return Some(Value::List(items));
                    }
                    items.push(self.value()?);
                    self.skip_ws();
                    match self.next()? {
                        b',' => {}
                        b']' => return Some(Value::List(items)),
                        _ => return None,
                    }
                }
            }
            b'{' => {
                self.i += 1;
                let mut group = Group::new();
                self.skip_ws();
                if self.peek()? == b'}' {
                    self.i += 1;
                    return Some(Value::Group(group));
                }
                loop {
                    self.skip_ws();
                    let key = self.key()?;
                    self.skip_ws();
                    if self.next()? != b'=' {
                        return None;
                    }
                    self.skip_ws();
                    let value = self.value()?;
                    if group.insert(key, value).is_some() {
                        return None;
                    }
                    self.skip_ws();
                    match self.next()? {
                        b',' => {}
                        b'}' => return Some(Value::Group(group)),
                        _ => return None,
                    }
                }
            }
            _ => None,
        }
    }

    /// A scalar must be followed by a delimiter, not more characters (`truex`, `12ab`).
    fn delimited(&self, v: Value) -> Option<Value> {
        match self.peek() {
            None | Some(b' ' | b'\t' | b',' | b']' | b'}' | b'#') => Some(v),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::toml_codec::{from_toml_full, to_toml};

    fn same_as_full_parser(text: &str) {
        let full = from_toml_full(text, std::path::Path::new("t"));
        if let Some(fast) = parse(text) {
            assert_eq!(Ok(fast), full.map_err(|e| e.to_string()), "{text}");
        }
    }

    #[test]
    fn reads_what_the_writer_writes() {
        let mut inner = Group::new();
        inner.insert(
            "s".into(),
            Value::String("q\" b\\ n\n t\t u\u{1} é 😀".into()),
        );
        inner.insert("a b".into(), Value::Integer(-12));
        inner.insert("z".into(), Value::Integer(0));
        inner.insert(
            "l".into(),
            Value::List(vec![Value::Boolean(true), Value::List(vec![])]),
        );
        let mut small = Group::new();
        small.insert("x".into(), Value::Boolean(false));
        inner.insert("small".into(), Value::Group(small));
        inner.insert("empty".into(), Value::Group(Group::new()));
        let mut root = Group::new();
        root.insert("alice@example.com".into(), Value::Group(inner));
        let text = to_toml(&root).unwrap();
        assert_eq!(parse(&text), Some(root), "{text}");
        same_as_full_parser(&text);
    }

    #[test]
    fn gives_up_outside_the_subset_or_on_doubtful_input() {
        for text in [
            "a = 'literal'\n",
            "a.b = 1\n",
            "a = 1\na = 2\n",
            "[a]\n[a]\n",
            "[a]\nx = { y = 1 }\n[a.x.z]\n",
            "a = 01\n",
            "a = +1\n",
            "a = 1_000\n",
            "a = 1.5\n",
            "a = truex\n",
            "a = \"\"\"multi\"\"\"\n",
            "a = [1,\n2]\n",
            "a = { b = 1, }\n",
            "a = \"\\x\"\n",
            "a = 1\r\n",
            "[ a ]\n",
            "a = 99999999999999999999\n",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
            same_as_full_parser(text);
        }
    }

    #[test]
    fn agrees_with_the_full_parser_on_small_documents() {
        for text in [
            "",
            "# comment\n\n[a]\nb = 1 # trailing\n",
            "[a.b]\nc = \"x\"\n[a.d]\ne = [1, 2, ]\n",
            "x = { \"quoted key\" = \"\\u00e9\\U0001F600\" }\n",
            "[\"a.b\".c]\nd = true\n",
            "[a]\n[a.b]\n[a.c]\n",
        ] {
            assert!(parse(text).is_some(), "{text:?}");
            same_as_full_parser(text);
        }
    }
}
