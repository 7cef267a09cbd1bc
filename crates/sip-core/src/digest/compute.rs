//! The digest computations (RFC 7616 §3.4.1–§3.4.5, RFC 2617 §3.2.2 and §3.2.3) and server-side
//! verification.

use md5::Md5;
use sha2::{Digest, Sha256, Sha512_256};
use zeroize::Zeroizing;

use super::response::needs_extended;
use super::{
    Algorithm, AuthenticationInfo, Credentials, DigestChallenge, DigestError, DigestResponse, Qop,
    UsernameEncoding,
};

/// Compares two byte strings in time that depends only on their lengths.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    std::hint::black_box(diff) == 0
}

/// The hash function behind an algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HashFn {
    Md5,
    Sha256,
    Sha512_256,
}

impl HashFn {
    fn of(alg: &Algorithm) -> Result<HashFn, DigestError> {
        Ok(match alg {
            Algorithm::Md5 | Algorithm::Md5Sess => HashFn::Md5,
            Algorithm::Sha256 | Algorithm::Sha256Sess => HashFn::Sha256,
            Algorithm::Sha512_256 | Algorithm::Sha512_256Sess => HashFn::Sha512_256,
            Algorithm::Other(name) => return Err(DigestError::UnsupportedAlgorithm(name.clone())),
        })
    }

    /// `H(p0 ":" p1 ":" …)` as lowercase hex.
    fn hex(self, parts: &[&[u8]]) -> String {
        fn run<D: Digest>(parts: &[&[u8]]) -> String {
            let mut d = D::new();
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    d.update(b":");
                }
                d.update(p);
            }
            to_hex(&d.finalize())
        }
        match self {
            HashFn::Md5 => run::<Md5>(parts),
            HashFn::Sha256 => run::<Sha256>(parts),
            HashFn::Sha512_256 => run::<Sha512_256>(parts),
        }
    }
}

fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 15)] as char);
    }
    s
}

/// What the server knows about the user, for [`verify`] and [`AuthenticationInfo::compute`].
#[derive(Clone, Copy)]
pub enum StoredSecret<'a> {
    /// The password; the username is taken from the response (which must not be hashed).
    Password(&'a str),
    /// The real username and the password; needed to check a hashed username (`userhash`).
    UserPassword {
        /// The real (unhashed) username.
        username: &'a str,
        /// The password.
        password: &'a str,
    },
    /// The precomputed `H(username ":" realm ":" password)` in hex, for the response's
    /// algorithm (see [`ha1`]). For `-sess` algorithms this is the value before the nonce and
    /// cnonce are mixed in.
    Ha1(&'a str),
}

impl std::fmt::Debug for StoredSecret<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoredSecret::Password(_) => f.write_str("Password(***)"),
            StoredSecret::UserPassword { username, .. } => f
                .debug_struct("UserPassword")
                .field("username", username)
                .field("password", &"***")
                .finish(),
            StoredSecret::Ha1(_) => f.write_str("Ha1(***)"),
        }
    }
}

/// `H(username ":" realm ":" password)` in lowercase hex: the HA1 a registrar may store instead
/// of the password (for the base hash of `algorithm`; `-sess` is applied per request).
pub fn ha1(
    algorithm: &Algorithm,
    username: &str,
    realm: &str,
    password: &str,
) -> Result<String, DigestError> {
    let h = HashFn::of(algorithm)?;
    Ok(h.hex(&[username.as_bytes(), realm.as_bytes(), password.as_bytes()]))
}

/// `H(username ":" realm)`: the hashed username of RFC 7616 §3.4.4, lowercase hex.
pub fn userhash(algorithm: &Algorithm, username: &str, realm: &str) -> Result<String, DigestError> {
    Ok(HashFn::of(algorithm)?.hex(&[username.as_bytes(), realm.as_bytes()]))
}

/// The parameters of one digest computation, borrowed from a request or response.
struct Calc<'a> {
    hash: HashFn,
    session: bool,
    nonce: &'a str,
    cnonce: Option<&'a str>,
    nc: Option<u32>,
    qop: Option<&'a Qop>,
    uri: &'a str,
}

impl Calc<'_> {
    /// The session HA1 for `-sess`, else `base` itself.
    fn ha1(&self, base: Zeroizing<String>) -> Result<Zeroizing<String>, DigestError> {
        if !self.session {
            return Ok(base);
        }
        let cnonce = self.cnonce.ok_or(DigestError::MissingParameter("cnonce"))?;
        Ok(Zeroizing::new(self.hash.hex(&[
            base.as_bytes(),
            self.nonce.as_bytes(),
            cnonce.as_bytes(),
        ])))
    }

    /// The digest for `method` (empty for `rspauth`) and `body` (for auth-int; `None` is the
    /// empty body).
    fn digest(&self, ha1: &str, method: &str, body: Option<&[u8]>) -> Result<String, DigestError> {
        let ha2 = match self.qop {
            None | Some(Qop::Auth) => self.hash.hex(&[method.as_bytes(), self.uri.as_bytes()]),
            Some(Qop::AuthInt) => {
                let hbody = self.hash.hex(&[body.unwrap_or_default()]);
                self.hash
                    .hex(&[method.as_bytes(), self.uri.as_bytes(), hbody.as_bytes()])
            }
            Some(Qop::Other(q)) => return Err(DigestError::UnsupportedQop(vec![q.clone()])),
        };
        match self.qop {
            None => Ok(self
                .hash
                .hex(&[ha1.as_bytes(), self.nonce.as_bytes(), ha2.as_bytes()])),
            Some(q) => {
                let nc = format!(
                    "{:08x}",
                    self.nc.ok_or(DigestError::MissingParameter("nc"))?
                );
                let cnonce = self.cnonce.ok_or(DigestError::MissingParameter("cnonce"))?;
                Ok(self.hash.hex(&[
                    ha1.as_bytes(),
                    self.nonce.as_bytes(),
                    nc.as_bytes(),
                    cnonce.as_bytes(),
                    q.as_str().as_bytes(),
                    ha2.as_bytes(),
                ]))
            }
        }
    }

    fn of_response(r: &DigestResponse) -> Result<Calc<'_>, DigestError> {
        let alg = r.algorithm();
        Ok(Calc {
            hash: HashFn::of(alg)?,
            session: alg.is_session(),
            nonce: &r.nonce,
            cnonce: r.cnonce.as_deref(),
            nc: r.nc,
            qop: r.qop.as_ref(),
            uri: &r.uri,
        })
    }
}

/// Chooses the qop to answer with: none when none is offered (RFC 2069), `auth-int` when a body
/// is given and it is offered, else `auth` when offered, else `auth-int` (over the empty body
/// when none is given).
fn choose_qop(offered: &[Qop], body: Option<&[u8]>) -> Result<Option<Qop>, DigestError> {
    if offered.is_empty() {
        return Ok(None);
    }
    let has = |q: &Qop| offered.contains(q);
    if body.is_some() && has(&Qop::AuthInt) {
        Ok(Some(Qop::AuthInt))
    } else if has(&Qop::Auth) {
        Ok(Some(Qop::Auth))
    } else if has(&Qop::AuthInt) {
        Ok(Some(Qop::AuthInt))
    } else {
        Err(DigestError::UnsupportedQop(
            offered.iter().map(|q| q.as_str().to_owned()).collect(),
        ))
    }
}

impl DigestResponse {
    /// Computes the credentials answering `challenge` for a request with `method` and
    /// `digest_uri` (the Request-URI in SIP, the request-target in HTTP).
    ///
    /// * qop: none when the challenge offers none (RFC 2069 compatibility); `auth-int` when
    ///   `body` is `Some` and it is offered (the body is then integrity-protected); otherwise
    ///   `auth` when offered, else `auth-int` over `body` (or the empty body).
    /// * `nc` is the nonce count for this nonce, starting at 1 (printed as 8 hex digits);
    ///   `cnonce` must be non-empty when a qop or a `-sess` algorithm is used. [`DigestClient`]
    ///   keeps both for you.
    /// * With `userhash=true` in the challenge the username is sent as `H(username ":" realm)`;
    ///   a username with control characters is sent as `username*`. With `charset=UTF-8` the
    ///   server expects the username and password in Unicode NFC; normalising is the caller's
    ///   job.
    ///
    /// Hex digests are lowercase. Fails for an unknown algorithm or when no offered qop is
    /// supported.
    ///
    /// [`DigestClient`]: super::DigestClient
    pub fn compute(
        challenge: &DigestChallenge,
        credentials: &Credentials,
        method: &str,
        digest_uri: &str,
        body: Option<&[u8]>,
        nc: u32,
        cnonce: &str,
    ) -> Result<DigestResponse, DigestError> {
        let alg = challenge.algorithm();
        let hash = HashFn::of(alg)?;
        let qop = choose_qop(&challenge.qop, body)?;
        let session = alg.is_session();
        let uses_cnonce = qop.is_some() || session;
        if uses_cnonce && cnonce.is_empty() {
            return Err(DigestError::MissingParameter("cnonce"));
        }
        let calc = Calc {
            hash,
            session,
            nonce: &challenge.nonce,
            cnonce: uses_cnonce.then_some(cnonce),
            nc: qop.is_some().then_some(nc),
            qop: qop.as_ref(),
            uri: digest_uri,
        };
        let user = credentials.username();
        let base = Zeroizing::new(hash.hex(&[
            user.as_bytes(),
            challenge.realm.as_bytes(),
            credentials.password().expose().as_bytes(),
        ]));
        let ha1 = calc.ha1(base)?;
        let response = calc.digest(&ha1, method, body)?;
        let (cnonce, nc) = (calc.cnonce.map(str::to_owned), calc.nc);
        let (username, username_encoding) = if challenge.userhash {
            (
                hash.hex(&[user.as_bytes(), challenge.realm.as_bytes()]),
                UsernameEncoding::Hashed,
            )
        } else if needs_extended(user) {
            (user.to_owned(), UsernameEncoding::Extended)
        } else {
            (user.to_owned(), UsernameEncoding::Plain)
        };
        Ok(DigestResponse {
            username,
            username_encoding,
            realm: challenge.realm.clone(),
            nonce: challenge.nonce.clone(),
            uri: digest_uri.to_owned(),
            response,
            algorithm: challenge.algorithm.clone(),
            cnonce,
            opaque: challenge.opaque.clone(),
            qop,
            nc,
            params: Vec::new(),
        })
    }
}

/// The base HA1 for a received response, or `None` when the secret does not fit it (wrong
/// username, hashed username without the real one, unknown algorithm).
fn server_ha1(
    response: &DigestResponse,
    secret: StoredSecret<'_>,
    hash: HashFn,
) -> Option<Zeroizing<String>> {
    let realm = response.realm.as_bytes();
    let from_password = |user: &str, pass: &str| {
        Zeroizing::new(hash.hex(&[user.as_bytes(), realm, pass.as_bytes()]))
    };
    match secret {
        StoredSecret::Password(p) => {
            if response.username_encoding == UsernameEncoding::Hashed {
                return None;
            }
            Some(from_password(&response.username, p))
        }
        StoredSecret::UserPassword { username, password } => {
            let ok = if response.username_encoding == UsernameEncoding::Hashed {
                let expected = hash.hex(&[username.as_bytes(), realm]);
                constant_time_eq(
                    expected.as_bytes(),
                    response.username.to_ascii_lowercase().as_bytes(),
                )
            } else {
                response.username == username
            };
            ok.then(|| from_password(username, password))
        }
        StoredSecret::Ha1(h) => Some(Zeroizing::new(h.to_ascii_lowercase())),
    }
}

/// Server side: checks the `response` digest of received credentials against what the server
/// knows, for a request with `method` and `body` (used for `auth-int`; `None` is the empty
/// body). The comparison runs in constant time.
///
/// Only the digest is checked: the caller checks that the realm is its own, that the nonce is
/// one it issued and still valid, that `nc` grows, and that `uri` matches the request.
pub fn verify(
    response: &DigestResponse,
    secret: StoredSecret<'_>,
    method: &str,
    body: Option<&[u8]>,
) -> bool {
    let Ok(calc) = Calc::of_response(response) else {
        return false;
    };
    let Some(base) = server_ha1(response, secret, calc.hash) else {
        return false;
    };
    let Ok(ha1) = calc.ha1(base) else {
        return false;
    };
    match calc.digest(&ha1, method, body) {
        Ok(expected) => constant_time_eq(
            expected.as_bytes(),
            response.response.to_ascii_lowercase().as_bytes(),
        ),
        Err(_) => false,
    }
}

impl AuthenticationInfo {
    /// Server side: the Authentication-Info answering verified credentials `response`, with
    /// `rspauth` over `response_body` (for `auth-int`), the echoed `qop`, `cnonce` and `nc`, and
    /// an optional `nextnonce`.
    pub fn compute(
        response: &DigestResponse,
        secret: StoredSecret<'_>,
        response_body: Option<&[u8]>,
        nextnonce: Option<String>,
    ) -> Result<AuthenticationInfo, DigestError> {
        let calc = Calc::of_response(response)?;
        let base = server_ha1(response, secret, calc.hash).ok_or(DigestError::UsernameMismatch)?;
        let ha1 = calc.ha1(base)?;
        let rspauth = calc.digest(&ha1, "", response_body)?;
        Ok(AuthenticationInfo {
            nextnonce,
            qop: response.qop.clone(),
            rspauth: Some(rspauth),
            cnonce: response.cnonce.clone(),
            nc: response.nc,
            params: Vec::new(),
        })
    }

    /// Client side: checks that this Authentication-Info answers `sent` (the credentials the
    /// client sent, computed from `credentials`): the echoed `qop`, `cnonce` and `nc` must match
    /// and `rspauth` must be the digest over `response_body` (for `auth-int`; `None` is the empty
    /// body). Fails with [`DigestError::MissingParameter`] when there is no `rspauth` and with
    /// [`DigestError::RspauthMismatch`] when anything differs.
    pub fn verify(
        &self,
        sent: &DigestResponse,
        credentials: &Credentials,
        response_body: Option<&[u8]>,
    ) -> Result<(), DigestError> {
        let rspauth = self
            .rspauth
            .as_deref()
            .ok_or(DigestError::MissingParameter("rspauth"))?;
        let echo_ok = (self.qop.is_none() || self.qop == sent.qop)
            && (self.cnonce.is_none() || self.cnonce == sent.cnonce)
            && (self.nc.is_none() || self.nc == sent.nc);
        let calc = Calc::of_response(sent)?;
        let base = Zeroizing::new(calc.hash.hex(&[
            credentials.username().as_bytes(),
            sent.realm.as_bytes(),
            credentials.password().expose().as_bytes(),
        ]));
        let ha1 = calc.ha1(base)?;
        let expected = calc.digest(&ha1, "", response_body)?;
        let digest_ok =
            constant_time_eq(expected.as_bytes(), rspauth.to_ascii_lowercase().as_bytes());
        if echo_ok && digest_ok {
            Ok(())
        } else {
            Err(DigestError::RspauthMismatch)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_basics() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn hash_functions_known_answers() {
        assert_eq!(HashFn::Md5.hex(&[b""]), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(
            HashFn::Sha256.hex(&[b"a", b"b"]),
            HashFn::Sha256.hex(&[b"a:b"])
        );
        assert_eq!(
            HashFn::Sha512_256.hex(&[b""]),
            "c672b8d1ef56ed28ab87c3622c5114069bdd3ad7b8f9737498d0c01ecef0967a"
        );
    }

    #[test]
    fn qop_choice() {
        let both = [Qop::Auth, Qop::AuthInt];
        assert_eq!(choose_qop(&[], Some(b"x")).unwrap(), None);
        assert_eq!(choose_qop(&both, None).unwrap(), Some(Qop::Auth));
        assert_eq!(choose_qop(&both, Some(b"")).unwrap(), Some(Qop::AuthInt));
        assert_eq!(
            choose_qop(&[Qop::AuthInt], None).unwrap(),
            Some(Qop::AuthInt)
        );
        assert_eq!(
            choose_qop(&[Qop::Auth], Some(b"x")).unwrap(),
            Some(Qop::Auth)
        );
        assert!(matches!(
            choose_qop(&[Qop::Other("x".into())], None),
            Err(DigestError::UnsupportedQop(v)) if v == ["x"]
        ));
    }
}
