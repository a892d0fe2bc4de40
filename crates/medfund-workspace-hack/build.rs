//! Empty: it makes the `[build-dependencies]` of this crate part of every
//! build, so that build scripts and macros share their features too.
fn main() {}
