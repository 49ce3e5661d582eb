//! `#[derive(Module)]`: writes `autograd::nn::Visit` for a struct, so that its
//! `impl Module` (the user's `forward`) gets `parameters`, `named_parameters`,
//! `state_dict`, `train`/`eval` and the rest.
//!
//! ```text
//! #[derive(Module)]                      impl Visit for Net {
//! struct Net {                               fn visit_tensors(&self, path, _, f) {
//!     conv1: nn::Conv2d,          =>             Visit::visit_tensors(&self.conv1, join(path, "conv1"), Parameter, f);
//!     #[module(buffer)] scale: Tensor,           Visit::visit_tensors(&self.scale, join(path, "scale"), Buffer, f);
//!     #[module(skip)] name: Names,            }
//!     hidden: usize,                         // apply_training, training_flag alike
//! }                                      }
//! ```
//!
//! Every field is registered (a `Tensor` as a parameter or, with
//! `#[module(buffer)]`, a buffer; anything else as a sub-module, through `Visit`)
//! except fields marked `#[module(skip)]` and fields of primitive types. The
//! field's type decides the rest at type-check time, so a field that is neither
//! gets rustc's error on its type, worded by the trait's `on_unimplemented`.
//! What the derive rejects itself, with a located error and a stub impl so that
//! the user's `impl Module` shows no follow-on error: enums, unions, fields that
//! are references, tuples, function pointers or `impl Trait`, and malformed
//! `#[module(..)]` attributes.

use crate::ctxt::Ctxt;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Member, Type};

/// How a field takes part in the module.
enum Role {
    Parameter,
    Buffer,
    Skip,
}

/// One registered field.
struct Field {
    member: Member,
    name: String,
    ty: Type,
    role: Role,
}

/// Entry point: the impl, or the errors plus a stub impl.
pub fn derive(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    let mut cx = Ctxt::default();
    let fields = fields(&input, &mut cx);
    match cx.into_compile_errors() {
        None => expand(&input, &fields),
        Some(errors) => crate::fallback::item_with_errors(stub(&input), errors),
    }
}

/// The fields to register, after checking the item and the attributes.
fn fields(input: &DeriveInput, cx: &mut Ctxt) -> Vec<Field> {
    let data = match &input.data {
        Data::Struct(s) => s,
        Data::Enum(e) => {
            cx.error(
                e.enum_token,
                format!(
                    "`#[derive(Module)]` applies to structs, and `{}` is an enum: put the layers of each variant in a struct field (an `Option` or a `Vec` of modules), or implement `autograd::nn::Visit` by hand",
                    input.ident
                ),
            );
            return Vec::new();
        }
        Data::Union(u) => {
            cx.error(
                u.union_token,
                format!(
                    "`#[derive(Module)]` applies to structs, and `{}` is a union: a module's tensors must all be reachable, so write a struct",
                    input.ident
                ),
            );
            return Vec::new();
        }
    };
    let list: Vec<&syn::Field> = match &data.fields {
        Fields::Named(f) => f.named.iter().collect(),
        Fields::Unnamed(f) => f.unnamed.iter().collect(),
        Fields::Unit => Vec::new(),
    };
    list.into_iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let role = role(f, cx);
            let (member, name) = match &f.ident {
                Some(id) => (Member::Named(id.clone()), unraw(id)),
                None => (Member::Unnamed(syn::Index::from(i)), i.to_string()),
            };
            let role = match role {
                Some(Role::Skip) => return None,
                Some(r) => r,
                None if is_primitive(&f.ty) => return None,
                None => {
                    check_type(&f.ty, &name, cx);
                    Role::Parameter
                }
            };
            if matches!(role, Role::Buffer) {
                check_type(&f.ty, &name, cx);
            }
            Some(Field {
                member,
                name,
                ty: f.ty.clone(),
                role,
            })
        })
        .collect()
}

fn unraw(id: &syn::Ident) -> String {
    let s = id.to_string();
    s.strip_prefix("r#").map(str::to_string).unwrap_or(s)
}

/// The role set by `#[module(skip)]` / `#[module(buffer)]`, if any.
fn role(f: &syn::Field, cx: &mut Ctxt) -> Option<Role> {
    let mut found: Option<Role> = None;
    for attr in f.attrs.iter().filter(|a| a.path().is_ident("module")) {
        if let syn::Meta::Path(p) = &attr.meta {
            cx.error(
                p,
                "`#[module]` needs an argument: `#[module(skip)]` or `#[module(buffer)]`",
            );
            continue;
        }
        let res = attr.parse_nested_meta(|meta| {
            let r = if meta.path.is_ident("skip") {
                Role::Skip
            } else if meta.path.is_ident("buffer") {
                Role::Buffer
            } else {
                return Err(meta.error(format!(
                    "unknown module attribute `{}`: write `#[module(skip)]` for a field that holds no parameters, or `#[module(buffer)]` for a tensor saved but not trained",
                    meta.path.to_token_stream()
                )));
            };
            if found.is_some() {
                return Err(meta.error(
                    "a field is either `#[module(skip)]` or `#[module(buffer)]`: keep one",
                ));
            }
            found = Some(r);
            Ok(())
        });
        if let Err(e) = res {
            cx.push(e);
        }
    }
    found
}

/// Types that are configuration, never modules: skipped without an attribute.
fn is_primitive(ty: &Type) -> bool {
    const NAMES: &[&str] = &[
        "bool",
        "char",
        "u8",
        "u16",
        "u32",
        "u64",
        "u128",
        "usize",
        "i8",
        "i16",
        "i32",
        "i64",
        "i128",
        "isize",
        "f32",
        "f64",
        "String",
        "PhantomData",
    ];
    match ty {
        Type::Path(p) if p.qself.is_none() => p
            .path
            .segments
            .last()
            .is_some_and(|s| NAMES.contains(&s.ident.to_string().as_str())),
        Type::Tuple(t) => t.elems.is_empty(),
        Type::Paren(p) => is_primitive(&p.elem),
        Type::Group(g) => is_primitive(&g.elem),
        _ => false,
    }
}

/// Rejects types that can hold no module, with a located error.
fn check_type(ty: &Type, name: &str, cx: &mut Ctxt) {
    let what = match ty {
        Type::Reference(_) => "a reference: a module owns its parameters, so store the module (a `Tensor` handle is already cheap to clone)",
        Type::Ptr(_) => "a raw pointer",
        Type::Tuple(_) => "a tuple: give its parts their own fields, or put them in a struct that derives `Module`",
        Type::BareFn(_) => "a function pointer",
        Type::ImplTrait(_) => "an `impl Trait`",
        Type::TraitObject(_) => "a bare trait object: box it (`Box<dyn Module>`)",
        Type::Never(_) => "`!`",
        Type::Infer(_) | Type::Macro(_) | Type::Verbatim(_) => "of a type the derive cannot see",
        Type::Paren(p) => return check_type(&p.elem, name, cx),
        Type::Group(g) => return check_type(&g.elem, name, cx),
        _ => return,
    };
    cx.error(
        ty,
        format!(
            "field `{name}` is {what}; `#[derive(Module)]` registers tensors and modules, so mark it `#[module(skip)]` if it holds no parameters"
        ),
    );
}

/// Whether `ty` mentions one of the struct's type parameters.
fn mentions(ty: &Type, params: &[String]) -> bool {
    crate::tokens::idents(ty.to_token_stream())
        .iter()
        .any(|i| params.contains(&i.to_string()))
}

fn expand(input: &DeriveInput, fields: &[Field]) -> TokenStream {
    let name = &input.ident;
    let params: Vec<String> = input
        .generics
        .type_params()
        .map(|p| p.ident.to_string())
        .collect();
    let mut generics = input.generics.clone();
    {
        let wc = generics.make_where_clause();
        for f in fields.iter().filter(|f| mentions(&f.ty, &params)) {
            let ty = &f.ty;
            wc.predicates
                .push(syn::parse_quote_spanned!(ty.span()=> #ty: ::autograd::nn::Visit));
        }
    }
    let (impl_g, ty_g, where_c) = generics.split_for_impl();
    let visits = fields.iter().map(|f| {
        let (m, n, ty) = (&f.member, &f.name, &f.ty);
        let kind = match f.role {
            Role::Buffer => quote!(::autograd::nn::Kind::Buffer),
            _ => quote!(::autograd::nn::Kind::Parameter),
        };
        quote_spanned! {ty.span()=>
            ::autograd::nn::Visit::visit_tensors(
                &self.#m,
                &::autograd::nn::join(__path, #n),
                #kind,
                __f,
            );
        }
    });
    let trains = fields.iter().map(|f| {
        let (m, ty) = (&f.member, &f.ty);
        quote_spanned!(ty.span()=> ::autograd::nn::Visit::apply_training(&mut self.#m, __mode);)
    });
    let flags = fields.iter().map(|f| {
        let (m, ty) = (&f.member, &f.ty);
        quote_spanned! {ty.span()=>
            if __flag.is_none() {
                __flag = ::autograd::nn::Visit::training_flag(&self.#m);
            }
        }
    });
    quote! {
        #[automatically_derived]
        impl #impl_g ::autograd::nn::Visit for #name #ty_g #where_c {
            fn visit_tensors(
                &self,
                __path: &str,
                _: ::autograd::nn::Kind,
                __f: &mut dyn ::core::ops::FnMut(&str, &::autograd::Tensor, ::autograd::nn::Kind),
            ) {
                #(#visits)*
            }

            fn apply_training(&mut self, __mode: bool) {
                #(#trains)*
            }

            fn training_flag(&self) -> ::core::option::Option<bool> {
                #[allow(unused_mut)]
                let mut __flag = ::core::option::Option::None;
                #(#flags)*
                __flag
            }
        }
    }
}

/// An impl with empty bodies, emitted beside errors so that the user's
/// `impl Module` (which requires `Visit`) adds no error of its own.
fn stub(input: &DeriveInput) -> TokenStream {
    let name = &input.ident;
    let (impl_g, ty_g, where_c) = input.generics.split_for_impl();
    quote! {
        impl #impl_g ::autograd::nn::Visit for #name #ty_g #where_c {
            fn visit_tensors(
                &self,
                _: &str,
                _: ::autograd::nn::Kind,
                _: &mut dyn ::core::ops::FnMut(&str, &::autograd::Tensor, ::autograd::nn::Kind),
            ) {
            }
            fn apply_training(&mut self, _: bool) {}
            fn training_flag(&self) -> ::core::option::Option<bool> {
                ::core::option::Option::None
            }
        }
    }
}
