//! The supervisor's own typing spans ticks: a tick pastes and returns, later ticks judge
//! the pane's captures and press Enter, and the task counts as typed only once the CLI
//! took it.

use super::detector::{Detector, Keys, Observation};
use super::testkit::{FakeDetector, FakeTmux};
use super::*;
use crate::fleet::{file, LifeState};
use crate::store::Store;
use std::path::Path;

const T0: i64 = 1_000_000;

/// FakeDetector's screens, plus a composer: the last line after `IDLE>`.
struct ComposerDetector;

fn composer(raw: &str) -> Option<&str> {
    raw.lines().last()?.strip_prefix("IDLE>")
}

impl Detector for ComposerDetector {
    fn normalize(&self, kind: &str, raw: &str) -> String {
        FakeDetector.normalize(kind, raw)
    }
    fn classify(&self, kind: &str, raw: &str, now_ms: i64) -> Observation {
        FakeDetector.classify(kind, raw, now_ms)
    }
    fn keys(&self, kind: &str, which: Keys) -> Vec<String> {
        FakeDetector.keys(kind, which)
    }
    fn continue_message(&self, kind: &str) -> Option<String> {
        FakeDetector.continue_message(kind)
    }
    fn guess_kind(&self, cmd: &str) -> String {
        FakeDetector.guess_kind(cmd)
    }
    fn reads_composer(&self, _kind: &str) -> bool {
        true
    }
    fn composer_holds(&self, _kind: &str, raw: &str, typed: &str) -> Option<bool> {
        composer(raw).map(|c| c.contains(typed))
    }
    fn composer_text(&self, _kind: &str, raw: &str) -> Option<String> {
        composer(raw).map(str::to_string)
    }
}

fn supervisor(dir: &Path) -> (FakeTmux, Supervisor) {
    let text = "[fleet]\nname = \"t\"\nstall_timeout = \"1h\"\n[[agent]]\nname = \"a\"\ncmd = \"run-a\"\ntask = \"fix it\"\n";
    let fleet = file::parse(Path::new("t.toml"), text).unwrap();
    let store = Store::open(&dir.join("t.sqlite")).unwrap();
    declare(&store, &fleet, &ComposerDetector, T0).unwrap();
    let tmux = FakeTmux::default();
    let sup = Supervisor::new(
        fleet.settings.clone(),
        dir.to_path_buf(),
        store,
        Box::new(ComposerDetector),
        tmux.connector(),
    )
    .unwrap();
    (tmux, sup)
}

fn kinds(sup: &Supervisor) -> Vec<String> {
    sup.store()
        .events(Some("a"), 0, 100)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

#[test]
fn a_task_is_pasted_in_one_tick_and_submitted_in_the_next_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (tmux, mut sup) = supervisor(dir.path());
    sup.tick(T0);
    tmux.show("a", "IDLE>", T0 / 1000);
    sup.tick(T0 + 500);
    // Pasted, and the tick went on: no Enter yet, the task not yet counted as typed.
    assert_eq!(tmux.with_pane("a", |p| p.typed.clone()), ["fix it"]);
    assert!(tmux.with_pane("a", |p| p.keys.is_empty()));
    assert!(sup.is_typing("a"));
    assert!(!kinds(&sup).contains(&"task".to_string()));
    assert_eq!(
        sup.snapshot(T0).agent("a").unwrap().state,
        LifeState::Starting
    );

    // The next tick sees the text in the composer and presses Enter.
    tmux.with_pane("a", |p| p.activity_sec = (T0 + 1000) / 1000);
    sup.tick(T0 + 1000);
    assert_eq!(tmux.with_pane("a", |p| p.keys.clone()), ["Enter"]);
    assert!(sup.is_typing("a"));

    // The composer let go of it: typed, confirmed, and the agent runs.
    tmux.with_pane("a", |p| {
        p.screen = "fix it\nIDLE>".into();
        p.activity_sec = (T0 + 1500) / 1000;
    });
    sup.tick(T0 + 1500);
    assert!(!sup.is_typing("a"));
    assert!(
        kinds(&sup).contains(&"task".to_string()),
        "{:?}",
        kinds(&sup)
    );
    assert!(
        !kinds(&sup).contains(&"error".to_string()),
        "{:?}",
        kinds(&sup)
    );
    assert_eq!(
        sup.snapshot(T0).agent("a").unwrap().state,
        LifeState::Running
    );
    assert_eq!(
        tmux.with_pane("a", |p| p.typed.clone()),
        ["fix it"],
        "typed once"
    );
}

#[test]
fn text_the_cli_never_takes_ends_as_undelivered_after_two_enters() {
    let dir = tempfile::tempdir().unwrap();
    let (tmux, mut sup) = supervisor(dir.path());
    sup.tick(T0);
    tmux.show("a", "IDLE>", T0 / 1000);
    sup.tick(T0 + 500);
    // The CLI drops every Enter: the text stays in the composer.
    let mut now = T0 + 500;
    for _ in 0..20 {
        now += 1000;
        tmux.with_pane("a", |p| {
            p.screen = "IDLE>fix it".into();
            p.activity_sec = now / 1000;
        });
        sup.tick(now);
        if !sup.is_typing("a") {
            break;
        }
    }
    assert!(!sup.is_typing("a"), "the typing ended");
    assert_eq!(tmux.with_pane("a", |p| p.keys.clone()), ["Enter", "Enter"]);
    let events = sup.store().events(Some("a"), 0, 100).unwrap();
    let failed = events
        .iter()
        .find(|e| e.kind == "error")
        .expect("an error event");
    assert!(
        failed.detail.contains("could not type the task")
            && failed.detail.contains("still in the input box"),
        "{}",
        failed.detail
    );
    assert_eq!(
        tmux.with_pane("a", |p| p.typed.clone()),
        ["fix it"],
        "never retyped"
    );
}

#[test]
fn typing_under_way_stops_when_the_agent_is_paused() {
    let dir = tempfile::tempdir().unwrap();
    let (tmux, mut sup) = supervisor(dir.path());
    sup.tick(T0);
    tmux.show("a", "IDLE>", T0 / 1000);
    sup.tick(T0 + 500);
    assert!(sup.is_typing("a"));
    sup.execute(
        &Command::Pause {
            agent: "a".into(),
            paused: true,
        },
        T0 + 600,
    )
    .unwrap();
    tmux.with_pane("a", |p| p.activity_sec = (T0 + 1000) / 1000);
    sup.tick(T0 + 1000);
    assert!(!sup.is_typing("a"));
    assert!(
        tmux.with_pane("a", |p| p.keys.is_empty()),
        "no Enter after the pause"
    );
    let events = sup.store().events(Some("a"), 0, 100).unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == "error" && e.detail.contains("paused before the CLI took it")),
        "{events:#?}"
    );
}
