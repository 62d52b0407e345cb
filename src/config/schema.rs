//! `config.toml`: what it holds, its built-in defaults, and reading it with every
//! mistake located and explained.

use super::error::{ConfigError, Locator, Pos};
use crate::fleet::file::DEFAULT_NUDGE;
use crate::fleet::units::{parse_duration, DURATION_HINT};
use crate::fleet::Escalation;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

/// The default config file, every key set to its built-in value and explained.
pub const DEFAULT_FILE: &str = include_str!("../../assets/config.toml");

/// The views whose keys a config can set.
pub const VIEWS: &[&str] = &["fleet", "help"];

/// User settings, built-in values filled in where the file is silent.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file it was read from; `None` for the built-in defaults.
    pub path: Option<PathBuf>,
    /// Supervisor tick period.
    pub poll_interval: Duration,
    /// Stall timeout for fleets and agents that set none.
    pub stall_timeout: Duration,
    /// Text typed at the nudge tier.
    pub nudge_message: String,
    /// Wait between a cancel's interrupt and the kill.
    pub cancel_grace: Duration,
    /// Events and captures older than this are deleted; `None` keeps everything.
    pub log_retention: Option<Duration>,
    /// Theme name.
    pub theme: String,
    /// Where the file names the theme, for an unknown theme's message.
    pub theme_pos: Option<Pos>,
    /// Which stall tiers act.
    pub escalation: Escalation,
    /// What the console tells the operator about, and how.
    pub notify: NotifyConfig,
    /// Key bindings, in file order.
    pub keymap: Vec<KeyEntry>,
    /// What becomes of supervision when the console that supervises quits.
    pub on_quit: OnQuit,
}

/// `[console] on_quit`: what a console that supervises the fleet does as it quits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnQuit {
    /// Hand the fleet to a detached supervisor, so no agent goes unwatched.
    #[default]
    Keep,
    /// Stop supervising: the agents keep running, unwatched.
    Stop,
    /// Ask the operator each time.
    Ask,
}

impl OnQuit {
    /// The name used in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            OnQuit::Keep => "keep",
            OnQuit::Stop => "stop",
            OnQuit::Ask => "ask",
        }
    }
}

/// A change in an agent the console can notify about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NotifyOn {
    /// The agent started to wait for the operator.
    NeedsInput,
    /// The agent reached the warn tier.
    Warn,
    /// The agent shows an error.
    Errored,
    /// The agent's process ended.
    Exited,
    /// A budget reached 80 %, or was spent.
    Budget,
    /// An agent with `on_idle = "notify"` finished its turn and waits for work.
    Waiting,
}

impl NotifyOn {
    /// Every kind, in config order.
    pub const ALL: [NotifyOn; 6] = [
        NotifyOn::NeedsInput,
        NotifyOn::Warn,
        NotifyOn::Errored,
        NotifyOn::Exited,
        NotifyOn::Budget,
        NotifyOn::Waiting,
    ];

    /// The name used in the config and in the notification JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyOn::NeedsInput => "needs-input",
            NotifyOn::Warn => "warn",
            NotifyOn::Errored => "errored",
            NotifyOn::Exited => "exited",
            NotifyOn::Budget => "budget",
            NotifyOn::Waiting => "waiting",
        }
    }
}

/// How a desktop notification reaches the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Desktop {
    /// None.
    #[default]
    Off,
    /// `ESC ] 9 ; text BEL`.
    Osc9,
    /// `ESC ] 777 ; notify ; title ; body BEL`.
    Osc777,
}

/// Notification settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyConfig {
    /// Which changes notify.
    pub on: Vec<NotifyOn>,
    /// Ring the terminal bell.
    pub bell: bool,
    /// Desktop notification escape, if any.
    pub desktop: Desktop,
    /// Shell command run with the event JSON on stdin.
    pub command: Option<String>,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            on: NotifyOn::ALL.to_vec(),
            bell: true,
            desktop: Desktop::Off,
            command: None,
        }
    }
}

/// One `"key" = "action"` line of a `[keymap.VIEW]` table, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEntry {
    /// The view: one of [`VIEWS`].
    pub view: String,
    /// The key as written.
    pub key: String,
    /// The action name as written.
    pub action: String,
    /// Where the key is.
    pub key_pos: Pos,
    /// Where the action is.
    pub action_pos: Pos,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            path: None,
            poll_interval: Duration::from_secs(1),
            stall_timeout: Duration::from_secs(300),
            nudge_message: DEFAULT_NUDGE.to_string(),
            cancel_grace: Duration::from_secs(10),
            log_retention: Some(Duration::from_secs(30 * 24 * 3600)),
            theme: "dark".to_string(),
            theme_pos: None,
            escalation: Escalation::default(),
            notify: NotifyConfig::default(),
            keymap: Vec::new(),
            on_quit: OnQuit::Keep,
        }
    }
}

impl Config {
    /// Where a key binding came from, for keymap errors.
    pub fn locator_path(&self) -> PathBuf {
        self.path
            .clone()
            .unwrap_or_else(|| PathBuf::from("(built-in config)"))
    }

    /// The fleet settings this config provides: built-in values with the config's laid
    /// over them; a fleet file lays its own over these.
    pub fn fleet_defaults(&self) -> crate::fleet::FleetSettings {
        crate::fleet::FleetSettings {
            stall_timeout: self.stall_timeout,
            poll_interval: self.poll_interval,
            nudge_message: self.nudge_message.clone(),
            cancel_grace: self.cancel_grace,
            escalation: self.escalation,
            log_retention: self.log_retention,
            ..crate::fleet::FleetSettings::default()
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    poll_interval: Option<Spanned<String>>,
    stall_timeout: Option<Spanned<String>>,
    nudge_message: Option<Spanned<String>>,
    cancel_grace: Option<Spanned<String>>,
    log_retention: Option<Spanned<String>>,
    theme: Option<Spanned<String>>,
    escalation: Option<RawEscalation>,
    notify: Option<RawNotify>,
    keymap: Option<RawKeymap>,
    console: Option<RawConsole>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConsole {
    on_quit: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEscalation {
    nudge: Option<bool>,
    warn: Option<bool>,
    kill: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotify {
    on: Option<Vec<Spanned<String>>>,
    bell: Option<bool>,
    desktop: Option<Spanned<String>>,
    command: Option<String>,
}

type KeyTable = toml::map::Map<String, toml::Value>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeymap {
    fleet: Option<Spanned<KeyTable>>,
    help: Option<Spanned<KeyTable>>,
}

const REFERENCE: &str = "`shoal config --default` prints every key with its meaning";

/// Read the config file; a missing file gives the built-in defaults.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(path, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
        Err(e) => Err(Locator::unreadable(
            path,
            &e,
            "fix the file's permissions, or move it away to use the defaults",
        )),
    }
}

/// Parse config text; `path` names the file in messages.
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let loc = Locator { path, text };
    let raw: Raw = toml::from_str(text).map_err(|e| loc.toml(&e, "config", REFERENCE))?;
    let mut c = Config {
        path: Some(path.to_path_buf()),
        ..Config::default()
    };
    let duration = |v: &Spanned<String>, field: &str| {
        parse_duration(v.get_ref())
            .map_err(|e| loc.at(v.span(), format!("{field}: {e}"), DURATION_HINT))
    };
    if let Some(v) = &raw.poll_interval {
        c.poll_interval = duration(v, "poll_interval")?;
    }
    if let Some(v) = &raw.stall_timeout {
        c.stall_timeout = duration(v, "stall_timeout")?;
    }
    if let Some(v) = &raw.cancel_grace {
        c.cancel_grace = duration(v, "cancel_grace")?;
    }
    if let Some(v) = &raw.log_retention {
        c.log_retention = match v.get_ref().trim() {
            "off" | "forever" => None,
            _ => Some(duration(v, "log_retention").map_err(|mut e| {
                e.hint = format!("{DURATION_HINT}, or \"off\" to keep everything");
                e
            })?),
        };
    }
    if let Some(v) = raw.nudge_message {
        if v.get_ref().trim().is_empty() {
            return Err(loc.at(
                v.span(),
                "nudge_message is empty".into(),
                "write the line a stalled agent should read, or switch the tier off with [escalation] nudge = false",
            ));
        }
        if let Err(e) = crate::fleet::typed::check_typed(v.get_ref()) {
            return Err(loc.at(
                v.span(),
                format!("nudge_message: {e}"),
                "write plain text; newlines and tabs are fine",
            ));
        }
        c.nudge_message = v.into_inner();
    }
    if let Some(v) = raw.theme {
        if v.get_ref().trim().is_empty() {
            return Err(loc.at(v.span(), "theme is empty".into(), "e.g. theme = \"dark\""));
        }
        c.theme_pos = Some(loc.pos(v.span().start));
        c.theme = v.into_inner();
    }
    if let Some(e) = raw.escalation {
        let d = Escalation::default();
        c.escalation = Escalation {
            nudge: e.nudge.unwrap_or(d.nudge),
            warn: e.warn.unwrap_or(d.warn),
            kill: e.kill.unwrap_or(d.kill),
        };
    }
    if let Some(n) = raw.notify {
        c.notify = notify(&loc, n)?;
    }
    if let Some(v) = raw.console.and_then(|c| c.on_quit) {
        c.on_quit = match v.get_ref().trim() {
            "keep" => OnQuit::Keep,
            "stop" => OnQuit::Stop,
            "ask" => OnQuit::Ask,
            other => {
                return Err(loc.at(
                    v.span(),
                    format!("console.on_quit: unknown value {other:?}"),
                    "use \"keep\" (a detached supervisor takes over), \"stop\" or \"ask\"",
                ))
            }
        };
    }
    if let Some(k) = raw.keymap {
        for (view, table) in [("fleet", k.fleet), ("help", k.help)] {
            if let Some(t) = table {
                c.keymap.extend(key_entries(&loc, view, t)?);
            }
        }
    }
    Ok(c)
}

fn notify(loc: &Locator<'_>, n: RawNotify) -> Result<NotifyConfig, ConfigError> {
    let mut out = NotifyConfig::default();
    if let Some(list) = n.on {
        let names: Vec<&str> = NotifyOn::ALL.iter().map(|k| k.as_str()).collect();
        out.on.clear();
        for item in list {
            let Some(kind) = NotifyOn::ALL.iter().find(|k| k.as_str() == item.get_ref()) else {
                let hint = match super::error::suggest(item.get_ref(), &names) {
                    Some(near) => format!("did you mean \"{near}\"? (valid: {})", names.join(", ")),
                    None => format!("use some of: {}", names.join(", ")),
                };
                return Err(loc.at(
                    item.span(),
                    format!("notify.on: unknown change {:?}", item.get_ref()),
                    hint,
                ));
            };
            if !out.on.contains(kind) {
                out.on.push(*kind);
            }
        }
    }
    if let Some(b) = n.bell {
        out.bell = b;
    }
    if let Some(d) = n.desktop {
        out.desktop = match d.get_ref().as_str() {
            "off" | "" => Desktop::Off,
            "osc9" => Desktop::Osc9,
            "osc777" => Desktop::Osc777,
            other => {
                return Err(loc.at(
                    d.span(),
                    format!("notify.desktop: unknown value {other:?}"),
                    "use \"off\", \"osc9\" or \"osc777\"",
                ))
            }
        };
    }
    out.command = n.command.filter(|c| !c.trim().is_empty());
    Ok(out)
}

/// The `"key" = "action"` lines of one view, in file order. toml does not keep the
/// span of each key inside a table, so each key is found again in the table's text.
fn key_entries(
    loc: &Locator<'_>,
    view: &str,
    table: Spanned<KeyTable>,
) -> Result<Vec<KeyEntry>, ConfigError> {
    // The table runs from its header to the next header (or the end of the file).
    let start = table.span().start;
    let rest = loc.text.get(start..).unwrap_or("");
    let end = rest
        .match_indices("\n[")
        .map(|(i, _)| i)
        .next()
        .map_or(loc.text.len(), |i| start + i + 1);
    let span = start..end;
    let body = loc.text.get(span.clone()).unwrap_or("");
    let mut entries = Vec::new();
    for (key, value) in table.into_inner() {
        let at = find_key(body, &key).map_or(span.start, |off| span.start + off);
        let key_pos = loc.pos(at);
        let toml::Value::String(action) = value else {
            return Err(loc.at_pos(
                key_pos,
                format!("keymap.{view}: {key:?} must name an action in quotes, not {value}"),
                "e.g. \"x\" = \"kill\"",
            ));
        };
        let action_pos = body[at - span.start..].find('=').map_or(key_pos, |eq| {
            loc.pos(at + eq + 1 + leading_space(&body[at - span.start + eq + 1..]))
        });
        entries.push(KeyEntry {
            view: view.to_string(),
            key,
            action,
            key_pos,
            action_pos,
        });
    }
    entries.sort_by_key(|e| (e.key_pos.line, e.key_pos.column));
    Ok(entries)
}

fn leading_space(s: &str) -> usize {
    s.len() - s.trim_start_matches([' ', '\t']).len()
}

/// Byte offset of the line that defines `key` inside a table's text.
fn find_key(body: &str, key: &str) -> Option<usize> {
    let quoted = [format!("\"{key}\""), format!("'{key}'"), key.to_string()];
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        for q in &quoted {
            if let Some(rest) = trimmed.strip_prefix(q.as_str()) {
                if rest.trim_start().starts_with('=') {
                    return Some(offset + indent);
                }
            }
        }
        offset += line.len();
    }
    None
}
