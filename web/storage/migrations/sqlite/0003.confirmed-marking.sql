-- depends: 0002.later-columns
-- A marking confirmed before is found at once (a repeated serial is said on the card).
CREATE INDEX IF NOT EXISTS scans_confirmed_marking ON scans (confirmed_article, confirmed_serial);
