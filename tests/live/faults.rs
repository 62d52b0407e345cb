//! Fault injection on a real fleet: the supervisor SIGKILLed at random points and
//! started again, a supervisor stopped past its lease while another takes over and
//! then continued, the fleet's tmux server killed and a new one started on the same
//! socket with other panes, all with agents that ignore SIGHUP/SIGTERM and leave
//! `setsid` children. After each fault:
//!
//! - no process of an agent recorded killed is alive (its `setsid` children included);
//! - nothing is done to a pane that is not the attempt's (a stranger's pane with a
//!   reused id gets no keys and is not killed; the working agent is never escalated);
//! - no attempt has two events of the same tier (nudge, warn, kill);
//! - every event committed before the fault is still in the store.
//!
//! The short round runs in the default suite; `SHOAL_FAULTS_LONG=1` runs the long one.
//! Each test prints what it injected and how often (the README quotes the figures).

use crate::common::Rig;
use crate::down_e2e::Sweep;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn long() -> bool {
    std::env::var("SHOAL_FAULTS_LONG").is_ok_and(|v| v == "1")
}

/// A small xorshift generator: random points that the printed seed reproduces.
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let seed = std::env::var("SHOAL_FAULTS_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
                    | 1
            });
        println!("faults: seed {seed} (SHOAL_FAULTS_SEED={seed} repeats it)");
        Rng(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// An agent that ignores INT/TERM/HUP, leaves a `setsid` grandchild in its own session,
/// then sits silent (the simulated agent's stall).
fn stubborn_script(sim: &str, n: usize) -> String {
    format!(
        "trap '' INT TERM HUP\nsetsid sh -c \"trap '' INT TERM HUP; exec sleep {}\" &\nexec {sim} silent\n",
        3100 + n
    )
}

/// A rig whose agents are `stubborn` stubborn stalling agents and one steady worker.
fn fleet(stubborn: usize, settings: &str) -> (Rig, Sweep) {
    let rig = Rig::new(settings, "");
    let sim = format!("{} sim-agent", crate::common::SHOAL);
    let mut text = std::fs::read_to_string(&rig.fleet).unwrap();
    for n in 0..stubborn {
        let script = rig.dir.path().join(format!("stubborn{n}.sh"));
        std::fs::write(&script, stubborn_script(&sim, n)).unwrap();
        text += &format!(
            "\n[[agent]]\nname = \"s{n}\"\ncmd = \"sh {}\"\nkind = \"claude\"\non_idle = \"nudge\"\n",
            script.display()
        );
    }
    text +=
        "\n[[agent]]\nname = \"worker\"\ncmd = \"{sim} work --every 300ms\"\nkind = \"claude\"\n"
            .replace("{sim}", &sim)
            .as_str();
    std::fs::write(&rig.fleet, text).unwrap();
    let sweep = Sweep(vec![format!("SHOAL_FLEET={}", rig.name)]);
    (rig, sweep)
}

fn all_events(rig: &Rig) -> Vec<Value> {
    let out = rig.ok(&["events", "--json"]);
    serde_json::from_str::<Value>(&out)
        .expect("events --json")
        .as_array()
        .cloned()
        .expect("array")
}

fn event_ids(rig: &Rig) -> BTreeSet<i64> {
    all_events(rig)
        .iter()
        .filter_map(|e| e["id"].as_i64())
        .collect()
}

/// Live processes carrying both environment entries.
fn procs_with(fleet: &str, agent: &str) -> Vec<(u32, String)> {
    let want = [
        format!("SHOAL_FLEET={fleet}"),
        format!("SHOAL_AGENT={agent}"),
    ];
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        let Ok(env) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        let vars: Vec<&[u8]> = env.split(|&b| b == 0).collect();
        if !want.iter().all(|w| vars.contains(&w.as_bytes())) {
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

/// Whether a child process has exited (a zombie until its parent reaps it) or is gone.
fn exited(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| {
        s.rsplit(')')
            .next()
            .is_some_and(|r| r.trim_start().starts_with('Z'))
    })
}

/// The invariants that must hold after every fault. `committed` are event ids seen
/// before it.
fn check(rig: &Rig, committed: &BTreeSet<i64>, what: &str) {
    let events = all_events(rig);
    let ids: BTreeSet<i64> = events.iter().filter_map(|e| e["id"].as_i64()).collect();
    let lost: Vec<&i64> = committed.difference(&ids).collect();
    assert!(lost.is_empty(), "{what}: committed events gone: {lost:?}");
    let mut tiers: BTreeMap<(String, i64, String), usize> = BTreeMap::new();
    for e in &events {
        let kind = e["kind"].as_str().unwrap_or("");
        if matches!(kind, "nudge" | "warn" | "kill") {
            let key = (
                e["agent"].as_str().unwrap_or("").to_string(),
                e["attempt"].as_i64().unwrap_or(0),
                kind.to_string(),
            );
            *tiers.entry(key).or_default() += 1;
        }
    }
    for ((agent, attempt, kind), n) in &tiers {
        assert_eq!(*n, 1, "{what}: {agent}#{attempt} has {n} {kind} events");
        assert_ne!(agent, "worker", "{what}: the working agent got a {kind}");
    }
    for a in rig.status() {
        let name = a["name"].as_str().unwrap_or("").to_string();
        let ended = !matches!(a["state"].as_str(), Some("running" | "starting" | "queued"));
        if a["state"] == "killed" || (ended && a["tier"] == "kill") {
            let left = procs_with(&rig.name, &name);
            assert!(
                left.is_empty(),
                "{what}: {name} is recorded killed but its processes live: {left:?}\n{a}\nevents: {:#?}",
                rig.events(&name)
            );
        }
    }
}

/// Wait until every stubborn agent's current attempt has ended, and check that the
/// ladder's kill ended it.
fn wait_all_killed(rig: &Rig, stubborn: usize, timeout: Duration) {
    let st = rig.wait_for(timeout, "every stalled agent ended by the ladder", || {
        let st = rig.status();
        (0..stubborn)
            .all(|n| {
                st.iter().any(|a| {
                    a["name"] == format!("s{n}")
                        && !matches!(a["state"].as_str(), Some("running" | "starting" | "queued"))
                })
            })
            .then_some(st)
    });
    for a in st.iter().filter(|a| a["name"] != "worker") {
        let name = a["name"].as_str().unwrap_or("");
        assert_eq!(
            a["state"],
            "killed",
            "{name} ended otherwise: {a}\nevents: {:#?}",
            rig.events(name)
        );
    }
}

#[test]
fn supervisor_sigkill_and_sigstop_keep_the_fleet_true() {
    let (kills, stubborn) = if long() { (25, 6) } else { (4, 2) };
    let (mut rig, _sweep) = fleet(
        stubborn,
        "stall_timeout = \"2s\"\npoll_interval = \"250ms\"",
    );
    let mut rng = Rng::new();
    let t0 = Instant::now();
    let mut pid = rig.supervise();
    let mut committed = BTreeSet::new();
    // The invariant on killed agents means something only if the escapees exist.
    rig.wait_for(Duration::from_secs(15), "the setsid children", || {
        (0..stubborn)
            .all(|n| {
                procs_with(&rig.name, &format!("s{n}"))
                    .iter()
                    .any(|(_, c)| c.starts_with(&format!("sleep {}", 3100 + n)))
            })
            .then_some(())
    });

    // SIGKILL at random points of the ladder (the nudge at 2 s, warn at 4 s, the kill of
    // stubborn process trees from 6 s), a new supervisor after each.
    for round in 0..kills {
        std::thread::sleep(Duration::from_millis(200 + rng.below(1300)));
        committed = event_ids(&rig);
        rig.kill_supervisor(pid, libc::SIGKILL);
        check(&rig, &committed, &format!("after SIGKILL {round}"));
        pid = rig.supervise();
        if long() && round % 5 == 4 {
            // Start the stalled agents again so the ladder keeps having work.
            wait_all_killed(&rig, stubborn, Duration::from_secs(60));
            for n in 0..stubborn {
                rig.ok(&["retry", &format!("s{n}")]);
            }
        }
    }
    wait_all_killed(&rig, stubborn, Duration::from_secs(60));
    check(&rig, &committed, "after the SIGKILL round");

    // SIGKILL in the middle of the ladder's kill: SIGTERM sent, the grace running for
    // the setsid child that ignores it. The next supervisor finishes that kill.
    let mut mid_kills = 0;
    for n in 0..stubborn {
        rig.ok(&["retry", &format!("s{n}")]);
    }
    rig.wait_for(Duration::from_secs(30), "a kill under way", || {
        rig.status()
            .iter()
            .any(|a| a["tier"] == "kill" && a["state"] == "running")
            .then_some(())
    });
    committed = event_ids(&rig);
    rig.kill_supervisor(pid, libc::SIGKILL);
    mid_kills += 1;
    pid = rig.supervise();
    wait_all_killed(&rig, stubborn, Duration::from_secs(60));
    check(&rig, &committed, "after SIGKILL during a kill");

    // SIGSTOP past the lease: another supervisor takes over; the first, continued, must
    // act no more (it exits), so no tier is done twice.
    let stops = if long() { 3 } else { 1 };
    for round in 0..stops {
        for n in 0..stubborn {
            rig.ok(&["retry", &format!("s{n}")]);
        }
        rig.wait_ticks(2);
        unsafe { libc::kill(pid as i32, libc::SIGSTOP) };
        let stopped = Instant::now();
        // The lease is stale after 5 s (5 polls, at least 5 s).
        std::thread::sleep(Duration::from_millis(5500));
        let second = rig.supervise();
        rig.wait_ticks(2);
        assert!(stopped.elapsed() > Duration::from_secs(5));
        unsafe { libc::kill(pid as i32, libc::SIGCONT) };
        rig.wait_for(
            Duration::from_secs(15),
            "the continued supervisor to stop",
            || exited(pid).then_some(()),
        );
        rig.kill_supervisor(pid, libc::SIGKILL); // reaps it
        pid = second;
        wait_all_killed(&rig, stubborn, Duration::from_secs(60));
        committed = event_ids(&rig);
        check(&rig, &committed, &format!("after SIGSTOP {round}"));
    }
    let worker = rig.agent("worker");
    assert_eq!(worker["state"], "running", "{worker}");
    assert_eq!(worker["attempt"], 1, "{worker}");
    let ladder_kills = all_events(&rig)
        .iter()
        .filter(|e| e["kind"] == "kill")
        .count();
    println!(
        "faults: {kills} supervisor SIGKILLs at random points and {mid_kills} during a kill's grace, {stops} SIGSTOP past the lease, {stubborn} stubborn agents with setsid children killed {ladder_kills} times by the ladder, {} events kept, in {:.1}s",
        committed.len(),
        t0.elapsed().as_secs_f64()
    );
}

fn tmux(socket: &str, args: &[&str]) -> Option<String> {
    let out = Command::new("tmux")
        .args(["-L", socket, "-f", "/dev/null"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[test]
fn a_restarted_tmux_server_with_other_panes_is_never_acted_on() {
    let restarts = if long() { 5 } else { 1 };
    let (mut rig, _sweep) = fleet(1, "stall_timeout = \"2s\"\npoll_interval = \"250ms\"");
    let t0 = Instant::now();
    rig.supervise();
    let socket = rig.socket();
    let mut strangers_seen = 0;
    for round in 0..restarts {
        rig.wait_for(Duration::from_secs(20), "the fleet running", || {
            let st = rig.status();
            st.iter().all(|a| a["state"] == "running").then_some(())
        });
        let committed = event_ids(&rig);
        tmux(&socket, &["kill-server"]).expect("kill-server");
        // A new server on the same socket numbers its panes from the start again: the
        // strangers' `cat` would echo anything typed, and is ended by any kill.
        let started = Instant::now();
        while tmux(&socket, &["new-session", "-d", "-s", "other", "cat"]).is_none() {
            assert!(started.elapsed() < Duration::from_secs(10), "no new server");
            std::thread::sleep(Duration::from_millis(200));
        }
        let mut strangers = Vec::new();
        for _ in 0..3 {
            let p = tmux(
                &socket,
                &[
                    "new-window",
                    "-d",
                    "-P",
                    "-F",
                    "#{pane_id} #{pane_pid}",
                    "-t",
                    "other:",
                    "cat",
                ],
            )
            .expect("new-window");
            let (id, pid) = p.split_once(' ').expect("id and pid");
            strangers.push((id.to_string(), pid.parse::<u32>().unwrap()));
        }
        strangers_seen += strangers.len();
        // Well past the stall timeout and the ladder's kill at 3×: nothing may be done.
        std::thread::sleep(Duration::from_secs(7));
        rig.wait_ticks(2);
        for (id, pid) in &strangers {
            let screen = rig.capture(id);
            assert!(
                screen.trim().is_empty(),
                "round {round}: the stranger's pane {id} got input:\n{screen}"
            );
            assert!(
                !exited(*pid),
                "round {round}: the stranger's cat {pid} was killed"
            );
        }
        for a in rig.status() {
            assert_ne!(a["state"], "running", "round {round}: {a}");
        }
        check(&rig, &committed, &format!("after tmux restart {round}"));
        // New agents on the new server: the same agents, as new attempts.
        tmux(&socket, &["kill-server"]).expect("kill-server");
        std::thread::sleep(Duration::from_millis(300));
        for name in ["s0", "worker"] {
            rig.ok(&["retry", name]);
        }
    }
    rig.wait_for(Duration::from_secs(20), "the new attempts running", || {
        let st = rig.status();
        st.iter()
            .all(|a| a["state"] == "running" && a["attempt"] == restarts + 1)
            .then_some(())
    });
    println!(
        "faults: {restarts} tmux server kills with {strangers_seen} stranger panes on reused ids, none acted on, in {:.1}s",
        t0.elapsed().as_secs_f64()
    );
}
