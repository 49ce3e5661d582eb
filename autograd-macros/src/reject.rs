//! What `#[differentiable]` refuses, and what each message tells the user to write
//! instead: every rejection of the attribute, the signature and the body is a
//! variant here, so that the language's limits read in one place (thiserror's
//! `valid.rs`). The phases decide *where* an error goes (the offending tokens) and
//! report it with `Ctxt::error(tokens, Reject::..)`; this file decides what it says.
//!
//! Each variant has a trybuild case in `tests/ui/` named after the mistake.

use crate::primitives;
use std::fmt;

/// One construct the macro does not differentiate.
pub enum Reject<'a> {
    // ----- the attribute and the item ----------------------------------------
    /// `#[differentiable(..)]` with arguments other than `vjp = PULLBACK`.
    AttributeArguments,
    /// `#[differentiable]` on something other than a function.
    NotAFunction,
    /// A `self` parameter on a function the macro sees alone.
    Method,
    /// `#[differentiable(..)]` with arguments on an `impl` block.
    ImplArguments,
    /// `#[differentiable]` on `impl Trait for Type`.
    TraitImpl,
    /// `#[differentiable]` on an `impl` of a type that is not a path (`impl &T`).
    ImplOfUnnamedType,
    /// `self: Box<Self>` and other typed receivers.
    TypedReceiver,
    /// `&mut self`.
    MutSelf,
    /// `#[differentiable(self)]` on an associated function without a receiver.
    DifferentiatedSelfWithoutReceiver,
    /// `#[constant(..)]` with arguments.
    ConstantArguments,

    // ----- the signature -------------------------------------------------------
    /// A parameter bound to a pattern.
    ParameterPattern,
    /// `async fn`.
    AsyncFn,
    /// `unsafe fn`.
    UnsafeFn,
    /// `extern fn`.
    ExternFn,
    /// A C-variadic function.
    Variadic,
    /// No return type; the function's name.
    MissingReturn(&'a syn::Ident),
    /// A type parameter without bounds; its name.
    UnboundedType(&'a syn::Ident),
    /// A `&mut` parameter.
    MutRefParameter,
    /// An `impl Trait` parameter.
    ImplTraitParameter,
    /// A differentiated matrix view (`DMatrixView`) or `Vec` parameter; the type's name.
    DynamicParameter(String),

    // ----- statements ----------------------------------------------------------
    /// `let x;` without a value.
    LetWithoutValue,
    /// `let .. else`.
    LetElse,
    /// A pattern other than names and tuples binding a differentiated value.
    BindingPattern,
    /// `return` inside a closure.
    EarlyReturn,
    /// `m[i] = ..` or `s.f = ..` with a differentiated value.
    AssignIntoPart,

    // ----- expressions ---------------------------------------------------------
    /// An index that is itself differentiated.
    DifferentiatedIndex,
    /// `loop` where the desugaring did not reach it (in a closure).
    Loop,
    /// `loop` without `break` or `return`.
    EndlessLoop,
    /// A loop label, or `break`/`continue` naming one.
    LoopLabel,
    /// A closure outside `map`.
    Closure,
    /// `break` or `continue` inside a closure.
    BreakContinue,
    /// `if let` on a differentiated value.
    IfLet,
    /// `?`.
    Try,
    /// `async` blocks and `.await`.
    Async,
    /// `unsafe` blocks.
    Unsafe,
    /// `match` on a differentiated value.
    Match,
    /// A macro call over differentiated values; the macro's name.
    Macro(String),
    /// `as` on a differentiated value.
    Cast,
    /// `S { .. }` of differentiated values.
    StructLiteral,
    /// `a..b` of differentiated values.
    Range,
    /// `a = b` used as a value.
    AssignAsValue,
    /// `a += b` used as a value.
    CompoundAsValue,
    /// Anything else over differentiated values.
    OtherExpression,
    /// A binary operator without a rule; the operator as written.
    Operator(String),
    /// A method without a rule; its name.
    UnknownMethod(String),
    /// An associated function of a geometry type without a rule
    /// (`UnitQuaternion::from_euler_angles(..)`), as the user spelled it.
    UnknownAssociated(String),
    /// `x.powi(n)` with a differentiated `n`.
    DifferentiatedPowiExponent,
    /// The start of a chain lowered as one rule without the rest
    /// (`m.try_inverse()` without `.unwrap()`).
    ChainCutShort(&'static primitives::Chain),
    /// A call through something other than a path (a closure value, `(f)(x)`).
    CallNotByPath,

    // ----- loops and `map` -----------------------------------------------------
    /// `for` over something other than a range.
    LoopNotOverRange,
    /// `it.sum()` or `it.product()` of differentiated entries without the type.
    SumWithoutType(String),
    /// `it.fold(init, f)` whose `f` is not a closure of two parameters.
    FoldWithoutClosure,
    /// `for i in a..`.
    LoopWithoutEnd,
    /// `map` with a closure of other than one parameter.
    MapArity,
    /// `map(|(a, b)| ..)`: a closure parameter that is not a name.
    MapPattern,
}

impl fmt::Display for Reject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Reject::*;
        match self {
            AttributeArguments => f.write_str("`#[differentiable]` takes no arguments but a custom rule, `vjp = PULLBACK`: write `#[differentiable]` (and mark parameters that are not differentiated with `#[constant]`), or `#[differentiable(vjp = my_pullback)]`"),
            NotAFunction => f.write_str("`#[differentiable]` applies to a function (`#[differentiable] fn f(x: f64) -> f64 { .. }`) or to an `impl` block of methods"),
            Method => f.write_str("a method is differentiated through its `impl` block: write `#[differentiable]` on the `impl` (it differentiates the methods marked `#[differentiable]` in it, or all of them if none is), and call `v.NAME_grad(..)`"),
            ImplArguments => f.write_str("`#[differentiable]` on an `impl` block takes no arguments: mark a method `#[differentiable(self)]` to differentiate its receiver, or `#[differentiable(vjp = PULLBACK)]` to give its rule"),
            TraitImpl => f.write_str("`#[differentiable]` cannot add methods to a trait implementation: put the method in an inherent `impl Type { .. }` block marked `#[differentiable]` and call it from the trait's method"),
            ImplOfUnnamedType => f.write_str("`#[differentiable]` on an `impl` block needs a named type (`impl Spring`, `impl<T> Body<T>`): its derivatives live in a module named after the type"),
            TypedReceiver => f.write_str("a differentiated method takes `&self` or `self`: write the receiver without a type"),
            MutSelf => f.write_str("a differentiated method cannot take `&mut self`: take `&self` and return the new value (or the update), or write the mutation outside the differentiated method"),
            DifferentiatedSelfWithoutReceiver => f.write_str("`#[differentiable(self)]` differentiates the receiver, and this function has none: write `#[differentiable]`"),
            ConstantArguments => f.write_str("`#[constant]` takes no arguments: write `#[constant] name: Type`"),
            ParameterPattern => f.write_str("bind this parameter to a name (`x: f64`): patterns in parameters cannot be differentiated"),
            AsyncFn => f.write_str("an `async fn` cannot be differentiable: remove `async` and differentiate the computation it awaits"),
            UnsafeFn => f.write_str("an `unsafe fn` cannot be differentiable: keep the unsafe part in a helper outside the differentiated code"),
            ExternFn => f.write_str("an `extern` function cannot be differentiable: differentiate a Rust function and call it from the extern one"),
            Variadic => f.write_str("a variadic function cannot be differentiable"),
            MissingReturn(name) => write!(f, "`{name}` must return the value to differentiate: add a return type such as `-> f64` or `-> SVector<f64, N>`"),
            UnboundedType(t) => write!(f, "bound `{t}` by the scalar traits: write `{t}: RealField + Copy`"),
            MutRefParameter => f.write_str("a `&mut` parameter cannot be differentiated: take it by value or by `&`, and return the new value"),
            ImplTraitParameter => f.write_str("an `impl Trait` parameter cannot be differentiated: name the type, or add a generic parameter `T: RealField + Copy`"),
            DynamicParameter(t) if t == "Vec" => f.write_str("a differentiated `Vec` parameter is not supported: take a slice `&[T]` (its gradient is a `Vec<T>`; pass `v.as_slice()`), a `DVector<T>` (its gradient is a `DVector<T>`), or mark the parameter `#[constant]`"),
            DynamicParameter(t) => write!(f, "a differentiated `{t}` parameter is not supported: take an owned `DVector<T>`/`DMatrix<T>` (by value or by `&`; pass `view.clone_owned()`), whose gradient has the same type, or mark the parameter `#[constant]`"),
            LetWithoutValue => f.write_str("give the binding its value where it is declared (`let x = ...;`): a differentiable body cannot assign it later"),
            LetElse => f.write_str("`let ... else` is not supported in a differentiable function: use `if`/`else`"),
            BindingPattern => f.write_str("this pattern cannot bind a differentiated value: use a name or a tuple of names"),
            EarlyReturn => f.write_str("`return` inside a closure cannot be differentiated: make the closure's body one expression (`if`/`else` for branches)"),
            AssignIntoPart => f.write_str("a differentiated value can be assigned into an entry or field of a local variable (`v[i] = x`, `s.f = x`), not through a reference or into a temporary: assign into the variable itself, or build the value with `SMatrix::new(..)`, `from_element` or `map`"),
            DifferentiatedIndex => f.write_str("an index must be a constant, not a differentiated value"),
            Loop => f.write_str("`loop` is differentiated in a function body, not inside a closure: move the loop out of the closure, or into a `#[differentiable]` function"),
            EndlessLoop => f.write_str("this `loop` has no `break` or `return`, so it never ends and has nothing to differentiate: leave it with `break` (or `break value`) when done"),
            LoopLabel => f.write_str("loop labels are not supported in a differentiable function: `break` and `continue` leave the innermost loop; for an outer one, set a `bool` and test it after the inner loop"),
            Closure => f.write_str("closures are differentiated only as the argument of `.map(|v| ..)`: move this computation into a `#[differentiable]` function and call it"),
            BreakContinue => f.write_str("`break` and `continue` inside a closure cannot be differentiated: move the loop into the function body"),
            IfLet => f.write_str("`if let` matches a value that is not differentiated: test a differentiated value with a `bool` condition (`if x > 0.0`)"),
            Try => f.write_str("`?` is not supported in a differentiable function: handle errors before calling it"),
            Async => f.write_str("`async`/`.await` cannot be differentiated: await the inputs before calling the differentiable function"),
            Unsafe => f.write_str("`unsafe` blocks cannot be differentiated: move the unsafe code out of the differentiable function"),
            Match => f.write_str("`match` chooses its arm by a value that is not differentiated: match on a constant (an enum, an integer), or compare the differentiated value in an `if`/`else`"),
            Macro(name) => write!(f, "the macro `{name}!` cannot be differentiated: write the expression it stands for (for a vector, `SVector::new(..)`)"),
            Cast => f.write_str("casts (`as`) are not differentiated: convert constants before the computation, or use `nalgebra::convert`"),
            StructLiteral => f.write_str("struct literals of differentiated values are not supported: return a tuple or a matrix"),
            Range => f.write_str("ranges of differentiated values are not supported"),
            AssignAsValue => f.write_str("an assignment cannot be used as a value here: make it a statement"),
            CompoundAsValue => f.write_str("a compound assignment cannot be used as a value here: make it a statement"),
            OtherExpression => f.write_str("this expression is not supported in a differentiable function"),
            Operator(op) => write!(f, "`{op}` has no derivative rule: differentiable functions use `+ - * /` and the supported methods"),
            UnknownMethod(name) => write!(f, "`{name}` has no derivative rule in a differentiable function; the supported methods are: {}. For another entry-wise function write `m.map(|v| ...)` with a supported body, or stop the gradient with `autograd::detach(..)`", primitives::supported()),
            UnknownAssociated(name) => write!(f, "`{name}` has no derivative rule in a differentiable function; the associated functions with one are: {}. Build a rotation from a scaled axis, an isometry with `Isometry3::new(t, w)` or `Isometry3::from_parts(..)`, or stop the gradient with `autograd::detach(..)`", primitives::supported_associated()),
            DifferentiatedPowiExponent => f.write_str("the exponent of `powi` is a constant integer: for a differentiated exponent write `x.powf(p)`"),
            ChainCutShort(chain) => write!(f, "`{}` of a differentiated matrix is differentiated only as the whole chain `{}`, one rule (a matrix it cannot invert or factor panics at run time, as the `unwrap` does): write `{}`", chain.calls[0].0, chain.spelled, chain.spelled),
            CallNotByPath => f.write_str("only functions named by a path can be called in a differentiable function"),
            LoopNotOverRange => f.write_str("a differentiable `for` loop runs over a range (`for i in 0..n`) or over the entries of an array, matrix, slice or `Vec` (`v.iter()`, `&v`, `v`, with `.copied()`, `.enumerate()`, `.zip(w.iter())`, `.rev()`, `.skip(n)`, `.take(n)`, `.step_by(k)`): iterate one of those, or loop over indices and write `v[i]`"),
            SumWithoutType(m) => write!(f, "write the type of the {m}: `.{m}::<f64>()` (or `let s: f64 = ...`); the differentiated loop it becomes starts from that type's {}", if m == "sum" { "zero" } else { "one" }),
            FoldWithoutClosure => f.write_str("`fold` is differentiated with a closure of two parameters: `fold(init, |acc, x| ..)`"),
            LoopWithoutEnd => f.write_str("give the loop range an end: `a..b` or `a..=b`"),

            MapArity => f.write_str("the closure of `map` takes one parameter, the entry: `m.map(|v| ...)`"),
            MapPattern => f.write_str("bind the entry to a name: `m.map(|v| ...)`"),
        }
    }
}
