//! Answering the 401/407 responses to one SIP request: the retry decision and the
//! Authorization / Proxy-Authorization headers of the retried request.

use std::fmt;

use rand::RngCore;
use rand::rngs::StdRng;

use super::{AuthTarget, Challenge, ChallengeOutcome, Credentials, DigestClient, DigestError};
use crate::header::{HeaderName, ProxyAuthenticate, WwwAuthenticate};
use crate::message::{Request, Response};

/// What to do with a 401/407 response, decided by [`RequestAuthenticator::handle_response`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AuthDecision {
    /// Resend the request with a new CSeq, with the headers of
    /// [`authorize`](RequestAuthenticator::authorize) (or
    /// [`authorization_headers`](RequestAuthenticator::authorization_headers)).
    Retry {
        /// Who challenged: origin (401) or proxy (407).
        target: AuthTarget,
        /// Every challenge was a `stale=true` one for a nonce already answered.
        stale: bool,
    },
    /// Do not retry: the request fails with the response.
    GiveUp {
        /// The reason to report: the response's reason phrase, followed (when the challenge
        /// was read) by why it is not answered, e.g.
        /// `Unauthorized (credentials rejected for realm "example.com")`.
        reason: String,
    },
}

/// The client side of digest authentication for one SIP request and its retries (sans-IO).
///
/// It owns the [`DigestClient`] (challenges per realm, nonce counts) and counts the retries
/// of the current request against a limit. For each 401/407,
/// [`handle_response`](Self::handle_response) takes the challenges and decides whether to
/// retry; [`authorize`](Self::authorize) adds the Authorization / Proxy-Authorization headers
/// to the request being rebuilt (the first request gets them too once a challenge is known,
/// with the next nonce count). The same value can serve the following requests of an
/// account (refreshes): call [`reset_attempts`](Self::reset_attempts) for each new request.
///
/// ```
/// use rand::SeedableRng;
/// use sip_core::digest::{AuthDecision, Credentials, DigestClient, RequestAuthenticator};
/// use sip_core::message::{Method, Request, Response, SipMessage};
///
/// let mut auth = RequestAuthenticator::new(DigestClient::new(rand::rngs::StdRng::seed_from_u64(1)), 3);
/// let challenge = SipMessage::parse(
///     "SIP/2.0 401 Unauthorized\r\n\
///      WWW-Authenticate: Digest realm=\"example.com\", nonce=\"n1\", qop=\"auth\"\r\n\
///      Content-Length: 0\r\n\r\n",
/// )?;
/// let response = challenge.as_response().unwrap();
/// assert!(matches!(auth.handle_response(response, true), AuthDecision::Retry { .. }));
///
/// let mut retry = Request::builder(Method::Register, sip_core::uri::SipUri::parse("sip:example.com")?).build();
/// auth.authorize(&mut retry, &Credentials::new("alice", "secret"))?;
/// assert!(retry.headers().get(&sip_core::header::HeaderName::Authorization).is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RequestAuthenticator<R = StdRng> {
    digest: DigestClient<R>,
    attempts: u32,
    max_attempts: u32,
    strict: bool,
}

impl RequestAuthenticator<StdRng> {
    /// An authenticator whose cnonces come from a [`StdRng`] seeded by the operating system,
    /// retrying at most `max_attempts` times per request.
    pub fn from_entropy(max_attempts: u32) -> Self {
        RequestAuthenticator::new(DigestClient::from_entropy(), max_attempts)
    }
}

impl<R: RngCore> RequestAuthenticator<R> {
    /// An authenticator over `digest`, retrying at most `max_attempts` times per request.
    pub fn new(digest: DigestClient<R>, max_attempts: u32) -> Self {
        RequestAuthenticator {
            digest,
            attempts: 0,
            max_attempts,
            strict: false,
        }
    }

    /// Reads each WWW-Authenticate / Proxy-Authenticate line as exactly one challenge, and
    /// ignores them all (so gives up) when one line does not parse. By default a line may hold
    /// a comma-separated list of challenges and unparseable lines are skipped.
    pub fn strict_challenges(mut self) -> Self {
        self.strict = true;
        self
    }

    /// Takes a 401 (origin) or 407 (proxy) response to the request and decides whether to
    /// retry it; `has_credentials` says whether credentials exist to answer with.
    ///
    /// Gives up, with the bare reason phrase, when the response is neither 401 nor 407 or the
    /// retries of this request reached the limit (the challenges are then not read). Otherwise
    /// the challenges are taken by the [`DigestClient`] (even without credentials, so that
    /// credentials set later answer them), and the request is retried when the outcome is
    /// [`ChallengeOutcome::Authenticate`] or [`ChallengeOutcome::Stale`] and credentials
    /// exist; a retry counts as one attempt. Else the reason says why: no credentials,
    /// credentials rejected, or a challenge that cannot be answered.
    pub fn handle_response(&mut self, response: &Response, has_credentials: bool) -> AuthDecision {
        let reason = response.reason();
        let target = match response.status().code() {
            401 => AuthTarget::Origin,
            407 => AuthTarget::Proxy,
            _ => return give_up(reason.to_owned()),
        };
        if !self.has_attempts_left() {
            return give_up(reason.to_owned());
        }
        let challenges = if self.strict {
            strict_challenges_of(response, target)
        } else {
            challenges_of(response, target)
        };
        let outcome = self.digest.handle_challenges(target, challenges.iter());
        match outcome {
            Ok(o @ (ChallengeOutcome::Authenticate | ChallengeOutcome::Stale))
                if has_credentials =>
            {
                self.attempts += 1;
                AuthDecision::Retry {
                    target,
                    stale: o == ChallengeOutcome::Stale,
                }
            }
            _ => give_up(failure_reason(
                reason,
                &challenges,
                &outcome,
                has_credentials,
            )),
        }
    }

    /// Adds the Authorization / Proxy-Authorization headers for every remembered challenge at
    /// the end of `request`'s headers, computed over its method, Request-URI and body (an
    /// empty body counts as none). Adds nothing before the first challenge. On error the
    /// request is left unchanged.
    pub fn authorize(
        &mut self,
        request: &mut Request,
        credentials: &Credentials,
    ) -> Result<(), DigestError> {
        let body = request.body().clone();
        let body = (!body.is_empty()).then_some(&body[..]);
        let uri = request.uri().to_string();
        let headers =
            self.authorization_headers(credentials, request.method().as_str(), &uri, body)?;
        for (name, value) in headers {
            request.headers_mut().push(name, value);
        }
        Ok(())
    }

    /// The Authorization / Proxy-Authorization headers (name and value) for every remembered
    /// challenge, for a request with `method`, `uri` and `body` (see
    /// [`DigestClient::authorize`]); for requests built with the headers in another place.
    pub fn authorization_headers(
        &mut self,
        credentials: &Credentials,
        method: &str,
        uri: &str,
        body: Option<&[u8]>,
    ) -> Result<Vec<(HeaderName, String)>, DigestError> {
        Ok(self
            .digest
            .authorize(credentials, method, uri, body)?
            .into_iter()
            .map(|a| {
                let name = match a.target {
                    AuthTarget::Origin => HeaderName::Authorization,
                    AuthTarget::Proxy => HeaderName::ProxyAuthorization,
                };
                (name, a.value.to_string())
            })
            .collect())
    }

    /// The retries of the current request so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The most retries of one request.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Whether the current request may be retried once more.
    pub fn has_attempts_left(&self) -> bool {
        self.attempts < self.max_attempts
    }

    /// Counts a retry for another reason (423, 412, 422…) when it shares the limit.
    pub fn count_attempt(&mut self) {
        self.attempts = self.attempts.saturating_add(1);
    }

    /// Starts counting the retries of a new request (the challenges are kept).
    pub fn reset_attempts(&mut self) {
        self.attempts = 0;
    }

    /// The digest client.
    pub fn digest(&self) -> &DigestClient<R> {
        &self.digest
    }

    /// The digest client, to change its policy or forget challenges.
    pub fn digest_mut(&mut self) -> &mut DigestClient<R> {
        &mut self.digest
    }
}

impl<R> fmt::Debug for RequestAuthenticator<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestAuthenticator")
            .field("digest", &self.digest)
            .field("attempts", &self.attempts)
            .field("max_attempts", &self.max_attempts)
            .field("strict", &self.strict)
            .finish()
    }
}

fn give_up(reason: String) -> AuthDecision {
    AuthDecision::GiveUp { reason }
}

/// The challenges of a 401 (WWW-Authenticate) or 407 (Proxy-Authenticate); each line may
/// hold a list, unparseable lines are skipped.
fn challenges_of(response: &Response, target: AuthTarget) -> Vec<Challenge> {
    let name = match target {
        AuthTarget::Origin => HeaderName::WwwAuthenticate,
        AuthTarget::Proxy => HeaderName::ProxyAuthenticate,
    };
    response
        .headers()
        .get_all(&name)
        .filter_map(|h| Challenge::parse_list(h.value()).ok())
        .flatten()
        .collect()
}

/// One challenge per line; none at all when a line does not parse.
fn strict_challenges_of(response: &Response, target: AuthTarget) -> Vec<Challenge> {
    let headers = response.headers();
    match target {
        AuthTarget::Origin => headers
            .typed_all::<WwwAuthenticate>()
            .map(|v| v.into_iter().map(|h| h.0).collect()),
        AuthTarget::Proxy => headers
            .typed_all::<ProxyAuthenticate>()
            .map(|v| v.into_iter().map(|h| h.0).collect()),
    }
    .unwrap_or_default()
}

/// The reason reported when a 401/407 ends a request instead of being answered: the
/// response's reason phrase, followed by why no (further) attempt was made, so that
/// `SIP…DidFail` says whether the password was wrong or missing.
fn failure_reason(
    reason: &str,
    challenges: &[Challenge],
    outcome: &Result<ChallengeOutcome, DigestError>,
    has_credentials: bool,
) -> String {
    let realm = challenges
        .iter()
        .find_map(|c| match c {
            Challenge::Digest(d) => Some(format!(" for realm \"{}\"", d.realm)),
            Challenge::Other { .. } => None,
        })
        .unwrap_or_default();
    let why = match outcome {
        _ if !has_credentials => format!("no credentials{realm}"),
        Ok(ChallengeOutcome::Rejected) => format!("credentials rejected{realm}"),
        Ok(_) => format!("too many authentication attempts{realm}"),
        Err(e) => format!("challenge not usable: {e}"),
    };
    format!("{reason} ({why})")
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::digest::{DigestResponse, Qop, StoredSecret, verify};
    use crate::message::{Method, StatusCode};
    use crate::uri::SipUri;

    fn authenticator(max: u32) -> RequestAuthenticator {
        RequestAuthenticator::new(DigestClient::new(StdRng::seed_from_u64(3)), max)
    }

    fn challenge(code: u16, challenges: &[&str]) -> Response {
        let name = if code == 401 {
            HeaderName::WwwAuthenticate
        } else {
            HeaderName::ProxyAuthenticate
        };
        let mut b = Response::builder(StatusCode::new(code).unwrap());
        for c in challenges {
            b = b.header(name.clone(), *c);
        }
        b.build()
    }

    fn request(method: Method) -> Request {
        Request::builder(method, SipUri::parse("sip:example.com").unwrap()).build()
    }

    fn creds() -> Credentials {
        Credentials::new("alice", "secret")
    }

    /// The values of `name` in `request`, parsed.
    fn values(request: &Request, name: HeaderName) -> Vec<DigestResponse> {
        request
            .headers()
            .get_all(&name)
            .map(|h| DigestResponse::parse(h.value()).unwrap())
            .collect()
    }

    const N1: &str = r#"Digest realm="example.com", nonce="n1", qop="auth""#;

    #[test]
    fn a_401_is_retried_with_authorization() {
        let mut a = authenticator(3);
        let mut r = request(Method::Register);
        a.authorize(&mut r, &creds()).unwrap();
        assert!(r.headers().get(&HeaderName::Authorization).is_none());
        assert_eq!(
            a.handle_response(&challenge(401, &[N1]), true),
            AuthDecision::Retry {
                target: AuthTarget::Origin,
                stale: false
            }
        );
        assert_eq!(a.attempts(), 1);
        let mut r = request(Method::Register);
        a.authorize(&mut r, &creds()).unwrap();
        let v = values(&r, HeaderName::Authorization);
        assert_eq!(v.len(), 1);
        assert!(r.headers().get(&HeaderName::ProxyAuthorization).is_none());
        assert_eq!((v[0].uri.as_str(), v[0].nc), ("sip:example.com", Some(1)));
        assert!(verify(
            &v[0],
            StoredSecret::Password("secret"),
            "REGISTER",
            None
        ));
    }

    #[test]
    fn a_407_is_retried_with_proxy_authorization() {
        let mut a = authenticator(3);
        let response = challenge(407, &[r#"Digest realm="proxy", nonce="p1""#]);
        assert_eq!(
            a.handle_response(&response, true),
            AuthDecision::Retry {
                target: AuthTarget::Proxy,
                stale: false
            }
        );
        let mut r = request(Method::Invite);
        a.authorize(&mut r, &creds()).unwrap();
        assert!(r.headers().get(&HeaderName::Authorization).is_none());
        let v = values(&r, HeaderName::ProxyAuthorization);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].realm, "proxy");
        assert!(verify(
            &v[0],
            StoredSecret::Password("secret"),
            "INVITE",
            None
        ));
    }

    #[test]
    fn header_names_follow_each_target() {
        let mut a = authenticator(3);
        a.handle_response(
            &challenge(407, &[r#"Digest realm="proxy", nonce="p1""#]),
            true,
        );
        a.handle_response(&challenge(401, &[N1]), true);
        let h = a
            .authorization_headers(&creds(), "MESSAGE", "sip:bob@example.com", None)
            .unwrap();
        let names: Vec<_> = h.iter().map(|(n, _)| n.clone()).collect();
        assert_eq!(
            names,
            [HeaderName::ProxyAuthorization, HeaderName::Authorization]
        );
        let origin = DigestResponse::parse(&h[1].1).unwrap();
        assert_eq!(origin.uri, "sip:bob@example.com");
        assert!(verify(
            &origin,
            StoredSecret::Password("secret"),
            "MESSAGE",
            None
        ));
    }

    #[test]
    fn a_stale_nonce_is_retried() {
        let mut a = authenticator(3);
        a.handle_response(&challenge(401, &[N1]), true);
        a.authorize(&mut request(Method::Register), &creds())
            .unwrap();
        let stale = r#"Digest realm="example.com", nonce="n2", qop="auth", stale=true"#;
        assert_eq!(
            a.handle_response(&challenge(401, &[stale]), true),
            AuthDecision::Retry {
                target: AuthTarget::Origin,
                stale: true
            }
        );
        let mut r = request(Method::Register);
        a.authorize(&mut r, &creds()).unwrap();
        let v = values(&r, HeaderName::Authorization);
        assert_eq!((v[0].nonce.as_str(), v[0].nc), ("n2", Some(1)));
        assert_eq!(a.attempts(), 2);
    }

    #[test]
    fn credentials_rejected_after_a_retry() {
        let mut a = authenticator(3);
        a.handle_response(&challenge(401, &[N1]), true);
        a.authorize(&mut request(Method::Register), &creds())
            .unwrap();
        let again = r#"Digest realm="example.com", nonce="n2", qop="auth""#;
        assert_eq!(
            a.handle_response(&challenge(401, &[again]), true),
            AuthDecision::GiveUp {
                reason: r#"Unauthorized (credentials rejected for realm "example.com")"#.into()
            }
        );
        assert_eq!(a.attempts(), 1);
    }

    #[test]
    fn no_credentials_gives_up_but_keeps_the_challenge() {
        let mut a = authenticator(3);
        let response = challenge(407, &[r#"Digest realm="proxy", nonce="p1""#]);
        assert_eq!(
            a.handle_response(&response, false),
            AuthDecision::GiveUp {
                reason: r#"Proxy Authentication Required (no credentials for realm "proxy")"#
                    .into()
            }
        );
        assert_eq!(a.attempts(), 0);
        // Credentials given later answer the remembered challenge.
        let mut r = request(Method::Publish);
        a.authorize(&mut r, &creds()).unwrap();
        assert_eq!(values(&r, HeaderName::ProxyAuthorization).len(), 1);
    }

    #[test]
    fn too_many_attempts_give_up_with_the_reason_phrase() {
        let mut a = authenticator(2);
        let stale = r#"Digest realm="example.com", nonce="n2", qop="auth", stale=true"#;
        assert!(matches!(
            a.handle_response(&challenge(401, &[N1]), true),
            AuthDecision::Retry { .. }
        ));
        a.authorize(&mut request(Method::Register), &creds())
            .unwrap();
        assert!(matches!(
            a.handle_response(&challenge(401, &[stale]), true),
            AuthDecision::Retry { stale: true, .. }
        ));
        assert!(!a.has_attempts_left());
        a.authorize(&mut request(Method::Register), &creds())
            .unwrap();
        let n3 = r#"Digest realm="example.com", nonce="n3", qop="auth", stale=true"#;
        assert_eq!(
            a.handle_response(&challenge(401, &[n3]), true),
            AuthDecision::GiveUp {
                reason: "Unauthorized".into()
            }
        );
        // The challenge was not taken: the nonce is still n2.
        assert_eq!(
            a.digest()
                .challenge(AuthTarget::Origin, "example.com")
                .map(|c| c.nonce.as_str()),
            Some("n2")
        );
        // A new request starts counting again.
        a.reset_attempts();
        assert!(matches!(
            a.handle_response(&challenge(401, &[n3]), true),
            AuthDecision::Retry { stale: true, .. }
        ));
    }

    #[test]
    fn other_retries_share_the_limit() {
        let mut a = authenticator(1);
        a.count_attempt();
        assert_eq!(
            a.handle_response(&challenge(401, &[N1]), true),
            AuthDecision::GiveUp {
                reason: "Unauthorized".into()
            }
        );
        assert_eq!((a.attempts(), a.max_attempts()), (1, 1));
    }

    #[test]
    fn qop_auth_with_a_body() {
        let mut a = authenticator(3);
        a.handle_response(&challenge(401, &[N1]), true);
        let mut r = Request::builder(
            Method::Publish,
            SipUri::parse("sip:alice@example.com").unwrap(),
        )
        .body("application/pidf+xml", "<presence/>")
        .build();
        a.authorize(&mut r, &creds()).unwrap();
        let v = values(&r, HeaderName::Authorization);
        assert_eq!(v[0].qop, Some(Qop::Auth));
        assert_eq!(v[0].uri, "sip:alice@example.com");
        assert!(verify(
            &v[0],
            StoredSecret::Password("secret"),
            "PUBLISH",
            Some(b"<presence/>")
        ));
    }

    #[test]
    fn the_body_of_the_request_is_protected_with_auth_int() {
        let mut a = authenticator(3);
        let c = r#"Digest realm="example.com", nonce="n1", qop="auth-int""#;
        a.handle_response(&challenge(401, &[c]), true);
        let mut r = Request::builder(
            Method::Message,
            SipUri::parse("sip:bob@example.com").unwrap(),
        )
        .body("text/plain", "hi")
        .build();
        a.authorize(&mut r, &creds()).unwrap();
        let v = values(&r, HeaderName::Authorization);
        assert_eq!(v[0].qop, Some(Qop::AuthInt));
        assert!(verify(
            &v[0],
            StoredSecret::Password("secret"),
            "MESSAGE",
            Some(b"hi")
        ));
        assert!(!verify(
            &v[0],
            StoredSecret::Password("secret"),
            "MESSAGE",
            Some(b"ho")
        ));
    }

    #[test]
    fn unusable_challenges_and_other_responses_give_up() {
        let mut a = authenticator(3);
        let basic = challenge(401, &[r#"Basic realm="x""#]);
        assert_eq!(
            a.handle_response(&basic, true),
            AuthDecision::GiveUp {
                reason: "Unauthorized (challenge not usable: no Digest challenge)".into()
            }
        );
        let forbidden = Response::builder(StatusCode::new(403).unwrap()).build();
        assert_eq!(
            a.handle_response(&forbidden, true),
            AuthDecision::GiveUp {
                reason: "Forbidden".into()
            }
        );
        assert_eq!(a.attempts(), 0);
    }

    #[test]
    fn lists_are_read_unless_strict() {
        let list = r#"Digest realm="a", nonce="n1", Digest realm="b", nonce="n2""#;
        let bad = "Digest realm=";
        let response = challenge(401, &[bad, list]);
        let mut lenient = authenticator(3);
        assert!(matches!(
            lenient.handle_response(&response, true),
            AuthDecision::Retry { .. }
        ));
        assert_eq!(lenient.digest().realms().count(), 2);
        let mut strict = authenticator(3).strict_challenges();
        assert!(matches!(
            strict.handle_response(&response, true),
            AuthDecision::GiveUp { .. }
        ));
        let one = challenge(401, &[N1]);
        assert!(matches!(
            strict.handle_response(&one, true),
            AuthDecision::Retry { .. }
        ));
    }
}
