//! What the supervisor remembers about lineage between store reloads.

use crate::fleet::{PastAttempt, SignalView};
use crate::store::AgentMeta;
use std::collections::HashMap;

/// What the supervisor remembers about lineage between store reloads.
#[derive(Debug, Default)]
pub(crate) struct LineageState {
    pub(super) meta: HashMap<String, AgentMeta>,
    /// Newest signal of each (agent, attempt), and whether the operator answered since.
    pub(super) signals: HashMap<(String, u32), (SignalView, bool)>,
    /// Ended earlier attempts per agent, and the current attempt they were loaded for.
    pub(super) past: HashMap<String, (u32, Vec<PastAttempt>)>,
    /// The branch of each agent that runs in a git worktree.
    pub(super) branches: HashMap<String, String>,
}
