"""The GitHub commands as the workflows run them: subprocesses against the fake GitHub."""
