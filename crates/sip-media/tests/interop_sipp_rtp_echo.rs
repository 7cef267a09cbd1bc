//! Interop with SIPp's RTP echo (`sipp -rtp_echo`): our AudioTransport sends a 440 Hz tone
//! and a DTMF digit to SIPp's media port; SIPp sends every packet back; what we receive is
//! recorded and checked (dominant frequency, level, the DTMF digit), for each codec.
//!
//! Without `sipp` on PATH the test fails (`.ci/run` installs `sip-tester`), unless
//! `SIPSIMPLE_SKIP_INTEROP=1` is set.

#![cfg(feature = "runtime")]

use std::net::{IpAddr, Ipv4Addr, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sip_core::notification::NotificationCenter;
use sip_core::sdp::{Direction, SdpConnection, SdpSession};
use sip_media::dsp::{dominant_frequency, level_dbfs};
use sip_media::mixer::AudioMixer;
use sip_media::negotiation::CodecPreferences;
use sip_media::notification::RtpAudioTransportGotDtmf;
use sip_media::runtime::{
    AudioTransport, MixerHandle, NullAudioDevice, RtpTransport, RtpTransportConfig,
};
use sip_media::wave::{RecordingWaveFile, WaveFile};

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn sipp() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("sipp"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var("SIPSIMPLE_SKIP_INTEROP").as_deref() == Ok("1"),
            "sipp is not on PATH: install sip-tester (.ci/run does), or set SIPSIMPLE_SKIP_INTEROP=1"
        );
        eprintln!("note: sipp not on PATH and SIPSIMPLE_SKIP_INTEROP=1: skipping");
    }
    found
}

/// A SIPp UAS whose only job here is echoing RTP; killed by PID when dropped.
struct Echo {
    child: Child,
    media_port: u16,
}

impl Drop for Echo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .unwrap()
}

/// Starts SIPp and waits (bounded) until its media port echoes a probe.
fn start_echo(sipp: &PathBuf) -> Echo {
    for _attempt in 0..5 {
        let media_port = 42000 + 4 * (free_udp_port() % 240);
        let child = Command::new(sipp)
            .args([
                "-sn",
                "uas",
                "-i",
                "127.0.0.1",
                "-mi",
                "127.0.0.1",
                "-rtp_echo",
                "-nostdin",
            ])
            .args([
                "-p",
                &free_udp_port().to_string(),
                "-mp",
                &media_port.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sipp starts");
        let mut echo = Echo { child, media_port };
        let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
        probe
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        for _ in 0..30 {
            probe
                .send_to(
                    &[0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1],
                    ("127.0.0.1", media_port),
                )
                .unwrap();
            let mut buf = [0u8; 64];
            if probe.recv_from(&mut buf).is_ok() {
                return echo;
            }
            if let Ok(Some(_)) = echo.child.try_wait() {
                break; // it exited (port taken?): try another port
            }
        }
        let _ = echo.child.kill();
    }
    panic!("sipp -rtp_echo did not come up");
}

fn write_tone(path: &std::path::Path) -> Vec<i16> {
    let samples: Vec<i16> = (0..16000)
        .map(|n| {
            (8000.0 * (2.0 * std::f64::consts::PI * 440.0 * f64::from(n) / 8000.0).sin()) as i16
        })
        .collect();
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    samples.iter().for_each(|&s| w.write_sample(s).unwrap());
    w.finalize().unwrap();
    samples
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tone_and_dtmf_echoed_by_sipp() {
    let Some(sipp) = sipp() else { return };
    let echo = start_echo(&sipp);
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("tone440.wav");
    let original = write_tone(&source);
    for (codec, pt) in [("PCMU", 0), ("PCMA", 8), ("G722", 9)] {
        let center = NotificationCenter::new();
        let mut dtmf = center.add_observer(Some("RTPAudioTransportGotDTMF"), None);
        let mixer = MixerHandle::start(
            AudioMixer::new(8000, 8).unwrap(),
            Box::new(NullAudioDevice),
            Some(center.clone()),
        );
        let transport = RtpTransport::new(
            RtpTransportConfig {
                local_rtp_address: Some(LOCALHOST),
                port_range: (43000, 43998),
            },
            Some(center.clone()),
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
        // SIPp's side: it answers with the same codec on its echo port.
        let answer = SdpSession::parse(&format!(
            "v=0\r\no=sipp 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
             m=audio {} RTP/AVP {pt} 101\r\na=rtpmap:{pt} {codec}/8000\r\n\
             a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n",
            echo.media_port
        ))
        .unwrap();
        audio
            .start(
                &offer,
                &answer,
                0,
                Duration::from_secs(10),
                Duration::from_secs(30),
            )
            .unwrap();
        let slot = audio.slot().unwrap();
        let player = mixer
            .add_port(Box::new(WaveFile::open(&source).unwrap()), None)
            .unwrap();
        let target = dir.path().join(format!("echo-{codec}.wav"));
        let recorder = mixer
            .add_port(
                Box::new(RecordingWaveFile::create(&target, 8000).unwrap()),
                None,
            )
            .unwrap();
        {
            let mut m = mixer.lock();
            m.connect_slots(player, slot).unwrap();
            m.connect_slots(slot, recorder).unwrap();
        }
        audio.send_dtmf('9').unwrap();
        tokio::time::sleep(Duration::from_millis(1200)).await;
        mixer
            .lock()
            .port_mut::<RecordingWaveFile>(recorder)
            .unwrap()
            .stop()
            .unwrap();
        let recorded: Vec<i16> = hound::WavReader::open(&target)
            .unwrap()
            .into_samples()
            .map(Result::unwrap)
            .collect();
        assert!(
            recorded.len() >= 8000,
            "{codec}: {} samples",
            recorded.len()
        );
        let tail = &recorded[recorded.len() - 4000..];
        assert_eq!(
            dominant_frequency(tail, 8000, &[300.0, 440.0, 600.0, 1000.0]),
            Some(440.0),
            "{codec}"
        );
        let (level, expected) = (level_dbfs(tail), level_dbfs(&original));
        assert!(
            (level - expected).abs() < 3.0,
            "{codec}: {level:.1} vs {expected:.1} dBFS"
        );
        let note = dtmf.try_recv().expect("the echoed DTMF digit");
        assert_eq!(
            note.data().downcast_ref::<RtpAudioTransportGotDtmf>(),
            Some(&RtpAudioTransportGotDtmf { digit: '9' })
        );
        assert_eq!(
            audio.transport().remote_rtp_port_received(),
            Some(echo.media_port)
        );
        audio.stop();
        mixer.stop();
    }
}
