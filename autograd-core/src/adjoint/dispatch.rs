//! One call per primitive in the forward sweep, returning the value and a
//! zero-sized token whose `pullback` the reverse sweep calls.
//!
//! Generated code calls these rather than the rule traits directly so that one
//! forward call names the rule (the call carries the user's span, so a shape
//! error lands on the user's expression) and the token remembers it for the
//! reverse sweep. With everything inlined, the token costs nothing.
//!
//! Each forward call is emitted twice: `Tag::fits(..)` in dead code, whose
//! failure carries the rule trait's message, and the call proper as a method of
//! the operands (`(&a, &b).mul()`, through the rule's `XxxForward` trait). When
//! the operands do not fit, that method does not resolve, so its result has
//! rustc's error type and the reverse, tangent and second-order code that uses
//! it reports nothing more: one mistake gives two errors from us, not one per
//! generated sweep. The function forms (`mul(&a, &b)`, ...) do the same for code
//! written by hand.

use core::marker::PhantomData;

use super::tangent::NoGrad;

use crate::rules::{
    AddRule, AddScalarRule, Binary, CholeskySolveRule, ComponentDivRule, ComponentMulRule,
    CrossRule, DeterminantRule, DivRule, DotRule, ExpRule, IndexRule, InverseRule,
    InverseTransformPointRule, InverseTransformVectorRule, IsometryFromPartsRule, IsometryNewRule,
    LuSolveRule, MaxEntryRule, MaxRule, MeanRule, MinEntryRule, MinRule, MulRule, NegRule,
    NormRule, NormSquaredRule, NormalizeRule, PointFromVectorRule, PowfRule, PowiRule,
    QuaternionFromAxisAngleRule, QuaternionFromScaledAxisRule, RotationFromScaledAxisRule,
    RotationInverseRule, RotationMatrixRule, SubRule, SumRule, ToRotationMatrixRule, TraceRule,
    TransformPointRule, TransformVectorRule, TranslationFromVectorRule, TransposeRule, Unary,
    ViewRule,
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
    ($(#[$doc:meta])* $f:ident, $Trait:ident, $Tag:ident, $Fwd:ident, $Out:ident, $kind:ident) => {
        $(#[$doc])*
        pub struct $Tag;

        impl $Tag {
            /// Type-checks the operands against the rule and does nothing else:
            /// generated code calls it in dead code so that operands that do not
            /// fit get the rule trait's message (its `on_unimplemented`), on the
            /// user's expression. It takes the pair, whose type is known, so
            /// that rustc does not infer `b`'s type from the only impl of the
            /// rule for `a` (which would report "mismatched types" instead).
            /// One-operand rules take the operand itself, so that rustc names
            /// the rule rather than a bound of its blanket impl.
            #[inline(always)]
            pub fn fits<P: $Fwd>(_: P) {}
        }

        #[doc = concat!("The forward call of `", stringify!($f), "` as a method of the pair `(&a, &b)`.")]
        ///
        /// Generated code calls the rule this way so that operands that do not
        /// fit it (a shape error) make the call's type an error: rustc then
        /// reports the expression once, not again at every use of its value and
        /// token in the reverse and tangent sweeps.
        pub trait $Fwd {
            /// The value's type.
            type Value;
            /// The pullback's token.
            type Token;
            /// The value of the rule and the token of its pullback.
            fn $f(self) -> (Self::Value, Self::Token);
        }

        impl<A: $Trait<B>, B> $Fwd for (&A, &B) {
            type Value = binary!(@out A, B, $Trait, $Out);
            type Token = Token<$Tag, A, B>;
            #[inline(always)]
            fn $f(self) -> (Self::Value, Self::Token) {
                (self.0.value(self.1), Token(PhantomData))
            }
        }

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
    (@second linear, $Tag:ident, $Trait:ident, $Out:ident) => {
        impl<A, B> Token<$Tag, A, B> {
            /// A linear rule's pullback does not depend on the operands: no
            /// second-order term ([`NoGrad`] adds nothing).
            #[inline(always)]
            pub fn second(
                self,
                _: &A,
                _: &B,
                _: &binary!(@out A, B, $Trait, $Out),
                _: &A,
                _: &B,
                _: &binary!(@out A, B, $Trait, $Out),
            ) -> NoGrad
            where
                A: $Trait<B>,
            {
                NoGrad
            }
        }
    };
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
    ($(#[$doc:meta])* $f:ident, $Trait:ident, $Tag:ident, $Fwd:ident, $Out:ident, $kind:ident) => {
        $(#[$doc])*
        pub struct $Tag;

        impl $Tag {
            /// Type-checks the operand against the rule (see [`AddTag::fits`]).
            #[inline(always)]
            pub fn fits<A: $Trait>(_: &A) {}
        }

        #[doc = concat!("The forward call of `", stringify!($f), "` as a method of `(&a,)` (see [`AddForward`]).")]
        pub trait $Fwd {
            /// The value's type.
            type Value;
            /// The pullback's token.
            type Token;
            /// The value of the rule and the token of its pullback.
            fn $f(self) -> (Self::Value, Self::Token);
        }

        impl<A: $Trait> $Fwd for (&A,) {
            type Value = unary!(@out A, $Trait, $Out);
            type Token = Token<$Tag, A>;
            #[inline(always)]
            fn $f(self) -> (Self::Value, Self::Token) {
                (self.0.value(), Token(PhantomData))
            }
        }

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
    (@second linear, $Tag:ident, $Trait:ident, $Out:ident) => {
        impl<A> Token<$Tag, A> {
            /// A linear rule's pullback does not depend on the operand: no
            /// second-order term ([`NoGrad`] adds nothing).
            #[inline(always)]
            pub fn second(
                self,
                _: &A,
                _: &unary!(@out A, $Trait, $Out),
                _: &A,
                _: &unary!(@out A, $Trait, $Out),
            ) -> NoGrad
            where
                A: $Trait,
            {
                NoGrad
            }
        }
    };
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

binary!(/** Tag of `a + b`. */ add, AddRule, AddTag, AddForward, Output, linear);
binary!(/** Tag of `a - b`. */ sub, SubRule, SubTag, SubForward, Output, linear);
binary!(/** Tag of `a * b`. */ mul, MulRule, MulTag, MulForward, Output, rule);

/// Tag of `a / b`.
pub struct DivTag;

impl DivTag {
    /// Type-checks the operands against the rule (see [`AddTag::fits`]).
    #[inline(always)]
    pub fn fits<P: DivForward>(_: P) {}
}

/// The forward call of `div` as a method of the pair `(&a, &b)` (see
/// [`AddForward`]).
pub trait DivForward {
    /// The value's type.
    type Value;
    /// The pullback's token.
    type Token;
    /// The value of the rule and the token of its pullback.
    fn div(self) -> (Self::Value, Self::Token);
}

impl<A: DivRule<B>, B> DivForward for (&A, &B) {
    type Value = <A as DivRule<B>>::Output;
    type Token = DivToken<B>;
    #[inline(always)]
    fn div(self) -> (Self::Value, Self::Token) {
        div(self.0, self.1)
    }
}

/// The value of `a / b` and the token of its pullback.
#[inline(always)]
pub fn div<A: DivRule<B>, B>(a: &A, b: &B) -> (<A as DivRule<B>>::Output, DivToken<B>) {
    let recip = A::recip(b);
    (a.value(b), DivToken { recip })
}

/// The pullback of `a / b`: `1 / b`, computed in the forward sweep. A division
/// is a long-latency instruction; the pullback recomputed it in every reverse
/// sweep (each row of a Jacobian: two divisions a row for each `/` of
/// bundle adjustment's reprojection), where it now multiplies.
#[derive(Clone, Copy)]
pub struct DivToken<B> {
    recip: B,
}

impl<B> DivToken<B> {
    /// The rule's pullback.
    #[inline(always)]
    pub fn pullback<A: DivRule<B>>(self, a: &A, _b: &B, out: &A::Output, g: &A::Output) -> (A, B) {
        a.pullback_recip(&self.recip, out, g)
    }

    /// The rule's tangent (forward mode).
    #[inline(always)]
    pub fn tangent<A: DivRule<B>>(
        self,
        a: &A,
        _b: &B,
        out: &A::Output,
        da: &A,
        db: &B,
    ) -> A::Output {
        a.tangent_recip(&self.recip, out, da, db)
    }

    /// The derivative of the pullback along the operands' tangents `da`, `db`
    /// for a fixed `g`: the second-order term of forward-over-reverse.
    #[inline(always)]
    pub fn second<A: DivRule<B>>(
        self,
        a: &A,
        b: &B,
        out: &A::Output,
        da: &A,
        db: &B,
        g: &A::Output,
    ) -> (A, B) {
        a.second(b, out, da, db, g)
    }
}

binary!(/** Tag of `a.dot(&b)`. */ dot, DotRule, DotTag, DotForward, Output, bilinear);
binary!(/** Tag of `a.powf(b)`. */ powf, PowfRule, PowfTag, PowfForward, Same, rule);
binary!(/** Tag of `a.max(b)`. */ max, MaxRule, MaxTag, MaxForward, Same, linear);
binary!(/** Tag of `a.min(b)`. */ min, MinRule, MinTag, MinForward, Same, linear);
binary!(/** Tag of `a.component_mul(&b)`. */ component_mul, ComponentMulRule, ComponentMulTag, ComponentMulForward, Same, bilinear);
binary!(/** Tag of `a.component_div(&b)`. */ component_div, ComponentDivRule, ComponentDivTag, ComponentDivForward, Same, rule);
unary!(/** Tag of `-a`. */ neg, NegRule, NegTag, NegForward, Same, linear);
unary!(/** Tag of `a.exp()`. */ exp, ExpRule, ExpTag, ExpForward, Same, rule);
unary!(/** Tag of `a.transpose()`. */ transpose, TransposeRule, TransposeTag, TransposeForward, Output, linear);
unary!(/** Tag of `a.sum()`. */ sum, SumRule, SumTag, SumForward, Output, linear);
unary!(/** Tag of `a.mean()`. */ mean, MeanRule, MeanTag, MeanForward, Output, linear);
unary!(/** Tag of `a.norm()`. */ norm, NormRule, NormTag, NormForward, Output, rule);
unary!(/** Tag of `a.norm_squared()`. */ norm_squared, NormSquaredRule, NormSquaredTag, NormSquaredForward, Output, bilinear);
unary!(/** Tag of `a.max()` (largest entry). */ max_entry, MaxEntryRule, MaxEntryTag, MaxEntryForward, Output, linear);
unary!(/** Tag of `a.min()` (smallest entry). */ min_entry, MinEntryRule, MinEntryTag, MinEntryForward, Output, linear);
binary!(/** Tag of `a.cross(&b)`. */ cross, CrossRule, CrossTag, CrossForward, Same, bilinear);
binary!(/** Tag of `m.add_scalar(s)`. */ add_scalar, AddScalarRule, AddScalarTag, AddScalarForward, Same, linear);
binary!(/** Tag of `a.lu().solve(&b).unwrap()`. */ lu_solve, LuSolveRule, LuSolveTag, LuSolveForward, Output, rule);
binary!(/** Tag of `a.cholesky().unwrap().solve(&b)`. */ cholesky_solve, CholeskySolveRule, CholeskySolveTag, CholeskySolveForward, Output, rule);
unary!(/** Tag of `a.normalize()`. */ normalize, NormalizeRule, NormalizeTag, NormalizeForward, Same, rule);
unary!(/** Tag of `m.trace()`. */ trace, TraceRule, TraceTag, TraceForward, Output, linear);
unary!(/** Tag of `m.determinant()`. */ determinant, DeterminantRule, DeterminantTag, DeterminantForward, Output, rule);
unary!(/** Tag of `m.try_inverse().unwrap()`. */ inverse, InverseRule, InverseTag, InverseForward, Same, rule);
unary!(/** Tag of `UnitQuaternion::from_scaled_axis(w)`. */ quaternion_from_scaled_axis, QuaternionFromScaledAxisRule, QuaternionFromScaledAxisTag, QuaternionFromScaledAxisForward, Output, rule);
unary!(/** Tag of `Rotation3::from_scaled_axis(w)`. */ rotation_from_scaled_axis, RotationFromScaledAxisRule, RotationFromScaledAxisTag, RotationFromScaledAxisForward, Output, rule);
binary!(/** Tag of `UnitQuaternion::from_axis_angle(&axis, angle)`. */ quaternion_from_axis_angle, QuaternionFromAxisAngleRule, QuaternionFromAxisAngleTag, QuaternionFromAxisAngleForward, Output, rule);
unary!(/** Tag of `q.to_rotation_matrix()`. */ to_rotation_matrix, ToRotationMatrixRule, ToRotationMatrixTag, ToRotationMatrixForward, Output, bilinear);
unary!(/** Tag of `r.matrix()` of a `Rotation3`. */ rotation_matrix, RotationMatrixRule, RotationMatrixTag, RotationMatrixForward, Output, linear);
unary!(/** Tag of `q.inverse()` of a rotation or an isometry. */ rotation_inverse, RotationInverseRule, RotationInverseTag, RotationInverseForward, Same, rule);
unary!(/** Tag of `Point3::from(v)`. */ point_from_vector, PointFromVectorRule, PointFromVectorTag, PointFromVectorForward, Output, linear);
unary!(/** Tag of `Translation3::from(v)`. */ translation_from_vector, TranslationFromVectorRule, TranslationFromVectorTag, TranslationFromVectorForward, Output, linear);
binary!(/** Tag of `Isometry3::from_parts(translation, rotation)`. */ isometry_from_parts, IsometryFromPartsRule, IsometryFromPartsTag, IsometryFromPartsForward, Output, linear);
binary!(/** Tag of `Isometry3::new(translation, scaled_axis)`. */ isometry_new, IsometryNewRule, IsometryNewTag, IsometryNewForward, Output, rule);
binary!(/** Tag of `x.transform_point(&p)`. */ transform_point, TransformPointRule, TransformPointTag, TransformPointForward, Output, rule);
binary!(/** Tag of `x.transform_vector(&v)`. */ transform_vector, TransformVectorRule, TransformVectorTag, TransformVectorForward, Output, rule);
binary!(/** Tag of `x.inverse_transform_point(&p)`. */ inverse_transform_point, InverseTransformPointRule, InverseTransformPointTag, InverseTransformPointForward, Output, rule);
binary!(/** Tag of `x.inverse_transform_vector(&v)`. */ inverse_transform_vector, InverseTransformVectorRule, InverseTransformVectorTag, InverseTransformVectorForward, Output, rule);

/// Tag of a scalar function `F`, applied to a scalar or entry-wise.
pub struct UnaryTag<F>(PhantomData<F>);

impl<F> UnaryTag<F> {
    /// The tag as a value, for [`UnaryForward`]'s receiver.
    pub const TAG: Self = UnaryTag(PhantomData);

    /// Type-checks the operand against `F` (see [`AddTag::fits`]).
    #[inline(always)]
    pub fn fits<A: Unary<F>>(_: &A) {}
}

/// The pullback of a scalar function `F` applied to an `A`: the derivative at the
/// operand, entry by entry, computed in the forward sweep beside the value. Every
/// reverse sweep, tangent and row of a Jacobian then multiplies by it, where a
/// pullback that recomputed it would evaluate `cos` (for `sin`) once per sweep,
/// often on a path where LLVM cannot reuse the forward's value (the reverse side
/// of a branch); beside the value, `sin` and `cos` of one angle become one
/// `sincos`.
pub struct UnaryToken<F, A> {
    d: A,
    f: PhantomData<fn(F)>,
}

impl<F, A: Clone> Clone for UnaryToken<F, A> {
    fn clone(&self) -> Self {
        UnaryToken {
            d: self.d.clone(),
            f: PhantomData,
        }
    }
}
impl<F, A: Copy> Copy for UnaryToken<F, A> {}

/// `F` applied to `a` and the token of its pullback.
#[inline(always)]
pub fn unary<F, A: Unary<F>>(a: &A) -> (A, UnaryToken<F, A>) {
    let out = a.value();
    let d = a.derivative(&out);
    (out, UnaryToken { d, f: PhantomData })
}

/// The forward call of a scalar function `F` as a method of `(&a, UnaryTag::<F>::TAG)`
/// (see [`AddForward`]).
pub trait UnaryForward {
    /// The value's type.
    type Value;
    /// The pullback's token.
    type Token;
    /// The value and the token of its pullback.
    fn unary(self) -> (Self::Value, Self::Token);
}

impl<F, A: Unary<F>> UnaryForward for (&A, UnaryTag<F>) {
    type Value = A;
    type Token = UnaryToken<F, A>;
    #[inline(always)]
    fn unary(self) -> (A, Self::Token) {
        unary(self.0)
    }
}

impl<F, A> UnaryToken<F, A> {
    /// The rule's pullback: `g` times the derivative.
    #[inline(always)]
    pub fn pullback(&self, _a: &A, _out: &A, g: &A) -> A
    where
        A: Unary<F>,
    {
        A::times(&self.d, g)
    }

    /// The rule's tangent (forward mode): `da` times the derivative.
    #[inline(always)]
    pub fn tangent(&self, _a: &A, _out: &A, da: &A) -> A
    where
        A: Unary<F>,
    {
        A::times(&self.d, da)
    }

    /// `g * f''(a) * da`: the second-order term of forward-over-reverse.
    #[inline(always)]
    pub fn second(&self, a: &A, out: &A, da: &A, g: &A) -> A
    where
        A: Unary<F>,
    {
        a.second(out, da, g)
    }
}

/// Tag of a scalar function of two operands `F` ([`ScalarFn2`](crate::rules::ScalarFn2)).
pub struct BinaryTag<F>(PhantomData<F>);

impl<F> BinaryTag<F> {
    /// The tag as a value, for [`BinaryForward`]'s receiver.
    pub const TAG: Self = BinaryTag(PhantomData);

    /// Type-checks the operands against `F` (see [`AddTag::fits`]).
    #[inline(always)]
    pub fn fits<A: Binary<F>>(_: (&A, &A)) {}
}

/// The forward call of a scalar function of two operands `F` as a method of
/// `(&a, &b, BinaryTag::<F>::TAG)` (see [`AddForward`]).
pub trait BinaryForward {
    /// The value's type.
    type Value;
    /// The pullback's token.
    type Token;
    /// The value and the token of its pullback.
    fn binary(self) -> (Self::Value, Self::Token);
}

impl<F, A: Binary<F>> BinaryForward for (&A, &A, BinaryTag<F>) {
    type Value = A;
    type Token = Token<BinaryTag<F>, A, A>;
    #[inline(always)]
    fn binary(self) -> (A, Self::Token) {
        (self.0.value(self.1), Token(PhantomData))
    }
}

impl<F, A> Token<BinaryTag<F>, A, A> {
    /// The rule's pullback.
    #[inline(always)]
    pub fn pullback(self, a: &A, b: &A, out: &A, g: &A) -> (A, A)
    where
        A: Binary<F>,
    {
        a.pullback(b, out, g)
    }

    /// The rule's tangent (forward mode).
    #[inline(always)]
    pub fn tangent(self, a: &A, b: &A, out: &A, da: &A, db: &A) -> A
    where
        A: Binary<F>,
    {
        a.tangent(b, out, da, db)
    }

    /// The second-order term of forward-over-reverse.
    #[inline(always)]
    pub fn second(self, a: &A, b: &A, out: &A, da: &A, db: &A, g: &A) -> (A, A)
    where
        A: Binary<F>,
    {
        a.second(b, out, da, db, g)
    }
}

/// Tag of `a.powi(n)`.
pub struct PowiTag;

/// `a.powi(n)` and the token of its pullback.
#[inline(always)]
pub fn powi<A: PowiRule>(a: &A, n: i32) -> (A, Token<PowiTag, A>) {
    (a.value(n), Token(PhantomData))
}

impl PowiTag {
    /// Type-checks the operand against the rule (see [`AddTag::fits`]).
    #[inline(always)]
    pub fn fits<A: PowiRule>(_: &A, _: i32) {}
}

/// The forward call of `powi` as a method of `(&a, n)` (see [`AddForward`]).
pub trait PowiForward {
    /// The value's type.
    type Value;
    /// The pullback's token.
    type Token;
    /// The value and the token of its pullback.
    fn powi(self) -> (Self::Value, Self::Token);
}

impl<A: PowiRule> PowiForward for (&A, i32) {
    type Value = A;
    type Token = Token<PowiTag, A>;
    #[inline(always)]
    fn powi(self) -> (A, Self::Token) {
        (self.0.value(self.1), Token(PhantomData))
    }
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

impl IndexTag {
    /// Type-checks the operand and index against the rule (see [`AddTag::fits`]).
    #[inline(always)]
    pub fn fits<A: IndexRule<I>, I>(_: &A, _: I) {}
}

/// The forward call of `a[index]` as a method of `(&a, index)` (see [`AddForward`]).
pub trait IndexForward {
    /// The value's type.
    type Value;
    /// The pullback's token.
    type Token;
    /// The value and the token of its pullback.
    fn index(self) -> (Self::Value, Self::Token);
}

impl<A: IndexRule<I>, I> IndexForward for (&A, I) {
    type Value = A::Output;
    type Token = Token<IndexTag, A, I>;
    #[inline(always)]
    fn index(self) -> (A::Output, Self::Token) {
        (self.0.value(self.1), Token(PhantomData))
    }
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

    /// Indexing is linear: no second-order term ([`NoGrad`] adds nothing).
    #[inline(always)]
    pub fn second(self, _: &A, _: I, _: &A::Output, _: &A, _: &A::Output) -> NoGrad
    where
        A: IndexRule<I>,
    {
        NoGrad
    }
}

/// Tag of a view with constant positions (`m.row(i)`, `m.fixed_view::<P, Q>(i, j)`, ..),
/// selected by `S` (see [`ViewRule`]).
pub struct ViewTag;

/// The view of `a` selected by `s` and the token of its pullback.
#[inline(always)]
pub fn view<A: ViewRule<S>, S>(a: &A, s: S) -> (A::Output, Token<ViewTag, A, S>) {
    (a.value(s), Token(PhantomData))
}

impl ViewTag {
    /// Type-checks the operand and selector against the rule (see [`AddTag::fits`]).
    #[inline(always)]
    pub fn fits<A: ViewRule<S>, S>(_: &A, _: S) {}
}

/// The forward call of a view as a method of `(&a, selector)` (see [`AddForward`]).
pub trait ViewForward {
    /// The value's type.
    type Value;
    /// The pullback's token.
    type Token;
    /// The value and the token of its pullback.
    fn view(self) -> (Self::Value, Self::Token);
}

impl<A: ViewRule<S>, S> ViewForward for (&A, S) {
    type Value = A::Output;
    type Token = Token<ViewTag, A, S>;
    #[inline(always)]
    fn view(self) -> (A::Output, Self::Token) {
        (self.0.value(self.1), Token(PhantomData))
    }
}

impl<A, S> Token<ViewTag, A, S> {
    /// The rule's pullback.
    #[inline(always)]
    pub fn pullback(self, a: &A, s: S, out: &A::Output, g: &A::Output) -> A
    where
        A: ViewRule<S>,
    {
        a.pullback(s, out, g)
    }

    /// The rule's tangent (forward mode).
    #[inline(always)]
    pub fn tangent(self, a: &A, s: S, out: &A::Output, da: &A) -> A::Output
    where
        A: ViewRule<S>,
    {
        a.tangent(s, out, da)
    }

    /// A view is linear: no second-order term ([`NoGrad`] adds nothing).
    #[inline(always)]
    pub fn second(self, _: &A, _: S, _: &A::Output, _: &A, _: &A::Output) -> NoGrad
    where
        A: ViewRule<S>,
    {
        NoGrad
    }
}
