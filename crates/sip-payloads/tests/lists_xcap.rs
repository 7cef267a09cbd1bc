//! resource-lists, rls-services (RFC 4826), RLMI (RFC 4662), xcap-diff (RFC 5874),
//! common-policy/pres-rules (RFC 4745/5025) and xcap-caps/xcap-error (RFC 4825).

use sip_payloads::policy::{Provide, Ruleset, SubHandling};
use sip_payloads::resource_lists::{ListItem, ResourceLists, RlsServices, ServiceList};
use sip_payloads::rlmi::{InstanceState, Part, RlmiList, RlsNotify};
use sip_payloads::xcap::{XcapCaps, XcapError};
use sip_payloads::xcap_diff::XcapDiff;
use sip_payloads::{Document, PayloadError};

fn roundtrip<T: Document + PartialEq + std::fmt::Debug>(doc: &T) {
    let xml = doc.to_xml();
    let back = T::parse(xml.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    assert_eq!(&back, doc, "{xml}");
}

#[test]
fn rfc4826_resource_lists_example() {
    let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <list name="friends">
    <entry uri="sip:bill@example.com">
      <display-name>Bill Doe</display-name>
    </entry>
    <entry-ref ref="resource-lists/users/sip:bill@example.com/index/~~/resource-lists/list%5b@name=%22list1%22%5d/entry%5b@uri=%22sip:petri@example.com%22%5d"/>
    <list name="close-friends">
      <display-name>Close Friends</display-name>
      <entry uri="sip:joe@example.com">
        <display-name>Joe Smith</display-name>
      </entry>
      <entry uri="sip:nancy@example.com">
        <display-name>Nancy Gross</display-name>
      </entry>
      <external anchor="http://xcap.example.org/resource-lists/users/sip:a@example.org/index/~~/resource-lists/list%5b@name=%22mkting%22%5d">
        <display-name>Marketing</display-name>
      </external>
    </list>
  </list>
</resource-lists>"#;
    let doc = ResourceLists::parse(body).unwrap();
    let friends = &doc.lists[0];
    assert_eq!(friends.name.as_deref(), Some("friends"));
    assert_eq!(friends.items.len(), 3);
    let ListItem::Entry(bill) = &friends.items[0] else {
        panic!()
    };
    assert_eq!(bill.uri, "sip:bill@example.com");
    assert_eq!(bill.display_name.as_ref().unwrap().text, "Bill Doe");
    assert!(
        matches!(&friends.items[1], ListItem::EntryRef { reference, .. } if reference.starts_with("resource-lists/users/sip:bill"))
    );
    let ListItem::List(close) = &friends.items[2] else {
        panic!()
    };
    assert_eq!(close.display_name.as_ref().unwrap().text, "Close Friends");
    assert!(
        matches!(&close.items[2], ListItem::External { display_name: Some(d), .. } if d.text == "Marketing")
    );
    let uris: Vec<_> = friends.entries().iter().map(|e| e.uri.as_str()).collect();
    assert_eq!(
        uris,
        [
            "sip:bill@example.com",
            "sip:joe@example.com",
            "sip:nancy@example.com"
        ]
    );
    roundtrip(&doc);
}

#[test]
fn resource_list_entry_without_uri_is_rejected_with_its_path() {
    let e = ResourceLists::parse(
        br#"<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">
            <list name="a"><entry uri="sip:x@y"/><entry/></list></resource-lists>"#,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "resource-lists: /resource-lists/list[1]/entry[2]: missing attribute \"uri\""
    );
}

#[test]
fn rfc4826_rls_services_example() {
    let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<rls-services xmlns="urn:ietf:params:xml:ns:rls-services"
    xmlns:rl="urn:ietf:params:xml:ns:resource-lists">
  <service uri="sip:mybuddies@example.com">
    <resource-list>http://xcap.example.com/resource-lists/users/sip:joe@example.com/index/~~/resource-lists/list%5b@name=%22l1%22%5d</resource-list>
    <packages>
      <package>presence</package>
    </packages>
  </service>
  <service uri="sip:marketing@example.com">
    <list name="marketing">
      <rl:entry uri="sip:joe@example.com"/>
      <rl:entry uri="sip:sudhir@example.com"/>
    </list>
    <packages>
      <package>presence</package>
    </packages>
  </service>
</rls-services>"#;
    let doc = RlsServices::parse(body).unwrap();
    assert_eq!(doc.services.len(), 2);
    assert!(
        matches!(&doc.services[0].list, ServiceList::ResourceList(u) if u.starts_with("http://xcap.example.com/"))
    );
    assert_eq!(doc.services[0].packages, vec!["presence"]);
    let ServiceList::List(l) = &doc.services[1].list else {
        panic!()
    };
    assert_eq!(l.entries().len(), 2);
    roundtrip(&doc);
}

const RLMI: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<list xmlns="urn:ietf:params:xml:ns:rlmi"
      uri="sip:adam-friends@pres.example.com" version="1" fullState="true">
  <name xml:lang="en">Buddy List at COM</name>
  <name xml:lang="de">Liste der Freunde an COM</name>
  <resource uri="sip:bob@example.com">
    <name>Bob Smith</name>
    <instance id="juwigmtboe" state="active" cid="bUZBsM@pres.example.com"/>
  </resource>
  <resource uri="sip:dave@example.com">
    <name>Dave Jones</name>
    <instance id="hqzsuxtfyq" state="active" cid="ZvSvkz@pres.example.com"/>
  </resource>
  <resource uri="sip:ed@example.net">
    <name>Ed at NET</name>
  </resource>
  <resource uri="sip:adam-friends@example.org">
    <name xml:lang="en">My Friends at ORG</name>
    <instance id="pending1" state="pending"/>
  </resource>
</list>"#;

#[test]
fn rfc4662_rlmi_example_and_multipart_parts() {
    let list = RlmiList::parse(RLMI.as_bytes()).unwrap();
    assert_eq!(list.uri, "sip:adam-friends@pres.example.com");
    assert!(list.full_state);
    assert_eq!(list.names.len(), 2);
    assert_eq!(list.resources.len(), 4);
    assert_eq!(list.resources[0].instances[0].state, InstanceState::Active);
    assert_eq!(list.resources[3].instances[0].state, InstanceState::Pending);
    roundtrip(&list);

    let bob = br#"<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:bob@example.com"/>"#;
    let dave = br#"<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:dave@example.com"/>"#;
    let parts = [
        Part {
            content_type: "application/rlmi+xml;charset=UTF-8",
            content_id: Some("<nXYxAE@pres.example.com>"),
            body: RLMI.as_bytes(),
        },
        Part {
            content_type: "application/pidf+xml;charset=UTF-8",
            content_id: Some("<bUZBsM@pres.example.com>"),
            body: bob,
        },
        Part {
            content_type: "application/pidf+xml",
            content_id: Some("<ZvSvkz@pres.example.com>"),
            body: dave,
        },
    ];
    let notify = RlsNotify::from_parts(&parts).unwrap();
    assert_eq!(notify.resources.len(), 4);
    let b = &notify.resources[0].instances[0];
    assert_eq!(b.content_type.as_deref(), Some("application/pidf+xml"));
    assert_eq!(b.body.as_deref(), Some(&bob[..]));
    let pidf = sip_payloads::pidf::Presence::parse(
        notify.resources[1].instances[0].body.as_ref().unwrap(),
    )
    .unwrap();
    assert_eq!(pidf.entity, "sip:dave@example.com");
    assert!(notify.resources[2].instances.is_empty());
    assert_eq!(notify.resources[3].instances[0].body, None);

    // A cid no part carries and a body without RLMI root are errors.
    let e = RlsNotify::from_parts(&parts[..2]).unwrap_err();
    assert!(matches!(e, PayloadError::Multipart { .. }), "{e}");
    let e = RlsNotify::from_parts(&parts[1..]).unwrap_err();
    assert_eq!(e.to_string(), "rlmi: no application/rlmi+xml part");
}

#[test]
fn rfc5874_xcap_diff_example() {
    let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<xcap-diff xmlns="urn:ietf:params:xml:ns:xcap-diff"
           xcap-root="http://xcap.example.com/root/">
  <document new-etag="7" sel="rls-services/users/sip:joe@example.com/index" previous-etag="6">
    <add sel="*/service[@uri='sip:marketing@example.com']/packages"><package xmlns="urn:ietf:params:xml:ns:rls-services">presence</package></add>
  </document>
  <document previous-etag="7" sel="resource-lists/users/sip:joe@example.com/index" new-etag="8">
    <body-not-changed/>
  </document>
  <element sel="resource-lists/users/sip:joe@example.com/index/~~/resource-lists/list%5b@name=%22friends%22%5d" exists="0"/>
  <attribute sel="resource-lists/users/sip:joe@example.com/index/~~/resource-lists/list%5b@name=%22x%22%5d/@name" exists="1">y</attribute>
</xcap-diff>"#;
    let d = XcapDiff::parse(body).unwrap();
    assert_eq!(d.xcap_root, "http://xcap.example.com/root/");
    assert_eq!(d.documents[0].new_etag.as_deref(), Some("7"));
    assert_eq!(d.documents[0].previous_etag.as_deref(), Some("6"));
    assert_eq!(d.documents[0].patch[0].name, "add");
    assert!(d.documents[1].body_not_changed);
    assert_eq!(d.elements[0].exists, Some(false));
    assert_eq!(d.attributes[0].value.as_deref(), Some("y"));
    roundtrip(&d);
}

#[test]
fn rfc4745_common_policy_and_rfc5025_pres_rules() {
    let common = br#"<?xml version="1.0" encoding="UTF-8"?>
<ruleset xmlns="urn:ietf:params:xml:ns:common-policy">
  <rule id="f3g44r1">
    <conditions>
      <sphere value="work"/>
      <identity>
        <one id="sip:alice@example.com"/>
        <one id="tel:+1-212-555-1234"/>
        <many domain="example.com"><except id="sip:bob@example.com"/></many>
      </identity>
      <validity>
        <from>2003-08-15T10:20:00.000-05:00</from>
        <until>2003-09-15T10:20:00.000-05:00</until>
      </validity>
    </conditions>
    <actions/>
    <transformations/>
  </rule>
</ruleset>"#;
    let r = Ruleset::parse(common).unwrap();
    let c = r.rules[0].conditions.as_ref().unwrap();
    assert_eq!(c.sphere.as_deref(), Some("work"));
    let identity = c.identity.as_ref().unwrap();
    assert_eq!(
        identity.one,
        vec!["sip:alice@example.com", "tel:+1-212-555-1234"]
    );
    assert_eq!(identity.many[0].domain.as_deref(), Some("example.com"));
    assert_eq!(identity.many[0].except_ids, vec!["sip:bob@example.com"]);
    assert_eq!(c.validity[0].0, "2003-08-15T10:20:00.000-05:00");
    roundtrip(&r);

    let pres_rules = br#"<?xml version="1.0" encoding="UTF-8"?>
<cr:ruleset xmlns="urn:ietf:params:xml:ns:pres-rules"
    xmlns:pr="urn:ietf:params:xml:ns:pres-rules"
    xmlns:cr="urn:ietf:params:xml:ns:common-policy">
  <cr:rule id="a">
    <cr:conditions>
      <cr:identity><cr:one id="sip:user@example.com"/></cr:identity>
    </cr:conditions>
    <cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions>
    <cr:transformations>
      <pr:provide-services>
        <pr:service-uri-scheme>sip</pr:service-uri-scheme>
        <pr:service-uri-scheme>mailto</pr:service-uri-scheme>
      </pr:provide-services>
      <pr:provide-persons><pr:all-persons/></pr:provide-persons>
      <pr:provide-activities>true</pr:provide-activities>
      <pr:provide-user-input>bare</pr:provide-user-input>
      <pr:provide-unknown-attribute ns="urn:vendor-specific:foo-namespace"
          name="foo">true</pr:provide-unknown-attribute>
    </cr:transformations>
  </cr:rule>
</cr:ruleset>"#;
    let r = Ruleset::parse(pres_rules).unwrap();
    let rule = &r.rules[0];
    assert_eq!(
        rule.actions.as_ref().unwrap().sub_handling,
        Some(SubHandling::Allow)
    );
    let t = rule.transformations.as_ref().unwrap();
    assert_eq!(
        t.provide_services,
        Some(Provide::Items(vec![
            ("service-uri-scheme".into(), "sip".into()),
            ("service-uri-scheme".into(), "mailto".into())
        ]))
    );
    assert_eq!(t.provide_persons, Some(Provide::All));
    assert_eq!(
        t.provide,
        vec![
            ("provide-activities".to_owned(), "true".to_owned()),
            ("provide-user-input".to_owned(), "bare".to_owned()),
        ]
    );
    assert_eq!(t.extensions[0].name, "provide-unknown-attribute");
    roundtrip(&r);

    let bad = Ruleset::parse(
        br#"<ruleset xmlns="urn:ietf:params:xml:ns:common-policy"><rule id="x"><actions>
            <sub-handling xmlns="urn:ietf:params:xml:ns:pres-rules">maybe</sub-handling>
            </actions></rule></ruleset>"#,
    )
    .unwrap_err();
    assert_eq!(
        bad.to_string(),
        "common-policy: /ruleset/rule[1]/actions/sub-handling: invalid value \"maybe\" (expected block, confirm, polite-block or allow)"
    );
}

#[test]
fn rfc4825_xcap_caps_and_errors() {
    let caps = br#"<?xml version="1.0" encoding="UTF-8"?>
<xcap-caps xmlns="urn:ietf:params:xml:ns:xcap-caps">
  <auids>
    <auid>xcap-caps</auid>
    <auid>resource-lists</auid>
    <auid>rls-services</auid>
  </auids>
  <extensions>
  </extensions>
  <namespaces>
    <namespace>urn:ietf:params:xml:ns:xcap-caps</namespace>
    <namespace>urn:ietf:params:xml:ns:xcap-error</namespace>
    <namespace>urn:ietf:params:xml:ns:resource-lists</namespace>
    <namespace>urn:ietf:params:xml:ns:rls-services</namespace>
  </namespaces>
</xcap-caps>"#;
    let c = XcapCaps::parse(caps).unwrap();
    assert_eq!(c.auids, vec!["xcap-caps", "resource-lists", "rls-services"]);
    assert_eq!(c.namespaces.len(), 4);
    roundtrip(&c);
    let missing =
        XcapCaps::parse(br#"<xcap-caps xmlns="urn:ietf:params:xml:ns:xcap-caps"/>"#).unwrap_err();
    assert!(matches!(
        missing,
        PayloadError::MissingElement {
            element: "auids",
            ..
        }
    ));

    let err = br#"<?xml version="1.0" encoding="UTF-8"?>
<xcap-error xmlns="urn:ietf:params:xml:ns:xcap-error">
  <uniqueness-failure>
    <exists field="rls-services/service/@uri">
      <alt-value>sip:mybuddies@example.com</alt-value>
    </exists>
  </uniqueness-failure>
</xcap-error>"#;
    let e = XcapError::parse(err).unwrap();
    assert_eq!(e.condition.name, "uniqueness-failure");
    assert_eq!(
        e.condition.exists,
        vec![(
            "rls-services/service/@uri".to_owned(),
            vec!["sip:mybuddies@example.com".to_owned()]
        )]
    );
    roundtrip(&e);
    let np = XcapError::parse(br#"<xcap-error xmlns="urn:ietf:params:xml:ns:xcap-error"><no-parent phrase="Parent does not exist"><ancestor>http://xcap.example.com/root/</ancestor></no-parent></xcap-error>"#).unwrap();
    assert_eq!(
        np.condition.ancestor.as_deref(),
        Some("http://xcap.example.com/root/")
    );
    assert_eq!(
        np.condition.phrase.as_deref(),
        Some("Parent does not exist")
    );
    roundtrip(&np);
}
