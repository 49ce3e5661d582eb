//! Data kernels: plain functions from storages and shapes to a new storage.
//!
//! They know nothing of autograd; `ops/` wraps each one into a recorded op. Every
//! kernel reads contiguous row-major input and writes a fresh contiguous output.

pub(crate) mod conv;
pub(crate) mod elementwise;
pub(crate) mod layout;
pub(crate) mod linalg;
pub(crate) mod reduce;
