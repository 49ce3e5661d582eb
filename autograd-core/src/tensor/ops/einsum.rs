//! `einsum`, lowered to recorded ops: sums over the letters only one operand
//! has, then one batched product ([`Tensor::bmm`]) per pair of operands, and a
//! permutation to the output's order. It has no backward of its own: its graph
//! is that of those ops, as PyTorch's (whose `grad_fn` is likewise a view,
//! permute or `BmmBackward0`).

use crate::error::Result;
use crate::tensor::handle::{ok, Tensor};
use crate::tensor::shape::numel;
use crate::Error;

/// Einstein summation over `operands` as `equation` spells it
/// (`torch.einsum`): `"ij,jk->ik"` is a matrix product, `"bij,bjk->bik"` a
/// batched one, `"i,i->"` a dot product, `"ij->ji"` a transpose, `"ij->"` a sum.
/// Letters after `->` name the output's dimensions; without `->` the output has
/// the letters that appear once, in alphabetical order, as in PyTorch. A letter
/// of size 1 in one operand broadcasts against the others.
///
/// Not supported: `...` (ellipsis) and a letter repeated within one operand
/// (diagonals, as in `"ii->i"`); both are errors.
///
/// ```
/// use autograd_core::{einsum, Tensor};
/// let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
/// let b = Tensor::from_vec(vec![5.0, 6.0, 7.0, 8.0], &[2, 2]);
/// let c = einsum("ij,jk->ik", &[&a, &b]);
/// assert_eq!(c.to_vec::<f64>(), a.matmul(&b).to_vec::<f64>());
/// ```
///
/// # Panics
/// If the equation is malformed or does not fit the operands' shapes; see
/// [`try_einsum`].
#[track_caller]
pub fn einsum(equation: &str, operands: &[&Tensor]) -> Tensor {
    ok(try_einsum(equation, operands))
}

/// Fallible [`einsum`].
#[track_caller]
pub fn try_einsum(equation: &str, operands: &[&Tensor]) -> Result<Tensor> {
    let first = operands.first().ok_or(Error::Empty { op: "einsum" })?;
    let bad = |shape: &[usize], reason: String| Error::InvalidArgument {
        op: "einsum",
        shape: shape.to_vec(),
        reason,
    };
    let eq: String = equation.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, out) = match eq.split_once("->") {
        Some((l, o)) => (l, Some(o)),
        None => (&eq[..], None),
    };
    if eq.contains('.') {
        return Err(bad(
            first.shape(),
            format!("\"{equation}\": `...` is not supported; name every dimension"),
        ));
    }
    let terms: Vec<Vec<char>> = lhs.split(',').map(|t| t.chars().collect()).collect();
    if terms.len() != operands.len() {
        return Err(bad(
            first.shape(),
            format!(
                "\"{equation}\" has {} operand terms for {} tensors",
                terms.len(),
                operands.len()
            ),
        ));
    }
    // The size of each letter (a size of 1 broadcasts), with the shape of an
    // operand that has it, for messages.
    let mut sizes: Vec<(char, usize, &[usize])> = vec![];
    for (term, t) in terms.iter().zip(operands) {
        if term.len() != t.ndim() || term.iter().any(|c| !c.is_ascii_alphabetic()) {
            return Err(bad(
                t.shape(),
                format!(
                    "the term \"{}\" must have one letter per dimension",
                    term.iter().collect::<String>()
                ),
            ));
        }
        for (k, &c) in term.iter().enumerate() {
            if term[..k].contains(&c) {
                return Err(bad(
                    t.shape(),
                    format!("the letter {c} repeats within one term (diagonals are not supported)"),
                ));
            }
            let n = t.shape()[k];
            match sizes.iter_mut().find(|(l, _, _)| *l == c) {
                None => sizes.push((c, n, t.shape())),
                Some((_, m, _)) if *m == n || n == 1 => {}
                Some((_, m, owner)) if *m == 1 => (*m, *owner) = (n, t.shape()),
                Some((_, m, owner)) => {
                    return Err(Error::ShapeMismatch {
                        op: "einsum",
                        lhs: owner.to_vec(),
                        rhs: t.shape().to_vec(),
                        reason: format!("the letter {c} has sizes {m} and {n}"),
                    });
                }
            }
        }
    }
    let out: Vec<char> = match out {
        Some(o) => {
            let o: Vec<char> = o.chars().collect();
            for (k, c) in o.iter().enumerate() {
                if o[..k].contains(c) || !sizes.iter().any(|(l, _, _)| l == c) {
                    return Err(bad(
                        first.shape(),
                        format!("the output letter {c} must appear once, and in an operand"),
                    ));
                }
            }
            o
        }
        None => {
            let mut once: Vec<char> = sizes
                .iter()
                .map(|(c, _, _)| *c)
                .filter(|c| terms.iter().flatten().filter(|l| *l == c).count() == 1)
                .collect();
            once.sort_unstable();
            once
        }
    };
    let size = |c: char| {
        sizes
            .iter()
            .find(|(l, _, _)| *l == c)
            .map_or(1, |(_, n, _)| *n)
    };
    // Each operand with its size-1 letters broadcast, then the pairs contracted
    // from the left, keeping the letters the output or a later operand has.
    let mut acc: Option<(Tensor, Vec<char>)> = None;
    for (k, (t, term)) in operands.iter().zip(&terms).enumerate() {
        let full: Vec<usize> = term.iter().map(|&c| size(c)).collect();
        let t = t.try_expand(&full)?;
        let keep: Vec<char> = out
            .iter()
            .chain(terms[k + 1..].iter().flatten())
            .copied()
            .collect();
        acc = Some(match acc {
            None => (t, term.clone()),
            Some(a) => contract(a, (t, term.clone()), &keep, &out),
        });
    }
    let (t, letters) = acc.expect("one operand at least");
    let (t, letters) = sum_out(t, letters, &out, &[]);
    let perm: Vec<usize> = out
        .iter()
        .map(|c| letters.iter().position(|l| l == c).expect("kept"))
        .collect();
    Ok(permuted(&t, &perm))
}

/// Sums `t` (dimensions named `letters`) over the letters neither in `keep` nor
/// in `other`.
#[track_caller]
fn sum_out(t: Tensor, letters: Vec<char>, keep: &[char], other: &[char]) -> (Tensor, Vec<char>) {
    let mut t = t;
    let mut kept = vec![];
    for (d, &c) in letters.iter().enumerate().rev() {
        if keep.contains(&c) || other.contains(&c) {
            kept.push(c);
        } else {
            t = t.sum_dim(d, false);
        }
    }
    kept.reverse();
    (t, kept)
}

/// The contraction of two operands as one [`Tensor::bmm`]: their shared letters
/// in `keep` are the batch, the shared others are summed by the product, and
/// each one's own letters are its rows or columns. The result's letters: batch,
/// then `a`'s own, then `b`'s own.
#[track_caller]
fn contract(
    a: (Tensor, Vec<char>),
    b: (Tensor, Vec<char>),
    keep: &[char],
    out: &[char],
) -> (Tensor, Vec<char>) {
    let (a, la) = sum_out(a.0, a.1, keep, &b.1);
    let (b, lb) = sum_out(b.0, b.1, keep, &la);
    // The product's letters are `batch, rows, cols`, `cols` being `b`'s own. When
    // the output's last letter (its contiguous one) is `a`'s own, `b a` instead of
    // `a b` puts it last in the product too, so that the output's permutation
    // copies whole runs instead of transposing: for "kij,nkj->nki" (a batch of
    // small matrices times a long batch of vectors) the long operand and the
    // result then move by rows of `j` and `i`, not element by element.
    let own_last = out.iter().rev().find(|c| la.contains(c) != lb.contains(c));
    let ((a, la), (b, lb)) = match own_last {
        Some(c) if la.contains(c) => ((b, lb), (a, la)),
        _ => ((a, la), (b, lb)),
    };
    let batch: Vec<char> = la
        .iter()
        .copied()
        .filter(|c| lb.contains(c) && keep.contains(c))
        .collect();
    let summed: Vec<char> = la
        .iter()
        .copied()
        .filter(|c| lb.contains(c) && !keep.contains(c))
        .collect();
    let rows: Vec<char> = la.iter().copied().filter(|c| !lb.contains(c)).collect();
    let cols: Vec<char> = lb.iter().copied().filter(|c| !la.contains(c)).collect();
    let arrange = |t: &Tensor, letters: &[char], order: &[&[char]]| {
        let perm: Vec<usize> = order
            .iter()
            .flat_map(|g| g.iter())
            .map(|c| letters.iter().position(|l| l == c).expect("present"))
            .collect();
        let t = permuted(t, &perm);
        let mut three = vec![];
        let mut at = 0;
        for g in order {
            three.push(numel(&t.shape()[at..at + g.len()]));
            at += g.len();
        }
        t.reshape(&three)
    };
    let size_of = |c: &char, t: &Tensor, letters: &[char]| {
        t.shape()[letters.iter().position(|l| l == c).expect("present")]
    };
    let mut shape: Vec<usize> = batch.iter().map(|c| size_of(c, &a, &la)).collect();
    shape.extend(rows.iter().map(|c| size_of(c, &a, &la)));
    shape.extend(cols.iter().map(|c| size_of(c, &b, &lb)));
    let a3 = arrange(&a, &la, &[&batch, &rows, &summed]);
    let b3 = arrange(&b, &lb, &[&batch, &summed, &cols]);
    let c = a3.bmm(&b3).reshape(&shape);
    let letters = batch.into_iter().chain(rows).chain(cols).collect();
    (c, letters)
}

/// `t.permute(perm)`, or `t` itself for the identity.
#[track_caller]
fn permuted(t: &Tensor, perm: &[usize]) -> Tensor {
    if perm.iter().enumerate().all(|(i, &p)| i == p) {
        t.clone()
    } else {
        t.permute(perm)
    }
}
