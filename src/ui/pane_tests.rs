//! The pane view parses a capture once and reuses it until the capture changes.

use super::*;
use crate::fleet::sample::{family, snapshot, NOW};
use crate::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::Terminal;

fn coloured(n: usize, tag: &str) -> Arc<str> {
    (0..n)
        .map(|i| format!("\x1b[3{}m{tag} line {i}\x1b[0m\n", i % 7))
        .collect::<String>()
        .into()
}

fn frame(app: &App, cache: Option<&mut PaneCache>) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(120, 30)).unwrap();
    let theme = Theme::plain();
    match cache {
        Some(c) => t.draw(|f| crate::ui::draw_cached(f, app, &theme, NOW, c)),
        None => t.draw(|f| crate::ui::draw(f, app, &theme, NOW)),
    }
    .unwrap();
    t.backend().buffer().clone()
}

fn app_with(capture: Arc<str>) -> App {
    let mut agents = family();
    agents[0].capture = capture;
    let mut app = App::default();
    app.set_regions(crate::ui::regions(Rect::new(0, 0, 120, 30)));
    app.on_snapshot(snapshot(agents));
    app
}

#[test]
fn an_unchanged_capture_is_parsed_once() {
    let mut app = app_with(coloured(200, "first"));
    let mut cache = PaneCache::default();
    let fresh = frame(&app, None);
    assert_eq!(frame(&app, Some(&mut cache)), fresh);
    assert_eq!(frame(&app, Some(&mut cache)), fresh);
    assert_eq!(cache.parses(), 1);

    // Scrolling back shows other lines of the same parse.
    app.handle_key(KeyEvent::new(KeyCode::PageUp, KeyModifiers::NONE), NOW);
    let scrolled = frame(&app, Some(&mut cache));
    assert_eq!(scrolled, frame(&app, None));
    assert_ne!(scrolled, fresh);
    assert_eq!(cache.parses(), 1);

    // A new snapshot with the same text (a new allocation) is not parsed again.
    let mut agents = family();
    agents[0].capture = coloured(200, "first");
    app.on_snapshot(snapshot(agents));
    frame(&app, Some(&mut cache));
    assert_eq!(cache.parses(), 1);

    // New text is.
    let mut agents = family();
    agents[0].capture = coloured(200, "second");
    app.on_snapshot(snapshot(agents));
    let changed = frame(&app, Some(&mut cache));
    assert_eq!(changed, frame(&app, None));
    assert_eq!(cache.parses(), 2);
}
