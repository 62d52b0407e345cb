//! The README's key table is the default keymap: generated from it, and checked here so
//! a rebinding or a new action cannot leave the README saying something else.

use shoal::app::{Action, Keymaps};

const START: &str = "<!-- keys:start -->\n";
const END: &str = "<!-- keys:end -->";

/// The table as the README must hold it: every action with a default key, in the help
/// overlay's order, its keys and its own sentence.
fn table() -> String {
    let maps = Keymaps::default();
    let mut out = String::from("| key | action |\n| --- | --- |\n");
    for a in Action::ALL {
        let keys: Vec<String> = maps
            .fleet
            .keys_for(*a)
            .iter()
            .map(|k| format!("`{k}`"))
            .collect();
        if keys.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "| {} | {} |\n",
            keys.join(" "),
            a.describe().replace('|', "\\|")
        ));
    }
    out
}

#[test]
fn the_readme_key_table_is_the_default_keymap() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let start = readme.find(START).expect("README has <!-- keys:start -->") + START.len();
    let end = readme[start..]
        .find(END)
        .expect("README has <!-- keys:end -->")
        + start;
    let want = table();
    if std::env::var_os("SHOAL_BLESS").is_some() {
        let text = format!("{}{want}{}", &readme[..start], &readme[end..]);
        std::fs::write(path, text).unwrap();
        return;
    }
    assert_eq!(
        readme[start..end],
        want,
        "README.md's key table differs from the default keymap; rerun with SHOAL_BLESS=1 to rewrite it"
    );
}
