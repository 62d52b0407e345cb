//! `shoal kill` and the stall ladder's kill tier end the agent's whole process tree,
//! not just its window: an agent that ignores INT/TERM/HUP and leaves a `setsid`
//! grandchild behind (reparented to init) has no process left afterwards, and the
//! attempt reads `killed` only then.

use crate::common::Rig;
use std::time::{Duration, Instant};

/// Ignores every polite signal; the grandchild leaves the pane's session.
const AGENT: &str = r#"
[[agent]]
name = "a"
cmd = '''bash -c 'trap "" INT TERM HUP; (setsid sleep 1001 &); exec sleep 1002' '''
"#;

/// Live (not zombie) processes whose environment holds every `NAME=value` of `pairs`
/// (separated by newlines), as `(pid, cmdline)`. Read from `/proc` independently of
/// the code under test.
pub fn with_env(pairs: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        let Ok(env) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        let has = |pair: &str| env.split(|&b| b == 0).any(|e| e == pair.as_bytes());
        if !pairs.lines().all(has) {
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

/// SIGKILLs whatever a failed test left behind with its marker.
pub struct Sweep(pub String);

impl Drop for Sweep {
    fn drop(&mut self) {
        for (pid, _) in with_env(&self.0) {
            // SAFETY: kill(2) of a process carrying this test's own marker.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
    }
}

/// What shoal puts in agent `a`'s environment (the rig's commands carry the home too).
fn marker(rig: &Rig) -> String {
    format!("SHOAL_HOME={}\nSHOAL_AGENT=a", rig.home().display())
}

/// Wait until both sleeps of the agent run; returns their pids.
fn both_sleeps(rig: &Rig) -> Vec<u32> {
    let pair = marker(rig);
    rig.wait_for(Duration::from_secs(20), "both sleeps to run", || {
        let sleeps: Vec<u32> = with_env(&pair)
            .into_iter()
            .filter(|(_, c)| c.starts_with("sleep 100"))
            .map(|(p, _)| p)
            .collect();
        (sleeps.len() == 2).then_some(sleeps)
    })
}

/// Once the attempt reads ended, nothing of it is alive.
fn assert_all_gone(rig: &Rig, state: &str) {
    let a = rig.wait_for(Duration::from_secs(25), "the attempt to end", || {
        let a = rig.agent("a");
        (a["state"] != "running" && a["state"] != "starting").then_some(a)
    });
    let left = with_env(&marker(rig));
    assert_eq!(
        left,
        Vec::<(u32, String)>::new(),
        "processes of the killed agent are alive (state {})",
        a["state"]
    );
    assert_eq!(a["state"], state);
    // The last `kill` event is the kill's own (an operator's request is one too).
    let kill = rig
        .events("a")
        .into_iter()
        .rfind(|e| e["kind"] == "kill")
        .expect("a kill event");
    let detail = kill["detail"].as_str().unwrap_or("");
    assert!(detail.contains("processes ended"), "{detail}");
}

#[test]
fn shoal_kill_through_a_supervisor_ends_every_process_of_the_agent() {
    let mut rig = Rig::new("stall_timeout = \"1h\"\npoll_interval = \"250ms\"", AGENT);
    let _sweep = Sweep(marker(&rig));
    rig.supervise();
    let sleeps = both_sleeps(&rig);
    let t0 = Instant::now();
    let out = rig.ok(&["kill", "a"]);
    println!("{out} ({:?})", t0.elapsed());
    assert!(out.contains("a: killed"), "{out}");
    for pid in sleeps {
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists()
                || std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s
                    .rsplit(')')
                    .next()
                    .unwrap_or("")
                    .trim_start()
                    .starts_with('Z')),
            "sleep {pid} survived `shoal kill`"
        );
    }
    assert_all_gone(&rig, "killed");
}

#[test]
fn shoal_kill_without_a_supervisor_ends_every_process_of_the_agent() {
    let rig = Rig::new("stall_timeout = \"1h\"", AGENT);
    let _sweep = Sweep(marker(&rig));
    rig.ok(&["up", "--no-console"]);
    both_sleeps(&rig);
    let out = rig.ok(&["kill", "a"]);
    assert!(out.contains("a: killed"), "{out}");
    assert_all_gone(&rig, "killed");
}

#[test]
fn the_ladder_kill_tier_ends_every_process_of_the_agent() {
    let mut rig = Rig::new("stall_timeout = \"1s\"\npoll_interval = \"250ms\"", AGENT);
    let _sweep = Sweep(marker(&rig));
    rig.supervise();
    both_sleeps(&rig);
    assert_all_gone(&rig, "killed");
    let kinds = rig.event_kinds("a");
    assert_eq!(
        kinds.iter().filter(|k| *k == "kill").count(),
        1,
        "one kill event: {kinds:?}"
    );
}
