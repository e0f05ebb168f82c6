//! TURN credentials in coturn's REST scheme (`use-auth-secret`, draft-uberti-behave-turn-rest):
//! username `<expiry unix seconds>:<random>`, password `base64(HMAC-SHA1(secret, username))`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit as _, Mac as _};
use rand_core::Rng as _;
use sha1::Sha1;
use sotto_shared::wire::relay::IceServer;

/// Mints credentials valid until `now_s + ttl_s` for every configured URL.
#[must_use]
pub fn credentials(urls: &[String], secret: &str, now_s: u64, ttl_s: u64) -> Vec<IceServer> {
    if urls.is_empty() {
        return Vec::new();
    }
    let mut nonce = [0u8; 8];
    rand_core::UnwrapErr(getrandom::SysRng).fill_bytes(&mut nonce);
    let username = format!("{}:{}", now_s + ttl_s, sotto_shared::b64::encode(&nonce));
    let mut mac =
        Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(username.as_bytes());
    let credential = STANDARD.encode(mac.finalize().into_bytes());
    vec![IceServer {
        urls: urls.to_vec(),
        username: Some(username),
        credential: Some(credential),
    }]
}
