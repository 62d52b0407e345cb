//! What `shoal supervise` costs an operator per tick, against the naive way of watching
//! the same panes, measured in the same run on the same fleet.
//!
//! For each fleet size N it starts N shell agents (one in ten prints a line a second,
//! the rest stay quiet) with the real binary (`shoal up --no-console`, 100 panes per
//! tmux server), then, one after the other:
//! (0) a baseline with nobody watching: what the fleet's tmux servers burn by themselves;
//! (1) the real `shoal supervise` for a fixed window: the whole shoal process (all its
//!     threads, utime+stime from `/proc/PID/stat`), its tmux clients (descendants, live
//!     or reaped), and the servers' CPU above the baseline, divided by the ticks the
//!     supervisor reports (`shoal supervisor status --json`);
//! (2) the naive way: one `tmux capture-pane -p -e -t PANE` process per pane per tick,
//!     charged with those processes and the servers' CPU above the baseline.
//!
//! Run with `cargo bench --bench supervise`. `SHOAL_BENCH_N=100,500` picks the fleet
//! sizes (default 100,300,500,1000), `SHOAL_BENCH_SECS=30` the supervisor's window,
//! `SHOAL_BENCH_NAIVE_TICKS=3` the naive rounds, `SHOAL_BENCH_BIN=path/to/shoal` measures
//! another build, `SHOAL_BENCH_PERF=/tmp/sup` records a `perf` profile of the
//! supervisor and its tmux servers over the window into `/tmp/sup-N.data`. Every tmux
//! server it starts is private to the run and killed at the
//! end, also on error or Ctrl-C; the supervisor it starts is stopped with it.

mod common;

use anyhow::{bail, ensure, Context, Result};
use common::{
    fleet_toml, median, server_pid, shoal_bin, tmux, Guarded, Servers, BUSY_EVERY, PER_SERVER,
};
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the fleet may take to show every agent running.
const START_TIMEOUT: Duration = Duration::from_secs(300);
/// Time given to the supervisor to take the fleet in (first captures, log resume)
/// before measuring.
const WARMUP: Duration = Duration::from_secs(8);

fn main() {
    let stop = Arc::new(AtomicBool::new(false));
    // First Ctrl-C: finish cleanly (servers killed by the guards); second: exit at once.
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register_conditional_shutdown(sig, 1, Arc::clone(&stop));
        let _ = signal_hook::flag::register(sig, Arc::clone(&stop));
    }
    if let Err(e) = run(&stop) {
        eprintln!("supervise bench failed: {e:#}");
        std::process::exit(1);
    }
}

fn run(stop: &AtomicBool) -> Result<()> {
    let sizes = env_list("SHOAL_BENCH_N", &[100, 300, 500, 1000])?;
    let secs = env_list("SHOAL_BENCH_SECS", &[30])?[0];
    let naive_ticks = env_list("SHOAL_BENCH_NAIVE_TICKS", &[3])?[0];
    println!(
        "shoal supervise bench: {}, {} cores, load {}, {secs} s of supervise and \
         {naive_ticks} naive rounds per fleet, 1 in {BUSY_EVERY} agents prints a line a second",
        shoal_bin(),
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        loadavg()
    );
    let mut rows = Vec::new();
    for n in sizes {
        let row = measure_fleet(n, Duration::from_secs(secs as u64), naive_ticks, stop)
            .with_context(|| format!("fleet of {n} agents"))?;
        rows.push(row);
    }
    println!();
    println!("| agents | shoal per tick | µs per pane | naive per tick | ratio | load |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: |");
    for r in &rows {
        println!(
            "| {} | {:.1} ms | {:.1} | {:.0} ms | {:.0}× | {} |",
            r.n,
            r.shoal_ms,
            r.shoal_ms * 1000.0 / r.n as f64,
            r.naive_ms,
            r.naive_ms / r.shoal_ms.max(1e-9),
            r.load
        );
    }
    Ok(())
}

struct Row {
    n: usize,
    shoal_ms: f64,
    naive_ms: f64,
    load: String,
}

fn measure_fleet(n: usize, window: Duration, naive_ticks: usize, stop: &AtomicBool) -> Result<Row> {
    let pid = std::process::id();
    let name = format!("sbench{pid}n{n}");
    let n_servers = n.div_ceil(PER_SERVER);
    let sockets: Vec<String> = (0..n_servers)
        .map(|i| shoal::fleet::file::socket_name(&name, i))
        .collect();
    // Registered before anything starts: whatever gets started is killed.
    let _servers = Servers {
        sockets: sockets.clone(),
    };
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let rig = Rig {
        fleet: dir.path().join("shoal.toml"),
        home: dir.path().join("home"),
        config: dir.path().join("config"),
    };
    std::fs::write(&rig.fleet, fleet_toml(&name, n)).context("cannot write the fleet file")?;

    print!("{n} agents: starting… ");
    flush();
    let t0 = Instant::now();
    let out = rig.shoal(&["up", "--no-console"]).output()?;
    ensure!(
        out.status.success(),
        "shoal up failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    rig.wait_running(n, stop)?;
    print!("running after {:.0} s; ", t0.elapsed().as_secs_f64());
    flush();
    let server_pids = sockets
        .iter()
        .map(|s| server_pid(s))
        .collect::<Result<Vec<_>>>()?;
    let mut panes = Vec::new();
    for s in &sockets {
        let out = tmux(s)
            .args(["list-panes", "-a", "-F", "#{pane_id} #{@shoal_agent}"])
            .output()
            .with_context(|| format!("cannot list the panes of {s}"))?;
        // Agents' panes only: the keeper window is nobody's to watch.
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            if let Some((p, agent)) = line.split_once(' ') {
                if !agent.trim().is_empty() {
                    panes.push((s.clone(), p.to_string()));
                }
            }
        }
    }
    ensure!(
        panes.len() == n,
        "{} panes listed for {n} agents",
        panes.len()
    );

    // (0) Baseline: the servers with nobody watching.
    let b0 = servers_ms(&server_pids)?;
    let t = Instant::now();
    sleep(window.min(Duration::from_secs(15)), stop)?;
    let base_rate = (servers_ms(&server_pids)? - b0) / t.elapsed().as_secs_f64();

    // (1) The real supervisor.
    let mut sup = Guarded(
        rig.shoal(&["supervise"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start shoal supervise")?,
    );
    let sup_pid = sup.0.id();
    sleep(WARMUP, stop)?;
    let ticks0 = rig.ticks()?;
    let (tree0, srv0) = (tree_ms(sup_pid)?, servers_ms(&server_pids)?);
    let t = Instant::now();
    let perf = perf_record(sup_pid, &server_pids, n, window)?;
    sleep(window, stop)?;
    if let Some(mut p) = perf {
        let _ = p.0.wait();
    }
    let (tree1, srv1) = (tree_ms(sup_pid)?, servers_ms(&server_pids)?);
    let elapsed = t.elapsed().as_secs_f64();
    let ticks = rig.ticks()?.saturating_sub(ticks0).max(1);
    sup.stop()?;
    let own = tree1.own - tree0.own;
    let clients = tree1.clients - tree0.clients;
    let servers = (srv1 - srv0) - base_rate * elapsed;
    let shoal_ms = (own + clients + servers) / ticks as f64;
    print!(
        "shoal {ticks} ticks: {:.1} ms/tick (process {:.1}, tmux clients {:.1}, servers +{:.1}); ",
        shoal_ms,
        own / ticks as f64,
        clients / ticks as f64,
        servers / ticks as f64
    );
    flush();

    // (2) The naive way, on the same panes.
    let mut naive = Vec::new();
    for _ in 0..naive_ticks.max(1) {
        check_stop(stop)?;
        let c0 = children_ms();
        let s0 = servers_ms(&server_pids)?;
        let t = Instant::now();
        for (socket, pane) in &panes {
            check_stop(stop)?;
            let out = tmux(socket)
                .args(["capture-pane", "-p", "-e", "-t", pane])
                .stderr(Stdio::null())
                .output()
                .with_context(|| format!("cannot run tmux -L {socket} capture-pane"))?;
            ensure!(out.status.success(), "capture of {pane} on {socket} failed");
        }
        let wall = t.elapsed().as_secs_f64();
        let clients = children_ms() - c0;
        let servers = (servers_ms(&server_pids)? - s0) - base_rate * wall;
        naive.push(clients + servers);
        // At most one round a second, as a 1 Hz poll would.
        sleep(Duration::from_secs_f64((1.0 - wall).max(0.0)), stop)?;
    }
    let naive_ms = median(&mut naive);
    let load = loadavg();
    println!(
        "naive {naive_ms:.0} ms/tick; ratio {:.0}×; load {load}",
        naive_ms / shoal_ms.max(1e-9)
    );
    let _ = rig.shoal(&["down"]).stdout(Stdio::null()).output();
    Ok(Row {
        n,
        shoal_ms,
        naive_ms,
        load,
    })
}

/// The fleet file, its data folder and its config folder, all private to the run.
struct Rig {
    fleet: PathBuf,
    home: PathBuf,
    config: PathBuf,
}

impl Rig {
    fn shoal(&self, args: &[&str]) -> Command {
        let mut c = Command::new(shoal_bin());
        c.arg("-f").arg(&self.fleet).args(args);
        c.env("SHOAL_HOME", &self.home)
            .env("SHOAL_CONFIG", &self.config)
            .env_remove("TMUX")
            .env_remove("TMUX_PANE")
            .stdin(Stdio::null());
        c
    }

    fn json(&self, args: &[&str]) -> Result<serde_json::Value> {
        let out = self.shoal(args).output()?;
        serde_json::from_slice(&out.stdout)
            .with_context(|| format!("shoal {} did not print JSON", args.join(" ")))
    }

    fn wait_running(&self, n: usize, stop: &AtomicBool) -> Result<()> {
        let t0 = Instant::now();
        loop {
            check_stop(stop)?;
            let agents = self.json(&["status", "--json"])?;
            let running = agents
                .as_array()
                .map_or(0, |a| a.iter().filter(|a| a["state"] == "running").count());
            if running == n {
                return Ok(());
            }
            if t0.elapsed() > START_TIMEOUT {
                bail!("only {running} of {n} agents running after {START_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    }

    /// Ticks the running supervisor has made, from its lease heartbeat.
    fn ticks(&self) -> Result<u64> {
        let v = self.json(&["supervisor", "status", "--json"])?;
        v["ticks"]
            .as_u64()
            .with_context(|| format!("no tick count in `shoal supervisor status --json`: {v}"))
    }
}

/// With `SHOAL_BENCH_PERF=PREFIX`, `perf record` samples the supervisor and the fleet's
/// tmux servers over the window into `PREFIX-N.data` (`perf report --sort comm,sym`
/// tells the two apart; the figures of that run include perf's sampling cost). DWARF
/// call graphs: a release build keeps no frame pointers.
fn perf_record(pid: u32, servers: &[u32], n: usize, window: Duration) -> Result<Option<Guarded>> {
    let Some(prefix) = std::env::var_os("SHOAL_BENCH_PERF") else {
        return Ok(None);
    };
    let out = format!("{}-{n}.data", prefix.to_string_lossy());
    let pids = std::iter::once(pid)
        .chain(servers.iter().copied())
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let child = Command::new("perf")
        .args([
            "record",
            "-F",
            "1999",
            "--call-graph",
            "dwarf,16384",
            "-o",
            &out,
            "-p",
            &pids,
        ])
        .args(["--", "sleep", &window.as_secs().to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("SHOAL_BENCH_PERF is set but `perf` cannot be started")?;
    Ok(Some(Guarded(child)))
}

/// CPU of a process tree: the root itself (all threads) and its descendants, each with
/// the children they reaped (one-shot tmux clients), in ms.
struct Tree {
    own: f64,
    clients: f64,
}

fn tree_ms(root: u32) -> Result<Tree> {
    let procs = all_processes()?;
    let Some(r) = procs.get(&root) else {
        bail!("process {root} is not running");
    };
    // The root's reaped children are tmux clients too.
    let own = r.self_ms;
    let mut clients = r.reaped_ms;
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for (pid, info) in &procs {
            if info.ppid == p {
                clients += info.self_ms + info.reaped_ms;
                frontier.push(*pid);
            }
        }
    }
    Ok(Tree { own, clients })
}

/// utime+stime of the servers (their panes' processes are not theirs to pay for).
fn servers_ms(pids: &[u32]) -> Result<f64> {
    let procs = all_processes()?;
    pids.iter()
        .map(|p| {
            procs
                .get(p)
                .map(|i| i.self_ms)
                .with_context(|| format!("tmux server {p} is gone"))
        })
        .sum()
}

/// CPU of this process's reaped children (the naive capture processes), ms.
fn children_ms() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    let tv = |t: libc::timeval| t.tv_sec as f64 * 1000.0 + t.tv_usec as f64 / 1000.0;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

struct ProcInfo {
    ppid: u32,
    /// utime+stime, ms.
    self_ms: f64,
    /// cutime+cstime, ms.
    reaped_ms: f64,
}

fn all_processes() -> Result<HashMap<u32, ProcInfo>> {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let mut out = HashMap::new();
    for entry in std::fs::read_dir("/proc").context("cannot list /proc")? {
        let Ok(entry) = entry else { continue };
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        // A process may exit between the listing and the read.
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The command name may hold spaces: fields are counted after its closing paren.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        let num = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        // After the name: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
        out.insert(
            pid,
            ProcInfo {
                ppid: num(1) as u32,
                self_ms: (num(11) + num(12)) * 1000.0 / hz,
                reaped_ms: (num(13) + num(14)) * 1000.0 / hz,
            },
        );
    }
    Ok(out)
}

/// A comma-separated list of positive numbers from the environment, or the default.
fn env_list(name: &str, default: &[usize]) -> Result<Vec<usize>> {
    let Ok(v) = std::env::var(name) else {
        return Ok(default.to_vec());
    };
    v.split(',')
        .map(|s| match s.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => bail!("{name}={v:?}: expected positive numbers separated by commas, like 100,500"),
        })
        .collect()
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn sleep(d: Duration, stop: &AtomicBool) -> Result<()> {
    let end = Instant::now() + d;
    while Instant::now() < end {
        check_stop(stop)?;
        std::thread::sleep((end - Instant::now()).min(Duration::from_millis(100)));
    }
    Ok(())
}

fn check_stop(stop: &AtomicBool) -> Result<()> {
    if stop.load(Ordering::SeqCst) {
        bail!("interrupted");
    }
    Ok(())
}

fn flush() {
    let _ = std::io::stdout().flush();
}
