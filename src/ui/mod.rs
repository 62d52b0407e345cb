//! Drawing the console. `draw` is a pure function of the app state, the theme and the
//! clock: no I/O and no locks, so a frame can be rendered into a test buffer.

mod chrome;
pub mod live;
mod logs;
mod pane;
mod popup;
pub mod run;
mod tree;

pub use live::{Live, LiveIo};
pub use run::{run_console, ConsoleIo};

use crate::app::{App, Regions};
use crate::theme::Theme;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

/// Narrowest terminal the console draws in: a tree and a pane view side by side need it.
pub const MIN_WIDTH: u16 = 60;
/// Shortest terminal the console draws in: header, footer and a few rows of each panel.
pub const MIN_HEIGHT: u16 = 15;

/// Most rows notices take above the footer.
pub const MAX_NOTICES: u16 = 3;

/// Where each part of the console goes on a screen of a given size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    /// Fleet name, counts, supervisor health.
    pub header: Rect,
    /// The fleet tree panel.
    pub tree: Rect,
    /// The selected agent's capture.
    pub pane: Rect,
    /// The selected agent's recent events.
    pub events: Rect,
    /// Key hints or the last message.
    pub footer: Rect,
}

/// Split the screen into the console's panels.
pub fn areas(area: Rect) -> Areas {
    let row = |y: u16, h: u16| Rect {
        x: area.x,
        y,
        width: area.width,
        height: h,
    };
    let header = row(area.y, 1.min(area.height));
    let footer = row(area.bottom().saturating_sub(1), 1.min(area.height));
    let body = row(area.y + header.height, area.height.saturating_sub(2));
    let tree_w = (body.width * 60 / 100)
        .clamp(30.min(body.width), 100)
        .min(body.width);
    let tree = Rect {
        width: tree_w,
        ..body
    };
    let right = Rect {
        x: body.x + tree_w,
        width: body.width - tree_w,
        ..body
    };
    let events_h = (body.height / 4).clamp(3, 8).min(body.height);
    let pane = Rect {
        height: body.height - events_h,
        ..right
    };
    let events = Rect {
        y: pane.bottom(),
        height: events_h,
        ..right
    };
    Areas {
        header,
        tree,
        pane,
        events,
        footer,
    }
}

/// The panel positions the app needs for mouse hits and page sizes.
pub fn regions(area: Rect) -> Regions {
    let a = areas(area);
    Regions {
        tree: a.tree,
        pane: a.pane,
    }
}

/// Draw one frame of the console.
pub fn draw(frame: &mut Frame, app: &App, theme: &Theme, now_ms: i64) {
    let area = frame.area();
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
    tree::tree(frame, a.tree, app, theme, now_ms);
    pane::pane(frame, a.pane, app, theme);
    pane::events(frame, a.events, app, theme);
    if banner_h > 0 {
        chrome::notices(frame, banner, app, theme);
    }
    chrome::footer(frame, a.footer, app, theme);
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
