//! Agent-native signals in one agent's state machine: a hook or a pane title says what
//! the agent does, the screen judges. No tmux, no store; the clock is passed in.

use super::agent::{Signal, Step, SIGNAL_GRACE_MS};
use super::agent_tests::{kinds, policy, show, working, STALL, T0};
use crate::fleet::{Activity, Claim, EventKind};

fn hook(event: &str, claim: Claim, at_ms: i64) -> Signal {
    Signal {
        source: format!("hook {event}"),
        claim,
        at_ms,
    }
}

#[test]
fn a_hook_the_screen_bears_out_is_acted_on_at_the_first_capture() {
    let mut a = working();
    let t = T0 + 1_000;
    a.signal(hook("PermissionRequest", Claim::NeedsInput, t));
    assert!(a.signal_pending(), "its pane is captured at once");
    // The capture the hook woke, 50 ms later, shows the dialog.
    let events = show(
        &mut a,
        2,
        "Do you want to proceed?",
        Activity::NeedsInput,
        t + 50,
    );
    assert_eq!(kinds(&events), ["activity"]);
    assert_eq!(a.att.activity, Activity::NeedsInput);
    let rule = events[0].rule.as_deref().unwrap_or_default();
    assert!(
        rule.contains("signalled by hook PermissionRequest"),
        "{rule}"
    );
    assert!(!a.signal_pending(), "settled by the screen");
    assert!(a.weigh_signals(t + SIGNAL_GRACE_MS * 5).is_empty());
    // Waiting for the operator, not a stall.
    assert_eq!(a.next_step(&policy(), t + 10 * STALL), None);
}

#[test]
fn a_hook_the_screen_contradicts_changes_nothing_and_the_disagreement_is_an_event() {
    let mut a = working();
    let t = T0 + 1_000;
    a.signal(hook("PermissionRequest", Claim::NeedsInput, t));
    let events = show(&mut a, 2, "still working 1", Activity::Working, t + 50);
    assert!(events.is_empty(), "{:?}", kinds(&events));
    // Within the grace the CLI may still be drawing its dialog: no verdict yet.
    assert!(a.weigh_signals(t + 50).is_empty());
    assert!(a.signal_pending());
    assert!(a.weigh_signals(t + SIGNAL_GRACE_MS - 1).is_empty());
    let events = a.weigh_signals(t + SIGNAL_GRACE_MS);
    assert_eq!(kinds(&events), ["disagree"]);
    assert_eq!(
        events[0].kind,
        EventKind::SignalDisagreed {
            signal: "hook PermissionRequest".into(),
            claim: Claim::NeedsInput,
            screen: Activity::Working,
        }
    );
    assert_eq!(
        events[0].capture_text.as_deref(),
        Some("still working 1"),
        "the screen that won goes with the event"
    );
    // The screen won: still working, and the ladder still runs on it.
    assert_eq!(a.att.activity, Activity::Working);
    assert!(!a.signal_pending());
    let reason = a.att.reason.clone().unwrap_or_default();
    assert!(
        reason.contains("hook PermissionRequest said needs-input: the screen wins"),
        "{reason}"
    );
    assert_eq!(
        a.next_step(&policy(), t + 50 + STALL),
        Some(Step::Nudge("NUDGE".into()))
    );
    // A second verdict replaces the first in the reason, it does not pile up.
    a.signal(hook("Stop", Claim::Idle, t + STALL));
    a.weigh_signals(t + STALL + SIGNAL_GRACE_MS);
    let reason = a.att.reason.clone().unwrap_or_default();
    assert!(
        reason.contains("hook Stop said idle") && !reason.contains("PermissionRequest"),
        "{reason}"
    );
}

#[test]
fn a_screen_that_catches_up_within_the_grace_agrees() {
    let mut a = working();
    let t = T0 + 1_000;
    a.signal(hook("Stop", Claim::Idle, t));
    show(&mut a, 2, "finishing 1", Activity::Working, t + 50);
    assert!(a.weigh_signals(t + 50).is_empty());
    let events = show(&mut a, 3, "❯ ", Activity::Idle, t + 400);
    assert_eq!(kinds(&events), ["activity"]);
    assert!(events[0]
        .rule
        .as_deref()
        .unwrap_or_default()
        .contains("hook Stop"));
    assert!(a.weigh_signals(t + 10 * SIGNAL_GRACE_MS).is_empty());
    assert!(!a.signal_pending());
}

#[test]
fn a_claim_already_on_the_screen_agrees_without_an_event() {
    let mut a = working();
    show(&mut a, 2, "dialog", Activity::NeedsInput, T0 + 100);
    a.signal(hook(
        "Notification:permission_prompt",
        Claim::NeedsInput,
        T0 + 6_000,
    ));
    // The capture it woke finds the same screen (no change to observe).
    assert!(show(&mut a, 3, "dialog", Activity::NeedsInput, T0 + 6_050).is_empty());
    assert!(a.weigh_signals(T0 + 6_050).is_empty());
    assert!(!a.signal_pending());
    // "Waiting" (aider) agrees with a dialog as with a prompt.
    a.signal(hook("notification", Claim::Waiting, T0 + 7_000));
    assert!(a.weigh_signals(T0 + 7_000 + SIGNAL_GRACE_MS).is_empty());
}

#[test]
fn a_title_signals_only_when_what_it_claims_changes() {
    let mut a = working();
    a.titled(Some(Claim::Working), "⠂ Claude Code", T0 + 100);
    assert!(a.signal_pending());
    assert!(a.weigh_signals(T0 + 100).is_empty());
    // The spinner turning in the title is not news.
    a.titled(Some(Claim::Working), "⠐ Claude Code", T0 + 200);
    assert!(!a.signal_pending());
    a.titled(Some(Claim::Waiting), "✳ Mock session", T0 + 300);
    assert!(a.signal_pending());
    let events = a.weigh_signals(T0 + 300 + SIGNAL_GRACE_MS);
    assert_eq!(
        events.iter().map(|e| e.kind.clone()).collect::<Vec<_>>(),
        [EventKind::SignalDisagreed {
            signal: "title \"✳ Mock session\"".into(),
            claim: Claim::Waiting,
            screen: Activity::Working,
        }]
    );
    // A title that claims nothing says nothing, and the same claim after it is news again.
    a.titled(None, "vm", T0 + 400);
    assert!(!a.signal_pending());
    a.titled(Some(Claim::Working), "⠂ x", T0 + 500);
    assert!(a.signal_pending());
}

#[test]
fn signals_of_an_ended_or_replaced_attempt_are_dropped() {
    let mut a = working();
    a.signal(hook("Stop", Claim::Idle, T0 + 100));
    a.died(Some(0), T0 + 200);
    assert!(a.weigh_signals(T0 + 200 + SIGNAL_GRACE_MS).is_empty());
    assert!(!a.signal_pending());
    a.signal(hook("Stop", Claim::Idle, T0 + 300));
    assert!(!a.signal_pending(), "an ended attempt takes no signal");
    let mut b = working();
    b.signal(hook("Stop", Claim::Idle, T0 + 100));
    b.started(2, "shoal-t", "%2", T0 + 200);
    assert!(!b.signal_pending(), "a new attempt starts with none");
}
