//! Matrix products on `matrixmultiply`'s GEMM.

use super::elementwise::as_dtype;
use crate::tensor::dtype::{Element, Storage};
use crate::tensor::shape::{broadcast_strides, for_each_offset, numel};

/// Element types with a GEMM.
trait Gemm: Element {
    /// `c[m, n] = a[m, k] @ b[k, n]`, all row-major and contiguous.
    fn gemm(m: usize, k: usize, n: usize, a: &[Self], b: &[Self], c: &mut [Self]);
}

macro_rules! impl_gemm {
    ($t:ty, $f:path) => {
        impl Gemm for $t {
            fn gemm(m: usize, k: usize, n: usize, a: &[Self], b: &[Self], c: &mut [Self]) {
                assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n);
                if k == 0 {
                    c[..m * n].fill(0.0);
                    return;
                }
                // SAFETY: the slices hold at least m*k, k*n and m*n elements (checked
                // above) and the strides describe contiguous row-major matrices
                // inside them; `c` is uniquely borrowed.
                unsafe {
                    $f(
                        m,
                        k,
                        n,
                        1.0,
                        a.as_ptr(),
                        k as isize,
                        1,
                        b.as_ptr(),
                        n as isize,
                        1,
                        0.0,
                        c.as_mut_ptr(),
                        n as isize,
                        1,
                    )
                }
            }
        }
    };
}
impl_gemm!(f32, matrixmultiply::sgemm);
impl_gemm!(f64, matrixmultiply::dgemm);

/// Batched product of `a: [..batch_a, m, k]` and `b: [..batch_b, k, n]` (both of
/// rank at least 2) with the batch dimensions broadcast to `batch`.
pub(crate) fn matmul(
    a: &Storage,
    a_shape: &[usize],
    b: &Storage,
    b_shape: &[usize],
    batch: &[usize],
) -> Storage {
    let dtype = a.dtype().promote(b.dtype());
    let (a, b) = (as_dtype(a, dtype), as_dtype(b, dtype));
    let dims = MatDims::new(a_shape, b_shape, batch);
    match (&*a, &*b) {
        (Storage::F32(x), Storage::F32(y)) => Storage::F32(matmul_typed(x, y, &dims)),
        (Storage::F64(x), Storage::F64(y)) => Storage::F64(matmul_typed(x, y, &dims)),
        _ => unreachable!("operands were promoted to one dtype"),
    }
}

struct MatDims {
    m: usize,
    k: usize,
    n: usize,
    batch: Vec<usize>,
    sa: Vec<usize>,
    sb: Vec<usize>,
}

impl MatDims {
    fn new(a_shape: &[usize], b_shape: &[usize], batch: &[usize]) -> MatDims {
        let (ra, rb) = (a_shape.len(), b_shape.len());
        let (m, k, n) = (a_shape[ra - 2], a_shape[ra - 1], b_shape[rb - 1]);
        let scale = |s: Vec<usize>, f: usize| s.into_iter().map(|x| x * f).collect();
        MatDims {
            m,
            k,
            n,
            batch: batch.to_vec(),
            sa: scale(broadcast_strides(&a_shape[..ra - 2], batch), m * k),
            sb: scale(broadcast_strides(&b_shape[..rb - 2], batch), k * n),
        }
    }
}

fn matmul_typed<T: Gemm>(a: &[T], b: &[T], d: &MatDims) -> Vec<T> {
    let (m, k, n) = (d.m, d.k, d.n);
    let mut out = vec![T::default(); numel(&d.batch) * m * n];
    if m * n == 0 {
        return out;
    }
    let mut c_off = 0;
    for_each_offset(&d.batch, [&d.sa, &d.sb], |[ia, ib]| {
        T::gemm(
            m,
            k,
            n,
            &a[ia..ia + m * k],
            &b[ib..ib + k * n],
            &mut out[c_off..c_off + m * n],
        );
        c_off += m * n;
    });
    out
}
