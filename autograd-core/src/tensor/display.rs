//! Printing as PyTorch's `str(t)` does, character for character, with its default
//! print options (precision 4, threshold 1000, edge items 3, line width 80):
//!
//! ```text
//! tensor([[ 3.,  6.],
//!         [11., 18.]], grad_fn=<AddBackward0>)
//! ```
//!
//! The rules follow `torch/_tensor_str.py`: one formatter for the whole tensor
//! picks integer mode (every finite entry an integer: `3.`), fixed point (`0.1235`)
//! or scientific notation (`1.2346e+05`, when the largest finite magnitude is over
//! 1e8 or 1000 times the smallest, or the smallest is under 1e-4), and pads every
//! entry to the widest; rows wrap at 80 columns; a tensor of more than 1000
//! entries prints the first and last three along each dimension around `...`.

use super::dtype::{get_default_dtype, DType};
use super::handle::Tensor;
use std::fmt;

/// `torch.set_printoptions` defaults.
const PRECISION: usize = 4;
const THRESHOLD: usize = 1000;
const EDGE_ITEMS: usize = 3;
const LINE_WIDTH: usize = 80;

/// PyTorch's `_Formatter`: how every entry of one tensor is written.
struct Formatter {
    int_mode: bool,
    sci_mode: bool,
    max_width: usize,
}

impl Formatter {
    /// The formatter of a tensor whose (summarised) entries are `values`.
    fn new(values: &[f64]) -> Formatter {
        let mut f = Formatter {
            int_mode: true,
            sci_mode: false,
            max_width: 1,
        };
        let finite: Vec<f64> = values
            .iter()
            .copied()
            .filter(|v| v.is_finite() && *v != 0.0)
            .collect();
        if finite.is_empty() {
            return f;
        }
        let abs = finite.iter().map(|v| v.abs());
        let min = abs.clone().fold(f64::INFINITY, f64::min);
        let max = abs.fold(0.0, f64::max);
        f.int_mode = finite.iter().all(|v| *v == v.ceil());
        let wide = max / min > 1000.0 || max > 1.0e8;
        f.sci_mode = if f.int_mode {
            wide
        } else {
            wide || min < 1.0e-4
        };
        for &v in &finite {
            let width = if f.sci_mode {
                sci(v).len()
            } else if f.int_mode {
                format!("{v:.0}").len() + 1
            } else {
                fixed(v).len()
            };
            f.max_width = f.max_width.max(width);
        }
        f
    }

    /// One entry, padded on the left to the common width.
    fn format(&self, v: f64) -> String {
        let s = if self.sci_mode {
            sci(v)
        } else if self.int_mode {
            if v.is_finite() {
                format!("{v:.0}.")
            } else {
                non_finite(v)
            }
        } else {
            fixed(v)
        };
        format!("{s:>width$}", width = self.max_width)
    }
}

/// `nan`, `inf`, `-inf`, as Python writes them.
fn non_finite(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v > 0.0 {
        "inf".into()
    } else {
        "-inf".into()
    }
}

/// Python's `f"{v:.4f}"`.
fn fixed(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.PRECISION$}")
    } else {
        non_finite(v)
    }
}

/// Python's `f"{v:.4e}"`: a signed exponent of at least two digits.
fn sci(v: f64) -> String {
    if !v.is_finite() {
        return non_finite(v);
    }
    let s = format!("{v:.PRECISION$e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let e: i32 = exp.parse().unwrap_or(0);
            let sign = if e < 0 { '-' } else { '+' };
            format!("{mantissa}e{sign}{:02}", e.unsigned_abs())
        }
        None => s,
    }
}

/// The entries of the sub-tensor `i` along the first dimension of a row-major
/// `data` of shape `shape`.
fn sub<'a>(data: &'a [f64], shape: &[usize], i: usize) -> &'a [f64] {
    let step = shape[1..].iter().product::<usize>();
    &data[i * step..(i + 1) * step]
}

/// The indices printed along a dimension of size `n`: all, or the first and last
/// `EDGE_ITEMS` when summarising (`None` marks the `...`).
fn shown(n: usize, summarize: bool) -> Vec<Option<usize>> {
    if summarize && n > 2 * EDGE_ITEMS {
        (0..EDGE_ITEMS)
            .map(Some)
            .chain([None])
            .chain((n - EDGE_ITEMS..n).map(Some))
            .collect()
    } else {
        (0..n).map(Some).collect()
    }
}

/// PyTorch's `get_summarized_data`: the entries the formatter sees.
fn summarized(data: &[f64], shape: &[usize], out: &mut Vec<f64>) {
    match shape {
        [] => out.extend_from_slice(data),
        [_] => {
            for i in shown(data.len(), true).into_iter().flatten() {
                out.push(data[i]);
            }
        }
        [n, rest @ ..] => {
            for i in shown(*n, true).into_iter().flatten() {
                summarized(sub(data, shape, i), rest, out);
            }
        }
    }
}

/// PyTorch's `_tensor_str_with_formatter`.
fn tensor_str(
    data: &[f64],
    shape: &[usize],
    indent: usize,
    summarize: bool,
    f: &Formatter,
) -> String {
    match shape {
        [] => f.format(data[0]),
        [n] => {
            let element_length = f.max_width + 2;
            let per_line = (LINE_WIDTH.saturating_sub(indent) / element_length).max(1);
            let items: Vec<String> = shown(*n, summarize)
                .into_iter()
                .map(|i| match i {
                    Some(i) => f.format(data[i]),
                    None => " ...".into(),
                })
                .collect();
            let lines: Vec<String> = items.chunks(per_line).map(|l| l.join(", ")).collect();
            let sep = format!(",\n{}", " ".repeat(indent + 1));
            format!("[{}]", lines.join(&sep))
        }
        [n, rest @ ..] => {
            let slices: Vec<String> = shown(*n, summarize)
                .into_iter()
                .map(|i| match i {
                    Some(i) => tensor_str(sub(data, shape, i), rest, indent + 1, summarize, f),
                    None => "...".into(),
                })
                .collect();
            let sep = format!(
                ",{}{}",
                "\n".repeat(shape.len() - 1),
                " ".repeat(indent + 1)
            );
            format!("[{}]", slices.join(&sep))
        }
    }
}

/// PyTorch's `_add_suffixes`: `, suffix` on the last line while it fits in the
/// line width, else on a line of its own.
fn add_suffixes(body: String, suffixes: &[String], indent: usize) -> String {
    let mut last_line_len = body.len() - body.rfind('\n').map_or(0, |i| i) + 1;
    let mut out = body;
    for s in suffixes {
        if last_line_len + s.len() + 2 > LINE_WIDTH {
            out.push_str(&format!(",\n{}{s}", " ".repeat(indent)));
            last_line_len = indent + s.len();
        } else {
            out.push_str(&format!(", {s}"));
            last_line_len += s.len() + 2;
        }
    }
    out.push(')');
    out
}

impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = "tensor(";
        let indent = prefix.len();
        let shape = self.shape().to_vec();
        // Entries as Python floats: an f32 widened exactly, as `tolist()` does.
        let data: Vec<f64> = match self.dtype() {
            DType::F32 => self.to_vec::<f32>().into_iter().map(f64::from).collect(),
            DType::F64 => self.to_vec::<f64>(),
        };
        let mut suffixes = Vec::new();
        let body = if data.is_empty() {
            if shape != [0] {
                let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
                let tuple = match dims.len() {
                    1 => format!("({},)", dims[0]),
                    _ => format!("({})", dims.join(", ")),
                };
                suffixes.push(format!("size={tuple}"));
            }
            "[]".to_string()
        } else {
            let summarize = data.len() > THRESHOLD;
            let formatter = if summarize {
                let mut seen = Vec::new();
                summarized(&data, &shape, &mut seen);
                Formatter::new(&seen)
            } else {
                Formatter::new(&data)
            };
            tensor_str(&data, &shape, indent, summarize, &formatter)
        };
        // PyTorch names the dtype only when it is not the default one.
        if self.dtype() != get_default_dtype() {
            suffixes.push(format!("dtype=torch.{}", self.dtype().name()));
        }
        match self.grad_fn() {
            Some(n) => suffixes.push(format!("grad_fn=<{}>", n.name())),
            None if self.requires_grad() => suffixes.push("requires_grad=True".into()),
            None => {}
        }
        f.write_str(&add_suffixes(format!("{prefix}{body}"), &suffixes, indent))
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
