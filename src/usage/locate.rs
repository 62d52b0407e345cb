//! Finding an attempt's own transcript files from its processes: the environment marker
//! shoal gives every agent process (`SHOAL_FLEET`, `SHOAL_AGENT`), then each process's
//! HOME / CODEX_HOME / CLAUDE_CONFIG_DIR and working directory from `/proc`.
//!
//! Where the CLI says which file is its own, that wins: Claude Code keeps
//! `sessions/<pid>.json` naming its session id, Codex holds its rollout open. Otherwise
//! files of the right place modified after the attempt started are taken.

use super::ledger::Format;
use crate::process::procfs::{self, ProcInfo};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// What usage needs to know about one process of an agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcEnv {
    /// Its pid.
    pub pid: u32,
    /// `HOME` it started with.
    pub home: Option<PathBuf>,
    /// `CODEX_HOME`, when set.
    pub codex_home: Option<PathBuf>,
    /// `CLAUDE_CONFIG_DIR`, when set.
    pub claude_dir: Option<PathBuf>,
    /// Its working directory now.
    pub cwd: Option<PathBuf>,
}

/// Which agent each process belongs to, by the environment marker, remembered per
/// process so each environment is read once in the process's life.
#[derive(Debug, Default)]
pub struct ProcIndex {
    /// Per process (pid, start time): its fleet, agent and environment. The starting
    /// environment never changes, and the CLIs keep the directory they start in, so both
    /// are read once per process.
    marks: HashMap<(u32, u64), Option<Mark>>,
}

impl ProcIndex {
    /// The live processes of `fleet`'s agents named in `wanted`, per agent name, from
    /// one scan of `/proc`.
    pub fn scan(
        &mut self,
        fleet: &str,
        wanted: &std::collections::HashSet<&str>,
    ) -> HashMap<String, Vec<ProcEnv>> {
        let all = procfs::scan();
        self.marks
            .retain(|(pid, start), _| all.get(pid).is_some_and(|p| p.start == *start));
        let mut out: HashMap<String, Vec<ProcEnv>> = HashMap::new();
        for p in all.values() {
            if p.is_gone() || p.is_kernel() {
                continue;
            }
            let mark = self
                .marks
                .entry((p.pid, p.start))
                .or_insert_with(|| marker(p))
                .clone();
            if let Some((f, agent, env)) = mark {
                if f == fleet && wanted.contains(agent.as_str()) {
                    out.entry(agent).or_default().push(env);
                }
            }
        }
        out
    }
}

/// A process's fleet, agent and environment.
type Mark = (String, String, ProcEnv);

fn marker(p: &ProcInfo) -> Option<Mark> {
    let env = environ(p.pid)?;
    let fleet = env.get("SHOAL_FLEET")?.clone();
    let agent = env.get("SHOAL_AGENT")?.clone();
    Some((fleet, agent, proc_env_from(p.pid, &env)))
}

fn environ(pid: u32) -> Option<HashMap<String, String>> {
    let raw = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    Some(
        raw.split(|&b| b == 0)
            .filter_map(|kv| {
                let s = std::str::from_utf8(kv).ok()?;
                let (k, v) = s.split_once('=')?;
                Some((k.to_string(), v.to_string()))
            })
            .collect(),
    )
}

/// HOME, CODEX_HOME, CLAUDE_CONFIG_DIR and cwd of one process; `None` once it is gone
/// or is another user's.
pub fn proc_env(pid: u32) -> Option<ProcEnv> {
    environ(pid).map(|env| proc_env_from(pid, &env))
}

fn proc_env_from(pid: u32, env: &HashMap<String, String>) -> ProcEnv {
    let path = |k: &str| env.get(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    ProcEnv {
        pid,
        home: path("HOME"),
        codex_home: path("CODEX_HOME"),
        claude_dir: path("CLAUDE_CONFIG_DIR"),
        cwd: std::fs::read_link(format!("/proc/{pid}/cwd")).ok(),
    }
}

/// Files open in a process (its `/proc/PID/fd` links).
fn open_files(pid: u32) -> Vec<PathBuf> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .collect()
}

/// Claude Code's project directory name for a working directory: every character
/// other than a letter, digit or `-` becomes `-`.
pub fn claude_project_dir(cwd: &Path) -> String {
    cwd.to_string_lossy()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn modified_ms(path: &Path) -> Option<i64> {
    let t = std::fs::metadata(path).ok()?.modified().ok()?;
    i64::try_from(t.duration_since(UNIX_EPOCH).ok()?.as_millis()).ok()
}

/// `*.jsonl` files directly in `dir` whose name starts with `prefix`, modified at or
/// after `since_ms`.
fn fresh_jsonl(dir: &Path, prefix: &str, since_ms: i64) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "jsonl")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(prefix))
                && modified_ms(p).is_some_and(|m| m >= since_ms)
        })
        .collect();
    out.sort();
    out
}

/// The transcript files of one process of a `format` agent whose attempt started at
/// `since_ms`.
pub fn files_of(format: Format, p: &ProcEnv, since_ms: i64) -> Vec<PathBuf> {
    match format {
        Format::Claude => claude_files(p, since_ms),
        Format::Codex => codex_files(p, since_ms),
        Format::Gemini => gemini_files(p, since_ms),
    }
}

fn claude_files(p: &ProcEnv, since_ms: i64) -> Vec<PathBuf> {
    let Some(root) = p
        .claude_dir
        .clone()
        .or_else(|| p.home.as_ref().map(|h| h.join(".claude")))
    else {
        return Vec::new();
    };
    let projects = root.join("projects");
    let session = std::fs::read_to_string(root.join("sessions").join(format!("{}.json", p.pid)))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v.get("sessionId")?.as_str().map(str::to_string));
    if let Some(id) = session {
        let name = format!("{id}.jsonl");
        if let Some(cwd) = &p.cwd {
            let f = projects.join(claude_project_dir(cwd)).join(&name);
            if f.is_file() {
                return vec![f];
            }
        }
        if let Ok(rd) = std::fs::read_dir(&projects) {
            for d in rd.flatten() {
                let f = d.path().join(&name);
                if f.is_file() {
                    return vec![f];
                }
            }
        }
    }
    match &p.cwd {
        Some(cwd) => fresh_jsonl(&projects.join(claude_project_dir(cwd)), "", since_ms),
        None => Vec::new(),
    }
}

fn codex_files(p: &ProcEnv, since_ms: i64) -> Vec<PathBuf> {
    let open: Vec<PathBuf> = open_files(p.pid)
        .into_iter()
        .filter(|f| is_rollout(f))
        .collect();
    if !open.is_empty() {
        return open;
    }
    let Some(root) = p
        .codex_home
        .clone()
        .or_else(|| p.home.as_ref().map(|h| h.join(".codex")))
    else {
        return Vec::new();
    };
    // sessions/YYYY/MM/DD: only the days since the attempt started can hold its files.
    let mut out = Vec::new();
    let sessions = root.join("sessions");
    for day in recent_day_dirs(&sessions, since_ms) {
        out.extend(fresh_jsonl(&day, "rollout-", since_ms));
    }
    out
}

fn is_rollout(f: &Path) -> bool {
    f.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("rollout-") && n.ends_with(".jsonl"))
}

/// `root/YYYY/MM/DD` directories modified at or after `since_ms`.
fn recent_day_dirs(root: &Path, since_ms: i64) -> Vec<PathBuf> {
    let subdirs = |d: &Path| -> Vec<PathBuf> {
        std::fs::read_dir(d)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.is_dir() && modified_ms(p).is_some_and(|m| m >= since_ms))
                    .collect()
            })
            .unwrap_or_default()
    };
    // A directory's mtime moves when an entry is added, so a year or month directory
    // older than the attempt holds no new day, and a day older than it no new file.
    let mut out = Vec::new();
    for y in subdirs(root) {
        for m in subdirs(&y) {
            out.extend(subdirs(&m));
        }
    }
    out
}

fn gemini_files(p: &ProcEnv, since_ms: i64) -> Vec<PathBuf> {
    let Some(home) = &p.home else {
        return Vec::new();
    };
    let root = home.join(".gemini");
    let project = p.cwd.as_ref().and_then(|cwd| {
        let t = std::fs::read_to_string(root.join("projects.json")).ok()?;
        let v: serde_json::Value = serde_json::from_str(&t).ok()?;
        v.get("projects")?
            .get(cwd.to_str()?)?
            .as_str()
            .map(str::to_string)
    });
    let tmp = root.join("tmp");
    let dirs: Vec<PathBuf> = match project {
        Some(name) => vec![tmp.join(name)],
        None => std::fs::read_dir(&tmp)
            .map(|rd| rd.flatten().map(|e| e.path()).collect())
            .unwrap_or_default(),
    };
    dirs.iter()
        .flat_map(|d| fresh_jsonl(&d.join("chats"), "session-", since_ms))
        .collect()
}
