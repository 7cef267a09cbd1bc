//! Small signal helpers: tone power by the Goertzel algorithm, RMS level, silence detection.

/// The power of `freq` Hz in `samples` (at `sample_rate` Hz), normalised so that a full-scale
/// sine at exactly that frequency gives about 0.25 (the square of half the amplitude).
pub fn goertzel_power(samples: &[i16], freq: f64, sample_rate: u32) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let w = 2.0 * std::f64::consts::PI * freq / f64::from(sample_rate);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in samples {
        let s0 = f64::from(x) / 32768.0 + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    let n = samples.len() as f64;
    power / (n * n)
}

/// The frequency among `candidates` with the most power in `samples`.
pub fn dominant_frequency(samples: &[i16], sample_rate: u32, candidates: &[f64]) -> Option<f64> {
    candidates
        .iter()
        .copied()
        .map(|f| (f, goertzel_power(samples, f, sample_rate)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(f, _)| f)
}

/// The RMS level of `samples` in dB relative to full scale (a full-scale sine is -3 dBFS;
/// silence gives `f64::NEG_INFINITY`).
pub fn level_dbfs(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return f64::NEG_INFINITY;
    }
    let energy: f64 = samples.iter().map(|&s| f64::from(s).powi(2)).sum();
    let rms = (energy / samples.len() as f64).sqrt() / 32768.0;
    20.0 * rms.log10()
}

/// Whether a frame is silence for voice activity detection: its mean absolute amplitude is
/// below `threshold` (about 1/8 of the G.711 segment-0 range at the default of 40).
pub fn is_silence(samples: &[i16], threshold: u32) -> bool {
    if samples.is_empty() {
        return true;
    }
    let sum: u64 = samples.iter().map(|&s| u64::from(s.unsigned_abs())).sum();
    sum < u64::from(threshold) * samples.len() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f64, amplitude: f64, len: usize) -> Vec<i16> {
        (0..len)
            .map(|n| {
                (amplitude * (2.0 * std::f64::consts::PI * freq * n as f64 / 8000.0).sin()) as i16
            })
            .collect()
    }

    #[test]
    fn goertzel_finds_the_tone() {
        let samples = tone(440.0, 16384.0, 8000);
        let p = goertzel_power(&samples, 440.0, 8000);
        assert!((p - 0.0625).abs() < 0.005, "{p}");
        assert!(goertzel_power(&samples, 1000.0, 8000) < 1e-5);
        assert_eq!(
            dominant_frequency(&samples, 8000, &[300.0, 440.0, 1000.0]),
            Some(440.0)
        );
    }

    #[test]
    fn levels_and_silence() {
        let loud = tone(1000.0, 32767.0, 800);
        assert!((level_dbfs(&loud) + 3.01).abs() < 0.1);
        let quiet = tone(1000.0, 3277.0, 800);
        assert!((level_dbfs(&quiet) + 23.01).abs() < 0.1);
        assert!(!is_silence(&quiet, 40));
        assert!(is_silence(&tone(1000.0, 30.0, 800), 40));
        assert!(is_silence(&[], 40));
    }
}
