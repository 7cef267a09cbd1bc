//! The timers of is-composing (RFC 3994), sans-IO. The XML document itself is in
//! sip-payloads; this module says when to send one and what state the peer is in.
//!
//! Sender ([`ComposingSender`]): the first keystroke makes the state `Active` and sends an
//! indication with a refresh interval; while typing continues, an `Active` indication is
//! re-sent every refresh interval; when no keystroke came for the idle timeout (15 s by
//! default) an `Idle` indication is sent; sending the message itself makes the state `Idle`
//! without an indication (the receiver infers it).
//!
//! Receiver ([`ComposingReceiver`]): an `Active` indication holds for its refresh interval
//! (120 s when absent), after which the peer is `Idle` again; so do an `Idle` indication and
//! the arrival of a message.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sip_msrp::composing::{ComposingSender, ComposingState};
//!
//! let t0 = Instant::now();
//! let mut s = ComposingSender::new(Duration::from_secs(15), Duration::from_secs(90));
//! let first = s.typing(t0).expect("an Active indication");
//! assert_eq!(first.state, ComposingState::Active);
//! assert_eq!(first.refresh, Some(90));
//! assert!(s.typing(t0 + Duration::from_secs(1)).is_none());
//! assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(16)));
//! let idle = s.handle_timeout(t0 + Duration::from_secs(16)).expect("an Idle indication");
//! assert_eq!(idle.state, ComposingState::Idle);
//! # let _ = idle;
//! ```

use std::time::{Duration, Instant};

/// The composing state of RFC 3994.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ComposingState {
    /// Not composing.
    #[default]
    Idle,
    /// Composing a message.
    Active,
}

impl ComposingState {
    /// `idle` or `active`, as in the XML document.
    pub fn as_str(self) -> &'static str {
        match self {
            ComposingState::Idle => "idle",
            ComposingState::Active => "active",
        }
    }
}

/// An indication to send: the state and, for `Active`, the refresh interval in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ComposingIndication {
    /// The state.
    pub state: ComposingState,
    /// The refresh interval (only with `Active`).
    pub refresh: Option<u64>,
}

/// The sender's timers. See the module documentation.
#[derive(Debug, Clone)]
pub struct ComposingSender {
    idle_timeout: Duration,
    refresh: Duration,
    state: ComposingState,
    last_typed: Option<Instant>,
    refresh_at: Option<Instant>,
}

impl ComposingSender {
    /// The RFC 3994 defaults: idle after 15 s, refresh every 90 s. The refresh interval is
    /// raised to 60 s at least (RFC 3994 §5).
    pub fn new(idle_timeout: Duration, refresh: Duration) -> Self {
        ComposingSender {
            idle_timeout,
            refresh: refresh.max(Duration::from_secs(60)),
            state: ComposingState::Idle,
            last_typed: None,
            refresh_at: None,
        }
    }

    /// The current state.
    pub fn state(&self) -> ComposingState {
        self.state
    }

    fn active(&mut self, now: Instant) -> ComposingIndication {
        self.refresh_at = Some(now + self.refresh);
        ComposingIndication {
            state: ComposingState::Active,
            refresh: Some(self.refresh.as_secs()),
        }
    }

    /// The user typed: returns an `Active` indication to send when the state was `Idle`.
    pub fn typing(&mut self, now: Instant) -> Option<ComposingIndication> {
        self.last_typed = Some(now);
        if self.state == ComposingState::Idle {
            self.state = ComposingState::Active;
            return Some(self.active(now));
        }
        None
    }

    /// The message was sent: the state becomes `Idle` with nothing to send.
    pub fn message_sent(&mut self) {
        self.state = ComposingState::Idle;
        self.last_typed = None;
        self.refresh_at = None;
    }

    /// When [`handle_timeout`](Self::handle_timeout) must run next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.state == ComposingState::Idle {
            return None;
        }
        let idle_at = self.last_typed.map(|t| t + self.idle_timeout);
        match (idle_at, self.refresh_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Runs the timers: an `Idle` indication after the idle timeout, or an `Active` refresh.
    pub fn handle_timeout(&mut self, now: Instant) -> Option<ComposingIndication> {
        if self.state == ComposingState::Idle {
            return None;
        }
        if self
            .last_typed
            .is_some_and(|t| now >= t + self.idle_timeout)
        {
            self.message_sent();
            return Some(ComposingIndication {
                state: ComposingState::Idle,
                refresh: None,
            });
        }
        if self.refresh_at.is_some_and(|r| now >= r) {
            return Some(self.active(now));
        }
        None
    }
}

impl Default for ComposingSender {
    fn default() -> Self {
        ComposingSender::new(Duration::from_secs(15), Duration::from_secs(90))
    }
}

/// The receiver's view of the peer. See the module documentation.
#[derive(Debug, Clone, Default)]
pub struct ComposingReceiver {
    state: ComposingState,
    expires: Option<Instant>,
}

impl ComposingReceiver {
    /// The peer's state.
    pub fn state(&self) -> ComposingState {
        self.state
    }

    /// An indication arrived; returns the new state when it changed.
    pub fn handle_indication(
        &mut self,
        now: Instant,
        state: ComposingState,
        refresh: Option<u64>,
    ) -> Option<ComposingState> {
        let old = self.state;
        self.state = state;
        self.expires = match state {
            ComposingState::Active => {
                Some(now + Duration::from_secs(refresh.unwrap_or(120).clamp(1, 86_400)))
            }
            ComposingState::Idle => None,
        };
        (old != state).then_some(state)
    }

    /// A message arrived from the peer: it is `Idle` now. Returns the new state when it changed.
    pub fn message_received(&mut self) -> Option<ComposingState> {
        self.expires = None;
        let changed = self.state == ComposingState::Active;
        self.state = ComposingState::Idle;
        changed.then_some(ComposingState::Idle)
    }

    /// When the `Active` state lapses.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.expires
    }

    /// Lapses an `Active` state that was not refreshed; returns `Idle` when it did.
    pub fn handle_timeout(&mut self, now: Instant) -> Option<ComposingState> {
        if self.expires.is_some_and(|e| now >= e) {
            self.expires = None;
            self.state = ComposingState::Idle;
            return Some(ComposingState::Idle);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sender_refreshes_while_typing_and_goes_idle() {
        let t0 = Instant::now();
        let s_ = |n| t0 + Duration::from_secs(n);
        let mut s = ComposingSender::new(Duration::from_secs(15), Duration::from_secs(60));
        assert_eq!(s.poll_timeout(), None);
        assert!(s.typing(t0).is_some());
        // Keep typing every 10 s for 2 minutes: refreshes at 60 and 120 only.
        let mut sent = Vec::new();
        for k in 1..=12 {
            let now = s_(k * 10);
            while let Some(t) = s.poll_timeout().filter(|t| *t <= now) {
                if let Some(ind) = s.handle_timeout(t) {
                    sent.push((t, ind));
                }
            }
            assert!(s.typing(now).is_none());
        }
        assert_eq!(
            sent.iter().map(|(t, i)| (*t, i.state)).collect::<Vec<_>>(),
            vec![
                (s_(60), ComposingState::Active),
                (s_(120), ComposingState::Active)
            ]
        );
        // Stop typing at 120 s: idle at 135 s.
        assert_eq!(s.poll_timeout(), Some(s_(135)));
        assert_eq!(
            s.handle_timeout(s_(135)),
            Some(ComposingIndication {
                state: ComposingState::Idle,
                refresh: None
            })
        );
        assert_eq!(s.state(), ComposingState::Idle);
        assert_eq!(s.poll_timeout(), None);
        // Sending a message goes idle silently.
        assert!(s.typing(s_(200)).is_some());
        s.message_sent();
        assert_eq!(s.poll_timeout(), None);
        assert_eq!(s.handle_timeout(s_(300)), None);
    }

    #[test]
    fn refresh_is_at_least_60_seconds() {
        let mut s = ComposingSender::new(Duration::from_secs(15), Duration::from_secs(5));
        assert_eq!(s.typing(Instant::now()).unwrap().refresh, Some(60));
    }

    #[test]
    fn receiver_lapses_without_refresh() {
        let t0 = Instant::now();
        let mut r = ComposingReceiver::default();
        assert_eq!(
            r.handle_indication(t0, ComposingState::Active, Some(90)),
            Some(ComposingState::Active)
        );
        assert_eq!(r.poll_timeout(), Some(t0 + Duration::from_secs(90)));
        assert_eq!(
            r.handle_indication(
                t0 + Duration::from_secs(60),
                ComposingState::Active,
                Some(90)
            ),
            None
        );
        assert_eq!(r.handle_timeout(t0 + Duration::from_secs(100)), None);
        assert_eq!(
            r.handle_timeout(t0 + Duration::from_secs(150)),
            Some(ComposingState::Idle)
        );
        assert_eq!(
            r.handle_indication(t0, ComposingState::Active, None),
            Some(ComposingState::Active)
        );
        assert_eq!(r.poll_timeout(), Some(t0 + Duration::from_secs(120)));
        assert_eq!(r.message_received(), Some(ComposingState::Idle));
        assert_eq!(r.poll_timeout(), None);
        assert_eq!(r.message_received(), None);
    }
}
