//! `cargo xtask test`: everything, in the order that fails fastest.

use crate::sh;

pub(crate) fn all(_args: &[String]) -> Result<(), String> {
    crate::setup::all(crate::setup::Need::Everything)?;
    // The shared crate must build for the browser as well as natively.
    sh::run("cargo", &["build", "-p", "sotto-shared", "--target", "wasm32-unknown-unknown"])?;
    crate::web::build()?;
    // Unit, scenario, vector, snapshot, property and server tests; benches run once as tests.
    sh::run_cmd(sh::command("cargo", &["test", "--workspace", "--all-targets"]).env("CI", "true"))?;
    // A short fuzz smoke on every decoder (longer runs: `cargo xtask fuzz`).
    crate::fuzz::run_all(10)?;
    Ok(())
}
