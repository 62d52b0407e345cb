//! What an agent printed reaches the log honestly on real panes: the last line before
//! the agent goes quiet is logged (also when its text has parts that look like a status
//! line, and also when the supervisor starts after the screen went still), and a flood
//! that scrolls past faster than shoal reads is said to be sampled, with when.

use crate::common::Rig;
use serde_json::Value;
use std::time::Duration;

/// (source, message) of every log entry about `agent`, oldest first.
fn entries(rig: &Rig, agent: &str) -> Vec<(String, String)> {
    let out = rig.ok(&["logs", "--json", "--agent", agent, "--limit", "10000"]);
    let page: Value = serde_json::from_str(&out).expect("logs --json");
    let mut v: Vec<(String, String)> = page["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["source"].as_str().unwrap_or("").to_string(),
                e["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    v.reverse();
    v
}

fn output(rig: &Rig, agent: &str) -> Vec<String> {
    entries(rig, agent)
        .into_iter()
        .filter(|(s, _)| s == "output")
        .map(|(_, m)| m.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

const BURST: &str = "sleep 2; for i in $(seq 1 399); do echo \"line $i of the burst\"; done; \
                     echo '● done: 400 lines in 3s'; exec sleep 1000";

fn burst_rig() -> Rig {
    let rig = Rig::new("", "");
    let script = rig.dir.path().join("burst.sh");
    std::fs::write(&script, BURST).unwrap();
    let text = std::fs::read_to_string(&rig.fleet).unwrap()
        + &format!(
            "\n[[agent]]\nname = \"b\"\ncmd = \"sh {}\"\n",
            script.display()
        );
    std::fs::write(&rig.fleet, text).unwrap();
    rig
}

fn assert_whole_burst(rig: &Rig) {
    let lines = rig.wait_for(
        Duration::from_secs(40),
        "the burst's last line in the log",
        || {
            let lines = output(rig, "b");
            lines
                .iter()
                .any(|l| l == "● done: 400 lines in 3s")
                .then_some(lines)
        },
    );
    for n in 1..=399 {
        let want = format!("line {n} of the burst");
        assert_eq!(
            lines.iter().filter(|l| **l == want).count(),
            1,
            "{want} logged once; log:\n{}",
            lines.join("\n")
        );
    }
    assert_eq!(
        lines.last().map(String::as_str),
        Some("● done: 400 lines in 3s")
    );
}

#[test]
fn the_last_line_of_a_burst_is_logged_once_the_agent_goes_quiet() {
    let mut rig = burst_rig();
    rig.supervise();
    assert_whole_burst(&rig);
}

#[test]
fn a_supervisor_started_on_a_still_screen_logs_what_it_shows() {
    let mut rig = burst_rig();
    rig.ok(&["up", "--no-console"]);
    rig.wait_for(Duration::from_secs(20), "the burst on screen", || {
        let pane = rig.pane_ids().into_iter().last()?;
        rig.capture(&pane).contains("● done").then_some(())
    });
    // `up` looked at the screen and stored its digest; the screen has not changed since.
    rig.ok(&["status"]);
    rig.supervise();
    rig.wait_for(
        Duration::from_secs(40),
        "the screen's lines in the log",
        || {
            let lines = output(&rig, "b");
            (lines.iter().any(|l| l == "line 399 of the burst")
                && lines.iter().any(|l| l == "● done: 400 lines in 3s"))
            .then_some(())
        },
    );
}

#[test]
fn a_flood_is_logged_as_sampled_with_when() {
    let mut rig = Rig::new(
        "",
        "[[agent]]\nname = \"f\"\ncmd = \"sleep 3; timeout 3 yes; echo flood over; exec sleep 1000\"\n",
    );
    rig.supervise();
    let note = rig.wait_for(Duration::from_secs(40), "a sampled note", || {
        entries(&rig, "f")
            .into_iter()
            .find(|(s, m)| s == "supervisor" && m.contains("output sampled"))
            .map(|(_, m)| m)
    });
    println!("{note}");
    assert!(note.contains("f printed faster than shoal reads"), "{note}");
    let at_least: u64 = note
        .split("at least ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in: {note}"));
    assert!(at_least > 1000, "{note}");
    // From HH:MM:SS to HH:MM:SS.
    let times: Vec<&str> = note
        .split_whitespace()
        .filter(|w| w.len() >= 8 && w.as_bytes()[2] == b':' && w.as_bytes()[5] == b':')
        .collect();
    assert_eq!(times.len(), 2, "{note}");
}
