//! A [`TmuxBackend`] that runs one tmux process per operation: for CLI commands
//! (`shoal send`, `shoal kill`) when no supervisor holds a control client. Each process
//! makes the server walk every window, so this is never the polling path.

use super::commands::{self, Mode};
use super::format::{self, PANE_FORMAT};
use super::server::{run_grouped, run_with, RunOpts, Server};
use super::{NewPane, PaneInfo, TmuxBackend, TmuxError, WindowSpec};
use std::time::Duration;
use tmux_interface::TmuxCommand;

/// One-shot tmux commands against one server socket.
#[derive(Debug, Clone)]
pub struct OneShot {
    server: Server,
    deadline: Option<Duration>,
}

impl OneShot {
    /// Commands will go to `tmux -L socket` (a socket name: this machine; a
    /// [`Server`]: wherever it runs).
    pub fn new(server: impl Into<Server>) -> Self {
        Self {
            server: server.into(),
            deadline: None,
        }
    }

    /// Like [`OneShot::new`], but a tmux process that has not finished within
    /// `deadline` is killed and the operation fails (a wedged server hangs nobody).
    pub fn with_deadline(server: impl Into<Server>, deadline: Duration) -> Self {
        Self {
            server: server.into(),
            deadline: Some(deadline),
        }
    }

    /// The server the commands go to.
    pub fn server(&self) -> &Server {
        &self.server
    }

    pub(crate) fn opts(&self) -> RunOpts<'static> {
        RunOpts {
            path: None,
            deadline: self.deadline,
        }
    }

    fn run(&self, cmds: Vec<TmuxCommand<'static>>) -> Result<Vec<u8>, TmuxError> {
        run_with(&self.server, cmds, self.opts())
    }

    /// A pane's whole scrollback and screen with colours (`capture-pane -e -S - -E -`).
    pub fn capture_scrollback(&self, pane: &str) -> Result<String, TmuxError> {
        let out = self.run(vec![commands::capture_all(pane, Mode::Argv)])?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    pub(crate) fn protocol(&self, message: String) -> TmuxError {
        TmuxError::Protocol {
            socket: self.server.socket().to_string(),
            message,
        }
    }
}

/// tmux's terse "command too long", said with what to do about it.
fn too_long(e: TmuxError) -> TmuxError {
    match e {
        TmuxError::Command { command, message } if message.contains("command too long") => {
            TmuxError::Command {
                command,
                message: "the agent's command line and environment are longer than the \
                          16 KiB a tmux client can pass; move the command into a script \
                          and run that"
                    .into(),
            }
        }
        other => other,
    }
}

impl TmuxBackend for OneShot {
    fn socket(&self) -> &str {
        self.server.socket()
    }

    fn list_panes(&mut self) -> Result<Vec<PaneInfo>, TmuxError> {
        let out = self.run(vec![commands::list_panes(PANE_FORMAT)])?;
        let panes = format::parse_panes(&out)
            .map_err(|m| self.protocol(format!("list-panes output: {m}")))?;
        if !format::unreaped(&panes) {
            return Ok(panes);
        }
        // `run-shell true` prints nothing, so stdout is the second listing alone.
        let out = self.run(vec![commands::reap(), commands::list_panes(PANE_FORMAT)])?;
        format::parse_panes(&out).map_err(|m| self.protocol(format!("list-panes output: {m}")))
    }

    /// One process per pane: in a single process a vanished pane would abort the rest.
    fn capture_panes(&mut self, panes: &[String]) -> Result<Vec<Option<String>>, TmuxError> {
        panes
            .iter()
            .map(
                |pane| match self.run(vec![commands::capture(pane, Mode::Argv)]) {
                    Ok(out) => Ok(Some(String::from_utf8_lossy(&out).into_owned())),
                    Err(TmuxError::Command { .. }) => Ok(None),
                    Err(e) => Err(e),
                },
            )
            .collect()
    }

    fn send_keys(&mut self, pane: &str, keys: &[String]) -> Result<(), TmuxError> {
        if keys.is_empty() {
            return Ok(());
        }
        self.run(vec![commands::send_keys(pane, keys, Mode::Argv)])
            .map(drop)
    }

    fn send_text(&mut self, pane: &str, text: &str) -> Result<(), TmuxError> {
        let cmds = commands::send_text(pane, text, Mode::Argv)?;
        run_grouped(&self.server, cmds, self.opts()).map(drop)
    }

    fn paste_text(&mut self, pane: &str, text: &str, bracketed: bool) -> Result<(), TmuxError> {
        let buffer = commands::paste_buffer_name();
        let cmds = commands::paste_text(pane, text, bracketed, &buffer, Mode::Argv)?;
        let result = run_grouped(&self.server, cmds, self.opts()).map(drop);
        if result.is_err() {
            let _ = self.run(vec![commands::delete_buffer(&buffer, Mode::Argv)]);
        }
        result
    }

    /// A pane that is already gone counts as killed.
    fn kill_pane(&mut self, pane: &str) -> Result<(), TmuxError> {
        match self.run(vec![commands::kill_window(pane, Mode::Argv)]) {
            Err(TmuxError::Command { message, .. }) if message.contains("can't find") => Ok(()),
            other => other.map(drop),
        }
    }

    fn set_pane_option(&mut self, pane: &str, option: &str, value: &str) -> Result<(), TmuxError> {
        self.run(vec![commands::set_pane_option(
            pane,
            option,
            value,
            Mode::Argv,
        )])
        .map(drop)
    }

    fn take_pane_option(&mut self, pane: &str, option: &str) -> Result<Option<String>, TmuxError> {
        let out = self.run(vec![
            commands::show_pane_option(pane, option, Mode::Argv),
            commands::unset_pane_option(pane, option, Mode::Argv),
        ])?;
        // tmux ends the value with one newline of its own.
        let text = String::from_utf8_lossy(&out);
        let value = text.strip_suffix('\n').unwrap_or(&text);
        Ok(Some(value.to_string()).filter(|v| !v.is_empty()))
    }

    fn new_window(&mut self, spec: &WindowSpec) -> Result<String, TmuxError> {
        self.open_window(spec).map(|p| p.pane_id)
    }

    /// The client runs with the spec's `PATH`, if it sets one: tmux gives a pane
    /// started by an unattached client that client's `PATH`, whatever `-e` says.
    fn open_window(&mut self, spec: &WindowSpec) -> Result<NewPane, TmuxError> {
        let path = spec
            .env
            .iter()
            .rev()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| v.as_str());
        let opts = RunOpts {
            path,
            ..self.opts()
        };
        let cmd = commands::new_window(spec, Mode::Argv)?;
        let out = run_with(&self.server, vec![cmd], opts).map_err(too_long)?;
        let pane = commands::parse_new_pane(&String::from_utf8_lossy(&out))
            .map_err(|m| self.protocol(m))?;
        self.run(commands::mark_pane(&pane.pane_id, spec, Mode::Argv).into())
            .map(|_| pane)
    }
}
