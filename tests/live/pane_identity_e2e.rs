//! A pane id is never trusted on its own: after the fleet's tmux server is killed and a
//! new server on the same socket gives another process the agent's old pane id, shoal
//! neither types into nor kills that pane, and the agent reads `lost`. `retry` and `up`
//! adopt a live window marked as the agent instead of starting a second one.

use crate::common::Rig;
use std::process::{Command, Stdio};

const AGENT: &str = r#"
[[agent]]
name = "a"
cmd = "cat"
"#;

fn tmux(rig: &Rig, args: &[&str]) -> String {
    let out = Command::new("tmux")
        .args(["-L", &rig.socket(), "-f", "/dev/null"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run tmux");
    assert!(
        out.status.success(),
        "tmux {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Replace the fleet's server by a new one whose second pane (`%1`, the agent's old
/// id) runs a stranger's `cat`. Returns that pane's pid.
fn restart_server_with_a_stranger(rig: &Rig) -> String {
    tmux(rig, &["kill-server"]);
    // The old server may still be going away: a new one can fail to start meanwhile.
    let t0 = std::time::Instant::now();
    loop {
        let started = Command::new("tmux")
            .args(["-L", &rig.socket(), "-f", "/dev/null"])
            .args([
                "new-session",
                "-d",
                "-s",
                "other",
                "-x",
                "120",
                "-y",
                "30",
                "sleep 600",
            ])
            .stdin(Stdio::null())
            .output()
            .expect("run tmux");
        if started.status.success() {
            break;
        }
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(10),
            "a new server would not start: {}",
            String::from_utf8_lossy(&started.stderr)
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let new = tmux(
        rig,
        &[
            "new-window",
            "-d",
            "-P",
            "-F",
            "#{pane_id} #{pane_pid}",
            "-t",
            "other:",
            "cat",
        ],
    );
    let (id, pid) = new.split_once(' ').expect("pane id and pid");
    assert_eq!(id, "%1", "the stranger took the agent's pane id");
    pid.to_string()
}

#[test]
fn a_reused_pane_id_is_never_acted_on_and_the_agent_reads_lost() {
    let rig = Rig::new("stall_timeout = \"1h\"", AGENT);
    rig.ok(&["up", "--no-console"]);
    assert_eq!(rig.agent("a")["pane"], "%1");
    let stranger_pid = restart_server_with_a_stranger(&rig);

    let out = rig.shoal(&["send", "a", "typed-into-the-wrong-pane"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "send must not succeed: {err}");
    assert!(err.contains("lost"), "{err}");
    let out = rig.shoal(&["kill", "a"]);
    assert!(!out.status.success(), "kill must not succeed");

    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        !rig.capture("%1").contains("typed-into-the-wrong-pane"),
        "text reached the stranger's pane:\n{}",
        rig.capture("%1")
    );
    let listed = tmux(
        &rig,
        &[
            "list-panes",
            "-a",
            "-F",
            "#{pane_id} #{pane_pid} #{pane_dead}",
        ],
    );
    assert!(
        listed.contains(&format!("%1 {stranger_pid} 0")),
        "the stranger's pane was killed: {listed}"
    );
    let a = rig.agent("a");
    assert_eq!(a["state"], "lost", "{a}");
    let kinds = rig.event_kinds("a");
    assert_eq!(
        kinds.iter().filter(|k| *k == "lost").count(),
        1,
        "{kinds:?}"
    );
}

#[test]
fn retry_adopts_a_live_window_marked_as_the_agent() {
    let rig = Rig::new("stall_timeout = \"1h\"", AGENT);
    rig.ok(&["up", "--no-console"]);
    restart_server_with_a_stranger(&rig);
    rig.ok(&["status"]);
    assert_eq!(rig.agent("a")["state"], "lost");
    // Another copy of the agent already runs there (started by another store).
    let pane = tmux(
        &rig,
        &[
            "new-window",
            "-d",
            "-P",
            "-F",
            "#{pane_id}",
            "-t",
            "other:",
            "cat",
        ],
    );
    tmux(
        &rig,
        &["set-option", "-p", "-t", &pane, "@shoal_agent", "a"],
    );
    let before = rig.pane_ids().len();

    let out = rig.ok(&["retry", "a"]);
    assert!(out.contains(&format!("adopted pane {pane}")), "{out}");
    assert_eq!(rig.pane_ids().len(), before, "no second window");
    let a = rig.agent("a");
    assert_eq!(
        (a["state"].as_str(), a["pane"].as_str()),
        (Some("running"), Some(pane.as_str()))
    );
    // Typing reaches the adopted pane.
    rig.ok(&["send", "a", "hello-adopted"]);
    rig.wait_for(std::time::Duration::from_secs(5), "the typed text", || {
        rig.capture(&pane).contains("hello-adopted").then_some(())
    });
}

#[test]
fn up_with_a_new_store_adopts_the_running_windows_instead_of_starting_twice() {
    let rig = Rig::new("stall_timeout = \"1h\"", AGENT);
    rig.ok(&["up", "--no-console"]);
    let panes = rig.pane_ids();
    std::fs::remove_dir_all(rig.home()).expect("remove the data directory");

    let out = rig.ok(&["up", "--no-console"]);
    assert!(out.contains("adopted pane %1"), "{out}");
    assert_eq!(rig.pane_ids(), panes, "no second window for a");
    assert_eq!(rig.agent("a")["state"], "running");
}
