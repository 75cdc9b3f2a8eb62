//! The learned model: transit-day distributions per lane and processing-day
//! distributions per origin, each kept at every level of the postal
//! hierarchy, recency-weighted, blended from the broadest level to the most
//! specific by how much history each holds, and recalibrated from how the
//! model's own earlier answers fared.
//!
//! A [`Model`] is cheap to clone (histograms are shared `Arc`s, copied only
//! when a clone changes one), so a server keeps one model it updates and
//! publishes immutable clones for lookups.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::Arc;

use jiff::civil::{Date, DateTime};
use serde::{Deserialize, Serialize};

use crate::EddError;
use crate::calendar::Calendar;
use crate::postal::{Area, Geography, PostalScheme};

/// Days are counted up to this; longer journeys land in the last bin.
pub const MAX_DAYS: usize = 63;
const BINS: usize = MAX_DAYS + 1;
/// Past this exponent the recency weights are rebased so they stay finite.
const MAX_WEIGHT_EXPONENT: f64 = 600.0;
const CALIBRATION_BINS: usize = 100;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelConfig {
    /// A delivery ordered this many days earlier counts half as much:
    /// carriers change (peaks, new hubs), and recent history predicts better.
    /// Weighing by order date rather than delivery date matters: at any moment
    /// the latest deliveries are the fast ones of recent orders (their slow
    /// ones are still on the way), so weighing by delivery date would learn
    /// a bias towards speed.
    pub half_life_days: f64,
    /// How many deliveries a level needs before it counts as much as the
    /// broader level below it.
    pub shrinkage: f64,
    /// Recency of the calibration's memory of how promises fared.
    pub calibration_half_life_days: f64,
    /// Below this many scored outcomes the nominal confidence is used as is.
    pub min_calibration_samples: u32,
    /// A level needs this many deliveries to be named as the one answering.
    pub min_level_samples: u32,
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            half_life_days: 30.0,
            shrinkage: 20.0,
            calibration_half_life_days: 30.0,
            min_calibration_samples: 50,
            min_level_samples: 5,
        }
    }
}

/// One delivered shipment, in the local time of its lane.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub country: String,
    pub carrier: String,
    pub service: String,
    /// Whose processing time this is (a tenant or seller); empty pools all.
    pub scope: String,
    pub origin: String,
    pub destination: String,
    pub ordered_at: DateTime,
    /// Handover to the carrier; when unknown the order counts as handed over
    /// at the first possible moment.
    pub picked_up_at: Option<DateTime>,
    pub delivered_at: DateTime,
}

/// Where the promise starts from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Start {
    /// An order placed (or about to be) at this local time: processing and
    /// the pickup cut-off apply.
    Order(DateTime),
    /// Already handed to the carrier on this date: transit only.
    Handover(Date),
}

#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    pub country: &'a str,
    pub carrier: &'a str,
    pub service: &'a str,
    pub scope: &'a str,
    pub origin: &'a str,
    pub destination: &'a str,
    pub start: Start,
    /// Share of shipments to arrive on or before the promised date (0–1).
    pub confidence: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    /// Shared with the model's cached answer for the lane (no copy per lookup).
    pub carrier: Arc<str>,
    /// The promise at the requested confidence.
    pub date: Date,
    pub confidence: f64,
    /// The median date.
    pub p50: Date,
    /// Typical range: the 5th to the 95th percentile (widened to include `date`).
    pub earliest: Date,
    pub latest: Date,
    /// First day the carrier can take the parcel.
    pub handover: Date,
    /// The most specific hierarchy level with enough history, e.g.
    /// `prefix3→prefix3`, or `carrier` when only carrier-wide history answered.
    pub level: Arc<str>,
    /// Deliveries behind that level.
    pub samples: u32,
}

/// Recency-weighted counts of days.
#[derive(Debug, Clone)]
struct Histogram {
    weights: [f64; BINS],
    total: f64,
    count: u32,
    /// Highest bin with weight, to keep blending and convolution short.
    max_bin: usize,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            weights: [0.0; BINS],
            total: 0.0,
            count: 0,
            max_bin: 0,
        }
    }
}

impl Histogram {
    fn add(&mut self, days: u32, weight: f64) {
        let bin = (days as usize).min(MAX_DAYS);
        self.weights[bin] += weight;
        self.total += weight;
        self.count += 1;
        self.max_bin = self.max_bin.max(bin);
    }

    fn scale(&mut self, factor: f64) {
        self.weights.iter_mut().for_each(|w| *w *= factor);
        self.total *= factor;
    }
}

/// A probability distribution over whole days.
#[derive(Debug, Clone)]
struct Distribution {
    p: Vec<f64>,
}

impl Distribution {
    fn point(days: usize) -> Self {
        let mut p = vec![0.0; days + 1];
        p[days] = 1.0;
        Self { p }
    }

    /// Starts at the broadest histogram, then moves towards each more specific
    /// one by n / (n + k): a level with little history nudges, one with plenty decides.
    fn blend<'h>(levels: impl Iterator<Item = &'h Histogram>, shrinkage: f64) -> Option<Self> {
        let mut out: Option<Vec<f64>> = None;
        for h in levels {
            if h.count == 0 || h.total <= 0.0 {
                continue;
            }
            let len = h.max_bin + 1;
            let inverse_total = 1.0 / h.total;
            match &mut out {
                None => out = Some(h.weights[..len].iter().map(|w| w * inverse_total).collect()),
                Some(p) => {
                    let a = h.count as f64 / (h.count as f64 + shrinkage);
                    if p.len() < len {
                        p.resize(len, 0.0);
                    }
                    let (keep, scale) = (1.0 - a, a * inverse_total);
                    p.iter_mut().for_each(|v| *v *= keep);
                    for (v, w) in p.iter_mut().zip(&h.weights[..len]) {
                        *v += scale * w;
                    }
                }
            }
        }
        out.map(|p| Self { p })
    }

    /// The distribution of the sum of two independent day counts.
    fn convolve(&self, other: &Self) -> Self {
        let mut p = vec![0.0; self.p.len() + other.p.len() - 1];
        for (i, a) in self.p.iter().enumerate().filter(|(_, a)| **a > 0.0) {
            for (j, b) in other.p.iter().enumerate() {
                p[i + j] += a * b;
            }
        }
        Self { p }
    }

    /// P(days <= x).
    fn cdf(&self, x: i64) -> f64 {
        if x < 0 {
            return 0.0;
        }
        self.p.iter().take(x as usize + 1).sum()
    }

    /// The smallest day count whose cumulative probability reaches `level`.
    #[cfg(test)]
    fn quantile(&self, level: f64) -> u32 {
        let mut cumulative = 0.0;
        for (days, p) in self.p.iter().enumerate() {
            cumulative += p;
            if cumulative >= level - 1e-9 {
                return days as u32;
            }
        }
        self.p.len().saturating_sub(1) as u32
    }
}

/// How past promises fared: for each delivered shipment, the model's
/// cumulative probability of the day before it arrived. A promise at level L
/// is kept exactly when that value is below L, so the q-quantile of these
/// values is the level that keeps a share q of promises.
#[derive(Debug, Clone)]
struct Calibration {
    bins: [f64; CALIBRATION_BINS],
    total: f64,
    count: u32,
}

impl Default for Calibration {
    fn default() -> Self {
        Self {
            bins: [0.0; CALIBRATION_BINS],
            total: 0.0,
            count: 0,
        }
    }
}

impl Calibration {
    fn record(&mut self, value: f64, weight: f64) {
        let bin = ((value * CALIBRATION_BINS as f64) as usize).min(CALIBRATION_BINS - 1);
        self.bins[bin] += weight;
        self.total += weight;
        self.count += 1;
    }

    fn scale(&mut self, factor: f64) {
        self.bins.iter_mut().for_each(|w| *w *= factor);
        self.total *= factor;
    }

    /// The model level that keeps a share `confidence` of promises; monotone
    /// in `confidence`, so a higher confidence never gives an earlier date.
    fn level(&self, confidence: f64, min_samples: u32) -> f64 {
        if self.count < min_samples || self.total <= 0.0 {
            return confidence;
        }
        let target = confidence * self.total;
        let mut cumulative = 0.0;
        for (bin, w) in self.bins.iter().enumerate() {
            cumulative += w;
            if cumulative >= target - 1e-12 {
                return (bin + 1) as f64 / CALIBRATION_BINS as f64;
            }
        }
        1.0
    }
}

/// Countries' postal schemes and geography, and carriers' calendars: set up
/// once, shared by every clone of a model.
#[derive(Debug, Clone, Default)]
pub struct Context {
    schemes: HashMap<String, PostalScheme>,
    geography: HashMap<String, Geography>,
    calendars: HashMap<String, Calendar>,
    default_calendar: Calendar,
}

impl Context {
    pub fn with_scheme(mut self, scheme: PostalScheme) -> Self {
        self.schemes.insert(scheme.country.clone(), scheme);
        self
    }

    pub fn with_geography(mut self, country: &str, geography: Geography) -> Self {
        self.geography
            .insert(country.to_ascii_uppercase(), geography);
        self
    }

    /// The calendar of `carrier` (lowercase code); others use the default.
    pub fn with_calendar(mut self, carrier: &str, calendar: Calendar) -> Self {
        self.calendars
            .insert(carrier.to_ascii_lowercase(), calendar);
        self
    }

    pub fn with_default_calendar(mut self, calendar: Calendar) -> Self {
        self.default_calendar = calendar;
        self
    }

    pub fn scheme(&self, country: &str) -> Result<&PostalScheme, EddError> {
        self.schemes
            .get(country)
            .ok_or_else(|| EddError::UnknownCountry(country.to_string()))
    }

    pub fn calendar(&self, carrier: &str) -> &Calendar {
        self.calendars
            .get(carrier)
            .unwrap_or(&self.default_calendar)
    }

    fn geography(&self, country: &str) -> &Geography {
        static EMPTY: std::sync::OnceLock<Geography> = std::sync::OnceLock::new();
        self.geography
            .get(country)
            .unwrap_or_else(|| EMPTY.get_or_init(Geography::default))
    }
}

/// Keys are already well-mixed 64-bit hashes; hashing them again is waste.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Table = HashMap<u64, Arc<Histogram>, BuildHasherDefault<KeyHasher>>;

#[derive(Hash)]
enum Kind {
    Transit,
    Processing,
}

/// One rung of a ladder: the areas (if any) the key is made of.
type Rung<'a> = (Option<Area<'a>>, Option<Area<'a>>);

#[derive(Debug, Clone)]
pub struct Model {
    config: ModelConfig,
    context: Arc<Context>,
    transit: Table,
    processing: Table,
    calibration: Calibration,
    /// Day (since 1970) weights are measured from; rebased as time goes on.
    epoch_day: Option<i64>,
    observations: u64,
    lanes: LaneCache,
}

/// Each lane's and carrier's blended distribution, level and sample count,
/// worked out on its first lookup and kept while the model does not change:
/// product pages ask about the same lanes over and over, and the blending
/// along the postal ladder is most of a lookup's work. Only what the start
/// date and confidence do not change is kept (the calendar and quantiles
/// are applied per lookup). Emptied when the model learns; a clone starts
/// empty (a server publishes a fresh clone after learning).
#[derive(Default)]
struct LaneCache(std::sync::RwLock<LaneAnswers>);

/// Per lane (by [`lane_key`]), each carrier's answer asked so far: one hash
/// per lookup, however many carriers it asks about.
type LaneAnswers = HashMap<Box<[u8]>, Vec<CarrierAnswer>, KeyHashState>;

/// Lanes kept at most, and carriers per lane; past either the cache (or the
/// lane's list) starts again, so memory stays bounded whatever codes are
/// asked about.
const LANE_CACHE_CAPACITY: usize = 100_000;
const CARRIERS_PER_LANE: usize = 32;

#[derive(Debug)]
struct CarrierAnswer {
    carrier: Arc<str>,
    /// `None`: the carrier has no history at all.
    answer: Option<LaneAnswer>,
}

#[derive(Debug)]
struct LaneAnswer {
    /// P(days <= n) for each n: quantiles by binary search.
    cumulative: Box<[f64]>,
    level: Arc<str>,
    samples: u32,
}

impl LaneAnswer {
    fn new(total: &Distribution, level: String, samples: u32) -> Self {
        let cumulative = total
            .p
            .iter()
            .scan(0.0, |sum, p| {
                *sum += p;
                Some(*sum)
            })
            .collect();
        Self {
            cumulative,
            level: level.into(),
            samples,
        }
    }

    /// [`Distribution::quantile`] of the total.
    fn quantile(&self, level: f64) -> u32 {
        let days = self.cumulative.partition_point(|c| *c < level - 1e-9);
        days.min(self.cumulative.len().saturating_sub(1)) as u32
    }
}

impl LaneCache {
    fn insert(&self, key: &[u8], carrier: Arc<str>, answer: Option<LaneAnswer>) {
        let mut lanes = self.0.write().expect("poisoned");
        if let Some(answers) = lanes.get_mut(key) {
            if !answers.iter().any(|a| a.carrier == carrier) {
                if answers.len() >= CARRIERS_PER_LANE {
                    answers.clear();
                }
                answers.push(CarrierAnswer { carrier, answer });
            }
            return;
        }
        if lanes.len() >= LANE_CACHE_CAPACITY {
            lanes.clear();
        }
        lanes.insert(key.into(), vec![CarrierAnswer { carrier, answer }]);
    }

    /// Forgets every answer.
    fn clear(&self) {
        let mut lanes = self.0.write().expect("poisoned");
        if !lanes.is_empty() {
            lanes.clear();
        }
    }

    fn len(&self) -> usize {
        self.0.read().expect("poisoned").len()
    }
}

impl Clone for LaneCache {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl std::fmt::Debug for LaneCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LaneCache({} lanes)", self.len())
    }
}

/// Appends the cache key of one lane: every input of its [`LaneAnswer`]s but
/// the carrier, each ended by a byte no code or name holds.
fn lane_key(key: &mut Vec<u8>, parts: [&str; 5], with_processing: bool) {
    for part in parts {
        key.extend_from_slice(part.as_bytes());
        key.push(0xFF);
    }
    key.push(u8::from(with_processing));
}

/// Builds [`LaneCache`]'s maps with the process's seeded foldhash.
#[derive(Clone, Default)]
struct KeyHashState;

impl std::hash::BuildHasher for KeyHashState {
    type Hasher = foldhash::quality::FoldHasher<'static>;
    fn build_hasher(&self) -> Self::Hasher {
        key_hasher()
    }
}

impl Model {
    pub fn new(config: ModelConfig, context: Context) -> Self {
        Self {
            config,
            context: Arc::new(context),
            transit: Table::default(),
            processing: Table::default(),
            calibration: Calibration::default(),
            epoch_day: None,
            observations: 0,
            lanes: LaneCache::default(),
        }
    }

    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    pub fn context(&self) -> &Context {
        &self.context
    }

    /// Deliveries learned so far.
    pub fn observations(&self) -> u64 {
        self.observations
    }

    /// Forgets the lane answers worked out so far (they are worked out
    /// again on their next lookup), e.g. to measure a first lookup.
    pub fn forget_lanes(&self) {
        self.lanes.clear();
    }

    /// Lanes and origins tracked, over all hierarchy levels.
    pub fn keys(&self) -> usize {
        self.transit.len() + self.processing.len()
    }

    /// Learns one delivery. Before learning it, scores what the model would
    /// have promised for it, which is what calibration learns from.
    pub fn observe(&mut self, obs: &Observation) -> Result<(), EddError> {
        // Every answer worked out so far may change (rebasing included).
        self.lanes.clear();
        let scheme = self.context.scheme(&obs.country)?.clone();
        let origin = scheme.normalize(&obs.origin)?;
        let destination = scheme.normalize(&obs.destination)?;
        let carrier = obs.carrier.to_ascii_lowercase();
        let context = Arc::clone(&self.context);
        let calendar = context.calendar(&carrier);
        let handover = calendar.handover_date(obs.ordered_at);
        let delivered = obs.delivered_at.date();
        let pickup = obs
            .picked_up_at
            .map(|at| at.date().max(handover))
            .unwrap_or(handover)
            .min(delivered.max(handover));
        let processing_days = calendar.working_days_between(handover, pickup);
        let transit_days = calendar.working_days_between(pickup, delivered);
        let total_days = calendar.working_days_between(handover, delivered);

        let geography = context.geography(&scheme.country);
        let origin_areas = scheme.areas(&origin, geography);
        let destination_areas = scheme.areas(&destination, geography);
        let transit_owner = owner_hash(Kind::Transit, &scheme.country, &carrier, &obs.service);
        let transit_keys: Vec<u64> = lane_ladder(&origin_areas, &destination_areas)
            .into_iter()
            .map(|rung| combine(transit_owner, rung_hash(rung)))
            .collect();
        let processing_owner = owner_hash(Kind::Processing, &scheme.country, &obs.scope, "");
        let processing_keys: Vec<u64> = origin_ladder(&origin_areas)
            .into_iter()
            .map(|rung| combine(processing_owner, rung_hash(rung)))
            .collect();

        let day = obs
            .ordered_at
            .date()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map_or(0, |z| z.timestamp().as_second().div_euclid(86_400));
        let epoch = *self.epoch_day.get_or_insert(day);
        let exponent = (day - epoch) as f64 / self.config.half_life_days;
        if exponent > MAX_WEIGHT_EXPONENT {
            self.rebase(day);
        }
        let epoch = self.epoch_day.unwrap_or(day);
        let weight = ((day - epoch) as f64 / self.config.half_life_days).exp2();
        let calibration_weight =
            ((day - epoch) as f64 / self.config.calibration_half_life_days).exp2();

        // What would the model have promised? Score it before learning.
        if let Some(total) = self.total_distribution(&transit_keys, &processing_keys, true) {
            let before = total.cdf(i64::from(total_days) - 1);
            self.calibration.record(before, calibration_weight);
        }

        for hash in &transit_keys {
            Arc::make_mut(self.transit.entry(*hash).or_default()).add(transit_days, weight);
        }
        for hash in &processing_keys {
            Arc::make_mut(self.processing.entry(*hash).or_default()).add(processing_days, weight);
        }
        self.observations += 1;
        Ok(())
    }

    /// Scales every weight so `day` becomes the new epoch (weights near 1).
    fn rebase(&mut self, day: i64) {
        let Some(epoch) = self.epoch_day else { return };
        let factor = (-((day - epoch) as f64) / self.config.half_life_days).exp2();
        let calibration_factor =
            (-((day - epoch) as f64) / self.config.calibration_half_life_days).exp2();
        for h in self
            .transit
            .values_mut()
            .chain(self.processing.values_mut())
        {
            Arc::make_mut(h).scale(factor);
        }
        self.calibration.scale(calibration_factor);
        self.epoch_day = Some(day);
    }

    fn distribution(&self, table: &Table, keys: &[u64]) -> Option<Distribution> {
        Distribution::blend(
            keys.iter().filter_map(|hash| table.get(hash).map(|h| &**h)),
            self.config.shrinkage,
        )
    }

    fn total_distribution(
        &self,
        transit_keys: &[u64],
        processing_keys: &[u64],
        with_processing: bool,
    ) -> Option<Distribution> {
        let transit = self.distribution(&self.transit, transit_keys)?;
        if !with_processing {
            return Some(transit);
        }
        let processing = self
            .distribution(&self.processing, processing_keys)
            .unwrap_or_else(|| Distribution::point(0));
        Some(processing.convolve(&transit))
    }

    /// The promise for one carrier on one lane; `None` when the model has no
    /// history for that carrier at all.
    pub fn estimate(&self, query: &Query<'_>) -> Result<Option<Estimate>, EddError> {
        Ok(self
            .estimate_carriers(query, &[query.carrier])?
            .pop()
            .flatten())
    }

    /// [`Model::estimate`] for several carriers on one lane (`query.carrier`
    /// is ignored): the lane's areas and the shipper's processing time are
    /// worked out once.
    pub fn estimate_carriers(
        &self,
        query: &Query<'_>,
        carriers: &[&str],
    ) -> Result<Vec<Option<Estimate>>, EddError> {
        let scheme = self.context.scheme(query.country)?;
        let origin = scheme.normalize(query.origin)?;
        let destination = scheme.normalize(query.destination)?;
        let with_processing = matches!(query.start, Start::Order(_));
        // The lane's areas and processing time: worked out only for a
        // carrier whose answer is not cached yet, once for all of them.
        let mut lane: Option<LaneWork<'_>> = None;
        // The calibrated levels of the promise, the median and the range:
        // the same for every carrier.
        let min_samples = self.config.min_calibration_samples;
        let levels = [query.confidence, 0.5, 0.05, 0.95].map(|confidence| {
            self.calibration
                .level(confidence.clamp(0.0, 1.0), min_samples)
        });
        // Codes as given when already lowercase (no copy).
        let carriers: Vec<std::borrow::Cow<'_, str>> = carriers
            .iter()
            .map(|c| {
                if c.bytes().any(|b| b.is_ascii_uppercase()) {
                    std::borrow::Cow::Owned(c.to_ascii_lowercase())
                } else {
                    std::borrow::Cow::Borrowed(*c)
                }
            })
            .collect();
        let mut key = Vec::with_capacity(64);
        let parts = [
            scheme.country.as_str(),
            query.scope,
            &origin,
            &destination,
            query.service,
        ];
        lane_key(&mut key, parts, with_processing);
        // Each calendar's working days from its handover date, walked once
        // for all the carriers that share it.
        let mut walks: Vec<crate::calendar::WorkingDays<'_>> = Vec::with_capacity(1);
        let mut dated = |answer: &LaneAnswer, carrier: &Arc<str>| {
            let calendar = self.context.calendar(carrier);
            let walk = match walks.iter().position(|w| w.of(calendar)) {
                Some(i) => &mut walks[i],
                None => {
                    let handover = match query.start {
                        Start::Order(at) => calendar.handover_date(at),
                        Start::Handover(date) => date,
                    };
                    walks.push(calendar.working_days(handover));
                    walks.last_mut().expect("just pushed")
                }
            };
            let handover = walk.first();
            let [date, p50, earliest, latest] =
                levels.map(|level| walk.nth(answer.quantile(level)));
            Estimate {
                carrier: carrier.clone(),
                date,
                confidence: query.confidence,
                p50,
                earliest: earliest.min(date),
                latest: latest.max(date),
                handover,
                level: answer.level.clone(),
                samples: answer.samples,
            }
        };
        // Cached answers under one read lock (taken once, not per carrier:
        // both cores take it on every lookup), the others after it.
        let mut out = Vec::with_capacity(carriers.len());
        let mut missing = Vec::new();
        {
            let lanes = self.lanes.0.read().expect("poisoned");
            let cached = lanes.get(key.as_slice()).map_or(&[][..], Vec::as_slice);
            for (i, carrier) in carriers.iter().enumerate() {
                match cached.iter().find(|c| *c.carrier == **carrier) {
                    Some(c) => out.push(c.answer.as_ref().map(|a| dated(a, &c.carrier))),
                    None => {
                        out.push(None);
                        missing.push(i);
                    }
                }
            }
        }
        for i in missing {
            let work = lane.get_or_insert_with(|| {
                self.lane_work(scheme, query.scope, &origin, &destination, with_processing)
            });
            let carrier: Arc<str> = carriers[i].as_ref().into();
            let answer = self.lane_answer(work, scheme, &carrier, query.service);
            out[i] = answer.as_ref().map(|a| dated(a, &carrier));
            self.lanes.insert(&key, carrier, answer);
        }
        Ok(out)
    }

    fn lane_work<'a>(
        &'a self,
        scheme: &'a PostalScheme,
        scope: &str,
        origin: &'a str,
        destination: &'a str,
        with_processing: bool,
    ) -> LaneWork<'a> {
        let geography = self.context.geography(&scheme.country);
        let origin_areas = scheme.areas(origin, geography);
        let destination_areas = scheme.areas(destination, geography);
        let ladder = lane_ladder(&origin_areas, &destination_areas);
        let rungs: Vec<u64> = ladder.iter().map(|&r| rung_hash(r)).collect();
        let processing = if with_processing {
            let owner = owner_hash(Kind::Processing, &scheme.country, scope, "");
            let keys: Vec<u64> = origin_ladder(&origin_areas)
                .into_iter()
                .map(|r| combine(owner, rung_hash(r)))
                .collect();
            self.distribution(&self.processing, &keys)
        } else {
            None
        };
        LaneWork {
            ladder,
            rungs,
            processing,
        }
    }

    /// One carrier's answer on a lane, before the calendar: `None` when it
    /// has no history at all.
    fn lane_answer(
        &self,
        lane: &LaneWork<'_>,
        scheme: &PostalScheme,
        carrier: &str,
        service: &str,
    ) -> Option<LaneAnswer> {
        let owner = owner_hash(Kind::Transit, &scheme.country, carrier, service);
        let keys: Vec<u64> = lane.rungs.iter().map(|&r| combine(owner, r)).collect();
        let transit = self.distribution(&self.transit, &keys)?;
        let total = match &lane.processing {
            Some(processing) => processing.convolve(&transit),
            None => transit,
        };
        // The most specific level with enough history names the answer.
        let (level, samples) = lane
            .ladder
            .iter()
            .zip(&keys)
            .rev()
            .find_map(|(rung, hash)| {
                self.transit
                    .get(hash)
                    .filter(|h| h.count >= self.config.min_level_samples)
                    .map(|h| (rung_name(*rung), h.count))
            })
            .unwrap_or_else(|| ("carrier".to_string(), 0));
        Some(LaneAnswer::new(&total, level, samples))
    }
}

/// What a lane's answers for every carrier share.
struct LaneWork<'a> {
    /// The lane ladder, broadest rung first, and each rung hashed.
    ladder: Vec<Rung<'a>>,
    rungs: Vec<u64>,
    processing: Option<Distribution>,
}

/// The hasher of table keys: foldhash (several times cheaper than SipHash
/// on these short keys; every lookup hashes dozens) seeded once per process,
/// so keys agree across a model's clones (they only live in memory) and
/// nobody outside can aim postal codes at a collision.
fn key_hasher() -> foldhash::quality::FoldHasher<'static> {
    static STATE: std::sync::OnceLock<foldhash::quality::FixedState> = std::sync::OnceLock::new();
    let state = STATE.get_or_init(|| {
        let random = std::collections::hash_map::RandomState::new();
        foldhash::quality::FixedState::with_seed(std::hash::BuildHasher::hash_one(&random, 0u64))
    });
    std::hash::BuildHasher::build_hasher(state)
}

/// Whose distribution: a carrier's transit (whoever ships) or a shipper's
/// processing (whatever carrier takes the parcel).
fn owner_hash(kind: Kind, country: &str, who: &str, service: &str) -> u64 {
    let mut h = key_hasher();
    kind.hash(&mut h);
    country.hash(&mut h);
    who.hash(&mut h);
    service.hash(&mut h);
    h.finish()
}

/// The areas of one rung of a ladder.
fn rung_hash((origin, destination): Rung<'_>) -> u64 {
    let mut h = key_hasher();
    for area in [origin, destination] {
        match area {
            Some(a) => {
                a.tag().hash(&mut h);
                a.key.hash(&mut h);
            }
            None => 255u8.hash(&mut h),
        }
    }
    h.finish()
}

/// One key from an owner and a rung: SplitMix64's finaliser over both, so
/// lookups for many carriers on one lane hash the areas only once.
fn combine(owner: u64, rung: u64) -> u64 {
    let mut z = owner ^ rung.rotate_left(29).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn rung_name((origin, destination): Rung<'_>) -> String {
    // Worked out once per lane and carrier (the lane cache keeps it).
    match (origin, destination) {
        (None, None) => "carrier".into(),
        (None, Some(d)) => format!("*→{}", d.level),
        (Some(o), None) => o.level.to_string(),
        (Some(o), Some(d)) => format!("{}→{}", o.level, d.level),
    }
}

/// Lane levels from the broadest (carrier-wide) to the most specific:
/// destination's broadest area first, then origin and destination refined
/// together, the destination one step ahead (it matters more for the last mile).
fn lane_ladder<'a>(origin: &[Area<'a>], destination: &[Area<'a>]) -> Vec<Rung<'a>> {
    let mut ladder: Vec<Rung<'a>> = vec![(None, None)];
    if let Some(d) = destination.last() {
        ladder.push((None, Some(*d)));
    }
    let coarse = |areas: &[Area<'a>], k: usize| -> Option<Area<'a>> {
        let n = areas.len();
        (n > 0).then(|| areas[n - 1 - k.min(n - 1)])
    };
    let steps = origin.len().max(destination.len());
    let mut push = |rung: Rung<'a>| {
        if rung.0.is_some() && rung.1.is_some() && ladder.last() != Some(&rung) {
            ladder.push(rung);
        }
    };
    for k in 0..steps {
        if k > 0 {
            push((coarse(origin, k - 1), coarse(destination, k)));
        }
        push((coarse(origin, k), coarse(destination, k)));
    }
    ladder
}

/// Origin levels for processing time: the shipper overall, then its areas.
fn origin_ladder<'a>(origin: &[Area<'a>]) -> Vec<Rung<'a>> {
    std::iter::once((None, None))
        .chain(origin.iter().rev().map(|a| (Some(*a), None)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn context() -> Context {
        Context::default()
            .with_scheme(PostalScheme::india())
            .with_default_calendar(Calendar::every_day())
    }

    fn obs(origin: &str, destination: &str, ordered: Date, transit: i64) -> Observation {
        let at = ordered.at(10, 0, 0, 0);
        Observation {
            country: "IN".into(),
            carrier: "delhivery".into(),
            service: String::new(),
            scope: String::new(),
            origin: origin.into(),
            destination: destination.into(),
            ordered_at: at,
            picked_up_at: Some(at),
            delivered_at: at + jiff::Span::new().days(transit),
        }
    }

    fn query<'a>(origin: &'a str, destination: &'a str, confidence: f64) -> Query<'a> {
        Query {
            country: "IN",
            carrier: "delhivery",
            service: "",
            scope: "",
            origin,
            destination,
            start: Start::Handover(date(2026, 3, 2)),
            confidence,
        }
    }

    #[test]
    fn a_cached_answers_quantiles_are_the_distributions() {
        let spread = Distribution {
            p: vec![0.0, 0.1, 0.0, 0.25, 0.3, 0.05, 0.2, 0.1],
        };
        let short = Distribution {
            p: vec![0.2, 0.3, 0.4],
        };
        for total in [
            Distribution::point(0),
            Distribution::point(6),
            spread,
            short,
        ] {
            let cached = LaneAnswer::new(&total, "carrier".into(), 0);
            for level in [
                0.0,
                0.05,
                0.1,
                0.1 + 1e-12,
                0.35,
                0.5,
                0.9,
                0.95,
                0.999,
                1.0,
                1.5,
            ] {
                assert_eq!(
                    cached.quantile(level),
                    total.quantile(level),
                    "{total:?} at {level}"
                );
            }
        }
    }

    #[test]
    fn cached_lane_answers_are_the_fresh_ones_and_learning_forgets_them() {
        let mut model = Model::new(ModelConfig::default(), context());
        for day in 1..=20 {
            model
                .observe(&obs("110001", "560001", date(2026, 1, day), 3))
                .unwrap();
        }
        let q = Query {
            start: Start::Order(date(2026, 3, 2).at(9, 0, 0, 0)),
            ..query("110001", "560001", 0.9)
        };
        let first = model.estimate(&q).unwrap().unwrap();
        assert_eq!(model.lanes.len(), 1, "the lane's answer is kept");
        assert_eq!(
            model.estimate(&q).unwrap().unwrap(),
            first,
            "from the cache"
        );
        let fresh = model.clone();
        assert_eq!(fresh.lanes.len(), 0, "a clone starts empty");
        assert_eq!(fresh.estimate(&q).unwrap().unwrap(), first);
        // Another confidence or start date reuses the lane, with its own dates.
        let later = Query {
            start: Start::Handover(date(2026, 3, 9)),
            confidence: 0.5,
            ..q
        };
        assert_eq!(
            model.estimate(&later).unwrap(),
            fresh.clone().estimate(&later).unwrap()
        );
        // Slower deliveries learned: the cached answer is gone, the promise later.
        for day in 1..=28 {
            model
                .observe(&obs("110001", "560001", date(2026, 2, day), 12))
                .unwrap();
        }
        assert_eq!(model.lanes.len(), 0);
        assert!(model.estimate(&q).unwrap().unwrap().date > first.date);
    }

    #[test]
    fn a_lane_with_history_answers_from_its_own_level() {
        let mut model = Model::new(ModelConfig::default(), context());
        for i in 0..40 {
            let day = date(2026, 1, 1) + jiff::Span::new().days(i);
            model.observe(&obs("560001", "110001", day, 2)).unwrap();
            model.observe(&obs("400001", "700001", day, 6)).unwrap();
        }
        let fast = model
            .estimate(&query("560001", "110001", 0.9))
            .unwrap()
            .unwrap();
        assert_eq!(fast.date, date(2026, 3, 4));
        assert_eq!(&*fast.level, "code→code");
        assert_eq!(fast.samples, 40);
        let slow = model
            .estimate(&query("400001", "700001", 0.9))
            .unwrap()
            .unwrap();
        assert_eq!(slow.date, date(2026, 3, 8));
        // An unseen lane falls back to carrier-wide history: between the two.
        let unseen = model
            .estimate(&query("600001", "800001", 0.5))
            .unwrap()
            .unwrap();
        assert_eq!(&*unseen.level, "carrier");
        assert!(unseen.date >= fast.date && unseen.date <= slow.date);
    }

    #[test]
    fn no_history_for_a_carrier_gives_no_answer_and_bad_codes_an_error() {
        let model = Model::new(ModelConfig::default(), context());
        assert!(
            model
                .estimate(&query("560001", "110001", 0.9))
                .unwrap()
                .is_none()
        );
        assert!(model.estimate(&query("56001", "110001", 0.9)).is_err());
    }

    #[test]
    fn recent_deliveries_outweigh_old_ones() {
        let mut model = Model::new(ModelConfig::default(), context());
        for i in 0..30 {
            let day = date(2026, 1, 1) + jiff::Span::new().days(i);
            model.observe(&obs("560001", "110001", day, 8)).unwrap();
        }
        for i in 0..30 {
            let day = date(2026, 4, 1) + jiff::Span::new().days(i);
            model.observe(&obs("560001", "110001", day, 3)).unwrap();
        }
        let estimate = model
            .estimate(&query("560001", "110001", 0.5))
            .unwrap()
            .unwrap();
        assert_eq!(estimate.p50, date(2026, 3, 5));
    }

    #[test]
    fn weights_are_rebased_over_long_histories() {
        let config = ModelConfig {
            half_life_days: 1.0,
            ..ModelConfig::default()
        };
        let mut model = Model::new(config, context());
        for i in 0..1500 {
            let day = date(2022, 1, 1) + jiff::Span::new().days(i);
            model.observe(&obs("560001", "110001", day, 2)).unwrap();
        }
        let estimate = model
            .estimate(&query("560001", "110001", 0.9))
            .unwrap()
            .unwrap();
        assert_eq!(estimate.date, date(2026, 3, 4));
    }

    proptest! {
        #[test]
        fn a_higher_confidence_never_gives_an_earlier_date(
            transits in proptest::collection::vec(0i64..40, 1..120),
            low in 0.0f64..1.0,
            high in 0.0f64..1.0,
        ) {
            let (low, high) = if low <= high { (low, high) } else { (high, low) };
            let mut model = Model::new(ModelConfig::default(), context());
            for (i, t) in transits.iter().enumerate() {
                let day = date(2026, 1, 1) + jiff::Span::new().days(i as i64 % 60);
                let dest = if i % 3 == 0 { "110001" } else { "110002" };
                model.observe(&obs("560001", dest, day, *t)).unwrap();
            }
            let mut q = query("560001", "110001", low);
            q.start = Start::Order(date(2026, 3, 2).at(18, 0, 0, 0));
            let a = model.estimate(&q).unwrap().unwrap();
            q.confidence = high;
            let b = model.estimate(&q).unwrap().unwrap();
            prop_assert!(a.date <= b.date);
            prop_assert!(b.earliest <= b.p50 && b.p50 <= b.latest);
        }
    }
}
