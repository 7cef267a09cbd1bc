//! A scriptable SIP user agent for tests and benchmarks.
//!
//! ```text
//! cargo run --release -p sip-core --example agent -- --help
//! ```
//!
//! It answers calls (`--answer`), places them (`--call URI`), or both; it offers and answers a
//! plain audio SDP (PCMU) without sending media, prints one line per notification and exits 0
//! when every call it took part in ended normally, 1 otherwise, 2 on bad usage. The logic lives
//! in `ua.rs`, which the SIPp interop tests and the call benchmark run in their own process.

#[path = "../common/mod.rs"]
#[allow(dead_code)]
mod common;
mod ua;

use std::process::ExitCode;

fn main() -> ExitCode {
    if std::env::args().any(|a| a == "--help" || a == "-h") {
        println!("{}", ua::HELP);
        return ExitCode::SUCCESS;
    }
    common::main(
        || ua::AgentOptions::parse(std::env::args().skip(1)),
        ua::USAGE,
        |options| async move {
            let summary = ua::run(options, ua::print_line).await?;
            Ok(summary.all_normal())
        },
    )
}
