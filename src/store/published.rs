//! What the lease holder publishes for other processes: its latest fleet snapshot, so a
//! view console draws the fleet without polling every pane; and the lease taken over
//! from a console that hands its fleet on as it quits.

use super::{Lease, LeaseHolder, Store, StoreError, SupervisorMode};
use crate::fleet::{AgentView, FleetSnapshot};
use rusqlite::{named_params, OptionalExtension};

/// The holder's latest snapshot as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// The supervisor that wrote it.
    pub pid: u32,
    /// The lease epoch it wrote under.
    pub epoch: i64,
    /// Raised by every write: a reader that saw this number has seen this snapshot.
    pub seq: i64,
    /// The snapshot, without pane captures.
    pub snapshot: FleetSnapshot,
}

impl Store {
    /// Store `snap` as the fleet's latest picture, if `lease` is still in force; returns
    /// whether it was written. Captures are left out: a view captures the pane it shows.
    pub fn publish_snapshot(&self, lease: Lease, snap: &FleetSnapshot) -> Result<bool, StoreError> {
        let header = FleetSnapshot {
            agents: Vec::new(),
            ..snap.clone()
        };
        self.publish_snapshot_since(lease, &header, &snap.agents, None)
    }

    /// [`Store::publish_snapshot`] of `header` (its own `agents` left empty) with
    /// `agents`, rewriting only the agents that differ from `prev` at the same position:
    /// `prev` must be what the last successful publish under this lease wrote (`None`
    /// rewrites every agent). A quiet agent then costs no serializing and no write.
    pub fn publish_snapshot_since(
        &self,
        lease: Lease,
        header: &FleetSnapshot,
        agents: &[AgentView],
        prev: Option<&[AgentView]>,
    ) -> Result<bool, StoreError> {
        debug_assert!(header.agents.is_empty(), "agents go in their own rows");
        let body = serde_json::to_string(header).expect("snapshots serialize");
        self.write(|s| {
            let n = s
                .conn
                .execute(
                    "INSERT INTO snapshot (id, pid, epoch, seq, ts_ms, body)
                     SELECT 1, :pid, :epoch, 1, :ts, :body
                     WHERE EXISTS (SELECT 1 FROM lease WHERE id = 1 AND pid = :pid AND epoch = :epoch)
                     ON CONFLICT(id) DO UPDATE SET pid = :pid, epoch = :epoch, seq = seq + 1,
                        ts_ms = :ts, body = :body",
                    named_params! {":pid": lease.pid, ":epoch": lease.epoch,
                    ":ts": header.taken_at_ms, ":body": body},
                )
                .map_err(|e| s.classify(e))?;
            if n != 1 {
                return Ok(false);
            }
            s.write_snapshot_agents(agents, prev)?;
            Ok(true)
        })
    }

    /// The stored snapshot's sequence number: cheap to ask every few hundred ms.
    pub fn snapshot_seq(&self) -> Result<Option<i64>, StoreError> {
        self.conn
            .query_row("SELECT seq FROM snapshot WHERE id = 1", [], |r| r.get(0))
            .optional()
            .map_err(|e| self.classify(e))
    }

    /// The stored snapshot; `None` before any supervisor published one. A body this
    /// shoal cannot read counts as none.
    pub fn published_snapshot(&self) -> Result<Option<Published>, StoreError> {
        // One read transaction: the header and the agent rows of the same publish.
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(|e| self.classify(e))?;
        let row: Option<(u32, i64, i64, String)> = tx
            .query_row(
                "SELECT pid, epoch, seq, body FROM snapshot WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(|e| self.classify(e))?;
        let Some((pid, epoch, seq, body)) = row else {
            return Ok(None);
        };
        let Ok(mut snapshot) = serde_json::from_str::<FleetSnapshot>(&body) else {
            return Ok(None);
        };
        if snapshot.agents.is_empty() {
            snapshot.agents = match self.snapshot_agents() {
                Ok(Some(agents)) => agents,
                Ok(None) => return Ok(None),
                Err(e) => return Err(e),
            };
        }
        drop(tx);
        Ok(Some(Published {
            pid,
            epoch,
            seq,
            snapshot,
        }))
    }

    /// Take the lease from `from` (a console handing its fleet over) even while it is
    /// live; from anyone else only when the lease is free or stale, as
    /// [`Store::try_lease_as`] does. The epoch rises, so `from` acts no more.
    pub fn take_lease_over(
        &self,
        pid: u32,
        from: u32,
        now_ms: i64,
        stale_ms: i64,
        mode: SupervisorMode,
    ) -> Result<Result<Lease, LeaseHolder>, StoreError> {
        // Two statements, not one transaction: a heartbeat of `from` in between makes
        // the take-over fail, and the caller tries again.
        if self.lease()?.is_some_and(|h| h.pid == from && h.pid != pid) {
            // Stale for the check that follows: the holder asked to be replaced.
            self.conn
                .execute(
                    "UPDATE lease SET heartbeat_ms = :stale WHERE id = 1 AND pid = :from",
                    named_params! {":stale": now_ms - stale_ms - 1, ":from": from},
                )
                .map_err(|e| self.classify(e))?;
        }
        self.try_lease_as(pid, now_ms, stale_ms, mode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("s.db")).unwrap();
        (dir, s)
    }

    #[test]
    fn only_the_holder_publishes_and_each_write_raises_the_seq() {
        let (_d, s) = store();
        let lease = s.try_lease(100, 1_000, 5_000).unwrap().unwrap();
        let mut snap = FleetSnapshot {
            fleet: "f".into(),
            taken_at_ms: 1_000,
            ..Default::default()
        };
        assert_eq!(s.published_snapshot().unwrap(), None);
        assert!(s.publish_snapshot(lease, &snap).unwrap());
        assert_eq!(s.snapshot_seq().unwrap(), Some(1));
        snap.tick = 7;
        assert!(s.publish_snapshot(lease, &snap).unwrap());
        let p = s.published_snapshot().unwrap().unwrap();
        assert_eq!((p.pid, p.epoch, p.seq, p.snapshot.tick), (100, 1, 2, 7));
        // A supervisor whose lease was taken writes nothing more.
        let old = Lease { pid: 100, epoch: 0 };
        snap.tick = 8;
        assert!(!s.publish_snapshot(old, &snap).unwrap());
        assert_eq!(s.published_snapshot().unwrap().unwrap().snapshot.tick, 7);
    }

    #[test]
    fn a_published_snapshot_keeps_agents_but_not_captures() {
        let (_d, s) = store();
        let lease = s.try_lease(100, 1_000, 5_000).unwrap().unwrap();
        let json = r#"{"name":"a1","parent":null,"kind":"shell","state":"running","activity":"working","error":null,"reset_at_ms":null,"reason":null,"tier":"ok","tier_since_ms":0,"next_action_at_ms":null,"last_progress_ms":0,"stall_timeout_ms":1000,"attempt":1,"pane":"%1","server":"x","exit_status":null,"paused":false}"#;
        let mut agent: AgentView = serde_json::from_str(json).unwrap();
        agent.capture = "secret screen".into();
        let snap = FleetSnapshot {
            agents: vec![agent],
            ..Default::default()
        };
        s.publish_snapshot(lease, &snap).unwrap();
        let back = s.published_snapshot().unwrap().unwrap().snapshot;
        assert_eq!(back.agents[0].name, "a1");
        assert_eq!(back.agents[0].pane.as_deref(), Some("%1"));
        assert!(back.agents[0].capture.is_empty());
    }

    #[test]
    fn a_take_over_fences_the_console_it_names_and_no_other_live_holder() {
        let (_d, s) = store();
        let me = std::process::id();
        let console = s
            .try_lease_as(me, 1_000, 5_000, SupervisorMode::Console)
            .unwrap()
            .unwrap();
        // Another live holder is not taken from.
        let refused = s
            .take_lease_over(me + 1, me + 7, 1_100, 5_000, SupervisorMode::Detached)
            .unwrap();
        assert_eq!(refused.unwrap_err().pid, me);
        let theirs = s
            .take_lease_over(me + 1, me, 1_100, 5_000, SupervisorMode::Detached)
            .unwrap()
            .unwrap();
        assert_eq!(theirs.epoch, console.epoch + 1);
        assert!(!s.holds(console).unwrap(), "the console is fenced off");
        assert!(!s.heartbeat(console, 1_200, 3).unwrap());
        let h = s.lease().unwrap().unwrap();
        assert_eq!((h.pid, h.mode), (me + 1, SupervisorMode::Detached));
    }
}
