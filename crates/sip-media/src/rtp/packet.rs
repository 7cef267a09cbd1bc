//! RTP packets (RFC 3550 §5.1): a zero-copy reader and an allocation-free writer.

use super::RtpError;

/// The fixed part of an RTP header is 12 bytes.
pub const RTP_HEADER_LEN: usize = 12;

/// A parsed RTP packet borrowing the received buffer.
///
/// ```
/// use sip_media::rtp::{RtpHeader, RtpPacket};
///
/// let header = RtpHeader { payload_type: 0, marker: true, sequence_number: 7, timestamp: 160, ssrc: 0x1234 };
/// let mut buf = [0u8; 64];
/// let len = header.write_packet(&[1, 2, 3], &mut buf).unwrap();
/// let packet = RtpPacket::parse(&buf[..len]).unwrap();
/// assert_eq!(packet.header(), header);
/// assert_eq!(packet.payload(), &[1, 2, 3]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    header: RtpHeader,
    csrc: &'a [u8],
    extension: Option<(u16, &'a [u8])>,
    payload: &'a [u8],
    padding: u8,
}

/// The fields of an RTP header that a sender chooses (no CSRCs, no extension, no padding when
/// written).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RtpHeader {
    /// The payload type (0–127).
    pub payload_type: u8,
    /// The marker bit (start of a talkspurt for audio).
    pub marker: bool,
    /// The 16-bit sequence number.
    pub sequence_number: u16,
    /// The media timestamp in units of the payload's clock rate.
    pub timestamp: u32,
    /// The synchronisation source.
    pub ssrc: u32,
}

impl RtpHeader {
    /// Writes this header followed by `payload` into `out`; returns the packet length.
    pub fn write_packet(&self, payload: &[u8], out: &mut [u8]) -> Result<usize, RtpError> {
        let len = RTP_HEADER_LEN + payload.len();
        if out.len() < len {
            return Err(RtpError::BufferTooSmall { needed: len });
        }
        if self.payload_type > 127 {
            return Err(RtpError::InvalidPayloadType(self.payload_type));
        }
        out[0] = 0x80;
        out[1] = (u8::from(self.marker) << 7) | self.payload_type;
        out[2..4].copy_from_slice(&self.sequence_number.to_be_bytes());
        out[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
        out[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        out[RTP_HEADER_LEN..len].copy_from_slice(payload);
        Ok(len)
    }
}

impl<'a> RtpPacket<'a> {
    /// Parses an RTP packet. Rejects versions other than 2, truncated CSRC lists or
    /// extensions, and padding longer than the packet.
    pub fn parse(data: &'a [u8]) -> Result<Self, RtpError> {
        if data.len() < RTP_HEADER_LEN {
            return Err(RtpError::Truncated {
                what: "RTP header",
                needed: RTP_HEADER_LEN,
                got: data.len(),
            });
        }
        let version = data[0] >> 6;
        if version != 2 {
            return Err(RtpError::BadVersion(version));
        }
        let has_padding = data[0] & 0x20 != 0;
        let has_extension = data[0] & 0x10 != 0;
        let csrc_count = usize::from(data[0] & 0x0f);
        let header = RtpHeader {
            marker: data[1] & 0x80 != 0,
            payload_type: data[1] & 0x7f,
            sequence_number: u16::from_be_bytes([data[2], data[3]]),
            timestamp: u32::from_be_bytes([data[4], data[5], data[6], data[7]]),
            ssrc: u32::from_be_bytes([data[8], data[9], data[10], data[11]]),
        };
        let mut pos = RTP_HEADER_LEN;
        let csrc_end = pos + 4 * csrc_count;
        if data.len() < csrc_end {
            return Err(RtpError::Truncated {
                what: "RTP CSRC list",
                needed: csrc_end,
                got: data.len(),
            });
        }
        let csrc = &data[pos..csrc_end];
        pos = csrc_end;
        let mut extension = None;
        if has_extension {
            if data.len() < pos + 4 {
                return Err(RtpError::Truncated {
                    what: "RTP header extension",
                    needed: pos + 4,
                    got: data.len(),
                });
            }
            let profile = u16::from_be_bytes([data[pos], data[pos + 1]]);
            let words = usize::from(u16::from_be_bytes([data[pos + 2], data[pos + 3]]));
            let end = pos + 4 + 4 * words;
            if data.len() < end {
                return Err(RtpError::Truncated {
                    what: "RTP header extension",
                    needed: end,
                    got: data.len(),
                });
            }
            extension = Some((profile, &data[pos + 4..end]));
            pos = end;
        }
        let mut end = data.len();
        let mut padding = 0;
        if has_padding {
            padding = data[data.len() - 1];
            let pad = usize::from(padding);
            if pad == 0 || pad > end - pos {
                return Err(RtpError::BadPadding(padding));
            }
            end -= pad;
        }
        Ok(Self {
            header,
            csrc,
            extension,
            payload: &data[pos..end],
            padding,
        })
    }

    /// The header fields.
    pub fn header(&self) -> RtpHeader {
        self.header
    }

    /// The contributing sources.
    pub fn csrcs(&self) -> impl Iterator<Item = u32> + '_ {
        self.csrc
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
    }

    /// The header extension: its profile-defined 16 bits and its data.
    pub fn extension(&self) -> Option<(u16, &'a [u8])> {
        self.extension
    }

    /// The payload, without padding.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// The number of padding bytes (0 when the P bit is clear).
    pub fn padding(&self) -> u8 {
        self.padding
    }
}

/// Tells whether a datagram is RTCP rather than RTP when both share a port (RFC 5761 §4):
/// RTCP packet types 192–223 fall where RTP would have marker + payload type 64–95.
pub fn is_rtcp(data: &[u8]) -> bool {
    data.len() >= 2 && (192..=223).contains(&data[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_csrc_extension_and_padding() {
        // V=2 P=1 X=1 CC=2, M=1 PT=96, seq 0x0102, ts 0x03040506, ssrc 0x0a0b0c0d
        let mut data = vec![0xb2, 0xe0, 1, 2, 3, 4, 5, 6, 0x0a, 0x0b, 0x0c, 0x0d];
        data.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 2]);
        data.extend_from_slice(&[0xbe, 0xde, 0, 1, 9, 9, 9, 9]);
        data.extend_from_slice(&[0x55, 0x66]);
        data.extend_from_slice(&[0, 0, 3]);
        let packet = RtpPacket::parse(&data).unwrap();
        let header = packet.header();
        assert!(header.marker);
        assert_eq!(header.payload_type, 96);
        assert_eq!(header.sequence_number, 0x0102);
        assert_eq!(header.timestamp, 0x0304_0506);
        assert_eq!(header.ssrc, 0x0a0b_0c0d);
        assert_eq!(packet.csrcs().collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(packet.extension(), Some((0xbede, &[9u8, 9, 9, 9][..])));
        assert_eq!(packet.payload(), &[0x55, 0x66]);
        assert_eq!(packet.padding(), 3);
    }

    #[test]
    fn rejects_bad_input() {
        assert!(matches!(
            RtpPacket::parse(&[0x80; 11]),
            Err(RtpError::Truncated { .. })
        ));
        assert!(matches!(
            RtpPacket::parse(&[0x40; 12]),
            Err(RtpError::BadVersion(1))
        ));
        let mut csrc = [0u8; 12];
        csrc[0] = 0x81;
        assert!(matches!(
            RtpPacket::parse(&csrc),
            Err(RtpError::Truncated { .. })
        ));
        let mut pad = [0u8; 13];
        pad[0] = 0xa0;
        pad[12] = 5;
        assert!(matches!(
            RtpPacket::parse(&pad),
            Err(RtpError::BadPadding(5))
        ));
        pad[12] = 0;
        assert!(matches!(
            RtpPacket::parse(&pad),
            Err(RtpError::BadPadding(0))
        ));
        let mut ext = [0u8; 16];
        ext[0] = 0x90;
        ext[15] = 1;
        assert!(matches!(
            RtpPacket::parse(&ext),
            Err(RtpError::Truncated { .. })
        ));
    }

    #[test]
    fn write_checks_buffer_and_payload_type() {
        let header = RtpHeader {
            payload_type: 128,
            ..RtpHeader::default()
        };
        assert_eq!(
            header.write_packet(&[], &mut [0; 12]),
            Err(RtpError::InvalidPayloadType(128))
        );
        assert_eq!(
            RtpHeader::default().write_packet(&[1], &mut [0; 12]),
            Err(RtpError::BufferTooSmall { needed: 13 })
        );
    }

    #[test]
    fn rtcp_demultiplexing() {
        assert!(is_rtcp(&[0x80, 200, 0, 6]));
        assert!(!is_rtcp(&[0x80, 0, 0, 6]));
        assert!(!is_rtcp(&[0x80, 0x80 | 8, 0, 6]));
    }

    proptest::proptest! {
        #[test]
        fn write_parse_roundtrip(pt in 0u8..128, marker: bool, seq: u16, ts: u32, ssrc: u32,
                                 payload in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let header = RtpHeader { payload_type: pt, marker, sequence_number: seq, timestamp: ts, ssrc };
            let mut buf = [0u8; 256];
            let len = header.write_packet(&payload, &mut buf).unwrap();
            let packet = RtpPacket::parse(&buf[..len]).unwrap();
            proptest::prop_assert_eq!(packet.header(), header);
            proptest::prop_assert_eq!(packet.payload(), &payload[..]);
        }

        #[test]
        fn parse_never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let _ = RtpPacket::parse(&data);
        }
    }
}
