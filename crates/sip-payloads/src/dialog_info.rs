//! Dialog state documents (RFC 4235, `application/dialog-info+xml`).
//!
//! [`DialogInfo`] is the seed's `DialogInfo` (MW-PAY-02), the body of `Account.dialog_state`
//! publications and of dialog NOTIFYs.

use crate::document::{ApplyError, Document, check_version};
use crate::error::Result;
use crate::xml::{Attribute, Cx, Element, Take, extend};

/// The dialog-info namespace.
pub const NAMESPACE: &str = "urn:ietf:params:xml:ns:dialog-info";

/// Whether a document carries the full state or only changes (RFC 4235 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DocumentState {
    /// `full`.
    #[default]
    Full,
    /// `partial`.
    Partial,
}

impl DocumentState {
    pub(crate) fn parse(cx: &Cx, attribute: &str, s: &str) -> Result<Self> {
        match s.trim() {
            "full" => Ok(DocumentState::Full),
            "partial" => Ok(DocumentState::Partial),
            _ => Err(cx.invalid_attr(attribute, s, "full or partial")),
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DocumentState::Full => "full",
            DocumentState::Partial => "partial",
        }
    }
}

/// A `<dialog-info>` document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DialogInfo {
    /// `version` attribute.
    pub version: u32,
    /// `state` attribute.
    pub state: DocumentState,
    /// `entity` attribute (the monitored URI).
    pub entity: String,
    /// `<dialog>` elements.
    pub dialogs: Vec<Dialog>,
    /// Unknown child elements.
    pub extensions: Vec<Element>,
    /// Unknown attributes.
    pub attributes: Vec<Attribute>,
}

impl DialogInfo {
    /// Applies a NOTIFY received after this one (RFC 4235 §4.1): a full document (with a newer
    /// version) replaces this one; a partial one must carry the next version and replaces or
    /// adds the dialogs it lists (by `id`), removing those it reports `terminated`. On error
    /// `self` is unchanged.
    pub fn apply(&mut self, update: &DialogInfo) -> Result<(), ApplyError> {
        if update.entity != self.entity {
            return Err(ApplyError::EntityMismatch {
                current: self.entity.clone(),
                received: update.entity.clone(),
            });
        }
        if self.state != DocumentState::Full {
            return Err(ApplyError::NoFullState);
        }
        check_version(
            self.version,
            update.version,
            update.state == DocumentState::Partial,
        )?;
        match update.state {
            DocumentState::Full => *self = update.clone(),
            DocumentState::Partial => {
                for d in &update.dialogs {
                    let pos = self.dialogs.iter().position(|x| x.id == d.id);
                    match (d.state.value, pos) {
                        (DialogStateValue::Terminated, Some(i)) => {
                            self.dialogs.remove(i);
                        }
                        (DialogStateValue::Terminated, None) => {}
                        (_, Some(i)) => self.dialogs[i] = d.clone(),
                        (_, None) => self.dialogs.push(d.clone()),
                    }
                }
                self.version = update.version;
            }
        }
        Ok(())
    }

    /// An empty full-state document.
    pub fn new(entity: impl Into<String>, version: u32) -> Self {
        DialogInfo {
            entity: entity.into(),
            version,
            ..Default::default()
        }
    }
}

/// `direction` of a dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The observed user sent the INVITE.
    Initiator,
    /// The observed user received it.
    Recipient,
}

/// A dialog's state (RFC 4235 §3.7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DialogStateValue {
    /// `trying`.
    Trying,
    /// `proceeding`.
    Proceeding,
    /// `early`.
    Early,
    /// `confirmed`.
    Confirmed,
    /// `terminated`.
    Terminated,
}

impl DialogStateValue {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "trying" => Self::Trying,
            "proceeding" => Self::Proceeding,
            "early" => Self::Early,
            "confirmed" => Self::Confirmed,
            "terminated" => Self::Terminated,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Trying => "trying",
            Self::Proceeding => "proceeding",
            Self::Early => "early",
            Self::Confirmed => "confirmed",
            Self::Terminated => "terminated",
        }
    }
}

/// `<state>` with its `event` and `code` attributes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DialogState {
    /// The state.
    pub value: DialogStateValue,
    /// `event` attribute (`cancelled`, `rejected`, `replaced`, `local-bye`, `remote-bye`,
    /// `error`, `timeout`).
    pub event: Option<String>,
    /// `code` attribute: the response code that caused the change.
    pub code: Option<u16>,
}

impl DialogState {
    /// A state without event or code.
    pub fn new(value: DialogStateValue) -> Self {
        DialogState {
            value,
            event: None,
            code: None,
        }
    }
}

/// An identity with a display name (`<identity display="Bob">sip:bob@…</identity>`,
/// `<referred-by>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct NameAddr {
    /// The URI.
    pub uri: String,
    /// `display` attribute.
    pub display: Option<String>,
}

impl NameAddr {
    /// A URI without display name.
    pub fn new(uri: impl Into<String>) -> Self {
        NameAddr {
            uri: uri.into(),
            display: None,
        }
    }
}

/// `<target>`: the remote target URI with its `<param>`s.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct Target {
    /// `uri` attribute.
    pub uri: String,
    /// `<param pname=… pval=…/>`.
    pub params: Vec<(String, String)>,
}

/// `<local>` or `<remote>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Participant {
    /// `<identity>`.
    pub identity: Option<NameAddr>,
    /// `<target>`.
    pub target: Option<Target>,
    /// `<session-description type=…>` (type, body).
    pub session_description: Option<(String, String)>,
    /// `<cseq>`.
    pub cseq: Option<u32>,
    /// Unknown child elements.
    pub extensions: Vec<Element>,
}

/// `<replaces call-id=… local-tag=… remote-tag=…/>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct Replaces {
    /// `call-id`.
    pub call_id: String,
    /// `local-tag`.
    pub local_tag: String,
    /// `remote-tag`.
    pub remote_tag: String,
}

/// A `<dialog>`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Dialog {
    /// `id` attribute.
    pub id: String,
    /// `call-id` attribute.
    pub call_id: Option<String>,
    /// `local-tag` attribute.
    pub local_tag: Option<String>,
    /// `remote-tag` attribute.
    pub remote_tag: Option<String>,
    /// `direction` attribute.
    pub direction: Option<Direction>,
    /// `<state>`.
    pub state: DialogState,
    /// `<duration>` in seconds.
    pub duration: Option<u64>,
    /// `<replaces>`.
    pub replaces: Option<Replaces>,
    /// `<referred-by>`.
    pub referred_by: Option<NameAddr>,
    /// `<route-set>` hops.
    pub route_set: Vec<String>,
    /// `<local>`.
    pub local: Option<Participant>,
    /// `<remote>`.
    pub remote: Option<Participant>,
    /// Unknown child elements.
    pub extensions: Vec<Element>,
    /// Unknown attributes.
    pub attributes: Vec<Attribute>,
}

impl Dialog {
    /// A dialog with an id and a state.
    pub fn new(id: impl Into<String>, state: DialogStateValue) -> Self {
        Dialog {
            id: id.into(),
            call_id: None,
            local_tag: None,
            remote_tag: None,
            direction: None,
            state: DialogState::new(state),
            duration: None,
            replaces: None,
            referred_by: None,
            route_set: Vec::new(),
            local: None,
            remote: None,
            extensions: Vec::new(),
            attributes: Vec::new(),
        }
    }
}

fn read_name_addr(cx: Cx, e: Element) -> NameAddr {
    let mut t = Take::new(cx, e);
    let display = t.attr("display");
    NameAddr {
        uri: t.own_text().trim().to_owned(),
        display,
    }
}

fn write_name_addr(name: &str, n: &NameAddr) -> Element {
    let mut e = Element::new(NAMESPACE, name);
    e.push_attr("display", n.display.as_ref());
    e.with_text(&n.uri)
}

impl Participant {
    fn read(cx: Cx, e: Element) -> Result<Participant> {
        let mut t = Take::new(cx, e);
        let identity = t
            .one(NAMESPACE, "identity")?
            .map(|e| read_name_addr(t.cx.child("identity", None), e));
        let target = match t.one(NAMESPACE, "target")? {
            None => None,
            Some(e) => {
                let mut tt = Take::new(t.cx.child("target", None), e);
                let uri = tt.req_attr("uri")?;
                let mut params = Vec::new();
                for (i, p) in tt.all(NAMESPACE, "param").into_iter().enumerate() {
                    let mut pt = Take::new(tt.cx.child("param", Some(i)), p);
                    params.push((pt.req_attr("pname")?, pt.req_attr("pval")?));
                }
                Some(Target { uri, params })
            }
        };
        let session_description = match t.one(NAMESPACE, "session-description")? {
            None => None,
            Some(e) => {
                let mut st = Take::new(t.cx.child("session-description", None), e);
                let ty = st.req_attr("type")?;
                Some((ty, st.own_text().to_owned()))
            }
        };
        let cseq = t.parse_of(NAMESPACE, "cseq", "a sequence number")?;
        let (extensions, _) = t.rest();
        Ok(Participant {
            identity,
            target,
            session_description,
            cseq,
            extensions,
        })
    }

    fn write(&self, name: &str) -> Element {
        let mut el = Element::new(NAMESPACE, name);
        if let Some(i) = &self.identity {
            el.push(write_name_addr("identity", i));
        }
        if let Some(t) = &self.target {
            let mut te = Element::new(NAMESPACE, "target").with_attribute("uri", &t.uri);
            for (n, v) in &t.params {
                te.push(
                    Element::new(NAMESPACE, "param")
                        .with_attribute("pname", n)
                        .with_attribute("pval", v),
                );
            }
            el.push(te);
        }
        if let Some((ty, body)) = &self.session_description {
            el.push(
                Element::new(NAMESPACE, "session-description")
                    .with_attribute("type", ty)
                    .with_text(body),
            );
        }
        el.push_text_child(NAMESPACE, "cseq", self.cseq);
        for e in &self.extensions {
            el.push(e.clone());
        }
        el
    }
}

impl Dialog {
    fn read(cx: Cx, e: Element) -> Result<Dialog> {
        let mut t = Take::new(cx, e);
        let id = t.req_attr("id")?;
        let call_id = t.attr("call-id");
        let local_tag = t.attr("local-tag");
        let remote_tag = t.attr("remote-tag");
        let direction = match t.attr("direction") {
            None => None,
            Some(d) => Some(match d.trim() {
                "initiator" => Direction::Initiator,
                "recipient" => Direction::Recipient,
                _ => return Err(t.cx.invalid_attr("direction", &d, "initiator or recipient")),
            }),
        };
        let state_el = t.req(NAMESPACE, "state")?;
        let state = {
            let mut st = Take::new(t.cx.child("state", None), state_el);
            let event = st.attr("event");
            let code = st.attr_parse("code", "a response code")?;
            let text = st.own_text().trim().to_owned();
            let value = DialogStateValue::parse(&text).ok_or_else(|| {
                st.cx
                    .invalid(&text, "trying, proceeding, early, confirmed or terminated")
            })?;
            DialogState { value, event, code }
        };
        let duration = t.parse_of(NAMESPACE, "duration", "seconds")?;
        let replaces = match t.one(NAMESPACE, "replaces")? {
            None => None,
            Some(e) => {
                let mut rt = Take::new(t.cx.child("replaces", None), e);
                Some(Replaces {
                    call_id: rt.req_attr("call-id")?,
                    local_tag: rt.req_attr("local-tag")?,
                    remote_tag: rt.req_attr("remote-tag")?,
                })
            }
        };
        let referred_by = t
            .one(NAMESPACE, "referred-by")?
            .map(|e| read_name_addr(t.cx.child("referred-by", None), e));
        let route_set = match t.one(NAMESPACE, "route-set")? {
            None => Vec::new(),
            Some(e) => e
                .elements()
                .filter(|h| h.is(NAMESPACE, "hop"))
                .map(|h| h.text().trim().to_owned())
                .collect(),
        };
        let local = match t.one(NAMESPACE, "local")? {
            None => None,
            Some(e) => Some(Participant::read(t.cx.child("local", None), e)?),
        };
        let remote = match t.one(NAMESPACE, "remote")? {
            None => None,
            Some(e) => Some(Participant::read(t.cx.child("remote", None), e)?),
        };
        let (extensions, attributes) = t.rest();
        Ok(Dialog {
            id,
            call_id,
            local_tag,
            remote_tag,
            direction,
            state,
            duration,
            replaces,
            referred_by,
            route_set,
            local,
            remote,
            extensions,
            attributes,
        })
    }

    fn write(&self) -> Element {
        let mut el = Element::new(NAMESPACE, "dialog").with_attribute("id", &self.id);
        el.push_attr("call-id", self.call_id.as_ref());
        el.push_attr("local-tag", self.local_tag.as_ref());
        el.push_attr("remote-tag", self.remote_tag.as_ref());
        el.push_attr(
            "direction",
            self.direction.map(|d| match d {
                Direction::Initiator => "initiator",
                Direction::Recipient => "recipient",
            }),
        );
        el.attributes.extend(self.attributes.iter().cloned());
        let mut st = Element::new(NAMESPACE, "state");
        st.push_attr("event", self.state.event.as_ref());
        st.push_attr("code", self.state.code);
        el.push(st.with_text(self.state.value.as_str()));
        el.push_text_child(NAMESPACE, "duration", self.duration);
        if let Some(r) = &self.replaces {
            el.push(
                Element::new(NAMESPACE, "replaces")
                    .with_attribute("call-id", &r.call_id)
                    .with_attribute("local-tag", &r.local_tag)
                    .with_attribute("remote-tag", &r.remote_tag),
            );
        }
        if let Some(r) = &self.referred_by {
            el.push(write_name_addr("referred-by", r));
        }
        if !self.route_set.is_empty() {
            let mut rs = Element::new(NAMESPACE, "route-set");
            for h in &self.route_set {
                rs.push(Element::new(NAMESPACE, "hop").with_text(h));
            }
            el.push(rs);
        }
        if let Some(l) = &self.local {
            el.push(l.write("local"));
        }
        if let Some(r) = &self.remote {
            el.push(r.write("remote"));
        }
        for e in &self.extensions {
            el.push(e.clone());
        }
        el
    }
}

impl Document for DialogInfo {
    const DOCUMENT: &'static str = "dialog-info";
    const CONTENT_TYPE: &'static str = "application/dialog-info+xml";

    fn from_element(root: Element) -> Result<Self> {
        let cx = Cx::check_root(Self::DOCUMENT, &root, NAMESPACE, "dialog-info")?;
        let mut t = Take::new(cx, root);
        let version = t.req_attr("version")?;
        let version = version
            .trim()
            .parse()
            .map_err(|_| t.cx.invalid_attr("version", &version, "a version number"))?;
        let state = t.req_attr("state")?;
        let state = DocumentState::parse(&t.cx, "state", &state)?;
        let entity = t.req_attr("entity")?;
        let dialogs = t
            .all(NAMESPACE, "dialog")
            .into_iter()
            .enumerate()
            .map(|(i, e)| Dialog::read(t.cx.child("dialog", Some(i)), e))
            .collect::<Result<_>>()?;
        let (extensions, attributes) = t.rest();
        Ok(DialogInfo {
            version,
            state,
            entity,
            dialogs,
            extensions,
            attributes,
        })
    }

    fn to_element(&self) -> Element {
        let mut el = Element::new(NAMESPACE, "dialog-info")
            .with_attribute("version", self.version.to_string())
            .with_attribute("state", self.state.as_str())
            .with_attribute("entity", &self.entity);
        for d in &self.dialogs {
            el.push(d.write());
        }
        extend(&mut el, &self.extensions, &self.attributes);
        el
    }
}
