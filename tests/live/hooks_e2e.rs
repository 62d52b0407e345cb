//! Agent-native signals end to end, on real tmux with the real binary: a stand-in CLI
//! (a bash script and a profile of its own) is launched with shoal's hook command,
//! fires it the way Claude Code does (the event's JSON on stdin), and sets its pane
//! title. A hook the screen bears out is acted on at once, long before the next poll; one
//! it contradicts changes nothing and is recorded as a disagreement; a hook run outside
//! any pane, or claiming to be another agent, records nothing for anyone else.

use crate::common::{Rig, SHOAL};
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Long enough that a needs-input seen within it was not the next poll's doing.
const POLL_S: u64 = 30;

const PROFILE: &str = r#"
name = "scripted"
description = "A stand-in CLI for the hook tests"

[recognize]
commands = ["scripted-cli"]

[keys]
approve = ["y", "Enter"]
deny = ["n", "Enter"]

[hooks]
args = ["--hook", "{hook}"]

[hooks.events]
PermissionRequest = "needs-input"
Stop = "idle"

[[title]]
regex = '^✋'
claim = "needs-input"

[[title]]
regex = '^✦'
claim = "working"

[[rules]]
name = "dialog"
region = "last-lines"
lines = 1
regex = 'Proceed\? \[y/n\]\z'
priority = 90
activity = "needs-input"

[[rules]]
name = "output"
region = "last-lines"
lines = 1
regex = '\S'
priority = 1
activity = "working"
"#;

/// Prints work, fires its hook (claiming to be agent `victim`, which the pane overrules)
/// and then shows the dialog (`agree`) or keeps working under a title that says it
/// needs input (`disagree`).
const SCRIPT: &str = r#"#!/bin/bash
mode=$1; shift
hook=
while [ $# -gt 0 ]; do case $1 in --hook) hook=$2; shift 2 ;; *) shift ;; esac; done
fire() {
  [ -n "$hook" ] || return 0
  printf '{"hook_event_name":"%s","session_id":"s1"}' "$1" | SHOAL_AGENT=victim sh -c "$hook $1"
  echo "hook exit $?" >> "$0.log"
}
title() { printf '\033]2;%s\033\\' "$1"; }
title "✦ Working (scripted)"
# The two modes fire seconds apart, so one's wake-up never looks at the other's pane.
n=8; [ "$mode" = agree ] || n=20
for i in $(seq "$n"); do echo "working $i"; sleep 0.4; done
case $mode in
agree)
  fire PermissionRequest
  printf 'Proceed? [y/n] '
  read -r answer
  echo "answered $answer"
  while :; do sleep 1; done ;;
*)
  title "✋ Action Required (scripted)"
  fire PermissionRequest
  i=9; while :; do echo "working $i"; i=$((i+1)); sleep 0.4; done ;;
esac
"#;

fn rig() -> Rig {
    let agents = r#"
[[agent]]
name = "asker"
kind = "scripted"
cmd = "bash '{script}' agree"

[[agent]]
name = "liar"
kind = "scripted"
cmd = "bash '{script}' disagree"

[[agent]]
name = "plain"
kind = "scripted"
cmd = "bash '{script}' agree"
hooks = false

[[agent]]
name = "victim"
kind = "shell"
cmd = "sleep 600"
"#;
    let rig = Rig::new(&format!("poll_interval = \"{POLL_S}s\""), agents);
    let script = rig.dir.path().join("scripted-cli");
    std::fs::write(&script, SCRIPT).expect("write script");
    let text = std::fs::read_to_string(&rig.fleet).expect("read fleet file");
    let text = text.replace("{script}", &script.display().to_string());
    std::fs::write(&rig.fleet, text).expect("write fleet file");
    let profiles = rig.dir.path().join("config/profiles");
    std::fs::create_dir_all(&profiles).expect("profiles dir");
    std::fs::write(profiles.join("scripted.toml"), PROFILE).expect("write profile");
    rig
}

fn hook_events(rig: &Rig, agent: &str) -> Vec<Value> {
    rig.events(agent)
        .into_iter()
        .filter(|e| e["kind"] == "hook")
        .collect()
}

fn start_command(rig: &Rig, pane: &str) -> String {
    let out = Command::new("tmux")
        .args([
            "-L",
            &rig.socket(),
            "-f",
            "/dev/null",
            "display-message",
            "-p",
            "-t",
            pane,
        ])
        .arg("#{pane_start_command}")
        .output()
        .expect("tmux display-message");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn hooks_are_recorded_for_their_own_agent_and_weighed_against_the_screen() {
    let mut rig = rig();
    rig.ok(&["up", "--no-console"]);
    rig.supervise();
    // The supervisor's first tick sees every agent working; the next poll is 30 s away.
    rig.wait_for(Duration::from_secs(20), "the agents working", || {
        ["asker", "liar", "plain"]
            .iter()
            .all(|n| rig.agent(n)["activity"] == "working")
            .then_some(())
    });

    // The launch carried the hook command, except where hooks = false.
    let pane = |n: &str| rig.agent(n)["pane"].as_str().unwrap_or("").to_string();
    let asker_cmd = start_command(&rig, &pane("asker"));
    assert!(
        asker_cmd.contains("--hook") && asker_cmd.contains(" hook --store "),
        "{asker_cmd}"
    );
    assert!(!start_command(&rig, &pane("plain")).contains("--hook"));

    // The dialog shows on the pane; the hook fired just before it made the supervisor
    // look at once, not at the next poll.
    let t0 = Instant::now();
    while !rig.capture(&pane("asker")).contains("Proceed? [y/n]") {
        assert!(t0.elapsed() < Duration::from_secs(20), "no dialog");
        std::thread::sleep(Duration::from_millis(50));
    }
    let shown = Instant::now();
    rig.wait_for(Duration::from_secs(10), "asker needs input", || {
        (rig.agent("asker")["activity"] == "needs-input").then_some(())
    });
    let latency = shown.elapsed();
    assert!(
        latency < Duration::from_secs(POLL_S / 3),
        "needs-input {latency:?} after the dialog, as late as a poll"
    );
    let events = rig.events("asker");
    let hook = events
        .iter()
        .find(|e| e["kind"] == "hook")
        .expect("the hook on record");
    assert_eq!(hook["detail"], "scripted hook PermissionRequest");
    assert_eq!(hook["attempt"], 1);
    let change = events
        .iter()
        .find(|e| e["kind"] == "activity" && e["detail"] == "working → needs-input")
        .expect("the change to needs-input");
    let rule = change["rule"].as_str().unwrap_or("");
    assert!(
        rule.contains("dialog") && rule.contains("signalled by hook PermissionRequest"),
        "{rule}"
    );

    // The other agent's hook and title said it needs input; its screen kept working.
    rig.wait_for(Duration::from_secs(20), "the disagreements", || {
        let details: Vec<String> = rig
            .events("liar")
            .iter()
            .filter(|e| e["kind"] == "disagree")
            .map(|e| e["detail"].as_str().unwrap_or("").to_string())
            .collect();
        (details
            .iter()
            .any(|d| d.starts_with("hook PermissionRequest said needs-input"))
            && details
                .iter()
                .any(|d| d.starts_with("title \"✋ Action Required (scripted)\" said needs-input")))
        .then_some(details)
    });
    let liar = rig.agent("liar");
    assert_eq!(liar["activity"], "working", "the screen wins");
    assert!(
        liar["reason"]
            .as_str()
            .unwrap_or("")
            .contains("said needs-input: the screen wins"),
        "{liar}"
    );
    assert!(
        !rig.events("liar")
            .iter()
            .any(|e| e["kind"] == "activity" && e["detail"] == "working → needs-input"),
        "nothing was done on the signals' word"
    );

    // SHOAL_AGENT=victim in the hook's environment changed nothing: the pane decides.
    assert!(hook_events(&rig, "victim").is_empty());
    assert!(hook_events(&rig, "plain").is_empty(), "hooks = false");

    // Run by the operator outside any pane, the hook records nothing (it is no agent's
    // event), prints nothing, and exits 0.
    let before: usize = ["asker", "liar", "plain", "victim"]
        .iter()
        .map(|n| hook_events(&rig, n).len())
        .sum();
    let mut child = Command::new(SHOAL)
        .args(["hook", "--store"])
        .arg(rig.db())
        .args(["scripted", "PermissionRequest"])
        .env_remove("SHOAL_AGENT")
        .env_remove("SHOAL_FLEET")
        .env_remove("TMUX")
        .env_remove("TMUX_PANE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run shoal hook");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"hook_event_name":"PermissionRequest"}"#)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let after: usize = ["asker", "liar", "plain", "victim"]
        .iter()
        .map(|n| hook_events(&rig, n).len())
        .sum();
    assert_eq!(after, before, "an operator's shell is no agent's pane");
}

#[test]
fn a_hook_without_a_store_exits_zero_at_once_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("gone.sqlite");
    let out = Command::new(SHOAL)
        .args(["hook", "--store"])
        .arg(&store)
        .args(["claude", "Stop"])
        .stdin(Stdio::null())
        .output()
        .expect("run shoal hook");
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert!(!store.exists());
    // Whatever the words, never the status 2 a CLI reads as "block".
    let out = Command::new(SHOAL)
        .args(["hook", "--bogus", "--store"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}
