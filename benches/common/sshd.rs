//! "Hosts" for the remote benches: sshds on localhost ports with throwaway keys, each
//! giving its sessions their own `TMUX_TMPDIR`, so each host has its own tmux servers.
//! Everything started here is ended when the [`Sshds`] is dropped: the remote tmux
//! servers, the shared ssh connections, and each sshd with every session it forked.

use anyhow::{bail, ensure, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SSHD: &str = "/usr/sbin/sshd";

/// One host: its sshd and its directory (`tmux/` is its `TMUX_TMPDIR`).
pub struct Host {
    pub name: String,
    pub port: u16,
    pub dir: PathBuf,
    sshd: Child,
}

/// The run's hosts, their client key and known_hosts file.
pub struct Sshds {
    pub hosts: Vec<Host>,
    pub client_key: PathBuf,
    pub known_hosts: PathBuf,
    /// Socket names of the tmux servers the fleet may start on each host.
    pub sockets: Vec<String>,
    /// The fleet's ssh control directory, to end its shared connections.
    pub control_dir: Option<PathBuf>,
}

fn keygen(path: &Path) -> Result<()> {
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .status()
        .context("cannot run ssh-keygen")?
        .success();
    ensure!(ok, "ssh-keygen {} failed", path.display());
    Ok(())
}

/// The user sshd logs in as.
pub fn user() -> String {
    std::env::var("USER").unwrap_or_else(|_| "root".into())
}

impl Sshds {
    /// Start `n` sshds under `dir`. Needs openssh-server and root (sshd's privilege
    /// separation directory).
    pub fn start(dir: &Path, n: usize) -> Result<Sshds> {
        if !Path::new(SSHD).exists() {
            bail!("{SSHD} is missing: install openssh-server (the remote case needs real sshds)");
        }
        std::fs::create_dir_all(dir)?;
        let client_key = dir.join("client_key");
        keygen(&client_key)?;
        let mut out = Sshds {
            hosts: Vec::new(),
            client_key: client_key.clone(),
            known_hosts: dir.join("known_hosts"),
            sockets: Vec::new(),
            control_dir: None,
        };
        let _ = std::fs::create_dir_all("/run/sshd");
        let mut known = Vec::new();
        for i in 1..=n {
            let name = format!("h{i}");
            let hdir = dir.join(&name);
            std::fs::create_dir_all(hdir.join("tmux"))?;
            keygen(&hdir.join("host_key"))?;
            std::fs::copy(
                client_key.with_extension("pub"),
                hdir.join("authorized_keys"),
            )?;
            let port = std::net::TcpListener::bind("127.0.0.1:0")?
                .local_addr()?
                .port();
            std::fs::write(
                hdir.join("sshd_config"),
                format!(
                    "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\n\
                     AuthorizedKeysFile {d}/authorized_keys\nPasswordAuthentication no\n\
                     KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n\
                     PermitRootLogin prohibit-password\nPidFile none\n\
                     MaxSessions 100\nSetEnv TMUX_TMPDIR={d}/tmux\n",
                    d = hdir.display()
                ),
            )?;
            let sshd = Command::new(SSHD)
                .args(["-D", "-e", "-f"])
                .arg(hdir.join("sshd_config"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("cannot start sshd")?;
            out.hosts.push(Host {
                name,
                port,
                dir: hdir,
                sshd,
            });
            let t0 = Instant::now();
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                ensure!(
                    t0.elapsed() < Duration::from_secs(10),
                    "sshd on port {port} did not listen"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
            let scan = Command::new("ssh-keyscan")
                .args(["-p", &port.to_string(), "127.0.0.1"])
                .stderr(Stdio::null())
                .output()
                .context("cannot run ssh-keyscan")?;
            known.extend(scan.stdout);
        }
        std::fs::write(&out.known_hosts, known)?;
        Ok(out)
    }

    /// The `[[host]]` tables of a fleet file for these hosts.
    pub fn toml(&self) -> String {
        self.hosts
            .iter()
            .map(|h| {
                format!(
                    "[[host]]\nname = \"{}\"\nssh = \"{}@127.0.0.1\"\nport = {}\nidentity = \"{}\"\n\
                     ssh_options = [\"UserKnownHostsFile={}\"]\nshoal_home = \"{}\"\n\n",
                    h.name,
                    user(),
                    h.port,
                    self.client_key.display(),
                    self.known_hosts.display(),
                    h.dir.join("home").display()
                )
            })
            .collect()
    }

    /// `tmux -L socket` on host `h`.
    pub fn tmux(&self, h: usize, socket: &str) -> Command {
        let mut cmd = super::tmux(socket);
        cmd.env("TMUX_TMPDIR", self.hosts[h].dir.join("tmux"));
        cmd
    }

    /// Pids of every process each sshd forked (sessions, and the remote tmux clients
    /// they run), the sshds themselves included.
    pub fn sshd_trees(&self) -> Vec<u32> {
        let parents = parent_map();
        let mut tree: Vec<u32> = self.hosts.iter().map(|h| h.sshd.id()).collect();
        let mut i = 0;
        while i < tree.len() {
            let p = tree[i];
            tree.extend(
                parents
                    .iter()
                    .filter(|(_, pp)| *pp == p)
                    .map(|(pid, _)| *pid),
            );
            i += 1;
        }
        tree
    }
}

/// Every process's parent.
pub fn parent_map() -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        if let Some(ppid) = stat
            .rfind(')')
            .and_then(|p| stat[p + 1..].split_whitespace().nth(1))
            .and_then(|v| v.parse::<u32>().ok())
        {
            out.push((pid, ppid));
        }
    }
    out
}

impl Drop for Sshds {
    fn drop(&mut self) {
        // The remote servers' pids while they answer: a server whose control client
        // hangs may not take `kill-server`.
        let mut servers: Vec<i32> = Vec::new();
        for h in 0..self.hosts.len() {
            for socket in &self.sockets {
                if let Ok(out) = self
                    .tmux(h, socket)
                    .args(["display-message", "-p", "#{pid}"])
                    .output()
                {
                    if let Ok(pid) = String::from_utf8_lossy(&out.stdout).trim().parse() {
                        servers.push(pid);
                    }
                }
            }
        }
        if let Some(dir) = &self.control_dir {
            for h in &self.hosts {
                let _ = Command::new("ssh")
                    .arg("-o")
                    .arg(format!("ControlPath={}/%C", dir.display()))
                    .args(["-O", "exit", "-p", &h.port.to_string()])
                    .arg(format!("{}@127.0.0.1", user()))
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
        }
        // TERM, a grace, then KILL: a session's shell gets to run its exit traps.
        let tree = self.sshd_trees();
        for sig in [libc::SIGTERM, libc::SIGKILL] {
            for pid in tree.iter().rev() {
                // SAFETY: a signal to a process this run's sshds forked.
                unsafe { libc::kill(*pid as i32, sig) };
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        for h in &mut self.hosts {
            let _ = h.sshd.wait();
        }
        for h in 0..self.hosts.len() {
            for socket in &self.sockets {
                let _ = self
                    .tmux(h, socket)
                    .arg("kill-server")
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
        }
        for pid in servers {
            // SAFETY: the run's own remote tmux servers, if kill-server left them.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}
