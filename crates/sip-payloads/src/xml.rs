//! The small XML layer every document model is built on.
//!
//! [`Element::parse`] reads a body with quick-xml into a generic tree of [`Element`]s with
//! resolved namespaces, under [`Limits`]: depth, element count, attribute count and size, text
//! size and document size are bounded, a `<!DOCTYPE>` is rejected outright and only the five
//! predefined entities and character references are accepted, so no entity expansion can ever
//! happen. [`Element::to_xml`] writes a tree back, declaring every namespace once on the root
//! with stable prefixes (see [`prefix_for`]).
//!
//! The typed models keep what they do not understand as [`Element`]s and [`Attribute`]s, so
//! extensions survive a round trip.

use crate::error::{Limit, PayloadError, Result};
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use std::fmt::Write as _;

/// The namespace of the `xml:` prefix (`xml:lang`).
pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Bounds on what a parser accepts; the defaults suit SIP bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest body in bytes (default 4 MiB).
    pub max_document_size: usize,
    /// Deepest element nesting (default 32).
    pub max_depth: usize,
    /// Most elements in one document (default 200 000).
    pub max_elements: usize,
    /// Most attributes on one element, namespace declarations included (default 64).
    pub max_attributes: usize,
    /// Longest attribute value in bytes (default 16 KiB).
    pub max_attribute_size: usize,
    /// Longest text node in bytes (default 256 KiB).
    pub max_text_size: usize,
    /// Most namespace declarations on one element (default 32).
    pub max_namespace_declarations: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_document_size: 4 * 1024 * 1024,
            max_depth: 32,
            max_elements: 200_000,
            max_attributes: 64,
            max_attribute_size: 16 * 1024,
            max_text_size: 256 * 1024,
            max_namespace_declarations: 32,
        }
    }
}

/// An attribute with its resolved namespace (empty for unprefixed attributes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Attribute {
    /// Namespace URI, or `""`.
    pub namespace: String,
    /// Local name.
    pub name: String,
    /// Value, unescaped.
    pub value: String,
}

impl Attribute {
    /// An attribute without a namespace.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Attribute {
            namespace: String::new(),
            name: name.into(),
            value: value.into(),
        }
    }

    /// A namespaced attribute.
    pub fn namespaced(
        namespace: impl Into<String>,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        Attribute {
            namespace: namespace.into(),
            name: name.into(),
            value: value.into(),
        }
    }
}

/// A child of an element: an element or a run of text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Node {
    /// A child element.
    Element(Element),
    /// Character data (entities and CDATA resolved).
    Text(String),
}

/// An XML element with its resolved namespace, attributes in document order (namespace
/// declarations are not attributes here) and children in document order.
///
/// Whitespace-only text between child elements is dropped when parsing; text in leaf elements
/// is kept exactly.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Element {
    /// Namespace URI, or `""` for an element in no namespace.
    pub namespace: String,
    /// Local name.
    pub name: String,
    /// Attributes.
    pub attributes: Vec<Attribute>,
    /// Children.
    pub children: Vec<Node>,
}

impl Element {
    /// An empty element.
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Element {
            namespace: namespace.into(),
            name: name.into(),
            attributes: Vec::new(),
            children: Vec::new(),
        }
    }

    /// Whether this element has this namespace and local name.
    pub fn is(&self, namespace: &str, name: &str) -> bool {
        self.name == name && self.namespace == namespace
    }

    /// The value of the unprefixed attribute `name`.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.namespace.is_empty() && a.name == name)
            .map(|a| a.value.as_str())
    }

    /// The concatenated text children.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for child in &self.children {
            if let Node::Text(t) = child {
                out.push_str(t);
            }
        }
        out
    }

    /// Child elements.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|c| match c {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The first child element with this namespace and name.
    pub fn child(&self, namespace: &str, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.is(namespace, name))
    }

    /// Adds an unprefixed attribute (builder style).
    pub fn with_attribute(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.push(Attribute::new(name, value));
        self
    }

    /// Adds a child element (builder style).
    pub fn with_child(mut self, child: Element) -> Self {
        self.children.push(Node::Element(child));
        self
    }

    /// Adds a text child (builder style).
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.children.push(Node::Text(text.into()));
        self
    }

    /// Adds an unprefixed attribute when `value` is `Some`.
    pub(crate) fn push_attr(&mut self, name: &str, value: Option<impl ToString>) {
        if let Some(v) = value {
            self.attributes.push(Attribute::new(name, v.to_string()));
        }
    }

    /// Adds a child element.
    pub(crate) fn push(&mut self, child: Element) {
        self.children.push(Node::Element(child));
    }

    /// Adds `<name>text</name>` in `namespace` when `text` is `Some`.
    pub(crate) fn push_text_child(
        &mut self,
        namespace: &str,
        name: &str,
        text: Option<impl ToString>,
    ) {
        if let Some(t) = text {
            self.push(Element::new(namespace, name).with_text(t.to_string()));
        }
    }

    /// Parses `body` with the default [`Limits`]. `document` names the document type in errors.
    pub fn parse(document: &'static str, body: &[u8]) -> Result<Element> {
        Self::parse_with_limits(document, body, &Limits::default())
    }

    /// Parses `body` under `limits`.
    pub fn parse_with_limits(
        document: &'static str,
        body: &[u8],
        limits: &Limits,
    ) -> Result<Element> {
        if body.len() > limits.max_document_size {
            return Err(PayloadError::Limit {
                document,
                position: 0,
                limit: Limit::DocumentSize,
            });
        }
        let text = std::str::from_utf8(body).map_err(|e| PayloadError::NotUtf8 {
            document,
            position: e.valid_up_to() as u64,
        })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Parser {
            document,
            limits,
            scopes: Vec::new(),
            stack: Vec::new(),
            elements: 0,
        }
        .run(text)
    }

    /// Writes this element as a document with an XML declaration.
    pub fn to_xml(&self) -> String {
        let mut out = String::with_capacity(256);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        write_document(self, &mut out);
        out
    }
}

/// The prefix the writer gives a well-known namespace.
pub fn prefix_for(namespace: &str) -> Option<&'static str> {
    Some(match namespace {
        "urn:ietf:params:xml:ns:pidf" => "pidf",
        "urn:ietf:params:xml:ns:pidf:rpid" => "rpid",
        "urn:ietf:params:xml:ns:pidf:cipid" => "cipid",
        "urn:ietf:params:xml:ns:pidf:caps" => "caps",
        "urn:ietf:params:xml:ns:pidf:data-model" => "dm",
        "urn:ietf:params:xml:ns:dialog-info" => "di",
        "urn:ietf:params:xml:ns:sa-dialog-info" => "sa",
        "urn:ietf:params:xml:ns:conference-info" => "ci",
        "urn:ietf:params:xml:ns:watcherinfo" => "wi",
        "urn:ietf:params:xml:ns:resource-lists" => "rl",
        "urn:ietf:params:xml:ns:rls-services" => "rls",
        "urn:ietf:params:xml:ns:rlmi" => "rlmi",
        "urn:ietf:params:xml:ns:xcap-diff" => "xd",
        "urn:ietf:params:xml:ns:common-policy" => "cp",
        "urn:ietf:params:xml:ns:pres-rules" => "pr",
        "urn:ietf:params:xml:ns:im-iscomposing" => "ic",
        "urn:ietf:params:xml:ns:imdn" => "imdn",
        "urn:ietf:params:xml:ns:xcap-caps" => "xc",
        "urn:ietf:params:xml:ns:xcap-error" => "xe",
        "urn:ietf:params:xml:ns:pidf:geopriv10" => "gp",
        _ => return None,
    })
}

struct Parser<'a> {
    document: &'static str,
    limits: &'a Limits,
    /// In-scope namespace declarations: (prefix, uri); `""` prefix is the default namespace.
    scopes: Vec<(String, String)>,
    /// Open elements with the length of `scopes` before their declarations.
    stack: Vec<(Element, usize)>,
    elements: usize,
}

impl Parser<'_> {
    fn run(mut self, text: &str) -> Result<Element> {
        let mut reader = Reader::from_str(text);
        reader.config_mut().check_end_names = true;
        reader.config_mut().expand_empty_elements = false;
        let mut root: Option<Element> = None;
        loop {
            let event = reader.read_event().map_err(|e| PayloadError::Syntax {
                document: self.document,
                position: reader.error_position(),
                reason: e.to_string(),
            })?;
            let position = reader.buffer_position();
            match event {
                Event::Start(start) => {
                    if root.is_some() {
                        return Err(self.syntax(position, "content after the root element"));
                    }
                    let el = self.open(&start, position)?;
                    let mark = el.1;
                    self.stack.push((el.0, mark));
                }
                Event::Empty(start) => {
                    if root.is_some() {
                        return Err(self.syntax(position, "content after the root element"));
                    }
                    let (el, mark) = self.open(&start, position)?;
                    self.scopes.truncate(mark);
                    self.close(el, &mut root);
                }
                Event::End(_) => {
                    let Some((mut el, mark)) = self.stack.pop() else {
                        return Err(self.syntax(position, "unexpected end tag"));
                    };
                    self.scopes.truncate(mark);
                    if el.children.iter().any(|c| matches!(c, Node::Element(_))) {
                        el.children.retain(|c| match c {
                            Node::Text(t) => !t.trim().is_empty(),
                            Node::Element(_) => true,
                        });
                    }
                    self.close(el, &mut root);
                }
                Event::Text(t) => {
                    let content = t.xml10_content();
                    self.text(&content, position)?;
                }
                Event::CData(c) => {
                    let content = c.xml10_content();
                    if self.stack.is_empty() {
                        return Err(self.syntax(position, "character data outside the root"));
                    }
                    self.text(&content, position)?;
                }
                Event::GeneralRef(r) => {
                    let resolved = if r.is_char_ref() {
                        match r.resolve_char_ref() {
                            Ok(Some(c)) => c,
                            _ => return Err(self.syntax(position, "invalid character reference")),
                        }
                    } else {
                        match r.xml10_content().as_ref() {
                            "amp" => '&',
                            "lt" => '<',
                            "gt" => '>',
                            "quot" => '"',
                            "apos" => '\'',
                            other => {
                                let mut name: String = other.chars().take(32).collect();
                                name.insert(0, '&');
                                name.push(';');
                                return Err(PayloadError::Forbidden {
                                    document: self.document,
                                    position,
                                    what: format!("entity reference {name}"),
                                });
                            }
                        }
                    };
                    let mut buf = [0u8; 4];
                    self.text(resolved.encode_utf8(&mut buf), position)?;
                }
                Event::DocType(_) => {
                    return Err(PayloadError::Forbidden {
                        document: self.document,
                        position,
                        what: "DOCTYPE".to_owned(),
                    });
                }
                Event::Comment(_) | Event::PI(_) | Event::Decl(_) => {}
                Event::Eof => break,
            }
        }
        if !self.stack.is_empty() {
            return Err(self.syntax(reader.buffer_position(), "unclosed element at end of body"));
        }
        root.ok_or_else(|| self.syntax(reader.buffer_position(), "no root element"))
    }

    fn syntax(&self, position: u64, reason: &str) -> PayloadError {
        PayloadError::Syntax {
            document: self.document,
            position,
            reason: reason.to_owned(),
        }
    }

    fn limit(&self, position: u64, limit: Limit) -> PayloadError {
        PayloadError::Limit {
            document: self.document,
            position,
            limit,
        }
    }

    fn text(&mut self, content: &str, position: u64) -> Result<()> {
        let max = self.limits.max_text_size;
        let Some((top, _)) = self.stack.last_mut() else {
            if content.trim().is_empty() {
                return Ok(());
            }
            return Err(self.syntax(position, "text outside the root element"));
        };
        if let Some(Node::Text(last)) = top.children.last_mut() {
            if last.len() + content.len() > max {
                return Err(self.limit(position, Limit::TextSize));
            }
            last.push_str(content);
        } else {
            if content.len() > max {
                return Err(self.limit(position, Limit::TextSize));
            }
            top.children.push(Node::Text(content.to_owned()));
        }
        Ok(())
    }

    fn close(&mut self, el: Element, root: &mut Option<Element>) {
        match self.stack.last_mut() {
            Some((parent, _)) => parent.children.push(Node::Element(el)),
            None => *root = Some(el),
        }
    }

    fn resolve(&self, prefix: &str, position: u64) -> Result<String> {
        if prefix == "xml" {
            return Ok(XML_NS.to_owned());
        }
        for (p, uri) in self.scopes.iter().rev() {
            if p == prefix {
                return Ok(uri.clone());
            }
        }
        if prefix.is_empty() {
            return Ok(String::new());
        }
        Err(PayloadError::UnboundPrefix {
            document: self.document,
            position,
            prefix: prefix.chars().take(64).collect(),
        })
    }

    fn open(&mut self, start: &BytesStart<'_>, position: u64) -> Result<(Element, usize)> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(self.limit(position, Limit::Depth));
        }
        self.elements += 1;
        if self.elements > self.limits.max_elements {
            return Err(self.limit(position, Limit::Elements));
        }
        let mark = self.scopes.len();
        let mut raw_attrs: Vec<(String, String)> = Vec::new();
        let mut declarations = 0usize;
        for attr in start.attributes().with_checks(true) {
            let attr = attr.map_err(|e| PayloadError::Syntax {
                document: self.document,
                position,
                reason: e.to_string(),
            })?;
            if raw_attrs.len() + declarations >= self.limits.max_attributes {
                return Err(self.limit(position, Limit::Attributes));
            }
            if attr.value.len() > self.limits.max_attribute_size {
                return Err(self.limit(position, Limit::AttributeSize));
            }
            let key: &str = attr.key.as_ref();
            if !valid_qname(key) {
                return Err(self.syntax(position, "invalid attribute name"));
            }
            let key = key.to_owned();
            let value = attr
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|e| PayloadError::Syntax {
                    document: self.document,
                    position,
                    reason: e.to_string(),
                })?;
            if key == "xmlns" || key.starts_with("xmlns:") {
                declarations += 1;
                if declarations > self.limits.max_namespace_declarations {
                    return Err(self.limit(position, Limit::NamespaceDeclarations));
                }
                let prefix = key.strip_prefix("xmlns:").unwrap_or("");
                if !prefix.is_empty() && value.is_empty() {
                    return Err(self.syntax(position, "empty namespace for a prefix"));
                }
                self.scopes.push((prefix.to_owned(), value.into_owned()));
            } else {
                raw_attrs.push((key, value.into_owned()));
            }
        }
        let qname_ref = start.name();
        let qname: &str = qname_ref.as_ref();
        if !valid_qname(qname) {
            return Err(self.syntax(position, "invalid element name"));
        }
        let qname = qname.to_owned();
        let (prefix, local) = split_qname(&qname);
        let namespace = self.resolve(prefix, position)?;
        let mut attributes = Vec::with_capacity(raw_attrs.len());
        for (key, value) in raw_attrs {
            let (prefix, local) = split_qname(&key);
            let namespace = if prefix.is_empty() {
                String::new()
            } else {
                self.resolve(prefix, position)?
            };
            if attributes
                .iter()
                .any(|a: &Attribute| a.name == local && a.namespace == namespace)
            {
                return Err(self.syntax(position, "duplicate attribute"));
            }
            attributes.push(Attribute {
                namespace,
                name: local.to_owned(),
                value,
            });
        }
        Ok((
            Element {
                namespace,
                name: local.to_owned(),
                attributes,
                children: Vec::new(),
            },
            mark,
        ))
    }
}

fn split_qname(q: &str) -> (&str, &str) {
    match q.split_once(':') {
        Some((p, l)) => (p, l),
        None => ("", q),
    }
}

/// An XML NCName (simplified: ASCII letters, digits, `_`, `-`, `.` and any non-ASCII
/// character that is not a control or space; not starting with a digit, `-` or `.`).
fn valid_ncname(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let ok = |c: char, start: bool| {
        c.is_ascii_alphabetic()
            || c == '_'
            || (!start && (c.is_ascii_digit() || c == '-' || c == '.'))
            || (!c.is_ascii() && !c.is_control() && !c.is_whitespace())
    };
    ok(first, true) && chars.all(|c| ok(c, false))
}

/// Checks a qualified name: `local` or `prefix:local`, both NCNames.
fn valid_qname(q: &str) -> bool {
    match q.split_once(':') {
        Some((p, l)) => valid_ncname(p) && valid_ncname(l),
        None => valid_ncname(q),
    }
}

fn collect_namespaces(el: &Element, out: &mut Vec<String>) {
    if !el.namespace.is_empty() && !out.contains(&el.namespace) {
        out.push(el.namespace.clone());
    }
    for a in &el.attributes {
        if !a.namespace.is_empty() && a.namespace != XML_NS && !out.contains(&a.namespace) {
            out.push(a.namespace.clone());
        }
    }
    for c in el.elements() {
        collect_namespaces(c, out);
    }
}

struct Prefixes {
    /// (namespace, prefix)
    map: Vec<(String, String)>,
}

impl Prefixes {
    fn get(&self, namespace: &str) -> &str {
        if namespace == XML_NS {
            return "xml";
        }
        self.map
            .iter()
            .find(|(n, _)| n == namespace)
            .map(|(_, p)| p.as_str())
            .unwrap_or("")
    }
}

fn write_document(root: &Element, out: &mut String) {
    let mut namespaces = Vec::new();
    collect_namespaces(root, &mut namespaces);
    let mut map: Vec<(String, String)> = Vec::new();
    let mut counter = 0;
    for ns in &namespaces {
        let mut prefix = prefix_for(ns).map(str::to_owned);
        if prefix
            .as_ref()
            .is_some_and(|p| map.iter().any(|(_, q)| q == p))
        {
            prefix = None;
        }
        let prefix = prefix.unwrap_or_else(|| {
            loop {
                counter += 1;
                let candidate = format!("ns{counter}");
                if !map.iter().any(|(_, q)| *q == candidate) {
                    break candidate;
                }
            }
        });
        map.push((ns.clone(), prefix));
    }
    let prefixes = Prefixes { map };
    write_element(root, out, &prefixes, &root.namespace, true, 0);
    out.push('\n');
}

fn write_element(
    el: &Element,
    out: &mut String,
    prefixes: &Prefixes,
    default_ns: &str,
    is_root: bool,
    depth: usize,
) {
    out.push('<');
    let mut new_default = default_ns;
    let mut reset_default = false;
    if el.namespace != default_ns {
        if el.namespace.is_empty() {
            reset_default = true;
            new_default = "";
        } else {
            out.push_str(prefixes.get(&el.namespace));
            out.push(':');
        }
    }
    out.push_str(&el.name);
    if is_root {
        if !el.namespace.is_empty() {
            let _ = write!(out, " xmlns=\"{}\"", escape(&el.namespace));
        }
        for (ns, prefix) in &prefixes.map {
            let _ = write!(out, " xmlns:{prefix}=\"{}\"", escape(ns));
        }
    }
    if reset_default {
        out.push_str(" xmlns=\"\"");
    }
    for a in &el.attributes {
        out.push(' ');
        if !a.namespace.is_empty() {
            out.push_str(prefixes.get(&a.namespace));
            out.push(':');
        }
        out.push_str(&a.name);
        out.push_str("=\"");
        out.push_str(&escape(&a.value));
        out.push('"');
    }
    if el.children.is_empty() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    let element_only = el.children.iter().all(|c| matches!(c, Node::Element(_)));
    for child in &el.children {
        match child {
            Node::Element(c) => {
                if element_only {
                    out.push('\n');
                    for _ in 0..=depth {
                        out.push_str("  ");
                    }
                }
                write_element(c, out, prefixes, new_default, false, depth + 1);
            }
            Node::Text(t) => out.push_str(&escape(t)),
        }
    }
    if element_only {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    }
    out.push_str("</");
    if el.namespace != new_default {
        out.push_str(prefixes.get(&el.namespace));
        out.push(':');
    }
    out.push_str(&el.name);
    out.push('>');
}

fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(['<', '>', '&', '"', '\'', '\r', '\t', '\n']) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Where a typed model is in the document while converting from a tree: the document type and
/// the element path, for errors.
#[derive(Debug, Clone)]
pub(crate) struct Cx {
    pub(crate) document: &'static str,
    pub(crate) path: String,
}

impl Cx {
    pub(crate) fn root(document: &'static str, name: &str) -> Cx {
        Cx {
            document,
            path: format!("/{name}"),
        }
    }

    pub(crate) fn child(&self, name: &str, index: Option<usize>) -> Cx {
        let path = match index {
            Some(i) => format!("{}/{}[{}]", self.path, name, i + 1),
            None => format!("{}/{}", self.path, name),
        };
        Cx {
            document: self.document,
            path,
        }
    }

    pub(crate) fn invalid(&self, value: &str, expected: &'static str) -> PayloadError {
        PayloadError::InvalidValue {
            document: self.document,
            path: self.path.clone(),
            value: value.chars().take(64).collect(),
            expected,
        }
    }

    pub(crate) fn invalid_attr(
        &self,
        attribute: &str,
        value: &str,
        expected: &'static str,
    ) -> PayloadError {
        PayloadError::InvalidValue {
            document: self.document,
            path: format!("{}/@{}", self.path, attribute),
            value: value.chars().take(64).collect(),
            expected,
        }
    }

    /// Checks the root element's name and namespace.
    pub(crate) fn check_root(
        document: &'static str,
        el: &Element,
        namespace: &'static str,
        name: &'static str,
    ) -> Result<Cx> {
        if !el.is(namespace, name) {
            return Err(PayloadError::WrongRoot {
                document,
                expected: name,
                namespace,
                found: el.name.chars().take(64).collect(),
                found_namespace: el.namespace.chars().take(128).collect(),
            });
        }
        Ok(Cx::root(document, name))
    }
}

/// Takes an element apart: typed code removes the attributes and children it knows, and what is
/// left is kept as extensions.
pub(crate) struct Take {
    pub(crate) cx: Cx,
    attributes: Vec<Attribute>,
    children: Vec<Element>,
    text: String,
}

impl Take {
    pub(crate) fn new(cx: Cx, el: Element) -> Take {
        let mut children = Vec::new();
        let mut text = String::new();
        for c in el.children {
            match c {
                Node::Element(e) => children.push(e),
                Node::Text(t) => text.push_str(&t),
            }
        }
        Take {
            cx,
            attributes: el.attributes,
            children,
            text,
        }
    }

    /// Removes and returns an unprefixed attribute.
    pub(crate) fn attr(&mut self, name: &str) -> Option<String> {
        let i = self
            .attributes
            .iter()
            .position(|a| a.namespace.is_empty() && a.name == name)?;
        Some(self.attributes.remove(i).value)
    }

    /// Removes and returns a namespaced attribute.
    pub(crate) fn attr_ns(&mut self, namespace: &str, name: &str) -> Option<String> {
        let i = self
            .attributes
            .iter()
            .position(|a| a.namespace == namespace && a.name == name)?;
        Some(self.attributes.remove(i).value)
    }

    pub(crate) fn req_attr(&mut self, name: &'static str) -> Result<String> {
        self.attr(name)
            .ok_or_else(|| PayloadError::MissingAttribute {
                document: self.cx.document,
                path: self.cx.path.clone(),
                attribute: name,
            })
    }

    /// An attribute parsed with `FromStr`.
    pub(crate) fn attr_parse<T: std::str::FromStr>(
        &mut self,
        name: &str,
        expected: &'static str,
    ) -> Result<Option<T>> {
        match self.attr(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| self.cx.invalid_attr(name, &v, expected)),
        }
    }

    pub(crate) fn attr_bool(&mut self, name: &str) -> Result<Option<bool>> {
        match self.attr(name) {
            None => Ok(None),
            Some(v) => parse_bool(v.trim())
                .map(Some)
                .ok_or_else(|| self.cx.invalid_attr(name, &v, "true or false")),
        }
    }

    /// Removes and returns the only child `name` (error if repeated).
    pub(crate) fn one(&mut self, namespace: &str, name: &'static str) -> Result<Option<Element>> {
        let Some(i) = self.children.iter().position(|e| e.is(namespace, name)) else {
            return Ok(None);
        };
        let el = self.children.remove(i);
        if self.children[i..].iter().any(|e| e.is(namespace, name)) {
            return Err(PayloadError::DuplicateElement {
                document: self.cx.document,
                path: self.cx.path.clone(),
                element: name,
            });
        }
        Ok(Some(el))
    }

    pub(crate) fn req(&mut self, namespace: &str, name: &'static str) -> Result<Element> {
        self.one(namespace, name)?
            .ok_or_else(|| PayloadError::MissingElement {
                document: self.cx.document,
                path: self.cx.path.clone(),
                element: name,
            })
    }

    /// Whether a child `name` is present.
    pub(crate) fn has(&self, namespace: &str, name: &str) -> bool {
        self.children.iter().any(|e| e.is(namespace, name))
    }

    /// Removes and returns every child `name`, in order.
    pub(crate) fn all(&mut self, namespace: &str, name: &str) -> Vec<Element> {
        let mut out = Vec::new();
        let mut rest = Vec::with_capacity(self.children.len());
        for c in self.children.drain(..) {
            if c.is(namespace, name) {
                out.push(c);
            } else {
                rest.push(c);
            }
        }
        self.children = rest;
        out
    }

    /// The text of the only child `name`.
    pub(crate) fn text_of(
        &mut self,
        namespace: &str,
        name: &'static str,
    ) -> Result<Option<String>> {
        Ok(self.one(namespace, name)?.map(|e| e.text()))
    }

    /// The trimmed text of the only child `name`, parsed with `FromStr`.
    pub(crate) fn parse_of<T: std::str::FromStr>(
        &mut self,
        namespace: &str,
        name: &'static str,
        expected: &'static str,
    ) -> Result<Option<T>> {
        match self.one(namespace, name)? {
            None => Ok(None),
            Some(e) => {
                let t = e.text();
                t.trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| self.cx.child(name, None).invalid(&t, expected))
            }
        }
    }

    pub(crate) fn bool_of(&mut self, namespace: &str, name: &'static str) -> Result<Option<bool>> {
        match self.one(namespace, name)? {
            None => Ok(None),
            Some(e) => {
                let t = e.text();
                parse_bool(t.trim())
                    .map(Some)
                    .ok_or_else(|| self.cx.child(name, None).invalid(&t, "true or false"))
            }
        }
    }

    /// Texts of every child `name`, with their `xml:lang`.
    pub(crate) fn notes(&mut self, namespace: &str, name: &str) -> Vec<Note> {
        self.all(namespace, name)
            .into_iter()
            .map(Note::from_element)
            .collect()
    }

    /// The element's own text.
    pub(crate) fn own_text(&self) -> &str {
        &self.text
    }

    /// The remaining children and attributes.
    pub(crate) fn rest(self) -> (Vec<Element>, Vec<Attribute>) {
        (self.children, self.attributes)
    }
}

pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// A text with an optional language (`xml:lang`), like `<note xml:lang="en">`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Note {
    /// The text.
    pub text: String,
    /// The `xml:lang` attribute.
    pub lang: Option<String>,
}

impl Note {
    /// A note without a language.
    pub fn new(text: impl Into<String>) -> Self {
        Note {
            text: text.into(),
            lang: None,
        }
    }

    /// A note with a language.
    pub fn with_lang(text: impl Into<String>, lang: impl Into<String>) -> Self {
        Note {
            text: text.into(),
            lang: Some(lang.into()),
        }
    }

    pub(crate) fn from_element(e: Element) -> Note {
        let lang = e
            .attributes
            .iter()
            .find(|a| a.namespace == XML_NS && a.name == "lang")
            .map(|a| a.value.clone());
        Note {
            text: e.text(),
            lang,
        }
    }

    pub(crate) fn to_element(&self, namespace: &str, name: &str) -> Element {
        let mut e = Element::new(namespace, name);
        if let Some(lang) = &self.lang {
            e.attributes
                .push(Attribute::namespaced(XML_NS, "lang", lang.clone()));
        }
        if !self.text.is_empty() {
            e.children.push(Node::Text(self.text.clone()));
        }
        e
    }
}

/// Appends extension children and attributes to an element being built.
pub(crate) fn extend(el: &mut Element, extensions: &[Element], attributes: &[Attribute]) {
    el.attributes.extend(attributes.iter().cloned());
    el.children
        .extend(extensions.iter().cloned().map(Node::Element));
}
