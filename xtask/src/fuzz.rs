//! Fuzzing with cargo-fuzz: the `fuzz` step of `test-all` and `cargo xtask fuzz <target>`.
//!
//! The fuzz package lives in `fuzz/` with its own `[workspace]`, outside the main workspace.
//! Its targets are the `[[bin]]` entries of `fuzz/Cargo.toml`. Hand-written seed inputs are
//! committed under `fuzz/seeds/<target>/`; before each run they are copied into the git-ignored
//! working corpus `fuzz/corpus/<target>/`, which libFuzzer grows as it finds new coverage.
//!
//! cargo-fuzz builds with AddressSanitizer, in release mode with debug assertions, which needs
//! nightly compiler flags: `RUSTC_BOOTSTRAP=1` lets the pinned stable toolchain accept them.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::process::Cmd;
use crate::workspace::Workspace;

/// Seconds of `cargo xtask fuzz <target>` unless `--secs` says.
pub(crate) const DEFAULT_LONG_RUN_SECS: u64 = 600;

/// libFuzzer's memory limit per run, in MiB.
const RSS_LIMIT_MB: u32 = 2048;

/// Message for a machine without cargo-fuzz.
const NOT_INSTALLED: &str = "cargo-fuzz is not installed; .ci/run installs it \
                             (or run `cargo install --locked cargo-fuzz`)";

/// The `fuzz` step of `test-all`: build every target once, then per target seed the corpus,
/// replay it, and fuzz for `secs` seconds (none when `secs` is 0).
///
/// A failing target does not stop the others; the errors name the crash artifacts.
pub(crate) fn test_all_step(ws: &Workspace, secs: u64) -> Result<(), Vec<String>> {
    let project = FuzzProject::open(ws)?;
    project.build_all().map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    for target in &project.targets {
        println!("\n--- fuzz target {target}");
        if let Err(error) = project.replay_then_fuzz(target, secs) {
            errors.push(format!("{target}: {error}"));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// `cargo xtask fuzz <target> [--secs N]`: a long run of one target (`secs` 0 = no limit).
pub(crate) fn run_long(ws: &Workspace, target: &str, secs: u64) -> ExitCode {
    let result = FuzzProject::open(ws)
        .map_err(|errors| errors.join("\n"))
        .and_then(|project| {
            if !project.targets.iter().any(|t| t == target) {
                return Err(format!(
                    "unknown fuzz target `{target}`; targets in fuzz/Cargo.toml: {}",
                    project.targets.join(", ")
                ));
            }
            let corpus = project.seed_corpus(target)?;
            project.fuzz(target, &corpus, secs)
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The cargo-fuzz project in `<workspace>/fuzz` and its targets.
struct FuzzProject<'a> {
    ws: &'a Workspace,
    dir: PathBuf,
    targets: Vec<String>,
}

impl<'a> FuzzProject<'a> {
    /// Reads the targets from `fuzz/Cargo.toml` and checks that cargo-fuzz is installed.
    fn open(ws: &'a Workspace) -> Result<Self, Vec<String>> {
        let dir = ws.fuzz_dir();
        let manifest = dir.join("Cargo.toml");
        let text = fs::read_to_string(&manifest)
            .map_err(|e| vec![format!("cannot read {}: {e}", manifest.display())])?;
        let targets = bin_names(&text);
        if targets.is_empty() {
            return Err(vec![format!(
                "{} declares no [[bin]] fuzz targets",
                manifest.display()
            )]);
        }
        if !ws
            .cargo_in(&dir)
            .args(["fuzz", "--version"])
            .succeeds_quietly()
        {
            return Err(vec![NOT_INSTALLED.to_owned()]);
        }
        println!("fuzz targets: {}", targets.join(", "));
        Ok(Self { ws, dir, targets })
    }

    /// `cargo fuzz <subcommand>` run in the fuzz folder, with nightly flags allowed.
    fn cargo_fuzz(&self, subcommand: &str) -> Cmd {
        self.ws
            .cargo_in(&self.dir)
            .env("RUSTC_BOOTSTRAP", "1")
            .args(["fuzz", subcommand])
    }

    /// Builds every target once (`cargo fuzz build`), so the runs that follow only link.
    fn build_all(&self) -> Result<(), String> {
        self.cargo_fuzz("build").run()
    }

    /// Copies `fuzz/seeds/<target>/*` into `fuzz/corpus/<target>/` and returns the corpus
    /// folder relative to the fuzz folder (as the commands see it).
    fn seed_corpus(&self, target: &str) -> Result<PathBuf, String> {
        let corpus = Path::new("corpus").join(target);
        let corpus_abs = self.dir.join(&corpus);
        fs::create_dir_all(&corpus_abs)
            .map_err(|e| format!("cannot create {}: {e}", corpus_abs.display()))?;
        let seeds = self.dir.join("seeds").join(target);
        if !seeds.is_dir() {
            println!("note: no seeds in fuzz/seeds/{target}/; fuzzing from the corpus alone");
            return Ok(corpus);
        }
        let entries =
            fs::read_dir(&seeds).map_err(|e| format!("cannot list {}: {e}", seeds.display()))?;
        let mut copied = 0usize;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot list {}: {e}", seeds.display()))?;
            let source = entry.path();
            if !source.is_file() {
                continue;
            }
            let destination = corpus_abs.join(entry.file_name());
            fs::copy(&source, &destination).map_err(|e| {
                format!(
                    "cannot copy {} to {}: {e}",
                    source.display(),
                    destination.display()
                )
            })?;
            copied += 1;
        }
        println!("seeded fuzz/corpus/{target}/ with {copied} file(s) from fuzz/seeds/{target}/");
        Ok(corpus)
    }

    /// Seeds the corpus, replays every input in it, then fuzzes for `secs` seconds (if not 0).
    fn replay_then_fuzz(&self, target: &str, secs: u64) -> Result<(), String> {
        let corpus = self.seed_corpus(target)?;
        self.with_artifact_report(target, || {
            self.cargo_fuzz("run")
                .arg(target)
                .arg(&corpus)
                .args(["--", "-runs=0"])
                .run()
        })?;
        if secs == 0 {
            return Ok(());
        }
        self.fuzz(target, &corpus, secs)
    }

    /// Fuzzes `target` over `corpus` for `secs` seconds (0 = until a crash or interruption).
    fn fuzz(&self, target: &str, corpus: &Path, secs: u64) -> Result<(), String> {
        self.with_artifact_report(target, || {
            self.cargo_fuzz("run")
                .arg(target)
                .arg(corpus)
                .arg("--")
                .arg(format!("-max_total_time={secs}"))
                .arg(format!("-rss_limit_mb={RSS_LIMIT_MB}"))
                .run()
        })
    }

    /// Runs `task`; when it fails, adds the crash artifacts it left to the error message.
    fn with_artifact_report(
        &self,
        target: &str,
        task: impl FnOnce() -> Result<(), String>,
    ) -> Result<(), String> {
        let before = self.artifacts(target);
        task().map_err(|error| {
            let new: Vec<String> = self
                .artifacts(target)
                .difference(&before)
                .map(|p| p.display().to_string())
                .collect();
            if new.is_empty() {
                error
            } else {
                format!("{error}; crash artifact(s): {}", new.join(", "))
            }
        })
    }

    /// The files in `fuzz/artifacts/<target>/`, where libFuzzer writes crashing inputs.
    fn artifacts(&self, target: &str) -> BTreeSet<PathBuf> {
        fs::read_dir(self.dir.join("artifacts").join(target))
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.path())
                    .filter(|path| path.is_file())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The `name`s of the `[[bin]]` tables of a cargo-fuzz manifest, in order.
///
/// A small line-based reader, enough for the manifest we write: each `[[bin]]` table has a
/// `name = "…"` line before the next table header.
fn bin_names(manifest: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_bin = false;
    for line in manifest.lines() {
        let line = strip_comment(line).trim();
        if line.starts_with('[') {
            in_bin = line.replace(' ', "") == "[[bin]]";
            continue;
        }
        if !in_bin {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if key.trim() == "name" {
            let value = value.trim();
            if let Some(name) = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            {
                names.push(name.to_owned());
            }
            in_bin = false;
        }
    }
    names
}

/// `line` without a trailing `# comment` (a `#` inside a quoted string is kept).
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    for (index, c) in line.char_indices() {
        match (quote, c) {
            (None, '#') => return &line[..index],
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if q == c => quote = None,
            _ => {}
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bin_names_reads_every_bin_table() {
        let manifest = r#"
[package]
name = "sipsimple-fuzz"   # not a bin

[dependencies]
libfuzzer-sys = "0.4"

[[bin]]
name = "sip_message"
path = "fuzz_targets/sip_message.rs"

[[ bin ]]
path = "fuzz_targets/sip_uri.rs"
name = 'sip_uri' # single quotes
test = false

# [[bin]]
# name = "commented_out"

[[bin]]
name="sdp"
"#;
        assert_eq!(bin_names(manifest), ["sip_message", "sip_uri", "sdp"]);
    }

    #[test]
    fn the_committed_fuzz_manifest_has_targets() {
        let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/Cargo.toml");
        if let Ok(text) = fs::read_to_string(manifest) {
            let names = bin_names(&text);
            assert!(names.contains(&"sip_message".to_owned()), "{names:?}");
        }
    }

    #[test]
    fn strip_comment_keeps_hashes_in_strings() {
        assert_eq!(strip_comment(r##"name = "a#b" # c"##), r##"name = "a#b" "##);
        assert_eq!(strip_comment("# all comment"), "");
    }
}
