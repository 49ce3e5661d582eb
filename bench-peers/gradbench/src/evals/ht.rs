//! GradBench's `ht` eval (ADBench's hand tracking). A hand is a tree of bones
//! (`parents[b] < b`, `-1` for the root) skinning a mesh; `theta` (26 entries)
//! poses it:
//!
//! ```text
//! theta = [global rotation (scaled axis, 3), global translation (3),
//!          per finger f in 0..5: bone 2+4f (x, z), bone 3+4f (x), bone 4+4f (x)]
//! R_b        = Rz(z) Ry(y) Rx(x)              the bone's Euler angles (0 where theta has none)
//! relative_b = base_relative_b [R_b 0; 0 1]
//! absolute_b = absolute_parent(b) relative_b  (relative_b at the root)
//! T_b        = top three rows of absolute_b inverse_base_absolute_b
//! p_v        = sum_b weight(v, b) T_b base_position_v, x negated if the hand is mirrored
//! q_v        = G p_v + t                      G the rotation of theta[0..3] (identity below norm 1e-4)
//! ```
//!
//! The residual of point `i` is `points_i - q_v` with `v = correspondences_i`
//! (the simple variant, `us` empty), or `points_i - (u0 q_a + u1 q_b + (1 - u0 -
//! u1) q_c)` with `(a, b, c)` the vertices of triangle `correspondences_i` and
//! `(u0, u1) = us_i` (the complicated variant). The objective is the `3 n`
//! residuals, point after point; the Jacobian is `3 n` rows of `26` columns
//! (one per theta entry), the complicated variant putting two columns first:
//! row `3 i + c` holds `d residual_{3i+c} / d us_i` there (the only `us` that
//! residual depends on).
//!
//! Both variants compute the vertices the points use, and only those.

use autograd::nalgebra::{Matrix3, Matrix3x4, Matrix4, SMatrix, Vector3, Vector4};
use autograd::prelude::*;

/// The number of pose parameters.
pub const NTHETA: usize = 26;

/// The hand model, as the eval sends it (`base_relatives` and
/// `inverse_base_absolutes` row after row, `base_positions` homogeneous).
pub struct Model {
    /// Each bone's parent, `None` at the root; parents come before their bones.
    pub parents: Vec<Option<usize>>,
    /// Each bone's rest transform relative to its parent.
    pub base_relatives: Vec<Matrix4<f64>>,
    /// The inverse of each bone's rest transform relative to the root.
    pub inverse_base_absolutes: Vec<Matrix4<f64>>,
    /// Each vertex's rest position, homogeneous.
    pub base_positions: Vec<Vector4<f64>>,
    /// `weights[v * bones + b]`: bone `b`'s weight in vertex `v`.
    pub weights: Vec<f64>,
    /// Each vertex's bones of non-zero weight, with their weights.
    pub skin: Vec<Vec<(usize, f64)>>,
    /// Each triangle's three vertices.
    pub triangles: Vec<[usize; 3]>,
    /// Whether the x coordinate of the skinned vertices is negated.
    pub is_mirrored: bool,
}

/// One evaluation: the model, the observed points, `theta` and `us` (empty in
/// the simple variant).
pub struct Input {
    /// The hand.
    pub model: Model,
    /// Point `i`'s vertex (simple) or triangle (complicated).
    pub correspondences: Vec<usize>,
    /// The observed points.
    pub points: Vec<Vector3<f64>>,
    /// The pose parameters.
    pub theta: [f64; NTHETA],
    /// Point `i`'s barycentric coordinates on its triangle; empty when simple.
    pub us: Vec<[f64; 2]>,
}

impl Model {
    /// Checks the sizes and indices and gathers each vertex's bones.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        parents: Vec<Option<usize>>,
        base_relatives: Vec<Matrix4<f64>>,
        inverse_base_absolutes: Vec<Matrix4<f64>>,
        base_positions: Vec<Vector4<f64>>,
        weights: Vec<f64>,
        triangles: Vec<[usize; 3]>,
        is_mirrored: bool,
    ) -> Result<Model, String> {
        let bones = parents.len();
        if bones < 21 {
            return Err(format!(
                "the pose parameters need at least 21 bones, the model has {bones}"
            ));
        }
        if parents
            .iter()
            .enumerate()
            .any(|(b, p)| p.is_some_and(|p| p >= b))
        {
            return Err("a bone's parent must come before it".into());
        }
        if base_relatives.len() != bones || inverse_base_absolutes.len() != bones {
            return Err("one base relative and inverse base absolute per bone".into());
        }
        let verts = base_positions.len();
        if weights.len() != verts * bones {
            return Err(format!(
                "weights has {} entries, expected {verts} vertices x {bones} bones",
                weights.len()
            ));
        }
        if triangles.iter().flatten().any(|&v| v >= verts) {
            return Err("a triangle names a vertex that does not exist".into());
        }
        let skin = weights
            .chunks(bones)
            .map(|row| {
                row.iter()
                    .enumerate()
                    .filter(|(_, &w)| w != 0.0)
                    .map(|(b, &w)| (b, w))
                    .collect()
            })
            .collect();
        Ok(Model {
            parents,
            base_relatives,
            inverse_base_absolutes,
            base_positions,
            weights,
            skin,
            triangles,
            is_mirrored,
        })
    }

    /// The number of bones.
    pub fn bones(&self) -> usize {
        self.parents.len()
    }
}

impl Input {
    /// Checks the correspondences (vertices or triangles) and the sizes of
    /// `points` and `us`.
    pub fn check(&self) -> Result<(), String> {
        let n = self.correspondences.len();
        if self.points.len() != n {
            return Err(format!(
                "{} points for {n} correspondences",
                self.points.len()
            ));
        }
        let limit = if self.us.is_empty() {
            self.model.base_positions.len()
        } else if self.us.len() == n {
            self.model.triangles.len()
        } else {
            return Err(format!("{} us for {n} correspondences", self.us.len()));
        };
        if self.correspondences.iter().any(|&c| c >= limit) {
            return Err("a correspondence names a vertex or triangle that does not exist".into());
        }
        Ok(())
    }

    /// The number of Jacobian columns: 26, or 28 with the two of `us`.
    pub fn columns(&self) -> usize {
        NTHETA + if self.us.is_empty() { 0 } else { 2 }
    }

    /// The vertices the points use, once each, and each vertex's index in that
    /// list (`usize::MAX` for the others).
    pub fn used_vertices(&self) -> (Vec<usize>, Vec<usize>) {
        let mut slot = vec![usize::MAX; self.model.base_positions.len()];
        let mut used = Vec::new();
        let mut add = |v: usize| {
            if slot[v] == usize::MAX {
                slot[v] = used.len();
                used.push(v);
            }
        };
        if self.us.is_empty() {
            self.correspondences.iter().for_each(|&v| add(v));
        } else {
            for &t in &self.correspondences {
                self.model.triangles[t].iter().for_each(|&v| add(v));
            }
        }
        (used, slot)
    }
}

/// Which theta entry drives each of bone `b`'s Euler angles `(x, z, y)`, as
/// ADBench lays them out: bone `2 + 4f` of finger `f` has x and z, bones `3 +
/// 4f` and `4 + 4f` have x, every other bone none.
pub fn angle_slots(bones: usize) -> Vec<[Option<usize>; 3]> {
    let mut slots = vec![[None; 3]; bones];
    for f in 0..5 {
        let base = 6 + 4 * f;
        slots[2 + 4 * f] = [Some(base), Some(base + 1), None];
        slots[3 + 4 * f] = [Some(base + 2), None, None];
        slots[4 + 4 * f] = [Some(base + 3), None, None];
    }
    slots
}

/// The rotation `Rz(z) Ry(y) Rx(x)` of the Euler angles `xzy = (x, z, y)`.
#[differentiable]
pub fn euler_rotation(xzy: Vector3<f64>) -> Matrix3<f64> {
    let (cx, sx) = (xzy[0].cos(), xzy[0].sin());
    let (cz, sz) = (xzy[1].cos(), xzy[1].sin());
    let (cy, sy) = (xzy[2].cos(), xzy[2].sin());
    let mut m = SMatrix::<f64, 3, 3>::from_element(0.0);
    m[(0, 0)] = cz * cy;
    m[(0, 1)] = cz * sy * sx - sz * cx;
    m[(0, 2)] = cz * sy * cx + sz * sx;
    m[(1, 0)] = sz * cy;
    m[(1, 1)] = sz * sy * sx + cz * cx;
    m[(1, 2)] = sz * sy * cx - cz * sx;
    m[(2, 0)] = -sy;
    m[(2, 1)] = cy * sx;
    m[(2, 2)] = cy * cx;
    m
}

/// The rotation by `|w|` about `w` (Rodrigues' formula), the identity when
/// `|w| < 1e-4`, as the eval's reference has it.
#[differentiable]
pub fn axis_angle_rotation(w: Vector3<f64>) -> Matrix3<f64> {
    let angle = w.norm();
    let mut m = SMatrix::<f64, 3, 3>::from_element(0.0);
    if angle < 1e-4 {
        m[(0, 0)] = 1.0;
        m[(1, 1)] = 1.0;
        m[(2, 2)] = 1.0;
    } else {
        let (x, y, z) = (w[0] / angle, w[1] / angle, w[2] / angle);
        let (c, s) = (angle.cos(), angle.sin());
        let k = 1.0 - c;
        m[(0, 0)] = c + x * x * k;
        m[(0, 1)] = x * y * k - z * s;
        m[(0, 2)] = x * z * k + y * s;
        m[(1, 0)] = x * y * k + z * s;
        m[(1, 1)] = c + y * y * k;
        m[(1, 2)] = y * z * k - x * s;
        m[(2, 0)] = x * z * k - y * s;
        m[(2, 1)] = y * z * k + x * s;
        m[(2, 2)] = c + z * z * k;
    }
    m
}

/// Bone `b`'s Euler angles from theta.
fn bone_angles(theta: &[f64; NTHETA], slots: &[Option<usize>; 3]) -> Vector3<f64> {
    Vector3::from_fn(|r, _| slots[r].map_or(0.0, |k| theta[k]))
}

/// `base [r 0; 0 1]` for a rotation or its derivative `r` (`last` the
/// homogeneous entry: 1, or 0 for a derivative).
fn with_rotation(base: &Matrix4<f64>, r: &Matrix3<f64>, last: f64) -> Matrix4<f64> {
    let mut tr = Matrix4::zeros();
    tr.fixed_view_mut::<3, 3>(0, 0).copy_from(r);
    tr[(3, 3)] = last;
    base * tr
}

/// The skinned (and mirrored) position of vertex `v` under the bone transforms.
fn skin_vertex(model: &Model, transforms: &[Matrix3x4<f64>], v: usize) -> Vector3<f64> {
    let mut blend = Matrix3x4::zeros();
    for &(b, w) in &model.skin[v] {
        blend += transforms[b] * w;
    }
    let mut p = blend * model.base_positions[v];
    if model.is_mirrored {
        p[0] = -p[0];
    }
    p
}

/// The residuals of the points given each used vertex's posed position.
fn residuals(input: &Input, slot: &[usize], q: &[Vector3<f64>]) -> Vec<f64> {
    let mut out = Vec::with_capacity(3 * input.points.len());
    for (i, (&c, pt)) in input.correspondences.iter().zip(&input.points).enumerate() {
        let hand = if input.us.is_empty() {
            q[slot[c]]
        } else {
            let [a, b, d] = input.model.triangles[c];
            let [u0, u1] = input.us[i];
            q[slot[a]] * u0 + q[slot[b]] * u1 + q[slot[d]] * (1.0 - u0 - u1)
        };
        out.extend_from_slice((pt - hand).as_slice());
    }
    out
}

/// The objective with the static engine's functions (their values only).
pub fn static_objective(input: &Input) -> Vec<f64> {
    let model = &input.model;
    let slots = angle_slots(model.bones());
    let mut absolutes: Vec<Matrix4<f64>> = Vec::with_capacity(model.bones());
    let mut transforms = Vec::with_capacity(model.bones());
    for (b, slot) in slots.iter().enumerate() {
        let r = euler_rotation(bone_angles(&input.theta, slot));
        let relative = with_rotation(&model.base_relatives[b], &r, 1.0);
        let absolute = match model.parents[b] {
            Some(p) => absolutes[p] * relative,
            None => relative,
        };
        transforms.push(
            (absolute * model.inverse_base_absolutes[b])
                .fixed_rows::<3>(0)
                .into_owned(),
        );
        absolutes.push(absolute);
    }
    let g = axis_angle_rotation(Vector3::new(input.theta[0], input.theta[1], input.theta[2]));
    let t = Vector3::new(input.theta[3], input.theta[4], input.theta[5]);
    let (used, slot) = input.used_vertices();
    let q: Vec<Vector3<f64>> = used
        .iter()
        .map(|&v| g * skin_vertex(model, &transforms, v) + t)
        .collect();
    residuals(input, &slot, &q)
}

/// The Jacobian (row-major, `3 n x columns()`) with the static engine: the
/// Jacobians of each bone's Euler rotation and of the global rotation come from
/// `euler_rotation::jacobian` and `axis_angle_rotation::jacobian` (forward
/// sweeps, three columns each); the rest of the objective is linear in those
/// rotations' values or products with constants, so the chain rule through the
/// bone tree, the skinning and the residuals is plain Rust carrying one tangent
/// per theta entry a bone depends on.
pub fn static_jacobian(input: &Input) -> Vec<f64> {
    let model = &input.model;
    let bones = model.bones();
    let slots = angle_slots(bones);
    let mut absolutes: Vec<Matrix4<f64>> = Vec::with_capacity(bones);
    // Per bone, (theta entry, derivative of its absolute transform).
    let mut d_absolutes: Vec<Vec<(usize, Matrix4<f64>)>> = Vec::with_capacity(bones);
    let mut transforms = Vec::with_capacity(bones);
    let mut d_transforms: Vec<Vec<(usize, Matrix3x4<f64>)>> = Vec::with_capacity(bones);
    for (b, slot) in slots.iter().enumerate() {
        let angles = bone_angles(&input.theta, slot);
        let r = euler_rotation(angles);
        let base = &model.base_relatives[b];
        let relative = with_rotation(base, &r, 1.0);
        let mut d_abs = Vec::new();
        let own = slot
            .iter()
            .enumerate()
            .filter_map(|(j, s)| s.map(|k| (j, k)));
        let dr = if slot.iter().any(Option::is_some) {
            Some(euler_rotation::jacobian(angles))
        } else {
            None
        };
        let absolute = match model.parents[b] {
            Some(p) => {
                for (k, d) in &d_absolutes[p] {
                    d_abs.push((*k, d * relative));
                }
                for (j, k) in own {
                    let dr_j =
                        Matrix3::from_column_slice(dr.as_ref().unwrap().column(j).as_slice());
                    d_abs.push((k, absolutes[p] * with_rotation(base, &dr_j, 0.0)));
                }
                absolutes[p] * relative
            }
            None => {
                for (j, k) in own {
                    let dr_j =
                        Matrix3::from_column_slice(dr.as_ref().unwrap().column(j).as_slice());
                    d_abs.push((k, with_rotation(base, &dr_j, 0.0)));
                }
                relative
            }
        };
        let inv = &model.inverse_base_absolutes[b];
        transforms.push((absolute * inv).fixed_rows::<3>(0).into_owned());
        d_transforms.push(
            d_abs
                .iter()
                .map(|(k, d)| (*k, (d * inv).fixed_rows::<3>(0).into_owned()))
                .collect(),
        );
        absolutes.push(absolute);
        d_absolutes.push(d_abs);
    }
    let w = Vector3::new(input.theta[0], input.theta[1], input.theta[2]);
    let g = axis_angle_rotation(w);
    let dg = axis_angle_rotation::jacobian(w);
    let dg: [Matrix3<f64>; 3] =
        std::array::from_fn(|j| Matrix3::from_column_slice(dg.column(j).as_slice()));
    let t = Vector3::new(input.theta[3], input.theta[4], input.theta[5]);
    let (used, slot) = input.used_vertices();
    let mut q = Vec::with_capacity(used.len());
    // dq[v]: column k is d q_v / d theta_k.
    let mut dq: Vec<SMatrix<f64, 3, NTHETA>> = Vec::with_capacity(used.len());
    let sign = if model.is_mirrored { -1.0 } else { 1.0 };
    for &v in &used {
        let p = skin_vertex(model, &transforms, v);
        let mut d = SMatrix::<f64, 3, NTHETA>::zeros();
        for (j, dgj) in dg.iter().enumerate() {
            d.set_column(j, &(dgj * p));
        }
        d.fixed_view_mut::<3, 3>(0, 3).fill_with_identity();
        let x = &model.base_positions[v];
        for &(b, wt) in &model.skin[v] {
            for (k, dt) in &d_transforms[b] {
                let mut dp = dt * x * wt;
                dp[0] *= sign;
                let col = d.column(*k) + g * dp;
                d.set_column(*k, &col);
            }
        }
        q.push(g * p + t);
        dq.push(d);
    }
    let cols = input.columns();
    let first = cols - NTHETA;
    let mut jac = vec![0.0; 3 * input.points.len() * cols];
    for (i, &c) in input.correspondences.iter().enumerate() {
        let block = &mut jac[3 * i * cols..3 * (i + 1) * cols];
        let d = if input.us.is_empty() {
            dq[slot[c]]
        } else {
            let [a, b, e] = model.triangles[c];
            let [u0, u1] = input.us[i];
            let (qa, qb, qe) = (q[slot[a]], q[slot[b]], q[slot[e]]);
            for r in 0..3 {
                block[r * cols] = qe[r] - qa[r];
                block[r * cols + 1] = qe[r] - qb[r];
            }
            dq[slot[a]] * u0 + dq[slot[b]] * u1 + dq[slot[e]] * (1.0 - u0 - u1)
        };
        for r in 0..3 {
            for k in 0..NTHETA {
                block[r * cols + first + k] = -d[(r, k)];
            }
        }
    }
    jac
}

/// The model's constants as tensors, bones in the order of their depth in the
/// tree (roots first), so that each depth's absolute transforms are one batched
/// product with their parents'.
struct TapeModel {
    /// Per depth, the positions of its bones' parents in the depth above.
    parent_pos: Vec<Vec<usize>>,
    /// Per depth, its bones.
    levels: Vec<Vec<usize>>,
    /// `base_relatives`, first three columns `(bones, 4, 3)` and last `(bones, 4, 1)`.
    base_rot: Tensor,
    base_last: Tensor,
    /// Per depth, its bones' inverse base absolutes `(k, 4, 4)`.
    inverse: Vec<Tensor>,
    /// `theta` padded with a 0, indexed to give each bone's `(x, z, y)`.
    angle_index: Vec<usize>,
    /// The used vertices' weights `(V, bones)`, bones in depth order.
    weights: Tensor,
    /// The used vertices' base positions `(V, 4, 1)`.
    positions: Tensor,
}

fn mat_tensor(ms: &[&Matrix4<f64>]) -> Tensor {
    let mut data = Vec::with_capacity(16 * ms.len());
    for m in ms {
        for r in 0..4 {
            for c in 0..4 {
                data.push(m[(r, c)]);
            }
        }
    }
    Tensor::from_vec(data, &[ms.len(), 4, 4])
}

impl TapeModel {
    fn new(model: &Model, used: &[usize]) -> TapeModel {
        let bones = model.bones();
        let mut depth = vec![0usize; bones];
        for b in 0..bones {
            if let Some(p) = model.parents[b] {
                depth[b] = depth[p] + 1;
            }
        }
        let nlevels = depth.iter().max().map_or(0, |d| d + 1);
        let mut levels = vec![Vec::new(); nlevels];
        let mut pos = vec![0; bones];
        for b in 0..bones {
            pos[b] = levels[depth[b]].len();
            levels[depth[b]].push(b);
        }
        let parent_pos = levels
            .iter()
            .map(|l| {
                l.iter()
                    .filter_map(|&b| model.parents[b].map(|p| pos[p]))
                    .collect()
            })
            .collect();
        let base = mat_tensor(&model.base_relatives.iter().collect::<Vec<_>>());
        let inverse = levels
            .iter()
            .map(|l| {
                mat_tensor(
                    &l.iter()
                        .map(|&b| &model.inverse_base_absolutes[b])
                        .collect::<Vec<_>>(),
                )
            })
            .collect();
        let slots = angle_slots(bones);
        let angle_index = slots
            .iter()
            .flat_map(|s| s.map(|k| k.unwrap_or(NTHETA)))
            .collect();
        let order: Vec<usize> = levels.iter().flatten().copied().collect();
        let mut w = Vec::with_capacity(used.len() * bones);
        let mut x = Vec::with_capacity(used.len() * 4);
        for &v in used {
            w.extend(order.iter().map(|&b| model.weights[v * bones + b]));
            x.extend_from_slice(model.base_positions[v].as_slice());
        }
        TapeModel {
            parent_pos,
            levels,
            base_rot: base.narrow(2, 0, 3),
            base_last: base.narrow(2, 3, 1),
            inverse,
            angle_index,
            weights: Tensor::from_vec(w, &[used.len(), bones]),
            positions: Tensor::from_vec(x, &[used.len(), 4, 1]),
        }
    }
}

/// The residuals on the tape, as a PyTorch user writes them: all bones'
/// rotations at once, one batched product per depth of the tree, the skinning
/// as a product of the weights with the flattened transforms, and the vertices
/// and points as batches.
fn tape_residuals(
    input: &Input,
    tm: &TapeModel,
    slot: &[usize],
    theta: &Tensor,
    us: Option<&Tensor>,
) -> Tensor {
    let model = &input.model;
    let bones = model.bones();
    let padded = Tensor::cat(&[theta.clone(), Tensor::from_vec(vec![0.0f64], &[1])], 0);
    let angles = padded.index_select(0, &tm.angle_index).reshape(&[bones, 3]);
    let (c, s) = (angles.cos(), angles.sin());
    let col = |t: &Tensor, j: usize| t.narrow(1, j, 1);
    let (cx, sx) = (col(&c, 0), col(&s, 0));
    let (cz, sz) = (col(&c, 1), col(&s, 1));
    let (cy, sy) = (col(&c, 2), col(&s, 2));
    let entries = [
        &cz * &cy,
        &cz * &sy * &sx - &sz * &cx,
        &cz * &sy * &cx + &sz * &sx,
        &sz * &cy,
        &sz * &sy * &sx + &cz * &cx,
        &sz * &sy * &cx - &cz * &sx,
        -&sy,
        &cy * &sx,
        &cy * &cx,
    ];
    let rot = Tensor::cat(&entries, 1).reshape(&[bones, 3, 3]);
    let relatives = Tensor::cat(&[tm.base_rot.bmm(&rot), tm.base_last.clone()], 2);
    let mut transforms = Vec::with_capacity(tm.levels.len());
    let mut above: Option<Tensor> = None;
    for (l, level) in tm.levels.iter().enumerate() {
        let rel = relatives.index_select(0, level);
        let abs = match &above {
            Some(a) => a.index_select(0, &tm.parent_pos[l]).bmm(&rel),
            None => rel,
        };
        transforms.push(abs.narrow(1, 0, 3).bmm(&tm.inverse[l]));
        above = Some(abs);
    }
    let flat = Tensor::cat(&transforms, 0).reshape(&[bones, 12]);
    let nv = tm.positions.shape()[0];
    let blend = tm.weights.matmul(&flat).reshape(&[nv, 3, 4]);
    let mut p = blend.bmm(&tm.positions).reshape(&[nv, 3]);
    if model.is_mirrored {
        p *= Tensor::from_vec(vec![-1.0, 1.0, 1.0], &[3]);
    }
    let w = theta.narrow(0, 0, 3);
    let angle = (&w * &w).sum().sqrt();
    let g = if angle.item() < 1e-4 {
        Tensor::from_vec(
            vec![1.0f64, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
            &[3, 3],
        )
    } else {
        let axis = &w / &angle;
        let (x, y, z) = (
            axis.narrow(0, 0, 1),
            axis.narrow(0, 1, 1),
            axis.narrow(0, 2, 1),
        );
        let (c, s) = (angle.cos().reshape(&[1]), angle.sin().reshape(&[1]));
        let k = 1.0 - &c;
        let e = [
            &c + &x * &x * &k,
            &x * &y * &k - &z * &s,
            &x * &z * &k + &y * &s,
            &x * &y * &k + &z * &s,
            &c + &y * &y * &k,
            &y * &z * &k - &x * &s,
            &x * &z * &k - &y * &s,
            &y * &z * &k + &x * &s,
            &c + &z * &z * &k,
        ];
        Tensor::cat(&e, 0).reshape(&[3, 3])
    };
    let q = p.matmul(&g.t()) + theta.narrow(0, 3, 3);
    let n = input.points.len();
    let pts = Tensor::from_vec(
        input
            .points
            .iter()
            .flat_map(|p| p.iter().copied())
            .collect(),
        &[n, 3],
    );
    let hand = match us {
        None => {
            let idx: Vec<usize> = input.correspondences.iter().map(|&v| slot[v]).collect();
            q.index_select(0, &idx)
        }
        Some(us) => {
            let corner = |j: usize| -> Vec<usize> {
                input
                    .correspondences
                    .iter()
                    .map(|&t| slot[model.triangles[t][j]])
                    .collect()
            };
            let (u0, u1) = (us.narrow(1, 0, 1), us.narrow(1, 1, 1));
            let u2 = 1.0 - &u0 - &u1;
            q.index_select(0, &corner(0)) * u0
                + q.index_select(0, &corner(1)) * u1
                + q.index_select(0, &corner(2)) * u2
        }
    };
    (pts - hand).reshape(&[3 * n])
}

fn us_tensor(input: &Input) -> Option<Tensor> {
    if input.us.is_empty() {
        return None;
    }
    let flat = input.us.iter().flat_map(|u| u.iter().copied()).collect();
    Some(Tensor::from_vec(flat, &[input.us.len(), 2]))
}

/// The objective on the tape.
pub fn tape_objective(input: &Input) -> Vec<f64> {
    let (used, slot) = input.used_vertices();
    let tm = TapeModel::new(&input.model, &used);
    let theta = Tensor::from_vec(input.theta.to_vec(), &[NTHETA]);
    let us = us_tensor(input);
    tape_residuals(input, &tm, &slot, &theta, us.as_ref()).to_vec::<f64>()
}

/// The Jacobian (row-major, `3 n x columns()`) on the tape, one column at a
/// time by the double-backward trick (`autograd::functional::jvp`'s): one
/// backward of the residuals against a cotangent `u` that builds its graph
/// (`g = J^T u`, linear in `u`), then one backward of `g_k` per theta entry
/// `k`, whose gradient with respect to `u` is column `k`. The two `us` columns
/// are the gradients of `sum_i g_{us_i, j}`: residual `3i + c` depends on
/// `us_i` alone, so the product of `J` with a tangent of ones on every
/// `us_i[j]` is the column. 26 (or 28) backwards of a graph as big as the
/// objective's, against one backward per residual (`3 n`) in PyTorch's tool.
pub fn tape_jacobian(input: &Input) -> Vec<f64> {
    let (used, slot) = input.used_vertices();
    let tm = TapeModel::new(&input.model, &used);
    let theta = Tensor::from_vec(input.theta.to_vec(), &[NTHETA]).requires_grad_(true);
    let us = us_tensor(input).map(|u| u.requires_grad_(true));
    let r = tape_residuals(input, &tm, &slot, &theta, us.as_ref());
    let rows = r.shape()[0];
    let u = Tensor::from_vec(vec![0.0f64; rows], &[rows]).requires_grad_(true);
    let mut inputs = vec![theta.clone()];
    inputs.extend(us.iter().cloned());
    let g = autograd::grad(&r, &inputs, Some(std::slice::from_ref(&u)), true, true)
        .expect("backward of the residuals");
    let mut outs: Vec<Tensor> = Vec::with_capacity(NTHETA + 2);
    if us.is_some() {
        for j in 0..2 {
            outs.push(g[1].narrow(1, j, 1).sum());
        }
    }
    for k in 0..NTHETA {
        outs.push(g[0].narrow(0, k, 1).sum());
    }
    let cols = outs.len();
    let mut jac = vec![0.0; rows * cols];
    for (k, o) in outs.iter().enumerate() {
        if !o.requires_grad() {
            continue;
        }
        let column = autograd::grad(o, &u, None, k + 1 < cols, false)
            .expect("backward of a column")
            .remove(0)
            .to_vec::<f64>();
        for (i, v) in column.into_iter().enumerate() {
            jac[i * cols + k] = v;
        }
    }
    jac
}
