use super::*;

fn pane(agent: &str, attempt: u32, pane: &str, pid: u32) -> LivePane {
    LivePane {
        agent: agent.into(),
        attempt,
        server: "shoal-f".into(),
        pane: pane.into(),
        pid: Some(pid),
        marked: true,
    }
}

fn live() -> Vec<LivePane> {
    vec![pane("lead", 1, "%1", 100), pane("mallory", 2, "%7", 700)]
}

fn known(name: &str) -> Option<u32> {
    ["lead", "mallory", "victim"].contains(&name).then_some(1)
}

fn agent(name: &str, attempt: u32, pane: Option<&str>) -> Caller {
    Caller::Agent {
        name: name.into(),
        attempt,
        pane: pane.map(str::to_string),
    }
}

fn decide_with(w: Whereabouts) -> Result<Caller, String> {
    decide("f", &live(), &w, &known)
}

#[test]
fn the_process_chain_decides_and_the_environment_cannot_widen() {
    let op = Caller::Operator {
        tty: Some("/dev/pts/3".into()),
    };
    let in_mallory = vec![9001, 9000, 700, 50];
    // (where it runs, who it is)
    let cases: Vec<(Whereabouts, Caller)> = vec![
        // Outside every pane: the operator, with its terminal.
        (
            Whereabouts {
                chain: vec![9001, 42, 1],
                tty: Some("/dev/pts/3".into()),
                ..Whereabouts::default()
            },
            op.clone(),
        ),
        // Inside mallory's pane, however deep.
        (
            Whereabouts {
                chain: in_mallory.clone(),
                ..Whereabouts::default()
            },
            agent("mallory", 2, Some("%7")),
        ),
        // `SHOAL_AGENT=lead` inside mallory's pane changes nothing.
        (
            Whereabouts {
                chain: in_mallory.clone(),
                env_agent: Some("lead".into()),
                env_fleet: Some("f".into()),
                ..Whereabouts::default()
            },
            agent("mallory", 2, Some("%7")),
        ),
        // `env -u SHOAL_AGENT -u SHOAL_FLEET -u TMUX_PANE` neither.
        (
            Whereabouts {
                chain: in_mallory.clone(),
                tty: Some("/dev/pts/9".into()),
                ..Whereabouts::default()
            },
            agent("mallory", 2, Some("%7")),
        ),
        // A process that left the chain (double fork) but kept `$TMUX_PANE`.
        (
            Whereabouts {
                chain: vec![9100, 1],
                tmux_pane: Some(("shoal-f".into(), "%7".into())),
                ..Whereabouts::default()
            },
            agent("mallory", 2, Some("%7")),
        ),
        // … or whose pane's shell was started with mallory's variables.
        (
            Whereabouts {
                chain: vec![9100, 1],
                pane_env: Some(("f".into(), "mallory".into())),
                env_agent: Some("lead".into()),
                env_fleet: Some("f".into()),
                ..Whereabouts::default()
            },
            agent("mallory", 1, None),
        ),
        // The operator narrows itself to an agent with SHOAL_AGENT.
        (
            Whereabouts {
                chain: vec![9001, 42],
                env_agent: Some("lead".into()),
                env_fleet: Some("f".into()),
                ..Whereabouts::default()
            },
            agent("lead", 1, None),
        ),
        // SHOAL_AGENT of another fleet does not narrow this one.
        (
            Whereabouts {
                chain: vec![9001, 42],
                env_agent: Some("lead".into()),
                env_fleet: Some("other".into()),
                ..Whereabouts::default()
            },
            Caller::Operator { tty: None },
        ),
    ];
    for (w, want) in cases {
        assert_eq!(decide_with(w.clone()), Ok(want), "{w:?}");
    }
}

#[test]
fn a_tmux_pane_without_shoal_marks_or_on_another_server_is_no_agent() {
    let mut unmarked = live();
    unmarked[1].marked = false;
    let w = Whereabouts {
        chain: vec![9100, 1],
        tmux_pane: Some(("shoal-f".into(), "%7".into())),
        ..Whereabouts::default()
    };
    assert_eq!(
        decide("f", &unmarked, &w, &known),
        Ok(Caller::Operator { tty: None })
    );
    let elsewhere = Whereabouts {
        tmux_pane: Some(("default".into(), "%7".into())),
        ..w
    };
    assert_eq!(decide_with(elsewhere), Ok(Caller::Operator { tty: None }));
}

#[test]
fn the_nearest_pane_in_the_chain_wins() {
    // lead's pane holds a tmux client whose server runs mallory's pane: mallory's
    // pane pid comes first in the chain.
    let w = Whereabouts {
        chain: vec![9001, 700, 60, 100],
        ..Whereabouts::default()
    };
    assert_eq!(decide_with(w), Ok(agent("mallory", 2, Some("%7"))));
}

#[test]
fn another_fleets_pane_and_unknown_names_are_refused() {
    let w = Whereabouts {
        chain: vec![9100, 1],
        pane_env: Some(("other".into(), "eve".into())),
        ..Whereabouts::default()
    };
    assert_eq!(
        decide_with(w),
        Err("this command runs inside agent eve's pane of fleet other: an agent cannot act on fleet f; nothing was done".into())
    );
    let w = Whereabouts {
        env_agent: Some("ghost".into()),
        env_fleet: Some("f".into()),
        ..Whereabouts::default()
    };
    assert_eq!(
        decide_with(w),
        Err("SHOAL_AGENT names \"ghost\", which fleet f does not know; run this inside one of its agents' panes".into())
    );
}

#[test]
fn the_parent_pid_is_read_past_a_name_with_spaces_and_parentheses() {
    assert_eq!(parse_ppid("4242 (a (b) c) S 17 4242 4242 0 -1"), Some(17));
    assert_eq!(parse_ppid("1 (init) S 0 1 1"), Some(0));
    assert_eq!(parse_ppid("garbage"), None);
    // This process's own chain reaches a real parent.
    let chain = ancestors(std::process::id());
    assert_eq!(chain[0], std::process::id());
    assert!(chain.len() >= 2, "{chain:?}");
}
