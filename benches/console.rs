//! What the console costs on top of the supervisor it embeds, on a quiet fleet.
//!
//! Starts 100 quiet shell agents (`sleep`) on a private tmux server with a private
//! `SHOAL_HOME`, then measures with the real binary, one after the other on the same
//! fleet and for the same window:
//! (a) a headless `shoal supervise`;
//! (b) the console (`shoal` in a 200×50 pane of its own private tmux server), which runs
//!     the same supervisor embedded.
//!
//! Each process is charged its own CPU and its descendants' (the `tmux -C` clients):
//! utime+stime from `/proc/PID/stat` (children included, 10 ms resolution), and the
//! nanosecond run time of its threads from `/proc/PID/task/*/schedstat`. The fleet's
//! tmux server and the console's own tmux server are shown beside them.
//!
//! Run with `cargo bench --bench console`. `SHOAL_BENCH_SECS=60` sets the window,
//! `SHOAL_BENCH_N=100` the fleet size, `SHOAL_BENCH_BIN=path/to/shoal` measures another
//! build. Every tmux server it starts is private to the run and killed at the end, also
//! on panic or Ctrl-C.

mod common;

use anyhow::{bail, ensure, Context, Result};
use common::{server_pid, shoal_bin, Guarded, Servers};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the fleet may take to show every agent running.
const START_TIMEOUT: Duration = Duration::from_secs(180);
/// Time given to a supervisor or console to take the fleet in before measuring.
const WARMUP: Duration = Duration::from_secs(5);
/// The console's terminal.
const COLS: u16 = 200;
const ROWS: u16 = 50;
/// The issue's target: the console costs at most this many times the headless supervisor.
const TARGET_RATIO: f64 = 1.5;

fn main() {
    let stop = Arc::new(AtomicBool::new(false));
    // First Ctrl-C: finish cleanly (servers killed by the guards); second: exit at once.
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register_conditional_shutdown(sig, 1, Arc::clone(&stop));
        let _ = signal_hook::flag::register(sig, Arc::clone(&stop));
    }
    if let Err(e) = run(&stop) {
        eprintln!("console bench failed: {e:#}");
        std::process::exit(1);
    }
}

fn run(stop: &AtomicBool) -> Result<()> {
    let secs = env_number("SHOAL_BENCH_SECS", 60)?;
    let n = env_number("SHOAL_BENCH_N", 100)?;
    let window = Duration::from_secs(secs as u64);
    let pid = std::process::id();
    let name = format!("cbench{pid}");
    let fleet_socket = format!("shoal-{name}");
    let op_socket = format!("shoal-cbop{pid}");
    // Registered before anything starts: whatever gets started is killed.
    let _servers = Servers {
        sockets: vec![op_socket.clone(), fleet_socket.clone()],
    };
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let rig = Rig {
        fleet: dir.path().join("shoal.toml"),
        home: dir.path().join("home"),
        config: dir.path().join("config"),
    };
    std::fs::write(&rig.fleet, fleet_toml(&name, n)).context("cannot write the fleet file")?;
    println!(
        "shoal console bench: {}, {n} quiet shell agents, {secs} s per side, {} cores, load {}",
        shoal_bin(),
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        loadavg()
    );

    print!("starting {n} agents… ");
    flush();
    let t0 = Instant::now();
    let out = rig.shoal(&["up", "--no-console"]).output()?;
    ensure!(
        out.status.success(),
        "shoal up failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    rig.wait_running(n, stop)?;
    println!("all running after {:.1} s", t0.elapsed().as_secs_f64());
    let fleet_server = server_pid(&fleet_socket)?;

    // (a) The headless supervisor.
    let mut sup = Guarded(
        rig.shoal(&["supervise"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start shoal supervise")?,
    );
    let sup_pid = sup.0.id();
    sleep(WARMUP, stop)?;
    let a = measure(sup_pid, &[fleet_server], window, stop)?;
    sup.stop()?;
    a.print("supervise", &["fleet tmux server"]);

    // (b) The console, in a terminal of its own.
    let cmd = format!(
        "exec {} -f {}",
        sh_quote(&shoal_bin()),
        sh_quote(&rig.fleet.display().to_string())
    );
    let status = tmux(&op_socket)
        .args(["new-session", "-d", "-s", "op", "-n", "console"])
        .args(["-x", &COLS.to_string(), "-y", &ROWS.to_string()])
        .args(["-e", &format!("SHOAL_HOME={}", rig.home.display())])
        .args(["-e", &format!("SHOAL_CONFIG={}", rig.config.display())])
        .arg(&cmd)
        .status()
        .context("cannot start the console's tmux server")?;
    ensure!(status.success(), "tmux new-session for the console failed");
    let console_pid: u32 = tmux(&op_socket)
        .args(["display-message", "-p", "-t", "console", "#{pane_pid}"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())?
        .parse()
        .context("no pane pid for the console")?;
    let op_server = server_pid(&op_socket)?;
    wait_screen(&op_socket, "a0000", stop)?;
    sleep(WARMUP, stop)?;
    let b = measure(console_pid, &[fleet_server, op_server], window, stop)?;
    let screen = tmux(&op_socket)
        .args(["capture-pane", "-p", "-t", "console"])
        .output()?;
    let _ = tmux(&op_socket)
        .args(["send-keys", "-t", "console", "q"])
        .status();
    b.print("console", &["fleet tmux server", "console's tmux server"]);

    let ratio_stat = b.stat_ms / a.stat_ms.max(1e-9);
    let ratio_ns = b.sched_ms / a.sched_ms.max(1e-9);
    println!();
    println!(
        "console / supervise: {ratio_ns:.2}x by run time ({:.3}% vs {:.3}% of a core), \
         {ratio_stat:.2}x by utime+stime ({:.3}% vs {:.3}%)",
        b.pct(b.sched_ms),
        a.pct(a.sched_ms),
        b.pct(b.stat_ms),
        a.pct(a.stat_ms),
    );
    println!(
        "target <= {TARGET_RATIO}x: {}",
        if ratio_ns <= TARGET_RATIO {
            "met"
        } else {
            "MISSED"
        }
    );
    if std::env::var_os("SHOAL_BENCH_SCREEN").is_some() {
        println!("{}", String::from_utf8_lossy(&screen.stdout));
    }
    Ok(())
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

    fn wait_running(&self, n: usize, stop: &AtomicBool) -> Result<()> {
        let t0 = Instant::now();
        loop {
            check_stop(stop)?;
            let out = self.shoal(&["status", "--json"]).output()?;
            let agents: serde_json::Value =
                serde_json::from_slice(&out.stdout).context("status --json is not JSON")?;
            let running = agents
                .as_array()
                .map_or(0, |a| a.iter().filter(|a| a["state"] == "running").count());
            if running == n {
                return Ok(());
            }
            if t0.elapsed() > START_TIMEOUT {
                bail!("only {running} of {n} agents running after {START_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

/// CPU of one process over the window, and of the tmux servers beside it.
struct Measured {
    window: Duration,
    /// utime+stime of the process and its descendants (reaped ones included), ms.
    stat_ms: f64,
    /// Run time of the threads of the process and its descendants, ms.
    sched_ms: f64,
    /// utime+stime of each server, ms.
    servers_ms: Vec<f64>,
    /// Run time of the measured process's threads, by thread name, ms, largest first.
    threads: Vec<(String, f64)>,
}

impl Measured {
    fn pct(&self, ms: f64) -> f64 {
        ms / self.window.as_secs_f64() / 10.0
    }

    fn print(&self, what: &str, servers: &[&str]) {
        let mut line = format!(
            "{what:<10} {:>8.1} ms run time ({:.3}% of a core), {:>6.0} ms utime+stime ({:.3}%)",
            self.sched_ms,
            self.pct(self.sched_ms),
            self.stat_ms,
            self.pct(self.stat_ms),
        );
        for (name, ms) in servers.iter().zip(&self.servers_ms) {
            line.push_str(&format!("; {name} {ms:.0} ms ({:.3}%)", self.pct(*ms)));
        }
        println!("{line}");
        let threads: Vec<String> = self
            .threads
            .iter()
            .filter(|(_, ms)| *ms >= 0.05)
            .map(|(name, ms)| format!("{name} {ms:.1}"))
            .collect();
        println!("{:<10} by thread (ms): {}", "", threads.join(", "));
    }
}

fn measure(pid: u32, servers: &[u32], window: Duration, stop: &AtomicBool) -> Result<Measured> {
    let before = Sample::take(pid, servers)?;
    sleep(window, stop)?;
    let after = Sample::take(pid, servers)?;
    ensure!(
        after.tree.keys().all(|p| *p == pid) || after.tree.contains_key(&pid),
        "process {pid} ended during the measurement"
    );
    Ok(Measured {
        window,
        stat_ms: after.stat_ms() - before.stat_ms(),
        sched_ms: after.sched_ms(&before),
        servers_ms: after
            .servers
            .iter()
            .zip(&before.servers)
            .map(|(a, b)| a - b)
            .collect(),
        threads: {
            let mut t: Vec<(String, f64)> = after
                .threads
                .iter()
                .map(|(name, ms)| (name.clone(), ms - before.threads.get(name).unwrap_or(&0.0)))
                .collect();
            t.sort_by(|a, b| b.1.total_cmp(&a.1));
            t
        },
    })
}

/// One reading of a process tree's CPU counters.
struct Sample {
    /// Per pid of the tree: (utime+stime+cutime+cstime in ms, run time in ms).
    tree: std::collections::HashMap<u32, (f64, f64)>,
    servers: Vec<f64>,
    /// Run time of the root's threads by name (threads of one name summed), ms.
    threads: std::collections::HashMap<String, f64>,
}

impl Sample {
    fn take(root: u32, servers: &[u32]) -> Result<Sample> {
        let procs = all_processes()?;
        ensure!(
            procs.iter().any(|p| p.pid == root),
            "process {root} is not running"
        );
        let mut tree = std::collections::HashMap::new();
        let mut frontier = vec![root];
        while let Some(p) = frontier.pop() {
            if let Some(info) = procs.iter().find(|i| i.pid == p) {
                tree.insert(p, (info.stat_ms, run_time_ms(p)));
            }
            frontier.extend(procs.iter().filter(|i| i.ppid == p).map(|i| i.pid));
        }
        let servers = servers
            .iter()
            .map(|s| {
                procs
                    .iter()
                    .find(|i| i.pid == *s)
                    .map_or(0.0, |i| i.stat_ms)
            })
            .collect();
        Ok(Sample {
            tree,
            servers,
            threads: thread_times(root),
        })
    }

    fn stat_ms(&self) -> f64 {
        self.tree.values().map(|v| v.0).sum()
    }

    /// Run time since `before`, counting only processes alive at both readings.
    fn sched_ms(&self, before: &Sample) -> f64 {
        self.tree
            .iter()
            .map(|(pid, (_, ns))| ns - before.tree.get(pid).map_or(0.0, |b| b.1))
            .sum()
    }
}

struct ProcInfo {
    pid: u32,
    ppid: u32,
    stat_ms: f64,
}

fn all_processes() -> Result<Vec<ProcInfo>> {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let mut out = Vec::new();
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
        out.push(ProcInfo {
            pid,
            ppid: num(1) as u32,
            stat_ms: (num(11) + num(12) + num(13) + num(14)) * 1000.0 / hz,
        });
    }
    Ok(out)
}

/// Nanosecond run time of every thread of `pid`, in ms.
fn run_time_ms(pid: u32) -> f64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0.0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .sum::<f64>()
        / 1e6
}

/// Run time of each thread of `pid` by name, ms.
fn thread_times(pid: u32) -> std::collections::HashMap<String, f64> {
    let mut out = std::collections::HashMap::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for t in tasks.flatten() {
        let name = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
        let ns = std::fs::read_to_string(t.path().join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
            .unwrap_or(0.0);
        *out.entry(name.trim().to_string()).or_default() += ns / 1e6;
    }
    out
}

fn wait_screen(socket: &str, needle: &str, stop: &AtomicBool) -> Result<()> {
    let t0 = Instant::now();
    loop {
        check_stop(stop)?;
        let out = tmux(socket)
            .args(["capture-pane", "-p", "-t", "console"])
            .output()?;
        let screen = String::from_utf8_lossy(&out.stdout);
        if screen.contains(needle) {
            return Ok(());
        }
        if t0.elapsed() > Duration::from_secs(30) {
            bail!("the console did not show {needle:?} within 30 s; screen:\n{screen}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The generated fleet file: N quiet shell agents, a stall timeout the bench never reaches.
fn fleet_toml(name: &str, n: usize) -> String {
    let mut s = format!("[fleet]\nname = \"{name}\"\nstall_timeout = \"1h\"\n");
    for i in 0..n {
        s.push_str(&format!(
            "\n[[agent]]\nname = \"a{i:04}\"\nkind = \"shell\"\ncmd = 'sleep 100000'\n"
        ));
    }
    s
}

/// `tmux -L SOCKET -f /dev/null` with no inherited `$TMUX`.
fn tmux(socket: &str) -> Command {
    let mut cmd = Command::new("tmux");
    cmd.env_remove("TMUX")
        .env_remove("TMUX_PANE")
        .stdin(Stdio::null())
        .args(["-L", socket, "-f", "/dev/null"]);
    cmd
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn env_number(name: &str, default: usize) -> Result<usize> {
    match std::env::var(name) {
        Err(_) => Ok(default),
        Ok(v) => match v.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => bail!("{name}={v:?} is not a positive number; write e.g. {name}={default}"),
        },
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "?".into(),
        |s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}

fn sleep(d: Duration, stop: &AtomicBool) -> Result<()> {
    let t0 = Instant::now();
    while t0.elapsed() < d {
        check_stop(stop)?;
        std::thread::sleep(
            Duration::from_millis(100).min(d.checked_sub(t0.elapsed().min(d)).unwrap()),
        );
    }
    Ok(())
}

fn check_stop(stop: &AtomicBool) -> Result<()> {
    if stop.load(Ordering::Relaxed) {
        bail!("interrupted");
    }
    Ok(())
}

fn flush() {
    use std::io::Write;
    let _ = std::io::stdout().flush();
}
