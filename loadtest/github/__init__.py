"""Talking to GitHub from the workflows: one REST client, the baseline fetcher and the sticky PR comment.

``client`` holds settings and the HTTP client (retries, rate limits, pagination);
``baseline`` finds and unpacks the newest baseline artifact; ``comment`` keeps one
summary comment per pull request; ``comment_artifact`` is the layout the load-test
workflow hands to the fork-safe comment workflow; ``actions`` speaks the runner's
workflow commands (annotations, step outputs); ``environment`` is the one reader of the
runner's ``GITHUB_*`` variables; ``workflow_plan`` decides what a workflow run does (``loadtest plan``:
the mode, the preset, baselines, the comment), with nothing but the standard library.
"""
