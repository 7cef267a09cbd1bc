//! The client state: challenges per realm, nonce counts and cnonces.

use std::fmt;

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};

use super::{
    AuthenticationInfo, Challenge, Credentials, DigestChallenge, DigestError, DigestResponse, Qop,
};

/// Who challenged: the origin (WWW-Authenticate → Authorization, 401) or a proxy or relay
/// (Proxy-Authenticate → Proxy-Authorization, 407).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthTarget {
    /// The origin server or UAS (401, `WWW-Authenticate`).
    Origin,
    /// A proxy (407, `Proxy-Authenticate`).
    Proxy,
}

impl AuthTarget {
    /// The header carrying challenges: `WWW-Authenticate` or `Proxy-Authenticate`.
    pub fn challenge_header(self) -> &'static str {
        match self {
            AuthTarget::Origin => "WWW-Authenticate",
            AuthTarget::Proxy => "Proxy-Authenticate",
        }
    }

    /// The header carrying credentials: `Authorization` or `Proxy-Authorization`.
    pub fn authorization_header(self) -> &'static str {
        match self {
            AuthTarget::Origin => "Authorization",
            AuthTarget::Proxy => "Proxy-Authorization",
        }
    }
}

/// What to do after [`DigestClient::handle_challenges`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChallengeOutcome {
    /// A new challenge: retry the request with credentials.
    Authenticate,
    /// Every challenge said `stale=true` for a nonce already answered: the credentials were
    /// right, retry with the new nonce without asking the user.
    Stale,
    /// A realm that was already answered with the current credentials challenged again without
    /// `stale=true`: the credentials are probably wrong; do not retry them automatically.
    Rejected,
}

/// How to choose among several challenges for the same realm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AlgorithmPolicy {
    /// The strongest supported algorithm: SHA-512-256 > SHA-256 > MD5 (the first on a tie).
    #[default]
    Strongest,
    /// The first supported challenge in the server's order (RFC 8760 §2.4 lists challenges
    /// most preferred first).
    ServerOrder,
}

/// One credentials value for a request, and the header it goes in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// Origin or proxy.
    pub target: AuthTarget,
    /// The credentials value (print it with `Display`).
    pub value: DigestResponse,
}

impl Authorization {
    /// `Authorization` or `Proxy-Authorization`.
    pub fn header_name(&self) -> &'static str {
        self.target.authorization_header()
    }
}

#[derive(Debug, Clone)]
struct Entry {
    target: AuthTarget,
    challenge: DigestChallenge,
    /// The last nonce count used with the current nonce (0: none yet).
    nc: u32,
    /// Credentials were computed for the current nonce.
    answered: bool,
}

/// Client-side digest state (sans-IO), shared by SIP, MSRP relays and XCAP.
///
/// It remembers the chosen challenge per target and realm, counts nonce use (`nc` grows with
/// every request answered with a nonce and restarts at 1 when a new nonce arrives, through a
/// challenge or `nextnonce`), and draws cnonces from its random number generator.
///
/// ```
/// use rand::SeedableRng;
/// use sip_core::digest::{AuthTarget, Challenge, ChallengeOutcome, Credentials, DigestClient};
///
/// let mut client = DigestClient::new(rand::rngs::StdRng::seed_from_u64(7));
/// let c = Challenge::parse(r#"Digest realm="example.com", nonce="n1", qop="auth""#)?;
/// assert_eq!(
///     client.handle_challenges(AuthTarget::Origin, [&c])?,
///     ChallengeOutcome::Authenticate
/// );
/// let creds = Credentials::new("alice", "secret");
/// let auth = client.authorize(&creds, "REGISTER", "sip:example.com", None)?;
/// assert_eq!(auth[0].header_name(), "Authorization");
/// assert_eq!(auth[0].value.nc, Some(1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct DigestClient<R = StdRng> {
    rng: R,
    entries: Vec<Entry>,
    policy: AlgorithmPolicy,
}

impl DigestClient<StdRng> {
    /// A client whose cnonces come from a [`StdRng`] seeded by the operating system.
    pub fn from_entropy() -> Self {
        DigestClient::new(StdRng::from_os_rng())
    }
}

impl<R: RngCore> DigestClient<R> {
    /// A client drawing cnonces from `rng` (seed it for reproducible tests).
    pub fn new(rng: R) -> Self {
        DigestClient {
            rng,
            entries: Vec::new(),
            policy: AlgorithmPolicy::default(),
        }
    }

    /// How challenges for the same realm are chosen.
    pub fn algorithm_policy(&self) -> AlgorithmPolicy {
        self.policy
    }

    /// Changes how challenges for the same realm are chosen.
    pub fn set_algorithm_policy(&mut self, policy: AlgorithmPolicy) {
        self.policy = policy;
    }

    /// Takes the challenges of a 401 (`target` [`AuthTarget::Origin`]) or 407
    /// ([`AuthTarget::Proxy`]) response.
    ///
    /// Challenges of other schemes, with unknown algorithms, or offering only unknown qop
    /// values are ignored. For each realm one challenge is kept, chosen by the
    /// [`AlgorithmPolicy`]; it replaces the previous one for that realm and restarts the nonce
    /// count. The outcome is [`ChallengeOutcome::Rejected`] when any realm rejected credentials
    /// already sent, else [`ChallengeOutcome::Authenticate`] when any realm is new (or was not
    /// answered yet), else [`ChallengeOutcome::Stale`].
    ///
    /// Fails when no challenge can be answered: [`DigestError::NoDigestChallenge`], or the
    /// reason the first digest challenge was unusable.
    pub fn handle_challenges<'c>(
        &mut self,
        target: AuthTarget,
        challenges: impl IntoIterator<Item = &'c Challenge>,
    ) -> Result<ChallengeOutcome, DigestError> {
        let mut chosen: Vec<&DigestChallenge> = Vec::new();
        let mut unusable: Option<DigestError> = None;
        for d in challenges.into_iter().filter_map(Challenge::as_digest) {
            let alg = d.algorithm();
            if !alg.is_supported() {
                unusable.get_or_insert_with(|| {
                    DigestError::UnsupportedAlgorithm(alg.as_str().to_owned())
                });
                continue;
            }
            if !d.qop.is_empty() && !d.qop.iter().any(Qop::is_supported) {
                unusable.get_or_insert_with(|| {
                    DigestError::UnsupportedQop(
                        d.qop.iter().map(|q| q.as_str().to_owned()).collect(),
                    )
                });
                continue;
            }
            match chosen.iter_mut().find(|c| c.realm == d.realm) {
                Some(c) => {
                    if self.policy == AlgorithmPolicy::Strongest
                        && alg.strength() > c.algorithm().strength()
                    {
                        *c = d;
                    }
                }
                None => chosen.push(d),
            }
        }
        if chosen.is_empty() {
            return Err(unusable.unwrap_or(DigestError::NoDigestChallenge));
        }
        let (mut rejected, mut fresh) = (false, false);
        for d in chosen {
            let entry = Entry {
                target,
                challenge: d.clone(),
                nc: 0,
                answered: false,
            };
            match self
                .entries
                .iter_mut()
                .find(|e| e.target == target && e.challenge.realm == d.realm)
            {
                Some(e) => {
                    if !e.answered {
                        fresh = true;
                    } else if !d.stale {
                        rejected = true;
                    }
                    *e = entry;
                }
                None => {
                    fresh = true;
                    self.entries.push(entry);
                }
            }
        }
        Ok(if rejected {
            ChallengeOutcome::Rejected
        } else if fresh {
            ChallengeOutcome::Authenticate
        } else {
            ChallengeOutcome::Stale
        })
    }

    /// Credentials for every remembered realm, for a request with `method`, `digest_uri` and
    /// `body` (see [`DigestResponse::compute`] for how `body` selects `auth-int`). Each call
    /// uses the next nonce count. Empty when no challenge has been received.
    pub fn authorize(
        &mut self,
        credentials: &Credentials,
        method: &str,
        digest_uri: &str,
        body: Option<&[u8]>,
    ) -> Result<Vec<Authorization>, DigestError> {
        (0..self.entries.len())
            .map(|i| {
                Ok(Authorization {
                    target: self.entries[i].target,
                    value: self.answer(i, credentials, method, digest_uri, body)?,
                })
            })
            .collect()
    }

    /// Credentials for one remembered realm. Fails with [`DigestError::UnknownRealm`] when
    /// there is no challenge for it.
    pub fn authorize_realm(
        &mut self,
        target: AuthTarget,
        realm: &str,
        credentials: &Credentials,
        method: &str,
        digest_uri: &str,
        body: Option<&[u8]>,
    ) -> Result<DigestResponse, DigestError> {
        let i = self
            .position(target, realm)
            .ok_or_else(|| DigestError::UnknownRealm(realm.to_owned()))?;
        self.answer(i, credentials, method, digest_uri, body)
    }

    fn answer(
        &mut self,
        i: usize,
        credentials: &Credentials,
        method: &str,
        digest_uri: &str,
        body: Option<&[u8]>,
    ) -> Result<DigestResponse, DigestError> {
        let cnonce = self.cnonce();
        let e = &mut self.entries[i];
        let nc =
            e.nc.checked_add(1)
                .ok_or(DigestError::NonceCountExhausted)?;
        let r = DigestResponse::compute(
            &e.challenge,
            credentials,
            method,
            digest_uri,
            body,
            nc,
            &cnonce,
        )?;
        e.nc = nc;
        e.answered = true;
        Ok(r)
    }

    /// A fresh client nonce: 128 random bits in hex.
    fn cnonce(&mut self) -> String {
        let mut b = [0u8; 16];
        self.rng.fill_bytes(&mut b);
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// Takes the Authentication-Info (or Proxy-Authentication-Info) answering `sent`.
    ///
    /// When it has `rspauth`, checks it (see [`AuthenticationInfo::verify`]) and returns
    /// `Ok(true)`; without one returns `Ok(false)`. On success a `nextnonce` replaces the nonce
    /// of `sent`'s realm and restarts the nonce count. On a mismatch nothing changes and
    /// [`DigestError::RspauthMismatch`] is returned.
    pub fn handle_authentication_info(
        &mut self,
        target: AuthTarget,
        info: &AuthenticationInfo,
        sent: &DigestResponse,
        credentials: &Credentials,
        response_body: Option<&[u8]>,
    ) -> Result<bool, DigestError> {
        let verified = if info.rspauth.is_some() {
            info.verify(sent, credentials, response_body)?;
            true
        } else {
            false
        };
        let slot = info
            .nextnonce
            .as_ref()
            .and_then(|n| Some((n, self.position(target, &sent.realm)?)));
        if let Some((next, i)) = slot {
            let e = &mut self.entries[i];
            e.challenge.nonce.clone_from(next);
            e.challenge.stale = false;
            e.nc = 0;
            e.answered = false;
        }
        Ok(verified)
    }

    fn position(&self, target: AuthTarget, realm: &str) -> Option<usize> {
        self.entries
            .iter()
            .position(|e| e.target == target && e.challenge.realm == realm)
    }

    /// The challenge remembered for `realm`.
    pub fn challenge(&self, target: AuthTarget, realm: &str) -> Option<&DigestChallenge> {
        self.position(target, realm)
            .map(|i| &self.entries[i].challenge)
    }

    /// The last nonce count used with the current nonce of `realm` (0 before the first use).
    pub fn nonce_count(&self, target: AuthTarget, realm: &str) -> Option<u32> {
        self.position(target, realm).map(|i| self.entries[i].nc)
    }

    /// The remembered targets and realms, in the order they were first challenged.
    pub fn realms(&self) -> impl Iterator<Item = (AuthTarget, &str)> + '_ {
        self.entries
            .iter()
            .map(|e| (e.target, e.challenge.realm.as_str()))
    }

    /// Forgets the challenge for `realm`; true when there was one.
    pub fn forget(&mut self, target: AuthTarget, realm: &str) -> bool {
        match self.position(target, realm) {
            Some(i) => {
                self.entries.remove(i);
                true
            }
            None => false,
        }
    }

    /// Forgets every challenge.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

impl<R> fmt::Debug for DigestClient<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DigestClient")
            .field("entries", &self.entries)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}
