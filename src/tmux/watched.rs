//! The supervisor's backend for one fleet server: the control-mode client, watched.
//!
//! Every control-mode request has a reply deadline. A client that misses it is killed
//! (a stopped or wedged `tmux -C` would otherwise block `kill-server` too) and a new
//! one connects on the next request; a read (listing, capture) that hit the deadline
//! is answered at once through [`Batched`] one-shot commands, so the tick goes on. A
//! write is never repeated: the wedged client may have delivered it. After
//! [`WatchPolicy::strikes`] failures within [`WatchPolicy::window`] (a fresh client
//! that works for a while and wedges again counts too) the server stays on the
//! one-shot fallback for [`WatchPolicy::cooldown`] (slower, still correct), and
//! [`TmuxBackend::degraded`] says so for the header.
//!
//! The failure count lives in a process-wide table by socket, so it survives the
//! supervisor dropping this backend after an error and connecting again.

use super::batched::Batched;
use super::control::ControlClient;
use super::{NewPane, PaneInfo, PaneState, Server, TmuxBackend, TmuxError, WindowSpec};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// When the control client counts as failed and how long the fallback lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchPolicy {
    /// Reply deadline of one control-mode request (plus 2 ms per command of a batch);
    /// also the deadline of each one-shot tmux process on the fallback.
    pub deadline: Duration,
    /// Failures (missed deadlines, lost clients, failed connects) within `window`
    /// that put the server on the fallback.
    pub strikes: u32,
    /// How far back failures count.
    pub window: Duration,
    /// How long the fallback lasts before the control client is tried again.
    pub cooldown: Duration,
}

impl Default for WatchPolicy {
    fn default() -> Self {
        WatchPolicy {
            deadline: Duration::from_secs(3),
            strikes: 3,
            window: Duration::from_secs(600),
            cooldown: Duration::from_secs(60),
        }
    }
}

/// How one server's control clients have fared.
#[derive(Debug, Clone, Default)]
struct Health {
    failures: Vec<Instant>,
    fallback_until: Option<Instant>,
    last_error: String,
}

fn health_table() -> &'static Mutex<HashMap<String, Health>> {
    static TABLE: OnceLock<Mutex<HashMap<String, Health>>> = OnceLock::new();
    TABLE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// A control client with a deadline on every request and a one-shot fallback.
pub struct Watched {
    socket: String,
    server: Server,
    policy: WatchPolicy,
    client: Option<ControlClient>,
    fallback: Batched,
}

impl Watched {
    /// Watch the fleet server at `tmux -L socket` with the default policy. Fails only
    /// when no server runs there; a control client that cannot connect puts the server
    /// on the fallback instead.
    pub fn connect(socket: &str) -> Result<Watched, TmuxError> {
        Self::with_policy(socket, WatchPolicy::default())
    }

    /// [`Watched::connect`] with another policy.
    pub fn with_policy(socket: &str, policy: WatchPolicy) -> Result<Watched, TmuxError> {
        Self::watch(&Server::new(socket), policy)
    }

    /// Watch `server` wherever it runs (a remote one over its host's ssh).
    pub fn watch(server: &Server, policy: WatchPolicy) -> Result<Watched, TmuxError> {
        let socket = server.socket();
        if !server.running()? {
            return Err(TmuxError::ServerDown {
                socket: socket.to_string(),
            });
        }
        let mut watched = Watched {
            socket: socket.to_string(),
            server: server.clone(),
            policy,
            client: None,
            fallback: Batched::new(server, policy.deadline),
        };
        watched.control();
        Ok(watched)
    }

    /// pid of the current `tmux -C` child, when one is connected.
    pub fn control_pid(&self) -> Option<u32> {
        self.client.as_ref().map(ControlClient::pid)
    }

    fn health(&self) -> Health {
        health_table()
            .lock()
            .map(|t| t.get(&self.socket).cloned().unwrap_or_default())
            .unwrap_or_default()
    }

    fn update(&self, f: impl FnOnce(&mut Health)) {
        if let Ok(mut t) = health_table().lock() {
            f(t.entry(self.socket.clone()).or_default());
        }
    }

    /// The live control client, connecting one unless the server is on the fallback.
    fn control(&mut self) -> Option<&mut ControlClient> {
        if self.client.as_ref().is_some_and(|c| !c.is_alive()) {
            self.client = None;
        }
        if self.client.is_none() {
            if self
                .health()
                .fallback_until
                .is_some_and(|t| Instant::now() < t)
            {
                return None;
            }
            match ControlClient::connect_to(&self.server) {
                Ok(mut c) => {
                    c.set_timeout(self.policy.deadline);
                    self.client = Some(c);
                }
                Err(TmuxError::ServerDown { .. }) => return None,
                Err(e) => {
                    self.strike(&e);
                    return None;
                }
            }
        }
        self.client.as_mut()
    }

    fn strike(&mut self, e: &TmuxError) {
        if let Some(c) = self.client.take() {
            c.close();
        }
        let policy = self.policy;
        let now = Instant::now();
        self.update(|h| {
            h.failures
                .retain(|t| now.saturating_duration_since(*t) < policy.window);
            h.failures.push(now);
            h.last_error = e.to_string();
            if h.failures.len() >= policy.strikes as usize {
                h.fallback_until = Some(now + policy.cooldown);
            }
        });
    }

    /// Run `op` on the control client; a read that fails on it runs again on the
    /// fallback, a write does not (the client may have delivered it).
    fn call<T>(
        &mut self,
        read: bool,
        mut op: impl FnMut(&mut dyn TmuxBackend) -> Result<T, TmuxError>,
    ) -> Result<T, TmuxError> {
        if let Some(client) = self.control() {
            match op(client) {
                Ok(v) => return Ok(v),
                Err(e @ TmuxError::Protocol { .. }) => {
                    self.strike(&e);
                    if !read {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        op(&mut self.fallback)
    }
}

impl TmuxBackend for Watched {
    fn socket(&self) -> &str {
        &self.socket
    }

    fn list_panes(&mut self) -> Result<Vec<PaneInfo>, TmuxError> {
        self.call(true, |b| b.list_panes())
    }

    fn poll_panes(&mut self) -> Result<Vec<PaneState>, TmuxError> {
        self.call(true, |b| b.poll_panes())
    }

    fn capture_panes(&mut self, panes: &[String]) -> Result<Vec<Option<String>>, TmuxError> {
        self.call(true, |b| b.capture_panes(panes))
    }

    fn capture_history(
        &mut self,
        panes: &[(String, u32)],
    ) -> Result<Vec<Option<String>>, TmuxError> {
        self.call(true, |b| b.capture_history(panes))
    }

    fn send_keys(&mut self, pane: &str, keys: &[String]) -> Result<(), TmuxError> {
        self.call(false, |b| b.send_keys(pane, keys))
    }

    fn send_text(&mut self, pane: &str, text: &str) -> Result<(), TmuxError> {
        self.call(false, |b| b.send_text(pane, text))
    }

    fn paste_text(&mut self, pane: &str, text: &str, bracketed: bool) -> Result<(), TmuxError> {
        self.call(false, |b| b.paste_text(pane, text, bracketed))
    }

    fn kill_pane(&mut self, pane: &str) -> Result<(), TmuxError> {
        self.call(false, |b| b.kill_pane(pane))
    }

    fn set_pane_option(&mut self, pane: &str, option: &str, value: &str) -> Result<(), TmuxError> {
        self.call(false, |b| b.set_pane_option(pane, option, value))
    }

    fn take_pane_option(&mut self, pane: &str, option: &str) -> Result<Option<String>, TmuxError> {
        // Not through the control client (its replies are lines a value could imitate),
        // and never twice: the fallback's one-shot process is the only way.
        self.fallback.take_pane_option(pane, option)
    }

    fn new_window(&mut self, spec: &WindowSpec) -> Result<String, TmuxError> {
        self.call(false, |b| b.new_window(spec))
    }

    fn open_window(&mut self, spec: &WindowSpec) -> Result<NewPane, TmuxError> {
        self.call(false, |b| b.open_window(spec))
    }

    fn degraded(&self) -> Option<String> {
        let h = self.health();
        let until = h.fallback_until.filter(|t| Instant::now() < *t)?;
        Some(format!(
            "one-shot commands for {}s more after {} control-client failures within {}s ({})",
            until.saturating_duration_since(Instant::now()).as_secs() + 1,
            h.failures.len(),
            self.policy.window.as_secs(),
            h.last_error
        ))
    }
}
