//! Lineage commands: `spawn` adds an agent (from inside a pane, a child of that agent),
//! `signal` reports upward, `inbox` reads the children's signals, `steer` types into a
//! descendant's pane.

use super::caller::{authorize, identify, require_agent};
use super::ctx::{registry, Ctx, FleetArg};
use super::output::clock;
use crate::fleet::file::{check_name, expand_home, parse_duration};
use crate::fleet::{Caller, Command, Verb};
use crate::fleet::{SignalKind, SignalView};
use crate::store::{AgentRecord, Origin};
use crate::supervisor::runner::now_ms;
use anyhow::{bail, Context, Result};
use clap::Args;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a spawn without a supervisor waits for the new agent to take its task.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(15);
/// How often `inbox --wait` looks at the store.
const INBOX_POLL: Duration = Duration::from_millis(200);

/// `shoal spawn`: what the new agent is.
#[derive(Debug, Args)]
pub struct SpawnArgs {
    /// Unique name: letters, digits, '-' and '_'.
    pub name: String,
    /// Detection profile; guessed from the command when absent.
    #[arg(long)]
    pub kind: Option<String>,
    /// Start directory (default: the current directory).
    #[arg(long)]
    pub cwd: Option<PathBuf>,
    /// First message, typed once the agent is ready.
    #[arg(long)]
    pub task: Option<String>,
    /// Parent agent (inside a pane: that agent or one of its descendants; default: that agent).
    #[arg(long)]
    pub parent: Option<String>,
    /// Most children of the new agent running at once.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_children: Option<u32>,
    /// Stall timeout (default: the parent's, else the fleet's).
    #[arg(long)]
    pub stall_timeout: Option<String>,
    /// Extra environment, repeatable.
    #[arg(long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// The command, after `--`: one argument is a shell line run as written; several are
    /// quoted word by word.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub cmd: Vec<String>,
}

/// Quote a word for the pane's shell unless it is plainly safe.
fn sh_word(w: &str) -> String {
    let safe = !w.is_empty()
        && w.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b));
    if safe {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', r"'\''"))
    }
}

/// The command line a spawn's trailing arguments stand for.
pub fn command_line(words: &[String]) -> String {
    match words {
        [one] => one.clone(),
        many => many
            .iter()
            .map(|w| sh_word(w))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

fn open(fleet: &FleetArg, verb: &str) -> Result<Ctx> {
    if fleet.path == Path::new("shoal.toml") && !fleet.exists() {
        bail!("shoal {verb}: not inside an agent's pane (SHOAL_FLEET is not set) and no ./shoal.toml here; pass -f FILE to name the fleet");
    }
    Ctx::open(fleet)
}

fn known_agents(ctx: &Ctx) -> Result<String> {
    let names: Vec<String> = ctx.store.agents()?.into_iter().map(|a| a.name).collect();
    Ok(if names.is_empty() {
        "(none)".into()
    } else {
        names.join(", ")
    })
}

/// Check everything about a spawn and build the agent's record; nothing is written.
fn plan_spawn(ctx: &Ctx, caller: &Caller, a: &SpawnArgs, now: i64) -> Result<AgentRecord> {
    check_name(&a.name).map_err(|e| anyhow::anyhow!("spawn: {e}"))?;
    if let Some(existing) = ctx.store.agent(&a.name)? {
        let state = ctx
            .store
            .attempts(&existing.name)?
            .last()
            .map_or("queued".to_string(), |t| t.state.to_string());
        bail!(
            "an agent named {:?} already exists in fleet {} (state {state}); choose another name",
            a.name,
            ctx.fleet.settings.name
        );
    }
    let parent = match (caller.agent(), &a.parent) {
        (Some(me), None) => Some(me.to_string()),
        (Some(_), Some(p)) => {
            authorize(ctx, caller, Verb::Spawn, p)?;
            Some(p.clone())
        }
        (None, p) => p.clone(),
    };
    let parent_rec = match &parent {
        Some(p) => Some(ctx.store.agent(p)?.ok_or_else(|| {
            anyhow::anyhow!(
                "parent {p:?} names no agent in fleet {}; agents: {}",
                ctx.fleet.settings.name,
                known_agents(ctx).unwrap_or_default()
            )
        })?),
        None => None,
    };
    let cmd = command_line(&a.cmd);
    if cmd.trim().is_empty() {
        bail!("spawn: the command after -- is empty; write the command that starts the agent, e.g. -- claude");
    }
    let registry = registry();
    let kind = match &a.kind {
        Some(k) if registry.get(k).is_some() => k.clone(),
        Some(k) => bail!(
            "unknown kind {k:?}; known kinds: {}",
            registry.names().join(", ")
        ),
        None => registry.guess_kind(&cmd),
    };
    let cwd = match &a.cwd {
        Some(d) => expand_home(&d.to_string_lossy()),
        None => {
            std::env::current_dir().context("cannot read the current directory; pass --cwd DIR")?
        }
    };
    let cwd = std::path::absolute(&cwd).unwrap_or(cwd);
    if !cwd.is_dir() {
        bail!(
            "--cwd {:?} is not a directory; create it or fix the path",
            cwd.display().to_string()
        );
    }
    let mut env = BTreeMap::new();
    for pair in &a.env {
        let Some((k, v)) = pair.split_once('=') else {
            bail!("--env {pair:?} is not KEY=VALUE");
        };
        let ok = !k.is_empty()
            && !k.starts_with(|c: char| c.is_ascii_digit())
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            bail!("--env: variable name {k:?} is not valid; use letters, digits and '_', not starting with a digit");
        }
        env.insert(k.to_string(), v.to_string());
    }
    let stall_timeout_ms = match &a.stall_timeout {
        Some(t) => parse_duration(t)
            .map_err(|e| anyhow::anyhow!("--stall-timeout: {e}; write e.g. 5m"))?
            .as_millis() as u64,
        None => parent_rec
            .as_ref()
            .map_or(ctx.fleet.settings.stall_timeout.as_millis() as u64, |p| {
                p.stall_timeout_ms
            }),
    };
    Ok(AgentRecord {
        name: a.name.clone(),
        parent,
        kind,
        cmd,
        cwd: Some(cwd.display().to_string()),
        task: a.task.clone(),
        env,
        stall_timeout_ms: stall_timeout_ms.max(1),
        paused: false,
        on_idle: None,
        seq: 0,
        created_ms: now,
    })
}

/// `shoal spawn NAME [...] -- CMD...`: record a new agent; the running supervisor
/// starts it, or this command does when none runs.
pub fn spawn(fleet: &FleetArg, a: SpawnArgs) -> Result<i32> {
    let ctx = open(fleet, "spawn")?;
    let caller = identify(&ctx)?;
    let now = now_ms();
    let mut rec = plan_spawn(&ctx, &caller, &a, now)?;
    let max_children = a.max_children.map(|n| n as usize);
    ctx.store
        .write(|s| {
            // Checked again inside the transaction: another spawn may have raced us.
            if s.agent(&rec.name)?.is_some() {
                return Ok(false);
            }
            rec.seq = s.next_seq()?;
            s.upsert_agent(&rec)?;
            s.set_agent_meta(&rec.name, Origin::Spawn, max_children)?;
            Ok(true)
        })?
        .then_some(())
        .with_context(|| {
            format!(
                "an agent named {:?} was just added by someone else; choose another name",
                rec.name
            )
        })?;
    let whose = rec
        .parent
        .as_deref()
        .map_or("at the root".to_string(), |p| format!("as a child of {p}"));
    println!("spawned {} ({}) {whose}", rec.name, rec.kind);

    let mut sup = ctx.supervisor(false)?;
    let view = sup.snapshot(now).agent(&rec.name).cloned();
    let position = view.as_ref().and_then(|v| v.lineage.queue_pos);
    let starts_now = sup.would_start(&rec.name);
    // A spent budget over its new place holds it, whoever supervises.
    if let Some(b) = view.and_then(|v| v.lineage.budget).filter(|b| {
        !starts_now && b.level == crate::fleet::BudgetLevel::Exhausted && b.action.stops()
    }) {
        println!(
            "queued #{}: not started: {}",
            position.unwrap_or(0),
            b.explain(&rec.name)
        );
        return Ok(0);
    }
    if let Some(h) = ctx.live_supervisor()? {
        if starts_now {
            println!("the supervisor (pid {}) starts it", h.pid);
        } else {
            println!(
                "queued #{}: the supervisor (pid {}) starts it when a slot frees",
                position.unwrap_or(0),
                h.pid
            );
        }
        return Ok(0);
    }
    crate::tmux::Server::check_installed()?;
    let mut failed = false;
    for (name, r) in sup.start_queued(now_ms()) {
        match r {
            Ok(what) => println!("{name}: {what}"),
            Err(e) => {
                failed |= name == rec.name;
                eprintln!("{name}: could not start: {e}");
            }
        }
    }
    let t0 = Instant::now();
    while sup.unsettled().contains(&rec.name) && t0.elapsed() < SETTLE_TIMEOUT {
        std::thread::sleep(Duration::from_millis(300));
        let now = now_ms();
        sup.observe_all(now);
        sup.settle(now);
    }
    if let Some(v) = sup.snapshot(now_ms()).agent(&rec.name) {
        if let Some(pos) = v.lineage.queue_pos {
            println!("{}: queued #{pos}; it starts once a supervisor runs and a slot frees (`shoal supervise`)", rec.name);
        }
    }
    Ok(i32::from(failed))
}

/// `shoal signal KIND MESSAGE`: the pane's agent reports about itself.
pub fn signal(fleet: &FleetArg, kind: SignalKind, message: &[String]) -> Result<i32> {
    let ctx = open(fleet, "signal")?;
    let caller = identify(&ctx)?;
    let Some(me) = caller.agent().map(str::to_string) else {
        bail!("shoal signal reports for the agent whose pane it runs in, and SHOAL_AGENT is not set here; run it inside an agent's pane");
    };
    // The agent's own words: queued and shown, so redacted before they leave.
    let message = crate::logs::redact::redact(&message.join(" ")).into_owned();
    super::act::act_as(
        &ctx,
        &caller,
        Command::Signal {
            agent: me,
            kind,
            message,
        },
    )
}

/// `shoal steer CHILD TEXT`: type a line into a descendant's pane (the operator: anyone's).
pub fn steer(fleet: &FleetArg, child: &str, text: &str) -> Result<i32> {
    let ctx = open(fleet, "steer")?;
    let caller = identify(&ctx)?;
    let by = caller.name().to_string();
    super::act::act_as(
        &ctx,
        &caller,
        Command::Steer {
            agent: child.to_string(),
            by,
            text: text.to_string(),
        },
    )
}

/// One inbox line.
pub fn signal_line(s: &SignalView) -> String {
    format!(
        "{}  {}#{}  {:<10} {}",
        clock(s.ts_ms),
        s.agent,
        s.attempt,
        s.kind.as_str(),
        s.message
    )
}

/// `shoal inbox [--wait D]`: signals from the reader's direct children since it last
/// read. With `--wait`, block until one arrives (exit status 1 if none came in time).
pub fn inbox(fleet: &FleetArg, agent: Option<&str>, wait: Option<&str>, json: bool) -> Result<i32> {
    let ctx = open(fleet, "inbox")?;
    let caller = identify(&ctx)?;
    let reader = match (agent, caller.agent()) {
        (Some(a), _) => {
            authorize(&ctx, &caller, Verb::Inbox, a)?;
            a.to_string()
        }
        (None, Some(me)) => me.to_string(),
        (None, None) => bail!(
            "inbox reads the signals sent to one agent by its children: run it inside that agent's pane, or pass --agent NAME"
        ),
    };
    require_agent(&ctx, &reader)?;
    let wait = match wait {
        Some(w) => Some(
            parse_duration(w).map_err(|e| anyhow::anyhow!("--wait: {e}; write e.g. 30s or 10m"))?,
        ),
        None => None,
    };
    let t0 = Instant::now();
    let got = loop {
        let got = ctx.store.take_inbox(&reader)?;
        match wait {
            Some(w) if got.is_empty() && t0.elapsed() < w => std::thread::sleep(INBOX_POLL),
            _ => break got,
        }
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&got)?);
    } else {
        for s in &got {
            println!("{}", signal_line(s));
        }
    }
    match wait {
        Some(w) if got.is_empty() => {
            eprintln!(
                "shoal: no signal from {reader}'s children within {}",
                humantime::format_duration(w)
            );
            Ok(1)
        }
        _ => Ok(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_word_is_a_shell_line_and_several_are_quoted() {
        let w = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        assert_eq!(
            command_line(&w(&["sleep 5 && echo hi"])),
            "sleep 5 && echo hi"
        );
        assert_eq!(
            command_line(&w(&["bash", "-c", "echo it's; ls"])),
            r"bash -c 'echo it'\''s; ls'"
        );
        assert_eq!(
            command_line(&w(&["claude", "--model=x", ""])),
            "claude --model=x ''"
        );
    }
}
