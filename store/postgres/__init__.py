"""The storage contract on PostgreSQL (psycopg 3 with its connection pool): the same
repositories as SQLite (store/sql.py), a connection that speaks their placeholders, the
numbered migrations under an advisory lock, and LISTEN/NOTIFY behind Store.version()."""
