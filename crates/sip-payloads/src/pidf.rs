//! Presence documents: PIDF (RFC 3863) with the data model (RFC 4479), RPID (RFC 4480),
//! CIPID (RFC 4482) and service capabilities (RFC 5196).
//!
//! [`Presence`] is the seed's `PIDF` (MW-PAY-01), the body of `Account.presence_state`
//! publications and of presence NOTIFYs (`application/pidf+xml`).
//!
//! ```
//! use sip_payloads::Document;
//! use sip_payloads::pidf::{Basic, Presence, Tuple};
//!
//! let mut presence = Presence::new("sip:alice@example.com");
//! presence.tuples.push(Tuple::new("t1", Basic::Open));
//! let xml = presence.to_xml();
//! assert_eq!(Presence::parse(xml.as_bytes()).unwrap(), presence);
//! ```

use crate::document::Document;
use crate::error::Result;
use crate::xml::{Attribute, Cx, Element, Note, Take, extend};

/// The PIDF namespace.
pub const NAMESPACE: &str = "urn:ietf:params:xml:ns:pidf";
/// The RFC 4479 data-model namespace (`person`, `device`, `deviceID`).
pub const DATA_MODEL_NAMESPACE: &str = "urn:ietf:params:xml:ns:pidf:data-model";
/// The RPID namespace (RFC 4480).
pub const RPID_NAMESPACE: &str = "urn:ietf:params:xml:ns:pidf:rpid";
/// The CIPID namespace (RFC 4482).
pub const CIPID_NAMESPACE: &str = "urn:ietf:params:xml:ns:pidf:cipid";
/// The service-capabilities namespace (RFC 5196).
pub const CAPS_NAMESPACE: &str = "urn:ietf:params:xml:ns:pidf:caps";

/// A PIDF `<presence>` document.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Presence {
    /// The presentity URI (`entity` attribute).
    pub entity: String,
    /// `<tuple>` elements (services).
    pub tuples: Vec<Tuple>,
    /// `<note>` elements of the document.
    pub notes: Vec<Note>,
    /// RFC 4479 `<dm:person>` elements.
    pub persons: Vec<Person>,
    /// RFC 4479 `<dm:device>` elements.
    pub devices: Vec<Device>,
    /// Unknown child elements, kept in order.
    pub extensions: Vec<Element>,
    /// Unknown attributes.
    pub attributes: Vec<Attribute>,
}

impl Presence {
    /// An empty document for `entity`.
    pub fn new(entity: impl Into<String>) -> Self {
        Presence {
            entity: entity.into(),
            ..Default::default()
        }
    }
}

/// `<basic>` status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Basic {
    /// `open`: the service can be reached.
    Open,
    /// `closed`.
    Closed,
}

impl Basic {
    fn as_str(self) -> &'static str {
        match self {
            Basic::Open => "open",
            Basic::Closed => "closed",
        }
    }
}

/// A `<tuple>`: one service of the presentity.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Tuple {
    /// `id` attribute.
    pub id: String,
    /// `<status>`.
    pub status: Status,
    /// RFC 4479 `<dm:deviceID>` references to devices.
    pub device_ids: Vec<String>,
    /// RPID `<rpid:class>`.
    pub class: Option<String>,
    /// RFC 5196 `<caps:servcaps>`.
    pub servcaps: Option<Servcaps>,
    /// `<contact>`.
    pub contact: Option<Contact>,
    /// `<note>`s.
    pub notes: Vec<Note>,
    /// `<timestamp>` (RFC 3339 text).
    pub timestamp: Option<String>,
    /// Unknown child elements (written after `<status>`, where the schema allows them).
    pub extensions: Vec<Element>,
    /// Unknown attributes.
    pub attributes: Vec<Attribute>,
}

impl Tuple {
    /// A tuple with a basic status.
    pub fn new(id: impl Into<String>, basic: Basic) -> Self {
        Tuple {
            id: id.into(),
            status: Status {
                basic: Some(basic),
                ..Default::default()
            },
            ..Default::default()
        }
    }
}

/// A tuple's `<status>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Status {
    /// `<basic>`.
    pub basic: Option<Basic>,
    /// Other status elements.
    pub extensions: Vec<Element>,
}

/// A tuple's `<contact>`.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Contact {
    /// The contact URI.
    pub uri: String,
    /// `priority` attribute, 0 to 1.
    pub priority: Option<f64>,
}

impl Contact {
    /// A contact without priority.
    pub fn new(uri: impl Into<String>) -> Self {
        Contact {
            uri: uri.into(),
            priority: None,
        }
    }
}

/// An RFC 4479 `<dm:person>` with its RPID and CIPID elements.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Person {
    /// `id` attribute.
    pub id: String,
    /// `<rpid:activities>`.
    pub activities: Option<RpidValues>,
    /// `<rpid:mood>`.
    pub mood: Option<RpidValues>,
    /// `<rpid:place-type>`.
    pub place_type: Option<RpidValues>,
    /// `<rpid:privacy>`.
    pub privacy: Option<RpidValues>,
    /// `<rpid:sphere>`.
    pub sphere: Option<RpidValues>,
    /// `<rpid:relationship>`.
    pub relationship: Option<RpidValues>,
    /// `<rpid:service-class>`.
    pub service_class: Option<RpidValues>,
    /// `<rpid:time-offset>`.
    pub time_offset: Option<TimeOffset>,
    /// `<rpid:user-input>`.
    pub user_input: Option<UserInput>,
    /// `<rpid:class>`.
    pub class: Option<String>,
    /// `<rpid:status-icon>` URI.
    pub status_icon: Option<String>,
    /// CIPID `<cipid:display-name>`.
    pub display_name: Option<String>,
    /// CIPID `<cipid:card>` URI.
    pub card: Option<String>,
    /// CIPID `<cipid:homepage>` URI.
    pub homepage: Option<String>,
    /// CIPID `<cipid:icon>` URI.
    pub icon: Option<String>,
    /// CIPID `<cipid:map>` URI.
    pub map: Option<String>,
    /// CIPID `<cipid:sound>` URI.
    pub sound: Option<String>,
    /// `<dm:note>`s.
    pub notes: Vec<Note>,
    /// `<dm:timestamp>`.
    pub timestamp: Option<String>,
    /// Unknown child elements (`<rpid:place-is>` among them).
    pub extensions: Vec<Element>,
    /// Unknown attributes.
    pub attributes: Vec<Attribute>,
}

impl Person {
    /// A person with this id.
    pub fn new(id: impl Into<String>) -> Self {
        Person {
            id: id.into(),
            ..Default::default()
        }
    }
}

/// An RFC 4479 `<dm:device>`.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Device {
    /// `id` attribute.
    pub id: String,
    /// `<dm:deviceID>` (a URN).
    pub device_id: Option<String>,
    /// `<rpid:user-input>`.
    pub user_input: Option<UserInput>,
    /// `<rpid:class>`.
    pub class: Option<String>,
    /// `<dm:note>`s.
    pub notes: Vec<Note>,
    /// `<dm:timestamp>`.
    pub timestamp: Option<String>,
    /// Unknown child elements.
    pub extensions: Vec<Element>,
    /// Unknown attributes.
    pub attributes: Vec<Attribute>,
}

/// An RPID element whose content is a set of empty token elements (`<rpid:away/>`), an
/// `<rpid:other>` free text and notes: activities, mood, place-type, privacy, sphere,
/// relationship and service-class.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RpidValues {
    /// `id` attribute.
    pub id: Option<String>,
    /// `from` attribute.
    pub since: Option<String>,
    /// `until` attribute.
    pub until: Option<String>,
    /// Local names of the RPID token elements, in order (`"on-the-phone"`, `"happy"`).
    pub values: Vec<String>,
    /// `<rpid:other>` texts.
    pub other: Vec<Note>,
    /// `<rpid:note>`s.
    pub notes: Vec<Note>,
    /// Own text content (RFC 4480 sphere may be free text).
    pub text: Option<String>,
    /// Token elements from other namespaces (place types from RFC 4589, for instance).
    pub extensions: Vec<Element>,
}

impl RpidValues {
    /// Values from tokens.
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(values: I) -> Self {
        RpidValues {
            values: values.into_iter().map(Into::into).collect(),
            ..Default::default()
        }
    }
}

/// `<rpid:time-offset>`: minutes from UTC.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TimeOffset {
    /// Offset in minutes.
    pub minutes: i32,
    /// `description` attribute.
    pub description: Option<String>,
    /// `from` attribute.
    pub since: Option<String>,
    /// `until` attribute.
    pub until: Option<String>,
}

/// `<rpid:user-input>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct UserInput {
    /// `true` for `active`, `false` for `idle`.
    pub active: bool,
    /// `idle-threshold` attribute (seconds).
    pub idle_threshold: Option<u32>,
    /// `last-input` attribute (RFC 3339).
    pub last_input: Option<String>,
    /// `id` attribute.
    pub id: Option<String>,
}

/// RFC 5196 `<caps:servcaps>`: media booleans and supported/notsupported lists.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Servcaps {
    /// Boolean capabilities by element name (`audio`, `video`, `text`, `message`,
    /// `application`, `control`, `data`, `automata`, `isfocus`), in document order.
    pub flags: Vec<(String, bool)>,
    /// List capabilities by element name (`methods`, `event-packages`, `extensions`, `schemes`,
    /// `languages`, `class`, `duplex`, `actor`, `type`), in document order.
    pub lists: Vec<CapsList>,
    /// Other elements (`priority`, `description`, extensions).
    pub extensions: Vec<Element>,
}

/// A supported/notsupported list of [`Servcaps`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CapsList {
    /// Element name (`methods`).
    pub name: String,
    /// Supported values: an element's text, or its name when it is empty (`INVITE`).
    pub supported: Vec<String>,
    /// Not-supported values.
    pub not_supported: Vec<String>,
}

const CAPS_FLAGS: &[&str] = &[
    "audio",
    "application",
    "data",
    "control",
    "video",
    "text",
    "message",
    "automata",
    "isfocus",
];
const CAPS_LISTS: &[&str] = &[
    "type",
    "class",
    "duplex",
    "event-packages",
    "methods",
    "extensions",
    "schemes",
    "actor",
    "languages",
];
/// Lists whose values are text children with these names.
fn caps_item_name(list: &str) -> Option<&'static str> {
    Some(match list {
        "type" => "type",
        "schemes" => "s",
        "languages" => "l",
        _ => return None,
    })
}

impl Document for Presence {
    const DOCUMENT: &'static str = "pidf";
    const CONTENT_TYPE: &'static str = "application/pidf+xml";

    fn from_element(root: Element) -> Result<Self> {
        let cx = Cx::check_root(Self::DOCUMENT, &root, NAMESPACE, "presence")?;
        let mut t = Take::new(cx, root);
        let entity = t.req_attr("entity")?;
        let tuples = t
            .all(NAMESPACE, "tuple")
            .into_iter()
            .enumerate()
            .map(|(i, e)| Tuple::read(t.cx.child("tuple", Some(i)), e))
            .collect::<Result<_>>()?;
        let notes = t.notes(NAMESPACE, "note");
        let persons = t
            .all(DATA_MODEL_NAMESPACE, "person")
            .into_iter()
            .enumerate()
            .map(|(i, e)| Person::read(t.cx.child("person", Some(i)), e))
            .collect::<Result<_>>()?;
        let devices = t
            .all(DATA_MODEL_NAMESPACE, "device")
            .into_iter()
            .enumerate()
            .map(|(i, e)| Device::read(t.cx.child("device", Some(i)), e))
            .collect::<Result<_>>()?;
        let (extensions, attributes) = t.rest();
        Ok(Presence {
            entity,
            tuples,
            notes,
            persons,
            devices,
            extensions,
            attributes,
        })
    }

    fn to_element(&self) -> Element {
        let mut el = Element::new(NAMESPACE, "presence").with_attribute("entity", &self.entity);
        for t in &self.tuples {
            el.push(t.write());
        }
        for n in &self.notes {
            el.push(n.to_element(NAMESPACE, "note"));
        }
        for p in &self.persons {
            el.push(p.write());
        }
        for d in &self.devices {
            el.push(d.write());
        }
        extend(&mut el, &self.extensions, &self.attributes);
        el
    }
}

impl Tuple {
    fn read(cx: Cx, el: Element) -> Result<Tuple> {
        let mut t = Take::new(cx, el);
        let id = t.req_attr("id")?;
        let status_el = t.req(NAMESPACE, "status")?;
        let status = {
            let mut s = Take::new(t.cx.child("status", None), status_el);
            let basic = match s.text_of(NAMESPACE, "basic")? {
                None => None,
                Some(b) => Some(match b.trim() {
                    "open" => Basic::Open,
                    "closed" => Basic::Closed,
                    _ => return Err(s.cx.child("basic", None).invalid(&b, "open or closed")),
                }),
            };
            let (extensions, _) = s.rest();
            Status { basic, extensions }
        };
        let device_ids = t
            .all(DATA_MODEL_NAMESPACE, "deviceID")
            .into_iter()
            .map(|e| e.text())
            .collect();
        let class = t.text_of(RPID_NAMESPACE, "class")?;
        let servcaps = match t.one(CAPS_NAMESPACE, "servcaps")? {
            None => None,
            Some(e) => Some(Servcaps::read(t.cx.child("servcaps", None), e)?),
        };
        let contact = match t.one(NAMESPACE, "contact")? {
            None => None,
            Some(e) => {
                let mut c = Take::new(t.cx.child("contact", None), e);
                let priority: Option<f64> = c.attr_parse("priority", "a number from 0 to 1")?;
                if let Some(p) = priority
                    && !(0.0..=1.0).contains(&p)
                {
                    return Err(c.cx.invalid_attr(
                        "priority",
                        &p.to_string(),
                        "a number from 0 to 1",
                    ));
                }
                Some(Contact {
                    uri: c.own_text().trim().to_owned(),
                    priority,
                })
            }
        };
        let notes = t.notes(NAMESPACE, "note");
        let timestamp = t.text_of(NAMESPACE, "timestamp")?;
        let (extensions, attributes) = t.rest();
        Ok(Tuple {
            id,
            status,
            device_ids,
            class,
            servcaps,
            contact,
            notes,
            timestamp,
            extensions,
            attributes,
        })
    }

    fn write(&self) -> Element {
        let mut el = Element::new(NAMESPACE, "tuple").with_attribute("id", &self.id);
        el.attributes.extend(self.attributes.iter().cloned());
        let mut status = Element::new(NAMESPACE, "status");
        status.push_text_child(NAMESPACE, "basic", self.status.basic.map(Basic::as_str));
        for e in &self.status.extensions {
            status.push(e.clone());
        }
        el.push(status);
        for d in &self.device_ids {
            el.push(Element::new(DATA_MODEL_NAMESPACE, "deviceID").with_text(d));
        }
        el.push_text_child(RPID_NAMESPACE, "class", self.class.as_ref());
        if let Some(s) = &self.servcaps {
            el.push(s.write());
        }
        for e in &self.extensions {
            el.push(e.clone());
        }
        if let Some(c) = &self.contact {
            let mut ce = Element::new(NAMESPACE, "contact");
            ce.push_attr("priority", c.priority);
            el.push(ce.with_text(&c.uri));
        }
        for n in &self.notes {
            el.push(n.to_element(NAMESPACE, "note"));
        }
        el.push_text_child(NAMESPACE, "timestamp", self.timestamp.as_ref());
        el
    }
}

impl Servcaps {
    fn read(cx: Cx, el: Element) -> Result<Servcaps> {
        let mut out = Servcaps::default();
        for (i, child) in Take::new(cx.clone(), el).rest().0.into_iter().enumerate() {
            if child.namespace == CAPS_NAMESPACE && CAPS_FLAGS.contains(&child.name.as_str()) {
                let text = child.text();
                let v = crate::xml::parse_bool(text.trim()).ok_or_else(|| {
                    cx.child(&child.name, Some(i))
                        .invalid(&text, "true or false")
                })?;
                out.flags.push((child.name, v));
            } else if child.namespace == CAPS_NAMESPACE && CAPS_LISTS.contains(&child.name.as_str())
            {
                let item = caps_item_name(&child.name);
                let mut list = CapsList {
                    name: child.name.clone(),
                    ..Default::default()
                };
                for part in child.elements() {
                    let values = part
                        .elements()
                        .filter(|v| v.namespace == CAPS_NAMESPACE)
                        .map(|v| {
                            if item.is_some() {
                                v.text().trim().to_owned()
                            } else {
                                v.name.clone()
                            }
                        });
                    match part.name.as_str() {
                        "supported" => list.supported.extend(values),
                        "notsupported" => list.not_supported.extend(values),
                        _ => {}
                    }
                }
                out.lists.push(list);
            } else {
                out.extensions.push(child);
            }
        }
        Ok(out)
    }

    fn write(&self) -> Element {
        let mut el = Element::new(CAPS_NAMESPACE, "servcaps");
        for (name, v) in &self.flags {
            el.push(Element::new(CAPS_NAMESPACE, name.as_str()).with_text(v.to_string()));
        }
        for list in &self.lists {
            let item = caps_item_name(&list.name);
            let mut le = Element::new(CAPS_NAMESPACE, list.name.as_str());
            for (part, values) in [
                ("supported", &list.supported),
                ("notsupported", &list.not_supported),
            ] {
                if values.is_empty() {
                    continue;
                }
                let mut pe = Element::new(CAPS_NAMESPACE, part);
                for v in values {
                    pe.push(match item {
                        Some(name) => Element::new(CAPS_NAMESPACE, name).with_text(v.as_str()),
                        None => Element::new(CAPS_NAMESPACE, v.as_str()),
                    });
                }
                le.push(pe);
            }
            el.push(le);
        }
        for e in &self.extensions {
            el.push(e.clone());
        }
        el
    }
}

fn read_values(cx: Cx, el: Element) -> RpidValues {
    let mut t = Take::new(cx, el);
    let id = t.attr("id");
    let since = t.attr("from");
    let until = t.attr("until");
    let notes = t.notes(RPID_NAMESPACE, "note");
    let other = t.notes(RPID_NAMESPACE, "other");
    let text = Some(t.own_text().trim().to_owned()).filter(|s| !s.is_empty());
    let (children, _) = t.rest();
    let mut values = Vec::new();
    let mut extensions = Vec::new();
    for c in children {
        if c.namespace == RPID_NAMESPACE && c.children.is_empty() {
            values.push(c.name);
        } else {
            extensions.push(c);
        }
    }
    RpidValues {
        id,
        since,
        until,
        values,
        other,
        notes,
        text,
        extensions,
    }
}

fn write_values(name: &str, v: &RpidValues) -> Element {
    let mut el = Element::new(RPID_NAMESPACE, name);
    el.push_attr("id", v.id.as_ref());
    el.push_attr("from", v.since.as_ref());
    el.push_attr("until", v.until.as_ref());
    for n in &v.notes {
        el.push(n.to_element(RPID_NAMESPACE, "note"));
    }
    for value in &v.values {
        el.push(Element::new(RPID_NAMESPACE, value.as_str()));
    }
    for e in &v.extensions {
        el.push(e.clone());
    }
    for o in &v.other {
        el.push(o.to_element(RPID_NAMESPACE, "other"));
    }
    if let Some(text) = &v.text {
        el = el.with_text(text);
    }
    el
}

fn read_user_input(cx: Cx, el: Element) -> Result<UserInput> {
    let mut t = Take::new(cx, el);
    let idle_threshold = t.attr_parse("idle-threshold", "seconds")?;
    let last_input = t.attr("last-input");
    let id = t.attr("id");
    let active = match t.own_text().trim() {
        "active" => true,
        "idle" => false,
        other => return Err(t.cx.invalid(other, "active or idle")),
    };
    Ok(UserInput {
        active,
        idle_threshold,
        last_input,
        id,
    })
}

fn write_user_input(u: &UserInput) -> Element {
    let mut el = Element::new(RPID_NAMESPACE, "user-input");
    el.push_attr("id", u.id.as_ref());
    el.push_attr("idle-threshold", u.idle_threshold);
    el.push_attr("last-input", u.last_input.as_ref());
    el.with_text(if u.active { "active" } else { "idle" })
}

macro_rules! rpid_values {
    ($t:expr, $name:literal) => {
        $t.one(RPID_NAMESPACE, $name)?
            .map(|e| read_values($t.cx.child($name, None), e))
    };
}

impl Person {
    fn read(cx: Cx, el: Element) -> Result<Person> {
        let mut t = Take::new(cx, el);
        let id = t.req_attr("id")?;
        let activities = rpid_values!(t, "activities");
        let mood = rpid_values!(t, "mood");
        let place_type = rpid_values!(t, "place-type");
        let privacy = rpid_values!(t, "privacy");
        let sphere = rpid_values!(t, "sphere");
        let relationship = rpid_values!(t, "relationship");
        let service_class = rpid_values!(t, "service-class");
        let time_offset = match t.one(RPID_NAMESPACE, "time-offset")? {
            None => None,
            Some(e) => {
                let mut o = Take::new(t.cx.child("time-offset", None), e);
                let description = o.attr("description");
                let since = o.attr("from");
                let until = o.attr("until");
                let text = o.own_text().trim().to_owned();
                let minutes = text
                    .parse()
                    .map_err(|_| o.cx.invalid(&text, "an offset in minutes"))?;
                Some(TimeOffset {
                    minutes,
                    description,
                    since,
                    until,
                })
            }
        };
        let user_input = match t.one(RPID_NAMESPACE, "user-input")? {
            None => None,
            Some(e) => Some(read_user_input(t.cx.child("user-input", None), e)?),
        };
        let class = t.text_of(RPID_NAMESPACE, "class")?;
        let status_icon = t
            .text_of(RPID_NAMESPACE, "status-icon")?
            .map(|s| s.trim().to_owned());
        let trimmed = |s: Option<String>| s.map(|s| s.trim().to_owned());
        let display_name = t.text_of(CIPID_NAMESPACE, "display-name")?;
        let card = trimmed(t.text_of(CIPID_NAMESPACE, "card")?);
        let homepage = trimmed(t.text_of(CIPID_NAMESPACE, "homepage")?);
        let icon = trimmed(t.text_of(CIPID_NAMESPACE, "icon")?);
        let map = trimmed(t.text_of(CIPID_NAMESPACE, "map")?);
        let sound = trimmed(t.text_of(CIPID_NAMESPACE, "sound")?);
        let notes = t.notes(DATA_MODEL_NAMESPACE, "note");
        let timestamp = t.text_of(DATA_MODEL_NAMESPACE, "timestamp")?;
        let (extensions, attributes) = t.rest();
        Ok(Person {
            id,
            activities,
            mood,
            place_type,
            privacy,
            sphere,
            relationship,
            service_class,
            time_offset,
            user_input,
            class,
            status_icon,
            display_name,
            card,
            homepage,
            icon,
            map,
            sound,
            notes,
            timestamp,
            extensions,
            attributes,
        })
    }

    fn write(&self) -> Element {
        let mut el = Element::new(DATA_MODEL_NAMESPACE, "person").with_attribute("id", &self.id);
        el.attributes.extend(self.attributes.iter().cloned());
        for (name, v) in [
            ("activities", &self.activities),
            ("mood", &self.mood),
            ("place-type", &self.place_type),
            ("privacy", &self.privacy),
            ("sphere", &self.sphere),
            ("relationship", &self.relationship),
            ("service-class", &self.service_class),
        ] {
            if let Some(v) = v {
                el.push(write_values(name, v));
            }
        }
        if let Some(o) = &self.time_offset {
            let mut oe = Element::new(RPID_NAMESPACE, "time-offset");
            oe.push_attr("description", o.description.as_ref());
            oe.push_attr("from", o.since.as_ref());
            oe.push_attr("until", o.until.as_ref());
            el.push(oe.with_text(o.minutes.to_string()));
        }
        if let Some(u) = &self.user_input {
            el.push(write_user_input(u));
        }
        el.push_text_child(RPID_NAMESPACE, "class", self.class.as_ref());
        el.push_text_child(RPID_NAMESPACE, "status-icon", self.status_icon.as_ref());
        el.push_text_child(CIPID_NAMESPACE, "display-name", self.display_name.as_ref());
        el.push_text_child(CIPID_NAMESPACE, "card", self.card.as_ref());
        el.push_text_child(CIPID_NAMESPACE, "homepage", self.homepage.as_ref());
        el.push_text_child(CIPID_NAMESPACE, "icon", self.icon.as_ref());
        el.push_text_child(CIPID_NAMESPACE, "map", self.map.as_ref());
        el.push_text_child(CIPID_NAMESPACE, "sound", self.sound.as_ref());
        for e in &self.extensions {
            el.push(e.clone());
        }
        for n in &self.notes {
            el.push(n.to_element(DATA_MODEL_NAMESPACE, "note"));
        }
        el.push_text_child(DATA_MODEL_NAMESPACE, "timestamp", self.timestamp.as_ref());
        el
    }
}

impl Device {
    /// A device with this id and device ID URN.
    pub fn new(id: impl Into<String>, device_id: impl Into<String>) -> Self {
        Device {
            id: id.into(),
            device_id: Some(device_id.into()),
            ..Default::default()
        }
    }

    fn read(cx: Cx, el: Element) -> Result<Device> {
        let mut t = Take::new(cx, el);
        let id = t.req_attr("id")?;
        let device_id = t
            .text_of(DATA_MODEL_NAMESPACE, "deviceID")?
            .map(|s| s.trim().to_owned());
        let user_input = match t.one(RPID_NAMESPACE, "user-input")? {
            None => None,
            Some(e) => Some(read_user_input(t.cx.child("user-input", None), e)?),
        };
        let class = t.text_of(RPID_NAMESPACE, "class")?;
        let notes = t.notes(DATA_MODEL_NAMESPACE, "note");
        let timestamp = t.text_of(DATA_MODEL_NAMESPACE, "timestamp")?;
        let (extensions, attributes) = t.rest();
        Ok(Device {
            id,
            device_id,
            user_input,
            class,
            notes,
            timestamp,
            extensions,
            attributes,
        })
    }

    fn write(&self) -> Element {
        let mut el = Element::new(DATA_MODEL_NAMESPACE, "device").with_attribute("id", &self.id);
        el.attributes.extend(self.attributes.iter().cloned());
        if let Some(u) = &self.user_input {
            el.push(write_user_input(u));
        }
        el.push_text_child(RPID_NAMESPACE, "class", self.class.as_ref());
        for e in &self.extensions {
            el.push(e.clone());
        }
        el.push_text_child(DATA_MODEL_NAMESPACE, "deviceID", self.device_id.as_ref());
        for n in &self.notes {
            el.push(n.to_element(DATA_MODEL_NAMESPACE, "note"));
        }
        el.push_text_child(DATA_MODEL_NAMESPACE, "timestamp", self.timestamp.as_ref());
        el
    }
}
