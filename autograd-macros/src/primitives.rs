//! The table of primitives: every method `#[differentiable]` has a rule for, with
//! the rule generated code calls, its operands and where it applies. The lowering's
//! dispatch, the "supported methods" message and the README's lists are all read
//! from [`METHODS`]; a unit test checks the table against `autograd-core`'s rules
//! and the README, so adding a primitive is one `rules/` file plus one row here.
//!
//! The calculus is not here: whether a rule is linear (so that forward-over-reverse
//! adds no second-order term for it) is stated once, beside its pullback, by the
//! rule's dispatch entry in `autograd-core/src/adjoint/dispatch.rs`.

/// How generated code calls a method's rule.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Form {
    /// A scalar function of `autograd::rules` (its type, `"Tanh"`), applied entry by
    /// entry on matrices through the `unary` rule.
    Scalar(&'static str),
    /// A rule of `dispatch.rs` of the receiver alone (its function, `"sum"`).
    Unary(&'static str),
    /// A rule of the receiver and a constant argument (`powi`'s exponent).
    WithConstant(&'static str),
    /// A rule of the receiver and one differentiated argument (`"dot"`).
    Binary(&'static str),
    /// `map(|v| body)`: the closure's body is lowered as a scalar region.
    Map,
    /// `clone()`: the value itself.
    Clone,
    /// A scalar function of two operands of `autograd::rules` (its type,
    /// `"Atan2"`): `a.atan2(b)`.
    Scalar2(&'static str),
    /// `a.mul_add(b, c)`, lowered as `a * b + c` (the value may differ from the
    /// fused one in the last bit).
    MulAdd,
    /// `x.clamp(lo, hi)`, lowered as `x.max(lo).min(hi)` (the same value; the
    /// gradient goes to whichever operand is returned).
    Clamp,
    /// The first call of a chain lowered as one rule (`m.try_inverse().unwrap()`);
    /// the chain alone is differentiated, a part of it is refused.
    Chain(&'static Chain),
    /// A view with constant positions taken as an owned matrix, through the
    /// [`VIEW`] rule: its selector type of `autograd::rules` (`"FixedRows"`, which
    /// takes the call's turbofish) and the number of positions it takes.
    View(&'static str, usize),
}

/// A chain of method calls lowered as one rule of `dispatch.rs`.
#[derive(PartialEq, Eq, Debug)]
pub struct Chain {
    /// The calls, innermost first, each with its number of arguments.
    pub calls: &'static [(&'static str, usize)],
    /// The rule (`"inverse"`): unary if the chain takes no argument, binary with
    /// its one argument otherwise.
    pub rule: &'static str,
    /// How users write it, for the message on a chain cut short.
    pub spelled: &'static str,
}

/// `m.try_inverse().unwrap()`.
pub const INVERSE: Chain = Chain {
    calls: &[("try_inverse", 0), ("unwrap", 0)],
    rule: "inverse",
    spelled: "m.try_inverse().unwrap()",
};

/// `a.lu().solve(&b).unwrap()`.
pub const LU_SOLVE: Chain = Chain {
    calls: &[("lu", 0), ("solve", 1), ("unwrap", 0)],
    rule: "lu_solve",
    spelled: "a.lu().solve(&b).unwrap()",
};

/// `a.cholesky().unwrap().solve(&b)`.
pub const CHOLESKY_SOLVE: Chain = Chain {
    calls: &[("cholesky", 0), ("unwrap", 0), ("solve", 1)],
    rule: "cholesky_solve",
    spelled: "a.cholesky().unwrap().solve(&b)",
};

impl Form {
    /// The number of arguments besides the receiver.
    pub fn args(self) -> usize {
        match self {
            Form::Scalar(_) | Form::Unary(_) | Form::Clone | Form::Chain(_) => 0,
            Form::View(_, n) => n,
            Form::WithConstant(_) | Form::Binary(_) | Form::Scalar2(_) | Form::Map => 1,
            Form::MulAdd | Form::Clamp => 2,
        }
    }
}

/// The receivers a method is differentiated on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Applies {
    /// `f32`, `f64` and type parameters.
    Scalars,
    /// Static matrices.
    Matrices,
    /// Both: on matrices entry by entry.
    Both,
    /// nalgebra's geometry types (`UnitQuaternion`, `Rotation3`, `Isometry3`,
    /// `IsometryMatrix3`).
    Geometry,
}

/// One method with a derivative rule.
#[derive(Clone, Copy, Debug)]
pub struct Primitive {
    /// The name users write (`x.tanh()`).
    pub method: &'static str,
    /// How its rule is called.
    pub form: Form,
    /// Where it applies (read by the tests that check the README's lists).
    #[cfg_attr(not(test), allow(dead_code))]
    pub applies: Applies,
}

const fn row(method: &'static str, form: Form, applies: Applies) -> Primitive {
    Primitive {
        method,
        form,
        applies,
    }
}

use syn::BinOp;
use Applies::{Both, Geometry, Matrices, Scalars};
use Form::{Binary, Scalar, Scalar2, Unary, WithConstant};

/// Every method with a rule, in the order the messages and the README list them.
/// A method of two forms (`max()`, the largest entry of a matrix, and `a.max(b)`)
/// has a row for each.
pub const METHODS: &[Primitive] = &[
    row("tanh", Scalar("Tanh"), Both),
    row("exp", Unary("exp"), Scalars),
    row("ln", Scalar("Ln"), Both),
    row("sin", Scalar("Sin"), Both),
    row("cos", Scalar("Cos"), Both),
    row("sqrt", Scalar("Sqrt"), Both),
    row("abs", Scalar("Abs"), Both),
    row("powi", WithConstant("powi"), Scalars),
    row("powf", Binary("powf"), Scalars),
    row("recip", Scalar("Recip"), Both),
    row("max", Unary("max_entry"), Matrices),
    row("max", Binary("max"), Scalars),
    row("min", Unary("min_entry"), Matrices),
    row("min", Binary("min"), Scalars),
    row("relu", Scalar("Relu"), Both),
    row("sigmoid", Scalar("Sigmoid"), Both),
    row("softplus", Scalar("Softplus"), Both),
    row("tan", Scalar("Tan"), Scalars),
    row("asin", Scalar("Asin"), Scalars),
    row("acos", Scalar("Acos"), Scalars),
    row("atan", Scalar("Atan"), Scalars),
    row("atan2", Scalar2("Atan2"), Scalars),
    row("sinh", Scalar("Sinh"), Scalars),
    row("cosh", Scalar("Cosh"), Scalars),
    row("asinh", Scalar("Asinh"), Scalars),
    row("acosh", Scalar("Acosh"), Scalars),
    row("atanh", Scalar("Atanh"), Scalars),
    row("exp2", Scalar("Exp2"), Scalars),
    row("exp_m1", Scalar("ExpM1"), Scalars),
    row("ln_1p", Scalar("Ln1p"), Scalars),
    row("log2", Scalar("Log2"), Scalars),
    row("log10", Scalar("Log10"), Scalars),
    row("log", Scalar2("Log"), Scalars),
    row("hypot", Scalar2("Hypot"), Scalars),
    row("cbrt", Scalar("Cbrt"), Scalars),
    row("mul_add", Form::MulAdd, Scalars),
    row("clamp", Form::Clamp, Scalars),
    row("floor", Scalar("Floor"), Scalars),
    row("ceil", Scalar("Ceil"), Scalars),
    row("round", Scalar("Round"), Scalars),
    row("trunc", Scalar("Trunc"), Scalars),
    row("signum", Scalar("Signum"), Scalars),
    row("transpose", Unary("transpose"), Matrices),
    row("component_mul", Binary("component_mul"), Matrices),
    row("component_div", Binary("component_div"), Matrices),
    row("dot", Binary("dot"), Matrices),
    row("sum", Unary("sum"), Matrices),
    row("mean", Unary("mean"), Matrices),
    row("norm", Unary("norm"), Matrices),
    row("norm_squared", Unary("norm_squared"), Matrices),
    row("cross", Binary("cross"), Matrices),
    row("normalize", Unary("normalize"), Matrices),
    row("trace", Unary("trace"), Matrices),
    row("determinant", Unary("determinant"), Matrices),
    row("try_inverse", Form::Chain(&INVERSE), Matrices),
    row("lu", Form::Chain(&LU_SOLVE), Matrices),
    row("cholesky", Form::Chain(&CHOLESKY_SOLVE), Matrices),
    row("add_scalar", Binary("add_scalar"), Matrices),
    row("row", Form::View("Row", 1), Matrices),
    row("column", Form::View("Column", 1), Matrices),
    row("fixed_rows", Form::View("FixedRows", 1), Matrices),
    row("fixed_columns", Form::View("FixedColumns", 1), Matrices),
    row("fixed_view", Form::View("FixedView", 2), Matrices),
    row("to_rotation_matrix", Unary("to_rotation_matrix"), Geometry),
    row("matrix", Unary("rotation_matrix"), Geometry),
    row("inverse", Unary("rotation_inverse"), Geometry),
    row("transform_point", Binary("transform_point"), Geometry),
    row("transform_vector", Binary("transform_vector"), Geometry),
    row(
        "inverse_transform_point",
        Binary("inverse_transform_point"),
        Geometry,
    ),
    row(
        "inverse_transform_vector",
        Binary("inverse_transform_vector"),
        Geometry,
    ),
    row("map", Form::Map, Matrices),
    row("clone", Form::Clone, Matrices),
];

/// The rule of an arithmetic operator, by the `dispatch.rs` function generated
/// code calls, and whether it is a compound assignment (`+` and `+=` both give
/// `add`).
pub fn operator(op: &BinOp) -> Option<(&'static str, bool)> {
    Some(match op {
        BinOp::Add(_) => ("add", false),
        BinOp::Sub(_) => ("sub", false),
        BinOp::Mul(_) => ("mul", false),
        BinOp::Div(_) => ("div", false),
        BinOp::AddAssign(_) => ("add", true),
        BinOp::SubAssign(_) => ("sub", true),
        BinOp::MulAssign(_) => ("mul", true),
        BinOp::DivAssign(_) => ("div", true),
        _ => return None,
    })
}

/// An associated function with a rule (`UnitQuaternion::from_scaled_axis(w)`):
/// the type users name, the function, and the rule of `dispatch.rs`, unary or
/// binary by the number of arguments.
#[derive(Clone, Copy, Debug)]
pub struct Associated {
    /// The type before `::` (its last path segment).
    pub ty: &'static str,
    /// The function.
    pub function: &'static str,
    /// The number of arguments.
    pub args: usize,
    /// The rule.
    pub rule: &'static str,
}

const fn assoc(
    ty: &'static str,
    function: &'static str,
    args: usize,
    rule: &'static str,
) -> Associated {
    Associated {
        ty,
        function,
        args,
        rule,
    }
}

/// The associated functions with a rule, in the order the message lists them.
/// `UnitQuaternion::new(w)` and `Rotation3::new(w)` are nalgebra's names of
/// `from_scaled_axis`; `Isometry3::new(t, w)` is `from_parts` of the
/// translation `t` and the rotation `UnitQuaternion::new(w)`.
pub const ASSOCIATED: &[Associated] = &[
    assoc(
        "UnitQuaternion",
        "from_scaled_axis",
        1,
        "quaternion_from_scaled_axis",
    ),
    assoc("UnitQuaternion", "new", 1, "quaternion_from_scaled_axis"),
    assoc(
        "UnitQuaternion",
        "from_axis_angle",
        2,
        "quaternion_from_axis_angle",
    ),
    assoc(
        "Rotation3",
        "from_scaled_axis",
        1,
        "rotation_from_scaled_axis",
    ),
    assoc("Rotation3", "new", 1, "rotation_from_scaled_axis"),
    assoc("Point3", "from", 1, "point_from_vector"),
    assoc("Translation3", "from", 1, "translation_from_vector"),
    assoc("Isometry3", "from_parts", 2, "isometry_from_parts"),
    assoc("Isometry3", "new", 2, "isometry_new"),
    assoc("IsometryMatrix3", "from_parts", 2, "isometry_from_parts"),
];

/// The types of [`ASSOCIATED`] whose `new` takes coordinates (`Point3::new(x, y,
/// z)`): lowered as the constructors of matrices are, the cotangent of each
/// argument being that coordinate of the value's.
pub const CONSTRUCTED: &[&str] = &["Point3", "Translation3"];

/// The rule of `ty::function(..)` with `args` arguments, if it has one.
pub fn associated(ty: &str, function: &str, args: usize) -> Option<&'static Associated> {
    ASSOCIATED
        .iter()
        .find(|a| a.ty == ty && a.function == function && a.args == args)
}

/// Whether `ty` is a type of [`ASSOCIATED`], whose other associated functions
/// (but `new` of one of [`CONSTRUCTED`]) are refused rather than taken for calls
/// of differentiable functions.
pub fn is_geometry_type(ty: &str) -> bool {
    ASSOCIATED.iter().any(|a| a.ty == ty)
}

/// The associated functions with a rule, for the message on one without.
pub fn supported_associated() -> String {
    ASSOCIATED
        .iter()
        .map(|a| format!("{}::{}", a.ty, a.function))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The rule of unary `-`.
pub const NEG: &str = "neg";
/// The rule of the views of [`Form::View`], which takes the view's selector.
pub const VIEW: &str = "view";

/// The chains of calls lowered as one rule, in table order.
pub fn chains() -> impl Iterator<Item = &'static Chain> {
    METHODS.iter().filter_map(|p| match p.form {
        Form::Chain(c) => Some(c),
        _ => None,
    })
}

/// Methods whose result is never differentiated (shapes, tests, comparisons).
pub const QUERIES: &[&str] = &[
    "nrows",
    "ncols",
    "len",
    "shape",
    "is_empty",
    "is_nan",
    "is_finite",
    "is_infinite",
    "is_sign_positive",
    "is_sign_negative",
    "is_square",
    "partial_cmp",
    "total_cmp",
];

/// The form of `method` called with `args` arguments besides the receiver.
pub fn find(method: &str, args: usize) -> Option<Form> {
    METHODS
        .iter()
        .find(|p| p.method == method && p.form.args() == args)
        .map(|p| p.form)
}

/// The distinct methods of rows matching `keep`, space-separated, in table order.
pub fn list(keep: impl Fn(&Primitive) -> bool) -> String {
    let mut names: Vec<&str> = Vec::new();
    for p in METHODS.iter().filter(|p| keep(p)) {
        if !names.contains(&p.method) {
            names.push(p.method);
        }
    }
    names.join(" ")
}

/// Every method with a rule, for the message on one that has none.
pub fn supported() -> String {
    list(|_| true)
}

/// A rule's name in camel case, as its tag and forward trait spell it
/// (`add` -> `Add`, `component_mul` -> `ComponentMul`).
pub fn camel_case(rule: &str) -> String {
    rule.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    //! The table against what it describes: the rules of `autograd-core` it names,
    //! and the README's lists of supported methods.

    use super::*;

    fn read(path: &str) -> String {
        let full = format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
    }

    fn camel(rule: &str) -> String {
        camel_case(rule)
    }

    /// The rules of `dispatch.rs` invoked through `binary!(..)` or `unary!(..)`.
    fn invoked(dispatch: &str, mac: &str) -> Vec<String> {
        dispatch
            .lines()
            .filter_map(|l| l.strip_prefix(&format!("{mac}!(")))
            .filter_map(|l| l.split("*/").nth(1))
            .filter_map(|l| l.split(',').next())
            .map(|n| n.trim().to_string())
            .collect()
    }

    fn operators() -> Vec<&'static str> {
        let mut rules: Vec<&str> = ["+", "-", "*", "/"]
            .iter()
            .filter_map(|op| operator(&syn::parse_str(op).expect("an operator")))
            .map(|(rule, _)| rule)
            .collect();
        rules.extend([NEG, VIEW]);
        rules
    }

    #[test]
    fn every_named_rule_has_its_tag_and_forward_in_dispatch() {
        let dispatch = read("autograd-core/src/adjoint/dispatch.rs");
        let named = METHODS.iter().filter_map(|p| match p.form {
            Form::Unary(r) | Form::Binary(r) | Form::WithConstant(r) => Some(r),
            Form::Chain(c) => Some(c.rule),
            _ => None,
        });
        for rule in named.chain(operators()) {
            let c = camel(rule);
            for item in [format!("{c}Tag"), format!("{c}Forward")] {
                assert!(
                    dispatch.contains(&item),
                    "dispatch.rs has no `{item}` for `{rule}`"
                );
            }
        }
        // The arity of a table row is that of its dispatch entry.
        let binary = invoked(&dispatch, "binary");
        let unary = invoked(&dispatch, "unary");
        assert!(
            !binary.is_empty() && !unary.is_empty(),
            "dispatch.rs changed shape"
        );
        for a in ASSOCIATED {
            let arity = if a.args == 2 { &binary } else { &unary };
            assert!(
                arity.iter().any(|r| r == a.rule),
                "`{}` has the wrong arity",
                a.rule
            );
        }
        for p in METHODS {
            match p.form {
                Form::Binary(r) => assert!(binary.iter().any(|b| b == r), "`{r}` is not binary"),
                Form::Unary(r) => assert!(unary.iter().any(|u| u == r), "`{r}` is not unary"),
                Form::Chain(c) => {
                    let arity = if c.calls.iter().any(|(_, n)| *n > 0) {
                        &binary
                    } else {
                        &unary
                    };
                    assert!(
                        arity.iter().any(|r| r == c.rule),
                        "`{}` has the wrong arity",
                        c.rule
                    )
                }
                _ => {}
            }
        }
    }

    #[test]
    fn every_dispatch_rule_is_in_the_table() {
        let dispatch = read("autograd-core/src/adjoint/dispatch.rs");
        let ops = operators();
        for rule in invoked(&dispatch, "binary")
            .into_iter()
            .chain(invoked(&dispatch, "unary"))
        {
            let listed = METHODS.iter().any(|p| {
                matches!(p.form, Form::Unary(r) | Form::Binary(r) | Form::WithConstant(r) if r == rule)
                    || matches!(p.form, Form::Chain(c) if c.rule == rule)
            }) || ASSOCIATED.iter().any(|a| a.rule == rule);
            assert!(
                listed || ops.contains(&rule.as_str()),
                "`{rule}` of dispatch.rs has no row in the table of primitives"
            );
        }
    }

    #[test]
    fn every_scalar_function_of_the_rules_is_in_the_table() {
        let dir = format!("{}/../autograd-core/src/rules", env!("CARGO_MANIFEST_DIR"));
        let (mut impls, mut impls2) = (Vec::new(), Vec::new());
        for entry in std::fs::read_dir(&dir).expect("the rules folder").flatten() {
            let text = std::fs::read_to_string(entry.path()).expect("a rule file");
            for line in text.lines() {
                if let Some(rest) = line.strip_prefix("impl ScalarFn for ") {
                    impls.push(rest.trim_end_matches(" {").to_string());
                }
                if let Some(rest) = line.strip_prefix("impl ScalarFn2 for ") {
                    impls2.push(rest.trim_end_matches(" {").to_string());
                }
            }
        }
        assert!(impls.len() >= 10, "found only {impls:?}");
        for f in &impls {
            let scalar = METHODS
                .iter()
                .any(|p| matches!(p.form, Form::Scalar(s) if s == f));
            // On a matrix `exp` is nalgebra's matrix exponential, which is refused:
            // the method goes through the scalar-only `exp` rule instead.
            let exp = f == "Exp" && find("exp", 0) == Some(Form::Unary("exp"));
            assert!(scalar || exp, "`{f}` implements ScalarFn but has no row");
        }
        for f in &impls2 {
            let row = METHODS
                .iter()
                .any(|p| matches!(p.form, Form::Scalar2(s) if s == f));
            assert!(row, "`{f}` implements ScalarFn2 but has no row");
        }
        for p in METHODS {
            match p.form {
                Form::Scalar(f) => assert!(
                    impls.iter().any(|i| i == f),
                    "no `impl ScalarFn for {f}` in rules/"
                ),
                Form::Scalar2(f) => assert!(
                    impls2.iter().any(|i| i == f),
                    "no `impl ScalarFn2 for {f}` in rules/"
                ),
                _ => {}
            }
        }
    }

    /// The README's lists, as the table gives them.
    fn readme_lists() -> [String; 4] {
        [
            list(|p| p.applies == Applies::Scalars || p.applies == Applies::Both),
            list(|p| matches!(p.form, Form::Scalar(_)) && p.applies == Applies::Both),
            list(|p| p.applies == Applies::Matrices),
            list(|p| p.applies == Applies::Geometry),
        ]
    }

    #[test]
    fn the_readme_lists_the_supported_methods() {
        let readme = read("README.md").replace("\n", " ");
        let [scalars, entry_wise, matrices, rotations] = readme_lists();
        for (what, names) in [
            ("the scalar methods", scalars),
            ("the entry-wise", entry_wise),
            ("the matrix methods", matrices),
            ("the geometry methods", rotations),
            ("the associated functions", supported_associated()),
        ] {
            let phrase = format!("{what} `{names}`");
            assert!(readme.contains(&phrase), "the README should say: {phrase}");
        }
    }

    #[test]
    fn the_message_lists_every_method_once() {
        let all = supported();
        for p in METHODS {
            let n = all.split(' ').filter(|m| *m == p.method).count();
            assert_eq!(n, 1, "`{}` in: {all}", p.method);
        }
    }
}
