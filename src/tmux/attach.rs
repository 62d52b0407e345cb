//! Handing the operator's terminal to an agent's pane, and back on detach.

use super::quote::argv_arg;
use super::server::tmux;
use std::process::Command;
use tmux_interface::{AttachSession, SelectWindow};

/// The command that, run in the operator's terminal, shows `pane` and attaches to the
/// fleet server until the operator detaches. The pane's window is selected first so
/// the attach lands on it.
///
/// stdin/stdout/stderr are inherited: tmux needs the terminal. `$TMUX` is kept, so tmux
/// still refuses to attach from inside one of this server's own panes; from inside
/// another tmux the attach nests (see [`inside_tmux`]).
pub fn attach_command(socket: &str, pane: &str) -> Command {
    let target = argv_arg(pane).into_owned();
    tmux(socket)
        .add_command(SelectWindow::new().target_window(target.clone()).build())
        .add_command(AttachSession::new().target_session(target).build())
        .into_command()
}

/// Argument vector of [`attach_command`] (program first), for running it through
/// another program, e.g. a new window of the operator's own tmux.
pub fn attach_argv(socket: &str, pane: &str) -> Vec<String> {
    let cmd = attach_command(socket, pane);
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

/// Whether shoal runs inside a tmux client (`$TMUX` set), where a plain attach nests.
pub fn inside_tmux() -> bool {
    std::env::var_os("TMUX").is_some_and(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_the_window_then_attaches_on_the_fleet_socket() {
        let argv = attach_argv("fleet-a", "%7");
        assert_eq!(argv[0], "tmux");
        let joined = argv[1..].join(" ");
        assert!(joined.contains("-L fleet-a"), "{joined}");
        assert!(joined.contains("-f /dev/null"), "{joined}");
        let select = joined.find("select-window -t %7").expect(&joined);
        let attach = joined.find("attach-session -t %7").expect(&joined);
        assert!(select < attach, "{joined}");
        assert!(joined[select..attach].contains(" ; "), "{joined}");
    }
}
