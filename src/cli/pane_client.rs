//! `shoal signal|spawn|inbox` run by a shoal binary in a pane on another host: the
//! store is on the operator's machine, so the request goes back the way the host's
//! shell shim sends it, through this pane's own tmux options (see
//! [`crate::fleet::pane_request`]). A pane shoal started on another host carries its
//! attempt's token in `SHOAL_TOKEN`; a local pane never does, and uses the store.

use super::lineage_cmds::SpawnArgs;
use crate::fleet::pane_request::{
    encode_line, MAX_REQUEST_BYTES, REPLY_PREFIX, REQUEST_OPTION, TOKEN_ENV,
};
use anyhow::{bail, Context, Result};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long an answer may take beyond an inbox's own wait: a few supervisor ticks.
const ANSWER_WAIT: Duration = Duration::from_secs(60);

/// The pane and token when this runs in a pane shoal started on another host.
fn remote_pane() -> Option<(String, String)> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    var("TMUX")?;
    Some((var("TMUX_PANE")?, var(TOKEN_ENV)?))
}

/// `shoal signal` through the pane, when in a remote pane.
pub fn signal(kind: crate::fleet::SignalKind, message: &[String]) -> Option<Result<i32>> {
    let mut args = vec!["signal".to_string(), kind.as_str().to_string()];
    args.extend(message.iter().cloned());
    remote_pane().map(|p| send(&p, &args, Duration::ZERO))
}

/// `shoal spawn` through the pane, when in a remote pane.
pub fn spawn(a: &SpawnArgs) -> Option<Result<i32>> {
    let pane = remote_pane()?;
    let mut args = vec!["spawn".to_string(), a.name.clone()];
    let mut opt = |flag: &str, v: Option<String>| {
        if let Some(v) = v {
            args.push(flag.to_string());
            args.push(v);
        }
    };
    opt("--kind", a.kind.clone());
    // The new agent starts where this command runs, as a local spawn does.
    let cwd = a
        .cwd
        .clone()
        .or_else(|| std::env::current_dir().ok())
        .map(|d| std::path::absolute(&d).unwrap_or(d).display().to_string());
    opt("--cwd", cwd);
    opt("--task", a.task.clone());
    opt("--parent", a.parent.clone());
    opt("--max-children", a.max_children.map(|n| n.to_string()));
    opt("--stall-timeout", a.stall_timeout.clone());
    for e in &a.env {
        opt("--env", Some(e.clone()));
    }
    args.push("--".into());
    args.extend(a.cmd.iter().cloned());
    Some(send(&pane, &args, Duration::ZERO))
}

/// `shoal inbox` through the pane, when in a remote pane.
pub fn inbox(agent: Option<&str>, wait: Option<&str>, json: bool) -> Option<Result<i32>> {
    let pane = remote_pane()?;
    let mut args = vec!["inbox".to_string()];
    let mut extra = Duration::ZERO;
    if let Some(a) = agent {
        args.extend(["--agent".into(), a.to_string()]);
    }
    if let Some(w) = wait {
        match crate::fleet::file::parse_duration(w) {
            Ok(d) => extra = d,
            Err(e) => return Some(Err(anyhow::anyhow!("--wait: {e}; write e.g. 30s or 10m"))),
        }
        args.extend(["--wait".into(), w.to_string()]);
    }
    if json {
        args.push("--json".into());
    }
    Some(send(&pane, &args, extra))
}

fn tmux(args: &[&str]) -> Result<std::process::Output> {
    Command::new("tmux")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .context("cannot run tmux in this pane")
}

/// Queue `args` in this pane's request option and wait for the answer.
fn send((pane, token): &(String, String), args: &[String], extra: Duration) -> Result<i32> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let id = format!("{}{nanos}", std::process::id());
    let line = encode_line(token, &id, args);
    let held: usize = String::from_utf8_lossy(
        &tmux(&["display-message", "-p", "-t", pane, "#{n:@shoal_req}"])?.stdout,
    )
    .trim()
    .parse()
    .unwrap_or(0);
    if held + line.len() + 1 > MAX_REQUEST_BYTES {
        bail!(
            "this pane already has {held} bytes of requests waiting for the supervisor; wait for it (is it running?)"
        );
    }
    let queued = tmux(&[
        "set-option",
        "-p",
        "-a",
        "-t",
        pane,
        REQUEST_OPTION,
        &format!("{line}\n"),
    ])?;
    if !queued.status.success() {
        bail!(
            "tmux could not queue the request: {}",
            String::from_utf8_lossy(&queued.stderr).trim()
        );
    }
    let option = format!("{REPLY_PREFIX}{id}");
    let t0 = Instant::now();
    let limit = ANSWER_WAIT + extra;
    loop {
        let out = tmux(&["show-options", "-p", "-q", "-v", "-t", pane, &option])?;
        let text = String::from_utf8_lossy(&out.stdout);
        let text = text.strip_suffix('\n').unwrap_or(&text);
        if !text.is_empty() {
            let _ = tmux(&["set-option", "-p", "-u", "-t", pane, &option]);
            let (status, body) = text.split_once('\n').unwrap_or((text, ""));
            if status == "ok" {
                if !body.is_empty() {
                    println!("{body}");
                }
                return Ok(0);
            }
            if !body.is_empty() {
                eprintln!("shoal: {body}");
            }
            return Ok(1);
        }
        if t0.elapsed() >= limit {
            bail!(
                "no answer from the supervisor within {}s; the request stays queued in this pane and is carried out once a supervisor sees it (is shoal supervise running?)",
                limit.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
