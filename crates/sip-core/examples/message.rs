//! Sends one SIP MESSAGE (RFC 3428) and reports the outcome.
//!
//! ```text
//! cargo run -p sip-core --example message -- --to sip:bob@127.0.0.1:5060 \
//!     --route 127.0.0.1:5060 [--from sip:alice@127.0.0.1] [--text "hi"]
//! ```
//!
//! Starts an Engine on 127.0.0.1 (UDP, a random port), sends the MESSAGE through `--route`
//! (an IP address and port: the core never resolves names), prints every notification it
//! receives and exits 0 on `SIPMessageDidSucceed`, 1 on `SIPMessageDidFail`, 2 on bad usage.

mod common;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use sip_core::header::{FromHeader, NameAddr, Route, ToHeader};
use sip_core::notification::NotificationCenter;
use sip_core::request::Message;
use sip_core::uri::Uri;

const USAGE: &str = "usage: message --to SIP-URI --route IP:PORT [--from SIP-URI] [--text TEXT]";

struct Options {
    to: Uri,
    route: SocketAddr,
    from: Uri,
    text: String,
}

fn parse_args() -> Result<Options, String> {
    let mut to = None;
    let mut route = None;
    let mut from = "sip:alice@127.0.0.1".to_owned();
    let mut text = "Hello from sipsimple-rs".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--to" => to = Some(value),
            "--route" => route = Some(value),
            "--from" => from = value,
            "--text" => text = value,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    let to = to.ok_or("--to is required")?;
    let route = route.ok_or("--route is required")?;
    Ok(Options {
        to: Uri::parse(&to).map_err(|e| format!("--to {to}: {e}"))?,
        route: route
            .parse()
            .map_err(|e| format!("--route {route}: {e} (an IP:PORT)"))?,
        from: Uri::parse(&from).map_err(|e| format!("--from {from}: {e}"))?,
        text,
    })
}

fn main() -> ExitCode {
    common::main(parse_args, USAGE, run)
}

/// Sends the MESSAGE; true when it succeeded.
async fn run(options: Options) -> Result<bool, common::RunError> {
    let center = NotificationCenter::new();
    // Every notification, from the Engine and from the Message.
    let mut observer = center.add_observer(None, None);
    let (engine, _port) = common::start_udp_engine(&center).await?;
    let route = Uri::parse(&format!("sip:{};lr", options.route))?;
    let message = Message::new(
        &engine,
        &center,
        FromHeader::new(NameAddr::new(options.from)),
        ToHeader::new(NameAddr::new(options.to)),
        Route::new(NameAddr::new(route)),
        "text/plain",
        options.text,
    );
    let ours = message.sender().id();
    message.send(Some(Duration::from_secs(32)))?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    let succeeded = loop {
        let n = match tokio::time::timeout_at(deadline, observer.recv()).await {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return Err(format!("notification center closed: {e:?}").into()),
            Err(_) => return Err("no outcome within 40 s".into()),
        };
        println!("{}: {:?}", n.name(), n.data());
        if n.sender().map(|s| s.id()) == Some(ours) {
            match n.name() {
                "SIPMessageDidSucceed" => break true,
                "SIPMessageDidFail" => break false,
                _ => {}
            }
        }
    };
    engine.stop().await?;
    Ok(succeeded)
}
