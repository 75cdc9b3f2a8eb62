//! Runs the conformance suite on a fresh database per check: SQLite by
//! default, PostgreSQL when SHIPGATE_TEST_POSTGRES_URL is set.

use shipgate_storage::{conformance, testing};

macro_rules! conformance_tests {
    ($($name:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                conformance::$name(&testing::fresh_database_url().await).await;
            }
        )+
    };
}

conformance_tests!(
    dashboard_users_and_sessions,
    audit_entries_commit_with_their_change,
    shipments_are_searched_and_reported_per_lane,
    performance_counts_equal_a_recount,
    carrier_scans_are_rekeyed_by_status_and_minute,
    edd_observations_are_kept_once_in_order,
    serviceability_stays_within_its_tenant,
    tenants_are_found_by_key_hash_only,
    secret_keys_are_created_listed_and_revoked_within_their_tenant,
    publishable_keys_are_found_by_hash_with_their_origins,
    awb_serials_are_never_issued_twice,
    shipments_round_trip_within_their_tenant,
    an_awb_is_used_once_per_carrier,
    lists_page_newest_first,
    events_are_deduplicated_and_folded,
    follow_up_jobs_commit_with_their_events,
    concurrent_recorders_lose_no_event,
    idempotency_keys_replay_and_guard,
    jobs_follow_their_lifecycle,
    concurrent_workers_never_share_a_job,
    carrier_accounts_stay_within_their_tenant,
    carrier_pushes_are_kept_with_their_job,
    polls_are_claimed_once_and_follow_the_status,
    pooled_awbs_are_handed_out_once,
    tenant_settings_and_lane_outcomes,
    one_pickup_per_location_and_day,
    batches_record_each_row_once,
    batched_recordings_fold_each_shipment,
    pushes_are_stored_and_applied_in_one_transaction,
    modifications_are_saved_with_their_record,
    ndrs_are_raised_claimed_once_and_settled,
    webhook_endpoints_stay_within_their_tenant,
    webhook_events_fan_out_once_per_subscribed_endpoint,
    webhook_attempts_follow_the_schedule,
    webhook_outbox_is_claimed_once_and_recorded_in_batches,
);
