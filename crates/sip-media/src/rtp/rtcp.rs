//! RTCP packets (RFC 3550 §6.4–6.6): SR, RR, SDES, BYE, in compound packets.

use super::RtpError;

/// Most packets a compound RTCP datagram may hold before it is rejected.
pub const MAX_RTCP_PACKETS: usize = 16;

const PT_SR: u8 = 200;
const PT_RR: u8 = 201;
const PT_SDES: u8 = 202;
const PT_BYE: u8 = 203;

/// One reception report block (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportBlock {
    /// The source this block reports on.
    pub ssrc: u32,
    /// Fraction of packets lost since the previous report, in 1/256 units.
    pub fraction_lost: u8,
    /// Cumulative packets lost (24-bit signed; duplicates can make it negative).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub extended_highest_sequence: u32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the NTP timestamp of the last SR received from the source (LSR).
    pub last_sr: u32,
    /// Delay since that SR, in 1/65536 s (DLSR).
    pub delay_since_last_sr: u32,
}

/// Sender information of a sender report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SenderInfo {
    /// The 64-bit NTP timestamp of the report.
    pub ntp_timestamp: u64,
    /// The RTP timestamp corresponding to the same instant.
    pub rtp_timestamp: u32,
    /// Packets sent since the start.
    pub packet_count: u32,
    /// Payload octets sent since the start.
    pub octet_count: u32,
}

/// One RTCP packet of a compound packet.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtcpPacket {
    /// SR: sender report.
    SenderReport {
        /// The sender.
        ssrc: u32,
        /// The sender information.
        info: SenderInfo,
        /// Reception reports (at most 31).
        reports: Vec<ReportBlock>,
    },
    /// RR: receiver report.
    ReceiverReport {
        /// The reporter.
        ssrc: u32,
        /// Reception reports (at most 31).
        reports: Vec<ReportBlock>,
    },
    /// SDES: source description; only the chunks' CNAME items are kept.
    SourceDescription {
        /// (SSRC, CNAME) of each chunk that carried a CNAME.
        cnames: Vec<(u32, String)>,
    },
    /// BYE: the sources are leaving.
    Goodbye {
        /// The sources leaving.
        sources: Vec<u32>,
        /// The optional reason.
        reason: Option<String>,
    },
    /// A packet of another type (APP, RTPFB, XR, ...), skipped.
    Other {
        /// Its packet type.
        packet_type: u8,
    },
}

fn be32(data: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]])
}

fn parse_blocks(body: &[u8], count: usize) -> Result<Vec<ReportBlock>, RtpError> {
    if body.len() < count * 24 {
        return Err(RtpError::Truncated {
            what: "RTCP report block",
            needed: count * 24,
            got: body.len(),
        });
    }
    Ok((0..count)
        .map(|i| {
            let b = &body[i * 24..i * 24 + 24];
            let lost = be32(b, 4) & 0x00ff_ffff;
            // Sign-extend the 24-bit cumulative count.
            let cumulative_lost = ((lost << 8) as i32) >> 8;
            ReportBlock {
                ssrc: be32(b, 0),
                fraction_lost: b[4],
                cumulative_lost,
                extended_highest_sequence: be32(b, 8),
                jitter: be32(b, 12),
                last_sr: be32(b, 16),
                delay_since_last_sr: be32(b, 20),
            }
        })
        .collect())
}

impl RtcpPacket {
    /// Parses a compound RTCP packet (RFC 3550 §6.1). Every packet must be version 2 and fit;
    /// at most [`MAX_RTCP_PACKETS`] are read.
    pub fn parse_compound(data: &[u8]) -> Result<Vec<RtcpPacket>, RtpError> {
        let mut packets = Vec::new();
        let mut rest = data;
        if rest.is_empty() {
            return Err(RtpError::Truncated {
                what: "RTCP header",
                needed: 4,
                got: 0,
            });
        }
        while !rest.is_empty() {
            if packets.len() == MAX_RTCP_PACKETS {
                return Err(RtpError::TooManyPackets);
            }
            if rest.len() < 4 {
                return Err(RtpError::Truncated {
                    what: "RTCP header",
                    needed: 4,
                    got: rest.len(),
                });
            }
            let version = rest[0] >> 6;
            if version != 2 {
                return Err(RtpError::BadVersion(version));
            }
            let len = 4 * (usize::from(u16::from_be_bytes([rest[2], rest[3]])) + 1);
            if rest.len() < len {
                return Err(RtpError::Truncated {
                    what: "RTCP packet",
                    needed: len,
                    got: rest.len(),
                });
            }
            let mut packet = &rest[..len];
            rest = &rest[len..];
            if packet[0] & 0x20 != 0 {
                let pad = usize::from(packet[len - 1]);
                if pad == 0 || pad > len - 4 {
                    return Err(RtpError::BadPadding(packet[len - 1]));
                }
                packet = &packet[..len - pad];
            }
            packets.push(Self::parse_one(packet)?);
        }
        Ok(packets)
    }

    fn parse_one(packet: &[u8]) -> Result<RtcpPacket, RtpError> {
        let count = usize::from(packet[0] & 0x1f);
        let packet_type = packet[1];
        let body = &packet[4..];
        let need = |what: &'static str, needed: usize| {
            if body.len() < needed {
                Err(RtpError::Truncated {
                    what,
                    needed,
                    got: body.len(),
                })
            } else {
                Ok(())
            }
        };
        match packet_type {
            PT_SR => {
                need("RTCP sender report", 24)?;
                let info = SenderInfo {
                    ntp_timestamp: (u64::from(be32(body, 4)) << 32) | u64::from(be32(body, 8)),
                    rtp_timestamp: be32(body, 12),
                    packet_count: be32(body, 16),
                    octet_count: be32(body, 20),
                };
                Ok(RtcpPacket::SenderReport {
                    ssrc: be32(body, 0),
                    info,
                    reports: parse_blocks(&body[24..], count)?,
                })
            }
            PT_RR => {
                need("RTCP receiver report", 4)?;
                Ok(RtcpPacket::ReceiverReport {
                    ssrc: be32(body, 0),
                    reports: parse_blocks(&body[4..], count)?,
                })
            }
            PT_SDES => {
                let mut cnames = Vec::new();
                let mut pos = 0;
                for _ in 0..count {
                    need("RTCP SDES chunk", pos + 4)?;
                    let ssrc = be32(body, pos);
                    pos += 4;
                    loop {
                        need("RTCP SDES item", pos + 1)?;
                        let item = body[pos];
                        if item == 0 {
                            // End of the item list, then padding to the next 32-bit boundary.
                            pos = (pos + 4) & !3;
                            break;
                        }
                        need("RTCP SDES item", pos + 2)?;
                        let item_len = usize::from(body[pos + 1]);
                        need("RTCP SDES item", pos + 2 + item_len)?;
                        if item == 1 {
                            let text = &body[pos + 2..pos + 2 + item_len];
                            cnames.push((ssrc, String::from_utf8_lossy(text).into_owned()));
                        }
                        pos += 2 + item_len;
                    }
                }
                Ok(RtcpPacket::SourceDescription { cnames })
            }
            PT_BYE => {
                need("RTCP BYE", 4 * count)?;
                let sources = (0..count).map(|i| be32(body, 4 * i)).collect();
                let mut reason = None;
                let pos = 4 * count;
                if body.len() > pos {
                    let reason_len = usize::from(body[pos]);
                    need("RTCP BYE reason", pos + 1 + reason_len)?;
                    reason = Some(
                        String::from_utf8_lossy(&body[pos + 1..pos + 1 + reason_len]).into_owned(),
                    );
                }
                Ok(RtcpPacket::Goodbye { sources, reason })
            }
            _ => Ok(RtcpPacket::Other { packet_type }),
        }
    }

    /// Appends this packet to `out` (unpadded except as SDES and BYE require).
    pub fn write(&self, out: &mut Vec<u8>) -> Result<(), RtpError> {
        let start = out.len();
        match self {
            RtcpPacket::SenderReport {
                ssrc,
                info,
                reports,
            } => {
                let count = check_count(reports.len())?;
                out.extend_from_slice(&[0x80 | count, PT_SR, 0, 0]);
                out.extend_from_slice(&ssrc.to_be_bytes());
                out.extend_from_slice(&info.ntp_timestamp.to_be_bytes());
                out.extend_from_slice(&info.rtp_timestamp.to_be_bytes());
                out.extend_from_slice(&info.packet_count.to_be_bytes());
                out.extend_from_slice(&info.octet_count.to_be_bytes());
                reports.iter().for_each(|r| write_block(r, out));
            }
            RtcpPacket::ReceiverReport { ssrc, reports } => {
                let count = check_count(reports.len())?;
                out.extend_from_slice(&[0x80 | count, PT_RR, 0, 0]);
                out.extend_from_slice(&ssrc.to_be_bytes());
                reports.iter().for_each(|r| write_block(r, out));
            }
            RtcpPacket::SourceDescription { cnames } => {
                let count = check_count(cnames.len())?;
                out.extend_from_slice(&[0x80 | count, PT_SDES, 0, 0]);
                for (ssrc, cname) in cnames {
                    let text = cname.as_bytes();
                    let text = &text[..text.len().min(255)];
                    out.extend_from_slice(&ssrc.to_be_bytes());
                    out.extend_from_slice(&[1, text.len() as u8]);
                    out.extend_from_slice(text);
                    // The terminating null item, then zero padding to 32 bits.
                    out.push(0);
                    while !(out.len() - start).is_multiple_of(4) {
                        out.push(0);
                    }
                }
            }
            RtcpPacket::Goodbye { sources, reason } => {
                let count = check_count(sources.len())?;
                out.extend_from_slice(&[0x80 | count, PT_BYE, 0, 0]);
                sources
                    .iter()
                    .for_each(|s| out.extend_from_slice(&s.to_be_bytes()));
                if let Some(reason) = reason {
                    let text = &reason.as_bytes()[..reason.len().min(255)];
                    out.push(text.len() as u8);
                    out.extend_from_slice(text);
                    while !(out.len() - start).is_multiple_of(4) {
                        out.push(0);
                    }
                }
            }
            RtcpPacket::Other { packet_type } => {
                return Err(RtpError::CannotWrite(*packet_type));
            }
        }
        let words = (out.len() - start) / 4 - 1;
        out[start + 2..start + 4].copy_from_slice(&(words as u16).to_be_bytes());
        Ok(())
    }
}

fn check_count(count: usize) -> Result<u8, RtpError> {
    u8::try_from(count)
        .ok()
        .filter(|c| *c < 32)
        .ok_or(RtpError::TooManyItems(count))
}

fn write_block(block: &ReportBlock, out: &mut Vec<u8>) {
    out.extend_from_slice(&block.ssrc.to_be_bytes());
    let lost = (block.cumulative_lost.clamp(-0x80_0000, 0x7f_ffff) as u32) & 0x00ff_ffff;
    out.extend_from_slice(&((u32::from(block.fraction_lost) << 24) | lost).to_be_bytes());
    out.extend_from_slice(&block.extended_highest_sequence.to_be_bytes());
    out.extend_from_slice(&block.jitter.to_be_bytes());
    out.extend_from_slice(&block.last_sr.to_be_bytes());
    out.extend_from_slice(&block.delay_since_last_sr.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<RtcpPacket> {
        let block = ReportBlock {
            ssrc: 0xdead_beef,
            fraction_lost: 25,
            cumulative_lost: -3,
            extended_highest_sequence: 0x0001_0005,
            jitter: 42,
            last_sr: 0x1234_5678,
            delay_since_last_sr: 65536,
        };
        vec![
            RtcpPacket::SenderReport {
                ssrc: 1,
                info: SenderInfo {
                    ntp_timestamp: 0x0102_0304_0506_0708,
                    rtp_timestamp: 8000,
                    packet_count: 50,
                    octet_count: 8000,
                },
                reports: vec![block],
            },
            RtcpPacket::SourceDescription {
                cnames: vec![(1, "alice@example.com".into()), (2, "bob".into())],
            },
            RtcpPacket::ReceiverReport {
                ssrc: 3,
                reports: vec![],
            },
            RtcpPacket::Goodbye {
                sources: vec![1],
                reason: Some("done".into()),
            },
        ]
    }

    #[test]
    fn compound_roundtrip() {
        let mut out = Vec::new();
        for p in sample() {
            p.write(&mut out).unwrap();
        }
        assert_eq!(out.len() % 4, 0);
        assert_eq!(RtcpPacket::parse_compound(&out).unwrap(), sample());
    }

    #[test]
    fn known_receiver_report_bytes() {
        // An RR from SSRC 0x11223344 with one block on 0x55667788: 10% loss (25/256),
        // 7 lost, highest 0x00020010, jitter 100, LSR 0xaabbccdd, DLSR 0x00010000.
        let bytes = [
            0x81, 201, 0, 7, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 25, 0, 0, 7, 0, 2, 0,
            0x10, 0, 0, 0, 100, 0xaa, 0xbb, 0xcc, 0xdd, 0, 1, 0, 0,
        ];
        let parsed = RtcpPacket::parse_compound(&bytes).unwrap();
        let expected = RtcpPacket::ReceiverReport {
            ssrc: 0x1122_3344,
            reports: vec![ReportBlock {
                ssrc: 0x5566_7788,
                fraction_lost: 25,
                cumulative_lost: 7,
                extended_highest_sequence: 0x0002_0010,
                jitter: 100,
                last_sr: 0xaabb_ccdd,
                delay_since_last_sr: 0x1_0000,
            }],
        };
        assert_eq!(parsed, vec![expected.clone()]);
        let mut out = Vec::new();
        expected.write(&mut out).unwrap();
        assert_eq!(out, bytes);
    }

    #[test]
    fn rejects_truncated_and_bad() {
        assert!(RtcpPacket::parse_compound(&[]).is_err());
        assert!(matches!(
            RtcpPacket::parse_compound(&[0x80, 201, 0, 5, 0, 0, 0, 0]),
            Err(RtpError::Truncated { .. })
        ));
        assert!(matches!(
            RtcpPacket::parse_compound(&[0x40, 201, 0, 0]),
            Err(RtpError::BadVersion(1))
        ));
        // RR claiming one block but carrying none.
        assert!(matches!(
            RtcpPacket::parse_compound(&[0x81, 201, 0, 1, 0, 0, 0, 1]),
            Err(RtpError::Truncated { .. })
        ));
        // SDES whose item overruns the packet.
        assert!(matches!(
            RtcpPacket::parse_compound(&[0x81, 202, 0, 2, 0, 0, 0, 1, 1, 9, 0, 0]),
            Err(RtpError::Truncated { .. })
        ));
        let many: Vec<u8> = std::iter::repeat_n([0x80u8, 201, 0, 1, 0, 0, 0, 1], 17)
            .flatten()
            .collect();
        assert_eq!(
            RtcpPacket::parse_compound(&many),
            Err(RtpError::TooManyPackets)
        );
        assert_eq!(
            RtcpPacket::parse_compound(&[0x80, 204, 0, 0]).unwrap(),
            vec![RtcpPacket::Other { packet_type: 204 }]
        );
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..128)) {
            let _ = RtcpPacket::parse_compound(&data);
        }
    }
}
