//! The seed's media notifications, as [`NotificationPayload`]s for sip-core's
//! `NotificationCenter` (carried by `NotificationData::Custom`).

use std::any::Any;

use sip_core::notification::NotificationPayload;

macro_rules! payload {
    ($(#[$doc:meta])* $name:ident $seed:literal { $($(#[$fdoc:meta])* $field:ident : $ty:ty),* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            $($(#[$fdoc])* pub $field: $ty,)*
        }

        impl NotificationPayload for $name {
            fn name(&self) -> &'static str {
                $seed
            }
            fn as_any(&self) -> &dyn Any {
                self
            }
        }
    };
}

payload!(
    /// `WaveFileDidFinishPlaying`: playback stopped (end of file or `stop`).
    WaveFileDidFinishPlaying "WaveFileDidFinishPlaying" {}
);
payload!(
    /// `ToneGeneratorDidFinishPlaying`: the queued tones are done.
    ToneGeneratorDidFinishPlaying "ToneGeneratorDidFinishPlaying" {}
);
payload!(
    /// `RTPTransportDidInitialize`: the transport reached INIT.
    RtpTransportDidInitialize "RTPTransportDidInitialize" {}
);
payload!(
    /// `RTPTransportDidFail`: the transport could not initialise (STUN, later).
    RtpTransportDidFail "RTPTransportDidFail" {
        /// Why.
        reason: String
    }
);
payload!(
    /// `RTPAudioTransportGotDTMF`: a DTMF digit arrived.
    RtpAudioTransportGotDtmf "RTPAudioTransportGotDTMF" {
        /// The digit.
        digit: char
    }
);
payload!(
    /// `RTPAudioTransportDidNotGetRTP`: no RTP within the timeout or check interval.
    RtpAudioTransportDidNotGetRtp "RTPAudioTransportDidNotGetRTP" {
        /// Whether any RTP was ever received.
        got_any: bool
    }
);

#[cfg(test)]
mod tests {
    use super::*;
    use sip_core::notification::NotificationData;

    #[test]
    fn names_are_the_seed_names() {
        let data = NotificationData::custom(RtpAudioTransportGotDtmf { digit: '5' });
        assert_eq!(data.name(), "RTPAudioTransportGotDTMF");
        assert_eq!(
            data.downcast_ref::<RtpAudioTransportGotDtmf>(),
            Some(&RtpAudioTransportGotDtmf { digit: '5' })
        );
        assert_eq!(
            NotificationData::custom(RtpAudioTransportDidNotGetRtp { got_any: false }).name(),
            "RTPAudioTransportDidNotGetRTP"
        );
        assert_eq!(
            NotificationData::custom(WaveFileDidFinishPlaying {}).name(),
            "WaveFileDidFinishPlaying"
        );
    }
}
