//! Comparisons and selection. Comparisons are not differentiable: they return
//! masks of `0.0` / `1.0` in the promoted dtype (the library has no bool dtype;
//! PyTorch's `(a > b).float()`), which never require grad.

use crate::error::Result;
use crate::tensor::handle::{ok, Tensor};
use crate::tensor::kernels::elementwise::select;
use crate::tensor::op::Op;
use crate::tensor::shape::broadcast_shapes;

macro_rules! comparison {
    ($name:ident, $try:ident, $scalar:ident, $torch:literal, $op:tt) => {
        #[doc = concat!("`1.0` where `self ", stringify!($op), " other`, else `0.0`, with broadcasting (`torch.", $torch, "`).")]
        ///
        /// # Panics
        #[doc = concat!("If the shapes do not broadcast; see [`Tensor::", stringify!($try), "`].")]
        #[track_caller]
        pub fn $name(&self, other: &Tensor) -> Tensor {
            ok(self.$try(other))
        }

        #[doc = concat!("Fallible [`Tensor::", stringify!($name), "`].")]
        pub fn $try(&self, other: &Tensor) -> Result<Tensor> {
            self.compare(other, $torch, |a, b| a $op b)
        }

        #[doc = concat!("[`Tensor::", stringify!($name), "`] against a scalar.")]
        pub fn $scalar(&self, other: f64) -> Tensor {
            let s = self.data().map(|a| f64::from(u8::from(a $op other)));
            Tensor::from_storage(s, self.shape())
        }
    };
}

impl Tensor {
    #[track_caller]
    fn compare(
        &self,
        other: &Tensor,
        name: &'static str,
        f: fn(f64, f64) -> bool,
    ) -> Result<Tensor> {
        let shape = broadcast_shapes(name, self.shape(), other.shape())?;
        let s = self.par_zip_data(other, &shape, |a, b| f64::from(u8::from(f(a, b))));
        Ok(Tensor::from_storage(s, &shape))
    }

    comparison!(gt, try_gt, gt_scalar, "gt", >);
    comparison!(lt, try_lt, lt_scalar, "lt", <);
    comparison!(ge, try_ge, ge_scalar, "ge", >=);
    comparison!(le, try_le, le_scalar, "le", <=);
    comparison!(eq_elem, try_eq_elem, eq_scalar, "eq", ==);
    comparison!(ne_elem, try_ne_elem, ne_scalar, "ne", !=);

    /// `x` where `condition` is non-zero, else `y`, all three broadcast together
    /// (`torch.where(condition, x, y)`, `WhereBackward0`).
    ///
    /// # Panics
    /// If the shapes do not broadcast; see [`Tensor::try_where_`].
    #[track_caller]
    pub fn where_(condition: &Tensor, x: &Tensor, y: &Tensor) -> Tensor {
        ok(Tensor::try_where_(condition, x, y))
    }

    /// Fallible [`Tensor::where_`].
    #[track_caller]
    pub fn try_where_(condition: &Tensor, x: &Tensor, y: &Tensor) -> Result<Tensor> {
        let xy = broadcast_shapes("where", x.shape(), y.shape())?;
        let shape = broadcast_shapes("where", condition.shape(), &xy)?;
        let s = Tensor::read_many(&[condition, x, y], |d| {
            select(
                (d[0], condition.shape()),
                (d[1], x.shape()),
                (d[2], y.shape()),
                &shape,
            )
        });
        Ok(Tensor::record(s, &shape, &[x, y], |_| Op::Where {
            mask: condition
                .ne_scalar(0.0)
                .to_dtype(x.dtype().promote(y.dtype())),
        }))
    }
}
