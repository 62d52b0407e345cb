//! Which host each agent runs on, as its fleet file says (`host = "…"`).

use super::{Store, StoreError};
use rusqlite::named_params;

impl Store {
    /// Record the host an agent runs on; `None`: this machine.
    pub fn set_agent_host(&self, name: &str, host: Option<&str>) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE agents SET host = :host WHERE name = :name",
                named_params! {":host": host, ":name": name},
            )
            .map_err(|e| self.classify(e))?;
        Ok(())
    }

    /// The host an agent runs on; `None`: this machine (or an agent the store lacks).
    pub fn agent_host(&self, name: &str) -> Result<Option<String>, StoreError> {
        let rows: Vec<Option<String>> = self.rows(
            "SELECT host FROM agents WHERE name = :name",
            named_params! {":name": name},
            |r| r.get(0),
        )?;
        Ok(rows.into_iter().flatten().next())
    }
}

#[cfg(test)]
mod tests {
    use crate::store::{AgentRecord, Store};

    #[test]
    fn an_agents_host_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("f.sqlite")).unwrap();
        let rec = AgentRecord {
            name: "a".into(),
            parent: None,
            kind: "shell".into(),
            cmd: "bash".into(),
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
        assert_eq!(s.agent_host("a").unwrap(), None);
        s.set_agent_host("a", Some("gpu1")).unwrap();
        assert_eq!(s.agent_host("a").unwrap().as_deref(), Some("gpu1"));
        s.set_agent_host("a", None).unwrap();
        assert_eq!(s.agent_host("a").unwrap(), None);
    }
}
