"""``manage.py create_database``: create the settings' database on the PostgreSQL server if it is missing.

migrate needs the database to exist; the name depends on the side of the load test (settings.py),
so this creates whichever one the environment names. The server's role needs CREATEDB.
"""

import psycopg
from django.core.management.base import BaseCommand
from django.db import connection
from psycopg import sql


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        params = connection.get_connection_params()
        name = params.pop("dbname")
        # CREATE DATABASE cannot run inside a transaction, nor from the database it creates.
        with psycopg.connect(**params, dbname="postgres", autocommit=True) as server:
            if server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                self.stdout.write(f"database {name} exists")
                return
            server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.stdout.write(f"database {name} created")
