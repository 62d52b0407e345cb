//! Ordered schema migrations, applied under `PRAGMA user_version`.

/// Migration `i` moves the schema from version `i` to `i + 1`. Append only.
pub const MIGRATIONS: &[&str] = &[
    // 1: agents, attempts, events, captures, commands, the supervisor lease.
    r#"
    CREATE TABLE agents (
        name             TEXT PRIMARY KEY,
        parent           TEXT,
        kind             TEXT NOT NULL,
        cmd              TEXT NOT NULL,
        cwd              TEXT,
        task             TEXT,
        env              TEXT NOT NULL DEFAULT '{}',
        stall_timeout_ms INTEGER NOT NULL,
        paused           INTEGER NOT NULL DEFAULT 0,
        seq              INTEGER NOT NULL,
        created_ms       INTEGER NOT NULL
    );
    CREATE TABLE attempts (
        agent              TEXT NOT NULL REFERENCES agents(name),
        attempt            INTEGER NOT NULL,
        server             TEXT,
        pane               TEXT,
        state              TEXT NOT NULL,
        started_ms         INTEGER,
        ended_ms           INTEGER,
        exit_status        INTEGER,
        activity           TEXT NOT NULL DEFAULT 'unknown',
        error              TEXT,
        reason             TEXT,
        reset_at_ms        INTEGER,
        tier               TEXT NOT NULL DEFAULT 'ok',
        tier_since_ms      INTEGER NOT NULL DEFAULT 0,
        last_progress_ms   INTEGER NOT NULL DEFAULT 0,
        proof_hash         TEXT,
        screen_hash        TEXT,
        task_sent          INTEGER NOT NULL DEFAULT 0,
        cancel_deadline_ms INTEGER,
        death_capture      INTEGER,
        PRIMARY KEY (agent, attempt)
    );
    CREATE TABLE captures (
        id      INTEGER PRIMARY KEY,
        ts_ms   INTEGER NOT NULL,
        agent   TEXT,
        attempt INTEGER,
        reason  TEXT NOT NULL,
        text    TEXT NOT NULL
    );
    CREATE TABLE events (
        id         INTEGER PRIMARY KEY,
        ts_ms      INTEGER NOT NULL,
        agent      TEXT,
        attempt    INTEGER,
        kind       TEXT NOT NULL,
        tier       TEXT,
        detail     TEXT NOT NULL,
        rule       TEXT,
        capture_id INTEGER REFERENCES captures(id)
    );
    CREATE INDEX events_agent ON events(agent, id);
    CREATE TABLE commands (
        id      INTEGER PRIMARY KEY,
        ts_ms   INTEGER NOT NULL,
        agent   TEXT NOT NULL,
        body    TEXT NOT NULL,
        status  TEXT NOT NULL DEFAULT 'pending',
        result  TEXT,
        done_ms INTEGER
    );
    CREATE INDEX commands_pending ON commands(status, id);
    CREATE TABLE lease (
        id           INTEGER PRIMARY KEY CHECK (id = 1),
        pid          INTEGER NOT NULL,
        started_ms   INTEGER NOT NULL,
        heartbeat_ms INTEGER NOT NULL
    );
    "#,
    // 2: the searchable log (output lines, events, signals, supervisor notes) with an
    // external-content FTS5 index over the messages, and every older event copied in.
    r#"
    CREATE TABLE logs (
        id         INTEGER PRIMARY KEY,
        ts_ms      INTEGER NOT NULL,
        agent      TEXT,
        attempt    INTEGER,
        level      INTEGER NOT NULL,
        source     TEXT NOT NULL,
        message    TEXT NOT NULL,
        capture_id INTEGER,
        event_id   INTEGER
    );
    CREATE INDEX logs_agent ON logs(agent, ts_ms, level);
    CREATE INDEX logs_time ON logs(ts_ms, level);
    CREATE INDEX logs_source ON logs(source, id);
    CREATE VIRTUAL TABLE logs_fts USING fts5(message, content = 'logs', content_rowid = 'id');
    CREATE TRIGGER logs_fts_insert AFTER INSERT ON logs BEGIN
        INSERT INTO logs_fts (rowid, message) VALUES (new.id, new.message);
    END;
    CREATE TRIGGER logs_fts_delete AFTER DELETE ON logs BEGIN
        INSERT INTO logs_fts (logs_fts, rowid, message) VALUES ('delete', old.id, old.message);
    END;
    INSERT INTO logs (ts_ms, agent, attempt, level, source, message, capture_id, event_id)
        SELECT ts_ms, agent, attempt,
               CASE
                   WHEN kind IN ('kill', 'error') THEN 3
                   WHEN kind = 'exit' AND detail NOT LIKE '%: done' THEN 3
                   WHEN kind IN ('nudge', 'warn', 'refused', 'cancel') THEN 2
                   WHEN kind = 'activity' AND detail LIKE '%→ errored%' THEN 2
                   ELSE 1
               END,
               'event', kind || ': ' || detail, capture_id, id
        FROM events ORDER BY id;
    "#,
];
