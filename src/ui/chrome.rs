//! The header (fleet, counts, supervisor health) and the footer (key hints or the last
//! message), plus the glyphs and styles every panel shares.

use crate::app::{Action, App, Mode};
use crate::fleet::{Activity, FleetSnapshot};
use crate::theme::Theme;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// A snapshot older than this is called out in the header: the supervisor may be stuck.
pub(super) const STALE_MS: i64 = 10_000;

/// Activities in the order the header counts them.
const ACTIVITIES: [Activity; 6] = [
    Activity::NeedsInput,
    Activity::Errored,
    Activity::Working,
    Activity::Idle,
    Activity::Exited,
    Activity::Unknown,
];

/// The one-character status mark of an activity, distinct without colour.
pub(super) fn glyph(a: Activity) -> &'static str {
    match a {
        Activity::Working => "●",
        Activity::NeedsInput => "?",
        Activity::Idle => "○",
        Activity::Errored => "✗",
        Activity::Exited => "■",
        Activity::Unknown => "·",
    }
}

/// The theme style of an activity.
pub(super) fn activity_style(a: Activity, theme: &Theme) -> Style {
    match a {
        Activity::Working => theme.working,
        Activity::NeedsInput => theme.needs_input,
        Activity::Idle => theme.idle,
        Activity::Errored => theme.errored,
        Activity::Exited => theme.exited,
        Activity::Unknown => theme.unknown,
    }
}

/// Whether drawing `new` instead of `old` at `now_ms` changes nothing worth a frame: the
/// same agents, fleet, servers and error, the same staleness, and a tick time in the same
/// band. Most ticks of a quiet fleet change only the tick number and its time by a
/// millisecond or two; the header shows the newer time with the next frame.
pub fn same_picture(old: &FleetSnapshot, new: &FleetSnapshot, now_ms: i64) -> bool {
    // Waiting for the first picture, stale, or fresh: the header says which.
    let age = |s: &FleetSnapshot| (s.taken_at_ms != 0, now_ms - s.taken_at_ms > STALE_MS);
    let band = |us: u64| match us / 1000 {
        0..=7 => 0,
        ms => ms.ilog2(),
    };
    old.fleet == new.fleet
        && age(old) == age(new)
        && band(old.stats.duration_us) == band(new.stats.duration_us)
        && old.stats.servers_up == new.stats.servers_up
        && old.stats.servers == new.stats.servers
        && old.stats.error == new.stats.error
        && old.agents == new.agents
}

pub(super) fn header(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, now_ms: i64) {
    let snap = app.snapshot();
    let fleet = if snap.fleet.is_empty() {
        "fleet"
    } else {
        snap.fleet.as_str()
    };
    let mut left = vec![Span::styled(format!(" shoal · {fleet} "), theme.title)];
    // Rows standing for earlier attempts are history, not agents.
    let agents = || {
        snap.agents
            .iter()
            .filter(|a| a.lineage.attempt_of.is_none())
    };
    left.push(Span::raw(format!(" {} agents ", agents().count())));
    let usage = snap.usage_total();
    if !usage.is_empty() {
        left.push(Span::styled(format!(" {} ", usage.label()), theme.muted));
    }
    if let Some(b) = snap.stats.budgets.iter().find(|b| b.owner.is_none()) {
        let style = match b.level {
            crate::fleet::BudgetLevel::Under => theme.muted,
            _ => theme.error,
        };
        left.push(Span::styled(format!(" {} ", b.text("")), style));
    }
    if app.show_history() {
        left.push(Span::styled(" history ", theme.title));
    }
    // A working agent whose screen stands still is counted as quiet, as its row says.
    let quiet =
        |a: &&crate::fleet::AgentView| crate::app::format::activity_word(a, now_ms) == "quiet";
    for act in ACTIVITIES {
        let n = agents().filter(|a| a.activity == act && !quiet(a)).count();
        if n > 0 {
            left.push(Span::styled(
                format!(" {} {n} {act}", glyph(act)),
                activity_style(act, theme),
            ));
        }
        if act == Activity::Working {
            let n = agents().filter(quiet).count();
            if n > 0 {
                left.push(Span::styled(format!(" ○ {n} quiet"), theme.idle));
            }
        }
    }

    let stats = &snap.stats;
    let mut right: Vec<Span> = Vec::new();
    if let Some(s) = app.supervision() {
        let style = if s.is_alarm() {
            theme.error
        } else {
            theme.muted
        };
        right.push(Span::styled(format!("{} · ", s.label()), style));
    }
    if app.supervisor_gone() {
        right.push(Span::styled("supervisor stopped: view frozen", theme.error));
    } else if snap.taken_at_ms == 0 {
        right.push(Span::styled("waiting for the supervisor…", theme.muted));
    } else {
        let age = now_ms - snap.taken_at_ms;
        if age > STALE_MS {
            right.push(Span::styled(
                format!("snapshot {} old · ", crate::app::format::elapsed(age)),
                theme.tier_warn,
            ));
        }
        let servers_style = if stats.servers_up < stats.servers {
            theme.error
        } else {
            theme.muted
        };
        right.push(Span::styled(
            format!("tick {}ms · ", stats.duration_us / 1000),
            theme.muted,
        ));
        right.push(Span::styled(
            format!("servers {}/{}", stats.servers_up, stats.servers),
            servers_style,
        ));
        if !stats.degraded.is_empty() {
            right.push(Span::styled(
                format!(" · slow poll (one-shot): {}", stats.degraded.join(", ")),
                theme.tier_warn,
            ));
        }
        for h in &stats.unreachable {
            right.push(Span::styled(format!(" · {h}"), theme.error));
        }
        for c in &stats.circuits {
            right.push(Span::styled(format!(" · {}", c.text(now_ms)), theme.error));
        }
        if let Some(err) = &stats.error {
            right.push(Span::styled(format!(" · ✗ {err}"), theme.error));
        }
    }
    right.insert(0, Span::raw("  "));
    right.push(Span::raw(" "));

    let right_line = Line::from(right);
    // The counts keep at least half the line; health takes the rest it needs.
    let left_line = Line::from(left);
    let left_keep = (left_line.width() as u16).min(area.width / 2);
    let right_w = (right_line.width() as u16).min(area.width.saturating_sub(left_keep));
    let left_area = Rect {
        width: area.width.saturating_sub(right_w),
        ..area
    };
    let right_area = Rect {
        x: area.x + left_area.width,
        width: right_w,
        ..area
    };
    frame.render_widget(Paragraph::new(left_line).style(theme.header), left_area);
    frame.render_widget(
        Paragraph::new(right_line.right_aligned()).style(theme.header),
        right_area,
    );
}

/// Key hints for Normal mode: groups of actions whose first keys are shown with their
/// labels (`j/k down/up`). Keys come from the keymap and words from the actions' own
/// labels, so a remap or a rename shows here at once.
const HINTS: &[&[Action]] = &[
    &[Action::ToggleHelp],
    &[Action::MoveDown, Action::MoveUp],
    &[Action::CollapseNode, Action::ExpandNode],
    &[Action::Attach],
    &[Action::Approve],
    &[Action::Deny],
    &[Action::TypeLine],
    &[Action::Nudge],
    &[Action::Retry],
    &[Action::Cancel],
    &[Action::Kill],
    &[Action::TogglePause],
    &[Action::JumpToNeedy],
    &[Action::OpenFilter],
    &[Action::OpenCommand],
    &[Action::ShowExplanation],
    &[Action::OpenLogs],
    &[Action::Quit],
    &[Action::ToggleHistory],
    &[Action::Dismiss, Action::DismissAllEnded],
    &[Action::SearchPane],
    &[Action::CopyPane],
    &[Action::CycleSort],
    &[Action::AddAgent, Action::RemoveAgent],
    &[Action::ShowDiff],
];

/// The hint pairs (keys, label) shown in the footer for the current mode.
pub(super) fn hints(app: &App) -> Vec<(String, String)> {
    let fixed = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, l)| ((*k).to_string(), (*l).to_string()))
            .collect()
    };
    match app.mode() {
        Mode::Normal if app.pane_search().is_some() => {
            let copy = app.keymap().keys_for(Action::CopyPane);
            let mut out = vec![("n/N".to_string(), "next/previous match".to_string())];
            if let Some(k) = copy.first() {
                out.push((k.to_string(), "copy matching lines".to_string()));
            }
            out.push(("esc".to_string(), "end the search".to_string()));
            out
        }
        Mode::Normal => HINTS
            .iter()
            .filter_map(|actions| {
                let (keys, labels): (Vec<String>, Vec<&str>) = actions
                    .iter()
                    .filter_map(|a| {
                        let key = app.keymap().keys_for(*a).first()?.to_string();
                        Some((key, a.label()))
                    })
                    .unzip();
                (!keys.is_empty()).then(|| (keys.join("/"), labels.join("/")))
            })
            .collect(),
        Mode::Filter => fixed(&[("enter", "keep"), ("esc", "clear"), ("ctrl-u", "erase")]),
        Mode::Input { .. } => fixed(&[("enter", "send"), ("esc", "abort"), ("ctrl-u", "erase")]),
        Mode::Confirm { .. } => fixed(&[("y", "yes"), ("n/esc", "no")]),
        Mode::Help => {
            let keys: Vec<String> = [Action::MoveDown, Action::MoveUp]
                .iter()
                .filter_map(|a| {
                    app.help_keymap()
                        .keys_for(*a)
                        .first()
                        .map(std::string::ToString::to_string)
                })
                .collect();
            let mut out: Vec<(String, String)> = Vec::new();
            if !keys.is_empty() {
                out.push((keys.join("/"), "scroll".to_string()));
            }
            out.push(("any other key".to_string(), "close".to_string()));
            out
        }
        Mode::Explain { .. } => fixed(&[("any key", "close")]),
        Mode::Command { .. } => fixed(&[("enter", "run"), ("tab", "complete"), ("esc", "close")]),
        Mode::PaneSearch { .. } => fixed(&[
            ("enter", "search"),
            ("esc", "cancel"),
            ("ctrl-u", "erase"),
            ("capitals", "match case"),
        ]),
        Mode::AddAgent(_) => fixed(&[("tab", "next field"), ("enter", "add"), ("esc", "cancel")]),
        Mode::Remove { .. } => fixed(&[("y", "remove"), ("n/esc", "keep")]),
    }
}

pub(super) fn footer(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, now_ms: i64) {
    let line = match (app.mode(), app.footer_at(now_ms)) {
        (Mode::Filter, _) => {
            let mut spans = vec![
                Span::styled("/", theme.title),
                Span::raw(app.filter_text().to_string()),
                Span::styled("█", theme.muted),
            ];
            if let Some(err) = app.filter_error() {
                spans.push(Span::styled(format!("  {err}"), theme.error));
            } else {
                let used = Line::from(spans.clone()).width();
                let room = usize::from(area.width).saturating_sub(used);
                spans.extend(hint_spans(app, theme, "  ", room));
            }
            Line::from(spans)
        }
        (Mode::Command { text }, _) => command_line(app, text, theme, usize::from(area.width)),
        (Mode::PaneSearch { agent, text }, _) => {
            let mut spans = vec![
                Span::styled(format!("find in {agent}: "), theme.title),
                Span::raw(text.clone()),
                Span::styled("█", theme.muted),
            ];
            let used = Line::from(spans.clone()).width();
            let room = usize::from(area.width).saturating_sub(used);
            spans.extend(hint_spans(app, theme, "  ", room));
            Line::from(spans)
        }
        (Mode::Normal, Some(msg)) => {
            let style = if msg.is_error {
                theme.error
            } else {
                theme.footer
            };
            Line::styled(format!(" {}", msg.text), style)
        }
        _ => Line::from(hint_spans(app, theme, " ", usize::from(area.width))),
    };
    frame.render_widget(Paragraph::new(line).style(theme.footer), area);
}

/// The `:` line being typed, then the completion choices or the last message.
fn command_line<'a>(app: &App, text: &str, theme: &Theme, room: usize) -> Line<'a> {
    let mut spans = vec![
        Span::styled(":", theme.title),
        Span::raw(text.to_string()),
        Span::styled("█", theme.muted),
        Span::raw("  "),
    ];
    if let Some(c) = app.completion() {
        let mut used = Line::from(spans.clone()).width();
        for (i, o) in c.options.iter().enumerate() {
            let w = Span::raw(o.as_str()).width() + 2;
            if used + w > room {
                spans.push(Span::styled("…", theme.muted));
                break;
            }
            used += w;
            let style = if Some(i) == c.index {
                theme.selection
            } else {
                theme.muted
            };
            spans.push(Span::styled(o.clone(), style));
            spans.push(Span::raw("  "));
        }
    } else if let Some(msg) = app.footer() {
        let style = if msg.is_error {
            theme.error
        } else {
            theme.footer
        };
        spans.push(Span::styled(msg.text.clone(), style));
    } else {
        let used = Line::from(spans.clone()).width();
        spans.extend(hint_spans(app, theme, "", room.saturating_sub(used)));
    }
    Line::from(spans)
}

/// The notices that stay until their cause goes away, one line each.
pub(super) fn notices(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let lines: Vec<Line> = app
        .notices()
        .into_iter()
        .take(usize::from(area.height))
        .map(|n| {
            let style = if n.is_error {
                theme.error
            } else {
                theme.needs_input
            };
            let mark = if n.is_error { " ✗ " } else { " ▸ " };
            Line::styled(format!("{mark}{}", n.text), style)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

/// Hints that fit in `room` columns, whole: a hint cut in half reads as a wrong key.
fn hint_spans<'a>(app: &App, theme: &Theme, lead: &'a str, room: usize) -> Vec<Span<'a>> {
    let mut used = lead.len();
    let mut spans = vec![Span::raw(lead)];
    for (keys, label) in hints(app) {
        let label = format!(" {label}  ");
        let w = Span::raw(keys.as_str()).width() + Span::raw(label.as_str()).width();
        if used + w > room + 2 {
            break;
        }
        used += w;
        spans.push(Span::styled(keys, theme.title));
        spans.push(Span::styled(label, theme.footer));
    }
    spans
}
