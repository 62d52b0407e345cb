//! Short human texts for times and stall tiers, shared by the tree, the popups and tests.
//! Every function takes `now_ms` so a fixed clock gives fixed text.

use crate::fleet::{Activity, AgentView, LifeState, Tier};

/// A working agent whose screen has not changed for this long is called `quiet`, and
/// one whose content has not moved under a changing screen `working (no progress)`:
/// the screen's last line alone cannot tell a silent program from a busy one.
pub const QUIET_MS: i64 = 10_000;

/// The quiet threshold for this agent: [`QUIET_MS`], or half its stall timeout when
/// that is shorter, so the words change before the ladder does.
pub fn quiet_after(a: &AgentView) -> i64 {
    let half = i64::try_from(a.stall_timeout_ms / 2).unwrap_or(i64::MAX);
    QUIET_MS.min(half).max(1_000)
}

/// The activity as the operator should read it at `now_ms`: the detected activity,
/// except that a running agent detected as working says `quiet` once its screen has
/// stood still past the quiet threshold, and `working (no progress)` when its screen
/// moves (a spinner, a timer) but its content does not.
pub fn activity_word(a: &AgentView, now_ms: i64) -> &'static str {
    if a.activity != Activity::Working || a.state != LifeState::Running {
        return a.activity.as_str();
    }
    let quiet = quiet_after(a);
    // A supervisor that has not seen the screen change yet knows only the progress time.
    let screen = a.screen_changed_ms.max(a.last_progress_ms);
    if a.last_progress_ms > 0 && now_ms - screen > quiet {
        "quiet"
    } else if a.last_progress_ms > 0 && now_ms - a.last_progress_ms > quiet {
        "working (no progress)"
    } else {
        "working"
    }
}

/// An agent idle at its prompt with no ladder step ahead waits for work: `waiting for
/// work · 3m`, the time since its screen last moved; `None` for any other agent.
pub fn waiting_text(a: &AgentView, now_ms: i64) -> Option<String> {
    a.waits_for_work().then(|| {
        let since = a.screen_changed_ms.max(a.last_progress_ms);
        if since > 0 {
            format!("waiting for work · {}", elapsed(now_ms - since))
        } else {
            "waiting for work".to_string()
        }
    })
}

/// An elapsed time in one unit, rounded down: `42s`, `3m`, `5h`, `2d`.
pub fn elapsed(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// A time still to wait, in one unit; seconds round up so `in 0s` never shows early.
pub fn remaining(ms: i64) -> String {
    if ms < 60_000 {
        format!("{}s", (ms.max(0) + 999) / 1000)
    } else {
        elapsed(ms)
    }
}

/// The ladder column of the tree: time in tier and the countdown to the next step,
/// e.g. `nudge in 42s`, `warn 2m · kill in 10s`, `paused`.
pub fn tier_text(a: &AgentView, now_ms: i64) -> String {
    if a.paused {
        return "paused".to_string();
    }
    let next = a.tier.next().zip(a.next_action_at_ms).map(|(step, at)| {
        let left = at - now_ms;
        if left <= 0 {
            format!("{step} due")
        } else {
            format!("{step} in {}", remaining(left))
        }
    });
    let here =
        (a.tier != Tier::Ok).then(|| format!("{} {}", a.tier, elapsed(now_ms - a.tier_since_ms)));
    match (here, next) {
        (Some(h), Some(n)) => format!("{h} · {n}"),
        (Some(h), None) => h,
        (None, Some(n)) => n,
        (None, None) => String::new(),
    }
}

/// Time since the agent last proved life, for the tree's `progress` column.
pub fn since_progress(a: &AgentView, now_ms: i64) -> String {
    if a.last_progress_ms <= 0 || matches!(a.state, LifeState::Queued) {
        return "-".to_string();
    }
    elapsed(now_ms - a.last_progress_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::sample::agent;
    use crate::fleet::Activity;

    #[test]
    fn durations() {
        for (ms, e, r) in [
            (0, "0s", "0s"),
            (300, "0s", "1s"),
            (42_000, "42s", "42s"),
            (41_001, "41s", "42s"),
            (180_000, "3m", "3m"),
            (7_200_000, "2h", "2h"),
            (-5, "0s", "0s"),
        ] {
            assert_eq!(
                (elapsed(ms), remaining(ms)),
                (e.to_string(), r.to_string()),
                "{ms}"
            );
        }
    }

    #[test]
    fn silence_is_quiet_and_a_spinner_over_frozen_content_is_no_progress() {
        const NOW: i64 = 1_000_000;
        let fresh = agent("w", None, Activity::Working).with_progress_at(NOW - 2_000);
        assert_eq!(activity_word(&fresh, NOW), "working");
        // The shell profile calls any last line "working"; 45 s of silence is not work.
        let silent = fresh
            .clone()
            .with_progress_at(NOW - 45_000)
            .with_screen_changed_at(NOW - 45_000);
        assert_eq!(activity_word(&silent, NOW), "quiet");
        let spinner = silent.clone().with_screen_changed_at(NOW - 500);
        assert_eq!(activity_word(&spinner, NOW), "working (no progress)");
        // Just inside the threshold it is still working.
        let edge = fresh.clone().with_progress_at(NOW - QUIET_MS + 100);
        assert_eq!(activity_word(&edge, NOW), "working");
        // A short stall timeout shortens the threshold.
        let short = fresh
            .with_stall_timeout_ms(4_000)
            .with_progress_at(NOW - 3_000);
        assert_eq!(activity_word(&short, NOW), "quiet");
        let asking = agent("q", None, Activity::NeedsInput).with_progress_at(NOW - 90_000);
        assert_eq!(activity_word(&asking, NOW), "needs-input");
    }

    #[test]
    fn idle_without_a_ladder_step_waits_for_work() {
        const NOW: i64 = 1_000_000;
        let idle = agent("i", None, Activity::Idle).with_progress_at(NOW - 180_000);
        assert_eq!(
            waiting_text(&idle, NOW).as_deref(),
            Some("waiting for work · 3m")
        );
        let chased = idle.clone().with_next_action_at(NOW + 5_000);
        assert_eq!(waiting_text(&chased, NOW), None, "a nudge is still ahead");
        assert_eq!(waiting_text(&idle.with_paused(true), NOW), None);
    }

    #[test]
    fn ladder_column() {
        const NOW: i64 = 1_000_000;
        let mut a = agent("w", None, Activity::Working);
        a.next_action_at_ms = Some(NOW + 42_000);
        assert_eq!(tier_text(&a, NOW), "nudge in 42s");
        a.tier = Tier::Warn;
        a.tier_since_ms = NOW - 120_000;
        a.next_action_at_ms = Some(NOW + 10_000);
        assert_eq!(tier_text(&a, NOW), "warn 2m · kill in 10s");
        a.next_action_at_ms = Some(NOW - 1);
        assert_eq!(tier_text(&a, NOW), "warn 2m · kill due");
        a.next_action_at_ms = None;
        assert_eq!(tier_text(&a, NOW), "warn 2m");
        a.paused = true;
        assert_eq!(tier_text(&a, NOW), "paused");
        let mut held = agent("q", None, Activity::NeedsInput);
        held.next_action_at_ms = None;
        assert_eq!(tier_text(&held, NOW), "");
    }
}
