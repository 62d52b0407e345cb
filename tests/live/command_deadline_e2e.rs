//! A command queued for a stuck supervisor carries a deadline: past it the command is
//! dropped with an event and never carried out when the supervisor resumes. `--queue`
//! leaves it queued with no deadline.

use crate::common::Rig;
use std::process::Stdio;
use std::time::Duration;

const AGENT: &str = r#"
[[agent]]
name = "a"
cmd = "cat"
"#;

/// A running fleet whose supervisor is then stopped (SIGSTOP) while its lease is
/// still fresh.
fn stuck_fleet() -> (Rig, u32) {
    let mut rig = Rig::new("stall_timeout = \"1h\"\npoll_interval = \"1s\"", AGENT);
    let pid = rig.supervise();
    rig.wait_for(Duration::from_secs(20), "a running", || {
        (rig.agent("a")["state"] == "running").then_some(())
    });
    // SAFETY: kill(2) of the supervisor this test started.
    unsafe { libc::kill(pid as i32, libc::SIGSTOP) };
    (rig, pid)
}

fn resume(pid: u32) {
    // SAFETY: as above.
    unsafe { libc::kill(pid as i32, libc::SIGCONT) };
}

#[test]
fn a_kill_past_its_deadline_is_dropped_and_never_carried_out_later() {
    let (rig, pid) = stuck_fleet();
    let out = rig.shoal(&["kill", "a", "--wait", "2s"]);
    resume(pid);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("dropped"), "{err}");
    // The resumed supervisor ticks a few times: the kill never happens.
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(rig.agent("a")["state"], "running");
    let kinds = rig.event_kinds("a");
    assert!(!kinds.iter().any(|k| k == "kill"), "{kinds:?}");
}

#[test]
fn a_command_whose_cli_died_is_dropped_by_the_supervisor_with_an_event() {
    let (rig, pid) = stuck_fleet();
    // The CLI dies before its deadline, so only the supervisor can drop the command.
    let mut cli = std::process::Command::new(crate::common::SHOAL)
        .arg("-f")
        .arg(rig.fleet_path())
        .args(["kill", "a", "--wait", "2s"])
        .env("SHOAL_HOME", rig.home())
        .env("SHOAL_CONFIG", rig.dir.path().join("config"))
        .env_remove("TMUX")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run shoal kill");
    // Killed once its command is queued (the store says so), before its deadline.
    let store = shoal::store::Store::open(&rig.home().join(format!("{}.sqlite", rig.name)))
        .expect("open the store");
    rig.wait_for(Duration::from_secs(10), "the command queued", || {
        store.command_status(1).ok().flatten()
    });
    cli.kill().expect("kill the CLI");
    let _ = cli.wait();
    std::thread::sleep(Duration::from_millis(2500));
    resume(pid);
    let refused = rig.wait_for(Duration::from_secs(10), "the drop event", || {
        rig.events("a").into_iter().find(|e| e["kind"] == "refused")
    });
    let detail = refused["detail"].as_str().unwrap_or("");
    assert!(detail.contains("past its deadline"), "{detail}");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(rig.agent("a")["state"], "running");
    assert!(!rig.event_kinds("a").iter().any(|k| k == "kill"));
}

#[test]
fn queue_leaves_the_command_for_the_supervisor_without_a_deadline() {
    let (rig, pid) = stuck_fleet();
    let out = rig.ok(&["nudge", "a", "--queue"]);
    assert!(out.contains("queued `nudge`"), "{out}");
    std::thread::sleep(Duration::from_millis(2500));
    resume(pid);
    rig.wait_for(Duration::from_secs(10), "the queued nudge", || {
        rig.event_kinds("a")
            .iter()
            .any(|k| k == "nudge")
            .then_some(())
    });
}
