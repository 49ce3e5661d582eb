//! Optimizers and learning-rate schedulers (in progress).
