//! The evals' functions, one module each, free of JSON (see `main.rs`).

pub mod ba;
pub mod det;
pub mod gmm;
pub mod hello;
pub mod llsq;
pub mod lse;
