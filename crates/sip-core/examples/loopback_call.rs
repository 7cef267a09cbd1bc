//! Two Engines on loopback: Alice calls Bob, puts him on hold, takes him off hold and hangs up,
//! while every notification of both sides is printed.
//!
//! ```text
//! cargo run -p sip-core --example loopback_call
//! ```
//!
//! Bob answers with 180 Ringing and 200 OK and answers each re-INVITE with the mirrored
//! direction (Alice's `sendonly` hold gets `recvonly`). Exits 0 when the call went through
//! every step (connected, held, resumed, disconnected by Alice's BYE), 1 otherwise.

#[path = "common/mod.rs"]
#[allow(dead_code)]
mod common;
#[path = "agent/ua.rs"]
mod ua;

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sip_core::engine::Engine;
use sip_core::header::{FromHeader, NameAddr, ToHeader};
use sip_core::invitation::{
    Invitation, InvitationNotification, InvitationState, InviteEvent, InviteParams, SubState,
};
use sip_core::notification::{NotificationCenter, NotificationData, SenderId};
use sip_core::sdp::Direction;
use sip_core::transaction::TransportKind;
use sip_core::uri::Uri;
use tokio::time::timeout;

/// Each step must happen within this time.
const STEP: Duration = Duration::from_secs(10);

type RunError = common::RunError;

/// Who each notification sender is, for the trace.
type Names = Arc<Mutex<HashMap<SenderId, &'static str>>>;

/// Prints every notification of the center, naming its sender.
fn print_trace(center: &NotificationCenter, names: Names) {
    let mut observer = center.add_observer(None, None);
    tokio::spawn(async move {
        while let Ok(n) = observer.recv().await {
            let who = n
                .sender()
                .and_then(|s| names.lock().unwrap().get(&s.id()).copied())
                .unwrap_or("engine");
            let detail = match n.data() {
                NotificationData::Custom(_) => {
                    match n.data().downcast_ref::<InvitationNotification>() {
                        Some(InvitationNotification::ChangedState(c)) => {
                            let cause = match (&c.method, c.code) {
                                (Some(m), _) => format!(" ({m})"),
                                (None, Some(code)) => {
                                    format!(" ({code} {})", c.reason.as_deref().unwrap_or_default())
                                }
                                _ => String::new(),
                            };
                            format!(
                                "{}/{} -> {}/{}{cause}",
                                c.prev_state, c.prev_sub_state, c.state, c.sub_state
                            )
                        }
                        Some(InvitationNotification::GotSdpUpdate(u)) => {
                            let direction = u
                                .local_sdp
                                .as_ref()
                                .and_then(|s| s.media_direction(0))
                                .unwrap_or_default();
                            format!("succeeded={} local audio {direction:?}", u.succeeded)
                        }
                        _ => String::new(),
                    }
                }
                NotificationData::EngineLog(log) => log.message.clone(),
                _ => String::new(),
            };
            println!("[{who:>6}] {} {detail}", n.name());
        }
    });
}

/// Bob: answers the first call and its re-INVITEs until it ends.
async fn bob(engine: Engine, center: NotificationCenter, names: Names) -> Result<(), RunError> {
    let mut new_dialogs = engine.take_new_dialogs()?;
    let port = engine
        .local_port(TransportKind::Udp)
        .await?
        .ok_or("no UDP port")?;
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let new_dialog = timeout(STEP, new_dialogs.recv())
        .await?
        .ok_or("the Engine stopped")?;
    let call = Invitation::incoming(&engine, &center, new_dialog);
    names.lock().unwrap().insert(call.sender().id(), "bob");
    let contact = ua::contact_for(addr, TransportKind::Udp);
    call.send_response(180, None, Some(contact.clone()), None, Vec::new())
        .await?;
    let offer = call
        .sdp()
        .proposed_remote
        .ok_or("the INVITE had no offer")?;
    let answer = ua::audio_answer(&offer, addr.ip(), 42000);
    call.send_response(200, None, Some(contact), Some(answer.into()), Vec::new())
        .await?;
    while let Some(event) = timeout(STEP, call.next_event()).await? {
        if let InviteEvent::ChangedState(c) = event {
            if c.state == InvitationState::Disconnected {
                return Ok(());
            }
            if c.sub_state == SubState::ReceivedProposal {
                let offer = call
                    .sdp()
                    .proposed_remote
                    .ok_or("a re-INVITE without offer")?;
                let answer = ua::audio_answer(&offer, addr.ip(), 42000);
                call.send_response(200, None, None, Some(answer.into()), Vec::new())
                    .await?;
            }
        }
    }
    Err("bob's call ended without disconnecting".into())
}

/// Waits for the next state change of `call` that satisfies `done`, failing on disconnected.
async fn wait_for(
    call: &Invitation,
    what: &str,
    done: impl Fn(InvitationState, SubState) -> bool,
) -> Result<(), RunError> {
    loop {
        let event = timeout(STEP, call.next_event())
            .await
            .map_err(|_| format!("timed out waiting for {what}"))?
            .ok_or_else(|| format!("the call ended before {what}"))?;
        if let InviteEvent::ChangedState(c) = event {
            if done(c.state, c.sub_state) {
                return Ok(());
            }
            if c.state == InvitationState::Disconnected {
                return Err(format!("disconnected before {what}").into());
            }
        }
    }
}

/// Sends a re-INVITE with our offer in `direction` and waits until it is answered.
async fn reinvite(call: &Invitation, direction: Direction, what: &str) -> Result<(), RunError> {
    let mut offer = call.sdp().active_local.ok_or("no active local SDP")?.thaw();
    offer.increment_version();
    if let Some(audio) = offer.media.first_mut() {
        audio.set_direction(direction);
    }
    call.send_reinvite(None, Some(offer.into()), Vec::new())
        .await?;
    wait_for(call, what, |state, sub| {
        state == InvitationState::Connected && sub == SubState::Normal
    })
    .await?;
    let remote = call.sdp().active_remote.ok_or("no active remote SDP")?;
    println!(
        "        {what}: Bob's answer has audio {:?}",
        remote.media_direction(0).unwrap_or_default()
    );
    Ok(())
}

async fn run(_: ()) -> Result<bool, RunError> {
    let center = NotificationCenter::new();
    let names: Names = Arc::default();
    print_trace(&center, names.clone());
    let (alice_engine, _) = common::start_udp_engine(&center).await?;
    let (bob_engine, bob_port) = common::start_udp_engine(&center).await?;
    let bob_task = {
        let (engine, center, names) = (bob_engine.clone(), center.clone(), names.clone());
        tokio::spawn(async move { bob(engine, center, names).await.map_err(|e| e.to_string()) })
    };

    let alice_port = alice_engine
        .local_port(TransportKind::Udp)
        .await?
        .ok_or("no UDP port")?;
    let alice_addr = std::net::SocketAddr::from(([127, 0, 0, 1], alice_port));
    let call = Invitation::new(&alice_engine, &center);
    names.lock().unwrap().insert(call.sender().id(), "alice");
    let bob_uri = Uri::parse(&format!("sip:bob@127.0.0.1:{bob_port}"))?;
    let params = InviteParams::new(
        bob_uri.clone(),
        FromHeader::new(NameAddr::new(Uri::parse(&format!(
            "sip:alice@{alice_addr}"
        ))?)),
        ToHeader::new(NameAddr::new(bob_uri)),
        ua::contact_for(alice_addr, TransportKind::Udp),
    )
    .with_sdp(ua::audio_offer(alice_addr.ip(), 43000).into());
    call.send_invite(params).await?;
    wait_for(&call, "connected", |state, _| {
        state == InvitationState::Connected
    })
    .await?;
    reinvite(&call, Direction::SendOnly, "hold").await?;
    reinvite(&call, Direction::SendRecv, "unhold").await?;
    call.end(Vec::new(), Some(STEP)).await?;
    wait_for(&call, "disconnected", |state, _| {
        state == InvitationState::Disconnected
    })
    .await?;
    timeout(STEP, bob_task).await???;
    // Let the last notifications print.
    tokio::time::sleep(Duration::from_millis(100)).await;
    alice_engine.stop().await?;
    bob_engine.stop().await?;
    println!("call connected, held, resumed and hung up");
    Ok(true)
}

fn main() -> ExitCode {
    common::main(|| Ok(()), "usage: loopback_call", run)
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn the_call_connects_is_held_resumed_and_hung_up() {
        assert!(super::run(()).await.unwrap());
    }
}
