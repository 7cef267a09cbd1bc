//! Registers an address of record, waits for refreshes, then unregisters.
//!
//! ```text
//! cargo run -p sip-core --example register -- --aor sip:alice@127.0.0.1 \
//!     --registrar 127.0.0.1:5060 [--user alice --password secret] [--expires 60] [--refreshes N]
//! ```
//!
//! Starts an Engine on 127.0.0.1 (UDP, a random port), registers a Contact at that port with
//! the registrar (an IP address and port: the core never resolves names), prints every
//! notification, waits for N successful refreshes (default 1; the Registration refreshes on its
//! own, half-way through short expiries) and then ends the registration. Exits 0 when the
//! registration, the refreshes and the unregistration all succeeded, 1 otherwise, 2 on bad
//! usage.

mod common;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use sip_core::digest::Credentials;

use sip_core::header::{Contact, FromHeader, NameAddr};
use sip_core::notification::{NotificationCenter, NotificationData};
use sip_core::registration::{Registration, RegistrationNotification};
use sip_core::transaction::{Target, TransportKind};
use sip_core::uri::Uri;

const USAGE: &str = "usage: register --aor SIP-URI --registrar IP:PORT \
[--user USER --password PASSWORD] [--expires SECONDS] [--refreshes N]";

struct Options {
    aor: Uri,
    registrar: SocketAddr,
    credentials: Option<(String, String)>,
    expires: u32,
    refreshes: u32,
}

fn parse_args() -> Result<Options, String> {
    let (mut aor, mut registrar, mut user, mut password) = (None, None, None, None);
    let (mut expires, mut refreshes) = (60u32, 1u32);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--aor" => aor = Some(value),
            "--registrar" => registrar = Some(value),
            "--user" => user = Some(value),
            "--password" => password = Some(value),
            "--expires" => {
                expires = value
                    .parse()
                    .map_err(|e| format!("--expires {value}: {e}"))?;
            }
            "--refreshes" => {
                refreshes = value
                    .parse()
                    .map_err(|e| format!("--refreshes {value}: {e}"))?;
            }
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    let aor = aor.ok_or("--aor is required")?;
    let registrar = registrar.ok_or("--registrar is required")?;
    let credentials = match (user, password) {
        (Some(u), Some(p)) => Some((u, p)),
        (None, None) => None,
        _ => return Err("--user and --password go together".to_owned()),
    };
    Ok(Options {
        aor: Uri::parse(&aor).map_err(|e| format!("--aor {aor}: {e}"))?,
        registrar: registrar
            .parse()
            .map_err(|e| format!("--registrar {registrar}: {e} (an IP:PORT)"))?,
        credentials,
        expires,
        refreshes,
    })
}

fn main() -> ExitCode {
    common::main(parse_args, USAGE, run)
}

/// Registers, waits for the refreshes and unregisters; true when all of it succeeded.
async fn run(options: Options) -> Result<bool, common::RunError> {
    let center = NotificationCenter::new();
    // Every notification, from the Engine and from the Registration.
    let mut observer = center.add_observer(None, None);
    let (engine, port) = common::start_udp_engine(&center).await?;
    let user = options
        .aor
        .as_sip()
        .and_then(|u| u.user().map(|u| u.into_owned()))
        .unwrap_or_default();
    let contact_uri = if user.is_empty() {
        format!("sip:127.0.0.1:{port}")
    } else {
        format!("sip:{user}@127.0.0.1:{port}")
    };
    let contact = Contact::new(NameAddr::new(Uri::parse(&contact_uri)?));
    let credentials = options
        .credentials
        .map(|(u, p)| Arc::new(RwLock::new(Credentials::new(u, p))));
    let registration = Registration::new(
        &engine,
        &center,
        FromHeader::new(NameAddr::new(options.aor)),
        credentials,
        options.expires,
    );
    let ours = registration.sender().id();
    let target = Target::new(options.registrar, TransportKind::Udp);
    let wait = Duration::from_secs(35);
    registration
        .register(contact, target, Some(Duration::from_secs(32)))
        .await;

    // The first success plus `refreshes` more; a refresh comes well within 2 × expires.
    let per_step = Duration::from_secs(u64::from(options.expires).max(1) * 2) + wait;
    let mut successes = 0u32;
    let ok = loop {
        let n = match tokio::time::timeout(per_step, observer.recv()).await {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return Err(format!("notification center closed: {e:?}").into()),
            Err(_) => {
                eprintln!("no registration outcome within {per_step:?}");
                break false;
            }
        };
        println!("{}: {:?}", n.name(), n.data());
        if n.sender().map(|s| s.id()) != Some(ours) {
            continue;
        }
        match registration_notification(n.data()) {
            Some(RegistrationNotification::DidSucceed(_)) => {
                successes += 1;
                if successes > options.refreshes {
                    break true;
                }
                if successes > 1 {
                    println!("refresh {} of {} done", successes - 1, options.refreshes);
                }
            }
            Some(RegistrationNotification::DidFail(_) | RegistrationNotification::DidEnd(_)) => {
                break false;
            }
            _ => {}
        }
    };
    if !ok {
        engine.stop().await?;
        return Ok(false);
    }

    registration.end(Some(Duration::from_secs(32))).await;
    let ended = loop {
        let n = match tokio::time::timeout(wait, observer.recv()).await {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return Err(format!("notification center closed: {e:?}").into()),
            Err(_) => break false,
        };
        println!("{}: {:?}", n.name(), n.data());
        if n.sender().map(|s| s.id()) != Some(ours) {
            continue;
        }
        match registration_notification(n.data()) {
            Some(RegistrationNotification::DidEnd(_)) => break true,
            Some(RegistrationNotification::DidNotEnd(_)) => break false,
            _ => {}
        }
    };
    engine.stop().await?;
    Ok(ended)
}

fn registration_notification(data: &NotificationData) -> Option<&RegistrationNotification> {
    match data {
        NotificationData::Custom(p) => p.as_any().downcast_ref::<RegistrationNotification>(),
        _ => None,
    }
}
