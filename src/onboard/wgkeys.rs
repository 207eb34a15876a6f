//! WireGuard keys for a VPN profile, made on this machine as `wg genkey | wg pubkey` and
//! `wg genpsk` make them: X25519 (RFC 7748) through `x25519-dalek`, entropy straight from
//! the operating system (`getrandom(2)` through `rand`'s `SysRng`), keys as 44-character
//! base64.
//!
//! Private and preshared keys are [`Secret`]s: printed as `[redacted]`, not serialisable,
//! zeroed on drop; the caller keeps them in the encrypted secrets store. Errors never
//! contain key material, only what is wrong with it.

use crate::secrets::Secret;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::TryRng as _;
use rand::rngs::SysRng;
use secrecy::zeroize::Zeroizing;
use x25519_dalek::{PublicKey, StaticSecret};

/// Length in bytes of every WireGuard key (private, public, preshared).
pub const KEY_LEN: usize = 32;

/// A freshly generated WireGuard key pair.
///
/// `Debug` shows the public key and `[redacted]` for the private one.
#[derive(Clone, Debug)]
pub struct WgKeyPair {
    /// The private key, base64 as `wg genkey` prints it (clamped). Only through
    /// [`WgKeyPair::private_key`], so every use of it can be found.
    private: Secret,
    /// The public key, base64 as `wg pubkey` prints it: what the gateway's `[Peer]` and
    /// the inventory record (it is not secret).
    pub public: String,
}

impl WgKeyPair {
    /// The private key (base64): for the client `.conf` and the secrets store only.
    pub fn private_key(&self) -> &Secret {
        &self.private
    }
}

/// Why a base64 WireGuard private key was refused. Never carries the key itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WgKeyError {
    /// The text is not (padded, standard-alphabet) base64.
    #[error("WireGuard private key is not valid base64 (expected 44 characters ending in `=`)")]
    NotBase64,
    /// The text is base64 but does not decode to 32 bytes.
    #[error("WireGuard private key decodes to {0} bytes, expected 32")]
    WrongLength(usize),
}

/// A new key pair, as `wg genkey | wg pubkey`: 32 bytes from the operating system,
/// clamped, and their X25519 public key.
///
/// # Panics
/// Only when the operating system's random source fails (no `getrandom(2)` and no
/// readable `/dev/urandom`), as `wg genkey` itself aborts then: no key is better than a
/// weak one.
pub fn generate() -> WgKeyPair {
    let mut private = random_key();
    clamp(&mut private);
    let public = public_from_bytes(&private);
    WgKeyPair {
        private: encode_secret(&private),
        public,
    }
}

/// A new preshared key, as `wg genpsk`: 32 random bytes (no clamping), base64.
///
/// # Panics
/// Only when the operating system's random source fails (see [`generate`]).
pub fn preshared_key() -> Secret {
    encode_secret(&random_key())
}

/// The public key of a base64 private key, as `wg pubkey` computes it (surrounding
/// whitespace, such as the newline of a key file, is ignored; an unclamped key gives the
/// same result as its clamped form, since X25519 clamps).
pub fn public_key(private_b64: &str) -> Result<String, WgKeyError> {
    let decoded = Zeroizing::new(
        BASE64
            .decode(private_b64.trim())
            .map_err(|_| WgKeyError::NotBase64)?,
    );
    let bytes: [u8; KEY_LEN] = decoded
        .as_slice()
        .try_into()
        .map_err(|_| WgKeyError::WrongLength(decoded.len()))?;
    let bytes = Zeroizing::new(bytes);
    Ok(public_from_bytes(&bytes))
}

/// 32 bytes straight from the operating system.
fn random_key() -> Zeroizing<[u8; KEY_LEN]> {
    let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
    SysRng
        .try_fill_bytes(bytes.as_mut_slice())
        .expect("the operating system's random source failed: refusing to make a weak key");
    bytes
}

/// Curve25519 clamping, exactly as WireGuard's `curve25519_clamp_secret`: clear the three
/// low bits, clear the top bit, set the second-highest bit.
fn clamp(key: &mut [u8; KEY_LEN]) {
    key[0] &= 248;
    key[31] = (key[31] & 127) | 64;
}

/// X25519(private, 9) in base64.
fn public_from_bytes(private: &[u8; KEY_LEN]) -> String {
    // StaticSecret zeroes itself on drop.
    let secret = StaticSecret::from(*private);
    BASE64.encode(PublicKey::from(&secret).as_bytes())
}

/// Base64 of key bytes as a [`Secret`], the intermediate string zeroed.
fn encode_secret(bytes: &[u8; KEY_LEN]) -> Secret {
    Secret::from(BASE64.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::linux::wg_public_key;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    fn b64_of_hex(text: &str) -> String {
        BASE64.encode(hex(text))
    }

    #[test]
    fn rfc7748_test_vector() {
        // RFC 7748 section 6.1: Alice's and Bob's key pairs.
        for (private, public) in [
            (
                "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
                "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
            ),
            (
                "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
                "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
            ),
        ] {
            assert_eq!(
                public_key(&b64_of_hex(private)).unwrap(),
                b64_of_hex(public)
            );
        }
    }

    #[test]
    fn generated_keys_look_like_wg_genkey_and_agree_with_the_twin() {
        let pair = generate();
        let private = pair.private_key().expose();
        assert_eq!(private.len(), 44);
        assert_eq!(pair.public.len(), 44);
        assert!(private.ends_with('=') && pair.public.ends_with('='));

        // Clamped as `wg genkey` clamps.
        let bytes = BASE64.decode(private).unwrap();
        assert_eq!(bytes[0] & 7, 0);
        assert_eq!(bytes[31] & 0x80, 0);
        assert_eq!(bytes[31] & 0x40, 0x40);

        // Our public key, recomputed, and the twin lab's own X25519 all agree.
        assert_eq!(public_key(private).unwrap(), pair.public);
        assert_eq!(
            wg_public_key(private).as_deref(),
            Some(pair.public.as_str())
        );
    }

    #[test]
    fn agrees_with_the_twin_on_its_own_keys_and_on_unclamped_ones() {
        for n in 0..4 {
            let (private, public) = crate::lab::linux::wg_keypair("wgkeys-test", n);
            assert_eq!(public_key(&private).unwrap(), public);
        }
        // An unclamped private key (all 0xff): X25519 clamps, so `wg pubkey` and we agree.
        let unclamped = BASE64.encode([0xffu8; 32]);
        assert_eq!(
            Some(public_key(&unclamped).unwrap()),
            wg_public_key(&unclamped)
        );
        // A key file's trailing newline is ignored, as `wg pubkey < file` does.
        let (private, public) = crate::lab::linux::wg_keypair("wgkeys-test", 9);
        assert_eq!(public_key(&format!("{private}\n")).unwrap(), public);
    }

    #[test]
    fn two_calls_give_distinct_keys() {
        let (a, b) = (generate(), generate());
        assert_ne!(a.private_key().expose(), b.private_key().expose());
        assert_ne!(a.public, b.public);
        let (p, q) = (preshared_key(), preshared_key());
        assert_ne!(p.expose(), q.expose());
        assert_eq!(p.expose().len(), 44);
        assert_eq!(BASE64.decode(p.expose()).unwrap().len(), 32);
    }

    #[test]
    fn debug_never_shows_private_or_preshared_keys() {
        let pair = generate();
        let private = pair.private_key().expose().to_owned();
        for text in [format!("{pair:?}"), format!("{pair:#?}")] {
            assert!(!text.contains(&private), "leaked in {text}");
            assert!(text.contains("[redacted]"));
            assert!(text.contains(&pair.public));
        }
        let psk = preshared_key();
        assert_eq!(format!("{psk:?} {psk}"), "[redacted] [redacted]");
    }

    #[test]
    fn bad_private_keys_are_refused_with_a_reason() {
        let not_base64 = public_key("not a key!").unwrap_err();
        assert_eq!(not_base64, WgKeyError::NotBase64);
        assert_eq!(
            not_base64.to_string(),
            "WireGuard private key is not valid base64 (expected 44 characters ending in `=`)"
        );
        // Unpadded base64 is refused too, as `wg` refuses it.
        let (private, _) = crate::lab::linux::wg_keypair("wgkeys-test", 1);
        assert_eq!(
            public_key(private.trim_end_matches('=')),
            Err(WgKeyError::NotBase64)
        );

        let short = public_key(&BASE64.encode([1u8; 16])).unwrap_err();
        assert_eq!(short, WgKeyError::WrongLength(16));
        assert_eq!(
            short.to_string(),
            "WireGuard private key decodes to 16 bytes, expected 32"
        );
        assert_eq!(
            public_key(&BASE64.encode([1u8; 33])),
            Err(WgKeyError::WrongLength(33))
        );
        assert_eq!(public_key(""), Err(WgKeyError::WrongLength(0)));
    }
}
