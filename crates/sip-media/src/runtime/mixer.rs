//! The clocked mixer: an [`AudioMixer`] behind a mutex, ticked every 20 ms by a tokio task
//! that also moves slot 0's audio to and from the [`AudioDevice`] and posts port events.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use sip_core::notification::{NotificationCenter, NotificationData, Sender};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use super::device::AudioDevice;
use crate::mixer::{AudioMixer, AudioPort, MixerError, PortEvent};
use crate::notification::{ToneGeneratorDidFinishPlaying, WaveFileDidFinishPlaying};

struct Shared {
    core: Mutex<AudioMixer>,
    center: Option<NotificationCenter>,
    senders: Mutex<HashMap<usize, Sender>>,
    device_name: Mutex<Option<String>>,
    /// A device waiting to replace the current one at the next tick.
    next_device: Mutex<Option<Box<dyn AudioDevice>>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

/// A running mixer (the seed's `AudioMixer` with its devices); cheap to clone.
#[derive(Clone)]
pub struct MixerHandle {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for MixerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MixerHandle")
            .field("device", &*lock(&self.shared.device_name))
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind; keep going with it.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl MixerHandle {
    /// Starts ticking `mixer` every 20 ms on the current tokio runtime, with `device` in
    /// slot 0. Port events are posted to `center` with the sender registered for the slot.
    pub fn start(
        mixer: AudioMixer,
        device: Box<dyn AudioDevice>,
        center: Option<NotificationCenter>,
    ) -> Self {
        let frame_len = mixer.frame_len();
        let shared = Arc::new(Shared {
            core: Mutex::new(mixer),
            center,
            senders: Mutex::new(HashMap::new()),
            device_name: Mutex::new(device.name().map(str::to_owned)),
            next_device: Mutex::new(None),
            task: Mutex::new(None),
        });
        let weak = Arc::downgrade(&shared);
        let task = tokio::spawn(async move {
            let mut device = device;
            let mut input = vec![0i16; frame_len];
            let mut output = vec![0i16; frame_len];
            let mut events = Vec::new();
            let mut clock = tokio::time::interval(Duration::from_millis(20));
            clock.set_missed_tick_behavior(MissedTickBehavior::Burst);
            loop {
                let tick = clock.tick().await;
                let Some(shared) = weak.upgrade() else { break };
                if let Some(next) = lock(&shared.next_device).take() {
                    device = next;
                }
                let captured = device.read_frame(&mut input);
                {
                    let mut core = lock(&shared.core);
                    core.tick(
                        tick.into_std(),
                        captured.then_some(&input[..]),
                        Some(&mut output),
                    );
                    while let Some(event) = core.poll_event() {
                        events.push(event);
                    }
                }
                device.write_frame(&output);
                if let Some(center) = &shared.center {
                    let senders = lock(&shared.senders);
                    for (slot, event) in events.drain(..) {
                        let data = match event {
                            PortEvent::WaveFileDidFinishPlaying => {
                                NotificationData::custom(WaveFileDidFinishPlaying {})
                            }
                            PortEvent::ToneGeneratorDidFinishPlaying => {
                                NotificationData::custom(ToneGeneratorDidFinishPlaying {})
                            }
                        };
                        center.post_notification(senders.get(&slot), data);
                    }
                }
                events.clear();
            }
        });
        *lock(&shared.task) = Some(task);
        Self { shared }
    }

    /// The mixer core, for connections, volumes and port access. Hold it briefly: the clock
    /// task needs it every 20 ms.
    pub fn lock(&self) -> MutexGuard<'_, AudioMixer> {
        lock(&self.shared.core)
    }

    /// The sound device's name (`None` for the null device).
    pub fn device_name(&self) -> Option<String> {
        lock(&self.shared.device_name).clone()
    }

    /// Switches the sound devices (slot 0) from the next tick on; the old device is dropped
    /// (closed) by the clock task.
    pub fn set_sound_devices(&self, device: Box<dyn AudioDevice>) {
        *lock(&self.shared.device_name) = device.name().map(str::to_owned);
        *lock(&self.shared.next_device) = Some(device);
    }

    /// The notification center events are posted to.
    pub fn notification_center(&self) -> Option<&NotificationCenter> {
        self.shared.center.as_ref()
    }

    /// Adds a port; its events are posted with `sender`.
    pub fn add_port(
        &self,
        port: Box<dyn AudioPort>,
        sender: Option<Sender>,
    ) -> Result<usize, MixerError> {
        let slot = self.lock().add_port(port)?;
        if let Some(sender) = sender {
            lock(&self.shared.senders).insert(slot, sender);
        }
        Ok(slot)
    }

    /// Removes a port and its connections.
    pub fn remove_port(&self, slot: usize) -> Result<Box<dyn AudioPort>, MixerError> {
        lock(&self.shared.senders).remove(&slot);
        self.lock().remove_port(slot)
    }

    /// Stops the clock.
    pub fn stop(&self) {
        if let Some(task) = lock(&self.shared.task).take() {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::NullAudioDevice;
    use crate::tone::ToneGenerator;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A device that captures a constant and counts the frames it plays.
    struct Counting {
        played: Arc<AtomicUsize>,
        loud: Arc<AtomicUsize>,
    }

    impl AudioDevice for Counting {
        fn name(&self) -> Option<&str> {
            Some("counting")
        }
        fn read_frame(&mut self, out: &mut [i16]) -> bool {
            out.fill(1000);
            true
        }
        fn write_frame(&mut self, frame: &[i16]) {
            self.played.fetch_add(1, Ordering::Relaxed);
            if frame.iter().any(|&s| s != 0) {
                self.loud.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn clock_ticks_devices_switch_and_port_events_are_posted() {
        let center = NotificationCenter::new();
        let mut observer = center.add_observer(Some("ToneGeneratorDidFinishPlaying"), None);
        let handle = MixerHandle::start(
            AudioMixer::new(8000, 8).unwrap(),
            Box::new(NullAudioDevice),
            Some(center.clone()),
        );
        assert_eq!(handle.device_name(), None);
        let sender = center.new_sender("ToneGenerator");
        let tones = handle
            .add_port(Box::new(ToneGenerator::new(8000)), Some(sender.clone()))
            .unwrap();
        {
            let mut mixer = handle.lock();
            mixer.connect_slots(tones, 0).unwrap();
            mixer.connect_slots(0, 0).unwrap();
            mixer
                .port_mut::<ToneGenerator>(tones)
                .unwrap()
                .play_tones(&[(440, 0, 100)])
                .unwrap();
        }
        let played = Arc::new(AtomicUsize::new(0));
        let loud = Arc::new(AtomicUsize::new(0));
        handle.set_sound_devices(Box::new(Counting {
            played: played.clone(),
            loud: loud.clone(),
        }));
        assert_eq!(handle.device_name().as_deref(), Some("counting"));
        // One second of virtual time: 50 ticks of 20 ms.
        tokio::time::sleep(Duration::from_millis(1010)).await;
        let n = played.load(Ordering::Relaxed);
        assert!((49..=52).contains(&n), "{n} frames");
        // The capture (slot 0 to itself) makes every frame non-silent.
        assert_eq!(loud.load(Ordering::Relaxed), n);
        let note = observer.try_recv().expect("ToneGeneratorDidFinishPlaying");
        assert_eq!(note.sender().map(|s| s.id()), Some(sender.id()));
        handle.stop();
    }
}
