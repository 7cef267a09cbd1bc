//! Overload control (RFC 3261 §21.5.4): 503 Service Unavailable with Retry-After once the
//! pending server transactions reach a limit.

use crate::header::RetryAfter;
use crate::message::{Method, Request, Response, StatusCode};

use super::{UasConfigError, respond};

/// Bounds the pending server transactions (DESIGN §7): beyond `limit`, new requests get
/// 503 Service Unavailable with Retry-After. ACK is never answered and CANCEL always passes
/// (it ends a pending transaction rather than adding load).
///
/// Count transactions with [`OverloadGuard::started`] and [`OverloadGuard::finished`], or set
/// the count from the transaction table with [`OverloadGuard::set_pending`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverloadGuard {
    limit: usize,
    pending: usize,
    retry_after: u32,
}

impl OverloadGuard {
    /// A guard admitting up to `limit` pending transactions and asking rejected clients to
    /// retry after `retry_after_secs` seconds.
    pub fn new(limit: usize, retry_after_secs: u32) -> Result<Self, UasConfigError> {
        if limit == 0 {
            return Err(UasConfigError::Zero("pending transaction limit"));
        }
        Ok(OverloadGuard {
            limit,
            pending: 0,
            retry_after: retry_after_secs,
        })
    }

    /// The limit.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The pending transactions counted.
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// The Retry-After seconds of a 503.
    pub fn retry_after(&self) -> u32 {
        self.retry_after
    }

    /// Counts a server transaction that was created.
    pub fn started(&mut self) {
        self.pending = self.pending.saturating_add(1);
    }

    /// Counts a server transaction that terminated.
    pub fn finished(&mut self) {
        self.pending = self.pending.saturating_sub(1);
    }

    /// Sets the pending count (from the transaction table's size).
    pub fn set_pending(&mut self, pending: usize) {
        self.pending = pending;
    }

    /// `Ok(())` when `request` may start a transaction; 503 with Retry-After when `limit`
    /// transactions are pending. ACK and CANCEL always pass. `tag` supplies the To tag.
    pub fn check(&self, request: &Request, tag: impl FnOnce() -> String) -> Result<(), Response> {
        if matches!(request.method(), Method::Ack | Method::Cancel) || self.pending < self.limit {
            return Ok(());
        }
        Err(respond(request, StatusCode::SERVICE_UNAVAILABLE, tag)
            .typed(&RetryAfter::new(self.retry_after))
            .build())
    }
}
