//! The shape of `src/`: no import cycle between modules, and no source file
//! over 400 lines.
//!
//! A cycle is checked among the sibling modules of each parent (the crate's
//! top-level modules, `flow`'s submodules, …): a reference from anywhere
//! inside `a` to anything inside its sibling `b` is an edge `a → b`. Paths
//! through `crate::`, `super::` and `self::` are resolved through the `use`
//! items of the modules they pass, so `super::FlowDef` re-exported by
//! `flow/mod.rs` counts as a reference to `flow::definition`, where it lives.
//! A child using its parent's items is not a cycle (that is what `mod` means);
//! test modules (`#[cfg(test)]`) and comments are skipped. This is a token
//! scan, not a compiler: good enough for this codebase, and std-only so CI
//! needs nothing installed.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Lines a file in `src/` may have (STYLE.md: files under about 400 lines).
const MAX_LINES: usize = 400;

type Module = Vec<String>;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Colons,
    Punct(char),
}

/// Tokens with their line numbers; comments, strings and chars dropped.
fn lex(src: &str) -> Vec<(Tok, usize)> {
    let c: Vec<char> = src.chars().collect();
    let (mut i, mut line, mut out) = (0, 1, Vec::new());
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
        }
        if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && at(i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            loop {
                if at(i) == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if at(i) == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(at(i) == '\n');
                    i += 1;
                }
            }
        } else if ch == '"' || (ch == 'r' && matches!(at(i + 1), '"' | '#')) {
            // Raw strings end at `"` plus as many `#` as they began with.
            let raw = ch == 'r';
            let mut hashes = 0;
            i += 1;
            while raw && at(i) == '#' {
                hashes += 1;
                i += 1;
            }
            i += 1;
            loop {
                match at(i) {
                    '\0' => break,
                    '\\' if !raw => i += 2,
                    '"' if (1..=hashes).all(|h| at(i + h) == '#') => {
                        i += 1 + hashes;
                        break;
                    }
                    other => {
                        line += usize::from(other == '\n');
                        i += 1;
                    }
                }
            }
        } else if ch == '\'' && (at(i + 1) == '\\' || at(i + 2) == '\'') {
            i += if at(i + 1) == '\\' { 3 } else { 2 };
            while at(i) != '\'' && at(i) != '\0' {
                i += 1;
            }
            i += 1;
        } else if ch.is_alphanumeric() || ch == '_' {
            let start = i;
            while at(i).is_alphanumeric() || at(i) == '_' {
                i += 1;
            }
            let word: String = c[start..i].iter().collect();
            // Byte strings and chars (b"…", br"…", b'…') are lexed next round.
            if (word == "b" && matches!(at(i), '"' | '\'')) || (word == "br" && matches!(at(i), '"' | '#')) {
                i = start + 1;
                continue;
            }
            out.push((Tok::Ident(word), line));
        } else if ch == ':' && at(i + 1) == ':' {
            out.push((Tok::Colons, line));
            i += 2;
        } else {
            out.push((Tok::Punct(ch), line));
            i += 1;
        }
    }
    out
}

fn ident(t: Option<&(Tok, usize)>) -> Option<&str> {
    match t {
        Some((Tok::Ident(s), _)) => Some(s),
        _ => None,
    }
}

fn is(t: Option<&(Tok, usize)>, p: char) -> bool {
    matches!(t, Some((Tok::Punct(q), _)) if *q == p)
}

/// The index after the bracket group opening at `i`.
fn skip_group(toks: &[(Tok, usize)], mut i: usize) -> usize {
    let mut depth = 0;
    loop {
        match toks.get(i) {
            None => return i,
            Some((Tok::Punct('{' | '(' | '['), _)) => depth += 1,
            Some((Tok::Punct('}' | ')' | ']'), _)) => depth -= 1,
            _ => {}
        }
        i += 1;
        if depth == 0 {
            return i;
        }
    }
}

/// What one file says: the paths it names and the names its `use` items bind.
#[derive(Default)]
struct FileScan {
    refs: Vec<(Vec<String>, usize)>,
    uses: BTreeMap<String, Vec<String>>,
    test_mods: Vec<String>,
}

/// Expands a `use` tree at `i` into (path, bound name) pairs; returns the end.
fn use_tree(toks: &[(Tok, usize)], mut i: usize, prefix: &[String], out: &mut Vec<(Vec<String>, String)>) -> usize {
    let mut path = prefix.to_vec();
    loop {
        if is(toks.get(i), '{') {
            i += 1;
            while !is(toks.get(i), '}') && i < toks.len() {
                i = use_tree(toks, i, &path, out);
                if is(toks.get(i), ',') {
                    i += 1;
                }
            }
            return i + 1;
        }
        if is(toks.get(i), '*') {
            return i + 1; // a glob binds no name this scan can follow
        }
        match ident(toks.get(i)) {
            Some("self") if !path.is_empty() => {}
            Some(seg) => path.push(seg.to_owned()),
            None => return i,
        }
        i += 1;
        if toks.get(i).map(|t| &t.0) == Some(&Tok::Colons) {
            i += 1;
            continue;
        }
        let mut name = path.last().cloned().unwrap_or_default();
        if ident(toks.get(i)) == Some("as") {
            name = ident(toks.get(i + 1)).unwrap_or("_").to_owned();
            i += 2;
        }
        out.push((path, name));
        return i;
    }
}

fn is_test_cfg(toks: &[(Tok, usize)], start: usize, end: usize) -> bool {
    let words: Vec<&str> = toks[start..end].iter().filter_map(|t| ident(Some(t))).collect();
    words.first() == Some(&"cfg") && words.contains(&"test") && !words.contains(&"not")
}

fn scan(src: &str) -> FileScan {
    let toks = lex(src);
    let mut scan = FileScan::default();
    let (mut i, mut depth) = (0, 0usize);
    while i < toks.len() {
        let (tok, line) = &toks[i];
        match tok {
            Tok::Punct('#') if is(toks.get(i + 1), '[') || (is(toks.get(i + 1), '!') && is(toks.get(i + 2), '[')) => {
                let open = if is(toks.get(i + 1), '[') { i + 1 } else { i + 2 };
                let end = skip_group(&toks, open);
                if !is_test_cfg(&toks, open + 1, end) {
                    i = end;
                    continue;
                }
                // Skip the whole item the attribute is on.
                let mut j = end;
                while is(toks.get(j), '#') {
                    j = skip_group(&toks, j + 1);
                }
                if ident(toks.get(j)) == Some("mod") && is(toks.get(j + 2), ';') {
                    scan.test_mods.extend(ident(toks.get(j + 1)).map(str::to_owned));
                }
                while j < toks.len() && !is(toks.get(j), ';') && !is(toks.get(j), '{') {
                    j = if is(toks.get(j), '(') || is(toks.get(j), '[') { skip_group(&toks, j) } else { j + 1 };
                }
                i = if is(toks.get(j), '{') { skip_group(&toks, j) } else { j + 1 };
            }
            Tok::Punct('{') => (depth, i) = (depth + 1, i + 1),
            Tok::Punct('}') => (depth, i) = (depth.saturating_sub(1), i + 1),
            Tok::Ident(w) if w == "use" => {
                let mut found = Vec::new();
                i = use_tree(&toks, i + 1, &[], &mut found);
                for (path, name) in found {
                    if depth == 0 {
                        scan.uses.insert(name, path.clone());
                    }
                    scan.refs.push((path, *line));
                }
            }
            Tok::Ident(w)
                if matches!(w.as_str(), "crate" | "super" | "self")
                    && toks.get(i + 1).map(|t| &t.0) == Some(&Tok::Colons)
                    && !is(i.checked_sub(1).and_then(|p| toks.get(p)), '$')
                    && i.checked_sub(1).and_then(|p| toks.get(p)).map(|t| &t.0) != Some(&Tok::Colons) =>
            {
                let mut path = vec![w.clone()];
                i += 1;
                while toks.get(i).map(|t| &t.0) == Some(&Tok::Colons) {
                    match ident(toks.get(i + 1)) {
                        Some(seg) => path.push(seg.to_owned()),
                        None => break,
                    }
                    i += 2;
                }
                scan.refs.push((path, *line));
            }
            _ => i += 1,
        }
    }
    scan
}

/// The module a file in `src/` is: `flow/mod.rs` and `flow.rs` are `flow`.
fn module_of(rel: &Path) -> Module {
    let mut parts: Module = rel.with_extension("").iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn child(module: &[String], name: &str) -> Module {
    let mut path = module.to_vec();
    path.push(name.to_owned());
    path
}

struct Crate {
    files: BTreeMap<Module, (PathBuf, FileScan)>,
}

impl Crate {
    fn load() -> Self {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut paths = Vec::new();
        rust_files(&src, &mut paths);
        let mut files = BTreeMap::new();
        for path in paths {
            let rel = path.strip_prefix(&src).expect("under src").to_path_buf();
            if rel == Path::new("main.rs") {
                continue; // the binary is its own crate
            }
            let scan = scan(&fs::read_to_string(&path).expect("read file"));
            files.insert(module_of(&rel), (rel, scan));
        }
        let tests: Vec<Module> = files
            .iter()
            .flat_map(|(m, (_, s))| s.test_mods.iter().map(move |t| [m.clone(), vec![t.clone()]].concat()))
            .collect();
        files.retain(|m, _| !tests.iter().any(|t| m.starts_with(t)));
        Crate { files }
    }

    /// The module a path names, following `use` items; `None` outside the crate.
    fn resolve(&self, from: &[String], path: &[String], hops: usize) -> Option<Module> {
        let (first, rest) = path.split_first()?;
        let mut module: Module = match first.as_str() {
            "crate" => vec![],
            "self" => from.to_vec(),
            "super" => {
                let parent = from.split_last()?.1;
                return self.resolve(parent, &[&["self".to_owned()], rest].concat(), hops);
            }
            _ if self.files.contains_key(&child(from, first)) => child(from, first),
            // A name the module imported: `use super::definition;`, then `definition::Flow`.
            _ => {
                let target = self.files.get(from)?.1.uses.get(first)?;
                if hops == 0 || target.first() == Some(first) {
                    return None;
                }
                return self.resolve(from, &[target.as_slice(), rest].concat(), hops - 1);
            }
        };
        let mut rest = rest;
        while let Some((seg, tail)) = rest.split_first() {
            if !self.files.contains_key(&child(&module, seg)) {
                break;
            }
            (module, rest) = (child(&module, seg), tail);
        }
        // An item a module re-exports lives where its `use` points.
        match rest.first().and_then(|name| self.files.get(&module)?.1.uses.get(name)) {
            Some(target) if hops > 0 => {
                self.resolve(&module, &[target.as_slice(), &rest[1..]].concat(), hops - 1).or(Some(module))
            }
            _ => Some(module),
        }
    }

    /// Edges between siblings: parent → (from child → to child → evidence).
    fn edges(&self) -> BTreeMap<Module, BTreeMap<String, BTreeMap<String, String>>> {
        let mut edges: BTreeMap<Module, BTreeMap<String, BTreeMap<String, String>>> = BTreeMap::new();
        for (from, (file, scan)) in &self.files {
            for (path, line) in &scan.refs {
                let Some(to) = self.resolve(from, path, 8) else { continue };
                let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
                if common < from.len() && common < to.len() {
                    let evidence = format!("{}:{line} {}", Path::new("src").join(file).display(), path.join("::"));
                    let siblings = edges.entry(from[..common].to_vec()).or_default();
                    siblings.entry(from[common].clone()).or_default().entry(to[common].clone()).or_insert(evidence);
                }
            }
        }
        edges
    }
}

/// Groups of siblings that reach each other (strongly connected, size > 1).
fn cycles(graph: &BTreeMap<String, BTreeMap<String, String>>) -> Vec<BTreeSet<String>> {
    let reach = |start: &String| {
        let (mut seen, mut todo) = (BTreeSet::new(), vec![start.clone()]);
        while let Some(n) = todo.pop() {
            for next in graph.get(&n).into_iter().flat_map(|m| m.keys()) {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> = graph.keys().map(|n| (n, reach(n))).collect();
    let mut groups: Vec<BTreeSet<String>> = Vec::new();
    for (n, r) in &reaches {
        let group: BTreeSet<String> =
            r.iter().filter(|m| reaches.get(m).is_some_and(|back| back.contains(*n))).cloned().collect();
        if group.len() > 1 && !groups.contains(&group) {
            groups.push(group);
        }
    }
    groups
}

#[test]
fn no_import_cycle_between_modules() {
    let krate = Crate::load();
    let mut report = String::new();
    for (parent, graph) in krate.edges() {
        for group in cycles(&graph) {
            let name = if parent.is_empty() { "crate".to_owned() } else { parent.join("::") };
            report += &format!("cycle in {name}: {group:?}\n");
            for (a, b, why) in group
                .iter()
                .flat_map(|a| graph[a].iter().filter(|(b, _)| group.contains(*b)).map(move |(b, w)| (a, b, w)))
            {
                report += &format!("  {a} -> {b}  ({why})\n");
            }
        }
    }
    assert!(report.is_empty(), "import cycles between modules:\n{report}");
}

#[test]
fn no_source_file_over_max_lines() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    let mut long: Vec<String> = paths
        .iter()
        .map(|p| (p, fs::read_to_string(p).expect("read file").lines().count()))
        .filter(|(_, n)| *n > MAX_LINES)
        .map(|(p, n)| format!("{} has {n} lines", p.display()))
        .collect();
    long.sort();
    assert!(long.is_empty(), "files over {MAX_LINES} lines (split them along a seam):\n{}", long.join("\n"));
}

#[test]
fn the_scan_follows_reexports_and_skips_tests_and_comments() {
    let s = scan(
        "use super::{definition::{self, FlowDef as D}, x};\n// crate::a\n#[cfg(test)]\nmod tests;\n#[cfg(test)]\nmod t { use crate::b; }\nfn f() { crate::c::d(\"crate::e\"); }",
    );
    let refs: Vec<String> = s.refs.iter().map(|(p, _)| p.join("::")).collect();
    assert_eq!(refs, ["super::definition", "super::definition::FlowDef", "super::x", "crate::c::d"]);
    assert_eq!(s.uses["D"], ["super", "definition", "FlowDef"]);
    assert_eq!(s.test_mods, ["tests"]);
}
