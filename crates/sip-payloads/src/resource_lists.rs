//! Resource lists and RLS services (RFC 4826): `application/resource-lists+xml` (the
//! addressbook's buddy lists stored over XCAP, MW-PAY-11) and `application/rls-services+xml`
//! (which lists a resource list server expands for which event packages).

use crate::document::Document;
use crate::error::Result;
use crate::xml::{Attribute, Cx, Element, Take, extend};

/// The resource-lists namespace.
pub const NAMESPACE: &str = "urn:ietf:params:xml:ns:resource-lists";
/// The rls-services namespace.
pub const RLS_NAMESPACE: &str = "urn:ietf:params:xml:ns:rls-services";

/// A `<resource-lists>` document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ResourceLists {
    /// Top-level `<list>`s.
    pub lists: Vec<List>,
    /// Unknown child elements.
    pub extensions: Vec<Element>,
    /// Unknown attributes.
    pub attributes: Vec<Attribute>,
}

/// A `<list>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct List {
    /// `name` attribute (unique among siblings).
    pub name: Option<String>,
    /// `<display-name>`.
    pub display_name: Option<DisplayName>,
    /// Entries, external lists, references and sublists, in document order.
    pub items: Vec<ListItem>,
    /// Unknown child elements.
    pub extensions: Vec<Element>,
    /// Unknown attributes.
    pub attributes: Vec<Attribute>,
}

impl List {
    /// A named, empty list.
    pub fn new(name: impl Into<String>) -> Self {
        List {
            name: Some(name.into()),
            ..Default::default()
        }
    }
}

/// `<display-name xml:lang=…>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DisplayName {
    /// The name.
    pub text: String,
    /// `xml:lang`.
    pub lang: Option<String>,
}

impl DisplayName {
    /// A display name without language.
    pub fn new(text: impl Into<String>) -> Self {
        DisplayName {
            text: text.into(),
            lang: None,
        }
    }
}

/// A child of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ListItem {
    /// `<entry uri=…>`.
    Entry(Entry),
    /// `<entry-ref ref=…>`: an entry elsewhere on the XCAP server.
    EntryRef {
        /// `ref`: relative XCAP URI of the entry.
        reference: String,
        /// `<display-name>`.
        display_name: Option<DisplayName>,
    },
    /// `<external anchor=…>`: a list elsewhere.
    External {
        /// `anchor`: absolute HTTP URI of the list.
        anchor: String,
        /// `<display-name>`.
        display_name: Option<DisplayName>,
    },
    /// A nested `<list>`.
    List(List),
}

/// An `<entry>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Entry {
    /// `uri`.
    pub uri: String,
    /// `<display-name>`.
    pub display_name: Option<DisplayName>,
    /// Unknown child elements.
    pub extensions: Vec<Element>,
    /// Unknown attributes.
    pub attributes: Vec<Attribute>,
}

impl Entry {
    /// An entry with a URI and an optional display name.
    pub fn new(uri: impl Into<String>, display_name: Option<&str>) -> Self {
        Entry {
            uri: uri.into(),
            display_name: display_name.map(DisplayName::new),
            ..Default::default()
        }
    }
}

fn read_display_name(t: &mut Take) -> Result<Option<DisplayName>> {
    Ok(t.one(NAMESPACE, "display-name")?.map(|e| {
        let n = crate::xml::Note::from_element(e);
        DisplayName {
            text: n.text,
            lang: n.lang,
        }
    }))
}

fn write_display_name(el: &mut Element, d: &Option<DisplayName>) {
    if let Some(d) = d {
        let note = crate::xml::Note {
            text: d.text.clone(),
            lang: d.lang.clone(),
        };
        el.push(note.to_element(NAMESPACE, "display-name"));
    }
}

impl List {
    /// Reads a list whose own element may be in another namespace (rls-services).
    fn read(cx: Cx, e: Element) -> Result<List> {
        let mut t = Take::new(cx, e);
        let name = t.attr("name");
        let display_name = read_display_name(&mut t)?;
        let cx = t.cx.clone();
        let (children, attributes) = t.rest();
        let mut items = Vec::new();
        let mut extensions = Vec::new();
        let mut counts = [0usize; 4];
        for c in children {
            if c.namespace != NAMESPACE {
                extensions.push(c);
                continue;
            }
            match c.name.as_str() {
                "entry" => {
                    counts[0] += 1;
                    let mut et = Take::new(cx.child("entry", Some(counts[0] - 1)), c);
                    let uri = et.req_attr("uri")?;
                    let display_name = read_display_name(&mut et)?;
                    let (extensions, attributes) = et.rest();
                    items.push(ListItem::Entry(Entry {
                        uri,
                        display_name,
                        extensions,
                        attributes,
                    }));
                }
                "entry-ref" => {
                    counts[1] += 1;
                    let mut et = Take::new(cx.child("entry-ref", Some(counts[1] - 1)), c);
                    let reference = et.req_attr("ref")?;
                    let display_name = read_display_name(&mut et)?;
                    items.push(ListItem::EntryRef {
                        reference,
                        display_name,
                    });
                }
                "external" => {
                    counts[2] += 1;
                    let mut et = Take::new(cx.child("external", Some(counts[2] - 1)), c);
                    let anchor = et.req_attr("anchor")?;
                    let display_name = read_display_name(&mut et)?;
                    items.push(ListItem::External {
                        anchor,
                        display_name,
                    });
                }
                "list" => {
                    counts[3] += 1;
                    items.push(ListItem::List(List::read(
                        cx.child("list", Some(counts[3] - 1)),
                        c,
                    )?));
                }
                _ => extensions.push(c),
            }
        }
        Ok(List {
            name,
            display_name,
            items,
            extensions,
            attributes,
        })
    }

    fn write(&self, namespace: &str) -> Element {
        let mut el = Element::new(namespace, "list");
        el.push_attr("name", self.name.as_ref());
        el.attributes.extend(self.attributes.iter().cloned());
        write_display_name(&mut el, &self.display_name);
        for item in &self.items {
            match item {
                ListItem::Entry(e) => {
                    let mut ee = Element::new(NAMESPACE, "entry").with_attribute("uri", &e.uri);
                    ee.attributes.extend(e.attributes.iter().cloned());
                    write_display_name(&mut ee, &e.display_name);
                    for x in &e.extensions {
                        ee.push(x.clone());
                    }
                    el.push(ee);
                }
                ListItem::EntryRef {
                    reference,
                    display_name,
                } => {
                    let mut ee =
                        Element::new(NAMESPACE, "entry-ref").with_attribute("ref", reference);
                    write_display_name(&mut ee, display_name);
                    el.push(ee);
                }
                ListItem::External {
                    anchor,
                    display_name,
                } => {
                    let mut ee =
                        Element::new(NAMESPACE, "external").with_attribute("anchor", anchor);
                    write_display_name(&mut ee, display_name);
                    el.push(ee);
                }
                ListItem::List(l) => el.push(l.write(NAMESPACE)),
            }
        }
        for x in &self.extensions {
            el.push(x.clone());
        }
        el
    }

    /// Every entry of this list and its nested lists, depth first.
    pub fn entries(&self) -> Vec<&Entry> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a Entry>) {
        for item in &self.items {
            match item {
                ListItem::Entry(e) => out.push(e),
                ListItem::List(l) => l.collect(out),
                _ => {}
            }
        }
    }
}

impl Document for ResourceLists {
    const DOCUMENT: &'static str = "resource-lists";
    const CONTENT_TYPE: &'static str = "application/resource-lists+xml";

    fn from_element(root: Element) -> Result<Self> {
        let cx = Cx::check_root(Self::DOCUMENT, &root, NAMESPACE, "resource-lists")?;
        let mut t = Take::new(cx, root);
        let lists = t
            .all(NAMESPACE, "list")
            .into_iter()
            .enumerate()
            .map(|(i, e)| List::read(t.cx.child("list", Some(i)), e))
            .collect::<Result<_>>()?;
        let (extensions, attributes) = t.rest();
        Ok(ResourceLists {
            lists,
            extensions,
            attributes,
        })
    }

    fn to_element(&self) -> Element {
        let mut el = Element::new(NAMESPACE, "resource-lists");
        for l in &self.lists {
            el.push(l.write(NAMESPACE));
        }
        extend(&mut el, &self.extensions, &self.attributes);
        el
    }
}

/// An `<rls-services>` document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RlsServices {
    /// `<service>`s.
    pub services: Vec<Service>,
    /// Unknown child elements.
    pub extensions: Vec<Element>,
}

/// A `<service uri=…>`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Service {
    /// `uri`: the resource list URI subscribers use.
    pub uri: String,
    /// Where the list is.
    pub list: ServiceList,
    /// `<packages>`: the event packages offered (empty: any).
    pub packages: Vec<String>,
    /// Unknown child elements.
    pub extensions: Vec<Element>,
}

/// A service's list: by reference or inline.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServiceList {
    /// `<resource-list>`: an HTTP URI of a list on the XCAP server.
    ResourceList(String),
    /// `<list>` inline.
    List(List),
}

impl Document for RlsServices {
    const DOCUMENT: &'static str = "rls-services";
    const CONTENT_TYPE: &'static str = "application/rls-services+xml";

    fn from_element(root: Element) -> Result<Self> {
        let cx = Cx::check_root(Self::DOCUMENT, &root, RLS_NAMESPACE, "rls-services")?;
        let mut t = Take::new(cx, root);
        let mut services = Vec::new();
        for (i, e) in t.all(RLS_NAMESPACE, "service").into_iter().enumerate() {
            let mut s = Take::new(t.cx.child("service", Some(i)), e);
            let uri = s.req_attr("uri")?;
            let list = match (
                s.one(RLS_NAMESPACE, "resource-list")?,
                s.one(RLS_NAMESPACE, "list")?,
            ) {
                (Some(r), None) => ServiceList::ResourceList(r.text().trim().to_owned()),
                (None, Some(l)) => ServiceList::List(List::read(s.cx.child("list", None), l)?),
                (Some(_), Some(_)) => {
                    return Err(crate::PayloadError::DuplicateElement {
                        document: Self::DOCUMENT,
                        path: s.cx.path.clone(),
                        element: "list",
                    });
                }
                (None, None) => {
                    return Err(crate::PayloadError::MissingElement {
                        document: Self::DOCUMENT,
                        path: s.cx.path.clone(),
                        element: "resource-list",
                    });
                }
            };
            let packages = match s.one(RLS_NAMESPACE, "packages")? {
                None => Vec::new(),
                Some(p) => p
                    .elements()
                    .filter(|e| e.is(RLS_NAMESPACE, "package"))
                    .map(|e| e.text().trim().to_owned())
                    .collect(),
            };
            let (extensions, _) = s.rest();
            services.push(Service {
                uri,
                list,
                packages,
                extensions,
            });
        }
        let (extensions, _) = t.rest();
        Ok(RlsServices {
            services,
            extensions,
        })
    }

    fn to_element(&self) -> Element {
        let mut el = Element::new(RLS_NAMESPACE, "rls-services");
        for s in &self.services {
            let mut se = Element::new(RLS_NAMESPACE, "service").with_attribute("uri", &s.uri);
            match &s.list {
                ServiceList::ResourceList(r) => {
                    se.push(Element::new(RLS_NAMESPACE, "resource-list").with_text(r))
                }
                ServiceList::List(l) => se.push(l.write(RLS_NAMESPACE)),
            }
            if !s.packages.is_empty() {
                let mut pe = Element::new(RLS_NAMESPACE, "packages");
                for p in &s.packages {
                    pe.push(Element::new(RLS_NAMESPACE, "package").with_text(p));
                }
                se.push(pe);
            }
            for x in &s.extensions {
                se.push(x.clone());
            }
            el.push(se);
        }
        for x in &self.extensions {
            el.push(x.clone());
        }
        el
    }
}
