//! The person of a claim as the settling pass groups by it: the bytes that
//! encode the person in its record, held as two machine words when they are
//! 16 bytes or fewer.
//!
//! The kernel interns persons in a hash table, one lookup per claim. Keys
//! compared as byte slices cost a call to `memcmp` per lookup (5 % of a 10⁷
//! claim run); two words compare in two instructions. Every person the
//! scenario files hold is short (`p-0001234`: 12 bytes with its tag and
//! length), longer ones are still compared as bytes.

use std::hash::{Hash, Hasher};

/// Encoded persons up to this many bytes are held as words.
const SHORT: usize = 16;

/// A person as the settling pass compares it: equal exactly when the
/// persons are equal (text by its bytes, integers by value, text never
/// equal to an integer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonBytes<'a>(Repr<'a>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Repr<'a> {
    /// The encoding zero-padded to 16 bytes, as two little-endian words.
    Short([u64; 2]),
    /// An encoding longer than 16 bytes.
    Long(&'a [u8]),
}

impl Hash for PersonBytes<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self.0 {
            Repr::Short([a, b]) => {
                state.write_u64(a);
                state.write_u64(b);
            }
            Repr::Long(bytes) => bytes.hash(state),
        }
    }
}

/// The person as the report writes it: text as it is, integers in decimal
/// (as [`PersonKey`](crate::PersonKey) shows it).
impl std::fmt::Display for PersonBytes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut block = [0_u8; SHORT];
        let bytes: &[u8] = match self.0 {
            Repr::Short([a, b]) => {
                let (low, high) = block.split_at_mut(8);
                low.copy_from_slice(&a.to_le_bytes());
                high.copy_from_slice(&b.to_le_bytes());
                &block
            }
            Repr::Long(bytes) => bytes,
        };
        // The encoding of `spill::encode`: 0, a u16 length and the text, or 1 and an i64.
        let (tag, rest) = bytes.split_first().expect("invariant: an encoding has its tag");
        match tag {
            0 => {
                let (len, text) = rest.split_first_chunk::<2>().expect("invariant: a text person has its length");
                let text = text.get(..usize::from(u16::from_le_bytes(*len))).expect("invariant: the text is whole");
                f.write_str(std::str::from_utf8(text).expect("invariant: written from a str"))
            }
            _ => {
                let int = rest.first_chunk::<8>().expect("invariant: an integer person has 8 bytes");
                write!(f, "{}", i64::from_le_bytes(*int))
            }
        }
    }
}

impl<'a> PersonBytes<'a> {
    /// The person whose encoding is the first `len` bytes of `rest` (the
    /// record from the person on: the bytes after the encoding, when there
    /// are 16, are read as a whole and masked off).
    ///
    /// Zero-padding keeps keys distinct: an encoding is self-delimiting (its
    /// tag fixes an integer's length, a text carries its own), so two
    /// encodings whose padded forms are equal are equal.
    pub(crate) fn of_record(rest: &'a [u8], len: usize) -> PersonBytes<'a> {
        let bytes = rest.get(..len).expect("invariant: the person lies within its record");
        if len > SHORT {
            return PersonBytes(Repr::Long(bytes));
        }
        let mut block = [0_u8; SHORT];
        match rest.first_chunk::<SHORT>() {
            Some(whole) => {
                block = *whole;
                let keep = block.get_mut(len..).expect("invariant: len ≤ 16");
                keep.fill(0);
            }
            None => {
                for (to, from) in block.iter_mut().zip(bytes) {
                    *to = *from;
                }
            }
        }
        let (low, high) = block.split_at(8);
        let word = |half: &[u8]| u64::from_le_bytes(half.try_into().expect("invariant: 8 bytes"));
        PersonBytes(Repr::Short([word(low), word(high)]))
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::decode::PersonKey;
    use crate::spill::{self, Cursor, Row};
    use medfund_core::Money;

    /// The bytes of `person`'s encoding in a record (written into `buf`,
    /// with no claim id after it): what a `PersonBytes` holds.
    fn key_of(person: PersonKey<'_>, buf: &mut Vec<u8>) -> Vec<u8> {
        buf.clear();
        let date = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let row = Row { person, date, cost: Money::from_fen(5), claim_id: None };
        spill::encode(buf, 0, &row).unwrap();
        // The person's encoding: after row number, date and cost, before the claim id's tag.
        buf[20..buf.len() - 1].to_vec()
    }

    #[test]
    fn a_person_shows_as_its_key_does() {
        let mut buf = Vec::new();
        let long = "p-".repeat(40);
        for person in [PersonKey::Text(""), PersonKey::Text("p-001"), PersonKey::Text(&long), PersonKey::Int(-42)] {
            let bytes = key_of(person, &mut buf);
            let mut padded = bytes.clone();
            padded.extend_from_slice(&[0xff; 16]);
            assert_eq!(PersonBytes::of_record(&padded, bytes.len()).to_string(), person.to_string());
            assert_eq!(PersonBytes::of_record(&bytes, bytes.len()).to_string(), person.to_string());
        }
    }

    #[test]
    fn equal_keys_exactly_when_equal_persons() {
        let persons: Vec<PersonKey<'_>> = vec![
            PersonKey::Text(""),
            PersonKey::Text("a"),
            PersonKey::Text("a\0"),
            PersonKey::Text("\0"),
            PersonKey::Text("p-0001234"),
            PersonKey::Text("p-0001235"),
            PersonKey::Text("abcdefghijklm"),  // 16 bytes encoded
            PersonKey::Text("abcdefghijklmn"), // 17: compared as bytes
            PersonKey::Text("abcdefghijklmo"),
            PersonKey::Int(0),
            PersonKey::Int(1),
            PersonKey::Int(-1),
            PersonKey::Int(i64::MAX),
            PersonKey::Int(i64::MIN),
        ];
        let mut buf = Vec::new();
        let encodings: Vec<Vec<u8>> = persons.iter().map(|p| key_of(*p, &mut buf)).collect();
        // Read from a record followed by other bytes, and alone at the end of a buffer.
        let followed = |e: &[u8]| {
            let mut b = e.to_vec();
            b.extend_from_slice(&[0xAB; 20]);
            b
        };
        for (i, a) in encodings.iter().enumerate() {
            for (j, b) in encodings.iter().enumerate() {
                let fa = followed(a);
                let ka = PersonBytes::of_record(&fa, a.len());
                let kb = PersonBytes::of_record(b, b.len());
                assert_eq!(ka == kb, i == j, "{:?} against {:?}", persons[i], persons[j]);
                assert!(ka == PersonBytes::of_record(a, a.len()));
            }
        }
    }

    #[test]
    fn the_settling_pass_reads_the_same_key_whatever_follows_the_person() {
        // A record with a claim id (16 bytes follow the person) and one without.
        let date = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let mut with_id = Vec::new();
        let id = Some(crate::decode::ClaimId::Text("c-000000001"));
        let person = PersonKey::Text("p-1");
        spill::encode(&mut with_id, 0, &Row { person, date, cost: Money::from_fen(5), claim_id: id }).unwrap();
        let mut alone = Vec::new();
        spill::encode(&mut alone, 1, &Row { person, date, cost: Money::from_fen(7), claim_id: None }).unwrap();
        let (_, a) = Cursor::new(&with_id).claim();
        let (_, b) = Cursor::new(&alone).claim();
        assert_eq!(a.person, b.person);
        let hash = |k: PersonBytes<'_>| {
            let mut h = rustc_hash::FxHasher::default();
            k.hash(&mut h);
            h.finish()
        };
        assert_eq!(hash(a.person), hash(b.person));
    }
}
