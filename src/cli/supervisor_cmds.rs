//! A supervisor that outlives its terminal: `shoal supervise --detach` starts one in its
//! own session, logging to a file in the data directory, and `shoal supervisor
//! status|stop|logs|unit` look after it.

use super::ctx::Ctx;
use crate::store::{LeaseHolder, SupervisorMode};
use crate::supervisor::runner::{now_ms, stale_after_ms};
use anyhow::{bail, Context, Result};
use clap::Subcommand;
use std::io::{BufRead, Seek, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// How long `--detach` waits for the new supervisor to take the lease.
const START_TIMEOUT: Duration = Duration::from_secs(15);
/// How long `stop` waits for the supervisor to let go of the lease.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// `shoal supervisor …`.
#[derive(Debug, Subcommand)]
pub enum SupervisorCmd {
    /// Who supervises the fleet: pid, where it runs, uptime, ticks, lease epoch, last error.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Stop the running supervisor (the agents keep running).
    Stop,
    /// Print the detached supervisor's log.
    Logs {
        /// Keep printing what it writes.
        #[arg(long)]
        follow: bool,
        /// How many of the last lines to print first.
        #[arg(long, default_value_t = 50)]
        lines: usize,
    },
    /// Print a systemd user unit that runs the supervisor for this fleet.
    Unit,
}

/// Where a fleet's detached supervisor writes its log.
pub fn log_path(ctx: &Ctx) -> PathBuf {
    ctx.home
        .join(format!("{}.supervisor.log", ctx.fleet.settings.name))
}

/// Where a fleet's detached supervisor writes its pid.
pub fn pid_path(ctx: &Ctx) -> PathBuf {
    ctx.home
        .join(format!("{}.supervisor.pid", ctx.fleet.settings.name))
}

fn fleet_file(ctx: &Ctx) -> Result<PathBuf> {
    if ctx.fleet.path.as_os_str().is_empty() {
        bail!("this fleet was opened without its fleet file; pass -f FILE to start a detached supervisor");
    }
    std::path::absolute(&ctx.fleet.path)
        .with_context(|| format!("cannot resolve {}", ctx.fleet.path.display()))
}

/// The live supervisor of the fleet, if one holds the lease.
fn holder(ctx: &Ctx) -> Result<Option<LeaseHolder>> {
    let stale = stale_after_ms(ctx.fleet.settings.poll_interval);
    Ok(ctx.store.lease()?.filter(|h| h.is_live(now_ms(), stale)))
}

/// Start a supervisor for the fleet in its own session, detached from this terminal.
/// With `take_over` (the console's pid), it takes the lease from that console as it
/// quits instead of refusing. Returns its pid once it holds the lease.
pub fn detach(ctx: &Ctx, take_over: Option<u32>) -> Result<u32> {
    if take_over.is_none() {
        if let Some(h) = holder(ctx)? {
            bail!(
                "a supervisor (pid {}, {}) already watches fleet {}; `shoal supervisor status` shows it",
                h.pid,
                h.mode.as_str(),
                ctx.fleet.settings.name
            );
        }
    }
    let file = fleet_file(ctx)?;
    let log = log_path(ctx);
    let out = crate::store::private::append(&log)
        .with_context(|| format!("cannot open the supervisor log {}", log.display()))?;
    let err = out.try_clone()?;
    let exe = std::env::current_exe().context("cannot find the shoal binary to start")?;
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("-f").arg(&file).arg("supervise").arg("--detached");
    if let Some(from) = take_over {
        cmd.arg("--take-over").arg(from.to_string());
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .env_remove("TMUX")
        .env_remove("TMUX_PANE");
    // SAFETY: setsid is async-signal-safe; the child leaves this terminal's session so
    // closing the terminal (SIGHUP) does not end it.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .context("cannot start the detached supervisor")?;
    let pid = child.id();
    let t0 = Instant::now();
    while t0.elapsed() < START_TIMEOUT {
        if let Some(status) = child.try_wait()? {
            bail!(
                "the detached supervisor exited at once ({status}); its log {} says why",
                log.display()
            );
        }
        if ctx.store.lease()?.is_some_and(|h| h.pid == pid) {
            // Reaped by nobody once we exit: it belongs to init then.
            std::mem::forget(child);
            return Ok(pid);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!(
        "the detached supervisor (pid {pid}) did not take the lease within {}s; see {}",
        START_TIMEOUT.as_secs(),
        log.display()
    )
}

/// `shoal supervisor …`.
pub fn run(ctx: &Ctx, what: &SupervisorCmd) -> Result<i32> {
    match what {
        SupervisorCmd::Status { json } => status(ctx, *json),
        SupervisorCmd::Stop => stop(ctx),
        SupervisorCmd::Logs { follow, lines } => logs(ctx, *follow, *lines),
        SupervisorCmd::Unit => unit(ctx),
    }
}

fn status(ctx: &Ctx, json: bool) -> Result<i32> {
    let now = now_ms();
    let h = holder(ctx)?;
    let last_error = last_error(ctx)?;
    if json {
        let v = serde_json::json!({
            "fleet": ctx.fleet.settings.name,
            "running": h.is_some(),
            "pid": h.map(|h| h.pid),
            "mode": h.map(|h| h.mode.as_str()),
            "started_ms": h.map(|h| h.started_ms),
            "uptime_s": h.map(|h| (now - h.started_ms) / 1000),
            "heartbeat_ms": h.map(|h| h.heartbeat_ms),
            "ticks": h.map(|h| h.ticks),
            "lease_epoch": h.map(|h| h.epoch),
            "last_error": last_error,
            "log": log_path(ctx),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(if h.is_some() { 0 } else { 3 });
    }
    let Some(h) = h else {
        println!(
            "fleet {}: nobody supervises it; `shoal supervise --detach` starts a supervisor that outlives this terminal",
            ctx.fleet.settings.name
        );
        return Ok(3);
    };
    println!(
        "fleet {}: supervised by pid {} ({})",
        ctx.fleet.settings.name,
        h.pid,
        h.mode.as_str()
    );
    println!(
        "  up {} · {} ticks · last heartbeat {} ago · lease epoch {}",
        crate::app::format::elapsed(now - h.started_ms),
        h.ticks,
        crate::app::format::elapsed(now - h.heartbeat_ms),
        h.epoch
    );
    if let Some(e) = last_error {
        println!("  last error: {e}");
    }
    if h.mode == SupervisorMode::Detached {
        println!("  log: {}", log_path(ctx).display());
    }
    Ok(0)
}

/// The newest error the supervisor noted in the log, with how long ago.
fn last_error(ctx: &Ctx) -> Result<Option<String>> {
    let q = crate::logs::LogQuery {
        min_level: crate::logs::Level::Error,
        sources: vec![crate::logs::Source::Supervisor],
        limit: 1,
        ..Default::default()
    };
    let page = ctx.store.query_logs(&q)?;
    Ok(page.entries.first().map(|e| {
        format!(
            "{} ({} ago)",
            e.message,
            crate::app::format::elapsed(now_ms() - e.ts_ms)
        )
    }))
}

/// Ask the holder to stop and wait until it let go of the lease.
pub fn stop(ctx: &Ctx) -> Result<i32> {
    let Some(h) = holder(ctx)? else {
        println!(
            "fleet {}: no supervisor is running",
            ctx.fleet.settings.name
        );
        return Ok(0);
    };
    if h.pid == std::process::id() {
        bail!("this process is the supervisor");
    }
    // SAFETY: a signal to the pid the lease names; SIGTERM asks shoal to stop cleanly.
    let rc = unsafe { libc::kill(h.pid as i32, libc::SIGTERM) };
    if rc != 0 {
        bail!(
            "cannot signal the supervisor (pid {}): {}",
            h.pid,
            std::io::Error::last_os_error()
        );
    }
    let t0 = Instant::now();
    while t0.elapsed() < STOP_TIMEOUT {
        let released = !ctx.store.lease()?.is_some_and(|l| l.pid == h.pid);
        if released && !crate::store::process_running(h.pid) {
            println!(
                "supervisor (pid {}) stopped; the agents keep running",
                h.pid
            );
            return Ok(0);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!(
        "the supervisor (pid {}) did not stop within {}s; `kill -9 {}` ends it (agents keep running)",
        h.pid,
        STOP_TIMEOUT.as_secs(),
        h.pid
    )
}

fn logs(ctx: &Ctx, follow: bool, lines: usize) -> Result<i32> {
    let path = log_path(ctx);
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!(
                "no supervisor log at {} yet: only a detached supervisor writes one",
                path.display()
            );
            return Ok(0);
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut reader = std::io::BufReader::new(file);
    let mut tail: std::collections::VecDeque<String> = Default::default();
    let mut line = String::new();
    while reader.read_line(&mut line)? > 0 {
        tail.push_back(std::mem::take(&mut line));
        if tail.len() > lines {
            tail.pop_front();
        }
    }
    let mut out = std::io::stdout().lock();
    for l in tail {
        if out.write_all(l.as_bytes()).is_err() {
            return Ok(0);
        }
    }
    if !follow {
        return Ok(0);
    }
    loop {
        let pos = reader.stream_position()?;
        if reader.read_line(&mut line)? == 0 {
            out.flush()?;
            std::thread::sleep(Duration::from_millis(250));
            reader.seek(std::io::SeekFrom::Start(pos))?;
            continue;
        }
        if out.write_all(line.as_bytes()).is_err() {
            return Ok(0);
        }
        line.clear();
    }
}

fn unit(ctx: &Ctx) -> Result<i32> {
    let file = fleet_file(ctx)?;
    let exe = std::env::current_exe().context("cannot find the shoal binary")?;
    print!(
        "{}",
        unit_text(&ctx.fleet.settings.name, &exe, &file, &ctx.home)
    );
    Ok(0)
}

/// A systemd user unit that keeps the fleet supervised from login on.
pub fn unit_text(fleet: &str, exe: &Path, file: &Path, home: &Path) -> String {
    format!(
        r#"# ~/.config/systemd/user/shoal-{fleet}.service — then:
#   systemctl --user daemon-reload && systemctl --user enable --now shoal-{fleet}
[Unit]
Description=shoal supervisor for fleet {fleet}

[Service]
Environment="SHOAL_HOME={home}"
ExecStart="{exe}" -f "{file}" supervise
Restart=on-failure
RestartSec=5

[Install]
WantedBy=default.target
"#,
        home = home.display(),
        exe = exe.display(),
        file = file.display(),
    )
}
