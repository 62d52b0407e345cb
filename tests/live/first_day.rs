//! An operator's first steps: a starter fleet file from `shoal init`, started and listed;
//! a console refused without a terminal before anything starts; printing commands that
//! stop quietly when their reader does.

use crate::common::{Rig, SHOAL};
use std::io::Read;
use std::os::fd::FromRawFd;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

fn server_running(rig: &Rig) -> bool {
    Command::new("tmux")
        .args(["-L", &rig.socket(), "-f", "/dev/null", "has-session"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn init_writes_a_file_that_up_and_status_take() {
    let rig = Rig::new("", "");
    std::fs::remove_file(&rig.fleet).unwrap();
    let out = rig.ok(&["init", "--kind", "shell", "--name", &rig.name]);
    assert!(out.contains("wrote"), "{out}");
    let text = std::fs::read_to_string(&rig.fleet).unwrap();
    assert!(text.contains("[[agent]]") && text.contains("# "), "{text}");

    let again = rig.shoal(&["init"]);
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("exists already"), "{err}");
    assert_eq!(std::fs::read_to_string(&rig.fleet).unwrap(), text);

    rig.ok(&["up", "--no-console"]);
    let agent = rig.agent("shell");
    assert_eq!(agent["state"], "running", "{agent}");
}

#[test]
fn the_console_without_a_terminal_starts_nothing() {
    let rig = Rig::new("", "[[agent]]\nname = \"a\"\ncmd = \"sleep 600\"\n");
    let out = rig.shoal(&["up"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs a terminal"), "{err}");
    assert!(err.contains("up --no-console"), "{err}");
    assert!(!server_running(&rig), "no agent may start");
}

#[test]
fn a_missing_fleet_file_offers_init_and_the_demo_without_a_position() {
    let rig = Rig::new("", "");
    std::fs::remove_file(&rig.fleet).unwrap();
    let out = rig.shoal(&["status"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains(":0:0"), "{err}");
    assert!(
        err.contains("shoal init") && err.contains("shoal demo"),
        "{err}"
    );
}

#[test]
fn a_printing_command_stops_quietly_when_its_reader_does() {
    // Both print more than a pipe holds (64 KiB), so the write meets the closed pipe.
    for args in [["completions", "bash"], ["completions", "powershell"]] {
        let mut child = Command::new(SHOAL)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 8];
        child
            .stdout
            .as_mut()
            .unwrap()
            .read_exact(&mut first)
            .unwrap();
        drop(child.stdout.take()); // the reader goes, as `| head -c8` does
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        child.wait().unwrap();
        assert!(!err.contains("panicked"), "shoal {args:?}: {err}");
    }
}

#[test]
fn printing_commands_end_quietly_on_a_pipe_already_closed() {
    let rig = Rig::new("", "[[agent]]\nname = \"a\"\ncmd = \"cat\"\n");
    rig.ok(&["up", "--no-console"]);
    let commands: &[&[&str]] = &[
        &["status"],
        &["status", "--json"],
        &["events"],
        &["usage"],
        &["usage", "--json"],
        &["circuit"],
        &["supervisor", "status"],
        &["supervisor", "unit"],
        &["logs"],
    ];
    for args in commands {
        let mut fds = [0; 2];
        // SAFETY: a fresh pipe; its read end is closed at once, so any write fails.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        unsafe { libc::close(fds[0]) };
        // SAFETY: the write end is ours and handed over once.
        let stdout = unsafe { std::os::fd::OwnedFd::from_raw_fd(fds[1]) };
        let out = rig
            .command(args)
            .stdout(Stdio::from(stdout))
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "shoal {args:?}: {err}");
        assert!(
            out.status.signal() == Some(libc::SIGPIPE) || out.status.success(),
            "shoal {args:?} ended {:?}: {err}",
            out.status
        );
    }
}

#[test]
fn the_demo_says_where_its_fleet_file_is_and_demo_finds_it_without_a_path() {
    // The rig's name keeps the demo's server private to this test (and stopped with it).
    let rig = Rig::new("", "");
    let demo = |args: &[&str]| {
        Command::new(SHOAL)
            .args(args)
            .env("SHOAL_HOME", rig.home())
            .env("SHOAL_CONFIG", rig.dir.path().join("config"))
            .env_remove("TMUX")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let flag = format!("--demo={}", rig.name);
    let none = demo(&[&flag, "status"]);
    assert!(!none.status.success());
    let err = String::from_utf8_lossy(&none.stderr);
    assert!(
        err.contains("no demo fleet at")
            && err.contains(&format!("shoal demo --name {}", rig.name)),
        "{err}"
    );

    let started = demo(&["demo", "--no-console", "--name", &rig.name]);
    assert!(started.status.success(), "{started:?}");
    let said = String::from_utf8_lossy(&started.stdout);
    let file = rig.home().join(&rig.name).join("shoal.toml");
    assert!(
        said.contains(&format!("demo fleet file: {}", file.display())),
        "{said}"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    let declared = text.matches("[[agent]]").count();
    assert!(declared > 0, "{text}");

    let status = demo(&[&flag, "status", "--json"]);
    assert!(status.status.success(), "{status:?}");
    let agents: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(agents.as_array().map(Vec::len), Some(declared), "{agents}");

    let down = demo(&[&flag, "down"]);
    assert!(down.status.success(), "{down:?}");
    assert!(!server_running(&rig), "the demo's server is stopped");
}
