//! The dead stay visible: the demo's crasher, in the real console in a terminal, keeps
//! its row with `!` long after it died, Tab reaches it, and its pane view shows its last
//! words instead of tmux's `Pane is dead` under a screenful of blank rows.

use crate::common::Terminal;
use std::time::{Duration, Instant};

/// The tree row of an agent: the left panel's part of the line holding its name.
fn row(screen: &str, agent: &str) -> String {
    screen
        .lines()
        .map(|l| l.chars().take(95).collect::<String>())
        .find(|l| l.contains(&format!(" {agent} ")))
        .unwrap_or_default()
}

#[test]
fn the_demos_crasher_stays_in_the_tree_with_its_error_and_tab_reaches_it() {
    let term = Terminal::demo();
    // The crasher exits with status 3 some 8 s after it starts.
    let s = term.wait_screen("the crasher's end", Duration::from_secs(60), |s| {
        row(s, "crasher").contains("failed")
    });
    let died = Instant::now();
    let r = row(&s, "crasher");
    assert!(
        r.starts_with("│!"),
        "a failed agent needs the operator:\n{s}"
    );

    // 15 s later it is still there, with its state, exit status and age.
    std::thread::sleep(Duration::from_secs(15).saturating_sub(died.elapsed()));
    let s = term.screen();
    let r = row(&s, "crasher");
    assert!(
        r.starts_with("│!") && r.contains("failed") && r.contains("exit 3 ·"),
        "15 s after it died:\n{s}"
    );

    // Tab cycles through the agents that need the operator and reaches it.
    let mut on_crasher = false;
    'tabs: for _ in 0..8 {
        term.keys(&["Tab"]);
        // A loaded machine may draw the move a while after the key.
        for _ in 0..6 {
            std::thread::sleep(Duration::from_millis(250));
            if term.screen().contains("┌ crasher · claude") {
                on_crasher = true;
                break 'tabs;
            }
        }
    }
    assert!(on_crasher, "Tab never selected crasher:\n{}", term.screen());
    let s = term.wait_screen("the crasher's last words", Duration::from_secs(10), |s| {
        s.contains("crashed on purpose")
    });
    assert!(
        !s.contains("Pane is dead"),
        "tmux's banner is not the news:\n{s}"
    );
    assert!(
        s.lines()
            .any(|l| l.contains("┌ crasher · claude #1 · failed · exit 3")),
        "the title says how it ended:\n{s}"
    );

    // The agent hanging behind a live spinner has shown no progress for over 10 s.
    assert!(
        row(&s, "hanger").contains("working (no progress)"),
        "the spinner is not progress:\n{s}"
    );

    // x dismisses it; the history still has it.
    term.keys(&["x"]);
    term.wait_screen("the crasher dismissed", Duration::from_secs(10), |s| {
        row(s, "crasher").is_empty()
    });
    term.keys(&["H"]);
    term.wait_screen("the crasher in the history", Duration::from_secs(10), |s| {
        !row(s, "crasher").is_empty()
    });
}
