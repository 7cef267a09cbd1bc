//! G.711 µ-law (PCMU) and A-law (PCMA) companding, ITU-T G.711.

/// Encodes one 16-bit linear sample as µ-law.
pub fn linear_to_ulaw(sample: i16) -> u8 {
    const BIAS: i32 = 0x84;
    const CLIP: i32 = 32635;
    let mut value = i32::from(sample);
    let sign = if value < 0 {
        value = -value;
        0x80
    } else {
        0
    };
    value = value.min(CLIP) + BIAS;
    // The segment is the position of the highest set bit above bit 7 (0..=7).
    let exponent = (31 - (value as u32 | 0x7f).leading_zeros()) as i32 - 7;
    let mantissa = (value >> (exponent + 3)) & 0x0f;
    !((sign | (exponent << 4) | mantissa) as u8)
}

const fn ulaw_decode(byte: u8) -> i16 {
    let b = !byte;
    let exponent = ((b >> 4) & 0x07) as i32;
    let mantissa = (b & 0x0f) as i32;
    let magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
    if b & 0x80 != 0 {
        -magnitude as i16
    } else {
        magnitude as i16
    }
}

/// Encodes one 16-bit linear sample as A-law.
pub fn linear_to_alaw(sample: i16) -> u8 {
    let mut value = i32::from(sample);
    let mask = if value >= 0 {
        0xd5
    } else {
        value = -value - 1;
        0x55
    };
    // Segment end points on the 16-bit scale: 0xff, 0x1ff, ..., 0x7fff.
    let segment = (32 - (value as u32 | 0xff).leading_zeros()) as i32 - 8;
    let code = if segment >= 8 {
        0x7f
    } else if segment < 2 {
        (segment << 4) | ((value >> 4) & 0x0f)
    } else {
        (segment << 4) | ((value >> (segment + 3)) & 0x0f)
    };
    (code as u8) ^ mask
}

const fn alaw_decode(byte: u8) -> i16 {
    let a = byte ^ 0x55;
    let segment = ((a & 0x70) >> 4) as i32;
    let mut t = ((a & 0x0f) as i32) << 4;
    t = match segment {
        0 => t + 8,
        1 => t + 0x108,
        _ => (t + 0x108) << (segment - 1),
    };
    if a & 0x80 != 0 { t as i16 } else { -t as i16 }
}

const fn table(alaw: bool) -> [i16; 256] {
    let mut out = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        out[i] = if alaw {
            alaw_decode(i as u8)
        } else {
            ulaw_decode(i as u8)
        };
        i += 1;
    }
    out
}

static ULAW_TABLE: [i16; 256] = table(false);
static ALAW_TABLE: [i16; 256] = table(true);

/// Decodes one µ-law byte.
pub fn ulaw_to_linear(byte: u8) -> i16 {
    ULAW_TABLE[usize::from(byte)]
}

/// Decodes one A-law byte.
pub fn alaw_to_linear(byte: u8) -> i16 {
    ALAW_TABLE[usize::from(byte)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulaw_known_values() {
        // Zero is 0xff, -1 is 0x7f; full scale is 0x80 / 0x00 and decodes to ±32124.
        assert_eq!(linear_to_ulaw(0), 0xff);
        assert_eq!(linear_to_ulaw(-1), 0x7f);
        assert_eq!(linear_to_ulaw(i16::MAX), 0x80);
        assert_eq!(linear_to_ulaw(i16::MIN), 0x00);
        assert_eq!(ulaw_to_linear(0x80), 32124);
        assert_eq!(ulaw_to_linear(0x00), -32124);
        assert_eq!(ulaw_to_linear(0xff), 0);
        assert_eq!(ulaw_to_linear(0x7f), 0);
        // Segment 0 has steps of 8 around the origin: 0xfe decodes to 8, 0xef to 128.
        assert_eq!(ulaw_to_linear(0xfe), 8);
        assert_eq!(ulaw_to_linear(0xef), 132);
        assert_eq!(linear_to_ulaw(1000), 0xce);
        assert_eq!(ulaw_to_linear(0xce), 988);
    }

    #[test]
    fn alaw_known_values() {
        assert_eq!(linear_to_alaw(0), 0xd5);
        assert_eq!(linear_to_alaw(-1), 0x55);
        assert_eq!(alaw_to_linear(0xd5), 8);
        assert_eq!(alaw_to_linear(0x55), -8);
        assert_eq!(linear_to_alaw(i16::MAX), 0xaa);
        assert_eq!(linear_to_alaw(i16::MIN), 0x2a);
        assert_eq!(alaw_to_linear(0xaa), 32256);
        assert_eq!(alaw_to_linear(0x2a), -32256);
        assert_eq!(linear_to_alaw(1000), 0xfa);
        assert_eq!(alaw_to_linear(0xfa), 1008);
    }

    #[test]
    fn every_code_roundtrips() {
        for byte in 0..=255u8 {
            let u = ulaw_to_linear(byte);
            // 0x7f and 0xff are both zero (negative and positive zero).
            if byte != 0x7f {
                assert_eq!(linear_to_ulaw(u), byte, "µ-law {byte:#04x} -> {u}");
            }
            assert_eq!(
                linear_to_alaw(alaw_to_linear(byte)),
                byte,
                "A-law {byte:#04x}"
            );
        }
    }

    #[test]
    fn error_is_within_segment_step() {
        for s in (i16::MIN..=i16::MAX).step_by(7) {
            let e = (i32::from(ulaw_to_linear(linear_to_ulaw(s))) - i32::from(s)).abs();
            // The largest µ-law step is 1024 (segment 7) and clipping starts at 32124.
            assert!(e <= 1024.max(i32::from(s).abs() - 32124), "µ-law {s}: {e}");
            let e = (i32::from(alaw_to_linear(linear_to_alaw(s))) - i32::from(s)).abs();
            assert!(e <= 1024.max(i32::from(s).abs() - 32256), "A-law {s}: {e}");
        }
    }
}
