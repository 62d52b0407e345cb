//! Recording a fleet file's declarations in the store.

use super::detector::Detector;
use crate::fleet::Fleet;
use crate::store::{AgentRecord, Store, StoreError};

/// Upsert every agent of the fleet file into the store, guessing kinds that are not
/// given. Returns the names that were new.
pub fn declare(
    store: &Store,
    fleet: &Fleet,
    detector: &dyn Detector,
    now_ms: i64,
) -> Result<Vec<String>, StoreError> {
    declare_only(store, fleet, detector, now_ms, |_, _| true)
}

/// [`declare`], for the agents `keep` accepts (by name, with whether the store knows it
/// already): a changed fleet file updates known agents, and adds new ones only when the
/// operator says so.
pub fn declare_only(
    store: &Store,
    fleet: &Fleet,
    detector: &dyn Detector,
    now_ms: i64,
    keep: impl Fn(&str, bool) -> bool,
) -> Result<Vec<String>, StoreError> {
    store.write(|s| {
        let mut new = Vec::new();
        for (seq, a) in fleet.agents.iter().enumerate() {
            if !keep(&a.name, s.agent(&a.name)?.is_some()) {
                continue;
            }
            let paused = s.agent(&a.name)?.is_some_and(|r| r.paused);
            // The store lives in the data directory, where worktrees go too.
            let worktree = a.worktree.as_ref().map(|spec| {
                let home = s.path().parent().unwrap_or(std::path::Path::new("."));
                crate::worktree::Worktree::for_agent(home, fleet.name(), &a.name, spec)
            });
            let cwd = match &worktree {
                Some(w) => Some(w.cwd().display().to_string()),
                None => a.cwd.as_ref().map(|p| p.display().to_string()),
            };
            let rec = AgentRecord {
                name: a.name.clone(),
                parent: a.parent.clone(),
                kind: a
                    .kind
                    .clone()
                    .unwrap_or_else(|| detector.guess_kind(&a.cmd)),
                cmd: a.cmd.clone(),
                cwd,
                task: a.task.clone(),
                // The operator's values stay in the fleet file; the store keeps hashes.
                env: crate::fleet::secret_env::seal_all(&a.name, &a.env),
                stall_timeout_ms: a.stall_timeout.as_millis().max(1) as u64,
                paused,
                on_idle: a.on_idle,
                seq: seq as i64,
                created_ms: now_ms,
            };
            let is_new = s.upsert_agent(&rec)?;
            s.set_agent_restart(&a.name, Some(&a.restart))?;
            s.set_agent_host(&a.name, a.host.as_deref())?;
            s.set_agent_budget(&a.name, a.budget.as_ref())?;
            s.set_agent_worktree(&a.name, worktree.as_ref())?;
            s.set_agent_backend(&a.name, a.backend.as_deref())?;
            s.set_agent_hooks(&a.name, a.hooks)?;
            if is_new {
                new.push(a.name.clone());
            }
        }
        Ok(new)
    })
}
