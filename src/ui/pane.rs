//! The pane view (the selected agent's screen, following its tail) and the event strip.

use super::tree::clip;
use crate::app::{capture, App};
use crate::fleet::{EventView, Tone};
use crate::theme::Theme;
use ansi_to_tui::IntoText;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;
use std::borrow::Cow;
use std::sync::Arc;

/// The last capture parsed for the pane view and its styled text, so a frame whose
/// capture did not change clones a screenful of lines instead of parsing it again.
#[derive(Debug, Default)]
pub struct PaneCache {
    /// Held, not just compared by address: a freed capture's address can be reused.
    source: Option<Arc<str>>,
    text: Text<'static>,
    parses: u64,
}

impl PaneCache {
    /// The capture as styled text, parsed only if it differs from the last one.
    fn text(&mut self, capture: &Arc<str>) -> &Text<'static> {
        let same = self
            .source
            .as_ref()
            .is_some_and(|s| Arc::ptr_eq(s, capture) || **s == **capture);
        if !same {
            self.text = capture_text(capture);
            self.source = Some(Arc::clone(capture));
            self.parses += 1;
        }
        &self.text
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
    let text = cache.text(&a.capture);
    let total = text.lines.len();
    let scroll = app.scroll().min(total.saturating_sub(height));
    if scroll > 0 {
        block = block.title_bottom(
            Line::styled(
                format!(" ↑ {scroll} lines back · pgdn returns "),
                theme.tier_nudge,
            )
            .right_aligned(),
        );
    }
    if total == 0 {
        let msg = Line::styled(" (nothing captured yet)", theme.muted);
        frame.render_widget(Paragraph::new(msg).block(block), area);
        return;
    }
    let end = total - scroll;
    let start = end.saturating_sub(height);
    let shown = Text {
        lines: text.lines[start..end].to_vec(),
        alignment: text.alignment,
        style: text.style,
    };
    frame.render_widget(Paragraph::new(shown).block(block), area);
}

/// Convert a capture's tail to styled text; a capture the ANSI parser rejects is shown
/// as plain text rather than not at all.
pub(super) fn capture_text(raw: &str) -> Text<'static> {
    let tail = capture::tail(raw);
    let mut text = match tail.into_text() {
        Ok(t) => t,
        Err(_) => Text::raw(String::from_utf8_lossy(&strip_ansi_escapes::strip(tail)).into_owned()),
    };
    for line in &mut text.lines {
        for span in &mut line.spans {
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
