//! Restarts and circuits in the supervisor, with a scripted tmux server and a fake clock.

use super::testkit::{FakeDetector, FakeTmux};
use super::*;
use crate::fleet::{file, CircuitState, LifeState, RestartNote};
use crate::store::Store;
use std::path::Path;

const T0: i64 = 1_000_000;

struct Rig {
    dir: tempfile::TempDir,
    tmux: FakeTmux,
    sup: Supervisor,
    fleet: crate::fleet::Fleet,
}

fn rig(fleet_extra: &str, agents: &str) -> Rig {
    let text = format!("[fleet]\nname = \"t\"\nstall_timeout = \"1h\"\n{fleet_extra}\n{agents}");
    let dir = tempfile::tempdir().unwrap();
    let fleet = file::parse(Path::new("t.toml"), &text).unwrap();
    let store = Store::open(&dir.path().join("t.sqlite")).unwrap();
    declare(&store, &fleet, &FakeDetector, T0).unwrap();
    let tmux = FakeTmux::default();
    let sup = Supervisor::new(
        fleet.settings.clone(),
        dir.path().to_path_buf(),
        store,
        Box::new(FakeDetector),
        tmux.connector(),
    )
    .unwrap();
    Rig {
        dir,
        tmux,
        sup,
        fleet,
    }
}

impl Rig {
    fn reopen(self) -> Rig {
        let Rig {
            dir,
            tmux,
            sup,
            fleet,
        } = self;
        let path = sup.store().path().to_path_buf();
        drop(sup);
        let sup = Supervisor::new(
            fleet.settings.clone(),
            dir.path().to_path_buf(),
            Store::open(&path).unwrap(),
            Box::new(FakeDetector),
            tmux.connector(),
        )
        .unwrap();
        Rig {
            dir,
            tmux,
            sup,
            fleet,
        }
    }

    fn view(&self, name: &str, now: i64) -> crate::fleet::AgentView {
        self.sup.snapshot(now).agent(name).cloned().unwrap()
    }

    fn die(&self, name: &str, status: i32) {
        self.tmux.with_pane(name, |p| {
            p.dead = true;
            p.status = Some(status);
        });
    }

    fn kinds(&self, name: Option<&str>) -> Vec<String> {
        self.sup
            .store()
            .events(name, 0, 1000)
            .unwrap()
            .into_iter()
            .filter(|e| name.is_some() || e.agent.is_none())
            .map(|e| e.detail)
            .collect()
    }
}

fn agent(name: &str, extra: &str) -> String {
    format!("[[agent]]\nname = \"{name}\"\ncmd = \"run-{name}\"\n{extra}\n")
}

#[test]
fn a_failure_restarts_after_its_delay_and_a_clean_exit_does_not_under_on_failure() {
    let mut r = rig(
        "restart = \"on-failure\"\nrestart_delay = \"2s\"\nmax_restarts = 2\ncircuit_failures = 0",
        &format!("{}{}", agent("a", ""), agent("b", "")),
    );
    r.sup.tick(T0);
    r.die("a", 1);
    r.die("b", 0);
    r.sup.tick(T0 + 500);
    let a = r.view("a", T0 + 500);
    assert_eq!((a.state, a.attempt), (LifeState::Failed, 1));
    let Some(RestartNote::Restarting { at_ms, n: 1, of: 2 }) = a.lineage.restart else {
        panic!("{:?}", a.lineage.restart);
    };
    assert!(
        (T0 + 2500..=T0 + 2700).contains(&at_ms),
        "2s plus a tenth at most: {at_ms}"
    );
    assert!(
        a.note_at(T0 + 500).starts_with("restarting in "),
        "{}",
        a.note_at(T0 + 500)
    );
    assert!(
        !a.lineage.is_history(a.state),
        "a pending restart keeps it in the live tree"
    );
    let b = r.view("b", T0 + 500);
    assert_eq!((b.state, b.lineage.restart), (LifeState::Done, None));
    // Not before its time; then a new attempt with the same command.
    r.sup.tick(at_ms - 1);
    assert_eq!(r.view("a", at_ms).attempt, 1);
    r.sup.tick(at_ms);
    let a = r.view("a", at_ms);
    assert_eq!(
        (a.state, a.attempt, a.lineage.restart),
        (LifeState::Starting, 2, None)
    );
    assert_eq!(
        r.tmux.with_pane("a", |p| p.spec.clone().unwrap().cmd),
        "run-a"
    );
    assert_eq!(r.view("b", at_ms).attempt, 1);
}

#[test]
fn the_operators_kill_and_cancel_are_never_restarted_but_the_ladders_kill_is() {
    let mut r = rig(
        "restart = \"always\"\nrestart_delay = \"1s\"\ncircuit_failures = 0",
        &format!(
            "{}{}{}",
            agent("k", ""),
            agent("c", ""),
            agent("s", "stall_timeout = \"1s\"")
        ),
    );
    r.sup.tick(T0);
    r.sup
        .execute(&Command::Kill { agent: "k".into() }, T0 + 100)
        .unwrap();
    r.sup
        .execute(&Command::Cancel { agent: "c".into() }, T0 + 100)
        .unwrap();
    r.die("c", 130);
    // The silent one walks nudge, warn, kill at 1s, 2s, 3s without progress.
    for t in (1..=12).map(|n| T0 + n * 500) {
        r.sup.tick(t);
    }
    let s = r.view("s", T0 + 6000);
    assert!(s.attempt >= 2, "the ladder's kill was restarted: {s:?}");
    for name in ["k", "c"] {
        let v = r.view(name, T0 + 6000);
        assert_eq!(v.attempt, 1, "{name}");
        assert_eq!(v.lineage.restart, None, "{name}");
        assert!(v.state.is_ended(), "{name}");
    }
    // The operator's kill reads as theirs, and leaves the ladder's tier alone.
    let k = r.view("k", T0 + 6000);
    assert_ne!(k.tier, crate::fleet::Tier::Kill);
    let events = r.sup.store().recent_events("k", 1, 50).unwrap();
    assert_eq!(
        crate::fleet::ending::words(&k, events.iter()),
        "killed by operator"
    );
}

#[test]
fn the_limit_holds_until_the_operators_retry_which_starts_the_count_afresh() {
    let mut r = rig(
        "circuit_failures = 0",
        &agent(
            "a",
            "restart = \"on-failure\"\nrestart_delay = \"1s\"\nrestart_delay_max = \"1s\"\nmax_restarts = 1\nrestart_window = \"10m\"",
        ),
    );
    let mut t = T0;
    r.sup.tick(t);
    for _ in 0..2 {
        r.die("a", 1);
        t += 100;
        r.sup.tick(t);
        t += 1200;
        r.sup.tick(t);
    }
    let a = r.view("a", t);
    assert_eq!((a.state, a.attempt), (LifeState::Failed, 2));
    assert_eq!(a.note_at(t), "restart limit (1 in 10m)");
    assert!(
        crate::app::needs_operator(&a),
        "past its limit it needs the operator"
    );
    // The limit survives a supervisor restart.
    let mut r = r.reopen();
    r.sup.tick(t + 5000);
    assert_eq!(r.view("a", t).note_at(t), "restart limit (1 in 10m)");
    r.sup
        .execute(&Command::Retry { agent: "a".into() }, t + 6000)
        .unwrap();
    r.sup.tick(t + 6100);
    r.die("a", 1);
    r.sup.tick(t + 6200);
    let a = r.view("a", t + 6200);
    assert!(
        matches!(
            a.lineage.restart,
            Some(RestartNote::Restarting { n: 1, of: 1, .. })
        ),
        "{:?}",
        a.lineage.restart
    );
}

#[test]
fn fatal_screens_at_start_open_the_kinds_circuit_which_holds_restarts_across_a_reopen() {
    let agents = format!(
        "{}{}{}",
        agent("a1", "restart = \"on-failure\"\nrestart_delay = \"1s\""),
        agent("a2", "restart = \"on-failure\"\nrestart_delay = \"1s\""),
        agent(
            "o",
            "kind = \"other\"\nrestart = \"on-failure\"\nrestart_delay = \"1s\""
        ),
    );
    let mut r = rig(
        "rapid_death = \"10s\"\ncircuit_failures = 2\ncircuit_cooldown = \"1m\"",
        &agents,
    );
    r.sup.tick(T0);
    // A fatal error shown soon after the start is a rapid failure, even while alive.
    r.tmux.show("a1", "ERRAUTH invalid key", T0 / 1000 + 1);
    r.sup.tick(T0 + 1000);
    assert!(r
        .kinds(Some("a1"))
        .iter()
        .any(|d| d.contains("showed a fatal error (auth)")));
    r.die("a1", 1);
    r.die("a2", 1);
    r.sup.tick(T0 + 2000);
    let open = r.sup.snapshot(T0 + 2000).stats.circuits;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0].text(T0 + 2000), "shell: circuit open, retry in 1m");
    // The other kind is not held.
    r.die("o", 1);
    r.sup.tick(T0 + 2500);
    let mut r = r.reopen();
    r.sup.tick(T0 + 4000);
    r.sup.tick(T0 + 30_000);
    assert_eq!(r.view("o", T0 + 4000).attempt, 2);
    for name in ["a1", "a2"] {
        let v = r.view(name, T0 + 30_000);
        assert_eq!(v.attempt, 1, "{name} held by the circuit");
        assert_eq!(v.note_at(T0 + 30_000), "shell: circuit open, retry in 32s");
    }
    // After the cool-down exactly one goes through; living past rapid death closes it.
    r.sup.tick(T0 + 62_000);
    let started: u32 = ["a1", "a2"].iter().map(|n| r.view(n, T0).attempt).sum();
    assert_eq!(started, 3, "one start let through while half-open");
    let snap = r.sup.snapshot(T0 + 62_000);
    assert_eq!(snap.stats.circuits[0].state, CircuitState::HalfOpen);
    r.sup.tick(T0 + 73_000);
    r.sup.tick(T0 + 75_000);
    assert!(r.sup.snapshot(T0 + 75_000).stats.circuits.is_empty());
    let started: u32 = ["a1", "a2"].iter().map(|n| r.view(n, T0).attempt).sum();
    assert_eq!(started, 4, "both run again once closed");
    let fleet = r.kinds(None);
    let want = [
        "shell: circuit open after 2 rapid failures",
        "shell: circuit half-open",
        "shell: circuit closed; the start let through survived",
    ];
    let mut it = fleet.iter();
    for w in want {
        assert!(it.any(|d| d.starts_with(w)), "{w} in order: {fleet:?}");
    }
}

#[test]
fn a_resumable_agent_restarts_into_its_session_without_its_task_and_retry_fresh_starts_anew() {
    let mut r = rig(
        "circuit_failures = 0",
        &agent(
            "a",
            "kind = \"resumable\"\ntask = \"fix it\"\nresume = true\nrestart = \"on-failure\"\nrestart_delay = \"1s\"",
        ),
    );
    let cmd = |r: &Rig| r.tmux.with_pane("a", |p| p.spec.clone().unwrap().cmd);
    let typed = |r: &Rig| r.tmux.with_pane("a", |p| p.typed.clone());
    r.sup.tick(T0);
    let first = cmd(&r);
    let id = first
        .strip_prefix("run-a --id ")
        .expect("launched under an id")
        .to_string();
    r.tmux.show("a", "IDLE>", T0 / 1000);
    r.sup.tick(T0 + 500);
    assert_eq!(typed(&r), ["fix it"]);
    r.die("a", 1);
    r.sup.tick(T0 + 1000);
    // Across a supervisor restart, the session is remembered.
    let mut r = r.reopen();
    r.sup.tick(T0 + 2500);
    assert_eq!(r.view("a", T0).attempt, 2);
    assert_eq!(cmd(&r), format!("run-a --resume {id}"));
    r.tmux.show("a", "IDLE>", T0 / 1000 + 3);
    r.sup.tick(T0 + 3000);
    r.sup.tick(T0 + 5000);
    assert!(
        typed(&r).is_empty(),
        "the resumed conversation has its task"
    );
    assert_eq!(r.view("a", T0).state, LifeState::Running);
    assert!(r
        .kinds(Some("a"))
        .iter()
        .any(|d| d == &format!("resumed the CLI's session {id}; the task is not typed again")));
    r.sup
        .execute(&Command::Kill { agent: "a".into() }, T0 + 6000)
        .unwrap();
    r.sup
        .execute(&Command::RetryFresh { agent: "a".into() }, T0 + 7000)
        .unwrap();
    let fresh = cmd(&r);
    let id2 = fresh.strip_prefix("run-a --id ").expect("a fresh session");
    assert_ne!(id2, id);
    r.tmux.show("a", "IDLE>", T0 / 1000 + 8);
    r.sup.tick(T0 + 8000);
    assert_eq!(typed(&r), ["fix it"], "a fresh start types the task again");
}

#[test]
fn a_session_learned_from_the_transcript_is_resumed_on_restart() {
    let mut r = rig(
        "circuit_failures = 0",
        &agent(
            "a",
            "kind = \"discovered\"\ntask = \"fix it\"\nresume = true\nrestart = \"on-failure\"\nrestart_delay = \"1s\"",
        ),
    );
    let cmd = |r: &Rig| r.tmux.with_pane("a", |p| p.spec.clone().unwrap().cmd);
    r.sup.tick(T0);
    assert_eq!(cmd(&r), "run-a", "no id to give at launch");
    r.tmux.show("a", "IDLE>", T0 / 1000);
    r.sup.tick(T0 + 500);
    // The usage reader found the CLI's transcript `log-s42.jsonl`.
    r.sup.discovered_session("a", 1, "s42");
    r.die("a", 1);
    r.sup.tick(T0 + 1000);
    let mut r = r.reopen();
    r.sup.tick(T0 + 2500);
    assert_eq!(r.view("a", T0).attempt, 2);
    assert_eq!(cmd(&r), "run-a --resume s42");
    // A fresh start forgets the learned id until the new transcript names one.
    r.sup
        .execute(&Command::Kill { agent: "a".into() }, T0 + 6000)
        .unwrap();
    r.sup
        .execute(&Command::RetryFresh { agent: "a".into() }, T0 + 7000)
        .unwrap();
    assert_eq!(cmd(&r), "run-a");
    r.sup
        .execute(&Command::Kill { agent: "a".into() }, T0 + 8000)
        .unwrap();
    r.sup
        .execute(&Command::Retry { agent: "a".into() }, T0 + 9000)
        .unwrap();
    assert_eq!(cmd(&r), "run-a", "no session to resume yet");
}

#[test]
fn agents_sharing_a_backend_share_a_circuit_whatever_their_kind() {
    let on_failure = "restart = \"on-failure\"\nrestart_delay = \"1s\"";
    let agents = format!(
        "{}{}{}",
        agent("a1", &format!("{on_failure}\nbackend = \"api-x\"")),
        agent(
            "a2",
            &format!("{on_failure}\nkind = \"other\"\nbackend = \"api-x\"")
        ),
        agent("b", on_failure),
    );
    let mut r = rig(
        "rapid_death = \"10s\"\ncircuit_failures = 2\ncircuit_cooldown = \"1m\"",
        &agents,
    );
    r.sup.tick(T0);
    r.die("a1", 1);
    r.die("a2", 1);
    r.sup.tick(T0 + 1000);
    let open = r.sup.snapshot(T0 + 1000).stats.circuits;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0].text(T0 + 1000), "api-x: circuit open, retry in 1m");
    // `b` is of a1's kind but not on its backend: it fails once and is restarted.
    r.die("b", 1);
    r.sup.tick(T0 + 1500);
    r.sup.tick(T0 + 5000);
    assert_eq!(r.view("b", T0 + 5000).attempt, 2);
    for name in ["a1", "a2"] {
        let v = r.view(name, T0 + 5000);
        assert_eq!(v.attempt, 1, "{name} held by its backend's circuit");
        assert_eq!(v.note_at(T0 + 5000), "api-x: circuit open, retry in 56s");
    }
}
