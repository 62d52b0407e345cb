//! Budgets in the supervisor with a scripted tmux server and a fake clock: a spent
//! subtree budget pauses that subtree only, warnings come once per crossing (across a
//! restart too), `resume` is refused until the budget is raised, and starts under a
//! spent budget wait.

use super::super::testkit::{FakeDetector, FakeTmux};
use super::super::{declare, Supervisor, Update};
use crate::fleet::{file, BudgetLevel, Command, EventKind, LifeState};
use crate::store::{AgentRecord, Store};
use crate::usage::worker::Report;
use std::path::Path;

const T0: i64 = 1_000_000;

fn fleet_text(team_budget: &str, extra: &str) -> String {
    format!(
        "[fleet]\nname = \"b\"\nstall_timeout = \"1h\"\n{extra}\n\
         [[agent]]\nname = \"boss\"\ncmd = \"a\"\n\
         [[agent]]\nname = \"team\"\ncmd = \"b\"\nparent = \"boss\"\nbudget = \"{team_budget}\"\n\
         [[agent]]\nname = \"w1\"\ncmd = \"c\"\nparent = \"team\"\ntask = \"write the report\"\n\
         [[agent]]\nname = \"solo\"\ncmd = \"d\"\nparent = \"boss\"\n"
    )
}

fn open(dir: &Path, tmux: &FakeTmux, text: &str) -> Supervisor {
    let fleet = file::parse(Path::new("t.toml"), text).unwrap();
    let store = Store::open(&dir.join("t.sqlite")).unwrap();
    declare(&store, &fleet, &FakeDetector, T0).unwrap();
    Supervisor::new(
        fleet.settings.clone(),
        dir.to_path_buf(),
        store,
        Box::new(FakeDetector),
        tmux.connector(),
    )
    .unwrap()
}

/// aider-style usage: the session cost its screen printed so far.
fn spent(agent: &str, session_cost: f64, tokens: u64) -> Report {
    Report {
        agent: agent.into(),
        attempt: 1,
        totals: [(
            crate::usage::meter::SCREEN_MODEL.to_string(),
            crate::usage::Tokens {
                input: tokens,
                ..Default::default()
            },
        )]
        .into_iter()
        .collect(),
        screen_cost: Some(session_cost),
        skipped: 0,
        note: None,
        session: None,
    }
}

fn budget_events(sup: &Supervisor) -> Vec<EventKind> {
    sup.store()
        .events(None, 0, 10_000)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "budget")
        .filter_map(|e| e.payload)
        .collect()
}

fn warnings(sup: &Supervisor) -> usize {
    budget_events(sup)
        .iter()
        .filter(|k| matches!(k, EventKind::BudgetWarning { .. }))
        .count()
}

fn keys(tmux: &FakeTmux, agent: &str) -> Vec<String> {
    tmux.with_pane(agent, |p| p.keys.clone())
}

#[test]
fn a_spent_subtree_budget_pauses_that_subtree_only_once_warned_once() {
    let dir = tempfile::tempdir().unwrap();
    let tmux = FakeTmux::default();
    let text = fleet_text("$0.01", "");
    let mut sup = open(dir.path(), &tmux, &text);
    sup.tick(T0);
    sup.tick(T0 + 1_000);
    assert!(["boss", "team", "w1", "solo"]
        .iter()
        .all(|a| tmux.has_pane(a)));

    // 85 % of the team's cent: one warning, nothing stopped.
    sup.take_usage(spent("w1", 0.0085, 1000), T0 + 2_000);
    sup.tick(T0 + 2_000);
    assert_eq!(warnings(&sup), 1);
    let note = sup
        .snapshot(T0 + 2_000)
        .agent("w1")
        .unwrap()
        .lineage
        .budget
        .clone();
    let note = note.expect("w1 shows its subtree's budget");
    assert_eq!((note.level, note.percent), (BudgetLevel::Warned, 85));
    assert_eq!(
        sup.snapshot(T0 + 2_000).agent("w1").unwrap().note(),
        "team's budget 85% of $0.01"
    );
    assert!(sup
        .snapshot(T0 + 2_000)
        .agent("solo")
        .unwrap()
        .lineage
        .budget
        .is_none());
    // More spending within the same band, other usage, more ticks: no second warning.
    sup.take_usage(spent("w1", 0.009, 1100), T0 + 3_000);
    sup.take_usage(spent("solo", 5.0, 90_000), T0 + 3_000);
    for t in 3..6 {
        sup.tick(T0 + t * 1_000);
    }
    assert_eq!(warnings(&sup), 1);

    // A restarted supervisor remembers the crossing.
    drop(sup);
    let mut sup = open(dir.path(), &tmux, &text);
    sup.tick(T0 + 7_000);
    sup.take_usage(spent("w1", 0.0095, 1200), T0 + 8_000);
    sup.tick(T0 + 8_000);
    assert_eq!(warnings(&sup), 1, "{:?}", budget_events(&sup));
    assert!(keys(&tmux, "w1").is_empty(), "nothing interrupted yet");

    // Spent: the team and w1 are interrupted and held; boss and solo run on.
    sup.take_usage(spent("w1", 0.012, 1500), T0 + 9_000);
    sup.tick(T0 + 9_000);
    for a in ["team", "w1"] {
        assert_eq!(
            keys(&tmux, a),
            ["C-c"],
            "{a} interrupted with its profile's keys"
        );
    }
    for a in ["boss", "solo"] {
        assert!(keys(&tmux, a).is_empty(), "{a} left alone");
    }
    let snap = sup.snapshot(T0 + 9_000);
    for a in ["team", "w1"] {
        let v = snap.agent(a).unwrap();
        assert!(v.paused && !v.state.is_ended(), "{a}: {v:?}");
        let b = v.lineage.budget.as_ref().unwrap();
        assert!(b.paused && b.level == BudgetLevel::Exhausted, "{a}: {b:?}");
    }
    assert_eq!(
        snap.agent("w1").unwrap().note(),
        "paused: team's budget $0.01 spent"
    );
    assert!(!snap.agent("solo").unwrap().paused && !snap.agent("boss").unwrap().paused);
    let exhausted: Vec<_> = budget_events(&sup)
        .into_iter()
        .filter_map(|k| match k {
            EventKind::BudgetExhausted { owner, agents, .. } => Some((owner, agents)),
            _ => None,
        })
        .collect();
    assert_eq!(
        exhausted,
        [(
            Some("team".to_string()),
            vec!["team".to_string(), "w1".to_string()]
        )]
    );
    // Held: w1's task, still waiting to be typed, is not typed however long it waits;
    // more usage (the interrupted answer's last lines) stops nobody twice.
    sup.take_usage(spent("w1", 0.013, 1600), T0 + 10_000);
    for t in 10..40 {
        sup.tick(T0 + t * 1_000);
    }
    assert!(
        tmux.with_pane("w1", |p| p.typed.is_empty()),
        "no task while held"
    );
    assert_eq!(keys(&tmux, "w1"), ["C-c"], "interrupted once");
    assert_eq!(
        budget_events(&sup).len(),
        1 + 1 + 2,
        "warning, exhausted, two stops"
    );

    // A child spawned into the spent subtree waits, and says why.
    sup.store()
        .upsert_agent(&AgentRecord {
            name: "late".into(),
            parent: Some("w1".into()),
            kind: "shell".into(),
            cmd: "e".into(),
            cwd: None,
            task: None,
            env: Default::default(),
            stall_timeout_ms: 3_600_000,
            paused: false,
            on_idle: None,
            seq: 9,
            created_ms: T0 + 40_000,
        })
        .unwrap();
    sup.reload().unwrap();
    sup.tick(T0 + 41_000);
    let late = sup.snapshot(T0 + 41_000).agent("late").cloned().unwrap();
    assert_eq!(late.state, LifeState::Queued);
    assert_eq!(
        late.note(),
        "queued #1 not started: team's budget $0.01 spent"
    );
    assert!(!tmux.has_pane("late"));

    // Resume is refused while the budget is spent, and says what to do.
    let why = sup
        .execute(
            &Command::Pause {
                agent: "w1".into(),
                paused: false,
            },
            T0 + 42_000,
        )
        .unwrap_err();
    assert!(
        why.starts_with("w1 stays paused: team's budget $0.013 spent of $0.01"),
        "{why}"
    );
    assert!(
        why.contains("raise `budget` of agent \"team\" in the fleet file"),
        "{why}"
    );
    assert!(sup.snapshot(T0 + 42_000).agent("w1").unwrap().paused);

    // Raised: the queued child starts, and resume goes through, naming who else waits.
    sup.apply(
        Update::Fleet {
            fleet: file::parse(Path::new("t.toml"), &fleet_text("$1", "")).unwrap(),
            start: Vec::new(),
        },
        T0 + 43_000,
    );
    sup.tick(T0 + 44_000);
    assert!(tmux.has_pane("late"), "the queued child started");
    let ok = sup
        .execute(
            &Command::Pause {
                agent: "w1".into(),
                paused: false,
            },
            T0 + 45_000,
        )
        .unwrap();
    assert_eq!(
        ok,
        "resumed supervision of w1; the same budget still pauses team (`shoal resume NAME` each)"
    );
    for t in 45..60 {
        sup.tick(T0 + t * 1_000);
    }
    assert_eq!(
        tmux.with_pane("w1", |p| p.typed.clone()),
        ["write the report"],
        "resumed: its task is typed"
    );
    assert!(sup.snapshot(T0 + 60_000).agent("team").unwrap().paused);
    // Lowered below 80 % by the raise: spending to 80 % of the new dollar warns anew.
    sup.take_usage(spent("w1", 0.85, 90_000), T0 + 61_000);
    sup.tick(T0 + 61_000);
    assert_eq!(warnings(&sup), 2);
}

#[test]
fn a_spent_fleet_budget_cancels_every_live_agent_and_holds_retry() {
    let dir = tempfile::tempdir().unwrap();
    let tmux = FakeTmux::default();
    let text = fleet_text(
        "$100",
        "budget = \"$1\"\nbudget_action = \"cancel\"\ncancel_grace = \"5s\"",
    );
    let mut sup = open(dir.path(), &tmux, &text);
    sup.tick(T0);
    sup.tick(T0 + 1_000);
    // Jumping past 80 % straight to spent announces the spending only.
    sup.take_usage(spent("solo", 1.5, 1000), T0 + 2_000);
    sup.tick(T0 + 2_000);
    assert_eq!(warnings(&sup), 0);
    for a in ["boss", "team", "w1", "solo"] {
        assert_eq!(keys(&tmux, a), ["C-c"], "{a}");
    }
    let header = sup.snapshot(T0 + 2_000).stats.budgets[0].clone();
    assert_eq!(header.owner, None);
    assert_eq!(header.text(""), "fleet budget $1.00 spent");
    // The grace runs out: every agent ends cancelled, none restarts, retry is refused.
    for t in 3..12 {
        sup.tick(T0 + t * 1_000);
    }
    let snap = sup.snapshot(T0 + 12_000);
    for a in ["boss", "team", "w1", "solo"] {
        assert_eq!(snap.agent(a).unwrap().state, LifeState::Cancelled, "{a}");
    }
    let why = sup
        .execute(
            &Command::Retry {
                agent: "solo".into(),
            },
            T0 + 13_000,
        )
        .unwrap_err();
    assert!(
        why.starts_with("solo is not started: fleet budget $1.50 spent of $1.00"),
        "{why}"
    );
    assert!(
        why.contains("raise `budget` in [fleet]") && why.ends_with("`shoal retry solo`"),
        "{why}"
    );
}

#[test]
fn no_budget_means_no_budget_work() {
    let dir = tempfile::tempdir().unwrap();
    let tmux = FakeTmux::default();
    let text = "[fleet]\nname = \"b\"\n[[agent]]\nname = \"a\"\ncmd = \"a\"\n";
    let mut sup = open(dir.path(), &tmux, text);
    sup.tick(T0);
    sup.take_usage(spent("a", 50.0, 1000), T0 + 1_000);
    sup.tick(T0 + 1_000);
    assert!(sup.budgets.scopes.is_empty());
    assert!(budget_events(&sup).is_empty());
    assert!(sup
        .snapshot(T0 + 1_000)
        .agent("a")
        .unwrap()
        .lineage
        .budget
        .is_none());
    // Nothing changed since: the hook returns before evaluating anything.
    assert!(!sup.budgets.dirty);
    sup.tick(T0 + 2_000);
    assert!(!sup.budgets.dirty);
}
