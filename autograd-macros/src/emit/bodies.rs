//! The bodies of the generated functions: `__vjp`, `grad`, `__jvp`, `__hvp` and
//! `hessian`, each the lowered forward code followed by its sweep.

use super::types::copy_scalar;
use super::{visibilities, Generated};
use crate::lower::ir::{tan, tangent_arg, var, Lowered, Val};
use crate::lower::reverse::Reverse;
use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::Ident;

impl Generated<'_> {
    /// The forward sweep, the output, the reverse sweep from `__seed` and the
    /// parameters' cotangents, shared by `__vjp` and `grad`.
    pub(super) fn reverse_parts(
        &self,
        l: &Lowered,
    ) -> (TokenStream, TokenStream, Vec<TokenStream>, Ident) {
        let mut rev = Reverse::new(false);
        rev.dup = self.may_not_copy();
        let seed = Ident::new("__seed", Span::mixed_site());
        let out = match &l.tail {
            Val::Active(v) => {
                rev.accumulate(*v, seed.to_token_stream(), false);
                // The reverse sweep may read the output too.
                self.copy_out(var(*v).to_token_stream())
            }
            Val::Inactive { tokens, .. } => tokens.clone(),
        };
        rev.entries(&l.region.rev);
        let returns = l
            .params
            .iter()
            .map(|p| match p {
                Some(v) => rev.cot_or_zero(*v),
                None => quote!(::autograd::__private::NoGrad),
            })
            .collect();
        (out, rev.code, returns, seed)
    }

    pub(super) fn vjp_body(&self, l: &Lowered) -> TokenStream {
        let fwd = &l.region.fwd;
        let ret = self.ret;
        let (out, code, returns, seed) = self.reverse_parts(l);
        quote! {
            #fwd
            let __out: #ret = #out;
            (__out, move |#seed: #ret| {
                #code
                (#(#returns,)*)
            })
        }
    }

    /// `grad`'s body: the forward and reverse sweeps of `__vjp` in one block,
    /// without the pullback closure, so that nothing is moved into one (the
    /// closure owns copies of by-reference parameters; here the optimizer reads
    /// them in place).
    pub(super) fn grad_body(&self, l: &Lowered) -> TokenStream {
        let fwd = &l.region.fwd;
        let ret = self.ret;
        let (out, code, returns, seed) = self.reverse_parts(l);
        quote! {{
            #fwd
            let __out: #ret = #out;
            let #seed: #ret = ::autograd::__private::one_like(&__out);
            #code
            (__out, (#(#returns,)*))
        }}
    }

    /// `hessian`: for a function without generics whose output is a scalar, the
    /// matrix of second derivatives over every entry of the differentiated
    /// parameters (in `Grad`'s order), one `hvp` per column. Constant parameters
    /// are passed to each `hvp` again, so they must be references or plain
    /// scalars.
    pub(super) fn hessian_fn(
        &self,
        lowered: bool,
        decls: &TokenStream,
        args: &[&Ident],
        tangent_param: &Ident,
    ) -> Option<TokenStream> {
        let generics = &self.view.item.sig.generics;
        if !lowered
            || !self.returns_scalar()
            || self.dynamic()
            || generics.type_params().next().is_some()
            || generics.const_params().next().is_some()
            || self.differentiated().next().is_none()
            || !self
                .params
                .iter()
                .all(|p| p.by_ref || !p.constant || copy_scalar(&p.owned))
        {
            return None;
        }
        let name = &self.view.item.sig.ident;
        let (_, item_vis) = visibilities(&self.view.item.vis);
        let ret = self.ret;
        let pm = quote!(::autograd::Params);
        let dim = quote!({ <Grad as #pm>::DIM });
        let doc = format!("The Hessian of [`{name}`](fn@super::{name}): the matrix of its second derivatives with respect to every entry of the parameters not marked `#[constant]` (in the order of `Grad`'s fields, matrices column by column), computed column by column with [`hvp`]. Symmetric up to rounding.");
        Some(quote! {
            #[doc = #doc]
            #[inline]
            #item_vis fn hessian(#decls) -> ::autograd::nalgebra::SMatrix<#ret, #dim, #dim> {
                let (_, __g) = grad(#(#args),*);
                let mut #tangent_param = ::autograd::Tangent::zero_like(&__g);
                let mut __h = ::autograd::nalgebra::SMatrix::<#ret, #dim, #dim>::zeros();
                for __j in 0..<Grad as #pm>::DIM {
                    if let ::core::option::Option::Some(__e) = #pm::entries_mut(&mut #tangent_param).nth(__j) {
                        *__e = 1.0;
                    }
                    let (_, _, __hv) = hvp(#(#args,)* &#tangent_param);
                    for (__i, __v) in #pm::entries(&__hv).enumerate() {
                        __h[(__i, __j)] = *__v;
                    }
                    if let ::core::option::Option::Some(__e) = #pm::entries_mut(&mut #tangent_param).nth(__j) {
                        *__e = 0.0;
                    }
                }
                __h
            }
        })
    }

    /// `jacobian`: the derivative of every entry of the output (rows, in the order
    /// of `Params::entries`) with respect to every differentiated entry (columns,
    /// in `Grad`'s order), by one `jvp` per column or one `vjp` per row, whichever
    /// is fewer. For functions without generics (the sizes are then constants)
    /// whose constant parameters can be passed more than once.
    pub(super) fn jacobian_fn(
        &self,
        lowered: bool,
        decls: &TokenStream,
        args: &[&Ident],
        tangent_param: &Ident,
    ) -> Option<TokenStream> {
        let generics = &self.view.item.sig.generics;
        if !lowered
            || self.dynamic()
            || generics.type_params().next().is_some()
            || generics.const_params().next().is_some()
            || self.differentiated().next().is_none()
            || !self
                .params
                .iter()
                .all(|p| p.by_ref || !p.constant || copy_scalar(&p.owned))
        {
            return None;
        }
        let name = &self.view.item.sig.ident;
        let (_, item_vis) = visibilities(&self.view.item.vis);
        let (ret, pm, tg) = (
            self.ret,
            quote!(::autograd::Params),
            quote!(::autograd::Tangent),
        );
        let (m, d) = (
            quote!({ <#ret as #pm>::DIM }),
            quote!({ <Grad as #pm>::DIM }),
        );
        let scalar = quote!(<Grad as #pm>::Scalar);
        let doc = format!("The Jacobian of [`{name}`](fn@super::{name}): entry `(i, j)` is the derivative of the output's entry `i` (matrices column by column; `0` for a scalar output) with respect to the `j`-th entry of the parameters not marked `#[constant]` (in the order of `Grad`'s fields, matrices column by column). Computed with one [`jvp`] per column or one [`vjp`] per row, whichever is fewer.");
        Some(quote! {
            #[doc = #doc]
            #[inline]
            #item_vis fn jacobian(#decls) -> ::autograd::nalgebra::SMatrix<#scalar, #m, #d> {
                if <#ret as #pm>::DIM < <Grad as #pm>::DIM {
                    // Rows of the Jacobian are contiguous columns of its transpose.
                    let mut __jt = ::autograd::nalgebra::SMatrix::<#scalar, #d, #m>::zeros();
                    for (__i, __row) in __jt.as_mut_slice().chunks_exact_mut(<Grad as #pm>::DIM).enumerate() {
                        let (__y, __pb) = vjp(#(#args),*);
                        let mut __c = #tg::zero_like(&__y);
                        ::autograd::__private::set_entry(&mut __c, __i, ::autograd::nalgebra::one());
                        #pm::write_entries(&__pb(__c), __row);
                    }
                    __jt.transpose()
                } else {
                    let mut __jac = ::autograd::nalgebra::SMatrix::<#scalar, #m, #d>::zeros();
                    // A zero of `Grad`'s shape: the pullback of a zero cotangent.
                    let (__y, __pb) = vjp(#(#args),*);
                    let mut #tangent_param = __pb(#tg::zero_like(&__y));
                    for __j in 0..<Grad as #pm>::DIM {
                        ::autograd::__private::set_entry(&mut #tangent_param, __j, ::autograd::nalgebra::one());
                        let (_, __dy) = jvp(#(#args,)* &#tangent_param);
                        #pm::write_entries(&__dy, &mut __jac.as_mut_slice()[__j * <#ret as #pm>::DIM..]);
                        ::autograd::__private::set_entry(&mut #tangent_param, __j, ::autograd::nalgebra::zero());
                    }
                    __jac
                }
            }
        })
    }

    /// Forward over reverse: the value, its tangent, and the pullback of cotangent
    /// pairs `(g, dg)`, returning a pair per differentiated parameter.
    pub(super) fn hvp_body(&self, l: &Lowered) -> TokenStream {
        let fwd = &l.region.fwd;
        let ret = self.ret;
        let tas: Vec<proc_macro2::Ident> = (0..self.params.len()).map(tangent_arg).collect();
        let mut rev = Reverse::new(true);
        rev.dup = self.may_not_copy();
        let seed = Ident::new("__seed", Span::mixed_site());
        let (out, tout) = match &l.tail {
            Val::Active(v) => {
                rev.accumulate(*v, seed.to_token_stream(), false);
                (
                    self.copy_out(var(*v).to_token_stream()),
                    self.copy_out(tan(*v).to_token_stream()),
                )
            }
            Val::Inactive { tokens, .. } => (
                tokens.clone(),
                quote!(::autograd::__private::zero_like(&__out)),
            ),
        };
        rev.entries(&l.region.rev);
        let returns = l.params.iter().map(|p| match p {
            Some(v) => rev.cot_or_zero(*v),
            None => quote!(::autograd::__private::NoGrad),
        });
        let code = &rev.code;
        quote! {
            let (#(#tas,)*) = __tangents;
            #fwd
            let __out: #ret = #out;
            let __tout: #ret = #tout;
            (__out, __tout, move |#seed: (#ret, #ret)| {
                #code
                (#(#returns,)*)
            })
        }
    }

    pub(super) fn jvp_body(&self, l: &Lowered) -> TokenStream {
        let fwd = &l.region.fwd;
        let ret = self.ret;
        let tas: Vec<proc_macro2::Ident> = (0..self.params.len()).map(tangent_arg).collect();
        let (out, tout) = match &l.tail {
            Val::Active(v) => (var(*v).to_token_stream(), tan(*v).to_token_stream()),
            Val::Inactive { tokens, .. } => (
                tokens.clone(),
                quote!(::autograd::__private::zero_like(&__out)),
            ),
        };
        quote! {
            let (#(#tas,)*) = __tangents;
            #fwd
            let __out: #ret = #out;
            let __tout: #ret = #tout;
            (__out, __tout)
        }
    }
}
