//! The history toggle: the tree shows live agents by default; with history on it also
//! shows ended agents, removed ones, and each agent's earlier attempts as rows under it
//! with their final state, signal and final screen.

use super::App;
use crate::fleet::{Activity, AgentView, FleetSnapshot, Lineage, PastAttempt, Tier};
use std::sync::Arc;

/// A row standing for an ended earlier attempt of `a`.
fn attempt_row(a: &AgentView, p: &PastAttempt) -> AgentView {
    AgentView {
        name: format!("{} #{}", a.name, p.attempt),
        parent: Some(a.name.clone()),
        kind: a.kind.clone(),
        state: p.state,
        activity: Activity::Exited,
        error: None,
        reset_at_ms: None,
        reason: None,
        tier: Tier::Ok,
        tier_since_ms: 0,
        next_action_at_ms: None,
        last_progress_ms: p.ended_ms.unwrap_or(0),
        stall_timeout_ms: a.stall_timeout_ms,
        attempt: p.attempt,
        pane: None,
        server: None,
        exit_status: p.exit_status,
        paused: false,
        ended_ms: p.ended_ms,
        screen_changed_ms: 0,
        capture: p.death.clone(),
        lineage: Lineage {
            signal: p.signal.clone(),
            attempt_of: Some(a.name.clone()),
            ..Lineage::default()
        },
        usage: Default::default(),
        on_idle: Default::default(),
    }
}

/// The fleet with every agent's earlier attempts added as rows under it, newest first.
/// Their names (`NAME #N`) cannot clash with an agent's: agent names have no spaces.
pub fn with_past_attempts(s: &FleetSnapshot) -> FleetSnapshot {
    let extra: usize = s.agents.iter().map(|a| a.lineage.past.len()).sum();
    let mut agents = Vec::with_capacity(s.agents.len() + extra);
    for a in &s.agents {
        agents.push(a.clone());
        agents.extend(a.lineage.past.iter().rev().map(|p| attempt_row(a, p)));
    }
    FleetSnapshot {
        agents,
        ..s.clone()
    }
}

impl App {
    /// Whether history rows are shown.
    pub fn show_history(&self) -> bool {
        self.show_history
    }

    /// Whether the current view shows this agent as a match: everything with history
    /// on; without, live agents and the ended attempts not dismissed yet.
    pub(super) fn in_view(&self, a: &AgentView) -> bool {
        self.show_history || !a.lineage.is_history(a.state) || self.ended_in_view(a)
    }

    /// The snapshot as the current view draws it.
    pub(super) fn history_view(&self, s: Arc<FleetSnapshot>) -> Arc<FleetSnapshot> {
        let has_past = s.agents.iter().any(|a| !a.lineage.past.is_empty());
        if self.show_history && has_past {
            Arc::new(with_past_attempts(&s))
        } else {
            s
        }
    }

    /// Show or hide history, keeping the selection where it can stay.
    pub(super) fn toggle_history(&mut self) {
        self.show_history = !self.show_history;
        let old = self.selected_row();
        self.snapshot = self.history_view(self.latest.clone());
        self.rebuild_forest();
        self.refresh_rows(old);
        let hidden = self
            .latest
            .agents
            .iter()
            .filter(|a| a.lineage.is_history(a.state))
            .count();
        let past: usize = self
            .latest
            .agents
            .iter()
            .map(|a| a.lineage.past.len())
            .sum();
        let text = if self.show_history {
            format!("history shown: {hidden} ended or removed agents, {past} earlier attempts")
        } else {
            "live agents and ended ones not dismissed (x dismisses one, X all)".to_string()
        };
        self.set_info(text);
    }
}
