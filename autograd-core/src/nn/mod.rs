//! Neural-network modules, layers and losses (in progress).
