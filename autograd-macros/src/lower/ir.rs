//! The lowering's intermediate representation and the names generated code uses.
//!
//! A lowered body is forward code plus a list of [`Rev`] entries in forward order;
//! every differentiated value is an SSA variable `__ad{id}`, with its tangent
//! `__t{id}` (forward mode) and its cotangent `__g{id}` (reverse sweep).

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;

/// An SSA value of the generated code.
pub type VarId = usize;

/// The result of lowering an expression.
#[derive(Clone)]
pub enum Val {
    /// A differentiated value, held in variable `__ad{id}`.
    Active(VarId),
    /// A constant: the tokens that compute it, and whether they are a reference.
    Inactive { tokens: TokenStream, is_ref: bool },
}

impl Val {
    /// `()`, the value of a statement.
    pub fn unit() -> Val {
        Val::Inactive {
            tokens: quote!(()),
            is_ref: false,
        }
    }
    /// The variable of an active value.
    pub fn active(&self) -> Option<VarId> {
        match self {
            Val::Active(v) => Some(*v),
            Val::Inactive { .. } => None,
        }
    }
}

/// What a user's name refers to.
#[derive(Clone, PartialEq)]
pub enum Binding {
    Active(VarId),
    Inactive { is_ref: bool },
}

pub type Scopes = Vec<Vec<(String, Binding)>>;

/// A position in the scope stack: (scope, entry).
pub type Pos = (usize, usize);

/// One step of the reverse sweep.
pub enum Rev {
    /// A primitive (or a call): `contrib` computes the cotangents of `targets` from
    /// `__gout`, a reference to the cotangent of `out`; a tuple when `tuple`.
    /// `via_contribution`: a callee's cotangent, `()` for its constant parameters.
    Prim {
        out: VarId,
        contrib: TokenStream,
        targets: Vec<Option<VarId>>,
        tuple: bool,
        via_contribution: bool,
        /// Second order (`Mode::Hvp`): the derivative of `contrib` along the
        /// operands' tangents, for the first component of the cotangent pair; `None`
        /// for a rule linear in its operands.
        second: Option<TokenStream>,
        /// `contrib` already maps a cotangent pair to pairs (a callee's `__hvp`
        /// pullback, `map`'s), instead of being applied to each component.
        pairs: bool,
    },
    /// `out = base.member` (a tuple element or a struct field) or `out = base[i]`
    /// (an entry of an array or matrix, a constant index): the cotangent of `out`
    /// goes into that part of `base`'s in place, without building a whole zero
    /// value per part read once `base`'s cotangent exists. `place` is `.member`
    /// or `[i]`.
    Field {
        out: VarId,
        base: VarId,
        place: TokenStream,
    },
    /// A block or branch: `call((cotangents of outs))` gives those of `targets`.
    Region {
        outs: Vec<VarId>,
        call: TokenStream,
        targets: Vec<VarId>,
    },
    /// A `for` loop whose per-iteration pullbacks are on `tape`. `carried` pairs the
    /// value after the loop with the one before it (none if it was constant).
    Loop {
        tape: Ident,
        carried: Vec<(VarId, Option<VarId>)>,
        invariants: Vec<VarId>,
    },
}

/// The code of one region being built.
pub struct RegionBuf {
    /// Which region this is, for [`super::Lowerer::use_var`].
    pub id: usize,
    /// Forward code.
    pub fwd: TokenStream,
    /// Reverse entries, in forward order.
    pub rev: Vec<Rev>,
    /// Active values defined outside the region and read inside, in first-use order.
    pub inputs: Vec<VarId>,
}

/// The lowered function.
pub struct Lowered {
    /// The function's region.
    pub region: RegionBuf,
    /// For each parameter, its variable if it is differentiated.
    pub params: Vec<Option<VarId>>,
    /// The function's value.
    pub tail: Val,
}

/// The variable holding value `id`.
pub fn var(id: VarId) -> Ident {
    Ident::new(&format!("__ad{id}"), Span::mixed_site())
}

/// Which derivative the lowering generates code for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Reverse mode: forward code plus reverse entries.
    Vjp,
    /// Forward mode: forward code that also carries a tangent for every active value.
    Jvp,
    /// Forward over reverse (Hessian-vector products): the forward code of `Jvp`
    /// plus reverse entries whose cotangents are pairs `(g, dg)`, `dg` being the
    /// derivative of `g` along the tangents.
    Hvp,
}

impl Mode {
    /// Whether the forward code carries tangents.
    pub fn tangents(self) -> bool {
        self != Mode::Vjp
    }
}

/// The variable holding the tangent of value `id` (forward mode).
pub fn tan(id: VarId) -> Ident {
    Ident::new(&format!("__t{id}"), Span::mixed_site())
}

/// The variable receiving the tangent argument of parameter `i` (forward mode).
pub fn tangent_arg(i: usize) -> Ident {
    Ident::new(&format!("__ta{i}"), Span::mixed_site())
}

/// The variable holding the cotangent of value `id`.
pub fn cot(id: VarId) -> Ident {
    Ident::new(&format!("__g{id}"), Span::mixed_site())
}

/// The path of the runtime support generated code calls.
pub fn private() -> TokenStream {
    quote!(::autograd::__private)
}

/// `ident` with its hygiene, reported at the user's `sp`: errors in generated code
/// land on the user's expression.
pub fn at(ident: &Ident, sp: Span) -> Ident {
    Ident::new(&ident.to_string(), ident.span().located_at(sp))
}

/// The name the reverse code gives to a reference to the output's cotangent.
pub fn gout() -> Ident {
    Ident::new("__gout", Span::mixed_site())
}
