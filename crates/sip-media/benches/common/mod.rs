//! A farm of two-party G.711 calls bridged through one mixer, shared by the bridge benchmark
//! and the steady-path allocation test.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sip_core::sdp::Direction;
use sip_media::codec::Codec;
use sip_media::mixer::AudioMixer;
use sip_media::negotiation::NegotiatedAudio;
use sip_media::rtp::RtpSessionConfig;
use sip_media::stream::{AudioStream, AudioStreamConfig, PacketSink};

/// Keeps the last RTP packet a stream sent, in a fixed buffer.
#[derive(Clone)]
pub(crate) struct LastPacket(pub(crate) Arc<Mutex<(Vec<u8>, usize)>>);

impl PacketSink for LastPacket {
    fn send_rtp(&mut self, packet: &[u8]) {
        let mut last = self.0.lock().unwrap();
        let n = packet.len().min(last.0.len());
        last.0[..n].copy_from_slice(&packet[..n]);
        last.1 = n;
    }
    fn send_rtcp(&mut self, _packet: &[u8]) {}
}

/// N calls: 2N streams in one mixer, each call's two streams connected both ways. Every
/// stream's own packets come back to it as received media, so each cycle runs the whole
/// path per stream: RTP parse, statistics, jitter buffer, decode, mix, encode, packetise.
pub(crate) struct CallFarm {
    pub(crate) mixer: AudioMixer,
    pub(crate) streams: Vec<(usize, LastPacket)>,
    pub(crate) now: Instant,
    scratch: Vec<u8>,
}

impl CallFarm {
    pub(crate) fn new(calls: usize, codec: Codec, rtcp_interval: Duration) -> Self {
        let now = Instant::now();
        let mut mixer = AudioMixer::new(codec.sample_rate(), 2 * calls + 1).unwrap();
        let mut streams = Vec::new();
        for call in 0..calls {
            let mut pair = [0usize; 2];
            for (side, slot) in pair.iter_mut().enumerate() {
                let sink = LastPacket(Arc::new(Mutex::new((vec![0; 1500], 0))));
                let negotiated = NegotiatedAudio {
                    codec,
                    send_payload_type: codec.static_payload_type(),
                    receive_payload_type: codec.static_payload_type(),
                    send_telephone_event: Some(101),
                    receive_telephone_event: Some(101),
                    direction: Direction::SendRecv,
                    remote_rtp: "127.0.0.1:4000".parse().unwrap(),
                    remote_rtcp: "127.0.0.1:4001".parse().unwrap(),
                    ptime: None,
                };
                let config = AudioStreamConfig {
                    session: RtpSessionConfig {
                        seed: (call * 2 + side) as u64,
                        rtcp_interval,
                        ..RtpSessionConfig::default()
                    },
                    ..AudioStreamConfig::default()
                };
                let stream = AudioStream::new(negotiated, config, Box::new(sink.clone()), now);
                *slot = mixer.add_port(Box::new(stream)).unwrap();
                streams.push((*slot, sink));
            }
            mixer.connect_slots(pair[0], pair[1]).unwrap();
            mixer.connect_slots(pair[1], pair[0]).unwrap();
        }
        // Seed every stream with a little audio so frames are never all silence.
        let mut farm = Self {
            mixer,
            streams,
            now,
            scratch: vec![0; 1500],
        };
        let frame: Vec<i16> = (0..codec.sample_rate() / 50)
            .map(|n| ((n as f64 * 0.3).sin() * 8000.0) as i16)
            .collect();
        for i in 0..farm.streams.len() {
            let slot = farm.streams[i].0;
            let port = farm.mixer.port_mut::<AudioStream>(slot).unwrap();
            use sip_media::mixer::AudioPort;
            port.put_frame(now, &frame);
        }
        farm
    }

    /// One 20 ms cycle for every stream.
    pub(crate) fn cycle(&mut self) {
        let now = self.now;
        for (slot, sink) in &self.streams {
            let len = {
                let last = sink.0.lock().unwrap();
                self.scratch[..last.1].copy_from_slice(&last.0[..last.1]);
                last.1
            };
            if len > 0 {
                let stream = self.mixer.port_mut::<AudioStream>(*slot).unwrap();
                let _ = stream.handle_rtp(now, &self.scratch[..len]);
            }
        }
        self.mixer.tick(now, None, None);
        self.now += Duration::from_millis(20);
    }
}
