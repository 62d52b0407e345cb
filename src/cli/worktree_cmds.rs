//! What `shoal down` does with the agents' git worktrees: says where they are, and with
//! `--clean` deletes them (never one with uncommitted changes unless `--force`).

use super::ctx::{Ctx, FleetArg};
use super::fleet_edit::worktree_line;
use anyhow::Result;

/// After the fleet is down: list the worktrees kept, or delete them with `clean`.
/// Returns 1 when a worktree with changes was kept or could not be deleted.
pub fn after_down(fleet: &FleetArg, clean: bool, force: bool) -> Result<i32> {
    // `down` has reported on a fleet it could not open; there is nothing more to say.
    let Ok(ctx) = Ctx::open(fleet) else {
        return Ok(0);
    };
    let mut trees: Vec<_> = ctx
        .store
        .agent_worktrees()?
        .into_iter()
        .filter(|(_, w)| w.path.exists())
        .collect();
    trees.sort_by(|a, b| a.0.cmp(&b.0));
    if trees.is_empty() {
        return Ok(0);
    }
    if !clean {
        let paths: Vec<String> = trees
            .iter()
            .map(|(n, w)| format!("{n} ({})", w.path.display()))
            .collect();
        println!(
            "worktrees kept: {}; `shoal down --clean` deletes them (their branches stay)",
            paths.join(", ")
        );
        return Ok(0);
    }
    let mut code = 0;
    for (name, w) in &trees {
        let line = worktree_line(w, force);
        if !line.contains(" deleted") && !line.contains("already gone") {
            code = 1;
        }
        println!("{name}: {line}");
    }
    Ok(code)
}
