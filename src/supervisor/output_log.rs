//! What the supervisor keeps of agents' output between ticks: a line tracker per pane,
//! the entries waiting for the next store write, and what could not be kept.

use crate::logs::{LineTracker, NewLog};
use std::collections::HashMap;

/// Entries held in memory while the store cannot be written; past this the oldest are
/// dropped, and the log says how many.
pub(super) const MAX_PENDING: usize = 100_000;

/// Output tracking and the entries waiting for the next write.
#[derive(Debug, Default)]
pub(crate) struct OutputLog {
    /// One tracker per (agent, attempt) seen on screen.
    pub(super) trackers: HashMap<(String, u32), LineTracker>,
    /// Entries for the next store write, oldest first.
    pub(super) pending: Vec<NewLog>,
    /// Entries dropped because the store could not take them.
    pub(super) dropped: usize,
    /// The last tick error logged, so a lasting error is logged once.
    pub(super) last_error: Option<String>,
    /// Entries still to delete in the current pruning round.
    pub(super) prune_left: usize,
    /// Entries deleted in the current round.
    pub(super) pruned: usize,
    /// The log is empty and the store is still over its cap: said once.
    pub(super) cap_warned: bool,
    /// Scrollback size of each (agent, attempt) pane at the last listing.
    pub(super) history_size: HashMap<(String, u32), u64>,
    /// Scrollback read this tick, by agent index, for the capture about to be observed.
    pub(super) history: HashMap<usize, String>,
    /// Output that scrolled past faster than it was read.
    pub(super) floods: super::flood::Floods,
    /// Time span of the entries in `dropped`.
    pub(super) dropped_span: Option<(i64, i64)>,
}

impl OutputLog {
    pub(super) fn push(&mut self, entry: NewLog) {
        if self.pending.len() >= MAX_PENDING {
            let drop = MAX_PENDING / 10;
            let first = self.pending.first().map_or(entry.ts_ms, |e| e.ts_ms);
            let last = self.pending.get(drop - 1).map_or(entry.ts_ms, |e| e.ts_ms);
            self.dropped_span = Some(match self.dropped_span {
                Some((a, b)) => (a.min(first), b.max(last)),
                None => (first, last),
            });
            self.pending.drain(..drop);
            self.dropped += drop;
        }
        self.pending.push(entry);
    }
}
