//! `#[derive(Tangent)]`: a struct of scalars, `SMatrix` fields and nested such
//! structs becomes a vector space (`Tangent`) and a parameter set (`Params`), so
//! that a model is a plain Rust struct: a `#[differentiable]` function reads its
//! fields, its gradient is a value of the same struct, and the static optimizers
//! update it. Fields are visited in declaration order.

use crate::ctxt::Ctxt;
use crate::fallback;
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::{Data, DeriveInput, Fields, Member};

/// Expands the derive; on errors, every error (collected in a `Ctxt`) beside stub
/// impls, so that uses of the struct add no errors of their own.
pub fn derive(input: TokenStream) -> TokenStream {
    let item: DeriveInput = match syn::parse2(input) {
        Ok(item) => item,
        Err(e) => return e.to_compile_error(),
    };
    let mut cx = Ctxt::default();
    let fields = fields(&item, &mut cx);
    match (cx.into_compile_errors(), fields) {
        (None, Some(fields)) => expand(&item, fields),
        (errors, _) => fallback::item_with_errors(stub(&item), errors.unwrap_or_default()),
    }
}

/// The struct's fields, or `None` (with the reasons in `cx`) if it has none to
/// differentiate.
fn fields<'a>(item: &'a DeriveInput, cx: &mut Ctxt) -> Option<&'a Fields> {
    let fields = match &item.data {
        Data::Struct(s) => &s.fields,
        Data::Enum(e) => {
            cx.error(e.enum_token, "`Tangent` is derived for structs of scalars and matrices, not enums: a tangent needs every field at once");
            return None;
        }
        Data::Union(u) => {
            cx.error(
                u.union_token,
                "`Tangent` is derived for structs, not unions",
            );
            return None;
        }
    };
    if fields.is_empty() {
        cx.error(&item.ident, "`Tangent` needs at least one field: a parameter set without entries has nothing to differentiate");
        return None;
    }
    Some(fields)
}

/// Impls with bodies that never run (the crate does not compile), emitted beside
/// the errors.
fn stub(item: &DeriveInput) -> TokenStream {
    let name = &item.ident;
    let (impl_generics, ty_generics, where_clause) = item.generics.split_for_impl();
    let (a, p) = (quote!(::autograd::Tangent), quote!(::autograd::Params));
    let never = quote!(::core::unreachable!("`derive(Tangent)` failed"));
    quote! {
        impl #impl_generics #a for #name #ty_generics #where_clause {
            fn zero_like(&self) -> Self { #never }
            fn accumulate(&mut self, _: Self) { #never }
        }
        impl #impl_generics #p for #name #ty_generics #where_clause {
            type Scalar = f64;
            const DIM: usize = 0;
            fn entries(&self) -> impl ::core::iter::Iterator<Item = &f64> { ::core::iter::empty() }
            fn entries_mut(&mut self) -> impl ::core::iter::Iterator<Item = &mut f64> { ::core::iter::empty() }
            fn slices(&self) -> impl ::core::iter::Iterator<Item = &[f64]> { ::core::iter::empty() }
            fn slices_mut(&mut self) -> impl ::core::iter::Iterator<Item = &mut [f64]> { ::core::iter::empty() }
        }
    }
}

/// The `Tangent` and `Params` impls of a struct with `fields`.
fn expand(item: &DeriveInput, fields: &Fields) -> TokenStream {
    let members: Vec<Member> = match fields {
        Fields::Named(n) => n
            .named
            .iter()
            .filter_map(|f| f.ident.clone().map(Member::Named))
            .collect(),
        Fields::Unnamed(u) => (0..u.unnamed.len())
            .map(|i| Member::Unnamed(i.into()))
            .collect(),
        Fields::Unit => Vec::new(),
    };
    let types: Vec<&syn::Type> = fields.iter().map(|f| &f.ty).collect();
    let Some(first) = types.first() else {
        return TokenStream::new();
    };
    let name = &item.ident;
    let (impl_generics, ty_generics, where_clause) = item.generics.split_for_impl();
    let existing = where_clause.map(|w| {
        let p = &w.predicates;
        quote!(#p,)
    });
    let a = quote!(::autograd::Tangent);
    let p = quote!(::autograd::Params);
    let build = match fields {
        Fields::Named(_) => quote!(#name { #(#members: #a::zero_like(&self.#members),)* }),
        _ => quote!(#name ( #(#a::zero_like(&self.#members),)* )),
    };
    let rest_members = &members[1..];
    // A bound `f64: Params<Scalar = <f64 as Params>::Scalar>` (a field of the first
    // field's type) would not terminate: state it only for the other types.
    let first_text = first.to_token_stream().to_string();
    let mut rest_types: Vec<&syn::Type> = Vec::new();
    for t in &types[1..] {
        let text = t.to_token_stream().to_string();
        if text != first_text
            && !rest_types
                .iter()
                .any(|r| r.to_token_stream().to_string() == text)
        {
            rest_types.push(t);
        }
    }
    let first_member = &members[0];
    let rest_field_types = &types[1..];
    let tokens = quote! {
        impl #impl_generics #a for #name #ty_generics where #existing #(#types: #a,)* Self: ::core::marker::Copy {
            #[inline(always)]
            fn zero_like(&self) -> Self {
                #build
            }
            #[inline(always)]
            fn accumulate(&mut self, other: Self) {
                #(#a::accumulate(&mut self.#members, other.#members);)*
            }
        }

        impl #impl_generics #p for #name #ty_generics
        where
            #existing
            #(#types: #a,)*
            Self: ::core::marker::Copy,
            #first: #p,
            // Stated, not inferred: with a field type that mentions the struct's
            // generics, a where-clause `F: Params` hides the impl that would say
            // which scalar `F` has.
            #(#rest_types: #p<Scalar = <#first as #p>::Scalar>,)*
        {
            type Scalar = <#first as #p>::Scalar;
            const DIM: usize = 0 #(+ <#types as #p>::DIM)*;
            fn entries(&self) -> impl ::core::iter::Iterator<Item = &Self::Scalar> {
                #p::entries(&self.#first_member) #(.chain(#p::entries(&self.#rest_members)))*
            }
            fn entries_mut(&mut self) -> impl ::core::iter::Iterator<Item = &mut Self::Scalar> {
                #p::entries_mut(&mut self.#first_member) #(.chain(#p::entries_mut(&mut self.#rest_members)))*
            }
            fn slices(&self) -> impl ::core::iter::Iterator<Item = &[Self::Scalar]> {
                #p::slices(&self.#first_member) #(.chain(#p::slices(&self.#rest_members)))*
            }
            fn slices_mut(&mut self) -> impl ::core::iter::Iterator<Item = &mut [Self::Scalar]> {
                #p::slices_mut(&mut self.#first_member) #(.chain(#p::slices_mut(&mut self.#rest_members)))*
            }
            #[inline(always)]
            fn write_entries(&self, __dst: &mut [Self::Scalar]) {
                let (__head, __rest) = __dst.split_at_mut(<#first as #p>::DIM);
                #p::write_entries(&self.#first_member, __head);
                #(let (__head, __rest) = __rest.split_at_mut(<#rest_field_types as #p>::DIM); #p::write_entries(&self.#rest_members, __head);)*
                let _ = __rest;
            }
        }
    };
    tokens
}
