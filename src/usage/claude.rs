//! Claude Code session transcripts (`~/.claude/projects/<dir>/<session>.jsonl`): each
//! assistant line carries `message.usage` and `message.model`. One API message is
//! written once per content block (text, then tool use), every copy with the same id
//! and usage, so records are keyed by `message.id`.

use super::{Entry, Line, Tokens};
use serde_json::Value;

/// Read one transcript line. `Err` names what is wrong with a line that is not JSON.
pub fn parse_line(line: &str) -> Result<Line, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let Some(msg) = v.get("message").filter(|m| m.is_object()) else {
        return Ok(Line::Other);
    };
    let Some(usage) = msg.get("usage").filter(|u| u.is_object()) else {
        return Ok(Line::Other);
    };
    let n = |k: &str| usage.get(k).and_then(Value::as_u64).unwrap_or(0);
    let tokens = Tokens {
        input: n("input_tokens"),
        output: n("output_tokens"),
        cache_read: n("cache_read_input_tokens"),
        cache_write: n("cache_creation_input_tokens"),
    };
    let id = msg
        .get("id")
        .and_then(Value::as_str)
        .or_else(|| v.get("requestId").and_then(Value::as_str))
        .or_else(|| v.get("uuid").and_then(Value::as_str))
        .map(str::to_string);
    Ok(Line::Usage(Entry {
        id,
        model: msg.get("model").and_then(Value::as_str).map(str::to_string),
        tokens,
        cumulative: false,
    }))
}
