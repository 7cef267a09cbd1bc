//! Addressbook settings (seed CFG-SET-18–20): contacts, groups and policies, each an object
//! identified by id under `Addressbook/Contacts`, `Addressbook/Groups` and
//! `Addressbook/Policies`. The middleware's addressbook (and its XCAP synchronisation) builds on
//! these.

use crate::datatypes::{ContactPolicy, SipAddress};
use crate::object::{ObjectKind, SettingsObjectType};
use crate::setting::{ItemMap, settings_group};

settings_group! {
    /// `dialog` or `presence` of a contact or policy.
    pub struct EventPolicySettings {
        /// Whether the remote party may watch us.
        policy: ContactPolicy = ContactPolicy::Default,
        /// Whether we subscribe to the remote party.
        subscribe: bool = false,
    }
}

settings_group! {
    /// One URI of a contact (`uris.<id>`).
    pub struct ContactUriSettings {
        /// The URI (`sip:`, `tel:`, …).
        uri: String = String::new(),
        /// Free-form type ("SIP", "Mobile", …).
        r#type: Option<String> = None,
    }
}

settings_group! {
    /// `Contact`: one addressbook entry.
    pub struct ContactSettings {
        /// Display name.
        name: String = String::new(),
        /// URIs by id.
        uris: ItemMap<ContactUriSettings> = ItemMap::new(),
        /// Dialog event policy.
        dialog: EventPolicySettings = EventPolicySettings::default(),
        /// Presence policy.
        presence: EventPolicySettings = EventPolicySettings::default(),
    }
}

impl SettingsObjectType for ContactSettings {
    const TYPE_NAME: &'static str = "Contact";
    const KIND: ObjectKind = ObjectKind::Collection(&["Addressbook", "Contacts"]);
}

settings_group! {
    /// `Group`: a named list of contact ids.
    pub struct GroupSettings {
        /// Group name.
        name: String = String::new(),
        /// Contact ids.
        contacts: Vec<String> = Vec::new(),
    }
}

impl SettingsObjectType for GroupSettings {
    const TYPE_NAME: &'static str = "Group";
    const KIND: ObjectKind = ObjectKind::Collection(&["Addressbook", "Groups"]);
}

settings_group! {
    /// `Policy`: a policy for a URI that is not a contact.
    pub struct PolicySettings {
        /// Name.
        name: String = String::new(),
        /// The URI the policy is for.
        uri: Option<SipAddress> = None,
        /// Dialog event policy.
        dialog: EventPolicySettings = EventPolicySettings::default(),
        /// Presence policy.
        presence: EventPolicySettings = EventPolicySettings::default(),
    }
}

impl SettingsObjectType for PolicySettings {
    const TYPE_NAME: &'static str = "Policy";
    const KIND: ObjectKind = ObjectKind::Collection(&["Addressbook", "Policies"]);
}
