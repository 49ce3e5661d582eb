//! What is emitted when the input has errors: the user's item, so that its callers
//! see no follow-on errors, plus every error as a `compile_error!` on the
//! offending tokens (thiserror's `fallback.rs`).

use proc_macro2::TokenStream;
use quote::ToTokens;

/// `item` unchanged, followed by `errors`.
pub fn item_with_errors(item: impl ToTokens, errors: TokenStream) -> TokenStream {
    let mut out = item.into_token_stream();
    out.extend(errors);
    out
}
