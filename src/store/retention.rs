//! Deleting old history: events and captures past the retention age. Captures an
//! attempt keeps as its final screen, or that a kept event points at, stay.

use super::{Store, StoreError};
use rusqlite::named_params;

impl Store {
    /// Delete events and captures stamped before `before_ms`; returns (events, captures)
    /// deleted.
    pub fn prune_before(&self, before_ms: i64) -> Result<(usize, usize), StoreError> {
        self.write(|s| {
            let events = s
                .conn
                .execute(
                    "DELETE FROM events WHERE ts_ms < :before",
                    named_params! {":before": before_ms},
                )
                .map_err(|e| s.classify(e))?;
            // Log entries past the age go too (their index rows with them, by trigger).
            s.conn
                .execute(
                    "DELETE FROM logs WHERE ts_ms < :before",
                    named_params! {":before": before_ms},
                )
                .map_err(|e| s.classify(e))?;
            let captures = s
                .conn
                .execute(
                    "DELETE FROM captures WHERE ts_ms < :before
                       AND id NOT IN (SELECT death_capture FROM attempts WHERE death_capture IS NOT NULL)
                       AND id NOT IN (SELECT capture_id FROM events WHERE capture_id IS NOT NULL)
                       AND id NOT IN (SELECT capture_id FROM logs WHERE capture_id IS NOT NULL)",
                    named_params! {":before": before_ms},
                )
                .map_err(|e| s.classify(e))?;
            Ok((events, captures))
        })
    }
}
