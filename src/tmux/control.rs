//! The polling hot path: one persistent `tmux -C` client per fleet server. Commands are
//! written as quoted lines, all of a batch at once, and their replies read back in
//! order, so one tick costs the server one client instead of one per pane.

use super::commands::{self, argv_of, name_of, Mode};
use super::format::{self, COMMAND_FORMAT, PANE_FORMAT, POLL_FORMAT};
use super::protocol::{Event, Reply, ReplyParser};
use super::quote::command_line;
use super::server::{classify, isolate, spawn_error, tmux, Server};
use super::{NewPane, PaneInfo, PaneState, TmuxBackend, TmuxError, WindowSpec, SESSION};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};
use tmux_interface::{AttachSession, ClientFlags, StdIO, TmuxCommand};

/// How long a request's replies may take before the client is declared wedged (plus
/// [`PER_COMMAND`] for each command of a batch).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Extra reply time per command of a batch: 1000 captures take tmux about half a
/// second on a quiet machine.
const PER_COMMAND: Duration = Duration::from_millis(2);
/// How long the ready token may take after the attach before the client is respawned.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a detaching client gets to exit on its own before it is killed.
const DETACH_GRACE: Duration = Duration::from_millis(250);
/// How much of the client's stderr is kept for error messages.
const STDERR_CAP: usize = 4096;

static TOKENS: AtomicU64 = AtomicU64::new(0);

/// A control-mode client attached to a fleet server's `shoal` session with
/// `no-output,ignore-size`: it receives no pane output and never resizes a window.
pub struct ControlClient {
    socket: String,
    /// The server, with its host's transport: a lost connection is told from a server
    /// that went away by asking the server the same way.
    server: Server,
    child: Child,
    /// Lines for the writer thread: a stopped or wedged client stops reading its
    /// stdin, and a blocking write must never hold the caller past its deadline.
    stdin: Option<Sender<Vec<u8>>>,
    /// Lines from the reader thread, in batches of what one read brought.
    lines: Receiver<Vec<Vec<u8>>>,
    /// Lines of a batch not yet fed to the parser.
    queued: std::collections::VecDeque<Vec<u8>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    parser: ReplyParser,
    alive: bool,
    timeout: Duration,
}

/// Why reading the next line failed.
enum ReadError {
    Timeout,
    Eof,
}

impl ControlClient {
    /// Attach to the `shoal` session on `tmux -L socket`, and prove the connection with
    /// a round trip. A client whose first round trip is lost is replaced once.
    pub fn connect(socket: &str) -> Result<ControlClient, TmuxError> {
        Self::connect_to(&Server::new(socket))
    }

    /// [`ControlClient::connect`] to a server wherever it runs: a remote server's
    /// client runs on its host, over the host's shared ssh connection.
    pub fn connect_to(server: &Server) -> Result<ControlClient, TmuxError> {
        let socket = server.socket();
        // `attach-session` would start a server on a dead socket; probe first.
        if !server.running()? {
            return Err(TmuxError::ServerDown {
                socket: socket.to_string(),
            });
        }
        let mut client = Self::attach(server)?;
        if client.handshake()? {
            return Ok(client);
        }
        client.shutdown();
        let mut client = Self::attach(server)?;
        if client.handshake()? {
            return Ok(client);
        }
        client.shutdown();
        Err(TmuxError::Protocol {
            socket: socket.to_string(),
            message: format!(
                "no answer to a test command within {HANDSHAKE_TIMEOUT:?}, twice; \
                 check the server with `tmux -L {socket} ls`"
            ),
        })
    }

    /// Spawn the client and wait for the attach's own reply block.
    fn attach(server: &Server) -> Result<Self, TmuxError> {
        let socket = server.socket();
        let flags = ClientFlags {
            no_output: Some(true),
            ignore_size: Some(true),
            ..Default::default()
        };
        let attach = AttachSession::new()
            .target_session(SESSION)
            .flags(flags)
            .build();
        let mut cmd = tmux(socket)
            .control_mode()
            .command(attach)
            .stdin(Some(StdIO::Piped))
            .stdout(Some(StdIO::Piped))
            .stderr(Some(StdIO::Piped))
            .into_command();
        if let Some(t) = server.via()? {
            cmd = t.wrap(&cmd);
            cmd.stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
        }
        isolate(&mut cmd);
        let mut child = cmd.spawn().map_err(spawn_error)?;
        let (stdin, stdout, stderr) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let (Some(stdin), Some(stdout), Some(stderr_pipe)) = (stdin, stdout, stderr) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(TmuxError::Protocol {
                socket: socket.to_string(),
                message: "the control client's pipes were not created".into(),
            });
        };
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let pipes = spawn_readers(socket, stdout, stderr_pipe, Arc::clone(&stderr))
            .and_then(|lines| Ok((lines, spawn_writer(socket, stdin)?)));
        let (lines, writer) = match pipes {
            Ok(pipes) => pipes,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        let mut client = ControlClient {
            socket: socket.to_string(),
            server: server.clone(),
            child,
            stdin: Some(writer),
            lines,
            queued: std::collections::VecDeque::new(),
            stderr,
            parser: ReplyParser::new(),
            alive: true,
            timeout: DEFAULT_TIMEOUT,
        };
        loop {
            match client.next_event(DEFAULT_TIMEOUT) {
                Ok(Event::Reply { ours: false, reply }) if reply.ok => return Ok(client),
                Ok(Event::Reply { ours: false, reply }) => {
                    let message = reply.message();
                    client.shutdown();
                    return Err(if message.contains("no sessions") {
                        TmuxError::ServerDown {
                            socket: socket.to_string(),
                        }
                    } else {
                        TmuxError::Command {
                            command: "attach-session".into(),
                            message: format!("{message}; start the fleet session with `shoal up`"),
                        }
                    });
                }
                Ok(_) => {}
                Err(e) => {
                    let err = client.failure(e, "while attaching");
                    client.shutdown();
                    return Err(err);
                }
            }
        }
    }

    /// Round-trip `display-message -p TOKEN`; false when it does not come back in time.
    fn handshake(&mut self) -> Result<bool, TmuxError> {
        // No `%` in the token: display-message runs strftime on it.
        let token = format!(
            "shoal-ready-{}-{}",
            std::process::id(),
            TOKENS.fetch_add(1, Ordering::Relaxed)
        );
        let saved = std::mem::replace(&mut self.timeout, HANDSHAKE_TIMEOUT);
        let result = self.run_batch(&[argv_of(&commands::display(&token, Mode::Control))]);
        self.timeout = saved;
        match result {
            Ok(replies) => Ok(replies.first().map(Reply::text) == Some(format!("{token}\n"))),
            Err(TmuxError::Protocol { .. }) if self.server_up() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Process id of the `tmux -C` child.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// False once the connection broke (EOF, timeout, detach); reconnect then.
    pub fn is_alive(&self) -> bool {
        self.alive
    }

    /// How long a request's replies may take before the client is killed and the
    /// request fails (default 5 s, plus 2 ms per command of a batch).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Write every command, then read one reply per command, in order. A command that
    /// fails gives a reply with `ok == false` and does not disturb the others.
    pub fn run_batch(&mut self, cmds: &[Vec<String>]) -> Result<Vec<Reply>, TmuxError> {
        if !self.alive {
            return Err(self.protocol("the connection is closed; reconnect".into()));
        }
        let mut payload = String::new();
        for argv in cmds {
            let name = argv.first().cloned().unwrap_or_default();
            if name.is_empty() {
                // An empty line would detach the client.
                return Err(TmuxError::Command {
                    command: "(empty)".into(),
                    message: "a command needs a name; nothing was sent".into(),
                });
            }
            let line = command_line(argv).map_err(|e| TmuxError::Command {
                command: name,
                message: format!("{e}; nothing was sent"),
            })?;
            payload.push_str(&line);
            payload.push('\n');
        }
        if cmds.is_empty() {
            return Ok(Vec::new());
        }
        self.write(payload.into_bytes())?;
        let allowance = PER_COMMAND.saturating_mul(u32::try_from(cmds.len()).unwrap_or(u32::MAX));
        let deadline = Instant::now() + self.timeout + allowance;
        let mut replies = Vec::with_capacity(cmds.len());
        while replies.len() < cmds.len() {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_event(left) {
                Ok(Event::Reply { ours: true, reply }) => replies.push(reply),
                Ok(Event::Exit(reason)) => {
                    self.alive = false;
                    return Err(self.lost(format!("tmux detached the client ({reason})")));
                }
                Ok(_) => {}
                Err(e) => {
                    let what = format!("after {} of {} replies", replies.len(), cmds.len());
                    return Err(self.failure(e, &what));
                }
            }
        }
        Ok(replies)
    }

    /// Each pane's id and `#{pane_current_command}` (a /proc read per pane in tmux;
    /// meant for adopting panes, not for every tick).
    pub fn pane_commands(&mut self) -> Result<Vec<(String, String)>, TmuxError> {
        let reply = self.one(commands::list_panes(COMMAND_FORMAT))?;
        format::parse_commands(&reply.output)
            .map_err(|m| self.protocol(format!("list-panes output: {m}")))
    }

    /// Detach politely, then make sure the child is gone and reaped.
    pub fn close(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.alive = false;
        if let Some(stdin) = self.stdin.take() {
            // An empty line detaches; the writer then drops stdin, which closes it.
            let _ = stdin.send(b"\n".to_vec());
        }
        let deadline = Instant::now() + DETACH_GRACE;
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(_)) => return,
                Ok(None) => thread::sleep(Duration::from_millis(10)),
                Err(_) => break,
            }
        }
        // A no-output client may ignore the detach and then block kill-server.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Run one command and demand success.
    fn one(&mut self, cmd: TmuxCommand<'static>) -> Result<Reply, TmuxError> {
        let name = name_of(&cmd);
        let mut replies = self.run_batch(&[argv_of(&cmd)])?;
        let reply = replies
            .pop()
            .ok_or_else(|| self.protocol(format!("no reply to {name}")))?;
        if reply.ok {
            Ok(reply)
        } else {
            Err(classify(&self.socket, &name, reply.message()))
        }
    }

    /// Run commands as one batch and demand that all succeed.
    fn all(&mut self, cmds: Vec<TmuxCommand<'static>>) -> Result<Vec<Reply>, TmuxError> {
        let names: Vec<String> = cmds.iter().map(name_of).collect();
        let argv: Vec<Vec<String>> = cmds.iter().map(argv_of).collect();
        let replies = self.run_batch(&argv)?;
        match replies.iter().zip(&names).find(|(r, _)| !r.ok) {
            Some((reply, name)) => Err(classify(&self.socket, name, reply.message())),
            None => Ok(replies),
        }
    }

    fn write(&mut self, bytes: Vec<u8>) -> Result<(), TmuxError> {
        let sent = self.stdin.as_ref().is_some_and(|w| w.send(bytes).is_ok());
        if sent {
            return Ok(());
        }
        self.alive = false;
        Err(self.lost("writing commands failed: the client's stdin is closed".into()))
    }

    /// Kill the child now (SIGKILL reaches a stopped process too) and reap it.
    fn kill_child(&mut self) {
        self.stdin = None;
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn next_event(&mut self, timeout: Duration) -> Result<Event, ReadError> {
        if self.queued.is_empty() {
            match self.lines.recv_timeout(timeout) {
                Ok(batch) => self.queued.extend(batch),
                Err(RecvTimeoutError::Timeout) => return Err(ReadError::Timeout),
                Err(RecvTimeoutError::Disconnected) => return Err(ReadError::Eof),
            }
        }
        // The reader never sends an empty batch.
        let line = self.queued.pop_front().unwrap_or_default();
        Ok(self.parser.feed(&line))
    }

    /// The connection is unusable after a read failure: late replies would be
    /// mistaken for the next batch's.
    fn failure(&mut self, e: ReadError, when: &str) -> TmuxError {
        self.alive = false;
        match e {
            ReadError::Timeout => {
                // A wedged client is no use, and a stopped one would block kill-server.
                self.kill_child();
                self.protocol(format!(
                    "no reply within the {:?} deadline {when}; the client was killed, reconnect",
                    self.timeout
                ))
            }
            ReadError::Eof => self.lost(format!("the client exited {when}")),
        }
    }

    /// A lost connection: the server is gone, or the client alone broke.
    fn lost(&self, message: String) -> TmuxError {
        let up = match self.server.running() {
            Ok(up) => up,
            Err(e) => return e,
        };
        if !up {
            return TmuxError::ServerDown {
                socket: self.socket.clone(),
            };
        }
        let stderr = self.stderr.lock().map(|s| s.clone()).unwrap_or_default();
        let stderr = String::from_utf8_lossy(&stderr).trim().replace('\n', "; ");
        if stderr.is_empty() {
            self.protocol(format!("{message}; reconnect"))
        } else {
            self.protocol(format!("{message} ({stderr}); reconnect"))
        }
    }

    fn server_up(&self) -> bool {
        self.server.is_running()
    }

    fn protocol(&self, message: String) -> TmuxError {
        TmuxError::Protocol {
            socket: self.socket.clone(),
            message,
        }
    }
}

/// Write queued lines to the client's stdin. The thread ends when the channel closes
/// (stdin is then closed) or a write fails (the client died).
fn spawn_writer(socket: &str, mut stdin: ChildStdin) -> Result<Sender<Vec<u8>>, TmuxError> {
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    thread::Builder::new()
        .name(format!("tmux-control-in-{socket}"))
        .spawn(move || {
            for bytes in rx {
                if stdin
                    .write_all(&bytes)
                    .and_then(|()| stdin.flush())
                    .is_err()
                {
                    break;
                }
            }
        })?;
    Ok(tx)
}

/// Read stdout into a channel (so reads can time out), and keep the start of stderr for
/// error messages. Both threads end when the child's pipes close. Lines go in batches of
/// what is already buffered: a reply of a thousand lines is a handful of channel sends
/// and wake-ups, not a thousand.
fn spawn_readers(
    socket: &str,
    stdout: ChildStdout,
    stderr: impl Read + Send + 'static,
    keep: Arc<Mutex<Vec<u8>>>,
) -> Result<Receiver<Vec<Vec<u8>>>, TmuxError> {
    let (tx, rx) = mpsc::channel::<Vec<Vec<u8>>>();
    thread::Builder::new()
        .name(format!("tmux-control-{socket}"))
        .spawn(move || {
            let mut reader = BufReader::with_capacity(64 * 1024, stdout);
            let mut batch = Vec::new();
            loop {
                // Send before a read that would block: no whole line is buffered.
                if !batch.is_empty()
                    && !reader.buffer().contains(&b'\n')
                    && tx.send(std::mem::take(&mut batch)).is_err()
                {
                    return;
                }
                let mut line = Vec::new();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if line.last() == Some(&b'\n') {
                            line.pop();
                        }
                        batch.push(line);
                    }
                }
            }
            if !batch.is_empty() {
                let _ = tx.send(batch);
            }
        })?;
    thread::Builder::new()
        .name(format!("tmux-control-err-{socket}"))
        .spawn(move || {
            let mut buf = [0u8; 1024];
            let mut stderr = stderr;
            while let Ok(n @ 1..) = stderr.read(&mut buf) {
                if let Ok(mut kept) = keep.lock() {
                    let room = STDERR_CAP.saturating_sub(kept.len());
                    kept.extend_from_slice(&buf[..n.min(room)]);
                }
            }
        })?;
    Ok(rx)
}

impl Drop for ControlClient {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl ControlClient {
    /// One `list-panes -a` in `format`. A pane dead with no known status makes tmux
    /// reap its children first and list again (see [`format::unreaped`]).
    fn listing<T>(
        &mut self,
        format: &'static str,
        parse: fn(&[u8]) -> Result<Vec<T>, String>,
        unreaped: fn(&[T]) -> bool,
    ) -> Result<Vec<T>, TmuxError> {
        let reply = self.one(commands::list_panes(format))?;
        let panes =
            parse(&reply.output).map_err(|m| self.protocol(format!("list-panes output: {m}")))?;
        if !unreaped(&panes) {
            return Ok(panes);
        }
        let replies = self.all(vec![commands::reap(), commands::list_panes(format)])?;
        let output = replies
            .last()
            .map(|r| r.output.as_slice())
            .unwrap_or_default();
        parse(output).map_err(|m| self.protocol(format!("list-panes output: {m}")))
    }
}

impl TmuxBackend for ControlClient {
    fn socket(&self) -> &str {
        &self.socket
    }

    fn list_panes(&mut self) -> Result<Vec<PaneInfo>, TmuxError> {
        self.listing(PANE_FORMAT, format::parse_panes, format::unreaped)
    }

    fn poll_panes(&mut self) -> Result<Vec<PaneState>, TmuxError> {
        self.listing(POLL_FORMAT, format::parse_poll, format::unreaped_states)
    }

    /// All captures in one write and one read pass; any pane tmux cannot capture (it
    /// vanished since the last listing) is `None` and the others are unaffected.
    fn capture_panes(&mut self, panes: &[String]) -> Result<Vec<Option<String>>, TmuxError> {
        let argv: Vec<Vec<String>> = panes
            .iter()
            .map(|p| argv_of(&commands::capture(p, Mode::Control)))
            .collect();
        Ok(self
            .run_batch(&argv)?
            .into_iter()
            .map(|r| r.ok.then(|| r.text()))
            .collect())
    }

    /// Like the screens: one write, one read pass, `None` for a vanished pane.
    fn capture_history(
        &mut self,
        panes: &[(String, u32)],
    ) -> Result<Vec<Option<String>>, TmuxError> {
        let argv: Vec<Vec<String>> = panes
            .iter()
            .map(|(p, n)| argv_of(&commands::capture_history(p, *n, Mode::Control)))
            .collect();
        Ok(self
            .run_batch(&argv)?
            .into_iter()
            .map(|r| r.ok.then(|| r.text()))
            .collect())
    }

    fn send_keys(&mut self, pane: &str, keys: &[String]) -> Result<(), TmuxError> {
        if keys.is_empty() {
            return Ok(());
        }
        self.one(commands::send_keys(pane, keys, Mode::Control))
            .map(drop)
    }

    fn send_text(&mut self, pane: &str, text: &str) -> Result<(), TmuxError> {
        self.all(commands::send_text(pane, text, Mode::Control)?)
            .map(drop)
    }

    fn paste_text(&mut self, pane: &str, text: &str, bracketed: bool) -> Result<(), TmuxError> {
        let buffer = commands::paste_buffer_name();
        let cmds = commands::paste_text(pane, text, bracketed, &buffer, Mode::Control)?;
        let result = self.all(cmds).map(drop);
        if matches!(result, Err(TmuxError::Command { .. })) {
            let _ = self.run_batch(&[argv_of(&commands::delete_buffer(&buffer, Mode::Control))]);
        }
        result
    }

    /// A pane that is already gone counts as killed.
    fn kill_pane(&mut self, pane: &str) -> Result<(), TmuxError> {
        match self.one(commands::kill_window(pane, Mode::Control)) {
            Err(TmuxError::Command { message, .. }) if message.contains("can't find") => Ok(()),
            other => other.map(drop),
        }
    }

    fn set_pane_option(&mut self, pane: &str, option: &str, value: &str) -> Result<(), TmuxError> {
        self.one(commands::set_pane_option(
            pane,
            option,
            value,
            Mode::Control,
        ))
        .map(drop)
    }

    fn take_pane_option(&mut self, pane: &str, option: &str) -> Result<Option<String>, TmuxError> {
        // A plain process, not this client: a control-mode reply is lines that the
        // value could imitate.
        super::OneShot::with_deadline(self.server.clone(), self.timeout)
            .take_pane_option(pane, option)
    }

    fn new_window(&mut self, spec: &WindowSpec) -> Result<String, TmuxError> {
        self.open_window(spec).map(|p| p.pane_id)
    }

    /// An attached client does not impose its own `PATH` on the pane, so a `PATH` in
    /// the spec's environment reaches the agent as written.
    fn open_window(&mut self, spec: &WindowSpec) -> Result<NewPane, TmuxError> {
        let reply = self.one(commands::new_window(spec, Mode::Control)?)?;
        let pane = commands::parse_new_pane(&reply.text()).map_err(|m| self.protocol(m))?;
        self.all(commands::mark_pane(&pane.pane_id, spec, Mode::Control).into())
            .map(|_| pane)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>() {}

    /// The supervisor owns the client on its own thread.
    #[test]
    fn control_client_can_move_to_another_thread() {
        assert_send::<ControlClient>();
    }
}
