//! Text typed into a pane: what may be typed ([`check_typed`]), and how long text is
//! cut so every piece fits in one tmux command.

/// The largest piece of text put in one tmux command. A one-shot client packs its
/// whole argument vector into one 16 KiB message; a control-mode line has no such
/// limit, but small pieces keep every command far from it.
pub const CHUNK_BYTES: usize = 4096;

/// Bytes of arguments one tmux client process may carry, with room for its framing.
pub const ARGV_BUDGET: usize = 12 * 1024;

pub use crate::fleet::typed::check_typed;

/// Cut `text` into pieces of at most `max` bytes, never inside a character.
pub fn chunks(text: &str, max: usize) -> Vec<&str> {
    let max = max.max(4);
    let mut out = Vec::new();
    let mut rest = text;
    while rest.len() > max {
        let mut cut = max;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_keep_characters_whole_and_lose_nothing() {
        let text = "é".repeat(3000) + "tail";
        let pieces = chunks(&text, 4095);
        assert!(pieces.iter().all(|p| p.len() <= 4095));
        assert_eq!(pieces.concat(), text);
        assert_eq!(chunks("", 10), Vec::<&str>::new());
        assert_eq!(chunks("abc", 10), ["abc"]);
    }
}
