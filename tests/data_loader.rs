//! `Dataset`, `DataLoader`, `random_split`, `randperm`, `randint`.

use autograd::data::{randint, random_split, randperm, DataLoader, Dataset, Subset, TensorDataset};
use autograd::Tensor;

fn dataset(n: usize) -> TensorDataset {
    let x = Tensor::from_vec((0..n * 2).map(|v| v as f32).collect(), &[n, 2]);
    let y = Tensor::from_vec((0..n).map(|v| v as f32).collect(), &[n]);
    TensorDataset::new(x, y)
}

fn ids(loader: &DataLoader<impl Dataset<Item = (Tensor, Tensor)>>) -> Vec<Vec<f32>> {
    loader.iter().map(|(_, y)| y.to_vec::<f32>()).collect()
}

#[test]
fn batches_in_order_with_and_without_drop_last() {
    let ds = dataset(10);
    assert_eq!(ds.len(), 10);
    let (x3, y3) = ds.get(3);
    assert_eq!((x3.to_vec::<f32>(), y3.item()), (vec![6.0, 7.0], 3.0));
    let loader = DataLoader::new(&ds, 4);
    assert_eq!(loader.len(), 3);
    let b = ids(&loader);
    assert_eq!(
        b,
        [vec![0., 1., 2., 3.], vec![4., 5., 6., 7.], vec![8., 9.]]
    );
    let (xb, _) = loader.iter().next().unwrap();
    assert_eq!(xb.shape(), &[4, 2]);
    let dl = DataLoader::new(&ds, 4).drop_last(true);
    assert_eq!(dl.len(), 2);
    assert_eq!(ids(&dl).len(), 2);
}

#[test]
fn shuffle_is_seeded_new_each_epoch_and_complete() {
    let ds = dataset(50);
    let a = DataLoader::new(&ds, 8).shuffle(42);
    let b = DataLoader::new(&ds, 8).shuffle(42);
    let (e1, e2) = (ids(&a), ids(&a));
    assert_eq!(e1, ids(&b));
    assert_eq!(e2, ids(&b));
    assert_ne!(e1, e2);
    let mut all: Vec<f32> = e1.concat();
    assert_ne!(all, (0..50).map(|v| v as f32).collect::<Vec<_>>());
    all.sort_by(f32::total_cmp);
    assert_eq!(all, (0..50).map(|v| v as f32).collect::<Vec<_>>());
    assert_ne!(ids(&DataLoader::new(&ds, 8).shuffle(43)), e1);
}

#[test]
fn random_split_partitions_the_data() {
    let ds = dataset(20);
    let parts = random_split(&ds, &[15, 5], 0);
    assert_eq!((parts[0].len(), parts[1].len()), (15, 5));
    let mut all: Vec<usize> = parts.iter().flat_map(|p| p.indices().to_vec()).collect();
    all.sort();
    assert_eq!(all, (0..20).collect::<Vec<_>>());
    assert_eq!(
        random_split(&ds, &[15, 5], 0)[1].indices(),
        parts[1].indices()
    );
    assert_ne!(
        random_split(&ds, &[15, 5], 1)[1].indices(),
        parts[1].indices()
    );
    // Subsets load like any data set, by their own indices.
    let sub = &parts[1];
    let (_, y) = DataLoader::new(sub, 5).iter().next().unwrap();
    assert_eq!(
        y.to_vec::<f32>(),
        sub.indices().iter().map(|&i| i as f32).collect::<Vec<_>>()
    );
    let (_, y1) = sub.get(1);
    assert_eq!(y1.item(), sub.indices()[1] as f64);
    let s = Subset::new(&ds, vec![3, 3, 0]);
    let (x, _) = DataLoader::new(s, 3).iter().next().unwrap();
    assert_eq!(x.to_vec::<f32>(), [6., 7., 6., 7., 0., 1.]);
}

/// A data set that is not tensors: the default `get_batch` collates items.
struct Squares;

impl Dataset for Squares {
    type Item = (Tensor, Tensor);
    fn len(&self) -> usize {
        5
    }
    fn get(&self, i: usize) -> (Tensor, Tensor) {
        (
            Tensor::from_vec(vec![i as f32], &[1]),
            Tensor::scalar((i * i) as f32),
        )
    }
}

#[test]
fn default_collate_stacks_items() {
    let (x, y) = DataLoader::new(Squares, 3).iter().last().unwrap();
    assert_eq!(x.shape(), &[2, 1]);
    assert_eq!(y.to_vec::<f32>(), [9.0, 16.0]);
}

#[test]
fn randperm_and_randint_follow_manual_seed() {
    autograd::manual_seed(3);
    let p = randperm(10);
    let r = randint(-2, 3, &[1000]);
    autograd::manual_seed(3);
    assert_eq!(randperm(10), p);
    assert_eq!(randint(-2, 3, &[1000]).to_vec::<f32>(), r.to_vec::<f32>());
    let mut s = p.clone();
    s.sort();
    assert_eq!(s, (0..10).collect::<Vec<_>>());
    let v = r.to_vec::<f32>();
    assert!(v
        .iter()
        .all(|&x| (-2.0..3.0).contains(&x) && x.fract() == 0.0));
    for k in -2..3 {
        assert!(v.contains(&(k as f32)));
    }
}
