//! The operator's terminal: the real console running in a window of a private tmux
//! server, driven with `send-keys` and read with `capture-pane`, as an operator uses it.

use super::{pulse, unique, SHOAL};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A private tmux server whose window `console` runs `shoal` at 160x45, with data and
/// config directories of its own. Dropping it kills that server and the fleet's server.
pub struct Terminal {
    socket: String,
    fleet: String,
    dir: tempfile::TempDir,
}

impl Terminal {
    /// A terminal for a fleet named after `prefix`; nothing runs until [`Terminal::open`].
    pub fn new(prefix: &str) -> Terminal {
        Terminal {
            socket: unique("shoal-op"),
            fleet: unique(prefix),
            dir: tempfile::tempdir().expect("tempdir"),
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

    fn open_with(&self, program: &[&str], args: &[&str]) {
        let home = format!("SHOAL_HOME={}", self.home().display());
        let config = format!("SHOAL_CONFIG={}", self.config_dir().display());
        let mut cmd = vec![
            "new-session",
            "-d",
            "-s",
            "op",
            "-n",
            "console",
            "-x",
            "160",
            "-y",
            "45",
            "-e",
            &home,
            "-e",
            &config,
        ];
        cmd.extend_from_slice(program);
        // Several words are run as they are, without a shell: the pane's pid is shoal's.
        cmd.extend_from_slice(args);
        cmd.extend_from_slice(&[";", "set-option", "-g", "remain-on-exit", "on"]);
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
        self.dir.path().join("home")
    }

    /// The console's config directory (`SHOAL_CONFIG`); it need not exist.
    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
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

    /// What the operator sees.
    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "console"])
    }

    /// Send keys as tmux names them (`Tab`, `C-u`, `Enter`, or text).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "console"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Poll the screen until `f` holds; fail with the last screen after `timeout`.
    pub fn wait_screen(&self, what: &str, timeout: Duration, f: impl Fn(&str) -> bool) -> String {
        let t0 = Instant::now();
        loop {
            let s = self.screen();
            if f(&s) {
                return s;
            }
            assert!(
                t0.elapsed() <= timeout,
                "timed out after {timeout:?} waiting for {what}; screen:\n{s}"
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
