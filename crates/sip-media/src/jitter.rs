//! An adaptive jitter buffer for audio RTP payloads (sans-IO).
//!
//! Packets go in with [`JitterBuffer::push`] as they arrive; the audio clock takes one frame
//! every frame interval with [`JitterBuffer::pop`], which returns the payload to decode or asks
//! for concealment ([`Playout::Conceal`], see [`crate::plc::Concealer`]).
//!
//! * The target delay follows the observed delay spread: for every packet, its transit time
//!   (arrival minus media timestamp) is compared with the smallest recent transit; the peak of
//!   that spread decays slowly, and the target is that peak plus one frame, clamped to
//!   `min_delay..=max_delay`.
//! * Playout starts once the target is buffered, and restarts the same way after a run of
//!   underruns (a talk pause, a long outage).
//! * Clock drift and target changes are absorbed by a smoothed buffer level: well above the
//!   target a frame is dropped, below it a concealed frame is inserted.
//! * Memory is bounded: `capacity` slots, each with a payload buffer of `max_payload` bytes
//!   allocated once; nothing is allocated per packet.

use std::time::{Duration, Instant};

/// Configuration of a [`JitterBuffer`].
#[derive(Debug, Clone)]
pub struct JitterBufferConfig {
    /// The RTP clock rate.
    pub clock_rate: u32,
    /// One frame in timestamp units (160 for 20 ms at 8000 Hz).
    pub frame_duration: u32,
    /// The smallest target delay.
    pub min_delay: Duration,
    /// The largest target delay.
    pub max_delay: Duration,
    /// The number of packets held at most.
    pub capacity: usize,
    /// The largest payload accepted, in bytes.
    pub max_payload: usize,
}

impl Default for JitterBufferConfig {
    fn default() -> Self {
        Self {
            clock_rate: 8000,
            frame_duration: 160,
            min_delay: Duration::from_millis(40),
            max_delay: Duration::from_millis(400),
            capacity: 64,
            max_payload: 1500,
        }
    }
}

/// What happened to a pushed packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PushOutcome {
    /// Stored for playout.
    Stored,
    /// Its playout time has passed: dropped.
    Late,
    /// A packet with the same timestamp is already stored: dropped.
    Duplicate,
    /// Larger than `max_payload`, or too far ahead of the playout point for the buffer: dropped.
    Rejected,
}

/// What to play for the next frame.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Playout<'a> {
    /// Decode this payload, which covers `duration` timestamp units from `timestamp`.
    Frame {
        /// The payload.
        payload: &'a [u8],
        /// Its RTP timestamp.
        timestamp: u32,
        /// Its duration in timestamp units.
        duration: u32,
    },
    /// The frame is missing (lost, late, or inserted to grow the delay): conceal one frame.
    Conceal,
    /// Nothing to play yet (buffering, or idle after the stream paused): play silence.
    Silence,
}

/// Counters of a [`JitterBuffer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JitterBufferStatistics {
    /// Packets stored.
    pub stored: u64,
    /// Packets dropped because their playout time had passed.
    pub late: u64,
    /// Duplicate packets dropped.
    pub duplicates: u64,
    /// Packets rejected (too large, too far ahead).
    pub rejected: u64,
    /// Frames played from packets.
    pub played: u64,
    /// Frames concealed because the packet was missing.
    pub concealed: u64,
    /// Frames dropped to shrink the delay (drift, target decrease).
    pub dropped_for_drift: u64,
    /// Frames inserted to grow the delay (drift, target increase).
    pub inserted_for_drift: u64,
    /// Times playout restarted after underruns.
    pub rebuffers: u64,
}

#[derive(Debug, Clone)]
struct Slot {
    timestamp: i64,
    duration: u32,
    used: bool,
    payload: Vec<u8>,
}

/// An adaptive jitter buffer; see the [module documentation](self).
#[derive(Debug)]
pub struct JitterBuffer {
    config: JitterBufferConfig,
    slots: Vec<Slot>,
    epoch: Option<Instant>,
    /// The last timestamp seen, unwrapped to 64 bits.
    last_timestamp: Option<i64>,
    playing: bool,
    playout: i64,
    newest_end: i64,
    underruns: u32,
    min_transit: [i64; 2],
    window_count: u32,
    peak_spread: f64,
    level_avg: f64,
    stats: JitterBufferStatistics,
}

const WINDOW: u32 = 100;
const REBUFFER_AFTER: u32 = 5;

impl JitterBuffer {
    /// A new, empty buffer.
    pub fn new(config: JitterBufferConfig) -> Self {
        let capacity = config.capacity.max(2);
        let slots = (0..capacity)
            .map(|_| Slot {
                timestamp: 0,
                duration: 0,
                used: false,
                payload: Vec::with_capacity(config.max_payload),
            })
            .collect();
        Self {
            slots,
            epoch: None,
            last_timestamp: None,
            playing: false,
            playout: 0,
            newest_end: 0,
            underruns: 0,
            min_transit: [i64::MAX; 2],
            window_count: 0,
            peak_spread: 0.0,
            level_avg: 0.0,
            stats: JitterBufferStatistics::default(),
            config,
        }
    }

    /// The counters so far.
    pub fn statistics(&self) -> JitterBufferStatistics {
        self.stats
    }

    fn units(&self, d: Duration) -> i64 {
        (d.as_nanos() * u128::from(self.config.clock_rate) / 1_000_000_000) as i64
    }

    /// The current target delay.
    pub fn target_delay(&self) -> Duration {
        let units = self.target_units();
        Duration::from_nanos(units as u64 * 1_000_000_000 / u64::from(self.config.clock_rate))
    }

    fn target_units(&self) -> i64 {
        let frame = i64::from(self.config.frame_duration);
        let min = self.units(self.config.min_delay).max(frame);
        let max = self.units(self.config.max_delay).max(min);
        (self.peak_spread as i64 + frame).clamp(min, max)
    }

    /// Audio buffered ahead of the playout point, in timestamp units.
    pub fn buffered(&self) -> u32 {
        if self.playing {
            (self.newest_end - self.playout).max(0) as u32
        } else {
            self.slots
                .iter()
                .filter(|s| s.used)
                .map(|s| s.duration)
                .sum()
        }
    }

    fn unwrap_timestamp(&mut self, timestamp: u32) -> i64 {
        let ts = match self.last_timestamp {
            None => i64::from(timestamp),
            Some(last) => last + i64::from(timestamp.wrapping_sub(last as u32) as i32),
        };
        if self.last_timestamp.is_none_or(|last| ts > last) {
            self.last_timestamp = Some(ts);
        }
        ts
    }

    fn slot_index(&self, ts: i64) -> usize {
        let frame = i64::from(self.config.frame_duration.max(1));
        (ts.div_euclid(frame)).rem_euclid(self.slots.len() as i64) as usize
    }

    /// Stores a received payload with its RTP timestamp and duration (timestamp units).
    pub fn push(
        &mut self,
        now: Instant,
        timestamp: u32,
        duration: u32,
        payload: &[u8],
    ) -> PushOutcome {
        if payload.len() > self.config.max_payload || duration == 0 {
            self.stats.rejected += 1;
            return PushOutcome::Rejected;
        }
        let epoch = *self.epoch.get_or_insert(now);
        let ts = self.unwrap_timestamp(timestamp);
        // Delay spread estimate (transit relative to the smallest recent transit).
        let arrival = self.units(now.saturating_duration_since(epoch));
        let transit = arrival - ts;
        self.min_transit[1] = self.min_transit[1].min(transit);
        self.window_count += 1;
        if self.window_count >= WINDOW {
            self.min_transit = [self.min_transit[1], transit];
            self.window_count = 0;
        }
        let min = self.min_transit[0].min(self.min_transit[1]);
        let spread = (transit - min).max(0) as f64;
        self.peak_spread = if spread > self.peak_spread {
            spread
        } else {
            self.peak_spread * 0.998
        };

        if self.playing && ts < self.playout {
            self.stats.late += 1;
            return PushOutcome::Late;
        }
        let horizon = i64::from(self.config.frame_duration) * self.slots.len() as i64;
        if self.playing && ts - self.playout >= horizon {
            // Far ahead: the sender jumped (restart, long pause). Start over from this packet.
            self.reset_playout();
        }
        let index = self.slot_index(ts);
        let slot = &mut self.slots[index];
        if slot.used {
            if slot.timestamp == ts {
                self.stats.duplicates += 1;
                return PushOutcome::Duplicate;
            }
            if !self.playing || slot.timestamp > ts {
                // Not playing yet, or this packet is older than the occupant: keep the newer.
                if slot.timestamp > ts {
                    self.stats.rejected += 1;
                    return PushOutcome::Rejected;
                }
            }
        }
        slot.used = true;
        slot.timestamp = ts;
        slot.duration = duration;
        slot.payload.clear();
        slot.payload.extend_from_slice(payload);
        self.newest_end = self.newest_end.max(ts + i64::from(duration));
        self.stats.stored += 1;
        PushOutcome::Stored
    }

    fn reset_playout(&mut self) {
        for slot in &mut self.slots {
            slot.used = false;
        }
        self.playing = false;
        self.newest_end = 0;
        self.underruns = 0;
        self.stats.rebuffers += 1;
    }

    /// Takes the next frame for playout. Call it once per frame interval.
    pub fn pop(&mut self, _now: Instant) -> Playout<'_> {
        let frame = i64::from(self.config.frame_duration);
        let target = self.target_units();
        if !self.playing {
            let oldest = self
                .slots
                .iter()
                .filter(|s| s.used)
                .map(|s| s.timestamp)
                .min();
            let Some(oldest) = oldest else {
                return Playout::Silence;
            };
            let newest_end = self
                .slots
                .iter()
                .filter(|s| s.used)
                .map(|s| s.timestamp + i64::from(s.duration))
                .max()
                .unwrap_or(oldest);
            if newest_end - oldest < target {
                return Playout::Silence;
            }
            self.playing = true;
            self.playout = oldest;
            self.newest_end = newest_end;
            self.level_avg = (newest_end - oldest) as f64;
            self.underruns = 0;
        }

        let level = self.newest_end - self.playout;
        if level <= 0 {
            self.underruns += 1;
            self.stats.concealed += 1;
            if self.underruns >= REBUFFER_AFTER {
                self.reset_playout();
            }
            return Playout::Conceal;
        }
        self.underruns = 0;
        self.level_avg += (level as f64 - self.level_avg) / 16.0;

        let index = self.slot_index(self.playout);
        let present = self.slots[index].used && self.slots[index].timestamp == self.playout;
        if self.level_avg > (target + 2 * frame) as f64 && present && level > target {
            // Too much delay: drop this frame.
            let slot = &mut self.slots[index];
            slot.used = false;
            self.playout += i64::from(slot.duration);
            self.level_avg -= frame as f64;
            self.stats.dropped_for_drift += 1;
            return self.pop_after_drop();
        }
        if self.level_avg < (target - frame / 2) as f64 && level < target {
            // Too little delay: stretch by one concealed frame, keeping the playout point.
            self.level_avg += frame as f64;
            self.stats.inserted_for_drift += 1;
            return Playout::Conceal;
        }
        self.take(index, present)
    }

    fn pop_after_drop(&mut self) -> Playout<'_> {
        let index = self.slot_index(self.playout);
        let present = self.slots[index].used && self.slots[index].timestamp == self.playout;
        if self.newest_end - self.playout <= 0 {
            self.stats.concealed += 1;
            return Playout::Conceal;
        }
        self.take(index, present)
    }

    fn take(&mut self, index: usize, present: bool) -> Playout<'_> {
        if present {
            let slot = &mut self.slots[index];
            slot.used = false;
            self.playout += i64::from(slot.duration);
            self.stats.played += 1;
            Playout::Frame {
                payload: &slot.payload,
                timestamp: slot.timestamp as u32,
                duration: slot.duration,
            }
        } else {
            self.playout += i64::from(self.config.frame_duration);
            self.stats.concealed += 1;
            Playout::Conceal
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A simulated network: packets sent every 20 ms with a per-packet delay; the buffer is
    /// read every 20 ms (optionally by a clock running at a different rate). Returns the
    /// sequence of played frames (frame index, or -1 for concealment, -2 for silence).
    fn simulate(
        packets: usize,
        delay_ms: impl Fn(usize) -> Option<u64>,
        reader_period_us: u64,
        buffer: &mut JitterBuffer,
    ) -> Vec<i64> {
        let t0 = Instant::now();
        let mut arrivals: Vec<(Duration, usize)> = (0..packets)
            .filter_map(|i| delay_ms(i).map(|d| (Duration::from_millis(i as u64 * 20 + d), i)))
            .collect();
        arrivals.sort();
        let mut next_arrival = 0;
        let mut played = Vec::new();
        let end = Duration::from_millis(packets as u64 * 20 + 1000);
        let mut t = Duration::ZERO;
        while t < end {
            while next_arrival < arrivals.len() && arrivals[next_arrival].0 <= t {
                let i = arrivals[next_arrival].1;
                let payload = (i as u32).to_be_bytes();
                buffer.push(
                    t0 + arrivals[next_arrival].0,
                    1000 + i as u32 * 160,
                    160,
                    &payload,
                );
                next_arrival += 1;
            }
            played.push(match buffer.pop(t0 + t) {
                Playout::Frame { payload, .. } => {
                    i64::from(u32::from_be_bytes(payload.try_into().unwrap()))
                }
                Playout::Conceal => -1,
                Playout::Silence => -2,
            });
            t += Duration::from_micros(reader_period_us);
        }
        played
    }

    fn frames(played: &[i64]) -> Vec<i64> {
        played.iter().copied().filter(|&f| f >= 0).collect()
    }

    #[test]
    fn steady_stream_plays_in_order_without_concealment() {
        let mut jb = JitterBuffer::new(JitterBufferConfig::default());
        let played = simulate(200, |_| Some(30), 20_000, &mut jb);
        assert_eq!(frames(&played), (0..200).collect::<Vec<_>>());
        let start = played.iter().position(|&f| f >= 0).unwrap();
        assert!(
            played[start..start + 200].iter().all(|&f| f >= 0),
            "{played:?} {:?}",
            jb.statistics()
        );
        assert_eq!(jb.statistics().late, 0);
        // Starts once the minimum target (40 ms, two frames) is buffered: packet 1 arrives at
        // 50 ms, so the read at 60 ms plays packet 0.
        assert_eq!(start, 3);
        // After the stream ends: a few concealed frames, then silence (rebuffering).
        assert_eq!(played[start + 200..start + 205], [-1; 5]);
        assert!(played[start + 205..].iter().all(|&f| f == -2));
    }

    #[test]
    fn loss_is_concealed_in_place() {
        let mut jb = JitterBuffer::new(JitterBufferConfig::default());
        let played = simulate(100, |i| (i != 40 && i != 70).then_some(10), 20_000, &mut jb);
        let start = played.iter().position(|&f| f >= 0).unwrap();
        let run: Vec<i64> = played[start..start + 100].to_vec();
        let mut expected: Vec<i64> = (0..100).collect();
        for lost in [40, 70] {
            expected[lost] = -1;
        }
        assert_eq!(run, expected);
    }

    #[test]
    fn reordering_within_the_delay_is_repaired() {
        let mut jb = JitterBuffer::new(JitterBufferConfig::default());
        // Every 10th packet is 35 ms late, so it overtakes nothing but arrives after its
        // successor; the spread estimate raises the target so nothing is lost.
        let played = simulate(
            300,
            |i| Some(if i % 10 == 5 { 45 } else { 10 }),
            20_000,
            &mut jb,
        );
        let got = frames(&played);
        // The first late packet (5) teaches the buffer; after that nothing is lost.
        assert!((15..300).all(|i| got.contains(&i)), "{:?}", jb.statistics());
        assert!(jb.statistics().late <= 1);
        assert!(got.windows(2).all(|w| w[0] < w[1]));
        assert!(jb.target_delay() >= Duration::from_millis(50));
    }

    #[test]
    fn jitter_burst_raises_the_target_then_late_packets_stop() {
        let mut jb = JitterBuffer::new(JitterBufferConfig::default());
        // A burst: packets 100..110 held back and delivered together 150 ms late.
        let played = simulate(
            400,
            |i| {
                Some(if (100..110).contains(&i) {
                    150 + (110 - i as u64) * 20 - 20
                } else {
                    10
                })
            },
            20_000,
            &mut jb,
        );
        let stats = jb.statistics();
        assert!(stats.late > 0 || stats.inserted_for_drift > 0, "{stats:?}");
        assert!(
            jb.target_delay() > Duration::from_millis(60),
            "{:?}",
            jb.target_delay()
        );
        // Order is always preserved; after the burst, frames are only missing where the
        // buffer chose to drop them to bring its delay back down.
        let got = frames(&played);
        assert!(got.windows(2).all(|w| w[0] < w[1]));
        let missing = (120..400).filter(|i| !got.contains(i)).count() as u64;
        assert!(missing <= stats.dropped_for_drift, "{missing} {stats:?}");
        assert!(stats.late <= 10, "{stats:?}");
    }

    #[test]
    fn fast_sender_drift_drops_frames_and_bounds_delay() {
        let mut jb = JitterBuffer::new(JitterBufferConfig::default());
        // The reader's clock is 1% slow: 20.2 ms per frame. Over 3000 frames (60 s) 30 frames
        // of excess build up; the buffer must drop about that many and keep its delay bounded.
        let played = simulate(3000, |_| Some(10), 20_200, &mut jb);
        let stats = jb.statistics();
        assert!((20..=45).contains(&stats.dropped_for_drift), "{stats:?}");
        assert!(jb.buffered() <= 160 * 6, "buffered {}", jb.buffered());
        let got = frames(&played);
        assert!(got.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn slow_sender_drift_inserts_frames() {
        let mut jb = JitterBuffer::new(JitterBufferConfig::default());
        // The reader's clock is 1% fast: 19.8 ms per frame.
        let played = simulate(3000, |_| Some(10), 19_800, &mut jb);
        let stats = jb.statistics();
        assert!(
            stats.inserted_for_drift + stats.concealed >= 20,
            "{stats:?}"
        );
        let got = frames(&played);
        assert_eq!(got, (0..3000).collect::<Vec<_>>());
    }

    #[test]
    fn duplicates_oversize_and_sender_restart() {
        let t0 = Instant::now();
        let mut jb = JitterBuffer::new(JitterBufferConfig::default());
        assert_eq!(jb.push(t0, 0, 160, &[1]), PushOutcome::Stored);
        assert_eq!(jb.push(t0, 0, 160, &[1]), PushOutcome::Duplicate);
        assert_eq!(jb.push(t0, 160, 160, &[0; 2000]), PushOutcome::Rejected);
        assert_eq!(jb.push(t0, 160, 160, &[2]), PushOutcome::Stored);
        assert!(matches!(jb.pop(t0), Playout::Frame { timestamp: 0, .. }));
        assert_eq!(jb.push(t0, 0, 160, &[1]), PushOutcome::Late);
        // A jump of an hour in timestamps: playout restarts from the new packets.
        assert_eq!(jb.push(t0, 8000 * 3600, 160, &[3]), PushOutcome::Stored);
        assert_eq!(
            jb.push(t0, 8000 * 3600 + 160, 160, &[4]),
            PushOutcome::Stored
        );
        assert_eq!(jb.statistics().rebuffers, 1);
        assert!(matches!(jb.pop(t0), Playout::Frame { payload: [3], .. }));
        // Timestamps wrapping through 2^32 keep their order.
        let mut jb = JitterBuffer::new(JitterBufferConfig::default());
        jb.push(t0, u32::MAX - 159, 160, &[1]);
        jb.push(t0, 0, 160, &[2]);
        assert!(matches!(jb.pop(t0), Playout::Frame { payload: [1], .. }));
        assert!(matches!(jb.pop(t0), Playout::Frame { payload: [2], .. }));
    }
}
