//! Watcher information (RFC 3857/3858, `application/watcherinfo+xml`), MW-PAY-05: the
//! `WatcherList`s of `SIPAccountGotPresenceWinfo` and `SIPAccountGotDialogWinfo`.

use crate::dialog_info::DocumentState;
use crate::document::{ApplyError, Document, check_version};
use crate::error::Result;
use crate::xml::{Attribute, Cx, Element, Take, extend};

/// The watcherinfo namespace.
pub const NAMESPACE: &str = "urn:ietf:params:xml:ns:watcherinfo";

/// A `<watcherinfo>` document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct WatcherInfo {
    /// `version`.
    pub version: u32,
    /// `state` (full or partial).
    pub state: DocumentState,
    /// `<watcher-list>`s, one per watched resource and package.
    pub watcher_lists: Vec<WatcherList>,
    /// Unknown child elements.
    pub extensions: Vec<Element>,
    /// Unknown attributes.
    pub attributes: Vec<Attribute>,
}

impl WatcherInfo {
    /// Applies a NOTIFY received after this one (RFC 3857 §4.4): a full document (with a newer
    /// version) replaces this one; a partial one must carry the next version, and each watcher
    /// it lists replaces the one with the same `id` in the same watcher list (or is added),
    /// except `terminated` watchers, which are removed. On error `self` is unchanged.
    pub fn apply(&mut self, update: &WatcherInfo) -> Result<(), ApplyError> {
        if self.state != DocumentState::Full {
            return Err(ApplyError::NoFullState);
        }
        check_version(
            self.version,
            update.version,
            update.state == DocumentState::Partial,
        )?;
        if update.state == DocumentState::Full {
            *self = update.clone();
            return Ok(());
        }
        for list in &update.watcher_lists {
            let index = match self
                .watcher_lists
                .iter()
                .position(|l| l.resource == list.resource && l.package == list.package)
            {
                Some(i) => i,
                None => {
                    let mut empty = list.clone();
                    empty.watchers.clear();
                    self.watcher_lists.push(empty);
                    self.watcher_lists.len() - 1
                }
            };
            let target = &mut self.watcher_lists[index].watchers;
            for w in &list.watchers {
                let pos = target.iter().position(|x| x.id == w.id);
                match (w.status, pos) {
                    (WatcherStatus::Terminated, Some(i)) => {
                        target.remove(i);
                    }
                    (WatcherStatus::Terminated, None) => {}
                    (_, Some(i)) => target[i] = w.clone(),
                    (_, None) => target.push(w.clone()),
                }
            }
        }
        self.version = update.version;
        Ok(())
    }
}

/// A `<watcher-list>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct WatcherList {
    /// `resource`: the watched URI.
    pub resource: String,
    /// `package`: the event package (`presence`).
    pub package: String,
    /// `<watcher>`s.
    pub watchers: Vec<Watcher>,
    /// Unknown child elements.
    pub extensions: Vec<Element>,
}

/// The `status` of a watcher's subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatcherStatus {
    /// `pending`: awaiting authorization.
    Pending,
    /// `active`.
    Active,
    /// `waiting`: rejected but still of interest.
    Waiting,
    /// `terminated`.
    Terminated,
}

/// A `<watcher>`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Watcher {
    /// `id`.
    pub id: String,
    /// `status`.
    pub status: WatcherStatus,
    /// `event` that caused the last change (`subscribe`, `approved`, `deactivated`,
    /// `probation`, `rejected`, `timeout`, `giveup`, `noresource`).
    pub event: String,
    /// `display-name`.
    pub display_name: Option<String>,
    /// `expiration` (seconds).
    pub expiration: Option<u64>,
    /// `duration-subscribed` (seconds).
    pub duration_subscribed: Option<u64>,
    /// `xml:lang`.
    pub lang: Option<String>,
    /// The watcher's URI (element text).
    pub uri: String,
    /// Unknown attributes.
    pub attributes: Vec<Attribute>,
}

impl Watcher {
    /// A watcher.
    pub fn new(
        id: impl Into<String>,
        uri: impl Into<String>,
        status: WatcherStatus,
        event: impl Into<String>,
    ) -> Self {
        Watcher {
            id: id.into(),
            status,
            event: event.into(),
            display_name: None,
            expiration: None,
            duration_subscribed: None,
            lang: None,
            uri: uri.into(),
            attributes: Vec::new(),
        }
    }
}

const EVENTS: &[&str] = &[
    "subscribe",
    "approved",
    "deactivated",
    "probation",
    "rejected",
    "timeout",
    "giveup",
    "noresource",
];

impl Watcher {
    fn read(cx: Cx, e: Element) -> Result<Watcher> {
        let mut t = Take::new(cx, e);
        let id = t.req_attr("id")?;
        let status = t.req_attr("status")?;
        let status = match status.trim() {
            "pending" => WatcherStatus::Pending,
            "active" => WatcherStatus::Active,
            "waiting" => WatcherStatus::Waiting,
            "terminated" => WatcherStatus::Terminated,
            _ => {
                return Err(t.cx.invalid_attr(
                    "status",
                    &status,
                    "pending, active, waiting or terminated",
                ));
            }
        };
        let event = t.req_attr("event")?.trim().to_owned();
        if !EVENTS.contains(&event.as_str()) {
            return Err(t.cx.invalid_attr("event", &event, "a watcherinfo event"));
        }
        let display_name = t.attr("display-name");
        let expiration = t.attr_parse("expiration", "seconds")?;
        let duration_subscribed = t.attr_parse("duration-subscribed", "seconds")?;
        let lang = t.attr_ns(crate::xml::XML_NS, "lang");
        let uri = t.own_text().trim().to_owned();
        let (_, attributes) = t.rest();
        Ok(Watcher {
            id,
            status,
            event,
            display_name,
            expiration,
            duration_subscribed,
            lang,
            uri,
            attributes,
        })
    }

    fn write(&self) -> Element {
        let status = match self.status {
            WatcherStatus::Pending => "pending",
            WatcherStatus::Active => "active",
            WatcherStatus::Waiting => "waiting",
            WatcherStatus::Terminated => "terminated",
        };
        let mut el = Element::new(NAMESPACE, "watcher")
            .with_attribute("id", &self.id)
            .with_attribute("status", status)
            .with_attribute("event", &self.event);
        el.push_attr("display-name", self.display_name.as_ref());
        el.push_attr("expiration", self.expiration);
        el.push_attr("duration-subscribed", self.duration_subscribed);
        if let Some(l) = &self.lang {
            el.attributes
                .push(Attribute::namespaced(crate::xml::XML_NS, "lang", l.clone()));
        }
        el.attributes.extend(self.attributes.iter().cloned());
        el.with_text(&self.uri)
    }
}

impl Document for WatcherInfo {
    const DOCUMENT: &'static str = "watcherinfo";
    const CONTENT_TYPE: &'static str = "application/watcherinfo+xml";

    fn from_element(root: Element) -> Result<Self> {
        let cx = Cx::check_root(Self::DOCUMENT, &root, NAMESPACE, "watcherinfo")?;
        let mut t = Take::new(cx, root);
        let version = t.req_attr("version")?;
        let version = version
            .trim()
            .parse()
            .map_err(|_| t.cx.invalid_attr("version", &version, "a version number"))?;
        let state = t.req_attr("state")?;
        let state = DocumentState::parse(&t.cx, "state", &state)?;
        let mut watcher_lists = Vec::new();
        for (i, e) in t.all(NAMESPACE, "watcher-list").into_iter().enumerate() {
            let mut l = Take::new(t.cx.child("watcher-list", Some(i)), e);
            let resource = l.req_attr("resource")?;
            let package = l.req_attr("package")?;
            let watchers = l
                .all(NAMESPACE, "watcher")
                .into_iter()
                .enumerate()
                .map(|(j, e)| Watcher::read(l.cx.child("watcher", Some(j)), e))
                .collect::<Result<_>>()?;
            let (extensions, _) = l.rest();
            watcher_lists.push(WatcherList {
                resource,
                package,
                watchers,
                extensions,
            });
        }
        let (extensions, attributes) = t.rest();
        Ok(WatcherInfo {
            version,
            state,
            watcher_lists,
            extensions,
            attributes,
        })
    }

    fn to_element(&self) -> Element {
        let mut el = Element::new(NAMESPACE, "watcherinfo")
            .with_attribute("version", self.version.to_string())
            .with_attribute("state", self.state.as_str());
        for l in &self.watcher_lists {
            let mut le = Element::new(NAMESPACE, "watcher-list")
                .with_attribute("resource", &l.resource)
                .with_attribute("package", &l.package);
            for w in &l.watchers {
                le.push(w.write());
            }
            for x in &l.extensions {
                le.push(x.clone());
            }
            el.push(le);
        }
        extend(&mut el, &self.extensions, &self.attributes);
        el
    }
}
