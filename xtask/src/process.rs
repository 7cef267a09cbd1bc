//! Running external commands with their output streamed to the terminal.

use std::ffi::{OsStr, OsString};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A command line to run: program, arguments, working folder and extra environment.
#[derive(Debug, Clone)]
pub(crate) struct Cmd {
    /// How the program is shown in logs (`cargo` rather than the toolchain's full path).
    display_name: String,
    program: OsString,
    args: Vec<OsString>,
    dir: PathBuf,
    envs: Vec<(OsString, OsString)>,
}

impl Cmd {
    /// A command running `program` (shown as `display_name`) in `dir`.
    pub(crate) fn new(display_name: &str, program: impl AsRef<OsStr>, dir: &Path) -> Self {
        Self {
            display_name: display_name.to_owned(),
            program: program.as_ref().to_owned(),
            args: Vec::new(),
            dir: dir.to_path_buf(),
            envs: Vec::new(),
        }
    }

    /// Appends one argument.
    pub(crate) fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Appends several arguments.
    pub(crate) fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Sets an environment variable for the command.
    pub(crate) fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.envs
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// The command as a shell-like line: `KEY=value program arg…`.
    pub(crate) fn display(&self) -> String {
        let mut words: Vec<String> = self
            .envs
            .iter()
            .map(|(k, v)| format!("{}={}", k.to_string_lossy(), quote(&v.to_string_lossy())))
            .collect();
        words.push(self.display_name.clone());
        words.extend(self.args.iter().map(|a| quote(&a.to_string_lossy())));
        words.join(" ")
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args).current_dir(&self.dir);
        for (key, value) in &self.envs {
            command.env(key, value);
        }
        command
    }

    /// Prints the command line, runs it with inherited stdin/stdout/stderr and waits for it.
    ///
    /// Returns an error message naming the command when it cannot start or exits unsuccessfully.
    pub(crate) fn run(&self) -> Result<(), String> {
        let line = self.display();
        println!("$ {line}");
        // Our own output must reach the terminal before the child's.
        let _ = std::io::stdout().flush();
        match self.command().status() {
            Ok(status) if status.success() => Ok(()),
            Ok(status) => Err(match status.code() {
                Some(code) => format!("`{line}` exited with status {code}"),
                None => format!("`{line}` was killed ({status})"),
            }),
            Err(error) => Err(format!("could not start `{line}`: {error}")),
        }
    }

    /// Runs the command with all output discarded and tells whether it succeeded.
    ///
    /// Used to probe for tools (`cargo fuzz --version`).
    pub(crate) fn succeeds_quietly(&self) -> bool {
        self.command()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }
}

/// Quotes a word for display when it holds characters a shell would treat specially.
fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_=./:,+@%".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_shows_env_then_program_then_quoted_args() {
        let cmd = Cmd::new("cargo", "/opt/toolchain/bin/cargo", Path::new("/tmp"))
            .env("RUSTDOCFLAGS", "-D warnings")
            .args(["doc", "--workspace"])
            .arg("it's");
        assert_eq!(
            cmd.display(),
            r"RUSTDOCFLAGS='-D warnings' cargo doc --workspace 'it'\''s'"
        );
    }

    #[test]
    fn quote_leaves_plain_words_alone() {
        assert_eq!(quote("-max_total_time=20"), "-max_total_time=20");
        assert_eq!(quote("corpus/sip_uri"), "corpus/sip_uri");
        assert_eq!(quote(""), "''");
    }
}
