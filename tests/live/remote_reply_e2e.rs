//! The way back from panes on another host, end to end through the fake ssh of
//! `remote_e2e`: agents there run `shoal signal|spawn|inbox` with no store in reach;
//! the shim shoal installed on the host (first on the pane's PATH) and a shoal binary
//! both send the request through the pane's own tmux options, and the supervisor
//! carries it out once, as the agent whose pane it is.

use super::remote_e2e::Remote;
use std::time::Duration;

/// Write an agent's script into the test directory.
fn script(r: &Remote, name: &str, body: &str) -> String {
    let path = r.rig.dir.path().join(format!("{name}.sh"));
    let dir = r.rig.dir.path().display().to_string();
    std::fs::write(&path, body.replace("{dir}", &dir)).unwrap();
    path.display().to_string()
}

fn read(r: &Remote, file: &str) -> String {
    std::fs::read_to_string(r.rig.dir.path().join(file)).unwrap_or_default()
}

#[test]
fn remote_panes_signal_spawn_and_read_their_inbox_through_their_own_options() {
    let mut r = Remote::new("poll_interval = \"250ms\"", "");
    let lead = script(
        &r,
        "lead",
        r#"out={dir}/lead.out
echo "shoal is $(command -v shoal)" >> $out
{ shoal signal progress half way; echo "rc=$?"; } >> $out 2>&1
{ shoal spawn kid -- sh {dir}/kid.sh; echo "rc=$?"; } >> $out 2>&1
{ shoal inbox --wait 60s; echo "rc=$?"; } >> $out 2>&1
exec sleep 1000
"#,
    );
    script(
        &r,
        "kid",
        r#"{ shoal signal done kid finished; echo "rc=$?"; } >> {dir}/kid.out 2>&1
exec sleep 1000
"#,
    );
    // A shoal binary on the host speaks the same way when its pane has a token.
    let solo = script(
        &r,
        "solo",
        &format!(
            "{{ {} signal done via the binary; echo \"rc=$?\"; }} >> {{dir}}/solo.out 2>&1\nexec sleep 1000\n",
            crate::common::SHOAL
        ),
    );
    let text = std::fs::read_to_string(&r.rig.fleet).unwrap()
        + &format!(
            "[[agent]]\nname = \"lead\"\nkind = \"shell\"\ncmd = \"sh {lead}\"\nhost = \"remote1\"\n\n\
             [[agent]]\nname = \"solo\"\nkind = \"shell\"\ncmd = \"sh {solo}\"\nhost = \"remote1\"\n"
        );
    std::fs::write(&r.rig.fleet, text).unwrap();
    r.rig.ok(&["up", "--no-console"]);
    r.rig.supervise();

    let out = r
        .rig
        .wait_for(Duration::from_secs(60), "lead's inbox answer", || {
            let out = read(&r, "lead.out");
            (out.matches("rc=").count() >= 3).then_some(out)
        });
    let shim = r.dir.join("home-remote1/bin/shoal");
    assert!(
        out.contains(&format!("shoal is {}", shim.display())),
        "the shim is not first on the pane's PATH:\n{out}"
    );
    assert!(out.contains("signalled progress: half way\nrc=0"), "{out}");
    assert!(
        out.contains("spawned kid (shell) as a child of lead on host remote1\nrc=0"),
        "{out}"
    );
    assert!(out.contains("kid#1  done"), "{out}");
    assert!(out.contains("kid finished\nrc=0"), "{out}");

    let kid = r.rig.agent("kid");
    assert_eq!(kid["parent"], "lead", "{kid}");
    assert_eq!(
        kid["server"],
        format!("remote1:{}", r.rig.socket()),
        "{kid}"
    );
    assert_eq!(kid["state"], "done", "{kid}");
    let solo = r.rig.wait_for(Duration::from_secs(30), "solo done", || {
        let a = r.rig.agent("solo");
        (a["state"] == "done").then_some(a)
    });
    assert!(
        read(&r, "solo.out").contains("rc=0"),
        "{}",
        read(&r, "solo.out")
    );
    assert_eq!(solo["attempt"], 1, "{solo}");

    // Each request was carried out once.
    let signals = |agent: &str| {
        r.rig
            .event_kinds(agent)
            .iter()
            .filter(|k| *k == "signal")
            .count()
    };
    assert_eq!(signals("lead"), 1);
    assert_eq!(signals("kid"), 1);
    assert_eq!(signals("solo"), 1);
}

#[test]
fn a_pane_that_writes_into_another_panes_options_is_refused() {
    let mut r = Remote::new("poll_interval = \"250ms\"", "");
    let victim = script(&r, "victim", "exec sleep 1000\n");
    // mallory finds victim's pane and sends a signal as if from it, with its own token.
    let mallory = script(
        &r,
        "mallory",
        r#"p=""
while [ -z "$p" ]; do
  p=$(tmux list-panes -a -F '#{@shoal_agent} #{pane_id}' | awk '$1=="victim"{print $2}')
  sleep 0.2
done
{ TMUX_PANE=$p shoal signal failed hijacked; echo "rc=$?"; } >> {dir}/mallory.out 2>&1
exec sleep 1000
"#,
    );
    let text = std::fs::read_to_string(&r.rig.fleet).unwrap()
        + &format!(
            "[[agent]]\nname = \"victim\"\nkind = \"shell\"\ncmd = \"sh {victim}\"\nhost = \"remote1\"\n\n\
             [[agent]]\nname = \"mallory\"\nkind = \"shell\"\ncmd = \"sh {mallory}\"\nhost = \"remote1\"\n"
        );
    std::fs::write(&r.rig.fleet, text).unwrap();
    r.rig.ok(&["up", "--no-console"]);
    r.rig.supervise();
    let out = r
        .rig
        .wait_for(Duration::from_secs(60), "mallory's answer", || {
            let out = read(&r, "mallory.out");
            out.contains("rc=").then_some(out)
        });
    assert!(out.contains("rc=1"), "{out}");
    assert!(out.contains("does not carry this attempt's token"), "{out}");
    let victim = r.rig.agent("victim");
    assert_eq!(victim["state"], "running", "{victim}");
    let events = r.rig.events("victim");
    let refused: Vec<&serde_json::Value> =
        events.iter().filter(|e| e["kind"] == "refused").collect();
    assert_eq!(refused.len(), 1, "{events:?}");
    let detail = refused[0]["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("request from pane %"), "{detail}");
    assert!(!r.rig.event_kinds("victim").contains(&"signal".to_string()));
}
