//! The console's fleet-file edits and diff, drawn into a TestBackend: the add form with a
//! refused field, the removal question, the diff view, and the branch in the tree.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use shoal::app::App;
use shoal::fleet::draft::{DraftError, Field};
use shoal::fleet::sample::NOW;
use shoal::fleet::{AgentView, FleetSnapshot};
use shoal::theme::Theme;
use shoal::ui;
use std::sync::Arc;

fn app() -> App {
    let mut lead = AgentView::sample("lead").with_kind("shell");
    lead.lineage.worktree = Some("agent/lead".into());
    lead.lineage.cwd = Some("/work/repo".into());
    let mut app = App::default();
    app.on_snapshot(Arc::new(FleetSnapshot::sample(vec![
        lead,
        AgentView::sample("w1").with_parent(Some("lead")),
    ])));
    app
}

fn press(app: &mut App, code: KeyCode) {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE), NOW);
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn render(app: &mut App, w: u16, h: u16) -> String {
    app.set_regions(ui::regions(ratatui::layout::Rect::new(0, 0, w, h)));
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    term.draw(|f| ui::draw(f, app, &Theme::plain(), NOW))
        .expect("draw");
    let buf = term.backend().buffer();
    (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_add_form_shows_each_field_and_the_refused_one_with_why() {
    let mut app = app();
    typed(&mut app, "N");
    typed(&mut app, "w2");
    press(&mut app, KeyCode::Tab);
    typed(&mut app, "cluade");
    press(&mut app, KeyCode::Enter);
    app.on_added(
        "w2",
        Err(DraftError {
            field: Some(Field::Kind),
            message: "unknown kind \"cluade\"".into(),
            hint: "did you mean `claude`?".into(),
        }),
    );
    let s = render(&mut app, 120, 32);
    assert!(s.contains(" add an agent "), "{s}");
    for label in ["name", "kind", "cmd", "cwd", "task", "worktree"] {
        assert!(s.contains(&format!(" {label} ")), "no {label}:\n{s}");
    }
    assert!(s.contains("w2"), "{s}");
    assert!(s.contains("cluade█ ✗"), "{s}");
    assert!(s.contains("did you mean `claude`?"), "{s}");
    assert!(s.contains("yes, a branch name, or empty for none"), "{s}");
}

#[test]
fn removal_asks_and_says_what_happens_to_the_worktree() {
    let mut app = app();
    typed(&mut app, "D");
    let s = render(&mut app, 120, 32);
    assert!(s.contains(" remove lead? "), "{s}");
    assert!(s.contains("killed first"), "{s}");
    assert!(s.contains("block leaves the fleet file"), "{s}");
    assert!(s.contains("branch agent/lead"), "{s}");
    assert!(s.contains("y remove"), "{s}");
}

#[test]
fn the_diff_view_shows_the_changes_and_where_it_is() {
    let mut app = app();
    typed(&mut app, "v");
    let s = render(&mut app, 100, 24);
    assert!(s.contains("diff · lead · /work/repo · computing…"), "{s}");
    let text = " README | 1 +\n 1 file changed\n\ndiff --git a/README b/README\n@@ -1 +1,2 @@\n hello\n+world\n";
    app.on_diff("lead", Ok(Some(text.into())));
    let s = render(&mut app, 100, 24);
    assert!(s.contains("lines 1–7 of 7"), "{s}");
    assert!(s.contains("README | 1 +"), "{s}");
    assert!(s.contains("+world"), "{s}");
    assert!(s.contains("v/esc close"), "{s}");
}

#[test]
fn the_tree_shows_the_worktree_branch_in_the_note() {
    let mut app = app();
    let s = render(&mut app, 160, 24);
    assert!(s.contains("⎇ agent/lead"), "{s}");
}
