//! Stopping a fleet from tmux and `/proc` alone: every live tmux server of the fleet
//! (`shoal-<fleet>`, `shoal-<fleet>-2`, … found in tmux's socket directory, not only
//! the servers the store names), the process tree of every pane on them (agents and the
//! keeper window), the servers themselves, and finally any process still carrying the
//! fleet's environment marker (a `setsid` child of an agent killed earlier).
//!
//! It needs no store, so it also works when the store is damaged.

use crate::process::{self, KillReport, Selector, TreeKill};
use crate::tmux::{sockets, OneShot, Server, TmuxBackend};
use std::path::Path;
use std::time::Duration;

/// How long agents get to act on SIGTERM before SIGKILL when the fleet goes down.
pub const DOWN_GRACE: Duration = Duration::from_secs(3);

/// One pane to end, found before anything was closed.
#[derive(Debug, Clone)]
pub struct PanePlan {
    /// The pane id on its server.
    pub pane: String,
    /// The agent it runs, or the window name (the keeper).
    pub name: String,
    /// Its processes.
    pub selector: Selector,
}

/// A live fleet server and its panes.
#[derive(Debug, Clone)]
pub struct ServerPlan {
    /// Socket name (`HOST:SOCKET` for a remote server).
    pub socket: String,
    /// The server, with its host's transport when remote.
    pub server: Server,
    /// Every pane on it.
    pub panes: Vec<PanePlan>,
}

/// What stopping the fleet did.
#[derive(Debug, Default)]
pub struct Teardown {
    /// Servers stopped, or why not.
    pub servers: Vec<(String, Result<(), String>)>,
    /// Every process ended, and every survivor, across all panes and the sweep.
    pub report: KillReport,
}

/// Look at every live server of the fleet now, while the panes still run: their pids
/// are the anchors of the process trees. `extra` names servers known from elsewhere
/// (the store), remote ones with their hosts' transports; the socket directory is
/// searched in any case.
pub fn plan(fleet: &str, home: &Path, extra: &[Server]) -> Vec<ServerPlan> {
    let mut servers: Vec<Server> = sockets::live_servers(|n| super::ctx::is_fleet_socket(fleet, n))
        .into_iter()
        .map(Server::new)
        .collect();
    for s in extra {
        if !servers.iter().any(|x| x.socket() == s.socket()) && s.is_running() {
            servers.push(s.clone());
        }
    }
    servers
        .into_iter()
        .map(|server| {
            let socket = server.socket().to_string();
            // A remote pane's pids are its host's: this machine's /proc must not be
            // searched for them (its server is stopped, which hangs up its panes).
            let remote = crate::fleet::host::split_server(&socket).0.is_some();
            let panes = OneShot::new(&server)
                .list_panes()
                .unwrap_or_default()
                .into_iter()
                .map(|p| {
                    let anchors = if p.dead || remote {
                        Vec::new()
                    } else {
                        process::ProcId::of(p.pid).into_iter().collect()
                    };
                    let env = match &p.agent {
                        Some(agent) if !remote => process::agent_marker(fleet, agent, home),
                        _ => Vec::new(),
                    };
                    PanePlan {
                        pane: p.pane_id,
                        name: p.agent.unwrap_or(p.window_name),
                        selector: Selector {
                            anchors,
                            known: Vec::new(),
                            env,
                        },
                    }
                })
                .collect();
            ServerPlan {
                socket,
                server,
                panes,
            }
        })
        .collect()
}

impl Teardown {
    /// Say what was stopped and what survived; the exit status (1 when a server could
    /// not be stopped or a process survived).
    pub fn print(&self) -> i32 {
        let mut failed = false;
        for (socket, result) in &self.servers {
            match result {
                Ok(()) => println!("tmux server {socket}: stopped"),
                Err(e) => {
                    failed = true;
                    eprintln!("tmux server {socket}: {e}");
                }
            }
        }
        if !self.report.ended.is_empty() || !self.report.is_clean() {
            println!("processes: {}", self.report.summary());
        }
        for s in &self.report.survivors {
            failed = true;
            eprintln!(
                "shoal: pid {} ({}) is still running: {}",
                s.pid, s.comm, s.reason
            );
        }
        i32::from(failed)
    }
}

/// End every planned process tree (all at once: SIGTERM, `grace`, SIGKILL), stop the
/// servers, then end whatever still carries the fleet's marker.
pub fn execute(plans: &[ServerPlan], fleet: &str, home: &Path, grace: Duration) -> Teardown {
    let mut kills: Vec<TreeKill> = plans
        .iter()
        .flat_map(|s| &s.panes)
        .map(|p| TreeKill::start(p.selector.clone(), grace))
        .collect();
    let mut out = Teardown::default();
    while !kills.is_empty() {
        let mut pending = Vec::new();
        for mut k in kills {
            match k.step() {
                Some(r) => merge(&mut out.report, r),
                None => pending.push(k),
            }
        }
        kills = pending;
        if !kills.is_empty() {
            std::thread::sleep(Duration::from_millis(25));
        }
    }
    for s in plans {
        let result = s.server.kill().map_err(|e| e.to_string());
        out.servers.push((s.socket.clone(), result));
    }
    let fleet_marker = Selector {
        env: vec![
            ("SHOAL_FLEET".into(), fleet.to_string()),
            ("SHOAL_HOME".into(), home.display().to_string()),
        ],
        ..Selector::default()
    };
    merge(&mut out.report, process::kill_tree(&fleet_marker, grace));
    out
}

fn merge(into: &mut KillReport, r: KillReport) {
    for e in r.ended {
        if !into.ended.iter().any(|x| x.pid == e.pid) {
            into.ended.push(e);
        }
    }
    for s in r.survivors {
        if !into.survivors.iter().any(|x| x.pid == s.pid) {
            into.survivors.push(s);
        }
    }
    into.forced |= r.forced;
}
