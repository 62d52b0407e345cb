//! The fleet tree panel: one row per agent with its status, ladder and progress columns.

use super::chrome::{activity_style, glyph};
use crate::app::format::{
    activity_word, elapsed, remaining, since_progress, tier_text, waiting_text,
};
use crate::app::{needs_operator, App, TreeRow};
use crate::fleet::{AgentView, LifeState, Tier};
use crate::theme::Theme;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

/// The status columns after the name, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Activity,
    Ladder,
    State,
    Quiet,
    Cost,
    Kind,
    Note,
}

impl Col {
    const ALL: [Col; 7] = [
        Col::Activity,
        Col::Ladder,
        Col::State,
        Col::Quiet,
        Col::Cost,
        Col::Kind,
        Col::Note,
    ];

    fn title(self) -> &'static str {
        match self {
            Col::Activity => "activity",
            Col::Ladder => "ladder",
            Col::State => "state",
            Col::Quiet => "quiet",
            Col::Cost => "cost",
            Col::Kind => "kind",
            Col::Note => "note",
        }
    }

    /// Widest a column may grow, so one odd value cannot push the others off screen.
    fn cap(self) -> usize {
        match self {
            Col::Ladder => 26,
            // `working (no progress)` whole.
            Col::Activity => 21,
            Col::Kind => 10,
            Col::Note => 40,
            _ => 12,
        }
    }
}

/// Pick the columns that fit in `room`, most important first, and return them in display
/// order. Activity and ladder come first and are cut rather than dropped where they can
/// both be read; too narrow for both, the ladder stays (the glyph still shows the
/// activity). The note takes what is left over, cut, and never pushes the state out.
fn choose_columns(all: &[Cells], room: usize, theme: &Theme) -> Vec<(Col, usize)> {
    // Cost goes last but one: a narrow tree drops the note, then the kind, then the cost.
    const REST: [Col; 5] = [Col::State, Col::Quiet, Col::Cost, Col::Kind, Col::Note];
    /// Narrowest a cut column may be and still say something.
    const MIN_CUT: usize = 8;
    /// Narrowest useful activity (`working`, `errored`) and ladder (`nudge in 42s`).
    const MIN_ACTIVITY: usize = 7;
    const MIN_LADDER: usize = 12;
    let want = |c: Col| {
        let widest = all
            .iter()
            .map(|cell| width(cell.get(c, theme).0))
            .max()
            .unwrap_or(0);
        // No usage known anywhere (a kind without a source, a fresh fleet): no column.
        if c == Col::Cost && widest == 0 {
            return 0;
        }
        widest.min(c.cap()).max(width(c.title()))
    };
    let (act, lad) = (want(Col::Activity), want(Col::Ladder));
    let mut picked: Vec<(Col, usize)> = Vec::new();
    let mut left = room;
    if act + 1 + lad < room {
        picked.extend([(Col::Activity, act), (Col::Ladder, lad)]);
        left -= 2 + act + lad;
    } else {
        let act_w = act.min(room.saturating_sub(2 + MIN_LADDER));
        if act_w >= MIN_ACTIVITY {
            picked.push((Col::Activity, act_w));
            left -= 1 + act_w;
        }
        if left > MIN_CUT {
            picked.push((Col::Ladder, lad.min(left - 1)));
        }
        left = 0;
    }
    for c in REST {
        let w = want(c);
        if w == 0 {
            continue;
        }
        if w < left {
            picked.push((c, w));
            left -= 1 + w;
        } else if c == Col::Note && left > MIN_CUT {
            picked.push((c, left - 1));
            left = 0;
        }
    }
    picked.sort_by_key(|(c, _)| Col::ALL.iter().position(|x| x == c));
    picked
}

/// Names are cut to this many columns so the status columns stay on screen.
const MAX_NAME: usize = 32;

/// The text and style of one row's status columns.
struct Cells<'a> {
    activity: (&'static str, Style),
    ladder: (String, Style),
    state: (&'static str, Style),
    quiet: String,
    cost: String,
    kind: &'a str,
    note: (String, Style),
}

impl Cells<'_> {
    fn get(&self, c: Col, theme: &Theme) -> (&str, Style) {
        match c {
            Col::Activity => self.activity,
            Col::Ladder => (&self.ladder.0, self.ladder.1),
            Col::State => self.state,
            Col::Quiet => (&self.quiet, theme.muted),
            Col::Cost => (&self.cost, theme.muted),
            Col::Kind => (self.kind, theme.muted),
            Col::Note => (&self.note.0, self.note.1),
        }
    }
}

fn cells<'a>(row: &TreeRow, app: &'a App, theme: &Theme, now_ms: i64) -> Cells<'a> {
    let agents = &app.snapshot().agents;
    let a = &agents[row.index];
    // A folded parent speaks for its hidden subtree: it wears the worst state below it.
    let shown = if row.collapsed { &agents[row.worst] } else { a };
    let word = activity_word(shown, now_ms);
    let activity_style = match word {
        "quiet" => theme.idle,
        "working (no progress)" => theme.tier_nudge,
        _ if shown.state.is_ended() => theme.muted,
        _ => activity_style(shown.activity, theme),
    };
    let ladder = if a.state.is_ended() && a.lineage.attempt_of.is_none() {
        let style = if needs_operator(a) {
            theme.errored
        } else {
            theme.muted
        };
        (app.ending(a, now_ms), style)
    } else if let Some(text) = waiting_text(a, now_ms) {
        (text, theme.idle)
    } else {
        ladder(a, theme, now_ms)
    };
    Cells {
        activity: (word, activity_style),
        ladder,
        state: (a.state.as_str(), state_style(a.state, theme)),
        quiet: since_progress(a, now_ms),
        // A parent's row shows its whole subtree's usage; a leaf's subtree is itself.
        cost: a.usage.subtree.label(),
        kind: &a.kind,
        note: (
            a.note_at(now_ms),
            if a.lineage.held {
                theme.needs_input
            } else {
                theme.muted
            },
        ),
    }
}

pub(super) fn tree(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, now_ms: i64) {
    let total = app
        .snapshot()
        .agents
        .iter()
        .filter(|a| a.lineage.attempt_of.is_none())
        .count();
    let shown = app.rows().iter().filter(|r| r.matched).count();
    let mut title = match app.filter_text().trim() {
        _ if total == 0 => " fleet · no agents yet ".to_string(),
        "" => format!(" fleet · {total} agents "),
        f => format!(" fleet · {shown}/{total} match /{f} "),
    };
    if app.sort_key() != crate::app::SortKey::Fleet {
        title.push_str(&format!("· by {} ", app.sort_key().label()));
    }
    let block = Block::bordered()
        .border_style(theme.border)
        .title(Span::styled(title, theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let room = usize::from(inner.width);
    let agents = &app.snapshot().agents;
    let rows = app.rows();
    // Column widths come from every row, not just the visible ones, so they hold still
    // while scrolling.
    let all: Vec<Cells> = rows.iter().map(|r| cells(r, app, theme, now_ms)).collect();
    let name_w = rows
        .iter()
        .map(|r| lead_width(r, &agents[r.index]))
        .max()
        .unwrap_or(4)
        .min(room * 45 / 100)
        .max(4);
    let cols = choose_columns(&all, room.saturating_sub(1 + name_w), theme);
    let mut lines = Vec::with_capacity(usize::from(inner.height));
    let mut head = vec![
        Span::raw(" "),
        Span::styled(pad("agent", name_w), theme.muted),
    ];
    for (c, w) in &cols {
        head.push(Span::styled(
            format!(" {}", pad(c.title(), *w)),
            theme.muted,
        ));
    }
    lines.push(Line::from(head));

    let height = usize::from(inner.height) - 1;
    let offset = app.tree_offset(height);
    let selected = app.selected_row();
    for (pos, row) in rows.iter().enumerate().skip(offset).take(height) {
        let mut line = row_line(row, agents, &all[pos], theme, name_w, &cols);
        if Some(pos) == selected {
            let fill = room.saturating_sub(line.width());
            line.spans.push(Span::raw(" ".repeat(fill)));
            line = line.patch_style(theme.selection);
        }
        lines.push(line);
    }
    if rows.is_empty() && total > 0 {
        let text = if app.filter_text().trim().is_empty() && !app.show_history() {
            " no live agents; H shows the history"
        } else {
            " no agent matches the filter; esc clears it"
        };
        lines.push(Line::styled(text, theme.muted));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Width of everything before the status columns: guides, fold, glyph, name, suffixes.
fn lead_width(row: &TreeRow, a: &AgentView) -> usize {
    let fold_and_glyph = 4;
    width(&row.guide) + fold_and_glyph + width(&a.name).min(MAX_NAME) + width(&suffix(row, a))
}

fn suffix(row: &TreeRow, a: &AgentView) -> String {
    let mut s = String::new();
    // An ended attempt's row already carries its number in its name.
    if a.attempt > 1 && a.lineage.attempt_of.is_none() {
        s.push_str(&format!(" #{}", a.attempt));
    }
    if a.lineage.removed {
        s.push_str(" (removed)");
    }
    if row.collapsed {
        s.push_str(&format!(" +{}", row.hidden));
    }
    s
}

fn row_line<'a>(
    row: &TreeRow,
    agents: &[AgentView],
    cells: &Cells,
    theme: &Theme,
    name_w: usize,
    cols: &[(Col, usize)],
) -> Line<'a> {
    let a = &agents[row.index];
    let shown = if row.collapsed { &agents[row.worst] } else { a };
    let alert = needs_operator(shown);
    let fold = match (row.has_children, row.collapsed, row.depth) {
        (true, true, _) => "▸ ",
        (true, false, _) => "▾ ",
        (false, _, 0) => "  ",
        (false, _, _) => "─ ",
    };
    // An ended attempt is dimmed; its `!` and state still say when it needs the operator.
    let name_style = match () {
        () if !row.matched || a.state.is_ended() => theme.muted,
        () if alert => alert_style(shown, theme),
        () => Style::new(),
    };
    let name_room = name_w.saturating_sub(width(&row.guide) + 4);
    let label = clip(&format!("{}{}", a.name, suffix(row, a)), name_room);
    let mut spans = vec![
        Span::styled(if alert { "!" } else { " " }, alert_style(shown, theme)),
        Span::styled(row.guide.clone(), theme.muted),
        Span::styled(fold, theme.muted),
        Span::styled(format!("{} ", glyph(shown.activity)), cells.activity.1),
        Span::styled(pad(&label, name_room), name_style),
    ];
    for &(c, w) in cols {
        let (text, style) = cells.get(c, theme);
        spans.push(Span::raw(" "));
        spans.push(Span::styled(pad(&clip(text, w), w), style));
    }
    Line::from(spans)
}

/// The ladder column: tier and countdown, or the error and its reset time when the
/// agent shows one and the ladder is quiet.
fn ladder(a: &AgentView, theme: &Theme, now_ms: i64) -> (String, Style) {
    let text = tier_text(a, now_ms);
    if text.is_empty() {
        if let Some(err) = a.error {
            let reset = a.reset_at_ms.map(|t| match t - now_ms {
                left if left > 0 => format!(" · resets in {}", remaining(left)),
                late => format!(" · reset {} ago", elapsed(-late)),
            });
            return (format!("{err}{}", reset.unwrap_or_default()), theme.errored);
        }
    }
    let style = match a.tier {
        Tier::Ok if a.paused => theme.tier_nudge,
        Tier::Ok => theme.muted,
        Tier::Nudge => theme.tier_nudge,
        Tier::Warn => theme.tier_warn,
        Tier::Kill => theme.tier_kill,
    };
    (text, style)
}

fn alert_style(a: &AgentView, theme: &Theme) -> Style {
    match a.activity {
        crate::fleet::Activity::NeedsInput => theme.needs_input,
        crate::fleet::Activity::Errored => theme.errored,
        _ if a.tier >= Tier::Kill => theme.tier_kill,
        _ if a.tier >= Tier::Warn => theme.tier_warn,
        // Waiting for work: its `!` says so without the colour of trouble.
        crate::fleet::Activity::Idle => theme.idle,
        _ if needs_operator(a) => theme.errored,
        _ => Style::new(),
    }
}

fn state_style(s: LifeState, theme: &Theme) -> Style {
    match s {
        LifeState::Failed | LifeState::Killed | LifeState::Lost => theme.errored,
        LifeState::Done | LifeState::Cancelled => theme.exited,
        LifeState::Queued | LifeState::Starting => theme.muted,
        LifeState::Running => Style::new(),
    }
}

/// Cut text to `w` display columns, marking the cut with `…`.
pub(super) fn clip(s: &str, w: usize) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    let mut buf = [0u8; 4];
    for c in s.chars() {
        let cw = width(c.encode_utf8(&mut buf));
        if used + cw + 1 > w {
            break;
        }
        used += cw;
        out.push(c);
    }
    if w > 0 {
        out.push('…');
    }
    out
}

/// Left-align text in `w` display columns.
pub(super) fn pad(s: &str, w: usize) -> String {
    let fill = w.saturating_sub(width(s));
    format!("{s}{}", " ".repeat(fill))
}

/// Display width of text in terminal columns.
pub(super) fn width(s: &str) -> usize {
    Span::raw(s).width()
}
