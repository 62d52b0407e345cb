//! Agent profiles: how shoal reads each agent CLI's screen and answers it.
//!
//! A profile is data (TOML, see `assets/profiles/`): regex rules over named screen
//! regions, the keys that approve / deny / interrupt, extra proof-of-life masks and
//! reset-time patterns. [`Profile::classify`] turns a capture into a [`Detection`]
//! (working, needs-input, idle, errored, exited, or `unknown` when no rule matches) that
//! says which rule decided, in which region, on which lines.

mod error;
mod layout;
mod normalize;
mod region;
mod registry;
mod report;
mod reset;
mod rules;
mod signals;
mod spec;

pub use error::{Problem, ProfileError};
pub use layout::composer_shows;
pub use normalize::{digest, normalize, strip_ansi};
pub use region::REGION_NAMES;
pub use registry::Registry;
pub use report::{detect_report, DetectReport, MAX_DETECT_LINES};
pub use reset::ResetHint;
pub use rules::{Detection, RuleMatch, RuleSummary};
pub use signals::{HookLaunch, Hooks};

use regex::Regex;
use rules::Rule;
use std::path::{Path, PathBuf};

/// How a profile recognises its CLI from a command line or a screen.
#[derive(Debug, Clone, Default)]
struct Recognize {
    /// Program names matched against whole words of a command line (basename).
    commands: Vec<String>,
    /// Regexes over the full command line (`node …/claude-code/cli.js`).
    command_patterns: Vec<Regex>,
    /// Regexes over a screen, used to guess the kind of a saved capture.
    banner: Vec<Regex>,
}

/// How a CLI's conversation is resumed on a later attempt (`[session]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionArgs {
    /// Arguments that start a session under an id shoal chose, with `{session}`.
    pub launch: Option<String>,
    /// A regex over the name of the transcript file the CLI writes, whose `session`
    /// group is the id (for CLIs that cannot be told one).
    pub discover: Option<String>,
    /// Arguments that resume the session, with `{session}`.
    pub resume: String,
}

/// tmux key names for answering and interrupting the agent.
#[derive(Debug, Clone, Default)]
struct Keys {
    approve: Vec<String>,
    deny: Vec<String>,
    interrupt: Vec<String>,
    continue_message: Option<String>,
    /// Arguments appended to the command line at launch and to resume, each with
    /// `{session}` for a session id (`[session]`).
    session: Option<SessionArgs>,
}

/// Detection rules and keys for one agent CLI.
#[derive(Debug, Clone)]
pub struct Profile {
    name: String,
    description: String,
    recognize: Recognize,
    turn_start: Option<Regex>,
    masks: Vec<Regex>,
    reset: Vec<Regex>,
    keys: Keys,
    /// Highest priority first.
    rules: Vec<Rule>,
    layout: layout::Layout,
    /// `[usage] screen`: the regex usage lines on screen match, if the profile names one.
    usage_screen: Option<String>,
    /// `[hooks]`: how the CLI is wired to run `shoal hook`, and what its events claim.
    hooks: Option<Hooks>,
    /// `[[title]]`: what the pane title the CLI sets claims.
    titles: Vec<signals::TitleRule>,
    source: PathBuf,
}

impl Profile {
    /// Reads a profile from TOML text; `file` names the source in errors.
    pub fn from_toml(file: &Path, source: &str) -> Result<Profile, ProfileError> {
        spec::parse(file, source)
    }

    /// The regex of the CLI's usage lines on screen (`[usage] screen`), if any.
    pub fn usage_screen(&self) -> Option<&str> {
        self.usage_screen.as_deref()
    }

    /// The profile's kind name (`claude`, `aider`, …).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A one-line description of the CLI this profile is for.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Where the profile came from: `built-in:NAME` or the file path.
    pub fn source(&self) -> &Path {
        &self.source
    }

    /// What the screen shows. `screen` may contain ANSI escapes; they are stripped first.
    pub fn classify(&self, screen: &str) -> Detection {
        let text = strip_ansi(screen);
        let screen = region::Screen::new(&text);
        let frame = self.layout.frame(&screen);
        rules::apply(self, &screen, &frame)
    }

    /// A profile with only `rules` (and the defaults for everything else), for unit tests.
    #[cfg(test)]
    pub(crate) fn for_test(name: &str, rules: Vec<Rule>) -> Profile {
        Profile {
            name: name.into(),
            description: String::new(),
            recognize: Recognize::default(),
            turn_start: None,
            masks: Vec::new(),
            reset: Vec::new(),
            keys: Keys::default(),
            rules,
            layout: layout::Layout::default(),
            usage_screen: None,
            hooks: None,
            titles: Vec::new(),
            source: PathBuf::from("test"),
        }
    }

    /// The profile's rules, highest priority first (the implicit `pane-dead` included).
    pub fn rules(&self) -> Vec<RuleSummary> {
        self.rules.iter().map(RuleSummary::from).collect()
    }

    /// The proof-of-life text: default masks plus this profile's `masks`.
    pub fn normalize(&self, raw: &str) -> String {
        normalize::normalize(raw, &self.masks)
    }

    /// Keys that answer "yes" to a live prompt.
    pub fn approve_keys(&self) -> &[String] {
        &self.keys.approve
    }

    /// Keys that answer "no" to a live prompt.
    pub fn deny_keys(&self) -> &[String] {
        &self.keys.deny
    }

    /// Keys that interrupt the agent's current work (`["C-c"]` unless the profile says).
    pub fn interrupt_keys(&self) -> &[String] {
        &self.keys.interrupt
    }

    /// Text to type to resume the agent after an error's reset time.
    pub fn continue_message(&self) -> Option<&str> {
        self.keys.continue_message.as_deref()
    }

    /// How the CLI's session gets its id and how it is resumed, if the profile says.
    pub fn session_args(&self) -> Option<&SessionArgs> {
        self.keys.session.as_ref()
    }

    /// `[hooks]`: how the CLI runs shoal's hook command on its own events, if it can.
    pub fn hooks(&self) -> Option<&Hooks> {
        self.hooks.as_ref()
    }

    /// What a pane title the CLI set claims, by the profile's `[[title]]` rules.
    pub fn title_claim(&self, title: &str) -> Option<crate::fleet::Claim> {
        signals::title_claim(&self.titles, title)
    }

    /// Whether `cmd` names this profile's CLI anywhere (its command names or patterns).
    pub fn recognizes(&self, cmd: &str) -> bool {
        self.command_match(cmd).is_some()
    }

    /// Whether `cmd` runs this profile's CLI such that arguments appended to the line
    /// reach it (`claude`, `cd x && env A=1 claude --model m`; not `bash -c 'claude'`,
    /// `claude; echo done`, or a line that runs something else, like `sleep 600`).
    pub fn takes_appended_args(&self, cmd: &str) -> bool {
        // Where the program word starts: the last word naming the CLI, or the last
        // match of a pattern (which may take the separator before it, `[/\s]claude`).
        let mut last: Option<usize> = None;
        let mut keep = |at: usize| last = Some(last.map_or(at, |l| l.max(at)));
        for (at, word) in words(cmd) {
            let name = word.trim_matches(|c| c == '"' || c == '\'');
            let base = name.rsplit('/').next().unwrap_or(name);
            if self.recognize.commands.iter().any(|c| c == base) {
                keep(at);
            }
        }
        for re in &self.recognize.command_patterns {
            if let Some(m) = re.find_iter(cmd).last() {
                let skip = cmd[m.start()..].find(|c: char| !c.is_whitespace() && c != '/');
                keep(m.start() + skip.unwrap_or(0));
            }
        }
        let Some(at) = last else {
            return false;
        };
        program_word(cmd, at) && signals::appends_reach(cmd, at)
    }

    /// Position of the earliest match of this profile's command names or patterns in
    /// `cmd`, if any.
    fn command_match(&self, cmd: &str) -> Option<usize> {
        let mut best: Option<usize> = None;
        let mut keep = |at: usize| best = Some(best.map_or(at, |b| b.min(at)));
        for (at, word) in words(cmd) {
            let word = word.trim_matches(|c| c == '"' || c == '\'');
            let base = word.rsplit('/').next().unwrap_or(word);
            if self.recognize.commands.iter().any(|c| c == base) {
                keep(at);
            }
        }
        for re in &self.recognize.command_patterns {
            if let Some(m) = re.find(cmd) {
                keep(m.start());
            }
        }
        best
    }

    /// How many of this profile's banner patterns the screen matches, and the first one.
    fn banner_score(&self, screen: &str) -> (usize, Option<&str>) {
        let hits: Vec<&Regex> = self
            .recognize
            .banner
            .iter()
            .filter(|re| re.is_match(screen))
            .collect();
        (hits.len(), hits.first().map(|r| r.as_str()))
    }
}

/// Whether the word of `cmd` holding byte `at` is a program that takes the arguments
/// after it: not inside or after a shell's `-c` string in its command (`sh -lc cli`,
/// `bash -c '…' cli`, where it is `$0`), and, when quoted, quoted alone (`bash '/x/cli'`,
/// not `bash -c 'cli --x'`).
fn program_word(cmd: &str, at: usize) -> bool {
    let is_c_flag = |w: &str| {
        w.len() > 1
            && w.starts_with('-')
            && w.ends_with('c')
            && w[1..].bytes().all(|b| b.is_ascii_alphabetic())
    };
    let mut shell_string = false;
    let mut quote: Option<char> = None;
    for (start, word) in words(cmd) {
        if at >= start && at < start + word.len().max(1) {
            let quoted_alone = match word.chars().next() {
                Some(q @ ('"' | '\'')) => word.len() > 1 && word.ends_with(q),
                _ => true,
            };
            return !shell_string && quoted_alone;
        }
        for c in word.chars() {
            quote = match (quote, c) {
                (None, '"' | '\'') => Some(c),
                (Some(q), c) if c == q => None,
                (q, _) => q,
            };
        }
        // A new command after `;`, `&&`, `|` starts without a `-c` of its own.
        if quote.is_none() && word.ends_with([';', '&', '|']) {
            shell_string = false;
        } else if is_c_flag(word) {
            shell_string = true;
        }
    }
    true
}

/// Whitespace-separated words of `s` with their byte offsets.
fn words(s: &str) -> impl Iterator<Item = (usize, &str)> {
    let base = s.as_ptr() as usize;
    s.split_whitespace()
        .map(move |w| (w.as_ptr() as usize - base, w))
}
