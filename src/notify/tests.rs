//! Which changes notify, the desktop escapes, and the command hook.

use super::*;
use crate::fleet::sample::{agent, snapshot, NOW};
use crate::fleet::LifeState;

type Change = Box<dyn Fn(&mut AgentView)>;

fn pair(change: impl Fn(&mut AgentView)) -> (FleetSnapshot, FleetSnapshot) {
    let old = snapshot(vec![
        agent("a", None, Activity::Working),
        agent("b", None, Activity::Working),
    ]);
    let mut new = (*old).clone();
    change(&mut new.agents[0]);
    ((*old).clone(), new)
}

#[test]
fn each_kind_of_change_is_noticed_once() {
    let cases: [(&str, Change); 4] = [
        (
            "needs-input",
            Box::new(|a| a.activity = Activity::NeedsInput),
        ),
        ("warn", Box::new(|a| a.tier = Tier::Warn)),
        (
            "errored",
            Box::new(|a| {
                a.activity = Activity::Errored;
                a.error = Some(crate::fleet::ErrorKind::RateLimit);
            }),
        ),
        (
            "exited",
            Box::new(|a| {
                a.state = LifeState::Failed;
                a.activity = Activity::Exited;
                a.exit_status = Some(3);
            }),
        ),
    ];
    for (want, change) in cases {
        let (old, new) = pair(change);
        let got = changes(&old, &new, &NotifyOn::ALL);
        assert_eq!(got.len(), 1, "{want}: {got:?}");
        assert_eq!((got[0].agent.as_str(), got[0].event), ("a", want));
        // The same picture again is not news.
        assert!(
            changes(&new, &new, &NotifyOn::ALL).is_empty(),
            "{want} twice"
        );
    }
    let (old, new) = pair(|a| {
        a.state = LifeState::Failed;
        a.exit_status = Some(3);
    });
    assert_eq!(
        changes(&old, &new, &NotifyOn::ALL)[0].detail,
        "failed (exit status 3)"
    );
}

#[test]
fn a_reason_quoting_a_secret_is_redacted_in_the_notification() {
    let (old, new) = pair(|a| {
        a.activity = Activity::NeedsInput;
        a.reason =
            Some("needs-input by rule `x` on line 3: «token=ghp_0123456789abcdefABCDEF»".into());
    });
    let got = changes(&old, &new, &NotifyOn::ALL);
    assert_eq!(
        got[0].detail,
        "needs-input by rule `x` on line 3: «token=[REDACTED]»"
    );
    assert!(
        !got[0].summary().contains("ghp_0123"),
        "{}",
        got[0].summary()
    );
}

#[test]
fn only_the_configured_kinds_notify_and_new_agents_are_not_news() {
    let (old, new) = pair(|a| a.activity = Activity::NeedsInput);
    assert!(changes(&old, &new, &[NotifyOn::Exited]).is_empty());
    let empty = FleetSnapshot::default();
    assert!(changes(&empty, &new, &NotifyOn::ALL).is_empty());
}

#[test]
fn desktop_escapes_are_clean_and_pass_through_tmux() {
    assert_eq!(desktop_escape(Desktop::Off, "shoal", "x", false), None);
    assert_eq!(
        desktop_escape(Desktop::Osc9, "shoal", "a needs input\x07; now", false).unwrap(),
        "\x1b]9;shoal: a needs input, now\x07"
    );
    assert_eq!(
        desktop_escape(Desktop::Osc777, "shoal", "b exited", false).unwrap(),
        "\x1b]777;notify;shoal;b exited\x07"
    );
    assert_eq!(
        desktop_escape(Desktop::Osc9, "s", "x", true).unwrap(),
        "\x1bPtmux;\x1b\x1b]9;s: x\x07\x1b\\"
    );
}

fn event() -> NotifyEvent {
    NotifyEvent {
        fleet: "demo".into(),
        agent: "lead".into(),
        event: "needs-input",
        activity: "needs-input".into(),
        tier: "ok".into(),
        state: "running".into(),
        detail: "rule dialog matched".into(),
        at_ms: NOW,
    }
}

#[test]
fn the_command_reads_the_event_as_json_on_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("got.json");
    let script = dir.path().join("hook.sh");
    std::fs::write(&script, format!("#!/bin/sh\ncat > '{}'\n", out.display())).unwrap();
    let notifier = Notifier::spawn().unwrap();
    assert!(notifier.send(&format!("sh '{}'", script.display()), event()));
    notifier.finish();
    let text = std::fs::read_to_string(&out).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["agent"], "lead");
    assert_eq!(v["event"], "needs-input");
    assert_eq!(v["fleet"], "demo");
    assert_eq!(v["detail"], "rule dialog matched");
    assert_eq!(v["at_ms"], NOW);
}

#[test]
fn a_failing_or_hanging_command_is_reported_not_waited_for_forever() {
    let e = run_command("echo nope >&2; exit 4", &event(), COMMAND_TIMEOUT).unwrap_err();
    assert!(e.contains("exit status: 4") && e.contains("nope"), "{e}");
    let t0 = Instant::now();
    let e = run_command("sleep 5", &event(), Duration::from_millis(200)).unwrap_err();
    assert!(e.contains("was stopped"), "{e}");
    assert!(t0.elapsed() < Duration::from_secs(2));
    let notifier = Notifier::spawn().unwrap();
    notifier.send("exit 1", event());
    let t0 = Instant::now();
    let mut failures = Vec::new();
    while failures.is_empty() && t0.elapsed() < Duration::from_secs(3) {
        failures = notifier.failures();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        failures[0].contains("notification command for lead"),
        "{failures:?}"
    );
}

#[test]
fn an_exit_says_what_the_restart_policy_made_of_it() {
    let (old, new) = pair(|a| {
        a.state = LifeState::Failed;
        a.exit_status = Some(1);
        a.lineage.restart = Some(crate::fleet::RestartNote::Limit {
            max: 5,
            window_ms: 600_000,
        });
    });
    let got = changes(&old, &new, &NotifyOn::ALL);
    assert_eq!(
        got[0].detail,
        "failed (exit status 1); restart limit (5 in 10m)"
    );
    assert_eq!(
        got[0].summary(),
        "a exited: failed (exit status 1); restart limit (5 in 10m)"
    );
}

#[test]
fn a_budget_is_news_once_per_level_it_reaches() {
    use crate::fleet::{Budget, BudgetAction, BudgetNote, UsageSum, Usd};
    let note = |owner: Option<&str>, cost: f64| {
        let budget = Budget {
            limit: Usd(5_000_000),
            action: BudgetAction::Pause,
        };
        let spent = UsageSum {
            cost,
            ..UsageSum::default()
        };
        BudgetNote::new(owner.map(str::to_string), budget, &spent)
    };
    let with = |notes: Vec<BudgetNote>| {
        let mut s = (*snapshot(vec![agent("a", None, Activity::Working)])).clone();
        s.stats.budgets = notes;
        s
    };
    let low = with(vec![note(None, 1.0), note(Some("a"), 1.0)]);
    let warned = with(vec![note(None, 1.0), note(Some("a"), 4.1)]);
    let got = changes(&low, &warned, &NotifyOn::ALL);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!((got[0].agent.as_str(), got[0].event), ("a", "budget"));
    assert_eq!(got[0].summary(), "a: budget 82% of $5.00");
    assert!(changes(&warned, &warned, &NotifyOn::ALL).is_empty());
    let spent = with(vec![note(None, 5.5), note(Some("a"), 4.2)]);
    let got = changes(&warned, &spent, &NotifyOn::ALL);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        got[0].summary(),
        format!("fleet {}: fleet budget $5.00 spent", spent.fleet)
    );
    // Turned off in the config, or the first picture of a console: no news.
    assert!(changes(&low, &spent, &[NotifyOn::Exited]).is_empty());
    assert!(changes(&FleetSnapshot::default(), &spent, &NotifyOn::ALL).is_empty());
}

#[test]
fn an_agent_that_finished_its_turn_is_news_only_with_on_idle_notify() {
    let finished = |on_idle: crate::fleet::OnIdle| {
        move |a: &mut AgentView| {
            a.state = LifeState::Running;
            a.activity = Activity::Idle;
            a.next_action_at_ms = None;
            a.on_idle = on_idle;
        }
    };
    let (old, new) = pair(finished(crate::fleet::OnIdle::Notify));
    let got = changes(&old, &new, &NotifyOn::ALL);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].event, "waiting");
    assert_eq!(got[0].detail, "finished its turn; waiting for work");
    assert!(crate::app::needs_operator(&new.agents[0]));
    for quiet in [crate::fleet::OnIdle::None, crate::fleet::OnIdle::Nudge] {
        let (old, new) = pair(finished(quiet));
        assert!(changes(&old, &new, &NotifyOn::ALL).is_empty(), "{quiet:?}");
        assert!(!crate::app::needs_operator(&new.agents[0]), "{quiet:?}");
    }
    // Paused, it waits on the operator's word, not for work: no news.
    let (old, new) = pair(|a| {
        finished(crate::fleet::OnIdle::Notify)(a);
        a.paused = true;
    });
    assert!(changes(&old, &new, &NotifyOn::ALL).is_empty());
}
