//! Desugar phase: early exits become flags, so that the lowering sees structured
//! code only. Runs once, before the three lowerings, on a copy of the body (the
//! user's function is emitted as written).
//!
//! ```text
//! loop {                             let mut __autograd_brk1 = false;
//!     let fx = x * x - a;            while !__autograd_brk1 {
//!     if fx.abs() < tol { break; }       let fx = x * x - a;
//!     x = x - fx / (x + x);              if fx.abs() < tol { __autograd_brk1 = true; }
//! }                                      if !(__autograd_brk1) { x = x - fx / (x + x); }
//!                                    }
//! ```
//!
//! - `break` sets the loop's flag, `continue` a flag declared at the top of the
//!   body, `break value` assigns the loop's value first; `return value` assigns
//!   the function's result, sets its flag and every enclosing loop's.
//! - After a statement that may exit, the rest of its block runs under
//!   `if !(flags) { .. }` (with `else { Default::default() }` when the block has a
//!   value, which is then discarded).
//! - `loop` and `while` become `while !brk && cond`; a `for` loop keeps its range
//!   and gets the label `'__autograd_brkN`, which tells the lowering to leave the
//!   loop at the top of an iteration once the flag `__autograd_brkN` is set.
//!
//! A body without early exits is returned unchanged.

use crate::ctxt::Ctxt;
use crate::reject::Reject;
use proc_macro2::{Ident, Span};
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{parse_quote, Block, Expr, Stmt, Type};

/// The prefix of the labels the desugaring gives `for` loops with a `break`.
pub const EXIT_LABEL: &str = "__autograd_brk";

/// The body of a function returning `ret`, with its early exits desugared.
pub fn body(block: &Block, ret: Option<&Type>, cx: &mut Ctxt) -> Block {
    let mut labels = Labels { cx };
    labels.visit_block(block);
    let mut finder = ExitFinder::default();
    finder.visit_block(block);
    // A `return` that is the last statement itself is the function's value.
    let final_return = matches!(block.stmts.last(), Some(Stmt::Expr(Expr::Return(_), _)));
    let early_return = finder.returns > usize::from(final_return);
    if !early_return && !finder.loops {
        return block.clone();
    }
    let mut d = Desugar {
        counter: 0,
        loops: Vec::new(),
        ret: None,
    };
    let mut block = block.clone();
    if early_return {
        let (val, done) = (d.ident("ret"), d.ident("done"));
        d.ret = Some((val.clone(), done.clone()));
        // The tail becomes an assignment of the result, so that the guards around
        // it need no value.
        match block.stmts.pop() {
            // A `loop` in tail position only ends by `return`: it has no value.
            Some(Stmt::Expr(tail @ Expr::Loop(_), None)) => {
                block.stmts.push(Stmt::Expr(tail, Some(Default::default())));
            }
            Some(Stmt::Expr(tail, None)) if !matches!(tail, Expr::Return(_)) => {
                block.stmts.push(parse_quote!(#val = #tail;));
            }
            Some(other) => block.stmts.push(other),
            None => {}
        }
        d.visit_block_mut(&mut block);
        let ty: Type = match ret {
            Some(t) => t.clone(),
            None => parse_quote!(_),
        };
        let mut stmts: Vec<Stmt> = vec![
            parse_quote!(let mut #val: #ty = ::core::default::Default::default();),
            parse_quote!(let mut #done = false;),
        ];
        stmts.append(&mut block.stmts);
        stmts.push(Stmt::Expr(parse_quote!(#val), None));
        block.stmts = stmts;
    } else {
        d.visit_block_mut(&mut block);
    }
    block
}

/// Reports loop labels: the desugaring owns the labels of the loops it rewrites.
struct Labels<'a> {
    cx: &'a mut Ctxt,
}

impl<'ast> Visit<'ast> for Labels<'_> {
    fn visit_label(&mut self, l: &'ast syn::Label) {
        self.cx.error(l, Reject::LoopLabel);
    }
    fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
        if let Some(l) = &b.label {
            self.cx.error(l, Reject::LoopLabel);
        }
        syn::visit::visit_expr_break(self, b);
    }
    fn visit_expr_continue(&mut self, c: &'ast syn::ExprContinue) {
        if let Some(l) = &c.label {
            self.cx.error(l, Reject::LoopLabel);
        }
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
}

/// Whether code exits early: a `break` or `continue` of the loop it is in (not
/// of a loop nested in it), or a `return`. Closures are not looked into.
#[derive(Default)]
struct ExitFinder {
    depth: usize,
    /// A `break`/`continue` at depth 0 or a `return` was found.
    here: bool,
    /// The number of `return`s found.
    returns: usize,
    /// A `loop`, `break` or `continue` was found.
    loops: bool,
}

impl ExitFinder {
    fn exits(stmt: &Stmt) -> bool {
        let mut f = ExitFinder::default();
        f.visit_stmt(stmt);
        f.here
    }

    fn body_exits(b: &Block) -> bool {
        let mut f = ExitFinder::default();
        f.visit_block(b);
        f.here
    }
}

impl<'ast> Visit<'ast> for ExitFinder {
    fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
        self.here = true;
        self.returns += 1;
        syn::visit::visit_expr_return(self, r);
    }
    fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
        self.loops = true;
        if self.depth == 0 {
            self.here = true;
        }
        syn::visit::visit_expr_break(self, b);
    }
    fn visit_expr_continue(&mut self, _: &'ast syn::ExprContinue) {
        self.loops = true;
        if self.depth == 0 {
            self.here = true;
        }
    }
    fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
        self.loops |= ExitFinder::body_exits(&l.body);
        self.depth += 1;
        syn::visit::visit_expr_loop(self, l);
        self.depth -= 1;
    }
    fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
        self.visit_expr(&w.cond);
        self.depth += 1;
        self.visit_block(&w.body);
        self.depth -= 1;
    }
    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.visit_expr(&f.expr);
        self.depth += 1;
        self.visit_block(&f.body);
        self.depth -= 1;
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
}

/// One loop being rewritten.
struct LoopFlags {
    brk: Ident,
    cont: Ident,
    /// The variable holding the value of `break value`, if the loop has one.
    value: Option<Ident>,
}

struct Desugar {
    counter: usize,
    loops: Vec<LoopFlags>,
    /// The function's result and its "returned" flag, if it returns early.
    ret: Option<(Ident, Ident)>,
}

impl Desugar {
    fn ident(&mut self, what: &str) -> Ident {
        self.counter += 1;
        Ident::new(
            &format!("__autograd_{what}{}", self.counter),
            Span::call_site(),
        )
    }

    /// The condition under which the rest of a block still runs.
    fn guard(&self) -> Expr {
        match (self.loops.last(), &self.ret) {
            (Some(l), _) => {
                let (b, c) = (&l.brk, &l.cont);
                parse_quote!(#b || #c)
            }
            (None, Some((_, done))) => parse_quote!(#done),
            (None, None) => parse_quote!(false),
        }
    }

    /// Rewrites a loop body: a `continue` flag, the body's exits, its guards.
    fn loop_body(&mut self, body: &mut Block, flags: LoopFlags) -> LoopFlags {
        let cont = flags.cont.clone();
        self.loops.push(flags);
        self.visit_block_mut(body);
        let flags = self.loops.pop().expect("pushed above");
        body.stmts.insert(0, parse_quote!(let mut #cont = false;));
        flags
    }

    fn new_flags(&mut self) -> LoopFlags {
        LoopFlags {
            brk: self.ident("brk"),
            cont: self.ident("cont"),
            value: None,
        }
    }
}

impl VisitMut for Desugar {
    fn visit_block_mut(&mut self, b: &mut Block) {
        let exits: Vec<bool> = b.stmts.iter().map(ExitFinder::exits).collect();
        for s in &mut b.stmts {
            self.visit_stmt_mut(s);
        }
        // From the end: after each exiting statement, the rest runs guarded.
        let mut rest: Vec<Stmt> = Vec::new();
        for (s, exits) in b.stmts.drain(..).zip(exits).rev() {
            if exits && !rest.is_empty() {
                let guard = self.guard();
                let has_value = matches!(rest.last(), Some(Stmt::Expr(_, None)));
                let body = std::mem::take(&mut rest);
                let guarded: Expr = match has_value {
                    true => {
                        parse_quote!(if !(#guard) { #(#body)* } else { ::core::default::Default::default() })
                    }
                    false => parse_quote!(if !(#guard) { #(#body)* }),
                };
                let semi = (!has_value).then(Default::default);
                rest.push(Stmt::Expr(guarded, semi));
            }
            rest.insert(0, s);
        }
        b.stmts = rest;
    }

    fn visit_expr_mut(&mut self, e: &mut Expr) {
        match e {
            Expr::Closure(_) => {}
            Expr::Break(br) => {
                let Some(l) = self.loops.last_mut() else {
                    return;
                };
                let brk = l.brk.clone();
                *e = match br.expr.take() {
                    Some(mut v) => {
                        let value = l.value.get_or_insert_with(|| {
                            Ident::new(&format!("{brk}_value"), Span::call_site())
                        });
                        let value = value.clone();
                        self.visit_expr_mut(&mut v);
                        parse_quote!({ #value = #v; #brk = true; })
                    }
                    None => parse_quote!({ #brk = true; }),
                };
            }
            Expr::Continue(_) => {
                if let Some(l) = self.loops.last() {
                    let cont = &l.cont;
                    *e = parse_quote!({ #cont = true; });
                }
            }
            Expr::Return(r) => {
                let Some((val, done)) = self.ret.clone() else {
                    return;
                };
                let assign = r.expr.take().map(|mut v| {
                    self.visit_expr_mut(&mut v);
                    quote::quote!(#val = #v;)
                });
                let brks: Vec<&Ident> = self.loops.iter().map(|l| &l.brk).collect();
                *e = parse_quote!({ #assign #done = true; #(#brks = true;)* });
            }
            // A `loop` that never ends is left for the lowering to report.
            Expr::Loop(l) if ExitFinder::body_exits(&l.body) => {
                let flags = self.new_flags();
                let flags = self.loop_body(&mut l.body, flags);
                let (brk, body) = (&flags.brk, &l.body);
                *e = match &flags.value {
                    Some(v) => parse_quote!({
                        let mut #brk = false;
                        let mut #v = ::core::default::Default::default();
                        while !#brk #body
                        #v
                    }),
                    None => parse_quote!({ let mut #brk = false; while !#brk #body }),
                };
            }
            Expr::While(w) if ExitFinder::body_exits(&w.body) => {
                self.visit_expr_mut(&mut w.cond);
                let flags = self.new_flags();
                let flags = self.loop_body(&mut w.body, flags);
                let (brk, cond, body) = (&flags.brk, &w.cond, &w.body);
                *e = parse_quote!({ let mut #brk = false; while !#brk && (#cond) #body });
            }
            Expr::ForLoop(f) if ExitFinder::body_exits(&f.body) => {
                self.visit_expr_mut(&mut f.expr);
                let flags = self.new_flags();
                let flags = self.loop_body(&mut f.body, flags);
                let brk = &flags.brk;
                let label = syn::Lifetime::new(&format!("'{brk}"), Span::call_site());
                f.label = Some(parse_quote!(#label:));
                *e = parse_quote!({ let mut #brk = false; #f });
            }
            _ => syn::visit_mut::visit_expr_mut(self, e),
        }
    }
}
