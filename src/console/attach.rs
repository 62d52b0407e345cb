//! Attaching the operator's terminal to an agent's pane until they detach.

use crate::tmux::{attach_argv, attach_command, inside_tmux, Server};
use anyhow::{bail, Context, Result};
use std::io::Write;
use std::process::{Command, Stdio};

/// Attach the operator's terminal to `pane` on tmux server `server` (through `ssh -t`
/// on its host when remote) until they detach. Inside tmux, the pane opens in a popup
/// of the operator's own tmux instead of nesting clients. The console has given the
/// terminal back before this runs. tmux's own complaints (`can't find pane`) are kept
/// off the terminal and returned as the error.
pub fn attach(server: &Server, pane: &str) -> Result<()> {
    let socket = server.socket();
    let out = if inside_tmux() {
        let argv = attach_argv(server, pane);
        let line = std::iter::once("env -u TMUX".to_string())
            .chain(argv.iter().map(|a| sh_quote(a)))
            .collect::<Vec<_>>()
            .join(" ");
        Command::new("tmux")
            .args(["display-popup", "-E", "-w", "95%", "-h", "95%", &line])
            .stdin(Stdio::inherit())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .context("cannot run tmux display-popup")?
    } else {
        // tmux prints `[detached (from session …)]` on the main screen as it leaves, where
        // the operator would find it after quitting: the cursor is saved before and the
        // screen from there down cleared after.
        let mut out = std::io::stdout();
        let _ = out.write_all(b"\x1b7").and_then(|()| out.flush());
        let done = attach_command(server, pane)
            .stdin(Stdio::inherit())
            .stdout(Stdio::inherit())
            .stderr(Stdio::piped())
            .output()
            .context("cannot run tmux attach");
        let _ = out.write_all(b"\x1b8\x1b[J").and_then(|()| out.flush());
        done?
    };
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stderr);
        let said = said.trim();
        if said.is_empty() {
            bail!(
                "tmux attach to {pane} on {socket} ended with {}",
                out.status
            );
        }
        bail!("tmux: {}", said.replace('\n', "; "));
    }
    Ok(())
}

/// Quote one word for `sh -c`.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}
