//! The emitter of reverse sweeps: straight-line code over the [`Rev`] entries of a
//! region, in reverse order, in which every cotangent starts from its first
//! contribution (a `let`, never a zero it then adds to). The lowering uses it for
//! the pullback closures of regions; `emit` for the function's own reverse sweep.

use super::ir::{cot, gout, private, var, RegionBuf, Rev, VarId};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use std::collections::HashSet;
use syn::Ident;

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
    dup: bool,
) -> TokenStream {
    let mut rev = Reverse::new(pairs);
    rev.dup = dup;
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
/// whose type is that of the cotangent pairs of `Mode::Hvp`. With `dup` (values
/// may not be `Copy`), of clones of the items.
pub fn like_tuple(items: &[TokenStream], pairs: bool, dup: bool) -> TokenStream {
    if dup {
        let items: Vec<TokenStream> = items
            .iter()
            .map(|i| quote!(::core::clone::Clone::clone(&#i)))
            .collect();
        return like_tuple(&items, pairs, false);
    }
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
    /// Values may not be `Copy` (see `Lowerer::copy`): a pair like a value is
    /// made of clones.
    pub dup: bool,
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
        if self.pairs && self.dup {
            quote!((::core::clone::Clone::clone(&#x), ::core::clone::Clone::clone(&#x)))
        } else if self.pairs {
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
                            self.code.extend(quote!(#p::Contribution::acc_into({ let #gout = &#g.0; #second }, &mut #d);));
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
                Rev::Field { out, base, place } => {
                    if !self.inited.contains(out) {
                        continue;
                    }
                    let (g, gb, p) = (cot(*out), cot(*base), private());
                    let sets = if self.pairs {
                        quote!(#gb.0 #place = #g.0; #gb.1 #place = #g.1;)
                    } else {
                        quote!(#gb #place = #g;)
                    };
                    let code = if self.inited.insert(*base) {
                        let like = self.like(*base);
                        quote!(let mut #gb = #p::zero_like(&#like); #sets)
                    } else if self.pairs {
                        quote!(#p::acc(&mut #gb.0 #place, #g.0); #p::acc(&mut #gb.1 #place, #g.1);)
                    } else {
                        quote!(#p::acc(&mut #gb #place, #g);)
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
