-- Gold: customers per day and category (missing categories as 'unknown').
CREATE OR REFRESH MATERIALIZED VIEW customers_gold
COMMENT 'Customers per day and category.'
AS SELECT
    event_date,
    coalesce(category, 'unknown') AS category,
    count(*) AS record_count,
    sum(amount) AS total_amount
FROM customers_silver
GROUP BY event_date, coalesce(category, 'unknown');
