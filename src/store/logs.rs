//! The log in the store: appending entries (cleaned and redacted), searching them with
//! FTS5 and filters in pages, and pruning the oldest when the store is over its cap.

use super::{NewEvent, Store, StoreError};
use crate::logs::redact::redact;
use crate::logs::{clean_message, event_level, Level, LogEntry, LogPage, LogQuery, NewLog, Source};
use rusqlite::{named_params, Row};

// The searches are fixed statements, one per combination of "keyword" and "agent
// filter", so each gets its own plan; the other filters take neutral values when unset
// (every source, the whole time range, level debug, no cursor).
macro_rules! search_sql {
    ($head:literal, $fts:literal, $agents:literal, $tail:literal) => {
        concat!(
            $head,
            " WHERE l.level >= :level AND l.ts_ms BETWEEN :since AND :until",
            " AND l.source IN (SELECT value FROM json_each(:sources))",
            $fts,
            $agents,
            $tail
        )
    };
}

macro_rules! page_sql {
    ($fts:literal, $agents:literal) => {
        search_sql!(
            "SELECT l.id, l.ts_ms, l.agent, l.attempt, l.level, l.source, l.message, l.capture_id,
                    l.event_id, e.rule
             FROM logs l LEFT JOIN events e ON e.id = l.event_id",
            $fts,
            $agents,
            " AND l.id < :before AND l.id > :after ORDER BY l.id DESC LIMIT :limit OFFSET :offset"
        )
    };
}

macro_rules! count_sql {
    ($fts:literal, $agents:literal) => {
        search_sql!("SELECT count(*) FROM logs l", $fts, $agents, "")
    };
}

/// (page, count) statements by (keyword, agent filter).
const SEARCHES: [[(&str, &str); 2]; 2] = [
    [
        (page_sql!("", ""), count_sql!("", "")),
        (
            page_sql!("", " AND l.agent IN (SELECT value FROM json_each(:agents))"),
            count_sql!("", " AND l.agent IN (SELECT value FROM json_each(:agents))"),
        ),
    ],
    [
        (
            page_sql!(
                " AND l.id IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH :text)",
                ""
            ),
            count_sql!(
                " AND l.id IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH :text)",
                ""
            ),
        ),
        (
            page_sql!(
                " AND l.id IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH :text)",
                " AND l.agent IN (SELECT value FROM json_each(:agents))"
            ),
            count_sql!(
                " AND l.id IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH :text)",
                " AND l.agent IN (SELECT value FROM json_each(:agents))"
            ),
        ),
    ],
];

/// What one pruning step removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pruned {
    /// Entries deleted.
    pub deleted: usize,
    /// Whether they were output lines (the first to go) or other entries.
    pub output: bool,
}

impl Store {
    /// Append one entry (message cleaned and redacted); returns its id.
    pub fn insert_log(&self, e: &NewLog) -> Result<i64, StoreError> {
        let message = clean_message(&e.message);
        let message = redact(&message);
        self.conn
            .prepare_cached(
                "INSERT INTO logs (ts_ms, agent, attempt, level, source, message, capture_id, event_id)
                 VALUES (:ts, :agent, :attempt, :level, :source, :message, :capture, :event)",
            )
            .and_then(|mut s| {
                s.execute(named_params! {
                    ":ts": e.ts_ms, ":agent": e.agent, ":attempt": e.attempt,
                    ":level": e.level.rank(), ":source": e.source.as_str(),
                    ":message": message, ":capture": e.capture_id, ":event": e.event_id,
                })
            })
            .map_err(|err| self.classify(err))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Append entries in order; call inside [`Store::write`] to make them one commit.
    pub fn insert_logs(&self, entries: &[NewLog]) -> Result<(), StoreError> {
        for e in entries {
            self.insert_log(e)?;
        }
        Ok(())
    }

    /// The log entry mirroring event `id`.
    pub(crate) fn log_event(&self, e: &NewEvent, id: i64) -> Result<i64, StoreError> {
        self.insert_log(&NewLog {
            ts_ms: e.ts_ms,
            agent: e.agent.clone(),
            attempt: e.attempt,
            level: event_level(&e.kind, &e.detail),
            source: Source::Event,
            message: format!("{}: {}", e.kind, e.detail),
            capture_id: e.capture_id,
            event_id: Some(id),
        })
    }

    /// One page of entries matching `q`, newest first, with the total count. A keyword
    /// query that is not valid FTS5 syntax is searched as a plain phrase instead, and
    /// the page says so in its `notice`.
    pub fn query_logs(&self, q: &LogQuery) -> Result<LogPage, StoreError> {
        let text = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
        let Some(text) = text else {
            return self.run_search(q, None);
        };
        match self.run_search(q, Some(text)) {
            Err(StoreError::Sql { source, .. }) if is_fts_syntax(&source) => {
                let phrase = format!("\"{}\"", text.replace('"', "\"\""));
                let mut page = if text.chars().any(char::is_alphanumeric) {
                    self.run_search(q, Some(&phrase))?
                } else {
                    LogPage::default()
                };
                page.notice = Some(format!(
                    "{text:?} is not valid search syntax ({}); searched for it as plain text",
                    sqlite_message(&source)
                ));
                Ok(page)
            }
            other => other,
        }
    }

    fn run_search(&self, q: &LogQuery, text: Option<&str>) -> Result<LogPage, StoreError> {
        let (page_sql, count_sql) =
            SEARCHES[usize::from(text.is_some())][usize::from(!q.agents.is_empty())];
        let sources: Vec<&str> = if q.sources.is_empty() {
            Source::ALL.iter().map(|s| s.as_str()).collect()
        } else {
            q.sources.iter().map(|s| s.as_str()).collect()
        };
        let sources = serde_json::to_string(&sources).expect("strings serialize");
        let agents = serde_json::to_string(&q.agents).expect("strings serialize");
        let since = q.since_ms.unwrap_or(i64::MIN);
        let until = q.until_ms.unwrap_or(i64::MAX);
        let level = q.min_level.rank();
        let limit = q.limit.max(1);

        let mut count_stmt = self
            .conn
            .prepare_cached(count_sql)
            .map_err(|e| self.classify(e))?;
        let mut params: Vec<(&str, &dyn rusqlite::ToSql)> = vec![
            (":level", &level),
            (":since", &since),
            (":until", &until),
            (":sources", &sources),
        ];
        if let Some(t) = &text {
            params.push((":text", t));
        }
        if !q.agents.is_empty() {
            params.push((":agents", &agents));
        }
        let total: i64 = count_stmt
            .query_row(params.as_slice(), |r| r.get(0))
            .map_err(|e| self.classify(e))?;

        let before = q.before_id.unwrap_or(i64::MAX);
        let after = q.after_id.unwrap_or(i64::MIN);
        // One more than asked says whether an older page exists.
        let fetch = (limit + 1) as i64;
        let offset = q.offset as i64;
        params.extend([
            (":before", &before as &dyn rusqlite::ToSql),
            (":after", &after),
            (":limit", &fetch),
            (":offset", &offset),
        ]);
        let mut stmt = self
            .conn
            .prepare_cached(page_sql)
            .map_err(|e| self.classify(e))?;
        let mut entries = stmt
            .query_map(params.as_slice(), entry_from_row)
            .and_then(|r| r.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.classify(e))?;
        let more = entries.len() > limit;
        entries.truncate(limit);
        Ok(LogPage {
            count: entries.len(),
            total_count: total.max(0) as u64,
            next_before: if more {
                entries.last().map(|e| e.id)
            } else {
                None
            },
            entries,
            notice: None,
        })
    }

    /// Bytes the store's pages hold (free pages not counted): what the retention cap
    /// is compared with.
    pub fn used_bytes(&self) -> Result<u64, StoreError> {
        let get = |pragma: &str| -> Result<i64, StoreError> {
            self.conn
                .pragma_query_value(None, pragma, |r| r.get(0))
                .map_err(|e| self.classify(e))
        };
        let pages = get("page_count")? - get("freelist_count")?;
        Ok((pages.max(0) * get("page_size")?) as u64)
    }

    /// Delete up to `batch` of the oldest output lines; when none are left, the oldest
    /// other entries. One short transaction: pruning goes a step at a time.
    pub fn prune_logs(&self, batch: usize) -> Result<Pruned, StoreError> {
        let n = batch.max(1) as i64;
        self.write(|s| {
            let output = s
                .conn
                .prepare_cached(
                    "DELETE FROM logs WHERE id IN
                       (SELECT id FROM logs WHERE source = 'output' ORDER BY id LIMIT :n)",
                )
                .and_then(|mut st| st.execute(named_params! {":n": n}))
                .map_err(|e| s.classify(e))?;
            if output > 0 {
                return Ok(Pruned {
                    deleted: output,
                    output: true,
                });
            }
            let other = s
                .conn
                .prepare_cached(
                    "DELETE FROM logs WHERE id IN (SELECT id FROM logs ORDER BY id LIMIT :n)",
                )
                .and_then(|mut st| st.execute(named_params! {":n": n}))
                .map_err(|e| s.classify(e))?;
            Ok(Pruned {
                deleted: other,
                output: false,
            })
        })
    }

    /// How many entries the log holds.
    pub fn log_count(&self) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT count(*) FROM logs", [], |r| r.get::<_, i64>(0))
            .map(|n| n.max(0) as u64)
            .map_err(|e| self.classify(e))
    }
}

fn entry_from_row(r: &Row<'_>) -> rusqlite::Result<LogEntry> {
    let source: String = r.get(5)?;
    Ok(LogEntry {
        id: r.get(0)?,
        ts_ms: r.get(1)?,
        agent: r.get(2)?,
        attempt: r.get(3)?,
        level: Level::from_rank(r.get(4)?),
        source: source.parse().unwrap_or(Source::Output),
        message: r.get(6)?,
        capture_id: r.get(7)?,
        event_id: r.get(8)?,
        rule: r.get(9)?,
    })
}

/// Whether SQLite rejected a MATCH expression (as opposed to failing otherwise).
fn is_fts_syntax(e: &rusqlite::Error) -> bool {
    let m = sqlite_message(e);
    m.contains("fts5") || m.contains("no such column") || m.contains("unknown special query")
}

fn sqlite_message(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(_, Some(m)) => m.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
#[path = "logs_tests.rs"]
mod tests;
