use autograd::prelude::*;

struct Body {
    x: f64,
}

#[differentiable]
impl Body {
    #[differentiable]
    fn kick(&mut self, v: f64) -> f64 {
        self.x += v;
        self.x
    }

    #[differentiable(self)]
    fn zero(v: f64) -> f64 {
        v * 0.0
    }
}

fn main() {}
