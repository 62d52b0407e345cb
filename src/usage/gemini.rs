//! Gemini CLI chat files (`~/.gemini/tmp/<project>/chats/session-*.jsonl`): each
//! `gemini` message carries `tokens` and `model`; a message is written again when a
//! tool call updates it, with the same id, and `$set` lines may restate messages.
//!
//! Gemini counts cached tokens inside `input` and bills thinking as output and the
//! tool-use prompt as input, so they are moved to where they are billed.

use super::{Entry, Line, Tokens};
use serde_json::Value;

/// Read one chat-file line; a `$set` line restating several messages yields the last
/// usage record among them (ids keep the others from being lost: see [`parse_all`]).
pub fn parse_line(line: &str) -> Result<Line, String> {
    Ok(parse_all(line)?.pop().map_or(Line::Other, Line::Usage))
}

/// Every usage record in one chat-file line.
pub fn parse_all(line: &str) -> Result<Vec<Entry>, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let restated = v
        .get("$set")
        .and_then(|s| s.get("messages"))
        .and_then(Value::as_array);
    Ok(match restated {
        Some(msgs) => msgs.iter().filter_map(message).collect(),
        None => message(&v).into_iter().collect(),
    })
}

fn message(m: &Value) -> Option<Entry> {
    if m.get("type").and_then(Value::as_str) != Some("gemini") {
        return None;
    }
    let t = m.get("tokens").filter(|t| t.is_object())?;
    let n = |k: &str| t.get(k).and_then(Value::as_u64).unwrap_or(0);
    let cached = n("cached");
    Some(Entry {
        id: m.get("id").and_then(Value::as_str).map(str::to_string),
        model: m.get("model").and_then(Value::as_str).map(str::to_string),
        tokens: Tokens {
            input: n("input").saturating_sub(cached) + n("tool"),
            output: n("output") + n("thoughts"),
            cache_read: cached,
            cache_write: 0,
        },
        cumulative: false,
    })
}
