//! End to end on loopback: two AudioTransports, each in its own clocked mixer (16 kHz and
//! 8 kHz), a 440 Hz WAV played into one and recorded from the other, for each codec; DTMF the
//! other way; symmetric RTP latching. Real (short) time: 1.2 s per codec.

#![cfg(feature = "runtime")]

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use sip_core::notification::NotificationCenter;
use sip_core::sdp::{Direction, SdpConnection, SdpSession};
use sip_media::dsp::{dominant_frequency, level_dbfs};
use sip_media::mixer::AudioMixer;
use sip_media::negotiation::CodecPreferences;
use sip_media::notification::RtpAudioTransportGotDtmf;
use sip_media::runtime::{
    AudioTransport, MixerHandle, NullAudioDevice, RtpTransport, RtpTransportConfig,
    RtpTransportState,
};
use sip_media::wave::{RecordingWaveFile, WaveFile};

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn session(media: sip_core::sdp::SdpMediaStream) -> SdpSession {
    let mut sdp = SdpSession::new("127.0.0.1");
    sdp.connection = Some(SdpConnection::from_ip(LOCALHOST));
    sdp.media.push(media);
    sdp
}

fn write_tone(path: &std::path::Path, rate: u32, seconds: u32) -> Vec<i16> {
    let samples: Vec<i16> = (0..rate * seconds)
        .map(|n| {
            (8000.0 * (2.0 * std::f64::consts::PI * 440.0 * f64::from(n) / f64::from(rate)).sin())
                as i16
        })
        .collect();
    let mut w = hound::WavWriter::create(
        path,
        hound::WavSpec {
            channels: 1,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        },
    )
    .unwrap();
    samples.iter().for_each(|&s| w.write_sample(s).unwrap());
    w.finalize().unwrap();
    samples
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tone_and_dtmf_through_two_transports_for_each_codec() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("tone.wav");
    let original = write_tone(&source, 16000, 3);
    let config = RtpTransportConfig {
        local_rtp_address: Some(LOCALHOST),
        port_range: (41000, 41998),
    };
    for codec in ["PCMU", "PCMA", "G722", "opus"] {
        let center = NotificationCenter::new();
        let mut dtmf_observer = center.add_observer(Some("RTPAudioTransportGotDTMF"), None);
        let mixer_a = MixerHandle::start(
            AudioMixer::new(16000, 16).unwrap(),
            Box::new(NullAudioDevice),
            Some(center.clone()),
        );
        let mixer_b = MixerHandle::start(
            AudioMixer::new(8000, 16).unwrap(),
            Box::new(NullAudioDevice),
            Some(center.clone()),
        );
        let prefs = CodecPreferences::from_names(&[codec]).0;

        let ta = RtpTransport::new(config.clone(), Some(center.clone()))
            .await
            .unwrap();
        let mut a = AudioTransport::new(mixer_a.clone(), ta, None, 0, false, Some(prefs)).unwrap();
        assert_eq!(a.transport().state(), RtpTransportState::Init);
        let offer = session(a.get_local_media(true, Direction::SendRecv).unwrap());

        let tb = RtpTransport::new(config.clone(), Some(center.clone()))
            .await
            .unwrap();
        let mut b =
            AudioTransport::new(mixer_b.clone(), tb, Some(offer.clone()), 0, false, None).unwrap();
        let answer = session(b.get_local_media(false, Direction::SendRecv).unwrap());

        b.start(
            &answer,
            &offer,
            0,
            Duration::from_secs(10),
            Duration::from_secs(30),
        )
        .unwrap();
        a.start(
            &offer,
            &answer,
            0,
            Duration::from_secs(10),
            Duration::from_secs(30),
        )
        .unwrap();
        assert_eq!(a.codec().unwrap().name(), codec);
        assert_eq!(b.codec().unwrap().name(), codec);
        assert_eq!(a.transport().state(), RtpTransportState::Established);
        assert_eq!(
            a.transport().remote_rtp_port_sdp(),
            Some(b.transport().local_rtp_port())
        );

        let player = mixer_a
            .add_port(Box::new(WaveFile::open(&source).unwrap()), None)
            .unwrap();
        mixer_a
            .lock()
            .connect_slots(player, a.slot().unwrap())
            .unwrap();
        let target = dir.path().join(format!("rec-{codec}.wav"));
        let recorder = mixer_b
            .add_port(
                Box::new(RecordingWaveFile::create(&target, 8000).unwrap()),
                None,
            )
            .unwrap();
        mixer_b
            .lock()
            .connect_slots(b.slot().unwrap(), recorder)
            .unwrap();
        b.send_dtmf('7').unwrap();

        tokio::time::sleep(Duration::from_millis(1200)).await;

        mixer_b
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
            "{codec}: only {} samples",
            recorded.len()
        );
        let tail = &recorded[recorded.len() - 4000..];
        assert_eq!(
            dominant_frequency(tail, 8000, &[300.0, 440.0, 600.0, 1000.0]),
            Some(440.0),
            "{codec}"
        );
        let level = level_dbfs(tail);
        let expected = level_dbfs(&original);
        assert!(
            (level - expected).abs() < 3.0,
            "{codec}: {level:.1} dBFS vs {expected:.1}"
        );

        // DTMF from B reached A.
        let note = dtmf_observer.try_recv().expect("a DTMF notification");
        assert_eq!(
            note.data().downcast_ref::<RtpAudioTransportGotDtmf>(),
            Some(&RtpAudioTransportGotDtmf { digit: '7' })
        );
        // Symmetric RTP: A latched onto B's source address.
        assert_eq!(
            a.transport().remote_rtp_port_received(),
            Some(b.transport().local_rtp_port())
        );

        a.stop();
        b.stop();
        assert!(!a.is_active() && a.is_started());
        assert_eq!(mixer_a.lock().used_slot_count(), 2, "the player remains");
        mixer_a.stop();
        mixer_b.stop();
    }
}
