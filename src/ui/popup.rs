//! Overlays drawn over the panels: help, detection explanation, confirmation, input box.

use super::popup_frame::{centred, popup};
use super::tree::{clip, pad, width};
use crate::app::format::{elapsed, remaining, tier_text};
use crate::app::{Action, App, Mode};
use crate::fleet::Command;
use crate::theme::Theme;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;

pub(super) fn overlay(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, now_ms: i64) {
    match app.mode() {
        Mode::Normal | Mode::Filter | Mode::Command { .. } | Mode::PaneSearch { .. } => {}
        Mode::Help => help(frame, area, app, theme),
        Mode::Explain { agent } => explain(frame, area, app, agent, theme, now_ms),
        Mode::Confirm { command } => confirm(frame, area, command, theme),
        Mode::Input { agent, text } => input(frame, area, agent, text, theme),
        Mode::AddAgent(form) => super::edit_popup::add_form(frame, area, form, theme),
        Mode::Remove {
            agent,
            branch,
            live,
        } => super::edit_popup::remove(frame, area, agent, branch.as_deref(), *live, theme),
    }
}

/// The help overlay: the log browser's keys while it is open, else the fleet's.
fn help(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let (title, lines) = match app.logs_view() {
        Some(_) => ("log browser keys", log_help_lines(theme)),
        None => ("keys", fleet_help_lines(app, theme)),
    };
    help_popup(frame, area, app, title, lines, theme);
}

/// The log browser's keys: over the results, over an opened screen, in the query line.
fn log_help_lines(theme: &Theme) -> Vec<Line<'static>> {
    use crate::app::logs::{DETAIL_KEYS, EDIT_KEYS, LOG_KEYS};
    let sections = [
        ("the results", LOG_KEYS),
        ("an opened screen", DETAIL_KEYS),
        ("the query line (/)", EDIT_KEYS),
    ];
    // Long key lists (the filter names) go on a line of their own.
    let key_w = sections
        .iter()
        .flat_map(|(_, keys)| keys.iter())
        .map(|k| width(k.keys))
        .filter(|w| *w <= 16)
        .max()
        .unwrap_or(0);
    let mut lines = Vec::new();
    for (i, (name, keys)) in sections.iter().enumerate() {
        if i > 0 {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(format!(" {name}"), theme.muted));
        for k in *keys {
            if width(k.keys) > key_w {
                lines.push(Line::styled(format!(" {}", k.keys), theme.title));
                lines.push(Line::raw(format!(" {} {}", pad("", key_w), k.what)));
            } else {
                lines.push(Line::from(vec![
                    Span::styled(format!(" {} ", pad(k.keys, key_w)), theme.title),
                    Span::raw(k.what),
                ]));
            }
        }
    }
    lines
}

/// The fleet's keys, generated from the keymap: every action, its keys and its sentence.
fn fleet_help_lines(app: &App, theme: &Theme) -> Vec<Line<'static>> {
    let rows: Vec<(String, &str)> = Action::ALL
        .iter()
        .map(|&a| {
            let keys: Vec<String> = app
                .keymap()
                .keys_for(a)
                .iter()
                .map(std::string::ToString::to_string)
                .collect();
            (keys.join(", "), a.describe())
        })
        .filter(|(keys, _)| !keys.is_empty())
        .collect();
    let key_w = rows.iter().map(|(k, _)| width(k)).max().unwrap_or(0);
    let mut lines: Vec<Line> = rows
        .into_iter()
        .map(|(keys, what)| {
            Line::from(vec![
                Span::styled(format!(" {} ", pad(&keys, key_w)), theme.title),
                Span::raw(what),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        " filter: words match names; state:running kind:claude activity:needs tier:warn narrow further",
        theme.muted,
    ));
    lines.push(Line::styled(
        " a folded row (▸) shows the most urgent state below it; ! marks agents that need you",
        theme.muted,
    ));
    lines
}

fn help_popup(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    name: &str,
    lines: Vec<Line<'static>>,
    theme: &Theme,
) {
    let rect = centred(
        area,
        area.width.saturating_sub(4).min(110),
        lines.len() as u16 + 2,
    );
    let visible = usize::from(rect.height.saturating_sub(2));
    let skip = app.help_scroll().min(lines.len().saturating_sub(visible));
    let more = lines.len() > skip + visible;
    let scroll_keys: Vec<String> = [Action::MoveDown, Action::MoveUp]
        .iter()
        .filter_map(|a| {
            app.help_keymap()
                .keys_for(*a)
                .first()
                .map(std::string::ToString::to_string)
        })
        .collect();
    let title = if (more || skip > 0) && !scroll_keys.is_empty() {
        format!(
            " {name} · {} scroll · any other key closes ",
            scroll_keys.join("/")
        )
    } else {
        format!(" {name} · any key closes ")
    };
    let lines: Vec<Line> = lines.into_iter().skip(skip).collect();
    popup(frame, rect, title, lines, theme);
}

fn explain(frame: &mut Frame, area: Rect, app: &App, name: &str, theme: &Theme, now_ms: i64) {
    let rect = centred(area, area.width.saturating_sub(8).min(90), 3);
    let Some(a) = app.snapshot().agent(name) else {
        let lines = vec![Line::styled(
            format!(" {name} is no longer in the fleet"),
            theme.error,
        )];
        return popup(frame, rect, format!(" {name} "), lines, theme);
    };
    let field = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!(" {k:<10} "), theme.muted),
            Span::raw(v),
        ])
    };
    let mut lines = vec![field(
        "why",
        a.reason
            .clone()
            .unwrap_or_else(|| "no detection rule matched yet".to_string()),
    )];
    lines.push(field("activity", a.activity.to_string()));
    if let Some(err) = a.error {
        let reset = match a.reset_at_ms {
            Some(t) if t > now_ms => format!(", resets in {}", remaining(t - now_ms)),
            Some(t) => format!(", reset time passed {} ago", elapsed(now_ms - t)),
            None => String::new(),
        };
        lines.push(field("error", format!("{err}{reset}")));
    }
    let state = match a.exit_status {
        Some(code) => format!("{} (exit status {code})", a.state),
        None => a.state.to_string(),
    };
    lines.push(field("state", format!("{state}, attempt {}", a.attempt)));
    let ladder = tier_text(a, now_ms);
    lines.push(field(
        "ladder",
        format!(
            "{} · stall timeout {}{}",
            if ladder.is_empty() {
                a.tier.to_string()
            } else {
                ladder
            },
            elapsed(a.stall_timeout_ms as i64),
            if a.paused {
                " · supervision paused"
            } else {
                ""
            }
        ),
    ));
    lines.push(field(
        "progress",
        format!(
            "last proof of life {} ago",
            elapsed(now_ms - a.last_progress_ms)
        ),
    ));
    let pane = match (&a.server, &a.pane) {
        (Some(s), Some(p)) => format!("{p} on tmux -L {s}"),
        _ => "none".to_string(),
    };
    lines.push(field("pane", pane));
    lines.push(field("kind", a.kind.clone()));
    if let Some(b) = &a.lineage.budget {
        lines.push(field("budget", b.explain(&a.name)));
    }
    // A long line (a budget's explanation) wraps: room for every row it takes.
    let inner = usize::from(rect.width.saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
    let rect = centred(
        area,
        rect.width,
        u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(2),
    );
    popup(
        frame,
        rect,
        format!(" why {} is {} ", a.name, a.activity),
        lines,
        theme,
    );
}

fn confirm(frame: &mut Frame, area: Rect, command: &Command, theme: &Theme) {
    let who = command.agent();
    let question = match command {
        Command::Kill { .. } => format!("Kill {who} now? Its pane is destroyed at once."),
        Command::Cancel { .. } => {
            format!("Cancel {who}? It is interrupted, then killed after the grace period.")
        }
        other => format!("{} {who}?", other.verb()),
    };
    let lines = vec![
        Line::raw(format!(" {question}")),
        Line::raw(""),
        Line::from(vec![
            Span::styled(" y", theme.title),
            Span::raw(" yes   "),
            Span::styled("n", theme.title),
            Span::raw(" no"),
        ]),
    ];
    let w = (width(&question) as u16 + 6)
        .max(30)
        .min(area.width.saturating_sub(4));
    let rect = centred(area, w, 6);
    popup(frame, rect, format!(" {} ", command.verb()), lines, theme);
}

fn input(frame: &mut Frame, area: Rect, agent: &str, text: &str, theme: &Theme) {
    let w = area.width.saturating_sub(8).min(100);
    let room = usize::from(w.saturating_sub(5));
    // Keep the end of a long line in view, where the cursor is.
    let shown: String = {
        let chars: Vec<char> = text.chars().collect();
        let mut start = chars.len();
        let mut used = 0;
        let mut buf = [0u8; 4];
        while start > 0 {
            let cw = width(chars[start - 1].encode_utf8(&mut buf));
            if used + cw > room {
                break;
            }
            used += cw;
            start -= 1;
        }
        chars[start..]
            .iter()
            .map(|&c| if c == '\t' { '→' } else { c })
            .collect()
    };
    let lines = vec![
        Line::from(vec![
            Span::raw(format!(" {shown}")),
            Span::styled("█", theme.muted),
        ]),
        Line::styled(
            clip(" enter types the line and Enter · esc aborts", room + 2),
            theme.muted,
        ),
    ];
    let rect = centred(area, w, 4);
    popup(frame, rect, format!(" type into {agent} "), lines, theme);
}
