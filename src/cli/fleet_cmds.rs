//! Commands that act on a fleet: up, supervise, status, events, the agent actions, down.

use super::ctx::Ctx;
use super::output;
use crate::fleet::Command;
use crate::fleet::LifeState;
use crate::supervisor::runner::{self, now_ms};
use anyhow::{bail, Result};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// How long `up` waits for started agents to look ready and get their task.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(15);

/// Start the declared agents that never ran, type their tasks as they become ready,
/// and return.
pub fn up(fleet: &Path) -> Result<i32> {
    crate::tmux::Server::check_installed()?;
    let ctx = Ctx::open(fleet)?;
    if let Some(h) = ctx.live_supervisor()? {
        println!(
            "fleet {}: the running supervisor (pid {}) starts the declared agents",
            ctx.fleet.name, h.pid
        );
        return Ok(0);
    }
    let mut sup = ctx.supervisor(false)?;
    let started = sup.start_queued(now_ms());
    let mut failed = 0;
    for (name, r) in &started {
        match r {
            Ok(what) => println!("{name}: {what}"),
            Err(e) => {
                failed += 1;
                eprintln!("{name}: could not start: {e}");
            }
        }
    }
    // Deliver tasks to the agents just started, as they become ready.
    let t0 = Instant::now();
    while !sup.unsettled().is_empty() && t0.elapsed() < SETTLE_TIMEOUT {
        std::thread::sleep(Duration::from_millis(300));
        let now = now_ms();
        sup.observe_all(now);
        sup.settle(now);
    }
    for name in sup.unsettled() {
        println!(
            "{name}: still starting; its task is typed once a supervisor runs (`shoal supervise`)"
        );
    }
    for a in sup.snapshot(now_ms()).agents {
        if a.state.is_ended() && !started.iter().any(|(n, _)| n == &a.name) {
            println!(
                "{}: {} (attempt {}); `shoal retry {}` starts it again",
                a.name, a.state, a.attempt, a.name
            );
        }
    }
    for a in sup.snapshot(now_ms()).agents {
        if let Some(pos) = a.lineage.queue_pos {
            println!(
                "{}: queued #{pos} (max_running or its parent's max_children); a supervisor starts it when a slot frees",
                a.name
            );
        }
    }
    if started.is_empty() {
        println!("fleet {}: nothing to start", ctx.fleet.name);
    }
    Ok(if failed > 0 { 1 } else { 0 })
}

pub fn supervise(fleet: &Path) -> Result<i32> {
    crate::tmux::Server::check_installed()?;
    let ctx = Ctx::open(fleet)?;
    let sup = ctx.supervisor(true)?;
    let handle = runner::spawn(sup).map_err(anyhow::Error::msg)?;
    // Config and fleet file changes apply while it runs; problems are printed once each.
    let loader = super::reload::Loader::new(
        ctx.paths.clone(),
        ctx.config.clone(),
        Some((ctx.fleet.path.clone(), ctx.fleet.clone())),
        ctx.home.clone(),
        crate::theme::ColorDepth::Mono,
        Some(handle.updates.clone()),
    );
    let (_watch, mut live) = match super::reload::start(loader) {
        Ok((w, rx)) => (Some(w), Some(rx)),
        Err(e) => {
            eprintln!("shoal: {e}");
            (None, None)
        }
    };
    let mut reported: Vec<String> = Vec::new();
    let mut announced: Vec<String> = ctx.fleet.agents.iter().map(|a| a.name.clone()).collect();
    let stop = handle.stop_flag();
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, stop.clone())?;
    }
    eprintln!(
        "shoal: supervising fleet {} (pid {}); Ctrl-C stops the supervisor, agents keep running",
        ctx.fleet.name,
        std::process::id()
    );
    while !stop.load(Ordering::SeqCst) {
        if let Some(rx) = live.as_mut().filter(|rx| rx.has_changed().unwrap_or(false)) {
            let l = std::sync::Arc::clone(&rx.borrow_and_update());
            for p in l.problems.iter().filter(|p| !reported.contains(p)) {
                eprintln!("shoal: {p} (old settings kept until it is fixed)");
            }
            reported = l.problems.clone();
            if let Some(f) = &l.fleet {
                let new: Vec<&str> = f
                    .agents
                    .iter()
                    .map(|a| a.name.as_str())
                    .filter(|n| !announced.iter().any(|k| k == n))
                    .collect();
                if !new.is_empty() {
                    eprintln!(
                        "shoal: new in the fleet file: {}; `shoal up` starts them",
                        new.join(", ")
                    );
                }
                announced = f.agents.iter().map(|a| a.name.clone()).collect();
            }
        }
        match handle.events.recv_timeout(Duration::from_millis(200)) {
            Ok(e) => println!("{}", output::event_line(&e)),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    handle.stop();
    eprintln!("shoal: supervisor stopped");
    Ok(0)
}

pub fn status(fleet: &Path, json: bool, all: bool) -> Result<i32> {
    let ctx = Ctx::open(fleet)?;
    let mut sup = ctx.supervisor(false)?;
    // With no supervisor running, look at the panes now so the answer is current.
    let live = ctx.live_supervisor()?;
    let now = now_ms();
    if live.is_none() {
        sup.observe_all(now);
    }
    let snap = sup.snapshot(now);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&super::status_out::status_json(&snap, now, all))?
        );
    } else {
        print!("{}", super::status_out::status_table(&snap, now, all));
        if live.is_none() {
            println!(
                "(no supervisor running: no escalation happens; start one with `shoal supervise`)"
            );
        }
    }
    Ok(0)
}

pub fn events(fleet: &Path, agent: Option<&str>, json: bool) -> Result<i32> {
    let ctx = Ctx::open(fleet)?;
    if let Some(a) = agent {
        if ctx.store.agent(a)?.is_none() {
            let names: Vec<String> = ctx.store.agents()?.into_iter().map(|r| r.name).collect();
            bail!(
                "no agent named {a:?} in fleet {}; agents: {}",
                ctx.fleet.name,
                names.join(", ")
            );
        }
    }
    let events = ctx.store.events(agent, 0, i64::MAX as usize)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&events)?);
    } else {
        for e in &events {
            println!("{}", output::event_line(e));
        }
    }
    Ok(0)
}

/// Carry out one agent command: through the running supervisor when there is one
/// (queued in the store and done exactly once), otherwise here and now.
pub fn act(fleet: &Path, cmd: Command) -> Result<i32> {
    let ctx = Ctx::open(fleet)?;
    if let Some(holder) = ctx.live_supervisor()? {
        let id = ctx.store.enqueue_command(&cmd, now_ms())?;
        let wait = (ctx.fleet.poll_interval * 10).max(Duration::from_secs(10));
        let t0 = Instant::now();
        while t0.elapsed() < wait {
            std::thread::sleep(Duration::from_millis(50));
            match ctx.store.command_status(id)? {
                Some((status, Some(result))) if status == "done" => {
                    println!("{result}");
                    return Ok(0);
                }
                Some((status, Some(result))) if status == "failed" => {
                    eprintln!("shoal: {result}");
                    return Ok(1);
                }
                _ => {}
            }
        }
        bail!(
            "the supervisor (pid {}) did not carry out `{}` within {}s; it stays queued and runs when the supervisor catches up",
            holder.pid,
            cmd.verb(),
            wait.as_secs()
        );
    }
    let mut sup = ctx.supervisor(false)?;
    sup.observe_all(now_ms());
    let result = sup.execute(&cmd, now_ms());
    match result {
        Ok(what) => {
            println!("{what}");
            if matches!(cmd, Command::Cancel { .. }) {
                // Nobody else will finish the cancel: wait out the grace period here.
                while !sup.unsettled().is_empty() {
                    std::thread::sleep(Duration::from_millis(250));
                    let now = now_ms();
                    sup.observe_all(now);
                    sup.settle(now);
                }
                if let Some(a) = sup.snapshot(now_ms()).agent(cmd.agent()) {
                    println!("{}: {}", a.name, a.state);
                }
            }
            Ok(0)
        }
        Err(why) => {
            eprintln!("shoal: {why}");
            Ok(1)
        }
    }
}

/// Refuse text that cannot be typed literally, before anything is queued.
pub fn check_text(text: &str) -> Result<()> {
    crate::fleet::typed::check_typed(text).map_err(|e| anyhow::anyhow!("{e}"))
}

/// `shoal send --keys AGENT KEY…`: tmux key names straight into the agent's pane, after
/// checking that the pane still carries the agent's marks (a restarted tmux server
/// numbers panes anew). Not queued through a running supervisor.
pub fn send_keys(fleet: &Path, agent: &str, keys: &[String]) -> Result<i32> {
    use crate::tmux::{OneShot, TmuxBackend};
    let ctx = Ctx::open(fleet)?;
    let sup = ctx.supervisor(false)?;
    let snap = sup.snapshot(now_ms());
    let Some(a) = snap.agent(agent) else {
        let names: Vec<&str> = snap.agents.iter().map(|a| a.name.as_str()).collect();
        bail!(
            "no agent named {agent:?} in fleet {}; agents: {}",
            ctx.fleet.name,
            names.join(", ")
        );
    };
    let (Some(server), Some(pane)) = (a.server.clone(), a.pane.clone()) else {
        bail!(
            "{agent} has no pane (state {}); `shoal retry {agent}` starts it",
            a.state
        );
    };
    if !matches!(a.state, LifeState::Starting | LifeState::Running) {
        bail!(
            "{agent} is not running (state {}); `shoal retry {agent}` starts it again",
            a.state
        );
    }
    let mut tmux = OneShot::new(server.clone());
    let listed = tmux.list_panes()?;
    let ours = listed
        .iter()
        .find(|p| p.pane_id == pane)
        .is_some_and(|p| p.agent.as_deref() == Some(agent) && p.attempt == Some(a.attempt));
    if !ours {
        bail!(
            "pane {pane} on tmux server {server} is no longer {agent}'s attempt {}; nothing was sent",
            a.attempt
        );
    }
    tmux.send_keys(&pane, keys)?;
    println!("sent {} to {agent}", keys.join(" "));
    Ok(0)
}

/// Stop the fleet: the supervisor, every agent (recorded as killed), every live tmux
/// server of the fleet with every process in its panes, and any process still carrying
/// the fleet's marker. Exits 1 when a process survives, naming it.
pub fn down(fleet: &Path) -> Result<i32> {
    let ctx = Ctx::open(fleet)?;
    if let Some(h) = ctx.live_supervisor()? {
        eprintln!("shoal: stopping the supervisor (pid {})", h.pid);
        // SAFETY: sending SIGTERM to a pid read from the lease; it is ours by contract.
        unsafe { libc::kill(h.pid as i32, libc::SIGTERM) };
        let t0 = Instant::now();
        while ctx.live_supervisor()?.is_some() && t0.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let mut sup = ctx.supervisor(false)?;
    let now = now_ms();
    sup.observe_all(now);
    let snap = sup.snapshot(now);
    let known: Vec<String> = snap
        .agents
        .iter()
        .filter_map(|a| a.server.clone())
        .filter(|s| super::lineage_ctx::is_fleet_socket(&ctx.fleet.name, s))
        .collect();
    // Before any window closes: the panes' pids anchor the process trees.
    let plans = super::teardown::plan(&ctx.fleet.name, &ctx.home, &known);
    for a in snap
        .agents
        .iter()
        .filter(|a| matches!(a.state, LifeState::Starting | LifeState::Running))
    {
        if a.lineage.adopted {
            // shoal did not start it, so it does not stop it: the pane is the user's.
            println!(
                "{}: adopted pane {} left running on tmux server {}",
                a.name,
                a.pane.as_deref().unwrap_or("-"),
                a.server.as_deref().unwrap_or("-")
            );
            continue;
        }
        match sup.execute(
            &Command::Kill {
                agent: a.name.clone(),
            },
            now,
        ) {
            Ok(_) => println!("{}: killed (final screen kept)", a.name),
            Err(e) => eprintln!("{}: {e}", a.name),
        }
    }
    let done = super::teardown::execute(
        &plans,
        &ctx.fleet.name,
        &ctx.home,
        super::teardown::DOWN_GRACE,
    );
    let mut failed = false;
    for (socket, result) in &done.servers {
        match result {
            Ok(()) => println!("tmux server {socket}: stopped"),
            Err(e) => {
                failed = true;
                eprintln!("tmux server {socket}: {e}");
            }
        }
    }
    if !done.report.ended.is_empty() || !done.report.is_clean() {
        println!("processes: {}", done.report.summary());
    }
    for s in &done.report.survivors {
        failed = true;
        eprintln!(
            "shoal: pid {} ({}) is still running: {}",
            s.pid, s.comm, s.reason
        );
    }
    Ok(if failed { 1 } else { 0 })
}
