//! The log browser's follow mode, as `tail -f` shows a log: the newest entry at the
//! bottom, the view scrolling along as lines arrive. Scrolling up pauses it (the lines
//! hold still to be read); `end` resumes it; `f` leaves it.

use super::LogsView;
use crate::app::App;
use crossterm::event::{KeyCode, KeyEvent};

impl App {
    /// Keys that move differently with the newest entry at the bottom; true if taken.
    pub(super) fn tail_key(&mut self, key: KeyEvent, now_ms: i64) -> bool {
        let page = self.logs_rows().saturating_sub(1).max(1) as isize;
        let count = self.logs.as_ref().map_or(0, |v| v.page.entries.len()) as isize;
        match key.code {
            KeyCode::Char('k') | KeyCode::Up => self.tail_move(1),
            KeyCode::Char('j') | KeyCode::Down => self.tail_move(-1),
            KeyCode::PageUp => self.tail_move(page),
            KeyCode::PageDown => self.tail_move(-page),
            KeyCode::Home => self.tail_move(count),
            KeyCode::End | KeyCode::Char('G') => self.resume_follow(now_ms),
            _ => return false,
        }
        true
    }

    /// Move the selection `older` entries up (toward older ones; negative: down). Going
    /// up pauses following, so what the operator reads stays put.
    pub(super) fn tail_move(&mut self, older: isize) {
        let Some(v) = self.logs.as_mut() else {
            return;
        };
        let last = v.page.entries.len().saturating_sub(1);
        v.selected = v.selected.saturating_add_signed(older).min(last);
        if older > 0 && v.follow {
            v.follow = false;
            v.message = Some("paused: new lines wait; end resumes following".to_string());
        }
    }

    /// Follow again from the newest entry.
    pub(super) fn resume_follow(&mut self, now_ms: i64) {
        let Some(v) = self.logs.as_mut() else {
            return;
        };
        let resumed = !v.follow;
        v.follow = true;
        v.tail = true;
        v.cursors = vec![None];
        v.selected = 0;
        if resumed {
            v.message = Some("following again: new lines at the bottom".to_string());
        }
        self.refresh_logs(now_ms);
    }

    /// Result rows the browser has on screen: the body less its borders, query and chips.
    fn logs_rows(&self) -> usize {
        usize::from(self.regions.tree.height.saturating_sub(4))
    }
}

impl LogsView {
    /// The page's entries top to bottom as the browser draws them: newest first, or
    /// newest last in follow mode.
    pub fn shown(&self) -> Vec<&crate::logs::LogEntry> {
        let mut out: Vec<_> = self.page.entries.iter().collect();
        if self.tail {
            out.reverse();
        }
        out
    }

    /// Position of the selected entry in [`LogsView::shown`].
    pub fn shown_selected(&self) -> usize {
        if self.tail {
            self.page.entries.len().saturating_sub(1 + self.selected)
        } else {
            self.selected
        }
    }
}
