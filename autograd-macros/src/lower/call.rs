//! Calls: methods in function form (`f64::tanh(x)`), the matrix constructors
//! fed by differentiated values, and calls to other `#[differentiable]` functions,
//! whose generated `__vjp` / `__jvp` / `__hvp` are composed.

use super::ir::{gout, private, tan, var, Mode, Rev, Val};
use super::Lowerer;
use crate::primitives;
use crate::reject::Reject;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Expr, Ident};

impl Lowerer<'_> {
    pub(super) fn call(&mut self, c: &syn::ExprCall, e: &Expr) -> Val {
        let Expr::Path(fp) = &*c.func else {
            return self.only_inactive(e, Reject::CallNotByPath);
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
                let turbofish = match &method.arguments {
                    syn::PathArguments::AngleBracketed(a) => Some(a),
                    _ => None,
                };
                return self.method(&method.ident, turbofish, recv, &rest, e);
            }
        }
        let is_type = |s: &syn::PathSegment| {
            s.ident
                .to_string()
                .starts_with(|ch: char| ch.is_ascii_uppercase())
        };
        if let [.., ty, _] = segs.as_slice() {
            let ty = ty.ident.to_string();
            if let Some(a) = primitives::associated(&ty, &last, c.args.len()) {
                return self.associated(a, c, e);
            }
            let constructor = last == "new" && primitives::CONSTRUCTED.contains(&ty.as_str());
            if primitives::is_geometry_type(&ty) && !constructor {
                return self.only_inactive(e, Reject::UnknownAssociated(format!("{ty}::{last}")));
            }
        }
        if matches!(last.as_str(), "new" | "from_element" | "repeat")
            && segs.len() >= 2
            && is_type(segs[segs.len() - 2])
        {
            return self.construct(c, &last == "new", e);
        }
        self.diff_call(fp, c, e)
    }

    /// An associated function with a rule (`UnitQuaternion::from_scaled_axis(w)`),
    /// lowered as the rule of its arguments.
    fn associated(&mut self, a: &primitives::Associated, c: &syn::ExprCall, e: &Expr) -> Val {
        let sp = e.span();
        let vals: Vec<Val> = c.args.iter().map(|x| self.expr(x)).collect();
        if vals.iter().all(|v| v.active().is_none()) {
            return self.inactive(e);
        }
        let mut vals = vals.into_iter();
        match (vals.next(), vals.next()) {
            (Some(x), None) => self.rule1(a.rule, x, None, sp),
            (Some(x), Some(y)) => self.rule2(a.rule, x, y, sp),
            _ => self.inactive(e),
        }
    }

    /// `SVector::new(a, b, ..)`, `SMatrix::from_element(s)`, `SVector::repeat(s)`.
    pub(super) fn construct(&mut self, c: &syn::ExprCall, row_major_args: bool, e: &Expr) -> Val {
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
    pub(super) fn diff_call(&mut self, fp: &syn::ExprPath, c: &syn::ExprCall, e: &Expr) -> Val {
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
                    arg_tokens.push(if by_ref { quote!(&#x) } else { self.copy(&x) });
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
                // Passed by value: a slice's tangent (a `Vec`) is cloned, a
                // `Copy` one copied.
                Some(v) => {
                    let t = tan(*v);
                    quote!(::core::clone::Clone::clone(&#t))
                }
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
            contrib: if self.dup {
                quote!(#pb(::core::clone::Clone::clone(#gout)))
            } else {
                quote!(#pb(*#gout))
            },
            targets,
            tuple: true,
            via_contribution: true,
            second: None,
            pairs: self.mode == Mode::Hvp,
        });
        Val::Active(out)
    }
}
