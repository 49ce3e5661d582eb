//! Procedural macros of the `autograd` crate.
//!
//! `#[differentiable]` runs in phases, one file each:
//!
//! 0. `method`: on an `impl` block, each differentiated method becomes a free
//!    function of its receiver, which the phases below differentiate.
//! 1. `parse`: the item becomes a typed view of the function that keeps spans.
//! 2. `check`: the signature is checked; every problem is collected in a
//!    `ctxt::Ctxt`, not returned at the first one.
//! 3. `desugar`: early exits (`break`, `continue`, `return`) become flags.
//! 4. `lower`: the body becomes forward code and a list of reverse entries; the
//!    body's unsupported constructs are reported as they are met.
//! 5. `emit`: the user's function and the module of generated items.
//! 6. `fallback`: on errors, the user's function, stub items of the same
//!    signatures and every error, so that callers see no follow-on errors.
//!
//! The macro holds no calculus: the derivative of each primitive lives in
//! `autograd-core`'s `rules`, and the generated code calls it through traits that
//! rustc resolves from the operand types.

mod check;
mod ctxt;
mod desugar;
mod emit;
mod fallback;
mod lower;
mod method;
mod module;
mod parse;
mod primitives;
mod reject;
mod tangent;
#[cfg(test)]
mod tests;
mod tokens;

use proc_macro::TokenStream;

/// Generates the derivatives of a function at compile time: reverse mode, forward
/// mode and second order (forward over reverse).
///
/// See the `autograd` crate's documentation for the language a differentiable
/// function may use and the items generated beside it (`NAME::Grad`,
/// `NAME::grad`, `NAME::vjp`, `NAME::jvp`, `NAME::hvp`, `NAME::hessian`,
/// `NAME::apply`). On an `impl` block it differentiates methods, adding the
/// siblings `NAME_grad`, `NAME_vjp` and `NAME_jvp` (see the crate's README).
#[proc_macro_attribute]
pub fn differentiable(args: TokenStream, input: TokenStream) -> TokenStream {
    differentiable_impl(args.into(), input.into()).into()
}

fn differentiable_impl(
    args: proc_macro2::TokenStream,
    input: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    if let Ok(item) = syn::parse2::<syn::ItemImpl>(input.clone()) {
        return method::expand(args, item);
    }
    let mut cx = ctxt::Ctxt::default();
    let custom_vjp = parse::attribute(args, &mut cx);
    let item: syn::ItemFn = match syn::parse2(input.clone()) {
        Ok(f) => f,
        Err(_) => {
            cx.push(syn::Error::new(
                proc_macro2::Span::call_site(),
                reject::Reject::NotAFunction,
            ));
            let errors = cx.into_compile_errors().unwrap_or_default();
            return fallback::item_with_errors(input, errors);
        }
    };
    let view = parse::parse(item, &mut cx);
    check::signature(&view, &mut cx);
    let signature_ok = cx.len() == 0;
    if let Some(pullback) = &custom_vjp {
        // A custom rule: the body is the user's, run as written.
        return match cx.into_compile_errors() {
            None => emit::expand(&view, emit::Body::Custom(pullback)),
            Some(errors) if signature_ok => {
                fallback::item_with_errors(emit::expand(&view, emit::Body::Stub), errors)
            }
            Some(errors) => fallback::item_with_errors(&view.item, errors),
        };
    }
    let body = desugar::body(&view.item.block, view.ret.as_ref(), &mut cx);
    let lowered = lower::lower(&view, &body, &mut cx, lower::Mode::Vjp);
    match cx.into_compile_errors() {
        None => {
            // Forward mode lowers the same body again; its errors are the same ones.
            let tangents = lower::lower(&view, &body, &mut ctxt::Ctxt::default(), lower::Mode::Jvp);
            // So does forward over reverse (second order).
            let second = lower::lower(&view, &body, &mut ctxt::Ctxt::default(), lower::Mode::Hvp);
            emit::expand(&view, emit::Body::Lowered(&lowered, &tangents, &second))
        }
        // Stub items keep callers of `NAME::grad` free of follow-on errors, but only a
        // sound signature can be repeated on them.
        Some(errors) if signature_ok => {
            fallback::item_with_errors(emit::expand(&view, emit::Body::Stub), errors)
        }
        Some(errors) => fallback::item_with_errors(&view.item, errors),
    }
}

/// Derives `autograd::nn::Visit` for a struct, so that implementing
/// `autograd::nn::Module` (its `forward`) gives `parameters`, `named_parameters`,
/// `state_dict`, `train`/`eval` and the rest, as assigning attributes of an
/// `nn.Module` does in PyTorch.
///
/// A `Tensor` field is a parameter, `#[module(buffer)]` makes it a buffer, other
/// fields are sub-modules (also inside `Option`, `Vec`, arrays and `Box`), named by
/// dotted paths (`conv1.weight`, `layers.0.bias`). Fields of primitive types and
/// fields marked `#[module(skip)]` are left out.
#[proc_macro_derive(Module, attributes(module))]
pub fn derive_module(input: TokenStream) -> TokenStream {
    module::derive(input.into()).into()
}

/// Makes a struct of scalars, `SMatrix` fields and nested such structs a vector
/// space (`autograd::Tangent`) and a parameter set (`autograd::Params`): a
/// `#[differentiable]` function may take it as a parameter and read its fields,
/// its gradient is a value of the same struct, and the static optimizers update it.
/// The struct must also derive `Clone` and `Copy` (and `Debug` and `PartialEq`,
/// which the generated `Grad` of a function taking it derives).
#[proc_macro_derive(Tangent)]
pub fn derive_tangent(input: TokenStream) -> TokenStream {
    tangent::derive(input.into()).into()
}
