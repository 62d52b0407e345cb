//! What the benches that run real tmux servers and the real binary share: the binary,
//! a guarded child process, the fleet's servers (killed when dropped) and their pids.
#![allow(dead_code)]

pub mod sshd;

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The binary measured: this build's, or `SHOAL_BENCH_BIN` to compare another build.
pub fn shoal_bin() -> String {
    std::env::var("SHOAL_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_shoal").to_string())
}

/// A child process stopped with SIGTERM (and reaped) when done with, or dropped.
pub struct Guarded(pub Child);

impl Guarded {
    pub fn stop(&mut self) -> Result<()> {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let t0 = Instant::now();
        while self.0.try_wait()?.is_none() {
            if t0.elapsed() > Duration::from_secs(10) {
                let _ = self.0.kill();
                bail!("shoal supervise did not stop within 10 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Where tmux puts the socket named `socket` (`$TMUX_TMPDIR` or /tmp, then `tmux-UID`).
pub fn socket_path(socket: &str) -> PathBuf {
    let dir = std::env::var_os("TMUX_TMPDIR")
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "/tmp".into());
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    Path::new(&dir).join(format!("tmux-{uid}")).join(socket)
}

pub fn server_pid(socket: &str) -> Result<u32> {
    let out = tmux(socket)
        .args(["display-message", "-p", "#{pid}"])
        .output()
        .with_context(|| format!("cannot run tmux -L {socket}"))?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    text.parse()
        .with_context(|| format!("tmux -L {socket} gave pid {text:?}"))
}

/// Kills the run's own tmux servers when dropped, so an error leaves no server behind.
pub struct Servers {
    pub sockets: Vec<String>,
}

impl Drop for Servers {
    fn drop(&mut self) {
        for socket in &self.sockets {
            let _ = tmux(socket)
                .arg("kill-server")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            // tmux 3.3a can leave the socket file of a killed server behind.
            let gone = !tmux(socket)
                .arg("list-sessions")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if gone {
                let _ = std::fs::remove_file(socket_path(socket));
            }
        }
    }
}

pub fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

/// The generated fleet file: N shell agents, a stall timeout the bench never reaches.
pub fn fleet_toml(name: &str, n: usize) -> String {
    let mut s = format!(
        "[fleet]\nname = \"{name}\"\nstall_timeout = \"1h\"\nagents_per_server = {PER_SERVER}\n"
    );
    for i in 0..n {
        let cmd = if i % BUSY_EVERY == 0 {
            BUSY_CMD
        } else {
            QUIET_CMD
        };
        s.push_str(&format!(
            "\n[[agent]]\nname = \"a{i:04}\"\nkind = \"shell\"\ncmd = '{cmd}'\n"
        ));
    }
    s
}

/// Panes per tmux server, as a fleet file sets it by default.
pub const PER_SERVER: usize = 100;

/// One agent in this many prints a line every second.
pub const BUSY_EVERY: usize = 10;

pub const BUSY_CMD: &str =
    r#"i=0; while :; do i=$((i+1)); echo "line $i $(date +%s%N)"; sleep 1; done"#;

pub const QUIET_CMD: &str = "sleep 100000";

/// `tmux -L SOCKET` with no inherited `$TMUX`, so nothing can reach another server.
pub fn tmux(socket: &str) -> Command {
    let mut cmd = Command::new("tmux");
    cmd.env_remove("TMUX")
        .env_remove("TMUX_PANE")
        .stdin(Stdio::null())
        .args(["-L", socket]);
    cmd
}
