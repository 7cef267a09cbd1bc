//! RTP and RTCP (RFC 3550): packet reader and writer, compound RTCP, and the sans-IO
//! [`RtpSession`] that numbers outgoing packets and keeps reception statistics.

mod packet;
mod rtcp;
mod session;

pub use packet::{RTP_HEADER_LEN, RtpHeader, RtpPacket, is_rtcp};
pub use rtcp::{MAX_RTCP_PACKETS, ReportBlock, RtcpPacket, SenderInfo};
pub use session::{
    Reception, RtpSession, RtpSessionConfig, RtpSessionEvent, RtpSessionOutput, RtpStatistics,
};

/// Why an RTP or RTCP packet could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtpError {
    /// The packet ends before a part of it.
    #[error("{what} truncated: needs {needed} bytes, got {got}")]
    Truncated {
        /// The part that is cut off.
        what: &'static str,
        /// Bytes needed.
        needed: usize,
        /// Bytes present.
        got: usize,
    },
    /// The version field is not 2.
    #[error("RTP/RTCP version {0}, expected 2")]
    BadVersion(u8),
    /// The padding count is zero or longer than the packet.
    #[error("bad padding length {0}")]
    BadPadding(u8),
    /// A compound RTCP packet holds more than [`MAX_RTCP_PACKETS`] packets.
    #[error("compound RTCP packet holds more than {MAX_RTCP_PACKETS} packets")]
    TooManyPackets,
    /// More than 31 report blocks, SDES chunks or BYE sources.
    #[error("{0} items do not fit in a 5-bit RTCP count")]
    TooManyItems(usize),
    /// A payload type above 127.
    #[error("payload type {0} is not in 0..=127")]
    InvalidPayloadType(u8),
    /// The output buffer is too small.
    #[error("output buffer too small: needs {needed} bytes")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
    },
    /// This RTCP packet type cannot be written.
    #[error("cannot write RTCP packet type {0}")]
    CannotWrite(u8),
}
