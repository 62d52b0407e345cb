//! Agent-native signals in the supervisor: launching a CLI with shoal's hooks (per its
//! profile, never touching the operator's own CLI config), taking in the hook events
//! `shoal hook` records from inside agents' panes, reading the pane titles the listing
//! carries, and weighing each against the screen (see `agent/signal.rs`).

use super::agent::Signal;
use super::core::Supervisor;
use crate::tmux::PaneState;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// While a signal waits for the screen, the supervisor looks again this soon instead of
/// at the next poll.
pub const SIGNAL_RECHECK_MS: i64 = 200;

/// Where the supervisor is in the store's hook events.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct HookIntake {
    /// Events up to this id have been read.
    cursor: i64,
    /// The store's data version when it was last looked at for hooks.
    version: i64,
}

impl Supervisor {
    /// Hooks recorded before this supervisor started are history, not signals.
    pub(crate) fn start_hook_intake(&mut self) {
        self.hook_intake.cursor = self.store.last_event_id().unwrap_or(0);
        self.hook_intake.version = self.store.data_version().unwrap_or(0);
    }

    /// Agent `i`'s command line and extra environment for a launch with shoal's hooks:
    /// unchanged when hooks are off for it, it runs on another host (its hook would run
    /// where the store is not), or its profile cannot wire `cmd`.
    pub(crate) fn hook_launch(
        &mut self,
        i: usize,
        cmd: String,
        remote: bool,
    ) -> (String, Vec<(String, String)>) {
        let name = self.agents[i].name().to_string();
        let kind = self.agents[i].decl.kind.clone();
        let on = (self.store.agent_hooks(&name).ok().flatten()).unwrap_or(self.settings.hooks);
        if remote || !on {
            return (cmd, Vec::new());
        }
        let Some(hooks) = self.detector.hooks_for(&kind, &cmd) else {
            return (cmd, Vec::new());
        };
        let (Ok(exe), Ok(store)) = (
            std::env::current_exe(),
            std::path::absolute(self.store.path()),
        ) else {
            return (cmd, Vec::new());
        };
        let words: Vec<String> = vec![
            exe.display().to_string(),
            "hook".into(),
            "--store".into(),
            store.display().to_string(),
            kind,
        ];
        let dir = std::path::absolute(self.home.join("hooks")).unwrap_or_default();
        let file = dir.join(format!("{}-{name}.json", self.settings.name));
        let kept = hooks
            .keeps(&|var| std::env::var(var).ok())
            .iter()
            .find_map(|p| read_json(Path::new(p)));
        let launch = hooks.launch(&cmd, &words, &file, kept.as_ref());
        if let Some(text) = &launch.settings {
            if let Err(e) = write_private(&dir, &file, text) {
                // The agent still starts, read from its screen alone.
                self.stats.error = Some(format!(
                    "{name}: started without hooks: cannot write {}: {e}",
                    file.display()
                ));
                return (cmd, Vec::new());
            }
        }
        (launch.cmd, launch.env)
    }

    /// Take in the hook events recorded since the last look: each one of a live agent's
    /// current attempt whose profile says what it claims waits for the screen. Returns
    /// whether any did.
    pub(crate) fn take_hooks(&mut self, now_ms: i64) -> bool {
        let (rows, upto) = match self.store.hooks_after(self.hook_intake.cursor) {
            Ok(r) => r,
            Err(e) => {
                self.stats.error = Some(e.to_string());
                return false;
            }
        };
        self.hook_intake.cursor = upto;
        let mut any = false;
        for row in rows {
            let Some(i) = self.find(&row.agent) else {
                continue;
            };
            let agent = &self.agents[i];
            // An ended attempt's late hook, or one the caller rule pinned on an older
            // attempt, is history.
            if !agent.is_live() || agent.att.attempt != row.attempt {
                continue;
            }
            let Some(claim) = self.detector.hook_claim(&agent.decl.kind, &row.event) else {
                continue;
            };
            self.agents[i].signal(Signal {
                source: format!("hook {}", row.event),
                claim,
                at_ms: now_ms,
            });
            any = true;
        }
        any
    }

    /// Whether a hook arrived since the last look (another process wrote to the store,
    /// and it was a hook): the supervisor's loop ticks at once instead of at the next
    /// poll. Cheap enough to ask every few tens of milliseconds.
    pub fn signal_arrived(&mut self, now_ms: i64) -> bool {
        let Ok(version) = self.store.data_version() else {
            return false;
        };
        if version == self.hook_intake.version {
            return false;
        }
        self.hook_intake.version = version;
        self.take_hooks(now_ms)
    }

    /// When to look again because a signal waits for the screen, if one does.
    pub fn signal_recheck_at(&self, now_ms: i64) -> Option<i64> {
        self.agents
            .iter()
            .any(super::agent::Agent::signal_pending)
            .then_some(now_ms + SIGNAL_RECHECK_MS)
    }

    /// The pane titles of this listing of server `socket`, for its live agents.
    pub(crate) fn read_titles(
        &mut self,
        socket: &str,
        panes: &HashMap<&str, &PaneState>,
        now_ms: i64,
    ) {
        for i in 0..self.agents.len() {
            let a = &self.agents[i];
            if !a.is_live() || a.att.server.as_deref() != Some(socket) {
                continue;
            }
            let Some(info) = a.att.pane.as_deref().and_then(|p| panes.get(p)) else {
                continue;
            };
            let claim = self.detector.title_claim(&a.decl.kind, &info.title);
            self.agents[i].titled(claim, &info.title, now_ms);
        }
    }

    /// Weigh agent `i`'s waiting signals against its screen now.
    pub(crate) fn weigh_signals(&mut self, i: usize, now_ms: i64) {
        if self.agents[i].signal_pending() {
            let events = self.agents[i].weigh_signals(now_ms);
            self.record(events);
        }
    }
}

/// A JSON object from `path`, if it holds one.
fn read_json(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str::<Value>(&text)
        .ok()
        .filter(Value::is_object)
}

/// Write `text` to `file` in `dir`, both readable by the owner only (Gemini CLI skips a
/// settings file others could have written).
fn write_private(dir: &Path, file: &Path, text: &str) -> std::io::Result<()> {
    crate::store::private::create_dir(dir)?;
    crate::store::private::create_file(file)?;
    std::fs::write(file, text)
}
