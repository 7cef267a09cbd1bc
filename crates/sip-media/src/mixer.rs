//! The conference bridge (the seed's `AudioMixer`), sans-IO: numbered slots holding
//! [`AudioPort`]s, directional connections between slots, and a [`tick`](AudioMixer::tick)
//! that the driver calls every 20 ms to move one frame through every connection.
//!
//! * Slot 0 belongs to the sound devices: [`tick`](AudioMixer::tick) takes the captured frame
//!   and fills the frame to play. `input_volume`, `output_volume` and `muted` apply there.
//! * Every other producer/consumer (RTP streams, tone generators, wave files, recorders,
//!   [`PassThroughPort`]s) takes a slot with [`add_port`](AudioMixer::add_port).
//! * Ports at another sample rate are resampled with rubato's FFT resampler (fixed 20 ms
//!   frames in and out); the mixer's own rate must be a multiple of 50 Hz.
//! * A frame's samples from every source connected to a slot are summed with saturation;
//!   each slot's volume scales what it produces.
//! * All buffers are allocated when a port is added; a tick allocates nothing.
//!
//! ```
//! use std::time::Instant;
//! use sip_media::mixer::{AudioMixer, PassThroughPort};
//! use sip_media::tone::ToneGenerator;
//!
//! let mut mixer = AudioMixer::new(16000, 254).unwrap();
//! let tones = mixer.add_port(Box::new(ToneGenerator::new(8000))).unwrap();
//! let sink = mixer.add_port(Box::new(PassThroughPort::new(16000))).unwrap();
//! mixer.connect_slots(tones, sink).unwrap();
//! mixer.port_mut::<ToneGenerator>(tones).unwrap().play_dtmf('1').unwrap();
//! mixer.tick(Instant::now(), None, None);
//! assert_eq!(mixer.connected_slots(), vec![(tones, sink)]);
//! ```

use std::any::Any;
use std::time::Instant;

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};

/// Something that produces and/or consumes audio in a mixer slot.
pub trait AudioPort: Send + 'static {
    /// The port's sample rate (a multiple of 50 Hz).
    fn sample_rate(&self) -> u32;

    /// Fills one 20 ms frame (`sample_rate / 50` samples) of the audio this port produces;
    /// returns `false` when it produces nothing (the frame is then ignored).
    fn get_frame(&mut self, now: Instant, out: &mut [i16]) -> bool {
        let _ = (now, out);
        false
    }

    /// Receives one 20 ms frame of the mix of the slots connected to this one. Not called
    /// when nothing is connected.
    fn put_frame(&mut self, now: Instant, frame: &[i16]) {
        let _ = (now, frame);
    }

    /// Whether the port wants [`put_frame`](Self::put_frame) every tick, with silence when
    /// nothing is connected to it (an RTP stream keeps sending and its timers running).
    fn always_clocked(&self) -> bool {
        false
    }

    /// A pending event of the port, taken once.
    fn poll_event(&mut self) -> Option<PortEvent> {
        None
    }

    /// The port as [`Any`], for [`AudioMixer::port_mut`].
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

/// Events ports report through [`AudioMixer::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PortEvent {
    /// A wave file reached its end (`WaveFileDidFinishPlaying`).
    WaveFileDidFinishPlaying,
    /// A tone generator finished its queue (`ToneGeneratorDidFinishPlaying`).
    ToneGeneratorDidFinishPlaying,
}

/// Errors of the [`AudioMixer`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MixerError {
    /// A sample rate that is zero or not a multiple of 50 Hz.
    #[error("sample rate {0} Hz is not a positive multiple of 50 Hz")]
    InvalidSampleRate(u32),
    /// A slot count below 2 or above [`MAX_SLOTS`].
    #[error("slot count {0} is not in 2..={MAX_SLOTS}")]
    InvalidSlotCount(usize),
    /// All slots are taken.
    #[error("all {0} slots are in use")]
    NoFreeSlot(usize),
    /// A slot number that is out of range or not in use.
    #[error("slot {0} is not in use")]
    InvalidSlot(usize),
    /// The resampler between a port's rate and the mixer's could not be built.
    #[error("cannot resample between {from} Hz and {to} Hz")]
    Resampler {
        /// Input rate.
        from: u32,
        /// Output rate.
        to: u32,
    },
}

/// The largest slot count a mixer accepts.
pub const MAX_SLOTS: usize = 8192;

struct Slot {
    port: Box<dyn AudioPort>,
    port_frame: Vec<i16>,
    /// The port's latest frame at the mixer rate, volume applied.
    produced: Vec<i16>,
    has_audio: bool,
    volume: u32,
    upsample: Option<Converter>,
    downsample: Option<Converter>,
}

struct Converter {
    resampler: Fft<f32>,
    input: Vec<f32>,
    output: Vec<f32>,
}

impl Converter {
    fn new(from: u32, to: u32) -> Result<Self, MixerError> {
        let frame_in = (from / 50) as usize;
        let resampler = Fft::<f32>::new(from as usize, to as usize, frame_in, 1, FixedSync::Both)
            .map_err(|_| MixerError::Resampler { from, to })?;
        let output = vec![0.0; resampler.output_frames_max()];
        Ok(Self {
            resampler,
            input: vec![0.0; frame_in],
            output,
        })
    }

    fn convert(&mut self, input: &[i16], output: &mut [i16]) {
        for (dst, &src) in self.input.iter_mut().zip(input) {
            *dst = f32::from(src);
        }
        let frames_in = self.input.len();
        let frames_out = self.output.len();
        let result = match (
            InterleavedSlice::new(&self.input[..], 1, frames_in),
            InterleavedSlice::new_mut(&mut self.output[..], 1, frames_out),
        ) {
            (Ok(a), Ok(mut b)) => self.resampler.process_into_buffer(&a, &mut b, None),
            _ => {
                output.fill(0);
                return;
            }
        };
        match result {
            Ok((_, written)) => {
                for (dst, &src) in output.iter_mut().zip(&self.output[..written]) {
                    *dst = src.round().clamp(-32768.0, 32767.0) as i16;
                }
                let end = written.min(output.len());
                output[end..].fill(0);
            }
            Err(_) => output.fill(0),
        }
    }
}

/// The conference bridge; see the [module documentation](self).
pub struct AudioMixer {
    sample_rate: u32,
    frame_len: usize,
    slots: Vec<Option<Slot>>,
    /// `sources[dst]`: the slots connected into `dst`.
    sources: Vec<Vec<u16>>,
    connections: usize,
    device_in: Vec<i16>,
    device_has_audio: bool,
    mix: Vec<i32>,
    mixed: Vec<i16>,
    input_volume: u32,
    output_volume: u32,
    muted: bool,
    events: Vec<(usize, PortEvent)>,
}

impl std::fmt::Debug for AudioMixer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioMixer")
            .field("sample_rate", &self.sample_rate)
            .field("slot_count", &self.slots.len())
            .field("used_slot_count", &self.used_slot_count())
            .field("connections", &self.connections)
            .finish()
    }
}

fn scale(sample: i32, volume: u32) -> i32 {
    if volume == 100 {
        sample
    } else {
        sample * volume as i32 / 100
    }
}

impl AudioMixer {
    /// A mixer at `sample_rate` Hz (a multiple of 50) with `slot_count` slots, slot 0
    /// included.
    pub fn new(sample_rate: u32, slot_count: usize) -> Result<Self, MixerError> {
        if sample_rate == 0 || !sample_rate.is_multiple_of(50) {
            return Err(MixerError::InvalidSampleRate(sample_rate));
        }
        if !(2..=MAX_SLOTS).contains(&slot_count) {
            return Err(MixerError::InvalidSlotCount(slot_count));
        }
        let frame_len = (sample_rate / 50) as usize;
        Ok(Self {
            sample_rate,
            frame_len,
            slots: (0..slot_count).map(|_| None).collect(),
            sources: (0..slot_count).map(|_| Vec::new()).collect(),
            connections: 0,
            device_in: vec![0; frame_len],
            device_has_audio: false,
            mix: vec![0; frame_len],
            mixed: vec![0; frame_len],
            input_volume: 100,
            output_volume: 100,
            muted: false,
            events: Vec::new(),
        })
    }

    /// The mixer's sample rate.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Samples in one 20 ms frame at the mixer's rate.
    pub fn frame_len(&self) -> usize {
        self.frame_len
    }

    /// The number of slots, slot 0 included.
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// The slots in use, slot 0 (the sound devices) included.
    pub fn used_slot_count(&self) -> usize {
        1 + self.slots.iter().filter(|s| s.is_some()).count()
    }

    /// The input (capture) volume in percent.
    pub fn input_volume(&self) -> u32 {
        self.input_volume
    }

    /// Sets the input volume in percent.
    pub fn set_input_volume(&mut self, volume: u32) {
        self.input_volume = volume;
    }

    /// The output (playback) volume in percent.
    pub fn output_volume(&self) -> u32 {
        self.output_volume
    }

    /// Sets the output volume in percent.
    pub fn set_output_volume(&mut self, volume: u32) {
        self.output_volume = volume;
    }

    /// Whether the input device is muted.
    pub fn muted(&self) -> bool {
        self.muted
    }

    /// Mutes or unmutes the input device.
    pub fn set_muted(&mut self, muted: bool) {
        self.muted = muted;
    }

    /// Puts a port in the lowest free slot (1 and up) and returns the slot number.
    pub fn add_port(&mut self, port: Box<dyn AudioPort>) -> Result<usize, MixerError> {
        let index = (1..self.slots.len())
            .find(|&i| self.slots[i].is_none())
            .ok_or(MixerError::NoFreeSlot(self.slots.len()))?;
        let rate = port.sample_rate();
        if rate == 0 || !rate.is_multiple_of(50) {
            return Err(MixerError::InvalidSampleRate(rate));
        }
        let (upsample, downsample) = if rate == self.sample_rate {
            (None, None)
        } else {
            (
                Some(Converter::new(rate, self.sample_rate)?),
                Some(Converter::new(self.sample_rate, rate)?),
            )
        };
        self.slots[index] = Some(Slot {
            port_frame: vec![0; (rate / 50) as usize],
            produced: vec![0; self.frame_len],
            has_audio: false,
            volume: 100,
            upsample,
            downsample,
            port,
        });
        Ok(index)
    }

    /// Removes the port of a slot and every connection from or to it.
    pub fn remove_port(&mut self, slot: usize) -> Result<Box<dyn AudioPort>, MixerError> {
        let taken = self
            .slots
            .get_mut(slot)
            .and_then(Option::take)
            .ok_or(MixerError::InvalidSlot(slot))?;
        let removed_in = self.sources[slot].len();
        self.sources[slot].clear();
        let mut removed_out = 0;
        for sources in &mut self.sources {
            let before = sources.len();
            sources.retain(|&s| usize::from(s) != slot);
            removed_out += before - sources.len();
        }
        self.connections -= removed_in + removed_out;
        Ok(taken.port)
    }

    fn check_slot(&self, slot: usize) -> Result<(), MixerError> {
        if slot == 0 || self.slots.get(slot).is_some_and(Option::is_some) {
            Ok(())
        } else {
            Err(MixerError::InvalidSlot(slot))
        }
    }

    /// Makes audio flow from `src` to `dst`. Connecting twice is harmless.
    pub fn connect_slots(&mut self, src: usize, dst: usize) -> Result<(), MixerError> {
        self.check_slot(src)?;
        self.check_slot(dst)?;
        let src16 = src as u16;
        if !self.sources[dst].contains(&src16) {
            self.sources[dst].push(src16);
            self.connections += 1;
        }
        Ok(())
    }

    /// Removes the connection from `src` to `dst`, if any.
    pub fn disconnect_slots(&mut self, src: usize, dst: usize) -> Result<(), MixerError> {
        self.check_slot(src)?;
        self.check_slot(dst)?;
        let before = self.sources[dst].len();
        self.sources[dst].retain(|&s| usize::from(s) != src);
        self.connections -= before - self.sources[dst].len();
        Ok(())
    }

    /// Every connection as (source, destination).
    pub fn connected_slots(&self) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = self
            .sources
            .iter()
            .enumerate()
            .flat_map(|(dst, srcs)| srcs.iter().map(move |&s| (usize::from(s), dst)))
            .collect();
        out.sort_unstable();
        out
    }

    /// The volume of what a slot produces, in percent (100 unless set).
    pub fn slot_volume(&self, slot: usize) -> Option<u32> {
        self.slots.get(slot)?.as_ref().map(|s| s.volume)
    }

    /// Sets the volume of what a slot produces, in percent.
    pub fn set_slot_volume(&mut self, slot: usize, volume: u32) -> Result<(), MixerError> {
        let s = self
            .slots
            .get_mut(slot)
            .and_then(Option::as_mut)
            .ok_or(MixerError::InvalidSlot(slot))?;
        s.volume = volume;
        Ok(())
    }

    /// The port in `slot` as its concrete type.
    pub fn port_mut<T: AudioPort>(&mut self, slot: usize) -> Option<&mut T> {
        self.slots
            .get_mut(slot)?
            .as_mut()?
            .port
            .as_any_mut()
            .downcast_mut::<T>()
    }

    /// A pending port event: (slot, event).
    pub fn poll_event(&mut self) -> Option<(usize, PortEvent)> {
        if self.events.is_empty() {
            None
        } else {
            Some(self.events.remove(0))
        }
    }

    /// Runs one 20 ms cycle: reads a frame from every slot that feeds another, mixes, and
    /// delivers the mix to every slot that has sources. `device_input` is the captured frame
    /// of slot 0 (at the mixer rate); `device_output` receives slot 0's mix.
    pub fn tick(
        &mut self,
        now: Instant,
        device_input: Option<&[i16]>,
        device_output: Option<&mut [i16]>,
    ) {
        // Slot 0's capture.
        self.device_has_audio = false;
        if let Some(input) = device_input.filter(|_| !self.muted) {
            for (dst, &src) in self.device_in.iter_mut().zip(input) {
                *dst = scale(i32::from(src), self.input_volume).clamp(-32768, 32767) as i16;
            }
            self.device_has_audio = true;
        }
        // Read every slot that feeds something, once.
        for slot in self.slots.iter_mut().flatten() {
            slot.has_audio = false;
        }
        for dst in 0..self.sources.len() {
            for i in 0..self.sources[dst].len() {
                let src = usize::from(self.sources[dst][i]);
                if src == 0 {
                    continue;
                }
                let Some(slot) = self.slots[src].as_mut() else {
                    continue;
                };
                if slot.has_audio {
                    continue;
                }
                // has_audio doubles as "already read this tick" once set below.
                let produced = if let Some(up) = slot.upsample.as_mut() {
                    let got = slot.port.get_frame(now, &mut slot.port_frame);
                    if got {
                        up.convert(&slot.port_frame, &mut slot.produced);
                    }
                    got
                } else {
                    slot.port.get_frame(now, &mut slot.produced)
                };
                if produced && slot.volume != 100 {
                    for s in &mut slot.produced {
                        *s = scale(i32::from(*s), slot.volume).clamp(-32768, 32767) as i16;
                    }
                }
                if !produced {
                    slot.produced.fill(0);
                }
                slot.has_audio = true;
            }
        }
        // Mix into every destination.
        let mut device_output = device_output;
        for dst in 0..self.sources.len() {
            if self.sources[dst].is_empty() {
                if let Some(slot) = self.slots[dst].as_mut()
                    && slot.port.always_clocked()
                {
                    slot.port_frame.fill(0);
                    slot.port.put_frame(now, &slot.port_frame);
                }
                continue;
            }
            self.mix.fill(0);
            for &src in &self.sources[dst] {
                let src = usize::from(src);
                let frame: &[i16] = if src == 0 {
                    if !self.device_has_audio {
                        continue;
                    }
                    &self.device_in
                } else {
                    match &self.slots[src] {
                        Some(slot) => &slot.produced,
                        None => continue,
                    }
                };
                for (acc, &s) in self.mix.iter_mut().zip(frame) {
                    *acc += i32::from(s);
                }
            }
            for (out, &acc) in self.mixed.iter_mut().zip(&self.mix) {
                *out = acc.clamp(-32768, 32767) as i16;
            }
            if dst == 0 {
                if let Some(out) = device_output.as_deref_mut() {
                    for (o, &m) in out.iter_mut().zip(&self.mixed) {
                        *o = scale(i32::from(m), self.output_volume).clamp(-32768, 32767) as i16;
                    }
                }
                continue;
            }
            if let Some(slot) = self.slots[dst].as_mut() {
                if let Some(down) = slot.downsample.as_mut() {
                    down.convert(&self.mixed, &mut slot.port_frame);
                    slot.port.put_frame(now, &slot.port_frame);
                } else {
                    slot.port.put_frame(now, &self.mixed);
                }
            }
        }
        if self.sources[0].is_empty()
            && let Some(out) = device_output
        {
            out.fill(0);
        }
        for (index, slot) in self.slots.iter_mut().enumerate() {
            if let Some(slot) = slot {
                while let Some(event) = slot.port.poll_event() {
                    self.events.push((index, event));
                }
            }
        }
    }
}

/// The seed's `MixerPort`: a pass-through slot whose output is its input of the previous
/// tick (one 20 ms frame of delay).
#[derive(Debug)]
pub struct PassThroughPort {
    sample_rate: u32,
    frame: Vec<i16>,
    fresh: bool,
}

impl PassThroughPort {
    /// A pass-through port at `sample_rate` Hz.
    pub fn new(sample_rate: u32) -> Self {
        Self {
            sample_rate,
            frame: vec![0; (sample_rate / 50) as usize],
            fresh: false,
        }
    }

    /// The last frame received.
    pub fn last_frame(&self) -> &[i16] {
        &self.frame
    }
}

impl AudioPort for PassThroughPort {
    fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    fn get_frame(&mut self, _now: Instant, out: &mut [i16]) -> bool {
        if !std::mem::take(&mut self.fresh) {
            return false;
        }
        out.copy_from_slice(&self.frame[..out.len()]);
        true
    }

    fn put_frame(&mut self, _now: Instant, frame: &[i16]) {
        let n = frame.len().min(self.frame.len());
        self.frame[..n].copy_from_slice(&frame[..n]);
        self.fresh = true;
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::{goertzel_power, level_dbfs};
    use crate::tone::ToneGenerator;

    /// A port that records every frame it receives.
    struct Sink {
        rate: u32,
        got: Vec<i16>,
    }

    impl AudioPort for Sink {
        fn sample_rate(&self) -> u32 {
            self.rate
        }
        fn put_frame(&mut self, _now: Instant, frame: &[i16]) {
            self.got.extend_from_slice(frame);
        }
        fn as_any_mut(&mut self) -> &mut dyn Any {
            self
        }
    }

    fn sink(rate: u32) -> Box<Sink> {
        Box::new(Sink {
            rate,
            got: Vec::new(),
        })
    }

    fn tone(mixer: &mut AudioMixer, rate: u32, freq: u32) -> usize {
        let slot = mixer.add_port(Box::new(ToneGenerator::new(rate))).unwrap();
        mixer
            .port_mut::<ToneGenerator>(slot)
            .unwrap()
            .play_tones(&[(freq, 0, 2000)])
            .unwrap();
        slot
    }

    #[test]
    fn slots_connections_and_bookkeeping() {
        assert_eq!(
            AudioMixer::new(44110, 10).unwrap_err(),
            MixerError::InvalidSampleRate(44110)
        );
        assert!(AudioMixer::new(8000, 1).is_err());
        let mut mixer = AudioMixer::new(8000, 4).unwrap();
        assert_eq!((mixer.slot_count(), mixer.used_slot_count()), (4, 1));
        let a = mixer.add_port(sink(8000)).unwrap();
        let b = mixer.add_port(sink(8000)).unwrap();
        let c = mixer.add_port(sink(8000)).unwrap();
        assert_eq!((a, b, c), (1, 2, 3));
        assert_eq!(
            mixer.add_port(sink(8000)).unwrap_err(),
            MixerError::NoFreeSlot(4)
        );
        mixer.connect_slots(a, b).unwrap();
        mixer.connect_slots(a, b).unwrap();
        mixer.connect_slots(b, a).unwrap();
        mixer.connect_slots(0, c).unwrap();
        mixer.connect_slots(c, 0).unwrap();
        assert_eq!(
            mixer.connected_slots(),
            vec![(0, 3), (1, 2), (2, 1), (3, 0)]
        );
        mixer.disconnect_slots(a, b).unwrap();
        assert_eq!(mixer.connected_slots(), vec![(0, 3), (2, 1), (3, 0)]);
        mixer.remove_port(c).unwrap();
        assert_eq!(mixer.connected_slots(), vec![(2, 1)]);
        assert_eq!(mixer.used_slot_count(), 3);
        assert_eq!(mixer.connect_slots(c, a), Err(MixerError::InvalidSlot(3)));
        assert_eq!(mixer.connect_slots(9, a), Err(MixerError::InvalidSlot(9)));
        // The freed slot is reused.
        assert_eq!(mixer.add_port(sink(8000)).unwrap(), 3);
    }

    #[test]
    fn mixing_sums_sources_with_volume_and_resamples() {
        let mut mixer = AudioMixer::new(16000, 16).unwrap();
        let t1 = tone(&mut mixer, 8000, 440);
        let t2 = tone(&mut mixer, 16000, 1000);
        let narrow = mixer.add_port(sink(8000)).unwrap();
        let wide = mixer.add_port(sink(16000)).unwrap();
        for dst in [narrow, wide] {
            mixer.connect_slots(t1, dst).unwrap();
            mixer.connect_slots(t2, dst).unwrap();
        }
        mixer.set_slot_volume(t2, 50).unwrap();
        let t0 = Instant::now();
        for i in 0..50 {
            mixer.tick(t0 + std::time::Duration::from_millis(20 * i), None, None);
        }
        let wide_got = std::mem::take(&mut mixer.port_mut::<Sink>(wide).unwrap().got);
        let narrow_got = std::mem::take(&mut mixer.port_mut::<Sink>(narrow).unwrap().got);
        assert_eq!(wide_got.len(), 16000);
        assert_eq!(narrow_got.len(), 8000);
        // Both tones reach the wideband sink, the 1 kHz one 6 dB lower.
        let tail = &wide_got[4000..];
        let p440 = goertzel_power(tail, 440.0, 16000);
        let p1000 = goertzel_power(tail, 1000.0, 16000);
        let ratio_db = 10.0 * (p440 / p1000).log10();
        assert!((ratio_db - 6.0).abs() < 1.0, "{ratio_db:.2} dB");
        // The narrowband sink gets both, resampled to 8 kHz.
        let tail = &narrow_got[2000..];
        assert!(goertzel_power(tail, 440.0, 8000) > 0.001);
        assert!(goertzel_power(tail, 1000.0, 8000) > 0.0003);
        assert!(goertzel_power(tail, 2000.0, 8000) < 1e-5);
    }

    #[test]
    fn device_slot_volumes_mute_and_pass_through() {
        let mut mixer = AudioMixer::new(8000, 8).unwrap();
        let port = mixer
            .add_port(Box::new(PassThroughPort::new(8000)))
            .unwrap();
        mixer.connect_slots(0, port).unwrap();
        mixer.connect_slots(port, 0).unwrap();
        let input: Vec<i16> = (0..160)
            .map(|n| {
                (10000.0 * (2.0 * std::f64::consts::PI * 500.0 * n as f64 / 8000.0).sin()) as i16
            })
            .collect();
        let mut output = vec![0i16; 160];
        let now = Instant::now();
        mixer.tick(now, Some(&input), Some(&mut output));
        // The pass-through port delays by one frame.
        assert!(output.iter().all(|&s| s == 0));
        mixer.set_output_volume(50);
        mixer.tick(now, Some(&input), Some(&mut output));
        let expected: Vec<i16> = input.iter().map(|&s| (i32::from(s) / 2) as i16).collect();
        assert_eq!(output, expected);
        mixer.set_input_volume(200);
        mixer.tick(now, Some(&input), Some(&mut output));
        mixer.tick(now, Some(&input), Some(&mut output));
        assert!((level_dbfs(&output) - level_dbfs(&input)).abs() < 0.1);
        mixer.set_muted(true);
        mixer.tick(now, Some(&input), Some(&mut output));
        mixer.tick(now, Some(&input), Some(&mut output));
        assert!(output.iter().all(|&s| s == 0));
    }

    #[test]
    fn tone_finish_event_comes_from_its_slot() {
        let mut mixer = AudioMixer::new(8000, 8).unwrap();
        let t = mixer.add_port(Box::new(ToneGenerator::new(8000))).unwrap();
        let s = mixer.add_port(sink(8000)).unwrap();
        mixer.connect_slots(t, s).unwrap();
        mixer
            .port_mut::<ToneGenerator>(t)
            .unwrap()
            .play_tones(&[(400, 0, 40)])
            .unwrap();
        let now = Instant::now();
        mixer.tick(now, None, None);
        assert_eq!(mixer.poll_event(), None);
        mixer.tick(now, None, None);
        assert_eq!(
            mixer.poll_event(),
            Some((t, PortEvent::ToneGeneratorDidFinishPlaying))
        );
        assert!(mixer.port_mut::<Sink>(t).is_none());
    }
}
