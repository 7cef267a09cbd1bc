//! Audio payload-type negotiation on sip-core's SDP model (RFC 3264, RFC 3551): building the
//! local `m=audio` section from a codec preference list, answering an offer, and reading the
//! negotiated codec, telephone-event type, direction and peer addresses (`c=`, `a=rtcp`).

use std::net::{IpAddr, SocketAddr};

use sip_core::sdp::{Direction, Fmtp, Rtcp, RtpMap, SdpConnection, SdpMediaStream, SdpSession};

use crate::codec::Codec;

/// The dynamic payload type offered for telephone-event.
pub const TELEPHONE_EVENT_PAYLOAD_TYPE: u8 = 101;

/// Errors of the negotiation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NegotiationError {
    /// The SDP has no media section at this index, or it is not audio.
    #[error("no audio media section at index {0}")]
    NoAudioStream(usize),
    /// The peer's stream is rejected (port 0).
    #[error("the audio stream is rejected (port 0)")]
    Rejected,
    /// No codec in common.
    #[error("no common audio codec")]
    NoCommonCodec,
    /// No usable connection address for the stream.
    #[error("no usable connection address for the audio stream")]
    NoAddress,
}

/// A codec preference list, parsed case-insensitively from names (the Engine's `codecs`
/// setting, or a per-transport override).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecPreferences {
    codecs: Vec<Codec>,
}

impl Default for CodecPreferences {
    fn default() -> Self {
        Self {
            codecs: Codec::ALL.to_vec(),
        }
    }
}

impl CodecPreferences {
    /// The known codecs among `names`, in order, duplicates removed; unknown names are
    /// returned separately so the caller can report them.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> (Self, Vec<String>) {
        let mut codecs = Vec::new();
        let mut unknown = Vec::new();
        for name in names {
            match Codec::from_name(name.as_ref()) {
                Some(c) if !codecs.contains(&c) => codecs.push(c),
                Some(_) => {}
                None => unknown.push(name.as_ref().to_owned()),
            }
        }
        (Self { codecs }, unknown)
    }

    /// The codecs in preference order.
    pub fn codecs(&self) -> &[Codec] {
        &self.codecs
    }
}

/// The result of a negotiation, for one audio stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiatedAudio {
    /// The codec to send and receive.
    pub codec: Codec,
    /// The payload type to send it with (the peer's number).
    pub send_payload_type: u8,
    /// The payload type we receive it with (our number).
    pub receive_payload_type: u8,
    /// The peer's telephone-event payload type, if both sides offered telephone-event.
    pub send_telephone_event: Option<u8>,
    /// Our telephone-event payload type, if negotiated.
    pub receive_telephone_event: Option<u8>,
    /// Our direction after negotiation.
    pub direction: Direction,
    /// Where to send RTP.
    pub remote_rtp: SocketAddr,
    /// Where to send RTCP (`a=rtcp`, or RTP port + 1).
    pub remote_rtcp: SocketAddr,
    /// The peer's packetisation time, if it gave one (`a=ptime`), in ms.
    pub ptime: Option<u32>,
}

/// The payload type a media section uses for `codec`, looked up by rtpmap (name and clock
/// rate, case-insensitive) or, without rtpmap, by the static number.
pub fn payload_type_for(media: &SdpMediaStream, codec: Codec) -> Option<u8> {
    media
        .formats
        .iter()
        .filter_map(|f| f.parse::<u8>().ok())
        .find(|&pt| match media.rtpmap(pt) {
            Some(map) => {
                map.encoding.eq_ignore_ascii_case(codec.name())
                    && map.clock_rate == codec.rtp_clock_rate()
            }
            None => pt == codec.static_payload_type() && pt < 96,
        })
}

fn telephone_event_type(media: &SdpMediaStream) -> Option<u8> {
    media
        .formats
        .iter()
        .filter_map(|f| f.parse::<u8>().ok())
        .find(|&pt| {
            media.rtpmap(pt).is_some_and(|m| {
                m.encoding.eq_ignore_ascii_case("telephone-event") && m.clock_rate == 8000
            })
        })
}

fn push_codec(media: &mut SdpMediaStream, codec: Codec, pt: u8) {
    media.formats.push(pt.to_string());
    let mut map = RtpMap::new(pt, codec.name(), codec.rtp_clock_rate());
    map.channels = codec.rtpmap_channels();
    media.push_attribute(&map);
}

fn push_telephone_event(media: &mut SdpMediaStream, pt: u8) {
    media.formats.push(pt.to_string());
    media.push_attribute(&RtpMap::new(pt, "telephone-event", 8000));
    media.push_attribute(&Fmtp::new(pt.to_string()).with("0-15", None));
}

/// Our `m=audio` section for an offer: every preferred codec with its static payload type,
/// telephone-event 101, `a=rtcp` (RFC 3605) and the direction.
pub fn offer_media(
    preferences: &CodecPreferences,
    address: IpAddr,
    rtp_port: u16,
    rtcp_port: u16,
    direction: Direction,
) -> SdpMediaStream {
    let mut media = SdpMediaStream::new("audio", rtp_port, "RTP/AVP");
    media.connection = Some(SdpConnection::from_ip(address));
    for &codec in preferences.codecs() {
        push_codec(&mut media, codec, codec.static_payload_type());
    }
    push_telephone_event(&mut media, TELEPHONE_EVENT_PAYLOAD_TYPE);
    media.push_attribute(&Rtcp {
        port: rtcp_port,
        connection: Some(SdpConnection::from_ip(address)),
    });
    media.set_direction(direction);
    media
}

/// Our `m=audio` section answering `offer`: the offered codecs we support, in our preference
/// order, with the offer's payload types; telephone-event if offered; the direction
/// intersected with the reverse of the offer's.
pub fn answer_media(
    preferences: &CodecPreferences,
    offer: &SdpMediaStream,
    address: IpAddr,
    rtp_port: u16,
    rtcp_port: u16,
    direction: Direction,
) -> Result<SdpMediaStream, NegotiationError> {
    if offer.port == 0 {
        return Err(NegotiationError::Rejected);
    }
    let mut media = SdpMediaStream::new("audio", rtp_port, offer.transport.clone());
    media.connection = Some(SdpConnection::from_ip(address));
    for &codec in preferences.codecs() {
        if let Some(pt) = payload_type_for(offer, codec) {
            push_codec(&mut media, codec, pt);
        }
    }
    if media.formats.is_empty() {
        return Err(NegotiationError::NoCommonCodec);
    }
    if let Some(pt) = telephone_event_type(offer) {
        push_telephone_event(&mut media, pt);
    }
    media.push_attribute(&Rtcp {
        port: rtcp_port,
        connection: Some(SdpConnection::from_ip(address)),
    });
    let remote = offer.direction().reverse();
    media.set_direction(Direction::from_flags(
        direction.sends() && remote.sends(),
        direction.receives() && remote.receives(),
    ));
    Ok(media)
}

fn connection_ip(session: &SdpSession, media: &SdpMediaStream) -> Option<IpAddr> {
    media
        .connection
        .as_ref()
        .or(session.connection.as_ref())
        .and_then(SdpConnection::ip)
}

fn audio_at(session: &SdpSession, index: usize) -> Result<&SdpMediaStream, NegotiationError> {
    session
        .media
        .get(index)
        .filter(|m| m.media.eq_ignore_ascii_case("audio"))
        .ok_or(NegotiationError::NoAudioStream(index))
}

/// Reads the negotiated codec and addresses for stream `index` from the local and remote
/// SDP (after an offer/answer exchange, in either role). The codec is the first of the
/// answer's formats (RFC 3264 §6.1) that both sides list.
pub fn negotiate(
    local: &SdpSession,
    remote: &SdpSession,
    index: usize,
    local_is_offerer: bool,
) -> Result<NegotiatedAudio, NegotiationError> {
    let (local_media, remote_media) = (audio_at(local, index)?, audio_at(remote, index)?);
    if remote_media.port == 0 || local_media.port == 0 {
        return Err(NegotiationError::Rejected);
    }
    let answer = if local_is_offerer {
        remote_media
    } else {
        local_media
    };
    let codec = answer
        .formats
        .iter()
        .filter_map(|f| f.parse::<u8>().ok())
        .filter_map(|pt| {
            Codec::ALL
                .iter()
                .copied()
                .find(|&c| payload_type_for(answer, c) == Some(pt))
        })
        .find(|&c| {
            payload_type_for(local_media, c).is_some()
                && payload_type_for(remote_media, c).is_some()
        })
        .ok_or(NegotiationError::NoCommonCodec)?;
    let send_telephone_event = telephone_event_type(remote_media);
    let receive_telephone_event = telephone_event_type(local_media);
    let both_events = send_telephone_event.is_some() && receive_telephone_event.is_some();
    let ip = connection_ip(remote, remote_media).ok_or(NegotiationError::NoAddress)?;
    let remote_rtp = SocketAddr::new(ip, remote_media.port);
    let remote_rtcp = match remote_media.rtcp() {
        Ok(Some(rtcp)) => SocketAddr::new(
            rtcp.connection
                .as_ref()
                .and_then(SdpConnection::ip)
                .unwrap_or(ip),
            rtcp.port,
        ),
        _ => SocketAddr::new(ip, remote_media.port.wrapping_add(1)),
    };
    let remote_dir = remote_media.direction().reverse();
    let local_dir = local_media.direction();
    Ok(NegotiatedAudio {
        codec,
        send_payload_type: payload_type_for(remote_media, codec)
            .unwrap_or(codec.static_payload_type()),
        receive_payload_type: payload_type_for(local_media, codec)
            .unwrap_or(codec.static_payload_type()),
        send_telephone_event: send_telephone_event.filter(|_| both_events),
        receive_telephone_event: receive_telephone_event.filter(|_| both_events),
        direction: Direction::from_flags(
            local_dir.sends() && remote_dir.sends(),
            local_dir.receives() && remote_dir.receives(),
        ),
        remote_rtp,
        remote_rtcp,
        ptime: remote_media
            .attributes
            .getfirst("ptime")
            .and_then(|p| p.trim().parse().ok()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(media: SdpMediaStream) -> SdpSession {
        let mut s = SdpSession::new("192.0.2.1");
        s.media.push(media);
        s
    }

    #[test]
    fn preferences_are_case_insensitive() {
        let (prefs, unknown) = CodecPreferences::from_names(&["pcma", "SPEEX", "G722", "PCMA"]);
        assert_eq!(prefs.codecs(), &[Codec::Pcma, Codec::G722]);
        assert_eq!(unknown, vec!["SPEEX".to_owned()]);
    }

    #[test]
    fn offer_lists_codecs_events_rtcp_and_direction() {
        let (prefs, _) = CodecPreferences::from_names(&["G722", "PCMU"]);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let media = offer_media(&prefs, ip, 4000, 4001, Direction::SendOnly);
        let text = session(media).to_string();
        assert!(text.contains("m=audio 4000 RTP/AVP 9 0 101\r\n"), "{text}");
        assert!(text.contains("a=rtpmap:9 G722/8000\r\n"));
        assert!(text.contains("a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"));
        assert!(text.contains("a=rtcp:4001 IN IP4 192.0.2.1\r\n"));
        assert!(text.contains("a=sendonly\r\n"));
    }

    #[test]
    fn answer_to_a_dynamic_offer_and_negotiation_both_ways() {
        // The peer offers speex, PCMA under a dynamic number, PCMU (static, no rtpmap) and
        // telephone-event at 96, with RTCP elsewhere and hold (sendonly).
        let offer = SdpSession::parse(
            "v=0\r\no=peer 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n\
             m=audio 5004 RTP/AVP 97 110 0 96\r\na=rtpmap:97 speex/8000\r\n\
             a=rtpmap:110 pcma/8000\r\na=rtpmap:96 telephone-event/8000\r\n\
             a=rtcp:6000 IN IP4 198.51.100.8\r\na=ptime:30\r\na=sendonly\r\n",
        )
        .unwrap();
        let (prefs, _) = CodecPreferences::from_names(&["PCMA", "PCMU"]);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let answer =
            answer_media(&prefs, &offer.media[0], ip, 4000, 4001, Direction::SendRecv).unwrap();
        assert_eq!(answer.formats, vec!["110", "0", "96"]);
        assert_eq!(answer.direction(), Direction::RecvOnly);
        let answer = session(answer);
        let ours = negotiate(&answer, &offer, 0, false).unwrap();
        assert_eq!(ours.codec, Codec::Pcma);
        assert_eq!(
            (ours.send_payload_type, ours.receive_payload_type),
            (110, 110)
        );
        assert_eq!(ours.send_telephone_event, Some(96));
        assert_eq!(ours.direction, Direction::RecvOnly);
        assert_eq!(ours.remote_rtp, "198.51.100.7:5004".parse().unwrap());
        assert_eq!(ours.remote_rtcp, "198.51.100.8:6000".parse().unwrap());
        assert_eq!(ours.ptime, Some(30));
        // The offerer's view of the same exchange.
        let theirs = negotiate(&offer, &answer, 0, true).unwrap();
        assert_eq!(theirs.codec, Codec::Pcma);
        assert_eq!(theirs.direction, Direction::SendOnly);
        assert_eq!(theirs.remote_rtp, "192.0.2.1:4000".parse().unwrap());
        assert_eq!(theirs.remote_rtcp, "192.0.2.1:4001".parse().unwrap());
    }

    #[test]
    fn failures() {
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let offer = SdpSession::parse(
            "v=0\r\no=p 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n\
             m=audio 5004 RTP/AVP 18\r\nm=video 0 RTP/AVP 31\r\n",
        )
        .unwrap();
        let prefs = CodecPreferences::default();
        assert_eq!(
            answer_media(&prefs, &offer.media[0], ip, 1, 2, Direction::SendRecv),
            Err(NegotiationError::NoCommonCodec)
        );
        assert_eq!(
            answer_media(&prefs, &offer.media[1], ip, 1, 2, Direction::SendRecv),
            Err(NegotiationError::Rejected)
        );
        assert_eq!(
            negotiate(&offer, &offer, 1, true),
            Err(NegotiationError::NoAudioStream(1))
        );
    }
}
