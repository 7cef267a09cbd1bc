//! Audio codecs: G.711 µ-law and A-law (PCMU, PCMA) and G.722 written in Rust, and Opus
//! through the `opus` crate (feature `opus`, on by default; links the system libopus).
//!
//! [`Codec`] names a codec and its RTP facts; [`Encoder`] and [`Decoder`] are enum-dispatched
//! (no allocation, no dynamic dispatch on the packet path).

mod g711;
mod g722;

pub use g711::{alaw_to_linear, linear_to_alaw, linear_to_ulaw, ulaw_to_linear};
pub use g722::{G722Decoder, G722Encoder};

/// The codecs this crate implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Codec {
    /// G.711 µ-law, static payload type 0.
    Pcmu,
    /// G.711 A-law, static payload type 8.
    Pcma,
    /// G.722 at 64 kbit/s, static payload type 9.
    G722,
    /// Opus (RFC 7587), mono at 48 kHz, offered as dynamic payload type 111.
    #[cfg(feature = "opus")]
    Opus,
}

impl Codec {
    /// All codecs, in the default preference order.
    #[cfg(feature = "opus")]
    pub const ALL: &'static [Codec] = &[Codec::Opus, Codec::G722, Codec::Pcmu, Codec::Pcma];
    /// All codecs, in the default preference order.
    #[cfg(not(feature = "opus"))]
    pub const ALL: &'static [Codec] = &[Codec::G722, Codec::Pcmu, Codec::Pcma];

    /// The encoding name of `a=rtpmap` (`"PCMU"`).
    pub fn name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
            Codec::G722 => "G722",
            #[cfg(feature = "opus")]
            Codec::Opus => "opus",
        }
    }

    /// The channel count written in `a=rtpmap` (`Some(2)` for Opus, RFC 7587 §7).
    pub fn rtpmap_channels(self) -> Option<u16> {
        match self {
            #[cfg(feature = "opus")]
            Codec::Opus => Some(2),
            _ => None,
        }
    }

    /// The codec with this encoding name, compared case-insensitively.
    pub fn from_name(name: &str) -> Option<Codec> {
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.name().eq_ignore_ascii_case(name))
    }

    /// The static payload type (RFC 3551), or the dynamic one we offer (Opus: 111).
    pub fn static_payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
            Codec::G722 => 9,
            #[cfg(feature = "opus")]
            Codec::Opus => 111,
        }
    }

    /// The RTP clock rate written in `a=rtpmap` (8000 for G.722, RFC 3551 §4.5.2; 48000 for
    /// Opus).
    pub fn rtp_clock_rate(self) -> u32 {
        match self {
            #[cfg(feature = "opus")]
            Codec::Opus => 48000,
            _ => 8000,
        }
    }

    /// The duration of a received payload in RTP timestamp units.
    pub fn payload_duration(self, payload: &[u8]) -> u32 {
        match self {
            Codec::Pcmu | Codec::Pcma | Codec::G722 => payload.len() as u32,
            #[cfg(feature = "opus")]
            Codec::Opus => opus::packet::get_nb_samples(payload, 48000)
                .map(|n| n as u32)
                .unwrap_or(960),
        }
    }

    /// The audio sample rate the codec works at.
    pub fn sample_rate(self) -> u32 {
        match self {
            Codec::Pcmu | Codec::Pcma => 8000,
            Codec::G722 => 16000,
            #[cfg(feature = "opus")]
            Codec::Opus => 48000,
        }
    }

    /// Encoded bytes for `samples` audio samples (for Opus, the largest packet: 1275).
    pub fn encoded_len(self, samples: usize) -> usize {
        match self {
            Codec::Pcmu | Codec::Pcma => samples,
            Codec::G722 => samples / 2,
            #[cfg(feature = "opus")]
            Codec::Opus => 1275,
        }
    }

    /// A fresh encoder.
    pub fn encoder(self) -> Encoder {
        match self {
            Codec::Pcmu => Encoder::Pcmu,
            Codec::Pcma => Encoder::Pcma,
            Codec::G722 => Encoder::G722(Box::default()),
            #[cfg(feature = "opus")]
            Codec::Opus => Encoder::Opus(
                opus::Encoder::new(48000, opus::Channels::Mono, opus::Application::Voip)
                    .ok()
                    .map(Box::new),
            ),
        }
    }

    /// A fresh decoder.
    pub fn decoder(self) -> Decoder {
        match self {
            Codec::Pcmu => Decoder::Pcmu,
            Codec::Pcma => Decoder::Pcma,
            Codec::G722 => Decoder::G722(Box::default()),
            #[cfg(feature = "opus")]
            Codec::Opus => Decoder::Opus(
                opus::Decoder::new(48000, opus::Channels::Mono)
                    .ok()
                    .map(Box::new),
            ),
        }
    }
}

impl std::fmt::Display for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An encoder of one of the [`Codec`]s.
#[derive(Debug)]
#[non_exhaustive]
pub enum Encoder {
    /// µ-law (stateless).
    Pcmu,
    /// A-law (stateless).
    Pcma,
    /// G.722.
    G722(Box<G722Encoder>),
    /// Opus (`None` if libopus refused to create it: it then encodes nothing).
    #[cfg(feature = "opus")]
    Opus(Option<Box<opus::Encoder>>),
}

impl Encoder {
    /// Encodes `pcm` (at the codec's sample rate) into `out`; returns the bytes written.
    pub fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> usize {
        match self {
            Encoder::Pcmu => {
                let n = pcm.len().min(out.len());
                for (o, &s) in out.iter_mut().zip(&pcm[..n]) {
                    *o = linear_to_ulaw(s);
                }
                n
            }
            Encoder::Pcma => {
                let n = pcm.len().min(out.len());
                for (o, &s) in out.iter_mut().zip(&pcm[..n]) {
                    *o = linear_to_alaw(s);
                }
                n
            }
            Encoder::G722(e) => e.encode(pcm, out),
            #[cfg(feature = "opus")]
            Encoder::Opus(e) => e
                .as_mut()
                .and_then(|e| e.encode(pcm, out).ok())
                .unwrap_or(0),
        }
    }
}

/// A decoder of one of the [`Codec`]s.
#[derive(Debug)]
#[non_exhaustive]
pub enum Decoder {
    /// µ-law (stateless).
    Pcmu,
    /// A-law (stateless).
    Pcma,
    /// G.722.
    G722(Box<G722Decoder>),
    /// Opus (`None` if libopus refused to create it: it then decodes nothing).
    #[cfg(feature = "opus")]
    Opus(Option<Box<opus::Decoder>>),
}

impl Decoder {
    /// Decodes `data` into `out`; returns the samples written.
    pub fn decode(&mut self, data: &[u8], out: &mut [i16]) -> usize {
        match self {
            Decoder::Pcmu => {
                let n = data.len().min(out.len());
                for (o, &b) in out.iter_mut().zip(&data[..n]) {
                    *o = ulaw_to_linear(b);
                }
                n
            }
            Decoder::Pcma => {
                let n = data.len().min(out.len());
                for (o, &b) in out.iter_mut().zip(&data[..n]) {
                    *o = alaw_to_linear(b);
                }
                n
            }
            Decoder::G722(d) => d.decode(data, out),
            #[cfg(feature = "opus")]
            Decoder::Opus(d) => d
                .as_mut()
                .and_then(|d| d.decode(data, out, false).ok())
                .unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, rate: u32, amplitude: f64, len: usize) -> Vec<i16> {
        (0..len)
            .map(|n| {
                (amplitude * (2.0 * std::f64::consts::PI * freq * n as f64 / f64::from(rate)).sin())
                    as i16
            })
            .collect()
    }

    /// The best signal-to-noise ratio over output delays of 0..64 samples, skipping the
    /// first 400 samples of adaptation.
    fn snr_db(input: &[i16], output: &[i16]) -> f64 {
        (0..64)
            .map(|lag| {
                let (mut signal, mut noise) = (0.0, 0.0);
                for n in 400..input.len() - 64 {
                    let x = f64::from(input[n]);
                    let e = f64::from(output[n + lag]) - x;
                    signal += x * x;
                    noise += e * e;
                }
                10.0 * (signal / noise.max(1e-9)).log10()
            })
            .fold(f64::MIN, f64::max)
    }

    fn roundtrip(codec: Codec, input: &[i16]) -> Vec<i16> {
        let mut enc = codec.encoder();
        let mut dec = codec.decoder();
        let mut output = Vec::new();
        let frame = (codec.sample_rate() / 50) as usize;
        for chunk in input.chunks(frame) {
            let mut bytes = vec![0u8; codec.encoded_len(chunk.len())];
            assert_eq!(enc.encode(chunk, &mut bytes), bytes.len());
            let mut pcm = vec![0i16; chunk.len()];
            assert_eq!(dec.decode(&bytes, &mut pcm), chunk.len());
            output.extend_from_slice(&pcm);
        }
        output
    }

    #[test]
    fn g711_sine_snr() {
        for codec in [Codec::Pcmu, Codec::Pcma] {
            for amplitude in [1000.0, 8000.0, 30000.0] {
                let input = sine(440.0, 8000, amplitude, 8000);
                let snr = snr_db(&input, &roundtrip(codec, &input));
                // G.711 keeps about 38 dB over a wide range of levels.
                assert!(snr > 33.0, "{codec} at {amplitude}: {snr:.1} dB");
            }
        }
    }

    #[test]
    fn g722_sine_snr() {
        for (freq, amplitude) in [(440.0, 8000.0), (1000.0, 16000.0), (3000.0, 4000.0)] {
            let input = sine(freq, 16000, amplitude, 16000);
            let output = roundtrip(Codec::G722, &input);
            let snr = snr_db(&input, &output);
            assert!(snr > 25.0, "G.722 {freq} Hz at {amplitude}: {snr:.1} dB");
        }
        // A tone in the upper band (6 kHz) passes too, which G.711 cannot carry at all.
        let input = sine(6000.0, 16000, 6000.0, 16000);
        let snr = snr_db(&input, &roundtrip(Codec::G722, &input));
        assert!(snr > 10.0, "G.722 6 kHz: {snr:.1} dB");
    }

    #[test]
    fn g722_silence_stays_quiet_and_is_deterministic() {
        let zeros = vec![0i16; 3200];
        let mut a = vec![0u8; 1600];
        let mut b = vec![0u8; 1600];
        G722Encoder::new().encode(&zeros, &mut a);
        G722Encoder::new().encode(&zeros, &mut b);
        assert_eq!(a, b);
        // Idle-channel noise only: the first code is the smallest positive levels (upper
        // band code 3; lower band 58 while the step size is at its minimum).
        assert_eq!(a[0], (3 << 6) | 58);
        let out = roundtrip(Codec::G722, &zeros);
        assert!(out.iter().all(|s| s.abs() < 64), "{out:?}");
    }

    #[cfg(feature = "opus")]
    #[test]
    fn opus_tone_roundtrip_keeps_frequency_and_level() {
        use crate::dsp::{dominant_frequency, level_dbfs};
        let input = sine(440.0, 48000, 8000.0, 48000);
        let mut enc = Codec::Opus.encoder();
        let mut dec = Codec::Opus.decoder();
        let mut output = Vec::new();
        let mut bytes = [0u8; 1275];
        let mut pcm = [0i16; 960];
        for frame in input.chunks(960) {
            let n = enc.encode(frame, &mut bytes);
            assert!(n > 0 && n < 400, "{n} bytes");
            assert_eq!(Codec::Opus.payload_duration(&bytes[..n]), 960);
            assert_eq!(dec.decode(&bytes[..n], &mut pcm), 960);
            output.extend_from_slice(&pcm);
        }
        let tail = &output[24000..];
        assert_eq!(
            dominant_frequency(tail, 48000, &[300.0, 440.0, 600.0]),
            Some(440.0)
        );
        assert!((level_dbfs(tail) - level_dbfs(&input)).abs() < 1.5);
        // Garbage decodes to nothing rather than failing.
        assert_eq!(dec.decode(&[0xff; 3], &mut pcm), 0);
        assert_eq!(Codec::from_name("OPUS"), Some(Codec::Opus));
    }

    #[test]
    fn names_are_case_insensitive() {
        assert_eq!(Codec::from_name("pcmu"), Some(Codec::Pcmu));
        assert_eq!(Codec::from_name("g722"), Some(Codec::G722));
        assert_eq!(Codec::from_name("speex"), None);
    }
}
