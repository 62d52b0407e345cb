//! The console's log browser over a real store file, drawn into a TestBackend with a
//! fixed clock and the plain theme: what the operator reads on the screen.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use shoal::app::{App, LogReply, LogRequest};
use shoal::fleet::{AgentView, FleetSnapshot};
use shoal::logs::{Level, LogSource, NewLog};
use shoal::store::{NewEvent, Store};
use shoal::theme::Theme;
use shoal::ui;
use std::sync::Arc;

/// 2024-01-01 12:00:00 UTC.
const NOW: i64 = 1_704_110_400_000;

/// A working agent that showed progress at this file's [`NOW`].
fn agent(name: &str, parent: Option<&str>) -> AgentView {
    AgentView::sample(name)
        .with_parent(parent)
        .with_progress_at(NOW)
}

struct Rig {
    _dir: tempfile::TempDir,
    store: Store,
    app: App,
    term: Terminal<TestBackend>,
}

impl Rig {
    /// lead → worker; 150 output lines of worker a second apart (the last one at NOW),
    /// a rate-limit event of worker with its capture, a line of lead's.
    fn new() -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.sqlite")).unwrap();
        store
            .write(|s| {
                for i in 0..150i64 {
                    s.insert_log(&NewLog::output(
                        NOW - (150 - i) * 1000,
                        "worker",
                        1,
                        format!("compiling module {i} of the parser"),
                    ))?;
                }
                let cap = s.insert_capture(
                    NOW - 500,
                    "worker",
                    1,
                    "activity",
                    "● Working on it\nAPI Error: Request rejected (429) · rate limit\n❯ ",
                )?;
                s.insert_event(&NewEvent {
                    rule: Some(
                        "rule `claude.rate-limit` in region `last-lines`: «Request rejected (429)»"
                            .into(),
                    ),
                    capture_id: Some(cap),
                    ..NewEvent::agent(
                        NOW - 500,
                        "worker",
                        1,
                        shoal::fleet::EventKind::Activity {
                            from: shoal::fleet::Activity::Working,
                            to: shoal::fleet::Activity::Errored,
                            error: Some(shoal::fleet::ErrorKind::RateLimit),
                        },
                    )
                })?;
                s.insert_log(&NewLog {
                    level: Level::Error,
                    ..NewLog::output(NOW - 100, "lead", 1, "lead gave up on the parser".into())
                })?;
                Ok(())
            })
            .unwrap();
        let mut app = App::default();
        app.set_utc_offset(chrono::FixedOffset::east_opt(0).unwrap());
        app.on_snapshot(Arc::new(
            FleetSnapshot::sample(vec![agent("lead", None), agent("worker", Some("lead"))])
                .taken_at(NOW),
        ));
        app.set_regions(ui::regions(ratatui::layout::Rect::new(0, 0, 120, 30)));
        Rig {
            _dir: dir,
            store,
            app,
            term: Terminal::new(TestBackend::new(120, 30)).unwrap(),
        }
    }

    fn key(&mut self, code: KeyCode) {
        self.app
            .handle_key(KeyEvent::new(code, KeyModifiers::NONE), NOW);
        self.serve();
    }

    fn keys(&mut self, text: &str) {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    /// What the console host does: run the browser's requests against the store.
    fn serve(&mut self) {
        while let Some(r) = self.app.take_log_request() {
            let reply = match r {
                LogRequest::Page(q) => LogReply::Page(self.store.query(&q)),
                LogRequest::Capture(id) => {
                    LogReply::Capture(id, LogSource::capture(&mut self.store, id))
                }
            };
            self.app.on_log_reply(reply);
        }
    }

    fn screen(&mut self) -> String {
        let app = &self.app;
        self.term
            .draw(|f| ui::draw(f, app, &Theme::plain(), NOW))
            .unwrap();
        let buf = self.term.backend().buffer();
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[test]
fn l_shows_the_selected_agents_log_newest_first() {
    let mut r = Rig::new();
    r.key(KeyCode::Down); // select worker
    r.keys("l");
    let s = r.screen();
    assert!(s.contains("logs · page 1 · 1–100 of 151"), "{s}");
    assert!(s.contains("[agent:worker]"), "{s}");
    let rows: Vec<&str> = s.lines().filter(|l| l.contains("worker")).collect();
    assert!(
        rows.iter().any(|l| l.contains("11:59:59")
            && l.contains("warn")
            && l.contains("activity: working → errored")),
        "{s}"
    );
    let first_output = s
        .lines()
        .position(|l| l.contains("compiling module 149"))
        .unwrap();
    let second = s
        .lines()
        .position(|l| l.contains("compiling module 148"))
        .unwrap();
    assert!(first_output < second, "newest first:\n{s}");
    assert!(!s.contains("lead gave up"), "another agent's line:\n{s}");
    assert!(
        s.contains("/ search"),
        "the footer lists the browser's keys:\n{s}"
    );
}

#[test]
fn the_query_line_narrows_and_pages_move_by_cursor() {
    let mut r = Rig::new();
    r.keys("l/");
    r.app.handle_key(
        KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL),
        NOW,
    );
    r.keys("tree:lead parser level:info");
    r.key(KeyCode::Enter);
    let s = r.screen();
    assert!(s.contains("[tree:lead] [level≥info] [\"parser\"]"), "{s}");
    assert!(s.contains("1–100 of 151"), "{s}");
    assert!(s.contains("lead gave up on the parser"), "{s}");
    r.keys("n");
    let s = r.screen();
    assert!(s.contains("page 2 · 101–151 of 151"), "{s}");
    // Page 1 held lead's line and modules 149 to 51.
    assert!(s.contains("compiling module 50 of"), "{s}");
    assert!(!s.contains("compiling module 51 of"), "{s}");
    r.keys("p");
    assert!(r.screen().contains("page 1 · 1–100 of 151"));
    // A window of the last minute: worker's last 60 lines and lead's line.
    r.keys("1");
    let s = r.screen();
    assert!(s.contains("[last 1m]") && s.contains("of 61"), "{s}");
}

#[test]
fn enter_on_the_event_shows_the_screen_beside_the_rule_and_g_goes_to_the_agent() {
    let mut r = Rig::new();
    r.keys("l/");
    r.app.handle_key(
        KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL),
        NOW,
    );
    r.keys("source:event");
    r.key(KeyCode::Enter);
    r.key(KeyCode::Enter);
    let s = r.screen();
    let row = s
        .lines()
        .find(|l| l.contains("API Error: Request rejected (429)"))
        .unwrap_or_else(|| panic!("{s}"));
    assert!(
        row.contains("rule that matched") || s.contains("rule that matched"),
        "{s}"
    );
    assert!(s.contains("screen at 11:59:59"), "{s}");
    assert!(s.contains("claude.rate-limit"), "{s}");
    r.keys("g");
    let s = r.screen();
    assert!(!s.contains("logs · page"), "back to the fleet:\n{s}");
    assert_eq!(r.app.selected(), Some("worker"));
}

#[test]
fn a_bad_search_is_explained_on_screen() {
    let mut r = Rig::new();
    r.keys("l/");
    r.app.handle_key(
        KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL),
        NOW,
    );
    r.keys("parser AND (");
    r.key(KeyCode::Enter);
    let s = r.screen();
    assert!(s.contains("is not valid search syntax"), "{s}");
    r.keys("/");
    r.app.handle_key(
        KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL),
        NOW,
    );
    r.keys("since:soon");
    r.key(KeyCode::Enter);
    let s = r.screen();
    assert!(s.contains("since \"soon\" is not a time"), "{s}");
}

#[test]
fn follow_draws_the_newest_line_at_the_bottom_and_w_wraps_long_ones() {
    let mut r = Rig::new();
    let long = format!("BEGIN {} END", "abcdefghij".repeat(20));
    r.store
        .write(|s| s.insert_log(&NewLog::output(NOW - 50, "worker", 1, long.clone())))
        .unwrap();
    r.key(KeyCode::Down); // select worker
    r.keys("lf");
    let s = r.screen();
    assert!(s.contains("following · newest at the bottom"), "{s}");
    let row = |s: &str, what: &str| s.lines().position(|l| l.contains(what));
    let newest = row(&s, "BEGIN abcdefghij").unwrap_or_else(|| panic!("{s}"));
    let older = row(&s, "compiling module 149 ").unwrap_or_else(|| panic!("{s}"));
    assert!(older < newest, "newest at the bottom:\n{s}");
    // The newest line is the last result row, just above the panel's bottom border.
    assert!(s.lines().nth(newest + 1).unwrap().starts_with('└'), "{s}");
    assert!(!s.contains(" END"), "cut to one row:\n{s}");

    // Wrapped, the message goes on over more rows under its column, to its end; the
    // view still ends on it.
    r.keys("w");
    let s = r.screen();
    let first = row(&s, "BEGIN abcdefghij").unwrap_or_else(|| panic!("{s}"));
    let chars = |l: &str| l.chars().collect::<Vec<char>>();
    let line = chars(s.lines().nth(first).unwrap());
    let column = (0..line.len())
        .find(|&i| line[i..].starts_with(&['B', 'E', 'G', 'I', 'N']))
        .unwrap();
    let end = row(&s, "abcdefghij END").unwrap_or_else(|| panic!("{s}"));
    assert!(end > first + 1, "over three rows:\n{s}");
    for l in s.lines().take(end + 1).skip(first + 1) {
        // Inside the left border: blank up to the message column, then the message.
        let l = chars(l);
        assert!(l[1..column].iter().all(|c| *c == ' '), "{s}");
        assert!(l[column].is_ascii_alphabetic(), "{s}");
    }
    assert!(s.lines().nth(end + 1).unwrap().starts_with('└'), "{s}");

    // Scrolling up pauses; the title says how to come back.
    r.key(KeyCode::Up);
    let s = r.screen();
    assert!(s.contains("paused · end resumes following"), "{s}");
}

#[test]
fn question_mark_in_the_browser_shows_the_browsers_keys() {
    let mut r = Rig::new();
    r.keys("l?");
    let s = r.screen();
    assert!(s.contains("log browser keys"), "{s}");
    assert!(
        s.contains("Follow one agent: new lines at the bottom"),
        "{s}"
    );
    assert!(s.contains("Wrap long lines"), "{s}");
    assert!(
        !s.contains("Approve the prompt"),
        "not the fleet's keys:\n{s}"
    );
    // Any other key closes it, back to the browser.
    r.keys("x");
    let s = r.screen();
    assert!(
        !s.contains("log browser keys") && s.contains("logs · page 1"),
        "{s}"
    );
}
