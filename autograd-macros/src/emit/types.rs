//! The types of the generated items: the `Grad` struct with its `Tangent` impl,
//! and the generics, bounds and markers every generated item repeats.

use super::bridge::bridgeable;
use super::{visibilities, Generated};
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::{GenericParam, Ident, Type};

impl Generated<'_> {
    /// are known to be tangents) its `Tangent` impl.
    pub(super) fn grad_struct(&self, with_tangent: bool) -> TokenStream {
        let name = &self.view.item.sig.ident;
        let fields = self.differentiated().map(|p| {
            let (i, t) = (&p.ident, &p.owned);
            let doc = format!("The cotangent of `{i}`.");
            quote!(#[doc = #doc] pub #i: #t,)
        });
        let decl = self.grad_generics_decl();
        // A field whose type bounds its scalar where it is declared (nalgebra's
        // `OPoint<T: Scalar, ..>`, so `Point3<T>`, `Isometry3<T>`) needs the bound
        // on `Grad` too; every generated item adds `T: Real` anyway.
        let type_params: Vec<&Ident> = self
            .view
            .item
            .sig
            .generics
            .type_params()
            .map(|t| &t.ident)
            .collect();
        let struct_bounds =
            (!type_params.is_empty()).then(|| quote!(where #(#type_params: ::autograd::Real,)*));
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
        let params_impl = (with_tangent && !owned.is_empty() && !generic && !self.dynamic()).then(|| {
            let first = owned[0];
            let rest_owned = &owned[1..];
            let (first_field, rest_fields) = (active[0], &active[1..]);
            quote! {
                impl #pm for Grad {
                    type Scalar = <#first as #pm>::Scalar;
                    const DIM: usize = 0 #(+ <#owned as #pm>::DIM)*;
                    #[inline]
                    fn entries(&self) -> impl ::core::iter::Iterator<Item = &Self::Scalar> {
                        #pm::entries(&self.#first_field) #(.chain(#pm::entries(&self.#rest_fields)))*
                    }
                    #[inline]
                    fn entries_mut(&mut self) -> impl ::core::iter::Iterator<Item = &mut Self::Scalar> {
                        #pm::entries_mut(&mut self.#first_field) #(.chain(#pm::entries_mut(&mut self.#rest_fields)))*
                    }
                    #[inline]
                    fn slices(&self) -> impl ::core::iter::Iterator<Item = &[Self::Scalar]> {
                        #pm::slices(&self.#first_field) #(.chain(#pm::slices(&self.#rest_fields)))*
                    }
                    #[inline]
                    fn slices_mut(&mut self) -> impl ::core::iter::Iterator<Item = &mut [Self::Scalar]> {
                        #pm::slices_mut(&mut self.#first_field) #(.chain(#pm::slices_mut(&mut self.#rest_fields)))*
                    }
                    #[inline(always)]
                    fn write_entries(&self, __dst: &mut [Self::Scalar]) {
                        let (__head, __rest) = __dst.split_at_mut(<#first as #pm>::DIM);
                        #pm::write_entries(&self.#first_field, __head);
                        #(let (__head, __rest) = __rest.split_at_mut(<#rest_owned as #pm>::DIM); #pm::write_entries(&self.#rest_fields, __head);)*
                        let _ = __rest;
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
        let copy = (!self.dynamic()).then(|| quote!(Copy,));
        quote! {
            #[doc = #doc]
            #[derive(Clone, #copy Debug, PartialEq)]
            #item_vis struct Grad #decl #struct_bounds {
                #(#fields)*
                                #marker
            }

            #tangent_impl

            #params_impl
        }
    }

    /// Type and const parameters (lifetimes never reach `Grad`'s owned fields).
    pub(super) fn value_generics(&self) -> Vec<&GenericParam> {
        self.view
            .item
            .sig
            .generics
            .params
            .iter()
            .filter(|g| !matches!(g, GenericParam::Lifetime(_)))
            .collect()
    }

    pub(super) fn grad_generics_decl(&self) -> TokenStream {
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

    pub(super) fn generic_args(&self) -> Vec<Ident> {
        self.value_generics()
            .into_iter()
            .filter_map(|g| match g {
                GenericParam::Type(t) => Some(t.ident.clone()),
                GenericParam::Const(c) => Some(c.ident.clone()),
                GenericParam::Lifetime(_) => None,
            })
            .collect()
    }

    pub(super) fn grad_type(&self) -> TokenStream {
        let args = self.generic_args();
        if args.is_empty() {
            quote!(Grad)
        } else {
            quote!(Grad<#(#args),*>)
        }
    }

    pub(super) fn turbofish(&self) -> TokenStream {
        let args = self.generic_args();
        if args.is_empty() {
            TokenStream::new()
        } else {
            quote!(::<#(#args),*>)
        }
    }

    /// `+ use<T, N>`: the returned pullbacks own their data and borrow nothing from
    /// the arguments, whatever the edition's default capture rules.
    /// A differentiated slice is borrowed: its lifetime, one of `lifetimes`, is
    /// captured too.
    pub(super) fn use_bound(&self, lifetimes: &[syn::Lifetime]) -> TokenStream {
        let args = self.generic_args();
        quote!(+ use<#(#lifetimes,)* #(#args),*>)
    }

    /// Whether a differentiated parameter has a dynamically sized gradient (a slice
    /// `&[T]`, whose gradient is a `Vec<T>`, or a `DVector<T>`/`DMatrix<T>`, whose
    /// gradient has its type): `Grad` is then `Clone` but not `Copy`, and has no
    /// `Params::DIM` (so no `hessian` or `jacobian`).
    pub(super) fn dynamic(&self) -> bool {
        self.differentiated().any(|p| p.slice || p.dynamic)
    }

    /// Whether values of the function may not be `Copy`: its signature names a
    /// dynamically sized matrix (see `Lowerer::copy`).
    pub(super) fn may_not_copy(&self) -> bool {
        self.params
            .iter()
            .any(|p| crate::parse::mentions_dynamic(&p.ty))
            || crate::parse::mentions_dynamic(self.ret)
    }

    /// `x`, or a clone of it when values may not be `Copy`.
    pub(super) fn copy_out(&self, x: TokenStream) -> TokenStream {
        if self.may_not_copy() {
            quote!(::core::clone::Clone::clone(&#x))
        } else {
            x
        }
    }

    /// A `PhantomData` payload for generic parameters no field of `Grad` mentions.
    pub(super) fn marker(&self) -> Option<TokenStream> {
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
    pub(super) fn where_clause(&self) -> TokenStream {
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
    pub(super) fn returns_scalar(&self) -> bool {
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

/// Whether `ty`, as written, is a primitive scalar (so `Copy`: it can be passed to
/// `hvp` once per column of a Hessian).
pub(super) fn copy_scalar(ty: &Type) -> bool {
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
