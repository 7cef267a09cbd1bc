//! The application-wide notification center (DESIGN.md §4; the seed's `NotificationCenter`).
//!
//! A [`NotificationCenter`] is owned by the application object (it is not a global singleton)
//! and handed to every component as a cheap [`Clone`] handle. Components post typed
//! [`Notification`]s `{ name, sender, timestamp, data }`; observers subscribe by name and/or
//! sender (the seed's `add_observer(observer, name=…, sender=…)`) and receive the matching
//! notifications through an [`Observer`].
//!
//! * Posting ([`NotificationCenter::post_notification`]) never waits for observers (it takes only
//!   short internal locks) and may be called from any thread or task. Filtering happens at post time, so an observer only queues what it asked
//!   for.
//! * Each observer has a bounded queue. An observer that falls behind loses the oldest
//!   notifications and its next receive returns [`RecvError::Lagged`] with the number lost; it
//!   then continues with the oldest notification still queued (tokio `broadcast` semantics).
//! * Delivery order is the posting order, per observer. The center is for observation only:
//!   nothing that correctness depends on travels only on it. Code that drives an object uses
//!   that object's lossless event stream; an observer that lagged re-reads the state it needs.
//! * [`Observer::recv`] is an `async fn` built on std only (it works on any executor), and
//!   [`Observer::try_recv`] polls without waiting, so the module is available with and without
//!   the `runtime` feature.
//!
//! ```
//! use sip_core::notification::{NotificationCenter, NotificationData};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let center = NotificationCenter::new();
//! let engine = center.new_sender("Engine");
//!
//! // Only SIPEngineDidStart, from any sender.
//! let mut observer = center.add_observer(Some("SIPEngineDidStart"), None);
//!
//! center.post_notification(Some(&engine), NotificationData::EngineWillStart);
//! center.post_notification(Some(&engine), NotificationData::EngineDidStart);
//!
//! let notification = observer.recv().await.unwrap();
//! assert_eq!(notification.name(), "SIPEngineDidStart");
//! assert_eq!(notification.sender().map(|s| s.id()), Some(engine.id()));
//! assert!(observer.try_recv().is_err()); // SIPEngineWillStart was filtered out
//! # });
//! ```

mod data;

use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Waker};
use std::time::SystemTime;

pub use data::{
    EngineDidFailData, EngineLogData, GotExceptionData, GotMessageData, NotificationData,
    NotificationPayload, SipTraceData,
};

/// The default number of notifications an observer can hold before it lags.
pub const DEFAULT_CAPACITY: usize = 1024;

/// A source of wall-clock timestamps for notifications, injectable for tests.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The [`Clock`] that reads [`SystemTime::now`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// The identity of a sender, unique within one [`NotificationCenter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SenderId(u64);

impl SenderId {
    /// The raw number.
    pub fn get(self) -> u64 {
        self.0
    }
}

/// Who posted a notification: an id allocated by [`NotificationCenter::new_sender`] and a
/// human-readable label (`"Engine"`, `"Invitation"`, …).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sender {
    id: SenderId,
    label: Arc<str>,
}

impl Sender {
    /// The sender's id, used to subscribe to its notifications.
    pub fn id(&self) -> SenderId {
        self.id
    }

    /// The label given when the sender was created.
    pub fn label(&self) -> &str {
        &self.label
    }
}

struct NotificationInner {
    sender: Option<Sender>,
    timestamp: SystemTime,
    data: NotificationData,
}

/// A posted notification: name, sender, timestamp and typed data. Cloning is cheap (the
/// contents are shared).
#[derive(Clone)]
pub struct Notification(Arc<NotificationInner>);

impl Notification {
    /// The exact seed name (`"SIPEngineDidStart"`).
    pub fn name(&self) -> &'static str {
        self.0.data.name()
    }

    /// Who posted it; `None` for anonymous notifications (the seed's sender-less ones).
    pub fn sender(&self) -> Option<&Sender> {
        self.0.sender.as_ref()
    }

    /// When it was posted.
    pub fn timestamp(&self) -> SystemTime {
        self.0.timestamp
    }

    /// The typed data.
    pub fn data(&self) -> &NotificationData {
        &self.0.data
    }
}

impl fmt::Debug for Notification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notification")
            .field("name", &self.name())
            .field("sender", &self.0.sender)
            .field("timestamp", &self.0.timestamp)
            .field("data", &self.0.data)
            .finish()
    }
}

/// Why [`Observer::recv`] or [`Observer::try_recv`] returned no notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RecvError {
    /// The observer fell behind and this many notifications were dropped (the oldest ones).
    /// Receiving again continues with the oldest notification still queued.
    #[error("observer lagged behind; {0} notifications were dropped")]
    Lagged(u64),
    /// The observer was removed, or every handle of the center was dropped, and its queue is
    /// empty.
    #[error("observer closed")]
    Closed,
}

/// Why [`Observer::try_recv`] returned no notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TryRecvError {
    /// Nothing is queued right now.
    #[error("no notification queued")]
    Empty,
    /// See [`RecvError::Lagged`].
    #[error("observer lagged behind; {0} notifications were dropped")]
    Lagged(u64),
    /// See [`RecvError::Closed`].
    #[error("observer closed")]
    Closed,
}

/// The identity of an observer within its center.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObserverId(u64);

#[derive(Debug)]
struct SlotState {
    queue: VecDeque<Notification>,
    lagged: u64,
    closed: bool,
    waker: Option<Waker>,
}

#[derive(Debug)]
struct Slot {
    id: ObserverId,
    name: Option<Box<str>>,
    sender: Option<SenderId>,
    capacity: usize,
    state: Mutex<SlotState>,
}

impl Slot {
    fn matches(&self, name: &str, sender: Option<SenderId>) -> bool {
        self.name.as_deref().is_none_or(|n| n == name)
            && self.sender.is_none_or(|s| Some(s) == sender)
    }

    /// Queues `notification`; returns the waker to wake and the notification evicted to make
    /// room, both to be dropped or woken by the caller outside every lock.
    fn push(&self, notification: Notification) -> (Option<Waker>, Option<Notification>) {
        let mut state = lock(&self.state);
        if state.closed {
            return (None, Some(notification));
        }
        let evicted = if state.queue.len() >= self.capacity {
            state.lagged += 1;
            state.queue.pop_front()
        } else {
            None
        };
        state.queue.push_back(notification);
        (state.waker.take(), evicted)
    }

    fn close(&self) {
        let waker = {
            let mut state = lock(&self.state);
            state.closed = true;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks cannot leave the queue inconsistent.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

struct Shared {
    observers: Mutex<Vec<Arc<Slot>>>,
    next_id: AtomicU64,
    capacity: usize,
    clock: Arc<dyn Clock>,
}

impl Shared {
    fn allocate_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    fn remove(&self, target: &Arc<Slot>) -> bool {
        let slot = {
            let mut observers = lock(&self.observers);
            let position = observers.iter().position(|slot| Arc::ptr_eq(slot, target));
            position.map(|i| observers.swap_remove(i))
        };
        match slot {
            Some(slot) => {
                slot.close();
                true
            }
            None => false,
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        for slot in lock(&self.observers).drain(..) {
            slot.close();
        }
    }
}

/// Builds a [`NotificationCenter`] with a non-default observer capacity or clock.
pub struct NotificationCenterBuilder {
    capacity: usize,
    clock: Arc<dyn Clock>,
}

impl NotificationCenterBuilder {
    /// How many notifications each observer can hold before it lags (at least 1; default
    /// [`DEFAULT_CAPACITY`]).
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// The clock that timestamps posted notifications (default [`SystemClock`]).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the center.
    pub fn build(self) -> NotificationCenter {
        NotificationCenter {
            shared: Arc::new(Shared {
                observers: Mutex::new(Vec::new()),
                next_id: AtomicU64::new(1),
                capacity: self.capacity,
                clock: self.clock,
            }),
        }
    }
}

impl fmt::Debug for NotificationCenterBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotificationCenterBuilder")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

/// The application-wide publish/subscribe bus; see the [module documentation](self).
///
/// A cheap [`Clone`] handle: all clones share the same observers. When the last handle is
/// dropped, every observer is closed (it still receives what was already queued).
#[derive(Clone)]
pub struct NotificationCenter {
    shared: Arc<Shared>,
}

impl Default for NotificationCenter {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for NotificationCenter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotificationCenter")
            .field("observers", &lock(&self.shared.observers).len())
            .field("capacity", &self.shared.capacity)
            .finish_non_exhaustive()
    }
}

impl NotificationCenter {
    /// A center with [`DEFAULT_CAPACITY`] per observer and the [`SystemClock`].
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder to choose the observer capacity and the clock.
    pub fn builder() -> NotificationCenterBuilder {
        NotificationCenterBuilder {
            capacity: DEFAULT_CAPACITY,
            clock: Arc::new(SystemClock),
        }
    }

    /// Allocates a new sender identity with a label (`"Engine"`).
    pub fn new_sender(&self, label: &str) -> Sender {
        Sender {
            id: SenderId(self.shared.allocate_id()),
            label: label.into(),
        }
    }

    /// Registers an observer for the notifications named `name` (any name if `None`) posted by
    /// `sender` (any sender, including anonymous posts, if `None`): the seed's
    /// `add_observer(observer, name=…, sender=…)`.
    ///
    /// The observer is removed by [`remove_observer`](Self::remove_observer) or when the
    /// returned [`Observer`] is dropped.
    pub fn add_observer(&self, name: Option<&str>, sender: Option<SenderId>) -> Observer {
        let slot = Arc::new(Slot {
            id: ObserverId(self.shared.allocate_id()),
            name: name.map(Into::into),
            sender,
            capacity: self.shared.capacity,
            state: Mutex::new(SlotState {
                queue: VecDeque::new(),
                lagged: 0,
                closed: false,
                waker: None,
            }),
        });
        lock(&self.shared.observers).push(Arc::clone(&slot));
        Observer {
            slot,
            center: Arc::downgrade(&self.shared),
        }
    }

    /// Unregisters an observer. It still returns what was already queued, then
    /// [`RecvError::Closed`]. Returns `false` if it was not registered with this center (or was
    /// already removed).
    pub fn remove_observer(&self, observer: &Observer) -> bool {
        self.shared.remove(&observer.slot)
    }

    /// The number of registered observers.
    pub fn observer_count(&self) -> usize {
        lock(&self.shared.observers).len()
    }

    /// Posts a notification, timestamped by the center's [`Clock`], to every matching
    /// observer. Never blocks on observers; `sender` is `None` for anonymous notifications.
    pub fn post_notification(&self, sender: Option<&Sender>, data: NotificationData) {
        self.post_at(self.shared.clock.now(), sender, data);
    }

    /// Posts a notification with an explicit timestamp.
    pub fn post_at(&self, timestamp: SystemTime, sender: Option<&Sender>, data: NotificationData) {
        let notification = Notification(Arc::new(NotificationInner {
            sender: sender.cloned(),
            timestamp,
            data,
        }));
        let name = notification.name();
        let sender_id = sender.map(Sender::id);
        let mut wakers = Vec::new();
        let mut evicted = Vec::new();
        {
            // Holding the registry lock while queueing keeps the per-observer order equal to
            // the posting order even when several threads post at once.
            let observers = lock(&self.shared.observers);
            for slot in observers.iter() {
                if slot.matches(name, sender_id) {
                    let (waker, dropped) = slot.push(notification.clone());
                    wakers.extend(waker);
                    evicted.extend(dropped);
                }
            }
        }
        // Wake and drop outside the locks, so neither can re-enter the center while it is
        // locked.
        drop(evicted);
        for waker in wakers {
            waker.wake();
        }
    }
}

/// A registered observer: receives the notifications matching its filter, in posting order.
/// Dropping it unregisters it.
#[derive(Debug)]
pub struct Observer {
    slot: Arc<Slot>,
    center: Weak<Shared>,
}

impl Observer {
    /// This observer's id.
    pub fn id(&self) -> ObserverId {
        self.slot.id
    }

    /// The name filter (`None` matches every name).
    pub fn name_filter(&self) -> Option<&str> {
        self.slot.name.as_deref()
    }

    /// The sender filter (`None` matches every sender).
    pub fn sender_filter(&self) -> Option<SenderId> {
        self.slot.sender
    }

    /// Waits for the next notification.
    ///
    /// Returns [`RecvError::Lagged`] once after notifications were dropped because the queue
    /// was full, and [`RecvError::Closed`] once the observer was removed (or the center dropped)
    /// and the queue is empty. Cancel-safe: dropping the future loses nothing.
    pub async fn recv(&mut self) -> Result<Notification, RecvError> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// The polling form of [`recv`](Self::recv), for hand-written futures and streams.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<Notification, RecvError>> {
        let mut state = lock(&self.slot.state);
        match take(&mut state) {
            Ok(notification) => Poll::Ready(Ok(notification)),
            Err(TryRecvError::Lagged(n)) => Poll::Ready(Err(RecvError::Lagged(n))),
            Err(TryRecvError::Closed) => Poll::Ready(Err(RecvError::Closed)),
            Err(TryRecvError::Empty) => {
                match &mut state.waker {
                    Some(waker) => waker.clone_from(cx.waker()),
                    None => state.waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }

    /// Takes the next notification without waiting (the synchronous, runtime-free form).
    pub fn try_recv(&mut self) -> Result<Notification, TryRecvError> {
        take(&mut lock(&self.slot.state))
    }

    /// The number of notifications queued and not yet received.
    pub fn len(&self) -> usize {
        lock(&self.slot.state).queue.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn take(state: &mut SlotState) -> Result<Notification, TryRecvError> {
    if state.lagged > 0 {
        let n = std::mem::take(&mut state.lagged);
        return Err(TryRecvError::Lagged(n));
    }
    match state.queue.pop_front() {
        Some(notification) => Ok(notification),
        None if state.closed => Err(TryRecvError::Closed),
        None => Err(TryRecvError::Empty),
    }
}

impl Drop for Observer {
    fn drop(&mut self) {
        if let Some(shared) = self.center.upgrade() {
            shared.remove(&self.slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    struct FixedClock(SystemTime);

    impl Clock for FixedClock {
        fn now(&self) -> SystemTime {
            self.0
        }
    }

    #[test]
    fn post_uses_the_injected_clock() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let center = NotificationCenter::builder()
            .clock(Arc::new(FixedClock(at)))
            .build();
        let mut observer = center.add_observer(None, None);
        center.post_notification(None, NotificationData::EngineDidEnd);
        assert_eq!(observer.try_recv().unwrap().timestamp(), at);
    }

    #[test]
    fn post_at_keeps_the_given_timestamp() {
        let center = NotificationCenter::new();
        let mut observer = center.add_observer(None, None);
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(42);
        center.post_at(at, None, NotificationData::EngineWillEnd);
        assert_eq!(observer.try_recv().unwrap().timestamp(), at);
    }

    #[test]
    fn try_recv_on_an_empty_queue_is_empty_not_closed() {
        let center = NotificationCenter::new();
        let mut observer = center.add_observer(None, None);
        assert_eq!(observer.try_recv().unwrap_err(), TryRecvError::Empty);
        assert!(observer.is_empty());
    }

    #[test]
    fn dropping_every_center_handle_closes_observers_after_draining() {
        let center = NotificationCenter::new();
        let mut observer = center.add_observer(None, None);
        center.post_notification(None, NotificationData::EngineDidStart);
        drop(center);
        assert_eq!(observer.try_recv().unwrap().name(), "SIPEngineDidStart");
        assert_eq!(observer.try_recv().unwrap_err(), TryRecvError::Closed);
    }

    #[test]
    fn capacity_zero_is_raised_to_one() {
        let center = NotificationCenter::builder().capacity(0).build();
        let mut observer = center.add_observer(None, None);
        center.post_notification(None, NotificationData::EngineWillStart);
        center.post_notification(None, NotificationData::EngineDidStart);
        assert_eq!(observer.try_recv().unwrap_err(), TryRecvError::Lagged(1));
        assert_eq!(observer.try_recv().unwrap().name(), "SIPEngineDidStart");
    }

    struct Flag(std::sync::atomic::AtomicBool);

    impl std::task::Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    fn flag() -> (Arc<Flag>, Waker) {
        let flag = Arc::new(Flag(std::sync::atomic::AtomicBool::new(false)));
        let waker = Waker::from(Arc::clone(&flag));
        (flag, waker)
    }

    #[test]
    fn pending_poll_is_woken_by_a_post_without_any_runtime() {
        let center = NotificationCenter::new();
        let mut observer = center.add_observer(None, None);
        let (woken, waker) = flag();
        let mut cx = Context::from_waker(&waker);
        assert!(observer.poll_recv(&mut cx).is_pending());
        center.post_notification(None, NotificationData::EngineDidStart);
        assert!(woken.0.load(Ordering::SeqCst));
        match observer.poll_recv(&mut cx) {
            Poll::Ready(Ok(n)) => assert_eq!(n.name(), "SIPEngineDidStart"),
            other => panic!("expected a notification, got {other:?}"),
        }
    }

    #[test]
    fn pending_poll_is_woken_with_closed_by_remove_observer() {
        let center = NotificationCenter::new();
        let mut observer = center.add_observer(None, None);
        let (woken, waker) = flag();
        let mut cx = Context::from_waker(&waker);
        assert!(observer.poll_recv(&mut cx).is_pending());
        assert!(center.remove_observer(&observer));
        assert!(woken.0.load(Ordering::SeqCst));
        assert!(matches!(
            observer.poll_recv(&mut cx),
            Poll::Ready(Err(RecvError::Closed))
        ));
    }

    #[test]
    fn sender_ids_are_unique_and_labels_kept() {
        let center = NotificationCenter::new();
        let a = center.new_sender("Engine");
        let b = center.new_sender("Engine");
        assert_ne!(a.id(), b.id());
        assert_eq!(a.label(), "Engine");
    }
}
