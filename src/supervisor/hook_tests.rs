//! Agent-native signals through the supervisor, with a scripted tmux server: hooks the
//! CLIs record in the store wake a capture of their own agent's pane, and launches carry
//! the hooks unless the agent or the fleet says `hooks = false`.

use super::detector::{Detector, Keys, Observation};
use super::testkit::{FakeDetector, FakeTmux};
use super::*;
use crate::fleet::{file, Activity, Claim, EventKind};
use crate::profile::{Hooks, Profile};
use crate::store::{NewEvent, Store};
use std::path::Path;

const T0: i64 = 1_000_000;

/// The fake detector, with a profile's hooks for every kind.
struct HookDetector(Hooks);

impl Detector for HookDetector {
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
    fn hooks_for(&self, _kind: &str, _cmd: &str) -> Option<Hooks> {
        Some(self.0.clone())
    }
    fn hook_claim(&self, _kind: &str, event: &str) -> Option<Claim> {
        self.0.claim(event)
    }
}

fn hooks() -> Hooks {
    let text = r#"
rules = []
name = "h"
[hooks]
args = ["--settings", "{settings}"]
settings = '{"hooks": {"PermissionRequest": [{"hooks": [{"command": "{hook} PermissionRequest"}]}]}}'
[hooks.events]
PermissionRequest = "needs-input"
"#;
    Profile::from_toml(Path::new("h.toml"), text)
        .unwrap()
        .hooks()
        .cloned()
        .unwrap()
}

struct Rig {
    dir: tempfile::TempDir,
    tmux: FakeTmux,
    sup: Supervisor,
}

fn rig(fleet_extra: &str, b_extra: &str) -> Rig {
    let text = format!(
        "[fleet]\nname = \"t\"\nstall_timeout = \"1m\"\n{fleet_extra}\n\
         [[agent]]\nname = \"a\"\ncmd = \"agent-a\"\n\
         [[agent]]\nname = \"b\"\ncmd = \"agent-b\"\n{b_extra}\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let fleet = file::parse(Path::new("t.toml"), &text).unwrap();
    let store = Store::open(&dir.path().join("t.sqlite")).unwrap();
    declare(&store, &fleet, &FakeDetector, T0).unwrap();
    let tmux = FakeTmux::default();
    let mut sup = Supervisor::new(
        fleet.settings.clone(),
        dir.path().to_path_buf(),
        store,
        Box::new(HookDetector(hooks())),
        tmux.connector(),
    )
    .unwrap();
    // Only activity or a signal gets a pane captured in these tests.
    sup.settings.recapture_ticks = 1_000;
    Rig { dir, tmux, sup }
}

impl Rig {
    /// What `shoal hook` does from inside `agent`'s pane: a hook event in the store,
    /// written through a connection of its own.
    fn hook(&self, agent: &str, attempt: u32, event: &str) {
        let other = Store::open(self.sup.store().path()).unwrap();
        let kind = EventKind::Hook {
            cli: "claude".into(),
            event: event.into(),
        };
        other
            .insert_event(&NewEvent::agent(T0, agent, attempt, kind))
            .unwrap();
    }

    fn captures(&self) -> usize {
        self.tmux
            .servers
            .lock()
            .unwrap()
            .values()
            .map(|s| s.captures)
            .sum()
    }

    /// A dialog appears on `agent`'s screen without the window's activity changing (a
    /// poll would not look at it before its round-robin turn).
    fn quiet_dialog(&self, agent: &str) {
        self.tmux
            .with_pane(agent, |p| p.screen = "ASK? proceed".into());
    }

    fn started(&mut self) {
        self.sup.tick(T0);
        self.sup.tick(T0 + 1_000);
        for n in ["a", "b"] {
            let v = self.sup.snapshot(T0).agent(n).cloned().unwrap();
            assert_eq!(v.activity, Activity::Working, "{n}");
        }
    }
}

#[test]
fn a_hook_wakes_a_capture_of_its_agents_pane_and_the_dialog_shows_at_once() {
    let mut r = rig("", "");
    r.started();
    r.quiet_dialog("b");
    // Without a signal the quiet pane is not looked at.
    let before = r.captures();
    r.sup.tick(T0 + 2_000);
    assert_eq!(
        r.captures(),
        before,
        "no capture without activity or a signal"
    );
    assert_eq!(
        r.sup.snapshot(0).agent("b").unwrap().activity,
        Activity::Working
    );
    assert!(!r.sup.signal_arrived(T0 + 2_050), "nothing arrived yet");

    r.hook("b", 1, "PermissionRequest");
    assert!(r.sup.signal_arrived(T0 + 2_100), "the loop is woken");
    r.sup.tick(T0 + 2_100);
    let b = r.sup.snapshot(0).agent("b").cloned().unwrap();
    assert_eq!(b.activity, Activity::NeedsInput);
    let events = r.sup.store().events(Some("b"), 0, 100).unwrap();
    let change = events
        .iter()
        .rev()
        .find(|e| e.kind == "activity")
        .expect("activity event");
    assert!(
        change
            .rule
            .as_deref()
            .unwrap_or("")
            .contains("signalled by hook PermissionRequest"),
        "{change:?}"
    );
    assert!(
        events.iter().any(|e| e.kind == "hook"),
        "the hook itself is on record"
    );
    // Agent a's quiet pane was not captured for b's hook.
    assert_eq!(
        r.sup.snapshot(0).agent("a").unwrap().activity,
        Activity::Working
    );
    assert_eq!(
        r.sup.signal_recheck_at(T0 + 2_100),
        None,
        "nothing left to weigh"
    );
}

#[test]
fn a_hook_the_screen_does_not_bear_out_is_rechecked_then_recorded_as_a_disagreement() {
    let mut r = rig("", "");
    r.started();
    r.hook("a", 1, "PermissionRequest");
    assert!(r.sup.signal_arrived(T0 + 2_000));
    r.sup.tick(T0 + 2_000);
    assert_eq!(
        r.sup.signal_recheck_at(T0 + 2_000),
        Some(T0 + 2_000 + super::signals::SIGNAL_RECHECK_MS),
        "looked at again soon while the screen may still be drawing"
    );
    r.sup.tick(T0 + 2_000 + super::agent::SIGNAL_GRACE_MS);
    let a = r.sup.snapshot(0).agent("a").cloned().unwrap();
    assert_eq!(a.activity, Activity::Working, "the screen wins");
    assert!(a
        .reason
        .unwrap_or_default()
        .contains("hook PermissionRequest said needs-input"));
    let kinds: Vec<String> = r
        .sup
        .store()
        .events(Some("a"), 0, 100)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.contains(&"disagree".to_string()), "{kinds:?}");
}

#[test]
fn hooks_of_an_older_attempt_or_an_event_without_a_claim_are_history() {
    let mut r = rig("", "");
    r.started();
    r.quiet_dialog("b");
    r.hook("b", 7, "PermissionRequest");
    r.hook("b", 1, "PreToolUse");
    assert!(!r.sup.signal_arrived(T0 + 2_000));
    r.sup.tick(T0 + 2_000);
    assert_eq!(
        r.sup.snapshot(0).agent("b").unwrap().activity,
        Activity::Working
    );
}

#[test]
fn hooks_recorded_before_the_supervisor_started_are_not_signals() {
    let r = rig("", "");
    r.hook("a", 1, "PermissionRequest");
    let path = r.sup.store().path().to_path_buf();
    let settings = r.sup.settings().clone();
    let mut sup = Supervisor::new(
        settings,
        r.dir.path().to_path_buf(),
        Store::open(&path).unwrap(),
        Box::new(HookDetector(hooks())),
        r.tmux.connector(),
    )
    .unwrap();
    assert!(!sup.take_hooks(T0));
}

#[test]
fn a_launch_carries_the_hooks_unless_the_agent_or_the_fleet_opts_out() {
    let mut r = rig("", "hooks = false");
    r.sup.tick(T0);
    let cmd = |r: &Rig, n: &str| r.tmux.with_pane(n, |p| p.spec.clone().unwrap().cmd);
    let file = r.dir.path().join("hooks").join("t-a.json");
    assert_eq!(
        cmd(&r, "a"),
        format!("agent-a --settings {}", file.display())
    );
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains(" hook --store "), "{written}");
    assert!(
        written.contains("t.sqlite h PermissionRequest") || written.contains(" PermissionRequest"),
        "{written}"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "only the owner may write what the CLI runs");
    assert_eq!(cmd(&r, "b"), "agent-b", "hooks = false");

    let mut r = rig("hooks = false", "hooks = true");
    r.sup.tick(T0);
    assert_eq!(cmd(&r, "a"), "agent-a", "the fleet's hooks = false");
    assert!(
        cmd(&r, "b").starts_with("agent-b --settings "),
        "the agent's own hooks = true"
    );
}
