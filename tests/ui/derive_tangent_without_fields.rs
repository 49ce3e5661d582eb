// `Tangent` on a struct without fields: nothing to differentiate. Its uses as a
// parameter set add no errors of their own.
use autograd::prelude::*;
use autograd::Params;

#[derive(Clone, Copy, Debug, PartialEq, Tangent)]
struct Empty;

fn main() {
    let e = Empty;
    let _ = e.norm();
}
