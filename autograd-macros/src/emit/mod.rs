//! Emit phase: the user's function, unchanged, and beside it a module of the same
//! name holding `Grad`, `grad`, `vjp` and the positional `__vjp` that other
//! differentiable functions compose.
//!
//! ```text
//! pub fn neuron(w: f64, b: f64, x: f64, y: f64) -> f64 { .. }   // as written
//! pub mod neuron {
//!     pub struct Grad { pub w: f64, pub b: f64 }
//!     pub fn __vjp(..) -> (f64, impl FnOnce(f64) -> (f64, f64, NoGrad, NoGrad))
//!     pub fn vjp(..)   -> (f64, impl FnOnce(f64) -> Grad)
//!     pub fn grad(..)  -> (f64, Grad)
//!     pub fn __jvp(.., tangents) -> (f64, f64)             // forward mode
//!     pub fn jvp(.., tangent: &Grad) -> (f64, f64)
//!     pub fn __hvp(.., tangents) -> (f64, f64, impl FnOnce((f64, f64)) -> ((f64, f64), ..))
//!     pub fn hvp(.., tangent: &Grad) -> (f64, Grad, Grad)  // forward over reverse
//!     pub fn hessian(..) -> SMatrix<f64, D, D>              // no generics only
//!     pub fn jacobian(..) -> SMatrix<f64, M, D>             // no generics only
//!     pub fn apply(&Tensor, ..) -> Tensor                    // the bridge
//! }
//! ```
//!
//! A function with a custom rule (`#[differentiable(vjp = PULLBACK)]`) gets the
//! same items from its pullback (see [`custom`]). With [`Body::Stub`] (the
//! function had errors) the same items are emitted with
//! bodies that never run, so that callers see no follow-on errors.
//!
//! [`bodies`] holds the bodies of the generated functions, [`types`] `Grad` and
//! the generics of the generated items, [`bridge`] `apply`/`try_apply`.

mod bodies;
mod bridge;
mod custom;
mod types;

use crate::lower::ir::Lowered;
use crate::parse::{FnView, Param};
use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::{Ident, Type, Visibility};

/// Where the derivatives of a function come from.
#[derive(Clone, Copy)]
pub enum Body<'a> {
    /// The body lowered in each mode: reverse, forward, forward over reverse.
    Lowered(&'a Lowered, &'a Lowered, &'a Lowered),
    /// A custom rule: the user's pullback, by its path.
    Custom(&'a syn::Path),
    /// Errors were found: bodies that never run.
    Stub,
}

impl Body<'_> {
    /// Whether the generated items have real bodies.
    fn is_real(self) -> bool {
        !matches!(self, Body::Stub)
    }
}

pub fn expand(view: &FnView, body: Body<'_>) -> TokenStream {
    let item = &view.item;
    let (Some(params), Some(ret)) = (
        view.params
            .iter()
            .map(Option::as_ref)
            .collect::<Option<Vec<&Param>>>(),
        &view.ret,
    ) else {
        return item.to_token_stream();
    };
    let g = Generated::new(view, params, ret);
    let module = g.module(body);
    // Calling only the derivatives is a use of the function: no dead-code warning.
    // (The module cannot name the function to count as a use: `super::f` does not
    // reach a function declared in a function body.)
    quote!(#[allow(dead_code)] #item #module)
}

/// What the generated items of one function are made from.
struct Generated<'a> {
    view: &'a FnView,
    params: Vec<&'a Param>,
    ret: &'a Type,
}

impl<'a> Generated<'a> {
    pub(super) fn new(view: &'a FnView, params: Vec<&'a Param>, ret: &'a Type) -> Self {
        Generated { view, params, ret }
    }

    /// The parameters not marked `#[constant]`: the fields of `Grad`.
    pub(super) fn differentiated(&self) -> impl Iterator<Item = &'a Param> + '_ {
        self.params.iter().copied().filter(|p| !p.constant)
    }

    pub(super) fn module(&self, body: Body<'_>) -> TokenStream {
        let sig = &self.view.item.sig;
        let name = &sig.ident;
        let (mod_vis, item_vis) = visibilities(&self.view.item.vis);
        // A differentiated slice is read in place by the pullbacks, which then
        // borrow it: its lifetime is named, on every generated item, so that the
        // returned closures can say they capture it (`use<'__slice, ..>`).
        let mut with_lifetime = sig.generics.clone();
        let mut decl_types: Vec<Type> = self.params.iter().map(|p| p.ty.clone()).collect();
        let slice_lifetimes = crate::parse::name_slice_lifetimes(
            self.params
                .iter()
                .zip(&mut decl_types)
                .filter(|(p, _)| p.slice && !p.constant)
                .map(|(_, t)| t),
            &mut with_lifetime,
        );
        let generics = &with_lifetime;
        let (impl_generics, _, _) = generics.split_for_impl();
        let where_clause = self.where_clause();
        let decls = self.params.iter().zip(&decl_types).map(|(p, t)| {
            let i = &p.ident;
            let m = p.mutable.then(|| quote!(mut));
            quote!(#m #i: #t)
        });
        let decls = quote!(#(#decls),*);
        let args: Vec<&Ident> = self.params.iter().map(|p| &p.ident).collect();
        let ret = self.ret;
        let turbofish = self.turbofish();
        let use_bound = self.use_bound(&slice_lifetimes);
        let cot_types = self.params.iter().map(|p| match p.constant {
            true => quote!(::autograd::__private::NoGrad),
            false => p.owned.to_token_stream(),
        });
        let cot_types: Vec<TokenStream> = cot_types.collect();
        let grad_ty = self.grad_type();
        let active: Vec<&Ident> = self.differentiated().map(|p| &p.ident).collect();
        let pattern = self.params.iter().map(|p| match p.constant {
            true => quote!(_),
            false => p.ident.to_token_stream(),
        });
        let pattern = quote!((#(#pattern,)*));
        let marker = self
            .marker()
            .map(|_| quote!(__marker: ::core::marker::PhantomData,));
        let build = quote!(Grad { #(#active,)* #marker });

        let jvp_body = match body {
            Body::Lowered(_, t, _) => self.jvp_body(t),
            Body::Custom(pb) => self.custom_jvp_body(pb),
            Body::Stub => quote!(::core::unreachable!()),
        };
        let tangent_types: Vec<TokenStream> = self
            .params
            .iter()
            .map(|p| match p.constant {
                true => quote!(impl ::core::marker::Sized),
                false => {
                    let o = &p.owned;
                    quote!(impl ::autograd::__private::TangentArg<#o>)
                }
            })
            .collect();
        let tangent_param = if self.params.iter().any(|p| p.ident == "tangent") {
            Ident::new("__tangent", Span::call_site())
        } else {
            Ident::new("tangent", Span::call_site())
        };
        let tangent_fields: Vec<TokenStream> = self
            .params
            .iter()
            .map(|p| match p.constant {
                true => quote!(::autograd::__private::NoGrad),
                // A slice's tangent is a `Vec`, passed by value; a `DVector`'s a
                // `DVector`.
                false if p.slice || p.dynamic => {
                    let i = &p.ident;
                    quote!(::core::clone::Clone::clone(&#tangent_param.#i))
                }
                false => {
                    let i = &p.ident;
                    quote!(#tangent_param.#i)
                }
            })
            .collect();
        let jvp_call = match body.is_real() {
            true => quote!(__jvp #turbofish (#(#args,)* (#(#tangent_fields,)*))),
            false => quote!(::core::unreachable!()),
        };
        let jvp_doc = format!("The value of [`{name}`](fn@super::{name}) and its directional derivative along `tangent` (forward mode: a Jacobian-vector product), in one forward sweep.");
        let vjp_body = match body {
            Body::Lowered(l, _, _) => self.vjp_body(l),
            Body::Custom(pb) => self.custom_vjp_body(pb),
            Body::Stub => quote!((::core::unreachable!(), move |_: #ret| ::core::unreachable!())),
        };
        let grad_body = match body {
            Body::Lowered(l, _, _) => self.grad_body(l),
            Body::Custom(_) => self.custom_grad_body(),
            Body::Stub => quote!(::core::unreachable!()),
        };
        let grad_struct = self.grad_struct(body.is_real());
        let quiet = quiet();
        let grad_fn = self.returns_scalar().then(|| {
            let doc = format!("The value of [`{name}`](fn@super::{name}) and its gradient with respect to every parameter not marked `#[constant]`, in one forward and one reverse sweep.");
            quote! {
                #[doc = #doc]
                #[inline]
                #quiet
                #item_vis fn grad #impl_generics (#decls) -> (#ret, #grad_ty) #where_clause {
                    let (__out, #pattern): (#ret, (#(#cot_types,)*)) = #grad_body;
                    (__out, #build)
                }
            }
        });
        let apply_fns = body.is_real().then(|| self.apply_fns()).flatten();
        let hvp_body = match body {
            Body::Lowered(_, _, h) => self.hvp_body(h),
            Body::Custom(_) => self.custom_hvp_body(),
            Body::Stub => quote!((
                ::core::unreachable!(),
                ::core::unreachable!(),
                move |_: (#ret, #ret)| ::core::unreachable!()
            )),
        };
        // `__hvp` returns an `impl FnOnce` whose `use<..>` must name every type
        // parameter, so the tangent arguments' types are named ones here.
        let mut hvp_generics = generics.clone();
        let mut hvp_tangent_types = Vec::new();
        for (i, p) in self.params.iter().enumerate() {
            let t = Ident::new(&format!("__TA{i}"), Span::mixed_site());
            let bound = match p.constant {
                true => quote!(::core::marker::Sized),
                false => {
                    let o = &p.owned;
                    quote!(::autograd::__private::TangentArg<#o>)
                }
            };
            hvp_generics.params.push(syn::parse_quote!(#t: #bound));
            hvp_tangent_types.push(t);
        }
        let (hvp_impl_generics, _, _) = hvp_generics.split_for_impl();
        let mut hvp_use: Vec<TokenStream> = slice_lifetimes
            .iter()
            .map(|l| l.to_token_stream())
            .chain(self.generic_args().into_iter().map(|i| i.to_token_stream()))
            .collect();
        hvp_use.extend(hvp_tangent_types.iter().map(|t| t.to_token_stream()));
        let pair_cot_types = self.params.iter().map(|p| match p.constant {
            true => quote!(::autograd::__private::NoGrad),
            false => {
                let o = &p.owned;
                quote!((#o, #o))
            }
        });
        // The tangents' type parameters are inferred.
        let hvp_turbofish = match self.generic_args() {
            a if a.is_empty() => TokenStream::new(),
            a => {
                let infer = self.params.iter().map(|_| quote!(_));
                quote!(::<#(#a,)* #(#infer),*>)
            }
        };
        let hvp_call = match body.is_real() {
            true => quote!(__hvp #hvp_turbofish (#(#args,)* (#(#tangent_fields,)*))),
            false => quote!(::core::unreachable!()),
        };
        let first = self.differentiated().map(|p| {
            let i = &p.ident;
            quote!(#i: #i.0,)
        });
        let second = self.differentiated().map(|p| {
            let i = &p.ident;
            quote!(#i: #i.1,)
        });
        // A custom rule has no second derivative.
        let lowered = matches!(body, Body::Lowered(..));
        let hessian_fn = self.hessian_fn(lowered, &decls, &args, &tangent_param);
        let jacobian_fn = self.jacobian_fn(body.is_real(), &decls, &args, &tangent_param);
        let hvp_fn = self.returns_scalar().then(|| {
            let body = match body.is_real() {
                true => quote! {
                    let (__out, _, __pb) = #hvp_call;
                    let __one = ::autograd::__private::one_like(&__out);
                    let #pattern = __pb((__one, ::autograd::__private::zero_like(&__one)));
                    (__out, Grad { #(#first)* #marker }, Grad { #(#second)* #marker })
                },
                false => quote!(::core::unreachable!()),
            };
            let doc = format!("The value of [`{name}`](fn@super::{name}), its gradient, and the product of its Hessian with `{tangent_param}` (a Hessian-vector product, forward over reverse: one forward sweep with tangents and one reverse sweep over pairs of cotangents).");
            quote! {
                #[doc = #doc]
                #[inline]
                #[allow(unused_variables)]
                #item_vis fn hvp #impl_generics (#decls, #tangent_param: &#grad_ty) -> (#ret, #grad_ty, #grad_ty) #where_clause {
                    #body
                }
            }
        });
        let mod_doc =
            format!("Derivatives of [`{name}`](fn@{name}), generated by `#[differentiable]`.");
        let vjp_doc = format!("The value of [`{name}`](fn@super::{name}) and its pullback, which maps a cotangent of the value to the cotangents of the parameters (a vector-Jacobian product).");
        quote! {
            #[doc = #mod_doc]
            #[allow(non_snake_case, unused_imports, dead_code, unreachable_code, clippy::all)]
            #mod_vis mod #name {
                use super::*;

                #grad_struct

                #[doc(hidden)]
                #[inline]
                #quiet
                #item_vis fn __vjp #impl_generics (#decls) -> (#ret, impl ::core::ops::FnOnce(#ret) -> (#(#cot_types,)*) #use_bound) #where_clause {
                    #vjp_body
                }

                #[doc = #vjp_doc]
                #[inline]
                #item_vis fn vjp #impl_generics (#decls) -> (#ret, impl ::core::ops::FnOnce(#ret) -> #grad_ty #use_bound) #where_clause {
                    let (__out, __pb) = __vjp #turbofish (#(#args),*);
                    (__out, move |__g: #ret| {
                        let #pattern = __pb(__g);
                        #build
                    })
                }

                                #grad_fn

                #[doc(hidden)]
                #[inline]
                #quiet
                #item_vis fn __jvp #impl_generics (#decls, __tangents: (#(#tangent_types,)*)) -> (#ret, #ret) #where_clause {
                    #jvp_body
                }

                                #[doc = #jvp_doc]
                #[inline]
                #[allow(unused_variables)]
                #item_vis fn jvp #impl_generics (#decls, #tangent_param: &#grad_ty) -> (#ret, #ret) #where_clause {
                    #jvp_call
                }

                #[doc(hidden)]
                #[inline]
                #quiet
                #item_vis fn __hvp #hvp_impl_generics (#decls, __tangents: (#(#hvp_tangent_types,)*)) -> (#ret, #ret, impl ::core::ops::FnOnce((#ret, #ret)) -> (#(#pair_cot_types,)*) + use<#(#hvp_use),*>) #where_clause {
                    #hvp_body
                }

                #hvp_fn

                #hessian_fn
                #jacobian_fn

                #apply_fns
            }
        }
    }
}

/// The visibility of the generated module, and of the items in it so that they are
/// visible wherever the function is.
/// The lints a generated function allows: its body is the user's, rewritten, and
/// the user sees their own code's warnings once, on their function.
pub(super) fn quiet() -> TokenStream {
    quote!(#[allow(unused_variables, unused_mut, unused_assignments, unused_parens, unused_braces, non_snake_case, clippy::all)])
}

pub(super) fn visibilities(vis: &Visibility) -> (TokenStream, TokenStream) {
    match vis {
        Visibility::Public(_) => (quote!(pub), quote!(pub)),
        Visibility::Inherited => (TokenStream::new(), quote!(pub(super))),
        Visibility::Restricted(r) => {
            let path = &r.path;
            let first = path
                .segments
                .first()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            let inner = match first.as_str() {
                "crate" => quote!(pub(crate)),
                "self" => quote!(pub(super)),
                "super" => quote!(pub(in super::#path)),
                _ => quote!(pub(in #path)),
            };
            (vis.to_token_stream(), inner)
        }
    }
}
