//! # sip-media
//!
//! Media for sipsimple-rs: RTP/RTCP, codecs (G.711, G.722, Opus), jitter buffer, audio conference bridge, WAV files, tones (sans-IO), and RTP transports and sound devices (runtime).
