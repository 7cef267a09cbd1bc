//! Account credentials (CORE-CRED-01..04).

use std::fmt;
use std::sync::Arc;

use zeroize::{Zeroize, ZeroizeOnDrop};

/// A password whose memory is wiped when it is dropped.
///
/// `Debug` prints `***`; there is no `Display`. Equality compares in constant time.
#[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(password: impl Into<String>) -> Self {
        Password(password.into())
    }

    /// The password text, for hashing. Avoid copying it into long-lived strings.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True for the empty password.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl PartialEq for Password {
    fn eq(&self, other: &Self) -> bool {
        super::compute::constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

impl Eq for Password {}

impl From<String> for Password {
    fn from(s: String) -> Self {
        Password(s)
    }
}

impl From<&str> for Password {
    fn from(s: &str) -> Self {
        Password(s.to_owned())
    }
}

/// Authentication credentials of an account: a username and a password (CORE-CRED-01/02).
///
/// As in the seed API, the domain of the account is not stored here; the realm comes from the
/// challenge. Both attributes can be read and changed after construction.
///
/// # Mutable and frozen variants
///
/// The seed API has `Credentials` and `FrozenCredentials`. In Rust a `Credentials` value that is
/// not bound `mut` is already immutable, so the mapping is:
///
/// * `Credentials(username, password)` → [`Credentials::new`], with getters and setters;
/// * `FrozenCredentials` → [`FrozenCredentials`], an `Arc<Credentials>`: a shared value that
///   nobody can change (make one with [`Credentials::freeze`]);
/// * `Credentials.new(cls, credentials)` (copy between the variants) → `Clone`, e.g.
///   `Credentials::clone(&frozen)` for a mutable copy of a frozen value;
/// * the "keep a reference" semantics of Registration and Publication (CORE-CRED-04), where a
///   change applies to the next request, are expressed by those components holding a shared,
///   lockable handle (e.g. `Arc<RwLock<Credentials>>`) instead of a frozen copy.
///
/// ```
/// use sip_core::digest::Credentials;
///
/// let mut c = Credentials::new("alice", "secret");
/// c.set_password("better secret");
/// assert_eq!(c.username(), "alice");
/// assert_eq!(c.password().expose(), "better secret");
/// assert!(!format!("{c:?}").contains("secret"));
/// let frozen = c.freeze();
/// assert_eq!(frozen.username(), "alice");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    username: String,
    password: Password,
}

/// The frozen (immutable, shareable) variant of [`Credentials`].
pub type FrozenCredentials = Arc<Credentials>;

impl Credentials {
    /// Credentials for `username` with `password`.
    pub fn new(username: impl Into<String>, password: impl Into<Password>) -> Self {
        Credentials {
            username: username.into(),
            password: password.into(),
        }
    }

    /// The username (the digest `username`, without domain).
    pub fn username(&self) -> &str {
        &self.username
    }

    /// Changes the username.
    pub fn set_username(&mut self, username: impl Into<String>) {
        self.username = username.into();
    }

    /// The password.
    pub fn password(&self) -> &Password {
        &self.password
    }

    /// Changes the password; the old one is wiped.
    pub fn set_password(&mut self, password: impl Into<Password>) {
        self.password = password.into();
    }

    /// A frozen copy.
    pub fn freeze(&self) -> FrozenCredentials {
        Arc::new(self.clone())
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &self.password)
            .finish()
    }
}
