//! The console sleeps until `next_change`: nothing on screen may change before it.

use super::*;
use crate::app::format::{elapsed, remaining};
use crate::fleet::sample::{agent, family, snapshot, NOW};
use crate::fleet::{Activity, ErrorKind};
use crate::theme::Theme;
use crate::ui::same_picture;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

/// The countdown text as the tree shows it: `due` once the time has come.
fn countdown(left: i64) -> String {
    if left <= 0 {
        "due".into()
    } else {
        remaining(left)
    }
}

#[test]
fn elapsed_text_holds_until_its_turn_and_changes_then() {
    let since = 5_000_000;
    let mut ages: Vec<i64> = vec![-1500, -1, 0, 1, 999, 1000, 59_999, 60_000, 61_234];
    ages.extend([
        3_599_999,
        3_600_000,
        7_777_777,
        86_399_999,
        86_400_000,
        200_000_000,
    ]);
    for age in ages {
        let now = since + age;
        let next = elapsed_turns(since, now);
        assert!(next > now, "age {age}: {next} is not after {now}");
        let text = elapsed(age);
        assert_eq!(elapsed(next - 1 - since), text, "age {age}: changed early");
        assert_ne!(
            elapsed(next - since),
            text,
            "age {age}: no change at {next}"
        );
    }
}

#[test]
fn countdown_text_holds_until_its_turn_and_changes_then() {
    let at = 9_000_000;
    for left in [
        1, 999, 1000, 1001, 42_000, 59_999, 60_000, 60_001, 3_600_000, 90_000_000,
    ] {
        let now = at - left;
        let next = remaining_turns(at, now);
        assert!(next > now, "left {left}: {next} is not after {now}");
        let text = countdown(left);
        assert_eq!(
            countdown(at - (next - 1)),
            text,
            "left {left}: changed early"
        );
        assert_ne!(
            countdown(at - next),
            text,
            "left {left}: no change at {next}"
        );
    }
}

fn frame(app: &App, now: i64) -> String {
    let mut t = Terminal::new(TestBackend::new(120, 30)).unwrap();
    t.draw(|f| super::super::draw(f, app, &Theme::plain(), now))
        .unwrap();
    let buf = t.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A fleet with something ticking in every column the clock moves.
fn ticking() -> App {
    let mut agents = family();
    agents[0].next_action_at_ms = Some(NOW + 42_300); // lead: nudge in 43s
    agents[1].tier = Tier::Warn; // builder: warn for a while, kill countdown
    agents[1].tier_since_ms = NOW - 125_000;
    agents[1].next_action_at_ms = Some(NOW + 3_600_500);
    agents[3].error = Some(ErrorKind::RateLimit); // reviewer: resets in …
    agents[3].reset_at_ms = Some(NOW + 7_250);
    agents.push(agent("quiet", None, Activity::Idle));
    agents[4].last_progress_ms = NOW - 3_000_000;
    let mut app = App::default();
    app.on_snapshot(snapshot(agents));
    app
}

#[test]
fn the_screen_holds_still_until_next_change_and_moves_then() {
    let app = ticking();
    let mut now = NOW + 100;
    let mut moved = 0;
    // Walk the clock from one change to the next across more than a minute.
    while now < NOW + 70_000 {
        let next = next_change(&app, now).expect("countdowns on screen");
        assert!(next > now);
        let before = frame(&app, now);
        assert_eq!(
            frame(&app, next - 1),
            before,
            "the screen changed between {now} and {next}"
        );
        if frame(&app, next) != before {
            moved += 1;
        }
        now = next;
    }
    // Countdowns and the progress column tick every second for most of that minute.
    assert!(moved >= 40, "only {moved} of the turns changed the screen");
}

#[test]
fn nothing_ticking_means_no_wake_up() {
    let mut app = App::default();
    assert_eq!(next_change(&app, NOW), None, "no snapshot yet");
    let mut a = agent("queued", None, Activity::Unknown);
    a.state = LifeState::Queued;
    app.on_snapshot(snapshot(vec![a]));
    app.on_supervisor_gone();
    assert_eq!(next_change(&app, NOW + 100), None);
}

#[test]
fn a_snapshot_that_goes_stale_is_called_out_on_time() {
    let mut a = agent("queued", None, Activity::Unknown);
    a.state = LifeState::Queued;
    let mut app = App::default();
    app.on_snapshot(snapshot(vec![a]));
    let next = next_change(&app, NOW + 100).unwrap();
    assert_eq!(next, NOW + STALE_MS + 1);
    assert!(!frame(&app, next - 1).contains("snapshot"));
    assert!(frame(&app, next).contains("snapshot 10s old"));
}

#[test]
fn a_picture_is_the_same_unless_something_shown_changed() {
    let old = snapshot(family());
    let same = |f: &dyn Fn(&mut crate::fleet::FleetSnapshot)| {
        let mut new = (*old).clone();
        f(&mut new);
        same_picture(&old, &new, NOW + 100)
    };
    assert!(same(&|s| {
        s.tick += 1;
        s.taken_at_ms += 1000;
        s.stats.duration_us = 4_000;
        s.stats.captured = 3;
    }));
    assert!(
        !same(&|s| s.stats.duration_us = 40_000),
        "a slow tick shows"
    );
    assert!(!same(&|s| s.stats.servers_up += 1));
    assert!(!same(&|s| s.stats.error = Some("tmux is gone".into())));
    assert!(!same(&|s| s.agents[1].activity = Activity::Idle));
    assert!(!same(&|s| s.agents[1].capture = "new text".into()));
    // A stale picture replaced by a fresh one takes the warning away.
    let mut stale = (*old).clone();
    stale.taken_at_ms = NOW - 60_000;
    assert!(!same_picture(&stale, &old, NOW + 100));
}
