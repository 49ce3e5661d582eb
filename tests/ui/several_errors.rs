use autograd::prelude::*;

#[differentiable]
fn f(x: f64, y: &mut f64) -> f64 {
    let mut s = x * *y;
    while s < 10.0 {
        s = s * 2.0;
    }
    let g = |v: f64| v * x;
    s.fract() + g(1.0)
}

fn main() {
    // The function itself is still emitted: this call gets no follow-on error.
    let mut y = 0.0;
    let _ = f(1.0, &mut y);
}
