//! Short human texts for times and stall tiers, shared by the tree, the popups and tests.
//! Every function takes `now_ms` so a fixed clock gives fixed text.

use crate::fleet::{AgentView, LifeState, Tier};

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
