//! Token usage in the store: per attempt, model and hour, added to as the supervisor
//! reads transcripts; read back summed for the snapshot and `shoal usage`.

use super::{Store, StoreError};
use crate::usage::Tokens;
use rusqlite::named_params;

/// One stored usage row, or a sum of rows.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageRow {
    /// Agent name.
    pub agent: String,
    /// Attempt number.
    pub attempt: u32,
    /// Model name (`screen` for usage read off the screen, `unknown` when unnamed).
    pub model: String,
    /// Start of the hour (unix ms); 0 in sums over hours.
    pub hour_ms: i64,
    /// Tokens.
    pub tokens: Tokens,
    /// Dollars; `None` when the model has no price.
    pub cost: Option<f64>,
}

/// The length of one usage bucket.
pub const HOUR_MS: i64 = 3_600_000;

impl Store {
    /// Add `tokens` (and `cost`, when priced) to the bucket of `row`'s agent, attempt,
    /// model and the hour holding `now_ms`.
    pub fn add_usage(&self, row: &UsageRow, now_ms: i64) -> Result<(), StoreError> {
        let t = &row.tokens;
        self.conn
            .execute(
                "INSERT INTO usage (agent, attempt, model, hour_ms, input, output, cache_read, cache_write, cost, updated_ms)
                 VALUES (:agent, :attempt, :model, :hour, :input, :output, :cread, :cwrite, :cost, :now)
                 ON CONFLICT(agent, attempt, model, hour_ms) DO UPDATE SET
                   input = input + :input, output = output + :output,
                   cache_read = cache_read + :cread, cache_write = cache_write + :cwrite,
                   cost = CASE WHEN :cost IS NULL THEN cost ELSE coalesce(cost, 0) + :cost END,
                   updated_ms = :now",
                named_params! {
                    ":agent": row.agent, ":attempt": row.attempt, ":model": row.model,
                    ":hour": now_ms - now_ms.rem_euclid(HOUR_MS),
                    ":input": t.input as i64, ":output": t.output as i64,
                    ":cread": t.cache_read as i64, ":cwrite": t.cache_write as i64,
                    ":cost": row.cost, ":now": now_ms,
                },
            )
            .map_err(|e| self.classify(e))?;
        Ok(())
    }

    /// Usage per agent, attempt and model, summed over hours, of buckets ending after
    /// `since_ms` (all when `None`); with `by_hour`, one row per hour instead.
    pub fn usage_rows(
        &self,
        since_ms: Option<i64>,
        by_hour: bool,
    ) -> Result<Vec<UsageRow>, StoreError> {
        let sql = if by_hour {
            "SELECT agent, attempt, model, hour_ms, input, output, cache_read, cache_write, cost
             FROM usage WHERE hour_ms + :hour > :since ORDER BY agent, attempt, model, hour_ms"
        } else {
            "SELECT agent, attempt, model, 0, sum(input), sum(output), sum(cache_read), sum(cache_write), sum(cost)
             FROM usage WHERE hour_ms + :hour > :since
             GROUP BY agent, attempt, model ORDER BY agent, attempt, model"
        };
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(|e| self.classify(e))?;
        let rows = stmt
            .query_map(
                named_params! {":since": since_ms.unwrap_or(i64::MIN / 2), ":hour": HOUR_MS},
                |r| {
                    let n = |i: usize| r.get::<_, i64>(i).map(|v| u64::try_from(v).unwrap_or(0));
                    Ok(UsageRow {
                        agent: r.get(0)?,
                        attempt: r.get(1)?,
                        model: r.get(2)?,
                        hour_ms: r.get(3)?,
                        tokens: Tokens {
                            input: n(4)?,
                            output: n(5)?,
                            cache_read: n(6)?,
                            cache_write: n(7)?,
                        },
                        cost: r.get(8)?,
                    })
                },
            )
            .and_then(|r| r.collect())
            .map_err(|e| self.classify(e))?;
        Ok(rows)
    }
}
