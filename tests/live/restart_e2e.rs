//! Restart policy and circuit breaker against real tmux on a private socket, through the
//! real binary: a crash-looping agent gets exactly its restarts and then stays failed
//! with the limit note; a stall-ladder kill restarts, an operator's kill does not; a
//! kind whose agents all die at start with an auth failure opens its circuit, holds
//! every start of that kind (across a supervisor restart too) while other kinds go on,
//! and closes after the cool-down once a start survives, or at `shoal circuit reset`.

use crate::common::Rig;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

fn count(kinds: &[String], want: &str) -> usize {
    kinds.iter().filter(|k| *k == want).count()
}

fn attempt(rig: &Rig, name: &str) -> u64 {
    rig.agent(name)["attempt"].as_u64().unwrap_or(0)
}

/// Fleet-wide events (circuits), oldest first.
fn fleet_events(rig: &Rig) -> Vec<Value> {
    let out = rig.ok(&["events", "--json"]);
    serde_json::from_str::<Value>(&out)
        .expect("json")
        .as_array()
        .cloned()
        .expect("array")
        .into_iter()
        .filter(|e| e["agent"].is_null())
        .collect()
}

fn circuit_details(rig: &Rig) -> Vec<String> {
    fleet_events(rig)
        .iter()
        .filter(|e| e["kind"] == "circuit")
        .map(|e| e["detail"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn a_crash_loop_gets_exactly_its_restarts_then_stays_failed_with_the_limit_note() {
    // The breaker is off here so that only the restart limit is at work.
    let mut rig = Rig::new(
        "poll_interval = \"250ms\"\nstall_timeout = \"1s\"\ncircuit_failures = 0",
        r#"
[[agent]]
name = "crash"
cmd = "bash -c 'exit 1'"
restart = "on-failure"
restart_delay = "200ms"
max_restarts = 3
restart_window = "1m"

[[agent]]
name = "mute"
cmd = "{sim} silent"
kind = "claude"
on_idle = "nudge"
restart = "on-failure"
restart_delay = "200ms"
max_restarts = 1

[[agent]]
name = "sleeper"
cmd = "sleep 600"
stall_timeout = "1h"
restart = "always"
restart_delay = "200ms"
"#,
    );
    rig.supervise();

    let crash = rig.wait_for(Duration::from_secs(40), "crash to reach its limit", || {
        let a = rig.agent("crash");
        a["note"]
            .as_str()
            .is_some_and(|n| n.contains("restart limit"))
            .then_some(a)
    });
    assert_eq!(crash["state"], "failed", "{crash}");
    assert_eq!(crash["attempt"], 4, "one start and three restarts: {crash}");
    assert_eq!(crash["note"], "restart limit (3 in 1m)", "{crash}");
    let events = rig.events("crash");
    let restarts: Vec<&str> = events
        .iter()
        .filter(|e| e["kind"] == "restart")
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(restarts.len(), 4, "{restarts:?}");
    for (n, d) in restarts[..3].iter().enumerate() {
        assert!(d.starts_with(&format!("restart {}/3 in ", n + 1)), "{d}");
    }
    assert!(
        restarts[3].starts_with("restart limit (3 in 1m): not restarted"),
        "{}",
        restarts[3]
    );
    assert_eq!(count(&rig.event_kinds("crash"), "start"), 4);

    // A stall-ladder kill is a failure: the silent agent is killed, then restarted once.
    rig.wait_for(Duration::from_secs(30), "mute to be restarted", || {
        (attempt(&rig, "mute") >= 2).then_some(())
    });
    let kinds = rig.event_kinds("mute");
    let kill = kinds.iter().position(|k| k == "kill").expect("ladder kill");
    assert!(
        kinds[kill..].iter().any(|k| k == "restart"),
        "restart after the kill: {kinds:?}"
    );

    // The operator's kill is never restarted, whatever the policy says.
    rig.wait_for(Duration::from_secs(15), "sleeper to run", || {
        (rig.agent("sleeper")["state"] == "running").then_some(())
    });
    rig.ok(&["kill", "sleeper"]);
    rig.wait_for(Duration::from_secs(10), "sleeper to be killed", || {
        (rig.agent("sleeper")["state"] == "killed").then_some(())
    });
    // Well past the restart delay: still attempt 1, no restart event, and the crash
    // loop still at 4 attempts.
    std::thread::sleep(Duration::from_secs(3));
    let sleeper = rig.agent("sleeper");
    assert_eq!(sleeper["attempt"], 1, "{sleeper}");
    assert_eq!(sleeper["state"], "killed", "{sleeper}");
    assert_eq!(count(&rig.event_kinds("sleeper"), "restart"), 0);
    assert_eq!(attempt(&rig, "crash"), 4);
}

/// An agent that dies at once on an auth failure, until `ok` exists; then it runs.
fn auth_agent(name: &str, ok: &Path) -> String {
    format!(
        r#"
[[agent]]
name = "{name}"
kind = "claude"
cmd = "bash -c 'if [ -e {ok} ]; then exec sleep 600; fi; echo \"⎿  Invalid API key · Fix external API key\"; sleep 0.6; exit 1'"
restart = "on-failure"
restart_delay = "300ms"
max_restarts = 100
"#,
        ok = ok.display()
    )
}

#[test]
fn auth_failures_at_start_open_the_kind_circuit_which_holds_only_that_kind_and_closes_after_the_cooldown(
) {
    let marker = tempfile::tempdir().unwrap();
    let ok = marker.path().join("key-fixed");
    let agents = format!(
        "{}{}{}{}",
        auth_agent("c1", &ok),
        auth_agent("c2", &ok),
        auth_agent("c3", &ok),
        r#"
[[agent]]
name = "other"
kind = "shell"
cmd = "bash -c 'sleep 0.5; exit 0'"
restart = "always"
restart_delay = "300ms"
restart_delay_max = "1s"
max_restarts = 100
"#
    );
    let mut rig = Rig::new(
        "poll_interval = \"250ms\"\nrapid_death = \"8s\"\ncircuit_failures = 3\ncircuit_window = \"1m\"\ncircuit_cooldown = \"30s\"",
        &agents,
    );
    let sup = rig.supervise();

    rig.wait_for(
        Duration::from_secs(60),
        "the claude circuit to open",
        || {
            circuit_details(&rig)
                .iter()
                .any(|d| d.starts_with("claude: circuit open after 3 rapid failures"))
                .then_some(())
        },
    );
    let rapid: usize = ["c1", "c2", "c3"]
        .iter()
        .map(|n| count(&rig.event_kinds(n), "rapid"))
        .sum();
    assert!(rapid >= 3, "three rapid failures opened it: {rapid}");
    let listed = rig.ok(&["circuit"]);
    assert!(
        listed.contains("claude: circuit open, retry in"),
        "{listed}"
    );

    // The circuit is kept in the store: a supervisor killed and started again holds it.
    rig.kill_supervisor(sup, libc::SIGKILL);
    rig.supervise();

    // While open, no claude agent starts (queued ones included) and the other kind
    // goes on restarting; the event times below prove it whatever the machine's load.
    rig.ok(&["spawn", "c4", "--kind", "claude", "--", "sleep 600"]);
    std::thread::sleep(Duration::from_secs(4));
    let c4 = rig.agent("c4");
    assert_eq!(c4["state"], "queued", "{c4}");
    assert!(
        c4["note"]
            .as_str()
            .unwrap()
            .starts_with("claude: circuit open, retry in"),
        "{c4}"
    );
    let waiting = ["c1", "c2", "c3"]
        .iter()
        .map(|n| rig.agent(n))
        .find(|a| a["note"].as_str().unwrap_or("").contains("circuit open"));
    assert!(waiting.is_some(), "a failed claude agent says why it waits");

    // The operator fixes the key; after the cool-down one start goes through, lives
    // past rapid death, and closes the circuit; then every claude agent starts.
    std::fs::write(&ok, "").unwrap();
    rig.wait_for(Duration::from_secs(90), "the circuit to close", || {
        circuit_details(&rig)
            .iter()
            .any(|d| d == "claude: circuit closed; the start let through survived")
            .then_some(())
    });
    for name in ["c1", "c2", "c3", "c4"] {
        rig.wait_for(Duration::from_secs(40), &format!("{name} to run"), || {
            (rig.agent(name)["state"] == "running").then_some(())
        });
    }
    let details = circuit_details(&rig);
    let opened = details
        .iter()
        .position(|d| d.contains("circuit open after"));
    let half = details.iter().position(|d| d.contains("half-open"));
    let closed = details.iter().position(|d| d.contains("circuit closed"));
    assert!(
        opened < half && half < closed && opened.is_some(),
        "open → half-open → closed: {details:?}"
    );
    assert!(!rig.ok(&["circuit"]).contains("open"));
    // Between the first opening and the first half-open, no claude agent started and
    // the shell agent kept restarting.
    let circuit_ts = |word: &str| {
        fleet_events(&rig)
            .iter()
            .find(|e| e["kind"] == "circuit" && e["detail"].as_str().unwrap().contains(word))
            .and_then(|e| e["ts_ms"].as_i64())
            .unwrap()
    };
    let (open_ts, half_ts) = (circuit_ts("circuit open after"), circuit_ts("half-open"));
    assert!(
        half_ts - open_ts >= 30_000,
        "the cool-down: {open_ts} → {half_ts}"
    );
    let starts_between = |name: &str| {
        rig.events(name)
            .iter()
            .filter(|e| e["kind"] == "start")
            .filter_map(|e| e["ts_ms"].as_i64())
            .filter(|&t| t > open_ts && t < half_ts)
            .count()
    };
    for name in ["c1", "c2", "c3", "c4"] {
        assert_eq!(starts_between(name), 0, "{name} started while open");
    }
    assert!(
        starts_between("other") >= 2,
        "the shell agent kept restarting: {}",
        starts_between("other")
    );
}

#[test]
fn shoal_circuit_reset_closes_an_open_circuit_at_once() {
    let marker = tempfile::tempdir().unwrap();
    let ok = marker.path().join("key-fixed");
    let agents = format!("{}{}", auth_agent("c1", &ok), auth_agent("c2", &ok));
    let mut rig = Rig::new(
        "poll_interval = \"250ms\"\nrapid_death = \"5s\"\ncircuit_failures = 2\ncircuit_cooldown = \"1h\"",
        &agents,
    );
    rig.supervise();
    rig.wait_for(Duration::from_secs(30), "the circuit to open", || {
        rig.ok(&["circuit"])
            .contains("claude: circuit open, retry in 1h")
            .then_some(())
    });
    let bad = rig.shoal(&["circuit", "reset", "codex"]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("\"codex\"") && err.contains("claude"), "{err}");

    std::fs::write(&ok, "").unwrap();
    let out = rig.ok(&["circuit", "reset", "claude"]);
    assert!(out.contains("claude: circuit closed"), "{out}");
    for name in ["c1", "c2"] {
        rig.wait_for(Duration::from_secs(20), &format!("{name} to run"), || {
            (rig.agent(name)["state"] == "running").then_some(())
        });
    }
    assert!(circuit_details(&rig)
        .iter()
        .any(|d| d == "claude: circuit closed by operator"));
}

#[test]
fn a_resumable_claude_restarts_into_its_session_and_retry_fresh_starts_a_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let args = dir.path().join("args");
    // A claude stand-in that notes the arguments shoal appended, then waits for its task
    // at the idle prompt, works for a second and crashes.
    let agents = format!(
        r#"
[[agent]]
name = "r"
kind = "claude"
cmd = "bash -c 'echo \"$*\" >> {args}; exec {{sim}} crash --wait-task --after 1s' claude"
task = "fix the parser"
resume = true
restart = "on-failure"
restart_delay = "300ms"
"#,
        args = args.display()
    );
    let mut rig = Rig::new("poll_interval = \"250ms\"\ncircuit_failures = 0", &agents);
    rig.supervise();
    rig.wait_for(Duration::from_secs(40), "r to run attempt 2", || {
        let a = rig.agent("r");
        (a["attempt"] == 2 && a["state"] == "running").then_some(())
    });
    let lines = std::fs::read_to_string(&args).unwrap();
    let lines: Vec<&str> = lines.lines().collect();
    let id = lines[0]
        .strip_prefix("--session-id ")
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert_eq!(id.len(), 36, "{id}");
    assert_eq!(lines[1], format!("--resume {id}"));
    std::thread::sleep(Duration::from_secs(2));
    let kinds = rig.event_kinds("r");
    assert_eq!(
        count(&kinds, "task"),
        1,
        "the resumed session is not re-tasked: {kinds:?}"
    );
    assert!(rig
        .events("r")
        .iter()
        .any(|e| e["detail"]
            == format!("resumed the CLI's session {id}; the task is not typed again")));

    rig.ok(&["kill", "r"]);
    rig.ok(&["retry", "--fresh", "r"]);
    rig.wait_for(Duration::from_secs(20), "the fresh start's task", || {
        (count(&rig.event_kinds("r"), "task") == 2).then_some(())
    });
    let lines = std::fs::read_to_string(&args).unwrap();
    let last = lines.lines().last().unwrap().to_string();
    let fresh = last
        .strip_prefix("--session-id ")
        .unwrap_or_else(|| panic!("{lines}"));
    assert_ne!(fresh, id);
}
