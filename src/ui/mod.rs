//! Drawing the console. `draw` is a pure function of the app state, the theme and the
//! clock: no I/O and no locks, so a frame can be rendered into a test buffer. The loop
//! that reads the terminal and feeds the state is the console host (the `console` module).

mod chrome;
mod clock;
mod diff;
mod edit_popup;
mod logs;
mod pane;
mod popup;
mod popup_frame;
mod tree;

pub use crate::app::layout::{areas, regions, Areas};
pub use chrome::same_picture;
pub use clock::next_change;
pub use pane::PaneCache;

use crate::app::App;
use crate::theme::Theme;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

/// Narrowest terminal the console draws in: a tree and a pane view side by side need it.
pub const MIN_WIDTH: u16 = 60;
/// Shortest terminal the console draws in: header, footer and a few rows of each panel.
pub const MIN_HEIGHT: u16 = 15;

/// Most rows notices take above the footer.
pub const MAX_NOTICES: u16 = 3;

/// Draw one frame of the console.
pub fn draw(frame: &mut Frame, app: &App, theme: &Theme, now_ms: i64) {
    draw_cached(frame, app, theme, now_ms, &mut PaneCache::default());
}

/// Draw one frame, reusing the selected pane's parsed capture from `cache` while the
/// capture is unchanged: parsing a full screen of ANSI text is most of a frame's cost.
pub fn draw_cached(
    frame: &mut Frame,
    app: &App,
    theme: &Theme,
    now_ms: i64,
    cache: &mut PaneCache,
) {
    let area = frame.area();
    // The theme's page first: a theme for light backgrounds paints its own, so every
    // panel, gap and popup sits on it rather than on the terminal's background.
    frame.render_widget(Block::new().style(theme.body), area);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return too_small(frame, area, theme);
    }
    // Notices (config problems, a changed fleet file) take rows above the footer.
    let banner_h = (app.notices().len() as u16).min(MAX_NOTICES);
    let mut a = areas(Rect {
        height: area.height - banner_h,
        ..area
    });
    let banner = Rect {
        height: banner_h,
        ..a.footer
    };
    a.footer.y += banner_h;
    if let Some(v) = app.logs_view() {
        // The browser takes the whole body; the header keeps the fleet in view.
        chrome::header(frame, a.header, app, theme, now_ms);
        let body = Rect {
            y: a.header.bottom(),
            height: a.footer.y.saturating_sub(a.header.bottom()),
            ..area
        };
        logs::body(frame, body, app, v, theme, now_ms);
        logs::footer(frame, a.footer, v, theme);
        popup::overlay(frame, area, app, theme, now_ms);
        return;
    }
    chrome::header(frame, a.header, app, theme, now_ms);
    if let Some(v) = app.diff_view() {
        // The diff takes the body as the log browser does.
        let body = Rect {
            y: a.header.bottom(),
            height: a.footer.y.saturating_sub(a.header.bottom()),
            ..area
        };
        diff::body(frame, body, v, theme);
        diff::footer(frame, a.footer, theme);
        popup::overlay(frame, area, app, theme, now_ms);
        return;
    }
    if app.zoomed() {
        // Zoomed: the pane view takes the tree's and the events' room.
        let body = Rect {
            y: a.header.bottom(),
            height: a.tree.height,
            ..area
        };
        pane::pane(frame, body, app, theme, now_ms, cache);
    } else {
        tree::tree(frame, a.tree, app, theme, now_ms);
        pane::pane(frame, a.pane, app, theme, now_ms, cache);
        pane::events(frame, a.events, app, theme);
    }
    if banner_h > 0 {
        chrome::notices(frame, banner, app, theme);
    }
    chrome::footer(frame, a.footer, app, theme, now_ms);
    popup::overlay(frame, area, app, theme, now_ms);
}

fn too_small(frame: &mut Frame, area: Rect, theme: &Theme) {
    let lines = vec![
        Line::styled(
            format!("terminal too small ({}x{})", area.width, area.height),
            theme.error,
        ),
        Line::raw(format!("need at least {MIN_WIDTH}x{MIN_HEIGHT}")),
        Line::styled("enlarge it, or press q to quit", theme.muted),
    ];
    let top = area.height.saturating_sub(lines.len() as u16) / 2;
    let body = Rect {
        y: area.y + top,
        height: area.height - top,
        ..area
    };
    frame.render_widget(
        Paragraph::new(lines)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        body,
    );
}
