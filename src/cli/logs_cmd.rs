//! `shoal logs`: search the fleet's log (agent output, events, signals, supervisor
//! notes), newest first in pages, or follow it live.

use super::ctx::{Ctx, FleetArg};
use super::output::clock;
use crate::logs::filter::{check_limit, AgentPick};
use crate::logs::{
    Level, LogEntry, LogFilter, LogPage, LogQuery, LogQueryError, Source, MAX_LIMIT,
};
use crate::supervisor::runner::now_ms;
use anyhow::{bail, Result};
use serde_json::{json, Value};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How often `--follow` looks for new entries.
const FOLLOW_POLL: Duration = Duration::from_millis(250);
/// Entries `--follow` shows before it starts following, unless `--limit` says.
const FOLLOW_BACKLOG: usize = 10;

/// Arguments of `shoal logs`.
#[derive(Debug, Clone, clap::Args)]
pub struct LogsArgs {
    /// Keywords: words, "a phrase", AND / OR / NOT, prefix*. Searched as plain text when
    /// it is not valid search syntax.
    pub query: Vec<String>,
    /// Only this agent's entries (repeat for several).
    #[arg(long = "agent", value_name = "NAME")]
    pub agents: Vec<String>,
    /// With --agent: also the entries of every agent below it.
    #[arg(long)]
    pub subtree: bool,
    /// Only entries at or above this level: debug, info, warn, error.
    #[arg(long, value_name = "LEVEL")]
    pub level: Option<String>,
    /// Only entries from this source: output, event, signal, supervisor (repeatable).
    #[arg(long = "source", value_name = "SOURCE")]
    pub sources: Vec<String>,
    /// Only entries at or after this time: 15m, 2h, 3d (ago), today, yesterday,
    /// 2024-05-01, 14:30, 2024-05-01 14:30, or RFC 3339.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only entries at or before this time (same forms as --since).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Entries per page (1 to 10000).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Page number, from 1 (newest). Pages move as entries arrive; --before does not.
    #[arg(long, conflicts_with = "before")]
    pub page: Option<usize>,
    /// Only entries older than this id: the `next_before` of the previous page.
    #[arg(long, value_name = "ID")]
    pub before: Option<i64>,
    /// Print `{ "count", "total_count", "entries": [...] }`.
    #[arg(long)]
    pub json: bool,
    /// Keep printing new entries as they are stored, oldest first (Ctrl-C stops).
    #[arg(long, conflicts_with_all = ["page", "before"])]
    pub follow: bool,
}

impl LogsArgs {
    /// The search as written, with names and times still unchecked.
    pub fn filter(&self) -> Result<LogFilter> {
        let text = self.query.join(" ");
        let mut sources = Vec::new();
        for s in &self.sources {
            sources.push(s.parse::<Source>()?);
        }
        if self.subtree && self.agents.is_empty() {
            bail!("--subtree needs --agent NAME: it adds the agents below NAME");
        }
        Ok(LogFilter {
            text: (!text.trim().is_empty()).then_some(text),
            agents: self
                .agents
                .iter()
                .map(|name| AgentPick {
                    name: name.clone(),
                    subtree: self.subtree,
                })
                .collect(),
            level: self
                .level
                .as_deref()
                .map(|l| l.parse::<Level>().map_err(LogQueryError::from))
                .transpose()?,
            sources,
            since: self.since.clone(),
            until: self.until.clone(),
        })
    }
}

/// Run `shoal logs`.
pub fn logs(fleet: &FleetArg, args: &LogsArgs) -> Result<i32> {
    let ctx = Ctx::open(fleet)?;
    let filter = args.filter()?;
    let agents: Vec<(String, Option<String>)> = ctx
        .store
        .agents()?
        .into_iter()
        .map(|a| (a.name, a.parent))
        .collect();
    let offset = *chrono::Local::now().offset();
    let mut query = filter.resolve(&agents, now_ms(), offset)?;
    let default_limit = if args.follow {
        FOLLOW_BACKLOG
    } else {
        crate::logs::DEFAULT_LIMIT
    };
    query.limit = check_limit(args.limit.unwrap_or(default_limit))?;
    query.before_id = args.before;
    if let Some(page) = args.page {
        if page == 0 {
            bail!("--page 0: pages count from 1 (the newest)");
        }
        query.offset = (page - 1).saturating_mul(query.limit);
    }
    if args.json {
        // An export leaves the private store: say what it may hold.
        eprintln!("shoal: {EXPORT_NOTICE}");
    }
    if args.follow {
        return follow(&ctx, query, args.json);
    }
    let page = ctx.store.query_logs(&query)?;
    if let Some(n) = &page.notice {
        eprintln!("shoal: {n}");
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&page_json(&page))?);
        return Ok(0);
    }
    let mut out = std::io::stdout().lock();
    for e in &page.entries {
        if writeln!(out, "{}", entry_line(e)).is_err() {
            return Ok(0);
        }
    }
    let shown = query.offset + page.count;
    match (page.total_count, page.next_before) {
        (0, _) => eprintln!("no entries match"),
        (total, Some(next)) => eprintln!(
            "{}–{shown} of {total}, newest first; older: --before {next}",
            query.offset + 1
        ),
        (total, None) => eprintln!("{shown} of {total}, newest first"),
    }
    Ok(0)
}

/// Print the newest entries, then every new one as it is stored, until Ctrl-C.
fn follow(ctx: &Ctx, mut query: LogQuery, json: bool) -> Result<i32> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop))?;
    }
    let first = ctx.store.query_logs(&query)?;
    if let Some(n) = &first.notice {
        eprintln!("shoal: {n}");
    }
    let mut last = first.entries.first().map_or(0, |e| e.id);
    let print = |entries: &[LogEntry]| -> bool {
        let mut out = std::io::stdout().lock();
        for e in entries.iter().rev() {
            let line = if json {
                entry_json(e).to_string()
            } else {
                entry_line(e)
            };
            if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
                return false;
            }
        }
        true
    };
    if !print(&first.entries) {
        return Ok(0);
    }
    // Everything newer than what was shown, in pages as large as allowed.
    query.limit = MAX_LIMIT;
    query.offset = 0;
    query.before_id = None;
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(FOLLOW_POLL);
        query.after_id = Some(last);
        let page = ctx.store.query_logs(&query)?;
        if let Some(newest) = page.entries.first() {
            last = newest.id;
        }
        // A burst larger than a page: the oldest part is skipped, and said so.
        if page.total_count > page.count as u64 && page.next_before.is_some() {
            eprintln!(
                "shoal: {} more entries arrived than one read shows; showing the newest {}",
                page.total_count - page.count as u64,
                page.count
            );
        }
        if !print(&page.entries) {
            return Ok(0);
        }
    }
    Ok(0)
}

/// One entry as a text line: time, agent#attempt, level, source, message [rule].
pub fn entry_line(e: &LogEntry) -> String {
    let agent = e.agent.as_deref().unwrap_or("-");
    let attempt = e.attempt.map_or(String::new(), |a| format!("#{a}"));
    let rule = e
        .rule
        .as_deref()
        .map_or(String::new(), |r| format!("  [{r}]"));
    let message = e.message.replace('\n', "\n    ");
    format!(
        "{}  {:<14} {:<5} {:<10} {message}{rule}",
        clock(e.ts_ms),
        format!("{agent}{attempt}"),
        e.level,
        e.source
    )
}

/// One entry as JSON, with a local RFC 3339 time next to the unix milliseconds.
pub fn entry_json(e: &LogEntry) -> Value {
    json!({
        "id": e.id,
        "time": rfc3339(e.ts_ms),
        "ts_ms": e.ts_ms,
        "agent": e.agent,
        "attempt": e.attempt,
        "level": e.level,
        "source": e.source,
        "message": e.message,
        "rule": e.rule,
        "capture_id": e.capture_id,
        "event_id": e.event_id,
    })
}

/// What every export of the log says about itself.
pub const EXPORT_NOTICE: &str = "this export may contain what agents printed (secrets shoal recognises are redacted, others may not be); keep it private";

/// A page as `{ "count", "total_count", "entries", "contains", "notice"?, "next_before"? }`.
pub fn page_json(p: &LogPage) -> Value {
    let mut v = json!({
        "contains": EXPORT_NOTICE,
        "count": p.count,
        "total_count": p.total_count,
        "entries": p.entries.iter().map(entry_json).collect::<Vec<_>>(),
    });
    if let Some(n) = &p.notice {
        v["notice"] = json!(n);
    }
    if let Some(b) = p.next_before {
        v["next_before"] = json!(b);
    }
    v
}

fn rfc3339(ms: i64) -> String {
    use chrono::TimeZone;
    match chrono::Local.timestamp_millis_opt(ms) {
        chrono::LocalResult::Single(t) => t.to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
        _ => ms.to_string(),
    }
}
