//! What the supervisor does to panes: start attempts, type lines, send keys, kill, and
//! the operator's commands. The same code serves the running supervisor and a CLI that
//! acts alone when no supervisor is running.

use super::core::Supervisor;
use super::detector::Keys;
use crate::fleet::{may_act, Caller, Command, Verb};
use crate::fleet::{Activity, LifeState, Tier};
use crate::store::AttemptRecord;
use crate::tmux::{TmuxError, WindowSpec};
use std::path::PathBuf;
use std::sync::Arc;

/// Screen changes within this long after shoal typed into a pane are the echo of that
/// typing, not the agent's progress.
const ECHO_WINDOW_MS: i64 = 1500;

impl Supervisor {
    /// Start the agents that have never run (state `queued`), oldest first, as far as
    /// `max_running` and each parent's `max_children` allow.
    pub fn start_queued(&mut self, now_ms: i64) -> Vec<(String, Result<String, String>)> {
        let queued = self.queue_plan().start;
        let mut out = Vec::new();
        for i in queued {
            let name = self.agents[i].rec.name.clone();
            let r = self.start_attempt(i, now_ms).map_err(|e| e.to_string());
            if let Err(e) = &r {
                self.event(i, now_ms, "error", format!("could not start: {e}"));
            }
            out.push((name, r));
        }
        if let Err(e) = self.persist() {
            self.stats.error = Some(e.to_string());
        }
        out
    }

    /// Start a new attempt of agent `i` in a fresh window on the first server with room.
    pub(crate) fn start_attempt(&mut self, i: usize, now_ms: i64) -> Result<String, TmuxError> {
        let per_server = self.settings.agents_per_server.max(1);
        let mut n = 0;
        let idx = loop {
            let socket = crate::fleet::file::socket_name(&self.settings.fleet, n);
            let idx = self.slot_index(&socket);
            let used = self
                .agents
                .iter()
                .filter(|a| a.is_live() && self.on_server(a, idx))
                .count();
            if used < per_server {
                break idx;
            }
            n += 1;
        };
        let rec = self.agents[i].rec.clone();
        let attempt = self.agents[i].att.attempt + 1;
        let mut env: Vec<(String, String)> = vec![
            ("SHOAL_FLEET".into(), self.settings.fleet.clone()),
            ("SHOAL_AGENT".into(), rec.name.clone()),
            (
                "SHOAL_HOME".into(),
                self.settings.home.display().to_string(),
            ),
        ];
        env.extend(rec.env.iter().map(|(k, v)| (k.clone(), v.clone())));
        let spec = WindowSpec {
            name: rec.name.clone(),
            cmd: rec.cmd.clone(),
            cwd: rec.cwd.as_ref().map(PathBuf::from),
            env,
            agent: rec.name.clone(),
            attempt,
        };
        let socket = self.servers[idx].socket.clone();
        let pane = self.connect(idx, true)?.new_window(&spec)?;
        let rt = &mut self.agents[i];
        rt.att = AttemptRecord {
            agent: rec.name.clone(),
            attempt,
            server: Some(socket.clone()),
            pane: Some(pane.clone()),
            state: LifeState::Starting,
            started_ms: Some(now_ms),
            tier_since_ms: now_ms,
            last_progress_ms: now_ms,
            ..Default::default()
        };
        rt.capture = Arc::from("");
        rt.captured_tick = None;
        rt.rebaseline_until_ms = 0;
        rt.resumed_for = None;
        rt.baseline_next = false;
        rt.dirty = true;
        let what = format!("started attempt {attempt} in pane {pane} on {socket}");
        self.event(i, now_ms, "start", what.clone());
        Ok(what)
    }

    /// Type a line literally, then Enter; the echo is not counted as progress.
    pub(crate) fn type_line(&mut self, i: usize, text: &str, now_ms: i64) -> Result<(), TmuxError> {
        let (idx, pane) = self.pane_of(i)?;
        let backend = self.backend(idx)?;
        for (n, line) in text.split('\n').enumerate() {
            if n > 0 {
                backend.send_keys(&pane, &["Enter".to_string()])?;
            }
            if !line.is_empty() {
                backend.send_text(&pane, line)?;
            }
        }
        backend.send_keys(&pane, &["Enter".to_string()])?;
        self.agents[i].rebaseline_until_ms = now_ms + ECHO_WINDOW_MS;
        Ok(())
    }

    fn send_keys(&mut self, i: usize, keys: &[String], now_ms: i64) -> Result<(), TmuxError> {
        let (idx, pane) = self.pane_of(i)?;
        self.backend(idx)?.send_keys(&pane, keys)?;
        self.agents[i].rebaseline_until_ms = now_ms + ECHO_WINDOW_MS;
        Ok(())
    }

    fn pane_of(&mut self, i: usize) -> Result<(usize, String), TmuxError> {
        let att = &self.agents[i].att;
        let (Some(server), Some(pane)) = (att.server.clone(), att.pane.clone()) else {
            return Err(TmuxError::Command {
                command: "send-keys".into(),
                message: format!("agent {} has no pane", self.agents[i].rec.name),
            });
        };
        Ok((self.slot_index(&server), pane))
    }

    /// End the attempt: state, time, and the final screen kept as its death capture.
    pub(crate) fn end_attempt(&mut self, i: usize, state: LifeState, capture: &str, now_ms: i64) {
        let (name, attempt) = (self.agents[i].rec.name.clone(), self.agents[i].att.attempt);
        let id = self
            .store
            .insert_capture(now_ms, &name, attempt, "death", capture)
            .ok();
        let att = &mut self.agents[i].att;
        att.state = state;
        att.ended_ms = Some(now_ms);
        att.cancel_deadline_ms = None;
        att.death_capture = id;
        self.agents[i].dirty = true;
    }

    /// Capture the final screen, kill the pane's window, end the attempt.
    pub(crate) fn end_by_kill(
        &mut self,
        i: usize,
        state: LifeState,
        kind: &str,
        detail: String,
        now_ms: i64,
    ) {
        let mut detail = detail;
        let mut capture = self.agents[i].capture.to_string();
        if let Ok((idx, pane)) = self.pane_of(i) {
            if let Ok(backend) = self.backend(idx) {
                if let Ok(mut screens) = backend.capture_panes(std::slice::from_ref(&pane)) {
                    if let Some(Some(text)) = screens.pop() {
                        capture = text;
                    }
                }
                if let Err(e) = backend.kill_pane(&pane) {
                    detail.push_str(&format!(" (kill-pane: {e})"));
                }
            }
        }
        self.agents[i].capture = Arc::from(capture.as_str());
        self.agents[i].att.activity = Activity::Exited;
        if state == LifeState::Killed {
            self.set_tier(i, Tier::Kill, now_ms);
        }
        self.end_attempt(i, state, &capture, now_ms);
        self.event(i, now_ms, kind, detail);
        self.attach_death_capture(i);
    }

    /// Carry out a command now, for the caller it implies (the console's own commands
    /// are the operator's). `Ok` says what was done; `Err` why not.
    pub fn execute(&mut self, cmd: &Command, now_ms: i64) -> Result<String, String> {
        self.execute_as(&Caller::implied_by(cmd), cmd, now_ms)
    }

    /// Carry out a command for `caller`, refused unless the caller rule lets it act on
    /// that agent; the event names the caller either way.
    pub fn execute_as(
        &mut self,
        caller: &Caller,
        cmd: &Command,
        now_ms: i64,
    ) -> Result<String, String> {
        let name = cmd.agent();
        let Some(i) = self.find(name) else {
            let names: Vec<&str> = self.agents.iter().map(|a| a.rec.name.as_str()).collect();
            return Err(format!(
                "no agent named {name:?} in fleet {}; agents: {}",
                self.settings.fleet,
                if names.is_empty() {
                    "(none)".to_string()
                } else {
                    names.join(", ")
                }
            ));
        };
        let parents = (self.agents.iter())
            .map(|a| (a.rec.name.clone(), a.rec.parent.clone()))
            .collect();
        let result = may_act(caller, Verb::of(cmd), name, &parents)
            .and_then(|()| self.execute_on(i, cmd, now_ms));
        let kind = cmd.verb();
        let who = caller.to_string();
        match &result {
            Ok(what) => self.event(i, now_ms, kind, format!("{who}: {what}")),
            Err(why) => self.event(i, now_ms, "refused", format!("{who} {kind}: {why}")),
        }
        if result.is_ok() && cmd.answers() {
            self.answer_hold(i, now_ms);
        }
        if let Err(e) = self.persist() {
            return Err(format!(
                "{}; and the store write failed: {e}",
                result.unwrap_or_else(|e| e)
            ));
        }
        self.sync_lineage();
        result
    }

    fn execute_on(&mut self, i: usize, cmd: &Command, now_ms: i64) -> Result<String, String> {
        let name = self.agents[i].rec.name.clone();
        let live = self.agents[i].is_live();
        let state = self.agents[i].att.state;
        let need_live = || -> Result<(), String> {
            if live {
                Ok(())
            } else {
                Err(format!(
                    "{name} is not running (state {state}); `shoal retry {name}` starts it again"
                ))
            }
        };
        let kind = self.agents[i].rec.kind.clone();
        let tmux = |e: TmuxError| e.to_string();
        match cmd {
            Command::Approve { .. } | Command::Deny { .. } => {
                need_live()?;
                let activity = self.agents[i].att.activity;
                let approve = matches!(cmd, Command::Approve { .. });
                if activity != Activity::NeedsInput && self.held_by_signal(&self.agents[i]) {
                    return Err(format!(
                        "{name} signalled that it needs you, but shows no dialog to answer; type your answer with `shoal send {name} TEXT` (i in the console)"
                    ));
                }
                if activity != Activity::NeedsInput {
                    return Err(format!(
                        "{name} is {activity}, not waiting for input; nothing to {}",
                        if approve { "approve" } else { "deny" }
                    ));
                }
                let which = if approve { Keys::Approve } else { Keys::Deny };
                let keys = self.detector.keys(&kind, which);
                if keys.is_empty() {
                    return Err(format!("the {kind} profile defines no {which:?} keys"));
                }
                self.send_keys(i, &keys, now_ms).map_err(tmux)?;
                Ok(format!("sent {} to {name}", keys.join(" ")))
            }
            Command::Nudge { .. } => {
                need_live()?;
                let msg = self.settings.nudge_message.clone();
                self.type_line(i, &msg, now_ms).map_err(tmux)?;
                Ok(format!("nudged {name}"))
            }
            Command::Send { text, .. } | Command::Steer { text, .. } => {
                need_live()?;
                self.type_line(i, text, now_ms).map_err(tmux)?;
                Ok(format!("typed a line into {name}"))
            }
            Command::Signal { kind, message, .. } => self.signal(i, *kind, message, now_ms),
            Command::Kill { .. } => {
                need_live()?;
                self.end_by_kill(
                    i,
                    LifeState::Killed,
                    "kill",
                    format!("killed {name} at the operator's request"),
                    now_ms,
                );
                Ok(format!("killed {name}"))
            }
            Command::Cancel { .. } => {
                need_live()?;
                if self.agents[i].att.cancel_deadline_ms.is_some() {
                    return Err(format!("{name} is already being cancelled"));
                }
                let keys = self.detector.keys(&kind, Keys::Interrupt);
                let keys = if keys.is_empty() {
                    vec!["C-c".to_string()]
                } else {
                    keys
                };
                self.send_keys(i, &keys, now_ms).map_err(tmux)?;
                let grace = self.settings.cancel_grace.as_millis() as i64;
                self.agents[i].att.cancel_deadline_ms = Some(now_ms + grace);
                self.agents[i].dirty = true;
                Ok(format!(
                    "sent {} to {name}; it is killed in {}s unless it exits first",
                    keys.join(" "),
                    grace / 1000
                ))
            }
            Command::Retry { .. } => {
                if live {
                    return Err(format!(
                        "{name} is still running (attempt {}); cancel or kill it first",
                        self.agents[i].att.attempt
                    ));
                }
                // The ended attempt's dead pane, if kept, makes way for the new one.
                if let Ok((idx, pane)) = self.pane_of(i) {
                    if let Ok(b) = self.backend(idx) {
                        let _ = b.kill_pane(&pane);
                    }
                }
                self.start_attempt(i, now_ms).map_err(tmux)
            }
            Command::Pause { paused, .. } => {
                self.store
                    .set_paused(&name, *paused)
                    .map_err(|e| e.to_string())?;
                self.agents[i].rec.paused = *paused;
                if !*paused {
                    // The stall clock restarts when supervision resumes.
                    self.agents[i].att.last_progress_ms = now_ms;
                    self.set_tier(i, Tier::Ok, now_ms);
                    self.agents[i].dirty = true;
                }
                Ok(format!(
                    "{} supervision of {name}",
                    if *paused { "paused" } else { "resumed" }
                ))
            }
        }
    }
}
