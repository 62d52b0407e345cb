//! No file-level import cycles in the console, the UI, the app state and the CLI: every
//! `use` and every `crate::…`/`super::…` path in `src/` is an edge from its file to the
//! file that defines what it names (through a `mod.rs` that only re-exports it), and no
//! file in those modules may reach itself again. A file and the `mod.rs` files above it
//! count as one (a facade, or one type's `impl` split over files), so only cycles between
//! siblings and across modules are reported. Folded onto the top-level modules, the
//! same graph has no cycle at all (tests aside), and the domain never names the terminal
//! crates.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The modules kept free of cycles. Not yet: `fleet` (snapshot, lineage, restart, usage,
/// event, command and caller name each other) and `supervisor`.
const CLEAN: &[&str] = &["app", "ui", "console", "cli"];

type ModPath = Vec<String>;

/// A file's `use` trees (each with whether it is `pub`) and its inline paths.
type Written = (Vec<(bool, String)>, Vec<String>);

/// File → the files it names → the paths that name them.
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

struct Crate {
    /// Module path → file (relative to `src/`).
    files: BTreeMap<ModPath, String>,
    /// File → the paths it re-exports (`pub use`), by the name they export.
    exports: BTreeMap<String, BTreeMap<String, ModPath>>,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module a file is: `app/tree.rs` → `app::tree`, `app/mod.rs` → `app`.
fn module_of(rel: &str) -> ModPath {
    let mut parts: Vec<String> = rel
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The code with comments, strings and char literals blanked, so that only real paths
/// are read.
fn code_only(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(c.len());
    let mut i = 0;
    while i < c.len() {
        if c[i] == '/' && at(&c, i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if c[i] == '/' && at(&c, i + 1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && at(&c, i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && at(&c, i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c[i] == 'r'
            && (at(&c, i + 1) == '"' || (at(&c, i + 1) == '#' && !is_ident(at(&c, i + 2))))
        {
            // A raw string: r"…", r#"…"#.
            let mut hashes = 0;
            i += 1;
            while i < c.len() && c[i] == '#' {
                hashes += 1;
                i += 1;
            }
            i += 1;
            while i < c.len() {
                if c[i] == '"' && (1..=hashes).all(|k| c.get(i + k) == Some(&'#')) {
                    i += 1 + hashes;
                    break;
                }
                i += 1;
            }
            out.push_str("\"\"");
        } else if c[i] == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c[i] == '\'' && (at(&c, i + 1) == '\\' || at(&c, i + 2) == '\'') {
            // A char literal (a lifetime has no closing quote).
            i += 1;
            while i < c.len() && c[i] != '\'' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn at(c: &[char], i: usize) -> char {
    c.get(i).copied().unwrap_or('\0')
}

fn is_ident(ch: char) -> bool {
    ch.is_alphanumeric() || ch == '_'
}

/// `a::{b, c::{d, e as f}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or(tree).trim();
        return vec![path.replace(' ', "")];
    };
    let base = tree[..open].trim().trim_end_matches("::").replace(' ', "");
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let (mut items, mut depth, mut cur) = (Vec::new(), 0, String::new());
    for ch in inner.chars() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    items.push(cur);
    items
        .iter()
        .filter(|it| !it.trim().is_empty())
        .flat_map(|it| expand(it))
        .map(|p| {
            if base.is_empty() {
                p
            } else {
                format!("{base}::{p}")
            }
        })
        .collect()
}

/// The `use` trees of a file, each with whether it is a `pub use`; and the
/// `crate::`/`super::`/`self::` paths written inline.
fn paths_in(code: &str) -> Written {
    let mut uses = Vec::new();
    let mut inline = Vec::new();
    let b = code.as_bytes();
    let word_at = |i: usize, w: &str| {
        code[i..].starts_with(w)
            && (i == 0 || !is_ident(b[i - 1] as char))
            && !b.get(i + w.len()).is_some_and(|&c| is_ident(c as char))
    };
    let mut i = 0;
    while i < b.len() {
        if word_at(i, "use") {
            let end = code[i..].find(';').map_or(b.len(), |e| i + e);
            let before = code[..i].trim_end();
            let public = before.ends_with("pub")
                || before.ends_with(')') && {
                    let open = before.rfind('(').unwrap_or(0);
                    before[..open].trim_end().ends_with("pub")
                };
            for p in expand(&code[i + 3..end]) {
                uses.push((public, p));
            }
            i = end;
        } else if ["crate", "super", "self"].iter().any(|w| word_at(i, w))
            && (i == 0 || b[i - 1] != b':')
            && code[i..].split_once(|c: char| !is_ident(c)).is_some()
        {
            let len = code[i..]
                .find(|c: char| !(is_ident(c) || c == ':'))
                .unwrap_or(b.len() - i);
            let path = code[i..i + len].trim_end_matches(':');
            if path.contains("::") {
                inline.push(path.to_string());
            }
            i += len.max(1);
        } else {
            i += 1;
        }
    }
    (uses, inline)
}

impl Crate {
    fn read(src: &Path) -> (Crate, BTreeMap<String, Written>) {
        let mut all = Vec::new();
        rust_files(src, &mut all);
        let mut files = BTreeMap::new();
        let mut paths = BTreeMap::new();
        for p in all {
            let rel = p
                .strip_prefix(src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            // The binaries are crates of their own.
            if rel == "main.rs" || rel.starts_with("bin/") {
                continue;
            }
            let code = code_only(&std::fs::read_to_string(&p).unwrap());
            files.insert(module_of(&rel), rel.clone());
            paths.insert(rel, paths_in(&code));
        }
        let mut krate = Crate {
            files,
            exports: BTreeMap::new(),
        };
        for (rel, (uses, _)) in &paths {
            let here = module_of(rel);
            let ex = uses
                .iter()
                .filter(|(public, _)| *public)
                .filter_map(|(_, p)| krate.absolute(&here, p))
                .filter_map(|full| Some((full.last()?.clone(), full)))
                .collect();
            krate.exports.insert(rel.clone(), ex);
        }
        (krate, paths)
    }

    /// A path written in module `here`, from the crate root; `None` for other crates.
    fn absolute(&self, here: &[String], path: &str) -> Option<ModPath> {
        let segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        let (mut base, mut rest) = (here.to_vec(), &segs[..]);
        match rest.first()? {
            &"crate" => {
                base.clear();
                rest = &rest[1..];
            }
            &"super" | &"self" => {
                while let Some(&s) = rest.first().filter(|s| **s == "super" || **s == "self") {
                    if s == "super" {
                        base.pop();
                    }
                    rest = &rest[1..];
                }
            }
            // A child module named without `self::`; anything else is another crate.
            first => {
                let mut child = here.to_vec();
                child.push((*first).to_string());
                self.files.get(&child)?;
            }
        }
        base.extend(rest.iter().map(|s| (*s).to_string()));
        Some(base)
    }

    /// The file defining what `full` names: the deepest module file on the path, or the
    /// file a `mod.rs` re-exports the name from.
    fn file_of(&self, full: &[String], depth: usize) -> Option<String> {
        let n = (0..=full.len())
            .rev()
            .find(|&n| self.files.contains_key(&full[..n]))?;
        let file = self.files[&full[..n]].clone();
        if let (Some(name), true) = (full.get(n), depth < 5) {
            if let Some(target) = self.exports.get(&file).and_then(|ex| ex.get(name)) {
                if let Some(f) = self.file_of(target, depth + 1) {
                    return Some(f);
                }
            }
        }
        Some(file)
    }
}

/// File → the files it names, and why (the paths written).
fn edges(src: &Path) -> Graph {
    let (krate, paths) = Crate::read(src);
    let mut out: Graph = BTreeMap::new();
    for (rel, (uses, inline)) in &paths {
        let here = module_of(rel);
        let named = uses
            .iter()
            .filter(|(public, _)| !public)
            .map(|(_, p)| p)
            .chain(inline);
        for p in named {
            let Some(full) = krate.absolute(&here, p) else {
                continue;
            };
            let Some(file) = krate.file_of(&full, 0) else {
                continue;
            };
            let there = module_of(&file);
            if here.starts_with(&there) || there.starts_with(&here) {
                continue;
            }
            out.entry(rel.clone())
                .or_default()
                .entry(file)
                .or_default()
                .insert(p.clone());
        }
    }
    out
}

/// The strongly connected components with more than one file (Tarjan).
fn cycles(edges: &Graph) -> Vec<Vec<String>> {
    struct T<'a> {
        edges: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        let n = t.index.len();
        t.index.insert(v, n);
        t.low.insert(v, n);
        t.stack.push(v);
        for w in t.edges.get(v).into_iter().flat_map(BTreeMap::keys) {
            if !t.index.contains_key(w.as_str()) {
                visit(t, w);
                let lw = t.low[w.as_str()];
                t.low.entry(v).and_modify(|l| *l = (*l).min(lw));
            } else if t.stack.contains(&w.as_str()) {
                let iw = t.index[w.as_str()];
                t.low.entry(v).and_modify(|l| *l = (*l).min(iw));
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v.as_str()) {
            visit(&mut t, v);
        }
    }
    t.out
}

fn describe(comp: &[String], edges: &Graph) -> String {
    let mut s = format!("cycle: {}\n", comp.join(", "));
    for v in comp {
        for (w, why) in edges.get(v).into_iter().flatten() {
            if comp.contains(w) {
                let why: Vec<&str> = why.iter().map(String::as_str).collect();
                s.push_str(&format!("  {v} -> {w}  ({})\n", why.join(", ")));
            }
        }
    }
    s
}

#[test]
fn the_console_ui_app_and_cli_have_no_file_level_import_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = edges(&src);
    let bad: Vec<String> = cycles(&edges)
        .iter()
        .filter(|c| {
            c.iter()
                .any(|f| CLEAN.iter().any(|m| f.starts_with(&format!("{m}/"))))
        })
        .map(|c| describe(c, &edges))
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn the_checker_sees_a_cycle_between_siblings_and_ignores_a_facade() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("m")).unwrap();
    let write = |p: &str, t: &str| std::fs::write(src.join(p), t).unwrap();
    write("lib.rs", "pub mod m;\n");
    // The facade re-exports both and its children use its own type: not a cycle.
    write(
        "m/mod.rs",
        "mod a;\nmod b;\npub use a::A;\npub use b::B;\npub struct M;\n",
    );
    write(
        "m/a.rs",
        "use super::M;\n// use super::b::B; (a comment)\npub struct A;\n",
    );
    write("m/b.rs", "pub struct B(super::M, \"super::a::A\");\n");
    assert!(cycles(&edges(src)).is_empty(), "{:?}", edges(src));
    // One sibling naming the other through the facade, the other naming it back.
    write("m/a.rs", "use super::{B, M};\npub struct A;\n");
    write("m/b.rs", "pub fn f() -> crate::m::a::A { todo!() }\n");
    assert_eq!(cycles(&edges(src)), vec![vec!["m/a.rs", "m/b.rs"]]);
}

/// The top-level module a file belongs to (`supervisor/tick.rs` → `supervisor`); the
/// crate root's own files belong to none.
fn top_module(rel: &str) -> Option<&str> {
    rel.split_once('/').map(|(m, _)| m)
}

/// A file that holds only tests (`tests.rs`, `*_tests.rs`, the test kit): tests may
/// reach up to build their fixtures.
fn is_test_file(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name == "tests.rs" || name.ends_with("_tests.rs") || name == "testkit.rs"
}

/// The file graph folded onto top-level modules: `supervisor` → `store` when any file of
/// the supervisor (other than its tests) names one of the store.
fn module_edges(files: &Graph) -> Graph {
    let mut out: Graph = BTreeMap::new();
    for (from, to) in files {
        if is_test_file(from) {
            continue;
        }
        let Some(a) = top_module(from) else { continue };
        for (file, why) in to {
            let Some(b) = top_module(file) else { continue };
            if a != b {
                let e = out.entry(a.to_string()).or_default();
                let paths = e.entry(b.to_string()).or_default();
                paths.extend(why.iter().map(|w| format!("{from}: {w}")));
            }
        }
    }
    out
}

#[test]
fn the_top_level_modules_form_no_import_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules = module_edges(&edges(&src));
    assert!(
        modules.contains_key("supervisor") && modules.contains_key("cli"),
        "the module graph was read: {:?}",
        modules.keys().collect::<Vec<_>>()
    );
    let bad: Vec<String> = cycles(&modules)
        .iter()
        .map(|c| describe(c, &modules))
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn the_domain_never_names_the_terminal_crates() {
    const DOMAIN: &[&str] = &[
        "fleet",
        "profile",
        "tmux",
        "supervisor",
        "store",
        "logs",
        "config",
        "notify",
        "usage",
        "process",
        "worktree",
    ];
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut bad = Vec::new();
    let mut seen = 0;
    for f in &files {
        let rel = f
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if !top_module(&rel).is_some_and(|m| DOMAIN.contains(&m)) {
            continue;
        }
        seen += 1;
        let code = code_only(&std::fs::read_to_string(f).unwrap());
        for krate in ["ratatui", "crossterm", "ansi_to_tui"] {
            if code.contains(&format!("{krate}::")) {
                bad.push(format!("{rel} names {krate}"));
            }
        }
    }
    assert!(seen > 50, "the domain's files were read ({seen})");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn the_module_fold_sees_a_cycle_across_modules() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    for m in ["a", "b"] {
        std::fs::create_dir_all(src.join(m)).unwrap();
    }
    let write = |p: &str, t: &str| std::fs::write(src.join(p), t).unwrap();
    write("lib.rs", "pub mod a;\npub mod b;\n");
    write("a/mod.rs", "mod x;\npub use x::X;\n");
    write("a/x.rs", "pub struct X;\n");
    write("b/mod.rs", "pub struct B(crate::a::X);\n");
    assert!(cycles(&module_edges(&edges(src))).is_empty());
    // A different file of `a` naming `b` closes a cycle no file graph shows.
    write("a/y.rs", "pub fn f(_: crate::b::B) {}\n");
    write("a/mod.rs", "mod x;\nmod y;\npub use x::X;\n");
    assert_eq!(cycles(&module_edges(&edges(src))), vec![vec!["a", "b"]]);
    // Its tests may reach back.
    std::fs::remove_file(src.join("a/y.rs")).unwrap();
    write("a/x_tests.rs", "fn t(_: crate::b::B) {}\n");
    write("a/mod.rs", "mod x;\nmod x_tests;\npub use x::X;\n");
    assert!(cycles(&module_edges(&edges(src))).is_empty());
}
