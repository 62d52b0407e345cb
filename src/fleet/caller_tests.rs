use super::*;

/// `lead → {victim → v1, appr}`, and `mallory` on her own.
fn tree() -> Parents {
    [
        ("lead", None),
        ("victim", Some("lead")),
        ("appr", Some("lead")),
        ("v1", Some("victim")),
        ("mallory", None),
    ]
    .into_iter()
    .map(|(n, p)| (n.to_string(), p.map(str::to_string)))
    .collect()
}

fn agent(name: &str) -> Caller {
    Caller::Agent {
        name: name.into(),
        attempt: 1,
        pane: Some("%1".into()),
    }
}

const TARGETED: [Verb; 10] = [
    Verb::Send,
    Verb::Steer,
    Verb::Nudge,
    Verb::Pause,
    Verb::Resume,
    Verb::Kill,
    Verb::Cancel,
    Verb::Retry,
    Verb::Approve,
    Verb::Deny,
];

#[test]
fn targeted_verbs_reach_strict_descendants_only() {
    let t = tree();
    // (caller, target, allowed)
    let cases = [
        ("lead", "victim", true),
        ("lead", "appr", true),
        ("lead", "v1", true),
        ("lead", "lead", false),
        ("lead", "mallory", false),
        ("victim", "v1", true),
        ("victim", "appr", false),
        ("victim", "lead", false),
        ("mallory", "victim", false),
        ("mallory", "appr", false),
        ("mallory", "mallory", false),
        ("mallory", "ghost", false),
    ];
    for verb in TARGETED {
        for (by, target, ok) in cases {
            let r = may_act(&agent(by), verb, target, &t);
            assert_eq!(r.is_ok(), ok, "{by} {verb} {target}: {r:?}");
        }
        let op = Caller::Operator { tty: None };
        for target in ["lead", "victim", "mallory", "ghost"] {
            assert_eq!(may_act(&op, verb, target, &t), Ok(()), "operator {verb}");
        }
    }
}

#[test]
fn refusals_say_who_may_do_what() {
    let t = tree();
    let cases = [
        (
            "mallory",
            Verb::Approve,
            "appr",
            "mallory cannot approve appr: an agent may only approve its own descendants (mallory has no descendants); nothing was sent",
        ),
        (
            "victim",
            Verb::Kill,
            "appr",
            "victim cannot kill appr: an agent may only kill its own descendants (victim may kill: v1); nothing was done",
        ),
        (
            "lead",
            Verb::Down,
            "",
            "lead cannot run `shoal down` from its pane: only the operator stops the whole fleet; nothing was done",
        ),
        (
            "lead",
            Verb::Adopt,
            "",
            "lead cannot run `shoal adopt` from its pane: only the operator brings panes under supervision; nothing was done",
        ),
        (
            "lead",
            Verb::Console,
            "",
            "lead cannot open the console from its pane: the console acts with the operator's powers; `shoal status` shows the fleet",
        ),
        (
            "mallory",
            Verb::Signal,
            "victim",
            "mallory cannot signal for victim: an agent signals only for itself; nothing was sent",
        ),
        (
            "mallory",
            Verb::Inbox,
            "lead",
            "mallory cannot read lead's inbox; an agent reads its own (drop --agent)",
        ),
        (
            "mallory",
            Verb::Spawn,
            "lead",
            "mallory can only spawn into its own subtree: --parent \"lead\" is neither mallory nor one of its descendants",
        ),
    ];
    for (by, verb, target, want) in cases {
        assert_eq!(
            may_act(&agent(by), verb, target, &t),
            Err(want.to_string()),
            "{by} {verb} {target}"
        );
    }
}

#[test]
fn self_directed_verbs_are_the_agents_own() {
    let t = tree();
    for (by, verb, target, ok) in [
        ("mallory", Verb::Signal, "mallory", true),
        ("mallory", Verb::Inbox, "mallory", true),
        ("mallory", Verb::Spawn, "mallory", true),
        ("lead", Verb::Spawn, "victim", true),
        ("lead", Verb::Spawn, "v1", true),
        ("victim", Verb::Spawn, "lead", false),
        ("lead", Verb::Inbox, "victim", false),
        ("lead", Verb::Signal, "victim", false),
    ] {
        let r = may_act(&agent(by), verb, target, &t);
        assert_eq!(r.is_ok(), ok, "{by} {verb} {target}: {r:?}");
    }
    // The operator's fleet-wide verbs stay the operator's.
    let op = Caller::Operator {
        tty: Some("/dev/pts/3".into()),
    };
    for verb in [Verb::Down, Verb::Adopt, Verb::Console] {
        assert_eq!(may_act(&op, verb, "", &t), Ok(()));
    }
}

#[test]
fn the_audit_trail_names_the_caller() {
    let cases = [
        (
            Caller::Operator {
                tty: Some("/dev/pts/3".into()),
            },
            "operator (tty /dev/pts/3)",
        ),
        (Caller::Operator { tty: None }, "operator"),
        (
            Caller::Agent {
                name: "mallory".into(),
                attempt: 2,
                pane: Some("%7".into()),
            },
            "agent mallory#2 (pane %7)",
        ),
        (
            Caller::Agent {
                name: "lead".into(),
                attempt: 1,
                pane: None,
            },
            "agent lead#1 (no pane)",
        ),
    ];
    for (caller, want) in cases {
        assert_eq!(caller.to_string(), want);
    }
}

#[test]
fn a_command_without_a_caller_implies_one() {
    let steer = Command::Steer {
        agent: "victim".into(),
        by: "lead".into(),
        text: "x".into(),
    };
    assert_eq!(Caller::implied_by(&steer).agent(), Some("lead"));
    let signal = Command::Signal {
        agent: "appr".into(),
        kind: crate::fleet::SignalKind::Done,
        message: "ok".into(),
    };
    assert_eq!(Caller::implied_by(&signal).agent(), Some("appr"));
    let kill = Command::Kill {
        agent: "victim".into(),
    };
    assert_eq!(Caller::implied_by(&kill), Caller::Operator { tty: None });
    for cmd in [steer, signal, kill] {
        assert_eq!(Verb::of(&cmd), cmd.verb());
    }
}

#[test]
fn a_parent_cycle_does_not_hang() {
    let mut t = tree();
    t.insert("x".into(), Some("y".into()));
    t.insert("y".into(), Some("x".into()));
    assert!(!is_descendant(&t, "x", "lead"));
    assert!(is_descendant(&t, "x", "y"));
}

#[test]
fn an_agent_adds_only_into_its_subtree_and_removes_only_its_descendants() {
    let t = tree();
    // `add` names the new agent's parent: the caller or one of its descendants.
    for (by, parent, ok) in [
        ("lead", "lead", true),
        ("lead", "v1", true),
        ("victim", "v1", true),
        ("victim", "lead", false),
        ("mallory", "lead", false),
    ] {
        let r = may_act(&agent(by), Verb::Add, parent, &t);
        assert_eq!(r.is_ok(), ok, "{by} add under {parent}: {r:?}");
        if let Err(why) = r {
            assert!(
                why.contains("own subtree") && why.contains("nothing was written"),
                "{why}"
            );
        }
    }
    // `remove` ends and deletes: strict descendants only, never itself.
    for (by, target, ok) in [
        ("lead", "victim", true),
        ("lead", "v1", true),
        ("lead", "lead", false),
        ("victim", "appr", false),
        ("mallory", "lead", false),
    ] {
        let r = may_act(&agent(by), Verb::Remove, target, &t);
        assert_eq!(r.is_ok(), ok, "{by} remove {target}: {r:?}");
    }
    let op = Caller::Operator { tty: None };
    assert!(may_act(&op, Verb::Remove, "lead", &t).is_ok());
    assert!(may_act(&op, Verb::Add, "", &t).is_ok());
}
