//! Running commands, with errors that say what failed.

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The workspace root (xtask lives one level below it).
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace")
        .to_path_buf()
}

/// Where pinned npm tools are installed.
pub(crate) fn tools_dir() -> PathBuf {
    root().join("target/tools")
}

/// PATH with the pinned wasm-opt first (Debian's binaryen is too old).
pub(crate) fn path_with_tools() -> String {
    let bin = tools_dir().join("node_modules/binaryen/bin");
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

pub(crate) fn command(program: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(root())
        .env("PATH", path_with_tools());
    cmd
}

/// Runs to completion with inherited output; an error names the command.
pub(crate) fn run(program: &str, args: &[&str]) -> Result<(), String> {
    run_cmd(&mut command(program, args))
}

pub(crate) fn run_cmd(cmd: &mut Command) -> Result<(), String> {
    eprintln!("$ {}", describe(cmd));
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start {}: {e}", describe(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", describe(cmd)))
    }
}

/// Runs quietly and returns stdout, or `None` if the program is missing or fails.
pub(crate) fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = command(program, args).stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn describe(cmd: &Command) -> String {
    let mut text = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}
