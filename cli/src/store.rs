//! The data directory: `config.json` (the home relay), `profile.json` (the client core's
//! [`Profile`], the same JSON the web app exports) and a `lock` file so only one process
//! drives a profile at a time (two would take each other's queues over at the relay).
//!
//! Every file is written whole to a temporary file with mode 0600, synced, then renamed over
//! the old one, so a crash leaves either the old or the new version, never half of one.

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sotto_client::Profile;

/// What `init` records besides the profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Config {
    /// The home relay's origin (`http://host:port` or `https://host`).
    pub(crate) relay: String,
}

/// Why the data directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    #[error("{0} is not initialised; run `sotto-cli init --name NAME --relay URL` first")]
    NotInitialised(PathBuf),
    #[error("{0} already holds a profile")]
    AlreadyInitialised(PathBuf),
    #[error("another sotto-cli process uses {0}; talk to it over JSON-RPC or stop it first")]
    Locked(PathBuf),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Damaged { path: PathBuf, message: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

/// An opened, locked data directory.
#[derive(Debug)]
pub(crate) struct Store {
    dir: PathBuf,
    /// Held for the life of the process: the advisory lock is released when it closes.
    _lock: File,
}

impl Store {
    /// Creates the directory (mode 0700) with a fresh profile.
    pub(crate) fn init(dir: &Path, config: &Config, profile: &Profile) -> Result<Self, StoreError> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io(dir))?;
        let store = Self::lock(dir)?;
        if store.profile_path().exists() {
            return Err(StoreError::AlreadyInitialised(dir.to_owned()));
        }
        let text = serde_json::to_string_pretty(config).expect("plain data");
        write_atomically(&store.dir.join("config.json"), text.as_bytes())?;
        store.save_profile(profile)?;
        Ok(store)
    }

    /// Opens an initialised directory.
    pub(crate) fn open(dir: &Path) -> Result<(Self, Config, Profile), StoreError> {
        if !dir.join("profile.json").exists() {
            return Err(StoreError::NotInitialised(dir.to_owned()));
        }
        let store = Self::lock(dir)?;
        let config_path = dir.join("config.json");
        let text = fs::read_to_string(&config_path).map_err(io(&config_path))?;
        let config: Config = serde_json::from_str(&text).map_err(|e| StoreError::Damaged {
            path: config_path.clone(),
            message: e.to_string(),
        })?;
        let path = store.profile_path();
        let text = fs::read_to_string(&path).map_err(io(&path))?;
        let profile = Profile::from_json(&text).map_err(|e| StoreError::Damaged {
            path,
            message: e.to_string(),
        })?;
        Ok((store, config, profile))
    }

    fn lock(dir: &Path) -> Result<Self, StoreError> {
        let path = dir.join("lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(io(&path))?;
        match file.try_lock() {
            Ok(()) => Ok(Self {
                dir: dir.to_owned(),
                _lock: file,
            }),
            Err(fs::TryLockError::WouldBlock) => Err(StoreError::Locked(dir.to_owned())),
            Err(fs::TryLockError::Error(e)) => Err(io(&path)(e)),
        }
    }

    fn profile_path(&self) -> PathBuf {
        self.dir.join("profile.json")
    }

    /// The directory.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stores the profile (on every `Output::Persist`, before any later output).
    pub(crate) fn save_profile(&self, profile: &Profile) -> Result<(), StoreError> {
        write_atomically(&self.profile_path(), profile.to_json().as_bytes())
    }
}

/// Writes `bytes` to `path` through a synced 0600 temporary file and a rename.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let tmp = path.with_extension("tmp");
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io(&tmp))?;
    file.write_all(bytes).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    fs::rename(&tmp, path).map_err(io(path))?;
    if let Some(parent) = path.parent()
        && let Ok(dir) = File::open(parent)
    {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn profile() -> Profile {
        let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
        Profile::create("Ada", &mut rng).unwrap()
    }

    #[test]
    fn stores_profile_with_owner_only_mode_and_reads_it_back() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        let config = Config {
            relay: "http://127.0.0.1:1".into(),
        };
        let p = profile();
        drop(Store::init(&dir, &config, &p).unwrap());
        for file in ["profile.json", "config.json"] {
            let mode = fs::metadata(dir.join(file)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{file}");
        }
        let (_store, read_config, read) = Store::open(&dir).unwrap();
        assert_eq!((read_config, read), (config, p));
    }

    #[test]
    fn refuses_a_second_process_on_the_same_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let config = Config {
            relay: "http://127.0.0.1:1".into(),
        };
        let _first = Store::init(tmp.path(), &config, &profile()).unwrap();
        assert!(matches!(
            Store::open(tmp.path()),
            Err(StoreError::Locked(_))
        ));
    }

    #[test]
    fn refuses_to_initialise_twice() {
        let tmp = tempfile::tempdir().unwrap();
        let config = Config {
            relay: "http://127.0.0.1:1".into(),
        };
        drop(Store::init(tmp.path(), &config, &profile()).unwrap());
        assert!(matches!(
            Store::init(tmp.path(), &config, &profile()),
            Err(StoreError::AlreadyInitialised(_))
        ));
    }
}
