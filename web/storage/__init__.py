"""Everything markscan keeps: the SQLite database and the files beside it."""
