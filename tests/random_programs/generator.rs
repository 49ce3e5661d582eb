//! A deterministic generator of random `#[differentiable]` programs and their
//! finite-difference tests: the source of `tests/static_random_programs.rs`.
//!
//! The programs draw from the whole body language of the static engine: `let`,
//! `let mut` with compound assignment, shadowing, tuple patterns, blocks, `if`/`else`
//! on comparisons and on a `#[constant]` flag, `for i in 0..N` loops, `map` closures
//! with captures, calls to earlier generated programs, `autograd::detach`, the scalar
//! and matrix methods, constructors and constant indexing, entries assigned
//! (`m[i] = s`, `m[j] += s`), array literals summed by `for x in a.iter()`,
//! `enumerate`, `rev`, `skip`, `step_by`, `take`, `map(..).sum::<f64>()` or `fold`, over `f64`, `SVector` and `SMatrix`
//! parameters taken by value or by reference. A quarter of the programs without
//! detached values are methods of a unit struct in a `#[differentiable] impl`,
//! called through their free function, whose `value_grad` sibling is checked too.
//!
//! Every program is numerically tame by construction: each variable carries a bound
//! on the magnitude of its entries, operations that would exceed [`MAX_BOUND`] are
//! not drawn, `exp` only sees small arguments, and `ln`, `sqrt`, `recip`, `powf` and
//! `component_div` only see arguments of the form `e * e + c` with `c > 0`.
//!
//! A program that uses `detach` gets a plain twin `NAME_frozen(base.., args..)` that
//! evaluates the detached expressions at the base point, so that finite differences
//! of the twin hold them constant, as the gradient does.

use std::fmt::Write;

/// Number of programs in the file.
pub const PROGRAMS: usize = 40;
/// The seed of the whole file.
pub const SEED: u64 = 0x5eed_a11d_2026_0001;
/// Largest bound on the entries of any intermediate value.
const MAX_BOUND: f64 = 30.0;

/// xorshift64*: small, deterministic, good enough to pick program shapes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// A value of magnitude in `[0.1, 1]`, random sign, three decimals.
    fn value(&mut self) -> f64 {
        let m = 0.1 + 0.9 * self.unit();
        let v = if self.chance(0.5) { m } else { -m };
        (v * 1000.0).round() / 1000.0
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A value type: `f64` or an `r x c` matrix (`c == 1` is an `SVector`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ty {
    S,
    M(usize, usize),
}

impl Ty {
    fn rust(self) -> String {
        match self {
            Ty::S => "f64".into(),
            Ty::M(r, 1) => format!("SVector<f64, {r}>"),
            Ty::M(r, c) => format!("SMatrix<f64, {r}, {c}>"),
        }
    }
    /// The type's path for an associated function call (`SVector::<f64, 3>`).
    fn path(self) -> String {
        match self {
            Ty::S => "f64".into(),
            Ty::M(r, 1) => format!("SVector::<f64, {r}>"),
            Ty::M(r, c) => format!("SMatrix::<f64, {r}, {c}>"),
        }
    }
    fn len(self) -> usize {
        match self {
            Ty::S => 1,
            Ty::M(r, c) => r * c,
        }
    }
    fn is_vector(self) -> bool {
        matches!(self, Ty::M(_, 1))
    }
}

const SHAPES: [Ty; 5] = [
    Ty::M(2, 1),
    Ty::M(3, 1),
    Ty::M(2, 3),
    Ty::M(3, 2),
    Ty::M(2, 2),
];

/// A literal of type `ty` with entries drawn by `rng`.
fn literal(rng: &mut Rng, ty: Ty) -> String {
    match ty {
        Ty::S => format!("{:?}", rng.value()),
        _ => {
            let vals: Vec<String> = (0..ty.len())
                .map(|_| format!("{:?}", rng.value()))
                .collect();
            format!("{}::new({})", ty.path(), vals.join(", "))
        }
    }
}

/// A variable of a program body. Code refers to variable `k` as `$k$`, replaced by
/// its name when the body is written out (with a suffix in the frozen twin).
#[derive(Clone)]
struct Var {
    name: String,
    ty: Ty,
    bound: f64,
    /// A `&T` parameter.
    by_ref: bool,
    used: bool,
    /// Still in scope under its name (not shadowed, not block-local).
    live: bool,
}

/// A statement: code with `$k$` placeholders, or a `let` of a detached expression.
enum Stmt {
    Code(String),
    Detach { var: usize, expr: String },
}

#[derive(Clone)]
struct Param {
    var: usize,
    constant: bool,
}

/// What later programs need to know to call an earlier one.
#[derive(Clone)]
struct Signature {
    name: String,
    /// (type, by reference, constant) of each parameter.
    params: Vec<(Ty, bool, bool)>,
    out: Out,
    bound: f64,
    uses_detach: bool,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Out {
    One(Ty),
    /// `(f64, matrix)`.
    Pair(Ty),
}

struct Body<'a> {
    rng: &'a mut Rng,
    vars: Vec<Var>,
    stmts: Vec<Stmt>,
    lets: usize,
    detaches: usize,
    earlier: &'a [Signature],
    /// Index of the `#[constant] c: f64` parameter, if any.
    constant: Option<usize>,
}

/// An expression: code, type and bound on the magnitude of its entries.
struct Expr {
    code: String,
    ty: Ty,
    bound: f64,
}

/// Variable `k` where it is read.
fn ph(k: usize) -> String {
    format!("${k}$")
}

/// Variable `k` where it is bound or assigned (not a use, for the unused check).
fn pw(k: usize) -> String {
    format!("#{k}#")
}

impl Body<'_> {
    fn new_var(&mut self, ty: Ty, bound: f64) -> usize {
        self.lets += 1;
        self.vars.push(Var {
            name: format!("t{}", self.lets),
            ty,
            bound,
            by_ref: false,
            used: false,
            live: true,
        });
        self.vars.len() - 1
    }

    /// A live variable satisfying `ok`, preferring unused ones; marks it used.
    fn pick_var(&mut self, ok: impl Fn(&Var) -> bool) -> Option<usize> {
        let all: Vec<usize> = (0..self.vars.len())
            .filter(|&k| self.vars[k].live && ok(&self.vars[k]))
            .collect();
        if all.is_empty() {
            return None;
        }
        let unused: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&k| !self.vars[k].used)
            .collect();
        let k = if !unused.is_empty() && self.rng.chance(0.7) {
            *self.rng.pick(&unused)
        } else {
            *self.rng.pick(&all)
        };
        self.vars[k].used = true;
        Some(k)
    }

    fn pick_ty(&mut self, ty: Ty, max_bound: f64) -> Option<usize> {
        self.pick_var(|v| v.ty == ty && v.bound <= max_bound)
    }

    /// Variable `k` as an owned value (dereferences `&` parameters).
    fn own(&self, k: usize) -> String {
        if self.vars[k].by_ref {
            format!("*{}", ph(k))
        } else {
            ph(k)
        }
    }

    /// Variable `k` as a `&` borrow.
    fn borrow(&self, k: usize) -> String {
        if self.vars[k].by_ref {
            ph(k)
        } else {
            format!("&{}", ph(k))
        }
    }

    /// A scalar operand: a variable, sometimes (for bounds) squashed.
    fn scalar_operand(&mut self, max_bound: f64) -> Option<(String, f64)> {
        let k = self.pick_ty(Ty::S, max_bound)?;
        Some((self.own(k), self.vars[k].bound))
    }

    /// One random expression of any type, or of type `want`.
    fn expr(&mut self, want: Option<Ty>) -> Expr {
        for _ in 0..200 {
            let e = if want == Some(Ty::S) || (want.is_none() && self.rng.chance(0.5)) {
                self.scalar_expr()
            } else {
                self.matrix_expr(want)
            };
            if let Some(e) = e {
                if want.is_none_or(|t| t == e.ty) && e.bound <= MAX_BOUND {
                    return e;
                }
            }
        }
        // Fallback: scale a variable of the wanted type, or fill one from a scalar.
        let ty = want.unwrap_or(Ty::S);
        if let Some(k) = self.pick_ty(ty, MAX_BOUND) {
            return Expr {
                code: format!("{} * 0.5", ph(k)),
                ty,
                bound: self.vars[k].bound * 0.5,
            };
        }
        let s = self.any_scalar();
        Expr {
            code: format!("{}::from_element({s}.tanh())", ty.path()),
            ty,
            bound: 1.0,
        }
    }

    fn scalar_expr(&mut self) -> Option<Expr> {
        let s = |code: String, bound: f64| {
            Some(Expr {
                code,
                ty: Ty::S,
                bound,
            })
        };
        match self.rng.below(38) {
            0 | 1 => {
                let (a, ba) = self.scalar_operand(MAX_BOUND)?;
                let (b, bb) = self.scalar_operand(MAX_BOUND)?;
                if a == b {
                    return None;
                }
                let op = *self.rng.pick(&["+", "-"]);
                s(format!("{a} {op} {b}"), ba + bb)
            }
            2 | 3 => {
                let (a, ba) = self.scalar_operand(6.0)?;
                let (b, bb) = self.scalar_operand(6.0)?;
                s(format!("{a} * {b}"), ba * bb)
            }
            4 => {
                let (a, ba) = self.scalar_operand(MAX_BOUND)?;
                let (b, _) = self.scalar_operand(MAX_BOUND)?;
                s(format!("{a} / ({b} * {b} + 1.0)"), ba)
            }
            5 => {
                let (a, ba) = self.scalar_operand(MAX_BOUND)?;
                s(format!("-{a} * 1.5 + 0.25"), ba * 1.5 + 0.25)
            }
            6 => {
                let (a, _) = self.scalar_operand(MAX_BOUND)?;
                let f = *self.rng.pick(&["tanh", "sin", "cos", "sigmoid"]);
                s(format!("{a}.{f}()"), 1.0)
            }
            7 => {
                let (a, ba) = self.scalar_operand(2.5)?;
                s(format!("{a}.exp()"), ba.exp())
            }
            8 => {
                let (a, ba) = self.scalar_operand(MAX_BOUND)?;
                s(format!("({a} * {a} + 1.0).ln()"), (ba * ba + 1.0).ln())
            }
            9 => {
                let (a, ba) = self.scalar_operand(MAX_BOUND)?;
                s(format!("({a} * {a} + 0.5).sqrt()"), (ba * ba + 0.5).sqrt())
            }
            10 => {
                let (a, _) = self.scalar_operand(MAX_BOUND)?;
                s(format!("({a} * {a} + 0.5).recip()"), 2.0)
            }
            11 => {
                let (a, ba) = self.scalar_operand(MAX_BOUND)?;
                let f = *self.rng.pick(&["abs", "relu"]);
                s(format!("{a}.{f}()"), ba)
            }
            12 => {
                let (a, ba) = self.scalar_operand(15.0)?;
                s(format!("{a}.softplus()"), ba + 0.7)
            }
            13 => {
                let (a, ba) = self.scalar_operand(3.0)?;
                let n = *self.rng.pick(&[2, 3, -1, -2]);
                if n < 0 {
                    // Negative powers of a positive expression only.
                    return s(format!("({a} * {a} + 0.5).powi({n})"), 2f64.powi(-n));
                }
                s(format!("{a}.powi({n})"), ba.powi(n))
            }
            14 => {
                let (a, ba) = self.scalar_operand(3.0)?;
                let (p, _) = self.scalar_operand(1.5)?;
                let bound = (ba * ba + 1.0).powf(1.5);
                s(format!("({a} * {a} + 1.0).powf({p})"), bound)
            }
            15 | 16 => {
                let (a, ba) = self.scalar_operand(MAX_BOUND)?;
                let (b, bb) = self.scalar_operand(MAX_BOUND)?;
                if a == b {
                    return None;
                }
                let f = *self.rng.pick(&["max", "min"]);
                if self.rng.chance(0.3) {
                    return s(format!("f64::{f}({a}, {b})"), ba.max(bb));
                }
                s(format!("{a}.{f}({b})"), ba.max(bb))
            }
            17 => {
                let (a, _) = self.scalar_operand(MAX_BOUND)?;
                s(format!("f64::tanh({a})"), 1.0)
            }
            18 => {
                let c = self.constant?;
                let (a, ba) = self.scalar_operand(MAX_BOUND)?;
                s(format!("{a} * {} + {}", ph(c), ph(c)), ba + 1.0)
            }
            19..=21 => {
                let k = self.pick_var(|v| matches!(v.ty, Ty::M(..)) && v.bound <= 10.0)?;
                let (ty, b) = (self.vars[k].ty, self.vars[k].bound);
                let n = ty.len() as f64;
                let (f, bound) = *self.rng.pick(&[
                    ("sum", n * b),
                    ("mean", b),
                    ("norm", n.sqrt() * b),
                    ("norm_squared", n * b * b),
                    ("max", b),
                    ("min", b),
                ]);
                s(format!("{}.{f}()", ph(k)), bound)
            }
            22 => {
                let k = self.pick_var(|v| matches!(v.ty, Ty::M(..)) && v.bound <= 5.0)?;
                let (ty, b) = (self.vars[k].ty, self.vars[k].bound);
                let j = self.pick_ty(ty, 5.0)?;
                let bj = self.vars[j].bound;
                let code = format!("{}.dot({})", ph(k), self.borrow(j));
                s(code, ty.len() as f64 * b * bj)
            }
            23 | 24 => {
                let k = self.pick_var(|v| matches!(v.ty, Ty::M(..)))?;
                let (ty, b) = (self.vars[k].ty, self.vars[k].bound);
                let Ty::M(r, c) = ty else { unreachable!() };
                if ty.is_vector() || self.rng.chance(0.5) {
                    let i = self.rng.below(r * c);
                    return s(format!("{}[{i}]", ph(k)), b);
                }
                let (i, j) = (self.rng.below(r), self.rng.below(c));
                s(format!("{}[({i}, {j})]", ph(k)), b)
            }
            25 | 26 => self.call(Ty::S),
            27 => {
                let (a, ba) = self.scalar_operand(MAX_BOUND)?;
                if self.rng.chance(0.5) {
                    return s(format!("{a}.atan()"), 1.6);
                }
                s(format!("{a}.asinh()"), (2.0 * ba + 1.0).ln() + 1.0)
            }
            28 => {
                let (a, ba) = self.scalar_operand(MAX_BOUND)?;
                let (b, bb) = self.scalar_operand(MAX_BOUND)?;
                if self.rng.chance(0.5) {
                    return s(format!("{a}.atan2({b} * {b} + 1.0)"), 1.6);
                }
                s(format!("{a}.hypot({b} * {b} + 0.5)"), ba + bb * bb + 0.5)
            }
            29 => {
                let (a, ba) = self.scalar_operand(MAX_BOUND)?;
                let (f, bound) = *self.rng.pick(&[
                    ("ln_1p", (ba * ba + 2.0).ln()),
                    ("log2", (ba * ba + 1.0).log2()),
                    ("log10", (ba * ba + 1.0).log10()),
                    ("cbrt", (ba * ba + 1.0).cbrt()),
                ]);
                s(format!("({a} * {a} + 1.0).{f}()"), bound + 0.1)
            }
            30 => {
                let (a, ba) = self.scalar_operand(6.0)?;
                let (b, bb) = self.scalar_operand(6.0)?;
                match self.rng.below(4) {
                    0 => s(format!("{a}.mul_add({b}, 0.5)"), ba * bb + 0.5),
                    1 => s(format!("{a}.sin().exp_m1() * {b}"), 1.8 * bb),
                    2 => s(format!("{a}.cos().sinh() + {b}"), 1.2 + bb),
                    _ => s(format!("({a}.sin() * 1.2).tan()"), 2.6),
                }
            }
            _ => {
                // Re-draw among the above: the remaining slots weight the common ops.
                let (a, ba) = self.scalar_operand(MAX_BOUND)?;
                let (b, bb) = self.scalar_operand(MAX_BOUND)?;
                let f = *self.rng.pick(&["sin", "tanh", "cos"]);
                s(format!("{a}.{f}() * {b}"), bb.max(ba.min(1.0) * bb))
            }
        }
    }

    fn matrix_expr(&mut self, want: Option<Ty>) -> Option<Expr> {
        let ty = match want {
            Some(t) => t,
            None => *self.rng.pick(&SHAPES),
        };
        let Ty::M(r, c) = ty else { return None };
        let m = |code: String, bound: f64| Some(Expr { code, ty, bound });
        match self.rng.below(24) {
            0 | 1 => {
                let a = self.pick_ty(ty, MAX_BOUND)?;
                let b = self.pick_ty(ty, MAX_BOUND)?;
                if a == b {
                    return None;
                }
                let op = *self.rng.pick(&["+", "-"]);
                m(
                    format!("{} {op} {}", ph(a), ph(b)),
                    self.vars[a].bound + self.vars[b].bound,
                )
            }
            2 => {
                let a = self.pick_ty(ty, 10.0)?;
                let (s, bs) = self.scalar_operand(3.0)?;
                let ba = self.vars[a].bound;
                if self.rng.chance(0.5) {
                    return m(format!("{} * {s}", ph(a)), ba * bs);
                }
                m(format!("{s} * {}", ph(a)), ba * bs)
            }
            3 => {
                let a = self.pick_ty(ty, MAX_BOUND)?;
                let (s, _) = self.scalar_operand(MAX_BOUND)?;
                m(format!("{} / ({s} * {s} + 1.0)", ph(a)), self.vars[a].bound)
            }
            4 => {
                let a = self.pick_ty(ty, MAX_BOUND)?;
                m(format!("-{} * 0.5", ph(a)), self.vars[a].bound * 0.5)
            }
            5 | 6 => {
                // Matrix product `A (r x k) * B (k x c)`, either factor maybe transposed.
                let k = *self.rng.pick(&[2, 3]);
                let a = self
                    .pick_var(|v| (v.ty == Ty::M(r, k) || v.ty == Ty::M(k, r)) && v.bound <= 4.0)?;
                let b = self
                    .pick_var(|v| (v.ty == Ty::M(k, c) || v.ty == Ty::M(c, k)) && v.bound <= 4.0)?;
                let side = |body: &Self, v: usize, want: Ty| {
                    if body.vars[v].ty == want {
                        ph(v)
                    } else {
                        format!("{}.transpose()", ph(v))
                    }
                };
                let code = format!(
                    "{} * {}",
                    side(self, a, Ty::M(r, k)),
                    side(self, b, Ty::M(k, c))
                );
                m(code, k as f64 * self.vars[a].bound * self.vars[b].bound)
            }
            7 => {
                let a = self.pick_var(|v| v.ty == Ty::M(c, r) && r != c)?;
                m(format!("{}.transpose()", ph(a)), self.vars[a].bound)
            }
            8 => {
                let a = self.pick_ty(ty, 6.0)?;
                let b = self.pick_ty(ty, 6.0)?;
                let code = format!("{}.component_mul({})", ph(a), self.borrow(b));
                m(code, self.vars[a].bound * self.vars[b].bound)
            }
            9 => {
                let a = self.pick_ty(ty, MAX_BOUND)?;
                let b = self.pick_ty(ty, MAX_BOUND)?;
                let code = format!("{}.component_div(&{}.map(|e| e * e + 1.0))", ph(a), ph(b));
                m(code, self.vars[a].bound)
            }
            10 | 11 => {
                let a = self.pick_ty(ty, MAX_BOUND)?;
                let f = *self.rng.pick(&["tanh", "sin", "cos", "sigmoid"]);
                m(format!("{}.{f}()", ph(a)), 1.0)
            }
            12 => {
                let a = self.pick_ty(ty, 15.0)?;
                let ba = self.vars[a].bound;
                let (f, bound) =
                    *self
                        .rng
                        .pick(&[("softplus", ba + 0.7), ("relu", ba), ("abs", ba)]);
                m(format!("{}.{f}()", ph(a)), bound)
            }
            13 => {
                let a = self.pick_ty(ty, MAX_BOUND)?;
                let ba = self.vars[a].bound;
                let (f, c0, bound) = *self.rng.pick(&[
                    ("ln", 1.0, (ba * ba + 1.0).ln()),
                    ("sqrt", 0.5, (ba * ba + 0.5).sqrt()),
                    ("recip", 0.5, 2.0),
                ]);
                m(format!("{}.map(|e| e * e + {c0:?}).{f}()", ph(a)), bound)
            }
            14 | 15 => self.map_closure(ty),
            16 => {
                let a = self.pick_ty(ty, MAX_BOUND)?;
                m(format!("{}.clone()", ph(a)), self.vars[a].bound)
            }
            17 => {
                // Constructors fed by differentiable scalars.
                if ty.is_vector() {
                    let mut args = Vec::new();
                    let mut bound: f64 = 0.0;
                    for _ in 0..r {
                        if self.rng.chance(0.2) {
                            args.push("0.5".to_string());
                        } else {
                            let (s, b) = self.scalar_operand(MAX_BOUND)?;
                            bound = bound.max(b);
                            args.push(s);
                        }
                    }
                    return m(
                        format!("{}::new({})", ty.path(), args.join(", ")),
                        bound.max(0.5),
                    );
                }
                let (s, b) = self.scalar_operand(MAX_BOUND)?;
                let ctor = *self.rng.pick(&["from_element", "repeat"]);
                m(format!("{}::{ctor}({s})", ty.path()), b)
            }
            18 => {
                // Entry-wise product with a constant matrix.
                let a = self.pick_ty(ty, MAX_BOUND)?;
                let lit = literal(self.rng, ty);
                m(
                    format!("{}.component_mul(&{lit})", ph(a)),
                    self.vars[a].bound,
                )
            }
            19 | 20 => self.call(ty),
            _ => {
                let a = self.pick_ty(ty, MAX_BOUND)?;
                let (s, bs) = self.scalar_operand(MAX_BOUND)?;
                m(
                    format!("{} + {}::repeat({s})", ph(a), ty.path()),
                    self.vars[a].bound + bs,
                )
            }
        }
    }

    /// `m.map(|e| body)`, the body capturing a scalar variable.
    fn map_closure(&mut self, ty: Ty) -> Option<Expr> {
        let a = self.pick_ty(ty, MAX_BOUND)?;
        let ba = self.vars[a].bound;
        let (s, bs) = self.scalar_operand(3.0)?;
        let (body, bound) = match self.rng.below(7) {
            0 => (format!("(e * {s}).tanh() + e"), ba + 1.0),
            1 => (format!("e * e - {s}"), ba * ba + bs),
            2 => (format!("e.max({s})"), ba.max(bs)),
            3 => (format!("(e - {s}).powi(2)"), (ba + bs).powi(2)),
            4 => (format!("e.sin() * {s}"), bs),
            5 => match self.pick_var(|v| matches!(v.ty, Ty::M(..)) && v.bound <= 3.0) {
                Some(k) => (format!("e * {}[0] + {s}", ph(k)), ba * 3.0 + bs),
                None => (format!("e - {s}"), ba + bs),
            },
            _ => (
                format!("(e * e + 1.0).ln() * {s}"),
                (ba * ba + 1.0).ln() * bs,
            ),
        };
        Some(Expr {
            code: format!("{}.map(|e| {body})", ph(a)),
            ty,
            bound,
        })
    }

    /// A call to an earlier detach-free program returning `ty` (or the scalar of a
    /// pair).
    fn call(&mut self, ty: Ty) -> Option<Expr> {
        self.call_returning(Out::One(ty))
    }

    /// A call to an earlier detach-free program whose output is `out`.
    fn call_returning(&mut self, out: Out) -> Option<Expr> {
        let fits: Vec<Signature> = self
            .earlier
            .iter()
            .filter(|s| !s.uses_detach && s.bound <= MAX_BOUND && s.out == out)
            .cloned()
            .collect();
        if fits.is_empty() {
            return None;
        }
        let sig = self.rng.pick(&fits).clone();
        let ty = match out {
            Out::One(t) | Out::Pair(t) => t,
        };
        let mut args = Vec::new();
        for &(pty, by_ref, constant) in &sig.params {
            if constant {
                args.push(format!("{:?}", self.rng.value()));
                continue;
            }
            let k = self.pick_ty(pty, 1.0)?;
            if self.rng.chance(0.25) {
                // An expression as the argument.
                let e = format!("{} * 0.5", self.own(k));
                args.push(if by_ref { format!("&({e})") } else { e });
                continue;
            }
            args.push(match (by_ref, self.vars[k].by_ref) {
                (true, true) | (false, false) => ph(k),
                (true, false) => format!("&{}", ph(k)),
                (false, true) => format!("*{}", ph(k)),
            });
        }
        Some(Expr {
            code: format!("{}({})", sig.name, args.join(", ")),
            ty,
            bound: sig.bound,
        })
    }

    /// A condition that is not differentiated: a comparison of values, or of the
    /// constant parameter.
    fn condition(&mut self) -> String {
        if let Some(c) = self.constant {
            if self.rng.chance(0.3) {
                return format!("{} > 0.0", ph(c));
            }
        }
        if self.rng.chance(0.3) {
            if let Some(k) = self.pick_var(|v| matches!(v.ty, Ty::M(..))) {
                let op = *self.rng.pick(&["<", ">"]);
                return format!("{}[0] {op} {:?}", ph(k), self.rng.value() * 0.5);
            }
        }
        let a = self.any_scalar();
        let b = self.any_scalar();
        if a != b {
            format!("{a} > {b}")
        } else {
            format!("{a} < {:?}", self.rng.value() * 0.5)
        }
    }

    /// Any live scalar variable, whatever its bound (for comparisons).
    fn any_scalar(&mut self) -> String {
        let k = self.pick_var(|v| v.ty == Ty::S).expect("a live scalar");
        self.own(k)
    }

    /// Whether the code written so far reads variable `k` after its last write.
    fn mentioned(&self, k: usize) -> bool {
        let (read, write) = (ph(k), pw(k));
        let last_write = self.stmts.iter().rposition(|s| match s {
            Stmt::Code(c) => c.contains(&write),
            Stmt::Detach { var, .. } => *var == k,
        });
        let after = last_write.map_or(0, |i| i + 1);
        self.stmts[after..].iter().any(|s| match s {
            Stmt::Code(c) => c.contains(&read),
            Stmt::Detach { expr, .. } => expr.contains(&read),
        })
    }

    fn let_stmt(&mut self, e: Expr) -> usize {
        let v = self.new_var(e.ty, e.bound);
        let annot = if self.rng.chance(0.15) {
            format!(": {}", e.ty.rust())
        } else {
            String::new()
        };
        self.stmts
            .push(Stmt::Code(format!("let {}{annot} = {};", pw(v), e.code)));
        v
    }

    /// One statement of a random kind.
    fn statement(&mut self) {
        match self.rng.below(24) {
            22 => {
                // Entries of a matrix assigned and updated (`m[i] = s`, `m[j] += s`).
                let Some(wk) = self.pick_var(|v| matches!(v.ty, Ty::M(..)) && v.bound <= 10.0)
                else {
                    return;
                };
                let Some((s, sb)) = self.scalar_operand(10.0) else {
                    return;
                };
                let ty = self.vars[wk].ty;
                let (i, j) = (self.rng.below(ty.len()), self.rng.below(ty.len()));
                let m = self.new_var(ty, self.vars[wk].bound.max(sb) * 2.0);
                self.stmts.push(Stmt::Code(format!(
                    "let mut {m} = {w};\n{m}[{i}] = {s};\n{m}[{j}] += {s} * 0.5;",
                    m = pw(m),
                    w = self.own(wk),
                )));
            }
            23 => {
                // An array literal of scalars, read in a loop and by a constant index.
                let e: Vec<Expr> = (0..3).map(|_| self.expr(Some(Ty::S))).collect();
                let bound = e.iter().map(|e| e.bound).fold(0.0, f64::max);
                if bound > 3.0 {
                    return;
                }
                let (arr, acc) = (
                    self.new_var(Ty::S, bound),
                    self.new_var(Ty::S, 3.0 * bound * bound + bound),
                );
                self.vars[arr].used = true;
                self.vars[arr].live = false;
                let k = self.rng.below(3);
                // The sum of squares by one of the iterator forms.
                let (a, acc) = (pw(arr), pw(acc));
                let squares = match self.rng.below(7) {
                    0 => format!("let mut {acc} = {a}[{k}];\nfor x in {a}.iter() {{\n    {acc} += x * x;\n}}"),
                    1 => format!("let mut {acc} = {a}[{k}];\nfor (i, &x) in {a}.iter().enumerate() {{\n    {acc} += x * {a}[i];\n}}"),
                    2 => format!("let {acc} = {a}[{k}] + {a}.iter().map(|x| x * x).sum::<f64>();"),
                    3 => format!("let mut {acc} = {a}[{k}];\nfor (i, &x) in {a}.iter().enumerate().rev() {{\n    {acc} += x * {a}[i];\n}}"),
                    4 => format!("let {acc} = {a}[{k}] + {a}.iter().rev().skip(1).map(|x| x * x).sum::<f64>();"),
                    5 => format!("let {acc} = {a}.iter().step_by(2).take(2).fold({a}[{k}], |s, x| s + x * x);"),
                    _ => format!("let {acc} = {a}.iter().fold({a}[{k}], |s, x| s + x * x);"),
                };
                self.stmts.push(Stmt::Code(format!(
                    "let {a} = [{}, {}, {}];\n{squares}",
                    e[0].code, e[1].code, e[2].code,
                )));
            }
            20 => {
                // A tuple pattern bound to a call returning a pair.
                let ty = *self.rng.pick(&SHAPES);
                let Some(e) = self.call_returning(Out::Pair(ty)) else {
                    return;
                };
                let (v1, v2) = (self.new_var(Ty::S, e.bound), self.new_var(ty, e.bound));
                self.stmts.push(Stmt::Code(format!(
                    "let ({}, {}) = {};",
                    pw(v1),
                    pw(v2),
                    e.code
                )));
            }
            21 => {
                // A matrix accumulated in a loop over a vector's entries.
                let Some(vk) = self.pick_var(|v| v.ty.is_vector() && v.bound <= 3.0) else {
                    return;
                };
                let n = self.vars[vk].ty.len();
                let Some(wk) = self.pick_var(|v| matches!(v.ty, Ty::M(..)) && v.bound <= 3.0)
                else {
                    return;
                };
                let ty = self.vars[wk].ty;
                let bound = n as f64 * 9.0 + 3.0;
                let acc = self.new_var(ty, bound);
                self.stmts.push(Stmt::Code(format!(
                    "let mut {a} = {w} * 0.5;\nfor i in 0..{n} {{\n    {a} += {w} * {v}[i];\n}}",
                    a = pw(acc),
                    w = ph(wk),
                    v = ph(vk)
                )));
            }
            0 | 1 => {
                // let mut + compound assignments
                let e = self.expr(None);
                let v = self.new_var(e.ty, e.bound);
                let mut code = format!("let mut {} = {};", pw(v), e.code);
                let mut bound = e.bound;
                for _ in 0..1 + self.rng.below(2) {
                    let (line, b) = self.compound(v, bound);
                    code += &format!("\n{line}");
                    bound = b;
                }
                self.vars[v].bound = bound;
                self.stmts.push(Stmt::Code(code));
            }
            2 => {
                // tuple pattern
                let e1 = self.expr(None);
                let e2 = self.expr(None);
                let (v1, v2) = (self.new_var(e1.ty, e1.bound), self.new_var(e2.ty, e2.bound));
                self.stmts.push(Stmt::Code(format!(
                    "let ({}, {}) = ({}, {});",
                    pw(v1),
                    pw(v2),
                    e1.code,
                    e2.code
                )));
            }
            3 => {
                // block with a local
                let e1 = self.expr(None);
                let inner = self.new_var(e1.ty, e1.bound);
                let (tail, bound) = match e1.ty {
                    Ty::S => (
                        format!("{} * {} + 0.5", ph(inner), ph(inner)),
                        e1.bound * e1.bound + 0.5,
                    ),
                    _ => (
                        format!("{}.map(|e| e.sin() + e)", ph(inner)),
                        e1.bound + 1.0,
                    ),
                };
                self.vars[inner].used = true;
                self.vars[inner].live = false;
                let v = self.new_var(e1.ty, bound);
                self.stmts.push(Stmt::Code(format!(
                    "let {} = {{\n    let {} = {};\n    {tail}\n}};",
                    pw(v),
                    pw(inner),
                    e1.code
                )));
            }
            4 => {
                // shadowing: a new variable under an old one's name
                let Some(old) = self.pick_var(|v| !v.by_ref && v.bound <= 10.0) else {
                    return;
                };
                let (ty, b) = (self.vars[old].ty, self.vars[old].bound);
                let (code, bound) = match ty {
                    Ty::S => (format!("{}.sin() + {}", ph(old), ph(old)), b + 1.0),
                    _ => (
                        format!("{} * 0.5 + {}.tanh()", ph(old), ph(old)),
                        b * 0.5 + 1.0,
                    ),
                };
                self.vars[old].live = false;
                self.vars.push(Var {
                    name: self.vars[old].name.clone(),
                    ty,
                    bound,
                    by_ref: false,
                    used: false,
                    live: true,
                });
                let v = self.vars.len() - 1;
                self.stmts
                    .push(Stmt::Code(format!("let {} = {code};", pw(v))));
            }
            5 | 6 => self.if_statement(),
            7 | 8 => self.for_loop(),
            9 => {
                let e = self.expr(None);
                let v = self.new_var(e.ty, e.bound);
                self.detaches += 1;
                self.stmts.push(Stmt::Detach {
                    var: v,
                    expr: e.code,
                });
            }
            _ => {
                let e = self.expr(None);
                self.let_stmt(e);
            }
        }
    }

    /// `v op= rhs` for a `let mut` variable `v` of bound `b`; the new bound.
    fn compound(&mut self, v: usize, b: f64) -> (String, f64) {
        let ty = self.vars[v].ty;
        let (code, bound) = self.compound_any(v, ty, b);
        if bound <= MAX_BOUND {
            (code, bound)
        } else {
            (format!("{} *= 0.5;", pw(v)), b * 0.5)
        }
    }

    fn compound_any(&mut self, v: usize, ty: Ty, b: f64) -> (String, f64) {
        match self.rng.below(4) {
            0 => {
                let e = self.expr(Some(ty));
                (format!("{} += {};", pw(v), e.code), b + e.bound)
            }
            1 => {
                let e = self.expr(Some(ty));
                (format!("{} -= {};", pw(v), e.code), b + e.bound)
            }
            2 => match self.scalar_operand(2.0) {
                Some((s, bs)) => (format!("{} *= {s};", pw(v)), b * bs),
                None => (format!("{} *= 0.5;", pw(v)), b * 0.5),
            },
            _ => match self.scalar_operand(MAX_BOUND) {
                Some((s, _)) => (format!("{} /= {s} * {s} + 1.0;", pw(v)), b),
                None => (format!("{} /= 2.0;", pw(v)), b / 2.0),
            },
        }
    }

    fn if_statement(&mut self) {
        let cond = self.condition();
        if self.rng.chance(0.5) {
            // let x = if cond { a } else { b };
            let e1 = self.expr(None);
            let e2 = self.expr(Some(e1.ty));
            let v = self.new_var(e1.ty, e1.bound.max(e2.bound));
            self.stmts.push(Stmt::Code(format!(
                "let {} = if {cond} {{\n    {}\n}} else {{\n    {}\n}};",
                pw(v),
                e1.code,
                e2.code
            )));
        } else {
            // let mut y = ..; if cond { y op= .. } [else { y op= .. }]
            let e = self.expr(None);
            let v = self.new_var(e.ty, e.bound);
            let (then, b1) = self.compound(v, e.bound);
            let mut code = format!(
                "let mut {} = {};\nif {cond} {{\n    {then}\n}}",
                pw(v),
                e.code
            );
            let mut bound = b1;
            if self.rng.chance(0.6) {
                let (other, b2) = self.compound(v, e.bound);
                code += &format!(" else {{\n    {other}\n}}");
                bound = bound.max(b2);
            }
            self.vars[v].bound = bound.max(e.bound);
            self.stmts.push(Stmt::Code(code));
        }
    }

    fn for_loop(&mut self) {
        let Some(vk) = self.pick_var(|v| matches!(v.ty, Ty::M(..)) && v.bound <= 5.0) else {
            return;
        };
        let n = self.vars[vk].ty.len();
        let bv = self.vars[vk].bound;
        match self.rng.below(7) {
            4 => {
                // A runtime trip count (`len()`), with `continue` on some entries.
                let acc = self.new_var(Ty::S, n as f64 * bv);
                self.stmts.push(Stmt::Code(format!(
                    "let mut {a} = 0.0;\nfor i in 0..{v}.len() {{\n    if {v}[i] < -0.5 {{\n        continue;\n    }}\n    {a} += {v}[i];\n}}",
                    a = pw(acc),
                    v = ph(vk)
                )));
            }
            5 => {
                // `while` with a counter and a `break` on the running value.
                let acc = self.new_var(Ty::S, n as f64 * bv * bv);
                self.stmts.push(Stmt::Code(format!(
                    "let mut {a} = 0.0;\nlet mut i = 0;\nwhile i < {n} {{\n    {a} += {v}[i] * {v}[i];\n    if {a} > 2.5 {{\n        break;\n    }}\n    i += 1;\n}}",
                    a = pw(acc),
                    v = ph(vk)
                )));
            }
            6 => {
                // `loop` left by `break value`.
                let Some((w, _)) = self.scalar_operand(3.0) else {
                    return;
                };
                let acc = self.new_var(Ty::S, 1.0);
                self.stmts.push(Stmt::Code(format!(
                    "let mut k = 0;\nlet mut {aw} = 0.0;\nlet {rw} = loop {{\n    {aw} = ({a} * 0.5 + {w} * {v}[k]).sin();\n    k += 1;\n    if k == {n} {{\n        break {a} * 0.5;\n    }}\n}};",
                    aw = format!("{}_s", pw(acc)),
                    a = format!("{}_s", ph(acc)),
                    rw = pw(acc),
                    v = ph(vk)
                )));
            }
            0 => {
                // A scalar recurrence.
                let Some((w, _)) = self.scalar_operand(3.0) else {
                    return;
                };
                let acc = self.new_var(Ty::S, 1.0);
                self.stmts.push(Stmt::Code(format!(
                    "let mut {aw} = 0.0;\nfor i in 0..{n} {{\n    {aw} = ({a} * {w} + {v}[i]).tanh();\n}}",
                    aw = pw(acc),
                    a = ph(acc),
                    v = ph(vk)
                )));
            }
            1 => {
                // A sum of products with another vector of the same length.
                let Some(uk) = self.pick_ty(self.vars[vk].ty, 5.0) else {
                    return;
                };
                let bu = self.vars[uk].bound;
                let (init, b0) = self
                    .scalar_operand(MAX_BOUND)
                    .unwrap_or(("0.0".into(), 0.0));
                let acc = self.new_var(Ty::S, b0 + n as f64 * bv * bu);
                self.stmts.push(Stmt::Code(format!(
                    "let mut {a} = {init};\nfor i in 0..{n} {{\n    {a} += {v}[i] * {u}[i];\n}}",
                    a = pw(acc),
                    v = ph(vk),
                    u = ph(uk)
                )));
            }
            2 => {
                // A branch inside the loop, on the entry.
                let Some((s, bs)) = self.scalar_operand(3.0) else {
                    return;
                };
                let acc = self.new_var(Ty::S, n as f64 * bv * bs.max(1.0));
                self.stmts.push(Stmt::Code(format!(
                    "let mut {a} = 0.0;\nfor i in 0..{n} {{\n    if {v}[i] > 0.0 {{\n        {a} += {v}[i];\n    }} else {{\n        {a} -= {v}[i] * {s};\n    }}\n}}",
                    a = pw(acc),
                    v = ph(vk)
                )));
            }
            _ => {
                // A vector state through a square matrix: an unrolled RNN.
                let square = self.vars[vk]
                    .ty
                    .is_vector()
                    .then(|| self.pick_ty(Ty::M(n, n), 3.0));
                let Some(mk) = square.flatten() else {
                    let acc = self.new_var(Ty::S, 1.0);
                    self.stmts.push(Stmt::Code(format!(
                        "let mut {aw} = 0.0;\nfor i in 0..{n} {{\n    {aw} = ({a} + {v}[i] * (i as f64)).sin();\n}}",
                        aw = pw(acc),
                        a = ph(acc),
                        v = ph(vk)
                    )));
                    return;
                };
                let h = self.new_var(Ty::M(n, 1), 1.0);
                let steps = 2 + self.rng.below(3);
                self.stmts.push(Stmt::Code(format!(
                    "let mut {hw} = {v0};\nfor i in 0..{steps} {{\n    {hw} = ({m} * {h} + {h} * (i as f64 * 0.5)).tanh();\n}}",
                    hw = pw(h),
                    h = ph(h),
                    v0 = self.own(vk),
                    m = ph(mk)
                )));
            }
        }
    }

    /// The tail: every still-unused variable folded into a value of type `out`.
    fn tail(&mut self, out: Out) -> (String, f64) {
        let main_ty = match out {
            Out::One(t) | Out::Pair(t) => t,
        };
        let main = match self.pick_var(|v| v.ty == main_ty && v.bound <= MAX_BOUND) {
            Some(k) => {
                let code = self.own(k);
                let e = Expr {
                    code,
                    ty: main_ty,
                    bound: self.vars[k].bound,
                };
                self.let_stmt(e)
            }
            None => {
                let e = self.expr(Some(main_ty));
                self.let_stmt(e)
            }
        };
        let mut main = main;
        let scalar = if let Out::Pair(_) = out {
            Some(match self.pick_ty(Ty::S, MAX_BOUND) {
                Some(k) => k,
                None => {
                    let e = self.expr(Some(Ty::S));
                    self.let_stmt(e)
                }
            })
        } else {
            None
        };
        loop {
            let unused: Vec<usize> = (0..self.vars.len())
                .filter(|&k| {
                    (self.vars[k].live || Some(k) == self.constant)
                        && !self.mentioned(k)
                        && Some(k) != scalar
                        && k != main
                })
                .collect();
            let Some(&w) = unused.first() else { break };
            self.vars[w].used = true;
            let reduced = match self.vars[w].ty {
                Ty::S => self.own(w),
                _ => format!("{}.{}()", ph(w), self.rng.pick(&["sum", "mean", "norm"])),
            };
            let code = match main_ty {
                Ty::S => format!("{} + {reduced} * 0.5", ph(main)),
                _ => format!(
                    "{} + {}::from_element({reduced} * 0.1)",
                    ph(main),
                    main_ty.path()
                ),
            };
            let bound = self.vars[main].bound
                + self.vars[w].bound * main_ty.len().max(ty_len(self.vars[w].ty)) as f64;
            let v = self.new_var(main_ty, bound);
            self.vars[main].used = true;
            self.stmts
                .push(Stmt::Code(format!("let {} = {code};", pw(v))));
            main = v;
        }
        self.vars[main].used = true;
        let bound = self.vars[main].bound;
        let value = match (out, scalar) {
            (Out::Pair(_), Some(s)) => {
                self.vars[s].used = true;
                format!("({}, {})", self.own(s), ph(main))
            }
            _ => ph(main),
        };
        (value, bound)
    }
}

fn ty_len(t: Ty) -> usize {
    t.len()
}

/// Replaces every `$k$` in `code` with `name(k)`.
fn render(code: &str, name: &dyn Fn(usize) -> String) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(start) = rest.find(['$', '#']) {
        out.push_str(&rest[..start]);
        let marker = rest.as_bytes()[start] as char;
        let after = &rest[start + 1..];
        let end = after.find(marker).expect("unterminated placeholder");
        let k: usize = after[..end].parse().expect("placeholder index");
        // A dereferenced `&` parameter used as a method receiver needs parentheses.
        if out.ends_with('*') && after[end + 1..].starts_with('.') {
            out.pop();
            out.push_str(&format!("(*{})", name(k)));
        } else {
            out.push_str(&name(k));
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn indent(code: &str, by: &str) -> String {
    code.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{by}{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// One generated program: its source (function, maybe frozen twin, test).
struct Program {
    source: String,
    signature: Signature,
}

fn program(index: usize, rng: &mut Rng, earlier: &[Signature]) -> Program {
    let name = format!("prog_{index:02}");
    let mut body = Body {
        rng,
        vars: Vec::new(),
        stmts: Vec::new(),
        lets: 0,
        detaches: 0,
        earlier,
        constant: None,
    };
    // Parameters: one to four differentiated ones (always a scalar among them), maybe
    // a constant.
    let n_diff = 1 + body.rng.below(4);
    let mut params = Vec::new();
    for i in 0..n_diff {
        let ty = if i == 0 || body.rng.chance(0.35) {
            Ty::S
        } else {
            *body.rng.pick(&SHAPES)
        };
        let by_ref = body.rng.chance(if ty == Ty::S { 0.1 } else { 0.5 });
        let prefix = match ty {
            Ty::S => "x",
            Ty::M(_, 1) => "v",
            _ => "m",
        };
        body.vars.push(Var {
            name: format!("{prefix}{i}"),
            ty,
            bound: 1.0,
            by_ref,
            used: false,
            live: true,
        });
        params.push(Param {
            var: body.vars.len() - 1,
            constant: false,
        });
    }
    if body.rng.chance(0.3) {
        body.vars.push(Var {
            name: "c".into(),
            ty: Ty::S,
            bound: 1.0,
            by_ref: false,
            used: true,
            live: false,
        });
        let k = body.vars.len() - 1;
        body.constant = Some(k);
        params.push(Param {
            var: k,
            constant: true,
        });
    }
    // Shuffle the parameter order a little.
    if params.len() > 1 && body.rng.chance(0.5) {
        let last = params.len() - 1;
        params.swap(0, last);
    }
    let out = match body.rng.below(10) {
        0..=5 => Out::One(Ty::S),
        6..=8 => Out::One(*body.rng.pick(&SHAPES)),
        _ => Out::Pair(*body.rng.pick(&SHAPES)),
    };
    let n_stmts = 4 + body.rng.below(7);
    for _ in 0..n_stmts {
        body.statement();
    }
    let (tail, bound) = body.tail(out);
    let use_return = body.rng.chance(0.15);

    let vars = body.vars.clone();
    let stmts = std::mem::take(&mut body.stmts);
    let detaches = body.detaches;
    let plain = |k: usize| vars[k].name.clone();
    let frozen = |k: usize| format!("{}_0", vars[k].name);

    let out_ty = match out {
        Out::One(t) => t.rust(),
        Out::Pair(t) => format!("(f64, {})", t.rust()),
    };
    let param_decl = |p: &Param, suffix: &str, attrs: bool| {
        let v = &vars[p.var];
        let amp = if v.by_ref { "&" } else { "" };
        let attr = if p.constant && attrs {
            "#[constant] "
        } else {
            ""
        };
        format!("{attr}{}{suffix}: {amp}{}", v.name, v.ty.rust())
    };

    let mut src = String::new();
    let decls: Vec<String> = params.iter().map(|p| param_decl(p, "", true)).collect();
    // A quarter of the programs without detached values are drawn as a method of
    // a unit struct (`Prog07::value`), called through its free function
    // (`prog07_value`) by a differentiable `prog_07` of the same signature.
    let method = (detaches == 0 && body.rng.chance(0.25)).then(|| {
        let ty = format!("Prog{index:02}");
        let free = format!("prog{index:02}_value");
        (ty, free)
    });
    if let Some((ty, _)) = &method {
        let _ = writeln!(src, "/// `{name}`, drawn as a method.");
        let _ = writeln!(src, "pub struct {ty};\n");
        let _ = writeln!(src, "#[differentiable]\nimpl {ty} {{");
        let _ = writeln!(src, "    #[allow(clippy::too_many_arguments)]");
        let _ = writeln!(
            src,
            "    pub fn value(&self, {}) -> {out_ty} {{",
            decls.join(", ")
        );
    } else {
        let _ = writeln!(src, "#[differentiable]");
        let _ = writeln!(src, "fn {name}({}) -> {out_ty} {{", decls.join(", "));
    }
    let pad = if method.is_some() { "        " } else { "    " };
    for s in &stmts {
        let code = match s {
            Stmt::Code(c) => render(c, &plain),
            Stmt::Detach { var, expr } => {
                format!(
                    "let {} = autograd::detach({});",
                    plain(*var),
                    render(expr, &plain)
                )
            }
        };
        let _ = writeln!(src, "{}", indent(&code, pad));
    }
    let tail_code = render(&tail, &plain);
    if use_return {
        let _ = writeln!(src, "{pad}return {tail_code};");
    } else {
        let _ = writeln!(src, "{pad}{tail_code}");
    }
    if let Some((ty, free)) = &method {
        let pass: Vec<String> = params.iter().map(|p| vars[p.var].name.clone()).collect();
        let _ = writeln!(src, "    }}\n}}\n");
        let _ = writeln!(src, "#[differentiable]");
        let _ = writeln!(src, "fn {name}({}) -> {out_ty} {{", decls.join(", "));
        let _ = writeln!(src, "    {free}(&{ty}, {})", pass.join(", "));
    }
    let _ = writeln!(src, "}}\n");

    // The frozen twin: the body run once at the base point up to the last detach,
    // then again at the probed point with the detached values taken from the first
    // run.
    if detaches > 0 {
        // A scalar program's twin is differentiable too: its gradient, with the
        // detached values held at the base point, is what `hvp` differentiates.
        let scalar = out == Out::One(Ty::S);
        if scalar {
            let _ = writeln!(src, "#[differentiable]");
        }
        let _ = writeln!(src, "#[allow(unused_variables, unused_mut, unused_assignments, clippy::too_many_arguments)]");
        let base = |p: &Param| {
            let decl = param_decl(p, "_0", false);
            if scalar {
                format!("#[constant] {decl}")
            } else {
                decl
            }
        };
        let mut decls: Vec<String> = params.iter().map(base).collect();
        decls.extend(params.iter().map(|p| param_decl(p, "", scalar)));
        let _ = writeln!(src, "fn {name}_frozen({}) -> {out_ty} {{", decls.join(", "));
        let last = stmts
            .iter()
            .rposition(|s| matches!(s, Stmt::Detach { .. }))
            .unwrap();
        let mut d = 0;
        for s in &stmts[..=last] {
            let code = match s {
                Stmt::Code(c) => render(c, &frozen),
                Stmt::Detach { var, expr } => {
                    d += 1;
                    format!(
                        "let {} = {};\nlet detached_{d} = {};",
                        frozen(*var),
                        render(expr, &frozen),
                        frozen(*var)
                    )
                }
            };
            let _ = writeln!(src, "{}", indent(&code, "    "));
        }
        let mut d = 0;
        for s in &stmts {
            let code = match s {
                Stmt::Code(c) => render(c, &plain),
                Stmt::Detach { var, .. } => {
                    d += 1;
                    format!("let {} = detached_{d};", plain(*var))
                }
            };
            let _ = writeln!(src, "{}", indent(&code, "    "));
        }
        let _ = writeln!(src, "    {tail_code}\n}}\n");
    }

    // The test.
    let _ = writeln!(src, "#[test]");
    let _ = writeln!(src, "fn {name}_matches_finite_differences() {{");
    for p in &params {
        let v = &vars[p.var];
        let _ = writeln!(src, "    let {} = {};", v.name, literal(body.rng, v.ty));
    }
    let call_args: Vec<String> = params
        .iter()
        .map(|p| {
            let v = &vars[p.var];
            if v.by_ref {
                format!("&{}", v.name)
            } else {
                v.name.clone()
            }
        })
        .collect();
    let args = call_args.join(", ");
    let diff: Vec<&Param> = params.iter().filter(|p| !p.constant).collect();
    let x_ty: Vec<String> = diff.iter().map(|p| vars[p.var].ty.rust()).collect();
    let x_vals: Vec<String> = diff.iter().map(|p| vars[p.var].name.clone()).collect();
    let g_fields: Vec<String> = diff
        .iter()
        .map(|p| format!("g.{}", vars[p.var].name))
        .collect();
    // The probed call: differentiated parameters from the closure's tuple.
    let probe_args: Vec<String> = params
        .iter()
        .map(|p| {
            let v = &vars[p.var];
            match diff.iter().position(|d| d.var == p.var) {
                Some(i) if v.by_ref => format!("&x.{i}"),
                Some(i) => format!("x.{i}"),
                None => v.name.clone(),
            }
        })
        .collect();
    let reference = if detaches > 0 {
        format!("{name}_frozen({args}, {})", probe_args.join(", "))
    } else {
        format!("{name}({})", probe_args.join(", "))
    };
    let _ = writeln!(src, "    let x = ({},);", x_vals.join(", "));
    let _ = writeln!(src, "    let f = |x: &({},)| {reference};", x_ty.join(", "));
    if out == Out::One(Ty::S) {
        let _ = writeln!(src, "    let (value, g) = {name}::grad({args});");
        let _ = writeln!(src, "    same_value(&value, &{name}({args}));");
        let _ = writeln!(src, "    let grad = ({},);", g_fields.join(", "));
        let _ = writeln!(
            src,
            "    check_vjp(\"{name} grad\", f, &x, &1.0, &grad, TOL);"
        );
        if let Some((ty, _)) = &method {
            // The method's sibling gives the same value and gradient.
            let m_fields: Vec<String> = diff
                .iter()
                .map(|p| format!("mg.{}", vars[p.var].name))
                .collect();
            let _ = writeln!(src, "    let (mv, mg) = {ty}.value_grad({args});");
            let _ = writeln!(src, "    same_value(&mv, &value);");
            let _ = writeln!(src, "    same_value(&({},), &grad);", m_fields.join(", "));
        }
        // Second order: `hvp` along a fixed direction against central differences
        // of the generated gradient along it.
        let v_fields: Vec<String> = diff
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{}: v.{i}", vars[p.var].name))
            .collect();
        let hv_fields: Vec<String> = diff
            .iter()
            .map(|p| format!("h.{}", vars[p.var].name))
            .collect();
        // With detached values, the derivative of the twin's gradient (whose
        // detached values stay at the base point), as `hvp` holds them too.
        let (grad_of, probe) = if detaches > 0 {
            (
                format!("{name}_frozen"),
                format!("{args}, {}", probe_args.join(", ")),
            )
        } else {
            (name.to_string(), probe_args.join(", "))
        };
        let _ = writeln!(src, "    let v = direction(&x);");
        let _ = writeln!(
            src,
            "    let (value, g, h) = {name}::hvp({args}, &{name}::Grad {{ {} }});",
            v_fields.join(", ")
        );
        let _ = writeln!(src, "    same_value(&value, &{name}({args}));");
        let _ = writeln!(src, "    same_value(&({},), &grad);", g_fields.join(", "));
        let _ = writeln!(
            src,
            "    let grad_at = |x: &({},)| {{ let g = {grad_of}::grad({}).1; ({},) }};",
            x_ty.join(", "),
            probe,
            g_fields.join(", ")
        );
        let _ = writeln!(
            src,
            "    check_hvp(\"{name} hvp\", grad_at, &x, &v, &({},));",
            hv_fields.join(", ")
        );
    }
    let u_ty = match out {
        Out::One(t) => t,
        Out::Pair(t) => t,
    };
    let u = match out {
        Out::Pair(_) => format!(
            "({}, {})",
            literal(body.rng, Ty::S),
            literal(body.rng, u_ty)
        ),
        Out::One(t) => literal(body.rng, t),
    };
    let _ = writeln!(src, "    let (value, pullback) = {name}::vjp({args});");
    let _ = writeln!(src, "    same_value(&value, &{name}({args}));");
    let _ = writeln!(src, "    let u = {u};");
    let _ = writeln!(src, "    let g = pullback(u);");
    let _ = writeln!(src, "    let grad = ({},);", g_fields.join(", "));
    let _ = writeln!(src, "    check_vjp(\"{name} vjp\", f, &x, &u, &grad, TOL);");
    let _ = writeln!(src, "}}\n");

    Program {
        source: src,
        signature: Signature {
            name,
            params: params
                .iter()
                .map(|p| (vars[p.var].ty, vars[p.var].by_ref, p.constant))
                .collect(),
            out,
            bound,
            uses_detach: detaches > 0,
        },
    }
}

/// The text of the file before the programs: imports and the freshness test.
const PREAMBLE: &str = r#"//! Random `#[differentiable]` programs checked against finite differences.
//!
//! GENERATED by `tests/random_programs/generator.rs` (seeded, deterministic): do not
//! edit by hand. Regenerate with
//! `RANDOM_PROGRAMS=overwrite cargo test --test static_random_programs`.
//!
//! Each program's test checks `NAME::grad` (scalar outputs) and `NAME::vjp` with a
//! random cotangent against central differences of the plain function (of its frozen
//! twin when the program detaches values), and that both return the plain value (to
//! 1e-13). For scalar outputs, `NAME::hvp` along a fixed direction must return the
//! same value and gradient and, as the Hessian-vector product, the central
//! differences of the generated gradient along that direction (of the frozen
//! twin's, itself `#[differentiable]`, when the program detaches values: `hvp`
//! holds detached values constant, as PyTorch's double backward does). Hand-written programs
//! at the edges of the language are in `tests/random_programs/edge_cases.rs`.
#![allow(
    clippy::needless_return,
    clippy::clone_on_copy,
    clippy::let_and_return,
    clippy::if_same_then_else,
    clippy::misrefactored_assign_op,
    clippy::approx_constant
)]

use autograd::nalgebra::{SMatrix, SVector};
use autograd::prelude::*;
use autograd::testing::{assert_close, check_vjp, directional_derivative, Flat};

#[path = "random_programs/generator.rs"]
mod generator;

#[path = "random_programs/edge_cases.rs"]
mod edge_cases;

/// Relative tolerance of the finite-difference comparisons.
const TOL: f64 = 1e-6;

/// The value returned by `grad`/`vjp` is the plain function's, up to the rounding
/// of `powi`, whose result Rust leaves non-deterministic (it may differ between an
/// inlined and an out-of-line call on the same input).
fn same_value<Y: Flat>(generated: &Y, plain: &Y) {
    assert_close(&generated.flat(), &plain.flat(), 1e-13, "value");
}

/// A fixed direction shaped like `x`, with entries of both signs and several sizes.
fn direction<X: Flat>(x: &X) -> X {
    let n = x.flat().len();
    let coords: Vec<f64> = (0..n)
        .map(|i| [0.7, -0.4, 0.25, -0.9, 0.55][i % 5])
        .collect();
    x.unflatten(&mut &coords[..])
}

/// `hv` must equal `(grad(x + h v) - grad(x - h v)) / 2h`, the derivative of the
/// generated gradient along `v`.
fn check_hvp<X: Flat>(what: &str, grad: impl Fn(&X) -> X, x: &X, v: &X, hv: &X) {
    assert_close(&hv.flat(), &directional_derivative(grad, x, v), TOL, what);
}

#[test]
fn random_programs_file_is_current() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/static_random_programs.rs"
    );
    let text = generator::generate();
    if std::env::var("RANDOM_PROGRAMS").as_deref() == Ok("overwrite") {
        std::fs::write(path, &text).expect("write tests/static_random_programs.rs");
        return;
    }
    let committed = std::fs::read_to_string(path).expect("read tests/static_random_programs.rs");
    let first_diff = committed
        .lines()
        .zip(text.lines())
        .position(|(a, b)| a != b)
        .map_or(committed.lines().count().min(text.lines().count()), |i| i);
    assert!(
        committed == text,
        "tests/static_random_programs.rs differs from its generator (first at line {}): \
         run `RANDOM_PROGRAMS=overwrite cargo test --test static_random_programs` to regenerate",
        first_diff + 1
    );
}
"#;

/// The whole text of `tests/static_random_programs.rs`.
pub fn generate() -> String {
    generate_with(SEED, PROGRAMS)
}

/// The file for another seed and number of programs (for exploring).
pub fn generate_with(seed: u64, programs: usize) -> String {
    let mut rng = Rng(seed);
    let mut text = String::from(PREAMBLE);
    text.push_str("\n#[rustfmt::skip]\nmod programs {\nuse super::*;\n\n");
    let mut sigs: Vec<Signature> = Vec::new();
    for i in 0..programs {
        let p = program(i, &mut rng, &sigs);
        text.push_str(&p.source);
        sigs.push(p.signature);
    }
    text.push_str("}\n");
    text
}
