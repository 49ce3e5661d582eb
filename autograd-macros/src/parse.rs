//! Parse phase: the annotated item becomes a typed view of the function that keeps
//! the user's tokens and spans. Nothing is rejected here except what makes the view
//! impossible; `check` judges the rest.

use crate::ctxt::Ctxt;
use crate::reject::Reject;
use proc_macro2::Span;
use syn::{FnArg, Ident, ItemFn, Pat, ReturnType, Type};

/// Whether `ty` is a slice reference `&[T]`.
pub fn is_slice(ty: &Type) -> bool {
    matches!(ty, Type::Reference(r) if matches!(&*r.elem, Type::Slice(_)))
}

/// The names of nalgebra's dynamically sized matrices that a differentiated
/// parameter may have (owned or by `&`): its gradient has the same type.
pub const DYNAMIC_MATRICES: [&str; 3] = ["DVector", "DMatrix", "RowDVector"];

/// Whether `ty` (without an outer `&`) is one of [`DYNAMIC_MATRICES`].
pub fn is_dynamic_matrix(ty: &Type) -> bool {
    let Type::Path(tp) = ty else { return false };
    tp.qself.is_none()
        && tp
            .path
            .segments
            .last()
            .is_some_and(|s| DYNAMIC_MATRICES.iter().any(|n| s.ident == n))
}

/// Whether `ty` mentions one of [`DYNAMIC_MATRICES`] anywhere (`&DMatrix<T>`,
/// `(DVector<f64>, f64)`): values of the function may then not be `Copy`.
pub fn mentions_dynamic(ty: &Type) -> bool {
    use quote::ToTokens;
    crate::tokens::idents(ty.to_token_stream())
        .iter()
        .any(|i| DYNAMIC_MATRICES.iter().any(|n| i == n))
}

/// Names `'__slice` the elided lifetime of each of `slices`, the types of the
/// differentiated slice parameters, declaring it first in `generics` when one
/// is elided, and returns every slice's lifetime: the pullbacks read the slices
/// in place, so the closures returned say they capture them (`use<'__slice, ..>`).
pub fn name_slice_lifetimes<'t>(
    slices: impl IntoIterator<Item = &'t mut Type>,
    generics: &mut syn::Generics,
) -> Vec<syn::Lifetime> {
    let elided = syn::Lifetime::new("'__slice", Span::mixed_site());
    let mut lifetimes: Vec<syn::Lifetime> = Vec::new();
    for ty in slices {
        if let Type::Reference(r) = ty {
            let lt = r.lifetime.get_or_insert_with(|| elided.clone()).clone();
            if !lifetimes.contains(&lt) {
                lifetimes.push(lt);
            }
        }
    }
    if lifetimes.contains(&elided) {
        generics.params.insert(0, syn::parse_quote!(#elided));
    }
    lifetimes
}

/// One parameter of the function.
pub struct Param {
    /// Its name.
    pub ident: Ident,
    /// Its type as written (`&SMatrix<f64, 2, 3>`).
    pub ty: Type,
    /// The type of its gradient: the type without an outer `&`, and `Vec<T>` for a
    /// slice `&[T]`.
    pub owned: Type,
    /// A slice `&[T]`: the value is read in place and its gradient is a `Vec<T>`.
    pub slice: bool,
    /// A dynamically sized nalgebra matrix (`DVector<T>`, `DMatrix<T>`, by value or
    /// by `&`): not `Copy`; its gradient has its type.
    pub dynamic: bool,
    /// Taken by shared reference.
    pub by_ref: bool,
    /// Marked `#[constant]`: not differentiated.
    pub constant: bool,
    /// Bound with `mut` (`mut x: f64`).
    pub mutable: bool,
}

/// The function as the later phases see it.
pub struct FnView {
    /// The function, with the macro's parameter attributes removed: what is emitted
    /// as the user's function.
    pub item: ItemFn,
    /// The parameters, in order; `None` where one cannot be named (reported).
    pub params: Vec<Option<Param>>,
    /// The return type, if any.
    pub ret: Option<Type>,
}

/// Builds the view, stripping `#[constant]` from the parameters.
pub fn parse(mut item: ItemFn, cx: &mut Ctxt) -> FnView {
    let mut params = Vec::new();
    for arg in item.sig.inputs.iter_mut() {
        let FnArg::Typed(pt) = arg else {
            cx.error(&*arg, Reject::Method);
            params.push(None);
            continue;
        };
        let mut constant = false;
        pt.attrs.retain(|a| {
            if a.path().is_ident("constant") {
                if !matches!(a.meta, syn::Meta::Path(_)) {
                    cx.error(a, Reject::ConstantArguments);
                }
                constant = true;
                false
            } else {
                true
            }
        });
        let mutable = matches!(&*pt.pat, Pat::Ident(pi) if pi.mutability.is_some());
        let ident = match &*pt.pat {
            Pat::Ident(pi) if pi.subpat.is_none() && pi.by_ref.is_none() => Some(pi.ident.clone()),
            other => {
                cx.error(other, Reject::ParameterPattern);
                None
            }
        };
        let (by_ref, owned, slice) = match &*pt.ty {
            Type::Reference(r) => match &*r.elem {
                Type::Slice(s) => {
                    let elem = &s.elem;
                    (
                        true,
                        syn::parse_quote!(::autograd::__private::Vec<#elem>),
                        true,
                    )
                }
                elem => (true, elem.clone(), false),
            },
            t => (false, t.clone(), false),
        };
        let dynamic = is_dynamic_matrix(&owned);
        params.push(ident.map(|ident| Param {
            ident,
            ty: (*pt.ty).clone(),
            owned,
            by_ref,
            slice,
            dynamic,
            constant,
            mutable,
        }));
    }
    let ret = match &item.sig.output {
        ReturnType::Default => None,
        ReturnType::Type(_, t) => Some((**t).clone()),
    };
    FnView { item, params, ret }
}

/// The attribute's arguments: none, or `vjp = PULLBACK` for a custom rule.
/// Anything else is reported on the arguments.
pub fn attribute(args: proc_macro2::TokenStream, cx: &mut Ctxt) -> Option<syn::Path> {
    if args.is_empty() {
        return None;
    }
    let mut vjp = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("vjp") && vjp.is_none() {
            vjp = Some(meta.value()?.parse::<syn::Path>()?);
            Ok(())
        } else {
            Err(meta.error("unexpected argument"))
        }
    });
    if syn::parse::Parser::parse2(parser, args.clone()).is_err() {
        cx.error(&args, Reject::AttributeArguments);
        return None;
    }
    vjp
}
