//! Drawing the log browser: the query line, filter chips, the results with time, agent
//! and level colouring, and an opened entry's capture beside the rule that matched.

use super::pane::capture_text;
use super::tree::clip;
use crate::app::logs::{LogDetail, DETAIL_KEYS, EDIT_KEYS, LOG_KEYS};
use crate::app::{App, LogsView};
use crate::logs::{Level, LogEntry};
use crate::theme::Theme;
use chrono::{FixedOffset, TimeZone};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

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
        block = block.title(
            Line::styled(" following · newest at the bottom ", theme.working).right_aligned(),
        );
    } else if v.tail() {
        block = block.title(
            Line::styled(" paused · end resumes following ", theme.tier_nudge).right_aligned(),
        );
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
    let entries = v.shown();
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
    let width = usize::from(area.width);
    let selected = v.shown_selected();
    // Each entry's rows: one, or as many as its message needs when wrapping.
    let blocks: Vec<Vec<Line>> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let rows = entry_lines(e, tz, theme, width, now_ms, v.wrap());
            if i == selected {
                rows.into_iter().map(|l| l.style(theme.selection)).collect()
            } else {
                rows
            }
        })
        .collect();
    let starts: Vec<usize> = blocks
        .iter()
        .scan(0, |at, b| {
            let start = *at;
            *at += b.len();
            Some(start)
        })
        .collect();
    let total = starts
        .last()
        .map_or(0, |s| s + blocks.last().map_or(0, Vec::len));
    let (sel_top, sel_end) = (starts[selected], starts[selected] + blocks[selected].len());
    let top = if v.tail() {
        // Newest at the bottom: the view sits on the last rows unless the selection is
        // above them, then it keeps the selection on its top row.
        total.saturating_sub(height).min(sel_top)
    } else {
        sel_end.saturating_sub(height)
    };
    let mut lines: Vec<Line> = blocks
        .into_iter()
        .flatten()
        .skip(top)
        .take(height)
        .collect();
    if v.tail() && lines.len() < height {
        // Few lines yet: they still end at the bottom, where the next one will come.
        let pad = height - lines.len();
        lines.splice(0..0, vec![Line::raw(""); pad]);
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// One entry's rows: time, agent, level and source, then the message, cut to the width
/// or (`wrap`) carried on over more rows under the message column.
fn entry_lines(
    e: &LogEntry,
    tz: FixedOffset,
    theme: &Theme,
    width: usize,
    now_ms: i64,
    wrap: bool,
) -> Vec<Line<'static>> {
    if !wrap {
        return vec![entry_line(e, tz, theme, width, now_ms)];
    }
    let head = entry_head(e, tz, theme, now_ms);
    let used = Line::from(head.clone()).width();
    let room = width.saturating_sub(used).max(8);
    let message = e.message.replace('\n', " ⏎ ");
    let style = level_style(e.level, theme);
    let mut out = Vec::new();
    for (k, chunk) in chop(&message, room).into_iter().enumerate() {
        let mut spans = if k == 0 {
            head.clone()
        } else {
            vec![Span::raw(" ".repeat(used))]
        };
        spans.push(Span::styled(chunk, style));
        out.push(Line::from(spans));
    }
    out
}

/// Cut text into pieces of at most `w` display columns.
fn chop(s: &str, w: usize) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut used = 0;
    let mut buf = [0u8; 4];
    for c in s.chars() {
        let cw = super::tree::width(c.encode_utf8(&mut buf));
        if used + cw > w && used > 0 {
            out.push(String::new());
            used = 0;
        }
        used += cw;
        if let Some(last) = out.last_mut() {
            last.push(c);
        }
    }
    out
}

fn entry_line(
    e: &LogEntry,
    tz: FixedOffset,
    theme: &Theme,
    width: usize,
    now_ms: i64,
) -> Line<'static> {
    let mut spans = entry_head(e, tz, theme, now_ms);
    let used = Line::from(spans.clone()).width();
    let message = e.message.replace('\n', " ⏎ ");
    spans.push(Span::styled(
        clip(&message, width.saturating_sub(used)),
        level_style(e.level, theme),
    ));
    Line::from(spans)
}

/// What comes before an entry's message: time, agent, level, source.
fn entry_head(e: &LogEntry, tz: FixedOffset, theme: &Theme, now_ms: i64) -> Vec<Span<'static>> {
    let agent = e.agent.as_deref().unwrap_or("fleet");
    let who = match e.attempt {
        Some(a) if a > 1 => format!("{agent}#{a}"),
        _ => agent.to_string(),
    };
    // A mark says Enter opens a screen for this entry.
    let mark = if e.capture_id.is_some() { "▸" } else { " " };
    vec![
        Span::styled(format!("{} ", when(e.ts_ms, now_ms, tz)), theme.muted),
        Span::raw(format!("{:<12} ", clip(&who, 12))),
        Span::styled(
            format!("{:<5} ", e.level.as_str()),
            level_style(e.level, theme),
        ),
        Span::styled(format!("{:<7}{mark} ", e.source.as_str()), theme.muted),
    ]
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
            EDIT_KEYS
        } else if v.detail().is_some() {
            DETAIL_KEYS
        } else {
            LOG_KEYS
        };
        let mut spans = vec![Span::raw(" ")];
        let mut used = 1;
        for k in hints {
            let w = k.keys.chars().count() + k.label.chars().count() + 3;
            if used + w > usize::from(area.width) {
                break;
            }
            used += w;
            spans.push(Span::styled(k.keys, theme.title));
            spans.push(Span::styled(format!(" {}  ", k.label), theme.footer));
        }
        Line::from(spans)
    };
    frame.render_widget(Paragraph::new(line).style(theme.footer), area);
}
