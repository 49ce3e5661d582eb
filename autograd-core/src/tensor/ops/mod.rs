//! Differentiable ops by family. Each file holds the forward of its ops, with the
//! PyTorch equivalent in the docs; the derivatives live in the one `match` of
//! [`super::op::Op::backward`], or beside the forward when they need more than a
//! line (matmul, conv, slicing).

pub(crate) mod activation;
pub(crate) mod arith;
pub(crate) mod compare;
pub(crate) mod conv;
pub(crate) mod einsum;
pub(crate) mod inplace;
pub(crate) mod layout;
pub(crate) mod linalg;
pub(crate) mod reduce;
pub(crate) mod scatter;
pub(crate) mod unary;
