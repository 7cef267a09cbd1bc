//! # sip-msrp
//!
//! MSRP for sipsimple-rs: RFC 4975/4976 codec and session machine (sans-IO), CPIM, is-composing, file-transfer SDP, and TCP/TLS connections (runtime).
