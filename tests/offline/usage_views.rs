//! Usage in the console: the tree's cost column (a parent shows its subtree), the fleet
//! total in the header, and the order columns leave a narrowing tree.

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use shoal::app::App;
use shoal::fleet::sample::NOW;
use shoal::fleet::usage::rollup;
use shoal::fleet::{AgentView, FleetSnapshot, UsageSum};
use shoal::theme::Theme;
use shoal::ui;
use shoal::usage::Tokens;
use std::sync::Arc;

fn agent(name: &str, parent: Option<&str>, cost: f64, unpriced: bool) -> AgentView {
    let mut a = AgentView::sample(name)
        .with_parent(parent)
        .with_progress_at(NOW - 7_000)
        .with_kind("claude-long-kind");
    a.usage.own = UsageSum {
        tokens: Tokens {
            input: 1000,
            output: 100,
            ..Tokens::default()
        },
        cost,
        unpriced,
    };
    a.usage.attempt = a.usage.own;
    a.usage.cost_per_hour = Some(cost / 2.0);
    a.usage.tokens_per_hour = Some(550.0);
    a
}

fn render(w: u16, h: u16) -> Vec<String> {
    let mut agents = vec![
        agent("lead", None, 3.0, false),
        agent("mid", Some("lead"), 1.5, false),
        agent("leaf", Some("mid"), 1.25, false),
        agent("other", None, 0.0, true),
    ];
    rollup(&mut agents);
    let mut app = App::default();
    app.on_snapshot(Arc::new(FleetSnapshot::sample(agents).taken_at(NOW - 400)));
    app.set_regions(ui::regions(ratatui::layout::Rect::new(0, 0, w, h)));
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    term.draw(|f| ui::draw(f, &app, &Theme::plain(), NOW))
        .expect("draw");
    let buf = term.backend().buffer();
    (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>())
        .collect()
}

fn row<'a>(screen: &'a [String], name: &str) -> &'a str {
    screen
        .iter()
        .find(|l| l.contains(&format!("● {name} ")))
        .unwrap_or_else(|| panic!("no row for {name}:\n{}", screen.join("\n")))
}

#[test]
fn parents_show_their_subtree_cost_and_the_header_the_fleet() {
    let screen = render(160, 20);
    let all = screen.join("\n");
    assert!(row(&screen, "lead").contains("$5.75"), "{all}");
    assert!(row(&screen, "mid").contains("$2.75"), "{all}");
    assert!(row(&screen, "leaf").contains("$1.25"), "{all}");
    assert!(
        row(&screen, "other").contains("1.1k tok?"),
        "unpriced: {all}"
    );
    assert!(
        screen[0].contains("$5.75+?"),
        "fleet total in the header: {}",
        screen[0]
    );
    assert!(all.contains("cost") && all.contains("kind"), "{all}");
    // The selected agent's pane title: its current attempt's cost and rate.
    assert!(screen[1].contains("working · $3.00 · $1."), "{}", screen[1]);
}

#[test]
fn a_narrowing_tree_drops_the_kind_before_the_cost() {
    let titles = |w: u16| {
        let screen = render(w, 20);
        // The tree's title row; the pane on the right names the kind in its own title.
        let head = screen
            .iter()
            .find(|l| l.contains(" agent "))
            .cloned()
            .unwrap_or_default();
        let tree = head.split('│').nth(1).unwrap_or("").to_string();
        (tree.contains(" cost"), tree.contains(" kind"))
    };
    let widths: Vec<(u16, (bool, bool))> = (50..160).step_by(2).map(|w| (w, titles(w))).collect();
    assert!(
        widths.iter().any(|(_, t)| *t == (true, false)),
        "some width shows the cost without the kind: {widths:?}"
    );
    assert!(
        !widths.iter().any(|(_, t)| *t == (false, true)),
        "no width shows the kind without the cost: {widths:?}"
    );
    assert_eq!(widths.last().unwrap().1, (true, true));
}

#[test]
fn budgets_show_in_the_note_and_the_fleet_budget_in_the_header() {
    use shoal::fleet::{Budget, BudgetAction, BudgetNote, Usd};
    let note = |owner: Option<&str>, limit: u64, cost: f64, unpriced: bool, paused: bool| {
        let budget = Budget {
            limit: Usd(limit),
            action: BudgetAction::Pause,
        };
        let spent = UsageSum {
            cost,
            unpriced,
            ..UsageSum::default()
        };
        BudgetNote {
            paused,
            ..BudgetNote::new(owner.map(str::to_string), budget, &spent)
        }
    };
    let mut agents = vec![
        agent("lead", None, 3.0, false),
        agent("mid", Some("lead"), 1.5, false),
        agent("leaf", Some("mid"), 1.25, false),
        agent("other", None, 0.0, true),
    ];
    agents[0].lineage.budget = Some(note(Some("lead"), 10_000_000, 5.75, false, false));
    agents[1].lineage.budget = Some(note(Some("mid"), 2_000_000, 2.75, false, true));
    agents[2].lineage.budget = Some(note(Some("mid"), 2_000_000, 2.75, false, true));
    agents[3].lineage.budget = Some(note(Some("other"), 1_000_000, 0.0, true, false));
    rollup(&mut agents);
    let mut snap = FleetSnapshot::sample(agents).taken_at(NOW - 400);
    snap.stats.budgets = vec![note(None, 8_000_000, 7.0, true, false)];
    let mut app = App::default();
    app.on_snapshot(Arc::new(snap));
    let (w, h) = (160, 20);
    app.set_regions(ui::regions(ratatui::layout::Rect::new(0, 0, w, h)));
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    term.draw(|f| ui::draw(f, &app, &Theme::plain(), NOW))
        .expect("draw");
    let buf = term.backend().buffer();
    let screen: Vec<String> = (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>())
        .collect();
    let all = screen.join("\n");
    assert!(
        row(&screen, "lead").contains("budget 57% of $10.00"),
        "{all}"
    );
    assert!(
        row(&screen, "mid").contains("paused: budget $2.00 spent"),
        "{all}"
    );
    assert!(
        row(&screen, "leaf").contains("paused: mid's budget $2.00"),
        "{all}"
    );
    assert!(
        row(&screen, "other").contains("budget 0% of $1.00 +?"),
        "unpriced: {all}"
    );
    assert!(
        screen[0].contains("fleet budget 87% of $8.00 +?"),
        "the fleet's budget in the header: {}",
        screen[0]
    );
}
