//! Composes one full screen of the simulated agent from its transcript and bottom block.
//!
//! The layout copies Claude Code 2.x as tmux captures it: the output grows from the top
//! of the pane (no alternate screen), every transcript entry is preceded by a blank line,
//! and the input box (or a permission dialog) sits right under the last entry. When the
//! content is taller than the pane only its tail is shown, as a scrolled terminal would.

use super::text;
use super::text::{Entry, TLine, GREY};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

/// Which hint the footer under the input box shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Footer {
    /// At the prompt: `? for shortcuts`.
    Idle,
    /// A request is in flight: `esc to interrupt`.
    Busy,
    /// Ctrl-C was pressed once.
    CtrlC,
    /// No hint: right after an interrupt handed the task back to the input box.
    Empty,
}

/// What sits under the transcript.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bottom<'a> {
    /// The input box with what has been typed so far.
    Prompt { input: &'a str, footer: Footer },
    /// The Bash permission dialog; `dir` is the project folder name it offers to allow.
    Dialog { dir: &'a str, ctrl_c: bool },
}

/// Everything one frame is made of.
pub(crate) struct View<'a> {
    pub banner: &'a [TLine],
    pub transcript: &'a [Entry],
    pub busy: Option<TLine>,
    pub bottom: Bottom<'a>,
}

const RULE: Color = Color::Indexed(244);
const DIALOG: Color = Color::Indexed(153);

/// Builds exactly the rows to show on a `width`×`height` screen (fewer when the content is
/// shorter than the screen: the rest of the pane stays blank).
pub(crate) fn compose(view: &View, width: u16, height: u16) -> Vec<Line<'static>> {
    let width = usize::from(width.max(1));
    let height = usize::from(height.max(1));
    // Built bottom-up so a long transcript costs only the rows that are visible.
    let mut rows = bottom_rows(&view.bottom, width);
    rows.reverse();
    if let Some(busy) = &view.busy {
        push_block_rev(&mut rows, std::slice::from_ref(busy), width);
    }
    for entry in view.transcript.iter().rev() {
        if rows.len() >= height {
            break;
        }
        push_block_rev(&mut rows, entry, width);
    }
    if rows.len() < height {
        rows.push(Line::default());
        for line in view.banner.iter().rev() {
            rows.extend(wrap(line, width).into_iter().rev());
        }
    }
    rows.truncate(height);
    rows.reverse();
    rows
}

/// Adds a blank separator and then the block, both in reverse row order.
fn push_block_rev(rows: &mut Vec<Line<'static>>, block: &[TLine], width: usize) {
    for line in block.iter().rev() {
        rows.extend(wrap(line, width).into_iter().rev());
    }
    rows.push(Line::default());
}

fn bottom_rows(bottom: &Bottom, width: usize) -> Vec<Line<'static>> {
    let mut rows = vec![Line::default()];
    match bottom {
        Bottom::Prompt { input, footer } => {
            rows.push(rule(width, RULE));
            let prompt = TLine::new(
                vec![
                    Span::raw(format!("{}{input}", text::PROMPT)),
                    Span::styled(" ", Style::new().add_modifier(Modifier::REVERSED)),
                ],
                2,
            );
            rows.extend(wrap(&prompt, width));
            rows.push(rule(width, RULE));
            rows.push(footer_row(*footer, width));
        }
        Bottom::Dialog { dir, ctrl_c } => {
            rows.push(rule(width, DIALOG));
            for line in dialog_lines(dir, *ctrl_c) {
                rows.extend(wrap(&line, width));
            }
        }
    }
    // Claude Code keeps the last row of the pane blank under its bottom block.
    rows.push(Line::default());
    rows
}

fn rule(width: usize, color: Color) -> Line<'static> {
    Line::from(Span::styled(
        text::RULE.repeat(width),
        Style::new().fg(color),
    ))
}

fn footer_row(footer: Footer, width: usize) -> Line<'static> {
    let left = match footer {
        Footer::Idle => text::FOOTER_IDLE,
        Footer::Busy => text::FOOTER_BUSY,
        Footer::CtrlC => text::FOOTER_CTRL_C,
        Footer::Empty => return Line::default(),
    };
    let grey = Style::new().fg(GREY);
    let mut spans = vec![Span::styled(format!("  {left}"), grey)];
    let used = 2 + Span::raw(left).width();
    let right = Span::raw(text::FOOTER_RIGHT).width();
    // Claude Code keeps a two-cell right margin and drops the effort badge when the pane
    // is too narrow for both.
    if used + 2 + right + 2 <= width {
        spans.push(Span::raw(" ".repeat(width - used - right - 2)));
        spans.push(Span::styled(text::FOOTER_RIGHT, grey));
    }
    Line::from(spans)
}

fn dialog_lines(dir: &str, ctrl_c: bool) -> Vec<TLine> {
    let bold_blue = Style::new().fg(DIALOG).add_modifier(Modifier::BOLD);
    let grey = Style::new().fg(GREY);
    let blank = || TLine::new(Vec::new(), 0);
    let hint = if ctrl_c {
        text::FOOTER_CTRL_C
    } else {
        text::DIALOG_HINT
    };
    vec![
        TLine::new(
            vec![Span::raw(" "), Span::styled("Bash command", bold_blue)],
            1,
        ),
        blank(),
        TLine::new(vec![Span::raw(format!("   {}", text::MOCK_COMMAND))], 3),
        TLine::new(
            vec![Span::raw("   "), Span::styled(text::MOCK_PURPOSE, grey)],
            3,
        ),
        blank(),
        TLine::new(vec![Span::raw(format!(" {}", text::DIALOG_QUESTION))], 1),
        TLine::new(
            vec![
                Span::raw(" "),
                Span::styled("❯", Style::new().fg(DIALOG)),
                Span::raw(" "),
                Span::styled("1.", grey),
                Span::raw(" "),
                Span::styled("Yes", Style::new().fg(DIALOG)),
            ],
            6,
        ),
        TLine::new(
            vec![
                Span::raw("   "),
                Span::styled("2.", grey),
                Span::raw(" Yes, and always allow access to "),
                Span::styled(dir.to_string(), Style::new().add_modifier(Modifier::BOLD)),
                Span::raw("/ from this project"),
            ],
            6,
        ),
        TLine::new(
            vec![Span::raw("   "), Span::styled("3.", grey), Span::raw(" No")],
            6,
        ),
        blank(),
        TLine::new(vec![Span::raw(" "), Span::styled(hint, grey)], 1),
    ]
}

/// The display width of one character (wide CJK characters take two cells).
fn char_width(c: char) -> usize {
    if c.is_ascii() {
        usize::from(!c.is_ascii_control())
    } else {
        let mut buf = [0u8; 4];
        Span::raw(&*c.encode_utf8(&mut buf)).width()
    }
}

/// Word-wraps one logical line into screen rows of at most `width` cells.
pub(crate) fn wrap(line: &TLine, width: usize) -> Vec<Line<'static>> {
    let cells: Vec<(char, Style)> = line
        .spans
        .iter()
        .flat_map(|s| s.content.chars().map(move |c| (c, s.style)))
        .collect();
    let indent = usize::from(line.indent).min(width.saturating_sub(1));
    let mut rows: Vec<Vec<(char, Style)>> = vec![Vec::new()];
    let mut used = 0;
    let mut i = 0;
    while i < cells.len() {
        let is_space = cells[i].0 == ' ';
        let mut j = i;
        while j < cells.len() && (cells[j].0 == ' ') == is_space {
            j += 1;
        }
        let token = &cells[i..j];
        let token_width: usize = token.iter().map(|(c, _)| char_width(*c)).sum();
        if used + token_width <= width {
            push_cells(&mut rows, &mut used, token);
        } else if is_space {
            // Spaces at a wrap point are dropped, as a terminal word-wrapper does.
            new_row(&mut rows, &mut used, indent);
        } else {
            if used > indent && token_width <= width - indent {
                new_row(&mut rows, &mut used, indent);
            }
            for cell in token {
                let w = char_width(cell.0);
                if used + w > width && used > indent {
                    new_row(&mut rows, &mut used, indent);
                }
                push_cells(&mut rows, &mut used, std::slice::from_ref(cell));
            }
        }
        i = j;
    }
    rows.into_iter().map(cells_to_line).collect()
}

fn push_cells(rows: &mut [Vec<(char, Style)>], used: &mut usize, cells: &[(char, Style)]) {
    if let Some(row) = rows.last_mut() {
        row.extend_from_slice(cells);
    }
    *used += cells.iter().map(|(c, _)| char_width(*c)).sum::<usize>();
}

fn new_row(rows: &mut Vec<Vec<(char, Style)>>, used: &mut usize, indent: usize) {
    rows.push(vec![(' ', Style::new()); indent]);
    *used = indent;
}

fn cells_to_line(cells: Vec<(char, Style)>) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut current = String::new();
    let mut style = Style::new();
    for (c, s) in cells {
        if s != style && !current.is_empty() {
            spans.push(Span::styled(std::mem::take(&mut current), style));
        }
        style = s;
        current.push(c);
    }
    if !current.is_empty() {
        spans.push(Span::styled(current, style));
    }
    Line::from(spans)
}

/// The plain text of a frame, one string per row with trailing blanks trimmed, the way
/// `tmux capture-pane -p` shows it.
#[cfg(test)]
pub(crate) fn plain(rows: &[Line]) -> Vec<String> {
    rows.iter()
        .map(|l| {
            let s: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            s.trim_end_matches(' ').to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::text::GREEN;

    fn raw(s: &str, indent: u16) -> TLine {
        TLine::new(vec![Span::raw(s.to_string())], indent)
    }

    fn texts(rows: Vec<Line>) -> Vec<String> {
        plain(&rows)
    }

    #[test]
    fn wrap_breaks_at_words_with_a_hanging_indent() {
        let line = raw(
            "   2. Yes, and always allow access to claude-w60/ from this project",
            6,
        );
        assert_eq!(
            texts(wrap(&line, 60)),
            vec![
                "   2. Yes, and always allow access to claude-w60/ from this",
                "      project"
            ]
        );
    }

    #[test]
    fn wrap_splits_a_word_longer_than_the_row() {
        let line = raw("● abcdefghij", 2);
        assert_eq!(texts(wrap(&line, 6)), vec!["● abcd", "  efgh", "  ij"]);
    }

    #[test]
    fn wrap_counts_wide_characters_as_two_cells() {
        let line = raw("漢字漢字", 0);
        assert_eq!(texts(wrap(&line, 4)), vec!["漢字", "漢字"]);
    }

    #[test]
    fn wrap_keeps_styles_per_character() {
        let line = TLine::new(
            vec![Span::styled("ab", Style::new().fg(GREEN)), Span::raw(" cd")],
            0,
        );
        let rows = wrap(&line, 80);
        assert_eq!(rows[0].spans[0].content, "ab");
        assert_eq!(rows[0].spans[0].style.fg, Some(GREEN));
        assert_eq!(rows[0].spans[1].content, " cd");
    }

    #[test]
    fn a_tall_transcript_shows_its_tail_and_keeps_the_input_box() {
        let entries: Vec<Entry> = (0..100)
            .map(|i| vec![raw(&format!("● line {i}"), 2)])
            .collect();
        let banner = [raw("banner", 0)];
        let view = View {
            banner: &banner,
            transcript: &entries,
            busy: None,
            bottom: Bottom::Prompt {
                input: "",
                footer: Footer::Idle,
            },
        };
        let rows = texts(compose(&view, 40, 10));
        assert_eq!(rows.len(), 10);
        assert_eq!(rows[3], "● line 99");
        assert_eq!(rows[1], "● line 98");
        assert_eq!(rows[6], "❯\u{a0}");
        assert!(rows[8].starts_with("  ? for shortcuts"), "{rows:?}");
        assert_eq!(rows[9], "", "the last row stays blank, as in Claude Code");
    }

    #[test]
    fn the_footer_drops_the_effort_badge_when_narrow() {
        let wide = texts(vec![footer_row(Footer::Idle, 200)]);
        // Same columns as the real capture: badge ends two cells before the edge.
        assert_eq!(
            wide[0],
            format!(
                "  ? for shortcuts · ← for agents{}● high · /effort",
                " ".repeat(150)
            )
        );
        let narrow = texts(vec![footer_row(Footer::Idle, 40)]);
        assert_eq!(narrow[0], "  ? for shortcuts · ← for agents");
    }
}
