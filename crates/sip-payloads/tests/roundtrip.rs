//! Property round trips: whatever model is built serializes to XML that parses back to the same
//! model, and any element tree survives `to_xml` → `parse`.

use proptest::prelude::*;
use sip_payloads::conference_info::{ConferenceInfo, Endpoint, Media, User, Users};
use sip_payloads::dialog_info::{Dialog, DialogInfo, DialogStateValue, Direction};
use sip_payloads::is_composing::{ComposingState, IsComposing};
use sip_payloads::message_summary::{MessageSummary, Summary};
use sip_payloads::pidf::{Basic, Contact, Person, Presence, RpidValues, Tuple};
use sip_payloads::resource_lists::{Entry, List, ListItem, ResourceLists};
use sip_payloads::watcher_info::{Watcher, WatcherInfo, WatcherList, WatcherStatus};
use sip_payloads::{Attribute, Document, Element, Node, Note};

const NAMESPACES: &[&str] = &[
    "",
    "urn:x:a",
    "urn:ietf:params:xml:ns:pidf",
    "http://example.com/b",
];

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,6}"
}

/// Free text, markup characters and non-ASCII included.
fn text() -> impl Strategy<Value = String> {
    "[ -~\t\n\ré€中]{0,16}"
}

/// Text with at least one non-space character (text next to elements).
fn solid_text() -> impl Strategy<Value = String> {
    ("[ -~é]{0,6}", "[!-~é中]", "[ -~\n]{0,6}").prop_map(|(a, b, c)| format!("{a}{b}{c}"))
}

/// URI-like tokens (fields the models trim).
fn token() -> impl Strategy<Value = String> {
    "[a-z][a-zA-Z0-9:@._;=-]{0,16}"
}

fn attributes() -> impl Strategy<Value = Vec<Attribute>> {
    prop::collection::vec((prop::sample::select(NAMESPACES), name(), text()), 0..4).prop_map(|v| {
        let mut out: Vec<Attribute> = Vec::new();
        for (ns, n, value) in v {
            if !out.iter().any(|a| a.name == n && a.namespace == ns) {
                out.push(Attribute::namespaced(ns, n, value));
            }
        }
        out
    })
}

fn element() -> impl Strategy<Value = Element> {
    let leaf = (
        prop::sample::select(NAMESPACES),
        name(),
        attributes(),
        prop::option::of(text()),
    )
        .prop_map(|(ns, n, attrs, t)| {
            let mut e = Element::new(ns, n);
            e.attributes = attrs;
            if let Some(t) = t.filter(|t| !t.is_empty()) {
                e.children.push(Node::Text(t));
            }
            e
        });
    leaf.prop_recursive(4, 40, 5, |inner| {
        (
            prop::sample::select(NAMESPACES),
            name(),
            attributes(),
            prop::collection::vec(
                prop_oneof![
                    inner.prop_map(Node::Element),
                    solid_text().prop_map(Node::Text)
                ],
                0..5,
            ),
        )
            .prop_map(|(ns, n, attrs, kids)| {
                let mut e = Element::new(ns, n);
                e.attributes = attrs;
                for k in kids {
                    // adjacent text nodes merge when parsed: keep one
                    if matches!(
                        (&k, e.children.last()),
                        (Node::Text(_), Some(Node::Text(_)))
                    ) {
                        continue;
                    }
                    e.children.push(k);
                }
                e
            })
    })
}

fn note() -> impl Strategy<Value = Note> {
    (text(), prop::option::of("[a-z]{2}")).prop_map(|(t, l)| Note { text: t, lang: l })
}

fn presence() -> impl Strategy<Value = Presence> {
    let tuple = (
        token(),
        any::<bool>(),
        prop::option::of((
            token(),
            prop::option::of(prop::sample::select(vec![0.0, 0.25, 1.0])),
        )),
        prop::collection::vec(note(), 0..3),
        prop::option::of(token()),
        prop::collection::vec(token(), 0..2),
    )
        .prop_map(|(id, open, contact, notes, ts, devs)| {
            let mut t = Tuple::new(id, if open { Basic::Open } else { Basic::Closed });
            t.contact = contact.map(|(uri, p)| {
                let mut c = Contact::new(uri);
                c.priority = p;
                c
            });
            t.notes = notes;
            t.timestamp = ts;
            t.device_ids = devs;
            t
        });
    let person = (
        token(),
        prop::collection::vec(name(), 0..3),
        prop::option::of(text()),
        prop::collection::vec(note(), 0..2),
    )
        .prop_map(|(id, acts, display, notes)| {
            let mut p = Person::new(id);
            if !acts.is_empty() {
                p.activities = Some(RpidValues::new(acts));
            }
            p.display_name = display;
            p.notes = notes;
            p
        });
    (
        token(),
        prop::collection::vec(tuple, 0..4),
        prop::collection::vec(note(), 0..2),
        prop::collection::vec(person, 0..2),
        prop::collection::vec(element(), 0..2),
    )
        .prop_map(|(entity, tuples, notes, persons, ext)| {
            let mut p = Presence::new(entity);
            p.tuples = tuples;
            p.notes = notes;
            p.persons = persons;
            // extensions must not be in a namespace/name the model reads
            p.extensions = ext
                .into_iter()
                .filter(|e| e.namespace == "urn:x:a" || e.namespace == "http://example.com/b")
                .collect();
            p
        })
}

fn dialog_info() -> impl Strategy<Value = DialogInfo> {
    let state = prop::sample::select(vec![
        DialogStateValue::Trying,
        DialogStateValue::Proceeding,
        DialogStateValue::Early,
        DialogStateValue::Confirmed,
        DialogStateValue::Terminated,
    ]);
    let dialog = (
        token(),
        state,
        prop::option::of(token()),
        prop::option::of(any::<bool>()),
        prop::option::of(0u64..100_000),
        prop::option::of(100u16..700),
    )
        .prop_map(|(id, s, call_id, dir, duration, code)| {
            let mut d = Dialog::new(id, s);
            d.call_id = call_id;
            d.direction = dir.map(|b| {
                if b {
                    Direction::Initiator
                } else {
                    Direction::Recipient
                }
            });
            d.duration = duration;
            d.state.code = code;
            d
        });
    (token(), any::<u32>(), prop::collection::vec(dialog, 0..4)).prop_map(|(e, v, dialogs)| {
        let mut d = DialogInfo::new(e, v);
        d.dialogs = dialogs;
        d
    })
}

fn conference() -> impl Strategy<Value = ConferenceInfo> {
    let media =
        (token(), prop::option::of(token()), prop::option::of(text())).prop_map(|(id, ty, dt)| {
            let mut m = Media::default();
            m.id = id;
            m.media_type = ty;
            m.display_text = dt;
            m
        });
    let endpoint = (
        token(),
        prop::option::of(token()),
        prop::collection::vec(media, 0..3),
    )
        .prop_map(|(e, st, media)| {
            let mut ep = Endpoint::new(e);
            ep.status = st;
            ep.media = media;
            ep
        });
    let user = (
        token(),
        prop::option::of(text()),
        prop::collection::vec(token(), 0..3),
        prop::collection::vec(endpoint, 0..3),
    )
        .prop_map(|(e, dt, roles, eps)| {
            let mut u = User::new(e);
            u.display_text = dt;
            u.roles = roles;
            u.endpoints = eps;
            u
        });
    (token(), any::<u32>(), prop::collection::vec(user, 0..4)).prop_map(|(e, v, users)| {
        let mut c = ConferenceInfo::new(e, v);
        let mut u = Users::default();
        u.users = users;
        c.users = Some(u);
        c
    })
}

fn resource_lists() -> impl Strategy<Value = ResourceLists> {
    let entry = (token(), prop::option::of(text()))
        .prop_map(|(u, d)| ListItem::Entry(Entry::new(u, d.as_deref())));
    let list = (name(), prop::collection::vec(entry, 0..6)).prop_map(|(n, items)| {
        let mut l = List::new(n);
        l.items = items;
        l
    });
    prop::collection::vec(list, 0..3).prop_map(|lists| {
        let mut r = ResourceLists::default();
        r.lists = lists;
        r
    })
}

fn watcher_info() -> impl Strategy<Value = WatcherInfo> {
    let status = prop::sample::select(vec![
        WatcherStatus::Pending,
        WatcherStatus::Active,
        WatcherStatus::Waiting,
        WatcherStatus::Terminated,
    ]);
    let event = prop::sample::select(vec!["subscribe", "approved", "timeout", "rejected"]);
    let watcher = (
        token(),
        token(),
        status,
        event,
        prop::option::of(text()),
        prop::option::of(any::<u32>()),
    )
        .prop_map(|(id, uri, s, e, dn, exp)| {
            let mut w = Watcher::new(id, uri, s, e);
            w.display_name = dn;
            w.expiration = exp.map(u64::from);
            w
        });
    (any::<u32>(), token(), prop::collection::vec(watcher, 0..4)).prop_map(|(v, res, watchers)| {
        let mut w = WatcherInfo::default();
        w.version = v;
        let mut l = WatcherList::default();
        l.resource = res;
        l.package = "presence".into();
        l.watchers = watchers;
        w.watcher_lists.push(l);
        w
    })
}

fn check<T: Document + PartialEq + std::fmt::Debug>(doc: &T) -> Result<(), TestCaseError> {
    let xml = doc.to_xml();
    let back = T::parse(xml.as_bytes()).map_err(|e| TestCaseError::fail(format!("{e}\n{xml}")))?;
    prop_assert_eq!(&back, doc, "{}", xml);
    prop_assert_eq!(back.to_xml(), xml);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn element_trees_round_trip(el in element()) {
        let xml = el.to_xml();
        let back = Element::parse("test", xml.as_bytes()).map_err(|e| TestCaseError::fail(format!("{e}\n{xml}")))?;
        prop_assert_eq!(back, el, "{}", xml);
    }

    #[test]
    fn presence_round_trips(p in presence()) { check(&p)?; }

    #[test]
    fn dialog_info_round_trips(d in dialog_info()) { check(&d)?; }

    #[test]
    fn conference_info_round_trips(c in conference()) { check(&c)?; }

    #[test]
    fn resource_lists_round_trip(r in resource_lists()) { check(&r)?; }

    #[test]
    fn watcher_info_round_trips(w in watcher_info()) { check(&w)?; }

    #[test]
    fn is_composing_round_trips(active in any::<bool>(), refresh in prop::option::of(1u32..1000), ct in prop::option::of(token())) {
        let mut d = IsComposing::new(if active { ComposingState::Active } else { ComposingState::Idle });
        d.refresh = refresh;
        d.content_type = ct;
        check(&d)?;
    }

    #[test]
    fn message_summary_round_trips(
        waiting in any::<bool>(),
        account in prop::option::of("sip:[a-z]{1,8}@[a-z]{1,8}\\.com"),
        lines in prop::collection::vec((prop::sample::select(vec!["Voice-Message", "Fax-Message", "Text-Message"]), any::<u32>(), any::<u32>(), prop::option::of((any::<u32>(), any::<u32>()))), 0..4),
        headers in prop::collection::vec(("[A-Za-z][A-Za-z-]{0,10}", "[!-~][ -~]{0,20}[!-~]"), 0..3),
    ) {
        let mut s = MessageSummary::default();
        s.messages_waiting = waiting;
        s.message_account = account;
        for (class, n, o, urgent) in lines {
            let mut l = Summary::new(class, n, o);
            l.new_urgent = urgent.map(|u| u.0);
            l.old_urgent = urgent.map(|u| u.1);
            s.summaries.push(l);
        }
        s.headers = headers;
        let text = s.to_string();
        let back = MessageSummary::parse(text.as_bytes()).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(back, s);
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = Presence::parse(&body);
        let _ = MessageSummary::parse(&body);
        let _ = Element::parse("test", &body);
    }
}
