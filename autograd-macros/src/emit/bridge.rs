//! `apply` and `try_apply`: a differentiable function as one node of the dynamic
//! graph, for functions over scalars and static matrices.

use super::{visibilities, Generated};
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Ident, Type, Visibility};

impl Generated<'_> {
    /// `apply` and `try_apply`: the function as one node of the dynamic graph. Only
    /// for functions without generics whose parameters and output are, as written,
    /// scalars or nalgebra static matrices (the macro cannot see types).
    pub(super) fn apply_fns(&self) -> Option<TokenStream> {
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
        let quiet = super::quiet();
        Some(quote! { ::autograd::__with_std! {
            #quiet
            #primal

            #[doc = #try_doc]
            #[inline]
            #item_vis fn try_apply(#(#idents: &#tensor),*) -> #result<#tensor, ::autograd::Error> {
                struct __Kernel;
                impl #p::StaticKernel for __Kernel {
                    const NAME: &'static str = #name_str;
                    #[inline]
                    fn forward(__inputs: &[#tensor]) -> #result<#tensor, ::autograd::Error> {
                        #reads
                        let __out: #ret = __primal(#(#call_args),*);
                        ::core::result::Result::Ok(#p::TensorValue::to_tensor(&__out))
                    }
                    #[inline]
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
            #[inline]
            #[track_caller]
            #item_vis fn apply(#(#idents: &#tensor),*) -> #tensor {
                match try_apply(#(#idents),*) {
                    ::core::result::Result::Ok(__t) => __t,
                    ::core::result::Result::Err(__e) => ::core::panic!("{}", __e),
                }
            }
        }})
    }
}

/// Whether `ty`, as written, is a scalar or a nalgebra static matrix, so that a
/// tensor can stand for it.
pub(super) fn bridgeable(ty: &Type) -> bool {
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
