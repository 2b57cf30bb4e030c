-- depends: 0001.schema
-- A marking confirmed before is found at once (a repeated serial is said on the card).
CREATE INDEX scans_confirmed_marking ON scans (confirmed_article, confirmed_serial);
