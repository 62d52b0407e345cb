//! Bad surroundings get a clear message and a non-zero exit, and lose nothing: no tmux
//! binary, an unusable data directory, a damaged store, a tmux server that dies.

use crate::common::{Rig, SHOAL};
use std::process::Command;
use std::time::Duration;

const ONE: &str = "[[agent]]\nname = \"a\"\ncmd = \"{sim} work\"\nkind = \"claude\"\n";

fn run(rig: &Rig, home: &std::path::Path, path: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(SHOAL)
        .arg("-f")
        .arg(&rig.fleet)
        .args(args)
        .env("SHOAL_HOME", home)
        .env("PATH", path)
        .output()
        .expect("run shoal");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_missing_tmux_binary_is_named_with_the_fix() {
    let rig = Rig::new("", ONE);
    let (ok, err) = run(&rig, &rig.home(), "/nonexistent", &["up", "--no-console"]);
    assert!(!ok);
    assert!(
        err.contains("tmux is not installed or not on PATH")
            && err.contains("apt-get install tmux"),
        "{err}"
    );
}

#[test]
fn an_unusable_data_directory_and_a_damaged_store_are_reported() {
    let rig = Rig::new("", ONE);
    let path = std::env::var("PATH").unwrap();
    let file = rig.dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let (ok, err) = run(&rig, &file, &path, &["status"]);
    assert!(!ok);
    assert!(
        err.contains("cannot create the data directory") && err.contains("not-a-dir"),
        "{err}"
    );

    let home = rig.dir.path().join("junk");
    std::fs::create_dir_all(&home).unwrap();
    let store = home.join(format!("{}.sqlite", rig.name));
    std::fs::write(&store, vec![0x5a; 9000]).unwrap();
    let (ok, err) = run(&rig, &home, &path, &["status"]);
    assert!(!ok);
    assert!(
        err.contains("damaged or not a shoal store") && err.contains("move it aside"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&store).unwrap(),
        vec![0x5a; 9000],
        "the file was left as it was"
    );
}

#[test]
fn agents_on_a_tmux_server_that_dies_are_recorded_as_failed() {
    let mut rig = Rig::new("poll_interval = \"250ms\"", ONE);
    rig.supervise();
    rig.wait_for(Duration::from_secs(15), "the agent running", || {
        (rig.agent("a")["state"] == "running").then_some(())
    });
    Command::new("tmux")
        .args(["-L", &rig.socket(), "-f", "/dev/null", "kill-server"])
        .status()
        .unwrap();
    rig.wait_for(Duration::from_secs(10), "the agent to be failed", || {
        (rig.agent("a")["state"] == "failed").then_some(())
    });
    let exit = rig
        .events("a")
        .into_iter()
        .rfind(|e| e["kind"] == "exit")
        .expect("exit event");
    assert!(
        exit["detail"].as_str().unwrap().contains("is gone"),
        "{exit}"
    );
    assert_eq!(exit["has_capture"], true, "the last screen is kept: {exit}");
}
