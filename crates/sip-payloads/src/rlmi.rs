//! Resource list meta-information (RFC 4662, `application/rlmi+xml`) and the reading of an
//! RLS NOTIFY's multipart/related body (MW-PAY-06, the seed's `rlsnotify.Resource`).
//!
//! The middleware splits the multipart/related body into [`Part`]s (content type, Content-ID,
//! body); [`RlsNotify::from_parts`] finds the RLMI root and attaches each instance's part.

use crate::document::Document;
use crate::error::{PayloadError, Result};
use crate::xml::{Attribute, Cx, Element, Note, Take, extend};

/// The RLMI namespace.
pub const NAMESPACE: &str = "urn:ietf:params:xml:ns:rlmi";

/// An RLMI `<list>` document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RlmiList {
    /// `uri`: the list's URI.
    pub uri: String,
    /// `version`.
    pub version: u32,
    /// `fullState`.
    pub full_state: bool,
    /// `cid` of the list's own part, when it is a nested list.
    pub cid: Option<String>,
    /// `<name>`s.
    pub names: Vec<Note>,
    /// `<resource>`s.
    pub resources: Vec<Resource>,
    /// Unknown child elements.
    pub extensions: Vec<Element>,
    /// Unknown attributes.
    pub attributes: Vec<Attribute>,
}

/// A `<resource>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Resource {
    /// `uri`.
    pub uri: String,
    /// `<name>`s.
    pub names: Vec<Note>,
    /// `<instance>`s (one per subscription of the RLS to the resource).
    pub instances: Vec<Instance>,
    /// Unknown child elements.
    pub extensions: Vec<Element>,
}

/// The subscription state of an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstanceState {
    /// `active`.
    Active,
    /// `pending`.
    Pending,
    /// `terminated`.
    Terminated,
}

/// An `<instance>`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Instance {
    /// `id`.
    pub id: String,
    /// `state`.
    pub state: InstanceState,
    /// `reason` (for terminated instances).
    pub reason: Option<String>,
    /// `cid`: Content-ID of the part carrying this instance's state.
    pub cid: Option<String>,
}

impl Instance {
    /// An instance.
    pub fn new(id: impl Into<String>, state: InstanceState, cid: Option<&str>) -> Self {
        Instance {
            id: id.into(),
            state,
            reason: None,
            cid: cid.map(str::to_owned),
        }
    }
}

impl Document for RlmiList {
    const DOCUMENT: &'static str = "rlmi";
    const CONTENT_TYPE: &'static str = "application/rlmi+xml";

    fn from_element(root: Element) -> Result<Self> {
        let cx = Cx::check_root(Self::DOCUMENT, &root, NAMESPACE, "list")?;
        let mut t = Take::new(cx, root);
        let uri = t.req_attr("uri")?;
        let version = t.req_attr("version")?;
        let version = version
            .trim()
            .parse()
            .map_err(|_| t.cx.invalid_attr("version", &version, "a version number"))?;
        let full = t.req_attr("fullState")?;
        let full_state = crate::xml::parse_bool(full.trim())
            .ok_or_else(|| t.cx.invalid_attr("fullState", &full, "true or false"))?;
        let cid = t.attr("cid");
        let names = t.notes(NAMESPACE, "name");
        let mut resources = Vec::new();
        for (i, e) in t.all(NAMESPACE, "resource").into_iter().enumerate() {
            let mut r = Take::new(t.cx.child("resource", Some(i)), e);
            let uri = r.req_attr("uri")?;
            let names = r.notes(NAMESPACE, "name");
            let mut instances = Vec::new();
            for (j, e) in r.all(NAMESPACE, "instance").into_iter().enumerate() {
                let mut it = Take::new(r.cx.child("instance", Some(j)), e);
                let id = it.req_attr("id")?;
                let state = it.req_attr("state")?;
                let state = match state.trim() {
                    "active" => InstanceState::Active,
                    "pending" => InstanceState::Pending,
                    "terminated" => InstanceState::Terminated,
                    _ => {
                        return Err(it.cx.invalid_attr(
                            "state",
                            &state,
                            "active, pending or terminated",
                        ));
                    }
                };
                let reason = it.attr("reason");
                let cid = it.attr("cid");
                instances.push(Instance {
                    id,
                    state,
                    reason,
                    cid,
                });
            }
            let (extensions, _) = r.rest();
            resources.push(Resource {
                uri,
                names,
                instances,
                extensions,
            });
        }
        let (extensions, attributes) = t.rest();
        Ok(RlmiList {
            uri,
            version,
            full_state,
            cid,
            names,
            resources,
            extensions,
            attributes,
        })
    }

    fn to_element(&self) -> Element {
        let mut el = Element::new(NAMESPACE, "list")
            .with_attribute("uri", &self.uri)
            .with_attribute("version", self.version.to_string())
            .with_attribute("fullState", self.full_state.to_string());
        el.push_attr("cid", self.cid.as_ref());
        for n in &self.names {
            el.push(n.to_element(NAMESPACE, "name"));
        }
        for r in &self.resources {
            let mut re = Element::new(NAMESPACE, "resource").with_attribute("uri", &r.uri);
            for n in &r.names {
                re.push(n.to_element(NAMESPACE, "name"));
            }
            for i in &r.instances {
                let state = match i.state {
                    InstanceState::Active => "active",
                    InstanceState::Pending => "pending",
                    InstanceState::Terminated => "terminated",
                };
                let mut ie = Element::new(NAMESPACE, "instance")
                    .with_attribute("id", &i.id)
                    .with_attribute("state", state);
                ie.push_attr("reason", i.reason.as_ref());
                ie.push_attr("cid", i.cid.as_ref());
                re.push(ie);
            }
            for x in &r.extensions {
                re.push(x.clone());
            }
            el.push(re);
        }
        extend(&mut el, &self.extensions, &self.attributes);
        el
    }
}

/// One part of a multipart/related RLS NOTIFY body, as split by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part<'a> {
    /// The part's Content-Type (parameters allowed).
    pub content_type: &'a str,
    /// The part's Content-ID, with or without angle brackets.
    pub content_id: Option<&'a str>,
    /// The part's body.
    pub body: &'a [u8],
}

/// An RLS notification: the RLMI list and, per resource, its instances with their bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RlsNotify {
    /// The RLMI document.
    pub list: RlmiList,
    /// One entry per `<resource>`, in order.
    pub resources: Vec<ResourceState>,
}

/// A resource with the bodies of its instances (the seed's `rlsnotify.Resource`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResourceState {
    /// The resource URI.
    pub uri: String,
    /// Its names.
    pub names: Vec<Note>,
    /// Instances with their parts.
    pub instances: Vec<InstanceBody>,
}

/// An instance and the part it points to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InstanceBody {
    /// The instance.
    pub instance: Instance,
    /// The part's content type (without parameters, lower case), when the instance has one.
    pub content_type: Option<String>,
    /// The part's body.
    pub body: Option<Vec<u8>>,
}

fn bare_type(ct: &str) -> String {
    ct.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn bare_cid(cid: &str) -> &str {
    let cid = cid.trim();
    let cid = cid.strip_prefix("cid:").unwrap_or(cid);
    cid.strip_prefix('<')
        .and_then(|c| c.strip_suffix('>'))
        .unwrap_or(cid)
}

impl RlsNotify {
    /// Reads the parts of a multipart/related body: the first `application/rlmi+xml` part is
    /// the root, and every instance with a `cid` gets the part with that Content-ID.
    pub fn from_parts(parts: &[Part<'_>]) -> Result<RlsNotify> {
        let root = parts
            .iter()
            .find(|p| bare_type(p.content_type) == RlmiList::CONTENT_TYPE)
            .ok_or(PayloadError::Multipart {
                document: RlmiList::DOCUMENT,
                reason: "no application/rlmi+xml part",
            })?;
        let list = RlmiList::parse(root.body)?;
        let mut resources = Vec::with_capacity(list.resources.len());
        for r in &list.resources {
            let mut instances = Vec::with_capacity(r.instances.len());
            for i in &r.instances {
                let part = match &i.cid {
                    None => None,
                    Some(cid) => Some(
                        parts
                            .iter()
                            .find(|p| p.content_id.is_some_and(|c| bare_cid(c) == bare_cid(cid)))
                            .ok_or(PayloadError::Multipart {
                                document: RlmiList::DOCUMENT,
                                reason: "an instance refers to a Content-ID no part has",
                            })?,
                    ),
                };
                instances.push(InstanceBody {
                    instance: i.clone(),
                    content_type: part.map(|p| bare_type(p.content_type)),
                    body: part.map(|p| p.body.to_vec()),
                });
            }
            resources.push(ResourceState {
                uri: r.uri.clone(),
                names: r.names.clone(),
                instances,
            });
        }
        Ok(RlsNotify { list, resources })
    }
}
