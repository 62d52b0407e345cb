//! The supervisor against real tmux on a private socket, through the real binary:
//! working agents stay ok, stalled ones walk the ladder, crashes are recorded, retry
//! and cancel work, and a supervisor killed with SIGKILL resumes where it stopped.

use crate::common::Rig;
use std::time::Duration;

const LADDER_AGENTS: &str = r#"
[[agent]]
name = "worker"
cmd = "{sim} work --every 300ms"
kind = "claude"

[[agent]]
name = "mute"
cmd = "{sim} silent"
# Frozen at its prompt: a stall only with on_idle = "nudge".
on_idle = "nudge"
kind = "claude"

[[agent]]
name = "spinner"
cmd = "{sim} spin-hang"
kind = "claude"
parent = "worker"

[[agent]]
name = "crasher"
cmd = "{sim} crash --after 1s"
kind = "claude"
"#;

fn kinds_contain(kinds: &[String], want: &[&str]) -> bool {
    let mut it = kinds.iter();
    want.iter().all(|w| it.any(|k| k == w))
}

#[test]
fn stalls_walk_the_ladder_while_a_working_agent_stays_ok() {
    // A short grace: interrupted, the simulated agent goes back to its prompt instead of
    // exiting, so the cancel below always ends in the kill after the grace.
    let mut rig = Rig::new(
        "stall_timeout = \"2s\"\npoll_interval = \"250ms\"\ncancel_grace = \"1s\"",
        LADDER_AGENTS,
    );
    rig.supervise();

    // The crash is seen within a tick of the pane dying: failed, status 3, final screen kept.
    let crasher = rig.wait_for(Duration::from_secs(15), "crasher to fail", || {
        let a = rig.agent("crasher");
        (a["state"] == "failed").then_some(a)
    });
    assert_eq!(crasher["exit_status"], 3);
    assert_eq!(crasher["activity"], "exited");
    let exit = rig
        .events("crasher")
        .into_iter()
        .find(|e| e["kind"] == "exit")
        .expect("exit event");
    assert_eq!(exit["has_capture"], true, "{exit}");
    assert!(
        exit["detail"].as_str().unwrap().contains("status 3"),
        "{exit}"
    );

    // The silent agent walks nudge → warn → kill; so does the one whose spinner animates
    // over a hung stream.
    for name in ["mute", "spinner"] {
        rig.wait_for(
            Duration::from_secs(25),
            &format!("{name} to be killed"),
            || (rig.agent(name)["state"] == "killed").then_some(()),
        );
        let kinds = rig.event_kinds(name);
        assert!(
            kinds_contain(&kinds, &["start", "nudge", "warn", "kill"]),
            "{name}: {kinds:?}"
        );
        assert_eq!(
            kinds.iter().filter(|k| *k == "nudge").count(),
            1,
            "{name}: {kinds:?}"
        );
        assert_eq!(rig.agent(name)["tier"], "kill");
    }
    // The nudge typed the fleet's nudge message into the silent pane (checked in its
    // death snapshot via the kill event having a capture).
    let kill = rig
        .events("mute")
        .into_iter()
        .find(|e| e["kind"] == "kill")
        .unwrap();
    assert_eq!(kill["has_capture"], true);

    // Meanwhile the steady worker never left ok.
    let worker = rig.agent("worker");
    assert_eq!(worker["state"], "running", "{worker}");
    assert_eq!(worker["tier"], "ok", "{worker}");
    assert!(!rig.event_kinds("worker").iter().any(|k| k == "nudge"));
    assert_eq!(rig.agent("spinner")["parent"], "worker");

    // Retry makes attempt 2 of the crashed agent; attempt 1 stays in history.
    let out = rig.ok(&["retry", "crasher"]);
    assert!(out.contains("attempt 2"), "{out}");
    rig.wait_for(Duration::from_secs(10), "crasher attempt 2 to fail", || {
        let a = rig.agent("crasher");
        (a["attempt"] == 2 && a["state"] == "failed").then_some(())
    });

    // Cancel is graceful: interrupt first, then the kill after the grace period.
    let out = rig.ok(&["cancel", "worker"]);
    assert!(out.contains("C-c") || out.contains("Escape"), "{out}");
    rig.wait_for(Duration::from_secs(20), "worker to be cancelled", || {
        (rig.agent("worker")["state"] == "cancelled").then_some(())
    });
}

#[test]
fn a_supervisor_killed_with_sigkill_resumes_without_relaunching_or_renudging() {
    let agents = r#"
[[agent]]
name = "mute"
cmd = "{sim} silent"
# Frozen at its prompt: a stall only with on_idle = "nudge".
on_idle = "nudge"
kind = "claude"
"#;
    // Kill comes a whole stall timeout after warn: time for the checks in between.
    let mut rig = Rig::new("stall_timeout = \"5s\"\npoll_interval = \"250ms\"", agents);
    let pid = rig.supervise();
    rig.wait_for(Duration::from_secs(15), "the nudge", || {
        rig.event_kinds("mute")
            .iter()
            .any(|k| k == "nudge")
            .then_some(())
    });
    let before = rig.agent("mute");
    let panes_before = rig.pane_ids();
    rig.kill_supervisor(pid, libc::SIGKILL);

    rig.supervise();
    // The restarted supervisor has ticked: nothing was relaunched. (Checked now, well
    // before the kill tier at 3× removes the pane.)
    rig.wait_ticks(3);
    assert_eq!(rig.pane_ids(), panes_before, "no new pane");
    // The warn comes at 2× the stall timeout from the recorded progress, not from restart.
    rig.wait_for(Duration::from_secs(20), "the warn after restart", || {
        rig.event_kinds("mute")
            .iter()
            .any(|k| k == "warn")
            .then_some(())
    });
    let after = rig.agent("mute");
    assert_eq!(after["attempt"], before["attempt"], "no relaunch");
    assert_eq!(after["pane"], before["pane"], "same pane");
    let kinds = rig.event_kinds("mute");
    assert_eq!(
        kinds.iter().filter(|k| *k == "nudge").count(),
        1,
        "no repeat nudge: {kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| *k == "start").count(),
        1,
        "{kinds:?}"
    );
}

#[test]
fn without_a_supervisor_the_cli_acts_itself_and_down_stops_everything() {
    let agents = r#"
[[agent]]
name = "one"
cmd = "{sim} work"
kind = "claude"

[[agent]]
name = "two"
cmd = "{sim} silent"
# Frozen at its prompt: a stall only with on_idle = "nudge".
on_idle = "nudge"
kind = "claude"
"#;
    let rig = Rig::new("stall_timeout = \"1h\"", agents);
    let out = rig.ok(&["up", "--no-console"]);
    assert!(out.contains("one: started attempt 1"), "{out}");
    let one = rig.agent("one");
    for field in [
        "name",
        "parent",
        "kind",
        "state",
        "activity",
        "tier",
        "since_progress_s",
        "attempt",
        "pane",
        "exit_status",
    ] {
        assert!(one.get(field).is_some(), "status --json lacks {field}");
    }
    let again = rig.ok(&["up", "--no-console"]);
    assert!(
        again.contains("nothing to start"),
        "up is idempotent: {again}"
    );
    assert_eq!(rig.pane_ids().len(), 3, "keeper window + two agents");

    assert_eq!(rig.agent("two")["state"], "running");
    // The working agent shows what is typed into it; shell-special text arrives literally.
    let pane = rig.agent("one")["pane"].as_str().unwrap().to_string();
    let out = rig.ok(&["send", "one", "hello; $HOME 'quoted' #not-a-comment"]);
    assert!(out.contains("typed a line into one"), "{out}");
    rig.wait_for(Duration::from_secs(5), "the typed text", || {
        rig.capture(&pane)
            .contains("hello; $HOME 'quoted' #not-a-comment")
            .then_some(())
    });
    let e = rig.shoal(&["nudge", "nobody"]);
    assert!(!e.status.success());
    let err = String::from_utf8_lossy(&e.stderr);
    assert!(
        err.contains("no agent named \"nobody\"") && err.contains("one, two"),
        "{err}"
    );

    let out = rig.ok(&["down"]);
    assert!(
        out.contains("one: killed") && out.contains("two: killed"),
        "{out}"
    );
    assert!(rig.pane_ids().is_empty(), "server gone");
    assert_eq!(rig.agent("one")["state"], "killed");
}

#[test]
fn a_bad_fleet_file_is_reported_before_anything_starts() {
    let rig = Rig::new(
        "",
        "[[agent]]\nname = \"a\"\ncmd = \"true\"\nparent = \"ghost\"\n",
    );
    let out = rig.shoal(&["up", "--no-console"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("shoal.toml:8:10") && err.contains("parent \"ghost\" names no agent"),
        "{err}"
    );
    assert!(rig.pane_ids().is_empty(), "no tmux server was started");
}

#[test]
fn an_agent_idle_at_its_prompt_is_announced_never_nudged_while_a_frozen_one_is_killed() {
    // Both show the same frozen prompt; only the one that asks for it is a stall. The
    // control's kill at 3× the timeout proves the ladder ran meanwhile.
    let mut rig = Rig::new(
        "stall_timeout = \"1s\"\npoll_interval = \"250ms\"",
        r#"
[[agent]]
name = "waiter"
cmd = "{sim} silent"
kind = "claude"

[[agent]]
name = "control"
cmd = "{sim} silent"
kind = "claude"
on_idle = "nudge"
"#,
    );
    rig.supervise();
    rig.wait_for(Duration::from_secs(25), "the control to be killed", || {
        (rig.agent("control")["state"] == "killed").then_some(())
    });
    let kinds = rig.event_kinds("waiter");
    assert!(
        kinds
            .iter()
            .all(|k| !["nudge", "warn", "kill"].contains(&k.as_str())),
        "an idle agent was chased: {kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| *k == "idle").count(),
        1,
        "the wait for work is announced once: {kinds:?}"
    );
    let waiter = rig.agent("waiter");
    assert_eq!(waiter["state"], "running", "{waiter}");
    assert_eq!(waiter["tier"], "ok", "{waiter}");
    assert_eq!(waiter["activity"], "idle", "{waiter}");
}
