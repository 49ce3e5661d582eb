//! Data sets and loaders (PyTorch's `torch.utils.data`).
//!
//! - [`Dataset`]: indexed examples; [`TensorDataset`] over tensors sharing their
//!   first dimension; [`Subset`] and [`random_split`].
//! - [`DataLoader`]: mini-batches, optionally shuffled with a seed (a new order
//!   each epoch, the same sequence of orders for the same seed), with `drop_last`.
//! - [`Collate`]: how examples stack into a batch.
//! - [`randperm`] and [`randint`], drawn from the generator seeded by
//!   [`crate::manual_seed`].
//!
//! ```
//! use autograd_core::data::{DataLoader, TensorDataset};
//! use autograd_core::Tensor;
//!
//! let x = Tensor::from_vec((0..10).map(|v| v as f32).collect(), &[10, 1]);
//! let y = Tensor::from_vec((0..10).map(|v| (v % 2) as f32).collect(), &[10]);
//! let loader = DataLoader::new(TensorDataset::new(x, y), 4).shuffle(7).drop_last(true);
//! assert_eq!(loader.len(), 2);
//! for (xb, yb) in &loader {
//!     assert_eq!((xb.shape(), yb.shape()), (&[4, 1][..], &[4][..]));
//! }
//! ```

use crate::Tensor;
use std::cell::Cell;

/// An indexed collection of examples (`torch.utils.data.Dataset`).
pub trait Dataset {
    /// One example, e.g. `(input, target)`.
    type Item;

    /// Number of examples (`len(dataset)`).
    fn len(&self) -> usize;

    /// Example `index`, `0 <= index < len()` (`dataset[index]`).
    fn get(&self, index: usize) -> Self::Item;

    /// Whether the data set has no examples.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The examples at `indices`, collated into one batch. The default collates
    /// [`Dataset::get`]; [`TensorDataset`] gathers whole batches at once.
    fn get_batch(&self, indices: &[usize]) -> Self::Item
    where
        Self::Item: Collate,
    {
        Collate::collate(indices.iter().map(|&i| self.get(i)).collect())
    }
}

impl<D: Dataset + ?Sized> Dataset for &D {
    type Item = D::Item;
    fn len(&self) -> usize {
        (**self).len()
    }
    fn get(&self, index: usize) -> D::Item {
        (**self).get(index)
    }
    fn get_batch(&self, indices: &[usize]) -> D::Item
    where
        D::Item: Collate,
    {
        (**self).get_batch(indices)
    }
}

/// Examples that stack into a batch along a new first dimension (PyTorch's
/// `default_collate`): tensors, and tuples of them.
pub trait Collate: Sized {
    /// One batch from the examples, in order.
    fn collate(items: Vec<Self>) -> Self;
}

impl Collate for Tensor {
    /// # Panics
    /// If `items` is empty or the shapes differ.
    fn collate(items: Vec<Tensor>) -> Tensor {
        Tensor::stack(&items, 0)
    }
}

macro_rules! collate_tuple {
    ($($t:ident $i:tt),*) => {
        impl<$($t: Collate),*> Collate for ($($t,)*) {
            fn collate(items: Vec<Self>) -> Self {
                #[allow(non_snake_case)]
                let ($(mut $t,)*) = ($(Vec::<$t>::with_capacity(items.len()),)*);
                for it in items {
                    $($t.push(it.$i);)*
                }
                ($(Collate::collate($t),)*)
            }
        }
    };
}
collate_tuple!(A 0, B 1);
collate_tuple!(A 0, B 1, C 2);

/// Input and target tensors indexed together along their first dimension
/// (`TensorDataset(x, y)`).
#[derive(Clone, Debug)]
pub struct TensorDataset {
    inputs: Tensor,
    targets: Tensor,
}

impl TensorDataset {
    /// The pairs `(inputs[i], targets[i])`.
    ///
    /// # Panics
    /// If the tensors are rank 0 or their first dimensions differ.
    #[track_caller]
    pub fn new(inputs: Tensor, targets: Tensor) -> TensorDataset {
        assert!(
            inputs.ndim() > 0 && targets.ndim() > 0 && inputs.shape()[0] == targets.shape()[0],
            "TensorDataset: tensors of shapes {:?} and {:?} do not share their first dimension",
            inputs.shape(),
            targets.shape()
        );
        TensorDataset { inputs, targets }
    }

    /// All inputs.
    pub fn inputs(&self) -> &Tensor {
        &self.inputs
    }

    /// All targets.
    pub fn targets(&self) -> &Tensor {
        &self.targets
    }
}

impl Dataset for TensorDataset {
    type Item = (Tensor, Tensor);

    fn len(&self) -> usize {
        self.inputs.shape()[0]
    }

    fn get(&self, index: usize) -> (Tensor, Tensor) {
        (
            self.inputs.index_select(0, &[index]).squeeze(0),
            self.targets.index_select(0, &[index]).squeeze(0),
        )
    }

    fn get_batch(&self, indices: &[usize]) -> (Tensor, Tensor) {
        (
            self.inputs.index_select(0, indices),
            self.targets.index_select(0, indices),
        )
    }
}

/// The examples of a data set at the given indices (`torch.utils.data.Subset`).
#[derive(Clone, Debug)]
pub struct Subset<D> {
    dataset: D,
    indices: Vec<usize>,
}

impl<D: Dataset> Subset<D> {
    /// The examples of `dataset` at `indices`, in that order.
    ///
    /// # Panics
    /// If an index is out of range.
    #[track_caller]
    pub fn new(dataset: D, indices: Vec<usize>) -> Subset<D> {
        if let Some(i) = indices.iter().find(|&&i| i >= dataset.len()) {
            panic!(
                "Subset: index {i} is out of range for a data set of {} examples",
                dataset.len()
            );
        }
        Subset { dataset, indices }
    }

    /// The indices into the underlying data set.
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }
}

impl<D: Dataset> Dataset for Subset<D> {
    type Item = D::Item;
    fn len(&self) -> usize {
        self.indices.len()
    }
    fn get(&self, index: usize) -> D::Item {
        self.dataset.get(self.indices[index])
    }
    fn get_batch(&self, indices: &[usize]) -> D::Item
    where
        D::Item: Collate,
    {
        let mapped: Vec<usize> = indices.iter().map(|&i| self.indices[i]).collect();
        self.dataset.get_batch(&mapped)
    }
}

/// Splits `dataset` into non-overlapping random subsets of the given lengths
/// (`torch.utils.data.random_split` with a generator seeded by `seed`). Pass a
/// reference (`&dataset`) to keep the data set.
///
/// # Panics
/// If the lengths do not add up to the data set's length.
#[track_caller]
pub fn random_split<D: Dataset + Clone>(
    dataset: D,
    lengths: &[usize],
    seed: u64,
) -> Vec<Subset<D>> {
    let n = dataset.len();
    assert!(
        lengths.iter().sum::<usize>() == n,
        "random_split: lengths {lengths:?} do not add up to the data set's {n} examples"
    );
    let perm = SplitMix(seed).permutation(n);
    let mut start = 0;
    lengths
        .iter()
        .map(|&len| {
            let s = Subset {
                dataset: dataset.clone(),
                indices: perm[start..start + len].to_vec(),
            };
            start += len;
            s
        })
        .collect()
}

/// A random permutation of `0..n` (`torch.randperm(n)`), from the generator
/// seeded by [`crate::manual_seed`].
pub fn randperm(n: usize) -> Vec<usize> {
    let keys = Tensor::rand(&[n]).to_vec::<f64>();
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| keys[a].total_cmp(&keys[b]));
    idx
}

/// `f32` whole numbers uniform in `low..high` (`torch.randint(low, high, shape)`),
/// from the generator seeded by [`crate::manual_seed`].
///
/// # Panics
/// If `high <= low`.
#[track_caller]
pub fn randint(low: i64, high: i64, shape: &[usize]) -> Tensor {
    assert!(high > low, "randint: the range {low}..{high} is empty");
    let span = (high - low) as f64;
    let v: Vec<f32> = Tensor::rand(shape)
        .to_vec::<f64>()
        .into_iter()
        .map(|u| ((u * span).floor().min(span - 1.0) + low as f64) as f32)
        .collect();
    Tensor::from_vec(v, shape)
}

/// SplitMix64, the loader's own generator, so that shuffling does not disturb
/// the global one that initialises parameters.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Fisher-Yates.
    fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            p.swap(i, j);
        }
        p
    }
}

/// Mini-batches of a data set (`torch.utils.data.DataLoader`), in order or
/// shuffled. Iterating (`for batch in &loader`) runs one epoch; a shuffled
/// loader draws a new order for each epoch from its seed.
#[derive(Debug)]
pub struct DataLoader<D> {
    dataset: D,
    batch_size: usize,
    shuffle: Option<u64>,
    drop_last: bool,
    epoch: Cell<u64>,
}

impl<D: Dataset> DataLoader<D>
where
    D::Item: Collate,
{
    /// Batches of `batch_size` examples in order, the last one possibly smaller.
    ///
    /// # Panics
    /// If `batch_size` is 0.
    #[track_caller]
    pub fn new(dataset: D, batch_size: usize) -> DataLoader<D> {
        assert!(batch_size > 0, "DataLoader: batch_size must be positive");
        DataLoader {
            dataset,
            batch_size,
            shuffle: None,
            drop_last: false,
            epoch: Cell::new(0),
        }
    }

    /// Shuffles every epoch with a generator seeded by `seed` (`shuffle=True`
    /// with a seeded `generator`).
    pub fn shuffle(mut self, seed: u64) -> DataLoader<D> {
        self.shuffle = Some(seed);
        self
    }

    /// Drops the last batch when it is smaller than `batch_size` (`drop_last=`).
    pub fn drop_last(mut self, drop: bool) -> DataLoader<D> {
        self.drop_last = drop;
        self
    }

    /// The data set.
    pub fn dataset(&self) -> &D {
        &self.dataset
    }

    /// Number of batches per epoch (`len(loader)`).
    pub fn len(&self) -> usize {
        let n = self.dataset.len();
        if self.drop_last {
            n / self.batch_size
        } else {
            n.div_ceil(self.batch_size)
        }
    }

    /// Whether an epoch has no batch.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The batches of the next epoch.
    pub fn iter(&self) -> Batches<'_, D> {
        let n = self.dataset.len();
        let order = match self.shuffle {
            Some(seed) => {
                let e = self.epoch.get();
                self.epoch.set(e + 1);
                SplitMix(seed ^ e.wrapping_mul(0xD1B5_4A32_D192_ED03)).permutation(n)
            }
            None => (0..n).collect(),
        };
        Batches {
            loader: self,
            order,
            next: 0,
        }
    }
}

impl<'a, D: Dataset> IntoIterator for &'a DataLoader<D>
where
    D::Item: Collate,
{
    type Item = D::Item;
    type IntoIter = Batches<'a, D>;
    fn into_iter(self) -> Batches<'a, D> {
        self.iter()
    }
}

/// The batches of one epoch of a [`DataLoader`].
pub struct Batches<'a, D> {
    loader: &'a DataLoader<D>,
    order: Vec<usize>,
    next: usize,
}

impl<D: Dataset> Iterator for Batches<'_, D>
where
    D::Item: Collate,
{
    type Item = D::Item;

    fn next(&mut self) -> Option<D::Item> {
        let bs = self.loader.batch_size;
        let rest = self.order.len() - self.next;
        if rest == 0 || (self.loader.drop_last && rest < bs) {
            return None;
        }
        let take = rest.min(bs);
        let idx = &self.order[self.next..self.next + take];
        self.next += take;
        Some(self.loader.dataset.get_batch(idx))
    }
}
