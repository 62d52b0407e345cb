//! One attempt's usage: the transcript files found for it so far, each read
//! incrementally, and its screen meter when its kind reports usage on screen.

use super::ledger::{FileLedger, Format, Totals};
use super::locate::{files_of, ProcEnv};
use super::screen::{self, ScreenMeter};
use std::collections::{BTreeMap, HashSet};
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
    /// The source of a kind: its profile's screen regex when it names one, else the
    /// built-in source of the kinds shoal knows (`claude*`, `codex*`, `gemini*`, `aider*`).
    pub fn of(kind: &str, screen_regex: Option<&str>) -> Source {
        if let Some(re) = screen_regex {
            return Source::Screen(re.to_string());
        }
        let base = kind.split(['-', '_', '.']).next().unwrap_or(kind);
        match base {
            "claude" => Source::Files(Format::Claude),
            "codex" => Source::Files(Format::Codex),
            "gemini" => Source::Files(Format::Gemini),
            _ => screen::builtin(base).map_or(Source::None, |p| Source::Screen(p.into())),
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
}

impl AttemptMeter {
    /// A meter for an attempt of `source` that started at `started_ms`.
    pub fn new(source: Source, started_ms: i64) -> AttemptMeter {
        let (screen, problem) = match &source {
            Source::Screen(re) => match ScreenMeter::new(re) {
                Ok(m) => (Some(m), None),
                Err(e) => (
                    None,
                    Some(format!("usage screen regex {re:?} is invalid: {e}")),
                ),
            },
            _ => (None, None),
        };
        AttemptMeter {
            source,
            started_ms,
            files: BTreeMap::new(),
            screen,
            problem,
        }
    }

    /// Look for new files among `procs` (the attempt's live processes) unless `taken`
    /// (files another attempt reads) holds them, read what was appended to every file,
    /// and take in `capture`. Returns whether the totals may have changed.
    pub fn refresh(
        &mut self,
        procs: &[ProcEnv],
        taken: &HashSet<PathBuf>,
        capture: Option<&str>,
    ) -> bool {
        let mut changed = false;
        if let Source::Files(format) = self.source {
            for p in procs {
                for f in files_of(format, p, self.started_ms) {
                    if !taken.contains(&f) && !self.files.contains_key(&f) {
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
        if let Some(m) = &self.screen {
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
        self.screen.as_ref().and_then(ScreenMeter::cost)
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
