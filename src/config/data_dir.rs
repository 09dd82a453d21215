//! Where Sampark keeps what it writes: one data directory, never the folder
//! a command happens to run in.

use std::path::{Path, PathBuf};

use anyhow::bail;

/// The database file in the data directory.
pub const DATABASE_FILE: &str = "sampark.db";

/// The data directory when neither `SAMPARK_DATA_DIR` nor the settings file
/// names one: systemd's `StateDirectory=` (`$STATE_DIRECTORY`, e.g.
/// `/var/lib/sampark`), else `$XDG_DATA_HOME/sampark`, else
/// `~/.local/share/sampark`.
pub fn default_data_dir(env: impl Fn(&str) -> Option<String>) -> anyhow::Result<PathBuf> {
    let set = |name: &str| env(name).filter(|v| !v.is_empty());
    if let Some(dir) = set("SAMPARK_DATA_DIR") {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dirs) = set("STATE_DIRECTORY") {
        // systemd lists one directory per StateDirectory= entry.
        return Ok(PathBuf::from(dirs.split(':').next().unwrap_or(&dirs)));
    }
    if let Some(dir) = set("XDG_DATA_HOME").filter(|d| Path::new(d).is_absolute()) {
        return Ok(Path::new(&dir).join("sampark"));
    }
    match set("HOME") {
        Some(home) => Ok(Path::new(&home).join(".local/share/sampark")),
        None => bail!("no data directory: set SAMPARK_DATA_DIR (there is no HOME to keep it in)"),
    }
}
