//! The macro never panics: every input, valid or not, expands to tokens.

use crate::differentiable_impl;
use proc_macro2::{TokenStream, TokenTree};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::str::FromStr;

/// The `#[differentiable]` items of the UI cases and the random programs, as token
/// streams (attribute removed), with the attribute's arguments.
fn corpus() -> Vec<(TokenStream, TokenStream)> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut files = Vec::new();
    for dir in [
        "tests/ui",
        "tests/ui/pass",
        "tests",
        "tests/random_programs",
    ] {
        let Ok(entries) = std::fs::read_dir(format!("{root}/{dir}")) else {
            continue;
        };
        files.extend(
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "rs")),
        );
    }
    let mut items = Vec::new();
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(file) = syn::parse_file(&text) else {
            continue;
        };
        collect(&file.items, &mut items);
    }
    assert!(items.len() > 50, "the corpus is too small: {}", items.len());
    items
}

fn collect(items: &[syn::Item], out: &mut Vec<(TokenStream, TokenStream)>) {
    for item in items {
        let mut item = item.clone();
        let attrs = match &mut item {
            syn::Item::Fn(f) => &mut f.attrs,
            syn::Item::Struct(s) => &mut s.attrs,
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    collect(inner, out);
                }
                continue;
            }
            _ => continue,
        };
        let Some(pos) = attrs
            .iter()
            .position(|a| a.path().is_ident("differentiable"))
        else {
            continue;
        };
        let attr = attrs.remove(pos);
        let args = match attr.meta {
            syn::Meta::List(l) => l.tokens,
            _ => TokenStream::new(),
        };
        out.push((args, quote::ToTokens::into_token_stream(item)));
    }
}

fn expand_without_panic(args: TokenStream, input: TokenStream) {
    let shown = input.to_string();
    let result = catch_unwind(AssertUnwindSafe(|| differentiable_impl(args, input)));
    assert!(result.is_ok(), "the macro panicked on:\n{shown}");
}

#[test]
fn every_corpus_item_expands() {
    for (args, input) in corpus() {
        expand_without_panic(args, input);
    }
}

#[test]
fn truncated_and_corrupted_items_expand() {
    let junk: Vec<TokenTree> =
        TokenStream::from_str("while loop ? as & * 0..N |v| return ; break { } ( ) [ ]")
            .expect("valid tokens")
            .into_iter()
            .collect();
    for (args, input) in corpus() {
        let tokens: Vec<TokenTree> = input.into_iter().collect();
        for cut in 0..tokens.len() {
            let truncated: TokenStream = tokens[..cut].iter().cloned().collect();
            expand_without_panic(args.clone(), truncated);
        }
        // Replace the body with junk token by token.
        if let Some(TokenTree::Group(body)) = tokens.last() {
            let inner: Vec<TokenTree> = body.stream().into_iter().collect();
            for (i, j) in inner.iter().enumerate().take(40) {
                let mut mutated = inner.clone();
                mutated[i] = junk[(i + j.to_string().len()) % junk.len()].clone();
                let mut all = tokens.clone();
                let group =
                    proc_macro2::Group::new(body.delimiter(), mutated.into_iter().collect());
                *all.last_mut().expect("non-empty") = TokenTree::Group(group);
                expand_without_panic(args.clone(), all.into_iter().collect());
            }
        }
    }
}

#[test]
fn malformed_attribute_arguments_expand() {
    let (_, input) = corpus().remove(0);
    for args in ["foo", "1 + ", "mode = \"forward\"", "(", "#"] {
        let args = TokenStream::from_str(args).unwrap_or_default();
        expand_without_panic(args, input.clone());
    }
}
