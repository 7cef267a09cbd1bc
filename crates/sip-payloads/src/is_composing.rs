//! Is-composing indications (RFC 3994, `application/im-iscomposing+xml`), MW-PAY-07: what
//! ChatStream sends and receives for `ChatStreamGotComposingIndication`.
//!
//! ```
//! use sip_payloads::Document;
//! use sip_payloads::is_composing::{ComposingState, IsComposing};
//!
//! let mut doc = IsComposing::new(ComposingState::Active);
//! doc.refresh = Some(60);
//! let back = IsComposing::parse(doc.to_xml().as_bytes()).unwrap();
//! assert_eq!(back, doc);
//! ```

use crate::document::Document;
use crate::error::Result;
use crate::xml::{Attribute, Cx, Element, Take, extend};

/// The is-composing namespace.
pub const NAMESPACE: &str = "urn:ietf:params:xml:ns:im-iscomposing";

/// The composer's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComposingState {
    /// `active`: composing.
    Active,
    /// `idle`.
    Idle,
}

/// An `<isComposing>` document.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IsComposing {
    /// `<state>`.
    pub state: ComposingState,
    /// `<lastactive>` (RFC 3339).
    pub last_active: Option<String>,
    /// `<contenttype>`: the type of the message being composed.
    pub content_type: Option<String>,
    /// `<refresh>`: seconds until the sender refreshes an active state.
    pub refresh: Option<u32>,
    /// Unknown child elements.
    pub extensions: Vec<Element>,
    /// Unknown attributes.
    pub attributes: Vec<Attribute>,
}

impl IsComposing {
    /// A document with only a state.
    pub fn new(state: ComposingState) -> Self {
        IsComposing {
            state,
            last_active: None,
            content_type: None,
            refresh: None,
            extensions: Vec::new(),
            attributes: Vec::new(),
        }
    }
}

impl Document for IsComposing {
    const DOCUMENT: &'static str = "is-composing";
    const CONTENT_TYPE: &'static str = "application/im-iscomposing+xml";

    fn from_element(root: Element) -> Result<Self> {
        let cx = Cx::check_root(Self::DOCUMENT, &root, NAMESPACE, "isComposing")?;
        let mut t = Take::new(cx, root);
        let state_text = t.req(NAMESPACE, "state")?.text();
        let state = match state_text.trim() {
            "active" => ComposingState::Active,
            "idle" => ComposingState::Idle,
            _ => {
                return Err(t
                    .cx
                    .child("state", None)
                    .invalid(&state_text, "active or idle"));
            }
        };
        let last_active = t
            .text_of(NAMESPACE, "lastactive")?
            .map(|s| s.trim().to_owned());
        let content_type = t
            .text_of(NAMESPACE, "contenttype")?
            .map(|s| s.trim().to_owned());
        let refresh = t.parse_of(NAMESPACE, "refresh", "seconds")?;
        if refresh == Some(0) {
            return Err(t
                .cx
                .child("refresh", None)
                .invalid("0", "a positive number of seconds"));
        }
        let (extensions, attributes) = t.rest();
        Ok(IsComposing {
            state,
            last_active,
            content_type,
            refresh,
            extensions,
            attributes,
        })
    }

    fn to_element(&self) -> Element {
        let mut el = Element::new(NAMESPACE, "isComposing");
        let state = match self.state {
            ComposingState::Active => "active",
            ComposingState::Idle => "idle",
        };
        el.push_text_child(NAMESPACE, "state", Some(state));
        el.push_text_child(NAMESPACE, "lastactive", self.last_active.as_ref());
        el.push_text_child(NAMESPACE, "contenttype", self.content_type.as_ref());
        el.push_text_child(NAMESPACE, "refresh", self.refresh);
        extend(&mut el, &self.extensions, &self.attributes);
        el
    }
}
