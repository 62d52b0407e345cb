//! Changing the fleet file the way its author would: one `[[agent]]` block appended or
//! taken out, and every other line — comments, blank lines, key order, quoting — left
//! exactly as it was (`toml_edit` keeps the document's formatting).

use super::draft::{AgentDraft, WorktreeChoice};
use toml_edit::{value, ArrayOfTables, DocumentMut, Item, Table};

/// Why the file could not be edited.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The text is not TOML; the fleet file's own error names the line.
    #[error("the fleet file is not valid TOML ({0}); fix it first")]
    Syntax(String),
    /// `agent` is not a list of `[[agent]]` tables.
    #[error("the fleet file's `agent` is not a list of [[agent]] tables; add the agent by hand")]
    Shape,
    /// No block declares the agent.
    #[error("no [[agent]] block in the fleet file declares {0:?}")]
    NotDeclared(String),
}

fn parse(text: &str) -> Result<DocumentMut, EditError> {
    text.parse::<DocumentMut>()
        .map_err(|e| EditError::Syntax(e.message().trim().to_string()))
}

/// The fleet file text with a new `[[agent]]` block for `draft` after the last one.
pub fn add_agent(text: &str, draft: &AgentDraft) -> Result<String, EditError> {
    let mut doc = parse(text)?;
    let mut t = Table::new();
    t["name"] = value(draft.name.as_str());
    if let Some(k) = &draft.kind {
        t["kind"] = value(k.as_str());
    }
    t["cmd"] = value(draft.cmd.as_str());
    if let Some(c) = &draft.cwd {
        t["cwd"] = value(c.as_str());
    }
    if let Some(task) = &draft.task {
        t["task"] = value(task.as_str());
    }
    if let Some(p) = &draft.parent {
        t["parent"] = value(p.as_str());
    }
    match &draft.worktree {
        Some(WorktreeChoice::AgentBranch) => t["worktree"] = value(true),
        Some(WorktreeChoice::Branch(b)) => t["worktree"] = value(b.as_str()),
        None => {}
    }
    // A blank line before the block, as people write them.
    t.decor_mut().set_prefix("\n");
    match doc.get_mut("agent") {
        None => {
            let mut aot = ArrayOfTables::new();
            aot.push(t);
            doc.insert("agent", Item::ArrayOfTables(aot));
        }
        Some(Item::ArrayOfTables(aot)) => {
            // Placed right after the last agent, not after whatever table ends the file.
            let after = aot.iter().filter_map(Table::position).max();
            if let Some(pos) = after {
                shift_positions(&mut doc, pos + 1);
                t.set_position(pos + 1);
            }
            if let Some(Item::ArrayOfTables(aot)) = doc.get_mut("agent") {
                aot.push(t);
            }
        }
        Some(_) => return Err(EditError::Shape),
    }
    let mut out = doc.to_string();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// Move every table at `from` or later one place down, to make room at `from`.
fn shift_positions(doc: &mut DocumentMut, from: isize) {
    fn walk(t: &mut Table, from: isize) {
        if let Some(p) = t.position().filter(|p| *p >= from) {
            t.set_position(p + 1);
        }
        for (_, item) in t.iter_mut() {
            match item {
                Item::Table(sub) => walk(sub, from),
                Item::ArrayOfTables(aot) => aot.iter_mut().for_each(|sub| walk(sub, from)),
                _ => {}
            }
        }
    }
    walk(doc.as_table_mut(), from);
}

/// The fleet file text without the `[[agent]]` block that declares `name`. The comment
/// lines right above the block go with it; a comment separated from it by a blank line
/// belongs to what came before and stays.
pub fn remove_agent(text: &str, name: &str) -> Result<String, EditError> {
    let mut doc = parse(text)?;
    let Some(Item::ArrayOfTables(aot)) = doc.get_mut("agent") else {
        return match doc.get("agent") {
            None => Err(EditError::NotDeclared(name.to_string())),
            Some(_) => Err(EditError::Shape),
        };
    };
    let idx = aot
        .iter()
        .position(|t| t.get("name").and_then(Item::as_str) == Some(name))
        .ok_or_else(|| EditError::NotDeclared(name.to_string()))?;
    let removed = aot.get(idx).cloned().unwrap_or_default();
    aot.remove(idx);
    let prefix = removed
        .decor()
        .prefix()
        .and_then(|p| p.as_str())
        .unwrap_or("")
        .to_string();
    let kept = kept_part(&prefix);
    if !kept.is_empty() {
        // Hand the paragraph above the block to whatever now follows it.
        let pos = removed.position();
        if let Some(next) = next_table(&mut doc, pos) {
            let old = next
                .decor()
                .prefix()
                .and_then(|p| p.as_str())
                .unwrap_or("")
                .to_string();
            next.decor_mut().set_prefix(format!("{kept}{old}"));
        } else {
            let trailing = doc.trailing().as_str().unwrap_or("").to_string();
            doc.set_trailing(format!("{kept}{trailing}"));
        }
    }
    if let Some(Item::ArrayOfTables(aot)) = doc.get("agent") {
        if aot.is_empty() {
            doc.remove("agent");
        }
    }
    Ok(doc.to_string())
}

/// Of the text above a block, the part up to its last blank line: what belongs to the
/// block is the comment paragraph touching it.
fn kept_part(prefix: &str) -> String {
    let lines: Vec<&str> = prefix.split_inclusive('\n').collect();
    match lines.iter().rposition(|l| l.trim().is_empty()) {
        Some(i) if lines[..i].iter().any(|l| !l.trim().is_empty()) => lines[..=i].concat(),
        _ => String::new(),
    }
}

/// The table rendered next after position `pos`.
fn next_table(doc: &mut DocumentMut, pos: Option<isize>) -> Option<&mut Table> {
    let pos = pos?;
    let mut best: Option<isize> = None;
    fn find(t: &Table, pos: isize, best: &mut Option<isize>) {
        for (_, item) in t {
            let subs: Vec<&Table> = match item {
                Item::Table(sub) => vec![sub],
                Item::ArrayOfTables(aot) => aot.iter().collect(),
                _ => Vec::new(),
            };
            for sub in subs {
                if let Some(p) = sub.position().filter(|p| *p > pos) {
                    if best.map_or(true, |b| p < b) {
                        *best = Some(p);
                    }
                }
                find(sub, pos, best);
            }
        }
    }
    find(doc.as_table(), pos, &mut best);
    let want = best?;
    fn get(t: &mut Table, want: isize) -> Option<&mut Table> {
        for (_, item) in t.iter_mut() {
            match item {
                Item::Table(sub) => {
                    if sub.position() == Some(want) {
                        return Some(sub);
                    }
                    if let Some(found) = get(sub, want) {
                        return Some(found);
                    }
                }
                Item::ArrayOfTables(aot) => {
                    for sub in aot.iter_mut() {
                        if sub.position() == Some(want) {
                            return Some(sub);
                        }
                        if let Some(found) = get(sub, want) {
                            return Some(found);
                        }
                    }
                }
                _ => {}
            }
        }
        None
    }
    get(doc.as_table_mut(), want)
}

#[cfg(test)]
#[path = "edit_tests.rs"]
mod tests;
