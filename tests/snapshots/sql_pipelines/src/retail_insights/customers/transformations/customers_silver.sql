-- Silver: cleaned customers records. Invalid ones are dropped, an unparsable time stops the
-- update, a missing category is only counted. Locally the constraints act the same way
-- (tools/src/lakeflow_tools/sql.py).
CREATE OR REFRESH STREAMING TABLE customers_silver (
    CONSTRAINT valid_id EXPECT (id IS NOT NULL AND id <> '') ON VIOLATION DROP ROW,
    CONSTRAINT non_negative_amount EXPECT (amount >= 0) ON VIOLATION DROP ROW,
    CONSTRAINT valid_event_time EXPECT (event_time IS NOT NULL) ON VIOLATION FAIL UPDATE,
    CONSTRAINT known_category EXPECT (category IS NOT NULL)
)
COMMENT 'Cleaned customers records.'
AS SELECT
    trim(id) AS id,
    lower(trim(category)) AS category,
    cast(amount AS DECIMAL(12, 2)) AS amount,
    try_to_timestamp(event_time) AS event_time,
    to_date(try_to_timestamp(event_time)) AS event_date
FROM STREAM (customers_bronze);
