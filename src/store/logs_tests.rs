//! The log in a real SQLite file: filters, counts, paging, fallback, redaction, pruning.

use super::*;
use crate::logs::{LogQuery, DEFAULT_LIMIT};

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("f.sqlite")).unwrap();
    (dir, store)
}

fn entry(ts: i64, agent: &str, level: Level, source: Source, msg: &str) -> NewLog {
    NewLog {
        ts_ms: ts,
        agent: Some(agent.into()),
        attempt: Some(1),
        level,
        source,
        message: msg.into(),
        capture_id: None,
        event_id: None,
    }
}

/// 30 entries, one a second from t=1000 s: agents a/b/c in turn; every 5th a warning
/// event, every 10th an error; the rest output lines mentioning `cargo` or `npm`.
fn seeded() -> (tempfile::TempDir, Store) {
    let (dir, store) = open();
    store
        .write(|s| {
            for i in 0..30i64 {
                let agent = ["a", "b", "c"][i as usize % 3];
                let (level, source) = if i % 10 == 9 {
                    (Level::Error, Source::Event)
                } else if i % 5 == 4 {
                    (Level::Warn, Source::Event)
                } else {
                    (Level::Info, Source::Output)
                };
                let tool = if i % 2 == 0 { "cargo" } else { "npm" };
                s.insert_log(&entry(
                    1_000_000 + i * 1000,
                    agent,
                    level,
                    source,
                    &format!("step {i}: {tool} build finished"),
                ))?;
            }
            Ok(())
        })
        .unwrap();
    (dir, store)
}

fn q() -> LogQuery {
    LogQuery::default()
}

fn steps(page: &LogPage) -> Vec<i64> {
    page.entries
        .iter()
        .map(|e| {
            e.message
                .strip_prefix("step ")
                .and_then(|r| r.split(':').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(-1)
        })
        .collect()
}

#[test]
fn newest_first_with_count_and_total_count() {
    let (_d, store) = seeded();
    let page = store.query_logs(&LogQuery { limit: 4, ..q() }).unwrap();
    assert_eq!(page.count, 4);
    assert_eq!(page.total_count, 30);
    assert_eq!(steps(&page), vec![29, 28, 27, 26]);
    assert_eq!(page.next_before, Some(page.entries[3].id));
    let all = store.query_logs(&q()).unwrap();
    assert_eq!((all.count, all.total_count), (30, 30));
    assert!(DEFAULT_LIMIT >= 30 && all.next_before.is_none());
}

#[test]
fn filters_combine() {
    let (_d, store) = seeded();
    let run = |query: LogQuery| {
        let p = store.query_logs(&query).unwrap();
        assert_eq!(p.count as u64, p.total_count, "all on one page");
        steps(&p)
    };
    assert_eq!(
        run(LogQuery {
            agents: vec!["a".into()],
            ..q()
        }),
        vec![27, 24, 21, 18, 15, 12, 9, 6, 3, 0]
    );
    assert_eq!(
        run(LogQuery {
            min_level: Level::Warn,
            ..q()
        }),
        vec![29, 24, 19, 14, 9, 4]
    );
    assert_eq!(
        run(LogQuery {
            min_level: Level::Error,
            agents: vec!["a".into(), "c".into()],
            ..q()
        }),
        vec![29, 9]
    );
    assert_eq!(
        run(LogQuery {
            text: Some("cargo".into()),
            sources: vec![Source::Output],
            since_ms: Some(1_010_000),
            until_ms: Some(1_020_000),
            ..q()
        }),
        vec![20, 18, 16, 12, 10]
    );
    assert_eq!(
        run(LogQuery {
            text: Some("npm AND step".into()),
            agents: vec!["b".into()],
            sources: vec![Source::Event],
            ..q()
        }),
        vec![19]
    );
    assert!(run(LogQuery {
        agents: vec!["nobody".into()],
        ..q()
    })
    .is_empty());
}

#[test]
fn invalid_fts_falls_back_to_plain_text_and_says_so() {
    let (_d, store) = seeded();
    store
        .insert_log(&entry(
            2_000_000,
            "a",
            Level::Info,
            Source::Output,
            "see foo(bar) here",
        ))
        .unwrap();
    let page = store
        .query_logs(&LogQuery {
            text: Some("foo(bar".into()),
            ..q()
        })
        .unwrap();
    assert_eq!(page.count, 1, "{page:?}");
    assert_eq!(page.entries[0].message, "see foo(bar) here");
    let notice = page.notice.expect("a notice");
    assert!(
        notice.starts_with("\"foo(bar\" is not valid search syntax (fts5: syntax error"),
        "{notice}"
    );
    // Column-filter syntax on a column that does not exist also falls back.
    let page = store
        .query_logs(&LogQuery {
            text: Some("step:3".into()),
            ..q()
        })
        .unwrap();
    assert!(page.notice.is_some());
    assert_eq!(steps(&page), vec![3]);
    // Valid FTS needs no notice.
    let page = store
        .query_logs(&LogQuery {
            text: Some("cargo NOT finished".into()),
            ..q()
        })
        .unwrap();
    assert_eq!((page.count, page.notice), (0, None));
    // Nothing searchable at all: no match, still explained.
    let page = store
        .query_logs(&LogQuery {
            text: Some("((".into()),
            ..q()
        })
        .unwrap();
    assert_eq!(page.total_count, 0);
    assert!(page.notice.is_some());
}

#[test]
fn paging_by_cursor_is_stable_while_entries_arrive() {
    let (_d, store) = seeded();
    let first = store.query_logs(&LogQuery { limit: 10, ..q() }).unwrap();
    assert_eq!(steps(&first), (20..30).rev().collect::<Vec<_>>());
    for i in 30..35 {
        store
            .insert_log(&entry(
                2_000_000 + i,
                "a",
                Level::Info,
                Source::Output,
                &format!("step {i}: late"),
            ))
            .unwrap();
    }
    let second = store
        .query_logs(&LogQuery {
            limit: 10,
            before_id: first.next_before,
            ..q()
        })
        .unwrap();
    assert_eq!(steps(&second), (10..20).rev().collect::<Vec<_>>());
    assert_eq!(second.total_count, 35, "the total counts every match");
    let by_offset = store
        .query_logs(&LogQuery {
            limit: 10,
            offset: 10,
            ..q()
        })
        .unwrap();
    assert_eq!(
        steps(&by_offset)[0],
        24,
        "an offset page moves as entries arrive"
    );
    let third = store
        .query_logs(&LogQuery {
            limit: 10,
            before_id: second.next_before,
            ..q()
        })
        .unwrap();
    assert_eq!(steps(&third), (0..10).rev().collect::<Vec<_>>());
    assert_eq!(third.next_before, None);
    let newer = store
        .query_logs(&LogQuery {
            after_id: first.entries.first().map(|e| e.id),
            ..q()
        })
        .unwrap();
    assert_eq!(steps(&newer), vec![34, 33, 32, 31, 30]);
}

#[test]
fn secrets_never_reach_the_file_or_the_index() {
    let (dir, store) = open();
    let secret = "sk-ant-api03-SECRETSECRETSECRET0123";
    store
        .insert_log(&entry(
            1,
            "a",
            Level::Info,
            Source::Output,
            &format!("key={secret}"),
        ))
        .unwrap();
    store
        .insert_event(&NewEvent::agent(
            2,
            "a",
            1,
            crate::fleet::EventKind::TaskTyped {
                task: "use GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123".into(),
            },
        ))
        .unwrap();
    store
        .insert_capture(3, "a", 1, "death", &format!("screen with {secret}"))
        .unwrap();
    let page = store.query_logs(&q()).unwrap();
    let messages: Vec<&str> = page.entries.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        vec![
            "task: typed the task: use GITHUB_TOKEN=[REDACTED]",
            "key=sk-ant-api03-[REDACTED]"
        ]
    );
    for word in ["SECRETSECRETSECRET0123", "abcdefghijklmnopqrstuvwxyz0123"] {
        let hits = store
            .query_logs(&LogQuery {
                text: Some(word.into()),
                ..q()
            })
            .unwrap();
        assert_eq!(hits.total_count, 0, "{word} is searchable");
    }
    drop(store);
    let mut raw = Vec::new();
    for f in std::fs::read_dir(dir.path()).unwrap() {
        raw.extend(std::fs::read(f.unwrap().path()).unwrap());
    }
    let raw = String::from_utf8_lossy(&raw);
    assert!(
        !raw.contains("SECRETSECRET"),
        "a secret is in the store files"
    );
    assert!(!raw.contains("ghp_abcdefghijklmnop"));
}

#[test]
fn events_are_logged_with_their_level_rule_and_capture() {
    let (_d, store) = open();
    let cap = store
        .insert_capture(5, "a", 1, "activity", "screen")
        .unwrap();
    let id = store
        .insert_event(&NewEvent {
            rule: Some("rule `rate-limit` matched in last-lines".into()),
            capture_id: Some(cap),
            ..NewEvent::agent(
                5,
                "a",
                1,
                crate::fleet::EventKind::Activity {
                    from: crate::fleet::Activity::Working,
                    to: crate::fleet::Activity::Errored,
                    error: Some(crate::fleet::ErrorKind::RateLimit),
                },
            )
        })
        .unwrap();
    let page = store.query_logs(&q()).unwrap();
    let e = &page.entries[0];
    assert_eq!(e.source, Source::Event);
    assert_eq!(e.level, Level::Warn);
    assert_eq!(e.message, "activity: working → errored (rate-limit)");
    assert_eq!(
        e.rule.as_deref(),
        Some("rule `rate-limit` matched in last-lines")
    );
    assert_eq!((e.event_id, e.capture_id), (Some(id), Some(cap)));
}

#[test]
fn a_megabyte_line_and_invalid_utf8_are_stored_safely() {
    let (_d, store) = open();
    let huge = "x".repeat(1 << 20);
    store
        .insert_log(&entry(1, "a", Level::Info, Source::Output, &huge))
        .unwrap();
    let bad = crate::logs::message_from_bytes(b"bytes \xc3\x28 here");
    store
        .insert_log(&entry(2, "a", Level::Info, Source::Signal, &bad))
        .unwrap();
    let page = store.query_logs(&q()).unwrap();
    assert_eq!(page.entries[0].message, "bytes \u{fffd}( here");
    let long = &page.entries[1].message;
    assert!(long.len() < 9000, "{}", long.len());
    assert!(long.ends_with("[truncated: 1048576 bytes in all]"));
}

#[test]
fn pruning_takes_output_lines_first() {
    let (_d, store) = seeded();
    let outputs = |s: &Store| {
        s.query_logs(&LogQuery {
            sources: vec![Source::Output],
            ..q()
        })
        .unwrap()
        .total_count
    };
    assert_eq!(outputs(&store), 24);
    let p = store.prune_logs(20).unwrap();
    assert_eq!(
        p,
        Pruned {
            deleted: 20,
            output: true
        }
    );
    assert_eq!(outputs(&store), 4);
    // The oldest went: the newest output line is still there, and still searchable.
    let hits = store
        .query_logs(&LogQuery {
            text: Some("step".into()),
            ..q()
        })
        .unwrap();
    assert_eq!(hits.total_count, 10);
    assert_eq!(steps(&hits)[0], 29);
    assert_eq!(
        store.prune_logs(20).unwrap(),
        Pruned {
            deleted: 4,
            output: true
        }
    );
    assert_eq!(
        store.prune_logs(4).unwrap(),
        Pruned {
            deleted: 4,
            output: false
        }
    );
    assert_eq!(store.log_count().unwrap(), 2);
    assert!(store.used_bytes().unwrap() > 0);
}

#[test]
fn an_older_store_gets_its_events_copied_into_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(super::super::schema::MIGRATIONS[0])
            .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute_batch(
            "INSERT INTO events (ts_ms, agent, attempt, kind, detail) VALUES
               (1, 'a', 1, 'kill', 'killed by the stall ladder'),
               (2, 'a', 1, 'exit', 'process exited with status 0: done')",
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let page = store.query_logs(&q()).unwrap();
    let got: Vec<(Level, &str)> = page
        .entries
        .iter()
        .map(|e| (e.level, e.message.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (Level::Info, "exit: process exited with status 0: done"),
            (Level::Error, "kill: killed by the stall ladder"),
        ]
    );
    let hits = store
        .query_logs(&LogQuery {
            text: Some("ladder".into()),
            ..q()
        })
        .unwrap();
    assert_eq!(hits.total_count, 1, "copied events are indexed");
}

#[test]
fn keyword_searches_honour_every_level_floor() {
    let (_d, store) = open();
    for (i, level) in Level::ALL.into_iter().enumerate() {
        store
            .insert_log(&entry(
                i as i64,
                "a",
                level,
                Source::Output,
                "disk nearly full",
            ))
            .unwrap();
    }
    for floor in Level::ALL {
        let page = store
            .query_logs(&LogQuery {
                text: Some("disk".into()),
                min_level: floor,
                ..q()
            })
            .unwrap();
        let got: Vec<Level> = page.entries.iter().map(|e| e.level).collect();
        let want: Vec<Level> = Level::ALL
            .into_iter()
            .filter(|l| *l >= floor)
            .rev()
            .collect();
        assert_eq!(got, want, "floor {floor}");
        assert_eq!(page.total_count, want.len() as u64);
    }
}
