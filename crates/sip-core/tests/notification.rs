//! The application-wide NotificationCenter: subscription filters, removal, seed names, custom
//! payloads, lagging, concurrency and ordering.

use std::any::Any;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use sip_core::message::SipMessage;
use sip_core::notification::{
    EngineDidFailData, EngineLogData, GotExceptionData, GotMessageData, Notification,
    NotificationCenter, NotificationData, NotificationPayload, RecvError, SipTraceData,
    TryRecvError,
};

fn names(observer: &mut sip_core::notification::Observer) -> Vec<&'static str> {
    let mut out = Vec::new();
    while let Ok(n) = observer.try_recv() {
        out.push(n.name());
    }
    out
}

fn log(message: &str) -> NotificationData {
    NotificationData::EngineLog(EngineLogData {
        sender: "sip-core".into(),
        level: 3,
        message: message.into(),
    })
}

fn log_message(n: &Notification) -> &str {
    match n.data() {
        NotificationData::EngineLog(data) => &data.message,
        other => panic!("expected SIPEngineLog, got {other:?}"),
    }
}

#[tokio::test]
async fn observer_by_name_only_gets_that_name_from_every_sender() {
    let center = NotificationCenter::new();
    let a = center.new_sender("Engine");
    let b = center.new_sender("Other");
    let mut observer = center.add_observer(Some("SIPEngineLog"), None);

    center.post_notification(Some(&a), log("one"));
    center.post_notification(Some(&a), NotificationData::EngineDidStart);
    center.post_notification(Some(&b), log("two"));
    center.post_notification(None, log("three"));

    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(log_message(&observer.recv().await.unwrap()).to_owned());
    }
    assert_eq!(got, ["one", "two", "three"]);
    assert_eq!(observer.try_recv().unwrap_err(), TryRecvError::Empty);
}

#[tokio::test]
async fn observer_by_sender_only_gets_every_name_from_that_sender() {
    let center = NotificationCenter::new();
    let a = center.new_sender("Engine");
    let b = center.new_sender("Other");
    let mut observer = center.add_observer(None, Some(a.id()));

    center.post_notification(Some(&a), NotificationData::EngineWillStart);
    center.post_notification(Some(&b), NotificationData::EngineWillStart);
    center.post_notification(None, NotificationData::EngineWillStart);
    center.post_notification(Some(&a), NotificationData::EngineDidStart);

    let first = observer.recv().await.unwrap();
    assert_eq!(first.name(), "SIPEngineWillStart");
    assert_eq!(first.sender().unwrap().id(), a.id());
    assert_eq!(first.sender().unwrap().label(), "Engine");
    assert_eq!(observer.recv().await.unwrap().name(), "SIPEngineDidStart");
    assert!(observer.is_empty());
}

#[tokio::test]
async fn observer_by_name_and_sender_needs_both_to_match() {
    let center = NotificationCenter::new();
    let a = center.new_sender("Engine");
    let b = center.new_sender("Other");
    let mut observer = center.add_observer(Some("SIPEngineDidEnd"), Some(a.id()));

    center.post_notification(Some(&a), NotificationData::EngineWillEnd);
    center.post_notification(Some(&b), NotificationData::EngineDidEnd);
    center.post_notification(None, NotificationData::EngineDidEnd);
    center.post_notification(Some(&a), NotificationData::EngineDidEnd);

    assert_eq!(observer.name_filter(), Some("SIPEngineDidEnd"));
    assert_eq!(observer.sender_filter(), Some(a.id()));
    let n = observer.recv().await.unwrap();
    assert_eq!(n.name(), "SIPEngineDidEnd");
    assert_eq!(n.sender().unwrap().id(), a.id());
    assert!(observer.is_empty());
}

#[tokio::test]
async fn observer_of_everything_gets_anonymous_and_named_posts() {
    let center = NotificationCenter::new();
    let a = center.new_sender("Engine");
    let mut observer = center.add_observer(None, None);

    center.post_notification(Some(&a), NotificationData::EngineWillStart);
    center.post_notification(None, log("anonymous"));

    assert_eq!(names(&mut observer), ["SIPEngineWillStart", "SIPEngineLog"]);
}

#[tokio::test]
async fn remove_observer_stops_delivery_and_closes_after_queued_ones() {
    let center = NotificationCenter::new();
    let mut observer = center.add_observer(None, None);
    center.post_notification(None, NotificationData::EngineWillStart);

    assert!(center.remove_observer(&observer));
    assert!(!center.remove_observer(&observer));
    assert_eq!(center.observer_count(), 0);
    center.post_notification(None, NotificationData::EngineDidStart);

    assert_eq!(observer.recv().await.unwrap().name(), "SIPEngineWillStart");
    assert_eq!(observer.recv().await.unwrap_err(), RecvError::Closed);
}

#[tokio::test]
async fn dropping_the_observer_unsubscribes_it() {
    let center = NotificationCenter::new();
    let kept = center.add_observer(None, None);
    let dropped = center.add_observer(Some("SIPEngineLog"), None);
    assert_eq!(center.observer_count(), 2);
    drop(dropped);
    assert_eq!(center.observer_count(), 1);
    drop(kept);
    assert_eq!(center.observer_count(), 0);
    // Posting with no observers is fine.
    center.post_notification(None, log("nobody listens"));
}

#[test]
fn removing_an_observer_through_another_center_does_nothing() {
    let one = NotificationCenter::new();
    let two = NotificationCenter::new();
    let mut observer = one.add_observer(None, None);
    // A fresh center allocates the same ids, so `two` has an observer with the same id.
    let other = two.add_observer(None, None);
    assert_eq!(other.id(), observer.id());

    assert!(!two.remove_observer(&observer));
    assert_eq!(two.observer_count(), 1);
    assert_eq!(one.observer_count(), 1);
    one.post_notification(None, NotificationData::EngineDidStart);
    assert_eq!(observer.try_recv().unwrap().name(), "SIPEngineDidStart");
}

fn trace() -> SipTraceData {
    SipTraceData {
        received: true,
        source_ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        source_port: 5060,
        destination_ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)),
        destination_port: 5062,
        data: Bytes::from_static(b"OPTIONS sip:bob@example.com SIP/2.0\r\n\r\n"),
    }
}

fn got_message() -> GotMessageData {
    let raw = Bytes::from_static(
        b"MESSAGE sip:bob@example.com SIP/2.0\r\n\
          Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds\r\n\
          Max-Forwards: 70\r\n\
          To: <sip:bob@example.com>\r\n\
          From: Alice <sip:alice@example.com>;tag=1928301774\r\n\
          Call-ID: a84b4c76e66710\r\n\
          CSeq: 1 MESSAGE\r\n\
          Content-Type: text/plain\r\n\
          Content-Length: 5\r\n\r\nhello",
    );
    let SipMessage::Request(request) = SipMessage::parse(raw).unwrap() else {
        panic!("expected a request");
    };
    let headers = request.headers();
    GotMessageData {
        request_uri: request.uri().clone(),
        from_header: headers.typed_first().unwrap().unwrap(),
        to_header: headers.typed_first().unwrap().unwrap(),
        content_type: headers.typed_first().unwrap(),
        headers: headers.clone(),
        body: Some(request.body().clone()),
    }
}

#[test]
fn every_sip_core_notification_has_its_exact_seed_name() {
    let cases = [
        (NotificationData::EngineWillStart, "SIPEngineWillStart"),
        (NotificationData::EngineDidStart, "SIPEngineDidStart"),
        (
            NotificationData::EngineDidFail(EngineDidFailData {
                reason: "no transports".into(),
            }),
            "SIPEngineDidFail",
        ),
        (NotificationData::EngineWillEnd, "SIPEngineWillEnd"),
        (NotificationData::EngineDidEnd, "SIPEngineDidEnd"),
        (log("x"), "SIPEngineLog"),
        (
            NotificationData::EngineSipTrace(trace()),
            "SIPEngineSIPTrace",
        ),
        (
            NotificationData::EngineGotException(GotExceptionData {
                error_type: "panic".into(),
                value: "boom".into(),
                traceback: String::new(),
            }),
            "SIPEngineGotException",
        ),
        (
            NotificationData::EngineGotMessage(Box::new(got_message())),
            "SIPEngineGotMessage",
        ),
    ];
    let center = NotificationCenter::new();
    let engine = center.new_sender("Engine");
    for (data, expected) in cases {
        assert_eq!(data.name(), expected);
        let mut observer = center.add_observer(Some(expected), None);
        center.post_notification(Some(&engine), data);
        assert_eq!(observer.try_recv().unwrap().name(), expected);
    }
}

#[test]
fn got_message_carries_the_parsed_request_fields() {
    let data = got_message();
    assert_eq!(data.body.as_deref(), Some(&b"hello"[..]));
    assert!(data.content_type.is_some());
    assert_eq!(data.from_header.tag(), Some("1928301774"));
    let trace = trace();
    assert_eq!((trace.source_port, trace.destination_port), (5060, 5062));
}

#[derive(Debug, PartialEq)]
struct SessionDidStart {
    streams: Vec<&'static str>,
}

impl NotificationPayload for SessionDidStart {
    fn name(&self) -> &'static str {
        "SIPSessionDidStart"
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[derive(Debug)]
struct Unrelated;

impl NotificationPayload for Unrelated {
    fn name(&self) -> &'static str {
        "Unrelated"
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[tokio::test]
async fn custom_payload_is_filtered_by_its_name_and_downcasts() {
    let center = NotificationCenter::new();
    let session = center.new_sender("Session");
    let mut observer = center.add_observer(Some("SIPSessionDidStart"), None);

    center.post_notification(Some(&session), NotificationData::custom(Unrelated));
    center.post_notification(
        Some(&session),
        NotificationData::Custom(Arc::new(SessionDidStart {
            streams: vec!["audio", "chat"],
        })),
    );

    let n = observer.recv().await.unwrap();
    assert_eq!(n.name(), "SIPSessionDidStart");
    let data = n.data().downcast_ref::<SessionDidStart>().unwrap();
    assert_eq!(data.streams, ["audio", "chat"]);
    assert!(n.data().downcast_ref::<Unrelated>().is_none());
    assert!(
        NotificationData::EngineDidStart
            .downcast_ref::<SessionDidStart>()
            .is_none()
    );
    assert!(observer.is_empty());
}

#[tokio::test]
async fn slow_observer_gets_lagged_with_the_count_then_continues_with_newer() {
    let center = NotificationCenter::builder().capacity(4).build();
    let mut slow = center.add_observer(None, None);
    let mut fast = center.add_observer(None, None);

    for i in 0..10 {
        center.post_notification(None, log(&i.to_string()));
        // The fast observer keeps up and never lags.
        assert_eq!(log_message(&fast.recv().await.unwrap()), i.to_string());
    }

    assert_eq!(slow.recv().await.unwrap_err(), RecvError::Lagged(6));
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(log_message(&slow.recv().await.unwrap()).to_owned());
    }
    assert_eq!(got, ["6", "7", "8", "9"]);

    center.post_notification(None, log("10"));
    assert_eq!(log_message(&slow.recv().await.unwrap()), "10");
    assert!(slow.is_empty());
}

#[tokio::test]
async fn only_matching_notifications_count_toward_an_observers_capacity() {
    let center = NotificationCenter::builder().capacity(2).build();
    let mut observer = center.add_observer(Some("SIPEngineDidStart"), None);
    for _ in 0..100 {
        center.post_notification(None, log("noise"));
    }
    center.post_notification(None, NotificationData::EngineDidStart);
    assert_eq!(observer.recv().await.unwrap().name(), "SIPEngineDidStart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_from_several_threads_and_tasks_all_arrive_in_per_poster_order() {
    const POSTERS: usize = 4;
    const EACH: usize = 200;
    let center = NotificationCenter::new();
    let mut observer = center.add_observer(Some("SIPEngineLog"), None);

    let mut threads = Vec::new();
    for p in 0..POSTERS / 2 {
        let center = center.clone();
        threads.push(std::thread::spawn(move || {
            let sender = center.new_sender(&format!("thread-{p}"));
            for i in 0..EACH {
                center.post_notification(Some(&sender), log(&format!("{p}:{i}")));
            }
        }));
    }
    let mut tasks = Vec::new();
    for p in POSTERS / 2..POSTERS {
        let center = center.clone();
        tasks.push(tokio::spawn(async move {
            let sender = center.new_sender(&format!("task-{p}"));
            for i in 0..EACH {
                center.post_notification(Some(&sender), log(&format!("{p}:{i}")));
                tokio::task::yield_now().await;
            }
        }));
    }

    // Receive concurrently with the posting, waking up on each post.
    let mut next = [0usize; POSTERS];
    for _ in 0..POSTERS * EACH {
        let n = tokio::time::timeout(Duration::from_secs(10), observer.recv())
            .await
            .expect("a notification arrives")
            .unwrap();
        let (p, i) = log_message(&n).split_once(':').unwrap();
        let (p, i): (usize, usize) = (p.parse().unwrap(), i.parse().unwrap());
        assert_eq!(i, next[p], "poster {p} delivered out of order");
        next[p] += 1;
    }
    assert_eq!(next, [EACH; POSTERS]);
    for t in threads {
        t.join().unwrap();
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert!(observer.is_empty());
}

#[tokio::test]
async fn each_observer_sees_the_posting_order() {
    let center = NotificationCenter::new();
    let engine = center.new_sender("Engine");
    let mut all = center.add_observer(None, None);
    let mut engine_only = center.add_observer(None, Some(engine.id()));

    let sequence = [
        NotificationData::EngineWillStart,
        NotificationData::EngineDidStart,
        NotificationData::EngineWillEnd,
        NotificationData::EngineDidEnd,
    ];
    for data in sequence {
        center.post_notification(Some(&engine), data);
    }
    let expected = [
        "SIPEngineWillStart",
        "SIPEngineDidStart",
        "SIPEngineWillEnd",
        "SIPEngineDidEnd",
    ];
    assert_eq!(names(&mut all), expected);
    assert_eq!(names(&mut engine_only), expected);
}

#[tokio::test]
async fn a_waiting_observer_is_woken_by_a_post_from_another_task() {
    let center = NotificationCenter::new();
    let mut observer = center.add_observer(None, None);
    let waiter = tokio::spawn(async move { observer.recv().await.map(|n| n.name()) });
    tokio::task::yield_now().await;
    center.post_notification(None, NotificationData::EngineDidStart);
    assert_eq!(waiter.await.unwrap(), Ok("SIPEngineDidStart"));
}

#[tokio::test]
async fn a_waiting_observer_is_woken_with_closed_when_the_center_is_dropped() {
    let center = NotificationCenter::new();
    let mut observer = center.add_observer(None, None);
    let id = observer.id();
    let handle = center.clone();
    let waiter = tokio::spawn(async move {
        let result = observer.recv().await;
        (observer, result)
    });
    tokio::task::yield_now().await;
    drop(handle);
    drop(center);
    let (observer, result) = waiter.await.unwrap();
    assert_eq!(result.unwrap_err(), RecvError::Closed);
    assert_eq!(observer.id(), id);
}
