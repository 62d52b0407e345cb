//! Attaching the operator's terminal to an agent's pane until they detach.

use crate::tmux::{attach_argv, attach_command, inside_tmux, Server};
use anyhow::{bail, Context, Result};
use std::process::{Command, Stdio};

/// Attach the operator's terminal to `pane` on tmux server `server` (through `ssh -t`
/// on its host when remote) until they detach. Inside tmux, the pane opens in a popup
/// of the operator's own tmux instead of nesting clients. The console has given the
/// terminal back before this runs.
pub fn attach(server: &Server, pane: &str) -> Result<()> {
    let socket = server.socket();
    let status = if inside_tmux() {
        let argv = attach_argv(server, pane);
        let line = std::iter::once("env -u TMUX".to_string())
            .chain(argv.iter().map(|a| sh_quote(a)))
            .collect::<Vec<_>>()
            .join(" ");
        Command::new("tmux")
            .args(["display-popup", "-E", "-w", "95%", "-h", "95%", &line])
            .stdin(Stdio::inherit())
            .status()
            .context("cannot run tmux display-popup")?
    } else {
        attach_command(server, pane)
            .stdin(Stdio::inherit())
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit())
            .status()
            .context("cannot run tmux attach")?
    };
    if !status.success() {
        bail!("tmux attach to {pane} on {socket} ended with {status}");
    }
    Ok(())
}

/// Quote one word for `sh -c`.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}
