//! `#[differentiable]` on an `impl` block: methods.
//!
//! Each differentiated method becomes a free function of its receiver, named after
//! the type and the method, which the rest of the macro differentiates like any
//! other; the method calls it, and sibling methods call its derivatives:
//!
//! ```text
//! #[differentiable]
//! impl Spring {
//!     fn energy(&self, x: f64) -> f64 { 0.5 * self.k * x * x }
//! }
//! // becomes
//! impl Spring {
//!     fn energy(&self, x: f64) -> f64 { spring_energy(self, x) }
//!     fn energy_grad(&self, x: f64) -> (f64, spring_energy::Grad) { spring_energy::grad(self, x) }
//!     fn energy_vjp(&self, x: f64) -> (f64, impl FnOnce(f64) -> spring_energy::Grad) { .. }
//!     fn energy_jvp(&self, x: f64, tangent: &spring_energy::Grad) -> (f64, f64) { .. }
//! }
//! #[differentiable]
//! fn spring_energy(#[constant] this: &Spring, x: f64) -> f64 { 0.5 * this.k * x * x }
//! ```
//!
//! The receiver is a constant unless the method is marked `#[differentiable(self)]`
//! (its type then derives `Tangent`, and `Grad` has a field `this`). In the body,
//! `self` becomes `this`, `Self` the implementing type, and a call of another
//! differentiated method of the block (`self.other(x)`, `Self::other(..)`) a call of
//! its free function, so that it is differentiated through.
//!
//! The impl block is needed: a method alone does not know its type, and an `impl`
//! cannot hold the `Grad` struct.

use crate::ctxt::Ctxt;
use crate::reject::Reject;
use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::visit_mut::{self, VisitMut};
use syn::{
    parse_quote, Expr, FnArg, GenericParam, Ident, ImplItem, ImplItemFn, ItemImpl, Pat, ReturnType,
    Type,
};

/// One method to differentiate.
struct Method {
    /// The method's name.
    name: Ident,
    /// The free function's (and its module's) name: `spring_energy`.
    free: Ident,
    /// How the method takes its receiver; `None` for an associated function.
    receiver: Option<ByRef>,
}

/// Whether a receiver is `&self` or `self`.
#[derive(Clone, Copy, PartialEq)]
enum ByRef {
    Ref,
    Value,
}

/// The arguments of a `#[differentiable(..)]` on a method: `self` (the receiver is
/// differentiated) or what a function's attribute takes.
fn method_arguments(item: &mut ImplItemFn) -> Option<(bool, TokenStream)> {
    let pos = item
        .attrs
        .iter()
        .position(|a| a.path().is_ident("differentiable"))?;
    let attr = item.attrs.remove(pos);
    let args = match attr.meta {
        syn::Meta::List(l) => l.tokens,
        _ => TokenStream::new(),
    };
    let is_self = syn::parse2::<syn::Token![self]>(args.clone()).is_ok();
    Some(match is_self {
        true => (true, TokenStream::new()),
        false => (false, args),
    })
}

/// The implementing type's name in snake case: `RigidBody` gives `rigid_body`.
fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The expansion of `#[differentiable]` on `item`.
pub fn expand(args: TokenStream, mut item: ItemImpl) -> TokenStream {
    let mut cx = Ctxt::default();
    if !args.is_empty() {
        cx.error(&args, Reject::ImplArguments);
    }
    if let Some((_, path, _)) = &item.trait_ {
        cx.error(path, Reject::TraitImpl);
    }
    let type_name = match &*item.self_ty {
        Type::Path(tp) if tp.qself.is_none() => tp.path.segments.last().map(|s| s.ident.clone()),
        _ => None,
    };
    let Some(type_name) = type_name else {
        cx.error(&item.self_ty, Reject::ImplOfUnnamedType);
        return with_errors(strip(item), cx);
    };
    if cx.len() > 0 {
        return with_errors(strip(item), cx);
    }
    let self_ty = (*item.self_ty).clone();

    // The methods marked `#[differentiable]`, or every method if none is.
    let any_marked = item.items.iter().any(|i| match i {
        ImplItem::Fn(f) => f.attrs.iter().any(|a| a.path().is_ident("differentiable")),
        _ => false,
    });
    let mut chosen: Vec<(usize, bool, TokenStream)> = Vec::new();
    for (k, it) in item.items.iter_mut().enumerate() {
        let ImplItem::Fn(f) = it else { continue };
        match method_arguments(f) {
            Some((this, args)) => chosen.push((k, this, args)),
            None if !any_marked => chosen.push((k, false, TokenStream::new())),
            None => {}
        }
    }
    let methods: Vec<Method> = chosen
        .iter()
        .map(|(k, _, _)| {
            let ImplItem::Fn(f) = &item.items[*k] else {
                unreachable!("chosen items are functions")
            };
            let receiver = f.sig.receiver().map(|r| match r.reference {
                Some(_) => ByRef::Ref,
                None => ByRef::Value,
            });
            let free = format!("{}_{}", snake(&type_name.to_string()), f.sig.ident);
            Method {
                name: f.sig.ident.clone(),
                free: Ident::new(&free, f.sig.ident.span()),
                receiver,
            }
        })
        .collect();

    let mut out = TokenStream::new();
    let mut siblings: Vec<ImplItem> = Vec::new();
    for ((k, this_active, args), m) in chosen.iter().zip(&methods) {
        let ImplItem::Fn(f) = &mut item.items[*k] else {
            unreachable!("chosen items are functions")
        };
        let Some(free_fn) = free_function(
            f,
            m,
            *this_active,
            &item.generics,
            &self_ty,
            &methods,
            &mut cx,
        ) else {
            continue;
        };
        out.extend(crate::differentiable_impl(
            args.clone(),
            free_fn.to_token_stream(),
        ));
        siblings.extend(forwarding(f, m, &item.generics));
    }
    item.items.extend(siblings);
    let mut all = item.to_token_stream();
    all.extend(out);
    if let Some(errors) = cx.into_compile_errors() {
        all.extend(errors);
    }
    all
}

/// `item` without the macro's attributes on its methods and their parameters.
fn strip(mut item: ItemImpl) -> ItemImpl {
    for it in &mut item.items {
        if let ImplItem::Fn(f) = it {
            f.attrs.retain(|a| !a.path().is_ident("differentiable"));
            strip_constant(&mut f.sig);
        }
    }
    item
}

fn strip_constant(sig: &mut syn::Signature) {
    for arg in &mut sig.inputs {
        if let FnArg::Typed(pt) = arg {
            pt.attrs.retain(|a| !a.path().is_ident("constant"));
        }
    }
}

fn with_errors(item: ItemImpl, cx: Ctxt) -> TokenStream {
    let mut out = item.to_token_stream();
    if let Some(errors) = cx.into_compile_errors() {
        out.extend(errors);
    }
    out
}

/// The method as a free function of `this`, or `None` (reported) where its
/// receiver cannot be one.
fn free_function(
    f: &ImplItemFn,
    m: &Method,
    this_active: bool,
    impl_generics: &syn::Generics,
    self_ty: &Type,
    methods: &[Method],
    cx: &mut Ctxt,
) -> Option<syn::ItemFn> {
    let mut sig = f.sig.clone();
    sig.ident = m.free.clone();
    let mut inputs = syn::punctuated::Punctuated::<FnArg, syn::Token![,]>::new();
    for arg in &f.sig.inputs {
        match arg {
            FnArg::Receiver(r) => {
                if r.colon_token.is_some() {
                    cx.error(r, Reject::TypedReceiver);
                    return None;
                }
                if r.mutability.is_some() && r.reference.is_some() {
                    cx.error(r, Reject::MutSelf);
                    return None;
                }
                let this = Ident::new("this", r.self_token.span);
                let constant = (!this_active).then(|| quote!(#[constant]));
                let mutable = r.mutability.map(|_| quote!(mut));
                let ty = match r.reference {
                    Some(_) => quote!(&#self_ty),
                    None => quote!(#self_ty),
                };
                inputs.push(parse_quote!(#constant #mutable #this: #ty));
            }
            FnArg::Typed(pt) => inputs.push(FnArg::Typed(pt.clone())),
        }
    }
    if this_active && m.receiver.is_none() {
        cx.error(&f.sig.ident, Reject::DifferentiatedSelfWithoutReceiver);
        return None;
    }
    sig.inputs = inputs;
    let mut generics = impl_generics.clone();
    generics
        .params
        .extend(f.sig.generics.params.iter().cloned());
    if let Some(w) = &f.sig.generics.where_clause {
        generics
            .make_where_clause()
            .predicates
            .extend(w.predicates.iter().cloned());
    }
    sig.generics = generics;
    let mut rewrite = Rewrite {
        self_ty,
        methods,
        this_by_ref: m.receiver == Some(ByRef::Ref),
    };
    rewrite.visit_signature_mut(&mut sig);
    let mut block = f.block.clone();
    rewrite.visit_block_mut(&mut block);
    if let Some(FnArg::Receiver(r)) = f.sig.inputs.first() {
        // A method that does not read `self` leaves no unused `this` behind.
        let this = Ident::new("this", r.self_token.span);
        block.stmts.insert(0, parse_quote!(let _ = &#this;));
    }
    let attrs = f.attrs.clone();
    let vis = &f.vis;
    let doc = format!(
        "The method `{}::{}` as a function of its receiver, `this`: its derivatives are in the module of the same name.",
        quote!(#self_ty).to_string().replace(' ', ""),
        m.name
    );
    Some(parse_quote! {
        #(#attrs)*
        #[doc = ""]
        #[doc = #doc]
        #vis #sig #block
    })
}

/// The generic arguments of the free function (the impl's, then the method's):
/// what `Grad` and a turbofish take.
fn generic_args(impl_generics: &syn::Generics, sig: &syn::Signature) -> Vec<Ident> {
    impl_generics
        .params
        .iter()
        .chain(&sig.generics.params)
        .filter_map(|g| match g {
            GenericParam::Type(t) => Some(t.ident.clone()),
            GenericParam::Const(c) => Some(c.ident.clone()),
            GenericParam::Lifetime(_) => None,
        })
        .collect()
}

/// The method's new body (a call of the free function) and its siblings
/// `NAME_grad` (scalar outputs), `NAME_vjp` and `NAME_jvp`.
fn forwarding(f: &mut ImplItemFn, m: &Method, impl_generics: &syn::Generics) -> Vec<ImplItem> {
    // Differentiated slices (`&[T]` not marked `#[constant]`): the pullback
    // `NAME_vjp` returns borrows them, so its `use<..>` names their lifetimes.
    let slices: Vec<bool> = f
        .sig
        .inputs
        .iter()
        .map(|a| match a {
            FnArg::Typed(pt) => {
                crate::parse::is_slice(&pt.ty)
                    && !pt.attrs.iter().any(|a| a.path().is_ident("constant"))
            }
            FnArg::Receiver(_) => false,
        })
        .collect();
    strip_constant(&mut f.sig);
    // Parameters that are patterns are reported on the free function; here they
    // are renamed so that the siblings still parse.
    let mut args: Vec<TokenStream> = Vec::new();
    for (i, arg) in f.sig.inputs.iter_mut().enumerate() {
        match arg {
            FnArg::Receiver(_) => args.push(quote!(self)),
            FnArg::Typed(pt) => match &*pt.pat {
                Pat::Ident(pi) if pi.subpat.is_none() && pi.by_ref.is_none() => {
                    args.push(pi.ident.to_token_stream())
                }
                _ => {
                    let i = Ident::new(&format!("__arg{i}"), Span::mixed_site());
                    pt.pat = parse_quote!(#i);
                    args.push(i.to_token_stream());
                }
            },
        }
    }
    let free = &m.free;
    let ga = generic_args(impl_generics, &f.sig);
    let turbofish = match ga.is_empty() {
        true => TokenStream::new(),
        false => quote!(::<#(#ga),*>),
    };
    let grad_ty = match ga.is_empty() {
        true => quote!(#free::Grad),
        false => quote!(#free::Grad<#(#ga),*>),
    };
    f.block = parse_quote!({ #free #turbofish (#(#args),*) });

    let Some(ret) = (match &f.sig.output {
        ReturnType::Type(_, t) => Some((**t).clone()),
        ReturnType::Default => None,
    }) else {
        return Vec::new();
    };
    let sig = &f.sig;
    let vis = &f.vis;
    let generics = &sig.generics;
    let (gen_decl, _, _) = generics.split_for_impl();
    // The generated derivatives bound every type parameter by `Real`.
    let existing = generics.where_clause.iter().flat_map(|w| &w.predicates);
    let real = impl_generics
        .type_params()
        .chain(generics.type_params())
        .map(|t| &t.ident);
    let where_clause = quote!(where #(#existing,)* #(#real: ::autograd::Real,)*);
    let inputs = &sig.inputs;
    let cfgs: Vec<&syn::Attribute> = f
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg"))
        .collect();
    let name = &m.name;
    let self_path = match m.receiver {
        Some(_) => quote!(self.#name),
        None => quote!(Self::#name),
    };
    let tangent = match args.iter().any(|a| a.to_string() == "tangent") {
        true => Ident::new("__tangent", Span::mixed_site()),
        false => Ident::new("tangent", Span::call_site()),
    };
    let scalar = match &ret {
        Type::Path(tp) => tp.path.get_ident().is_some_and(|i| {
            i == "f32" || i == "f64" || {
                let s = i.to_string();
                impl_generics
                    .type_params()
                    .chain(sig.generics.type_params())
                    .any(|t| t.ident == s)
            }
        }),
        _ => false,
    };
    // One sibling method: `NAME{suffix}`, with the method's attributes `cfg`, a
    // doc line and a body that calls the free function's entry point.
    let sibling = |suffix: &str,
                   doc: String,
                   (decl, params): (TokenStream, TokenStream),
                   ret: TokenStream,
                   body: TokenStream|
     -> ImplItem {
        let n = Ident::new(&format!("{name}{suffix}"), name.span());
        parse_quote! {
            #(#cfgs)*
            #[doc = #doc]
            #[inline]
            #vis fn #n #decl (#params) -> #ret #where_clause { #body }
        }
    };
    let plain = |params: TokenStream| (gen_decl.to_token_stream(), params);
    // `NAME_vjp`'s signature: an elided slice lifetime named `'__slice`, declared
    // on the method, and every differentiated slice's lifetime in `lifetimes`.
    let mut vjp_inputs = inputs.clone();
    let mut vjp_generics = generics.clone();
    let lifetimes = crate::parse::name_slice_lifetimes(
        vjp_inputs
            .iter_mut()
            .zip(&slices)
            .filter(|(_, s)| **s)
            .filter_map(|(arg, _)| match arg {
                FnArg::Typed(pt) => Some(&mut *pt.ty),
                FnArg::Receiver(_) => None,
            }),
        &mut vjp_generics,
    );
    let (vjp_decl, _, _) = vjp_generics.split_for_impl();
    let mut out = Vec::new();
    if scalar {
        out.push(sibling(
            "_grad",
            format!("The value of `{self_path}(..)` and its gradient (see [`{free}::Grad`]), in one forward and one reverse sweep."),
            plain(quote!(#inputs)),
            quote!((#ret, #grad_ty)),
            quote!(#free::grad #turbofish (#(#args),*)),
        ));
    }
    out.push(sibling(
        "_vjp",
        format!("The value of `{self_path}(..)` and its pullback, which maps a cotangent of the value to a [`{free}::Grad`] (a vector-Jacobian product)."),
        (vjp_decl.to_token_stream(), quote!(#vjp_inputs)),
        quote!((#ret, impl ::core::ops::FnOnce(#ret) -> #grad_ty + use<#(#lifetimes,)* #(#ga),*>)),
        quote!(#free::vjp #turbofish (#(#args),*)),
    ));
    let comma = (!inputs.is_empty() && !inputs.trailing_punct()).then(|| quote!(,));
    out.push(sibling(
        "_jvp",
        format!("The value of `{self_path}(..)` and its directional derivative along `{tangent}` (forward mode)."),
        plain(quote!(#inputs #comma #tangent: &#grad_ty)),
        quote!((#ret, #ret)),
        quote!(#free::jvp #turbofish (#(#args,)* #tangent)),
    ));
    out
}

/// Rewrites a method's signature and body into the free function's: `self` is
/// `this`, `Self` the implementing type, and calls of differentiated methods calls
/// of their free functions.
struct Rewrite<'a> {
    self_ty: &'a Type,
    methods: &'a [Method],
    /// The free function takes `this` by reference.
    this_by_ref: bool,
}

impl Rewrite<'_> {
    fn method(&self, name: &Ident) -> Option<&Method> {
        self.methods.iter().find(|m| &m.name == name)
    }

    /// `Self` as the start of an expression path: `<Spring>`.
    fn qself(&self) -> syn::QSelf {
        syn::QSelf {
            lt_token: Default::default(),
            ty: Box::new(self.self_ty.clone()),
            position: 0,
            as_token: None,
            gt_token: Default::default(),
        }
    }

    /// The implementing type as the path of a struct expression or pattern
    /// (`Spring::<T>`).
    fn struct_path(&self) -> Option<syn::Path> {
        let Type::Path(tp) = self.self_ty else {
            return None;
        };
        let mut p = tp.path.clone();
        for s in &mut p.segments {
            if let syn::PathArguments::AngleBracketed(a) = &mut s.arguments {
                a.colon2_token = Some(Default::default());
            }
        }
        Some(p)
    }
}

fn is_self_value(e: &Expr) -> Option<Span> {
    match e {
        Expr::Path(p) if p.qself.is_none() && p.path.is_ident("self") => {
            Some(p.path.segments[0].ident.span())
        }
        _ => None,
    }
}

fn starts_with_self_type(p: &syn::Path) -> bool {
    p.leading_colon.is_none() && p.segments.first().is_some_and(|s| s.ident == "Self")
}

impl VisitMut for Rewrite<'_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        // `self.other(args)`, `other` differentiated: `type_other(this, args)`.
        if let Expr::MethodCall(mc) = e {
            if let (Some(span), Some(callee)) =
                (is_self_value(&mc.receiver), self.method(&mc.method))
            {
                if let Some(by) = callee.receiver {
                    let this = Ident::new("this", span);
                    let recv = match (self.this_by_ref, by) {
                        (true, ByRef::Ref) | (false, ByRef::Value) => quote!(#this),
                        (false, ByRef::Ref) => quote!(&#this),
                        (true, ByRef::Value) => quote!(*#this),
                    };
                    let free = Ident::new(&callee.free.to_string(), mc.method.span());
                    let args = &mc.args;
                    let turbofish = &mc.turbofish;
                    let comma = (!args.is_empty()).then(|| quote!(,));
                    *e = parse_quote!(#free #turbofish (#recv #comma #args));
                    visit_mut::visit_expr_mut(self, e);
                    return;
                }
            }
        }
        // `Self::other(args)`, `other` differentiated: `type_other(args)`.
        if let Expr::Path(p) = e {
            if p.qself.is_none() && p.path.segments.len() == 2 && starts_with_self_type(&p.path) {
                if let Some(callee) = self.method(&p.path.segments[1].ident) {
                    let free =
                        Ident::new(&callee.free.to_string(), p.path.segments[1].ident.span());
                    *e = parse_quote!(#free);
                    return;
                }
            }
        }
        if let Some(span) = is_self_value(e) {
            let this = Ident::new("this", span);
            *e = parse_quote!(#this);
            return;
        }
        visit_mut::visit_expr_mut(self, e);
    }

    fn visit_expr_path_mut(&mut self, p: &mut syn::ExprPath) {
        if p.qself.is_none() && p.path.segments.len() > 1 && starts_with_self_type(&p.path) {
            let rest: syn::punctuated::Punctuated<syn::PathSegment, syn::Token![::]> =
                p.path.segments.iter().skip(1).cloned().collect();
            let mut path = syn::Path {
                leading_colon: Some(Default::default()),
                segments: rest,
            };
            visit_mut::visit_path_mut(self, &mut path);
            p.qself = Some(self.qself());
            p.path = path;
            return;
        }
        visit_mut::visit_expr_path_mut(self, p);
    }

    fn visit_expr_struct_mut(&mut self, s: &mut syn::ExprStruct) {
        if s.qself.is_none() && s.path.is_ident("Self") {
            if let Some(p) = self.struct_path() {
                s.path = p;
            }
        }
        visit_mut::visit_expr_struct_mut(self, s);
    }

    fn visit_pat_struct_mut(&mut self, s: &mut syn::PatStruct) {
        if s.qself.is_none() && s.path.is_ident("Self") {
            if let Some(p) = self.struct_path() {
                s.path = p;
            }
        }
        visit_mut::visit_pat_struct_mut(self, s);
    }

    fn visit_type_mut(&mut self, t: &mut Type) {
        if let Type::Path(tp) = t {
            if tp.qself.is_none() && tp.path.is_ident("Self") {
                *t = self.self_ty.clone();
                return;
            }
            if tp.qself.is_none() && starts_with_self_type(&tp.path) {
                // `Self::Assoc`: `<Spring>::Assoc`.
                let rest: syn::punctuated::Punctuated<syn::PathSegment, syn::Token![::]> =
                    tp.path.segments.iter().skip(1).cloned().collect();
                tp.qself = Some(self.qself());
                tp.path = syn::Path {
                    leading_colon: Some(Default::default()),
                    segments: rest,
                };
            }
        }
        visit_mut::visit_type_mut(self, t);
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {
        // Items nested in the body have their own `Self`.
    }
}
