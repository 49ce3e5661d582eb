//! Statements: `let` bindings and their patterns, assignments and compound
//! assignments, expressions evaluated for their effect.

use super::ir::{at, var, Binding, Val, VarId};
use super::Lowerer;
use crate::primitives;
use crate::reject::Reject;
use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::{Expr, Ident, Local, Pat, Stmt};

impl Lowerer<'_> {
    /// Lowers the function's body, whose last statement may be `return value;`.
    pub(super) fn body(&mut self, stmts: &[Stmt]) -> Val {
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
    pub(super) fn stmts(&mut self, stmts: &[Stmt]) -> Val {
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

    pub(super) fn local(&mut self, local: &Local) {
        let Some(init) = &local.init else {
            self.cx.error(local, Reject::LetWithoutValue);
            self.bind_pattern(&local.pat, &|_| Binding::Inactive { is_ref: false });
            return;
        };
        if let Some((_, diverge)) = &init.diverge {
            self.cx.error(diverge, Reject::LetElse);
            return;
        }
        let val = match typed_consumer(&local.pat, &init.expr) {
            // `let s: T = it.sum();`: the type is the sum's.
            Some(e) => self.expr(&e),
            None => self.expr(&init.expr),
        };
        match val {
            Val::Inactive { .. } => {
                let is_ref = self.is_ref_expr(&init.expr)
                    || matches!(&local.pat, Pat::Type(t) if matches!(*t.ty, syn::Type::Reference(_)));
                self.emit(local.to_token_stream());
                self.bind_pattern(&local.pat, &|_| Binding::Inactive { is_ref });
            }
            Val::Active(v) => self.bind_active(&local.pat, v),
        }
    }

    /// Binds the names of `pat` to active value `v` (a tuple for tuple patterns).
    pub(super) fn bind_active(&mut self, pat: &Pat, v: VarId) {
        match pat {
            Pat::Ident(pi) if pi.subpat.is_none() => {
                let x = self.copy(at(&var(v), pi.ident.span()));
                self.emit(quote!(let #pat = #x;));
                self.bind(&pi.ident, Binding::Active(v));
            }
            Pat::Type(pt) if matches!(&*pt.pat, Pat::Ident(_)) => {
                let x = self.copy(at(&var(v), pt.pat.span()));
                self.emit(quote!(let #pat = #x;));
                if let Pat::Ident(pi) = &*pt.pat {
                    self.bind(&pi.ident, Binding::Active(v));
                }
            }
            Pat::Wild(_) => {}
            Pat::Reference(r) => self.bind_active(&r.pat, v),
            Pat::Tuple(t) => {
                for (i, elem) in t.elems.iter().enumerate() {
                    if matches!(elem, Pat::Wild(_)) {
                        continue;
                    }
                    let part = self.tuple_get(v, i, elem.span());
                    self.bind_active(elem, part);
                }
            }
            other => self.cx.error(other, Reject::BindingPattern),
        }
    }

    pub(super) fn bind_pattern(&mut self, pat: &Pat, b: &dyn Fn(&Ident) -> Binding) {
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

    pub(super) fn stmt_expr(&mut self, e: &Expr) {
        match e {
            Expr::Assign(a) => self.assign(&a.left, None, &a.right, e),
            Expr::Binary(b) => match primitives::operator(&b.op) {
                Some((rule, true)) => self.assign(&b.left, Some(rule), &b.right, e),
                _ => self.effect(e),
            },
            Expr::Return(r) => {
                self.cx.error(r, Reject::EarlyReturn);
            }
            _ => self.effect(e),
        }
    }

    /// An expression evaluated for its effect: inactive code is kept as written.
    pub(super) fn effect(&mut self, e: &Expr) {
        if let Val::Inactive { tokens, .. } = self.expr(e) {
            self.emit(quote!(#tokens;));
        }
    }

    /// `lhs = rhs` or `lhs op= rhs`.
    pub(super) fn assign(
        &mut self,
        lhs: &Expr,
        op: Option<&'static str>,
        rhs: &Expr,
        whole: &Expr,
    ) {
        if let Some((root, place)) = place(lhs) {
            if self.lookup(&root.to_string()).is_some() {
                return self.assign_part(root, &place, lhs, op, rhs, whole);
            }
        }
        let name = match lhs {
            Expr::Path(p) if p.qself.is_none() => p.path.get_ident().cloned(),
            _ => None,
        };
        let Some(name) = name.filter(|n| self.lookup(&n.to_string()).is_some()) else {
            if self.mentions_active(rhs.to_token_stream()) {
                self.cx.error(whole, Reject::AssignIntoPart);
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
                let x = self.copy(var(v));
                self.emit(quote!(#name = #x;));
                self.set(pos, Binding::Active(v));
            }
            Val::Inactive { .. } => {
                self.emit(quote!(#whole;));
                self.set(pos, Binding::Inactive { is_ref: false });
            }
        }
    }

    /// `root[i].. = rhs` or `root[i].. op= rhs`: the variable `root` becomes a
    /// copy of itself with that part replaced (see `set_part`).
    fn assign_part(
        &mut self,
        root: Ident,
        place: &[Part<'_>],
        lhs: &Expr,
        op: Option<&'static str>,
        rhs: &Expr,
        whole: &Expr,
    ) {
        let (pos, binding) = self
            .lookup(&root.to_string())
            .expect("checked by the caller");
        let binding = binding.clone();
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
        let root_val = match binding {
            Binding::Active(v) => {
                self.use_var(v);
                Val::Active(v)
            }
            Binding::Inactive { .. } if val.active().is_none() => {
                self.emit(quote!(#whole;));
                return;
            }
            Binding::Inactive { is_ref: true } => {
                self.cx.error(whole, Reject::AssignIntoPart);
                self.emit(quote!(#whole;));
                return;
            }
            Binding::Inactive { is_ref: false } => Val::Inactive {
                tokens: root.to_token_stream(),
                is_ref: false,
            },
        };
        let mut path = quote!();
        for part in place {
            match part {
                Part::Index(ix) => {
                    let i = self.expr(ix);
                    if i.active().is_some() {
                        self.cx.error(ix, Reject::DifferentiatedIndex);
                    }
                    let i = self.constant(i);
                    path.extend(quote!([#i]));
                }
                Part::Field(m) => path.extend(quote!(.#m)),
            }
        }
        let out = self.set_part(root_val, &path, val, whole.span());
        let x = self.copy(var(out.active().expect("set_part gives an active value")));
        self.emit(quote!(#root = #x;));
        self.set(pos, Binding::Active(out.active().expect("active")));
    }

    /// Whether `e` is a reference to a constant (`&x`, or a name bound to one).
    fn is_ref_expr(&self, e: &Expr) -> bool {
        match e {
            Expr::Reference(_) => true,
            Expr::Paren(p) => self.is_ref_expr(&p.expr),
            Expr::Path(p) => p
                .path
                .get_ident()
                .and_then(|i| self.lookup(&i.to_string()))
                .is_some_and(|(_, b)| matches!(b, Binding::Inactive { is_ref: true })),
            _ => false,
        }
    }
}

/// One step of a place `a[i].f`: an index or a field.
enum Part<'a> {
    Index(&'a Expr),
    Field(&'a syn::Member),
}

/// A place below a local variable, `root[i].f[j]`: the variable and the steps
/// from it, outermost last; `None` for a plain name or another expression.
fn place(lhs: &Expr) -> Option<(Ident, Vec<Part<'_>>)> {
    let mut parts = Vec::new();
    let mut e = lhs;
    loop {
        match e {
            Expr::Index(ix) => {
                parts.push(Part::Index(&ix.index));
                e = &ix.expr;
            }
            Expr::Field(f) => {
                parts.push(Part::Field(&f.member));
                e = &f.base;
            }
            Expr::Paren(p) => e = &p.expr,
            Expr::Path(p) if p.qself.is_none() && !parts.is_empty() => {
                parts.reverse();
                return p.path.get_ident().map(|i| (i.clone(), parts));
            }
            _ => return None,
        }
    }
}

/// `it.sum::<T>()` for `let s: T = it.sum();` (also `product`), whose loop needs
/// the accumulator's type.
fn typed_consumer(pat: &Pat, init: &Expr) -> Option<Expr> {
    let Pat::Type(pt) = pat else {
        return None;
    };
    with_type(init, &pt.ty)
}

/// The function's statements, with the type of its output given to a tail
/// `it.sum()` or `return it.sum();` (also `product`), as rustc infers it.
pub(super) fn typed_tail(stmts: &[Stmt], ret: Option<&syn::Type>) -> Vec<Stmt> {
    let mut stmts = stmts.to_vec();
    let Some(ret) = ret else {
        return stmts;
    };
    match stmts.last_mut() {
        Some(Stmt::Expr(e, None)) => {
            if let Some(typed) = with_type(e, ret) {
                *e = typed;
            }
        }
        Some(Stmt::Expr(Expr::Return(r), _)) => {
            if let Some(typed) = r.expr.as_deref().and_then(|e| with_type(e, ret)) {
                r.expr = Some(Box::new(typed));
            }
        }
        _ => {}
    }
    stmts
}

/// `e` with the turbofish `::<ty>` if it is a `sum()` or `product()` without one.
fn with_type(e: &Expr, ty: &syn::Type) -> Option<Expr> {
    let Expr::MethodCall(mc) = e else {
        return None;
    };
    if mc.turbofish.is_some()
        || !mc.args.is_empty()
        || !(mc.method == "sum" || mc.method == "product")
    {
        return None;
    }
    // Only of an iterator (`v.iter().sum()`), not nalgebra's `m.sum()`.
    let source = match &*mc.receiver {
        Expr::MethodCall(m) if m.method == "map" => &*m.receiver,
        other => other,
    };
    super::iter::Iter::parse(source, false)?;
    let mut mc = mc.clone();
    mc.turbofish = Some(syn::parse_quote!(::<#ty>));
    Some(Expr::MethodCall(mc))
}
