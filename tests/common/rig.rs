//! A fleet of simulated agents on a private tmux server, driven through the real `shoal`
//! binary. Each rig kills only its own servers and supervisors.

use super::{pulse, unique, SHOAL};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A fleet file in a temporary directory with its own data directory and tmux servers.
pub struct Rig {
    pub dir: tempfile::TempDir,
    pub name: String,
    pub fleet: PathBuf,
    /// Extra environment for every shoal command the rig runs.
    pub env: Vec<(String, String)>,
    children: Vec<Child>,
}

impl Rig {
    /// `agents` is the `[[agent]]` part of the fleet file; `{sim}` in it is replaced by
    /// the command that runs the simulated agent.
    pub fn new(fleet_settings: &str, agents: &str) -> Rig {
        Rig::new_in(&std::env::temp_dir(), fleet_settings, agents)
    }

    /// [`Rig::new`], with its directory in `parent` (Gemini CLI refuses settings files
    /// under a directory others may write to, like /tmp).
    pub fn new_in(parent: &Path, fleet_settings: &str, agents: &str) -> Rig {
        let name = unique("t");
        let dir = tempfile::tempdir_in(parent).expect("tempdir");
        let fleet = dir.path().join("shoal.toml");
        let sim = format!("{SHOAL} sim-agent");
        let text = format!(
            "[fleet]\nname = \"{name}\"\n{fleet_settings}\n\n{}",
            agents.replace("{sim}", &sim)
        );
        std::fs::write(&fleet, text).expect("write fleet file");
        Rig {
            dir,
            name,
            fleet,
            env: Vec::new(),
            children: Vec::new(),
        }
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn socket(&self) -> String {
        format!("shoal-{}", self.name)
    }

    /// The fleet's store, where the supervisor beats after each tick.
    pub fn db(&self) -> PathBuf {
        self.home().join(format!("{}.sqlite", self.name))
    }

    /// Wait until the supervisor has finished `n` ticks that began after this call.
    pub fn wait_ticks(&self, n: u32) {
        pulse::wait_ticks(&self.db(), n);
    }

    /// Wait until the supervisor has finished `n` ticks that began at or after `from_ms`.
    pub fn wait_ticks_from(&self, from_ms: i64, n: u32) {
        pulse::wait_ticks_from(&self.db(), from_ms, n);
    }

    /// `shoal ARGS` on this fleet, with its home and config, not yet run.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(SHOAL);
        c.arg("-f").arg(&self.fleet).args(args);
        c.env("SHOAL_HOME", self.home())
            .env("SHOAL_CONFIG", self.dir.path().join("config"));
        c.env_remove("TMUX");
        c.envs(self.env.iter().map(|(k, v)| (k, v)));
        c.stdin(Stdio::null());
        c
    }

    /// Run a shoal command to completion.
    pub fn shoal(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run shoal")
    }

    /// Run a shoal command that must succeed; returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.shoal(args);
        assert!(
            out.status.success(),
            "shoal {args:?} failed ({:?}):\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Start `shoal supervise` in the background.
    pub fn supervise(&mut self) -> u32 {
        let child = self
            .command(&["supervise"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn supervise");
        let pid = child.id();
        self.children.push(child);
        pid
    }

    /// Start `shoal ARGS` in the background, its stderr written to `stderr`.
    pub fn spawn_logged(&mut self, args: &[&str], stderr: &Path) -> u32 {
        let log = std::fs::File::create(stderr).expect("stderr file");
        let child = self
            .command(args)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn shoal");
        let pid = child.id();
        self.children.push(child);
        pid
    }

    /// Wait up to `timeout` for a background command to end by itself: its exit status,
    /// or `None` while it still runs.
    pub fn wait_child(&mut self, pid: u32, timeout: Duration) -> Option<std::process::ExitStatus> {
        let pos = self.children.iter().position(|c| c.id() == pid)?;
        let until = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < until {
            if let Ok(Some(status)) = self.children[pos].try_wait() {
                self.children.remove(pos);
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// SIGKILL a background supervisor and reap it.
    pub fn kill_supervisor(&mut self, pid: u32, signal: i32) {
        if let Some(pos) = self.children.iter().position(|c| c.id() == pid) {
            let mut c = self.children.remove(pos);
            unsafe { libc::kill(pid as i32, signal) };
            let _ = c.wait();
        }
    }

    pub fn status(&self) -> Vec<Value> {
        let out = self.ok(&["status", "--json"]);
        serde_json::from_str::<Value>(&out)
            .unwrap_or_else(|e| panic!("status --json is not JSON ({e}): {out}"))
            .as_array()
            .cloned()
            .expect("array")
    }

    pub fn agent(&self, name: &str) -> Value {
        self.status()
            .into_iter()
            .find(|a| a["name"] == name)
            .unwrap_or_else(|| panic!("no agent {name} in status"))
    }

    /// Event kinds of one agent, oldest first.
    pub fn event_kinds(&self, agent: &str) -> Vec<String> {
        self.events(agent)
            .iter()
            .map(|e| e["kind"].as_str().unwrap_or("").to_string())
            .collect()
    }

    pub fn events(&self, agent: &str) -> Vec<Value> {
        let out = self.ok(&["events", "--agent", agent, "--json"]);
        serde_json::from_str::<Value>(&out)
            .expect("json")
            .as_array()
            .cloned()
            .expect("array")
    }

    /// Poll `f` until it returns Some, or fail with `what` after `timeout`.
    pub fn wait_for<T>(
        &self,
        timeout: Duration,
        what: &str,
        mut f: impl FnMut() -> Option<T>,
    ) -> T {
        let t0 = Instant::now();
        loop {
            if let Some(v) = f() {
                return v;
            }
            if t0.elapsed() > timeout {
                let status = self.shoal(&["status"]);
                panic!(
                    "timed out after {timeout:?} waiting for {what}\nstatus:\n{}",
                    String::from_utf8_lossy(&status.stdout)
                );
            }
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// The pane's screen, via tmux directly.
    pub fn capture(&self, pane: &str) -> String {
        let out = Command::new("tmux")
            .args([
                "-L",
                &self.socket(),
                "-f",
                "/dev/null",
                "capture-pane",
                "-p",
                "-t",
                pane,
            ])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Panes on the fleet's first server.
    pub fn pane_ids(&self) -> Vec<String> {
        let out = Command::new("tmux")
            .args([
                "-L",
                &self.socket(),
                "-f",
                "/dev/null",
                "list-panes",
                "-a",
                "-F",
                "#{pane_id}",
            ])
            .output()
            .expect("tmux list-panes");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    }

    pub fn fleet_path(&self) -> &Path {
        &self.fleet
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        super::kill_detached_supervisor(&self.home(), &self.name);
        for c in &mut self.children {
            unsafe { libc::kill(c.id() as i32, libc::SIGKILL) };
            let _ = c.wait();
        }
        for n in 0..4 {
            let socket = if n == 0 {
                self.socket()
            } else {
                format!("{}-{}", self.socket(), n + 1)
            };
            let _ = Command::new("tmux")
                .args(["-L", &socket, "-f", "/dev/null", "kill-server"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}
