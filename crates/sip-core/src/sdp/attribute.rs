//! `a=` lines: [`SdpAttribute`], [`SdpAttributeList`] and the [`TypedAttribute`] trait.

use std::fmt;
use std::ops::Deref;

use super::error::SdpAttributeError;

/// One `a=` line: `a=<name>` (a flag, `value` is `None`) or `a=<name>:<value>`.
///
/// `a=name:` (a colon and nothing after it) is kept apart from `a=name` as `Some("")`, so that
/// both print back the way they came.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SdpAttribute {
    /// The attribute name, the part before the first colon.
    pub name: String,
    /// The value, everything after the first colon; `None` for a flag attribute.
    pub value: Option<String>,
}

impl SdpAttribute {
    /// An attribute with a value: `a=<name>:<value>`.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        SdpAttribute {
            name: name.into(),
            value: Some(value.into()),
        }
    }

    /// A flag attribute without a value: `a=<name>`.
    pub fn flag(name: impl Into<String>) -> Self {
        SdpAttribute {
            name: name.into(),
            value: None,
        }
    }

    /// The value, with a flag attribute giving `""` (as the seed API does).
    pub fn value_str(&self) -> &str {
        self.value.as_deref().unwrap_or("")
    }

    /// Parses the value as the typed attribute `T`, checking the name first.
    pub fn parse_as<T: TypedAttribute>(&self) -> Result<T, SdpAttributeError> {
        T::from_attribute(self)
    }
}

impl fmt::Display for SdpAttribute {
    /// Writes the attribute as it appears after `a=`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(value) => write!(f, "{}:{}", self.name, value),
            None => f.write_str(&self.name),
        }
    }
}

/// An attribute whose value has a structure that this module parses and builds, such as
/// [`RtpMap`](super::RtpMap) for `a=rtpmap`.
///
/// ```
/// use sip_core::sdp::{RtpMap, SdpAttribute, TypedAttribute};
///
/// let attr = SdpAttribute::new("rtpmap", "0 PCMU/8000");
/// let map: RtpMap = attr.parse_as().unwrap();
/// assert_eq!(map.encoding, "PCMU");
/// assert_eq!(map.to_attribute(), attr);
/// ```
pub trait TypedAttribute: Sized {
    /// The attribute name (`rtpmap`, `crypto`, ...).
    const NAME: &'static str;

    /// Parses an attribute value (the text after `a=<name>:`).
    fn parse_value(value: &str) -> Result<Self, SdpAttributeError>;

    /// Builds the attribute value (the text after `a=<name>:`).
    fn to_value(&self) -> String;

    /// Builds the whole attribute.
    fn to_attribute(&self) -> SdpAttribute {
        SdpAttribute::new(Self::NAME, self.to_value())
    }

    /// Parses an attribute, checking that its name is [`NAME`](Self::NAME) and that it has a
    /// value.
    fn from_attribute(attribute: &SdpAttribute) -> Result<Self, SdpAttributeError> {
        if attribute.name != Self::NAME {
            return Err(SdpAttributeError::new(Self::NAME, "wrong attribute name"));
        }
        match &attribute.value {
            Some(value) => Self::parse_value(value),
            None => Err(SdpAttributeError::new(Self::NAME, "missing value")),
        }
    }
}

/// The `a=` lines of a session or of a media section, in order.
///
/// It dereferences to a slice of [`SdpAttribute`] for indexing and iteration, and adds the
/// seed's look-ups by name ([`getall`](Self::getall), [`getfirst`](Self::getfirst),
/// [`contains`](Self::contains)). Names are compared exactly (SDP is case-sensitive).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SdpAttributeList(Vec<SdpAttribute>);

impl SdpAttributeList {
    /// An empty list.
    pub fn new() -> Self {
        SdpAttributeList(Vec::new())
    }

    /// Appends an attribute.
    pub fn push(&mut self, attribute: SdpAttribute) {
        self.0.push(attribute);
    }

    /// Inserts an attribute at `index` (appends when `index` is past the end).
    pub fn insert(&mut self, index: usize, attribute: SdpAttribute) {
        let index = index.min(self.0.len());
        self.0.insert(index, attribute);
    }

    /// Removes and returns the attribute at `index`, or `None` when out of range.
    pub fn remove(&mut self, index: usize) -> Option<SdpAttribute> {
        (index < self.0.len()).then(|| self.0.remove(index))
    }

    /// Removes every attribute called `name` and returns how many were removed.
    pub fn remove_all(&mut self, name: &str) -> usize {
        let before = self.0.len();
        self.0.retain(|a| a.name != name);
        before - self.0.len()
    }

    /// Keeps only the attributes for which `keep` returns true.
    pub fn retain(&mut self, keep: impl FnMut(&SdpAttribute) -> bool) {
        self.0.retain(keep);
    }

    /// Replaces the first attribute called `name` by `attribute` and removes the others with
    /// that name; appends `attribute` when there was none.
    pub fn set(&mut self, name: &str, attribute: SdpAttribute) {
        match self.0.iter().position(|a| a.name == name) {
            Some(first) => {
                self.0[first] = attribute;
                let mut index = 0;
                self.0.retain(|a| {
                    let keep = index == first || a.name != name;
                    index += 1;
                    keep
                });
            }
            None => self.0.push(attribute),
        }
    }

    /// Mutable iteration over the attributes.
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, SdpAttribute> {
        self.0.iter_mut()
    }

    /// The attributes called `name`, in order.
    pub fn named<'a, 'n>(
        &'a self,
        name: &'n str,
    ) -> impl Iterator<Item = &'a SdpAttribute> + use<'a, 'n> {
        self.0.iter().filter(move |a| a.name == name)
    }

    /// The values of all attributes called `name`, in order (a flag gives `""`).
    pub fn getall(&self, name: &str) -> Vec<&str> {
        self.named(name).map(SdpAttribute::value_str).collect()
    }

    /// The value of the first attribute called `name` (a flag gives `""`), or `None`.
    pub fn getfirst(&self, name: &str) -> Option<&str> {
        self.named(name).next().map(SdpAttribute::value_str)
    }

    /// Whether an attribute called `name` is present (the seed's `'ice-pwd' in attributes`).
    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|a| a.name == name)
    }

    /// Whether an attribute equal to `attribute` (name and value) is present.
    pub fn contains_attribute(&self, attribute: &SdpAttribute) -> bool {
        self.0.contains(attribute)
    }

    /// Every attribute called `T::NAME`, parsed as `T`.
    pub fn typed<'a, T: TypedAttribute + 'a>(
        &'a self,
    ) -> impl Iterator<Item = Result<T, SdpAttributeError>> + 'a {
        self.named(T::NAME).map(T::from_attribute)
    }

    /// The first attribute called `T::NAME`, parsed as `T`; `Ok(None)` when there is none.
    pub fn typed_first<T: TypedAttribute>(&self) -> Result<Option<T>, SdpAttributeError> {
        self.named(T::NAME)
            .next()
            .map(T::from_attribute)
            .transpose()
    }

    /// The attributes as a vector.
    pub fn into_vec(self) -> Vec<SdpAttribute> {
        self.0
    }
}

impl Deref for SdpAttributeList {
    type Target = [SdpAttribute];

    fn deref(&self) -> &[SdpAttribute] {
        &self.0
    }
}

impl From<Vec<SdpAttribute>> for SdpAttributeList {
    fn from(attributes: Vec<SdpAttribute>) -> Self {
        SdpAttributeList(attributes)
    }
}

impl FromIterator<SdpAttribute> for SdpAttributeList {
    fn from_iter<I: IntoIterator<Item = SdpAttribute>>(iter: I) -> Self {
        SdpAttributeList(iter.into_iter().collect())
    }
}

impl Extend<SdpAttribute> for SdpAttributeList {
    fn extend<I: IntoIterator<Item = SdpAttribute>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl IntoIterator for SdpAttributeList {
    type Item = SdpAttribute;
    type IntoIter = std::vec::IntoIter<SdpAttribute>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a SdpAttributeList {
    type Item = &'a SdpAttribute;
    type IntoIter = std::slice::Iter<'a, SdpAttribute>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> SdpAttributeList {
        vec![
            SdpAttribute::new("rtpmap", "0 PCMU/8000"),
            SdpAttribute::flag("sendrecv"),
            SdpAttribute::new("rtpmap", "8 PCMA/8000"),
            SdpAttribute::new("empty", ""),
        ]
        .into()
    }

    #[test]
    fn display_flag_and_value() {
        assert_eq!(SdpAttribute::flag("sendrecv").to_string(), "sendrecv");
        assert_eq!(SdpAttribute::new("ptime", "20").to_string(), "ptime:20");
        assert_eq!(SdpAttribute::new("x", "").to_string(), "x:");
    }

    #[test]
    fn getall_getfirst_contains() {
        let l = list();
        assert_eq!(l.getall("rtpmap"), vec!["0 PCMU/8000", "8 PCMA/8000"]);
        assert_eq!(l.getfirst("rtpmap"), Some("0 PCMU/8000"));
        assert_eq!(l.getfirst("sendrecv"), Some(""));
        assert_eq!(l.getfirst("ptime"), None);
        assert!(l.getall("ptime").is_empty());
        assert!(l.contains("sendrecv"));
        assert!(!l.contains("SENDRECV"));
        assert!(l.contains_attribute(&SdpAttribute::flag("sendrecv")));
        assert!(!l.contains_attribute(&SdpAttribute::new("sendrecv", "")));
        assert!(l.contains_attribute(&SdpAttribute::new("empty", "")));
        assert_eq!(l.len(), 4);
        assert_eq!(l[1].name, "sendrecv");
    }

    #[test]
    fn push_insert_remove_set() {
        let mut l = list();
        l.push(SdpAttribute::new("ptime", "20"));
        assert_eq!(l.len(), 5);
        l.insert(0, SdpAttribute::flag("first"));
        l.insert(100, SdpAttribute::flag("last"));
        assert_eq!(l[0].name, "first");
        assert_eq!(l[6].name, "last");
        assert_eq!(l.remove(0).unwrap().name, "first");
        assert!(l.remove(99).is_none());
        assert_eq!(l.remove_all("rtpmap"), 2);
        assert!(!l.contains("rtpmap"));
        l.push(SdpAttribute::new("ptime", "30"));
        l.set("ptime", SdpAttribute::new("ptime", "40"));
        assert_eq!(l.getall("ptime"), vec!["40"]);
        l.set("maxptime", SdpAttribute::new("maxptime", "60"));
        assert_eq!(l.getfirst("maxptime"), Some("60"));
        l.retain(|a| a.name != "last");
        assert!(!l.contains("last"));
        for a in l.iter_mut() {
            a.name.make_ascii_uppercase();
        }
        assert!(l.contains("PTIME"));
        let names: Vec<_> = (&l).into_iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, vec!["SENDRECV", "EMPTY", "PTIME", "MAXPTIME"]);
        let mut l2: SdpAttributeList = l.clone().into_iter().collect();
        l2.extend([SdpAttribute::flag("x")]);
        assert_eq!(l2.into_vec().len(), 5);
    }
}
