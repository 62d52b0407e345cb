//! `shoal down` ends the whole fleet: every live tmux server named after it (also one
//! no attempt names any more), and every process in their panes, including agents that
//! ignore SIGHUP/SIGTERM, their background children and their `setsid` grandchildren.

use crate::common::Rig;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Every process ignores INT, TERM and HUP; one grandchild escapes into its own
/// session with init as its parent.
const SCRIPT: &str = r"trap '' INT TERM HUP
sleep 1002 &
setsid sh -c 'exec sleep 1003' &
sh -c 'setsid sleep 1004 & exit 0'
exec sleep 1001
";

/// Live processes whose environment holds `pair`, as `(pid, cmdline)`.
pub(crate) fn with_env(pair: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        let Ok(env) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if !env.split(|&b| b == 0).any(|e| e == pair.as_bytes()) {
            continue;
        }
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        if stat
            .rsplit(')')
            .next()
            .is_some_and(|r| r.trim_start().starts_with('Z'))
        {
            continue;
        }
        let cmd = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        out.push((pid, String::from_utf8_lossy(&cmd).replace('\0', " ")));
    }
    out
}

/// SIGKILLs what a failed test left behind.
pub(crate) struct Sweep(pub Vec<String>);

impl Drop for Sweep {
    fn drop(&mut self) {
        for pair in &self.0 {
            for (pid, _) in with_env(pair) {
                // SAFETY: kill(2) of a process carrying this test's own marker.
                unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            }
        }
    }
}

fn tmux(socket: &str, args: &[&str]) -> bool {
    Command::new("tmux")
        .args(["-L", socket, "-f", "/dev/null"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn down_ends_every_server_of_the_fleet_and_every_process_in_it() {
    let agents = "[[agent]]\nname = \"a\"\ncmd = \"sh SCRIPT\"\n\n\
                  [[agent]]\nname = \"b\"\ncmd = \"sh SCRIPT\"\n";
    let rig = Rig::new("agents_per_server = 1", "");
    let script = rig.dir.path().join("agent.sh");
    std::fs::write(&script, SCRIPT).unwrap();
    let text = std::fs::read_to_string(&rig.fleet).unwrap()
        + &agents.replace("SCRIPT", &script.display().to_string());
    std::fs::write(&rig.fleet, text).unwrap();
    let fleet_pair = format!("SHOAL_FLEET={}", rig.name);
    let stray_pair = format!("SHOAL_DOWN_TEST={}", rig.name);
    let _sweep = Sweep(vec![fleet_pair.clone(), stray_pair.clone()]);

    rig.ok(&["up", "--no-console"]);
    // A server left over from earlier attempts: no agent names it any more; its agent
    // carries the marker shoal gives every agent.
    let stray = format!("{}-3", rig.socket());
    let home = format!("SHOAL_HOME={}", rig.home().display());
    assert!(tmux(
        &stray,
        &[
            "new-session",
            "-d",
            "-s",
            "shoal",
            "-e",
            &stray_pair,
            "-e",
            &fleet_pair,
            "-e",
            &home,
            "-e",
            "SHOAL_AGENT=old",
            &format!("sh {}", script.display()),
        ]
    ));
    let sleeps = |pair: &str| {
        with_env(pair)
            .into_iter()
            .filter(|(_, c)| c.starts_with("sleep 100"))
            .count()
    };
    let t0 = Instant::now();
    while sleeps(&fleet_pair) < 12 || sleeps(&stray_pair) < 4 {
        assert!(
            t0.elapsed() < Duration::from_secs(15),
            "agents did not start: {:?} {:?}",
            with_env(&fleet_pair),
            with_env(&stray_pair)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let second = format!("{}-2", rig.socket());
    assert!(
        tmux(&second, &["has-session"]),
        "agent b runs on its own server"
    );

    let out = rig.shoal(&["down"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}\n{stderr}");
    assert!(out.status.success(), "down failed:\n{stdout}\n{stderr}");
    for socket in [rig.socket(), second.clone(), stray.clone()] {
        assert!(
            stdout.contains(&format!("tmux server {socket}: stopped")),
            "{socket} not reported stopped:\n{stdout}"
        );
        assert!(!tmux(&socket, &["has-session"]), "{socket} still runs");
    }
    assert!(stdout.contains("a: killed"), "{stdout}");
    assert!(stdout.contains("processes ended"), "{stdout}");
    assert_eq!(with_env(&fleet_pair), Vec::<(u32, String)>::new());
    assert_eq!(with_env(&stray_pair), Vec::<(u32, String)>::new());
    assert_eq!(rig.agent("a")["state"], "killed");
}
