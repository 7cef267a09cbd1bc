//! WAV files as mixer ports: [`WaveFile`] plays 16-bit PCM, A-law or µ-law files (mono or
//! multi-channel, mixed down); [`RecordingWaveFile`] records 16-bit mono PCM. PCM goes through
//! hound; hound does not read G.711 files, so those are read by a small RIFF reader here.
//! Files are streamed through a buffer, never loaded whole.

use std::any::Any;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::codec::{alaw_to_linear, ulaw_to_linear};
use crate::mixer::{AudioPort, PortEvent};

/// Errors of WAV playback and recording.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum WaveError {
    /// The file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: Arc<std::io::Error>,
    },
    /// hound rejected the file.
    #[error("{path}: {source}")]
    Wav {
        /// The file.
        path: PathBuf,
        /// hound's error.
        source: Arc<hound::Error>,
    },
    /// Not a RIFF/WAVE file, or a chunk is malformed.
    #[error("{path}: not a valid WAV file ({what})")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: &'static str,
    },
    /// A format other than 16-bit PCM, A-law and µ-law, or a rate that is not a multiple of
    /// 50 Hz.
    #[error("{path}: unsupported WAV format (tag {format_tag}, {bits} bits, {sample_rate} Hz)")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// The WAVE format tag.
        format_tag: u16,
        /// Bits per sample.
        bits: u16,
        /// Sample rate.
        sample_rate: u32,
    },
}

enum Source {
    Pcm(hound::WavIntoSamples<BufReader<File>, i16>),
    G711 {
        reader: BufReader<File>,
        alaw: bool,
        remaining: u64,
    },
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Source::Pcm(_) => "Pcm",
            Source::G711 { alaw: true, .. } => "Alaw",
            Source::G711 { .. } => "Ulaw",
        })
    }
}

struct Format {
    tag: u16,
    channels: u16,
    rate: u32,
    bits: u16,
    data: Option<(u64, u64)>,
}

fn read_format(path: &Path, file: &mut File) -> Result<Format, WaveError> {
    let io = |e: std::io::Error| WaveError::Io {
        path: path.into(),
        source: Arc::new(e),
    };
    let malformed = |what| WaveError::Malformed {
        path: path.into(),
        what,
    };
    let mut header = [0u8; 12];
    file.read_exact(&mut header)
        .map_err(|_| malformed("shorter than a RIFF header"))?;
    if &header[0..4] != b"RIFF" || &header[8..12] != b"WAVE" {
        return Err(malformed("no RIFF/WAVE header"));
    }
    let mut format = None;
    let mut pos = 12u64;
    // Bounded: at most 64 chunks are skipped looking for fmt and data.
    for _ in 0..64 {
        let mut chunk = [0u8; 8];
        if file.read_exact(&mut chunk).is_err() {
            break;
        }
        let len = u64::from(u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]));
        pos += 8;
        match &chunk[0..4] {
            b"fmt " => {
                if len < 16 {
                    return Err(malformed("fmt chunk shorter than 16 bytes"));
                }
                let mut f = [0u8; 16];
                file.read_exact(&mut f).map_err(io)?;
                let mut tag = u16::from_le_bytes([f[0], f[1]]);
                if tag == 0xfffe && len >= 26 {
                    // WAVE_FORMAT_EXTENSIBLE: the real tag starts the sub-format GUID.
                    let mut ext = [0u8; 10];
                    file.read_exact(&mut ext).map_err(io)?;
                    tag = u16::from_le_bytes([ext[8], ext[9]]);
                }
                format = Some(Format {
                    tag,
                    channels: u16::from_le_bytes([f[2], f[3]]),
                    rate: u32::from_le_bytes([f[4], f[5], f[6], f[7]]),
                    bits: u16::from_le_bytes([f[14], f[15]]),
                    data: None,
                });
            }
            b"data" => {
                let mut format = format.ok_or(malformed("data chunk before fmt chunk"))?;
                format.data = Some((pos, len));
                return Ok(format);
            }
            _ => {}
        }
        pos += len + (len & 1);
        file.seek(SeekFrom::Start(pos)).map_err(io)?;
    }
    Err(malformed("no fmt and data chunks"))
}

/// Plays a WAV file into its mixer slot (the seed's `WaveFile`).
#[derive(Debug)]
pub struct WaveFile {
    path: PathBuf,
    sample_rate: u32,
    channels: u16,
    source: Option<Source>,
    finished: bool,
}

impl WaveFile {
    /// Opens `path` for playback.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, WaveError> {
        let path = path.as_ref().to_path_buf();
        let (source, format) = Self::open_source(&path)?;
        Ok(Self {
            path,
            sample_rate: format.rate,
            channels: format.channels.max(1),
            source: Some(source),
            finished: false,
        })
    }

    fn open_source(path: &Path) -> Result<(Source, Format), WaveError> {
        let io = |e: std::io::Error| WaveError::Io {
            path: path.into(),
            source: Arc::new(e),
        };
        let mut file = File::open(path).map_err(io)?;
        let format = read_format(path, &mut file)?;
        let unsupported = WaveError::Unsupported {
            path: path.into(),
            format_tag: format.tag,
            bits: format.bits,
            sample_rate: format.rate,
        };
        if format.rate == 0 || !format.rate.is_multiple_of(50) || format.channels == 0 {
            return Err(unsupported);
        }
        let source = match (format.tag, format.bits) {
            (1, 16) => {
                file.seek(SeekFrom::Start(0)).map_err(io)?;
                let reader =
                    hound::WavReader::new(BufReader::new(file)).map_err(|e| WaveError::Wav {
                        path: path.into(),
                        source: Arc::new(e),
                    })?;
                Source::Pcm(reader.into_samples())
            }
            (6 | 7, 8) => {
                let (offset, len) = format.data.unwrap_or((0, 0));
                file.seek(SeekFrom::Start(offset)).map_err(io)?;
                Source::G711 {
                    reader: BufReader::new(file),
                    alaw: format.tag == 6,
                    remaining: len,
                }
            }
            _ => return Err(unsupported),
        };
        Ok((source, format))
    }

    /// The file's path.
    pub fn filename(&self) -> &Path {
        &self.path
    }

    /// Whether playback is still going (false after the end of the file).
    pub fn is_active(&self) -> bool {
        self.source.is_some()
    }

    /// Starts again from the beginning.
    pub fn rewind(&mut self) -> Result<(), WaveError> {
        self.source = Some(Self::open_source(&self.path)?.0);
        self.finished = false;
        Ok(())
    }

    /// Stops playback; the finish event follows as at the end of the file.
    pub fn stop(&mut self) {
        if self.source.take().is_some() {
            self.finished = true;
        }
    }

    fn next_sample(&mut self) -> Option<i16> {
        match self.source.as_mut()? {
            Source::Pcm(samples) => samples.next()?.ok(),
            Source::G711 {
                reader,
                alaw,
                remaining,
            } => {
                if *remaining == 0 {
                    return None;
                }
                let mut b = [0u8; 1];
                reader.read_exact(&mut b).ok()?;
                *remaining -= 1;
                Some(if *alaw {
                    alaw_to_linear(b[0])
                } else {
                    ulaw_to_linear(b[0])
                })
            }
        }
    }
}

impl AudioPort for WaveFile {
    fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    fn get_frame(&mut self, _now: Instant, out: &mut [i16]) -> bool {
        if self.source.is_none() {
            return false;
        }
        let channels = i32::from(self.channels);
        for (i, sample) in out.iter_mut().enumerate() {
            let mut sum = 0i32;
            for _ in 0..channels {
                match self.next_sample() {
                    Some(s) => sum += i32::from(s),
                    None => {
                        out[i..].fill(0);
                        self.stop();
                        return i > 0;
                    }
                }
            }
            *sample = (sum / channels) as i16;
        }
        true
    }

    fn poll_event(&mut self) -> Option<PortEvent> {
        std::mem::take(&mut self.finished).then_some(PortEvent::WaveFileDidFinishPlaying)
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// Records what is connected into its slot as a 16-bit mono PCM WAV file (the seed's
/// `RecordingWaveFile`). Not reusable: after [`stop`](Self::stop) it records nothing.
pub struct RecordingWaveFile {
    path: PathBuf,
    sample_rate: u32,
    writer: Option<hound::WavWriter<BufWriter<File>>>,
    error: Option<WaveError>,
}

impl std::fmt::Debug for RecordingWaveFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordingWaveFile")
            .field("path", &self.path)
            .field("sample_rate", &self.sample_rate)
            .field("is_active", &self.writer.is_some())
            .finish()
    }
}

impl RecordingWaveFile {
    /// Creates (or truncates) `path` for recording at `sample_rate` Hz.
    pub fn create(path: impl AsRef<Path>, sample_rate: u32) -> Result<Self, WaveError> {
        let path = path.as_ref().to_path_buf();
        if sample_rate == 0 || !sample_rate.is_multiple_of(50) {
            return Err(WaveError::Unsupported {
                path,
                format_tag: 1,
                bits: 16,
                sample_rate,
            });
        }
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let writer = hound::WavWriter::create(&path, spec).map_err(|e| WaveError::Wav {
            path: path.clone(),
            source: Arc::new(e),
        })?;
        Ok(Self {
            path,
            sample_rate,
            writer: Some(writer),
            error: None,
        })
    }

    /// The file's path.
    pub fn filename(&self) -> &Path {
        &self.path
    }

    /// Whether it is still recording.
    pub fn is_active(&self) -> bool {
        self.writer.is_some()
    }

    /// The first write error, if recording failed.
    pub fn error(&self) -> Option<&WaveError> {
        self.error.as_ref()
    }

    /// Stops recording and completes the file's header.
    pub fn stop(&mut self) -> Result<(), WaveError> {
        if let Some(writer) = self.writer.take() {
            writer.finalize().map_err(|e| WaveError::Wav {
                path: self.path.clone(),
                source: Arc::new(e),
            })?;
        }
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl AudioPort for RecordingWaveFile {
    fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    fn put_frame(&mut self, _now: Instant, frame: &[i16]) {
        let Some(writer) = self.writer.as_mut() else {
            return;
        };
        for &s in frame {
            if let Err(e) = writer.write_sample(s) {
                self.error = Some(WaveError::Wav {
                    path: self.path.clone(),
                    source: Arc::new(e),
                });
                self.writer = None;
                return;
            }
        }
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{linear_to_alaw, linear_to_ulaw};
    use crate::dsp::{dominant_frequency, level_dbfs};
    use crate::mixer::AudioMixer;

    fn sine(n: usize, rate: u32) -> i16 {
        (8000.0 * (2.0 * std::f64::consts::PI * 440.0 * n as f64 / f64::from(rate)).sin()) as i16
    }

    fn write_g711(path: &Path, alaw: bool, samples: &[i16]) {
        let mut data = Vec::new();
        let body: Vec<u8> = samples
            .iter()
            .map(|&s| {
                if alaw {
                    linear_to_alaw(s)
                } else {
                    linear_to_ulaw(s)
                }
            })
            .collect();
        data.extend_from_slice(b"RIFF");
        data.extend_from_slice(&(4 + 26 + 12 + 8 + body.len() as u32).to_le_bytes());
        data.extend_from_slice(b"WAVE");
        // fmt chunk of 18 bytes (cbSize 0), as G.711 writers produce.
        data.extend_from_slice(b"fmt \x12\0\0\0");
        data.extend_from_slice(&(if alaw { 6u16 } else { 7u16 }).to_le_bytes());
        data.extend_from_slice(&1u16.to_le_bytes());
        data.extend_from_slice(&8000u32.to_le_bytes());
        data.extend_from_slice(&8000u32.to_le_bytes());
        data.extend_from_slice(&1u16.to_le_bytes());
        data.extend_from_slice(&8u16.to_le_bytes());
        data.extend_from_slice(&0u16.to_le_bytes());
        // An odd-sized chunk to skip, with its pad byte.
        data.extend_from_slice(b"LIST\x03\0\0\0abc\0");
        data.extend_from_slice(b"data");
        data.extend_from_slice(&(body.len() as u32).to_le_bytes());
        data.extend_from_slice(&body);
        std::fs::write(path, data).unwrap();
    }

    fn play_all(file: &mut WaveFile) -> Vec<i16> {
        let now = Instant::now();
        let mut all = Vec::new();
        let mut frame = vec![0i16; (file.sample_rate() / 50) as usize];
        while file.get_frame(now, &mut frame) {
            all.extend_from_slice(&frame);
        }
        all
    }

    #[test]
    fn plays_pcm_alaw_and_ulaw_files() {
        let dir = tempfile::tempdir().unwrap();
        let samples: Vec<i16> = (0..8000).map(|n| sine(n, 8000)).collect();
        let pcm = dir.path().join("pcm.wav");
        let mut w = hound::WavWriter::create(
            &pcm,
            hound::WavSpec {
                channels: 2,
                sample_rate: 8000,
                bits_per_sample: 16,
                sample_format: hound::SampleFormat::Int,
            },
        )
        .unwrap();
        for &s in &samples {
            w.write_sample(s).unwrap();
            w.write_sample(s).unwrap();
        }
        w.finalize().unwrap();
        let mut file = WaveFile::open(&pcm).unwrap();
        assert_eq!(play_all(&mut file), samples);
        assert_eq!(file.poll_event(), Some(PortEvent::WaveFileDidFinishPlaying));
        assert!(!file.is_active());
        file.rewind().unwrap();
        assert_eq!(play_all(&mut file).len(), 8000);

        for alaw in [true, false] {
            let path = dir.path().join("g711.wav");
            write_g711(&path, alaw, &samples);
            let mut file = WaveFile::open(&path).unwrap();
            let got = play_all(&mut file);
            assert_eq!(got.len(), 8000);
            assert_eq!(
                dominant_frequency(&got, 8000, &[300.0, 440.0, 600.0]),
                Some(440.0)
            );
            assert!((level_dbfs(&got) - level_dbfs(&samples)).abs() < 0.3);
        }
    }

    #[test]
    fn rejects_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.wav");
        std::fs::write(&path, b"RIFX0000WAVE").unwrap();
        assert!(matches!(
            WaveFile::open(&path),
            Err(WaveError::Malformed { .. })
        ));
        std::fs::write(&path, b"RIFF").unwrap();
        assert!(matches!(
            WaveFile::open(&path),
            Err(WaveError::Malformed { .. })
        ));
        let mut w = hound::WavWriter::create(
            &path,
            hound::WavSpec {
                channels: 1,
                sample_rate: 11025,
                bits_per_sample: 16,
                sample_format: hound::SampleFormat::Int,
            },
        )
        .unwrap();
        w.write_sample(0i16).unwrap();
        w.finalize().unwrap();
        assert!(matches!(
            WaveFile::open(&path),
            Err(WaveError::Unsupported {
                sample_rate: 11025,
                ..
            })
        ));
        assert!(matches!(
            WaveFile::open(dir.path().join("missing.wav")),
            Err(WaveError::Io { .. })
        ));
    }

    #[test]
    fn records_what_the_mixer_connects() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("tone.wav");
        let samples: Vec<i16> = (0..16000).map(|n| sine(n, 16000)).collect();
        let mut w = hound::WavWriter::create(
            &source,
            hound::WavSpec {
                channels: 1,
                sample_rate: 16000,
                bits_per_sample: 16,
                sample_format: hound::SampleFormat::Int,
            },
        )
        .unwrap();
        samples.iter().for_each(|&s| w.write_sample(s).unwrap());
        w.finalize().unwrap();

        let target = dir.path().join("rec.wav");
        let mut mixer = AudioMixer::new(8000, 8).unwrap();
        let player = mixer
            .add_port(Box::new(WaveFile::open(&source).unwrap()))
            .unwrap();
        let recorder = mixer
            .add_port(Box::new(RecordingWaveFile::create(&target, 8000).unwrap()))
            .unwrap();
        // Not connected yet: nothing is recorded.
        let now = Instant::now();
        mixer.tick(now, None, None);
        mixer.connect_slots(player, recorder).unwrap();
        for _ in 0..60 {
            mixer.tick(now, None, None);
        }
        assert_eq!(
            mixer.poll_event(),
            Some((player, PortEvent::WaveFileDidFinishPlaying))
        );
        mixer
            .port_mut::<RecordingWaveFile>(recorder)
            .unwrap()
            .stop()
            .unwrap();
        let recorded: Vec<i16> = hound::WavReader::open(&target)
            .unwrap()
            .into_samples()
            .map(Result::unwrap)
            .collect();
        // 60 ticks of 20 ms at 8 kHz; the file (1 s) ends after 50 of them.
        assert_eq!(recorded.len(), 60 * 160);
        let tone = &recorded[800..7200];
        assert_eq!(
            dominant_frequency(tone, 8000, &[300.0, 440.0, 600.0]),
            Some(440.0)
        );
        assert!((level_dbfs(tone) - level_dbfs(&samples)).abs() < 1.0);
        assert!(recorded[8400..].iter().all(|&s| s.abs() < 200));
    }
}
