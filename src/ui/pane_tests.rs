//! The pane view parses a capture once and reuses it until the capture changes.

use super::*;
use crate::fleet::sample::{family, snapshot, NOW};
use crate::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Modifier;
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

fn history(n: usize) -> String {
    (0..n)
        .map(|i| match i % 10 {
            0 => format!("\x1b[32mline {i}\x1b[0m\n"),
            3 => format!("\x1b[1mline\tbold {i}\n\x1b[0m"),
            _ => format!("line {i}\n"),
        })
        .collect()
}

fn rows_of(buf: &Buffer) -> Vec<String> {
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
        })
        .collect()
}

#[test]
fn the_view_and_the_search_count_the_same_lines() {
    // Search and copy work on plain lines; the view draws parsed ones: they must agree
    // line for line, colours spanning lines included.
    for text in [
        history(300),
        "a\r\nb\r\n\x1b[31mred\nstill red\x1b[0m\n\n\nc\n".to_string(),
    ] {
        let tail = capture::view_tail(&text, true);
        let drawn: Vec<String> = styled(tail)
            .lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        assert_eq!(drawn, capture::plain_lines(tail));
    }
}

#[test]
fn a_held_scrollback_says_where_it_is_and_marks_the_matches() {
    let mut app = app_with("line 960\nline 961\n".into());
    app.handle_key(KeyEvent::new(KeyCode::PageUp, KeyModifiers::NONE), NOW);
    let req = app.take_pane_request().expect("a scrollback read");
    app.on_scrollback(&req.agent, Ok(history(1000)));
    let screen = rows_of(&frame(&app, None)).join("\n");
    // 30 rows: the pane panel shows 19 lines, a page is 18; lines count from 1.
    assert!(
        screen.contains("lines 964–982 of 1000 · pgdn: live"),
        "{screen}"
    );
    assert!(screen.contains("line bold 963") && screen.contains("line 981"));
    assert!(!screen.contains("line 982"), "{screen}");
    // The scrollbar's thumb sits at the bottom of the right border.
    assert!(
        screen.contains("line 981                                      █"),
        "{screen}"
    );

    app.handle_key(KeyEvent::new(KeyCode::Char('f'), KeyModifiers::NONE), NOW);
    for c in "bold 9".chars() {
        app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE), NOW);
    }
    app.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE), NOW);
    let buf = frame(&app, None);
    let screen = rows_of(&buf).join("\n");
    // `bold 93`, then `bold 903` … `bold 993`: 11 matches, the one nearest the bottom
    // on show.
    assert!(
        screen.contains("/bold 9 11/11 · lines 982–1000 of 1000"),
        "{screen}"
    );
    // The current match (`line bold 993`) is drawn reversed, the rest of its line not.
    let (x, y) = find_cell(&buf, "line bold 993").expect("the match is on screen");
    let start = x + "line ".len() as u16;
    for dx in 0..6 {
        let cell = &buf[(start + dx, y)];
        assert!(
            cell.modifier.contains(Modifier::REVERSED),
            "{cell:?} at {dx}"
        );
    }
    assert!(!buf[(x, y)].modifier.contains(Modifier::REVERSED));
}

fn find_cell(buf: &Buffer, needle: &str) -> Option<(u16, u16)> {
    rows_of(buf).iter().enumerate().find_map(|(y, row)| {
        let at = row.find(needle)?;
        let x = row[..at].chars().count();
        Some((x as u16, y as u16))
    })
}
