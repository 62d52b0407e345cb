//! The log browser's state: the query line and its filter chips, the time window, the
//! pages, the selected entry, the capture opened beside its rule, and follow mode.
//!
//! Nothing here touches the store: the browser asks for pages and captures
//! ([`App::take_log_request`]) and the host hands the answers back
//! ([`App::on_log_reply`]).

use super::{App, Effect};
use crate::fleet::FleetSnapshot;
use crate::logs::filter::AgentPick;
use crate::logs::when::short_span;
use crate::logs::{LogEntry, LogFilter, LogPage, LogQuery};
use chrono::FixedOffset;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};

/// Time windows on the number keys, as in k9s: `1` the last minute … `6` the last day;
/// `0` drops the window.
pub const WINDOWS: [(char, i64); 6] = [
    ('1', 60_000),
    ('2', 300_000),
    ('3', 900_000),
    ('4', 3_600_000),
    ('5', 21_600_000),
    ('6', 86_400_000),
];
/// Entries per page.
pub const PAGE_SIZE: usize = 100;
/// Longest query line accepted.
const MAX_LINE: usize = 512;

/// What the browser needs from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogRequest {
    /// Run this search; answer with [`LogReply::Page`].
    Page(LogQuery),
    /// Read this capture; answer with [`LogReply::Capture`].
    Capture(i64),
}

/// The store's answer to a [`LogRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogReply {
    /// A page of results, or why there is none.
    Page(Result<LogPage, String>),
    /// A capture's text by id (`None`: no longer kept), or why it could not be read.
    Capture(i64, Result<Option<String>, String>),
}

/// An entry opened with Enter: the capture behind it, beside the rule that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogDetail {
    /// The entry.
    pub entry: LogEntry,
    /// The capture's text once loaded.
    pub capture: Option<String>,
    /// Why the capture cannot be shown.
    pub error: Option<String>,
}

/// The log browser, open over the fleet view.
#[derive(Debug, Clone)]
pub struct LogsView {
    line: String,
    editing: bool,
    filter: LogFilter,
    error: Option<String>,
    message: Option<String>,
    window: Option<usize>,
    follow: bool,
    /// Newest at the bottom, as `tail -f` shows a log: set by follow, kept while it is
    /// paused, left by `f`.
    tail: bool,
    /// Long messages go on over more lines instead of being cut.
    wrap: bool,
    page: LogPage,
    loaded: bool,
    /// The `before` cursor of every page from the newest to the current one.
    cursors: Vec<Option<i64>>,
    selected: usize,
    detail: Option<LogDetail>,
    /// Asked for and not yet taken by the host: a newer search replaces an older one,
    /// and never a capture (or the other way round).
    pending_page: Option<LogQuery>,
    pending_capture: Option<i64>,
    /// A search was asked for and its page has not come back yet.
    searching: bool,
}

impl LogsView {
    fn new(agent: Option<String>) -> LogsView {
        let filter = LogFilter {
            agents: agent
                .map(|name| {
                    vec![AgentPick {
                        name,
                        subtree: false,
                    }]
                })
                .unwrap_or_default(),
            ..LogFilter::default()
        };
        LogsView {
            line: filter.to_line(),
            editing: false,
            filter,
            error: None,
            message: None,
            window: None,
            follow: false,
            tail: false,
            wrap: false,
            page: LogPage::default(),
            loaded: false,
            cursors: vec![None],
            selected: 0,
            detail: None,
            pending_page: None,
            pending_capture: None,
            searching: false,
        }
    }

    /// The query line as typed.
    pub fn line(&self) -> &str {
        &self.line
    }

    /// Whether the query line has the keyboard.
    pub fn editing(&self) -> bool {
        self.editing
    }

    /// Why the last query could not run, if it could not.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// A passing message (the query was searched as plain text, no older page, …).
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref().or(self.page.notice.as_deref())
    }

    /// The filters in force, one chip each.
    pub fn chips(&self) -> Vec<String> {
        let mut chips = Vec::new();
        for a in &self.filter.agents {
            chips.push(if a.subtree {
                format!("tree:{}", a.name)
            } else {
                format!("agent:{}", a.name)
            });
        }
        if let Some(l) = self.filter.level {
            chips.push(format!("level≥{l}"));
        }
        for s in &self.filter.sources {
            chips.push(format!("source:{s}"));
        }
        if let Some(s) = &self.filter.since {
            chips.push(format!("since:{s}"));
        }
        if let Some(u) = &self.filter.until {
            chips.push(format!("until:{u}"));
        }
        if let Some(w) = self.window {
            chips.push(format!("last {}", short_span(WINDOWS[w].1)));
        }
        if let Some(t) = &self.filter.text {
            chips.push(format!("\"{t}\""));
        }
        chips
    }

    /// Whether new entries of the followed agent are shown as they arrive.
    pub fn following(&self) -> bool {
        self.follow
    }

    /// Whether the newest entry is at the bottom (follow mode, following or paused).
    pub fn tail(&self) -> bool {
        self.tail
    }

    /// Whether long messages wrap onto more lines.
    pub fn wrap(&self) -> bool {
        self.wrap
    }

    /// The current page (empty until the first answer).
    pub fn page(&self) -> &LogPage {
        &self.page
    }

    /// Whether any answer has arrived yet.
    pub fn loaded(&self) -> bool {
        self.loaded
    }

    /// Whether a search is running: the page shown (if any) is the previous answer.
    pub fn searching(&self) -> bool {
        self.searching
    }

    /// Page number, from 1 (the newest).
    pub fn page_number(&self) -> usize {
        self.cursors.len()
    }

    /// Position of the first entry of this page among all matches (from 0).
    pub fn page_start(&self) -> usize {
        (self.cursors.len() - 1) * PAGE_SIZE
    }

    /// Index of the selected entry on the page.
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// The selected entry.
    pub fn selected_entry(&self) -> Option<&LogEntry> {
        self.page.entries.get(self.selected)
    }

    /// The entry opened beside its capture, if any.
    pub fn detail(&self) -> Option<&LogDetail> {
        self.detail.as_ref()
    }

    fn query(
        &self,
        snapshot: &FleetSnapshot,
        now_ms: i64,
        tz: FixedOffset,
    ) -> Result<LogQuery, String> {
        let fleet: Vec<(String, Option<String>)> = snapshot
            .agents
            .iter()
            .map(|a| (a.name.clone(), a.parent.clone()))
            .collect();
        let mut q = self
            .filter
            .resolve(&fleet, now_ms, tz)
            .map_err(|e| e.to_string())?;
        if let Some(w) = self.window {
            let from = now_ms - WINDOWS[w].1;
            q.since_ms = Some(q.since_ms.map_or(from, |s| s.max(from)));
        }
        q.limit = PAGE_SIZE;
        q.before_id = self.cursors.last().copied().flatten();
        Ok(q)
    }
}

impl App {
    /// Open the log browser, on one agent's entries or (with `None`) the whole fleet's.
    /// What `l` does from the fleet; command mode's `:logs` opens it too.
    pub fn open_logs(&mut self, agent: Option<String>, now_ms: i64) {
        self.logs = Some(LogsView::new(agent));
        self.refresh_logs(now_ms);
    }

    /// Open the log browser on a query line (the `:logs` command): a bare level name
    /// means that level and above; anything else is read as the browser's query line.
    pub fn open_logs_line(&mut self, line: &str, now_ms: i64) {
        let line = line.trim();
        let line = match line {
            "debug" | "info" | "warn" | "error" => format!("level:{line}"),
            _ => line.to_string(),
        };
        let mut view = LogsView::new(None);
        match LogFilter::parse_line(&line) {
            Ok(f) => {
                view.line = f.to_line();
                view.filter = f;
            }
            Err(e) => {
                view.line = line;
                view.editing = true;
                view.error = Some(e.to_string());
            }
        }
        self.logs = Some(view);
        self.refresh_logs(now_ms);
    }

    /// Close the log browser, back to the fleet.
    pub fn close_logs(&mut self) {
        self.logs = None;
    }

    /// The log browser, when it is open.
    pub fn logs_view(&self) -> Option<&LogsView> {
        self.logs.as_ref()
    }

    /// The next thing the log browser needs from the store, for the host to fetch.
    pub fn take_log_request(&mut self) -> Option<LogRequest> {
        let v = self.logs.as_mut()?;
        match v.pending_page.take() {
            Some(q) => Some(LogRequest::Page(q)),
            None => v.pending_capture.take().map(LogRequest::Capture),
        }
    }

    /// The store's answer to the last request.
    pub fn on_log_reply(&mut self, reply: LogReply) {
        let Some(v) = self.logs.as_mut() else {
            return;
        };
        match reply {
            LogReply::Page(Ok(page)) => {
                v.searching = false;
                v.page = page;
                v.loaded = true;
                v.error = None;
                v.selected = v.selected.min(v.page.entries.len().saturating_sub(1));
            }
            LogReply::Page(Err(e)) => {
                v.searching = false;
                v.error = Some(e);
            }
            LogReply::Capture(id, result) => {
                let Some(d) = v.detail.as_mut().filter(|d| d.entry.capture_id == Some(id)) else {
                    return;
                };
                match result {
                    Ok(Some(text)) => d.capture = Some(text),
                    Ok(None) => {
                        d.error = Some("this capture is no longer kept (pruned)".to_string());
                    }
                    Err(e) => d.error = Some(e),
                }
            }
        }
    }

    /// The time zone relative times and dates are read in (the local one by default).
    pub fn set_utc_offset(&mut self, tz: FixedOffset) {
        self.tz = tz;
    }

    /// The time zone times are read and shown in.
    pub fn utc_offset(&self) -> FixedOffset {
        self.tz
    }

    /// A following browser asks for the newest entries again after every snapshot.
    pub(super) fn logs_on_snapshot(&mut self, s: &FleetSnapshot) {
        if self
            .logs
            .as_ref()
            .is_some_and(|v| v.follow && v.detail.is_none())
        {
            self.refresh_logs(s.taken_at_ms);
        }
    }

    pub(super) fn refresh_logs(&mut self, now_ms: i64) {
        let (snapshot, tz) = (&self.snapshot, self.tz);
        let Some(v) = self.logs.as_mut() else {
            return;
        };
        match v.query(snapshot, now_ms, tz) {
            Ok(q) => {
                v.pending_page = Some(q);
                v.searching = true;
            }
            Err(e) => v.error = Some(e),
        }
    }

    /// Keys while the log browser is open.
    pub(super) fn logs_key(&mut self, key: KeyEvent, now_ms: i64) -> Vec<Effect> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            return vec![Effect::Quit];
        }
        let Some(v) = self.logs.as_mut() else {
            return Vec::new();
        };
        v.message = None;
        if v.editing {
            self.logs_edit_key(key, now_ms);
            return vec![Effect::Redraw];
        }
        if v.detail.is_some() {
            match key.code {
                KeyCode::Char('g') => self.logs_goto_agent(),
                KeyCode::Char('?') => self.mode = super::Mode::Help,
                _ => v.detail = None,
            }
            return vec![Effect::Redraw];
        }
        let count = v.page.entries.len();
        if v.tail && self.tail_key(key, now_ms) {
            return vec![Effect::Redraw];
        }
        let Some(v) = self.logs.as_mut() else {
            return Vec::new();
        };
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') => self.logs = None,
            KeyCode::Char('/') => v.editing = true,
            KeyCode::Char('j') | KeyCode::Down => {
                v.selected = (v.selected + 1).min(count.saturating_sub(1));
            }
            KeyCode::Char('k') | KeyCode::Up => v.selected = v.selected.saturating_sub(1),
            KeyCode::Home => v.selected = 0,
            KeyCode::End | KeyCode::Char('G') => v.selected = count.saturating_sub(1),
            KeyCode::Char('w') => {
                v.wrap = !v.wrap;
                v.message = Some(
                    if v.wrap {
                        "long lines wrap; w again: one line per entry"
                    } else {
                        "one line per entry, long ones cut; w again: wrap them"
                    }
                    .to_string(),
                );
            }
            KeyCode::PageDown | KeyCode::Char('n') => match v.page.next_before {
                Some(b) => {
                    v.follow = false;
                    v.tail = false;
                    v.cursors.push(Some(b));
                    v.selected = 0;
                    self.refresh_logs(now_ms);
                }
                None => v.message = Some("this is the oldest page".to_string()),
            },
            KeyCode::PageUp | KeyCode::Char('p') => {
                if v.cursors.len() > 1 {
                    v.follow = false;
                    v.tail = false;
                    v.cursors.pop();
                    v.selected = 0;
                    self.refresh_logs(now_ms);
                } else {
                    v.message = Some("this is the newest page".to_string());
                }
            }
            KeyCode::Char(c @ '0'..='6') => {
                v.window = WINDOWS.iter().position(|(k, _)| *k == c);
                v.cursors = vec![None];
                v.selected = 0;
                self.refresh_logs(now_ms);
            }
            KeyCode::Char('f') => self.logs_toggle_follow(now_ms),
            KeyCode::Char('r') => self.refresh_logs(now_ms),
            KeyCode::Enter => self.logs_open_detail(),
            KeyCode::Char('g') => self.logs_goto_agent(),
            KeyCode::Char('?') => self.mode = super::Mode::Help,
            _ => {
                v.message = Some(format!(
                    "{} does nothing in the log browser; / searches, esc goes back to the fleet",
                    super::KeyBinding::from_event(&key)
                ));
            }
        }
        vec![Effect::Redraw]
    }

    /// Pasted text goes into the query line while it is being edited.
    pub(super) fn logs_paste(&mut self, text: &str) -> bool {
        match self.logs.as_mut() {
            Some(v) if v.editing => {
                let room = MAX_LINE.saturating_sub(v.line.chars().count());
                v.line.extend(
                    text.chars()
                        .map(|c| if c.is_control() { ' ' } else { c })
                        .take(room),
                );
                true
            }
            _ => false,
        }
    }

    /// The mouse wheel moves the selection; nothing else is clickable in the browser.
    pub(super) fn logs_mouse(&mut self, ev: MouseEvent) -> Vec<Effect> {
        let Some(v) = self.logs.as_mut() else {
            return Vec::new();
        };
        let count = v.page.entries.len();
        if v.tail {
            // Newest at the bottom: the wheel goes up toward older entries.
            match ev.kind {
                MouseEventKind::ScrollUp => self.tail_move(3),
                MouseEventKind::ScrollDown => self.tail_move(-3),
                _ => return Vec::new(),
            }
            return vec![Effect::Redraw];
        }
        match ev.kind {
            MouseEventKind::ScrollDown => {
                v.selected = (v.selected + 3).min(count.saturating_sub(1));
            }
            MouseEventKind::ScrollUp => v.selected = v.selected.saturating_sub(3),
            _ => return Vec::new(),
        }
        vec![Effect::Redraw]
    }

    fn logs_edit_key(&mut self, key: KeyEvent, now_ms: i64) {
        let Some(v) = self.logs.as_mut() else {
            return;
        };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Enter => match LogFilter::parse_line(&v.line) {
                Ok(f) => {
                    v.filter = f;
                    v.editing = false;
                    v.error = None;
                    v.cursors = vec![None];
                    v.selected = 0;
                    if v.tail && v.filter.agents.len() != 1 {
                        v.follow = false;
                        v.tail = false;
                    }
                    self.refresh_logs(now_ms);
                }
                Err(e) => v.error = Some(e.to_string()),
            },
            KeyCode::Esc => {
                v.line = v.filter.to_line();
                v.editing = false;
                v.error = None;
            }
            KeyCode::Char('u') if ctrl => v.line.clear(),
            KeyCode::Char('w') if ctrl => {
                let keep = v.line.trim_end().rfind(' ').map_or(0, |i| i + 1);
                v.line.truncate(keep);
            }
            KeyCode::Backspace => {
                v.line.pop();
            }
            KeyCode::Char(c) if !ctrl && v.line.chars().count() < MAX_LINE => v.line.push(c),
            _ => {}
        }
    }

    /// Follow the agent of the filter, or of the selected entry.
    fn logs_toggle_follow(&mut self, now_ms: i64) {
        let Some(v) = self.logs.as_mut() else {
            return;
        };
        if v.follow {
            v.follow = false;
            v.tail = false;
            v.selected = 0;
            v.message = Some("stopped following; newest on top again".to_string());
            return;
        }
        if v.tail {
            return self.resume_follow(now_ms);
        }
        let agent = match v.filter.agents.as_slice() {
            [one] => Some(one.name.clone()),
            [] => v.selected_entry().and_then(|e| e.agent.clone()),
            _ => None,
        };
        let Some(agent) = agent else {
            v.message = Some(
                "follow shows one agent live: select one of its entries, or search agent:NAME"
                    .to_string(),
            );
            return;
        };
        if v.filter.agents.is_empty() {
            v.filter.agents.push(AgentPick {
                name: agent.clone(),
                subtree: false,
            });
            v.line = v.filter.to_line();
        }
        v.follow = true;
        v.tail = true;
        v.cursors = vec![None];
        v.selected = 0;
        v.message = Some(format!(
            "following {agent}: new lines at the bottom; scrolling up pauses, end resumes"
        ));
        self.refresh_logs(now_ms);
    }

    fn logs_open_detail(&mut self) {
        let Some(v) = self.logs.as_mut() else {
            return;
        };
        let Some(entry) = v.selected_entry().cloned() else {
            return;
        };
        match entry.capture_id {
            Some(id) => {
                v.pending_capture = Some(id);
                v.detail = Some(LogDetail {
                    entry,
                    capture: None,
                    error: None,
                });
            }
            None => {
                v.message = Some(format!(
                    "no screen was kept for this {} entry; events of activity changes and ends keep one",
                    entry.source
                ));
            }
        }
    }

    /// Close the browser and select the entry's agent in the tree, unfolding and
    /// clearing the tree filter as needed.
    fn logs_goto_agent(&mut self) {
        let Some(v) = self.logs.as_mut() else {
            return;
        };
        let entry = v
            .detail
            .as_ref()
            .map(|d| &d.entry)
            .or_else(|| v.selected_entry());
        let Some(name) = entry.and_then(|e| e.agent.clone()) else {
            v.message = Some("this entry is about the fleet, not one agent".to_string());
            return;
        };
        let Some(i) = self.snapshot.agents.iter().position(|a| a.name == name) else {
            v.message = Some(format!("{name} is no longer in the fleet"));
            return;
        };
        self.logs = None;
        let mut up = self.forest.parent(i);
        while let Some(p) = up {
            self.collapsed.remove(&self.snapshot.agents[p].name);
            up = self.forest.parent(p);
        }
        if !self.filter.matches(&self.snapshot.agents[i]) {
            self.filter = super::Filter::default();
            self.filter_text.clear();
            self.filter_error = None;
        }
        self.refresh_rows(None);
        self.select(Some(name));
    }
}

#[path = "logs_keys.rs"]
mod keys;
#[path = "logs_tail.rs"]
mod tail;

pub use keys::{LogKey, DETAIL_KEYS, EDIT_KEYS, LOG_KEYS};

#[cfg(test)]
#[path = "logs_tests.rs"]
mod tests;
