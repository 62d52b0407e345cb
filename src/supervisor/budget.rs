//! The supervisor's side of budgets. Budgets are looked at only when something they
//! depend on changed (new usage stored, the fleet file or settings read again, an agent
//! added), never per pane per tick: the tick's hook returns at once otherwise.
//!
//! Each budget's scope is announced once per crossing: at 80 % a warning event, at
//! 100 % an event and its action. The highest level announced is stored per scope, so a
//! restarted supervisor does not announce it again; a raised budget lowers it silently,
//! so the next crossing is announced anew. A spent `pause` budget interrupts every live
//! agent of its scope and holds it (no stall ladder, no task) until `shoal resume`, which
//! is refused while the budget is still spent; a spent `cancel` budget cancels them.
//! Starts under a spent budget that stops (queued agents, restarts, `retry`) wait.

use super::core::Supervisor;
use super::detector::Keys;
use crate::fleet::budget::{self, Member, Scope};
use crate::fleet::{AgentView, Budget, BudgetAction, BudgetLevel, BudgetNote, EventKind};
use crate::store::{BudgetHold, NewEvent, StoreError};
use std::collections::HashMap;

/// What the supervisor keeps about budgets between ticks.
#[derive(Debug, Default)]
pub(crate) struct BudgetState {
    /// Each agent's own budget, as the store holds it.
    agent: HashMap<String, Budget>,
    /// The fleet budget the last evaluation used.
    fleet: Option<Budget>,
    /// The level each scope was last announced at ('' is the fleet's scope).
    marks: HashMap<String, BudgetLevel>,
    /// Agents a spent budget paused.
    holds: HashMap<String, BudgetHold>,
    /// The last evaluation: every scope with the agents it covers (by index).
    scopes: Vec<Scope>,
    /// Per agent index: the scope its note shows, and the spent scope stopping it.
    shown: Vec<Option<usize>>,
    stopping: Vec<Option<usize>>,
    /// Usage or budgets changed: evaluate and act at the next tick.
    pub(crate) dirty: bool,
}

impl Supervisor {
    /// Read budgets, announced levels and holds from the store, and evaluate them, so a
    /// command acting without a running supervisor sees (and is held by) them too.
    pub(crate) fn load_budgets(&mut self) -> Result<(), StoreError> {
        self.budgets.agent = self.store.agent_budgets()?;
        self.budgets.marks = self.store.budget_marks()?;
        self.budgets.holds = self.store.budget_holds()?;
        self.evaluate_budgets();
        self.budgets.dirty = true;
        Ok(())
    }

    /// The budget hook of the tick: nothing unless usage or budgets changed, and no
    /// more than forgetting that they did while the fleet has no budget.
    pub(crate) fn budget_tick(&mut self, now_ms: i64) {
        if self.settings.fleet_budget() != self.budgets.fleet {
            self.budgets.dirty = true;
        }
        if !self.budgets.dirty {
            return;
        }
        if self.settings.budget.is_none() && self.budgets.agent.is_empty() {
            self.budgets.dirty = false;
            if !self.budgets.scopes.is_empty() {
                // The last budget was removed: its notes go.
                self.evaluate_budgets();
                self.changed = true;
            }
            self.budgets.fleet = None;
            return;
        }
        if !self.may_act() {
            return;
        }
        self.budgets.dirty = false;
        self.evaluate_budgets();
        self.enforce_budgets(now_ms);
        self.changed = true;
    }

    /// What each budget's scope spent, from the stored usage; no budget, no work.
    fn evaluate_budgets(&mut self) {
        self.budgets.fleet = self.settings.fleet_budget();
        if self.budgets.fleet.is_none() && self.budgets.agent.is_empty() {
            self.budgets.scopes.clear();
            self.budgets.shown.clear();
            self.budgets.stopping.clear();
            return;
        }
        let own = self.own_usage();
        let members: Vec<Member<'_>> = self
            .agents
            .iter()
            .map(|a| Member {
                name: a.name(),
                parent: a.decl.parent.as_deref(),
                own: own.get(a.name()).copied().unwrap_or_default(),
                budget: self.budgets.agent.get(a.name()).copied(),
            })
            .collect();
        let scopes = budget::evaluate(&members, self.budgets.fleet);
        let (shown, stopping) = budget::per_member(&scopes, members.len());
        self.budgets.scopes = scopes;
        self.budgets.shown = shown;
        self.budgets.stopping = stopping;
    }

    /// Announce each scope that crossed a level since it was last announced, and take a
    /// spent budget's action on every live agent of its scope not yet stopped.
    fn enforce_budgets(&mut self, now_ms: i64) {
        for s in 0..self.budgets.scopes.len() {
            let note = self.budgets.scopes[s].note.clone();
            let key = note.scope_key().to_string();
            let was = self.budgets.marks.get(&key).copied().unwrap_or_default();
            let stopped = if note.level == BudgetLevel::Exhausted && note.action.stops() {
                self.stop_scope(s, &note, now_ms)
            } else {
                Vec::new()
            };
            if note.level == was {
                continue;
            }
            if note.level > was {
                let kind = match note.level {
                    BudgetLevel::Exhausted => EventKind::BudgetExhausted {
                        owner: note.owner.clone(),
                        limit: note.limit,
                        spent: note.spent,
                        action: note.action,
                        agents: stopped,
                    },
                    _ => EventKind::BudgetWarning {
                        owner: note.owner.clone(),
                        limit: note.limit,
                        spent: note.spent,
                    },
                };
                let event = match note.owner.as_deref().and_then(|o| self.find(o)) {
                    Some(i) => NewEvent::agent(
                        now_ms,
                        self.agents[i].name(),
                        self.agents[i].att.attempt,
                        kind,
                    ),
                    None => NewEvent::fleet(now_ms, kind),
                };
                self.record([event]);
            }
            // A raised budget lowers the mark without a word: the next crossing counts.
            match self.store.set_budget_mark(&key, note.level, now_ms) {
                Ok(()) => {
                    self.budgets.marks.insert(key, note.level);
                }
                Err(e) => self.stats.error = Some(e.to_string()),
            }
        }
    }

    /// Stop every live agent of scope `s` that is not stopped yet; their names.
    fn stop_scope(&mut self, s: usize, note: &BudgetNote, now_ms: i64) -> Vec<String> {
        let members = self.budgets.scopes[s].members.clone();
        let mut out = Vec::new();
        for i in members {
            let Some(agent) = self.agents.get(i) else {
                continue;
            };
            let stopped = match note.action {
                BudgetAction::Warn => true,
                BudgetAction::Pause => self.budget_held(i),
                BudgetAction::Cancel => {
                    agent.att.cancel_deadline_ms.is_some() || self.reaper.is_killing(agent.name())
                }
            };
            if !agent.is_live() || stopped {
                continue;
            }
            out.push(agent.name().to_string());
            let outcome = match note.action {
                BudgetAction::Cancel => self.budget_cancel(i, now_ms),
                _ => self.budget_pause(i, note, now_ms),
            };
            let kind = EventKind::BudgetStopped {
                owner: note.owner.clone(),
                limit: note.limit,
                action: note.action,
                outcome,
            };
            let a = &self.agents[i];
            let event = NewEvent::agent(now_ms, a.name(), a.att.attempt, kind);
            self.record([event]);
        }
        out
    }

    /// The agent's interrupt keys, `C-c` when its profile names none.
    fn interrupt_keys(&self, i: usize) -> Vec<String> {
        let keys = self
            .detector
            .keys(&self.agents[i].decl.kind, Keys::Interrupt);
        if keys.is_empty() {
            vec!["C-c".to_string()]
        } else {
            keys
        }
    }

    /// Interrupt agent `i` and hold it for the budget of `note`; what was done.
    fn budget_pause(&mut self, i: usize, note: &BudgetNote, now_ms: i64) -> String {
        let keys = self.interrupt_keys(i);
        let sent = self.send_keys(i, &keys, now_ms);
        let name = self.agents[i].name().to_string();
        let hold = BudgetHold {
            attempt: self.agents[i].att.attempt,
            scope: note.scope_key().to_string(),
        };
        let held = self.store.write(|s| {
            s.set_paused(&name, true)?;
            s.set_budget_hold(&name, &hold, now_ms)
        });
        if let Err(e) = held {
            self.stats.error = Some(e.to_string());
        }
        // Held in memory even when the store failed: no more tasks or nudges now.
        self.agents[i].paused(true, now_ms);
        self.budgets.holds.insert(name, hold);
        let then = "paused: no stall ladder, no task until `shoal resume`";
        match sent {
            Ok(()) => format!("sent {} to interrupt it; {then}", keys.join(" ")),
            Err(e) => format!("could not interrupt it ({e}); {then}"),
        }
    }

    /// Cancel agent `i` as `shoal cancel` does: interrupt, kill after the grace.
    fn budget_cancel(&mut self, i: usize, now_ms: i64) -> String {
        let keys = self.interrupt_keys(i);
        let sent = self.send_keys(i, &keys, now_ms);
        let grace = crate::fleet::units::ms(self.settings.cancel_grace);
        self.agents[i].cancelling(now_ms.saturating_add(grace));
        let then = format!("killed in {}s unless it exits first", grace / 1000);
        match sent {
            Ok(()) => format!("sent {} to cancel it; {then}", keys.join(" ")),
            Err(e) => format!("could not interrupt it ({e}); {then}"),
        }
    }

    /// Whether agent `i`'s current attempt is held by a spent budget.
    pub(crate) fn budget_held(&self, i: usize) -> bool {
        let a = &self.agents[i];
        self.budgets
            .holds
            .get(a.name())
            .is_some_and(|h| h.attempt == a.att.attempt)
    }

    /// Whether agent `i` may start (a queued start, a restart): no spent budget that
    /// stops covers it.
    pub(crate) fn budget_admits(&self, i: usize) -> bool {
        self.budgets.stopping.get(i).copied().flatten().is_none()
    }

    /// Why agent `i` may not go on (resume, retry): the spent budget over it, and what
    /// to do, ending with the command `verb` to run then.
    fn budget_refusal(&self, i: usize, what: &str, verb: &str) -> Option<String> {
        let s = self.budgets.stopping.get(i).copied().flatten()?;
        let name = self.agents[i].name();
        let note = &self.budgets.scopes[s].note;
        Some(format!(
            "{name} {what}: {}, then `shoal {verb} {name}`",
            note.explain(name)
        ))
    }

    /// `shoal resume` of agent `i`: refused while a spent budget covers it; otherwise
    /// its budget hold ends. Returns what to add to the outcome: the agents the same
    /// budget still holds.
    pub(crate) fn budget_resume(&mut self, i: usize) -> Result<String, String> {
        if let Some(why) = self.budget_refusal(i, "stays paused", "resume") {
            return Err(why);
        }
        let name = self.agents[i].name().to_string();
        let Some(hold) = self.budgets.holds.get(&name).cloned() else {
            return Ok(String::new());
        };
        self.store
            .clear_budget_hold(&name)
            .map_err(|e| e.to_string())?;
        self.budgets.holds.remove(&name);
        let mut others: Vec<&str> = self
            .agents
            .iter()
            .enumerate()
            .filter(|&(j, a)| {
                j != i
                    && self.budget_held(j)
                    && self.budgets.holds.get(a.name()).map(|h| &h.scope) == Some(&hold.scope)
            })
            .map(|(_, a)| a.name())
            .collect();
        others.sort_unstable();
        Ok(if others.is_empty() {
            String::new()
        } else {
            format!(
                "; the same budget still pauses {} (`shoal resume NAME` each)",
                others.join(", ")
            )
        })
    }

    /// `shoal retry` of agent `i`: refused while a spent budget covers it; otherwise a
    /// budget's pause of its last attempt ends with it.
    pub(crate) fn budget_may_start(&mut self, i: usize, now_ms: i64) -> Result<(), String> {
        if let Some(why) = self.budget_refusal(i, "is not started", "retry") {
            return Err(why);
        }
        let name = self.agents[i].name().to_string();
        if self.budgets.holds.contains_key(&name) {
            let r = self.store.write(|s| {
                s.clear_budget_hold(&name)?;
                s.set_paused(&name, false)
            });
            r.map_err(|e| e.to_string())?;
            self.budgets.holds.remove(&name);
            self.agents[i].paused(false, now_ms);
        }
        Ok(())
    }

    /// Put each agent's budget (the one stopping it, else the one furthest along) on its
    /// view; every budget's note, the fleet's first, for the header and notifications.
    pub(crate) fn decorate_budgets(&self, views: &mut [AgentView]) -> Vec<BudgetNote> {
        if self.budgets.scopes.is_empty() && self.budgets.holds.is_empty() {
            return Vec::new();
        }
        for (i, v) in views.iter_mut().enumerate().take(self.agents.len()) {
            let held = self.budget_held(i);
            let shown = self.budgets.shown.get(i).copied().flatten();
            v.lineage.budget = shown.map(|s| BudgetNote {
                paused: held,
                ..self.budgets.scopes[s].note.clone()
            });
        }
        self.budgets.scopes.iter().map(|s| s.note.clone()).collect()
    }
}

#[cfg(test)]
#[path = "budget_tests.rs"]
mod tests;
