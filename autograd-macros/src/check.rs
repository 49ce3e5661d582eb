//! Check phase for the signature: every construct the generated code cannot
//! support is reported on its own tokens, with what to write instead. The body is
//! checked while it is lowered.

use crate::ctxt::Ctxt;
use crate::parse::FnView;
use crate::reject::Reject;
use quote::ToTokens;
use syn::{FnArg, GenericParam, Type};

/// Reports every unsupported part of the signature.
pub fn signature(view: &FnView, cx: &mut Ctxt) {
    let sig = &view.item.sig;
    if let Some(a) = &sig.asyncness {
        cx.error(a, Reject::AsyncFn);
    }
    if let Some(u) = &sig.unsafety {
        cx.error(u, Reject::UnsafeFn);
    }
    if let Some(abi) = &sig.abi {
        cx.error(abi, Reject::ExternFn);
    }
    if let Some(v) = &sig.variadic {
        cx.error(v, Reject::Variadic);
    }
    if view.ret.is_none() {
        cx.error(&sig.ident, Reject::MissingReturn(&sig.ident));
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
                cx.error(&t.ident, Reject::UnboundedType(&t.ident));
            }
        }
    }
    for p in view.params.iter().flatten().filter(|p| !p.constant) {
        if let Some(name) = dynamic_type(&p.owned) {
            cx.error(&p.ty, Reject::DynamicParameter(name));
        }
    }
    for arg in &sig.inputs {
        let FnArg::Typed(pt) = arg else { continue };
        match &*pt.ty {
            Type::Reference(r) if r.mutability.is_some() => {
                cx.error(&*pt.ty, Reject::MutRefParameter)
            }
            Type::ImplTrait(_) => cx.error(&*pt.ty, Reject::ImplTraitParameter),
            _ => {}
        }
    }
}

/// The dynamically sized type a differentiated parameter's type names that has no
/// rules, if any: a view (`DVectorView`, `DMatrixView`) or a `Vec` (slices and
/// owned `DVector`/`DMatrix`/`RowDVector` are supported; see `parse`).
fn dynamic_type(ty: &Type) -> Option<String> {
    let Type::Path(tp) = ty else { return None };
    let last = tp.path.segments.last()?;
    let name = last.ident.to_string();
    if [
        "DVectorView",
        "DMatrixView",
        "RowDVectorView",
        "DVectorViewMut",
        "DMatrixViewMut",
    ]
    .contains(&name.as_str())
        || (name == "Vec" && tp.path.segments.len() == 1)
    {
        return Some(name);
    }
    None
}
