//! A remote host behind a real `sshd` on a random localhost port with throwaway host and
//! client keys: batch mode refuses the unknown host key with a message that says how to
//! add it; once added, an agent is started, seen working, sent text and killed through
//! real ssh with connection sharing. Opt-in (`SHOAL_SSHD=1`): it needs `openssh-server`
//! and root (sshd's privilege-separation directory); `.ci/run` may set it.

use crate::common::Rig;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) const SSHD: &str = "/usr/sbin/sshd";

/// A throwaway sshd, killed on drop with every session it forked.
pub(crate) struct Sshd {
    child: Option<Child>,
    pub(crate) port: u16,
    dir: PathBuf,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Sshd {
    /// Start sshd on a free localhost port with a throwaway host key in `dir`, letting
    /// in the client key `client_key` (its `.pub` beside it); `extra` is more config.
    pub(crate) fn start(dir: &Path, client_key: &Path, extra: &str) -> Sshd {
        std::fs::create_dir_all(dir).unwrap();
        keygen(&dir.join("host_key"));
        std::fs::copy(
            client_key.with_extension("pub"),
            dir.join("authorized_keys"),
        )
        .unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        std::fs::write(
            dir.join("sshd_config"),
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\n\
                 AuthorizedKeysFile {d}/authorized_keys\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n\
                 PermitRootLogin prohibit-password\nPidFile none\n{extra}",
                d = dir.display()
            ),
        )
        .unwrap();
        let mut sshd = Sshd {
            child: None,
            port,
            dir: dir.to_path_buf(),
        };
        sshd.restart();
        sshd
    }

    /// Start it (again) on its port with its config.
    pub(crate) fn restart(&mut self) {
        let _ = std::fs::create_dir_all("/run/sshd");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("sshd.log"))
            .unwrap();
        let child = Command::new(SSHD)
            .args(["-D", "-e", "-f"])
            .arg(self.dir.join("sshd_config"))
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start sshd");
        self.child = Some(child);
        let t0 = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "sshd did not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kill the sshd this test started and every session process it forked (so the
    /// host's shared connections drop too), leaving whatever the sessions daemonized.
    pub(crate) fn kill(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let mut tree = vec![child.id()];
        let mut i = 0;
        while i < tree.len() {
            let parent = tree[i];
            for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
                let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                    continue;
                };
                let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
                let ppid = stat
                    .rfind(')')
                    .and_then(|p| stat[p + 1..].split_whitespace().nth(1))
                    .and_then(|v| v.parse::<u32>().ok());
                if ppid == Some(parent) && !tree.contains(&pid) {
                    tree.push(pid);
                }
            }
            i += 1;
        }
        // TERM first: a session's shell gets to run its exit traps (a login shell's
        // rc files may hold locks), then KILL for what is left.
        for pid in tree.iter().rev() {
            unsafe { libc::kill(*pid as i32, libc::SIGTERM) };
        }
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(2)
            && tree
                .iter()
                .any(|p| Path::new(&format!("/proc/{p}")).exists() && *p != child.id())
        {
            std::thread::sleep(Duration::from_millis(50));
        }
        for pid in tree.iter().rev() {
            unsafe { libc::kill(*pid as i32, libc::SIGKILL) };
        }
        let _ = child.wait();
    }

    /// The host's line for `known_hosts`.
    pub(crate) fn host_key_line(&self) -> Vec<u8> {
        Command::new("ssh-keyscan")
            .args(["-p", &self.port.to_string(), "127.0.0.1"])
            .stderr(Stdio::null())
            .output()
            .unwrap()
            .stdout
    }
}

pub(crate) fn keygen(path: &Path) {
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .status()
        .unwrap()
        .success();
    assert!(ok, "ssh-keygen {}", path.display());
}

/// Whether the opt-in sshd tests run here.
pub(crate) fn enabled() -> bool {
    if std::env::var("SHOAL_SSHD").as_deref() != Ok("1") || !Path::new(SSHD).exists() {
        eprintln!("skipped: set SHOAL_SSHD=1 with openssh-server installed");
        return false;
    }
    true
}

pub(crate) fn user() -> String {
    std::env::var("USER").unwrap_or_else(|_| "root".into())
}

#[test]
fn a_real_sshd_host_runs_an_agent_and_an_unknown_host_key_is_refused() {
    if !enabled() {
        return;
    }
    let mut rig = Rig::new("poll_interval = \"250ms\"", "");
    let dir: PathBuf = rig.dir.path().join("sshd");
    std::fs::create_dir_all(&dir).unwrap();
    keygen(&dir.join("client_key"));
    let sshd = Sshd::start(&dir, &dir.join("client_key"), "");
    let known = dir.join("known_hosts");
    std::fs::write(&known, "").unwrap();
    let sim = format!("{} sim-agent", crate::common::SHOAL);
    let text = std::fs::read_to_string(&rig.fleet).unwrap()
        + &format!(
            "[[host]]\nname = \"box\"\nssh = \"{user}@127.0.0.1\"\nport = {port}\n\
             identity = \"{key}\"\nssh_options = [\"UserKnownHostsFile={known}\", \"ConnectTimeout=5\"]\n\
             shoal_home = \"{dir}/remote-home\"\n\n\
             [[agent]]\nname = \"far\"\ncmd = \"{sim} work --every 300ms\"\nkind = \"claude\"\nhost = \"box\"\n",
            user = user(),
            port = sshd.port,
            key = dir.join("client_key").display(),
            known = known.display(),
            dir = dir.display(),
        );
    std::fs::write(&rig.fleet, text).unwrap();

    // The host key is unknown: batch mode never asks, and the error says what to do.
    let out = rig.shoal(&["up", "--no-console"]);
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(said.contains("Host key verification failed"), "{said}");
    assert!(said.contains("ssh-keyscan"), "{said}");

    std::fs::write(&known, sshd.host_key_line()).unwrap();
    rig.ok(&["retry", "far"]);
    rig.supervise();
    let far = rig.wait_for(Duration::from_secs(30), "far working over sshd", || {
        let a = rig.agent("far");
        (a["activity"] == "working").then_some(a)
    });
    assert_eq!(far["server"], format!("box:{}", rig.socket()), "{far}");
    rig.ok(&["kill", "far"]);
    rig.wait_for(Duration::from_secs(20), "far killed", || {
        (rig.agent("far")["state"] == "killed").then_some(())
    });
    // The shared connection's socket sits in the private directory.
    let shared = std::fs::read_dir(rig.home().join("ssh")).unwrap().count();
    assert!(shared >= 1, "no ControlMaster socket in the data dir");
    // End the shared connection now rather than after ControlPersist.
    let _ = Command::new("ssh")
        .arg("-o")
        .arg(format!("ControlPath={}/ssh/%C", rig.home().display()))
        .args(["-O", "exit", "-p", &sshd.port.to_string()])
        .arg(format!("{}@127.0.0.1", user()))
        .stderr(Stdio::null())
        .status();
}
