//! Queued commands with deadlines: a command the supervisor reaches after its deadline
//! is dropped, never carried out late; the CLI that queued it withdraws it when it
//! stops waiting, so "not carried out" is what it says.

use super::{ClaimedCommand, Store, StoreError};
use crate::fleet::Request;
use rusqlite::named_params;

/// A command dropped past its deadline, with when it was queued (unix ms).
pub type ExpiredCommand = (ClaimedCommand, i64);

/// Why a command past its deadline was dropped: the stored result.
const DROPPED: &str =
    "dropped: nobody carried it out before its deadline; it will not be carried out later";

impl Store {
    /// Queue a command that must be carried out by `deadline_ms` (`None`: whenever the
    /// supervisor gets to it); returns its id.
    pub fn enqueue_command_until(
        &self,
        req: &Request,
        now_ms: i64,
        deadline_ms: Option<i64>,
    ) -> Result<i64, StoreError> {
        let body = serde_json::to_string(req).expect("commands serialize");
        self.conn
            .execute(
                "INSERT INTO commands (ts_ms, agent, body, deadline_ms)
                 VALUES (:ts, :agent, :body, :deadline)",
                named_params! {":ts": now_ms, ":agent": req.command.agent(), ":body": body,
                ":deadline": deadline_ms},
            )
            .map_err(|e| self.classify(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// In one transaction: drop every pending command past its deadline at `now_ms`
    /// (returned second, with when it was queued) and take the rest (first), each
    /// exactly once.
    pub fn claim_due_commands(
        &self,
        now_ms: i64,
    ) -> Result<(Vec<ClaimedCommand>, Vec<ExpiredCommand>), StoreError> {
        self.write(|s| {
            let parse = |body: String| -> Result<Request, String> {
                serde_json::from_str(&body).map_err(|e| format!("unreadable command {body:?}: {e}"))
            };
            let mut expired: Vec<ExpiredCommand> = s
                .conn
                .prepare_cached(
                    "UPDATE commands SET status = 'expired', result = :result, done_ms = :now
                     WHERE status = 'pending' AND deadline_ms IS NOT NULL AND deadline_ms < :now
                     RETURNING id, body, ts_ms",
                )
                .and_then(|mut st| {
                    st.query_map(named_params! {":result": DROPPED, ":now": now_ms}, |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?))
                    })?
                    .collect::<Result<Vec<_>, _>>()
                })
                .map_err(|e| s.classify(e))?
                .into_iter()
                .map(|(id, body, ts)| ((id, parse(body)), ts))
                .collect();
            expired.sort_by_key(|((id, _), _)| *id);
            let mut claimed: Vec<ClaimedCommand> = s
                .conn
                .prepare_cached(
                    "UPDATE commands SET status = 'running' WHERE status = 'pending' RETURNING id, body",
                )
                .and_then(|mut st| {
                    st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
                        .collect::<Result<Vec<_>, _>>()
                })
                .map_err(|e| s.classify(e))?
                .into_iter()
                .map(|(id, body)| (id, parse(body)))
                .collect();
            claimed.sort_by_key(|(id, _)| *id);
            Ok((claimed, expired))
        })
    }

    /// Withdraw a command nobody has taken yet. True when it was still pending (it is
    /// now dropped and will never run); false when a supervisor already took it.
    pub fn drop_command(&self, id: i64, now_ms: i64) -> Result<bool, StoreError> {
        let n = self
            .conn
            .execute(
                "UPDATE commands SET status = 'expired', result = :result, done_ms = :now
                 WHERE id = :id AND status = 'pending'",
                named_params! {":result": DROPPED, ":now": now_ms, ":id": id},
            )
            .map_err(|e| self.classify(e))?;
        Ok(n == 1)
    }
}
