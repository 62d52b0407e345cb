//! Searching the selected pane (its whole scrollback) and copying from the pane view.
//!
//! `f` (or `/` while zoomed: the tree it would filter is hidden) opens a search line;
//! Enter finds every match, shows the one nearest the bottom, and from then on `n`/`N`
//! go to the next/previous match (so `n` does not nudge while a search is on) until
//! `esc` ends the search. `y` copies what the view shows, or every matching line.

use super::{App, Effect, Mode};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Longest search accepted.
const MAX_QUERY: usize = 256;

/// A search in the selected pane's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaneSearch {
    /// What was searched for.
    pub query: String,
    /// Every match, top to bottom: (line, character offset of its start).
    pub hits: Vec<(usize, usize)>,
    /// The match on show, an index into `hits`.
    pub current: usize,
}

impl PaneSearch {
    /// Every match of the query in `line`, left to right, without overlaps: (character
    /// offset, length in characters). A query without capitals ignores case.
    pub fn find_in(&self, line: &str) -> Vec<(usize, usize)> {
        find(&self.query, line)
    }

    /// The match on show: its line and which of that line's matches it is.
    pub fn current_hit(&self) -> Option<(usize, usize)> {
        let &(line, _) = self.hits.get(self.current)?;
        let nth = self.hits[..self.current]
            .iter()
            .rev()
            .take_while(|(l, _)| *l == line)
            .count();
        Some((line, nth))
    }
}

/// Matches of `query` in `line` (see [`PaneSearch::find_in`]).
fn find(query: &str, line: &str) -> Vec<(usize, usize)> {
    let q: Vec<char> = query.chars().collect();
    if q.is_empty() {
        return Vec::new();
    }
    let fold = !query.chars().any(char::is_uppercase);
    let same = |a: char, b: char| a == b || (fold && a.to_lowercase().eq(b.to_lowercase()));
    let l: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i + q.len() <= l.len() {
        if l[i..i + q.len()].iter().zip(&q).all(|(a, b)| same(*a, *b)) {
            out.push((i, q.len()));
            i += q.len();
        } else {
            i += 1;
        }
    }
    out
}

impl App {
    /// The search in the pane view, once one was run.
    pub fn pane_search(&self) -> Option<&PaneSearch> {
        self.pane_search.as_ref()
    }

    /// Open the search line for the selected pane, and start reading its scrollback.
    pub(super) fn start_pane_search(&mut self) {
        let Some(name) = self.selected_agent().map(|a| a.name.clone()) else {
            self.set_error("select an agent to search its pane".to_string());
            return;
        };
        let text = self
            .pane_search
            .as_ref()
            .map(|s| s.query.clone())
            .unwrap_or_default();
        self.want_scrollback();
        self.mode = Mode::PaneSearch { agent: name, text };
    }

    /// Keys while the search line is typed.
    pub(super) fn pane_search_key(
        &mut self,
        key: KeyEvent,
        agent: String,
        mut text: String,
    ) -> Vec<Effect> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Enter => {
                self.run_pane_search(text);
                return vec![Effect::Redraw];
            }
            KeyCode::Esc => {
                if self.scroll == 0 && self.pane_search.is_none() {
                    self.follow_live();
                }
                return vec![Effect::Redraw];
            }
            KeyCode::Char('c') if ctrl => return vec![Effect::Redraw],
            KeyCode::Char('u') if ctrl => text.clear(),
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char(c)
                if !ctrl
                    && !key.modifiers.contains(KeyModifiers::ALT)
                    && text.chars().count() < MAX_QUERY =>
            {
                text.push(c);
            }
            _ => {}
        }
        self.mode = Mode::PaneSearch { agent, text };
        vec![Effect::Redraw]
    }

    /// Keys a search on show takes before the keymap: `n`, `N` and `esc`.
    pub(super) fn search_nav_key(&mut self, key: &KeyEvent) -> Option<Vec<Effect>> {
        self.pane_search.as_ref()?;
        if key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return None;
        }
        match key.code {
            KeyCode::Char('n') => self.next_hit(true),
            KeyCode::Char('N') => self.next_hit(false),
            KeyCode::Esc => {
                self.pane_search = None;
                if self.scroll == 0 {
                    self.follow_live();
                }
                self.set_info("search ended".to_string());
            }
            _ => return None,
        }
        Some(vec![Effect::Redraw])
    }

    pub(super) fn run_pane_search(&mut self, query: String) {
        if query.is_empty() {
            self.pane_search = None;
            if self.scroll == 0 {
                self.follow_live();
            }
            return;
        }
        self.pane_search = Some(PaneSearch {
            query,
            hits: Vec::new(),
            current: 0,
        });
        self.search_again();
    }

    /// Find the search's matches in the text on show (again, when the scrollback
    /// arrives) and show the one nearest the bottom.
    pub(super) fn search_again(&mut self) {
        let Some(query) = self.pane_search.as_ref().map(|s| s.query.clone()) else {
            return;
        };
        let lines = self.pane_plain();
        let hits: Vec<(usize, usize)> = lines
            .iter()
            .enumerate()
            .flat_map(|(i, l)| find(&query, l).into_iter().map(move |(c, _)| (i, c)))
            .collect();
        if hits.is_empty() {
            if self.scrollback_loading() {
                // The live screen lacks it; the scrollback on its way may not.
                return;
            }
            let name = self.selected.clone().unwrap_or_default();
            self.set_error(format!(
                "no match for {query:?} in {name}'s pane ({} lines)",
                lines.len()
            ));
            self.pane_search = None;
            if self.scroll == 0 {
                self.follow_live();
            }
            return;
        }
        let current = hits.len() - 1;
        self.pane_search = Some(PaneSearch {
            query,
            hits,
            current,
        });
        self.show_hit();
    }

    fn next_hit(&mut self, forward: bool) {
        let Some(s) = self.pane_search.as_mut() else {
            return;
        };
        let n = s.hits.len();
        if n == 0 {
            return;
        }
        let wrapped = if forward {
            s.current = (s.current + 1) % n;
            s.current == 0
        } else {
            s.current = (s.current + n - 1) % n;
            s.current == n - 1
        };
        if wrapped && n > 1 {
            let end = if forward { "top" } else { "bottom" };
            self.set_info(format!("search wrapped to the {end}"));
        }
        self.show_hit();
    }

    /// Scroll so the current match is in view, in the middle of the panel if it was not.
    fn show_hit(&mut self) {
        let Some((line, _)) = self.pane_search.as_ref().and_then(PaneSearch::current_hit) else {
            return;
        };
        let total = self.pane_lines();
        let (start, end) = self.pane_window(total);
        if (start..end).contains(&line) {
            return;
        }
        let bottom = (line + 1 + self.pane_rows().max(1) / 2).min(total);
        self.scroll = (total - bottom).min(self.max_scroll());
    }

    /// What `y` copies: every matching line while a search is on, else the lines the
    /// pane view shows; the host puts it on the clipboard and in a file.
    pub(super) fn copy_pane(&mut self) -> Option<Effect> {
        let Some(name) = self.selected_agent().map(|a| a.name.clone()) else {
            self.set_error("select an agent to copy from its pane".to_string());
            return None;
        };
        let lines = self.pane_plain();
        let (picked, what): (Vec<&str>, String) = match &self.pane_search {
            Some(s) if !s.hits.is_empty() => {
                let mut rows: Vec<usize> = s.hits.iter().map(|(l, _)| *l).collect();
                rows.dedup();
                let picked: Vec<&str> = rows
                    .iter()
                    .filter_map(|&i| lines.get(i).map(String::as_str))
                    .collect();
                let n = picked.len();
                (
                    picked,
                    format!(
                        "{n} line{} of {name}'s pane matching {:?}",
                        plural(n),
                        s.query
                    ),
                )
            }
            _ => {
                let (start, end) = self.pane_window(lines.len());
                let picked: Vec<&str> = lines[start..end].iter().map(String::as_str).collect();
                let what = if lines.is_empty() {
                    format!("{name}'s pane (empty)")
                } else {
                    format!(
                        "lines {}–{end} of {} of {name}'s pane",
                        start + 1,
                        lines.len()
                    )
                };
                (picked, what)
            }
        };
        let text: Vec<&str> = picked.iter().map(|l| l.trim_end()).collect();
        Some(Effect::Copy {
            text: text.join("\n") + "\n",
            what,
        })
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::find;

    #[test]
    fn matches_ignore_case_unless_the_query_has_capitals() {
        assert_eq!(find("err", "Error: err ERR"), [(0, 3), (7, 3), (11, 3)]);
        assert_eq!(find("Err", "Error: err ERR"), [(0, 3)]);
        assert_eq!(find("aa", "aaaa"), [(0, 2), (2, 2)], "no overlaps");
        assert_eq!(find("é", "café É"), [(3, 1), (5, 1)]);
        assert!(find("", "x").is_empty());
    }
}
