//! The one walk over token trees the macros need: the identifiers a token stream
//! mentions, at any depth of nesting. The lowering uses it to tell whether code
//! reads a differentiated value, `emit` which generic parameters a type mentions,
//! and `derive(Module)` whether a field's type mentions one.

use proc_macro2::{Ident, TokenStream, TokenTree};

/// Every identifier in `ts`, nested groups included, in order.
pub fn idents(ts: TokenStream) -> Vec<Ident> {
    let mut out = Vec::new();
    walk(ts, &mut out);
    out
}

fn walk(ts: TokenStream, out: &mut Vec<Ident>) {
    for t in ts {
        match t {
            TokenTree::Ident(i) => out.push(i),
            TokenTree::Group(g) => walk(g.stream(), out),
            TokenTree::Punct(_) | TokenTree::Literal(_) => {}
        }
    }
}
