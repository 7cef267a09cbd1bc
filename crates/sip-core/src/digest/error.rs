//! Errors of digest computation and of the digest client.

use crate::error::ParseError;

/// Why a digest response could not be computed or a server's answer could not be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DigestError {
    /// The challenge names an algorithm this implementation does not know (it was kept as
    /// [`Algorithm::Other`](super::Algorithm::Other) when parsed).
    #[error("unsupported digest algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// The challenge offers only quality-of-protection values this implementation does not know.
    #[error("none of the offered qop values is supported: {0:?}")]
    UnsupportedQop(Vec<String>),
    /// A parameter needed for the computation is absent or empty.
    #[error("missing digest parameter {0}")]
    MissingParameter(&'static str),
    /// None of the challenges is a Digest challenge.
    #[error("no Digest challenge")]
    NoDigestChallenge,
    /// The client holds no challenge for the requested realm.
    #[error("no challenge for realm {0:?}")]
    UnknownRealm(String),
    /// The server's stored secret is for another user than the credentials name (or the
    /// username is hashed and the secret does not carry the real one).
    #[error("the secret does not belong to the credentials' username")]
    UsernameMismatch,
    /// The nonce count reached its maximum (2^32 - 1) for the current nonce.
    #[error("nonce count exhausted")]
    NonceCountExhausted,
    /// The `rspauth` (or the echoed `cnonce`/`nc`/`qop`) of Authentication-Info does not match
    /// what the client sent: the server did not prove that it knows the password.
    #[error("Authentication-Info does not authenticate the server")]
    RspauthMismatch,
    /// A header value could not be parsed.
    #[error(transparent)]
    Parse(#[from] ParseError),
}
