//! The log in the store: appending entries (cleaned and redacted), searching them with
//! FTS5 and filters in pages, and pruning the oldest when the store is over its cap.

use super::{NewEvent, Store, StoreError};
use crate::logs::redact::redact;
use crate::logs::{clean_message, Level, LogEntry, LogPage, LogQuery, NewLog, Source};
use rusqlite::{named_params, Row};

/// Columns of a page row (with the rule of the event an entry mirrors).
const PAGE_COLUMNS: &str = "SELECT l.id, l.ts_ms, l.agent, l.attempt, l.level, l.source, \
     l.message, l.capture_id, l.event_id, e.rule";

/// Which filters a search uses. Each shape is its own statement, so SQLite plans each
/// for the indexes it can use and neutral filters cost nothing. The statements are put
/// together from the constant fragments below only; every value is a named parameter.
#[derive(Debug, Clone, Copy)]
struct Shape {
    keyword: bool,
    agents: bool,
    level: bool,
    sources: bool,
    since: bool,
    until: bool,
}

impl Shape {
    fn of(q: &LogQuery, keyword: bool) -> Shape {
        Shape {
            keyword,
            agents: !q.agents.is_empty(),
            level: q.min_level > Level::Debug,
            sources: !q.sources.is_empty() && q.sources.len() < Source::ALL.len(),
            since: q.since_ms.is_some(),
            until: q.until_ms.is_some(),
        }
    }

    fn sql(self, page: bool) -> String {
        let mut sql = String::new();
        let timed = self.since || self.until;
        if self.keyword {
            // Agent, level and source are words of the index's `meta` column, part of
            // the MATCH expression; only the time needs the table.
            match (page, timed) {
                (true, _) => {
                    sql.push_str(PAGE_COLUMNS);
                    sql.push_str(
                        " FROM logs_fts CROSS JOIN logs l ON l.id = logs_fts.rowid \
                         LEFT JOIN events e ON e.id = l.event_id",
                    );
                }
                (false, true) => sql.push_str(
                    "SELECT count(*) FROM logs_fts CROSS JOIN logs l ON l.id = logs_fts.rowid",
                ),
                (false, false) => sql.push_str("SELECT count(*) FROM logs_fts"),
            }
            sql.push_str(" WHERE logs_fts MATCH :match");
        } else {
            if page {
                sql.push_str(PAGE_COLUMNS);
                sql.push_str(" FROM logs l LEFT JOIN events e ON e.id = l.event_id");
            } else {
                sql.push_str("SELECT count(*) FROM logs l");
            }
            sql.push_str(" WHERE 1");
            if self.agents {
                sql.push_str(" AND l.agent IN (SELECT value FROM json_each(:agents))");
            }
            if self.level {
                sql.push_str(" AND l.level >= :level");
            }
            if self.sources {
                sql.push_str(" AND l.source IN (SELECT value FROM json_each(:sources))");
            }
        }
        if self.since {
            sql.push_str(" AND l.ts_ms >= :since");
        }
        if self.until {
            sql.push_str(" AND l.ts_ms <= :until");
        }
        if page {
            sql.push_str(if self.keyword {
                " AND logs_fts.rowid < :before AND logs_fts.rowid > :after \
                 ORDER BY logs_fts.rowid DESC"
            } else {
                " AND l.id < :before AND l.id > :after ORDER BY l.id DESC"
            });
            sql.push_str(" LIMIT :limit OFFSET :offset");
        }
        sql
    }
}

/// The FTS5 expression for a keyword query `user` narrowed by the query's filters.
fn match_expr(user: &str, q: &LogQuery, shape: Shape) -> String {
    let mut parts = vec![format!("message : ({user})")];
    let any = |words: Vec<String>| format!("meta : ({})", words.join(" OR "));
    if shape.agents {
        parts.push(any(q.agents.iter().map(|a| agent_word(a)).collect()));
    }
    if shape.sources {
        parts.push(any(q.sources.iter().map(|s| format!("s{s}")).collect()));
    }
    let mut expr = parts.join(" AND ");
    if shape.level {
        // Most entries are info: leaving the lower levels out is cheaper than listing
        // the higher ones, except for the rare warn and error.
        if q.min_level <= Level::Info {
            expr.push_str(" NOT meta : (l0)");
        } else {
            let levels = Level::ALL.iter().filter(|l| **l >= q.min_level);
            expr = format!(
                "{expr} AND {}",
                any(levels.map(|l| format!("l{}", l.rank())).collect())
            );
        }
    }
    expr
}

/// The index word for an agent: its name in hex, one token whatever characters it has
/// (matches `'a' || lower(hex(agent))` in the insert trigger).
fn agent_word(name: &str) -> String {
    let mut w = String::with_capacity(1 + name.len() * 2);
    w.push('a');
    for b in name.bytes() {
        w.push_str(&format!("{b:02x}"));
    }
    w
}

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
        // Redacted before it is cut to size, so a cut cannot split a secret past recognition.
        let message = match (&e.source, &e.agent) {
            (Source::Output, Some(agent)) => {
                let mut streams = self.output_redactors.borrow_mut();
                let r = streams.entry(agent.clone()).or_default();
                clean_message(&r.redact(&e.message))
            }
            _ => clean_message(&redact(&e.message)),
        };
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
            level: e.kind.level(),
            // An agent's own report is a signal; everything else the supervisor saw or did.
            source: if e.kind.is_signal() {
                Source::Signal
            } else {
                Source::Event
            },
            message: format!("{}: {}", e.kind.name(), e.kind.render()),
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
        let shape = Shape::of(q, text.is_some());
        let matching = text.map(|t| match_expr(t, q, shape));
        let agents = serde_json::to_string(&q.agents).expect("strings serialize");
        let sources: Vec<&str> = q.sources.iter().map(|s| s.as_str()).collect();
        let sources = serde_json::to_string(&sources).expect("strings serialize");
        let level = q.min_level.rank();
        let since = q.since_ms.unwrap_or(i64::MIN);
        let until = q.until_ms.unwrap_or(i64::MAX);
        let limit = q.limit.max(1);

        let mut params: Vec<(&str, &dyn rusqlite::ToSql)> = Vec::new();
        if let Some(m) = &matching {
            params.push((":match", m));
        } else {
            if shape.agents {
                params.push((":agents", &agents));
            }
            if shape.level {
                params.push((":level", &level));
            }
            if shape.sources {
                params.push((":sources", &sources));
            }
        }
        if shape.since {
            params.push((":since", &since));
        }
        if shape.until {
            params.push((":until", &until));
        }
        let total: i64 = self
            .conn
            .prepare_cached(&shape.sql(false))
            .and_then(|mut st| st.query_row(params.as_slice(), |r| r.get(0)))
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
        let mut entries = self
            .conn
            .prepare_cached(&shape.sql(true))
            .and_then(|mut st| {
                st.query_map(params.as_slice(), entry_from_row)?
                    .collect::<Result<Vec<_>, _>>()
            })
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

    /// The newest output lines of one attempt of an agent, at most `limit`: what a
    /// restarted supervisor already logged from the screen it finds.
    pub fn recent_output(
        &self,
        agent: &str,
        attempt: u32,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT message FROM logs WHERE agent = :agent AND attempt = :attempt
                   AND source = 'output' ORDER BY ts_ms DESC LIMIT :limit",
            )
            .and_then(|mut st| {
                st.query_map(
                    named_params! {":agent": agent, ":attempt": attempt, ":limit": limit as i64},
                    |r| r.get(0),
                )?
                .collect()
            })
            .map_err(|e| self.classify(e))
    }

    /// How many entries the log holds.
    pub fn log_count(&self) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT count(*) FROM logs", [], |r| r.get::<_, i64>(0))
            .map(|n| n.max(0) as u64)
            .map_err(|e| self.classify(e))
    }
}

impl crate::logs::LogSource for Store {
    fn query(&mut self, q: &LogQuery) -> Result<LogPage, String> {
        self.query_logs(q).map_err(|e| e.to_string())
    }

    fn capture(&mut self, id: i64) -> Result<Option<String>, String> {
        Store::capture(self, id).map_err(|e| e.to_string())
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
    let m = match e {
        rusqlite::Error::SqliteFailure(_, Some(m)) => m.clone(),
        other => other.to_string(),
    };
    // "near X" points into the expression shoal builds around the query, not into
    // what the operator typed.
    match m.split_once(" near ") {
        Some((head, _)) if head.starts_with("fts5") => head.to_string(),
        _ => m,
    }
}

#[cfg(test)]
#[path = "logs_tests.rs"]
mod tests;
