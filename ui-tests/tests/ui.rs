//! Compile-fail cases: every diagnostic of `#[differentiable]`, `#[derive(Module)]`
//! and `#[derive(Tangent)]`, each named after the mistake it catches, with the
//! message reviewed in its `.stderr`; and a `pass/` set that must compile. The
//! cases live in the repository's `tests/ui/`, which `tests/ui` here links to (so that
//! rustc names them `tests/ui/..` as before).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
