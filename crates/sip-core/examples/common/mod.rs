//! What the Engine examples share: the process entry (usage errors, a tokio runtime, the exit
//! code) and starting an Engine on 127.0.0.1 over UDP.

use std::future::Future;
use std::process::ExitCode;

use sip_core::engine::{Engine, EngineConfig};
use sip_core::notification::NotificationCenter;
use sip_core::transaction::TransportKind;

/// The error type of the examples' `run` functions.
pub(crate) type RunError = Box<dyn std::error::Error>;

/// Parses the arguments with `parse` (exit 2 with `usage` on error), runs `run` on a
/// current-thread runtime, and exits 0 when it returns `Ok(true)`, 1 otherwise.
pub(crate) fn main<O, F, Fut>(parse: fn() -> Result<O, String>, usage: &str, run: F) -> ExitCode
where
    F: FnOnce(O) -> Fut,
    Fut: Future<Output = Result<bool, RunError>>,
{
    let options = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}\n{usage}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(options)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// Starts an Engine on 127.0.0.1 with UDP only (a random port), prints and returns its port.
pub(crate) async fn start_udp_engine(
    center: &NotificationCenter,
) -> Result<(Engine, u16), RunError> {
    let config = EngineConfig::new()
        .with_ip_address("127.0.0.1".parse()?)
        .with_udp_port(Some(0))
        .with_tcp_port(None);
    let engine = Engine::start(config, center.clone()).await?;
    let port = engine
        .local_port(TransportKind::Udp)
        .await?
        .ok_or("the Engine has no UDP port")?;
    println!("Engine listening on 127.0.0.1:{port}/udp");
    Ok((engine, port))
}
