//! dialog-info (RFC 4235) and conference-info (RFC 4575): the RFCs' examples (retyped), round
//! trips and partial-state merging.

use sip_payloads::conference_info::{ApplyError, ConferenceInfo, ElementState, Endpoint, User};
use sip_payloads::dialog_info::{Dialog, DialogInfo, DialogStateValue, Direction, DocumentState};
use sip_payloads::{Document, PayloadError};

#[test]
fn rfc4235_rejected_call_example() {
    let body = br#"<?xml version="1.0"?>
<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info"
             version="0" state="full" entity="sip:alice@example.com">
  <dialog id="as7d900as8" call-id="a84b4c76e66710"
          local-tag="1928301774" direction="initiator">
    <state event="rejected" code="486">terminated</state>
  </dialog>
</dialog-info>"#;
    let d = DialogInfo::parse(body).unwrap();
    assert_eq!(d.version, 0);
    assert_eq!(d.state, DocumentState::Full);
    assert_eq!(d.entity, "sip:alice@example.com");
    let dialog = &d.dialogs[0];
    assert_eq!(dialog.id, "as7d900as8");
    assert_eq!(dialog.call_id.as_deref(), Some("a84b4c76e66710"));
    assert_eq!(dialog.local_tag.as_deref(), Some("1928301774"));
    assert_eq!(dialog.direction, Some(Direction::Initiator));
    assert_eq!(dialog.state.value, DialogStateValue::Terminated);
    assert_eq!(dialog.state.event.as_deref(), Some("rejected"));
    assert_eq!(dialog.state.code, Some(486));
    assert_eq!(DialogInfo::parse(d.to_xml().as_bytes()).unwrap(), d);
}

#[test]
fn rfc4235_confirmed_dialog_with_participants() {
    let body = br#"<?xml version="1.0"?>
<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info"
             version="1" state="full" entity="sip:alice@example.com">
  <dialog id="as7d900as8" call-id="a84b4c76e66710"
          local-tag="1928301774" remote-tag="456887766" direction="initiator">
    <state>confirmed</state>
    <duration>274</duration>
    <local>
      <identity display="Alice">sip:alice@example.com</identity>
      <target uri="sip:alice@pc33.example.com">
        <param pname="+sip.rendering" pval="yes"/>
      </target>
    </local>
    <remote>
      <identity display="Bob">sip:bob@example.org</identity>
      <target uri="sip:bobster@phone21.example.org"/>
    </remote>
  </dialog>
</dialog-info>"#;
    let d = DialogInfo::parse(body).unwrap();
    let dialog = &d.dialogs[0];
    assert_eq!(dialog.duration, Some(274));
    let local = dialog.local.as_ref().unwrap();
    assert_eq!(
        local.identity.as_ref().unwrap().display.as_deref(),
        Some("Alice")
    );
    assert_eq!(
        local.target.as_ref().unwrap().params,
        vec![("+sip.rendering".into(), "yes".into())]
    );
    let remote = dialog.remote.as_ref().unwrap();
    assert_eq!(remote.identity.as_ref().unwrap().uri, "sip:bob@example.org");
    assert_eq!(
        remote.target.as_ref().unwrap().uri,
        "sip:bobster@phone21.example.org"
    );
    assert_eq!(DialogInfo::parse(d.to_xml().as_bytes()).unwrap(), d);
}

#[test]
fn dialog_info_errors() {
    let bad_state = DialogInfo::parse(
        br#"<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="full"
            entity="sip:a@b"><dialog id="x"><state>ringing</state></dialog></dialog-info>"#,
    )
    .unwrap_err();
    assert!(
        matches!(bad_state, PayloadError::InvalidValue { ref path, .. } if path == "/dialog-info/dialog[1]/state"),
        "{bad_state}"
    );
    let bad_version = DialogInfo::parse(
        br#"<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="-1" state="full"
            entity="sip:a@b"/>"#,
    )
    .unwrap_err();
    assert!(
        matches!(bad_version, PayloadError::InvalidValue { .. }),
        "{bad_version}"
    );
    let missing = DialogInfo::parse(
        br#"<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" entity="x"/>"#,
    )
    .unwrap_err();
    assert!(matches!(
        missing,
        PayloadError::MissingAttribute {
            attribute: "state",
            ..
        }
    ));
}

#[test]
fn built_dialog_info_round_trips() {
    let mut d = DialogInfo::new("sip:alice@example.com", 3);
    let mut dialog = Dialog::new("d1", DialogStateValue::Early);
    dialog.direction = Some(Direction::Recipient);
    dialog.call_id = Some("abc@127.0.0.1".into());
    dialog.route_set = vec!["sip:proxy.example.com;lr".into()];
    d.dialogs.push(dialog);
    let xml = d.to_xml();
    assert!(
        xml.contains("<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\""),
        "{xml}"
    );
    assert_eq!(DialogInfo::parse(xml.as_bytes()).unwrap(), d);
}

const RFC4575_FULL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<conference-info xmlns="urn:ietf:params:xml:ns:conference-info"
    entity="sips:conf233@example.com" state="full" version="1">
  <conference-description>
    <subject>Agenda: This month's goals</subject>
    <service-uris>
      <entry>
        <uri>http://sharepoint/salesgroup/</uri>
        <purpose>web-page</purpose>
      </entry>
    </service-uris>
  </conference-description>
  <host-info>
    <uris>
      <entry>
        <uri>sip:alice@example.com</uri>
      </entry>
    </uris>
  </host-info>
  <conference-state>
    <user-count>33</user-count>
  </conference-state>
  <users>
    <user entity="sip:bob@example.com" state="full">
      <display-text>Bob Hoskins</display-text>
      <endpoint entity="sip:bob@pc33.example.com">
        <display-text>Bob's Laptop</display-text>
        <status>disconnected</status>
        <disconnection-method>departed</disconnection-method>
        <disconnection-info>
          <when>2005-03-04T20:00:00Z</when>
          <reason>bad voice quality</reason>
          <by>sip:mike@example.com</by>
        </disconnection-info>
        <media id="1">
          <display-text>main audio</display-text>
          <type>audio</type>
          <label>34567</label>
          <src-id>432424</src-id>
          <status>sendrecv</status>
        </media>
      </endpoint>
    </user>
    <user entity="sip:alice@example.com" state="full">
      <display-text>Alice</display-text>
      <endpoint entity="sip:4kfk4j392jsu@example.com;grid=433kj4j3u">
        <status>connected</status>
        <joining-method>dialed-out</joining-method>
        <joining-info>
          <when>2005-03-04T20:00:00Z</when>
          <by>sip:mike@example.com</by>
        </joining-info>
        <media id="1">
          <type>audio</type>
          <label>34567</label>
          <src-id>534232</src-id>
          <status>sendrecv</status>
        </media>
      </endpoint>
    </user>
  </users>
</conference-info>"#;

#[test]
fn rfc4575_example_parses() {
    let c = ConferenceInfo::parse(RFC4575_FULL.as_bytes()).unwrap();
    assert_eq!(c.entity, "sips:conf233@example.com");
    assert_eq!(c.version, Some(1));
    assert_eq!(c.state, ElementState::Full);
    let d = c.description.as_ref().unwrap();
    assert_eq!(d.subject.as_deref(), Some("Agenda: This month's goals"));
    let service = &d.service_uris.as_ref().unwrap().entries[0];
    assert_eq!(service.uri, "http://sharepoint/salesgroup/");
    assert_eq!(service.purpose.as_deref(), Some("web-page"));
    assert_eq!(
        c.host_info.as_ref().unwrap().uris.as_ref().unwrap().entries[0].uri,
        "sip:alice@example.com"
    );
    assert_eq!(c.conference_state.as_ref().unwrap().user_count, Some(33));
    let users = &c.users.as_ref().unwrap().users;
    assert_eq!(users.len(), 2);
    let bob = &users[0].endpoints[0];
    assert_eq!(bob.status.as_deref(), Some("disconnected"));
    assert_eq!(bob.disconnection_method.as_deref(), Some("departed"));
    let info = bob.disconnection_info.as_ref().unwrap();
    assert_eq!(info.reason.as_deref(), Some("bad voice quality"));
    assert_eq!(info.by.as_deref(), Some("sip:mike@example.com"));
    assert_eq!(bob.media[0].src_id.as_deref(), Some("432424"));
    assert_eq!(
        users[1].endpoints[0].joining_method.as_deref(),
        Some("dialed-out")
    );
    assert_eq!(ConferenceInfo::parse(c.to_xml().as_bytes()).unwrap(), c);
}

fn partial(body: &str) -> ConferenceInfo {
    ConferenceInfo::parse(body.as_bytes()).unwrap()
}

#[test]
fn partial_notifications_merge_users_endpoints_and_media() {
    let mut c = ConferenceInfo::parse(RFC4575_FULL.as_bytes()).unwrap();
    // Version 2: Bob leaves, Carol joins, Alice's media status changes, user count changes.
    let update = partial(
        r#"<conference-info xmlns="urn:ietf:params:xml:ns:conference-info"
            entity="sips:conf233@example.com" state="partial" version="2">
          <conference-state state="partial"><user-count>34</user-count></conference-state>
          <users state="partial">
            <user entity="sip:bob@example.com" state="deleted"/>
            <user entity="sip:carol@example.com" state="full">
              <display-text>Carol</display-text>
              <endpoint entity="sip:carol@pc.example.com"><status>alerting</status></endpoint>
            </user>
            <user entity="sip:alice@example.com" state="partial">
              <endpoint entity="sip:4kfk4j392jsu@example.com;grid=433kj4j3u" state="partial">
                <media id="1" state="partial"><status>recvonly</status></media>
                <media id="2"><type>video</type><status>sendrecv</status></media>
              </endpoint>
            </user>
          </users>
        </conference-info>"#,
    );
    c.apply(&update).unwrap();
    assert_eq!(c.version, Some(2));
    assert_eq!(c.state, ElementState::Full);
    assert_eq!(c.conference_state.as_ref().unwrap().user_count, Some(34));
    // untouched sections stay
    assert_eq!(
        c.description.as_ref().unwrap().subject.as_deref(),
        Some("Agenda: This month's goals")
    );
    let users = &c.users.as_ref().unwrap().users;
    let entities: Vec<_> = users.iter().map(|u| u.entity.as_str()).collect();
    assert_eq!(entities, ["sip:alice@example.com", "sip:carol@example.com"]);
    let alice = &users[0];
    assert_eq!(
        alice.display_text.as_deref(),
        Some("Alice"),
        "partial user keeps its fields"
    );
    let ep = &alice.endpoints[0];
    assert_eq!(ep.status.as_deref(), Some("connected"));
    assert_eq!(ep.media.len(), 2);
    assert_eq!(ep.media[0].status.as_deref(), Some("recvonly"));
    assert_eq!(
        ep.media[0].src_id.as_deref(),
        Some("534232"),
        "partial media keeps its fields"
    );
    assert_eq!(ep.media[1].media_type.as_deref(), Some("video"));

    // Version 3: Carol's endpoint connects; a full user replaces all of Alice.
    let update = partial(
        r#"<conference-info xmlns="urn:ietf:params:xml:ns:conference-info"
            entity="sips:conf233@example.com" state="partial" version="3">
          <users state="partial">
            <user entity="sip:carol@example.com" state="partial">
              <endpoint entity="sip:carol@pc.example.com" state="partial"><status>connected</status></endpoint>
            </user>
            <user entity="sip:alice@example.com" state="full"><display-text>Alice B.</display-text></user>
          </users>
        </conference-info>"#,
    );
    c.apply(&update).unwrap();
    let users = &c.users.as_ref().unwrap().users;
    assert_eq!(users[0].display_text.as_deref(), Some("Alice B."));
    assert!(
        users[0].endpoints.is_empty(),
        "a full user replaces the old one"
    );
    assert_eq!(users[1].endpoints[0].status.as_deref(), Some("connected"));
    assert_eq!(users[1].display_text.as_deref(), Some("Carol"));

    // Media deleted
    let update = partial(
        r#"<conference-info xmlns="urn:ietf:params:xml:ns:conference-info"
            entity="sips:conf233@example.com" state="partial" version="4">
          <users state="partial"><user entity="sip:carol@example.com" state="partial">
            <endpoint entity="sip:carol@pc.example.com" state="deleted"/></user></users>
        </conference-info>"#,
    );
    c.apply(&update).unwrap();
    assert!(c.users.as_ref().unwrap().users[1].endpoints.is_empty());
}

#[test]
fn apply_checks_versions_and_entity() {
    let mut c = ConferenceInfo::parse(RFC4575_FULL.as_bytes()).unwrap();
    let before = c.clone();
    let same = c.clone();
    assert_eq!(
        c.apply(&same),
        Err(ApplyError::Stale {
            current: 1,
            received: 1
        })
    );
    let gap = partial(
        r#"<conference-info xmlns="urn:ietf:params:xml:ns:conference-info"
            entity="sips:conf233@example.com" state="partial" version="5">
            <users state="partial"><user entity="sip:bob@example.com" state="deleted"/></users>
        </conference-info>"#,
    );
    assert_eq!(
        c.apply(&gap),
        Err(ApplyError::Gap {
            current: 1,
            received: 5
        })
    );
    assert_eq!(c, before, "a refused update changes nothing");
    let other = ConferenceInfo::new("sip:other@example.com", 9);
    assert!(matches!(
        c.apply(&other),
        Err(ApplyError::EntityMismatch { .. })
    ));

    // A newer full document replaces everything, whatever the gap.
    let mut full = ConferenceInfo::new("sips:conf233@example.com", 10);
    let mut users = sip_payloads::conference_info::Users::default();
    let mut u = User::new("sip:dave@example.com");
    u.endpoints.push(Endpoint::new("sip:dave@10.0.0.1"));
    users.users.push(u);
    full.users = Some(users);
    c.apply(&full).unwrap();
    assert_eq!(c, full);
}

#[test]
fn conference_info_errors() {
    let e = ConferenceInfo::parse(
        br#"<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="x" version="1">
            <users><user entity="u" state="gone"/></users></conference-info>"#,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "conference-info: /conference-info/users/user[1]/@state: invalid value \"gone\" (expected full, partial or deleted)"
    );
    let e = ConferenceInfo::parse(
        br#"<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="x"/>"#,
    )
    .unwrap_err();
    assert!(matches!(
        e,
        PayloadError::MissingAttribute {
            attribute: "version",
            ..
        }
    ));
}

#[test]
fn dialog_info_partial_updates_replace_add_and_remove_dialogs() {
    let mut state = DialogInfo::parse(
        br#"<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="4" state="full"
            entity="sip:alice@example.com">
          <dialog id="a"><state>confirmed</state></dialog>
          <dialog id="b"><state>early</state></dialog>
        </dialog-info>"#,
    )
    .unwrap();
    let update = DialogInfo::parse(
        br#"<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="5" state="partial"
            entity="sip:alice@example.com">
          <dialog id="a"><state event="remote-bye">terminated</state></dialog>
          <dialog id="b"><state>confirmed</state></dialog>
          <dialog id="c"><state>trying</state></dialog>
        </dialog-info>"#,
    )
    .unwrap();
    state.apply(&update).unwrap();
    assert_eq!(state.version, 5);
    let ids: Vec<_> = state
        .dialogs
        .iter()
        .map(|d| (d.id.as_str(), d.state.value))
        .collect();
    assert_eq!(
        ids,
        [
            ("b", DialogStateValue::Confirmed),
            ("c", DialogStateValue::Trying)
        ]
    );
    assert_eq!(
        state.apply(&update),
        Err(sip_payloads::ApplyError::Stale {
            current: 5,
            received: 5
        })
    );
    let mut gap = update.clone();
    gap.version = 9;
    assert_eq!(
        state.apply(&gap),
        Err(sip_payloads::ApplyError::Gap {
            current: 5,
            received: 9
        })
    );
}
