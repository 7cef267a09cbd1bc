//! XCAP server documents (RFC 4825): capabilities (`application/xcap-caps+xml`) and error
//! reports (`application/xcap-error+xml`).

use crate::document::Document;
use crate::error::{PayloadError, Result};
use crate::xml::{Cx, Element, Take};

/// The xcap-caps namespace.
pub const CAPS_NAMESPACE: &str = "urn:ietf:params:xml:ns:xcap-caps";
/// The xcap-error namespace.
pub const ERROR_NAMESPACE: &str = "urn:ietf:params:xml:ns:xcap-error";

/// An `<xcap-caps>` document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct XcapCaps {
    /// `<auids>`: application usages the server supports.
    pub auids: Vec<String>,
    /// `<extensions>`.
    pub extensions: Vec<String>,
    /// `<namespaces>`.
    pub namespaces: Vec<String>,
    /// Unknown child elements.
    pub other: Vec<Element>,
}

fn list(t: &mut Take, name: &'static str, item: &str) -> Result<Vec<String>> {
    Ok(match t.one(CAPS_NAMESPACE, name)? {
        None => Vec::new(),
        Some(e) => e
            .elements()
            .filter(|c| c.is(CAPS_NAMESPACE, item))
            .map(|c| c.text().trim().to_owned())
            .collect(),
    })
}

impl Document for XcapCaps {
    const DOCUMENT: &'static str = "xcap-caps";
    const CONTENT_TYPE: &'static str = "application/xcap-caps+xml";

    fn from_element(root: Element) -> Result<Self> {
        let cx = Cx::check_root(Self::DOCUMENT, &root, CAPS_NAMESPACE, "xcap-caps")?;
        let mut t = Take::new(cx, root);
        if !t.has(CAPS_NAMESPACE, "auids") {
            return Err(PayloadError::MissingElement {
                document: Self::DOCUMENT,
                path: t.cx.path.clone(),
                element: "auids",
            });
        }
        let auids = list(&mut t, "auids", "auid")?;
        let extensions = list(&mut t, "extensions", "extension")?;
        let namespaces = list(&mut t, "namespaces", "namespace")?;
        let (other, _) = t.rest();
        Ok(XcapCaps {
            auids,
            extensions,
            namespaces,
            other,
        })
    }

    fn to_element(&self) -> Element {
        let mut el = Element::new(CAPS_NAMESPACE, "xcap-caps");
        for (name, item, values, always) in [
            ("auids", "auid", &self.auids, true),
            ("extensions", "extension", &self.extensions, false),
            ("namespaces", "namespace", &self.namespaces, true),
        ] {
            if values.is_empty() && !always {
                continue;
            }
            let mut le = Element::new(CAPS_NAMESPACE, name);
            for v in values {
                le.push(Element::new(CAPS_NAMESPACE, item).with_text(v));
            }
            el.push(le);
        }
        for x in &self.other {
            el.push(x.clone());
        }
        el
    }
}

/// An `<xcap-error>` document: one error condition.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct XcapError {
    /// The condition.
    pub condition: ErrorCondition,
}

/// An XCAP error condition (RFC 4825 §11).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ErrorCondition {
    /// The element name: `not-well-formed`, `not-xml-frag`, `no-parent`,
    /// `schema-validation-error`, `not-xml-att-value`, `cannot-insert`, `cannot-delete`,
    /// `uniqueness-failure`, `constraint-failure`, `extension`, `not-utf-8`, or another.
    pub name: String,
    /// `phrase` attribute.
    pub phrase: Option<String>,
    /// `<ancestor>` of `no-parent`.
    pub ancestor: Option<String>,
    /// `<exists field=…>` entries of `uniqueness-failure` with their `<alt-value>`s.
    pub exists: Vec<(String, Vec<String>)>,
    /// Content of other conditions (`extension`).
    pub content: Vec<Element>,
}

impl Document for XcapError {
    const DOCUMENT: &'static str = "xcap-error";
    const CONTENT_TYPE: &'static str = "application/xcap-error+xml";

    fn from_element(root: Element) -> Result<Self> {
        let cx = Cx::check_root(Self::DOCUMENT, &root, ERROR_NAMESPACE, "xcap-error")?;
        let t = Take::new(cx.clone(), root);
        let (children, _) = t.rest();
        let mut it = children.into_iter();
        let Some(c) = it.next() else {
            return Err(PayloadError::MissingElement {
                document: Self::DOCUMENT,
                path: cx.path,
                element: "error-element",
            });
        };
        if it.next().is_some() {
            return Err(PayloadError::DuplicateElement {
                document: Self::DOCUMENT,
                path: cx.path,
                element: "error-element",
            });
        }
        if c.namespace != ERROR_NAMESPACE {
            return Err(cx.invalid(&c.name, "an xcap-error condition element"));
        }
        let name = c.name.clone();
        let mut ct = Take::new(cx.child(&name, None), c);
        let phrase = ct.attr("phrase");
        let mut condition = ErrorCondition {
            name: name.clone(),
            phrase,
            ..Default::default()
        };
        if name == "no-parent" {
            condition.ancestor = ct
                .text_of(ERROR_NAMESPACE, "ancestor")?
                .map(|s| s.trim().to_owned());
        } else if name == "uniqueness-failure" {
            for (i, e) in ct.all(ERROR_NAMESPACE, "exists").into_iter().enumerate() {
                let mut et = Take::new(ct.cx.child("exists", Some(i)), e);
                let field = et.req_attr("field")?;
                let alts = et
                    .all(ERROR_NAMESPACE, "alt-value")
                    .into_iter()
                    .map(|a| a.text().trim().to_owned())
                    .collect();
                condition.exists.push((field, alts));
            }
        }
        let (content, _) = ct.rest();
        condition.content = content;
        Ok(XcapError { condition })
    }

    fn to_element(&self) -> Element {
        let c = &self.condition;
        let mut ce = Element::new(ERROR_NAMESPACE, c.name.as_str());
        ce.push_attr("phrase", c.phrase.as_ref());
        ce.push_text_child(ERROR_NAMESPACE, "ancestor", c.ancestor.as_ref());
        for (field, alts) in &c.exists {
            let mut ee = Element::new(ERROR_NAMESPACE, "exists").with_attribute("field", field);
            for a in alts {
                ee.push(Element::new(ERROR_NAMESPACE, "alt-value").with_text(a));
            }
            ce.push(ee);
        }
        for x in &c.content {
            ce.push(x.clone());
        }
        Element::new(ERROR_NAMESPACE, "xcap-error").with_child(ce)
    }
}
