//! Expressions: paths, operators, indexing, tuples, fields and method calls,
//! dispatched through the table of `crate::primitives`; what has no rule is
//! rejected here with its `crate::reject` message.

use super::ir::{private, Binding, Val};
use super::iter::Consumer;
use super::prim::Rule;
use super::Lowerer;
use crate::primitives::{self, Form};
use crate::reject::Reject;
use proc_macro2::Span;
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{BinOp, Expr, Ident, UnOp};

impl Lowerer<'_> {
    pub(super) fn expr(&mut self, e: &Expr) -> Val {
        match e {
            Expr::Paren(p) => self.expr(&p.expr),
            Expr::Group(g) => self.expr(&g.expr),
            Expr::Lit(_) => self.inactive(e),
            Expr::Path(p) => match p.path.get_ident().and_then(|i| self.lookup(&i.to_string())) {
                Some((_, Binding::Active(v))) => {
                    let v = *v;
                    self.use_var(v);
                    Val::Active(v)
                }
                Some((_, Binding::Inactive { is_ref })) => Val::Inactive {
                    tokens: e.to_token_stream(),
                    is_ref: *is_ref,
                },
                None => self.inactive(e),
            },
            Expr::Reference(r) => match self.expr(&r.expr) {
                Val::Active(v) => Val::Active(v),
                Val::Inactive { .. } => Val::Inactive {
                    tokens: e.to_token_stream(),
                    is_ref: true,
                },
            },
            Expr::Unary(u) => match u.op {
                UnOp::Deref(_) => match self.expr(&u.expr) {
                    Val::Active(v) => Val::Active(v),
                    Val::Inactive { .. } => self.inactive(e),
                },
                UnOp::Neg(_) => match self.expr(&u.expr) {
                    a @ Val::Active(_) => self.rule1(primitives::NEG, a, None, e.span()),
                    Val::Inactive { .. } => self.inactive(e),
                },
                _ => self.inactive(e),
            },
            Expr::Binary(b) => self.binary(b, e),
            Expr::MethodCall(mc) => self.method_call(mc, e),
            Expr::Call(c) => self.call(c, e),
            Expr::Index(ix) => match self.expr(&ix.expr) {
                Val::Active(m) => {
                    let index = self.expr(&ix.index);
                    if index.active().is_some() {
                        self.cx.error(&ix.index, Reject::DifferentiatedIndex);
                    }
                    let index = self.constant(index);
                    Val::Active(self.index_get(m, &index, e.span()))
                }
                Val::Inactive { .. } => self.inactive(e),
            },
            Expr::Tuple(t) => {
                let vals: Vec<Val> = t.elems.iter().map(|x| self.expr(x)).collect();
                if vals.iter().all(|v| v.active().is_none()) {
                    return self.inactive(e);
                }
                self.make_tuple(vals, e.span())
            }
            Expr::Field(f) => match self.expr(&f.base) {
                Val::Active(v) => Val::Active(self.field_get(v, &f.member, e.span())),
                Val::Inactive { .. } => self.inactive(e),
            },
            Expr::Block(b) if b.label.is_none() => self.block(&b.block, e),
            Expr::If(i) => self.if_else(i, e),
            Expr::ForLoop(f) => self.for_loop(f, e),
            Expr::While(w) => self.while_loop(w, e),
            Expr::Loop(l) => {
                // The desugaring rewrites every `loop` of the body that can end; one
                // left here is endless or inside a closure.
                let ends = crate::tokens::idents(l.body.to_token_stream())
                    .iter()
                    .any(|i| i == "break" || i == "return");
                let why = if ends {
                    Reject::Loop
                } else {
                    Reject::EndlessLoop
                };
                self.cx.error(l.loop_token, why);
                self.inactive(e)
            }
            Expr::Closure(c) => {
                self.cx.error(c, Reject::Closure);
                self.inactive(e)
            }
            Expr::Return(r) => {
                self.cx.error(r, Reject::EarlyReturn);
                self.inactive(e)
            }
            Expr::Break(_) | Expr::Continue(_) => {
                self.cx.error(e, Reject::BreakContinue);
                self.inactive(e)
            }
            Expr::Let(l) => {
                self.cx.error(l, Reject::IfLet);
                self.inactive(e)
            }
            Expr::Try(t) => {
                self.cx.error(t.question_token, Reject::Try);
                self.inactive(e)
            }
            Expr::Async(_) | Expr::Await(_) => {
                self.cx.error(e, Reject::Async);
                self.inactive(e)
            }
            Expr::Unsafe(u) => {
                self.cx.error(u.unsafe_token, Reject::Unsafe);
                self.inactive(e)
            }
            Expr::Match(m) => self.match_expr(m, e),
            Expr::Macro(m) => {
                let name = m
                    .mac
                    .path
                    .segments
                    .last()
                    .map(|s| s.ident.to_string())
                    .unwrap_or_default();
                self.only_inactive(e, Reject::Macro(name))
            }
            Expr::Cast(_) => self.only_inactive(e, Reject::Cast),
            Expr::Array(a) => {
                let vals: Vec<Val> = a.elems.iter().map(|x| self.expr(x)).collect();
                if vals.iter().all(|v| v.active().is_none()) {
                    return self.inactive(e);
                }
                self.make_array(vals, e.span())
            }
            Expr::Repeat(r) => match self.expr(&r.expr) {
                x @ Val::Active(_) => self.repeat_array(x, &r.len, e.span()),
                Val::Inactive { .. } => self.inactive(e),
            },
            Expr::Struct(_) => self.only_inactive(e, Reject::StructLiteral),
            Expr::Range(_) => self.only_inactive(e, Reject::Range),
            Expr::Assign(_) => self.only_inactive(e, Reject::AssignAsValue),
            _ => self.only_inactive(e, Reject::OtherExpression),
        }
    }

    pub(super) fn binary(&mut self, b: &syn::ExprBinary, e: &Expr) -> Val {
        let rule = match primitives::operator(&b.op) {
            Some((rule, false)) => rule,
            Some((_, true)) => return self.only_inactive(e, Reject::CompoundAsValue),
            None if matches!(
                b.op,
                BinOp::Eq(_)
                    | BinOp::Ne(_)
                    | BinOp::Lt(_)
                    | BinOp::Le(_)
                    | BinOp::Gt(_)
                    | BinOp::Ge(_)
                    | BinOp::And(_)
                    | BinOp::Or(_)
            ) =>
            {
                return self.inactive(e);
            }
            None => {
                let op = b.op.to_token_stream().to_string();
                return self.only_inactive(e, Reject::Operator(op));
            }
        };
        let l = self.expr(&b.left);
        let r = self.expr(&b.right);
        if l.active().is_none() && r.active().is_none() {
            return self.inactive(e);
        }
        self.rule2(rule, l, r, e.span())
    }

    pub(super) fn method_call(&mut self, mc: &syn::ExprMethodCall, e: &Expr) -> Val {
        let name = mc.method.to_string();
        if !self.mentions_active(e.to_token_stream())
            || primitives::QUERIES.contains(&name.as_str())
        {
            return self.inactive(e);
        }
        match self.consumer(mc) {
            Some(Consumer::Block(block)) => return self.expr(&block),
            Some(Consumer::Refused) => return self.inactive(e),
            None => {}
        }
        if let Some(v) = self.chain(mc, e) {
            return v;
        }
        if let (Some(Form::Map), [Expr::Closure(c)]) = (
            primitives::find(&name, mc.args.len()),
            &*mc.args.iter().collect::<Vec<_>>(),
        ) {
            return self.map(mc, c, e);
        }
        let recv = self.expr(&mc.receiver);
        let args: Vec<&Expr> = mc.args.iter().collect();
        self.method(&mc.method, mc.turbofish.as_ref(), recv, &args, e)
    }

    /// A chain of calls of `crate::primitives::chains` ending at `mc`
    /// (`m.try_inverse().unwrap()`), lowered as its one rule; the start of one cut
    /// short (`m.try_inverse()` alone) is refused with the chain to write. `None`
    /// if `mc` ends no chain.
    fn chain(&mut self, mc: &syn::ExprMethodCall, e: &Expr) -> Option<Val> {
        // The calls ending at `mc`, outermost first.
        let mut calls = vec![mc];
        while let Expr::MethodCall(inner) = &*calls[calls.len() - 1].receiver {
            calls.push(inner);
        }
        for chain in primitives::chains() {
            let longest = chain.calls.len().min(calls.len());
            for j in (1..=longest).rev() {
                // The outermost `j` calls, innermost first, against the chain's first `j`.
                let tail: Vec<&syn::ExprMethodCall> = calls[..j].iter().rev().copied().collect();
                let fits = tail
                    .iter()
                    .zip(chain.calls)
                    .all(|(c, (name, n))| c.method == name && c.args.len() == *n);
                if !fits {
                    continue;
                }
                if j < chain.calls.len() {
                    self.cx.error(e, Reject::ChainCutShort(chain));
                    return Some(self.inactive(e));
                }
                let sp = e.span();
                let recv = self.expr(&tail[0].receiver);
                let args: Vec<&Expr> = tail.iter().flat_map(|c| c.args.iter()).collect();
                return Some(match args[..] {
                    [b] => {
                        let rhs = self.expr(b);
                        if recv.active().is_none() && rhs.active().is_none() {
                            self.inactive(e)
                        } else {
                            self.rule2(chain.rule, recv, rhs, sp)
                        }
                    }
                    _ if recv.active().is_none() => self.inactive(e),
                    _ => self.rule1(chain.rule, recv, None, sp),
                });
            }
        }
        None
    }

    /// A method with a rule of `crate::primitives`, applied to `recv` (also used
    /// for `f64::tanh(x)`); `turbofish` is the call's `::<..>`, which a view's
    /// selector takes (`fixed_rows::<K>(i)`).
    pub(super) fn method(
        &mut self,
        method: &Ident,
        turbofish: Option<&syn::AngleBracketedGenericArguments>,
        recv: Val,
        args: &[&Expr],
        e: &Expr,
    ) -> Val {
        let name = method.to_string();
        let sp = e.span();
        let form = primitives::find(&name, args.len());
        match (form, args) {
            (Some(Form::Clone), []) => match recv {
                Val::Active(v) => Val::Active(v),
                Val::Inactive { .. } => self.inactive(e),
            },
            (_, []) if recv.active().is_none() => self.inactive(e),
            (Some(Form::Scalar(f)), []) => {
                let f = Ident::new(f, Span::call_site());
                self.rule1_path(Rule::Fn(&f), recv, None, sp)
            }
            (Some(Form::Unary(rule)), []) => self.rule1(rule, recv, None, sp),
            (Some(Form::WithConstant(rule)), [n]) => {
                let n_val = self.expr(n);
                if n_val.active().is_some() {
                    self.cx.error(n, Reject::DifferentiatedPowiExponent);
                }
                if recv.active().is_none() {
                    return self.inactive(e);
                }
                let n_tok = self.constant(n_val);
                self.rule1(rule, recv, Some(n_tok), sp)
            }
            (Some(Form::Binary(rule)), [arg]) => {
                let rhs = self.expr(arg);
                if recv.active().is_none() && rhs.active().is_none() {
                    return self.inactive(e);
                }
                self.rule2(rule, recv, rhs, sp)
            }
            (Some(Form::Scalar2(f)), [arg]) => {
                let rhs = self.expr(arg);
                if recv.active().is_none() && rhs.active().is_none() {
                    return self.inactive(e);
                }
                let f = Ident::new(f, Span::call_site());
                self.rule2_path(Rule::Fn(&f), recv, rhs, sp)
            }
            (Some(Form::MulAdd), [b, c]) => {
                let (b, c) = (self.expr(b), self.expr(c));
                let ab = self.rule2("mul", recv, b, sp);
                self.rule2("add", ab, c, sp)
            }
            (Some(Form::Chain(chain)), []) => {
                self.cx.error(e, Reject::ChainCutShort(chain));
                self.inactive(e)
            }
            (Some(Form::View(selector, _)), positions) => {
                if recv.active().is_none() {
                    return self.inactive(e);
                }
                let mut at = Vec::new();
                for x in positions {
                    let v = self.expr(x);
                    if v.active().is_some() {
                        self.cx.error(x, Reject::DifferentiatedIndex);
                    }
                    at.push(self.constant(v));
                }
                let (p, selector) = (private(), Ident::new(selector, Span::call_site()));
                let generics = turbofish.map(|t| {
                    let args = &t.args;
                    quote!(::<#args>)
                });
                let s = Val::Inactive {
                    tokens: quote_spanned!(sp=> #p::rules::#selector #generics (#(#at),*)),
                    is_ref: false,
                };
                let s = self.constant(s);
                self.rule1(primitives::VIEW, recv, Some(s), sp)
            }
            (Some(Form::Clamp), [lo, hi]) => {
                let (lo, hi) = (self.expr(lo), self.expr(hi));
                let low = self.rule2("max", recv, lo, sp);
                self.rule2("min", low, hi, sp)
            }
            _ => {
                self.cx.error(method, Reject::UnknownMethod(name));
                self.inactive(e)
            }
        }
    }
}
