//! Killing an agent's whole process tree, against real processes in a private tmux
//! pane: a command that ignores INT/TERM/HUP, a background child, a `setsid` child,
//! and a `setsid` grandchild whose parent has exited (reparented to init). Every
//! process carries a marker unique to the test, and a guard SIGKILLs whatever is left.

use shoal::process::{self, kill_tree, ProcId, Selector};
use shoal::tmux::{OneShot, Server, TmuxBackend, WindowSpec};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// The agent's script: everything ignores INT, TERM and HUP (ignored signals stay
/// ignored across fork and exec).
const SCRIPT: &str = r"trap '' INT TERM HUP
sleep 1002 &
setsid sh -c 'exec sleep 1003' &
sh -c 'setsid sleep 1004 & exit 0'
echo started
exec sleep 1001
";

/// A private tmux server, its marker, and a sweep of marked processes at the end.
struct Rig {
    socket: String,
    fleet: String,
    home: PathBuf,
    dir: tempfile::TempDir,
}

impl Rig {
    fn new() -> Rig {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let fleet = format!("pk{}x{n}", std::process::id());
        let rig = Rig {
            socket: format!("shoal-{fleet}"),
            home: PathBuf::from(format!("/tmp/shoal-pk-home-{fleet}")),
            fleet,
            dir: tempfile::tempdir().unwrap(),
        };
        Server::new(rig.socket.clone())
            .ensure_started(120, 30)
            .expect("start tmux");
        std::fs::write(rig.dir.path().join("agent.sh"), SCRIPT).unwrap();
        rig
    }

    fn marker(&self) -> Vec<(String, String)> {
        process::agent_marker(&self.fleet, "a", &self.home)
    }

    /// Start the agent; returns its pane and pane pid once all four sleeps run.
    fn start(&self) -> (String, u32) {
        let mut env = self.marker();
        env.push(("SHOAL_TEST".into(), "1".into()));
        let spec = WindowSpec {
            name: "a".into(),
            cmd: format!("sh {}", self.dir.path().join("agent.sh").display()),
            cwd: None,
            env,
            agent: "a".into(),
            attempt: 1,
        };
        let pane = OneShot::new(self.socket.clone())
            .open_window(&spec)
            .expect("start the agent");
        let t0 = Instant::now();
        while self.sleeps().len() < 4 {
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "the agent's processes did not all start: {:?}",
                self.sleeps()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        (pane.pane_id, pane.pid)
    }

    /// Live processes with this rig's marker, found independently of the code under
    /// test: `(pid, cmdline)`.
    fn marked(&self) -> Vec<(u32, String)> {
        let want: Vec<String> = self
            .marker()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let mut out = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
                continue;
            };
            let dir = entry.path();
            let Ok(env) = std::fs::read(dir.join("environ")) else {
                continue;
            };
            let env: Vec<&[u8]> = env.split(|&b| b == 0).collect();
            if !want.iter().all(|w| env.contains(&w.as_bytes())) {
                continue;
            }
            let stat = std::fs::read_to_string(dir.join("stat")).unwrap_or_default();
            if stat
                .rsplit(')')
                .next()
                .is_some_and(|r| r.trim_start().starts_with('Z'))
            {
                continue;
            }
            let cmd = std::fs::read(dir.join("cmdline")).unwrap_or_default();
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            out.push((pid, cmd.trim().to_string()));
        }
        out
    }

    fn sleeps(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .marked()
            .into_iter()
            .map(|(_, c)| c)
            .filter(|c| c.starts_with("sleep 100"))
            .collect();
        v.sort();
        v
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        for (pid, _) in self.marked() {
            // SAFETY: plain kill(2) of a process carrying this test's own marker.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
        let _ = Server::new(self.socket.clone()).kill();
        let uid = std::fs::metadata("/proc/self").map_or(0, |m| m.uid());
        let dir = std::env::var_os("TMUX_TMPDIR").unwrap_or_else(|| "/tmp".into());
        let _ = std::fs::remove_file(
            Path::new(&dir)
                .join(format!("tmux-{uid}"))
                .join(&self.socket),
        );
    }
}

fn all_four() -> Vec<String> {
    ["sleep 1001", "sleep 1002", "sleep 1003", "sleep 1004"]
        .map(String::from)
        .to_vec()
}

/// What shoal did before: closing the window. Everything ignores HUP, so all of it
/// lives on with no pane. (This is the failure the tree kill exists for.)
#[test]
fn closing_the_window_alone_leaves_the_agent_running() {
    let rig = Rig::new();
    let (pane, _) = rig.start();
    OneShot::new(rig.socket.clone()).kill_pane(&pane).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(rig.sleeps(), all_four());
}

#[test]
fn kill_tree_ends_every_process_then_the_window_closes() {
    let rig = Rig::new();
    let (pane, pid) = rig.start();
    assert_eq!(rig.sleeps(), all_four());
    let selector = Selector {
        anchors: vec![ProcId::of(pid).expect("pane process runs")],
        known: Vec::new(),
        env: rig.marker(),
    };
    let t0 = Instant::now();
    let report = kill_tree(&selector, Duration::from_millis(500));
    println!("kill took {:?}: {}", t0.elapsed(), report.summary());
    assert!(report.is_clean(), "{}", report.summary());
    assert!(
        report.forced,
        "every process ignores TERM: {}",
        report.summary()
    );
    let ended: Vec<u32> = report.ended.iter().map(|e| e.pid).collect();
    assert!(ended.contains(&pid), "the pane process is among {ended:?}");
    assert!(report.ended.len() >= 4, "{}", report.summary());
    assert_eq!(rig.marked(), Vec::<(u32, String)>::new(), "nothing is left");
    // The pane shows dead (remain-on-exit); the caller closes the window after.
    let dead = rig.tmux(&["display-message", "-p", "-t", &pane, "#{pane_dead}"]);
    assert_eq!(dead.trim(), "1");
    OneShot::new(rig.socket.clone()).kill_pane(&pane).unwrap();
    assert!(!rig
        .tmux(&["list-panes", "-a", "-F", "#{pane_id}"])
        .contains(&pane));
}

/// Without the environment marker, a tree recorded while the parents lived still
/// names the grandchild that escaped into its own session.
#[test]
fn a_snapshot_taken_while_the_parents_lived_finds_the_escaped_grandchild() {
    let rig = Rig::new();
    let (_, pid) = rig.start();
    let anchor_only = Selector {
        anchors: vec![ProcId::of(pid).unwrap()],
        ..Selector::default()
    };
    let with_marker = Selector {
        env: rig.marker(),
        ..anchor_only.clone()
    };
    let known = process::snapshot(&with_marker);
    assert!(known.len() >= 4, "{known:?}");
    let report = kill_tree(
        &Selector {
            known,
            ..anchor_only
        },
        Duration::from_millis(300),
    );
    assert!(report.is_clean(), "{}", report.summary());
    assert_eq!(rig.sleeps(), Vec::<String>::new());
}

/// The limits, stated: with only the pane's pid, the `setsid` grandchild whose parent
/// exited is in another session with init as its parent, and is not found.
#[test]
fn the_pane_pid_alone_cannot_find_a_reparented_setsid_grandchild() {
    let rig = Rig::new();
    let (_, pid) = rig.start();
    let report = kill_tree(
        &Selector {
            anchors: vec![ProcId::of(pid).unwrap()],
            ..Selector::default()
        },
        Duration::from_millis(300),
    );
    assert!(report.is_clean(), "{}", report.summary());
    assert_eq!(rig.sleeps(), ["sleep 1004"]);
}

#[test]
fn a_recorded_pid_that_was_reused_is_left_alone() {
    let mut bystander = Command::new("sleep").arg("30").spawn().unwrap();
    let pid = bystander.id();
    let stale = ProcId {
        pid,
        start: ProcId::of(pid).unwrap().start.saturating_sub(1),
    };
    let report = kill_tree(
        &Selector {
            anchors: vec![stale],
            known: vec![stale],
            env: Vec::new(),
        },
        Duration::from_millis(100),
    );
    let alive = bystander.try_wait().unwrap().is_none();
    let _ = bystander.kill();
    let _ = bystander.wait();
    assert!(alive, "a process that merely reuses the pid was killed");
    assert_eq!(report.summary(), "no process was running");
}
