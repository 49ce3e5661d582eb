//! `for` loops over a constant range: the body is a region lowered until the
//! set of variables it carries is stable; the reverse sweep keeps one pullback per
//! iteration in a fixed-size `LoopTape` on the stack.

use super::ir::{private, tan, var, Binding, Mode, Pos, Rev, Scopes, Val, VarId};
use super::reverse::{like_tuple, region_closure, Returns};
use super::Lowerer;
use crate::reject::Reject;
use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::Expr;

impl Lowerer<'_> {
    pub(super) fn for_loop(&mut self, f: &syn::ExprForLoop, e: &Expr) -> Val {
        let Expr::Range(range) = &*f.expr else {
            return self.only_inactive(e, Reject::LoopNotOverRange);
        };
        let Some(end) = &range.end else {
            self.cx.error(range, Reject::LoopWithoutEnd);
            return self.inactive(e);
        };
        if matches!(range.limits, syn::RangeLimits::Closed(_)) {
            self.cx.error(range, Reject::InclusiveLoopRange);
            return self.inactive(e);
        }
        if !self.is_const_bound(end) {
            self.cx.error(end, Reject::RuntimeLoopBound);
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

    pub(super) fn is_const_bound(&self, end: &Expr) -> bool {
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
}
