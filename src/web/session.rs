//! Signed cookies: the login session and the CSRF token. The session cookie carries
//! the random secret of a session row (`workflow::accounts`), signed with the server
//! secret so that a forged value is refused without reading the database; the row
//! decides whether the session still lives, so a logout or revocation on any instance
//! ends it everywhere. The CSRF cookie is stateless (a signed random token).

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

pub const SESSION_COOKIE: &str = "lims_session";
pub const CSRF_COOKIE: &str = "lims_csrf";
pub const LANG_COOKIE: &str = "lims_lang";
/// How long a login session lasts.
pub const SESSION_HOURS: i64 = crate::workflow::accounts::SESSION_LIFETIME_HOURS;

type HmacSha256 = Hmac<Sha256>;

/// Signs and checks cookie values with the server secret.
#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

impl Signer {
    pub fn new(secret: &[u8]) -> Signer {
        Signer {
            key: secret.to_vec(),
        }
    }

    fn mac(&self, purpose: &str, payload: &str) -> String {
        // A key of any length is accepted by HMAC; the error case cannot happen.
        let mut mac = match HmacSha256::new_from_slice(&self.key) {
            Ok(m) => m,
            Err(_) => return String::new(),
        };
        mac.update(purpose.as_bytes());
        mac.update(b"|");
        mac.update(payload.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    fn verify_mac(&self, purpose: &str, payload: &str, sig: &str) -> bool {
        let Ok(sig) = hex::decode(sig) else {
            return false;
        };
        let Ok(mut mac) = HmacSha256::new_from_slice(&self.key) else {
            return false;
        };
        mac.update(purpose.as_bytes());
        mac.update(b"|");
        mac.update(payload.as_bytes());
        mac.verify_slice(&sig).is_ok()
    }

    /// The session cookie value for a session's secret.
    pub fn session_value(&self, secret: &str) -> String {
        let sig = self.mac("session", secret);
        format!("{secret}.{sig}")
    }

    /// The session secret of a genuine session cookie value (whether the session still
    /// lives is the database's answer).
    pub fn check_session<'a>(&self, value: &'a str) -> Option<&'a str> {
        let (secret, sig) = value.rsplit_once('.')?;
        self.verify_mac("session", secret, sig).then_some(secret)
    }

    /// A fresh CSRF cookie value: a random token and its signature.
    pub fn new_csrf(&self) -> String {
        let mut raw = [0u8; 18];
        rand::rng().fill_bytes(&mut raw);
        let token = hex::encode(raw);
        let sig = self.mac("csrf", &token);
        format!("{token}.{sig}")
    }

    /// The token of a genuine CSRF cookie value.
    pub fn check_csrf<'a>(&self, value: &'a str) -> Option<&'a str> {
        let (token, sig) = value.split_once('.')?;
        self.verify_mac("csrf", token, sig).then_some(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_cookie_is_signed_and_cannot_be_forged() {
        let s = Signer::new(b"0123456789abcdef0123456789abcdef");
        let v = s.session_value("c2Vzc2lvbi1zZWNyZXQ");
        assert_eq!(s.check_session(&v), Some("c2Vzc2lvbi1zZWNyZXQ"));
        let forged = v.replacen("c2V", "c2W", 1);
        assert_eq!(s.check_session(&forged), None);
        assert_eq!(s.check_session("c2Vzc2lvbi1zZWNyZXQ"), None);
        let other = Signer::new(b"another secret of at least 32 bytes");
        assert_eq!(other.check_session(&v), None);
    }

    #[test]
    fn csrf_tokens_are_signed() {
        let s = Signer::new(b"0123456789abcdef0123456789abcdef");
        let v = s.new_csrf();
        let token = s.check_csrf(&v).unwrap();
        assert_eq!(token.len(), 36);
        assert!(s.check_csrf(&format!("{token}.00")).is_none());
    }
}
