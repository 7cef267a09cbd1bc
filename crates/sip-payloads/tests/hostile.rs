//! Hostile documents: entity expansion, deep nesting, huge attributes and text, element
//! floods. Each is refused quickly with an error naming the limit.

use sip_payloads::pidf::Presence;
use sip_payloads::{Document, Element, Limit, Limits, PayloadError};

fn limit_of(e: PayloadError) -> Limit {
    match e {
        PayloadError::Limit { limit, .. } => limit,
        other => panic!("expected a limit error, got {other}"),
    }
}

#[test]
fn billion_laughs_is_refused_at_the_doctype() {
    let body = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="&lol3;"/>"#;
    let e = Presence::parse(body).unwrap_err();
    assert!(
        matches!(e, PayloadError::Forbidden { ref what, .. } if what == "DOCTYPE"),
        "{e}"
    );
}

#[test]
fn undeclared_entities_are_refused_not_expanded() {
    let e = Element::parse("test", b"<a>&xxe;</a>").unwrap_err();
    assert!(
        matches!(e, PayloadError::Forbidden { ref what, .. } if what == "entity reference &xxe;"),
        "{e}"
    );
    let e = Element::parse("test", b"<a b='&xxe;'/>").unwrap_err();
    assert!(matches!(e, PayloadError::Syntax { .. }), "{e}");
    // the predefined ones and character references are fine
    let ok = Element::parse("test", b"<a b='&lt;&#x41;'>&quot;&apos;&gt;</a>").unwrap();
    assert_eq!(ok.attribute("b"), Some("<A"));
    assert_eq!(ok.text(), "\"'>");
}

#[test]
fn deep_nesting_hits_the_depth_limit() {
    let depth = 100_000;
    let mut body = String::with_capacity(depth * 7);
    for _ in 0..depth {
        body.push_str("<a>");
    }
    for _ in 0..depth {
        body.push_str("</a>");
    }
    assert_eq!(
        limit_of(Element::parse("test", body.as_bytes()).unwrap_err()),
        Limit::Depth
    );
}

#[test]
fn element_flood_hits_the_element_limit() {
    let mut limits = Limits::default();
    limits.max_elements = 1_000;
    let mut body = String::from("<a>");
    for _ in 0..5_000 {
        body.push_str("<b/>");
    }
    body.push_str("</a>");
    let e = Element::parse_with_limits("test", body.as_bytes(), &limits).unwrap_err();
    assert_eq!(limit_of(e), Limit::Elements);
}

#[test]
fn huge_attribute_text_and_document_are_refused() {
    let big = "x".repeat(Limits::default().max_attribute_size + 1);
    let body = format!("<a b=\"{big}\"/>");
    assert_eq!(
        limit_of(Element::parse("test", body.as_bytes()).unwrap_err()),
        Limit::AttributeSize
    );

    let big = "y".repeat(Limits::default().max_text_size + 1);
    let body = format!("<a>{big}</a>");
    assert_eq!(
        limit_of(Element::parse("test", body.as_bytes()).unwrap_err()),
        Limit::TextSize
    );

    // text split by character references still counts as one text node
    let mut body = String::from("<a>");
    for _ in 0..(Limits::default().max_text_size / 4 + 1) {
        body.push_str("ab&#65;c");
    }
    body.push_str("</a>");
    assert_eq!(
        limit_of(Element::parse("test", body.as_bytes()).unwrap_err()),
        Limit::TextSize
    );

    let body = vec![b' '; Limits::default().max_document_size + 1];
    assert_eq!(
        limit_of(Element::parse("test", &body).unwrap_err()),
        Limit::DocumentSize
    );

    let mut attrs = String::from("<a");
    for i in 0..100 {
        attrs.push_str(&format!(" a{i}=\"1\""));
    }
    attrs.push_str("/>");
    assert_eq!(
        limit_of(Element::parse("test", attrs.as_bytes()).unwrap_err()),
        Limit::Attributes
    );
}

#[test]
fn malformed_bodies_are_clear_errors() {
    for (body, want) in [
        (&b"<a><b></a>"[..], "malformed XML"),
        (b"<a></a><b/>", "content after the root element"),
        (b"", "no root element"),
        (b"text", "text outside the root element"),
        (b"<a x='1' x='2'/>", "malformed XML"),
        (b"<a>\xff</a>", "not UTF-8"),
    ] {
        let e = Element::parse("test", body).unwrap_err().to_string();
        assert!(e.starts_with("test: "), "{e}");
        assert!(e.contains(want), "{body:?}: {e}");
    }
}

#[test]
fn names_that_cannot_be_written_back_are_refused() {
    // found by fuzzing: an attribute named ":b:attr" and names with NUL characters
    for body in [
        &b"<a :b:attr='1'/>"[..],
        b"<a xmlns\0\0='x'/>",
        b"<a:/>",
        b"<1a/>",
        b"<a b:='1'/>",
    ] {
        let e = Element::parse("test", body).unwrap_err();
        assert!(matches!(e, PayloadError::Syntax { .. }), "{body:?}: {e}");
    }
    let ok = Element::parse("test", "<é-x._1 y.z='1'/>".as_bytes()).unwrap();
    assert_eq!(ok.name, "é-x._1");
}
