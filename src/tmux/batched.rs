//! The fallback poll when no control client can be trusted: one-shot tmux processes,
//! but all captures of a tick packed into as few processes as their arguments allow,
//! each with a deadline. Slower than control mode, still one client per ~300 panes
//! instead of one per pane (see TMUX.md for the costs).
//!
//! A packed process stops at the first command that fails (a pane that vanished since
//! the listing), so a marker printed after every capture shows how far it got: the
//! pane after the last marker is the one that failed, and the rest runs again.

use super::commands::{self, Mode};
use super::format::{self, POLL_FORMAT};
use super::oneshot::OneShot;
use super::server::{argv_groups, check, classify, run_output, server_gone, unreachable, Server};
use super::{NewPane, PaneInfo, PaneState, TmuxBackend, TmuxError, WindowSpec};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tmux_interface::TmuxCommand;

static NONCE: AtomicU64 = AtomicU64::new(0);

/// One-shot commands with packed captures and a deadline on every tmux process.
#[derive(Debug, Clone)]
pub struct Batched {
    inner: OneShot,
}

impl Batched {
    /// Commands go to `tmux -L socket` (or wherever a [`Server`] runs); each tmux
    /// process is killed after `deadline`.
    pub fn new(server: impl Into<Server>, deadline: Duration) -> Self {
        Batched {
            inner: OneShot::with_deadline(server, deadline),
        }
    }

    /// Run `make(pane)` for every pane, packed, with a marker after each; `None` for a
    /// pane whose command failed.
    fn packed(
        &self,
        panes: &[String],
        make: impl Fn(usize) -> TmuxCommand<'static>,
    ) -> Result<Vec<Option<String>>, TmuxError> {
        let socket = self.inner.socket().to_string();
        // No `%` in a marker: display-message runs strftime on it.
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let nonce = format!(
            "shoal-mark-{}-{}-{stamp}",
            std::process::id(),
            NONCE.fetch_add(1, Ordering::Relaxed)
        );
        let mark = |i: usize| format!("{nonce}-{i}");
        let mut out: Vec<Option<String>> = vec![None; panes.len()];
        let mut next = 0;
        while next < panes.len() {
            let cmds: Vec<TmuxCommand<'static>> = (next..panes.len())
                .flat_map(|i| [make(i), commands::display(&mark(i), Mode::Argv)])
                .collect();
            let group = argv_groups(cmds).into_iter().next().unwrap_or_default();
            let count = group.len() / 2;
            let output = run_output(self.inner.server(), group, self.inner.opts())?;
            let failed = !output.status.success();
            let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
            let mut rest = stdout.as_str();
            let mut done = 0;
            for (i, slot) in out.iter_mut().enumerate().skip(next).take(count) {
                let marker = mark(i);
                let at = if rest.starts_with(&format!("{marker}\n")) {
                    Some(0)
                } else {
                    rest.find(&format!("\n{marker}\n")).map(|p| p + 1)
                };
                let Some(at) = at else { break };
                *slot = Some(rest[..at].to_string());
                rest = &rest[at + marker.len() + 1..];
                done += 1;
            }
            if !failed && done < count {
                return Err(self.inner.protocol(format!(
                    "a packed capture printed {done} of {count} markers"
                )));
            }
            if failed {
                let message = String::from_utf8_lossy(&output.stderr).trim().to_string();
                if let Some(e) = unreachable(&socket, output.status.code(), &message) {
                    return Err(e);
                }
                if server_gone(&message) || !message.contains("can't find") {
                    return Err(classify(&socket, "capture-pane", message));
                }
                // Pane `next + done` vanished: it stays None; go on after it.
                done += 1;
            }
            next += done;
        }
        Ok(out)
    }
}

impl TmuxBackend for Batched {
    fn socket(&self) -> &str {
        self.inner.socket()
    }

    fn list_panes(&mut self) -> Result<Vec<PaneInfo>, TmuxError> {
        self.inner.list_panes()
    }

    fn poll_panes(&mut self) -> Result<Vec<PaneState>, TmuxError> {
        let socket = self.inner.socket().to_string();
        let list = || {
            let out = run_output(
                self.inner.server(),
                vec![commands::list_panes(POLL_FORMAT)],
                self.inner.opts(),
            )?;
            check(&socket, "list-panes", out)
        };
        let states = format::parse_poll(&list()?)
            .map_err(|m| self.inner.protocol(format!("list-panes output: {m}")))?;
        if !format::unreaped_states(&states) {
            return Ok(states);
        }
        let out = run_output(
            self.inner.server(),
            vec![commands::reap(), commands::list_panes(POLL_FORMAT)],
            self.inner.opts(),
        )?;
        format::parse_poll(&check(&socket, "list-panes", out)?)
            .map_err(|m| self.inner.protocol(format!("list-panes output: {m}")))
    }

    fn capture_panes(&mut self, panes: &[String]) -> Result<Vec<Option<String>>, TmuxError> {
        self.packed(panes, |i| commands::capture(&panes[i], Mode::Argv))
    }

    fn capture_history(
        &mut self,
        panes: &[(String, u32)],
    ) -> Result<Vec<Option<String>>, TmuxError> {
        let ids: Vec<String> = panes.iter().map(|(p, _)| p.clone()).collect();
        self.packed(&ids, |i| {
            commands::capture_history(&panes[i].0, panes[i].1, Mode::Argv)
        })
    }

    fn send_keys(&mut self, pane: &str, keys: &[String]) -> Result<(), TmuxError> {
        self.inner.send_keys(pane, keys)
    }

    fn send_text(&mut self, pane: &str, text: &str) -> Result<(), TmuxError> {
        self.inner.send_text(pane, text)
    }

    fn paste_text(&mut self, pane: &str, text: &str, bracketed: bool) -> Result<(), TmuxError> {
        self.inner.paste_text(pane, text, bracketed)
    }

    fn kill_pane(&mut self, pane: &str) -> Result<(), TmuxError> {
        self.inner.kill_pane(pane)
    }

    fn set_pane_option(&mut self, pane: &str, option: &str, value: &str) -> Result<(), TmuxError> {
        self.inner.set_pane_option(pane, option, value)
    }

    fn take_pane_option(&mut self, pane: &str, option: &str) -> Result<Option<String>, TmuxError> {
        self.inner.take_pane_option(pane, option)
    }

    fn new_window(&mut self, spec: &WindowSpec) -> Result<String, TmuxError> {
        self.inner.new_window(spec)
    }

    fn open_window(&mut self, spec: &WindowSpec) -> Result<NewPane, TmuxError> {
        self.inner.open_window(spec)
    }
}
