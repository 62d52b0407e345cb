//! The pane view (the selected agent's screen, following its tail) and the event strip.

use super::tree::clip;
use crate::app::{capture, App, PaneSearch, PaneText};
use crate::fleet::{EventView, Tone};
use crate::theme::Theme;
use ansi_to_tui::IntoText;
use ratatui::layout::{Margin, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState};
use ratatui::Frame;
use std::borrow::Cow;
use std::sync::Arc;

/// The last capture parsed for the pane view and its styled text, so a frame whose
/// capture did not change clones a screenful of lines instead of parsing it again. The
/// live screen and a held scrollback have a slot each, so going back and forth between
/// them parses neither again.
#[derive(Debug, Default)]
pub struct PaneCache {
    live: Parsed,
    frozen: Parsed,
    parses: u64,
}

#[derive(Debug, Default)]
struct Parsed {
    /// Held, not just compared by address: a freed capture's address can be reused.
    source: Option<Arc<str>>,
    text: Text<'static>,
}

impl PaneCache {
    /// The text as styled text, parsed only if it differs from the last one of its kind.
    fn text(&mut self, t: PaneText<'_>) -> &Text<'static> {
        let slot = if t.frozen {
            &mut self.frozen
        } else {
            &mut self.live
        };
        let same = slot
            .source
            .as_ref()
            .is_some_and(|s| Arc::ptr_eq(s, t.text) || **s == **t.text);
        if !same {
            slot.text = styled(capture::view_tail(t.text, t.frozen));
            slot.source = Some(Arc::clone(t.text));
            self.parses += 1;
        }
        &slot.text
    }

    /// How many captures were parsed so far (for tests and benchmarks).
    pub fn parses(&self) -> u64 {
        self.parses
    }
}

pub(super) fn pane(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    theme: &Theme,
    now_ms: i64,
    cache: &mut PaneCache,
) {
    let Some(a) = app.selected_agent() else {
        let block = Block::bordered().border_style(theme.border).title(" pane ");
        let msg = Line::styled(" no agent selected", theme.muted);
        frame.render_widget(Paragraph::new(msg).block(block), area);
        return;
    };
    // A dead agent's title says how and when it ended; its final screen is below.
    let title = match app.ending(a, now_ms) {
        how if how.is_empty() => format!(
            " {} · {} #{} · {} · {}{} ",
            a.name,
            a.kind,
            a.attempt,
            a.state,
            crate::app::format::activity_word(a, now_ms),
            a.usage.title_part()
        ),
        how => format!(
            " {} · {} #{} · {} · {how}{} ",
            a.name,
            a.kind,
            a.attempt,
            a.state,
            a.usage.title_part()
        ),
    };
    let mut block = Block::bordered()
        .border_style(theme.border)
        .title(Span::styled(
            clip(&title, usize::from(area.width.saturating_sub(2))),
            theme.title,
        ));
    let inner = block.inner(area);
    let height = usize::from(inner.height);
    let Some(source) = app.pane_text() else {
        return;
    };
    let text = cache.text(source);
    let total = text.lines.len();
    let scroll = app.scroll().min(total.saturating_sub(height));
    let end = total - scroll;
    let start = end.saturating_sub(height);
    let held = source.frozen || scroll > 0;
    let room = usize::from(area.width.saturating_sub(4));
    if let Some(place) = position(app, start, end, total, held, room) {
        block = block.title_bottom(Line::styled(place, theme.tier_nudge).right_aligned());
    }
    if total == 0 {
        let msg = Line::styled(" (nothing captured yet)", theme.muted);
        frame.render_widget(Paragraph::new(msg).block(block), area);
        return;
    }
    let mut lines = text.lines[start..end].to_vec();
    if let Some(search) = app.pane_search() {
        let current = search.current_hit();
        for (i, line) in lines.iter_mut().enumerate() {
            let nth = current.filter(|(l, _)| *l == start + i).map(|(_, n)| n);
            mark_matches(line, search, nth, theme);
        }
    }
    let shown = Text {
        lines,
        alignment: text.alignment,
        style: text.style,
    };
    frame.render_widget(Paragraph::new(shown).block(block), area);
    if held && total > height {
        // Where the view is in the whole scrollback, on the right border.
        let mut state = ScrollbarState::new(total - height).position(start);
        frame.render_stateful_widget(
            Scrollbar::new(ScrollbarOrientation::VerticalRight)
                .begin_symbol(None)
                .end_symbol(None)
                .track_symbol(Some("│"))
                .thumb_style(theme.tier_nudge)
                .track_style(theme.border),
            area.inner(Margin {
                horizontal: 0,
                vertical: 1,
            }),
            &mut state,
        );
    }
}

/// The pane view's bottom title: the search, where the view is, and how to get back;
/// the hint goes first when `room` is short.
fn position(
    app: &App,
    start: usize,
    end: usize,
    total: usize,
    held: bool,
    room: usize,
) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    if let Some(s) = app.pane_search() {
        parts.push(format!("/{} {}/{}", s.query, s.current + 1, s.hits.len()));
    } else if let crate::app::Mode::PaneSearch { .. } = app.mode() {
        parts.push("searching the scrollback".to_string());
    }
    if app.scrollback_loading() {
        parts.push("reading the scrollback…".to_string());
    }
    if held && total > 0 {
        parts.push(format!("lines {}–{end} of {total}", start + 1));
    }
    let hint = (app.scroll() > 0 && app.pane_search().is_none()).then_some("pgdn: live");
    let title = |parts: &[String]| format!(" {} ", parts.join(" · "));
    if let Some(h) = hint {
        let mut with = parts.clone();
        with.push(h.to_string());
        if super::tree::width(&title(&with)) <= room {
            return Some(title(&with));
        }
    }
    (!parts.is_empty()).then(|| title(&parts))
}

/// Paint every match of the search in `line`, the current one (`nth` of the line's)
/// stronger than the rest.
fn mark_matches(line: &mut Line<'static>, search: &PaneSearch, nth: Option<usize>, theme: &Theme) {
    let plain: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    let hits = search.find_in(&plain);
    if hits.is_empty() {
        return;
    }
    let hit_style = theme.tier_nudge.add_modifier(Modifier::REVERSED);
    let current_style = theme
        .needs_input
        .add_modifier(Modifier::REVERSED | Modifier::BOLD);
    // Walk the spans character by character, cutting them where a match starts or ends.
    let mut out: Vec<Span<'static>> = Vec::new();
    let mut at = 0;
    for span in std::mem::take(&mut line.spans) {
        let mut piece = String::new();
        let mut piece_style = None;
        for c in span.content.chars() {
            let hit = hits.iter().position(|&(s, n)| at >= s && at < s + n);
            let style = match hit {
                Some(k) if Some(k) == nth => span.style.patch(current_style),
                Some(_) => span.style.patch(hit_style),
                None => span.style,
            };
            if piece_style.is_some_and(|p| p != style) {
                out.push(Span::styled(
                    std::mem::take(&mut piece),
                    piece_style.unwrap_or_default(),
                ));
            }
            piece_style = Some(style);
            piece.push(c);
            at += 1;
        }
        if !piece.is_empty() {
            out.push(Span::styled(piece, piece_style.unwrap_or(span.style)));
        }
    }
    line.spans = out;
}

/// Convert a capture's tail to styled text; a capture the ANSI parser rejects is shown
/// as plain text rather than not at all.
pub(super) fn capture_text(raw: &str) -> Text<'static> {
    styled(capture::tail(raw))
}

/// [`capture_text`] of a tail already cut.
fn styled(tail: &str) -> Text<'static> {
    let mut text = match tail.into_text() {
        Ok(t) => t,
        Err(_) => Text::raw(String::from_utf8_lossy(&strip_ansi_escapes::strip(tail)).into_owned()),
    };
    // The agent's "default colour" is the theme's page, not the terminal's: a reset in
    // the capture leaves the colour unset instead of punching through a painted page.
    let unset = |c: Option<Color>| c.filter(|c| *c != Color::Reset);
    text.style.fg = unset(text.style.fg);
    text.style.bg = unset(text.style.bg);
    for line in &mut text.lines {
        line.style.fg = unset(line.style.fg);
        line.style.bg = unset(line.style.bg);
        for span in &mut line.spans {
            span.style.fg = unset(span.style.fg);
            span.style.bg = unset(span.style.bg);
            if span.content.contains(|c: char| c.is_control()) {
                span.content = Cow::Owned(printable(&span.content));
            }
        }
    }
    text
}

/// Tabs become a space and other control characters a visible `�`, so stray bytes never
/// shift the columns of what follows.
fn printable(s: &str) -> String {
    s.chars()
        .filter(|&c| c != '\r' && c != '\n')
        .map(|c| match c {
            '\t' => ' ',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect()
}

pub(super) fn events(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let who = app.selected().unwrap_or("fleet");
    let block = Block::bordered()
        .border_style(theme.border)
        .title(Span::styled(format!(" events · {who} "), theme.title));
    let inner = block.inner(area);
    let height = usize::from(inner.height);
    let width = usize::from(inner.width);
    // Newest last: take the newest that fit, then put them back in time order. With no
    // agent selected, the whole fleet's events, each naming its agent.
    let lines: Vec<Line> = match app.selected() {
        Some(name) => {
            let mut shown: Vec<&EventView> = app.events_for(name).rev().take(height).collect();
            shown.reverse();
            shown
                .into_iter()
                .map(|e| event_line(e, None, theme, width))
                .collect()
        }
        None => app
            .recent_events(height)
            .into_iter()
            .map(|e| event_line(e, e.agent.as_deref(), theme, width))
            .collect(),
    };
    let lines = if lines.is_empty() {
        vec![Line::styled(" no events yet", theme.muted)]
    } else {
        lines
    };
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn event_line(e: &EventView, agent: Option<&str>, theme: &Theme, width: usize) -> Line<'static> {
    let style = match e.tone() {
        Tone::Bad => theme.errored,
        Tone::Warn => theme.tier_warn,
        Tone::Nudge => theme.tier_nudge,
        Tone::Plain => Style::new(),
    };
    let mut detail = match agent {
        Some(name) => format!("{name}: {}", printable(&e.detail)),
        None => printable(&e.detail),
    };
    if let Some(rule) = &e.rule {
        detail.push_str(&format!(" [{rule}]"));
    }
    let time = clock(e.ts_ms);
    let room = width.saturating_sub(time.len() + 11);
    Line::from(vec![
        Span::styled(format!("{time} "), theme.muted),
        Span::styled(format!("{:<9} ", clip(&e.kind, 9)), style),
        Span::raw(clip(&detail, room)),
    ])
}

/// Local wall-clock time of an event, `HH:MM:SS`.
fn clock(ts_ms: i64) -> String {
    use chrono::{Local, TimeZone};
    match Local.timestamp_millis_opt(ts_ms).single() {
        Some(t) => t.format("%H:%M:%S").to_string(),
        None => "--:--:--".to_string(),
    }
}

#[cfg(test)]
#[path = "pane_tests.rs"]
mod tests;
