//! Drawing the log browser: the query line, filter chips, the results with time, agent
//! and level colouring, and an opened entry's capture beside the rule that matched.

use super::pane::capture_text;
use super::tree::clip;
use crate::app::logs::LogDetail;
use crate::app::{App, LogsView};
use crate::logs::{Level, LogEntry};
use crate::theme::Theme;
use chrono::{FixedOffset, TimeZone};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

/// Key hints of the browser, and of its query line while it is edited.
const HINTS: &[(&str, &str)] = &[
    ("/", "search"),
    ("j/k", "move"),
    ("enter", "screen"),
    ("g", "agent"),
    ("n/p", "page"),
    ("1-6/0", "window"),
    ("f", "follow"),
    ("esc", "back"),
];
const DETAIL_HINTS: &[(&str, &str)] = &[("g", "agent"), ("any other key", "close")];
const EDIT_HINTS: &[(&str, &str)] = &[
    ("enter", "search"),
    ("esc", "cancel"),
    ("ctrl-u", "erase"),
    ("agent: tree: level: source: since: until:", "filters"),
];

/// The browser in the body of the screen.
pub(super) fn body(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    v: &LogsView,
    theme: &Theme,
    now_ms: i64,
) {
    let p = v.page();
    let mut title = format!(" logs · page {} ", v.page_number());
    if v.loaded() && p.count > 0 {
        let first = v.page_start() + 1;
        title.push_str(&format!(
            "· {first}–{} of {} ",
            first + p.count - 1,
            p.total_count
        ));
    } else if v.loaded() && !v.searching() {
        title.push_str("· no entries match ");
    }
    if v.searching() {
        title.push_str("· searching… ");
    }
    let mut block = Block::bordered()
        .border_style(theme.border)
        .title(Span::styled(title, theme.title));
    if v.following() {
        block =
            block.title(Line::styled(" following · newest on top ", theme.working).right_aligned());
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 3 {
        return;
    }
    let row = |y: u16, h: u16| Rect {
        y: inner.y + y,
        height: h,
        ..inner
    };
    frame.render_widget(Paragraph::new(query_line(v, theme)), row(0, 1));
    frame.render_widget(Paragraph::new(chips_line(v, theme)), row(1, 1));
    let rest = row(2, inner.height - 2);
    match v.detail() {
        Some(d) => detail(frame, rest, d, app.utc_offset(), theme, now_ms),
        None => results(frame, rest, v, app.utc_offset(), theme, now_ms),
    }
}

fn query_line<'a>(v: &'a LogsView, theme: &Theme) -> Line<'a> {
    let mut spans = vec![Span::styled("/ ", theme.title)];
    if v.line().is_empty() && !v.editing() {
        spans.push(Span::styled("(everything) press / to search", theme.muted));
    } else {
        spans.push(Span::raw(v.line()));
    }
    if v.editing() {
        spans.push(Span::styled("█", theme.muted));
    }
    if let Some(e) = v.error() {
        spans.push(Span::styled(format!("  {e}"), theme.error));
    }
    Line::from(spans)
}

fn chips_line(v: &LogsView, theme: &Theme) -> Line<'static> {
    let chips = v.chips();
    if chips.is_empty() {
        return Line::styled("all agents · all levels · all time", theme.muted);
    }
    let mut spans = Vec::new();
    for c in chips {
        spans.push(Span::styled(format!("[{c}]"), theme.tier_nudge));
        spans.push(Span::raw(" "));
    }
    Line::from(spans)
}

/// The style of a level: errors and warnings stand out, debug recedes.
fn level_style(l: Level, theme: &Theme) -> Style {
    match l {
        Level::Error => theme.errored,
        Level::Warn => theme.tier_warn,
        Level::Info => Style::new(),
        Level::Debug => theme.muted,
    }
}

/// `HH:MM:SS` today, `MM-DD HH:MM` before.
fn when(ts_ms: i64, now_ms: i64, tz: FixedOffset) -> String {
    let (Some(t), Some(now)) = (
        tz.timestamp_millis_opt(ts_ms).single(),
        tz.timestamp_millis_opt(now_ms).single(),
    ) else {
        return "--:--:--".to_string();
    };
    if t.date_naive() == now.date_naive() {
        t.format("%H:%M:%S").to_string()
    } else {
        t.format("%m-%d %H:%M").to_string()
    }
}

fn results(
    frame: &mut Frame,
    area: Rect,
    v: &LogsView,
    tz: FixedOffset,
    theme: &Theme,
    now_ms: i64,
) {
    let entries = &v.page().entries;
    let height = usize::from(area.height);
    if entries.is_empty() {
        let text = if v.loaded() && !v.searching() {
            "no entries match; widen the window (0), or change the search (/)"
        } else {
            "searching…"
        };
        frame.render_widget(Paragraph::new(Line::styled(text, theme.muted)), area);
        return;
    }
    let top = v.selected().saturating_sub(height.saturating_sub(1));
    let width = usize::from(area.width);
    let lines: Vec<Line> = entries
        .iter()
        .enumerate()
        .skip(top)
        .take(height)
        .map(|(i, e)| {
            let line = entry_line(e, tz, theme, width, now_ms);
            if i == v.selected() {
                line.style(theme.selection)
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

fn entry_line(
    e: &LogEntry,
    tz: FixedOffset,
    theme: &Theme,
    width: usize,
    now_ms: i64,
) -> Line<'static> {
    let agent = e.agent.as_deref().unwrap_or("fleet");
    let who = match e.attempt {
        Some(a) if a > 1 => format!("{agent}#{a}"),
        _ => agent.to_string(),
    };
    // A mark says Enter opens a screen for this entry.
    let mark = if e.capture_id.is_some() { "▸" } else { " " };
    let mut spans = vec![
        Span::styled(format!("{} ", when(e.ts_ms, now_ms, tz)), theme.muted),
        Span::raw(format!("{:<12} ", clip(&who, 12))),
        Span::styled(
            format!("{:<5} ", e.level.as_str()),
            level_style(e.level, theme),
        ),
        Span::styled(format!("{:<7}{mark} ", e.source.as_str()), theme.muted),
    ];
    let used = Line::from(spans.clone()).width();
    let message = e.message.replace('\n', " ⏎ ");
    spans.push(Span::styled(
        clip(&message, width.saturating_sub(used)),
        level_style(e.level, theme),
    ));
    Line::from(spans)
}

/// An opened entry: its capture on the left, what happened and the rule on the right.
fn detail(
    frame: &mut Frame,
    area: Rect,
    d: &LogDetail,
    tz: FixedOffset,
    theme: &Theme,
    now_ms: i64,
) {
    let left_w = (area.width * 3 / 5).max(area.width.min(20));
    let left = Rect {
        width: left_w,
        ..area
    };
    let right = Rect {
        x: area.x + left_w,
        width: area.width - left_w,
        ..area
    };
    let e = &d.entry;
    let title = format!(
        " screen at {} · capture #{} ",
        when(e.ts_ms, now_ms, tz),
        e.capture_id.unwrap_or_default()
    );
    let block = Block::bordered()
        .border_style(theme.border)
        .title(Span::styled(title, theme.title));
    let inner = block.inner(left);
    match (&d.capture, &d.error) {
        (_, Some(err)) => frame.render_widget(
            Paragraph::new(Line::styled(err.clone(), theme.error)).block(block),
            left,
        ),
        (None, None) => frame.render_widget(
            Paragraph::new(Line::styled("loading…", theme.muted)).block(block),
            left,
        ),
        (Some(text), None) => {
            let mut t = capture_text(text);
            let height = usize::from(inner.height);
            let start = t.lines.len().saturating_sub(height);
            t.lines.drain(..start);
            frame.render_widget(Paragraph::new(t).block(block), left);
        }
    }
    let stamp = tz.timestamp_millis_opt(e.ts_ms).single().map_or_else(
        || e.ts_ms.to_string(),
        |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
    );
    let mut lines = vec![
        Line::from(vec![Span::styled("time   ", theme.muted), Span::raw(stamp)]),
        Line::from(vec![
            Span::styled("agent  ", theme.muted),
            Span::raw(format!(
                "{} (attempt {})",
                e.agent.as_deref().unwrap_or("fleet"),
                e.attempt.unwrap_or(0)
            )),
        ]),
        Line::from(vec![
            Span::styled("level  ", theme.muted),
            Span::styled(e.level.as_str(), level_style(e.level, theme)),
        ]),
        Line::raw(""),
        Line::styled(e.message.clone(), level_style(e.level, theme)),
        Line::raw(""),
        Line::styled("rule that matched", theme.title),
    ];
    lines.push(match &e.rule {
        Some(r) => Line::raw(r.clone()),
        None => Line::styled("(no rule: not a classification)", theme.muted),
    });
    frame.render_widget(
        Paragraph::new(lines)
            .block(
                Block::bordered()
                    .border_style(theme.border)
                    .title(Span::styled(" why ", theme.title)),
            )
            .wrap(Wrap { trim: false }),
        right,
    );
}

/// The footer while the browser is open: its message, else its key hints.
pub(super) fn footer(frame: &mut Frame, area: Rect, v: &LogsView, theme: &Theme) {
    let line = if let Some(m) = v.message().filter(|_| !v.editing()) {
        Line::styled(format!(" {m}"), theme.footer)
    } else {
        let hints = if v.editing() {
            EDIT_HINTS
        } else if v.detail().is_some() {
            DETAIL_HINTS
        } else {
            HINTS
        };
        let mut spans = vec![Span::raw(" ")];
        let mut used = 1;
        for (k, label) in hints {
            let w = k.chars().count() + label.chars().count() + 3;
            if used + w > usize::from(area.width) {
                break;
            }
            used += w;
            spans.push(Span::styled(*k, theme.title));
            spans.push(Span::styled(format!(" {label}  "), theme.footer));
        }
        Line::from(spans)
    };
    frame.render_widget(Paragraph::new(line).style(theme.footer), area);
}
