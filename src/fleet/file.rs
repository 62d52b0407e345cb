//! The fleet file (`shoal.toml`): parsing and validation. Every error names the file,
//! the line and column, the bad value and what to write instead, and is raised before
//! any agent starts.

use regex::Regex;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;
use toml::Spanned;

pub use super::settings::{
    DEFAULT_AGENTS_PER_SERVER, DEFAULT_CANCEL_GRACE, DEFAULT_NUDGE, DEFAULT_POLL_INTERVAL,
    DEFAULT_STALL_TIMEOUT,
};
use super::FleetSettings;

mod budget;
mod hosts;
mod restart;
mod worktree;

pub use worktree::WorktreeSpec;

/// Largest accepted `max_running` / `max_children`.
pub const MAX_CAP: usize = 100_000;

/// A validated fleet declaration.
#[derive(Debug, Clone, PartialEq)]
pub struct Fleet {
    /// Where it was read from.
    pub path: PathBuf,
    /// The `[fleet]` table over the defaults it was read with.
    pub settings: FleetSettings,
    /// Agents in declaration order.
    pub agents: Vec<AgentSpec>,
}

impl Fleet {
    /// The fleet's name.
    pub fn name(&self) -> &str {
        &self.settings.name
    }
}

/// One declared agent.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentSpec {
    /// Unique name: letters, digits, `-` and `_`.
    pub name: String,
    /// Command line, run by the pane's shell as written.
    pub cmd: String,
    /// Start directory (with `~` expanded).
    pub cwd: Option<PathBuf>,
    /// Detection profile; guessed from `cmd` when absent.
    pub kind: Option<String>,
    /// First message, typed once the agent is ready.
    pub task: Option<String>,
    /// Parent agent's name.
    pub parent: Option<String>,
    /// Stall timeout for this agent.
    pub stall_timeout: Duration,
    /// Extra environment.
    pub env: BTreeMap<String, String>,
    /// Most direct children of this agent running at once.
    pub max_children: Option<usize>,
    /// Its restart policy: the fleet's, with its own keys laid over.
    pub restart: super::RestartSettings,
    /// What happens when it idles at its prompt; the fleet's `on_idle` when absent.
    pub on_idle: Option<super::OnIdle>,
    /// The `[[host]]` it runs on; `None`: this machine.
    pub host: Option<String>,
    /// Dollars its subtree (itself and every descendant) may spend, and what happens then.
    pub budget: Option<super::Budget>,
    /// A git worktree it runs in (`worktree = true` or a branch name).
    pub worktree: Option<WorktreeSpec>,
    /// What its rapid failures count against: agents with the same `backend` (an API
    /// endpoint, an account) share one circuit; `None`: its kind's circuit.
    pub backend: Option<String>,
    /// Launch its CLI with shoal's hooks; the fleet's `hooks` when absent.
    pub hooks: Option<bool>,
}

/// A fleet file problem, located in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetFileError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, when known.
    pub line: usize,
    /// 1-based column, when known.
    pub column: usize,
    /// What is wrong, quoting the value.
    pub message: String,
    /// What to write instead.
    pub hint: String,
}

impl fmt::Display for FleetFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A whole-file problem (unreadable) has no line to point at.
        if self.line == 0 {
            write!(f, "{}: {}", self.path.display(), self.message)?;
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.path.display(),
                self.line,
                self.column,
                self.message
            )?;
        }
        if !self.hint.is_empty() {
            write!(f, "\n  hint: {}", self.hint)?;
        }
        Ok(())
    }
}

impl std::error::Error for FleetFileError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    fleet: Option<Spanned<RawFleet>>,
    #[serde(default)]
    agent: Vec<Spanned<RawAgent>>,
    #[serde(default)]
    host: Vec<Spanned<hosts::RawHost>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFleet {
    name: Spanned<String>,
    stall_timeout: Option<Spanned<String>>,
    poll_interval: Option<Spanned<String>>,
    nudge_message: Option<Spanned<String>>,
    cancel_grace: Option<Spanned<String>>,
    agents_per_server: Option<Spanned<i64>>,
    resume_after_reset: Option<bool>,
    max_running: Option<Spanned<i64>>,
    log_max_size: Option<Spanned<String>>,
    restart: Option<Spanned<String>>,
    restart_delay: Option<Spanned<String>>,
    restart_delay_max: Option<Spanned<String>>,
    max_restarts: Option<Spanned<i64>>,
    restart_window: Option<Spanned<String>>,
    resume: Option<bool>,
    rapid_death: Option<Spanned<String>>,
    circuit_failures: Option<Spanned<i64>>,
    circuit_window: Option<Spanned<String>>,
    circuit_cooldown: Option<Spanned<String>>,
    on_idle: Option<Spanned<String>>,
    budget: Option<Spanned<toml::Value>>,
    budget_action: Option<Spanned<String>>,
    hooks: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgent {
    name: Spanned<String>,
    cmd: Spanned<String>,
    cwd: Option<Spanned<String>>,
    kind: Option<Spanned<String>>,
    task: Option<Spanned<String>>,
    parent: Option<Spanned<String>>,
    stall_timeout: Option<Spanned<String>>,
    #[serde(default)]
    env: BTreeMap<Spanned<String>, String>,
    max_children: Option<Spanned<i64>>,
    restart: Option<Spanned<String>>,
    restart_delay: Option<Spanned<String>>,
    restart_delay_max: Option<Spanned<String>>,
    max_restarts: Option<Spanned<i64>>,
    restart_window: Option<Spanned<String>>,
    resume: Option<bool>,
    on_idle: Option<Spanned<String>>,
    host: Option<Spanned<String>>,
    budget: Option<Spanned<toml::Value>>,
    budget_action: Option<Spanned<String>>,
    worktree: Option<Spanned<worktree::RawWorktree>>,
    backend: Option<Spanned<String>>,
    hooks: Option<bool>,
}

/// The one name no agent or fleet may take: shoal's keeper window holds it.
pub const RESERVED_NAME: &str = "_shoal";

fn name_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$").expect("static regex"))
}

/// Check a fleet or agent name: letters, digits, `-`, `_`, at most 64, not starting
/// with `-`, and not the name shoal reserves for its keeper window.
pub fn check_name(name: &str) -> Result<(), String> {
    if name == RESERVED_NAME {
        return Err(format!("the name {name:?} is reserved by shoal"));
    }
    if name_re().is_match(name) {
        Ok(())
    } else {
        Err(format!(
            "the name {name:?} cannot be used: names are 1-64 letters, digits, '-' or '_', not starting with '-'"
        ))
    }
}

/// Parse a duration such as `500ms`, `3s`, `5m`, `1h` or `1h 30m`, at most ten years.
pub use super::units::parse_duration;
use super::units::DURATION_HINT;

/// Expand a leading `~` to the home directory.
pub fn expand_home(path: &str) -> PathBuf {
    if let Some(rest) = path
        .strip_prefix("~/")
        .or(if path == "~" { Some("") } else { None })
    {
        if let Some(home) = std::env::var_os("HOME") {
            return PathBuf::from(home).join(rest);
        }
    }
    PathBuf::from(path)
}

struct Locator<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Locator<'_> {
    /// An agent's `backend`: a word or an endpoint (`api.anthropic.com`,
    /// `https://llm.internal/v1`), no blanks, at most 200 characters.
    fn backend(&self, agent: &str, v: &Spanned<String>) -> Result<String, FleetFileError> {
        let b = v.get_ref();
        if b.is_empty() || b.len() > 200 || b.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(self.at(
                v.span(),
                format!("agent {agent:?}: backend = {b:?} is not a backend name"),
                "name the API endpoint or account its requests go to, without blanks, e.g. backend = \"api.anthropic.com\" (agents with the same backend share one circuit)",
            ));
        }
        Ok(b.clone())
    }

    fn at(&self, span: Range<usize>, message: String, hint: &str) -> FleetFileError {
        let start = span.start.min(self.text.len());
        let before = &self.text[..start];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        FleetFileError {
            path: self.path.to_path_buf(),
            line,
            column,
            message,
            hint: hint.to_string(),
        }
    }

    /// A cap on running agents: a whole number of at least one.
    fn cap(&self, value: &Spanned<i64>, field: &str) -> Result<usize, FleetFileError> {
        match usize::try_from(*value.get_ref()) {
            Ok(n) if (1..=MAX_CAP).contains(&n) => Ok(n),
            _ => Err(self.at(
                value.span(),
                format!("{field} = {} is out of range", value.get_ref()),
                &format!("use a number from 1 to {MAX_CAP}, or remove the line for no cap"),
            )),
        }
    }

    /// Text shoal will type into a pane: no control characters but newline and tab.
    fn typed(&self, value: &Spanned<String>, field: &str) -> Result<(), FleetFileError> {
        crate::fleet::typed::check_typed(value.get_ref()).map_err(|e| {
            self.at(
                value.span(),
                format!("{field}: {e}"),
                "write plain text; newlines and tabs are fine",
            )
        })
    }

    fn on_idle(
        &self,
        value: &Spanned<String>,
        field: &str,
    ) -> Result<super::OnIdle, FleetFileError> {
        value.get_ref().parse().map_err(|e| {
            self.at(
                value.span(),
                format!("{field} = {e}"),
                "notify tells you an agent waits for work (the default), nudge treats it as a stall, none does nothing",
            )
        })
    }

    fn duration(&self, value: &Spanned<String>, field: &str) -> Result<Duration, FleetFileError> {
        parse_duration(value.get_ref())
            .map_err(|e| self.at(value.span(), format!("{field}: {e}"), DURATION_HINT))
    }
}

/// Read and validate a fleet file, with shoal's built-in defaults.
pub fn load(path: &Path) -> Result<Fleet, FleetFileError> {
    load_with(path, &FleetSettings::default())
}

/// Read and validate a fleet file; settings it leaves out come from `defaults`.
pub fn load_with(path: &Path, defaults: &FleetSettings) -> Result<Fleet, FleetFileError> {
    let text = std::fs::read_to_string(path).map_err(|e| FleetFileError {
        path: path.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("cannot read the fleet file: {e}"),
        hint: if e.kind() == std::io::ErrorKind::NotFound {
            "pass an existing file with -f FILE; `shoal init` writes a commented starter shoal.toml here, `shoal demo` shows a fleet at work".into()
        } else {
            "check the file's permissions, or pass another with -f FILE".into()
        },
    })?;
    parse_with(path, &text, defaults)
}

/// Every agent's `kind` names a known profile (`known`: the registry's names, user
/// profiles included); an unknown one is an error at its line, with the near name.
pub fn check_kinds(path: &Path, known: &[String]) -> Result<(), FleetFileError> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(()); // reading was checked when the file was loaded
    };
    let Ok(raw) = toml::from_str::<RawFile>(&text) else {
        return Ok(());
    };
    let loc = Locator { path, text: &text };
    for a in &raw.agent {
        let Some(kind) = &a.get_ref().kind else {
            continue;
        };
        if known.iter().any(|k| k == kind.get_ref()) {
            continue;
        }
        let hint = match super::words::suggest(kind.get_ref(), known) {
            Some(near) => format!("did you mean `{near}`? known kinds: {}", known.join(", ")),
            None => format!(
                "known kinds: {} (a profile of your own goes in the config's profiles folder)",
                known.join(", ")
            ),
        };
        return Err(loc.at(
            kind.span(),
            format!(
                "agent {:?}: unknown kind {:?}",
                a.get_ref().name.get_ref(),
                kind.get_ref()
            ),
            &hint,
        ));
    }
    Ok(())
}

/// Parse and validate fleet file text; `path` is used in messages and to resolve nothing else.
pub fn parse(path: &Path, text: &str) -> Result<Fleet, FleetFileError> {
    parse_with(path, text, &FleetSettings::default())
}

/// [`parse`], with settings the text leaves out taken from `defaults`.
pub fn parse_with(
    path: &Path,
    text: &str,
    defaults: &FleetSettings,
) -> Result<Fleet, FleetFileError> {
    let loc = Locator { path, text };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let message = e.message().trim();
        if let Some((field, expected)) = super::words::unknown_field(message) {
            let hint = match super::words::suggest(&field, &expected) {
                Some(near) => format!("did you mean `{near}`?"),
                None => format!("valid keys here: {}", expected.join(", ")),
            };
            return loc.at(span, format!("unknown key `{field}`"), &hint);
        }
        let hint = if message.contains("expected a sequence")
            && text.get(span.clone()).unwrap_or("").contains("agent")
        {
            "each agent is its own [[agent]] table, with two brackets"
        } else {
            "see the fleet file reference in the README"
        };
        loc.at(span, message.to_string(), hint)
    })?;
    let Some(fleet) = raw.fleet else {
        return Err(loc.at(
            0..0,
            "the [fleet] table is missing".into(),
            "start the file with [fleet] and name = \"my-fleet\"",
        ));
    };
    let rf = fleet.into_inner();
    check_name(rf.name.get_ref()).map_err(|e| {
        loc.at(
            rf.name.span(),
            format!("fleet name: {e}"),
            "e.g. name = \"demo\"",
        )
    })?;
    let stall_timeout = match &rf.stall_timeout {
        Some(v) => loc.duration(v, "stall_timeout")?,
        None => defaults.stall_timeout,
    };
    let poll_interval = match &rf.poll_interval {
        Some(v) => loc.duration(v, "poll_interval")?,
        None => defaults.poll_interval,
    };
    let cancel_grace = match &rf.cancel_grace {
        Some(v) => loc.duration(v, "cancel_grace")?,
        None => defaults.cancel_grace,
    };
    let agents_per_server = match &rf.agents_per_server {
        Some(v) if (1..=1000).contains(v.get_ref()) => *v.get_ref() as usize,
        Some(v) => {
            return Err(loc.at(
                v.span(),
                format!("agents_per_server = {} is out of range", v.get_ref()),
                "use a number from 1 to 1000 (about 100 keeps each tmux server cheap)",
            ))
        }
        None => defaults.agents_per_server,
    };
    let max_running = match &rf.max_running {
        Some(v) => Some(loc.cap(v, "max_running")?),
        None => None,
    };
    let log_max_size = match &rf.log_max_size {
        Some(v) => crate::fleet::units::parse_size(v.get_ref()).map_err(|e| {
            loc.at(
                v.span(),
                format!("log_max_size: {e}"),
                "write a size like \"512MB\" or \"2GB\"",
            )
        })?,
        None => defaults.log_max_size,
    };
    if let Some(v) = &rf.nudge_message {
        loc.typed(v, "nudge_message")?;
    }
    let fleet_restart = loc.restart(
        &restart::RawRestart {
            restart: &rf.restart,
            restart_delay: &rf.restart_delay,
            restart_delay_max: &rf.restart_delay_max,
            max_restarts: &rf.max_restarts,
            restart_window: &rf.restart_window,
            resume: rf.resume,
        },
        defaults.restart,
        "",
    )?;
    let circuit = loc.circuit(
        &restart::RawCircuit {
            rapid_death: &rf.rapid_death,
            circuit_failures: &rf.circuit_failures,
            circuit_window: &rf.circuit_window,
            circuit_cooldown: &rf.circuit_cooldown,
        },
        defaults.circuit,
    )?;
    let on_idle = match &rf.on_idle {
        Some(v) => loc.on_idle(v, "on_idle")?,
        None => defaults.on_idle,
    };
    let fleet_budget = match &rf.budget {
        Some(v) => Some(loc.budget(v, "")?),
        None => defaults.budget,
    };
    let budget_action = match &rf.budget_action {
        Some(v) => loc.budget_action(v, "")?,
        None => defaults.budget_action,
    };

    let hosts = loc.hosts(raw.host)?;
    let mut agents = Vec::with_capacity(raw.agent.len());
    let mut seen: HashMap<String, Range<usize>> = HashMap::new();
    let mut parent_spans: HashMap<String, Range<usize>> = HashMap::new();
    for spanned in raw.agent {
        let a = spanned.into_inner();
        let name = a.name.get_ref().clone();
        check_name(&name).map_err(|e| {
            loc.at(
                a.name.span(),
                format!("agent name: {e}"),
                "e.g. name = \"worker-1\"",
            )
        })?;
        if let Some(first) = seen.get(&name) {
            let first_line = loc.at(first.clone(), String::new(), "").line;
            return Err(loc.at(
                a.name.span(),
                format!("duplicate agent name {name:?} (first declared on line {first_line})"),
                "give every agent a unique name",
            ));
        }
        seen.insert(name.clone(), a.name.span());
        if a.cmd.get_ref().trim().is_empty() {
            return Err(loc.at(
                a.cmd.span(),
                format!("agent {name:?}: cmd is empty"),
                "write the command line that starts the agent, e.g. cmd = \"claude\"",
            ));
        }
        if a.cmd.get_ref().contains('\0') {
            return Err(loc.at(
                a.cmd.span(),
                format!("agent {name:?}: cmd contains a NUL byte, which no program can take"),
                "remove the \\u0000 from the command",
            ));
        }
        if let Some(t) = &a.task {
            loc.typed(t, &format!("agent {name:?}: task"))?;
        }
        let cwd = match &a.cwd {
            Some(c) => {
                let p = expand_home(c.get_ref());
                if !p.is_dir() {
                    return Err(loc.at(
                        c.span(),
                        format!("agent {name:?}: cwd {:?} is not a directory", c.get_ref()),
                        "create the directory or fix the path (~ means your home directory)",
                    ));
                }
                Some(p)
            }
            None => None,
        };
        if let Some(k) = &a.kind {
            check_name(k.get_ref()).map_err(|e| {
                loc.at(
                    k.span(),
                    format!("agent {name:?}: kind: {e}"),
                    "use a profile name such as claude, codex, aider, gemini or shell",
                )
            })?;
        }
        let stall = match &a.stall_timeout {
            Some(v) => loc.duration(v, &format!("agent {name:?}: stall_timeout"))?,
            None => stall_timeout,
        };
        let mut env = BTreeMap::new();
        for (k, v) in a.env {
            let key_ok = !k.get_ref().is_empty()
                && !k.get_ref().starts_with(|c: char| c.is_ascii_digit())
                && k.get_ref()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !key_ok {
                return Err(loc.at(
                    k.span(),
                    format!(
                        "agent {name:?}: environment variable name {:?} is not valid",
                        k.get_ref()
                    ),
                    "use letters, digits and '_', not starting with a digit",
                ));
            }
            if v.contains('\0') {
                return Err(loc.at(
                    k.span(),
                    format!(
                        "agent {name:?}: environment variable {:?} holds a NUL byte, which no program can take",
                        k.get_ref()
                    ),
                    "remove the \\u0000 from the value",
                ));
            }
            env.insert(k.into_inner(), v);
        }
        if let Some(p) = &a.parent {
            parent_spans.insert(name.clone(), p.span());
        }
        let max_children = match &a.max_children {
            Some(v) => Some(loc.cap(v, &format!("agent {name:?}: max_children"))?),
            None => None,
        };
        let agent_restart = loc.restart(
            &restart::RawRestart {
                restart: &a.restart,
                restart_delay: &a.restart_delay,
                restart_delay_max: &a.restart_delay_max,
                max_restarts: &a.max_restarts,
                restart_window: &a.restart_window,
                resume: a.resume,
            },
            fleet_restart,
            &format!("agent {name:?}: "),
        )?;
        let agent_on_idle = match &a.on_idle {
            Some(v) => Some(loc.on_idle(v, &format!("agent {name:?}: on_idle"))?),
            None => None,
        };
        let host = loc.agent_host(&name, a.host.as_ref(), &hosts)?;
        let budget = loc.agent_budget(
            a.budget.as_ref(),
            a.budget_action.as_ref(),
            budget_action,
            &name,
        )?;
        let worktree = loc.worktree(&name, a.worktree.as_ref(), cwd.as_deref(), host.as_deref())?;
        let backend = match &a.backend {
            Some(b) => Some(loc.backend(&name, b)?),
            None => None,
        };
        agents.push(AgentSpec {
            backend,
            worktree,
            host,
            budget,
            restart: agent_restart,
            name,
            cmd: a.cmd.into_inner(),
            cwd,
            kind: a.kind.map(Spanned::into_inner),
            task: a.task.map(Spanned::into_inner),
            parent: a.parent.map(Spanned::into_inner),
            stall_timeout: stall,
            env,
            max_children,
            on_idle: agent_on_idle,
            hooks: a.hooks,
        });
    }
    check_parents(&loc, &agents, &parent_spans)?;
    Ok(Fleet {
        path: path.to_path_buf(),
        settings: FleetSettings {
            name: rf.name.into_inner(),
            stall_timeout,
            poll_interval,
            nudge_message: rf
                .nudge_message
                .map_or_else(|| defaults.nudge_message.clone(), Spanned::into_inner),
            cancel_grace,
            agents_per_server,
            resume_after_reset: rf.resume_after_reset.unwrap_or(defaults.resume_after_reset),
            max_running: max_running.or(defaults.max_running),
            log_max_size,
            restart: fleet_restart,
            circuit,
            on_idle,
            hooks: rf.hooks.unwrap_or(defaults.hooks),
            hosts,
            budget: fleet_budget,
            budget_action,
            ..defaults.clone()
        },
        agents,
    })
}

fn check_parents(
    loc: &Locator<'_>,
    agents: &[AgentSpec],
    spans: &HashMap<String, Range<usize>>,
) -> Result<(), FleetFileError> {
    let parent_of: HashMap<&str, &str> = agents
        .iter()
        .filter_map(|a| a.parent.as_deref().map(|p| (a.name.as_str(), p)))
        .collect();
    for a in agents {
        let Some(parent) = a.parent.as_deref() else {
            continue;
        };
        let span = spans.get(&a.name).cloned().unwrap_or(0..0);
        if !agents.iter().any(|b| b.name == parent) {
            let names: Vec<&str> = agents.iter().map(|b| b.name.as_str()).collect();
            return Err(loc.at(
                span,
                format!("agent {:?}: parent {parent:?} names no agent", a.name),
                &format!(
                    "use one of: {}, or remove the parent line",
                    names.join(", ")
                ),
            ));
        }
        // Walk up from this agent; coming back to it means a cycle. A cycle that does not
        // pass through this agent is reported when its own members are checked.
        let mut chain = vec![a.name.as_str()];
        let mut cur = parent;
        loop {
            chain.push(cur);
            if cur == a.name {
                return Err(loc.at(
                    span,
                    format!(
                        "agent {:?}: parent makes a cycle: {}",
                        a.name,
                        chain.join(" → ")
                    ),
                    "an agent cannot be its own ancestor; remove one parent line",
                ));
            }
            match parent_of.get(cur) {
                Some(next) if chain.len() <= agents.len() => cur = next,
                _ => break,
            }
        }
    }
    Ok(())
}

impl Fleet {
    /// tmux socket name of the fleet's `n`th server (0-based): `shoal-<name>`, then
    /// `shoal-<name>-2`, …
    pub fn socket(&self, n: usize) -> String {
        socket_name(&self.settings.name, n)
    }

    /// The agent with this name.
    pub fn agent(&self, name: &str) -> Option<&AgentSpec> {
        self.agents.iter().find(|a| a.name == name)
    }
}

/// tmux socket name of a fleet's `n`th server (0-based).
pub fn socket_name(fleet: &str, n: usize) -> String {
    if n == 0 {
        format!("shoal-{fleet}")
    } else {
        format!("shoal-{fleet}-{}", n + 1)
    }
}
