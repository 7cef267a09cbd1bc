//! The tokio drivers (feature `runtime`): the clocked mixer with its [`AudioDevice`], the
//! [`RtpTransport`] (UDP sockets, symmetric RTP) and the [`AudioTransport`].

mod device;
mod mixer;
mod transport;

pub use device::{AudioDevice, NullAudioDevice};
pub use mixer::MixerHandle;
pub use transport::{
    AudioTransport, AudioTransportError, RtpTransport, RtpTransportConfig, RtpTransportState,
};
