//! Account settings: `Account` (one object per SIP address, under `Accounts`) and
//! `BonjourAccount` (one object, key `BonjourAccount`).
//!
//! The seeds name `enabled`, `sip.register.enabled`, `presence.enabled`,
//! `message_summary.enabled`, `rtp.timeout` and the password (CFG-SET-07–17); the rest follows
//! python-sipsimple's `sipsimple.account` settings.

use std::path::PathBuf;
use std::time::Duration;

use crate::datatypes::{
    AudioCodec, MsrpConnectionModel, MsrpRelayAddress, MsrpTransport, Password, SipAddress,
    SipProxyAddress, SipTransport, SrtpKeyNegotiation, StunServerAddress, XcapRoot,
};
use crate::error::ValueError;
use crate::object::{ObjectKind, SettingsObjectType};
use crate::setting::settings_group;

settings_group! {
    /// `auth`: credentials.
    pub struct AuthSettings {
        /// Authentication user name; `None` uses the account id's user part.
        username: Option<String> = None,
        /// Password (zeroed on drop, never logged).
        password: Password = Password::default(),
    }
}

settings_group! {
    /// `sip.register`.
    pub struct RegisterSettings {
        /// Register automatically (seed: `Account.sip.register.enabled`).
        enabled: bool = true,
    }
}

settings_group! {
    /// `sip`: signalling.
    pub struct AccountSipSettings {
        /// Send every request through the outbound proxy.
        always_use_my_proxy: bool = false,
        /// Outbound proxy; `None` to locate the domain's servers through DNS (RFC 3263).
        outbound_proxy: Option<SipProxyAddress> = None,
        /// Registration.
        register: RegisterSettings = RegisterSettings::default(),
        /// Requested registration expiry.
        register_interval: Duration = Duration::from_secs(3600),
        /// Requested subscription expiry.
        subscribe_interval: Duration = Duration::from_secs(3600),
        /// Requested publication expiry.
        publish_interval: Duration = Duration::from_secs(3600),
        /// Transports this account uses, in order of preference.
        transport_list: Vec<SipTransport> = vec![SipTransport::Tls, SipTransport::Tcp, SipTransport::Udp],
    }
}

settings_group! {
    /// `rtp.encryption`: SRTP.
    pub struct SrtpEncryptionSettings {
        /// Use SRTP.
        enabled: bool = true,
        /// Key negotiation.
        key_negotiation: SrtpKeyNegotiation = SrtpKeyNegotiation::Opportunistic,
    }
}

settings_group! {
    /// `rtp`: media.
    pub struct AccountRtpSettings {
        /// Codecs for this account; `None` uses `SIPSimpleSettings.rtp.audio_codec_list`.
        audio_codec_list: Option<Vec<AudioCodec>> = None,
        /// SRTP.
        encryption: SrtpEncryptionSettings = SrtpEncryptionSettings::default(),
        /// Seconds without RTP before AudioStreamDidTimeout (seed CFG-SET-12); 0 disables.
        timeout: Duration = Duration::from_secs(30),
    }
}

settings_group! {
    /// `nat_traversal`.
    pub struct NatTraversalSettings {
        /// Use ICE for media.
        use_ice: bool = false,
        /// STUN servers; `None` to discover them through DNS SRV.
        stun_server_list: Option<Vec<StunServerAddress>> = None,
        /// MSRP relay; `None` to discover it through DNS SRV.
        msrp_relay: Option<MsrpRelayAddress> = None,
        /// Use the relay for outgoing MSRP sessions too.
        use_msrp_relay_for_outbound: bool = false,
    }
}

settings_group! {
    /// `msrp`.
    pub struct MsrpSettings {
        /// MSRP transport.
        transport: MsrpTransport = MsrpTransport::Tls,
        /// Connection model.
        connection_model: MsrpConnectionModel = MsrpConnectionModel::Relay,
    }
}

settings_group! {
    /// `xcap`.
    pub struct XcapSettings {
        /// Use XCAP.
        enabled: bool = false,
        /// The XCAP root was discovered (DNS TXT) rather than configured.
        discovered: bool = false,
        /// XCAP root; `None` to discover it.
        xcap_root: Option<XcapRoot> = None,
    }
}

settings_group! {
    /// `presence`.
    pub struct PresenceSettings {
        /// Subscribe to buddies' presence and dialog events and publish presence (seed
        /// CFG-SET-09).
        enabled: bool = false,
    }
}

settings_group! {
    /// `dialog_event`.
    pub struct DialogEventSettings {
        /// Publish dialog state (RFC 4235). The newest seed folds dialog subscriptions into
        /// `presence.enabled`; this switch covers publication (CFG-SET-10).
        enabled: bool = false,
    }
}

settings_group! {
    /// `message_summary`: message waiting indication (RFC 3842).
    pub struct MessageSummarySettings {
        /// Subscribe to message-summary (seed CFG-SET-11).
        enabled: bool = false,
        /// The subscription target; `None` uses the account's own address (CFG-SET-15).
        voicemail_uri: Option<SipAddress> = None,
    }
}

settings_group! {
    /// `tls`: the account's TLS identity.
    pub struct AccountTlsSettings {
        /// Certificate and key (PEM) for this account.
        certificate: Option<PathBuf> = None,
        /// Verify servers' certificates. On by default (DESIGN.md §6).
        verify_server: bool = true,
    }
}

settings_group! {
    /// `Account`: the settings of one SIP account.
    pub struct AccountSettings {
        /// Master switch; takes effect after save() (seed CFG-SET-07).
        enabled: bool = false,
        /// Display name for the From header.
        display_name: Option<String> = None,
        /// Credentials.
        auth: AuthSettings = AuthSettings::default(),
        /// Signalling.
        sip: AccountSipSettings = AccountSipSettings::default(),
        /// Media.
        rtp: AccountRtpSettings = AccountRtpSettings::default(),
        /// NAT traversal.
        nat_traversal: NatTraversalSettings = NatTraversalSettings::default(),
        /// MSRP.
        msrp: MsrpSettings = MsrpSettings::default(),
        /// XCAP.
        xcap: XcapSettings = XcapSettings::default(),
        /// Presence.
        presence: PresenceSettings = PresenceSettings::default(),
        /// Dialog event.
        dialog_event: DialogEventSettings = DialogEventSettings::default(),
        /// Message summary.
        message_summary: MessageSummarySettings = MessageSummarySettings::default(),
        /// TLS.
        tls: AccountTlsSettings = AccountTlsSettings::default(),
    }
}

impl SettingsObjectType for AccountSettings {
    const TYPE_NAME: &'static str = "Account";
    const KIND: ObjectKind = ObjectKind::Collection(&["Accounts"]);

    /// Account ids are SIP addresses in canonical form: `user@domain`, no `sip:` prefix, the
    /// domain in lower case.
    fn validate_id(id: &str) -> Result<(), ValueError> {
        let address = id.parse::<SipAddress>()?;
        if address.as_str() != id {
            return Err(ValueError::Invalid {
                what: "account id",
                value: id.to_owned(),
                reason: "not in canonical user@domain form (no sip: prefix, lower-case domain)",
            });
        }
        Ok(())
    }
}

settings_group! {
    /// `sip` of the BonjourAccount.
    pub struct BonjourSipSettings {
        /// Transports to advertise and use.
        transport_list: Vec<SipTransport> = vec![SipTransport::Tls, SipTransport::Tcp, SipTransport::Udp],
    }
}

settings_group! {
    /// `msrp` of the BonjourAccount (no relays in P2P mode).
    pub struct BonjourMsrpSettings {
        /// MSRP transport.
        transport: MsrpTransport = MsrpTransport::Tls,
    }
}

settings_group! {
    /// `BonjourAccount`: the P2P (mDNS) account, id `bonjour@local`.
    pub struct BonjourAccountSettings {
        /// Switches bonjour mode on (seed CFG-SET-17).
        enabled: bool = false,
        /// Display name.
        display_name: Option<String> = None,
        /// Signalling.
        sip: BonjourSipSettings = BonjourSipSettings::default(),
        /// Media.
        rtp: AccountRtpSettings = AccountRtpSettings::default(),
        /// MSRP.
        msrp: BonjourMsrpSettings = BonjourMsrpSettings::default(),
        /// Presence.
        presence: PresenceSettings = PresenceSettings::default(),
        /// TLS.
        tls: AccountTlsSettings = AccountTlsSettings::default(),
    }
}

impl SettingsObjectType for BonjourAccountSettings {
    const TYPE_NAME: &'static str = "BonjourAccount";
    const KIND: ObjectKind = ObjectKind::Singleton(&["BonjourAccount"]);
}

/// The BonjourAccount's id.
pub const BONJOUR_ACCOUNT_ID: &str = "bonjour@local";
