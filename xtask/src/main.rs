//! `cargo xtask`: the maintainer tasks of sipsimple-rs.
//!
//! Run through the cargo alias in `.cargo/config.toml`:
//!
//! ```text
//! cargo xtask test-all [--skip STEP]... [--only STEP]... [--fuzz-secs N]
//! cargo xtask fuzz <target> [--secs N]
//! cargo xtask bench [-- <arguments for the bench harness>]
//! cargo xtask help
//! ```
//!
//! `test-all` is the project's single test command: CI (`.ci/run`) runs exactly that. Each step
//! streams the output of the commands it runs; a failing step does not stop the later ones, and a
//! summary table closes the run. The exit status is non-zero when any step failed.
//!
//! The crate uses only `std`, so that `cargo xtask` compiles in seconds on a clean machine.

mod bench;
mod cli;
mod fuzz;
mod process;
mod test_all;
mod workspace;

use std::process::ExitCode;

use cli::Command;
use workspace::Workspace;

fn main() -> ExitCode {
    let command = match cli::parse(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("error: {message}\n");
            eprintln!("{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };

    match command {
        Command::Help => {
            println!("{}", cli::HELP);
            ExitCode::SUCCESS
        }
        Command::TestAll(options) => with_workspace(|ws| test_all::run(ws, &options)),
        Command::Fuzz { target, secs } => with_workspace(|ws| fuzz::run_long(ws, &target, secs)),
        Command::Bench { args } => with_workspace(|ws| bench::run(ws, &args)),
    }
}

/// Locates the workspace and runs `task` in it, or reports why it could not be found.
fn with_workspace(task: impl FnOnce(&Workspace) -> ExitCode) -> ExitCode {
    match Workspace::locate() {
        Ok(workspace) => task(&workspace),
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
