//! The carrier simulator: Shipgate's sandbox, like a payment processor's test
//! mode. It serves every carrier adapter's endpoints in that carrier's own
//! wire format on loopback (`http://HOST/{carrier}/…`, e.g.
//! `/delhivery/api/cmu/create.json`), keeps state, issues AWBs the carrier's
//! way, and moves shipments along scripted journeys on an adjustable clock.
//!
//! # Journeys
//!
//! The journey is chosen by the **order reference** (the carrier's order
//! number field), so examples and tests are deterministic. If the reference
//! contains (case-insensitive):
//!
//! | marker | journey (hours after creation) |
//! |---|---|
//! | *(none)* | delivered: manifested 0, picked up 6, in transit 12, destination hub 30, out for delivery 40, delivered 44 |
//! | `sim-ndr-delivered` | … out for delivery 40, failed attempt 44 (customer unavailable); a re-attempt (asked for, or by default 24 h later) goes out 20 h later and is delivered 4 h after |
//! | `sim-ndr-rto` | like the above, but every attempt fails (the second and later as refused, so only an RTO is accepted); a day after the third failure with no instruction (or at an RTO instruction) it returns: RTO requested, in transit, out for delivery, RTO delivered |
//! | `sim-lost` | … in transit 12, lost 72 |
//! | `sim-damaged` | … in transit 12, damaged 30, then RTO to delivered |
//! | `sim-delayed` | … in transit 12, delayed 30, in transit 54, destination hub 70, out for delivery 80, delivered 84 |
//!
//! Cancelling before pickup cancels; after pickup it starts a return to
//! origin where the carrier does so (Delhivery), and is refused where the
//! carrier refuses (the personality says which); after delivery it is refused.
//! A re-attempt is refused after three failed attempts or when the customer
//! refused the parcel. One pickup per location per day; a second is refused.
//! Serviceability: PIN codes starting `99` or `00` are not serviceable, those
//! starting `79` are ODA, those ending `9` are prepaid only.
//!
//! # Control
//!
//! - `POST /_sim/clock` `{"advance_hours": 24}`: moves the clock forward.
//! - `POST /_sim/faults` `{"latency_ms": 0, "error_rate": 0.2, "timeout_rate": 0.1,
//!   "timeout_ms": 3000, "malformed_rate": 0, "rate_limit_rate": 0}`: fault injection.
//! - `GET /_sim/stats`: requests, shipments created per carrier.
//! - `POST /_sim/webhooks` `{"carrier": "delhivery", "url": "http://…/hooks/carriers/ca_…",
//!   "secret": "…"}`: push that carrier's new scans there, in its push format,
//!   authenticated with `secret` (one try and one retry, like the carriers).

pub mod engine;
pub mod server;

pub use engine::{Faults, PushTarget, Simulator, first_attempt_delivery_hours};
pub use server::{router, spawn};
