-- Bronze: the orders landing files as they arrived, with the file each row came from.
CREATE OR REFRESH STREAMING TABLE orders_bronze
COMMENT 'Orders records from the landing files, unchanged.'
AS SELECT
    id,
    category,
    amount,
    event_time,
    _source_file
FROM STREAM (orders_landing);
