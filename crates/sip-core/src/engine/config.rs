//! The Engine's start options.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use crate::message::Method;
use crate::transport::TlsOptions;

use super::EngineError;

/// The Engine's start options (the seed's `Engine.start(**kwargs)`), as a builder.
///
/// Ports follow the seed: `Some(0)` picks a random port, `None` disables that transport.
/// Unlike the seed, TLS is disabled by default (`tls_port: None`) because a TLS listener needs
/// a certificate and key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EngineConfig {
    /// Value of the User-Agent header on every request and response.
    pub user_agent: String,
    /// Local address the transports bind to.
    pub ip_address: IpAddr,
    /// UDP port (`Some(0)`: random; `None`: UDP disabled).
    pub udp_port: Option<u16>,
    /// TCP port (`Some(0)`: random; `None`: TCP disabled).
    pub tcp_port: Option<u16>,
    /// TLS port (`Some(0)`: random; `None`: TLS disabled, in and out).
    pub tls_port: Option<u16>,
    /// TLS settings (minimum version, verification, certificate files, handshake timeout).
    pub tls_options: TlsOptions,
    /// Post `SIPEngineSIPTrace` for every message sent and received.
    pub trace_sip: bool,
    /// Most verbose level reported through `SIPEngineLog` (1 most critical … 5).
    pub log_level: u8,
    /// UDP port range for RTP/RTCP pairs (stored for the media layer).
    pub rtp_port_range: (u16, u16),
    /// Preferred audio codec order (stored for the media layer).
    pub codecs: Vec<String>,
    /// Event packages and the content types their NOTIFY/PUBLISH bodies may carry.
    pub events: BTreeMap<String, Vec<String>>,
    /// Event packages whose SUBSCRIBEs are accepted; others get 489 Bad Event. Each must be a
    /// key of [`events`](Self::events).
    pub incoming_events: BTreeSet<String>,
    /// Methods delivered to [`Engine::incoming_requests`](super::Engine::incoming_requests)
    /// instead of the built-in handling. INVITE, SUBSCRIBE, ACK and BYE are not allowed.
    pub incoming_requests: BTreeSet<String>,
    /// Option tags listed in Supported (and accepted in Require).
    pub supported: Vec<String>,
    /// Body types listed in the Accept header of an OPTIONS answer.
    pub accept: Vec<String>,
    /// RFC 3261 T1.
    pub t1: Duration,
    /// RFC 3261 T2.
    pub t2: Duration,
    /// RFC 3261 T4.
    pub t4: Duration,
    /// Most transactions alive at once; beyond that new requests get 503.
    pub max_transactions: usize,
    /// Most requests handed to the application and not yet answered; beyond that 503.
    pub max_pending_requests: usize,
    /// Capacity of the incoming-request stream and of the command channel.
    pub channel_capacity: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        let events = [
            ("presence", &["application/pidf+xml"][..]),
            ("presence.winfo", &["application/watcherinfo+xml"][..]),
            ("dialog", &["application/dialog-info+xml"][..]),
            ("dialog.winfo", &["application/watcherinfo+xml"][..]),
            (
                "message-summary",
                &["application/simple-message-summary"][..],
            ),
            ("conference", &["application/conference-info+xml"][..]),
            ("refer", &["message/sipfrag"][..]),
            ("xcap-diff", &["application/xcap-diff+xml"][..]),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.iter().map(|s| (*s).to_owned()).collect()))
        .collect();
        EngineConfig {
            user_agent: format!("sipsimple-rs-{}", env!("CARGO_PKG_VERSION")),
            ip_address: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            udp_port: Some(0),
            tcp_port: Some(0),
            tls_port: None,
            tls_options: TlsOptions::default(),
            trace_sip: false,
            log_level: 5,
            rtp_port_range: (40000, 40100),
            codecs: ["speex", "G722", "PCMU", "PCMA", "iLBC", "GSM"]
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            events,
            incoming_events: BTreeSet::new(),
            incoming_requests: BTreeSet::new(),
            supported: Vec::new(),
            accept: vec!["application/sdp".to_owned()],
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            max_transactions: 10_000,
            max_pending_requests: 1_000,
            channel_capacity: 256,
        }
    }
}

macro_rules! setter {
    ($(#[$doc:meta] $name:ident: $field:ident: $ty:ty;)*) => {
        $(
            #[$doc]
            #[must_use]
            pub fn $name(mut self, value: $ty) -> Self {
                self.$field = value;
                self
            }
        )*
    };
}

impl EngineConfig {
    /// The seed's defaults (see the field docs).
    pub fn new() -> Self {
        Self::default()
    }

    setter! {
        /// Sets [`user_agent`](Self::user_agent).
        with_user_agent: user_agent: String;
        /// Sets [`ip_address`](Self::ip_address).
        with_ip_address: ip_address: IpAddr;
        /// Sets [`udp_port`](Self::udp_port).
        with_udp_port: udp_port: Option<u16>;
        /// Sets [`tcp_port`](Self::tcp_port).
        with_tcp_port: tcp_port: Option<u16>;
        /// Sets [`tls_port`](Self::tls_port).
        with_tls_port: tls_port: Option<u16>;
        /// Sets [`tls_options`](Self::tls_options).
        with_tls_options: tls_options: TlsOptions;
        /// Sets [`trace_sip`](Self::trace_sip).
        with_trace_sip: trace_sip: bool;
        /// Sets [`log_level`](Self::log_level).
        with_log_level: log_level: u8;
        /// Sets [`rtp_port_range`](Self::rtp_port_range).
        with_rtp_port_range: rtp_port_range: (u16, u16);
        /// Sets [`codecs`](Self::codecs).
        with_codecs: codecs: Vec<String>;
        /// Sets [`supported`](Self::supported).
        with_supported: supported: Vec<String>;
        /// Sets [`accept`](Self::accept).
        with_accept: accept: Vec<String>;
        /// Sets [`t1`](Self::t1).
        with_t1: t1: Duration;
        /// Sets [`t2`](Self::t2).
        with_t2: t2: Duration;
        /// Sets [`t4`](Self::t4).
        with_t4: t4: Duration;
        /// Sets [`max_transactions`](Self::max_transactions).
        with_max_transactions: max_transactions: usize;
        /// Sets [`max_pending_requests`](Self::max_pending_requests).
        with_max_pending_requests: max_pending_requests: usize;
        /// Sets [`channel_capacity`](Self::channel_capacity).
        with_channel_capacity: channel_capacity: usize;
    }

    /// Adds (or replaces) the event package `package` with its accepted content types.
    #[must_use]
    pub fn with_event(mut self, package: &str, content_types: &[&str]) -> Self {
        self.events.insert(
            package.to_owned(),
            content_types.iter().map(|s| (*s).to_owned()).collect(),
        );
        self
    }

    /// Accepts SUBSCRIBEs for `package` (which must also be in [`events`](Self::events)).
    #[must_use]
    pub fn with_incoming_event(mut self, package: &str) -> Self {
        self.incoming_events.insert(package.to_owned());
        self
    }

    /// Claims `method` for the application's incoming-request stream.
    #[must_use]
    pub fn with_incoming_request(mut self, method: &str) -> Self {
        self.incoming_requests.insert(method.to_owned());
        self
    }

    /// Checks the options that have rules: claimable methods, incoming events, capacities.
    pub fn validate(&self) -> Result<(), EngineError> {
        for m in &self.incoming_requests {
            check_claimable(m)?;
        }
        for e in &self.incoming_events {
            if !self.events.contains_key(e) {
                return Err(invalid(
                    "incoming_events",
                    format!("{e:?} is not in events"),
                ));
            }
        }
        if self.channel_capacity == 0 {
            return Err(invalid("channel_capacity", "must be at least 1".into()));
        }
        if self.max_pending_requests == 0 {
            return Err(invalid("max_pending_requests", "must be at least 1".into()));
        }
        if self.rtp_port_range.0 > self.rtp_port_range.1 {
            return Err(invalid("rtp_port_range", "start is above end".into()));
        }
        Ok(())
    }
}

pub(super) fn invalid(option: &'static str, reason: String) -> EngineError {
    EngineError::InvalidConfig { option, reason }
}

/// INVITE, SUBSCRIBE, ACK and BYE belong to higher layers and cannot be claimed.
pub(super) fn check_claimable(method: &str) -> Result<(), EngineError> {
    let m = Method::from(method);
    if matches!(m, Method::Extension(_)) && !is_token(method) {
        return Err(invalid(
            "incoming_requests",
            format!("{method:?} is not a method"),
        ));
    }
    if matches!(
        m,
        Method::Invite | Method::Subscribe | Method::Ack | Method::Bye | Method::Cancel
    ) {
        return Err(invalid(
            "incoming_requests",
            format!("{method} cannot be claimed"),
        ));
    }
    Ok(())
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        EngineConfig::new().validate().unwrap();
    }

    #[test]
    fn invite_subscribe_ack_bye_cannot_be_claimed() {
        for m in ["INVITE", "SUBSCRIBE", "ACK", "BYE"] {
            let err = EngineConfig::new().with_incoming_request(m).validate();
            assert!(matches!(err, Err(EngineError::InvalidConfig { .. })), "{m}");
        }
        EngineConfig::new()
            .with_incoming_request("OPTIONS")
            .with_incoming_request("MESSAGE")
            .validate()
            .unwrap();
        assert!(check_claimable("NOT A METHOD").is_err());
    }

    #[test]
    fn incoming_events_must_be_known_events() {
        let err = EngineConfig::new().with_incoming_event("nope").validate();
        assert!(matches!(
            err,
            Err(EngineError::InvalidConfig {
                option: "incoming_events",
                ..
            })
        ));
        EngineConfig::new()
            .with_event("nope", &["text/plain"])
            .with_incoming_event("nope")
            .validate()
            .unwrap();
    }
}
