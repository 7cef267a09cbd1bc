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
    device_name: Option<String>,
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
            .field("device", &self.shared.device_name)
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
            device_name: device.name().map(str::to_owned),
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
    pub fn device_name(&self) -> Option<&str> {
        self.shared.device_name.as_deref()
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
