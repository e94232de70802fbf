-- Customers with no order in the last 90 days (known customers only).
SELECT external_id
FROM shop.customers
WHERE external_id IS NOT NULL
  AND last_order_date < CURRENT_DATE - INTERVAL 90 DAY
