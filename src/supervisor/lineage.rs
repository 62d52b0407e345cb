//! The supervisor's view of lineage: signals agents send (done and failed end the
//! attempt, blocked and need-input hold the ladder for the operator, progress is proof
//! of life), the start queue under the fleet's caps, subtree roll-ups, and ended
//! attempts kept as history.

use super::agent::Agent;
use super::core::Supervisor;
use super::queue::{self, Entry, Plan};
use crate::fleet::{Activity, AgentView, Lineage, PastAttempt, Rollup, SignalKind, SignalView};
use crate::store::{NewSignal, Origin, StoreError};
use std::collections::HashMap;
use std::sync::Arc;

/// Earlier attempts of one agent held in memory (and in its snapshot row), newest kept:
/// an agent restarted all day would otherwise grow the supervisor by a final screen per
/// attempt. Older attempts stay in the store (`shoal logs`, the log browser).
pub(crate) const MAX_PAST: u32 = 20;

impl Supervisor {
    /// Read lineage from the store: agent origins and caps, signals, and the final
    /// screens of ended attempts (so history shows them after a restart).
    pub(crate) fn reload_lineage(&mut self) -> Result<(), StoreError> {
        self.lineage.meta = self.store.agent_meta()?;
        self.lineage.branches = self
            .store
            .agent_worktrees()?
            .into_iter()
            .map(|(name, w)| (name, w.branch))
            .collect();
        self.lineage.signals = self
            .store
            .latest_signals()?
            .into_iter()
            .map(|(s, answered)| ((s.agent.clone(), s.attempt), (s, answered)))
            .collect();
        self.forget_old_signals();
        for i in 0..self.agents.len() {
            let agent = &self.agents[i];
            if agent.capture().is_empty() && agent.att.state.is_ended() {
                if let Some(id) = agent.att.death_capture {
                    if let Some(text) = self.store.capture(id)? {
                        self.agents[i].set_capture(Arc::from(text.as_str()));
                    }
                }
            }
        }
        self.refresh_holds();
        self.sync_lineage();
        Ok(())
    }

    /// Load the history of agents whose current attempt changed since it was last
    /// loaded (a retry makes the previous attempt history). Ended attempts never change,
    /// so an agent's history is read once per attempt number.
    pub(crate) fn sync_lineage(&mut self) {
        let mut moved = false;
        for i in 0..self.agents.len() {
            let name = self.agents[i].name().to_string();
            let current = self.agents[i].att.attempt;
            if self
                .lineage
                .past
                .get(&name)
                .is_some_and(|(a, _)| *a == current)
            {
                continue;
            }
            match self.load_past(&name, current) {
                Ok(past) => {
                    self.lineage.past.insert(name, (current, past));
                    moved = true;
                }
                Err(e) => self.stats.error = Some(e.to_string()),
            }
        }
        if moved {
            self.forget_old_signals();
        }
    }

    fn load_past(&self, name: &str, current: u32) -> Result<Vec<PastAttempt>, StoreError> {
        if current <= 1 {
            return Ok(Vec::new());
        }
        let mut past = Vec::new();
        let oldest = current.saturating_sub(MAX_PAST);
        for a in self.store.attempts(name)? {
            if a.attempt >= current || a.attempt < oldest {
                continue;
            }
            let death = match a.death_capture {
                Some(id) => self.store.capture(id)?.unwrap_or_default(),
                None => String::new(),
            };
            past.push(PastAttempt {
                attempt: a.attempt,
                state: a.state,
                started_ms: a.started_ms,
                ended_ms: a.ended_ms,
                exit_status: a.exit_status,
                signal: self.signal_of(name, a.attempt).map(|(s, _)| s.clone()),
                death: Arc::from(death.as_str()),
            });
        }
        Ok(past)
    }

    /// Drop the signals of attempts older than the history kept in memory.
    fn forget_old_signals(&mut self) {
        let current: HashMap<&str, u32> = self
            .agents
            .iter()
            .map(|a| (a.name(), a.att.attempt))
            .collect();
        self.lineage.signals.retain(|(name, attempt), _| {
            current
                .get(name.as_str())
                .is_none_or(|c| attempt.saturating_add(MAX_PAST) >= *c)
        });
    }

    fn signal_of(&self, name: &str, attempt: u32) -> Option<&(SignalView, bool)> {
        self.lineage.signals.get(&(name.to_string(), attempt))
    }

    /// Tell every agent whether a blocked / need-input signal of its live attempt waits
    /// unanswered for the operator (which holds its ladder).
    pub(crate) fn refresh_holds(&mut self) {
        for i in 0..self.agents.len() {
            let agent = &self.agents[i];
            let held = self
                .signal_of(agent.name(), agent.att.attempt)
                .is_some_and(|(s, answered)| s.kind.holds() && !answered);
            self.agents[i].set_held_by_signal(held);
        }
    }

    pub(crate) fn is_removed(&self, name: &str) -> bool {
        self.lineage
            .meta
            .get(name)
            .is_some_and(|m| m.removed_ms.is_some())
    }

    /// Fill in an agent's lineage; a held agent is shown as needing input, the same
    /// attention as a dialog on its screen.
    pub(crate) fn apply_lineage(&self, agent: &Agent, view: &mut AgentView) {
        let meta = self.lineage.meta.get(agent.name());
        let signal = self
            .signal_of(agent.name(), agent.att.attempt)
            .map(|(s, _)| s.clone());
        let held = agent.held_by_signal();
        if held {
            if let Some(s) = &signal {
                view.activity = Activity::NeedsInput;
                view.reason = Some(format!("signalled {}: {}", s.kind, s.message));
            }
        }
        view.lineage = Lineage {
            queue_pos: None,
            signal,
            held,
            rollup: Rollup::default(),
            removed: meta.is_some_and(|m| m.removed_ms.is_some()),
            adopted: meta.is_some_and(|m| m.origin == Origin::Adopt) && agent.att.attempt == 1,
            max_children: meta.and_then(|m| m.max_children),
            past: self
                .lineage
                .past
                .get(agent.name())
                .map(|(_, p)| p.clone())
                .unwrap_or_default(),
            attempt_of: None,
            restart: None,
            host_down: None,
            budget: None,
            worktree: self.lineage.branches.get(agent.name()).cloned(),
            cwd: agent.decl.cwd.clone(),
            ending: None,
        };
    }

    /// Whole-fleet lineage of a snapshot: queue positions and subtree roll-ups.
    pub(crate) fn decorate(&self, views: &mut [AgentView]) {
        let plan = self.queue_plan();
        for (i, v) in views.iter_mut().enumerate() {
            v.lineage.queue_pos = plan.position(i);
        }
        let index: HashMap<&str, usize> = views
            .iter()
            .enumerate()
            .map(|(i, v)| (v.name.as_str(), i))
            .collect();
        let parent: Vec<Option<usize>> = views
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.parent
                    .as_deref()
                    .and_then(|p| index.get(p).copied())
                    .filter(|&p| p != i)
            })
            .collect();
        let mut rollups = vec![Rollup::default(); views.len()];
        for (i, v) in views.iter().enumerate() {
            // Walk up the ancestors; the step bound stops a cycle from looping.
            let mut up = parent[i];
            let mut steps = 0;
            while let Some(p) = up {
                if p == i || steps > views.len() {
                    break;
                }
                rollups[p].count(v.state, v.lineage.held);
                up = parent[p];
                steps += 1;
            }
        }
        for (v, r) in views.iter_mut().zip(rollups) {
            v.lineage.rollup = r;
        }
    }

    /// The start queue as it stands.
    pub(crate) fn queue_plan(&self) -> Plan {
        let entries: Vec<Entry> = self
            .agents
            .iter()
            .map(|a| Entry {
                name: a.name(),
                parent: a.decl.parent.as_deref(),
                state: a.att.state,
                removed: self.is_removed(a.name()),
                order: (a.decl.created_ms, a.decl.seq),
            })
            .collect();
        let caps = |p: &str| self.lineage.meta.get(p).and_then(|m| m.max_children);
        queue::plan(&entries, self.settings.max_running, &caps)
    }

    /// Record a signal from agent `i`: done / failed end the attempt, blocked /
    /// need-input hold it for the operator, progress is proof of life.
    pub(crate) fn signal(
        &mut self,
        i: usize,
        kind: SignalKind,
        message: &str,
        now_ms: i64,
    ) -> Result<String, String> {
        let agent = &self.agents[i];
        let name = agent.name().to_string();
        if !agent.is_live() {
            return Err(format!(
                "{name} is not running (state {}); only a live agent can signal, nothing was recorded",
                agent.att.state
            ));
        }
        let attempt = agent.att.attempt;
        let new = NewSignal {
            ts_ms: now_ms,
            agent: name.clone(),
            attempt,
            kind,
            message: message.to_string(),
            parent: agent.decl.parent.clone(),
        };
        let id = self.store.insert_signal(&new).map_err(|e| e.to_string())?;
        let view = SignalView {
            id,
            ts_ms: now_ms,
            agent: name.clone(),
            attempt,
            kind,
            message: message.to_string(),
        };
        self.lineage
            .signals
            .insert((name.clone(), attempt), (view, false));
        let said = format!("signalled {kind}: {message}");
        if let Some(state) = kind.ends_as() {
            self.agents[i].signalled_end(state, now_ms);
            return Ok(format!("{said}; attempt {attempt} ended {state}"));
        }
        // Progress is life; a hold restarts the stall clock now and again when it ends.
        self.agents[i].signalled(now_ms);
        self.agents[i].set_held_by_signal(kind.holds());
        Ok(if kind.holds() {
            format!("{said}; waiting for the operator (`shoal send {name} TEXT` answers)")
        } else {
            said
        })
    }

    /// The operator typed into or answered agent `i`: a holding signal no longer holds.
    pub(crate) fn answer_hold(&mut self, i: usize, now_ms: i64) {
        if !self.agents[i].held_by_signal() {
            return;
        }
        let (name, attempt) = (
            self.agents[i].name().to_string(),
            self.agents[i].att.attempt,
        );
        if let Err(e) = self.store.answer_signals(&name, attempt, now_ms) {
            self.stats.error = Some(e.to_string());
            return;
        }
        if let Some((_, answered)) = self.lineage.signals.get_mut(&(name, attempt)) {
            *answered = true;
        }
        self.agents[i].answered(now_ms);
    }

    /// Whether the queue would start this agent at the next tick.
    pub(crate) fn would_start(&self, name: &str) -> bool {
        self.queue_plan().start.iter().any(|&i| {
            self.agents[i].name() == name && self.circuit_admits(i) && self.budget_admits(i)
        })
    }
}
