//! Data sets, loaders and checkpoints (in progress).
