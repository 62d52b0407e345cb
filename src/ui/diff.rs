//! The diff view (`v`): the stat, the untracked files and the diff of the selected
//! agent's directory, scrolled with the movement keys; added lines in the working
//! colour, removed lines in the error colour.

use super::tree::clip;
use crate::app::fleet_edit::DiffView;
use crate::theme::Theme;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

/// Key hints of the view.
const HINTS: &[(&str, &str)] = &[
    ("j/k", "line"),
    ("pgup/pgdn", "page"),
    ("g/G", "top/end"),
    ("r", "again"),
    ("v/esc", "close"),
];

/// The view in the body of the screen.
pub(super) fn body(frame: &mut Frame, area: Rect, v: &DiffView, theme: &Theme) {
    let mut title = format!(" diff · {} · {} ", v.agent, v.dir);
    let rows = usize::from(area.height.saturating_sub(2));
    let lines: Vec<Line> = match &v.lines {
        None => {
            title.push_str("· computing… ");
            Vec::new()
        }
        Some(Err(e)) => vec![Line::styled(format!(" {e}"), theme.error)],
        Some(Ok(all)) => {
            if !all.is_empty() {
                let last = (v.scroll + rows).min(all.len());
                title.push_str(&format!(
                    "· lines {}–{last} of {} ",
                    v.scroll + 1,
                    all.len()
                ));
            }
            let room = usize::from(area.width.saturating_sub(2));
            all.iter()
                .skip(v.scroll)
                .take(rows)
                .map(|l| {
                    let style = if l.starts_with("+++") || l.starts_with("---") {
                        theme.title
                    } else if l.starts_with('+') {
                        theme.working
                    } else if l.starts_with('-') {
                        theme.error
                    } else if l.starts_with("@@") || l.starts_with("diff --git") {
                        theme.needs_input
                    } else {
                        ratatui::style::Style::default()
                    };
                    Line::styled(clip(&l.replace('\t', "    "), room), style)
                })
                .collect()
        }
    };
    let block = Block::bordered()
        .border_style(theme.border)
        .title(Span::styled(title, theme.title));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The view's key hints.
pub(super) fn footer(frame: &mut Frame, area: Rect, theme: &Theme) {
    let mut spans = vec![Span::raw(" ")];
    for (k, l) in HINTS {
        spans.push(Span::styled(*k, theme.title));
        spans.push(Span::styled(format!(" {l}  "), theme.footer));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.footer), area);
}
