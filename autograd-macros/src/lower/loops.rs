//! Loops: `for` over a range and `while` (`loop`, `break` and `continue` arrive
//! here desugared, see `crate::desugar`). The body is a region lowered until the
//! set of variables it carries is stable; the reverse sweep keeps one pullback per
//! iteration, in a fixed-size `LoopTape` on the stack when the range's end is a
//! constant, in a `HeapTape` otherwise.

use super::ir::{private, tan, var, Binding, Mode, Pos, Rev, Scopes, Val, VarId};
use super::iter::Iter;
use super::reverse::{like_tuple, region_closure, Returns};
use super::Lowerer;
use crate::reject::Reject;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::Expr;

/// What repeats a loop's body.
enum Header<'a> {
    /// `for pat in start..end` (or `..=end`).
    For {
        pat: &'a syn::Pat,
        range: &'a syn::ExprRange,
        end: &'a Expr,
        /// The flag the desugaring sets on `break` (see `crate::desugar`).
        exit: Option<Ident>,
        /// For a loop over the entries of a value (`for x in v.iter()`), the value,
        /// whose type sizes the tape (see `crate::lower::iter`).
        sizer: Option<TokenStream>,
    },
    /// `while cond`.
    While { cond: &'a Expr },
}

impl Lowerer<'_> {
    pub(super) fn for_loop(&mut self, f: &syn::ExprForLoop, e: &Expr) -> Val {
        if let Expr::Range(range) = &*f.expr {
            return self.range_loop(f, range, e, None);
        }
        if !self.mentions_active(e.to_token_stream()) {
            return self.inactive(e);
        }
        let Some(it) = Iter::parse(&f.expr, true) else {
            self.cx.error(&f.expr, Reject::LoopNotOverRange);
            return self.inactive(e);
        };
        let il = self.index_loop(f, &it);
        self.range_loop(&il.for_loop, &il.range, e, Some(il.sizer))
    }

    /// `for pat in start..end` (`f`'s pattern, body and label, `range` its
    /// range); `sizer`, for a loop over the entries of a value, is that value,
    /// whose type sizes the loop's tape.
    fn range_loop(
        &mut self,
        f: &syn::ExprForLoop,
        range: &syn::ExprRange,
        e: &Expr,
        sizer: Option<TokenStream>,
    ) -> Val {
        let Some(end) = &range.end else {
            self.cx.error(range, Reject::LoopWithoutEnd);
            return self.inactive(e);
        };
        let exit = f.label.as_ref().and_then(|l| {
            let name = l.name.ident.to_string();
            name.starts_with(crate::desugar::EXIT_LABEL)
                .then(|| Ident::new(&name, Span::call_site()))
        });
        let header = Header::For {
            pat: &f.pat,
            range,
            end,
            exit,
            sizer,
        };
        self.repeat(header, &f.body, e)
    }

    pub(super) fn while_loop(&mut self, w: &syn::ExprWhile, e: &Expr) -> Val {
        self.repeat(Header::While { cond: &w.cond }, &w.body, e)
    }

    /// The forward loop around `body` (the forward code of one iteration).
    fn header_tokens(&self, h: &Header<'_>, body: TokenStream) -> TokenStream {
        match h {
            Header::For {
                pat,
                range,
                end,
                exit,
                ..
            } => {
                let (start, limits) = (&range.start, &range.limits);
                let exit = exit.as_ref().map(|x| quote!(if #x { break; }));
                quote!(for #pat in #start #limits #end { #exit #body })
            }
            Header::While { cond } => quote!(while #cond { #body }),
        }
    }

    /// A loop: its body is a region lowered until the set of variables it carries
    /// is stable; the reverse sweep keeps one pullback per iteration, on the stack
    /// when the trip count has a constant bound and on the heap otherwise.
    fn repeat(&mut self, header: Header<'_>, body: &syn::Block, e: &Expr) -> Val {
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
            if let Header::For { pat, .. } = &header {
                self.bind_pattern(pat, &|_| Binding::Inactive { is_ref: false });
            }
            let mut params = Vec::new();
            for &pos in &carried {
                let v = self.new_var();
                let (x, name) = (var(v), self.name_at(pos));
                let name = self.copy(name);
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
            self.stmts(&body.stmts);
            if self.mode.tangents() {
                for (pos, carrier) in &carriers {
                    let name = self.name_at(*pos);
                    let end = self.tangent_of_binding(&self.scopes[pos.0][pos.1].1, &name);
                    let end = self.copy(end);
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
            for (pos, carrier) in &carriers {
                let init = self.tangent_of_binding(&before[pos.0][pos.1].1, &self.name_at(*pos));
                self.emit(quote!(let mut #carrier = #init;));
            }
            let fwd = self.header_tokens(&header, region.fwd.clone());
            self.emit(fwd);
            for (pos, carrier) in &carriers {
                let v = self.new_var();
                let (x, tv, name) = (var(v), tan(v), self.name_at(*pos));
                let name = self.copy(name);
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
        let closure = region_closure(&region, &seeds, &returns, Returns::Flat, pairs, self.dup);
        // Built once per iteration: it owns clones of the values from outside the
        // loop it reads, when those may not be `Copy`.
        let closure = self.owning(&invariants, closure);
        let (tape, p) = (self.fresh("__tape"), private());
        if pairs {
            for (pos, carrier) in &carriers {
                let init = self.tangent_of_binding(&before[pos.0][pos.1].1, &self.name_at(*pos));
                self.emit(quote!(let mut #carrier = #init;));
            }
        }
        // A constant bound sizes a tape on the stack; any other trip count, one on
        // the heap (a compile error without `alloc`, on the loop).
        let stack_bound = match &header {
            Header::For { range, end, .. } if self.is_const_bound(end) => match range.limits {
                syn::RangeLimits::HalfOpen(_) => Some(quote!(#p::LoopTape::<_, { #end }>)),
                // `{ N + 1 }` is not a const argument on stable Rust: an inclusive
                // range keeps its last iteration in a slot of its own.
                syn::RangeLimits::Closed(_) => Some(quote!(#p::InclusiveTape::<_, { #end }>)),
            },
            _ => None,
        };
        let sp = match &header {
            Header::For { end, .. } => end.span(),
            Header::While { cond } => cond.span(),
        };
        let sizer = match &header {
            Header::For { sizer, .. } => sizer.clone(),
            Header::While { .. } => None,
        };
        match (sizer, stack_bound) {
            (Some(v), _) => self.emit(quote_spanned!(sp=>
                let mut #tape = #p::tape_for(&#v);
            )),
            (None, Some(tape_ty)) => self.emit(quote_spanned!(sp=>
                let mut #tape = #tape_ty::new();
            )),
            (None, None) => self.emit(quote_spanned!(sp=>
                let mut #tape = ::autograd::__heap_tape!();
            )),
        }
        let names: Vec<TokenStream> = names.iter().map(|n| n.to_token_stream()).collect();
        let like = like_tuple(&names, pairs, self.dup);
        let fwd = &region.fwd;
        let step = self.header_tokens(
            &header,
            quote!(
                #fwd
                #tape.push(#p::pb_like(&#like, #closure));
            ),
        );
        self.emit(step);
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
            let name = self.copy(name);
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
