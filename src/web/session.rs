//! Signed cookies: the login session and the CSRF token. Stateless (an HMAC with the
//! server secret), so any instance behind a load balancer accepts them; the user row
//! is still checked on every request, so deactivation takes effect at once.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

pub const SESSION_COOKIE: &str = "lims_session";
pub const CSRF_COOKIE: &str = "lims_csrf";
pub const LANG_COOKIE: &str = "lims_lang";
/// How long a login session lasts.
pub const SESSION_HOURS: i64 = 12;

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

    /// The session cookie value for a user logged in at `at`.
    pub fn session_value(&self, user_id: i64, at: DateTime<Utc>) -> String {
        let payload = format!("{user_id}.{}", at.timestamp());
        let sig = self.mac("session", &payload);
        format!("{payload}.{sig}")
    }

    /// The user id of a valid, unexpired session cookie.
    pub fn check_session(&self, value: &str, now: DateTime<Utc>) -> Option<i64> {
        let mut parts = value.splitn(3, '.');
        let (uid, at, sig) = (parts.next()?, parts.next()?, parts.next()?);
        if !self.verify_mac("session", &format!("{uid}.{at}"), sig) {
            return None;
        }
        let at = DateTime::<Utc>::from_timestamp(at.parse().ok()?, 0)?;
        if now < at - Duration::minutes(5) || now > at + Duration::hours(SESSION_HOURS) {
            return None;
        }
        uid.parse().ok()
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
    fn a_session_is_valid_until_it_expires_and_cannot_be_forged() {
        let s = Signer::new(b"0123456789abcdef0123456789abcdef");
        let t0 = Utc::now();
        let v = s.session_value(42, t0);
        assert_eq!(s.check_session(&v, t0), Some(42));
        assert_eq!(
            s.check_session(&v, t0 + Duration::hours(SESSION_HOURS + 1)),
            None
        );
        let forged = v.replacen("42.", "1.", 1);
        assert_eq!(s.check_session(&forged, t0), None);
        let other = Signer::new(b"another secret of at least 32 bytes");
        assert_eq!(other.check_session(&v, t0), None);
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
