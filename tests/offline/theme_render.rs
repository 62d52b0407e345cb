//! Every built-in theme, and NO_COLOR, drawn into a TestBackend: the cells an operator
//! reads carry the theme's style for what they mean.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use ratatui::Terminal;
use shoal::app::{App, FleetChange};
use shoal::fleet::sample::{snapshot, NOW};
use shoal::fleet::{Activity, AgentView, Tier};
use shoal::theme::{ColorDepth, Theme, BUILTIN};
use shoal::ui;

/// A root agent whose screen and explanation never name it, so that the first "worker"
/// below the header is its row in the tree.
fn agent(name: &str, activity: Activity) -> AgentView {
    AgentView::sample(name)
        .with_activity(activity)
        .with_reason(None)
        .with_capture("hello\n")
}

fn app() -> App {
    let mut app = App::default();
    app.on_snapshot(snapshot(vec![
        agent("worker", Activity::Working),
        agent("asker", Activity::NeedsInput),
        agent("broken", Activity::Errored),
        agent("staller", Activity::Working).with_tier(Tier::Warn, NOW),
    ]));
    app.set_problems(vec!["config.toml:3:1: unknown key `pol`".into()]);
    app
}

fn draw(app: &mut App, theme: &Theme) -> Buffer {
    let (w, h) = (120, 30);
    app.set_regions(ui::regions(ratatui::layout::Rect::new(0, 0, w, h)));
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| ui::draw(f, app, theme, NOW)).unwrap();
    term.backend().buffer().clone()
}

/// The first cell of the first occurrence of `text` on a row at or below `min_y` (the
/// tree rows start at 2), at or after column `min_x`.
fn find(buf: &Buffer, text: &str, min_x: u16, min_y: u16) -> (u16, u16) {
    for y in min_y..buf.area.height {
        let line: String = (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        let mut from = 0;
        while let Some(i) = line[from..].find(text) {
            let col = line[..from + i].chars().count() as u16;
            if col >= min_x {
                return (col, y);
            }
            from += i + text.len();
        }
    }
    panic!("{text:?} not on screen");
}

fn assert_styled(buf: &Buffer, at: (u16, u16), want: ratatui::style::Style, what: &str) {
    let cell = &buf[at];
    if let Some(fg) = want.fg {
        assert_eq!(cell.fg, fg, "{what}: text colour");
    }
    if let Some(bg) = want.bg {
        assert_eq!(cell.bg, bg, "{what}: background");
    }
    assert!(
        cell.modifier.contains(want.add_modifier),
        "{what}: {:?} lacks {:?}",
        cell.modifier,
        want.add_modifier
    );
}

#[test]
fn each_built_in_theme_styles_what_the_operator_reads() {
    for (name, _) in BUILTIN {
        let theme = shoal::theme::resolve(name, None, None).unwrap();
        let mut app = app();
        let buf = draw(&mut app, &theme);
        // Activity words in the tree rows (past the name column).
        for (word, style) in [
            ("needs-input", theme.needs_input),
            ("errored", theme.errored),
            ("working", theme.working),
        ] {
            assert_styled(
                &buf,
                find(&buf, word, 10, 2),
                style,
                &format!("{name}: {word}"),
            );
        }
        assert_styled(
            &buf,
            find(&buf, "warn 0s", 10, 2),
            theme.tier_warn,
            &format!("{name}: warn tier"),
        );
        assert_styled(
            &buf,
            find(&buf, "unknown key `pol`", 0, 0),
            theme.error,
            &format!("{name}: config problem"),
        );
        assert_styled(
            &buf,
            find(&buf, "shoal · demo", 0, 0),
            theme.title,
            &format!("{name}: header title"),
        );
        // The selected row (worker is first) carries the selection background.
        let (x, y) = find(&buf, "worker", 0, 2);
        if let Some(bg) = theme.selection.bg {
            assert_eq!(buf[(x, y)].bg, bg, "{name}: selection");
        } else {
            assert!(
                buf[(x, y)].modifier.contains(Modifier::REVERSED)
                    || theme.selection.add_modifier.contains(Modifier::BOLD),
                "{name}: selection shows"
            );
        }
    }
}

#[test]
fn the_themes_really_differ() {
    let dark = shoal::theme::resolve("dark", None, None).unwrap();
    let light = shoal::theme::resolve("light", None, None).unwrap();
    let hc = shoal::theme::resolve("high-contrast", None, None).unwrap();
    assert_ne!(dark.needs_input, light.needs_input);
    assert_ne!(dark.needs_input, hc.needs_input);
    assert_eq!(hc.needs_input.bg, Some(Color::LightYellow));
}

#[test]
fn no_color_draws_without_a_single_colour() {
    let depth = ColorDepth::detect(|k| (k == "NO_COLOR").then(|| "1".to_string()));
    assert_eq!(depth, ColorDepth::Mono);
    for (name, _) in BUILTIN {
        let (theme, err) = Theme::load(name, None, None, depth);
        assert!(err.is_none());
        let mut app = app();
        app.set_fleet_change(FleetChange {
            added: vec!["new".into()],
            removed: Vec::new(),
        });
        // The command line with completion choices on show.
        for code in [KeyCode::Char(':'), KeyCode::Char('a'), KeyCode::Tab] {
            app.handle_key(KeyEvent::new(code, KeyModifiers::NONE), NOW);
        }
        let buf = draw(&mut app, &theme);
        find(&buf, "approve", 0, 29);
        for cell in buf.content() {
            assert!(
                matches!(cell.fg, Color::Reset) && matches!(cell.bg, Color::Reset),
                "{name} under NO_COLOR has a coloured cell {:?} {:?} at {:?}",
                cell.fg,
                cell.bg,
                cell.symbol()
            );
        }
        // Meaning still shows without colour: needs-input is bold.
        let (x, y) = find(&buf, "needs-input", 0, 0);
        assert!(buf[(x, y)].modifier.contains(Modifier::BOLD), "{name}");
    }
}

#[test]
fn a_16_colour_terminal_gets_only_ansi_colours() {
    for (name, _) in BUILTIN {
        let (theme, _) = Theme::load(name, None, None, ColorDepth::Ansi16);
        let mut app = app();
        let buf = draw(&mut app, &theme);
        for cell in buf.content() {
            for c in [cell.fg, cell.bg] {
                assert!(
                    !matches!(c, Color::Rgb(..) | Color::Indexed(_)),
                    "{name}: {c:?} on a 16-colour terminal"
                );
            }
        }
    }
}

#[test]
fn a_theme_that_paints_its_page_leaves_no_cell_to_the_terminal() {
    for name in ["light", "high-contrast"] {
        let theme = shoal::theme::resolve(name, None, None).unwrap();
        let page = theme.body.bg.expect("paints its page");
        let mut app = App::default();
        // A screen that resets its colours and leaves most of its rows empty.
        app.on_snapshot(snapshot(vec![agent("worker", Activity::Working)
            .with_capture("\u{1b}[31mred\u{1b}[0m then plain\n\u{1b}[m\n\n$ ")]));
        let plain = draw(&mut app, &theme);
        app.handle_key(KeyEvent::new(KeyCode::Char('?'), KeyModifiers::NONE), NOW);
        let help = draw(&mut app, &theme);
        for buf in [plain, help] {
            for (i, cell) in buf.content().iter().enumerate() {
                assert!(
                    cell.bg != Color::Reset,
                    "{name}: the terminal's background shows at {},{} ({:?})",
                    i % 120,
                    i / 120,
                    cell.symbol()
                );
            }
        }
        // Text after a reset in the capture is on the theme's page, in its text colour.
        let buf = draw(&mut App::default(), &theme);
        assert_eq!(buf[(0, 0)].bg, theme.header.bg.unwrap_or(page));
        let mut app = App::default();
        app.on_snapshot(snapshot(vec![
            agent("worker", Activity::Working).with_capture("\u{1b}[31mred\u{1b}[0m then plain\n")
        ]));
        let buf = draw(&mut app, &theme);
        let (x, y) = find(&buf, "then plain", 0, 1);
        assert_eq!(buf[(x, y)].bg, page, "{name}");
        assert_eq!(Some(buf[(x, y)].fg), theme.body.fg, "{name}");
    }
}
