//! `name-addr` / `addr-spec` (RFC 3261 §20.10): an optional display name and a URI, followed by
//! header parameters in From, To, Contact, Route and friends.

use std::borrow::Cow;
use std::fmt;

use bytestring::ByteString;

use crate::error::{Element, ParseError};
use crate::grammar::{self, quoted_string, trim_lws, unquote, write_quoted};
use crate::param::{Params, is_header_param_char};
use crate::uri::Uri;

/// A display name and URI (the seed's `display` lives here, not on the URI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    display: Option<ByteString>,
    uri: Uri,
}

impl NameAddr {
    /// A name-addr with no display name.
    pub fn new(uri: impl Into<Uri>) -> Self {
        NameAddr {
            display: None,
            uri: uri.into(),
        }
    }

    /// Builder: sets the display name (quoted on print when needed).
    #[must_use]
    pub fn with_display(mut self, display: &str) -> Self {
        self.set_display_name(Some(display));
        self
    }

    /// The URI.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// Mutable URI.
    pub fn uri_mut(&mut self) -> &mut Uri {
        &mut self.uri
    }

    /// The display name, unquoted.
    pub fn display_name(&self) -> Option<Cow<'_, str>> {
        self.display.as_deref().map(unquote)
    }

    /// The display name as written (quotes kept).
    pub fn raw_display_name(&self) -> Option<&str> {
        self.display.as_deref()
    }

    /// Sets the display name; it is written as a quoted-string unless it is a plain token list.
    pub fn set_display_name(&mut self, display: Option<&str>) {
        self.display = display.map(|d| {
            let plain = !d.is_empty() && d.split(' ').all(grammar::is_token) && !d.contains("  ");
            if plain {
                ByteString::from(d)
            } else {
                let mut s = String::new();
                write_quoted(&mut s, d);
                ByteString::from(s)
            }
        });
    }

    /// Parses `name-addr / addr-spec` followed by `*( SEMI generic-param )` from `s`, a slice of
    /// `src`. Error offsets are relative to `s`.
    pub(crate) fn parse_with_params(
        src: &ByteString,
        s: &str,
        element: Element,
    ) -> Result<(NameAddr, Params), ParseError> {
        let lead = s.len() - s.trim_start_matches([' ', '\t']).len();
        let t = trim_lws(s);
        let off = |r: &str| s.len() - r.len();
        let err = |o| ParseError::syntax(element, o);
        let (display, rest) = if t.starts_with('"') {
            let (q, rest) = quoted_string(t).ok_or_else(|| err(lead))?;
            let rest = rest.trim_start_matches([' ', '\t']);
            if !rest.starts_with('<') {
                return Err(err(off(rest)));
            }
            (Some(src.slice_ref(q)), rest)
        } else if let Some(lt) = t.find('<') {
            let d = trim_lws(&t[..lt]);
            if !d.is_empty()
                && !d
                    .split([' ', '\t'])
                    .all(|w| w.is_empty() || grammar::is_token(w))
            {
                return Err(err(lead));
            }
            let display = (!d.is_empty()).then(|| src.slice_ref(d));
            (display, &t[lt..])
        } else {
            (None, t)
        };
        if let Some(inner) = rest.strip_prefix('<') {
            let gt = inner.find('>').ok_or_else(|| err(off(inner)))?;
            let uri_str = &inner[..gt];
            let uri = Uri::parse_in(src, uri_str).map_err(|e| e.shifted(off(inner)))?;
            let after = &inner[gt + 1..];
            let params = Params::parse_all(src, after, true, is_header_param_char)
                .map_err(|o| ParseError::syntax(Element::Parameter, off(after) + o))?;
            return Ok((NameAddr { display, uri }, params));
        }
        // addr-spec: the URI ends at the first `;` after its user part (URI parameters would
        // need the name-addr form), or at whitespace.
        let quote = rest.find('"').unwrap_or(rest.len());
        let user_end = rest[..quote].find('@').map_or(0, |a| a + 1);
        let end = rest[user_end..]
            .find([';', ' ', '\t', ','])
            .map_or(rest.len(), |e| e + user_end);
        let uri_str = &rest[..end];
        // RFC 3261 §20: an addr-spec holding a `?` (URI headers) must use the name-addr form.
        if let Some(q) = uri_str[user_end..].find('?') {
            return Err(err(off(rest) + user_end + q));
        }
        let uri = Uri::parse_in(src, uri_str).map_err(|e| e.shifted(off(rest)))?;
        let after = &rest[end..];
        let params = Params::parse_all(src, after, true, is_header_param_char)
            .map_err(|o| ParseError::syntax(Element::Parameter, off(after) + o))?;
        Ok((NameAddr { display, uri }, params))
    }

    /// Parses a name-addr or addr-spec with no parameters after it.
    pub fn parse(s: &str) -> Result<NameAddr, ParseError> {
        let src = ByteString::from(s);
        let (na, params) = NameAddr::parse_with_params(&src, &src, Element::NameAddr)?;
        if !params.is_empty() {
            return Err(ParseError::syntax(
                Element::NameAddr,
                s.find(';').unwrap_or(0),
            ));
        }
        Ok(na)
    }
}

impl fmt::Display for NameAddr {
    /// Always the name-addr form: `"Display" <uri>` or `<uri>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = &self.display {
            write!(f, "{d} ")?;
        }
        write!(f, "<{}>", self.uri)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> (NameAddr, Params) {
        let src = ByteString::from(s);
        NameAddr::parse_with_params(&src, &src, Element::NameAddr)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn forms() {
        let (na, p) = parse(r#""Bob \"B\" Smith" <sip:bob@biloxi.com;transport=tcp>;tag=a6c85cf"#);
        assert_eq!(na.display_name().unwrap(), r#"Bob "B" Smith"#);
        assert_eq!(na.uri().as_sip().unwrap().param("transport"), Some("tcp"));
        assert_eq!(p.raw_value("tag"), Some("a6c85cf"));

        let (na, p) = parse("sip:alice@atlanta.com;tag=88sja8x");
        assert!(na.display_name().is_none());
        assert!(na.uri().as_sip().unwrap().params().is_empty());
        assert_eq!(p.raw_value("tag"), Some("88sja8x"));

        let (na, _) = parse("Anonymous <sip:c8oqz84zk7z@privacy.org>");
        assert_eq!(na.display_name().unwrap(), "Anonymous");
        let (na, _) = parse("caller<sip:caller@example.com>");
        assert_eq!(na.display_name().unwrap(), "caller");
        let (na, _) = parse("<tel:+1-201-555-0123>");
        assert_eq!(na.uri().scheme(), "tel");
        assert_eq!(na.to_string(), "<tel:+1-201-555-0123>");
    }

    #[test]
    fn errors() {
        for bad in [
            "<sip:a@b",
            "\"unterminated <sip:a@b>",
            "a@b c <sip:x>",
            "\"x\" sip:a@b",
            "<sip:a@b>junk",
            "sip:a@b?subject=x",
        ] {
            let src = ByteString::from(bad);
            assert!(
                NameAddr::parse_with_params(&src, &src, Element::NameAddr).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn display_quoting() {
        let uri = Uri::parse("sip:a@b").unwrap();
        assert_eq!(
            NameAddr::new(uri.clone()).with_display("Alice").to_string(),
            "Alice <sip:a@b>"
        );
        assert_eq!(
            NameAddr::new(uri).with_display("Alice, \"A\"").to_string(),
            r#""Alice, \"A\"" <sip:a@b>"#
        );
    }
}
