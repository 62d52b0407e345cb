//! Scenario behaviour over simulated time, asserted on the plain text of each screen.
//! Expected layouts are taken from the real Claude Code captures in the shared fixtures.

use super::*;
use crate::sim::screen::{compose, plain};
use chrono::NaiveDate;

const TASK: &str = "Create a marker file in this directory";
const MS: Duration = Duration::from_millis(1);

fn timing() -> Timing {
    Timing {
        after: Duration::from_secs(2),
        reset_in: Duration::from_secs(120),
        every: Duration::from_millis(500),
    }
}

fn wall() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 21)
        .and_then(|d| d.and_hms_opt(16, 18, 30))
        .expect("valid date")
}

fn start(scenario: Scenario, wait_task: bool, timing: Timing) -> (Sim, Instant) {
    let t0 = Instant::now();
    let cwd = "/home/operator/src/apps/claude-main";
    (
        Sim::new(scenario, wait_task, timing, cwd, t0, wall(), 0),
        t0,
    )
}

fn screen(sim: &Sim, now: Instant, w: u16, h: u16) -> Vec<String> {
    plain(&compose(&sim.view(now), w, h))
}

fn type_line(sim: &mut Sim, text: &str, now: Instant) {
    for c in text.chars() {
        sim.key(Key::Char(c), now);
    }
    sim.key(Key::Enter, now);
}

/// Advances in small steps, the way the terminal loop does.
fn run_until(sim: &mut Sim, from: Instant, to: Instant) {
    let mut t = from;
    while t < to {
        t += 50 * MS;
        sim.tick(t);
    }
}

fn rule(w: usize) -> String {
    "─".repeat(w)
}

fn has(rows: &[String], needle: &str) -> bool {
    rows.iter().any(|r| r.contains(needle))
}

#[test]
fn startup_screen_has_the_layout_of_the_real_idle_prompt() {
    let (sim, t0) = start(Scenario::Idle, false, timing());
    let rows = screen(&sim, t0, 200, 50);
    assert!(rows[0].contains("Claude Code (shoal sim)"), "{rows:?}");
    assert_eq!(rows[2], "  ▘▘ ▝▝    /home/operator/src/apps/claude-main");
    let badge = format!(
        "  ? for shortcuts · ← for agents{}● high · /effort",
        " ".repeat(150)
    );
    assert_eq!(
        rows[3..],
        ["", "", &rule(200), "❯\u{a0}", &rule(200), &badge, ""]
    );
}

#[test]
fn a_task_starts_work_with_the_real_working_layout() {
    let (mut sim, t0) = start(Scenario::Work, true, timing());
    type_line(&mut sim, TASK, t0);
    let rows = screen(&sim, t0 + 100 * MS, 200, 50);
    assert_eq!(rows[5], format!("❯ {TASK}"));
    assert_eq!(rows[6], "");
    assert!(rows[7].ends_with('…'), "busy line: {:?}", rows[7]);
    assert_eq!(rows[8..11], ["", &rule(200), "❯\u{a0}"]);
    assert!(rows[12].starts_with("  esc to interrupt · ← for agents"));
}

#[test]
fn steady_work_adds_a_transcript_line_every_period() {
    let (mut sim, t0) = start(Scenario::Work, false, timing());
    let before = screen(&sim, t0, 200, 50);
    run_until(&mut sim, t0, t0 + 1600 * MS);
    let after = screen(&sim, t0 + 1600 * MS, 200, 50);
    assert!(!has(&before, "src/module_7.rs"));
    assert!(has(&after, "● Read(src/module_7.rs)"));
    assert!(has(&after, "● Update(src/module_7.rs)"));
    assert!(has(&after, "  ⎿ \u{a0}Read "));
    assert!(
        !has(&after, "Updated src/module_7.rs"),
        "only 3 lines after 1.6s"
    );
    assert!(
        has(&after, "tokens)"),
        "the busy line counts tokens once output flows"
    );
    assert!(sim.exit_code().is_none());
}

#[test]
fn spin_hang_changes_only_the_busy_line() {
    let (mut sim, t0) = start(Scenario::SpinHang, false, timing());
    let first = screen(&sim, t0, 200, 50);
    let busy_row = first
        .iter()
        .position(|r| r.ends_with('…'))
        .expect("busy line");
    let mut busy_lines = std::collections::HashSet::new();
    for i in 1..200u32 {
        let t = t0 + 130 * MS * i;
        sim.tick(t);
        let rows = screen(&sim, t, 200, 50);
        for (n, (a, b)) in first.iter().zip(&rows).enumerate() {
            if n != busy_row {
                assert_eq!(a, b, "row {n} changed at {i}");
            }
        }
        busy_lines.insert(rows[busy_row].clone());
    }
    assert!(
        busy_lines.len() > 10,
        "spinner and timer animate: {busy_lines:?}"
    );
    assert!(
        busy_lines.iter().any(|l| l.ends_with("… (20s)")),
        "{busy_lines:?}"
    );
}

#[test]
fn silent_never_changes_its_screen_whatever_happens() {
    let (mut sim, t0) = start(Scenario::Silent, true, timing());
    type_line(&mut sim, TASK, t0);
    let frozen = screen(&sim, t0, 200, 50);
    assert!(has(&frozen, &format!("❯ {TASK}")));
    assert!(has(&frozen, "esc to interrupt"));
    for (i, key) in [Key::Char('x'), Key::Enter, Key::Esc, Key::CtrlC, Key::CtrlC]
        .into_iter()
        .enumerate()
    {
        let t = t0 + Duration::from_secs(i as u64 + 1);
        sim.key(key, t);
        sim.tick(t);
        assert_eq!(screen(&sim, t, 200, 50), frozen);
    }
    assert_eq!(sim.next_wakeup(t0), None);
    assert_eq!(sim.exit_code(), None);
}

fn dialog_at_60x20() -> (Sim, Instant) {
    let t = Timing {
        every: Duration::from_secs(60),
        ..timing()
    };
    let t0 = Instant::now();
    let cwd = "/home/operator/src/apps/claude-w60";
    let mut sim = Sim::new(Scenario::Approval, true, t, cwd, t0, wall(), 0);
    type_line(&mut sim, TASK, t0);
    sim.tick(t0 + 2100 * MS);
    (sim, t0 + 2100 * MS)
}

#[test]
fn approval_dialog_matches_the_real_capture_at_60x20() {
    let (sim, now) = dialog_at_60x20();
    let rows = screen(&sim, now, 60, 20);
    let expected = [
        "",
        "● I'll run a shell command.",
        "",
        "● Bash(touch mock_was_here.txt && echo mock-ok)",
        "  ⎿ \u{a0}Waiting…",
        "",
        &rule(60),
        " Bash command",
        "",
        "   touch mock_was_here.txt && echo mock-ok",
        "   Create a marker file",
        "",
        " Do you want to proceed?",
        " ❯ 1. Yes",
        "   2. Yes, and always allow access to claude-w60/ from this",
        "      project",
        "   3. No",
        "",
        " Esc to cancel · Tab to amend · ctrl+e to explain",
        "",
    ];
    assert_eq!(rows, expected);
}

#[test]
fn enter_one_or_two_approve_and_work_goes_on() {
    for key in [Key::Enter, Key::Char('1'), Key::Char('2')] {
        let (mut sim, now) = dialog_at_60x20();
        sim.key(key, now);
        let rows = screen(&sim, now + MS, 200, 50);
        assert!(!has(&rows, "Do you want to proceed?"), "{key:?}");
        assert!(has(&rows, "  ⎿ \u{a0}mock-ok"), "{key:?}");
        assert!(has(&rows, "esc to interrupt"), "{key:?}");
        assert!(
            sim.next_wakeup(now).is_some(),
            "working again after {key:?}"
        );
    }
}

#[test]
fn escape_or_three_deny_and_leave_the_agent_idle() {
    for key in [Key::Esc, Key::Char('3')] {
        let (mut sim, now) = dialog_at_60x20();
        sim.key(key, now);
        let rows = screen(&sim, now + MS, 200, 50);
        assert!(!has(&rows, "Do you want to proceed?"), "{key:?}");
        assert!(has(
            &rows,
            "  ⎿ \u{a0}Interrupted · What should Claude do instead?"
        ));
        assert!(has(&rows, "? for shortcuts"), "{key:?}");
        assert!(!has(&rows, "esc to interrupt"), "{key:?}");
    }
}

#[test]
fn other_keys_leave_the_dialog_as_it_is() {
    let (mut sim, now) = dialog_at_60x20();
    let before = screen(&sim, now, 60, 20);
    for key in [Key::Char('y'), Key::Char('4'), Key::Backspace] {
        sim.key(key, now);
        sim.tick(now + Duration::from_secs(5));
        assert_eq!(screen(&sim, now + Duration::from_secs(5), 60, 20), before);
    }
}

#[test]
fn crash_prints_an_error_and_exits_3_after_working() {
    let (mut sim, t0) = start(Scenario::Crash, false, timing());
    run_until(&mut sim, t0, t0 + 1900 * MS);
    assert_eq!(sim.exit_code(), None);
    run_until(&mut sim, t0 + 1900 * MS, t0 + 2100 * MS);
    assert_eq!(sim.exit_code(), Some(3));
    let rows = screen(&sim, t0 + 2100 * MS, 200, 50);
    assert!(has(&rows, "crashed on purpose"), "{rows:?}");
}

#[test]
fn done_prints_the_final_answer_and_exits_0() {
    let (mut sim, t0) = start(Scenario::Done, false, timing());
    run_until(&mut sim, t0, t0 + 2100 * MS);
    assert_eq!(sim.exit_code(), Some(0));
    let rows = screen(&sim, t0 + 2100 * MS, 200, 50);
    assert!(has(&rows, "● All done."));
    assert!(has(&rows, "? for shortcuts"));
}

#[test]
fn ratelimit_retries_then_shows_429_with_the_reset_clock_time() {
    let (mut sim, t0) = start(Scenario::Ratelimit, false, timing());
    run_until(&mut sim, t0, t0 + 1200 * MS);
    let retrying = screen(&sim, t0 + 1200 * MS, 200, 50);
    assert!(
        has(&retrying, "API error · Retrying in 1s · attempt"),
        "{retrying:?}"
    );
    assert!(has(&retrying, "esc to interrupt"));
    run_until(&mut sim, t0 + 1200 * MS, t0 + 2100 * MS);
    let rows = screen(&sim, t0 + 2100 * MS, 200, 50);
    assert!(
        has(&rows, "● API Error: Request rejected (429) · "),
        "{rows:?}"
    );
    // Hit at 16:18:32 + 2 minutes: resets at 4:20pm.
    assert!(has(&rows, "resets 4:20pm"), "{rows:?}");
    assert!(has(&rows, "? for shortcuts"));
    assert_eq!(sim.exit_code(), None);
}

#[test]
fn a_new_task_hits_the_limit_again_until_it_resets() {
    let (mut sim, t0) = start(Scenario::Ratelimit, false, timing());
    run_until(&mut sim, t0, t0 + 2100 * MS);
    let t1 = t0 + 2100 * MS;
    type_line(&mut sim, "try again", t1);
    run_until(&mut sim, t1, t1 + 2100 * MS);
    let rows = screen(&sim, t1 + 2100 * MS, 200, 50);
    assert_eq!(rows.iter().filter(|r| r.contains("(429)")).count(), 2);
    let t2 = t0 + Duration::from_secs(200);
    type_line(&mut sim, "and now", t2);
    run_until(&mut sim, t2, t2 + Duration::from_secs(5));
    let rows = screen(&sim, t2 + Duration::from_secs(5), 200, 50);
    assert_eq!(rows.iter().filter(|r| r.contains("(429)")).count(), 2);
    assert!(
        has(&rows, "esc to interrupt"),
        "steady work after the reset"
    );
}

#[test]
fn idle_echoes_typing_and_enter_starts_work() {
    let (mut sim, t0) = start(Scenario::Idle, false, timing());
    for c in "fix it".chars() {
        sim.key(Key::Char(c), t0);
    }
    sim.key(Key::Backspace, t0);
    let rows = screen(&sim, t0, 200, 50);
    assert_eq!(rows[6], "❯\u{a0}fix i");
    assert!(sim.next_wakeup(t0).is_none(), "idle needs no redraws");
    sim.key(Key::Enter, t0);
    run_until(&mut sim, t0, t0 + 600 * MS);
    let rows = screen(&sim, t0 + 600 * MS, 200, 50);
    assert_eq!(rows[5], "❯ fix i");
    assert!(has(&rows, "● Read(src/module_7.rs)"));
    assert!(has(&rows, "esc to interrupt"));
}

#[test]
fn wait_task_holds_every_scenario_at_the_prompt() {
    let (mut sim, t0) = start(Scenario::Crash, true, timing());
    run_until(&mut sim, t0, t0 + Duration::from_secs(5));
    assert_eq!(sim.exit_code(), None);
    sim.key(Key::Enter, t0 + Duration::from_secs(5));
    assert!(
        has(&screen(&sim, t0, 200, 50), "? for shortcuts"),
        "an empty line is not a task"
    );
    let t1 = t0 + Duration::from_secs(5);
    type_line(&mut sim, "go", t1);
    run_until(&mut sim, t1, t1 + 2100 * MS);
    assert_eq!(sim.exit_code(), Some(3));
}

#[test]
fn ctrl_c_twice_exits_0_but_not_when_too_far_apart() {
    let (mut sim, t0) = start(Scenario::Work, false, timing());
    sim.key(Key::CtrlC, t0);
    let rows = screen(&sim, t0, 200, 50);
    assert!(has(&rows, "  Press Ctrl-C again to exit"));
    run_until(&mut sim, t0, t0 + 2500 * MS);
    assert!(!has(&screen(&sim, t0 + 2500 * MS, 200, 50), "Ctrl-C again"));
    sim.key(Key::CtrlC, t0 + 2500 * MS);
    assert_eq!(sim.exit_code(), None);
    sim.key(Key::CtrlC, t0 + 3000 * MS);
    assert_eq!(sim.exit_code(), Some(0));
}

#[test]
fn escape_before_any_output_hands_the_task_back() {
    let (mut sim, t0) = start(Scenario::SpinHang, true, timing());
    type_line(&mut sim, TASK, t0);
    sim.key(Key::Esc, t0 + 300 * MS);
    let rows = screen(&sim, t0 + 300 * MS, 200, 50);
    // The real `interrupted` capture: task back in the box, no footer hint.
    assert_eq!(
        rows[5..],
        [&rule(200), &format!("❯\u{a0}{TASK}"), &rule(200), "", ""]
    );
}

#[test]
fn escape_after_output_interrupts_under_the_last_entry() {
    let (mut sim, t0) = start(Scenario::Work, true, timing());
    type_line(&mut sim, TASK, t0);
    run_until(&mut sim, t0, t0 + 1100 * MS);
    sim.key(Key::Esc, t0 + 1100 * MS);
    let rows = screen(&sim, t0 + 1100 * MS, 200, 50);
    let i = rows
        .iter()
        .position(|r| r.contains("Interrupted · What should Claude do instead?"))
        .expect("interrupted line");
    assert!(rows[i - 1].starts_with("  ⎿ \u{a0}Read "), "{rows:?}");
    assert!(has(&rows, "? for shortcuts"));
}

#[test]
fn dropped_enters_leave_the_line_in_the_input_box_until_one_gets_through() {
    let (mut sim, t0) = start(Scenario::Idle, true, timing());
    sim.drop_enters(1);
    type_line(&mut sim, "fix it", t0);
    let rows = screen(&sim, t0, 80, 20);
    assert!(
        rows.iter().any(|r| r == "❯\u{a0}fix it"),
        "the first Enter was taken: {rows:#?}"
    );
    sim.key(Key::Enter, t0);
    let rows = screen(&sim, t0, 80, 20);
    assert!(
        !rows.iter().any(|r| r == "❯\u{a0}fix it"),
        "the second Enter was dropped too: {rows:#?}"
    );
}
