//! Soak: does a long-running supervisor's memory level off?
//!
//! Starts a fleet of churning agents (each prints a few lines a second for a few
//! seconds, then exits with status 0 or 1) under a headless `shoal supervise` on
//! private tmux servers with a private `SHOAL_HOME`, and retries every ended agent so
//! the fleet keeps starting attempts, recording events and logging lines. Every
//! `SOAK_EVERY` seconds it prints the supervisor's resident memory (`VmRSS`), the
//! attempts started so far and the store's size; at the end, the curve's first, last
//! and highest points and the growth over its second half.
//!
//! Run with `cargo bench --bench soak`. `SOAK_MINUTES=3` sets the duration,
//! `SOAK_AGENTS=200` the fleet size, `SOAK_EVERY=30` the sampling period in seconds.
//! Everything it starts is stopped at the end with `shoal down`, also on Ctrl-C.

use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register_conditional_shutdown(sig, 1, Arc::clone(&stop));
        let _ = signal_hook::flag::register(sig, Arc::clone(&stop));
    }
    if let Err(e) = run(&stop) {
        eprintln!("soak failed: {e:#}");
        std::process::exit(1);
    }
}

/// The fleet's directory, its name, and the supervisor; stopped and removed on drop.
struct Soak {
    dir: PathBuf,
    name: String,
    supervisor: Option<Child>,
}

impl Soak {
    fn shoal(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_shoal"));
        c.arg("-f").arg(self.dir.join("shoal.toml")).args(args);
        c.env("SHOAL_HOME", self.dir.join("home"))
            .env("SHOAL_CONFIG", self.dir.join("config"))
            .env_remove("TMUX")
            .stdin(Stdio::null());
        c
    }

    fn status(&self) -> Result<Vec<serde_json::Value>> {
        let out = self.shoal(&["status", "--json"]).output()?;
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).context("status --json is not JSON")?;
        Ok(v.as_array().cloned().unwrap_or_default())
    }
}

impl Drop for Soak {
    fn drop(&mut self) {
        if let Some(c) = &mut self.supervisor {
            // SAFETY: SIGTERM to the supervisor this bench started.
            unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
            let _ = c.wait();
        }
        let _ = self
            .shoal(&["down"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn run(stop: &AtomicBool) -> Result<()> {
    let minutes = env_number("SOAK_MINUTES", 3)?;
    let agents = env_number("SOAK_AGENTS", 200)?;
    let every = Duration::from_secs(env_number("SOAK_EVERY", 30)? as u64);
    let name = format!("soak{}", std::process::id());
    let dir = std::env::temp_dir().join(&name);
    std::fs::create_dir_all(&dir)?;
    let mut fleet = format!("[fleet]\nname = \"{name}\"\nstall_timeout = \"1h\"\n");
    for n in 0..agents {
        // Lives 2–7 s printing 3 lines a second, then ends done or failed.
        let lines = 6 + n % 16;
        let status = n % 2;
        fleet += &format!(
            "\n[[agent]]\nname = \"c{n}\"\ncmd = \"for i in $(seq 1 {lines}); do echo \\\"c{n} step $i of {lines}: writing module_$i.rs\\\"; sleep 0.33; done; exit {status}\"\n"
        );
    }
    std::fs::write(dir.join("shoal.toml"), fleet)?;
    let mut soak = Soak {
        dir,
        name,
        supervisor: None,
    };
    let up = soak.shoal(&["up", "--no-console"]).output()?;
    if !up.status.success() {
        bail!("up failed: {}", String::from_utf8_lossy(&up.stderr));
    }
    let sup = soak
        .shoal(&["supervise"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let pid = sup.id();
    soak.supervisor = Some(sup);
    println!(
        "soak: {agents} churning agents under `shoal supervise` (pid {pid}) for {minutes} min, fleet {}",
        soak.name
    );
    println!(
        "{:>6}  {:>9}  {:>9}  {:>10}",
        "t(s)", "rss(MB)", "attempts", "store(MB)"
    );
    let t0 = Instant::now();
    let end = Duration::from_secs(minutes as u64 * 60);
    let mut next_sample = Duration::ZERO;
    let mut curve: Vec<(f64, f64)> = Vec::new();
    let mut retried = 0usize;
    while t0.elapsed() < end && !stop.load(Ordering::Relaxed) {
        let st = soak.status()?;
        let ended: Vec<String> = st
            .iter()
            .filter(|a| matches!(a["state"].as_str(), Some("done" | "failed")))
            .filter_map(|a| a["name"].as_str().map(str::to_string))
            .collect();
        for a in ended.iter().take(20) {
            let _ = soak
                .shoal(&["retry", "--queue", a])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            retried += 1;
        }
        if t0.elapsed() >= next_sample {
            let Some(rss) = rss_mb(pid) else {
                bail!("the supervisor (pid {pid}) is gone");
            };
            let store =
                std::fs::metadata(soak.dir.join("home").join(format!("{}.sqlite", soak.name)))
                    .map_or(0.0, |m| m.len() as f64 / 1e6);
            let t = t0.elapsed().as_secs_f64();
            println!(
                "{t:>6.0}  {rss:>9.1}  {:>9}  {store:>10.1}",
                agents + retried
            );
            curve.push((t, rss));
            next_sample += every;
        }
        std::thread::sleep(Duration::from_secs(2));
    }
    if let (Some(first), Some(last)) = (curve.first(), curve.last()) {
        let max = curve.iter().map(|c| c.1).fold(0.0, f64::max);
        let mid = curve[curve.len() / 2];
        println!(
            "soak: rss first {:.1} MB, last {:.1} MB, highest {max:.1} MB; second half {:+.1} MB over {:.0} s; {} attempts",
            first.1,
            last.1,
            last.1 - mid.1,
            last.0 - mid.0,
            agents + retried
        );
    }
    Ok(())
}

/// Resident memory of a process in MB, from `/proc/PID/status`.
fn rss_mb(pid: u32) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = s
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
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
