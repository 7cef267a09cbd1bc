//! INVITE sessions (the seed's `Invitation`).
//!
//! [`session`] holds the sans-IO state machine, [`InviteSession`]; with the `runtime` feature,
//! [`Invitation`] drives one through the Engine.

pub mod session;

pub use session::{
    ChangedState, ClientTxId, Destination, Direction, InvitationState, InviteError, InviteEvent,
    InviteParams, InviteSession, Output, SdpState, SdpUpdate, ServerTxId, SessionConfig, SubState,
    cancel_for,
};
