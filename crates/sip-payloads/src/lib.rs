//! # sip-payloads
//!
//! SIP payload documents for sipsimple-rs: PIDF/RPID, dialog-info, conference-info, message-summary, watcher-info, resource-lists, RLMI, xcap-diff, common-policy, is-composing, IMDN.
