//! Interop with PJSIP (pjsua2, the library the original SDK wrapped): a call from a minimal
//! SIP UAC written here (INVITE/ACK/BYE over UDP; the Invitation issue will replace it) to
//! `pjua.py --answer`, with our AudioTransport on the media. Each side plays a tone and records
//! the other: we play 440 Hz and check PJSIP's recording; PJSIP plays 1000 Hz and we check
//! ours. Run for G.722, PCMU and PCMA, so our codecs are checked against PJSIP's.
//!
//! Without pjsua2 the test fails (`.ci/run` installs it), unless `SIPSIMPLE_SKIP_INTEROP=1`.

#![cfg(feature = "runtime")]

use std::net::{IpAddr, Ipv4Addr, UdpSocket};
use std::time::{Duration, Instant};

use interop_support::{Pjua, RunDir};
use sip_core::sdp::{Direction, SdpConnection, SdpSession};
use sip_media::dsp::{dominant_frequency, level_dbfs};
use sip_media::mixer::AudioMixer;
use sip_media::negotiation::CodecPreferences;
use sip_media::runtime::{
    AudioTransport, MixerHandle, NullAudioDevice, RtpTransport, RtpTransportConfig,
};
use sip_media::wave::{RecordingWaveFile, WaveFile};

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const CANDIDATES: [f64; 5] = [300.0, 440.0, 600.0, 1000.0, 1500.0];

fn write_tone(path: &std::path::Path, freq: f64, rate: u32, seconds: u32) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for n in 0..rate * seconds {
        let t = f64::from(n) / f64::from(rate);
        w.write_sample((8000.0 * (2.0 * std::f64::consts::PI * freq * t).sin()) as i16)
            .unwrap();
    }
    w.finalize().unwrap();
}

/// Sends a request and waits (bounded) for its final response.
fn transact(sock: &UdpSocket, to: std::net::SocketAddr, request: &str) -> String {
    sock.send_to(request.as_bytes(), to).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut buf = vec![0u8; 65536];
    while Instant::now() < deadline {
        let Ok((n, _)) = sock.recv_from(&mut buf) else {
            continue;
        };
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        let code: u16 = text.get(8..11).and_then(|c| c.parse().ok()).unwrap_or(0);
        if text.starts_with("SIP/2.0") && code >= 200 {
            return text;
        }
    }
    panic!("no final response to:\n{request}");
}

fn header<'a>(message: &'a str, name: &str) -> &'a str {
    message
        .lines()
        .find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then_some(v.trim())
        })
        .unwrap_or_else(|| panic!("no {name} header in\n{message}"))
}

fn read_wav(path: &std::path::Path) -> (Vec<i16>, u32) {
    let reader = hound::WavReader::open(path).unwrap();
    let rate = reader.spec().sample_rate;
    (reader.into_samples().map(Result::unwrap).collect(), rate)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_with_pjsua2_each_side_hears_the_other() {
    let run = RunDir::new("media-pjsua2").unwrap();
    let pj_tone = run.path().join("tone1000.wav");
    let our_tone = run.path().join("tone440.wav");
    write_tone(&pj_tone, 1000.0, 8000, 10);
    write_tone(&our_tone, 440.0, 16000, 10);
    for (codec, pj_codec) in [("G722", "G722"), ("PCMU", "PCMU"), ("PCMA", "PCMA")] {
        let pj_record = run.path().join(format!("pj-{codec}.wav"));
        let Some(pj) = Pjua::spawn(
            &[
                "--answer",
                "--play",
                pj_tone.to_str().unwrap(),
                "--record",
                pj_record.to_str().unwrap(),
                "--codecs",
                pj_codec,
                "--duration",
                "5",
            ],
            None,
        ) else {
            return;
        };
        let mixer = MixerHandle::start(
            AudioMixer::new(16000, 8).unwrap(),
            Box::new(NullAudioDevice),
            None,
        );
        let transport = RtpTransport::new(
            RtpTransportConfig {
                local_rtp_address: Some(LOCALHOST),
                port_range: (44000, 44998),
            },
            None,
        )
        .await
        .unwrap();
        let prefs = CodecPreferences::from_names(&[codec]).0;
        let mut audio =
            AudioTransport::new(mixer.clone(), transport, None, 0, false, Some(prefs)).unwrap();
        let mut offer = SdpSession::new("127.0.0.1");
        offer.connection = Some(SdpConnection::from_ip(LOCALHOST));
        offer
            .media
            .push(audio.get_local_media(true, Direction::SendRecv).unwrap());
        let body = offer.to_string();

        let sip = UdpSocket::bind("127.0.0.1:0").unwrap();
        sip.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let me = sip.local_addr().unwrap();
        let target = format!("sip:pj@{}", pj.addr());
        let token = format!("media-{codec}-{}", me.port());
        let call_id = format!("{token}@127.0.0.1");
        let from = format!("<sip:rust@{me}>;tag=ours{}", me.port());
        let invite = format!(
            "INVITE {target} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-inv-{token}\r\n\
             Max-Forwards: 70\r\nFrom: {from}\r\nTo: <{target}>\r\nCall-ID: {call_id}\r\n\
             CSeq: 1 INVITE\r\nContact: <sip:rust@{me}>\r\nContent-Type: application/sdp\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let ok = transact(&sip, pj.addr(), &invite);
        assert!(ok.starts_with("SIP/2.0 200"), "{ok}");
        let to = header(&ok, "To").to_owned();
        let contact = header(&ok, "Contact");
        let remote_target = contact
            .split_once('<')
            .and_then(|(_, r)| r.split_once('>'))
            .map(|(uri, _)| uri.to_owned())
            .unwrap_or_else(|| target.clone());
        let answer_text = ok.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        let answer = SdpSession::parse(answer_text).unwrap();
        let ack = format!(
            "ACK {remote_target} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-ack-{token}\r\n\
             Max-Forwards: 70\r\nFrom: {from}\r\nTo: {to}\r\nCall-ID: {call_id}\r\nCSeq: 1 ACK\r\n\
             Content-Length: 0\r\n\r\n"
        );
        sip.send_to(ack.as_bytes(), pj.addr()).unwrap();

        audio
            .start(
                &offer,
                &answer,
                0,
                Duration::from_secs(10),
                Duration::from_secs(30),
            )
            .unwrap();
        assert_eq!(audio.codec().unwrap().name(), codec);
        let slot = audio.slot().unwrap();
        let player = mixer
            .add_port(Box::new(WaveFile::open(&our_tone).unwrap()), None)
            .unwrap();
        let our_record = run.path().join(format!("ours-{codec}.wav"));
        let recorder = mixer
            .add_port(
                Box::new(RecordingWaveFile::create(&our_record, 16000).unwrap()),
                None,
            )
            .unwrap();
        {
            let mut m = mixer.lock();
            m.connect_slots(player, slot).unwrap();
            m.connect_slots(slot, recorder).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(3000)).await;

        let bye = format!(
            "BYE {remote_target} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-bye-{token}\r\n\
             Max-Forwards: 70\r\nFrom: {from}\r\nTo: {to}\r\nCall-ID: {call_id}\r\nCSeq: 2 BYE\r\n\
             Content-Length: 0\r\n\r\n"
        );
        let bye_ok = transact(&sip, pj.addr(), &bye);
        assert!(bye_ok.starts_with("SIP/2.0 200"), "{bye_ok}");
        mixer
            .lock()
            .port_mut::<RecordingWaveFile>(recorder)
            .unwrap()
            .stop()
            .unwrap();
        audio.stop();
        mixer.stop();

        // What we heard from PJSIP.
        let (ours, rate) = read_wav(&our_record);
        assert!(
            ours.len() > rate as usize,
            "{codec}: {} samples",
            ours.len()
        );
        let tail = &ours[ours.len() - rate as usize..];
        assert_eq!(
            dominant_frequency(tail, rate, &CANDIDATES),
            Some(1000.0),
            "{codec}"
        );
        assert!(
            level_dbfs(tail) > -25.0,
            "{codec}: {:.1} dBFS",
            level_dbfs(tail)
        );

        // What PJSIP heard from us (pjua writes the WAV header when it exits).
        let mut pj = pj;
        assert!(
            pj.wait_exit(Duration::from_secs(15)),
            "{codec}: pjua did not finish"
        );
        let pj_log = pj.output();
        drop(pj);
        let (theirs, rate) = read_wav(&pj_record);
        assert!(
            theirs.len() > rate as usize,
            "{codec}: PJSIP recorded {} samples\n{pj_log}",
            theirs.len()
        );
        let tail = &theirs[theirs.len() - rate as usize..];
        assert_eq!(
            dominant_frequency(tail, rate, &CANDIDATES),
            Some(440.0),
            "{codec}"
        );
        assert!(
            level_dbfs(tail) > -25.0,
            "{codec}: PJSIP heard {:.1} dBFS",
            level_dbfs(tail)
        );
    }
}
