-- migrations
create table if not exists `cohort_sync`.`cohort_snapshot` (`sync_name` STRING not null, `id_type` STRING not null, `id` STRING not null, `alias_label` STRING not null, `added_at` TIMESTAMP not null, `run_id` STRING not null);

create table if not exists `cohort_sync`.`sync_runs` (`run_id` STRING, `sync_name` STRING not null, `cohort_id` STRING not null, `cohort_name` STRING not null, `trigger` STRING not null, `dry_run` BOOL not null, `status` STRING not null, `started_at` TIMESTAMP not null, `finished_at` TIMESTAMP, `query_rows` BIGINT, `skipped_null` BIGINT, `skipped_duplicate` BIGINT, `skipped_invalid` BIGINT, `to_add` BIGINT, `to_remove` BIGINT, `added` BIGINT default 0 not null, `removed` BIGINT default 0 not null, `failed` BIGINT default 0 not null, `requests` BIGINT default 0 not null, `retries` BIGINT default 0 not null, `error` STRING, `skip_reasons` STRING);

create table if not exists `cohort_sync`.`sync_changes` (`run_id` STRING not null, `sync_name` STRING not null, `op` STRING not null, `id_type` STRING not null, `id` STRING not null, `alias_label` STRING not null, `batch` INT64 not null, `status` STRING not null, `error` STRING, `created_at` TIMESTAMP not null);

create table if not exists `cohort_sync`.`sync_locks` (`sync_name` STRING, `owner` STRING not null, `run_id` STRING not null, `acquired_at` TIMESTAMP not null, `lease_until` TIMESTAMP not null);

alter table `cohort_sync`.`sync_runs` add column `bytes_processed` BIGINT;

alter table `cohort_sync`.`sync_runs` add column `bytes_billed` BIGINT;

-- stage the query result
CREATE TABLE `cohort_sync`.`stage_3f2a9c1e0b7d4e519a8c_members`
OPTIONS (expiration_timestamp = TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL 24 HOUR)) AS
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
    SELECT CAST(`q`.`external_id` AS STRING) AS ext, CAST(NULL AS STRING) AS dev, CAST(`q`.`alias_name` AS STRING) AS an, CAST('email' AS STRING) AS al
    FROM (SELECT user_id AS external_id, email AS alias_name FROM `analytics.customers`
) AS q
  ) AS c
) AS n
GROUP BY id_type, id, alias_label;

select `verdict`, SUM(row_count) as `rows`, COUNT(*) as `identities` from `cohort_sync`.`stage_3f2a9c1e0b7d4e519a8c_members` group by `verdict`;

-- diff against the snapshot
CREATE TABLE `cohort_sync`.`stage_3f2a9c1e0b7d4e519a8c_changes`
OPTIONS (expiration_timestamp = TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL 24 HOUR)) AS
SELECT op, id_type, id, alias_label,
  CAST(FLOOR((ROW_NUMBER() OVER () - 1) / 1000) AS INT64) AS batch
FROM (
  SELECT 'add' AS op, a.id_type, a.id, a.alias_label FROM (SELECT id_type, id, alias_label FROM `cohort_sync`.`stage_3f2a9c1e0b7d4e519a8c_members` WHERE verdict = 'valid' EXCEPT DISTINCT SELECT id_type, id, alias_label FROM `cohort_sync`.`cohort_snapshot` WHERE sync_name = ?) AS a
  UNION ALL
  SELECT 'remove' AS op, r.id_type, r.id, r.alias_label FROM (SELECT id_type, id, alias_label FROM `cohort_sync`.`cohort_snapshot` WHERE sync_name = ? EXCEPT DISTINCT SELECT id_type, id, alias_label FROM `cohort_sync`.`stage_3f2a9c1e0b7d4e519a8c_members` WHERE verdict = 'valid') AS r
) AS d;
-- parameters: ["vip","vip"]

select `op`, COUNT(*) as `changes`, MAX(batch) as `last_batch` from `cohort_sync`.`stage_3f2a9c1e0b7d4e519a8c_changes` group by `op`;

-- diff, re-sending changes earlier runs left unconfirmed
CREATE TABLE `cohort_sync`.`stage_3f2a9c1e0b7d4e519a8c_changes`
OPTIONS (expiration_timestamp = TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL 24 HOUR)) AS
SELECT op, id_type, id, alias_label,
  CAST(FLOOR((ROW_NUMBER() OVER () - 1) / 1000) AS INT64) AS batch
FROM (
  SELECT 'add' AS op, a.id_type, a.id, a.alias_label FROM (SELECT id_type, id, alias_label FROM `cohort_sync`.`stage_3f2a9c1e0b7d4e519a8c_members` WHERE verdict = 'valid' EXCEPT DISTINCT SELECT id_type, id, alias_label FROM (SELECT id_type, id, alias_label FROM `cohort_sync`.`cohort_snapshot` WHERE sync_name = ? EXCEPT DISTINCT SELECT id_type, id, alias_label FROM `cohort_sync`.`sync_changes` WHERE sync_name = ? AND status <> 'sent' AND run_id IN (?, ?)) AS certain) AS a
  UNION ALL
  SELECT 'remove' AS op, r.id_type, r.id, r.alias_label FROM (SELECT id_type, id, alias_label FROM (SELECT id_type, id, alias_label FROM `cohort_sync`.`cohort_snapshot` WHERE sync_name = ? UNION ALL SELECT id_type, id, alias_label FROM `cohort_sync`.`sync_changes` WHERE sync_name = ? AND status <> 'sent' AND run_id IN (?, ?)) AS claimed EXCEPT DISTINCT SELECT id_type, id, alias_label FROM `cohort_sync`.`stage_3f2a9c1e0b7d4e519a8c_members` WHERE verdict = 'valid') AS r
) AS d;
-- parameters: ["vip","vip","run-a","run-b","vip","vip","run-a","run-b"]

-- record, stream, apply
insert into `cohort_sync`.`sync_changes` (`run_id`, `sync_name`, `op`, `id_type`, `id`, `alias_label`, `batch`, `status`, `error`, `created_at`) select 'run-1' as `run_id`, 'vip' as `sync_name`, `op`, `id_type`, `id`, `alias_label`, `batch`, 'not_sent' as `status`, CAST(NULL AS STRING) as `error`, CURRENT_TIMESTAMP as `created_at` from `cohort_sync`.`stage_3f2a9c1e0b7d4e519a8c_changes`;

select `op`, `id_type`, `id`, `alias_label`, `batch` from `cohort_sync`.`stage_3f2a9c1e0b7d4e519a8c_changes` order by `batch`;

delete from `cohort_sync`.`cohort_snapshot` where `sync_name` = ? and exists (select 1 as `one` from `cohort_sync`.`stage_3f2a9c1e0b7d4e519a8c_changes` as `c` where `c`.`op` = ? and (`c`.`batch` BETWEEN 0 AND 4 OR `c`.`batch` = 7) and `c`.`id_type` = `cohort_snapshot`.`id_type` and `c`.`id` = `cohort_snapshot`.`id` and `c`.`alias_label` = `cohort_snapshot`.`alias_label`);
-- parameters: ["vip","remove"]

insert into `cohort_sync`.`cohort_snapshot` (`sync_name`, `id_type`, `id`, `alias_label`, `added_at`, `run_id`) select 'vip' as `sync_name`, `c`.`id_type`, `c`.`id`, `c`.`alias_label`, CURRENT_TIMESTAMP as `added_at`, 'run-1' as `run_id` from `cohort_sync`.`stage_3f2a9c1e0b7d4e519a8c_changes` as `c` where `c`.`op` = ? and (`c`.`batch` BETWEEN 0 AND 4 OR `c`.`batch` = 7);
-- parameters: ["add"]

update `cohort_sync`.`sync_changes` set `status` = ?, `error` = NULL where `run_id` = ? and (`batch` BETWEEN 0 AND 4 OR `batch` = 7);
-- parameters: ["sent","run-1"]

update `cohort_sync`.`sync_changes` set `status` = ?, `error` = ? where `run_id` = ? and (`batch` BETWEEN 5 AND 6);
-- parameters: ["failed","HTTP 400: it's bad","run-1"]

-- apply adds of a run that re-sends changes earlier runs left unconfirmed
insert into `cohort_sync`.`cohort_snapshot` (`sync_name`, `id_type`, `id`, `alias_label`, `added_at`, `run_id`) select 'vip' as `sync_name`, `c`.`id_type`, `c`.`id`, `c`.`alias_label`, CURRENT_TIMESTAMP as `added_at`, 'run-2' as `run_id` from `cohort_sync`.`stage_3f2a9c1e0b7d4e519a8c_changes` as `c` where `c`.`op` = ? and (`c`.`batch` BETWEEN 0 AND 1) and not exists (select 1 as `one` from `cohort_sync`.`cohort_snapshot` as `s` where `s`.`sync_name` = ? and `s`.`id_type` = `c`.`id_type` and `s`.`id` = `c`.`id` and `s`.`alias_label` = `c`.`alias_label`);
-- parameters: ["add","vip"]

-- the snapshot apply and the audit update: one transaction, one script job
BEGIN TRANSACTION;
delete from `cohort_sync`.`cohort_snapshot` where `sync_name` = @p0 and exists (select 1 as `one` from `cohort_sync`.`stage_3f2a9c1e0b7d4e519a8c_changes` as `c` where `c`.`op` = @p1 and (`c`.`batch` BETWEEN 0 AND 2) and `c`.`id_type` = `cohort_snapshot`.`id_type` and `c`.`id` = `cohort_snapshot`.`id` and `c`.`alias_label` = `cohort_snapshot`.`alias_label`);
insert into `cohort_sync`.`cohort_snapshot` (`sync_name`, `id_type`, `id`, `alias_label`, `added_at`, `run_id`) select 'vip' as `sync_name`, `c`.`id_type`, `c`.`id`, `c`.`alias_label`, CURRENT_TIMESTAMP as `added_at`, 'run-1' as `run_id` from `cohort_sync`.`stage_3f2a9c1e0b7d4e519a8c_changes` as `c` where `c`.`op` = @p2 and (`c`.`batch` BETWEEN 0 AND 2);
update `cohort_sync`.`sync_changes` set `status` = @p3, `error` = NULL where `run_id` = @p4 and (`batch` BETWEEN 0 AND 2);
update `cohort_sync`.`sync_runs` set `added` = @p5, `removed` = @p6, `status` = @p7, `finished_at` = CURRENT_TIMESTAMP where `run_id` = @p8;
COMMIT TRANSACTION;
-- parameters: {"p0":"vip","p1":"remove","p2":"add","p3":"sent","p4":"run-1","p5":2000,"p6":1000,"p7":"succeeded","p8":"run-1"}

-- run --limit
CREATE TABLE `cohort_sync`.`stage_3f2a9c1e0b7d4e519a8c_limited`
OPTIONS (expiration_timestamp = TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL 24 HOUR)) AS
SELECT op, id_type, id, alias_label,
  CAST(FLOOR((rn - 1) / 1000) AS INT64) AS batch
FROM (
  SELECT op, id_type, id, alias_label, ROW_NUMBER() OVER (ORDER BY batch, op, id_type, id, alias_label) AS rn
  FROM `cohort_sync`.`stage_3f2a9c1e0b7d4e519a8c_changes`
) AS numbered
WHERE rn <= 2500;

drop table if exists `cohort_sync`.`stage_3f2a9c1e0b7d4e519a8c_changes`;

CREATE TABLE `cohort_sync`.`stage_3f2a9c1e0b7d4e519a8c_changes`
OPTIONS (expiration_timestamp = TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL 24 HOUR)) AS
SELECT op, id_type, id, alias_label, batch FROM `cohort_sync`.`stage_3f2a9c1e0b7d4e519a8c_limited`;

drop table if exists `cohort_sync`.`stage_3f2a9c1e0b7d4e519a8c_limited`;

-- drop a stage table
drop table if exists `cohort_sync`.`stage_3f2a9c1e0b7d4e519a8c_members`;

-- a NULL value and a literal with quotes and a newline
update `cohort_sync`.`sync_runs` set `error` = NULL, `skip_reasons` = 'it\'s a\nnew \\ line' where `run_id` = ?;
-- parameters: ["run-1"]
