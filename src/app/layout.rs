//! Where the console's panels sit on a screen of a given size. The app needs it for
//! mouse hits and page sizes, the drawing for placing the panels; both read it here.

use ratatui::layout::Rect;

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

/// Where the tree and the pane view sit on screen, for mouse hits and page sizes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Regions {
    /// The fleet tree panel, borders included.
    pub tree: Rect,
    /// The pane view panel, borders included.
    pub pane: Rect,
}

impl Regions {
    /// Agent rows the tree panel can show (inside the borders, under the column titles).
    pub fn tree_rows(&self) -> usize {
        usize::from(self.tree.height.saturating_sub(3))
    }

    /// Capture lines the pane panel can show.
    pub fn pane_rows(&self) -> usize {
        usize::from(self.pane.height.saturating_sub(2))
    }
}
