//! tmux servers shoal did not start (the user's own, for adopted panes): list the panes
//! with what runs in them, mark adopted panes, and a backend that watches them with
//! one-shot commands. No `shoal` session exists there, so no control client attaches,
//! nothing is started, and a kill ends one pane, never the window around it.

use super::commands::{self, Mode};
use super::format::{field, parse_records};
use super::server::run;
use super::{OneShot, PaneInfo, Server, TmuxBackend, TmuxError, WindowSpec};
use super::{AGENT_OPTION, ATTEMPT_OPTION};
use std::path::PathBuf;
use tmux_interface::KillPane;

/// `list-panes -a -F` format for adopting: ids, pid and whether tmux names the window
/// after its command (`automatic-rename`), then the free-text fields.
const FOREIGN_FORMAT: &str = concat!(
    "#{pane_id}\t#{pane_pid}\t#{automatic-rename}\t",
    "#{n:session_name}\t#{n:window_name}\t#{n:pane_current_command}\t",
    "#{n:pane_current_path}\t#{n:@shoal_agent}\t",
    "#{session_name}#{window_name}#{pane_current_command}#{pane_current_path}#{@shoal_agent}"
);

/// One pane on a server, as `shoal adopt` considers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignPane {
    /// Pane id, e.g. `%3`.
    pub pane_id: String,
    /// pid of the pane's first process.
    pub pid: u32,
    /// Session it belongs to.
    pub session: String,
    /// Name of its window.
    pub window_name: String,
    /// tmux names the window after the command running in it (`automatic-rename`): the
    /// name is a process name (`node`, `python3`), not one somebody chose.
    pub window_auto_named: bool,
    /// `#{pane_current_command}`: the foreground process name.
    pub current_command: String,
    /// `#{pane_current_path}`: its working directory.
    pub current_path: PathBuf,
    /// The shoal agent already running there, if any fleet supervises it.
    pub agent: Option<String>,
}

/// Parse `list-panes -a -F FOREIGN_FORMAT` output.
fn parse_foreign(out: &[u8]) -> Result<Vec<ForeignPane>, String> {
    parse_records(out, 3, 5)?
        .into_iter()
        .map(|r| {
            let text = |i: usize| String::from_utf8_lossy(r.sized[i]).into_owned();
            let pane_id = field(r.fixed[0]).to_string();
            let pid = field(r.fixed[1]).parse().map_err(|_| {
                format!(
                    "pane {pane_id}: pid {:?} is not a number",
                    field(r.fixed[1])
                )
            })?;
            Ok(ForeignPane {
                pane_id,
                pid,
                session: text(0),
                window_name: text(1),
                window_auto_named: field(r.fixed[2]) != "0",
                current_command: text(2),
                current_path: PathBuf::from(text(3)),
                agent: Some(text(4)).filter(|a| !a.is_empty()),
            })
        })
        .collect()
}

/// Every pane on the server at `tmux -L socket` (or wherever a [`Server`] runs), with
/// its foreground command.
pub fn list_foreign_panes(server: impl Into<Server>) -> Result<Vec<ForeignPane>, TmuxError> {
    let server = server.into();
    let out = run(&server, vec![commands::list_panes(FOREIGN_FORMAT)])?;
    parse_foreign(&out).map_err(|m| TmuxError::Protocol {
        socket: server.socket().to_string(),
        message: format!("list-panes output: {m}"),
    })
}

/// Tag an adopted pane with its agent and attempt, as shoal's own panes are, so no
/// fleet adopts it twice.
pub fn mark_adopted(socket: &str, pane: &str, agent: &str, attempt: u32) -> Result<(), TmuxError> {
    run(
        &Server::new(socket),
        vec![
            commands::set_pane_option(pane, AGENT_OPTION, agent, Mode::Argv),
            commands::set_pane_option(pane, ATTEMPT_OPTION, &attempt.to_string(), Mode::Argv),
        ],
    )
    .map(drop)
}

/// A [`TmuxBackend`] for a server shoal did not create.
#[derive(Debug, Clone)]
pub struct ForeignBackend {
    inner: OneShot,
}

impl ForeignBackend {
    /// Commands go to `tmux -L socket`; a server that is not running is `ServerDown`
    /// (it is never started).
    pub fn connect(server: impl Into<Server>) -> Result<ForeignBackend, TmuxError> {
        let server = server.into();
        if !server.is_running() {
            return Err(TmuxError::ServerDown {
                socket: server.socket().to_string(),
            });
        }
        Ok(ForeignBackend {
            inner: OneShot::new(server),
        })
    }
}

impl TmuxBackend for ForeignBackend {
    fn socket(&self) -> &str {
        self.inner.socket()
    }

    fn list_panes(&mut self) -> Result<Vec<PaneInfo>, TmuxError> {
        self.inner.list_panes()
    }

    fn capture_panes(&mut self, panes: &[String]) -> Result<Vec<Option<String>>, TmuxError> {
        self.inner.capture_panes(panes)
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

    /// Only the pane: the user's window may hold other panes. A pane already gone
    /// counts as killed.
    fn kill_pane(&mut self, pane: &str) -> Result<(), TmuxError> {
        let cmd = KillPane::new().target_pane(pane.to_string()).build();
        match run(self.inner.server(), vec![cmd]) {
            Err(TmuxError::Command { message, .. }) if message.contains("can't find") => Ok(()),
            other => other.map(drop),
        }
    }

    fn new_window(&mut self, spec: &WindowSpec) -> Result<String, TmuxError> {
        Err(TmuxError::Command {
            command: "new-window".into(),
            message: format!(
                "shoal does not start {} on tmux server {}, which it did not create; agents start on the fleet's own servers",
                spec.agent,
                self.inner.socket()
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_panes_with_any_bytes_in_their_names() {
        let rec = |id: &str, pid: &str, texts: [&str; 5]| {
            let auto = if texts[1] == "w" { "1" } else { "0" };
            let mut s = format!("{id}\t{pid}\t{auto}\t");
            for t in &texts {
                s.push_str(&format!("{}\t", t.len()));
            }
            for t in &texts {
                s.push_str(t);
            }
            s.push('\n');
            s
        };
        let out = rec("%1", "100", ["main", "ed\tit", "claude", "/home/u", ""])
            + &rec("%2", "200", ["s", "w", "bash", "/tmp", "lead"]);
        let panes = parse_foreign(out.as_bytes()).unwrap();
        assert_eq!(panes.len(), 2);
        assert_eq!(panes[0].window_name, "ed\tit");
        assert_eq!(panes[0].current_command, "claude");
        assert_eq!(panes[0].agent, None);
        assert!(!panes[0].window_auto_named);
        assert!(panes[1].window_auto_named);
        assert_eq!(panes[1].pid, 200);
        assert_eq!(panes[1].agent.as_deref(), Some("lead"));
        assert!(parse_foreign(b"%1\tx\t1\t0\t0\t0\t0\t0\t\n").is_err());
    }
}
