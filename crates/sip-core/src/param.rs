//! Generic `;name=value` parameters of URIs and headers (RFC 3261 §25 `generic-param`,
//! `uri-parameter`).

use std::fmt;

use bytestring::ByteString;

use crate::grammar::{self, quoted_string, trim_lws};

/// One parameter: a name and an optional value, both kept as written (a quoted value keeps its
/// quotes, an escaped one its escapes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Param {
    name: ByteString,
    value: Option<ByteString>,
}

impl Param {
    /// A parameter from a name and an optional value written as they should appear on the wire.
    pub fn new(name: impl Into<ByteString>, value: Option<impl Into<ByteString>>) -> Self {
        Param {
            name: name.into(),
            value: value.map(Into::into),
        }
    }

    /// The name as written.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value as written (quotes kept), if any.
    pub fn raw_value(&self) -> Option<&str> {
        self.value.as_deref()
    }

    /// The value with quotes and quoted-pair escapes removed.
    pub fn value(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.value.as_deref().map(grammar::unquote)
    }
}

/// An ordered list of parameters with case-insensitive lookup by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Params(Vec<Param>);

impl Params {
    /// An empty list.
    pub fn new() -> Self {
        Params(Vec::new())
    }

    /// True when there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The parameters in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Param> {
        self.0.iter()
    }

    /// The first parameter named `name` (ASCII case-insensitive).
    pub fn get(&self, name: &str) -> Option<&Param> {
        self.0.iter().find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// True when a parameter named `name` is present (with or without value).
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The raw value of the first parameter named `name`; `None` when absent or valueless.
    pub fn raw_value(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|p| p.raw_value())
    }

    /// The unquoted value of the first parameter named `name`.
    pub fn value(&self, name: &str) -> Option<std::borrow::Cow<'_, str>> {
        self.get(name).and_then(|p| p.value())
    }

    /// Sets `name` to `value` (replacing the first parameter of that name, or appending).
    /// The value is written as given: quote it with [`crate::write_quoted`] when needed.
    pub fn set(&mut self, name: &str, value: Option<&str>) {
        let new = Param::new(ByteString::from(name), value.map(ByteString::from));
        match self
            .0
            .iter_mut()
            .find(|p| p.name.eq_ignore_ascii_case(name))
        {
            Some(p) => *p = new,
            None => self.0.push(new),
        }
    }

    /// Removes every parameter named `name`; returns whether any was removed.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.0.len();
        self.0.retain(|p| !p.name.eq_ignore_ascii_case(name));
        before != self.0.len()
    }

    /// Appends a parameter.
    pub fn push(&mut self, param: Param) {
        self.0.push(param);
    }

    /// Parses `*( SEMI param )` from the start of `s` (which, if not empty, must start with `;`
    /// possibly after LWS). `src` must contain `s`; names and values are zero-copy slices of it.
    /// Parsing stops before the first byte that cannot continue the list (returned as the rest).
    /// `allow_quoted` admits quoted-string values (header params; URI params have none).
    pub(crate) fn parse<'a>(
        src: &ByteString,
        s: &'a str,
        allow_quoted: bool,
        is_value_char: impl Fn(u8) -> bool + Copy,
    ) -> Result<(Params, &'a str), usize> {
        let mut params = Vec::new();
        let mut rest = s;
        loop {
            let trimmed = rest.trim_start_matches([' ', '\t']);
            let Some(after_semi) = trimmed.strip_prefix(';') else {
                return Ok((Params(params), rest));
            };
            let after_semi = after_semi.trim_start_matches([' ', '\t']);
            let name_len = after_semi.bytes().take_while(|&c| is_value_char(c)).count();
            if name_len == 0 {
                return Err(s.len() - after_semi.len());
            }
            let name = &after_semi[..name_len];
            let mut r = &after_semi[name_len..];
            let t = r.trim_start_matches([' ', '\t']);
            let mut value = None;
            if let Some(v) = t.strip_prefix('=') {
                let v = v.trim_start_matches([' ', '\t']);
                if allow_quoted && v.starts_with('"') {
                    let (q, after) = quoted_string(v).ok_or(s.len() - v.len())?;
                    value = Some(src.slice_ref(q));
                    r = after;
                } else {
                    let vlen = v.bytes().take_while(|&c| is_value_char(c)).count();
                    if vlen == 0 && !allow_quoted {
                        return Err(s.len() - v.len());
                    }
                    value = Some(src.slice_ref(&v[..vlen]));
                    r = &v[vlen..];
                }
            }
            params.push(Param {
                name: src.slice_ref(name),
                value,
            });
            rest = r;
        }
    }

    /// Parses a parameter list that must cover all of `s`.
    pub(crate) fn parse_all(
        src: &ByteString,
        s: &str,
        allow_quoted: bool,
        is_value_char: impl Fn(u8) -> bool + Copy,
    ) -> Result<Params, usize> {
        let (p, rest) = Params::parse(src, s, allow_quoted, is_value_char)?;
        if !trim_lws(rest).is_empty() {
            return Err(s.len() - rest.len());
        }
        Ok(p)
    }
}

impl<'a> IntoIterator for &'a Params {
    type Item = &'a Param;
    type IntoIter = std::slice::Iter<'a, Param>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for Params {
    /// Writes `;name=value` for each parameter.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.0 {
            f.write_str(";")?;
            f.write_str(&p.name)?;
            if let Some(v) = &p.value {
                f.write_str("=")?;
                f.write_str(v)?;
            }
        }
        Ok(())
    }
}

/// Characters of a header `generic-param` name or token/host value (token plus `[ ] :` for IPv6
/// hosts as values).
pub(crate) fn is_header_param_char(c: u8) -> bool {
    grammar::is_token_char(c) || matches!(c, b'[' | b']' | b':')
}

/// `paramchar` of URI parameters: `param-unreserved / unreserved / escaped`.
pub(crate) fn is_uri_param_char(c: u8) -> bool {
    grammar::is_unreserved(c) || matches!(c, b'[' | b']' | b'/' | b':' | b'&' | b'+' | b'$' | b'%')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_params_with_quotes_and_flags() {
        let src = ByteString::from(";tag=abc ; lr;q=0.7; name=\"a;b\" rest");
        let (p, rest) = Params::parse(&src, &src, true, is_header_param_char).unwrap();
        assert_eq!(rest, " rest");
        assert_eq!(p.len(), 4);
        assert_eq!(p.raw_value("TAG"), Some("abc"));
        assert!(p.contains("lr"));
        assert_eq!(p.raw_value("lr"), None);
        assert_eq!(p.value("name").unwrap(), "a;b");
        assert_eq!(p.to_string(), ";tag=abc;lr;q=0.7;name=\"a;b\"");
    }

    #[test]
    fn empty_name_is_an_error() {
        let src = ByteString::from(";=x");
        assert!(Params::parse(&src, &src, true, is_header_param_char).is_err());
    }

    #[test]
    fn set_and_remove() {
        let mut p = Params::new();
        p.set("branch", Some("z9hG4bK1"));
        p.set("BRANCH", Some("z9hG4bK2"));
        assert_eq!(p.len(), 1);
        assert_eq!(p.raw_value("branch"), Some("z9hG4bK2"));
        assert!(p.remove("branch"));
        assert!(p.is_empty());
    }
}
