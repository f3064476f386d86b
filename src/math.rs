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
        super::number_text_as_javascript(x)
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

/// What JavaScript's `String(x)` writes (ECMAScript's Number::toString: the shortest digits that
/// read back as `x`, laid out plainly from 1e-7 to 1e21 and as `1.5e+21` beyond), written in Rust:
/// natively, [`Decimal`] uses it, so native tests and fuzzing check the text the wasm (which asks
/// the browser) shows. `tests/web.rs` compares the two in the browser.
pub fn number_text_as_javascript(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x == 0.0 {
        return "0".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    // Rust's `{:e}` gives the same shortest round-trip digits: "1.2345e-7".
    let (mut digits, exponent) = scientific_parts(&format!("{:e}", x.abs()));
    // Where `x` lies exactly halfway between two shortest candidates, Rust rounds the last digit
    // up and JavaScript takes the even one (-21574983508785.0625 is "-21574983508785.062" there).
    // `x`'s exact decimal expansion (an f64's has at most 767 significant digits) says if it does.
    let (exact_digits, _) = scientific_parts(&format!("{:.800e}", x.abs()));
    let exact_digits = exact_digits.trim_end_matches('0');
    if exact_digits.len() == digits.len() + 1 && exact_digits.ends_with('5') {
        let below = &exact_digits[..digits.len()];
        // Rust's digits are the neighbour above; the one below is taken when it is the even one.
        if below.ends_with(['0', '2', '4', '6', '8']) && digits != below {
            digits = below.trim_end_matches('0').to_owned();
        }
    }
    let k = digits.len() as i32;
    // The value is 0.digits × 10^n.
    let n = exponent + 1;
    let text = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let e_sign = if e < 0 { "-" } else { "+" };
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        format!("{first}{dot}{rest}e{e_sign}{}", e.abs())
    };
    format!("{sign}{text}")
}

/// The digits (no point) and the exponent of Rust's scientific text: "1.25e-7" is ("125", -7).
fn scientific_parts(text: &str) -> (String, i32) {
    let (mantissa, exponent) = text.split_once('e').unwrap_or((text, "0"));
    (
        mantissa.chars().filter(char::is_ascii_digit).collect(),
        exponent.parse().unwrap_or(0),
    )
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
    // The halfway cases are written out exactly: that they are exact is the point.
    #[allow(clippy::excessive_precision)]
    fn numbers_are_written_as_javascript_writes_them() {
        // Each case as Chromium's String(x) writes it.
        for (x, text) in [
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-2.5, "-2.5"),
            (48.8566, "48.8566"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (123456789012345680000.0, "123456789012345680000"),
            (1.5e21, "1.5e+21"),
            (1e-6, "0.000001"),
            (1e-7, "1e-7"),
            (1.25e-7, "1.25e-7"),
            (-1.7976931348623157e308, "-1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (0.000123, "0.000123"),
            (100.0, "100"),
            // Halfway between two shortest candidates: the even one, as JavaScript takes it.
            (-21574983508785.0625, "-21574983508785.062"),
            (990837088224027.25, "990837088224027.2"),
        ] {
            assert_eq!(super::number_text_as_javascript(x), text, "{x:e}");
        }
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
