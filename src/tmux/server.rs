//! A fleet's tmux server: start it with the shoal session, probe it, kill it, and run
//! one-shot tmux commands against it with tmux's messages kept off the terminal.

use super::ssh::SshTransport;
use super::{TmuxError, KEEPER_WINDOW, SESSION};
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tmux_interface::{
    HasSession, KillServer, ListSessions, NewSession, SetOption, StdIO, Tmux, TmuxCommand,
};

/// Scrollback kept per pane: enough to read back an agent's recent work, small enough
/// for hundreds of panes on one server.
pub const HISTORY_LIMIT: u32 = 10_000;

/// Runs in the keeper window so the session outlives its agents; `tail` takes the same
/// syntax in every shell tmux may use (sh, bash, zsh, fish).
const KEEPER_COMMAND: &str = "tail -f /dev/null";

/// A fleet's tmux server, addressed by its socket name (`tmux -L SOCKET`), with the
/// ssh transport of its host when it runs on another machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    socket: String,
    /// How its host is reached; `None` for a local server, or for a remote one whose
    /// host is not declared (every command then fails saying so).
    remote: Option<Arc<SshTransport>>,
}

impl From<&str> for Server {
    fn from(socket: &str) -> Server {
        Server::new(socket)
    }
}

impl From<String> for Server {
    fn from(socket: String) -> Server {
        Server::new(socket)
    }
}

impl From<&String> for Server {
    fn from(socket: &String) -> Server {
        Server::new(socket.as_str())
    }
}

impl From<&Server> for Server {
    fn from(server: &Server) -> Server {
        server.clone()
    }
}

impl Server {
    /// A handle on the server at `tmux -L socket` on this machine; nothing is started
    /// yet. A `HOST:SOCKET` string given here knows no transport: see
    /// [`super::ssh::Hosts::server`].
    pub fn new(socket: impl Into<String>) -> Self {
        Self {
            socket: socket.into(),
            remote: None,
        }
    }

    /// The server `HOST:SOCKET` on another machine, reached through `transport`
    /// (`None`: the host is not declared, and every command fails saying so).
    pub fn remote(server: impl Into<String>, transport: Option<Arc<SshTransport>>) -> Self {
        Self {
            socket: server.into(),
            remote: transport,
        }
    }

    /// The server string: the socket name, `HOST:SOCKET` for a remote server.
    pub fn socket(&self) -> &str {
        &self.socket
    }

    /// The transport of its host, for a remote server whose host is declared.
    pub fn transport(&self) -> Option<&Arc<SshTransport>> {
        self.remote.as_ref()
    }

    /// How commands reach the server: `None` runs them here, else through the host's
    /// ssh; an undeclared host is an error.
    pub(crate) fn via(&self) -> Result<Option<&SshTransport>, TmuxError> {
        match (
            crate::fleet::host::split_server(&self.socket).0,
            &self.remote,
        ) {
            (None, _) => Ok(None),
            (Some(_), Some(t)) => Ok(Some(t)),
            (Some(_), None) => Err(super::ssh::undeclared(&self.socket)),
        }
    }

    /// Whether a server answers on the socket. Never starts one.
    pub fn is_running(&self) -> bool {
        self.running().unwrap_or(false)
    }

    /// Whether a server answers on the socket, or why that cannot be known: a remote
    /// host that ssh cannot reach says nothing about its server.
    pub fn running(&self) -> Result<bool, TmuxError> {
        // An undeclared host says nothing about its server either.
        self.via()?;
        match run(
            self,
            vec![ListSessions::new().format("#{session_name}").build()],
        ) {
            Ok(_) => Ok(true),
            Err(e @ TmuxError::Unreachable { .. }) => Err(e),
            Err(_) => Ok(false),
        }
    }

    /// Start the server and the `shoal` session if missing; safe to call again.
    ///
    /// The session holds a keeper window so it outlives every agent. Global options:
    /// `remain-on-exit on` (a dead agent's pane stays, with its exit status),
    /// `default-size WIDTHxHEIGHT` (panes are sized with no client attached) and a
    /// [`HISTORY_LIMIT`] scrollback. `window-size manual` is never set: tmux 3.3a crashes
    /// on `new-window -d` with it. Options are applied on every call.
    pub fn ensure_started(&self, width: u16, height: u16) -> Result<(), TmuxError> {
        if width == 0 || height == 0 {
            return Err(TmuxError::Command {
                command: "new-session".into(),
                message: format!("pane size {width}x{height} is empty; use e.g. 200x50"),
            });
        }
        let global = |option: &'static str, value: String| {
            SetOption::new()
                .global()
                .option(option)
                .value(value)
                .build()
        };
        let mut new_session = NewSession::new()
            .detached()
            .session_name(SESSION)
            .window_name(KEEPER_WINDOW)
            .width(width.into())
            .height(height.into())
            .build();
        new_session.push_param("--");
        new_session.push_param(KEEPER_COMMAND);
        // Options first: one list, so the server started by new-session never runs a
        // pane without them; a second caller's new-session fails last, harmlessly.
        let mut cmds = vec![
            global("remain-on-exit", "on".into()),
            global("default-size", format!("{width}x{height}")),
            global("history-limit", HISTORY_LIMIT.to_string()),
        ];
        if matches!(self.via(), Ok(Some(_))) {
            // A server started over ssh would hand the session's SSH_CLIENT to every
            // pane, and bash then reads ~/.bashrc for each agent's `bash -c` as if ssh
            // had run it; panes here get no such thing.
            for var in ["SSH_CLIENT", "SSH2_CLIENT"] {
                let mut unset = TmuxCommand::new();
                unset.name("set-environment");
                for arg in ["-g", "-u", var] {
                    unset.push_param(arg);
                }
                cmds.push(unset);
            }
        }
        cmds.push(new_session);
        match run(self, cmds) {
            Ok(_) => Ok(()),
            Err(TmuxError::Command { message, .. }) if message.contains("duplicate session") => {
                Ok(())
            }
            Err(e) => Err(e),
        }?;
        // Another process may have created the server without the session meanwhile.
        run(
            self,
            vec![HasSession::new().target_session(SESSION).build()],
        )
        .map(drop)
    }

    /// Kill the server and every agent on it; a server already gone is fine.
    pub fn kill(&self) -> Result<(), TmuxError> {
        match run(self, vec![KillServer::new().build()]) {
            Ok(_) | Err(TmuxError::ServerDown { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The installed tmux version (e.g. `3.3a`), or `NotInstalled`.
    pub fn check_installed() -> Result<String, TmuxError> {
        let mut cmd = Tmux::new()
            .version()
            .stdin(Some(StdIO::Null))
            .stdout(Some(StdIO::Piped))
            .stderr(Some(StdIO::Piped))
            .into_command();
        let out = cmd.output().map_err(spawn_error)?;
        let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
        match text.strip_prefix("tmux ") {
            Some(version) if out.status.success() => Ok(version.to_string()),
            _ => Err(TmuxError::NotInstalled(format!(
                "`tmux -V` answered {text:?} (status {}); install tmux 3.3a or newer",
                out.status
            ))),
        }
    }
}

/// The base `tmux -L SOCKET -f /dev/null -u` invocation. `-f /dev/null` keeps the
/// user's config from changing behaviour; `-u` keeps UTF-8 whatever the locale says.
/// A remote server's string (`HOST:SOCKET`) names the socket on its host.
pub(crate) fn tmux(socket: &str) -> Tmux<'static> {
    Tmux::new()
        .socket_name(crate::fleet::host::split_server(socket).1.to_string())
        .file("/dev/null")
        .force_utf8()
}

/// Detach the process from any tmux the caller runs inside: every shoal command names
/// its socket and targets, and an inherited `$TMUX` must not leak into a fleet server.
pub(crate) fn isolate(cmd: &mut Command) {
    cmd.env_remove("TMUX").env_remove("TMUX_PANE");
}

/// How one tmux client process is run.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RunOpts<'a> {
    /// The client's own `PATH`. A client that is not attached hands its `PATH` to every
    /// pane it starts, over the pane's `-e PATH=…` (tmux 3.3a `spawn.c`), so a fleet
    /// file's `PATH` reaches the agent only if the client carries it too.
    pub path: Option<&'a str>,
    /// Kill the client and fail when it has not finished by then: a wedged server
    /// must not hang the caller.
    pub deadline: Option<Duration>,
}

/// Run commands in one tmux process (joined with `;`) and return its stdout.
pub(crate) fn run(server: &Server, cmds: Vec<TmuxCommand<'static>>) -> Result<Vec<u8>, TmuxError> {
    run_with(server, cmds, RunOpts::default())
}

/// [`run`], with the client's `PATH` and a deadline.
pub(crate) fn run_with(
    server: &Server,
    cmds: Vec<TmuxCommand<'static>>,
    opts: RunOpts<'_>,
) -> Result<Vec<u8>, TmuxError> {
    let name = cmds
        .first()
        .map(super::commands::name_of)
        .unwrap_or_default();
    let out = run_output(server, cmds, opts)?;
    check(server.socket(), &name, out)
}

/// Run commands in one tmux process and return what it printed and its status, even
/// when a command failed (tmux stops at the first failure; the output before it is kept).
pub(crate) fn run_output(
    server: &Server,
    cmds: Vec<TmuxCommand<'static>>,
    opts: RunOpts<'_>,
) -> Result<Output, TmuxError> {
    let socket = server.socket();
    let name = cmds
        .first()
        .map(super::commands::name_of)
        .unwrap_or_default();
    let mut tmux = tmux(socket);
    for cmd in cmds {
        tmux = tmux.add_command(cmd);
    }
    let mut cmd = tmux
        .stdin(Some(StdIO::Null))
        .stdout(Some(StdIO::Piped))
        .stderr(Some(StdIO::Piped))
        .into_command();
    if let Some(t) = server.via()? {
        // The remote client carries the PATH too (through `env` on the host): the
        // remote login's would otherwise replace the pane's `-e PATH=…`.
        cmd = match opts.path {
            Some(path) => t.wrap_with_path(&cmd, path),
            None => t.wrap(&cmd),
        };
        cmd.stdin(Stdio::null());
    } else if let Some(path) = opts.path {
        // A changed PATH would also change where `tmux` itself is looked up.
        let mut with_path = Command::new(tmux_binary());
        with_path.args(cmd.get_args()).env("PATH", path);
        with_path.stdin(Stdio::null());
        cmd = with_path;
    }
    isolate(&mut cmd);
    match opts.deadline {
        None => {
            cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
            cmd.output().map_err(spawn_error)
        }
        Some(limit) => output_within(socket, &name, cmd, limit),
    }
}

/// Run commands in as many tmux processes as their arguments need: one client takes
/// at most 16 KiB of arguments, so long text is spread over several.
pub(crate) fn run_grouped(
    server: &Server,
    cmds: Vec<TmuxCommand<'static>>,
    opts: RunOpts<'_>,
) -> Result<Vec<u8>, TmuxError> {
    let mut out = Vec::new();
    for group in argv_groups(cmds) {
        out.extend(run_with(server, group, opts)?);
    }
    Ok(out)
}

/// Split commands into groups whose arguments fit one client's message.
pub(crate) fn argv_groups(cmds: Vec<TmuxCommand<'static>>) -> Vec<Vec<TmuxCommand<'static>>> {
    let mut groups = Vec::new();
    let mut group: Vec<TmuxCommand<'static>> = Vec::new();
    let mut bytes = 0;
    for cmd in cmds {
        let size: usize = cmd.to_vec().iter().map(|a| a.len() + 1).sum();
        if !group.is_empty() && bytes + size > super::text::ARGV_BUDGET {
            groups.push(std::mem::take(&mut group));
            bytes = 0;
        }
        bytes += size;
        group.push(cmd);
    }
    if !group.is_empty() {
        groups.push(group);
    }
    groups
}

/// The `tmux` binary as the caller's own `PATH` finds it.
fn tmux_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            std::env::var_os("PATH")
                .iter()
                .flat_map(std::env::split_paths)
                .map(|dir| dir.join("tmux"))
                .find(|p| p.is_file())
                .unwrap_or_else(|| PathBuf::from("tmux"))
        })
        .clone()
}

/// `Command::output` with a deadline: the pipes are drained on threads so a chatty
/// client cannot block, and a client still running at the deadline is killed.
fn output_within(
    socket: &str,
    name: &str,
    mut cmd: Command,
    limit: Duration,
) -> Result<Output, TmuxError> {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(spawn_error)?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(TmuxError::Protocol {
                socket: socket.to_string(),
                message: format!(
                    "tmux {name} did not finish within {limit:?}; the server may be wedged \
                     (check it with `tmux -L {socket} ls`)"
                ),
            });
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    Ok(Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

pub(crate) fn check(socket: &str, command: &str, out: Output) -> Result<Vec<u8>, TmuxError> {
    if out.status.success() {
        return Ok(out.stdout);
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    if let Some(e) = unreachable(socket, out.status.code(), &stderr) {
        return Err(e);
    }
    let message = stderr.trim().replace('\n', "; ");
    Err(classify(socket, command, message))
}

/// The error of a remote server whose ssh failed (not tmux over a working connection).
pub(crate) fn unreachable(socket: &str, status: Option<i32>, stderr: &str) -> Option<TmuxError> {
    let (Some(host), _) = crate::fleet::host::split_server(socket) else {
        return None;
    };
    super::ssh::ssh_failed(status, stderr).then(|| TmuxError::Unreachable {
        host: host.to_string(),
        message: super::ssh::explain(host, stderr),
    })
}

/// Turn tmux's error text into the error an operator can act on.
pub(crate) fn classify(socket: &str, command: &str, message: String) -> TmuxError {
    if server_gone(&message) {
        TmuxError::ServerDown {
            socket: socket.to_string(),
        }
    } else {
        TmuxError::Command {
            command: command.to_string(),
            message: if message.is_empty() {
                "tmux exited with an error and no message".into()
            } else {
                message
            },
        }
    }
}

/// tmux's wording when nothing listens on the socket (or the socket file is stale).
pub(crate) fn server_gone(message: &str) -> bool {
    message.contains("no server running on")
        || message.contains("error connecting to")
        || message.contains("server exited unexpectedly")
}

pub(crate) fn spawn_error(e: std::io::Error) -> TmuxError {
    if e.kind() == std::io::ErrorKind::NotFound {
        TmuxError::NotInstalled(e.to_string())
    } else {
        TmuxError::Io(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_tmux_messages() {
        let down = classify(
            "s",
            "list-panes",
            "no server running on /tmp/tmux-0/s".into(),
        );
        assert!(matches!(down, TmuxError::ServerDown { socket } if socket == "s"));
        let refused = classify(
            "s",
            "list-panes",
            "error connecting to /tmp/tmux-0/s (Connection refused)".into(),
        );
        assert!(matches!(refused, TmuxError::ServerDown { .. }));
        let other = classify("s", "send-keys", "can't find pane: %9".into());
        assert_eq!(
            other.to_string(),
            "tmux send-keys failed: can't find pane: %9"
        );
    }

    #[test]
    fn a_missing_binary_is_not_installed() {
        let e = Command::new("/nonexistent/shoal-no-tmux")
            .output()
            .unwrap_err();
        let err = spawn_error(e);
        assert!(matches!(err, TmuxError::NotInstalled(_)), "{err:?}");
        assert!(err.to_string().contains("install tmux"), "{err}");
    }
}
