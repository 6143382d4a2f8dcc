use bincode::{Decode, Encode};
use std::fmt;

/// A 32-byte blake3 output: record hashes, claim ids, Merkle nodes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Encode, Decode)]
pub struct Hash32(pub [u8; 32]);

impl Hash32 {
    pub const ZERO: Hash32 = Hash32([0; 32]);

    pub fn to_hex(&self) -> String {
        self.hex().as_str().to_string()
    }

    /// The 64 hex digits in a buffer: listings print hundreds of ids, and
    /// `hex::encode` builds its string a char at a time.
    fn hex(&self) -> HexText {
        let mut buf = [0u8; 64];
        hex::encode_to_slice(self.0, &mut buf).expect("64 digits for 32 bytes");
        HexText(buf)
    }

    pub fn from_hex(s: &str) -> Option<Hash32> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).ok()?;
        Some(Hash32(out))
    }

    /// The short form shown to people: the first 12 hex digits.
    pub fn short(&self) -> String {
        self.to_hex()[..12].to_string()
    }
}

struct HexText([u8; 64]);

impl HexText {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("hex digits")
    }
}

impl fmt::Display for Hash32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.hex().as_str())
    }
}

impl fmt::Debug for Hash32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash32({})", self.to_hex())
    }
}

impl serde::Serialize for Hash32 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.hex().as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Hash32 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Hash32::from_hex(&s).ok_or_else(|| serde::de::Error::custom("expected 64 hex digits"))
    }
}

impl schemars::JsonSchema for Hash32 {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Hash32".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "pattern": "^[0-9a-f]{64}$" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_of_a_hash_is_its_lowercase_hex() {
        let hashes = [
            Hash32::ZERO,
            Hash32([0xff; 32]),
            Hash32(*blake3::hash(b"claimlog").as_bytes()),
            Hash32(std::array::from_fn(|i| (i * 8) as u8)),
        ];
        for h in hashes {
            let want = hex::encode(h.0);
            assert_eq!(h.to_hex(), want);
            assert_eq!(h.to_string(), want);
            assert_eq!(h.short(), want[..12]);
            assert_eq!(serde_json::to_string(&h).unwrap(), format!("\"{want}\""));
            assert_eq!(Hash32::from_hex(&want), Some(h));
        }
    }
}
