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
    last_progress_ms.saturating_add((timeout_ms as i64).saturating_mul(i64::from(tier.multiple())))
}

/// When the step after `tier` fires, if there is one.
pub fn next_action_at(tier: Tier, last_progress_ms: i64, timeout_ms: u64) -> Option<i64> {
    tier.next()
        .map(|t| fire_at(t, last_progress_ms, timeout_ms))
}

/// Which stall tiers act. A switched-off tier is skipped: the ladder waits for the next
/// tier that is on, at that tier's usual time; with kill off it ends at warn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Escalation {
    /// Type the nudge message at 1× the stall timeout.
    pub nudge: bool,
    /// Warn the operator at 2×.
    pub warn: bool,
    /// Kill the pane at 3×.
    pub kill: bool,
}

impl Default for Escalation {
    fn default() -> Self {
        Escalation {
            nudge: true,
            warn: true,
            kill: true,
        }
    }
}

impl Escalation {
    /// Whether this tier acts.
    pub fn enabled(&self, tier: Tier) -> bool {
        match tier {
            Tier::Ok => true,
            Tier::Nudge => self.nudge,
            Tier::Warn => self.warn,
            Tier::Kill => self.kill,
        }
    }

    /// The first tier after `tier` that is on.
    pub fn next_after(&self, tier: Tier) -> Option<Tier> {
        let mut t = tier.next()?;
        while !self.enabled(t) {
            t = t.next()?;
        }
        Some(t)
    }

    /// [`due`] over the tiers that are on.
    pub fn due(
        &self,
        tier: Tier,
        last_progress_ms: i64,
        timeout_ms: u64,
        now_ms: i64,
    ) -> Option<Tier> {
        let next = self.next_after(tier)?;
        (now_ms >= fire_at(next, last_progress_ms, timeout_ms)).then_some(next)
    }

    /// [`next_action_at`] over the tiers that are on.
    pub fn next_action_at(
        &self,
        tier: Tier,
        last_progress_ms: i64,
        timeout_ms: u64,
    ) -> Option<i64> {
        self.next_after(tier)
            .map(|t| fire_at(t, last_progress_ms, timeout_ms))
    }
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
    fn switched_off_tiers_are_skipped_at_their_own_time() {
        let esc = |nudge, warn, kill| Escalation { nudge, warn, kill };
        // (escalation, tier so far, ms since progress, expected) with a 1000 ms timeout.
        let table = [
            (esc(false, true, true), Tier::Ok, 1000, None),
            (esc(false, true, true), Tier::Ok, 2000, Some(Tier::Warn)),
            (esc(true, false, true), Tier::Nudge, 2500, None),
            (esc(true, false, true), Tier::Nudge, 3000, Some(Tier::Kill)),
            (esc(true, true, false), Tier::Warn, 99_000, None),
            (esc(false, false, false), Tier::Ok, 99_000, None),
            (Escalation::default(), Tier::Ok, 1000, Some(Tier::Nudge)),
        ];
        for (e, tier, elapsed, want) in table {
            assert_eq!(
                e.due(tier, 0, 1000, elapsed),
                want,
                "{e:?} {tier} {elapsed}"
            );
        }
        assert_eq!(
            esc(false, true, true).next_action_at(Tier::Ok, 0, 1000),
            Some(2000)
        );
        assert_eq!(
            esc(true, true, false).next_action_at(Tier::Nudge, 0, 1000),
            Some(2000)
        );
        assert_eq!(
            esc(true, true, false).next_action_at(Tier::Warn, 0, 1000),
            None
        );
    }

    #[test]
    fn countdown_targets() {
        assert_eq!(next_action_at(Tier::Ok, 100, 60_000), Some(60_100));
        assert_eq!(next_action_at(Tier::Nudge, 100, 60_000), Some(120_100));
        assert_eq!(next_action_at(Tier::Warn, 100, 60_000), Some(180_100));
        assert_eq!(next_action_at(Tier::Kill, 100, 60_000), None);
    }
}
