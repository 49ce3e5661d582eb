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
//!     pub fn apply(&Tensor, ..) -> Tensor                    // the bridge
//! }
//! ```
//!
//! With `body: None` (the function had errors) the same items are emitted with
//! bodies that never run, so that callers see no follow-on errors.

use crate::lower::ir::{tan, tangent_arg, var, Lowered, Val};
use crate::lower::reverse::Reverse;
use crate::parse::{FnView, Param};
use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::{GenericParam, Ident, Type, Visibility};

/// The user's function followed by its generated module.
pub fn expand(view: &FnView, body: Option<(&Lowered, &Lowered, &Lowered)>) -> TokenStream {
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

struct Generated<'a> {
    view: &'a FnView,
    params: Vec<&'a Param>,
    ret: &'a Type,
}

impl<'a> Generated<'a> {
    fn new(view: &'a FnView, params: Vec<&'a Param>, ret: &'a Type) -> Self {
        Generated { view, params, ret }
    }

    /// The parameters not marked `#[constant]`: the fields of `Grad`.
    fn differentiated(&self) -> impl Iterator<Item = &'a Param> + '_ {
        self.params.iter().copied().filter(|p| !p.constant)
    }

    fn module(&self, body: Option<(&Lowered, &Lowered, &Lowered)>) -> TokenStream {
        let sig = &self.view.item.sig;
        let name = &sig.ident;
        let (mod_vis, item_vis) = visibilities(&self.view.item.vis);
        let generics = &sig.generics;
        let (impl_generics, _, _) = generics.split_for_impl();
        let where_clause = self.where_clause();
        let decls = self.params.iter().map(|p| {
            let (i, t) = (&p.ident, &p.ty);
            let m = p.mutable.then(|| quote!(mut));
            quote!(#m #i: #t)
        });
        let decls = quote!(#(#decls),*);
        let args: Vec<&Ident> = self.params.iter().map(|p| &p.ident).collect();
        let ret = self.ret;
        let turbofish = self.turbofish();
        let use_bound = self.use_bound();
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
            Some((_, t, _)) => self.jvp_body(t),
            None => quote!(::core::unreachable!()),
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
                false => {
                    let i = &p.ident;
                    quote!(#tangent_param.#i)
                }
            })
            .collect();
        let jvp_call = match body {
            Some(_) => quote!(__jvp #turbofish (#(#args,)* (#(#tangent_fields,)*))),
            None => quote!(::core::unreachable!()),
        };
        let jvp_doc = format!("The value of [`{name}`](fn@super::{name}) and its directional derivative along `tangent` (forward mode: a Jacobian-vector product), in one forward sweep.");
        let vjp_body = match body {
            Some((l, _, _)) => self.vjp_body(l),
            None => quote!((::core::unreachable!(), move |_: #ret| ::core::unreachable!())),
        };
        let grad_body = match body {
            Some((l, _, _)) => self.grad_body(l),
            None => quote!(::core::unreachable!()),
        };
        let grad_struct = self.grad_struct(body.is_some());
        let grad_fn = self.returns_scalar().then(|| {
            let doc = format!("The value of [`{name}`](fn@super::{name}) and its gradient with respect to every parameter not marked `#[constant]`, in one forward and one reverse sweep.");
            quote! {
                #[doc = #doc]
                #[inline]
                #[allow(unused_variables, unused_mut, unused_assignments, unused_parens, unused_braces, non_snake_case, clippy::all)]
                #item_vis fn grad #impl_generics (#decls) -> (#ret, #grad_ty) #where_clause {
                    let (__out, #pattern): (#ret, (#(#cot_types,)*)) = #grad_body;
                    (__out, #build)
                }
            }
        });
        let apply_fns = body.and_then(|_| self.apply_fns());
        let hvp_body = match body {
            Some((_, _, h)) => self.hvp_body(h),
            None => quote!((
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
        let mut hvp_use: Vec<TokenStream> = self
            .generic_args()
            .into_iter()
            .map(|i| i.to_token_stream())
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
        let hvp_call = match body {
            Some(_) => quote!(__hvp #hvp_turbofish (#(#args,)* (#(#tangent_fields,)*))),
            None => quote!(::core::unreachable!()),
        };
        let first = self.differentiated().map(|p| {
            let i = &p.ident;
            quote!(#i: #i.0,)
        });
        let second = self.differentiated().map(|p| {
            let i = &p.ident;
            quote!(#i: #i.1,)
        });
        let hessian_fn = self.hessian_fn(body.is_some(), &decls, &args, &tangent_param);
        let hvp_fn = self.returns_scalar().then(|| {
            let body = match body {
                Some(_) => quote! {
                    let (__out, _, __pb) = #hvp_call;
                    let __one = ::autograd::__private::one_like(&__out);
                    let #pattern = __pb((__one, ::autograd::__private::zero_like(&__one)));
                    (__out, Grad { #(#first)* #marker }, Grad { #(#second)* #marker })
                },
                None => quote!(::core::unreachable!()),
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
                #[allow(unused_variables, unused_mut, unused_assignments, unused_parens, unused_braces, non_snake_case, clippy::all)]
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
                #[allow(unused_variables, unused_mut, unused_assignments, unused_parens, unused_braces, non_snake_case, clippy::all)]
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
                #[allow(unused_variables, unused_mut, unused_assignments, unused_parens, unused_braces, non_snake_case, clippy::all)]
                #item_vis fn __hvp #hvp_impl_generics (#decls, __tangents: (#(#hvp_tangent_types,)*)) -> (#ret, #ret, impl ::core::ops::FnOnce((#ret, #ret)) -> (#(#pair_cot_types,)*) + use<#(#hvp_use),*>) #where_clause {
                    #hvp_body
                }

                #hvp_fn

                #hessian_fn

                #apply_fns
            }
        }
    }

    /// `apply` and `try_apply`: the function as one node of the dynamic graph. Only
    /// for functions without generics whose parameters and output are, as written,
    /// scalars or nalgebra static matrices (the macro cannot see types).
    fn apply_fns(&self) -> Option<TokenStream> {
        let generics = &self.view.item.sig.generics;
        if generics.type_params().next().is_some() || generics.const_params().next().is_some() {
            return None;
        }
        if !self.params.iter().all(|p| bridgeable(&p.owned)) || !bridgeable(self.ret) {
            return None;
        }
        let name = &self.view.item.sig.ident;
        let name_str = name.to_string();
        let (_, item_vis) = visibilities(&self.view.item.vis);
        let ret = self.ret;
        let idents: Vec<&Ident> = self.params.iter().map(|p| &p.ident).collect();
        let p = quote!(::autograd::__private);
        let reads = self.params.iter().enumerate().map(|(i, prm)| {
            let (ident, owned) = (&prm.ident, &prm.owned);
            let pname = ident.to_string();
            quote!(let #ident: #owned = <#owned as #p::TensorValue>::from_tensor(&__inputs[#i], #name_str, #pname)?;)
        });
        let reads = quote!(#(#reads)*);
        let call_args: Vec<TokenStream> = self
            .params
            .iter()
            .map(|prm| {
                let ident = &prm.ident;
                if prm.by_ref {
                    quote!(&#ident)
                } else {
                    quote!(#ident)
                }
            })
            .collect();
        let grads: Vec<Ident> = (0..self.params.len())
            .map(|i| Ident::new(&format!("__g{i}"), Span::mixed_site()))
            .collect();
        let grads_out = self
            .params
            .iter()
            .zip(&grads)
            .map(|(prm, g)| match prm.constant {
                true => quote!(::core::option::Option::None),
                false => quote!(::core::option::Option::Some(#p::TensorValue::to_tensor(&#g))),
            });
        let doc = format!("Runs [`{name}`](fn@super::{name}) as one node of the dynamic graph, named `{name}Backward`, whose backward is the generated pullback. Tensors are converted to the parameters' static types (a vector `SVector<T, R>` is a tensor of shape `[R]` or `[R, 1]`).\n\n# Panics\nIf a tensor does not fit its parameter's type; see `try_apply`.");
        let try_doc = format!("Like `apply`, but a tensor that does not fit the static signature of [`{name}`](fn@super::{name}) is an `autograd::Error::Signature` naming the parameter and both shapes.");
        let tensor = quote!(::autograd::Tensor);
        let result = quote!(::core::result::Result);
        // A copy of the user's function, so that the module does not name it by a
        // path (`super::f` does not reach a function declared in a function body).
        let mut primal = self.view.item.clone();
        primal.sig.ident = Ident::new("__primal", Span::mixed_site());
        primal.vis = Visibility::Inherited;
        primal.attrs = vec![syn::parse_quote!(#[inline])];
        Some(quote! { ::autograd::__with_std! {
            #primal

            #[doc = #try_doc]
            #item_vis fn try_apply(#(#idents: &#tensor),*) -> #result<#tensor, ::autograd::Error> {
                struct __Kernel;
                impl #p::StaticKernel for __Kernel {
                    const NAME: &'static str = #name_str;
                    fn forward(__inputs: &[#tensor]) -> #result<#tensor, ::autograd::Error> {
                        #reads
                        let __out: #ret = __primal(#(#call_args),*);
                        ::core::result::Result::Ok(#p::TensorValue::to_tensor(&__out))
                    }
                    fn backward(
                        __inputs: &[#tensor],
                        __grad: &#tensor,
                    ) -> #result<::std::vec::Vec<::core::option::Option<#tensor>>, ::autograd::Error> {
                        #reads
                        let __grad = <#ret as #p::TensorValue>::from_tensor(__grad, #name_str, "the output's gradient")?;
                        let (_, __pb) = __vjp(#(#call_args),*);
                        let (#(#grads,)*) = __pb(__grad);
                        ::core::result::Result::Ok(::std::vec![#(#grads_out),*])
                    }
                }
                #p::apply_kernel::<__Kernel>(&[#(#idents),*])
            }

            #[doc = #doc]
            #[track_caller]
            #item_vis fn apply(#(#idents: &#tensor),*) -> #tensor {
                match try_apply(#(#idents),*) {
                    ::core::result::Result::Ok(__t) => __t,
                    ::core::result::Result::Err(__e) => ::core::panic!("{}", __e),
                }
            }
        }})
    }

    /// The forward sweep, the output, the reverse sweep from `__seed` and the
    /// parameters' cotangents, shared by `__vjp` and `grad`.
    fn reverse_parts(&self, l: &Lowered) -> (TokenStream, TokenStream, Vec<TokenStream>, Ident) {
        let mut rev = Reverse::new(false);
        let seed = Ident::new("__seed", Span::mixed_site());
        let out = match &l.tail {
            Val::Active(v) => {
                rev.accumulate(*v, seed.to_token_stream(), false);
                var(*v).to_token_stream()
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

    fn vjp_body(&self, l: &Lowered) -> TokenStream {
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
    fn grad_body(&self, l: &Lowered) -> TokenStream {
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
    fn hessian_fn(
        &self,
        lowered: bool,
        decls: &TokenStream,
        args: &[&Ident],
        tangent_param: &Ident,
    ) -> Option<TokenStream> {
        let generics = &self.view.item.sig.generics;
        if !lowered
            || !self.returns_scalar()
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

    /// Forward over reverse: the value, its tangent, and the pullback of cotangent
    /// pairs `(g, dg)`, returning a pair per differentiated parameter.
    fn hvp_body(&self, l: &Lowered) -> TokenStream {
        let fwd = &l.region.fwd;
        let ret = self.ret;
        let tas: Vec<proc_macro2::Ident> = (0..self.params.len()).map(tangent_arg).collect();
        let mut rev = Reverse::new(true);
        let seed = Ident::new("__seed", Span::mixed_site());
        let (out, tout) = match &l.tail {
            Val::Active(v) => {
                rev.accumulate(*v, seed.to_token_stream(), false);
                (var(*v).to_token_stream(), tan(*v).to_token_stream())
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

    fn jvp_body(&self, l: &Lowered) -> TokenStream {
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

    /// `Grad`, and (when the function lowered without errors, so that its fields
    /// are known to be tangents) its `Tangent` impl.
    fn grad_struct(&self, with_tangent: bool) -> TokenStream {
        let name = &self.view.item.sig.ident;
        let fields = self.differentiated().map(|p| {
            let (i, t) = (&p.ident, &p.owned);
            let doc = format!("The cotangent of `{i}`.");
            quote!(#[doc = #doc] pub #i: #t,)
        });
        let decl = self.grad_generics_decl();
        let marker = self
            .marker()
            .map(|m| quote!(#[doc(hidden)] pub __marker: ::core::marker::PhantomData<#m>,));
        let doc = format!("The gradient of [`{name}`](fn@super::{name}): one field per differentiated parameter, of the parameter's owned type.");
        let (_, item_vis) = visibilities(&self.view.item.vis);
        let active: Vec<&Ident> = self.differentiated().map(|p| &p.ident).collect();
        let owned: Vec<&Type> = self.differentiated().map(|p| &p.owned).collect();
        let ty = self.grad_type();
        let marker_init = self
            .marker()
            .map(|_| quote!(__marker: ::core::marker::PhantomData,));
        let (impl_generics, _, _) = self.view.item.sig.generics.split_for_impl();
        let where_clause = self.where_clause();
        let t = quote!(::autograd::Tangent);
        let pm = quote!(::autograd::Params);
        // A parameter set too, so that an optimizer can step a `Grad` and
        // `hessian` can index its entries.
        // Only without generics: the fields' types are then concrete, so the impl
        // needs no bounds (a bound `f64: Params<Scalar = <f64 as Params>::Scalar>`
        // would not terminate).
        let generic = self
            .view
            .item
            .sig
            .generics
            .params
            .iter()
            .any(|g| !matches!(g, GenericParam::Lifetime(_)));
        let params_impl = (with_tangent && !owned.is_empty() && !generic).then(|| {
            let first = owned[0];
            let (first_field, rest_fields) = (active[0], &active[1..]);
            quote! {
                impl #pm for Grad {
                    type Scalar = <#first as #pm>::Scalar;
                    const DIM: usize = 0 #(+ <#owned as #pm>::DIM)*;
                    fn entries(&self) -> impl ::core::iter::Iterator<Item = &Self::Scalar> {
                        #pm::entries(&self.#first_field) #(.chain(#pm::entries(&self.#rest_fields)))*
                    }
                    fn entries_mut(&mut self) -> impl ::core::iter::Iterator<Item = &mut Self::Scalar> {
                        #pm::entries_mut(&mut self.#first_field) #(.chain(#pm::entries_mut(&mut self.#rest_fields)))*
                    }
                    fn slices(&self) -> impl ::core::iter::Iterator<Item = &[Self::Scalar]> {
                        #pm::slices(&self.#first_field) #(.chain(#pm::slices(&self.#rest_fields)))*
                    }
                    fn slices_mut(&mut self) -> impl ::core::iter::Iterator<Item = &mut [Self::Scalar]> {
                        #pm::slices_mut(&mut self.#first_field) #(.chain(#pm::slices_mut(&mut self.#rest_fields)))*
                    }
                }
            }
        });
        let tangent_impl = with_tangent.then(|| {
            quote! {
                // Gradients form a vector space: they add (accumulate over samples) and
                // have a zero.
                impl #impl_generics #t for #ty #where_clause #(#owned: #t,)* {
                    #[inline(always)]
                    fn zero_like(&self) -> Self {
                        Grad { #(#active: #t::zero_like(&self.#active),)* #marker_init }
                    }
                    #[inline(always)]
                    fn accumulate(&mut self, other: Self) {
                        #(#t::accumulate(&mut self.#active, other.#active);)*
                    }
                }
            }
        });
        quote! {
            #[doc = #doc]
            #[derive(Clone, Copy, Debug, PartialEq)]
            #item_vis struct Grad #decl {
                #(#fields)*
                                #marker
            }

            #tangent_impl

            #params_impl
        }
    }

    /// Type and const parameters (lifetimes never reach `Grad`'s owned fields).
    fn value_generics(&self) -> Vec<&GenericParam> {
        self.view
            .item
            .sig
            .generics
            .params
            .iter()
            .filter(|g| !matches!(g, GenericParam::Lifetime(_)))
            .collect()
    }

    fn grad_generics_decl(&self) -> TokenStream {
        let ps: Vec<TokenStream> = self
            .value_generics()
            .into_iter()
            .map(|g| match g {
                GenericParam::Type(t) => t.ident.to_token_stream(),
                GenericParam::Const(c) => {
                    let (i, t) = (&c.ident, &c.ty);
                    quote!(const #i: #t)
                }
                GenericParam::Lifetime(_) => TokenStream::new(),
            })
            .collect();
        if ps.is_empty() {
            TokenStream::new()
        } else {
            quote!(<#(#ps),*>)
        }
    }

    fn generic_args(&self) -> Vec<Ident> {
        self.value_generics()
            .into_iter()
            .filter_map(|g| match g {
                GenericParam::Type(t) => Some(t.ident.clone()),
                GenericParam::Const(c) => Some(c.ident.clone()),
                GenericParam::Lifetime(_) => None,
            })
            .collect()
    }

    fn grad_type(&self) -> TokenStream {
        let args = self.generic_args();
        if args.is_empty() {
            quote!(Grad)
        } else {
            quote!(Grad<#(#args),*>)
        }
    }

    fn turbofish(&self) -> TokenStream {
        let args = self.generic_args();
        if args.is_empty() {
            TokenStream::new()
        } else {
            quote!(::<#(#args),*>)
        }
    }

    /// `+ use<T, N>`: the returned pullbacks own their data and borrow nothing from
    /// the arguments, whatever the edition's default capture rules.
    fn use_bound(&self) -> TokenStream {
        let args = self.generic_args();
        quote!(+ use<#(#args),*>)
    }

    /// A `PhantomData` payload for generic parameters no field of `Grad` mentions.
    fn marker(&self) -> Option<TokenStream> {
        let mentioned: TokenStream = self
            .differentiated()
            .map(|p| p.owned.to_token_stream())
            .collect();
        let mentioned: Vec<String> = crate::tokens::idents(mentioned)
            .iter()
            .map(ToString::to_string)
            .collect();
        let unused: Vec<TokenStream> = self
            .value_generics()
            .into_iter()
            .filter_map(|g| match g {
                GenericParam::Type(t) if !mentioned.contains(&t.ident.to_string()) => {
                    let i = &t.ident;
                    Some(quote!(fn() -> #i))
                }
                GenericParam::Const(c) if !mentioned.contains(&c.ident.to_string()) => {
                    let i = &c.ident;
                    Some(quote!([(); #i]))
                }
                _ => None,
            })
            .collect();
        (!unused.is_empty()).then(|| quote!((#(#unused,)*)))
    }

    /// Adds `T: ::autograd::Real` for every type parameter.
    fn where_clause(&self) -> TokenStream {
        let generics = &self.view.item.sig.generics;
        let existing = generics
            .where_clause
            .iter()
            .flat_map(|w| &w.predicates)
            .map(|p| quote!(#p,));
        let extra = generics.type_params().map(|t| {
            let i = &t.ident;
            quote!(#i: ::autograd::Real,)
        });
        quote!(where #(#existing)* #(#extra)*)
    }

    /// `grad` exists when the return type is a scalar: `f32`, `f64` or a type
    /// parameter (the `Real` bound makes it one).
    fn returns_scalar(&self) -> bool {
        let Type::Path(tp) = self.ret else {
            return false;
        };
        let Some(i) = tp.path.get_ident() else {
            return false;
        };
        i == "f32"
            || i == "f64"
            || self
                .view
                .item
                .sig
                .generics
                .type_params()
                .any(|t| t.ident == *i)
    }
}

/// Whether `ty`, as written, is a scalar or a nalgebra static matrix, so that a
/// tensor can stand for it.
fn bridgeable(ty: &Type) -> bool {
    let Type::Path(tp) = ty else { return false };
    let Some(last) = tp.path.segments.last() else {
        return false;
    };
    let name = last.ident.to_string();
    name == "f32"
        || name == "f64"
        || [
            "SMatrix",
            "SVector",
            "RowSVector",
            "Matrix",
            "Vector",
            "RowVector",
        ]
        .iter()
        .any(|prefix| {
            name.strip_prefix(prefix)
                .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit() || c == 'x'))
        })
}

/// Whether `ty`, as written, is a primitive scalar (so `Copy`: it can be passed to
/// `hvp` once per column of a Hessian).
fn copy_scalar(ty: &Type) -> bool {
    let Type::Path(tp) = ty else { return false };
    tp.path.get_ident().is_some_and(|i| {
        [
            "f32", "f64", "usize", "isize", "u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64",
            "bool",
        ]
        .iter()
        .any(|n| i == n)
    }) || bridgeable(ty)
}

/// The visibility of the generated module, and of the items in it so that they are
/// visible wherever the function is.
fn visibilities(vis: &Visibility) -> (TokenStream, TokenStream) {
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
