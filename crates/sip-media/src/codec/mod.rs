//! Audio codecs written in Rust: G.711 µ-law and A-law (PCMU, PCMA) and G.722.
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
}

impl Codec {
    /// All codecs, in the default preference order.
    pub const ALL: [Codec; 3] = [Codec::G722, Codec::Pcmu, Codec::Pcma];

    /// The encoding name of `a=rtpmap` (`"PCMU"`).
    pub fn name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
            Codec::G722 => "G722",
        }
    }

    /// The codec with this encoding name, compared case-insensitively.
    pub fn from_name(name: &str) -> Option<Codec> {
        Self::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name))
    }

    /// The static payload type (RFC 3551).
    pub fn static_payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
            Codec::G722 => 9,
        }
    }

    /// The RTP clock rate written in `a=rtpmap` (8000 for G.722, RFC 3551 §4.5.2).
    pub fn rtp_clock_rate(self) -> u32 {
        8000
    }

    /// The audio sample rate the codec works at.
    pub fn sample_rate(self) -> u32 {
        match self {
            Codec::Pcmu | Codec::Pcma => 8000,
            Codec::G722 => 16000,
        }
    }

    /// Encoded bytes for `samples` audio samples.
    pub fn encoded_len(self, samples: usize) -> usize {
        match self {
            Codec::Pcmu | Codec::Pcma => samples,
            Codec::G722 => samples / 2,
        }
    }

    /// A fresh encoder.
    pub fn encoder(self) -> Encoder {
        match self {
            Codec::Pcmu => Encoder::Pcmu,
            Codec::Pcma => Encoder::Pcma,
            Codec::G722 => Encoder::G722(Box::default()),
        }
    }

    /// A fresh decoder.
    pub fn decoder(self) -> Decoder {
        match self {
            Codec::Pcmu => Decoder::Pcmu,
            Codec::Pcma => Decoder::Pcma,
            Codec::G722 => Decoder::G722(Box::default()),
        }
    }
}

impl std::fmt::Display for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An encoder of one of the [`Codec`]s.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Encoder {
    /// µ-law (stateless).
    Pcmu,
    /// A-law (stateless).
    Pcma,
    /// G.722.
    G722(Box<G722Encoder>),
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
        }
    }
}

/// A decoder of one of the [`Codec`]s.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Decoder {
    /// µ-law (stateless).
    Pcmu,
    /// A-law (stateless).
    Pcma,
    /// G.722.
    G722(Box<G722Decoder>),
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

    #[test]
    fn names_are_case_insensitive() {
        assert_eq!(Codec::from_name("pcmu"), Some(Codec::Pcmu));
        assert_eq!(Codec::from_name("g722"), Some(Codec::G722));
        assert_eq!(Codec::from_name("speex"), None);
    }
}
