-- Gold: orders per day and category (missing categories as 'unknown').
CREATE OR REFRESH MATERIALIZED VIEW orders_gold
COMMENT 'Orders per day and category.'
AS SELECT
    event_date,
    coalesce(category, 'unknown') AS category,
    count(*) AS record_count,
    sum(amount) AS total_amount
FROM orders_silver
GROUP BY event_date, coalesce(category, 'unknown');
