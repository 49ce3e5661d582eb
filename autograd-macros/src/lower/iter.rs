//! Iterators over indexable values: `for x in v.iter()` (and `&v`, `v`,
//! `.copied()`, `.enumerate()`, `.zip(..)`) becomes a loop over the indices
//! `0..v.len()` whose body first binds the pattern to the entries (`&v[i]`;
//! `.rev()`, `.skip(n)`, `.take(n)` and `.step_by(k)` only move the index); the
//! consumers `sum::<T>()`, `product::<T>()` and `fold(init, |acc, x| ..)` of such an
//! iterator, after an optional `map(|x| ..)`, become a block with that loop
//! around an accumulator. The loop is then lowered as any other, its tape sized by
//! the type of the value iterated (`crate::__private::Iterable`): on the stack for
//! arrays and static matrices.

use super::Lowerer;
use crate::reject::Reject;
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{parse_quote, Expr, Ident};

/// An iterator of indexable values, as written.
pub(super) enum Iter {
    /// `v.iter()` or `&v`: entries `&v[i]`.
    Ref(Expr),
    /// `v`, `v.into_iter()` or `.copied()`/`.cloned()` of one: entries `v[i]`.
    Val(Expr),
    /// `it.enumerate()`: entries `(i, entry)`.
    Enumerate(Box<Iter>),
    /// `a.zip(b)`: entries `(a's, b's)`, as many as the shorter has.
    Zip(Box<Iter>, Box<Iter>),
    /// `it.rev()`: the entries of `it` from the last.
    Rev(Box<Iter>),
    /// `it.skip(n)`: the entries of `it` from the `n`-th.
    Skip(Box<Iter>, Expr),
    /// `it.take(n)`: at most the first `n` entries of `it`.
    Take(Box<Iter>, Expr),
    /// `it.step_by(k)`: every `k`-th entry of `it` from the first.
    StepBy(Box<Iter>, Expr),
}

impl Iter {
    /// The iterator `e` stands for, if it is one of the forms above. `top`: `e` is
    /// the whole iterable of a `for` or of `zip`'s argument, where a plain `v` (an
    /// array, iterated by value) is one.
    pub(super) fn parse(e: &Expr, top: bool) -> Option<Iter> {
        match e {
            Expr::Paren(p) => Iter::parse(&p.expr, top),
            Expr::Reference(r) if r.mutability.is_none() && indexable(&r.expr) => {
                Some(Iter::Ref((*r.expr).clone()))
            }
            Expr::Path(_) | Expr::Field(_) if top => Some(Iter::Val(e.clone())),
            Expr::MethodCall(mc) => {
                let name = mc.method.to_string();
                match (name.as_str(), mc.args.len()) {
                    ("iter", 0) if indexable(&mc.receiver) => {
                        Some(Iter::Ref((*mc.receiver).clone()))
                    }
                    ("into_iter", 0) => match Iter::parse(&mc.receiver, true)? {
                        Iter::Ref(v) => Some(Iter::Ref(v)),
                        it => Some(it),
                    },
                    ("copied" | "cloned", 0) => match Iter::parse(&mc.receiver, false)? {
                        Iter::Ref(v) => Some(Iter::Val(v)),
                        it => Some(it),
                    },
                    ("enumerate", 0) => {
                        Some(Iter::Enumerate(Box::new(Iter::parse(&mc.receiver, false)?)))
                    }
                    ("zip", 1) => Some(Iter::Zip(
                        Box::new(Iter::parse(&mc.receiver, false)?),
                        Box::new(Iter::parse(&mc.args[0], true)?),
                    )),
                    ("rev", 0) => Some(Iter::Rev(Box::new(Iter::parse(&mc.receiver, false)?))),
                    // The count is read at every entry: a name, a field or a literal
                    // (evaluated twice without harm).
                    ("skip" | "take" | "step_by", 1) if count_like(&mc.args[0]) => {
                        let (inner, n) = (
                            Box::new(Iter::parse(&mc.receiver, false)?),
                            mc.args[0].clone(),
                        );
                        Some(match name.as_str() {
                            "skip" => Iter::Skip(inner, n),
                            "take" => Iter::Take(inner, n),
                            _ => Iter::StepBy(inner, n),
                        })
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The entry at index `i` (of this iterator, counted from 0).
    fn entry(&self, i: &Expr) -> Expr {
        match self {
            Iter::Ref(v) => parse_quote!(&#v[#i]),
            Iter::Val(v) => parse_quote!(#v[#i]),
            Iter::Enumerate(it) => {
                let x = it.entry(i);
                parse_quote!((#i, #x))
            }
            Iter::Zip(a, b) => {
                let (x, y) = (a.entry(i), b.entry(i));
                parse_quote!((#x, #y))
            }
            Iter::Rev(_) | Iter::Skip(..) | Iter::Take(..) | Iter::StepBy(..) => {
                let (inner, j) = self.inner_index(i);
                inner.entry(&j)
            }
        }
    }

    /// For an adaptor that only moves indices (`rev`, `skip`, `take`, `step_by`):
    /// the iterator it adapts and the index there of entry `i`.
    fn inner_index(&self, i: &Expr) -> (&Iter, Expr) {
        match self {
            Iter::Rev(it) => {
                let n = it.count();
                (it, parse_quote!((#n - 1 - #i)))
            }
            Iter::Skip(it, n) => (it, parse_quote!((#i + #n))),
            Iter::StepBy(it, k) => (it, parse_quote!((#i * #k))),
            Iter::Take(it, _) => (it, i.clone()),
            _ => (self, i.clone()),
        }
    }

    /// The `let`s that bind `pat` to the entry at index `i`: a pair pattern of
    /// `enumerate` or `zip` is bound part by part, so that the index stays a
    /// constant and a constant entry stays one beside a differentiated one.
    fn bind(&self, pat: &syn::Pat, i: &Expr, out: &mut Vec<syn::Stmt>) {
        match (self, pat) {
            (Iter::Enumerate(it), syn::Pat::Tuple(t)) if t.elems.len() == 2 => {
                let index = &t.elems[0];
                out.push(parse_quote!(let #index = #i;));
                it.bind(&t.elems[1], i, out);
            }
            (Iter::Zip(a, b), syn::Pat::Tuple(t)) if t.elems.len() == 2 => {
                a.bind(&t.elems[0], i, out);
                b.bind(&t.elems[1], i, out);
            }
            (Iter::Rev(_) | Iter::Skip(..) | Iter::Take(..) | Iter::StepBy(..), _) => {
                let (inner, j) = self.inner_index(i);
                inner.bind(pat, &j, out);
            }
            _ => {
                let entry = self.entry(i);
                out.push(parse_quote!(let #pat = #entry;));
            }
        }
    }

    /// The number of entries.
    fn count(&self) -> Expr {
        match self {
            Iter::Ref(v) | Iter::Val(v) => parse_quote!(#v.len()),
            Iter::Enumerate(it) => it.count(),
            Iter::Zip(a, b) => {
                let (m, n) = (a.count(), b.count());
                parse_quote!(::core::cmp::min(#m, #n))
            }
            Iter::Rev(it) => it.count(),
            Iter::Skip(it, n) => {
                let m = it.count();
                parse_quote!(#m.saturating_sub(#n))
            }
            Iter::Take(it, n) => {
                let m = it.count();
                parse_quote!(::core::cmp::min(#m, #n))
            }
            // `step_by(0)` panics as the standard library's does.
            Iter::StepBy(it, k) => {
                let m = it.count();
                parse_quote!(::autograd::__private::stepped_count(#m, #k))
            }
        }
    }

    /// The value whose type sizes the loop's tape: the first one iterated (a zip
    /// runs no longer than it).
    fn sizer(&self) -> &Expr {
        match self {
            Iter::Ref(v) | Iter::Val(v) => v,
            Iter::Enumerate(it)
            | Iter::Zip(it, _)
            | Iter::Rev(it)
            | Iter::Skip(it, _)
            | Iter::Take(it, _)
            | Iter::StepBy(it, _) => it.sizer(),
        }
    }
}

/// Whether `v[i]` may be written for `v` without evaluating anything twice: a
/// name, a field or an entry of one.
fn indexable(e: &Expr) -> bool {
    match e {
        Expr::Path(p) => p.qself.is_none(),
        Expr::Field(f) => indexable(&f.base),
        Expr::Paren(p) => indexable(&p.expr),
        Expr::Index(ix) => indexable(&ix.expr),
        _ => false,
    }
}

/// Whether `e` may be the count of `skip`, `take` or `step_by`: a literal, a name
/// or a field (read again at every entry).
fn count_like(e: &Expr) -> bool {
    match e {
        Expr::Lit(_) => true,
        Expr::Paren(p) => count_like(&p.expr),
        _ => indexable(e),
    }
}

/// What a consumer of an iterator becomes.
pub(super) enum Consumer {
    /// The block with its loop, to lower in its place.
    Block(Expr),
    /// A form refused with an error already reported.
    Refused,
}

/// A `for` loop over the indices of `it`, binding `pat` to each entry before
/// `body`; and the expression whose type sizes its tape.
pub(super) struct IndexLoop {
    pub(super) for_loop: syn::ExprForLoop,
    pub(super) range: syn::ExprRange,
    pub(super) sizer: TokenStream,
}

impl Lowerer<'_> {
    /// The index loop of `for pat in it { body }`.
    pub(super) fn index_loop(&mut self, f: &syn::ExprForLoop, it: &Iter) -> IndexLoop {
        let i = Ident::new(&format!("__i{}", self.counter + 1), Span::call_site());
        self.counter += 1;
        let (count, body) = (it.count(), &f.body);
        let stmts = &body.stmts;
        let mut binds = Vec::new();
        it.bind(&f.pat, &parse_quote!(#i), &mut binds);
        let range: syn::ExprRange = parse_quote!(0..#count);
        let mut for_loop: syn::ExprForLoop = parse_quote!(for #i in #range {
            #(#binds)*
            #(#stmts)*
        });
        for_loop.label = f.label.clone();
        let sizer = it.sizer();
        IndexLoop {
            for_loop,
            range,
            sizer: quote!(#sizer),
        }
    }

    /// `it.sum::<T>()`, `it.product::<T>()`, `it.fold(init, |acc, x| ..)`, each
    /// after an optional `.map(|x| ..)`, over an iterator of [`Iter`]: the block
    /// with the loop that computes it. `None` if `mc` is not one of them.
    pub(super) fn consumer(&mut self, mc: &syn::ExprMethodCall) -> Option<Consumer> {
        let name = mc.method.to_string();
        if !matches!(
            (name.as_str(), mc.args.len()),
            ("sum" | "product", 0) | ("fold", 2)
        ) {
            return None;
        }
        // `.map(|pat| body)` before the consumer, if any.
        let (source, map) = match &*mc.receiver {
            Expr::MethodCall(m) if m.method == "map" && m.args.len() == 1 => match &m.args[0] {
                Expr::Closure(c) if c.inputs.len() == 1 => (&*m.receiver, Some(c)),
                _ => return None,
            },
            other => (other, None),
        };
        let it = Iter::parse(source, false)?;
        let acc = Ident::new(&format!("__acc{}", self.counter + 1), Span::call_site());
        let x = Ident::new(&format!("__x{}", self.counter + 1), Span::call_site());
        self.counter += 1;
        // The value each entry contributes.
        let (pat, item): (syn::Pat, Expr) = match map {
            Some(c) => (c.inputs[0].clone(), (*c.body).clone()),
            None => (parse_quote!(#x), parse_quote!(#x)),
        };
        let ty = mc.turbofish.as_ref().and_then(|t| t.args.first()).cloned();
        let (init, step): (Expr, TokenStream) = match name.as_str() {
            "sum" | "product" => {
                let Some(ty) = ty else {
                    self.cx.error(mc, Reject::SumWithoutType(name.clone()));
                    return Some(Consumer::Refused);
                };
                if name == "sum" {
                    (
                        parse_quote!(::autograd::nalgebra::zero::<#ty>()),
                        quote!(#acc += #item;),
                    )
                } else {
                    (
                        parse_quote!(::autograd::nalgebra::one::<#ty>()),
                        quote!(#acc *= #item;),
                    )
                }
            }
            _ => {
                let Expr::Closure(c) = &mc.args[1] else {
                    self.cx.error(&mc.args[1], Reject::FoldWithoutClosure);
                    return Some(Consumer::Refused);
                };
                if c.inputs.len() != 2 {
                    self.cx.error(c, Reject::FoldWithoutClosure);
                    return Some(Consumer::Refused);
                }
                let (a, body) = (&c.inputs[0], &c.body);
                let (p, it_pat) = (c.inputs[1].clone(), &pat);
                let init = mc.args[0].clone();
                let step = match map {
                    // `map(|it_pat| item).fold(init, |a, p| body)`.
                    Some(_) => {
                        quote!(let #p = { let #it_pat = #x; #item }; let #a = #acc; #acc = #body;)
                    }
                    None => quote!(let #p = #x; let #a = #acc; #acc = #body;),
                };
                return Some(Consumer::Block(consumer_block(&it, &acc, &x, init, step)));
            }
        };
        let step = quote!(let #pat = #x; #step);
        Some(Consumer::Block(consumer_block(&it, &acc, &x, init, step)))
    }
}

/// `{ let mut acc = init; for x in it { step } acc }`.
fn consumer_block(it: &Iter, acc: &Ident, x: &Ident, init: Expr, step: TokenStream) -> Expr {
    let iterable = rebuild(it);
    parse_quote!({
        let mut #acc = #init;
        for #x in #iterable {
            #step
        }
        #acc
    })
}

/// The iterator expression of `it`, as the user could have written it (for the
/// `for` loop a consumer becomes, which [`Iter::parse`] reads again).
fn rebuild(it: &Iter) -> Expr {
    match it {
        Iter::Ref(v) => parse_quote!(#v.iter()),
        Iter::Val(v) => parse_quote!(#v.into_iter()),
        Iter::Enumerate(i) => {
            let i = rebuild(i);
            parse_quote!(#i.enumerate())
        }
        Iter::Zip(a, b) => {
            let (a, b) = (rebuild(a), rebuild(b));
            parse_quote!(#a.zip(#b))
        }
        Iter::Rev(i) => {
            let i = rebuild(i);
            parse_quote!(#i.rev())
        }
        Iter::Skip(i, n) => {
            let i = rebuild(i);
            parse_quote!(#i.skip(#n))
        }
        Iter::Take(i, n) => {
            let i = rebuild(i);
            parse_quote!(#i.take(#n))
        }
        Iter::StepBy(i, k) => {
            let i = rebuild(i);
            parse_quote!(#i.step_by(#k))
        }
    }
}
