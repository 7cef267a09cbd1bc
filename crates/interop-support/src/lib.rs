//! # interop-support
//!
//! Shared helpers for the interop tests of the sipsimple-rs crates: they start real peers on
//! loopback, wait until they are ready, and stop them by PID when dropped.
