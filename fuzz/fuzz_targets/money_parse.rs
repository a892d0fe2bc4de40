//! Money parsing never panics, and whatever parses displays and re-parses to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use medfund_core::Money;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(m) = text.parse::<Money>() {
        assert_eq!(m.to_string().parse::<Money>().ok(), Some(m));
        assert_eq!(m.to_grouped_string().parse::<Money>().ok(), Some(m));
    }
});
