//! Cutting rings and lines to a tile's square (canvas pixels, grown by a margin the stroke
//! cannot cross): a canvas would clip by itself, but only after the path was built, and a
//! country's outline at zoom 10 crosses hundreds of tiles.

pub type P = [f64; 2];

/// The square `lo..hi` on both axes.
#[derive(Debug, Clone, Copy)]
pub struct Square {
    pub lo: f64,
    pub hi: f64,
}

/// A closed ring cut to the square (Sutherland-Hodgman, one side at a time), into `out`. Parts
/// of the result may run along the square's edges: those lie outside the canvas.
pub fn ring(ring: &[P], square: Square, out: &mut Vec<P>, scratch: &mut Vec<P>) {
    out.clear();
    out.extend_from_slice(ring);
    for (axis, keep_above, edge) in [
        (0, true, square.lo),
        (0, false, square.hi),
        (1, true, square.lo),
        (1, false, square.hi),
    ] {
        if out.is_empty() {
            return;
        }
        std::mem::swap(out, scratch);
        out.clear();
        let inside = |p: &P| {
            if keep_above {
                p[axis] >= edge
            } else {
                p[axis] <= edge
            }
        };
        let mut previous = scratch[scratch.len() - 1];
        for &current in scratch.iter() {
            match (inside(&previous), inside(&current)) {
                (true, true) => out.push(current),
                (true, false) => out.push(crossing(previous, current, axis, edge)),
                (false, true) => {
                    out.push(crossing(previous, current, axis, edge));
                    out.push(current);
                }
                (false, false) => {}
            }
            previous = current;
        }
    }
}

/// Where the segment a-b meets the line `p[axis] == edge`.
fn crossing(a: P, b: P, axis: usize, edge: f64) -> P {
    let t = (edge - a[axis]) / (b[axis] - a[axis]);
    let mut p = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
    p[axis] = edge;
    p
}

/// A line cut to the square: calls `piece` with each stretch that lies inside (Liang-Barsky on
/// each segment; consecutive segments that stay inside are one stretch).
pub fn line(line: &[P], square: Square, mut piece: impl FnMut(&[P]), scratch: &mut Vec<P>) {
    scratch.clear();
    for pair in line.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        match segment(a, b, square) {
            Some((t0, t1)) => {
                let at = |t: f64| [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
                if t0 > 0.0 || scratch.is_empty() {
                    if scratch.len() > 1 {
                        piece(scratch);
                    }
                    scratch.clear();
                    scratch.push(at(t0));
                }
                scratch.push(at(t1));
                if t1 < 1.0 {
                    piece(scratch);
                    scratch.clear();
                }
            }
            None => {
                if scratch.len() > 1 {
                    piece(scratch);
                }
                scratch.clear();
            }
        }
    }
    if scratch.len() > 1 {
        piece(scratch);
    }
}

/// The stretch (t0, t1) of a-b inside the square, if any.
fn segment(a: P, b: P, square: Square) -> Option<(f64, f64)> {
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    let d = [b[0] - a[0], b[1] - a[1]];
    for axis in 0..2 {
        for (p, q) in [
            (-d[axis], a[axis] - square.lo),
            (d[axis], square.hi - a[axis]),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    return None;
                }
            } else {
                let t = q / p;
                if p < 0.0 {
                    t0 = t0.max(t);
                } else {
                    t1 = t1.min(t);
                }
            }
        }
    }
    (t0 <= t1).then_some((t0, t1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQUARE: Square = Square { lo: 0.0, hi: 10.0 };

    impl Square {
        fn contains(&self, p: P) -> bool {
            (self.lo..=self.hi).contains(&p[0]) && (self.lo..=self.hi).contains(&p[1])
        }
    }

    fn area(ring: &[P]) -> f64 {
        ring.iter()
            .zip(ring.iter().cycle().skip(1))
            .map(|(a, b)| a[0] * b[1] - b[0] * a[1])
            .sum::<f64>()
            / 2.0
    }

    #[test]
    fn a_ring_inside_is_unchanged_and_one_around_becomes_the_square() {
        let (mut out, mut scratch) = (Vec::new(), Vec::new());
        let inner = [[1.0, 1.0], [9.0, 1.0], [9.0, 9.0], [1.0, 9.0]];
        ring(&inner, SQUARE, &mut out, &mut scratch);
        assert_eq!(out, inner);
        let around = [[-5.0, -5.0], [15.0, -5.0], [15.0, 15.0], [-5.0, 15.0]];
        ring(&around, SQUARE, &mut out, &mut scratch);
        assert_eq!(area(&out), 100.0);
    }

    #[test]
    fn a_ring_across_a_corner_keeps_its_part_and_its_winding() {
        let (mut out, mut scratch) = (Vec::new(), Vec::new());
        // A triangle over the top left corner: its part inside is the triangle (0,0) (5,0) (0,5).
        let triangle = [[-5.0, -5.0], [10.0, 0.0], [0.0, 10.0]];
        ring(&triangle, SQUARE, &mut out, &mut scratch);
        let expected_sign = area(&triangle).signum();
        assert_eq!(area(&out).signum(), expected_sign);
        assert!(out.iter().all(|p| SQUARE.contains(*p)), "{out:?}");
        // A ring far off on one side is gone.
        ring(
            &[[20.0, 0.0], [30.0, 0.0], [25.0, 5.0]],
            SQUARE,
            &mut out,
            &mut scratch,
        );
        assert!(out.len() < 3 || area(&out) == 0.0, "{out:?}");
    }

    #[test]
    fn a_line_is_cut_into_the_stretches_inside() {
        let mut scratch = Vec::new();
        let mut pieces: Vec<Vec<P>> = Vec::new();
        // In, out across the right edge, back in, and out again through the bottom.
        let path = [
            [5.0, 5.0],
            [15.0, 5.0],
            [15.0, 8.0],
            [5.0, 8.0],
            [5.0, 20.0],
        ];
        line(&path, SQUARE, |p| pieces.push(p.to_vec()), &mut scratch);
        assert_eq!(
            pieces,
            vec![
                vec![[5.0, 5.0], [10.0, 5.0]],
                vec![[10.0, 8.0], [5.0, 8.0], [5.0, 10.0]],
            ]
        );
        pieces.clear();
        line(
            &[[20.0, 0.0], [30.0, 0.0]],
            SQUARE,
            |p| pieces.push(p.to_vec()),
            &mut scratch,
        );
        assert!(pieces.is_empty());
    }
}
