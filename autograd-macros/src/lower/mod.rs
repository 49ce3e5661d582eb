//! Lower phase: the body becomes forward code plus a list of reverse entries.
//!
//! The lowering walks the body once, in order. A value is *active* when it depends
//! on a differentiated parameter. Inactive code is emitted exactly as the user wrote
//! it, so it means what rustc says it means; each active operation becomes a call to
//! a rule's forward (`(&a, &b).mul()`, see [`prim`]) bound to a fresh variable with
//! the token of its pullback, and pushes a reverse entry that will call the token's
//! `pullback`. Every active `let` also binds the user's name to its value, so the
//! user's names stay in scope for the inactive code around them, with Rust's own
//! shadowing and block scoping.
//!
//! Blocks, `if`/`else`, `for` loops and `map` closures are *regions*: their forward
//! code stays in place and their reverse code becomes a closure that maps the
//! cotangents of what leaves the region (its value and the outer variables it
//! assigns) to the cotangents of the outer values it read.
//!
//! ```text
//! let p = (w * x + b).tanh();     let (__ad4, __pf1) = (&__ad0, &__ad3).mul();
//!                                 let (__ad5, __pf2) = (&__ad4, &__ad1).add();
//!                                 let (__ad6, __pf3) = (&__ad5, UnaryTag::<Tanh>::TAG).unary();
//!                                 let p = __ad6;
//! ```
//!
//! One file per kind of syntax, each with the `impl Lowerer` block that lowers it:
//! [`stmt`] (statements and assignments), [`expr`] (expressions and methods),
//! [`call`] (calls and constructors), [`prim`] (primitive applications),
//! [`region`] (blocks and branches), [`loops`] (`for`), [`map`] (`map` closures).
//! [`ir`] holds the representation and the generated names, [`reverse`] the
//! emitter of reverse sweeps (which `emit` also uses). What the language refuses
//! is in `crate::reject`; which methods have rules, in `crate::primitives`.

mod call;
mod expr;
pub mod ir;
mod iter;
mod loops;
mod map;
mod prim;
mod region;
pub mod reverse;
mod stmt;

use crate::ctxt::Ctxt;
use crate::parse::FnView;
use crate::reject::Reject;
pub use ir::Mode;
use ir::{
    private, tan, tangent_arg, var, Binding, Lowered, Pos, RegionBuf, Rev, Scopes, Val, VarId,
};
use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use std::collections::HashSet;
use syn::{Expr, Ident};

/// Lowers `body`, the desugared body of `view` (see `crate::desugar`). Errors go to `cx`; the result is only meaningful if
/// there are none.
pub fn lower(view: &FnView, body: &syn::Block, cx: &mut Ctxt, mode: Mode) -> Lowered {
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
        dup: view
            .params
            .iter()
            .flatten()
            .any(|p| crate::parse::mentions_dynamic(&p.ty))
            || view
                .ret
                .as_ref()
                .is_some_and(crate::parse::mentions_dynamic),
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
            if p.dynamic && p.by_ref {
                // A `&DVector` is copied once into the sweeps, which own their values.
                l.emit(quote!(let #x = ::core::clone::Clone::clone(#ident);));
            } else if p.dynamic && !p.mutable {
                // An owned `DVector` moves into the sweeps; the user's name, which
                // code around the differentiated values may read (`x.len()`),
                // borrows it.
                l.emit(quote!(let #x = #ident; let #ident = &#x;));
            } else if p.dynamic {
                l.emit(quote!(let #x = ::core::clone::Clone::clone(&#ident);));
            } else {
                // A slice is read in place (`&[T]` is `Copy`); its cotangent is a `Vec`.
                let deref = (p.by_ref && !p.slice).then(|| quote!(*));
                l.emit(quote!(let #x = #deref #ident;));
            }
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
    let stmts = stmt::typed_tail(&body.stmts, view.ret.as_ref());
    let tail = l.body(&stmts);
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

/// The state of one lowering: the regions being built, the user's names in
/// scope, and the errors found so far.
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
    /// Values may not be `Copy`: the signature names a dynamically sized matrix
    /// (`DVector`, `DMatrix`). Every copy of a value is then a `clone`, and
    /// closures own clones of what they read (see [`Lowerer::copy`]).
    dup: bool,
}

impl Lowerer<'_> {
    // ----- bookkeeping -------------------------------------------------------

    /// `x` where the generated code copies a value: `x` itself when every value
    /// is `Copy` (static shapes, whose generated code is unchanged), a `clone`
    /// otherwise (see `dup`).
    pub(super) fn copy(&self, x: impl ToTokens) -> TokenStream {
        if self.dup {
            quote!(::core::clone::Clone::clone(&#x))
        } else {
            x.to_token_stream()
        }
    }

    /// `closure`, owning clones of the values `inputs` it reads when values may not
    /// be `Copy` (see `dup`): a closure built once per iteration of a loop, or
    /// beside the reverse code that reads the same values.
    pub(super) fn owning(&self, inputs: &[VarId], closure: TokenStream) -> TokenStream {
        if !self.dup || inputs.is_empty() {
            return closure;
        }
        let mut xs: Vec<Ident> = inputs.iter().map(|&v| var(v)).collect();
        // Second order: the closure reads their tangents too.
        if self.mode == Mode::Hvp {
            xs.extend(inputs.iter().map(|&v| tan(v)));
        }
        quote!({ #(let #xs = ::core::clone::Clone::clone(&#xs);)* #closure })
    }

    pub(super) fn fresh(&mut self, prefix: &str) -> Ident {
        self.counter += 1;
        Ident::new(&format!("{prefix}{}", self.counter), Span::mixed_site())
    }

    pub(super) fn push_region(&mut self) {
        self.regions.push(RegionBuf {
            id: self.next_region,
            fwd: TokenStream::new(),
            rev: Vec::new(),
            inputs: Vec::new(),
        });
        self.next_region += 1;
    }

    pub(super) fn pop_region(&mut self) -> RegionBuf {
        self.regions.pop().expect("region stack is balanced")
    }

    pub(super) fn region(&mut self) -> &mut RegionBuf {
        self.regions
            .last_mut()
            .expect("lowering always runs inside a region")
    }

    pub(super) fn new_var(&mut self) -> VarId {
        let id = self.region().id;
        self.var_region.push(id);
        self.var_region.len() - 1
    }

    /// Records that the current region reads `v`: every region between here and
    /// the one defining `v` gets it as an input.
    pub(super) fn use_var(&mut self, v: VarId) {
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

    pub(super) fn emit(&mut self, ts: TokenStream) {
        self.region().fwd.extend(ts);
    }

    pub(super) fn rev(&mut self, r: Rev) {
        self.region().rev.push(r);
    }

    pub(super) fn bind(&mut self, ident: &Ident, b: Binding) {
        let scope = self.scopes.last_mut().expect("a scope is open");
        scope.push((ident.to_string(), b));
    }

    pub(super) fn lookup(&self, name: &str) -> Option<(Pos, &Binding)> {
        for (si, scope) in self.scopes.iter().enumerate().rev() {
            for (ei, (n, b)) in scope.iter().enumerate().rev() {
                if n == name {
                    return Some(((si, ei), b));
                }
            }
        }
        None
    }

    pub(super) fn set(&mut self, (si, ei): Pos, b: Binding) {
        self.scopes[si][ei].1 = b;
    }

    pub(super) fn name_at(&self, (si, ei): Pos) -> Ident {
        Ident::new(&self.scopes[si][ei].0, Span::call_site())
    }

    /// Whether `tokens` mention a name bound to an active value.
    pub(super) fn mentions_active(&self, tokens: TokenStream) -> bool {
        crate::tokens::idents(tokens)
            .iter()
            .any(|i| matches!(self.lookup(&i.to_string()), Some((_, Binding::Active(_)))))
    }

    pub(super) fn inactive(&self, e: &impl ToTokens) -> Val {
        Val::Inactive {
            tokens: e.to_token_stream(),
            is_ref: false,
        }
    }

    /// Reports `why` on `e` if `e` mentions an active value; the value is inactive.
    pub(super) fn only_inactive(&mut self, e: &Expr, why: Reject) -> Val {
        if self.mentions_active(e.to_token_stream()) {
            self.cx.error(e, why);
        }
        self.inactive(e)
    }
}
