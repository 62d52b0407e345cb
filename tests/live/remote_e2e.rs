//! Agents on a remote host, end to end on real tmux without an sshd: `SHOAL_SSH` names a
//! fake ssh that logs its arguments, drops the options and the destination, and runs the
//! remote command here with its own `TMUX_TMPDIR` per host (so the "remote" server is
//! not the local one), failing like ssh when the host is marked down.

use crate::common::Rig;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The fake ssh: `DIR/ssh.log` gets each call's arguments; `DIR/down-DEST` makes it
/// fail as an unreachable host does and ends its open connections; `DIR/tmux-DEST` is
/// the host's tmux directory.
const FAKE_SSH: &str = r#"#!/bin/sh
dir=$(dirname "$0")
# One line per call: a script's newlines become `~`.
{ printf '%s' "$*" | tr '\n' '~'; echo; } >> "$dir/ssh.log"
dest=""
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; break ;;
    -o|-p|-i) shift 2 ;;
    -*) shift ;;
    *) dest="$1"; shift ;;
  esac
done
if [ -e "$dir/down-$dest" ]; then
  echo "ssh: connect to host $dest port 22: Connection refused" >&2
  exit 255
fi
export TMUX_TMPDIR="$dir/tmux-$dest"
mkdir -p "$TMUX_TMPDIR"
# A host that drops cuts the connections already open too.
me=$$
( while kill -0 $me 2>/dev/null && [ ! -e "$dir/down-$dest" ]; do sleep 0.2; done
  [ -e "$dir/down-$dest" ] && { pkill -9 -P $me; kill -9 $me; } ) >/dev/null 2>&1 </dev/null &
exec sh -c "$*"
"#;

/// A rig whose `remote1` host is reached through the fake ssh.
pub(crate) struct Remote {
    pub(crate) rig: Rig,
    pub(crate) dir: PathBuf,
}

impl Remote {
    pub(crate) fn new(settings: &str, agents: &str) -> Remote {
        let mut rig = Rig::new(settings, "");
        let dir = rig.dir.path().join("fakessh");
        std::fs::create_dir_all(&dir).unwrap();
        let ssh = dir.join("ssh");
        std::fs::write(&ssh, FAKE_SSH).unwrap();
        Command::new("chmod").arg("+x").arg(&ssh).status().unwrap();
        rig.env
            .push(("SHOAL_SSH".into(), ssh.display().to_string()));
        let sim = format!("{} sim-agent", crate::common::SHOAL);
        // The "host" keeps shoal's files in the test's directory, not the user's home.
        let text = std::fs::read_to_string(&rig.fleet).unwrap()
            + &format!(
                "[[host]]\nname = \"remote1\"\nssh = \"me@remote1\"\nport = 2222\nshoal_home = \"{}\"\n\n",
                dir.join("home-remote1").display()
            )
            + &agents.replace("{sim}", &sim);
        std::fs::write(&rig.fleet, text).unwrap();
        Remote { rig, dir }
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("ssh.log")).unwrap_or_default()
    }

    pub(crate) fn set_down(&self, down: bool) {
        let flag = self.dir.join("down-me@remote1");
        if down {
            std::fs::write(flag, "").unwrap();
        } else {
            let _ = std::fs::remove_file(flag);
        }
    }

    /// tmux on the "remote" host, directly (not through shoal).
    pub(crate) fn remote_tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .env("TMUX_TMPDIR", self.dir.join("tmux-me@remote1"))
            .env_remove("TMUX")
            .args(["-L", &self.rig.socket(), "-f", "/dev/null"])
            .args(args)
            .stderr(Stdio::null())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Whether the local server of the fleet runs (it must not: every agent is remote).
    fn local_server_runs(&self) -> bool {
        Command::new("tmux")
            .env_remove("TMUX")
            .args(["-L", &self.rig.socket(), "-f", "/dev/null", "ls"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Remote {
    /// A failed test must not leave its TERM-proof agent behind: end every process that
    /// carries this rig's data directory in its environment.
    fn drop(&mut self) {
        self.set_down(false);
        let _ = self.remote_tmux(&["kill-server"]);
        let marker = format!("SHOAL_HOME={}", self.rig.home().display());
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let env = std::fs::read(entry.path().join("environ")).unwrap_or_default();
            if env.split(|b| *b == 0).any(|v| v == marker.as_bytes()) {
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    }
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

#[test]
fn remote_agents_are_started_listed_sent_to_and_killed_over_ssh() {
    let mut r = Remote::new(
        "poll_interval = \"250ms\"",
        r#"
[[agent]]
name = "far"
cmd = "{sim} work --every 300ms"
kind = "claude"
host = "remote1"

[[agent]]
name = "stubborn"
kind = "shell"
cmd = "bash -c 'trap \"\" INT TERM HUP; echo holding; exec sleep 1001'"
host = "remote1"
"#,
    );
    r.rig.ok(&["up", "--no-console"]);

    let far = r.rig.agent("far");
    assert_eq!(far["state"], "running", "{far}");
    let server = format!("remote1:{}", r.rig.socket());
    assert_eq!(far["server"], server.as_str(), "{far}");
    assert!(
        !r.local_server_runs(),
        "a remote agent started a local server"
    );
    let windows = r.remote_tmux(&["list-windows", "-a", "-F", "#{window_name}"]);
    assert!(
        windows.contains("far") && windows.contains("stubborn"),
        "{windows}"
    );

    // Every call went through one shared, batch-mode connection to the host: tmux
    // (the pane's start with its PATH) and the reply shim's install, once.
    let log = r.log();
    let ctl = format!("ControlPath={}/ssh/%C", r.rig.home().display());
    let sock = format!("-L {}", r.rig.socket());
    let mut installs = 0;
    for line in log.lines() {
        for want in [
            "-T -o BatchMode=yes -o ControlMaster=auto",
            ctl.as_str(),
            "-o ControlPersist=60",
            "-p 2222 me@remote1 -- ",
        ] {
            assert!(line.contains(want), "ssh call without {want:?}: {line}");
        }
        if line.contains("-- sh -c") {
            installs += 1;
            assert!(line.contains("shoal-install"), "{line}");
            continue;
        }
        assert!(
            line.contains(sock.as_str()),
            "ssh call without {sock:?}: {line}"
        );
        assert!(
            line.contains("me@remote1 -- tmux ") || line.contains("me@remote1 -- env PATH="),
            "{line}"
        );
    }
    assert_eq!(installs, 1, "{log}");
    assert!(r.dir.join("home-remote1/bin/shoal").is_file());
    assert!(log.contains("new-window"), "{log}");

    // Listing and capture through the host: the supervisor reads the agent's screen.
    r.rig.supervise();
    r.rig
        .wait_for(Duration::from_secs(20), "far to be seen working", || {
            (r.rig.agent("far")["activity"] == "working").then_some(())
        });

    // Typed text lands in the remote pane.
    r.rig.ok(&["send", "stubborn", "echo typed-over-ssh"]);
    r.rig.wait_for(
        Duration::from_secs(10),
        "the text in the remote pane",
        || {
            let pane = r.rig.agent("stubborn")["pane"].as_str()?.to_string();
            r.remote_tmux(&["capture-pane", "-p", "-t", &pane])
                .contains("echo typed-over-ssh")
                .then_some(())
        },
    );

    // A process that ignores TERM and HUP is ended by the signals sent on the host.
    let pane = r.rig.agent("stubborn")["pane"]
        .as_str()
        .unwrap()
        .to_string();
    let pid: u32 = r
        .remote_tmux(&["display-message", "-p", "-t", &pane, "#{pane_pid}"])
        .trim()
        .parse()
        .unwrap();
    r.rig.ok(&["kill", "stubborn"]);
    let stubborn = r
        .rig
        .wait_for(Duration::from_secs(20), "stubborn killed", || {
            let a = r.rig.agent("stubborn");
            (a["state"] != "running").then_some(a)
        });
    assert_eq!(stubborn["state"], "killed", "{stubborn}");
    assert!(!alive(pid), "pid {pid} outlived the remote kill");
    assert!(
        r.log().contains("me@remote1 -- sh -c"),
        "the kill did not go through ssh"
    );
    let windows = r.remote_tmux(&["list-windows", "-a", "-F", "#{window_name}"]);
    assert!(!windows.contains("stubborn"), "window left: {windows}");
}

#[test]
fn an_unreachable_host_leaves_its_agents_unknown_and_they_come_back_unrelaunched() {
    let mut r = Remote::new(
        "poll_interval = \"250ms\"\nstall_timeout = \"2s\"\nrestart = \"always\"",
        r#"
[[agent]]
name = "far"
cmd = "{sim} work --every 300ms"
kind = "claude"
host = "remote1"
"#,
    );
    r.rig.ok(&["up", "--no-console"]);
    r.rig.supervise();
    r.rig.wait_for(Duration::from_secs(20), "far working", || {
        (r.rig.agent("far")["activity"] == "working").then_some(())
    });

    r.set_down(true);
    let calls_before = r.log().lines().count();
    let far = r.rig.wait_for(Duration::from_secs(20), "far unknown", || {
        let a = r.rig.agent("far");
        (a["activity"] == "unknown").then_some(a)
    });
    assert_eq!(far["state"], "running", "{far}");
    let note = far["note"].as_str().unwrap_or_default().to_string();
    assert!(note.starts_with("host down since "), "{far}");
    let table = r.rig.ok(&["status"]);
    assert!(
        table.contains("unknown (host down since "),
        "status table:\n{table}"
    );
    assert!(
        table.contains("host remote1 unreachable since "),
        "status table:\n{table}"
    );

    // Well past the stall timeout: never judged dead, never relaunched, and ssh is not
    // hammered: the pause between tries doubles (1s, 2s, 4s …), ~16 ticks at 250ms.
    std::thread::sleep(Duration::from_secs(4));
    let far = r.rig.agent("far");
    assert_eq!(
        (far["state"].as_str(), far["attempt"].as_u64()),
        (Some("running"), Some(1)),
        "{far}"
    );
    let tries = r.log().lines().count() - calls_before;
    assert!(
        tries <= 8,
        "{tries} ssh calls in ~4s while the host was down"
    );
    let kinds = r.rig.event_kinds("far");
    assert!(
        !kinds
            .iter()
            .any(|k| ["exit", "kill", "nudge", "restart", "lost"].contains(&k.as_str())),
        "{kinds:?}"
    );

    r.set_down(false);
    let far = r
        .rig
        .wait_for(Duration::from_secs(30), "far seen again", || {
            let a = r.rig.agent("far");
            (a["activity"] == "working").then_some(a)
        });
    assert_eq!(far["attempt"], 1, "relaunched: {far}");
    assert!(
        !far["note"]
            .as_str()
            .unwrap_or_default()
            .contains("host down"),
        "{far}"
    );
}

#[test]
fn a_host_key_prompt_is_never_answered_and_the_error_says_how_to_add_the_key() {
    let r = Remote::new(
        "",
        r#"
[[agent]]
name = "far"
cmd = "sleep 100"
kind = "shell"
host = "remote1"
"#,
    );
    // The fake ssh fails as OpenSSH does in batch mode on an unknown host key.
    let ssh = r.dir.join("ssh");
    let text = std::fs::read_to_string(&ssh).unwrap().replace(
        "exec sh -c",
        "echo 'Host key verification failed.' >&2; exit 255\nexec sh -c",
    );
    std::fs::write(&ssh, text).unwrap();
    let out = r.rig.shoal(&["up", "--no-console"]);
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("host `remote1` is unreachable"), "{said}");
    assert!(said.contains("Host key verification failed"), "{said}");
    assert!(said.contains("ssh-keyscan"), "{said}");
    assert!(r.log().contains("BatchMode=yes"), "{}", r.log());
}

#[test]
fn an_agent_whose_host_is_down_waits_queued_and_starts_once_it_answers() {
    let mut r = Remote::new(
        "poll_interval = \"250ms\"",
        r#"
[[agent]]
name = "far"
cmd = "{sim} work --every 300ms"
kind = "claude"
host = "remote1"
"#,
    );
    r.set_down(true);
    let out = r.rig.shoal(&["up", "--no-console"]);
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("host `remote1` is unreachable"), "{said}");
    let far = r.rig.agent("far");
    assert_eq!(
        far["state"], "queued",
        "a down host failed its agent: {far}"
    );

    r.rig.supervise();
    r.rig.wait_ticks(2);
    let calls = r.log().lines().count();
    r.rig.wait_ticks(8);
    assert_eq!(r.rig.agent("far")["state"], "queued");
    // Tried again after a doubling pause, not on every tick.
    let tries = r.log().lines().count() - calls;
    assert!(
        tries <= 4,
        "{tries} ssh calls in 8 ticks while the host was down"
    );

    r.set_down(false);
    let far = r.rig.wait_for(Duration::from_secs(30), "far started", || {
        let a = r.rig.agent("far");
        (a["activity"] == "working").then_some(a)
    });
    assert_eq!(
        (far["state"].as_str(), far["attempt"].as_u64()),
        (Some("running"), Some(1)),
        "{far}"
    );
}
