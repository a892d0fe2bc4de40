//! No code: a dependency of the workspace's binaries (the `medfund` command,
//! the Python extension, the benches and the fuzz targets) whose own
//! dependencies carry the union of the features that any build of the
//! workspace asks of them. Every build then compiles each shared dependency
//! with the same features, and one build serves the next (see
//! `scripts/workspace-hack` and docs/design.md, "Builds").
#![forbid(unsafe_code)]
#![deny(missing_docs)]
