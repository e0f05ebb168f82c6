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

/// Runs to completion, passing its stdout through line by line, and returns that stdout (a
/// bench's report, say); an error names the command.
pub(crate) fn run_captured(program: &str, args: &[&str]) -> Result<String, String> {
    use std::io::BufRead as _;
    let mut cmd = command(program, args);
    eprintln!("$ {}", describe(&cmd));
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", describe(&cmd)))?;
    let mut captured = String::new();
    if let Some(stdout) = child.stdout.take() {
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.map_err(|e| format!("{}: {e}", describe(&cmd)))?;
            println!("{line}");
            captured.push_str(&line);
            captured.push('\n');
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("{}: {e}", describe(&cmd)))?;
    if status.success() {
        Ok(captured)
    } else {
        Err(format!("`{}` failed ({status})", describe(&cmd)))
    }
}

/// The target directory cargo uses (`CARGO_TARGET_DIR` if set).
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}
