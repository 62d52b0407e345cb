//! Who runs this command, found from where it runs rather than from what it says: a
//! command whose process descends from the pane of a live attempt is that agent's
//! (`$TMUX_PANE` with the pane's shoal marks, and the environment the pane was started
//! with, are further signals when the chain is broken). `SHOAL_AGENT` may only narrow
//! the operator to one agent, never widen an agent. Refusals are recorded as events that
//! name the caller.

use super::ctx::parents;
use super::ctx::Ctx;
use crate::fleet::{may_act, Caller, LifeState, Verb};
use crate::store::{NewEvent, Store};
use crate::supervisor::runner::now_ms;
use anyhow::{anyhow, bail, Result};
use std::collections::BTreeSet;
use std::io::IsTerminal;

/// Longest process chain walked: deeper than any real shell nesting.
const MAX_DEPTH: usize = 64;

/// A live attempt's pane as the caller check sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LivePane {
    /// The agent.
    pub agent: String,
    /// Its current attempt.
    pub attempt: u32,
    /// tmux socket name of its server.
    pub server: String,
    /// Pane id.
    pub pane: String,
    /// pid of the pane's first process, when tmux listed the pane.
    pub pid: Option<u32>,
    /// The pane's `@shoal_agent` mark names this agent.
    pub marked: bool,
}

/// What the process knows about where it runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Whereabouts {
    /// This process, then its parent, grandparent, … up to init.
    pub chain: Vec<u32>,
    /// `$TMUX` socket name and `$TMUX_PANE`, when set.
    pub tmux_pane: Option<(String, String)>,
    /// `(SHOAL_FLEET, SHOAL_AGENT)` from the environment the pane was started with.
    pub pane_env: Option<(String, String)>,
    /// `SHOAL_AGENT` of this process.
    pub env_agent: Option<String>,
    /// `SHOAL_FLEET` of this process.
    pub env_fleet: Option<String>,
    /// This process's terminal.
    pub tty: Option<String>,
}

/// The caller of a command on `fleet`, from live panes and where the process runs.
/// `attempt_of` gives an agent's current attempt (None: no such agent).
pub fn decide(
    fleet: &str,
    live: &[LivePane],
    w: &Whereabouts,
    attempt_of: &dyn Fn(&str) -> Option<u32>,
) -> Result<Caller, String> {
    let as_caller = |p: &LivePane| Caller::Agent {
        name: p.agent.clone(),
        attempt: p.attempt,
        pane: Some(p.pane.clone()),
    };
    // The nearest ancestor that is a live pane's first process decides.
    let by_chain = w
        .chain
        .iter()
        .find_map(|pid| live.iter().find(|p| p.pid == Some(*pid)));
    let by_tmux = || {
        let (socket, pane) = w.tmux_pane.as_ref()?;
        live.iter()
            .find(|p| p.marked && &p.server == socket && &p.pane == pane)
    };
    let found = by_chain.or_else(by_tmux).map(as_caller);
    let found = match (found, &w.pane_env) {
        (Some(c), _) => Some(c),
        // The pane's own environment: an agent the store may no longer know still
        // acts as that agent (which reaches nobody), never as the operator.
        (None, Some((f, agent))) if f == fleet => Some(Caller::Agent {
            name: agent.clone(),
            attempt: attempt_of(agent).unwrap_or(0),
            pane: None,
        }),
        (None, Some((f, agent))) => {
            return Err(format!(
                "this command runs inside agent {agent}'s pane of fleet {f}: an agent cannot act on fleet {fleet}; nothing was done"
            ))
        }
        (None, None) => None,
    };
    if let Some(c) = found {
        // Never widen: inside a pane, the pane decides who this is.
        return Ok(c);
    }
    // Outside every pane: the operator, who may narrow itself to one agent.
    match (&w.env_agent, &w.env_fleet) {
        (Some(agent), Some(f)) if f == fleet => match attempt_of(agent) {
            Some(attempt) => Ok(Caller::Agent {
                name: agent.clone(),
                attempt,
                pane: None,
            }),
            None => Err(format!(
                "SHOAL_AGENT names {agent:?}, which fleet {fleet} does not know; run this inside one of its agents' panes"
            )),
        },
        _ => Ok(Caller::Operator {
            tty: w.tty.clone(),
        }),
    }
}

/// The caller of a command on this context's fleet.
pub fn identify(ctx: &Ctx) -> Result<Caller> {
    let caller = identify_in(&ctx.store, &ctx.fleet.settings.name)?;
    let claimed = std::env::var("SHOAL_AGENT").ok().filter(|v| !v.is_empty());
    if let (Some(claimed), Some(me)) = (claimed, caller.agent()) {
        if claimed != me {
            eprintln!("shoal: SHOAL_AGENT={claimed} is ignored: this command runs as {caller}");
        }
    }
    Ok(caller)
}

/// The caller of a command on fleet `fleet`, whose store is `store`; prints nothing.
pub fn identify_in(store: &Store, fleet: &str) -> Result<Caller> {
    let live = live_panes(store)?;
    let attempt_of = |name: &str| -> Option<u32> {
        store.agent(name).ok().flatten().map(|_| {
            store
                .attempts(name)
                .ok()
                .and_then(|a| a.last().map(|t| t.attempt))
                .unwrap_or(0)
        })
    };
    decide(fleet, &live, &whereabouts(), &attempt_of).map_err(|e| anyhow!(e))
}

/// Refuse unless `caller` may `verb` `target` (empty for fleet-wide verbs); a refusal is
/// recorded as a `refused` event naming the caller.
pub fn authorize(ctx: &Ctx, caller: &Caller, verb: Verb, target: &str) -> Result<()> {
    let Err(why) = may_act(caller, verb, target, &parents(&ctx.store)?) else {
        return Ok(());
    };
    // The event is about the agent acted on, or the caller for fleet-wide verbs.
    let about = Some(target)
        .filter(|t| !t.is_empty())
        .or(caller.agent())
        .map(str::to_string);
    let attempt = match &about {
        Some(a) => ctx.store.attempts(a)?.last().map(|t| t.attempt),
        None => None,
    };
    let event = NewEvent {
        agent: about,
        attempt,
        ..NewEvent::fleet(
            now_ms(),
            crate::fleet::EventKind::Refused {
                verb,
                by: caller.to_string(),
                why: why.clone(),
            },
        )
    };
    if let Err(e) = ctx.store.insert_event(&event) {
        eprintln!("shoal: the refusal could not be recorded: {e}");
    }
    bail!(why)
}

/// Refuse a name the fleet does not know, listing the ones it does.
pub fn require_agent(ctx: &Ctx, name: &str) -> Result<()> {
    if ctx.store.agent(name)?.is_some() {
        return Ok(());
    }
    let names: Vec<String> = ctx.store.agents()?.into_iter().map(|a| a.name).collect();
    bail!(
        "no agent named {name:?} in fleet {}; agents: {}",
        ctx.fleet.settings.name,
        if names.is_empty() {
            "(none)".to_string()
        } else {
            names.join(", ")
        }
    )
}

/// Panes of the fleet's live attempts, with their pids as tmux reports them now.
fn live_panes(store: &Store) -> Result<Vec<LivePane>> {
    let mut live: Vec<LivePane> = store
        .current_attempts()?
        .into_iter()
        .filter(|a| matches!(a.state, LifeState::Starting | LifeState::Running))
        .filter_map(|a| {
            Some(LivePane {
                server: a.server?,
                pane: a.pane?,
                agent: a.agent,
                attempt: a.attempt,
                pid: None,
                marked: false,
            })
        })
        .collect();
    let servers: BTreeSet<String> = live.iter().map(|p| p.server.clone()).collect();
    for server in servers {
        // A remote pane cannot be this process's ancestor: only local servers are
        // listed (a remote pane's requests come back through its own pane options).
        if crate::fleet::host::split_server(&server).0.is_some() {
            continue;
        }
        // A server that is down holds no caller: its panes are gone.
        let Ok(panes) = crate::tmux::list_foreign_panes(crate::tmux::Server::new(server.clone()))
        else {
            continue;
        };
        for p in live.iter_mut().filter(|p| p.server == server) {
            if let Some(info) = panes.iter().find(|i| i.pane_id == p.pane) {
                p.pid = Some(info.pid);
                p.marked = info.agent.as_deref() == Some(p.agent.as_str());
            }
        }
    }
    Ok(live)
}

/// Where this process runs.
fn whereabouts() -> Whereabouts {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let chain = ancestors(std::process::id());
    // `$TMUX` is `socket-path,server-pid,session`; shoal names servers by socket name.
    let tmux_pane = var("TMUX").zip(var("TMUX_PANE")).and_then(|(t, pane)| {
        let path = t.split(',').next()?;
        let socket = path.rsplit('/').next()?.to_string();
        Some((socket, pane))
    });
    Whereabouts {
        pane_env: pane_env(&chain),
        chain,
        tmux_pane,
        env_agent: var("SHOAL_AGENT"),
        env_fleet: var("SHOAL_FLEET"),
        tty: tty(),
    }
}

/// `pid`, its parent, and so on up to init.
fn ancestors(pid: u32) -> Vec<u32> {
    let mut chain = vec![pid];
    while chain.len() < MAX_DEPTH {
        match parent_of(*chain.last().unwrap_or(&0)) {
            Some(p) if p > 1 && !chain.contains(&p) => chain.push(p),
            _ => break,
        }
    }
    chain
}

/// The parent pid from `/proc/PID/stat` (the field after the parenthesised name, which
/// may itself hold spaces and parentheses).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_ppid(&stat)
}

fn parse_ppid(stat: &str) -> Option<u32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// The shoal variables the pane was started with: of the processes below the tmux
/// server, the one nearest the server that has them. An agent can change its own
/// variables and those of what it starts, not the ones tmux gave its pane.
fn pane_env(chain: &[u32]) -> Option<(String, String)> {
    let mut found = None;
    for &pid in chain {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.starts_with("tmux") {
            break;
        }
        let Ok(environ) = std::fs::read(format!("/proc/{pid}/environ")) else {
            continue;
        };
        let get = |key: &str| {
            environ
                .split(|&b| b == 0)
                .find_map(|kv| kv.strip_prefix(format!("{key}=").as_bytes()))
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .filter(|v| !v.is_empty())
        };
        if let (Some(f), Some(a)) = (get("SHOAL_FLEET"), get("SHOAL_AGENT")) {
            found = Some((f, a));
        }
    }
    found
}

/// The terminal of stdin, stdout or stderr, e.g. `/dev/pts/3`.
fn tty() -> Option<String> {
    let fds: [(bool, u8); 3] = [
        (std::io::stdin().is_terminal(), 0),
        (std::io::stdout().is_terminal(), 1),
        (std::io::stderr().is_terminal(), 2),
    ];
    fds.iter().filter(|(t, _)| *t).find_map(|(_, fd)| {
        std::fs::read_link(format!("/proc/self/fd/{fd}"))
            .ok()
            .map(|p| p.display().to_string())
    })
}

#[cfg(test)]
#[path = "caller_tests.rs"]
mod tests;
