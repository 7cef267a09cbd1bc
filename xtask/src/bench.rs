//! `cargo xtask bench`: the benchmarks of the `sipsimple-bench` package in `bench/`.

use std::process::ExitCode;

use crate::workspace::Workspace;

/// The package that holds the benchmarks.
const BENCH_PACKAGE: &str = "sipsimple-bench";

/// Runs `cargo bench -p sipsimple-bench`, passing `args` to the bench harness.
pub(crate) fn run(ws: &Workspace, args: &[String]) -> ExitCode {
    let manifest = ws.root().join("bench").join("Cargo.toml");
    if !manifest.is_file() {
        eprintln!(
            "error: there are no benchmarks yet: `cargo xtask bench` runs \
             `cargo bench -p {BENCH_PACKAGE}`, and the package {BENCH_PACKAGE} \
             ({}) has not been added to the workspace.",
            manifest.display()
        );
        return ExitCode::FAILURE;
    }
    let mut cmd = ws
        .cargo()
        .args(["bench", "-p", BENCH_PACKAGE])
        .args(ws.locked_args());
    if !args.is_empty() {
        cmd = cmd.arg("--").args(args);
    }
    match cmd.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
