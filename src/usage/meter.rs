//! One attempt's usage: the transcript files found for it so far, each read
//! incrementally, and its screen meter when its kind reports usage on screen.

use super::ledger::{FileLedger, Format, Totals};
use super::locate::{files_of, ProcEnv};
use super::screen::{self, ScreenMeter};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Where an agent kind's usage comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Transcript files of this format.
    Files(Format),
    /// Lines on the screen matching this regex.
    Screen(String),
    /// Nowhere shoal knows.
    None,
}

impl Source {
    /// The source of a kind: the transcripts of the kinds shoal reads (`claude*`,
    /// `codex*`, `gemini*`), else its profile's screen regex, else a built-in one
    /// (`aider*`). A files kind's profile regex is the fallback while no file is found.
    pub fn of(kind: &str, screen_regex: Option<&str>) -> Source {
        let base = kind.split(['-', '_', '.']).next().unwrap_or(kind);
        match base {
            "claude" => Source::Files(Format::Claude),
            "codex" => Source::Files(Format::Codex),
            "gemini" => Source::Files(Format::Gemini),
            _ => match screen_regex.or_else(|| screen::builtin(base)) {
                Some(re) => Source::Screen(re.to_string()),
                None => Source::None,
            },
        }
    }
}

/// The usage of one attempt so far.
#[derive(Debug)]
pub struct AttemptMeter {
    source: Source,
    started_ms: i64,
    files: BTreeMap<PathBuf, FileLedger>,
    screen: Option<ScreenMeter>,
    /// Why the screen pattern could not be used, once.
    pub problem: Option<String>,
    rounds: u32,
}

/// Once an attempt has a file, new ones are looked for every this many rounds.
const DISCOVER_EVERY: u32 = 6;

impl AttemptMeter {
    /// A meter for an attempt of `source` that started at `started_ms`; `fallback`, a
    /// screen regex counted while a files source has found no file.
    pub fn new(source: Source, started_ms: i64, fallback: Option<&str>) -> AttemptMeter {
        let re = match &source {
            Source::Screen(re) => Some(re.as_str()),
            Source::Files(_) => fallback,
            Source::None => None,
        };
        let (screen, problem) = match re.map(|re| (re, ScreenMeter::new(re))) {
            Some((_, Ok(m))) => (Some(m), None),
            Some((re, Err(e))) => (
                None,
                Some(format!("usage screen regex {re:?} is invalid: {e}")),
            ),
            None => (None, None),
        };
        AttemptMeter {
            source,
            started_ms,
            files: BTreeMap::new(),
            screen,
            problem,
            rounds: 0,
        }
    }

    /// Look for new files among `procs` (the attempt's live processes) unless `taken`
    /// (files another attempt reads) holds them, read what was appended to every file,
    /// and take in `capture`. Returns whether the totals may have changed.
    pub fn refresh(
        &mut self,
        procs: &[ProcEnv],
        taken: &dyn Fn(&std::path::Path) -> bool,
        capture: Option<&str>,
    ) -> bool {
        let mut changed = false;
        // Looking for files costs a few syscalls per process: every round until one is
        // found, then every DISCOVER_EVERY rounds (a new session after `/clear`).
        let discover = self.files.is_empty() || self.rounds % DISCOVER_EVERY == 0;
        self.rounds = self.rounds.wrapping_add(1);
        if let Source::Files(format) = self.source {
            for p in procs.iter().filter(|_| discover) {
                for f in files_of(format, p, self.started_ms) {
                    if !self.files.contains_key(&f) && !taken(&f) {
                        self.files.insert(f.clone(), FileLedger::new(&f, format));
                    }
                }
            }
            for ledger in self.files.values_mut() {
                // A file that vanished keeps what was counted from it.
                changed |= ledger.refresh().unwrap_or(false);
            }
        }
        if let (Some(m), Some(screen)) = (self.screen.as_mut(), capture) {
            changed |= !m.observe(screen).is_empty();
        }
        changed
    }

    /// Adopt a file found outside process discovery (tests, a recorded transcript).
    pub fn add_file(&mut self, path: PathBuf, format: Format) {
        self.files
            .entry(path.clone())
            .or_insert_with(|| FileLedger::new(&path, format));
    }

    /// The files it reads.
    pub fn files(&self) -> impl Iterator<Item = &PathBuf> {
        self.files.keys()
    }

    /// Tokens per model so far; screen usage counts under the model `screen`.
    pub fn totals(&self) -> Totals {
        let mut out = Totals::new();
        for l in self.files.values() {
            for (model, t) in l.totals() {
                out.entry(model).or_default().add(&t);
            }
        }
        if let Some(m) = self.screen.as_ref().filter(|_| self.files.is_empty()) {
            if !m.tokens.is_zero() {
                out.entry(SCREEN_MODEL.to_string())
                    .or_default()
                    .add(&m.tokens);
            }
        }
        out
    }

    /// The cost the screen printed, when it prints one (it wins over prices).
    pub fn screen_cost(&self) -> Option<f64> {
        self.screen
            .as_ref()
            .filter(|_| self.files.is_empty())
            .and_then(ScreenMeter::cost)
    }

    /// Unreadable lines skipped across its files, and the last note about one.
    pub fn skipped(&self) -> (u64, Option<String>) {
        let mut n = 0;
        let mut note = None;
        for l in self.files.values() {
            let (k, why) = l.skipped();
            n += k;
            if let Some(w) = why {
                note = Some(w.to_string());
            }
        }
        (n, note)
    }
}

/// The model name under which usage read off the screen is counted.
pub const SCREEN_MODEL: &str = "screen";
