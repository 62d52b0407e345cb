//! The supervisor's state: every agent (declaration, attempt, screen memory), the tmux
//! servers it watches, and the store it writes.

use super::agent::Agent;
use super::detector::Detector;
use super::servers::{Connector, Servers};
use crate::fleet::{EventView, FleetSettings, FleetSnapshot, TickStats};
use crate::store::{AttemptRecord, Lease, NewEvent, Store, StoreError};
use std::collections::HashMap;
use std::path::PathBuf;

/// The supervisor: call [`Supervisor::tick`] every poll interval and
/// [`Supervisor::execute`] for operator commands.
pub struct Supervisor {
    pub(crate) settings: FleetSettings,
    /// The data directory, handed to agents as `SHOAL_HOME`.
    pub(crate) home: PathBuf,
    pub(crate) store: Store,
    pub(crate) detector: Box<dyn Detector>,
    pub(crate) servers: Servers,
    pub(crate) agents: Vec<Agent>,
    /// Events for the next store write, oldest first.
    pub(crate) pending: Vec<NewEvent>,
    pub(crate) published: Vec<EventView>,
    pub(crate) outcomes: Vec<crate::fleet::CommandOutcome>,
    pub(crate) ticks: u64,
    pub(crate) rr_cursor: usize,
    pub(crate) stats: TickStats,
    pub(crate) store_version: i64,
    pub(crate) lineage: super::lineage_state::LineageState,
    pub(crate) pruned_at_ms: i64,
    pub(crate) output: super::output_log::OutputLog,
    /// Something a snapshot shows changed since the last one was taken.
    pub(crate) changed: bool,
    /// The lease this supervisor acts under; `None` for a command acting alone.
    pub(crate) lease: Option<Lease>,
    /// Why this supervisor may no longer act: its lease went to another, or its store
    /// is no longer the file it opened.
    pub(crate) halted: Option<String>,
    /// Kills under way: their processes had SIGTERM and get their grace across ticks.
    pub(crate) reaper: super::reaper::Reaper,
    /// The fleet's marked panes, listed once for a batch of starts.
    pub(crate) marked: Option<Vec<(String, crate::tmux::PaneInfo)>>,
    /// Restart memory and circuits.
    pub(crate) restarts: super::restart_tick::Restarts,
    /// Token usage: the reader thread, prices and the stored totals.
    pub(crate) usage: super::usage::UsageState,
    /// The supervisor's own typing under way, by agent name (see `typing.rs`).
    pub(crate) typing: std::collections::HashMap<String, super::typing::Typing>,
    /// Budgets: each scope's spending, announced levels and held agents.
    pub(crate) budgets: super::budget::BudgetState,
    /// Requests from panes on other hosts, and their answers.
    pub(crate) requests: super::pane_requests::PaneRequests,
    /// Where it is in the hook events agents' CLIs record.
    pub(crate) hook_intake: super::signals::HookIntake,
}

impl Supervisor {
    /// Load the fleet's agents and attempts from the store.
    pub fn new(
        settings: FleetSettings,
        home: PathBuf,
        store: Store,
        detector: Box<dyn Detector>,
        connector: Connector,
    ) -> Result<Supervisor, StoreError> {
        // Each supervisor reaches the hosts its own settings name.
        let hosts = crate::tmux::ssh::Hosts::for_fleet(&settings.hosts, &home);
        let mut sup = Supervisor {
            settings,
            home,
            store,
            detector,
            servers: Servers::new(connector, hosts),
            agents: Vec::new(),
            pending: Vec::new(),
            published: Vec::new(),
            outcomes: Vec::new(),
            ticks: 0,
            rr_cursor: 0,
            stats: TickStats::default(),
            store_version: 0,
            lineage: Default::default(),
            pruned_at_ms: 0,
            output: Default::default(),
            changed: true,
            lease: None,
            halted: None,
            reaper: Default::default(),
            marked: None,
            restarts: Default::default(),
            usage: Default::default(),
            typing: Default::default(),
            budgets: Default::default(),
            requests: Default::default(),
            hook_intake: Default::default(),
        };
        sup.reload()?;
        sup.start_hook_intake();
        Ok(sup)
    }

    /// Pick up agents and attempts written by other processes (new agents, a CLI that
    /// acted while no supervisor ran). Agents already tracked keep their screen state.
    pub(crate) fn reload(&mut self) -> Result<(), StoreError> {
        let records = self.store.agents()?;
        let mut attempts: HashMap<String, AttemptRecord> = self
            .store
            .current_attempts()?
            .into_iter()
            .map(|a| (a.agent.clone(), a))
            .collect();
        for rec in records {
            let att = attempts.remove(&rec.name).unwrap_or_else(|| AttemptRecord {
                agent: rec.name.clone(),
                attempt: 0,
                state: crate::fleet::LifeState::Queued,
                ..Default::default()
            });
            match self.agents.iter_mut().find(|a| a.name() == rec.name) {
                Some(agent) => {
                    agent.redeclare(rec);
                    if att.attempt > agent.att.attempt {
                        agent.adopt_attempt(att);
                    }
                }
                None => self.agents.push(Agent::new(rec, att)),
            }
        }
        let sockets: Vec<String> = self
            .agents
            .iter()
            .filter_map(|a| a.att.server.clone())
            .collect();
        for socket in sockets {
            self.servers.index(&socket);
        }
        self.reload_lineage()?;
        self.load_restarts()?;
        self.load_budgets()?;
        self.store_version = self.store.data_version()?;
        self.changed = true;
        Ok(())
    }

    /// Act under `lease` from now on: nothing is done to a pane and nothing is written
    /// unless the store still says this lease is in force.
    pub fn hold_lease(&mut self, lease: Lease) {
        self.lease = Some(lease);
    }

    /// The lease this supervisor acts under.
    pub fn lease(&self) -> Option<Lease> {
        self.lease
    }

    /// Why this supervisor must stop, if it must: another took its lease over, or its
    /// store was deleted or replaced.
    pub fn must_stop(&self) -> Option<&str> {
        self.halted.as_deref()
    }

    /// Stop acting for good, saying why.
    pub(crate) fn halt(&mut self, why: String) {
        if self.halted.is_none() {
            self.stats.error = Some(why.clone());
            self.halted = Some(why);
            self.changed = true;
        }
    }

    /// The lease was found gone: stop acting at once, and say to whom it went.
    pub(crate) fn lose_lease(&mut self) {
        if self.halted.is_some() {
            return;
        }
        let holder = match self.store.lease() {
            Ok(Some(h)) => format!("pid {} (lease epoch {})", h.pid, h.epoch),
            Ok(None) => "nobody (the lease was released)".to_string(),
            Err(e) => format!("an unknown holder ({e})"),
        };
        let mine = self.lease.map_or(0, |l| l.epoch);
        self.halt(format!(
            "this supervisor (pid {}, lease epoch {mine}) lost the lease of fleet {} to {holder}; it stops acting",
            std::process::id(),
            self.settings.name
        ));
    }

    /// Whether this supervisor may act on panes now. A supervisor holding a lease checks
    /// the store first, every time: after a stall (a stopped process, a suspended
    /// laptop) another may have taken over, and then nothing may be done twice.
    pub(crate) fn may_act(&mut self) -> bool {
        if self.halted.is_some() {
            return false;
        }
        let Some(lease) = self.lease else {
            return true;
        };
        match self.store.holds(lease) {
            Ok(true) => true,
            Ok(false) => {
                self.lose_lease();
                false
            }
            Err(e) => {
                self.stats.error = Some(format!("cannot check the lease, so nothing is done: {e}"));
                false
            }
        }
    }

    /// Index of a tracked agent.
    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        self.agents.iter().position(|a| a.name() == name)
    }

    /// Queue events for the next store write.
    pub(crate) fn record(&mut self, events: impl IntoIterator<Item = NewEvent>) {
        let before = self.pending.len();
        self.pending.extend(events);
        if self.pending.len() > before {
            self.changed = true;
        }
    }

    /// Write dirty attempts, queued events (with their captures) and new log entries in
    /// one transaction. On failure nothing is dropped: it is all tried again next time.
    pub(crate) fn persist(&mut self) -> Result<(), StoreError> {
        let dirty: Vec<usize> = (0..self.agents.len())
            .filter(|&i| self.agents[i].is_dirty())
            .collect();
        if dirty.is_empty() && self.pending.is_empty() && self.output.pending.is_empty() {
            return Ok(());
        }
        if self.halted.is_some() {
            return Err(StoreError::LeaseLost {
                path: self.store.path().to_path_buf(),
            });
        }
        let agents = &self.agents;
        let pending = &self.pending;
        let output = &self.output.pending;
        let lease = self.lease;
        let written = self.store.write(|s| {
            // A supervisor that lost its lease writes nothing, in the same transaction
            // as the check.
            if let Some(lease) = lease {
                if !s.holds(lease)? {
                    return Err(StoreError::LeaseLost {
                        path: s.path().to_path_buf(),
                    });
                }
            }
            // Output first: the lines on screen come before the event they caused.
            s.insert_logs(output)?;
            // An event's capture is written with it, in the same transaction; a final
            // screen becomes its attempt's death capture.
            let mut ids = Vec::with_capacity(pending.len());
            let mut finals: HashMap<(String, u32), i64> = HashMap::new();
            for e in pending {
                let capture_id = match (&e.capture_text, e.agent.as_deref(), e.attempt) {
                    (Some(text), Some(agent), Some(attempt)) => {
                        let reason = if e.final_screen {
                            "death"
                        } else {
                            e.kind.name()
                        };
                        let id = s.insert_capture(e.ts_ms, agent, attempt, reason, text)?;
                        if e.final_screen {
                            finals.insert((agent.to_string(), attempt), id);
                        }
                        Some(id)
                    }
                    _ => e.capture_id,
                };
                let stored = NewEvent {
                    capture_id,
                    capture_text: None,
                    ..e.clone()
                };
                ids.push((s.insert_event(&stored)?, capture_id));
            }
            for &i in &dirty {
                let att = &agents[i].att;
                match finals.get(&(att.agent.clone(), att.attempt)) {
                    Some(&id) => s.save_attempt(&AttemptRecord {
                        death_capture: Some(id),
                        ..att.clone()
                    })?,
                    None => s.save_attempt(att)?,
                }
            }
            Ok((ids, finals))
        });
        let (ids, finals) = match written {
            Err(e @ StoreError::LeaseLost { .. }) => {
                self.lose_lease();
                return Err(e);
            }
            other => other?,
        };
        self.output.pending.clear();
        for i in dirty {
            self.agents[i].mark_clean();
        }
        for ((agent, attempt), id) in finals {
            if let Some(a) = self
                .agents
                .iter_mut()
                .find(|a| a.name() == agent && a.att.attempt == attempt)
            {
                a.att.death_capture = Some(id);
            }
        }
        for (e, (id, capture_id)) in self.pending.drain(..).zip(ids) {
            self.published.push(published(e, id, capture_id));
        }
        self.changed = true;
        Ok(())
    }

    /// Outcomes of store-queued commands run since the last call.
    pub fn take_outcomes(&mut self) -> Vec<crate::fleet::CommandOutcome> {
        std::mem::take(&mut self.outcomes)
    }

    /// Events written since the last call, oldest first.
    pub fn take_events(&mut self) -> Vec<EventView> {
        std::mem::take(&mut self.published)
    }

    /// Whether anything a snapshot shows changed since the last [`Supervisor::take_changed`].
    pub fn take_changed(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }

    /// The fleet as it stands.
    pub fn snapshot(&self, now_ms: i64) -> FleetSnapshot {
        let mut agents: Vec<_> = self
            .agents
            .iter()
            .map(|a| {
                let mut view = a.view_with(&self.settings.escalation, self.settings.on_idle);
                self.apply_lineage(a, &mut view);
                view
            })
            .collect();
        self.decorate_hosts(&mut agents);
        self.decorate(&mut agents);
        self.decorate_restarts(&mut agents);
        self.apply_usage(&mut agents, now_ms);
        let budgets = self.decorate_budgets(&mut agents);
        FleetSnapshot {
            fleet: self.settings.name.clone(),
            taken_at_ms: now_ms,
            tick: self.ticks,
            stats: crate::fleet::TickStats {
                circuits: self.circuit_views(),
                unreachable: self.unreachable_hosts(),
                budgets,
                ..self.stats.clone()
            },
            agents,
        }
    }

    /// The store this supervisor writes.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The settings in force.
    pub fn settings(&self) -> &FleetSettings {
        &self.settings
    }
}

/// A stored event as the console and the CLI read it back.
fn published(e: NewEvent, id: i64, capture_id: Option<i64>) -> EventView {
    let payload = serde_json::to_string(&e.kind).expect("events serialize");
    let payload = crate::logs::redact::redact(&payload);
    EventView {
        id,
        ts_ms: e.ts_ms,
        agent: e.agent,
        attempt: e.attempt,
        kind: e.kind.name().to_string(),
        tier: e.tier,
        detail: crate::logs::redact::redact(&e.kind.render()).into_owned(),
        rule: e.rule,
        has_capture: capture_id.is_some(),
        level: e.kind.level(),
        payload: serde_json::from_str(&payload).ok(),
    }
}
