//! The operator's terminal: the real console running in windows of a private tmux
//! server, driven with `send-keys` and read with `capture-pane`, as an operator uses it.

use super::{pulse, unique, Rig, SHOAL};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A private tmux server whose window `console` runs `shoal` at 160x45 (more windows
/// may run more consoles on the same fleet), with data and config directories of its own
/// or a rig's. Dropping it kills that server and the fleet's server.
pub struct Terminal {
    socket: String,
    fleet: String,
    dir: tempfile::TempDir,
    home: PathBuf,
    config_dir: PathBuf,
}

/// The session every window is in.
const SESSION: &str = "op";

impl Terminal {
    /// A terminal for a fleet named after `prefix`; nothing runs until [`Terminal::open`].
    pub fn new(prefix: &str) -> Terminal {
        let dir = tempfile::tempdir().expect("tempdir");
        Terminal {
            socket: unique("shoal-op"),
            fleet: unique(prefix),
            home: dir.path().join("home"),
            config_dir: dir.path().join("config"),
            dir,
        }
    }

    /// A terminal on a rig's fleet, with the rig's data and config directories: its
    /// consoles and the rig's commands see the same store.
    pub fn for_rig(rig: &Rig) -> Terminal {
        Terminal {
            socket: unique("shoal-op"),
            fleet: rig.name.clone(),
            dir: tempfile::tempdir().expect("tempdir"),
            home: rig.home(),
            config_dir: rig.dir.path().join("config"),
        }
    }

    /// `shoal demo` on a fresh demo fleet.
    pub fn demo() -> Terminal {
        let term = Terminal::new("demo");
        let fleet = term.fleet.clone();
        term.open(&["demo", "--name", &fleet]);
        term
    }

    /// Run `shoal ARGS` as the console window's own process. The window stays after it
    /// exits, so its last words can be read.
    pub fn open(&self, args: &[&str]) {
        self.open_with(&[SHOAL], args);
    }

    /// Like [`Terminal::open`], with `$TMUX` removed from shoal's environment: the
    /// console believes it runs outside tmux (attach then nests a `tmux attach`).
    pub fn open_outside_tmux(&self, args: &[&str]) {
        self.open_with(&["env", "-u", "TMUX", SHOAL], args);
    }

    /// Run `shoal ARGS` with `$TMUX` empty in a window `name` of its own beside the
    /// others, through a shell that prints `console-exited` when shoal ends and then
    /// waits, so a test reads that it ended and what it said.
    pub fn open_window(&self, name: &str, args: &[&str]) {
        let mut line = shell_word(SHOAL);
        for a in args {
            line.push(' ');
            line.push_str(&shell_word(a));
        }
        line.push_str("; echo console-exited; sleep 600");
        self.new_window(name, &["env", "TMUX=", "sh", "-c", &line]);
    }

    fn open_with(&self, program: &[&str], args: &[&str]) {
        let mut cmd = program.to_vec();
        // Several words are run as they are, without a shell: the pane's pid is shoal's.
        cmd.extend_from_slice(args);
        // In the same tmux call as the window: a shoal that ends at once still leaves it.
        cmd.extend_from_slice(&[";", "set-option", "-g", "remain-on-exit", "on"]);
        self.new_window("console", &cmd);
    }

    /// Window `name` running `program` (then any further tmux commands after a `;`): the
    /// first window starts the session at 160x45.
    fn new_window(&self, name: &str, program: &[&str]) {
        let home = format!("SHOAL_HOME={}", self.home().display());
        let config = format!("SHOAL_CONFIG={}", self.config_dir().display());
        let first = self.tmux_status(&["has-session", "-t", SESSION]) != Some(true);
        let mut cmd = if first {
            vec!["new-session", "-d", "-s", SESSION, "-x", "160", "-y", "45"]
        } else {
            vec!["new-window", "-t", SESSION]
        };
        cmd.extend_from_slice(&["-n", name, "-e", &home, "-e", &config]);
        cmd.extend_from_slice(program);
        self.tmux(&cmd);
    }

    /// The fleet's name.
    pub fn fleet(&self) -> &str {
        &self.fleet
    }

    /// A scratch directory for the test's files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The console's data directory (`SHOAL_HOME`).
    pub fn home(&self) -> PathBuf {
        self.home.clone()
    }

    /// The console's config directory (`SHOAL_CONFIG`); it need not exist.
    pub fn config_dir(&self) -> PathBuf {
        self.config_dir.clone()
    }

    /// The fleet's store, where the console's supervisor beats after each tick.
    pub fn db(&self) -> PathBuf {
        self.home().join(format!("{}.sqlite", self.fleet))
    }

    /// Wait until the console's supervisor has finished `n` ticks that began after this call.
    pub fn wait_ticks(&self, n: u32) {
        pulse::wait_ticks(&self.db(), n);
    }

    /// tmux on the terminal's own server; returns stdout.
    pub fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .stdin(Stdio::null())
            .output()
            .expect("tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Whether a tmux command on the terminal's server succeeded; `None` when tmux could
    /// not run.
    fn tmux_status(&self, args: &[&str]) -> Option<bool> {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .ok()
            .map(|s| s.success())
    }

    /// What the operator sees in the `console` window.
    pub fn screen(&self) -> String {
        self.screen_of("console")
    }

    /// What the operator sees in window `window`.
    pub fn screen_of(&self, window: &str) -> String {
        self.tmux(&["capture-pane", "-p", "-t", &format!("{SESSION}:{window}")])
    }

    /// Send keys as tmux names them (`Tab`, `C-u`, `Enter`, or text) to `console`.
    pub fn keys(&self, keys: &[&str]) {
        self.keys_to("console", keys);
    }

    /// Send keys to window `window`.
    pub fn keys_to(&self, window: &str, keys: &[&str]) {
        let target = format!("{SESSION}:{window}");
        let mut args = vec!["send-keys", "-t", target.as_str()];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Poll the `console` window until `f` holds; fail with the last screen after `timeout`.
    pub fn wait_screen(&self, what: &str, timeout: Duration, f: impl Fn(&str) -> bool) -> String {
        self.wait_window("console", what, timeout, f)
    }

    /// Poll window `window` until `f` holds; fail with its last screen after `timeout`.
    pub fn wait_window(
        &self,
        window: &str,
        what: &str,
        timeout: Duration,
        f: impl Fn(&str) -> bool,
    ) -> String {
        let t0 = Instant::now();
        loop {
            let s = self.screen_of(window);
            if f(&s) {
                return s;
            }
            assert!(
                t0.elapsed() <= timeout,
                "timed out after {timeout:?} waiting for {what}; screen of {window}:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// `window_name pane_dead` of every pane on the fleet's tmux server.
    pub fn fleet_windows(&self) -> Vec<String> {
        let out = Command::new("tmux")
            .args(["-L", &self.fleet_socket(), "-f", "/dev/null"])
            .args(["list-panes", "-a", "-F", "#{window_name} #{pane_dead}"])
            .env_remove("TMUX")
            .output()
            .expect("tmux");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn fleet_socket(&self) -> String {
        format!("shoal-{}", self.fleet)
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        // A console whose terminal hangs up keeps running (it spins on the closed tty), so
        // a console still running is killed by its pid before its tmux server goes.
        let panes = self.tmux(&["list-panes", "-a", "-F", "#{pane_dead} #{pane_pid}"]);
        for pid in panes.lines().filter_map(|l| l.strip_prefix("0 ")) {
            if let Ok(pid) = pid.trim().parse::<i32>() {
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
        super::kill_detached_supervisor(&self.home(), &self.fleet);
        for s in [self.socket.clone(), self.fleet_socket()] {
            let _ = Command::new("tmux")
                .args(["-L", &s, "-f", "/dev/null", "kill-server"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// `word` quoted for `sh -c`.
fn shell_word(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}
