//! The log browser in the real console: `shoal demo` in a tmux pane on a private
//! socket, driven with send-keys and read with capture-pane.

use crate::common::Terminal;
use std::time::Duration;

#[test]
fn l_opens_the_selected_agents_log_and_it_searches_follows_and_goes_back() {
    let term = Terminal::demo();
    term.wait_screen("the fleet tree", Duration::from_secs(20), |s| {
        s.contains("builder") && s.contains("tester")
    });
    // Down to builder (lead is first), then its log once it has printed a few lines.
    term.keys(&["j"]);
    term.wait_screen("builder selected", Duration::from_secs(5), |s| {
        s.contains("┌ builder · claude")
    });
    // Its pane shows an edit followed by more output: those lines are in the log once
    // the supervisor has ticked over them.
    term.wait_screen("builder's first edit", Duration::from_secs(15), |s| {
        s.contains("Updated src/module_")
    });
    term.wait_ticks(2);
    term.keys(&["l"]);
    let s = term.wait_screen("builder's log", Duration::from_secs(10), |s| {
        s.contains("[agent:builder]") && s.contains("Read(src/module_")
    });
    assert!(s.contains("logs · page 1 · 1–"), "{s}");
    assert!(
        s.lines()
            .filter(|l| l.contains("output"))
            .all(|l| l.contains("builder")),
        "only builder's lines:\n{s}"
    );

    // A keyword narrows it; a malformed one is searched as text and says so.
    term.keys(&["/", "C-u"]);
    term.keys(&["-l", "agent:builder Update"]);
    term.keys(&["Enter"]);
    // The search runs on its own thread: its words show before its answer does.
    term.wait_screen("the keyword search", Duration::from_secs(10), |s| {
        let results: Vec<&str> = s.lines().filter(|l| l.contains(" output ")).collect();
        s.contains("[\"Update\"]")
            && !results.is_empty()
            && results.iter().all(|l| l.contains("Update"))
    });

    // Follow, as tail -f: new lines keep arriving at the bottom without a key.
    term.keys(&["f"]);
    let first = term.wait_screen("following", Duration::from_secs(5), |s| {
        s.contains("following · newest at the bottom")
    });
    let bottom = |s: &str| {
        s.lines()
            .rev()
            .find(|l| l.contains(" output "))
            .unwrap_or_default()
            .to_string()
    };
    let before = bottom(&first);
    let s = term.wait_screen("a newer line at the bottom", Duration::from_secs(15), |s| {
        !bottom(s).is_empty() && bottom(s) != before
    });
    // It is the last row of the results, right above the panel's bottom border.
    let rows: Vec<&str> = s.lines().collect();
    let at = rows.iter().rposition(|l| l.contains(" output ")).unwrap();
    assert!(
        !rows[at + 1].contains(" output ") && rows[at + 1].contains('└'),
        "{s}"
    );

    // Scrolling up pauses: the lines hold still while builder goes on printing.
    term.keys(&["Up"]);
    let paused = term.wait_screen("paused", Duration::from_secs(5), |s| {
        s.contains("paused · end resumes following")
    });
    term.wait_ticks(3);
    let still = term.screen();
    assert_eq!(
        bottom(&still),
        bottom(&paused),
        "paused lines move:\n{still}"
    );
    // End resumes, and newer lines come again.
    term.keys(&["End"]);
    term.wait_screen("following again", Duration::from_secs(5), |s| {
        s.contains("following · newest at the bottom")
    });
    let held = bottom(&paused);
    term.wait_screen("newer lines again", Duration::from_secs(15), |s| {
        !bottom(s).is_empty() && bottom(s) != held
    });

    // Esc goes back to the fleet; q quits the console as usual.
    term.keys(&["Escape"]);
    term.wait_screen("the fleet again", Duration::from_secs(5), |s| {
        !s.contains("logs · page") && s.contains("┌ builder · claude")
    });
}
