//! A [`TmuxBackend`] that runs one tmux process per operation: for CLI commands
//! (`shoal send`, `shoal kill`) when no supervisor holds a control client. Each process
//! makes the server walk every window, so this is never the polling path.

use super::commands::{self, Mode};
use super::format::{self, PANE_FORMAT};
use super::server::run;
use super::{PaneInfo, TmuxBackend, TmuxError, WindowSpec};

/// One-shot tmux commands against one server socket.
#[derive(Debug, Clone)]
pub struct OneShot {
    socket: String,
}

impl OneShot {
    /// Commands will go to `tmux -L socket`.
    pub fn new(socket: impl Into<String>) -> Self {
        Self {
            socket: socket.into(),
        }
    }

    fn protocol(&self, message: String) -> TmuxError {
        TmuxError::Protocol {
            socket: self.socket.clone(),
            message,
        }
    }
}

impl TmuxBackend for OneShot {
    fn socket(&self) -> &str {
        &self.socket
    }

    fn list_panes(&mut self) -> Result<Vec<PaneInfo>, TmuxError> {
        let out = run(&self.socket, vec![commands::list_panes(PANE_FORMAT)])?;
        let panes = format::parse_panes(&out)
            .map_err(|m| self.protocol(format!("list-panes output: {m}")))?;
        if !format::unreaped(&panes) {
            return Ok(panes);
        }
        // `run-shell true` prints nothing, so stdout is the second listing alone.
        let out = run(
            &self.socket,
            vec![commands::reap(), commands::list_panes(PANE_FORMAT)],
        )?;
        format::parse_panes(&out).map_err(|m| self.protocol(format!("list-panes output: {m}")))
    }

    /// One process per pane: in a single process a vanished pane would abort the rest.
    fn capture_panes(&mut self, panes: &[String]) -> Result<Vec<Option<String>>, TmuxError> {
        panes
            .iter()
            .map(
                |pane| match run(&self.socket, vec![commands::capture(pane, Mode::Argv)]) {
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
        run(
            &self.socket,
            vec![commands::send_keys(pane, keys, Mode::Argv)],
        )
        .map(drop)
    }

    fn send_text(&mut self, pane: &str, text: &str) -> Result<(), TmuxError> {
        let cmds = commands::send_text(pane, text, Mode::Argv);
        if cmds.is_empty() {
            return Ok(());
        }
        run(&self.socket, cmds).map(drop)
    }

    /// A pane that is already gone counts as killed.
    fn kill_pane(&mut self, pane: &str) -> Result<(), TmuxError> {
        match run(&self.socket, vec![commands::kill_window(pane, Mode::Argv)]) {
            Err(TmuxError::Command { message, .. }) if message.contains("can't find") => Ok(()),
            other => other.map(drop),
        }
    }

    fn new_window(&mut self, spec: &WindowSpec) -> Result<String, TmuxError> {
        let out = run(&self.socket, vec![commands::new_window(spec, Mode::Argv)?])?;
        let pane = String::from_utf8_lossy(&out).trim().to_string();
        if !pane.starts_with('%') {
            return Err(self.protocol(format!("new-window printed {pane:?}, not a pane id")));
        }
        run(
            &self.socket,
            commands::mark_pane(&pane, spec, Mode::Argv).into(),
        )
        .map(|_| pane)
    }
}
