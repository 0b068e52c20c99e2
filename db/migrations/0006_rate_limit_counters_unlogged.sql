-- Rate-limit counters are counts of the current window: losing them in a crash only restarts the
-- windows. Unlogged, their upsert (one per start, upload, publish and failed login) writes no WAL
-- and its commit waits for no WAL flush, which halved its cost. A crash empties the table.
ALTER TABLE "rate_limit_counters" SET UNLOGGED;
