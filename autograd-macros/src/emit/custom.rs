//! The bodies of a function with a custom rule, `#[differentiable(vjp = PULLBACK)]`
//! (`jax.custom_vjp`, `torch.autograd.Function`): its body is run as written, never
//! differentiated, and `PULLBACK(args.., cotangent) -> NAME::Grad` is its
//! vector-Jacobian product.
//!
//! - `__vjp` runs the body and returns a pullback that calls `PULLBACK` on owned
//!   copies of the arguments.
//! - `__jvp` is exact too: entry `i` of the output's tangent is
//!   `<PULLBACK(e_i), tangent>`, one pullback per output entry.
//! - `__hvp` has the value and the tangent, but its pullback panics: a custom rule
//!   states no second derivative (hence no `hessian` either).

use super::Generated;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;

impl Generated<'_> {
    /// The function's value: its body run on clones of the arguments, so that the
    /// arguments stay available to the pullback.
    fn custom_value(&self) -> TokenStream {
        let ret = self.ret;
        let block = &self.view.item.block;
        let clones = self.params.iter().map(|p| {
            let (i, m) = (&p.ident, p.mutable.then(|| quote!(mut)));
            quote!(let #m #i = ::core::clone::Clone::clone(&#i);)
        });
        quote! {{
            #(#clones)*
            (|| -> #ret #block)()
        }}
    }

    /// `PULLBACK(args.., cotangent)` on `args`, with the user's span on the call so
    /// that a pullback of the wrong signature is reported on `vjp = ..`.
    fn custom_call(
        &self,
        pullback: &syn::Path,
        args: &[TokenStream],
        cot: TokenStream,
    ) -> TokenStream {
        let grad_ty = self.grad_type();
        quote_spanned!(pullback.span()=> {
            let __r: #grad_ty = #pullback(#(#args,)* #cot);
            __r
        })
    }

    /// Owned copies of the arguments (`__own_x`), and how each is passed to the
    /// pullback from inside a closure that owns them.
    fn custom_owned(&self) -> (TokenStream, Vec<TokenStream>) {
        let mut owned = TokenStream::new();
        let mut passes = Vec::new();
        for p in &self.params {
            let (i, own) = (
                &p.ident,
                format_ident!("__own_{}", p.ident, span = Span::mixed_site()),
            );
            if p.by_ref {
                owned.extend(quote!(let #own = ::core::clone::Clone::clone(#i);));
                passes.push(quote!(&#own));
            } else {
                owned.extend(quote!(let #own = ::core::clone::Clone::clone(&#i);));
                passes.push(quote!(::core::clone::Clone::clone(&#own)));
            }
        }
        (owned, passes)
    }

    /// The cotangents of `__r` (a `Grad`) as `__vjp` returns them: one per
    /// parameter, `NoGrad` for constants.
    fn custom_returns(&self) -> TokenStream {
        let fields = self.params.iter().map(|p| match p.constant {
            true => quote!(::autograd::__private::NoGrad),
            false => {
                let i = &p.ident;
                quote!(__r.#i)
            }
        });
        quote!((#(#fields,)*))
    }

    pub(super) fn custom_vjp_body(&self, pullback: &syn::Path) -> TokenStream {
        let (ret, value) = (self.ret, self.custom_value());
        let (owned, passes) = self.custom_owned();
        let call = self.custom_call(pullback, &passes, quote!(__seed));
        let returns = self.custom_returns();
        quote! {
            let __out: #ret = #value;
            #owned
            (__out, move |__seed: #ret| {
                let __r = #call;
                #returns
            })
        }
    }

    pub(super) fn custom_grad_body(&self) -> TokenStream {
        let turbofish = self.turbofish();
        let args = self.params.iter().map(|p| &p.ident);
        quote! {{
            let (__out, __pb) = __vjp #turbofish (#(#args),*);
            let __seed = ::autograd::__private::one_like(&__out);
            (__out, __pb(__seed))
        }}
    }

    pub(super) fn custom_jvp_body(&self, pullback: &syn::Path) -> TokenStream {
        let (ret, value) = (self.ret, self.custom_value());
        let pm = quote!(::autograd::Params);
        let p = quote!(::autograd::__private);
        let mut tangents = TokenStream::new();
        let mut dots = TokenStream::new();
        let mut tas = Vec::new();
        for (k, param) in self.params.iter().enumerate() {
            let ta = format_ident!("__ta{}", k, span = Span::mixed_site());
            tas.push(ta.to_token_stream());
            if param.constant {
                continue;
            }
            let (i, tx) = (
                &param.ident,
                format_ident!("__tx{}", k, span = Span::mixed_site()),
            );
            let like = match param.by_ref {
                true => quote!(#i),
                false => quote!(&#i),
            };
            tangents.extend(quote!(let #tx = #p::tangent_for(#ta, #like);));
            dots.extend(quote!(__d += #pm::dot(&__r.#i, &#tx);));
        }
        let passes: Vec<TokenStream> = self
            .params
            .iter()
            .map(|q| {
                let i = &q.ident;
                match q.by_ref {
                    true => quote!(#i),
                    false => quote!(::core::clone::Clone::clone(&#i)),
                }
            })
            .collect();
        let call = self.custom_call(pullback, &passes, quote!(__c));
        quote! {
            let (#(#tas,)*) = __tangents;
            #tangents
            let __out: #ret = #value;
            let mut __tout: #ret = #p::zero_like(&__out);
            for __i in 0..<#ret as #pm>::DIM {
                let mut __c: #ret = #p::zero_like(&__out);
                if let ::core::option::Option::Some(__e) = #pm::entries_mut(&mut __c).nth(__i) {
                    *__e = ::autograd::nalgebra::one();
                }
                let __r = #call;
                let mut __d = ::autograd::nalgebra::zero();
                #dots
                if let ::core::option::Option::Some(__e) = #pm::entries_mut(&mut __tout).nth(__i) {
                    *__e = __d;
                }
            }
            (__out, __tout)
        }
    }

    pub(super) fn custom_hvp_body(&self) -> TokenStream {
        let (ret, name) = (self.ret, &self.view.item.sig.ident);
        let turbofish = self.turbofish();
        let args = self.params.iter().map(|p| &p.ident);
        let pairs = self.params.iter().map(|p| match p.constant {
            true => quote!(::autograd::__private::NoGrad),
            false => {
                let o = &p.owned;
                quote!((#o, #o))
            }
        });
        let msg = format!("`{name}` has a custom vjp and no second derivative: a Hessian (hvp, hessian) through it is not defined; write it in the differentiable language to get one");
        quote! {
            let (__out, __tout) = __jvp #turbofish (#(#args,)* __tangents);
            (__out, __tout, move |_: (#ret, #ret)| -> (#(#pairs,)*) {
                ::core::panic!(#msg)
            })
        }
    }
}
