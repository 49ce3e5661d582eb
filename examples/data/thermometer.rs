//! The thermometer readings of the calibration chapter of "Deep Learning with
//! PyTorch" (Stevens, Antiga and Viehmann, chapter 5): eleven temperatures in
//! Celsius and the same eleven readings of a thermometer in unknown units.

/// Temperatures in Celsius.
pub const T_C: [f64; 11] = [0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0];

/// The thermometer's readings, in unknown units.
pub const T_U: [f64; 11] = [
    35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4,
];
