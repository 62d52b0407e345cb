//! Commands that act on a fleet: up, supervise, status, events, the agent actions, down.

pub use super::act::act;
use super::act::KILL_WAIT;
use super::caller;
use super::ctx::{Ctx, FleetArg};
use super::output;
use super::resume_offer;
use crate::fleet::LifeState;
use crate::fleet::{Command, Verb};
use crate::supervisor::runner::{self, now_ms};
use anyhow::{bail, Result};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// How long `up` waits for started agents to look ready and get their task.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(15);

/// Start the declared agents that never ran, type their tasks as they become ready,
/// and return.
pub fn up(fleet: &FleetArg, resume: resume_offer::Choice) -> Result<i32> {
    crate::tmux::Server::check_installed()?;
    let ctx = Ctx::open(fleet)?;
    if let Some(h) = ctx.live_supervisor()? {
        println!(
            "fleet {}: the running supervisor (pid {}) starts the declared agents",
            ctx.fleet.settings.name, h.pid
        );
        let snap = ctx.supervisor(false)?.snapshot(now_ms());
        let names = resume_offer::choose(&ctx, &snap, resume)?;
        resume_offer::retry_through_supervisor(&ctx, &names)?;
        return Ok(0);
    }
    let mut sup = ctx.supervisor(false)?;
    let started = sup.start_queued(now_ms());
    // One look at tmux ends the attempts whose server is gone, so they can be offered.
    sup.observe_all(now_ms());
    let again = resume_offer::choose(&ctx, &sup.snapshot(now_ms()), resume)?;
    let restarted = resume_offer::retry_here(&ctx, &mut sup, &again)?;
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
        if a.state.is_ended()
            && !started.iter().any(|(n, _)| n == &a.name)
            && !restarted.contains(&a.name)
        {
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
    if started.is_empty() && restarted.is_empty() {
        println!("fleet {}: nothing to start", ctx.fleet.settings.name);
    }
    Ok(i32::from(failed > 0))
}

/// Run the supervisor until SIGINT or SIGTERM. `detached`: this is the process
/// `--detach` started (it records so, and keeps a pid file); `take_over`: the console
/// whose lease this one takes over as it quits.
pub fn supervise(fleet: &FleetArg, detached: bool, take_over: Option<u32>) -> Result<i32> {
    crate::tmux::Server::check_installed()?;
    let ctx = Ctx::open(fleet)?;
    let sup = ctx.supervisor(true)?;
    let mode = if detached {
        crate::store::SupervisorMode::Detached
    } else {
        crate::store::SupervisorMode::Foreground
    };
    let handle = match take_over {
        Some(from) => runner::spawn_taking_over(sup, mode, from, TAKE_OVER_WAIT),
        None => runner::spawn(sup, mode),
    }
    .map_err(anyhow::Error::msg)?;
    let pid_file = detached.then(|| super::supervisor_cmds::pid_path(&ctx));
    if let Some(p) = &pid_file {
        let _ = std::fs::write(p, format!("{}\n", std::process::id()));
    }
    // Config and fleet file changes apply while it runs; problems are printed once each.
    let loader = super::reload::Loader::new(
        ctx.paths.clone(),
        ctx.config.clone(),
        Some((ctx.fleet.path.clone(), ctx.fleet.clone())),
        crate::theme::ColorDepth::Mono,
        Some(handle.updates.clone()),
        ctx.overrides.clone(),
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
    let how_to_stop = if detached {
        "`shoal supervisor stop` stops it"
    } else {
        "Ctrl-C stops the supervisor"
    };
    eprintln!(
        "shoal: supervising fleet {} (pid {}); {how_to_stop}, agents keep running",
        ctx.fleet.settings.name,
        std::process::id()
    );
    let mut snapshots = handle.snapshots.clone();
    let mut errors = ErrorEcho::default();
    while !stop.load(Ordering::SeqCst) {
        // Tick and store errors go to stderr too: the store may be what fails.
        if snapshots.has_changed().unwrap_or(false) {
            let error = snapshots.borrow_and_update().stats.error.clone();
            if let Some(line) = errors.echo(error, now_ms()) {
                eprintln!("shoal: {line}");
            }
        }
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
        // Queued commands' outcomes are in the store (their callers read them there)
        // and their events are printed; the channel copy is dropped, not left to pile up.
        while handle.outcomes.try_recv().is_ok() {}
        match handle.events.recv_timeout(Duration::from_millis(200)) {
            Ok(e) => println!("{}", output::event_line(&e)),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    if let Some(p) = &pid_file {
        let _ = std::fs::remove_file(p);
    }
    if let Some(why) = handle.ended_because() {
        eprintln!("shoal: {why}");
        return Ok(1);
    }
    handle.stop();
    eprintln!("shoal: supervisor stopped");
    Ok(0)
}

/// Tick errors echoed to stderr: each new one at once, a lasting one again once a minute,
/// and its end.
#[derive(Debug, Default)]
pub(crate) struct ErrorEcho {
    last: Option<String>,
    said_ms: i64,
}

impl ErrorEcho {
    /// The line to print for the error the supervisor shows now, if any is due.
    pub(crate) fn echo(&mut self, error: Option<String>, now_ms: i64) -> Option<String> {
        const AGAIN_MS: i64 = 60_000;
        let line = match (&self.last, &error) {
            (None, None) => None,
            (Some(_), None) => Some("the supervisor's last error cleared".to_string()),
            (Some(old), Some(new)) if old == new && now_ms - self.said_ms < AGAIN_MS => None,
            (Some(old), Some(new)) if old == new => Some(format!("still failing: {new}")),
            (_, Some(new)) => Some(format!("tick error: {new}")),
        };
        if line.is_some() {
            self.said_ms = now_ms;
        }
        self.last = error;
        line
    }
}

/// How long a supervisor taking over waits for the current one to let go.
const TAKE_OVER_WAIT: Duration = Duration::from_secs(15);

pub fn status(fleet: &FleetArg, json: bool, all: bool) -> Result<i32> {
    let ctx = Ctx::open(fleet)?;
    let mut sup = ctx.supervisor(false)?;
    // With no supervisor running, look at the panes now so the answer is current.
    let live = ctx.live_supervisor()?;
    let now = now_ms();
    if live.is_none() {
        sup.observe_all(now);
    }
    let mut snap = sup.snapshot(now);
    super::status_out::read_endings(&mut snap, &ctx.store);
    if live.is_some() {
        if let Ok(Some(p)) = ctx.store.published_snapshot() {
            super::status_out::overlay_hosts(&mut snap, &p.snapshot);
        }
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&super::status_out::status_json(&snap, now, all))?
        );
    } else {
        print!("{}", super::status_out::status_table(&snap, now, all));
        for h in &snap.stats.unreachable {
            println!("host {h}");
        }
        if live.is_none() {
            println!(
                "(no supervisor running: no escalation happens; start one with `shoal supervise`)"
            );
        }
    }
    Ok(0)
}

pub fn events(fleet: &FleetArg, agent: Option<&str>, json: bool) -> Result<i32> {
    let ctx = Ctx::open(fleet)?;
    if let Some(a) = agent {
        if ctx.store.agent(a)?.is_none() {
            let names: Vec<String> = ctx.store.agents()?.into_iter().map(|r| r.name).collect();
            bail!(
                "no agent named {a:?} in fleet {}; agents: {}",
                ctx.fleet.settings.name,
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

/// Refuse text that cannot be typed literally, before anything is queued.
pub fn check_text(text: &str) -> Result<()> {
    crate::fleet::typed::check_typed(text).map_err(|e| anyhow::anyhow!("{e}"))
}

/// `shoal send --keys AGENT KEY…`: tmux key names straight into the agent's pane, after
/// checking that the pane still carries the agent's marks (a restarted tmux server
/// numbers panes anew). Not queued through a running supervisor.
pub fn send_keys(fleet: &FleetArg, agent: &str, keys: &[String]) -> Result<i32> {
    use crate::tmux::{OneShot, TmuxBackend};
    let ctx = Ctx::open(fleet)?;
    let sup = ctx.supervisor(false)?;
    let snap = sup.snapshot(now_ms());
    let Some(a) = snap.agent(agent) else {
        let names: Vec<&str> = snap.agents.iter().map(|a| a.name.as_str()).collect();
        bail!(
            "no agent named {agent:?} in fleet {}; agents: {}",
            ctx.fleet.settings.name,
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
    let mut tmux = OneShot::new(ctx.hosts().server(&server));
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
pub fn down(fleet: &FleetArg) -> Result<i32> {
    let ctx = Ctx::open(fleet)?;
    let caller = caller::identify(&ctx)?;
    caller::authorize(&ctx, &caller, Verb::Down, "")?;
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
    let hosts = ctx.hosts();
    let known: Vec<crate::tmux::Server> = snap
        .agents
        .iter()
        .filter_map(|a| a.server.clone())
        .filter(|s| {
            let socket = crate::fleet::host::split_server(s).1;
            super::ctx::is_fleet_socket(&ctx.fleet.settings.name, socket)
        })
        .map(|s| hosts.server(&s))
        .collect();
    // Before any window closes: the panes' pids anchor the process trees.
    let plans = super::teardown::plan(&ctx.fleet.settings.name, &ctx.home, &known);
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
        match sup.execute_as(
            &caller,
            &Command::Kill {
                agent: a.name.clone(),
            },
            now,
        ) {
            Ok(_) => println!("{}: killed (final screen kept)", a.name),
            Err(e) => eprintln!("{}: {e}", a.name),
        }
    }
    // The kills run side by side: wait out their grace so each attempt is recorded
    // killed (or failed, naming a survivor) before the servers go.
    let t0 = Instant::now();
    while !sup.unsettled().is_empty() && t0.elapsed() < KILL_WAIT {
        std::thread::sleep(Duration::from_millis(100));
        sup.settle(now_ms());
    }
    let done = super::teardown::execute(
        &plans,
        &ctx.fleet.settings.name,
        &ctx.home,
        super::teardown::DOWN_GRACE,
    );
    Ok(done.print())
}

#[cfg(test)]
mod tests {
    use super::ErrorEcho;

    #[test]
    fn tick_errors_are_echoed_once_then_once_a_minute_and_their_end_is_said() {
        let mut e = ErrorEcho::default();
        let busy = || Some("store busy".to_string());
        assert_eq!(e.echo(None, 0), None);
        assert_eq!(
            e.echo(busy(), 1000).as_deref(),
            Some("tick error: store busy")
        );
        assert_eq!(e.echo(busy(), 2000), None);
        assert_eq!(e.echo(busy(), 30_000), None);
        assert_eq!(
            e.echo(busy(), 61_000).as_deref(),
            Some("still failing: store busy")
        );
        assert_eq!(
            e.echo(Some("disk full".into()), 62_000).as_deref(),
            Some("tick error: disk full")
        );
        assert_eq!(
            e.echo(None, 63_000).as_deref(),
            Some("the supervisor's last error cleared")
        );
        assert_eq!(e.echo(None, 64_000), None);
    }
}
