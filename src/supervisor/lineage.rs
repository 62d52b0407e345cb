//! The supervisor's view of lineage: signals agents send (done and failed end the
//! attempt, blocked and need-input hold the ladder for the operator, progress is proof
//! of life), the start queue under the fleet's caps, subtree roll-ups, and ended
//! attempts kept as history.

use super::core::{AgentRt, Supervisor};
use super::queue::{self, Entry, Plan};
use crate::fleet::{
    Activity, AgentView, Lineage, PastAttempt, Rollup, SignalKind, SignalView, Tier,
};
use crate::store::{AgentMeta, NewSignal, Origin, StoreError};
use std::collections::HashMap;
use std::sync::Arc;

/// What the supervisor remembers about lineage between store reloads.
#[derive(Debug, Default)]
pub(crate) struct LineageState {
    meta: HashMap<String, AgentMeta>,
    /// Newest signal of each (agent, attempt), and whether the operator answered since.
    signals: HashMap<(String, u32), (SignalView, bool)>,
    /// Ended earlier attempts per agent, and the current attempt they were loaded for.
    past: HashMap<String, (u32, Vec<PastAttempt>)>,
}

impl Supervisor {
    /// Read lineage from the store: agent origins and caps, signals, and the final
    /// screens of ended attempts (so history shows them after a restart).
    pub(crate) fn reload_lineage(&mut self) -> Result<(), StoreError> {
        self.lineage.meta = self.store.agent_meta()?;
        self.lineage.signals = self
            .store
            .latest_signals()?
            .into_iter()
            .map(|(s, answered)| ((s.agent.clone(), s.attempt), (s, answered)))
            .collect();
        for i in 0..self.agents.len() {
            let rt = &self.agents[i];
            if rt.capture.is_empty() && rt.att.state.is_ended() {
                if let Some(id) = rt.att.death_capture {
                    if let Some(text) = self.store.capture(id)? {
                        self.agents[i].capture = Arc::from(text.as_str());
                    }
                }
            }
        }
        self.sync_lineage();
        Ok(())
    }

    /// Load the history of agents whose current attempt changed since it was last
    /// loaded (a retry makes the previous attempt history). Ended attempts never change,
    /// so an agent's history is read once per attempt number.
    pub(crate) fn sync_lineage(&mut self) {
        for i in 0..self.agents.len() {
            let name = self.agents[i].rec.name.clone();
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
                }
                Err(e) => self.stats.error = Some(e.to_string()),
            }
        }
    }

    fn load_past(&self, name: &str, current: u32) -> Result<Vec<PastAttempt>, StoreError> {
        if current <= 1 {
            return Ok(Vec::new());
        }
        let mut past = Vec::new();
        for a in self.store.attempts(name)? {
            if a.attempt >= current {
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

    fn signal_of(&self, name: &str, attempt: u32) -> Option<&(SignalView, bool)> {
        self.lineage.signals.get(&(name.to_string(), attempt))
    }

    /// A blocked / need-input signal of the live attempt that the operator has not
    /// answered: the agent waits for the operator, so the ladder is held.
    pub(crate) fn held_by_signal(&self, rt: &AgentRt) -> bool {
        rt.is_live()
            && self
                .signal_of(&rt.rec.name, rt.att.attempt)
                .is_some_and(|(s, answered)| s.kind.holds() && !answered)
    }

    fn is_removed(&self, name: &str) -> bool {
        self.lineage
            .meta
            .get(name)
            .is_some_and(|m| m.removed_ms.is_some())
    }

    /// Fill in an agent's lineage; a held agent is shown as needing input, the same
    /// attention as a dialog on its screen.
    pub(crate) fn apply_lineage(&self, rt: &AgentRt, view: &mut AgentView) {
        let meta = self.lineage.meta.get(&rt.rec.name);
        let signal = self
            .signal_of(&rt.rec.name, rt.att.attempt)
            .map(|(s, _)| s.clone());
        let held = self.held_by_signal(rt);
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
            adopted: meta.is_some_and(|m| m.origin == Origin::Adopt) && rt.att.attempt == 1,
            max_children: meta.and_then(|m| m.max_children),
            past: self
                .lineage
                .past
                .get(&rt.rec.name)
                .map(|(_, p)| p.clone())
                .unwrap_or_default(),
            attempt_of: None,
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
            .map(|rt| Entry {
                name: &rt.rec.name,
                parent: rt.rec.parent.as_deref(),
                state: rt.att.state,
                removed: self.is_removed(&rt.rec.name),
                order: (rt.rec.created_ms, rt.rec.seq),
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
        let rt = &self.agents[i];
        let name = rt.rec.name.clone();
        if !rt.is_live() {
            return Err(format!(
                "{name} is not running (state {}); only a live agent can signal, nothing was recorded",
                rt.att.state
            ));
        }
        let attempt = rt.att.attempt;
        let new = NewSignal {
            ts_ms: now_ms,
            agent: name.clone(),
            attempt,
            kind,
            message: message.to_string(),
            parent: rt.rec.parent.clone(),
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
            let capture = self.agents[i].capture.to_string();
            self.end_attempt(i, state, &capture, now_ms);
            return Ok(format!("{said}; attempt {attempt} ended {state}"));
        }
        // Progress is life; a hold restarts the stall clock now and again when it ends.
        let rt = &mut self.agents[i];
        rt.att.last_progress_ms = now_ms;
        rt.dirty = true;
        if rt.att.tier != Tier::Kill {
            self.set_tier(i, Tier::Ok, now_ms);
        }
        Ok(if kind.holds() {
            format!("{said}; waiting for the operator (`shoal send {name} TEXT` answers)")
        } else {
            said
        })
    }

    /// The operator typed into or answered agent `i`: a holding signal no longer holds.
    pub(crate) fn answer_hold(&mut self, i: usize, now_ms: i64) {
        if !self.held_by_signal(&self.agents[i]) {
            return;
        }
        let (name, attempt) = (self.agents[i].rec.name.clone(), self.agents[i].att.attempt);
        if let Err(e) = self.store.answer_signals(&name, attempt, now_ms) {
            self.stats.error = Some(e.to_string());
            return;
        }
        if let Some((_, answered)) = self.lineage.signals.get_mut(&(name, attempt)) {
            *answered = true;
        }
        self.agents[i].att.last_progress_ms = now_ms;
        self.agents[i].dirty = true;
        self.set_tier(i, Tier::Ok, now_ms);
    }

    /// Whether the queue would start this agent at the next tick.
    pub(crate) fn would_start(&self, name: &str) -> bool {
        self.queue_plan()
            .start
            .iter()
            .any(|&i| self.agents[i].rec.name == name)
    }
}
