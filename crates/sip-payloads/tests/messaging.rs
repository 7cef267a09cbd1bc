//! is-composing (RFC 3994), IMDN (RFC 5438), message-summary (RFC 3842) and watcher-info
//! (RFC 3858): the RFCs' examples (retyped), round trips and errors.

use sip_payloads::imdn::{Disposition, Imdn, Notification};
use sip_payloads::is_composing::{ComposingState, IsComposing};
use sip_payloads::message_summary::{MessageSummary, Summary};
use sip_payloads::watcher_info::{WatcherInfo, WatcherStatus};
use sip_payloads::{Document, PayloadError};

#[test]
fn rfc3994_active_and_idle_examples() {
    let active = br#"<?xml version="1.0" encoding="UTF-8"?>
<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="urn:ietf:params:xml:ns:im-composing iscomposing.xsd">
  <state>active</state>
  <contenttype>text/plain</contenttype>
  <refresh>90</refresh>
</isComposing>"#;
    let a = IsComposing::parse(active).unwrap();
    assert_eq!(a.state, ComposingState::Active);
    assert_eq!(a.content_type.as_deref(), Some("text/plain"));
    assert_eq!(a.refresh, Some(90));
    // the namespaced schemaLocation attribute is kept
    assert_eq!(a.attributes[0].name, "schemaLocation");
    assert_eq!(IsComposing::parse(a.to_xml().as_bytes()).unwrap(), a);

    let idle = br#"<?xml version="1.0" encoding="UTF-8"?>
<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing">
  <state>idle</state>
  <lastactive>2003-01-27T10:43:00Z</lastactive>
  <contenttype>audio</contenttype>
</isComposing>"#;
    let i = IsComposing::parse(idle).unwrap();
    assert_eq!(i.state, ComposingState::Idle);
    assert_eq!(i.last_active.as_deref(), Some("2003-01-27T10:43:00Z"));
    assert_eq!(IsComposing::parse(i.to_xml().as_bytes()).unwrap(), i);

    let e = IsComposing::parse(br#"<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"><state>typing</state></isComposing>"#).unwrap_err();
    assert_eq!(
        e.to_string(),
        "is-composing: /isComposing/state: invalid value \"typing\" (expected active or idle)"
    );
    let e = IsComposing::parse(br#"<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"/>"#)
        .unwrap_err();
    assert!(matches!(
        e,
        PayloadError::MissingElement {
            element: "state",
            ..
        }
    ));
}

#[test]
fn rfc5438_imdn_examples() {
    let delivered = br#"<?xml version="1.0" encoding="UTF-8"?>
<imdn xmlns="urn:ietf:params:xml:ns:imdn">
  <message-id>34jk324j</message-id>
  <datetime>2008-04-04T12:16:49-05:00</datetime>
  <recipient-uri>im:bob@example.com</recipient-uri>
  <original-recipient-uri>im:bob@example.com</original-recipient-uri>
  <delivery-notification>
    <status>
      <delivered/>
    </status>
  </delivery-notification>
</imdn>"#;
    let d = Imdn::parse(delivered).unwrap();
    assert_eq!(d.message_id, "34jk324j");
    assert_eq!(
        d.notification,
        Notification::Delivery(Disposition::Delivered)
    );
    assert_eq!(d.recipient_uri.as_deref(), Some("im:bob@example.com"));
    assert_eq!(Imdn::parse(d.to_xml().as_bytes()).unwrap(), d);

    let displayed = Imdn::new(
        "dfy7b3",
        "2008-04-04T12:16:49-05:00",
        Notification::Display(Disposition::Displayed),
    );
    assert_eq!(
        Imdn::parse(displayed.to_xml().as_bytes()).unwrap(),
        displayed
    );

    // "displayed" is not a delivery status
    let bad = br#"<imdn xmlns="urn:ietf:params:xml:ns:imdn"><message-id>1</message-id>
        <datetime>2008-04-04T12:16:49-05:00</datetime>
        <delivery-notification><status><displayed/></status></delivery-notification></imdn>"#;
    assert!(matches!(
        Imdn::parse(bad).unwrap_err(),
        PayloadError::InvalidValue { .. }
    ));
}

#[test]
fn rfc3842_message_summary_examples() {
    let body = b"Messages-Waiting: yes\r\nMessage-Account: sip:alice@vmail.example.com\r\nVoice-Message: 2/8 (0/2)\r\n";
    let s = MessageSummary::parse(body).unwrap();
    assert!(s.messages_waiting);
    assert_eq!(
        s.message_account.as_deref(),
        Some("sip:alice@vmail.example.com")
    );
    let v = &s.summaries[0];
    assert_eq!(
        (v.new_messages, v.old_messages, v.new_urgent, v.old_urgent),
        (2, 8, Some(0), Some(2))
    );
    assert_eq!(s.to_string().as_bytes(), body);

    let with_headers = b"Messages-Waiting: yes\r\nMessage-Account: sip:alice@vmail.example.com\r\n\
Voice-Message: 4/8 (1/2)\r\n\r\nTo: <sip:alice@atlanta.example.com>\r\nFrom: <sip:bob@biloxi.example.com>\r\n\
Subject: carpool tomorrow?\r\nDate: Sun, 12 Mar 2006 10:00:00 -0500\r\nPriority: normal\r\n\
Message-ID: 13784892376@vmail.example.com\r\n";
    let s = MessageSummary::parse(with_headers).unwrap();
    assert_eq!(s.headers.len(), 6);
    assert_eq!(
        s.headers[2],
        ("Subject".to_owned(), "carpool tomorrow?".to_owned())
    );
    assert_eq!(MessageSummary::parse(s.to_string().as_bytes()).unwrap(), s);

    // found by fuzzing: a folded header whose first line has an empty value
    let folded = b"Messages-Waiting: no\r\n\r\nX-Note:\r\n  folded\r\n  twice\r\n";
    let s = MessageSummary::parse(folded).unwrap();
    assert_eq!(
        s.headers,
        vec![("X-Note".to_owned(), "folded twice".to_owned())]
    );
    assert_eq!(MessageSummary::parse(s.to_string().as_bytes()).unwrap(), s);

    let mut built = MessageSummary::default();
    built.summaries.push(Summary::new("Fax-Message", 0, 3));
    assert_eq!(
        built.to_string(),
        "Messages-Waiting: no\r\nFax-Message: 0/3\r\n"
    );

    for (bad, reason) in [
        (
            &b"Voice-Message: 1/2\r\n"[..],
            "line 1: first line must be Messages-Waiting",
        ),
        (
            b"Messages-Waiting: perhaps\r\n",
            "line 1: Messages-Waiting must be yes or no",
        ),
        (
            b"Messages-Waiting: yes\r\nVoice-Message: x/2\r\n",
            "line 2: count is not a number",
        ),
        (
            b"Messages-Waiting: yes\r\nTelepathy-Message: 1/2\r\n",
            "line 2: unknown message context class",
        ),
        (b"", "line 1: missing Messages-Waiting"),
    ] {
        let e = MessageSummary::parse(bad).unwrap_err();
        assert_eq!(e.to_string(), format!("message-summary: {reason}"));
    }
}

#[test]
fn rfc3858_watcherinfo_example() {
    let body = br#"<?xml version="1.0"?>
<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo"
             version="0" state="full">
  <watcher-list resource="sip:professor@example.net" package="presence">
    <watcher status="active"
             id="8ajksjda7s"
             duration-subscribed="509"
             event="approved">sip:userA@example.net</watcher>
    <watcher status="pending"
             id="hh8juja87s997-ass7"
             display-name="Mr. Subscriber"
             event="subscribe">sip:userB@example.org</watcher>
  </watcher-list>
</watcherinfo>"#;
    let w = WatcherInfo::parse(body).unwrap();
    let list = &w.watcher_lists[0];
    assert_eq!(list.resource, "sip:professor@example.net");
    assert_eq!(list.package, "presence");
    assert_eq!(list.watchers[0].status, WatcherStatus::Active);
    assert_eq!(list.watchers[0].duration_subscribed, Some(509));
    assert_eq!(list.watchers[0].uri, "sip:userA@example.net");
    assert_eq!(
        list.watchers[1].display_name.as_deref(),
        Some("Mr. Subscriber")
    );
    assert_eq!(list.watchers[1].event, "subscribe");
    assert_eq!(WatcherInfo::parse(w.to_xml().as_bytes()).unwrap(), w);

    let e = WatcherInfo::parse(br#"<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="0" state="full">
        <watcher-list resource="r" package="presence"><watcher id="1" status="active" event="dance">x</watcher></watcher-list></watcherinfo>"#).unwrap_err();
    assert_eq!(
        e.to_string(),
        "watcherinfo: /watcherinfo/watcher-list[1]/watcher[1]/@event: invalid value \"dance\" (expected a watcherinfo event)"
    );
}

#[test]
fn watcherinfo_partial_updates_merge_by_watcher_id() {
    let mut state = WatcherInfo::parse(
        br#"<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="0" state="full">
          <watcher-list resource="sip:professor@example.net" package="presence">
            <watcher status="active" id="w1" event="approved">sip:userA@example.net</watcher>
            <watcher status="pending" id="w2" event="subscribe">sip:userB@example.org</watcher>
          </watcher-list></watcherinfo>"#,
    )
    .unwrap();
    let update = WatcherInfo::parse(
        br#"<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="1" state="partial">
          <watcher-list resource="sip:professor@example.net" package="presence">
            <watcher status="terminated" id="w1" event="timeout">sip:userA@example.net</watcher>
            <watcher status="active" id="w2" event="approved">sip:userB@example.org</watcher>
            <watcher status="pending" id="w3" event="subscribe">sip:userC@example.org</watcher>
          </watcher-list></watcherinfo>"#,
    )
    .unwrap();
    state.apply(&update).unwrap();
    assert_eq!(state.version, 1);
    let w: Vec<_> = state.watcher_lists[0]
        .watchers
        .iter()
        .map(|w| (w.id.as_str(), w.status))
        .collect();
    assert_eq!(
        w,
        [
            ("w2", WatcherStatus::Active),
            ("w3", WatcherStatus::Pending)
        ]
    );
    assert!(state.apply(&update).is_err());
}
