//! # sip-media
//!
//! Media for sipsimple-rs: RTP/RTCP, codecs (G.711, G.722), an adaptive jitter buffer with
//! packet-loss concealment, the audio conference bridge, WAV files and tones — all sans-IO —
//! and, behind the default `runtime` feature, RTP transports on UDP sockets and a clocked
//! mixer driver.
//!
//! ```text
//!  runtime (tokio)   MixerHandle ── ticks every 20 ms ── AudioDevice (NullAudioDevice)
//!                    RtpTransport (UDP RTP/RTCP, symmetric RTP) ◄─► AudioTransport
//!  ───────────────────────────────────────────────────────────────────────────────────
//!  sans-IO           mixer::AudioMixer: slots of AudioPorts, connections, resampling
//!                      ├─ stream::AudioStream: rtp::RtpSession + jitter::JitterBuffer
//!                      │    + plc::Concealer + codec::{Encoder, Decoder} + telephone_event
//!                      ├─ tone::ToneGenerator   ├─ wave::{WaveFile, RecordingWaveFile}
//!                      └─ mixer::PassThroughPort
//!                    negotiation: codecs and payload types from sip-core's SDP model
//! ```
//!
//! The driving loop: every 20 ms the driver hands received datagrams to the streams and calls
//! [`mixer::AudioMixer::tick`]; the streams send through their [`stream::PacketSink`].
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use std::time::{Duration, Instant};
//! use sip_core::sdp::Direction;
//! use sip_media::codec::Codec;
//! use sip_media::mixer::AudioMixer;
//! use sip_media::negotiation::NegotiatedAudio;
//! use sip_media::stream::{AudioStream, AudioStreamConfig, PacketSink};
//! use sip_media::tone::ToneGenerator;
//!
//! /// Collects what the stream sends (a socket in a real driver).
//! #[derive(Clone, Default)]
//! struct Wire(Arc<Mutex<Vec<Vec<u8>>>>);
//! impl PacketSink for Wire {
//!     fn send_rtp(&mut self, packet: &[u8]) { self.0.lock().unwrap().push(packet.to_vec()) }
//!     fn send_rtcp(&mut self, _packet: &[u8]) {}
//! }
//!
//! let mut now = Instant::now();
//! let negotiated = NegotiatedAudio {
//!     codec: Codec::Pcmu,
//!     send_payload_type: 0,
//!     receive_payload_type: 0,
//!     send_telephone_event: Some(101),
//!     receive_telephone_event: Some(101),
//!     direction: Direction::SendRecv,
//!     remote_rtp: "127.0.0.1:40000".parse().unwrap(),
//!     remote_rtcp: "127.0.0.1:40001".parse().unwrap(),
//!     ptime: None,
//! };
//! let wire = Wire::default();
//! let stream = AudioStream::new(negotiated, AudioStreamConfig::default(), Box::new(wire.clone()), now);
//!
//! let mut mixer = AudioMixer::new(8000, 16).unwrap();
//! let rtp = mixer.add_port(Box::new(stream)).unwrap();
//! let tones = mixer.add_port(Box::new(ToneGenerator::new(8000))).unwrap();
//! mixer.connect_slots(tones, rtp).unwrap();
//! mixer.port_mut::<ToneGenerator>(tones).unwrap().play_dtmf('1').unwrap();
//! for _ in 0..5 {
//!     // (a driver would first pass received datagrams to `AudioStream::handle_rtp`)
//!     mixer.tick(now, None, None);
//!     now += Duration::from_millis(20);
//! }
//! assert_eq!(wire.0.lock().unwrap().len(), 5); // one 20 ms PCMU packet per tick
//! ```

#![forbid(unsafe_code)]

pub mod codec;
pub mod dsp;
pub mod jitter;
pub mod mixer;
pub mod negotiation;
pub mod notification;
pub mod plc;
pub mod rtp;
#[cfg(feature = "runtime")]
pub mod runtime;
pub mod stream;
pub mod telephone_event;
pub mod tone;
pub mod wave;
