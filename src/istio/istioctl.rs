//! Rendering a CR on the spot with `istioctl manifest generate`.

use crate::error::Error;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The istioctl to render with: `--istioctl PATH` (which must exist), else `istioctl` on PATH,
/// else none (the objects are then predicted from the profiles).
pub fn locate(explicit: Option<&str>) -> Result<Option<PathBuf>, Error> {
    if let Some(p) = explicit {
        let path = PathBuf::from(p);
        if !path.is_file() {
            return Err(Error::input(format!("--istioctl {p}"), "no such file"));
        }
        return Ok(Some(path));
    }
    let Some(paths) = std::env::var_os("PATH") else {
        return Ok(None);
    };
    Ok(std::env::split_paths(&paths)
        .map(|d| d.join("istioctl"))
        .find(|p| p.is_file()))
}

/// Runs `istioctl manifest generate -f FILE [--revision R]` and returns what it printed.
pub fn generate(istioctl: &Path, file: &str, revision: Option<&str>) -> Result<String, Error> {
    let mut cmd = Command::new(istioctl);
    cmd.args(["manifest", "generate", "-f", file]);
    if let Some(r) = revision.filter(|r| !r.is_empty()) {
        cmd.args(["--revision", r]);
    }
    let what = format!("{} manifest generate -f {file}", istioctl.display());
    let output = cmd.output().map_err(|e| Error::input(&what, e))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(Error::input(
            &what,
            format!(
                "{}: {}",
                output.status,
                stderr
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("no output")
            ),
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| Error::input(&what, e))
}
