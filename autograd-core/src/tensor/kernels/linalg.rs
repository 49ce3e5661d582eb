//! Matrix products on `matrixmultiply`'s GEMM, which reads any strides: a
//! transposed operand is passed as strides, never copied.

use super::elementwise::as_dtype;
use crate::parallel;
use crate::tensor::dtype::{Element, Storage};
use crate::tensor::shape::{broadcast_strides, for_each_offset, numel};
use rayon::prelude::*;

/// Row and column strides of a matrix stored contiguously, possibly transposed.
#[derive(Clone, Copy)]
struct Layout {
    rs: isize,
    cs: isize,
}

impl Layout {
    /// A `rows x cols` operand stored row-major as itself, or (`transposed`) as
    /// its `cols x rows` transpose.
    fn new(rows: usize, cols: usize, transposed: bool) -> Layout {
        if transposed {
            Layout {
                rs: 1,
                cs: rows as isize,
            }
        } else {
            Layout {
                rs: cols as isize,
                cs: 1,
            }
        }
    }
}

impl Layout {
    /// One past the largest offset a `rows x cols` matrix of this layout reads.
    fn span(&self, rows: usize, cols: usize) -> usize {
        (rows - 1) * self.rs as usize + (cols - 1) * self.cs as usize + 1
    }
}

/// Element types with a GEMM.
trait Gemm: Element {
    /// `c[m, n] = a[m, k] @ b[k, n]` on the calling thread, with `a` and `b` read
    /// through their layouts and `c` contiguous row-major; `m`, `k`, `n` > 0.
    fn gemm(
        m: usize,
        k: usize,
        n: usize,
        a: (&[Self], Layout),
        b: (&[Self], Layout),
        c: &mut [Self],
    );
}

macro_rules! impl_gemm {
    ($t:ty, $f:path) => {
        impl Gemm for $t {
            fn gemm(
                m: usize,
                k: usize,
                n: usize,
                (a, la): (&[Self], Layout),
                (b, lb): (&[Self], Layout),
                c: &mut [Self],
            ) {
                assert!(a.len() >= la.span(m, k) && b.len() >= lb.span(k, n) && c.len() >= m * n);
                // SAFETY: the layouts address offsets below `span`, which `a` and
                // `b` hold (checked above); `c` holds m*n elements and is uniquely
                // borrowed.
                unsafe {
                    $f(
                        m,
                        k,
                        n,
                        1.0,
                        a.as_ptr(),
                        la.rs,
                        la.cs,
                        b.as_ptr(),
                        lb.rs,
                        lb.cs,
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

/// One operand of a product: its data, its stored shape `[..batch, r, c]`, and
/// whether it enters the product transposed.
pub(crate) struct Operand<'a> {
    pub data: &'a Storage,
    pub shape: &'a [usize],
    pub transposed: bool,
}

impl Operand<'_> {
    /// `(rows, cols)` of the matrix as it enters the product.
    fn dims(&self) -> (usize, usize) {
        let r = self.shape.len();
        let (rows, cols) = (self.shape[r - 2], self.shape[r - 1]);
        if self.transposed {
            (cols, rows)
        } else {
            (rows, cols)
        }
    }

    fn batch(&self) -> &[usize] {
        &self.shape[..self.shape.len() - 2]
    }
}

/// Batched product of `a: [..batch_a, m, k]` and `b: [..batch_b, k, n]` (both of
/// rank at least 2) with the batch dimensions broadcast to `batch`.
pub(crate) fn matmul(
    a: &Storage,
    a_shape: &[usize],
    b: &Storage,
    b_shape: &[usize],
    batch: &[usize],
) -> Storage {
    let op = |data, shape| Operand {
        data,
        shape,
        transposed: false,
    };
    matmul_t(op(a, a_shape), op(b, b_shape), batch)
}

/// [`matmul`] with operands that may enter transposed.
pub(crate) fn matmul_t(a: Operand<'_>, b: Operand<'_>, batch: &[usize]) -> Storage {
    let dtype = a.data.dtype().promote(b.data.dtype());
    let (da, db) = (as_dtype(a.data, dtype), as_dtype(b.data, dtype));
    let dims = MatDims::new(&a, &b, batch);
    match (&*da, &*db) {
        (Storage::F32(x), Storage::F32(y)) => Storage::F32(matmul_typed(x, y, &dims).into()),
        (Storage::F64(x), Storage::F64(y)) => Storage::F64(matmul_typed(x, y, &dims).into()),
        _ => unreachable!("operands were promoted to one dtype"),
    }
}

struct MatDims {
    m: usize,
    k: usize,
    n: usize,
    la: Layout,
    lb: Layout,
    batch: Vec<usize>,
    sa: Vec<usize>,
    sb: Vec<usize>,
}

impl MatDims {
    fn new(a: &Operand<'_>, b: &Operand<'_>, batch: &[usize]) -> MatDims {
        let ((m, k), (_, n)) = (a.dims(), b.dims());
        let scale = |s: Vec<usize>, f: usize| s.into_iter().map(|x| x * f).collect();
        MatDims {
            m,
            k,
            n,
            la: Layout::new(m, k, a.transposed),
            lb: Layout::new(k, n, b.transposed),
            batch: batch.to_vec(),
            sa: scale(broadcast_strides(a.batch(), batch), m * k),
            sb: scale(broadcast_strides(b.batch(), batch), k * n),
        }
    }
}

/// The products of every batch entry. Large ones run on the kernel pool: the
/// batch entries and, within each, blocks of output rows are independent GEMM
/// calls on one thread each. A row block reads the same packed panels of `b` and
/// sums over `k` in the same order as the whole product, so the result is the
/// same bit for bit on any number of threads.
fn matmul_typed<T: Gemm>(a: &[T], b: &[T], d: &MatDims) -> Vec<T> {
    let (m, k, n) = (d.m, d.k, d.n);
    let mut out = vec![T::default(); numel(&d.batch) * m * n];
    if m * n * k == 0 {
        return out; // nothing to compute, or empty sums: zeros
    }
    let mut offsets = Vec::with_capacity(numel(&d.batch));
    for_each_offset(&d.batch, [&d.sa, &d.sb], |o| offsets.push(o));
    let entry = |c: &mut [T], [ia, ib]: [usize; 2], r0: usize| {
        let rows = c.len() / n;
        T::gemm(
            rows,
            k,
            n,
            (&a[ia + r0 * d.la.rs as usize..], d.la),
            (&b[ib..], d.lb),
            c,
        );
    };
    let work = offsets.len() * m * k * n;
    let Some(pool) = parallel::pool_for(work, parallel::MIN_PARALLEL_MACS) else {
        for (c, &o) in out.chunks_mut(m * n).zip(&offsets) {
            entry(c, o, 0);
        }
        return out;
    };
    // About two tasks per thread (for balance), in blocks of whole micro-kernel
    // rows (8) so that no block pays for a partial tile it would not otherwise.
    let tasks = 2 * pool.current_num_threads();
    let blocks = tasks.div_ceil(offsets.len()).min(m.div_ceil(8)).max(1);
    let rows = m.div_ceil(blocks).next_multiple_of(8).min(m);
    pool.install(|| {
        out.par_chunks_mut(m * n).zip(&offsets).for_each(|(c, &o)| {
            c.par_chunks_mut(rows * n)
                .enumerate()
                .for_each(|(i, block)| entry(block, o, i * rows));
        })
    });
    out
}

/// Adds `b` (of length `n`) to every row of the row-major `(m, n)` matrix in `c`,
/// of the same dtype (a bias added to a product).
pub(crate) fn add_rows(c: &mut Storage, b: &Storage) {
    fn rows<T: Copy + std::ops::Add<Output = T>>(c: &mut [T], b: &[T]) {
        if b.is_empty() {
            return;
        }
        for row in c.chunks_exact_mut(b.len()) {
            for (c, &b) in row.iter_mut().zip(b) {
                *c = *c + b;
            }
        }
    }
    match (c, b) {
        (Storage::F32(c), Storage::F32(b)) => rows(c.as_mut_slice(), b),
        (Storage::F64(c), Storage::F64(b)) => rows(c.as_mut_slice(), b),
        _ => unreachable!("callers check the dtypes match"),
    }
}
