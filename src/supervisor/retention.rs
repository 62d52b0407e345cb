//! Log retention: the supervisor deletes events and captures older than the configured
//! age, once an hour, so a long-lived fleet's store does not grow without end.

use super::core::Supervisor;

/// How often old history is looked for.
const PRUNE_EVERY_MS: i64 = 3600 * 1000;

impl Supervisor {
    /// Delete history older than the retention, if an hour has passed since last time.
    pub(crate) fn prune_old(&mut self, now_ms: i64) {
        let Some(keep) = self.settings.log_retention else {
            return;
        };
        if self.pruned_at_ms != 0 && now_ms - self.pruned_at_ms < PRUNE_EVERY_MS {
            return;
        }
        self.pruned_at_ms = now_ms;
        let before = now_ms.saturating_sub(keep.as_millis() as i64);
        if let Err(e) = self.store.prune_before(before) {
            self.stats.error = Some(format!("could not delete old history: {e}"));
        }
    }
}
