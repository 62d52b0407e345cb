//! Log search over a store of 1,000,000 lines from 200 agents over a week: a keyword +
//! agent + level + time-range query returning the first page and the total count, and
//! a few neighbours of it. Prints the median and p95 of each, the build rate and the
//! store size per million lines.
//!
//! Run with `cargo bench --bench logs`. The store is built once under `target/` and
//! reused; `SHOAL_BENCH_REBUILD=1` builds it afresh.

use shoal::logs::{Level, LogQuery, NewLog, Source};
use shoal::store::Store;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const LINES: usize = 1_000_000;
const AGENTS: usize = 200;
const RUNS: usize = 30;
/// 2024-01-08 00:00 UTC: the week ends here.
const END_MS: i64 = 1_704_672_000_000;
const WEEK_MS: i64 = 7 * 24 * 3_600_000;

/// Output that looks like a coding agent's: tool calls, results, compiler chatter, and
/// now and then a timeout or a failure.
fn message(i: usize, rng: &mut u64) -> (Level, Source, String) {
    let r = next(rng);
    let module = r % 400;
    let n = (r >> 16) % 1000;
    let pick = (r >> 32) % 100;
    let (level, source, text) = match pick {
        0..=14 => (
            Level::Info,
            Source::Output,
            format!("● Read(src/module_{module}.rs)"),
        ),
        15..=29 => (Level::Info, Source::Output, format!("  ⎿  Read {n} lines")),
        30..=41 => (
            Level::Info,
            Source::Output,
            format!("● Update(src/module_{module}.rs) with {} additions", n % 40),
        ),
        42..=53 => (
            Level::Info,
            Source::Output,
            format!(
                "test result: ok. {} passed; 0 failed; finished in {}.{}s",
                n % 90,
                n % 7,
                n % 10
            ),
        ),
        54..=63 => (
            Level::Info,
            Source::Output,
            format!(
                "   Compiling module_{module} v0.{}.{} (/work/src/module_{module})",
                n % 9,
                n % 13
            ),
        ),
        64..=71 => (
            Level::Info,
            Source::Output,
            format!(
                "warning: unused variable `value_{n}` in src/module_{module}.rs:{}",
                n % 300
            ),
        ),
        72..=77 => (
            Level::Info,
            Source::Output,
            format!(
                "error[E0308]: mismatched types at src/module_{module}.rs:{}:{}",
                n % 300,
                n % 80
            ),
        ),
        78..=79 => (
            Level::Info,
            Source::Output,
            format!(
                "request timeout after {}s while fetching crate index (attempt {})",
                n % 60,
                n % 4
            ),
        ),
        80..=89 => (
            Level::Info,
            Source::Output,
            format!("I'll look at module_{module} next and check the parser handles case {n}."),
        ),
        90..=94 => (
            Level::Info,
            Source::Event,
            format!("activity: working → idle [{i}]"),
        ),
        95..=97 => (
            Level::Warn,
            Source::Event,
            format!(
                "nudge: no progress for {}s: typed the nudge message",
                300 + n % 200
            ),
        ),
        98 => (
            Level::Warn,
            Source::Event,
            format!("activity: working → errored (rate-limit): timeout {n}"),
        ),
        _ => (
            Level::Error,
            Source::Event,
            format!(
                "exit: process exited with status {}: failed after a timeout",
                1 + n % 3
            ),
        ),
    };
    (level, source, text)
}

fn next(s: &mut u64) -> u64 {
    // xorshift64*: a fixed sequence, so every build holds the same store.
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    s.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

fn build(path: &Path) -> Duration {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let store = Store::open(path).expect("open store");
    let t = Instant::now();
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let step = WEEK_MS / LINES as i64;
    for chunk in 0..LINES / 10_000 {
        let batch: Vec<NewLog> = (0..10_000)
            .map(|k| {
                let i = chunk * 10_000 + k;
                let (level, source, message) = message(i, &mut rng);
                NewLog {
                    ts_ms: END_MS - WEEK_MS + i as i64 * step,
                    agent: Some(format!("agent-{:03}", next(&mut rng) % AGENTS as u64)),
                    attempt: Some(1),
                    level,
                    source,
                    message,
                    capture_id: None,
                    event_id: None,
                }
            })
            .collect();
        store.write(|s| s.insert_logs(&batch)).expect("insert");
    }
    let took = t.elapsed();
    drop(store);
    // Fold the WAL into the file so its size is the store's size.
    let conn = rusqlite::Connection::open(path).expect("reopen");
    conn.pragma_update(None, "wal_checkpoint", "TRUNCATE")
        .expect("checkpoint");
    took
}

/// What a supervisor tick pays to log: 20 transactions of 500 lines into a fresh
/// store (each line cleaned, redacted, indexed).
fn insert_rate(dir: &Path) {
    let path = dir.join("bench-logs-insert.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let store = Store::open(&path).expect("open store");
    let mut rng = 7u64;
    let mut runs = Vec::new();
    for t in 0..20 {
        let batch: Vec<NewLog> = (0..500)
            .map(|k| {
                let (level, source, message) = message(t * 500 + k, &mut rng);
                NewLog {
                    ts_ms: END_MS + (t * 500 + k) as i64,
                    agent: Some(format!("agent-{:03}", k % AGENTS)),
                    attempt: Some(1),
                    level,
                    source,
                    message,
                    capture_id: None,
                    event_id: None,
                }
            })
            .collect();
        let t0 = Instant::now();
        store.write(|s| s.insert_logs(&batch)).expect("insert");
        runs.push(t0.elapsed());
    }
    runs.sort();
    println!(
        "write: 500 lines in one transaction, median {:.2} ms ({:.1} µs per line)",
        runs[10].as_secs_f64() * 1e3,
        runs[10].as_secs_f64() * 1e6 / 500.0
    );
}

fn time(label: &str, store: &Store, q: &LogQuery) {
    let mut runs = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let t = Instant::now();
        let page = store.query_logs(q).expect("query");
        runs.push(t.elapsed());
        last = Some(page);
    }
    runs.sort();
    let page = last.expect("ran");
    println!(
        "{label:<58} median {:>7.2} ms  p95 {:>7.2} ms  count {:>3}  total_count {:>7}",
        runs[RUNS / 2].as_secs_f64() * 1e3,
        runs[RUNS * 95 / 100].as_secs_f64() * 1e3,
        page.count,
        page.total_count
    );
}

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    let path = dir.join("bench-logs.sqlite");
    let rebuild = std::env::var_os("SHOAL_BENCH_REBUILD").is_some();
    let fresh = rebuild
        || Store::open(&path)
            .and_then(|s| s.log_count())
            .map_or(true, |n| n != LINES as u64);
    if fresh {
        let took = build(&path);
        println!(
            "built {LINES} lines from {AGENTS} agents in {:.1} s ({:.0} lines/s)",
            took.as_secs_f64(),
            LINES as f64 / took.as_secs_f64()
        );
    }
    let size = std::fs::metadata(&path).map_or(0, |m| m.len());
    println!(
        "store size: {:.1} MiB per million lines ({:.0} bytes per line, FTS index and indexes included)",
        size as f64 / f64::from(1 << 20) * 1e6 / LINES as f64,
        size as f64 / LINES as f64
    );

    insert_rate(&dir);
    let store = Store::open(&path).expect("open store");
    let day = Some(END_MS - 24 * 3_600_000);
    let base = LogQuery {
        limit: 50,
        ..LogQuery::default()
    };
    time(
        "keyword + agent + level>=warn + last day (the target)",
        &store,
        &LogQuery {
            text: Some("timeout".into()),
            agents: vec!["agent-042".into()],
            min_level: Level::Warn,
            since_ms: day,
            until_ms: Some(END_MS),
            ..base.clone()
        },
    );
    time(
        "keyword + 3 agents + level>=info + last day",
        &store,
        &LogQuery {
            text: Some("timeout".into()),
            agents: vec!["agent-001".into(), "agent-100".into(), "agent-199".into()],
            min_level: Level::Info,
            since_ms: day,
            ..base.clone()
        },
    );
    time(
        "common keyword (`module`) + agent, whole week",
        &store,
        &LogQuery {
            text: Some("module".into()),
            agents: vec!["agent-007".into()],
            ..base.clone()
        },
    );
    time(
        "keyword only (`timeout`), fleet-wide",
        &store,
        &LogQuery {
            text: Some("timeout".into()),
            ..base.clone()
        },
    );
    time(
        "common keyword (`module`), fleet-wide",
        &store,
        &LogQuery {
            text: Some("module".into()),
            ..base.clone()
        },
    );
    time(
        "agent only, whole week",
        &store,
        &LogQuery {
            agents: vec!["agent-042".into()],
            ..base.clone()
        },
    );
    time(
        "level>=error + last hour, fleet-wide",
        &store,
        &LogQuery {
            min_level: Level::Error,
            since_ms: Some(END_MS - 3_600_000),
            ..base.clone()
        },
    );
    time("no filter (newest page, count of all)", &store, &base);
}
