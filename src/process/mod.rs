//! The processes of an agent, found and ended as a whole.
//!
//! Closing a tmux window only sends SIGHUP to the pane's process group: an agent that
//! ignores it, a background child, or a `setsid` grandchild keeps running with no
//! owner. This module finds every process of one attempt through `/proc` — the pane's
//! session and group, the parent links below it, processes recorded earlier and the
//! environment marker shoal gives each agent — and ends them: SIGTERM, a grace, SIGKILL,
//! and a report that names any survivor by pid (another user's, stuck in D state).
//!
//! Linux only: it reads `/proc`.

mod kill;
pub mod procfs;
mod tree;

pub use kill::{kill_tree, snapshot, Ended, KillReport, Survivor, TreeKill, KILL_WAIT};
pub use tree::{ProcId, Selector};

/// The environment marker of one agent's processes, as the supervisor sets it at start
/// (`SHOAL_FLEET`, `SHOAL_AGENT`, `SHOAL_HOME`).
pub fn agent_marker(fleet: &str, agent: &str, home: &std::path::Path) -> Vec<(String, String)> {
    vec![
        ("SHOAL_FLEET".into(), fleet.to_string()),
        ("SHOAL_AGENT".into(), agent.to_string()),
        ("SHOAL_HOME".into(), home.display().to_string()),
    ]
}
