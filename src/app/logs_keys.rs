//! The log browser's keys with what they do: its own help (`?` while it is open) and its
//! footer hints both read them here, so neither says something the browser does not do.

/// One key of the browser: the keys, a word for the footer, a sentence for the help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogKey {
    /// The keys, as the operator presses them.
    pub keys: &'static str,
    /// The footer's word.
    pub label: &'static str,
    /// The help's sentence.
    pub what: &'static str,
}

const fn key(keys: &'static str, label: &'static str, what: &'static str) -> LogKey {
    LogKey { keys, label, what }
}

/// The browser's keys over its results, in the help's order.
pub const LOG_KEYS: &[LogKey] = &[
    key(
        "/",
        "search",
        "Edit the query: words, agent:, tree:, level:, source:, since:, until:; enter runs it.",
    ),
    key(
        "j/k",
        "move",
        "Move the selection (↓/↑ too); following, going up pauses it.",
    ),
    key(
        "enter",
        "screen",
        "Show the screen kept with the entry beside the rule that matched.",
    ),
    key(
        "f",
        "follow",
        "Follow one agent: new lines at the bottom as they come (tail -f); f again stops.",
    ),
    key(
        "w",
        "wrap",
        "Wrap long lines onto more rows, or cut them to one row per entry.",
    ),
    key(
        "n/p",
        "page",
        "Older / newer page (pgdn/pgup too, except in follow mode, where they scroll).",
    ),
    key(
        "1-6/0",
        "window",
        "Only the last minute, 5 min, 15 min, hour, 6 hours or day; 0 drops the window.",
    ),
    key(
        "g",
        "agent",
        "Go back to the fleet with the entry's agent selected.",
    ),
    key("?", "help", "This help."),
    key("esc", "back", "Back to the fleet (q too)."),
    key(
        "end",
        "resume",
        "Following paused: follow again (G too); else the last entry.",
    ),
    key("r", "refresh", "Run the search again."),
    key(":", "command", "The command line, as in the fleet view."),
];

/// Keys while an entry's screen is open.
pub const DETAIL_KEYS: &[LogKey] = &[
    key(
        "g",
        "agent",
        "Go back to the fleet with the entry's agent selected.",
    ),
    key(
        "any other key",
        "close",
        "Close the screen, back to the results.",
    ),
];

/// Keys while the query line is edited.
pub const EDIT_KEYS: &[LogKey] = &[
    key("enter", "search", "Run the query."),
    key("esc", "cancel", "Put back the query in force."),
    key("ctrl-u", "erase", "Erase the line (ctrl-w: the last word)."),
    key(
        "agent: tree: level: source: since: until:",
        "filters",
        "agent:NAME one agent, tree:NAME with its descendants, level:warn and above, source:output|event|signal|supervisor, since:/until: 15m, 2h, today, 14:30, 2024-05-01.",
    ),
];
