"""RQ jobs and the worker that runs them: jobs take ids, load rows, do one thing, and are safe to run twice."""
