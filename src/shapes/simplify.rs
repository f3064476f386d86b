//! Douglas-Peucker simplification, done once for every zoom (as geojson-vt does): each vertex
//! gets the lowest zoom at which it matters, the one where its distance from the line that
//! would replace it exceeds [`super::SIMPLIFY_PX`]. Drawing at zoom z keeps the vertices whose
//! zoom is z or less.

use super::{NEVER, SIMPLIFY_PX, WORLD};

/// Sets `zooms[i]` for each vertex of a line or ring (`vertices`, world units): its ends at 0,
/// the rest as the recursion finds them (iteratively, so a million-vertex ring cannot overflow
/// the stack).
///
/// Douglas-Peucker takes quadratic time when each split cuts off one vertex. Ties (a regular
/// zigzag) split nearest the middle, as geojson-vt does; and whatever the data, the work is
/// bounded: past [`WORK_PER_VERTEX`] distance computations per vertex, each segment still
/// waiting gives its vertices their distance from it in one pass.
/// Returns how many distances it computed.
pub fn min_zooms(vertices: &[[i32; 2]], zooms: &mut [u8]) -> usize {
    let n = vertices.len();
    if n == 0 {
        return 0;
    }
    zooms.fill(NEVER);
    zooms[0] = 0;
    zooms[n - 1] = 0;
    let mut budget = n.saturating_mul(WORK_PER_VERTEX);
    let mut work = 0;
    let mut stack = vec![(0usize, n - 1)];
    while let Some((first, last)) = stack.pop() {
        if last <= first + 1 {
            continue;
        }
        let (a, b) = (vertices[first], vertices[last]);
        let inner = first + 1..last;
        work += inner.len();
        budget = budget.saturating_sub(inner.len());
        if budget == 0 {
            for i in inner {
                let d = square_distance(vertices[i], a, b);
                if d > 0.0 {
                    zooms[i] = zoom_for(d);
                }
            }
            continue;
        }
        let middle = (first + last) / 2;
        let (mut farthest, mut most) = (0usize, 0.0);
        for i in inner {
            let d = square_distance(vertices[i], a, b);
            if d > most || (d == most && d > 0.0 && i.abs_diff(middle) < farthest.abs_diff(middle))
            {
                farthest = i;
                most = d;
            }
        }
        if most > 0.0 {
            zooms[farthest] = zoom_for(most);
            stack.push((first, farthest));
            stack.push((farthest, last));
        }
    }
    work
}

/// Distance computations allowed per vertex of a line (see [`min_zooms`]): balanced splits of
/// a million vertices need about 20.
const WORK_PER_VERTEX: usize = 64;

/// The lowest zoom at which a vertex `square` (squared world units) off the line is more than
/// [`SIMPLIFY_PX`] off it on screen.
fn zoom_for(square: f64) -> u8 {
    // World units per CSS pixel at zoom 0: the world is 256 px across.
    let mut tolerance = SIMPLIFY_PX * WORLD / 256.0;
    let mut zoom = 0u8;
    while square <= tolerance * tolerance && zoom < NEVER - 1 {
        tolerance /= 2.0;
        zoom += 1;
    }
    zoom
}

/// The squared distance from `p` to the segment a-b.
fn square_distance(p: [i32; 2], a: [i32; 2], b: [i32; 2]) -> f64 {
    let (px, py) = (f64::from(p[0] - a[0]), f64::from(p[1] - a[1]));
    let (dx, dy) = (f64::from(b[0] - a[0]), f64::from(b[1] - a[1]));
    let length = dx * dx + dy * dy;
    let t = if length > 0.0 {
        ((px * dx + py * dy) / length).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (ex, ey) = (px - t * dx, py - t * dy);
    ex * ex + ey * ey
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ends_always_show_and_a_straight_middle_never() {
        let line = [[0, 0], [50, 0], [100, 0]];
        let mut zooms = [9; 3];
        min_zooms(&line, &mut zooms);
        assert_eq!(zooms, [0, NEVER, 0]);
    }

    #[test]
    fn a_corner_shows_from_the_zoom_where_it_is_a_quarter_pixel_off() {
        // 4096 units off the line: at zoom z a CSS pixel is 2^22 / 2^z units, so 4096 units are
        // a quarter pixel at zoom 8 (not more than the tolerance) and half a pixel at zoom 9.
        let line = [[0, 0], [100_000, 4096], [200_000, 0]];
        let mut zooms = [0; 3];
        min_zooms(&line, &mut zooms);
        assert_eq!(zooms[1], 9);
        // Farther off: earlier.
        let line = [[0, 0], [100_000, 4096 * 64], [200_000, 0]];
        min_zooms(&line, &mut zooms);
        assert_eq!(zooms[1], 3);
    }

    #[test]
    fn a_closed_ring_keeps_its_far_side() {
        // First and last are the same point: the farthest vertex from it matters first.
        let ring = [
            [0, 0],
            [1 << 20, 0],
            [1 << 20, 1 << 20],
            [0, 1 << 20],
            [0, 0],
        ];
        let mut zooms = [NEVER; 5];
        min_zooms(&ring, &mut zooms);
        assert_eq!(zooms[0], 0);
        assert_eq!(zooms[4], 0);
        assert!(zooms[1..4].iter().all(|&z| z < 5), "{zooms:?}");
    }

    /// Seen taking 15 minutes before ties split in the middle: each split cut off one vertex.
    #[test]
    fn a_long_regular_zigzag_splits_in_the_middle() {
        let line: Vec<[i32; 2]> = (0..200_000).map(|i| [i * 10, (i % 2) * 1000]).collect();
        let mut zooms = vec![0; line.len()];
        let work = min_zooms(&line, &mut zooms);
        assert!(zooms.iter().all(|&z| z < NEVER));
        // Balanced splits: a few dozen passes over the vertices, within the bound (without the
        // tie-break it is quadratic and the bound cuts it short).
        assert!(work < WORK_PER_VERTEX * line.len(), "{work}");
    }

    /// A line built so that every split cuts off one vertex, ties or not: the work bound ends
    /// the recursion, and every vertex still gets a zoom.
    #[test]
    fn a_hostile_line_is_bounded_work() {
        // A spiral-like fan: each vertex a little farther from the line through the ends than
        // the next one.
        let n = 100_000;
        let line: Vec<[i32; 2]> = (0..n)
            .map(|i| {
                if i == 0 || i == n - 1 {
                    [i * 10, 0]
                } else {
                    [i * 10, (n - i) * 7]
                }
            })
            .collect();
        let mut zooms = vec![0; line.len()];
        let work = min_zooms(&line, &mut zooms);
        assert!(work <= (WORK_PER_VERTEX + 1) * line.len(), "{work}");
    }
}
