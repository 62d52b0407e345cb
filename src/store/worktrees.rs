//! The git worktree each agent runs in, as its fleet file asks (`worktree = true`).

use super::{Store, StoreError};
use crate::worktree::Worktree;
use rusqlite::named_params;
use std::collections::HashMap;

impl Store {
    /// Record the worktree an agent runs in; `None`: none.
    pub fn set_agent_worktree(&self, name: &str, w: Option<&Worktree>) -> Result<(), StoreError> {
        let body = w.map(|w| serde_json::to_string(w).expect("a worktree serializes"));
        self.conn
            .execute(
                "UPDATE agents SET worktree = :w WHERE name = :name",
                named_params! {":w": body, ":name": name},
            )
            .map_err(|e| self.classify(e))?;
        Ok(())
    }

    /// The worktree an agent runs in, if it has one.
    pub fn agent_worktree(&self, name: &str) -> Result<Option<Worktree>, StoreError> {
        let rows: Vec<Option<String>> = self.rows(
            "SELECT worktree FROM agents WHERE name = :name",
            named_params! {":name": name},
            |r| r.get(0),
        )?;
        Ok(rows
            .into_iter()
            .flatten()
            .next()
            .and_then(|b| serde_json::from_str(&b).ok()))
    }

    /// Every agent's worktree, by agent name.
    pub fn agent_worktrees(&self) -> Result<HashMap<String, Worktree>, StoreError> {
        let rows: Vec<(String, Option<String>)> = self.rows(
            "SELECT name, worktree FROM agents WHERE worktree IS NOT NULL",
            named_params! {},
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(rows
            .into_iter()
            .filter_map(|(n, b)| Some((n, serde_json::from_str(&b?).ok()?)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use crate::store::{AgentRecord, Store};
    use crate::worktree::Worktree;

    #[test]
    fn an_agents_worktree_is_kept_and_cleared() {
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
        assert_eq!(s.agent_worktree("a").unwrap(), None);
        let w = Worktree {
            repo: "/r".into(),
            branch: "a".into(),
            path: "/d/worktrees/f/a".into(),
            subdir: "src".into(),
        };
        s.set_agent_worktree("a", Some(&w)).unwrap();
        assert_eq!(s.agent_worktree("a").unwrap(), Some(w.clone()));
        assert_eq!(s.agent_worktrees().unwrap()["a"], w);
        s.set_agent_worktree("a", None).unwrap();
        assert!(s.agent_worktrees().unwrap().is_empty());
    }
}
