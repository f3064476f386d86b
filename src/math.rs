//! The few transcendental functions the app needs (Web Mercator), from the browser's `Math` in
//! wasm and from Rust's std natively. Rust's versions are compiled into the wasm otherwise: their
//! argument reduction tables alone were 7 KB of it, for functions the browser already has.

#[cfg(target_arch = "wasm32")]
mod imp {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = Math)]
        pub fn sin(x: f64) -> f64;
        #[wasm_bindgen(js_namespace = Math)]
        pub fn log(x: f64) -> f64;
        #[wasm_bindgen(js_namespace = Math)]
        pub fn exp(x: f64) -> f64;
        #[wasm_bindgen(js_namespace = Math)]
        pub fn atan(x: f64) -> f64;
        /// `String(x)`: JavaScript's shortest round-trip decimal.
        #[wasm_bindgen(js_name = String)]
        pub fn number_text(x: f64) -> String;
    }

    #[wasm_bindgen(module = "/src/meshmap.js")]
    extern "C" {
        /// [`super::mercator_y`] of every value in place, in one call (a call per value into
        /// JavaScript costs more than the arithmetic).
        pub fn mercator_many(values: &mut [f64]);
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    pub fn sin(x: f64) -> f64 {
        x.sin()
    }
    pub fn log(x: f64) -> f64 {
        x.ln()
    }
    pub fn exp(x: f64) -> f64 {
        x.exp()
    }
    pub fn atan(x: f64) -> f64 {
        x.atan()
    }
    pub fn number_text(x: f64) -> String {
        format!("{x}")
    }
    pub fn mercator_many(values: &mut [f64]) {
        for value in values {
            *value = super::mercator_y(*value);
        }
    }
}

/// [`mercator_y`] of every latitude in `values`, in place: for many at once (a part of a shape).
pub fn mercator_y_many(values: &mut [f64]) {
    imp::mercator_many(values)
}

/// A number as people read it in messages and popups: `2`, `0.5`, `48.8566` (in wasm the
/// browser's own shortest form, so Rust's float formatting stays out of the wasm).
pub struct Decimal(pub f64);

impl std::fmt::Display for Decimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&imp::number_text(self.0))
    }
}

/// `value` with exactly `decimals` digits after the point (at most 9), rounded half away from
/// zero, without "-0": integer arithmetic, so no float formatting code in the wasm.
pub fn fixed(value: f64, decimals: u32) -> String {
    let decimals = decimals.min(9);
    let scale = 10f64.powi(decimals as i32);
    let scaled = (value * scale).round();
    if !scaled.is_finite() || scaled.abs() >= 9e18 {
        return Decimal(value).to_string();
    }
    let units = scaled as i64;
    let (whole, fraction) = (
        (units / 10i64.pow(decimals)).unsigned_abs(),
        (units % 10i64.pow(decimals)).unsigned_abs(),
    );
    let sign = if units < 0 { "-" } else { "" };
    if decimals == 0 {
        format!("{sign}{whole}")
    } else {
        format!(
            "{sign}{whole}.{fraction:0width$}",
            width = decimals as usize
        )
    }
}

/// Sine and cosine of an angle (radians).
pub fn sin_cos(angle: f64) -> (f64, f64) {
    (
        imp::sin(angle),
        imp::sin(angle + std::f64::consts::FRAC_PI_2),
    )
}

/// The latitude (degrees) at `y` of the way down the square world: [`mercator_y`] undone.
pub fn mercator_lat(y: f64) -> f64 {
    use std::f64::consts::PI;
    (2.0 * imp::atan(imp::exp(PI * (1.0 - 2.0 * y))) - PI / 2.0).to_degrees()
}

/// Web Mercator: how far down the square world a latitude (degrees, clamped to ±85.05°) is,
/// 0 at the top to 1 at the bottom.
pub fn mercator_y(lat: f64) -> f64 {
    let sin = imp::sin(
        lat.clamp(
            -crate::tile_math::MAX_LATITUDE,
            crate::tile_math::MAX_LATITUDE,
        )
        .to_radians(),
    );
    // Clamped: at ±85.05° rounding could put the edge a hair outside the world.
    (0.5 - imp::log((1.0 + sin) / (1.0 - sin)) / (4.0 * std::f64::consts::PI)).clamp(0.0, 1.0)
}

/// A reproducible stream of numbers from a seed (a 64-bit linear congruential generator, Knuth's
/// MMIX constants): synthetic test and benchmark data that must be the same every run. Never for
/// anything that must be unpredictable.
pub struct SeededRandom(u64);

impl SeededRandom {
    pub fn new(seed: u64) -> SeededRandom {
        SeededRandom(seed)
    }

    /// The generator's next state, all 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0
    }

    /// A number in 0..1 from the state's top 53 bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fixed_decimals_round_and_never_say_minus_zero() {
        assert_eq!(super::fixed(48.85661, 3), "48.857");
        assert_eq!(super::fixed(-3.7, 3), "-3.700");
        assert_eq!(super::fixed(-0.0001, 3), "0.000");
        assert_eq!(super::fixed(2.0, 0), "2");
        assert_eq!(super::fixed(-179.99999, 4), "-180.0000");
        assert_eq!(super::fixed(0.125, 2), "0.13");
        assert_eq!(super::Decimal(95.0).to_string(), "95");
        assert_eq!(super::Decimal(0.5).to_string(), "0.5");
    }

    #[test]
    fn mercator_lat_undoes_mercator_y() {
        for lat in [-85.0, -45.5, -1e-9, 0.0, 12.34, 60.0, 85.0] {
            let back = super::mercator_lat(super::mercator_y(lat));
            assert!((back - lat).abs() < 1e-9, "{lat} -> {back}");
        }
        assert_eq!(super::mercator_lat(0.5), 0.0);
    }

    #[test]
    fn mercator_matches_the_textbook_formula() {
        for lat in [-85.0511, -60.0, -1.0, 0.0, 12.5, 48.85, 85.0511] {
            let phi = f64::to_radians(lat);
            let textbook = (1.0 - (phi.tan() + 1.0 / phi.cos()).ln() / std::f64::consts::PI) / 2.0;
            assert!((super::mercator_y(lat) - textbook).abs() < 1e-12, "{lat}");
        }
        assert_eq!(super::mercator_y(0.0), 0.5);
        assert!(
            super::mercator_y(89.0) < 0.0001 && super::mercator_y(-89.0) > 0.9999,
            "clamped to the square world"
        );
    }
}
