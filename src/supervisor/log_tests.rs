//! The supervisor feeding the log: output lines from scripted screens, events mirrored
//! with their capture, notes about itself, and retention pruning.

use super::testkit::{FakeDetector, FakeTmux};
use super::*;
use crate::fleet::file;
use crate::logs::{Level, LogEntry, LogQuery, NewLog, Source};
use crate::store::Store;
use std::path::Path;

const T0: i64 = 1_000_000;

struct Rig {
    _dir: tempfile::TempDir,
    tmux: FakeTmux,
    sup: Supervisor,
}

fn rig(extra: &str) -> Rig {
    let text = format!(
        "[fleet]\nname = \"t\"\nstall_timeout = \"1h\"\n{extra}\n[[agent]]\nname = \"a\"\ncmd = \"agent-a\"\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let fleet = file::parse(Path::new("t.toml"), &text).unwrap();
    let store = Store::open(&dir.path().join("t.sqlite")).unwrap();
    declare(&store, &fleet, &FakeDetector, T0).unwrap();
    let tmux = FakeTmux::default();
    let (settings, home) = (fleet.settings.clone(), dir.path().to_path_buf());
    let sup = Supervisor::new(
        settings,
        home,
        store,
        Box::new(FakeDetector),
        tmux.connector(),
    )
    .unwrap();
    Rig {
        _dir: dir,
        tmux,
        sup,
    }
}

impl Rig {
    fn show(&mut self, screen: &str, t: i64) {
        self.tmux.show("a", screen, t / 1000);
        self.sup.tick(t);
    }

    fn logs(&self, source: Source) -> Vec<LogEntry> {
        let mut entries = self
            .sup
            .store()
            .query_logs(&LogQuery {
                sources: vec![source],
                limit: 10_000,
                ..LogQuery::default()
            })
            .unwrap()
            .entries;
        entries.reverse();
        entries
    }

    fn output(&self) -> Vec<String> {
        self.logs(Source::Output)
            .into_iter()
            .map(|e| e.message)
            .collect()
    }
}

#[test]
fn printed_lines_are_logged_once_in_order_and_spinners_never() {
    let mut r = rig("");
    r.sup.tick(T0);
    let mut screen = String::new();
    for n in 0..12 {
        screen.push_str(&format!("step {n} done\n"));
        let t = T0 + 1000 + n * 1000;
        // The same screen with a spinner frame under it, seen twice a tick.
        r.show(&format!("{screen}SPIN {}", n * 2), t);
        r.show(&format!("{screen}SPIN {}", n * 2 + 1), t + 500);
    }
    let want: Vec<String> = (0..12).map(|n| format!("step {n} done")).collect();
    assert_eq!(r.output(), want);
    let e = &r.logs(Source::Output)[0];
    assert_eq!(
        (e.agent.as_deref(), e.attempt, e.level),
        (Some("a"), Some(1), Level::Info)
    );
}

#[test]
fn the_last_line_is_logged_once_it_settles_or_the_pane_dies() {
    let mut r = rig("");
    r.sup.tick(T0);
    r.show("building\nfinished", T0 + 1000);
    assert!(r.output().is_empty(), "one capture proves nothing yet");
    r.show("building\nfinished\nall", T0 + 1500);
    assert_eq!(r.output(), ["building", "finished"]);
    r.sup.tick(T0 + 1500 + output::SETTLE_MS - 1);
    assert_eq!(r.output(), ["building", "finished"]);
    r.sup.tick(T0 + 1500 + output::SETTLE_MS);
    assert_eq!(r.output(), ["building", "finished", "all"]);

    let mut r = rig("");
    r.sup.tick(T0);
    r.show("building\nlast words", T0 + 1000);
    r.tmux.with_pane("a", |p| {
        p.dead = true;
        p.status = Some(0);
    });
    r.sup.tick(T0 + 1200);
    assert_eq!(r.output(), ["building", "last words"]);
}

#[test]
fn events_are_in_the_log_linked_to_their_capture() {
    let mut r = rig("");
    r.sup.tick(T0);
    r.show("working hard\nASK? allow it", T0 + 1000);
    let events = r.logs(Source::Event);
    let asked = events
        .iter()
        .find(|e| e.message.contains("→ needs-input"))
        .expect("the activity change is logged");
    assert_eq!(asked.level, Level::Info);
    let capture = asked.capture_id.expect("linked to the capture");
    let text = r.sup.store().capture(capture).unwrap().unwrap();
    assert!(text.contains("ASK? allow it"), "{text}");
    assert!(
        asked.rule.as_deref().unwrap().contains("fake rule"),
        "{asked:?}"
    );
    r.sup.tick(T0 + 1000 + output::SETTLE_MS);
    assert_eq!(r.output(), ["working hard", "ASK? allow it"]);
}

#[test]
fn a_lasting_tick_error_is_noted_once() {
    let mut r = rig("");
    r.sup.tick(T0);
    r.tmux
        .servers
        .lock()
        .unwrap()
        .values_mut()
        .for_each(|s| s.down = true);
    r.sup.tick(T0 + 1000);
    let errors = |r: &Rig| -> Vec<String> {
        r.logs(Source::Supervisor)
            .into_iter()
            .filter(|e| e.level == Level::Error)
            .map(|e| e.message)
            .collect()
    };
    let first = errors(&r);
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(first[0].contains("shoal-t"), "{}", first[0]);
    // The same error tick after tick is one entry; a new one is another.
    for n in 0..3 {
        r.sup.stats.error = Some("store busy".into());
        r.sup.after_tick_logs(T0 + 2000 + n);
        r.sup.persist().unwrap();
    }
    r.sup.stats.error = Some("disk full".into());
    r.sup.after_tick_logs(T0 + 3000);
    r.sup.persist().unwrap();
    assert_eq!(errors(&r)[1..], ["store busy", "disk full"]);
}

#[test]
fn retention_prunes_output_lines_first_a_step_per_tick() {
    let mut r = rig("");
    r.sup.tick(T0);
    let mut screen = String::new();
    for n in 0..200 {
        screen.push_str(&format!("line {n}\n"));
    }
    r.show(&screen, T0 + 1000);
    r.sup.tick(T0 + 1000 + output::SETTLE_MS);
    let outputs = r.output().len();
    assert_eq!(outputs, 200);
    let events = r.logs(Source::Event).len();
    assert!(events >= 2);
    // Shrink the cap below what the store holds: every tick deletes a step.
    r.sup.settings.log_max_size = 1;
    r.sup.tick(T0 + 3100);
    let left = r.output();
    assert!(left.len() < outputs && !left.is_empty(), "{}", left.len());
    assert_eq!(
        left.last().map(String::as_str),
        Some("line 199"),
        "oldest go first"
    );
    assert_eq!(
        r.logs(Source::Event).len(),
        events,
        "events are kept longer"
    );
    let warned = r
        .logs(Source::Supervisor)
        .iter()
        .any(|e| e.message.starts_with("log retention: the store uses"));
    assert!(warned, "the operator is told");
    for n in 0..20 {
        r.sup.tick(T0 + 3200 + n * 100);
    }
    assert!(r.output().is_empty());
    // Back under the cap: pruning stops and says what it did.
    r.sup.settings.log_max_size = 1 << 40;
    for n in 0..5 {
        r.sup.tick(T0 + 6000 + n * 100);
    }
    let notes = r.logs(Source::Supervisor);
    assert!(
        notes
            .iter()
            .any(|e| e.message.starts_with("log retention: deleted")),
        "{notes:?}"
    );
}

#[test]
fn lines_that_scroll_past_between_ticks_are_read_back_from_the_scrollback() {
    let mut r = rig("");
    r.sup.tick(T0);
    let screen_of = |from: u32, to: u32| {
        (from..=to)
            .map(|n| format!("row {n}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    r.show(&screen_of(1, 10), T0 + 1000);
    // 100 rows printed before the next tick: 90 scrolled into the scrollback.
    r.tmux.with_pane("a", |p| {
        p.history = (1..=90).map(|n| format!("row {n}")).collect();
    });
    r.show(&screen_of(91, 100), T0 + 2000);
    r.show(&format!("{}\n$ done", screen_of(91, 100)), T0 + 3000);
    r.sup.tick(T0 + 3000 + output::SETTLE_MS);
    let want: Vec<String> = (1..=100)
        .map(|n| format!("row {n}"))
        .chain(["$ done".to_string()])
        .collect();
    assert_eq!(r.output(), want);
}

#[test]
fn a_restarted_supervisor_does_not_log_the_screen_again() {
    let mut r = rig("");
    r.sup.tick(T0);
    r.show("one\ntwo\nthree", T0 + 1000);
    r.show("one\ntwo\nthree\nfour", T0 + 2000);
    assert_eq!(r.output(), ["one", "two", "three"]);
    // A new supervisor on the same store and panes, as after a restart.
    let settings = r.sup.settings.clone();
    let home = r.sup.home.clone();
    let path = r.sup.store().path().to_path_buf();
    let store = Store::open(&path).unwrap();
    r.sup = Supervisor::new(
        settings,
        home,
        store,
        Box::new(FakeDetector),
        r.tmux.connector(),
    )
    .unwrap();
    r.show("one\ntwo\nthree\nfour\nfive", T0 + 3000);
    r.show("one\ntwo\nthree\nfour\nfive\nsix", T0 + 4000);
    assert_eq!(r.output(), ["one", "two", "three", "four", "five"]);
}

#[test]
fn entries_dropped_while_the_store_could_not_be_written_are_counted_in_the_log() {
    let mut r = rig("");
    r.sup.tick(T0);
    // The store took nothing for a while: the held entries overflow, oldest first.
    let held = output_log::MAX_PENDING + 5;
    for n in 0..held {
        let ts = T0 + n as i64;
        r.sup
            .output
            .push(NewLog::output(ts, "a", 1, format!("line {n}")));
    }
    let dropped = output_log::MAX_PENDING / 10;
    assert_eq!(r.sup.output.dropped, dropped);
    assert_eq!(r.sup.output.pending[0].message, format!("line {dropped}"));
    // Nothing is said while the backlog is still full.
    r.sup.after_tick_logs(T0 + 200_000);
    assert_eq!(r.sup.output.dropped, dropped, "not yet said");
    // The store took the backlog: the next tick says how many were lost, and when.
    r.sup.output.pending.clear();
    r.sup.after_tick_logs(T0 + 200_000);
    r.sup.persist().unwrap();
    let said: Vec<String> = r
        .logs(Source::Supervisor)
        .into_iter()
        .filter(|e| e.level == Level::Error)
        .map(|e| e.message)
        .collect();
    let want = format!(
        "{dropped} log entries from {} to {} were dropped while the store could not be written",
        flood::clock(T0),
        flood::clock(T0 + dropped as i64 - 1)
    );
    assert_eq!(said, [want]);
    assert_eq!(r.sup.output.dropped, 0);
}
