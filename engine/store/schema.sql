-- vtrial run store: the documented schema.
--
-- One DuckDB file holds any number of runs; every row carries the run_id of its run.
-- A run is written in ONE transaction: the `runs` row (status 'complete') and all of its
-- results become visible together at commit. A run that is interrupted (Ctrl-C, SIGTERM or
-- SIGHUP once the run has started) or fails
-- is rolled back and recorded as a `runs` row with status 'interrupted' or 'failed' and
-- no results; a killed process (kill -9) leaves nothing at all. So any run with status
-- 'complete' is whole, and the views below only read complete runs.
--
-- Units: times of observations in hours after the first dose; days where the column name
-- says so; concentrations in mg/L; doses in mg; AUC in mg*h/L.
-- Natural keys (not enforced, for append speed) are given per table.
--
-- store_info holds the schema version; a store written by another version is refused
-- with a message (write to a new file) rather than mixed.

CREATE TABLE IF NOT EXISTS store_info (
    schema_version INTEGER NOT NULL
);

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
    success     BOOLEAN,                   -- every primary comparison rejected its null (after the multiplicity
                                           -- adjustment) — for a two-sided test with `better`, with the estimate on
                                           -- the side of benefit; NULL: the primary endpoint has none
    stopped_look INTEGER,                  -- [design.interim]: the look (1-based) the trial stopped at; NULL without interim looks
    stop_reason VARCHAR,                   -- 'efficacy' | 'harm' (two-sided, rejected with the estimate the other way) | 'rejected' (two-sided without
                                           -- `better`) | 'futility' | 'not_rejected' (the final look without crossing); NULL without interim looks
    analysis_day DOUBLE NOT NULL,          -- calendar day (from the start of enrolment) of the analysis that decided the trial: the
                                           -- stopping look's, the day of design.planned_events, or the end of the study
    analysis_events INTEGER,               -- time-to-event primary: events of its comparisons' arms seen by that analysis
    enrolled_at_analysis INTEGER NOT NULL  -- patients who had entered by analysis_day (n_patients without [design.accrual])
);

-- Group-sequential trials ([design.interim]): the primary comparison at each look, up to the
-- look the trial stopped at. Looks by patients analyse the first patients enrolled with
-- complete follow-up; looks by events (time-to-event primary) censor follow-up at cut_day
-- (a calendar day: with [design.accrual] each patient's follow-up seen is cut_day - entry_day).
CREATE TABLE IF NOT EXISTS looks (          -- key: run_id, point, replicate, look
    run_id      BIGINT NOT NULL,
    point       INTEGER NOT NULL,
    replicate   INTEGER NOT NULL,
    look        INTEGER NOT NULL,          -- 1-based
    information DOUBLE NOT NULL,           -- planned information fraction (1 at the final look)
    patients    INTEGER NOT NULL,          -- patients analysed in the two arms
    events      INTEGER,                   -- time-to-event endpoints
    cut_day     DOUBLE NOT NULL,           -- calendar day of the look: the data cut (looks by events), when the analysed patients
                                           -- completed follow-up (looks by patients), the final analysis's day (final look)
    p_value     DOUBLE,                    -- the primary comparison's (unadjusted) p-value; NULL: not analysable at this look
    z           DOUBLE,                    -- its z on the boundary's scale: Φ⁻¹(1 − p), or Φ⁻¹(1 − p/2) = |z| for two-sided tests
    efficacy_z  DOUBLE NOT NULL,           -- the efficacy boundary (Lan–DeMets spending)
    level       DOUBLE NOT NULL,           -- nominal level: stop for efficacy when p_value <= level
    futility_z  DOUBLE,                    -- non-binding futility boundary on z (interim looks)
    estimate    DOUBLE,                    -- the primary comparison's estimate at this look (scale as comparisons.estimate)
    std_error   DOUBLE,                    -- its standard error
    rci_lower   DOUBLE,                    -- repeated confidence interval: estimate -/+ the efficacy boundary in SEs (Student's t
    rci_upper   DOUBLE,                    -- at the boundary's level for t tests); the looks' intervals cover the truth together
    rci_level   DOUBLE NOT NULL,           -- with probability >= rci_level (1 - 2 alpha one-sided, 1 - alpha two-sided)
    truth       DOUBLE,                    -- the simulated truth for the patients analysed at this look
    p_stagewise DOUBLE,                    -- at the look the trial stopped at: the stage-wise ordering p-value (null probability of
                                           -- stopping earlier for efficacy or here with a larger z; x2 two-sided); NULL elsewhere
    estimate_stagewise DOUBLE,             -- at the stopping look of a one-sided design: the stage-wise median-unbiased estimate
    ci_stagewise_lower DOUBLE,             -- and 1 - 2 alpha interval (cover the truth at their level without a futility rule;
    ci_stagewise_upper DOUBLE,             -- comparisons holds the naive ones)
    outcome     VARCHAR NOT NULL,          -- 'continue' or one of trials.stop_reason's values
    failure     VARCHAR                    -- why the comparison could not be analysed
);

-- One row per trial, endpoint and comparison (treatment against control). The estimate is
-- treatment − control on the estimand's scale: 'mean_difference', 'risk_difference',
-- 'log_odds_ratio' or 'log_hazard_ratio'. The confidence interval has level 1 − alpha for
-- two-sided tests; for one-sided tests both one-sided 1 − alpha bounds are given (so the
-- interval has level 1 − 2·alpha). Intervals are not adjusted for multiplicity; p_adjusted
-- and decision are. A comparison that could not be analysed (e.g. an arm without
-- patients) has NULL results and the reason in `failure`; it counts as not rejected.
CREATE TABLE IF NOT EXISTS comparisons (   -- key: run_id, point, replicate, endpoint, comparison
    run_id           BIGINT NOT NULL,
    point            INTEGER NOT NULL,
    replicate        INTEGER NOT NULL,
    endpoint         VARCHAR NOT NULL,     -- endpoint name ('primary' unless named)
    primary_endpoint BOOLEAN NOT NULL,
    comparison       INTEGER NOT NULL,     -- 0-based, in testing order
    control_arm      INTEGER NOT NULL,     -- arm index (arm_definitions.arm)
    treatment_arm    INTEGER NOT NULL,
    method           VARCHAR NOT NULL,     -- as in the scenario: 'welch_t' | 'ancova' | 'dunnett' |
                                           -- 'difference_in_proportions' | 'chi_square' | 'fisher_exact' |
                                           -- 'logistic' | 'log_rank' | 'cox'
    test             VARCHAR,              -- the statistics library's test that ran, e.g. 'diff_prop_newcombe',
                                           -- 'logrank_stratified', 'cox_efron' (NULL when it failed)
    estimand         VARCHAR NOT NULL,
    hypothesis       VARCHAR NOT NULL,     -- 'superiority' | 'non_inferiority'
    sided            VARCHAR NOT NULL,     -- 'two' | 'one_upper' (higher is better) | 'one_lower'
    alpha            DOUBLE NOT NULL,
    margin           DOUBLE NOT NULL,      -- non-inferiority margin (0 for superiority)
    multiplicity     VARCHAR NOT NULL,     -- 'none' | 'bonferroni' | 'holm' | 'hochberg' | 'fixed_sequence' | 'dunnett'
    stratified       BOOLEAN NOT NULL,     -- analysed within the randomisation strata
    n_control        INTEGER NOT NULL,     -- patients analysed
    n_treatment      INTEGER NOT NULL,
    events           INTEGER,              -- time-to-event: events in both arms
    estimate         DOUBLE,
    std_error        DOUBLE,
    ci_lower         DOUBLE,
    ci_upper         DOUBLE,
    statistic        DOUBLE,
    df               DOUBLE,               -- t tests
    p_value          DOUBLE,               -- unadjusted
    p_adjusted       DOUBLE,               -- after the multiplicity adjustment
    decision         BOOLEAN,              -- null hypothesis rejected
    truth            DOUBLE,               -- simulated truth for these patients (noise-free, as if all
                                           -- completed); its mean over trials is the population value
    failure          VARCHAR               -- why there is no result
);

-- Patients whose simulation failed, at every detail level.
CREATE TABLE IF NOT EXISTS failures (      -- key: run_id, point, replicate, patient
    run_id    BIGINT NOT NULL,
    point     INTEGER NOT NULL,
    replicate INTEGER NOT NULL,
    patient   INTEGER NOT NULL,
    arm       INTEGER NOT NULL,
    reason    VARCHAR NOT NULL
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
    entry_day      DOUBLE NOT NULL,        -- calendar day of entry ([design.accrual]; 0 without); the other days are from entry
    age            DOUBLE,                 -- years
    sex            VARCHAR,
    weight         DOUBLE,                 -- kg
    egfr           DOUBLE,                 -- mL/min/1.73m2
    bsa            DOUBLE,                 -- body-surface area, m2 (Mosteller; NULL: missing, or not in the cohort)
    crcl           DOUBLE,                 -- creatinine clearance, mL/min (Cockcroft-Gault; NULL: missing, or not in the cohort)
    status         VARCHAR NOT NULL,       -- 'completed' | 'dropout' | 'ae_discontinued' | 'failed'
    dropout_day    DOUBLE,
    ae_day         DOUBLE,                 -- first adverse event
    event_day      DOUBLE,                 -- time to event or censoring
    event_observed BOOLEAN,
    dose_mg        DOUBLE NOT NULL,        -- total dose taken before leaving the study (dosing goes on after an event: events do not end treatment)
    maintenance_dose_mg DOUBLE,            -- one dose of the regimen's last phase for this patient (per-kg/per-m2 scaled, rounded, capped; with drug monitoring, as set by the last trough before completing or leaving); NULL: placebo or failed before dosing
    tdm_dose_changes INTEGER,              -- [arms.tdm]: troughs taken in the study (before leaving) that changed the dose; NULL: no drug monitoring
    regimen        VARCHAR,                -- the regimen given, as written: the arm's, or the first [[arms.adjust]] rule's whose condition held; NULL: failed before dosing
    adjust_rule    INTEGER,                -- that rule's 0-based index in the arm's [[arms.adjust]] list; NULL: the arm's own regimen
    exposure       DOUBLE,                 -- the [response] Emax model's exposure metric (AUCss, mg*h/L, when the response model has none; an [events] or [safety] metric is not stored here), at steady state as if completed, scaled by the share of planned doses taken
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
    kind      VARCHAR NOT NULL,            -- 'concentration' | 'trough' (drug monitoring) | 'response' | 'event' | 'adverse_event' | 'dropout'
    value     DOUBLE NOT NULL              -- mg/L ('concentration', 'trough'); response units; 'event': 1 observed / 0 censored;
                                           -- 'adverse_event', 'dropout': always 1 (a row per occurrence)
);

-- Operating characteristics per scenario point, endpoint and comparison, for complete runs.
-- mean_n: patients analysed in the two arms; events: time-to-event endpoints (with their
-- MCSE sd/√trials and 5th/95th percentiles).
-- rejection_rate is the power (the type-I error when the truth is null) with its Monte-Carlo
-- SE; trials whose comparison could not be analysed count as not rejected. truth is the
-- mean over trials of the simulated truth; bias = mean estimate − truth, with MCSE
-- sd/√n; coverage is the share of intervals containing truth (nominal_coverage: 1 − alpha,
-- or 1 − 2·alpha for one-sided tests), with its MCSE.
CREATE OR REPLACE VIEW operating_characteristics AS
WITH c AS (
    SELECT c.*, avg(c.truth) OVER (PARTITION BY c.run_id, c.point, c.endpoint, c.comparison) AS point_truth
    FROM comparisons c JOIN runs r USING (run_id)
    WHERE r.status = 'complete'
), agg AS (
    SELECT run_id, point, endpoint, comparison,
           any_value(primary_endpoint) AS primary_endpoint,
           any_value(control_arm) AS control_arm, any_value(treatment_arm) AS treatment_arm,
           any_value(method) AS method, any_value(estimand) AS estimand, any_value(hypothesis) AS hypothesis,
           any_value(sided) AS sided, any_value(alpha) AS alpha, any_value(margin) AS margin,
           any_value(multiplicity) AS multiplicity,
           count(*) AS trials,
           count(estimate) AS analysed,
           avg(coalesce(decision, false)::INTEGER) AS rejection_rate,
           avg(estimate) AS mean_estimate,
           stddev_samp(estimate) AS sd_estimate,
           any_value(point_truth) AS truth,
           avg(CASE WHEN estimate IS NULL OR point_truth IS NULL THEN NULL
                    ELSE (ci_lower <= point_truth AND point_truth <= ci_upper)::INTEGER END) AS coverage,
           count(CASE WHEN estimate IS NOT NULL AND point_truth IS NOT NULL THEN 1 END) AS covered_n,
           avg(n_control + n_treatment) AS mean_n,
           stddev_samp(n_control + n_treatment) / sqrt(count(*)) AS mean_n_mcse,
           avg(events) AS mean_events,
           stddev_samp(events) / sqrt(count(events)) AS mean_events_mcse,
           quantile_cont(events, 0.05) AS p05_events,
           quantile_cont(events, 0.95) AS p95_events
    FROM c
    GROUP BY run_id, point, endpoint, comparison
)
SELECT a.run_id, a.point, p.label, a.endpoint, a.primary_endpoint, a.comparison,
       dc.name AS control, dt.name AS treatment,
       a.method, a.estimand, a.hypothesis, a.sided, a.alpha, a.margin, a.multiplicity,
       a.trials, a.analysed,
       a.rejection_rate,
       sqrt(a.rejection_rate * (1 - a.rejection_rate) / a.trials) AS rejection_mcse,
       a.mean_estimate, a.sd_estimate, a.truth,
       a.mean_estimate - a.truth AS bias,
       a.sd_estimate / sqrt(a.analysed) AS bias_mcse,
       a.coverage,
       sqrt(a.coverage * (1 - a.coverage) / a.covered_n) AS coverage_mcse,
       CASE WHEN a.sided = 'two' THEN 1 - a.alpha ELSE 1 - 2 * a.alpha END AS nominal_coverage,
       a.mean_n, a.mean_n_mcse, a.mean_events, a.mean_events_mcse, a.p05_events, a.p95_events
FROM agg a
JOIN points p USING (run_id, point)
JOIN arm_definitions dc ON dc.run_id = a.run_id AND dc.point = a.point AND dc.arm = a.control_arm
JOIN arm_definitions dt ON dt.run_id = a.run_id AND dt.point = a.point AND dt.arm = a.treatment_arm
ORDER BY a.run_id, a.point, a.primary_endpoint DESC, a.endpoint, a.comparison;

-- The study as a whole per scenario point, for complete runs: probability of success (every
-- primary comparison rejected) with its MCSE, and the distribution of patients, events and
-- dropouts per trial.
CREATE OR REPLACE VIEW study_success AS
WITH e AS (
    SELECT run_id, point, replicate, sum(n_events) AS events FROM arms GROUP BY ALL
)
SELECT t.run_id, t.point, p.label,
       count(*)                                        AS trials,
       count(t.success)                                AS with_comparisons,
       avg(t.success::INTEGER)                         AS pos,
       sqrt(avg(t.success::INTEGER) * (1 - avg(t.success::INTEGER)) / count(t.success)) AS pos_mcse,
       avg(t.n_patients)                               AS mean_patients,
       stddev_samp(t.n_patients) / sqrt(count(*))      AS mean_patients_mcse,
       quantile_cont(t.n_patients, 0.05)               AS p05_patients,
       median(t.n_patients)                            AS median_patients,
       quantile_cont(t.n_patients, 0.95)               AS p95_patients,
       avg(e.events)                                   AS mean_events,  -- over every patient's whole simulated follow-up, all arms
       stddev_samp(e.events) / sqrt(count(*))          AS mean_events_mcse,
       quantile_cont(e.events, 0.05)                   AS p05_events,
       quantile_cont(e.events, 0.95)                   AS p95_events,
       avg(t.n_dropouts)                               AS mean_dropouts,
       sum(t.n_failed)                                 AS failed_patients,
       avg(t.analysis_day)                             AS mean_analysis_day,  -- calendar day of the deciding analysis
       quantile_cont(t.analysis_day, 0.05)             AS p05_analysis_day,
       quantile_cont(t.analysis_day, 0.95)             AS p95_analysis_day,
       avg(t.analysis_events)                          AS mean_analysis_events,  -- seen by the deciding analysis (primary arms)
       avg(t.enrolled_at_analysis)                     AS mean_enrolled_at_analysis
FROM trials t
JOIN runs r USING (run_id)
JOIN points p USING (run_id, point)
JOIN e USING (run_id, point, replicate)
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

-- Group-sequential designs ([design.interim]) per scenario point and look, for complete
-- runs: the boundaries, how many trials reached the look, the share that stopped there with
-- the null rejected (with its MCSE; of which for efficacy and for harm) and for futility, the
-- cumulative share rejected,
-- and per point the expected patients at the stopping look (the expected sample size, with
-- its MCSE), and for looks by events the expected events and day of the stopping analysis.
-- Repeated confidence intervals: their nominal simultaneous level, the share of the trials
-- reaching the look with an interval and a truth there whose interval covers the truth
-- (rci_coverage), and per point the share of trials whose intervals at every look held cover
-- it (rci_coverage_all_looks, with its MCSE, over the rci_trials trials with at least one
-- interval; at least rci_level whatever the stopping rule did — approximately for tests
-- whose p-value is not the Wald statistic).
CREATE OR REPLACE VIEW interim_summary AS
WITH stops AS (
    SELECT t.run_id, t.point, t.replicate, t.stopped_look, t.stop_reason, l.patients, l.events, l.cut_day
    FROM trials t
    JOIN runs r USING (run_id)
    JOIN looks l ON l.run_id = t.run_id AND l.point = t.point AND l.replicate = t.replicate AND l.look = t.stopped_look
    WHERE r.status = 'complete'
), per_point AS (
    SELECT run_id, point, count(*) AS trials,
           avg(patients) AS expected_patients,
           stddev_samp(patients) / sqrt(count(*)) AS expected_patients_mcse,
           avg(events) AS expected_events,
           avg(cut_day) AS expected_day
    FROM stops GROUP BY run_id, point
), per_look AS (
    SELECT run_id, point, stopped_look AS look,
           count(*) FILTER (WHERE stop_reason IN ('efficacy', 'harm', 'rejected')) AS reject,
           count(*) FILTER (WHERE stop_reason = 'efficacy') AS efficacy,
           count(*) FILTER (WHERE stop_reason = 'harm') AS harm,
           count(*) FILTER (WHERE stop_reason = 'futility') AS futility
    FROM stops GROUP BY run_id, point, stopped_look
), bounds AS (
    SELECT run_id, point, look,
           any_value(information) AS information, any_value(efficacy_z) AS efficacy_z,
           any_value(level) AS level, any_value(futility_z) AS futility_z,
           count(*) AS reached, avg(patients) AS mean_patients, avg(events) AS mean_events,
           avg(cut_day) AS mean_cut_day, any_value(rci_level) AS rci_level,
           avg((truth BETWEEN rci_lower AND rci_upper)::DOUBLE) AS rci_coverage
    FROM looks GROUP BY run_id, point, look
), rci_trials AS (
    -- Did the intervals of every look a trial held cover the truth (looks with an interval
    -- and a truth; a trial with none has no value)?
    SELECT run_id, point, bool_and(truth BETWEEN rci_lower AND rci_upper) FILTER (WHERE rci_lower IS NOT NULL AND truth IS NOT NULL) AS covered
    FROM looks GROUP BY run_id, point, replicate
), rci_per_point AS (
    SELECT run_id, point, avg(covered::DOUBLE) AS rci_coverage_all_looks, count(covered) AS rci_trials
    FROM rci_trials GROUP BY run_id, point
)
SELECT b.run_id, b.point, p.label, b.look, b.information, b.efficacy_z, b.level, b.futility_z,
       pp.trials, b.reached, b.mean_patients, b.mean_events, b.mean_cut_day,
       coalesce(l.reject, 0) / pp.trials AS p_stop_reject,
       sqrt((coalesce(l.reject, 0) / pp.trials) * (1 - coalesce(l.reject, 0) / pp.trials) / pp.trials) AS p_stop_reject_mcse,
       coalesce(l.efficacy, 0) / pp.trials AS p_stop_efficacy,
       coalesce(l.harm, 0) / pp.trials AS p_stop_harm,
       coalesce(l.futility, 0) / pp.trials AS p_stop_futility,
       sum(coalesce(l.reject, 0)) OVER (PARTITION BY b.run_id, b.point ORDER BY b.look) / pp.trials AS cumulative_reject,
       pp.expected_patients, pp.expected_patients_mcse, pp.expected_events, pp.expected_day,
       b.rci_level, b.rci_coverage, rp.rci_coverage_all_looks, rp.rci_trials,
       sqrt(rp.rci_coverage_all_looks * (1 - rp.rci_coverage_all_looks) / rp.rci_trials) AS rci_coverage_all_looks_mcse
FROM bounds b
JOIN per_point pp ON pp.run_id = b.run_id AND pp.point = b.point
LEFT JOIN per_look l ON l.run_id = b.run_id AND l.point = b.point AND l.look = b.look
LEFT JOIN rci_per_point rp ON rp.run_id = b.run_id AND rp.point = b.point
JOIN points p ON p.run_id = b.run_id AND p.point = b.point
ORDER BY b.run_id, b.point, b.look;
