//! The way back from a pane on another host: `shoal signal|spawn|inbox` run there (by
//! the shell shim shoal installs on the host, or by a shoal binary) cannot reach the
//! store, so it appends one line to its own pane's `@shoal_req` option; the supervisor
//! sees the option's length in the listing it makes anyway, takes the lines (read and
//! unset in one tmux command list), carries them out, and answers in the pane option
//! `@shoal_reply_ID`, which the waiting command reads and unsets.
//!
//! A line is `shoal1 TOKEN ID xHEX xHEX…`: the command's words after `shoal`, each hex
//! encoded behind an `x` (so any byte survives, and no line holds a tab or newline of
//! its own). TOKEN is the attempt's token, given to its pane only (in `SHOAL_TOKEN`):
//! a pane that writes into another pane's option does not know that pane's token, so
//! its line is refused there. ID names the reply: digits and lower-case letters.

use super::SignalKind;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// The pane option that collects requests.
pub const REQUEST_OPTION: &str = "@shoal_req";
/// Prefix of the pane option that carries the answer to request `ID`.
pub const REPLY_PREFIX: &str = "@shoal_reply_";
/// The first word of every request line: the wire format's version.
pub const WIRE: &str = "shoal1";
/// Most bytes the request option may hold: past it the supervisor drops it unread.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;
/// Most bytes of one answer.
pub const MAX_REPLY_BYTES: usize = 16 * 1024;
/// Environment variable holding the attempt's token in its pane.
pub const TOKEN_ENV: &str = "SHOAL_TOKEN";
/// Longest request id.
const MAX_ID: usize = 40;

/// The token of `agent`'s attempt `attempt` in `fleet`, from the fleet's secret key.
pub fn token(key: &[u8], fleet: &str, agent: &str, attempt: u32) -> String {
    let mut h = Sha256::new();
    for part in [
        key,
        fleet.as_bytes(),
        agent.as_bytes(),
        &attempt.to_be_bytes(),
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One request line as it arrived: who claims to send it, and the command's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The token the sender gave.
    pub token: String,
    /// The reply's name.
    pub id: String,
    /// The command's words after `shoal`, e.g. `["signal", "done", "all tests pass"]`.
    pub args: Vec<String>,
}

/// `shoal1 TOKEN ID xHEX…`, without the newline.
pub fn encode_line(token: &str, id: &str, args: &[String]) -> String {
    let mut out = format!("{WIRE} {token} {id}");
    for a in args {
        out.push_str(" x");
        for b in a.as_bytes() {
            out.push_str(&format!("{b:02x}"));
        }
    }
    out
}

/// Read one request line, saying what is wrong with a bad one.
pub fn parse_line(line: &str) -> Result<Line, String> {
    let mut words = line.split(' ');
    match words.next() {
        Some(WIRE) => {}
        Some(other) => {
            return Err(format!(
                "the request starts with {:?}, not {WIRE:?}: a shim from another shoal version? \
                 it is installed again at the next start of an agent on the host",
                cut(other)
            ))
        }
        None => return Err("empty request".into()),
    }
    let token = words.next().unwrap_or_default().to_string();
    let id = words.next().unwrap_or_default().to_string();
    let id_ok = !id.is_empty()
        && id.len() <= MAX_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
    if !id_ok {
        return Err(format!(
            "request id {:?} is not 1-{MAX_ID} digits and lower-case letters",
            cut(&id)
        ));
    }
    let args = words.map(unhex).collect::<Result<Vec<String>, String>>()?;
    Ok(Line { token, id, args })
}

fn unhex(word: &str) -> Result<String, String> {
    let hex = word
        .strip_prefix('x')
        .ok_or_else(|| format!("argument {:?} does not start with x", cut(word)))?;
    if hex.len() % 2 != 0 {
        return Err(format!(
            "argument {:?} has an odd number of digits",
            cut(word)
        ));
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| format!("argument {:?} is not hex", cut(word)))?;
    String::from_utf8(bytes).map_err(|_| format!("argument {:?} is not UTF-8", cut(word)))
}

/// At most 40 characters of something a pane wrote, for a message.
fn cut(s: &str) -> String {
    s.chars().take(40).collect()
}

/// What a remote pane asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `shoal signal KIND MESSAGE…`.
    Signal {
        /// What the agent reports.
        kind: SignalKind,
        /// Its words, joined with spaces.
        message: String,
    },
    /// `shoal spawn NAME [OPTIONS] -- CMD…`.
    Spawn(SpawnSpec),
    /// `shoal inbox [--agent A] [--wait D] [--json]`.
    Inbox {
        /// Whose inbox (only the caller's own may be read).
        agent: Option<String>,
        /// Answer once a signal arrives, at most this late.
        wait: Option<Duration>,
        /// The answer as JSON.
        json: bool,
    },
}

impl Request {
    /// The verb, as the caller rule and the audit trail name it.
    pub fn verb(&self) -> super::Verb {
        match self {
            Request::Signal { .. } => super::Verb::Signal,
            Request::Spawn(_) => super::Verb::Spawn,
            Request::Inbox { .. } => super::Verb::Inbox,
        }
    }
}

/// A spawn as a remote pane asks for it: `shoal spawn`'s options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpawnSpec {
    /// The new agent's name.
    pub name: String,
    /// Its kind; guessed from the command when absent.
    pub kind: Option<String>,
    /// Its directory on the host (the shim sends its own when not given).
    pub cwd: Option<String>,
    /// Its first message.
    pub task: Option<String>,
    /// Its parent (the caller or one of its descendants; default the caller).
    pub parent: Option<String>,
    /// Most children of it running at once.
    pub max_children: Option<u32>,
    /// Its stall timeout.
    pub stall_timeout: Option<Duration>,
    /// Extra environment.
    pub env: Vec<(String, String)>,
    /// The command's words (one: a shell line).
    pub cmd: Vec<String>,
}

/// The request a pane's words stand for, or what is wrong with them.
pub fn parse_request(args: &[String]) -> Result<Request, String> {
    let (verb, rest) = args.split_first().ok_or("no command was given")?;
    match verb.as_str() {
        "signal" => {
            let (kind, words) = rest
                .split_first()
                .ok_or("shoal signal KIND MESSAGE: the kind is missing")?;
            if words.is_empty() {
                return Err("shoal signal KIND MESSAGE: the message is missing".into());
            }
            Ok(Request::Signal {
                kind: kind.parse()?,
                message: words.join(" "),
            })
        }
        "spawn" => parse_spawn(rest).map(Request::Spawn),
        "inbox" => {
            let mut o = Options::new(rest);
            let (mut agent, mut wait, mut json) = (None, None, false);
            while let Some(flag) = o.next_flag()? {
                match flag.as_str() {
                    "--agent" => agent = Some(o.value(&flag)?),
                    "--wait" => wait = Some(duration(&flag, &o.value(&flag)?)?),
                    "--json" => json = true,
                    other => return Err(format!("shoal inbox: unknown option {other}")),
                }
            }
            if let Some(extra) = o.rest().first() {
                return Err(format!("shoal inbox takes no argument ({extra:?} given)"));
            }
            Ok(Request::Inbox { agent, wait, json })
        }
        other => Err(format!(
            "{:?} cannot be asked from a pane on another host: only signal, spawn and inbox",
            cut(other)
        )),
    }
}

fn duration(flag: &str, v: &str) -> Result<Duration, String> {
    super::units::parse_duration(v).map_err(|e| format!("{flag} {v:?}: {e}; write e.g. 30s"))
}

fn parse_spawn(args: &[String]) -> Result<SpawnSpec, String> {
    let mut o = Options::new(args);
    let mut s = SpawnSpec::default();
    let mut name = None;
    loop {
        match o.next_flag()? {
            Some(flag) => match flag.as_str() {
                "--kind" => s.kind = Some(o.value(&flag)?),
                "--cwd" => s.cwd = Some(o.value(&flag)?),
                "--task" => s.task = Some(o.value(&flag)?),
                "--parent" => s.parent = Some(o.value(&flag)?),
                "--max-children" => {
                    let v = o.value(&flag)?;
                    s.max_children = Some(
                        v.parse()
                            .ok()
                            .filter(|n| *n > 0)
                            .ok_or(format!("--max-children {v:?} is not a number from 1"))?,
                    );
                }
                "--stall-timeout" => s.stall_timeout = Some(duration(&flag, &o.value(&flag)?)?),
                "--env" => {
                    let v = o.value(&flag)?;
                    let (k, val) = v
                        .split_once('=')
                        .ok_or(format!("--env {v:?} is not KEY=VALUE"))?;
                    s.env.push((k.to_string(), val.to_string()));
                }
                other => return Err(format!("shoal spawn: unknown option {other}")),
            },
            None => match o.word() {
                Some(w) if name.is_none() => name = Some(w),
                Some(w) => {
                    return Err(format!(
                        "shoal spawn NAME [OPTIONS] -- CMD: unexpected {w:?} before --"
                    ))
                }
                None => break,
            },
        }
    }
    s.name = name.ok_or("shoal spawn NAME -- CMD: the name is missing")?;
    s.cmd = o.rest().to_vec();
    if s.cmd.iter().all(|w| w.trim().is_empty()) {
        return Err(
            "shoal spawn: the command after -- is empty; write the command that starts the agent"
                .into(),
        );
    }
    Ok(s)
}

/// Reads `--flag value`, `--flag=value` and plain words up to `--`.
struct Options<'a> {
    args: &'a [String],
    at: usize,
    pending: Option<String>,
    done: bool,
}

impl<'a> Options<'a> {
    fn new(args: &'a [String]) -> Options<'a> {
        Options {
            args,
            at: 0,
            pending: None,
            done: false,
        }
    }

    /// The next `--flag`, or `None` at a plain word, at `--` or at the end.
    fn next_flag(&mut self) -> Result<Option<String>, String> {
        if self.done {
            return Ok(None);
        }
        let Some(a) = self.args.get(self.at) else {
            return Ok(None);
        };
        if a == "--" {
            self.at += 1;
            self.done = true;
            return Ok(None);
        }
        if !a.starts_with("--") {
            return Ok(None);
        }
        self.at += 1;
        Ok(Some(match a.split_once('=') {
            Some((flag, value)) => {
                self.pending = Some(value.to_string());
                flag.to_string()
            }
            None => a.clone(),
        }))
    }

    /// The value of `flag`.
    fn value(&mut self, flag: &str) -> Result<String, String> {
        if let Some(v) = self.pending.take() {
            return Ok(v);
        }
        let v = self
            .args
            .get(self.at)
            .ok_or(format!("{flag} needs a value"))?;
        self.at += 1;
        Ok(v.clone())
    }

    /// A plain word before `--`.
    fn word(&mut self) -> Option<String> {
        if self.done {
            return None;
        }
        let w = self.args.get(self.at)?.clone();
        self.at += 1;
        Some(w)
    }

    /// Everything after `--` (or after the options).
    fn rest(&self) -> &'a [String] {
        &self.args[self.at.min(self.args.len())..]
    }
}

/// The answer's text: `ok` or `error` on the first line, then what to print.
pub fn reply(result: &Result<String, String>) -> String {
    let (status, text) = match result {
        Ok(t) => ("ok", t.as_str()),
        Err(t) => ("error", t.as_str()),
    };
    let mut out = format!("{status}\n{text}");
    if out.len() > MAX_REPLY_BYTES {
        let mut end = MAX_REPLY_BYTES - 40;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
        out.push_str("\n… (answer cut at 16 KiB)");
    }
    out
}

/// The shell shim shoal installs as `bin/shoal` under a host's `shoal_home`.
pub const SHIM: &str = include_str!("../../assets/remote/shoal.sh");

#[cfg(test)]
#[path = "pane_request_tests.rs"]
mod tests;
