"""The locustfile the runner gives Locust by path (``locustfile.py``), installed with the package.

A folder of its own: Locust makes a locustfile's folder importable while it loads it, and here that
adds nothing else; and the presets, which name it, stay below the simulated user it imports.
"""
