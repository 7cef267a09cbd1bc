//! A small single-consumer queue for the queues that live as long as a dialog (a dialog
//! route's events, an Invitation's commands and events).
//!
//! A tokio channel allocates a 32-slot block and a cache-padded control block when it is
//! created, close to a kilobyte each; tens of thousands of established calls each holding
//! three of them would spend more on idle queues than on the calls. A [`Mailbox`] is a
//! `VecDeque` behind a mutex and a [`Notify`]: it holds no buffer while empty.
//!
//! Closing is explicit: the producer side closes it when it goes away (its owner's `Drop`),
//! the consumer side when it stops listening; after that, pushes fail and the consumer drains
//! what is queued and then gets `None`.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use tokio::sync::Notify;

/// Why a push failed; the item comes back.
#[derive(Debug)]
pub(crate) enum PushError<T> {
    /// The mailbox holds its capacity.
    Full(T),
    /// The mailbox was closed.
    Closed(T),
}

#[derive(Debug)]
struct State<T> {
    queue: VecDeque<T>,
    closed: bool,
}

/// See the [module documentation](self).
#[derive(Debug)]
pub(crate) struct Mailbox<T> {
    state: Mutex<State<T>>,
    notify: Notify,
}

impl<T> Mailbox<T> {
    /// An open, empty mailbox.
    pub(crate) fn new() -> Self {
        Mailbox {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                closed: false,
            }),
            notify: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `item` unless the mailbox is closed or already holds `capacity` items.
    pub(crate) fn push(&self, item: T, capacity: usize) -> Result<(), PushError<T>> {
        {
            let mut state = self.lock();
            if state.closed {
                return Err(PushError::Closed(item));
            }
            if state.queue.len() >= capacity {
                return Err(PushError::Full(item));
            }
            state.queue.push_back(item);
        }
        self.notify.notify_waiters();
        Ok(())
    }

    /// Closes the mailbox: later pushes fail; queued items can still be received.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.notify.notify_waiters();
    }

    /// True once closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// The next item if one is queued.
    pub(crate) fn try_recv(&self) -> Option<T> {
        let mut state = self.lock();
        let item = state.queue.pop_front();
        if state.queue.is_empty() && state.queue.capacity() > 0 {
            // Nothing kept while idle.
            state.queue = VecDeque::new();
        }
        item
    }

    /// The next item, waiting for one; `None` once closed and drained.
    pub(crate) async fn recv(&self) -> Option<T> {
        loop {
            // Registered before the check, so a push in between is not missed.
            let notified = self.notify.notified();
            if let Some(item) = self.try_recv() {
                return Some(item);
            }
            if self.is_closed() {
                return None;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test]
    async fn items_arrive_in_order_and_close_ends_the_stream() {
        let mailbox = Arc::new(Mailbox::new());
        mailbox.push(1, 8).unwrap();
        mailbox.push(2, 8).unwrap();
        assert_eq!(mailbox.recv().await, Some(1));
        let waiter = {
            let mailbox = mailbox.clone();
            tokio::spawn(async move {
                let mut got = Vec::new();
                while let Some(i) = mailbox.recv().await {
                    got.push(i);
                }
                got
            })
        };
        tokio::task::yield_now().await;
        mailbox.push(3, 8).unwrap();
        mailbox.close();
        assert!(matches!(mailbox.push(4, 8), Err(PushError::Closed(4))));
        assert_eq!(waiter.await.unwrap(), [2, 3]);
    }

    #[test]
    fn capacity_is_enforced_and_the_buffer_released_when_empty() {
        let mailbox = Mailbox::new();
        mailbox.push("a", 1).unwrap();
        assert!(matches!(mailbox.push("b", 1), Err(PushError::Full("b"))));
        assert_eq!(mailbox.try_recv(), Some("a"));
        assert_eq!(mailbox.lock().queue.capacity(), 0);
        assert_eq!(mailbox.try_recv(), None);
    }
}
