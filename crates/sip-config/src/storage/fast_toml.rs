//! A fast reader for the subset of TOML that [`to_toml`](super::to_toml) writes.
//!
//! It reads `[header]` lines, `key = value` lines, comments, basic strings, decimal integers,
//! booleans, single-line arrays and inline tables. On anything else — or anything the full
//! parser might reject (duplicate keys, redefined tables, unusual escapes) — it gives up and
//! returns `None`, and the file is read by the `toml` crate, which also reports the errors. So
//! it never accepts a file that the full parser would reject or read differently.

use std::borrow::Cow;

use crate::value::{Group, Value};

/// The tree, or `None` when the text is outside the fast subset.
///
/// The tables on the path of the last `[header]` are kept open on a stack, each filled on its
/// own and put into its parent when a header leaves it, so a `key = value` line costs no walk
/// from the root. Sibling tables that come in sorted order (as the writer writes them) are
/// collected in a list and turned into a map in one go. A header that would reopen a table
/// or value closed earlier (`[a.b]`, `[c]`, `[a.d]`; or a table inside an inline table) is
/// outside the subset: the writer never writes one, and the full parser decides.
pub(crate) fn parse(text: &str) -> Option<Group> {
    let mut stack = vec![Frame::new(String::new())];
    let mut path: Vec<Cow<'_, str>> = Vec::new();
    for line in text.split('\n') {
        let mut p = Cursor {
            t: line,
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
                path.clear();
                loop {
                    path.push(p.key_cow()?);
                    match p.next()? {
                        b'.' => continue,
                        b']' => break,
                        _ => return None,
                    }
                }
                p.end_of_line()?;
                let last = path.pop()?.into_owned();
                // Close the open tables that are not on the new path.
                let common = path
                    .iter()
                    .zip(&stack[1..])
                    .take_while(|(k, f)| **k == *f.key)
                    .count();
                while stack.len() > common + 1 {
                    close(&mut stack)?;
                }
                // Open the rest of the parents as new implicit tables, and the table itself;
                // never reopen anything.
                for k in path.drain(common..) {
                    if stack.last()?.contains(&k) {
                        return None;
                    }
                    stack.push(Frame::new(k.into_owned()));
                }
                if stack.last()?.contains(&last) {
                    return None;
                }
                stack.push(Frame::new(last));
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
                let top = stack.last_mut()?;
                if top.contains(&key) {
                    return None;
                }
                top.add(key, value);
            }
        }
    }
    while stack.len() > 1 {
        close(&mut stack)?;
    }
    let Frame { group, tail, .. } = stack.pop()?;
    Some(Frame::finish(group, tail))
}

/// Puts the top table of the stack into its parent.
fn close(stack: &mut Vec<Frame>) -> Option<()> {
    let Frame { key, group, tail } = stack.pop()?;
    let table = Frame::finish(group, tail);
    stack.last_mut()?.add(key, Value::Group(table));
    Some(())
}

/// An open table: its key, contents, and the sub-tables closed into it in sorted order that
/// are not in `group` yet (all their keys are after `group`'s).
struct Frame {
    key: String,
    group: Group,
    tail: Vec<(String, Value)>,
}

impl Frame {
    fn new(key: String) -> Self {
        Frame {
            key,
            group: Group::new(),
            tail: Vec::new(),
        }
    }

    fn last_key(&self) -> Option<&String> {
        match self.tail.last() {
            Some((k, _)) => Some(k),
            None => self.group.last_key_value().map(|(k, _)| k),
        }
    }

    fn contains(&self, key: &str) -> bool {
        match self.last_key() {
            None => false,
            Some(last) if key > last.as_str() => false,
            Some(_) => {
                self.group.contains_key(key)
                    || self
                        .tail
                        .binary_search_by(|(k, _)| k.as_str().cmp(key))
                        .is_ok()
            }
        }
    }

    /// Adds a key that is not there yet.
    fn add(&mut self, key: String, value: Value) {
        if self.last_key().is_none_or(|last| key > *last) {
            self.tail.push((key, value));
        } else {
            self.group.extend(self.tail.drain(..));
            self.group.insert(key, value);
        }
    }

    fn finish(mut group: Group, tail: Vec<(String, Value)>) -> Group {
        if group.is_empty() {
            // Sorted, distinct keys: built in one pass.
            tail.into_iter().collect()
        } else {
            group.extend(tail);
            group
        }
    }
}

struct Cursor<'a> {
    t: &'a str,
    s: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
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
                let rest = self.t.get(self.i..)?;
                rest.chars()
                    .all(|c| c == '\t' || !c.is_control())
                    .then_some(())
            }
            Some(_) => None,
        }
    }

    fn key(&mut self) -> Option<String> {
        self.key_cow().map(Cow::into_owned)
    }

    /// A bare or quoted key, borrowed from the text when it holds no escape.
    fn key_cow(&mut self) -> Option<Cow<'a, str>> {
        if self.peek()? == b'"' {
            let start = self.i + 1;
            let end = self.s[start..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20 || b == 0x7f)
                .map(|n| start + n);
            if let Some(end) = end
                && self.s[end] == b'"'
                && end > start
            {
                self.i = end + 1;
                return self.t.get(start..end).map(Cow::Borrowed);
            }
            return self.string().map(Cow::Owned);
        }
        let start = self.i;
        while matches!(self.peek(), Some(b) if b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            self.i += 1;
        }
        if self.i == start {
            return None;
        }
        self.t.get(start..self.i).map(Cow::Borrowed)
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
                    let tail = self.t.get(start..self.i - 1)?;
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
                    let head = self.t.get(start..self.i - 1)?;
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
        let rest = self.t.get(self.i..)?;
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
                let text = self.t.get(start..self.i)?;
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
                let mut group = Frame::new(String::new());
                self.skip_ws();
                if self.peek()? == b'}' {
                    self.i += 1;
                    return Some(Value::Group(Group::new()));
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
                    if group.contains(&key) {
                        return None;
                    }
                    group.add(key, value);
                    self.skip_ws();
                    match self.next()? {
                        b',' => {}
                        b'}' => return Some(Value::Group(Frame::finish(group.group, group.tail))),
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
            // valid TOML the writer never writes: reopening a closed table
            "[a.b]\n[c]\n[a.d]\n",
            "[a.b.c]\n[a.b]\n",
            "[a.b]\nx = 1\n[a.c]\n[a.b.d]\n",
            // invalid: duplicates in every position
            "x = { a = 1, a = 2 }\n",
            "x = { b = 1, a = 2, b = 3 }\n",
            "[a]\nb = 1\n[a.b]\n",
            "[a]\nb = 1\nc = 2\nb = 3\n",
            "[a.y]\n[a.x]\n[a.y]\n",
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
            // siblings out of order, inline tables out of order, root tables after others
            "[b]\nx = 1\n[a]\ny = 2\n",
            "[a.z]\n[a.b]\n[a.m.n]\nk = 1\n[a.c]\n",
            "x = { b = 1, a = 2, c = { z = 1, y = 2 } }\n",
            "[t]\nz = 1\nb = 2\n[t.c]\n[t.a]\n",
        ] {
            assert!(parse(text).is_some(), "{text:?}");
            same_as_full_parser(text);
        }
    }
}
