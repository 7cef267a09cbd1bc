//! The tokio drivers (feature `runtime`): the clocked mixer with its [`AudioDevice`], the
//! [`RtpTransport`] (UDP sockets, symmetric RTP) and the [`AudioTransport`].

#[cfg(feature = "cpal")]
mod cpal_device;
mod device;
mod mixer;
mod transport;

#[cfg(feature = "cpal")]
pub use cpal_device::{
    CpalAudioDevice, DeviceError, SYSTEM_DEFAULT, input_devices, open_sound_devices, output_devices,
};
pub use device::{AudioDevice, NullAudioDevice};
pub use mixer::MixerHandle;
pub use transport::{
    AudioTransport, AudioTransportError, RtpTransport, RtpTransportConfig, RtpTransportState,
};
