//! # sip-payloads
//!
//! The bodies SIP SIMPLE clients publish, subscribe to and exchange, as typed models that parse
//! (checking namespaces, rejecting malformed documents with errors that name the document, the
//! element path and the reason) and serialize (well-formed, namespaced, round-trip). It depends
//! on no other sipsimple-rs crate, so presence servers and tools can use it alone.
//!
//! ```text
//!  ┌────────────────────────────────────────────────────────────────────────┐
//!  │ pidf            PIDF + RPID + CIPID + caps + data model (RFC 3863/4480/ │
//!  │                 4482/5196/4479)                                        │
//!  │ dialog_info     RFC 4235          conference_info  RFC 4575 + merging  │
//!  │ watcher_info    RFC 3857/3858     resource_lists   RFC 4826 (+ rls)    │
//!  │ rlmi            RFC 4662 + multipart/related parts                     │
//!  │ xcap_diff       RFC 5874          policy           RFC 4745 + 5025     │
//!  │ is_composing    RFC 3994          imdn             RFC 5438            │
//!  │ xcap            RFC 4825 xcap-caps, xcap-error                         │
//!  │ message_summary RFC 3842 (text)                                        │
//!  ├────────────────────────────────────────────────────────────────────────┤
//!  │ Document   the trait: parse / parse_with_limits / to_xml               │
//!  │ xml        Element tree over quick-xml: namespaces, limits, no DTDs,   │
//!  │            writer with stable prefixes                                 │
//!  └────────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! Every model keeps the elements and attributes it does not know (`extensions`,
//! `attributes`), so extensions survive a round trip. Hostile documents are bounded by
//! [`Limits`]: a `<!DOCTYPE>` is refused, so no entity can ever be expanded.
//!
//! ```
//! use sip_payloads::Document;
//! use sip_payloads::pidf::{Basic, Presence, Tuple};
//!
//! let body = br#"<?xml version="1.0" encoding="UTF-8"?>
//! <presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:someone@example.com">
//!   <tuple id="sg89ae"><status><basic>open</basic></status>
//!     <contact priority="0.8">tel:+09012345678</contact></tuple>
//! </presence>"#;
//! let presence = Presence::parse(body).unwrap();
//! assert_eq!(presence.tuples[0].status.basic, Some(Basic::Open));
//!
//! let again = Presence::parse(presence.to_xml().as_bytes()).unwrap();
//! assert_eq!(again, presence);
//!
//! let err = Presence::parse(b"<presence xmlns='urn:ietf:params:xml:ns:pidf'/>").unwrap_err();
//! assert_eq!(err.to_string(), "pidf: /presence: missing attribute \"entity\"");
//! ```
#![forbid(unsafe_code)]

pub mod conference_info;
pub mod dialog_info;
mod document;
pub mod error;
pub mod imdn;
pub mod is_composing;
pub mod message_summary;
pub mod pidf;
pub mod policy;
pub mod resource_lists;
pub mod rlmi;
pub mod watcher_info;
pub mod xcap;
pub mod xcap_diff;
pub mod xml;

pub use document::{ApplyError, Document};
pub use error::{Limit, PayloadError, Result};
pub use xml::{Attribute, Element, Limits, Node, Note};
