//! The published snapshot's agents, one row each by position: a publish rewrites only
//! the agents whose view changed, so a quiet agent costs the publisher nothing per tick.

use super::{Store, StoreError};
use crate::fleet::AgentView;
use rusqlite::named_params;

impl Store {
    /// Write the rows of `agents` that differ from `prev` (what the rows hold now) and
    /// drop the rows past the end. Called inside the publish's transaction.
    pub(super) fn write_snapshot_agents(
        &self,
        agents: &[AgentView],
        prev: Option<&[AgentView]>,
    ) -> Result<(), StoreError> {
        let mut upsert = self
            .conn
            .prepare_cached(
                "INSERT INTO snapshot_agents (pos, body) VALUES (:pos, :body)
                 ON CONFLICT(pos) DO UPDATE SET body = :body",
            )
            .map_err(|e| self.classify(e))?;
        for (pos, agent) in agents.iter().enumerate() {
            if prev.and_then(|p| p.get(pos)) == Some(agent) {
                continue;
            }
            let body = serde_json::to_string(agent).expect("agent views serialize");
            let pos = i64::try_from(pos).unwrap_or(i64::MAX);
            upsert
                .execute(named_params! {":pos": pos, ":body": body})
                .map_err(|e| self.classify(e))?;
        }
        let n = i64::try_from(agents.len()).unwrap_or(i64::MAX);
        self.conn
            .execute(
                "DELETE FROM snapshot_agents WHERE pos >= :n",
                named_params! {":n": n},
            )
            .map_err(|e| self.classify(e))?;
        Ok(())
    }

    /// The published agents in order; `None` when a row cannot be read (a body written
    /// by another version of shoal): the caller treats the snapshot as absent.
    pub(super) fn snapshot_agents(&self) -> Result<Option<Vec<AgentView>>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT body FROM snapshot_agents ORDER BY pos")
            .map_err(|e| self.classify(e))?;
        let bodies = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.classify(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.classify(e))?;
        Ok(bodies
            .iter()
            .map(|b| serde_json::from_str(b).ok())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use crate::fleet::{AgentView, FleetSnapshot};
    use crate::store::Store;

    fn agent(name: &str) -> AgentView {
        AgentView::sample(name)
    }

    fn header(tick: u64) -> FleetSnapshot {
        FleetSnapshot {
            fleet: "f".into(),
            tick,
            ..Default::default()
        }
    }

    fn rows(s: &Store) -> Vec<(i64, String)> {
        s.conn
            .prepare("SELECT pos, body FROM snapshot_agents ORDER BY pos")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn only_changed_agents_are_rewritten_and_a_reader_sees_them_all() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("s.db")).unwrap();
        let lease = s.try_lease(100, 1_000, 5_000).unwrap().unwrap();
        let first = vec![agent("a"), agent("b"), agent("c")];
        assert!(s
            .publish_snapshot_since(lease, &header(1), &first, None)
            .unwrap());
        // Mark the stored rows: a row rewritten loses its mark.
        s.conn
            .execute("UPDATE snapshot_agents SET body = body || ' '", [])
            .unwrap();
        let mut second = first.clone();
        second[1].paused = true;
        assert!(s
            .publish_snapshot_since(lease, &header(2), &second, Some(&first))
            .unwrap());
        let marked: Vec<bool> = rows(&s).iter().map(|(_, b)| b.ends_with(' ')).collect();
        assert_eq!(marked, [true, false, true], "only b was written again");
        let back = s.published_snapshot().unwrap().unwrap().snapshot;
        assert_eq!(back.tick, 2);
        let names: Vec<&str> = back.agents.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert!(back.agents[1].paused && !back.agents[0].paused);

        // A smaller fleet drops the rows past its end.
        let third = vec![second[0].clone()];
        assert!(s
            .publish_snapshot_since(lease, &header(3), &third, Some(&second))
            .unwrap());
        assert_eq!(rows(&s).len(), 1);
        assert_eq!(
            s.published_snapshot()
                .unwrap()
                .unwrap()
                .snapshot
                .agents
                .len(),
            1
        );
    }

    #[test]
    fn a_fenced_publisher_writes_no_agent_rows() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("s.db")).unwrap();
        let lease = s.try_lease(100, 1_000, 5_000).unwrap().unwrap();
        assert!(s
            .publish_snapshot_since(lease, &header(1), &[agent("a")], None)
            .unwrap());
        let stale = crate::store::Lease {
            pid: 100,
            epoch: lease.epoch - 1,
        };
        assert!(!s
            .publish_snapshot_since(stale, &header(2), &[agent("x"), agent("y")], None)
            .unwrap());
        let back = s.published_snapshot().unwrap().unwrap().snapshot;
        assert_eq!((back.tick, back.agents.len()), (1, 1));
        assert_eq!(back.agents[0].name, "a");
    }
}
