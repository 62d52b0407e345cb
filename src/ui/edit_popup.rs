//! The add form (`N`) and the removal question (`D`), drawn over the panels.

use super::tree::{clip, width};
use crate::app::fleet_edit::AddForm;
use crate::fleet::draft::Field;
use crate::theme::Theme;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;

/// What each field takes, shown beside it while it is empty.
fn placeholder(f: Field) -> &'static str {
    match f {
        Field::Name => "letters, digits, - and _",
        Field::Kind => "claude, codex, aider, gemini, shell… (empty: guessed)",
        Field::Command => "the command line, e.g. claude",
        Field::Cwd => "start directory (empty: where shoal runs)",
        Field::Task => "first message (optional)",
        Field::Worktree => "yes, a branch name, or empty for none",
    }
}

pub(super) fn add_form(frame: &mut Frame, area: Rect, form: &AddForm, theme: &Theme) {
    let w = area.width.saturating_sub(8).min(100);
    let room = usize::from(w.saturating_sub(14));
    let mut lines = Vec::new();
    for (i, f) in Field::ALL.iter().enumerate() {
        let focused = i == form.focus;
        let value = &form.values[i];
        let label_style = if focused {
            theme.selection
        } else {
            theme.title
        };
        let mut spans = vec![
            Span::styled(format!(" {:<9}", f.label()), label_style),
            Span::raw(" "),
        ];
        if value.is_empty() && !focused {
            spans.push(Span::styled(clip(placeholder(*f), room), theme.muted));
        } else {
            // Keep the end of a long value in view, where the cursor is.
            let chars: Vec<char> = value.chars().collect();
            let mut start = chars.len();
            let mut used = 0;
            while start > 0 && used + width(&chars[start - 1].to_string()) < room {
                used += width(&chars[start - 1].to_string());
                start -= 1;
            }
            spans.push(Span::raw(chars[start..].iter().collect::<String>()));
            if focused {
                spans.push(Span::styled("█", theme.muted));
            }
        }
        if form.error.as_ref().is_some_and(|(at, _)| *at == Some(*f)) {
            spans.push(Span::styled(" ✗", theme.error));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::raw(""));
    match &form.error {
        Some((_, e)) => lines.push(Line::styled(format!(" {e}"), theme.error)),
        None => lines.push(Line::styled(
            " written to the fleet file with its comments kept, then started",
            theme.muted,
        )),
    }
    lines.push(Line::styled(
        clip(
            " tab/↓ next · shift-tab/↑ previous · enter adds · esc cancels",
            room + 12,
        ),
        theme.muted,
    ));
    let rect = super::popup_frame::centred(area, w, lines.len() as u16 + 4);
    super::popup_frame::popup(frame, rect, " add an agent ".to_string(), lines, theme);
}

pub(super) fn remove(
    frame: &mut Frame,
    area: Rect,
    agent: &str,
    branch: Option<&str>,
    live: bool,
    theme: &Theme,
) {
    let mut text = Vec::new();
    if live {
        text.push("Its attempt is killed first (as K does); once it has ended,".to_string());
    }
    text.push(format!(
        "{agent}'s [[agent]] block leaves the fleet file; every other line stays as it is."
    ));
    if let Some(b) = branch {
        text.push(format!(
            "Its git worktree (branch {b}) is deleted, unless it has uncommitted changes; the branch stays."
        ));
    }
    let mut lines: Vec<Line> = text.iter().map(|t| Line::raw(format!(" {t}"))).collect();
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled(" y", theme.title),
        Span::raw(" remove   "),
        Span::styled("n", theme.title),
        Span::raw(" keep"),
    ]));
    let widest = text.iter().map(|t| width(t)).max().unwrap_or(0) as u16;
    let w = (widest + 4).max(30).min(area.width.saturating_sub(4));
    let rect = super::popup_frame::centred(area, w, lines.len() as u16 + 4);
    super::popup_frame::popup(frame, rect, format!(" remove {agent}? "), lines, theme);
}
