use autograd::prelude::*;

struct Spring {
    k: f64,
}

#[differentiable]
impl Spring {
    #[differentiable]
    fn energy(&self, x: f64) -> f64 {
        let y = x as f32;
        self.k * x % 2.0
    }

    fn not_differentiated(&self) -> usize {
        3
    }
}

fn main() {
    let s = Spring { k: 1.0 };
    let _ = s.energy_grad(1.0);
    let _ = s.not_differentiated();
}
