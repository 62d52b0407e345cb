//! Lineage in the store: the fleet's settings (so a command run inside a pane needs no
//! fleet file), where each agent came from, removed agents, signals and inbox cursors.

use super::{Store, StoreError};
use crate::fleet::{Fleet, FleetSettings, SignalKind, SignalView};
use crate::logs::redact::redact;
use rusqlite::{named_params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

/// How an agent came into the fleet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Declared in the fleet file.
    File,
    /// Added with `shoal spawn`.
    Spawn,
    /// Taken over from an existing pane with `shoal adopt`.
    Adopt,
}

impl Origin {
    /// The word stored in `agents.origin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::File => "file",
            Origin::Spawn => "spawn",
            Origin::Adopt => "adopt",
        }
    }

    fn parse(s: &str) -> Origin {
        match s {
            "spawn" => Origin::Spawn,
            "adopt" => Origin::Adopt,
            _ => Origin::File,
        }
    }
}

/// Lineage facts about one agent that the declaration row does not carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentMeta {
    /// Where it came from.
    pub origin: Origin,
    /// Cap on its running children.
    pub max_children: Option<usize>,
    /// When it left the fleet file, if it did.
    pub removed_ms: Option<i64>,
}

/// A signal to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSignal {
    /// When.
    pub ts_ms: i64,
    /// Sent by this agent…
    pub agent: String,
    /// …during this attempt.
    pub attempt: u32,
    /// What it says.
    pub kind: SignalKind,
    /// The agent's words.
    pub message: String,
    /// The inbox it lands in: the sender's parent.
    pub parent: Option<String>,
}

/// A fleet's settings as recorded in its store, with the fleet file they were read
/// from: what commands inside an agent's pane work with, since they have no file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedFleet {
    /// The fleet file, absolute.
    pub file: Option<PathBuf>,
    /// Its settings.
    pub settings: FleetSettings,
}

impl RecordedFleet {
    /// What a fleet file records.
    pub fn of(fleet: &Fleet) -> RecordedFleet {
        RecordedFleet {
            file: std::path::absolute(&fleet.path).ok(),
            settings: fleet.settings.clone(),
        }
    }

    /// A fleet with these settings and no declared agents.
    pub fn to_fleet(&self) -> Fleet {
        Fleet {
            path: self.file.clone().unwrap_or_default(),
            settings: self.settings.clone(),
            agents: Vec::new(),
        }
    }

    /// Settings written as one pair per key by earlier versions of shoal.
    fn from_pairs(map: &HashMap<String, String>) -> Option<RecordedFleet> {
        let get = |k: &str| map.get(k).map(String::as_str);
        let ms = |k: &str| -> Option<Duration> { get(k)?.parse().ok().map(Duration::from_millis) };
        let defaults = FleetSettings::default();
        Some(RecordedFleet {
            file: get("file").filter(|f| !f.is_empty()).map(PathBuf::from),
            settings: FleetSettings {
                name: get("name")?.to_string(),
                stall_timeout: ms("stall_timeout_ms")?,
                poll_interval: ms("poll_interval_ms")?,
                nudge_message: get("nudge_message")?.to_string(),
                cancel_grace: ms("cancel_grace_ms")?,
                agents_per_server: get("agents_per_server")?.parse().ok()?,
                resume_after_reset: get("resume_after_reset") == Some("true"),
                max_running: get("max_running").and_then(|v| v.parse().ok()),
                log_max_size: get("log_max_size")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(defaults.log_max_size),
                ..defaults
            },
        })
    }
}

/// The one key the recorded fleet is kept under, as JSON.
const FLEET_KEY: &str = "fleet";

fn signal_from_row(r: &Row<'_>) -> rusqlite::Result<SignalView> {
    let kind: String = r.get(4)?;
    Ok(SignalView {
        id: r.get(0)?,
        ts_ms: r.get(1)?,
        agent: r.get(2)?,
        attempt: r.get(3)?,
        // Kinds are written by this code only; an unknown one reads as progress.
        kind: kind.parse().unwrap_or(SignalKind::Progress),
        message: r.get(5)?,
    })
}

const SIGNAL_COLUMNS: &str = "id, ts_ms, agent, attempt, kind, message";

impl Store {
    /// Record the fleet's settings, replacing what was there.
    pub fn save_fleet_settings(&self, fleet: &RecordedFleet) -> Result<(), StoreError> {
        let value = serde_json::to_string(fleet).expect("settings serialize");
        self.write(|s| {
            s.conn
                .execute(
                    "DELETE FROM fleet_settings WHERE key != :key",
                    named_params! {":key": FLEET_KEY},
                )
                .map_err(|e| s.classify(e))?;
            s.conn
                .execute(
                    "INSERT INTO fleet_settings (key, value) VALUES (:key, :value)
                     ON CONFLICT(key) DO UPDATE SET value = :value",
                    named_params! {":key": FLEET_KEY, ":value": value},
                )
                .map_err(|e| s.classify(e))?;
            Ok(())
        })
    }

    /// The recorded fleet settings; `None` if no fleet file was ever opened on this store.
    pub fn fleet_settings(&self) -> Result<Option<RecordedFleet>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT key, value FROM fleet_settings")
            .map_err(|e| self.classify(e))?;
        let map: HashMap<String, String> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|r| r.collect())
            .map_err(|e| self.classify(e))?;
        if let Some(json) = map.get(FLEET_KEY) {
            return serde_json::from_str(json)
                .map(Some)
                .map_err(|e| StoreError::Corrupt {
                    path: self.path.clone(),
                    detail: format!("the recorded fleet settings do not read back: {e}"),
                });
        }
        Ok(RecordedFleet::from_pairs(&map))
    }

    /// Lineage facts of every agent, by name.
    pub fn agent_meta(&self) -> Result<HashMap<String, AgentMeta>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT name, origin, max_children, removed_ms FROM agents")
            .map_err(|e| self.classify(e))?;
        let rows = stmt
            .query_map([], |r| {
                let origin: String = r.get(1)?;
                let max: Option<i64> = r.get(2)?;
                Ok((
                    r.get::<_, String>(0)?,
                    AgentMeta {
                        origin: Origin::parse(&origin),
                        max_children: max.and_then(|n| usize::try_from(n).ok()),
                        removed_ms: r.get(3)?,
                    },
                ))
            })
            .and_then(|r| r.collect())
            .map_err(|e| self.classify(e))?;
        Ok(rows)
    }

    /// Set where an agent came from and its cap on running children.
    pub fn set_agent_meta(
        &self,
        name: &str,
        origin: Origin,
        max_children: Option<usize>,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE agents SET origin = :origin, max_children = :max WHERE name = :name",
                named_params! {
                    ":origin": origin.as_str(),
                    ":max": max_children.map(|n| n as i64),
                    ":name": name,
                },
            )
            .map_err(|e| self.classify(e))?;
        Ok(())
    }

    /// Mark fleet-file agents missing from `declared` as removed (kept as history), and
    /// bring back any declared one that had been removed. Returns the newly removed.
    pub fn mark_removed(
        &self,
        declared: &[String],
        now_ms: i64,
    ) -> Result<Vec<String>, StoreError> {
        let meta = self.agent_meta()?;
        let mut removed = Vec::new();
        for (name, m) in meta {
            let listed = declared.contains(&name);
            let update = match (m.origin, listed, m.removed_ms) {
                (_, true, Some(_)) => Some(None),
                (Origin::File, false, None) => Some(Some(now_ms)),
                _ => None,
            };
            if let Some(value) = update {
                self.conn
                    .execute(
                        "UPDATE agents SET removed_ms = :removed WHERE name = :name",
                        named_params! {":removed": value, ":name": name},
                    )
                    .map_err(|e| self.classify(e))?;
                if value.is_some() {
                    removed.push(name);
                }
            }
        }
        removed.sort();
        Ok(removed)
    }

    /// The declaration order number after every agent recorded so far.
    pub fn next_seq(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("SELECT COALESCE(MAX(seq), -1) + 1 FROM agents", [], |r| {
                r.get(0)
            })
            .map_err(|e| self.classify(e))
    }

    /// Append a signal (its message redacted: it is the agent's own text); returns its id.
    pub fn insert_signal(&self, s: &NewSignal) -> Result<i64, StoreError> {
        self.conn
            .execute(
                "INSERT INTO signals (ts_ms, agent, attempt, kind, message, parent)
                 VALUES (:ts, :agent, :attempt, :kind, :message, :parent)",
                named_params! {
                    ":ts": s.ts_ms, ":agent": s.agent, ":attempt": s.attempt,
                    ":kind": s.kind.as_str(), ":message": redact(&s.message), ":parent": s.parent,
                },
            )
            .map_err(|e| self.classify(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The newest signal of every (agent, attempt), with whether a holding signal was
    /// answered by the operator since.
    pub fn latest_signals(&self) -> Result<Vec<(SignalView, bool)>, StoreError> {
        let sql = format!(
            "SELECT {SIGNAL_COLUMNS}, answered_ms IS NOT NULL FROM signals
             WHERE id IN (SELECT MAX(id) FROM signals GROUP BY agent, attempt) ORDER BY id"
        );
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(|e| self.classify(e))?;
        let rows = stmt
            .query_map([], |r| Ok((signal_from_row(r)?, r.get(6)?)))
            .and_then(|r| r.collect())
            .map_err(|e| self.classify(e))?;
        Ok(rows)
    }

    /// Every signal one agent sent, oldest first.
    pub fn signals_of(&self, agent: &str) -> Result<Vec<SignalView>, StoreError> {
        let sql = format!("SELECT {SIGNAL_COLUMNS} FROM signals WHERE agent = :agent ORDER BY id");
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(|e| self.classify(e))?;
        let rows = stmt
            .query_map(named_params! {":agent": agent}, signal_from_row)
            .and_then(std::iter::Iterator::collect)
            .map_err(|e| self.classify(e))?;
        Ok(rows)
    }

    /// The operator answered: holding signals of this attempt no longer hold.
    pub fn answer_signals(&self, agent: &str, attempt: u32, now_ms: i64) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE signals SET answered_ms = :now
                 WHERE agent = :agent AND attempt = :attempt AND answered_ms IS NULL",
                named_params! {":now": now_ms, ":agent": agent, ":attempt": attempt},
            )
            .map_err(|e| self.classify(e))?;
        Ok(())
    }

    /// Signals sent to `reader`'s inbox (by its direct children) after `after_id`.
    pub fn inbox_since(&self, reader: &str, after_id: i64) -> Result<Vec<SignalView>, StoreError> {
        let sql = format!(
            "SELECT {SIGNAL_COLUMNS} FROM signals WHERE parent = :reader AND id > :after ORDER BY id"
        );
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(|e| self.classify(e))?;
        let rows = stmt
            .query_map(
                named_params! {":reader": reader, ":after": after_id},
                signal_from_row,
            )
            .and_then(std::iter::Iterator::collect)
            .map_err(|e| self.classify(e))?;
        Ok(rows)
    }

    /// Where `reader` stopped reading its inbox (0 before the first read).
    pub fn inbox_cursor(&self, reader: &str) -> Result<i64, StoreError> {
        self.conn
            .query_row(
                "SELECT last_id FROM inbox_cursors WHERE agent = :reader",
                named_params! {":reader": reader},
                |r| r.get(0),
            )
            .optional()
            .map(Option::unwrap_or_default)
            .map_err(|e| self.classify(e))
    }

    /// Read `reader`'s unread signals and move its cursor past them, in one transaction
    /// so two readers never see the same signal as new.
    pub fn take_inbox(&self, reader: &str) -> Result<Vec<SignalView>, StoreError> {
        self.write(|s| {
            let after = s.inbox_cursor(reader)?;
            let unread = s.inbox_since(reader, after)?;
            if let Some(last) = unread.last() {
                s.conn
                    .execute(
                        "INSERT INTO inbox_cursors (agent, last_id) VALUES (:reader, :id)
                         ON CONFLICT(agent) DO UPDATE SET last_id = :id",
                        named_params! {":reader": reader, ":id": last.id},
                    )
                    .map_err(|e| s.classify(e))?;
            }
            Ok(unread)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::AgentRecord;

    fn open() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("f.sqlite")).unwrap();
        (dir, store)
    }

    fn agent(name: &str, parent: Option<&str>, seq: i64) -> AgentRecord {
        AgentRecord {
            name: name.into(),
            parent: parent.map(Into::into),
            kind: "shell".into(),
            cmd: "bash".into(),
            cwd: None,
            task: None,
            env: Default::default(),
            stall_timeout_ms: 1000,
            paused: false,
            on_idle: None,
            seq,
            created_ms: 1,
        }
    }

    fn signal(agent: &str, parent: Option<&str>, kind: SignalKind, msg: &str) -> NewSignal {
        NewSignal {
            ts_ms: 5,
            agent: agent.into(),
            attempt: 1,
            kind,
            message: msg.into(),
            parent: parent.map(Into::into),
        }
    }

    #[test]
    fn settings_round_trip_and_make_a_fleet() {
        let (dir, store) = open();
        assert_eq!(
            store.fleet_settings().unwrap(),
            None,
            "nothing recorded yet"
        );
        let fleet = crate::fleet::file::parse(
            std::path::Path::new("x.toml"),
            "[fleet]\nname = \"f\"\nmax_running = 3\npoll_interval = \"250ms\"\n",
        )
        .unwrap();
        store
            .save_fleet_settings(&RecordedFleet::of(&fleet))
            .unwrap();
        drop(store);
        let store = Store::open(&dir.path().join("f.sqlite")).unwrap();
        let s = store.fleet_settings().unwrap().unwrap();
        assert_eq!(s.settings.max_running, Some(3));
        let back = s.to_fleet();
        assert_eq!(back.settings.name, "f");
        assert_eq!(back.settings.poll_interval, Duration::from_millis(250));
        assert_eq!(back.settings.nudge_message, fleet.settings.nudge_message);
        assert!(back.path.is_absolute() && back.path.ends_with("x.toml"));
    }

    #[test]
    fn removed_file_agents_are_marked_and_spawned_ones_never() {
        let (_dir, store) = open();
        for (n, a) in ["a", "b", "kid"].iter().enumerate() {
            store.upsert_agent(&agent(a, None, n as i64)).unwrap();
        }
        store.set_agent_meta("kid", Origin::Spawn, Some(2)).unwrap();
        assert_eq!(store.next_seq().unwrap(), 3);
        let gone = store.mark_removed(&["a".to_string()], 77).unwrap();
        assert_eq!(gone, ["b"]);
        let meta = store.agent_meta().unwrap();
        assert_eq!(meta["b"].removed_ms, Some(77));
        assert_eq!(
            meta["kid"].removed_ms, None,
            "spawned agents are not in the file"
        );
        assert_eq!(meta["kid"].max_children, Some(2));
        assert_eq!(meta["kid"].origin, Origin::Spawn);
        // Declared again: back in the fleet.
        assert!(store
            .mark_removed(&["a".into(), "b".into()], 78)
            .unwrap()
            .is_empty());
        assert_eq!(store.agent_meta().unwrap()["b"].removed_ms, None);
    }

    #[test]
    fn the_inbox_holds_direct_children_only_and_reads_once() {
        let (_dir, store) = open();
        store
            .insert_signal(&signal("kid", Some("lead"), SignalKind::Progress, "half"))
            .unwrap();
        store
            .insert_signal(&signal("grandkid", Some("kid"), SignalKind::Done, "deep"))
            .unwrap();
        store
            .insert_signal(&signal("kid", Some("lead"), SignalKind::Done, "all"))
            .unwrap();
        let first = store.take_inbox("lead").unwrap();
        let msgs: Vec<&str> = first.iter().map(|s| s.message.as_str()).collect();
        assert_eq!(
            msgs,
            ["half", "all"],
            "grandchildren report to their own parent"
        );
        assert!(store.take_inbox("lead").unwrap().is_empty(), "read once");
        assert_eq!(store.take_inbox("kid").unwrap()[0].message, "deep");
        store
            .insert_signal(&signal("kid", Some("lead"), SignalKind::Blocked, "help"))
            .unwrap();
        let next = store.take_inbox("lead").unwrap();
        assert_eq!(next.len(), 1);
        assert_eq!(next[0].kind, SignalKind::Blocked);
    }

    #[test]
    fn latest_signal_per_attempt_and_answers() {
        let (_dir, store) = open();
        store
            .insert_signal(&signal("kid", None, SignalKind::Progress, "1"))
            .unwrap();
        store
            .insert_signal(&signal("kid", None, SignalKind::NeedInput, "which db?"))
            .unwrap();
        let latest = store.latest_signals().unwrap();
        assert_eq!(latest.len(), 1);
        assert_eq!(latest[0].0.message, "which db?");
        assert!(!latest[0].1, "not answered yet");
        store.answer_signals("kid", 1, 9).unwrap();
        assert!(store.latest_signals().unwrap()[0].1);
        assert_eq!(store.signals_of("kid").unwrap().len(), 2);
    }
}
