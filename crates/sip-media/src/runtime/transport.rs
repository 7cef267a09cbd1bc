//! The seed's `RTPTransport` (UDP sockets for RTP and RTCP, states, symmetric RTP) and
//! `AudioTransport` (an [`AudioStream`] in a mixer slot, driven by a receive task).
//!
//! SRTP and ICE come later: the state machine already has `WaitStun`, and SDP passes through
//! [`RtpTransport::set_local`] / [`RtpTransport::set_established`] so they can rewrite it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sip_core::notification::{NotificationData, Sender};
use sip_core::sdp::{Direction, SdpMediaStream, SdpSession};
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

use super::mixer::MixerHandle;
use crate::codec::Codec;
use crate::mixer::MixerError;
use crate::negotiation::{
    CodecPreferences, NegotiationError, answer_media, negotiate, offer_media,
};
use crate::notification::{
    RtpAudioTransportDidNotGetRtp, RtpAudioTransportGotDtmf, RtpTransportDidInitialize,
};
use crate::stream::{AudioStream, AudioStreamConfig, AudioStreamEvent, PacketSink, StreamError};

/// States of an [`RtpTransport`] (the seed's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtpTransportState {
    /// Created, `set_init` not called yet.
    Null,
    /// Ready: the local address and port can be put in SDP.
    Init,
    /// Waiting for a STUN answer (reserved for ICE; not entered yet).
    WaitStun,
    /// A local offer was made.
    Local,
    /// Offer and answer are both known.
    Established,
}

/// Errors of the transports.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AudioTransportError {
    /// No pair of free ports in the range.
    #[error("no free RTP/RTCP port pair in {0}..={1}")]
    NoFreePorts(u16, u16),
    /// A method was called in the wrong state.
    #[error("invalid state {0:?} for this operation")]
    InvalidState(RtpTransportState),
    /// The SDP negotiation failed.
    #[error(transparent)]
    Negotiation(#[from] NegotiationError),
    /// The mixer refused the slot.
    #[error(transparent)]
    Mixer(#[from] MixerError),
    /// A DTMF or stream error.
    #[error(transparent)]
    Stream(#[from] StreamError),
    /// `start` was already called (an AudioTransport is not reusable).
    #[error("the audio transport was already started")]
    AlreadyStarted,
    /// The stream is not running.
    #[error("the audio transport is not active")]
    NotActive,
}

/// Settings of an [`RtpTransport`].
#[derive(Debug, Clone)]
pub struct RtpTransportConfig {
    /// The address to bind and advertise; `None` binds all interfaces and advertises a
    /// guessed address.
    pub local_rtp_address: Option<IpAddr>,
    /// The Engine's `rtp_port_range` (inclusive).
    pub port_range: (u16, u16),
}

impl Default for RtpTransportConfig {
    fn default() -> Self {
        Self {
            local_rtp_address: None,
            port_range: (50000, 50500),
        }
    }
}

#[derive(Debug)]
struct Peer {
    rtp: Option<SocketAddr>,
    rtcp: Option<SocketAddr>,
    received_rtp: Option<SocketAddr>,
}

/// A pair of UDP sockets for RTP and RTCP (the seed's `RTPTransport`).
#[derive(Debug)]
pub struct RtpTransport {
    rtp: Arc<UdpSocket>,
    rtcp: Arc<UdpSocket>,
    advertised: IpAddr,
    port: u16,
    state: RtpTransportState,
    peer: Arc<Mutex<Peer>>,
    remote_sdp: Option<(SocketAddr, SocketAddr)>,
    sender: Option<Sender>,
    center: Option<sip_core::notification::NotificationCenter>,
}

fn guess_address() -> IpAddr {
    // Connecting a UDP socket sends nothing; it only picks the outgoing interface.
    std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| {
            s.connect("192.0.2.1:9")?;
            s.local_addr()
        })
        .map(|a| a.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

impl RtpTransport {
    /// Opens RTP on an even port P of the range and RTCP on P+1, starting at a random pair.
    pub async fn new(
        config: RtpTransportConfig,
        center: Option<sip_core::notification::NotificationCenter>,
    ) -> Result<Self, AudioTransportError> {
        let (low, high) = config.port_range;
        let low = low.max(1024).saturating_add(low % 2);
        let pairs = if high > low { (high - low) / 2 } else { 0 };
        if pairs == 0 {
            return Err(AudioTransportError::NoFreePorts(low, high));
        }
        let bind_ip = config
            .local_rtp_address
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let first = StdRng::from_os_rng().random_range(0..pairs);
        for i in 0..pairs {
            let port = low + 2 * ((first + i) % pairs);
            let Ok(rtp) = UdpSocket::bind(SocketAddr::new(bind_ip, port)).await else {
                continue;
            };
            let Ok(rtcp) = UdpSocket::bind(SocketAddr::new(bind_ip, port + 1)).await else {
                continue;
            };
            let sender = center.as_ref().map(|c| c.new_sender("RTPTransport"));
            return Ok(Self {
                rtp: Arc::new(rtp),
                rtcp: Arc::new(rtcp),
                advertised: config.local_rtp_address.unwrap_or_else(guess_address),
                port,
                state: RtpTransportState::Null,
                peer: Arc::new(Mutex::new(Peer {
                    rtp: None,
                    rtcp: None,
                    received_rtp: None,
                })),
                remote_sdp: None,
                sender,
                center,
            });
        }
        Err(AudioTransportError::NoFreePorts(low, high))
    }

    /// The state.
    pub fn state(&self) -> RtpTransportState {
        self.state
    }

    /// Moves to INIT (also resets from LOCAL or ESTABLISHED) and posts
    /// `RTPTransportDidInitialize`.
    pub fn set_init(&mut self) {
        self.state = RtpTransportState::Init;
        self.remote_sdp = None;
        {
            let mut peer = self.peer.lock().unwrap_or_else(|e| e.into_inner());
            *peer = Peer {
                rtp: None,
                rtcp: None,
                received_rtp: None,
            };
        }
        if let Some(center) = &self.center {
            center.post_notification(
                self.sender.as_ref(),
                NotificationData::custom(RtpTransportDidInitialize {}),
            );
        }
    }

    /// Moves to LOCAL after a local offer. Without SRTP/ICE the SDP is left as is.
    pub fn set_local(
        &mut self,
        _local_sdp: &mut SdpSession,
        _sdp_index: usize,
    ) -> Result<(), AudioTransportError> {
        if self.state != RtpTransportState::Init {
            return Err(AudioTransportError::InvalidState(self.state));
        }
        self.state = RtpTransportState::Local;
        Ok(())
    }

    /// Moves to ESTABLISHED with both SDPs; the peer's RTP and RTCP addresses come from the
    /// remote SDP (`c=`, `m=`, `a=rtcp`).
    pub fn set_established(
        &mut self,
        local_sdp: &SdpSession,
        remote_sdp: &SdpSession,
        sdp_index: usize,
    ) -> Result<(), AudioTransportError> {
        if !matches!(
            self.state,
            RtpTransportState::Init | RtpTransportState::Local
        ) {
            return Err(AudioTransportError::InvalidState(self.state));
        }
        let offerer = self.state == RtpTransportState::Local;
        let n = negotiate(local_sdp, remote_sdp, sdp_index, offerer)?;
        self.remote_sdp = Some((n.remote_rtp, n.remote_rtcp));
        let mut peer = self.peer.lock().unwrap_or_else(|e| e.into_inner());
        peer.rtp = Some(n.remote_rtp);
        peer.rtcp = Some(n.remote_rtcp);
        self.state = RtpTransportState::Established;
        Ok(())
    }

    /// The address to advertise in SDP.
    pub fn local_rtp_address(&self) -> IpAddr {
        self.advertised
    }

    /// The RTP port (RTCP is this + 1).
    pub fn local_rtp_port(&self) -> u16 {
        self.port
    }

    /// The peer's RTP address from SDP (ESTABLISHED only).
    pub fn remote_rtp_address_sdp(&self) -> Option<IpAddr> {
        self.remote_sdp.map(|(a, _)| a.ip())
    }

    /// The peer's RTP port from SDP (ESTABLISHED only).
    pub fn remote_rtp_port_sdp(&self) -> Option<u16> {
        self.remote_sdp.map(|(a, _)| a.port())
    }

    /// The source address of received RTP, once some arrived (symmetric RTP latches to it).
    pub fn remote_rtp_address_received(&self) -> Option<IpAddr> {
        self.peer.lock().ok()?.received_rtp.map(|a| a.ip())
    }

    /// The source port of received RTP.
    pub fn remote_rtp_port_received(&self) -> Option<u16> {
        self.peer.lock().ok()?.received_rtp.map(|a| a.port())
    }

    /// SRTP is not implemented yet: always `false`.
    pub fn srtp_active(&self) -> bool {
        false
    }

    /// ICE is not implemented yet: always `false`.
    pub fn ice_active(&self) -> bool {
        false
    }
}

/// Sends through the transport's sockets to the latched (or SDP) peer addresses.
struct UdpSink {
    rtp: Arc<UdpSocket>,
    rtcp: Arc<UdpSocket>,
    peer: Arc<Mutex<Peer>>,
}

impl PacketSink for UdpSink {
    fn send_rtp(&mut self, packet: &[u8]) {
        let to = self.peer.lock().ok().and_then(|p| p.rtp);
        if let Some(to) = to {
            // A full socket buffer drops the packet, as the network would.
            let _ = self.rtp.try_send_to(packet, to);
        }
    }

    fn send_rtcp(&mut self, packet: &[u8]) {
        let to = self.peer.lock().ok().and_then(|p| p.rtcp);
        if let Some(to) = to {
            let _ = self.rtcp.try_send_to(packet, to);
        }
    }
}

/// An RTP audio stream in a mixer slot (the seed's `AudioTransport`). Not reusable.
#[derive(Debug)]
pub struct AudioTransport {
    mixer: MixerHandle,
    transport: RtpTransport,
    codecs: CodecPreferences,
    remote_offer: Option<SdpSession>,
    sdp_index: usize,
    silence_detection: bool,
    slot: Option<usize>,
    started: bool,
    codec: Option<Codec>,
    direction: Direction,
    task: Option<JoinHandle<()>>,
    sender: Option<Sender>,
}

impl AudioTransport {
    /// An audio transport over `transport` (in INIT). With `remote_sdp` it answers that
    /// offer. `codecs` overrides the Engine's preference list.
    pub fn new(
        mixer: MixerHandle,
        mut transport: RtpTransport,
        remote_sdp: Option<SdpSession>,
        sdp_index: usize,
        enable_silence_detection: bool,
        codecs: Option<CodecPreferences>,
    ) -> Result<Self, AudioTransportError> {
        if transport.state() == RtpTransportState::Null {
            transport.set_init();
        }
        let sender = mixer
            .notification_center()
            .map(|c| c.new_sender("AudioTransport"));
        Ok(Self {
            mixer,
            transport,
            codecs: codecs.unwrap_or_default(),
            remote_offer: remote_sdp,
            sdp_index,
            silence_detection: enable_silence_detection,
            slot: None,
            started: false,
            codec: None,
            direction: Direction::SendRecv,
            task: None,
            sender,
        })
    }

    /// The RTP transport.
    pub fn transport(&self) -> &RtpTransport {
        &self.transport
    }

    /// The mixer.
    pub fn mixer(&self) -> &MixerHandle {
        &self.mixer
    }

    /// This stream's SDP media section for an offer or an answer.
    pub fn get_local_media(
        &self,
        is_offer: bool,
        direction: Direction,
    ) -> Result<SdpMediaStream, AudioTransportError> {
        let ip = self.transport.local_rtp_address();
        let port = self.transport.local_rtp_port();
        match (&self.remote_offer, is_offer) {
            (Some(offer), false) => {
                let media = offer
                    .media
                    .get(self.sdp_index)
                    .ok_or(NegotiationError::NoAudioStream(self.sdp_index))?;
                Ok(answer_media(
                    &self.codecs,
                    media,
                    ip,
                    port,
                    port + 1,
                    direction,
                )?)
            }
            _ => Ok(offer_media(&self.codecs, ip, port, port + 1, direction)),
        }
    }

    /// Starts the stream once both SDPs are known. `no_media_timeout` of zero disables the
    /// RTP checks; `media_check_interval` of zero disables the periodic ones.
    pub fn start(
        &mut self,
        local_sdp: &SdpSession,
        remote_sdp: &SdpSession,
        sdp_index: usize,
        no_media_timeout: Duration,
        media_check_interval: Duration,
    ) -> Result<(), AudioTransportError> {
        if self.started {
            return Err(AudioTransportError::AlreadyStarted);
        }
        let offerer = self.remote_offer.is_none();
        if offerer && self.transport.state() == RtpTransportState::Init {
            let mut local = local_sdp.clone();
            self.transport.set_local(&mut local, sdp_index)?;
        }
        self.transport
            .set_established(local_sdp, remote_sdp, sdp_index)?;
        let negotiated = negotiate(local_sdp, remote_sdp, sdp_index, offerer)?;
        let now = Instant::now();
        let config = AudioStreamConfig {
            session: crate::rtp::RtpSessionConfig {
                seed: StdRng::from_os_rng().random(),
                wallclock_at_epoch: std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default(),
                ..Default::default()
            },
            silence_detection: self.silence_detection,
            no_media_timeout,
            media_check_interval,
            ..AudioStreamConfig::default()
        };
        let sink = UdpSink {
            rtp: self.transport.rtp.clone(),
            rtcp: self.transport.rtcp.clone(),
            peer: self.transport.peer.clone(),
        };
        self.codec = Some(negotiated.codec);
        self.direction = negotiated.direction;
        let stream = AudioStream::new(negotiated, config, Box::new(sink), now);
        let slot = self.mixer.add_port(Box::new(stream), None)?;
        self.slot = Some(slot);
        self.started = true;
        self.task = Some(tokio::spawn(receive_loop(
            self.mixer.clone(),
            slot,
            self.transport.rtp.clone(),
            self.transport.rtcp.clone(),
            self.transport.peer.clone(),
            self.sender.clone(),
        )));
        Ok(())
    }

    /// Stops the stream: sends RTCP BYE, frees the slot. The object cannot start again.
    pub fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        if let Some(slot) = self.slot.take() {
            if let Some(stream) = self.mixer.lock().port_mut::<AudioStream>(slot) {
                stream.close(Instant::now());
            }
            let _ = self.mixer.remove_port(slot);
        }
    }

    /// Sends a DTMF digit as telephone-event.
    pub fn send_dtmf(&self, digit: char) -> Result<(), AudioTransportError> {
        let slot = self.slot.ok_or(AudioTransportError::NotActive)?;
        let mut mixer = self.mixer.lock();
        let stream = mixer
            .port_mut::<AudioStream>(slot)
            .ok_or(AudioTransportError::NotActive)?;
        Ok(stream.send_dtmf(digit)?)
    }

    /// Applies the negotiated direction (hold: sendonly, recvonly, inactive).
    pub fn update_direction(&mut self, direction: Direction) -> Result<(), AudioTransportError> {
        let slot = self.slot.ok_or(AudioTransportError::NotActive)?;
        if let Some(stream) = self.mixer.lock().port_mut::<AudioStream>(slot) {
            stream.update_direction(direction);
        }
        self.direction = direction;
        Ok(())
    }

    /// The negotiated codec (None before `start`).
    pub fn codec(&self) -> Option<Codec> {
        self.codec
    }

    /// The codec's sample rate (None before `start`).
    pub fn sample_rate(&self) -> Option<u32> {
        self.codec.map(Codec::sample_rate)
    }

    /// The mixer slot (None when not running).
    pub fn slot(&self) -> Option<usize> {
        self.slot
    }

    /// The sending volume in percent.
    pub fn volume(&self) -> Option<u32> {
        self.mixer.lock().slot_volume(self.slot?)
    }

    /// Sets the sending volume in percent.
    pub fn set_volume(&self, volume: u32) -> Result<(), AudioTransportError> {
        let slot = self.slot.ok_or(AudioTransportError::NotActive)?;
        Ok(self.mixer.lock().set_slot_volume(slot, volume)?)
    }

    /// Whether the stream is running.
    pub fn is_active(&self) -> bool {
        self.slot.is_some()
    }

    /// Whether `start` was ever called (stays true after `stop`).
    pub fn is_started(&self) -> bool {
        self.started
    }

    /// The current direction.
    pub fn direction(&self) -> Direction {
        self.direction
    }
}

impl Drop for AudioTransport {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn receive_loop(
    mixer: MixerHandle,
    slot: usize,
    rtp: Arc<UdpSocket>,
    rtcp: Arc<UdpSocket>,
    peer: Arc<Mutex<Peer>>,
    sender: Option<Sender>,
) {
    let mut rtp_buf = vec![0u8; 2048];
    let mut rtcp_buf = vec![0u8; 2048];
    let mut poll = tokio::time::interval(Duration::from_millis(100));
    let mut events = Vec::new();
    loop {
        tokio::select! {
            received = rtp.recv_from(&mut rtp_buf) => {
                let Ok((len, from)) = received else { continue };
                let mut core = mixer.lock();
                let Some(stream) = core.port_mut::<AudioStream>(slot) else { return };
                if stream.handle_rtp(Instant::now(), &rtp_buf[..len]).is_ok()
                    && let Ok(mut p) = peer.lock()
                    && p.received_rtp != Some(from)
                {
                    // Symmetric RTP: send where the media comes from.
                    p.received_rtp = Some(from);
                    p.rtp = Some(from);
                }
                while let Some(e) = stream.poll_event() { events.push(e); }
            }
            received = rtcp.recv_from(&mut rtcp_buf) => {
                let Ok((len, from)) = received else { continue };
                let mut core = mixer.lock();
                let Some(stream) = core.port_mut::<AudioStream>(slot) else { return };
                if stream.handle_rtcp(Instant::now(), &rtcp_buf[..len]).is_ok()
                    && let Ok(mut p) = peer.lock()
                {
                    p.rtcp = Some(from);
                }
            }
            _ = poll.tick() => {
                let mut core = mixer.lock();
                let Some(stream) = core.port_mut::<AudioStream>(slot) else { return };
                while let Some(e) = stream.poll_event() { events.push(e); }
            }
        }
        if let Some(center) = mixer.notification_center() {
            for event in events.drain(..) {
                let data = match event {
                    AudioStreamEvent::GotDtmf(digit) => {
                        NotificationData::custom(RtpAudioTransportGotDtmf { digit })
                    }
                    AudioStreamEvent::DidNotGetRtp { got_any } => {
                        NotificationData::custom(RtpAudioTransportDidNotGetRtp { got_any })
                    }
                };
                center.post_notification(sender.as_ref(), data);
            }
        }
        events.clear();
    }
}
