//! SDP (RFC 4566): round trips over realistic bodies, typed attribute access, errors naming the
//! line, and a property test that generated sessions survive print and parse.

use proptest::prelude::*;
use sip_core::sdp::{
    AcceptTypes, Candidate, CandidateType, Crypto, CryptoLifetime, Direction, FileHash,
    FileSelector, Fmtp, FrozenSdpSession, IcePwd, IceUfrag, MsrpPath, Rtcp, RtpMap, SdpAttribute,
    SdpAttributeList, SdpBandwidth, SdpConnection, SdpError, SdpErrorReason, SdpLimits,
    SdpLineKind, SdpMediaStream, SdpRawLine, SdpSession, SdpTime, Setup, TypedAttribute,
};

/// Turns a readable multi-line text into a CRLF body.
fn crlf(text: &str) -> String {
    text.lines().map(|l| format!("{l}\r\n")).collect()
}

/// Parses, checks the exact round trip and that the reparsed session is equal.
fn round_trip(body: &str) -> SdpSession {
    let session = SdpSession::parse(body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(session.to_string(), body, "exact round trip");
    assert_eq!(SdpSession::parse(&session.to_string()).unwrap(), session);
    assert_eq!(&session.to_bytes()[..], body.as_bytes());
    session
}

const AUDIO_SRTP_ICE: &str = "\
v=0
o=- 3880000000 3880000000 IN IP4 192.168.1.10
s=sipsimple-rs
c=IN IP4 203.0.113.5
t=0 0
a=ice-ufrag:8hhYaB3x
a=ice-pwd:asd88fgpdd777uzjYhagZgKk
m=audio 50000 RTP/SAVP 9 0 8 101
a=rtcp:50001 IN IP4 203.0.113.5
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4
a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:4
a=candidate:Sc0a8010a 1 UDP 1694498815 203.0.113.5 50000 typ srflx raddr 192.168.1.10 rport 50000
a=candidate:Hc0a8010a 1 UDP 2130706431 192.168.1.10 50000 typ host
a=candidate:Sc0a8010a 2 UDP 1694498814 203.0.113.5 50001 typ srflx raddr 192.168.1.10 rport 50001
a=candidate:Hc0a8010a 2 UDP 2130706430 192.168.1.10 50001 typ host
a=sendrecv
";

const MSRP_CHAT: &str = "\
v=0
o=- 3880000001 3880000001 IN IP4 192.0.2.20
s=-
c=IN IP4 192.0.2.20
t=0 0
m=message 2855 TCP/TLS/MSRP *
a=path:msrps://192.0.2.20:2855/kjhd37s2s20w2a;tcp
a=accept-types:message/cpim text/plain text/html
a=accept-wrapped-types:text/plain text/html image/* application/im-iscomposing+xml
a=setup:active
a=sendrecv
";

const FILE_TRANSFER: &str = "\
v=0
o=- 2890844526 2890844526 IN IP4 bob.example.com
s=-
c=IN IP4 bob.example.com
t=0 0
m=message 7654 TCP/MSRP *
i=This is my latest picture
a=sendonly
a=accept-types:message/cpim
a=accept-wrapped-types:*
a=path:msrp://bob.example.com:7654/jshA7we;tcp
a=file-selector:name:\"My cool picture.jpg\" type:image/jpeg size:32349 hash:sha-1:72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E
a=file-transfer-id:vBnG916bdberum2fFEABR1FR3ExZMUrd
a=file-disposition:attachment
a=file-date:creation:\"Mon, 15 May 2006 15:01:31 +0300\"
a=file-icon:cid:id2@bob.example.com
a=file-range:1-32349
";

const PJSIP_OFFER: &str = "\
v=0
o=- 3896385813 3896385813 IN IP4 192.168.0.5
s=pjmedia
b=AS:117
t=0 0
a=X-nat:0
m=audio 4000 RTP/AVP 96 97 98 99 3 0 8 9 120 121 122
c=IN IP4 192.168.0.5
b=TIAS:96000
a=rtcp:4001 IN IP4 192.168.0.5
a=sendrecv
a=rtpmap:96 speex/16000
a=rtpmap:97 speex/8000
a=rtpmap:98 speex/32000
a=rtpmap:99 iLBC/8000
a=fmtp:99 mode=30
a=rtpmap:3 GSM/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:9 G722/8000
a=rtpmap:120 telephone-event/16000
a=fmtp:120 0-16
a=rtpmap:121 telephone-event/8000
a=fmtp:121 0-16
a=rtpmap:122 telephone-event/32000
a=fmtp:122 0-16
a=ice-ufrag:2b2c6196
a=ice-pwd:06eb6a8e4c43470b6b8a5c0b
a=candidate:Hc0a80005 1 UDP 2130706431 192.168.0.5 4000 typ host
a=candidate:Hc0a80005 2 UDP 2130706430 192.168.0.5 4001 typ host
a=ssrc:1170166324 cname:2fd7f0e45fb36d3c
";

const RFC4317_OFFER: &str = "\
v=0
o=alice 2890844526 2890844526 IN IP4 host.atlanta.example.com
s=
c=IN IP4 host.atlanta.example.com
t=0 0
m=audio 49170 RTP/AVP 0 8 97
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:97 iLBC/8000
m=video 51372 RTP/AVP 31 32
a=rtpmap:31 H261/90000
a=rtpmap:32 MPV/90000
";

const RFC4317_ANSWER: &str = "\
v=0
o=bob 2808844564 2808844564 IN IP4 host.biloxi.example.com
s=
c=IN IP4 host.biloxi.example.com
t=0 0
m=audio 49174 RTP/AVP 0
a=rtpmap:0 PCMU/8000
m=video 0 RTP/AVP 31
a=rtpmap:31 H261/90000
";

const RFC4317_HOLD: &str = "\
v=0
o=alice 2890844526 2890844527 IN IP4 host.atlanta.example.com
s=
c=IN IP4 host.atlanta.example.com
t=0 0
m=audio 49170 RTP/AVP 0 97
a=rtpmap:0 PCMU/8000
a=rtpmap:97 iLBC/8000
a=sendonly
m=audio 49172 RTP/AVP 98
a=rtpmap:98 telephone-event/8000
a=fmtp:98 0-11
a=recvonly
";

const RFC4566_EXAMPLE: &str = "\
v=0
o=jdoe 2890844526 2890842807 IN IP4 10.47.16.5
s=SDP Seminar
i=A Seminar on the session description protocol
u=http://www.example.com/seminars/sdp.pdf
e=j.doe@example.com (Jane Doe)
c=IN IP4 224.2.17.12/127
t=2873397496 2873404696
a=recvonly
m=audio 49170 RTP/AVP 0
m=video 51372 RTP/AVP 99
a=rtpmap:99 h263-1998/90000
";

const RFC5245_ICE: &str = "\
v=0
o=jdoe 2890844526 2890842807 IN IP4 10.0.1.1
s=
c=IN IP4 192.0.2.3
t=0 0
a=ice-pwd:asd88fgpdd777uzjYhagZg
a=ice-ufrag:8hhY
m=audio 45664 RTP/AVP 0
b=RS:0
b=RR:0
a=rtpmap:0 PCMU/8000
a=candidate:1 1 UDP 2130706431 10.0.1.1 8998 typ host
a=candidate:2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998
";

const WEBRTC_OFFER: &str = "\
v=0
o=- 4611731400430051336 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0
a=extmap-allow-mixed
a=msid-semantic: WMS
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:tZ2X
a=ice-pwd:gQ3yqVbu2kLwGk7e1SZxDuYo
a=ice-options:trickle
a=fingerprint:sha-256 5B:A0:3E:6D:81:0B:3C:04:25:5A:3B:70:A3:B3:8E:8C:4D:0E:1A:9B:27:33:E4:1B:0D:9F:24:96:6E:1F:1E:9C
a=setup:actpass
a=mid:0
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=sendrecv
a=msid:- 7f2e3a1c-1d2b-4c5e-9a8b-7c6d5e4f3a2b
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:63 red/48000/2
a=fmtp:63 111/111
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:13 CN/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
a=ssrc:3510681983 cname:bZ3e0kLq8aGQv2Tn
";

#[test]
fn audio_offer_with_srtp_ice_and_rtcp() {
    let s = round_trip(&crlf(AUDIO_SRTP_ICE));
    assert!(s.has_ice_proposal());
    assert_eq!(s.ice_ufrag(), Some("8hhYaB3x"));
    let ufrag: IceUfrag = s.attributes.typed_first().unwrap().unwrap();
    assert_eq!(ufrag.0, "8hhYaB3x");
    let pwd: IcePwd = s.attributes.typed_first().unwrap().unwrap();
    assert_eq!(pwd.0.len(), 24);

    let audio = &s.media[0];
    assert_eq!(audio.formats, vec!["9", "0", "8", "101"]);
    assert_eq!(audio.direction(), Direction::SendRecv);
    let maps: Vec<RtpMap> = audio.rtpmaps().collect::<Result<_, _>>().unwrap();
    assert_eq!(maps.len(), 4);
    assert_eq!(maps[3], RtpMap::new(101, "telephone-event", 8000));
    assert_eq!(audio.rtpmap(8).unwrap().encoding, "PCMA");
    assert!(audio.rtpmap(18).is_none());
    assert_eq!(audio.fmtp("101").unwrap().params[0].name, "0-16");

    let rtcp = audio.rtcp().unwrap().unwrap();
    assert_eq!(rtcp.port, 50001);
    assert_eq!(rtcp.connection, Some(SdpConnection::new("203.0.113.5")));

    let crypto: Vec<Crypto> = audio.crypto().collect::<Result<_, _>>().unwrap();
    assert_eq!(crypto.len(), 2);
    assert_eq!(crypto[1].suite, "AES_CM_128_HMAC_SHA1_32");
    assert_eq!(
        crypto[0].key_params[0].lifetime,
        Some(CryptoLifetime::PowerOfTwo(20))
    );
    assert_eq!(crypto[0].to_attribute(), audio.attributes[7]);

    let candidates: Vec<Candidate> = audio.candidates().collect::<Result<_, _>>().unwrap();
    assert_eq!(candidates.len(), 4);
    assert_eq!(candidates[0].candidate_type, CandidateType::ServerReflexive);
    assert_eq!(candidates[0].related_port, Some(50000));
    assert_eq!(candidates[3].component, 2);
    assert_eq!(candidates[3].to_attribute(), audio.attributes[12]);
}

#[test]
fn msrp_chat_offer() {
    let s = round_trip(&crlf(MSRP_CHAT));
    let chat = &s.media[0];
    assert_eq!(
        (chat.media.as_str(), chat.port, chat.transport.as_str()),
        ("message", 2855, "TCP/TLS/MSRP")
    );
    assert_eq!(chat.formats, vec!["*"]);
    let path = chat.path().unwrap().unwrap();
    assert_eq!(
        path,
        MsrpPath {
            uris: vec!["msrps://192.0.2.20:2855/kjhd37s2s20w2a;tcp".into()]
        }
    );
    let types = chat.accept_types().unwrap().unwrap();
    assert!(types.accepts("message/cpim"));
    assert!(!types.accepts("image/png"));
    let wrapped = chat.accept_wrapped_types().unwrap().unwrap();
    assert!(wrapped.accepts("image/jpeg"));
    assert_eq!(chat.setup().unwrap(), Some(Setup::Active));
    assert!(!s.has_ice_proposal());
    assert!(chat.crypto().next().is_none());
}

#[test]
fn file_transfer_offer() {
    let s = round_trip(&crlf(FILE_TRANSFER));
    let m = &s.media[0];
    assert_eq!(m.info.as_deref(), Some("This is my latest picture"));
    assert_eq!(m.direction(), Direction::SendOnly);
    let selector = m.file_selector().unwrap().unwrap();
    assert_eq!(selector.name.as_deref(), Some("My cool picture.jpg"));
    assert_eq!(selector.media_type.as_deref(), Some("image/jpeg"));
    assert_eq!(selector.size, Some(32349));
    let hash = selector.hash.clone().unwrap();
    assert_eq!(hash.algorithm, "sha-1");
    assert_eq!(hash.bytes().unwrap()[0], 0x72);
    assert_eq!(selector.to_attribute(), m.attributes[4]);
    assert_eq!(
        m.file_transfer_id(),
        Some("vBnG916bdberum2fFEABR1FR3ExZMUrd")
    );
    assert_eq!(
        m.attributes.getfirst("file-date"),
        Some("creation:\"Mon, 15 May 2006 15:01:31 +0300\"")
    );
    assert_eq!(m.setup().unwrap(), None);
}

#[test]
fn pjsip_offer() {
    let s = round_trip(&crlf(PJSIP_OFFER));
    assert_eq!(s.name, "pjmedia");
    assert_eq!(s.bandwidths, vec![SdpBandwidth::new("AS", 117)]);
    assert_eq!(s.attributes.getfirst("X-nat"), Some("0"));
    let m = &s.media[0];
    assert_eq!(m.formats.len(), 11);
    assert_eq!(m.bandwidths, vec![SdpBandwidth::new("TIAS", 96000)]);
    assert_eq!(m.rtpmaps().count(), 11);
    assert!(m.rtpmaps().all(|r| r.is_ok()));
    assert_eq!(m.fmtp("99").unwrap().get("mode"), Some("30"));
    assert_eq!(m.fmtps().count(), 4);
    assert!(m.has_ice_attributes());
    assert!(m.has_ice_candidates());
    assert!(s.has_ice_proposal());
    assert_eq!(m.attributes.getall("candidate").len(), 2);
}

#[test]
fn rfc4317_offer_answer_and_hold() {
    let offer = round_trip(&crlf(RFC4317_OFFER));
    assert_eq!(offer.name, "");
    assert_eq!(offer.media.len(), 2);
    assert_eq!(offer.media[1].rtpmap(32).unwrap().clock_rate, 90000);
    let answer = round_trip(&crlf(RFC4317_ANSWER));
    assert!(answer.media[1].is_rejected());
    assert!(!answer.media[0].is_rejected());
    let hold = round_trip(&crlf(RFC4317_HOLD));
    assert_eq!(hold.media[0].direction(), Direction::SendOnly);
    assert_eq!(hold.media[1].direction(), Direction::RecvOnly);
    assert_eq!(hold.media_direction(1), Some(Direction::RecvOnly));
    assert_eq!(hold.version, offer.version + 1);
}

#[test]
fn rfc4566_example_and_session_level_direction() {
    let s = round_trip(&crlf(RFC4566_EXAMPLE));
    assert_eq!(s.emails, vec!["j.doe@example.com (Jane Doe)"]);
    assert_eq!(s.connection.as_ref().unwrap().ttl, Some(127));
    assert_eq!(s.times, vec![SdpTime::new(2873397496, 2873404696)]);
    assert_eq!(s.direction(), Some(Direction::RecvOnly));
    assert_eq!(s.media[0].direction(), Direction::SendRecv);
    assert_eq!(s.media_direction(0), Some(Direction::RecvOnly));
}

#[test]
fn rfc5245_and_webrtc_offers() {
    let s = round_trip(&crlf(RFC5245_ICE));
    assert!(s.has_ice_proposal());
    assert_eq!(s.ice_pwd(), Some("asd88fgpdd777uzjYhagZg"));
    assert_eq!(s.media[0].bandwidths.len(), 2);
    assert_eq!(s.media[0].candidates().count(), 2);

    let w = round_trip(&crlf(WEBRTC_OFFER));
    assert_eq!(w.id, 4611731400430051336);
    assert_eq!(w.attributes.getfirst("msid-semantic"), Some(" WMS"));
    let m = &w.media[0];
    assert_eq!(m.setup().unwrap(), Some(Setup::ActPass));
    assert_eq!(m.rtpmap(111).unwrap().channels, Some(2));
    let opus: Fmtp = m.fmtp("111").unwrap();
    assert_eq!(opus.get("useinbandfec"), Some("1"));
    assert!(m.attributes.contains("rtcp-mux"));
    assert_eq!(m.rtcp().unwrap().unwrap().port, 9);
}

#[test]
fn lf_only_input_prints_crlf() {
    let lf = RFC4317_OFFER;
    let s = SdpSession::parse(lf).unwrap();
    assert_eq!(s.to_string(), crlf(lf));
    assert_eq!(s, SdpSession::parse(&crlf(lf)).unwrap());
}

#[test]
fn unknown_and_repeated_lines_survive() {
    let body = crlf(
        "v=0
o=- 1 1 IN IP4 192.0.2.1
s=-
t=0 0
m=video 6000 RTP/AVP 96
c=IN IP4 192.0.2.1
a=rtpmap:96 PS/90000
a=recvonly
y=0100000001
f=v/2/4///a///",
    );
    let s = round_trip(&body);
    let raw = &s.media[0].raw_lines;
    assert_eq!(raw.len(), 2);
    assert_eq!(
        raw[0],
        SdpRawLine::new('y', "0100000001", SdpLineKind::Attribute, 1)
    );
    let mut edited = s.clone();
    edited.media[0]
        .attributes
        .push(SdpAttribute::new("framerate", "25"));
    assert!(
        edited
            .to_string()
            .ends_with("a=recvonly\r\ny=0100000001\r\nf=v/2/4///a///\r\na=framerate:25\r\n")
    );
}

#[test]
fn edit_and_print_an_answer() {
    let offer = SdpSession::parse(&crlf(AUDIO_SRTP_ICE)).unwrap();
    let mut answer = SdpSession::with_ids("198.51.100.7", 77, 77);
    answer.name = "-".into();
    answer.connection = Some(SdpConnection::new("198.51.100.7"));
    let mut audio = SdpMediaStream::new("audio", 7078, offer.media[0].transport.clone());
    audio.formats = vec!["0".into(), "101".into()];
    audio.push_attribute(&RtpMap::new(0, "PCMU", 8000));
    audio.push_attribute(&RtpMap::new(101, "telephone-event", 8000));
    audio.push_attribute(&Fmtp::new("101").with("0-16", None));
    audio.push_attribute(&Rtcp {
        port: 7079,
        connection: None,
    });
    let crypto = offer.media[0].crypto().next().unwrap().unwrap();
    audio.push_attribute(&Crypto::new(
        crypto.tag,
        crypto.suite.clone(),
        "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
    ));
    audio.set_direction(offer.media[0].direction().reverse());
    answer.media.push(audio);
    let expected = crlf(
        "v=0
o=- 77 77 IN IP4 198.51.100.7
s=-
c=IN IP4 198.51.100.7
t=0 0
m=audio 7078 RTP/SAVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=rtcp:7079
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR
a=sendrecv",
    );
    assert_eq!(answer.to_string(), expected);
    let frozen: FrozenSdpSession = answer.clone().into();
    assert_eq!(frozen, answer);
    assert_eq!(SdpSession::parse(&expected).unwrap(), frozen);
}

#[test]
fn file_selector_built_from_parts() {
    let selector = FileSelector {
        name: Some("report \"final\".pdf".into()),
        media_type: Some("application/pdf".into()),
        size: Some(1024),
        hash: Some(FileHash::from_bytes("sha-1", &[0xab, 0x01])),
    };
    let attr = selector.to_attribute();
    assert_eq!(
        attr.value.as_deref(),
        Some("name:\"report %22final%22.pdf\" type:application/pdf size:1024 hash:sha-1:AB:01")
    );
    assert_eq!(attr.parse_as::<FileSelector>().unwrap(), selector);
    let types: AcceptTypes = "message/cpim".parse().unwrap();
    assert!(types.accepts("message/CPIM"));
}

#[test]
fn attribute_list_seed_api() {
    let s = SdpSession::parse(&crlf(PJSIP_OFFER)).unwrap();
    let attrs: &SdpAttributeList = &s.media[0].attributes;
    assert!(attrs.contains("ice-pwd"));
    assert!(attrs.contains_attribute(&SdpAttribute::flag("sendrecv")));
    assert_eq!(attrs.getfirst("fmtp"), Some("99 mode=30"));
    assert_eq!(attrs.getall("fmtp").len(), 4);
    assert_eq!(attrs.getfirst("nothing").unwrap_or("default"), "default");
    assert_eq!(attrs.iter().filter(|a| a.name == "rtpmap").count(), 11);
}

fn error(body: &str) -> SdpError {
    SdpSession::parse(body).unwrap_err()
}

#[test]
fn errors_name_the_line() {
    let mut body = crlf(RFC4317_OFFER);
    body = body.replace("m=video 51372 RTP/AVP", "m=video 513720 RTP/AVP");
    let e = error(&body);
    assert_eq!(e.line(), 10);
    assert_eq!(e.reason(), &SdpErrorReason::BadMediaPort);
    assert_eq!(e.text(), "m=video 513720 RTP/AVP 31 32");
    assert!(e.to_string().contains("line 10"));

    let e = error(&crlf(RFC4317_OFFER).replace("o=alice 2890844526 ", "o=alice x "));
    assert_eq!(
        (e.line(), e.reason()),
        (2, &SdpErrorReason::BadOrigin("bad session id"))
    );

    let e = error(&crlf(RFC4317_OFFER).replace("v=0", "v=1"));
    assert_eq!((e.line(), e.reason()), (1, &SdpErrorReason::BadVersion));

    let e = error(&crlf(RFC4317_OFFER).replacen("c=IN IP4 host.atlanta.example.com", "c=IN", 1));
    assert_eq!(e.line(), 4);
    assert!(matches!(e.reason(), SdpErrorReason::BadConnection(_)));

    let e = error(&crlf(RFC4317_OFFER).replace("s=\r\n", ""));
    assert_eq!(
        (e.line(), e.reason()),
        (5, &SdpErrorReason::MissingSessionName)
    );

    let e = error(&format!("{}t=0 0\r\n", crlf(RFC4317_OFFER)));
    assert_eq!(e.line(), 13);
    assert!(matches!(e.reason(), SdpErrorReason::LineOrder(_)));

    let mut bytes = crlf(MSRP_CHAT).into_bytes();
    let at = bytes.len() - 3;
    bytes[at] = 0xff;
    let e = SdpSession::parse_bytes(&bytes).unwrap_err();
    assert_eq!((e.line(), e.reason()), (11, &SdpErrorReason::NonUtf8));

    let e = error("HTTP/1.1 200 OK\r\n\r\n");
    assert_eq!((e.line(), e.reason()), (1, &SdpErrorReason::MissingVersion));

    let crypto_line = crlf(AUDIO_SRTP_ICE).replace("a=crypto:1 ", "a=crypto:1 \r");
    let e = error(&crypto_line);
    assert_eq!(e.line(), 16);
    assert!(!e.to_string().contains("WVNfX19z"));
    assert!(e.reason_phrase().starts_with("Not Acceptable Here"));

    fn is_error<E: std::error::Error + Send + Sync + 'static>(_: &E) {}
    is_error(&e);
    is_error(&"x".parse::<RtpMap>().unwrap_err());
}

#[test]
fn limits_bound_the_work() {
    let mut body = crlf("v=0\no=- 1 1 IN IP4 h\ns=-\nt=0 0");
    for i in 0..100 {
        body.push_str(&format!("m=audio {} RTP/AVP 0\r\n", 1000 + i));
    }
    let e = error(&body);
    assert_eq!(
        (e.line(), e.reason()),
        (69, &SdpErrorReason::TooManyMedia { limit: 64 })
    );
    let limits = SdpLimits::default().with_max_media(100);
    assert_eq!(
        SdpSession::parse_with_limits(body.as_bytes(), &limits)
            .unwrap()
            .media
            .len(),
        100
    );
    let limits = SdpLimits::default().with_max_size(100);
    assert!(matches!(
        SdpSession::parse_with_limits(body.as_bytes(), &limits)
            .unwrap_err()
            .reason(),
        SdpErrorReason::TooLarge { .. }
    ));
    let limits = SdpLimits::default().with_max_media(1000).with_max_lines(50);
    assert_eq!(
        SdpSession::parse_with_limits(body.as_bytes(), &limits)
            .unwrap_err()
            .line(),
        51
    );
}

#[test]
fn fuzz_seeds_round_trip() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/sdp");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let body = std::fs::read(&path).unwrap();
        let s =
            SdpSession::parse_bytes(&body).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(s.to_bytes(), body, "{}", path.display());
        count += 1;
    }
    assert!(count >= 5);
}

// ---------------------------------------------------------------------------------------------
// Property test: generated sessions print and parse back to themselves.

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._+*-]{1,10}"
}

fn text() -> impl Strategy<Value = String> {
    "[ -~\u{e9}\u{4e2d}]{0,16}"
}

fn connection() -> impl Strategy<Value = SdpConnection> {
    (
        prop_oneof![Just("IP4"), Just("IP6"), Just("X25")],
        "[A-Za-z0-9.:-]{1,20}",
        any::<u8>(),
        any::<u32>(),
        0..3u8,
    )
        .prop_map(|(address_type, address, ttl, count, shape)| {
            let mut c = SdpConnection::new(address);
            c.address_type = address_type.to_owned();
            match (address_type, shape) {
                (_, 0) => {}
                ("IP6", _) => c.address_count = Some(count),
                (_, 1) => c.ttl = Some(ttl),
                _ => {
                    c.ttl = Some(ttl);
                    c.address_count = Some(count);
                }
            }
            c
        })
}

fn bandwidth() -> impl Strategy<Value = SdpBandwidth> {
    ("[A-Z]{1,4}", any::<u64>()).prop_map(|(t, b)| SdpBandwidth::new(t, b))
}

fn attribute() -> impl Strategy<Value = SdpAttribute> {
    ("[A-Za-z0-9-]{1,12}", proptest::option::of("[ -~]{0,24}"))
        .prop_map(|(name, value)| SdpAttribute { name, value })
}

/// Raw lines: an unknown type letter, a value and a pick among the existing anchors.
fn raw_specs() -> impl Strategy<Value = Vec<(char, String, usize)>> {
    proptest::collection::vec(
        (
            proptest::sample::select(vec!['f', 'g', 'h', 'j', 'x', 'y', 'X', 'Y']),
            text(),
            any::<usize>(),
        ),
        0..4,
    )
}

/// Turns raw line specs into raw lines anchored at existing lines, in printing order.
fn place(specs: Vec<(char, String, usize)>, anchors: &[(SdpLineKind, usize)]) -> Vec<SdpRawLine> {
    let mut raws: Vec<(usize, SdpRawLine)> = specs
        .into_iter()
        .map(|(kind, value, pick)| {
            let at = pick % anchors.len();
            let (after, index) = anchors[at];
            (at, SdpRawLine::new(kind, value, after, index))
        })
        .collect();
    raws.sort_by_key(|(at, _)| *at);
    raws.into_iter().map(|(_, raw)| raw).collect()
}

fn media() -> impl Strategy<Value = SdpMediaStream> {
    (
        (token(), any::<u16>(), any::<u16>(), token()),
        proptest::collection::vec(token(), 0..5),
        proptest::option::of(text()),
        proptest::option::of(connection()),
        proptest::collection::vec(bandwidth(), 0..3),
        proptest::option::of(text()),
        proptest::collection::vec(attribute(), 0..6),
        raw_specs(),
    )
        .prop_map(
            |(
                (media, port, port_count, transport),
                formats,
                info,
                connection,
                bw,
                key,
                attrs,
                raws,
            )| {
                let mut m = SdpMediaStream::new(media, port, transport);
                m.port_count = port_count;
                m.formats = formats;
                m.info = info;
                m.connection = connection;
                m.bandwidths = bw;
                m.key = key;
                m.attributes = attrs.into();
                // Anchors in printing order.
                let mut anchors = vec![(SdpLineKind::Media, 0)];
                if m.info.is_some() {
                    anchors.push((SdpLineKind::Info, 0));
                }
                if m.connection.is_some() {
                    anchors.push((SdpLineKind::Connection, 0));
                }
                anchors.extend((0..m.bandwidths.len()).map(|i| (SdpLineKind::Bandwidth, i)));
                if m.key.is_some() {
                    anchors.push((SdpLineKind::Key, 0));
                }
                anchors.extend((0..m.attributes.len()).map(|i| (SdpLineKind::Attribute, i)));
                m.raw_lines = place(raws, &anchors);
                m
            },
        )
}

fn session() -> impl Strategy<Value = SdpSession> {
    (
        (
            token(),
            any::<u64>(),
            any::<u64>(),
            token(),
            token(),
            "[A-Za-z0-9./:-]{1,20}",
        ),
        (
            text(),
            proptest::option::of(text()),
            proptest::option::of(text()),
        ),
        (
            proptest::collection::vec(text(), 0..3),
            proptest::collection::vec(text(), 0..2),
        ),
        proptest::option::of(connection()),
        proptest::collection::vec(bandwidth(), 0..3),
        proptest::collection::vec(
            (
                any::<u64>(),
                any::<u64>(),
                proptest::collection::vec(text(), 0..3),
            ),
            0..3,
        ),
        (proptest::option::of(text()), proptest::option::of(text())),
        proptest::collection::vec(attribute(), 0..6),
        proptest::collection::vec(media(), 0..4),
        raw_specs(),
    )
        .prop_map(
            |(
                (user, id, version, net_type, address_type, address),
                (name, info, uri),
                (emails, phones),
                connection,
                bandwidths,
                times,
                (zones, key),
                attrs,
                media,
                raws,
            )| {
                let mut s = SdpSession::with_ids(address, id, version);
                s.user = user;
                s.net_type = net_type;
                s.address_type = address_type;
                s.name = name;
                s.info = info;
                s.uri = uri;
                s.emails = emails;
                s.phones = phones;
                s.connection = connection;
                s.bandwidths = bandwidths;
                s.times = times
                    .into_iter()
                    .map(|(start, stop, repeats)| SdpTime {
                        start,
                        stop,
                        repeats,
                    })
                    .collect();
                s.time_zones = zones;
                s.key = key;
                s.attributes = attrs.into();
                s.media = media;
                // Anchors in printing order (t= and r= lines are left out for simplicity).
                let mut anchors = vec![
                    (SdpLineKind::Version, 0),
                    (SdpLineKind::Origin, 0),
                    (SdpLineKind::SessionName, 0),
                ];
                if s.info.is_some() {
                    anchors.push((SdpLineKind::Info, 0));
                }
                if s.uri.is_some() {
                    anchors.push((SdpLineKind::Uri, 0));
                }
                anchors.extend((0..s.emails.len()).map(|i| (SdpLineKind::Email, i)));
                anchors.extend((0..s.phones.len()).map(|i| (SdpLineKind::Phone, i)));
                if s.connection.is_some() {
                    anchors.push((SdpLineKind::Connection, 0));
                }
                anchors.extend((0..s.bandwidths.len()).map(|i| (SdpLineKind::Bandwidth, i)));
                if s.time_zones.is_some() {
                    anchors.push((SdpLineKind::TimeZone, 0));
                }
                if s.key.is_some() {
                    anchors.push((SdpLineKind::Key, 0));
                }
                anchors.extend((0..s.attributes.len()).map(|i| (SdpLineKind::Attribute, i)));
                s.raw_lines = place(raws, &anchors);
                s
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn generated_sessions_survive_print_and_parse(s in session()) {
        let text = s.to_string();
        let parsed = SdpSession::parse(&text);
        prop_assert!(parsed.is_ok(), "{:?} on {:?}", parsed.err(), text);
        let parsed = parsed.unwrap();
        prop_assert_eq!(&parsed, &s);
        prop_assert_eq!(parsed.to_string(), text);
    }

    #[test]
    fn arbitrary_line_soup_never_panics_and_is_stable(
        lines in proptest::collection::vec(
            prop_oneof![
                "[vosiuepcbtrzkamxy]=[ -~]{0,30}",
                Just("m=audio 9 RTP/AVP 0".to_owned()),
                Just("o=- 1 1 IN IP4 h".to_owned()),
                Just("s=-".to_owned()),
                Just("c=IN IP4 224.0.0.1/16/2".to_owned()),
                Just("t=0 0".to_owned()),
                "[ -~]{0,10}",
            ],
            0..20,
        ),
        lf in any::<bool>(),
    ) {
        let end = if lf { "\n" } else { "\r\n" };
        let mut body = String::from("v=0");
        body.push_str(end);
        for line in &lines {
            body.push_str(line);
            body.push_str(end);
        }
        if let Ok(s) = SdpSession::parse(&body) {
            let printed = s.to_string();
            let again = SdpSession::parse(&printed);
            prop_assert!(again.is_ok(), "{:?} on {:?}", again.err(), printed);
            let again = again.unwrap();
            prop_assert_eq!(&again, &s);
            prop_assert_eq!(again.to_string(), printed);
        }
    }
}
