//! Agent-native signals, as profile data: how a CLI is told at launch to run `shoal hook`
//! on its own events (`[hooks]`), what each of those events claims, and what the pane
//! title it sets claims (`[[title]]`). A claim is only ever checked against the screen.
//!
//! ```toml
//! [hooks]
//! args = ["--settings", "{settings}"]        # appended to the command line
//! settings = '''{"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "{hook} Stop"}]}]}}'''
//! [hooks.events]
//! Stop = "idle"
//!
//! [[title]]
//! regex = '^✋'
//! claim = "needs-input"
//! ```
//!
//! In `args`, `env` and the strings of `settings`: `{hook}` is shoal's hook command as a
//! shell line, `{hook_json}` the same as a JSON (and TOML) array of words, `{settings}`
//! the path of the settings file shoal writes for the attempt.

use super::error::{Problem, ProfileError};
use crate::fleet::Claim;
use regex::Regex;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;

/// `[hooks]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct HooksFile {
    #[serde(default)]
    args: Vec<Spanned<String>>,
    #[serde(default)]
    env: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    settings: Option<Spanned<String>>,
    #[serde(default)]
    keep: Vec<String>,
    #[serde(default)]
    events: BTreeMap<String, Spanned<String>>,
}

/// One `[[title]]` entry as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TitleFile {
    regex: Spanned<String>,
    claim: Spanned<String>,
}

/// A profile's `[hooks]`, checked.
#[derive(Debug, Clone, Default)]
pub struct Hooks {
    args: Vec<String>,
    env: Vec<(String, String)>,
    settings: Option<Value>,
    keep: Vec<String>,
    events: Vec<(String, Claim)>,
}

/// One `[[title]]` rule, compiled.
#[derive(Debug, Clone)]
pub(super) struct TitleRule {
    regex: Regex,
    claim: Claim,
}

/// What launching an attempt with hooks takes: the command line with the CLI's extra
/// arguments, the pane's extra environment, and the settings file to write first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookLaunch {
    /// The command line.
    pub cmd: String,
    /// Extra environment for the pane.
    pub env: Vec<(String, String)>,
    /// The settings file's text (JSON), when the profile has one.
    pub settings: Option<String>,
}

type At<'a> = &'a dyn Fn(Option<Range<usize>>, Problem) -> ProfileError;

/// Check `[hooks]` and `[[title]]`; `at` locates a problem in the file.
pub(super) fn parse(
    hooks: Option<&HooksFile>,
    titles: &[TitleFile],
    at: At<'_>,
) -> Result<(Option<Hooks>, Vec<TitleRule>), ProfileError> {
    let claim = |field: &str, s: &Spanned<String>| {
        s.get_ref()
            .parse::<Claim>()
            .map_err(|e| at(Some(s.span()), Problem::Syntax(format!("{field}: {e}"))))
    };
    let mut rules = Vec::with_capacity(titles.len());
    for t in titles {
        let regex = Regex::new(t.regex.get_ref()).map_err(|e| {
            let problem = Problem::BadRegex {
                field: "title.regex",
                pattern: t.regex.get_ref().clone(),
                error: e.to_string(),
            };
            at(Some(t.regex.span()), problem)
        })?;
        rules.push(TitleRule {
            regex,
            claim: claim("title.claim", &t.claim)?,
        });
    }
    let Some(h) = hooks else {
        return Ok((None, rules));
    };
    let settings = match &h.settings {
        None => None,
        Some(s) => {
            let v: Value = serde_json::from_str(s.get_ref()).map_err(|e| {
                let problem = Problem::Syntax(format!(
                    "hooks.settings is not JSON ({e}); write the CLI's settings file as JSON, with {{hook}} where shoal's command goes"
                ));
                at(Some(s.span()), problem)
            })?;
            if !v.is_object() {
                return Err(at(
                    Some(s.span()),
                    Problem::Syntax("hooks.settings must be a JSON object ({…})".into()),
                ));
            }
            let told = h
                .args
                .iter()
                .map(Spanned::get_ref)
                .any(|a| a.contains("{settings}"))
                || h.env.values().any(|v| v.get_ref().contains("{settings}"));
            if !told {
                return Err(at(
                    Some(s.span()),
                    Problem::Syntax(
                        "hooks.settings is written, but no hooks.args or hooks.env holds {settings} to tell the CLI where it is".into(),
                    ),
                ));
            }
            Some(v)
        }
    };
    for a in &h.args {
        if a.get_ref().is_empty() {
            return Err(at(
                Some(a.span()),
                Problem::Syntax("hooks.args holds an empty argument".into()),
            ));
        }
    }
    let mut events = Vec::with_capacity(h.events.len());
    for (name, c) in &h.events {
        events.push((name.clone(), claim(&format!("hooks.events.{name}"), c)?));
    }
    Ok((
        Some(Hooks {
            args: h.args.iter().map(|a| a.get_ref().clone()).collect(),
            env: h
                .env
                .iter()
                .map(|(k, v)| (k.clone(), v.get_ref().clone()))
                .collect(),
            settings,
            keep: h.keep.clone(),
            events,
        }),
        rules,
    ))
}

impl Hooks {
    /// Whether the CLI is told on its command line (else only through its environment).
    pub fn has_args(&self) -> bool {
        !self.args.is_empty()
    }

    /// What the CLI's event `event` claims: its own entry (`Notification:idle_prompt`),
    /// else the entry of its name before the `:` (`Notification`).
    pub fn claim(&self, event: &str) -> Option<Claim> {
        let find = |key: &str| self.events.iter().find(|(k, _)| k == key).map(|(_, c)| *c);
        find(event).or_else(|| find(event.split(':').next()?))
    }

    /// Files the settings file stands in for (`$VAR` expanded from `env`): the first one
    /// that exists is kept, with shoal's hooks added (the CLI would read it otherwise).
    pub fn keeps(&self, env: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
        self.keep
            .iter()
            .filter_map(|k| match k.strip_prefix('$') {
                Some(var) => env(var).filter(|v| !v.is_empty()),
                None => Some(k.clone()),
            })
            .collect()
    }

    /// The launch of `cmd` with hooks that run `hook` (the hook command's words) and a
    /// settings file at `settings`; `kept` is the JSON of the file it stands in for.
    pub fn launch(
        &self,
        cmd: &str,
        hook: &[String],
        settings: &Path,
        kept: Option<&Value>,
    ) -> HookLaunch {
        let line = hook
            .iter()
            .map(|w| sh_word(w))
            .collect::<Vec<_>>()
            .join(" ");
        let json = serde_json::to_string(hook).unwrap_or_default();
        let path = settings.display().to_string();
        let fill = |s: &str| {
            s.replace("{hook_json}", &json)
                .replace("{hook}", &line)
                .replace("{settings}", &path)
        };
        let mut out = cmd.trim_end().to_string();
        for a in &self.args {
            out.push(' ');
            out.push_str(&sh_word(&fill(a)));
        }
        let settings = self.settings.as_ref().map(|v| {
            let mut ours = v.clone();
            fill_strings(&mut ours, &fill);
            let merged = match kept {
                Some(base) => merge(base.clone(), ours),
                None => ours,
            };
            serde_json::to_string_pretty(&merged).unwrap_or_default()
        });
        HookLaunch {
            cmd: out,
            env: self.env.iter().map(|(k, v)| (k.clone(), fill(v))).collect(),
            settings,
        }
    }
}

/// The claim of the first `[[title]]` rule the title matches.
pub(super) fn title_claim(rules: &[TitleRule], title: &str) -> Option<Claim> {
    let title = title.trim_end();
    rules
        .iter()
        .find(|r| r.regex.is_match(title))
        .map(|r| r.claim)
}

/// Whether arguments appended to `cmd` reach the program that starts at byte `at`: it
/// is not inside quotes, and nothing after it ends its command (`;`, `&&`, `|`, a
/// subshell, a comment). Redirections (`2>&1`) are fine.
pub(super) fn appends_reach(cmd: &str, at: usize) -> bool {
    let Some(before) = cmd.get(..at) else {
        return false;
    };
    let mut state = Quote::None;
    for c in before.chars() {
        state = state.step(c);
    }
    if state != Quote::None {
        return false;
    }
    let tail: Vec<char> = cmd[at..].chars().collect();
    let mut prev = ' ';
    let mut i = 0;
    while i < tail.len() {
        let c = tail[i];
        let next = tail.get(i + 1).copied().unwrap_or(' ');
        match state {
            Quote::None => match c {
                '\\' => {
                    i += 2;
                    prev = next;
                    continue;
                }
                '\'' => state = Quote::Single,
                '"' => state = Quote::Double,
                ';' | '\n' | '`' | '(' | ')' => return false,
                '|' if prev != '>' => return false,
                '&' if prev != '>' && prev != '<' && next != '>' => return false,
                '#' if prev.is_whitespace() => return false,
                _ => {}
            },
            _ => state = state.step(c),
        }
        prev = c;
        i += 1;
    }
    state == Quote::None
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Single,
    Double,
    /// After a backslash inside double quotes.
    DoubleEscaped,
}

impl Quote {
    fn step(self, c: char) -> Quote {
        match (self, c) {
            (Quote::None, '\'') => Quote::Single,
            (Quote::None, '"') => Quote::Double,
            (Quote::Single, '\'') | (Quote::Double, '"') => Quote::None,
            (Quote::Double, '\\') => Quote::DoubleEscaped,
            (Quote::DoubleEscaped, _) => Quote::Double,
            (s, _) => s,
        }
    }
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

fn fill_strings(v: &mut Value, fill: &dyn Fn(&str) -> String) {
    match v {
        Value::String(s) => *s = fill(s),
        Value::Array(a) => a.iter_mut().for_each(|x| fill_strings(x, fill)),
        Value::Object(o) => o.values_mut().for_each(|x| fill_strings(x, fill)),
        _ => {}
    }
}

/// `ours` laid over `base`: objects merge key by key, lists are joined (the base's
/// entries first, so none of the operator's hooks is lost), other values are ours.
fn merge(base: Value, ours: Value) -> Value {
    match (base, ours) {
        (Value::Object(mut b), Value::Object(o)) => {
            for (k, v) in o {
                let merged = match b.remove(&k) {
                    Some(old) => merge(old, v),
                    None => v,
                };
                b.insert(k, merged);
            }
            Value::Object(b)
        }
        (Value::Array(mut b), Value::Array(o)) => {
            b.extend(o);
            Value::Array(b)
        }
        (_, o) => o,
    }
}

#[cfg(test)]
#[path = "signals_tests.rs"]
mod tests;
