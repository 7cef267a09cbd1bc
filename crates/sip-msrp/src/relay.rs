//! Authenticating to an MSRP relay (RFC 4976 §5), sans-IO.
//!
//! The client sends `AUTH` to the relay; the relay answers 401 with a digest challenge; the
//! client answers it (sip-core's [`DigestClient`], method `AUTH`, digest URI the relay's URI);
//! the relay answers 200 with the `Use-Path` to put before the client's own URI in its SDP
//! `a=path` and in the To-Path of its requests, and how long it holds the reservation
//! (`Expires`). A 423 carries `Min-Expires`/`Max-Expires` to retry with.
//!
//! The reservation must be renewed before it expires: feed responses with
//! [`RelayAuth::handle_response_at`], and at [`RelayAuth::poll_timeout`] (three quarters of
//! the granted time) [`RelayAuth::handle_timeout`] gives the refreshing AUTH to send.
//!
//! ```
//! use sip_core::digest::Credentials;
//! use sip_msrp::{MsrpUri, RelayAuth, RelayAuthStep};
//!
//! let relay: MsrpUri = "msrps://relay.example.com:2855;tcp".parse()?;
//! let me = MsrpUri::new(true, "192.0.2.1", 2855, "abcd1234");
//! let mut auth = RelayAuth::new(relay, me, Credentials::new("alice", "secret"), 7);
//! let first = auth.start();
//! assert_eq!(first.method().map(|m| m.as_str()), Some("AUTH"));
//! assert!(first.headers.authorization.is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use sip_core::digest::{AuthTarget, Challenge, ChallengeOutcome, Credentials, DigestClient};

use crate::message::{Method, MsrpMessage};
use crate::session::default_reason;
use crate::uri::MsrpUri;

/// What to do after a response to AUTH.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RelayAuthStep {
    /// Send this AUTH request (with credentials, or with a new Expires).
    Send(Box<MsrpMessage>),
    /// The relay accepted us.
    Authenticated {
        /// The Use-Path: the relay URIs to put before our URI.
        use_path: Vec<MsrpUri>,
        /// How long the relay keeps the reservation, in seconds (when it said).
        expires: Option<u32>,
    },
    /// Authentication failed with this status code.
    Failed {
        /// The status code (401 again with the same nonce: bad credentials).
        code: u16,
        /// The reason.
        reason: String,
    },
    /// The response was not for the pending AUTH; ignore it.
    Ignored,
}

/// The client side of an AUTH exchange with one relay. See the module documentation.
pub struct RelayAuth {
    relay: MsrpUri,
    local: MsrpUri,
    credentials: Credentials,
    digest: DigestClient<StdRng>,
    rng: StdRng,
    expires: Option<u32>,
    pending: Option<String>,
    attempts: u32,
    /// When to send the refreshing AUTH.
    refresh_at: Option<Instant>,
}

impl std::fmt::Debug for RelayAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayAuth")
            .field("relay", &self.relay.to_string())
            .field("local", &self.local.to_string())
            .finish_non_exhaustive()
    }
}

impl RelayAuth {
    /// An exchange with `relay` for our URI `local`, with `credentials`; `seed` seeds the
    /// transaction IDs and client nonces.
    pub fn new(relay: MsrpUri, local: MsrpUri, credentials: Credentials, seed: u64) -> RelayAuth {
        RelayAuth {
            relay,
            local,
            credentials,
            digest: DigestClient::new(StdRng::seed_from_u64(seed ^ 0x5a5a_5a5a)),
            rng: StdRng::seed_from_u64(seed),
            expires: None,
            pending: None,
            attempts: 0,
            refresh_at: None,
        }
    }

    /// Asks for this reservation time in the next AUTH.
    pub fn set_expires(&mut self, seconds: Option<u32>) {
        self.expires = seconds;
    }

    /// The relay URI.
    pub fn relay(&self) -> &MsrpUri {
        &self.relay
    }

    /// A new AUTH request without credentials.
    fn request(&mut self) -> MsrpMessage {
        let tid = format!("{:016x}", self.rng.next_u64());
        let mut m = MsrpMessage::request(
            tid.clone(),
            Method::Auth,
            vec![self.relay.clone()],
            vec![self.local.clone()],
        );
        m.headers.expires = self.expires;
        self.pending = Some(tid);
        m
    }

    /// A new AUTH request answering the remembered challenge.
    fn authorized_request(&mut self) -> RelayAuthStep {
        let auth = self
            .digest
            .authorize(&self.credentials, "AUTH", &self.relay.to_string(), None);
        match auth {
            Ok(auth) => {
                let mut m = self.request();
                m.headers.authorization = auth.first().map(|a| a.value.to_string());
                RelayAuthStep::Send(Box::new(m))
            }
            Err(e) => RelayAuthStep::Failed {
                code: 401,
                reason: e.to_string(),
            },
        }
    }

    /// The first AUTH request (without credentials).
    pub fn start(&mut self) -> MsrpMessage {
        self.attempts = 0;
        self.request()
    }

    /// Takes a response from the relay at `now`; when it grants the reservation for a time,
    /// the refresh is scheduled (see [`poll_timeout`](Self::poll_timeout)).
    pub fn handle_response_at(&mut self, now: Instant, response: &MsrpMessage) -> RelayAuthStep {
        let step = self.handle_response(response);
        match &step {
            RelayAuthStep::Authenticated { expires, .. } => {
                self.refresh_at = expires.map(|e| now + refresh_after(e));
            }
            RelayAuthStep::Failed { .. } => self.refresh_at = None,
            _ => {}
        }
        step
    }

    /// When the reservation must be refreshed ([`handle_timeout`](Self::handle_timeout)).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.refresh_at
    }

    /// At or after [`poll_timeout`](Self::poll_timeout): the AUTH that renews the
    /// reservation (answering the last challenge again; a 401 with a new nonce is answered
    /// as usual through [`handle_response_at`](Self::handle_response_at)). `None` when no
    /// refresh is due.
    pub fn handle_timeout(&mut self, now: Instant) -> Option<MsrpMessage> {
        if self.refresh_at.is_none_or(|t| t > now) {
            return None;
        }
        self.refresh_at = None;
        self.attempts = 0;
        if self.digest.realms().next().is_some()
            && let RelayAuthStep::Send(m) = self.authorized_request()
        {
            return Some(*m);
        }
        Some(self.request())
    }

    /// Takes a response from the relay.
    pub fn handle_response(&mut self, response: &MsrpMessage) -> RelayAuthStep {
        if self.pending.as_deref() != Some(response.transaction_id.as_str()) {
            return RelayAuthStep::Ignored;
        }
        let Some(code) = response.code() else {
            return RelayAuthStep::Ignored;
        };
        self.pending = None;
        self.attempts += 1;
        let reason = |code| match &response.start {
            crate::StartLine::Response {
                comment: Some(c), ..
            } => c.clone(),
            _ => default_reason(code).to_owned(),
        };
        if self.attempts > 4 {
            return RelayAuthStep::Failed {
                code,
                reason: "too many AUTH attempts".into(),
            };
        }
        match code {
            200 => {
                if response.headers.use_path.is_empty() {
                    return RelayAuthStep::Failed {
                        code: 200,
                        reason: "200 to AUTH without Use-Path".into(),
                    };
                }
                RelayAuthStep::Authenticated {
                    use_path: response.headers.use_path.clone(),
                    expires: response.headers.expires,
                }
            }
            401 => {
                let challenges: Vec<Challenge> = response
                    .headers
                    .www_authenticate
                    .iter()
                    .filter_map(|v| Challenge::parse(v).ok())
                    .collect();
                match self
                    .digest
                    .handle_challenges(AuthTarget::Origin, &challenges)
                {
                    Ok(ChallengeOutcome::Authenticate | ChallengeOutcome::Stale) => {
                        self.authorized_request()
                    }
                    Ok(ChallengeOutcome::Rejected) => RelayAuthStep::Failed {
                        code,
                        reason: "credentials rejected".into(),
                    },
                    Err(e) => RelayAuthStep::Failed {
                        code,
                        reason: e.to_string(),
                    },
                }
            }
            423 => {
                let want = self.expires.unwrap_or(0);
                let next = match (response.headers.min_expires, response.headers.max_expires) {
                    (Some(min), _) if want < min => Some(min),
                    (_, Some(max)) if want > max => Some(max),
                    (Some(min), _) => Some(min),
                    (_, Some(max)) => Some(max),
                    _ => None,
                };
                match next {
                    Some(e) if Some(e) != self.expires => {
                        self.expires = Some(e);
                        if self.digest.realms().next().is_some() {
                            self.authorized_request()
                        } else {
                            RelayAuthStep::Send(Box::new(self.request()))
                        }
                    }
                    _ => RelayAuthStep::Failed {
                        code,
                        reason: reason(code),
                    },
                }
            }
            _ => RelayAuthStep::Failed {
                code,
                reason: reason(code),
            },
        }
    }
}

/// How long after a grant of `expires` seconds the refresh goes out: at three quarters of it.
fn refresh_after(expires: u32) -> Duration {
    Duration::from_millis(u64::from(expires) * 750)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::StartLine;
    use sip_core::digest::{DigestResponse, StoredSecret, verify};

    fn response(to: &MsrpMessage, code: u16) -> MsrpMessage {
        let relay = to.headers.to_path[0].clone();
        let mut r = MsrpMessage::response_to(to, code, default_reason(code), &relay);
        r.start = StartLine::Response {
            code,
            comment: Some(default_reason(code).into()),
        };
        r
    }

    #[test]
    fn auth_with_digest_then_use_path() {
        let relay: MsrpUri = "msrps://127.0.0.1:12856;tcp".parse().unwrap();
        let me = MsrpUri::new(true, "127.0.0.1", 40000, "abcdefgh");
        let mut auth = RelayAuth::new(
            relay.clone(),
            me.clone(),
            Credentials::new("alice", "alice123"),
            1,
        );
        auth.set_expires(Some(600));
        let first = auth.start();
        assert_eq!(first.headers.to_path, vec![relay.clone()]);
        assert_eq!(first.headers.from_path, vec![me.clone()]);
        assert_eq!(first.headers.expires, Some(600));
        // Round trip through the codec, as on the wire.
        let first = MsrpMessage::parse(&first.to_bytes()).unwrap();

        let mut challenge = response(&first, 401);
        challenge
            .headers
            .www_authenticate
            .push(r#"Digest realm="127.0.0.1", nonce="abc123", qop="auth""#.into());
        let challenge = MsrpMessage::parse(&challenge.to_bytes()).unwrap();
        let RelayAuthStep::Send(second) = auth.handle_response(&challenge) else {
            panic!("expected a second AUTH");
        };
        let second = MsrpMessage::parse(&second.to_bytes()).unwrap();
        let value = second.headers.authorization.clone().expect("Authorization");
        let parsed = DigestResponse::parse(&value).unwrap();
        assert_eq!(parsed.uri, relay.to_string());
        assert!(verify(
            &parsed,
            StoredSecret::Password("alice123"),
            "AUTH",
            None
        ));
        assert!(!verify(
            &parsed,
            StoredSecret::Password("wrong"),
            "AUTH",
            None
        ));

        // A stray response is ignored.
        assert_eq!(auth.handle_response(&challenge), RelayAuthStep::Ignored);

        let mut ok = response(&second, 200);
        ok.headers.use_path = vec![relay.clone()];
        ok.headers.expires = Some(300);
        assert_eq!(
            auth.handle_response(&ok),
            RelayAuthStep::Authenticated {
                use_path: vec![relay],
                expires: Some(300)
            }
        );
    }

    #[test]
    fn rejected_credentials_and_interval_too_brief() {
        let relay: MsrpUri = "msrp://relay.example;tcp".parse().unwrap();
        let me = MsrpUri::new(false, "127.0.0.1", 40000, "abcdefgh");
        let mut auth = RelayAuth::new(relay, me, Credentials::new("alice", "bad"), 2);
        auth.set_expires(Some(10));
        let first = auth.start();
        let mut c = response(&first, 401);
        c.headers
            .www_authenticate
            .push(r#"Digest realm="r", nonce="n1", qop="auth""#.into());
        let RelayAuthStep::Send(second) = auth.handle_response(&c) else {
            panic!()
        };
        let mut brief = response(&second, 423);
        brief.headers.min_expires = Some(60);
        let RelayAuthStep::Send(third) = auth.handle_response(&brief) else {
            panic!()
        };
        assert_eq!(third.headers.expires, Some(60));
        assert!(third.headers.authorization.is_some());
        let mut again = response(&third, 401);
        again
            .headers
            .www_authenticate
            .push(r#"Digest realm="r", nonce="n2", qop="auth""#.into());
        assert!(matches!(
            auth.handle_response(&again),
            RelayAuthStep::Failed { code: 401, .. }
        ));
    }

    #[test]
    fn reservation_is_refreshed_before_it_expires_on_virtual_time() {
        let relay: MsrpUri = "msrp://127.0.0.1:12855;tcp".parse().unwrap();
        let me = MsrpUri::new(false, "127.0.0.1", 40000, "abcdefgh");
        let mut auth = RelayAuth::new(relay.clone(), me, Credentials::new("alice", "pw"), 3);
        let t0 = Instant::now();
        let first = auth.start();
        let mut c = response(&first, 401);
        c.headers
            .www_authenticate
            .push(r#"Digest realm="r", nonce="n1", qop="auth""#.into());
        let RelayAuthStep::Send(second) = auth.handle_response_at(t0, &c) else {
            panic!("expected an authorized AUTH")
        };
        assert_eq!(auth.poll_timeout(), None);
        let mut ok = response(&second, 200);
        ok.headers.use_path = vec![relay.clone()];
        ok.headers.expires = Some(300);
        assert!(matches!(
            auth.handle_response_at(t0, &ok),
            RelayAuthStep::Authenticated {
                expires: Some(300),
                ..
            }
        ));
        // Refreshed at three quarters of the 300 s, not before.
        let due = t0 + Duration::from_secs(225);
        assert_eq!(auth.poll_timeout(), Some(due));
        assert!(
            auth.handle_timeout(due - Duration::from_millis(1))
                .is_none()
        );
        let refresh = auth.handle_timeout(due).expect("refreshing AUTH");
        assert_eq!(refresh.method(), Some(&Method::Auth));
        assert_eq!(refresh.headers.to_path, vec![relay.clone()]);
        let value = refresh.headers.authorization.clone().expect("credentials");
        let parsed = sip_core::digest::DigestResponse::parse(&value).unwrap();
        assert!(verify(&parsed, StoredSecret::Password("pw"), "AUTH", None));
        assert_eq!(auth.poll_timeout(), None);
        assert!(auth.handle_timeout(due + Duration::from_secs(1)).is_none());
        // The relay grants another 120 s: the next refresh is 90 s after this answer.
        let mut ok = response(&refresh, 200);
        ok.headers.use_path = vec![relay];
        ok.headers.expires = Some(120);
        let t1 = due + Duration::from_millis(5);
        assert!(matches!(
            auth.handle_response_at(t1, &ok),
            RelayAuthStep::Authenticated { .. }
        ));
        assert_eq!(auth.poll_timeout(), Some(t1 + Duration::from_secs(90)));
    }
}
