//! A remote host behind a real `sshd` on a random localhost port with throwaway host and
//! client keys: batch mode refuses the unknown host key with a message that says how to
//! add it; once added, an agent is started, seen working, sent text and killed through
//! real ssh with connection sharing. Opt-in (`SHOAL_SSHD=1`): it needs `openssh-server`
//! and root (sshd's privilege-separation directory); `.ci/run` may set it.

use crate::common::Rig;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SSHD: &str = "/usr/sbin/sshd";

/// A throwaway sshd, killed on drop.
struct Sshd {
    child: Child,
    port: u16,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn keygen(path: &Path) {
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .status()
        .unwrap()
        .success();
    assert!(ok, "ssh-keygen {}", path.display());
}

fn start_sshd(dir: &Path) -> Sshd {
    keygen(&dir.join("host_key"));
    keygen(&dir.join("client_key"));
    std::fs::copy(dir.join("client_key.pub"), dir.join("authorized_keys")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.join("sshd_config");
    std::fs::write(
        &config,
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\n\
             AuthorizedKeysFile {d}/authorized_keys\nPasswordAuthentication no\n\
             KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n\
             PermitRootLogin prohibit-password\nPidFile none\n",
            d = dir.display()
        ),
    )
    .unwrap();
    let _ = std::fs::create_dir_all("/run/sshd");
    let child = Command::new(SSHD)
        .args(["-D", "-e", "-f"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::from(
            std::fs::File::create(dir.join("sshd.log")).unwrap(),
        ))
        .spawn()
        .expect("start sshd");
    let t0 = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "sshd did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Sshd { child, port }
}

fn user() -> String {
    std::env::var("USER").unwrap_or_else(|_| "root".into())
}

#[test]
fn a_real_sshd_host_runs_an_agent_and_an_unknown_host_key_is_refused() {
    if std::env::var_os("SHOAL_SSHD").is_none_or(|v| v != "1") || !Path::new(SSHD).exists() {
        eprintln!("skipped: set SHOAL_SSHD=1 with openssh-server installed");
        return;
    }
    let mut rig = Rig::new("poll_interval = \"250ms\"", "");
    let dir: PathBuf = rig.dir.path().join("sshd");
    std::fs::create_dir_all(&dir).unwrap();
    let sshd = start_sshd(&dir);
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

    let scan = Command::new("ssh-keyscan")
        .args(["-p", &sshd.port.to_string(), "127.0.0.1"])
        .stderr(Stdio::null())
        .output()
        .unwrap();
    std::fs::write(&known, &scan.stdout).unwrap();
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
