//! Words that are true: a shell agent that printed a line and then went silent reads
//! `working` by its last line, and the console calls it `quiet` once its screen has stood
//! still past the quiet threshold (10 s here), long before the ladder's stall timeout.

use crate::common::Terminal;
use std::time::Duration;

/// The agent's row in the fleet tree (lines inside the tree panel's border).
fn row(screen: &str, agent: &str) -> String {
    screen
        .lines()
        .filter(|l| l.starts_with('│'))
        .map(|l| l.chars().take(95).collect::<String>())
        .find(|l| l.contains(&format!(" {agent} ")))
        .unwrap_or_default()
}

#[test]
fn a_silent_shell_agent_reads_quiet_within_the_threshold() {
    let term = Terminal::new("quiet");
    let fleet = term.dir().join("shoal.toml");
    let text = format!(
        "[fleet]\nname = \"{}\"\nstall_timeout = \"5m\"\npoll_interval = \"500ms\"\n\n\
         [[agent]]\nname = \"sleeper\"\nkind = \"shell\"\n\
         cmd = \"bash -c 'echo compiling the world; sleep 600'\"\n",
        term.fleet()
    );
    std::fs::write(&fleet, text).unwrap();
    term.open(&["-f", &fleet.display().to_string()]);
    term.wait_screen("sleeper on screen", Duration::from_secs(20), |s| {
        row(s, "sleeper").contains("running")
    });
    // Threshold 10 s after the last change, and a generous margin on a loaded machine.
    let s = term.wait_screen("sleeper quiet", Duration::from_secs(40), |s| {
        row(s, "sleeper").contains(" quiet ")
    });
    let r = row(&s, "sleeper");
    assert!(!r.contains("working"), "{r}");
    assert!(
        r.contains("nudge in"),
        "the ladder still counts down on it: {r}"
    );
}
