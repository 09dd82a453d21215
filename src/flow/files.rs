//! Reading flow files from disk: one flow per `*.toml` file.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
};

use super::{Flow, Problem};
use crate::prompts::Catalog;

/// A flow file and what became of it.
#[derive(Debug)]
pub struct LoadedFile {
    pub path: PathBuf,
    pub result: Result<Flow, Vec<Problem>>,
}

/// The flows built into the binary (`call_flows/` in the source tree), by
/// file name: what a fresh install answers with.
pub const BUILT_IN: [(&str, &str); 1] = [("helpline.toml", include_str!("../../call_flows/helpline.toml"))];

/// The `*.toml` files of a directory, sorted by name; none when the
/// directory does not exist.
pub fn flow_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    Ok(files)
}

/// The flows a server answers with: the built-in ones, and the files of
/// the flows directory, checked against the catalog. A file whose flow id
/// is a built-in flow's replaces that flow; two files may not share an id.
pub fn load_flow_set(dir: &Path, catalog: &Catalog) -> std::io::Result<Vec<LoadedFile>> {
    let mut loaded = load_files(&flow_files(dir)?, catalog);
    for (name, source) in BUILT_IN {
        let built_in = Flow::parse(source, Some(catalog)).map_err(|e| e.problems);
        let replaced = built_in
            .as_ref()
            .is_ok_and(|flow| loaded.iter().any(|file| file.result.as_ref().is_ok_and(|f| f.id == flow.id)));
        if !replaced {
            loaded.push(LoadedFile { path: Path::new("(built in)").join(name), result: built_in });
        }
    }
    Ok(loaded)
}

/// Reads and checks each file against the catalog; two files may not share
/// a flow id.
pub fn load_files(paths: &[PathBuf], catalog: &Catalog) -> Vec<LoadedFile> {
    let mut loaded: Vec<LoadedFile> = paths
        .iter()
        .map(|path| {
            let result = match std::fs::read_to_string(path) {
                Ok(source) => Flow::parse(&source, Some(catalog)).map_err(|e| e.problems),
                Err(e) => Err(vec![Problem::file(format!("cannot read the file: {e}"))]),
            };
            LoadedFile { path: path.clone(), result }
        })
        .collect();
    let mut first_with_id: HashMap<String, PathBuf> = HashMap::new();
    for file in &mut loaded {
        let Ok(flow) = &file.result else { continue };
        if let Some(other) = first_with_id.get(&flow.id) {
            let message = format!("flow id `{}` is already used by {}", flow.id, other.display());
            file.result = Err(vec![Problem::file(message)]);
        } else {
            first_with_id.insert(flow.id.clone(), file.path.clone());
        }
    }
    loaded
}
