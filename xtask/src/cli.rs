//! Command-line parsing for `cargo xtask` (std only, no argument-parsing crate).

use crate::fuzz::DEFAULT_LONG_RUN_SECS;
use crate::test_all::{DEFAULT_FUZZ_SECS, Step, TestAllOptions};

/// One-paragraph usage, printed after a usage error.
pub(crate) const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  test-all [--skip STEP]... [--only STEP]... [--fuzz-secs N]
  fuzz <target> [--secs N]
  bench [-- <arguments for the bench harness>]
  help

Run `cargo xtask help` for details.";

/// The full help text of `cargo xtask help`.
pub(crate) const HELP: &str = "\
cargo xtask: maintainer tasks for sipsimple-rs

usage: cargo xtask <command> [options]

commands:
  test-all    Run every check CI runs, in order, and print a summary table.
              A failing step does not stop the later ones; the exit status is
              non-zero when any step failed. Steps:
                fmt                  cargo fmt --all --check
                clippy               cargo clippy --workspace --all-targets -- -D warnings
                test                 cargo test --workspace (unit, integration, doc tests)
                no-default-features  cargo test -p <crate> --no-default-features --lib
                                     for each sans-IO crate (no tokio runtime)
                rfc4475              cargo test -p sip-core --test torture with
                                     SIPSIMPLE_RFC4475_DIR=../shared/testdata/rfc4475
                                     (skipped when that folder is missing)
                fuzz                 cargo fuzz build, then per target: seed the corpus,
                                     replay it, fuzz for --fuzz-secs seconds
                deny                 cargo deny check licenses bans sources
                doc                  RUSTDOCFLAGS='-D warnings' cargo doc --workspace --no-deps
              Cargo commands get --locked when Cargo.lock exists.
      --skip STEP      leave STEP out (repeatable)
      --only STEP      run only STEP (repeatable); --skip still applies
      --fuzz-secs N    seconds of fuzzing per target after the replay
                       (default 20; 0 replays the corpus only)

  fuzz <target> [--secs N]
              Long fuzzing run of one target from fuzz/Cargo.toml: copies
              fuzz/seeds/<target>/ into fuzz/corpus/<target>/, then runs
              `cargo fuzz run` for N seconds (default 600; 0 = until a crash or Ctrl-C).

  bench [-- ARGS]
              cargo bench -p sipsimple-bench (the package in bench/), passing ARGS
              to the bench harness.

  help        Print this text.

tools: the fuzz step needs cargo-fuzz and the deny step cargo-deny; .ci/run installs
both (cargo install --locked cargo-fuzz cargo-deny).";

/// A parsed `cargo xtask` invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// `cargo xtask help`.
    Help,
    /// `cargo xtask test-all`.
    TestAll(TestAllOptions),
    /// `cargo xtask fuzz <target> [--secs N]`.
    Fuzz {
        /// The fuzz target, a `[[bin]]` name of fuzz/Cargo.toml.
        target: String,
        /// How long to fuzz; 0 means no limit.
        secs: u64,
    },
    /// `cargo xtask bench [-- ARGS]`.
    Bench {
        /// Arguments for the bench harness.
        args: Vec<String>,
    },
}

/// Parses the arguments that follow `cargo xtask`.
pub(crate) fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut args = Args::new(args);
    let Some(command) = args.next() else {
        return Err("no command given".to_owned());
    };
    match command.as_str() {
        "help" | "--help" | "-h" => {
            args.finish()?;
            Ok(Command::Help)
        }
        "test-all" => parse_test_all(args),
        "fuzz" => parse_fuzz(args),
        "bench" => parse_bench(args),
        other => Err(format!("unknown command `{other}`")),
    }
}

fn parse_test_all(mut args: Args) -> Result<Command, String> {
    let mut options = TestAllOptions {
        skip: Vec::new(),
        only: Vec::new(),
        fuzz_secs: DEFAULT_FUZZ_SECS,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--skip" => options.skip.push(parse_step(&args.value("--skip")?)?),
            "--only" => options.only.push(parse_step(&args.value("--only")?)?),
            "--fuzz-secs" => {
                options.fuzz_secs = parse_secs("--fuzz-secs", &args.value("--fuzz-secs")?)?
            }
            other => return Err(format!("unexpected argument `{other}` for test-all")),
        }
    }
    Ok(Command::TestAll(options))
}

fn parse_fuzz(mut args: Args) -> Result<Command, String> {
    let mut target = None;
    let mut secs = DEFAULT_LONG_RUN_SECS;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--secs" => secs = parse_secs("--secs", &args.value("--secs")?)?,
            flag if flag.starts_with('-') => {
                return Err(format!("unexpected option `{flag}` for fuzz"));
            }
            name if target.is_none() => target = Some(name.to_owned()),
            extra => return Err(format!("unexpected argument `{extra}` for fuzz")),
        }
    }
    let target = target.ok_or("fuzz needs a target: cargo xtask fuzz <target> [--secs N]")?;
    Ok(Command::Fuzz { target, secs })
}

fn parse_bench(mut args: Args) -> Result<Command, String> {
    match args.next() {
        None => Ok(Command::Bench { args: Vec::new() }),
        Some(separator) if separator == "--" => Ok(Command::Bench { args: args.rest() }),
        Some(other) => Err(format!(
            "unexpected argument `{other}` for bench (harness arguments go after `--`)"
        )),
    }
}

fn parse_step(name: &str) -> Result<Step, String> {
    Step::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Step::ALL.iter().map(|s| s.name()).collect();
        format!("unknown step `{name}`; steps are: {}", names.join(", "))
    })
}

fn parse_secs(flag: &str, value: &str) -> Result<u64, String> {
    value
        .parse()
        .map_err(|_| format!("{flag} takes a whole number of seconds, not `{value}`"))
}

/// An argument cursor that also splits `--flag=value` into flag and value.
struct Args {
    items: std::vec::IntoIter<String>,
    /// The value of a `--flag=value` argument whose flag was just returned.
    pending_value: Option<String>,
}

impl Args {
    fn new(args: impl IntoIterator<Item = String>) -> Self {
        Self {
            items: args.into_iter().collect::<Vec<_>>().into_iter(),
            pending_value: None,
        }
    }

    /// The next argument; `--flag=value` yields `--flag` and keeps `value` for [`Args::value`].
    fn next(&mut self) -> Option<String> {
        if let Some(value) = self.pending_value.take() {
            // A `=value` nobody asked for: hand it back so the caller rejects it.
            return Some(value);
        }
        let arg = self.items.next()?;
        if arg.starts_with("--")
            && let Some((flag, value)) = arg.split_once('=')
        {
            self.pending_value = Some(value.to_owned());
            return Some(flag.to_owned());
        }
        Some(arg)
    }

    /// The value of `flag`: from `--flag=value` or the next argument.
    fn value(&mut self, flag: &str) -> Result<String, String> {
        self.pending_value
            .take()
            .or_else(|| self.items.next())
            .ok_or_else(|| format!("{flag} needs a value"))
    }

    /// Everything not read yet, untouched.
    fn rest(mut self) -> Vec<String> {
        self.pending_value
            .take()
            .into_iter()
            .chain(self.items)
            .collect()
    }

    /// Fails when arguments are left over.
    fn finish(mut self) -> Result<(), String> {
        match self.next() {
            None => Ok(()),
            Some(extra) => Err(format!("unexpected argument `{extra}`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(words: &[&str]) -> Result<Command, String> {
        parse(words.iter().map(|w| (*w).to_owned()))
    }

    #[test]
    fn help_forms() {
        assert_eq!(parse_words(&["help"]), Ok(Command::Help));
        assert_eq!(parse_words(&["--help"]), Ok(Command::Help));
        assert!(parse_words(&[]).is_err());
        assert!(parse_words(&["help", "me"]).is_err());
    }

    #[test]
    fn test_all_defaults() {
        assert_eq!(
            parse_words(&["test-all"]),
            Ok(Command::TestAll(TestAllOptions {
                skip: vec![],
                only: vec![],
                fuzz_secs: DEFAULT_FUZZ_SECS,
            }))
        );
    }

    #[test]
    fn test_all_skip_only_and_fuzz_secs() {
        assert_eq!(
            parse_words(&[
                "test-all",
                "--skip",
                "fuzz",
                "--skip=deny",
                "--only",
                "fmt",
                "--fuzz-secs=5"
            ]),
            Ok(Command::TestAll(TestAllOptions {
                skip: vec![Step::Fuzz, Step::Deny],
                only: vec![Step::Fmt],
                fuzz_secs: 5,
            }))
        );
    }

    #[test]
    fn test_all_rejects_bad_input() {
        assert!(parse_words(&["test-all", "--skip", "lint"]).is_err());
        assert!(parse_words(&["test-all", "--skip"]).is_err());
        assert!(parse_words(&["test-all", "--fuzz-secs", "ten"]).is_err());
        assert!(parse_words(&["test-all", "--verbose"]).is_err());
    }

    #[test]
    fn fuzz_target_and_secs() {
        assert_eq!(
            parse_words(&["fuzz", "sip_uri", "--secs", "60"]),
            Ok(Command::Fuzz {
                target: "sip_uri".to_owned(),
                secs: 60
            })
        );
        assert_eq!(
            parse_words(&["fuzz", "--secs=0", "sdp"]),
            Ok(Command::Fuzz {
                target: "sdp".to_owned(),
                secs: 0
            })
        );
        assert!(parse_words(&["fuzz"]).is_err());
        assert!(parse_words(&["fuzz", "a", "b"]).is_err());
    }

    #[test]
    fn bench_passes_harness_arguments() {
        assert_eq!(parse_words(&["bench"]), Ok(Command::Bench { args: vec![] }));
        assert_eq!(
            parse_words(&["bench", "--", "parse", "--save-baseline=main"]),
            Ok(Command::Bench {
                args: vec!["parse".to_owned(), "--save-baseline=main".to_owned()]
            })
        );
        assert!(parse_words(&["bench", "parse"]).is_err());
    }

    #[test]
    fn every_step_name_round_trips() {
        for step in Step::ALL {
            assert_eq!(parse_step(step.name()), Ok(step));
        }
    }
}
