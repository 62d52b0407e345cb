//! `shoal adopt`: find panes on a tmux server that run agent CLIs (by the pane's
//! foreground command and its process tree) and bring them under supervision as agents
//! of the fleet, without restarting them.
//!
//! `--server` takes a socket name as `tmux -L` does: `default` is the server a plain
//! `tmux` talks to. The supervisor then also watches that server, with one-shot
//! commands (no control client attaches to a server shoal did not start).

use super::ctx::is_fleet_socket;
use super::ctx::{registry, Ctx, FleetArg};
use crate::fleet::file::check_name;
use crate::fleet::{EventKind, LifeState};
use crate::profile::Registry;
use crate::store::{AgentRecord, AttemptRecord, NewEvent, Origin};
use crate::supervisor::runner::now_ms;
use crate::tmux::{list_foreign_panes, mark_adopted, ForeignPane, Server};
use anyhow::{bail, Context, Result};
use clap::Args;
use regex::Regex;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, IsTerminal, Write};

/// `shoal adopt`: which panes to bring under supervision.
#[derive(Debug, Args)]
pub struct AdoptArgs {
    /// tmux socket name of the server to look at (`default`: your usual tmux server).
    #[arg(long, default_value = "default", value_name = "DEFAULT|SOCKET")]
    pub server: String,
    /// Only panes whose session, window name or command line matches this regex.
    #[arg(long = "match", value_name = "REGEX")]
    pub pattern: Option<String>,
    /// Adopt without asking.
    #[arg(long)]
    pub yes: bool,
    /// Parent of the adopted agents.
    #[arg(long)]
    pub parent: Option<String>,
}

/// A pane recognised as running an agent CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The pane.
    pub pane: ForeignPane,
    /// Its profile.
    pub kind: String,
    /// The command line that gave it away.
    pub cmd: String,
}

/// Process ids with their parent and command line, read from /proc once.
struct Procs {
    children: HashMap<u32, Vec<u32>>,
    cmdline: HashMap<u32, String>,
}

impl Procs {
    fn read() -> Procs {
        let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
        let mut cmdline = HashMap::new();
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return Procs { children, cmdline };
        };
        for entry in dir.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            // The command name in `stat` may contain spaces and parentheses: the parent
            // pid is the second field after the last ')'.
            let ppid = std::fs::read_to_string(entry.path().join("stat"))
                .ok()
                .and_then(|s| {
                    let rest = &s[s.rfind(')')? + 1..];
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                });
            if let Some(ppid) = ppid {
                children.entry(ppid).or_default().push(pid);
            }
            if let Ok(raw) = std::fs::read(entry.path().join("cmdline")) {
                let text = String::from_utf8_lossy(&raw)
                    .split('\0')
                    .filter(|w| !w.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ");
                cmdline.insert(pid, text);
            }
        }
        Procs { children, cmdline }
    }

    /// Program names (argv[0] without its directory) of `pid` and its descendants.
    fn programs(&self, pid: u32) -> Vec<String> {
        self.tree(pid)
            .iter()
            .filter_map(|line| line.split_whitespace().next())
            .map(|argv0| argv0.rsplit('/').next().unwrap_or(argv0).to_string())
            .collect()
    }

    /// Command lines of `pid` and its descendants, the pane's own process first.
    fn tree(&self, pid: u32) -> Vec<String> {
        let mut out = Vec::new();
        let mut queue = vec![pid];
        let mut seen = HashSet::new();
        while let Some(p) = queue.pop() {
            if !seen.insert(p) {
                continue;
            }
            if let Some(c) = self.cmdline.get(&p).filter(|c| !c.is_empty()) {
                out.push(c.clone());
            }
            if let Some(kids) = self.children.get(&p) {
                queue.extend(kids.iter().rev());
            }
        }
        out
    }
}

/// The agent kind running in a pane, if any: the first of the foreground command and
/// the process tree's command lines that a profile recognises (a plain shell does not
/// count). Returns the kind and the command line to record.
pub fn recognize(
    registry: &Registry,
    current: &str,
    cmdlines: &[String],
) -> Option<(String, String)> {
    // The registry guesses its fallback kind, a plain shell, when nothing matches.
    let fallback = "shell";
    // Command lines first: they are what a retry would run again.
    for line in cmdlines {
        let kind = registry.guess_kind(line);
        if kind != fallback {
            return Some((kind, line.clone()));
        }
    }
    let kind = registry.guess_kind(current);
    (kind != fallback).then(|| (kind, current.to_string()))
}

/// Names an adopted pane could go by, best first: its window's name when somebody chose
/// it, then its session's name. A process name is never a name (`node`, `python3`: tmux
/// names a window after its command unless told otherwise), nor tmux's numbered default
/// session (`0`). `programs` are the process names running in the pane.
pub fn name_choices(pane: &ForeignPane, programs: &[String]) -> Vec<String> {
    let is_process = |n: &str| n == pane.current_command || programs.iter().any(|p| p == n);
    let mut out = Vec::new();
    let window = pane.window_name.trim();
    if !pane.window_auto_named && !is_process(window) {
        out.push(window.to_string());
    }
    let session = pane.session.trim();
    if !is_process(session) && !session.chars().all(|c| c.is_ascii_digit()) {
        out.push(session.to_string());
    }
    out.retain(|n| check_name(n).is_ok());
    out
}

/// The agent name for an adopted pane: the first unused of [`name_choices`], the session
/// name numbered (`review-2`) when several panes of one session are adopted, else
/// `<kind>-<n>`.
fn name_for(c: &Candidate, programs: &[String], taken: &HashSet<String>) -> String {
    let choices = name_choices(&c.pane, programs);
    if let Some(n) = choices.iter().find(|n| !taken.contains(*n)) {
        return n.clone();
    }
    let base = choices.last().map_or(c.kind.as_str(), String::as_str);
    let first = if choices.is_empty() { 1 } else { 2 };
    // One more number than names taken: at least one of them is free.
    (first..=first + taken.len())
        .map(|n| format!("{base}-{n}"))
        .find(|n| !taken.contains(n) && check_name(n).is_ok())
        .expect("an unused name exists")
}

/// `shoal adopt`.
pub fn adopt(fleet: &FleetArg, a: AdoptArgs) -> Result<i32> {
    Server::check_installed()?;
    let ctx = Ctx::open(fleet)?;
    let caller = super::caller::identify(&ctx)?;
    super::caller::authorize(&ctx, &caller, crate::fleet::Verb::Adopt, "")?;
    if a.server.contains('/') {
        bail!(
            "--server takes a tmux socket name as `tmux -L NAME` does (e.g. default), not a path: {:?}",
            a.server
        );
    }
    if is_fleet_socket(&ctx.fleet.settings.name, &a.server) {
        bail!(
            "{} is fleet {}'s own server: its panes are supervised already",
            a.server,
            ctx.fleet.settings.name
        );
    }
    let pattern = match &a.pattern {
        Some(p) => {
            Some(Regex::new(p).with_context(|| format!("--match {p:?} is not a valid regex"))?)
        }
        None => None,
    };
    if let Some(p) = &a.parent {
        if ctx.store.agent(p)?.is_none() {
            bail!(
                "--parent {p:?} names no agent in fleet {}",
                ctx.fleet.settings.name
            );
        }
    }
    let parent = a.parent.clone();
    let panes = list_foreign_panes(&a.server).map_err(|e| match e {
        crate::tmux::TmuxError::ServerDown { .. } => anyhow::anyhow!(
            "no tmux server is running on socket {:?}; name the server with --server (the socket name of `tmux -L NAME`)",
            a.server
        ),
        other => other.into(),
    })?;
    let registry = registry();
    let procs = Procs::read();
    let adopted_here: HashSet<(String, String)> = ctx
        .store
        .current_attempts()?
        .into_iter()
        .filter(|t| !t.state.is_ended())
        .filter_map(|t| Some((t.server?, t.pane?)))
        .collect();
    let mut supervised = 0;
    let mut found = Vec::new();
    for pane in panes {
        if pane.agent.is_some() || adopted_here.contains(&(a.server.clone(), pane.pane_id.clone()))
        {
            supervised += 1;
            continue;
        }
        let Some((kind, cmd)) = recognize(&registry, &pane.current_command, &procs.tree(pane.pid))
        else {
            continue;
        };
        let c = Candidate { pane, kind, cmd };
        let label = format!("{}:{} {}", c.pane.session, c.pane.window_name, c.cmd);
        if pattern.as_ref().is_some_and(|re| !re.is_match(&label)) {
            continue;
        }
        found.push(c);
    }
    if found.is_empty() {
        println!(
            "no unsupervised agent panes on tmux server {}{}",
            a.server,
            if supervised > 0 {
                format!(" ({supervised} already supervised)")
            } else {
                String::new()
            }
        );
        return Ok(0);
    }
    let mut taken: HashSet<String> = ctx.store.agents()?.into_iter().map(|r| r.name).collect();
    let mut plan = Vec::new();
    for c in found {
        let name = name_for(&c, &procs.programs(c.pane.pid), &taken);
        taken.insert(name.clone());
        plan.push((name, c));
    }
    println!("agent panes on tmux server {}:", a.server);
    for (name, c) in &plan {
        println!(
            "  {}  {}:{}  {}  {}  → agent {name}",
            c.pane.pane_id, c.pane.session, c.pane.window_name, c.kind, c.cmd
        );
    }
    if !a.yes
        && !confirm(&format!(
            "Adopt {} pane(s) into fleet {}? [y/N] ",
            plan.len(),
            ctx.fleet.settings.name
        ))
    {
        println!("nothing adopted (pass --yes to adopt without asking)");
        return Ok(0);
    }
    let now = now_ms();
    for (name, c) in &plan {
        record(&ctx, &a.server, name, c, parent.as_deref(), now)?;
        if let Err(e) = mark_adopted(&a.server, &c.pane.pane_id, name, 1) {
            eprintln!("{name}: adopted, but the pane could not be tagged ({e}); another fleet could adopt it too");
        }
        println!(
            "{name}: adopted pane {} on {} ({})",
            c.pane.pane_id, a.server, c.kind
        );
    }
    match ctx.live_supervisor()? {
        Some(h) => println!(
            "the supervisor (pid {}) watches them from its next tick",
            h.pid
        ),
        None => println!("start a supervisor to watch them: `shoal supervise`"),
    }
    Ok(0)
}

fn confirm(question: &str) -> bool {
    if !std::io::stdin().is_terminal() {
        return false;
    }
    print!("{question}");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    answer.trim().eq_ignore_ascii_case("y")
}

/// Record the agent with a running first attempt in the adopted pane.
fn record(
    ctx: &Ctx,
    server: &str,
    name: &str,
    c: &Candidate,
    parent: Option<&str>,
    now: i64,
) -> Result<()> {
    ctx.store.write(|s| {
        let rec = AgentRecord {
            name: name.to_string(),
            parent: parent.map(str::to_string),
            kind: c.kind.clone(),
            cmd: c.cmd.clone(),
            cwd: Some(c.pane.current_path.display().to_string()).filter(|p| !p.is_empty()),
            task: None,
            env: Default::default(),
            stall_timeout_ms: ctx.fleet.settings.stall_timeout.as_millis().max(1) as u64,
            paused: false,
            on_idle: None,
            seq: s.next_seq()?,
            created_ms: now,
        };
        s.upsert_agent(&rec)?;
        s.set_agent_meta(name, Origin::Adopt, None)?;
        s.save_attempt(&AttemptRecord {
            agent: name.to_string(),
            attempt: 1,
            server: Some(server.to_string()),
            pane: Some(c.pane.pane_id.clone()),
            state: LifeState::Running,
            started_ms: Some(now),
            tier_since_ms: now,
            last_progress_ms: now,
            // An adopted agent is past its first prompt: there is no task to type.
            task_sent: true,
            ..Default::default()
        })?;
        s.insert_event(&NewEvent::agent(
            now,
            name,
            1,
            EventKind::Adopted {
                pane: c.pane.pane_id.clone(),
                server: server.to_string(),
                pid: c.pane.pid,
                cmd: c.cmd.clone(),
            },
        ))?;
        Ok(())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pane(session: &str, window: &str, auto: bool, current: &str) -> ForeignPane {
        ForeignPane {
            pane_id: "%1".into(),
            pid: 1,
            session: session.into(),
            window_name: window.into(),
            window_auto_named: auto,
            current_command: current.into(),
            current_path: "/tmp".into(),
            agent: None,
        }
    }

    #[test]
    fn adopted_panes_are_named_after_their_window_or_session_never_their_process() {
        let programs = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        let codex = programs(&["bash", "node", "codex"]);
        let aider = programs(&["python3"]);
        // tmux named the window after the process: the session names the agent.
        assert_eq!(
            name_choices(&pane("reviewer", "node", true, "node"), &codex),
            ["reviewer"]
        );
        assert_eq!(
            name_choices(&pane("tests", "python3", true, "python3"), &aider),
            ["tests"]
        );
        // Automatic renaming off, but the window still carries the program's name.
        assert_eq!(
            name_choices(&pane("tests", "python3", false, "python3"), &aider),
            ["tests"]
        );
        // A window somebody named wins over its session.
        assert_eq!(
            name_choices(&pane("work", "coder", false, "node"), &codex),
            ["coder", "work"]
        );
        // tmux's numbered default session is no name either; neither is a bad one.
        assert!(name_choices(&pane("0", "node", true, "node"), &codex).is_empty());
        assert!(name_choices(&pane("my work", "a b", false, "node"), &codex).is_empty());

        let cand = |p: ForeignPane| Candidate {
            pane: p,
            kind: "codex".into(),
            cmd: "codex".into(),
        };
        let mut taken = HashSet::new();
        let first = name_for(&cand(pane("review", "node", true, "node")), &codex, &taken);
        assert_eq!(first, "review");
        taken.insert(first);
        let second = name_for(&cand(pane("review", "node", true, "node")), &codex, &taken);
        assert_eq!(second, "review-2");
        let numbered = name_for(&cand(pane("0", "node", true, "node")), &codex, &taken);
        assert_eq!(numbered, "codex-1");
    }

    #[test]
    fn agent_clis_are_recognised_from_the_process_tree() {
        let reg = Registry::builtin();
        let lines = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        assert_eq!(
            recognize(
                &reg,
                "node",
                &lines(&[
                    "-bash",
                    "node /usr/lib/node_modules/@anthropic-ai/claude-code/cli.js"
                ])
            ),
            Some((
                "claude".into(),
                "node /usr/lib/node_modules/@anthropic-ai/claude-code/cli.js".into()
            ))
        );
        assert_eq!(
            recognize(&reg, "aider", &lines(&["bash"])),
            Some(("aider".into(), "aider".into())),
            "the foreground command when /proc says nothing"
        );
        assert_eq!(
            recognize(&reg, "vim", &lines(&["bash", "vim notes/claude.md"])),
            None
        );
        assert_eq!(recognize(&reg, "bash", &[]), None);
    }
}
