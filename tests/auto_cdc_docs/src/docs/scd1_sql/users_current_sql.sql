CREATE OR REFRESH STREAMING TABLE users_current_sql;

CREATE FLOW apply_cdc AS AUTO CDC INTO
  users_current_sql
FROM
  stream(cdc_tutorial.users_cdf)
KEYS
  (userId)
APPLY AS DELETE WHEN
  operation = "DELETE"
APPLY AS TRUNCATE WHEN
  operation = "TRUNCATE"
SEQUENCE BY
  sequenceNum
COLUMNS * EXCEPT
  (operation, sequenceNum)
STORED AS
  SCD TYPE 1;
