CREATE OR REFRESH STREAMING TABLE users_history_sql;

CREATE FLOW apply_cdc AS AUTO CDC INTO
  users_history_sql
FROM
  stream(cdc_tutorial.users_cdf)
KEYS
  (userId)
APPLY AS DELETE WHEN
  operation = "DELETE"
SEQUENCE BY
  sequenceNum
COLUMNS * EXCEPT
  (operation, sequenceNum)
STORED AS
  SCD TYPE 2;
