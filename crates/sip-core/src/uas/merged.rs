//! Merged requests (RFC 3261 §8.2.2.2): the same request reaching this UAS twice over
//! different paths (a forking proxy upstream) gets 482 Loop Detected on the second arrival.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::header::{CSeq, CallId, FromHeader, ToHeader, Via};
use crate::message::{Method, Request, Response, StatusCode};

use super::{UasConfigError, respond};

/// (From tag, Call-ID, CSeq number, CSeq method): what a forked copy shares with the original.
type MergeKey = (String, String, u32, Method);

#[derive(Debug, Clone)]
struct Entry {
    branch: String,
    expires: Instant,
    seq: u64,
}

/// Detects merged requests (RFC 3261 §8.2.2.2): remembers, per (From tag, Call-ID, CSeq), the
/// top Via branch of the first out-of-dialog request seen, and answers 482 Loop Detected to a
/// request without To tag that repeats the key with another branch within the window.
///
/// The window defaults to 64×T1 (32 s, the lifetime of a server transaction). Memory is
/// bounded: at most a capacity of keys (default 4096, the oldest forgotten first), and a request
/// whose From tag, Call-ID or branch is longer than [`MergedRequestDetector::MAX_KEY_PART`]
/// bytes is not remembered (it passes). Time is an input: pass the same monotonic `now` that
/// drives the transaction layer.
#[derive(Debug, Clone)]
pub struct MergedRequestDetector {
    window: Duration,
    capacity: usize,
    entries: HashMap<MergeKey, Entry>,
    /// Keys in insertion (and so expiry) order; an item whose `seq` no longer matches the map
    /// entry is stale.
    order: VecDeque<(MergeKey, u64)>,
    next_seq: u64,
}

impl Default for MergedRequestDetector {
    /// A window of 64×T1 with T1 = 500 ms and a capacity of 4096.
    fn default() -> Self {
        MergedRequestDetector {
            window: Self::DEFAULT_WINDOW,
            capacity: Self::DEFAULT_CAPACITY,
            entries: HashMap::new(),
            order: VecDeque::new(),
            next_seq: 0,
        }
    }
}

impl MergedRequestDetector {
    /// 64×T1 with the default T1 of 500 ms.
    pub const DEFAULT_WINDOW: Duration = Duration::from_secs(32);
    /// Keys remembered at most, by default.
    pub const DEFAULT_CAPACITY: usize = 4096;

    /// The longest From tag, Call-ID or top Via branch remembered, in bytes.
    pub const MAX_KEY_PART: usize = 256;

    /// A detector that remembers a key for `window` and at most `capacity` keys.
    pub fn new(window: Duration, capacity: usize) -> Result<Self, UasConfigError> {
        if capacity == 0 {
            return Err(UasConfigError::Zero("merged request detector capacity"));
        }
        Ok(MergedRequestDetector {
            window,
            capacity,
            ..Self::default()
        })
    }

    /// A detector whose window is 64×`t1` (RFC 3261 §17.2, Timer J / the transaction
    /// lifetime), with the default capacity.
    pub fn with_t1(t1: Duration) -> Self {
        MergedRequestDetector {
            window: t1.saturating_mul(64),
            ..Self::default()
        }
    }

    /// How long a key is remembered.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// Keys currently remembered (expired ones count until [`MergedRequestDetector::purge`]).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Checks `request`, received at `now`: 482 Loop Detected when it has no To tag and its
    /// (From tag, Call-ID, CSeq) was first seen with another top Via branch less than the window
    /// ago; otherwise remembers it (a first arrival) and returns `Ok(())`. A retransmission
    /// (same branch) passes. ACKs, requests with a To tag (in a dialog) and requests whose From
    /// tag, Call-ID, CSeq or Via cannot be read pass without being remembered. `tag` supplies the
    /// 482's To tag.
    pub fn check(
        &mut self,
        now: Instant,
        request: &Request,
        tag: impl FnOnce() -> String,
    ) -> Result<(), Response> {
        if *request.method() == Method::Ack {
            return Ok(());
        }
        let Some((key, branch)) = merge_key(request) else {
            return Ok(());
        };
        if let Some(entry) = self.entries.get(&key)
            && entry.expires > now
        {
            if entry.branch == branch {
                return Ok(());
            }
            return Err(respond(request, StatusCode::LOOP_DETECTED, tag).build());
        }
        self.purge(now);
        while self.order.len() >= self.capacity {
            self.pop_oldest();
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.push_back((key.clone(), seq));
        self.entries.insert(
            key,
            Entry {
                branch,
                expires: now + self.window,
                seq,
            },
        );
        Ok(())
    }

    /// Forgets every key whose window has passed at `now`.
    pub fn purge(&mut self, now: Instant) {
        while let Some((key, seq)) = self.order.front() {
            match self.entries.get(key) {
                Some(e) if e.seq == *seq && e.expires > now => break,
                _ => self.pop_oldest(),
            }
        }
    }

    fn pop_oldest(&mut self) {
        if let Some((key, seq)) = self.order.pop_front()
            && self.entries.get(&key).is_some_and(|e| e.seq == seq)
        {
            self.entries.remove(&key);
        }
    }
}

/// The merge key and top Via branch of an out-of-dialog request; `None` when it has a To tag
/// or lacks something needed.
fn merge_key(request: &Request) -> Option<(MergeKey, String)> {
    let headers = request.headers();
    let to: ToHeader = headers.typed_first().ok()??;
    if to.tag().is_some() {
        return None;
    }
    let from: FromHeader = headers.typed_first().ok()??;
    let call_id: CallId = headers.typed_first().ok()??;
    let cseq: CSeq = headers.typed_first().ok()??;
    let via: Via = headers.typed_first().ok()??;
    // Without a branch (RFC 2543), the whole top Via stands for it.
    let branch = match via.branch() {
        Some(b) => b.to_owned(),
        None => via.to_string(),
    };
    let from_tag = from.tag()?;
    let limit = MergedRequestDetector::MAX_KEY_PART;
    if from_tag.len() > limit || call_id.as_str().len() > limit || branch.len() > limit {
        return None;
    }
    let key = (
        from_tag.to_owned(),
        call_id.as_str().to_owned(),
        cseq.seq,
        cseq.method,
    );
    Some((key, branch))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::SipMessage;

    fn invite(call_id: &str, branch: &str) -> Request {
        let raw = format!(
            "INVITE sip:bob@example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP h.example.com;branch={branch}\r\n\
To: <sip:bob@example.com>\r\n\
From: <sip:alice@example.com>;tag=f1\r\n\
Call-ID: {call_id}\r\n\
CSeq: 1 INVITE\r\n\r\n"
        );
        SipMessage::parse(raw.into_bytes())
            .unwrap()
            .as_request()
            .unwrap()
            .clone()
    }

    #[test]
    fn replaced_expired_keys_leave_bounded_bookkeeping() {
        let mut d = MergedRequestDetector::new(Duration::from_secs(1), 4).unwrap();
        let t0 = Instant::now();
        for i in 0..100u64 {
            let now = t0 + Duration::from_secs(i);
            d.check(now, &invite("same@h", &format!("z9hG4bK{i}")), || {
                "t".into()
            })
            .unwrap();
            assert!(d.order.len() <= 4);
            assert_eq!(d.len(), 1);
        }
    }

    #[test]
    fn oversized_key_parts_are_not_remembered() {
        let mut d = MergedRequestDetector::default();
        let long = "x".repeat(MergedRequestDetector::MAX_KEY_PART + 1);
        let t0 = Instant::now();
        assert!(
            d.check(t0, &invite(&long, "z9hG4bKa"), || "t".into())
                .is_ok()
        );
        assert!(
            d.check(t0, &invite(&long, "z9hG4bKb"), || "t".into())
                .is_ok()
        );
        assert!(d.is_empty());
    }

    #[test]
    fn requests_without_branch_use_the_whole_via() {
        let mut d = MergedRequestDetector::default();
        let t0 = Instant::now();
        let a = invite("c@h", "z9hG4bKa");
        let mut b = a.clone();
        b.headers_mut().set(
            crate::header::HeaderName::Via,
            "SIP/2.0/UDP other.example.com",
        );
        assert!(d.check(t0, &a, || "t".into()).is_ok());
        assert_eq!(
            d.check(t0, &b, || "t".into()).unwrap_err().status().code(),
            482
        );
    }
}
