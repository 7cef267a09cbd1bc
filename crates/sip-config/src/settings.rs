//! `SIPSimpleSettings`: the application-wide settings (one object, key `SIPSimpleSettings`).
//!
//! Names follow python-sipsimple's `sipsimple.configuration.settings` where the seeds are silent;
//! the seeds themselves name `audio.alert_device`, `audio.input_device`, `audio.output_device`
//! (CFG-SET-01–03) and a recordings directory (CFG-SET-04).

use std::path::PathBuf;
use std::time::Duration;

use crate::datatypes::{AudioCodec, PortRange, SampleRate, SipTransport};
use crate::error::{SettingsError, ValueError};
use crate::object::{ObjectKind, SettingsObjectType};
use crate::setting::settings_group;

/// The device name meaning "the system's default device".
pub const SYSTEM_DEFAULT_DEVICE: &str = "system_default";

fn system_default() -> Option<String> {
    Some(SYSTEM_DEFAULT_DEVICE.to_owned())
}

settings_group! {
    /// `audio.echo_canceller`.
    pub struct EchoCancellerSettings {
        /// Echo cancellation on.
        enabled: bool = true,
        /// Tail length in milliseconds.
        tail_length: u32 = 2,
    }
}

settings_group! {
    /// `audio`: sound devices and recording.
    pub struct AudioSettings {
        /// Device for the alert bridge (ringing); `None` for no device.
        alert_device: Option<String> = system_default(),
        /// Voice input device; `None` for no device.
        input_device: Option<String> = system_default(),
        /// Voice output device; `None` for no device.
        output_device: Option<String> = system_default(),
        /// Sample rate of the audio bridges.
        sample_rate: SampleRate = SampleRate::new(44100).expect("allowed rate"),
        /// Do not play alerts.
        silent: bool = false,
        /// Echo cancellation.
        echo_canceller: EchoCancellerSettings = EchoCancellerSettings::default(),
        /// Where AudioStream recordings go when no file name is given (CFG-SET-04).
        recordings_directory: Option<PathBuf> = None,
    }
}

settings_group! {
    /// `logs`: traces.
    pub struct LogsSettings {
        /// Trace SIP messages (the Engine's `trace_sip`).
        trace_sip: bool = false,
        /// Trace MSRP messages.
        trace_msrp: bool = false,
        /// Trace notifications.
        trace_notifications: bool = false,
        /// Directory for log files; `None` for the application's default.
        directory: Option<PathBuf> = None,
    }
}

settings_group! {
    /// `rtp`: media transport.
    pub struct RtpSettings {
        /// Local RTP ports.
        port_range: PortRange = PortRange::new(50000, 50500).expect("valid range"),
        /// Seconds without RTP before AudioStreamDidTimeout; 0 disables the check.
        timeout: Duration = Duration::from_secs(30),
        /// Audio codecs in order of preference.
        audio_codec_list: Vec<AudioCodec> = vec![
            AudioCodec::Opus,
            AudioCodec::G722,
            AudioCodec::Speex,
            AudioCodec::Pcmu,
            AudioCodec::Pcma,
        ],
    }
}

settings_group! {
    /// `sip`: SIP transports.
    pub struct SipSettings {
        /// INVITE timeout.
        invite_timeout: Duration = Duration::from_secs(90),
        /// UDP port; 0 lets the system choose.
        udp_port: u16 = 0,
        /// TCP port; 0 lets the system choose.
        tcp_port: u16 = 0,
        /// TLS port; 0 lets the system choose. Must differ from `tcp_port` unless both are 0.
        tls_port: u16 = 0,
        /// Transports to enable, in order of preference.
        transport_list: Vec<SipTransport> = vec![SipTransport::Tls, SipTransport::Tcp, SipTransport::Udp],
    }
}

settings_group! {
    /// `tls`: TLS for SIP and MSRP.
    pub struct TlsSettings {
        /// CA certificates (PEM); `None` for the system's roots.
        ca_list: Option<PathBuf> = None,
        /// Our certificate and key (PEM).
        certificate: Option<PathBuf> = None,
        /// Verify servers' certificates. On by default (DESIGN.md §6), unlike python-sipsimple.
        verify_server: bool = true,
        /// TLS handshake timeout.
        timeout: Duration = Duration::from_secs(3),
    }
}

settings_group! {
    /// `sounds`: ringtones.
    pub struct SoundsSettings {
        /// Ringtone for incoming sessions; `None` for the built-in tone.
        inbound_ringtone: Option<PathBuf> = None,
        /// Ringback for outgoing sessions; `None` for the built-in tone.
        outbound_ringtone: Option<PathBuf> = None,
    }
}

settings_group! {
    /// `SIPSimpleSettings`: the application-wide settings.
    pub struct SipSimpleSettings {
        /// The id of the default account (`bonjour@local` for the BonjourAccount).
        default_account: Option<String> = Some("bonjour@local".to_owned()),
        /// User-Agent header value.
        user_agent: String = concat!("sipsimple-rs ", env!("CARGO_PKG_VERSION")).to_owned(),
        /// The `+sip.instance` id; empty until the application assigns one.
        instance_id: String = String::new(),
        /// Sound devices.
        audio: AudioSettings = AudioSettings::default(),
        /// Traces.
        logs: LogsSettings = LogsSettings::default(),
        /// RTP.
        rtp: RtpSettings = RtpSettings::default(),
        /// SIP transports.
        sip: SipSettings = SipSettings::default(),
        /// TLS.
        tls: TlsSettings = TlsSettings::default(),
        /// Ringtones.
        sounds: SoundsSettings = SoundsSettings::default(),
    }
}

impl SettingsObjectType for SipSimpleSettings {
    const TYPE_NAME: &'static str = "SIPSimpleSettings";
    const KIND: ObjectKind = ObjectKind::Singleton(&["SIPSimpleSettings"]);

    fn validate(&self) -> Result<(), SettingsError> {
        if self.sip.tcp_port == self.sip.tls_port && self.sip.tcp_port != 0 {
            return Err(SettingsError {
                key: "sip.tls_port".into(),
                reason: ValueError::Invalid {
                    what: "port",
                    value: self.sip.tls_port.to_string(),
                    reason: "the TCP and TLS ports must differ",
                },
            });
        }
        Ok(())
    }
}
