//! Writes every workload's inputs, parameters and our reference loss and
//! gradients as JSON for `pytorch_bench.py` (f32 values are written exactly:
//! each is the shortest decimal of its f64 widening).

use crate::data::{self, Array, LossGrad};
use std::fmt::Write as _;

fn nums(out: &mut String, v: &[f64]) {
    out.push('[');
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write!(out, "{x:?}").unwrap();
    }
    out.push(']');
}

fn array(out: &mut String, a: &Array) {
    write!(out, "{{\"name\":\"{}\",\"shape\":{:?},\"data\":", a.name, a.shape).unwrap();
    nums(out, &a.data);
    out.push('}');
}

fn arrays(out: &mut String, v: &[Array]) {
    out.push('[');
    for (i, a) in v.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        array(out, a);
    }
    out.push(']');
}

fn reference(out: &mut String, r: &LossGrad) {
    write!(out, "{{\"loss\":{:?},\"grads\":[", r.loss).unwrap();
    for (i, g) in r.grads.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        nums(out, g);
    }
    out.push_str("]}");
}

pub fn write(path: &str) -> std::io::Result<()> {
    let mut s = String::from("{");
    let (w1, w2, w3, w4, w5) = (data::w1(), data::w2(), data::w3(), data::w4(), data::w5());
    let as_f64 = |v: &[f32]| v.iter().map(|&x| x as f64).collect::<Vec<_>>();
    let labels = |v: &[usize]| v.iter().map(|&x| x as f64).collect::<Vec<_>>();

    s.push_str("\"W1\":{\"params\":");
    arrays(&mut s, &[Array::new("w", &[], vec![w1.w]), Array::new("b", &[], vec![w1.b])]);
    s.push_str(",\"t_u\":");
    nums(&mut s, &w1.t_u);
    s.push_str(",\"t_c\":");
    nums(&mut s, &w1.t_c);
    s.push_str(",\"reference\":");
    reference(&mut s, &crate::reference("W1"));

    write!(s, "}},\"W2\":{{\"x\":{:?},\"y\":{:?},\"params\":", w2.x, w2.y).unwrap();
    arrays(&mut s, &[Array::new("w", &[], vec![w2.w]), Array::new("b", &[], vec![w2.b])]);
    s.push_str(",\"reference\":");
    reference(&mut s, &crate::reference("W2"));

    write!(s, "}},\"W3\":{{\"y\":{:?},\"x\":", w3.y).unwrap();
    nums(&mut s, &w3.x);
    s.push_str(",\"params\":");
    arrays(&mut s, &w3.params);
    s.push_str(",\"reference\":");
    reference(&mut s, &crate::reference("W3"));

    write!(s, "}},\"W4\":{{\"lr\":{:?},\"x_shape\":[{},784],\"x\":", data::LR, data::W4_BATCH).unwrap();
    nums(&mut s, &as_f64(&w4.x));
    s.push_str(",\"labels\":");
    nums(&mut s, &labels(&w4.labels));
    s.push_str(",\"params\":");
    arrays(&mut s, &w4.params);
    s.push_str(",\"reference\":");
    reference(&mut s, &crate::reference("W4"));

    write!(
        s,
        "}},\"W5\":{{\"lr\":{:?},\"x_shape\":[{},1,{},{}],\"x\":",
        data::LR,
        data::W5_BATCH,
        data::W5_SIDE,
        data::W5_SIDE
    )
    .unwrap();
    nums(&mut s, &as_f64(&w5.x));
    s.push_str(",\"labels\":");
    nums(&mut s, &labels(&w5.labels));
    s.push_str(",\"params\":");
    arrays(&mut s, &w5.params);
    s.push_str(",\"reference\":");
    reference(&mut s, &crate::reference("W5"));
    s.push_str("}}\n");

    if let Some(dir) = std::path::Path::new(path).parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, s)
}
