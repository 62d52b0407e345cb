//! The restart policy and the circuit breaker in the tick: judge every attempt that
//! ended (restart, stay, or the limit), count rapid failures per kind, move circuits
//! through open → half-open → closed, and start the restarts that are due while their
//! kind's circuit admits them. The decisions are the pure ones in `restart.rs` and
//! `circuit.rs`; this file applies them (`restart_store.rs` keeps their memory).

use super::circuit::{is_rapid, Circuit};
use super::core::Supervisor;
use super::restart::{decide, jitter_for, Decision, Ended, RestartState};
use crate::fleet::{
    AgentView, CircuitView, ErrorKind, EventKind, LifeState, RestartNote, RestartSettings,
};
use crate::store::NewEvent;
use std::collections::{BTreeMap, HashMap, HashSet};

/// What the supervisor remembers of restarts and circuits.
#[derive(Debug, Default)]
pub(crate) struct Restarts {
    /// Agents with a policy of their own (the rest follow the fleet's).
    pub(super) policies: HashMap<String, RestartSettings>,
    /// Each agent's restart memory.
    pub(super) states: HashMap<String, RestartState>,
    /// Agents whose next attempt starts a new CLI session (`retry --fresh`).
    pub(super) fresh: HashSet<String>,
    /// Each kind's (or backend's) circuit.
    pub(super) circuits: BTreeMap<String, Circuit>,
    /// Agents' own `backend`, by name: the circuit their rapid failures count against.
    pub(super) backends: HashMap<String, String>,
    /// Attempts the operator killed: never restarted.
    pub(super) by_operator: HashSet<(String, u32)>,
    pub(super) dirty_states: HashSet<String>,
    pub(super) dirty_circuits: HashSet<String>,
    /// The store's rows were read once; later reloads only add agents.
    pub(super) loaded: bool,
}

/// The circuit an agent belongs to: its `backend`'s, else its kind's.
fn circuit_of<'a>(backends: &'a HashMap<String, String>, a: &'a super::Agent) -> &'a str {
    backends
        .get(a.name())
        .map_or(a.decl.kind.as_str(), String::as_str)
}

impl Supervisor {
    /// The policy agent `i` follows.
    pub(super) fn policy_of(&self, i: usize) -> RestartSettings {
        let name = self.agents[i].name();
        self.restarts
            .policies
            .get(name)
            .copied()
            .unwrap_or(self.settings.restart)
    }

    /// The operator killed agent `i`'s current attempt: it is not restarted.
    pub(crate) fn killed_by_operator(&mut self, i: usize) {
        let a = &self.agents[i];
        self.restarts
            .by_operator
            .insert((a.name().to_string(), a.att.attempt));
    }

    /// The circuit agent `i` belongs to: its `backend`, else its kind.
    pub(crate) fn circuit_key(&self, i: usize) -> String {
        circuit_of(&self.restarts.backends, &self.agents[i]).to_string()
    }

    /// Whether agent `i`'s kind may start now (its circuit is closed, or half-open
    /// with no start let through yet).
    pub(crate) fn circuit_admits(&self, i: usize) -> bool {
        self.restarts
            .circuits
            .get(&self.circuit_key(i))
            .map_or(true, Circuit::admits)
    }

    /// Agent `i` started a new attempt: while its kind's circuit is half-open, that is
    /// the one start let through.
    pub(crate) fn circuit_started(&mut self, i: usize) {
        let key = self.circuit_key(i);
        let a = &self.agents[i];
        if let Some(c) = self.restarts.circuits.get_mut(&key) {
            c.started(a.name(), a.att.attempt);
            self.restarts.dirty_circuits.insert(key);
        }
    }

    /// One tick of restarts and circuits at `now_ms`.
    pub(crate) fn restart_pass(&mut self, now_ms: i64) {
        let mut events = Vec::new();
        for c in self.restarts.circuits.values_mut() {
            if let Some(e) = c.tick(now_ms) {
                self.restarts.dirty_circuits.insert(c.kind.clone());
                events.push(NewEvent::fleet(now_ms, e));
            }
        }
        for i in 0..self.agents.len() {
            self.judge(i, now_ms, &mut events);
        }
        self.record(events);
        self.start_due_restarts(now_ms);
        if let Err(e) = self.save_restarts() {
            self.stats.error = Some(e.to_string());
        }
    }

    /// Look at agent `i`: a rapid failure to count, a half-open probe that survived, an
    /// ended attempt to decide about.
    fn judge(&mut self, i: usize, now_ms: i64, events: &mut Vec<NewEvent>) {
        if !self.worth_judging(i) {
            return;
        }
        let circuit_settings = self.settings.circuit;
        let policy = self.policy_of(i);
        // The circuit its rapid failures count against: its backend's, else its kind's.
        let kind = self.circuit_key(i);
        let agent = &self.agents[i];
        let name = agent.name().to_string();
        let att = agent.att.clone();
        let live = agent.is_live();
        let st = self.restarts.states.entry(name.clone()).or_default();
        if att.attempt <= st.judged || att.state == LifeState::Queued {
            return;
        }
        let probe = (name.clone(), att.attempt);
        let fatal = att.error.filter(|e| e.is_fatal());
        let by_operator = self.restarts.by_operator.contains(&probe);
        let ended = Ended::of(att.state, by_operator);
        // A fatal error on screen, or a failed ending, this soon after the start.
        let at = if live {
            now_ms
        } else {
            att.ended_ms.unwrap_or(now_ms)
        };
        // Only an agent that died by itself counts: not a stall-ladder kill, not a
        // window tmux could not create (that is not the kind's fault), not a rate limit.
        let failing = match ended {
            None => fatal.is_some(),
            Some(_) => {
                att.state == LifeState::Failed
                    && att.pane.is_some()
                    && att.error != Some(ErrorKind::RateLimit)
            }
        };
        let mut changed = false;
        if failing
            && st.rapid_counted < att.attempt
            && is_rapid(att.started_ms, at, &circuit_settings)
        {
            st.rapid_counted = att.attempt;
            changed = true;
            let after_ms = at.saturating_sub(att.started_ms.unwrap_or(at));
            events.push(NewEvent::agent(
                now_ms,
                &name,
                att.attempt,
                EventKind::RapidFailure {
                    after_ms,
                    error: fatal,
                },
            ));
            let c = self
                .restarts
                .circuits
                .entry(kind.clone())
                .or_insert_with(|| Circuit::new(&kind));
            if let Some(e) = c.rapid_failure(now_ms, &circuit_settings) {
                events.push(NewEvent::fleet(now_ms, e));
            }
            self.restarts.dirty_circuits.insert(kind.clone());
        }
        let st = self.restarts.states.entry(name.clone()).or_default();
        let rapid = st.rapid_counted == att.attempt;
        // The start let through while half-open: it closes the circuit once it has
        // lived past rapid death (or ended without failing rapidly).
        if let Some(c) = self.restarts.circuits.get_mut(&kind) {
            if c.probe.as_ref() == Some(&probe) && !rapid {
                let survived = match ended {
                    None => !is_rapid(att.started_ms, now_ms, &circuit_settings),
                    Some(Ended::Operator) => {
                        c.probe_void();
                        false
                    }
                    Some(_) => true,
                };
                if survived {
                    if let Some(e) = c.probe_survived() {
                        events.push(NewEvent::fleet(now_ms, e));
                    }
                }
                self.restarts.dirty_circuits.insert(kind.clone());
            }
        }
        let Some(ended) = ended else {
            if st.pending.is_some() {
                // Someone else (the operator's retry) started it while a decision
                // stood: that decision is void and the count starts afresh.
                st.operator_started(att.attempt - 1);
                changed = true;
            }
            if changed {
                self.restarts.dirty_states.insert(name);
            }
            return;
        };
        let decision = decide(
            &policy,
            ended,
            &st.history,
            now_ms,
            jitter_for(&name, att.attempt),
        );
        st.judge(att.attempt, decision, &policy);
        self.restarts.by_operator.remove(&probe);
        self.restarts.dirty_states.insert(name.clone());
        let kind = match decision {
            Decision::Stay => return,
            Decision::Restart { at_ms, n, of } => EventKind::RestartScheduled {
                n,
                of,
                delay_ms: at_ms - now_ms,
            },
            Decision::Limit => EventKind::RestartLimit {
                max: policy.max_restarts,
                window_ms: crate::fleet::units::ms(policy.restart_window),
            },
        };
        events.push(NewEvent {
            tier: Some(att.tier),
            ..NewEvent::agent(now_ms, &name, att.attempt, kind)
        });
    }

    /// Whether agent `i` may need judging this tick; most agents, live and healthy or
    /// long judged, cost a lookup or two and no copy.
    fn worth_judging(&self, i: usize) -> bool {
        let a = &self.agents[i];
        let Some(st) = self.restarts.states.get(a.name()) else {
            return true;
        };
        if a.att.state == LifeState::Queued || a.att.attempt <= st.judged {
            return false;
        }
        if !a.is_live() {
            return true;
        }
        let is_probe = self
            .restarts
            .circuits
            .get(circuit_of(&self.restarts.backends, a))
            .and_then(|c| c.probe.as_ref())
            .is_some_and(|(n, at)| n == a.name() && *at == a.att.attempt);
        let fresh_fatal = a
            .att
            .error
            .is_some_and(super::super::fleet::model::ErrorKind::is_fatal)
            && st.rapid_counted < a.att.attempt;
        is_probe || fresh_fatal || st.pending.is_some()
    }

    /// Start every restart whose time has come and whose kind's circuit admits it.
    fn start_due_restarts(&mut self, now_ms: i64) {
        let due: Vec<usize> = (0..self.agents.len())
            .filter(|&i| {
                let a = &self.agents[i];
                !a.is_live()
                    && self
                        .restarts
                        .states
                        .get(a.name())
                        .is_some_and(|st| st.judged == a.att.attempt && st.due(now_ms))
                    && !self.is_removed(a.name())
            })
            .collect();
        if due.is_empty() || !self.may_act() {
            return;
        }
        for i in due {
            if !self.circuit_admits(i) || !self.budget_admits(i) {
                continue;
            }
            let policy = self.policy_of(i);
            // The ended attempt's dead pane, if kept, makes way for the new one.
            if let Ok((server, pane)) = self.pane_of(i) {
                if let Ok(b) = self.servers.backend(&server) {
                    let _ = b.kill_pane(&pane);
                }
            }
            // A start that fails is recorded as a failed attempt by `start_attempt`;
            // it counts as a restart and is judged like any other ending.
            let _ = self.start_attempt(i, now_ms);
            let name = self.agents[i].name().to_string();
            if let Some(st) = self.restarts.states.get_mut(&name) {
                st.restarted(&policy, now_ms);
            }
            self.restarts.dirty_states.insert(name);
            if self.agents[i].is_live() {
                self.circuit_started(i);
            }
        }
    }

    /// Circuits that are not closed, for the header.
    pub(crate) fn circuit_views(&self) -> Vec<CircuitView> {
        self.restarts
            .circuits
            .values()
            .filter_map(Circuit::view)
            .collect()
    }

    /// Put each agent's standing restart decision (or the open circuit holding it back)
    /// on its view.
    pub(crate) fn decorate_restarts(&self, views: &mut [AgentView]) {
        for (a, v) in self.agents.iter().zip(views.iter_mut()) {
            let Some(st) = self.restarts.states.get(a.name()) else {
                continue;
            };
            let held = |c: &Circuit| {
                (!c.admits()).then(|| RestartNote::HeldByCircuit {
                    kind: c.kind.clone(),
                    until_ms: c.until_ms,
                })
            };
            let circuit = self
                .restarts
                .circuits
                .get(circuit_of(&self.restarts.backends, a));
            v.lineage.restart = match st.note() {
                Some(RestartNote::Restarting { .. }) if !a.is_live() => {
                    circuit.and_then(held).or_else(|| st.note())
                }
                Some(RestartNote::Limit { .. }) if !a.is_live() => st.note(),
                // A queued agent held back by its kind's circuit says so.
                _ if a.att.state == LifeState::Queued => circuit.and_then(held),
                _ => None,
            };
        }
    }
}
