//! Transaction matching (RFC 3261 §17.1.3, §17.2.3) and response routing (§18.2.1, §18.2.2,
//! RFC 3581).

use std::net::SocketAddr;

use crate::header::{HeaderName, Via};
use crate::message::{CoreHeaders, Method, Request};

use super::{Role, Target, TransactionKey};

/// The server transaction key of an incoming request; ACK maps to INVITE.
pub(super) fn server_key(request: &Request, core: &CoreHeaders) -> TransactionKey {
    let via = &core.via[0];
    let method = match request.method() {
        Method::Ack => Method::Invite,
        m => m.clone(),
    };
    let sent_by = sent_by(via);
    let id = if via.has_rfc3261_branch() {
        format!("{}|{}", via.branch().unwrap_or_default(), sent_by)
    } else {
        format!(
            "2543|{}|{}|{}|{}|{}|{}",
            request.uri(),
            core.from.tag().unwrap_or_default(),
            core.call_id.as_str(),
            core.cseq.seq,
            sent_by,
            via.branch().unwrap_or_default(),
        )
    };
    TransactionKey::new(Role::Server, id, method)
}

/// The client transaction key a response (or our own request) belongs to.
pub(super) fn client_key(core: &CoreHeaders) -> Option<TransactionKey> {
    let branch = core.via[0].branch()?;
    Some(TransactionKey::new(
        Role::Client,
        branch.to_owned(),
        core.cseq.method.clone(),
    ))
}

fn sent_by(via: &Via) -> String {
    let host = via.host().to_string().to_ascii_lowercase();
    match via.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    }
}

/// Adds `received` (when the source IP differs from sent-by) and fills an empty `rport` in the
/// top Via of `request` (RFC 3261 §18.2.1, RFC 3581 §4), and returns the updated top Via.
pub(super) fn stamp_top_via(request: &mut Request, top: &Via, source: SocketAddr) -> Via {
    let mut via = top.clone();
    let mut changed = false;
    if via.host().ip() != Some(source.ip()) {
        via.set_received(source.ip());
        changed = true;
    }
    if via.rport() == Some(None) {
        via.set_rport(source.port());
        changed = true;
    }
    if changed {
        replace_top_via(request, &via);
    }
    via
}

/// Rewrites the first Via value, keeping the others (a first line may hold a list).
pub(super) fn replace_top_via(request: &mut Request, via: &Via) {
    let headers = request.headers_mut();
    let Some(index) = headers.iter().position(|h| h.name() == &HeaderName::Via) else {
        return;
    };
    let Some(first_line) = headers.iter().nth(index).cloned() else {
        return;
    };
    let mut line_only = crate::header::Headers::new();
    line_only.push(HeaderName::Via, first_line.value_bytes().clone());
    let rest: Vec<Via> = line_only
        .typed_all::<Via>()
        .unwrap_or_default()
        .into_iter()
        .skip(1)
        .collect();
    // Remove the first Via line, then put back the new top value and the rest of its list.
    let others: Vec<_> = headers.iter().cloned().collect();
    let mut rebuilt = crate::header::Headers::with_capacity(others.len() + rest.len());
    for (i, h) in others.into_iter().enumerate() {
        if i == index {
            rebuilt.push_typed(via);
            for v in &rest {
                rebuilt.push_typed(v);
            }
        } else {
            rebuilt.push(h.name().clone(), h.value_bytes().clone());
        }
    }
    *headers = rebuilt;
}

/// Where responses to a request go (RFC 3261 §18.2.2, RFC 3581 §4): over TCP/TLS back on the
/// same connection; over UDP to `received` (or the sent-by address) at `rport` (or the sent-by
/// port, or the transport's default). A sent-by domain name without `received` cannot be
/// resolved here, so the source address is used.
pub(super) fn reply_target(via: &Via, source: Target) -> Target {
    if source.transport.is_reliable() {
        return source;
    }
    let ip = via
        .received()
        .and_then(|r| r.trim_matches(['[', ']']).parse().ok())
        .or_else(|| via.host().ip());
    let Some(ip) = ip else {
        return source;
    };
    let port = match via.rport() {
        Some(Some(p)) => p,
        _ => via.port().unwrap_or(source.transport.default_port()),
    };
    Target::new(SocketAddr::new(ip, port), source.transport)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::SipMessage;
    use crate::transaction::TransportKind;

    fn parse(via: &str, method: &str) -> (Request, CoreHeaders) {
        let raw = format!(
            "{method} sip:b@example.com SIP/2.0\r\nVia: {via}\r\nVia: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp\r\n\
             To: <sip:b@example.com>\r\nFrom: <sip:a@example.com>;tag=f\r\nCall-ID: c\r\n\
             CSeq: 4 {method}\r\nContent-Length: 0\r\n\r\n"
        );
        let msg = SipMessage::parse(raw).unwrap();
        let core = msg.core_headers().unwrap();
        let SipMessage::Request(r) = msg else {
            unreachable!()
        };
        (r, core)
    }

    #[test]
    fn ack_keys_to_its_invite_and_sent_by_is_case_insensitive() {
        let (inv, core) = parse(
            "SIP/2.0/UDP Host.Example.com:5070;branch=z9hG4bK1",
            "INVITE",
        );
        let (ack, ack_core) = parse("SIP/2.0/UDP host.example.COM:5070;branch=z9hG4bK1", "ACK");
        assert_eq!(server_key(&inv, &core), server_key(&ack, &ack_core));
        let (other, other_core) = parse(
            "SIP/2.0/UDP host.example.com:5071;branch=z9hG4bK1",
            "INVITE",
        );
        assert_ne!(server_key(&inv, &core), server_key(&other, &other_core));
    }

    #[test]
    fn stamping_rewrites_only_the_first_via_of_a_list() {
        let (mut req, core) = parse(
            "SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bK1, SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK9",
            "OPTIONS",
        );
        let source: SocketAddr = "203.0.113.5:4000".parse().unwrap();
        let top = stamp_top_via(&mut req, &core.via[0], source);
        assert_eq!(top.received(), Some("203.0.113.5"));
        assert_eq!(top.rport(), Some(Some(4000)));
        let vias: Vec<Via> = req.headers().typed_all().unwrap();
        assert_eq!(vias.len(), 3);
        assert_eq!(vias[0], top);
        assert_eq!(vias[1].branch(), Some("z9hG4bK9"));
        assert_eq!(vias[2].branch(), Some("z9hG4bKp"));
        let target = reply_target(&top, Target::new(source, TransportKind::Udp));
        assert_eq!(target.addr, source);
    }

    #[test]
    fn domain_sent_by_without_received_replies_to_the_source() {
        let (_, core) = parse("SIP/2.0/UDP client.example.com;branch=z9hG4bK1", "OPTIONS");
        let source = Target::new("198.51.100.2:5062".parse().unwrap(), TransportKind::Udp);
        assert_eq!(reply_target(&core.via[0], source), source);
    }
}
