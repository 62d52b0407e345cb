//! The poll bench's remote case: what one supervisor tick costs when the fleet is spread
//! over several hosts reached over ssh, next to the same fleet on this machine.
//!
//! For each fleet size N it runs, one after the other, N shell agents (one in ten prints
//! a line a second, the rest stay quiet; 100 panes per tmux server):
//! (local)  on this machine, polled through `tmux -C` clients as `shoal supervise` does;
//! (remote) spread round-robin over H "hosts": sshds on localhost ports with throwaway
//!          keys, each with its own tmux servers, polled through one `ssh … tmux -C`
//!          client per server over one shared ssh connection per host.
//! A real `Supervisor` ticks at 1 Hz in this process. Each tick is charged with the CPU
//! of this process, of what runs here for it (the `tmux -C` clients; or the `ssh`
//! clients and each host's shared-connection master) and of what runs on the hosts
//! (tmux servers; and each sshd's session processes with the remote `tmux -C` clients).
//! All of it runs on this machine, so the remote figure is the whole price of the ssh
//! hop, both ends.
//!
//! Run with `cargo bench --bench remote` (root and openssh-server needed, as for the
//! sshd tests). `SHOAL_BENCH_N=300` picks the fleet sizes (default 300),
//! `SHOAL_BENCH_HOSTS=3` the hosts (default 3), `SHOAL_BENCH_TICKS=10` the measured
//! ticks. Every tmux server and sshd it starts is the run's own and is ended at the end,
//! also on error or Ctrl-C.

mod common;

use anyhow::{bail, ensure, Context, Result};
use common::sshd::{parent_map, Sshds};
use common::{median, server_pid, Servers, BUSY_CMD, BUSY_EVERY, PER_SERVER, QUIET_CMD};
use shoal::cli::ctx::{connector, registry};
use shoal::fleet::file::{parse, socket_name};
use shoal::fleet::LifeState;
use shoal::store::Store;
use shoal::supervisor::runner::{now_ms, stale_after_ms};
use shoal::supervisor::{declare, Supervisor};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const WARMUP_TICKS: usize = 3;
const START_TIMEOUT: Duration = Duration::from_secs(300);

fn main() {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register_conditional_shutdown(sig, 1, Arc::clone(&stop));
        let _ = signal_hook::flag::register(sig, Arc::clone(&stop));
    }
    if let Err(e) = run(&stop) {
        eprintln!("remote poll bench failed: {e:#}");
        std::process::exit(1);
    }
}

fn env_num(name: &str, default: &[usize]) -> Result<Vec<usize>> {
    let Ok(text) = std::env::var(name) else {
        return Ok(default.to_vec());
    };
    text.split(',')
        .map(|s| match s.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => bail!("{name}={text:?} is not a list of positive numbers; write e.g. {name}=300"),
        })
        .collect()
}

fn run(stop: &AtomicBool) -> Result<()> {
    let sizes = env_num("SHOAL_BENCH_N", &[300])?;
    let n_hosts = env_num("SHOAL_BENCH_HOSTS", &[3])?[0];
    let ticks = env_num("SHOAL_BENCH_TICKS", &[10])?[0];
    println!(
        "shoal remote poll bench: {} cores, load {}, {ticks} measured ticks at 1 Hz, {PER_SERVER} panes \
         per server, 1 in {BUSY_EVERY} agents prints a line a second, {n_hosts} hosts on localhost sshds",
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        loadavg()
    );
    let mut rows = Vec::new();
    for n in sizes {
        let local = measure(n, 0, ticks, stop).with_context(|| format!("{n} agents here"))?;
        local.print();
        let remote = measure(n, n_hosts, ticks, stop)
            .with_context(|| format!("{n} agents on {n_hosts} hosts"))?;
        remote.print();
        rows.push((local, remote));
    }
    println!();
    println!("CPU ms per tick, median (here = this process + its clients; hosts = servers + sshd sessions)");
    println!("| agents | where | servers | captured | this process | clients here | hosts | total | ratio to local |");
    println!("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (l, r) in &rows {
        for row in [l, r] {
            println!(
                "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.1}× |",
                row.n,
                row.place,
                row.servers,
                row.captured,
                row.own,
                row.here,
                row.hosts,
                row.total,
                row.total / l.total.max(1e-9)
            );
        }
    }
    Ok(())
}

/// One fleet's per-tick cost.
struct Row {
    n: usize,
    place: String,
    servers: usize,
    captured: f64,
    own: f64,
    here: f64,
    hosts: f64,
    total: f64,
}

impl Row {
    fn print(&self) {
        println!(
            "N={} {}: median {:.2} ms CPU/tick (this process {:.2}, clients here {:.2}, hosts {:.2}), {:.0} panes captured/tick; load {}",
            self.n, self.place, self.total, self.own, self.here, self.hosts, self.captured, loadavg()
        );
    }
}

/// The fleet file: `n` agents, round-robin over `hosts` (none: this machine).
fn fleet_text(name: &str, n: usize, hosts: Option<&Sshds>) -> String {
    let mut s = format!(
        "[fleet]\nname = \"{name}\"\nstall_timeout = \"1h\"\nagents_per_server = {PER_SERVER}\n\n"
    );
    if let Some(h) = hosts {
        s += &h.toml();
    }
    for i in 0..n {
        let cmd = if i % BUSY_EVERY == 0 {
            BUSY_CMD
        } else {
            QUIET_CMD
        };
        s += &format!("[[agent]]\nname = \"a{i:04}\"\nkind = \"shell\"\ncmd = '{cmd}'\n");
        if let Some(h) = hosts {
            s += &format!("host = \"{}\"\n", h.hosts[i % h.hosts.len()].name);
        }
        s.push('\n');
    }
    s
}

/// Start `n` agents here (`n_hosts` 0) or over `n_hosts` hosts and measure `ticks` ticks.
fn measure(n: usize, n_hosts: usize, ticks: usize, stop: &AtomicBool) -> Result<Row> {
    let name = format!("rbench{}n{n}h{n_hosts}", std::process::id());
    let home = tempfile::tempdir().context("cannot create a temporary SHOAL_HOME")?;
    std::env::set_var("SHOAL_HOME", home.path());
    std::env::set_var("SHOAL_CONFIG", home.path().join("config"));
    let per_place = if n_hosts == 0 { n } else { n.div_ceil(n_hosts) };
    let sockets: Vec<String> = (0..per_place.div_ceil(PER_SERVER))
        .map(|i| socket_name(&name, i))
        .collect();
    // Registered before anything starts: whatever gets started is ended.
    let _local = Servers {
        sockets: if n_hosts == 0 {
            sockets.clone()
        } else {
            Vec::new()
        },
    };
    let hosts = if n_hosts == 0 {
        None
    } else {
        let mut h = Sshds::start(&home.path().join("hosts"), n_hosts)?;
        h.sockets.clone_from(&sockets);
        h.control_dir = Some(home.path().join("ssh"));
        Some(h)
    };
    let place = match &hosts {
        None => "local".to_string(),
        Some(h) => format!("{} hosts", h.hosts.len()),
    };
    let mut sup = supervisor(&name, &fleet_text(&name, n, hosts.as_ref()), home.path())?;
    print!("N={n} {place}: starting… ");
    let _ = std::io::stdout().flush();
    let t0 = Instant::now();
    let failed = sup
        .start_queued(now_ms())
        .iter()
        .filter(|(_, r)| r.is_err())
        .count();
    let retried = wait_running(&mut sup, n, stop)?;
    println!(
        "all running after {:.1} s ({failed} starts failed, {retried} retries)",
        t0.elapsed().as_secs_f64()
    );
    for _ in 0..WARMUP_TICKS {
        check_stop(stop)?;
        std::thread::sleep(Duration::from_secs(1));
        sup.tick(now_ms());
    }

    // Who pays for a tick, found once everything is connected.
    let me = std::process::id();
    let parents = parent_map();
    let here: Vec<u32> = parents
        .iter()
        .filter(|(_, pp)| *pp == me)
        .map(|(p, _)| *p)
        .chain(masters(&home.path().join("ssh")))
        .collect();
    let mut far: Vec<u32> = match &hosts {
        None => sockets
            .iter()
            .map(|s| server_pid(s))
            .collect::<Result<_>>()?,
        Some(h) => {
            let mut pids = h.sshd_trees();
            for i in 0..h.hosts.len() {
                for s in &sockets {
                    let out = h
                        .tmux(i, s)
                        .args(["display-message", "-p", "#{pid}"])
                        .output()?;
                    if let Ok(pid) = String::from_utf8_lossy(&out.stdout).trim().parse() {
                        pids.push(pid);
                    }
                }
            }
            pids
        }
    };
    far.sort_unstable();
    ensure!(
        !here.is_empty(),
        "no client process of the supervisor was found"
    );

    let (mut own, mut cl, mut srv, mut tot, mut capt) = (vec![], vec![], vec![], vec![], vec![]);
    let start = Instant::now() + Duration::from_millis(200);
    for k in 0..ticks {
        check_stop(stop)?;
        let slot = start + Duration::from_secs(k as u64);
        std::thread::sleep(slot.saturating_duration_since(Instant::now()));
        let (o0, c0, s0) = (self_ns(), schedstat(&here), schedstat(&far));
        let now = now_ms();
        sup.tick(now);
        let lease = sup.lease().expect("the bench holds the lease");
        sup.store().heartbeat(lease, now, k as u64)?;
        let _ = sup.take_events();
        let snap = sup.snapshot(now);
        let (o1, c1, s1) = (self_ns(), schedstat(&here), schedstat(&far));
        if let Some(e) = &snap.stats.error {
            bail!("tick {k} failed: {e}");
        }
        let ms = |a: u64, b: u64| b.saturating_sub(a) as f64 / 1e6;
        let (o, c, s) = (ms(o0, o1), ms(c0, c1), ms(s0, s1));
        own.push(o);
        cl.push(c);
        srv.push(s);
        tot.push(o + c + s);
        capt.push(snap.stats.captured as f64);
    }
    // The same clients throughout: no connection was lost and made again.
    let still: Vec<u32> = parent_map()
        .iter()
        .filter(|(_, pp)| *pp == me)
        .map(|(p, _)| *p)
        .collect();
    ensure!(
        here.iter().filter(|p| still.contains(p)).count() == still.len(),
        "the supervisor's clients changed during the run: a connection was lost"
    );
    let servers = sockets.len() * n_hosts.max(1);
    drop(sup);
    Ok(Row {
        n,
        place,
        servers,
        captured: median(&mut capt),
        own: median(&mut own),
        here: median(&mut cl),
        hosts: median(&mut srv),
        total: median(&mut tot),
    })
}

/// The shared-connection masters of the fleet's control directory.
fn masters(control_dir: &Path) -> Vec<u32> {
    let dir = control_dir.display().to_string();
    parent_map()
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| {
            let cmd = std::fs::read(format!("/proc/{p}/cmdline")).unwrap_or_default();
            let cmd = String::from_utf8_lossy(&cmd);
            cmd.starts_with("ssh") && cmd.contains(&dir) && cmd.contains("[mux]")
        })
        .collect()
}

/// A real supervisor as `Ctx::supervisor(true)` builds it, on a fresh store.
fn supervisor(name: &str, text: &str, home: &Path) -> Result<Supervisor> {
    let fleet = parse(&home.join("shoal.toml"), text).map_err(anyhow::Error::new)?;
    let store = Store::open(&home.join(format!("{name}.sqlite")))?;
    let registry = registry();
    declare(&store, &fleet, &registry, now_ms())?;
    let lease = match store.try_lease(
        std::process::id(),
        now_ms(),
        stale_after_ms(fleet.settings.poll_interval),
    )? {
        Ok(lease) => lease,
        Err(holder) => bail!("the fresh store's lease is held by pid {}", holder.pid),
    };
    let mut sup = Supervisor::new(
        fleet.settings.clone(),
        home.to_path_buf(),
        store,
        Box::new(registry),
        connector(true),
    )?;
    sup.hold_lease(lease);
    Ok(sup)
}

/// Tick until every agent runs; an agent whose start failed (a control client that
/// missed its deadline on a loaded machine) is retried. Returns the retries.
fn wait_running(sup: &mut Supervisor, n: usize, stop: &AtomicBool) -> Result<usize> {
    let deadline = Instant::now() + START_TIMEOUT;
    let mut retries = 0;
    loop {
        check_stop(stop)?;
        let now = now_ms();
        sup.tick(now);
        let snap = sup.snapshot(now);
        let running = snap
            .agents
            .iter()
            .filter(|a| a.state == LifeState::Running && a.pane.is_some())
            .count();
        if running == n {
            return Ok(retries);
        }
        for a in snap.agents.iter().filter(|a| a.state == LifeState::Failed) {
            let retry = shoal::fleet::Command::Retry {
                agent: a.name.clone(),
            };
            let operator = shoal::fleet::Caller::Operator { tty: None };
            if sup.execute_as(&operator, &retry, now).is_ok() {
                retries += 1;
            }
        }
        if Instant::now() > deadline {
            bail!(
                "only {running} of {n} agents running after {START_TIMEOUT:?} (last error: {:?})",
                snap.stats.error
            );
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// User + system time of this process, all threads, ns.
fn self_ns() -> u64 {
    // SAFETY: getrusage only writes into the struct we hand it.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let ns = |tv: libc::timeval| tv.tv_sec as u64 * 1_000_000_000 + tv.tv_usec as u64 * 1000;
    ns(ru.ru_utime) + ns(ru.ru_stime)
}

/// Time on CPU of processes from `/proc/PID/schedstat` (ns; single-threaded processes:
/// tmux, ssh, sshd). A process gone since is counted as nothing.
fn schedstat(pids: &[u32]) -> u64 {
    pids.iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/schedstat")).ok())
        .filter_map(|t| t.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn check_stop(stop: &AtomicBool) -> Result<()> {
    if stop.load(Ordering::SeqCst) {
        bail!("interrupted; the run's servers and sshds are being ended");
    }
    Ok(())
}
