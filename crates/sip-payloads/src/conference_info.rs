//! Conference state documents (RFC 4575, `application/conference-info+xml`) and the merging
//! of partial notifications into a full view.
//!
//! [`ConferenceInfo`] is the seed's `Conference` payload (MW-PAY-03), delivered by the
//! ConferenceHandler in `SIPSessionGotConferenceInfo`. A subscriber keeps the first full
//! document and [`ConferenceInfo::apply`]s every later NOTIFY to it.

use crate::document::Document;
use crate::error::Result;
use crate::xml::{Attribute, Cx, Element, Take, extend};

/// The conference-info namespace.
pub const NAMESPACE: &str = "urn:ietf:params:xml:ns:conference-info";

/// The `state` attribute of the document and of its containers (RFC 4575 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ElementState {
    /// The element carries its complete content (the default).
    #[default]
    Full,
    /// Only what changed since the previous notification.
    Partial,
    /// The element was removed.
    Deleted,
}

impl ElementState {
    fn parse(cx: &Cx, s: &str) -> Result<Self> {
        match s.trim() {
            "full" => Ok(Self::Full),
            "partial" => Ok(Self::Partial),
            "deleted" => Ok(Self::Deleted),
            _ => Err(cx.invalid_attr("state", s, "full, partial or deleted")),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Partial => "partial",
            Self::Deleted => "deleted",
        }
    }
}

fn read_state(t: &mut Take) -> Result<ElementState> {
    match t.attr("state") {
        None => Ok(ElementState::Full),
        Some(s) => ElementState::parse(&t.cx, &s),
    }
}

fn write_state(el: &mut Element, state: ElementState) {
    if state != ElementState::Full {
        el.push_attr("state", Some(state.as_str()));
    }
}

pub use crate::document::ApplyError;

/// A `<conference-info>` document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ConferenceInfo {
    /// `entity`: the conference URI.
    pub entity: String,
    /// `state`.
    pub state: ElementState,
    /// `version` (required on the top-level document, absent in sidebars by value).
    pub version: Option<u32>,
    /// `<conference-description>`.
    pub description: Option<ConferenceDescription>,
    /// `<host-info>`.
    pub host_info: Option<HostInfo>,
    /// `<conference-state>`.
    pub conference_state: Option<ConferenceState>,
    /// `<users>`.
    pub users: Option<Users>,
    /// `<sidebars-by-ref>`.
    pub sidebars_by_ref: Option<Uris>,
    /// `<sidebars-by-val>`: sidebars described in full, each as a nested conference.
    pub sidebars_by_val: Option<SidebarsByVal>,
    /// Unknown child elements.
    pub extensions: Vec<Element>,
    /// Unknown attributes.
    pub attributes: Vec<Attribute>,
}

/// `<conference-description>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ConferenceDescription {
    /// `state`.
    pub state: ElementState,
    /// `<display-text>`.
    pub display_text: Option<String>,
    /// `<subject>`.
    pub subject: Option<String>,
    /// `<free-text>`.
    pub free_text: Option<String>,
    /// `<keywords>` (space separated in the document).
    pub keywords: Vec<String>,
    /// `<conf-uris>`.
    pub conf_uris: Option<Uris>,
    /// `<service-uris>`.
    pub service_uris: Option<Uris>,
    /// `<maximum-user-count>`.
    pub maximum_user_count: Option<u32>,
    /// `<available-media>`.
    pub available_media: Option<AvailableMedia>,
    /// Unknown child elements.
    pub extensions: Vec<Element>,
}

/// A list of `<entry>` URIs (conf-uris, service-uris, associated-aors, sidebars-by-ref).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Uris {
    /// `state`.
    pub state: ElementState,
    /// Entries, keyed by URI.
    pub entries: Vec<UriEntry>,
}

/// An `<entry>` of [`Uris`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct UriEntry {
    /// `<uri>`.
    pub uri: String,
    /// `<display-text>`.
    pub display_text: Option<String>,
    /// `<purpose>`.
    pub purpose: Option<String>,
    /// `<modified>`.
    pub modified: Option<Execution>,
    /// `state` of the entry.
    pub state: ElementState,
    /// Unknown child elements.
    pub extensions: Vec<Element>,
}

impl UriEntry {
    /// An entry for a URI.
    pub fn new(uri: impl Into<String>) -> Self {
        UriEntry {
            uri: uri.into(),
            ..Default::default()
        }
    }
}

/// `<when>`, `<reason>`, `<by>` of an execution (referred, joining-info, disconnection-info,
/// modified).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Execution {
    /// `<when>` (RFC 3339).
    pub when: Option<String>,
    /// `<reason>`.
    pub reason: Option<String>,
    /// `<by>` URI.
    pub by: Option<String>,
}

/// `<available-media>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct AvailableMedia {
    /// `state`.
    pub state: ElementState,
    /// Entries, keyed by label.
    pub entries: Vec<MediaEntry>,
}

/// An `<entry>` of `<available-media>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct MediaEntry {
    /// `label` attribute.
    pub label: String,
    /// `<display-text>`.
    pub display_text: Option<String>,
    /// `<type>` (`audio`, `video`, …).
    pub media_type: Option<String>,
    /// `<status>` (`sendrecv`, …).
    pub status: Option<String>,
    /// `state` of the entry.
    pub state: ElementState,
}

/// `<host-info>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct HostInfo {
    /// `state`.
    pub state: ElementState,
    /// `<display-text>`.
    pub display_text: Option<String>,
    /// `<web-page>`.
    pub web_page: Option<String>,
    /// `<uris>`.
    pub uris: Option<Uris>,
    /// Unknown child elements.
    pub extensions: Vec<Element>,
}

/// `<conference-state>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ConferenceState {
    /// `state`.
    pub state: ElementState,
    /// `<user-count>`.
    pub user_count: Option<u32>,
    /// `<active>`.
    pub active: Option<bool>,
    /// `<locked>`.
    pub locked: Option<bool>,
    /// Unknown child elements.
    pub extensions: Vec<Element>,
}

/// `<users>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Users {
    /// `state`.
    pub state: ElementState,
    /// Users, keyed by entity.
    pub users: Vec<User>,
}

/// A `<user>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct User {
    /// `entity` attribute.
    pub entity: String,
    /// `state`.
    pub state: ElementState,
    /// `<display-text>`.
    pub display_text: Option<String>,
    /// `<associated-aors>`.
    pub associated_aors: Option<Uris>,
    /// `<roles>` entries.
    pub roles: Vec<String>,
    /// `<languages>` (space separated in the document).
    pub languages: Vec<String>,
    /// `<cascaded-focus>`.
    pub cascaded_focus: Option<String>,
    /// `<endpoint>`s, keyed by entity.
    pub endpoints: Vec<Endpoint>,
    /// Unknown child elements.
    pub extensions: Vec<Element>,
    /// Unknown attributes.
    pub attributes: Vec<Attribute>,
}

impl User {
    /// A user for this entity.
    pub fn new(entity: impl Into<String>) -> Self {
        User {
            entity: entity.into(),
            ..Default::default()
        }
    }
}

/// An `<endpoint>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Endpoint {
    /// `entity` attribute.
    pub entity: String,
    /// `state`.
    pub state: ElementState,
    /// `<display-text>`.
    pub display_text: Option<String>,
    /// `<referred>`.
    pub referred: Option<Execution>,
    /// `<status>` (`connected`, `disconnected`, `on-hold`, `alerting`, …).
    pub status: Option<String>,
    /// `<joining-method>`.
    pub joining_method: Option<String>,
    /// `<joining-info>`.
    pub joining_info: Option<Execution>,
    /// `<disconnection-method>`.
    pub disconnection_method: Option<String>,
    /// `<disconnection-info>`.
    pub disconnection_info: Option<Execution>,
    /// `<media>`, keyed by id.
    pub media: Vec<Media>,
    /// `<call-info><sip>…</sip></call-info>`.
    pub call_info: Option<SipDialogId>,
    /// Unknown child elements.
    pub extensions: Vec<Element>,
    /// Unknown attributes.
    pub attributes: Vec<Attribute>,
}

impl Endpoint {
    /// An endpoint for this entity.
    pub fn new(entity: impl Into<String>) -> Self {
        Endpoint {
            entity: entity.into(),
            ..Default::default()
        }
    }
}

/// A `<media>` stream of an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Media {
    /// `id` attribute.
    pub id: String,
    /// `state` attribute (accepted as an extension attribute, used when merging).
    pub state: ElementState,
    /// `<display-text>`.
    pub display_text: Option<String>,
    /// `<type>`.
    pub media_type: Option<String>,
    /// `<label>`.
    pub label: Option<String>,
    /// `<src-id>`.
    pub src_id: Option<String>,
    /// `<status>`.
    pub status: Option<String>,
    /// Unknown child elements.
    pub extensions: Vec<Element>,
}

/// The SIP dialog of an endpoint (`<call-info><sip>`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SipDialogId {
    /// `<display-text>`.
    pub display_text: Option<String>,
    /// `<call-id>`.
    pub call_id: String,
    /// `<from-tag>`.
    pub from_tag: String,
    /// `<to-tag>`.
    pub to_tag: String,
}

/// `<sidebars-by-val>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SidebarsByVal {
    /// `state`.
    pub state: ElementState,
    /// Sidebars, keyed by entity.
    pub entries: Vec<ConferenceInfo>,
}

fn text(t: &mut Take, name: &'static str) -> Result<Option<String>> {
    t.text_of(NAMESPACE, name)
}

fn read_execution(cx: Cx, e: Element) -> Result<Execution> {
    let mut t = Take::new(cx, e);
    Ok(Execution {
        when: text(&mut t, "when")?,
        reason: text(&mut t, "reason")?,
        by: text(&mut t, "by")?,
    })
}

fn write_execution(name: &str, x: &Execution) -> Element {
    let mut e = Element::new(NAMESPACE, name);
    e.push_text_child(NAMESPACE, "when", x.when.as_ref());
    e.push_text_child(NAMESPACE, "reason", x.reason.as_ref());
    e.push_text_child(NAMESPACE, "by", x.by.as_ref());
    e
}

fn opt_execution(t: &mut Take, name: &'static str) -> Result<Option<Execution>> {
    match t.one(NAMESPACE, name)? {
        None => Ok(None),
        Some(e) => Ok(Some(read_execution(t.cx.child(name, None), e)?)),
    }
}

fn read_uris(cx: Cx, e: Element) -> Result<Uris> {
    let mut t = Take::new(cx, e);
    let state = read_state(&mut t)?;
    let mut entries = Vec::new();
    for (i, e) in t.all(NAMESPACE, "entry").into_iter().enumerate() {
        let mut et = Take::new(t.cx.child("entry", Some(i)), e);
        let state = read_state(&mut et)?;
        let uri = et.req(NAMESPACE, "uri")?.text().trim().to_owned();
        let display_text = text(&mut et, "display-text")?;
        let purpose = text(&mut et, "purpose")?;
        let modified = opt_execution(&mut et, "modified")?;
        let (extensions, _) = et.rest();
        entries.push(UriEntry {
            uri,
            display_text,
            purpose,
            modified,
            state,
            extensions,
        });
    }
    Ok(Uris { state, entries })
}

fn opt_uris(t: &mut Take, name: &'static str) -> Result<Option<Uris>> {
    match t.one(NAMESPACE, name)? {
        None => Ok(None),
        Some(e) => Ok(Some(read_uris(t.cx.child(name, None), e)?)),
    }
}

fn write_uris(name: &str, u: &Uris) -> Element {
    let mut el = Element::new(NAMESPACE, name);
    write_state(&mut el, u.state);
    for entry in &u.entries {
        let mut ee = Element::new(NAMESPACE, "entry");
        write_state(&mut ee, entry.state);
        ee.push(Element::new(NAMESPACE, "uri").with_text(&entry.uri));
        ee.push_text_child(NAMESPACE, "display-text", entry.display_text.as_ref());
        ee.push_text_child(NAMESPACE, "purpose", entry.purpose.as_ref());
        if let Some(m) = &entry.modified {
            ee.push(write_execution("modified", m));
        }
        for x in &entry.extensions {
            ee.push(x.clone());
        }
        el.push(ee);
    }
    el
}

fn words(s: Option<String>) -> Vec<String> {
    s.map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

impl ConferenceInfo {
    /// An empty full document.
    pub fn new(entity: impl Into<String>, version: u32) -> Self {
        ConferenceInfo {
            entity: entity.into(),
            version: Some(version),
            ..Default::default()
        }
    }

    fn read(cx: Cx, el: Element, top: bool) -> Result<ConferenceInfo> {
        let mut t = Take::new(cx, el);
        let entity = t.req_attr("entity")?;
        let state = read_state(&mut t)?;
        let version = if top {
            let v = t.req_attr("version")?;
            Some(
                v.trim()
                    .parse()
                    .map_err(|_| t.cx.invalid_attr("version", &v, "a version number"))?,
            )
        } else {
            t.attr_parse("version", "a version number")?
        };
        let description = match t.one(NAMESPACE, "conference-description")? {
            None => None,
            Some(e) => {
                let mut d = Take::new(t.cx.child("conference-description", None), e);
                let state = read_state(&mut d)?;
                let display_text = text(&mut d, "display-text")?;
                let subject = text(&mut d, "subject")?;
                let free_text = text(&mut d, "free-text")?;
                let keywords = words(text(&mut d, "keywords")?);
                let conf_uris = opt_uris(&mut d, "conf-uris")?;
                let service_uris = opt_uris(&mut d, "service-uris")?;
                let maximum_user_count = d.parse_of(NAMESPACE, "maximum-user-count", "a count")?;
                let available_media = match d.one(NAMESPACE, "available-media")? {
                    None => None,
                    Some(e) => {
                        let mut m = Take::new(d.cx.child("available-media", None), e);
                        let state = read_state(&mut m)?;
                        let mut entries = Vec::new();
                        for (i, e) in m.all(NAMESPACE, "entry").into_iter().enumerate() {
                            let mut et = Take::new(m.cx.child("entry", Some(i)), e);
                            let label = et.req_attr("label")?;
                            let state = read_state(&mut et)?;
                            entries.push(MediaEntry {
                                label,
                                display_text: text(&mut et, "display-text")?,
                                media_type: text(&mut et, "type")?,
                                status: text(&mut et, "status")?,
                                state,
                            });
                        }
                        Some(AvailableMedia { state, entries })
                    }
                };
                let (extensions, _) = d.rest();
                Some(ConferenceDescription {
                    state,
                    display_text,
                    subject,
                    free_text,
                    keywords,
                    conf_uris,
                    service_uris,
                    maximum_user_count,
                    available_media,
                    extensions,
                })
            }
        };
        let host_info = match t.one(NAMESPACE, "host-info")? {
            None => None,
            Some(e) => {
                let mut h = Take::new(t.cx.child("host-info", None), e);
                let state = read_state(&mut h)?;
                let display_text = text(&mut h, "display-text")?;
                let web_page = text(&mut h, "web-page")?;
                let uris = opt_uris(&mut h, "uris")?;
                let (extensions, _) = h.rest();
                Some(HostInfo {
                    state,
                    display_text,
                    web_page,
                    uris,
                    extensions,
                })
            }
        };
        let conference_state = match t.one(NAMESPACE, "conference-state")? {
            None => None,
            Some(e) => {
                let mut s = Take::new(t.cx.child("conference-state", None), e);
                let state = read_state(&mut s)?;
                let user_count = s.parse_of(NAMESPACE, "user-count", "a count")?;
                let active = s.bool_of(NAMESPACE, "active")?;
                let locked = s.bool_of(NAMESPACE, "locked")?;
                let (extensions, _) = s.rest();
                Some(ConferenceState {
                    state,
                    user_count,
                    active,
                    locked,
                    extensions,
                })
            }
        };
        let users = match t.one(NAMESPACE, "users")? {
            None => None,
            Some(e) => {
                let mut u = Take::new(t.cx.child("users", None), e);
                let state = read_state(&mut u)?;
                let users = u
                    .all(NAMESPACE, "user")
                    .into_iter()
                    .enumerate()
                    .map(|(i, e)| User::read(u.cx.child("user", Some(i)), e))
                    .collect::<Result<_>>()?;
                Some(Users { state, users })
            }
        };
        let sidebars_by_ref = opt_uris(&mut t, "sidebars-by-ref")?;
        let sidebars_by_val = match t.one(NAMESPACE, "sidebars-by-val")? {
            None => None,
            Some(e) => {
                let mut s = Take::new(t.cx.child("sidebars-by-val", None), e);
                let state = read_state(&mut s)?;
                let entries = s
                    .all(NAMESPACE, "entry")
                    .into_iter()
                    .enumerate()
                    .map(|(i, e)| ConferenceInfo::read(s.cx.child("entry", Some(i)), e, false))
                    .collect::<Result<_>>()?;
                Some(SidebarsByVal { state, entries })
            }
        };
        let (extensions, attributes) = t.rest();
        Ok(ConferenceInfo {
            entity,
            state,
            version,
            description,
            host_info,
            conference_state,
            users,
            sidebars_by_ref,
            sidebars_by_val,
            extensions,
            attributes,
        })
    }

    fn write(&self, name: &str, top: bool) -> Element {
        let mut el = Element::new(NAMESPACE, name).with_attribute("entity", &self.entity);
        if top {
            el.push_attr("state", Some(self.state.as_str()));
        } else {
            write_state(&mut el, self.state);
        }
        el.push_attr("version", self.version);
        if let Some(d) = &self.description {
            let mut de = Element::new(NAMESPACE, "conference-description");
            write_state(&mut de, d.state);
            de.push_text_child(NAMESPACE, "display-text", d.display_text.as_ref());
            de.push_text_child(NAMESPACE, "subject", d.subject.as_ref());
            de.push_text_child(NAMESPACE, "free-text", d.free_text.as_ref());
            if !d.keywords.is_empty() {
                de.push_text_child(NAMESPACE, "keywords", Some(d.keywords.join(" ")));
            }
            if let Some(u) = &d.conf_uris {
                de.push(write_uris("conf-uris", u));
            }
            if let Some(u) = &d.service_uris {
                de.push(write_uris("service-uris", u));
            }
            de.push_text_child(NAMESPACE, "maximum-user-count", d.maximum_user_count);
            if let Some(m) = &d.available_media {
                let mut me = Element::new(NAMESPACE, "available-media");
                write_state(&mut me, m.state);
                for entry in &m.entries {
                    let mut ee =
                        Element::new(NAMESPACE, "entry").with_attribute("label", &entry.label);
                    write_state(&mut ee, entry.state);
                    ee.push_text_child(NAMESPACE, "display-text", entry.display_text.as_ref());
                    ee.push_text_child(NAMESPACE, "type", entry.media_type.as_ref());
                    ee.push_text_child(NAMESPACE, "status", entry.status.as_ref());
                    me.push(ee);
                }
                de.push(me);
            }
            for x in &d.extensions {
                de.push(x.clone());
            }
            el.push(de);
        }
        if let Some(h) = &self.host_info {
            let mut he = Element::new(NAMESPACE, "host-info");
            write_state(&mut he, h.state);
            he.push_text_child(NAMESPACE, "display-text", h.display_text.as_ref());
            he.push_text_child(NAMESPACE, "web-page", h.web_page.as_ref());
            if let Some(u) = &h.uris {
                he.push(write_uris("uris", u));
            }
            for x in &h.extensions {
                he.push(x.clone());
            }
            el.push(he);
        }
        if let Some(s) = &self.conference_state {
            let mut se = Element::new(NAMESPACE, "conference-state");
            write_state(&mut se, s.state);
            se.push_text_child(NAMESPACE, "user-count", s.user_count);
            se.push_text_child(NAMESPACE, "active", s.active);
            se.push_text_child(NAMESPACE, "locked", s.locked);
            for x in &s.extensions {
                se.push(x.clone());
            }
            el.push(se);
        }
        if let Some(u) = &self.users {
            let mut ue = Element::new(NAMESPACE, "users");
            write_state(&mut ue, u.state);
            for user in &u.users {
                ue.push(user.write());
            }
            el.push(ue);
        }
        if let Some(s) = &self.sidebars_by_ref {
            el.push(write_uris("sidebars-by-ref", s));
        }
        if let Some(s) = &self.sidebars_by_val {
            let mut se = Element::new(NAMESPACE, "sidebars-by-val");
            write_state(&mut se, s.state);
            for entry in &s.entries {
                se.push(entry.write("entry", false));
            }
            el.push(se);
        }
        extend(&mut el, &self.extensions, &self.attributes);
        el
    }
}

impl User {
    fn read(cx: Cx, e: Element) -> Result<User> {
        let mut t = Take::new(cx, e);
        let entity = t.req_attr("entity")?;
        let state = read_state(&mut t)?;
        let display_text = text(&mut t, "display-text")?;
        let associated_aors = opt_uris(&mut t, "associated-aors")?;
        let roles = match t.one(NAMESPACE, "roles")? {
            None => Vec::new(),
            Some(r) => r
                .elements()
                .filter(|e| e.is(NAMESPACE, "entry"))
                .map(|e| e.text().trim().to_owned())
                .collect(),
        };
        let languages = words(text(&mut t, "languages")?);
        let cascaded_focus = text(&mut t, "cascaded-focus")?;
        let endpoints = t
            .all(NAMESPACE, "endpoint")
            .into_iter()
            .enumerate()
            .map(|(i, e)| Endpoint::read(t.cx.child("endpoint", Some(i)), e))
            .collect::<Result<_>>()?;
        let (extensions, attributes) = t.rest();
        Ok(User {
            entity,
            state,
            display_text,
            associated_aors,
            roles,
            languages,
            cascaded_focus,
            endpoints,
            extensions,
            attributes,
        })
    }

    fn write(&self) -> Element {
        let mut el = Element::new(NAMESPACE, "user").with_attribute("entity", &self.entity);
        write_state(&mut el, self.state);
        el.attributes.extend(self.attributes.iter().cloned());
        el.push_text_child(NAMESPACE, "display-text", self.display_text.as_ref());
        if let Some(u) = &self.associated_aors {
            el.push(write_uris("associated-aors", u));
        }
        if !self.roles.is_empty() {
            let mut re = Element::new(NAMESPACE, "roles");
            for r in &self.roles {
                re.push(Element::new(NAMESPACE, "entry").with_text(r));
            }
            el.push(re);
        }
        if !self.languages.is_empty() {
            el.push_text_child(NAMESPACE, "languages", Some(self.languages.join(" ")));
        }
        el.push_text_child(NAMESPACE, "cascaded-focus", self.cascaded_focus.as_ref());
        for e in &self.endpoints {
            el.push(e.write());
        }
        for x in &self.extensions {
            el.push(x.clone());
        }
        el
    }
}

impl Endpoint {
    fn read(cx: Cx, e: Element) -> Result<Endpoint> {
        let mut t = Take::new(cx, e);
        let entity = t.req_attr("entity")?;
        let state = read_state(&mut t)?;
        let display_text = text(&mut t, "display-text")?;
        let referred = opt_execution(&mut t, "referred")?;
        let status = text(&mut t, "status")?.map(|s| s.trim().to_owned());
        let joining_method = text(&mut t, "joining-method")?.map(|s| s.trim().to_owned());
        let joining_info = opt_execution(&mut t, "joining-info")?;
        let disconnection_method =
            text(&mut t, "disconnection-method")?.map(|s| s.trim().to_owned());
        let disconnection_info = opt_execution(&mut t, "disconnection-info")?;
        let mut media = Vec::new();
        for (i, e) in t.all(NAMESPACE, "media").into_iter().enumerate() {
            let mut m = Take::new(t.cx.child("media", Some(i)), e);
            let id = m.req_attr("id")?;
            let state = read_state(&mut m)?;
            let display_text = text(&mut m, "display-text")?;
            let media_type = text(&mut m, "type")?;
            let label = text(&mut m, "label")?;
            let src_id = text(&mut m, "src-id")?;
            let status = text(&mut m, "status")?;
            let (extensions, _) = m.rest();
            media.push(Media {
                id,
                state,
                display_text,
                media_type,
                label,
                src_id,
                status,
                extensions,
            });
        }
        let call_info = match t.one(NAMESPACE, "call-info")? {
            None => None,
            Some(e) => {
                let mut c = Take::new(t.cx.child("call-info", None), e);
                match c.one(NAMESPACE, "sip")? {
                    None => None,
                    Some(s) => {
                        let mut st = Take::new(c.cx.child("sip", None), s);
                        let display_text = text(&mut st, "display-text")?;
                        let call_id = st.req(NAMESPACE, "call-id")?.text();
                        let from_tag = st.req(NAMESPACE, "from-tag")?.text();
                        let to_tag = st.req(NAMESPACE, "to-tag")?.text();
                        Some(SipDialogId {
                            display_text,
                            call_id,
                            from_tag,
                            to_tag,
                        })
                    }
                }
            }
        };
        let (extensions, attributes) = t.rest();
        Ok(Endpoint {
            entity,
            state,
            display_text,
            referred,
            status,
            joining_method,
            joining_info,
            disconnection_method,
            disconnection_info,
            media,
            call_info,
            extensions,
            attributes,
        })
    }

    fn write(&self) -> Element {
        let mut el = Element::new(NAMESPACE, "endpoint").with_attribute("entity", &self.entity);
        write_state(&mut el, self.state);
        el.attributes.extend(self.attributes.iter().cloned());
        el.push_text_child(NAMESPACE, "display-text", self.display_text.as_ref());
        if let Some(x) = &self.referred {
            el.push(write_execution("referred", x));
        }
        el.push_text_child(NAMESPACE, "status", self.status.as_ref());
        el.push_text_child(NAMESPACE, "joining-method", self.joining_method.as_ref());
        if let Some(x) = &self.joining_info {
            el.push(write_execution("joining-info", x));
        }
        el.push_text_child(
            NAMESPACE,
            "disconnection-method",
            self.disconnection_method.as_ref(),
        );
        if let Some(x) = &self.disconnection_info {
            el.push(write_execution("disconnection-info", x));
        }
        for m in &self.media {
            let mut me = Element::new(NAMESPACE, "media").with_attribute("id", &m.id);
            write_state(&mut me, m.state);
            me.push_text_child(NAMESPACE, "display-text", m.display_text.as_ref());
            me.push_text_child(NAMESPACE, "type", m.media_type.as_ref());
            me.push_text_child(NAMESPACE, "label", m.label.as_ref());
            me.push_text_child(NAMESPACE, "src-id", m.src_id.as_ref());
            me.push_text_child(NAMESPACE, "status", m.status.as_ref());
            for x in &m.extensions {
                me.push(x.clone());
            }
            el.push(me);
        }
        if let Some(c) = &self.call_info {
            let mut se = Element::new(NAMESPACE, "sip");
            se.push_text_child(NAMESPACE, "display-text", c.display_text.as_ref());
            se.push_text_child(NAMESPACE, "call-id", Some(&c.call_id));
            se.push_text_child(NAMESPACE, "from-tag", Some(&c.from_tag));
            se.push_text_child(NAMESPACE, "to-tag", Some(&c.to_tag));
            el.push(Element::new(NAMESPACE, "call-info").with_child(se));
        }
        for x in &self.extensions {
            el.push(x.clone());
        }
        el
    }
}

impl Document for ConferenceInfo {
    const DOCUMENT: &'static str = "conference-info";
    const CONTENT_TYPE: &'static str = "application/conference-info+xml";

    fn from_element(root: Element) -> Result<Self> {
        let cx = Cx::check_root(Self::DOCUMENT, &root, NAMESPACE, "conference-info")?;
        ConferenceInfo::read(cx, root, true)
    }

    fn to_element(&self) -> Element {
        self.write("conference-info", true)
    }
}

// ---- merging (RFC 4575 §4.6 and the state attribute of §5) ----

fn set<T: Clone>(target: &mut Option<T>, update: &Option<T>) {
    if update.is_some() {
        target.clone_from(update);
    }
}

/// Merges keyed children: `deleted` removes, `full` replaces (or inserts), `partial` merges
/// into the existing entry (or inserts it).
fn merge_keyed<T: Clone>(
    target: &mut Vec<T>,
    updates: &[T],
    key: impl Fn(&T) -> &str,
    state: impl Fn(&T) -> ElementState,
    merge: impl Fn(&mut T, &T),
) {
    for u in updates {
        let pos = target.iter().position(|t| key(t) == key(u));
        match (state(u), pos) {
            (ElementState::Deleted, Some(i)) => {
                target.remove(i);
            }
            (ElementState::Deleted, None) => {}
            (ElementState::Full, Some(i)) => target[i] = u.clone(),
            (ElementState::Partial, Some(i)) => merge(&mut target[i], u),
            (_, None) => target.push(u.clone()),
        }
    }
}

/// Merges an optional container whose own `state` says how.
fn merge_container<T: Clone>(
    target: &mut Option<T>,
    update: &Option<T>,
    state: impl Fn(&T) -> ElementState,
    merge: impl Fn(&mut T, &T),
) {
    let Some(u) = update else { return };
    match (state(u), target.as_mut()) {
        (ElementState::Deleted, _) => *target = None,
        (ElementState::Partial, Some(t)) => merge(t, u),
        _ => *target = Some(u.clone()),
    }
}

fn merge_uris(t: &mut Uris, u: &Uris) {
    merge_keyed(
        &mut t.entries,
        &u.entries,
        |e| &e.uri,
        |e| e.state,
        |a, b| {
            set(&mut a.display_text, &b.display_text);
            set(&mut a.purpose, &b.purpose);
            set(&mut a.modified, &b.modified);
            if !b.extensions.is_empty() {
                a.extensions.clone_from(&b.extensions);
            }
        },
    );
}

fn merge_media(t: &mut Media, u: &Media) {
    set(&mut t.display_text, &u.display_text);
    set(&mut t.media_type, &u.media_type);
    set(&mut t.label, &u.label);
    set(&mut t.src_id, &u.src_id);
    set(&mut t.status, &u.status);
    if !u.extensions.is_empty() {
        t.extensions.clone_from(&u.extensions);
    }
}

fn merge_endpoint(t: &mut Endpoint, u: &Endpoint) {
    set(&mut t.display_text, &u.display_text);
    set(&mut t.referred, &u.referred);
    set(&mut t.status, &u.status);
    set(&mut t.joining_method, &u.joining_method);
    set(&mut t.joining_info, &u.joining_info);
    set(&mut t.disconnection_method, &u.disconnection_method);
    set(&mut t.disconnection_info, &u.disconnection_info);
    set(&mut t.call_info, &u.call_info);
    merge_keyed(&mut t.media, &u.media, |m| &m.id, |m| m.state, merge_media);
    if !u.extensions.is_empty() {
        t.extensions.clone_from(&u.extensions);
    }
}

fn merge_user(t: &mut User, u: &User) {
    set(&mut t.display_text, &u.display_text);
    merge_container(
        &mut t.associated_aors,
        &u.associated_aors,
        |x| x.state,
        merge_uris,
    );
    if !u.roles.is_empty() {
        t.roles.clone_from(&u.roles);
    }
    if !u.languages.is_empty() {
        t.languages.clone_from(&u.languages);
    }
    set(&mut t.cascaded_focus, &u.cascaded_focus);
    merge_keyed(
        &mut t.endpoints,
        &u.endpoints,
        |e| &e.entity,
        |e| e.state,
        merge_endpoint,
    );
    if !u.extensions.is_empty() {
        t.extensions.clone_from(&u.extensions);
    }
}

fn merge_sections(t: &mut ConferenceInfo, u: &ConferenceInfo) {
    merge_container(
        &mut t.description,
        &u.description,
        |d| d.state,
        |a, b| {
            set(&mut a.display_text, &b.display_text);
            set(&mut a.subject, &b.subject);
            set(&mut a.free_text, &b.free_text);
            if !b.keywords.is_empty() {
                a.keywords.clone_from(&b.keywords);
            }
            merge_container(&mut a.conf_uris, &b.conf_uris, |x| x.state, merge_uris);
            merge_container(
                &mut a.service_uris,
                &b.service_uris,
                |x| x.state,
                merge_uris,
            );
            set(&mut a.maximum_user_count, &b.maximum_user_count);
            merge_container(
                &mut a.available_media,
                &b.available_media,
                |x| x.state,
                |x, y| {
                    merge_keyed(
                        &mut x.entries,
                        &y.entries,
                        |e| &e.label,
                        |e| e.state,
                        |p, q| {
                            set(&mut p.display_text, &q.display_text);
                            set(&mut p.media_type, &q.media_type);
                            set(&mut p.status, &q.status);
                        },
                    );
                },
            );
            if !b.extensions.is_empty() {
                a.extensions.clone_from(&b.extensions);
            }
        },
    );
    merge_container(
        &mut t.host_info,
        &u.host_info,
        |h| h.state,
        |a, b| {
            set(&mut a.display_text, &b.display_text);
            set(&mut a.web_page, &b.web_page);
            merge_container(&mut a.uris, &b.uris, |x| x.state, merge_uris);
            if !b.extensions.is_empty() {
                a.extensions.clone_from(&b.extensions);
            }
        },
    );
    merge_container(
        &mut t.conference_state,
        &u.conference_state,
        |s| s.state,
        |a, b| {
            set(&mut a.user_count, &b.user_count);
            set(&mut a.active, &b.active);
            set(&mut a.locked, &b.locked);
            if !b.extensions.is_empty() {
                a.extensions.clone_from(&b.extensions);
            }
        },
    );
    merge_container(
        &mut t.users,
        &u.users,
        |x| x.state,
        |a, b| {
            merge_keyed(
                &mut a.users,
                &b.users,
                |x| &x.entity,
                |x| x.state,
                merge_user,
            );
        },
    );
    merge_container(
        &mut t.sidebars_by_ref,
        &u.sidebars_by_ref,
        |x| x.state,
        merge_uris,
    );
    merge_container(
        &mut t.sidebars_by_val,
        &u.sidebars_by_val,
        |x| x.state,
        |a, b| {
            merge_keyed(
                &mut a.entries,
                &b.entries,
                |x| &x.entity,
                |x| x.state,
                merge_sections,
            );
        },
    );
    if !u.extensions.is_empty() {
        t.extensions.clone_from(&u.extensions);
    }
}

impl ConferenceInfo {
    /// Applies a notification received after this one (RFC 4575 §4.6).
    ///
    /// A notification whose version is not newer is refused with [`ApplyError::Stale`]. A full
    /// document replaces this one. A partial document must carry the next version (else
    /// [`ApplyError::Gap`]: a notification was lost and the subscription should be refreshed)
    /// and is merged: containers and entries with `state="full"` replace what is held, with
    /// `state="partial"` update it field by field (entries matched by their key: user and
    /// endpoint `entity`, media `id`, URI entries `uri`, available media `label`), and with
    /// `state="deleted"` remove it. On error `self` is unchanged.
    pub fn apply(&mut self, update: &ConferenceInfo) -> Result<(), ApplyError> {
        if update.entity != self.entity {
            return Err(ApplyError::EntityMismatch {
                current: self.entity.clone(),
                received: update.entity.clone(),
            });
        }
        if self.state != ElementState::Full {
            return Err(ApplyError::NoFullState);
        }
        if let (Some(current), Some(received)) = (self.version, update.version) {
            crate::document::check_version(
                current,
                received,
                update.state == ElementState::Partial,
            )?;
        }
        match update.state {
            ElementState::Full => *self = update.clone(),
            ElementState::Partial => {
                merge_sections(self, update);
                self.version = update.version.or(self.version);
            }
            ElementState::Deleted => {
                let entity = self.entity.clone();
                *self = ConferenceInfo {
                    entity,
                    version: update.version,
                    ..Default::default()
                };
            }
        }
        Ok(())
    }
}
