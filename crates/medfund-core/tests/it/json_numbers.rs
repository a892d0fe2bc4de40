//! JSON numbers mean the digits written (issue: JSON numbers were read
//! through binary floating point). Requires serde_json's
//! `arbitrary_precision` feature, which the workspace enables.
#![allow(clippy::unwrap_used, clippy::panic, clippy::arithmetic_side_effects, missing_docs)]

use medfund_core::{CoreError, Money, Quantity, Rate};
use proptest::prelude::*;

fn money(json: &str) -> Result<Money, String> {
    serde_json::from_str::<Money>(json).map_err(|e| e.to_string())
}

#[test]
fn json_money_numbers_are_read_from_their_literal_text() {
    // What a Java or JavaScript client prints for 1000000.1 + 0.2: more than
    // two decimals, so an error, never 1000000.30.
    let err = money("1000000.2999999999").unwrap_err();
    assert!(err.contains("more than two decimal places"), "{err}");
    // Values at and above 10^13 yuan that an f64 could not hold to the fen.
    for (text, fen) in [
        ("93819532283654.81", 9_381_953_228_365_481_i64),
        ("72344990687247.04", 7_234_499_068_724_704),
        ("10000000000000.01", 1_000_000_000_000_001),
        ("92233720368547758.07", i64::MAX),
        ("-92233720368547758.08", i64::MIN),
        ("1234.5", 123_450),
        ("1.0E7", 1_000_000_000),
        ("12", 1_200),
        ("0.10", 10),
    ] {
        assert_eq!(money(text), Ok(Money::from_fen(fen)), "{text}");
    }
    // Beyond the i64 fen range: a clear overflow error.
    for text in ["92233720368547758.08", "100000000000000000000", "1e30"] {
        let err = money(text).unwrap_err();
        assert!(err.contains("overflow") || err.contains("magnitude above"), "{text}: {err}");
    }
    assert!(money("1e-3").unwrap_err().contains("more than two decimal places"));
}

#[test]
fn json_rate_and_quantity_numbers_are_exact() {
    let r: Rate = serde_json::from_str("0.0400000000000000000001").unwrap();
    assert_eq!(r.to_decimal().to_string(), "0.0400000000000000000001");
    let r: Rate = serde_json::from_str("4e-2").unwrap();
    assert_eq!(r.to_string(), "4%");
    // More precision than a rate holds is an error, not zero.
    assert!(serde_json::from_str::<Rate>("1e-40").is_err());
    let q: Quantity = serde_json::from_str("86.50000000000000001").unwrap();
    assert_eq!(q.to_string(), "86.50000000000000001");
}

#[test]
fn number_literal_errors_are_structured() {
    assert!(matches!(Money::from_number_literal("1.234"), Err(CoreError::SubFenPrecision { .. })));
    assert!(matches!(Money::from_number_literal("1e400"), Err(CoreError::InvalidMoney { .. })));
    assert!(matches!(Money::from_number_literal("1e20"), Err(CoreError::Overflow { .. })));
}

/// A random yuan amount as integer digits and 0–2 decimals, within i64 fen.
fn two_decimal_literal() -> impl Strategy<Value = (String, i64)> {
    (any::<bool>(), 0_i64..=i64::MAX / 100, 0_usize..=2, 0_i64..100).prop_map(|(negative, int, decimals, frac)| {
        let (frac_text, frac_fen) = match decimals {
            0 => (String::new(), 0),
            1 => (format!(".{}", frac / 10), (frac / 10) * 10),
            _ => (format!(".{frac:02}"), frac),
        };
        let magnitude = int * 100 + frac_fen;
        let sign = if negative { "-" } else { "" };
        (format!("{sign}{int}{frac_text}"), if negative { -magnitude } else { magnitude })
    })
}

proptest! {
    #[test]
    fn prop_json_number_with_two_decimals_is_exact((text, fen) in two_decimal_literal()) {
        prop_assert_eq!(money(&text), Ok(Money::from_fen(fen)));
        // Trailing zeros are not extra precision.
        prop_assert_eq!(money(&format!("{text}{}", if text.contains('.') { "0" } else { ".000" })), Ok(Money::from_fen(fen)));
    }

    #[test]
    fn prop_json_number_with_a_sub_fen_digit_is_an_error(
        (text, _) in two_decimal_literal(), extra in "[0-9]{0,12}[1-9]",
    ) {
        let padded = match text.split_once('.') {
            Some((_, f)) => format!("{text}{}{extra}", "0".repeat(2 - f.len())),
            None => format!("{text}.00{extra}"),
        };
        let err = money(&padded).unwrap_err();
        prop_assert!(err.contains("more than two decimal places"), "{}: {}", padded, err);
    }
}
