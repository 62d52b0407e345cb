//! Talking to tmux: server lifecycle and one-shot commands (through `tmux_interface`),
//! and a control-mode client for the polling hot path (one round trip per tick).
//!
//! Everything reaches tmux as an argument vector; shoal never builds a shell string.
//! The control client sends that vector as one command line with every element quoted
//! for tmux's own parser (see [`quote`]).

use std::path::PathBuf;
use thiserror::Error;

mod attach;
mod batched;
mod commands;
mod control;
pub mod foreign;
pub mod format;
mod oneshot;
pub mod protocol;
pub mod quote;
mod server;
pub mod sockets;
pub mod ssh;
pub mod text;
mod watched;

pub use self::format::POLL_FORMAT;
pub use attach::{attach_argv, attach_command, inside_tmux, COME_BACK};
pub use batched::Batched;
pub use control::{ControlClient, DEFAULT_TIMEOUT};
pub use foreign::{list_foreign_panes, mark_adopted, ForeignBackend, ForeignPane};
pub use oneshot::OneShot;
pub use protocol::Reply;
pub use server::{Server, HISTORY_LIMIT};
pub use text::check_typed;
pub use watched::{WatchPolicy, Watched};

/// Session that holds every agent window on a fleet's tmux server.
pub const SESSION: &str = "shoal";
/// Name of the placeholder window that keeps the session alive when no agent runs.
pub const KEEPER_WINDOW: &str = crate::fleet::file::RESERVED_NAME;
/// Pane option naming the agent that runs in the pane.
pub const AGENT_OPTION: &str = "@shoal_agent";
/// Pane option holding the attempt number of that agent.
pub const ATTEMPT_OPTION: &str = "@shoal_attempt";
/// Pane option holding a mark unique to one attempt, set at its start: a pane whose
/// id a restarted server gave to another process does not carry it.
pub const MARK_OPTION: &str = "@shoal_mark";

/// What went wrong talking to tmux.
#[derive(Debug, Error)]
pub enum TmuxError {
    /// The tmux binary is not installed or not on PATH.
    #[error(
        "tmux is not installed or not on PATH ({0}); install tmux (e.g. `apt-get install tmux`)"
    )]
    NotInstalled(String),
    /// No server listens on the socket.
    #[error("the tmux server `{socket}` is not running; start the fleet with `shoal up`")]
    ServerDown { socket: String },
    /// tmux answered a command with an error.
    #[error("tmux {command} failed: {message}")]
    Command { command: String, message: String },
    /// The control-mode connection broke or answered out of order.
    #[error("tmux control client on `{socket}`: {message}")]
    Protocol { socket: String, message: String },
    /// ssh could not reach the host of a remote server (or the host refused us): the
    /// server's agents are not known to be dead, only out of sight.
    #[error("host `{host}` is unreachable: {message}")]
    Unreachable { host: String, message: String },
    /// Spawning or talking to the tmux process failed.
    #[error("tmux i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// One pane as `list-panes -a` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaneInfo {
    /// Pane id, e.g. `%3`. Unique for the server's lifetime.
    pub pane_id: String,
    /// Window id, e.g. `@2`.
    pub window_id: String,
    /// Window name.
    pub window_name: String,
    /// pid of the pane's first process.
    pub pid: u32,
    /// `#{pane_dead}`: the process exited (panes are kept with remain-on-exit).
    pub dead: bool,
    /// `#{pane_dead_status}` once dead, when tmux knows it; a pane killed by signal N
    /// reports `128 + N`, as a shell would.
    pub dead_status: Option<i32>,
    /// Pane size in cells.
    pub width: u16,
    /// Pane size in cells.
    pub height: u16,
    /// `#{window_activity}`: unix seconds of the window's last output.
    pub window_activity: i64,
    /// `#{history_size}`: lines scrolled off the top of the screen and kept.
    pub history_size: u64,
    /// `@shoal_agent` pane option, when shoal started the pane.
    pub agent: Option<String>,
    /// `@shoal_attempt` pane option.
    pub attempt: Option<u32>,
    /// `@shoal_mark` pane option: the attempt's own mark.
    pub mark: Option<String>,
    /// `#{pane_title}`: what the program in the pane last set as its title.
    pub title: String,
}

/// What a supervisor tick needs to know of a pane: the cheap subset of [`PaneInfo`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaneState {
    /// Pane id, e.g. `%3`.
    pub pane_id: String,
    /// The process exited.
    pub dead: bool,
    /// Exit status once dead (128 + signal for a signalled process), when known.
    pub dead_status: Option<i32>,
    /// Unix seconds of the window's last output.
    pub window_activity: i64,
    /// Lines scrolled off the top of the screen and kept.
    pub history_size: u64,
    /// Pane height in cells.
    pub height: u16,
    /// pid of the pane's first process.
    pub pid: u32,
    /// `@shoal_mark` pane option.
    pub mark: Option<String>,
    /// Bytes waiting in the pane's `@shoal_req` option: requests an agent on another
    /// host sent back through its own pane (see [`crate::fleet::pane_request`]).
    pub request_len: usize,
    /// `#{pane_title}`: what the program in the pane last set as its title (tmux starts
    /// it as the host name).
    pub title: String,
}

impl From<PaneInfo> for PaneState {
    fn from(p: PaneInfo) -> Self {
        PaneState {
            pane_id: p.pane_id,
            dead: p.dead,
            dead_status: p.dead_status,
            window_activity: p.window_activity,
            history_size: p.history_size,
            height: p.height,
            pid: p.pid,
            mark: p.mark,
            request_len: 0,
            title: p.title,
        }
    }
}

/// How to start one agent in a new window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowSpec {
    /// Window name (the agent name).
    pub name: String,
    /// Command line, run by the pane's shell exactly as written by the user.
    pub cmd: String,
    /// Start directory.
    pub cwd: Option<PathBuf>,
    /// Extra environment for the pane.
    pub env: Vec<(String, String)>,
    /// Agent name stored in the `@shoal_agent` pane option.
    pub agent: String,
    /// Attempt number stored in the `@shoal_attempt` pane option.
    pub attempt: u32,
}

/// A window just started: its pane, and the pid of the pane's first process (which
/// tmux makes a session and process-group leader; see [`crate::process`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPane {
    /// Pane id, e.g. `%3`.
    pub pane_id: String,
    /// `#{pane_pid}` as `new-window` printed it.
    pub pid: u32,
}

/// The operations the supervisor needs from one tmux server. Implemented by the
/// control-mode client (hot path), the one-shot client (CLI without a supervisor) and
/// by scripted fakes in tests.
pub trait TmuxBackend {
    /// Socket name of the server.
    fn socket(&self) -> &str;
    /// Every pane on the server.
    fn list_panes(&mut self) -> Result<Vec<PaneInfo>, TmuxError>;
    /// Every pane on the server, with only what a supervisor tick reads. Backends on the
    /// hot path answer this with a lighter listing than [`TmuxBackend::list_panes`].
    fn poll_panes(&mut self) -> Result<Vec<PaneState>, TmuxError> {
        Ok(self
            .list_panes()?
            .into_iter()
            .map(PaneState::from)
            .collect())
    }
    /// The visible screen of each pane, with ANSI escapes, in one round trip.
    /// `None` for a pane that vanished meanwhile.
    fn capture_panes(&mut self, panes: &[String]) -> Result<Vec<Option<String>>, TmuxError>;
    /// Send tmux key names (`Enter`, `Escape`, `C-c`, `y`).
    fn send_keys(&mut self, pane: &str, keys: &[String]) -> Result<(), TmuxError>;
    /// Type text literally (no key-name lookup).
    fn send_text(&mut self, pane: &str, text: &str) -> Result<(), TmuxError>;
    /// Kill the window that holds this pane.
    fn kill_pane(&mut self, pane: &str) -> Result<(), TmuxError>;
    /// Set a pane option (a shoal mark such as [`MARK_OPTION`]) on the pane.
    fn set_pane_option(&mut self, pane: &str, option: &str, value: &str) -> Result<(), TmuxError> {
        let _ = (pane, option, value);
        Err(TmuxError::Command {
            command: "set-option".into(),
            message: format!("the backend for `{}` cannot mark panes", self.socket()),
        })
    }
    /// Read a pane option and unset it in one step (no other client's command runs in
    /// between), through a plain tmux process rather than a control-mode reply, whose
    /// lines a value could imitate. `None` when it was not set or empty.
    fn take_pane_option(&mut self, pane: &str, option: &str) -> Result<Option<String>, TmuxError> {
        let _ = (pane, option);
        Err(TmuxError::Command {
            command: "show-options".into(),
            message: format!(
                "the backend for `{}` cannot read pane options",
                self.socket()
            ),
        })
    }
    /// Start an agent in a new window of the shoal session; returns its pane id.
    fn new_window(&mut self, spec: &WindowSpec) -> Result<String, TmuxError>;
    /// Start an agent like [`TmuxBackend::new_window`] and also return the pid of the
    /// pane's first process, to record at the start of the attempt (for
    /// [`crate::process::Selector::anchors`]). The default looks the pid up in a listing.
    fn open_window(&mut self, spec: &WindowSpec) -> Result<NewPane, TmuxError> {
        let pane_id = self.new_window(spec)?;
        let pid = self
            .list_panes()?
            .into_iter()
            .find(|p| p.pane_id == pane_id)
            .map(|p| p.pid)
            .ok_or_else(|| TmuxError::Command {
                command: "new-window".into(),
                message: format!("pane {pane_id} vanished right after it was started"),
            })?;
        Ok(NewPane { pane_id, pid })
    }
    /// Paste text as a terminal paste does (newlines arrive as carriage returns), through
    /// a tmux buffer, so text of any length arrives whole; with `bracketed`, wrapped in
    /// bracketed-paste markers when the application asked for them. Text with control
    /// characters other than newline and tab is refused (see [`text::check_typed`]).
    fn paste_text(&mut self, pane: &str, text: &str, bracketed: bool) -> Result<(), TmuxError> {
        let _ = (pane, text, bracketed);
        Err(TmuxError::Command {
            command: "paste-buffer".into(),
            message: format!("the backend for `{}` cannot paste", self.socket()),
        })
    }
    /// Why this backend works in a slower fallback mode, when it does (the header
    /// shows it): e.g. one-shot commands after the control client missed its deadlines.
    fn degraded(&self) -> Option<String> {
        None
    }
    /// The last `lines` lines of each pane's scrollback (just above its screen), plain
    /// text, in one round trip; `None` for a pane that vanished or a backend that keeps
    /// no scrollback.
    fn capture_history(
        &mut self,
        panes: &[(String, u32)],
    ) -> Result<Vec<Option<String>>, TmuxError> {
        Ok(vec![None; panes.len()])
    }
}
