//! One call per primitive in the forward sweep, returning the value and a
//! zero-sized token whose `pullback` the reverse sweep calls.
//!
//! Generated code calls these functions rather than the rule traits directly so
//! that one forward call names the rule (the call carries the user's span, so a
//! shape error lands on the user's expression) and the token remembers it for the
//! reverse sweep. With everything inlined, the token costs nothing.

use core::marker::PhantomData;

use crate::rules::{
    AddRule, ComponentDivRule, ComponentMulRule, DivRule, DotRule, ExpRule, IndexRule,
    MaxEntryRule, MaxRule, MeanRule, MinEntryRule, MinRule, MulRule, NegRule, NormRule,
    NormSquaredRule, PowfRule, PowiRule, SubRule, SumRule, TransposeRule, Unary,
};

/// The pullback of a rule applied in the forward sweep. `R` names the rule;
/// `A` and `B` are the operand types.
pub struct Token<R, A, B = ()>(PhantomData<fn(R, A, B)>);

impl<R, A, B> Clone for Token<R, A, B> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R, A, B> Copy for Token<R, A, B> {}

macro_rules! binary {
    ($(#[$doc:meta])* $f:ident, $Trait:ident, $Tag:ident, $Out:ident, $kind:ident) => {
        $(#[$doc])*
        pub struct $Tag;

        /// The value of the rule and the token of its pullback.
        #[inline(always)]
        pub fn $f<A: $Trait<B>, B>(a: &A, b: &B) -> (binary!(@out A, B, $Trait, $Out), Token<$Tag, A, B>) {
            (a.value(b), Token(PhantomData))
        }

        impl<A, B> Token<$Tag, A, B> {
            /// The rule's pullback.
            #[inline(always)]
            pub fn pullback(
                self,
                a: &A,
                b: &B,
                out: &binary!(@out A, B, $Trait, $Out),
                g: &binary!(@out A, B, $Trait, $Out),
            ) -> (A, B)
            where
                A: $Trait<B>,
            {
                a.pullback(b, out, g)
            }

            /// The rule's tangent (forward mode).
            #[inline(always)]
            pub fn tangent(
                self,
                a: &A,
                b: &B,
                out: &binary!(@out A, B, $Trait, $Out),
                da: &A,
                db: &B,
            ) -> binary!(@out A, B, $Trait, $Out)
            where
                A: $Trait<B>,
            {
                a.tangent(b, out, da, db)
            }
        }

        binary!(@second $kind, $Tag, $Trait, $Out);
    };
    (@second linear, $Tag:ident, $Trait:ident, $Out:ident) => {};
    (@second $kind:ident, $Tag:ident, $Trait:ident, $Out:ident) => {
        impl<A, B> Token<$Tag, A, B> {
            /// The derivative of the pullback along the operands' tangents `da`,
            /// `db` for a fixed `g`: the second-order term of forward-over-reverse.
            #[inline(always)]
            pub fn second(
                self,
                a: &A,
                b: &B,
                out: &binary!(@out A, B, $Trait, $Out),
                da: &A,
                db: &B,
                g: &binary!(@out A, B, $Trait, $Out),
            ) -> (A, B)
            where
                A: $Trait<B>,
            {
                binary!(@second_body $kind, a, b, out, da, db, g)
            }
        }
    };
    // A bilinear rule's pullback is linear in the operands: its derivative is the
    // pullback at the tangents.
    (@second_body bilinear, $a:ident, $b:ident, $out:ident, $da:ident, $db:ident, $g:ident) => {{
        let _ = ($a, $b);
        $da.pullback($db, $out, $g)
    }};
    (@second_body rule, $a:ident, $b:ident, $out:ident, $da:ident, $db:ident, $g:ident) => {
        $a.second($b, $out, $da, $db, $g)
    };
    (@out $A:ident, $B:ident, $Trait:ident, Output) => { <$A as $Trait<$B>>::Output };
    (@out $A:ident, $B:ident, $Trait:ident, Same) => { $A };
}

macro_rules! unary {
    ($(#[$doc:meta])* $f:ident, $Trait:ident, $Tag:ident, $Out:ident, $kind:ident) => {
        $(#[$doc])*
        pub struct $Tag;

        /// The value of the rule and the token of its pullback.
        #[inline(always)]
        pub fn $f<A: $Trait>(a: &A) -> (unary!(@out A, $Trait, $Out), Token<$Tag, A>) {
            (a.value(), Token(PhantomData))
        }

        impl<A> Token<$Tag, A> {
            /// The rule's pullback.
            #[inline(always)]
            pub fn pullback(self, a: &A, out: &unary!(@out A, $Trait, $Out), g: &unary!(@out A, $Trait, $Out)) -> A
            where
                A: $Trait,
            {
                a.pullback(out, g)
            }

            /// The rule's tangent (forward mode).
            #[inline(always)]
            pub fn tangent(self, a: &A, out: &unary!(@out A, $Trait, $Out), da: &A) -> unary!(@out A, $Trait, $Out)
            where
                A: $Trait,
            {
                a.tangent(out, da)
            }
        }

        unary!(@second $kind, $Tag, $Trait, $Out);
    };
    (@second linear, $Tag:ident, $Trait:ident, $Out:ident) => {};
    (@second $kind:ident, $Tag:ident, $Trait:ident, $Out:ident) => {
        impl<A> Token<$Tag, A> {
            /// The derivative of the pullback along the operand's tangent `da` for
            /// a fixed `g`: the second-order term of forward-over-reverse.
            #[inline(always)]
            pub fn second(
                self,
                a: &A,
                out: &unary!(@out A, $Trait, $Out),
                da: &A,
                g: &unary!(@out A, $Trait, $Out),
            ) -> A
            where
                A: $Trait,
            {
                unary!(@second_body $kind, a, out, da, g)
            }
        }
    };
    (@second_body bilinear, $a:ident, $out:ident, $da:ident, $g:ident) => {{
        let _ = $a;
        $da.pullback($out, $g)
    }};
    (@second_body rule, $a:ident, $out:ident, $da:ident, $g:ident) => {
        $a.second($out, $da, $g)
    };
    (@out $A:ident, $Trait:ident, Output) => { <$A as $Trait>::Output };
    (@out $A:ident, $Trait:ident, Same) => { $A };
}

binary!(/** Tag of `a + b`. */ add, AddRule, AddTag, Output, linear);
binary!(/** Tag of `a - b`. */ sub, SubRule, SubTag, Output, linear);
binary!(/** Tag of `a * b`. */ mul, MulRule, MulTag, Output, bilinear);
binary!(/** Tag of `a / b`. */ div, DivRule, DivTag, Output, rule);
binary!(/** Tag of `a.dot(&b)`. */ dot, DotRule, DotTag, Output, bilinear);
binary!(/** Tag of `a.powf(b)`. */ powf, PowfRule, PowfTag, Same, rule);
binary!(/** Tag of `a.max(b)`. */ max, MaxRule, MaxTag, Same, linear);
binary!(/** Tag of `a.min(b)`. */ min, MinRule, MinTag, Same, linear);
binary!(/** Tag of `a.component_mul(&b)`. */ component_mul, ComponentMulRule, ComponentMulTag, Same, bilinear);
binary!(/** Tag of `a.component_div(&b)`. */ component_div, ComponentDivRule, ComponentDivTag, Same, rule);
unary!(/** Tag of `-a`. */ neg, NegRule, NegTag, Same, linear);
unary!(/** Tag of `a.exp()`. */ exp, ExpRule, ExpTag, Same, rule);
unary!(/** Tag of `a.transpose()`. */ transpose, TransposeRule, TransposeTag, Output, linear);
unary!(/** Tag of `a.sum()`. */ sum, SumRule, SumTag, Output, linear);
unary!(/** Tag of `a.mean()`. */ mean, MeanRule, MeanTag, Output, linear);
unary!(/** Tag of `a.norm()`. */ norm, NormRule, NormTag, Output, rule);
unary!(/** Tag of `a.norm_squared()`. */ norm_squared, NormSquaredRule, NormSquaredTag, Output, bilinear);
unary!(/** Tag of `a.max()` (largest entry). */ max_entry, MaxEntryRule, MaxEntryTag, Output, linear);
unary!(/** Tag of `a.min()` (smallest entry). */ min_entry, MinEntryRule, MinEntryTag, Output, linear);

/// Tag of a scalar function `F`, applied to a scalar or entry-wise.
pub struct UnaryTag<F>(PhantomData<F>);

/// `F` applied to `a` and the token of its pullback.
#[inline(always)]
pub fn unary<F, A: Unary<F>>(a: &A) -> (A, Token<UnaryTag<F>, A>) {
    (a.value(), Token(PhantomData))
}

impl<F, A> Token<UnaryTag<F>, A> {
    /// The rule's pullback.
    #[inline(always)]
    pub fn pullback(self, a: &A, out: &A, g: &A) -> A
    where
        A: Unary<F>,
    {
        a.pullback(out, g)
    }

    /// The rule's tangent (forward mode).
    #[inline(always)]
    pub fn tangent(self, a: &A, out: &A, da: &A) -> A
    where
        A: Unary<F>,
    {
        a.tangent(out, da)
    }

    /// `g * f''(a) * da`: the second-order term of forward-over-reverse.
    #[inline(always)]
    pub fn second(self, a: &A, out: &A, da: &A, g: &A) -> A
    where
        A: Unary<F>,
    {
        a.second(out, da, g)
    }
}

/// Tag of `a.powi(n)`.
pub struct PowiTag;

/// `a.powi(n)` and the token of its pullback.
#[inline(always)]
pub fn powi<A: PowiRule>(a: &A, n: i32) -> (A, Token<PowiTag, A>) {
    (a.value(n), Token(PhantomData))
}

impl<A> Token<PowiTag, A> {
    /// The rule's pullback.
    #[inline(always)]
    pub fn pullback(self, a: &A, n: i32, out: &A, g: &A) -> A
    where
        A: PowiRule,
    {
        a.pullback(n, out, g)
    }

    /// The rule's tangent (forward mode).
    #[inline(always)]
    pub fn tangent(self, a: &A, n: i32, out: &A, da: &A) -> A
    where
        A: PowiRule,
    {
        a.tangent(n, out, da)
    }

    /// `g n (n-1) a^(n-2) da`: the second-order term of forward-over-reverse.
    #[inline(always)]
    pub fn second(self, a: &A, n: i32, out: &A, da: &A, g: &A) -> A
    where
        A: PowiRule,
    {
        a.second(n, out, da, g)
    }
}

/// Tag of `a[index]`.
pub struct IndexTag;

/// `a[index]` and the token of its pullback.
#[inline(always)]
pub fn index<A: IndexRule<I>, I>(a: &A, index: I) -> (A::Output, Token<IndexTag, A, I>) {
    (a.value(index), Token(PhantomData))
}

impl<A, I> Token<IndexTag, A, I> {
    /// The rule's pullback.
    #[inline(always)]
    pub fn pullback(self, a: &A, index: I, out: &A::Output, g: &A::Output) -> A
    where
        A: IndexRule<I>,
    {
        a.pullback(index, out, g)
    }

    /// The rule's tangent (forward mode).
    #[inline(always)]
    pub fn tangent(self, a: &A, index: I, out: &A::Output, da: &A) -> A::Output
    where
        A: IndexRule<I>,
    {
        a.tangent(index, out, da)
    }
}
