//! TURN credentials in coturn's REST scheme (`use-auth-secret`, draft-uberti-behave-turn-rest):
//! username `<expiry unix seconds>:<random>`, password `base64(HMAC-SHA1(secret, username))`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit as _, Mac as _};
use rand_core::Rng as _;
use sha1::Sha1;
use sotto_shared::wire::relay::IceServer;
use zeroize::Zeroizing;

/// The coturn shared secret. Its `Debug` prints no byte of it, and it is wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct TurnSecret(Zeroizing<String>);

impl TurnSecret {
    /// Whether the secret is empty (not usable).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for TurnSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TurnSecret(..)")
    }
}

impl std::str::FromStr for TurnSecret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(Zeroizing::new(s.to_owned())))
    }
}

/// Mints credentials valid until `now_s + ttl_s` for every configured URL.
#[must_use]
pub fn credentials(urls: &[String], secret: &TurnSecret, now_s: u64, ttl_s: u64) -> Vec<IceServer> {
    if urls.is_empty() {
        return Vec::new();
    }
    let mut nonce = [0u8; 8];
    rand_core::UnwrapErr(getrandom::SysRng).fill_bytes(&mut nonce);
    let username = format!("{}:{}", now_s + ttl_s, sotto_shared::b64::encode(&nonce));
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(username.as_bytes());
    let credential = STANDARD.encode(mac.finalize().into_bytes());
    vec![IceServer {
        urls: urls.to_vec(),
        username: Some(username),
        credential: Some(credential),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_the_secret() {
        let secret: TurnSecret = "s3cret-value".parse().unwrap();
        assert_eq!(format!("{secret:?}"), "TurnSecret(..)");
        assert_eq!(format!("{:?}", Some(secret)), "Some(TurnSecret(..))");
    }
}
