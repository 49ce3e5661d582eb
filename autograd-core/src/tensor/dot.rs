//! Graphviz export of a graph, drawn like torchviz's `make_dot`: the output in
//! green, backward nodes in grey with their PyTorch names, leaves in blue with
//! their shapes.

use super::graph::{Node, NodeKind};
use super::handle::Tensor;
use std::collections::HashSet;
use std::fmt::Write;

fn shape_label(shape: &[usize]) -> String {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    format!("({})", dims.join(", "))
}

impl Tensor {
    /// The graph that produced this tensor in Graphviz DOT (`torchviz.make_dot`);
    /// render with `dot -Tsvg`.
    pub fn to_dot(&self) -> String {
        let mut out = String::from(
            "digraph {\n  graph [size=\"12,12\"]\n  node [style=filled shape=box align=left fontsize=10 height=0.2 ranksep=0.1]\n",
        );
        let me = format!("t{:x}", std::sync::Arc::as_ptr(&self.inner.meta) as usize);
        let _ = writeln!(
            out,
            "  {me} [label=\"{}\" fillcolor=darkolivegreen1]",
            shape_label(self.shape())
        );
        if let Some(root) = self.grad_fn() {
            let _ = writeln!(out, "  n{:x} -> {me}", root.id());
            write_nodes(&mut out, root);
        }
        out.push_str("}\n");
        out
    }
}

fn write_nodes(out: &mut String, root: Node) {
    let mut seen = HashSet::new();
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        if !seen.insert(n.id()) {
            continue;
        }
        let _ = writeln!(
            out,
            "  n{:x} [label=\"{}\" fillcolor=lightgrey]",
            n.id(),
            n.name()
        );
        if let NodeKind::Accumulate(_) = &n.0 {
            let _ = writeln!(
                out,
                "  v{:x} [label=\"{}\" fillcolor=lightblue]",
                n.id(),
                shape_label(&n.shape())
            );
            let _ = writeln!(out, "  v{:x} -> n{:x}", n.id(), n.id());
        }
        for next in n.next_functions().into_iter().flatten() {
            let _ = writeln!(out, "  n{:x} -> n{:x}", next.id(), n.id());
            stack.push(next);
        }
    }
}
