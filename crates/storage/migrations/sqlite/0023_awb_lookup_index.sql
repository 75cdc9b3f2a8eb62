-- A tracking number's shipments, newest first (the public tracking page, the
-- carrier-less tracking lookup and the dashboard's AWB search), read from
-- one index range. With only (awb), a planner with stale statistics walked
-- the whole primary key backwards to satisfy ORDER BY id DESC LIMIT
-- (PostgreSQL: 35-50 ms at 100,000 shipments).
DROP INDEX shipments_awb;
CREATE INDEX shipments_awb ON shipments (awb, id);
