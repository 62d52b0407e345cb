//! The pane view beyond the live screen: paging through the whole scrollback, searching
//! it, and copying from it. The host's scrollback read is played by hand.

use super::*;
use crate::fleet::sample::{family, snapshot, NOW};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE), NOW)
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

/// Lines `line 0` … `line N-1`, with colour on every tenth, as tmux prints them.
fn history(n: usize) -> String {
    (0..n)
        .map(|i| match i % 10 {
            0 => format!("\x1b[32mline {i}\x1b[0m\n"),
            _ => format!("line {i}\n"),
        })
        .collect()
}

/// The family, with lead selected and showing the last 40 lines of a 1000-line history.
fn app() -> App {
    let mut agents = family();
    let all = history(1000);
    let screen: String = all.lines().skip(960).map(|l| format!("{l}\n")).collect();
    agents[0].capture = screen.into();
    let mut app = App::default();
    app.set_regions(super::layout::regions(Rect::new(0, 0, 120, 30)));
    app.on_snapshot(snapshot(agents));
    assert_eq!(app.selected(), Some("lead"));
    app
}

fn footer(app: &App) -> String {
    app.footer().map(|f| f.text.clone()).unwrap_or_default()
}

#[test]
fn pgup_reads_the_whole_scrollback_once_and_pages_through_it() {
    let mut app = app();
    let rows = app.regions.pane_rows();
    let page = rows - 1;
    press(&mut app, KeyCode::PageUp);
    assert_eq!(
        app.take_pane_request(),
        Some(PaneRequest {
            agent: "lead".into(),
            server: "shoal-test".into(),
            pane: "%4".into(),
        })
    );
    assert!(app.scrollback_loading());
    assert!(!app.pane_text().unwrap().frozen, "live until the answer");
    // Paging on before the answer is kept, not cut to the 40 live lines.
    press(&mut app, KeyCode::PageUp);
    assert_eq!(app.scroll(), 2 * page);
    assert_eq!(app.take_pane_request(), None, "asked once");

    app.on_scrollback("lead", Ok(history(1000)));
    assert!(app.pane_text().unwrap().frozen);
    assert_eq!(app.pane_lines(), 1000);
    assert_eq!(app.scroll(), 2 * page);
    for _ in 0..200 {
        press(&mut app, KeyCode::PageUp);
    }
    assert_eq!(app.scroll(), 1000 - rows, "stops with line 1 at the top");
    assert_eq!(app.pane_window(1000), (0, rows));

    // A new snapshot does not move a held view.
    let mut agents = family();
    agents[0].capture = "something new\n".into();
    app.on_snapshot(snapshot(agents));
    assert_eq!(app.scroll(), 1000 - rows);
    assert!(app.pane_text().unwrap().frozen);

    // Back at the bottom, the view follows the pane again.
    for _ in 0..200 {
        press(&mut app, KeyCode::PageDown);
    }
    assert_eq!(app.scroll(), 0);
    let live = app.pane_text().unwrap();
    assert!(!live.frozen);
    assert_eq!(&**live.text, "something new\n");
}

#[test]
fn a_late_or_failed_read_never_shows_another_agents_text() {
    let mut app = app();
    press(&mut app, KeyCode::PageUp);
    assert!(app.take_pane_request().is_some());
    press(&mut app, KeyCode::Char('j')); // builder now
    app.on_scrollback("lead", Ok(history(1000)));
    assert!(!app.pane_text().unwrap().frozen);
    assert_eq!(app.scroll(), 0);

    press(&mut app, KeyCode::PageUp);
    let req = app.take_pane_request().expect("builder's read");
    assert_eq!(req.agent, "builder");
    app.on_scrollback("builder", Err("can't find pane: %7".into()));
    assert!(!app.scrollback_loading());
    assert_eq!(app.scroll(), 0, "bounded by builder's two-line screen");
    assert_eq!(
        footer(&app),
        "could not read builder's scrollback (can't find pane: %7); the view has its last screen"
    );
}

#[test]
fn a_search_finds_matches_in_the_scrollback_and_n_moves_between_them() {
    let mut app = app();
    let rows = app.regions.pane_rows();
    press(&mut app, KeyCode::Char('f'));
    assert!(matches!(app.mode(), Mode::PaneSearch { agent, .. } if agent == "lead"));
    assert!(
        app.take_pane_request().is_some(),
        "searching reads the scrollback"
    );
    typed(&mut app, "LINe 500");
    press(&mut app, KeyCode::Backspace); // "LINe 50": a capital, so case counts
    press(&mut app, KeyCode::Enter);
    let s = app.pane_search().expect("waits for the scrollback");
    assert!(s.hits.is_empty());
    app.on_scrollback("lead", Ok(history(1000)));
    assert!(app.pane_search().is_none(), "{:?}", app.pane_search());
    assert_eq!(
        footer(&app),
        "no match for \"LINe 50\" in lead's pane (1000 lines)"
    );

    press(&mut app, KeyCode::Char('f'));
    assert!(
        matches!(app.mode(), Mode::PaneSearch { text, .. } if text.is_empty()),
        "a search that found nothing is not offered again"
    );
    typed(&mut app, "line 50");
    press(&mut app, KeyCode::Enter);
    // Back at the live screen after the miss: the scrollback is read again, fresh.
    assert!(app.take_pane_request().is_some());
    app.on_scrollback("lead", Ok(history(1000)));
    let s = app.pane_search().unwrap();
    let lines: Vec<usize> = s.hits.iter().map(|h| h.0).collect();
    assert_eq!(
        lines,
        [50, 500, 501, 502, 503, 504, 505, 506, 507, 508, 509]
    );
    assert_eq!(s.current, 10, "the match nearest the bottom");
    let (start, end) = app.pane_window(1000);
    assert!((start..end).contains(&509), "{start}..{end}");
    assert_eq!(end - start, rows);

    // n does not nudge while a search is on: it moves to the next match, wrapping.
    let effects = press(&mut app, KeyCode::Char('n'));
    assert!(!effects.iter().any(|e| matches!(e, Effect::Send(_))));
    assert_eq!(app.pane_search().unwrap().current, 0);
    assert_eq!(footer(&app), "search wrapped to the top");
    let (start, end) = app.pane_window(1000);
    assert!((start..end).contains(&50), "{start}..{end}");
    press(&mut app, KeyCode::Char('N'));
    assert_eq!(app.pane_search().unwrap().current, 10);
    assert_eq!(app.pane_search().unwrap().current_hit(), Some((509, 0)));

    // Esc ends the search where it is; n nudges again.
    press(&mut app, KeyCode::Esc);
    assert!(app.pane_search().is_none());
    assert!(app.scroll() > 0, "the view stays where the search left it");
    let effects = press(&mut app, KeyCode::Char('n'));
    assert!(effects.contains(&Effect::Send(Command::Nudge {
        agent: "lead".into()
    })));
}

#[test]
fn slash_searches_the_pane_when_zoomed_and_filters_the_tree_otherwise() {
    let mut app = app();
    press(&mut app, KeyCode::Char('/'));
    assert_eq!(app.mode(), &Mode::Filter);
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('z'));
    press(&mut app, KeyCode::Char('/'));
    assert!(
        matches!(app.mode(), Mode::PaneSearch { .. }),
        "{:?}",
        app.mode()
    );
    // Esc before searching: back to the live screen, nothing held.
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode(), &Mode::Normal);
    assert!(app.scrollback.is_none());
}

#[test]
fn y_copies_the_visible_lines_or_every_matching_line() {
    let mut app = app();
    let rows = app.regions.pane_rows();
    let copied = |effects: Vec<Effect>| {
        effects
            .into_iter()
            .find_map(|e| match e {
                Effect::Copy { text, what } => Some((text, what)),
                _ => None,
            })
            .expect("a copy")
    };
    // Live: the last `rows` lines of the screen, without colours.
    let (text, what) = copied(press(&mut app, KeyCode::Char('y')));
    let want: String = (1000 - rows..1000).map(|i| format!("line {i}\n")).collect();
    assert_eq!(text, want);
    assert_eq!(what, format!("lines {}–40 of 40 of lead's pane", 41 - rows));

    // Scrolled back into the scrollback: the lines on screen there.
    press(&mut app, KeyCode::PageUp);
    app.on_scrollback("lead", Ok(history(1000)));
    for _ in 0..200 {
        press(&mut app, KeyCode::PageUp);
    }
    let (text, what) = copied(press(&mut app, KeyCode::Char('y')));
    assert_eq!(text.lines().next(), Some("line 0"));
    assert_eq!(text.lines().count(), rows);
    assert_eq!(what, format!("lines 1–{rows} of 1000 of lead's pane"));

    // Searching: every matching line, once each.
    press(&mut app, KeyCode::Char('f'));
    typed(&mut app, "line 99");
    press(&mut app, KeyCode::Enter);
    let (text, what) = copied(press(&mut app, KeyCode::Char('y')));
    let want: String = std::iter::once(99)
        .chain(990..1000)
        .map(|i| format!("line {i}\n"))
        .collect();
    assert_eq!(text, want);
    assert_eq!(what, "11 lines of lead's pane matching \"line 99\"");
}

#[test]
fn the_wheel_scrolls_the_pane_view_and_zoomed_it_scrolls_it_anywhere() {
    use crossterm::event::{MouseEvent, MouseEventKind};
    let mut app = app();
    let regions = app.regions;
    let wheel = |kind, x: u16, y: u16| MouseEvent {
        kind,
        column: x,
        row: y,
        modifiers: KeyModifiers::NONE,
    };
    let over_pane = (regions.pane.x + 3, regions.pane.y + 3);
    let over_tree = (regions.tree.x + 3, regions.tree.y + 5);
    app.handle_mouse(wheel(MouseEventKind::ScrollUp, over_pane.0, over_pane.1));
    assert_eq!(app.scroll(), 3);
    assert!(
        app.take_pane_request().is_some(),
        "the wheel reads the scrollback too"
    );
    app.handle_mouse(wheel(MouseEventKind::ScrollDown, over_pane.0, over_pane.1));
    assert_eq!(app.scroll(), 0);
    // Over the tree, the wheel moves the selection…
    app.handle_mouse(wheel(MouseEventKind::ScrollDown, over_tree.0, over_tree.1));
    assert_eq!(app.selected(), Some("builder"));
    // …but zoomed, the pane view is there, and the wheel scrolls it.
    press(&mut app, KeyCode::Char('z'));
    app.handle_mouse(wheel(MouseEventKind::ScrollUp, over_tree.0, over_tree.1));
    assert_eq!(app.selected(), Some("builder"));
    assert_eq!(app.scroll(), 3);
}
