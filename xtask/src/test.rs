//! `cargo xtask test`: everything, in the order that fails fastest.

use crate::sh;

pub(crate) fn all(_args: &[String]) -> Result<(), String> {
    // Formatting and lints first: they need only rustup's components and take a minute, while
    // the rest of the set-up (trunk, browsers) can take ten on a fresh machine.
    checks()?;
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
    // Real browsers, one test at a time (each runs two or three Chromiums with video); the
    // browser ↔ native ones in a network namespace with only `lo`.
    crate::browser_tests::run()?;
    // The browser bench, briefly, so that it keeps working (its figures: `cargo xtask bench`).
    sh::run(
        "cargo",
        &["build", "-p", "sotto-e2e", "--bin", "browser-bench"],
    )?;
    let bench = sh::target_dir().join("debug/browser-bench");
    sh::run(
        &bench.display().to_string(),
        &["--seconds", "3", "--calls", "2"],
    )?;
    // A short fuzz smoke on every decoder (longer runs: `cargo xtask fuzz`).
    crate::fuzz::run_all(10)?;
    println!(
        "screenshots: {}",
        sh::root().join("target/screenshots").display()
    );
    Ok(())
}

/// `cargo fmt --check` and `cargo clippy -D warnings`, natively and for the browser.
pub(crate) fn checks() -> Result<(), String> {
    crate::setup::all(crate::setup::Need::Checks)?;
    let fmt = "formatting differs (the diff is above): run `cargo fmt --all` and \
               `cargo fmt --manifest-path shared/fuzz/Cargo.toml`, then commit";
    step(&["fmt", "--all", "--check"], fmt)?;
    // The fuzz crate is its own workspace, outside `--all`.
    step(
        &[
            "fmt",
            "--check",
            "--manifest-path",
            "shared/fuzz/Cargo.toml",
        ],
        fmt,
    )?;
    let lints = "clippy found warnings (above); fix them, or `#[expect(clippy::…, reason = \"…\")]` \
                 where the lint is wrong";
    // `--workspace`, not the default members: the web crate's native part and the browser
    // tests' crate are linted too. The web crate's browser code is cfg(wasm32), hence the
    // second run; `--all-targets` there also lints its unit tests as built for wasm32.
    step(
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        lints,
    )?;
    step(
        &[
            "clippy",
            "-p",
            "sotto-web",
            "--target",
            "wasm32-unknown-unknown",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        lints,
    )
}

/// Runs one cargo check; on failure, says what to do about it.
fn step(args: &[&str], hint: &str) -> Result<(), String> {
    sh::run("cargo", args).map_err(|e| format!("{e}\n{hint}"))
}
