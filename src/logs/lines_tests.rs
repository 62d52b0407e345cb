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
    // A row is logged once a second capture confirms it, and the last row waits.
    assert!(feed(&mut t, "$ make\nbuilding a\n\n\n", 0).is_empty());
    let more = "$ make\nbuilding a\nbuilding b\nbuilding c\n\n";
    assert_eq!(feed(&mut t, more, 100), lines("$ make\nbuilding a"));
    assert_eq!(feed(&mut t, more, 200), lines("building b"));
    // Nothing new: nothing logged, however often the screen is seen.
    assert!(feed(&mut t, more, 300).is_empty());
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
    assert!(feed(&mut t, &screen(1), 0).is_empty());
    // Lines 1 and 2 scrolled off the top before a second capture: logged as they leave.
    assert_eq!(
        feed(&mut t, &screen(3), 10),
        lines("line 1\nline 2\nline 3\nline 4\nline 5")
    );
    assert_eq!(feed(&mut t, &screen(4), 20), lines("line 6\nline 7"));
    // A scroll of more than a screen between two captures: what was shown is logged as
    // it leaves; the rows that scrolled past unseen (9 to 19) are lost.
    assert_eq!(feed(&mut t, &screen(20), 30), lines("line 8"));
    assert_eq!(
        feed(&mut t, &screen(21), 40),
        lines("line 20\nline 21\nline 22\nline 23\nline 24")
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
    assert!(feed(&mut t, screen, 0).is_empty());
    assert_eq!(feed(&mut t, screen, 1000), lines("result: ok"));
    assert!(
        t.settle(30_000, SETTLE).is_empty(),
        "a glyph is masked: it may move"
    );
}

#[test]
fn a_still_screen_settles_after_a_while() {
    let mut t = LineTracker::new();
    let screen = "Compiling shoal\nFinished release";
    assert!(feed(&mut t, screen, 0).is_empty());
    assert!(t.settle(SETTLE - 1, SETTLE).is_empty());
    // A still screen is not captured again: its rows settle by time.
    assert_eq!(t.settle(SETTLE, SETTLE), lines(screen));
    assert!(t.settle(SETTLE * 5, SETTLE).is_empty());
    // Seen again unchanged, nothing is logged again.
    assert!(feed(&mut t, screen, SETTLE * 6).is_empty());
}

#[test]
fn a_streamed_line_is_logged_once_complete() {
    let mut t = LineTracker::new();
    assert!(feed(&mut t, "Line 1: still", 0).is_empty());
    assert!(feed(&mut t, "Line 1: still thinking out", 10).is_empty());
    assert!(feed(&mut t, "Line 1: still thinking out loud\nLine 2: so", 20).is_empty());
    assert_eq!(
        feed(
            &mut t,
            "Line 1: still thinking out loud\nLine 2: so far",
            30
        ),
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

#[test]
fn a_torn_capture_logs_no_garbage_and_no_repeat() {
    let mut t = LineTracker::new();
    let rows = |names: &[&str]| names.join("\n");
    let full = rows(&["r1", "r2", "r3", "r4", "r5", "r6"]);
    let mut logged = feed(&mut t, &full, 0);
    logged.extend(feed(&mut t, &full, 10));
    // Caught half-way through a scroll by one row: the top rows are the new frame's,
    // one row is torn, the rest still the old frame's.
    logged.extend(feed(
        &mut t,
        &rows(&["r2", "r3", "r5 torn r4", "r5", "r6"]),
        20,
    ));
    logged.extend(feed(
        &mut t,
        &rows(&["r2", "r3", "r4", "r5", "r6", "r7"]),
        30,
    ));
    logged.extend(t.finish());
    assert_eq!(logged, lines("r1\nr2\nr3\nr4\nr5\nr6\nr7"));
}

/// A screen laid out like Claude Code: transcript, busy line, input box, footer.
fn claude(transcript: &[&str], busy: Option<&str>, input: &str, footer: &str) -> String {
    let rule = "─".repeat(40);
    let mut rows: Vec<String> = vec![
        " ▐▛███▜▌   Claude Code (shoal sim) v0.1.0".into(),
        String::new(),
    ];
    for t in transcript {
        rows.push((*t).to_string());
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
    let task = "❯ Fix the parser";
    let read = "● Read(src/parser.rs)";
    let result = "  ⎿  Read 120 lines";
    let idle = "? for shortcuts";
    let busy_footer = "esc to interrupt";
    logged.extend(feed(&mut t, &claude(&[task], None, "", idle), 0));
    logged.extend(feed(
        &mut t,
        &claude(&[task], Some(&busy("·", 1)), "", busy_footer),
        1000,
    ));
    logged.extend(feed(
        &mut t,
        &claude(&[task, read], Some(&busy("✢", 2)), "", busy_footer),
        2000,
    ));
    // The operator types into the input box: chrome, not output.
    logged.extend(feed(
        &mut t,
        &claude(
            &[task, read, result],
            Some(&busy("✳", 3)),
            "also add te",
            busy_footer,
        ),
        3000,
    ));
    logged.extend(t.settle(9000, SETTLE));
    let done = "● Done: the parser handles empty input.";
    let summary = "✻ Brewed for 4s";
    logged.extend(feed(
        &mut t,
        &claude(&[task, read, result, done, summary], None, "", idle),
        10_000,
    ));
    logged.extend(t.finish());
    let want = [
        " ▐▛███▜▌   Claude Code (shoal sim) v0.1.0",
        task,
        read,
        result,
        done,
        summary,
    ];
    assert_eq!(logged, want);
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
    let screen = "│    │\n❯\nreal text\n   \n...\nmore";
    feed(&mut t, screen, 0);
    assert_eq!(feed(&mut t, screen, 10), lines("real text"));
    // A rule near the bottom starts the chrome: nothing under it is output yet.
    let mut t = LineTracker::new();
    let screen = "before\nabove\n────────────\n❯ typing\n────────────";
    feed(&mut t, screen, 0);
    assert_eq!(feed(&mut t, screen, 10), lines("before"));
}

#[test]
fn rule_like_output_far_from_the_bottom_is_logged() {
    let mut t = LineTracker::new();
    let mut screen: Vec<String> = vec!["summary".into(), "═".repeat(20)];
    screen.extend((1..=10).map(|n| format!("case {n} passed")));
    let screen = screen.join("\n");
    feed(&mut t, &screen, 0);
    let logged = feed(&mut t, &screen, 10);
    assert_eq!(logged.first().map(String::as_str), Some("summary"));
    assert_eq!(logged.len(), 10, "{logged:?}"); // the last row waits
}

#[test]
fn a_resumed_tracker_skips_what_was_logged_before() {
    // An earlier supervisor logged a, b and the first of two "ok" lines.
    let mut t = LineTracker::resuming(["a".to_string(), "b".to_string(), "ok".to_string()]);
    let screen = "a\nb\nok\nok\nc";
    let mut logged = feed(&mut t, screen, 0);
    logged.extend(feed(&mut t, &format!("{screen}\nd"), 10));
    logged.extend(t.finish());
    assert_eq!(logged, lines("ok\nc\nd"));
}

#[test]
fn the_last_line_before_a_quiet_screen_is_logged_though_it_has_masked_parts() {
    // A bullet, a count and a duration are masked, so the last row could be a live
    // status line; once the screen has been still for three settle periods it is not.
    for last in ["● module_64 passes; moving on.", "- done: 400 files in 12s"] {
        let mut t = LineTracker::new();
        let screen = format!("line 399 of the burst\n{last}\n");
        assert!(feed(&mut t, &screen, 0).is_empty());
        assert_eq!(t.settle(SETTLE, SETTLE), lines("line 399 of the burst"));
        assert!(t.settle(SETTLE * 3 - 1, SETTLE).is_empty(), "{last}");
        assert_eq!(t.settle(SETTLE * 3, SETTLE), lines(last));
        assert!(t.settle(SETTLE * 9, SETTLE).is_empty(), "logged once");
    }
}
