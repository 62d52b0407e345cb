//! One supervisor tick: list panes, capture the ones that changed, prove life, classify,
//! walk the stall ladder, act, persist, and account for the cost.

use super::core::Supervisor;
use super::detector::digest;
use crate::fleet::{Activity, LifeState, Tier};
use crate::tmux::{PaneState, TmuxError};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

impl Supervisor {
    /// Run one tick at `now_ms`.
    pub fn tick(&mut self, now_ms: i64) {
        let started = Instant::now();
        self.ticks += 1;
        self.stats.error = None;
        if let Err(e) = self.refresh_if_changed() {
            self.stats.error = Some(e.to_string());
        }
        self.start_queued(now_ms);
        self.observe_all(now_ms);
        for i in 0..self.agents.len() {
            self.deliver_task(i, now_ms);
            self.walk_ladder(i, now_ms);
            self.finish_cancel(i, now_ms);
        }
        self.drain_store_commands(now_ms);
        self.after_tick_logs(now_ms);
        if let Err(e) = self.persist() {
            self.stats.error = Some(e.to_string());
        }
        self.sync_lineage();
        self.prune_old(now_ms);
        self.stats.duration_us = started.elapsed().as_micros() as u64;
    }

    /// Look at every live pane (list, capture what changed, classify, record deaths)
    /// without acting on anything: what `shoal status` does when no supervisor runs.
    pub fn observe_all(&mut self, now_ms: i64) {
        let mut panes_total = 0;
        let mut captured = 0;
        let mut up = 0;
        for idx in 0..self.servers.len() {
            if !self
                .agents
                .iter()
                .any(|a| a.is_live() && self.on_server(a, idx))
            {
                continue;
            }
            match self.poll_server(idx, now_ms) {
                Ok((listed, caps)) => {
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
        self.stats.servers = self.servers.len();
        self.stats.servers_up = up;
        self.stats.panes = panes_total;
        self.stats.captured = captured;
        self.settle_output(now_ms);
        if let Err(e) = self.persist() {
            self.stats.error = Some(e.to_string());
        }
    }

    /// Type pending tasks and finish cancels whose grace ran out, without walking the
    /// stall ladder: what a CLI command does while it waits when no supervisor runs.
    pub fn settle(&mut self, now_ms: i64) {
        for i in 0..self.agents.len() {
            self.deliver_task(i, now_ms);
            self.finish_cancel(i, now_ms);
        }
        if let Err(e) = self.persist() {
            self.stats.error = Some(e.to_string());
        }
    }

    /// Names of agents still starting (task not yet typed) or being cancelled.
    pub fn unsettled(&self) -> Vec<String> {
        self.agents
            .iter()
            .filter(|a| {
                a.att.state == LifeState::Starting
                    || (a.is_live() && a.att.cancel_deadline_ms.is_some())
            })
            .map(|a| a.rec.name.clone())
            .collect()
    }

    /// Carry out the commands other processes queued in the store, each exactly once.
    pub fn drain_store_commands(&mut self, now_ms: i64) {
        let claimed = match self.store.claim_commands() {
            Ok(c) => c,
            Err(e) => {
                self.stats.error = Some(e.to_string());
                return;
            }
        };
        for (id, cmd) in claimed {
            let result = match cmd {
                Ok(req) => {
                    let r = self.execute_as(&req.caller(), &req.command, now_ms);
                    self.outcomes.push(super::CommandOutcome {
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

    pub(crate) fn on_server(&self, rt: &super::core::AgentRt, idx: usize) -> bool {
        rt.att.server.as_deref() == Some(self.servers[idx].socket.as_str())
    }

    /// List, pick, capture and observe the panes of one server. Returns (panes listed,
    /// panes captured).
    fn poll_server(&mut self, idx: usize, now_ms: i64) -> Result<(usize, usize), TmuxError> {
        let panes = self.backend(idx)?.poll_panes()?;
        let listed = panes.len();
        let by_id: HashMap<&str, &PaneState> =
            panes.iter().map(|p| (p.pane_id.as_str(), p)).collect();
        let prev_sec = self.servers[idx].prev_list_sec;
        let now_sec = now_ms.div_euclid(1000);
        let rr_period = u64::from(self.settings.recapture_ticks.max(1));

        let mut to_capture: Vec<(usize, String)> = Vec::new();
        let mut vanished = Vec::new();
        let mut died = Vec::new();
        for i in 0..self.agents.len() {
            let rt = &self.agents[i];
            if !rt.is_live() || !self.on_server(rt, idx) {
                continue;
            }
            let Some(pane) = rt.att.pane.clone() else {
                continue;
            };
            let Some(info) = by_id.get(pane.as_str()) else {
                vanished.push(i);
                continue;
            };
            if info.dead {
                died.push((i, info.dead_status));
                to_capture.push((i, pane));
                continue;
            }
            // Activity in the window since the previous list's second, a never-captured
            // pane, or its turn in the slow round robin.
            let active = info.window_activity >= prev_sec;
            let due = match rt.captured_tick {
                None => true,
                Some(t) => self.ticks.saturating_sub(t) >= rr_period,
            };
            let rr_turn = (i + self.rr_cursor) as u64 % rr_period == 0;
            if active || due || rr_turn {
                to_capture.push((i, pane));
            }
        }
        self.rr_cursor = self.rr_cursor.wrapping_add(1);
        self.servers[idx].prev_list_sec = now_sec;

        self.fetch_history(idx, &panes, &to_capture);
        let ids: Vec<String> = to_capture.iter().map(|(_, p)| p.clone()).collect();
        let screens = if ids.is_empty() {
            Vec::new()
        } else {
            self.backend(idx)?.capture_panes(&ids)?
        };
        let n_captured = screens.iter().filter(|s| s.is_some()).count();
        for ((i, _), screen) in to_capture.into_iter().zip(screens) {
            if let Some(text) = screen {
                self.observe(i, text, now_ms);
            }
        }
        for (i, status) in died {
            self.pane_died(i, status, now_ms);
        }
        for i in vanished {
            self.pane_vanished(i, now_ms);
        }
        Ok((listed, n_captured))
    }

    /// Take in a fresh capture: proof of life and classification.
    pub(crate) fn observe(&mut self, i: usize, raw: String, now_ms: i64) {
        let ticks = self.ticks;
        let rt = &mut self.agents[i];
        rt.captured_tick = Some(ticks);
        let screen_hash = digest(&raw);
        if rt.att.screen_hash.as_deref() == Some(screen_hash.as_str()) {
            // Unchanged: no progress, nothing to classify. A supervisor that loaded the
            // digest from the store has not seen the screen itself yet, though.
            if rt.capture.is_empty() {
                rt.capture = Arc::from(raw.as_str());
            }
            return;
        }
        let kind = rt.rec.kind.clone();
        let normalized = self.detector.normalize(&kind, &raw);
        let proof = digest(&normalized);
        let obs = self.detector.classify(&kind, &raw, now_ms);
        self.log_output(i, &raw, &normalized, now_ms);
        let rt = &mut self.agents[i];
        rt.att.screen_hash = Some(screen_hash);
        rt.capture = Arc::from(raw.as_str());
        rt.dirty = true;
        let progressed = rt.att.proof_hash.as_deref() != Some(proof.as_str());
        rt.att.proof_hash = Some(proof);
        let baseline = std::mem::take(&mut rt.baseline_next);
        if progressed && !baseline && now_ms >= rt.rebaseline_until_ms {
            rt.att.last_progress_ms = now_ms;
            if rt.att.tier != Tier::Ok && rt.att.tier != Tier::Kill {
                let was = rt.att.tier;
                self.set_tier(i, Tier::Ok, now_ms);
                self.event(
                    i,
                    now_ms,
                    "tier",
                    format!("progress again after {was}: back to ok"),
                );
            }
        }
        let rt = &mut self.agents[i];
        let changed = rt.att.activity != obs.activity || rt.att.error != obs.error;
        rt.att.reason = obs.reason.clone();
        rt.att.reset_at_ms = obs.reset_at_ms;
        if changed {
            let from = rt.att.activity;
            rt.att.activity = obs.activity;
            rt.att.error = obs.error;
            if obs.activity == Activity::NeedsInput || from == Activity::NeedsInput {
                // Waiting for the operator is not a stall: the clock starts afresh when
                // the wait begins and when it ends.
                rt.att.last_progress_ms = now_ms;
                if rt.att.tier != Tier::Kill {
                    self.set_tier(i, Tier::Ok, now_ms);
                }
            }
            let mut detail = format!("{from} → {}", obs.activity);
            if let Some(e) = obs.error {
                detail.push_str(&format!(" ({e})"));
            }
            let capture = self.agents[i].capture.clone();
            self.event(i, now_ms, "activity", detail);
            if let Some(e) = self.pending.last_mut() {
                e.rule = obs.reason;
                e.capture_text = Some(capture);
            }
        }
    }

    /// The agent's task is typed once it looks ready (idle at its prompt), or after a
    /// timeout for kinds that never look idle before their first task.
    fn deliver_task(&mut self, i: usize, now_ms: i64) {
        let rt = &self.agents[i];
        if rt.att.state != LifeState::Starting || rt.captured_tick.is_none() {
            return;
        }
        let task = rt.rec.task.clone().filter(|t| !t.trim().is_empty());
        let Some(task) = task else {
            self.agents[i].att.state = LifeState::Running;
            self.agents[i].dirty = true;
            return;
        };
        let waited = now_ms - rt.att.started_ms.unwrap_or(now_ms);
        let ready = rt.att.activity == Activity::Idle
            || waited >= self.settings.task_ready_timeout.as_millis() as i64;
        if !ready {
            return;
        }
        match self.type_line(i, &task, now_ms) {
            Ok(()) => {
                let rt = &mut self.agents[i];
                rt.att.task_sent = true;
                rt.att.state = LifeState::Running;
                rt.att.last_progress_ms = now_ms;
                rt.dirty = true;
                self.event(i, now_ms, "task", format!("typed the task: {task}"));
            }
            Err(e) => self.event(i, now_ms, "error", format!("could not type the task: {e}")),
        }
    }

    /// Fire the next tier if its time has come.
    fn walk_ladder(&mut self, i: usize, now_ms: i64) {
        let rt = &self.agents[i];
        if rt.rec.paused {
            return;
        }
        if rt.att.state == LifeState::Running
            && rt.att.activity == Activity::Errored
            && rt.att.reset_at_ms.is_some()
        {
            self.maybe_resume(i, now_ms);
            return;
        }
        if !self.ladder_applies(rt) {
            return;
        }
        let Some(tier) = self.settings.escalation.due(
            rt.att.tier,
            rt.att.last_progress_ms,
            rt.rec.stall_timeout_ms,
            now_ms,
        ) else {
            return;
        };
        let stalled_s = (now_ms - rt.att.last_progress_ms) / 1000;
        self.set_tier(i, tier, now_ms);
        match tier {
            Tier::Nudge => {
                let msg = self.settings.nudge_message.clone();
                let detail = match self.type_line(i, &msg, now_ms) {
                    Ok(()) => format!("no progress for {stalled_s}s: typed the nudge message"),
                    Err(e) => format!("no progress for {stalled_s}s: nudge failed: {e}"),
                };
                self.event(i, now_ms, "nudge", detail);
            }
            Tier::Warn => self.event(
                i,
                now_ms,
                "warn",
                format!("no progress for {stalled_s}s: operator warned; kill follows at 3× the stall timeout"),
            ),
            Tier::Kill => {
                let detail = format!("no progress for {stalled_s}s: killed by the stall ladder");
                self.end_by_kill(i, LifeState::Killed, "kill", detail, now_ms);
            }
            Tier::Ok => {}
        }
    }

    /// An errored agent with a reset time: once the time has passed, optionally type the
    /// kind's continue message (once per reset time).
    fn maybe_resume(&mut self, i: usize, now_ms: i64) {
        let rt = &self.agents[i];
        let Some(reset) = rt.att.reset_at_ms else {
            return;
        };
        if !self.settings.resume_after_reset || now_ms < reset || rt.resumed_for == Some(reset) {
            return;
        }
        let Some(msg) = self.detector.continue_message(&rt.rec.kind) else {
            return;
        };
        self.agents[i].resumed_for = Some(reset);
        let detail = match self.type_line(i, &msg, now_ms) {
            Ok(()) => "the error's reset time passed: typed the continue message".to_string(),
            Err(e) => {
                format!("the error's reset time passed; typing the continue message failed: {e}")
            }
        };
        self.agents[i].att.last_progress_ms = now_ms;
        self.agents[i].dirty = true;
        self.event(i, now_ms, "resume", detail);
    }

    /// A cancel whose grace period ran out ends in a kill, state cancelled.
    fn finish_cancel(&mut self, i: usize, now_ms: i64) {
        let rt = &self.agents[i];
        match rt.att.cancel_deadline_ms {
            Some(deadline) if rt.is_live() && now_ms >= deadline => {
                let detail = "grace period over: killed to finish the cancel".to_string();
                self.end_by_kill(i, LifeState::Cancelled, "cancel", detail, now_ms);
            }
            _ => {}
        }
    }

    /// The pane's process exited: keep the final screen, record the status.
    fn pane_died(&mut self, i: usize, status: Option<i32>, now_ms: i64) {
        let rt = &self.agents[i];
        let state = if rt.att.cancel_deadline_ms.is_some() {
            LifeState::Cancelled
        } else if status == Some(0) {
            LifeState::Done
        } else {
            LifeState::Failed
        };
        let status_text = status.map_or("unknown".to_string(), |s| s.to_string());
        let capture = rt.capture.to_string();
        self.agents[i].att.exit_status = status;
        self.agents[i].att.activity = Activity::Exited;
        self.end_attempt(i, state, &capture, now_ms);
        self.event(
            i,
            now_ms,
            "exit",
            format!("process exited with status {status_text}: {state}"),
        );
        self.attach_death_capture(i);
    }

    /// The pane is gone without a trace (killed outside shoal).
    fn pane_vanished(&mut self, i: usize, now_ms: i64) {
        let capture = self.agents[i].capture.to_string();
        self.agents[i].att.activity = Activity::Exited;
        let state = if self.agents[i].att.cancel_deadline_ms.is_some() {
            LifeState::Cancelled
        } else {
            LifeState::Failed
        };
        self.end_attempt(i, state, &capture, now_ms);
        self.event(
            i,
            now_ms,
            "exit",
            "the pane disappeared (killed outside shoal); last screen kept".to_string(),
        );
        self.attach_death_capture(i);
    }

    /// A server that stopped answering: reconnect next tick; if it is gone, every live
    /// agent on it has died with it.
    fn server_failed(&mut self, idx: usize, err: &TmuxError, now_ms: i64) {
        self.servers[idx].conn = None;
        if !matches!(err, TmuxError::ServerDown { .. }) {
            return;
        }
        for i in 0..self.agents.len() {
            if self.agents[i].is_live() && self.on_server(&self.agents[i], idx) {
                let capture = self.agents[i].capture.to_string();
                self.agents[i].att.activity = Activity::Exited;
                self.end_attempt(i, LifeState::Failed, &capture, now_ms);
                let socket = self.servers[idx].socket.clone();
                self.event(
                    i,
                    now_ms,
                    "exit",
                    format!("the tmux server {socket} is gone"),
                );
                self.attach_death_capture(i);
            }
        }
    }

    /// Link the last queued event to the attempt's death capture.
    pub(crate) fn attach_death_capture(&mut self, i: usize) {
        let id = self.agents[i].att.death_capture;
        if let Some(e) = self.pending.last_mut() {
            e.capture_id = id;
        }
    }
}
