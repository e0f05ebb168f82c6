//! `cargo xtask test`: everything, in the order that fails fastest.

use crate::sh;

pub(crate) fn all(_args: &[String]) -> Result<(), String> {
    crate::setup::all(crate::setup::Need::Everything)?;
    // The shared crate must build for the browser as well as natively.
    sh::run(
        "cargo",
        &[
            "build",
            "-p",
            "sotto-shared",
            "--target",
            "wasm32-unknown-unknown",
        ],
    )?;
    crate::web::build()?;
    // `cargo xtask run` starts the shim exactly like this; keep that path working.
    crate::run_shim(&["--version".to_owned()])?;
    // Unit, scenario, vector, snapshot, property and server tests; benches run once as tests.
    // CI=true makes insta fail on a missing snapshot instead of writing one.
    sh::run_cmd(sh::command("cargo", &["test", "--workspace", "--all-targets"]).env("CI", "true"))?;
    // Real browsers, one test at a time (each runs two or three Chromiums with video).
    sh::run(
        "cargo",
        &[
            "test",
            "-p",
            "sotto-e2e",
            "--test",
            "browser_calls",
            "--",
            "--ignored",
            "--test-threads=1",
        ],
    )?;
    // A short fuzz smoke on every decoder (longer runs: `cargo xtask fuzz`).
    crate::fuzz::run_all(10)?;
    println!(
        "screenshots: {}",
        sh::root().join("target/screenshots").display()
    );
    Ok(())
}
