//! Activation layers, each the module twin of a function of [`super::functional`].

use super::linear::stateless_visit;
use super::{functional as F, Module};
use crate::Tensor;

macro_rules! activation {
    ($(#[$doc:meta])* $name:ident, |$x:ident| $body:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name {
            training: bool,
        }

        impl $name {
            #[doc = concat!("`nn.", stringify!($name), "()`.")]
            pub fn new() -> $name {
                $name { training: true }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::new()
            }
        }

        impl Module for $name {
            fn forward(&self, $x: &Tensor) -> Tensor {
                $body
            }
        }

        stateless_visit!($name);
    };
}

activation!(
    /// `max(x, 0)` (`nn.ReLU`).
    ReLU,
    |x| F::relu(x)
);
activation!(
    /// `tanh(x)` (`nn.Tanh`).
    Tanh,
    |x| F::tanh(x)
);
activation!(
    /// `1 / (1 + exp(-x))` (`nn.Sigmoid`).
    Sigmoid,
    |x| F::sigmoid(x)
);

/// `x` where positive, `negative_slope * x` elsewhere (`nn.LeakyReLU`, slope
/// `0.01` by default).
#[derive(Clone, Debug)]
pub struct LeakyReLU {
    negative_slope: f64,
    training: bool,
}

impl LeakyReLU {
    /// `nn.LeakyReLU()`, slope `0.01`.
    pub fn new() -> LeakyReLU {
        LeakyReLU::with_slope(0.01)
    }

    /// `nn.LeakyReLU(negative_slope)`.
    pub fn with_slope(negative_slope: f64) -> LeakyReLU {
        LeakyReLU {
            negative_slope,
            training: true,
        }
    }
}

impl Default for LeakyReLU {
    fn default() -> Self {
        LeakyReLU::new()
    }
}

impl Module for LeakyReLU {
    fn forward(&self, x: &Tensor) -> Tensor {
        F::leaky_relu(x, self.negative_slope)
    }
}

/// Gaussian error linear unit (`nn.GELU`): exact by default, the tanh
/// approximation after [`GELU::approximate_tanh`].
#[derive(Clone, Debug)]
pub struct GELU {
    tanh: bool,
    training: bool,
}

impl GELU {
    /// `nn.GELU()`: `x Phi(x)`.
    pub fn new() -> GELU {
        GELU {
            tanh: false,
            training: true,
        }
    }

    /// `nn.GELU(approximate='tanh')`.
    pub fn approximate_tanh(mut self) -> GELU {
        self.tanh = true;
        self
    }
}

impl Default for GELU {
    fn default() -> Self {
        GELU::new()
    }
}

impl Module for GELU {
    fn forward(&self, x: &Tensor) -> Tensor {
        if self.tanh {
            F::gelu_tanh(x)
        } else {
            F::gelu(x)
        }
    }
}

/// Softmax along a dimension (`nn.Softmax(dim)`).
#[derive(Clone, Debug)]
pub struct Softmax {
    dim: i64,
    training: bool,
}

impl Softmax {
    /// `nn.Softmax(dim)`; negative dimensions count from the end.
    pub fn new(dim: i64) -> Softmax {
        Softmax {
            dim,
            training: true,
        }
    }
}

impl Module for Softmax {
    fn forward(&self, x: &Tensor) -> Tensor {
        F::softmax(x, self.dim)
    }
}

stateless_visit!(LeakyReLU, GELU, Softmax);
