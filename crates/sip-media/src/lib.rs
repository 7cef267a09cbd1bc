//! # sip-media
//!
//! Media for sipsimple-rs: RTP/RTCP, codecs (G.711, G.722), jitter buffer, audio conference
//! bridge, WAV files and tones (sans-IO), and RTP transports and sound devices (`runtime`).

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
