//! Restart policy and circuit breaker rows: each agent's own restart policy, what the
//! supervisor remembers of its restarts, and each kind's circuit. The supervisor owns
//! their shapes; the store keeps them as JSON so it never names the supervisor's types.

use super::{Store, StoreError};
use crate::fleet::RestartSettings;
use rusqlite::named_params;
use std::collections::HashMap;

impl Store {
    /// Record an agent's own restart policy; `None` means it follows the fleet's.
    pub fn set_agent_restart(
        &self,
        name: &str,
        policy: Option<&RestartSettings>,
    ) -> Result<(), StoreError> {
        let json = policy.map(|p| serde_json::to_string(p).expect("settings serialize"));
        self.conn
            .execute(
                "UPDATE agents SET restart = :restart WHERE name = :name",
                named_params! {":restart": json, ":name": name},
            )
            .map_err(|e| self.classify(e))?;
        Ok(())
    }

    /// Every agent's own restart policy, by name; agents that follow the fleet's are
    /// absent.
    pub fn agent_restarts(&self) -> Result<HashMap<String, RestartSettings>, StoreError> {
        let rows: Vec<(String, String)> = self.rows(
            "SELECT name, restart FROM agents WHERE restart IS NOT NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        // A policy written by a newer shoal that does not read back follows the fleet's.
        Ok(rows
            .into_iter()
            .filter_map(|(n, j)| serde_json::from_str(&j).ok().map(|p| (n, p)))
            .collect())
    }

    /// Save what the supervisor remembers of one agent's restarts (JSON).
    pub fn save_restart_state(&self, agent: &str, body: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO restarts (agent, body) VALUES (:agent, :body)
                 ON CONFLICT(agent) DO UPDATE SET body = :body",
                named_params! {":agent": agent, ":body": body},
            )
            .map_err(|e| self.classify(e))?;
        Ok(())
    }

    /// Every agent's restart memory (JSON), by name.
    pub fn restart_states(&self) -> Result<HashMap<String, String>, StoreError> {
        let rows: Vec<(String, String)> =
            self.rows("SELECT agent, body FROM restarts", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        Ok(rows.into_iter().collect())
    }

    /// Save one kind's circuit: its state word, when an open one half-opens, and the
    /// whole of it as JSON.
    pub fn save_circuit(
        &self,
        kind: &str,
        state: &str,
        until_ms: Option<i64>,
        body: &str,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO circuits (kind, state, until_ms, body) VALUES (:kind, :state, :until, :body)
                 ON CONFLICT(kind) DO UPDATE SET state = :state, until_ms = :until, body = :body",
                named_params! {":kind": kind, ":state": state, ":until": until_ms, ":body": body},
            )
            .map_err(|e| self.classify(e))?;
        Ok(())
    }

    /// Every kind's circuit (JSON), by kind.
    pub fn circuits(&self) -> Result<HashMap<String, String>, StoreError> {
        let rows: Vec<(String, String)> =
            self.rows("SELECT kind, body FROM circuits ORDER BY kind", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        Ok(rows.into_iter().collect())
    }
}

impl Store {
    /// Agents whose latest attempt ended because its tmux server went away or its pane
    /// became another's (a reboot, a killed server), with that attempt's number: the
    /// ones that were running when the fleet stopped under them, which `shoal up`
    /// offers to start again. Agents removed from the fleet file are not among them.
    pub fn interrupted_agents(&self) -> Result<Vec<(String, u32)>, StoreError> {
        self.rows(
            "SELECT t.agent, t.attempt FROM attempts t
             JOIN agents a ON a.name = t.agent AND a.removed_ms IS NULL
             WHERE t.attempt = (SELECT MAX(attempt) FROM attempts WHERE agent = t.agent)
               AND t.ended_ms IS NOT NULL
               AND EXISTS (SELECT 1 FROM events e
                           WHERE e.agent = t.agent AND e.attempt = t.attempt
                             AND json_extract(e.payload, '$.type') IN ('server-gone', 'lost'))
             ORDER BY t.agent",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }
}

impl Store {
    /// Record the `backend` an agent's rapid failures count against (`None`: its kind).
    pub fn set_agent_backend(&self, name: &str, backend: Option<&str>) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE agents SET backend = :backend WHERE name = :name",
                named_params! {":backend": backend, ":name": name},
            )
            .map_err(|e| self.classify(e))?;
        Ok(())
    }

    /// Every agent's `backend`, by name; agents without one are absent.
    pub fn agent_backends(&self) -> Result<HashMap<String, String>, StoreError> {
        let rows: Vec<(String, String)> = self.rows(
            "SELECT name, backend FROM agents WHERE backend IS NOT NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(rows.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use crate::fleet::{RestartMode, RestartSettings};
    use crate::store::{AgentRecord, Store};

    #[test]
    fn restart_rows_read_back_after_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        {
            let s = Store::open(&path).unwrap();
            s.upsert_agent(&AgentRecord {
                name: "a".into(),
                parent: None,
                kind: "shell".into(),
                cmd: "true".into(),
                cwd: None,
                task: None,
                env: Default::default(),
                stall_timeout_ms: 1000,
                on_idle: None,
                paused: false,
                seq: 0,
                created_ms: 0,
            })
            .unwrap();
            let p = RestartSettings {
                restart: RestartMode::Always,
                max_restarts: 2,
                ..Default::default()
            };
            s.set_agent_restart("a", Some(&p)).unwrap();
            s.save_restart_state("a", r#"{"judged":3}"#).unwrap();
            s.save_circuit("claude", "open", Some(5), r#"{"x":1}"#)
                .unwrap();
            s.save_circuit("claude", "open", Some(9), r#"{"x":2}"#)
                .unwrap();
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(s.agent_restarts().unwrap()["a"].max_restarts, 2);
        assert_eq!(s.restart_states().unwrap()["a"], r#"{"judged":3}"#);
        assert_eq!(s.circuits().unwrap()["claude"], r#"{"x":2}"#);
        s.set_agent_restart("a", None).unwrap();
        assert!(s.agent_restarts().unwrap().is_empty());
    }
}
