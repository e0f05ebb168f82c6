//! Installs only what is missing, at pinned versions (verified on this machine kind; see
//! `../shared/TOOLCHAIN.md` in the notes and docs/DEVELOPING.md).

use crate::sh;

/// trunk 0.22 needs rustc ≥ 1.96.
const TRUNK: &str = "0.21.14";
/// Debian's binaryen (v108) fails on current wasm ("invalid code after misc prefix").
const BINARYEN: &str = "132.0.0";
const CARGO_FUZZ: &str = "0.13.1";
/// Drives Firefox ESR in the browser tests (`tests/browser_firefox.rs`).
const GECKODRIVER: &str = "0.37.1";
/// Building the native endpoint: the `opus` crate builds its bundled libopus with cmake
/// (aws-lc-rs, under str0m, needs only the C compiler). Needed by `clippy --workspace`
/// already, so installed for every command.
const DEBIAN_BUILD: [&str; 1] = ["cmake"];
/// Browsers and TURN for the browser tests, from Debian 12 (bookworm); `ip` for the tests' own
/// network namespaces.
const DEBIAN_PACKAGES: [&str; 5] = [
    "chromium",
    "chromium-driver",
    "coturn",
    "iproute2",
    "firefox-esr",
];
/// npm installs the pinned wasm-opt; Debian 12 has Node.js 18 and npm 9, which run it.
const DEBIAN_NODE: [&str; 2] = ["nodejs", "npm"];
/// `cargo xtask test` checks formatting and lints before anything else.
const RUSTUP_COMPONENTS: [&str; 2] = ["rustfmt", "clippy"];

/// What a command needs installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    /// Formatting and lints: rustfmt, clippy and the wasm target (what `test` needs first).
    Checks,
    /// Building the web app: wasm target, trunk, wasm-bindgen, wasm-opt.
    WebBuild,
    /// Also browsers, TURN and the fuzzer, for `test`.
    Everything,
}

pub(crate) fn all(need: Need) -> Result<(), String> {
    rustup_components()?;
    wasm_target()?;
    apt_install(&DEBIAN_BUILD)?;
    if need == Need::Checks {
        return Ok(());
    }
    trunk()?;
    wasm_bindgen()?;
    binaryen()?;
    if need == Need::Everything {
        debian_packages()?;
        geckodriver()?;
        cargo_fuzz()?;
    }
    Ok(())
}

fn rustup_components() -> Result<(), String> {
    let installed = sh::output("rustup", &["component", "list", "--installed"]).unwrap_or_default();
    // Lines read e.g. `rustfmt-x86_64-unknown-linux-gnu`.
    let missing: Vec<&str> = RUSTUP_COMPONENTS
        .into_iter()
        .filter(|c| !installed.lines().any(|l| l.starts_with(&format!("{c}-"))))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut args = vec!["component", "add"];
    args.extend(missing);
    sh::run("rustup", &args)
}

fn wasm_target() -> Result<(), String> {
    let installed = sh::output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    sh::run("rustup", &["target", "add", "wasm32-unknown-unknown"])
}

fn geckodriver() -> Result<(), String> {
    if sh::output("geckodriver", &["--version"]).is_some_and(|v| v.contains(GECKODRIVER)) {
        return Ok(());
    }
    sh::run(
        "cargo",
        &[
            "install",
            "geckodriver",
            "--version",
            GECKODRIVER,
            "--locked",
        ],
    )
}

fn trunk() -> Result<(), String> {
    if sh::output("trunk", &["--version"]).is_some_and(|v| v.contains(TRUNK)) {
        return Ok(());
    }
    sh::run(
        "cargo",
        &["install", "trunk", "--version", TRUNK, "--locked"],
    )
}

/// The CLI must equal the `wasm-bindgen` crate in Cargo.lock exactly. Installed without
/// `--locked`: its lock file pins a `webpki-roots` release the registry lacks.
fn wasm_bindgen() -> Result<(), String> {
    let version = locked_version("wasm-bindgen")?;
    if sh::output("wasm-bindgen", &["--version"])
        .is_some_and(|v| v.split_whitespace().nth(1) == Some(version.as_str()))
    {
        return Ok(());
    }
    sh::run(
        "cargo",
        &["install", "wasm-bindgen-cli", "--version", &version],
    )
}

fn binaryen() -> Result<(), String> {
    let wasm_opt = sh::tools_dir().join("node_modules/binaryen/bin/wasm-opt");
    let major = BINARYEN.split('.').next().expect("a version");
    if sh::output(&wasm_opt.display().to_string(), &["--version"])
        .is_some_and(|v| v.contains(&format!("version {major}")))
    {
        return Ok(());
    }
    if sh::output("npm", &["--version"]).is_none() {
        apt_install(&DEBIAN_NODE)?;
    }
    let dir = sh::tools_dir();
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    sh::run_cmd(&mut sh::command(
        "npm",
        &[
            "install",
            "--no-audit",
            "--no-fund",
            "--prefix",
            &dir.display().to_string(),
            &format!("binaryen@{BINARYEN}"),
        ],
    ))
}

fn cargo_fuzz() -> Result<(), String> {
    if sh::output("cargo", &["fuzz", "--version"]).is_some_and(|v| v.contains(CARGO_FUZZ)) {
        return Ok(());
    }
    sh::run(
        "cargo",
        &["install", "cargo-fuzz", "--version", CARGO_FUZZ, "--locked"],
    )
}

fn debian_packages() -> Result<(), String> {
    apt_install(&DEBIAN_PACKAGES)
}

/// Installs the Debian packages not yet installed, with `sudo` unless already root.
fn apt_install(packages: &[&str]) -> Result<(), String> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| {
            !sh::output("dpkg-query", &["-W", "-f=${Status}", p])
                .is_some_and(|s| s.contains("install ok installed"))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if sh::output("apt-get", &["--version"]).is_none() {
        return Err(format!(
            "{} missing and there is no apt-get: install them yourself (see README.md)",
            missing.join(", ")
        ));
    }
    // `sudo` drops the environment, so the frontend is set by `env` on the far side of it.
    let mut apt: Vec<&str> = vec!["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"];
    let is_root = sh::output("id", &["-u"]).is_some_and(|u| u.trim() == "0");
    if !is_root {
        if sh::output("sudo", &["--version"]).is_none() {
            return Err(format!(
                "{} missing: installing them needs root or sudo (apt-get install {})",
                missing.join(", "),
                missing.join(" ")
            ));
        }
        apt.insert(0, "sudo");
    }
    let (program, prefix) = apt.split_first().expect("a program");
    let mut update: Vec<&str> = prefix.to_vec();
    update.extend(["update", "-q"]);
    sh::run(program, &update)?;
    let mut install: Vec<&str> = prefix.to_vec();
    install.extend(["install", "-y", "-q", "--no-install-recommends"]);
    install.extend(&missing);
    sh::run(program, &install)
}

/// A package's version in Cargo.lock.
pub(crate) fn locked_version(package: &str) -> Result<String, String> {
    let lock = std::fs::read_to_string(sh::root().join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let needle = format!("name = \"{package}\"\nversion = \"");
    let start = lock
        .find(&needle)
        .ok_or_else(|| format!("{package} is not in Cargo.lock"))?
        + needle.len();
    let end = lock[start..].find('"').ok_or("malformed Cargo.lock")? + start;
    Ok(lock[start..end].to_owned())
}
