-- vtrial run store: the documented schema.
--
-- One DuckDB file holds any number of runs; every row carries the run_id of its run.
-- A run is written in ONE transaction: the `runs` row (status 'complete') and all of its
-- results become visible together at commit. A run that is interrupted (Ctrl-C) or fails
-- is rolled back and recorded as a `runs` row with status 'interrupted' or 'failed' and
-- no results; a killed process (kill -9) leaves nothing at all. So any run with status
-- 'complete' is whole, and the views below only read complete runs.
--
-- Units: times of observations in hours after the first dose; days where the column name
-- says so; concentrations in mg/L; doses in mg; AUC in mg*h/L.
-- Natural keys (not enforced, for append speed) are given per table.

CREATE TABLE IF NOT EXISTS runs (          -- key: run_id
    run_id          BIGINT NOT NULL,       -- 1, 2, … in order of start
    scenario_name   VARCHAR NOT NULL,      -- [study] name
    scenario_file   VARCHAR NOT NULL,      -- path as given on the command line
    scenario_text   VARCHAR NOT NULL,      -- the whole scenario file, verbatim
    scenario_sha256 VARCHAR NOT NULL,      -- SHA-256 of scenario_text (hex)
    seed            UBIGINT NOT NULL,      -- seed of every random stream (after --seed)
    replicates      INTEGER NOT NULL,      -- trials per scenario point (after --replicates)
    n_points        INTEGER NOT NULL,      -- scenario points (sweep)
    detail          VARCHAR NOT NULL,      -- 'trial' | 'patient' | 'observation'
    threads         INTEGER NOT NULL,      -- worker threads (results do not depend on it)
    cohort_source   VARCHAR NOT NULL,      -- where patients came from
    engine_version  VARCHAR NOT NULL,      -- vtrial version
    duckdb_version  VARCHAR NOT NULL,
    started_at      TIMESTAMP NOT NULL,    -- UTC
    finished_at     TIMESTAMP,             -- UTC
    status          VARCHAR NOT NULL,      -- 'complete' | 'interrupted' | 'failed'
    message         VARCHAR                -- why a run did not complete
);

CREATE TABLE IF NOT EXISTS points (         -- key: run_id, point
    run_id  BIGINT NOT NULL,
    point   INTEGER NOT NULL,              -- 0-based, Cartesian product order (first axis slowest)
    label   VARCHAR NOT NULL               -- 'design.n_per_arm=40, response.emax.value=-8.0'
);

CREATE TABLE IF NOT EXISTS point_parameters ( -- key: run_id, point, name
    run_id     BIGINT NOT NULL,
    point      INTEGER NOT NULL,
    name       VARCHAR NOT NULL,           -- the swept key, e.g. 'design.n_per_arm'
    value_num  DOUBLE,                     -- numeric value (NULL for text)
    value_text VARCHAR                     -- the value as written
);

CREATE TABLE IF NOT EXISTS arm_definitions ( -- key: run_id, point, arm
    run_id  BIGINT NOT NULL,
    point   INTEGER NOT NULL,
    arm     INTEGER NOT NULL,              -- 0-based, file order
    name    VARCHAR NOT NULL,
    regimen VARCHAR NOT NULL               -- as written ('placebo' for none)
);

CREATE TABLE IF NOT EXISTS trials (         -- key: run_id, point, replicate
    run_id      BIGINT NOT NULL,
    point       INTEGER NOT NULL,
    replicate   INTEGER NOT NULL,
    n_patients  INTEGER NOT NULL,
    n_dropouts  INTEGER NOT NULL,          -- dropouts and AE discontinuations
    n_failed    INTEGER NOT NULL,          -- patients whose simulation failed (excluded)
    n_ae        INTEGER NOT NULL,          -- patients with an adverse event
    endpoint    VARCHAR NOT NULL,          -- primary endpoint kind
    test        VARCHAR NOT NULL,          -- 'welch_t' | 'difference_in_proportions' | 'log_rank' | 'none'
    estimate    DOUBLE,                    -- treatment − control (log-rank: Peto log HR)
    std_error   DOUBLE,
    statistic   DOUBLE,
    p_value     DOUBLE,
    significant BOOLEAN                    -- p_value < alpha; NULL when no comparison was possible
);

CREATE TABLE IF NOT EXISTS arms (           -- key: run_id, point, replicate, arm
    run_id        BIGINT NOT NULL,
    point         INTEGER NOT NULL,
    replicate     INTEGER NOT NULL,
    arm           INTEGER NOT NULL,
    n             INTEGER NOT NULL,
    n_completed   INTEGER NOT NULL,
    n_dropouts    INTEGER NOT NULL,
    n_failed      INTEGER NOT NULL,
    n_ae          INTEGER NOT NULL,
    n_events      INTEGER NOT NULL,        -- time-to-event endpoint
    endpoint_n    INTEGER NOT NULL,        -- patients with a primary endpoint value
    endpoint_mean DOUBLE,                  -- responder endpoints: share of responders
    endpoint_sd   DOUBLE,
    exposure_mean DOUBLE                   -- the response model's exposure metric (default AUCss)
);

CREATE TABLE IF NOT EXISTS patients (       -- key: run_id, point, replicate, patient (detail >= patient)
    run_id         BIGINT NOT NULL,
    point          INTEGER NOT NULL,
    replicate      INTEGER NOT NULL,
    patient        INTEGER NOT NULL,       -- enrolment order within the trial
    arm            INTEGER NOT NULL,
    age            DOUBLE,                 -- years
    sex            VARCHAR,
    weight         DOUBLE,                 -- kg
    egfr           DOUBLE,                 -- mL/min/1.73m2
    status         VARCHAR NOT NULL,       -- 'completed' | 'dropout' | 'ae_discontinued' | 'failed'
    dropout_day    DOUBLE,
    ae_day         DOUBLE,                 -- first adverse event
    event_day      DOUBLE,                 -- time to event or censoring
    event_observed BOOLEAN,
    dose_mg        DOUBLE NOT NULL,        -- total dose taken
    exposure       DOUBLE,
    baseline       DOUBLE,
    endpoint       DOUBLE,                 -- primary endpoint (responders 1/0; TTE: days)
    failure        VARCHAR                 -- why the simulation failed
);

CREATE TABLE IF NOT EXISTS observations (   -- detail = observation
    run_id    BIGINT NOT NULL,
    point     INTEGER NOT NULL,
    replicate INTEGER NOT NULL,
    patient   INTEGER NOT NULL,
    time_h    DOUBLE NOT NULL,             -- hours after the first dose
    kind      VARCHAR NOT NULL,            -- 'concentration' | 'response' | 'event' | 'adverse_event' | 'dropout'
    value     DOUBLE NOT NULL              -- mg/L, response units, or 1/0 (event observed / censored)
);

-- Power (share of trials with a significant primary comparison) per scenario point, with
-- its Monte-Carlo standard error, for complete runs.
CREATE OR REPLACE VIEW power AS
SELECT t.run_id, t.point, p.label,
       count(*)                                    AS trials,
       count(t.significant)                        AS compared,
       avg(t.significant::INTEGER)                 AS power,
       sqrt(avg(t.significant::INTEGER) * (1 - avg(t.significant::INTEGER)) / count(t.significant)) AS mcse,
       avg(t.estimate)                             AS mean_estimate,
       avg(t.n_patients)                           AS mean_patients,
       avg(t.n_dropouts)                           AS mean_dropouts,
       sum(t.n_failed)                             AS failed_patients
FROM trials t
JOIN runs r USING (run_id)
JOIN points p USING (run_id, point)
WHERE r.status = 'complete'
GROUP BY t.run_id, t.point, p.label
ORDER BY t.run_id, t.point;

-- Operating characteristics per arm and point: mean size, completion, endpoint, exposure.
CREATE OR REPLACE VIEW arm_summary AS
SELECT a.run_id, a.point, a.arm, d.name AS arm_name,
       count(*)              AS trials,
       avg(a.n)              AS mean_n,
       avg(a.n_completed)    AS mean_completed,
       avg(a.n_dropouts)     AS mean_dropouts,
       avg(a.n_ae)           AS mean_ae,
       avg(a.endpoint_mean)  AS mean_endpoint,
       avg(a.exposure_mean)  AS mean_exposure
FROM arms a
JOIN runs r USING (run_id)
JOIN arm_definitions d USING (run_id, point, arm)
WHERE r.status = 'complete'
GROUP BY a.run_id, a.point, a.arm, d.name
ORDER BY a.run_id, a.point, a.arm;

-- The latest complete run.
CREATE OR REPLACE VIEW latest_run AS
SELECT * FROM runs WHERE status = 'complete' ORDER BY run_id DESC LIMIT 1;
