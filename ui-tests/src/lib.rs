//! Nothing to link: this package exists for its test, `tests/ui.rs`, which runs the
//! repository's trybuild cases (`../tests/ui/`) with only `autograd` and
//! `trybuild` as dependencies, so that compiling them builds nothing else.
