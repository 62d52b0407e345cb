//! Codex CLI rollouts (`$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl`): `token_count`
//! events carry the session's running total; a `turn_context` line names the model.
//!
//! OpenAI counts cached input inside `input_tokens`; shoal's `input` is the part billed
//! at the full rate, so the cached (and cache-written) tokens are taken out of it.

use super::{Entry, Line, Tokens};
use serde_json::Value;

/// Read one rollout line. `Err` names what is wrong with a line that is not JSON.
pub fn parse_line(line: &str) -> Result<Line, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let payload = v.get("payload");
    match v.get("type").and_then(Value::as_str) {
        Some("turn_context") => Ok(payload
            .and_then(|p| p.get("model"))
            .and_then(Value::as_str)
            .map_or(Line::Other, |m| Line::Model(m.to_string()))),
        Some("event_msg") => {
            let Some(p) =
                payload.filter(|p| p.get("type").and_then(Value::as_str) == Some("token_count"))
            else {
                return Ok(Line::Other);
            };
            // `info` is null before the first answer of a session.
            let Some(total) = p
                .get("info")
                .and_then(|i| i.get("total_token_usage"))
                .filter(|t| t.is_object())
            else {
                return Ok(Line::Other);
            };
            let n = |k: &str| total.get(k).and_then(Value::as_u64).unwrap_or(0);
            let cache_read = n("cached_input_tokens");
            let cache_write = n("cache_write_input_tokens");
            Ok(Line::Usage(Entry {
                id: None,
                model: None,
                tokens: Tokens {
                    input: n("input_tokens").saturating_sub(cache_read + cache_write),
                    output: n("output_tokens"),
                    cache_read,
                    cache_write,
                },
                cumulative: true,
            }))
        }
        _ => Ok(Line::Other),
    }
}
