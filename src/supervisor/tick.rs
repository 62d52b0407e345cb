//! One supervisor tick, as orchestration only: list panes, pick the ones to capture,
//! capture them, let each agent observe its screen, carry out the steps the agents ask
//! for, persist, and account for the cost.

use super::agent::{Ending, Policy, Seen, Step};
use super::core::Supervisor;
use super::detector::{digest, judge};
use crate::fleet::{Activity, LifeState};
use crate::tmux::{PaneState, TmuxError};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// Which steps a caller carries out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Steps {
    /// Everything, the stall ladder included: the supervisor's tick.
    All,
    /// Only typing pending tasks and finishing cancels: a CLI command waiting for its
    /// own action to settle while no supervisor runs.
    Settle,
}

impl Supervisor {
    /// Run one tick at `now_ms`.
    pub fn tick(&mut self, now_ms: i64) {
        let started = Instant::now();
        self.ticks += 1;
        if let Err(e) = self.store.check_identity() {
            self.halt(e.to_string());
        }
        if self.halted.is_some() {
            return;
        }
        self.reap(now_ms);
        let error_before = self.stats.error.take();
        if let Err(e) = self.refresh_if_changed() {
            self.stats.error = Some(e.to_string());
        }
        self.start_queued(now_ms);
        self.take_hooks(now_ms);
        // Persisted once, at the end of the tick.
        self.observe_panes(now_ms);
        self.serve_pane_requests(now_ms);
        self.run_steps(now_ms, Steps::All);
        self.drain_store_commands(now_ms);
        self.restart_pass(now_ms);
        self.retire_hosts(now_ms);
        self.after_tick_logs(now_ms);
        self.usage_tick(now_ms);
        self.budget_tick(now_ms);
        if let Err(e) = self.persist() {
            self.stats.error = Some(e.to_string());
        }
        self.sync_lineage();
        self.prune_old(now_ms);
        if self.stats.error != error_before {
            self.changed = true;
        }
        self.stats.duration_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    }

    /// Look at every live pane (list, capture what changed, classify, record deaths)
    /// without acting on anything: what `shoal status` does when no supervisor runs.
    pub fn observe_all(&mut self, now_ms: i64) {
        self.observe_panes(now_ms);
        if let Err(e) = self.persist() {
            self.stats.error = Some(e.to_string());
        }
    }

    /// [`Supervisor::observe_all`] without writing the store.
    fn observe_panes(&mut self, now_ms: i64) {
        // Only the tick serves what a listing finds: a command observing alone leaves it.
        self.requests.found.clear();
        let mut panes_total = 0;
        let mut captured = 0;
        let mut up = 0;
        for idx in 0..self.servers.len() {
            let socket = self.servers.socket(idx);
            if !self
                .agents
                .iter()
                .any(|a| a.is_live() && a.att.server.as_deref() == Some(socket))
            {
                continue;
            }
            if self.host_resting(idx, now_ms) {
                continue;
            }
            match self.poll_server(idx, now_ms) {
                Ok((listed, caps)) => {
                    self.host_reached(idx);
                    up += 1;
                    panes_total += listed;
                    captured += caps;
                }
                Err(e) => {
                    self.server_failed(idx, &e, now_ms);
                    self.stats.error = Some(e.to_string());
                }
            }
        }
        if (self.stats.servers, self.stats.servers_up, self.stats.panes)
            != (self.servers.len(), up, panes_total)
        {
            self.changed = true;
        }
        self.stats.servers = self.servers.len();
        self.stats.servers_up = up;
        self.stats.panes = panes_total;
        self.stats.captured = captured;
        let degraded = self.servers.degraded();
        if self.stats.degraded != degraded {
            self.stats.degraded = degraded;
            self.changed = true;
        }
        for i in 0..self.agents.len() {
            if self.agents[i].captured_tick() == Some(self.ticks) {
                self.weigh_signals(i, now_ms);
            }
        }
        self.settle_output(now_ms);
    }

    /// Type pending tasks and finish cancels whose grace ran out, without walking the
    /// stall ladder: what a CLI command does while it waits when no supervisor runs.
    pub fn settle(&mut self, now_ms: i64) {
        self.reap(now_ms);
        self.run_steps(now_ms, Steps::Settle);
        if let Err(e) = self.persist() {
            self.stats.error = Some(e.to_string());
        }
    }

    /// Names of agents still starting (task not yet typed), with typing under way,
    /// being cancelled or being killed.
    pub fn unsettled(&self) -> Vec<String> {
        self.agents
            .iter()
            .filter(|a| {
                a.att.state == LifeState::Starting
                    || (a.is_live() && self.is_typing(a.name()))
                    || (a.is_live() && a.att.cancel_deadline_ms.is_some())
                    || (a.is_live() && self.reaper.is_killing(a.name()))
            })
            .map(|a| a.name().to_string())
            .collect()
    }

    /// Carry out the commands other processes queued in the store, each exactly once.
    pub fn drain_store_commands(&mut self, now_ms: i64) {
        let claimed = match self.store.claim_due_commands(now_ms) {
            Ok((claimed, expired)) => {
                self.record_expired(expired, now_ms);
                claimed
            }
            Err(e) => {
                self.stats.error = Some(e.to_string());
                return;
            }
        };
        for (id, cmd) in claimed {
            let result = match cmd {
                Ok(req) => {
                    let r = self.execute_as(&req.caller(), &req.command, now_ms);
                    self.outcomes.push(crate::fleet::CommandOutcome {
                        command: req.command,
                        result: r.clone(),
                    });
                    r
                }
                Err(e) => Err(e),
            };
            if let Err(e) = self.store.finish_command(id, &result, now_ms) {
                self.stats.error = Some(e.to_string());
            }
        }
    }

    fn refresh_if_changed(&mut self) -> Result<(), crate::store::StoreError> {
        let v = self.store.data_version()?;
        if v != self.store_version {
            self.reload()?;
        }
        Ok(())
    }

    /// Ask every agent for its next step and carry out those `which` allows.
    fn run_steps(&mut self, now_ms: i64, which: Steps) {
        self.advance_typing(now_ms);
        let task_ready_timeout_ms = crate::fleet::units::ms(self.settings.task_ready_timeout);
        for i in 0..self.agents.len() {
            if self.on_down_host(i) || self.is_typing(self.agents[i].name()) {
                continue;
            }
            let agent = &self.agents[i];
            // Only an errored agent can need its kind's continue message.
            let continue_message = (agent.att.activity == Activity::Errored)
                .then(|| self.detector.continue_message(&agent.decl.kind))
                .flatten();
            let policy = Policy {
                escalation: self.settings.escalation,
                nudge_message: &self.settings.nudge_message,
                task_ready_timeout_ms,
                resume_after_reset: self.settings.resume_after_reset,
                continue_message: continue_message.as_deref(),
                on_idle: self.settings.on_idle,
            };
            let Some(step) = agent.next_step(&policy, now_ms) else {
                continue;
            };
            // A budget's pause holds everything but the end of a cancel or a kill.
            if self.budget_held(i) && !matches!(step, Step::Kill(_)) {
                continue;
            }
            let allowed = match which {
                Steps::All => true,
                Steps::Settle => matches!(step, Step::Task(_) | Step::Kill(Ending::CancelGrace)),
            };
            if allowed {
                self.run_step(i, step, now_ms);
            }
        }
    }

    /// List, pick, capture and observe the panes of one server. Returns (panes listed,
    /// panes captured).
    fn poll_server(&mut self, idx: usize, now_ms: i64) -> Result<(usize, usize), TmuxError> {
        let panes = self.servers.connect(idx, false)?.poll_panes()?;
        let listed = panes.len();
        let by_id: HashMap<&str, &PaneState> =
            panes.iter().map(|p| (p.pane_id.as_str(), p)).collect();
        let now_sec = now_ms.div_euclid(1000);
        let prev_sec = self.servers.swap_list_sec(idx, now_sec);
        let rr_period = u64::from(self.settings.recapture_ticks.max(1));
        let socket = self.servers.socket(idx).to_string();
        self.read_titles(&socket, &by_id, now_ms);

        let mut to_capture: Vec<(usize, String)> = Vec::new();
        let mut vanished = Vec::new();
        let mut died = Vec::new();
        let mut lost = Vec::new();
        let mut requests = Vec::new();
        for (i, agent) in self.agents.iter().enumerate() {
            if !agent.is_live()
                || agent.att.server.as_deref() != Some(socket.as_str())
                || self.reaper.is_killing(agent.name())
            {
                continue;
            }
            let Some(pane) = agent.att.pane.clone() else {
                continue;
            };
            let Some(info) = by_id.get(pane.as_str()) else {
                vanished.push(i);
                continue;
            };
            if let Some(why) = super::identity::mismatch(&agent.att, info) {
                lost.push((i, why));
                continue;
            }
            if info.request_len > 0 && !info.dead {
                requests.push((i, socket.clone(), pane.clone(), info.request_len));
            }
            if info.dead {
                died.push((i, info.dead_status));
                to_capture.push((i, pane));
                continue;
            }
            // Activity in the window since the previous list's second, a never-captured
            // pane, or its turn in the slow round robin.
            let active = info.window_activity >= prev_sec;
            let due = match agent.captured_tick() {
                None => true,
                Some(t) => self.ticks.saturating_sub(t) >= rr_period,
            };
            let rr_turn = (i + self.rr_cursor) as u64 % rr_period == 0;
            // A signal waits for the screen, and typing for its read-back: look now.
            if active || due || rr_turn || agent.signal_pending() || self.is_typing(agent.name()) {
                to_capture.push((i, pane));
            }
        }
        self.rr_cursor = self.rr_cursor.wrapping_add(1);
        self.requests.found.extend(requests);

        self.fetch_history(idx, &panes, &to_capture, now_ms);
        let ids: Vec<String> = to_capture.iter().map(|(_, p)| p.clone()).collect();
        let screens = if ids.is_empty() {
            Vec::new()
        } else {
            self.servers.connect(idx, false)?.capture_panes(&ids)?
        };
        let n_captured = screens.iter().filter(|s| s.is_some()).count();
        for ((i, _), screen) in to_capture.into_iter().zip(screens) {
            if let Some(text) = screen {
                self.observe(i, text, now_ms);
            }
        }
        for (i, status) in died {
            if self.finish_kill_on_record(i, now_ms) {
                continue;
            }
            let e = self.agents[i].died(status, now_ms);
            self.record([e]);
        }
        for i in vanished {
            let e = self.agents[i].vanished(now_ms);
            self.record([e]);
        }
        for (i, why) in lost {
            let e = self.agents[i].lost(why, now_ms);
            self.record([e]);
        }
        Ok((listed, n_captured))
    }

    /// Take in a fresh capture: an unchanged screen costs its digest only; a changed
    /// one is normalized, classified, logged and observed.
    pub(crate) fn observe(&mut self, i: usize, raw: String, now_ms: i64) {
        self.typing_saw(i, &raw);
        let screen_hash = digest(&raw);
        let tick = self.ticks;
        if self.agents[i].captured(tick, &screen_hash, &raw) {
            self.log_first_sight(i, &raw, now_ms);
            return;
        }
        let kind = self.agents[i].decl.kind.clone();
        // Stripped once here: normalizing, classifying and judging a stripped screen give
        // what they give on the raw one, and their own stripping finds nothing left to do.
        let plain = crate::profile::strip_ansi(&raw);
        let normalized = self.detector.normalize(&kind, &plain);
        let judged = judge(self.detector.as_ref(), &kind, &plain, now_ms);
        self.log_output(i, plain, &normalized, now_ms);
        // A frame caught mid-redraw shows nothing reliable: not progress, not a new
        // activity. The screen digest stays the old one, so the next capture is judged.
        let Some((proof, obs)) = judged else {
            return;
        };
        let seen = Seen {
            raw: Arc::from(raw),
            screen_hash,
            proof,
            obs,
        };
        let events = self.agents[i].observe(seen, now_ms);
        self.record(events);
    }

    /// A server that stopped answering: reconnect next tick; if it is gone, every live
    /// agent on it has died with it.
    fn server_failed(&mut self, idx: usize, err: &TmuxError, now_ms: i64) {
        self.servers.drop_conn(idx);
        self.host_failed(idx, err, now_ms);
        if !matches!(err, TmuxError::ServerDown { .. }) {
            return;
        }
        let socket = self.servers.socket(idx).to_string();
        let mut events = Vec::new();
        for agent in &mut self.agents {
            if agent.is_live() && agent.att.server.as_deref() == Some(socket.as_str()) {
                events.push(agent.server_gone(&socket, now_ms));
            }
        }
        self.record(events);
    }
}
