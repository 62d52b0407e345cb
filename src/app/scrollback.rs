//! The pane view beyond the live screen. Scrolling back (or searching) asks the host for
//! the selected pane's whole scrollback (`capture-pane -S -`) once; until the operator
//! comes back to the bottom, the view shows that copy and holds still, as tmux's copy
//! mode does. Back at the bottom, it follows the live screen again.

use super::{capture, App};
use std::sync::Arc;

/// A read of one pane's whole scrollback, for the host to carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaneRequest {
    /// The agent whose pane it is.
    pub agent: String,
    /// tmux socket name.
    pub server: String,
    /// tmux pane id.
    pub pane: String,
}

/// One agent's scrollback: asked for, or read.
#[derive(Debug, Clone)]
pub(super) struct Scrollback {
    pub(super) agent: String,
    /// `None` while the read is under way.
    pub(super) text: Option<Arc<str>>,
    /// The read text as the view's plain lines, for search and copy.
    pub(super) plain: Vec<String>,
}

/// What the pane view draws: the live capture or a held scrollback.
#[derive(Debug, Clone, Copy)]
pub struct PaneText<'a> {
    /// The text, with colours.
    pub text: &'a Arc<str>,
    /// A scrollback read when the operator scrolled back: it does not follow the pane.
    pub frozen: bool,
}

impl App {
    /// The text the pane view shows for the selected agent.
    pub fn pane_text(&self) -> Option<PaneText<'_>> {
        let a = self.selected_agent()?;
        match self.scrollback.as_ref() {
            Some(Scrollback {
                agent,
                text: Some(text),
                ..
            }) if *agent == a.name => Some(PaneText { text, frozen: true }),
            _ => Some(PaneText {
                text: &a.capture,
                frozen: false,
            }),
        }
    }

    /// Whether the selected pane's scrollback is being read.
    pub fn scrollback_loading(&self) -> bool {
        self.scrollback.as_ref().is_some_and(|s| s.text.is_none())
    }

    /// The next scrollback read the pane view needs, for the host to carry out.
    pub fn take_pane_request(&mut self) -> Option<PaneRequest> {
        self.pane_request.take()
    }

    /// The host's answer to a [`PaneRequest`]: the pane's whole scrollback with colours,
    /// or why it could not be read.
    pub fn on_scrollback(&mut self, agent: &str, result: Result<String, String>) {
        let Some(s) = self.scrollback.as_mut().filter(|s| s.agent == agent) else {
            return; // the selection moved on meanwhile
        };
        match result {
            Ok(text) => {
                s.plain = capture::plain_lines(capture::view_tail(&text, true));
                s.text = Some(Arc::from(text));
                self.scroll = self.scroll.min(self.max_scroll());
                self.search_again();
            }
            Err(why) => {
                self.scrollback = None;
                self.scroll = self.scroll.min(self.max_scroll());
                self.set_info(format!(
                    "could not read {agent}'s scrollback ({why}); the view has its last screen"
                ));
            }
        }
    }

    /// Ask for the selected pane's scrollback unless it is held or on its way. An agent
    /// without a pane has only the screen it left.
    pub(super) fn want_scrollback(&mut self) {
        let Some(a) = self.selected_agent() else {
            return;
        };
        if self.scrollback.as_ref().is_some_and(|s| s.agent == a.name) {
            return;
        }
        let (Some(server), Some(pane)) = (a.server.clone(), a.pane.clone()) else {
            return;
        };
        let agent = a.name.clone();
        self.pane_request = Some(PaneRequest {
            agent: agent.clone(),
            server,
            pane,
        });
        self.scrollback = Some(Scrollback {
            agent,
            text: None,
            plain: Vec::new(),
        });
    }

    /// Back to the live screen: the held scrollback and any search go.
    pub(super) fn follow_live(&mut self) {
        self.scroll = 0;
        self.scrollback = None;
        self.pane_request = None;
        self.pane_search = None;
    }

    /// The pane view's lines as plain text, as it draws them.
    pub(super) fn pane_plain(&self) -> Vec<String> {
        match self.scrollback.as_ref() {
            Some(s) if s.text.is_some() && self.selected.as_ref() == Some(&s.agent) => {
                s.plain.clone()
            }
            _ => self
                .selected_agent()
                .map(|a| capture::plain_lines(capture::tail(&a.capture)))
                .unwrap_or_default(),
        }
    }

    /// Lines in the pane view's text.
    pub(super) fn pane_lines(&self) -> usize {
        match self.pane_text() {
            Some(t) if t.frozen => self.scrollback.as_ref().map_or(0, |s| s.plain.len()),
            Some(t) => capture::line_count(t.text),
            None => 0,
        }
    }

    /// Furthest the view can scroll back: the top line at the top of the panel.
    pub(super) fn max_scroll(&self) -> usize {
        self.pane_lines().saturating_sub(self.pane_rows().max(1))
    }

    /// Scroll the pane view back (positive) or toward the live tail (negative). Leaving
    /// the tail asks for the whole scrollback; coming back to it follows the pane again.
    pub(super) fn scroll_by(&mut self, delta: isize) {
        if delta > 0 {
            self.want_scrollback();
        }
        let scroll = self.scroll.saturating_add_signed(delta);
        // While the scrollback is on its way, the view keeps how far the operator asked
        // to go; the answer bounds it.
        self.scroll = if self.scrollback_loading() {
            scroll
        } else {
            scroll.min(self.max_scroll())
        };
        if self.scroll == 0 && self.pane_search.is_none() {
            self.follow_live();
        }
    }

    /// The first line (from 0) and one past the last line the pane view shows, of `total`.
    pub(super) fn pane_window(&self, total: usize) -> (usize, usize) {
        let height = self.pane_rows().max(1);
        let scroll = self.scroll.min(total.saturating_sub(height));
        let end = total - scroll;
        (end.saturating_sub(height), end)
    }
}
