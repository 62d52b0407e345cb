//! The usage counted from one transcript file: its reader, the records kept by message
//! id (the last copy of an id wins), and the running total of cumulative formats.

use super::jsonl::{Tail, READ_LIMIT};
use super::{Entry, Line, Tokens};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Tokens per model name. Usage whose model no line named is kept under [`UNKNOWN_MODEL`].
pub type Totals = BTreeMap<String, Tokens>;

/// The model name of usage whose model the transcript did not say.
pub const UNKNOWN_MODEL: &str = "unknown";

/// Which transcript format a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Claude Code session JSONL.
    Claude,
    /// Codex rollout JSONL.
    Codex,
    /// Gemini CLI chat JSONL.
    Gemini,
}

impl Format {
    fn parse(self, line: &str) -> Result<Vec<Line>, String> {
        match self {
            Format::Claude => super::claude::parse_line(line).map(|l| vec![l]),
            Format::Codex => super::codex::parse_line(line).map(|l| vec![l]),
            Format::Gemini => {
                super::gemini::parse_all(line).map(|es| es.into_iter().map(Line::Usage).collect())
            }
        }
    }
}

/// Usage counted from one file, read incrementally.
#[derive(Debug)]
pub struct FileLedger {
    tail: Tail,
    format: Format,
    by_id: HashMap<String, (String, Tokens)>,
    loose: Totals,
    /// Cumulative formats: the last running total seen, and the model it counts for.
    running: Tokens,
    model: Option<String>,
    /// Lines that could not be read, and what was wrong with the last one.
    skipped: u64,
    last_note: Option<String>,
}

impl FileLedger {
    /// A ledger for `path`, nothing read yet.
    pub fn new(path: &Path, format: Format) -> FileLedger {
        FileLedger {
            tail: Tail::new(path),
            format,
            by_id: HashMap::new(),
            loose: Totals::new(),
            running: Tokens::default(),
            model: None,
            skipped: 0,
            last_note: None,
        }
    }

    /// The file it reads.
    pub fn path(&self) -> &Path {
        self.tail.path()
    }

    /// Read what was appended since the last call (bounded by [`READ_LIMIT`]). Returns
    /// whether the totals may have changed; an I/O error (the file vanished) changes
    /// nothing.
    pub fn refresh(&mut self) -> std::io::Result<bool> {
        let chunk = self.tail.read_new(READ_LIMIT)?;
        if chunk.restarted {
            self.by_id.clear();
            self.loose.clear();
            self.running = Tokens::default();
        }
        let mut changed = chunk.restarted;
        for line in &chunk.lines {
            match self.format.parse(line) {
                Ok(lines) => {
                    for l in lines {
                        changed |= self.take(l);
                    }
                }
                Err(why) => {
                    self.skipped += 1;
                    self.last_note = Some(format!(
                        "{}: skipped an unreadable line before byte {}: {why}",
                        self.tail.path().display(),
                        self.tail.offset()
                    ));
                }
            }
        }
        Ok(changed)
    }

    fn take(&mut self, line: Line) -> bool {
        match line {
            Line::Model(m) => {
                self.model = Some(m);
                false
            }
            Line::Other => false,
            Line::Usage(e) => self.count(e),
        }
    }

    fn count(&mut self, e: Entry) -> bool {
        let model = e
            .model
            .clone()
            .or_else(|| self.model.clone())
            .unwrap_or_else(|| UNKNOWN_MODEL.to_string());
        if e.cumulative {
            let delta = e.tokens.minus(&self.running);
            self.running = e.tokens;
            self.loose.entry(model).or_default().add(&delta);
            return !delta.is_zero();
        }
        if let Some(id) = e.id {
            self.by_id.insert(id, (model.clone(), e.tokens)) != Some((model, e.tokens))
        } else {
            self.loose.entry(model).or_default().add(&e.tokens);
            !e.tokens.is_zero()
        }
    }

    /// Tokens per model counted so far.
    pub fn totals(&self) -> Totals {
        let mut out = self.loose.clone();
        for (model, t) in self.by_id.values() {
            out.entry(model.clone()).or_default().add(t);
        }
        out.retain(|_, t| !t.is_zero());
        out
    }

    /// Lines skipped as unreadable, and a note about the last one.
    pub fn skipped(&self) -> (u64, Option<&str>) {
        (self.skipped, self.last_note.as_deref())
    }
}
