//! One agent's state machine on its own: captures in, steps and events out, a clock
//! passed in. No tmux, no store, no fakes.

use super::agent::{Agent, Ending, Policy, Seen, Step};
use super::detector::Observation;
use crate::fleet::{Activity, Escalation, EventKind, LifeState, Tier};
use crate::store::{AgentRecord, AttemptRecord, NewEvent};
use std::sync::Arc;

pub(super) const T0: i64 = 1_000_000;
pub(super) const STALL: i64 = 10_000;

pub(super) fn decl(task: Option<&str>) -> AgentRecord {
    AgentRecord {
        name: "a".into(),
        parent: None,
        kind: "claude".into(),
        cmd: "claude".into(),
        cwd: None,
        task: task.map(Into::into),
        env: Default::default(),
        stall_timeout_ms: STALL as u64,
        paused: false,
        on_idle: None,
        seq: 0,
        created_ms: 0,
    }
}

pub(super) fn policy() -> Policy<'static> {
    Policy {
        escalation: Escalation::default(),
        nudge_message: "NUDGE",
        task_ready_timeout_ms: 5_000,
        resume_after_reset: true,
        continue_message: Some("continue"),
        on_idle: crate::fleet::OnIdle::Notify,
    }
}

/// An agent whose attempt 1 just started at `T0`.
pub(super) fn started(task: Option<&str>) -> Agent {
    let mut a = Agent::new(decl(task), AttemptRecord::default());
    let e = a.started(1, "shoal-t", "%1", T0);
    assert_eq!(e.kind.name(), "start");
    a
}

/// Show the agent a screen at `now`: unchanged screens are only marked captured.
pub(super) fn show(
    a: &mut Agent,
    tick: u64,
    screen: &str,
    activity: Activity,
    now: i64,
) -> Vec<NewEvent> {
    let hash = super::detector::digest(screen);
    if a.captured(tick, &hash, screen) {
        return Vec::new();
    }
    let seen = Seen {
        raw: Arc::from(screen),
        screen_hash: hash,
        proof: super::detector::digest(screen),
        obs: Observation {
            activity,
            ..Default::default()
        },
    };
    a.observe(seen, now)
}

pub(super) fn kinds(events: &[NewEvent]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind.name()).collect()
}

/// A running agent (no task), seen working at `T0`.
pub(super) fn working() -> Agent {
    let mut a = started(None);
    show(&mut a, 1, "working 0", Activity::Working, T0);
    assert_eq!(a.att.state, LifeState::Running);
    a
}

#[test]
fn the_ladder_nudges_warns_and_kills_at_one_two_three_timeouts() {
    let mut a = working();
    let p = policy();
    assert_eq!(a.next_step(&p, T0 + STALL - 1), None);
    assert_eq!(
        a.next_step(&p, T0 + STALL),
        Some(Step::Nudge("NUDGE".into()))
    );
    let e = a.nudged(Ok(()), T0 + STALL);
    assert_eq!(a.att.tier, Tier::Nudge);
    assert!(matches!(
        e.kind,
        EventKind::Nudged {
            stalled_s: 10,
            failed: None
        }
    ));
    assert_eq!(a.next_step(&p, T0 + 2 * STALL - 1), None);
    assert_eq!(a.next_step(&p, T0 + 2 * STALL), Some(Step::Warn));
    a.warned(T0 + 2 * STALL);
    assert_eq!(a.att.tier, Tier::Warn);
    let step = a.next_step(&p, T0 + 3 * STALL);
    assert_eq!(step, Some(Step::Kill(Ending::Ladder { stalled_s: 30 })));
    let e = a.killed(
        &Ending::Ladder { stalled_s: 30 },
        Some("last".into()),
        None,
        T0 + 3 * STALL,
    );
    assert_eq!(a.att.state, LifeState::Killed);
    assert_eq!(a.att.tier, Tier::Kill);
    assert!(e.final_screen, "the final screen goes with the kill event");
    assert_eq!(e.capture_text.as_deref(), Some("last"));
    assert_eq!(
        a.next_step(&p, T0 + 9 * STALL),
        None,
        "nothing after the end"
    );
}

#[test]
fn a_long_absence_still_steps_one_tier_at_a_time() {
    let a = working();
    assert_eq!(
        a.next_step(&policy(), T0 + 50 * STALL),
        Some(Step::Nudge("NUDGE".into()))
    );
}

#[test]
fn progress_puts_a_nudged_agent_back_to_ok_but_the_echo_of_the_nudge_does_not() {
    let mut a = working();
    let t = T0 + STALL;
    a.nudged(Ok(()), t);
    // The nudge's own echo, within the echo window, is not progress.
    let events = show(&mut a, 2, "working 0\nNUDGE", Activity::Working, t + 500);
    assert!(kinds(&events).is_empty(), "{:?}", kinds(&events));
    assert_eq!(a.att.tier, Tier::Nudge);
    // Real output afterwards is.
    let events = show(&mut a, 3, "working 1", Activity::Working, t + 3000);
    assert_eq!(kinds(&events), ["tier"]);
    assert_eq!(a.att.tier, Tier::Ok);
    assert_eq!(a.att.last_progress_ms, t + 3000);
}

#[test]
fn an_unchanged_screen_is_not_progress() {
    let mut a = working();
    assert!(show(&mut a, 2, "working 0", Activity::Working, T0 + 5000).is_empty());
    assert_eq!(a.att.last_progress_ms, T0);
}

#[test]
fn a_dialog_holds_the_ladder_and_its_wait_restarts_the_clock() {
    let mut a = working();
    let t = T0 + STALL - 1;
    let events = show(
        &mut a,
        2,
        "Do you want to proceed?",
        Activity::NeedsInput,
        t,
    );
    assert_eq!(kinds(&events), ["activity"]);
    assert!(events[0].capture_text.is_some(), "the screen goes with it");
    assert_eq!(a.next_step(&policy(), t + 10 * STALL), None);
    assert!(a.check_answerable(crate::fleet::Verb::Approve).is_ok());
    show(
        &mut a,
        3,
        "working again",
        Activity::Working,
        t + 20 * STALL,
    );
    assert_eq!(a.att.last_progress_ms, t + 20 * STALL);
    assert!(a.check_answerable(crate::fleet::Verb::Approve).is_err());
}

#[test]
fn the_task_is_typed_once_the_agent_looks_ready_or_after_the_timeout() {
    let p = policy();
    // Not yet captured: nothing.
    let mut a = started(Some("build it"));
    assert_eq!(a.next_step(&p, T0 + 100_000), None);
    // Captured but busy starting up: waits, then types after the timeout.
    show(&mut a, 1, "loading", Activity::Working, T0 + 1000);
    assert_eq!(a.next_step(&p, T0 + 4999), None);
    assert_eq!(
        a.next_step(&p, T0 + 5000),
        Some(Step::Task("build it".into()))
    );
    // Idle at its prompt: typed at once.
    let mut b = started(Some("build it"));
    show(&mut b, 1, "> ", Activity::Idle, T0 + 100);
    assert_eq!(
        b.next_step(&p, T0 + 100),
        Some(Step::Task("build it".into()))
    );
    let e = b.task_typed("build it", Ok(()), T0 + 100);
    assert_eq!(e.kind.name(), "task");
    assert_eq!(b.att.state, LifeState::Running);
    assert!(b.att.task_sent);
    // A failed attempt to type is reported and tried again.
    let mut c = started(Some("build it"));
    show(&mut c, 1, "> ", Activity::Idle, T0 + 100);
    let e = c.task_typed("build it", Err("pane gone".into()), T0 + 100);
    assert!(matches!(e.kind, EventKind::TaskFailed { .. }));
    assert_eq!(c.att.state, LifeState::Starting);
    assert!(c.next_step(&p, T0 + 200).is_some());
}

#[test]
fn an_errored_agent_waits_for_its_reset_then_is_resumed_once() {
    let mut a = working();
    let reset = T0 + 60_000;
    let hash = super::detector::digest("429");
    a.captured(2, &hash, "429");
    a.observe(
        Seen {
            raw: Arc::from("429"),
            screen_hash: hash,
            proof: "p429".into(),
            obs: Observation {
                activity: Activity::Errored,
                error: Some(crate::fleet::ErrorKind::RateLimit),
                reason: None,
                reset_at_ms: Some(reset),
                ready: None,
            },
        },
        T0 + 1000,
    );
    let p = policy();
    assert!(!a.ladder_applies(), "no ladder while a reset time is ahead");
    // The wait is announced once, with the reset time.
    let Some(Step::Hold(hold)) = a.next_step(&p, reset - 1) else {
        panic!("the wait for the reset time is not announced");
    };
    let e = a.held(hold, reset - 1);
    assert!(matches!(
        e.kind,
        EventKind::BackingOff {
            retry_at_ms,
            reset_shown: true,
            ..
        } if retry_at_ms == reset
    ));
    assert_eq!(a.next_step(&p, reset - 1), None);
    assert_eq!(
        a.next_step(&p, reset),
        Some(Step::Resume("continue".into()))
    );
    a.resumed(Ok(()), reset);
    assert_eq!(a.next_step(&p, reset + 1), None, "once per reset time");
    let off = Policy {
        resume_after_reset: false,
        ..policy()
    };
    let mut b = a.clone();
    b.att.reset_at_ms = Some(reset + 5000);
    assert_eq!(b.next_step(&off, reset + 9000), None);
}

#[test]
fn a_cancel_kills_at_its_deadline_and_ends_cancelled() {
    let mut a = working();
    a.cancelling(T0 + 2000);
    assert!(!a.ladder_applies());
    assert_eq!(a.next_step(&policy(), T0 + 1999), None);
    assert_eq!(
        a.next_step(&policy(), T0 + 2000),
        Some(Step::Kill(Ending::CancelGrace))
    );
    let e = a.killed(&Ending::CancelGrace, None, None, T0 + 2000);
    assert_eq!(e.kind.name(), "cancel");
    assert_eq!(a.att.state, LifeState::Cancelled);
    assert_eq!(a.att.tier, Tier::Ok, "a cancel is not a ladder kill");
    // A pane that exits during the grace period also ends cancelled.
    let mut b = working();
    b.cancelling(T0 + 2000);
    b.died(Some(130), T0 + 500);
    assert_eq!(b.att.state, LifeState::Cancelled);
}

#[test]
fn death_records_the_status_and_the_final_screen() {
    for (status, state) in [
        (Some(0), LifeState::Done),
        (Some(3), LifeState::Failed),
        (None, LifeState::Failed),
    ] {
        let mut a = working();
        let e = a.died(status, T0 + 10);
        assert_eq!(a.att.state, state);
        assert_eq!(a.att.exit_status, status);
        assert_eq!(a.att.activity, Activity::Exited);
        assert!(e.final_screen);
        assert_eq!(e.capture_text.as_deref(), Some("working 0"));
        assert_eq!(e.kind, EventKind::Exited { status, state });
    }
    let mut a = working();
    let e = a.vanished(T0 + 10);
    assert_eq!(a.att.state, LifeState::Failed);
    assert!(matches!(e.kind, EventKind::Vanished { .. }));
    let mut b = working();
    b.server_gone("shoal-t", T0 + 10);
    assert_eq!(b.att.state, LifeState::Failed);
}

#[test]
fn pausing_holds_the_ladder_and_resuming_restarts_the_clock() {
    let mut a = working();
    a.paused(true, T0);
    assert_eq!(a.next_step(&policy(), T0 + 10 * STALL), None);
    assert!(a.view(&Escalation::default()).next_action_at_ms.is_none());
    a.paused(false, T0 + 10 * STALL);
    assert_eq!(a.att.last_progress_ms, T0 + 10 * STALL);
    assert_eq!(
        a.view(&Escalation::default()).next_action_at_ms,
        Some(T0 + 11 * STALL)
    );
}

#[test]
fn a_holding_signal_holds_the_ladder_until_answered() {
    let mut a = working();
    a.signalled(T0 + 100);
    a.set_held_by_signal(true);
    assert_eq!(a.next_step(&policy(), T0 + 10 * STALL), None);
    let refusal = a.check_answerable(crate::fleet::Verb::Approve).unwrap_err();
    assert!(refusal.contains("shoal send a"), "{refusal}");
    a.answered(T0 + 10 * STALL);
    assert!(!a.held_by_signal());
    assert_eq!(
        a.next_step(&policy(), T0 + 11 * STALL),
        Some(Step::Nudge("NUDGE".into()))
    );
}

#[test]
fn a_signalled_end_puts_the_final_screen_on_the_next_event() {
    let mut a = working();
    a.signalled_end(LifeState::Done, T0 + 10);
    assert_eq!(a.att.state, LifeState::Done);
    let mut e = NewEvent::agent(T0 + 10, "a", 1, EventKind::ProfilesReloaded);
    a.take_final_screen(&mut e);
    assert!(e.final_screen);
    let mut again = NewEvent::agent(T0 + 11, "a", 1, EventKind::ProfilesReloaded);
    a.take_final_screen(&mut again);
    assert!(!again.final_screen, "only once");
}

#[test]
fn an_agent_loaded_on_the_ladder_takes_its_next_screen_as_a_baseline() {
    let att = AttemptRecord {
        agent: "a".into(),
        attempt: 1,
        state: LifeState::Running,
        tier: Tier::Nudge,
        last_progress_ms: T0,
        proof_hash: Some("old".into()),
        ..Default::default()
    };
    let mut a = Agent::new(decl(None), att);
    show(
        &mut a,
        1,
        "changed since the restart",
        Activity::Working,
        T0 + STALL + 1,
    );
    assert_eq!(a.att.tier, Tier::Nudge, "a baseline is not progress");
    assert_eq!(a.att.last_progress_ms, T0);
    show(
        &mut a,
        2,
        "really new output",
        Activity::Working,
        T0 + STALL + 2,
    );
    assert_eq!(a.att.tier, Tier::Ok);
}

#[test]
fn the_echo_window_runs_from_the_end_of_a_slow_delivery() {
    // A confirmed delivery that took 3 s ended at T0 + 3 s; recording the step at its
    // tick's start time must not shorten the window.
    let mut a = working();
    a.typed(T0 + 3000);
    a.nudged(Ok(()), T0);
    let echo = show(
        &mut a,
        2,
        "working 0\n> NUDGE",
        Activity::Working,
        T0 + 4000,
    );
    assert!(kinds(&echo).is_empty(), "{:?}", kinds(&echo));
    assert_eq!(
        a.att.tier,
        Tier::Nudge,
        "the echo of the nudge counted as progress"
    );
    show(
        &mut a,
        3,
        "working 1",
        Activity::Working,
        T0 + 3000 + super::agent::ECHO_WINDOW_MS,
    );
    assert_eq!(a.att.tier, Tier::Ok, "real progress after the window");
}

#[test]
fn the_echo_seen_when_a_delivery_was_confirmed_is_the_baseline_however_late_the_next_capture() {
    let mut a = working();
    a.nudged(Ok(()), T0);
    // The screen read back when the CLI took the nudge shows it in the transcript.
    a.echo_seen(super::detector::digest("working 0\n> NUDGE"));
    let late = T0 + 10 * super::agent::ECHO_WINDOW_MS;
    show(&mut a, 2, "working 0\n> NUDGE", Activity::Working, late);
    assert_eq!(a.att.tier, Tier::Nudge, "the echo counted as progress");
}
