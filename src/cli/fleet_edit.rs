//! Adding and removing agents in the fleet file: `shoal add`, `shoal remove` and the
//! console's `N` and `D`. The file is edited in place with its comments and formatting
//! kept, read back with the fleet file's own parser before it is written, and the store
//! records the change, which is how a running supervisor (the console's own, or a
//! detached one) learns of it: it starts a new agent as `shoal up` would.

use super::ctx::Ctx;
use crate::fleet::draft::{AgentDraft, DraftContext, DraftError};
use crate::fleet::{edit, file, Fleet, FleetSettings, LifeState};
use crate::profile::Registry;
use crate::store::Store;
use crate::supervisor::runner::now_ms;
use crate::worktree::{self, Removed};
use std::path::{Path, PathBuf};

/// Everything an edit of one fleet's file needs, owned, so the console can keep one.
pub struct FleetEditor {
    path: PathBuf,
    defaults: FleetSettings,
    registry: Registry,
    store: Store,
}

impl FleetEditor {
    /// An editor for the fleet `ctx` opened; `registry` gives the known kinds.
    pub fn new(ctx: &Ctx, registry: Registry) -> anyhow::Result<FleetEditor> {
        Ok(FleetEditor {
            path: ctx.fleet.path.clone(),
            defaults: ctx.config.fleet_defaults(),
            registry,
            store: Store::open(ctx.store.path())?,
        })
    }

    /// The fleet file edited.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> Result<String, String> {
        std::fs::read_to_string(&self.path)
            .map_err(|e| format!("cannot read {}: {e}", self.path.display()))
    }

    /// Check the draft, append its block to the fleet file and record it in the store;
    /// the supervisor starts it. Returns what was done, in a line.
    pub fn add(&self, draft: &AgentDraft) -> Result<String, DraftError> {
        let whole = DraftError::whole;
        // A relative directory means one from here, which the file cannot say.
        let mut draft = draft.clone();
        if let Some(c) = draft.cwd.as_mut().filter(|c| !c.starts_with('~')) {
            if let Ok(abs) = std::path::absolute(c.as_str()) {
                *c = abs.display().to_string();
            }
        }
        let draft = &draft;
        let text = self.read().map_err(whole)?;
        let before =
            file::parse_with(&self.path, &text, &self.defaults).map_err(|e| whole(one_line(&e)))?;
        let mut taken: Vec<String> = before.agents.iter().map(|a| a.name.clone()).collect();
        // A removed agent's name may come back: its history stays under it.
        let meta = self.store.agent_meta().map_err(|e| whole(e.to_string()))?;
        taken.extend(
            self.store
                .agents()
                .map_err(|e| whole(e.to_string()))?
                .into_iter()
                .map(|a| a.name)
                .filter(|n| meta.get(n).map_or(true, |m| m.removed_ms.is_none())),
        );
        let fleet_dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        draft.check(&DraftContext {
            kinds: &self.registry.names(),
            taken: &taken,
            fleet_dir,
        })?;
        let new_text = edit::add_agent(&text, draft).map_err(|e| whole(e.to_string()))?;
        // The fleet file's own rules have the last word (a parent that names no agent, …).
        let fleet = file::parse_with(&self.path, &new_text, &self.defaults)
            .map_err(|e| whole(one_line(&e)))?;
        std::fs::write(&self.path, &new_text)
            .map_err(|e| whole(format!("cannot write {}: {e}", self.path.display())))?;
        self.record(&fleet, &draft.name).map_err(|e| {
            whole(format!(
                "{} was written, but the store could not record {}: {e}; `shoal up` starts it",
                self.path.display(),
                draft.name
            ))
        })?;
        let place = draft
            .parent
            .as_deref()
            .map_or(String::new(), |p| format!(" under {p}"));
        let again = if self.ran_before(&draft.name) {
            "; it ran in this fleet before, so it starts again with a retry"
        } else {
            ""
        };
        Ok(format!(
            "added {}{place} to {}{again}",
            draft.name,
            self.path.display()
        ))
    }

    /// Declare the new agent (only it: others the file adds wait for the operator, as on
    /// a hot reload) and the file's lineage facts.
    fn record(&self, fleet: &Fleet, name: &str) -> anyhow::Result<()> {
        let now = now_ms();
        crate::supervisor::declare_only(&self.store, fleet, &self.registry, now, |n, _| n == name)?;
        super::ctx::record_fleet(&self.store, fleet, now)
    }

    /// Whether `name` has an ended attempt: an agent removed and added again, which a
    /// retry starts (a queued start is only for agents that never ran).
    pub fn ran_before(&self, name: &str) -> bool {
        self.store
            .attempts(name)
            .ok()
            .and_then(|a| a.last().map(|t| t.state.is_ended()))
            .unwrap_or(false)
    }

    /// Whether the fleet file declares `name` (an agent spawned or adopted is not in it).
    pub fn declares(&self, name: &str) -> Result<bool, String> {
        let text = self.read()?;
        let fleet =
            file::parse_with(&self.path, &text, &self.defaults).map_err(|e| one_line(&e))?;
        Ok(fleet.agent(name).is_some())
    }

    /// The worktree `name` runs in, if any.
    pub fn worktree(&self, name: &str) -> Option<worktree::Worktree> {
        self.store.agent_worktree(name).ok().flatten()
    }

    /// Take an ended agent's block out of the fleet file, delete its worktree (kept when
    /// it has uncommitted changes, unless `force`), and record it as removed. Returns
    /// what was done, a line each.
    pub fn remove(&self, name: &str, force: bool) -> Result<Vec<String>, String> {
        let live = self
            .store
            .attempts(name)
            .map_err(|e| e.to_string())?
            .last()
            .is_some_and(|a| matches!(a.state, LifeState::Starting | LifeState::Running));
        if live {
            return Err(format!(
                "{name} is still running; its attempt must end first (`shoal kill {name}`)"
            ));
        }
        let text = self.read()?;
        let new_text = edit::remove_agent(&text, name).map_err(|e| match e {
            edit::EditError::NotDeclared(_) => format!(
                "{name} is not declared in {} (spawned or adopted agents have no block there); `shoal kill {name}` ends it",
                self.path.display()
            ),
            other => other.to_string(),
        })?;
        let fleet = file::parse_with(&self.path, &new_text, &self.defaults).map_err(|e| {
            format!(
                "{name} cannot be taken out of {}: without it, {}; nothing was changed",
                self.path.display(),
                e.message
            )
        })?;
        let mut done = Vec::new();
        if let Some(w) = self.worktree(name) {
            done.push(worktree_line(&w, force));
        }
        std::fs::write(&self.path, &new_text)
            .map_err(|e| format!("cannot write {}: {e}", self.path.display()))?;
        done.insert(0, format!("{name}: removed from {}", self.path.display()));
        super::ctx::record_fleet(&self.store, &fleet, now_ms()).map_err(|e| e.to_string())?;
        Ok(done)
    }
}

impl crate::console::FleetEdits for FleetEditor {
    fn add(&mut self, draft: &AgentDraft) -> Result<String, DraftError> {
        FleetEditor::add(self, draft)
    }

    fn ran_before(&mut self, name: &str) -> bool {
        FleetEditor::ran_before(self, name)
    }

    fn declares(&mut self, name: &str) -> Result<bool, String> {
        FleetEditor::declares(self, name)
    }

    fn remove(&mut self, name: &str) -> Result<Vec<String>, String> {
        // The console never deletes uncommitted work: `shoal remove --force` does.
        FleetEditor::remove(self, name, false)
    }
}

/// Delete a worktree and say what became of it.
pub fn worktree_line(w: &worktree::Worktree, force: bool) -> String {
    let path = w.path.display();
    match worktree::remove(w, force) {
        Ok(Removed::Deleted) => format!(
            "worktree {path} deleted (branch {} kept in {})",
            w.branch,
            w.repo.display()
        ),
        Ok(Removed::Absent) => format!("worktree {path} was already gone"),
        Ok(Removed::KeptDirty(paths)) => format!(
            "worktree {path} kept: it has uncommitted changes ({}); --force deletes it anyway, or `git worktree remove --force {path}`",
            paths.join(", ")
        ),
        Err(e) => format!("worktree {path} not deleted: {e}"),
    }
}

/// A fleet file error on one line, for the footer and the form.
fn one_line(e: &file::FleetFileError) -> String {
    e.to_string().replace("\n  hint: ", " — ")
}
