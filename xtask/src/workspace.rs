//! Where the workspace is and how to call cargo in it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::process::Cmd;

/// The sipsimple-rs workspace that the tasks run in.
#[derive(Debug, Clone)]
pub(crate) struct Workspace {
    /// The folder holding the root `Cargo.toml` (the parent of `xtask/`).
    root: PathBuf,
    /// The cargo that runs this xtask (`$CARGO`), so every step uses the same toolchain.
    cargo: OsString,
    /// Whether `Cargo.lock` exists: cargo commands then get `--locked`.
    locked: bool,
}

impl Workspace {
    /// Finds the workspace root as the parent of this package's manifest folder.
    ///
    /// `cargo run` sets `CARGO_MANIFEST_DIR` at run time; the value baked in at compile time is
    /// the fallback for a binary started by hand.
    pub(crate) fn locate() -> Result<Self, String> {
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        let root = manifest_dir
            .parent()
            .ok_or_else(|| {
                format!(
                    "xtask's manifest folder {} has no parent folder",
                    manifest_dir.display()
                )
            })?
            .to_path_buf();
        if !root.join("Cargo.toml").is_file() {
            return Err(format!(
                "no Cargo.toml in {}, the folder above xtask/",
                root.display()
            ));
        }
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
        let locked = root.join("Cargo.lock").is_file();
        Ok(Self {
            root,
            cargo,
            locked,
        })
    }

    /// The workspace root folder.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// The cargo-fuzz project folder, `<root>/fuzz` (outside the workspace members).
    pub(crate) fn fuzz_dir(&self) -> PathBuf {
        self.root.join("fuzz")
    }

    /// `["--locked"]` when `Cargo.lock` exists, else nothing.
    pub(crate) fn locked_args(&self) -> &'static [&'static str] {
        if self.locked { &["--locked"] } else { &[] }
    }

    /// A `cargo` command that runs in the workspace root.
    pub(crate) fn cargo(&self) -> Cmd {
        self.cargo_in(&self.root)
    }

    /// A `cargo` command that runs in `dir`.
    pub(crate) fn cargo_in(&self, dir: &Path) -> Cmd {
        Cmd::new("cargo", &self.cargo, dir)
    }
}
