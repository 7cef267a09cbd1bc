//! The ToneGenerator: queued single and dual tones, pauses and DTMF digits, as a mixer port.

use std::any::Any;
use std::collections::VecDeque;
use std::time::Instant;

use crate::mixer::{AudioPort, PortEvent};

/// Duration of a DTMF digit played by [`ToneGenerator::play_dtmf`], in ms.
pub const DTMF_TONE_MS: u32 = 100;
/// Pause after a DTMF digit, in ms.
pub const DTMF_PAUSE_MS: u32 = 50;
/// Most tones that may wait in the queue.
pub const MAX_QUEUED_TONES: usize = 1024;

/// The row and column frequencies of a DTMF digit (0–9, `*`, `#`, A–D; case-insensitive).
pub fn dtmf_frequencies(digit: char) -> Option<(u32, u32)> {
    let (row, col) = match digit.to_ascii_uppercase() {
        '1' => (0, 0),
        '2' => (0, 1),
        '3' => (0, 2),
        'A' => (0, 3),
        '4' => (1, 0),
        '5' => (1, 1),
        '6' => (1, 2),
        'B' => (1, 3),
        '7' => (2, 0),
        '8' => (2, 1),
        '9' => (2, 2),
        'C' => (2, 3),
        '*' => (3, 0),
        '0' => (3, 1),
        '#' => (3, 2),
        'D' => (3, 3),
        _ => return None,
    };
    Some(([697, 770, 852, 941][row], [1209, 1336, 1477, 1633][col]))
}

/// Errors of the [`ToneGenerator`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ToneError {
    /// Not a DTMF digit.
    #[error("{0:?} is not a DTMF digit (0-9, *, #, A-D)")]
    InvalidDigit(char),
    /// A frequency at or above half the sample rate.
    #[error("{frequency} Hz cannot be played at {sample_rate} Hz")]
    FrequencyTooHigh {
        /// The frequency asked for.
        frequency: u32,
        /// The generator's sample rate.
        sample_rate: u32,
    },
    /// The queue holds [`MAX_QUEUED_TONES`] already.
    #[error("tone queue full")]
    QueueFull,
}

#[derive(Debug, Clone, Copy)]
struct Tone {
    freq1: u32,
    freq2: u32,
    remaining: u32,
    total: u32,
}

/// A generator of tone sequences; see the seed's `ToneGenerator`.
///
/// ```
/// use sip_media::tone::ToneGenerator;
/// let mut tones = ToneGenerator::new(8000);
/// tones.play_tones(&[(440, 0, 100), (0, 0, 50), (350, 440, 100)]).unwrap();
/// tones.play_dtmf('5').unwrap();
/// assert!(tones.is_busy());
/// let mut frame = [0i16; 160];
/// assert_eq!(tones.generate(&mut frame), 160);
/// ```
#[derive(Debug)]
pub struct ToneGenerator {
    sample_rate: u32,
    queue: VecDeque<Tone>,
    phase1: f64,
    phase2: f64,
    amplitude: f64,
    finished: bool,
    was_busy: bool,
}

impl ToneGenerator {
    /// A generator at `sample_rate` Hz.
    pub fn new(sample_rate: u32) -> Self {
        Self {
            sample_rate,
            queue: VecDeque::new(),
            phase1: 0.0,
            phase2: 0.0,
            // Each component at -12 dBFS peak, so dual tones never clip.
            amplitude: 8192.0,
            finished: false,
            was_busy: false,
        }
    }

    /// Queues tones: (frequency 1 Hz, frequency 2 Hz, duration ms). A frequency 2 of 0 plays
    /// a single tone; a frequency 1 of 0 is a pause.
    pub fn play_tones(&mut self, tones: &[(u32, u32, u32)]) -> Result<(), ToneError> {
        if self.queue.len() + tones.len() > MAX_QUEUED_TONES {
            return Err(ToneError::QueueFull);
        }
        for &(freq1, freq2, _) in tones {
            for frequency in [freq1, freq2] {
                if frequency * 2 >= self.sample_rate {
                    return Err(ToneError::FrequencyTooHigh {
                        frequency,
                        sample_rate: self.sample_rate,
                    });
                }
            }
        }
        for &(freq1, freq2, ms) in tones {
            let samples = (u64::from(ms) * u64::from(self.sample_rate) / 1000) as u32;
            let (freq1, freq2) = if freq1 == 0 { (0, 0) } else { (freq1, freq2) };
            self.queue.push_back(Tone {
                freq1,
                freq2,
                remaining: samples,
                total: samples,
            });
        }
        Ok(())
    }

    /// Queues one DTMF digit (100 ms tone, 50 ms pause).
    pub fn play_dtmf(&mut self, digit: char) -> Result<(), ToneError> {
        let (low, high) = dtmf_frequencies(digit).ok_or(ToneError::InvalidDigit(digit))?;
        self.play_tones(&[(low, high, DTMF_TONE_MS), (0, 0, DTMF_PAUSE_MS)])
    }

    /// True while queued tones are playing.
    pub fn is_busy(&self) -> bool {
        !self.queue.is_empty()
    }

    /// Drops the queued tones.
    pub fn clear(&mut self) {
        self.queue.clear();
    }

    /// Fills `out` with the next samples (silence when idle); returns the samples that came
    /// from queued tones.
    pub fn generate(&mut self, out: &mut [i16]) -> usize {
        let rate = f64::from(self.sample_rate);
        let ramp = (self.sample_rate / 500).max(1); // 2 ms edges against clicks
        let mut produced = 0;
        for sample in out.iter_mut() {
            let Some(tone) = self.queue.front_mut() else {
                *sample = 0;
                continue;
            };
            let pos = tone.total - tone.remaining;
            let edge = pos.min(tone.remaining).min(ramp);
            let gain = f64::from(edge) / f64::from(ramp);
            let mut value = 0.0;
            if tone.freq1 != 0 {
                value += self.phase1.sin();
                self.phase1 += 2.0 * std::f64::consts::PI * f64::from(tone.freq1) / rate;
                if tone.freq2 != 0 {
                    value += self.phase2.sin();
                    self.phase2 += 2.0 * std::f64::consts::PI * f64::from(tone.freq2) / rate;
                }
            }
            *sample = (value * gain * self.amplitude) as i16;
            produced += 1;
            tone.remaining = tone.remaining.saturating_sub(1);
            if tone.remaining == 0 {
                self.queue.pop_front();
                self.phase1 = 0.0;
                self.phase2 = 0.0;
            }
        }
        if self.was_busy && self.queue.is_empty() {
            self.finished = true;
        }
        self.was_busy = !self.queue.is_empty();
        produced
    }
}

impl AudioPort for ToneGenerator {
    fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    fn get_frame(&mut self, _now: Instant, out: &mut [i16]) -> bool {
        self.generate(out) > 0
    }

    fn poll_event(&mut self) -> Option<PortEvent> {
        std::mem::take(&mut self.finished).then_some(PortEvent::ToneGeneratorDidFinishPlaying)
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::goertzel_power;

    #[test]
    fn dtmf_digits_have_their_two_frequencies() {
        let rows = [697.0, 770.0, 852.0, 941.0];
        let cols = [1209.0, 1336.0, 1477.0, 1633.0];
        for digit in "0123456789*#ABCD".chars() {
            let mut tones = ToneGenerator::new(8000);
            tones.play_dtmf(digit).unwrap();
            let mut samples = vec![0i16; 1200];
            tones.generate(&mut samples);
            let tone = &samples[16..784];
            let strongest = |freqs: &[f64]| {
                freqs
                    .iter()
                    .copied()
                    .max_by(|a, b| {
                        goertzel_power(tone, *a, 8000).total_cmp(&goertzel_power(tone, *b, 8000))
                    })
                    .unwrap()
            };
            let (low, high) = dtmf_frequencies(digit).unwrap();
            assert_eq!(strongest(&rows), f64::from(low), "{digit}");
            assert_eq!(strongest(&cols), f64::from(high), "{digit}");
            // 100 ms tone, then the 50 ms pause is silent.
            assert!(samples[800..].iter().all(|&s| s == 0), "{digit}");
            assert!(!tones.is_busy());
        }
        assert_eq!(
            ToneGenerator::new(8000).play_dtmf('x'),
            Err(ToneError::InvalidDigit('x'))
        );
    }

    #[test]
    fn queue_timing_pause_and_finish_event() {
        let mut tones = ToneGenerator::new(8000);
        tones
            .play_tones(&[(1000, 0, 20), (0, 0, 20), (500, 0, 20)])
            .unwrap();
        let now = Instant::now();
        let mut frame = [0i16; 160];
        assert!(tones.get_frame(now, &mut frame));
        assert!(goertzel_power(&frame, 1000.0, 8000) > 0.01);
        assert_eq!(tones.poll_event(), None);
        assert!(tones.get_frame(now, &mut frame));
        assert!(frame.iter().all(|&s| s == 0), "pause is silent");
        assert!(tones.get_frame(now, &mut frame));
        assert!(goertzel_power(&frame, 500.0, 8000) > 0.01);
        assert!(!tones.is_busy());
        assert_eq!(
            tones.poll_event(),
            Some(PortEvent::ToneGeneratorDidFinishPlaying)
        );
        assert_eq!(tones.poll_event(), None);
        assert!(!tones.get_frame(now, &mut frame));
        assert!(matches!(
            tones.play_tones(&[(5000, 0, 10)]),
            Err(ToneError::FrequencyTooHigh { .. })
        ));
    }
}
