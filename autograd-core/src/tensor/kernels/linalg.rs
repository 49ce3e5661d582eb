//! Matrix products on `matrixmultiply`'s GEMM, which reads any strides: a
//! transposed operand is passed as strides, never copied.

use super::elementwise::as_dtype;
use crate::parallel;
use crate::tensor::dtype::{Element, Storage};
use crate::tensor::recycle;
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

/// Products with a side of 1 (matrix-vector, outer) up to this many
/// multiply-adds are summed directly rather than by the GEMM (see
/// [`Gemm::gemm`]'s implementations); the tape's small MLPs are made of them.
const SMALL_VECTOR_PRODUCT: usize = 4096;

/// Element types with a GEMM.
trait Gemm: Element {
    /// `c[m, n] = a[m, k] @ b[k, n]` (`c += ..` if `accumulate`) on the calling
    /// thread, with `a` and `b` read through their layouts and `c` row-major with
    /// row stride `rsc`; `m`, `k`, `n` > 0.
    ///
    /// # Safety
    /// `c` is valid for writes at the offsets `i * rsc + j`, `i < m`, `j < n`
    /// (and holds initialised values there if `accumulate`; otherwise they are
    /// never read), which nothing else reads or writes during the call.
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemm(
        m: usize,
        k: usize,
        n: usize,
        a: (&[Self], Layout),
        b: (&[Self], Layout),
        c: *mut Self,
        rsc: usize,
        accumulate: bool,
    );
}

macro_rules! impl_gemm {
    ($t:ty, $f:path) => {
        impl Gemm for $t {
            unsafe fn gemm(
                m: usize,
                k: usize,
                n: usize,
                (a, la): (&[Self], Layout),
                (b, lb): (&[Self], Layout),
                c: *mut Self,
                rsc: usize,
                accumulate: bool,
            ) {
                assert!(a.len() >= la.span(m, k) && b.len() >= lb.span(k, n));
                if (m == 1 || n == 1 || k == 1) && m * k * n <= SMALL_VECTOR_PRODUCT {
                    // A small matrix-vector product or outer product: the sums
                    // directly, without the GEMM's packing buffers (allocated
                    // and filled on every call, they cost more than the work).
                    let (ars, acs, brs, bcs) = (
                        la.rs as usize,
                        la.cs as usize,
                        lb.rs as usize,
                        lb.cs as usize,
                    );
                    if k == 1 && bcs == 1 && !accumulate {
                        // An outer product with a contiguous right factor (a
                        // weight's gradient `g x^T`): each output row at once.
                        let br = &b[..n];
                        for i in 0..m {
                            let ai = a[i * ars];
                            // SAFETY: the caller vouches for `c` at `i * rsc + j`,
                            // `j < n`.
                            let row = unsafe { std::slice::from_raw_parts_mut(c.add(i * rsc), n) };
                            for (o, y) in row.iter_mut().zip(br) {
                                *o = ai * y;
                            }
                        }
                        return;
                    }
                    if acs == 1 && brs == 1 {
                        // Rows of `a` and columns of `b` contiguous (`W x`): the
                        // same sums over slices, without bounds checks.
                        for i in 0..m {
                            let ar = &a[i * ars..][..k];
                            for j in 0..n {
                                let bc = &b[j * bcs..][..k];
                                let s = ar[1..]
                                    .iter()
                                    .zip(&bc[1..])
                                    .fold(ar[0] * bc[0], |s, (x, y)| s + x * y);
                                // SAFETY: the caller vouches for `c` at these offsets.
                                unsafe {
                                    let c = c.add(i * rsc + j);
                                    *c = if accumulate { *c + s } else { s };
                                }
                            }
                        }
                        return;
                    }
                    if n == 1 && ars == 1 && rsc == 1 && !accumulate {
                        // Columns of `a` contiguous (`W^T g`, backward's product):
                        // every output's sum in the same order, over `p`, all
                        // outputs at once (a loop over a column that vectorises).
                        // SAFETY: the caller vouches for `c` at `i < m` (`rsc` 1).
                        let out = unsafe { std::slice::from_raw_parts_mut(c, m) };
                        let b0 = b[0];
                        for (o, x) in out.iter_mut().zip(&a[..m]) {
                            *o = x * b0;
                        }
                        for p in 1..k {
                            let bp = b[p * brs];
                            for (o, x) in out.iter_mut().zip(&a[p * acs..][..m]) {
                                *o += x * bp;
                            }
                        }
                        return;
                    }
                    for i in 0..m {
                        for j in 0..n {
                            let mut s = a[i * ars] * b[j * bcs];
                            for p in 1..k {
                                s += a[i * ars + p * acs] * b[p * brs + j * bcs];
                            }
                            // SAFETY: the caller vouches for `c` at these offsets.
                            unsafe {
                                let c = c.add(i * rsc + j);
                                *c = if accumulate { *c + s } else { s };
                            }
                        }
                    }
                    return;
                }
                // SAFETY: the layouts address offsets below `span`, which `a` and
                // `b` hold (checked above); the caller vouches for `c`.
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
                        if accumulate { 1.0 } else { 0.0 },
                        c,
                        rsc as isize,
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

/// The products of every batch entry. Large ones run on the kernel pool: each
/// batch entry is cut into blocks of output rows, or of output columns when
/// there are more columns than rows, and every block is one GEMM call on one
/// thread. A row block packs all of `b` again and a column block all of `a`, so
/// cutting the longer side repacks the smaller operand. Every block sums over
/// `k` in the same order as the whole product, so the result is the same bit for
/// bit on any number of threads.
fn matmul_typed<T: Gemm>(a: &[T], b: &[T], d: &MatDims) -> Vec<T> {
    let (m, k, n) = (d.m, d.k, d.n);
    let total = numel(&d.batch) * m * n;
    if m * n * k == 0 {
        return recycle::zeroed(total); // nothing to compute, or empty sums: zeros
    }
    // Not zeroed: the products overwrite every element (a GEMM with `beta = 0`
    // does not read `c`), and the length is set once they have.
    let mut out: Vec<T> = recycle::with_capacity(total);
    let mut offsets = Vec::with_capacity(numel(&d.batch));
    for_each_offset(&d.batch, [&d.sa, &d.sb], |o| offsets.push(o));
    // Rows `r0..r1` and columns `c0..c1` of the product of batch entry `e`.
    //
    // SAFETY (of calls): `c` points to `out`, and no other call of one run
    // writes the same (entry, row, column).
    let block = |c: Out<T>, e: usize, (r0, r1): (usize, usize), (c0, c1): (usize, usize)| {
        let [ia, ib] = offsets[e];
        let c = c.0.wrapping_add(e * m * n + r0 * n + c0);
        // SAFETY: the block's offsets `i * n + j` (i < r1 - r0, j < c1 - c0)
        // from `c` stay inside entry `e` of `out`; the caller keeps blocks apart.
        unsafe {
            T::gemm(
                r1 - r0,
                k,
                c1 - c0,
                (&a[ia + r0 * d.la.rs as usize..], d.la),
                (&b[ib + c0 * d.lb.cs as usize..], d.lb),
                c,
                n,
                false,
            )
        }
    };
    let c = Out(out.as_mut_ptr());
    let work = offsets.len() * m * k * n;
    let Some(pool) = parallel::pool_for(work, parallel::MIN_PARALLEL_MACS) else {
        for e in 0..offsets.len() {
            block(c, e, (0, m), (0, n));
        }
        // SAFETY: the loop wrote all `total` elements, within the capacity.
        unsafe { out.set_len(total) };
        return out;
    };
    // About two tasks per thread (for balance), in blocks of whole micro-kernel
    // tiles (8 by 8) so that no block pays for a partial tile it would not
    // otherwise.
    let tasks = 2 * pool.current_num_threads();
    let by_columns = n > m;
    let side = if by_columns { n } else { m };
    let blocks = tasks.div_ceil(offsets.len()).min(side.div_ceil(8)).max(1);
    let len = side.div_ceil(blocks).next_multiple_of(8).min(side);
    let blocks = side.div_ceil(len);
    pool.install(|| {
        (0..offsets.len() * blocks).into_par_iter().for_each(|t| {
            let (e, i) = (t / blocks, t % blocks);
            let part = (i * len, ((i + 1) * len).min(side));
            if by_columns {
                block(c, e, (0, m), part);
            } else {
                block(c, e, part, (0, n));
            }
        })
    });
    // SAFETY: the blocks cover every (entry, row, column), so all `total`
    // elements are written, within the capacity.
    unsafe { out.set_len(total) };
    out
}

/// `sum_e a_e @ b_e` over the entries `e` of the leading dimension `n` of
/// `a: [n, m, k]` and `b: [n, k, n_]` (either read transposed), of one dtype: the
/// gradient of a weight shared by every sample (a convolution's). One GEMM per
/// entry accumulating into the `(m, n_)` result, without a `[n, m, n_]`
/// intermediate. Large ones run on the kernel pool in blocks of output rows (or
/// columns), each block adding up every entry in order, so the result does not
/// depend on the thread count.
pub(crate) fn matmul_sum(a: Operand<'_>, b: Operand<'_>) -> Storage {
    let batch = [a.batch()[0]];
    let dims = MatDims::new(&a, &b, &batch);
    match (a.data, b.data) {
        (Storage::F32(x), Storage::F32(y)) => Storage::F32(matmul_sum_typed(x, y, &dims).into()),
        (Storage::F64(x), Storage::F64(y)) => Storage::F64(matmul_sum_typed(x, y, &dims).into()),
        _ => unreachable!("callers check the dtypes match"),
    }
}

fn matmul_sum_typed<T: Gemm>(a: &[T], b: &[T], d: &MatDims) -> Vec<T> {
    let (m, k, n) = (d.m, d.k, d.n);
    let entries = d.batch[0];
    if m * n * k * entries == 0 {
        return recycle::zeroed(m * n);
    }
    // Not zeroed: the first entry's GEMM (`beta = 0`) overwrites every element.
    let mut out: Vec<T> = recycle::with_capacity(m * n);
    // SAFETY (of calls): `c` points to `out`, and blocks of one run write
    // disjoint (row, column) ranges.
    let block = |c: Out<T>, (r0, r1): (usize, usize), (c0, c1): (usize, usize)| {
        let c = c.0.wrapping_add(r0 * n + c0);
        for e in 0..entries {
            let (ia, ib) = (e * m * k, e * k * n);
            // SAFETY: the block's offsets `i * n + j` from `c` stay inside `out`;
            // the caller keeps blocks apart.
            unsafe {
                T::gemm(
                    r1 - r0,
                    k,
                    c1 - c0,
                    (&a[ia + r0 * d.la.rs as usize..], d.la),
                    (&b[ib + c0 * d.lb.cs as usize..], d.lb),
                    c,
                    n,
                    e > 0,
                )
            }
        }
    };
    let c = Out(out.as_mut_ptr());
    let Some(pool) = parallel::pool_for(entries * m * k * n, parallel::MIN_PARALLEL_MACS) else {
        block(c, (0, m), (0, n));
        // SAFETY: the block wrote all `m * n` elements, within the capacity.
        unsafe { out.set_len(m * n) };
        return out;
    };
    let by_columns = n > m;
    let side = if by_columns { n } else { m };
    let blocks = pool.current_num_threads().min(side.div_ceil(8)).max(1);
    let len = side.div_ceil(blocks).next_multiple_of(8).min(side);
    let blocks = side.div_ceil(len);
    pool.install(|| {
        (0..blocks).into_par_iter().for_each(|i| {
            let part = (i * len, ((i + 1) * len).min(side));
            if by_columns {
                block(c, (0, m), part);
            } else {
                block(c, part, (0, n));
            }
        })
    });
    // SAFETY: the blocks cover every (row, column), so all `m * n` elements are
    // written, within the capacity.
    unsafe { out.set_len(m * n) };
    out
}

/// The output of [`matmul_typed`], shared by its blocks, which write disjoint
/// elements.
struct Out<T>(*mut T);

impl<T> Clone for Out<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Out<T> {}
// SAFETY: the blocks that share it write disjoint elements, and `out` outlives
// the parallel loop.
unsafe impl<T: Send> Send for Out<T> {}
unsafe impl<T: Send> Sync for Out<T> {}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every sum in the order the kernel promises (`p` ascending from the first
    /// product), for comparing bit for bit.
    fn reference(
        m: usize,
        k: usize,
        n: usize,
        a: &[f64],
        la: Layout,
        b: &[f64],
        lb: Layout,
    ) -> Vec<f64> {
        let at = |i: usize, p: usize| a[i * la.rs as usize + p * la.cs as usize];
        let bt = |p: usize, j: usize| b[p * lb.rs as usize + j * lb.cs as usize];
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut s = at(i, 0) * bt(0, j);
                for p in 1..k {
                    s += at(i, p) * bt(p, j);
                }
                c[i * n + j] = s;
            }
        }
        c
    }

    #[test]
    fn small_products_sum_in_order_for_every_layout() {
        // Matrix-vector, vector-matrix and outer products (the direct paths),
        // each operand as itself or transposed, over a few sizes.
        let sizes = [
            (16, 16, 1),
            (1, 16, 16),
            (16, 1, 4),
            (5, 7, 1),
            (1, 3, 9),
            (9, 1, 1),
            (1, 1, 1),
        ];
        let value = |i: usize, s: f64| ((i as f64) * 0.731 + s).sin() * 3.0;
        for (m, k, n) in sizes {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let a: Vec<f64> = (0..m * k).map(|i| value(i, 0.3)).collect();
                let b: Vec<f64> = (0..k * n).map(|i| value(i, 1.7)).collect();
                let (la, lb) = (Layout::new(m, k, ta), Layout::new(k, n, tb));
                let mut c = vec![f64::NAN; m * n];
                // SAFETY: `c` holds `m * n` elements, row stride `n`.
                unsafe { f64::gemm(m, k, n, (&a, la), (&b, lb), c.as_mut_ptr(), n, false) };
                let want = reference(m, k, n, &a, la, &b, lb);
                assert_eq!(c, want, "{m}x{k}x{n}, transposed {ta} {tb}");
                // Accumulating adds the whole sum once.
                let mut acc = vec![0.5; m * n];
                // SAFETY: as above.
                unsafe { f64::gemm(m, k, n, (&a, la), (&b, lb), acc.as_mut_ptr(), n, true) };
                let want: Vec<f64> = want.iter().map(|w| 0.5 + w).collect();
                assert_eq!(acc, want, "accumulating {m}x{k}x{n}, transposed {ta} {tb}");
            }
        }
    }
}
