// `Tangent` on a union.
use autograd::prelude::*;

#[derive(Clone, Copy, Tangent)]
union Bits {
    value: f64,
    raw: u64,
}

fn main() {
    let b = Bits { value: 1.0 };
    let _ = unsafe { b.raw };
}
