-- migrations
create table if not exists "COHORT_SYNC"."COHORT_SNAPSHOT" ("SYNC_NAME" VARCHAR not null, "ID_TYPE" VARCHAR not null, "ID" VARCHAR not null, "ALIAS_LABEL" VARCHAR not null, "ADDED_AT" TIMESTAMP_TZ not null, "RUN_ID" VARCHAR not null);

create table if not exists "COHORT_SYNC"."SYNC_RUNS" ("RUN_ID" VARCHAR primary key, "SYNC_NAME" VARCHAR not null, "COHORT_ID" VARCHAR not null, "COHORT_NAME" VARCHAR not null, "TRIGGER" VARCHAR not null, "DRY_RUN" boolean not null, "STATUS" VARCHAR not null, "STARTED_AT" TIMESTAMP_TZ not null, "FINISHED_AT" TIMESTAMP_TZ, "QUERY_ROWS" BIGINT, "SKIPPED_NULL" BIGINT, "SKIPPED_DUPLICATE" BIGINT, "SKIPPED_INVALID" BIGINT, "TO_ADD" BIGINT, "TO_REMOVE" BIGINT, "ADDED" BIGINT default 0 not null, "REMOVED" BIGINT default 0 not null, "FAILED" BIGINT default 0 not null, "REQUESTS" BIGINT default 0 not null, "RETRIES" BIGINT default 0 not null, "ERROR" VARCHAR, "SKIP_REASONS" VARCHAR);

create table if not exists "COHORT_SYNC"."SYNC_CHANGES" ("RUN_ID" VARCHAR not null, "SYNC_NAME" VARCHAR not null, "OP" VARCHAR not null, "ID_TYPE" VARCHAR not null, "ID" VARCHAR not null, "ALIAS_LABEL" VARCHAR not null, "BATCH" INTEGER not null, "STATUS" VARCHAR not null, "ERROR" VARCHAR, "CREATED_AT" TIMESTAMP_TZ not null);

create table if not exists "COHORT_SYNC"."SYNC_LOCKS" ("SYNC_NAME" VARCHAR primary key, "OWNER" VARCHAR not null, "RUN_ID" VARCHAR not null, "ACQUIRED_AT" TIMESTAMP_TZ not null, "LEASE_UNTIL" TIMESTAMP_TZ not null);

alter table "COHORT_SYNC"."SYNC_RUNS" add column "BYTES_PROCESSED" BIGINT;

alter table "COHORT_SYNC"."SYNC_RUNS" add column "BYTES_BILLED" BIGINT;

-- stage the query result
CREATE TRANSIENT TABLE "COHORT_SYNC"."STAGE_3F2A9C1E0B7D4E519A8C_MEMBERS" AS
SELECT id_type, id, alias_label, COUNT(*) AS row_count,
  CASE
    WHEN id_type IS NULL THEN 'null'
    WHEN TRIM(id) = '' THEN 'blank'
    WHEN LENGTH(id) > 1024 THEN 'too_long'
    WHEN id_type = 'alias' AND TRIM(alias_label) = '' THEN 'no_alias_label'
    ELSE 'valid'
  END AS verdict
FROM (
  SELECT
    CASE WHEN ext IS NOT NULL THEN 'external_id' WHEN dev IS NOT NULL THEN 'device_id' WHEN an IS NOT NULL THEN 'alias' END AS id_type,
    COALESCE(ext, dev, an) AS id,
    CASE WHEN ext IS NULL AND dev IS NULL AND an IS NOT NULL THEN COALESCE(al, '') ELSE '' END AS alias_label
  FROM (
    SELECT CAST("Q"."EXTERNAL_ID" AS VARCHAR) AS ext, CAST(NULL AS VARCHAR) AS dev, CAST("Q"."ALIAS_NAME" AS VARCHAR) AS an, CAST('email' AS VARCHAR) AS al
    FROM (SELECT user_id AS external_id, email AS alias_name FROM analytics.public.customers
) AS q
  ) AS c
) AS n
GROUP BY id_type, id, alias_label;

select "VERDICT", SUM(row_count) as "ROWS", COUNT(*) as "IDENTITIES" from "COHORT_SYNC"."STAGE_3F2A9C1E0B7D4E519A8C_MEMBERS" group by "VERDICT";

select COUNT(*) as "MEMBERS" from "COHORT_SYNC"."COHORT_SNAPSHOT" where "SYNC_NAME" = ?;
-- binds: ["vip"]

-- diff against the snapshot
CREATE TRANSIENT TABLE "COHORT_SYNC"."STAGE_3F2A9C1E0B7D4E519A8C_CHANGES" AS
SELECT op, id_type, id, alias_label,
  CAST(FLOOR((ROW_NUMBER() OVER (ORDER BY op, id_type, id, alias_label) - 1) / 1000) AS INTEGER) AS batch
FROM (
  SELECT 'add' AS op, a.id_type, a.id, a.alias_label FROM (SELECT id_type, id, alias_label FROM "COHORT_SYNC"."STAGE_3F2A9C1E0B7D4E519A8C_MEMBERS" WHERE verdict = 'valid' MINUS SELECT id_type, id, alias_label FROM "COHORT_SYNC"."COHORT_SNAPSHOT" WHERE sync_name = ?) AS a
  UNION ALL
  SELECT 'remove' AS op, r.id_type, r.id, r.alias_label FROM (SELECT id_type, id, alias_label FROM "COHORT_SYNC"."COHORT_SNAPSHOT" WHERE sync_name = ? MINUS SELECT id_type, id, alias_label FROM "COHORT_SYNC"."STAGE_3F2A9C1E0B7D4E519A8C_MEMBERS" WHERE verdict = 'valid') AS r
) AS d;
-- binds: ["vip","vip"]

select "OP", COUNT(*) as "CHANGES", MAX(batch) as "LAST_BATCH" from "COHORT_SYNC"."STAGE_3F2A9C1E0B7D4E519A8C_CHANGES" group by "OP";

-- diff, re-sending changes earlier runs left unconfirmed
CREATE TRANSIENT TABLE "COHORT_SYNC"."STAGE_3F2A9C1E0B7D4E519A8C_CHANGES" AS
SELECT op, id_type, id, alias_label,
  CAST(FLOOR((ROW_NUMBER() OVER (ORDER BY op, id_type, id, alias_label) - 1) / 1000) AS INTEGER) AS batch
FROM (
  SELECT 'add' AS op, a.id_type, a.id, a.alias_label FROM (SELECT id_type, id, alias_label FROM "COHORT_SYNC"."STAGE_3F2A9C1E0B7D4E519A8C_MEMBERS" WHERE verdict = 'valid' MINUS SELECT id_type, id, alias_label FROM (SELECT id_type, id, alias_label FROM "COHORT_SYNC"."COHORT_SNAPSHOT" WHERE sync_name = ? MINUS SELECT id_type, id, alias_label FROM "COHORT_SYNC"."SYNC_CHANGES" WHERE sync_name = ? AND status <> 'sent' AND run_id IN (?, ?)) AS certain) AS a
  UNION ALL
  SELECT 'remove' AS op, r.id_type, r.id, r.alias_label FROM (SELECT id_type, id, alias_label FROM (SELECT id_type, id, alias_label FROM "COHORT_SYNC"."COHORT_SNAPSHOT" WHERE sync_name = ? UNION ALL SELECT id_type, id, alias_label FROM "COHORT_SYNC"."SYNC_CHANGES" WHERE sync_name = ? AND status <> 'sent' AND run_id IN (?, ?)) AS claimed MINUS SELECT id_type, id, alias_label FROM "COHORT_SYNC"."STAGE_3F2A9C1E0B7D4E519A8C_MEMBERS" WHERE verdict = 'valid') AS r
) AS d;
-- binds: ["vip","vip","run-a","run-b","vip","vip","run-a","run-b"]

-- plan samples
select "ID_TYPE", "ID", "ALIAS_LABEL" from "COHORT_SYNC"."STAGE_3F2A9C1E0B7D4E519A8C_CHANGES" where "OP" = ? order by "ID" limit 10;
-- binds: ["add"]

-- record, stream, apply
insert into "COHORT_SYNC"."SYNC_CHANGES" ("RUN_ID", "SYNC_NAME", "OP", "ID_TYPE", "ID", "ALIAS_LABEL", "BATCH", "STATUS", "ERROR", "CREATED_AT") select 'run-1' as "RUN_ID", 'vip' as "SYNC_NAME", "OP", "ID_TYPE", "ID", "ALIAS_LABEL", "BATCH", 'not_sent' as "STATUS", CAST(NULL AS VARCHAR) as "ERROR", CURRENT_TIMESTAMP as "CREATED_AT" from "COHORT_SYNC"."STAGE_3F2A9C1E0B7D4E519A8C_CHANGES";

select "OP", "ID_TYPE", "ID", "ALIAS_LABEL", "BATCH" from "COHORT_SYNC"."STAGE_3F2A9C1E0B7D4E519A8C_CHANGES" order by "BATCH";

delete from "COHORT_SYNC"."COHORT_SNAPSHOT" where "SYNC_NAME" = ? and exists (select 1 as "ONE" from "COHORT_SYNC"."STAGE_3F2A9C1E0B7D4E519A8C_CHANGES" as "C" where "C"."OP" = ? and ("C"."BATCH" BETWEEN 0 AND 4 OR "C"."BATCH" = 7) and "C"."ID_TYPE" = "COHORT_SNAPSHOT"."ID_TYPE" and "C"."ID" = "COHORT_SNAPSHOT"."ID" and "C"."ALIAS_LABEL" = "COHORT_SNAPSHOT"."ALIAS_LABEL");
-- binds: ["vip","remove"]

insert into "COHORT_SYNC"."COHORT_SNAPSHOT" ("SYNC_NAME", "ID_TYPE", "ID", "ALIAS_LABEL", "ADDED_AT", "RUN_ID") select 'vip' as "SYNC_NAME", "C"."ID_TYPE", "C"."ID", "C"."ALIAS_LABEL", CURRENT_TIMESTAMP as "ADDED_AT", 'run-1' as "RUN_ID" from "COHORT_SYNC"."STAGE_3F2A9C1E0B7D4E519A8C_CHANGES" as "C" where "C"."OP" = ? and ("C"."BATCH" BETWEEN 0 AND 4 OR "C"."BATCH" = 7);
-- binds: ["add"]

update "COHORT_SYNC"."SYNC_CHANGES" set "STATUS" = ?, "ERROR" = ? where "RUN_ID" = ? and ("BATCH" BETWEEN 0 AND 4 OR "BATCH" = 7);
-- binds: ["sent",null,"run-1"]

update "COHORT_SYNC"."SYNC_CHANGES" set "STATUS" = ?, "ERROR" = ? where "RUN_ID" = ? and ("BATCH" BETWEEN 5 AND 6);
-- binds: ["failed","HTTP 400: it's bad","run-1"]

-- run --limit
CREATE TRANSIENT TABLE "COHORT_SYNC"."STAGE_3F2A9C1E0B7D4E519A8C_LIMITED" AS
SELECT op, id_type, id, alias_label,
  CAST(FLOOR((rn - 1) / 1000) AS INTEGER) AS batch
FROM (
  SELECT op, id_type, id, alias_label, ROW_NUMBER() OVER (ORDER BY batch, op, id_type, id, alias_label) AS rn
  FROM "COHORT_SYNC"."STAGE_3F2A9C1E0B7D4E519A8C_CHANGES"
) AS numbered
WHERE rn <= 2500;

drop table if exists "COHORT_SYNC"."STAGE_3F2A9C1E0B7D4E519A8C_CHANGES";

CREATE TRANSIENT TABLE "COHORT_SYNC"."STAGE_3F2A9C1E0B7D4E519A8C_CHANGES" AS
SELECT op, id_type, id, alias_label, batch FROM "COHORT_SYNC"."STAGE_3F2A9C1E0B7D4E519A8C_LIMITED";

drop table if exists "COHORT_SYNC"."STAGE_3F2A9C1E0B7D4E519A8C_LIMITED";

-- drop a stage table
drop table if exists "COHORT_SYNC"."STAGE_3F2A9C1E0B7D4E519A8C_MEMBERS";

-- a NULL value, and a literal with a quote, a backslash and a newline
update "COHORT_SYNC"."SYNC_RUNS" set "ERROR" = ?, "SKIP_REASONS" = 'it''s a
new \\ line' where "RUN_ID" = ?;
-- binds: [null,"run-1"]
