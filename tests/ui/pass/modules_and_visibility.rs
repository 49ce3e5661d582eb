mod model {
    use autograd::nalgebra::SVector;
    use autograd::prelude::*;

    #[differentiable]
    pub(crate) fn energy(x: &SVector<f64, 3>) -> f64 {
        x.norm_squared() * 0.5
    }

    pub mod inner {
        use autograd::prelude::*;

        #[differentiable]
        pub(super) fn square(x: f64) -> f64 {
            x * x
        }

        #[differentiable]
        pub(in crate::model) fn cube(x: f64) -> f64 {
            square(x) * x
        }
    }

    #[differentiable]
    pub fn total(x: &SVector<f64, 3>, s: f64) -> f64 {
        self::energy(x) + inner::cube(s) + crate::model::inner::square(s)
    }
}

fn main() {
    let x = autograd::nalgebra::SVector::<f64, 3>::new(1.0, 2.0, 3.0);
    let (v, g) = model::total::grad(&x, 2.0);
    assert_eq!(v, 7.0 + 8.0 + 4.0);
    assert_eq!(g.x, x);
    assert_eq!(g.s, 12.0 + 4.0);
    let (_, g) = model::energy::grad(&x);
    assert_eq!(g.x, x);
}
