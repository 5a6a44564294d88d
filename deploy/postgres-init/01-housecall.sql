-- Run by the postgres image on first start (empty data directory only), as
-- the POSTGRES_USER superuser, from /docker-entrypoint-initdb.d.
-- housecall keeps its data in its own database, next to Temporal's
-- temporal and temporal_visibility (created by the temporal-schema job).
CREATE DATABASE housecall;
