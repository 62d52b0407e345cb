//! Agent-native signals in the store: whether an agent's CLI is launched with shoal's
//! hooks, and the hook events `shoal hook` records from inside agents' panes, which the
//! supervisor reads back by id.

use super::{Store, StoreError};
use crate::fleet::EventKind;
use rusqlite::named_params;

/// A hook event as the supervisor takes it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookRow {
    /// Event id.
    pub id: i64,
    /// When `shoal hook` recorded it (unix ms).
    pub ts_ms: i64,
    /// The agent whose pane it ran in.
    pub agent: String,
    /// That agent's attempt.
    pub attempt: u32,
    /// The CLI's event (`PermissionRequest`, `Stop`, …).
    pub event: String,
}

impl Store {
    /// Record whether an agent's CLI gets shoal's hooks; `None`: the fleet's default.
    pub fn set_agent_hooks(&self, name: &str, hooks: Option<bool>) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE agents SET hooks = :hooks WHERE name = :name",
                named_params! {":hooks": hooks, ":name": name},
            )
            .map_err(|e| self.classify(e))?;
        Ok(())
    }

    /// Whether an agent's CLI gets shoal's hooks; `None`: the fleet's default.
    pub fn agent_hooks(&self, name: &str) -> Result<Option<bool>, StoreError> {
        let rows: Vec<Option<bool>> = self.rows(
            "SELECT hooks FROM agents WHERE name = :name",
            named_params! {":name": name},
            |r| r.get(0),
        )?;
        Ok(rows.into_iter().flatten().next())
    }

    /// The id of the newest event (0 when there is none).
    pub fn last_event_id(&self) -> Result<i64, StoreError> {
        let rows: Vec<Option<i64>> = self.rows("SELECT max(id) FROM events", [], |r| r.get(0))?;
        Ok(rows.into_iter().flatten().next().unwrap_or(0))
    }

    /// Hook events after `after_id`, oldest first, and the id to read on from. Ids only
    /// grow, so taking the newest id before the hooks misses none committed later.
    pub fn hooks_after(&self, after_id: i64) -> Result<(Vec<HookRow>, i64), StoreError> {
        let upto = self.last_event_id()?.max(after_id);
        let rows: Vec<Option<HookRow>> = self.rows(
            "SELECT id, ts_ms, agent, attempt, payload FROM events
             WHERE id > :after AND id <= :upto AND kind = 'hook' ORDER BY id",
            named_params! {":after": after_id, ":upto": upto},
            |r| {
                let payload: Option<String> = r.get(4)?;
                let event = payload
                    .and_then(|p| serde_json::from_str::<EventKind>(&p).ok())
                    .and_then(|k| match k {
                        EventKind::Hook { event, .. } => Some(event),
                        _ => None,
                    });
                let (id, ts_ms): (i64, i64) = (r.get(0)?, r.get(1)?);
                let (agent, attempt): (Option<String>, Option<u32>) = (r.get(2)?, r.get(3)?);
                Ok(event
                    .zip(agent)
                    .zip(attempt)
                    .map(|((event, agent), attempt)| HookRow {
                        id,
                        ts_ms,
                        agent,
                        attempt,
                        event,
                    }))
            },
        )?;
        let hooks = rows.into_iter().flatten().collect();
        Ok((hooks, upto))
    }
}

#[cfg(test)]
mod tests {
    use crate::fleet::EventKind;
    use crate::store::{AgentRecord, NewEvent, Store};

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("f.sqlite")).unwrap();
        (dir, s)
    }

    #[test]
    fn an_agents_hooks_choice_is_kept() {
        let (_d, s) = store();
        let rec = AgentRecord {
            name: "a".into(),
            parent: None,
            kind: "claude".into(),
            cmd: "claude".into(),
            cwd: None,
            task: None,
            env: Default::default(),
            stall_timeout_ms: 1000,
            on_idle: None,
            paused: false,
            seq: 0,
            created_ms: 0,
        };
        s.upsert_agent(&rec).unwrap();
        assert_eq!(s.agent_hooks("a").unwrap(), None);
        s.set_agent_hooks("a", Some(false)).unwrap();
        assert_eq!(s.agent_hooks("a").unwrap(), Some(false));
        s.upsert_agent(&rec).unwrap();
        assert_eq!(
            s.agent_hooks("a").unwrap(),
            Some(false),
            "a redeclaration keeps it"
        );
        s.set_agent_hooks("a", None).unwrap();
        assert_eq!(s.agent_hooks("a").unwrap(), None);
        assert_eq!(s.agent_hooks("nobody").unwrap(), None);
    }

    #[test]
    fn hooks_are_read_back_after_a_cursor_and_other_events_are_skipped() {
        let (_d, s) = store();
        assert_eq!(s.last_event_id().unwrap(), 0);
        let hook = |ts: i64, event: &str| {
            NewEvent::agent(
                ts,
                "a",
                2,
                EventKind::Hook {
                    cli: "claude".into(),
                    event: event.into(),
                },
            )
        };
        let first = s.insert_event(&hook(10, "Stop")).unwrap();
        s.insert_event(&NewEvent::agent(11, "a", 2, EventKind::WaitingForWork))
            .unwrap();
        s.insert_event(&hook(12, "PermissionRequest")).unwrap();
        let (rows, upto) = s.hooks_after(0).unwrap();
        assert_eq!(
            rows.iter()
                .map(|r| (r.ts_ms, r.agent.as_str(), r.attempt, r.event.as_str()))
                .collect::<Vec<_>>(),
            [(10, "a", 2, "Stop"), (12, "a", 2, "PermissionRequest")]
        );
        assert_eq!(upto, s.last_event_id().unwrap());
        let (rows, _) = s.hooks_after(first).unwrap();
        assert_eq!(rows.len(), 1);
        assert!(s.hooks_after(upto).unwrap().0.is_empty());
    }
}
