//! New-line derivation over scripted screens, normalized as the supervisor does it.

use super::*;

const SETTLE: i64 = 2000;

/// Feed one screen at `now`; returns the lines logged.
fn feed(t: &mut LineTracker, screen: &str, now: i64) -> Vec<String> {
    let normalized = crate::profile::normalize(screen, &[]);
    let keys: Vec<&str> = normalized.split('\n').collect();
    t.update(screen, &keys, now)
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}

#[test]
fn a_growing_shell_screen_logs_each_line_once_in_order() {
    let mut t = LineTracker::new();
    assert_eq!(feed(&mut t, "$ make\nbuilding a\n\n\n", 0), lines("$ make"));
    assert_eq!(
        feed(
            &mut t,
            "$ make\nbuilding a\nbuilding b\nbuilding c\n\n",
            100
        ),
        lines("building a\nbuilding b")
    );
    // Nothing new: nothing logged, however often the screen is seen.
    assert!(feed(&mut t, "$ make\nbuilding a\nbuilding b\nbuilding c\n", 200).is_empty());
    assert_eq!(t.finish(), lines("building c"));
    assert!(t.finish().is_empty(), "finish logs a row once");
}

#[test]
fn scrolling_logs_only_the_rows_that_scrolled_in() {
    let mut t = LineTracker::new();
    let screen = |from: u32| {
        (from..from + 5)
            .map(|n| format!("line {n}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(feed(&mut t, &screen(1), 0).len(), 4);
    assert_eq!(feed(&mut t, &screen(3), 10), lines("line 5\nline 6"));
    assert_eq!(feed(&mut t, &screen(4), 20), lines("line 7"));
    // A scroll of more than a screen between two captures: the rows shown are new, the
    // ones that scrolled past unseen are lost.
    assert_eq!(
        feed(&mut t, &screen(20), 30),
        lines("line 8\nline 20\nline 21\nline 22\nline 23")
    );
}

#[test]
fn a_spinner_on_the_last_line_is_never_a_new_line() {
    let mut t = LineTracker::new();
    let frames = ["⠋", "⠙", "⠹", "⠸", "⠼"];
    let mut logged = Vec::new();
    for (n, f) in frames.iter().enumerate() {
        let screen = format!("result: ok\n{f} Waiting for the model ({n}s)\n");
        logged.extend(feed(&mut t, &screen, n as i64 * 1000));
        logged.extend(t.settle(n as i64 * 1000, SETTLE));
    }
    logged.extend(t.settle(60_000, SETTLE));
    assert_eq!(logged, lines("result: ok"));
    // The spinner never becomes a line, even when the pane ends on it.
    assert!(t.finish().is_empty());
}

#[test]
fn a_spinner_frame_that_repeats_between_captures_still_never_settles() {
    let mut t = LineTracker::new();
    let screen = "result: ok\n✻ Doodling…\n";
    assert_eq!(feed(&mut t, screen, 0), lines("result: ok"));
    assert!(feed(&mut t, screen, 1000).is_empty());
    assert!(
        t.settle(30_000, SETTLE).is_empty(),
        "a glyph is masked: it may move"
    );
}

#[test]
fn a_steady_last_line_settles_after_a_while() {
    let mut t = LineTracker::new();
    assert!(feed(&mut t, "Compiling shoal\nFinished release", 0).len() == 1);
    assert!(t.settle(SETTLE - 1, SETTLE).is_empty());
    assert_eq!(t.settle(SETTLE, SETTLE), lines("Finished release"));
    assert!(t.settle(SETTLE * 5, SETTLE).is_empty());
    // Seen again unchanged, it is not logged again.
    assert!(feed(&mut t, "Compiling shoal\nFinished release", SETTLE * 6).is_empty());
}

#[test]
fn a_streamed_line_is_logged_once_complete() {
    let mut t = LineTracker::new();
    assert!(feed(&mut t, "Line 1: still", 0).is_empty());
    assert!(feed(&mut t, "Line 1: still thinking out", 10).is_empty());
    assert_eq!(
        feed(&mut t, "Line 1: still thinking out loud\nLine 2: so", 20),
        lines("Line 1: still thinking out loud")
    );
}

#[test]
fn repeated_identical_lines_are_counted() {
    let mut t = LineTracker::new();
    let mut logged = feed(&mut t, "ok\nok", 0);
    logged.extend(feed(&mut t, "ok\nok\nok", 10));
    logged.extend(feed(&mut t, "ok\nok\nok\nok", 20));
    logged.extend(t.finish());
    assert_eq!(logged, vec!["ok"; 4]);
}

/// A screen laid out like Claude Code: transcript, busy line, input box, footer.
fn claude(transcript: &[&str], busy: Option<&str>, input: &str, footer: &str) -> String {
    let rule = "─".repeat(40);
    let mut rows: Vec<String> = vec![
        " ▐▛███▜▌   Claude Code (shoal sim) v0.1.0".into(),
        String::new(),
    ];
    for t in transcript {
        rows.push(t.to_string());
        rows.push(String::new());
    }
    if let Some(b) = busy {
        rows.push(b.to_string());
        rows.push(String::new());
    }
    rows.extend([
        rule.clone(),
        format!("❯\u{a0}{input}"),
        rule,
        format!("  {footer}"),
    ]);
    rows.extend(std::iter::repeat_n(String::new(), 6));
    rows.join("\n")
}

#[test]
fn a_claude_screen_logs_its_transcript_not_its_chrome() {
    let mut t = LineTracker::new();
    let mut logged = Vec::new();
    let busy = |g: &str, s: u32| format!("{g} Percolating… ({s}s · ↓ {} tokens)", s * 20);
    logged.extend(feed(
        &mut t,
        &claude(&["❯ Fix the parser"], None, "", "? for shortcuts"),
        0,
    ));
    logged.extend(feed(
        &mut t,
        &claude(
            &["❯ Fix the parser"],
            Some(&busy("·", 1)),
            "",
            "esc to interrupt",
        ),
        1000,
    ));
    logged.extend(feed(
        &mut t,
        &claude(
            &["❯ Fix the parser", "● Read(src/parser.rs)"],
            Some(&busy("✢", 2)),
            "",
            "esc to interrupt",
        ),
        2000,
    ));
    // The operator types into the input box: chrome, not output.
    logged.extend(feed(
        &mut t,
        &claude(
            &[
                "❯ Fix the parser",
                "● Read(src/parser.rs)",
                "  ⎿  Read 120 lines",
            ],
            Some(&busy("✳", 3)),
            "also add te",
            "esc to interrupt",
        ),
        3000,
    ));
    logged.extend(t.settle(9000, SETTLE));
    logged.extend(feed(
        &mut t,
        &claude(
            &[
                "❯ Fix the parser",
                "● Read(src/parser.rs)",
                "  ⎿  Read 120 lines",
                "● Done: the parser handles empty input.",
                "✻ Brewed for 4s",
            ],
            None,
            "",
            "? for shortcuts",
        ),
        10_000,
    ));
    logged.extend(t.finish());
    assert_eq!(
        logged,
        lines(
            " ▐▛███▜▌   Claude Code (shoal sim) v0.1.0
❯ Fix the parser
● Read(src/parser.rs)
  ⎿  Read 120 lines
● Done: the parser handles empty input.
✻ Brewed for 4s"
        )
    );
}

#[test]
fn a_redraw_of_earlier_content_is_not_logged_again() {
    let mut t = LineTracker::new();
    let mut logged = feed(&mut t, "alpha one\nbeta two\ngamma three", 0);
    logged.extend(feed(&mut t, "delta four\nepsilon five", 10));
    // The agent redraws its whole history (a resize, a /clear and replay).
    logged.extend(feed(
        &mut t,
        "alpha one\nbeta two\ngamma three\ndelta four\nepsilon five\nzeta six",
        20,
    ));
    logged.extend(t.finish());
    assert_eq!(
        logged,
        lines("alpha one\nbeta two\ngamma three\ndelta four\nepsilon five\nzeta six")
    );
}

#[test]
fn rows_without_text_are_skipped() {
    let mut t = LineTracker::new();
    let logged = feed(&mut t, "│    │\n❯\nreal text\n   \n...\nmore", 0);
    assert_eq!(logged, lines("real text"));
    // A rule near the bottom starts the chrome: nothing under it is output yet.
    let mut t = LineTracker::new();
    let logged = feed(
        &mut t,
        "before\nabove\n────────────\n❯ typing\n────────────",
        0,
    );
    assert_eq!(logged, lines("before"));
}

#[test]
fn rule_like_output_far_from_the_bottom_is_logged() {
    let mut t = LineTracker::new();
    let mut screen: Vec<String> = vec!["summary".into(), "═".repeat(20)];
    screen.extend((1..=10).map(|n| format!("case {n} passed")));
    let logged = feed(&mut t, &screen.join("\n"), 0);
    assert_eq!(logged.first().map(String::as_str), Some("summary"));
    assert_eq!(logged.len(), 10, "{logged:?}"); // the last row waits
}
