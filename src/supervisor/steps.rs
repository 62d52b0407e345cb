//! Everything the supervisor does to panes: start attempts, carry out the agents' steps
//! (type a task or a nudge, kill), and the operator's commands. This is the only place
//! the supervisor writes to tmux; the agents decide, this file acts and tells them what
//! became of it. The same code serves the running supervisor and a CLI that acts alone
//! when no supervisor runs.

use super::agent::{Ending, Step};
use super::core::Supervisor;
use super::detector::Keys;
use crate::fleet::{may_act, secret_env, Caller, Command, EventKind};
use crate::store::NewEvent;
use crate::tmux::{TmuxError, WindowSpec};
use std::path::PathBuf;

impl Supervisor {
    /// Start the agents that have never run (state `queued`), oldest first, as far as
    /// `max_running` and each parent's `max_children` allow.
    pub fn start_queued(&mut self, now_ms: i64) -> Vec<(String, Result<String, String>)> {
        let queued = self.queue_plan().start;
        if queued.is_empty() || !self.may_act() {
            return Vec::new();
        }
        let mut out = Vec::new();
        self.marked = Some(self.marked_panes());
        for i in queued {
            // An open circuit holds back every start of its kind; a spent budget, every
            // start in its scope.
            if !self.circuit_admits(i) || !self.budget_admits(i) {
                continue;
            }
            let name = self.agents[i].name().to_string();
            let r = self.start_attempt(i, now_ms).map_err(|e| e.to_string());
            if r.is_ok() {
                self.circuit_started(i);
            }
            out.push((name, r));
        }
        self.marked = None;
        if let Err(e) = self.persist() {
            self.stats.error = Some(e.to_string());
        }
        out
    }

    /// Start a new attempt of agent `i` in a fresh window on the first server with room.
    pub(crate) fn start_attempt(&mut self, i: usize, now_ms: i64) -> Result<String, TmuxError> {
        if let Some(adopted) = self.adopt_marked(i, now_ms) {
            return Ok(adopted);
        }
        self.prepare_worktree(i, now_ms)?;
        let per_server = self.settings.agents_per_server.max(1);
        let host = self.store.agent_host(self.agents[i].name()).ok().flatten();
        let mut n = 0;
        let idx = loop {
            let socket = crate::fleet::host::server_id(
                host.as_deref(),
                &crate::fleet::file::socket_name(&self.settings.name, n),
            );
            let idx = self.servers.index(&socket);
            let used = self
                .agents
                .iter()
                .filter(|a| a.is_live() && a.att.server.as_deref() == Some(socket.as_str()))
                .count();
            if used < per_server {
                break idx;
            }
            n += 1;
        };
        self.host_gate(idx, now_ms)?;
        let (opened, opened_from) = match self.open_env(i) {
            Ok(o) => o,
            Err(e) => {
                let event = self.agents[i].start_failed(e.clone(), now_ms);
                self.record([event]);
                return Err(TmuxError::Command {
                    command: "new-window".into(),
                    message: e,
                });
            }
        };
        let launch = self.launch(i);
        let (cmd, hook_env) = self.hook_launch(i, launch.cmd, host.is_some());
        let decl = &self.agents[i].decl;
        let attempt = self.agents[i].att.attempt + 1;
        let mut env: Vec<(String, String)> = vec![
            ("SHOAL_FLEET".into(), self.settings.name.clone()),
            ("SHOAL_AGENT".into(), decl.name.clone()),
            ("SHOAL_HOME".into(), self.home.display().to_string()),
        ];
        env.extend(opened.env);
        env.extend(hook_env);
        let mut spec = WindowSpec {
            name: decl.name.clone(),
            cmd,
            cwd: decl.cwd.as_ref().map(PathBuf::from),
            env,
            agent: decl.name.clone(),
            attempt,
        };
        let socket = self.servers.socket(idx).to_string();
        // A remote pane's token and shim once its host answers.
        let connected = self.servers.connect(idx, true).map(drop);
        if let (Ok(()), Some(h)) = (&connected, host.as_deref()) {
            self.remote_env(h, &mut spec);
        }
        let new = match connected
            .and_then(|()| self.servers.connect(idx, true))
            .and_then(|b| b.open_window(&spec))
        {
            Ok(new) => new,
            Err(e @ TmuxError::Unreachable { .. }) => {
                // Not the agent's failure: it waits for its host.
                self.host_failed(idx, &e, now_ms);
                return Err(e);
            }
            Err(e) => {
                let event = self.agents[i].start_failed(e.to_string(), now_ms);
                self.record([event]);
                return Err(e);
            }
        };
        let event = self.agents[i].started(attempt, &socket, &new.pane_id, now_ms);
        if host.is_some() {
            // Its pid is the host's: this machine's /proc knows nothing of it.
            self.agents[i].att.pane_pid = Some(new.pid);
        } else {
            super::reaper::bind_pane(&mut self.agents[i].att, new.pid);
        }
        self.mark_new_pane(i);
        let what = event.kind.render();
        self.record([event]);
        if !opened.changed.is_empty() {
            let kind = EventKind::EnvChanged {
                vars: opened.changed,
                file: opened_from,
            };
            let name = self.agents[i].name().to_string();
            self.record([NewEvent::agent(now_ms, &name, attempt, kind)]);
        }
        self.session_started(i, launch.resumed, now_ms);
        Ok(what)
    }

    /// Agent `i`'s environment in the clear: sealed values (the fleet file's, which the
    /// store keeps only as hashes) read from the fleet file again.
    fn open_env(&self, i: usize) -> Result<(secret_env::Opened, String), String> {
        let decl = &self.agents[i].decl;
        let file = self
            .store
            .fleet_settings()
            .ok()
            .flatten()
            .and_then(|r| r.file);
        let shown = file
            .as_ref()
            .map_or("the fleet file".to_string(), |p| p.display().to_string());
        let from_file = if decl.env.values().any(|v| secret_env::is_sealed(v)) {
            file.as_deref()
                .and_then(|p| crate::fleet::file::load(p).ok())
                .and_then(|f| f.agents.into_iter().find(|a| a.name == decl.name))
                .map(|a| a.env)
        } else {
            None
        };
        secret_env::open(&decl.name, &decl.env, from_file.as_ref(), &shown).map(|o| (o, shown))
    }

    /// The server and pane of agent `i`'s current attempt.
    pub(crate) fn pane_of(&self, i: usize) -> Result<(String, String), TmuxError> {
        let att = &self.agents[i].att;
        match (&att.server, &att.pane) {
            (Some(server), Some(pane)) => Ok((server.clone(), pane.clone())),
            _ => Err(TmuxError::Command {
                command: "send-keys".into(),
                message: format!("agent {} has no pane", self.agents[i].name()),
            }),
        }
    }

    /// Type a line literally, then Enter; the echo is not counted as progress.
    pub(crate) fn type_line(&mut self, i: usize, text: &str, now_ms: i64) -> Result<(), TmuxError> {
        let (server, pane) = self.pane_of(i)?;
        let backend = self.servers.backend(&server)?;
        for (n, line) in text.split('\n').enumerate() {
            if n > 0 {
                backend.send_keys(&pane, &["Enter".to_string()])?;
            }
            if !line.is_empty() {
                backend.send_text(&pane, line)?;
            }
        }
        backend.send_keys(&pane, &["Enter".to_string()])?;
        self.agents[i].typed(now_ms);
        Ok(())
    }

    /// Send tmux key names; the echo is not counted as progress.
    pub(crate) fn send_keys(
        &mut self,
        i: usize,
        keys: &[String],
        now_ms: i64,
    ) -> Result<(), TmuxError> {
        let (server, pane) = self.pane_of(i)?;
        self.servers.backend(&server)?.send_keys(&pane, keys)?;
        self.agents[i].typed(now_ms);
        Ok(())
    }

    /// Carry out one step agent `i` asked for, and tell it what became of it. What the
    /// step is about to do is written first (see [`super::Agent::intend`]); nothing is
    /// done without the lease, or when that cannot be written.
    pub(crate) fn run_step(&mut self, i: usize, step: Step, now_ms: i64) {
        if !self.may_act() {
            return;
        }
        self.agents[i].intend(&step, now_ms);
        if self.agents[i].is_dirty() {
            if let Err(e) = self.save_attempt_now(i) {
                self.stats.error = Some(format!(
                    "{}: not acting, the store cannot record it first: {e}",
                    self.agents[i].name()
                ));
                return;
            }
        }
        let event = match step {
            // Typing is confirmed across the next ticks (see `typing.rs`).
            Step::Task(_) | Step::Nudge(_) | Step::Resume(_) => {
                match self.begin_typing(i, step, now_ms) {
                    Some(event) => event,
                    None => return,
                }
            }
            Step::Warn => self.agents[i].warned(now_ms),
            Step::Kill(ending) => {
                if ending == Ending::Request {
                    self.killed_by_operator(i);
                }
                // Recorded when its processes are gone (see `reaper.rs`).
                self.begin_kill(i, ending, now_ms);
                return;
            }
            Step::Hold(hold) => self.agents[i].held(hold, now_ms),
        };
        self.record([event]);
    }

    /// Write agent `i`'s attempt row now, under the lease.
    fn save_attempt_now(&mut self, i: usize) -> Result<(), crate::store::StoreError> {
        let lease = self.lease;
        let att = &self.agents[i].att;
        let r = self.store.write(|s| {
            if let Some(lease) = lease {
                if !s.holds(lease)? {
                    return Err(crate::store::StoreError::LeaseLost {
                        path: s.path().to_path_buf(),
                    });
                }
            }
            s.save_attempt(att)
        });
        match r {
            Ok(()) => {
                self.agents[i].mark_clean();
                Ok(())
            }
            Err(e) => {
                if matches!(e, crate::store::StoreError::LeaseLost { .. }) {
                    self.lose_lease();
                }
                Err(e)
            }
        }
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
            let names: Vec<&str> = self.agents.iter().map(super::agent::Agent::name).collect();
            return Err(format!(
                "no agent named {name:?} in fleet {}; agents: {}",
                self.settings.name,
                if names.is_empty() {
                    "(none)".to_string()
                } else {
                    names.join(", ")
                }
            ));
        };
        if !self.may_act() {
            return Err(self.halted.clone().unwrap_or_else(|| {
                "this supervisor cannot check its lease; nothing was done".into()
            }));
        }
        let parents = (self.agents.iter())
            .map(|a| (a.name().to_string(), a.decl.parent.clone()))
            .collect();
        let result = may_act(caller, cmd.verb(), name, &parents)
            .and_then(|()| self.execute_on(i, cmd, now_ms));
        let verb = cmd.verb();
        let by = caller.to_string();
        let kind = match &result {
            Ok(outcome) => EventKind::Acted {
                verb,
                by,
                outcome: outcome.clone(),
            },
            Err(why) => EventKind::Refused {
                verb,
                by,
                why: why.clone(),
            },
        };
        let mut event = crate::store::NewEvent {
            tier: Some(self.agents[i].att.tier),
            ..crate::store::NewEvent::agent(
                now_ms,
                self.agents[i].name(),
                self.agents[i].att.attempt,
                kind,
            )
        };
        self.agents[i].take_final_screen(&mut event);
        self.record([event]);
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
        let name = self.agents[i].name().to_string();
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
        let kind = self.agents[i].decl.kind.clone();
        let tmux = |e: TmuxError| e.to_string();
        match cmd {
            Command::Approve { .. } | Command::Deny { .. } => {
                need_live()?;
                self.agents[i].check_answerable(cmd.verb())?;
                let which = if matches!(cmd, Command::Approve { .. }) {
                    Keys::Approve
                } else {
                    Keys::Deny
                };
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
                let how = self.deliver_reporting(i, "nudge", &msg, now_ms)?;
                Ok(format!("nudged {name}{how}"))
            }
            Command::Send { text, .. } | Command::Steer { text, .. } => {
                need_live()?;
                let how = self.deliver_reporting(i, cmd.verb().as_str(), text, now_ms)?;
                Ok(format!("typed a line into {name}{how}"))
            }
            Command::Signal { kind, message, .. } => self.signal(i, *kind, message, now_ms),
            Command::Kill { .. } => {
                need_live()?;
                self.run_step(i, Step::Kill(Ending::Request), now_ms);
                Ok(super::reaper::kill_outcome(
                    &self.agents[i],
                    self.reaper.is_killing(&name),
                ))
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
                let grace = crate::fleet::units::ms(self.settings.cancel_grace);
                self.agents[i].cancelling(now_ms.saturating_add(grace));
                Ok(format!(
                    "sent {} to {name}; it is killed in {}s unless it exits first",
                    keys.join(" "),
                    grace / 1000
                ))
            }
            Command::Retry { .. } | Command::RetryFresh { .. } => {
                if live {
                    return Err(format!(
                        "{name} is still running (attempt {}); cancel or kill it first",
                        self.agents[i].att.attempt
                    ));
                }
                // The ended attempt's dead pane, if kept, makes way for the new one;
                // a pane that is no longer its own is left alone.
                if let (true, Ok((server, pane))) = (self.pane_is_attempts(i), self.pane_of(i)) {
                    if let Ok(b) = self.servers.backend(&server) {
                        let _ = b.kill_pane(&pane);
                    }
                }
                self.budget_may_start(i, now_ms)?;
                if matches!(cmd, Command::RetryFresh { .. }) {
                    self.start_fresh(i);
                }
                self.start_attempt(i, now_ms).map_err(tmux)
            }
            Command::Pause { paused, .. } => {
                let also = if *paused {
                    String::new()
                } else {
                    self.budget_resume(i)?
                };
                self.store
                    .set_paused(&name, *paused)
                    .map_err(|e| e.to_string())?;
                self.agents[i].paused(*paused, now_ms);
                self.changed = true;
                Ok(format!(
                    "{} supervision of {name}{also}",
                    if *paused { "paused" } else { "resumed" }
                ))
            }
        }
    }
}
