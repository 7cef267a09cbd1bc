//! Instant message disposition notifications (RFC 5438, `message/imdn+xml`).

use crate::document::Document;
use crate::error::Result;
use crate::xml::{Attribute, Cx, Element, Take, extend};

/// The IMDN namespace.
pub const NAMESPACE: &str = "urn:ietf:params:xml:ns:imdn";

/// Which notification this is and its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Notification {
    /// `<delivery-notification>`.
    Delivery(Disposition),
    /// `<display-notification>`.
    Display(Disposition),
    /// `<processing-notification>`.
    Processing(Disposition),
}

/// The status element of a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Disposition {
    /// `<delivered/>`.
    Delivered,
    /// `<displayed/>`.
    Displayed,
    /// `<processed/>`.
    Processed,
    /// `<stored/>`.
    Stored,
    /// `<failed/>`.
    Failed,
    /// `<forbidden/>`.
    Forbidden,
    /// `<error/>`.
    Error,
}

impl Disposition {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "delivered" => Self::Delivered,
            "displayed" => Self::Displayed,
            "processed" => Self::Processed,
            "stored" => Self::Stored,
            "failed" => Self::Failed,
            "forbidden" => Self::Forbidden,
            "error" => Self::Error,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Displayed => "displayed",
            Self::Processed => "processed",
            Self::Stored => "stored",
            Self::Failed => "failed",
            Self::Forbidden => "forbidden",
            Self::Error => "error",
        }
    }

    /// Whether RFC 5438 allows this status in this kind of notification.
    fn allowed_in(self, kind: &str) -> bool {
        use Disposition::*;
        match kind {
            "delivery-notification" => matches!(self, Delivered | Failed | Forbidden | Error),
            "display-notification" => matches!(self, Displayed | Forbidden | Error),
            _ => matches!(self, Processed | Stored | Forbidden | Error),
        }
    }
}

/// An `<imdn>` document.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Imdn {
    /// `<message-id>` of the message this is about.
    pub message_id: String,
    /// `<datetime>` the message was sent (RFC 3339).
    pub datetime: String,
    /// `<recipient-uri>`.
    pub recipient_uri: Option<String>,
    /// `<original-recipient-uri>`.
    pub original_recipient_uri: Option<String>,
    /// `<subject>`.
    pub subject: Option<String>,
    /// The notification and its status.
    pub notification: Notification,
    /// Unknown child elements.
    pub extensions: Vec<Element>,
    /// Unknown attributes.
    pub attributes: Vec<Attribute>,
}

impl Imdn {
    /// A notification about `message_id` sent at `datetime`.
    pub fn new(
        message_id: impl Into<String>,
        datetime: impl Into<String>,
        notification: Notification,
    ) -> Self {
        Imdn {
            message_id: message_id.into(),
            datetime: datetime.into(),
            recipient_uri: None,
            original_recipient_uri: None,
            subject: None,
            notification,
            extensions: Vec::new(),
            attributes: Vec::new(),
        }
    }
}

impl Document for Imdn {
    const DOCUMENT: &'static str = "imdn";
    const CONTENT_TYPE: &'static str = "message/imdn+xml";

    fn from_element(root: Element) -> Result<Self> {
        let cx = Cx::check_root(Self::DOCUMENT, &root, NAMESPACE, "imdn")?;
        let mut t = Take::new(cx, root);
        let message_id = t.req(NAMESPACE, "message-id")?.text().trim().to_owned();
        let datetime = t.req(NAMESPACE, "datetime")?.text().trim().to_owned();
        let recipient_uri = t
            .text_of(NAMESPACE, "recipient-uri")?
            .map(|s| s.trim().to_owned());
        let original_recipient_uri = t
            .text_of(NAMESPACE, "original-recipient-uri")?
            .map(|s| s.trim().to_owned());
        let subject = t.text_of(NAMESPACE, "subject")?;
        let mut found = None;
        for kind in [
            "delivery-notification",
            "display-notification",
            "processing-notification",
        ] {
            let all = t.all(NAMESPACE, kind);
            for e in all {
                if found.is_some() {
                    return Err(crate::PayloadError::DuplicateElement {
                        document: Self::DOCUMENT,
                        path: t.cx.path.clone(),
                        element: "…-notification",
                    });
                }
                let cx = t.cx.child(kind, None);
                let status = e.child(NAMESPACE, "status").ok_or_else(|| {
                    crate::PayloadError::MissingElement {
                        document: Self::DOCUMENT,
                        path: cx.path.clone(),
                        element: "status",
                    }
                })?;
                let d = status
                    .elements()
                    .find(|s| s.namespace == NAMESPACE)
                    .and_then(|s| Disposition::parse(&s.name))
                    .filter(|d| d.allowed_in(kind))
                    .ok_or_else(|| {
                        cx.child("status", None).invalid(
                            &status
                                .elements()
                                .next()
                                .map(|s| s.name.clone())
                                .unwrap_or_default(),
                            "a status allowed for this notification",
                        )
                    })?;
                found = Some(match kind {
                    "delivery-notification" => Notification::Delivery(d),
                    "display-notification" => Notification::Display(d),
                    _ => Notification::Processing(d),
                });
            }
        }
        let notification = found.ok_or_else(|| crate::PayloadError::MissingElement {
            document: Self::DOCUMENT,
            path: t.cx.path.clone(),
            element: "delivery-notification",
        })?;
        let (extensions, attributes) = t.rest();
        Ok(Imdn {
            message_id,
            datetime,
            recipient_uri,
            original_recipient_uri,
            subject,
            notification,
            extensions,
            attributes,
        })
    }

    fn to_element(&self) -> Element {
        let mut el = Element::new(NAMESPACE, "imdn");
        el.push_text_child(NAMESPACE, "message-id", Some(&self.message_id));
        el.push_text_child(NAMESPACE, "datetime", Some(&self.datetime));
        el.push_text_child(NAMESPACE, "recipient-uri", self.recipient_uri.as_ref());
        el.push_text_child(
            NAMESPACE,
            "original-recipient-uri",
            self.original_recipient_uri.as_ref(),
        );
        el.push_text_child(NAMESPACE, "subject", self.subject.as_ref());
        let (kind, d) = match self.notification {
            Notification::Delivery(d) => ("delivery-notification", d),
            Notification::Display(d) => ("display-notification", d),
            Notification::Processing(d) => ("processing-notification", d),
        };
        el.push(Element::new(NAMESPACE, kind).with_child(
            Element::new(NAMESPACE, "status").with_child(Element::new(NAMESPACE, d.as_str())),
        ));
        extend(&mut el, &self.extensions, &self.attributes);
        el
    }
}
