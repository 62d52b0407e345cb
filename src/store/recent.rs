//! An attempt's newest events, for the words that say how it ended.

use super::{records, Store, StoreError};
use crate::fleet::EventView;
use rusqlite::named_params;

impl Store {
    /// The newest `limit` events of `agent`'s attempt `attempt`, newest first.
    pub fn recent_events(
        &self,
        agent: &str,
        attempt: u32,
        limit: usize,
    ) -> Result<Vec<EventView>, StoreError> {
        self.rows(
            "SELECT id, ts_ms, agent, attempt, kind, tier, detail, rule, capture_id, level, payload
             FROM events WHERE agent = :agent AND attempt = :attempt
             ORDER BY id DESC LIMIT :limit",
            named_params! {":agent": agent, ":attempt": attempt, ":limit": limit as i64},
            records::event_from_row,
        )
    }
}
