//! How an attempt ended, in words the console's tree, `shoal status` and its JSON share:
//! `killed by operator`, `killed by lead` (an ancestor), `killed (stalled 3×)` (the
//! stall ladder), `cancelled by budget`, so an operator's kill and the ladder's never
//! read alike; a spent restart policy is the note's `restart limit (5 in 10m)`.

use super::{AgentView, EventKind, EventView, KilledBy, LifeState, Tier, Verb};

/// The words for how `a`'s current attempt ended, from its newest events (newest
/// first; events of other attempts are skipped): who killed it, or its exit status, or
/// failing both its state. A restart policy that gave up says so in the agent's note
/// (`restart limit (5 in 10m)`), beside these words.
pub fn words<'a>(a: &AgentView, newest_first: impl Iterator<Item = &'a EventView>) -> String {
    let mut killer: Option<String> = None;
    let mut how: Option<String> = None;
    let mine = newest_first.filter(|e| e.attempt.map_or(true, |n| n == a.attempt));
    for e in mine {
        match &e.payload {
            Some(EventKind::Acted {
                verb: Verb::Kill | Verb::Cancel | Verb::Remove,
                by,
                ..
            }) if killer.is_none() => killer = Some(caller_word(by)),
            // A spent budget cancels with no command behind it.
            Some(EventKind::BudgetStopped { .. }) if killer.is_none() => {
                killer = Some("budget".to_string());
            }
            Some(EventKind::Killed { by, .. }) if how.is_none() => {
                how = Some(match by {
                    KilledBy::Ladder { .. } => {
                        format!("killed (stalled {}×)", Tier::Kill.multiple())
                    }
                    KilledBy::Request { .. } => "killed on request".to_string(),
                });
            }
            Some(EventKind::CancelFinished { .. }) if how.is_none() => {
                how = Some("cancelled".to_string());
            }
            Some(EventKind::Vanished { .. }) if how.is_none() => {
                how = Some("pane vanished".to_string());
            }
            Some(EventKind::ServerGone { .. }) if how.is_none() => {
                how = Some("tmux server gone".to_string());
            }
            Some(EventKind::Started { .. }) => break,
            _ => {}
        }
    }
    match (how, killer) {
        (Some(h), Some(k)) if h == "killed on request" => format!("killed by {k}"),
        (Some(h), Some(k)) if h == "cancelled" => format!("cancelled by {k}"),
        (Some(h), _) => h,
        (None, _) => match (a.exit_status, a.state) {
            (Some(s), _) => format!("exit {s}"),
            (None, LifeState::Done) => "done".to_string(),
            (None, state) => state.to_string(),
        },
    }
}

/// Who asked, in a word: `operator`, or the agent's name.
pub fn caller_word(by: &str) -> String {
    match by.strip_prefix("agent ") {
        Some(rest) => rest
            .split(['#', ' '])
            .next()
            .unwrap_or("an agent")
            .to_string(),
        None => by.split(' ').next().unwrap_or("operator").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::sample::NOW;
    use crate::fleet::RestartNote;

    fn event(id: i64, kind: EventKind) -> EventView {
        EventView {
            id,
            ts_ms: NOW,
            agent: Some("a".into()),
            attempt: Some(1),
            kind: kind.name().into(),
            tier: None,
            detail: kind.render(),
            rule: None,
            has_capture: false,
            level: kind.level(),
            payload: Some(kind),
        }
    }

    fn killed(by: KilledBy) -> EventKind {
        EventKind::Killed { by, note: None }
    }

    fn acted(verb: Verb, by: &str) -> EventKind {
        EventKind::Acted {
            verb,
            by: by.into(),
            outcome: "done".into(),
        }
    }

    #[test]
    fn an_operators_kill_the_ladders_and_a_spent_restart_policy_read_apart() {
        let a = AgentView::sample("a").with_ended(LifeState::Killed, None, NOW);
        let ladder = [event(3, killed(KilledBy::Ladder { stalled_s: 180 }))];
        assert_eq!(words(&a, ladder.iter()), "killed (stalled 3×)");
        let op = [
            event(4, killed(KilledBy::Request { agent: "a".into() })),
            event(3, acted(Verb::Kill, "operator (tty /dev/pts/3)")),
        ];
        assert_eq!(words(&a, op.iter()), "killed by operator");
        let by_lead = [
            event(4, killed(KilledBy::Request { agent: "a".into() })),
            event(3, acted(Verb::Kill, "agent lead#2 (pane %7)")),
        ];
        assert_eq!(words(&a, by_lead.iter()), "killed by lead");
        // Only this attempt's events count: an older attempt's kill is not this one's.
        let mut older = event(2, acted(Verb::Kill, "operator"));
        older.attempt = Some(0);
        let unknown = [
            event(4, killed(KilledBy::Request { agent: "a".into() })),
            older,
        ];
        assert_eq!(words(&a, unknown.iter()), "killed on request");
        let mut limited = AgentView::sample("a").with_ended(LifeState::Failed, Some(1), NOW);
        limited.lineage.restart = Some(RestartNote::Limit {
            max: 5,
            window_ms: 600_000,
        });
        // A spent restart policy is the note's to say, beside the words.
        assert_eq!(words(&limited, std::iter::empty()), "exit 1");
        assert_eq!(limited.note_at(NOW), "restart limit (5 in 10m)");
        let cancelled = [
            event(4, EventKind::CancelFinished { note: None }),
            event(3, acted(Verb::Cancel, "operator")),
        ];
        assert_eq!(words(&a, cancelled.iter()), "cancelled by operator");
        let budget = [
            event(4, EventKind::CancelFinished { note: None }),
            event(
                3,
                EventKind::BudgetStopped {
                    owner: Some("lead".into()),
                    limit: crate::fleet::Usd(10_000),
                    action: crate::fleet::BudgetAction::Cancel,
                    outcome: "sent C-c".into(),
                },
            ),
        ];
        assert_eq!(words(&a, budget.iter()), "cancelled by budget");
    }
}
