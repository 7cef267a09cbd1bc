//! G.722 (ITU-T G.722, 64 kbit/s mode): sub-band ADPCM of 16 kHz audio. Two QMF bands, a
//! 6-bit ADPCM lower band and a 2-bit ADPCM upper band, one byte per pair of input samples.

/// QMF coefficients h(0), h(2), ..., h(22); the odd ones are these in reverse order
/// (the 24-tap filter is symmetric).
const QMF: [i32; 12] = [3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11];

/// Lower-band quantiser decision levels (×det / 4096).
const Q6: [i32; 31] = [
    0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940,
    1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919, 0,
];
/// 6-bit codes of negative and positive lower-band intervals.
const ILN: [u8; 31] = [
    0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11,
    10, 9, 8, 7, 6, 5, 4,
];
const ILP: [u8; 31] = [
    0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39,
    38, 37, 36, 35, 34, 33, 32,
];
/// 4-bit inverse quantiser (predictor update).
const QM4: [i32; 16] = [
    0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584,
    1200, 0,
];
/// 6-bit inverse quantiser (decoder output, 64 kbit/s).
const QM6: [i32; 64] = [
    -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232,
    -9360, -8576, -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776,
    -2400, -2032, -1688, -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280,
    11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776,
    2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
];
const RL42: [usize; 16] = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];
const WL: [i32; 8] = [-60, -30, 58, 172, 334, 538, 1198, 3042];
/// Scale factor table (2^(i/32) in Q11).
const ILB: [i32; 32] = [
    2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
    2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];
const QM2: [i32; 4] = [-7408, -1616, 7408, 1616];
const RH2: [usize; 4] = [2, 1, 2, 1];
const WH: [i32; 3] = [0, -214, 798];
const IHN: [u8; 3] = [0, 1, 0];
const IHP: [u8; 3] = [0, 3, 2];

fn sat16(v: i32) -> i32 {
    v.clamp(-32768, 32767)
}

/// The ADPCM state of one sub-band.
#[derive(Debug, Clone, Default)]
struct Band {
    s: i32,
    sp: i32,
    sz: i32,
    r: [i32; 3],
    a: [i32; 3],
    ap: [i32; 3],
    p: [i32; 3],
    d: [i32; 7],
    b: [i32; 7],
    bp: [i32; 7],
    nb: i32,
    det: i32,
}

impl Band {
    fn new(det: i32) -> Self {
        Self {
            det,
            ..Self::default()
        }
    }

    /// Log scale factor and scale factor adaptation (LOGSCL/LOGSCH, SCALEL/SCALEH).
    fn adapt_scale(&mut self, weight: i32, limit: i32, shift_base: i32) {
        let nb = ((self.nb * 127) >> 7) + weight;
        self.nb = nb.clamp(0, limit);
        let wd1 = ((self.nb >> 6) & 31) as usize;
        let wd2 = shift_base - (self.nb >> 11);
        let wd3 = if wd2 < 0 {
            ILB[wd1] << -wd2
        } else {
            ILB[wd1] >> wd2
        };
        self.det = wd3 << 2;
    }

    /// Block 4: reconstruction, pole and zero predictor adaptation, prediction.
    fn update(&mut self, d: i32) {
        // RECONS, PARREC
        self.d[0] = d;
        self.r[0] = sat16(self.s + d);
        self.p[0] = sat16(self.sz + d);
        // UPPOL2
        let sg = |v: i32| v >> 15;
        let wd1 = sat16(self.a[1] << 2);
        let wd2 = if sg(self.p[0]) == sg(self.p[1]) {
            -wd1
        } else {
            wd1
        }
        .min(32767);
        let mut wd3 = if sg(self.p[0]) == sg(self.p[2]) {
            128
        } else {
            -128
        };
        wd3 += wd2 >> 7;
        wd3 += (self.a[2] * 32512) >> 15;
        self.ap[2] = wd3.clamp(-12288, 12288);
        // UPPOL1
        let wd1 = if sg(self.p[0]) == sg(self.p[1]) {
            192
        } else {
            -192
        };
        let wd2 = (self.a[1] * 32640) >> 15;
        let limit = sat16(15360 - self.ap[2]);
        self.ap[1] = sat16(wd1 + wd2).clamp(-limit, limit);
        // UPZERO
        let step = if d == 0 { 0 } else { 128 };
        for i in 1..7 {
            let wd2 = if sg(self.d[i]) == sg(d) { step } else { -step };
            let wd3 = (self.b[i] * 32640) >> 15;
            self.bp[i] = sat16(wd2 + wd3);
        }
        // DELAYA
        for i in (1..7).rev() {
            self.d[i] = self.d[i - 1];
            self.b[i] = self.bp[i];
        }
        for i in (1..3).rev() {
            self.r[i] = self.r[i - 1];
            self.p[i] = self.p[i - 1];
            self.a[i] = self.ap[i];
        }
        // FILTEP
        let wd1 = (self.a[1] * sat16(self.r[1] + self.r[1])) >> 15;
        let wd2 = (self.a[2] * sat16(self.r[2] + self.r[2])) >> 15;
        self.sp = sat16(wd1 + wd2);
        // FILTEZ
        let mut sz = 0;
        for i in (1..7).rev() {
            sz += (self.b[i] * sat16(self.d[i] + self.d[i])) >> 15;
        }
        self.sz = sat16(sz);
        // PREDIC
        self.s = sat16(self.sp + self.sz);
    }

    fn adapt_low(&mut self, code: u8) {
        let ril = usize::from(code >> 2);
        let dlow = (self.det * QM4[ril]) >> 15;
        self.adapt_scale(WL[RL42[ril]], 18432, 8);
        self.update(dlow);
    }

    fn adapt_high(&mut self, code: u8) {
        let dhigh = (self.det * QM2[usize::from(code)]) >> 15;
        self.adapt_scale(WH[RH2[usize::from(code)]], 22528, 10);
        self.update(dhigh);
    }
}

/// A G.722 encoder: 16 kHz 16-bit samples in, one byte per two samples out.
#[derive(Debug, Clone)]
pub struct G722Encoder {
    history: [i32; 24],
    low: Band,
    high: Band,
}

impl Default for G722Encoder {
    fn default() -> Self {
        Self::new()
    }
}

impl G722Encoder {
    /// A new encoder in its reset state.
    pub fn new() -> Self {
        Self {
            history: [0; 24],
            low: Band::new(32),
            high: Band::new(8),
        }
    }

    /// Encodes pairs of samples from `pcm` into `out`; returns the bytes written
    /// (`min(pcm.len() / 2, out.len())`).
    pub fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> usize {
        let mut written = 0;
        for (pair, byte) in pcm.chunks_exact(2).zip(out.iter_mut()) {
            // Transmit QMF: the newest sample meets the even taps.
            self.history.copy_within(2.., 0);
            self.history[22] = i32::from(pair[0]);
            self.history[23] = i32::from(pair[1]);
            let mut even = 0;
            let mut odd = 0;
            for i in 0..12 {
                odd += self.history[2 * i] * QMF[i];
                even += self.history[2 * i + 1] * QMF[11 - i];
            }
            let xlow = (even + odd) >> 14;
            let xhigh = (even - odd) >> 14;

            // Lower band: 6-bit adaptive quantiser.
            let el = sat16(xlow - self.low.s);
            let wd = if el >= 0 { el } else { -(el + 1) };
            let mut i = 1;
            while i < 30 && wd >= (Q6[i] * self.low.det) >> 12 {
                i += 1;
            }
            let ilow = if el < 0 { ILN[i] } else { ILP[i] };
            self.low.adapt_low(ilow);

            // Upper band: 2-bit adaptive quantiser.
            let eh = sat16(xhigh - self.high.s);
            let wd = if eh >= 0 { eh } else { -(eh + 1) };
            let mih = if wd >= (564 * self.high.det) >> 12 {
                2
            } else {
                1
            };
            let ihigh = if eh < 0 { IHN[mih] } else { IHP[mih] };
            self.high.adapt_high(ihigh);

            *byte = (ihigh << 6) | ilow;
            written += 1;
        }
        written
    }
}

/// A G.722 decoder: one byte in, two 16 kHz samples out.
#[derive(Debug, Clone)]
pub struct G722Decoder {
    history: [i32; 24],
    low: Band,
    high: Band,
}

impl Default for G722Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl G722Decoder {
    /// A new decoder in its reset state.
    pub fn new() -> Self {
        Self {
            history: [0; 24],
            low: Band::new(32),
            high: Band::new(8),
        }
    }

    /// Decodes `data` into `out` (two samples per byte); returns the samples written.
    pub fn decode(&mut self, data: &[u8], out: &mut [i16]) -> usize {
        let mut written = 0;
        for (&code, pair) in data.iter().zip(out.chunks_exact_mut(2)) {
            let ilow = code & 0x3f;
            let ihigh = code >> 6;
            let rlow =
                (self.low.s + ((self.low.det * QM6[usize::from(ilow)]) >> 15)).clamp(-16384, 16383);
            self.low.adapt_low(ilow);
            let rhigh = (self.high.s + ((self.high.det * QM2[usize::from(ihigh)]) >> 15))
                .clamp(-16384, 16383);
            self.high.adapt_high(ihigh);

            // Receive QMF.
            self.history.copy_within(2.., 0);
            self.history[22] = rlow - rhigh;
            self.history[23] = rlow + rhigh;
            let mut first = 0;
            let mut second = 0;
            for i in 0..12 {
                first += self.history[2 * i] * QMF[11 - i];
                second += self.history[2 * i + 1] * QMF[i];
            }
            pair[0] = sat16(first >> 11) as i16;
            pair[1] = sat16(second >> 11) as i16;
            written += 2;
        }
        written
    }
}
