"""APScheduler wiring and the jobs, each a thin call into services/."""
