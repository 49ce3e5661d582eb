//! Primitive applications: operands, the forward call of a rule with its
//! pullback token, the tangent (forward mode) and the reverse entry, and the
//! structural primitives (tuples, fields).

use super::ir::{at, gout, private, tan, var, Binding, Mode, Rev, Val, VarId};
use super::Lowerer;
use crate::primitives::camel_case;
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::Ident;

impl Lowerer<'_> {
    /// A value usable as a rule operand: active values as they are, constants
    /// copied into a variable (dereferenced if they are references).
    pub(super) fn operand(&mut self, v: Val) -> (Ident, Option<VarId>) {
        match v {
            Val::Active(id) => {
                self.use_var(id);
                (var(id), Some(id))
            }
            Val::Inactive { tokens, is_ref } => {
                let id = self.new_var();
                let x = var(id);
                let value = match (self.dup, is_ref) {
                    // A constant `&DMatrix` (or `&f64`): a copy of the referent.
                    (true, true) => quote!(::core::clone::Clone::clone(&*(#tokens))),
                    // A constant named again (`#[constant] b: DVector<f64>`).
                    (true, false) if syn::parse2::<Ident>(tokens.clone()).is_ok() => {
                        quote!(::core::clone::Clone::clone(&#tokens))
                    }
                    (_, true) => quote!(*(#tokens)),
                    (_, false) => quote!((#tokens)),
                };
                self.emit(quote!(let #x = #value;));
                (x, None)
            }
        }
    }

    /// The tangent of an operand: its tangent variable, or a zero for a constant.
    pub(super) fn tangent_of(&self, v: Option<VarId>, value: &Ident) -> TokenStream {
        match v {
            Some(id) => tan(id).to_token_stream(),
            None => {
                let p = private();
                quote!(#p::zero_like(&#value))
            }
        }
    }

    /// The tangent of whatever a user's name holds at the end of a region.
    pub(super) fn tangent_of_binding(&self, b: &Binding, name: &Ident) -> TokenStream {
        match b {
            Binding::Active(v) => tan(*v).to_token_stream(),
            Binding::Inactive { .. } => {
                let p = private();
                quote!(#p::zero_like(&#name))
            }
        }
    }

    /// Forward mode: emits `let __t{out} = expr;`.
    pub(super) fn emit_tangent(&mut self, out: VarId, expr: TokenStream) {
        if self.mode.tangents() {
            let t = tan(out);
            self.emit(quote!(let #t = #expr;));
        }
    }

    pub(super) fn constant(&mut self, v: Val) -> Ident {
        match v {
            Val::Active(id) => var(id),
            inactive => self.operand(inactive).0,
        }
    }

    pub(super) fn rule1(&mut self, rule: &str, a: Val, extra: Option<Ident>, sp: Span) -> Val {
        self.rule1_path(Rule::Named(rule), a, extra, sp)
    }

    /// Second order (`Mode::Hvp`): the token's `second` call, the derivative of
    /// its pullback along the operands' tangents. A linear rule's token answers
    /// `NoGrad`, which adds nothing: linearity is the rule's to state, in
    /// `dispatch.rs`, not the macro's.
    pub(super) fn second(&self, call: TokenStream) -> Option<TokenStream> {
        (self.mode == Mode::Hvp).then_some(call)
    }

    /// `let (out, token) = (&a[, extra]).rule();` forward (after the rule's
    /// `fits` check in dead code), `token.pullback(..)` reverse.
    pub(super) fn rule1_path(
        &mut self,
        rule: Rule<'_>,
        a: Val,
        extra: Option<Ident>,
        sp: Span,
    ) -> Val {
        let (ta, va) = self.operand(a);
        let out = self.new_var();
        let (o, p, gout, pf) = (var(out), private(), gout(), self.fresh("__pf"));
        let (ta, o_at, pf_at) = (at(&ta, sp), at(&o, sp), at(&pf, sp));
        let extra = extra.map(|x| {
            let x = at(&x, sp);
            quote!(#x,)
        });
        let (fwd, tag, method, last) = match rule {
            Rule::Named(name) => {
                let (fwd, tag, method) = named_rule(name, sp);
                (fwd, tag, method, extra.clone())
            }
            Rule::Fn(f) => {
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
        let second =
            self.second(quote_spanned!(sp=> #pf_at.second(&#ta, #extra &#o_at, &#da, #gout)));
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
    pub(super) fn emit_forward(
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

    pub(super) fn rule2(&mut self, rule: &str, a: Val, b: Val, sp: Span) -> Val {
        self.rule2_path(Rule::Named(rule), a, b, sp)
    }

    /// `let (out, token) = (&a, &b[, tag]).rule();` forward, `token.pullback(..)`
    /// reverse, for a rule of `dispatch.rs` or a `ScalarFn2` of `autograd-core`'s `rules`.
    pub(super) fn rule2_path(&mut self, rule: Rule<'_>, a: Val, b: Val, sp: Span) -> Val {
        let (ta, va) = self.operand(a);
        let (tb, vb) = self.operand(b);
        let out = self.new_var();
        let (o, p, gout, pf) = (var(out), private(), gout(), self.fresh("__pf"));
        let (ta, tb, o_at, pf_at) = (at(&ta, sp), at(&tb, sp), at(&o, sp), at(&pf, sp));
        let (fwd, tag, method, last) = match rule {
            Rule::Named(name) => {
                let (fwd, tag, method) = named_rule(name, sp);
                (fwd, tag, method, None)
            }
            Rule::Fn(f) => {
                let tag = quote!(BinaryTag::<#p::rules::#f>);
                let method = at(&Ident::new("binary", Span::call_site()), sp);
                let last = quote!(#p::#tag::TAG);
                (quote!(BinaryForward), tag, method, Some(last))
            }
        };
        let pair = at(&Ident::new("__pair", Span::mixed_site()), sp);
        let check = quote_spanned!(sp=> { let #pair = (&#ta, &#tb); #p::#tag::fits(#pair) });
        let receiver = quote_spanned!(sp=> (&#ta, &#tb, #last));
        self.emit_forward(sp, check, &fwd, receiver, &method, (&o_at, &pf_at));
        let (da, db) = (self.tangent_of(va, &ta), self.tangent_of(vb, &tb));
        self.emit_tangent(
            out,
            quote_spanned!(sp=> #pf_at.tangent(&#ta, &#tb, &#o_at, &#da, &#db)),
        );
        let contrib = quote_spanned!(sp=> #pf_at.pullback(&#ta, &#tb, &#o_at, #gout));
        let second =
            self.second(quote_spanned!(sp=> #pf_at.second(&#ta, &#tb, &#o_at, &#da, &#db, #gout)));
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

    pub(super) fn make_tuple(&mut self, vals: Vec<Val>, sp: Span) -> Val {
        let (ops, targets): (Vec<Ident>, Vec<Option<VarId>>) =
            vals.into_iter().map(|v| self.operand(v)).unzip();
        let out = self.new_var();
        let (o, gout) = (var(out), gout());
        let parts: Vec<TokenStream> = ops.iter().map(|op| self.copy(op)).collect();
        self.emit(quote_spanned!(sp=> let #o = (#(#parts,)*);));
        let tangents: Vec<TokenStream> = ops
            .iter()
            .zip(&targets)
            .map(|(op, t)| self.copy(self.tangent_of(*t, op)))
            .collect();
        self.emit_tangent(out, quote!((#(#tangents,)*)));
        let contrib = match self.dup {
            true => quote!(::core::clone::Clone::clone(#gout)),
            false => quote!(*#gout),
        };
        self.rev(Rev::Prim {
            out,
            contrib,
            targets,
            tuple: true,
            via_contribution: false,
            second: None,
            pairs: false,
        });
        Val::Active(out)
    }

    /// `[a, b, ..]` with a differentiated element: in reverse, entry `i` of the
    /// cotangent goes to element `i`.
    pub(super) fn make_array(&mut self, vals: Vec<Val>, sp: Span) -> Val {
        let (ops, targets): (Vec<Ident>, Vec<Option<VarId>>) =
            vals.into_iter().map(|v| self.operand(v)).unzip();
        let out = self.new_var();
        let (o, gout) = (var(out), gout());
        self.emit(quote_spanned!(sp=> let #o = [#(#ops),*];));
        let tangents: Vec<TokenStream> = ops
            .iter()
            .zip(&targets)
            .map(|(op, t)| self.tangent_of(*t, op))
            .collect();
        self.emit_tangent(out, quote!([#(#tangents),*]));
        let ga = Ident::new("__ga", Span::mixed_site());
        let entries = (0..targets.len()).map(syn::Index::from);
        self.rev(Rev::Prim {
            out,
            contrib: quote!({ let #ga = *#gout; (#(#ga[#entries],)*) }),
            targets,
            tuple: true,
            via_contribution: false,
            second: None,
            pairs: false,
        });
        Val::Active(out)
    }

    /// `[x; len]` of a differentiated `x`: in reverse, `x` gets the sum of the
    /// cotangent's entries.
    pub(super) fn repeat_array(&mut self, x: Val, len: &syn::Expr, sp: Span) -> Val {
        let (tx, vx) = self.operand(x);
        let out = self.new_var();
        let (o, gout, p) = (var(out), gout(), private());
        self.emit(quote_spanned!(sp=> let #o = [#tx; #len];));
        let dx = self.tangent_of(vx, &tx);
        self.emit_tangent(out, quote!([#dx; #len]));
        let (sum, e) = (
            Ident::new("__sum", Span::mixed_site()),
            Ident::new("__e", Span::mixed_site()),
        );
        self.rev(Rev::Prim {
            out,
            contrib: quote!({
                let mut #sum = #p::zero_like(&#tx);
                for #e in (*#gout).iter() {
                    #p::acc(&mut #sum, *#e);
                }
                #sum
            }),
            targets: vec![vx],
            tuple: false,
            via_contribution: false,
            second: None,
            pairs: false,
        });
        Val::Active(out)
    }

    /// `root` with the part at `place` (a chain of `[i]` and `.field`, constant
    /// indices) replaced by `value`, for `root[i] = value`: in reverse, the part's
    /// cotangent goes to `value` and the rest of it to `root`.
    pub(super) fn set_part(&mut self, root: Val, place: &TokenStream, value: Val, sp: Span) -> Val {
        let (tr, vr) = self.operand(root);
        let (tv, vv) = self.operand(value);
        let out = self.new_var();
        let (o, gout, p) = (var(out), gout(), private());
        self.emit(quote_spanned!(sp=> let mut #o = #tr; #o #place = #tv;));
        let (dr, dv) = (self.tangent_of(vr, &tr), self.tangent_of(vv, &tv));
        let (t, ga, gv) = (
            Ident::new("__t", Span::mixed_site()),
            Ident::new("__ga", Span::mixed_site()),
            Ident::new("__gv", Span::mixed_site()),
        );
        self.emit_tangent(out, quote!({ let mut #t = #dr; #t #place = #dv; #t }));
        self.rev(Rev::Prim {
            out,
            contrib: quote!({
                let mut #ga = *#gout;
                let #gv = #ga #place;
                #ga #place = #p::zero_like(&#gv);
                (#ga, #gv)
            }),
            targets: vec![vr, vv],
            tuple: true,
            via_contribution: false,
            second: None,
            pairs: false,
        });
        Val::Active(out)
    }

    pub(super) fn tuple_get(&mut self, t: VarId, i: usize, sp: Span) -> VarId {
        self.field_get(t, &syn::Member::Unnamed(syn::Index::from(i)), sp)
    }

    /// `t.0` of a tuple or `m.w1` of a struct deriving `Tangent`: in reverse, the
    /// cotangent goes into that field of `t`'s (see [`Rev::Field`]).
    pub(super) fn field_get(&mut self, t: VarId, member: &syn::Member, sp: Span) -> VarId {
        self.part_get(t, quote!(.#member), sp)
    }

    /// `m[i]` of an array or matrix, `i` a constant (a `usize`, or `(row, col)`
    /// for a matrix): in reverse, the cotangent is added into that entry of `m`'s
    /// in place (see [`Rev::Field`]).
    pub(super) fn index_get(&mut self, m: VarId, index: &Ident, sp: Span) -> VarId {
        let index = at(index, sp);
        self.part_get(m, quote_spanned!(sp=> [#index]), sp)
    }

    fn part_get(&mut self, t: VarId, place: TokenStream, sp: Span) -> VarId {
        self.use_var(t);
        let out = self.new_var();
        let (o, x) = (var(out), at(&var(t), sp));
        let (part, tt) = (quote_spanned!(sp=> #x #place), tan(t));
        let (part, tpart) = (self.copy(part), self.copy(quote!(#tt #place)));
        self.emit(quote_spanned!(sp=> let #o = #part;));
        self.emit_tangent(out, tpart);
        self.rev(Rev::Field {
            out,
            base: t,
            place,
        });
        out
    }
}

pub(super) enum Rule<'a> {
    /// A rule of `dispatch.rs`, by its function.
    Named(&'a str),
    /// A scalar function of `rules`, by its type.
    Fn(&'a Ident),
}

/// The forward trait, the tag and the method of a rule of `dispatch.rs` named
/// `name` (`mul`: `MulForward`, `MulTag`, `.mul()`), the method spanned at `sp`.
fn named_rule(name: &str, sp: Span) -> (TokenStream, TokenStream, Ident) {
    let camel = camel_case(name);
    let fwd = Ident::new(&format!("{camel}Forward"), Span::call_site());
    let tag = Ident::new(&format!("{camel}Tag"), Span::call_site());
    (
        quote!(#fwd),
        quote!(#tag),
        at(&Ident::new(name, Span::call_site()), sp),
    )
}
