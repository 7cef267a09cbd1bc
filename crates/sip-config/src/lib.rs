//! # sip-config
//!
//! Configuration for sipsimple-rs: settings objects, ConfigurationManager and the Storage interface with file and memory backends.
