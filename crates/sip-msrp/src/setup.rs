//! Who opens the connection: RFC 4975 §5.4 and the `a=setup` attribute of RFC 6135.
//!
//! Without `a=setup` (RFC 4975) the offerer connects. With it (RFC 6135, the connection model
//! of RFC 4145) the offerer says `actpass`, the answerer picks `active` or `passive`, and the
//! `active` end connects.
//!
//! ```
//! use sip_core::sdp::Setup;
//! use sip_msrp::setup::{ConnectionRole, answer_setup, connection_role};
//!
//! let answer = answer_setup(Some(Setup::ActPass))?;
//! assert_eq!(answer, Setup::Active);
//! assert_eq!(connection_role(true, Some(Setup::ActPass), Some(answer))?, ConnectionRole::Passive);
//! assert_eq!(connection_role(false, Some(Setup::ActPass), Some(answer))?, ConnectionRole::Active);
//! // A legacy answer without a=setup: the offerer connects.
//! assert_eq!(connection_role(true, None, None)?, ConnectionRole::Active);
//! # Ok::<(), sip_msrp::setup::SetupError>(())
//! ```

use sip_core::sdp::Setup;
use thiserror::Error;

/// Whether this end connects or accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionRole {
    /// This end opens the TCP/TLS connection and sends the first (bodiless) SEND.
    Active,
    /// This end waits for the peer's connection.
    Passive,
}

/// An `a=setup` combination that does not decide a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The answer said `actpass`, which only an offer may say.
    #[error("a=setup: actpass in an answer")]
    ActPassInAnswer,
    /// Both ends chose the same role.
    #[error("a=setup: both ends are {0}")]
    SameRole(&'static str),
    /// `holdconn`: no connection for now.
    #[error("a=setup: holdconn, no connection")]
    HoldConn,
}

/// The `a=setup` the answerer puts in its answer to an offer with `offer`.
///
/// No `a=setup` in the offer means a legacy RFC 4975 offerer that connects: answer `passive`.
/// `actpass` is answered `active` (RFC 6135 §4.2 recommends the answerer connect, which
/// works through a NAT in front of the answerer).
pub fn answer_setup(offer: Option<Setup>) -> Result<Setup, SetupError> {
    Ok(match offer {
        None | Some(Setup::Active) => Setup::Passive,
        Some(Setup::ActPass) | Some(Setup::Passive) => Setup::Active,
        Some(Setup::HoldConn) => Setup::HoldConn,
    })
}

/// Our role, given whether we made the offer and the `a=setup` values of offer and answer.
pub fn connection_role(
    we_offered: bool,
    offer: Option<Setup>,
    answer: Option<Setup>,
) -> Result<ConnectionRole, SetupError> {
    let offerer_active = match (offer, answer) {
        (_, Some(Setup::ActPass)) => return Err(SetupError::ActPassInAnswer),
        (Some(Setup::HoldConn), _) | (_, Some(Setup::HoldConn)) => {
            return Err(SetupError::HoldConn);
        }
        (Some(Setup::Active), Some(Setup::Active)) => return Err(SetupError::SameRole("active")),
        (Some(Setup::Passive), Some(Setup::Passive)) => {
            return Err(SetupError::SameRole("passive"));
        }
        (Some(Setup::Passive), None) => false,
        (_, None) => true,
        (_, Some(Setup::Active)) => false,
        (_, Some(Setup::Passive)) => true,
    };
    Ok(if offerer_active == we_offered {
        ConnectionRole::Active
    } else {
        ConnectionRole::Passive
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_for_every_combination() {
        use ConnectionRole::*;
        let cases = [
            (None, None, Active),
            (Some(Setup::ActPass), None, Active),
            (Some(Setup::ActPass), Some(Setup::Active), Passive),
            (Some(Setup::ActPass), Some(Setup::Passive), Active),
            (Some(Setup::Active), Some(Setup::Passive), Active),
            (Some(Setup::Passive), Some(Setup::Active), Passive),
            (Some(Setup::Passive), None, Passive),
        ];
        for (offer, answer, offerer_role) in cases {
            assert_eq!(
                connection_role(true, offer, answer),
                Ok(offerer_role),
                "{offer:?} {answer:?}"
            );
            let other = if offerer_role == Active {
                Passive
            } else {
                Active
            };
            assert_eq!(connection_role(false, offer, answer), Ok(other));
        }
        assert_eq!(
            connection_role(true, Some(Setup::ActPass), Some(Setup::ActPass)),
            Err(SetupError::ActPassInAnswer)
        );
        assert_eq!(
            connection_role(true, Some(Setup::Active), Some(Setup::Active)),
            Err(SetupError::SameRole("active"))
        );
        assert_eq!(
            connection_role(false, Some(Setup::HoldConn), None),
            Err(SetupError::HoldConn)
        );
    }

    #[test]
    fn answers_choose_the_opposite_role() {
        for offer in [
            None,
            Some(Setup::ActPass),
            Some(Setup::Active),
            Some(Setup::Passive),
        ] {
            let answer = answer_setup(offer).unwrap();
            let a = connection_role(true, offer, Some(answer)).unwrap();
            let b = connection_role(false, offer, Some(answer)).unwrap();
            assert_ne!(a, b, "{offer:?}");
        }
    }
}
