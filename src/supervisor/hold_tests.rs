//! The ladder chases stalls only: an agent idle at its prompt waits for work, one that
//! shows a dialog waits for the operator, one that shows an error backs off (or stops on
//! a fatal one). Pure: the agent and a clock.

use super::agent::{Agent, Seen, Step};
use super::agent_tests::{policy, started, working, STALL, T0};
use super::detector::{digest, Observation};
use super::hold::{backoff_ms, Hold};
use crate::fleet::{Activity, ErrorKind, EventKind, OnIdle, Tier};
use std::sync::Arc;

fn show_obs(a: &mut Agent, tick: u64, screen: &str, obs: Observation, now: i64) {
    let hash = digest(screen);
    if a.captured(tick, &hash, screen) {
        return;
    }
    let seen = Seen {
        raw: Arc::from(screen),
        screen_hash: hash,
        proof: digest(screen),
        obs,
    };
    a.observe(seen, now);
}

fn shows(activity: Activity, error: Option<ErrorKind>) -> Observation {
    Observation {
        activity,
        error,
        ..Default::default()
    }
}

/// Walk the agent's steps from `from` to `to` every second, carrying out holds and
/// collecting every step asked for.
fn walk(a: &mut Agent, p: &super::agent::Policy<'_>, from: i64, to: i64) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut now = from;
    while now <= to {
        if let Some(step) = a.next_step(p, now) {
            a.intend(&step, now);
            match &step {
                Step::Hold(h) => {
                    a.held(h.clone(), now);
                }
                Step::Nudge(_) => {
                    a.nudged(Ok(()), now);
                }
                Step::Warn => {
                    a.warned(now);
                }
                Step::Resume(_) => {
                    a.resumed(Ok(()), now);
                }
                _ => {}
            }
            steps.push(step);
        }
        now += 1000;
    }
    steps
}

#[test]
fn idle_at_its_prompt_is_announced_once_and_never_nudged_with_on_idle_notify() {
    let mut a = working();
    show_obs(
        &mut a,
        2,
        "done\n> ",
        shows(Activity::Idle, None),
        T0 + 1000,
    );
    let p = policy();
    assert!(!a.ladder_applies_with(OnIdle::Notify));
    let steps = walk(&mut a, &p, T0 + 1000, T0 + 10 * STALL);
    assert_eq!(steps, vec![Step::Hold(Hold::WaitingForWork)]);
    assert_eq!(a.att.tier, Tier::Ok, "an idle agent climbed the ladder");
    assert!(a.is_live());
    assert!(
        a.view_with(&p.escalation, OnIdle::Notify)
            .next_action_at_ms
            .is_none(),
        "the console shows a countdown to a nudge that never comes"
    );
    // Working again, then idle again: a new wait, announced again.
    show_obs(
        &mut a,
        3,
        "more",
        shows(Activity::Working, None),
        T0 + 11 * STALL,
    );
    show_obs(
        &mut a,
        4,
        "done\n> ",
        shows(Activity::Idle, None),
        T0 + 12 * STALL,
    );
    let again = walk(&mut a, &p, T0 + 12 * STALL, T0 + 20 * STALL);
    assert_eq!(again, vec![Step::Hold(Hold::WaitingForWork)]);
}

#[test]
fn on_idle_nudge_treats_the_prompt_as_a_stall_and_none_says_nothing() {
    let mut a = working();
    show_obs(&mut a, 2, "> ", shows(Activity::Idle, None), T0);
    let nudge = super::agent::Policy {
        on_idle: OnIdle::Nudge,
        ..policy()
    };
    assert_eq!(
        a.next_step(&nudge, T0 + STALL),
        Some(Step::Nudge("NUDGE".into()))
    );
    let none = super::agent::Policy {
        on_idle: OnIdle::None,
        ..policy()
    };
    assert!(walk(&mut a.clone(), &none, T0, T0 + 10 * STALL).is_empty());
    // The agent's own setting wins over the fleet's.
    let mut own = a.clone();
    own.decl.on_idle = Some(OnIdle::Nudge);
    assert_eq!(
        own.next_step(&policy(), T0 + STALL),
        Some(Step::Nudge("NUDGE".into()))
    );
    let mut quiet = a.clone();
    quiet.decl.on_idle = Some(OnIdle::None);
    assert_eq!(quiet.next_step(&nudge, T0 + 10 * STALL), None);
}

#[test]
fn a_dialog_waits_for_the_operator_however_long() {
    let mut a = working();
    show_obs(&mut a, 2, "Allow? ", shows(Activity::NeedsInput, None), T0);
    assert!(walk(&mut a, &policy(), T0, T0 + 10 * STALL).is_empty());
    assert_eq!(a.att.tier, Tier::Ok);
}

#[test]
fn a_rate_limit_without_a_reset_time_backs_off_exponentially_and_is_never_nudged() {
    let mut a = working();
    let since = T0 + 1000;
    show_obs(
        &mut a,
        2,
        "429",
        shows(Activity::Errored, Some(ErrorKind::RateLimit)),
        since,
    );
    let p = policy();
    let steps = walk(&mut a, &p, since, since + backoff_ms(0) + backoff_ms(1));
    let first = since + backoff_ms(0);
    assert_eq!(
        steps,
        vec![
            Step::Hold(Hold::BackingOff {
                error: Some(ErrorKind::RateLimit),
                retry_at_ms: first,
                reset_shown: false,
                retries: 0
            }),
            Step::Resume("continue".into()),
            Step::Hold(Hold::BackingOff {
                error: Some(ErrorKind::RateLimit),
                retry_at_ms: first + backoff_ms(1),
                reset_shown: false,
                retries: 1
            }),
            Step::Resume("continue".into()),
        ],
        "30 s, then 60 s after the first try; no nudge in between"
    );
    assert_eq!(a.att.tier, Tier::Ok);
    // The announcement is an event the operator reads.
    let e = a.held(
        Hold::BackingOff {
            error: Some(ErrorKind::RateLimit),
            retry_at_ms: first,
            reset_shown: false,
            retries: 0,
        },
        since,
    );
    assert_eq!(e.kind.name(), "backoff");
    assert!(
        e.kind.render().contains("backing off"),
        "{}",
        e.kind.render()
    );
    // A finished turn ends the backoff: the next error starts at 30 s again.
    show_obs(
        &mut a,
        3,
        "> ",
        shows(Activity::Idle, None),
        since + 200_000,
    );
    show_obs(
        &mut a,
        4,
        "429 again",
        shows(Activity::Errored, Some(ErrorKind::RateLimit)),
        since + 300_000,
    );
    assert_eq!(
        a.next_step(&p, since + 300_000),
        Some(Step::Hold(Hold::BackingOff {
            error: Some(ErrorKind::RateLimit),
            retry_at_ms: since + 300_000 + backoff_ms(0),
            reset_shown: false,
            retries: 0
        }))
    );
}

#[test]
fn without_resume_after_reset_an_errored_agent_only_waits() {
    let mut a = working();
    show_obs(
        &mut a,
        2,
        "503",
        shows(Activity::Errored, Some(ErrorKind::Overloaded)),
        T0,
    );
    let off = super::agent::Policy {
        resume_after_reset: false,
        ..policy()
    };
    assert!(walk(&mut a, &off, T0, T0 + 10 * STALL).is_empty());
    assert_eq!(a.att.tier, Tier::Ok, "an errored agent climbed the ladder");
}

#[test]
fn a_fatal_error_stops_the_agent_with_one_event_and_nothing_typed() {
    for error in [ErrorKind::Auth, ErrorKind::Quota, ErrorKind::ModelNotFound] {
        let mut a = started(None);
        show_obs(&mut a, 1, "401", shows(Activity::Errored, Some(error)), T0);
        let steps = walk(&mut a, &policy(), T0, T0 + 10 * STALL);
        assert_eq!(steps, vec![Step::Hold(Hold::Fatal { error })], "{error}");
        assert!(a.is_live(), "{error}: the agent was killed");
        let e = a.held(Hold::Fatal { error }, T0);
        assert!(matches!(e.kind, EventKind::FatalError { .. }));
        assert_eq!(e.kind.level(), crate::fleet::Level::Error);
    }
}

fn readiness(ready: bool) -> Observation {
    Observation {
        activity: if ready {
            Activity::Idle
        } else {
            Activity::Working
        },
        ready: Some(ready),
        ..Default::default()
    }
}

#[test]
fn the_task_waits_for_a_ready_prompt_with_no_fixed_timeout_and_one_event() {
    use super::hold::NOT_READY_AFTER_MS;
    let mut a = started(Some("fix the bug"));
    let p = policy();
    // Still starting (a banner, no prompt): past the old fixed timeout, nothing is typed.
    show_obs(&mut a, 1, "Initializing...", readiness(false), T0 + 500);
    assert_eq!(a.next_step(&p, T0 + p.task_ready_timeout_ms + 1), None);
    let steps = walk(&mut a, &p, T0 + 1000, T0 + NOT_READY_AFTER_MS + 20_000);
    assert_eq!(
        steps,
        vec![Step::Hold(Hold::NotReady {
            waited_s: NOT_READY_AFTER_MS / 1000
        })],
        "told once, and the task waits"
    );
    assert_eq!(a.att.state, crate::fleet::LifeState::Starting);
    // The prompt shows: now the task is typed.
    show_obs(
        &mut a,
        2,
        "> ",
        readiness(true),
        T0 + NOT_READY_AFTER_MS + 21_000,
    );
    assert_eq!(
        a.next_step(&p, T0 + NOT_READY_AFTER_MS + 21_000),
        Some(Step::Task("fix the bug".into()))
    );
    // A profile that cannot tell keeps the old rule: idle, or the timeout.
    let mut b = started(Some("t"));
    show_obs(&mut b, 1, "banner", shows(Activity::Working, None), T0);
    assert_eq!(b.next_step(&p, T0 + p.task_ready_timeout_ms - 1), None);
    assert_eq!(
        b.next_step(&p, T0 + p.task_ready_timeout_ms),
        Some(Step::Task("t".into()))
    );
}

#[test]
fn a_task_the_cli_did_not_take_is_reported_once_and_not_typed_again() {
    let mut a = started(Some("fix the bug"));
    show_obs(&mut a, 1, "> ", readiness(true), T0);
    let step = a.next_step(&policy(), T0).expect("task");
    a.intend(&step, T0);
    let e = a.task_undelivered("Enter did not submit it".into(), T0 + 100);
    assert!(matches!(&e.kind, EventKind::TaskFailed { error } if error.contains("Enter")));
    assert_eq!(a.att.state, crate::fleet::LifeState::Running);
    assert!(a.att.task_sent);
    assert_ne!(
        a.next_step(&policy(), T0 + 200),
        Some(Step::Task("fix the bug".into()))
    );
}

#[test]
fn a_restarted_supervisor_keeps_doubling_the_backoff() {
    let mut a = working();
    let since = T0 + 1000;
    show_obs(
        &mut a,
        2,
        "429",
        shows(Activity::Errored, Some(ErrorKind::RateLimit)),
        since,
    );
    let p = policy();
    // Two tries, at 30 s and 60 s after it.
    let tried = since + backoff_ms(0) + backoff_ms(1);
    walk(&mut a, &p, since, tried);
    assert_eq!(a.att.retries, 2, "the tries are on the attempt's record");
    // A new supervisor loads the attempt as stored and sees the same error.
    let mut b = Agent::new(a.decl.clone(), a.att.clone());
    show_obs(
        &mut b,
        1,
        "429",
        shows(Activity::Errored, Some(ErrorKind::RateLimit)),
        tried + 1000,
    );
    assert_eq!(
        b.next_step(&p, tried + 1000),
        Some(Step::Hold(Hold::BackingOff {
            error: Some(ErrorKind::RateLimit),
            retry_at_ms: tried + backoff_ms(2),
            reset_shown: false,
            retries: 2
        })),
        "the third wait is 2 m, not 30 s again"
    );
}
