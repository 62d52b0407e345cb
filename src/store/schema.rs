//! Ordered schema migrations, applied under `PRAGMA user_version`.

/// Migration `i` moves the schema from version `i` to `i + 1`. Append only.
pub const MIGRATIONS: &[&str] = &[
    // 1: agents, attempts, events, captures, commands, the supervisor lease.
    r"
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
    ",
    // 2: lineage: the fleet's settings (so commands inside a pane need no fleet file),
    // where each agent came from and its cap on running children, removed agents,
    // signals with the inbox each lands in, and each reader's inbox cursor.
    r"
    CREATE TABLE fleet_settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    ALTER TABLE agents ADD COLUMN origin TEXT NOT NULL DEFAULT 'file';
    ALTER TABLE agents ADD COLUMN max_children INTEGER;
    ALTER TABLE agents ADD COLUMN removed_ms INTEGER;
    CREATE TABLE signals (
        id          INTEGER PRIMARY KEY,
        ts_ms       INTEGER NOT NULL,
        agent       TEXT NOT NULL,
        attempt     INTEGER NOT NULL,
        kind        TEXT NOT NULL,
        message     TEXT NOT NULL,
        parent      TEXT,
        answered_ms INTEGER
    );
    CREATE INDEX signals_parent ON signals(parent, id);
    CREATE INDEX signals_agent ON signals(agent, attempt, id);
    CREATE TABLE inbox_cursors (
        agent   TEXT PRIMARY KEY,
        last_id INTEGER NOT NULL
    );
    ",
    // 3: the searchable log (output lines, events, signals, supervisor notes) and its
    // FTS5 index. The index is contentless: it holds the message words plus one `meta`
    // column of filter words (agent name as hex, level, source), so a keyword search
    // narrowed by agent, level or source is one intersection inside the index. Every
    // older event is copied in.
    r"
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
    CREATE VIRTUAL TABLE logs_fts USING fts5(message, meta, content = '', contentless_delete = 1);
    CREATE TRIGGER logs_fts_insert AFTER INSERT ON logs BEGIN
        INSERT INTO logs_fts (rowid, message, meta) VALUES (
            new.id,
            new.message,
            coalesce('a' || lower(hex(new.agent)) || ' ', '') || 'l' || new.level || ' s' || new.source
        );
    END;
    CREATE TRIGGER logs_fts_delete AFTER DELETE ON logs BEGIN
        DELETE FROM logs_fts WHERE rowid = old.id;
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
    ",
    // 4: typed events: each event keeps its variant as JSON (the prose in `detail` is
    // rendered from it and never read back) and its level. Older events get the level
    // their kind and detail always gave them.
    r"
    ALTER TABLE events ADD COLUMN level INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE events ADD COLUMN payload TEXT;
    UPDATE events SET level = CASE
        WHEN kind IN ('kill', 'error') THEN 3
        WHEN kind = 'exit' AND detail NOT LIKE '%: done' THEN 3
        WHEN kind IN ('nudge', 'warn', 'refused', 'cancel') THEN 2
        WHEN kind = 'activity' AND detail LIKE '%→ errored%' THEN 2
        ELSE 1
    END;
    ",
    // 5: a fenced lease: every take-over raises the epoch, and a supervisor acts only
    // while the row still holds its pid and epoch; the tick count shows it is alive, and
    // the mode says where it runs (a console, a terminal, detached).
    r"
    ALTER TABLE lease ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE lease ADD COLUMN ticks INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE lease ADD COLUMN mode TEXT NOT NULL DEFAULT 'foreground';
    ",
    // 6: the holder's latest fleet snapshot (without captures), written when it changes,
    // so a view console draws what the supervisor sees without polling every pane.
    r"
    CREATE TABLE snapshot (
        id     INTEGER PRIMARY KEY CHECK (id = 1),
        pid    INTEGER NOT NULL,
        epoch  INTEGER NOT NULL,
        seq    INTEGER NOT NULL,
        ts_ms  INTEGER NOT NULL,
        body   TEXT NOT NULL
    );
    ",
    // 7: who an attempt's pane is: the pid and start time (clock ticks after boot) of
    // the pane's first process, so a kill finds the whole process tree and never
    // signals a later process that reuses the pid, and a per-attempt mark set on the
    // pane, so a pane id reused by a restarted tmux server is never taken for it.
    r"
    ALTER TABLE attempts ADD COLUMN pane_pid INTEGER;
    ALTER TABLE attempts ADD COLUMN pane_start INTEGER;
    ALTER TABLE attempts ADD COLUMN pane_mark TEXT;
    ",
    // 8: a queued command's deadline: a supervisor that reaches it later drops it with
    // an event instead of carrying it out long after the operator gave up waiting.
    // NULL: no deadline (`--queue`).
    r"
    ALTER TABLE commands ADD COLUMN deadline_ms INTEGER;
    ",
    // 9: restart policy and circuit breaker: each agent's own restart policy (JSON; NULL
    // means the fleet's), what the supervisor remembers of each agent's restarts, and
    // each agent kind's circuit, so a restarted supervisor keeps an open circuit open.
    r"
    ALTER TABLE agents ADD COLUMN restart TEXT;
    CREATE TABLE restarts (
        agent TEXT PRIMARY KEY,
        body  TEXT NOT NULL
    );
    CREATE TABLE circuits (
        kind     TEXT PRIMARY KEY,
        state    TEXT NOT NULL,
        until_ms INTEGER,
        body     TEXT NOT NULL
    );
    ",
    // 10: what the supervisor does with an agent idle at its prompt (`on_idle`); NULL
    // means the fleet's default.
    r"
    ALTER TABLE agents ADD COLUMN on_idle TEXT;
    ",
    // 11: token usage per attempt, model and hour (hours let `shoal usage --since` and
    // `--by day` answer without a row per answer); cost is NULL for unpriced models.
    r"
    CREATE TABLE usage (
        agent       TEXT NOT NULL,
        attempt     INTEGER NOT NULL,
        model       TEXT NOT NULL,
        hour_ms     INTEGER NOT NULL,
        input       INTEGER NOT NULL DEFAULT 0,
        output      INTEGER NOT NULL DEFAULT 0,
        cache_read  INTEGER NOT NULL DEFAULT 0,
        cache_write INTEGER NOT NULL DEFAULT 0,
        cost        REAL,
        updated_ms  INTEGER NOT NULL,
        PRIMARY KEY (agent, attempt, model, hour_ms)
    );
    CREATE INDEX usage_hour ON usage(hour_ms);
    ",
    // 12: the host an agent runs on (`host = "…"` in the fleet file); NULL: this machine.
    r"
    ALTER TABLE agents ADD COLUMN host TEXT;
    ",
    // 13: budgets: each agent's own (JSON; NULL: none), the highest level each budget's
    // scope was announced at (scope '' is the fleet's), so a restarted supervisor warns
    // and acts once per crossing, and the agents a spent budget paused, per attempt.
    r"
    ALTER TABLE agents ADD COLUMN budget TEXT;
    CREATE TABLE budget_marks (
        scope TEXT PRIMARY KEY,
        level TEXT NOT NULL,
        ts_ms INTEGER NOT NULL
    );
    CREATE TABLE budget_holds (
        agent   TEXT PRIMARY KEY,
        attempt INTEGER NOT NULL,
        scope   TEXT NOT NULL,
        ts_ms   INTEGER NOT NULL
    );
    ",
    // 14: the git worktree an agent runs in (`worktree = true` in the fleet file), as
    // JSON (repository, branch, directory); NULL: none.
    r"
    ALTER TABLE agents ADD COLUMN worktree TEXT;
    ",
    // 15: an errored agent's retries since it last finished a turn, so its backoff keeps
    // doubling across supervisor restarts.
    r"
    ALTER TABLE attempts ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;
    ",
    // 16: the backend an agent's rapid failures count against (`backend = "…"`); NULL:
    // its kind.
    r"
    ALTER TABLE agents ADD COLUMN backend TEXT;
    ",
    // 17: whether an agent's CLI is launched with shoal's hooks (`hooks = false` in the
    // fleet file); NULL means the fleet's default.
    r"
    ALTER TABLE agents ADD COLUMN hooks INTEGER;
    ",
    // 18: the published snapshot's agents, one row per position, so a publish rewrites
    // only the agents that changed; `snapshot.body` keeps the rest of the snapshot.
    r"
    CREATE TABLE snapshot_agents (
        pos  INTEGER PRIMARY KEY,
        body TEXT NOT NULL
    );
    ",
];
