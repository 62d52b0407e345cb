//! `shoal status` and `shoal down` when the store cannot be read: a damaged file, or a
//! write lock some other process keeps. The fleet still runs in tmux, and tmux knows
//! which panes are the fleet's (the `@shoal_agent`/`@shoal_attempt` pane options the
//! supervisor sets at start), so the operator can still see the fleet and stop it.
//! Nothing is recorded: the store is what cannot be written.

use super::ctx::{self, is_fleet_socket};
use crate::process::procfs;
use crate::store::StoreError;
use crate::tmux::{sockets, OneShot, PaneInfo, TmuxBackend};
use anyhow::Result;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Why the store cannot serve this command.
#[derive(Debug)]
pub enum Trouble {
    /// The file is not a readable SQLite database any more.
    Damaged {
        /// The store file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },
    /// Another process kept a write lock for as long as this command waited.
    Locked {
        /// The store file.
        path: PathBuf,
        /// How long this command waited for the lock.
        waited: Duration,
    },
}

impl Trouble {
    /// The store problem behind `err`, if that is what failed. `started` is when the
    /// command began: a locked store failed only after waiting since then.
    pub fn of(err: &anyhow::Error, started: Instant) -> Option<Trouble> {
        let store = err.chain().find_map(|e| e.downcast_ref::<StoreError>())?;
        match store {
            StoreError::Corrupt { path, detail } => Some(Trouble::Damaged {
                path: path.clone(),
                detail: detail.clone(),
            }),
            StoreError::Sql { path, source }
                if source.sqlite_error_code() == Some(rusqlite::ErrorCode::SystemIoFailure) =>
            {
                // A short read: the file ends before its own header says it does.
                Some(Trouble::Damaged {
                    path: path.clone(),
                    detail: source.to_string(),
                })
            }
            StoreError::Locked { path } => Some(Trouble::Locked {
                path: path.clone(),
                waited: started.elapsed(),
            }),
            _ => None,
        }
    }

    /// One plain sentence for the operator.
    pub fn describe(&self) -> String {
        match self {
            Trouble::Damaged { path, detail } => format!(
                "the store {} is damaged or not a shoal store ({detail}); move it aside to start afresh",
                path.display()
            ),
            Trouble::Locked { path, waited } => {
                let holders = lock_holders(path);
                let who = if holders.is_empty() {
                    "another process".to_string()
                } else {
                    holders
                        .iter()
                        .map(|(pid, comm, age)| {
                            format!("pid {pid} ({comm}, running for {}s)", age.as_secs())
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                format!(
                    "the store {} is locked: {who} has held its write lock for at least {}s (this command waited that long); stop that process or wait",
                    path.display(),
                    waited.as_secs()
                )
            }
        }
    }
}

/// One pane of the fleet as tmux shows it.
struct MarkedPane {
    agent: String,
    attempt: Option<u32>,
    server: String,
    pane: PaneInfo,
}

/// Every pane on the fleet's live servers that carries an agent mark.
fn marked_panes(fleet: &str) -> Vec<MarkedPane> {
    let mut out = Vec::new();
    for server in sockets::live_servers(|n| is_fleet_socket(fleet, n)) {
        let panes = OneShot::new(server.clone())
            .list_panes()
            .unwrap_or_default();
        for pane in panes {
            if let Some(agent) = pane.agent.clone() {
                out.push(MarkedPane {
                    agent,
                    attempt: pane.attempt,
                    server: server.clone(),
                    pane,
                });
            }
        }
    }
    out
}

/// The fleet file, read without the store.
fn fleet_of(path: &ctx::FleetArg) -> Result<crate::fleet::file::Fleet> {
    let config = ctx::config(&path.overrides)?;
    Ok(ctx::load_fleet(path, &config, &path.overrides)?)
}

/// `shoal status` from tmux alone. Exits 1: the agents' states, tiers and events live
/// in the store, and only what tmux knows is shown.
pub fn status(fleet_path: &ctx::FleetArg, json: bool, trouble: &Trouble) -> Result<i32> {
    let fleet = fleet_of(fleet_path)?;
    let note = trouble.describe();
    eprintln!("shoal: {note}");
    let panes = marked_panes(fleet.name());
    let unseen: Vec<&str> = fleet
        .agents
        .iter()
        .map(|a| a.name.as_str())
        .filter(|n| !panes.iter().any(|p| p.agent == *n))
        .collect();
    if json {
        let rows: Vec<_> = panes
            .iter()
            .map(|p| {
                json!({
                    "name": p.agent,
                    "attempt": p.attempt,
                    "server": p.server,
                    "pane": p.pane.pane_id,
                    "pid": p.pane.pid,
                    "alive": !p.pane.dead,
                    "exit_status": p.pane.dead_status,
                })
            })
            .collect();
        let doc = json!({ "store": note, "from": "tmux", "panes": rows, "no_pane": unseen });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(1);
    }
    println!("{note}");
    println!("The fleet as tmux shows it (states, tiers and events are in the store):");
    println!(
        "{:<20} {:>7}  {:<24} {:<6} PROCESS",
        "NAME", "ATTEMPT", "SERVER", "PANE"
    );
    for p in &panes {
        let process = if p.pane.dead {
            match p.pane.dead_status {
                Some(s) => format!("dead (exit {s})"),
                None => "dead".to_string(),
            }
        } else {
            format!("alive (pid {})", p.pane.pid)
        };
        let attempt = p.attempt.map_or("-".to_string(), |a| a.to_string());
        println!(
            "{:<20} {:>7}  {:<24} {:<6} {process}",
            p.agent, attempt, p.server, p.pane.pane_id
        );
    }
    for name in unseen {
        println!("{name:<20} {:>7}  {:<24} {:<6} no pane", "-", "-", "-");
    }
    Ok(1)
}

/// `shoal down` from tmux and `/proc` alone: shoal processes that hold the store open
/// (a supervisor would start the agents again), then every server of the fleet and
/// every process in its panes. Nothing is recorded.
pub fn down(fleet_path: &ctx::FleetArg, trouble: &Trouble) -> Result<i32> {
    let fleet = fleet_of(fleet_path)?;
    let home = ctx::home_dir()?;
    eprintln!(
        "shoal: {}; stopping the fleet from tmux alone (nothing is recorded)",
        trouble.describe()
    );
    let store = home.join(format!("{}.sqlite", fleet.name()));
    for pid in shoal_users(&store) {
        eprintln!("shoal: stopping shoal process {pid}, which has the store open");
        // SAFETY: a signal to a shoal process of this fleet's store, found just now.
        unsafe { libc::kill(pid as i32, libc::SIGTERM) };
        let t0 = Instant::now();
        while procfs::read(pid).is_some_and(|p| !p.is_gone())
            && t0.elapsed() < Duration::from_secs(5)
        {
            std::thread::sleep(Duration::from_millis(50));
        }
        if procfs::read(pid).is_some_and(|p| !p.is_gone()) {
            // SAFETY: as above; it ignored SIGTERM for 5 s.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
    }
    let plans = super::teardown::plan(fleet.name(), &home, &[]);
    for s in &plans {
        for p in &s.panes {
            println!("{}: stopping pane {} on {}", p.name, p.pane, s.socket);
        }
    }
    let done = super::teardown::execute(&plans, fleet.name(), &home, super::teardown::DOWN_GRACE);
    Ok(done.print())
}

/// Other processes running this same shoal binary that have the store (or its WAL)
/// open: the fleet's supervisor or console.
fn shoal_users(store: &Path) -> Vec<u32> {
    let Ok(me) = std::env::current_exe() else {
        return Vec::new();
    };
    let names: Vec<PathBuf> = ["", "-wal", "-shm"]
        .iter()
        .map(|s| PathBuf::from(format!("{}{s}", store.display())))
        .collect();
    let own = std::process::id();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != own)
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|e| e == me))
        .filter(|pid| {
            std::fs::read_dir(format!("/proc/{pid}/fd")).is_ok_and(|fds| {
                fds.flatten()
                    .filter_map(|fd| std::fs::read_link(fd.path()).ok())
                    .any(|t| names.contains(&t))
            })
        })
        .collect()
}

/// Processes holding a write lock on the store or its WAL index, from `/proc/locks`:
/// pid, name, and how long the process has run.
fn lock_holders(store: &Path) -> Vec<(u32, String, Duration)> {
    use std::os::unix::fs::MetadataExt;
    let inodes: Vec<u64> = ["", "-wal", "-shm"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", store.display())).ok())
        .map(|m| m.ino())
        .collect();
    let locks = std::fs::read_to_string("/proc/locks").unwrap_or_default();
    let mut out: Vec<(u32, String, Duration)> = Vec::new();
    for (pid, ino) in parse_locks(&locks) {
        if !inodes.contains(&ino) || pid == std::process::id() || out.iter().any(|h| h.0 == pid) {
            continue;
        }
        if let Some(p) = procfs::read(pid) {
            out.push((pid, p.comm, process_age(p.start)));
        }
    }
    out
}

/// (pid, inode) of every write lock in the text of `/proc/locks`.
fn parse_locks(text: &str) -> Vec<(u32, u64)> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            // "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; "->" lines are waiters.
            if f.get(1) == Some(&"->") || f.get(3) != Some(&"WRITE") {
                return None;
            }
            let pid = f.get(4)?.parse().ok()?;
            let ino = f.get(5)?.rsplit(':').next()?.parse().ok()?;
            Some((pid, ino))
        })
        .collect()
}

/// How long ago a process started, from its start time in clock ticks after boot.
fn process_age(start_ticks: u64) -> Duration {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let uptime = std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|t| t.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0);
    Duration::from_secs_f64((uptime - start_ticks as f64 / hz).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_locks_are_read_from_proc_locks() {
        let text = "1: POSIX  ADVISORY  WRITE 4242 08:01:917 128 128\n\
                    1: -> POSIX  ADVISORY  WRITE 77 08:01:917 120 120\n\
                    2: POSIX  ADVISORY  READ 4243 08:01:917 128 128\n\
                    3: FLOCK  ADVISORY  WRITE 99 00:2a:12 0 EOF\n";
        assert_eq!(parse_locks(text), vec![(4242, 917), (99, 12)]);
    }
}
