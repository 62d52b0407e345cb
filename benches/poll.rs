//! CPU cost of one supervisor poll against a real fleet, next to the naive way of
//! watching the same panes (one `tmux capture-pane` process per pane).
//!
//! For each fleet size N it starts N shell agents (one in ten prints a line a second,
//! the rest stay quiet) on tmux servers of 100 panes each, drives a real `Supervisor`
//! with persistent control-mode clients at 1 Hz, and charges every tick with the CPU it
//! cost this process, the `tmux -C` clients and the fleet's tmux servers. Then, on the
//! same panes, it captures every pane with its own `tmux` process per tick.
//!
//! Run with `cargo bench --bench poll`. `SHOAL_BENCH_N=100,500` picks the fleet sizes
//! (default 100,500,1000) and `SHOAL_BENCH_TICKS=10` the measured ticks per way.
//! `SHOAL_BENCH_BUDGET=1` gives the fleet a budget and every tenth agent one of its own
//! (the tick must cost the same: budgets are looked at only when usage changes), and
//! times one evaluation of every budget, what a tick with new usage adds.
//! Every tmux server it starts is private to the run (`shoal-bench<pid>n<N>…`) and is
//! killed at the end, also on panic or Ctrl-C.

mod common;

use anyhow::{bail, ensure, Context, Result};
use common::{fleet_toml, median, server_pid, tmux, Servers, BUSY_EVERY, PER_SERVER};
use shoal::cli::ctx::{connector, registry};
use shoal::fleet::file::{parse, socket_name};
use shoal::fleet::{FleetSnapshot, LifeState};
use shoal::store::Store;
use shoal::supervisor::runner::{now_ms, stale_after_ms};
use shoal::supervisor::{declare, Supervisor};
use shoal::tmux::format::{PANE_FORMAT, POLL_FORMAT};
use shoal::tmux::{ControlClient, TmuxBackend};
use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Ticks run after every pane is up and before measuring, so the first captures and
/// the task hand-off are out of the figures.
const WARMUP_TICKS: usize = 3;
/// How long the fleet may take to show every agent running.
const START_TIMEOUT: Duration = Duration::from_secs(180);

fn main() {
    let stop = Arc::new(AtomicBool::new(false));
    // First Ctrl-C: finish cleanly (servers killed by the guards); second: exit at once.
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register_conditional_shutdown(sig, 1, Arc::clone(&stop));
        let _ = signal_hook::flag::register(sig, Arc::clone(&stop));
    }
    match run(&stop) {
        Ok(()) => {}
        Err(e) => {
            eprintln!("poll bench failed: {e:#}");
            std::process::exit(1);
        }
    }
}

fn run(stop: &AtomicBool) -> Result<()> {
    let sizes = env_list("SHOAL_BENCH_N", &[100, 500, 1000])?;
    let ticks = env_list("SHOAL_BENCH_TICKS", &[10])?[0].max(1);
    let tmux_version = shoal::tmux::Server::check_installed().context("tmux is needed")?;
    println!(
        "shoal poll bench: tmux {tmux_version}, {} cores, {ticks} measured ticks per way, \
         {PER_SERVER} panes per server, 1 in {BUSY_EVERY} agents prints a line a second{}",
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        if with_budgets() {
            "; budgets on the fleet and 1 in 10 agents"
        } else {
            ""
        }
    );
    let mut rows = Vec::new();
    for n in sizes {
        let row = measure_fleet(n, ticks, stop).with_context(|| format!("fleet of {n} agents"))?;
        row.print_detail();
        rows.push(row);
    }
    print_table(&rows);
    if with_budgets() {
        for &n in &env_list("SHOAL_BENCH_N", &[100, 500, 1000])? {
            print_budget_evaluation(n);
        }
    }
    Ok(())
}

/// `SHOAL_BENCH_BUDGET=1`: budgets on the fleet and on one agent in ten.
fn with_budgets() -> bool {
    std::env::var("SHOAL_BENCH_BUDGET").is_ok_and(|v| v == "1")
}

/// The fleet file of the run, with budgets when asked for.
fn bench_fleet_toml(name: &str, n: usize) -> String {
    let mut text = fleet_toml(name, n);
    if with_budgets() {
        text = text.replacen("[fleet]\n", "[fleet]\nbudget = \"$1000\"\n", 1);
        for i in (0..n).step_by(10) {
            let line = format!("name = \"a{i:04}\"\n");
            text = text.replacen(&line, &format!("{line}budget = \"$100\"\n"), 1);
        }
    }
    text
}

/// CPU time of evaluating every budget of a fleet of `n` (one in ten with its own, in
/// chains ten deep), as a tick does after a usage round brought new usage.
fn print_budget_evaluation(n: usize) {
    use shoal::fleet::budget::{evaluate, per_member, Member};
    use shoal::fleet::{Budget, BudgetAction, UsageSum, Usd};
    let names: Vec<String> = (0..n).map(|i| format!("a{i:04}")).collect();
    let budget = |limit| Budget {
        limit: Usd(limit),
        action: BudgetAction::Pause,
    };
    let members: Vec<Member<'_>> = (0..n)
        .map(|i| Member {
            name: &names[i],
            parent: (i % 10 != 0).then(|| names[i - 1].as_str()),
            own: UsageSum {
                cost: 0.01 * i as f64,
                ..UsageSum::default()
            },
            budget: (i % 10 == 0).then(|| budget(100_000_000)),
        })
        .collect();
    let rounds = 200;
    let t = Instant::now();
    for _ in 0..rounds {
        let scopes = evaluate(&members, Some(budget(1_000_000_000)));
        std::hint::black_box(per_member(&scopes, n));
    }
    println!(
        "N={n:<5} one evaluation of every budget ({} scopes): {:.1} µs (mean of {rounds})",
        n / 10 + 1,
        t.elapsed().as_secs_f64() * 1e6 / f64::from(rounds)
    );
}

/// A comma-separated list of positive numbers from the environment, or the default.
fn env_list(name: &str, default: &[usize]) -> Result<Vec<usize>> {
    let Some(text) = std::env::var_os(name) else {
        return Ok(default.to_vec());
    };
    let text = text.to_string_lossy().to_string();
    let list = text
        .split(',')
        .map(|s| s.trim().parse::<usize>().ok().filter(|&v| v > 0))
        .collect::<Option<Vec<_>>>();
    match list {
        Some(l) if !l.is_empty() => Ok(l),
        _ => bail!("{name}={text:?} is not a list of positive numbers; write e.g. {name}=100,500"),
    }
}

/// Everything measured for one fleet size.
struct Row {
    n: usize,
    servers: usize,
    captured: f64,
    shoal: Parts,
    shoal_wall_ms: f64,
    idle_server_ms_per_s: f64,
    detached_server_ms_per_s: f64,
    breakdown: Breakdown,
    naive: Parts,
    naive_wall_ms: f64,
}

/// Median CPU milliseconds per tick, by where they were spent.
#[derive(Default, Clone, Copy)]
struct Parts {
    own: f64,
    clients: f64,
    servers: f64,
    total: f64,
}

impl Row {
    fn print_detail(&self) {
        println!(
            "N={:<5} shoal: median {:.2} ms CPU/tick (self {:.2}, clients {:.2}, servers {:.2}), \
             wall {:.1} ms, {:.0} panes captured/tick; servers between ticks {:.2} ms/s",
            self.n,
            self.shoal.total,
            self.shoal.own,
            self.shoal.clients,
            self.shoal.servers,
            self.shoal_wall_ms,
            self.captured,
            self.idle_server_ms_per_s,
        );
        let b = &self.breakdown;
        println!(
            "N={:<5} parts alone: list-panes -a with the full pane format {:.2} ms, with the \
             tick's poll format {:.2} ms; {} captures {:.2} ms (this process + servers)",
            self.n, b.list_shoal, b.list_poll, b.captured, b.capture,
        );
        println!(
            "N={:<5} servers with no client attached: {:.2} ms/s (the agents' own output)",
            self.n, self.detached_server_ms_per_s,
        );
        println!(
            "N={:<5} naive: median {:.1} ms CPU/tick (capture processes {:.1}, servers {:.1}; \
             spawning them cost this process another {:.1}, not counted), wall {:.0} ms",
            self.n,
            self.naive.total,
            self.naive.clients,
            self.naive.servers,
            self.naive.own,
            self.naive_wall_ms,
        );
    }
}

fn print_table(rows: &[Row]) {
    println!();
    println!("CPU ms per tick, median; shoal = supervisor tick + heartbeat + snapshot");
    println!(
        "{:>5} {:>4} {:>6} | {:>7} {:>7} {:>7} {:>7} {:>7} | {:>8} {:>8} | {:>7} | {:>8}",
        "N",
        "srv",
        "capt",
        "self",
        "clients",
        "servers",
        "total",
        "wall",
        "naive",
        "wall",
        "ratio",
        "%core@1Hz"
    );
    for r in rows {
        println!(
            "{:>5} {:>4} {:>6.0} | {:>7.2} {:>7.2} {:>7.2} {:>7.2} {:>7.1} | {:>8.1} {:>8.0} | {:>6.0}x | {:>8.2}%",
            r.n,
            r.servers,
            r.captured,
            r.shoal.own,
            r.shoal.clients,
            r.shoal.servers,
            r.shoal.total,
            r.shoal_wall_ms,
            r.naive.total,
            r.naive_wall_ms,
            r.naive.total / r.shoal.total.max(1e-9),
            r.shoal.total / 10.0,
        );
    }
    println!();
    for r in rows {
        if r.n == 500 {
            let ratio = r.naive.total / r.shoal.total.max(1e-9);
            println!(
                "target 500 panes >= 100x cheaper than naive: {:.0}x -> {}",
                ratio,
                if ratio >= 100.0 { "met" } else { "MISSED" }
            );
        }
        if r.n == 1000 {
            let pct = r.shoal.total / 10.0;
            println!(
                "target 1000 panes at 1 Hz <= 10% of one core: {:.2}% -> {}",
                pct,
                if pct <= 10.0 { "met" } else { "MISSED" }
            );
        }
    }
}

/// Start a fleet of `n`, measure `ticks` shoal ticks and `ticks` naive rounds on it.
fn measure_fleet(n: usize, ticks: usize, stop: &AtomicBool) -> Result<Row> {
    let name = format!("bench{}n{n}", std::process::id());
    let n_servers = n.div_ceil(PER_SERVER);
    let sockets: Vec<String> = (0..n_servers).map(|i| socket_name(&name, i)).collect();
    // Registered before anything starts: whatever gets started is killed.
    let _servers = Servers {
        sockets: sockets.clone(),
    };
    let home = tempfile::tempdir().context("cannot create a temporary SHOAL_HOME")?;
    // The bench's own data dir and an empty profiles dir: user profiles stay out.
    std::env::set_var("SHOAL_HOME", home.path());
    std::env::set_var("SHOAL_CONFIG", home.path().join("config"));
    let mut sup = supervisor(&name, n, home.path())?;

    print!("N={n}: starting {n} agents on {n_servers} servers… ");
    let _ = std::io::stdout().flush();
    let started = Instant::now();
    let results = sup.start_queued(now_ms());
    if let Some((agent, Err(e))) = results.iter().find(|(_, r)| r.is_err()) {
        bail!("agent {agent} did not start: {e}");
    }
    let snap = wait_running(&mut sup, n, stop)?;
    println!("all running after {:.1} s", started.elapsed().as_secs_f64());

    let server_pids = sockets
        .iter()
        .map(|s| server_pid(s))
        .collect::<Result<Vec<_>>>()?;
    let client_pids = tmux_children()?;
    ensure!(
        client_pids.len() == n_servers,
        "expected one control client per server ({n_servers}), found {} tmux children",
        client_pids.len()
    );
    for _ in 0..WARMUP_TICKS {
        check_stop(stop)?;
        std::thread::sleep(Duration::from_secs(1));
        sup.tick(now_ms());
    }

    let shoal = measure_shoal(&mut sup, ticks, &client_pids, &server_pids, stop)?;
    ensure!(
        tmux_children()? == client_pids,
        "the control clients changed during the run: a connection was lost"
    );
    let panes: Vec<(String, String)> = snap
        .agents
        .iter()
        .filter_map(|a| Some((a.server.clone()?, a.pane.clone()?)))
        .collect();
    ensure!(
        panes.len() == n,
        "only {} of {n} agents have a pane",
        panes.len()
    );
    let per_server = (shoal.captured / n_servers as f64).ceil() as usize;
    let breakdown = breakdown(&sockets, &server_pids, &panes, per_server, stop)?;

    // The naive way runs with no control client attached, as it would in real use.
    drop(sup);
    std::thread::sleep(Duration::from_secs(1));
    let before = sum_schedstat(&server_pids)?;
    let t = Instant::now();
    std::thread::sleep(Duration::from_secs(3));
    let detached_server_ms_per_s =
        ms(sum_schedstat(&server_pids)?.saturating_sub(before)) / t.elapsed().as_secs_f64();
    let naive = measure_naive(&panes, ticks, &server_pids, stop)?;

    Ok(Row {
        n,
        servers: n_servers,
        captured: shoal.captured,
        shoal: shoal.parts,
        shoal_wall_ms: shoal.wall_ms,
        idle_server_ms_per_s: shoal.idle_server_ms_per_s,
        detached_server_ms_per_s,
        breakdown,
        naive: naive.parts,
        naive_wall_ms: naive.wall_ms,
    })
}

/// CPU ms (this process + servers, all servers together) of the parts of a tick's
/// tmux work, each run on its own over extra control clients, median of a few rounds.
struct Breakdown {
    list_shoal: f64,
    list_poll: f64,
    capture: f64,
    captured: usize,
}

const BREAKDOWN_ROUNDS: usize = 5;

/// Time a tick's tmux work piece by piece: `list-panes -a` with shoal's format, the
/// same with the tick's poll format, and a capture of `per_server` panes on every server.
fn breakdown(
    sockets: &[String],
    server_pids: &[u32],
    panes: &[(String, String)],
    per_server: usize,
    stop: &AtomicBool,
) -> Result<Breakdown> {
    let mut clients = sockets
        .iter()
        .map(|s| ControlClient::connect(s).with_context(|| format!("probe client on {s}")))
        .collect::<Result<Vec<_>>>()?;
    let list = |format: &str| {
        vec![vec![
            "list-panes".into(),
            "-a".into(),
            "-F".into(),
            format.into(),
        ]]
    };
    let captures: Vec<Vec<Vec<String>>> = sockets
        .iter()
        .map(|s| {
            panes
                .iter()
                .filter(|(socket, _)| socket == s)
                .take(per_server)
                .map(|(_, p)| {
                    ["capture-pane", "-p", "-e", "-t", p]
                        .map(String::from)
                        .to_vec()
                })
                .collect()
        })
        .collect();
    let probes = [
        vec![list(PANE_FORMAT); sockets.len()],
        vec![list(POLL_FORMAT); sockets.len()],
        captures,
    ];
    let mut costs = [Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..BREAKDOWN_ROUNDS {
        check_stop(stop)?;
        for (probe, cost) in probes.iter().zip(costs.iter_mut()) {
            let before = sample(&[], server_pids)?;
            for (client, batch) in clients.iter_mut().zip(probe) {
                let replies = client.run_batch(batch)?;
                ensure!(
                    replies.iter().all(|r| r.ok && !r.output.is_empty()),
                    "a probe command failed on {}: {:?}",
                    client.socket(),
                    replies
                        .iter()
                        .find(|r| !r.ok)
                        .map(shoal::tmux::Reply::message)
                );
            }
            let after = sample(&[], server_pids)?;
            cost.push(
                ms(after.own.saturating_sub(before.own))
                    + ms(after.servers.saturating_sub(before.servers)),
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    for client in clients.drain(..) {
        client.close();
    }
    let [mut full, mut minimal, mut capture] = costs;
    Ok(Breakdown {
        list_shoal: median(&mut full),
        list_poll: median(&mut minimal),
        capture: median(&mut capture),
        captured: per_server * sockets.len(),
    })
}

/// A real supervisor as `Ctx::supervisor(true)` builds it, on a fresh store.
fn supervisor(name: &str, n: usize, home: &Path) -> Result<Supervisor> {
    let text = bench_fleet_toml(name, n);
    let fleet = parse(&home.join("shoal.toml"), &text).map_err(anyhow::Error::new)?;
    let store = Store::open(&home.join(format!("{name}.sqlite")))?;
    let registry = registry();
    let declared = declare(&store, &fleet, &registry, now_ms())?;
    ensure!(
        declared.len() == n,
        "declared {} of {n} agents",
        declared.len()
    );
    let pid = std::process::id();
    let lease =
        match store.try_lease(pid, now_ms(), stale_after_ms(fleet.settings.poll_interval))? {
            Ok(lease) => lease,
            Err(holder) => bail!("the fresh store's lease is held by pid {}", holder.pid),
        };
    let (settings, home) = (fleet.settings.clone(), home.to_path_buf());
    let mut sup = Supervisor::new(settings, home, store, Box::new(registry), connector(true))?;
    sup.hold_lease(lease);
    Ok(sup)
}

/// Tick once a second until every agent runs in a pane.
fn wait_running(sup: &mut Supervisor, n: usize, stop: &AtomicBool) -> Result<FleetSnapshot> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        check_stop(stop)?;
        let now = now_ms();
        sup.tick(now);
        let snap = sup.snapshot(now);
        if let Some(e) = &snap.stats.error {
            bail!("tick failed while starting: {e}");
        }
        let running = snap
            .agents
            .iter()
            .filter(|a| a.state == LifeState::Running && a.pane.is_some())
            .count();
        if running == n {
            return Ok(snap);
        }
        if Instant::now() > deadline {
            bail!("only {running} of {n} agents running after {START_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

fn check_stop(stop: &AtomicBool) -> Result<()> {
    if stop.load(Ordering::SeqCst) {
        bail!("interrupted; the bench's tmux servers are being killed");
    }
    Ok(())
}

/// CPU counters at one instant, in nanoseconds.
#[derive(Clone, Copy)]
struct Sample {
    own: u64,
    children: u64,
    clients: u64,
    servers: u64,
}

fn sample(clients: &[u32], servers: &[u32]) -> Result<Sample> {
    Ok(Sample {
        own: rusage_ns(libc::RUSAGE_SELF),
        children: rusage_ns(libc::RUSAGE_CHILDREN),
        clients: sum_schedstat(clients)?,
        servers: sum_schedstat(servers)?,
    })
}

/// User + system time of this process (all threads) or of its reaped children.
fn rusage_ns(who: libc::c_int) -> u64 {
    // SAFETY: getrusage only writes into the struct we hand it.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(who, &mut ru) } != 0 {
        return 0;
    }
    let ns = |tv: libc::timeval| tv.tv_sec as u64 * 1_000_000_000 + tv.tv_usec as u64 * 1000;
    ns(ru.ru_utime) + ns(ru.ru_stime)
}

/// Time on CPU of single-threaded processes (tmux servers and clients), from the first
/// field of `/proc/PID/schedstat`: nanoseconds, where `/proc/PID/stat` counts 10 ms
/// ticks, too coarse for a few milliseconds per tick. A control client's share is near
/// zero: tmux passes the client's stdin and stdout to the server, which reads the
/// commands and writes the replies itself.
fn sum_schedstat(pids: &[u32]) -> Result<u64> {
    let mut total = 0;
    for pid in pids {
        let path = format!("/proc/{pid}/schedstat");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {path}; did the process exit?"))?;
        let first = text.split_whitespace().next().unwrap_or_default();
        total += first
            .parse::<u64>()
            .with_context(|| format!("{path} starts with {first:?}, not a number"))?;
    }
    Ok(total)
}

/// Pids of this process's `tmux` children: the supervisor's control-mode clients.
fn tmux_children() -> Result<Vec<u32>> {
    let me = std::process::id();
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").context("cannot list /proc")? {
        let Ok(entry) = entry else { continue };
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        // A process may exit between the listing and the read.
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = &stat[open + 1..close];
        let ppid = stat[close + 1..].split_whitespace().nth(1);
        // tmux renames its client process `tmux: client`.
        if comm.starts_with("tmux") && ppid.and_then(|p| p.parse::<u32>().ok()) == Some(me) {
            pids.push(pid);
        }
    }
    pids.sort_unstable();
    Ok(pids)
}

/// What the shoal ticks cost.
struct ShoalCost {
    parts: Parts,
    wall_ms: f64,
    captured: f64,
    idle_server_ms_per_s: f64,
}

/// `ticks` ticks at 1 Hz, each doing what the supervisor thread does per tick: tick,
/// heartbeat, take the events, publish a snapshot.
fn measure_shoal(
    sup: &mut Supervisor,
    ticks: usize,
    clients: &[u32],
    servers: &[u32],
    stop: &AtomicBool,
) -> Result<ShoalCost> {
    let mut parts = Vec::new();
    let mut walls = Vec::new();
    let mut captured = Vec::new();
    let mut idle = Vec::new();
    let start = Instant::now() + Duration::from_millis(200);
    let mut prev_end: Option<(Instant, u64)> = None;
    for k in 0..ticks {
        check_stop(stop)?;
        let slot = start + Duration::from_secs(k as u64);
        std::thread::sleep(slot.saturating_duration_since(Instant::now()));
        let before = sample(clients, servers)?;
        if let Some((at, ns)) = prev_end {
            let secs = at.elapsed().as_secs_f64();
            idle.push(ms(before.servers.saturating_sub(ns)) / secs);
        }
        let t = Instant::now();
        let now = now_ms();
        sup.tick(now);
        let lease = sup.lease().expect("the bench holds the lease");
        sup.store().heartbeat(lease, now, k as u64)?;
        let _ = sup.take_events();
        let snap = sup.snapshot(now);
        let wall = t.elapsed();
        let after = sample(clients, servers)?;
        prev_end = Some((Instant::now(), after.servers));
        if let Some(e) = &snap.stats.error {
            bail!("tick {k} failed: {e}");
        }
        ensure!(
            snap.stats.servers_up == servers.len(),
            "tick {k}: {} of {} servers answered",
            snap.stats.servers_up,
            servers.len()
        );
        parts.push(Parts::between(&before, &after, false));
        walls.push(wall.as_secs_f64() * 1000.0);
        captured.push(snap.stats.captured as f64);
    }
    Ok(ShoalCost {
        parts: Parts::median(&parts),
        wall_ms: median(&mut walls),
        captured: median(&mut captured),
        idle_server_ms_per_s: median(&mut idle),
    })
}

/// What the naive rounds cost.
struct NaiveCost {
    parts: Parts,
    wall_ms: f64,
}

/// `ticks` rounds of one `tmux capture-pane -p -e -t PANE` process per pane (the same
/// capture shoal asks for), at most one round a second.
fn measure_naive(
    panes: &[(String, String)],
    ticks: usize,
    servers: &[u32],
    stop: &AtomicBool,
) -> Result<NaiveCost> {
    let mut parts = Vec::new();
    let mut walls = Vec::new();
    let mut next = Instant::now();
    for k in 0..ticks {
        check_stop(stop)?;
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        next = Instant::now() + Duration::from_secs(1);
        let before = sample(&[], servers)?;
        let t = Instant::now();
        let mut bytes = 0;
        for (socket, pane) in panes {
            check_stop(stop)?;
            let out = tmux(socket)
                .args(["capture-pane", "-p", "-e", "-t", pane])
                .stderr(Stdio::piped())
                .output()
                .with_context(|| format!("cannot run tmux -L {socket} capture-pane"))?;
            ensure!(
                out.status.success(),
                "round {k}: capture of {pane} on {socket} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            bytes += out.stdout.len();
        }
        let wall = t.elapsed();
        let after = sample(&[], servers)?;
        ensure!(bytes > 0, "round {k}: every capture came back empty");
        parts.push(Parts::between(&before, &after, true));
        walls.push(wall.as_secs_f64() * 1000.0);
    }
    Ok(NaiveCost {
        parts: Parts::median(&parts),
        wall_ms: median(&mut walls),
    })
}

impl Parts {
    /// The cost between two samples. The naive way's client processes are reaped
    /// children; the control clients are live and read from /proc. The naive total
    /// leaves out this process's cost of spawning (reported apart).
    fn between(a: &Sample, b: &Sample, naive: bool) -> Parts {
        let own = ms(b.own.saturating_sub(a.own));
        let servers = ms(b.servers.saturating_sub(a.servers));
        if naive {
            let clients = ms(b.children.saturating_sub(a.children));
            Parts {
                own,
                clients,
                servers,
                total: clients + servers,
            }
        } else {
            let clients = ms(b.clients.saturating_sub(a.clients));
            Parts {
                own,
                clients,
                servers,
                total: own + clients + servers,
            }
        }
    }

    /// Median of each part, and of the per-tick totals.
    fn median(all: &[Parts]) -> Parts {
        let pick = |f: fn(&Parts) -> f64| median(&mut all.iter().map(f).collect::<Vec<_>>());
        Parts {
            own: pick(|p| p.own),
            clients: pick(|p| p.clients),
            servers: pick(|p| p.servers),
            total: pick(|p| p.total),
        }
    }
}

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}
