-- High-value customers: one row per user. cohort-sync takes the first non-NULL
-- of external_id, device_id, alias (alias_name + alias_label) as the identity.
SELECT
  external_id,
  device_id,
  email AS alias_name,
  'email' AS alias_label
FROM shop.customers
WHERE lifetime_value_score >= 80
