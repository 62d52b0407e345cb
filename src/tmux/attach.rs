//! Handing the operator's terminal to an agent's pane, and back on detach.

use super::quote::argv_arg;
use super::server::{tmux, Server};
use std::process::Command;
use tmux_interface::{AttachSession, DisplayMessage, SelectWindow};

/// What the attached screen says first, for five seconds: the way back. shoal's servers
/// run without the operator's tmux config, so the prefix is tmux's default.
pub const COME_BACK: &str = "shoal: press C-b then d to detach and come back";

/// The command that, run in the operator's terminal, shows `pane` and attaches to the
/// fleet server until the operator detaches. The pane's window is selected first so
/// the attach lands on it.
///
/// stdin/stdout/stderr are inherited: tmux needs the terminal. `$TMUX` is kept, so tmux
/// still refuses to attach from inside one of this server's own panes; from inside
/// another tmux the attach nests (see [`inside_tmux`]).
///
/// A remote server's attach runs through `ssh -t` on its host; an undeclared host gives
/// a command that fails saying so, never an attach to a local server of the same name.
pub fn attach_command(server: impl Into<Server>, pane: &str) -> Command {
    let server = server.into();
    let target = argv_arg(pane).into_owned();
    let local = tmux(server.socket())
        .add_command(SelectWindow::new().target_window(target.clone()).build())
        .add_command(AttachSession::new().target_session(target).build())
        .add_command(DisplayMessage::new().delay(5000).message(COME_BACK).build())
        .into_command();
    match server.via() {
        Ok(None) => local,
        Ok(Some(t)) => t.wrap_tty(&local),
        Err(e) => {
            let mut fail = Command::new("sh");
            fail.args([
                "-c",
                "echo \"$1\" >&2; exit 1",
                "shoal-attach",
                &e.to_string(),
            ]);
            fail
        }
    }
}

/// Argument vector of [`attach_command`] (program first), for running it through
/// another program, e.g. a new window of the operator's own tmux.
pub fn attach_argv(server: impl Into<Server>, pane: &str) -> Vec<String> {
    let cmd = attach_command(server, pane);
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
        let said = joined.find("display-message -d 5000").expect(&joined);
        assert!(attach < said, "said on the attached client: {joined}");
        assert!(joined.ends_with(COME_BACK), "{joined}");
        assert!(!COME_BACK.contains('%') && !COME_BACK.contains('#'));
    }

    #[test]
    fn a_remote_pane_is_attached_through_ssh_with_a_terminal() {
        let spec = crate::fleet::host::HostSpec {
            name: "attach-test-host".into(),
            ssh: "me@far".into(),
            port: None,
            identity: None,
            ssh_options: Vec::new(),
            shoal_home: None,
        };
        let hosts = super::super::ssh::Hosts::new(&[spec], std::path::Path::new("/d"));
        let argv = attach_argv(hosts.server("attach-test-host:shoal-x"), "%7");
        let joined = argv.join(" ");
        assert!(joined.contains(" -t -o BatchMode=yes "), "{joined}");
        assert!(
            joined.contains("me@far -- tmux -u -f /dev/null -L shoal-x select-window -t %7 ';' attach-session -t %7"),
            "{joined}"
        );
        let unknown = attach_argv(hosts.server("nowhere:shoal-x"), "%7").join(" ");
        assert!(unknown.starts_with("sh -c"), "{unknown}");
        assert!(unknown.contains("host `nowhere`"), "{unknown}");
    }
}
