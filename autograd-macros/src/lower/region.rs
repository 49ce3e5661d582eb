//! Regions: blocks and `if`/`else`. A region's forward code stays in place; its
//! reverse code becomes a closure from the cotangents of what leaves it (its value
//! and the outer variables it assigns) to those of the outer values it read.

use super::ir::{private, tan, var, Binding, Mode, Pos, RegionBuf, Rev, Scopes, Val, VarId};
use super::reverse::{like_tuple, region_closure, Returns};
use super::Lowerer;
use crate::reject::Reject;
use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::{Block, Expr, Ident};

impl Lowerer<'_> {
    /// Lowers `body` as a region in a new scope, returning the region, its value and
    /// the scopes as they stand after it.
    pub(super) fn branch(
        &mut self,
        body: impl FnOnce(&mut Self) -> Val,
    ) -> (RegionBuf, Val, Scopes) {
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
    pub(super) fn changed(before: &Scopes, afters: &[&Scopes]) -> Vec<Pos> {
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

    pub(super) fn block(&mut self, b: &Block, e: &Expr) -> Val {
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

    pub(super) fn if_else(&mut self, i: &syn::ExprIf, e: &Expr) -> Val {
        // `if let P = v`: the pattern's names are constants in the `then` branch.
        let pattern = match &*i.cond {
            Expr::Let(l) if self.mentions_active(l.expr.to_token_stream()) => {
                self.cx.error(&l.expr, Reject::IfLet);
                return self.inactive(e);
            }
            Expr::Let(l) => Some(&*l.pat),
            _ => None,
        };
        let before = self.scopes.clone();
        let (mut ra, ta, ea) = self.branch(|l| {
            if let Some(pat) = pattern {
                l.bind_pattern(pat, &|_| Binding::Inactive { is_ref: false });
            }
            l.stmts(&i.then_branch.stmts)
        });
        self.scopes = before.clone();
        let (mut rb, tb, eb) = match &i.else_branch {
            Some((_, els)) => self.branch(|l| match &**els {
                Expr::Block(b) => l.stmts(&b.block.stmts),
                other => l.expr(other),
            }),
            None => self.branch(|_| Val::unit()),
        };
        self.scopes = before.clone();
        let outs = Self::changed(&before, &[&ea, &eb]);
        // A variable one branch assigns and the other leaves as it was: the other
        // branch's pullback passes its cotangent on to the value from before.
        self.pass_through(&mut ra, &ea, &outs);
        self.pass_through(&mut rb, &eb, &outs);
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
            Some((vec![quote!(#p::Either::Left)], &inputs)),
        );
        let (b, _) = self.branch_code(
            &rb,
            &tb,
            tail_active,
            &eb,
            &outs,
            Some((vec![quote!(#p::Either::Right)], &inputs)),
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

    /// `match` on a value that is not differentiated: each arm is a branch whose
    /// pattern names are constants; the pullback is the taken arm's, in nested
    /// `Either`s (`Left`, `Right(Left)`, .., `Right(..(Right))` for the last arm).
    pub(super) fn match_expr(&mut self, m: &syn::ExprMatch, e: &Expr) -> Val {
        if self.mentions_active(m.expr.to_token_stream()) {
            self.cx.error(&m.expr, Reject::Match);
            return self.inactive(e);
        }
        let before = self.scopes.clone();
        let mut arms = Vec::new();
        for arm in &m.arms {
            self.scopes = before.clone();
            arms.push(self.branch(|l| {
                l.bind_pattern(&arm.pat, &|_| Binding::Inactive { is_ref: false });
                match &*arm.body {
                    Expr::Block(b) if b.label.is_none() => l.stmts(&b.block.stmts),
                    other => l.expr(other),
                }
            }));
        }
        self.scopes = before.clone();
        let envs: Vec<&Scopes> = arms.iter().map(|(_, _, env)| env).collect();
        let outs = Self::changed(&before, &envs);
        for (r, _, env) in &mut arms {
            self.pass_through(r, env, &outs);
        }
        let tail_active = arms.iter().any(|(_, t, _)| t.active().is_some());
        if !tail_active && outs.is_empty() {
            return self.inactive(e);
        }
        let scrutinee = &m.expr;
        let heads: Vec<TokenStream> = m
            .arms
            .iter()
            .map(|a| {
                let pat = &a.pat;
                let guard = a.guard.as_ref().map(|(i, g)| quote!(#i #g));
                quote!(#pat #guard)
            })
            .collect();
        if self.mode == Mode::Jvp {
            let codes: Vec<TokenStream> = arms
                .iter()
                .map(|(r, t, env)| self.branch_tangent_code(r, t, tail_active, env, &outs))
                .collect();
            let (t, tt) = (self.fresh("__tail"), self.fresh("__tt"));
            self.emit(quote!(let (#t, #tt) = match #scrutinee { #(#heads => { #codes })* };));
            return self.finish_region_jvp(t, tt, tail_active, &outs);
        }
        let mut inputs: Vec<VarId> = arms
            .iter()
            .flat_map(|(r, _, _)| r.inputs.iter().copied())
            .collect();
        inputs.sort_unstable();
        inputs.dedup();
        let p = private();
        let n = arms.len();
        let mut codes = Vec::new();
        for (k, (r, t, env)) in arms.iter().enumerate() {
            let mut variants = vec![quote!(#p::Either::Right); k];
            if k + 1 < n {
                variants.push(quote!(#p::Either::Left));
            }
            let (code, _) =
                self.branch_code(r, t, tail_active, env, &outs, Some((variants, &inputs)));
            codes.push(code);
        }
        let (pb, t, tt) = (self.fresh("__pb"), self.fresh("__tail"), self.fresh("__tt"));
        self.emit(quote!(let (#t, #tt, #pb) = match #scrutinee { #(#heads => { #codes })* };));
        let call = match n {
            // One arm: its pullback is a closure, not an `Either`.
            1 => quote!(#p::Pullback::call(#pb)),
            _ => quote!(#pb.call),
        };
        self.finish_region(t, tt, tail_active, &outs, call, inputs)
    }

    /// Makes the active values that leave `region` as they came in (outputs in
    /// `outs` bound in `env` to a value defined outside it) inputs of the region.
    fn pass_through(&self, region: &mut RegionBuf, env: &Scopes, outs: &[Pos]) {
        for &(si, ei) in outs {
            if let Binding::Active(v) = env[si][ei].1 {
                if self.var_region[v] != region.id && !region.inputs.contains(&v) {
                    region.inputs.push(v);
                }
            }
        }
    }

    /// The forward code of one branch, ending in `(value, pullback)`. `wrap` puts
    /// the pullback in nested `Either` variants and makes it return `inputs`' cotangents
    /// (the union over both branches) instead of the region's own inputs.
    pub(super) fn branch_code(
        &mut self,
        region: &RegionBuf,
        tail: &Val,
        tail_active: bool,
        env: &Scopes,
        outs: &[Pos],
        wrap: Option<(Vec<TokenStream>, &Vec<VarId>)>,
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
        let closure = region_closure(region, &seeds, &returns, Returns::Flat, pairs, self.dup);
        // The reverse code after the region may read what the closure reads.
        let closure = self.owning(&returns, closure);
        let like = like_tuple(&like, pairs, self.dup);
        let p = private();
        let pb = quote!(#p::pb_like(&#like, #closure));
        // The variants, outermost first.
        let pb = match wrap {
            Some((variants, _)) => variants.iter().rev().fold(pb, |pb, v| quote!(#v(#pb))),
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
            if self.dup {
                tangents = tangents.into_iter().map(|t| self.copy(t)).collect();
            }
        }
        let code = if self.dup {
            // The pullback (whose `like` reads `__tl`) before `__tl` moves.
            let tail_tokens = self.copy(tail_tokens);
            let pbv = Ident::new("__pbv", Span::mixed_site());
            quote!(#fwd let #tl = #tail_tokens; let #pbv = #pb; (#tl, (#(#tangents,)*), #pbv))
        } else {
            quote!(#fwd let #tl = #tail_tokens; (#tl, (#(#tangents,)*), #pb))
        };
        (code, tail.active())
    }

    /// Forward mode: the code of one branch, ending in `(value, (tangents..))` for
    /// the branch's value and the outer variables assigned in either branch.
    pub(super) fn branch_tangent_code(
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
    pub(super) fn bind_region_results(
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
            let name = self.copy(name);
            self.emit(quote!(let #x = #name;));
            self.set(pos, Binding::Active(v));
            post.push(v);
        }
        (tail, post)
    }

    /// Forward mode: the region's results, with their tangents from the tuple `tt`.
    pub(super) fn finish_region_jvp(
        &mut self,
        t: Ident,
        tt: Ident,
        tail_active: bool,
        outs: &[Pos],
    ) -> Val {
        let (tail, post) = self.bind_region_results(t, tail_active, outs);
        for (k, v) in post.into_iter().enumerate() {
            let (tv, idx) = (tan(v), syn::Index::from(k));
            self.emit(quote!(let #tv = #tt.#idx;));
        }
        tail
    }

    /// Reverse mode: the region's results (with their tangents from the tuple `tt`
    /// in `Mode::Hvp`), and the reverse entry calling `call`.
    pub(super) fn finish_region(
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
}
