"""Load testing for the Amal Education API: the library behind locustfile.py and the ``loadtest`` command."""
