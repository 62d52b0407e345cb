//! The fleet's durable memory: one SQLite file (WAL) per fleet holding agents, attempts,
//! events, captures, queued operator commands and the supervisor lease.
//!
//! SQL uses named parameters only; the schema moves forward through ordered migrations.

mod budget;
mod deadlines;
mod hooks;
mod hosts;
mod lineage;
mod logs;
pub mod private;
mod published;
mod recent;
mod records;
mod restart;
mod retention;
mod schema;
mod snapshot_rows;
mod usage;
mod worktrees;

pub use budget::BudgetHold;
pub use deadlines::ExpiredCommand;
pub use hooks::HookRow;
pub use lineage::{AgentMeta, NewSignal, Origin, RecordedFleet};
pub use logs::Pruned;
pub use published::Published;
pub use records::{
    process_running, AgentRecord, AttemptRecord, Lease, LeaseHolder, NewEvent, SupervisorMode,
};
pub use usage::{UsageRow, HOUR_MS};

use crate::fleet::Request;
use crate::fleet::{EventView, Tier};
use crate::logs::redact::Redactor;
use rusqlite::{named_params, Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use std::time::Duration;
use thiserror::Error;

/// What went wrong with the store.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The file could not be opened or created.
    #[error("cannot open the store {path}: {source}; check that the directory exists and is writable (SHOAL_HOME moves it)")]
    Open {
        /// The store file.
        path: PathBuf,
        /// Why.
        source: rusqlite::Error,
    },
    /// Another process holds a write lock for too long.
    #[error(
        "the store {path} is locked by another process; wait, or stop the other shoal process"
    )]
    Locked {
        /// The store file.
        path: PathBuf,
    },
    /// The file is not a shoal store, or is damaged.
    #[error("the store {path} is damaged or not a shoal store ({detail}); move it aside to start afresh")]
    Corrupt {
        /// The store file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },
    /// The file was written by a newer shoal.
    #[error("the store {path} has schema version {found}, newer than this shoal understands ({known}); upgrade shoal")]
    TooNew {
        /// The store file.
        path: PathBuf,
        /// Version in the file.
        found: i64,
        /// Newest version known here.
        known: i64,
    },
    /// The store file was deleted, moved or replaced under a running process.
    #[error("the store {path} is no longer the file this process opened ({detail}); stopping so nothing is lost or done twice: put the file back, or start shoal again on the new one")]
    Replaced {
        /// The store file.
        path: PathBuf,
        /// What happened to it.
        detail: String,
    },
    /// This supervisor's lease was taken over: it may write nothing more.
    #[error("the store {path} belongs to another supervisor now (the lease was taken over); this one stops")]
    LeaseLost {
        /// The store file.
        path: PathBuf,
    },
    /// Any other SQLite failure.
    #[error("store {path}: {source}")]
    Sql {
        /// The store file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
}

/// Device and inode of the file at `path`, if there is one.
fn file_identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// A command taken from the queue: its id, and the request or why it could not be read.
pub type ClaimedCommand = (i64, Result<Request, String>);

/// An open fleet store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Each agent's output is one stream for the redactor: a private key printed over
    /// several lines is caught though its lines are stored one by one.
    output_redactors: std::cell::RefCell<std::collections::HashMap<String, Redactor>>,
    /// Device and inode of the file opened: the path must keep naming this file.
    identity: Option<(u64, u64)>,
}

impl Store {
    /// Open (creating if needed) the store at `path` and bring its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        // Owner-only before SQLite creates it; SQLite gives its journal files the same
        // mode. If this fails, opening fails the same way and SQLite's error says why.
        let _ = private::create_file(path);
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            output_redactors: Default::default(),
            identity: None,
        };
        store
            .conn
            .busy_timeout(Duration::from_secs(5))
            .map_err(|e| store.classify(e))?;
        // Switching a new file to WAL and migrating it take locks that SQLite does not
        // always wait for (a journal-mode change that would deadlock returns BUSY at
        // once), so processes opening one new store together retry for a while.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            match store.prepare() {
                Err(StoreError::Locked { .. }) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                other => break other?,
            }
        }
        store.identity = file_identity(path);
        Ok(store)
    }

    fn prepare(&self) -> Result<(), StoreError> {
        self.conn
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| self.classify(e))?;
        self.conn
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| self.classify(e))?;
        self.migrate()
    }

    /// Whether the store's path still names the file this store opened. A store deleted,
    /// moved or replaced while a supervisor runs would otherwise swallow its writes
    /// without a word, and a second supervisor would start every agent again beside
    /// the running ones.
    pub fn check_identity(&self) -> Result<(), StoreError> {
        let now = file_identity(&self.path);
        if now.is_some() && now == self.identity {
            return Ok(());
        }
        Err(StoreError::Replaced {
            path: self.path.clone(),
            detail: if now.is_none() {
                "it was deleted or moved".to_string()
            } else {
                "another file took its place".to_string()
            },
        })
    }

    /// Where the store lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn classify(&self, e: rusqlite::Error) -> StoreError {
        use rusqlite::ErrorCode;
        let path = self.path.clone();
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                StoreError::Locked { path }
            }
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
                path,
                detail: e.to_string(),
            },
            Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen) => {
                StoreError::Open { path, source: e }
            }
            _ => StoreError::Sql { path, source: e },
        }
    }

    fn migrate(&self) -> Result<(), StoreError> {
        // Read the version inside a write transaction: two processes opening a new
        // store at once must not both apply the same migration.
        self.write(|s| {
            let version: i64 = s
                .conn
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .map_err(|e| s.classify(e))?;
            let known = schema::MIGRATIONS.len() as i64;
            if version > known {
                return Err(StoreError::TooNew {
                    path: s.path.clone(),
                    found: version,
                    known,
                });
            }
            for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(version as usize) {
                s.conn.execute_batch(sql).map_err(|e| s.classify(e))?;
                s.conn
                    .pragma_update(None, "user_version", (i + 1) as i64)
                    .map_err(|e| s.classify(e))?;
            }
            Ok(())
        })
    }

    /// Every row of a query, mapped.
    fn rows<T, P: rusqlite::Params>(
        &self,
        sql: &str,
        params: P,
        map: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(|e| self.classify(e))?;
        let rows = stmt
            .query_map(params, map)
            .and_then(|r| r.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.classify(e))?;
        Ok(rows)
    }

    /// Changes whenever another connection commits; cheap to poll every tick.
    pub fn data_version(&self) -> Result<i64, StoreError> {
        self.conn
            .pragma_query_value(None, "data_version", |r| r.get(0))
            .map_err(|e| self.classify(e))
    }

    /// Run `f` in one write transaction: everything or nothing is committed.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| self.classify(e))?;
        match f(self) {
            Ok(v) => {
                self.conn
                    .execute_batch("COMMIT")
                    .map_err(|e| self.classify(e))?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    /// Insert an agent, or refresh its declaration (command, kind, …) if it exists.
    /// Returns true when the agent is new.
    pub fn upsert_agent(&self, a: &AgentRecord) -> Result<bool, StoreError> {
        let exists = self.agent(&a.name)?.is_some();
        self.conn
            .execute(
                "INSERT INTO agents (name, parent, kind, cmd, cwd, task, env, stall_timeout_ms, paused, seq, created_ms, on_idle)
                 VALUES (:name, :parent, :kind, :cmd, :cwd, :task, :env, :stall, :paused, :seq, :created, :on_idle)
                 ON CONFLICT(name) DO UPDATE SET parent = :parent, kind = :kind, cmd = :cmd, cwd = :cwd,
                   task = :task, env = :env, stall_timeout_ms = :stall, seq = :seq, on_idle = :on_idle",
                named_params! {
                    ":name": a.name, ":parent": a.parent, ":kind": a.kind, ":cmd": a.cmd,
                    ":cwd": a.cwd, ":task": a.task, ":env": a.env_json(), ":stall": a.stall_timeout_ms as i64,
                    ":paused": a.paused, ":seq": a.seq, ":created": a.created_ms,
                    ":on_idle": a.on_idle.map(super::fleet::idle::OnIdle::as_str),
                },
            )
            .map_err(|e| self.classify(e))?;
        Ok(!exists)
    }

    /// One agent's declaration.
    pub fn agent(&self, name: &str) -> Result<Option<AgentRecord>, StoreError> {
        self.conn
            .query_row(
                &format!("{} WHERE name = :name", AgentRecord::SELECT),
                named_params! {":name": name},
                AgentRecord::from_row,
            )
            .optional()
            .map_err(|e| self.classify(e))
    }

    /// Every agent, in declaration order.
    pub fn agents(&self) -> Result<Vec<AgentRecord>, StoreError> {
        let sql = format!("{} ORDER BY seq, name", AgentRecord::SELECT);
        self.rows(&sql, [], AgentRecord::from_row)
    }

    /// Hold or release an agent's stall ladder.
    pub fn set_paused(&self, name: &str, paused: bool) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE agents SET paused = :paused WHERE name = :name",
                named_params! {":paused": paused, ":name": name},
            )
            .map_err(|e| self.classify(e))?;
        Ok(())
    }

    /// Write an attempt's full row (insert or replace).
    pub fn save_attempt(&self, a: &AttemptRecord) -> Result<(), StoreError> {
        a.save(&self.conn).map_err(|e| self.classify(e))
    }

    /// The newest attempt of every agent.
    pub fn current_attempts(&self) -> Result<Vec<AttemptRecord>, StoreError> {
        let sql = format!(
            "{} WHERE attempt = (SELECT MAX(attempt) FROM attempts b WHERE b.agent = attempts.agent)",
            AttemptRecord::SELECT
        );
        self.rows(&sql, [], AttemptRecord::from_row)
    }

    /// Every attempt of one agent, oldest first.
    pub fn attempts(&self, agent: &str) -> Result<Vec<AttemptRecord>, StoreError> {
        let sql = format!(
            "{} WHERE agent = :agent ORDER BY attempt",
            AttemptRecord::SELECT
        );
        self.rows(
            &sql,
            named_params! {":agent": agent},
            AttemptRecord::from_row,
        )
    }

    /// Keep a capture (death snapshot, the screen behind an event); returns its id.
    pub fn insert_capture(
        &self,
        ts_ms: i64,
        agent: &str,
        attempt: u32,
        reason: &str,
        text: &str,
    ) -> Result<i64, StoreError> {
        self.conn
            .execute(
                "INSERT INTO captures (ts_ms, agent, attempt, reason, text)
                 VALUES (:ts, :agent, :attempt, :reason, :text)",
                named_params! {":ts": ts_ms, ":agent": agent, ":attempt": attempt, ":reason": reason,
                    ":text": crate::logs::redact::redact(text)},
            )
            .map_err(|e| self.classify(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// A stored capture's text.
    pub fn capture(&self, id: i64) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT text FROM captures WHERE id = :id",
                named_params! {":id": id},
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.classify(e))
    }

    /// Append an event, and its entry in the log; returns the event's id. Secrets in
    /// the detail and in the rule (which quotes the screen) are redacted.
    pub fn insert_event(&self, e: &NewEvent) -> Result<i64, StoreError> {
        // A savepoint keeps the event and its log entry together even outside `write`.
        self.conn
            .execute_batch("SAVEPOINT event")
            .map_err(|e| self.classify(e))?;
        let result = (|| {
            let rendered = e.kind.render();
            let detail = crate::logs::redact::redact(&rendered);
            let payload = serde_json::to_string(&e.kind).expect("events serialize");
            let payload = crate::logs::redact::redact(&payload);
            let rule = e.rule.as_deref().map(crate::logs::redact::redact);
            self.conn
                .execute(
                    "INSERT INTO events (ts_ms, agent, attempt, kind, tier, detail, rule, capture_id, level, payload)
                     VALUES (:ts, :agent, :attempt, :kind, :tier, :detail, :rule, :capture, :level, :payload)",
                    named_params! {
                        ":ts": e.ts_ms, ":agent": e.agent, ":attempt": e.attempt, ":kind": e.kind.name(),
                        ":tier": e.tier.map(Tier::as_str), ":detail": detail, ":rule": rule,
                        ":capture": e.capture_id, ":level": e.kind.level().rank(), ":payload": payload,
                    },
                )
                .map_err(|e| self.classify(e))?;
            let id = self.conn.last_insert_rowid();
            self.log_event(e, id)?;
            Ok(id)
        })();
        let end = if result.is_ok() {
            "RELEASE event"
        } else {
            "ROLLBACK TO event; RELEASE event"
        };
        self.conn.execute_batch(end).map_err(|e| self.classify(e))?;
        result
    }

    /// Events oldest first, optionally for one agent, with id greater than `after_id`.
    pub fn events(
        &self,
        agent: Option<&str>,
        after_id: i64,
        limit: usize,
    ) -> Result<Vec<EventView>, StoreError> {
        self.rows(
            "SELECT id, ts_ms, agent, attempt, kind, tier, detail, rule, capture_id, level, payload
             FROM events WHERE id > :after AND (:agent IS NULL OR agent = :agent)
             ORDER BY id LIMIT :limit",
            named_params! {":after": after_id, ":agent": agent, ":limit": limit as i64},
            records::event_from_row,
        )
    }

    /// The capture linked to an event, if any.
    pub fn event_capture_id(&self, event_id: i64) -> Result<Option<i64>, StoreError> {
        self.conn
            .query_row(
                "SELECT capture_id FROM events WHERE id = :id",
                named_params! {":id": event_id},
                |r| r.get(0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(|e| self.classify(e))
    }

    /// Queue a command, with its caller, for the running supervisor; returns its id.
    pub fn enqueue_command(&self, req: &Request, now_ms: i64) -> Result<i64, StoreError> {
        let body = serde_json::to_string(req).expect("commands serialize");
        self.conn
            .execute(
                "INSERT INTO commands (ts_ms, agent, body) VALUES (:ts, :agent, :body)",
                named_params! {":ts": now_ms, ":agent": req.command.agent(), ":body": body},
            )
            .map_err(|e| self.classify(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Take every pending command, marking it running in the same transaction so each
    /// is executed exactly once even if two readers race.
    pub fn claim_commands(&self) -> Result<Vec<ClaimedCommand>, StoreError> {
        self.write(|s| {
            let mut stmt = s
                .conn
                .prepare_cached(
                    "UPDATE commands SET status = 'running' WHERE status = 'pending' RETURNING id, body",
                )
                .map_err(|e| s.classify(e))?;
            let mut rows = stmt
                .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
                .and_then(|r| r.collect::<Result<Vec<_>, _>>())
                .map_err(|e| s.classify(e))?;
            rows.sort_by_key(|(id, _)| *id);
            Ok(rows
                .into_iter()
                .map(|(id, body)| {
                    let cmd = serde_json::from_str(&body)
                        .map_err(|e| format!("unreadable command {body:?}: {e}"));
                    (id, cmd)
                })
                .collect())
        })
    }

    /// Record a command's outcome.
    pub fn finish_command(
        &self,
        id: i64,
        result: &Result<String, String>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let (status, text) = match result {
            Ok(t) => ("done", t),
            Err(t) => ("failed", t),
        };
        self.conn
            .execute(
                "UPDATE commands SET status = :status, result = :result, done_ms = :now WHERE id = :id",
                named_params! {":status": status, ":result": text, ":now": now_ms, ":id": id},
            )
            .map_err(|e| self.classify(e))?;
        Ok(())
    }

    /// A command's status (`pending`, `running`, `done`, `failed`) and result text.
    pub fn command_status(&self, id: i64) -> Result<Option<(String, Option<String>)>, StoreError> {
        self.conn
            .query_row(
                "SELECT status, result FROM commands WHERE id = :id",
                named_params! {":id": id},
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.classify(e))
    }

    /// Take the supervisor lease unless a live holder (heartbeat within `stale_ms`, process
    /// alive) has it. Taking it raises the epoch: whoever held it before is fenced off.
    /// Returns the holder when refused.
    pub fn try_lease(
        &self,
        pid: u32,
        now_ms: i64,
        stale_ms: i64,
    ) -> Result<Result<Lease, LeaseHolder>, StoreError> {
        self.try_lease_as(pid, now_ms, stale_ms, SupervisorMode::Foreground)
    }

    /// [`Store::try_lease`], recording where the supervisor runs.
    pub fn try_lease_as(
        &self,
        pid: u32,
        now_ms: i64,
        stale_ms: i64,
        mode: SupervisorMode,
    ) -> Result<Result<Lease, LeaseHolder>, StoreError> {
        self.write(|s| {
            let old = s.lease()?;
            if let Some(h) = old {
                if h.pid != pid && h.is_live(now_ms, stale_ms) {
                    return Ok(Err(h));
                }
            }
            let epoch = old.map_or(1, |h| h.epoch + 1);
            s.conn
                .execute(
                    "INSERT INTO lease (id, pid, started_ms, heartbeat_ms, epoch, ticks, mode)
                     VALUES (1, :pid, :now, :now, :epoch, 0, :mode)
                     ON CONFLICT(id) DO UPDATE SET pid = :pid, started_ms = :now,
                        heartbeat_ms = :now, epoch = :epoch, ticks = 0, mode = :mode",
                    named_params! {":pid": pid, ":now": now_ms, ":epoch": epoch, ":mode": mode.as_str()},
                )
                .map_err(|e| s.classify(e))?;
            Ok(Ok(Lease { pid, epoch }))
        })
    }

    /// Refresh the lease's heartbeat and tick count. `false` when the lease is no longer
    /// this one's: another supervisor took it over.
    pub fn heartbeat(&self, lease: Lease, now_ms: i64, ticks: u64) -> Result<bool, StoreError> {
        let n = self
            .conn
            .execute(
                "UPDATE lease SET heartbeat_ms = :now, ticks = :ticks
                 WHERE id = 1 AND pid = :pid AND epoch = :epoch",
                named_params! {":now": now_ms, ":ticks": i64::try_from(ticks).unwrap_or(i64::MAX),
                ":pid": lease.pid, ":epoch": lease.epoch},
            )
            .map_err(|e| self.classify(e))?;
        Ok(n == 1)
    }

    /// Whether `lease` is still the one in force.
    pub fn holds(&self, lease: Lease) -> Result<bool, StoreError> {
        Ok(self
            .lease()?
            .is_some_and(|h| h.pid == lease.pid && h.epoch == lease.epoch))
    }

    /// Give the lease up, if it is still this one.
    pub fn release_lease(&self, lease: Lease) -> Result<(), StoreError> {
        self.conn
            .execute(
                "DELETE FROM lease WHERE id = 1 AND pid = :pid AND epoch = :epoch",
                named_params! {":pid": lease.pid, ":epoch": lease.epoch},
            )
            .map_err(|e| self.classify(e))?;
        Ok(())
    }

    /// Who holds the lease, if anyone ever took it.
    pub fn lease(&self) -> Result<Option<LeaseHolder>, StoreError> {
        self.conn
            .query_row(
                "SELECT pid, started_ms, heartbeat_ms, epoch, ticks, mode FROM lease WHERE id = 1",
                [],
                |r| {
                    Ok(LeaseHolder {
                        pid: r.get(0)?,
                        started_ms: r.get(1)?,
                        heartbeat_ms: r.get(2)?,
                        epoch: r.get(3)?,
                        ticks: u64::try_from(r.get::<_, i64>(4)?).unwrap_or(0),
                        mode: SupervisorMode::parse(&r.get::<_, String>(5)?),
                    })
                },
            )
            .optional()
            .map_err(|e| self.classify(e))
    }
}

#[cfg(test)]
mod tests;
