use super::*;
use crate::usage::Tokens;

fn usd(s: &str) -> Usd {
    Usd::parse(s).unwrap()
}

fn spent(cost: f64, unpriced: bool) -> UsageSum {
    UsageSum {
        tokens: Tokens {
            input: 10,
            ..Tokens::default()
        },
        cost,
        unpriced,
    }
}

#[test]
fn amounts_parse_exactly_and_bad_ones_say_why() {
    for (text, micros) in [
        ("$5", 5_000_000),
        ("5", 5_000_000),
        ("$0.01", 10_000),
        (" $ 2.50 ", 2_500_000),
        (".5", 500_000),
        ("$0.000001", 1),
        ("1000000", 1_000_000_000_000),
    ] {
        assert_eq!(Usd::parse(text), Ok(Usd(micros)), "{text}");
    }
    for (text, why) in [
        ("$-1", "negative"),
        ("-0.5", "negative"),
        ("five dollars", "not a dollar amount"),
        ("$", "not a dollar amount"),
        ("1e3", "not a dollar amount"),
        ("5 USD", "not a dollar amount"),
        ("$0", "zero"),
        ("0.0000001", "more precise"),
        ("$1000000.01", "most shoal takes"),
        ("99999999999999999999", "most shoal takes"),
    ] {
        let e = Usd::parse(text).unwrap_err();
        assert!(
            e.contains(&format!("{text:?}")) && e.contains(why),
            "{text}: {e}"
        );
    }
}

#[test]
fn amounts_show_exactly_and_round_trip_through_json() {
    assert_eq!(usd("5").to_string(), "$5.00");
    assert_eq!(usd("$0.01").to_string(), "$0.01");
    assert_eq!(usd("0.0085").to_string(), "$0.0085");
    assert_eq!(Usd(1).to_string(), "$0.000001");
    for a in [usd("5"), usd("0.0085"), Usd(1), Usd::MAX] {
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<Usd>(&json).unwrap(), a, "{json}");
    }
    // A number written by hand reads as dollars.
    assert_eq!(serde_json::from_str::<Usd>("2.5").unwrap(), usd("2.5"));
    assert_eq!(Usd::from_dollars(0.012_345_678_9), Usd(12_346));
    assert_eq!(Usd::from_dollars(-1.0), Usd(0));
    assert_eq!(Usd::from_dollars(f64::NAN), Usd(0));
}

#[test]
fn actions_read_their_words_and_suggest_the_near_one() {
    for a in BudgetAction::ALL {
        assert_eq!(a.as_str().parse::<BudgetAction>(), Ok(a));
    }
    assert_eq!(BudgetAction::default(), BudgetAction::Pause);
    let e = "pasue".parse::<BudgetAction>().unwrap_err();
    assert!(e.contains("did you mean \"pause\""), "{e}");
    let e = "explode".parse::<BudgetAction>().unwrap_err();
    assert!(e.contains("\"explode\"") && e.contains("\"cancel\""), "{e}");
}

#[test]
fn levels_turn_at_eighty_and_a_hundred_percent() {
    let limit = usd("5");
    // (spent, level, percent)
    for (s, level, pct) in [
        ("0.01", BudgetLevel::Under, 0),
        ("3.99", BudgetLevel::Under, 79),
        ("3.999999", BudgetLevel::Under, 79),
        ("4", BudgetLevel::Warned, 80),
        ("4.99", BudgetLevel::Warned, 99),
        ("5", BudgetLevel::Exhausted, 100),
        ("7.5", BudgetLevel::Exhausted, 150),
    ] {
        assert_eq!(BudgetLevel::of(usd(s), limit), level, "{s}");
        assert_eq!(usd(s).percent_of(limit), pct, "{s}");
    }
    assert_eq!(BudgetLevel::of(Usd(0), limit), BudgetLevel::Under);
    assert!(
        BudgetLevel::Under < BudgetLevel::Warned && BudgetLevel::Warned < BudgetLevel::Exhausted
    );
    // A cent's budget: float sums of tiny costs land on the right side.
    let cent = usd("0.01");
    assert_eq!(
        BudgetLevel::of(Usd::from_dollars(0.003 + 0.005), cent),
        BudgetLevel::Warned
    );
    assert_eq!(
        BudgetLevel::of(Usd::from_dollars(0.007 + 0.003), cent),
        BudgetLevel::Exhausted
    );
}

fn member<'a>(
    name: &'a str,
    parent: Option<&'a str>,
    cost: f64,
    budget: Option<&str>,
) -> Member<'a> {
    Member {
        name,
        parent,
        own: spent(cost, false),
        budget: budget.map(|b| Budget {
            limit: usd(b),
            action: BudgetAction::Pause,
        }),
    }
}

#[test]
fn a_subtree_budget_counts_the_agent_and_every_descendant_only() {
    let members = [
        member("boss", None, 1.0, None),
        member("team", Some("boss"), 0.002, Some("$0.01")),
        member("w1", Some("team"), 0.005, None),
        member("w2", Some("w1"), 0.004, None),
        member("solo", Some("boss"), 3.0, None),
    ];
    let fleet = Budget {
        limit: usd("5"),
        action: BudgetAction::Warn,
    };
    let scopes = evaluate(&members, Some(fleet));
    assert_eq!(scopes.len(), 2);
    assert_eq!(scopes[0].note.owner, None);
    assert_eq!(scopes[0].members, [0, 1, 2, 3, 4]);
    assert_eq!(scopes[0].note.spent, usd("4.011"));
    assert_eq!(scopes[0].note.level, BudgetLevel::Warned);
    let team = &scopes[1];
    assert_eq!(team.note.owner.as_deref(), Some("team"));
    assert_eq!(team.members, [1, 2, 3], "solo and boss are outside it");
    assert_eq!(team.note.spent, usd("0.011"));
    assert_eq!(team.note.level, BudgetLevel::Exhausted);
    assert_eq!(team.note.percent, 110);
    let (shown, stopping) = per_member(&scopes, members.len());
    assert_eq!(stopping, [None, Some(1), Some(1), Some(1), None]);
    assert_eq!(shown, [Some(0), Some(1), Some(1), Some(1), Some(0)]);
    // The fleet's warn-only budget spent stops nobody.
    let spent_fleet = Budget {
        limit: usd("1"),
        action: BudgetAction::Warn,
    };
    let scopes = evaluate(&members[..1], Some(spent_fleet));
    assert_eq!(scopes[0].note.level, BudgetLevel::Exhausted);
    assert_eq!(per_member(&scopes, 1).1, [None]);
}

#[test]
fn nested_budgets_and_a_parent_cycle_count_each_agent_once() {
    let members = [
        member("a", Some("b"), 1.0, Some("10")),
        member("b", Some("a"), 2.0, Some("10")),
        member("c", Some("a"), 4.0, None),
    ];
    let scopes = evaluate(&members, None);
    assert_eq!(
        scopes[0].note.spent,
        usd("7"),
        "a: itself, b (its child in the cycle), c"
    );
    assert_eq!(scopes[1].note.spent, usd("7"));
    let (shown, stopping) = per_member(&scopes, 3);
    assert_eq!(stopping, [None, None, None]);
    assert!(shown.iter().all(Option::is_some));
}

#[test]
fn notes_read_as_the_operator_sees_them() {
    let budget = Budget {
        limit: usd("5"),
        action: BudgetAction::Pause,
    };
    let mut n = BudgetNote::new(Some("team".into()), budget, &spent(4.1, false));
    assert_eq!(n.text("team"), "budget 82% of $5.00");
    assert_eq!(n.text("w1"), "team's budget 82% of $5.00");
    n = BudgetNote::new(Some("team".into()), budget, &spent(5.2, true));
    n.paused = true;
    assert_eq!(n.text("w1"), "paused: team's budget $5.00 spent +?");
    let e = n.explain("w1");
    assert!(e.contains("$5.20 spent of $5.00 (104%)"), "{e}");
    assert!(e.contains("not counted"), "{e}");
    assert!(e.contains("raise `budget` of agent \"team\""), "{e}");
    let fleet = BudgetNote::new(
        None,
        Budget {
            limit: usd("1"),
            action: BudgetAction::Warn,
        },
        &spent(1.0, false),
    );
    assert_eq!(fleet.text("x"), "fleet budget $1.00 spent (warn only)");
    assert!(!fleet.explain("x").contains("raise"), "warn stops nothing");
}
