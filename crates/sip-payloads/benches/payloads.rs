//! Parse and serialize throughput: a 100-tuple PIDF and a 1,000-entry resource list.
//!
//! `cargo bench -p sip-payloads`; results in docs/benchmarks.md.
#![allow(missing_docs)] // criterion_group! generates an undocumented function

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sip_payloads::pidf::{Basic, Contact, Person, Presence, RpidValues, Tuple};
use sip_payloads::resource_lists::{Entry, List, ListItem, ResourceLists};
use sip_payloads::{Document, Note};
use std::hint::black_box;

fn pidf_100() -> Presence {
    let mut p = Presence::new("sip:alice@example.com");
    for i in 0..100 {
        let mut t = Tuple::new(
            format!("tuple-{i}"),
            if i % 3 == 0 {
                Basic::Closed
            } else {
                Basic::Open
            },
        );
        let mut c = Contact::new(format!("sip:alice@192.0.2.{}:5060;transport=tcp", i % 250));
        c.priority = Some(0.5);
        t.contact = Some(c);
        t.notes
            .push(Note::with_lang(format!("Device {i} is available"), "en"));
        t.device_ids
            .push(format!("urn:uuid:00000000-0000-0000-0000-{i:012}"));
        t.timestamp = Some("2026-11-22T23:00:00Z".into());
        p.tuples.push(t);
    }
    let mut person = Person::new("p1");
    person.activities = Some(RpidValues::new(["on-the-phone"]));
    person.display_name = Some("Alice".into());
    p.persons.push(person);
    p
}

fn list_1000() -> ResourceLists {
    let mut list = List::new("buddies");
    for i in 0..1000 {
        list.items.push(ListItem::Entry(Entry::new(
            format!("sip:buddy{i}@example.com"),
            Some(&format!("Buddy Number {i}")),
        )));
    }
    let mut doc = ResourceLists::default();
    doc.lists.push(list);
    doc
}

fn bench(c: &mut Criterion) {
    let pidf = pidf_100().to_xml();
    let lists = list_1000().to_xml();
    let mut g = c.benchmark_group("payloads");
    g.sample_size(30);
    g.warm_up_time(std::time::Duration::from_secs(1));
    g.measurement_time(std::time::Duration::from_secs(3));

    g.throughput(Throughput::Bytes(pidf.len() as u64));
    g.bench_function("pidf_100_parse", |b| {
        b.iter(|| Presence::parse(black_box(pidf.as_bytes())).unwrap())
    });
    let parsed = Presence::parse(pidf.as_bytes()).unwrap();
    g.bench_function("pidf_100_serialize", |b| {
        b.iter(|| black_box(&parsed).to_xml())
    });

    g.throughput(Throughput::Bytes(lists.len() as u64));
    g.bench_function("resource_lists_1000_parse", |b| {
        b.iter(|| ResourceLists::parse(black_box(lists.as_bytes())).unwrap())
    });
    let parsed = ResourceLists::parse(lists.as_bytes()).unwrap();
    g.bench_function("resource_lists_1000_serialize", |b| {
        b.iter(|| black_box(&parsed).to_xml())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = bench
}
criterion_main!(benches);
