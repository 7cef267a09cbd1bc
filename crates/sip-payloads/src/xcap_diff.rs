//! XCAP diff documents (RFC 5874, `application/xcap-diff+xml`), MW-PAY-09: what the
//! addressbook's xcap-diff subscription receives.

use crate::document::Document;
use crate::error::Result;
use crate::xml::{Attribute, Cx, Element, Take, extend};

/// The xcap-diff namespace.
pub const NAMESPACE: &str = "urn:ietf:params:xml:ns:xcap-diff";

/// An `<xcap-diff>` document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct XcapDiff {
    /// `xcap-root`.
    pub xcap_root: String,
    /// `<document>` changes.
    pub documents: Vec<DocumentDiff>,
    /// `<element>` changes.
    pub elements: Vec<ElementDiff>,
    /// `<attribute>` changes.
    pub attributes: Vec<AttributeDiff>,
    /// Unknown child elements.
    pub extensions: Vec<Element>,
    /// Unknown attributes.
    pub other_attributes: Vec<Attribute>,
}

/// A changed document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DocumentDiff {
    /// `sel`: the document selector.
    pub sel: String,
    /// `new-etag` (absent when the document was removed).
    pub new_etag: Option<String>,
    /// `previous-etag` (absent when the document was created).
    pub previous_etag: Option<String>,
    /// `<body-not-changed/>`.
    pub body_not_changed: bool,
    /// Patch operations (RFC 5261 `add`, `replace`, `remove`), kept as elements.
    pub patch: Vec<Element>,
}

/// A changed element.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ElementDiff {
    /// `sel`.
    pub sel: String,
    /// `exists` (`false`: the element was removed).
    pub exists: Option<bool>,
    /// The element's new content.
    pub content: Vec<Element>,
}

/// A changed attribute.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct AttributeDiff {
    /// `sel`.
    pub sel: String,
    /// `exists`.
    pub exists: Option<bool>,
    /// The new value.
    pub value: Option<String>,
}

impl Document for XcapDiff {
    const DOCUMENT: &'static str = "xcap-diff";
    const CONTENT_TYPE: &'static str = "application/xcap-diff+xml";

    fn from_element(root: Element) -> Result<Self> {
        let cx = Cx::check_root(Self::DOCUMENT, &root, NAMESPACE, "xcap-diff")?;
        let mut t = Take::new(cx, root);
        let xcap_root = t.req_attr("xcap-root")?;
        let mut documents = Vec::new();
        for (i, e) in t.all(NAMESPACE, "document").into_iter().enumerate() {
            let mut d = Take::new(t.cx.child("document", Some(i)), e);
            let sel = d.req_attr("sel")?;
            let new_etag = d.attr("new-etag");
            let previous_etag = d.attr("previous-etag");
            let body_not_changed = d.one(NAMESPACE, "body-not-changed")?.is_some();
            let (patch, _) = d.rest();
            documents.push(DocumentDiff {
                sel,
                new_etag,
                previous_etag,
                body_not_changed,
                patch,
            });
        }
        let mut elements = Vec::new();
        for (i, e) in t.all(NAMESPACE, "element").into_iter().enumerate() {
            let mut d = Take::new(t.cx.child("element", Some(i)), e);
            let sel = d.req_attr("sel")?;
            let exists = d.attr_bool("exists")?;
            let (content, _) = d.rest();
            elements.push(ElementDiff {
                sel,
                exists,
                content,
            });
        }
        let mut attributes = Vec::new();
        for (i, e) in t.all(NAMESPACE, "attribute").into_iter().enumerate() {
            let mut d = Take::new(t.cx.child("attribute", Some(i)), e);
            let sel = d.req_attr("sel")?;
            let exists = d.attr_bool("exists")?;
            let value = Some(d.own_text().to_owned()).filter(|v| !v.is_empty());
            attributes.push(AttributeDiff { sel, exists, value });
        }
        let (extensions, other_attributes) = t.rest();
        Ok(XcapDiff {
            xcap_root,
            documents,
            elements,
            attributes,
            extensions,
            other_attributes,
        })
    }

    fn to_element(&self) -> Element {
        let mut el =
            Element::new(NAMESPACE, "xcap-diff").with_attribute("xcap-root", &self.xcap_root);
        for d in &self.documents {
            let mut de = Element::new(NAMESPACE, "document").with_attribute("sel", &d.sel);
            de.push_attr("new-etag", d.new_etag.as_ref());
            de.push_attr("previous-etag", d.previous_etag.as_ref());
            if d.body_not_changed {
                de.push(Element::new(NAMESPACE, "body-not-changed"));
            }
            for p in &d.patch {
                de.push(p.clone());
            }
            el.push(de);
        }
        for d in &self.elements {
            let mut de = Element::new(NAMESPACE, "element").with_attribute("sel", &d.sel);
            de.push_attr("exists", d.exists.map(|b| if b { "1" } else { "0" }));
            for c in &d.content {
                de.push(c.clone());
            }
            el.push(de);
        }
        for d in &self.attributes {
            let mut de = Element::new(NAMESPACE, "attribute").with_attribute("sel", &d.sel);
            de.push_attr("exists", d.exists.map(|b| if b { "1" } else { "0" }));
            if let Some(v) = &d.value {
                de = de.with_text(v);
            }
            el.push(de);
        }
        extend(&mut el, &self.extensions, &self.other_attributes);
        el
    }
}
