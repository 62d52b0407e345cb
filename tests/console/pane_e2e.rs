//! The pane view beyond the live screen in the real console: a shell agent prints 3000
//! numbered rows, far more than its screen; PgUp pages back through all of them (the
//! console reads the pane's whole scrollback from tmux), the bottom border says where the
//! view is, `y` copies what is on screen, `f` finds a row, PgDn comes back to live.

use crate::common::Terminal;
use std::time::Duration;

/// The pane view's bottom border (the line under the pane panel, right of the tree).
fn pane_border(screen: &str) -> String {
    screen
        .lines()
        .find(|l| l.contains("└") && l.contains(" of 3000"))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn pgup_pages_through_the_whole_scrollback_and_y_copies_the_screen() {
    let term = Terminal::new("pane");
    let fleet = term.dir().join("shoal.toml");
    let text = format!(
        "[fleet]\nname = \"{}\"\nstall_timeout = \"10m\"\npoll_interval = \"500ms\"\n\n\
         [[agent]]\nname = \"printer\"\nkind = \"shell\"\n\
         cmd = \"bash -c 'seq -f \\\"row %04g\\\" 1 3000; sleep 600'\"\n",
        term.fleet()
    );
    std::fs::write(&fleet, text).unwrap();
    term.open(&["-f", &fleet.display().to_string()]);
    term.wait_screen("the last row live", Duration::from_secs(30), |s| {
        s.contains("row 3000") && s.contains("printer")
    });

    // Back a page: the whole scrollback is read, and the border says where the view is.
    term.keys(&["PageUp"]);
    let s = term.wait_screen("the scrollback", Duration::from_secs(15), |s| {
        pane_border(s).contains("lines ") && !s.contains("row 3000")
    });
    assert!(pane_border(&s).contains("pgdn: live"), "{s}");

    // Far enough back to reach the first row the agent printed, 3000 rows up.
    let ups = vec!["PageUp"; 250];
    term.keys(&ups);
    let s = term.wait_screen("the first row", Duration::from_secs(15), |s| {
        s.contains("row 0001") && pane_border(s).contains("lines 1–")
    });
    assert!(!s.contains("row 0500"), "the top of the scrollback:\n{s}");

    // y copies the lines on screen: into the data directory's clipboard.txt, and into
    // tmux's paste buffer (the console runs inside the test's own tmux server).
    term.keys(&["y"]);
    let s = term.wait_screen("the copy said", Duration::from_secs(10), |s| {
        s.contains("copied lines 1–")
    });
    assert!(s.contains("of 3000 of printer's pane"), "{s}");
    let file = term.home().join("clipboard.txt");
    let copied = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file:?}: {e}\n{s}"));
    assert!(copied.starts_with("row 0001\nrow 0002\n"), "{copied}");
    let rows = copied.lines().count();
    assert!((10..60).contains(&rows), "one screen of rows, not {rows}");
    assert_eq!(term.tmux(&["show-buffer"]), copied, "tmux's buffer");

    // f finds a row anywhere in the scrollback and shows it.
    term.keys(&["f"]);
    term.keys(&["-l", "row 1234"]);
    term.keys(&["Enter"]);
    let s = term.wait_screen("the match", Duration::from_secs(10), |s| {
        pane_border(s).contains("/row 1234 1/1")
    });
    assert!(s.contains("row 1234"), "{s}");
    term.keys(&["Escape"]);

    // PgDn all the way: live again, following the pane.
    let downs = vec!["PageDown"; 250];
    term.keys(&downs);
    term.wait_screen("live again", Duration::from_secs(15), |s| {
        s.contains("row 3000") && pane_border(s).is_empty()
    });
}
