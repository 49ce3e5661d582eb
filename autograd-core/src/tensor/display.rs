//! Printing like PyTorch: `tensor([[3., 3.], [3., 3.]], grad_fn=<AddBackward0>)`.

use super::dtype::DType;
use super::handle::Tensor;
use std::fmt;

const MAX_PRINTED: usize = 1000;

fn write_nested(f: &mut fmt::Formatter<'_>, data: &[String], shape: &[usize]) -> fmt::Result {
    match shape.split_first() {
        None => f.write_str(&data[0]),
        Some((&n, rest)) => {
            let step = data.len() / n.max(1);
            f.write_str("[")?;
            for i in 0..n {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write_nested(f, &data[i * step..(i + 1) * step], rest)?;
            }
            f.write_str("]")
        }
    }
}

impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tensor(")?;
        if self.numel() <= MAX_PRINTED {
            // Each element as its own type prints it: 0.1f32 shows as 0.1.
            let items: Vec<String> = match self.dtype() {
                DType::F32 => self
                    .to_vec::<f32>()
                    .iter()
                    .map(|v| format!("{v:?}"))
                    .collect(),
                DType::F64 => self
                    .to_vec::<f64>()
                    .iter()
                    .map(|v| format!("{v:?}"))
                    .collect(),
            };
            write_nested(f, &items, self.shape())?;
        } else {
            write!(f, "<{} elements>, size={:?}", self.numel(), self.shape())?;
        }
        if self.dtype() == DType::F64 {
            f.write_str(", dtype=torch.float64")?;
        }
        match self.grad_fn() {
            Some(n) => write!(f, ", grad_fn=<{}>", n.name())?,
            None if self.requires_grad() => f.write_str(", requires_grad=True")?,
            None => {}
        }
        f.write_str(")")
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
