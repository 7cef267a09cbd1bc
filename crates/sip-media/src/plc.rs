//! Packet-loss concealment for decoded PCM: pitch-period repetition with fade-out.
//!
//! The [`Concealer`] keeps the last decoded audio. For a missing frame it estimates the pitch
//! period of that history by normalised autocorrelation (2.5–15 ms) and repeats the last
//! period, continuing the waveform's phase across consecutive concealed frames, attenuated
//! after the first 10 ms and silent after 60 ms. The first good frame after a loss is
//! cross-faded with the continued waveform so there is no click.

/// The pitch-repetition concealer of one stream; see the [module documentation](self).
#[derive(Debug, Clone)]
pub struct Concealer {
    sample_rate: u32,
    history: Vec<i16>,
    period: usize,
    position: usize,
    lost_samples: usize,
}

impl Concealer {
    /// A concealer for audio at `sample_rate` Hz.
    pub fn new(sample_rate: u32) -> Self {
        // 30 ms of history: enough for two periods of the lowest pitch searched (15 ms).
        let len = (sample_rate as usize * 30 / 1000).max(16);
        Self {
            sample_rate,
            history: vec![0; len],
            period: 0,
            position: 0,
            lost_samples: 0,
        }
    }

    /// Records a correctly decoded frame (cross-fading it in after a loss).
    pub fn good_frame(&mut self, pcm: &mut [i16]) {
        if self.lost_samples > 0 && self.period > 0 {
            let fade = pcm.len().min(self.sample_rate as usize / 200);
            let gain = self.gain();
            for (i, sample) in pcm.iter_mut().take(fade).enumerate() {
                let w = i as f32 / fade as f32;
                let continued = f32::from(self.next_repeated()) * gain;
                *sample = (f32::from(*sample) * w + continued * (1.0 - w)) as i16;
            }
        }
        self.lost_samples = 0;
        self.period = 0;
        self.push_history(pcm);
    }

    fn push_history(&mut self, pcm: &[i16]) {
        let len = self.history.len();
        if pcm.len() >= len {
            self.history.copy_from_slice(&pcm[pcm.len() - len..]);
        } else {
            self.history.copy_within(pcm.len().., 0);
            self.history[len - pcm.len()..].copy_from_slice(pcm);
        }
    }

    fn estimate_period(&self) -> usize {
        let rate = self.sample_rate as usize;
        let (min_lag, max_lag) = (rate / 400, rate * 15 / 1000);
        let h = &self.history;
        let window = h.len() - max_lag;
        let tail = &h[h.len() - window..];
        let mut best = (max_lag, f64::MIN);
        for lag in min_lag..=max_lag {
            let past = &h[h.len() - window - lag..h.len() - lag];
            let (mut xy, mut yy) = (0f64, 0f64);
            for (&x, &y) in tail.iter().zip(past) {
                xy += f64::from(x) * f64::from(y);
                yy += f64::from(y) * f64::from(y);
            }
            let score = if yy > 0.0 { xy / yy.sqrt() } else { 0.0 };
            if score > best.1 {
                best = (lag, score);
            }
        }
        best.0
    }

    fn next_repeated(&mut self) -> i16 {
        let len = self.history.len();
        let sample = self.history[len - self.period + self.position];
        self.position = (self.position + 1) % self.period;
        sample
    }

    fn gain(&self) -> f32 {
        let ms = self.lost_samples * 1000 / self.sample_rate as usize;
        if ms <= 10 {
            1.0
        } else {
            (1.0 - (ms - 10) as f32 / 50.0).max(0.0)
        }
    }

    /// Fills `out` with concealment audio for one missing frame.
    pub fn conceal(&mut self, out: &mut [i16]) {
        if self.lost_samples == 0 {
            self.period = self.estimate_period();
            self.position = 0;
        }
        for sample in out.iter_mut() {
            let gain = self.gain();
            *sample = (f32::from(self.next_repeated()) * gain) as i16;
            self.lost_samples += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(n: usize, freq: f64) -> i16 {
        (10000.0 * (2.0 * std::f64::consts::PI * freq * n as f64 / 8000.0).sin()) as i16
    }

    fn snr(reference: &[i16], got: &[i16]) -> f64 {
        let (mut s, mut e) = (0.0, 0.0);
        for (&r, &g) in reference.iter().zip(got) {
            s += f64::from(r).powi(2);
            e += (f64::from(r) - f64::from(g)).powi(2);
        }
        10.0 * (s / e.max(1e-9)).log10()
    }

    #[test]
    fn one_lost_frame_of_a_tone_is_continued() {
        // 200 Hz: a period of 40 samples, which the estimator must find.
        let mut plc = Concealer::new(8000);
        for frame in 0..5 {
            let mut pcm: Vec<i16> = (frame * 160..frame * 160 + 160)
                .map(|n| sine(n, 200.0))
                .collect();
            plc.good_frame(&mut pcm);
        }
        let mut out = [0i16; 160];
        plc.conceal(&mut out);
        let reference: Vec<i16> = (800..960).map(|n| sine(n, 200.0)).collect();
        let snr = snr(&reference, &out);
        // Silence would give 0 dB; a repeated period of the right pitch is far better.
        assert!(snr > 20.0, "{snr:.1} dB");
    }

    #[test]
    fn long_loss_fades_to_silence_and_recovers() {
        let mut plc = Concealer::new(8000);
        let mut pcm: Vec<i16> = (0..480).map(|n| sine(n, 440.0)).collect();
        plc.good_frame(&mut pcm);
        let mut out = [0i16; 160];
        let mut peaks = Vec::new();
        for _ in 0..4 {
            plc.conceal(&mut out);
            peaks.push(out.iter().map(|s| s.unsigned_abs()).max().unwrap());
        }
        // 0–20 ms near full level, then decaying, silent from 60 ms on.
        assert!(peaks[0] > 9000, "{peaks:?}");
        assert!(peaks[1] < peaks[0] && peaks[2] < peaks[1], "{peaks:?}");
        assert_eq!(peaks[3], 0);
        // Recovery: the good frame is cross-faded in and ends exactly as decoded.
        let mut good: Vec<i16> = (0..160).map(|n| sine(n, 440.0)).collect();
        let original = good.clone();
        plc.good_frame(&mut good);
        assert_eq!(good[40..], original[40..]);
        assert_eq!(good[0], 0);
    }
}
