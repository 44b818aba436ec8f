"""Text that leaves the run: what every renderer, log line and file written passes through.

``untrusted`` escapes what a pull request controls (endpoint names, failure messages, run.json) before
it reaches markdown or the console; ``masking`` takes the secrets (API key, passwords, tokens) out of
everything written; ``markdown_blocks`` and ``summary_limits`` keep a summary's markup closed and
its length within GitHub's limit; ``tables`` renders the console's tables.

Masking lives here beside the escaping rather than in the run: the run, the user's session, the
settings' reprs, the bundle and the gate's outputs all write through it, and it escapes what it
redacts with ``untrusted``.
"""
