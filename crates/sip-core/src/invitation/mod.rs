//! INVITE sessions (the seed's `Invitation`).
//!
//! [`session`] holds the sans-IO state machine, [`InviteSession`] (always compiled). With the
//! `runtime` feature, [`Invitation`] drives one through the [`Engine`](crate::engine::Engine): one tokio task per
//! Invitation reads its dialog route (in-dialog requests, ACKs, CANCELs), the events of its
//! client transactions and its commands, and fires the session's timers with `tokio::time`
//! (so tests can pause time).
//!
//! Notifications are posted on the [`NotificationCenter`](crate::notification::NotificationCenter) given at creation with the
//! Invitation's own [`Sender`](crate::notification::Sender), as [`NotificationData::Custom`](crate::notification::NotificationData::Custom) payloads of type
//! [`InvitationNotification`]: `SIPInvitationChangedState` and `SIPInvitationGotSDPUpdate`,
//! with the seed's data fields ([`ChangedState`], [`SdpUpdate`]). The same events are also
//! available, losslessly and in order, from [`Invitation::next_event`].
//!
//! Requests within the call that belong to other dialog usages (REFER, INFO, NOTIFY, MESSAGE,
//! SUBSCRIBE) are not refused: they come out as [`InviteEvent::GotRequest`] (and
//! `SIPInvitationGotRequest`), for the application to answer with
//! [`Invitation::answer_request`], or, for a REFER, to hand to
//! [`IncomingReferral::in_dialog`](crate::referral::IncomingReferral::in_dialog), whose
//! NOTIFYs the Invitation then sends in its dialog with the dialog's CSeq.
//!
//! Where requests go: the initial INVITE to the `route_header`'s URI (an IP address; the core
//! does no DNS), or to the Request-URI when no route is given; requests within the dialog to
//! [`Target::from_uri`](crate::transaction::Target::from_uri) of the dialog's next hop, falling back to the initial destination (for
//! an incoming session: where the INVITE came from) when that host is not an IP address.
//!
//! ```no_run
//! use sip_core::engine::{Engine, EngineConfig};
//! use sip_core::header::{Contact, FromHeader, NameAddr, ToHeader};
//! use sip_core::invitation::{Invitation, InviteParams};
//! use sip_core::notification::NotificationCenter;
//! use sip_core::uri::Uri;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let center = NotificationCenter::new();
//! let engine = Engine::start(EngineConfig::new(), center.clone()).await?;
//! // Answering: every incoming INVITE becomes an Invitation in state incoming.
//! let mut new_dialogs = engine.take_new_dialogs()?;
//! let (e, c) = (engine.clone(), center.clone());
//! tokio::spawn(async move {
//!     while let Some(dialog) = new_dialogs.recv().await {
//!         let inv = Invitation::incoming(&e, &c, dialog);
//!         let contact = Contact::new(NameAddr::new(Uri::parse("sip:bob@192.0.2.2").unwrap()));
//!         let _ = inv.send_response(180, None, Some(contact), None, vec![]).await;
//!         let _ = inv.send_response(200, None, None, None, vec![]).await;
//!     }
//! });
//! // Calling.
//! let call = Invitation::new(&engine, &center);
//! let uri = Uri::parse("sip:bob@192.0.2.2:5060")?;
//! call.send_invite(InviteParams::new(
//!     uri.clone(),
//!     FromHeader::new(NameAddr::new(Uri::parse("sip:alice@192.0.2.1")?)),
//!     ToHeader::new(NameAddr::new(uri)),
//!     Contact::new(NameAddr::new(Uri::parse("sip:alice@192.0.2.1:5060")?)),
//! ))
//! .await?;
//! while let Some(event) = call.next_event().await {
//!     println!("{event:?}");
//! }
//! # Ok(())
//! # }
//! ```

pub mod session;

pub use session::{
    ChangedState, ClientTxId, Destination, Direction, GotRequest, InvitationState, InviteError,
    InviteEvent, InviteParams, InviteSession, Output, SdpState, SdpUpdate, ServerTxId,
    SessionConfig, SubState, cancel_for,
};

#[cfg(feature = "runtime")]
mod runtime;

#[cfg(feature = "runtime")]
pub(crate) use runtime::{ClaimedRequest, DialogRequester};
#[cfg(feature = "runtime")]
pub use runtime::{Invitation, InvitationError, InvitationNotification, NameAddrHeader};
