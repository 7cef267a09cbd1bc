//! Digest authentication (RFC 2617, RFC 7616, RFC 8760), sans-IO.
//!
//! Shared by SIP (RFC 3261 §22), MSRP relays (RFC 4976) and XCAP over HTTP:
//!
//! * [`Challenge`] / [`DigestChallenge`]: WWW-Authenticate and Proxy-Authenticate values;
//! * [`DigestResponse`]: Authorization and Proxy-Authorization values, computed with
//!   [`DigestResponse::compute`];
//! * [`AuthenticationInfo`]: Authentication-Info values, with `rspauth` checking;
//! * [`DigestClient`]: the client state (challenges per realm, nonce counts, cnonces, stale
//!   nonces, algorithm choice);
//! * [`RequestAuthenticator`]: the retry decision for a SIP request's 401/407 responses and
//!   the Authorization / Proxy-Authorization headers of the retried request;
//! * [`verify`], [`ha1`], [`StoredSecret`]: the server side, for registrars and tests;
//! * [`Credentials`] / [`FrozenCredentials`] / [`Password`]: account credentials, with the
//!   password wiped from memory on drop and never shown by `Debug`.
//!
//! Algorithms: MD5, SHA-256 and SHA-512-256, each with its `-sess` variant. Unknown algorithms
//! and qop values parse (so the header can be shown and re-printed) but cannot be answered.
//! Parsers accept tolerant whitespace (including folded lines), quoted or bare values and empty
//! list elements, keep unknown parameters in order, and report errors as
//! [`ParseError`](crate::ParseError)s with [`Element::Digest`](crate::Element::Digest) and a byte
//! offset into the input. `Display` prints a canonical form that re-parses to an equal value.
//!
//! ```
//! use sip_core::digest::{Challenge, Credentials, DigestResponse, StoredSecret, verify};
//!
//! // A challenge from a 401 response to REGISTER.
//! let challenge = Challenge::parse(
//!     r#"Digest realm="atlanta.com", domain="sip:ss1.carrier.com", qop="auth",
//!        nonce="f84f1cec41e6cbe5aea9c8e88d359", opaque="", stale=FALSE, algorithm=MD5"#,
//! )?;
//! let digest = challenge.as_digest().expect("a Digest challenge");
//! assert_eq!(digest.realm, "atlanta.com");
//!
//! // The Authorization value for the retried request (nonce count 1, a client nonce).
//! let credentials = Credentials::new("bob", "zanzibar");
//! let authorization = DigestResponse::compute(
//!     digest,
//!     &credentials,
//!     "REGISTER",
//!     "sip:atlanta.com",
//!     None,
//!     1,
//!     "0a4f113b",
//! )?;
//! let header = authorization.to_string();
//! assert!(header.starts_with(r#"Digest username="bob", realm="atlanta.com""#));
//! assert!(header.contains("qop=auth, ") && header.contains("nc=00000001"));
//!
//! // The registrar parses it and checks it against the password it knows.
//! let received = DigestResponse::parse(&header)?;
//! assert!(verify(&received, StoredSecret::Password("zanzibar"), "REGISTER", None));
//! assert!(!verify(&received, StoredSecret::Password("wrong"), "REGISTER", None));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod authenticator;
mod challenge;
mod client;
mod compute;
mod credentials;
mod error;
mod params;
mod response;

pub use authenticator::{AuthDecision, RequestAuthenticator};
pub use challenge::{Algorithm, AuthParam, Challenge, DigestChallenge, Qop};
pub use client::{AlgorithmPolicy, AuthTarget, Authorization, ChallengeOutcome, DigestClient};
pub use compute::{StoredSecret, ha1, userhash, verify};
pub use credentials::{Credentials, FrozenCredentials, Password};
pub use error::DigestError;
pub use response::{AuthenticationInfo, DigestResponse, UsernameEncoding};
