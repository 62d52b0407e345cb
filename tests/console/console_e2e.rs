//! The real binary running `shoal demo` inside a tmux pane on a private socket, driven
//! with send-keys and read with capture-pane, as an operator would use it.

use crate::common::Terminal;
use std::time::Duration;

/// The tree row of an agent: the left panel's part of the line holding its name.
fn row(screen: &str, agent: &str) -> String {
    screen
        .lines()
        .map(|l| l.chars().take(95).collect::<String>())
        .find(|l| l.contains(&format!(" {agent} ")))
        .unwrap_or_default()
}

#[test]
fn the_demo_console_shows_the_fleet_escalates_and_acts_from_the_keyboard() {
    let term = Terminal::demo();

    // The tree shows the demo agents under their parents.
    let s = term.wait_screen("the fleet tree", Duration::from_secs(20), |s| {
        [
            "lead", "builder", "tester", "reviewer", "hanger", "crasher", "limiter",
        ]
        .iter()
        .all(|a| !row(s, a).is_empty())
    });
    assert!(
        s.contains(&format!("shoal · {}", term.fleet())),
        "header names the fleet:\n{s}"
    );
    assert!(
        row(&s, "builder").contains("├─"),
        "builder nested under lead:\n{s}"
    );

    // The approval dialog is seen as needs-input.
    term.wait_screen("reviewer waiting", Duration::from_secs(20), |s| {
        row(s, "reviewer").contains("needs-input")
    });

    // Tab lands on agents that need the operator; cycle until the waiting one.
    let mut on_reviewer = false;
    for _ in 0..8 {
        term.keys(&["Tab"]);
        std::thread::sleep(Duration::from_millis(400));
        if term.screen().contains("┌ reviewer · claude") {
            on_reviewer = true;
            break;
        }
    }
    assert!(
        on_reviewer,
        "Tab never selected reviewer:\n{}",
        term.screen()
    );

    // `a` approves it and it goes back to work.
    term.keys(&["a"]);
    let s = term.wait_screen("reviewer back at work", Duration::from_secs(15), |s| {
        row(s, "reviewer").contains("working")
    });
    assert!(
        s.contains("sent Enter to reviewer"),
        "footer reports the action:\n{s}"
    );

    // The agent hanging behind a spinner reaches the nudge tier (demo stall timeout 20 s).
    term.wait_screen("hanger nudged", Duration::from_secs(45), |s| {
        let r = row(s, "hanger");
        r.contains("nudge ") && (r.contains("warn in") || r.contains("· warn"))
    });

    // `q` quits; every agent that was alive is still alive.
    term.keys(&["q"]);
    term.wait_screen("the quit question", Duration::from_secs(10), |s| {
        s.contains("Stop the demo fleet")
    });
    let windows = term.fleet_windows();
    for agent in ["lead", "builder", "tester", "reviewer", "hanger"] {
        assert!(
            windows.contains(&format!("{agent} 0")),
            "{agent} not alive after quit: {windows:?}"
        );
    }
    term.keys(&["Enter"]);
    term.wait_screen("the goodbye line", Duration::from_secs(10), |s| {
        s.contains("keeps running")
    });
}
