//! `m.map(|v| body)`: the closure's body is a scalar region, re-run entry by
//! entry in the reverse sweep.

use super::ir::{gout, private, tan, var, Binding, Mode, Rev, Val, VarId};
use super::reverse::{like_tuple, region_closure, Returns};
use super::Lowerer;
use crate::reject::Reject;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use std::collections::HashSet;
use syn::spanned::Spanned;
use syn::{Expr, Ident, Pat};

impl Lowerer<'_> {
    pub(super) fn map(&mut self, mc: &syn::ExprMethodCall, c: &syn::ExprClosure, e: &Expr) -> Val {
        let sp = e.span();
        if c.inputs.len() != 1 {
            self.cx.error(&c.inputs, Reject::MapArity);
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
            self.cx.error(pat, Reject::MapPattern);
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
        let closure = region_closure(&region, &[Some(t)], &flat, returns, pairs, self.dup);
        // The closure outlives this call inside the returned pullback, so it must
        // own what it reads: a constant reference it mentions is copied outside and
        // borrowed again inside, where the user's code still sees a reference.
        let (owned_refs, rebind) = self.owned_refs(&c.body, &param);
        let (f, p, fwd, tx) = (self.fresh("__map"), private(), &region.fwd, var(t));
        let like = like_tuple(&[tx.to_token_stream()], pairs, self.dup);
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
        let cap_like = like_tuple(&cap_vars, pairs, self.dup);
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

    /// The closure of `map` outlives the call (in the returned pullback), so it must
    /// own what it reads: each constant reference `body` mentions is copied outside
    /// (first stream) and borrowed again inside (second), where the user's code
    /// still sees a reference.
    pub(super) fn owned_refs(&mut self, body: &Expr, param: &Ident) -> (TokenStream, TokenStream) {
        let mut owned = TokenStream::new();
        let mut rebind = TokenStream::new();
        let mut seen = HashSet::new();
        for name in crate::tokens::idents(body.to_token_stream()) {
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
}
