//! `meshmap-api simulate`: moves N objects (flights between the sample places) along great-circle
//! routes, writing all their positions once a tick in one statement and notifying the API
//! replicas (NOTIFY live_objects). Needs a login that may write `live_objects`.

use std::time::{Duration, Instant};

use tokio_postgres::NoTls;

use crate::live::{distance_m, great_circle};
use crate::server::log_event;

pub struct Simulation {
    pub objects: usize,
    /// Ticks a second.
    pub rate: f64,
    /// Stop after this long (None: until stopped).
    pub duration: Option<Duration>,
}

struct Flight {
    id: String,
    name: String,
    from: (f64, f64),
    to: (f64, f64),
    /// 0..1 along the route.
    progress: f64,
    /// Metres a second.
    speed: f64,
}

const UPDATE_SQL: &str = "INSERT INTO live_objects (id, name, lng, lat, heading, speed, updated_at) \
     SELECT id, name, lng, lat, heading, speed, now() \
     FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[], $5::float8[], $6::float8[]) AS v(id, name, lng, lat, heading, speed) \
     ON CONFLICT (id) DO UPDATE SET lng = EXCLUDED.lng, lat = EXCLUDED.lat, heading = EXCLUDED.heading, \
     speed = EXCLUDED.speed, updated_at = EXCLUDED.updated_at";

pub async fn run(config: tokio_postgres::Config, simulation: Simulation) -> Result<(), String> {
    let (client, connection) = config
        .connect(NoTls)
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
    tokio::spawn(connection);
    let places: Vec<(f64, f64)> = client
        .query("SELECT ST_X(geom), ST_Y(geom) FROM places ORDER BY id", &[])
        .await
        .map_err(|e| format!("reading places failed (is the sample data loaded?): {e}"))?
        .iter()
        .filter_map(|row| Some((row.try_get(0).ok()?, row.try_get(1).ok()?)))
        .collect();
    if places.len() < 2 {
        return Err("the places table needs at least two places to fly between".into());
    }
    let mut seed = 0x5EED_u64;
    let mut random = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let pick = |random: &mut dyn FnMut() -> f64| {
        places[(random() * places.len() as f64) as usize % places.len()]
    };
    let mut flights: Vec<Flight> = (0..simulation.objects)
        .map(|i| {
            let from = pick(&mut random);
            let to = pick(&mut random);
            Flight {
                id: format!("flight-{i}"),
                name: format!("Flight {}", 100 + i),
                from,
                to,
                progress: random(),
                // 700–900 km/h, sped up 60 times so the map shows them move.
                speed: (195.0 + random() * 55.0) * 60.0,
            }
        })
        .collect();
    client
        .execute(
            "DELETE FROM live_objects WHERE id LIKE 'flight-%' AND NOT (id = ANY($1))",
            &[&flights.iter().map(|f| f.id.clone()).collect::<Vec<_>>()],
        )
        .await
        .map_err(|e| format!("clearing old flights failed: {e}"))?;
    let tick = Duration::from_secs_f64(1.0 / simulation.rate.clamp(0.05, 50.0));
    let started = Instant::now();
    let mut ticks = tokio::time::interval(tick);
    let mut last = Instant::now();
    let mut written = 0u64;
    log_event(
        "info",
        &format!(
            "simulating {} flights at {} Hz",
            flights.len(),
            simulation.rate
        ),
    );
    loop {
        ticks.tick().await;
        let dt = last.elapsed().as_secs_f64();
        last = Instant::now();
        let (mut ids, mut names, mut lngs, mut lats, mut headings, mut speeds) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        for flight in &mut flights {
            let length = distance_m(flight.from, flight.to).max(1.0);
            flight.progress += flight.speed * dt / length;
            if flight.progress >= 1.0 {
                // Landed: off again, to somewhere else.
                flight.from = flight.to;
                flight.to = pick(&mut random);
                flight.progress = 0.0;
            }
            let ((lng, lat), heading) = great_circle(flight.from, flight.to, flight.progress);
            ids.push(flight.id.clone());
            names.push(flight.name.clone());
            lngs.push(lng);
            lats.push(lat);
            headings.push(heading);
            speeds.push(flight.speed / 60.0);
        }
        let writing = Instant::now();
        let write = async {
            client.batch_execute("BEGIN").await?;
            client
                .execute(
                    UPDATE_SQL,
                    &[&ids, &names, &lngs, &lats, &headings, &speeds],
                )
                .await?;
            client.batch_execute("NOTIFY live_objects; COMMIT").await
        };
        if let Err(error) = write.await {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(format!("writing positions failed: {error}"));
        }
        written += 1;
        if written.is_multiple_of(10) {
            log_event(
                "info",
                &format!(
                    "tick {written}: {} positions written in {} ms",
                    flights.len(),
                    writing.elapsed().as_millis()
                ),
            );
        }
        if simulation.duration.is_some_and(|d| started.elapsed() >= d) {
            return Ok(());
        }
    }
}
