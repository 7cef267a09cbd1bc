//! MSRP URIs (RFC 4975 §6): `msrp[s]://[user@]host[:port]/session-id;tcp[;param]`.

use std::fmt;
use std::str::FromStr;

use crate::error::UriError;

/// The default MSRP port (RFC 4975 §15.5), used when a URI has none.
pub const DEFAULT_PORT: u16 = 2855;

/// The longest URI accepted, in bytes.
const MAX_URI_LEN: usize = 1024;

/// An MSRP or MSRPS URI.
///
/// ```
/// use sip_msrp::MsrpUri;
///
/// let uri: MsrpUri = "msrps://alice@atlanta.example.com:7654/jshA7weztas;tcp".parse()?;
/// assert!(uri.secure);
/// assert_eq!(uri.host, "atlanta.example.com");
/// assert_eq!(uri.port, Some(7654));
/// assert_eq!(uri.session_id.as_deref(), Some("jshA7weztas"));
/// assert_eq!(uri.to_string(), "msrps://alice@atlanta.example.com:7654/jshA7weztas;tcp");
/// # Ok::<(), sip_msrp::UriError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MsrpUri {
    /// `msrps` (TLS) rather than `msrp`.
    pub secure: bool,
    /// The user part before `@`, if any (ignored when comparing).
    pub user: Option<String>,
    /// The host: a name, an IPv4 address or an IPv6 reference in brackets.
    pub host: String,
    /// The port, if given.
    pub port: Option<u16>,
    /// The session ID (absent in relay URIs).
    pub session_id: Option<String>,
    /// The transport, `tcp` in practice.
    pub transport: String,
    /// Further `;name[=value]` parameters, in order.
    pub params: Vec<(String, Option<String>)>,
}

impl MsrpUri {
    /// A `msrp[s]://host:port/session-id;tcp` URI.
    pub fn new(
        secure: bool,
        host: impl Into<String>,
        port: u16,
        session_id: impl Into<String>,
    ) -> Self {
        MsrpUri {
            secure,
            user: None,
            host: host.into(),
            port: Some(port),
            session_id: Some(session_id.into()),
            transport: "tcp".to_owned(),
            params: Vec::new(),
        }
    }

    /// A URI with a random 20-character session ID drawn from `rng`.
    pub fn with_random_session(
        secure: bool,
        host: impl Into<String>,
        port: u16,
        rng: &mut impl rand::RngCore,
    ) -> Self {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        let id: String = (0..20)
            .map(|_| ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char)
            .collect();
        MsrpUri::new(secure, host, port, id)
    }

    /// The port, or [`DEFAULT_PORT`] when the URI has none.
    pub fn port_or_default(&self) -> u16 {
        self.port.unwrap_or(DEFAULT_PORT)
    }

    /// The host without IPv6 brackets, for connecting.
    pub fn host_for_connect(&self) -> &str {
        self.host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(&self.host)
    }

    /// Equality as RFC 4975 §6.1 defines it: scheme, host (case-insensitive), port (with the
    /// default), session ID (case-sensitive) and transport (case-insensitive); the user part
    /// and other parameters are ignored.
    pub fn matches(&self, other: &MsrpUri) -> bool {
        self.secure == other.secure
            && self.host.eq_ignore_ascii_case(&other.host)
            && self.port_or_default() == other.port_or_default()
            && self.session_id == other.session_id
            && self.transport.eq_ignore_ascii_case(&other.transport)
    }

    /// Parses a URI.
    pub fn parse(s: &str) -> Result<MsrpUri, UriError> {
        if s.len() > MAX_URI_LEN {
            return Err(UriError::TooLong);
        }
        let (secure, rest) = if let Some(r) = strip_prefix_ci(s, "msrps://") {
            (true, r)
        } else if let Some(r) = strip_prefix_ci(s, "msrp://") {
            (false, r)
        } else {
            return Err(UriError::Scheme);
        };
        let (before_params, params) = match rest.find(';') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => return Err(UriError::MissingTransport),
        };
        let (authority, session_id) = match before_params.find('/') {
            Some(i) => (&before_params[..i], Some(&before_params[i + 1..])),
            None => (before_params, None),
        };
        let (user, hostport) = match authority.rfind('@') {
            Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
            None => (None, authority),
        };
        let (host, port) = split_host_port(hostport)?;
        if let Some(id) = session_id
            && (id.is_empty() || !id.bytes().all(is_session_id_char))
        {
            return Err(UriError::SessionId);
        }
        let mut parts = params.split(';');
        let transport = parts.next().unwrap_or("");
        if transport.is_empty() || !transport.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(UriError::MissingTransport);
        }
        let mut list = Vec::new();
        for p in parts {
            let (name, value) = match p.split_once('=') {
                Some((n, v)) => (n, Some(v.to_owned())),
                None => (p, None),
            };
            if name.is_empty() || !name.bytes().all(is_param_char) {
                return Err(UriError::Parameter);
            }
            if value
                .as_deref()
                .is_some_and(|v| !v.bytes().all(is_param_char))
            {
                return Err(UriError::Parameter);
            }
            list.push((name.to_owned(), value));
        }
        if let Some(u) = user
            && (u.is_empty() || !u.bytes().all(|b| is_param_char(b) || b == b':'))
        {
            return Err(UriError::User);
        }
        Ok(MsrpUri {
            secure,
            user: user.map(str::to_owned),
            host: host.to_owned(),
            port,
            session_id: session_id.map(str::to_owned),
            transport: transport.to_owned(),
            params: list,
        })
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    if s.len() >= prefix.len()
        && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
    {
        Some(&s[prefix.len()..])
    } else {
        None
    }
}

fn is_session_id_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'=' | b'/')
}

fn is_param_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b'['
                | b']'
                | b'%'
        )
}

fn split_host_port(s: &str) -> Result<(&str, Option<u16>), UriError> {
    let (host, port) = if s.starts_with('[') {
        let end = s.find(']').ok_or(UriError::Host)?;
        let host = &s[..=end];
        let rest = &s[end + 1..];
        let inner = &host[1..host.len() - 1];
        if inner.is_empty()
            || !inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return Err(UriError::Host);
        }
        match rest.strip_prefix(':') {
            Some(p) => (host, Some(p)),
            None if rest.is_empty() => (host, None),
            None => return Err(UriError::Host),
        }
    } else {
        match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    if !host.starts_with('[')
        && (host.is_empty()
            || !host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'))
    {
        return Err(UriError::Host);
    }
    let port = match port {
        Some(p) => {
            if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(UriError::Port);
            }
            Some(p.parse::<u16>().map_err(|_| UriError::Port)?)
        }
        None => None,
    };
    Ok((host, port))
}

impl FromStr for MsrpUri {
    type Err = UriError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MsrpUri::parse(s)
    }
}

impl fmt::Display for MsrpUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.secure { "msrps://" } else { "msrp://" })?;
        if let Some(u) = &self.user {
            write!(f, "{u}@")?;
        }
        f.write_str(&self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        if let Some(id) = &self.session_id {
            write!(f, "/{id}")?;
        }
        write!(f, ";{}", self.transport)?;
        for (n, v) in &self.params {
            match v {
                Some(v) => write!(f, ";{n}={v}")?,
                None => write!(f, ";{n}")?,
            }
        }
        Ok(())
    }
}

/// Parses a space-separated list of URIs (a To-Path, From-Path or Use-Path value).
pub(crate) fn parse_path(s: &str) -> Result<Vec<MsrpUri>, UriError> {
    let list: Vec<MsrpUri> = s
        .split_ascii_whitespace()
        .map(MsrpUri::parse)
        .collect::<Result<_, _>>()?;
    if list.is_empty() {
        return Err(UriError::EmptyPath);
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc_examples() {
        let u = MsrpUri::parse("msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp").unwrap();
        assert!(!u.secure);
        assert_eq!(u.port, Some(12763));
        assert_eq!(u.session_id.as_deref(), Some("kjhd37s2s20w2a"));
        let relay = MsrpUri::parse("msrps://relay.example.com;tcp").unwrap();
        assert_eq!(relay.session_id, None);
        assert_eq!(relay.port_or_default(), 2855);
        assert_eq!(relay.to_string(), "msrps://relay.example.com;tcp");
        let v6 = MsrpUri::parse("msrp://[::1]:2855/ab/c=d;tcp;foo=bar;baz").unwrap();
        assert_eq!(v6.host_for_connect(), "::1");
        assert_eq!(v6.session_id.as_deref(), Some("ab/c=d"));
        assert_eq!(v6.to_string(), "msrp://[::1]:2855/ab/c=d;tcp;foo=bar;baz");
    }

    #[test]
    fn rejects_bad_uris() {
        for bad in [
            "sip:alice@example.com",
            "msrp://host/abc",
            "msrp://host:99999/abc;tcp",
            "msrp://ho st/abc;tcp",
            "msrp://host/;tcp",
            "msrp://host/a b;tcp",
            "msrp://[zz]/a;tcp",
            "msrp://host/a;",
        ] {
            assert!(MsrpUri::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn comparison_follows_rfc_4975_6_1() {
        let a = MsrpUri::parse("msrp://alice@Host.Example:2855/Abc;TCP").unwrap();
        let b = MsrpUri::parse("msrp://host.example/Abc;tcp;x=y").unwrap();
        assert!(a.matches(&b));
        let c = MsrpUri::parse("msrp://host.example/abc;tcp").unwrap();
        assert!(!a.matches(&c), "session IDs are case-sensitive");
        let d = MsrpUri::parse("msrps://host.example/Abc;tcp").unwrap();
        assert!(!a.matches(&d));
    }
}
