//! Usage in the supervisor with a scripted tmux server: reports become store rows, log
//! lines and views, and roll up a three-level tree.

use super::super::testkit::{FakeDetector, FakeTmux};
use super::super::{declare, Supervisor};
use crate::fleet::file;
use crate::store::Store;
use crate::usage::worker::Report;
use crate::usage::Tokens;
use std::path::Path;

const T0: i64 = 1_000_000;

fn supervisor(dir: &Path) -> (FakeTmux, Supervisor) {
    let text =
        "[fleet]\nname = \"u\"\n[[agent]]\nname = \"lead\"\nkind = \"claude\"\ncmd = \"a\"\n\
                [[agent]]\nname = \"mid\"\nkind = \"claude\"\ncmd = \"b\"\nparent = \"lead\"\n\
                [[agent]]\nname = \"leaf\"\nkind = \"codex\"\ncmd = \"c\"\nparent = \"mid\"\n\
                [[agent]]\nname = \"other\"\nkind = \"aider\"\ncmd = \"d\"\n";
    let fleet = file::parse(Path::new("t.toml"), text).unwrap();
    let store = Store::open(&dir.join("t.sqlite")).unwrap();
    declare(&store, &fleet, &FakeDetector, T0).unwrap();
    let tmux = FakeTmux::default();
    let mut sup = Supervisor::new(
        fleet.settings.clone(),
        dir.to_path_buf(),
        store,
        Box::new(FakeDetector),
        tmux.connector(),
    )
    .unwrap();
    // The built-in prices, whatever the machine's config directory holds.
    sup.usage.prices = Some(crate::usage::PriceTable::builtin());
    (tmux, sup)
}

fn report(agent: &str, model: &str, input: u64, output: u64) -> Report {
    Report {
        agent: agent.into(),
        attempt: 1,
        totals: [(
            model.to_string(),
            Tokens {
                input,
                output,
                ..Tokens::default()
            },
        )]
        .into_iter()
        .collect(),
        screen_cost: None,
        skipped: 0,
        note: None,
        session: None,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn usage_rolls_up_a_three_level_tree_and_the_fleet() {
    let dir = tempfile::tempdir().unwrap();
    let (_tmux, mut sup) = supervisor(dir.path());
    sup.tick(T0);
    // claude-sonnet-4-5: $3 in, $15 out per million.
    sup.take_usage(report("lead", "claude-sonnet-4-5", 1_000_000, 0), T0);
    sup.take_usage(report("mid", "claude-sonnet-4-5", 0, 100_000), T0);
    sup.take_usage(report("leaf", "gpt-5", 1_000_000, 0), T0);
    sup.take_usage(report("other", "mock-model", 500, 7), T0);
    let snap = sup.snapshot(T0 + 3_600_000);
    let u = |n: &str| snap.agent(n).unwrap().usage;
    assert!(close(u("lead").own.cost, 3.0));
    assert!(close(u("mid").own.cost, 1.5));
    assert!(close(u("leaf").own.cost, 1.25));
    assert!(close(u("mid").subtree.cost, 2.75), "{:?}", u("mid"));
    assert!(close(u("lead").subtree.cost, 5.75), "{:?}", u("lead"));
    assert_eq!(u("lead").subtree.tokens.input, 2_000_000);
    assert!(!u("lead").subtree.unpriced);
    assert!(u("other").own.unpriced && u("other").own.cost == 0.0);
    assert_eq!(u("other").own.label(), "507 tok?");
    let fleet = snap.usage_total();
    assert!(close(fleet.cost, 5.75) && fleet.unpriced, "{fleet:?}");
    assert_eq!(u("lead").own.label(), "$3.00");
}

#[test]
fn a_growing_report_stores_only_the_increase_and_logs_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_tmux, mut sup) = supervisor(dir.path());
    sup.tick(T0);
    sup.take_usage(report("lead", "claude-sonnet-4-5", 100, 20), T0);
    sup.take_usage(report("lead", "claude-sonnet-4-5", 100, 20), T0 + 5_000);
    sup.take_usage(report("lead", "claude-sonnet-4-5", 200, 40), T0 + 4_000_000);
    let rows = sup.store.usage_rows(None, true).unwrap();
    assert_eq!(rows.len(), 2, "two hours: {rows:?}");
    assert_eq!(rows[0].tokens.input, 100);
    assert_eq!(rows[1].tokens.input, 100);
    let summed = sup.store.usage_rows(None, false).unwrap();
    assert_eq!(summed[0].tokens.output, 40);
    let logs = sup
        .store
        .query_logs(&crate::logs::LogQuery::default())
        .unwrap();
    let usage: Vec<_> = logs
        .entries
        .iter()
        .filter(|l| l.message.starts_with("usage claude-sonnet-4-5"))
        .collect();
    assert_eq!(usage.len(), 2, "one line per increase");
    // A new supervisor on the same store starts from the stored totals: a report of the
    // same cumulative totals adds nothing.
    drop(sup);
    let (_tmux, mut again) = supervisor(dir.path());
    again.take_usage(report("lead", "claude-sonnet-4-5", 200, 40), T0 + 4_100_000);
    let summed = again.store.usage_rows(None, false).unwrap();
    assert_eq!(summed[0].tokens.input, 200);
}

#[test]
fn a_screen_cost_wins_over_prices() {
    let dir = tempfile::tempdir().unwrap();
    let (_tmux, mut sup) = supervisor(dir.path());
    sup.tick(T0);
    let mut r = report("other", crate::usage::meter::SCREEN_MODEL, 4200, 312);
    r.screen_cost = Some(0.10);
    sup.take_usage(r.clone(), T0);
    r.totals.values_mut().for_each(|t| t.input += 1000);
    r.screen_cost = Some(0.25);
    sup.take_usage(r, T0 + 5_000);
    let v = sup.snapshot(T0).agent("other").unwrap().usage;
    assert!(close(v.own.cost, 0.25), "{v:?}");
    assert!(!v.own.unpriced);
}
