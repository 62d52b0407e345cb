//! Budgets through the real binary, real tmux and a real supervisor: agents of kind
//! `aider` print aider's own usage line (`Tokens: … Cost: $X message, $Y session.`)
//! when the test types `spend AMOUNT` into them, so the supervisor reads what they
//! spent off their screens as it reads aider's. A `$0.01` budget on a subtree warns
//! once at 80 % (a supervisor restart does not warn again), pauses exactly that subtree
//! when spent (interrupt keys, held), keeps a child spawned into it queued, refuses
//! `resume` until the budget is raised in the fleet file, and then lets it go on.

use crate::common::Rig;
use serde_json::Value;
use std::time::Duration;

/// An agent that spends on request: `spend 0.004` prints one usage line with the
/// session's running total, as aider does after each answer, then aider's rule and
/// `>` prompt. Ctrl-C (the aider
/// profile's interrupt key) is caught and shown, as aider shows it, instead of exiting.
const SPENDER: &str = r#"rule='────────────────────'
prompt() { printf '%s\n> ' "$rule"; }
trap 'printf "\n^C KeyboardInterrupt\n"; prompt' INT
total=0
echo "spender ready"
prompt
while :; do
  read -r verb amount || continue
  if [ "$verb" = spend ]; then
    total=$(awk -v a="$total" -v b="$amount" 'BEGIN { printf "%.4f", a + b }')
    echo "Tokens: 1.0k sent, 20 received. Cost: \$$amount message, \$$total session."
  fi
  prompt
done
"#;

const WAIT: Duration = Duration::from_secs(90);

fn fleet(team_budget: &str, script: &str) -> String {
    let cmd = format!("bash {script}");
    let agent = |name: &str, parent: &str, extra: &str| {
        format!(
            "[[agent]]\nname = \"{name}\"\nkind = \"aider\"\ncmd = \"{cmd}\"\n{parent}{extra}\n"
        )
    };
    [
        agent("boss", "", ""),
        agent(
            "team",
            "parent = \"boss\"\n",
            &format!("budget = \"{team_budget}\"\n"),
        ),
        agent("w1", "parent = \"team\"\n", ""),
        agent("solo", "parent = \"boss\"\n", ""),
    ]
    .concat()
}

fn budget_events(rig: &Rig, which: &str) -> Vec<Value> {
    let out = rig.ok(&["events", "--json"]);
    let all: Vec<Value> = serde_json::from_str(&out).expect("events JSON");
    all.into_iter()
        .filter(|e| e["kind"] == "budget" && e["payload"]["type"] == which)
        .collect()
}

fn own_cost(rig: &Rig, agent: &str) -> f64 {
    rig.agent(agent)["usage"]["own"]["cost"]
        .as_f64()
        .unwrap_or(0.0)
}

/// Type `spend AMOUNT` into an agent and wait until the supervisor counted it.
fn spend(rig: &Rig, agent: &str, amount: &str, total: f64) {
    rig.ok(&["send", agent, &format!("spend {amount}")]);
    rig.wait_for(WAIT, &format!("{agent} to have spent ${total}"), || {
        (own_cost(rig, agent) >= total - 1e-9).then_some(())
    });
}

#[test]
fn a_cent_budget_pauses_its_subtree_only_and_resume_waits_for_a_raise() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("spender.sh");
    std::fs::write(&script, SPENDER).unwrap();
    let script = script.display().to_string();
    let settings = "poll_interval = \"300ms\"\nstall_timeout = \"10m\"";
    let mut rig = Rig::new(settings, &fleet("$0.01", &script));
    let pid = rig.supervise();
    rig.wait_for(WAIT, "every spender at its prompt", || {
        ["boss", "team", "w1", "solo"]
            .iter()
            .all(|a| rig.capture(a).contains("spender ready"))
            .then_some(())
    });

    // 85 %: one warning on the budget's owner, nothing stopped.
    spend(&rig, "w1", "0.0085", 0.0085);
    let warned = rig.wait_for(WAIT, "the 80 % warning", || {
        let w = budget_events(&rig, "budget-warning");
        (!w.is_empty()).then_some(w)
    });
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert_eq!(warned[0]["agent"], "team");
    let team = rig.agent("team");
    assert_eq!(team["budget"]["level"], "warned", "{team:#}");
    assert_eq!(team["budget"]["percent"], 85);
    assert_eq!(team["note"], "budget 85% of $0.01 [1 live]", "{team:#}");
    assert_eq!(rig.agent("w1")["note"], "team's budget 85% of $0.01");

    // Still in the band, and a restarted supervisor: no second warning.
    spend(&rig, "w1", "0.0005", 0.009);
    rig.kill_supervisor(pid, libc::SIGTERM);
    rig.supervise();
    rig.wait_ticks(3);
    spend(&rig, "w1", "0.0003", 0.0093);
    rig.wait_ticks(3);
    assert_eq!(budget_events(&rig, "budget-warning").len(), 1);
    assert!(!rig.capture("w1").contains("KeyboardInterrupt"));

    // Spent: team and w1 are interrupted and paused; boss and solo are not.
    spend(&rig, "w1", "0.003", 0.0123);
    rig.wait_for(WAIT, "team and w1 paused by the budget", || {
        let paused = |a: &str| rig.agent(a)["budget"]["paused"] == true;
        (paused("team") && paused("w1")).then_some(())
    });
    for a in ["team", "w1"] {
        let v = rig.agent(a);
        assert_eq!(v["paused"], true, "{v:#}");
        assert_eq!(v["state"], "running", "paused, not ended: {v:#}");
        assert_eq!(v["budget"]["level"], "exhausted");
        rig.wait_for(WAIT, &format!("{a} interrupted"), || {
            rig.capture(a).contains("KeyboardInterrupt").then_some(())
        });
    }
    assert_eq!(rig.agent("w1")["note"], "paused: team's budget $0.01 spent");
    let exhausted = budget_events(&rig, "budget-exhausted");
    assert_eq!(exhausted.len(), 1, "{exhausted:?}");
    assert_eq!(
        exhausted[0]["payload"]["agents"],
        serde_json::json!(["team", "w1"])
    );
    // The siblings keep running, and their spending still counts.
    spend(&rig, "solo", "0.5", 0.5);
    rig.wait_ticks(3);
    for a in ["boss", "solo"] {
        let v = rig.agent(a);
        assert_eq!(
            (v["paused"].clone(), v["state"].clone()),
            (false.into(), "running".into()),
            "{v:#}"
        );
        assert!(
            !rig.capture(a).contains("KeyboardInterrupt"),
            "{a} interrupted"
        );
    }
    // The usage lines are in the log, searchable.
    let logs: Value = serde_json::from_str(&rig.ok(&["logs", "usage", "--agent", "w1", "--json"]))
        .expect("logs JSON");
    assert!(
        logs["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["message"]
                .as_str()
                .unwrap_or("")
                .starts_with("usage screen: +1000 in")),
        "{logs:#}"
    );

    // A child spawned into the spent subtree waits, and says why.
    let out = rig.ok(&["spawn", "late", "--parent", "w1", "--", "sleep", "1000"]);
    assert!(
        out.contains("queued #1: not started: team's budget $0.0123 spent of $0.01"),
        "{out}"
    );
    rig.wait_ticks(3);
    let late = rig.agent("late");
    assert_eq!(late["state"], "queued", "{late:#}");
    assert_eq!(
        late["note"],
        "queued #1 not started: team's budget $0.01 spent"
    );

    // Resume is refused while the budget is spent, and says what to do.
    let refused = rig.shoal(&["resume", "w1"]);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{err}");
    assert!(
        err.contains("w1 stays paused: team's budget $0.0123 spent of $0.01"),
        "{err}"
    );
    assert!(
        err.contains("raise `budget` of agent \"team\" in the fleet file"),
        "{err}"
    );
    assert_eq!(rig.agent("w1")["paused"], true);

    // Raised in the fleet file: the supervisor reads it, the child starts, resume works.
    std::fs::write(rig.fleet_path(), {
        let text = std::fs::read_to_string(rig.fleet_path()).unwrap();
        text.replace("budget = \"$0.01\"", "budget = \"$1\"")
    })
    .unwrap();
    rig.wait_for(WAIT, "the raised budget read and the child started", || {
        let late = rig.agent("late");
        (late["state"] != "queued" && rig.agent("team")["budget"]["level"] == "under").then_some(())
    });
    let out = rig.ok(&["resume", "w1"]);
    assert!(out.contains("resumed supervision of w1"), "{out}");
    assert!(out.contains("the same budget still pauses team"), "{out}");
    let w1 = rig.agent("w1");
    assert_eq!(
        (w1["paused"].clone(), w1["budget"]["paused"].clone()),
        (false.into(), false.into()),
        "{w1:#}"
    );
    assert_eq!(
        rig.agent("team")["paused"],
        true,
        "team waits for its own resume"
    );
    assert_eq!(budget_events(&rig, "budget-warning").len(), 1);
    assert_eq!(budget_events(&rig, "budget-exhausted").len(), 1);
}
