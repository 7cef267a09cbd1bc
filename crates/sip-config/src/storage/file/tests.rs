//! Crash-safety and concurrency tests: child processes (this test binary re-run in a child
//! role) are killed in the middle of a save, or save at the same time.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::test_hook::{self, SaveStage};
use super::*;
use crate::value::Value;

const ROLE: &str = "SIPSIMPLE_CONFIG_CHILD";
const DIR: &str = "SIPSIMPLE_CONFIG_DIR";
const PAUSE: &str = "SIPSIMPLE_CONFIG_PAUSE";
const WRITER_ID: &str = "SIPSIMPLE_CONFIG_WRITER";
const LOG: &str = "SIPSIMPLE_CONFIG_LOG";

/// A large tree (so a write takes a while) marked with `generation`.
fn content(generation: &str, entries: usize) -> Group {
    let mut accounts = Group::new();
    for i in 0..entries {
        let mut a = Group::new();
        a.insert(
            "display_name".into(),
            Value::String(format!("{generation} user {i}")),
        );
        a.insert("enabled".into(), Value::Boolean(i % 2 == 0));
        a.insert("register_interval".into(), Value::Integer(i as i64));
        a.insert(
            "transport_list".into(),
            Value::List(vec![
                Value::String("tls".into()),
                Value::String("udp".into()),
            ]),
        );
        accounts.insert(format!("user{i}@{generation}.example.com"), Value::Group(a));
    }
    let mut root = Group::new();
    root.insert("generation".into(), Value::String(generation.into()));
    root.insert("Accounts".into(), Value::Group(accounts));
    root
}

fn stage_name(stage: SaveStage) -> &'static str {
    match stage {
        SaveStage::Locked => "locked",
        SaveStage::PartiallyWritten => "partial",
        SaveStage::Written => "written",
        SaveStage::Renamed => "renamed",
    }
}

/// Re-runs this test binary as a child that runs only the test `test` (the caller), which
/// then plays `role` (see [`play_child_role`]) instead of its parent part.
fn spawn_child(test: &str, role: &str, envs: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(std::env::current_exe().expect("test binary path"));
    cmd.args([
        "--exact",
        &format!("storage::file::tests::{test}"),
        "--nocapture",
        "--test-threads=1",
    ])
    .env(ROLE, role)
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.spawn().expect("spawn child test process")
}

/// Lines of the child's stdout on a channel (so the parent can wait with a timeout).
fn stdout_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let out = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait_for_line(rx: &mpsc::Receiver<String>, prefix: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line.contains(prefix) => return line,
            Ok(_) => {}
            Err(e) => panic!("child never printed {prefix:?}: {e}"),
        }
    }
}

/// In a child process started by [`spawn_child`], plays the role its environment selects and
/// returns true (the test then ends); in the parent, returns false at once.
fn play_child_role() -> bool {
    let Ok(role) = std::env::var(ROLE) else {
        return false;
    };
    let dir = PathBuf::from(std::env::var(DIR).expect("dir"));
    let backend = FileConfigurationBackend::new(dir.join(CONFIG_FILE_NAME));
    match role.as_str() {
        "crash" => {
            let pause = std::env::var(PAUSE).unwrap_or_default();
            test_hook::set(move |stage| {
                if stage_name(stage) == pause {
                    println!("SIPSIMPLE-STAGE {pause}");
                    std::io::stdout().flush().ok();
                    // Wait to be killed (bounded).
                    std::thread::sleep(Duration::from_secs(30));
                }
            });
            let (a, b) = (content("a", 3000), content("b", 3000));
            for i in 0..200 {
                backend
                    .save(if i % 2 == 0 { &b } else { &a })
                    .expect("save");
                println!("SIPSIMPLE-SAVED {i}");
                std::io::stdout().flush().ok();
            }
        }
        "writer" => {
            let id = std::env::var(WRITER_ID).expect("writer id");
            let log = PathBuf::from(std::env::var(LOG).expect("log"));
            let hook_id = id.clone();
            test_hook::set(move |stage| {
                let line = match stage {
                    SaveStage::Locked => format!("enter {hook_id}\n"),
                    SaveStage::Written => {
                        // Widen the window in which an unserialized writer would interleave.
                        std::thread::sleep(Duration::from_millis(5));
                        return;
                    }
                    SaveStage::Renamed => format!("exit {hook_id}\n"),
                    SaveStage::PartiallyWritten => return,
                };
                let mut f = OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open(&log)
                    .expect("log");
                f.write_all(line.as_bytes()).expect("log write");
            });
            let data = content(&id, 500);
            println!("SIPSIMPLE-READY");
            std::io::stdout().flush().ok();
            for _ in 0..15 {
                backend.save(&data).expect("save");
            }
        }
        other => panic!("unknown role {other}"),
    }
    true
}

fn load(dir: &Path) -> Group {
    FileConfigurationBackend::new(dir.join(CONFIG_FILE_NAME))
        .load()
        .expect("the file must always be loadable")
}

fn kill_during(test: &str, pause: &str) {
    let dir = tempfile::tempdir().unwrap();
    let initial = content("initial", 10);
    FileConfigurationBackend::new(dir.path().join(CONFIG_FILE_NAME))
        .save(&initial)
        .unwrap();
    let dir_s = dir.path().to_str().unwrap();
    let (a, b) = (content("a", 3000), content("b", 3000));

    let mut child = spawn_child(test, "crash", &[(DIR, dir_s), (PAUSE, pause)]);
    let lines = stdout_lines(&mut child);
    // Let a few saves complete first, so the file holds a or b, then stop in the middle of one.
    if pause == "partial" || pause == "written" {
        wait_for_line(&lines, "SIPSIMPLE-STAGE");
    } else {
        wait_for_line(&lines, "SIPSIMPLE-SAVED 3");
        std::thread::sleep(Duration::from_millis(7));
    }
    child.kill().expect("kill child by pid");
    child.wait().unwrap();

    let loaded = load(dir.path());
    assert!(
        loaded == initial || loaded == a || loaded == b,
        "file holds a mix after a kill during {pause:?} (generation {})",
        generation(&loaded)
    );
    if pause == "partial" {
        // Killed halfway through the temporary file: the configuration is the old version.
        assert_eq!(generation(&loaded), "initial");
        let tmp = std::fs::metadata(dir.path().join("config.toml.tmp")).unwrap();
        assert!(tmp.len() > 0);
    }
    if pause == "written" {
        assert_eq!(
            generation(&loaded),
            "initial",
            "not renamed yet, so still the old version"
        );
    }
    // The killed process's lock is gone: the next save goes through.
    let backend = FileConfigurationBackend::new(dir.path().join(CONFIG_FILE_NAME));
    backend.save(&a).unwrap();
    assert!(load(dir.path()) == a);
}

fn generation(data: &Group) -> &str {
    data.get("generation")
        .and_then(Value::as_str)
        .unwrap_or("?")
}

#[test]
fn kill_while_temporary_file_half_written_keeps_old_content() {
    if play_child_role() {
        return;
    }
    kill_during(
        "kill_while_temporary_file_half_written_keeps_old_content",
        "partial",
    );
}

#[test]
fn kill_before_rename_keeps_old_content() {
    if play_child_role() {
        return;
    }
    kill_during("kill_before_rename_keeps_old_content", "written");
}

#[test]
fn kill_at_an_arbitrary_moment_leaves_old_or_new_content() {
    if play_child_role() {
        return;
    }
    for _ in 0..3 {
        kill_during(
            "kill_at_an_arbitrary_moment_leaves_old_or_new_content",
            "none",
        );
    }
}

#[test]
fn two_processes_saving_at_once_are_serialized() {
    if play_child_role() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let dir_s = dir.path().to_str().unwrap();
    let log_s = log.to_str().unwrap();
    let mut children: Vec<Child> = ["p1", "p2"]
        .iter()
        .map(|id| {
            spawn_child(
                "two_processes_saving_at_once_are_serialized",
                "writer",
                &[(DIR, dir_s), (WRITER_ID, id), (LOG, log_s)],
            )
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    for child in &mut children {
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(status.success(), "writer failed: {status}");
                break;
            }
            if Instant::now() > deadline {
                child.kill().ok();
                child.wait().ok();
                panic!("writer did not finish in time");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let log = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2 * 2 * 15, "{log}");
    for pair in lines.chunks(2) {
        let (enter, exit) = (pair[0], pair[1]);
        assert!(enter.starts_with("enter "), "{log}");
        assert_eq!(&enter[6..], &exit[5..], "interleaved saves:\n{log}");
    }
    // Both writers really ran concurrently at some point is not guaranteed, but every save was
    // whole: the file is one writer's complete content.
    let loaded = load(dir.path());
    assert!(loaded == content("p1", 500) || loaded == content("p2", 500));
}

#[test]
fn corrupt_file_is_reported_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(CONFIG_FILE_NAME);
    let bad = b"[Accounts.\"a@b.com\"]\nenabled = true\ndisplay_name = \"unterminated\n";
    std::fs::write(&path, bad).unwrap();
    let backend = FileConfigurationBackend::new(&path);
    let err = backend.load().unwrap_err();
    let StorageError::Parse {
        path: p,
        line,
        reason,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(p, &path);
    assert_eq!(*line, 3);
    assert!(!reason.is_empty());
    assert!(err.to_string().contains("config.toml:3:"), "{err}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bad,
        "the bad file is untouched"
    );

    // Saving anyway keeps the unreadable file aside instead of overwriting it.
    backend.save(&content("new", 2)).unwrap();
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".unreadable-"))
        .collect();
    assert_eq!(aside.len(), 1);
    assert_eq!(std::fs::read(&aside[0]).unwrap(), bad);
    assert_eq!(backend.load().unwrap(), content("new", 2));
}

#[test]
fn invalid_utf8_and_oversized_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(CONFIG_FILE_NAME);
    std::fs::write(&path, b"a = 1\nb = \"\xff\"\n").unwrap();
    let err = FileConfigurationBackend::new(&path).load().unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::Parse {
                line: 2,
                column: 6,
                ..
            }
        ),
        "{err:?}"
    );
    std::fs::write(&path, vec![b'#'; 2000]).unwrap();
    let err = FileConfigurationBackend::new(&path)
        .with_max_size(1000)
        .load()
        .unwrap_err();
    assert!(matches!(
        err,
        StorageError::TooLarge {
            size: 2000,
            limit: 1000,
            ..
        }
    ));
}

#[cfg(unix)]
#[test]
fn files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let storage = FileStorage::new(dir.path().join("s")).unwrap();
    storage
        .configuration_backend()
        .save(&content("x", 1))
        .unwrap();
    let mode = std::fs::metadata(dir.path().join("s").join(CONFIG_FILE_NAME))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let mode = std::fs::metadata(dir.path().join("s"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
}

#[test]
fn malformed_xcap_cache_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let storage = FileStorage::new(dir.path()).unwrap();
    let xcap = storage
        .xcap_storage_factory()
        .xcap_storage("a@b.com")
        .unwrap();
    std::fs::write(dir.path().join("xcap/a@b.com/pres-rules"), b"no etag here").unwrap();
    assert!(matches!(
        xcap.load("pres-rules"),
        Err(StorageError::MalformedDocument { .. })
    ));
}
