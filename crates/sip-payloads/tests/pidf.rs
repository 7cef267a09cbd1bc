//! PIDF with RPID, CIPID, caps and the data model: the RFCs' examples (retyped), round trips
//! and errors.

use sip_payloads::pidf::{
    Basic, CAPS_NAMESPACE, Contact, Device, Person, Presence, RpidValues, Tuple, UserInput,
};
use sip_payloads::{Document, Element, Note, PayloadError};

fn roundtrip(p: &Presence) {
    let xml = p.to_xml();
    let back = Presence::parse(xml.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    assert_eq!(&back, p, "round trip changed the document:\n{xml}");
}

const RFC3863_EXAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf"
    xmlns:im="urn:ietf:params:xml:ns:pidf:im"
    xmlns:myex="http://id.example.com/presence/"
    entity="pres:someone@example.com">
  <tuple id="bs35r9">
    <status>
      <basic>open</basic>
      <im:im>busy</im:im>
      <myex:location>home</myex:location>
    </status>
    <contact priority="0.8">im:someone@mobilecarrier.net</contact>
    <note xml:lang="en">Don't Disturb Please!</note>
    <note xml:lang="fr">Ne derangez pas, s'il vous plait</note>
    <timestamp>2001-10-27T16:49:29Z</timestamp>
  </tuple>
  <tuple id="eg92n8">
    <status>
      <basic>open</basic>
    </status>
    <contact priority="1.0">mailto:someone@example.com</contact>
  </tuple>
  <note>I'll be in Tokyo next week</note>
</presence>"#;

#[test]
fn rfc3863_example_parses_with_status_extensions() {
    let p = Presence::parse(RFC3863_EXAMPLE.as_bytes()).unwrap();
    assert_eq!(p.entity, "pres:someone@example.com");
    assert_eq!(p.tuples.len(), 2);
    let t = &p.tuples[0];
    assert_eq!(t.id, "bs35r9");
    assert_eq!(t.status.basic, Some(Basic::Open));
    assert_eq!(t.status.extensions.len(), 2);
    assert!(t.status.extensions[0].is("urn:ietf:params:xml:ns:pidf:im", "im"));
    assert_eq!(t.status.extensions[0].text(), "busy");
    assert!(t.status.extensions[1].is("http://id.example.com/presence/", "location"));
    let contact = t.contact.as_ref().unwrap();
    assert_eq!(contact.uri, "im:someone@mobilecarrier.net");
    assert_eq!(contact.priority, Some(0.8));
    assert_eq!(
        t.notes,
        vec![
            Note::with_lang("Don't Disturb Please!", "en"),
            Note::with_lang("Ne derangez pas, s'il vous plait", "fr"),
        ]
    );
    assert_eq!(t.timestamp.as_deref(), Some("2001-10-27T16:49:29Z"));
    assert_eq!(p.tuples[1].contact.as_ref().unwrap().priority, Some(1.0));
    assert_eq!(p.notes, vec![Note::new("I'll be in Tokyo next week")]);
    roundtrip(&p);
    // The writer declares the unknown namespaces with generated prefixes.
    let xml = p.to_xml();
    assert!(
        xml.contains("xmlns=\"urn:ietf:params:xml:ns:pidf\""),
        "{xml}"
    );
    assert!(xml.contains("http://id.example.com/presence/"), "{xml}");
}

const RFC4480_EXAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf"
     xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"
     xmlns:lt="urn:ietf:params:xml:ns:location-type"
     xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid"
     entity="pres:someone@example.com">
  <tuple id="bs35r9">
    <status>
      <basic>open</basic>
    </status>
    <dm:deviceID>urn:device:0003ba4811e3</dm:deviceID>
    <rpid:relationship><rpid:self/></rpid:relationship>
    <rpid:service-class><rpid:electronic/></rpid:service-class>
    <contact priority="0.8">im:someone@mobilecarrier.net</contact>
    <note xml:lang="en">Don't Disturb Please!</note>
    <note xml:lang="fr">Ne derangez pas, s'il vous plait</note>
    <timestamp>2005-10-27T16:49:29Z</timestamp>
  </tuple>
  <tuple id="ty4658">
    <status>
      <basic>open</basic>
    </status>
    <rpid:relationship><rpid:assistant/></rpid:relationship>
    <contact priority="1.0">mailto:secretary@example.com</contact>
  </tuple>
  <tuple id="eg92n8">
    <status>
      <basic>open</basic>
    </status>
    <dm:deviceID>urn:x-mac:0003ba4811e3</dm:deviceID>
    <rpid:class>email</rpid:class>
    <rpid:service-class><rpid:electronic/></rpid:service-class>
    <rpid:status-icon>http://example.com/mail.png</rpid:status-icon>
    <contact priority="1.0">mailto:someone@example.com</contact>
  </tuple>
  <note>I'll be in Tokyo next week</note>
  <dm:device id="pc147">
    <rpid:user-input idle-threshold="600"
      last-input="2004-10-21T13:20:00.000-05:00">idle</rpid:user-input>
    <dm:deviceID>urn:device:0003ba4811e3</dm:deviceID>
    <dm:note>PC</dm:note>
  </dm:device>
  <dm:person id="p1">
    <rpid:activities from="2005-05-30T12:00:00+05:00"
      until="2005-05-30T17:00:00+05:00">
      <rpid:note>Far away</rpid:note>
      <rpid:away/>
    </rpid:activities>
    <rpid:class>calendar</rpid:class>
    <rpid:mood>
      <rpid:angry/>
      <rpid:other>brooding</rpid:other>
    </rpid:mood>
    <rpid:place-is>
      <rpid:audio>
        <rpid:noisy/>
      </rpid:audio>
    </rpid:place-is>
    <rpid:place-type><lt:residence/></rpid:place-type>
    <rpid:privacy><rpid:unknown/></rpid:privacy>
    <rpid:sphere>bowling league</rpid:sphere>
    <rpid:status-icon>http://example.com/play.gif</rpid:status-icon>
    <rpid:time-offset>-240</rpid:time-offset>
    <dm:note>Scoring 120</dm:note>
    <dm:timestamp>2005-05-30T16:09:44+05:00</dm:timestamp>
  </dm:person>
</presence>"#;

#[test]
fn rfc4480_example_parses_rpid_and_data_model() {
    let p = Presence::parse(RFC4480_EXAMPLE.as_bytes()).unwrap();
    assert_eq!(p.tuples.len(), 3);
    assert_eq!(p.tuples[0].device_ids, vec!["urn:device:0003ba4811e3"]);
    // relationship and service-class inside a tuple are kept as extensions
    assert_eq!(p.tuples[0].extensions.len(), 2);
    assert_eq!(p.tuples[2].class.as_deref(), Some("email"));

    let d = &p.devices[0];
    assert_eq!(d.id, "pc147");
    assert_eq!(d.device_id.as_deref(), Some("urn:device:0003ba4811e3"));
    let input: &UserInput = d.user_input.as_ref().unwrap();
    assert!(!input.active);
    assert_eq!(input.idle_threshold, Some(600));
    assert_eq!(
        input.last_input.as_deref(),
        Some("2004-10-21T13:20:00.000-05:00")
    );
    assert_eq!(d.notes, vec![Note::new("PC")]);

    let person = &p.persons[0];
    let activities = person.activities.as_ref().unwrap();
    assert_eq!(activities.values, vec!["away"]);
    assert_eq!(activities.notes, vec![Note::new("Far away")]);
    assert_eq!(
        activities.since.as_deref(),
        Some("2005-05-30T12:00:00+05:00")
    );
    assert_eq!(
        activities.until.as_deref(),
        Some("2005-05-30T17:00:00+05:00")
    );
    let mood = person.mood.as_ref().unwrap();
    assert_eq!(mood.values, vec!["angry"]);
    assert_eq!(mood.other, vec![Note::new("brooding")]);
    assert_eq!(person.class.as_deref(), Some("calendar"));
    let place_type = person.place_type.as_ref().unwrap();
    assert!(place_type.extensions[0].is("urn:ietf:params:xml:ns:location-type", "residence"));
    assert_eq!(person.privacy.as_ref().unwrap().values, vec!["unknown"]);
    assert_eq!(
        person.sphere.as_ref().unwrap().text.as_deref(),
        Some("bowling league")
    );
    assert_eq!(
        person.status_icon.as_deref(),
        Some("http://example.com/play.gif")
    );
    assert_eq!(person.time_offset.as_ref().unwrap().minutes, -240);
    assert_eq!(person.notes, vec![Note::new("Scoring 120")]);
    assert_eq!(
        person.timestamp.as_deref(),
        Some("2005-05-30T16:09:44+05:00")
    );
    // place-is is kept whole
    assert!(person.extensions[0].is("urn:ietf:params:xml:ns:pidf:rpid", "place-is"));
    roundtrip(&p);
}

#[test]
fn rfc4482_cipid_example() {
    let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf"
    xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"
    xmlns:c="urn:ietf:params:xml:ns:pidf:cipid"
    entity="pres:someone@example.com">
  <tuple id="bs35r9">
    <status><basic>open</basic></status>
    <contact priority="0.8">im:someone@mobilecarrier.net</contact>
  </tuple>
  <dm:person id="p1">
    <c:card>http://example.com/~someone/card.vcd</c:card>
    <c:display-name>Some One</c:display-name>
    <c:homepage>http://example.com/~someone</c:homepage>
    <c:icon>http://example.com/~someone/icon.gif</c:icon>
    <c:map>http://example.com/~someone/gml-map.xml</c:map>
    <c:sound>http://example.com/~someone/whoosh.wav</c:sound>
  </dm:person>
</presence>"#;
    let p = Presence::parse(body.as_bytes()).unwrap();
    let person = &p.persons[0];
    assert_eq!(
        person.card.as_deref(),
        Some("http://example.com/~someone/card.vcd")
    );
    assert_eq!(person.display_name.as_deref(), Some("Some One"));
    assert_eq!(
        person.homepage.as_deref(),
        Some("http://example.com/~someone")
    );
    assert_eq!(
        person.icon.as_deref(),
        Some("http://example.com/~someone/icon.gif")
    );
    assert_eq!(
        person.map.as_deref(),
        Some("http://example.com/~someone/gml-map.xml")
    );
    assert_eq!(
        person.sound.as_deref(),
        Some("http://example.com/~someone/whoosh.wav")
    );
    assert!(person.extensions.is_empty());
    roundtrip(&p);
}

#[test]
fn rfc5196_servcaps_example() {
    let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf"
    xmlns:caps="urn:ietf:params:xml:ns:pidf:caps"
    entity="pres:someone@example.com">
  <tuple id="qoica9">
    <status><basic>open</basic></status>
    <caps:servcaps>
      <caps:audio>true</caps:audio>
      <caps:duplex>
        <caps:supported><caps:full/></caps:supported>
      </caps:duplex>
      <caps:event-packages>
        <caps:supported><caps:conference/><caps:presence/></caps:supported>
      </caps:event-packages>
      <caps:methods>
        <caps:supported><caps:BYE/><caps:INVITE/></caps:supported>
        <caps:notsupported><caps:MESSAGE/></caps:notsupported>
      </caps:methods>
      <caps:type>
        <caps:supported><caps:type>text/plain</caps:type></caps:supported>
      </caps:type>
      <caps:video>false</caps:video>
    </caps:servcaps>
    <contact>sip:someone@example.com</contact>
  </tuple>
</presence>"#;
    let p = Presence::parse(body.as_bytes()).unwrap();
    let caps = p.tuples[0].servcaps.as_ref().unwrap();
    assert_eq!(
        caps.flags,
        vec![("audio".to_owned(), true), ("video".to_owned(), false)]
    );
    let methods = caps.lists.iter().find(|l| l.name == "methods").unwrap();
    assert_eq!(methods.supported, vec!["BYE", "INVITE"]);
    assert_eq!(methods.not_supported, vec!["MESSAGE"]);
    let events = caps
        .lists
        .iter()
        .find(|l| l.name == "event-packages")
        .unwrap();
    assert_eq!(events.supported, vec!["conference", "presence"]);
    let types = caps.lists.iter().find(|l| l.name == "type").unwrap();
    assert_eq!(types.supported, vec!["text/plain"]);
    roundtrip(&p);
    assert!(p.to_xml().contains(CAPS_NAMESPACE));
}

#[test]
fn built_document_uses_stable_prefixes() {
    let mut p = Presence::new("sip:alice@example.com");
    let mut t = Tuple::new("sipsimple-1", Basic::Open);
    t.contact = Some(Contact::new("sip:alice@127.0.0.1:5060"));
    t.notes.push(Note::new("Available <& ready>"));
    t.device_ids.push("urn:uuid:1".into());
    p.tuples.push(t);
    let mut person = Person::new("p1");
    person.activities = Some(RpidValues::new(["on-the-phone"]));
    person.display_name = Some("Alice".into());
    p.persons.push(person);
    p.devices.push(Device::new("d1", "urn:uuid:1"));
    let xml = p.to_xml();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert!(
        xml.contains("xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\""),
        "{xml}"
    );
    assert!(
        xml.contains("xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\""),
        "{xml}"
    );
    assert!(xml.contains("<rpid:on-the-phone/>"), "{xml}");
    assert!(xml.contains("<dm:person id=\"p1\">"), "{xml}");
    assert!(xml.contains("Available &lt;&amp; ready&gt;"), "{xml}");
    roundtrip(&p);
}

#[test]
fn unknown_elements_and_attributes_survive() {
    let body = r#"<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:x="urn:x-test"
        entity="sip:a@example.com" x:flag="1">
      <tuple id="t1" x:weight="3"><status><basic>closed</basic></status>
        <x:geo lat="1" long="2"><x:city>Paris</x:city></x:geo></tuple>
      <x:trailer>kept</x:trailer>
    </presence>"#;
    let p = Presence::parse(body.as_bytes()).unwrap();
    assert_eq!(p.attributes[0].name, "flag");
    assert_eq!(p.tuples[0].attributes[0].name, "weight");
    assert!(p.tuples[0].extensions[0].is("urn:x-test", "geo"));
    assert_eq!(p.extensions[0].text(), "kept");
    let again = Presence::parse(p.to_xml().as_bytes()).unwrap();
    assert_eq!(again, p);
    assert_eq!(
        again.tuples[0].extensions[0]
            .child("urn:x-test", "city")
            .unwrap()
            .text(),
        "Paris"
    );
}

#[test]
fn errors_name_document_path_and_reason() {
    let wrong_ns = Presence::parse(br#"<presence xmlns="urn:x" entity="a"/>"#).unwrap_err();
    assert!(
        matches!(wrong_ns, PayloadError::WrongRoot { .. }),
        "{wrong_ns}"
    );

    let bad_basic = Presence::parse(
        br#"<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="a">
            <tuple id="t"><status><basic>maybe</basic></status></tuple></presence>"#,
    )
    .unwrap_err();
    assert_eq!(
        bad_basic.to_string(),
        "pidf: /presence/tuple[1]/status/basic: invalid value \"maybe\" (expected open or closed)"
    );

    let no_status = Presence::parse(
        br#"<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="a"><tuple id="t"/></presence>"#,
    )
    .unwrap_err();
    assert_eq!(
        no_status.to_string(),
        "pidf: /presence/tuple[1]: missing element <status>"
    );

    let priority = Presence::parse(
        br#"<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="a"><tuple id="t">
            <status/><contact priority="7">sip:a</contact></tuple></presence>"#,
    )
    .unwrap_err();
    assert!(
        matches!(priority, PayloadError::InvalidValue { ref path, .. } if path == "/presence/tuple[1]/contact/@priority"),
        "{priority}"
    );

    let dup = Presence::parse(
        br#"<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="a"><tuple id="t">
            <status/><status/></tuple></presence>"#,
    )
    .unwrap_err();
    assert!(
        matches!(
            dup,
            PayloadError::DuplicateElement {
                element: "status",
                ..
            }
        ),
        "{dup}"
    );

    let malformed =
        Presence::parse(b"<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='a'><tuple>")
            .unwrap_err();
    assert!(
        matches!(
            malformed,
            PayloadError::Syntax {
                document: "pidf",
                ..
            }
        ),
        "{malformed}"
    );

    let unbound = Presence::parse(b"<p:presence entity='a'/>").unwrap_err();
    assert!(
        matches!(unbound, PayloadError::UnboundPrefix { ref prefix, .. } if prefix == "p"),
        "{unbound}"
    );
}

#[test]
fn element_tree_keeps_text_and_cdata() {
    let el = Element::parse("test", b"<a><b>x &amp; <![CDATA[<y>]]> &#65;</b></a>").unwrap();
    assert_eq!(el.child("", "b").unwrap().text(), "x & <y> A");
}
