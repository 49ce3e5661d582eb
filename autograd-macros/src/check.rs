//! Check phase for the signature: every construct the generated code cannot
//! support is reported on its own tokens, with what to write instead. The body is
//! checked while it is lowered.

use crate::ctxt::Ctxt;
use crate::parse::FnView;
use quote::ToTokens;
use syn::{FnArg, GenericParam, Type};

/// Reports every unsupported part of the signature.
pub fn signature(view: &FnView, cx: &mut Ctxt) {
    let sig = &view.item.sig;
    if let Some(a) = &sig.asyncness {
        cx.error(a, "an `async fn` cannot be differentiable: remove `async` and differentiate the computation it awaits");
    }
    if let Some(u) = &sig.unsafety {
        cx.error(u, "an `unsafe fn` cannot be differentiable: keep the unsafe part in a helper outside the differentiated code");
    }
    if let Some(abi) = &sig.abi {
        cx.error(abi, "an `extern` function cannot be differentiable: differentiate a Rust function and call it from the extern one");
    }
    if let Some(v) = &sig.variadic {
        cx.error(v, "a variadic function cannot be differentiable");
    }
    if view.ret.is_none() {
        cx.error(
            &sig.ident,
            format!(
                "`{}` must return the value to differentiate: add a return type such as `-> f64` or `-> SVector<f64, N>`",
                sig.ident
            ),
        );
    }
    let where_bounded: Vec<String> = sig
        .generics
        .where_clause
        .iter()
        .flat_map(|w| &w.predicates)
        .filter_map(|p| match p {
            syn::WherePredicate::Type(t) => Some(t.bounded_ty.to_token_stream().to_string()),
            _ => None,
        })
        .collect();
    for g in &sig.generics.params {
        if let GenericParam::Type(t) = g {
            if t.bounds.is_empty() && !where_bounded.contains(&t.ident.to_string()) {
                cx.error(
                    &t.ident,
                    format!(
                        "bound `{0}` by the scalar traits: write `{0}: RealField + Copy`",
                        t.ident
                    ),
                );
            }
        }
    }
    for arg in &sig.inputs {
        let FnArg::Typed(pt) = arg else { continue };
        match &*pt.ty {
            Type::Reference(r) if r.mutability.is_some() => cx.error(
                &*pt.ty,
                "a `&mut` parameter cannot be differentiated: take it by value or by `&`, and return the new value",
            ),
            Type::ImplTrait(_) => cx.error(
                &*pt.ty,
                "an `impl Trait` parameter cannot be differentiated: name the type, or add a generic parameter `T: RealField + Copy`",
            ),
            _ => {}
        }
    }
}
