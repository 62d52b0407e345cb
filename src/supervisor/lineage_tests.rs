//! Lineage in the supervisor with a scripted tmux server and a fake clock: the start
//! queue under caps, signals, holds, roll-ups and history.

use super::testkit::{FakeDetector, FakeTmux};
use super::*;
use crate::fleet::{file, Activity, LifeState, SignalKind, Tier};
use crate::store::{AgentRecord, Origin, Store};
use std::path::Path;

const T0: i64 = 1_000_000;

struct Rig {
    dir: tempfile::TempDir,
    tmux: FakeTmux,
    sup: Supervisor,
}

fn rig(text: &str) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let fleet = file::parse(Path::new("t.toml"), text).unwrap();
    let store = Store::open(&dir.path().join("t.sqlite")).unwrap();
    declare(&store, &fleet, &FakeDetector, T0).unwrap();
    for a in &fleet.agents {
        store
            .set_agent_meta(&a.name, Origin::File, a.max_children)
            .unwrap();
    }
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
    Rig { dir, tmux, sup }
}

fn agents(names: &[(&str, Option<&str>)]) -> String {
    names
        .iter()
        .map(|(n, p)| {
            let parent = p.map_or(String::new(), |p| format!("parent = \"{p}\"\n"));
            format!("[[agent]]\nname = \"{n}\"\ncmd = \"run-{n}\"\n{parent}")
        })
        .collect()
}

impl Rig {
    fn view(&self, name: &str) -> crate::fleet::AgentView {
        self.sup.snapshot(0).agent(name).cloned().unwrap()
    }

    fn state(&self, name: &str) -> LifeState {
        self.view(name).state
    }

    fn started(&self) -> Vec<String> {
        let mut started: Vec<(i64, String)> = self
            .sup
            .store()
            .events(None, 0, 1000)
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == "start")
            .map(|e| (e.id, e.agent.unwrap_or_default()))
            .collect();
        started.sort();
        started.into_iter().map(|(_, a)| a).collect()
    }

    fn exit(&self, name: &str, status: i32) {
        self.tmux.with_pane(name, |p| {
            p.dead = true;
            p.status = Some(status);
        });
    }

    fn signal(
        &mut self,
        name: &str,
        kind: SignalKind,
        msg: &str,
        t: i64,
    ) -> Result<String, String> {
        let cmd = Command::Signal {
            agent: name.into(),
            kind,
            message: msg.into(),
        };
        self.sup.execute(&cmd, t)
    }

    /// A second connection, as `shoal spawn` in another process would use.
    fn other_store(&self) -> Store {
        Store::open(&self.dir.path().join("t.sqlite")).unwrap()
    }
}

#[test]
fn max_running_starts_agents_two_at_a_time_in_fifo_order() {
    let names: Vec<(&str, Option<&str>)> = ["a1", "a2", "a3", "a4", "a5"]
        .iter()
        .map(|n| (*n, None))
        .collect();
    let mut r = rig(&format!(
        "[fleet]\nname = \"t\"\nmax_running = 2\n{}",
        agents(&names)
    ));
    let before = r.sup.snapshot(T0);
    let pos: Vec<Option<usize>> = before.agents.iter().map(|a| a.lineage.queue_pos).collect();
    assert_eq!(pos, [Some(1), Some(2), Some(3), Some(4), Some(5)]);

    r.sup.tick(T0);
    assert_eq!(r.started(), ["a1", "a2"]);
    assert_eq!(r.view("a3").lineage.queue_pos, Some(1));
    assert_eq!(r.view("a5").lineage.queue_pos, Some(3));
    assert_eq!(r.view("a1").lineage.queue_pos, None);
    r.sup.tick(T0 + 100);
    assert_eq!(r.started().len(), 2, "no slot, no start");

    // a2 ends first: a3 (the oldest waiting) takes its slot, a4 still waits.
    r.exit("a2", 0);
    r.sup.tick(T0 + 200);
    assert_eq!(r.state("a2"), LifeState::Done);
    r.sup.tick(T0 + 300);
    assert_eq!(r.started(), ["a1", "a2", "a3"]);
    assert_eq!(r.view("a4").lineage.queue_pos, Some(1));

    r.exit("a1", 1);
    r.exit("a3", 0);
    r.sup.tick(T0 + 400);
    r.sup.tick(T0 + 500);
    assert_eq!(r.started(), ["a1", "a2", "a3", "a4", "a5"]);
    let live = r
        .sup
        .snapshot(T0)
        .agents
        .iter()
        .filter(|a| matches!(a.state, LifeState::Starting | LifeState::Running))
        .count();
    assert_eq!(live, 2);
}

#[test]
fn a_parent_cap_holds_only_that_parents_children() {
    let text = format!(
        "[fleet]\nname = \"t\"\n[[agent]]\nname = \"lead\"\ncmd = \"x\"\nmax_children = 1\n{}",
        agents(&[("k1", Some("lead")), ("k2", Some("lead")), ("solo", None)])
    );
    let mut r = rig(&text);
    r.sup.tick(T0);
    assert_eq!(r.started(), ["lead", "k1", "solo"]);
    assert_eq!(r.state("k2"), LifeState::Queued);
    assert_eq!(r.view("k2").lineage.queue_pos, Some(1));
    assert_eq!(r.view("lead").lineage.max_children, Some(1));
    r.signal("k1", SignalKind::Done, "finished", T0 + 50)
        .unwrap();
    r.sup.tick(T0 + 100);
    assert_eq!(r.started(), ["lead", "k1", "solo", "k2"]);
}

#[test]
fn done_and_failed_signals_end_the_attempt_with_the_message_as_an_event() {
    let mut r = rig(&format!(
        "[fleet]\nname = \"t\"\n{}",
        agents(&[("a", None), ("b", None)])
    ));
    r.sup.tick(T0);
    r.tmux.show("a", "all tests pass", T0 / 1000);
    r.sup.tick(T0 + 100);
    let out = r
        .signal("a", SignalKind::Done, "merged the parser", T0 + 200)
        .unwrap();
    assert!(out.contains("attempt 1 ended done"), "{out}");
    r.signal("b", SignalKind::Failed, "cannot build", T0 + 200)
        .unwrap();
    let a = r.view("a");
    assert_eq!(a.state, LifeState::Done);
    assert_eq!(
        a.lineage.signal.as_ref().unwrap().message,
        "merged the parser"
    );
    assert_eq!(r.state("b"), LifeState::Failed);
    let att = &r.sup.store().attempts("a").unwrap()[0];
    assert_eq!(att.ended_ms, Some(T0 + 200));
    let death = r
        .sup
        .store()
        .capture(att.death_capture.unwrap())
        .unwrap()
        .unwrap();
    assert!(
        death.contains("all tests pass"),
        "the final screen is kept: {death:?}"
    );
    let ev = r.sup.store().events(Some("a"), 0, 100).unwrap();
    let sig = ev
        .iter()
        .find(|e| e.kind == "signal")
        .expect("a signal event");
    assert_eq!(
        sig.detail,
        "agent a (no pane): signalled done: merged the parser; attempt 1 ended done"
    );

    // An ended agent cannot signal; nothing is recorded.
    let e = r
        .signal("a", SignalKind::Progress, "late", T0 + 300)
        .unwrap_err();
    assert!(e.contains("not running (state done)"), "{e}");
    assert_eq!(r.sup.store().signals_of("a").unwrap().len(), 1);
}

#[test]
fn blocked_holds_the_ladder_until_the_operator_answers() {
    let text = format!(
        "[fleet]\nname = \"t\"\nstall_timeout = \"1s\"\nnudge_message = \"NUDGE\"\n{}",
        agents(&[("lead", None), ("kid", Some("lead"))])
    );
    let mut r = rig(&text);
    r.sup.tick(T0);
    r.signal("kid", SignalKind::Blocked, "which database?", T0 + 100)
        .unwrap();
    let kid = r.view("kid");
    assert!(kid.lineage.held);
    assert_eq!(
        kid.activity,
        Activity::NeedsInput,
        "same attention as a dialog"
    );
    assert_eq!(kid.next_action_at_ms, None, "ladder held");
    assert_eq!(r.view("lead").lineage.rollup.held, 1, "the parent sees it");
    for n in 1..=8 {
        r.sup.tick(T0 + n * 500);
    }
    assert_eq!(r.view("kid").tier, Tier::Ok);
    assert!(
        r.tmux.with_pane("kid", |p| p.typed.is_empty()),
        "never nudged"
    );

    // There is no dialog to approve: the refusal says how to answer.
    let e = r
        .sup
        .execute(
            &Command::Approve {
                agent: "kid".into(),
            },
            T0 + 4900,
        )
        .unwrap_err();
    assert!(e.contains("shoal send kid TEXT"), "{e}");
    assert!(
        r.view("kid").lineage.held,
        "a refused approve answers nothing"
    );
    // Answering lifts the hold and restarts the stall clock from the answer.
    let answer = Command::Send {
        agent: "kid".into(),
        text: "postgres".into(),
    };
    r.sup.execute(&answer, T0 + 5000).unwrap();
    let kid = r.view("kid");
    assert!(!kid.lineage.held);
    assert_eq!(kid.next_action_at_ms, Some(T0 + 6000));
    // The hold stays answered after a restart.
    let path = r.sup.store().path().to_path_buf();
    let settings = r.sup.settings.clone();
    let home = r.sup.home.clone();
    let sup = Supervisor::new(
        settings,
        home,
        Store::open(&path).unwrap(),
        Box::new(FakeDetector),
        r.tmux.connector(),
    )
    .unwrap();
    assert!(!sup.snapshot(0).agent("kid").unwrap().lineage.held);
}

#[test]
fn progress_counts_as_proof_of_life() {
    let text = format!(
        "[fleet]\nname = \"t\"\nstall_timeout = \"1s\"\nnudge_message = \"NUDGE\"\n{}",
        agents(&[("a", None)])
    );
    let mut r = rig(&text);
    r.sup.tick(T0);
    r.signal("a", SignalKind::Progress, "3 of 5 files", T0 + 900)
        .unwrap();
    r.sup.tick(T0 + 1000);
    assert_eq!(r.view("a").tier, Tier::Ok, "progress moved the stall clock");
    r.sup.tick(T0 + 1900);
    assert_eq!(r.view("a").tier, Tier::Nudge);
    assert_eq!(
        r.view("a").lineage.signal.unwrap().message,
        "3 of 5 files",
        "shown in the tree"
    );
}

#[test]
fn rollups_count_ended_descendants_and_a_killed_parent_keeps_its_children() {
    let text = format!(
        "[fleet]\nname = \"t\"\n{}",
        agents(&[
            ("lead", None),
            ("b", Some("lead")),
            ("c", Some("b")),
            ("d", Some("lead"))
        ])
    );
    let mut r = rig(&text);
    r.sup.tick(T0);
    r.signal("c", SignalKind::Done, "ok", T0 + 10).unwrap();
    r.exit("d", 2);
    r.sup.tick(T0 + 100);
    let kill = Command::Kill {
        agent: "lead".into(),
    };
    r.sup.execute(&kill, T0 + 200).unwrap();
    r.sup.tick(T0 + 300);
    let lead = r.view("lead");
    assert_eq!(lead.state, LifeState::Killed);
    let roll = lead.lineage.rollup;
    assert_eq!((roll.live, roll.done, roll.failed), (1, 1, 1), "{roll:?}");
    assert_eq!(r.view("b").lineage.rollup.done, 1);
    let b = r.view("b");
    assert_eq!(b.state, LifeState::Running, "the child keeps running");
    assert_eq!(b.parent.as_deref(), Some("lead"), "and keeps its parent");
    assert!(r.tmux.with_pane("b", |p| !p.dead));
}

#[test]
fn agents_recorded_by_another_process_are_started_by_the_queue() {
    let mut r = rig(&format!(
        "[fleet]\nname = \"t\"\nmax_running = 1\n{}",
        agents(&[("lead", None)])
    ));
    r.sup.tick(T0);
    let other = r.other_store();
    let seq = other.next_seq().unwrap();
    other
        .upsert_agent(&AgentRecord {
            name: "helper".into(),
            parent: Some("lead".into()),
            kind: "shell".into(),
            cmd: "run-helper".into(),
            cwd: None,
            task: None,
            env: Default::default(),
            stall_timeout_ms: 1000,
            paused: false,
            on_idle: None,
            seq,
            created_ms: T0 + 50,
        })
        .unwrap();
    other.set_agent_meta("helper", Origin::Spawn, None).unwrap();
    r.sup.tick(T0 + 100);
    let helper = r.view("helper");
    assert_eq!(helper.state, LifeState::Queued, "the cap holds it");
    assert_eq!(helper.lineage.queue_pos, Some(1));
    r.signal("lead", SignalKind::Done, "handing over", T0 + 150)
        .unwrap();
    r.sup.tick(T0 + 200);
    assert_ne!(r.state("helper"), LifeState::Queued);
    assert!(r.tmux.has_pane("helper"));
}

#[test]
fn a_retry_keeps_the_ended_attempt_with_its_signal_and_final_screen() {
    let mut r = rig(&format!(
        "[fleet]\nname = \"t\"\n{}",
        agents(&[("a", None)])
    ));
    r.sup.tick(T0);
    r.tmux.show("a", "gave up here", T0 / 1000);
    r.sup.tick(T0 + 100);
    r.signal("a", SignalKind::Failed, "no credentials", T0 + 200)
        .unwrap();
    r.sup
        .execute(&Command::Retry { agent: "a".into() }, T0 + 300)
        .unwrap();
    let a = r.view("a");
    assert_eq!(a.attempt, 2);
    assert_eq!(a.lineage.signal, None, "the new attempt has not signalled");
    assert_eq!(a.lineage.past.len(), 1);
    let past = &a.lineage.past[0];
    assert_eq!((past.attempt, past.state), (1, LifeState::Failed));
    assert_eq!(past.signal.as_ref().unwrap().message, "no credentials");
    assert!(past.death.contains("gave up here"), "{:?}", past.death);
}

#[test]
fn an_agent_retried_all_day_keeps_only_its_newest_attempts_in_memory() {
    let mut r = rig(&format!(
        "[fleet]\nname = \"t\"\n{}",
        agents(&[("a", None)])
    ));
    r.sup.tick(T0);
    let retries = lineage::MAX_PAST + 5;
    for n in 1..=retries {
        let t = T0 + i64::from(n) * 1000;
        r.signal("a", SignalKind::Failed, &format!("try {n} failed"), t)
            .unwrap();
        r.sup
            .execute(&Command::Retry { agent: "a".into() }, t + 500)
            .unwrap();
    }
    let a = r.view("a");
    assert_eq!(a.attempt, retries + 1);
    let kept: Vec<u32> = a.lineage.past.iter().map(|p| p.attempt).collect();
    let want: Vec<u32> = (retries + 1 - lineage::MAX_PAST..=retries).collect();
    assert_eq!(kept, want, "the newest earlier attempts, oldest first");
    let last = a.lineage.past.last().unwrap();
    assert_eq!(
        last.signal.as_ref().unwrap().message,
        format!("try {retries} failed")
    );
    // Signals of attempts no longer shown are not held either; the store keeps them.
    let oldest_kept = retries + 1 - lineage::MAX_PAST;
    assert!(r.sup.lineage.signals.keys().all(|(_, n)| *n >= oldest_kept));
    assert!(r.sup.lineage.signals.len() <= lineage::MAX_PAST as usize + 1);
    assert_eq!(
        r.sup.store().attempts("a").unwrap().len(),
        retries as usize + 1
    );
}

#[test]
fn steer_types_on_behalf_of_the_ancestor() {
    let mut r = rig(&format!(
        "[fleet]\nname = \"t\"\n{}",
        agents(&[("lead", None), ("kid", Some("lead"))])
    ));
    r.sup.tick(T0);
    let steer = Command::Steer {
        agent: "kid".into(),
        by: "lead".into(),
        text: "use sqlite".into(),
    };
    r.sup.execute(&steer, T0 + 100).unwrap();
    assert_eq!(r.tmux.with_pane("kid", |p| p.typed.clone()), ["use sqlite"]);
    let ev = r.sup.store().events(Some("kid"), 0, 100).unwrap();
    let e = ev.iter().find(|e| e.kind == "steer").unwrap();
    assert_eq!(e.detail, "agent lead (no pane): typed a line into kid");
}

#[test]
fn a_command_from_outside_the_subtree_is_refused_and_the_caller_named() {
    let mut r = rig(&format!(
        "[fleet]\nname = \"t\"\n{}",
        agents(&[("lead", None), ("kid", Some("lead")), ("mallory", None)])
    ));
    r.sup.tick(T0);
    let mallory = crate::fleet::Caller::Agent {
        name: "mallory".into(),
        attempt: 1,
        pane: Some("%9".into()),
    };
    let send = Command::Send {
        agent: "kid".into(),
        text: "rm -rf /".into(),
    };
    let e = r.sup.execute_as(&mallory, &send, T0 + 100).unwrap_err();
    assert_eq!(
        e,
        "mallory cannot send kid: an agent may only send its own descendants (mallory has no descendants); nothing was sent"
    );
    assert!(r.tmux.with_pane("kid", |p| p.typed.clone()).is_empty());
    let ev = r.sup.store().events(Some("kid"), 0, 100).unwrap();
    let refused = ev.iter().find(|e| e.kind == "refused").unwrap();
    assert_eq!(
        refused.detail,
        format!("agent mallory#1 (pane %9) send: {e}")
    );
    // The same command from the parent goes through, named as it.
    let lead = crate::fleet::Caller::Agent {
        name: "lead".into(),
        attempt: 1,
        pane: Some("%1".into()),
    };
    r.sup.execute_as(&lead, &send, T0 + 200).unwrap();
    assert_eq!(r.tmux.with_pane("kid", |p| p.typed.clone()), ["rm -rf /"]);
    let ev = r.sup.store().events(Some("kid"), 0, 100).unwrap();
    let sent = ev.iter().find(|e| e.kind == "send").unwrap();
    assert_eq!(sent.detail, "agent lead#1 (pane %1): typed a line into kid");
}
