//! Error collection: every phase reports into one context, so a user sees every
//! mistake in a function at once (serde_derive's `Ctxt`).

use proc_macro2::TokenStream;
use quote::ToTokens;
use std::fmt::Display;

/// The errors found so far.
#[derive(Default)]
pub struct Ctxt {
    errors: Vec<syn::Error>,
}

impl Ctxt {
    /// Records an error spanning `tokens`.
    pub fn error(&mut self, tokens: impl ToTokens, msg: impl Display) {
        self.errors
            .push(syn::Error::new_spanned(tokens.into_token_stream(), msg));
    }

    /// Records an already built error.
    pub fn push(&mut self, e: syn::Error) {
        self.errors.push(e);
    }

    /// How many errors have been recorded (to roll back a speculative pass).
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Forgets the errors recorded after the first `len`.
    pub fn truncate(&mut self, len: usize) {
        self.errors.truncate(len);
    }

    /// The `compile_error!`s of every recorded error, or `None` if there are none.
    pub fn into_compile_errors(self) -> Option<TokenStream> {
        let mut errors = self.errors.into_iter();
        let mut first = errors.next()?;
        for e in errors {
            first.combine(e);
        }
        Some(first.to_compile_error())
    }
}
