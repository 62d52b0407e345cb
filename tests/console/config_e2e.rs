//! The real console in a tmux pane while its config and fleet file are edited: a bad
//! edit is shown with file and line until fixed, a new agent in the fleet file is
//! offered and started, and the `:` command line answers.

use crate::common::{Terminal, SHOAL};
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
fn the_console_follows_config_and_fleet_file_edits() {
    let term = Terminal::new("cfg");
    let dir = term.dir();
    let config_dir = term.config_dir();
    std::fs::create_dir_all(&config_dir).unwrap();
    let config = config_dir.join("config.toml");
    std::fs::write(&config, "theme = \"dark\"\n").unwrap();
    let fleet = dir.join("shoal.toml");
    let agent = |name: &str| {
        format!("[[agent]]\nname = \"{name}\"\ncmd = \"{SHOAL} sim-agent work --every 1s\"\n")
    };
    let text = format!(
        "[fleet]\nname = \"{}\"\nstall_timeout = \"5m\"\n\n{}",
        term.fleet(),
        agent("alpha")
    );
    std::fs::write(&fleet, &text).unwrap();
    term.open(&["-f", &fleet.display().to_string()]);
    term.wait_screen("alpha at work", Duration::from_secs(20), |s| {
        row(s, "alpha").contains("working")
    });

    // A typo in the config: shown with file, line and column, until fixed.
    std::fs::write(&config, "theme = \"dark\"\npol_interval = \"1s\"\n").unwrap();
    let s = term.wait_screen("the config problem", Duration::from_secs(5), |s| {
        s.contains("config.toml:2:1: unknown key `pol_interval`")
    });
    assert!(s.contains("did you mean `poll_interval`?"), "{s}");
    assert!(
        row(&s, "alpha").contains("working"),
        "the console kept running:\n{s}"
    );
    std::fs::write(&config, "theme = \"light\"\npoll_interval = \"1s\"\n").unwrap();
    term.wait_screen("the problem gone", Duration::from_secs(5), |s| {
        !s.contains("pol_interval")
    });

    // A new agent in the fleet file is offered, and S starts it.
    std::fs::write(&fleet, format!("{text}\n{}", agent("beta"))).unwrap();
    term.wait_screen("the offer", Duration::from_secs(5), |s| {
        s.contains("new in the fleet file: beta — S starts them")
    });
    assert!(
        row(&term.screen(), "beta").is_empty(),
        "not started before asked"
    );
    term.keys(&["S"]);
    term.wait_screen("beta at work", Duration::from_secs(20), |s| {
        row(s, "beta").contains("working")
    });

    // The command line: completion and a clear answer to a mistake.
    term.keys(&[":", "appr", "Tab"]);
    term.wait_screen("completed command", Duration::from_secs(5), |s| {
        s.contains(":approve █")
    });
    term.keys(&["C-u", "aprove alpha", "Enter"]);
    term.wait_screen("the suggestion", Duration::from_secs(5), |s| {
        s.contains("unknown command \"aprove\"; did you mean approve?")
    });
    term.keys(&["q"]);
    term.wait_screen("the console gone", Duration::from_secs(10), |s| {
        !s.contains("shoal ·")
    });
}
