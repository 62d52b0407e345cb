//! The log against real panes on a private tmux server, through the real binary: every
//! printed line once and in order (steady, fast, and under a spinner), `shoal logs`
//! filters, JSON and bad input, and `--follow`.

use crate::common::{Rig, SHOAL};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `shoal logs ARGS --json`, parsed.
fn logs(rig: &Rig, args: &[&str]) -> Value {
    let mut all = vec!["logs", "--json"];
    all.extend_from_slice(args);
    let out = rig.ok(&all);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("logs --json is not JSON ({e}): {out}"))
}

/// Messages of an agent's output lines, oldest first, whitespace runs folded.
fn output_lines(rig: &Rig, agent: &str) -> Vec<String> {
    let page = logs(
        rig,
        &["--agent", agent, "--source", "output", "--limit", "10000"],
    );
    let mut lines: Vec<String> = page["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| fold(e["message"].as_str().unwrap_or("")))
        .collect();
    lines.reverse();
    lines
}

fn fold(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The simulated agent's `work` transcript line number `n`, as the screen shows it.
fn work_line(n: u64) -> String {
    let module = 7 + n / 7;
    let file = format!("src/module_{module}.rs");
    let line = match n % 7 {
        0 => format!("● Read({file})"),
        1 => format!("⎿ Read {} lines", 60 + module * 13 % 90),
        2 => format!("● Update({file})"),
        3 => format!("⎿ Updated {file} with {} additions", 2 + module % 5),
        4 => format!("● Bash(cargo test module_{module})"),
        5 => format!("⎿ test result: ok. {} passed; 0 failed", 4 + module % 9),
        _ => format!(
            "● module_{module} passes; moving on to module_{}.",
            module + 1
        ),
    };
    fold(&line)
}

/// The logged lines that are work lines must be work lines 0, 1, 2, … in order, each
/// once. Returns how many there are.
fn assert_work_sequence(lines: &[String]) -> usize {
    let work: Vec<&String> = lines
        .iter()
        .filter(|l| {
            l.starts_with("● Read(")
                || l.starts_with("● Update(")
                || l.starts_with("● Bash(")
                || l.starts_with("⎿ ")
                || l.contains(" passes; moving on")
        })
        .collect();
    for (n, got) in work.iter().enumerate() {
        assert_eq!(
            **got,
            work_line(n as u64),
            "line {n} of the transcript; logged so far:\n{}",
            lines.join("\n")
        );
    }
    work.len()
}

#[test]
fn a_working_agent_s_lines_appear_once_each_in_order() {
    let mut rig = Rig::new(
        "poll_interval = \"250ms\"",
        r#"
[[agent]]
name = "worker"
cmd = "{sim} work --every 150ms"
kind = "claude"

[[agent]]
name = "quick"
cmd = "{sim} work --every 60ms"
kind = "claude"
parent = "worker"
"#,
    );
    rig.supervise();
    let n = rig.wait_for(Duration::from_secs(30), "40 work lines from worker", || {
        let n = assert_work_sequence(&output_lines(&rig, "worker"));
        (n >= 40).then_some(n)
    });
    assert!(n >= 40);
    // The fast one scrolls several lines per tick: still each once, in order, no gap.
    // (A screen redrawn in place keeps no scrollback: a tick late by more than a
    // screenful would lose lines, so it prints fast but within that.)
    let quick = assert_work_sequence(&output_lines(&rig, "quick"));
    assert!(quick > n, "quick logged {quick} lines, worker {n}");
    // The banner and the busy line: the banner once, the spinner line never.
    let lines = output_lines(&rig, "worker");
    let banner = lines
        .iter()
        .filter(|l| l.contains("Claude Code (shoal sim)"))
        .count();
    assert_eq!(banner, 1, "{lines:?}");
    assert!(
        !lines
            .iter()
            .any(|l| l.contains("esc to interrupt") || l.contains('…')),
        "{lines:?}"
    );
}

#[test]
fn a_spinner_over_a_hung_stream_logs_nothing_but_what_was_printed() {
    let mut rig = Rig::new(
        "poll_interval = \"200ms\"\nstall_timeout = \"1h\"",
        r#"
[[agent]]
name = "hung"
cmd = "{sim} spin-hang"
kind = "claude"
"#,
    );
    rig.supervise();
    rig.wait_for(Duration::from_secs(15), "the hung agent to be seen", || {
        let kinds = rig.event_kinds("hung");
        kinds.iter().any(|k| k == "activity").then_some(())
    });
    // Let the spinner turn for a while: many captures, each a new frame.
    rig.wait_ticks(15);
    let lines = output_lines(&rig, "hung");
    assert!(
        lines.iter().all(|l| !l.contains('…')),
        "a spinner frame was logged: {lines:?}"
    );
    let mut seen = std::collections::HashSet::new();
    for l in &lines {
        assert!(seen.insert(l), "{l:?} logged twice: {lines:?}");
    }
    assert!(
        lines.iter().any(|l| l.contains("Claude Code (shoal sim)")),
        "{lines:?}"
    );
}

#[test]
fn a_shell_printing_fast_is_logged_line_for_line() {
    let mut rig = Rig::new(
        "poll_interval = \"100ms\"",
        r#"
[[agent]]
name = "sh"
cmd = "for i in $(seq 1 300); do echo \"row $i of the build\"; sleep 0.01; done; sleep 60"
kind = "shell"
"#,
    );
    rig.supervise();
    let lines = rig.wait_for(Duration::from_secs(30), "300 rows", || {
        let lines = output_lines(&rig, "sh");
        lines
            .iter()
            .any(|l| l == "row 300 of the build")
            .then_some(lines)
    });
    let rows: Vec<&String> = lines.iter().filter(|l| l.starts_with("row ")).collect();
    let want: Vec<String> = (1..=300).map(|i| format!("row {i} of the build")).collect();
    assert_eq!(rows, want.iter().collect::<Vec<_>>());
}

#[test]
fn a_burst_of_many_screens_is_read_back_from_the_scrollback() {
    let mut rig = Rig::new(
        "poll_interval = \"300ms\"",
        r#"
[[agent]]
name = "burst"
cmd = "sleep 2; seq -f 'burst line %g' 1 900; sleep 60"
kind = "shell"
"#,
    );
    rig.supervise();
    let lines = rig.wait_for(Duration::from_secs(30), "the last burst line", || {
        let lines = output_lines(&rig, "burst");
        lines.iter().any(|l| l == "burst line 900").then_some(lines)
    });
    let rows: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("burst line"))
        .collect();
    let want: Vec<String> = (1..=900).map(|i| format!("burst line {i}")).collect();
    assert_eq!(
        rows,
        want.iter().collect::<Vec<_>>(),
        "18 screens in one tick"
    );
}

#[test]
fn the_cli_filters_counts_pages_and_explains_bad_input() {
    let mut rig = Rig::new(
        "poll_interval = \"200ms\"\nstall_timeout = \"2s\"",
        r#"
[[agent]]
name = "lead"
cmd = "{sim} work --every 100ms"
kind = "claude"

[[agent]]
name = "mute"
cmd = "{sim} silent"
# Frozen at its prompt: a stall only with on_idle = "nudge".
on_idle = "nudge"
kind = "claude"
parent = "lead"

[[agent]]
name = "solo"
cmd = "{sim} crash --after 500ms"
kind = "claude"
"#,
    );
    rig.supervise();
    rig.wait_for(
        Duration::from_secs(20),
        "mute nudged and solo failed",
        || {
            let nudged = rig.event_kinds("mute").iter().any(|k| k == "nudge");
            (nudged && rig.agent("solo")["state"] == "failed").then_some(())
        },
    );

    let page = logs(&rig, &["--limit", "5"]);
    let keys: Vec<&str> = page
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for k in ["count", "total_count", "entries", "next_before"] {
        assert!(keys.contains(&k), "{keys:?}");
    }
    assert_eq!(page["count"], 5);
    assert!(page["total_count"].as_u64().unwrap() > 5);
    let e = &page["entries"][0];
    for k in [
        "id", "time", "ts_ms", "agent", "attempt", "level", "source", "message",
    ] {
        assert!(e.get(k).is_some(), "entry lacks {k}: {e}");
    }
    let ids: Vec<i64> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    // The next page continues exactly where this one stopped.
    let before = page["next_before"].as_i64().unwrap().to_string();
    let next = logs(&rig, &["--limit", "5", "--before", &before]);
    assert!(next["entries"][0]["id"].as_i64().unwrap() < *ids.last().unwrap());

    // Filters combine: the subtree of lead at warn and above is mute's nudge (and
    // warn), nothing of solo's.
    let warn = logs(&rig, &["--agent", "lead", "--subtree", "--level", "warn"]);
    let entries = warn["entries"].as_array().unwrap();
    assert!(!entries.is_empty());
    assert_eq!(warn["count"].as_u64(), warn["total_count"].as_u64());
    for e in entries {
        assert_eq!(e["agent"], "mute", "{e}");
        assert!(e["level"] == "warn" || e["level"] == "error", "{e}");
    }
    assert!(entries
        .iter()
        .any(|e| e["message"].as_str().unwrap().starts_with("nudge: ")));
    let crash = logs(
        &rig,
        &["\"process exited\"", "--agent", "solo", "--source", "event"],
    );
    assert_eq!(crash["total_count"], 1, "{crash}");
    assert_eq!(crash["entries"][0]["level"], "error");
    assert!(crash["entries"][0]["capture_id"].is_i64(), "{crash}");
    let since = logs(&rig, &["--since", "1m", "--agent", "solo"]);
    let until = logs(&rig, &["--until", "1m", "--agent", "solo"]);
    assert!(since["total_count"].as_u64().unwrap() > 0);
    assert_eq!(
        until["total_count"], 0,
        "nothing of solo's is over a minute old"
    );

    // Bad input: clear messages, exit status 1.
    for (args, want) in [
        (
            vec!["logs", "--agent", "ghost"],
            "no agent named \"ghost\" in this fleet; agents: lead, mute, solo",
        ),
        (
            vec!["logs", "--since", "soon"],
            "since \"soon\" is not a time",
        ),
        (
            vec!["logs", "--since", "1h", "--until", "2h"],
            "is after until",
        ),
        (vec!["logs", "--level", "loud"], "unknown level \"loud\""),
        (
            vec!["logs", "--source", "stdout"],
            "unknown source \"stdout\"",
        ),
        (vec!["logs", "--limit", "0"], "limit 0 is out of range"),
    ] {
        let out = rig.shoal(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    // A malformed keyword query still searches, as plain text, and says so.
    let out = rig.shoal(&["logs", "--json", "cargo test module_7 AND ("]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not valid search syntax"), "{err}");
}

#[test]
fn follow_prints_new_entries_as_they_arrive() {
    let mut rig = Rig::new(
        "poll_interval = \"200ms\"",
        r#"
[[agent]]
name = "worker"
cmd = "{sim} work --every 200ms"
kind = "claude"
"#,
    );
    rig.supervise();
    let mut child = Command::new(SHOAL)
        .arg("-f")
        .arg(rig.fleet_path())
        .args(["logs", "--follow", "--agent", "worker", "--json"])
        .env("SHOAL_HOME", rig.home())
        .env("SHOAL_CONFIG", rig.dir.path().join("config"))
        .env_remove("TMUX")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn logs --follow");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let t0 = Instant::now();
    let mut ids = Vec::new();
    let mut work = 0;
    while t0.elapsed() < Duration::from_secs(20) && work < 15 {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(500)) {
            let e: Value = serde_json::from_str(&line).expect("one JSON entry per line");
            assert_eq!(e["agent"], "worker", "{e}");
            ids.push(e["id"].as_i64().unwrap());
            if e["message"].as_str().unwrap_or("").contains("module_") {
                work += 1;
            }
        }
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().expect("wait");
    assert!(work >= 15, "only {work} work lines followed");
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "oldest first, no repeats: {ids:?}"
    );
    assert!(status.success(), "{status:?}");
}
