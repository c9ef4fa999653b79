-- Bronze: the customers landing files as they arrived, with the file each row came from.
CREATE OR REFRESH STREAMING TABLE customers_bronze
COMMENT 'Customers records from the landing files, unchanged.'
AS SELECT
    id,
    category,
    amount,
    event_time,
    _source_file
FROM STREAM (customers_landing);
