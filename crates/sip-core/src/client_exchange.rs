//! What Registration and Publication share: one client transaction through the Engine up to
//! its final response and the outcome of a request with its retries (their digest challenges
//! are answered by [`RequestAuthenticator`](crate::digest::RequestAuthenticator)).

use crate::engine::{ClientEvent, Engine};
use crate::message::{Request, Response};
use crate::transaction::{Target, TransportKind};

/// The result of one request with its retries: the final code and reason, and the response
/// when one arrived (`None` for timeouts and internal errors).
pub(crate) struct Outcome {
    pub(crate) code: u16,
    pub(crate) reason: String,
    pub(crate) response: Option<Response>,
}

/// An outcome without a response (code 408 for timeouts, 0 for internal errors).
pub(crate) fn failure(code: u16, reason: String) -> Outcome {
    Outcome {
        code,
        reason,
        response: None,
    }
}

/// The outcome carried by a final response.
pub(crate) fn outcome_of(response: Response, code: u16, reason: String) -> Outcome {
    Outcome {
        code,
        reason,
        response: Some(response),
    }
}

/// The `host[:port]` of the Via sent-by for a request to `target` from `host`: the port of
/// the local listener of the target's transport. Over TCP and TLS a client needs no listener
/// of its own (responses return on the connection it opened, RFC 3261 §18.2.2), so without
/// one the port is left out; UDP needs its socket.
pub(crate) async fn via_sent_by(
    engine: &Engine,
    target: Target,
    host: &str,
) -> Result<String, String> {
    match engine.local_port(target.transport).await {
        Ok(Some(port)) => Ok(format!("{host}:{port}")),
        Ok(None) if target.transport != TransportKind::Udp => Ok(host.to_owned()),
        Ok(None) => Err("the UDP transport is disabled".to_owned()),
        Err(e) => Err(e.to_string()),
    }
}

/// The local IP the system would use to reach `peer`, for Via and Contact: the peer's own
/// address on loopback, otherwise the address of a UDP socket connected to it (connecting
/// sends nothing); the unspecified address when that fails.
pub(crate) async fn local_ip_for(peer: std::net::SocketAddr) -> std::net::IpAddr {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
    if peer.ip().is_loopback() {
        return peer.ip();
    }
    let unspecified: IpAddr = if peer.is_ipv4() {
        Ipv4Addr::UNSPECIFIED.into()
    } else {
        Ipv6Addr::UNSPECIFIED.into()
    };
    if let Ok(sock) = tokio::net::UdpSocket::bind(SocketAddr::new(unspecified, 0)).await
        && sock.connect(peer).await.is_ok()
        && let Ok(local) = sock.local_addr()
    {
        return local.ip();
    }
    unspecified
}

/// The reason of the 503 that stands for a transport error (RFC 3261 §17.1.4).
pub(crate) fn transport_error_reason(error: &str) -> String {
    format!("Service Unavailable (transport error: {error})")
}

/// Sends `request` to `target` and waits for its final response; a transaction timeout is a
/// 408 outcome.
pub(crate) async fn exchange(
    engine: &Engine,
    request: Request,
    target: Target,
) -> Result<Response, Outcome> {
    let mut tx = engine
        .send_request(request, target)
        .await
        .map_err(|e| failure(0, e.to_string()))?;
    loop {
        match tx.events.recv().await {
            Some(ClientEvent::Response(r)) if r.status().code() >= 200 => return Ok(r),
            Some(ClientEvent::Response(_)) => {}
            Some(ClientEvent::Timeout) => {
                return Err(failure(408, "Request Timeout".to_owned()));
            }
            Some(ClientEvent::TransportError(e)) => {
                return Err(failure(503, transport_error_reason(&e)));
            }
            Some(_) | None => {
                return Err(failure(
                    0,
                    "transaction ended without a response".to_owned(),
                ));
            }
        }
    }
}
