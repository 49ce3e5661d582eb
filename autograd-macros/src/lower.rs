//! Lower phase: the body becomes forward code plus a list of reverse entries.
//!
//! The lowering walks the body once, in order. A value is *active* when it depends
//! on a differentiated parameter. Inactive code is emitted exactly as the user wrote
//! it, so it means what rustc says it means; each active operation becomes a call to
//! a rule trait (`MulRule::value(&a, &b)`) bound to a fresh variable, and pushes a
//! reverse entry that will call the rule's pullback. Every active `let` also binds
//! the user's name to its value, so the user's names stay in scope for the inactive
//! code around them, with Rust's own shadowing and block scoping.
//!
//! Blocks, `if`/`else`, `for` loops and `map` closures are *regions*: their forward
//! code stays in place and their reverse code becomes a closure that maps the
//! cotangents of what leaves the region (its value and the outer variables it
//! assigns) to the cotangents of the outer values it read.
//!
//! ```text
//! let p = (w * x + b).tanh();     let __ad4 = MulRule::value(&__ad0, &__ad3);
//!                                 let __ad5 = AddRule::value(&__ad4, &__ad1);
//!                                 let __ad6 = Unary::<Tanh>::value(&__ad5);
//!                                 let p = __ad6;
//! ```

use crate::ctxt::Ctxt;
use crate::parse::FnView;
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use std::collections::HashSet;
use syn::spanned::Spanned;
use syn::{BinOp, Block, Expr, Ident, Local, Pat, Stmt, UnOp};

/// An SSA value of the generated code.
pub type VarId = usize;

/// The result of lowering an expression.
#[derive(Clone)]
pub enum Val {
    /// A differentiated value, held in variable `__ad{id}`.
    Active(VarId),
    /// A constant: the tokens that compute it, and whether they are a reference.
    Inactive { tokens: TokenStream, is_ref: bool },
}

impl Val {
    fn unit() -> Val {
        Val::Inactive {
            tokens: quote!(()),
            is_ref: false,
        }
    }
    fn active(&self) -> Option<VarId> {
        match self {
            Val::Active(v) => Some(*v),
            Val::Inactive { .. } => None,
        }
    }
}

/// What a user's name refers to.
#[derive(Clone, PartialEq)]
enum Binding {
    Active(VarId),
    Inactive { is_ref: bool },
}

type Scopes = Vec<Vec<(String, Binding)>>;

/// A position in the scope stack: (scope, entry).
type Pos = (usize, usize);

/// One step of the reverse sweep.
pub enum Rev {
    /// A primitive (or a call): `contrib` computes the cotangents of `targets` from
    /// `__gout`, a reference to the cotangent of `out`; a tuple when `tuple`.
    /// `via_contribution`: a callee's cotangent, `()` for its constant parameters.
    Prim {
        out: VarId,
        contrib: TokenStream,
        targets: Vec<Option<VarId>>,
        tuple: bool,
        via_contribution: bool,
        /// Second order (`Mode::Hvp`): the derivative of `contrib` along the
        /// operands' tangents, for the first component of the cotangent pair; `None`
        /// for a rule linear in its operands.
        second: Option<TokenStream>,
        /// `contrib` already maps a cotangent pair to pairs (a callee's `__hvp`
        /// pullback, `map`'s), instead of being applied to each component.
        pairs: bool,
    },
    /// `out = base.member` (a tuple element or a struct field): the cotangent of
    /// `out` goes into that field of `base`'s, without building a whole zero
    /// struct per field read once `base`'s cotangent exists.
    Field {
        out: VarId,
        base: VarId,
        member: syn::Member,
    },
    /// A block or branch: `call((cotangents of outs))` gives those of `targets`.
    Region {
        outs: Vec<VarId>,
        call: TokenStream,
        targets: Vec<VarId>,
    },
    /// A `for` loop whose per-iteration pullbacks are on `tape`. `carried` pairs the
    /// value after the loop with the one before it (none if it was constant).
    Loop {
        tape: Ident,
        carried: Vec<(VarId, Option<VarId>)>,
        invariants: Vec<VarId>,
    },
}

/// The code of one region being built.
pub struct RegionBuf {
    id: usize,
    /// Forward code.
    pub fwd: TokenStream,
    /// Reverse entries, in forward order.
    pub rev: Vec<Rev>,
    /// Active values defined outside the region and read inside, in first-use order.
    pub inputs: Vec<VarId>,
}

/// The lowered function.
pub struct Lowered {
    /// The function's region.
    pub region: RegionBuf,
    /// For each parameter, its variable if it is differentiated.
    pub params: Vec<Option<VarId>>,
    /// The function's value.
    pub tail: Val,
}

/// The variable holding value `id`.
pub fn var(id: VarId) -> Ident {
    Ident::new(&format!("__ad{id}"), Span::mixed_site())
}

/// Which derivative the lowering generates code for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Reverse mode: forward code plus reverse entries.
    Vjp,
    /// Forward mode: forward code that also carries a tangent for every active value.
    Jvp,
    /// Forward over reverse (Hessian-vector products): the forward code of `Jvp`
    /// plus reverse entries whose cotangents are pairs `(g, dg)`, `dg` being the
    /// derivative of `g` along the tangents.
    Hvp,
}

impl Mode {
    /// Whether the forward code carries tangents.
    pub fn tangents(self) -> bool {
        self != Mode::Vjp
    }
}

/// The variable holding the tangent of value `id` (forward mode).
pub fn tan(id: VarId) -> Ident {
    Ident::new(&format!("__t{id}"), Span::mixed_site())
}

/// The variable receiving the tangent argument of parameter `i` (forward mode).
pub fn tangent_arg(i: usize) -> Ident {
    Ident::new(&format!("__ta{i}"), Span::mixed_site())
}

/// The variable holding the cotangent of value `id`.
pub fn cot(id: VarId) -> Ident {
    Ident::new(&format!("__g{id}"), Span::mixed_site())
}

fn private() -> TokenStream {
    quote!(::autograd::__private)
}

/// Lowers the body of `view`. Errors go to `cx`; the result is only meaningful if
/// there are none.
pub fn lower(view: &FnView, cx: &mut Ctxt, mode: Mode) -> Lowered {
    let generics = &view.item.sig.generics;
    let const_params = generics
        .const_params()
        .map(|c| c.ident.to_string())
        .collect();
    let type_params = generics
        .type_params()
        .map(|t| t.ident.to_string())
        .collect();
    let mut l = Lowerer {
        cx,
        counter: 0,
        scopes: vec![Vec::new()],
        regions: Vec::new(),
        var_region: Vec::new(),
        next_region: 0,
        const_params,
        type_params,
        ref_vars: HashSet::new(),
        mode,
    };
    l.push_region();
    let mut params = Vec::new();
    for (i, p) in view.params.iter().flatten().enumerate() {
        if p.constant {
            l.bind(&p.ident, Binding::Inactive { is_ref: p.by_ref });
            params.push(None);
        } else {
            let v = l.new_var();
            let (x, ident) = (var(v), &p.ident);
            let deref = p.by_ref.then(|| quote!(*));
            l.emit(quote!(let #x = #deref #ident;));
            if mode.tangents() {
                let (t, a, p) = (tan(v), tangent_arg(i), private());
                l.emit(quote!(let #t = #p::tangent_for(#a, &#x);));
            }
            l.bind(ident, Binding::Active(v));
            if p.by_ref {
                l.ref_vars.insert(v);
            }
            params.push(Some(v));
        }
    }
    let tail = l.body(&view.item.block.stmts);
    if let Val::Active(v) = &tail {
        l.use_var(*v);
    }
    let region = l.pop_region();
    Lowered {
        region,
        params,
        tail,
    }
}

struct Lowerer<'a> {
    cx: &'a mut Ctxt,
    counter: usize,
    scopes: Scopes,
    regions: Vec<RegionBuf>,
    var_region: Vec<usize>,
    next_region: usize,
    const_params: HashSet<String>,
    type_params: HashSet<String>,
    /// Active values the user's code sees through a reference (`x: &SVector<..>`).
    ref_vars: HashSet<VarId>,
    mode: Mode,
}

/// Scalar functions, by their rule in `autograd::rules`.
const UNARY_FNS: &[(&str, &str)] = &[
    ("tanh", "Tanh"),
    ("sin", "Sin"),
    ("cos", "Cos"),
    ("ln", "Ln"),
    ("sqrt", "Sqrt"),
    ("abs", "Abs"),
    ("recip", "Recip"),
    ("relu", "Relu"),
    ("sigmoid", "Sigmoid"),
    ("softplus", "Softplus"),
];
/// Rules linear in their operands: their pullback does not depend on the operands
/// (`max`/`min` only through which one is selected), so they add no second-order
/// term.
const LINEAR_RULES: &[&str] = &[
    "add",
    "sub",
    "neg",
    "index",
    "transpose",
    "sum",
    "mean",
    "max",
    "min",
    "max_entry",
    "min_entry",
];
/// Methods of one operand, by the dispatch function of their rule.
const UNARY_RULES: &[(&str, &str)] = &[
    ("exp", "exp"),
    ("transpose", "transpose"),
    ("sum", "sum"),
    ("mean", "mean"),
    ("norm", "norm"),
    ("norm_squared", "norm_squared"),
    ("max", "max_entry"),
    ("min", "min_entry"),
];
/// Methods of two operands, by the dispatch function of their rule.
const BINARY_RULES: &[(&str, &str)] = &[
    ("powf", "powf"),
    ("max", "max"),
    ("min", "min"),
    ("dot", "dot"),
    ("component_mul", "component_mul"),
    ("component_div", "component_div"),
];
/// Methods whose result is never differentiated (shapes, tests).
const QUERIES: &[&str] = &[
    "nrows",
    "ncols",
    "len",
    "shape",
    "is_empty",
    "is_nan",
    "is_finite",
    "is_infinite",
    "is_sign_positive",
    "is_sign_negative",
    "is_square",
    "partial_cmp",
    "total_cmp",
];
const SUPPORTED: &str = "tanh exp ln sin cos sqrt abs powi powf recip max min relu sigmoid softplus transpose component_mul component_div dot sum mean norm norm_squared map clone";

impl Lowerer<'_> {
    // ----- bookkeeping -------------------------------------------------------

    fn fresh(&mut self, prefix: &str) -> Ident {
        self.counter += 1;
        Ident::new(&format!("{prefix}{}", self.counter), Span::mixed_site())
    }

    fn push_region(&mut self) {
        self.regions.push(RegionBuf {
            id: self.next_region,
            fwd: TokenStream::new(),
            rev: Vec::new(),
            inputs: Vec::new(),
        });
        self.next_region += 1;
    }

    fn pop_region(&mut self) -> RegionBuf {
        self.regions.pop().expect("region stack is balanced")
    }

    fn region(&mut self) -> &mut RegionBuf {
        self.regions
            .last_mut()
            .expect("lowering always runs inside a region")
    }

    fn new_var(&mut self) -> VarId {
        let id = self.region().id;
        self.var_region.push(id);
        self.var_region.len() - 1
    }

    /// Records that the current region reads `v`: every region between here and
    /// the one defining `v` gets it as an input.
    fn use_var(&mut self, v: VarId) {
        let home = self.var_region[v];
        for r in self.regions.iter_mut().rev() {
            if r.id == home {
                break;
            }
            if !r.inputs.contains(&v) {
                r.inputs.push(v);
            }
        }
    }

    fn emit(&mut self, ts: TokenStream) {
        self.region().fwd.extend(ts);
    }

    fn rev(&mut self, r: Rev) {
        self.region().rev.push(r);
    }

    fn bind(&mut self, ident: &Ident, b: Binding) {
        let scope = self.scopes.last_mut().expect("a scope is open");
        scope.push((ident.to_string(), b));
    }

    fn lookup(&self, name: &str) -> Option<(Pos, &Binding)> {
        for (si, scope) in self.scopes.iter().enumerate().rev() {
            for (ei, (n, b)) in scope.iter().enumerate().rev() {
                if n == name {
                    return Some(((si, ei), b));
                }
            }
        }
        None
    }

    fn set(&mut self, (si, ei): Pos, b: Binding) {
        self.scopes[si][ei].1 = b;
    }

    fn name_at(&self, (si, ei): Pos) -> Ident {
        Ident::new(&self.scopes[si][ei].0, Span::call_site())
    }

    /// Whether `tokens` mention a name bound to an active value.
    fn mentions_active(&self, tokens: TokenStream) -> bool {
        tokens.into_iter().any(|t| match t {
            TokenTree::Ident(i) => {
                matches!(self.lookup(&i.to_string()), Some((_, Binding::Active(_))))
            }
            TokenTree::Group(g) => self.mentions_active(g.stream()),
            _ => false,
        })
    }

    fn inactive(&self, e: &impl ToTokens) -> Val {
        Val::Inactive {
            tokens: e.to_token_stream(),
            is_ref: false,
        }
    }

    /// Reports `msg` on `e` if `e` mentions an active value; the value is inactive.
    fn only_inactive(&mut self, e: &Expr, msg: &str) -> Val {
        if self.mentions_active(e.to_token_stream()) {
            self.cx.error(e, msg);
        }
        self.inactive(e)
    }

    // ----- statements --------------------------------------------------------

    /// Lowers the function's body, whose last statement may be `return value;`.
    fn body(&mut self, stmts: &[Stmt]) -> Val {
        match stmts.split_last() {
            Some((Stmt::Expr(Expr::Return(r), _), init)) => {
                self.stmts(init);
                match &r.expr {
                    Some(e) => self.expr(e),
                    None => Val::unit(),
                }
            }
            _ => self.stmts(stmts),
        }
    }

    /// Lowers statements in the current scope; returns the block's value.
    fn stmts(&mut self, stmts: &[Stmt]) -> Val {
        for (i, s) in stmts.iter().enumerate() {
            let last = i + 1 == stmts.len();
            match s {
                Stmt::Local(local) => self.local(local),
                Stmt::Item(item) => self.emit(item.to_token_stream()),
                Stmt::Macro(m) => self.emit(m.to_token_stream()),
                Stmt::Expr(e, None) if last => return self.expr(e),
                Stmt::Expr(e, _) => self.stmt_expr(e),
            }
        }
        Val::unit()
    }

    fn local(&mut self, local: &Local) {
        let Some(init) = &local.init else {
            self.cx.error(local, "give the binding its value where it is declared (`let x = ...;`): a differentiable body cannot assign it later");
            self.bind_pattern(&local.pat, &|_| Binding::Inactive { is_ref: false });
            return;
        };
        if let Some((_, diverge)) = &init.diverge {
            self.cx.error(
                diverge,
                "`let ... else` is not supported in a differentiable function: use `if`/`else`",
            );
            return;
        }
        let val = self.expr(&init.expr);
        match val {
            Val::Inactive { .. } => {
                let is_ref = is_ref_expr(&init.expr, self)
                    || matches!(&local.pat, Pat::Type(t) if matches!(*t.ty, syn::Type::Reference(_)));
                self.emit(local.to_token_stream());
                self.bind_pattern(&local.pat, &|_| Binding::Inactive { is_ref });
            }
            Val::Active(v) => self.bind_active(&local.pat, v),
        }
    }

    /// Binds the names of `pat` to active value `v` (a tuple for tuple patterns).
    fn bind_active(&mut self, pat: &Pat, v: VarId) {
        match pat {
            Pat::Ident(pi) if pi.subpat.is_none() => {
                let x = at(&var(v), pi.ident.span());
                self.emit(quote!(let #pat = #x;));
                self.bind(&pi.ident, Binding::Active(v));
            }
            Pat::Type(pt) if matches!(&*pt.pat, Pat::Ident(_)) => {
                let x = at(&var(v), pt.pat.span());
                self.emit(quote!(let #pat = #x;));
                if let Pat::Ident(pi) = &*pt.pat {
                    self.bind(&pi.ident, Binding::Active(v));
                }
            }
            Pat::Wild(_) => {}
            Pat::Tuple(t) => {
                for (i, elem) in t.elems.iter().enumerate() {
                    if matches!(elem, Pat::Wild(_)) {
                        continue;
                    }
                    let part = self.tuple_get(v, i, elem.span());
                    self.bind_active(elem, part);
                }
            }
            other => self.cx.error(
                other,
                "this pattern cannot bind a differentiated value: use a name or a tuple of names",
            ),
        }
    }

    fn bind_pattern(&mut self, pat: &Pat, b: &dyn Fn(&Ident) -> Binding) {
        match pat {
            Pat::Ident(pi) => {
                let binding = b(&pi.ident);
                self.bind(&pi.ident, binding);
            }
            Pat::Type(pt) => self.bind_pattern(&pt.pat, b),
            Pat::Tuple(t) => t.elems.iter().for_each(|p| self.bind_pattern(p, b)),
            Pat::Paren(p) => self.bind_pattern(&p.pat, b),
            Pat::Reference(r) => self.bind_pattern(&r.pat, b),
            Pat::TupleStruct(t) => t.elems.iter().for_each(|p| self.bind_pattern(p, b)),
            Pat::Slice(s) => s.elems.iter().for_each(|p| self.bind_pattern(p, b)),
            Pat::Struct(s) => s.fields.iter().for_each(|f| self.bind_pattern(&f.pat, b)),
            _ => {}
        }
    }

    fn stmt_expr(&mut self, e: &Expr) {
        match e {
            Expr::Assign(a) => self.assign(&a.left, None, &a.right, e),
            Expr::Binary(b) => match compound_op(&b.op) {
                Some(op) => self.assign(&b.left, Some(op), &b.right, e),
                None => self.effect(e),
            },
            Expr::Return(r) => {
                self.cx.error(r, "`return` is supported only as the last statement of a differentiable function: make the branches `if`/`else` expressions");
            }
            _ => self.effect(e),
        }
    }

    /// An expression evaluated for its effect: inactive code is kept as written.
    fn effect(&mut self, e: &Expr) {
        if let Val::Inactive { tokens, .. } = self.expr(e) {
            self.emit(quote!(#tokens;));
        }
    }

    /// `lhs = rhs` or `lhs op= rhs`.
    fn assign(&mut self, lhs: &Expr, op: Option<&'static str>, rhs: &Expr, whole: &Expr) {
        let name = match lhs {
            Expr::Path(p) if p.qself.is_none() => p.path.get_ident().cloned(),
            _ => None,
        };
        let Some(name) = name.filter(|n| self.lookup(&n.to_string()).is_some()) else {
            if self.mentions_active(rhs.to_token_stream()) {
                self.cx.error(whole, "assigning a differentiated value into part of a variable is not supported: build the matrix with `SMatrix::new(..)`, `from_element` or `map`");
            }
            self.emit(quote!(#whole;));
            return;
        };
        let (pos, _) = self.lookup(&name.to_string()).expect("checked above");
        let val = match op {
            None => self.expr(rhs),
            Some(rule) => {
                let current = self.expr(lhs);
                let r = self.expr(rhs);
                if current.active().is_none() && r.active().is_none() {
                    self.inactive(whole)
                } else {
                    self.rule2(rule, current, r, whole.span())
                }
            }
        };
        match val {
            Val::Active(v) => {
                let x = var(v);
                self.emit(quote!(#name = #x;));
                self.set(pos, Binding::Active(v));
            }
            Val::Inactive { .. } => {
                self.emit(quote!(#whole;));
                self.set(pos, Binding::Inactive { is_ref: false });
            }
        }
    }

    // ----- expressions -------------------------------------------------------

    fn expr(&mut self, e: &Expr) -> Val {
        match e {
            Expr::Paren(p) => self.expr(&p.expr),
            Expr::Group(g) => self.expr(&g.expr),
            Expr::Lit(_) => self.inactive(e),
            Expr::Path(p) => match p.path.get_ident().and_then(|i| self.lookup(&i.to_string())) {
                Some((_, Binding::Active(v))) => {
                    let v = *v;
                    self.use_var(v);
                    Val::Active(v)
                }
                Some((_, Binding::Inactive { is_ref })) => {
                    Val::Inactive { tokens: e.to_token_stream(), is_ref: *is_ref }
                }
                None => self.inactive(e),
            },
            Expr::Reference(r) => match self.expr(&r.expr) {
                Val::Active(v) => Val::Active(v),
                Val::Inactive { .. } => Val::Inactive { tokens: e.to_token_stream(), is_ref: true },
            },
            Expr::Unary(u) => match u.op {
                UnOp::Deref(_) => match self.expr(&u.expr) {
                    Val::Active(v) => Val::Active(v),
                    Val::Inactive { .. } => self.inactive(e),
                },
                UnOp::Neg(_) => match self.expr(&u.expr) {
                    a @ Val::Active(_) => self.rule1("neg", a, None, e.span()),
                    Val::Inactive { .. } => self.inactive(e),
                },
                _ => self.inactive(e),
            },
            Expr::Binary(b) => self.binary(b, e),
            Expr::MethodCall(mc) => self.method_call(mc, e),
            Expr::Call(c) => self.call(c, e),
            Expr::Index(ix) => match self.expr(&ix.expr) {
                m @ Val::Active(_) => {
                    let index = self.expr(&ix.index);
                    if index.active().is_some() {
                        self.cx.error(&ix.index, "an index must be a constant, not a differentiated value");
                    }
                    let index = self.constant(index);
                    self.rule1("index", m, Some(index), e.span())
                }
                Val::Inactive { .. } => self.inactive(e),
            },
            Expr::Tuple(t) => {
                let vals: Vec<Val> = t.elems.iter().map(|x| self.expr(x)).collect();
                if vals.iter().all(|v| v.active().is_none()) {
                    return self.inactive(e);
                }
                self.make_tuple(vals, e.span())
            }
                        Expr::Field(f) => match self.expr(&f.base) {
                Val::Active(v) => Val::Active(self.field_get(v, &f.member, e.span())),
                Val::Inactive { .. } => self.inactive(e),
            },
            Expr::Block(b) if b.label.is_none() => self.block(&b.block, e),
            Expr::If(i) => self.if_else(i, e),
            Expr::ForLoop(f) => self.for_loop(f, e),
            Expr::While(w) => {
                self.cx.error(w.while_token, "`while` cannot be differentiated: its trip count is not known at compile time; write `for i in 0..N` with a constant `N`");
                self.inactive(e)
            }
            Expr::Loop(l) => {
                self.cx.error(l.loop_token, "`loop` cannot be differentiated: its trip count is not known at compile time; write `for i in 0..N` with a constant `N`");
                self.inactive(e)
            }
            Expr::Closure(c) => {
                self.cx.error(c, "closures are differentiated only as the argument of `.map(|v| ..)`: move this computation into a `#[differentiable]` function and call it");
                self.inactive(e)
            }
            Expr::Return(r) => {
                self.cx.error(r, "`return` is supported only as the last statement of a differentiable function: make the branches `if`/`else` expressions");
                self.inactive(e)
            }
            Expr::Break(_) | Expr::Continue(_) => {
                self.cx.error(e, "`break` and `continue` cannot be differentiated: a loop must run its constant number of iterations; use `if`/`else` inside the body");
                self.inactive(e)
            }
            Expr::Let(l) => {
                self.cx.error(l, "`if let` is not supported in a differentiable function: test the condition with a `bool` expression");
                self.inactive(e)
            }
            Expr::Try(t) => {
                self.cx.error(t.question_token, "`?` is not supported in a differentiable function: handle errors before calling it");
                self.inactive(e)
            }
            Expr::Async(_) | Expr::Await(_) => {
                self.cx.error(e, "`async`/`.await` cannot be differentiated: await the inputs before calling the differentiable function");
                self.inactive(e)
            }
            Expr::Unsafe(u) => {
                self.cx.error(u.unsafe_token, "`unsafe` blocks cannot be differentiated: move the unsafe code out of the differentiable function");
                self.inactive(e)
            }
            Expr::Match(_) => self.only_inactive(e, "`match` on differentiated values is not supported: write `if`/`else` with a `bool` condition"),
            Expr::Macro(m) => {
                let name = m.mac.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
                let msg = format!("the macro `{name}!` cannot be differentiated: write the expression it stands for (for a vector, `SVector::new(..)`)");
                self.only_inactive(e, &msg)
            }
            Expr::Cast(_) => self.only_inactive(e, "casts (`as`) are not differentiated: convert constants before the computation, or use `nalgebra::convert`"),
            Expr::Array(_) | Expr::Repeat(_) => self.only_inactive(e, "arrays of differentiated values are not supported: use `SVector::new(..)` or `SMatrix::new(..)`"),
            Expr::Struct(_) => self.only_inactive(e, "struct literals of differentiated values are not supported: return a tuple or a matrix"),
            Expr::Range(_) => self.only_inactive(e, "ranges of differentiated values are not supported"),
            Expr::Assign(_) => self.only_inactive(e, "an assignment cannot be used as a value here: make it a statement"),
            _ => self.only_inactive(e, "this expression is not supported in a differentiable function"),
        }
    }

    fn binary(&mut self, b: &syn::ExprBinary, e: &Expr) -> Val {
        let rule = match b.op {
            BinOp::Add(_) => "add",
            BinOp::Sub(_) => "sub",
            BinOp::Mul(_) => "mul",
            BinOp::Div(_) => "div",
            BinOp::Eq(_)
            | BinOp::Ne(_)
            | BinOp::Lt(_)
            | BinOp::Le(_)
            | BinOp::Gt(_)
            | BinOp::Ge(_)
            | BinOp::And(_)
            | BinOp::Or(_) => {
                return self.inactive(e);
            }
            _ if compound_op(&b.op).is_some() => {
                return self.only_inactive(
                    e,
                    "a compound assignment cannot be used as a value here: make it a statement",
                );
            }
            _ => {
                let msg = format!("`{}` has no derivative rule: differentiable functions use `+ - * /` and the supported methods", b.op.to_token_stream());
                return self.only_inactive(e, &msg);
            }
        };
        let l = self.expr(&b.left);
        let r = self.expr(&b.right);
        if l.active().is_none() && r.active().is_none() {
            return self.inactive(e);
        }
        self.rule2(rule, l, r, e.span())
    }

    fn method_call(&mut self, mc: &syn::ExprMethodCall, e: &Expr) -> Val {
        let name = mc.method.to_string();
        if !self.mentions_active(e.to_token_stream()) || QUERIES.contains(&name.as_str()) {
            return self.inactive(e);
        }
        if name == "map" && mc.args.len() == 1 {
            if let Expr::Closure(c) = &mc.args[0] {
                return self.map(mc, c, e);
            }
        }
        let recv = self.expr(&mc.receiver);
        let args: Vec<&Expr> = mc.args.iter().collect();
        self.method(&mc.method, recv, &args, e)
    }

    /// A method with a rule, applied to `recv` (also used for `f64::tanh(x)`).
    fn method(&mut self, method: &Ident, recv: Val, args: &[&Expr], e: &Expr) -> Val {
        let name = method.to_string();
        let sp = e.span();
        let unknown = |this: &mut Self| {
            let msg = format!("`{name}` has no derivative rule in a differentiable function; the supported methods are: {SUPPORTED}. For another entry-wise function write `m.map(|v| ...)` with a supported body, or stop the gradient with `autograd::detach(..)`");
            this.cx.error(method, msg);
            this.inactive(e)
        };
        match args {
            [] if name == "clone" => match recv {
                Val::Active(v) => Val::Active(v),
                Val::Inactive { .. } => self.inactive(e),
            },
            [] => {
                if recv.active().is_none() {
                    return self.inactive(e);
                }
                if let Some((_, f)) = UNARY_FNS.iter().find(|(m, _)| *m == name) {
                    let f = Ident::new(f, Span::call_site());
                    return self.rule1_path(Rule1::Fn(&f), recv, None, false, sp);
                }
                match UNARY_RULES.iter().find(|(m, _)| *m == name) {
                    Some((_, rule)) => self.rule1(rule, recv, None, sp),
                    None => unknown(self),
                }
            }
            [n] if name == "powi" => {
                let n_val = self.expr(n);
                if n_val.active().is_some() {
                    self.cx.error(n, "the exponent of `powi` is a constant integer: for a differentiated exponent write `x.powf(p)`");
                }
                if recv.active().is_none() {
                    return self.inactive(e);
                }
                let n_tok = self.constant(n_val);
                self.rule1("powi", recv, Some(n_tok), sp)
            }
            [arg] => {
                let Some((_, rule)) = BINARY_RULES.iter().find(|(m, _)| *m == name) else {
                    return unknown(self);
                };
                let rhs = self.expr(arg);
                if recv.active().is_none() && rhs.active().is_none() {
                    return self.inactive(e);
                }
                self.rule2(rule, recv, rhs, sp)
            }
            _ => unknown(self),
        }
    }

    fn call(&mut self, c: &syn::ExprCall, e: &Expr) -> Val {
        let Expr::Path(fp) = &*c.func else {
            return self.only_inactive(
                e,
                "only functions named by a path can be called in a differentiable function",
            );
        };
        let segs: Vec<&syn::PathSegment> = fp.path.segments.iter().collect();
        let last = segs.last().map(|s| s.ident.to_string()).unwrap_or_default();
        if last == "detach" || !self.mentions_active(e.to_token_stream()) {
            return self.inactive(e);
        }
        // `f64::tanh(x)`, `T::max(a, b)`: a method in function-call form.
        if let [ty, method] = segs.as_slice() {
            let ty = ty.ident.to_string();
            if (ty == "f32" || ty == "f64" || self.type_params.contains(&ty)) && !c.args.is_empty()
            {
                let recv = self.expr(&c.args[0]);
                let rest: Vec<&Expr> = c.args.iter().skip(1).collect();
                return self.method(&method.ident, recv, &rest, e);
            }
        }
        let is_type = |s: &syn::PathSegment| {
            s.ident
                .to_string()
                .starts_with(|ch: char| ch.is_ascii_uppercase())
        };
        if matches!(last.as_str(), "new" | "from_element" | "repeat")
            && segs.len() >= 2
            && is_type(segs[segs.len() - 2])
        {
            return self.construct(c, &last == "new", e);
        }
        self.diff_call(fp, c, e)
    }

    /// `SVector::new(a, b, ..)`, `SMatrix::from_element(s)`, `SVector::repeat(s)`.
    fn construct(&mut self, c: &syn::ExprCall, row_major_args: bool, e: &Expr) -> Val {
        let sp = e.span();
        let vals: Vec<Val> = c.args.iter().map(|a| self.expr(a)).collect();
        let mut ops = Vec::new();
        let mut targets = Vec::new();
        for v in vals {
            let (t, target) = self.operand(v);
            ops.push(t);
            targets.push(target);
        }
        let out = self.new_var();
        let (o, func, p) = (var(out), &c.func, private());
        self.emit(quote_spanned!(sp=> let #o = #func(#(#ops),*);));
        let tangents: Vec<TokenStream> = ops
            .iter()
            .zip(&targets)
            .map(|(op, t)| self.tangent_of(*t, op))
            .collect();
        self.emit_tangent(out, quote_spanned!(sp=> #func(#(#tangents),*)));
        let gout = gout();
        let (contrib, tuple) = if row_major_args {
            let ks = 0..ops.len();
            (quote!((#(#p::new_arg_cotangent(#gout, #ks),)*)), true)
        } else {
            (quote!(#p::fill_cotangent(#gout)), false)
        };
        self.rev(Rev::Prim {
            out,
            contrib,
            targets,
            tuple,
            via_contribution: false,
            second: None,
            pairs: false,
        });
        Val::Active(out)
    }

    /// A call to another `#[differentiable]` function: its positional vjp is composed.
    fn diff_call(&mut self, fp: &syn::ExprPath, c: &syn::ExprCall, e: &Expr) -> Val {
        let sp = e.span();
        let mut path = fp.path.clone();
        let Some(last) = path.segments.last_mut() else {
            return self.inactive(e);
        };
        let mut args = std::mem::replace(&mut last.arguments, syn::PathArguments::None);
        if let (Mode::Hvp, syn::PathArguments::AngleBracketed(a)) = (self.mode, &mut args) {
            // `__hvp` has one more (inferred) type parameter per argument: the type
            // of its tangent.
            for _ in &c.args {
                a.args.push(syn::parse_quote!(_));
            }
        }
        let span = last.ident.span();
        path.segments.push(syn::PathSegment {
            ident: Ident::new(
                match self.mode {
                    Mode::Vjp => "__vjp",
                    Mode::Jvp => "__jvp",
                    Mode::Hvp => "__hvp",
                },
                span,
            ),
            arguments: args,
        });
        let mut arg_tokens = Vec::new();
        let mut targets = Vec::new();
        for a in &c.args {
            let (inner, by_ref) = match a {
                Expr::Reference(r) => (&*r.expr, true),
                other => (other, false),
            };
            match self.expr(inner) {
                Val::Active(v) => {
                    // A by-reference parameter passed on as it is stays a reference.
                    let by_ref =
                        by_ref || (matches!(inner, Expr::Path(_)) && self.ref_vars.contains(&v));
                    let x = var(v);
                    arg_tokens.push(if by_ref { quote!(&#x) } else { quote!(#x) });
                    targets.push(Some(v));
                }
                Val::Inactive { .. } => {
                    arg_tokens.push(a.to_token_stream());
                    targets.push(None);
                }
            }
        }
        let out = self.new_var();
        let p = private();
        let ts: Vec<TokenStream> = targets
            .iter()
            .map(|t| match t {
                Some(v) => tan(*v).to_token_stream(),
                None => quote!(#p::NoGrad),
            })
            .collect();
        let (o, t, pb) = (var(out), tan(out), self.fresh("__pb"));
        match self.mode {
            Mode::Jvp => {
                self.emit(quote_spanned!(sp=> let (#o, #t) = #path(#(#arg_tokens,)* (#(#ts,)*));));
                return Val::Active(out);
            }
            Mode::Hvp => self
                .emit(quote_spanned!(sp=> let (#o, #t, #pb) = #path(#(#arg_tokens,)* (#(#ts,)*));)),
            Mode::Vjp => self.emit(quote_spanned!(sp=> let (#o, #pb) = #path(#(#arg_tokens),*);)),
        }
        let gout = gout();
        self.rev(Rev::Prim {
            out,
            contrib: quote!(#pb(*#gout)),
            targets,
            tuple: true,
            via_contribution: true,
            second: None,
            pairs: self.mode == Mode::Hvp,
        });
        Val::Active(out)
    }

    // ----- primitives --------------------------------------------------------

    /// A value usable as a rule operand: active values as they are, constants
    /// copied into a variable (dereferenced if they are references).
    fn operand(&mut self, v: Val) -> (Ident, Option<VarId>) {
        match v {
            Val::Active(id) => {
                self.use_var(id);
                (var(id), Some(id))
            }
            Val::Inactive { tokens, is_ref } => {
                let id = self.new_var();
                let x = var(id);
                let deref = is_ref.then(|| quote!(*));
                self.emit(quote!(let #x = #deref (#tokens);));
                (x, None)
            }
        }
    }

    /// The tangent of an operand: its tangent variable, or a zero for a constant.
    fn tangent_of(&self, v: Option<VarId>, value: &Ident) -> TokenStream {
        match v {
            Some(id) => tan(id).to_token_stream(),
            None => {
                let p = private();
                quote!(#p::zero_like(&#value))
            }
        }
    }

    /// The tangent of whatever a user's name holds at the end of a region.
    fn tangent_of_binding(&self, b: &Binding, name: &Ident) -> TokenStream {
        match b {
            Binding::Active(v) => tan(*v).to_token_stream(),
            Binding::Inactive { .. } => {
                let p = private();
                quote!(#p::zero_like(&#name))
            }
        }
    }

    /// Forward mode: emits `let __t{out} = expr;`.
    fn emit_tangent(&mut self, out: VarId, expr: TokenStream) {
        if self.mode.tangents() {
            let t = tan(out);
            self.emit(quote!(let #t = #expr;));
        }
    }

    fn constant(&mut self, v: Val) -> Ident {
        match v {
            Val::Active(id) => var(id),
            inactive => self.operand(inactive).0,
        }
    }

    fn rule1(&mut self, rule: &str, a: Val, extra: Option<Ident>, sp: Span) -> Val {
        let linear = LINEAR_RULES.contains(&rule);
        self.rule1_path(Rule1::Named(rule), a, extra, linear, sp)
    }

    /// Second order: the token's `second` call, unless the rule is linear in its
    /// operands (whose pullback then does not depend on them).
    fn second(&self, linear: bool, call: TokenStream) -> Option<TokenStream> {
        (self.mode == Mode::Hvp && !linear).then_some(call)
    }

    /// `let (out, token) = (&a[, extra]).rule();` forward (after the rule's
    /// `fits` check in dead code), `token.pullback(..)` reverse.
    fn rule1_path(
        &mut self,
        rule: Rule1<'_>,
        a: Val,
        extra: Option<Ident>,
        linear: bool,
        sp: Span,
    ) -> Val {
        let (ta, va) = self.operand(a);
        let out = self.new_var();
        let (o, p, gout, pf) = (var(out), private(), gout(), self.fresh("__pf"));
        let _ = &o;
        let (ta, o_at, pf_at) = (at(&ta, sp), at(&o, sp), at(&pf, sp));
        let extra = extra.map(|x| {
            let x = at(&x, sp);
            quote!(#x,)
        });
        let (fwd, tag, method, last) = match rule {
            Rule1::Named(name) => {
                let camel = camel_case(name);
                let fwd = Ident::new(&format!("{camel}Forward"), Span::call_site());
                let tag = Ident::new(&format!("{camel}Tag"), Span::call_site());
                let method = at(&Ident::new(name, Span::call_site()), sp);
                (quote!(#fwd), quote!(#tag), method, extra.clone())
            }
            Rule1::Fn(f) => {
                let tag = quote!(UnaryTag::<#p::rules::#f>);
                let method = at(&Ident::new("unary", Span::call_site()), sp);
                (
                    quote!(UnaryForward),
                    tag.clone(),
                    method,
                    Some(quote!(#p::#tag::TAG,)),
                )
            }
        };
        let check = quote_spanned!(sp=> #p::#tag::fits(&#ta, #extra));
        let receiver = quote_spanned!(sp=> (&#ta, #last));
        self.emit_forward(sp, check, &fwd, receiver, &method, (&o_at, &pf_at));
        let da = self.tangent_of(va, &ta);
        self.emit_tangent(
            out,
            quote_spanned!(sp=> #pf_at.tangent(&#ta, #extra &#o_at, &#da)),
        );
        let contrib = quote_spanned!(sp=> #pf_at.pullback(&#ta, #extra &#o_at, #gout));
        let second = self.second(
            linear,
            quote_spanned!(sp=> #pf_at.second(&#ta, #extra &#o_at, &#da, #gout)),
        );
        self.rev(Rev::Prim {
            out,
            contrib,
            targets: vec![va],
            tuple: false,
            via_contribution: false,
            second,
            pairs: false,
        });
        Val::Active(out)
    }

    /// A rule's forward call: `check` (its `Tag::fits`) in dead code, for rustc's
    /// message when the operands do not fit (the rule trait's `on_unimplemented`),
    /// then `let (out, token) = receiver.method()` through the rule's forward
    /// trait `fwd`: when that method does not resolve, its type is an error and
    /// the uses of the value and token in the other sweeps add no further errors.
    fn emit_forward(
        &mut self,
        sp: Span,
        check: TokenStream,
        fwd: &TokenStream,
        receiver: TokenStream,
        method: &Ident,
        (o, pf): (&Ident, &Ident),
    ) {
        let p = private();
        self.emit(quote_spanned!(sp=>
            if false {
                #check;
            }
            let (#o, #pf) = {
                use #p::#fwd as _;
                #receiver.#method()
            };
        ));
    }

    fn rule2(&mut self, rule: &str, a: Val, b: Val, sp: Span) -> Val {
        let (ta, va) = self.operand(a);
        let (tb, vb) = self.operand(b);
        let out = self.new_var();
        let (o, p, gout, pf) = (var(out), private(), gout(), self.fresh("__pf"));
        let _ = &o;
        let (ta, tb, o_at, pf_at) = (at(&ta, sp), at(&tb, sp), at(&o, sp), at(&pf, sp));
        let rule = Ident::new(rule, Span::call_site());
        let camel = camel_case(&rule.to_string());
        let fwd = Ident::new(&format!("{camel}Forward"), Span::call_site());
        let tag = Ident::new(&format!("{camel}Tag"), Span::call_site());
        let method = at(&rule, sp);
        let pair = at(&Ident::new("__pair", Span::mixed_site()), sp);
        let check = quote_spanned!(sp=> { let #pair = (&#ta, &#tb); #p::#tag::fits(#pair) });
        let receiver = quote_spanned!(sp=> (&#ta, &#tb));
        self.emit_forward(sp, check, &quote!(#fwd), receiver, &method, (&o_at, &pf_at));
        let (da, db) = (self.tangent_of(va, &ta), self.tangent_of(vb, &tb));
        self.emit_tangent(
            out,
            quote_spanned!(sp=> #pf_at.tangent(&#ta, &#tb, &#o_at, &#da, &#db)),
        );
        let contrib = quote_spanned!(sp=> #pf_at.pullback(&#ta, &#tb, &#o_at, #gout));
        let second = self.second(
            LINEAR_RULES.contains(&rule.to_string().as_str()),
            quote_spanned!(sp=> #pf_at.second(&#ta, &#tb, &#o_at, &#da, &#db, #gout)),
        );
        self.rev(Rev::Prim {
            out,
            contrib,
            targets: vec![va, vb],
            tuple: true,
            via_contribution: false,
            second,
            pairs: false,
        });
        Val::Active(out)
    }

    fn make_tuple(&mut self, vals: Vec<Val>, sp: Span) -> Val {
        let (ops, targets): (Vec<Ident>, Vec<Option<VarId>>) =
            vals.into_iter().map(|v| self.operand(v)).unzip();
        let out = self.new_var();
        let (o, gout) = (var(out), gout());
        self.emit(quote_spanned!(sp=> let #o = (#(#ops,)*);));
        let tangents: Vec<TokenStream> = ops
            .iter()
            .zip(&targets)
            .map(|(op, t)| self.tangent_of(*t, op))
            .collect();
        self.emit_tangent(out, quote!((#(#tangents,)*)));
        self.rev(Rev::Prim {
            out,
            contrib: quote!(*#gout),
            targets,
            tuple: true,
            via_contribution: false,
            second: None,
            pairs: false,
        });
        Val::Active(out)
    }

    fn tuple_get(&mut self, t: VarId, i: usize, sp: Span) -> VarId {
        self.field_get(t, &syn::Member::Unnamed(syn::Index::from(i)), sp)
    }

    /// `t.0` of a tuple or `m.w1` of a struct deriving `Tangent`: in reverse, the
    /// cotangent goes into that field of `t`'s (see [`Rev::Field`]).
    fn field_get(&mut self, t: VarId, member: &syn::Member, sp: Span) -> VarId {
        self.use_var(t);
        let out = self.new_var();
        let (o, x) = (var(out), var(t));
        let idx = member;
        self.emit(quote_spanned!(sp=> let #o = #x.#idx;));
        let tt = tan(t);
        self.emit_tangent(out, quote!(#tt.#idx));
        self.rev(Rev::Field {
            out,
            base: t,
            member: member.clone(),
        });
        out
    }

    // ----- regions -----------------------------------------------------------

    /// Lowers `body` as a region in a new scope, returning the region, its value and
    /// the scopes as they stand after it.
    fn branch(&mut self, body: impl FnOnce(&mut Self) -> Val) -> (RegionBuf, Val, Scopes) {
        self.push_region();
        self.scopes.push(Vec::new());
        let tail = body(self);
        if let Val::Active(v) = &tail {
            self.use_var(*v);
        }
        self.scopes.pop();
        let env = self.scopes.clone();
        (self.pop_region(), tail, env)
    }

    /// Outer positions whose binding differs between `before` and any of `afters`
    /// and is active on at least one side.
    fn changed(before: &Scopes, afters: &[&Scopes]) -> Vec<Pos> {
        let mut out = Vec::new();
        for (si, scope) in before.iter().enumerate() {
            for (ei, (_, b)) in scope.iter().enumerate() {
                let ends: Vec<&Binding> = afters.iter().map(|a| &a[si][ei].1).collect();
                let differs = ends.iter().any(|x| *x != b);
                let active = matches!(b, Binding::Active(_))
                    || ends.iter().any(|x| matches!(x, Binding::Active(_)));
                if differs && active {
                    out.push((si, ei));
                }
            }
        }
        out
    }

    fn block(&mut self, b: &Block, e: &Expr) -> Val {
        let before = self.scopes.clone();
        let (region, tail, env) = self.branch(|l| l.stmts(&b.stmts));
        self.scopes = before.clone();
        let outs = Self::changed(&before, &[&env]);
        if tail.active().is_none() && outs.is_empty() {
            return self.inactive(e);
        }
        if self.mode == Mode::Jvp {
            let code =
                self.branch_tangent_code(&region, &tail, tail.active().is_some(), &env, &outs);
            let (t, tt) = (self.fresh("__tail"), self.fresh("__tt"));
            self.emit(quote!(let (#t, #tt) = { #code };));
            return self.finish_region_jvp(t, tt, tail.active().is_some(), &outs);
        }
        let pb = self.fresh("__pb");
        let (code, tail_val) =
            self.branch_code(&region, &tail, tail.active().is_some(), &env, &outs, None);
        let (t, tt) = (self.fresh("__tail"), self.fresh("__tt"));
        self.emit(quote!(let (#t, #tt, #pb) = { #code };));
        let inputs = region.inputs.clone();
        self.finish_region(t, tt, tail_val.is_some(), &outs, quote!(#pb), inputs)
    }

    fn if_else(&mut self, i: &syn::ExprIf, e: &Expr) -> Val {
        if let Expr::Let(l) = &*i.cond {
            self.cx.error(l, "`if let` is not supported in a differentiable function: test the condition with a `bool` expression");
            return self.inactive(e);
        }
        let before = self.scopes.clone();
        let (ra, ta, ea) = self.branch(|l| l.stmts(&i.then_branch.stmts));
        self.scopes = before.clone();
        let (rb, tb, eb) = match &i.else_branch {
            Some((_, els)) => self.branch(|l| match &**els {
                Expr::Block(b) => l.stmts(&b.block.stmts),
                other => l.expr(other),
            }),
            None => self.branch(|_| Val::unit()),
        };
        self.scopes = before.clone();
        let outs = Self::changed(&before, &[&ea, &eb]);
        let tail_active = ta.active().is_some() || tb.active().is_some();
        if !tail_active && outs.is_empty() {
            return self.inactive(e);
        }
        if self.mode == Mode::Jvp {
            let a = self.branch_tangent_code(&ra, &ta, tail_active, &ea, &outs);
            let b = self.branch_tangent_code(&rb, &tb, tail_active, &eb, &outs);
            let (t, tt, cond) = (self.fresh("__tail"), self.fresh("__tt"), &i.cond);
            self.emit(quote!(let (#t, #tt) = if #cond { #a } else { #b };));
            return self.finish_region_jvp(t, tt, tail_active, &outs);
        }
        let mut inputs: Vec<VarId> = ra.inputs.iter().chain(&rb.inputs).copied().collect();
        inputs.sort_unstable();
        inputs.dedup();
        let p = private();
        let (a, _) = self.branch_code(
            &ra,
            &ta,
            tail_active,
            &ea,
            &outs,
            Some((quote!(#p::Either::Left), &inputs)),
        );
        let (b, _) = self.branch_code(
            &rb,
            &tb,
            tail_active,
            &eb,
            &outs,
            Some((quote!(#p::Either::Right), &inputs)),
        );
        let (pb, t, tt, cond) = (
            self.fresh("__pb"),
            self.fresh("__tail"),
            self.fresh("__tt"),
            &i.cond,
        );
        self.emit(quote!(let (#t, #tt, #pb) = if #cond { #a } else { #b };));
        self.finish_region(t, tt, tail_active, &outs, quote!(#pb.call), inputs)
    }

    /// The forward code of one branch, ending in `(value, pullback)`. `wrap` puts
    /// the pullback in an `Either` variant and makes it return `inputs`' cotangents
    /// (the union over both branches) instead of the region's own inputs.
    fn branch_code(
        &mut self,
        region: &RegionBuf,
        tail: &Val,
        tail_active: bool,
        env: &Scopes,
        outs: &[Pos],
        wrap: Option<(TokenStream, &Vec<VarId>)>,
    ) -> (TokenStream, Option<VarId>) {
        let fwd = &region.fwd;
        let tail_tokens = match tail {
            Val::Active(v) => var(*v).to_token_stream(),
            Val::Inactive { tokens, .. } => tokens.clone(),
        };
        let tl = Ident::new("__tl", Span::mixed_site());
        let mut seeds = Vec::new();
        let mut like = Vec::new();
        if tail_active {
            seeds.push(tail.active());
            like.push(tl.to_token_stream());
        }
        for &(si, ei) in outs {
            seeds.push(match &env[si][ei].1 {
                Binding::Active(v) => Some(*v),
                Binding::Inactive { .. } => None,
            });
            like.push(self.name_at((si, ei)).to_token_stream());
        }
        let returns = match &wrap {
            Some((_, inputs)) => (*inputs).clone(),
            None => region.inputs.clone(),
        };
        let pairs = self.mode == Mode::Hvp;
        let closure = region_closure(region, &seeds, &returns, Returns::Flat, pairs);
        let like = like_tuple(&like, pairs);
        let p = private();
        let pb = quote!(#p::pb_like(&#like, #closure));
        let pb = match wrap {
            Some((variant, _)) => quote!(#variant(#pb)),
            None => pb,
        };
        // Second order: the tangents of the branch's results travel beside them.
        let mut tangents = Vec::new();
        if pairs {
            if tail_active {
                tangents.push(self.tangent_of(tail.active(), &tl));
            }
            for &(si, ei) in outs {
                tangents.push(self.tangent_of_binding(&env[si][ei].1, &self.name_at((si, ei))));
            }
        }
        (
            quote!(#fwd let #tl = #tail_tokens; (#tl, (#(#tangents,)*), #pb)),
            tail.active(),
        )
    }

    /// Forward mode: the code of one branch, ending in `(value, (tangents..))` for
    /// the branch's value and the outer variables assigned in either branch.
    fn branch_tangent_code(
        &self,
        region: &RegionBuf,
        tail: &Val,
        tail_active: bool,
        env: &Scopes,
        outs: &[Pos],
    ) -> TokenStream {
        let fwd = &region.fwd;
        let tail_tokens = match tail {
            Val::Active(v) => var(*v).to_token_stream(),
            Val::Inactive { tokens, .. } => tokens.clone(),
        };
        let tl = Ident::new("__tl", Span::mixed_site());
        let mut tangents = Vec::new();
        if tail_active {
            tangents.push(self.tangent_of(tail.active(), &tl));
        }
        for &(si, ei) in outs {
            tangents.push(self.tangent_of_binding(&env[si][ei].1, &self.name_at((si, ei))));
        }
        quote!(#fwd let #tl = #tail_tokens; (#tl, (#(#tangents,)*)))
    }

    /// After a block or branch: binds its value (if active) and the outer variables
    /// it assigned to fresh variables; returns the value and those variables.
    fn bind_region_results(
        &mut self,
        t: Ident,
        tail_active: bool,
        outs: &[Pos],
    ) -> (Val, Vec<VarId>) {
        let mut post = Vec::new();
        let tail = if tail_active {
            let v = self.new_var();
            let x = var(v);
            self.emit(quote!(let #x = #t;));
            post.push(v);
            Val::Active(v)
        } else {
            Val::Inactive {
                tokens: t.to_token_stream(),
                is_ref: false,
            }
        };
        for &pos in outs {
            let v = self.new_var();
            let (x, name) = (var(v), self.name_at(pos));
            self.emit(quote!(let #x = #name;));
            self.set(pos, Binding::Active(v));
            post.push(v);
        }
        (tail, post)
    }

    /// Forward mode: the region's results, with their tangents from the tuple `tt`.
    fn finish_region_jvp(&mut self, t: Ident, tt: Ident, tail_active: bool, outs: &[Pos]) -> Val {
        let (tail, post) = self.bind_region_results(t, tail_active, outs);
        for (k, v) in post.into_iter().enumerate() {
            let (tv, idx) = (tan(v), syn::Index::from(k));
            self.emit(quote!(let #tv = #tt.#idx;));
        }
        tail
    }

    /// Reverse mode: the region's results (with their tangents from the tuple `tt`
    /// in `Mode::Hvp`), and the reverse entry calling `call`.
    fn finish_region(
        &mut self,
        t: Ident,
        tt: Ident,
        tail_active: bool,
        outs: &[Pos],
        call: TokenStream,
        inputs: Vec<VarId>,
    ) -> Val {
        let (tail, post) = self.bind_region_results(t, tail_active, outs);
        if self.mode == Mode::Hvp {
            for (k, &v) in post.iter().enumerate() {
                let (tv, idx) = (tan(v), syn::Index::from(k));
                self.emit(quote!(let #tv = #tt.#idx;));
            }
        }
        for &i in &inputs {
            self.use_var(i);
        }
        self.rev(Rev::Region {
            outs: post,
            call,
            targets: inputs,
        });
        tail
    }

    fn for_loop(&mut self, f: &syn::ExprForLoop, e: &Expr) -> Val {
        let Expr::Range(range) = &*f.expr else {
            return self.only_inactive(e, "a differentiable `for` loop runs over a constant range: write `for i in 0..N` and index with `i`");
        };
        let Some(end) = &range.end else {
            self.cx.error(
                range,
                "give the loop range an end: `0..N` with a literal or const generic `N`",
            );
            return self.inactive(e);
        };
        if matches!(range.limits, syn::RangeLimits::Closed(_)) {
            self.cx.error(range, "write the loop range as `a..N` (half-open) so that its length bounds the loop tape");
            return self.inactive(e);
        }
        if !self.is_const_bound(end) {
            self.cx.error(end, "the end of a differentiable loop's range must be a literal or a const generic parameter (`0..N`): the reverse sweep stores one step per iteration without allocating");
            return self.inactive(e);
        }
        let before = self.scopes.clone();
        let mark = self.cx.len();
        let mut carried: Vec<Pos> = Vec::new();
        // Forward mode: one mutable variable per carried position holds its tangent.
        let mut carriers: Vec<(Pos, Ident)> = Vec::new();
        let (region, env, params) = loop {
            self.scopes = before.clone();
            self.cx.truncate(mark);
            self.push_region();
            self.scopes.push(Vec::new());
            self.bind_pattern(&f.pat, &|_| Binding::Inactive { is_ref: false });
            let mut params = Vec::new();
            for &pos in &carried {
                let v = self.new_var();
                let (x, name) = (var(v), self.name_at(pos));
                self.emit(quote!(let #x = #name;));
                if self.mode.tangents() {
                    let carrier = match carriers.iter().find(|(p, _)| *p == pos) {
                        Some((_, c)) => c.clone(),
                        None => {
                            let c = self.fresh("__tc");
                            carriers.push((pos, c.clone()));
                            c
                        }
                    };
                    let tv = tan(v);
                    self.emit(quote!(let #tv = #carrier;));
                }
                self.set(pos, Binding::Active(v));
                params.push(v);
            }
            let start: Scopes = self.scopes[..before.len()].to_vec();
            self.stmts(&f.body.stmts);
            if self.mode.tangents() {
                for (pos, carrier) in &carriers {
                    let name = self.name_at(*pos);
                    let end = self.tangent_of_binding(&self.scopes[pos.0][pos.1].1, &name);
                    self.emit(quote!(#carrier = #end;));
                }
            }
            self.scopes.pop();
            let env = self.scopes.clone();
            let region = self.pop_region();
            let new: Vec<Pos> = Self::changed(&start, &[&env])
                .into_iter()
                .filter(|p| !carried.contains(p))
                .collect();
            if new.is_empty() {
                break (region, env, params);
            }
            carried.extend(new);
        };
        self.scopes = before.clone();
        if carried.is_empty() {
            return self.inactive(e);
        }
        if self.mode == Mode::Jvp {
            let (pat, fwd, start) = (&f.pat, &region.fwd, &range.start);
            for (pos, carrier) in &carriers {
                let init = self.tangent_of_binding(&before[pos.0][pos.1].1, &self.name_at(*pos));
                self.emit(quote!(let mut #carrier = #init;));
            }
            self.emit(quote!(for #pat in #start..#end { #fwd }));
            for (pos, carrier) in &carriers {
                let v = self.new_var();
                let (x, tv, name) = (var(v), tan(v), self.name_at(*pos));
                self.emit(quote!(let #x = #name; let #tv = #carrier;));
                self.set(*pos, Binding::Active(v));
            }
            let _ = (&env, &params);
            return Val::unit();
        }
        let seeds: Vec<Option<VarId>> = carried
            .iter()
            .map(|&(si, ei)| match &env[si][ei].1 {
                Binding::Active(v) => Some(*v),
                Binding::Inactive { .. } => None,
            })
            .collect();
        let names: Vec<Ident> = carried.iter().map(|&p| self.name_at(p)).collect();
        let mut invariants = region.inputs.clone();
        invariants.sort_unstable();
        let returns: Vec<VarId> = params.iter().chain(&invariants).copied().collect();
        let pairs = self.mode == Mode::Hvp;
        let closure = region_closure(&region, &seeds, &returns, Returns::Flat, pairs);
        let (tape, p, pat, fwd) = (self.fresh("__tape"), private(), &f.pat, &region.fwd);
        let (start, end_tokens) = (&range.start, end);
        if pairs {
            for (pos, carrier) in &carriers {
                let init = self.tangent_of_binding(&before[pos.0][pos.1].1, &self.name_at(*pos));
                self.emit(quote!(let mut #carrier = #init;));
            }
        }
        self.emit(quote_spanned!(end.span()=>
            let mut #tape = #p::LoopTape::<_, { #end_tokens }>::new();
        ));
        let names: Vec<TokenStream> = names.iter().map(|n| n.to_token_stream()).collect();
        let like = like_tuple(&names, pairs);
        self.emit(quote!(
            for #pat in #start..#end_tokens {
                #fwd
                #tape.push(#p::pb_like(&#like, #closure));
            }
        ));
        let mut carried_pairs = Vec::new();
        for &pos in &carried {
            let pre = match &before[pos.0][pos.1].1 {
                Binding::Active(v) => Some(*v),
                Binding::Inactive { .. } => None,
            };
            if let Some(pre) = pre {
                self.use_var(pre);
            }
            let v = self.new_var();
            let (x, name) = (var(v), self.name_at(pos));
            self.emit(quote!(let #x = #name;));
            if let Some((_, carrier)) = carriers.iter().find(|(p, _)| *p == pos) {
                let tv = tan(v);
                self.emit(quote!(let #tv = #carrier;));
            }
            self.set(pos, Binding::Active(v));
            carried_pairs.push((v, pre));
        }
        for &i in &invariants {
            self.use_var(i);
        }
        self.rev(Rev::Loop {
            tape,
            carried: carried_pairs,
            invariants,
        });
        Val::unit()
    }

    /// The closure of `map` outlives the call (in the returned pullback), so it must
    /// own what it reads: each constant reference `body` mentions is copied outside
    /// (first stream) and borrowed again inside (second), where the user's code
    /// still sees a reference.
    fn owned_refs(&mut self, body: &Expr, param: &Ident) -> (TokenStream, TokenStream) {
        let mut owned = TokenStream::new();
        let mut rebind = TokenStream::new();
        let mut seen = HashSet::new();
        for name in token_idents(body.to_token_stream()) {
            let is_ref = matches!(
                self.lookup(&name.to_string()),
                Some((_, Binding::Inactive { is_ref: true }))
            );
            if is_ref && name != *param && seen.insert(name.to_string()) {
                let copy = self.fresh("__own");
                owned.extend(quote!(let #copy = ::core::clone::Clone::clone(#name);));
                rebind.extend(quote!(let #name = &#copy;));
            }
        }
        (owned, rebind)
    }

    fn is_const_bound(&self, end: &Expr) -> bool {
        match end {
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Int(_),
                ..
            }) => true,
            Expr::Path(p) => p.path.segments.last().is_some_and(|s| {
                let n = s.ident.to_string();
                self.const_params.contains(&n)
                    || (n
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                        && self.lookup(&n).is_none())
            }),
            Expr::Block(b) => b.block.stmts.len() == 1,
            _ => false,
        }
    }

    /// `m.map(|v| body)`: the body is a scalar region, re-run per entry in reverse.
    fn map(&mut self, mc: &syn::ExprMethodCall, c: &syn::ExprClosure, e: &Expr) -> Val {
        let sp = e.span();
        if c.inputs.len() != 1 {
            self.cx.error(
                &c.inputs,
                "the closure of `map` takes one parameter, the entry: `m.map(|v| ...)`",
            );
            return self.inactive(e);
        }
        let recv = self.expr(&mc.receiver);
        let (r, r_var) = self.operand(recv);
        let pat = &c.inputs[0];
        let param = match pat {
            Pat::Ident(pi) => Some(pi.ident.clone()),
            Pat::Type(pt) => match &*pt.pat {
                Pat::Ident(pi) => Some(pi.ident.clone()),
                _ => None,
            },
            _ => None,
        };
        let Some(param) = param else {
            self.cx
                .error(pat, "bind the entry to a name: `m.map(|v| ...)`");
            return self.inactive(e);
        };
        let mut pv = None;
        let dv = Ident::new("__dv", Span::mixed_site());
        let (region, tail, _) = self.branch(|l| {
            if r_var.is_some() {
                let v = l.new_var();
                let x = var(v);
                l.emit(quote!(let #x = #param;));
                if l.mode.tangents() {
                    let tv = tan(v);
                    l.emit(quote!(let #tv = #dv;));
                }
                l.bind(&param, Binding::Active(v));
                pv = Some(v);
            } else {
                l.bind(&param, Binding::Inactive { is_ref: false });
            }
            l.expr(&c.body)
        });
        let Val::Active(t) = tail else {
            return self.inactive(e);
        };
        if self.mode == Mode::Jvp {
            let (f, p, fwd, tx, tt) = (self.fresh("__map"), private(), &region.fwd, var(t), tan(t));
            let (owned_refs, rebind) = self.owned_refs(&c.body, &param);
            let tr = self.tangent_of(r_var, &r);
            let out = self.new_var();
            let (o, to) = (var(out), tan(out));
            self.emit(owned_refs);
            self.emit(quote_spanned!(sp=>
                let #f = #p::map_jvp_fn(&#r, move |#pat, #dv| { #rebind #fwd (#tx, #tt) });
                let (#o, #to) = #p::map_jvp(&#r, &#tr, &#f);
            ));
            return Val::Active(out);
        }
        let mut caps = region.inputs.clone();
        caps.sort_unstable();
        let returns = match pv {
            Some(v) => Returns::Nested(v, caps.clone()),
            None => Returns::Flat,
        };
        let flat: Vec<VarId> = if pv.is_some() {
            Vec::new()
        } else {
            caps.clone()
        };
        let pairs = self.mode == Mode::Hvp;
        let closure = region_closure(&region, &[Some(t)], &flat, returns, pairs);
        // The closure outlives this call inside the returned pullback, so it must
        // own what it reads: a constant reference it mentions is copied outside and
        // borrowed again inside, where the user's code still sees a reference.
        let (owned_refs, rebind) = self.owned_refs(&c.body, &param);
        let (f, p, fwd, tx) = (self.fresh("__map"), private(), &region.fwd, var(t));
        let like = like_tuple(&[tx.to_token_stream()], pairs);
        self.emit(owned_refs);
        let out = self.new_var();
        let o = var(out);
        if pairs {
            let (tt, to, tr) = (tan(t), tan(out), self.tangent_of(r_var, &r));
            self.emit(quote_spanned!(sp=>
                let #f = #p::map_hvp_fn(&#r, move |#pat, #dv| { #rebind #fwd (#tx, #tt, #p::pb_like(&#like, #closure)) });
                let (#o, #to) = #p::map_hvp_value(&#r, &#tr, &#f);
            ));
        } else {
            self.emit(quote_spanned!(sp=>
                let #f = #p::map_fn(&#r, move |#pat| { #rebind #fwd (#tx, #p::pb_like(&#like, #closure)) });
                let #o = #p::map_value(&#r, &#f);
            ));
        }
        for &cv in &caps {
            self.use_var(cv);
        }
        let cap_vars: Vec<TokenStream> = caps.iter().map(|&v| var(v).to_token_stream()).collect();
        let cap_like = like_tuple(&cap_vars, pairs);
        let idx: Vec<syn::Index> = (0..caps.len()).map(syn::Index::from).collect();
        let gout = gout();
        // Second order: the entries' tangents go in too.
        let (suffix, tr) = match pairs {
            true => ("_hvp", Some(self.tangent_of(r_var, &r))),
            false => ("", None),
        };
        let tr = tr.map(|t| quote!(&#t,));
        let (contrib, targets) = match pv {
            Some(_) => {
                let func = format_ident!("map_pullback{}", suffix);
                (
                    quote!({ let (__m0, __mc) = #p::#func(&#r, #tr #gout, &#cap_like, &#f); (__m0, #(__mc.#idx,)*) }),
                    std::iter::once(r_var)
                        .chain(caps.iter().map(|&v| Some(v)))
                        .collect(),
                )
            }
            None => {
                let func = format_ident!("map_pullback_caps{}", suffix);
                (
                    quote!({ let __mc = #p::#func(&#r, #tr #gout, &#cap_like, &#f); (#(__mc.#idx,)*) }),
                    caps.iter().map(|&v| Some(v)).collect(),
                )
            }
        };
        self.rev(Rev::Prim {
            out,
            contrib,
            targets,
            tuple: true,
            via_contribution: false,
            second: None,
            pairs,
        });
        Val::Active(out)
    }
}

/// Every identifier in `ts`, nested groups included.
fn token_idents(ts: TokenStream) -> Vec<Ident> {
    let mut out = Vec::new();
    for t in ts {
        match t {
            TokenTree::Ident(i) => out.push(i),
            TokenTree::Group(g) => out.extend(token_idents(g.stream())),
            _ => {}
        }
    }
    out
}

/// `ident` with its hygiene, reported at the user's `sp`: errors in generated code
/// land on the user's expression.
fn at(ident: &Ident, sp: Span) -> Ident {
    Ident::new(&ident.to_string(), ident.span().located_at(sp))
}

/// The name the reverse code gives to a reference to the output's cotangent.
pub fn gout() -> Ident {
    Ident::new("__gout", Span::mixed_site())
}

fn compound_op(op: &BinOp) -> Option<&'static str> {
    match op {
        BinOp::AddAssign(_) => Some("add"),
        BinOp::SubAssign(_) => Some("sub"),
        BinOp::MulAssign(_) => Some("mul"),
        BinOp::DivAssign(_) => Some("div"),
        _ => None,
    }
}

fn is_ref_expr(e: &Expr, l: &Lowerer) -> bool {
    match e {
        Expr::Reference(_) => true,
        Expr::Paren(p) => is_ref_expr(&p.expr, l),
        Expr::Path(p) => p
            .path
            .get_ident()
            .and_then(|i| l.lookup(&i.to_string()))
            .is_some_and(|(_, b)| matches!(b, Binding::Inactive { is_ref: true })),
        _ => false,
    }
}

/// How a region's pullback returns the cotangents of its inputs.
pub enum Returns {
    /// `(g_1, g_2, ..)` for the given variables.
    Flat,
    /// `(g_param, (g_1, g_2, ..))`: the shape the `map` helpers take.
    Nested(VarId, Vec<VarId>),
}

/// The pullback closure of a region: `move |(s_0, s_1, ..)| { .. }`, where `s_i`
/// seeds the cotangent of `seeds[i]` (ignored if `None`).
pub fn region_closure(
    region: &RegionBuf,
    seeds: &[Option<VarId>],
    returns: &[VarId],
    shape: Returns,
    pairs: bool,
) -> TokenStream {
    let mut rev = Reverse::new(pairs);
    let params: Vec<Ident> = (0..seeds.len())
        .map(|i| format_ident!("__s{}", i, span = Span::mixed_site()))
        .collect();
    for (s, p) in seeds.iter().zip(&params) {
        if let Some(v) = s {
            rev.accumulate(*v, p.to_token_stream(), false);
        }
    }
    rev.entries(&region.rev);
    let ret = match shape {
        Returns::Flat => {
            let r: Vec<TokenStream> = returns.iter().map(|&v| rev.cot_or_zero(v)).collect();
            quote!((#(#r,)*))
        }
        Returns::Nested(first, rest) => {
            let f = rev.cot_or_zero(first);
            let r: Vec<TokenStream> = rest.iter().map(|&v| rev.cot_or_zero(v)).collect();
            quote!((#f, (#(#r,)*)))
        }
    };
    let body = rev.code;
    quote!(move |(#(#params,)*)| { #body #ret })
}

/// The tuple `(a, b, ..)` of `items`, or with `pairs` `((a, a), (b, b), ..)`: a value
/// whose type is that of the cotangent pairs of `Mode::Hvp`.
pub fn like_tuple(items: &[TokenStream], pairs: bool) -> TokenStream {
    if pairs {
        quote!((#((#items, #items),)*))
    } else {
        quote!((#(#items,)*))
    }
}

/// Emission of a reverse sweep: straight-line code that tracks which cotangents
/// have been initialised, so the first contribution is a `let` and no cotangent
/// starts from a zero it would then add to.
#[derive(Default)]
pub struct Reverse {
    /// The code so far.
    pub code: TokenStream,
    inited: HashSet<VarId>,
    counter: usize,
    /// `Mode::Hvp`: every cotangent is a pair `(g, dg)`.
    pairs: bool,
}

impl Reverse {
    /// A reverse sweep over plain cotangents, or over pairs (`Mode::Hvp`).
    pub fn new(pairs: bool) -> Self {
        Reverse {
            pairs,
            ..Reverse::default()
        }
    }

    /// A value of the type of `v`'s cotangent, for zeros.
    fn like(&self, v: VarId) -> TokenStream {
        let x = var(v);
        if self.pairs {
            quote!((#x, #x))
        } else {
            x.to_token_stream()
        }
    }

    fn fresh(&mut self, prefix: &str) -> Ident {
        self.counter += 1;
        Ident::new(&format!("{prefix}{}", self.counter), Span::mixed_site())
    }

    /// The cotangent of `v`, or a zero of its shape if nothing reached it.
    pub fn cot_or_zero(&self, v: VarId) -> TokenStream {
        if self.inited.contains(&v) {
            cot(v).to_token_stream()
        } else {
            let (p, x) = (private(), self.like(v));
            quote!(#p::zero_like(&#x))
        }
    }

    /// Adds `c` to the cotangent of `v`.
    pub fn accumulate(&mut self, v: VarId, c: TokenStream, via_contribution: bool) {
        let (g, x, p) = (cot(v), self.like(v), private());
        let code = match (self.inited.insert(v), via_contribution) {
            (true, false) => quote!(let mut #g = #c;),
            (true, true) => quote!(let mut #g = #p::init(#c, &#x);),
            (false, false) => quote!(#p::acc(&mut #g, #c);),
            (false, true) => quote!(#p::Contribution::acc_into(#c, &mut #g);),
        };
        self.code.extend(code);
    }

    /// Emits `entries` in reverse order.
    pub fn entries(&mut self, entries: &[Rev]) {
        for entry in entries.iter().rev() {
            match entry {
                Rev::Prim {
                    out,
                    contrib,
                    targets,
                    tuple,
                    via_contribution,
                    second,
                    pairs,
                } => {
                    if !self.inited.contains(out) {
                        continue;
                    }
                    let (g, gout, c) = (cot(*out), gout(), self.fresh("__c"));
                    if self.pairs && !*pairs {
                        // `contrib` is linear in the cotangent: apply it to both
                        // components, and add the second-order term to the second.
                        let d = self.fresh("__c");
                        self.code.extend(quote!(
                            let #c = { let #gout = &#g.0; #contrib };
                            let mut #d = { let #gout = &#g.1; #contrib };
                        ));
                        if let Some(second) = second {
                            let p = private();
                            self.code
                                .extend(quote!(#p::acc(&mut #d, { let #gout = &#g.0; #second });));
                        }
                        self.zip_split(&c, &d, targets, *tuple);
                        continue;
                    }
                    self.code
                        .extend(quote!(let #c = { let #gout = &#g; #contrib };));
                    if *tuple {
                        self.split(&c, targets, *via_contribution);
                    } else if let Some(Some(t)) = targets.first() {
                        self.accumulate(*t, c.to_token_stream(), *via_contribution);
                    }
                }
                Rev::Field { out, base, member } => {
                    if !self.inited.contains(out) {
                        continue;
                    }
                    let (g, gb, p) = (cot(*out), cot(*base), private());
                    let sets = if self.pairs {
                        quote!(#gb.0.#member = #g.0; #gb.1.#member = #g.1;)
                    } else {
                        quote!(#gb.#member = #g;)
                    };
                    let code = if self.inited.insert(*base) {
                        let like = self.like(*base);
                        quote!(let mut #gb = #p::zero_like(&#like); #sets)
                    } else if self.pairs {
                        quote!(#p::acc(&mut #gb.0.#member, #g.0); #p::acc(&mut #gb.1.#member, #g.1);)
                    } else {
                        quote!(#p::acc(&mut #gb.#member, #g);)
                    };
                    self.code.extend(code);
                }
                Rev::Region {
                    outs,
                    call,
                    targets,
                } => {
                    if outs.iter().all(|o| !self.inited.contains(o)) {
                        continue;
                    }
                    let args: Vec<TokenStream> =
                        outs.iter().map(|&o| self.cot_or_zero(o)).collect();
                    let c = self.fresh("__c");
                    self.code.extend(quote!(let #c = #call((#(#args,)*));));
                    let targets: Vec<Option<VarId>> = targets.iter().map(|&t| Some(t)).collect();
                    self.split(&c, &targets, false);
                }
                Rev::Loop {
                    tape,
                    carried,
                    invariants,
                } => self.reverse_loop(tape, carried, invariants),
            }
        }
    }

    /// Accumulates the pairs `(c_i, d_i)` of the cotangents `c` and their
    /// derivatives `d` (tuples when `tuple`).
    fn zip_split(&mut self, c: &Ident, d: &Ident, targets: &[Option<VarId>], tuple: bool) {
        if !tuple {
            if let Some(Some(t)) = targets.first() {
                self.accumulate(*t, quote!((#c, #d)), false);
            }
            return;
        }
        let idx = (0..targets.len()).map(syn::Index::from);
        for (t, i) in targets.iter().zip(idx) {
            if let Some(t) = t {
                self.accumulate(*t, quote!((#c.#i, #d.#i)), false);
            }
        }
    }

    fn split(&mut self, c: &Ident, targets: &[Option<VarId>], via: bool) {
        let parts: Vec<Option<Ident>> = targets
            .iter()
            .map(|t| t.map(|_| self.fresh("__c")))
            .collect();
        let pat = parts.iter().map(|p| match p {
            Some(i) => i.to_token_stream(),
            None => quote!(_),
        });
        self.code.extend(quote!(let (#(#pat,)*) = #c;));
        for (t, p) in targets.iter().zip(parts) {
            if let (Some(t), Some(p)) = (t, p) {
                self.accumulate(*t, p.to_token_stream(), via);
            }
        }
    }

    fn reverse_loop(
        &mut self,
        tape: &Ident,
        carried: &[(VarId, Option<VarId>)],
        invariants: &[VarId],
    ) {
        if carried.iter().all(|(post, _)| !self.inited.contains(post)) {
            return;
        }
        let p = private();
        let lc: Vec<Ident> = carried.iter().map(|_| self.fresh("__lc")).collect();
        let li: Vec<Ident> = invariants.iter().map(|_| self.fresh("__li")).collect();
        let nc: Vec<Ident> = carried.iter().map(|_| self.fresh("__n")).collect();
        let ni: Vec<Ident> = invariants.iter().map(|_| self.fresh("__n")).collect();
        let init_c: Vec<TokenStream> = carried
            .iter()
            .map(|(post, _)| self.cot_or_zero(*post))
            .collect();
        let inv: Vec<TokenStream> = invariants.iter().map(|&v| self.like(v)).collect();
        self.code.extend(quote!(
            let mut #tape = #tape;
            #(let mut #lc = #init_c;)*
            #(let mut #li = #p::zero_like(&#inv);)*
            while let ::core::option::Option::Some(__step) = #tape.pop() {
                let (#(#nc,)* #(#ni,)*) = __step((#(#lc,)*));
                #(#lc = #nc;)*
                #(#p::acc(&mut #li, #ni);)*
            }
        ));
        for ((_, pre), l) in carried.iter().zip(&lc) {
            if let Some(pre) = pre {
                self.accumulate(*pre, l.to_token_stream(), false);
            }
        }
        for (v, l) in invariants.iter().zip(&li) {
            self.accumulate(*v, l.to_token_stream(), false);
        }
    }
}

/// A one-operand rule: a named rule of `dispatch.rs` (`neg`, `sum`, `powi`, ...)
/// or an entry-wise scalar function of `rules` (`Tanh`, ...).
enum Rule1<'a> {
    Named(&'a str),
    Fn(&'a Ident),
}

/// A rule's name in camel case, as its tag and forward trait spell it
/// (`add` -> `Add`, `component_mul` -> `ComponentMul`).
fn camel_case(rule: &str) -> String {
    rule.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}
