//! `cargo xtask test-all`: every check CI runs, in order, with a summary table.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::fuzz;
use crate::workspace::Workspace;

/// Seconds each fuzz target is fuzzed for after its corpus replay, unless `--fuzz-secs` says.
pub(crate) const DEFAULT_FUZZ_SECS: u64 = 20;

/// Crates whose library must build and pass its unit tests without default features, that is
/// without the tokio `runtime`: the sans-IO cores. Add each new crate with a sans-IO core here.
pub(crate) const SANS_IO_CRATES: &[&str] = &["sip-core", "sip-media", "sip-msrp"];

/// The environment variable through which the torture test finds the RFC 4475 messages.
const RFC4475_ENV: &str = "SIPSIMPLE_RFC4475_DIR";

/// One step of `test-all`, in running order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// `cargo fmt --all --check`.
    Fmt,
    /// `cargo clippy --workspace --all-targets -- -D warnings`.
    Clippy,
    /// `cargo test --workspace`: unit, integration and doc tests.
    Test,
    /// `cargo test -p <crate> --no-default-features --lib` for each of [`SANS_IO_CRATES`].
    NoDefaultFeatures,
    /// The RFC 4475 torture messages, byte-exact copies from `../shared/testdata/rfc4475`.
    Rfc4475,
    /// Build the fuzz targets, replay each corpus and fuzz each target briefly.
    Fuzz,
    /// `cargo deny check licenses bans sources`.
    Deny,
    /// `cargo doc --workspace --no-deps` with warnings denied.
    Doc,
}

impl Step {
    /// Every step, in running order.
    pub(crate) const ALL: [Step; 8] = [
        Step::Fmt,
        Step::Clippy,
        Step::Test,
        Step::NoDefaultFeatures,
        Step::Rfc4475,
        Step::Fuzz,
        Step::Deny,
        Step::Doc,
    ];

    /// The step's name on the command line and in the summary.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Step::Fmt => "fmt",
            Step::Clippy => "clippy",
            Step::Test => "test",
            Step::NoDefaultFeatures => "no-default-features",
            Step::Rfc4475 => "rfc4475",
            Step::Fuzz => "fuzz",
            Step::Deny => "deny",
            Step::Doc => "doc",
        }
    }

    /// The step called `name`, if any.
    pub(crate) fn from_name(name: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|step| step.name() == name)
    }
}

/// The options of `cargo xtask test-all`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TestAllOptions {
    /// Steps left out (`--skip`).
    pub(crate) skip: Vec<Step>,
    /// When not empty, the only steps run (`--only`).
    pub(crate) only: Vec<Step>,
    /// Seconds of fuzzing per target after the corpus replay (`--fuzz-secs`).
    pub(crate) fuzz_secs: u64,
}

impl TestAllOptions {
    /// Why `step` is not run, or `None` when it is.
    fn deselected(&self, step: Step) -> Option<&'static str> {
        if !self.only.is_empty() && !self.only.contains(&step) {
            Some("not in --only")
        } else if self.skip.contains(&step) {
            Some("--skip")
        } else {
            None
        }
    }
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Pass,
    /// Failed, with the reasons.
    Fail(Vec<String>),
    /// Not run, with the reason.
    Skip(String),
}

impl Outcome {
    fn from_errors(errors: Vec<String>) -> Self {
        if errors.is_empty() {
            Outcome::Pass
        } else {
            Outcome::Fail(errors)
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Fail(_) => "FAIL",
            Outcome::Skip(_) => "SKIP",
        }
    }
}

impl From<Result<(), String>> for Outcome {
    fn from(result: Result<(), String>) -> Self {
        match result {
            Ok(()) => Outcome::Pass,
            Err(error) => Outcome::Fail(vec![error]),
        }
    }
}

/// A finished step for the summary table.
struct Report {
    step: Step,
    outcome: Outcome,
    elapsed: Duration,
}

/// Runs the selected steps in order and prints the summary; fails when any step failed.
pub(crate) fn run(ws: &Workspace, options: &TestAllOptions) -> ExitCode {
    let total = Step::ALL.len();
    let mut reports = Vec::with_capacity(total);
    for (index, step) in Step::ALL.into_iter().enumerate() {
        if let Some(reason) = options.deselected(step) {
            reports.push(Report {
                step,
                outcome: Outcome::Skip(reason.to_owned()),
                elapsed: Duration::ZERO,
            });
            continue;
        }
        println!("\n==> [{}/{total}] {}", index + 1, step.name());
        let started = Instant::now();
        let outcome = run_step(ws, options, step);
        let elapsed = started.elapsed();
        match &outcome {
            Outcome::Pass => println!("<== {}: PASS ({:.1}s)", step.name(), elapsed.as_secs_f64()),
            Outcome::Fail(errors) => {
                for error in errors {
                    eprintln!("error: {error}");
                }
                println!("<== {}: FAIL ({:.1}s)", step.name(), elapsed.as_secs_f64());
            }
            Outcome::Skip(reason) => println!("<== {}: SKIP ({reason})", step.name()),
        }
        reports.push(Report {
            step,
            outcome,
            elapsed,
        });
    }
    print_summary(&reports);
    if reports
        .iter()
        .any(|r| matches!(r.outcome, Outcome::Fail(_)))
    {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn run_step(ws: &Workspace, options: &TestAllOptions, step: Step) -> Outcome {
    match step {
        Step::Fmt => ws.cargo().args(["fmt", "--all", "--check"]).run().into(),
        Step::Clippy => ws
            .cargo()
            .args(["clippy", "--workspace", "--all-targets"])
            .args(ws.locked_args())
            .args(["--", "-D", "warnings"])
            .run()
            .into(),
        Step::Test => ws
            .cargo()
            .args(["test", "--workspace"])
            .args(ws.locked_args())
            .run()
            .into(),
        Step::NoDefaultFeatures => no_default_features(ws),
        Step::Rfc4475 => rfc4475(ws),
        Step::Fuzz => match fuzz::test_all_step(ws, options.fuzz_secs) {
            Ok(()) => Outcome::Pass,
            Err(errors) => Outcome::Fail(errors),
        },
        Step::Deny => deny(ws),
        Step::Doc => ws
            .cargo()
            .env("RUSTDOCFLAGS", "-D warnings")
            .args(["doc", "--workspace", "--no-deps"])
            .args(ws.locked_args())
            .run()
            .into(),
    }
}

/// Builds and unit-tests each sans-IO crate without its default (runtime) features.
fn no_default_features(ws: &Workspace) -> Outcome {
    let errors = SANS_IO_CRATES
        .iter()
        .filter_map(|krate| {
            ws.cargo()
                .args(["test", "-p", krate, "--no-default-features", "--lib"])
                .args(ws.locked_args())
                .run()
                .err()
        })
        .collect();
    Outcome::from_errors(errors)
}

/// Where the byte-exact RFC 4475 messages live: `<workspace>/../shared/testdata/rfc4475`.
fn rfc4475_dir(ws: &Workspace) -> PathBuf {
    ws.root()
        .join("..")
        .join("shared")
        .join("testdata")
        .join("rfc4475")
}

/// Runs the torture test against the byte-exact RFC 4475 messages, when they are present.
fn rfc4475(ws: &Workspace) -> Outcome {
    let dir = rfc4475_dir(ws);
    if !dir.is_dir() {
        let note = format!(
            "no RFC 4475 messages at {}; the torture test's byte-exact run needs them",
            dir.display()
        );
        println!("note: {note}");
        return Outcome::Skip("no ../shared/testdata/rfc4475".to_owned());
    }
    let dir = match std::fs::canonicalize(&dir) {
        Ok(dir) => dir,
        Err(error) => {
            return Outcome::Fail(vec![format!("cannot resolve {}: {error}", dir.display())]);
        }
    };
    ws.cargo()
        .env(RFC4475_ENV, &dir)
        .args(["test", "-p", "sip-core", "--test", "torture"])
        .args(ws.locked_args())
        .run()
        .into()
}

/// Checks licenses, bans and sources with cargo-deny; advisories need the network.
fn deny(ws: &Workspace) -> Outcome {
    if !ws.cargo().args(["deny", "--version"]).succeeds_quietly() {
        return Outcome::Fail(vec![
            "cargo-deny is not installed; .ci/run installs it \
             (or run `cargo install --locked cargo-deny`)"
                .to_owned(),
        ]);
    }
    println!(
        "note: `cargo deny check advisories` is skipped: it fetches the RustSec advisory \
         database from GitHub, which this build machine's network cannot reach. Run it where \
         GitHub is reachable."
    );
    ws.cargo()
        .arg("deny")
        .args(ws.locked_args())
        .args(["check", "licenses", "bans", "sources"])
        .run()
        .into()
}

fn print_summary(reports: &[Report]) {
    let width = Step::ALL
        .iter()
        .map(|s| s.name().len())
        .max()
        .unwrap_or(0)
        .max("step".len());
    println!("\n==> test-all summary");
    println!("{:<width$}  result  seconds  note", "step");
    println!("{:-<width$}  ------  -------  ----", "");
    for report in reports {
        let seconds = match report.outcome {
            Outcome::Skip(_) => "-".to_owned(),
            _ => format!("{:.1}", report.elapsed.as_secs_f64()),
        };
        let note = match &report.outcome {
            Outcome::Pass => String::new(),
            Outcome::Fail(errors) => errors.join("; "),
            Outcome::Skip(reason) => reason.clone(),
        };
        println!(
            "{:<width$}  {:<6}  {:>7}  {note}",
            report.step.name(),
            report.outcome.label(),
            seconds
        );
    }
    let count = |label: &str| {
        reports
            .iter()
            .filter(|r| r.outcome.label() == label)
            .count()
    };
    let (passed, failed, skipped) = (count("PASS"), count("FAIL"), count("SKIP"));
    println!(
        "test-all: {passed} of {} steps passed ({failed} failed, {skipped} skipped)",
        reports.len()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_names_are_unique_and_parse_back() {
        for step in Step::ALL {
            assert_eq!(Step::from_name(step.name()), Some(step));
        }
        assert_eq!(Step::from_name("lint"), None);
    }

    #[test]
    fn only_then_skip_select_steps() {
        let options = TestAllOptions {
            skip: vec![Step::Clippy],
            only: vec![Step::Fmt, Step::Clippy],
            fuzz_secs: 0,
        };
        assert_eq!(options.deselected(Step::Fmt), None);
        assert_eq!(options.deselected(Step::Clippy), Some("--skip"));
        assert_eq!(options.deselected(Step::Test), Some("not in --only"));
    }

    #[test]
    fn no_selection_runs_everything() {
        let options = TestAllOptions {
            skip: vec![],
            only: vec![],
            fuzz_secs: DEFAULT_FUZZ_SECS,
        };
        assert!(Step::ALL.iter().all(|s| options.deselected(*s).is_none()));
    }
}
