//! Authorization policies: common-policy (RFC 4745) with the presence rules of RFC 5025
//! (`application/auth-policy+xml`), the pres-rules document the addressbook stores over XCAP
//! (MW-PAY-11).

use crate::document::Document;
use crate::error::Result;
use crate::xml::{Attribute, Cx, Element, Take, extend};

/// The common-policy namespace.
pub const NAMESPACE: &str = "urn:ietf:params:xml:ns:common-policy";
/// The pres-rules namespace.
pub const PRES_RULES_NAMESPACE: &str = "urn:ietf:params:xml:ns:pres-rules";

/// A `<ruleset>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Ruleset {
    /// `<rule>`s.
    pub rules: Vec<Rule>,
    /// Unknown attributes.
    pub attributes: Vec<Attribute>,
}

/// A `<rule id=…>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Rule {
    /// `id`.
    pub id: String,
    /// `<conditions>` (absent: always applies).
    pub conditions: Option<Conditions>,
    /// `<actions>`.
    pub actions: Option<Actions>,
    /// `<transformations>`.
    pub transformations: Option<Transformations>,
}

impl Rule {
    /// An empty rule.
    pub fn new(id: impl Into<String>) -> Self {
        Rule {
            id: id.into(),
            ..Default::default()
        }
    }
}

/// `<conditions>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Conditions {
    /// `<identity>`.
    pub identity: Option<Identity>,
    /// `<sphere value=…>`.
    pub sphere: Option<String>,
    /// `<validity>` intervals (from, until).
    pub validity: Vec<(String, String)>,
    /// Other conditions (extensions).
    pub extensions: Vec<Element>,
}

/// `<identity>`: who the rule is for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Identity {
    /// `<one id=…>`: single identities.
    pub one: Vec<String>,
    /// `<many>`: domains (or everybody) with exceptions.
    pub many: Vec<Many>,
}

/// `<many domain=…>` with its `<except>`s.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Many {
    /// `domain` (absent: any authenticated identity).
    pub domain: Option<String>,
    /// `<except id=…>` identities.
    pub except_ids: Vec<String>,
    /// `<except domain=…>` domains.
    pub except_domains: Vec<String>,
}

/// RFC 5025 `<sub-handling>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubHandling {
    /// `block`.
    Block,
    /// `confirm`.
    Confirm,
    /// `polite-block`.
    PoliteBlock,
    /// `allow`.
    Allow,
}

impl SubHandling {
    fn as_str(self) -> &'static str {
        match self {
            Self::Block => "block",
            Self::Confirm => "confirm",
            Self::PoliteBlock => "polite-block",
            Self::Allow => "allow",
        }
    }
}

/// `<actions>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Actions {
    /// RFC 5025 `<sub-handling>`.
    pub sub_handling: Option<SubHandling>,
    /// Other actions.
    pub extensions: Vec<Element>,
}

/// Which services, persons or devices a watcher may see (RFC 5025 §3.2.1–3.2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Provide {
    /// `<all-services/>`, `<all-persons/>`, `<all-devices/>`.
    All,
    /// Selected items as (element name, value): `("service-uri", "sip:…")`,
    /// `("occurrence-id", …)`, `("class", …)`, `("deviceID", …)`, `("service-uri-scheme", …)`.
    Items(Vec<(String, String)>),
}

/// `<transformations>` (RFC 5025 §3.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Transformations {
    /// `<provide-services>`.
    pub provide_services: Option<Provide>,
    /// `<provide-persons>`.
    pub provide_persons: Option<Provide>,
    /// `<provide-devices>`.
    pub provide_devices: Option<Provide>,
    /// The other `provide-*` elements with their text (`("provide-activities", "true")`,
    /// `("provide-user-input", "bare")`), in order.
    pub provide: Vec<(String, String)>,
    /// `<provide-all-attributes/>`.
    pub provide_all_attributes: bool,
    /// Other transformations (`provide-unknown-attribute` among them).
    pub extensions: Vec<Element>,
}

const PROVIDE_TEXT: &[&str] = &[
    "provide-activities",
    "provide-class",
    "provide-deviceID",
    "provide-mood",
    "provide-place-is",
    "provide-place-type",
    "provide-privacy",
    "provide-relationship",
    "provide-status-icon",
    "provide-sphere",
    "provide-time-offset",
    "provide-user-input",
    "provide-note",
];

fn read_provide(cx: &Cx, e: Element, all: &str) -> Result<Provide> {
    if e.elements().any(|c| c.is(PRES_RULES_NAMESPACE, all)) {
        return Ok(Provide::All);
    }
    let mut items = Vec::new();
    for c in e.elements() {
        if c.namespace != PRES_RULES_NAMESPACE {
            continue;
        }
        if c.name == "service-uri-scheme"
            || c.name == "service-uri"
            || c.name == "occurrence-id"
            || c.name == "class"
            || c.name == "deviceID"
        {
            items.push((c.name.clone(), c.text().trim().to_owned()));
        } else {
            return Err(cx.invalid(&c.name, "a service, person or device selector"));
        }
    }
    Ok(Provide::Items(items))
}

fn write_provide(name: &str, all: &str, p: &Provide) -> Element {
    let mut el = Element::new(PRES_RULES_NAMESPACE, name);
    match p {
        Provide::All => el.push(Element::new(PRES_RULES_NAMESPACE, all)),
        Provide::Items(items) => {
            for (n, v) in items {
                el.push(Element::new(PRES_RULES_NAMESPACE, n.as_str()).with_text(v));
            }
        }
    }
    el
}

impl Rule {
    fn read(cx: Cx, e: Element) -> Result<Rule> {
        let mut t = Take::new(cx, e);
        let id = t.req_attr("id")?;
        let conditions = match t.one(NAMESPACE, "conditions")? {
            None => None,
            Some(e) => {
                let mut c = Take::new(t.cx.child("conditions", None), e);
                let identity = match c.one(NAMESPACE, "identity")? {
                    None => None,
                    Some(e) => {
                        let mut it = Take::new(c.cx.child("identity", None), e);
                        let mut one = Vec::new();
                        for (i, o) in it.all(NAMESPACE, "one").into_iter().enumerate() {
                            one.push(Take::new(it.cx.child("one", Some(i)), o).req_attr("id")?);
                        }
                        let mut many = Vec::new();
                        for m in it.all(NAMESPACE, "many") {
                            let domain = m.attribute("domain").map(str::to_owned);
                            let mut except_ids = Vec::new();
                            let mut except_domains = Vec::new();
                            for x in m.elements().filter(|x| x.is(NAMESPACE, "except")) {
                                if let Some(id) = x.attribute("id") {
                                    except_ids.push(id.to_owned());
                                }
                                if let Some(d) = x.attribute("domain") {
                                    except_domains.push(d.to_owned());
                                }
                            }
                            many.push(Many {
                                domain,
                                except_ids,
                                except_domains,
                            });
                        }
                        Some(Identity { one, many })
                    }
                };
                let sphere = match c.one(NAMESPACE, "sphere")? {
                    None => None,
                    Some(s) => Some(Take::new(c.cx.child("sphere", None), s).req_attr("value")?),
                };
                let mut validity = Vec::new();
                if let Some(v) = c.one(NAMESPACE, "validity")? {
                    let vcx = c.cx.child("validity", None);
                    let froms: Vec<_> = v.elements().filter(|e| e.is(NAMESPACE, "from")).collect();
                    let untils: Vec<_> =
                        v.elements().filter(|e| e.is(NAMESPACE, "until")).collect();
                    if froms.len() != untils.len() {
                        return Err(vcx.invalid("", "from/until pairs"));
                    }
                    for (f, u) in froms.iter().zip(untils.iter()) {
                        validity.push((f.text().trim().to_owned(), u.text().trim().to_owned()));
                    }
                }
                let (extensions, _) = c.rest();
                Some(Conditions {
                    identity,
                    sphere,
                    validity,
                    extensions,
                })
            }
        };
        let actions = match t.one(NAMESPACE, "actions")? {
            None => None,
            Some(e) => {
                let mut a = Take::new(t.cx.child("actions", None), e);
                let sub_handling = match a.text_of(PRES_RULES_NAMESPACE, "sub-handling")? {
                    None => None,
                    Some(s) => Some(match s.trim() {
                        "block" => SubHandling::Block,
                        "confirm" => SubHandling::Confirm,
                        "polite-block" => SubHandling::PoliteBlock,
                        "allow" => SubHandling::Allow,
                        _ => {
                            return Err(a
                                .cx
                                .child("sub-handling", None)
                                .invalid(&s, "block, confirm, polite-block or allow"));
                        }
                    }),
                };
                let (extensions, _) = a.rest();
                Some(Actions {
                    sub_handling,
                    extensions,
                })
            }
        };
        let transformations = match t.one(NAMESPACE, "transformations")? {
            None => None,
            Some(e) => {
                let mut x = Take::new(t.cx.child("transformations", None), e);
                let mut out = Transformations::default();
                if let Some(p) = x.one(PRES_RULES_NAMESPACE, "provide-services")? {
                    out.provide_services = Some(read_provide(
                        &x.cx.child("provide-services", None),
                        p,
                        "all-services",
                    )?);
                }
                if let Some(p) = x.one(PRES_RULES_NAMESPACE, "provide-persons")? {
                    out.provide_persons = Some(read_provide(
                        &x.cx.child("provide-persons", None),
                        p,
                        "all-persons",
                    )?);
                }
                if let Some(p) = x.one(PRES_RULES_NAMESPACE, "provide-devices")? {
                    out.provide_devices = Some(read_provide(
                        &x.cx.child("provide-devices", None),
                        p,
                        "all-devices",
                    )?);
                }
                out.provide_all_attributes = x
                    .one(PRES_RULES_NAMESPACE, "provide-all-attributes")?
                    .is_some();
                let (rest, _) = x.rest();
                for c in rest {
                    if c.namespace == PRES_RULES_NAMESPACE
                        && PROVIDE_TEXT.contains(&c.name.as_str())
                    {
                        let text = c.text().trim().to_owned();
                        out.provide.push((c.name, text));
                    } else {
                        out.extensions.push(c);
                    }
                }
                Some(out)
            }
        };
        Ok(Rule {
            id,
            conditions,
            actions,
            transformations,
        })
    }

    fn write(&self) -> Element {
        let mut el = Element::new(NAMESPACE, "rule").with_attribute("id", &self.id);
        if let Some(c) = &self.conditions {
            let mut ce = Element::new(NAMESPACE, "conditions");
            if let Some(i) = &c.identity {
                let mut ie = Element::new(NAMESPACE, "identity");
                for o in &i.one {
                    ie.push(Element::new(NAMESPACE, "one").with_attribute("id", o));
                }
                for m in &i.many {
                    let mut me = Element::new(NAMESPACE, "many");
                    me.push_attr("domain", m.domain.as_ref());
                    for x in &m.except_ids {
                        me.push(Element::new(NAMESPACE, "except").with_attribute("id", x));
                    }
                    for x in &m.except_domains {
                        me.push(Element::new(NAMESPACE, "except").with_attribute("domain", x));
                    }
                    ie.push(me);
                }
                ce.push(ie);
            }
            if let Some(s) = &c.sphere {
                ce.push(Element::new(NAMESPACE, "sphere").with_attribute("value", s));
            }
            if !c.validity.is_empty() {
                let mut ve = Element::new(NAMESPACE, "validity");
                for (f, u) in &c.validity {
                    ve.push(Element::new(NAMESPACE, "from").with_text(f));
                    ve.push(Element::new(NAMESPACE, "until").with_text(u));
                }
                ce.push(ve);
            }
            for x in &c.extensions {
                ce.push(x.clone());
            }
            el.push(ce);
        }
        if let Some(a) = &self.actions {
            let mut ae = Element::new(NAMESPACE, "actions");
            ae.push_text_child(
                PRES_RULES_NAMESPACE,
                "sub-handling",
                a.sub_handling.map(SubHandling::as_str),
            );
            for x in &a.extensions {
                ae.push(x.clone());
            }
            el.push(ae);
        }
        if let Some(t) = &self.transformations {
            let mut te = Element::new(NAMESPACE, "transformations");
            if let Some(p) = &t.provide_services {
                te.push(write_provide("provide-services", "all-services", p));
            }
            if let Some(p) = &t.provide_persons {
                te.push(write_provide("provide-persons", "all-persons", p));
            }
            if let Some(p) = &t.provide_devices {
                te.push(write_provide("provide-devices", "all-devices", p));
            }
            for (n, v) in &t.provide {
                te.push(Element::new(PRES_RULES_NAMESPACE, n.as_str()).with_text(v));
            }
            if t.provide_all_attributes {
                te.push(Element::new(PRES_RULES_NAMESPACE, "provide-all-attributes"));
            }
            for x in &t.extensions {
                te.push(x.clone());
            }
            el.push(te);
        }
        el
    }
}

impl Document for Ruleset {
    const DOCUMENT: &'static str = "common-policy";
    const CONTENT_TYPE: &'static str = "application/auth-policy+xml";

    fn from_element(root: Element) -> Result<Self> {
        let cx = Cx::check_root(Self::DOCUMENT, &root, NAMESPACE, "ruleset")?;
        let mut t = Take::new(cx, root);
        let rules = t
            .all(NAMESPACE, "rule")
            .into_iter()
            .enumerate()
            .map(|(i, e)| Rule::read(t.cx.child("rule", Some(i)), e))
            .collect::<Result<_>>()?;
        let (_, attributes) = t.rest();
        Ok(Ruleset { rules, attributes })
    }

    fn to_element(&self) -> Element {
        let mut el = Element::new(NAMESPACE, "ruleset");
        for r in &self.rules {
            el.push(r.write());
        }
        extend(&mut el, &[], &self.attributes);
        el
    }
}
