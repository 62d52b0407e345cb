//! The stall ladder as pure functions of the tier already fired, the last proof of life,
//! the stall timeout and `now`: ok → nudge (1×) → warn (2×) → kill (3×).

use crate::fleet::Tier;

/// The tier that is due now, if the next one's time has come. Tiers fire one at a time
/// and each once per stall: a supervisor that was away long sees nudge, then warn on a
/// later tick, never a jump straight to kill.
pub fn due(tier: Tier, last_progress_ms: i64, timeout_ms: u64, now_ms: i64) -> Option<Tier> {
    let next = tier.next()?;
    let at = fire_at(next, last_progress_ms, timeout_ms);
    (now_ms >= at).then_some(next)
}

/// When `tier` fires for a stall that began at `last_progress_ms`.
pub fn fire_at(tier: Tier, last_progress_ms: i64, timeout_ms: u64) -> i64 {
    last_progress_ms.saturating_add((timeout_ms as i64).saturating_mul(tier.multiple() as i64))
}

/// When the step after `tier` fires, if there is one.
pub fn next_action_at(tier: Tier, last_progress_ms: i64, timeout_ms: u64) -> Option<i64> {
    tier.next()
        .map(|t| fire_at(t, last_progress_ms, timeout_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_fire_at_one_two_three_timeouts() {
        // (tier fired so far, ms since progress, expected due tier) with a 1000 ms timeout.
        let table = [
            (Tier::Ok, 0, None),
            (Tier::Ok, 999, None),
            (Tier::Ok, 1000, Some(Tier::Nudge)),
            (Tier::Nudge, 1500, None),
            (Tier::Nudge, 2000, Some(Tier::Warn)),
            (Tier::Warn, 2999, None),
            (Tier::Warn, 3000, Some(Tier::Kill)),
            (Tier::Kill, 99_000, None),
            // A long absence still steps one tier at a time.
            (Tier::Ok, 50_000, Some(Tier::Nudge)),
            (Tier::Nudge, 50_000, Some(Tier::Warn)),
        ];
        for (tier, elapsed, want) in table {
            assert_eq!(
                due(tier, 10_000, 1000, 10_000 + elapsed),
                want,
                "{tier} after {elapsed} ms"
            );
        }
    }

    #[test]
    fn countdown_targets() {
        assert_eq!(next_action_at(Tier::Ok, 100, 60_000), Some(60_100));
        assert_eq!(next_action_at(Tier::Nudge, 100, 60_000), Some(120_100));
        assert_eq!(next_action_at(Tier::Warn, 100, 60_000), Some(180_100));
        assert_eq!(next_action_at(Tier::Kill, 100, 60_000), None);
    }
}
