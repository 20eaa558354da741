"""The only package that imports psycopg: the pool, the queries per aggregate, the schema."""
