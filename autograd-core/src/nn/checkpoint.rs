//! State dicts as safetensors files: the layout PyTorch's `safetensors.torch`
//! writes (little-endian `F32`/`F64` data under each tensor's dotted name), so
//! checkpoints move between frameworks.

use super::StateDict;
use crate::error::Result;
use crate::{DType, Error, Tensor};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::path::Path;

fn io_error(op: &'static str, path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Conversion {
        op,
        shape: vec![],
        reason: format!("{}: {e}", path.display()),
    }
}

/// Little-endian bytes of a tensor's data.
fn bytes(t: &Tensor) -> (Dtype, Vec<u8>) {
    match t.dtype() {
        DType::F32 => (
            Dtype::F32,
            t.to_vec::<f32>()
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect(),
        ),
        DType::F64 => (
            Dtype::F64,
            t.to_vec::<f64>()
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect(),
        ),
    }
}

/// Writes `state` to `path` as a safetensors file (`safetensors.torch.save_file`).
///
/// # Errors
/// [`Error::Conversion`] naming the file when it cannot be written.
pub fn save(state: &StateDict, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let data: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = state
        .iter()
        .map(|(n, t)| {
            let (d, b) = bytes(t);
            (n.clone(), d, t.shape().to_vec(), b)
        })
        .collect();
    let views = data
        .iter()
        .map(|(n, d, s, b)| Ok((n.as_str(), TensorView::new(*d, s.clone(), b)?)))
        .collect::<std::result::Result<Vec<_>, safetensors::SafeTensorError>>()
        .map_err(|e| io_error("nn::save", path, e))?;
    let buf = safetensors::serialize(views, None).map_err(|e| io_error("nn::save", path, e))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io_error("nn::save", path, e))?;
    }
    std::fs::write(path, buf).map_err(|e| io_error("nn::save", path, e))
}

/// Reads a safetensors file into a state dict (`safetensors.torch.load_file`):
/// `F32` and `F64` tensors as they are, `I64` and `I32` ones (integer buffers
/// such as `num_batches_tracked`) as `F64`; other types are an error naming the
/// tensor.
///
/// # Errors
/// [`Error::Conversion`] when the file cannot be read or parsed, or holds a
/// tensor of another type.
pub fn load(path: impl AsRef<Path>) -> Result<StateDict> {
    let path = path.as_ref();
    let buf = std::fs::read(path).map_err(|e| io_error("nn::load", path, e))?;
    let st = SafeTensors::deserialize(&buf).map_err(|e| io_error("nn::load", path, e))?;
    let mut out = StateDict::new();
    for (name, view) in st.tensors() {
        let shape = view.shape().to_vec();
        let data = view.data();
        let t = match view.dtype() {
            Dtype::F32 => Tensor::from_vec(
                data.chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect::<Vec<_>>(),
                &shape,
            ),
            Dtype::F64 => Tensor::from_vec(
                data.chunks_exact(8)
                    .map(|c| {
                        let mut a = [0u8; 8];
                        a.copy_from_slice(c);
                        f64::from_le_bytes(a)
                    })
                    .collect::<Vec<_>>(),
                &shape,
            ),
            // Integer buffers (PyTorch's `num_batches_tracked` is an `int64`).
            Dtype::I64 => Tensor::from_vec(
                data.chunks_exact(8)
                    .map(|c| {
                        let mut a = [0u8; 8];
                        a.copy_from_slice(c);
                        i64::from_le_bytes(a) as f64
                    })
                    .collect::<Vec<_>>(),
                &shape,
            ),
            Dtype::I32 => Tensor::from_vec(
                data.chunks_exact(4)
                    .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64)
                    .collect::<Vec<_>>(),
                &shape,
            ),
            other => {
                return Err(Error::Conversion {
                    op: "nn::load",
                    shape,
                    reason: format!(
                        "{}: tensor `{name}` has type {other:?}; only F32, F64, I64 and I32 are supported",
                        path.display()
                    ),
                })
            }
        };
        out.insert(name, t);
    }
    Ok(out)
}
