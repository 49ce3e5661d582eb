//! Compile-fail cases: every diagnostic of `#[differentiable]`, each named after the
//! mistake it catches, with the message reviewed in its `.stderr`; and a `pass/` set
//! that must compile.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
