//! An agent with `worktree = true` starts in its own git worktree: made before its first
//! attempt's pane opens, found again by every later attempt (restart, retry).

use super::core::Supervisor;
use crate::fleet::EventKind;
use crate::store::NewEvent;
use crate::tmux::TmuxError;
use crate::worktree::{ensure, Ensured};

impl Supervisor {
    /// Make agent `i`'s worktree if it has one and it is missing. A failure fails the
    /// start with git's own words, and no pane opens in the wrong directory.
    pub(crate) fn prepare_worktree(&mut self, i: usize, now_ms: i64) -> Result<(), TmuxError> {
        let name = self.agents[i].name().to_string();
        let w = match self.store.agent_worktree(&name) {
            Ok(Some(w)) => w,
            Ok(None) => return Ok(()),
            Err(e) => {
                return Err(TmuxError::Command {
                    command: "git worktree add".into(),
                    message: e.to_string(),
                })
            }
        };
        match ensure(&w) {
            Ok(Ensured::Reused) => Ok(()),
            Ok(how) => {
                let kind = EventKind::WorktreeCreated {
                    path: w.path.display().to_string(),
                    branch: w.branch.clone(),
                    new_branch: how == Ensured::CreatedBranch,
                };
                let attempt = self.agents[i].att.attempt + 1;
                self.record([NewEvent::agent(now_ms, &name, attempt, kind)]);
                Ok(())
            }
            Err(e) => {
                let event = self.agents[i].start_failed(e.to_string(), now_ms);
                self.record([event]);
                Err(TmuxError::Command {
                    command: "git worktree add".into(),
                    message: e.to_string(),
                })
            }
        }
    }
}
