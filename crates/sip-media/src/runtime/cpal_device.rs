//! Real sound devices through cpal (ALSA on Linux), behind [`AudioDevice`].
//!
//! cpal's streams run on their own callback threads and are not `Send` on every platform, so
//! a small owner thread holds them; audio crosses to the mixer's clock through two bounded
//! sample queues (at most 200 ms each: a stalled side loses the oldest audio, it never grows
//! memory). Streams are opened mono, 16-bit, at the mixer's rate; ALSA's `default` and
//! `plug` devices convert as needed.

use std::collections::VecDeque;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};

use super::device::AudioDevice;

/// The name that selects the operating system's default device.
pub const SYSTEM_DEFAULT: &str = "system_default";

/// Errors opening a sound device.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    /// No device of this name.
    #[error("no {direction} sound device named {name:?}")]
    NotFound {
        /// "input" or "output".
        direction: &'static str,
        /// The name asked for.
        name: String,
    },
    /// The device refused a mono 16-bit stream at the mixer's rate.
    #[error("sound device {name:?} cannot open a stream: {reason}")]
    Stream {
        /// The device.
        name: String,
        /// cpal's explanation.
        reason: String,
    },
}

fn names(input: bool) -> Vec<String> {
    let host = cpal::default_host();
    let devices = if input {
        host.input_devices().map(|d| d.collect::<Vec<_>>())
    } else {
        host.output_devices().map(|d| d.collect::<Vec<_>>())
    };
    devices
        .unwrap_or_default()
        .iter()
        .filter_map(|d| d.description().ok().map(|desc| desc.name().to_owned()))
        .collect()
}

/// The names of the capture devices (the Engine's `input_devices`).
pub fn input_devices() -> Vec<String> {
    names(true)
}

/// The names of the playback devices (the Engine's `output_devices`).
pub fn output_devices() -> Vec<String> {
    names(false)
}

fn find(input: bool, name: &str) -> Result<cpal::Device, DeviceError> {
    let host = cpal::default_host();
    let not_found = || DeviceError::NotFound {
        direction: if input { "input" } else { "output" },
        name: name.to_owned(),
    };
    if name == SYSTEM_DEFAULT {
        let device = if input {
            host.default_input_device()
        } else {
            host.default_output_device()
        };
        return device.ok_or_else(not_found);
    }
    let devices = if input {
        host.input_devices().map(|d| d.collect::<Vec<_>>())
    } else {
        host.output_devices().map(|d| d.collect::<Vec<_>>())
    };
    devices
        .unwrap_or_default()
        .into_iter()
        .find(|d| d.description().is_ok_and(|desc| desc.name() == name))
        .ok_or_else(not_found)
}

/// The mixer's devices as the seed selects them: a device name, [`SYSTEM_DEFAULT`], or `None`
/// for no device. When nothing can be opened (no sound card, unknown name, refused stream)
/// the clocked [`NullAudioDevice`](super::NullAudioDevice) is used and the error returned
/// alongside, so the caller can report it.
pub fn open_sound_devices(
    input: Option<&str>,
    output: Option<&str>,
    sample_rate: u32,
) -> (Box<dyn AudioDevice>, Option<DeviceError>) {
    if input.is_none() && output.is_none() {
        return (Box::new(super::NullAudioDevice), None);
    }
    match CpalAudioDevice::open(input, output, sample_rate) {
        Ok(device) => (Box::new(device), None),
        Err(e) => (Box::new(super::NullAudioDevice), Some(e)),
    }
}

type Queue = Arc<Mutex<VecDeque<i16>>>;

fn push_bounded(queue: &Queue, samples: &[i16], limit: usize) {
    let mut q = queue.lock().unwrap_or_else(|e| e.into_inner());
    q.extend(samples.iter().copied());
    let excess = q.len().saturating_sub(limit);
    q.drain(..excess);
}

/// A capture and/or playback device opened through cpal.
pub struct CpalAudioDevice {
    name: String,
    captured: Queue,
    playback: Queue,
    limit: usize,
    has_input: bool,
    stop: Option<mpsc::Sender<()>>,
}

impl std::fmt::Debug for CpalAudioDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CpalAudioDevice")
            .field("name", &self.name)
            .finish()
    }
}

impl CpalAudioDevice {
    /// Opens `input` and/or `output` (a name from [`input_devices`]/[`output_devices`], or
    /// [`SYSTEM_DEFAULT`]) at `sample_rate`, mono.
    pub fn open(
        input: Option<&str>,
        output: Option<&str>,
        sample_rate: u32,
    ) -> Result<Self, DeviceError> {
        let input_device = input.map(|n| find(true, n)).transpose()?;
        let output_device = output.map(|n| find(false, n)).transpose()?;
        let name = output.or(input).unwrap_or("none").to_owned();
        let limit = (sample_rate / 5) as usize;
        let captured: Queue = Arc::new(Mutex::new(VecDeque::with_capacity(limit)));
        let playback: Queue = Arc::new(Mutex::new(VecDeque::with_capacity(limit)));
        let config = cpal::StreamConfig {
            channels: 1,
            sample_rate,
            buffer_size: cpal::BufferSize::Default,
        };
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let has_input = input_device.is_some();
        let (cap, play) = (captured.clone(), playback.clone());
        std::thread::Builder::new()
            .name("sip-media-cpal".into())
            .spawn(move || {
                let mut streams = Vec::new();
                let result = (|| -> Result<(), String> {
                    if let Some(device) = input_device {
                        let stream = device
                            .build_input_stream::<i16, _, _>(
                                config,
                                move |data, _| push_bounded(&cap, data, limit),
                                |_| {},
                                None,
                            )
                            .map_err(|e| e.to_string())?;
                        stream.play().map_err(|e| e.to_string())?;
                        streams.push(stream);
                    }
                    if let Some(device) = output_device {
                        let stream = device
                            .build_output_stream::<i16, _, _>(
                                config,
                                move |data, _| {
                                    let mut q = play.lock().unwrap_or_else(|e| e.into_inner());
                                    for s in data.iter_mut() {
                                        *s = q.pop_front().unwrap_or(0);
                                    }
                                },
                                |_| {},
                                None,
                            )
                            .map_err(|e| e.to_string())?;
                        stream.play().map_err(|e| e.to_string())?;
                        streams.push(stream);
                    }
                    Ok(())
                })();
                let ok = result.is_ok();
                let _ = ready_tx.send(result);
                if ok {
                    // Hold the streams until the device is dropped.
                    let _ = stop_rx.recv();
                }
                drop(streams);
            })
            .map_err(|e| DeviceError::Stream {
                name: name.clone(),
                reason: e.to_string(),
            })?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Self {
                name,
                captured,
                playback,
                limit,
                has_input,
                stop: Some(stop_tx),
            }),
            Ok(Err(reason)) => Err(DeviceError::Stream { name, reason }),
            Err(_) => Err(DeviceError::Stream {
                name,
                reason: "the stream thread ended".into(),
            }),
        }
    }
}

impl Drop for CpalAudioDevice {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl AudioDevice for CpalAudioDevice {
    fn name(&self) -> Option<&str> {
        Some(&self.name)
    }

    fn read_frame(&mut self, out: &mut [i16]) -> bool {
        if !self.has_input {
            return false;
        }
        let mut q = self.captured.lock().unwrap_or_else(|e| e.into_inner());
        if q.len() < out.len() {
            return false;
        }
        let n = out.len();
        for (o, s) in out.iter_mut().zip(q.drain(..n)) {
            *o = s;
        }
        true
    }

    fn write_frame(&mut self, frame: &[i16]) {
        push_bounded(&self.playback, frame, self.limit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enumeration_and_selection_errors() {
        // Whatever the machine has (often nothing in CI), enumeration must not fail, and
        // every listed name must be selectable by name.
        let inputs = input_devices();
        let outputs = output_devices();
        for name in inputs.iter().take(3) {
            assert!(find(true, name).is_ok(), "{name}");
        }
        for name in outputs.iter().take(3) {
            assert!(find(false, name).is_ok(), "{name}");
        }
        assert_eq!(
            CpalAudioDevice::open(Some("no such device 42"), None, 16000).unwrap_err(),
            DeviceError::NotFound {
                direction: "input",
                name: "no such device 42".into()
            }
        );
        assert!(matches!(
            CpalAudioDevice::open(None, Some("no such device 42"), 16000),
            Err(DeviceError::NotFound {
                direction: "output",
                ..
            })
        ));
    }

    #[test]
    fn unknown_devices_fall_back_to_the_null_device() {
        let (device, error) = open_sound_devices(Some("no such device 42"), None, 8000);
        assert_eq!(device.name(), None);
        assert!(matches!(error, Some(DeviceError::NotFound { .. })));
        let (device, error) = open_sound_devices(None, None, 8000);
        assert_eq!((device.name(), error), (None, None));
    }

    #[test]
    fn queues_are_bounded() {
        let q: Queue = Arc::new(Mutex::new(VecDeque::new()));
        push_bounded(&q, &[1; 100], 50);
        push_bounded(&q, &[2; 30], 50);
        let q = q.lock().unwrap();
        assert_eq!(q.len(), 50);
        assert_eq!(q.iter().filter(|&&s| s == 2).count(), 30);
    }
}
