//! A `ToSchema` derive that generates nothing, for the fuzz build (see Cargo.toml).

use proc_macro::TokenStream;

/// Accepts `#[schema(...)]` on fields like utoipa's derive; generates no code.
#[proc_macro_derive(ToSchema, attributes(schema))]
pub fn derive_to_schema(_item: TokenStream) -> TokenStream {
    TokenStream::new()
}
